/*
 * Everything loandesk sends to PostgreSQL goes through here.  A statement
 * runs blocking (PQexecParams) unless its connection has an interrupt
 * hook; then it is sent asynchronously and the socket is polled in short
 * slices, asking the hook between them, which is what lets the console
 * keep reading the keyboard and Esc stop a slow query.  Every failure,
 * whichever way the statement went, is turned into an ld_err by fail().
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ld_db.h"
#include "ld_sql.h"

static void
quiet_notice(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/*
 * libpq's message for a broken connection, on one line.  The message
 * buffer can still hold an earlier statement's "ERROR:" lines (consuming
 * input does not clear it); they are not about the connection and go.
 */
static void
connection_message(PGconn *conn, char *out, size_t len)
{
	const char *m = conn != NULL ? PQerrorMessage(conn) : "";
	size_t o = 0;

	if (len == 0)
		return;
	while (*m != '\0') {
		size_t n = strcspn(m, "\n");
		const char *line = m;

		m += n;
		if (*m == '\n')
			m++;
		while (n > 0 && (*line == ' ' || *line == '\t')) {
			line++;
			n--;
		}
		if (n == 0 || strncmp(line, "ERROR:", 6) == 0)
			continue;
		if (o > 0 && o + 1 < len)
			out[o++] = ' ';
		while (n > 0 && o + 1 < len) {
			out[o++] = *line++;
			n--;
		}
	}
	out[o] = '\0';
	if (o == 0)
		snprintf(out, len, "the server closed the connection");
}

static enum ld_status
conn_lost(struct ld_db *db, struct ld_err *err)
{
	char msg[512];

	snprintf(db->sqlstate, sizeof db->sqlstate, "08006");
	if (db->conn == NULL)
		return ld_err_set(err, LD_ENET,
		    "not connected to the database");
	connection_message(db->conn, msg, sizeof msg);
	return ld_err_set(err, LD_ENET, "connection lost: %s", msg);
}

/* A message on one line, without libpq's trailing newline. */
static void
one_line(const char *m, char *out, size_t len)
{
	size_t n;

	snprintf(out, len, "%s", m != NULL ? m : "");
	for (n = 0; out[n] != '\0'; n++)
		if (out[n] == '\n')
			out[n] = ' ';
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
}

/*
 * The one mapping of a failed statement to a status and a message:
 * "primary: detail (hint) [SQLSTATE]".  A connection that is gone is
 * LD_ENET whatever the result says; a statement the hook cancelled is
 * LD_ETIMEOUT "cancelled".  Takes r (and PQclears it).
 */
static enum ld_status
fail(struct ld_db *db, PGresult *r, int cancelled, struct ld_err *err)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = r ?
	    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = r ?
	    PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) :
	    NULL;
	enum ld_status st;
	char msg[LD_ERR_MSG_MAX];

	if (!ld_db_connected(db)) {
		PQclear(r);
		return conn_lost(db, err);
	}
	snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
	/* A session that lost its prepared statements prepares them again. */
	if (strcmp(db->sqlstate, "26000") == 0)
		db->prepared[0] = '\0';
	if (cancelled && strcmp(db->sqlstate, "57014") == 0) {
		PQclear(r);
		return ld_err_set(err, LD_ETIMEOUT, "cancelled");
	}
	st = ld_db_status_for_sqlstate(state);
	if (primary != NULL)
		ld_err_set(err, st, "%s%s%s%s%s%s [%s]", primary,
		    detail ? ": " : "", detail ? detail : "",
		    hint ? " (" : "", hint ? hint : "", hint ? ")" : "",
		    db->sqlstate);
	else {
		one_line(r ? PQresultErrorMessage(r) : NULL, msg, sizeof msg);
		if (msg[0] == '\0')
			one_line(PQerrorMessage(db->conn), msg, sizeof msg);
		ld_err_set(err, st, "%s", msg[0] ? msg :
		    "the statement failed");
	}
	PQclear(r);
	return st;
}

/* Keeps r when it is a success, else maps it. */
static enum ld_status
take(struct ld_db *db, PGresult *r, PGresult **res, struct ld_err *err)
{
	ExecStatusType es = PQresultStatus(r);

	if (r == NULL || (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK))
		return fail(db, r, 0, err);
	if (res != NULL)
		*res = r;
	else
		PQclear(r);
	return LD_OK;
}

