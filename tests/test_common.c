/*
 * src/common: money, buffers, key files, personal-data sealing.  The
 * configuration loader is tests/test_config.c's, with its sections.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ld_buf.h"
#include "ld_config.h"
#include "ld_money.h"
#include "ld_pii.h"
#include "ld_test.h"
#include "ld_utf8.h"

static char tmpdir[256];

static int
suite_init(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/ld-test-common.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
suite_clean(void)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_money_parse(void)
{
	struct ld_err err;
	int64_t fen = -1;

	CU_ASSERT_EQUAL(ld_money_parse_yuan("1234.56", &fen, &err), LD_OK);
	CU_ASSERT_EQUAL(fen, 123456);
	CU_ASSERT_EQUAL(ld_money_parse_yuan("1,234.5", &fen, &err), LD_OK);
	CU_ASSERT_EQUAL(fen, 123450);
	CU_ASSERT_EQUAL(ld_money_parse_yuan("\xc2\xa5" "7", &fen, &err), LD_OK);
	CU_ASSERT_EQUAL(fen, 700);
	CU_ASSERT_EQUAL(ld_money_parse_yuan("0.01", &fen, &err), LD_OK);
	CU_ASSERT_EQUAL(fen, 1);
	CU_ASSERT_EQUAL(ld_money_parse_yuan("1.234", &fen, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "two decimals"));
	CU_ASSERT_EQUAL(ld_money_parse_yuan("-5", &fen, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(ld_money_parse_yuan("", &fen, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(ld_money_parse_yuan("1e5", &fen, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(ld_money_parse_yuan("100000000000.01", &fen, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(ld_money_parse_yuan("99999999999.99", &fen, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(fen, INT64_C(9999999999999));
}

static void
test_money_format(void)
{
	char buf[64];

	ld_money_format(123456, 0, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "1,234.56");
	ld_money_format(5, 1, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "\xc2\xa5" "0.05");
	ld_money_format(-100000000, 0, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "-1,000,000.00");
	ld_money_format(INT64_MIN, 0, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "-92,233,720,368,547,758.08");
}

static void
test_money_mul_div(void)
{
	int64_t out = 0;

	/* 1,000.00 at 1.5%: 15.00; halves round away from zero. */
	CU_ASSERT_EQUAL(ld_money_mul_div(100000, 150, 10000, &out), LD_OK);
	CU_ASSERT_EQUAL(out, 1500);
	CU_ASSERT_EQUAL(ld_money_mul_div(5, 1, 2, &out), LD_OK);
	CU_ASSERT_EQUAL(out, 3);
	CU_ASSERT_EQUAL(ld_money_mul_div(-5, 1, 2, &out), LD_OK);
	CU_ASSERT_EQUAL(out, -3);
	CU_ASSERT_EQUAL(ld_money_mul_div(INT64_MAX, 3, 1, &out), LD_EINVAL);
	CU_ASSERT_EQUAL(ld_money_mul_div(1, 1, 0, &out), LD_EINVAL);
}

static void
test_buf_limit(void)
{
	struct ld_buf b;

	ld_buf_init(&b, 8);
	CU_ASSERT_EQUAL(ld_buf_puts(&b, "12345678"), LD_OK);
	CU_ASSERT_EQUAL(ld_buf_puts(&b, "9"), LD_EINVAL);
	CU_ASSERT_EQUAL(b.len, 8);
	CU_ASSERT_STRING_EQUAL(b.data, "12345678");
	ld_buf_free(&b);
}

static char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

