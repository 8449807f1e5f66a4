#!/bin/sh
# show-signature on ELF files of other classes and byte orders, crafted here
# by a small independent generator (python3) rather than by the tool itself:
# ELF32/ELF64, little/big-endian, notes in segments only, sections only,
# 8-byte aligned note segments, extended section numbering; and
# generate-signature --like for those flavours. Run from preload/ after `make`.
cd "$(dirname "$0")/.." || exit 2
OGRT=$PWD/build/ogrt
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
ok() { echo "ok $1"; }
notok() { echo "not ok $1: $2"; }

# craft OUT CLASS(32|64) ORDER(le|be) MACHINE LAYOUT(both|segment|section|xnum) ALIGN UUID [VERSION]
cat >"$T/craft.py" <<'EOF'
import struct, sys

out, cls, order, machine, layout, align, uuid = sys.argv[1:8]
version = int(sys.argv[8]) if len(sys.argv) > 8 else 1
is64, e = cls == "64", ">" if order == "be" else "<"
align, machine = int(align), int(machine)

def up(n, a):
    return (n + a - 1) // a * a

def note(name, ntype, desc):
    # gABI layout, as readelf reads it: desc at align_up(12 + namesz), next at align_up(end)
    head = struct.pack(e + "III", len(name), len(desc), ntype) + name
    head += b"\0" * (up(len(head), align) - len(head))
    body = head + desc
    return body + b"\0" * (up(len(body), align) - len(body))

notes = note(b"GNU\0", 3, bytes(range(20)))  # a build-id first, as in real files
notes += note(b"OGRT\0", 0x4F475254, bytes([version]) + uuid.encode() + b"\0")

ehsize, phsize, shsize = (64, 56, 64) if is64 else (52, 32, 40)
with_ph = layout in ("both", "segment")
with_sh = layout in ("both", "section", "xnum")
phoff = ehsize if with_ph else 0
note_off = up(ehsize + (phsize if with_ph else 0), 8)
shstr = b"\0.note.crafted\0.shstrtab\0"
shstr_off = note_off + len(notes)
shoff = up(shstr_off + len(shstr), 8) if with_sh else 0

def phdr(ptype, off, size, a):
    if is64:
        return struct.pack(e + "IIQQQQQQ", ptype, 4, off, 0x400000 + off, 0, size, size, a)
    return struct.pack(e + "IIIIIIII", ptype, off, 0x8000 + off, 0, size, size, 4, a)

def shdr(name, stype, flags, off, size, link, a):
    if is64:
        return struct.pack(e + "IIQQQQIIQQ", name, stype, flags, 0, off, size, link, 0, a, 0)
    return struct.pack(e + "IIIIIIIIII", name, stype, flags, 0, off, size, link, 0, a, 0)

shnum, shstrndx = 3, 2
if layout == "xnum":  # counts moved into section 0, as for > 0xff00 sections
    sh0 = shdr(0, 0, 0, 0, 3, 2, 0)
    shnum, shstrndx = 0, 0xFFFF
else:
    sh0 = shdr(0, 0, 0, 0, 0, 0, 0)
ident = b"\x7fELF" + bytes([2 if is64 else 1, 2 if order == "be" else 1, 1]) + b"\0" * 9
fmt = e + ("16sHHIQQQIHHHHHH" if is64 else "16sHHIIIIIHHHHHH")
ehdr = struct.pack(fmt, ident, 2, machine, 1, 0, phoff, shoff, 0, ehsize,
                   phsize if with_ph else 0, 1 if with_ph else 0,
                   shsize if with_sh else 0, shnum if with_sh else 0, shstrndx if with_sh else 0)
img = bytearray(ehdr)
if with_ph:
    img += phdr(4, note_off, len(notes), align)
img += b"\0" * (note_off - len(img)) + notes + shstr
if with_sh:
    img += b"\0" * (shoff - len(img))
    img += sh0 + shdr(1, 7, 2, note_off, len(notes), 0, align) + shdr(15, 3, 0, shstr_off, len(shstr), 0, 1)
open(out, "wb").write(img)
EOF

U1=11111111-2222-4333-8444-555555555555
# name class order machine layout align
while read -r name cls order machine layout align; do
	f=$T/$name
	if ! python3 "$T/craft.py" "$f" "$cls" "$order" "$machine" "$layout" "$align" "$U1" 2>"$T/err"; then
		notok "$name" "generator failed: $(cat "$T/err")"; continue
	fi
	out=$("$OGRT" show-signature "$f" 2>&1); rc=$?
	[ $rc -eq 0 ] && [ "$out" = "$f: $U1" ] && ok "$name" || notok "$name" "rc=$rc $out"
