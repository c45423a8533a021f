#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_config.h"

#ifndef LD_SYSCONFDIR
#define LD_SYSCONFDIR "/etc"
#endif

enum key_type { K_STR, K_INT, K_LONG, K_FEN, K_BPS, K_MODE };

#define K_REQUIRED 0x1 /* must be present when its section is */
#define K_SECRET 0x2   /* names a key file: permissions are checked */

struct key_def {
	const char *section, *name;
	enum key_type type;
	size_t offset;
	unsigned flags;
};

#define OFF(field) offsetof(struct ld_config, field)

/*
 * Every key the file may hold.  etc/loandesk.conf.example documents each
 * one; tests/test_common.c walks this table (ld_config_key_at) and checks
 * that the two agree.
 */
static const struct key_def keys[] = {
	{ "database", "conninfo", K_STR, OFF(database.conninfo), 0 },
	{ "database", "read_conninfo", K_STR, OFF(database.read_conninfo), 0 },

	{ "wxpay", "mode", K_MODE, OFF(wxpay.mode), K_REQUIRED },
	{ "wxpay", "mchid", K_STR, OFF(wxpay.mchid), K_REQUIRED },
	{ "wxpay", "appid", K_STR, OFF(wxpay.appid), K_REQUIRED },
	{ "wxpay", "merchant_serial", K_STR, OFF(wxpay.merchant_serial), 0 },
	{ "wxpay", "private_key_file", K_STR, OFF(wxpay.private_key_file), K_SECRET },
	{ "wxpay", "platform_public_key_file", K_STR, OFF(wxpay.platform_public_key_file), 0 },
	{ "wxpay", "platform_key_id", K_STR, OFF(wxpay.platform_key_id), 0 },
	{ "wxpay", "platform_cert_file", K_STR, OFF(wxpay.platform_cert_file), 0 },
	{ "wxpay", "platform_cert_serial", K_STR, OFF(wxpay.platform_cert_serial), 0 },
	{ "wxpay", "apiv3_key_file", K_STR, OFF(wxpay.apiv3_key_file), K_SECRET },
	{ "wxpay", "apiv2_key_file", K_STR, OFF(wxpay.apiv2_key_file), K_SECRET },
	{ "wxpay", "client_cert_p12", K_STR, OFF(wxpay.client_cert_p12), K_SECRET },
	{ "wxpay", "ca_file", K_STR, OFF(wxpay.ca_file), 0 },
	{ "wxpay", "base_url", K_STR, OFF(wxpay.base_url), K_REQUIRED },
	{ "wxpay", "notify_url", K_STR, OFF(wxpay.notify_url), 0 },
	{ "wxpay", "transfer_scene_id", K_STR, OFF(wxpay.transfer_scene_id), 0 },
	{ "wxpay", "user_recv_perception", K_STR, OFF(wxpay.user_recv_perception), 0 },
	{ "wxpay", "transfer_scene_report_infos", K_STR, OFF(wxpay.transfer_scene_report_infos), 0 },
	{ "wxpay", "connect_timeout_ms", K_LONG, OFF(wxpay.connect_timeout_ms), 0 },
	{ "wxpay", "timeout_ms", K_LONG, OFF(wxpay.timeout_ms), 0 },

	{ "risk", "model_file", K_STR, OFF(risk.model_file), 0 },
	{ "risk", "rules_file", K_STR, OFF(risk.rules_file), 0 },
	{ "risk", "reason_codes_file", K_STR, OFF(risk.reason_codes_file), 0 },
	{ "risk", "approve_max_pd_bps", K_BPS, OFF(risk.approve_max_pd_bps), 0 },
	{ "risk", "reject_min_pd_bps", K_BPS, OFF(risk.reject_min_pd_bps), 0 },
	{ "risk", "review_amount_fen", K_FEN, OFF(risk.review_amount_fen), 0 },
	{ "risk", "base_points", K_INT, OFF(risk.base_points), 0 },
	{ "risk", "base_odds", K_INT, OFF(risk.base_odds), 0 },
	{ "risk", "pdo", K_INT, OFF(risk.pdo), 0 },
	{ "risk", "thresholds", K_STR, OFF(risk.thresholds), 0 },
	{ "risk", "approve_min_points", K_INT, OFF(risk.approve_min_points), 0 },
	{ "risk", "reject_max_points", K_INT, OFF(risk.reject_max_points), 0 },

	{ "payout", "per_transfer_max_fen", K_FEN, OFF(payout.per_transfer_max_fen), 0 },
	{ "payout", "per_user_daily_max_fen", K_FEN, OFF(payout.per_user_daily_max_fen), 0 },
	{ "payout", "merchant_daily_max_fen", K_FEN, OFF(payout.merchant_daily_max_fen), 0 },
	{ "payout", "four_eyes_threshold_fen", K_FEN, OFF(payout.four_eyes_threshold_fen), 0 },
	{ "payout", "balance_alert_fen", K_FEN, OFF(payout.balance_alert_fen), 0 },

	{ "security", "pii_key_file", K_STR, OFF(security.pii_key_file), K_REQUIRED | K_SECRET },
	{ "security", "blind_index_key_file", K_STR, OFF(security.blind_index_key_file), K_REQUIRED | K_SECRET },

	{ "daemon", "listen", K_STR, OFF(daemon.listen), 0 },
	{ "daemon", "workers", K_INT, OFF(daemon.workers), 0 },
	{ "daemon", "batch_size", K_INT, OFF(daemon.batch_size), 0 },
};
#define NKEYS (sizeof keys / sizeof keys[0])

