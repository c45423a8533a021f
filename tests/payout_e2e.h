/*
 * The harness of the payout engine's end-to-end suites
 * (tests/test_payout_e2e*.c): a throwaway PostgreSQL, the real wxpay-sim
 * over loopback, loandeskd started and stopped as a process with a
 * configuration written here, and the operators who approve payouts.
 * Everything waits for a condition, never for a time.
 */
#ifndef LD_PAYOUT_E2E_H
#define LD_PAYOUT_E2E_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ld_db.h"

/* Generous: they only cost time when something is wrong. */
#define E2E_WAIT_S 60

struct e2e {
	char dir[256];		/* everything of this run */
	char run[16];		/* keeps openids unique across runs */
	/* The simulator. */
	pid_t sim_pid;
	int sim_out;
	char base_url[128], v2_base_url[128], tls_cert_file[512];
	char mchid[32], appid[64], merchant_serial[128];
	char merchant_key[512], platform_pub[512], platform_key_id[128];
	char apiv3_key_file[512], apiv2_key_file[512];
	char platform_private[512];
	/* The daemon. */
	pid_t daemon_pid;
	char conf[512], log[512];
	unsigned port;		/* [daemon] listen, fixed for the run */
	char notify_url[128];
	/* Connections: the owner, and the operators. */
	struct ld_db su, risk, fin1, fin2, oncall;
	char pii_key_file[512];
};

extern struct e2e e2e;

/* Starts the cluster, migrates, makes the roles, the keys and the
 * simulator (with the v2 listener and its client certificate); 0 or -1. */
int e2e_setup(void);
void e2e_teardown(void);

/*
 * Writes the daemon's configuration: mode (v3, batches, v2) and extra
 * lines appended to [daemon], [payout] (balance_poll_s ...) as given
 * ("" for none), then starts loandeskd and waits until /healthz answers
 * 200.  0 or -1 (the log is printed).
 */
int e2e_daemon_start(const char *mode, const char *payout_extra);
/*
 * loandeskd --once with that configuration, run to its end; the exit
 * status (-1 on a signal or a timeout).  Its output goes to the log.
 */
int e2e_daemon_once(const char *mode);
/* Runs loandeskd -c path and waits; the exit status, its stderr in err. */
int e2e_daemon_run_conf(const char *path, char *err, size_t len);
/* SIGTERM and wait; the exit status (-1 on a signal or a timeout). */
int e2e_daemon_stop(void);
/* SIGKILL and wait. */
void e2e_daemon_kill(void);
/* Prints the end of the daemon's log to stderr. */
void e2e_daemon_log_tail(int lines);
/* 1 when the daemon's log holds text. */
int e2e_daemon_log_has(const char *text);

/* Superuser SQL, formatted; the first value into out ("" when none). */
void e2e_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void e2e_text(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
long e2e_long(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Polls the query until its first value is want (or, for want NULL,
 * until it is not empty), up to E2E_WAIT_S; 0 or -1 (saying what it
 * last saw).
 */
int e2e_wait(const char *want, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * An approved loan for amount_fen to a borrower with this openid and
 * name (sealed with the run's key), its payout approved by two finance
 * approvers; the payout's id, or -1.
 */
long e2e_payout(int64_t amount_fen, const char *openid, const char *name);
/* An openid unique to this run: o_TAG_RUN. */
void e2e_openid(char *out, size_t len, const char *tag);

struct wx_client;
/* A WeChat Pay client of the merchant, as the daemon's in mode v3 (the
 * plain listener) or, with v2, in mode v2 (the TLS listener, the client
 * certificate); NULL on failure.  wx_client_free it. */
struct wx_client *e2e_client(int v2);

/* The simulator's admin API: POST /__sim/PATH with json; HTTP status. */
long e2e_sim_post(const char *path, const char *json);
/* GET /__sim/ledger: how often and how much openid was paid. */
void e2e_ledger(const char *openid, long *count, int64_t *amount);

/*
 * The simulator's own record of a transfer (out_bill_no, out_detail_no or
 * partner_trade_no): its state into out ("" when it has none); returns
 * how many transfers it holds for openid, paid or not (-1 on error).
 */
long e2e_sim_bill(const char *out_no, const char *openid, char *out,
    size_t len);

/* An HTTP exchange with the daemon; the status, the body into b. */
long e2e_daemon_get(const char *path, char **body);
/* A metric's value from /metrics (the line's first field), or -1. */
double e2e_metric(const char *series);

/*
 * A callback as WeChat Pay would send it for resource (the plain JSON):
 * signed with the simulator's platform key at now + skew seconds; forged
 * 1 signs it with another key, 2 sends a WECHATPAY/SIGNTEST/ probe.  The
 * daemon's HTTP status.
 */
long e2e_callback(const char *resource, long skew, int forged);
/* A raw POST to /wxpay/notify; the HTTP status. */
long e2e_notify_raw(const char *body, size_t len);

#endif
