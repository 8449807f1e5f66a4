/* Unit tests of the value encoder (UTF-8 per RFC 3629, plain and percent
 * form, caps) and of the message encoder (a hand-written message from
 * docs/protocol.md, the split of §4). The shared vectors are checked by
 * test_vectors.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfc5424.h"
#include "tap.h"
#include "value.h"

static void utf8_case(const char *name, const char *bytes, size_t n, size_t want)
{
	size_t got = ogrt_utf8_char((const unsigned char *)bytes, n);

	TAP_CHECK(name, got == want, "length %zu, want %zu", got, want);
}

static void test_utf8(void)
{
	utf8_case("utf8 ascii", "A", 1, 1);
	utf8_case("utf8 2-byte U+0080", "\xc2\x80", 2, 2);
	utf8_case("utf8 overlong C1 BF", "\xc1\xbf", 2, 0);
	utf8_case("utf8 overlong C0 80 (NUL)", "\xc0\x80", 2, 0);
	utf8_case("utf8 overlong E0 9F BF", "\xe0\x9f\xbf", 3, 0);
	utf8_case("utf8 3-byte U+0800", "\xe0\xa0\x80", 3, 3);
	utf8_case("utf8 U+D7FF before surrogates", "\xed\x9f\xbf", 3, 3);
	utf8_case("utf8 surrogate U+D800", "\xed\xa0\x80", 3, 0);
	utf8_case("utf8 surrogate U+DFFF", "\xed\xbf\xbf", 3, 0);
	utf8_case("utf8 U+E000 after surrogates", "\xee\x80\x80", 3, 3);
	utf8_case("utf8 U+FFFF", "\xef\xbf\xbf", 3, 3);
	utf8_case("utf8 overlong F0 8F BF BF", "\xf0\x8f\xbf\xbf", 4, 0);
	utf8_case("utf8 4-byte U+10000", "\xf0\x90\x80\x80", 4, 4);
	utf8_case("utf8 U+10FFFF", "\xf4\x8f\xbf\xbf", 4, 4);
	utf8_case("utf8 above U+10FFFF", "\xf4\x90\x80\x80", 4, 0);
	utf8_case("utf8 F5 lead", "\xf5\x80\x80\x80", 4, 0);
	utf8_case("utf8 FF", "\xff", 1, 0);
	utf8_case("utf8 lone continuation", "\x80", 1, 0);
	utf8_case("utf8 cut short 2-byte", "\xc2", 1, 0);
	utf8_case("utf8 cut short 3-byte", "\xe2\x82", 2, 0);
	utf8_case("utf8 cut short by the bound", "\xe2\x82\xac", 2, 0);
	utf8_case("utf8 bad continuation", "\xc2\x41", 2, 0);
	utf8_case("utf8 bad third byte", "\xe2\x82\x41", 3, 0);
}

/* Encodes bytes[0..n) with cap and compares text and flags. */
static void value_case(const char *name, const char *bytes, size_t n, size_t cap, const char *want, unsigned want_flags)
{
	char out[256];
	size_t len = 12345, measured = 54321;
	unsigned flags = ogrt_value_encode((const unsigned char *)bytes, n, cap, out, &len);
	unsigned flags2 = ogrt_value_encode((const unsigned char *)bytes, n, cap, NULL, &measured);

	if (len != strlen(want) || memcmp(out, want, len) != 0 || flags != want_flags)
		tap_fail(name, "got \"%.*s\" flags %u, want \"%s\" flags %u", (int)len, out, flags, want, want_flags);
	else if (measured != len || flags2 != flags)
		tap_fail(name, "measuring gave %zu/%u, writing %zu/%u", measured, flags2, len, flags);
	else
		tap_ok(name);
}

#define V(name, lit, cap, want, flags) value_case(name, lit, sizeof(lit) - 1, cap, want, flags)
#define P OGRT_VALUE_PERCENT
#define T OGRT_VALUE_CUT