static const char *const sections[] = {
	"database", "wxpay", "risk", "payout", "security", "daemon",
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

struct load_state {
	struct ld_config *cfg;
	const char *path;
	unsigned char seen_key[NKEYS];
	int key_line[NKEYS];         /* where each key was given */
	unsigned char seen_section[NSECTIONS];
	int section_line[NSECTIONS]; /* its first [header] */
	FILE *file;
	int line;         /* the line the reader handed inih last */
	int problem_line; /* the first line refused by the handler or reader */
	char problem[512];
};

static int
refuse(struct load_state *ls, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static size_t
section_index(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NSECTIONS; i++)
		if (strlen(sections[i]) == len &&
		    strncmp(sections[i], name, len) == 0)
			break;
	return i;
}

static size_t
key_index(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(section, keys[i].section) == 0 &&
		    strcmp(name, keys[i].name) == 0)
			break;
	return i;
}

/*
 * inih calls the handler only for keys, so a section header with no keys
 * under it would pass unseen; the reader looks at every header itself.  It
 * follows inih's reading of a header: after an optional UTF-8 BOM on the
 * first line and leading blanks, '[' up to the first ']'.  A line without
 * the ']' is left to inih, which calls it a syntax error.
 */
static void
note_section_header(struct load_state *ls, const char *line)
{
	const char *p = line, *end;
	size_t s;

	if (ls->line == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '[' || (end = strchr(p + 1, ']')) == NULL)
		return;
	s = section_index(p + 1, (size_t)(end - p - 1));
	if (s == NSECTIONS) {
		refuse(ls, "unknown section [%.*s]", (int)(end - p - 1),
		    p + 1);
		return;
	}
	if (!ls->seen_section[s]) {
		ls->seen_section[s] = 1;
		ls->section_line[s] = ls->line;
	}
}

/* fgets with a line count, so the handler knows where it is. */
static char *
counting_reader(char *str, int num, void *stream)
{
	struct load_state *ls = stream;
	char *r = fgets(str, num, ls->file);

	if (r != NULL) {
		ls->line++;
		note_section_header(ls, str);
	}
	return r;
}

static int
refuse(struct load_state *ls, const char *fmt, ...)
{
	va_list ap;

	if (ls->problem_line == 0) {
		ls->problem_line = ls->line;
		va_start(ap, fmt);
		vsnprintf(ls->problem, sizeof ls->problem, fmt, ap);
		va_end(ap);
	}
	return 0;
}

const char *
ld_config_sysconfdir(void)
{
	return LD_SYSCONFDIR;
}

static void
set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = ld_strdup(v);
}

void
ld_config_defaults(struct ld_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	set_str(&cfg->database.conninfo, "");
	set_str(&cfg->database.read_conninfo, "");
	cfg->wxpay.mode = LD_WXPAY_V3;
	set_str(&cfg->wxpay.transfer_scene_id, "1000");
	cfg->wxpay.connect_timeout_ms = 3000;
	cfg->wxpay.timeout_ms = 10000;
	cfg->risk.approve_max_pd_bps = 300;  /* 3% */
	cfg->risk.reject_min_pd_bps = 2000;  /* 20% */
	cfg->risk.review_amount_fen = 5000000; /* ¥50,000 */
	cfg->risk.base_points = 600;
	cfg->risk.base_odds = 50;
	cfg->risk.pdo = 20;
	/* About the PDs above on the default scale: 588 is 3%, 527 is 20%. */
	cfg->risk.approve_min_points = 588;
	cfg->risk.reject_max_points = 527;
	cfg->payout.per_transfer_max_fen = 2000000;      /* ¥20,000 */
	cfg->payout.per_user_daily_max_fen = 5000000;    /* ¥50,000 */
	cfg->payout.merchant_daily_max_fen = 10000000000; /* ¥100,000,000 */
	cfg->payout.four_eyes_threshold_fen = 0;         /* every payout */
	cfg->payout.balance_alert_fen = 100000000;       /* ¥1,000,000 */
	set_str(&cfg->daemon.listen, "127.0.0.1:8480");
	cfg->daemon.workers = 2;
	cfg->daemon.batch_size = 64;
}

