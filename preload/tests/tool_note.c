/* Unit tests of the signature code shared with libogrt.so (src/note.c,
 * src/uuid.c) and of the tool's ELF writer and reader. Note buffers are
 * placed flush against a PROT_NONE guard page, so a read past the end of the
 * notes crashes the test instead of passing unnoticed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf_read.h"
#include "elf_write.h"
#include "note.h"
#include "tap.h"
#include "uuid.h"

#define UUID_A "0a1b2c3d-4e5f-4a6b-8c7d-0123456789ab"
#define UUID_B "ffffffff-0000-4000-8000-000000000000"

static int native_big(void)
{
	return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
}

static void put32(unsigned char *p, uint32_t v, int be)
{
	int i;

	for (i = 0; i < 4; i++)
		p[be ? i : 3 - i] = (unsigned char)(v >> (24 - 8 * i));
}

/* Appends one note at buf[*len] with the gABI padding for align. */
static void add_note(unsigned char *buf, size_t *len, const char *name, size_t namesz, uint32_t type,
		     const void *desc, size_t descsz, int be, size_t align)
{
	size_t off = *len;

	put32(buf + off, (uint32_t)namesz, be);
	put32(buf + off + 4, (uint32_t)descsz, be);
	put32(buf + off + 8, type, be);
	memcpy(buf + off + 12, name, namesz);
	off += 12 + namesz;
	while (off % align)
		buf[off++] = 0;
	memcpy(buf + off, desc, descsz);
	off += descsz;
	while (off % align)
		buf[off++] = 0;
	*len = off;
}

static void ogrt_desc(unsigned char desc[OGRT_NOTE_DESC_SIZE], int version, const char *uuid)
{
	desc[0] = (unsigned char)version;
	memcpy(desc + 1, uuid, OGRT_UUID_LEN);
	desc[OGRT_NOTE_DESC_SIZE - 1] = '\0';
}

/* A build-id note, then an OGRT one: what a linked program holds. */
static size_t sample(unsigned char *buf, int be, size_t align, int version, const char *uuid)
{
	unsigned char desc[OGRT_NOTE_DESC_SIZE], id[20];
	size_t len = 0;

	memset(id, 0xab, sizeof id);
	ogrt_desc(desc, version, uuid);
	add_note(buf, &len, "GNU", 4, 3, id, sizeof id, be, align);
	add_note(buf, &len, "OGRT", 5, OGRT_NOTE_TYPE, desc, sizeof desc, be, align);
	return len;
}

static unsigned char *guard_base;
static size_t page;

/* Copies data so that its last byte is the last readable byte. */
static const unsigned char *guarded(const void *data, size_t len)
{
	unsigned char *p = guard_base + page - len;

	memcpy(p, data, len);
	return p;
}

static int find(const void *data, size_t len, char out[OGRT_UUID_LEN + 1])
{
	return ogrt_note_find_signature(guarded(data, len), len, out);
}

static int find_ex(const void *data, size_t len, int be, size_t align, char out[OGRT_UUID_LEN + 1])
{
	return ogrt_note_find_signature_ex(guarded(data, len), len, be, align, out);
}

static void test_find(void)
{
	unsigned char buf[512];
	char out[OGRT_UUID_LEN + 1];
	size_t len = sample(buf, native_big(), 4, 1, UUID_A);
	int rc;

	rc = find(buf, len, out);
	TAP_CHECK("note: signature after a build-id note", rc == 0 && strcmp(out, UUID_A) == 0, "rc=%d out=%.36s", rc, out);
	TAP_CHECK("note: empty buffer", find(buf, 0, out) == -ENOENT, "not -ENOENT");
	TAP_CHECK("note: NULL, length 0", ogrt_note_find_signature(NULL, 0, out) == -ENOENT, "not -ENOENT");
	TAP_CHECK("note: NULL, length 1", ogrt_note_find_signature(NULL, 1, out) == -EINVAL, "not -EINVAL");
	TAP_CHECK("note: out NULL", ogrt_note_find_signature(buf, len, NULL) == -EINVAL, "not -EINVAL");
	TAP_CHECK("note: only a build-id", find(buf, 36, out) == -ENOENT, "not -ENOENT");

	memset(buf + len, 0, 8);
	rc = find(buf, len + 8, out);
	TAP_CHECK("note: trailing zero bytes are padding", rc == 0, "rc=%d", rc);
	memset(buf + 36, 0, 8); /* the build-id note, then 8 bytes: zero, then not */
	rc = find(buf, 44, out);
	TAP_CHECK("note: trailing zeros after the last note", rc == -ENOENT, "rc=%d", rc);
	buf[36 + 5] = 1;
	rc = find(buf, 44, out);
	TAP_CHECK("note: trailing garbage is malformed", rc == -EINVAL, "rc=%d", rc);
	len = sample(buf, native_big(), 4, 1, UUID_A);
	rc = find(buf + 36, len - 36, out);
	TAP_CHECK("note: desc padding may be missing at the very end", find(buf + 36, len - 36 - 2, out) == 0 && rc == 0,
		  "rc=%d", rc);
}

