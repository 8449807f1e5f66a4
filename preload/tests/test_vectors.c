/* The C encoder against every shared vector in test/vectors/ (protocol.md
 * §8): each NAME.fields is encoded and compared byte for byte with
 * NAME.messages (RFC 6587 octet-counted frames). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfc5424.h"
#include "tap.h"
#include "vector_file.h"

struct framed {
	char *buf;
	size_t len, cap;
};

static int collect(void *ctx, char *msg, size_t len, unsigned part, unsigned parts)
{
	struct framed *f = ctx;
	int n;

	(void)part;
	(void)parts;
	if (f->len + len + 32 > f->cap) {
		f->cap = (f->len + len + 32) * 2;
		f->buf = realloc(f->buf, f->cap);
		if (f->buf == NULL)
			abort();
	}
	n = sprintf(f->buf + f->len, "%zu ", len);
	memcpy(f->buf + f->len + (size_t)n, msg, len);
	f->len += (size_t)n + len;
	return 0;
}

static void printable(char *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = s[i] >= 32 && s[i] < 127 ? s[i] : '.';
	out[n] = '\0';
}

static void check_vector(const char *dir, const char *file)
{
	char name[300];
	char path[4096], why[512], got_s[61], want_s[61];
	struct vector v;
	struct framed f = { NULL, 0, 0 };
	size_t want_len, i, from, n;
	char *want, *buf;
	int rc;

	snprintf(name, sizeof name, "vector %s", file);
	snprintf(path, sizeof path, "%s/%s.fields", dir, file);
	if (vector_load(path, &v, why, sizeof why) != 0) {
		tap_fail(name, "%s", why);
		return;
	}
	snprintf(path, sizeof path, "%s/%s.messages", dir, file);
	want = read_whole_file(path, &want_len);
	if (want == NULL) {
		tap_fail(name, "%s: %s", path, strerror(errno));
		return;
	}
	buf = malloc(OGRT_ENCODE_BUF_SIZE(v.max_message_size));
	rc = ogrt_encode(&v.rec, v.max_message_size, OGRT_PRI_DEFAULT, buf, collect, &f);
	if (rc != 0) {
		tap_fail(name, "ogrt_encode returned %d", rc);
		return;
	}
	for (i = 0; i < f.len && i < want_len && f.buf[i] == want[i]; i++)
		;
	if (i == f.len && i == want_len) {
		tap_ok(name);
		return;
	}
	from = i > 20 ? i - 20 : 0;
	n = 60;
	printable(got_s, f.buf + from, from + n > f.len ? f.len - from : n);
	printable(want_s, want + from, from + n > want_len ? want_len - from : n);
	tap_fail(name, "first difference at byte %zu (got %zu bytes, want %zu): got \"%s\" want \"%s\" (from byte %zu)", i,
		 f.len, want_len, got_s, want_s, from);
}

int main(void)
{
	const char *dir = getenv("OGRT_VECTORS_DIR") ? getenv("OGRT_VECTORS_DIR") : "../test/vectors";
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (d == NULL) {
		tap_fail("vectors", "%s: %s", dir, strerror(errno));
		return tap_exit();
	}
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char name[256];
		if (n <= 7 || strcmp(e->d_name + n - 7, ".fields") != 0 || n - 7 >= sizeof name)
			continue;
		memcpy(name, e->d_name, n - 7);
		name[n - 7] = '\0';
		check_vector(dir, name);
		found++;
	}
	closedir(d);
	if (found == 0)
		tap_fail("vectors", "no *.fields in %s", dir);
	return tap_exit();
}
