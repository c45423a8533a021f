/*
 * The one place that talks libpq.  Every statement is parameterised; errors
 * come back as enum ld_status with the server's message and SQLSTATE in the
 * error buffer.  Results are copied out by the query modules before PQclear.
 */
#ifndef LD_DB_H
#define LD_DB_H

#include <libpq-fe.h>

#include "ld_err.h"

struct ld_db {
	PGconn *conn;
	char sqlstate[6]; /* of the last failure, "" when none */
};

/*
 * Connects with conninfo; an empty or NULL conninfo means the PG*
 * environment variables, as with psql.  The session runs in UTC with
 * application_name set to appname.
 */
enum ld_status ld_db_connect(struct ld_db *db, const char *conninfo,
    const char *appname, struct ld_err *err);
void ld_db_close(struct ld_db *db);

/*
 * Runs sql with nparams text parameters (NULL entries are SQL NULL).  On
 * success *res (when res is not NULL) holds the result, which the caller
 * PQclears; on failure nothing is returned and err carries the message.
 * SQLSTATEs map to statuses in ld_db_status_for_sqlstate: LD_EPERM (42501),
 * LD_ECONFLICT (integrity 23xxx, serialization, lock, 55000 wrong state),
 * LD_EINVAL (22023, 22P02), LD_ENOTFOUND (P0002), LD_ENET (08xxx) or LD_EDB.
 */
enum ld_status ld_db_exec(struct ld_db *db, const char *sql, int nparams,
    const char *const *params, PGresult **res, struct ld_err *err);

/* Simple statements without parameters (BEGIN, COMMIT, SET ...). */
enum ld_status ld_db_cmd(struct ld_db *db, const char *sql,
    struct ld_err *err);

enum ld_status ld_db_begin(struct ld_db *db, struct ld_err *err);
enum ld_status ld_db_commit(struct ld_db *db, struct ld_err *err);
/* Rolls back if a transaction is open; never fails loudly. */
void ld_db_rollback(struct ld_db *db);

/* Maps a SQLSTATE to a status (exported for tests). */
enum ld_status ld_db_status_for_sqlstate(const char *sqlstate);

#endif
