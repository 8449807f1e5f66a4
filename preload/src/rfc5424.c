#include "rfc5424.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "fmt.h"
#include "str.h"

#define SHORT_CAP 255

size_t ogrt_long_cap(size_t max)
{
	return (max - 2048) / 2;
}

/* ---- record fields of ogrt@32473 (§2), in wire order ------------------- */

enum field_kind { F_SHORT, F_LONG, F_TIME, F_NUM, F_SIGNED };

static const struct field {
	const char *name;
	unsigned char kind;
	unsigned char num;     /* enum ogrt_num for F_NUM/F_SIGNED */
	unsigned short offset; /* of the struct ogrt_bytes for F_SHORT/F_LONG */
} fields[] = {
	{ "process_uuid", F_SHORT, 0, offsetof(struct ogrt_record, process_uuid) },
	{ "time", F_TIME, 0, 0 },
	{ "hostname", F_SHORT, 0, offsetof(struct ogrt_record, hostname) },
	{ "job_id", F_SHORT, 0, offsetof(struct ogrt_record, job_id) },
	{ "pid", F_NUM, OGRT_NUM_PID, 0 },
	{ "parent_pid", F_NUM, OGRT_NUM_PARENT_PID, 0 },
	{ "uid", F_NUM, OGRT_NUM_UID, 0 },
	{ "username", F_SHORT, 0, offsetof(struct ogrt_record, username) },
	{ "binpath", F_LONG, 0, offsetof(struct ogrt_record, binpath) },
	{ "signature", F_SHORT, 0, offsetof(struct ogrt_record, signature) },
	{ "cmdline", F_LONG, 0, offsetof(struct ogrt_record, cmdline) },
	{ "exit_status", F_SIGNED, OGRT_NUM_EXIT_STATUS, 0 },
	{ "wall_time_us", F_NUM, OGRT_NUM_WALL_TIME_US, 0 },
	{ "max_rss_kb", F_NUM, OGRT_NUM_MAX_RSS_KB, 0 },
};

#define N_FIELDS (sizeof fields / sizeof fields[0])

static const struct ogrt_bytes *field_bytes(const struct ogrt_record *r, const struct field *f)
{
	return (const struct ogrt_bytes *)((const char *)r + f->offset);
}

/* Calls measure (o NULL) or writes (o set) each present field; returns size. */
static size_t do_fields(const struct ogrt_record *r, size_t long_cap, struct ogrt_out *o)
{
	char tmp[24];
	size_t i, n, total = 0;

	for (i = 0; i < N_FIELDS; i++) {
		const struct field *f = &fields[i];
		size_t name_len = ogrt_strlen(f->name), cap = f->kind == F_LONG ? long_cap : SHORT_CAP;
		int64_t v;

		if (f->kind == F_SHORT || f->kind == F_LONG) {
			const struct ogrt_bytes *b = field_bytes(r, f);
			if (b->ptr == NULL)
				continue;
			if (o != NULL)
				ogrt_put_param(o, f->name, name_len, b, cap);
			else
				total += ogrt_param_size(name_len, b, cap);
			continue;
		}
		if (f->kind == F_TIME) {
			v = (int64_t)r->time_us;
		} else {
			if (!(r->num_present & (1u << f->num)))
				continue;
			v = r->num[f->num];
		}
		n = ogrt_fmt_i64(tmp, v, f->kind == F_SIGNED);
		if (o != NULL) {
			ogrt_put(o, " ", 1);
			ogrt_put(o, f->name, name_len);
			OGRT_PUT_LIT(o, "=\"");
			ogrt_put(o, tmp, n);
			OGRT_PUT_LIT(o, "\"");
		}
		total += ogrt_plain_param_size(name_len, n);
	}
	return total;
}

/* ---- list items (§4): shared objects, then modules, then environment ---- */

enum { OPEN_SO = 1, OPEN_SIG = 2, OPEN_MOD = 4, OPEN_ENV = 8 };