static void
cancel_running(struct ld_db *db)
{
	PGcancel *c = PQgetCancel(db->conn);
	char buf[256];

	if (c != NULL) {
		(void)PQcancel(c, buf, sizeof buf);
		PQfreeCancel(c);
	}
}

/*
 * Sends the statement (text sql, or the prepared one named stmt) and
 * waits for it on the socket, asking the hook every slice.
 */
static enum ld_status
run_async(struct ld_db *db, const char *sql, const char *stmt, int nparams,
    const char *const *params, PGresult **res, struct ld_err *err)
{
	PGresult *r, *keep = NULL;
	double started = now_ms();
	int cancelled = 0, sent;
	enum ld_status st = LD_OK;

	sent = stmt != NULL ?
	    PQsendQueryPrepared(db->conn, stmt, nparams, params, NULL, NULL,
	    0) :
	    PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL,
	    NULL, 0);
	if (!sent)
		return conn_lost(db, err);
	for (;;) {
		struct pollfd pfd;
		int rc;

		if (!PQconsumeInput(db->conn))
			return conn_lost(db, err);
		if (!PQisBusy(db->conn))
			break;
		pfd.fd = PQsocket(db->conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, db->interrupt_slice_ms);
		if (rc < 0 && errno != EINTR)
			return conn_lost(db, err);
		if (!cancelled && db->interrupt != NULL &&
		    db->interrupt(db->interrupt_arg, now_ms() - started)) {
			cancel_running(db);
			cancelled = 1;
		}
	}
	/* Drain every result so the connection is ready for the next one. */
	while ((r = PQgetResult(db->conn)) != NULL) {
		ExecStatusType es = PQresultStatus(r);

		if (es != PGRES_TUPLES_OK && es != PGRES_COMMAND_OK) {
			if (st == LD_OK)
				st = fail(db, r, cancelled, err);
			else
				PQclear(r);
			continue;
		}
		if (keep == NULL && st == LD_OK)
			keep = r;
		else
			PQclear(r);
	}
	if (st != LD_OK) {
		PQclear(keep);
		return st;
	}
	if (keep == NULL)
		return conn_lost(db, err);
	if (res != NULL)
		*res = keep;
	else
		PQclear(keep);
	return LD_OK;
}

static enum ld_status
run(struct ld_db *db, const char *sql, const char *stmt, int nparams,
    const char *const *params, PGresult **res, struct ld_err *err)
{
	PGresult *r;

	if (res != NULL)
		*res = NULL;
	db->sqlstate[0] = '\0';
	if (db->conn == NULL)
		return conn_lost(db, err);
	if (db->interrupt != NULL) {
		if (PQstatus(db->conn) != CONNECTION_OK)
			return conn_lost(db, err);
		return run_async(db, sql, stmt, nparams, params, res, err);
	}
	r = stmt != NULL ?
	    PQexecPrepared(db->conn, stmt, nparams, params, NULL, NULL, 0) :
	    PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	return take(db, r, res, err);
}

enum ld_status
ld_db_connect(struct ld_db *db, const char *conninfo, const char *appname,
    struct ld_err *err)
{
	const char *keys[] = { "dbname", "application_name",
		"client_encoding", NULL };
	const char *vals[] = { conninfo ? conninfo : "", appname, "UTF8",
		NULL };
	struct ld_err ignored;

	memset(db, 0, sizeof *db);
	/* expand_dbname lets conninfo be a full string or a URI. */
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL)
		return ld_err_set(err, LD_ENOMEM,
		    "cannot allocate a connection");
	if (PQstatus(db->conn) != CONNECTION_OK) {
		char msg[LD_ERR_MSG_MAX];

		one_line(PQerrorMessage(db->conn), msg, sizeof msg);
		PQfinish(db->conn);
		db->conn = NULL;
		return ld_err_set(err, LD_EDB, "connecting to the database: %s",
		    msg);
	}
	PQsetNoticeReceiver(db->conn, quiet_notice, NULL);
	(void)run(db, "SET TIME ZONE 'UTC'", NULL, 0, NULL, NULL, &ignored);
	db->sqlstate[0] = '\0';
	return LD_OK;
}

void
ld_db_close(struct ld_db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->prepared[0] = '\0';
}

