/* SD-PARAM values (docs/protocol.md §3): plain or percent form, RFC 5424
 * escapes, and the cut to a cap in encoded bytes between whole units. */
#ifndef OGRT_VALUE_H
#define OGRT_VALUE_H

#include <stddef.h>

enum { OGRT_VALUE_PERCENT = 1, OGRT_VALUE_CUT = 2 };

/* Length of the valid UTF-8 character (RFC 3629) at s[0..n), 1–4, or 0 when
 * s[0] does not start one (overlong, surrogate, > U+10FFFF, cut short). */
size_t ogrt_utf8_char(const unsigned char *s, size_t n);

/* 1 if s[0..n) goes in plain form: valid UTF-8 without C0 controls or DEL. */
int ogrt_value_is_plain(const unsigned char *s, size_t n);

/* Encodes s[0..n) into out (NULL: only measure), writing at most cap bytes:
 * the longest prefix of whole units whose encoding fits. Stores the encoded
 * length in *len and returns OGRT_VALUE_PERCENT and/or OGRT_VALUE_CUT. */
unsigned ogrt_value_encode(const unsigned char *s, size_t n, size_t cap, char *out, size_t *len);

#endif