static void test_values(void)
{
	V("value empty", "", 10, "", 0);
	V("value plain ascii", "/usr/bin/python3", 255, "/usr/bin/python3", 0);
	V("value plain escapes", "a\"b\\c]d", 255, "a\\\"b\\\\c\\]d", 0);
	V("value plain keeps percent", "100%", 255, "100%", 0);
	V("value plain utf-8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 255, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0);
	V("value percent latin-1", "/scratch/caf\xe9/lib.so", 255, "/scratch/caf%E9/lib.so", P);
	V("value percent LF and percent sign", "a%b\n", 255, "a%25b%0A", P);
	V("value percent NUL", "x\0y", 255, "x%00y", P);
	V("value percent DEL", "x\x7fy", 255, "x%7Fy", P);
	V("value percent TAB", "a\tb", 255, "a%09b", P);
	V("value percent keeps valid utf-8", "\xc3\xa9\xff", 255, "\xc3\xa9%FF", P);
	V("value percent escapes after", "\xff\"]\\", 255, "%FF\\\"\\]\\\\", P);
	V("value percent surrogate bytes", "\xed\xa0\x80", 255, "%ED%A0%80", P);
	V("value percent overlong", "\xc0\xaf", 255, "%C0%AF", P);
	V("value percent cut-short sequence", "\xe2\x82" "A", 255, "%E2%82A", P);
	V("cap exact fit", "abcdef", 6, "abcdef", 0);
	V("cap cuts ascii", "abcdef", 3, "abc", T);
	V("cap zero", "abc", 0, "", T);
	V("cap never splits an escape", "ab\"", 3, "ab", T);
	V("cap fits an escape exactly", "ab\"", 4, "ab\\\"", 0);
	V("cap never splits a character", "a\xc3\xa9", 2, "a", T);
	V("cap keeps a whole character", "a\xc3\xa9z", 3, "a\xc3\xa9", T);
	V("cap never splits a 4-byte character", "\xf0\x9f\x98\x80", 3, "", T);
	V("cap never splits %HH", "\xff\xff", 5, "%FF", P | T);
	V("cap fits %HH exactly", "\xff\xff", 6, "%FF%FF", P);
	V("cap percent decided on the whole value", "abc\xff", 3, "abc", P | T);
	V("cap percent form counts %25", "ab%\n", 4, "ab", P | T);
}

struct capture {
	char text[4 << 20];
	size_t len;
	unsigned parts_seen, parts_total, max_len;
	int order_ok;
};

static int capture(void *ctx, char *msg, size_t len, unsigned part, unsigned parts)
{
	struct capture *c = ctx;

	if (part != c->parts_seen + 1)
		c->order_ok = 0;
	c->parts_seen = part;
	c->parts_total = parts;
	if (len > c->max_len)
		c->max_len = (unsigned)len;
	if (c->len + len + 1 < sizeof c->text) {
		memcpy(c->text + c->len, msg, len);
		c->len += len;
		c->text[c->len++] = '\n';
	}
	return 0;
}

#define B(lit) ((struct ogrt_bytes){ lit, sizeof(lit) - 1, 0 })

/* A small process record, its message written out by hand from §1–§3. */
static void test_handmade(void)
{
	static const struct ogrt_so so[] = {
		{ B("/lib/x86_64-linux-gnu/libc.so.6"), { NULL, 0, 0 } },
		{ B("/opt/blas/libopenblas.so.0"), B("0b9c6a2e-2f7d-4c41-9a38-5e1f0d6c7b21") },
	};
	static const struct ogrt_bytes mod[] = { B("gcc/12.2.0") };
	static const struct ogrt_bytes env[] = { B("OMP_NUM_THREADS=4"), B("X=caf\xe9") };
	static const char want[] =
		"<14>1 2025-11-24T21:40:08.123456Z node042 ogrt 12345 process "
		"[ogrt@32473 v=\"1\" uuid=\"3e4f5a6b-0c1d-4e2f-8a9b-0123456789ab\" part=\"1\" parts=\"1\""
		" time=\"1764020408123456\" hostname=\"node042\" job_id=\"4711\" pid=\"12345\" parent_pid=\"12300\""
		" uid=\"1000\" username=\"alice\" binpath=\"/usr/bin/python3.11\""
		" signature=\"b73c604d-c2e9-4057-ae31-586aa5ee29e3\" cmdline~t=\"python3 -c \\\"pass\\\"\"]"
		"[ogrt-so@32473 0=\"/lib/x86_64-linux-gnu/libc.so.6\" 1=\"/opt/blas/libopenblas.so.0\"]"
		"[ogrt-sig@32473 1=\"0b9c6a2e-2f7d-4c41-9a38-5e1f0d6c7b21\"]"
		"[ogrt-mod@32473 0=\"gcc/12.2.0\"]"
		"[ogrt-env@32473 0=\"OMP_NUM_THREADS=4\" 1~p=\"X=caf%E9\"]\n";
	struct ogrt_record r;
	static char buf[OGRT_ENCODE_BUF_SIZE(8096)];
	static struct capture c;
	int rc;

	memset(&r, 0, sizeof r);
	r.kind = "process";
	memcpy(r.uuid, "3e4f5a6b-0c1d-4e2f-8a9b-0123456789ab", OGRT_UUID_LEN + 1);
	r.time_us = 1764020408123456ull;
	r.hostname = B("node042");
	r.job_id = B("4711");
	ogrt_record_set_num(&r, OGRT_NUM_PID, 12345);
	ogrt_record_set_num(&r, OGRT_NUM_PARENT_PID, 12300);
	ogrt_record_set_num(&r, OGRT_NUM_UID, 1000);
	r.username = B("alice");
	r.binpath = B("/usr/bin/python3.11");
	r.signature = B("b73c604d-c2e9-4057-ae31-586aa5ee29e3");
	r.cmdline = B("python3 -c \"pass\"");
	r.cmdline.truncated = 1;
	r.so = so;
	r.n_so = 2;
	r.mod = mod;
	r.n_mod = 1;
	r.env = env;
	r.n_env = 2;
	c.order_ok = 1;
	rc = ogrt_encode(&r, 8096, OGRT_PRI_DEFAULT, buf, capture, &c);
	if (rc != 0 || c.len != sizeof want - 1 || memcmp(c.text, want, c.len) != 0)
		tap_fail("encoder hand-made process record", "rc %d, got\n%.*s\nwant\n%s", rc, (int)c.len, c.text, want);
	else
		tap_ok("encoder hand-made process record");
}

static void base_record(struct ogrt_record *r, const char *kind)
{
	memset(r, 0, sizeof *r);
	r->kind = kind;
	memcpy(r->uuid, "00000000-0000-4000-8000-000000000001", OGRT_UUID_LEN + 1);
	r->hostname = B("n1");
	ogrt_record_set_num(r, OGRT_NUM_PID, 7);
}

static size_t encode_one(struct ogrt_record *r, size_t max, struct capture *c)
{
	static char buf[OGRT_ENCODE_BUF_SIZE(OGRT_MESSAGE_SIZE_MAX)];

	memset(c, 0, sizeof *c);
	c->order_ok = 1;
	if (ogrt_encode(r, max, OGRT_PRI_DEFAULT, buf, capture, c) != 0)
		return 0;
	return c->len;
}

static void test_timestamps(void)
{
	static const struct {
		unsigned long long us;
		const char *want;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000000Z" },
		{ 951868799999999ull, "2000-02-29T23:59:59.999999Z" },
		{ 951868800000001ull, "2000-03-01T00:00:00.000001Z" },
		{ 4107542399000000ull, "2100-02-28T23:59:59.000000Z" },
		{ 253402300799999999ull, "9999-12-31T23:59:59.999999Z" },
	};
	static struct capture c;
	struct ogrt_record r;
	size_t i;
	char name[64];

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		base_record(&r, "exit");
		r.time_us = cases[i].us;
		encode_one(&r, 4096, &c);
		snprintf(name, sizeof name, "timestamp %s", cases[i].want);
		TAP_CHECK(name, c.len > 34 && memcmp(c.text + 6, cases[i].want, 27) == 0, "got %.27s", c.text + 6);
	}
}

