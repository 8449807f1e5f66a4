/* The library's own string helpers (str.h) and memcpy & co. (mem.c; this
 * program links them from libogrt-core.a, so its own calls below use them). */
#include <stdint.h>
#include <string.h>

#include "str.h"
#include "tap.h"

/* Calls through volatile pointers: the compiler cannot inline or fold them. */
static void *(*volatile do_memcpy)(void *restrict, const void *restrict, size_t) = memcpy;
static void *(*volatile do_memmove)(void *, const void *, size_t) = memmove;
static void *(*volatile do_memset)(void *, int, size_t) = memset;
static int (*volatile do_memcmp)(const void *, const void *, size_t) = memcmp;

static void test_mem(void)
{
	unsigned char a[64], b[64], want[64];
	size_t i, n;
	int ok = 1;

	for (n = 0; n <= 40 && ok; n++) { /* every length around the 8-byte steps, odd offsets */
		for (i = 0; i < sizeof a; i++)
			a[i] = (unsigned char)(i * 7 + 1), b[i] = 0xee;
		do_memcpy(b + 3, a + 5, n);
		for (i = 0; i < sizeof b; i++)
			ok &= b[i] == (i >= 3 && i < 3 + n ? a[i + 2] : 0xee);
	}
	TAP_CHECK("memcpy: every length 0-40, unaligned, nothing outside", ok, "length %zu", n - 1);

	for (i = 0; i < sizeof a; i++)
		a[i] = (unsigned char)i, want[i] = (unsigned char)(i >= 10 && i < 40 ? i - 7 : i);
	do_memmove(a + 10, a + 3, 30);
	ok = memcmp(a, want, sizeof a) == 0;
	for (i = 0; i < sizeof a; i++)
		a[i] = (unsigned char)i, want[i] = (unsigned char)(i >= 3 && i < 33 ? i + 7 : i);
	do_memmove(a + 3, a + 10, 30);
	TAP_CHECK("memmove: overlapping both ways", ok && memcmp(a, want, sizeof a) == 0, "wrong bytes");

	for (i = 0; i < sizeof a; i++)
		a[i] = 1;
	do_memset(a + 1, 0x1ab, 21); /* only the low byte counts */
	ok = a[0] == 1 && a[22] == 1;
	for (i = 1; i < 22; i++)
		ok &= a[i] == 0xab;
	TAP_CHECK("memset: unaligned, odd length, low byte of c", ok, "wrong bytes");

	TAP_CHECK("memcmp: sign from the first differing byte, as unsigned",
		  do_memcmp("abc\x80", "abc\x01", 4) > 0 && do_memcmp("abb", "abc", 3) < 0 &&
			  do_memcmp("abc", "abd", 2) == 0 && do_memcmp("", "x", 0) == 0,
		  "wrong sign");
}

static void test_str(void)
{
	TAP_CHECK("ogrt_strlen", ogrt_strlen("") == 0 && ogrt_strlen("abc") == 3, "wrong");
	TAP_CHECK("ogrt_strchrnul", *ogrt_strchrnul("a:b", ':') == ':' && *ogrt_strchrnul("ab", ':') == '\0', "wrong");
	TAP_CHECK("ogrt_has_prefix stops at the end of the shorter string",
		  ogrt_has_prefix("unix:///x", "unix://") && !ogrt_has_prefix("uni", "unix://") &&
			  ogrt_has_prefix("x", "") && !ogrt_has_prefix("tcp://", "udp://"),
		  "wrong");
	TAP_CHECK("ogrt_streq", ogrt_streq("all", "all") && !ogrt_streq("all", "al") && !ogrt_streq("al", "all") &&
					ogrt_streq("", ""),
		  "wrong");
}

static void test_env(void)
{
	char *envp[] = { "OGRT_ACTIVEX=1", "NOEQUALS", "OGRT_ACTIVE", "EMPTY=", "A=1=2", "OGRT_ACTIVE=1", "A=second", NULL };
	const char *v;

	v = ogrt_env_get(envp, "OGRT_ACTIVE");
	TAP_CHECK("env: a longer name or an entry without = does not match", v != NULL && ogrt_streq(v, "1"), "got %s",
		  v ? v : "NULL");
	v = ogrt_env_get(envp, "A");
	TAP_CHECK("env: the first entry wins, the value keeps its =", v != NULL && ogrt_streq(v, "1=2"), "got %s",
		  v ? v : "NULL");
	v = ogrt_env_get(envp, "EMPTY");
	TAP_CHECK("env: empty value is set", v != NULL && v[0] == '\0', "got %s", v ? v : "NULL");
	TAP_CHECK("env: unset, and NULL envp", ogrt_env_get(envp, "NOEQUALS") == NULL && ogrt_env_get(envp, "B") == NULL &&
						       ogrt_env_get(NULL, "A") == NULL,
		  "found");
	TAP_CHECK("env: name given by length", ogrt_env_entry(envp, "EMPTY:A", 5) == envp[3], "wrong entry");
}

int main(void)
{
	test_mem();
	test_str();
	test_env();
	return tap_exit();
}