static const char sd_so[] = "ogrt-so@32473", sd_sig[] = "ogrt-sig@32473", sd_mod[] = "ogrt-mod@32473",
		  sd_env[] = "ogrt-env@32473";

#define WRAPPER(id) (sizeof(id) - 1 + 2) /* `[` SD-ID `]` */

/* An empty signature is none (§4). */
static int has_sig(const struct ogrt_so *so)
{
	return so->sig.ptr != NULL && so->sig.len > 0;
}

static size_t n_items(const struct ogrt_record *r)
{
	return r->n_so + r->n_mod + r->n_env;
}

static size_t index_param_size(size_t index, const struct ogrt_bytes *v, size_t cap)
{
	return ogrt_param_size(ogrt_u64_digits(index), v, cap);
}

/* Bytes item i adds to a part whose open elements are *open; updates *open. */
static size_t item_size(const struct ogrt_record *r, size_t i, size_t cap, unsigned *open)
{
	size_t size;

	if (i < r->n_so) {
		const struct ogrt_so *so = &r->so[i];
		size = index_param_size(i, &so->path, cap);
		if (!(*open & OPEN_SO))
			size += WRAPPER(sd_so);
		*open |= OPEN_SO;
		if (has_sig(so)) {
			size += index_param_size(i, &so->sig, cap);
			if (!(*open & OPEN_SIG))
				size += WRAPPER(sd_sig);
			*open |= OPEN_SIG;
		}
		return size;
	}
	i -= r->n_so;
	if (i < r->n_mod) {
		size = index_param_size(i, &r->mod[i], cap);
		if (!(*open & OPEN_MOD))
			size += WRAPPER(sd_mod);
		*open |= OPEN_MOD;
		return size;
	}
	i -= r->n_mod;
	size = index_param_size(i, &r->env[i], cap);
	if (!(*open & OPEN_ENV))
		size += WRAPPER(sd_env);
	*open |= OPEN_ENV;
	return size;
}

/* End (exclusive) of the part that starts with item `start` at size `base`.
 * The first item of every part after the first goes in unconditionally: it
 * was moved there because it did not fit the part before (§4 step 3). */
static size_t part_end(const struct ogrt_record *r, size_t start, size_t base, int first_part, size_t max,
		       size_t cap)
{
	size_t i, size = base, total = n_items(r);
	unsigned open = 0;

	for (i = start; i < total; i++) {
		size_t add = item_size(r, i, cap, &open);
		if (size + add > max && (first_part || i > start))
			break;
		size += add;
	}
	return i;
}

struct sizes {
	char header[OGRT_HEADER_MAX];
	size_t header_len;
	size_t base_rest;  /* base size of parts 2.. */
	size_t base_first; /* base size of part 1: base_rest + record fields */
	size_t long_cap;
};

static void compute_sizes(struct sizes *s, const struct ogrt_record *r, size_t max, int pri)
{
	s->header_len = ogrt_fmt_header(s->header, r, pri);
	s->long_cap = ogrt_long_cap(max);
	s->base_rest = s->header_len + sizeof("[ogrt@32473 v=\"1\" uuid=\"") - 1 + OGRT_UUID_LEN +
		       sizeof("\" part=\"\" parts=\"\"") - 1 + 1 + 10;
	s->base_first = s->base_rest + do_fields(r, s->long_cap, NULL);
}

static unsigned count_parts(const struct ogrt_record *r, const struct sizes *s, size_t max)
{
	size_t start = 0, total = n_items(r);
	unsigned parts = 1;

	start = part_end(r, 0, s->base_first, 1, max, s->long_cap);
	while (start < total) {
		start = part_end(r, start, s->base_rest, 0, max, s->long_cap);
		parts++;
	}
	return parts;
}

unsigned ogrt_count_parts(const struct ogrt_record *r, size_t max)
{
	struct sizes s;

	compute_sizes(&s, r, max, OGRT_PRI_DEFAULT);
	return count_parts(r, &s, max);
}

