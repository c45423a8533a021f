/*
 * Asynchronous execution with cancellation.  libpq's PQsendQueryParams plus
 * poll() on PQsocket lets the console keep reading the keyboard while the
 * server works, which is what makes Esc able to stop a slow filter.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core_query.h"

static int (*interrupt_fn)(void *, double);
static void *interrupt_arg;
static int interrupt_slice_ms = 25;

void
core_query_set_interrupt(int (*fn)(void *arg, double waited_ms), void *arg,
    int slice_ms)
{
	interrupt_fn = fn;
	interrupt_arg = arg;
	interrupt_slice_ms = slice_ms > 0 ? slice_ms : 25;
}

double
core_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

const char *
core_val(const PGresult *res, int row, int col)
{
	if (res == NULL || row >= PQntuples(res) || col >= PQnfields(res) ||
	    PQgetisnull(res, row, col))
		return "";
	return PQgetvalue(res, row, col);
}

int64_t
core_val_i64(const PGresult *res, int row, int col)
{
	const char *s = core_val(res, row, col);
	char *end;
	long long v;

	if (*s == '\0')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || (*end != '\0' && *end != '.'))
		return 0;
	return (int64_t)v;
}

int
core_val_null(const PGresult *res, int row, int col)
{
	return res == NULL || row >= PQntuples(res) || col >= PQnfields(res) ||
	    PQgetisnull(res, row, col);
}

/*
 * libpq's message for a broken connection, on one line.  The message
 * buffer can still hold an earlier statement's "ERROR:" lines (consuming
 * input does not clear it); they are not about the connection and go.
 */
static void
connection_message(PGconn *conn, char *out, size_t len)
{
	const char *m = conn != NULL ? PQerrorMessage(conn) : "not connected";
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
		snprintf(out, len, "%s", conn != NULL ?
		    "the server closed the connection" : "not connected");
}

static enum ld_status
conn_lost(struct ld_db *db, struct ld_err *err)
{
	char msg[512];

	connection_message(db->conn, msg, sizeof msg);
	snprintf(db->sqlstate, sizeof db->sqlstate, "08006");
	return ld_err_set(err, LD_ENET, "connection lost: %s", msg);
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

enum ld_status
core_query_exec(struct ld_db *db, const char *sql, int nparams,
    const char *const *params, PGresult **res, struct ld_err *err)
{
	PGresult *r, *keep = NULL;
	double started = core_now_ms();
	int cancelled = 0;
	enum ld_status st = LD_OK;

	if (res != NULL)
		*res = NULL;
	db->sqlstate[0] = '\0';
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return conn_lost(db, err);
	if (!PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL,
	    NULL, 0))
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
		rc = poll(&pfd, 1, interrupt_fn != NULL ?
		    interrupt_slice_ms : 1000);
		if (rc < 0 && errno != EINTR)
			return conn_lost(db, err);
		if (!cancelled && interrupt_fn != NULL &&
		    interrupt_fn(interrupt_arg, core_now_ms() - started)) {
			cancel_running(db);
			cancelled = 1;
		}
	}
	/* Drain every result so the connection is ready for the next one. */
	while ((r = PQgetResult(db->conn)) != NULL) {
		ExecStatusType es = PQresultStatus(r);

		if (st == LD_OK && es != PGRES_TUPLES_OK &&
		    es != PGRES_COMMAND_OK) {
			const char *state = PQresultErrorField(r,
			    PG_DIAG_SQLSTATE);
			const char *prim = PQresultErrorField(r,
			    PG_DIAG_MESSAGE_PRIMARY);
			const char *hint = PQresultErrorField(r,
			    PG_DIAG_MESSAGE_HINT);

			snprintf(db->sqlstate, sizeof db->sqlstate, "%s",
			    state ? state : "");
			if (state != NULL && strcmp(state, "57014") == 0 &&
			    cancelled)
				st = ld_err_set(err, LD_ETIMEOUT,
				    "cancelled");
			else if (hint != NULL)
				st = ld_err_set(err,
				    ld_db_status_for_sqlstate(state),
				    "%s (%s) [%s]",
				    prim ? prim : PQresultErrorMessage(r),
				    hint, state ? state : "?????");
			else
				st = ld_err_set(err,
				    ld_db_status_for_sqlstate(state), "%s [%s]",
				    prim ? prim : PQresultErrorMessage(r),
				    state ? state : "?????");
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
		if (PQstatus(db->conn) != CONNECTION_OK)
			return conn_lost(db, err);
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

enum ld_status
core_query_listen(struct ld_db *db, const char *const *channels, int n,
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
		snprintf(sql, sizeof sql, "LISTEN %s", ident);
		PQfreemem(ident);
		st = core_query_exec(db, sql, 0, NULL, NULL, err);
		if (st != LD_OK)
			return ld_err_prefix(err, "LISTEN %s: ", channels[i]);
	}
	return LD_OK;
}

enum ld_status
core_query_notifications(struct ld_db *db, int *n, struct ld_err *err)
{
	PGnotify *nt;

	*n = 0;
	if (db->conn == NULL || !PQconsumeInput(db->conn) ||
	    PQstatus(db->conn) != CONNECTION_OK)
		return conn_lost(db, err);
	while ((nt = PQnotifies(db->conn)) != NULL) {
		(*n)++;
		PQfreemem(nt);
	}
	return LD_OK;
}

int
core_query_connected(const struct ld_db *db)
{
	return db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK;
}

size_t
core_like_text(const char *typed, char *out, size_t len)
{
	size_t b = 0, e = strlen(typed), o = 0;

	while (typed[b] == ' ' || typed[b] == '\t')
		b++;
	while (e > b && (typed[e - 1] == ' ' || typed[e - 1] == '\t'))
		e--;
	for (; b < e && o + 3 < len; b++) {
		if (typed[b] == '%' || typed[b] == '_' || typed[b] == '\\')
			out[o++] = '\\';
		out[o++] = typed[b];
	}
	out[o] = '\0';
	return o;
}
