/* ogrt generate-signature -o FILE.o [--uuid UUID] [--like ELF] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "elf_target.h"
#include "elf_write.h"
#include "uuid.h"

static int usage_error(const char *why)
{
	fprintf(stderr, "ogrt generate-signature: %s\n"
			"usage: ogrt generate-signature -o FILE.o [--uuid UUID] [--like ELF]\n", why);
	return OGRT_EXIT_ERROR;
}

int cmd_generate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "uuid", required_argument, NULL, 'u' },
		{ "like", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL, *like = NULL, *step;
	char uuid[OGRT_UUID_LEN + 1];
	struct elf_target target;
	int c, rc;

	uuid[0] = '\0';
	optind = 0; /* glibc: full re-initialisation for this argv */
	while ((c = getopt_long(argc, argv, "+o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'u':
			if (!ogrt_uuid_valid(optarg, strlen(optarg)))
				return usage_error("--uuid wants 36 hex digits in 8-4-4-4-12 groups");
			memcpy(uuid, optarg, sizeof uuid);
			break;
		case 'l':
			like = optarg;
			break;
		case 'h':
			printf("usage: ogrt generate-signature -o FILE.o [--uuid UUID] [--like ELF]\n");
			return finish_stdout(OGRT_EXIT_OK);
		default:
			return usage_error("bad option");
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument");
	if (output == NULL)
		return usage_error("-o FILE.o is required");

	step = "ELF header";
	rc = like ? elf_target_from_file(&target, like, &step) : elf_target_host(&target);
	if (rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", like ? like : "/proc/self/exe", step,
			rc == -ENOEXEC ? "not an ELF file" :
			rc == -EINVAL ? "not a regular file" :
			rc == -ENOTSUP ? "unknown host architecture, use --like ELF" : strerror(-rc));
		return OGRT_EXIT_ERROR;
	}
	if (uuid[0] == '\0' && (rc = ogrt_uuid_v4(uuid)) != 0) {
		fprintf(stderr, "ogrt generate-signature: uuid: %s\n", strerror(-rc));
		return OGRT_EXIT_ERROR;
	}
	rc = elf_write_signature(output, &target, uuid, &step);
	if (rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", output, step, strerror(-rc));
		return OGRT_EXIT_ERROR;
	}
	for (c = 0; uuid[c]; c++) /* print what the note holds: lower-case */
		if (uuid[c] >= 'A' && uuid[c] <= 'F')
			uuid[c] = (char)(uuid[c] - 'A' + 'a');
	printf("%s\n", uuid);
	return finish_stdout(OGRT_EXIT_OK);
}