int
ld_db_connected(const struct ld_db *db)
{
	return db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK;
}

int
ld_db_socket(const struct ld_db *db)
{
	return db->conn != NULL ? PQsocket(db->conn) : -1;
}

void
ld_db_set_interrupt(struct ld_db *db, int (*fn)(void *arg, double waited_ms),
    void *arg, int slice_ms)
{
	db->interrupt = fn;
	db->interrupt_arg = arg;
	db->interrupt_slice_ms = slice_ms > 0 ? slice_ms : 25;
}

enum ld_status
ld_db_status_for_sqlstate(const char *s)
{
	if (s == NULL)
		return LD_EDB;
	if (strcmp(s, "42501") == 0)
		return LD_EPERM;
	/* A CHECK constraint refuses a value: bad input, not a conflict. */
	if (strcmp(s, "23514") == 0)
		return LD_EINVAL;
	if (strncmp(s, "23", 2) == 0 || strcmp(s, "40001") == 0 ||
	    strcmp(s, "40P01") == 0 || strcmp(s, "55P03") == 0 ||
	    strcmp(s, "55000") == 0)
		return LD_ECONFLICT;
	if (strcmp(s, "22023") == 0 || strcmp(s, "22P02") == 0)
		return LD_EINVAL;
	if (strcmp(s, "P0002") == 0)
		return LD_ENOTFOUND;
	if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0)
		return LD_ENET;
	if (strcmp(s, "57014") == 0)
		return LD_ETIMEOUT;
	return LD_EDB;
}

enum ld_status
ld_db_exec(struct ld_db *db, const char *sql, int nparams,
    const char *const *params, PGresult **res, struct ld_err *err)
{
	return run(db, sql, NULL, nparams, params, res, err);
}

enum ld_status
ld_db_exec_sql(struct ld_db *db, const struct ld_sql *q, PGresult **res,
    struct ld_err *err)
{
	enum ld_status st;

	if (res != NULL)
		*res = NULL;
	if ((st = ld_sql_check(q, err)) != LD_OK)
		return st;
	return run(db, ld_sql_text(q), NULL, ld_sql_nparams(q),
	    ld_sql_params(q), res, err);
}

enum ld_status
ld_db_cmd(struct ld_db *db, const char *sql, struct ld_err *err)
{
	return ld_db_exec(db, sql, 0, NULL, NULL, err);
}

enum ld_status
ld_db_begin(struct ld_db *db, struct ld_err *err)
{
	return ld_db_cmd(db, "BEGIN", err);
}

enum ld_status
ld_db_commit(struct ld_db *db, struct ld_err *err)
{
	return ld_db_cmd(db, "COMMIT", err);
}

void
ld_db_rollback(struct ld_db *db)
{
	struct ld_err ignored;

	if (db->conn == NULL ||
	    PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return;
	(void)run(db, "ROLLBACK", NULL, 0, NULL, NULL, &ignored);
}

enum ld_status
ld_db_exec_script(struct ld_db *db, const char *sql, long *position,
    struct ld_err *err)
{
	PGresult *r;
	ExecStatusType es;
	const char *pos;

	if (position != NULL)
		*position = 0;
	db->sqlstate[0] = '\0';
	if (db->conn == NULL)
		return conn_lost(db, err);
	r = PQexec(db->conn, sql);
	es = PQresultStatus(r);
	if (r != NULL && (es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK ||
	    es == PGRES_EMPTY_QUERY)) {
		PQclear(r);
		return LD_OK;
	}
	pos = r != NULL ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) :
	    NULL;
	if (pos != NULL && position != NULL)
		*position = strtol(pos, NULL, 10);
	return fail(db, r, 0, err);
}

