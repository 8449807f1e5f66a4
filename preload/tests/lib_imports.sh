#!/bin/sh
# What libogrt.so takes from, and gives to, the process's global symbol
# scope. Every imported function is one the program could define itself,
# and the library's call would then land in the program (even before its
# constructors ran): so the library imports only the libc functions listed
# here, none of the str*/mem*/getenv kind that programs bundle (src/str.h,
# src/mem.c), and exports only dlopen, dlclose and its instance marker.
# Adding an import means adding it here, on purpose. Run from preload/
# after `make`.
cd "$(dirname "$0")/.." || exit 2
ok() { echo "ok $1"; }
notok() { echo "not ok $1: $2"; }
LIB=build/libogrt.so

# Weak undefined symbols (__cxa_finalize, __gmon_start__, ...) may be absent
# and come from the toolchain's crt files; __stack_chk_fail appears where gcc
# defaults to -fstack-protector (Ubuntu).
ALLOWED="__errno_location __register_atfork __stack_chk_fail clock_gettime close connect dl_iterate_phdr dlsym
fnmatch getauxval gethostname getpid getppid getpwuid_r getrusage getuid inet_pton mmap munmap on_exit open ppoll
prctl pthread_mutex_init pthread_mutex_lock pthread_mutex_unlock pthread_setcancelstate read readlink send socket
syscall write"

if ! command -v nm >/dev/null 2>&1; then
	notok "libogrt.so imports" "nm not installed (Debian package binutils)"
	exit 1
fi
syms=$(nm -D "$LIB") || { notok "libogrt.so imports" "nm -D $LIB failed"; exit 1; }
imports=$(printf '%s\n' "$syms" | awk '$1 == "U" {sub(/@.*/, "", $2); print $2}')
exports=$(printf '%s\n' "$syms" | awk 'NF == 3 && $2 ~ /^[TDRBVWi]$/ {print $3}' | sort | tr '\n' ' ')

[ -n "$imports" ] && printf '%s\n' "$imports" | grep -qx write || { notok "libogrt.so imports" "nm found no imports: $syms"; exit 1; }

bad=$(printf '%s\n' "$imports" | grep -E '^(str|mem|wcs|wmem|__str|__mem|getenv$|secure_getenv$|__libc_secure_getenv$|environ$|__environ$|.*printf)')
[ -z "$bad" ] && ok "libogrt.so imports no str*/mem*/getenv/environ/printf" ||
	notok "libogrt.so imports no str*/mem*/getenv/environ/printf" "$(echo $bad)"

extra=""
for s in $imports; do
	case " $(echo $ALLOWED) " in *" $s "*) ;; *) extra="$extra $s" ;; esac
done
[ -z "$extra" ] && ok "libogrt.so imports only the listed libc functions" ||
	notok "libogrt.so imports only the listed libc functions" "not listed:$extra"

[ "$exports" = "dlclose dlopen ogrt_preload_instance " ] && ok "libogrt.so exports dlopen, dlclose and its marker only" ||
	notok "libogrt.so exports dlopen, dlclose and its marker only" "$exports"
