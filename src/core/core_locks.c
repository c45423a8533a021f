#include "config.h"

#include <string.h>

#include "core_locks.h"
#include "ld_db.h"

enum ld_status
core_lock_timeout_explain(struct ld_db *db, const char *what,
    struct ld_err *err)
{
	char state[sizeof db->sqlstate];
	struct ld_err qerr;
	PGresult *res = NULL;
	const char *holders = NULL;

	if (err == NULL || strcmp(db->sqlstate, "55P03") != 0)
		return err != NULL ? err->code : LD_OK;
	/* The lookup's own outcome must not replace the one reported. */
	memcpy(state, db->sqlstate, sizeof state);
	ld_err_clear(&qerr);
	if (ld_db_exec(db, "SELECT audit_head_holders()", 0, NULL, &res,
	    &qerr) == LD_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		holders = PQgetvalue(res, 0, 0);
	if (holders != NULL)
		ld_err_set(err, LD_ECONFLICT, "%s: gave up waiting for the "
		    "audit log, which another transaction holds: %s; try again "
		    "(the server ends a transaction left idle) [55P03]", what,
		    holders);
	else
		ld_err_set(err, LD_ECONFLICT, "%s: gave up waiting for a lock "
		    "another transaction holds on it (a decision or review of "
		    "the same case in progress); try again [55P03]", what);
	PQclear(res);
	memcpy(db->sqlstate, state, sizeof state);
	return err->code;
}
