#include "vector_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *read_whole_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			if (buf == NULL)
				abort();
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* `-` is the empty string; otherwise lower-case hex of the bytes. */
static int parse_hex(const char *s, struct ogrt_bytes *out)
{
	size_t n = strlen(s), i;
	char *b;

	if (strcmp(s, "-") == 0) {
		out->ptr = "";
		out->len = 0;
		return 0;
	}
	if (n % 2)
		return -1;
	b = malloc(n / 2 + 1);
	if (b == NULL)
		abort();
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		b[i] = (char)(hi << 4 | lo);
	}
	out->ptr = b;
	out->len = n / 2;
	return 0;
}

static void *grow(void *p, size_t n, size_t size)
{
	p = realloc(p, (n + 1) * size);
	if (p == NULL)
		abort();
	return p;
}

static const struct {
	const char *key;
	size_t offset;
} string_keys[] = {
	{ "process_uuid", offsetof(struct ogrt_record, process_uuid) },
	{ "hostname", offsetof(struct ogrt_record, hostname) },
	{ "job_id", offsetof(struct ogrt_record, job_id) },
	{ "username", offsetof(struct ogrt_record, username) },
	{ "binpath", offsetof(struct ogrt_record, binpath) },
	{ "signature", offsetof(struct ogrt_record, signature) },
	{ "cmdline", offsetof(struct ogrt_record, cmdline) },
};

static const struct {
	const char *key;
	enum ogrt_num num;
} number_keys[] = {
	{ "pid", OGRT_NUM_PID },
	{ "parent_pid", OGRT_NUM_PARENT_PID },
	{ "uid", OGRT_NUM_UID },
	{ "exit_status", OGRT_NUM_EXIT_STATUS },
	{ "wall_time_us", OGRT_NUM_WALL_TIME_US },
	{ "max_rss_kb", OGRT_NUM_MAX_RSS_KB },
};

/* `truncated REF`: a record field name or a list item path. */
static int mark_truncated(struct ogrt_record *r, const char *ref)
{
	size_t i, idx;
	char tail[32];

	for (i = 0; i < sizeof string_keys / sizeof string_keys[0]; i++)
		if (strcmp(ref, string_keys[i].key) == 0) {
			((struct ogrt_bytes *)((char *)r + string_keys[i].offset))->truncated = 1;
			return 0;
		}
	if (sscanf(ref, "shared_objects[%zu].%31s", &idx, tail) == 2 && idx < r->n_so) {
		struct ogrt_so *so = (struct ogrt_so *)&r->so[idx];
		if (strcmp(tail, "path") == 0)
			so->path.truncated = 1;
		else if (strcmp(tail, "signature") == 0)
			so->sig.truncated = 1;
		else
			return -1;
		return 0;
	}
	if (sscanf(ref, "loaded_modules[%zu]", &idx) == 1 && idx < r->n_mod) {
		((struct ogrt_bytes *)&r->mod[idx])->truncated = 1;
		return 0;
	}
	if (sscanf(ref, "environment_variables[%zu]", &idx) == 1 && idx < r->n_env) {
		((struct ogrt_bytes *)&r->env[idx])->truncated = 1;
		return 0;
	}
	return -1;
}

static int parse_line(struct vector *v, char *key, char *val, char *val2)
{
	struct ogrt_record *r = &v->rec;
	size_t i;

	if (strcmp(key, "max_message_size") == 0) {
		v->max_message_size = strtoull(val, NULL, 10);
		return 0;
	}
	if (strcmp(key, "kind") == 0) {
		snprintf(v->kind, sizeof v->kind, "%s", val);
		r->kind = v->kind;
		return 0;
	}
	if (strcmp(key, "uuid") == 0) {
		if (strlen(val) != OGRT_UUID_LEN)
			return -1;
		memcpy(r->uuid, val, OGRT_UUID_LEN + 1);
		return 0;
	}
	if (strcmp(key, "time_us") == 0) {
		r->time_us = strtoull(val, NULL, 10);
		return 0;
	}
	for (i = 0; i < sizeof string_keys / sizeof string_keys[0]; i++)
		if (strcmp(key, string_keys[i].key) == 0)
			return parse_hex(val, (struct ogrt_bytes *)((char *)r + string_keys[i].offset));
	for (i = 0; i < sizeof number_keys / sizeof number_keys[0]; i++)
		if (strcmp(key, number_keys[i].key) == 0) {
			ogrt_record_set_num(r, number_keys[i].num, strtoll(val, NULL, 10));
			return 0;
		}
	if (strcmp(key, "so") == 0) {
		struct ogrt_so *so = grow((void *)r->so, r->n_so, sizeof *so);
		memset(&so[r->n_so], 0, sizeof *so);
		r->so = so;
		if (parse_hex(val, &so[r->n_so].path) != 0 || val2 == NULL)
			return -1;
		if (strcmp(val2, "-") != 0 && parse_hex(val2, &so[r->n_so].sig) != 0)
			return -1;
		r->n_so++;
		return 0;
	}
	if (strcmp(key, "mod") == 0 || strcmp(key, "env") == 0) {
		int mod = key[0] == 'm';
		const struct ogrt_bytes **list = mod ? &r->mod : &r->env;
		size_t *n = mod ? &r->n_mod : &r->n_env;
		struct ogrt_bytes *items = grow((void *)*list, *n, sizeof *items);
		memset(&items[*n], 0, sizeof *items);
		*list = items;
		if (parse_hex(val, &items[*n]) != 0)
			return -1;
		(*n)++;
		return 0;
	}
	if (strcmp(key, "truncated") == 0)
		return mark_truncated(r, val);
	return -1;
}

int vector_load(const char *path, struct vector *v, char *why, size_t why_len)
{
	size_t len, lineno = 0;
	char *text = read_whole_file(path, &len), *line, *save = NULL;

	memset(v, 0, sizeof *v);
	v->max_message_size = 8096;
	if (text == NULL) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *key = line, *val = strchr(line, ' '), *val2;
		lineno++;
		if (val == NULL) {
			snprintf(why, why_len, "%s:%zu: no value", path, lineno);
			return -1;
		}
		*val++ = '\0';
		val2 = strchr(val, ' ');
		if (val2 != NULL)
			*val2++ = '\0';
		if (parse_line(v, key, val, val2) != 0) {
			snprintf(why, why_len, "%s:%zu: cannot read `%s`", path, lineno, key);
			return -1;
		}
	}
	if (v->rec.kind == NULL || v->rec.uuid[0] == '\0') {
		snprintf(why, why_len, "%s: kind or uuid missing", path);
		return -1;
	}
	return 0;
}
