#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rfc5424.h"

static int silent;

void ogrt_say(const char *a, const char *b, const char *c, const char *d)
{
	char line[1024];
	size_t n = 0;
	const char *parts[5] = { "ogrt: ", a, b, c, d };
	size_t i, len;
	ssize_t w;

	for (i = 0; i < 5; i++) {
		if (parts[i] == NULL)
			continue;
		len = strlen(parts[i]);
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
		ogrt_say(var, ": ", why, NULL);
}

int ogrt_config_active(void)
{
	const char *v = getenv("OGRT_ACTIVE");

	return v != NULL && v[0] == '1' && v[1] == '\0';
}

/* Booleans: "1" or "0"; anything else keeps the default. */
static int env_flag(const char *name, int def)
{
	const char *v = getenv(name);

	if (v == NULL || v[0] == '\0')
		return def;
	if ((v[0] == '0' || v[0] == '1') && v[1] == '\0')
		return v[0] == '1';
	complain(name, "not 0 or 1, using the default");
	return def;
}

static size_t env_size(const char *name, size_t def, size_t min, size_t max)
{
	const char *v = getenv(name);
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

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL ? v : def;
}

int ogrt_config_load(struct ogrt_config *c)
{
	const char *v;

	memset(c, 0, sizeof *c);
	silent = c->silent = env_flag("OGRT_SILENT", 0);
	c->debug_info = env_flag("OGRT_DEBUG_INFO", 0);
	c->dlopen = env_flag("OGRT_DLOPEN", 1);
	c->exit_record = env_flag("OGRT_EXIT_RECORD", 0);
	c->env_jobid = getenv("OGRT_ENV_JOBID");
	if (c->env_jobid != NULL && c->env_jobid[0] == '\0')
		c->env_jobid = NULL;
	c->jobid_vars = env_or("OGRT_JOBID_VARS", OGRT_DEFAULT_JOBID_VARS);
	c->env_vars = env_or("OGRT_ENV_VARS", OGRT_DEFAULT_ENV_VARS);
	c->skip_prefixes = getenv("OGRT_SKIP_PREFIXES");
	c->skip_patterns = getenv("OGRT_SKIP_PATTERNS");
	c->max_message_size = env_size("OGRT_MAX_MESSAGE_SIZE", OGRT_MESSAGE_SIZE_DEFAULT, OGRT_MESSAGE_SIZE_MIN,
				       OGRT_MESSAGE_SIZE_MAX);
	c->cmdline_max = env_size("OGRT_CMDLINE_MAX", OGRT_DEFAULT_CMDLINE_MAX, 0, OGRT_CMDLINE_MAX_LIMIT);
	c->timeout_ms = (unsigned)env_size("OGRT_TIMEOUT_MS", OGRT_DEFAULT_TIMEOUT_MS, 1, OGRT_TIMEOUT_MS_LIMIT);
	v = getenv("OGRT_USERNAME_SOURCE");
	c->username_source = OGRT_USER_ENV;
	if (v != NULL && strcmp(v, "nss") == 0)
		c->username_source = OGRT_USER_NSS;
	else if (v != NULL && strcmp(v, "none") == 0)
		c->username_source = OGRT_USER_NONE;
	else if (v != NULL && v[0] != '\0' && strcmp(v, "env") != 0)
		complain("OGRT_USERNAME_SOURCE", "not env, nss or none, using env");
	v = env_or("OGRT_TRANSPORT", OGRT_DEFAULT_TRANSPORT);
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
		const char *end = strchr(list, ':');
		size_t len = end ? (size_t)(end - list) : strlen(list);
		if (len > 0 && match(list, len, arg))
			return 1;
		list = end ? end + 1 : NULL;
	}
	return 0;
}

static int prefix_match(const char *item, size_t len, const void *path)
{
	return strncmp(path, item, len) == 0;
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

int ogrt_config_skips(const char *path)
{
	return list_any(getenv("OGRT_SKIP_PREFIXES"), prefix_match, path) ||
	       list_any(getenv("OGRT_SKIP_PATTERNS"), pattern_match, path);
}

static const char *or_none(const char *s)
{
	return s != NULL ? s : "(none)";
}

void ogrt_config_print(const struct ogrt_config *c)
{
	static const char *const user[] = { "env", "nss", "none" };
	char line[4096];
	int n;

	n = snprintf(line, sizeof line,
		     "ogrt: OGRT_ACTIVE=1 OGRT_TRANSPORT=%s OGRT_TIMEOUT_MS=%u OGRT_MAX_MESSAGE_SIZE=%zu"
		     " OGRT_CMDLINE_MAX=%zu OGRT_DLOPEN=%d OGRT_EXIT_RECORD=%d OGRT_SILENT=%d\n"
		     "ogrt: OGRT_ENV_JOBID=%s OGRT_JOBID_VARS=%s OGRT_USERNAME_SOURCE=%s OGRT_ENV_VARS=%s\n"
		     "ogrt: OGRT_SKIP_PREFIXES=%s OGRT_SKIP_PATTERNS=%s\n",
		     c->transport_uri, c->timeout_ms, c->max_message_size, c->cmdline_max, c->dlopen, c->exit_record,
		     c->silent, or_none(c->env_jobid), c->jobid_vars, user[c->username_source], c->env_vars,
		     or_none(c->skip_prefixes), or_none(c->skip_patterns));
	if (n > 0 && write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0)
		return;
}