static void test_truncations(void)
{
	unsigned char buf[512];
	char out[OGRT_UUID_LEN + 1];
	size_t len = sample(buf, native_big(), 4, 1, UUID_A), cut;
	int bad = 0;

	for (cut = 0; cut < len - 2; cut++) { /* len - 2: only the desc padding missing still counts */
		int rc = find(buf, cut, out);
		size_t k, zero = 1;
		for (k = 0; k < cut && k < 12; k++)
			zero &= buf[k] == 0;
		/* -ENOENT on a note boundary, or for a few zero bytes (padding) */
		int want_enoent = cut == 36 || (cut < 12 && zero);
		if (want_enoent ? rc != -ENOENT : rc != -EINVAL) {
			tap_fail("note: every truncation is malformed", "cut %zu gives %d", cut, rc);
			bad = 1;
			break;
		}
	}
	if (!bad)
		tap_ok("note: every truncation is malformed, none read past the end");
}

/* Hostile sizes: no crash, no read past the end, only 0 for the real sizes. */
static void test_hostile_sizes(void)
{
	static const uint32_t values[] = { 0, 1, 3, 4, 5, 6, 7, 8, 36, 37, 38, 39, 40, 41, 64, 0x7fffffff,
					   0x80000000, 0xfffffff0, 0xfffffff4, 0xfffffffb, 0xfffffffc, 0xffffffff };
	unsigned char buf[512], mut[512];
	char out[OGRT_UUID_LEN + 1];
	size_t len = sample(buf, native_big(), 4, 1, UUID_A), i, j, field;
	int bad = 0;

	for (field = 0; field < 2; field++)
		for (i = 0; i < sizeof values / sizeof values[0]; i++)
			for (j = 0; j < 2; j++) { /* j: the build-id note or the OGRT note */
				int rc;
				memcpy(mut, buf, len);
				put32(mut + (j ? 36 : 0) + 4 * field, values[i], native_big());
				rc = find(mut, len, out);
				if (rc != 0 && rc != -ENOENT && rc != -EINVAL)
					bad = 1;
				if (rc == 0 && j == 1 && values[i] != (field ? 38u : 5u))
					bad = 1;
			}
	TAP_CHECK("note: hostile n_namesz/n_descsz are bounded", !bad, "unexpected result");

	memcpy(mut, buf, len);
	put32(mut, 0xfffffffd, native_big()); /* name + padding would wrap a 32-bit size_t */
	TAP_CHECK("note: namesz near 2^32 is malformed", find(mut, len, out) == -EINVAL, "not -EINVAL");
}