static void test_numbers_and_header(void)
{
	static struct capture c;
	struct ogrt_record r;

	base_record(&r, "exit");
	r.process_uuid = B("3e4f5a6b-0c1d-4e2f-8a9b-0123456789ab");
	ogrt_record_set_num(&r, OGRT_NUM_EXIT_STATUS, -1);
	ogrt_record_set_num(&r, OGRT_NUM_WALL_TIME_US, 9007199254740993ll);
	ogrt_record_set_num(&r, OGRT_NUM_MAX_RSS_KB, 0);
	encode_one(&r, 4096, &c);
	TAP_CHECK("exit record fields in order, signed exit_status",
		  strstr(c.text, " process_uuid=\"3e4f5a6b-0c1d-4e2f-8a9b-0123456789ab\" time=\"0\" hostname=\"n1\" pid=\"7\""
				 " exit_status=\"-1\" wall_time_us=\"9007199254740993\" max_rss_kb=\"0\"]\n") != NULL,
		  "got %s", c.text);
	r.hostname = B("host name");
	encode_one(&r, 4096, &c);
	TAP_CHECK("header HOSTNAME is NILVALUE when not PRINTUSASCII",
		  strncmp(c.text, "<14>1 1970-01-01T00:00:00.000000Z - ogrt 7 exit [", 49) == 0 &&
			  strstr(c.text, " hostname=\"host name\"") != NULL,
		  "got %s", c.text);
	r.hostname.len = 0;
	encode_one(&r, 4096, &c);
	TAP_CHECK("header HOSTNAME is NILVALUE when empty", strncmp(c.text, "<14>1 1970-01-01T00:00:00.000000Z - ogrt 7 exit [", 49) == 0,
		  "got %s", c.text);
}

