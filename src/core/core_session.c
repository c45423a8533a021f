/*
 * The console's session: the primary, an optional replica, and the
 * routing of reads between them (core_session.h says which go where).
 *
 * The replica's lag is measured without writing anything: every check
 * samples the primary's WAL position with the time it was seen, and the
 * replica's replay position.  The lag is the time since the primary first
 * held WAL the replica has not replayed, so an idle primary (nothing new
 * to replay, however old the last replayed transaction) is no lag at all.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core_query.h"
#include "core_session.h"
#include "ld_alloc.h"
#include "ld_db.h"
#include "ld_sql.h"

#define LAG_SAMPLES 64

struct core_session {
	char *conninfo, *read_conninfo, *appname;
	struct ld_db primary, replica;
	int primary_was_up;

	int (*interrupt)(void *, double);
	void *interrupt_arg;
	int slice_ms;

	char tz[64];              /* "" the server's default */

	/* The replica. */
	double retry_at;          /* next connection attempt, when down */
	double checked_at;        /* last lag measurement */
	char replica_error[256];
	int replica_was_up;
	int replica_standby;      /* in recovery, as last checked */
	uint64_t replayed;        /* its replay position, last checked */
	int measured;
	double lag_s;
	uint64_t lsn[LAG_SAMPLES];  /* the primary's positions, oldest first */
	double lsn_t[LAG_SAMPLES];
	int nlsn;

	/* Read-your-writes: the position the replica must have replayed. */
	int primary_touched;      /* core_session_primary since the last read */
	int notified;             /* a notification since the last read */
	uint64_t want;

	enum core_server served;

	double check_ms, retry_ms, note_lag_s;
};

double
core_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

uint64_t
core_session_lsn(const char *text)
{
	unsigned long long hi, lo;
	char *end;

	if (text == NULL || *text == '\0')
		return 0;
	hi = strtoull(text, &end, 16);
	if (*end != '/' || end == text)
		return 0;
	text = end + 1;
	lo = strtoull(text, &end, 16);
	if (*end != '\0' || end == text || hi > 0xffffffffULL ||
	    lo > 0xffffffffULL)
		return 0;
	return ((uint64_t)hi << 32) | (uint64_t)lo;
}

double
core_session_lag_of(const uint64_t *lsn, const double *t_ms, int n,
    uint64_t replayed, double now_ms, double replay_age_s)
{
	double lag;
	int i;

	if (n == 0 || replayed >= lsn[n - 1])
		return 0;
	/* The first sample holding WAL past the replay position. */
	for (i = 0; i < n && lsn[i] <= replayed; i++)
		;
	lag = (now_ms - t_ms[i]) / 1000.0;
	if (lag < 0)
		lag = 0;
	/* Behind since before the first sample: the samples say too little. */
	if (i == 0 && replay_age_s > lag)
		lag = replay_age_s;
	return lag;
}

struct core_session *
core_session_new(const char *conninfo, const char *read_conninfo,
    const char *appname)
{
	struct core_session *s = ld_calloc(1, sizeof *s);

	s->conninfo = ld_strdup(conninfo != NULL ? conninfo : "");
	s->read_conninfo = ld_strdup(read_conninfo != NULL ? read_conninfo :
	    "");
	s->appname = ld_strdup(appname != NULL ? appname : "loandesk");
	s->check_ms = 2000;
	s->retry_ms = 5000;
	s->note_lag_s = 5;
	return s;
}

void
core_session_close(struct core_session *s)
{
	ld_db_close(&s->primary);
	ld_db_close(&s->replica);
	s->primary_was_up = 0;
	s->replica_was_up = 0;
}

void
core_session_free(struct core_session *s)
{
	if (s == NULL)
		return;
	core_session_close(s);
	free(s->conninfo);
	free(s->read_conninfo);
	free(s->appname);
	free(s);
}

void
core_session_set_timing(struct core_session *s, double check_ms,
    double retry_ms, double note_lag_s)
{
	if (check_ms > 0)
		s->check_ms = check_ms;
	if (retry_ms > 0)
		s->retry_ms = retry_ms;
	if (note_lag_s > 0)
		s->note_lag_s = note_lag_s;
}