static void
test_pii_seal_open(void)
{
	struct ld_pii_key k, other;
	unsigned char raw[32], sealed[64 + LD_PII_OVERHEAD];
	char plain[80];
	const char *name = "\xe5\xbc\xa0\xe5\xb0\x8f\xe4\xb8\x89"; /* 张小三 */
	struct ld_err err;
	size_t len = strlen(name);

	memset(raw, 7, sizeof raw);
	ld_pii_key_from_bytes(&k, raw);
	raw[0] = 8;
	ld_pii_key_from_bytes(&other, raw);
	CU_ASSERT_EQUAL(ld_pii_seal(&k, "name", name, len, sealed, &err), LD_OK);
	CU_ASSERT_EQUAL(ld_pii_open(&k, "name", sealed, len + LD_PII_OVERHEAD,
	    plain, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(plain, name);
	/* Wrong column, wrong key, flipped bit: all refused. */
	CU_ASSERT_EQUAL(ld_pii_open(&k, "phone", sealed, len + LD_PII_OVERHEAD,
	    plain, &err), LD_ECRYPTO);
	CU_ASSERT_EQUAL(ld_pii_open(&other, "name", sealed,
	    len + LD_PII_OVERHEAD, plain, &err), LD_ECRYPTO);
	sealed[20] ^= 1;
	CU_ASSERT_EQUAL(ld_pii_open(&k, "name", sealed, len + LD_PII_OVERHEAD,
	    plain, &err), LD_ECRYPTO);
}

static void
test_pii_blind_index(void)
{
	struct ld_pii_key k;
	unsigned char raw[32], a[32], b[32], c[32];

	memset(raw, 1, sizeof raw);
	ld_pii_key_from_bytes(&k, raw);
	ld_pii_blind_index(&k, "id_no", "11010519491231002X", a);
	ld_pii_blind_index(&k, "id_no", "11010519491231002x", b);
	ld_pii_blind_index(&k, "phone", "11010519491231002X", c);
	CU_ASSERT_EQUAL(memcmp(a, b, 32), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a, c, 32), 0);
}

static void
test_pii_masks(void)
{
	char out[64];

	ld_pii_mask_name("\xe5\xbc\xa0\xe4\xb8\x89", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "\xe5\xbc\xa0*"); /* 张* */
	ld_pii_mask_name("\xe5\xbc\xa0\xe5\xb0\x8f\xe4\xb8\x89", out,
	    sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "\xe5\xbc\xa0*\xe4\xb8\x89"); /* 张*三 */
	ld_pii_mask_name("\xe6\xac\xa7\xe9\x98\xb3\xe5\xb0\x8f\xe6\x98\x8e",
	    out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "\xe6\xac\xa7**\xe6\x98\x8e"); /* 欧**明 */
	ld_pii_mask_id("110105194912310021", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "110***********0021");
	ld_pii_mask_phone("13812345678", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "138****5678");
}

static void
test_pii_key_file(void)
{
	struct ld_pii_key k;
	struct ld_err err;
	char path[512];

	snprintf(path, sizeof path, "%s/gen.key", tmpdir);
	CU_ASSERT_EQUAL(ld_pii_key_generate(path, &err), LD_OK);
	CU_ASSERT_EQUAL(ld_pii_key_generate(path, &err), LD_EIO);
	CU_ASSERT_EQUAL(ld_pii_key_load(&k, path, &err), LD_OK);
	chmod(path, 0640);
	CU_ASSERT_EQUAL(ld_pii_key_load(&k, path, &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "mode 0640"));
}

/*
 * The read checks the file it opened: a FIFO in the key's place is refused
 * at once rather than blocking the program on open or read, and the mode
 * check applies to what is read.
 */
static void
test_key_file_read_checks_descriptor(void)
{
	struct ld_buf b;
	struct ld_err err;
	char path[512];

	write_file("read.key", "secret\n", 0600);
	snprintf(path, sizeof path, "%s/read.key", tmpdir);
	ld_buf_init(&b, 64);
	CU_ASSERT_EQUAL(ld_config_read_key_file(path, &b, &err), LD_OK);
	CU_ASSERT_EQUAL(b.len, 7);
	CU_ASSERT_STRING_EQUAL(b.data, "secret\n");
	ld_buf_free(&b);

	chmod(path, 0604);
	ld_buf_init(&b, 64);
	CU_ASSERT_EQUAL(ld_config_read_key_file(path, &b, &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "mode 0604"));
	CU_ASSERT_EQUAL(b.len, 0);
	ld_buf_free(&b);

	snprintf(path, sizeof path, "%s/fifo.key", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
	ld_buf_init(&b, 64);
	CU_ASSERT_EQUAL(ld_config_read_key_file(path, &b, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not a regular file"));
	ld_buf_free(&b);
	unlink(path);

	ld_buf_init(&b, 4);
	write_file("big.key", "0123456789\n", 0600);
	snprintf(path, sizeof path, "%s/big.key", tmpdir);
	CU_ASSERT_EQUAL(ld_config_read_key_file(path, &b, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "larger than 4 bytes"));
	ld_buf_free(&b);
}

/*
 * Decodes s[0..n) substituting U+FFFD for each maximal subpart of an
 * ill-formed sequence, as the Unicode Standard's section 3.9 does; returns
 * the number of code points written to out.
 */
static size_t
utf8_fffd(const char *s, size_t n, uint32_t *out, size_t max)
{
	size_t i = 0, k = 0, len;
	uint32_t cp;

	while (i < n && k < max) {
		if (ld_utf8_decode(s + i, n - i, &cp, &len) != LD_UTF8_OK)
			cp = 0xfffd;
		CU_ASSERT_FATAL(len >= 1);
		out[k++] = cp;
		i += len;
	}
	return k;
}

/*
 * The Unicode Standard's own examples (chapter 3, section 3.9, tables 3-8
 * to 3-12): how many U+FFFD an ill-formed sequence becomes, and where.
 */
static void
test_utf8_unicode_tables(void)
{
	static const struct {
		const char *bytes;
		const uint32_t want[16];
		size_t nwant;
	} cases[] = {
		/* Table 3-8. */
		{ "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64",
		  { 0x61, 0xfffd, 0xfffd, 0xfffd, 0x62, 0xfffd, 0x63, 0xfffd,
		    0xfffd, 0x64 }, 10 },
		/* Table 3-9: non-shortest forms. */
		{ "\xC0\xAF\xE0\x80\xBF\xF0\x81\x82\x41",
		  { 0xfffd, 0xfffd, 0xfffd, 0xfffd, 0xfffd, 0xfffd, 0xfffd,
		    0xfffd, 0x41 }, 9 },
		/* Table 3-10: surrogates. */
		{ "\xED\xA0\x80\xED\xBF\xBF\xED\xAF\x41",
		  { 0xfffd, 0xfffd, 0xfffd, 0xfffd, 0xfffd, 0xfffd, 0xfffd,
		    0xfffd, 0x41 }, 9 },
		/* Table 3-11: other ill-formed sequences. */
		{ "\xF4\x91\x92\x93\xFF\x41\x80\xBF\x42",
		  { 0xfffd, 0xfffd, 0xfffd, 0xfffd, 0xfffd, 0x41, 0xfffd,
		    0xfffd, 0x42 }, 9 },
		/* Table 3-12: truncated sequences. */
		{ "\xE1\x80\xE2\xF0\x91\x92\xF1\xBF\x41",
		  { 0xfffd, 0xfffd, 0xfffd, 0xfffd, 0x41 }, 5 },
	};
	uint32_t got[32];
	size_t i, k, n;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = utf8_fffd(cases[i].bytes, strlen(cases[i].bytes), got, 32);
		CU_ASSERT_EQUAL(n, cases[i].nwant);
		for (k = 0; k < n && k < cases[i].nwant; k++)
			CU_ASSERT_EQUAL(got[k], cases[i].want[k]);
	}
}

/*
 * Markus Kuhn's UTF-8 decoder capability and stress test (sections 1 to
 * 5): what each sequence decodes to, or which fault it is.
 */
static void
test_utf8_kuhn(void)
{
	static const struct {
		const char *bytes;
		enum ld_utf8_status st;
		uint32_t cp;
		size_t len;
	} cases[] = {
		/* 2.1, 2.2, 2.3: boundaries. */
		{ "\x7F", LD_UTF8_OK, 0x7f, 1 },
		{ "\xC2\x80", LD_UTF8_OK, 0x80, 2 },
		{ "\xDF\xBF", LD_UTF8_OK, 0x7ff, 2 },
		{ "\xE0\xA0\x80", LD_UTF8_OK, 0x800, 3 },
		{ "\xED\x9F\xBF", LD_UTF8_OK, 0xd7ff, 3 },
		{ "\xEE\x80\x80", LD_UTF8_OK, 0xe000, 3 },
		{ "\xEF\xBF\xBD", LD_UTF8_OK, 0xfffd, 3 },
		{ "\xEF\xBF\xBF", LD_UTF8_OK, 0xffff, 3 },
		{ "\xF0\x90\x80\x80", LD_UTF8_OK, 0x10000, 4 },
		{ "\xF4\x8F\xBF\xBF", LD_UTF8_OK, 0x10ffff, 4 },
		{ "\xF4\x90\x80\x80", LD_UTF8_TOO_BIG, 0, 1 },
		{ "\xF7\xBF\xBF\xBF", LD_UTF8_TOO_BIG, 0, 1 },
		/* 3.1, 3.5: unexpected continuation, impossible bytes. */
		{ "\x80", LD_UTF8_CONTINUATION, 0, 1 },
		{ "\xBF", LD_UTF8_CONTINUATION, 0, 1 },
		{ "\xFE", LD_UTF8_BAD_BYTE, 0, 1 },
		{ "\xFF", LD_UTF8_BAD_BYTE, 0, 1 },
		{ "\xF8\x88\x80\x80\x80", LD_UTF8_BAD_BYTE, 0, 1 },
		{ "\xFC\x84\x80\x80\x80\x80", LD_UTF8_BAD_BYTE, 0, 1 },
		/* 3.2, 3.3: a lone lead, a last byte missing. */
		{ "\xC3\x20", LD_UTF8_SHORT, 0, 1 },
		{ "\xE4\xB8\x20", LD_UTF8_SHORT, 0, 2 },
		{ "\xDF", LD_UTF8_TRUNCATED, 0, 1 },
		{ "\xEF\xBF", LD_UTF8_TRUNCATED, 0, 2 },
		{ "\xF3\xBF\xBF", LD_UTF8_TRUNCATED, 0, 3 },
		/* 4.1, 4.2, 4.3: overlong "/", the largest overlongs, NUL. */
		{ "\xC0\xAF", LD_UTF8_OVERLONG, 0, 1 },
		{ "\xE0\x80\xAF", LD_UTF8_OVERLONG, 0, 1 },
		{ "\xF0\x80\x80\xAF", LD_UTF8_OVERLONG, 0, 1 },
		{ "\xC1\xBF", LD_UTF8_OVERLONG, 0, 1 },
		{ "\xE0\x9F\xBF", LD_UTF8_OVERLONG, 0, 1 },
		{ "\xF0\x8F\xBF\xBF", LD_UTF8_OVERLONG, 0, 1 },
		{ "\xC0\x80", LD_UTF8_OVERLONG, 0, 1 },
		{ "\xE0\x80\x80", LD_UTF8_OVERLONG, 0, 1 },
		/* 5.1, 5.2: surrogates alone and paired. */
		{ "\xED\xA0\x80", LD_UTF8_SURROGATE, 0, 1 },
		{ "\xED\xAD\xBF", LD_UTF8_SURROGATE, 0, 1 },
		{ "\xED\xB0\x80", LD_UTF8_SURROGATE, 0, 1 },
		{ "\xED\xBF\xBF", LD_UTF8_SURROGATE, 0, 1 },
		{ "\xED\xA0\x80\xED\xB0\x80", LD_UTF8_SURROGATE, 0, 1 },
		/* 5.3: noncharacters are well-formed. */
		{ "\xEF\xBF\xBE", LD_UTF8_OK, 0xfffe, 3 },
	};
	/* Section 1: "κόσμε". */
	static const uint32_t kosme[] = { 0x3ba, 0x1f79, 0x3c3, 0x3bc, 0x3b5 };
	const char *k1 = "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5";
	uint32_t got[8], cp;
	size_t i, n, len, chars = 0;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum ld_utf8_status st;

		cp = 0xdeadbeef;
		st = ld_utf8_decode(cases[i].bytes, strlen(cases[i].bytes),
		    &cp, &len);
		if (st != cases[i].st || len != cases[i].len)
			fprintf(stderr, "case %zu: status %d len %zu\n", i,
			    (int)st, len);
		CU_ASSERT_EQUAL(st, cases[i].st);
		CU_ASSERT_EQUAL(len, cases[i].len);
		if (cases[i].st == LD_UTF8_OK)
			CU_ASSERT_EQUAL(cp, cases[i].cp);
	}
	n = utf8_fffd(k1, strlen(k1), got, 8);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(got[i], kosme[i]);
	CU_ASSERT_EQUAL(ld_utf8_check(k1, strlen(k1), LD_UTF8_BMP_ONLY |
	    LD_UTF8_NO_CONTROL, &chars, NULL), LD_UTF8_OK);
	CU_ASSERT_EQUAL(chars, 5);
	/* NUL is a character; a length of 0 is no character at all. */
	CU_ASSERT_EQUAL(ld_utf8_decode("\0", 1, &cp, &len), LD_UTF8_OK);
	CU_ASSERT_EQUAL(cp, 0);
	CU_ASSERT_EQUAL(ld_utf8_decode("a", 0, &cp, &len), LD_UTF8_TRUNCATED);
	CU_ASSERT_EQUAL(len, 0);
}

/* The checks text fields need: 1-3 byte only, no controls, where. */
static void
test_utf8_check(void)
{
	size_t chars = 99, at = 99;

	/* 张三 and U+1F600: four bytes are refused only when asked. */
	CU_ASSERT_EQUAL(ld_utf8_check("\xE5\xBC\xA0\xE4\xB8\x89\xF0\x9F\x98"
	    "\x80", 10, 0, &chars, &at), LD_UTF8_OK);
	CU_ASSERT_EQUAL(chars, 3);
	CU_ASSERT_EQUAL(ld_utf8_check("\xE5\xBC\xA0\xE4\xB8\x89\xF0\x9F\x98"
	    "\x80", 10, LD_UTF8_BMP_ONLY, &chars, &at), LD_UTF8_FOUR_BYTE);
	CU_ASSERT_EQUAL(at, 6);
	CU_ASSERT_EQUAL(chars, 0);
	/* C0 controls, DEL and C1 controls (U+009B is a CSI); not NBSP. */
	CU_ASSERT_EQUAL(ld_utf8_check("a\tb", 3, LD_UTF8_NO_CONTROL, NULL,
	    &at), LD_UTF8_CONTROL);
	CU_ASSERT_EQUAL(at, 1);
	CU_ASSERT_EQUAL(ld_utf8_check("a\x7f", 2, LD_UTF8_NO_CONTROL, NULL,
	    &at), LD_UTF8_CONTROL);
	CU_ASSERT_EQUAL(ld_utf8_check("a\xC2\x9B", 3, LD_UTF8_NO_CONTROL,
	    NULL, &at), LD_UTF8_CONTROL);
	CU_ASSERT_EQUAL(ld_utf8_check("a\xC2\xA0", 3, LD_UTF8_NO_CONTROL,
	    &chars, NULL), LD_UTF8_OK);
	CU_ASSERT_EQUAL(chars, 2);
	CU_ASSERT_EQUAL(ld_utf8_check("ab\0c", 4, LD_UTF8_NO_CONTROL, NULL,
	    &at), LD_UTF8_CONTROL);
	CU_ASSERT_EQUAL(at, 2);
	/* The first fault is named by its offset. */
	CU_ASSERT_EQUAL(ld_utf8_check("abc\xED\xA0\x80", 6, 0, NULL, &at),
	    LD_UTF8_SURROGATE);
	CU_ASSERT_EQUAL(at, 3);
	CU_ASSERT_EQUAL(ld_utf8_check("", 0, LD_UTF8_BMP_ONLY, &chars, &at),
	    LD_UTF8_OK);
	CU_ASSERT_EQUAL(chars, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(ld_utf8_strerror(LD_UTF8_OVERLONG),
	    "overlong"));
}

/* Cutting, backspacing and waiting for the rest of a character. */
static void
test_utf8_edges(void)
{
	const char *zw = "\xE4\xB8\xAD\xE6\x96\x87";	/* 中文 */

	CU_ASSERT_EQUAL(ld_utf8_prefix(zw, 6, 6), 6);
	CU_ASSERT_EQUAL(ld_utf8_prefix(zw, 6, 5), 3);
	CU_ASSERT_EQUAL(ld_utf8_prefix(zw, 6, 3), 3);
	CU_ASSERT_EQUAL(ld_utf8_prefix(zw, 6, 2), 0);
	CU_ASSERT_EQUAL(ld_utf8_prefix(zw, 6, 100), 6);
	/* Junk is cut byte by byte: a maximal subpart at a time. */
	CU_ASSERT_EQUAL(ld_utf8_prefix("a\x80\x80", 3, 2), 2);

	CU_ASSERT_EQUAL(ld_utf8_last("a\xE4\xB8\xAD", 4), 1);
	CU_ASSERT_EQUAL(ld_utf8_last("a\xE4\xB8", 3), 1);
	CU_ASSERT_EQUAL(ld_utf8_last("ab", 2), 1);
	CU_ASSERT_EQUAL(ld_utf8_last("ab\x80", 3), 2);
	CU_ASSERT_EQUAL(ld_utf8_last("\x80\x80\x80\x80\x80", 5), 4);
	CU_ASSERT_EQUAL(ld_utf8_last("\xF0\x9F\x98\x80", 4), 0);

	CU_ASSERT_TRUE(ld_utf8_incomplete("a\xE4\xB8", 3));
	CU_ASSERT_TRUE(ld_utf8_incomplete("a\xF0", 2));
	CU_ASSERT_FALSE(ld_utf8_incomplete("a\xE4\xB8\xAD", 4));
	CU_ASSERT_FALSE(ld_utf8_incomplete("a\x80", 2));
	CU_ASSERT_FALSE(ld_utf8_incomplete("a\xE0\x80", 3));
	CU_ASSERT_FALSE(ld_utf8_incomplete("", 0));
}

int
main(void)
{
	static const struct ld_test_case money[] = {
		LD_TEST(test_money_parse), LD_TEST(test_money_format),
		LD_TEST(test_money_mul_div), LD_TEST(test_buf_limit),
		LD_TEST_END };
	static const struct ld_test_case key_files[] = {
		LD_TEST(test_key_file_read_checks_descriptor),
		LD_TEST_END };
	static const struct ld_test_case pii[] = {
		LD_TEST(test_pii_seal_open), LD_TEST(test_pii_blind_index),
		LD_TEST(test_pii_masks), LD_TEST(test_pii_key_file),
		LD_TEST_END };
	static const struct ld_test_case utf8[] = {
		LD_TEST(test_utf8_unicode_tables), LD_TEST(test_utf8_kuhn),
		LD_TEST(test_utf8_check), LD_TEST(test_utf8_edges),
		LD_TEST_END };

	LD_TEST_INIT();
	ld_test_suite("money", NULL, NULL, money);
	ld_test_suite("key files", suite_init, suite_clean, key_files);
	ld_test_suite("pii", suite_init, suite_clean, pii);
	ld_test_suite("utf8", NULL, NULL, utf8);
	return ld_test_run();
}
