#!/bin/sh
# Fuzzes `ogrt show-signature` with mutations of valid stamped ELF files:
# random byte changes, truncations at every 64th offset, huge offsets, sizes
# and counts in the ELF, program and section headers, and overflowing note
# sizes. Every run must exit 0, 1 or 2 (no signal, no sanitizer report), and
# every error must read `PATH: step: reason`. The tool is also rebuilt with
# AddressSanitizer + UBSan so that an out-of-bounds read fails even when it
# does not crash. Deterministic: OGRT_FUZZ_SEED (default 2017) picks the
# mutations. Run from preload/ after `make`.
cd "$(dirname "$0")/.." || exit 2
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
ok() { echo "ok $1"; }
notok() { echo "not ok $1: $2"; }
SEED=${OGRT_FUZZ_SEED:-2017}

# -- valid inputs: a stamped executable, shared library, and object ------------
printf 'int main(void) { return 0; }\n' >"$T/main.c"
build/ogrt generate-signature -o "$T/sig.o" >/dev/null &&
	gcc "$T/main.c" "$T/sig.o" -o "$T/exe" &&
	gcc -shared -fPIC "$T/main.c" "$T/sig.o" -o "$T/lib.so" || { notok "fuzz inputs" "cannot build"; exit 1; }
if build/ogrt show-signature "$T/exe" "$T/lib.so" "$T/sig.o" >/dev/null; then ok "fuzz inputs are signed"
else notok "fuzz inputs are signed" "show-signature failed on them"; exit 1; fi

cat >"$T/mutate.py" <<'EOF'
import os, random, struct, sys

outdir, seed, bases = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rng = random.Random(seed)
counts = {}

def emit(kind, data):
    n = counts.get(kind, 0)
    counts[kind] = n + 1
    with open(os.path.join(outdir, "%s-%05d" % (kind, n)), "wb") as f:
        f.write(data)

HUGE64 = [2**64 - 1, 2**63, 2**63 - 1, 2**32, 2**32 - 1, 2**31, 0xFFFFFFF0]
HUGE32 = [2**32 - 1, 2**31, 2**31 - 1, 0xFFFFFFF0, 0xFFFFFF00]

