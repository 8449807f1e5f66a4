/* ogrt show-signature [--verbose] FILE... */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cmds.h"
#include "elf_read.h"
#include "note.h"

static void print_verbose(const char *path, const struct ogrt_sig *sig)
{
	printf("%s: OGRT signature in ", path);
	if (sig->where == OGRT_SIG_SEGMENT && sig->section[0])
		printf("section %s (PT_NOTE segment %lu)\n", sig->section, sig->index);
	else if (sig->where == OGRT_SIG_SEGMENT)
		printf("PT_NOTE segment %lu\n", sig->index);
	else
		printf("section %s (section %lu)\n", sig->section[0] ? sig->section : "(unnamed)", sig->index);
	printf("  elf: ELF%d %s-endian\n", sig->is64 ? 64 : 32, sig->big_endian ? "big" : "little");
	printf("  allocatable: %s\n", sig->alloc ? "yes" : "no");
	printf("  version: %d\n", OGRT_NOTE_VERSION);
	printf("  name: %s\n", OGRT_NOTE_NAME);
	printf("  uuid: %s\n", sig->uuid);
}

int cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int verbose = 0, status = OGRT_EXIT_OK, c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = 1;
			break;
		case 'h':
			printf("usage: ogrt show-signature [--verbose] FILE...\n");
			return finish_stdout(OGRT_EXIT_OK);
		default:
			fprintf(stderr, "usage: ogrt show-signature [--verbose] FILE...\n");
			return OGRT_EXIT_ERROR;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "ogrt show-signature: no FILE given\n");
		return OGRT_EXIT_ERROR;
	}
	for (; optind < argc; optind++) {
		const char *path = argv[optind];
		struct ogrt_sig sig;
		struct ogrt_diag diag;
		int rc = ogrt_elf_find_signature(path, &sig, &diag);

		if (rc == 0 && verbose)
			print_verbose(path, &sig);
		else if (rc == 0)
			printf("%s: %s\n", path, sig.uuid);
		else if (rc == -ENODATA)
			printf("%s: no OGRT signature\n", path);
		else {
			fflush(stdout); /* keep stdout and stderr lines in file order */
			fprintf(stderr, "%s: %s: %s\n", path, diag.step, diag.reason);
		}
		if (rc == -ENODATA && status == OGRT_EXIT_OK)
			status = OGRT_EXIT_NO_SIGNATURE;
		else if (rc != 0 && rc != -ENODATA)
			status = OGRT_EXIT_ERROR;
	}
	return finish_stdout(status);
}
