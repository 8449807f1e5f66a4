#!/bin/sh
# The linker wrapper (build/ld, wrappers/ld) and the compiler wrapper
# (wrappers/ogrt-cc) with real gcc links and with a fake "real linker" that
# records what it was given. Run from preload/ after `make`.
cd "$(dirname "$0")/.." || exit 2
P=$PWD
OGRT=$P/build/ogrt
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
ok() { echo "ok $1"; }
notok() { echo "not ok $1: $2"; }
# every wrapper run below uses this TMPDIR, so leftovers are visible
mkdir "$T/tmp"
TMPDIR=$T/tmp
export TMPDIR
unset OGRT_REAL_LD OGRT_TOOL OGRT_LD_DISABLE OGRT_LD_STRICT OGRT_SIGNATURE_LOG OGRT_LD_STAMPED OGRT_LD_DEPTH
no_leftovers() { [ -z "$(ls -A "$T/tmp")" ]; }
sig_of() { "$OGRT" show-signature "$1" 2>&1 | sed "s|^$1: ||"; }
is_uuid() { printf '%s\n' "$1" | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'; }

printf 'int main(void) { return 0; }\n' >"$T/main.c"
printf 'int lib_answer(void) { return 42; }\n' >"$T/lib.c"
printf 'int missing(void);\nint main(void) { return missing(); }\n' >"$T/undef.c"
gcc -c "$T/main.c" -o "$T/main.o"

# -- real links through gcc -B ---------------------------------------------------
if gcc -B build/ "$T/main.c" -o "$T/a1" && "$T/a1"; then
	u1=$(sig_of "$T/a1")
	is_uuid "$u1" && ok "gcc -B build/: executable stamped" || notok "gcc -B build/: executable stamped" "$u1"
else notok "gcc -B build/: executable stamped" "link failed"; fi

gcc -B "$P/build" "$T/main.c" -o "$T/a2"
u2=$(sig_of "$T/a2")
is_uuid "$u2" && [ "$u2" != "$u1" ] && ok "two links get different uuids" || notok "two links get different uuids" "$u1 / $u2"

readelf -n "$T/a2" | grep -c 'OGRT ' >"$T/count"
[ "$(cat "$T/count")" = 1 ] && ok "exactly one OGRT note" || notok "exactly one OGRT note" "$(cat "$T/count")"

gcc -B build/ -shared -fPIC "$T/lib.c" -o "$T/libx.so"
u=$(sig_of "$T/libx.so")
is_uuid "$u" && ok "gcc -B: shared library stamped" || notok "gcc -B: shared library stamped" "$u"

gcc -B build/ -r "$T/main.o" -o "$T/rel.o"; rc=$?
out=$("$OGRT" show-signature "$T/rel.o")
[ $rc -eq 0 ] && [ "$out" = "$T/rel.o: no OGRT signature" ] && ok "-r link is not stamped" || notok "-r link is not stamped" "rc=$rc $out"

gcc -B build/ "$T/undef.c" -o "$T/undef" 2>"$T/err"; rc=$?
[ $rc -ne 0 ] && grep -q 'undefined reference' "$T/err" && [ ! -e "$T/undef" ] && ok "failing link fails" ||
	notok "failing link fails" "rc=$rc $(cat "$T/err")"

PATH=$P/build:$PATH gcc "$T/main.c" -o "$T/viapath"
u=$(sig_of "$T/viapath")
is_uuid "$u" && ok "wrapper first in PATH" || notok "wrapper first in PATH" "$u"

gcc -B wrappers/ "$T/main.c" -o "$T/fromsrc"
u=$(sig_of "$T/fromsrc")
is_uuid "$u" && ok "wrappers/ld finds ../build/ogrt" || notok "wrappers/ld finds ../build/ogrt" "$u"

wrappers/ogrt-cc gcc "$T/main.c" -o "$T/cc1" && wrappers/ogrt-cc gcc -c "$T/lib.c" -o "$T/lib.o"
u=$(sig_of "$T/cc1")
is_uuid "$u" && [ -f "$T/lib.o" ] && ok "ogrt-cc gcc" || notok "ogrt-cc gcc" "$u"

# two wrapper copies in a row: each passes on to the next, one note in the end
mkdir "$T/w1" "$T/w2" && cp build/ld "$T/w1/ld" && cp build/ld "$T/w2/ld"
OGRT_TOOL=$OGRT PATH=$T/w1:$T/w2:$PATH gcc "$T/main.c" -o "$T/chain" 2>"$T/err"; rc=$?
n=$(readelf -n "$T/chain" 2>/dev/null | grep -c 'OGRT ')
[ $rc -eq 0 ] && [ "$n" = 1 ] && ok "two wrappers in PATH: one signature" || notok "two wrappers in PATH: one signature" "rc=$rc notes=$n $(cat "$T/err")"

OGRT_LD_DISABLE=1 gcc -B build/ "$T/main.c" -o "$T/off"
out=$("$OGRT" show-signature "$T/off")
[ "$out" = "$T/off: no OGRT signature" ] && ok "OGRT_LD_DISABLE=1" || notok "OGRT_LD_DISABLE=1" "$out"

OGRT_SIGNATURE_LOG=$T/sig.log gcc -B build/ "$T/main.c" -o "$T/logged"
u=$(sig_of "$T/logged")
line=$(cat "$T/sig.log" 2>/dev/null)
case $line in *" $u $T/logged $P") r=y ;; *) r=n ;; esac
[ $r = y ] && is_uuid "$u" && ok "OGRT_SIGNATURE_LOG records uuid and output" || notok "OGRT_SIGNATURE_LOG records uuid and output" "$line / $u"