void
ld_config_free(struct ld_config *cfg)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (keys[i].type == K_STR)
			ld_freep((char *)cfg + keys[i].offset);
	ld_freep(&cfg->path);
}

static int
parse_int64(const char *v, long long min, long long max, long long *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct load_state *ls = user;
	void *slot;
	long long n;
	size_t i;

	if (section[0] == '\0')
		return refuse(ls, "key \"%s\" before any [section]", name);
	/* The reader has named the unknown section already. */
	if (section_index(section, strlen(section)) == NSECTIONS)
		return refuse(ls, "unknown section [%s]", section);
	i = key_index(section, name);
	if (i == NKEYS) {
		return refuse(ls, "unknown key \"%s\" in [%s]", name,
		    section);
	}
	if (ls->seen_key[i]) {
		return refuse(ls, "key \"%s\" in [%s] given twice (first on "
		    "line %d)", name, section, ls->key_line[i]);
	}
	ls->seen_key[i] = 1;
	ls->key_line[i] = ls->line;
	slot = (char *)ls->cfg + keys[i].offset;
	switch (keys[i].type) {
	case K_STR:
		set_str(slot, value);
		break;
	case K_INT:
		if (parse_int64(value, 0, INT_MAX, &n) != 0)
			goto bad;
		*(int *)slot = (int)n;
		break;
	case K_LONG:
		if (parse_int64(value, 0, LONG_MAX, &n) != 0)
			goto bad;
		*(long *)slot = (long)n;
		break;
	case K_BPS:
		if (parse_int64(value, 0, 10000, &n) != 0)
			goto bad;
		*(int *)slot = (int)n;
		break;
	case K_FEN:
		if (parse_int64(value, 0, INT64_C(10000000000000), &n) != 0)
			goto bad;
		*(int64_t *)slot = (int64_t)n;
		break;
	case K_MODE:
		if (strcmp(value, "v3") == 0)
			*(enum ld_wxpay_mode *)slot = LD_WXPAY_V3;
		else if (strcmp(value, "v2") == 0)
			*(enum ld_wxpay_mode *)slot = LD_WXPAY_V2;
		else if (strcmp(value, "batches") == 0)
			*(enum ld_wxpay_mode *)slot = LD_WXPAY_BATCHES;
		else
			goto bad;
		break;
	}
	return 1;
bad:
	return refuse(ls, "key \"%s\" in [%s]: invalid value \"%s\" (%s)",
	    name, section,
	    value,
	    keys[i].type == K_MODE ? "expected v3, v2 or batches" :
	    keys[i].type == K_BPS ? "expected basis points 0..10000" :
	    keys[i].type == K_FEN ? "expected a whole number of fen" :
	    "expected a non-negative integer");
}

static enum ld_status
key_file_mode_ok(const char *path, const struct stat *sb, struct ld_err *err)
{
	if (!S_ISREG(sb->st_mode))
		return ld_err_set(err, LD_EINVAL,
		    "key file %s: not a regular file", path);
	if (sb->st_mode & (S_IRWXG | S_IRWXO))
		return ld_err_set(err, LD_EPERM,
		    "key file %s has mode %04o: it must not be accessible "
		    "by group or others (chmod 600 %s)", path,
		    (unsigned)(sb->st_mode & 07777), path);
	return LD_OK;
}

enum ld_status
ld_config_check_key_file(const char *path, struct ld_err *err)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return ld_err_set(err, LD_EIO, "key file %s: %s", path,
		    strerror(errno));
	return key_file_mode_ok(path, &sb, err);
}

