#include "value.h"

#include <string.h>

static const char hex_upper[] = "0123456789ABCDEF";

/* Printable ASCII without `"`, `\\` and `]`: bytes that a value made only of
 * them (the common case: paths, numbers, names) keeps as they are. */
static const unsigned char simple[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

size_t ogrt_utf8_char(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4) /* continuation byte, overlong C0/C1, > U+10FFFF */
		return 0;
	if (c < 0xe0) {
		len = 2;
	} else if (c < 0xf0) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* > U+10FFFF */
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

int ogrt_value_is_plain(const unsigned char *s, size_t n)
{
	size_t i = 0, u;

	while (i < n) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x7f) {
			i++;
			continue;
		}
		if (c < 0x80) /* C0 control or DEL */
			return 0;
		u = ogrt_utf8_char(s + i, n - i);
		if (u == 0)
			return 0;
		i += u;
	}
	return 1;
}

static int needs_escape(unsigned char c)
{
	return c == '"' || c == '\\' || c == ']';
}

/* 1 if the byte is printable ASCII that both forms copy as it is. */
static int is_verbatim(unsigned char c, int percent)
{
	return c >= 0x20 && c < 0x7f && !needs_escape(c) && !(percent && c == '%');
}

/* Encoded size of the unit at s[0..n) and its length in *unit. */
static size_t unit_size(const unsigned char *s, size_t n, int percent, size_t *unit)
{
	unsigned char c = s[0];
	size_t u;

	*unit = 1;
	if (c < 0x80) {
		if (needs_escape(c))
			return 2;
		if (percent && (c < 0x20 || c == 0x7f || c == '%'))
			return 3;
		return 1;
	}
	u = ogrt_utf8_char(s, n);
	if (u == 0) /* only possible in percent form */
		return 3;
	*unit = u;
	return u;
}

unsigned ogrt_value_encode(const unsigned char *s, size_t n, size_t cap, char *out, size_t *len)
{
	size_t k = 0;
	int percent;

	/* Fast path: one table lookup per byte, then one copy. */
	while (k < n && simple[s[k]])
		k++;
	if (k == n) {
		*len = n <= cap ? n : cap;
		if (out != NULL)
			memcpy(out, s, *len);
		return n <= cap ? 0 : OGRT_VALUE_CUT;
	}
	percent = !ogrt_value_is_plain(s + k, n - k);
	unsigned flags = percent ? OGRT_VALUE_PERCENT : 0;
	size_t i = 0, o = 0;


	while (i < n) {
		size_t unit, size, run = 0;

		/* Fast path: a run of printable ASCII that encodes as itself. */
		while (i + run < n && is_verbatim(s[i + run], percent))
			run++;
		if (run > 0) {
			if (run > cap - o) {
				run = cap - o;
				flags |= OGRT_VALUE_CUT;
			}
			if (out != NULL)
				memcpy(out + o, s + i, run);
			o += run;
			i += run;
			if (flags & OGRT_VALUE_CUT)
				break;
			continue;
		}
		size = unit_size(s + i, n - i, percent, &unit);
		if (o + size > cap) {
			flags |= OGRT_VALUE_CUT;
			break;
		}
		if (out != NULL) {
			if (size == unit) {
				memcpy(out + o, s + i, unit);
			} else if (size == 2) {
				out[o] = '\\';
				out[o + 1] = (char)s[i];
			} else {
				out[o] = '%';
				out[o + 1] = hex_upper[s[i] >> 4];
				out[o + 2] = hex_upper[s[i] & 15];
			}
		}
		o += size;
		i += unit;
	}
	*len = o;
	return flags;
}
