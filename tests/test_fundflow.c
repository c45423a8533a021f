/*
 * The fund-flow bill's file, read as reconciliation reads it (src/wxpay/
 * wxpay_bill_csv.c): the simulator's form and WeChat Pay's documented
 * one, amounts from yuan text to fen checked against Python's decimal
 * arithmetic, every malformed file refused naming its line and field, and
 * the SHA1 the download is held to checked against the openssl command
 * line.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ld_buf.h"
#include "ld_money.h"
#include "ld_test.h"
#include "wxpay_bill.h"

#define HDR "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型," \
	"收支类型,收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号"
#define SUMHDR "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"

/*
 * As wxpay-sim writes it: CRLF, every value led by a backtick, a remark
 * holding a comma, a quote and a line end quoted as RFC 4180 says.
 */
static const char sim_file[] =
    HDR "\r\n"
    "`2025-04-01 10:00:01,`1330000001,`4200000001,`商家转账,`转账,`支出,"
    "`1000.01,`98999.99,`1900000001,`贷款,`LD1S1G0\r\n"
    "`2025-04-01 10:00:02,`1330000002,`4200000002,`商家转账,`转账,`支出,"
    "`0.02,`98999.97,`1900000001,\"`a, \"\"quoted\"\"\r\nremark\","
    "`LD2S1G0\r\n"
    "`2025-04-01 23:59:59,`1330000003,`4200000003,`商家转账,`转账,`支出,"
    "`20000,`78999.97,`1900000001,`,`LD3S1G0\r\n"
    SUMHDR "\r\n"
    "`3,`0,`0.00,`3,`21000.03\r\n";

/*
 * As WeChat Pay's pages show it: a byte-order mark, LF, header names with
 * backticks and full-width parentheses, money in and out, counts with a
 * zero fraction, a line without a voucher number.
 */
static const char wechat_file[] =
    "\xef\xbb\xbf"
    "`记账时间,`微信支付业务单号,`资金流水单号,`业务名称,`业务类型,"
    "`收支类型,`收支金额（元）,`账户结余（元）,`资金变更提交申请人,`备注,"
    "`业务凭证号\n"
    "`2025-04-01 09:00:00,`50300806962021020105978994968,"
    "`4200000920202101197964319284,`充值,`充值,`收入,`500000.00,"
    "`500000.00,`1900000001API,`,`\n"
    "\n"
    "`2025-04-01 13:54:01,`50300806962021020105978994969,"
    "`4200000920202101197964319285,`退款,`退款,`支出,`0.1,`499999.90,"
    "`1900000001API,`退款总金额0.10元;含手续费0.00元,`S20210201135356\n"
    "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\n"
    "`2.0,`1.0,`500000.00,`1.00,`0.10\n"
    "\n";

