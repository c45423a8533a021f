/*
 * What loandeskd's threads share: the configuration, the mode, the stop
 * signal, and for payouts the name-opening keys, the figures /metrics
 * shows and the monitor's doorbell.  Each worker thread owns its database
 * connection, its scorer or its WeChat Pay client; the shared figures
 * have their own lock (daemon_metrics), the rest is read-only or atomic.
 */
#ifndef LD_DAEMON_H
#define LD_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "core_payout_engine.h"
#include "core_pii.h"
#include "core_score.h"
#include "daemon_config.h"
#include "ld_err.h"

/* Request latency buckets of /metrics, seconds. */
#define DAEMON_LATENCY_BUCKETS 12
#define DAEMON_METRIC_CODES 256

struct daemon_metrics {
	pthread_mutex_t lock;
	struct daemon_attempt_count {
		char exchange[8], outcome[8], code[64];
		unsigned long n;
	} attempts[DAEMON_METRIC_CODES];
	size_t nattempts;
	unsigned long attempts_other;	/* beyond the table */
	unsigned long latency_le[DAEMON_LATENCY_BUCKETS];
	unsigned long latency_count;
	double latency_sum;
	/* Callbacks: verified (applied, kept, ignored), refused by reason,
	 * failed here. */
	unsigned long cb_applied, cb_kept, cb_ignored, cb_failed;
	unsigned long cb_refused_signature, cb_refused_probe;
	unsigned long cb_refused_stale, cb_refused_malformed;
	unsigned long cb_refused_too_large;
	/* This daemon's last balance reading. */
	int have_balance;
	int64_t available_fen, pending_fen;
	time_t balance_at;
	unsigned long balance_errors;
	unsigned long rounds, round_errors, not_sent, refused;
};

void daemon_metrics_init(struct daemon_metrics *m);
void daemon_metrics_destroy(struct daemon_metrics *m);
void daemon_metrics_attempt(struct daemon_metrics *m,
    const struct core_payout_attempt *a);
void daemon_metrics_callback(struct daemon_metrics *m,
    const struct core_payout_callback *cb);
/*
 * The Prometheus text exposition: this daemon's counters, and with g
 * (NULL when the database could not be read) the engine's figures.
 * Caller frees.
 */
char *daemon_metrics_render(struct daemon_metrics *m,
    const struct core_payout_gauges *g, int workers_running,
    int workers_configured);

struct daemon_shared {
	const struct loandeskd_config *cfg;
	int once;		/* drain the queues and return */
	atomic_int stop;	/* set by the signal thread */
	int wake_fd;		/* readable once stop is set */

	/* Payouts: whether they run here, and with what. */
	int payouts;
	int payout_workers;
	char worker_id[96];	/* host:pid, the heartbeat's name */
	const struct core_keyring *names;
	struct daemon_metrics metrics;
	atomic_int payout_workers_running;
	/* A worker saw NOT_ENOUGH: the monitor reads the balance now. */
	atomic_int balance_now;
	int monitor_wake_rd, monitor_wake_wr;
};

struct score_worker {
	pthread_t thread;
	int index;
	struct daemon_shared *shared;
	struct core_score_stats stats;
	int failed;		/* 1 when the worker gave up */
	char error[LD_ERR_MSG_MAX];
};

/*
 * The scoring worker's thread body (arg is a struct score_worker).  Claims
 * and scores batches until the queue is empty (--once) or stop is set;
 * otherwise waits for NOTIFY applications_received or polls every few
 * seconds.  Sets failed and error instead of exiting.
 */
void *score_worker_main(void *arg);

struct payout_worker {
	pthread_t thread;
	int index;
	struct daemon_shared *shared;
	struct core_payout_round_stats total;
	int failed;
	char error[LD_ERR_MSG_MAX];
};

/*
 * A payout worker's thread body (arg is a struct payout_worker): rounds of
 * core_payout_round until nothing is due (--once) or stop is set, waking
 * on NOTIFY payout_bills and payout_control and when the next bill comes
 * due.
 */
void *payout_worker_main(void *arg);

struct payout_monitor {
	pthread_t thread;
	struct daemon_shared *shared;
};

/* The balance monitor and heartbeat thread (arg: struct payout_monitor). */
void *payout_monitor_main(void *arg);

struct daemon_http;

/*
 * Starts the HTTP listener on [daemon] listen: POST /wxpay/notify,
 * GET /healthz, GET /metrics.  Its own thread, database connection and
 * WeChat Pay client.  LD_EINVAL or LD_EIO naming the address when it
 * cannot listen.
 */
enum ld_status daemon_http_start(struct daemon_shared *sh,
    struct daemon_http **out, struct ld_err *err);
/* The port it listens on (for a configured port 0). */
unsigned daemon_http_port(const struct daemon_http *h);
void daemon_http_stop(struct daemon_http *h);

#endif
