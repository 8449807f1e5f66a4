#include "elf_target.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "elf_bytes.h"
#include "elf_io.h"

int elf_target_from_file(struct elf_target *t, const char *path, const char **step)
{
	unsigned char h[sizeof(Elf64_Ehdr)];
	struct elf_input in;
	size_t need;
	int rc;

	*step = "open";
	rc = elf_input_open(&in, path);
	if (rc != 0)
		return rc;
	*step = "ELF header";
	need = in.size < sizeof h ? (size_t)in.size : sizeof h;
	rc = need < sizeof(Elf32_Ehdr) ? -ENOEXEC : elf_input_read(&in, 0, h, need);
	elf_input_close(&in);
	if (rc != 0)
		return rc;
	if (memcmp(h, ELFMAG, SELFMAG) != 0 || (h[EI_DATA] != ELFDATA2LSB && h[EI_DATA] != ELFDATA2MSB) ||
	    (h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64))
		return -ENOEXEC;
	t->is64 = h[EI_CLASS] == ELFCLASS64;
	t->big_endian = h[EI_DATA] == ELFDATA2MSB;
	if (t->is64 && need < sizeof(Elf64_Ehdr))
		return -ENOEXEC;
	t->machine = elf_get16(h + 18, t->big_endian);
	t->flags = elf_get32(h + (t->is64 ? 48 : 36), t->big_endian);
	return t->machine == EM_NONE ? -ENOEXEC : 0;
}

static int compiled_big_endian(void)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return 1;
#else
	return 0;
#endif
}

/* Used when /proc is not mounted (some containers and chroots). */
static int compiled_target(struct elf_target *t)
{
	t->is64 = sizeof(void *) == 8;
	t->big_endian = compiled_big_endian();
	t->flags = 0;
#if defined(__x86_64__)
	t->machine = EM_X86_64;
#elif defined(__i386__)
	t->machine = EM_386;
#elif defined(__aarch64__)
	t->machine = EM_AARCH64;
#elif defined(__powerpc64__)
	t->machine = EM_PPC64;
#if defined(_CALL_ELF) && _CALL_ELF == 2
	t->flags = 2; /* ELFv2 ABI */
#endif
#elif defined(__s390x__)
	t->machine = EM_S390;
#else
	return -ENOTSUP;
#endif
	return 0;
}

int elf_target_host(struct elf_target *t)
{
	const char *step;

	if (elf_target_from_file(t, "/proc/self/exe", &step) == 0 && t->big_endian == compiled_big_endian() &&
	    t->is64 == (sizeof(void *) == 8))
		return 0;
	return compiled_target(t);
}
