/* src/common: money, buffers, configuration, personal-data sealing. */
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

/* Loads path, expecting failure with exactly "path:<rest>". */
static void
expect_refused(const char *name, const char *text, enum ld_status code,
    const char *rest)
{
	struct ld_config cfg;
	struct ld_err err;
	char expect[1200], *p = write_file(name, text, 0600);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	snprintf(expect, sizeof expect, "%s%s", p, rest);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(ld_config_load_file(&cfg, p, &err), code);
	CU_ASSERT_STRING_EQUAL(err.msg, expect);
	/* A refused file leaves the defaults, not half of the file. */
	CU_ASSERT_PTR_NULL(cfg.path);
	CU_ASSERT_EQUAL(cfg.risk.base_points, 600);
	ld_config_free(&cfg);
}

static void
test_config_defaults_without_file(void)
{
	struct ld_config cfg;
	struct ld_err err;
	char empty[512];

	/* An installed directory with no loandesk.conf in it. */
	snprintf(empty, sizeof empty, "%s/empty-etc", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkdir(empty, 0700), 0);
	unsetenv("LOANDESK_CONF");
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(ld_config_load_from(&cfg, NULL, empty, &err), LD_OK);
	CU_ASSERT_PTR_NULL(cfg.path);
	CU_ASSERT_STRING_EQUAL(cfg.database.conninfo, "");
	CU_ASSERT_STRING_EQUAL(cfg.daemon.listen, "127.0.0.1:8480");
	CU_ASSERT_EQUAL(cfg.risk.base_points, 600);
	CU_ASSERT_EQUAL(cfg.payout.per_transfer_max_fen, 2000000);
	CU_ASSERT_FALSE(cfg.wxpay.present);
	ld_config_free(&cfg);
}

