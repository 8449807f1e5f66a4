/* The ogrt subcommands. Each gets argv with argv[0] = the subcommand name
 * and returns the process exit status. */
#ifndef OGRT_CMDS_H
#define OGRT_CMDS_H

#ifndef OGRT_VERSION
#define OGRT_VERSION "0.1.0"
#endif

enum {
	OGRT_EXIT_OK = 0,
	OGRT_EXIT_NO_SIGNATURE = 1, /* show-signature: a file has none */
	OGRT_EXIT_ERROR = 2,        /* bad usage, unreadable or malformed file */
};

int cmd_generate(int argc, char **argv);
int cmd_show(int argc, char **argv);

/* Flushes stdout; on failure (full disk, closed pipe) says so and returns
 * OGRT_EXIT_ERROR, else status. */
int finish_stdout(int status);

#endif
