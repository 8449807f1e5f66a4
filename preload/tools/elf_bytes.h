/* Endian-explicit loads and stores for ELF fields at byte offsets. Working on
 * byte arrays (never casting to Elf64_Ehdr *) keeps reads aligned-agnostic and
 * lets one code path handle both classes and both byte orders. */
#ifndef OGRT_ELF_BYTES_H
#define OGRT_ELF_BYTES_H

#include <stdint.h>

static inline uint16_t elf_get16(const unsigned char *p, int be)
{
	return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t elf_get32(const unsigned char *p, int be)
{
	return be ? (uint32_t)elf_get16(p, 1) << 16 | elf_get16(p + 2, 1)
		  : (uint32_t)elf_get16(p + 2, 0) << 16 | elf_get16(p, 0);
}

static inline uint64_t elf_get64(const unsigned char *p, int be)
{
	return be ? (uint64_t)elf_get32(p, 1) << 32 | elf_get32(p + 4, 1)
		  : (uint64_t)elf_get32(p + 4, 0) << 32 | elf_get32(p, 0);
}

/* An address-sized field: 4 bytes in ELF32, 8 in ELF64. */
static inline uint64_t elf_get_addr(const unsigned char *p, int is64, int be)
{
	return is64 ? elf_get64(p, be) : elf_get32(p, be);
}

static inline void elf_put16(unsigned char *p, uint16_t v, int be)
{
	p[be ? 0 : 1] = (unsigned char)(v >> 8);
	p[be ? 1 : 0] = (unsigned char)v;
}

static inline void elf_put32(unsigned char *p, uint32_t v, int be)
{
	elf_put16(p + (be ? 0 : 2), (uint16_t)(v >> 16), be);
	elf_put16(p + (be ? 2 : 0), (uint16_t)v, be);
}

static inline void elf_put64(unsigned char *p, uint64_t v, int be)
{
	elf_put32(p + (be ? 0 : 4), (uint32_t)(v >> 32), be);
	elf_put32(p + (be ? 4 : 0), (uint32_t)v, be);
}

static inline void elf_put_addr(unsigned char *p, uint64_t v, int is64, int be)
{
	if (is64)
		elf_put64(p, v, be);
	else
		elf_put32(p, (uint32_t)v, be);
}

#endif
