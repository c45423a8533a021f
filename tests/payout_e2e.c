/*
 * The harness of tests/test_payout_e2e*.c (payout_e2e.h).  Keys are made
 * here or by the simulator at start (nothing in git); the daemon runs as
 * a login in loandesk_daemon, the approvals as finance logins, so every
 * grant and refusal of the database applies as in production.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_migrate.h"
#include "ld_paths.h"
#include "ld_pii.h"
#include "ld_testdb.h"
#include "payout_e2e.h"
#include "wxpay.h"
#include "wxpay_crypto.h"

struct e2e e2e;
static struct ld_testdb tdb;
static unsigned char pii_raw[32];

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int
write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0)
		return -1;
	return chmod(path, mode);
}

/* SQL ---------------------------------------------------------------- */

static int
vsql(char *out, size_t len, const char *fmt, va_list ap)
{
	char sql[8192];
	struct ld_err err;
	PGresult *r;

	vsnprintf(sql, sizeof sql, fmt, ap);
	if (out != NULL)
		out[0] = '\0';
	ld_err_clear(&err);
	if (!ld_db_connected(&e2e.su))
		(void)ld_db_connect(&e2e.su, "", "test_payout_e2e", &err);
	if (ld_db_exec(&e2e.su, sql, 0, NULL, &r, &err) != LD_OK) {
		fprintf(stderr, "sql: %s: %s\n", sql, err.msg);
		return -1;
	}
	if (out != NULL && PQntuples(r) > 0 && PQnfields(r) > 0 &&
	    !PQgetisnull(r, 0, 0))
		snprintf(out, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

void
e2e_sql(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsql(NULL, 0, fmt, ap);
	va_end(ap);
}

void
e2e_text(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsql(out, len, fmt, ap);
	va_end(ap);
}

long
e2e_long(const char *fmt, ...)
{
	char out[64];
	va_list ap;

	va_start(ap, fmt);
	(void)vsql(out, sizeof out, fmt, ap);
	va_end(ap);
	return out[0] ? strtol(out, NULL, 10) : -1;
}

int
e2e_wait(const char *want, const char *fmt, ...)
{
	char sql[8192], out[512];
	time_t deadline = time(NULL) + E2E_WAIT_S;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	for (;;) {
		e2e_text(out, sizeof out, "%s", sql);
		if (want != NULL ? strcmp(out, want) == 0 : out[0] != '\0')
			return 0;
		if (time(NULL) > deadline)
			break;
		sleep_ms(100);
	}
	fprintf(stderr, "waited %d s for \"%s\" from %s; last \"%s\"\n",
	    E2E_WAIT_S, want != NULL ? want : "(anything)", sql, out);
	{
		char last[4000];

		e2e_text(last, sizeof last, "SELECT string_agg(format('bill "
		    "%%s %%s %%s->%%s %%s: %%s', bill_id, kind, from_state, "
		    "to_state, error_code, left(coalesce(wechat_message, "
		    "''), 300)), E'\\n' ORDER BY id) FROM (SELECT * FROM "
		    "payout_attempts ORDER BY id DESC LIMIT 8) a");
		fprintf(stderr, "the last attempts:\n%s\n", last);
	}
	e2e_daemon_log_tail(40);
	return -1;
}

/* Processes ------------------------------------------------------------- */

static int
wait_exit(pid_t pid, int timeout_s)
{
	time_t deadline = time(NULL) + timeout_s;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (r < 0 || time(NULL) > deadline)
			return -2;
		sleep_ms(50);
	}
}

static void
set_key(const char *k, const char *v)
{
	static const struct {
		const char *k;
		size_t off, len;
	} map[] = {
#define M(key, f) { key, offsetof(struct e2e, f), sizeof e2e.f }
		M("base_url", base_url),
		M("v2_base_url", v2_base_url),
		M("tls_cert_file", tls_cert_file),
		M("mchid", mchid),
		M("appid", appid),
		M("merchant_serial", merchant_serial),
		M("merchant_private_key_file", merchant_key),
		M("platform_public_key_file", platform_pub),
		M("platform_key_id", platform_key_id),
		M("apiv3_key_file", apiv3_key_file),
		M("apiv2_key_file", apiv2_key_file),
#undef M
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].k, k) == 0)
			snprintf((char *)&e2e + map[i].off, map[i].len, "%s", v);
}