/* cmdline at, and one byte past, the long cap L = (M - 2048) / 2. */
static void test_long_cap(void)
{
	static char big[8192], want[8192];
	static struct capture c;
	struct ogrt_record r;
	size_t cap = ogrt_long_cap(8096);

	TAP_CHECK("long cap for M=8096 is 3024", cap == 3024, "got %zu", cap);
	memset(big, 'x', sizeof big);
	base_record(&r, "process");
	r.cmdline = (struct ogrt_bytes){ big, cap, 0 };
	encode_one(&r, 8096, &c);
	snprintf(want, sizeof want, " cmdline=\"%.*s\"]", (int)cap, big);
	TAP_CHECK("cmdline of exactly L bytes is whole", strstr(c.text, want) != NULL, "not found");
	r.cmdline.len = cap + 1;
	encode_one(&r, 8096, &c);
	snprintf(want, sizeof want, " cmdline~t=\"%.*s\"]", (int)cap, big);
	TAP_CHECK("cmdline of L+1 bytes is cut to L with ~t", strstr(c.text, want) != NULL && c.parts_total == 1, "not found");
	big[cap - 1] = '\xc3';
	big[cap] = '\xa9';
	r.cmdline.len = cap + 1;
	encode_one(&r, 8096, &c);
	snprintf(want, sizeof want, " cmdline~t=\"%.*s\"]", (int)cap - 1, big);
	TAP_CHECK("cut before a character that straddles L", strstr(c.text, want) != NULL, "not found");
	r.hostname = (struct ogrt_bytes){ big, 300, 0 };
	encode_one(&r, 8096, &c);
	TAP_CHECK("short values are cut to 255", strstr(c.text, " hostname~t=\"") != NULL && strstr(c.text, " - ogrt ") != NULL,
		  "got %.200s", c.text);
}

/* Every so index 0..n-1 appears once, ascending over the parts, each
 * signature in the same part as its path; every message fits in max. */
