/* memcpy, memmove, memset and memcmp of libogrt itself, hidden.
 *
 * A program may define and export functions of these names (bundled libc
 * pieces, -rdynamic), and symbol lookup would bind the library's calls to
 * them, even in the constructor, before the program's own constructors ran.
 * Source code can avoid calling them; the compiler cannot: it emits calls
 * to these four for struct copies, large initialisers, copy loops and
 * memcpy calls of unknown size (GCC requires them even of freestanding
 * code). Defined here with hidden visibility, every such call binds inside
 * libogrt.so when it is linked. Built with -ffreestanding and
 * -fno-tree-loop-distribute-patterns (Makefile) so that the loops below do
 * not become calls to themselves; calls of a small constant size elsewhere
 * are still inlined by the compiler (builtins stay on for the other files).
 * The data are small (one record's values), so plain loops are enough. */
#include <stddef.h>
#include <stdint.h>

#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	for (; n >= 8; n -= 8, d += 8, s += 8) {
		uint64_t w;
		__builtin_memcpy(&w, s, 8);
		__builtin_memcpy(d, &w, 8);
	}
	while (n-- > 0)
		*d++ = *s++;
	return dst;
}

HIDDEN void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if ((uintptr_t)d - (uintptr_t)s >= n) /* d before s, or no overlap */
		while (n-- > 0)
			*d++ = *s++;
	else
		while (n-- > 0)
			d[n] = s[n];
	return dst;
}

HIDDEN void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t w = (unsigned char)c * 0x0101010101010101ull;

	for (; n >= 8; n -= 8, d += 8)
		__builtin_memcpy(d, &w, 8);
	while (n-- > 0)
		*d++ = (unsigned char)c;
	return dst;
}

HIDDEN int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n > 0; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}
