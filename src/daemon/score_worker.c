/*
 * The scoring worker.  New applications announce themselves with
 * NOTIFY applications_received; a worker that misses one (a restart, a
 * dropped connection) still finds the work on its next poll, because the
 * queue is the applications table itself.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "ld_db.h"
#include "ld_log.h"

/* How long an idle worker sleeps before looking again without a NOTIFY. */
#define SCORE_POLL_MS 5000
/* Backoff after a database failure. */
#define SCORE_RETRY_MS 2000

static int
stopping(const struct score_worker *w)
{
	return atomic_load(&w->shared->stop) != 0;
}

/*
 * Drops the notifications that arrived; 1 when there were any.  A broken
 * connection shows at the next batch, which reconnects.
 */
static int
drain_notifies(struct ld_db *db)
{
	struct ld_err ignored;
	int n = 0;

	if (!ld_db_connected(db))
		return 0;
	(void)ld_db_notifications(db, &n, NULL, NULL, &ignored);
	return n > 0;
}

/*
 * Sleeps up to ms, waking early on a notification or on stop.  Drains
 * notifications so they do not pile up.  One that arrived while the last
 * batch was being read is already in libpq's queue, not on the socket:
 * then there is no sleep at all, or an application submitted during a
 * batch would wait for the next poll.
 */
static void
wait_for_work(struct score_worker *w, struct ld_db *db, int ms)
{
	struct pollfd pfd[2];
	int n = 0;

	if (drain_notifies(db))
		return;

	pfd[n].fd = w->shared->wake_fd;
	pfd[n++].events = POLLIN;
	if (ld_db_socket(db) >= 0) {
		pfd[n].fd = ld_db_socket(db);
		pfd[n++].events = POLLIN;
	}
	if (poll(pfd, (nfds_t)n, ms) < 0 && errno != EINTR)
		ld_log_warn("score worker %d: poll: %s", w->index,
		    strerror(errno));
	(void)drain_notifies(db);
}

static int
worker_connect(struct score_worker *w, struct ld_db *db, struct ld_err *err)
{
	char app[64];

	snprintf(app, sizeof app, "loandeskd score %d", w->index);
	ld_db_close(db);
	if (ld_db_connect(db, w->shared->cfg->database.conninfo, app, err) !=
	    LD_OK)
		return -1;
	if (!w->shared->once &&
	    ld_db_cmd(db, "LISTEN applications_received", err) != LD_OK) {
		ld_db_close(db);
		return -1;
	}
	return 0;
}

void *
score_worker_main(void *arg)
{
	struct score_worker *w = arg;
	struct core_scorer *scorer = NULL;
	struct ld_db db;
	struct ld_err err;
	enum ld_status st;
	int claimed, warned_no_champion = 0;

	memset(&db, 0, sizeof db);
	ld_err_clear(&err);
	if (core_scorer_new(&w->shared->cfg->risk, &scorer, &err) != LD_OK) {
		w->failed = 1;
		snprintf(w->error, sizeof w->error, "%s", err.msg);
		return NULL;
	}
	while (!stopping(w)) {
		if (!ld_db_connected(&db) &&
		    worker_connect(w, &db, &err) != 0) {
			if (w->shared->once) {
				w->failed = 1;
				snprintf(w->error, sizeof w->error, "%s",
				    err.msg);
				break;
			}
			ld_log_warn("score worker %d: %s", w->index, err.msg);
			wait_for_work(w, &db, SCORE_RETRY_MS);
			continue;
		}
		ld_err_clear(&err);
		st = core_score_batch(scorer, &db, w->shared->cfg->daemon.batch_size,
		    &claimed, &w->stats, &err);
		if (st == LD_OK && claimed > 0) {
			warned_no_champion = 0;
			continue;
		}
		if (st == LD_OK) {
			if (w->shared->once)
				break;
			wait_for_work(w, &db, SCORE_POLL_MS);
			continue;
		}
		/*
		 * Another transaction held the audit log's head (or a row)
		 * past the lock timeout, and the batch rolled back: try it
		 * again, with --once too, since the server ends a holder
		 * that sits idle (0013).
		 */
		if (st == LD_ECONFLICT && strcmp(db.sqlstate, "55P03") == 0) {
			ld_log_warn("score worker %d: %s; retrying", w->index,
			    err.msg);
			wait_for_work(w, &db, SCORE_RETRY_MS);
			continue;
		}
		if (w->shared->once) {
			w->failed = 1;
			snprintf(w->error, sizeof w->error, "%s", err.msg);
			break;
		}
		if (st == LD_ENOTFOUND) {
			/* Said once, not every poll, until it changes. */
			if (!warned_no_champion)
				ld_log_warn("score worker %d: %s", w->index,
				    err.msg);
			warned_no_champion = 1;
			wait_for_work(w, &db, SCORE_POLL_MS);
			continue;
		}
		ld_log_error("score worker %d: %s", w->index, err.msg);
		if (!ld_db_connected(&db))
			ld_db_close(&db);
		wait_for_work(w, &db, SCORE_RETRY_MS);
	}
	ld_db_close(&db);
	core_scorer_free(scorer);
	return NULL;
}