done <<'EOF'
elf32-be-ppc-both 32 be 20 both 4
elf32-be-mips-segment-only 32 be 8 segment 4
elf32-le-i386-section-only 32 le 3 section 4
elf64-be-s390-both 64 be 22 both 4
elf64-be-ppc64-segment-only 64 be 21 segment 4
elf64-le-segment-only 64 le 62 segment 4
elf64-le-aligned8-segment 64 le 183 segment 8
elf64-be-aligned8-section 64 be 22 section 8
elf32-be-extended-numbering 32 be 20 xnum 4
elf64-le-extended-numbering 64 le 62 xnum 4
EOF

# readelf agrees with the crafted files (the generator is right, not just self-consistent)
if readelf -n "$T/elf32-be-ppc-both" 2>&1 | grep -Eq 'OGRT +0x00000026'; then ok "readelf reads the crafted ELF32 big-endian note"
else notok "readelf reads the crafted ELF32 big-endian note" "$(readelf -n "$T/elf32-be-ppc-both" 2>&1)"; fi

f=$T/elf32-be-mips-segment-only
out=$("$OGRT" show-signature --verbose "$f")
want="$f: OGRT signature in PT_NOTE segment 0
  elf: ELF32 big-endian
  allocatable: yes
  version: 1
  name: OGRT
  uuid: $U1"
[ "$out" = "$want" ] && ok "--verbose for a segment without sections" || notok "--verbose for a segment without sections" "$out"

f=$T/elf32-le-i386-section-only
out=$("$OGRT" show-signature --verbose "$f" | head -1)
[ "$out" = "$f: OGRT signature in section .note.crafted (section 1)" ] && ok "--verbose for a section" ||
	notok "--verbose for a section" "$out"

python3 "$T/craft.py" "$T/upper" 64 be 22 both 4 ABCDEF01-2222-4333-8444-55555555AAAA
out=$("$OGRT" show-signature "$T/upper")
[ "$out" = "$T/upper: ABCDEF01-2222-4333-8444-55555555AAAA" ] && ok "upper-case uuid printed as stored" ||
	notok "upper-case uuid printed as stored" "$out"

python3 "$T/craft.py" "$T/v2" 64 le 62 both 4 "$U1" 2
err=$("$OGRT" show-signature "$T/v2" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [ "$err" = "$T/v2: note segment 0: malformed notes or an invalid OGRT note" ] &&
	ok "unknown note version: exit 2" || notok "unknown note version: exit 2" "rc=$rc $err"

python3 "$T/craft.py" "$T/baduuid" 32 be 20 section 4 11111111-2222-4333-8444-55555555555g
err=$("$OGRT" show-signature "$T/baduuid" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [ "$err" = "$T/baduuid: section 1: malformed notes or an invalid OGRT note" ] &&
	ok "invalid uuid in the note: exit 2" || notok "invalid uuid in the note: exit 2" "rc=$rc $err"

# generate-signature --like: the object takes class, byte order and machine from ELF
while read -r like class data machine; do
	f=$T/like-$like.o
	uuid=$("$OGRT" generate-signature -o "$f" --like "$T/$like"); rc=$?
	hdr=$(readelf -hW "$f" 2>&1)
	if [ $rc -eq 0 ] && printf '%s\n' "$hdr" | grep -q "Class: *$class\$" &&
		printf '%s\n' "$hdr" | grep -q "Data:.* $data endian" &&
		printf '%s\n' "$hdr" | grep -q "Machine: *$machine\$" &&
		readelf -n "$f" | grep -Eq 'OGRT +0x00000026' &&
		[ "$("$OGRT" show-signature "$f")" = "$f: $uuid" ]; then
		ok "generate --like $like"
	else notok "generate --like $like" "rc=$rc $hdr"; fi
done <<'EOF'
elf32-be-ppc-both ELF32 big PowerPC
elf64-be-s390-both ELF64 big IBM S/390
elf32-le-i386-section-only ELF32 little Intel 80386
elf64-le-aligned8-segment ELF64 little AArch64
EOF

err=$("$OGRT" generate-signature -o "$T/x.o" --like "$T/craft.py" 2>&1); rc=$?
[ $rc -eq 2 ] && [ "$err" = "$T/craft.py: ELF header: not an ELF file" ] && [ ! -e "$T/x.o" ] &&
	ok "generate --like a non-ELF file: exit 2" || notok "generate --like a non-ELF file: exit 2" "rc=$rc $err"