static void test_ogrt_fields(void)
{
	unsigned char buf[512], desc[OGRT_NOTE_DESC_SIZE + 4];
	char out[OGRT_UUID_LEN + 1];
	size_t len;
	int be = native_big();

	len = sample(buf, be, 4, 2, UUID_A);
	TAP_CHECK("note: version 2 is not understood", find(buf, len, out) == -EINVAL, "not -EINVAL");
	len = sample(buf, be, 4, 1, "0a1b2c3d-4e5f-4a6b-8c7d-0123456789ag");
	TAP_CHECK("note: non-hex uuid", find(buf, len, out) == -EINVAL, "not -EINVAL");
	len = sample(buf, be, 4, 1, "0a1b2c3d-4e5f-4a6b-8c7d+0123456789ab");
	TAP_CHECK("note: dash misplaced", find(buf, len, out) == -EINVAL, "not -EINVAL");

	len = 0;
	ogrt_desc(desc, 1, UUID_A);
	desc[OGRT_NOTE_DESC_SIZE - 1] = 'x';
	add_note(buf, &len, "OGRT", 5, OGRT_NOTE_TYPE, desc, OGRT_NOTE_DESC_SIZE, be, 4);
	TAP_CHECK("note: uuid not NUL-terminated", find(buf, len, out) == -EINVAL, "not -EINVAL");
	len = 0;
	ogrt_desc(desc, 1, UUID_A);
	add_note(buf, &len, "OGRT", 5, OGRT_NOTE_TYPE, desc, OGRT_NOTE_DESC_SIZE - 1, be, 4);
	TAP_CHECK("note: descsz 37", find(buf, len, out) == -EINVAL, "not -EINVAL");
	len = 0;
	add_note(buf, &len, "OGRT", 4, OGRT_NOTE_TYPE, desc, OGRT_NOTE_DESC_SIZE, be, 4);
	TAP_CHECK("note: name without NUL is another owner", find(buf, len, out) == -ENOENT, "not -ENOENT");
	len = 0;
	add_note(buf, &len, "OGRX", 5, OGRT_NOTE_TYPE, desc, OGRT_NOTE_DESC_SIZE, be, 4);
	TAP_CHECK("note: other owner", find(buf, len, out) == -ENOENT, "not -ENOENT");
	len = 0;
	add_note(buf, &len, "OGRT", 5, 1, desc, OGRT_NOTE_DESC_SIZE, be, 4);
	TAP_CHECK("note: other type", find(buf, len, out) == -ENOENT, "not -ENOENT");

	len = 0;
	ogrt_desc(desc, 3, UUID_A);
	add_note(buf, &len, "OGRT", 5, OGRT_NOTE_TYPE, desc, OGRT_NOTE_DESC_SIZE, be, 4);
	ogrt_desc(desc, 1, UUID_B);
	add_note(buf, &len, "OGRT", 5, OGRT_NOTE_TYPE, desc, OGRT_NOTE_DESC_SIZE, be, 4);
	TAP_CHECK("note: a valid signature after an invalid one",
		  find(buf, len, out) == 0 && strcmp(out, UUID_B) == 0, "not found");
}

static void test_byte_order_and_align(void)
{
	unsigned char buf[512];
	char out[OGRT_UUID_LEN + 1];
	int be = !native_big();
	size_t len = sample(buf, be, 4, 1, UUID_B);
	int rc;

	rc = find_ex(buf, len, be, 4, out);
	TAP_CHECK("note: foreign byte order with _ex", rc == 0 && strcmp(out, UUID_B) == 0, "rc=%d", rc);
	rc = find(buf, len, out);
	TAP_CHECK("note: foreign byte order read as native is rejected", rc == -EINVAL, "rc=%d", rc);

	len = sample(buf, native_big(), 8, 1, UUID_A);
	rc = find_ex(buf, len, native_big(), 8, out);
	TAP_CHECK("note: 8-byte aligned notes", rc == 0 && strcmp(out, UUID_A) == 0, "rc=%d", rc);
	rc = find_ex(buf, len, native_big(), 4, out);
	TAP_CHECK("note: 8-byte aligned notes read with align 4 fail", rc != 0, "rc=%d", rc);
	TAP_CHECK("note: align 2, 16 and 0 are refused",
		  find_ex(buf, len, 0, 2, out) == -EINVAL && find_ex(buf, len, 0, 16, out) == -EINVAL &&
			  find_ex(buf, len, 0, 0, out) == -EINVAL, "accepted");
}

static int v4_format(const char *s)
{
	size_t i;

	if (!ogrt_uuid_valid(s, strlen(s)) || s[14] != '4' || !strchr("89ab", s[19]))
		return 0;
	for (i = 0; s[i]; i++)
		if (s[i] >= 'A' && s[i] <= 'F')
			return 0;
	return 1;
}

static int cmp_uuid(const void *a, const void *b)
{
	return memcmp(a, b, OGRT_UUID_LEN);
}

/* n uuids: 0 when all are v4, lower-case, distinct; else 1. */
static int uuid_batch(size_t n)
{
	char (*u)[OGRT_UUID_LEN + 1] = calloc(n, sizeof *u);
	size_t i;
	int bad = u == NULL;

	for (i = 0; !bad && i < n; i++)
		bad = ogrt_uuid_v4(u[i]) != 0 || !v4_format(u[i]);
	if (!bad) {
		qsort(u, n, sizeof *u, cmp_uuid);
		for (i = 1; i < n; i++)
			bad |= memcmp(u[i - 1], u[i], OGRT_UUID_LEN) == 0;
	}
	free(u);
	return bad;
}

/* A child whose getrandom fails with EAGAIN (kernel pool not ready) must
 * still get distinct uuids, without blocking: the fallback path. */
static void test_uuid_fallback(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAGAIN),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof filter / sizeof filter[0], filter };
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char probe[4];
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
			_exit(3);
		if (syscall(SYS_getrandom, probe, sizeof probe, 0) != -1 || errno != EAGAIN)
			_exit(4); /* the filter did not take */
		_exit(uuid_batch(2000) ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		status = -1;
	TAP_CHECK("uuid: getrandom EAGAIN falls back to distinct v4 uuids", WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "child status 0x%x (3: seccomp unavailable)", status);
}

