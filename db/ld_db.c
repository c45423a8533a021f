#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ld_db.h"

static void
quiet_notice(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

enum ld_status
ld_db_connect(struct ld_db *db, const char *conninfo, const char *appname,
    struct ld_err *err)
{
	const char *keys[] = { "dbname", "application_name",
		"client_encoding", NULL };
	const char *vals[] = { conninfo ? conninfo : "", appname, "UTF8",
		NULL };
	PGresult *res;

	memset(db, 0, sizeof *db);
	/* expand_dbname lets conninfo be a full string or a URI. */
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL)
		return ld_err_set(err, LD_ENOMEM, "cannot allocate a connection");
	if (PQstatus(db->conn) != CONNECTION_OK) {
		char msg[LD_ERR_MSG_MAX];
		size_t n;

		snprintf(msg, sizeof msg, "%s", PQerrorMessage(db->conn));
		n = strlen(msg);
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		PQfinish(db->conn);
		db->conn = NULL;
		return ld_err_set(err, LD_EDB, "connecting to the database: %s",
		    msg);
	}
	PQsetNoticeReceiver(db->conn, quiet_notice, NULL);
	res = PQexec(db->conn, "SET TIME ZONE 'UTC'");
	PQclear(res);
	return LD_OK;
}

void
ld_db_close(struct ld_db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
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

static enum ld_status
fail_from_result(struct ld_db *db, PGresult *res, struct ld_err *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) :
	    NULL;
	const char *primary = res ?
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ?
	    PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	enum ld_status st;

	snprintf(db->sqlstate, sizeof db->sqlstate, "%s",
	    state ? state : (PQstatus(db->conn) == CONNECTION_BAD ? "08006" :
	    ""));
	st = ld_db_status_for_sqlstate(db->sqlstate);
	if (primary == NULL) {
		char msg[LD_ERR_MSG_MAX];
		size_t n;

		snprintf(msg, sizeof msg, "%s", PQerrorMessage(db->conn));
		n = strlen(msg);
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		ld_err_set(err, st, "%s", msg);
	} else {
		ld_err_set(err, st, "%s%s%s [%s]", primary,
		    detail ? ": " : "", detail ? detail : "", db->sqlstate);
	}
	PQclear(res);
	return st;
}

enum ld_status
ld_db_exec(struct ld_db *db, const char *sql, int nparams,
    const char *const *params, PGresult **res, struct ld_err *err)
{
	PGresult *r;
	ExecStatusType es;

	if (res != NULL)
		*res = NULL;
	if (db->conn == NULL)
		return ld_err_set(err, LD_ENET, "not connected to the database");
	r = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	es = PQresultStatus(r);
	if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK)
		return fail_from_result(db, r, err);
	db->sqlstate[0] = '\0';
	if (res != NULL)
		*res = r;
	else
		PQclear(r);
	return LD_OK;
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
	PGresult *r;

	if (db->conn == NULL ||
	    PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return;
	r = PQexec(db->conn, "ROLLBACK");
	PQclear(r);
}
