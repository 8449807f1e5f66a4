/* The OGRT signature note: parsing, shared by libogrt.so (notes in memory,
 * from dl_iterate_phdr) and the ogrt tool (notes read from files).
 *
 * Layout of one note (docs/signatures.md has it byte by byte):
 *   n_namesz = 5, n_descsz = 38, n_type = 0x4f475254,
 *   name "OGRT\0" padded to 8, desc = version byte 1 + 36-char uuid + NUL,
 *   padded to 40.
 * No allocation, no stdio, reentrant. */
#ifndef OGRT_NOTE_H
#define OGRT_NOTE_H

#include <stddef.h>

#include "uuid.h"

#define OGRT_NOTE_NAME "OGRT"
#define OGRT_NOTE_TYPE 0x4f475254u
#define OGRT_NOTE_VERSION 1
#define OGRT_NOTE_DESC_SIZE 38 /* version byte + 36-char uuid + NUL — as the 2017 OGRT (readelf showed data size 0x26) */

/* Scans the bytes of a PT_NOTE segment or SHT_NOTE section, native byte
 * order, name and desc 4-byte aligned. On success copies the uuid of the
 * first OGRT note (as stored, NUL-terminated) to out and returns 0.
 * Returns -ENOENT when there is no OGRT note, -EINVAL when the notes are
 * malformed (a size runs past len, non-zero trailing bytes) or an OGRT note
 * is not a valid version-1 signature. Never reads outside notes[0..len). */
int ogrt_note_find_signature(const void *notes, size_t len, char out[OGRT_UUID_LEN + 1]);

/* The same for foreign byte order (big_endian 0/1) and 8-byte aligned note
 * segments (align 4 or 8, as readelf: use 8 when p_align/sh_addralign is 8,
 * else 4). Any other align is -EINVAL. */
int ogrt_note_find_signature_ex(const void *notes, size_t len, int big_endian, size_t align,
				char out[OGRT_UUID_LEN + 1]);

#endif