static void check_split(const char *name, struct ogrt_record *r, size_t max, unsigned want_min_parts)
{
	static struct capture c;
	unsigned parts = ogrt_count_parts(r, max);
	size_t next = 0, line_start = 0, i;
	char key[48];

	encode_one(r, max, &c);
	if (c.parts_total != parts || c.parts_seen != parts || !c.order_ok) {
		tap_fail(name, "parts %u/%u, counted %u", c.parts_seen, c.parts_total, parts);
		return;
	}
	if (c.max_len > max || parts < want_min_parts) {
		tap_fail(name, "longest message %u > %zu or only %u parts", c.max_len, max, parts);
		return;
	}
	for (i = 0; i < c.len; i++) {
		char *line = c.text + line_start, *so, *sig;
		if (c.text[i] != '\n')
			continue;
		c.text[i] = '\0';
		so = strstr(line, "[ogrt-so@32473");
		sig = strstr(line, "[ogrt-sig@32473");
		while (so != NULL && next < r->n_so) {
			snprintf(key, sizeof key, " %zu=\"", next);
			if (strstr(so, key) == NULL || (sig == NULL || strstr(sig, key) == NULL))
				break;
			next++;
		}
		if ((line_start == 0) != (strstr(line, " pid=\"7\"") != NULL)) {
			tap_fail(name, "record fields not only in part 1");
			return;
		}
		line_start = i + 1;
	}
	TAP_CHECK(name, next == r->n_so, "shared object %zu missing or out of place", next);
}

static void test_split(void)
{
	static char paths[4000][48];
	static struct ogrt_so so[4000];
	static struct ogrt_bytes env[50];
	static char env_text[50][3000];
	struct ogrt_record r;
	static struct capture c;
	size_t i;

	for (i = 0; i < 4000; i++) {
		int n = snprintf(paths[i], sizeof paths[i], "/opt/app/lib/libcomponent%04zu.so", i);
		so[i].path = (struct ogrt_bytes){ paths[i], (size_t)n, 0 };
		so[i].sig = B("0b9c6a2e-2f7d-4c41-9a38-5e1f0d6c7b21");
	}
	base_record(&r, "process");
	r.so = so;
	r.n_so = 4000;
	check_split("split 4000 signed shared objects, M=8096", &r, 8096, 40);
	check_split("split 4000 signed shared objects, M=4096", &r, 4096, 80);
	check_split("split 4000 signed shared objects, M=65000", &r, 65000, 4);
	for (i = 0; i < 50; i++) {
		memset(env_text[i], 'a' + (int)(i % 26), sizeof env_text[i]);
		env[i] = (struct ogrt_bytes){ env_text[i], sizeof env_text[i], 0 };
	}
	r.n_so = 3;
	r.env = env;
	r.n_env = 50;
	encode_one(&r, 8096, &c);
	TAP_CHECK("split: 50 env values at the cap, two per part", c.parts_total == 25 && c.max_len <= 8096,
		  "%u parts, longest %u", c.parts_total, c.max_len);
	r.n_so = 0;
	r.n_env = 1;
	r.cmdline = (struct ogrt_bytes){ env_text[0], 3000, 0 };
	r.binpath = (struct ogrt_bytes){ env_text[1], 3000, 0 };
	r.hostname = r.job_id = r.username = r.signature = r.process_uuid = (struct ogrt_bytes){ env_text[2], 300, 0 };
	encode_one(&r, 4096, &c);
	TAP_CHECK("split: a part 1 too full for the first item stays without items",
		  c.parts_total == 2 && strstr(c.text, "part=\"1\"") < strchr(c.text, '\n') &&
			  strstr(strchr(c.text, '\n'), "[ogrt-env@32473 0~t=") != NULL &&
			  strstr(c.text, "[ogrt-env") > strchr(c.text, '\n'),
		  "%u parts: %.300s", c.parts_total, c.text);
}

int main(void)
{
	test_utf8();
	test_values();
	test_handmade();
	test_timestamps();
	test_numbers_and_header();
	test_long_cap();
	test_split();
	return tap_exit();
}