OGRT_TOOL=$T/none gcc -B build/ "$T/main.c" -o "$T/notool" 2>"$T/err"; rc=$?
out=$("$OGRT" show-signature "$T/notool")
[ $rc -eq 0 ] && [ "$out" = "$T/notool: no OGRT signature" ] && grep -q 'without an OGRT signature' "$T/err" &&
	ok "tool missing: links unsigned, warns" || notok "tool missing: links unsigned, warns" "rc=$rc $out"
OGRT_LD_STRICT=1 OGRT_TOOL=$T/none gcc -B build/ "$T/main.c" -o "$T/strict" 2>/dev/null; rc=$?
[ $rc -ne 0 ] && [ ! -e "$T/strict" ] && ok "tool missing + OGRT_LD_STRICT=1: link fails" || notok "tool missing + OGRT_LD_STRICT=1: link fails" "rc=$rc"

no_leftovers && ok "no temporary files left by real links" || notok "no temporary files left by real links" "$(ls "$T/tmp")"

# -- a fake real linker shows what the wrapper passes --------------------------
cat >"$T/fakeld" <<'EOF'
#!/bin/sh
# records its arguments, keeps a copy of any signature object, exits $FAKE_STATUS
: >"$FAKE_LOG"
for a do
	printf '%s\n' "$a" >>"$FAKE_LOG"
	case $a in */ogrt-sig.*) cp "$a" "$FAKE_LOG.sig" ;; esac
done
exit "${FAKE_STATUS:-0}"
EOF
chmod +x "$T/fakeld"
FAKE_LOG=$T/fake.log
export FAKE_LOG
fake() { rm -f "$FAKE_LOG" "$FAKE_LOG.sig"; OGRT_REAL_LD=$T/fakeld build/ld "$@"; }
stamped() { grep -q '/ogrt-sig\.' "$FAKE_LOG" 2>/dev/null; }

fake -o "$T/out" "$T/main.o" -lc; rc=$?
last=$(tail -n 1 "$FAKE_LOG")
if [ $rc -eq 0 ] && stamped && case $last in "$T/tmp/ogrt-sig."*) true ;; *) false ;; esac &&
	[ "$(sed -n 3p "$FAKE_LOG")" = "$T/main.o" ]; then ok "signature object appended after the caller's arguments"
else notok "signature object appended after the caller's arguments" "rc=$rc $(cat "$FAKE_LOG")"; fi
if readelf -n "$FAKE_LOG.sig" 2>/dev/null | grep -q 'OGRT '; then ok "the appended object holds the note"
else notok "the appended object holds the note" "no copy"; fi

for st in 1 3 77; do
	FAKE_STATUS=$st fake -o "$T/out" "$T/main.o"; rc=$?
	[ $rc -eq $st ] && stamped && ok "exit status $st of the real linker preserved" || notok "exit status $st of the real linker preserved" "rc=$rc"
done

for query in --version -v -V --help; do
	fake $query; rc=$?
	[ $rc -eq 0 ] && ! stamped && [ "$(cat "$FAKE_LOG")" = "$query" ] && ok "ld $query passed through unstamped" ||
		notok "ld $query passed through unstamped" "rc=$rc $(cat "$FAKE_LOG")"
done