static void
test_sim_form(void)
{
	struct wx_fundflow f;
	struct ld_err err;

	ld_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(wx_fundflow_parse(sim_file, sizeof sim_file - 1,
	    "2025-04-01", &f, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(f.n, 3);
	CU_ASSERT_EQUAL(f.lines[0].line, 2);
	CU_ASSERT_STRING_EQUAL(f.lines[0].booked_at, "2025-04-01 10:00:01");
	CU_ASSERT_STRING_EQUAL(f.lines[0].wechat_no, "1330000001");
	CU_ASSERT_STRING_EQUAL(f.lines[0].flow_no, "4200000001");
	CU_ASSERT_STRING_EQUAL(f.lines[0].business_name, "商家转账");
	CU_ASSERT_EQUAL(f.lines[0].out, 1);
	CU_ASSERT_EQUAL(f.lines[0].amount_fen, 100001);
	CU_ASSERT_EQUAL(f.lines[0].balance_fen, 9899999);
	CU_ASSERT_STRING_EQUAL(f.lines[0].voucher_no, "LD1S1G0");
	/* docs/wxpay-api.md, "Fund-flow bill: file format": 0.02 is 2 fen. */
	CU_ASSERT_EQUAL(f.lines[1].amount_fen, 2);
	CU_ASSERT_STRING_EQUAL(f.lines[1].remark, "a, \"quoted\"\r\nremark");
	CU_ASSERT_STRING_EQUAL(f.lines[1].voucher_no, "LD2S1G0");
	/* The quoted line end counts: the third record starts on line 5. */
	CU_ASSERT_EQUAL(f.lines[2].line, 5);
	CU_ASSERT_EQUAL(f.lines[2].amount_fen, 2000000);
	CU_ASSERT_STRING_EQUAL(f.lines[2].remark, "");
	CU_ASSERT_EQUAL(f.total_count, 3);
	CU_ASSERT_EQUAL(f.in_count, 0);
	CU_ASSERT_EQUAL(f.out_count, 3);
	CU_ASSERT_EQUAL(f.out_fen, 2100003);
	wx_fundflow_free(&f);
	/* Another day's bill is not this day's. */
	CU_ASSERT_EQUAL(wx_fundflow_parse(sim_file, sizeof sim_file - 1,
	    "2025-04-02", &f, &err), LD_EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "line 2, 记账时间"));
	CU_ASSERT_EQUAL(f.n, 0);
}

static void
test_wechat_form(void)
{
	struct wx_fundflow f;
	struct ld_err err;

	ld_err_clear(&err);
	if (wx_fundflow_parse(wechat_file, sizeof wechat_file - 1, NULL, &f,
	    &err) != LD_OK)
		fprintf(stderr, "%s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(f.n, 2);
	CU_ASSERT_EQUAL(f.lines[0].out, 0);
	CU_ASSERT_EQUAL(f.lines[0].amount_fen, 50000000);
	CU_ASSERT_STRING_EQUAL(f.lines[0].voucher_no, "");
	CU_ASSERT_EQUAL(f.lines[1].line, 4);
	CU_ASSERT_EQUAL(f.lines[1].out, 1);
	CU_ASSERT_EQUAL(f.lines[1].amount_fen, 10);
	CU_ASSERT_EQUAL(f.lines[1].balance_fen, 49999990);
	CU_ASSERT_STRING_EQUAL(f.lines[1].remark,
	    "退款总金额0.10元;含手续费0.00元");
	CU_ASSERT_EQUAL(f.total_count, 2);
	CU_ASSERT_EQUAL(f.in_count, 1);
	CU_ASSERT_EQUAL(f.in_fen, 50000000);
	CU_ASSERT_EQUAL(f.out_count, 1);
	CU_ASSERT_EQUAL(f.out_fen, 10);
	wx_fundflow_free(&f);
}

/* A day with only the headers and a summary of zeros is a bill too. */
static void
test_empty_bill(void)
{
	static const char empty[] = HDR "\r\n" SUMHDR "\r\n"
	    "`0,`0,`0.00,`0,`0.00\r\n";
	struct wx_fundflow f;
	struct ld_err err;

	CU_ASSERT_EQUAL(wx_fundflow_parse(empty, sizeof empty - 1, NULL, &f,
	    &err), LD_OK);
	CU_ASSERT_EQUAL(f.n, 0);
	wx_fundflow_free(&f);
}

/*
 * Random yuan texts converted here and by Python's decimal module, which
 * shares no code with ours: the two must agree on every one.
 */
static void
test_amounts_against_python(void)
{
	char path[] = "/tmp/ld-test-yuan.XXXXXX", cmd[512], line[64];
	char text[40];
	FILE *f, *p;
	unsigned long seed = 20250401;
	int64_t fen, want;
	struct ld_err err;
	int fd, i, n = 0, bad = 0;

	CU_ASSERT_FATAL((fd = mkstemp(path)) >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_FATAL(f != NULL);
	for (i = 0; i < 3000; i++) {
		int digits, dec, k, o = 0;

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		digits = 1 + (int)((seed >> 33) % 11);
		dec = (int)((seed >> 20) % 3);
		for (k = 0; k < digits; k++) {
			seed = seed * 6364136223846793005UL + 1UL;
			text[o++] = (char)('0' + (seed >> 40) % 10);
		}
		if (dec > 0) {
			text[o++] = '.';
			for (k = 0; k < dec; k++) {
				seed = seed * 6364136223846793005UL + 1UL;
				text[o++] = (char)('0' + (seed >> 40) % 10);
			}
		}
		text[o] = '\0';
		fprintf(f, "%s\n", text);
	}
	/* Edges: zero, one fen, the largest amount. */
	fprintf(f, "0\n0.01\n0.1\n100000000000.00\n99999999999.99\n");
	CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c 'import sys, decimal\n"
	    "for l in open(sys.argv[1]):\n"
	    "    t = l.strip(); print(t, int(decimal.Decimal(t) * 100))' %s",
	    path);
	p = popen(cmd, "r");
	CU_ASSERT_FATAL(p != NULL);
	while (fgets(line, sizeof line, p) != NULL) {
		char *sp = strchr(line, ' ');

		CU_ASSERT_FATAL(sp != NULL);
		*sp = '\0';
		want = strtoll(sp + 1, NULL, 10);
		ld_err_clear(&err);
		if (wx_yuan_to_fen(line, strlen(line), &fen, &err) != LD_OK ||
		    fen != want) {
			if (bad++ < 5)
				fprintf(stderr, "%s: %" PRId64 " here, %" PRId64
				    " by Python (%s)\n", line, fen, want,
				    err.msg);
		}
		n++;
	}
	CU_ASSERT_EQUAL(pclose(p), 0);
	CU_ASSERT_EQUAL(n, 3005);
	CU_ASSERT_EQUAL(bad, 0);
	unlink(path);
}

static void
test_amounts_refused(void)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "1.234", "more than two decimals" },
		{ "-1.00", "sign" },
		{ "+1", "sign" },
		{ "1,000.00", "','" },
		{ "1e3", "'e'" },
		{ " 1.00", "byte 0x20" },
		{ "1.00 ", "byte 0x20" },
		{ "1.", "no digits after the dot" },
		{ ".5", "no digits before the dot" },
		{ "", "empty" },
		{ "1.2.3", "'.'" },
		{ "100000000000.01", "more than 10000000000000 fen" },
		{ "99999999999999999999999", "more than" },
		{ "¥1.00", "byte 0xc2" },
	};
	struct ld_err err;
	int64_t fen;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ld_err_clear(&err);
		CU_ASSERT_EQUAL(wx_yuan_to_fen(cases[i].text,
		    strlen(cases[i].text), &fen, &err), LD_EINVAL);
		if (strstr(err.msg, cases[i].why) == NULL)
			fprintf(stderr, "\"%s\": %s\n", cases[i].text,
			    err.msg);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[i].why));
	}
}