enum ld_status
ld_db_prepare(struct ld_db *db, const char *set, const char *setup,
    const struct ld_db_statement *stmts, size_t n, struct ld_err *err)
{
	struct ld_err ignored;
	PGresult *r;
	size_t i;

	if (!ld_db_connected(db))
		return conn_lost(db, err);
	if (set[0] != '\0' && strcmp(db->prepared, set) == 0)
		return LD_OK;
	db->prepared[0] = '\0';
	/* Whatever a reused connection held is gone before we prepare. */
	(void)run(db, "DEALLOCATE ALL", NULL, 0, NULL, NULL, &ignored);
	if (setup != NULL)
		(void)run(db, setup, NULL, 0, NULL, NULL, &ignored);
	for (i = 0; i < n; i++) {
		r = PQprepare(db->conn, stmts[i].name, stmts[i].sql,
		    stmts[i].nparams, NULL);
		if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
			fail(db, r, 0, err);
			return ld_err_prefix(err, "preparing %s: ",
			    stmts[i].name);
		}
		PQclear(r);
	}
	db->sqlstate[0] = '\0';
	if (strlen(set) >= sizeof db->prepared)
		return LD_OK; /* too long to remember: prepared every time */
	snprintf(db->prepared, sizeof db->prepared, "%s", set);
	return LD_OK;
}

enum ld_status
ld_db_exec_prepared(struct ld_db *db, const char *name, int nparams,
    const char *const *params, PGresult **res, struct ld_err *err)
{
	return run(db, NULL, name, nparams, params, res, err);
}

enum ld_status
ld_db_listen(struct ld_db *db, const char *const *channels, int n,
    struct ld_err *err)
{
	char sql[160];
	char *ident;
	enum ld_status st;
	int i;

	for (i = 0; i < n; i++) {
		if (db->conn == NULL)
			return conn_lost(db, err);
		/* LISTEN takes no parameters: the name is quoted instead. */
		ident = PQescapeIdentifier(db->conn, channels[i],
		    strlen(channels[i]));
		if (ident == NULL)
			return ld_err_set(err, LD_EINVAL, "LISTEN %s: %s",
			    channels[i], PQerrorMessage(db->conn));
		if ((size_t)snprintf(sql, sizeof sql, "LISTEN %s", ident) >=
		    sizeof sql) {
			PQfreemem(ident);
			return ld_err_set(err, LD_EINVAL, "LISTEN %s: the "
			    "channel's name is too long", channels[i]);
		}
		PQfreemem(ident);
		st = run(db, sql, NULL, 0, NULL, NULL, err);
		if (st != LD_OK)
			return ld_err_prefix(err, "LISTEN %s: ", channels[i]);
	}
	return LD_OK;
}

enum ld_status
ld_db_notifications(struct ld_db *db, int *n,
    void (*each)(void *arg, const char *channel, const char *payload),
    void *arg, struct ld_err *err)
{
	PGnotify *nt;
	int read_ok;

	*n = 0;
	if (db->conn == NULL)
		return conn_lost(db, err);
	read_ok = PQconsumeInput(db->conn);
	/* What libpq holds already counts, even when the read failed. */
	while ((nt = PQnotifies(db->conn)) != NULL) {
		(*n)++;
		if (each != NULL)
			each(arg, nt->relname, nt->extra);
		PQfreemem(nt);
	}
	if (!read_ok || PQstatus(db->conn) != CONNECTION_OK)
		return conn_lost(db, err);
	return LD_OK;
}

enum ld_status
ld_db_copy_in(struct ld_db *db, const char *sql, const char *data,
    size_t len, struct ld_err *err)
{
	PGresult *r;
	size_t off = 0;
	int ok = 1;
	enum ld_status st;

	db->sqlstate[0] = '\0';
	if (db->conn == NULL)
		return conn_lost(db, err);
	r = PQexec(db->conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		if (r != NULL && PQresultStatus(r) != PGRES_FATAL_ERROR) {
			PQclear(r);
			return ld_err_set(err, LD_EDB, "%s: not a COPY FROM "
			    "STDIN", sql);
		}
		fail(db, r, 0, err);
		return ld_err_prefix(err, "COPY: ");
	}
	PQclear(r);
	while (off < len && ok) {
		size_t k = len - off > 1 << 20 ? 1 << 20 : len - off;

		ok = PQputCopyData(db->conn, data + off, (int)k) == 1;
		off += k;
	}
	if (PQputCopyEnd(db->conn, ok ? NULL : "client failed") != 1 || !ok) {
		(void)conn_lost(db, err);
		return ld_err_prefix(err, "COPY: ");
	}
	/* The COPY's own result, then nothing: drained either way. */
	st = take(db, PQgetResult(db->conn), NULL, err);
	while ((r = PQgetResult(db->conn)) != NULL)
		PQclear(r);
	if (st != LD_OK)
		return ld_err_prefix(err, "COPY: ");
	return LD_OK;
}
