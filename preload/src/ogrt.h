/* Process-level state of libogrt.so shared by ogrt.c (constructor, exit)
 * and dlopen.c (the interposed dlopen/dlclose). */
#ifndef OGRT_OGRT_H
#define OGRT_OGRT_H

/* 1 once the process record was sent: dlopen and exit records may follow. */
extern int ogrt_tracking;
/* OGRT_DLOPEN=1 (and tracking). */
extern int ogrt_track_dlopen;

/* Reports objects loaded since the last look (a dlopen record), or, in a
 * forked child, adopts them silently. Safe to call from any thread; does
 * nothing when re-entered by the same thread. errno is preserved. */
void ogrt_report_new_objects(void);

/* After a dlclose: forget objects that are gone. errno is preserved. */
void ogrt_forget_unloaded(void);

#endif