/*
 * One well-formed bill with one thing changed: each is refused with a
 * message naming where.
 */
static void
test_malformed_files(void)
{
#define L1 "`2025-04-01 10:00:01,`1330000001,`4200000001,`商家转账,`转账,"
#define L1E "`1900000001,`贷款,`LD1S1G0\r\n"
#define GOOD_SUM SUMHDR "\r\n`1,`0,`0.00,`1,`1.00\r\n"
	static const struct {
		const char *file, *want;
	} cases[] = {
		{ "", "empty file" },
		{ "记账时间,微信支付业务单号\r\n", "line 1: the detail header has 2 "
		    "fields, not 11" },
		{ "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,"
		    "收支金额,账户结余(元),资金变更提交申请人,备注,业务凭证号\r\n",
		    "line 1: the detail header's field 7 is \"收支金额\", not "
		    "收支金额(元)" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00," L1E,
		    "no summary (资金流水总笔数 ...) after line 2" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00,`x\r\n" GOOD_SUM,
		    "line 2: 9 fields, not the header's 11" },
		{ HDR "\r\n" L1 "`支出,`1.001,`9.00," L1E GOOD_SUM,
		    "line 2, 收支金额(元): \"1.001\" has more than two decimals" },
		{ HDR "\r\n" L1 "`支出,`-1.00,`9.00," L1E GOOD_SUM,
		    "line 2, 收支金额(元): \"-1.00\" has a sign" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.0x," L1E GOOD_SUM,
		    "line 2, 账户结余(元): \"9.0x\" has 'x' at character 4" },
		{ HDR "\r\n" L1 "`支出,`100000000000.01,`9.00," L1E GOOD_SUM,
		    "line 2, 收支金额(元): \"100000000000.01\" is more than" },
		{ HDR "\r\n" L1 "`出,`1.00,`9.00," L1E GOOD_SUM,
		    "line 2, 收支类型: \"出\" is neither 收入 nor 支出" },
		{ HDR "\r\n" L1 "`支出,1.00,`9.00," L1E GOOD_SUM,
		    "line 2, 收支金额(元): the value does not start with a "
		    "backtick" },
		{ HDR "\r\n`2025-02-30 10:00:01,`1,`2,`a,`b,`支出,`1.00,`9.00,"
		    L1E GOOD_SUM, "line 2, 记账时间: \"2025-02-30 10:00:01\" is "
		    "not a time" },
		{ HDR "\r\n`2025-04-01 10:00:01,`,`2,`a,`b,`支出,`1.00,`9.00,"
		    L1E GOOD_SUM, "line 2, 微信支付业务单号: empty" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00,`1900000001,\"`unclosed\r\n",
		    "line 2, field 10: a quoted value is not closed" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00,`1900000001,\"`a\"b,`X\r\n",
		    "line 2, field 10: something after the closing quote" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00,`1900000001,`a\"b,`X\r\n",
		    "line 2, field 10: a quote inside a value that is not quoted" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00,`1900000001,`a\rb,`X\r\n",
		    "line 2, field 10: a carriage return not followed by a line "
		    "feed" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00,`1900000001,`a\x01,`X\r\n"
		    GOOD_SUM, "line 2, 备注: a control character at byte 2" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00,`1900000001,`a\xff,`X\r\n"
		    GOOD_SUM, "line 2, 备注:" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00," L1E SUMHDR "\r\n"
		    "`2,`0,`0.00,`1,`1.00\r\n",
		    "line 4, 资金流水总笔数: 2, but the bill has 1 lines" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00," L1E SUMHDR "\r\n"
		    "`1,`0,`0.00,`0,`1.00\r\n",
		    "line 4, 支出笔数: 0, but 1 lines are 支出" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00," L1E SUMHDR "\r\n"
		    "`1,`0,`0.00,`1,`1.01\r\n",
		    "line 4, 支出金额: 1.01 yuan, but its lines add up to 1.00" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00," L1E SUMHDR "\r\n"
		    "`1.5,`0,`0.00,`1,`1.00\r\n",
		    "line 4, 资金流水总笔数: \"1.5\" is not a count of lines" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00," L1E SUMHDR "\r\n",
		    "the summary header has no line of figures after it" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00," L1E GOOD_SUM "`x\r\n",
		    "line 5: nothing may follow the summary" },
		{ HDR "\r\n" L1 "`支出,`1.00,`9.00," L1E
		    "资金流水总笔数,收入笔数,收入金额,支出笔数\r\n`1,`0,`0.00,`1\r\n",
		    "line 3: the summary header has 4 fields, not 5" },
	};
	struct wx_fundflow f;
	struct ld_err err;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ld_err_clear(&err);
		CU_ASSERT_EQUAL(wx_fundflow_parse(cases[i].file,
		    strlen(cases[i].file), NULL, &f, &err), LD_EPROTO);
		CU_ASSERT_EQUAL(f.n, 0);
		CU_ASSERT_PTR_NULL(f.lines);
		if (strstr(err.msg, cases[i].want) == NULL)
			fprintf(stderr, "case %zu: got \"%s\", want \"%s\"\n",
			    i, err.msg, cases[i].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[i].want));
	}
