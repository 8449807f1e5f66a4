#include "note.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

enum { NOTE_HEADER = 12, NOTE_NAMESZ = sizeof OGRT_NOTE_NAME };

static uint32_t load32(const unsigned char *p, int big_endian)
{
	if (big_endian)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Bytes of padding after position pos (align is a power of two). */
static size_t padding(size_t pos, size_t align)
{
	return (align - (pos & (align - 1))) & (align - 1);
}

/* 1 if the note is OGRT's (name and type), whatever its desc. */
static int is_ogrt_note(const unsigned char *name, uint32_t namesz, uint32_t type)
{
	return type == OGRT_NOTE_TYPE && namesz == NOTE_NAMESZ &&
	       memcmp(name, OGRT_NOTE_NAME, NOTE_NAMESZ) == 0;
}

static int valid_desc(const unsigned char *desc, uint32_t descsz)
{
	return descsz == OGRT_NOTE_DESC_SIZE && desc[0] == OGRT_NOTE_VERSION &&
	       ogrt_uuid_valid((const char *)desc + 1, OGRT_UUID_LEN) &&
	       desc[OGRT_NOTE_DESC_SIZE - 1] == '\0';
}

static int all_zero(const unsigned char *p, size_t len)
{
	while (len--)
		if (*p++)
			return 0;
	return 1;
}

/* Invariant: off <= len, so len - off never wraps; every size read from the
 * notes is compared against what remains before any addition with it. */
int ogrt_note_find_signature_ex(const void *notes, size_t len, int big_endian, size_t align,
				char out[OGRT_UUID_LEN + 1])
{
	const unsigned char *base = notes;
	size_t off = 0;
	int bad_signature = 0;

	if (out == NULL || (base == NULL && len != 0) || (align != 4 && align != 8))
		return -EINVAL;
	if (len == 0)
		return -ENOENT;
	while (len - off >= NOTE_HEADER) {
		uint32_t namesz = load32(base + off, big_endian);
		uint32_t descsz = load32(base + off + 4, big_endian);
		uint32_t type = load32(base + off + 8, big_endian);
		size_t name = off + NOTE_HEADER, desc, pad;

		if (namesz > len - name)
			return -EINVAL;
		desc = name + namesz;
		pad = padding(desc, align);
		desc = pad > len - desc ? len : desc + pad;
		if (descsz > len - desc)
			return -EINVAL;
		if (is_ogrt_note(base + name, namesz, type)) {
			if (valid_desc(base + desc, descsz)) {
				memcpy(out, base + desc + 1, OGRT_UUID_LEN);
				out[OGRT_UUID_LEN] = '\0';
				return 0;
			}
			bad_signature = 1;
		}
		off = desc + descsz;
		pad = padding(off, align);
		off = pad > len - off ? len : off + pad;
	}
	if (!all_zero(base + off, len - off))
		return -EINVAL;
	return bad_signature ? -EINVAL : -ENOENT;
}

int ogrt_note_find_signature(const void *notes, size_t len, char out[OGRT_UUID_LEN + 1])
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return ogrt_note_find_signature_ex(notes, len, 1, 4, out);
#else
	return ogrt_note_find_signature_ex(notes, len, 0, 4, out);
#endif
}
