/* Settings of libogrt.so: compile-time defaults, each overridable at run
 * time by the environment variable of the same name (docs/preload.md). */
#ifndef OGRT_CONFIG_H
#define OGRT_CONFIG_H

#include <stddef.h>

#include "transport.h"

#ifndef OGRT_DEFAULT_TRANSPORT
#define OGRT_DEFAULT_TRANSPORT "unix:///run/ogrt/ogrt.sock"
#endif
#ifndef OGRT_DEFAULT_JOBID_VARS
#define OGRT_DEFAULT_JOBID_VARS "SLURM_JOB_ID:PBS_JOBID:LSB_JOBID:JOB_ID:FLUX_JOB_ID"
#endif
#ifndef OGRT_DEFAULT_ENV_VARS
#define OGRT_DEFAULT_ENV_VARS "OMP_NUM_THREADS:SLURM_CPUS_PER_TASK:SLURM_NTASKS:LD_LIBRARY_PATH:PATH"
#endif
#ifndef OGRT_DEFAULT_TIMEOUT_MS
#define OGRT_DEFAULT_TIMEOUT_MS 20
#endif
#ifndef OGRT_DEFAULT_CMDLINE_MAX
#define OGRT_DEFAULT_CMDLINE_MAX 4096
#endif
#define OGRT_CMDLINE_MAX_LIMIT 65536
#define OGRT_TIMEOUT_MS_LIMIT 10000

enum ogrt_username_source { OGRT_USER_ENV, OGRT_USER_NSS, OGRT_USER_NONE };

struct ogrt_config {
	char *const *envp;       /* the environment the settings came from */
	int silent, debug_info, dlopen, exit_record;
	struct ogrt_transport transport;
	const char *transport_uri;
	const char *env_jobid;   /* NULL: search jobid_vars */
	const char *jobid_vars;  /* ':'-separated names */
	enum ogrt_username_source username_source;
	const char *env_vars;    /* ':'-separated names, or "all" */
	const char *skip_prefixes, *skip_patterns; /* ':'-separated, may be NULL */
	size_t max_message_size, cmdline_max;
	unsigned timeout_ms;
};

/* Every function reads the environment from envp (the constructor's third
 * argument), never with getenv: see str.h. */

/* 1 if OGRT_ACTIVE is exactly "1". */
int ogrt_config_active(char *const *envp);

/* Reads every setting from envp. A bad value keeps its default and prints
 * one line to stderr (unless OGRT_SILENT=1). Returns 0, or -1 when the
 * transport cannot be used (nothing will be sent). */
int ogrt_config_load(struct ogrt_config *c, char *const *envp);

/* 1 if the executable at path is excluded by OGRT_SKIP_PREFIXES (plain
 * string prefixes) or OGRT_SKIP_PATTERNS (fnmatch(3) patterns matched against
 * the whole path). Reads only those two variables: it runs before any other
 * work. */
int ogrt_config_skips(char *const *envp, const char *path);

/* Prints the effective settings to stderr (OGRT_DEBUG_INFO=1). */
void ogrt_config_print(const struct ogrt_config *c);

/* One line `ogrt: ...` on stderr with write(2): no stdio, no locks held.
 * NULL parts are left out. */
void ogrt_say(const char *a, const char *b, const char *c, const char *d, const char *e);

#endif
