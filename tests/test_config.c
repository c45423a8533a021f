/*
 * The configuration: common's loader (syntax, types, errors at file:line,
 * key files, where the file comes from) over the sections their owners
 * declare, the sample etc/loandesk.conf.example against those tables, and
 * the two programs' assemblies of the file (src/cli/cli_config.c,
 * src/daemon/daemon_config.c, compiled in).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "daemon/daemon_config.h"
#include "ld_config.h"
#include "ld_db_config.h"
#include "ld_pii_config.h"
#include "ld_test.h"
#include "payout_config.h"
#include "risk_config.h"
#include "risk_policy.h"
#include "wxpay_config.h"

static char tmpdir[256];

static int
suite_init(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/ld-test-config.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
suite_clean(void)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Every section of loandesk.conf, each read into its owner's struct. */
struct file_config {
	char *path;
	struct ld_db_config database;
	struct wx_config wxpay;
	struct risk_config risk;
	struct payout_config payout;
	struct ld_pii_config security;
	struct daemon_config daemon;
};

#define NPARTS 6

static void
file_parts(struct file_config *c, struct ld_config_part p[NPARTS])
{
	p[0] = (struct ld_config_part){ &ld_db_config_section, &c->database };
	p[1] = (struct ld_config_part){ &wx_config_section, &c->wxpay };
	p[2] = (struct ld_config_part){ &risk_config_section, &c->risk };
	p[3] = (struct ld_config_part){ &payout_config_section, &c->payout };
	p[4] = (struct ld_config_part){ &ld_pii_config_section,
	    &c->security };
	p[5] = (struct ld_config_part){ &daemon_config_section, &c->daemon };
}

static enum ld_status
file_load_file(struct file_config *c, const char *path, struct ld_err *err)
{
	struct ld_config_part p[NPARTS];
	enum ld_status st;

	file_parts(c, p);
	c->path = NULL;
	if ((st = ld_config_load_file(p, NPARTS, path, err)) == LD_OK)
		c->path = strdup(path);
	return st;
}

static enum ld_status
file_load_from(struct file_config *c, const char *cli_path,
    const char *sysconfdir, struct ld_err *err)
{
	struct ld_config_part p[NPARTS];

	file_parts(c, p);
	return ld_config_load_from(p, NPARTS, cli_path, sysconfdir, &c->path,
	    err);
}

static enum ld_status
file_load(struct file_config *c, const char *cli_path, struct ld_err *err)
{
	struct ld_config_part p[NPARTS];

	file_parts(c, p);
	return ld_config_load(p, NPARTS, cli_path, &c->path, err);
}

static void
file_free(struct file_config *c)
{
	struct ld_config_part p[NPARTS];

	file_parts(c, p);
	ld_config_free(p, NPARTS);
	free(c->path);
	c->path = NULL;
}

/* The i-th key of the file, in the order of the parts and their tables. */
static int
key_at(const struct ld_config_part p[NPARTS], size_t i, const char **section,
    const char **name)
{
	size_t k;

	for (k = 0; k < NPARTS; k++) {
		if (i < p[k].section->nkeys) {
			*section = p[k].section->name;
			*name = p[k].section->keys[i].name;
			return 1;
		}
		i -= p[k].section->nkeys;
	}
	return 0;
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
	struct file_config cfg;
	struct ld_err err;
	char expect[1200], *p = write_file(name, text, 0600);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	snprintf(expect, sizeof expect, "%s%s", p, rest);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(file_load_file(&cfg, p, &err), code);
	CU_ASSERT_STRING_EQUAL(err.msg, expect);
	/* A refused file leaves the defaults, not half of the file. */
	CU_ASSERT_PTR_NULL(cfg.path);
	CU_ASSERT_EQUAL(cfg.risk.base_points, 600);
	file_free(&cfg);
}

