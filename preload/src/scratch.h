/* Scratch memory for one record (lists of shared objects, modules, env):
 * a static area, and mmap(2) beyond it, so the constructor never calls
 * malloc and any number of shared objects fits. Callers hold the record
 * lock (ogrt.c); everything is released at once after the record is sent. */
#ifndef OGRT_SCRATCH_H
#define OGRT_SCRATCH_H

#include <stddef.h>

#define OGRT_SCRATCH_STATIC (32 * 1024)

/* size bytes aligned to 16, or NULL when the kernel refuses memory. */
void *ogrt_scratch_alloc(size_t size);

/* Frees every allocation (unmaps what was mapped). */
void ogrt_scratch_reset(void);

#endif