/* The simulator's key=value lines up to "listening on". */
static int
read_trust(void)
{
	char buf[8192];
	size_t len = 0;
	time_t deadline = time(NULL) + E2E_WAIT_S;

	for (;;) {
		struct pollfd p = { e2e.sim_out, POLLIN, 0 };
		char *nl, *line = buf;
		ssize_t n;

		if (time(NULL) > deadline || poll(&p, 1, 1000) < 0)
			return -1;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		if ((n = read(e2e.sim_out, buf + len, sizeof buf - 1 - len)) <=
		    0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(line, '\n')) != NULL) {
			char *eq;

			*nl = '\0';
			if (strncmp(line, "listening on ", 13) == 0)
				return 0;
			if ((eq = strchr(line, '=')) != NULL) {
				*eq = '\0';
				set_key(line, eq + 1);
			}
			line = nl + 1;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len + 1);
	}
}

static int
start_sim(const char *conf)
{
	const char *bdir = ld_test_builddir();
	char bin[600], log[600];
	int fds[2];

	snprintf(bin, sizeof bin, "%s/wxpay-sim", bdir);
	snprintf(log, sizeof log, "%s/sim.log", e2e.dir);
	if (pipe(fds) != 0)
		return -1;
	if ((e2e.sim_pid = fork()) == 0) {
		FILE *lf = fopen(log, "w");

		dup2(fds[1], 1);
		if (lf != NULL)
			dup2(fileno(lf), 2);
		close(fds[0]);
		execl(bin, bin, "-c", conf, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	e2e.sim_out = fds[0];
	if (e2e.sim_pid < 0 || read_trust() != 0) {
		char cmd[700];

		fprintf(stderr, "wxpay-sim did not come up; its log:\n");
		snprintf(cmd, sizeof cmd, "cat '%s' >&2", log);
		(void)system(cmd);
		return -1;
	}
	snprintf(e2e.platform_private, sizeof e2e.platform_private,
	    "%s/sim/platform_private.pem", e2e.dir);
	return 0;
}

/* A port nobody listens on now: the daemon's, fixed for the run, since
 * the stored requests name the callback URL. */
static unsigned
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int
make_key_file(const char *path, unsigned char raw[32])
{
	char hex[65], line[70];

	if (RAND_bytes(raw, 32) != 1)
		return -1;
	ld_hex_encode(raw, 32, hex);
	snprintf(line, sizeof line, "%s\n", hex);
	return write_text(path, line, 0600);
}

static int
connect_as(struct ld_db *db, const char *user, const char *group)
{
	char conninfo[128];
	struct ld_err err;

	e2e_sql("CREATE ROLE %s LOGIN IN ROLE %s", user, group);
	snprintf(conninfo, sizeof conninfo, "user=%s", user);
	if (ld_db_connect(db, conninfo, "test_payout_e2e", &err) != LD_OK) {
		fprintf(stderr, "%s: %s\n", user, err.msg);
		return -1;
	}
	return 0;
}

int
e2e_setup(void)
{
	struct ld_migration_set set;
	struct ld_err err;
	char path[600], cmd[1400], *conf;
	unsigned char raw[32];
	int applied;

	memset(&e2e, 0, sizeof e2e);
	e2e.sim_pid = e2e.daemon_pid = -1;
	e2e.sim_out = -1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(e2e.dir, sizeof e2e.dir, "/tmp/ld-payout-e2e.XXXXXX");
	if (mkdtemp(e2e.dir) == NULL)
		return -1;
	snprintf(e2e.run, sizeof e2e.run, "%06lx",
	    ((unsigned long)time(NULL) ^ (unsigned long)getpid()) & 0xffffff);
	if (ld_testdb_start(&tdb) != 0)
		return -1;
	if (ld_db_connect(&e2e.su, "", "test_payout_e2e", &err) != LD_OK ||
	    ld_migrations_scan(ld_paths_migrations(), &set, &err) != LD_OK ||
	    ld_migrations_apply(&e2e.su, &set, NULL, &applied, &err) !=
	    LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	ld_migrations_free(&set);
	if (connect_as(&e2e.risk, "pe_risk", "loandesk_risk") != 0 ||
	    connect_as(&e2e.fin1, "pe_fin1", "loandesk_finance") != 0 ||
	    connect_as(&e2e.fin2, "pe_fin2", "loandesk_finance") != 0 ||
	    connect_as(&e2e.oncall, "pe_oncall", "loandesk_oncall") != 0)
		return -1;
	e2e_sql("CREATE ROLE pe_daemon LOGIN IN ROLE loandesk_daemon");
	/*
	 * A lease longer than the client's timeout (4 s) and short enough
	 * that a killed daemon's bill is taken over within the test.
	 */
	e2e_sql("UPDATE settings SET value = '8' WHERE key = "
	    "'payout_lease_s'");

	snprintf(e2e.pii_key_file, sizeof e2e.pii_key_file, "%s/pii.key",
	    e2e.dir);
	snprintf(path, sizeof path, "%s/bidx.key", e2e.dir);
	if (make_key_file(e2e.pii_key_file, pii_raw) != 0 ||
	    make_key_file(path, raw) != 0)
		return -1;
	if ((e2e.port = free_port()) == 0)
		return -1;
	snprintf(e2e.notify_url, sizeof e2e.notify_url,
	    "http://127.0.0.1:%u/wxpay/notify", e2e.port);

	/* The merchant CA and apiclient_cert.p12 the v2 listener trusts. */
	snprintf(cmd, sizeof cmd, "'%s/wxpay-sim' --make-v2-client-cert "
	    "'%s/v2' --mchid 1900000001 >'%s/v2.out' 2>&1 || cat '%s/v2.out' "
	    ">&2", ld_test_builddir(), e2e.dir, e2e.dir, e2e.dir);
	if (system(cmd) != 0)
		return -1;
	/*
	 * Simulated time runs 4320 times faster: the 24 h a borrower has
	 * to confirm are 20 s, and callbacks are retried within
	 * milliseconds.  A late answer comes after the client's timeout
	 * (4 s); so does a hung one's end.
	 */
	conf = ld_asprintf("[sim]\nstate_dir = %s/sim\n"
	    "listen = 127.0.0.1:0\ngenerate_merchant = yes\n"
	    "time_scale = 4320\ncallback_timeout_ms = 3000\n"
	    "v2_tls_listen = 127.0.0.1:0\n"
	    "tls_client_ca_file = %s/v2/merchant_ca.pem\n"
	    "[limits]\nmin_transfer_fen = 10\nmax_transfer_fen = 1000000\n"
	    "per_user_daily_fen = 5000000\nmerchant_daily_fen = 1000000000\n"
	    "per_user_daily_count = 100\nscenes = 1000,1005\n"
	    "[confirm]\nmode = auto\ndelay_ms = 300\ntransfer_ms = 100\n"
	    "cancel_ms = 200\nbatch_ms = 300\n"
	    "[faults]\nlate_ms = 6000\nhang_ms = 6000\n", e2e.dir, e2e.dir);
	snprintf(path, sizeof path, "%s/sim.conf", e2e.dir);
	if (write_text(path, conf, 0600) != 0) {
		free(conf);
		return -1;
	}
	free(conf);
	if (start_sim(path) != 0)
		return -1;
	snprintf(e2e.conf, sizeof e2e.conf, "%s/loandesk.conf", e2e.dir);
	snprintf(e2e.log, sizeof e2e.log, "%s/loandeskd.log", e2e.dir);
	return 0;
}

void
e2e_teardown(void)
{
	char cmd[400];
	int st = 0;

	if (e2e.daemon_pid > 0)
		(void)e2e_daemon_stop();
	if (e2e.sim_pid > 0) {
		kill(e2e.sim_pid, SIGTERM);
		(void)waitpid(e2e.sim_pid, &st, 0);
	}
	if (e2e.sim_out >= 0)
		close(e2e.sim_out);
	ld_db_close(&e2e.risk);
	ld_db_close(&e2e.fin1);
	ld_db_close(&e2e.fin2);
	ld_db_close(&e2e.oncall);
	ld_db_close(&e2e.su);
	ld_testdb_stop(&tdb);
	if (e2e.dir[0] != '\0' && getenv("LD_KEEP_E2E") == NULL) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", e2e.dir);
		(void)system(cmd);
	}
	curl_global_cleanup();
}

/* The daemon ------------------------------------------------------------ */

static pid_t spawn_daemon(const char *conf, int once, const char *log);

static int
write_conf(const char *mode, const char *payout_extra)
{
	int v2 = strcmp(mode, "v2") == 0;
	char *text;
	int rc;

	text = ld_asprintf("[database]\nconninfo = user=pe_daemon\n"
	    "[wxpay]\nmode = %s\nmchid = %s\nappid = %s\n"
	    "merchant_serial = %s\nprivate_key_file = %s\n"
	    "platform_public_key_file = %s\nplatform_key_id = %s\n"
	    "apiv3_key_file = %s\napiv2_key_file = %s\n"
	    "%s%s%s%s%s"
	    "base_url = %s\nnotify_url = %s\n"
	    "transfer_scene_id = 1005\n"
	    "transfer_scene_report_infos = "
	    "\xe5\xb2\x97\xe4\xbd\x8d\xe7\xb1\xbb\xe5\x9e\x8b:\xe5\xa4\x96"
	    "\xe5\x8c\x85;\xe6\x8a\xa5\xe9\x85\xac\xe8\xaf\xb4\xe6\x98\x8e:"
	    "\xe4\xbd\xa3\xe9\x87\x91\n"
	    "timeout_ms = 4000\nconnect_timeout_ms = 2000\n"
	    "[security]\npii_key_file = %s\nblind_index_key_file = "
	    "%s/bidx.key\n"
	    "[payout]\n%s\n"
	    "[daemon]\nlisten = 127.0.0.1:%u\nworkers = 1\n"
	    "payout_workers = 2\nheartbeat_s = 1\n",
	    mode, e2e.mchid, e2e.appid, e2e.merchant_serial, e2e.merchant_key,
	    e2e.platform_pub, e2e.platform_key_id, e2e.apiv3_key_file,
	    e2e.apiv2_key_file,
	    v2 ? "client_cert_p12 = " : "", v2 ? e2e.dir : "",
	    v2 ? "/v2/apiclient_cert.p12\nca_file = " : "",
	    v2 ? e2e.tls_cert_file : "", v2 ? "\n" : "",
	    v2 ? e2e.v2_base_url : e2e.base_url, e2e.notify_url,
	    e2e.pii_key_file, e2e.dir, payout_extra[0] != '\0' ?
	    payout_extra : "balance_poll_s = 3600", e2e.port);
	rc = write_text(e2e.conf, text, 0600);
	free(text);
	return rc;
}

long
e2e_daemon_get(const char *path, char **body)
{
	char url[256];
	struct ld_buf b;
	CURL *c = curl_easy_init();
	long status = 0;
	size_t len;

	snprintf(url, sizeof url, "http://127.0.0.1:%u%s", e2e.port, path);
	ld_buf_init(&b, 0);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, NULL);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	{
		FILE *mem;
		char *data = NULL;
		size_t dlen = 0;

		mem = open_memstream(&data, &dlen);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		fclose(mem);
		if (data != NULL)
			ld_buf_append(&b, data, dlen);
		free(data);
	}
	curl_easy_cleanup(c);
	if (body != NULL) {
		ld_buf_puts(&b, "");
		*body = ld_buf_steal(&b, &len);
	} else
		ld_buf_free(&b);
	return status;
}

int
e2e_daemon_start(const char *mode, const char *payout_extra)
{
	time_t deadline;

	/* A case that failed half-way may have left one running. */
	if (e2e.daemon_pid > 0)
		(void)e2e_daemon_stop();
	if (write_conf(mode, payout_extra) != 0)
		return -1;
	e2e.daemon_pid = spawn_daemon(e2e.conf, 0, e2e.log);
	if (e2e.daemon_pid < 0)
		return -1;
	deadline = time(NULL) + E2E_WAIT_S;
	while (time(NULL) <= deadline) {
		if (e2e_daemon_get("/healthz", NULL) == 200)
			return 0;
		if (waitpid(e2e.daemon_pid, NULL, WNOHANG) == e2e.daemon_pid) {
			e2e.daemon_pid = -1;
			break;
		}
		sleep_ms(100);
	}
	fprintf(stderr, "loandeskd did not come up\n");
	e2e_daemon_log_tail(30);
	return -1;
}

static pid_t
spawn_daemon(const char *conf, int once, const char *log)
{
	char bin[600];
	pid_t pid;

	snprintf(bin, sizeof bin, "%s/loandeskd", ld_test_builddir());
	if ((pid = fork()) == 0) {
		FILE *lf = fopen(log, "a");

		if (lf != NULL) {
			dup2(fileno(lf), 1);
			dup2(fileno(lf), 2);
		}
		if (once)
			execl(bin, bin, "--once", "-c", conf, (char *)NULL);
		else
			execl(bin, bin, "-c", conf, (char *)NULL);
		_exit(127);
	}
	return pid;
}

int
e2e_daemon_once(const char *mode)
{
	pid_t pid;
	int rc;

	if (e2e.daemon_pid > 0)
		(void)e2e_daemon_stop();
	if (write_conf(mode, "") != 0 ||
	    (pid = spawn_daemon(e2e.conf, 1, e2e.log)) < 0)
		return -1;
	rc = wait_exit(pid, E2E_WAIT_S);
	if (rc == -2) {
		kill(pid, SIGKILL);
		(void)wait_exit(pid, E2E_WAIT_S);
		rc = -1;
	}
	return rc;
}

int
e2e_daemon_run_conf(const char *path, char *err, size_t len)
{
	char log[600];
	struct ld_buf b;
	struct ld_err e;
	pid_t pid;
	int rc;

	snprintf(log, sizeof log, "%s/run.log", e2e.dir);
	(void)unlink(log);
	if ((pid = spawn_daemon(path, 1, log)) < 0)
		return -1;
	rc = wait_exit(pid, E2E_WAIT_S);
	ld_buf_init(&b, 0);
	err[0] = '\0';
	if (ld_buf_read_file(&b, log, &e) == LD_OK && b.data != NULL)
		snprintf(err, len, "%.*s", (int)b.len, b.data);
	ld_buf_free(&b);
	return rc;
}

int
e2e_daemon_stop(void)
{
	int rc;

	if (e2e.daemon_pid <= 0)
		return -1;
	kill(e2e.daemon_pid, SIGTERM);
	rc = wait_exit(e2e.daemon_pid, E2E_WAIT_S);
	if (rc == -2) {
		kill(e2e.daemon_pid, SIGKILL);
		(void)wait_exit(e2e.daemon_pid, E2E_WAIT_S);
		rc = -1;
	}
	e2e.daemon_pid = -1;
	return rc;
}

void
e2e_daemon_kill(void)
{
	if (e2e.daemon_pid <= 0)
		return;
	kill(e2e.daemon_pid, SIGKILL);
	(void)wait_exit(e2e.daemon_pid, E2E_WAIT_S);
	e2e.daemon_pid = -1;
}

void
e2e_daemon_log_tail(int lines)
{
	char cmd[700];

	snprintf(cmd, sizeof cmd, "echo '--- tail of %s'; tail -%d '%s' >&2",
	    e2e.log, lines, e2e.log);
	(void)system(cmd);
}

int
e2e_daemon_log_has(const char *text)
{
	struct ld_buf b;
	struct ld_err err;
	int found;

	ld_buf_init(&b, 0);
	if (ld_buf_read_file(&b, e2e.log, &err) != LD_OK) {
		ld_buf_free(&b);
		return 0;
	}
	ld_buf_puts(&b, "");
	found = b.data != NULL && strstr(b.data, text) != NULL;
	ld_buf_free(&b);
	return found;
}

double
e2e_metric(const char *series)
{
	char *body = NULL, *p;
	double v = -1;
	size_t n = strlen(series);

	if (e2e_daemon_get("/metrics", &body) != 200) {
		free(body);
		return -1;
	}
	for (p = body; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL)
		if (strncmp(p, series, n) == 0 && p[n] == ' ') {
			v = strtod(p + n + 1, NULL);
			break;
		}
	free(body);
	return v;
}

/* Payouts ----------------------------------------------------------------- */

void
e2e_openid(char *out, size_t len, const char *tag)
{
	snprintf(out, len, "o_%s_%s", tag, e2e.run);
}

static int
approve(struct ld_db *db, long payout, const char *want)
{
	char id[24], out[64] = "";
	const char *p[2] = { id, "checked the contract" };
	struct ld_err err;
	PGresult *r;

	snprintf(id, sizeof id, "%ld", payout);
	if (ld_db_exec(db, "SELECT api.payout_approve($1::bigint, $2)", 2, p,
	    &r, &err) != LD_OK) {
		fprintf(stderr, "approve %ld: %s\n", payout, err.msg);
		return -1;
	}
	if (PQntuples(r) > 0)
		snprintf(out, sizeof out, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (strcmp(out, want) != 0) {
		fprintf(stderr, "approve %ld: \"%s\", not \"%s\"\n", payout,
		    out, want);
		return -1;
	}
	return 0;
}

long
e2e_payout(int64_t amount_fen, const char *openid, const char *name)
{
	struct ld_pii_key k;
	struct ld_err err;
	unsigned char sealed[256];
	char hex[2 * sizeof sealed + 1], id[24], out[64] = "";
	const char *p[1] = { id };
	PGresult *r;
	long app, payout;
	size_t n = strlen(name);

	ld_pii_key_from_bytes(&k, pii_raw);
	if (n + LD_PII_OVERHEAD > sizeof sealed ||
	    ld_pii_seal(&k, "name", name, n, sealed, &err) != LD_OK)
		return -1;
	ld_hex_encode(sealed, n + LD_PII_OVERHEAD, hex);
	e2e_sql("INSERT INTO applicants (name_enc, name_bidx, name_masked, "
	    "id_no_enc, id_no_bidx, id_no_masked, phone_enc, phone_bidx, "
	    "phone_masked, openid) VALUES (decode('%s', 'hex'), "
	    "sha256(random()::text::bytea), '\xe5\xbc\xa0*', '\\x01', "
	    "sha256(random()::text::bytea), '110***********1234', '\\x01', "
	    "sha256(random()::text::bytea), '138****5678', '%s')", hex, openid);
	e2e_sql("INSERT INTO applications (applicant_id, product, amount_fen, "
	    "term_months, rate_bps, status, recommendation, upfront_fee_fen) "
	    "SELECT max(id), 'cash', %lld, 12, 1800, 'manual_review', "
	    "'manual_review', 0 FROM applicants", (long long)amount_fen);
	app = e2e_long("SELECT max(id) FROM applications");
	snprintf(id, sizeof id, "%ld", app);
	if (ld_db_exec(&e2e.risk, "SELECT api.application_decide($1::bigint, "
	    "'approve', 'VERIFIED_INCOME', 'called the employer')", 1, p, &r,
	    &err) != LD_OK) {
		fprintf(stderr, "decide: %s\n", err.msg);
		return -1;
	}
	if (PQntuples(r) > 0)
		snprintf(out, sizeof out, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (strcmp(out, "approved") != 0)
		return -1;
	payout = e2e_long("SELECT id FROM payouts WHERE application_id = %ld",
	    app);
	/* Four eyes: two different finance approvers (threshold 0). */
	if (payout < 0 || approve(&e2e.fin1, payout, "1 of 2") != 0 ||
	    approve(&e2e.fin2, payout, "approved") != 0)
		return -1;
	return payout;
}

/* The simulator ------------------------------------------------------------ */

struct wx_client *
e2e_client(int v2)
{
	char p12[600];

	struct wx_config cfg;
	struct wx_client *c = NULL;
	struct ld_err err;

	wx_config_defaults(&cfg);
	cfg.present = 1;
	cfg.mode = LD_WXPAY_V3;
#define SET(f, v) do { free(cfg.f); cfg.f = ld_strdup(v); } while (0)
	SET(mchid, e2e.mchid);
	SET(appid, e2e.appid);
	SET(merchant_serial, e2e.merchant_serial);
	SET(private_key_file, e2e.merchant_key);
	SET(platform_public_key_file, e2e.platform_pub);
	SET(platform_key_id, e2e.platform_key_id);
	SET(apiv3_key_file, e2e.apiv3_key_file);
	SET(apiv2_key_file, e2e.apiv2_key_file);
	SET(base_url, v2 ? e2e.v2_base_url : e2e.base_url);
	if (v2) {
		cfg.mode = LD_WXPAY_V2;
		snprintf(p12, sizeof p12, "%s/v2/apiclient_cert.p12", e2e.dir);
		SET(client_cert_p12, p12);
		SET(ca_file, e2e.tls_cert_file);
	}
#undef SET
	cfg.timeout_ms = 4000;
	if (wx_client_new(&cfg, &c, &err) != LD_OK)
		fprintf(stderr, "wx_client_new: %s\n", err.msg);
	wx_config_free(&cfg);
	return c;
}

long
e2e_sim_post(const char *path, const char *json)
{
	char url[256];
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL,
	    "Content-Type: application/json");
	FILE *sink = fopen("/dev/null", "w");
	long status = 0;

	snprintf(url, sizeof url, "%s/__sim/%s", e2e.base_url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (sink != NULL)
		fclose(sink);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (status != 200)
		fprintf(stderr, "POST /__sim/%s %s: HTTP %ld\n", path, json,
		    status);
	return status;
}

void
e2e_ledger(const char *openid, long *count, int64_t *amount)
{
	char url[256], *data = NULL;
	size_t dlen = 0;
	CURL *c = curl_easy_init();
	FILE *mem = open_memstream(&data, &dlen);
	cJSON *root, *u;

	*count = -1;
	*amount = -1;
	snprintf(url, sizeof url, "%s/__sim/ledger", e2e.base_url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	if (curl_easy_perform(c) != CURLE_OK) {
		fclose(mem);
		free(data);
		curl_easy_cleanup(c);
		return;
	}
	fclose(mem);
	curl_easy_cleanup(c);
	root = cJSON_Parse(data);
	u = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "paid_by_openid"),
	    openid);
	if (root == NULL) {
		;
	} else if (u == NULL) {
		*count = 0;
		*amount = 0;
	} else {
		*count = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(u,
		    "count"));
		*amount = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(u,
		    "amount"));
	}
	cJSON_Delete(root);
	free(data);
}

