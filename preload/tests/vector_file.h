/* Reads a test vector's `.fields` file (docs/protocol.md §8) into a record.
 * Test code: allocates freely, never frees (each process reads a few). */
#ifndef OGRT_VECTOR_FILE_H
#define OGRT_VECTOR_FILE_H

#include <stddef.h>

#include "record.h"

struct vector {
	struct ogrt_record rec;
	size_t max_message_size;
	char kind[16];
};

/* 0, or -1 with a reason in why. */
int vector_load(const char *path, struct vector *v, char *why, size_t why_len);

/* Whole file into a fresh buffer; NULL on error. */
char *read_whole_file(const char *path, size_t *len);

#endif
