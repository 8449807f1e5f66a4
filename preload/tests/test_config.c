/* Settings from the environment: defaults, overrides, bad values (keep the
 * default, one line on stderr unless OGRT_SILENT=1), skip filters. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "rfc5424.h"
#include "tap.h"

extern char **environ;

static const char *const vars[] = { "OGRT_ACTIVE", "OGRT_TRANSPORT", "OGRT_SILENT", "OGRT_DEBUG_INFO", "OGRT_ENV_JOBID",
				    "OGRT_JOBID_VARS", "OGRT_USERNAME_SOURCE", "OGRT_ENV_VARS", "OGRT_SKIP_PREFIXES",
				    "OGRT_SKIP_PATTERNS", "OGRT_MAX_MESSAGE_SIZE", "OGRT_CMDLINE_MAX", "OGRT_TIMEOUT_MS",
				    "OGRT_DLOPEN", "OGRT_EXIT_RECORD" };

static void clear_env(void)
{
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
}

/* Loads the config with stderr captured into err. */
static int load(struct ogrt_config *c, char *err, size_t cap)
{
	char path[] = "/tmp/ogrt-config-XXXXXX";
	int fd = mkstemp(path), saved = dup(2), rc;
	ssize_t n;

	fflush(stderr);
	dup2(fd, 2);
	rc = ogrt_config_load(c, environ);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, err, cap - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return rc;
}

int main(void)
{
	struct ogrt_config c;
	char err[4096];
	int rc;

	clear_env();
	TAP_CHECK("OGRT_ACTIVE unset is inactive", !ogrt_config_active(environ), "active");
	setenv("OGRT_ACTIVE", "1", 1);
	TAP_CHECK("OGRT_ACTIVE=1 is active", ogrt_config_active(environ), "inactive");
	setenv("OGRT_ACTIVE", "true", 1);
	TAP_CHECK("OGRT_ACTIVE=true is inactive", !ogrt_config_active(environ), "active");

	rc = load(&c, err, sizeof err);
	TAP_CHECK("defaults", rc == 0 && err[0] == '\0' && c.max_message_size == OGRT_MESSAGE_SIZE_DEFAULT &&
				      c.cmdline_max == 4096 && c.timeout_ms == 20 && c.dlopen == 1 && c.exit_record == 0 &&
				      c.silent == 0 && c.username_source == OGRT_USER_ENV &&
				      c.transport.kind == OGRT_TRANSPORT_UNIX &&
				      strcmp(c.transport.addr.un.sun_path, "/run/ogrt/ogrt.sock") == 0 &&
				      strcmp(c.jobid_vars, "SLURM_JOB_ID:PBS_JOBID:LSB_JOBID:JOB_ID:FLUX_JOB_ID") == 0,
		  "rc %d err %s", rc, err);

	setenv("OGRT_MAX_MESSAGE_SIZE", "4096", 1);
	setenv("OGRT_TIMEOUT_MS", "250", 1);
	setenv("OGRT_CMDLINE_MAX", "0", 1);
	setenv("OGRT_EXIT_RECORD", "1", 1);
	setenv("OGRT_DLOPEN", "0", 1);
	setenv("OGRT_USERNAME_SOURCE", "nss", 1);
	setenv("OGRT_TRANSPORT", "tcp://127.0.0.1:5514", 1);
	rc = load(&c, err, sizeof err);
	TAP_CHECK("overrides", rc == 0 && err[0] == '\0' && c.max_message_size == 4096 && c.timeout_ms == 250 &&
				       c.cmdline_max == 0 && c.exit_record == 1 && c.dlopen == 0 &&
				       c.username_source == OGRT_USER_NSS && c.transport.kind == OGRT_TRANSPORT_TCP,
		  "rc %d err %s", rc, err);

	setenv("OGRT_MAX_MESSAGE_SIZE", "4095", 1);
	setenv("OGRT_TIMEOUT_MS", "20ms", 1);
	setenv("OGRT_EXIT_RECORD", "yes", 1);
	rc = load(&c, err, sizeof err);
	TAP_CHECK("bad values keep their defaults and say so on stderr",
		  rc == 0 && c.max_message_size == OGRT_MESSAGE_SIZE_DEFAULT && c.timeout_ms == 20 && c.exit_record == 0 &&
			  strstr(err, "ogrt: OGRT_MAX_MESSAGE_SIZE: ") && strstr(err, "ogrt: OGRT_TIMEOUT_MS: ") &&
			  strstr(err, "ogrt: OGRT_EXIT_RECORD: "),
		  "rc %d err %s", rc, err);
	setenv("OGRT_MAX_MESSAGE_SIZE", "99999999999999999999999", 1);
	rc = load(&c, err, sizeof err);
	TAP_CHECK("an overflowing number is out of range", c.max_message_size == OGRT_MESSAGE_SIZE_DEFAULT, "got %zu", c.max_message_size);

	setenv("OGRT_SILENT", "1", 1);
	setenv("OGRT_TRANSPORT", "tcp://example.org:1", 1);
	rc = load(&c, err, sizeof err);
	TAP_CHECK("OGRT_SILENT=1 quiets errors; a bad transport disables sending", rc == -1 && err[0] == '\0', "rc %d err %s", rc, err);
	unsetenv("OGRT_SILENT");
	rc = load(&c, err, sizeof err);
	TAP_CHECK("a bad transport is reported", rc == -1 && strstr(err, "ogrt: OGRT_TRANSPORT: ") != NULL, "rc %d err %s", rc, err);

	clear_env();
	TAP_CHECK("no skip filters skip nothing", !ogrt_config_skips(environ, "/usr/bin/true"), "skipped");
	setenv("OGRT_SKIP_PREFIXES", ":/opt/:/usr/bin/", 1);
	TAP_CHECK("skip prefix", ogrt_config_skips(environ, "/usr/bin/true") && !ogrt_config_skips(environ, "/usr/local/bin/x"), "wrong");
	unsetenv("OGRT_SKIP_PREFIXES");
	setenv("OGRT_SKIP_PATTERNS", "*/python3*:/home/*/.cache/*", 1);
	TAP_CHECK("skip patterns (fnmatch, whole path)",
		  ogrt_config_skips(environ, "/usr/bin/python3.11") && ogrt_config_skips(environ, "/home/a/.cache/x/bin") &&
			  !ogrt_config_skips(environ, "/usr/bin/perl"),
		  "wrong");
	return tap_exit();
}
