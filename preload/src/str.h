/* String and environment helpers of libogrt, static inline: no call leaves
 * the library. A program may define and export strlen, strcmp or getenv
 * itself (bundled libc pieces, -rdynamic), and the library's calls to those
 * names would bind to the program's functions, even from the constructor,
 * before the program's own constructors set them up. So the environment is
 * read from the envp the constructor receives, and mem.c defines memcpy,
 * memmove, memset and memcmp hidden (the compiler emits calls to those by
 * itself). tests/lib_imports.sh checks what libogrt.so imports. */
#ifndef OGRT_STR_H
#define OGRT_STR_H

#include <stddef.h>

static inline size_t ogrt_strlen(const char *s)
{
	const char *p = s;

	while (*p != '\0')
		p++;
	return (size_t)(p - s);
}

/* The first c in s, or the terminating NUL. */
static inline const char *ogrt_strchrnul(const char *s, char c)
{
	while (*s != '\0' && *s != c)
		s++;
	return s;
}

/* 1 if s begins with the n bytes of prefix (which holds no NUL): stops at
 * the first difference, so s may be shorter than n. */
static inline int ogrt_has_prefix_n(const char *s, const char *prefix, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != prefix[i])
			return 0;
	return 1;
}

static inline int ogrt_has_prefix(const char *s, const char *prefix)
{
	return ogrt_has_prefix_n(s, prefix, ogrt_strlen(prefix));
}

static inline int ogrt_streq(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* The entry `NAME=VALUE` of envp whose name is the len bytes at name (no
 * NUL among them), or NULL. envp may be NULL. */
static inline const char *ogrt_env_entry(char *const *envp, const char *name, size_t len)
{
	for (; envp != NULL && *envp != NULL; envp++)
		if (ogrt_has_prefix_n(*envp, name, len) && (*envp)[len] == '=')
			return *envp;
	return NULL;
}

/* getenv(3) on envp. */
static inline const char *ogrt_env_get(char *const *envp, const char *name)
{
	size_t len = ogrt_strlen(name);
	const char *e = ogrt_env_entry(envp, name, len);

	return e != NULL ? e + len + 1 : NULL;
}

#endif
