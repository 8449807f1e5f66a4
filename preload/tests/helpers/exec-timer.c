/* Times fork+exec+wait of one command under several environments, taking
 * turns (variant order rotates every round) so that machine noise hits all
 * variants alike. Used by bench/preload.ts.
 *
 *   exec-timer ROUNDS VARIANT... -- CMD ARG...
 *
 * A VARIANT is `NAME:ASSIGNMENTS`, ASSIGNMENTS a `;`-separated list of
 * NAME=VALUE added to the environment, which starts as this program's own
 * without LD_PRELOAD and OGRT_* variables. Prints one line per variant:
 * `NAME us us us ...` (microseconds per run). Exits non-zero if a run of
 * the command failed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_VARIANTS 16
#define MAX_ENV 4096

struct variant {
	char *name;
	char *envp[MAX_ENV];
	long *us;
};

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static void build_env(struct variant *v, char *spec)
{
	size_t n = 0;
	char *colon = strchr(spec, ':'), *tok, *save = NULL;

	if (colon == NULL) {
		fprintf(stderr, "exec-timer: variant %s: no ':'\n", spec);
		exit(2);
	}
	*colon = '\0';
	v->name = spec;
	for (char **e = environ; *e != NULL && n < MAX_ENV - 64; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) != 0 && strncmp(*e, "OGRT_", 5) != 0)
			v->envp[n++] = *e;
	for (tok = strtok_r(colon + 1, ";", &save); tok != NULL && n < MAX_ENV - 1; tok = strtok_r(NULL, ";", &save))
		v->envp[n++] = tok;
	v->envp[n] = NULL;
}

int main(int argc, char **argv)
{
	static struct variant vs[MAX_VARIANTS];
	int rounds, nv = 0, i, r, cmd = 0, failed = 0;

	if (argc < 4)
		return 2;
	rounds = atoi(argv[1]);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			cmd = i + 1;
			break;
		}
		if (nv == MAX_VARIANTS)
			return 2;
		build_env(&vs[nv++], argv[i]);
	}
	if (cmd == 0 || cmd >= argc || rounds <= 0)
		return 2;
	for (i = 0; i < nv; i++)
		vs[i].us = calloc((size_t)rounds, sizeof(long));
	for (r = 0; r < rounds; r++) {
		for (int k = 0; k < nv; k++) {
			struct variant *v = &vs[(k + r) % nv];
			long t0 = now_us();
			int st;
			pid_t pid = fork();
			if (pid == 0) {
				int devnull = open("/dev/null", O_WRONLY);
				dup2(devnull, 1);
				execve(argv[cmd], argv + cmd, v->envp);
				_exit(127);
			}
			if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
				failed = 1;
			v->us[r] = now_us() - t0;
		}
	}
	for (i = 0; i < nv; i++) {
		printf("%s", vs[i].name);
		for (r = 0; r < rounds; r++)
			printf(" %ld", vs[i].us[r]);
		printf("\n");
	}
	return failed;
}
