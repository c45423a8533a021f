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

	LD_TEST_INIT();
	ld_test_suite("money", NULL, NULL, money);
	ld_test_suite("key files", suite_init, suite_clean, key_files);
	ld_test_suite("pii", suite_init, suite_clean, pii);
	return ld_test_run();
}
