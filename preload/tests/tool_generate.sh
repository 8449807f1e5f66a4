#!/bin/sh
# ogrt generate-signature / show-signature on objects, executables and shared
# libraries built here with gcc. Run from preload/ after `make`; prints
# `ok NAME` or `not ok NAME: why` per case.
cd "$(dirname "$0")/.." || exit 2
OGRT=$PWD/build/ogrt
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
ok() { echo "ok $1"; }
notok() { echo "not ok $1: $2"; }
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

printf 'int main(void) { return 0; }\n' >"$T/main.c"
printf 'int lib_answer(void) { return 42; }\n' >"$T/lib.c"
printf 'int lib_answer(void);\nint main(void) { return lib_answer() == 42 ? 0 : 1; }\n' >"$T/uselib.c"

# -- generate ------------------------------------------------------------
uuid=$("$OGRT" generate-signature -o "$T/sig.o"); rc=$?
if [ $rc -eq 0 ] && printf '%s\n' "$uuid" | grep -Eq "$UUID_RE"; then ok "generate prints a v4 uuid"
else notok "generate prints a v4 uuid" "rc=$rc out='$uuid'"; fi

notes=$(readelf -n "$T/sig.o" 2>&1)
if printf '%s\n' "$notes" | grep -Eq 'OGRT +0x00000026[[:space:]]+Unknown note type: \(0x4f475254\)'; then
	ok "readelf -n shows the OGRT note"
else notok "readelf -n shows the OGRT note" "$notes"; fi

hex=$(printf '%s' "$uuid" | od -An -tx1 | tr -s ' \n' '  ' | sed 's/^ //; s/ $//')
if printf '%s\n' "$notes" | grep -q "description data: 01 $hex 00"; then ok "note desc is version 1 + uuid + NUL"
else notok "note desc is version 1 + uuid + NUL" "want 01 $hex 00 in: $notes"; fi

sect=$(readelf -SW "$T/sig.o" | grep ' \.note\.ogrt\.info ')
if printf '%s\n' "$sect" | grep -Eq 'NOTE .* A +0 +0 +4$'; then ok "section is SHT_NOTE, SHF_ALLOC, align 4"
else notok "section is SHT_NOTE, SHF_ALLOC, align 4" "$sect"; fi

if readelf -SW "$T/sig.o" | grep -q ' \.note\.GNU-stack '; then ok "object has .note.GNU-stack"
else notok "object has .note.GNU-stack" "missing"; fi

if [ "$(readelf -hW "$T/sig.o" | sed -n 's/^ *Machine: *//p')" = "$(readelf -hW "$OGRT" | sed -n 's/^ *Machine: *//p')" ] &&
	readelf -hW "$T/sig.o" | grep -q 'REL (Relocatable file)'; then ok "object is ET_REL for the host machine"
else notok "object is ET_REL for the host machine" "$(readelf -hW "$T/sig.o" | grep -E 'Machine|Type')"; fi

out=$("$OGRT" show-signature "$T/sig.o")
[ "$out" = "$T/sig.o: $uuid" ] && ok "show-signature reads the object" || notok "show-signature reads the object" "$out"

uuid2=$("$OGRT" generate-signature -o "$T/sig2.o")
[ -n "$uuid2" ] && [ "$uuid2" != "$uuid" ] && ok "two signatures differ" || notok "two signatures differ" "$uuid / $uuid2"

fixed=0A1B2C3D-4E5F-4a6b-8c7d-0123456789AB
out=$("$OGRT" generate-signature -o "$T/fixed.o" --uuid "$fixed") &&
	show=$("$OGRT" show-signature "$T/fixed.o")
if [ "$out" = 0a1b2c3d-4e5f-4a6b-8c7d-0123456789ab ] && [ "$show" = "$T/fixed.o: $out" ]; then ok "--uuid honoured (stored lower-case)"
else notok "--uuid honoured (stored lower-case)" "generate='$out' show='$show'"; fi

err=$("$OGRT" generate-signature -o "$T/bad.o" --uuid 0a1b2c3d-4e5f-4a6b-8c7d-0123456789a 2>&1); rc=$?
[ $rc -eq 2 ] && [ ! -e "$T/bad.o" ] && ok "--uuid rejects a malformed uuid" || notok "--uuid rejects a malformed uuid" "rc=$rc $err"