static void put_index_param(struct ogrt_out *o, size_t index, const struct ogrt_bytes *v, size_t cap)
{
	char name[24];

	ogrt_put_param(o, name, ogrt_fmt_i64(name, (int64_t)index, 0), v, cap);
}

/* Writes the list elements of items [start, end) in §2 order. */
static void put_items(struct ogrt_out *o, const struct ogrt_record *r, size_t start, size_t end, size_t cap)
{
	size_t i, so_end = end < r->n_so ? end : r->n_so;
	size_t mod_end = end < r->n_so + r->n_mod ? end : r->n_so + r->n_mod;
	int any_sig = 0;

	if (start < so_end) {
		ogrt_put(o, "[", 1);
		OGRT_PUT_LIT(o, sd_so);
		for (i = start; i < so_end; i++) {
			put_index_param(o, i, &r->so[i].path, cap);
			any_sig |= has_sig(&r->so[i]);
		}
		ogrt_put(o, "]", 1);
	}
	if (any_sig) {
		ogrt_put(o, "[", 1);
		OGRT_PUT_LIT(o, sd_sig);
		for (i = start; i < so_end; i++)
			if (has_sig(&r->so[i]))
				put_index_param(o, i, &r->so[i].sig, cap);
		ogrt_put(o, "]", 1);
	}
	i = start > r->n_so ? start : r->n_so;
	if (i < mod_end) {
		ogrt_put(o, "[", 1);
		OGRT_PUT_LIT(o, sd_mod);
		for (; i < mod_end; i++)
			put_index_param(o, i - r->n_so, &r->mod[i - r->n_so], cap);
		ogrt_put(o, "]", 1);
	}
	i = start > mod_end ? start : mod_end;
	if (i < end) {
		size_t skip = r->n_so + r->n_mod;
		ogrt_put(o, "[", 1);
		OGRT_PUT_LIT(o, sd_env);
		for (; i < end; i++)
			put_index_param(o, i - skip, &r->env[i - skip], cap);
		ogrt_put(o, "]", 1);
	}
}

int ogrt_encode(const struct ogrt_record *r, size_t max, int pri, char *buf, ogrt_sink sink, void *ctx)
{
	struct sizes s;
	size_t start = 0, end, total = n_items(r);
	unsigned parts, part;

	if (max < OGRT_MESSAGE_SIZE_MIN || max > OGRT_MESSAGE_SIZE_MAX || pri < 0 || pri > 191)
		return -EINVAL;
	compute_sizes(&s, r, max, pri);
	parts = count_parts(r, &s, max);
	for (part = 1; part <= parts; part++) {
		char *msg = buf + OGRT_FRAME_ROOM;
		struct ogrt_out o = { msg, msg + max + OGRT_MESSAGE_SLACK };
		int rc;

		if (parts == 1)
			end = total;
		else
			end = part_end(r, start, part == 1 ? s.base_first : s.base_rest, part == 1, max, s.long_cap);
		ogrt_put(&o, s.header, s.header_len);
		OGRT_PUT_LIT(&o, "[ogrt@32473 v=\"1\" uuid=\"");
		ogrt_put(&o, r->uuid, OGRT_UUID_LEN);
		OGRT_PUT_LIT(&o, "\" part=\"");
		ogrt_put_num(&o, part, 0);
		OGRT_PUT_LIT(&o, "\" parts=\"");
		ogrt_put_num(&o, parts, 0);
		OGRT_PUT_LIT(&o, "\"");
		if (part == 1)
			do_fields(r, s.long_cap, &o);
		ogrt_put(&o, "]", 1);
		put_items(&o, r, start, end, s.long_cap);
		rc = sink(ctx, msg, (size_t)(o.p - msg), part, parts);
		if (rc != 0)
			return rc;
		start = end;
	}
	return 0;
}