static void
test_config_defaults_without_file(void)
{
	struct file_config cfg;
	struct ld_err err;
	char empty[512];

	/* An installed directory with no loandesk.conf in it. */
	snprintf(empty, sizeof empty, "%s/empty-etc", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkdir(empty, 0700), 0);
	unsetenv("LOANDESK_CONF");
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(file_load_from(&cfg, NULL, empty, &err), LD_OK);
	CU_ASSERT_PTR_NULL(cfg.path);
	CU_ASSERT_STRING_EQUAL(cfg.database.conninfo, "");
	CU_ASSERT_STRING_EQUAL(cfg.daemon.listen, "127.0.0.1:8480");
	CU_ASSERT_EQUAL(cfg.risk.base_points, 600);
	CU_ASSERT_EQUAL(cfg.payout.per_transfer_max_fen, 2000000);
	CU_ASSERT_FALSE(cfg.wxpay.present);
	file_free(&cfg);
}

static void
test_config_search_order(void)
{
	struct file_config cfg;
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
	CU_ASSERT_EQUAL(file_load_from(&cfg, NULL, etc, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(cfg.path, sys);
	CU_ASSERT_EQUAL(cfg.risk.pdo, 21);
	file_free(&cfg);

	setenv("LOANDESK_CONF", env, 1);
	CU_ASSERT_EQUAL(file_load_from(&cfg, NULL, etc, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(cfg.path, env);
	CU_ASSERT_EQUAL(cfg.risk.pdo, 22);
	file_free(&cfg);

	CU_ASSERT_EQUAL(file_load_from(&cfg, cli, etc, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(cfg.path, cli);
	CU_ASSERT_EQUAL(cfg.risk.pdo, 23);
	file_free(&cfg);
	unsetenv("LOANDESK_CONF");
}

static void
test_config_misspelt_key(void)
{
	struct file_config cfg;
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
	CU_ASSERT_EQUAL(file_load(&cfg, p, &err), LD_EINVAL);
	snprintf(expect, sizeof expect, "%s:6: unknown key "
	    "\"per_tranfser_max_fen\" in [payout]", p);
	CU_ASSERT_STRING_EQUAL(err.msg, expect);
	file_free(&cfg);
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
	struct file_config cfg;
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
	CU_ASSERT_EQUAL(file_load_file(&cfg, p, &err), LD_EPERM);
	/* The file and the line of the key that named the key file. */
	snprintf(expect, sizeof expect, "%s:2: [security] pii_key_file: key "
	    "file %s has mode 0644: it must not be accessible by group or "
	    "others (chmod 600 %s)", p, keypath, keypath);
	CU_ASSERT_STRING_EQUAL(err.msg, expect);
	file_free(&cfg);

	chmod(keypath, 0600);
	CU_ASSERT_EQUAL(file_load_file(&cfg, p, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(cfg.security.pii_key_file, keypath);
	file_free(&cfg);
}

/*
 * The keys other modules asked for: each default, each bound refused at
 * its line, and the values read where they are used.
 */
static void
test_config_owner_keys(void)
{
	struct file_config cfg;
	struct risk_policy pol;
	struct ld_err err;
	char *p;

	ld_err_clear(&err);
	p = write_file("none.conf", "[risk]\n", 0600);
	CU_ASSERT_EQUAL_FATAL(file_load_file(&cfg, p, &err), LD_OK);
	CU_ASSERT_EQUAL(cfg.risk.apr_cap_bps, 2400);
	CU_ASSERT_EQUAL(cfg.risk.approve_worst_band, 0);
	CU_ASSERT_EQUAL(cfg.payout.min_transfer_fen, 10);
	CU_ASSERT_STRING_EQUAL(cfg.payout.out_bill_prefix, "LD");
	CU_ASSERT_EQUAL(cfg.payout.payout_lease_s, 120);
	CU_ASSERT_EQUAL(cfg.payout.balance_poll_s, 60);
	CU_ASSERT_EQUAL(cfg.database.migrate_lock_wait_s, 30);
	CU_ASSERT_PTR_NULL(cfg.security.previous_pii_key_files);
	file_free(&cfg);

	p = write_file("set.conf", "[risk]\napr_cap_bps = 3600\n"
	    "approve_worst_band = yes\n[payout]\nmin_transfer_fen = 30\n"
	    "out_bill_prefix = LDx\npayout_lease_s = 5\nbalance_poll_s = 7\n"
	    "[database]\nmigrate_lock_wait_s = 86400\n", 0600);
	CU_ASSERT_EQUAL_FATAL(file_load_file(&cfg, p, &err), LD_OK);
	CU_ASSERT_EQUAL(cfg.risk.apr_cap_bps, 3600);
	CU_ASSERT_EQUAL(cfg.risk.approve_worst_band, 1);
	CU_ASSERT_EQUAL(cfg.payout.min_transfer_fen, 30);
	CU_ASSERT_STRING_EQUAL(cfg.payout.out_bill_prefix, "LDx");
	CU_ASSERT_EQUAL(cfg.payout.payout_lease_s, 5);
	CU_ASSERT_EQUAL(cfg.payout.balance_poll_s, 7);
	CU_ASSERT_EQUAL(cfg.database.migrate_lock_wait_s, 86400);
	/* The policy takes the worst band's permission from [risk]. */
	memset(&pol, 0, sizeof pol);
	risk_policy_from_config(&pol, &cfg.risk);
	CU_ASSERT_EQUAL(pol.approve_worst_band, 1);
	file_free(&cfg);
	p = write_file("off.conf", "[risk]\napprove_worst_band = off\n",
	    0600);
	CU_ASSERT_EQUAL_FATAL(file_load_file(&cfg, p, &err), LD_OK);
	risk_policy_from_config(&pol, &cfg.risk);
	CU_ASSERT_EQUAL(pol.approve_worst_band, 0);
	file_free(&cfg);

	expect_refused("cap.conf", "[risk]\npdo = 20\napr_cap_bps = 3601\n",
	    LD_EINVAL, ":3: [risk] apr_cap_bps must be at most 3600 (36% by "
	    "IRR)");
	expect_refused("band.conf", "[risk]\napprove_worst_band = maybe\n",
	    LD_EINVAL, ":2: key \"approve_worst_band\" in [risk]: invalid "
	    "value \"maybe\" (expected yes or no)");
	expect_refused("prefix.conf", "[payout]\nout_bill_prefix = L1\n",
	    LD_EINVAL, ":2: [payout] out_bill_prefix \"L1\" must be letters "
	    "only (A-Z, a-z)");
	expect_refused("prefix2.conf", "[payout]\nout_bill_prefix = LOAND\n",
	    LD_EINVAL, ":2: [payout] out_bill_prefix \"LOAND\" must be 1 to "
	    "4 letters");
	expect_refused("min.conf", "[payout]\nmin_transfer_fen = 0\n",
	    LD_EINVAL, ":2: [payout] min_transfer_fen must be at least 1");
	expect_refused("split.conf", "[payout]\nper_transfer_max_fen = 100\n"
	    "min_transfer_fen = 51\n", LD_EINVAL, ":3: [payout] "
	    "per_transfer_max_fen (100) must be at least twice "
	    "min_transfer_fen (51) and at most 10000000000000");
	expect_refused("lease.conf", "[payout]\npayout_lease_s = 0\n",
	    LD_EINVAL, ":2: [payout] payout_lease_s must be at least 1");
	expect_refused("poll.conf", "[payout]\n\nbalance_poll_s = 0\n",
	    LD_EINVAL, ":3: [payout] balance_poll_s must be at least 1");
	expect_refused("lockwait.conf", "[database]\nmigrate_lock_wait_s = 0\n",
	    LD_EINVAL, ":2: [database] migrate_lock_wait_s must be from 1 to "
	    "86400 seconds");
	expect_refused("lockwait2.conf", "[database]\n"
	    "migrate_lock_wait_s = 86401\n", LD_EINVAL, ":2: [database] "
	    "migrate_lock_wait_s must be from 1 to 86400 seconds");
}

/* The previous sealing keys: a list of key files, each held as a key. */
static void
test_config_previous_pii_keys(void)
{
	struct file_config cfg;
	struct ld_err err;
	char k[3][512], conf[4096], expect[4096], list[64], *paths[3], *p;
	int i;

	for (i = 0; i < 3; i++) {
		char name[32];

		snprintf(name, sizeof name, "old%d.key", i);
		snprintf(k[i], sizeof k[i], "%s", write_file(name, "00\n",
		    i == 2 ? 0640 : 0600));
	}
	snprintf(conf, sizeof conf, "[security]\npii_key_file = %s\n"
	    "blind_index_key_file = %s\nprevious_pii_key_files = %s , %s\n",
	    k[0], k[1], k[0], k[1]);
	p = write_file("prev.conf", conf, 0600);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(file_load_file(&cfg, p, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(err.msg, "");
	file_free(&cfg);

	/* A group-readable one is refused at the list's line, by name. */
	snprintf(conf, sizeof conf, "[security]\npii_key_file = %s\n"
	    "blind_index_key_file = %s\n\nprevious_pii_key_files = %s,%s\n",
	    k[0], k[1], k[1], k[2]);
	p = write_file("prev2.conf", conf, 0600);
	CU_ASSERT_EQUAL(file_load_file(&cfg, p, &err), LD_EPERM);
	snprintf(expect, sizeof expect, "%s:5: [security] "
	    "previous_pii_key_files: key file %s has mode 0640: it must not "
	    "be accessible by group or others (chmod 600 %s)", p, k[2], k[2]);
	CU_ASSERT_STRING_EQUAL(err.msg, expect);
	file_free(&cfg);

	snprintf(conf, sizeof conf, "[security]\npii_key_file = %s\n"
	    "blind_index_key_file = %s\nprevious_pii_key_files = %s,,%s\n",
	    k[0], k[1], k[0], k[1]);
	p = write_file("prev3.conf", conf, 0600);
	CU_ASSERT_EQUAL(file_load_file(&cfg, p, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ":4: [security] "
	    "previous_pii_key_files must name 1 to 3 key files, separated "
	    "by commas"));
	file_free(&cfg);

	snprintf(list, sizeof list, " a ,b,\tc ");
	CU_ASSERT_EQUAL(ld_pii_config_split(list, paths, 3), 3);
	CU_ASSERT_STRING_EQUAL(paths[0], "a");
	CU_ASSERT_STRING_EQUAL(paths[1], "b");
	CU_ASSERT_STRING_EQUAL(paths[2], "c");
	snprintf(list, sizeof list, "a,b,c,d");
	CU_ASSERT_EQUAL(ld_pii_config_split(list, paths, 3), -1);
	snprintf(list, sizeof list, "a,");
	CU_ASSERT_EQUAL(ld_pii_config_split(list, paths, 3), -1);
	snprintf(list, sizeof list, "  ");
	CU_ASSERT_EQUAL(ld_pii_config_split(list, paths, 3), 0);
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
	struct file_config cfg;
	struct ld_config_part p[NPARTS];

	file_parts(&cfg, p);

	/* Every key the owners' tables hold is documented in its section... */
	for (i = 0; key_at(p, i, &section, &name); i++) {
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
		for (i = 0; key_at(p, i, &section, &name); i++)
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

/* The example, with its key paths pointing at real 0600 files. */
static void
write_example(char *conf, size_t len)
{
	char cmd[2048];

	snprintf(conf, len, "%s/example.conf", tmpdir);
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/keys' && cd '%s/keys' && "
	    "for f in apiclient_key.pem wechatpay_public_key.pem apiv3.key "
	    "pii.key blind_index.key; do echo x > $f; chmod 600 $f; done && "
	    "sed 's|/etc/loandesk/keys/|%s/keys/|' "
	    "'%s/etc/loandesk.conf.example' > '%s'", tmpdir, tmpdir, tmpdir,
	    getenv("top_srcdir") ? getenv("top_srcdir") : ".", conf);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
}

static void
test_config_example_loads(void)
{
	char conf[600];
	struct file_config cfg;
	struct ld_err err;

	write_example(conf, sizeof conf);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(file_load_file(&cfg, conf, &err), LD_OK);
	if (err.code != LD_OK)
		fprintf(stderr, "%s\n", err.msg);
	CU_ASSERT_EQUAL(cfg.wxpay.mode, LD_WXPAY_V3);
	CU_ASSERT_STRING_EQUAL(cfg.wxpay.mchid, "1900000001");
	CU_ASSERT_EQUAL(cfg.payout.per_transfer_max_fen, 2000000);
	file_free(&cfg);
}

static void
test_config_word_values(void)
{
	struct file_config cfg;
	struct ld_err err;
	char *p;

	expect_refused("mode.conf", "[wxpay]\nmode = v9\n", LD_EINVAL,
	    ":2: key \"mode\" in [wxpay]: invalid value \"v9\" (expected v3, "
	    "v2 or batches)");
	p = write_file("v2.conf", "[wxpay]\nmode = v2\nmchid = 1\n"
	    "appid = wx1\nbase_url = https://api.mch.weixin.qq.com\n"
	    "apiv2_key_file = /nonexistent\nclient_cert_p12 = /nonexistent\n",
	    0600);
	CU_ASSERT_EQUAL(file_load_file(&cfg, p, &err), LD_EIO);
	/* The mode was read; then the key files were looked for. */
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ":6: [wxpay] apiv2_key_file: "
	    "key file /nonexistent"));
	file_free(&cfg);
	p = write_file("batches.conf", "[risk]\npdo = 33\n[wxpay]\n"
	    "mode = batches\n", 0600);
	CU_ASSERT_EQUAL(file_load_file(&cfg, p, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ":3: [wxpay] lacks required "
	    "key \"mchid\""));
	/* Nothing of a refused file stays, not even what was valid in it. */
	CU_ASSERT_EQUAL(cfg.risk.pdo, 20);
	CU_ASSERT_EQUAL(cfg.wxpay.mode, LD_WXPAY_V3);
	file_free(&cfg);
}

/* A table's own default that does not parse is an error, not a zero. */
static void
test_config_bad_default(void)
{
	struct toy {
		int n;
		char *s;
	} t;
	static const struct ld_config_key keys[] = {
		{ "s", LD_CONFIG_STR, offsetof(struct toy, s), "x", 0, NULL,
		    NULL },
		{ "n", LD_CONFIG_INT, offsetof(struct toy, n), "-1", 0, NULL,
		    NULL },
	};
	static const struct ld_config_section toy = { "toy", keys, 2,
	    sizeof(struct toy), NULL };
	const struct ld_config_part part = { &toy, &t };
	struct ld_err err;
	char *p = write_file("toy.conf", "[toy]\ns = y\n", 0600);

	ld_err_clear(&err);
	CU_ASSERT_EQUAL(ld_config_defaults(&part, 1, &err), LD_EINTERNAL);
	CU_ASSERT_STRING_EQUAL(err.msg, "[toy] n: built-in value \"-1\" is "
	    "not one");
	CU_ASSERT_EQUAL(ld_config_load_file(&part, 1, p, &err), LD_EINTERNAL);
	CU_ASSERT_PTR_NULL(t.s);
}

/* Every owner's defaults parse. */
static void
test_config_defaults_parse(void)
{
	struct file_config cfg;
	struct ld_config_part p[NPARTS];
	struct ld_err err;

	file_parts(&cfg, p);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(ld_config_defaults(p, NPARTS, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(err.msg, "");
	CU_ASSERT_EQUAL(cfg.wxpay.connect_timeout_ms, 3000);
	CU_ASSERT_STRING_EQUAL(cfg.wxpay.transfer_scene_id, "1000");
	CU_ASSERT_EQUAL(cfg.payout.merchant_daily_max_fen,
	    INT64_C(10000000000));
	CU_ASSERT_EQUAL(cfg.daemon.batch_size, 64);
	CU_ASSERT_EQUAL(cfg.risk.reject_max_points, 527);
	ld_config_free(p, NPARTS);
}

/*
 * The programs: each reads the example; loandesk checks [wxpay] and
 * [payout] although it uses neither, and leaves [daemon] to loandeskd,
 * which checks everything.
 */
static void
test_config_programs(void)
{
	struct loandesk_config cli;
	struct loandeskd_config d;
	struct ld_err err;
	char conf[600], *p;

	write_example(conf, sizeof conf);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(loandesk_config_load(&cli, conf, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(cli.path, conf);
	CU_ASSERT_STRING_EQUAL(cli.database.conninfo, "");
	CU_ASSERT_EQUAL(cli.risk.pdo, 20);
	CU_ASSERT_PTR_NOT_NULL(strstr(cli.security.pii_key_file, "pii.key"));
	loandesk_config_free(&cli);
	CU_ASSERT_EQUAL(loandeskd_config_load(&d, conf, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(d.path, conf);
	CU_ASSERT_EQUAL(d.daemon.workers, 2);
	CU_ASSERT_EQUAL(d.risk.base_odds, 50);
	loandeskd_config_free(&d);

	p = write_file("d.conf", "[risk]\npdo = 25\n[daemon]\nworkers = 3\n"
	    "batch_size = 0\n", 0600);
	CU_ASSERT_EQUAL(loandesk_config_load(&cli, p, &err), LD_OK);
	CU_ASSERT_EQUAL(cli.risk.pdo, 25);
	loandesk_config_free(&cli);
	CU_ASSERT_EQUAL(loandeskd_config_load(&d, p, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ":5: [daemon] batch_size must "
	    "be at least 1"));
	CU_ASSERT_EQUAL(d.daemon.workers, 2);
	CU_ASSERT_PTR_NULL(d.path);
	loandeskd_config_free(&d);

	p = write_file("w.conf", "[payout]\nbalance_alert_fen = 1.5\n", 0600);
	CU_ASSERT_EQUAL(loandesk_config_load(&cli, p, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ":2: key \"balance_alert_fen\" "
	    "in [payout]: invalid value"));
	loandesk_config_free(&cli);
	CU_ASSERT_EQUAL(loandeskd_config_load(&d, p, &err), LD_EINVAL);
	loandeskd_config_free(&d);

	p = write_file("s.conf", "[daemon]\nworkers = 3\n[dameon]\n", 0600);
	CU_ASSERT_EQUAL(loandesk_config_load(&cli, p, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ":3: unknown section "
	    "[dameon]"));
	loandesk_config_free(&cli);
}

int
main(void)
{
	static const struct ld_test_case config[] = {
		LD_TEST(test_config_defaults_without_file),
		LD_TEST(test_config_search_order),
		LD_TEST(test_config_misspelt_key),
		LD_TEST(test_config_errors_name_line),
		LD_TEST(test_config_empty_unknown_section),
		LD_TEST(test_config_late_errors_name_line),
		LD_TEST(test_config_key_file_mode),
		LD_TEST(test_config_owner_keys),
		LD_TEST(test_config_previous_pii_keys),
		LD_TEST(test_config_word_values),
		LD_TEST(test_config_bad_default),
		LD_TEST(test_config_defaults_parse),
		LD_TEST(test_config_example_is_valid_and_complete),
		LD_TEST(test_config_example_loads),
		LD_TEST(test_config_programs),
		LD_TEST_END };

	LD_TEST_INIT();
	ld_test_suite("config", suite_init, suite_clean, config);
	return ld_test_run();
}
