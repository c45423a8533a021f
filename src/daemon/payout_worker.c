/*
 * The payout worker: rounds of claim, store, send, record
 * (core_payout_round), one request at a time, on its own database
 * connection and its own WeChat Pay client (one libcurl handle, kept
 * alive between requests, so a warm request makes no new connection).
 *
 * It waits between rounds for NOTIFY payout_bills (new bills due), for
 * payout_control, for the next bill's time, or for the stop signal.
 * Between requests it reads what the server sent: a pause (payouts_pause,
 * or the channel) stops the creates it has claimed but not sent, which go
 * back to be sent later; queries and cancels go on.  A stop finishes the
 * request in hand and records it, then gives back the creates not sent.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "daemon.h"
#include "ld_db.h"
#include "ld_log.h"

/* Longest sleep with nothing due: a missed NOTIFY costs no more. */
#define PAYOUT_POLL_MS 1000
/* Backoff after a database failure. */
#define PAYOUT_RETRY_MS 2000

struct worker_ctx {
	struct payout_worker *w;
	struct ld_db *db;
	int paused;		/* a pause arrived during this round */
	uint64_t rng_state;
};

static int
stopping(const struct payout_worker *w)
{
	return atomic_load(&w->shared->stop) != 0;
}

static uint64_t
rng_next(void *ctx)
{
	struct worker_ctx *x = ctx;

	/* xorshift64*: jitter only, never a secret. */
	x->rng_state ^= x->rng_state >> 12;
	x->rng_state ^= x->rng_state << 25;
	x->rng_state ^= x->rng_state >> 27;
	return x->rng_state * 2685821657736338717ULL;
}

static void
on_notify(void *arg, const char *channel, const char *payload)
{
	struct worker_ctx *x = arg;

	if (strcmp(channel, "payout_control") != 0)
		return;
	if (strcmp(payload, "paused") == 0 ||
	    strcmp(payload, "channel_paused") == 0)
		x->paused = 1;
	else if (strcmp(payload, "resumed") == 0 ||
	    strcmp(payload, "channel_resumed") == 0)
		x->paused = 0;
}

/* Reads what the server sent meanwhile; 1 when anything came. */
static int
drain(struct worker_ctx *x)
{
	struct ld_err ignored;
	int n = 0;

	if (!ld_db_connected(x->db))
		return 0;
	(void)ld_db_notifications(x->db, &n, on_notify, x, &ignored);
	return n > 0;
}

static int
hook_stop(void *arg)
{
	struct worker_ctx *x = arg;

	return stopping(x->w);
}

static int
hook_hold_creates(void *arg)
{
	struct worker_ctx *x = arg;

	(void)drain(x);
	return x->paused;
}

static void
hook_balance_short(void *arg)
{
	struct worker_ctx *x = arg;
	struct daemon_shared *sh = x->w->shared;

	atomic_store(&sh->balance_now, 1);
	if (sh->monitor_wake_wr >= 0 && write(sh->monitor_wake_wr, "b", 1) < 0)
		ld_log_warn("payout worker %d: waking the balance monitor: %s",
		    x->w->index, strerror(errno));
}

/*
 * One line per exchange: payout, bill, number, what was asked, what it
 * meant, how long it took, where the bill is.  Nothing personal (no
 * openid, no name, no message from WeChat Pay, which the attempt row
 * keeps) and no key.
 */
static void
hook_attempt(void *arg, const struct core_payout_attempt *a)
{
	struct worker_ctx *x = arg;

	daemon_metrics_attempt(&x->w->shared->metrics, a);
	ld_log_info("payout %" PRId64 " bill %" PRId64 " out_bill_no %s: %s "
	    "outcome=%s code=%s http=%ld latency_ms=%ld state=%s%s%s",
	    a->payout_id, a->bill_id, a->out_bill_no, a->exchange, a->outcome,
	    a->code, a->http_status, a->seconds < 0 ? -1L :
	    (long)(a->seconds * 1000 + 0.5), a->state,
	    a->body_sha256[0] ? " body_sha256=" : "", a->body_sha256);
}

static int
worker_connect(struct worker_ctx *x, struct ld_err *err)
{
	static const char *const channels[] = { "payout_bills",
		"payout_control" };
	struct payout_worker *w = x->w;
	char app[64];

	snprintf(app, sizeof app, "loandeskd payout %d", w->index);
	ld_db_close(x->db);
	if (ld_db_connect(x->db, w->shared->cfg->database.conninfo, app,
	    err) != LD_OK)
		return -1;
	if (!w->shared->once && ld_db_listen(x->db, channels, 2, err) !=
	    LD_OK) {
		ld_db_close(x->db);
		return -1;
	}
	return 0;
}

/*
 * Sleeps up to ms, waking early on a notification or on stop.  One that
 * arrived during the round is already in libpq's queue, not on the
 * socket: then there is no sleep at all.
 */
