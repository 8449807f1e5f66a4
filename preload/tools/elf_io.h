/* Bounded reads from a file on disk: every read is checked against the size
 * the file had when opened, with overflow-safe arithmetic, before it happens.
 * pread rather than mmap, so a file truncated while we read it gives an
 * error instead of SIGBUS. */
#ifndef OGRT_ELF_IO_H
#define OGRT_ELF_IO_H

#include <stddef.h>
#include <stdint.h>

struct elf_input {
	int fd;
	uint64_t size;
};

/* Opens a regular file for reading. Returns 0 or -errno (-EINVAL when the
 * path is not a regular file, -EISDIR for a directory). */
int elf_input_open(struct elf_input *in, const char *path);

/* 1 when [off, off + len) lies inside the file. */
int elf_input_in_bounds(const struct elf_input *in, uint64_t off, uint64_t len);

/* Reads exactly len bytes at off. Returns 0, -ERANGE when the range is not
 * inside the file, -EIO when the file shrank meanwhile, or -errno of pread. */
int elf_input_read(const struct elf_input *in, uint64_t off, void *buf, size_t len);

void elf_input_close(struct elf_input *in);

#endif