fake -m elf_x86_64 --verbose; ! stamped && ok "ld --verbose without inputs is not stamped" || notok "ld --verbose without inputs is not stamped" "stamped"
for rel in -r -i -Ur --relocatable; do
	fake $rel -o "$T/out.o" "$T/main.o"; ! stamped && ok "ld $rel is not stamped" || notok "ld $rel is not stamped" "stamped"
done
printf -- '-r\n-o %s\n%s\n' "$T/out.o" "$T/main.o" >"$T/rsp"
fake "@$T/rsp"; ! stamped && ok "-r inside a response file is not stamped" || notok "-r inside a response file is not stamped" "stamped"
printf -- '-o %s\n%s\n' "$T/out" "$T/main.o" >"$T/rsp"
fake "@$T/rsp"; stamped && ok "a response file link is stamped" || notok "a response file link is stamped" "not stamped"

# the signature takes class and machine from the first input object (-m32, cross)
printf '\177ELF\001\002\001' >"$T/be32.o"
head -c 45 /dev/zero >>"$T/be32.o"
printf '\000\001\000\024' | dd of="$T/be32.o" bs=1 seek=16 conv=notrunc 2>/dev/null # ET_REL, EM_PPC
fake -o "$T/out" "$T/be32.o"
hdr=$(readelf -hW "$FAKE_LOG.sig" 2>&1)
printf '%s\n' "$hdr" | grep -q 'Class: *ELF32' && printf '%s\n' "$hdr" | grep -q 'Machine: *PowerPC' &&
	ok "signature object matches the first input's class and machine" ||
	notok "signature object matches the first input's class and machine" "$hdr"

OGRT_REAL_LD= PATH=$T/empty build/ld -o "$T/out" "$T/main.o" 2>"$T/err"; rc=$?
[ $rc -eq 127 ] && grep -q 'OGRT_REAL_LD' "$T/err" && ok "no real linker: exit 127 with a hint" || notok "no real linker: exit 127 with a hint" "rc=$rc $(cat "$T/err")"

no_leftovers && ok "no temporary files left by fake links" || notok "no temporary files left by fake links" "$(ls "$T/tmp")"

# -- CMake: the recipe of docs/signatures.md --------------------------------------
if command -v cmake >/dev/null 2>&1; then
	mkdir "$T/cm"
	cat >"$T/cm/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.10)
project(stamped C)
add_library(greet SHARED lib.c)
add_executable(hello main.c)
target_link_libraries(hello greet)
EOF
	cp "$T/lib.c" "$T/cm/lib.c" && cp "$T/main.c" "$T/cm/main.c"
	if cmake -S "$T/cm" -B "$T/cm/b" -DCMAKE_EXE_LINKER_FLAGS="-B$P/build/" \
		-DCMAKE_SHARED_LINKER_FLAGS="-B$P/build/" >"$T/err" 2>&1 && cmake --build "$T/cm/b" >>"$T/err" 2>&1; then
		a=$(sig_of "$T/cm/b/hello") b=$(sig_of "$T/cm/b/libgreet.so")
		is_uuid "$a" && is_uuid "$b" && ok "CMake with -B in the linker flags" || notok "CMake with -B in the linker flags" "$a / $b"
	else notok "CMake with -B in the linker flags" "$(tail -5 "$T/err")"; fi
	# CMake >= 3.21: a linker launcher, which ogrt-cc is
	ver=$(cmake --version | sed -n '1s/[^0-9]*\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	if [ "${ver% *}" -lt 3 ] || { [ "${ver% *}" -eq 3 ] && [ "${ver#* }" -lt 21 ]; }; then
		echo "# cmake $ver < 3.21: CMAKE_C_LINKER_LAUNCHER not checked"
	elif cmake -S "$T/cm" -B "$T/cm/l" -DCMAKE_C_LINKER_LAUNCHER="$P/wrappers/ogrt-cc" >"$T/err" 2>&1 &&
		cmake --build "$T/cm/l" >>"$T/err" 2>&1; then
		a=$(sig_of "$T/cm/l/hello") b=$(sig_of "$T/cm/l/libgreet.so")
		is_uuid "$a" && is_uuid "$b" && ok "CMake with ogrt-cc as CMAKE_C_LINKER_LAUNCHER" ||
			notok "CMake with ogrt-cc as CMAKE_C_LINKER_LAUNCHER" "$a / $b"
	else notok "CMake with ogrt-cc as CMAKE_C_LINKER_LAUNCHER" "$(tail -5 "$T/err")"; fi
else
	notok "CMake with -B in the linker flags" "cmake not installed (Debian package cmake)"
fi
