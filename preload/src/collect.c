#include "collect.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "scratch.h"
#include "str.h"

uint64_t ogrt_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

size_t ogrt_collect_binpath(char *buf, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
	const char *execfn;
	size_t len;

	if (n > 0 && (size_t)n < cap - 1) {
		buf[n] = '\0';
		return (size_t)n;
	}
	/* No /proc (a chroot, a sandbox): the path given to execve. */
	execfn = (const char *)getauxval(AT_EXECFN);
	if (execfn == NULL || (len = ogrt_strlen(execfn)) >= cap)
		return 0;
	memcpy(buf, execfn, len + 1);
	return len;
}

static void text_set(struct ogrt_text *t, const char *s)
{
	size_t len = ogrt_strlen(s);

	t->present = 1;
	t->truncated = len > sizeof t->buf;
	t->len = t->truncated ? sizeof t->buf : len;
	memcpy(t->buf, s, t->len);
}

/* The first variable of a ':' list that is set (and not empty). */
static const char *first_set(char *const *envp, const char *list)
{
	while (list != NULL && *list != '\0') {
		const char *end = ogrt_strchrnul(list, ':'), *e;
		size_t len = (size_t)(end - list);
		if (len > 0 && (e = ogrt_env_entry(envp, list, len)) != NULL && e[len + 1] != '\0')
			return e + len + 1;
		list = *end != '\0' ? end + 1 : end;
	}
	return NULL;
}

/* getpwuid_r can take 100 µs, or hang on a dead LDAP server: opt-in only. */
static void username_nss(struct ogrt_text *t, uid_t uid)
{
	static char buf[8192];
	struct passwd pw, *res = NULL;

	if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res != NULL && res->pw_name != NULL)
		text_set(t, res->pw_name);
}

void ogrt_collect_identity(struct ogrt_process *p, const struct ogrt_config *c)
{
	const char *v;

	p->start_us = ogrt_now_us();
	if (gethostname(p->hostname, sizeof p->hostname) != 0)
		p->hostname[0] = '\0';
	p->hostname[sizeof p->hostname - 1] = '\0';
	p->hostname_len = ogrt_strlen(p->hostname);
	v = c->env_jobid != NULL ? ogrt_env_get(c->envp, c->env_jobid) : first_set(c->envp, c->jobid_vars);
	if (v != NULL && v[0] != '\0')
		text_set(&p->job_id, v);
	p->pid = getpid();
	p->ppid = getppid();
	p->uid = getuid();
	if (c->username_source == OGRT_USER_ENV) {
		v = ogrt_env_get(c->envp, "USER");
		if (v == NULL || v[0] == '\0')
			v = ogrt_env_get(c->envp, "LOGNAME");
		if (v != NULL && v[0] != '\0')
			text_set(&p->username, v);
	} else if (c->username_source == OGRT_USER_NSS) {
		username_nss(&p->username, (uid_t)p->uid);
	}
}

static struct ogrt_bytes text_bytes(const struct ogrt_text *t)
{
	return (struct ogrt_bytes){ t->present ? t->buf : NULL, t->len, (unsigned char)t->truncated };
}

void ogrt_record_init(struct ogrt_record *r, const struct ogrt_process *p, const char *kind)
{
	memset(r, 0, sizeof *r);
	r->kind = kind;
	r->time_us = ogrt_now_us();
	if (kind[0] == 'p') {
		memcpy(r->uuid, p->uuid, sizeof r->uuid);
		r->time_us = p->start_us;
	} else {
		ogrt_uuid_v4(r->uuid);
		r->process_uuid = (struct ogrt_bytes){ p->uuid, OGRT_UUID_LEN, 0 };
	}
	r->hostname = (struct ogrt_bytes){ p->hostname, p->hostname_len, 0 };
	r->job_id = text_bytes(&p->job_id);
	ogrt_record_set_num(r, OGRT_NUM_PID, kind[0] == 'p' ? p->pid : (long long)getpid());
	ogrt_record_set_num(r, OGRT_NUM_PARENT_PID, kind[0] == 'p' ? p->ppid : (long long)getppid());
	ogrt_record_set_num(r, OGRT_NUM_UID, p->uid);
	r->username = text_bytes(&p->username);
	if (p->binpath_len > 0)
		r->binpath = (struct ogrt_bytes){ p->binpath, p->binpath_len, 0 };
}

