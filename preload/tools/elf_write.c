#include "elf_write.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_bytes.h"
#include "note.h"

/* Section indexes and their names' offsets in .shstrtab. */
enum { SEC_NULL, SEC_NOTE, SEC_STACK, SEC_SYMTAB, SEC_STRTAB, SEC_SHSTRTAB, SEC_COUNT };

static const char shstrtab[] = "\0" OGRT_NOTE_SECTION "\0.note.GNU-stack\0.symtab\0.strtab\0.shstrtab";
enum {
	NAME_NOTE = 1,
	NAME_STACK = NAME_NOTE + sizeof OGRT_NOTE_SECTION,
	NAME_SYMTAB = NAME_STACK + sizeof ".note.GNU-stack",
	NAME_STRTAB = NAME_SYMTAB + sizeof ".symtab",
	NAME_SHSTRTAB = NAME_STRTAB + sizeof ".strtab",
};

/* namesz "OGRT\0" padded to 8, desc version + uuid + NUL padded to 40. */
enum { NOTE_NAME_PADDED = 8, NOTE_DESC_PADDED = 40, NOTE_SIZE = 12 + NOTE_NAME_PADDED + NOTE_DESC_PADDED };

struct section {
	uint32_t name, type, link, info;
	uint64_t flags, off, size, align, entsize;
};

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void put_note(unsigned char *p, const char *uuid, int be)
{
	size_t i;

	memset(p, 0, NOTE_SIZE);
	elf_put32(p, sizeof OGRT_NOTE_NAME, be);
	elf_put32(p + 4, OGRT_NOTE_DESC_SIZE, be);
	elf_put32(p + 8, OGRT_NOTE_TYPE, be);
	memcpy(p + 12, OGRT_NOTE_NAME, sizeof OGRT_NOTE_NAME);
	p[12 + NOTE_NAME_PADDED] = OGRT_NOTE_VERSION;
	/* Stored lower-case, as RFC 4122 asks of output, whatever --uuid gave. */
	for (i = 0; i < OGRT_UUID_LEN; i++) {
		char c = uuid[i];
		p[12 + NOTE_NAME_PADDED + 1 + i] = (unsigned char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
	}
}

static void put_section(unsigned char *p, const struct section *s, const struct elf_target *t)
{
	int be = t->big_endian, is64 = t->is64, w = is64 ? 8 : 4;

	elf_put32(p, s->name, be);
	elf_put32(p + 4, s->type, be);
	elf_put_addr(p + 8, s->flags, is64, be);
	elf_put_addr(p + 8 + w, 0, is64, be); /* sh_addr */
	elf_put_addr(p + 8 + 2 * w, s->off, is64, be);
	elf_put_addr(p + 8 + 3 * w, s->size, is64, be);
	elf_put32(p + 8 + 4 * w, s->link, be);
	elf_put32(p + 12 + 4 * w, s->info, be);
	elf_put_addr(p + 16 + 4 * w, s->align, is64, be);
	elf_put_addr(p + 16 + 5 * w, s->entsize, is64, be);
}

static void put_header(unsigned char *p, const struct elf_target *t, size_t shoff)
{
	int be = t->big_endian, is64 = t->is64;
	unsigned char *f = p + (is64 ? 40 : 32); /* e_shoff; the fields after it shift by class */

	memcpy(p, ELFMAG, SELFMAG);
	p[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	p[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
	p[EI_VERSION] = EV_CURRENT;
	p[EI_OSABI] = ELFOSABI_NONE;
	elf_put16(p + 16, ET_REL, be);
	elf_put16(p + 18, t->machine, be);
	elf_put32(p + 20, EV_CURRENT, be);
	elf_put_addr(f, shoff, is64, be);
	f += is64 ? 8 : 4;
	elf_put32(f, t->flags, be);
	elf_put16(f + 4, is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr), be);
	elf_put16(f + 6, 0, be); /* e_phentsize: no program headers */
	elf_put16(f + 8, 0, be);
	elf_put16(f + 10, is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr), be);
	elf_put16(f + 12, SEC_COUNT, be);
	elf_put16(f + 14, SEC_SHSTRTAB, be);
}

size_t elf_build_signature(unsigned char buf[ELF_SIGNATURE_MAX], const struct elf_target *t,
			   const char *uuid)
{
	size_t word = t->is64 ? 8 : 4;
	size_t sym_size = t->is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	size_t shdr_size = t->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	struct section s[SEC_COUNT];
	size_t off, i;

	if (uuid == NULL || !ogrt_uuid_valid(uuid, strlen(uuid)))
		return 0;
	memset(buf, 0, ELF_SIGNATURE_MAX);
	memset(s, 0, sizeof s);
	off = t->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);

	s[SEC_NOTE] = (struct section){ .name = NAME_NOTE, .type = SHT_NOTE, .flags = SHF_ALLOC,
					.off = off, .size = NOTE_SIZE, .align = 4 };
	put_note(buf + off, uuid, t->big_endian);
	off += NOTE_SIZE;
	s[SEC_STACK] = (struct section){ .name = NAME_STACK, .type = SHT_PROGBITS, .off = off, .align = 1 };
	s[SEC_SHSTRTAB] = (struct section){ .name = NAME_SHSTRTAB, .type = SHT_STRTAB, .off = off,
					    .size = sizeof shstrtab, .align = 1 };
	memcpy(buf + off, shstrtab, sizeof shstrtab);
	off += sizeof shstrtab;
	/* .strtab is a single NUL: the only symbol is the null symbol. */
	s[SEC_STRTAB] = (struct section){ .name = NAME_STRTAB, .type = SHT_STRTAB, .off = off, .size = 1, .align = 1 };
	off = align_up(off + 1, word);
	s[SEC_SYMTAB] = (struct section){ .name = NAME_SYMTAB, .type = SHT_SYMTAB, .off = off, .size = sym_size,
					  .link = SEC_STRTAB, .info = 1, .align = word, .entsize = sym_size };
	off = align_up(off + sym_size, word);
	put_header(buf, t, off);
	for (i = 0; i < SEC_COUNT; i++)
		put_section(buf + off + i * shdr_size, &s[i], t);
	return off + SEC_COUNT * shdr_size;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int elf_write_signature(const char *path, const struct elf_target *t, const char *uuid,
			const char **step)
{
	unsigned char buf[ELF_SIGNATURE_MAX];
	size_t size = elf_build_signature(buf, t, uuid);
	struct stat st;
	int fd, rc, regular;

	*step = "build";
	if (size == 0)
		return -EINVAL;
	*step = "open";
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd < 0)
		return -errno;
	regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	*step = "write";
	rc = write_all(fd, buf, size);
	if (close(fd) != 0 && rc == 0) {
		*step = "close";
		rc = -errno;
	}
	if (rc != 0 && regular) /* never unlink a device such as /dev/stdout */
		unlink(path);
	return rc;
}