err=$("$OGRT" generate-signature -o "$T/no/such/dir/x.o" 2>&1); rc=$?
case $err in "$T/no/such/dir/x.o: open: No such file or directory") r=y ;; *) r=n ;; esac
[ $rc -eq 2 ] && [ $r = y ] && ok "unwritable output: PATH: step: strerror" || notok "unwritable output: PATH: step: strerror" "rc=$rc $err"

"$OGRT" generate-signature >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "generate without -o is a usage error" || notok "generate without -o is a usage error" "rc=$rc"

# -- link into an executable and a shared library ----------------------------
if gcc "$T/main.c" "$T/sig.o" -o "$T/exe" && "$T/exe"; then
	out=$("$OGRT" show-signature "$T/exe"); rc=$?
	[ $rc -eq 0 ] && [ "$out" = "$T/exe: $uuid" ] && ok "executable carries the signature" ||
		notok "executable carries the signature" "rc=$rc $out"
	map=$(readelf -lW "$T/exe")
	# the section-to-segment mapping names the segment; it must be a NOTE one
	# the section-to-segment mapping lists it in a LOAD and in a NOTE segment
	idxs=$(printf '%s\n' "$map" | sed -n 's/^ *\([0-9][0-9]*\) .*\.note\.ogrt\.info.*/\1/p' | tr '\n' ' ')
	types=$(printf '%s\n' "$map" | awk -v want=" $idxs" '/Program Headers:/ {p = 1; i = -1; next}
		p && /^ +[A-Z_]+ +0x/ {i++; if (index(want, sprintf(" %02d ", i))) printf "%s ", $1}')
	idx=$(printf '%s\n' "$map" | awk '/Program Headers:/ {p = 1; i = -1; next}
		p && /^ +[A-Z_]+ +0x/ {i++; if ($1 == "NOTE") n[i] = 1}
		/^ +[0-9]+ .*\.note\.ogrt\.info/ {if (($1 + 0) in n) {print $1 + 0; exit}}')
	case " $types" in *" NOTE "*) ok "note is in a PT_NOTE segment ($types)" ;;
	*) notok "note is in a PT_NOTE segment" "segments '$idxs' are '$types'" ;; esac
	if printf '%s\n' "$map" | grep -E '^ +GNU_STACK' | grep -q 'RWE'; then notok "stack stays non-executable" "GNU_STACK RWE"
	else ok "stack stays non-executable"; fi
	notes=$(readelf -n "$T/exe")
	printf '%s\n' "$notes" | grep -Eq 'OGRT +0x00000026[[:space:]]+Unknown note type: \(0x4f475254\)' &&
		ok "readelf -n on the executable" || notok "readelf -n on the executable" "$notes"
else notok "link an executable with the signature" "gcc failed"; fi

if gcc -shared -fPIC "$T/lib.c" "$T/sig2.o" -o "$T/libsig.so" &&
	gcc "$T/uselib.c" -L"$T" -lsig -Wl,-rpath,"$T" -o "$T/uselib" && "$T/uselib"; then
	out=$("$OGRT" show-signature "$T/libsig.so")
	[ "$out" = "$T/libsig.so: $uuid2" ] && ok "shared library carries the signature" ||
		notok "shared library carries the signature" "$out"
else notok "link a shared library with the signature" "gcc failed"; fi

for ldname in bfd gold; do
	if ! command -v ld.$ldname >/dev/null 2>&1; then
		notok "ld.$ldname --gc-sections keeps the note" "ld.$ldname not installed (Debian package binutils)"
		continue
	fi
	if gcc -fuse-ld=$ldname -Wl,--gc-sections "$T/main.c" "$T/sig.o" -o "$T/gc-$ldname" 2>"$T/err"; then
		out=$("$OGRT" show-signature "$T/gc-$ldname")
		[ "$out" = "$T/gc-$ldname: $uuid" ] && ok "ld.$ldname --gc-sections keeps the note" ||
			notok "ld.$ldname --gc-sections keeps the note" "$out"
	else notok "ld.$ldname --gc-sections keeps the note" "$(cat "$T/err")"; fi