void
core_session_set_interrupt(struct core_session *s,
    int (*fn)(void *arg, double waited_ms), void *arg, int slice_ms)
{
	s->interrupt = fn;
	s->interrupt_arg = arg;
	s->slice_ms = slice_ms;
	ld_db_set_interrupt(&s->primary, fn, arg, slice_ms);
	ld_db_set_interrupt(&s->replica, fn, arg, slice_ms);
}

static enum ld_status
set_timezone(struct ld_db *db, const char *zone, struct ld_err *err)
{
	const char *params[1] = { zone };

	return ld_db_exec(db, "SELECT set_config('TimeZone', $1, false)", 1,
	    params, NULL, err);
}

enum ld_status
core_session_connect(struct core_session *s, struct ld_err *err)
{
	enum ld_status st;

	core_session_close(s);
	st = ld_db_connect(&s->primary, s->conninfo, s->appname, err);
	if (st != LD_OK)
		return st;
	ld_db_set_interrupt(&s->primary, s->interrupt, s->interrupt_arg,
	    s->slice_ms);
	s->primary_was_up = 1;
	/* The replica is tried at the first read that wants it. */
	s->retry_at = 0;
	s->checked_at = 0;
	s->nlsn = 0;
	s->measured = 0;
	s->want = 0;
	s->primary_touched = s->notified = 0;
	return LD_OK;
}

int
core_session_connected(const struct core_session *s)
{
	return ld_db_connected(&s->primary);
}

int
core_session_lost(const struct core_session *s)
{
	return s->primary_was_up && !ld_db_connected(&s->primary);
}

enum ld_status
core_session_listen(struct core_session *s, const char *const *channels,
    int n, struct ld_err *err)
{
	return ld_db_listen(&s->primary, channels, n, err);
}

struct ld_db *
core_session_primary(struct core_session *s)
{
	s->primary_touched = 1;
	return &s->primary;
}

enum core_server
core_session_served(const struct core_session *s)
{
	return s->served;
}

static void
replica_down(struct core_session *s, const char *why)
{
	ld_db_close(&s->replica);
	s->replica_was_up = 0;
	snprintf(s->replica_error, sizeof s->replica_error, "%s", why);
	s->retry_at = core_now_ms() + s->retry_ms;
	s->measured = 0;
	s->nlsn = 0;
}

enum ld_status
core_session_use_timezone(struct core_session *s, const char *zone,
    struct ld_err *err)
{
	struct ld_err e;

	if ((size_t)snprintf(s->tz, sizeof s->tz, "%s", zone ? zone : "") >=
	    sizeof s->tz) {
		s->tz[0] = '\0';
		return ld_err_set(err, LD_EINVAL, "time zone \"%s\": too long",
		    zone);
	}
	if (!ld_db_connected(&s->replica) || s->tz[0] == '\0')
		return LD_OK;
	/* A replica that cannot is not used: lists read the primary. */
	ld_err_clear(&e);
	if (set_timezone(&s->replica, s->tz, &e) != LD_OK)
		replica_down(s, e.msg);
	return LD_OK;
}

/* Connects the replica when it is configured, down and due. */
static int
replica_ready(struct core_session *s)
{
	struct ld_err e;
	char app[96];

	if (s->read_conninfo[0] == '\0')
		return 0;
	if (ld_db_connected(&s->replica))
		return 1;
	if (s->replica_was_up) {
		s->replica_was_up = 0;
		replica_down(s, "connection lost");
	}
	if (core_now_ms() < s->retry_at)
		return 0;
	ld_err_clear(&e);
	snprintf(app, sizeof app, "%s (replica)", s->appname);
	if (ld_db_connect(&s->replica, s->read_conninfo, app, &e) != LD_OK ||
	    (s->tz[0] != '\0' && set_timezone(&s->replica, s->tz, &e) !=
	    LD_OK)) {
		replica_down(s, e.msg);
		return 0;
	}
	ld_db_set_interrupt(&s->replica, s->interrupt, s->interrupt_arg,
	    s->slice_ms);
	s->replica_was_up = 1;
	s->replica_error[0] = '\0';
	s->checked_at = 0;
	s->nlsn = 0;
	s->replayed = 0;
	return 1;
}

