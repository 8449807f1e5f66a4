/* The interposed dlopen and dlclose.
 *
 * dlopen looks at its return address to learn which object called it: that
 * object's RUNPATH/RPATH and $ORIGIN resolve a bare or $ORIGIN-relative
 * name, and its namespace receives the new object. A C wrapper would make
 * every dlopen look as if libogrt.so called it, and a library that loads its
 * plugins by RUNPATH (MKL, CUDA, ...) would fail to find them. So dlopen is
 * a tail-calling trampoline: it asks ogrt_dlopen_enter() for the real dlopen
 * and jumps there with the caller's own return address, and the objects a
 * dlopen loads are reported at the next dlopen or dlclose, or at exit().
 *
 * The trampoline is built for x86_64. The aarch64 one is written but was not
 * run on aarch64 hardware yet: it is built only with
 * -DOGRT_ENABLE_AARCH64_DLOPEN. Without a trampoline dlopen is not interposed,
 * and dlopened objects are reported at the next dlclose or at exit(). */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

#include "ogrt.h"

typedef void *(*dlopen_fn)(const char *, int);
typedef int (*dlclose_fn)(void *);

static void *no_dlopen(const char *file, int mode)
{
	(void)file;
	(void)mode;
	return NULL;
}

static int no_dlclose(void *handle)
{
	(void)handle;
	return -1;
}

/* The next definition after libogrt.so (libc's, or another interposer's). */
static void *next_symbol(void **cache, const char *name, void *fallback)
{
	void *f = __atomic_load_n(cache, __ATOMIC_ACQUIRE);

	if (f == NULL) {
		int saved_errno = errno;
		f = dlsym(RTLD_NEXT, name);
		if (f == NULL)
			f = fallback;
		__atomic_store_n(cache, f, __ATOMIC_RELEASE);
		errno = saved_errno;
	}
	return f;
}

static void *real_dlopen, *real_dlclose;

#if defined(__x86_64__) || (defined(__aarch64__) && defined(OGRT_ENABLE_AARCH64_DLOPEN))
__attribute__((used)) void *ogrt_dlopen_enter(void);

/* Called by the trampoline before the real dlopen: reports what earlier
 * dlopens loaded, returns the function to jump to. Keeps errno. */
__attribute__((used)) void *ogrt_dlopen_enter(void)
{
	if (ogrt_tracking)
		ogrt_report_new_objects();
	return next_symbol(&real_dlopen, "dlopen", (void *)no_dlopen);
}

#if defined(__x86_64__)
/* Keeps file and mode (rdi, rsi) across the call; rsp is 16-byte aligned at
 * the call; then jumps with the caller's return address still on the stack. */
__asm__(".text\n"
	".globl dlopen\n"
	".type dlopen, @function\n"
	"dlopen:\n"
	".cfi_startproc\n"
	"endbr64\n"
	"push %rdi\n"
	".cfi_adjust_cfa_offset 8\n"
	"push %rsi\n"
	".cfi_adjust_cfa_offset 8\n"
	"sub $8, %rsp\n"
	".cfi_adjust_cfa_offset 8\n"
	"call ogrt_dlopen_enter\n"
	"add $8, %rsp\n"
	".cfi_adjust_cfa_offset -8\n"
	"pop %rsi\n"
	".cfi_adjust_cfa_offset -8\n"
	"pop %rdi\n"
	".cfi_adjust_cfa_offset -8\n"
	"jmp *%rax\n"
	".cfi_endproc\n"
	".size dlopen, .-dlopen\n");
#else
/* Keeps x0, x1 and the link register (the caller's return address). */
__asm__(".text\n"
	".globl dlopen\n"
	".type dlopen, %function\n"
	"dlopen:\n"
	".cfi_startproc\n"
	"hint 34\n" /* bti c */
	"stp x29, x30, [sp, #-32]!\n"
	".cfi_def_cfa_offset 32\n"
	".cfi_offset 29, -32\n"
	".cfi_offset 30, -24\n"
	"mov x29, sp\n"
	"stp x0, x1, [sp, #16]\n"
	"bl ogrt_dlopen_enter\n"
	"mov x16, x0\n"
	"ldp x0, x1, [sp, #16]\n"
	"ldp x29, x30, [sp], #32\n"
	".cfi_restore 29\n"
	".cfi_restore 30\n"
	".cfi_def_cfa_offset 0\n"
	"br x16\n"
	".cfi_endproc\n"
	".size dlopen, .-dlopen\n");
#endif
#endif

/* dlclose does not depend on its caller: an ordinary wrapper. Reports what
 * is pending before the objects can go, and forgets what went after. */
__attribute__((visibility("default"))) int dlclose(void *handle)
{
	dlclose_fn real = (dlclose_fn)next_symbol(&real_dlclose, "dlclose", (void *)no_dlclose);
	int rc, saved_errno;

	if (ogrt_tracking)
		ogrt_report_new_objects();
	rc = real(handle);
	if (ogrt_tracking) {
		saved_errno = errno;
		ogrt_forget_unloaded();
		errno = saved_errno;
	}
	return rc;
}
