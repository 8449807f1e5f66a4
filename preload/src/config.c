#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"
#include "rfc5424.h"
#include "str.h"

static int silent;

void ogrt_say(const char *a, const char *b, const char *c, const char *d, const char *e)
{
	char line[1024];
	size_t n = 0;
	const char *parts[6] = { "ogrt: ", a, b, c, d, e };
	size_t i, len;
	ssize_t w;

	for (i = 0; i < 6; i++) {
		if (parts[i] == NULL)
			continue;
		len = ogrt_strlen(parts[i]);
		if (len > sizeof line - 1 - n)
			len = sizeof line - 1 - n;
		memcpy(line + n, parts[i], len);
		n += len;
	}
	line[n++] = '\n';
	do
		w = write(STDERR_FILENO, line, n);
	while (w < 0 && errno == EINTR);
}

static void complain(const char *var, const char *why)
{
	if (!silent)
		ogrt_say(var, ": ", why, NULL, NULL);
}

/* Runs first in every process, active or not: one pass over envp. */
int ogrt_config_active(char *const *envp)
{
	const char *v = ogrt_env_get(envp, "OGRT_ACTIVE");

	return v != NULL && v[0] == '1' && v[1] == '\0';
}

/* Booleans: "1" or "0"; anything else keeps the default. */
static int env_flag(char *const *envp, const char *name, int def)
{
	const char *v = ogrt_env_get(envp, name);

	if (v == NULL || v[0] == '\0')
		return def;
	if ((v[0] == '0' || v[0] == '1') && v[1] == '\0')
		return v[0] == '1';
	complain(name, "not 0 or 1, using the default");
	return def;
}

static size_t env_size(char *const *envp, const char *name, size_t def, size_t min, size_t max)
{
	const char *v = ogrt_env_get(envp, name);
	size_t n = 0;

	if (v == NULL || v[0] == '\0')
		return def;
	for (; *v >= '0' && *v <= '9' && n <= max; v++)
		n = n * 10 + (size_t)(*v - '0');
	if (*v == '\0' && n >= min && n <= max)
		return n;
	complain(name, "out of range, using the default");
	return def;
}

static const char *env_or(char *const *envp, const char *name, const char *def)
{
	const char *v = ogrt_env_get(envp, name);

	return v != NULL ? v : def;
}

int ogrt_config_load(struct ogrt_config *c, char *const *envp)
{
	const char *v;

	memset(c, 0, sizeof *c);
	c->envp = envp;
	silent = c->silent = env_flag(envp, "OGRT_SILENT", 0);
	c->debug_info = env_flag(envp, "OGRT_DEBUG_INFO", 0);
	c->dlopen = env_flag(envp, "OGRT_DLOPEN", 1);
	c->exit_record = env_flag(envp, "OGRT_EXIT_RECORD", 0);
	c->env_jobid = ogrt_env_get(envp, "OGRT_ENV_JOBID");
	if (c->env_jobid != NULL && c->env_jobid[0] == '\0')
		c->env_jobid = NULL;
	c->jobid_vars = env_or(envp, "OGRT_JOBID_VARS", OGRT_DEFAULT_JOBID_VARS);
	c->env_vars = env_or(envp, "OGRT_ENV_VARS", OGRT_DEFAULT_ENV_VARS);
	c->skip_prefixes = ogrt_env_get(envp, "OGRT_SKIP_PREFIXES");
	c->skip_patterns = ogrt_env_get(envp, "OGRT_SKIP_PATTERNS");
	c->max_message_size = env_size(envp, "OGRT_MAX_MESSAGE_SIZE", OGRT_MESSAGE_SIZE_DEFAULT, OGRT_MESSAGE_SIZE_MIN,
				       OGRT_MESSAGE_SIZE_MAX);
	c->cmdline_max = env_size(envp, "OGRT_CMDLINE_MAX", OGRT_DEFAULT_CMDLINE_MAX, 0, OGRT_CMDLINE_MAX_LIMIT);
	c->timeout_ms = (unsigned)env_size(envp, "OGRT_TIMEOUT_MS", OGRT_DEFAULT_TIMEOUT_MS, 1, OGRT_TIMEOUT_MS_LIMIT);
	v = ogrt_env_get(envp, "OGRT_USERNAME_SOURCE");
	c->username_source = OGRT_USER_ENV;
	if (v != NULL && ogrt_streq(v, "nss"))
		c->username_source = OGRT_USER_NSS;
	else if (v != NULL && ogrt_streq(v, "none"))
		c->username_source = OGRT_USER_NONE;
	else if (v != NULL && v[0] != '\0' && !ogrt_streq(v, "env"))
		complain("OGRT_USERNAME_SOURCE", "not env, nss or none, using env");
	v = env_or(envp, "OGRT_TRANSPORT", OGRT_DEFAULT_TRANSPORT);
	c->transport_uri = v;
	if (ogrt_transport_parse(v, &c->transport) != 0) {
		complain("OGRT_TRANSPORT", "not unix:///PATH, tcp://IP:PORT or udp://IP:PORT; nothing is sent");
		return -1;
	}
	return 0;
}