long
e2e_sim_bill(const char *out_no, const char *openid, char *out, size_t len)
{
	char url[256], *data = NULL;
	size_t dlen = 0;
	CURL *c = curl_easy_init();
	FILE *mem = open_memstream(&data, &dlen);
	cJSON *root, *b;
	long n = -1;

	out[0] = '\0';
	snprintf(url, sizeof url, "%s/__sim/ledger", e2e.base_url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	if (curl_easy_perform(c) != CURLE_OK) {
		fclose(mem);
		free(data);
		curl_easy_cleanup(c);
		return -1;
	}
	fclose(mem);
	curl_easy_cleanup(c);
	root = cJSON_Parse(data);
	if (root != NULL) {
		n = 0;
		cJSON_ArrayForEach(b, cJSON_GetObjectItem(root, "bills")) {
			const char *no = cJSON_GetStringValue(
			    cJSON_GetObjectItem(b, "out_no"));
			const char *oid = cJSON_GetStringValue(
			    cJSON_GetObjectItem(b, "openid"));

			if (oid != NULL && openid != NULL &&
			    strcmp(oid, openid) == 0)
				n++;
			if (no != NULL && out_no != NULL &&
			    strcmp(no, out_no) == 0)
				snprintf(out, len, "%s", cJSON_GetStringValue(
				    cJSON_GetObjectItem(b, "state")));
		}
	}
	cJSON_Delete(root);
	free(data);
	return n;
}

/* Callbacks ---------------------------------------------------------------- */

static long
post_notify(const char *body, size_t len, const char *ts, const char *nonce,
    const char *sig)
{
	char url[160], line[2200];
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	FILE *sink = fopen("/dev/null", "w");
	long status = 0;

	snprintf(url, sizeof url, "http://127.0.0.1:%u/wxpay/notify",
	    e2e.port);
	if (ts != NULL) {
		snprintf(line, sizeof line, "Wechatpay-Timestamp: %s", ts);
		h = curl_slist_append(h, line);
		snprintf(line, sizeof line, "Wechatpay-Nonce: %s", nonce);
		h = curl_slist_append(h, line);
		snprintf(line, sizeof line, "Wechatpay-Signature: %s", sig);
		h = curl_slist_append(h, line);
		snprintf(line, sizeof line, "Wechatpay-Serial: %s",
		    e2e.platform_key_id);
		h = curl_slist_append(h, line);
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (sink != NULL)
		fclose(sink);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

long
e2e_notify_raw(const char *body, size_t len)
{
	return post_notify(body, len, NULL, NULL, NULL);
}

long
e2e_callback(const char *resource, long skew, int forged)
{
	unsigned char apiv3[32];
	EVP_PKEY *key = NULL;
	struct ld_err err;
	char ts[24], nonce[33], n12[13], *ct = NULL, *body, *msg, *sig = NULL;
	long status = -1;

	if (wx_read_apiv3_key(e2e.apiv3_key_file, apiv3, &err) != LD_OK ||
	    wx_random_nonce(nonce, &err) != LD_OK)
		return -1;
	memcpy(n12, nonce, 12);
	n12[12] = '\0';
	if (wx_aead_encrypt(apiv3, n12, "mch_payment", resource,
	    strlen(resource), &ct, &err) != LD_OK)
		return -1;
	body = ld_asprintf("{\"id\":\"test-%s\",\"create_time\":"
	    "\"2026-01-01T00:00:00+08:00\",\"resource_type\":"
	    "\"encrypt-resource\",\"event_type\":\"MCHTRANSFER.BILL.FINISHED\","
	    "\"summary\":\"test\",\"resource\":{\"original_type\":"
	    "\"mch_payment\",\"algorithm\":\"AEAD_AES_256_GCM\","
	    "\"ciphertext\":\"%s\",\"associated_data\":\"mch_payment\","
	    "\"nonce\":\"%s\"}}", nonce, ct, n12);
	free(ct);
	snprintf(ts, sizeof ts, "%lld", (long long)time(NULL) + skew);
	msg = wx_v3_response_message(ts, nonce, body);
	if (forged == 1)
		key = EVP_RSA_gen(2048);
	else
		(void)wx_load_private_key(e2e.platform_private, &key, &err);
	if (key != NULL && wx_rsa_sign_b64(key, msg, strlen(msg), &sig,
	    &err) == LD_OK) {
		if (forged == 2) {
			char *probe = ld_asprintf("WECHATPAY/SIGNTEST/%s",
			    sig + 19);

			free(sig);
			sig = probe;
		}
		status = post_notify(body, strlen(body), ts, nonce, sig);
	}
	EVP_PKEY_free(key);
	free(sig);
	free(msg);
	free(body);
	return status;
}
