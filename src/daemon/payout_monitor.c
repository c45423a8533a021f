/*
 * The balance monitor and the heartbeat.  The operating account is read
 * every [payout] balance_poll_s, at once when a worker met NOT_ENOUGH or
 * the database paused the channel (NOTIFY payout_control channel_paused),
 * and recorded with api.payout_balance_record: the alert, the channel's
 * pause and its resume (which releases the bills held for the balance)
 * are the database's.  The heartbeat (api.payout_heartbeat) says every
 * [daemon] heartbeat_s that this daemon is alive and what it did.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "ld_db.h"
#include "ld_log.h"

#define MONITOR_RETRY_MS 2000

struct monitor_ctx {
	struct daemon_shared *sh;
	struct ld_db db;
	struct wx_client *c;	/* NULL: no balance API in this mode */
	char channel[16];	/* as the last reading left it */
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_notify(void *arg, const char *channel, const char *payload)
{
	struct monitor_ctx *m = arg;

	if (strcmp(channel, "payout_control") == 0 &&
	    strcmp(payload, "channel_paused") == 0)
		atomic_store(&m->sh->balance_now, 1);
}

static void
drain(struct monitor_ctx *m)
{
	struct ld_err ignored;
	char buf[64];
	int n = 0;

	if (ld_db_connected(&m->db))
		(void)ld_db_notifications(&m->db, &n, on_notify, m, &ignored);
	/* The doorbell's bytes: the flag says what they meant. */
	while (m->sh->monitor_wake_rd >= 0 &&
	    read(m->sh->monitor_wake_rd, buf, sizeof buf) > 0)
		;
}

static int
connect_db(struct monitor_ctx *m, struct ld_err *err)
{
	static const char *const channels[] = { "payout_control" };

	ld_db_close(&m->db);
	if (ld_db_connect(&m->db, m->sh->cfg->database.conninfo,
	    "loandeskd monitor", err) != LD_OK)
		return -1;
	if (ld_db_listen(&m->db, channels, 1, err) != LD_OK) {
		ld_db_close(&m->db);
		return -1;
	}
	return 0;
}

static void
read_balance(struct monitor_ctx *m)
{
	struct daemon_metrics *mt = &m->sh->metrics;
	struct core_payout_balance b;
	struct wx_answer ans;
	struct ld_err err;
	enum ld_status st;

	memset(&ans, 0, sizeof ans);
	ld_err_clear(&err);
	st = core_payout_balance_read(&m->db, m->c, m->sh->worker_id, &b,
	    &ans, &err);
	pthread_mutex_lock(&mt->lock);
	if (b.available_fen >= 0) {
		mt->have_balance = 1;
		mt->available_fen = b.available_fen;
		mt->pending_fen = b.pending_fen;
		mt->balance_at = time(NULL);
	}
	if (st != LD_OK)
		mt->balance_errors++;
	pthread_mutex_unlock(&mt->lock);
	if (st != LD_OK) {
		ld_log_warn("balance: %s", err.msg);
		if (!ld_db_connected(&m->db))
			ld_db_close(&m->db);
	} else if (strcmp(b.channel, m->channel) != 0) {
		ld_log_info("balance: %" PRId64 " fen available, %" PRId64
		    " pending; channel %s", b.available_fen, b.pending_fen,
		    b.channel);
		snprintf(m->channel, sizeof m->channel, "%s", b.channel);
	}
	wx_answer_free(&ans);
}

