/* Large files on 32-bit hosts too: off_t and st_size must hold any offset. */
#define _FILE_OFFSET_BITS 64

#include "elf_io.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int elf_input_open(struct elf_input *in, const char *path)
{
	struct stat st;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	in->fd = -1;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	in->fd = fd;
	in->size = (uint64_t)st.st_size;
	return 0;
}

int elf_input_in_bounds(const struct elf_input *in, uint64_t off, uint64_t len)
{
	return len <= in->size && off <= in->size - len;
}

int elf_input_read(const struct elf_input *in, uint64_t off, void *buf, size_t len)
{
	unsigned char *p = buf;

	if (!elf_input_in_bounds(in, off, len) || off > (uint64_t)INT64_MAX)
		return -ERANGE;
	while (len > 0) {
		ssize_t n = pread(in->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

void elf_input_close(struct elf_input *in)
{
	if (in->fd >= 0)
		close(in->fd);
	in->fd = -1;
}