#undef L1
#undef L1E
#undef GOOD_SUM
}

/* A value longer than any the format has stops the file at once. */
static void
test_field_too_long(void)
{
	struct ld_buf b;
	struct wx_fundflow f;
	struct ld_err err;
	int i;

	ld_buf_init(&b, 0);
	ld_buf_puts(&b, HDR "\r\n`2025-04-01 10:00:01,`1,`2,`a,`b,`支出,"
	    "`1.00,`9.00,`1900000001,`");
	for (i = 0; i < 2000; i++)
		ld_buf_puts(&b, "x");
	ld_buf_puts(&b, ",`X\r\n");
	CU_ASSERT_EQUAL(wx_fundflow_parse(b.data, b.len, NULL, &f, &err),
	    LD_EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "line 2, field 10: longer than "
	    "1024 bytes"));
	ld_buf_free(&b);
}

/* Our SHA1 against the openssl command line, on the bills above and more. */
static void
test_sha1_against_openssl(void)
{
	static const char *const inputs[] = { sim_file, wechat_file, "" };
	char path[] = "/tmp/ld-test-sha1.XXXXXX", cmd[256], out[128], hex[41];
	unsigned char big[100000];
	size_t i, len;
	FILE *f, *p;
	int fd;

	for (i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)(i * 2654435761u >> 13);
	for (i = 0; i < 4; i++) {
		const void *data = i < 3 ? (const void *)inputs[i] : big;

		len = i < 3 ? strlen(inputs[i]) : sizeof big;
		CU_ASSERT_FATAL((fd = mkstemp(path)) >= 0);
		f = fdopen(fd, "w");
		CU_ASSERT_FATAL(f != NULL);
		CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
		CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
		snprintf(cmd, sizeof cmd, "openssl dgst -sha1 -r %s", path);
		p = popen(cmd, "r");
		CU_ASSERT_FATAL(p != NULL);
		out[0] = '\0';
		CU_ASSERT_PTR_NOT_NULL(fgets(out, sizeof out, p));
		CU_ASSERT_EQUAL(pclose(p), 0);
		out[40] = '\0';
		wx_sha1_hex(data, len, hex);
		CU_ASSERT_STRING_EQUAL(hex, out);
		unlink(path);
		memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	}
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
		LD_TEST(test_sim_form),
		LD_TEST(test_wechat_form),
		LD_TEST(test_empty_bill),
		LD_TEST(test_amounts_against_python),
		LD_TEST(test_amounts_refused),
		LD_TEST(test_malformed_files),
		LD_TEST(test_field_too_long),
		LD_TEST(test_sha1_against_openssl),
		LD_TEST_END
	};

	LD_TEST_INIT();
	ld_test_suite("fund-flow bill", NULL, NULL, cases);
	return ld_test_run();
}
