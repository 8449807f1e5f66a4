/* One OGRT record as the encoder sees it (docs/protocol.md §2). Every string
 * is a byte range that need not be NUL-terminated nor valid UTF-8; the
 * collector owns the bytes (static buffers, the environment, the loader's
 * link map) for as long as the record is being encoded. */
#ifndef OGRT_RECORD_H
#define OGRT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "uuid.h"

struct ogrt_bytes {
	const char *ptr;         /* NULL: field absent */
	size_t len;
	unsigned char truncated; /* the collector already cut it: the `t` flag */
};

struct ogrt_so {
	struct ogrt_bytes path;
	struct ogrt_bytes sig;   /* .ptr NULL: not stamped */
};

/* Number fields of ogrt@32473, in wire order among the strings (see rfc5424.c). */
enum ogrt_num {
	OGRT_NUM_PID,
	OGRT_NUM_PARENT_PID,
	OGRT_NUM_UID,
	OGRT_NUM_EXIT_STATUS,
	OGRT_NUM_WALL_TIME_US,
	OGRT_NUM_MAX_RSS_KB,
	OGRT_NUM_COUNT
};

struct ogrt_record {
	const char *kind;        /* MSGID: "process", "dlopen" or "exit" */
	char uuid[OGRT_UUID_LEN + 1];
	uint64_t time_us;
	struct ogrt_bytes process_uuid, hostname, job_id, username, binpath, signature, cmdline;
	int64_t num[OGRT_NUM_COUNT];
	unsigned num_present;    /* bit (1u << enum ogrt_num) per present number */
	const struct ogrt_so *so;
	size_t n_so;
	const struct ogrt_bytes *mod;
	size_t n_mod;
	const struct ogrt_bytes *env;
	size_t n_env;
};

static inline void ogrt_record_set_num(struct ogrt_record *r, enum ogrt_num which, int64_t v)
{
	r->num[which] = v;
	r->num_present |= 1u << which;
}

#endif