/* Calls match(item, len, arg) for each non-empty item of a ':' list. */
static int list_any(const char *list, int (*match)(const char *, size_t, const void *), const void *arg)
{
	while (list != NULL && *list != '\0') {
		const char *end = ogrt_strchrnul(list, ':');
		size_t len = (size_t)(end - list);
		if (len > 0 && match(list, len, arg))
			return 1;
		list = *end != '\0' ? end + 1 : NULL;
	}
	return 0;
}

static int prefix_match(const char *item, size_t len, const void *path)
{
	return ogrt_has_prefix_n(path, item, len);
}

static int pattern_match(const char *item, size_t len, const void *path)
{
	char pattern[1024];

	if (len >= sizeof pattern)
		return 0;
	memcpy(pattern, item, len);
	pattern[len] = '\0';
	return fnmatch(pattern, path, 0) == 0;
}

int ogrt_config_skips(char *const *envp, const char *path)
{
	return list_any(ogrt_env_get(envp, "OGRT_SKIP_PREFIXES"), prefix_match, path) ||
	       list_any(ogrt_env_get(envp, "OGRT_SKIP_PATTERNS"), pattern_match, path);
}

static void put_str(struct ogrt_out *o, const char *s)
{
	if (s == NULL)
		s = "(none)";
	ogrt_put(o, s, ogrt_strlen(s));
}

/* Settings in the order of docs/preload.md, NAME=VALUE separated by spaces. */
void ogrt_config_print(const struct ogrt_config *c)
{
	static const char *const user[] = { "env", "nss", "none" };
	char line[4096];
	struct ogrt_out o = { line, line + sizeof line - 1 };

	OGRT_PUT_LIT(&o, "ogrt: OGRT_ACTIVE=1 OGRT_TRANSPORT=");
	put_str(&o, c->transport_uri);
	OGRT_PUT_LIT(&o, " OGRT_TIMEOUT_MS=");
	ogrt_put_num(&o, c->timeout_ms, 0);
	OGRT_PUT_LIT(&o, " OGRT_MAX_MESSAGE_SIZE=");
	ogrt_put_num(&o, (int64_t)c->max_message_size, 0);
	OGRT_PUT_LIT(&o, " OGRT_CMDLINE_MAX=");
	ogrt_put_num(&o, (int64_t)c->cmdline_max, 0);
	OGRT_PUT_LIT(&o, " OGRT_DLOPEN=");
	ogrt_put_num(&o, c->dlopen, 0);
	OGRT_PUT_LIT(&o, " OGRT_EXIT_RECORD=");
	ogrt_put_num(&o, c->exit_record, 0);
	OGRT_PUT_LIT(&o, " OGRT_SILENT=");
	ogrt_put_num(&o, c->silent, 0);
	OGRT_PUT_LIT(&o, "\nogrt: OGRT_ENV_JOBID=");
	put_str(&o, c->env_jobid);
	OGRT_PUT_LIT(&o, " OGRT_JOBID_VARS=");
	put_str(&o, c->jobid_vars);
	OGRT_PUT_LIT(&o, " OGRT_USERNAME_SOURCE=");
	put_str(&o, user[c->username_source]);
	OGRT_PUT_LIT(&o, " OGRT_ENV_VARS=");
	put_str(&o, c->env_vars);
	OGRT_PUT_LIT(&o, "\nogrt: OGRT_SKIP_PREFIXES=");
	put_str(&o, c->skip_prefixes);
	OGRT_PUT_LIT(&o, " OGRT_SKIP_PATTERNS=");
	put_str(&o, c->skip_patterns);
	*o.p++ = '\n'; /* room kept: end is one byte short of the buffer */
	if (write(STDERR_FILENO, line, (size_t)(o.p - line)) < 0)
		return;
}
