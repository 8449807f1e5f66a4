/* What a record says about its process: identity (collected once, in the
 * constructor, kept in static memory for the dlopen and exit records), the
 * command line, modules and environment (process record only). */
#ifndef OGRT_COLLECT_H
#define OGRT_COLLECT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "record.h"

#define OGRT_SHORT_COPY 1024 /* bytes kept of job id and user name; the encoder cuts to 255 */

struct ogrt_text {
	char buf[OGRT_SHORT_COPY];
	size_t len;
	int present, truncated;
};

struct ogrt_process {
	char uuid[OGRT_UUID_LEN + 1];
	uint64_t start_us;
	long long pid, ppid, uid;
	char hostname[256];
	size_t hostname_len;
	struct ogrt_text job_id, username;
	char binpath[PATH_MAX];
	size_t binpath_len;
	char signature[OGRT_UUID_LEN + 1]; /* "" when not stamped */
};

uint64_t ogrt_now_us(void);

/* Absolute path of the executable (/proc/self/exe, else AT_EXECFN) into
 * buf; returns its length, 0 when unknown. */
size_t ogrt_collect_binpath(char *buf, size_t cap);

/* Time, host, job id, pids, uid, user name (per c->username_source), the
 * variables from c->envp. */
void ogrt_collect_identity(struct ogrt_process *p, const struct ogrt_config *c);

/* Fills the fields every record kind shares from p; kind "process" gets the
 * record uuid p->uuid, the others a fresh uuid and process_uuid. */
void ogrt_record_init(struct ogrt_record *r, const struct ogrt_process *p, const char *kind);

/* argv joined by single spaces, at most max bytes (then marked truncated);
 * argv from the constructor, else /proc/self/cmdline. */
void ogrt_collect_cmdline(struct ogrt_record *r, int argc, char **argv, size_t max);

/* LOADEDMODULES split on ':' and the whitelisted (or all) environment
 * variables of envp, into scratch memory. Returns 0, or -1 out of memory. */
int ogrt_collect_modules(struct ogrt_record *r, char *const *envp);
int ogrt_collect_env(struct ogrt_record *r, char *const *envp, const char *whitelist);

#endif
