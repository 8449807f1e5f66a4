/* Hand-written appenders for the encoder (no vsnprintf: one per field was
 * half the constructor's instructions): a bounded writer, decimal numbers,
 * the RFC 3339 timestamp, and ` NAME[~flags]="VALUE"` parameters. */
#ifndef OGRT_FMT_H
#define OGRT_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* A bounded writer: output never passes end, whatever the input. */
struct ogrt_out {
	char *p;
	char *end;
};

void ogrt_put(struct ogrt_out *o, const char *s, size_t n);
#define OGRT_PUT_LIT(o, lit) ogrt_put((o), (lit), sizeof(lit) - 1)

size_t ogrt_u64_digits(uint64_t v);

/* v in decimal into s (room for 21 bytes); negative only if is_signed. */
size_t ogrt_fmt_i64(char *s, int64_t v, int is_signed);
void ogrt_put_num(struct ogrt_out *o, int64_t v, int is_signed);

/* YYYY-MM-DDThh:mm:ss.ffffffZ (27 bytes) from microseconds since the epoch. */
size_t ogrt_fmt_timestamp(char *s, uint64_t us);

/* `<PRI>1 TIMESTAMP HOSTNAME ogrt PROCID MSGID ` (protocol.md §1) into s
 * (OGRT_HEADER_MAX bytes); HOSTNAME is `-` unless 1–255 bytes of %d33-126.
 * r->kind must be one of the three kinds. */
#define OGRT_HEADER_MAX 400 /* <191>1 + timestamp + 255 host + ogrt + 20-digit pid + msgid */
size_t ogrt_fmt_header(char *s, const struct ogrt_record *r, int pri);

/* Size of ` NAME[~flags]="VALUE"` for v encoded with cap (protocol.md §3). */
size_t ogrt_param_size(size_t name_len, const struct ogrt_bytes *v, size_t cap);

/* Bytes of a parameter whose value is already text of len bytes, no flags. */
size_t ogrt_plain_param_size(size_t name_len, size_t len);

/* Writes ` NAME[~flags]="VALUE"`. */
void ogrt_put_param(struct ogrt_out *o, const char *name, size_t name_len, const struct ogrt_bytes *v, size_t cap);

#endif
