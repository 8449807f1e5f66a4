#include "elf_read.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_headers.h"
#include "note.h"

/* Caps on the note bytes one file makes us read; real files are far below. */
#define MAX_REGION ((uint64_t)64 << 20)      /* one note segment or section */
#define MAX_NOTE_TOTAL ((uint64_t)256 << 20) /* all notes of one file */

/* 1 when the notes of r hold a signature (uuid copied to out). */
static int scan_region(struct elf *e, const struct region *r, const char *step, char *out)
{
	unsigned char *buf;
	int rc;

	if (r->size == 0)
		return 0;
	if (!elf_input_in_bounds(&e->in, r->off, r->size)) {
		elf_fail(e, -ERANGE, step, "offset 0x%llx + %llu bytes is past the end of the file (%llu bytes)",
			 (unsigned long long)r->off, (unsigned long long)r->size, (unsigned long long)e->in.size);
		return 0;
	}
	if (r->size > MAX_REGION || r->size > MAX_NOTE_TOTAL - e->note_bytes) {
		elf_fail(e, -EFBIG, step, "%llu bytes of notes, more than this tool reads", (unsigned long long)r->size);
		return 0;
	}
	e->note_bytes += r->size;
	buf = malloc(r->size);
	if (buf == NULL) {
		elf_fail(e, -ENOMEM, step, NULL);
		return 0;
	}
	rc = elf_input_read(&e->in, r->off, buf, r->size);
	if (rc == 0)
		rc = ogrt_note_find_signature_ex(buf, r->size, e->be, r->align == 8 ? 8 : 4, out);
	else
		elf_fail(e, rc, step, NULL);
	free(buf);
	if (rc == -EINVAL)
		elf_fail(e, rc, step, "malformed notes or an invalid OGRT note");
	return rc == 0;
}

/* Copies the name of a section for display: bounded, control bytes replaced. */
static void section_name(const struct elf *e, uint32_t name, char *out, size_t outsz)
{
	struct region str;
	size_t n, i;

	out[0] = '\0';
	if (e->sh == NULL || e->shstrndx == SHN_UNDEF || e->shstrndx >= e->shnum)
		return;
	elf_get_section(e, e->shstrndx, &str);
	if (str.type == SHT_NOBITS || name >= str.size || !elf_input_in_bounds(&e->in, str.off, str.size))
		return;
	n = str.size - name < outsz - 1 ? (size_t)(str.size - name) : outsz - 1;
	if (elf_input_read(&e->in, str.off + name, out, n) != 0)
		n = 0;
	out[n] = '\0';
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
			out[i] = '?';
}

static int scan_sections(struct elf *e, struct ogrt_sig *sig, const struct region *within)
{
	char step[48];
	uint32_t i;

	for (i = 0; e->sh != NULL && i < e->shnum; i++) {
		struct region s;
		elf_get_section(e, i, &s);
		if (s.type != SHT_NOTE)
			continue;
		if (within && (s.off < within->off || s.size > within->size ||
			       s.off - within->off > within->size - s.size))
			continue;
		snprintf(step, sizeof step, "section %u", i);
		if (!scan_region(e, &s, step, sig->uuid))
			continue;
		section_name(e, s.name, sig->section, sizeof sig->section);
		sig->alloc = (s.flags & SHF_ALLOC) != 0;
		if (!within) {
			sig->where = OGRT_SIG_SECTION;
			sig->index = i;
		}
		return 1;
	}
	return 0;
}

static int scan_segments(struct elf *e, struct ogrt_sig *sig)
{
	char step[48];
	uint32_t i;

	for (i = 0; e->ph != NULL && i < e->phnum; i++) {
		struct region p;
		elf_get_segment(e, i, &p);
		if (p.type != PT_NOTE)
			continue;
		snprintf(step, sizeof step, "note segment %u", i);
		if (!scan_region(e, &p, step, sig->uuid))
			continue;
		sig->where = OGRT_SIG_SEGMENT;
		sig->index = i;
		sig->alloc = 1;
		/* Best effort, for --verbose: which section the note came from. */
		{
			char uuid[OGRT_UUID_LEN + 1];
			memcpy(uuid, sig->uuid, sizeof uuid);
			if (!scan_sections(e, sig, &p) || strcmp(uuid, sig->uuid) != 0) {
				memcpy(sig->uuid, uuid, sizeof uuid);
				sig->section[0] = '\0';
				sig->alloc = 1;
			}
		}
		return 1;
	}
	return 0;
}

int ogrt_elf_find_signature(const char *path, struct ogrt_sig *sig, struct ogrt_diag *diag)
{
	struct elf e;
	int found = 0, rc;

	memset(&e, 0, sizeof e);
	memset(sig, 0, sizeof *sig);
	memset(diag, 0, sizeof *diag);
	e.diag = diag;
	rc = elf_input_open(&e.in, path);
	if (rc != 0) {
		elf_fail(&e, rc, "open", rc == -EINVAL ? "not a regular file" : NULL);
		return rc;
	}
	if (elf_read_header(&e) == 0) {
		elf_load_tables(&e);
		found = scan_segments(&e, sig) || scan_sections(&e, sig, NULL);
		sig->is64 = e.is64;
		sig->big_endian = e.be;
	}
	free(e.ph);
	free(e.sh);
	elf_input_close(&e.in);
	if (found)
		return 0;
	return e.err ? e.err : -ENODATA;
}
