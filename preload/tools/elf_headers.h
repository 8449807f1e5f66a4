/* The parts of an ELF file the signature search needs: the ELF header, the
 * program and section header tables (counts from section 0 when extended),
 * read with bounds checks. Internal to elf_read.c and elf_headers.c. */
#ifndef OGRT_ELF_HEADERS_H
#define OGRT_ELF_HEADERS_H

#include <stdint.h>

#include "elf_io.h"
#include "elf_read.h"

struct elf {
	struct elf_input in;
	int is64, be;
	uint64_t phoff, shoff;
	uint32_t phnum, shnum, shstrndx;
	uint16_t phentsize, shentsize;
	unsigned char *ph, *sh; /* the header tables, NULL when absent or unreadable */
	uint64_t note_bytes;
	int err;                /* first problem met, -errno; diag explains it */
	struct ogrt_diag *diag;
};

/* A program or section header, reduced to what the search needs. */
struct region {
	uint32_t type, name;
	uint64_t flags, off, size, align;
};

/* Records the first problem met (later ones are dropped): err is -errno; the
 * reason is fmt, or strerror(-err) when fmt is NULL. */
__attribute__((format(printf, 4, 5)))
void elf_fail(struct elf *e, int err, const char *step, const char *fmt, ...);

/* Parses the ELF header; 0, or -errno with the problem recorded. */
int elf_read_header(struct elf *e);

/* Reads both header tables; a table that cannot be read stays NULL and the
 * problem is recorded. */
void elf_load_tables(struct elf *e);

void elf_get_section(const struct elf *e, uint32_t i, struct region *r);
void elf_get_segment(const struct elf *e, uint32_t i, struct region *r);

#endif