done

# -- show-signature output and exit status -----------------------------------
out=$("$OGRT" show-signature --verbose "$T/exe")
want="$T/exe: OGRT signature in section .note.ogrt.info (PT_NOTE segment $idx)
  elf: ELF64 little-endian
  allocatable: yes
  version: 1
  name: OGRT
  uuid: $uuid"
[ "$out" = "$want" ] && ok "--verbose output" || notok "--verbose output" "got: $out"

gcc "$T/main.c" -o "$T/plain"
out=$("$OGRT" show-signature "$T/plain"); rc=$?
[ $rc -eq 1 ] && [ "$out" = "$T/plain: no OGRT signature" ] && ok "no signature: exit 1" || notok "no signature: exit 1" "rc=$rc $out"

err=$("$OGRT" show-signature "$T/missing" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [ "$err" = "$T/missing: open: No such file or directory" ] && ok "missing file: exit 2, PATH: open: strerror" ||
	notok "missing file: exit 2, PATH: open: strerror" "rc=$rc $err"

err=$("$OGRT" show-signature "$T" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [ "$err" = "$T: open: Is a directory" ] && ok "directory: exit 2" || notok "directory: exit 2" "rc=$rc $err"

printf 'hello, not ELF\n' >"$T/text"
err=$("$OGRT" show-signature "$T/text" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [ "$err" = "$T/text: ELF header: not an ELF file" ] && ok "not ELF: exit 2" || notok "not ELF: exit 2" "rc=$rc $err"

mkfifo "$T/fifo"
err=$(timeout 10 "$OGRT" show-signature "$T/fifo" /dev/null 2>&1 >/dev/null); rc=$?
want="$T/fifo: open: not a regular file
/dev/null: open: not a regular file"
[ $rc -eq 2 ] && [ "$err" = "$want" ] && ok "FIFO and device: refused without blocking" ||
	notok "FIFO and device: refused without blocking" "rc=$rc $err"

: >"$T/empty"
err=$("$OGRT" show-signature "$T/empty" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [ "$err" = "$T/empty: ELF header: file too short (0 bytes)" ] && ok "empty file: exit 2" || notok "empty file: exit 2" "rc=$rc $err"

out=$("$OGRT" show-signature "$T/exe" "$T/plain" "$T/libsig.so" 2>&1); rc=$?
want="$T/exe: $uuid
$T/plain: no OGRT signature
$T/libsig.so: $uuid2"
[ $rc -eq 1 ] && [ "$out" = "$want" ] && ok "several files, one line each" || notok "several files, one line each" "rc=$rc $out"

"$OGRT" show-signature "$T/exe" "$T/plain" "$T/missing" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "an error outranks a missing signature" || notok "an error outranks a missing signature" "rc=$rc"

"$OGRT" show-signature "$T/exe" "$T/libsig.so" >/dev/null; rc=$?
[ $rc -eq 0 ] && ok "all signed: exit 0" || notok "all signed: exit 0" "rc=$rc"

if [ -w /dev/full ]; then
	"$OGRT" show-signature "$T/exe" >/dev/full 2>/dev/null; rc=$?
	[ $rc -eq 2 ] && ok "stdout write error: exit 2" || notok "stdout write error: exit 2" "rc=$rc"
fi

# -- CLI -----------------------------------------------------------------------
out=$("$OGRT" --version); rc=$?
case $out in "ogrt "[0-9]*) r=y ;; *) r=n ;; esac
[ $rc -eq 0 ] && [ $r = y ] && ok "--version" || notok "--version" "rc=$rc $out"
out=$("$OGRT" --help); rc=$?
case $out in *generate-signature*show-signature*) r=y ;; *) r=n ;; esac
[ $rc -eq 0 ] && [ $r = y ] && ok "--help" || notok "--help" "rc=$rc"
"$OGRT" frobnicate >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "unknown command: exit 2" || notok "unknown command: exit 2" "rc=$rc"
"$OGRT" show-signature >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "show-signature without FILE: exit 2" || notok "show-signature without FILE: exit 2" "rc=$rc"
