/*
 * The one place that talks libpq.  Every statement is parameterised; errors
 * come back as enum ld_status with the server's message and SQLSTATE in the
 * error buffer, mapped in one place whichever way the statement went
 * (plain, prepared, cancellable, COPY, a migration script, LISTEN).
 * Callers read results (PQgetvalue and friends) and PQclear them; they
 * never send anything to the server themselves.
 */
#ifndef LD_DB_H
#define LD_DB_H

#include <stddef.h>

#include <libpq-fe.h>

#include "ld_err.h"

struct ld_sql;

/*
 * One connection.  A struct ld_db is owned by whoever declared it; the
 * fields are db/'s (conn and the rest are not for callers).
 */
struct ld_db {
	PGconn *conn;
	char sqlstate[6]; /* of the last failure, "" when none */
	/*
	 * The interrupt hook of this connection (ld_db_set_interrupt), asked
	 * between slices while a statement runs; NULL: statements block.
	 */
	int (*interrupt)(void *arg, double waited_ms);
	void *interrupt_arg;
	int interrupt_slice_ms;
	/* The statement set prepared in this server session, "" when none. */
	char prepared[64];
};

/*
 * Connects with conninfo; an empty or NULL conninfo means the PG*
 * environment variables, as with psql.  The session runs in UTC with
 * application_name set to appname.  Whatever db held (a connection, an
 * interrupt hook) is forgotten, not closed: close it first.
 */
enum ld_status ld_db_connect(struct ld_db *db, const char *conninfo,
    const char *appname, struct ld_err *err);
/* Closes the connection, if any; db can be connected again. */
void ld_db_close(struct ld_db *db);

/* Whether db holds a working connection. */
int ld_db_connected(const struct ld_db *db);

/* The connection's socket, for poll(); -1 when there is none. */
int ld_db_socket(const struct ld_db *db);

/*
 * Installs the hook asked every slice_ms while a statement of this
 * connection runs, with the milliseconds waited so far; it returns
 * non-zero to cancel, and the statement then fails with LD_ETIMEOUT and
 * the message "cancelled" (only if the server really cancelled it: one
 * that completed first succeeds).  fn NULL removes it; statements then
 * block.  Set it after ld_db_connect.
 */
void ld_db_set_interrupt(struct ld_db *db,
    int (*fn)(void *arg, double waited_ms), void *arg, int slice_ms);

/*
 * Runs sql with nparams text parameters (NULL entries are SQL NULL).  On
 * success *res (when res is not NULL) holds the result, which the caller
 * PQclears; on failure nothing is returned and err carries the message
 * ("primary: detail (hint) [SQLSTATE]").  SQLSTATEs map to statuses in
 * ld_db_status_for_sqlstate: LD_EPERM (42501), LD_ECONFLICT (integrity
 * 23xxx, serialization, lock, 55000 wrong state), LD_EINVAL (22023,
 * 22P02, 23514), LD_ENOTFOUND (P0002), LD_ETIMEOUT (57014), LD_EDB.  A
 * connection that is gone is LD_ENET, "connection lost: " and libpq's
 * words, with sqlstate 08006.
 */
enum ld_status ld_db_exec(struct ld_db *db, const char *sql, int nparams,
    const char *const *params, PGresult **res, struct ld_err *err);

/* Runs what an ld_sql builder holds (its own error, if it has one). */
enum ld_status ld_db_exec_sql(struct ld_db *db, const struct ld_sql *q,
    PGresult **res, struct ld_err *err);

/* Simple statements without parameters (BEGIN, COMMIT, SET ...). */
enum ld_status ld_db_cmd(struct ld_db *db, const char *sql,
    struct ld_err *err);

enum ld_status ld_db_begin(struct ld_db *db, struct ld_err *err);
enum ld_status ld_db_commit(struct ld_db *db, struct ld_err *err);
/* Rolls back if a transaction is open; never fails loudly. */
void ld_db_rollback(struct ld_db *db);

/*
 * A file of many statements (a migration) through the simple-query
 * protocol, as it is.  On failure *position (when not NULL) is the
 * 1-based character offset the server named in sql, or 0.
 */
enum ld_status ld_db_exec_script(struct ld_db *db, const char *sql,
    long *position, struct ld_err *err);

/* A named statement and its parameter count. */
struct ld_db_statement {
	const char *name;
	const char *sql;
	int nparams;
};

/*
 * Makes the n statements available to ld_db_exec_prepared under their
 * names.  set names this group of statements (including anything their
 * text depends on, such as a batch size): when the connection's server
 * session already holds that set, nothing is sent.  Otherwise whatever
 * the session held is deallocated, setup (when not NULL: a SET the plans
 * depend on) runs, and each statement is prepared.  A new connection,
 * and a server that lost them (26000), mean preparing again.
 */
enum ld_status ld_db_prepare(struct ld_db *db, const char *set,
    const char *setup, const struct ld_db_statement *stmts, size_t n,
    struct ld_err *err);

/* Runs a prepared statement; results and errors as ld_db_exec. */
enum ld_status ld_db_exec_prepared(struct ld_db *db, const char *name,
    int nparams, const char *const *params, PGresult **res,
    struct ld_err *err);

/*
 * LISTENs on each of the n channels (quoted as identifiers).  Errors as
 * ld_db_exec, naming the channel.
 */
enum ld_status ld_db_listen(struct ld_db *db, const char *const *channels,
    int n, struct ld_err *err);

/*
 * Reads what the server sent while the connection was idle and consumes
 * the notifications, counting them in *n and handing each to each (when
 * not NULL) with its channel and payload.  LD_ENET when the connection
 * is gone (the ones read before still count).
 */
enum ld_status ld_db_notifications(struct ld_db *db, int *n,
    void (*each)(void *arg, const char *channel, const char *payload),
    void *arg, struct ld_err *err);

/*
 * COPY ... FROM STDIN of len bytes of COPY text; the statement's own
 * errors as ld_db_exec.
 */
enum ld_status ld_db_copy_in(struct ld_db *db, const char *sql,
    const char *data, size_t len, struct ld_err *err);

/* Maps a SQLSTATE to a status (exported for tests). */
enum ld_status ld_db_status_for_sqlstate(const char *sqlstate);

#endif
