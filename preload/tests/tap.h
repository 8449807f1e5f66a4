/* Tiny test reporting for tests/run.sh: one `ok NAME` or `not ok NAME: why`
 * line per case; the exit status is non-zero when a case failed. */
#ifndef OGRT_TAP_H
#define OGRT_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_failed;

static void tap_ok(const char *name)
{
	printf("ok %s\n", name);
}

__attribute__((format(printf, 2, 3))) static void tap_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("not ok %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	tap_failed = 1;
}

/* Reports a case from a condition; why is printed only on failure. */
#define TAP_CHECK(name, cond, ...)                \
	do {                                      \
		if (cond)                         \
			tap_ok(name);             \
		else                              \
			tap_fail(name, __VA_ARGS__); \
	} while (0)

static int tap_exit(void)
{
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