static void
sample_primary(struct core_session *s, uint64_t lsn, double t)
{
	int keep = 0, i;

	/* An unchanged position keeps the time it was first seen at. */
	if (s->nlsn > 0 && s->lsn[s->nlsn - 1] == lsn)
		return;
	if (s->nlsn == LAG_SAMPLES) {
		memmove(s->lsn, s->lsn + 1, (LAG_SAMPLES - 1) * sizeof *s->lsn);
		memmove(s->lsn_t, s->lsn_t + 1,
		    (LAG_SAMPLES - 1) * sizeof *s->lsn_t);
		s->nlsn--;
	}
	s->lsn[s->nlsn] = lsn;
	s->lsn_t[s->nlsn] = t;
	s->nlsn++;
	/* Only the newest sample at or before the replay position matters. */
	for (i = 0; i + 1 < s->nlsn && s->lsn[i + 1] <= s->replayed; i++)
		keep = i + 1;
	if (keep > 0) {
		memmove(s->lsn, s->lsn + keep,
		    (size_t)(s->nlsn - keep) * sizeof *s->lsn);
		memmove(s->lsn_t, s->lsn_t + keep,
		    (size_t)(s->nlsn - keep) * sizeof *s->lsn_t);
		s->nlsn -= keep;
	}
}

/* The primary's WAL position now; 0 when it cannot be read. */
static uint64_t
primary_lsn(struct core_session *s)
{
	PGresult *res;
	struct ld_err e;
	uint64_t v;

	ld_err_clear(&e);
	if (ld_db_exec(&s->primary, "SELECT pg_current_wal_lsn()::text", 0,
	    NULL, &res, &e) != LD_OK)
		return 0;
	v = core_session_lsn(core_val(res, 0, 0));
	PQclear(res);
	return v;
}

/*
 * Reads the replica's replay position (and, with lag, measures the lag
 * against the primary's position).  0, or -1 when the replica failed
 * (it is then down).
 */
static int
check_replica(struct core_session *s, int lag)
{
	PGresult *res;
	struct ld_err e;
	uint64_t now_lsn = 0;
	double now, age;

	if (lag && (now_lsn = primary_lsn(s)) != 0)
		sample_primary(s, now_lsn, core_now_ms());
	ld_err_clear(&e);
	if (ld_db_exec(&s->replica, "SELECT pg_is_in_recovery(),"
	    " pg_last_wal_replay_lsn()::text,"
	    " extract(epoch FROM now() - pg_last_xact_replay_timestamp())",
	    0, NULL, &res, &e) != LD_OK) {
		if (e.code == LD_ETIMEOUT)
			return 0;
		replica_down(s, e.msg);
		return -1;
	}
	now = core_now_ms();
	s->replica_standby = core_val(res, 0, 0)[0] == 't';
	s->replayed = core_session_lsn(core_val(res, 0, 1));
	age = core_val_null(res, 0, 2) ? -1 : strtod(core_val(res, 0, 2), NULL);
	PQclear(res);
	if (!s->replica_standby) {
		/* Not a standby: as current as a primary can be. */
		s->replayed = UINT64_MAX;
	}
	if (lag && now_lsn != 0) {
		s->lag_s = core_session_lag_of(s->lsn, s->lsn_t, s->nlsn,
		    s->replayed, now, age);
		s->measured = 1;
		s->checked_at = now;
	}
	return 0;
}

/* Where a list goes now; connects and checks the replica as needed. */
static struct ld_db *
route(struct core_session *s)
{
	if (!replica_ready(s))
		return &s->primary;
	if (s->primary_touched || s->notified) {
		uint64_t lsn = primary_lsn(s);

		s->primary_touched = s->notified = 0;
		if (lsn == 0)
			return &s->primary;
		if (lsn > s->want)
			s->want = lsn;
	}
	if (s->want > s->replayed && check_replica(s, 0) != 0)
		return &s->primary;
	if (s->want > s->replayed)
		return &s->primary;
	s->want = 0;
	return &s->replica;
}

