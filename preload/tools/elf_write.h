/* Writing a signature object: an ELF relocatable file whose only content is
 * an allocated .note.ogrt.info SHT_NOTE section holding one OGRT note, plus
 * .note.GNU-stack (so the link keeps a non-executable stack) and a minimal
 * symbol table. */
#ifndef OGRT_ELF_WRITE_H
#define OGRT_ELF_WRITE_H

#include <stddef.h>

#include "elf_target.h"
#include "uuid.h"

#define OGRT_NOTE_SECTION ".note.ogrt.info"
#define ELF_SIGNATURE_MAX 1024 /* the object is 600 bytes for ELF64 */

/* Builds the object in buf; returns its size, or 0 when uuid is not valid. */
size_t elf_build_signature(unsigned char buf[ELF_SIGNATURE_MAX], const struct elf_target *t,
			   const char *uuid);

/* Writes the object to path (created 0666 & ~umask, or truncated). On failure
 * a partly written file is removed. Returns 0 or -errno; *step names the
 * failing call for the message. */
int elf_write_signature(const char *path, const struct elf_target *t, const char *uuid,
			const char **step);

#endif
