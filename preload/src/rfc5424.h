/* The RFC 5424 encoder of docs/protocol.md: one record into one or more
 * messages, split deterministically (§4), each written into the caller's
 * fixed buffer and handed to a sink as soon as it is complete. No
 * allocation, no stdio, no locale: safe in the preload constructor. */
#ifndef OGRT_RFC5424_H
#define OGRT_RFC5424_H

#include <stddef.h>

#include "record.h"

#define OGRT_PRI_DEFAULT 14          /* facility user, severity info */
#define OGRT_MESSAGE_SIZE_MIN 4096
#define OGRT_MESSAGE_SIZE_DEFAULT 8096
#define OGRT_MESSAGE_SIZE_MAX 65000  /* a UDP datagram must hold it */

/* Room before each message for a framing prefix (`LEN SP` of RFC 6587), and
 * after it for the pathological part 1 that the caps of §3 only nearly bound
 * (every short field at 255 bytes). */
#define OGRT_FRAME_ROOM 16
#define OGRT_MESSAGE_SLACK 4096
#define OGRT_ENCODE_BUF_SIZE(max) (OGRT_FRAME_ROOM + (max) + OGRT_MESSAGE_SLACK)

/* Gets each finished message; msg has OGRT_FRAME_ROOM writable bytes before
 * it. Returns 0 to go on, non-zero to stop (that value is returned). */
typedef int (*ogrt_sink)(void *ctx, char *msg, size_t len, unsigned part, unsigned parts);

/* Long-value cap L = floor((M - 2048) / 2). */
size_t ogrt_long_cap(size_t max_message_size);

/* Number of messages the record needs with message size max (4096..65000). */
unsigned ogrt_count_parts(const struct ogrt_record *r, size_t max);

/* Encodes every part in order into buf (OGRT_ENCODE_BUF_SIZE(max) bytes) and
 * passes each to sink. Returns 0, -EINVAL for a bad size, or the sink's
 * non-zero value. */
int ogrt_encode(const struct ogrt_record *r, size_t max, int pri, char *buf, ogrt_sink sink, void *ctx);

#endif