static char cmdline[OGRT_CMDLINE_MAX_LIMIT];

/* /proc/self/cmdline, NULs turned into spaces; for a missing argv. */
static size_t cmdline_from_proc(size_t max, int *cut)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	size_t n = 0, i;
	char extra;
	ssize_t got;

	*cut = 0;
	if (fd < 0)
		return 0;
	while (n < max && ((got = read(fd, cmdline + n, max - n)) > 0 || (got < 0 && errno == EINTR)))
		if (got > 0)
			n += (size_t)got;
	if (n == max && read(fd, &extra, 1) == 1)
		*cut = 1;
	close(fd);
	while (n > 0 && cmdline[n - 1] == '\0' && !*cut)
		n--;
	for (i = 0; i < n; i++)
		if (cmdline[i] == '\0')
			cmdline[i] = ' ';
	return n;
}

void ogrt_collect_cmdline(struct ogrt_record *r, int argc, char **argv, size_t max)
{
	size_t n = 0;
	int i, cut = 0;

	if (max > sizeof cmdline)
		max = sizeof cmdline;
	if (argc <= 0 || argv == NULL) {
		n = cmdline_from_proc(max, &cut);
	} else {
		for (i = 0; i < argc && argv[i] != NULL && !cut; i++) {
			size_t len = ogrt_strlen(argv[i]);
			if (i > 0) {
				if (n == max) {
					cut = 1;
					break;
				}
				cmdline[n++] = ' ';
			}
			if (len > max - n) {
				len = max - n;
				cut = 1;
			}
			memcpy(cmdline + n, argv[i], len);
			n += len;
		}
	}
	r->cmdline = (struct ogrt_bytes){ cmdline, n, (unsigned char)cut };
}

int ogrt_collect_modules(struct ogrt_record *r, char *const *envp)
{
	const char *list = ogrt_env_get(envp, "LOADEDMODULES"), *p;
	struct ogrt_bytes *mods;
	size_t n = 0;

	if (list == NULL || list[0] == '\0')
		return 0;
	for (p = list; *p; p++)
		n += *p == ':';
	mods = ogrt_scratch_alloc((n + 1) * sizeof *mods);
	if (mods == NULL)
		return -1;
	n = 0;
	for (p = list; *p;) {
		const char *end = ogrt_strchrnul(p, ':');
		if (end > p)
			mods[n++] = (struct ogrt_bytes){ p, (size_t)(end - p), 0 };
		p = *end ? end + 1 : end;
	}
	r->mod = mods;
	r->n_mod = n;
	return 0;
}

int ogrt_collect_env(struct ogrt_record *r, char *const *envp, const char *whitelist)
{
	struct ogrt_bytes *env;
	const char *p;
	size_t n = 0, cap = 1;
	char *const *e;
	int all;

	if (envp == NULL || whitelist == NULL || whitelist[0] == '\0')
		return 0;
	all = ogrt_streq(whitelist, "all");
	if (all) {
		for (e = envp; *e != NULL; e++)
			cap++;
	} else {
		for (p = whitelist; *p; p++)
			cap += *p == ':';
	}
	env = ogrt_scratch_alloc(cap * sizeof *env);
	if (env == NULL)
		return -1;
	if (all) {
		for (e = envp; *e != NULL; e++)
			env[n++] = (struct ogrt_bytes){ *e, ogrt_strlen(*e), 0 };
	} else {
		for (p = whitelist; *p;) {
			const char *end = ogrt_strchrnul(p, ':'), *entry;
			if (end > p && (entry = ogrt_env_entry(envp, p, (size_t)(end - p))) != NULL)
				env[n++] = (struct ogrt_bytes){ entry, ogrt_strlen(entry), 0 };
			p = *end ? end + 1 : end;
		}
	}
	r->env = env;
	r->n_env = n;
	return 0;
}
