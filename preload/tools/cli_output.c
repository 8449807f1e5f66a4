/* Shared by the subcommands; kept out of ogrt.c (main) so the C tests can
 * link every tool object but main. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"

int finish_stdout(int status)
{
	int err = fflush(stdout) != 0 ? errno : ferror(stdout) ? EIO : 0;

	if (err != 0) {
		fprintf(stderr, "ogrt: stdout: write: %s\n", strerror(err));
		return OGRT_EXIT_ERROR;
	}
	return status;
}
