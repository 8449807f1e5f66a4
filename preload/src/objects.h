/* The loaded shared objects (dl_iterate_phdr) with their OGRT signatures,
 * read from PT_NOTE segments in memory; and which of them are new since the
 * last look, for the dlopen records. Callers hold the record lock. */
#ifndef OGRT_OBJECTS_H
#define OGRT_OBJECTS_H

#include <stddef.h>

#include "record.h"

struct ogrt_objects {
	struct ogrt_so *so; /* in scratch memory */
	size_t n;
	char exe_sig[OGRT_UUID_LEN + 1]; /* "" when the executable is not stamped */
	unsigned long long adds;          /* dlpi_adds when the list was taken */
};

/* Lists the loaded objects except the executable, in load order, into
 * scratch memory, and remembers them as seen. only_new: list only objects
 * not seen before. copy_names: copy the paths (another thread may unload
 * an object while the record is sent). Returns 0, or -1 out of memory. */
int ogrt_objects_collect(struct ogrt_objects *o, int only_new, int copy_names);

/* dlpi_adds: how many objects were ever loaded; changes on every load. */
unsigned long long ogrt_objects_adds(void);

/* After a dlclose: forget seen objects that are gone (their addresses may be
 * reused). New unseen objects stay unseen. */
void ogrt_objects_forget_unloaded(void);

/* In a forked child: everything loaded now counts as seen (the parent
 * reports it). */
void ogrt_objects_mark_all_seen(void);

#endif