static void
heartbeat(struct monitor_ctx *m, time_t started)
{
	struct daemon_metrics *mt = &m->sh->metrics;
	unsigned long attempts = 0;
	char info[512];
	struct ld_err err;
	size_t i;

	pthread_mutex_lock(&mt->lock);
	for (i = 0; i < mt->nattempts; i++)
		attempts += mt->attempts[i].n;
	snprintf(info, sizeof info, "{\"version\":\"%s\",\"pid\":%ld,"
	    "\"started\":%lld,\"mode\":\"%s\",\"payout_workers\":%d,"
	    "\"running\":%d,\"attempts\":%lu,\"rounds\":%lu,"
	    "\"round_errors\":%lu,\"callbacks_applied\":%lu,"
	    "\"callbacks_refused\":%lu}", PACKAGE_VERSION, (long)getpid(),
	    (long long)started, m->sh->cfg->wxpay.mode == LD_WXPAY_V2 ? "v2" :
	    m->sh->cfg->wxpay.mode == LD_WXPAY_BATCHES ? "batches" : "v3",
	    m->sh->payout_workers,
	    atomic_load(&m->sh->payout_workers_running), attempts, mt->rounds,
	    mt->round_errors, mt->cb_applied, mt->cb_refused_signature +
	    mt->cb_refused_probe + mt->cb_refused_stale +
	    mt->cb_refused_malformed + mt->cb_refused_too_large);
	pthread_mutex_unlock(&mt->lock);
	ld_err_clear(&err);
	if (core_payout_heartbeat(&m->db, m->sh->worker_id, info, &err) !=
	    LD_OK) {
		ld_log_warn("heartbeat: %s", err.msg);
		if (!ld_db_connected(&m->db))
			ld_db_close(&m->db);
	}
}

void *
payout_monitor_main(void *arg)
{
	struct payout_monitor *pm = arg;
	struct monitor_ctx m;
	const struct loandeskd_config *cfg = pm->shared->cfg;
	double next_balance = 0, next_beat = 0;
	time_t started = time(NULL);
	struct ld_err err;

	memset(&m, 0, sizeof m);
	m.sh = pm->shared;
	snprintf(m.channel, sizeof m.channel, "?");
	ld_err_clear(&err);
	/* The balance API is APIv3: a v2-only merchant has no key for it. */
	if (cfg->wxpay.private_key_file == NULL ||
	    cfg->wxpay.merchant_serial == NULL) {
		ld_log_warn("balance: [wxpay] has no APIv3 key (private_key_file, "
		    "merchant_serial); the balance is not watched");
	} else if (wx_client_new(&cfg->wxpay, &m.c, &err) != LD_OK) {
		ld_log_warn("balance: %s; the balance is not watched", err.msg);
		m.c = NULL;
	}
	while (!atomic_load(&m.sh->stop)) {
		struct pollfd pfd[3];
		double t, wait_s;
		int n = 0;

		if (!ld_db_connected(&m.db) && connect_db(&m, &err) != 0) {
			ld_log_warn("monitor: %s", err.msg);
			pfd[0].fd = m.sh->wake_fd;
			pfd[0].events = POLLIN;
			(void)poll(pfd, 1, MONITOR_RETRY_MS);
			continue;
		}
		drain(&m);
		t = now_s();
		if (m.c != NULL && (t >= next_balance ||
		    atomic_exchange(&m.sh->balance_now, 0))) {
			read_balance(&m);
			next_balance = now_s() + cfg->payout.balance_poll_s;
		}
		if (t >= next_beat && ld_db_connected(&m.db)) {
			heartbeat(&m, started);
			next_beat = now_s() + cfg->daemon.heartbeat_s;
		}
		t = now_s();
		wait_s = next_beat - t;
		if (m.c != NULL && next_balance - t < wait_s)
			wait_s = next_balance - t;
		if (wait_s < 0.01)
			wait_s = 0.01;
		pfd[n].fd = m.sh->wake_fd;
		pfd[n++].events = POLLIN;
		if (m.sh->monitor_wake_rd >= 0) {
			pfd[n].fd = m.sh->monitor_wake_rd;
			pfd[n++].events = POLLIN;
		}
		if (ld_db_socket(&m.db) >= 0) {
			pfd[n].fd = ld_db_socket(&m.db);
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, (int)(wait_s * 1000)) < 0 &&
		    errno != EINTR)
			ld_log_warn("monitor: poll: %s", strerror(errno));
	}
	ld_db_close(&m.db);
	wx_client_free(m.c);
	return NULL;
}