/* Failures of the replica that the primary does not share. */
static int
replica_failure(const struct ld_db *db, enum ld_status st)
{
	/* 40001: cancelled by a conflict with recovery (a standby's own). */
	return st == LD_ENET || strcmp(db->sqlstate, "40001") == 0 ||
	    strcmp(db->sqlstate, "57P04") == 0;
}

static enum ld_status
read_on(struct core_session *s, const char *sql, const struct ld_sql *q,
    int nparams, const char *const *params, PGresult **res,
    struct ld_err *err)
{
	struct ld_db *db = route(s);
	enum ld_status st;

	for (;;) {
		st = q != NULL ? ld_db_exec_sql(db, q, res, err) :
		    ld_db_exec(db, sql, nparams, params, res, err);
		if (st != LD_OK && db == &s->replica &&
		    replica_failure(db, st)) {
			replica_down(s, err->msg);
			db = &s->primary;
			continue;
		}
		break;
	}
	s->served = db == &s->replica ? CORE_SERVER_REPLICA :
	    CORE_SERVER_PRIMARY;
	return st;
}

enum ld_status
core_session_read(struct core_session *s, const char *sql, int nparams,
    const char *const *params, PGresult **res, struct ld_err *err)
{
	return read_on(s, sql, NULL, nparams, params, res, err);
}

enum ld_status
core_session_read_sql(struct core_session *s, const struct ld_sql *q,
    PGresult **res, struct ld_err *err)
{
	return read_on(s, NULL, q, 0, NULL, res, err);
}

int
core_session_served_in_recovery(struct core_session *s, struct ld_err *err)
{
	struct ld_db *db = s->served == CORE_SERVER_REPLICA ? &s->replica :
	    &s->primary;
	PGresult *res;
	int v;

	if (s->served == CORE_SERVER_NONE) {
		ld_err_set(err, LD_EINVAL, "no read yet");
		return -1;
	}
	if (ld_db_exec(db, "SELECT pg_is_in_recovery()", 0, NULL, &res,
	    err) != LD_OK)
		return -1;
	v = core_val(res, 0, 0)[0] == 't';
	PQclear(res);
	return v;
}

enum ld_status
core_session_poll(struct core_session *s, int *n, struct ld_err *err)
{
	enum ld_status st;

	st = ld_db_notifications(&s->primary, n, NULL, NULL, err);
	if (*n > 0)
		s->notified = 1;
	if (st != LD_OK)
		return st;
	if (replica_ready(s) && (!s->measured ||
	    core_now_ms() - s->checked_at >= s->check_ms))
		(void)check_replica(s, 1);
	return LD_OK;
}

void
core_session_replica(const struct core_session *s,
    struct core_replica_state *out)
{
	memset(out, 0, sizeof *out);
	out->configured = s->read_conninfo[0] != '\0';
	out->up = ld_db_connected(&s->replica);
	out->measured = out->up && s->measured;
	out->lag_s = out->measured ? s->lag_s : 0;
	snprintf(out->error, sizeof out->error, "%s",
	    out->up ? "" : s->replica_error);
}

int
core_session_replica_note(const struct core_session *s, char *buf,
    size_t len)
{
	struct core_replica_state r;
	const char *where;

	core_session_replica(s, &r);
	buf[0] = '\0';
	if (!r.configured)
		return 0;
	if (!r.up) {
		if (r.error[0] == '\0')
			return 0;    /* not tried yet */
		snprintf(buf, len, "replica unreachable: reading from the "
		    "primary");
		return 1;
	}
	if (!r.measured || r.lag_s < s->note_lag_s)
		return 0;
	where = s->served == CORE_SERVER_PRIMARY ? "reading from the primary" :
	    "lists may be stale";
	if (r.lag_s < 120)
		snprintf(buf, len, "replica %.0f s behind: %s", r.lag_s,
		    where);
	else if (r.lag_s < 7200)
		snprintf(buf, len, "replica %.0f min behind: %s",
		    r.lag_s / 60, where);
	else
		snprintf(buf, len, "replica %.0f h behind: %s",
		    r.lag_s / 3600, where);
	return 1;
}
