#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "core_locks.h"
#include "core_query.h"
#include "ld_db.h"

enum ld_status
core_application_decide(struct ld_db *db, int64_t app_id,
    enum core_decision d, const char *reason_code, const char *note,
    enum core_app_status *new_status, struct ld_err *err)
{
	char id[24];
	const char *params[4];
	PGresult *res;
	enum ld_status st;

	snprintf(id, sizeof id, "%" PRId64, app_id);
	params[0] = id;
	params[1] = core_decision_name(d);
	params[2] = reason_code;
	params[3] = note;
	/*
	 * Cancellable like the reads: a decision stuck behind another
	 * session's lock on the row can be abandoned with Esc.  Only a
	 * statement the server really cancelled (and so rolled back) comes
	 * back as "cancelled"; one that committed first reports success.
	 */
	st = ld_db_exec(db, "SELECT api.application_decide($1, $2, $3, "
	    "$4)", 4, params, &res, err);
	if (st == LD_ECONFLICT && strcmp(db->sqlstate, "55P03") == 0) {
		char what[40];

		snprintf(what, sizeof what, "application %s", id);
		return core_lock_timeout_explain(db, what, err);
	}
	if (st != LD_OK) {
		char named[40];

		/* The database's own messages mostly name the application
		 * already; say it once. */
		snprintf(named, sizeof named, "application %s ", id);
		if (err != NULL && strncmp(err->msg, named, strlen(named)) == 0)
			return st;
		return ld_err_prefix(err, "application %s: ", id);
	}
	if (new_status != NULL)
		*new_status = core_app_status_parse(PQgetvalue(res, 0, 0));
	PQclear(res);
	return LD_OK;
}
