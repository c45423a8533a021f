/*
 * The console's way to the database: one operator's connection to the
 * primary and, when [database] read_conninfo names one, to a streaming
 * replica; reconnection, cancellation, LISTEN and notifications.
 *
 * Where a statement goes is decided here and in core, never by a screen:
 *
 *   - The read models of lists, dashboards and the audit view (core_apps,
 *     core_reviews' queue, core_audit_view) take the session and read
 *     through core_session_read(): from the replica while it is reachable,
 *     else from the primary.  A replica that fails (gone, or a query
 *     cancelled by a conflict with its recovery) is dropped for the
 *     primary on the spot, the same query run again there, and tried again
 *     every few seconds; the lists come back to it by themselves.
 *   - Everything that writes or decides, and everything read to decide
 *     (the case, the reason codes, the operator's roles), takes the
 *     primary's handle from core_session_primary().
 *   - What the operator did on the primary, and what a notification says
 *     changed, is not lost to replication delay: after either, the next
 *     list reads the replica only once it has replayed the primary's WAL
 *     position of that moment, else the primary.  Lists are otherwise as
 *     fresh as the replica, whose delay core_session_replica_note() puts
 *     into words once it is over a few seconds.
 *
 * A session is used by one thread.  It owns its connections.
 */
#ifndef LD_CORE_SESSION_H
#define LD_CORE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "ld_err.h"

struct core_session;
struct ld_db;
struct ld_sql;
/* libpq's result; read with core_val() (core_query.h). */
typedef struct pg_result PGresult;

/* Which server answered a read. */
enum core_server {
	CORE_SERVER_NONE,
	CORE_SERVER_PRIMARY,
	CORE_SERVER_REPLICA
};

/*
 * A session for conninfo (the primary; "" or NULL: the PG* variables) and
 * read_conninfo (a replica; "" or NULL: none), naming itself appname.
 * Nothing is connected yet.
 */
struct core_session *core_session_new(const char *conninfo,
    const char *read_conninfo, const char *appname);
/* Closes its connections and frees it; accepts NULL. */
void core_session_free(struct core_session *s);

/*
 * Connects to the primary, closing any connection it held; the replica
 * is connected when a read first needs it.  LISTEN again after this.
 */
enum ld_status core_session_connect(struct core_session *s,
    struct ld_err *err);
/* Closes both connections. */
void core_session_close(struct core_session *s);

/* Whether the primary's connection works. */
int core_session_connected(const struct core_session *s);
/* Whether there was a connection to the primary and it broke. */
int core_session_lost(const struct core_session *s);

/*
 * The hook asked every slice_ms while any statement of the session runs,
 * as ld_db_set_interrupt: non-zero cancels it (LD_ETIMEOUT "cancelled").
 */
void core_session_set_interrupt(struct core_session *s,
    int (*fn)(void *arg, double waited_ms), void *arg, int slice_ms);

/* LISTENs on the primary (a replica delivers no notifications). */
enum ld_status core_session_listen(struct core_session *s,
    const char *const *channels, int n, struct ld_err *err);

/*
 * Between keys: counts and consumes the notifications that arrived (in
 * *n), and looks after the replica: connects it again when it is due,
 * and measures how far behind it is, at most every couple of seconds.
 * Fails only for the primary (LD_ENET when its connection is gone).
 */
enum ld_status core_session_poll(struct core_session *s, int *n,
    struct ld_err *err);

/*
 * The primary, for use cases that write, decide or read to decide.  The
 * session takes the call as a sign the operator may have changed
 * something: the next list waits for the replica to catch up or reads
 * the primary.  NULL only before the first core_session_connect.
 */
struct ld_db *core_session_primary(struct core_session *s);

/*
 * A read of a list, a dashboard or the audit view: on the replica when
 * it can serve, else on the primary (see above).  Results and errors as
 * ld_db_exec.
 */
enum ld_status core_session_read(struct core_session *s, const char *sql,
    int nparams, const char *const *params, PGresult **res,
    struct ld_err *err);
/* The same for a statement built with ld_sql. */
enum ld_status core_session_read_sql(struct core_session *s,
    const struct ld_sql *q, PGresult **res, struct ld_err *err);

/* Which server answered the last core_session_read. */
enum core_server core_session_served(const struct core_session *s);

/*
 * Asks the server that answered the last read whether it is in recovery
 * (a standby): 1 yes, 0 no, -1 on error (err says why).
 */
int core_session_served_in_recovery(struct core_session *s,
    struct ld_err *err);

/* The replica as the session last saw it. */
struct core_replica_state {
	int configured;      /* read_conninfo names one */
	int up;              /* connected */
	int measured;        /* lag_s is from a measurement */
	double lag_s;        /* how long it has been behind; 0 caught up */
	char error[256];     /* why it is not up, when it is not */
};
void core_session_replica(const struct core_session *s,
    struct core_replica_state *out);

/*
 * What the console should say about the replica, or "" (returns 0) when
 * nothing: "replica unreachable: reading from the primary", "replica
 * 12 s behind: lists may be stale" (once the lag passes the threshold;
 * "reading from the primary" when the last list came from there).
 */
int core_session_replica_note(const struct core_session *s, char *buf,
    size_t len);

/*
 * The session's timing: how often poll measures the replica's lag
 * (check_ms, 2000), how soon a lost replica is tried again (retry_ms,
 * 5000), and the lag worth saying (note_lag_s, 5).  Zero keeps one.
 */
void core_session_set_timing(struct core_session *s, double check_ms,
    double retry_ms, double note_lag_s);

/*
 * Uses TimeZone zone (as the server spelled it) on every connection of
 * the session, now and after reconnecting, so times read from the
 * replica read as those from the primary (core_operator_timezone).
 */
enum ld_status core_session_use_timezone(struct core_session *s,
    const char *zone, struct ld_err *err);

/*
 * Lag from samples (exported for tests): the primary's WAL position at
 * times t_ms[0..n) (oldest first) and the position the replica has
 * replayed, at now_ms.  The seconds since the primary first held WAL the
 * replica has not replayed, as the samples bound it; 0 when it has
 * replayed the newest.  When even the oldest sample is past the replay
 * position, replay_age_s (the age of the last transaction replayed, or a
 * negative number when unknown) is the better bound if larger.
 */
double core_session_lag_of(const uint64_t *lsn, const double *t_ms, int n,
    uint64_t replayed, double now_ms, double replay_age_s);

/* A WAL position "16/B374D848" as a number; 0 when it is not one. */
uint64_t core_session_lsn(const char *text);

/* Milliseconds on a monotonic clock, for retries and timing logs. */
double core_now_ms(void);

#endif
