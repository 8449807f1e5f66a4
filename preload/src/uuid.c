#include "uuid.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef GRND_NONBLOCK
#define GRND_NONBLOCK 0x0001
#endif

enum { UUID_BYTES = 16, GETRANDOM_TRIES = 8 };

/* Returns 0 with buf filled, or -errno. Uses syscall() rather than the glibc
 * wrapper so that the library also runs on glibc < 2.25. */
static int kernel_random(unsigned char *buf, size_t len)
{
#ifdef SYS_getrandom
	size_t got = 0;
	int tries = 0;

	while (got < len) {
		long n = syscall(SYS_getrandom, buf + got, len - got, GRND_NONBLOCK);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR && ++tries < GETRANDOM_TRIES)
			continue;
		return n < 0 ? -errno : -EIO;
	}
	return 0;
#else
	(void)buf;
	(void)len;
	return -ENOSYS;
#endif
}

/* splitmix64 finalizer: spreads every input bit over the whole word. */
static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15u;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Unique rather than unpredictable: AT_RANDOM (16 bytes the kernel gave this
 * process at exec) differs per process, the counter per call, the clocks and
 * pid per fork. Only used when getrandom cannot answer without blocking. */
static void fallback_random(unsigned char *buf)
{
	static uint64_t counter;
	uint64_t seed[2] = { 0, 0 };
	const void *at_random = (const void *)getauxval(AT_RANDOM);
	uint64_t h, w[2];

	if (at_random != NULL)
		memcpy(seed, at_random, sizeof seed);
	h = mix64(seed[0] ^ clock_ns(CLOCK_REALTIME));
	h = mix64(h ^ clock_ns(CLOCK_MONOTONIC));
	h = mix64(h ^ ((uint64_t)getpid() << 32) ^ (uint64_t)syscall(SYS_gettid));
	h = mix64(h ^ __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	h = mix64(h ^ (uint64_t)(uintptr_t)&h);
	w[0] = mix64(h ^ seed[1]);
	w[1] = mix64(w[0] ^ h);
	memcpy(buf, w, UUID_BYTES);
}

int ogrt_uuid_v4(char out[OGRT_UUID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[UUID_BYTES];
	int saved_errno = errno;
	size_t i, o = 0;

	if (out == NULL)
		return -EINVAL;
	if (kernel_random(b, sizeof b) != 0)
		fallback_random(b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10xx */
	for (i = 0; i < UUID_BYTES; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 0x0f];
	}
	out[o] = '\0';
	errno = saved_errno;
	return 0;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int ogrt_uuid_valid(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len != OGRT_UUID_LEN)
		return 0;
	for (i = 0; i < OGRT_UUID_LEN; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !is_hex(s[i]))
			return 0;
	}
	return 1;
}
