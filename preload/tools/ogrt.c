/* ogrt: generate and show OGRT signatures (ELF notes carrying a uuid). */
#include <stdio.h>
#include <string.h>

#include "cmds.h"

static const char usage[] =
	"Usage:\n"
	"  ogrt generate-signature -o FILE.o [--uuid UUID] [--like ELF]\n"
	"      Write an ELF relocatable object holding a fresh signature (an allocated\n"
	"      .note.ogrt.info note) for the host architecture, or for the class,\n"
	"      byte order and machine of ELF with --like; print its uuid. Link the\n"
	"      object into a program or library to stamp it.\n"
	"  ogrt show-signature [--verbose] FILE...\n"
	"      Print `FILE: UUID` for each ELF file, or `FILE: no OGRT signature`.\n"
	"      --verbose prints where the note is and its fields.\n"
	"  ogrt --help | --version\n"
	"\n"
	"Exit status: 0 success; 1 some file has no signature; 2 usage error or a\n"
	"file that cannot be read (`FILE: step: reason` on stderr).\n"
	"The linker wrapper `ld` next to this tool stamps every link: gcc -B DIR ...\n";

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd == NULL) {
		fputs(usage, stderr);
		return OGRT_EXIT_ERROR;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return finish_stdout(OGRT_EXIT_OK);
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("ogrt %s\n", OGRT_VERSION);
		return finish_stdout(OGRT_EXIT_OK);
	}
	if (strcmp(cmd, "generate-signature") == 0)
		return cmd_generate(argc - 1, argv + 1);
	if (strcmp(cmd, "show-signature") == 0)
		return cmd_show(argc - 1, argv + 1);
	fprintf(stderr, "ogrt: unknown command '%s' (try ogrt --help)\n", cmd);
	return OGRT_EXIT_ERROR;
}
