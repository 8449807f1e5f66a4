#include "fmt.h"

#include <string.h>

#include "str.h"
#include "value.h"


void ogrt_put(struct ogrt_out *o, const char *s, size_t n)
{
	if (n > (size_t)(o->end - o->p))
		n = (size_t)(o->end - o->p);
	memcpy(o->p, s, n);
	o->p += n;
}


size_t ogrt_u64_digits(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Writes v in decimal to s (room for 20 digits and a sign), returns length. */
size_t ogrt_fmt_i64(char *s, int64_t v, int is_signed)
{
	uint64_t u = (uint64_t)v;
	size_t n, i, neg = 0;

	if (is_signed && v < 0) {
		s[0] = '-';
		neg = 1;
		u = 0 - u;
	}
	n = ogrt_u64_digits(u);
	for (i = n; i > 0; i--) {
		s[neg + i - 1] = (char)('0' + u % 10);
		u /= 10;
	}
	return neg + n;
}

void ogrt_put_num(struct ogrt_out *o, int64_t v, int is_signed)
{
	char tmp[24];

	ogrt_put(o, tmp, ogrt_fmt_i64(tmp, v, is_signed));
}

/* YYYY-MM-DDThh:mm:ss.ffffffZ from microseconds since the epoch; days to
 * civil date after Howard Hinnant's algorithm (no gmtime: it may load the
 * time zone file). */
size_t ogrt_fmt_timestamp(char *s, uint64_t us)
{
	uint64_t secs = us / 1000000, frac = us % 1000000;
	uint64_t days = secs / 86400, sod = secs % 86400;
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	uint64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	uint64_t y = yoe + era * 400 + (m <= 2);
	uint64_t parts[5] = { m, d, sod / 3600, sod / 60 % 60, sod % 60 };
	static const char sep[] = "--T::"; /* before month, day, hour, minute, second */
	size_t i, k = 0;

	if (y > 9999)
		y = 9999;
	s[k++] = (char)('0' + y / 1000);
	s[k++] = (char)('0' + y / 100 % 10);
	s[k++] = (char)('0' + y / 10 % 10);
	s[k++] = (char)('0' + y % 10);
	for (i = 0; i < 5; i++) {
		s[k++] = sep[i];
		s[k++] = (char)('0' + parts[i] / 10);
		s[k++] = (char)('0' + parts[i] % 10);
	}
	s[k++] = '.';
	for (i = 6; i > 0; i--) {
		s[k + i - 1] = (char)('0' + frac % 10);
		frac /= 10;
	}
	k += 6;
	s[k++] = 'Z';
	return k;
}

/* Bytes of ` NAME[~flags]="VALUE"` for a value encoded to len with flags. */
static size_t param_size(size_t name_len, size_t len, unsigned flags)
{
	return 1 + name_len + (flags ? 1 : 0) + !!(flags & OGRT_VALUE_PERCENT) + !!(flags & OGRT_VALUE_CUT) + 2 +
	       len + 1;
}

static unsigned value_flags(const struct ogrt_bytes *v, size_t cap, size_t *len)
{
	unsigned flags = ogrt_value_encode((const unsigned char *)v->ptr, v->len, cap, NULL, len);

	return v->truncated ? flags | OGRT_VALUE_CUT : flags;
}

size_t ogrt_param_size(size_t name_len, const struct ogrt_bytes *v, size_t cap)
{
	size_t len;
	unsigned flags = value_flags(v, cap, &len);

	return param_size(name_len, len, flags);
}

/* Writes ` NAME[~flags]="VALUE"`. The value is encoded in place right after
 * `="` and moved only when it needs flags. */
void ogrt_put_param(struct ogrt_out *o, const char *name, size_t name_len, const struct ogrt_bytes *v,
			     size_t cap)
{
	size_t len, fl;
	unsigned flags;
	char *at;

	/* Room for the flags and quotes is kept; the space left limits the cap
	 * only when the buffer is smaller than OGRT_ENCODE_BUF_SIZE says. */
	if ((size_t)(o->end - o->p) < 1 + name_len + 3 + 2 + 1) {
		o->p = o->end;
		return;
	}
	ogrt_put(o, " ", 1);
	ogrt_put(o, name, name_len);
	at = o->p;
	if (cap > (size_t)(o->end - at) - 6)
		cap = (size_t)(o->end - at) - 6;
	flags = ogrt_value_encode((const unsigned char *)v->ptr, v->len, cap, at + 2, &len);
	if (v->truncated)
		flags |= OGRT_VALUE_CUT;
	fl = flags ? 1 + !!(flags & OGRT_VALUE_PERCENT) + !!(flags & OGRT_VALUE_CUT) : 0;
	if (fl) {
		memmove(at + fl + 2, at + 2, len);
		*at++ = '~';
		if (flags & OGRT_VALUE_PERCENT)
			*at++ = 'p';
		if (flags & OGRT_VALUE_CUT)
			*at++ = 't';
	}
	at[0] = '=';
	at[1] = '"';
	at[2 + len] = '"';
	o->p = at + 3 + len;
}


size_t ogrt_plain_param_size(size_t name_len, size_t len)
{
	return param_size(name_len, len, 0);
}

/* `<PRI>1 TIMESTAMP HOSTNAME ogrt PROCID MSGID ` (§1). */
size_t ogrt_fmt_header(char *s, const struct ogrt_record *r, int pri)
{
	const struct ogrt_bytes *h = &r->hostname;
	int host_ok = h->ptr != NULL && h->len >= 1 && h->len <= 255;
	size_t i, k = 0;

	for (i = 0; host_ok && i < h->len; i++)
		host_ok = (unsigned char)h->ptr[i] >= 33 && (unsigned char)h->ptr[i] <= 126;
	s[k++] = '<';
	k += ogrt_fmt_i64(s + k, pri, 0);
	memcpy(s + k, ">1 ", 3);
	k += 3;
	k += ogrt_fmt_timestamp(s + k, r->time_us);
	s[k++] = ' ';
	if (host_ok) {
		memcpy(s + k, h->ptr, h->len);
		k += h->len;
	} else {
		s[k++] = '-';
	}
	memcpy(s + k, " ogrt ", 6);
	k += 6;
	if (r->num_present & (1u << OGRT_NUM_PID))
		k += ogrt_fmt_i64(s + k, r->num[OGRT_NUM_PID], 1);
	else
		s[k++] = '-';
	s[k++] = ' ';
	i = ogrt_strlen(r->kind);
	memcpy(s + k, r->kind, i);
	k += i;
	s[k++] = ' ';
	return k;
}