for base in bases:
    img = bytes(open(base, "rb").read())
    size = len(img)
    is64, e = img[4] == 2, "<" if img[5] == 1 else ">"
    W, H = ("Q", HUGE64) if is64 else ("I", HUGE32)
    phoff, shoff = struct.unpack_from(e + W * 2, img, 32 if is64 else 28)
    phent, phnum, shent, shnum = struct.unpack_from(e + "HHHH", img, 54 if is64 else 42)

    def patch(off, fmt, value):
        b = bytearray(img)
        struct.pack_into(e + fmt, b, off, value & ((1 << (8 * struct.calcsize(fmt))) - 1))
        return bytes(b)

    for cut in range(0, size, 64):
        emit("truncate", img[:cut])

    for _ in range(900):
        b = bytearray(img)
        for _ in range(rng.randint(1, 8)):
            # mostly headers and notes, where the parsing happens
            pos = rng.randrange(min(size, 1024)) if rng.random() < 0.7 else rng.randrange(size)
            b[pos] = rng.randrange(256) if rng.random() < 0.5 else b[pos] ^ (1 << rng.randrange(8))
        emit("flip", bytes(b))

    # ELF header: table offsets, entry sizes, counts, string table index
    ehdr_fields = [(32 if is64 else 28, W), (40 if is64 else 32, W)]
    ehdr_fields += [((54 if is64 else 42) + 2 * i, "H") for i in range(5)]
    for off, fmt in ehdr_fields:
        for v in (H if fmt == W else [0, 1, 2, 0xFF00, 0xFFFF, 0x7FFF]) + [size, size - 1, size + 1]:
            emit("header", patch(off, fmt, v))

    # program and section headers: offsets, sizes, alignment
    ph_fields = [8, 32, 40, 48] if is64 else [4, 16, 20, 28]
    sh_fields = [24, 32, 48] if is64 else [16, 20, 32]
    tables = [(phoff, phent, phnum, ph_fields), (shoff, shent, shnum, sh_fields)]
    for toff, ent, num, fields in tables:
        for i in range(num):
            for f in fields:
                if toff + i * ent + f + struct.calcsize(W) > size:
                    continue
                for v in H + [size, size + 1]:
                    emit("table", patch(toff + i * ent + f, W, v))
        # sh_name / p_type and friends as random 32-bit words
        for i in range(num):
            for _ in range(4):
                pos = toff + i * ent + 4 * rng.randrange(ent // 4)
                if pos + 4 <= size:
                    emit("table", patch(pos, "I", rng.randrange(2**32)))

    # notes: every note header (the OGRT one and its neighbours), sizes overflowing
    starts = [i - 12 for i in range(len(img)) if img.startswith(b"OGRT\0", i) and i >= 12]
    starts += [i - 12 for i in range(len(img)) if img.startswith(b"GNU\0", i) and i >= 12]
    for s in starts:
        for field in (0, 4):
            for v in [0xFFFFFFFF, 0xFFFFFFFC, 0xFFFFFFF4, 0x80000000, 0x7FFFFFFF, 0, 1, 3, 4, 5, 6,
                      37, 38, 39, 40, size, size - s]:
                emit("note", patch(s + field, "I", v))
        emit("note", patch(s + 8, "I", 0x4F475254))
        for pos in range(s + 12, min(s + 60, size)):
            emit("note", patch(pos, "B", img[pos] ^ 0xFF))

for kind, n in sorted(counts.items()):
    print(kind, n)
EOF

mkdir "$T/cases"
if ! python3 "$T/mutate.py" "$T/cases" "$SEED" "$T/exe" "$T/lib.so" "$T/sig.o" >"$T/counts" 2>"$T/err"; then
	notok "fuzz generator" "$(cat "$T/err")"; exit 1
fi
total=$(awk '{n += $2} END {print n}' "$T/counts")

# run TOOL LABEL: every case through TOOL in batches; a batch that fails is
# replayed file by file to name the culprit.
run() {
	tool=$1 label=$2
	bad=0 malformed=0 seen=
	: >"$T/bad"
	for kind in $(awk '{print $1}' "$T/counts"); do
		ls "$T/cases" | grep "^$kind-" | sed "s|^|$T/cases/|" >"$T/list"
		split -l 300 "$T/list" "$T/batch."
		for b in "$T"/batch.*; do
			# exit 255 (xargs then stops with 124) when a run ends with more than 2:
			# a signal, a sanitizer report (99)
			xargs sh -c '"$0" show-signature "$@"; [ $? -le 2 ] || exit 255' "$tool" <"$b" >"$T/out" 2>"$T/errs"
			rc=$?
			# xargs: 0 = all runs exited 0, 123 = some exited 1-125 (here 1 or 2)
			if [ $rc -ne 0 ] && [ $rc -ne 123 ]; then
				while read -r f; do
					"$tool" show-signature "$f" >/dev/null 2>"$T/one"; r=$?
					[ $r -le 2 ] || { bad=$((bad + 1)); echo "$f exit $r: $(head -c 300 "$T/one")" >>"$T/bad"; }
				done <"$b"
			fi
			# every error line: PATH: step: reason
			n=$(grep -v "^$T/cases/[a-z]*-[0-9]*: [^:]*[^ :]: [^ ]" "$T/errs" | grep -vc '^$')
			malformed=$((malformed + n))
			[ "$n" -eq 0 ] || grep -v "^$T/cases/[a-z]*-[0-9]*: [^:]*[^ :]: [^ ]" "$T/errs" | head -3 >>"$T/bad"
			seen="$seen $(grep -c ': [0-9a-f-]\{36\}$' "$T/out")/$(grep -c ': no OGRT signature$' "$T/out")/$(grep -c . "$T/errs")"
		done
		rm -f "$T"/batch.*
	done
	if [ $bad -eq 0 ] && [ $malformed -eq 0 ]; then ok "$label: $total mutated files, exit 0/1/2, errors as PATH: step: reason"
	else notok "$label" "$bad crashes, $malformed malformed error lines: $(head -5 "$T/bad")"; fi
	printf '%s\n' "$seen" | tr ' ' '\n' | awk -F/ '{f += $1; n += $2; e += $3} END {exit !(f && n && e)}' &&
		ok "$label: outcomes include found, not found and errors" ||
		notok "$label: outcomes include found, not found and errors" "found/none/errors per batch:$seen"
}

start=$(date +%s)
run build/ogrt "fuzz (seed $SEED)"
end=$(date +%s)
[ $((end - start)) -lt 10 ] && ok "fuzz run under 10 s ($((end - start)) s)" || notok "fuzz run under 10 s" "$((end - start)) s"

# The same cases against a sanitizer build: out-of-bounds reads, overflows
# and undefined behaviour abort with exit 99 instead of passing silently.
if gcc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -O1 -g -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -Isrc tools/*.c src/note.c src/uuid.c \
	-o "$T/ogrt-asan" 2>"$T/err"; then
	ASAN_OPTIONS=exitcode=99:detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:exitcode=99:print_stacktrace=1
	export ASAN_OPTIONS UBSAN_OPTIONS
	run "$T/ogrt-asan" "fuzz under ASan+UBSan (seed $SEED)"
else
	echo "# no sanitizer runtime ($(head -1 "$T/err")): sanitizer fuzz not run"
fi
