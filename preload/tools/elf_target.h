/* The ELF flavour a signature object is written for: it must match what the
 * linker links, so it is copied from a real binary rather than guessed. */
#ifndef OGRT_ELF_TARGET_H
#define OGRT_ELF_TARGET_H

#include <stdint.h>

struct elf_target {
	int is64, big_endian;
	uint16_t machine;
	uint32_t flags; /* e_flags: ABI bits some linkers check (ARM EABI, ppc64 ELFv2, RISC-V float ABI) */
};

/* Class, byte order, machine and flags of the ELF file at path.
 * Returns 0, -ENOEXEC when it is not an ELF file, -EINVAL when it is not a
 * regular file, or -errno; *step names what failed ("open", "ELF header"). */
int elf_target_from_file(struct elf_target *t, const char *path, const char **step);

/* The host: the header of /proc/self/exe when it agrees with how this tool
 * was compiled, else a compile-time table. -ENOTSUP when neither knows. */
int elf_target_host(struct elf_target *t);

#endif
