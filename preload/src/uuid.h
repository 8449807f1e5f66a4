/* RFC 4122 version 4 UUIDs, shared by libogrt.so and the ogrt tool.
 * No allocation, no stdio, reentrant: safe in the preload constructor. */
#ifndef OGRT_UUID_H
#define OGRT_UUID_H

#include <stddef.h>

#define OGRT_UUID_LEN 36

/* Writes a fresh random uuid, lower-case 8-4-4-4-12 plus NUL. Randomness comes
 * from getrandom(GRND_NONBLOCK); when the kernel pool is not ready (EAGAIN) or
 * the syscall is missing, a non-blocking mix of AT_RANDOM, clocks, pid and a
 * counter is used instead: never blocks. errno is preserved.
 * Returns 0, or -EINVAL when out is NULL. */
int ogrt_uuid_v4(char out[OGRT_UUID_LEN + 1]);

/* 1 if s[0..len) is exactly 36 characters of hex (either case) in 8-4-4-4-12
 * groups; 0 otherwise. Does not look at the version or variant bits. */
int ogrt_uuid_valid(const char *s, size_t len);

#endif