static void
wait_for_work(struct worker_ctx *x, int ms)
{
	struct pollfd pfd[2];
	int n = 0;

	if (drain(x))
		return;
	pfd[n].fd = x->w->shared->wake_fd;
	pfd[n++].events = POLLIN;
	if (ld_db_socket(x->db) >= 0) {
		pfd[n].fd = ld_db_socket(x->db);
		pfd[n++].events = POLLIN;
	}
	if (poll(pfd, (nfds_t)n, ms) < 0 && errno != EINTR)
		ld_log_warn("payout worker %d: poll: %s", x->w->index,
		    strerror(errno));
	(void)drain(x);
}

static void
fail(struct payout_worker *w, const char *msg)
{
	w->failed = 1;
	snprintf(w->error, sizeof w->error, "%s", msg);
}

void *
payout_worker_main(void *arg)
{
	struct payout_worker *w = arg;
	struct daemon_shared *sh = w->shared;
	const struct loandeskd_config *cfg = sh->cfg;
	struct core_payout_engine_cfg ec;
	struct core_payout_hooks hooks;
	struct core_payout_round_stats st;
	struct payout_rng rng;
	struct worker_ctx x;
	struct wx_client *c = NULL;
	struct ld_db db;
	struct ld_err err;
	char name[128];
	enum ld_status s;
	long due;

	memset(&db, 0, sizeof db);
	memset(&x, 0, sizeof x);
	x.w = w;
	x.db = &db;
	if (RAND_bytes((unsigned char *)&x.rng_state, sizeof x.rng_state) !=
	    1)
		x.rng_state = (uint64_t)time(NULL) ^ (uint64_t)getpid();
	x.rng_state |= 1;
	rng.next = rng_next;
	rng.ctx = &x;
	ld_err_clear(&err);
	if (wx_client_new(&cfg->wxpay, &c, &err) != LD_OK) {
		fail(w, err.msg);
		return NULL;
	}
	snprintf(name, sizeof name, "%s:p%d", sh->worker_id, w->index);
	memset(&ec, 0, sizeof ec);
	ec.mode = cfg->wxpay.mode;
	ec.worker = name;
	ec.remark = cfg->wxpay.transfer_remark;
	ec.names = sh->names;
	/* A payout's bills go as one batch only when claimed together. */
	ec.claim_max = cfg->wxpay.mode == LD_WXPAY_BATCHES ? 1000 :
	    cfg->daemon.payout_claim;
	memset(&hooks, 0, sizeof hooks);
	hooks.arg = &x;
	hooks.attempt = hook_attempt;
	hooks.stop = hook_stop;
	hooks.hold_creates = hook_hold_creates;
	hooks.balance_short = hook_balance_short;
	atomic_fetch_add(&sh->payout_workers_running, 1);

	while (!stopping(w)) {
		if (!ld_db_connected(&db) && worker_connect(&x, &err) != 0) {
			if (sh->once) {
				fail(w, err.msg);
				break;
			}
			ld_log_warn("payout worker %d: %s", w->index, err.msg);
			wait_for_work(&x, PAYOUT_RETRY_MS);
			continue;
		}
		ld_err_clear(&err);
		x.paused = 0;
		s = core_payout_round(&db, c, &ec, &hooks, &rng, &st, &err);
		w->total.claimed += st.claimed;
		w->total.sent += st.sent;
		w->total.recorded += st.recorded;
		w->total.not_sent += st.not_sent;
		w->total.refused += st.refused;
		pthread_mutex_lock(&sh->metrics.lock);
		if (s == LD_OK)
			sh->metrics.rounds++;
		else
			sh->metrics.round_errors++;
		pthread_mutex_unlock(&sh->metrics.lock);
		if (s == LD_OK && st.claimed > 0)
			continue;
		if (s == LD_OK) {
			if (sh->once)
				break;
			if (core_payout_next_due_ms(&db, &due, &err) != LD_OK)
				due = PAYOUT_POLL_MS;
			if (due < 0 || due > PAYOUT_POLL_MS)
				due = PAYOUT_POLL_MS;
			wait_for_work(&x, (int)(due < 10 ? 10 : due));
			continue;
		}
		/* The audit head's lock timed out, or the like: again. */
		if (s == LD_ECONFLICT && strcmp(db.sqlstate, "55P03") == 0) {
			ld_log_warn("payout worker %d: %s; retrying", w->index,
			    err.msg);
			wait_for_work(&x, PAYOUT_RETRY_MS);
			continue;
		}
		if (sh->once) {
			fail(w, err.msg);
			break;
		}
		ld_log_error("payout worker %d: %s", w->index, err.msg);
		if (!ld_db_connected(&db))
			ld_db_close(&db);
		wait_for_work(&x, PAYOUT_RETRY_MS);
	}
	atomic_fetch_sub(&sh->payout_workers_running, 1);
	ld_db_close(&db);
	wx_client_free(c);
	return NULL;
}
