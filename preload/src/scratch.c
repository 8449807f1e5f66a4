#include "scratch.h"

#include <stdint.h>
#include <sys/mman.h>

#define MAX_MAPS 16

static _Alignas(16) unsigned char area[OGRT_SCRATCH_STATIC];
static size_t used;
static struct {
	void *addr;
	size_t len;
} maps[MAX_MAPS];
static size_t n_maps;

void *ogrt_scratch_alloc(size_t size)
{
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (size <= sizeof area - used) {
		p = area + used;
		used += size;
		return p;
	}
	if (n_maps == MAX_MAPS || size == 0)
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	maps[n_maps].addr = p;
	maps[n_maps].len = size;
	n_maps++;
	return p;
}

void ogrt_scratch_reset(void)
{
	while (n_maps > 0) {
		n_maps--;
		munmap(maps[n_maps].addr, maps[n_maps].len);
	}
	used = 0;
}
