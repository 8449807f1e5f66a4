#include "objects.h"

#include <elf.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>

#include "note.h"
#include "scratch.h"
#include "str.h"

/* ---- the set of seen objects, keyed by their program header address ---- */

#define SEEN_STATIC 512

static uintptr_t seen_static[2][SEEN_STATIC];
static struct keyset {
	uintptr_t *slot; /* 0 = empty; a power-of-two table, at most half full */
	size_t cap, count;
	int mapped;
} seen = { seen_static[0], SEEN_STATIC, 0, 0 };
static int seen_which; /* which static table seen uses when not mapped */

static size_t slot_of(const struct keyset *s, uintptr_t key)
{
	size_t i = (size_t)((key >> 4) * 0x9e3779b97f4a7c15ull) & (s->cap - 1);

	while (s->slot[i] != 0 && s->slot[i] != key)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int seen_has(uintptr_t key)
{
	return seen.slot[slot_of(&seen, key)] == key;
}

/* A fresh empty table of cap slots: the static one seen is not using, or mapped. */
static int keyset_init(struct keyset *s, size_t cap)
{
	if (cap <= SEEN_STATIC) {
		s->slot = seen_static[seen.mapped ? 0 : !seen_which];
		s->cap = SEEN_STATIC;
		s->mapped = 0;
		memset(s->slot, 0, SEEN_STATIC * sizeof(uintptr_t));
	} else {
		void *p = mmap(NULL, cap * sizeof(uintptr_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -1;
		s->slot = p;
		s->cap = cap;
		s->mapped = 1;
	}
	s->count = 0;
	return 0;
}

static void keyset_put(struct keyset *s, uintptr_t key)
{
	size_t i = slot_of(s, key);

	if (s->slot[i] == 0) {
		s->slot[i] = key;
		s->count++;
	}
}

/* Makes next the seen set. */
static void seen_replace(struct keyset *next)
{
	if (seen.mapped)
		munmap(seen.slot, seen.cap * sizeof(uintptr_t));
	if (!next->mapped)
		seen_which = next->slot == seen_static[1];
	seen = *next;
}

/* Room for `more` keys at most half full; on failure keys are just not kept. */
static int seen_reserve(size_t more)
{
	struct keyset next;
	size_t cap = seen.cap, i;

	if ((seen.count + more) * 2 <= seen.cap)
		return 0;
	while ((seen.count + more) * 2 > cap)
		cap *= 2;
	if (keyset_init(&next, cap) != 0)
		return -1;
	for (i = 0; i < seen.cap; i++)
		if (seen.slot[i] != 0)
			keyset_put(&next, seen.slot[i]);
	seen_replace(&next);
	return 0;
}

/* ---- signatures ---------------------------------------------------------- */

/* 1 if [vaddr, vaddr + size) lies in the file-backed part of a PT_LOAD: the
 * only note bytes certain to be mapped and readable. */
static int in_load_segment(const ElfW(Phdr) *ph, size_t phnum, ElfW(Addr) vaddr, size_t size)
{
	size_t i;

	for (i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_LOAD && vaddr >= ph[i].p_vaddr && size <= ph[i].p_filesz &&
		    vaddr - ph[i].p_vaddr <= ph[i].p_filesz - size && (ph[i].p_flags & PF_R))
			return 1;
	return 0;
}

static int object_signature(const struct dl_phdr_info *info, char out[OGRT_UUID_LEN + 1])
{
	size_t i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const void *notes = (const void *)(info->dlpi_addr + ph->p_vaddr);
		int native_big = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;

		if (ph->p_type != PT_NOTE || ph->p_filesz == 0 ||
		    !in_load_segment(info->dlpi_phdr, info->dlpi_phnum, ph->p_vaddr, ph->p_filesz))
			continue;
		if (ogrt_note_find_signature_ex(notes, ph->p_filesz, native_big, ph->p_align == 8 ? 8 : 4, out) == 0)
			return 0;
	}
	out[0] = '\0';
	return -1;
}

/* ---- listing ------------------------------------------------------------- */

struct walk {
	struct ogrt_objects *o;
	size_t cap;              /* entries in o->so, sigs, keys */
	size_t total;            /* objects to list, including those past cap */
	char (*sigs)[OGRT_UUID_LEN + 1];
	uintptr_t *keys;
	size_t index;            /* position in the iteration */
	int only_new, copy_names, failed;
	unsigned long long adds;
};

static int list_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct walk *w = arg;
	const char *name = info->dlpi_name != NULL ? info->dlpi_name : "";
	uintptr_t key = (uintptr_t)info->dlpi_phdr;
	size_t i, len;

	if (w->index++ == 0) {
		if (size >= offsetof(struct dl_phdr_info, dlpi_subs))
			w->adds = info->dlpi_adds;
		if (name[0] == '\0') { /* the executable */
			if (!w->only_new)
				object_signature(info, w->o->exe_sig);
			return 0;
		}
	}
	if (w->only_new && seen_has(key))
		return 0;
	i = w->total++;
	if (i >= w->cap)
		return 0;
	len = ogrt_strlen(name);
	if (w->copy_names) {
		char *copy = ogrt_scratch_alloc(len + 1);
		if (copy == NULL) {
			w->failed = 1;
			return 1;
		}
		memcpy(copy, name, len + 1);
		name = copy;
	}
	w->o->so[i].path = (struct ogrt_bytes){ name, len, 0 };
	w->o->so[i].sig = (struct ogrt_bytes){ NULL, 0, 0 };
	if (object_signature(info, w->sigs[i]) == 0)
		w->o->so[i].sig = (struct ogrt_bytes){ w->sigs[i], OGRT_UUID_LEN, 0 };
	w->keys[i] = key;
	return 0;
}

static int walk_alloc(struct walk *w, size_t cap)
{
	w->cap = cap;
	w->o->so = ogrt_scratch_alloc(cap * sizeof *w->o->so);
	w->sigs = ogrt_scratch_alloc(cap * sizeof *w->sigs);
	w->keys = ogrt_scratch_alloc(cap * sizeof *w->keys);
	return w->o->so && w->sigs && w->keys ? 0 : -1;
}

int ogrt_objects_collect(struct ogrt_objects *o, int only_new, int copy_names)
{
	struct walk w;
	size_t i, first_cap = 32;

	memset(&w, 0, sizeof w);
	memset(o, 0, sizeof *o);
	w.o = o;
	w.only_new = only_new;
	w.copy_names = copy_names;
	if (walk_alloc(&w, first_cap) != 0)
		return -1;
	dl_iterate_phdr(list_one, &w);
	if (!w.failed && w.total > w.cap) { /* more objects than the first guess: once more, sized */
		size_t want = w.total + 16;
		memset(&w, 0, sizeof w);
		w.o = o;
		w.only_new = only_new;
		w.copy_names = copy_names;
		if (walk_alloc(&w, want) != 0)
			return -1;
		dl_iterate_phdr(list_one, &w);
	}
	if (w.failed)
		return -1;
	o->n = w.total < w.cap ? w.total : w.cap;
	o->adds = w.adds;
	if (seen_reserve(o->n) == 0)
		for (i = 0; i < o->n; i++)
			keyset_put(&seen, w.keys[i]);
	return 0;
}

static int first_adds(struct dl_phdr_info *info, size_t size, void *arg)
{
	if (size >= offsetof(struct dl_phdr_info, dlpi_subs))
		*(unsigned long long *)arg = info->dlpi_adds;
	return 1;
}

unsigned long long ogrt_objects_adds(void)
{
	unsigned long long adds = 0;

	dl_iterate_phdr(first_adds, &adds);
	return adds;
}

struct rebuild {
	struct keyset *next;
	int keep_all; /* 1: every loaded object; 0: only those already seen */
};

static int rebuild_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct rebuild *r = arg;
	uintptr_t key = (uintptr_t)info->dlpi_phdr;

	(void)size;
	if ((r->keep_all || seen_has(key)) && r->next->count * 2 < r->next->cap)
		keyset_put(r->next, key);
	return 0;
}

static int count_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)info;
	(void)size;
	(*(size_t *)arg)++;
	return 0;
}

static void rebuild(int keep_all)
{
	struct keyset next;
	struct rebuild r = { &next, keep_all };
	size_t n = 0, cap = SEEN_STATIC;

	dl_iterate_phdr(count_one, &n);
	while (cap < 2 * n + 2)
		cap *= 2;
	if (keyset_init(&next, cap) != 0)
		return;
	dl_iterate_phdr(rebuild_one, &r);
	seen_replace(&next);
}

void ogrt_objects_forget_unloaded(void)
{
	rebuild(0);
}

void ogrt_objects_mark_all_seen(void)
{
	rebuild(1);
}