enum ld_status
ld_config_read_key_file(const char *path, struct ld_buf *b,
    struct ld_err *err)
{
	struct stat sb;
	enum ld_status st;
	char chunk[4096];
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO put in the key's place must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return ld_err_set(err, errno == ENOENT ? LD_ENOTFOUND : LD_EIO,
		    "key file %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0) {
		st = ld_err_set(err, LD_EIO, "key file %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if ((st = key_file_mode_ok(path, &sb, err)) != LD_OK)
		goto out;
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = ld_err_set(err, LD_EIO, "key file %s: %s", path,
			    strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (ld_buf_append(b, chunk, (size_t)n) != LD_OK) {
			st = ld_err_set(err, LD_EINVAL,
			    "key file %s: larger than %zu bytes", path, b->max);
			break;
		}
	}
	if (st == LD_OK && b->data == NULL)
		st = ld_buf_puts(b, "");
out:
	OPENSSL_cleanse(chunk, sizeof chunk);
	close(fd);
	return st;
}

/*
 * A problem found after parsing, located at the line that causes it (the
 * key, or the section header for a key that is missing) when there is one,
 * else at the file.
 */
static enum ld_status
fail_at(const struct load_state *ls, int line, struct ld_err *err,
    enum ld_status st, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum ld_status
fail_at(const struct load_state *ls, int line, struct ld_err *err,
    enum ld_status st, const char *fmt, ...)
{
	char msg[LD_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (line > 0)
		return ld_err_set(err, st, "%s:%d: %s", ls->path, line, msg);
	return ld_err_set(err, st, "%s: %s", ls->path, msg);
}

/* The line a key was given on, 0 when it was not. */
static int
line_of(const struct load_state *ls, const char *section, const char *name)
{
	size_t i = key_index(section, name);

	return i < NKEYS && ls->seen_key[i] ? ls->key_line[i] : 0;
}

static enum ld_status
validate(struct load_state *ls, struct ld_err *err)
{
	struct ld_config *cfg = ls->cfg;
	size_t i, s, wx = section_index("wxpay", 5);
	enum ld_status st;

	for (i = 0; i < NKEYS; i++) {
		s = section_index(keys[i].section, strlen(keys[i].section));
		if ((keys[i].flags & K_REQUIRED) && ls->seen_section[s] &&
		    !ls->seen_key[i])
			return fail_at(ls, ls->section_line[s], err, LD_EINVAL,
			    "[%s] lacks required key \"%s\"",
			    keys[i].section, keys[i].name);
	}
	cfg->wxpay.present = ls->seen_section[wx];
	if (cfg->wxpay.present) {
		static const char *const v3req[] = { "merchant_serial",
			"private_key_file", "apiv3_key_file" };
		static const char *const v2req[] = { "apiv2_key_file",
			"client_cert_p12" };
		const char *const *req = cfg->wxpay.mode == LD_WXPAY_V2 ?
		    v2req : v3req;
		size_t nreq = cfg->wxpay.mode == LD_WXPAY_V2 ? 2 : 3;
		size_t r;

		for (r = 0; r < nreq; r++)
			if (line_of(ls, "wxpay", req[r]) == 0)
				return fail_at(ls, line_of(ls, "wxpay", "mode"),
				    err, LD_EINVAL,
				    "[wxpay] mode %s requires key \"%s\"",
				    cfg->wxpay.mode == LD_WXPAY_V2 ? "v2" :
				    cfg->wxpay.mode == LD_WXPAY_V3 ? "v3" :
				    "batches", req[r]);
		if (cfg->wxpay.mode != LD_WXPAY_V2 &&
		    cfg->wxpay.platform_public_key_file == NULL &&
		    cfg->wxpay.platform_cert_file == NULL)
			return fail_at(ls, ls->section_line[wx], err,
			    LD_EINVAL, "[wxpay] needs platform_public_key_file "
			    "(with platform_key_id) or platform_cert_file to "
			    "verify WeChat Pay's answers");
		if (cfg->wxpay.platform_public_key_file != NULL &&
		    cfg->wxpay.platform_key_id == NULL)
			return fail_at(ls, line_of(ls, "wxpay",
			    "platform_public_key_file"), err, LD_EINVAL,
			    "[wxpay] platform_public_key_file needs "
			    "platform_key_id (PUB_KEY_ID_...)");
	}
	if (cfg->risk.approve_max_pd_bps >= cfg->risk.reject_min_pd_bps) {
		int a = line_of(ls, "risk", "approve_max_pd_bps");
		int r = line_of(ls, "risk", "reject_min_pd_bps");

		/* The later of the two is the one that broke the order. */
		return fail_at(ls, a > r ? a : r, err, LD_EINVAL,
		    "[risk] approve_max_pd_bps (%d) must be below "
		    "reject_min_pd_bps (%d)", cfg->risk.approve_max_pd_bps,
		    cfg->risk.reject_min_pd_bps);
	}
	if (cfg->risk.thresholds != NULL &&
	    strcmp(cfg->risk.thresholds, "probability") != 0 &&
	    strcmp(cfg->risk.thresholds, "points") != 0)
		return fail_at(ls, line_of(ls, "risk", "thresholds"), err,
		    LD_EINVAL, "[risk] thresholds must be probability or "
		    "points, not \"%s\"", cfg->risk.thresholds);
	if (cfg->risk.reject_max_points >= cfg->risk.approve_min_points) {
		int a = line_of(ls, "risk", "approve_min_points");
		int r = line_of(ls, "risk", "reject_max_points");

		return fail_at(ls, a > r ? a : r, err, LD_EINVAL,
		    "[risk] reject_max_points (%d) must be below "
		    "approve_min_points (%d)", cfg->risk.reject_max_points,
		    cfg->risk.approve_min_points);
	}
	if (cfg->daemon.workers < 1)
		return fail_at(ls, line_of(ls, "daemon", "workers"), err,
		    LD_EINVAL, "[daemon] workers must be at least 1");
	if (cfg->daemon.batch_size < 1)
		return fail_at(ls, line_of(ls, "daemon", "batch_size"), err,
		    LD_EINVAL, "[daemon] batch_size must be at least 1");
	for (i = 0; i < NKEYS; i++) {
		const char *v;
		char msg[LD_ERR_MSG_MAX];

		if (!(keys[i].flags & K_SECRET) || !ls->seen_key[i])
			continue;
		v = *(char **)((char *)cfg + keys[i].offset);
		st = ld_config_check_key_file(v, err);
		if (st != LD_OK) {
			memcpy(msg, err->msg, sizeof msg);
			return fail_at(ls, ls->key_line[i], err, st,
			    "[%s] %s: %s", keys[i].section, keys[i].name, msg);
		}
	}
	return LD_OK;
}

enum ld_status
ld_config_load_file(struct ld_config *cfg, const char *path,
    struct ld_err *err)
{
	struct load_state ls;
	FILE *f;
	int rc;
	enum ld_status st;

	ld_config_defaults(cfg);
	memset(&ls, 0, sizeof ls);
	ls.cfg = cfg;
	ls.path = path;
	f = fopen(path, "r");
	if (f == NULL)
		return ld_err_set(err, LD_EIO, "%s: %s", path, strerror(errno));
	ls.file = f;
	rc = ini_parse_stream(counting_reader, &ls, handler, &ls);
	fclose(f);
	/*
	 * inih returns the first line it or the handler refused; the reader's
	 * refusals (a section header) it does not see, so the earlier of the
	 * two is the one to report.
	 */
	if (rc < 0 || ls.problem_line != 0 || rc > 0) {
		ld_config_free(cfg);
		ld_config_defaults(cfg);
		if (rc < 0)
			return ld_err_set(err, LD_EIO, "%s: cannot read", path);
		if (ls.problem_line != 0 && (rc == 0 || ls.problem_line <= rc))
			return ld_err_set(err, LD_EINVAL, "%s:%d: %s", path,
			    ls.problem_line, ls.problem);
		return ld_err_set(err, LD_EINVAL,
		    "%s:%d: syntax error (expected [section] or key = value)",
		    path, rc);
	}
	st = validate(&ls, err);
	if (st != LD_OK) {
		ld_config_free(cfg);
		ld_config_defaults(cfg);
		return st;
	}
	cfg->path = ld_strdup(path);
	return LD_OK;
}

enum ld_status
ld_config_load_from(struct ld_config *cfg, const char *cli_path,
    const char *sysconfdir, struct ld_err *err)
{
	const char *env = getenv("LOANDESK_CONF");
	char sys[4096];
	struct stat sb;

	if (cli_path != NULL)
		return ld_config_load_file(cfg, cli_path, err);
	if (env != NULL && env[0] != '\0')
		return ld_config_load_file(cfg, env, err);
	if ((size_t)snprintf(sys, sizeof sys, "%s/loandesk/loandesk.conf",
	    sysconfdir) >= sizeof sys)
		return ld_err_set(err, LD_EINVAL, "configuration directory "
		    "%s: path too long", sysconfdir);
	if (stat(sys, &sb) == 0)
		return ld_config_load_file(cfg, sys, err);
	ld_config_defaults(cfg);
	return LD_OK;
}

enum ld_status
ld_config_load(struct ld_config *cfg, const char *cli_path,
    struct ld_err *err)
{
	return ld_config_load_from(cfg, cli_path, LD_SYSCONFDIR, err);
}

int
ld_config_key_at(size_t i, const char **section, const char **name)
{
	if (i >= NKEYS)
		return 0;
	*section = keys[i].section;
	*name = keys[i].name;
	return 1;
}