static void test_uuid(void)
{
	char u[OGRT_UUID_LEN + 1];

	TAP_CHECK("uuid: 10000 v4 uuids, lower-case, distinct", uuid_batch(10000) == 0, "bad batch");
	errno = ERANGE;
	ogrt_uuid_v4(u);
	TAP_CHECK("uuid: errno preserved", errno == ERANGE, "errno %d", errno);
	TAP_CHECK("uuid: out NULL", ogrt_uuid_v4(NULL) == -EINVAL, "not -EINVAL");
	TAP_CHECK("uuid_valid: lower, upper, mixed",
		  ogrt_uuid_valid(UUID_A, 36) && ogrt_uuid_valid("0A1B2C3D-4E5F-4A6B-8C7D-0123456789AB", 36) &&
			  ogrt_uuid_valid("0a1B2c3D-4e5F-4a6B-8c7D-0123456789aB", 36), "rejected");
	TAP_CHECK("uuid_valid: wrong length", !ogrt_uuid_valid(UUID_A, 35) && !ogrt_uuid_valid(UUID_A "0", 37), "accepted");
	TAP_CHECK("uuid_valid: bad characters",
		  !ogrt_uuid_valid("0a1b2c3d-4e5f-4a6b-8c7d-0123456789a ", 36) &&
			  !ogrt_uuid_valid("0a1b2c3d-4e5f-4a6b-8c7d-0123456789a\0", 36) &&
			  !ogrt_uuid_valid("0a1b2c3d04e5f-4a6b-8c7d-0123456789ab", 36) &&
			  !ogrt_uuid_valid("0a1b2c3d-4e5f-4a6b-8c7d-01234567-9ab", 36) && !ogrt_uuid_valid(NULL, 36),
		  "accepted");
	test_uuid_fallback();
}

/* The tool's writer and reader agree for every class and byte order, and a
 * written object cut at any length never reads as signed. */
static void test_elf_roundtrip(void)
{
	static const struct elf_target targets[] = {
		{ 1, 0, 62, 0 }, { 1, 1, 22, 0 }, { 0, 0, 3, 0 }, { 0, 1, 20, 0 },
	};
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	unsigned char img[ELF_SIGNATURE_MAX];
	struct ogrt_sig sig;
	struct ogrt_diag diag;
	const char *step;
	size_t i, size, cut;
	int fd, bad = 0;

	snprintf(path, sizeof path, "%s/ogrt-tool-note-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		tap_fail("elf: roundtrip", "mkstemp: %s", strerror(errno));
		return;
	}
	close(fd);
	for (i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		int rc = elf_write_signature(path, &targets[i], UUID_A, &step);
		if (rc == 0)
			rc = ogrt_elf_find_signature(path, &sig, &diag);
		if (rc != 0 || strcmp(sig.uuid, UUID_A) != 0 || sig.where != OGRT_SIG_SECTION || !sig.alloc ||
		    strcmp(sig.section, ".note.ogrt.info") != 0 || sig.is64 != targets[i].is64 ||
		    sig.big_endian != targets[i].big_endian) {
			tap_fail("elf: written objects read back", "target %zu: rc=%d %s: %s", i, rc, diag.step, diag.reason);
			bad = 1;
		}
	}
	if (!bad)
		tap_ok("elf: written objects read back (ELF32/64, LSB/MSB)");
	TAP_CHECK("elf: invalid uuid is not written", elf_build_signature(img, &targets[0], "nope") == 0, "built");

	size = elf_build_signature(img, &targets[1], UUID_B);
	for (cut = 0, bad = 0; cut < size && !bad; cut++) {
		fd = open(path, O_WRONLY | O_TRUNC);
		bad = fd < 0 || write(fd, img, cut) != (ssize_t)cut;
		if (fd >= 0)
			close(fd);
		if (!bad && ogrt_elf_find_signature(path, &sig, &diag) == 0)
			bad = 2;
	}
	TAP_CHECK("elf: a truncated object never reads as signed", !bad, "cut %zu: %d", cut - 1, bad);
	unlink(path);
}

int main(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	guard_base = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_base == MAP_FAILED || mprotect(guard_base + page, page, PROT_NONE) != 0) {
		tap_fail("note: guard page", "%s", strerror(errno));
		return tap_exit();
	}
	test_find();
	test_truncations();
	test_hostile_sizes();
	test_ogrt_fields();
	test_byte_order_and_align();
	test_uuid();
	test_elf_roundtrip();
	return tap_exit();
}
