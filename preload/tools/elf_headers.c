#include "elf_headers.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_bytes.h"

#define MAX_TABLE ((uint64_t)64 << 20) /* a program or section header table; real ones are KiBs */

void elf_fail(struct elf *e, int err, const char *step, const char *fmt, ...)
{
	va_list ap;

	if (e->err)
		return;
	e->err = err;
	snprintf(e->diag->step, sizeof e->diag->step, "%s", step);
	if (fmt == NULL) {
		snprintf(e->diag->reason, sizeof e->diag->reason, "%s", strerror(-err));
		return;
	}
	va_start(ap, fmt);
	vsnprintf(e->diag->reason, sizeof e->diag->reason, fmt, ap);
	va_end(ap);
}

int elf_read_header(struct elf *e)
{
	unsigned char h[64];
	size_t n = e->in.size < sizeof h ? (size_t)e->in.size : sizeof h;
	size_t ehsize;
	int rc;

	rc = elf_input_read(&e->in, 0, h, n);
	if (rc != 0) {
		elf_fail(e, rc, "ELF header", NULL);
		return rc;
	}
	if (n >= SELFMAG && memcmp(h, ELFMAG, SELFMAG) != 0)
		elf_fail(e, -EINVAL, "ELF header", "not an ELF file");
	else if (n < EI_NIDENT)
		elf_fail(e, -EINVAL, "ELF header", "file too short (%zu bytes)", n);
	else if (h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64)
		elf_fail(e, -EINVAL, "ELF header", "unknown ELF class %u", h[EI_CLASS]);
	else if (h[EI_DATA] != ELFDATA2LSB && h[EI_DATA] != ELFDATA2MSB)
		elf_fail(e, -EINVAL, "ELF header", "unknown byte order %u", h[EI_DATA]);
	if (e->err)
		return e->err;
	e->is64 = h[EI_CLASS] == ELFCLASS64;
	e->be = h[EI_DATA] == ELFDATA2MSB;
	ehsize = e->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (n < ehsize) {
		elf_fail(e, -EINVAL, "ELF header", "truncated (%zu of %zu bytes)", n, ehsize);
		return e->err;
	}
	e->phoff = elf_get_addr(h + (e->is64 ? 32 : 28), e->is64, e->be);
	e->shoff = elf_get_addr(h + (e->is64 ? 40 : 32), e->is64, e->be);
	e->phentsize = elf_get16(h + (e->is64 ? 54 : 42), e->be);
	e->phnum = elf_get16(h + (e->is64 ? 56 : 44), e->be);
	e->shentsize = elf_get16(h + (e->is64 ? 58 : 46), e->be);
	e->shnum = elf_get16(h + (e->is64 ? 60 : 48), e->be);
	e->shstrndx = elf_get16(h + (e->is64 ? 62 : 50), e->be);
	return 0;
}

void elf_get_section(const struct elf *e, uint32_t i, struct region *r)
{
	const unsigned char *p = e->sh + (size_t)i * e->shentsize;
	int w = e->is64 ? 8 : 4;

	r->name = elf_get32(p, e->be);
	r->type = elf_get32(p + 4, e->be);
	r->flags = elf_get_addr(p + 8, e->is64, e->be);
	r->off = elf_get_addr(p + 8 + 2 * w, e->is64, e->be);
	r->size = elf_get_addr(p + 8 + 3 * w, e->is64, e->be);
	r->align = elf_get_addr(p + 16 + 4 * w, e->is64, e->be);
}

void elf_get_segment(const struct elf *e, uint32_t i, struct region *r)
{
	const unsigned char *p = e->ph + (size_t)i * e->phentsize;

	r->type = elf_get32(p, e->be);
	r->name = 0;
	r->flags = 0;
	r->off = elf_get_addr(p + (e->is64 ? 8 : 4), e->is64, e->be);
	r->size = elf_get_addr(p + (e->is64 ? 32 : 16), e->is64, e->be);
	r->align = elf_get_addr(p + (e->is64 ? 48 : 28), e->is64, e->be);
}

/* Reads a header table into *out; a missing table is not an error. */
static void load_table(struct elf *e, const char *what, uint64_t off, uint32_t num,
		       uint16_t entsize, size_t minsize, unsigned char **out)
{
	uint64_t bytes = (uint64_t)num * entsize;
	int rc;

	if (off == 0 || num == 0)
		return;
	if (entsize < minsize) {
		elf_fail(e, -EINVAL, what, "entry size %u, expected at least %zu", entsize, minsize);
		return;
	}
	if (bytes > MAX_TABLE) {
		elf_fail(e, -EFBIG, what, "table of %llu bytes is too large", (unsigned long long)bytes);
		return;
	}
	if (!elf_input_in_bounds(&e->in, off, bytes)) {
		elf_fail(e, -ERANGE, what, "offset 0x%llx + %llu bytes is past the end of the file (%llu bytes)",
			 (unsigned long long)off, (unsigned long long)bytes, (unsigned long long)e->in.size);
		return;
	}
	*out = malloc(bytes);
	if (*out == NULL) {
		elf_fail(e, -ENOMEM, what, NULL);
		return;
	}
	rc = elf_input_read(&e->in, off, *out, bytes);
	if (rc != 0) {
		free(*out);
		*out = NULL;
		elf_fail(e, rc, what, NULL);
	}
}

/* Section 0 holds the real counts when they do not fit the ELF header. */
void elf_load_tables(struct elf *e)
{
	size_t shmin = e->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	size_t phmin = e->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	int extended = e->shnum == 0 || e->shstrndx == SHN_XINDEX || e->phnum == PN_XNUM;

	if (e->shoff != 0 && extended) {
		load_table(e, "section header 0", e->shoff, 1, e->shentsize, shmin, &e->sh);
		if (e->sh != NULL) {
			const unsigned char *p = e->sh + (e->is64 ? 32 : 20);
			uint64_t size = elf_get_addr(p, e->is64, e->be);
			uint32_t link = elf_get32(p + (e->is64 ? 8 : 4), e->be);
			uint32_t info = elf_get32(p + (e->is64 ? 12 : 8), e->be);
			if (e->shnum == 0)
				e->shnum = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
			if (e->shstrndx == SHN_XINDEX)
				e->shstrndx = link;
			if (e->phnum == PN_XNUM && info != 0)
				e->phnum = info;
			free(e->sh);
			e->sh = NULL;
		}
	}
	load_table(e, "program headers", e->phoff, e->phnum, e->phentsize, phmin, &e->ph);
	load_table(e, "section headers", e->shoff, e->shnum, e->shentsize, shmin, &e->sh);
}
