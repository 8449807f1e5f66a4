/* Finding the OGRT signature of an ELF file on disk: ELF32 and ELF64, either
 * byte order; PT_NOTE segments first (what libogrt.so sees at run time), then
 * SHT_NOTE sections (relocatable objects, files without program headers). */
#ifndef OGRT_ELF_READ_H
#define OGRT_ELF_READ_H

#include "uuid.h"

enum ogrt_sig_where { OGRT_SIG_SEGMENT, OGRT_SIG_SECTION };

struct ogrt_sig {
	char uuid[OGRT_UUID_LEN + 1];
	enum ogrt_sig_where where;
	unsigned long index;  /* program header or section header index */
	char section[64];     /* section holding the note, "" when unknown */
	int alloc;            /* 1 when the note is loaded into memory at run time */
	int is64, big_endian;
};

/* Why a file could not be read: printed as `PATH: step: reason`. */
struct ogrt_diag {
	char step[48];
	char reason[112];
};

/* Returns 0 with sig filled, -ENODATA when the file is a readable ELF file
 * without an OGRT signature, or another -errno with diag filled (the first
 * problem met; a signature found elsewhere in the file still wins). */
int ogrt_elf_find_signature(const char *path, struct ogrt_sig *sig, struct ogrt_diag *diag);

#endif