static void
test_config_search_order(void)
{
	struct ld_config cfg;
	struct ld_err err;
	char etc[512], sys[600], env[600], cli[600];

	/* -c FILE, else $LOANDESK_CONF, else sysconfdir/loandesk/. */
	snprintf(etc, sizeof etc, "%s/etc", tmpdir);
	snprintf(sys, sizeof sys, "%s/loandesk", etc);
	CU_ASSERT_EQUAL_FATAL(mkdir(etc, 0700), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(sys, 0700), 0);
	snprintf(sys, sizeof sys, "%s", write_file("etc/loandesk/loandesk.conf",
	    "[risk]\npdo = 21\n", 0600));
	snprintf(env, sizeof env, "%s", write_file("env.conf",
	    "[risk]\npdo = 22\n", 0600));
	snprintf(cli, sizeof cli, "%s", write_file("cli.conf",
	    "[risk]\npdo = 23\n", 0600));

	unsetenv("LOANDESK_CONF");
	CU_ASSERT_EQUAL(ld_config_load_from(&cfg, NULL, etc, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(cfg.path, sys);
	CU_ASSERT_EQUAL(cfg.risk.pdo, 21);
	ld_config_free(&cfg);

	setenv("LOANDESK_CONF", env, 1);
	CU_ASSERT_EQUAL(ld_config_load_from(&cfg, NULL, etc, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(cfg.path, env);
	CU_ASSERT_EQUAL(cfg.risk.pdo, 22);
	ld_config_free(&cfg);

	CU_ASSERT_EQUAL(ld_config_load_from(&cfg, cli, etc, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(cfg.path, cli);
	CU_ASSERT_EQUAL(cfg.risk.pdo, 23);
	ld_config_free(&cfg);
	unsetenv("LOANDESK_CONF");
}

static void
test_config_misspelt_key(void)
{
	struct ld_config cfg;
	struct ld_err err;
	char *p = write_file("bad.conf",
	    "[database]\n"
	    "conninfo = dbname=x\n"
	    "\n"
	    "[payout]\n"
	    "per_transfer_max_fen = 100\n"
	    "per_tranfser_max_fen = 200\n", 0600);
	char expect[600];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(ld_config_load(&cfg, p, &err), LD_EINVAL);
	snprintf(expect, sizeof expect, "%s:6: unknown key "
	    "\"per_tranfser_max_fen\" in [payout]", p);
	CU_ASSERT_STRING_EQUAL(err.msg, expect);
	ld_config_free(&cfg);
}

static void
test_config_errors_name_line(void)
{
	expect_refused("sec.conf", "[databse]\nconninfo = x\n", LD_EINVAL,
	    ":1: unknown section [databse]");
	expect_refused("val.conf", "[payout]\n\nper_transfer_max_fen = 12.5\n",
	    LD_EINVAL, ":3: key \"per_transfer_max_fen\" in [payout]: "
	    "invalid value \"12.5\" (expected a whole number of fen)");
	expect_refused("syn.conf", "[risk]\npdo 20\n", LD_EINVAL,
	    ":2: syntax error (expected [section] or key = value)");
	expect_refused("twice.conf", "[risk]\npdo = 20\n\npdo = 21\n",
	    LD_EINVAL, ":4: key \"pdo\" in [risk] given twice (first on "
	    "line 2)");
	expect_refused("nosec.conf", "; comment\nconninfo = x\n", LD_EINVAL,
	    ":2: key \"conninfo\" before any [section]");
}

static void
test_config_empty_unknown_section(void)
{
	/* A header with no keys under it is refused all the same. */
	expect_refused("empty1.conf", "[foo]\n", LD_EINVAL,
	    ":1: unknown section [foo]");
	expect_refused("empty2.conf", "[database]\nconninfo = x\n\n"
	    "  [foo]  ; stray\n", LD_EINVAL, ":4: unknown section [foo]");
	expect_refused("empty3.conf", "\xef\xbb\xbf[foo]\n[risk]\npdo = 1\n",
	    LD_EINVAL, ":1: unknown section [foo]");
	/* The first fault is the one reported, whoever found it. */
	expect_refused("first1.conf", "[risk]\n[foo]\npdo 20\n", LD_EINVAL,
	    ":2: unknown section [foo]");
	expect_refused("first2.conf", "[risk]\npdo 20\n[foo]\n", LD_EINVAL,
	    ":2: syntax error (expected [section] or key = value)");
}

static void
test_config_late_errors_name_line(void)
{
	/* Missing required keys: the line of the section's header. */
	expect_refused("req.conf", "[database]\n\n[security]\n"
	    "pii_key_file = /nonexistent\n", LD_EINVAL,
	    ":3: [security] lacks required key \"blind_index_key_file\"");
	expect_refused("wxempty.conf", "[risk]\n[wxpay]\n", LD_EINVAL,
	    ":2: [wxpay] lacks required key \"mode\"");
	expect_refused("wxmode.conf", "[wxpay]\nmchid = 1\nappid = wx1\n"
	    "base_url = https://api.mch.weixin.qq.com\nmode = v2\n",
	    LD_EINVAL, ":5: [wxpay] mode v2 requires key \"apiv2_key_file\"");
	/* Values wrong together: the key that made them so. */
	expect_refused("order.conf", "[risk]\nreject_min_pd_bps = 500\n"
	    "approve_max_pd_bps = 500\n", LD_EINVAL, ":3: [risk] "
	    "approve_max_pd_bps (500) must be below reject_min_pd_bps (500)");
	expect_refused("order2.conf", "[risk]\nreject_min_pd_bps = 200\n",
	    LD_EINVAL, ":2: [risk] approve_max_pd_bps (300) must be below "
	    "reject_min_pd_bps (200)");
	expect_refused("workers.conf", "[daemon]\nbatch_size = 8\n"
	    "workers = 0\n", LD_EINVAL, ":3: [daemon] workers must be at "
	    "least 1");
}

static void
test_config_key_file_mode(void)
{
	struct ld_config cfg;
	struct ld_err err;
	char keypath[512], bidxpath[512], conf[1200], expect[2000], *p;

	snprintf(keypath, sizeof keypath, "%s", write_file("pii.key",
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
	    0644));
	snprintf(bidxpath, sizeof bidxpath, "%s", write_file("bidx.key",
	    "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n",
	    0600));
	snprintf(conf, sizeof conf, "[security]\npii_key_file = %s\n"
	    "blind_index_key_file = %s\n", keypath, bidxpath);
	p = write_file("keys.conf", conf, 0600);
	CU_ASSERT_EQUAL(ld_config_load_file(&cfg, p, &err), LD_EPERM);
	/* The file and the line of the key that named the key file. */
	snprintf(expect, sizeof expect, "%s:2: [security] pii_key_file: key "
	    "file %s has mode 0644: it must not be accessible by group or "
	    "others (chmod 600 %s)", p, keypath, keypath);
	CU_ASSERT_STRING_EQUAL(err.msg, expect);
	ld_config_free(&cfg);

	chmod(keypath, 0600);
	CU_ASSERT_EQUAL(ld_config_load_file(&cfg, p, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(cfg.security.pii_key_file, keypath);
	ld_config_free(&cfg);
}

struct doc_key {
	char section[32], name[64];
};

/*
 * The keys the sample documents, set or commented out (";key = value"),
 * each with the section it sits in.
 */
static size_t
example_keys(struct doc_key *out, size_t max)
{
	char path[512], line[512], section[32] = "";
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof path, "%s/etc/loandesk.conf.example",
	    getenv("top_srcdir") ? getenv("top_srcdir") : ".");
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof line, f) != NULL) {
		char *p = line, *end;
		size_t len;

		if (*p == '[' && (end = strchr(p, ']')) != NULL) {
			snprintf(section, sizeof section, "%.*s",
			    (int)(end - p - 1), p + 1);
			continue;
		}
		if (*p == ';')
			p++;
		len = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
		if (len == 0 || strncmp(p + len, " =", 2) != 0)
			continue;
		CU_ASSERT_FATAL(n < max);
		snprintf(out[n].section, sizeof out[n].section, "%s", section);
		snprintf(out[n].name, sizeof out[n].name, "%.*s", (int)len, p);
		n++;
	}
	fclose(f);
	return n;
}

static void
test_config_example_is_valid_and_complete(void)
{
	struct doc_key doc[128];
	size_t ndoc = example_keys(doc, 128), nkeys, i, j;
	const char *section, *name;

	/* Every key the loader knows is documented in its section... */
	for (i = 0; ld_config_key_at(i, &section, &name); i++) {
		for (j = 0; j < ndoc; j++)
			if (strcmp(doc[j].section, section) == 0 &&
			    strcmp(doc[j].name, name) == 0)
				break;
		if (j == ndoc)
			fprintf(stderr, "[%s] %s is not documented in "
			    "etc/loandesk.conf.example\n", section, name);
		CU_ASSERT(j < ndoc);
	}
	nkeys = i;
	CU_ASSERT(nkeys >= 40);
	/* ...and the sample documents nothing the loader would refuse. */
	for (j = 0; j < ndoc; j++) {
		for (i = 0; ld_config_key_at(i, &section, &name); i++)
			if (strcmp(doc[j].section, section) == 0 &&
			    strcmp(doc[j].name, name) == 0)
				break;
		if (i == nkeys)
			fprintf(stderr, "etc/loandesk.conf.example documents "
			    "[%s] %s, which the loader does not know\n",
			    doc[j].section, doc[j].name);
		CU_ASSERT(i < nkeys);
	}
	CU_ASSERT_EQUAL(ndoc, nkeys);
}

static void
test_config_example_loads(void)
{
	/* The example, with its key paths pointing at real 0600 files. */
	char cmd[2048], conf[600];
	struct ld_config cfg;
	struct ld_err err;

	snprintf(conf, sizeof conf, "%s/example.conf", tmpdir);
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/keys' && cd '%s/keys' && "
	    "for f in apiclient_key.pem wechatpay_public_key.pem apiv3.key "
	    "pii.key blind_index.key; do echo x > $f; chmod 600 $f; done && "
	    "sed 's|/etc/loandesk/keys/|%s/keys/|' "
	    "'%s/etc/loandesk.conf.example' > '%s'", tmpdir, tmpdir, tmpdir,
	    getenv("top_srcdir") ? getenv("top_srcdir") : ".", conf);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(ld_config_load_file(&cfg, conf, &err), LD_OK);
	if (err.code != LD_OK)
		fprintf(stderr, "%s\n", err.msg);
	CU_ASSERT_EQUAL(cfg.wxpay.mode, LD_WXPAY_V3);
	CU_ASSERT_STRING_EQUAL(cfg.wxpay.mchid, "1900000001");
	CU_ASSERT_EQUAL(cfg.payout.per_transfer_max_fen, 2000000);
	ld_config_free(&cfg);
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
	static const struct ld_test_case config[] = {
		LD_TEST(test_config_defaults_without_file),
		LD_TEST(test_config_search_order),
		LD_TEST(test_config_misspelt_key),
		LD_TEST(test_config_errors_name_line),
		LD_TEST(test_config_empty_unknown_section),
		LD_TEST(test_config_late_errors_name_line),
		LD_TEST(test_config_key_file_mode),
		LD_TEST(test_key_file_read_checks_descriptor),
		LD_TEST(test_config_example_is_valid_and_complete),
		LD_TEST(test_config_example_loads),
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
	ld_test_suite("config", suite_init, suite_clean, config);
	ld_test_suite("pii", suite_init, suite_clean, pii);
	ld_test_suite("utf8", NULL, NULL, utf8);
	return ld_test_run();
}
