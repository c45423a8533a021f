#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core_operator.h"
#include "core_query.h"
#include "core_session.h"
#include "ld_db.h"

enum ld_status
core_operator_load(struct core_session *s, struct core_operator *op,
    struct ld_err *err)
{
	/* Who may do what is read to decide: from the primary. */
	struct ld_db *db = core_session_primary(s);
	static const struct {
		const char *name;
		unsigned bit;
	} roles[] = {
		{ "loandesk_risk", CORE_ROLE_RISK },
		{ "loandesk_finance", CORE_ROLE_FINANCE },
		{ "loandesk_oncall", CORE_ROLE_ONCALL },
		{ "loandesk_admin", CORE_ROLE_ADMIN },
	};
	PGresult *res;
	int i, ro = op->readonly;
	size_t k;
	enum ld_status st;

	memset(op, 0, sizeof *op);
	op->readonly = ro;
	/* Through pg_roles so a missing group role is just "not held". */
	st = ld_db_exec(db, "SELECT current_user, r.rolname FROM "
	    "pg_roles r WHERE r.rolname LIKE 'loandesk\\_%' AND "
	    "pg_has_role(current_user, r.oid, 'MEMBER') UNION ALL "
	    "SELECT current_user, NULL", 0, NULL, &res, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "reading the operator's roles: ");
	for (i = 0; i < PQntuples(res); i++) {
		const char *name = core_val(res, i, 1);

		snprintf(op->user, sizeof op->user, "%s", core_val(res, i, 0));
		for (k = 0; k < sizeof roles / sizeof roles[0]; k++)
			if (strcmp(name, roles[k].name) == 0)
				op->roles |= roles[k].bit;
	}
	PQclear(res);
	return LD_OK;
}

enum ld_status
core_operator_timezone(struct core_session *s, struct core_operator *op,
    const char *zone, struct ld_err *err)
{
	struct ld_db *db = core_session_primary(s);
	struct ld_err e;
	PGresult *res;
	const char *params[1] = { zone };
	enum ld_status st, set = LD_OK;

	if (zone != NULL && *zone != '\0') {
		ld_err_clear(&e);
		set = ld_db_exec(db, "SELECT set_config('TimeZone', $1, "
		    "false)", 1, params, NULL, &e);
		if (set != LD_OK)
			ld_err_set(err, set == LD_ENET ? LD_ENET : LD_EINVAL,
			    "time zone \"%s\": %s", zone, e.msg);
		if (set == LD_ENET)
			return LD_ENET;
	}
	/* A zone at UTC is labelled by name; others by their offset now. */
	st = ld_db_exec(db, "SELECT current_setting('TimeZone'), "
	    "CASE WHEN to_char(now(), 'OF') = '+00' AND "
	    "current_setting('TimeZone') ~* '^(etc/)?(utc|gmt|zulu|uct)' "
	    "THEN 'UTC' ELSE to_char(now(), 'OF') END", 0, NULL, &res,
	    set == LD_OK ? err : &e);
	if (st != LD_OK)
		return set == LD_OK ? ld_err_prefix(err, "time zone: ") : set;
	snprintf(op->tz, sizeof op->tz, "%s", core_val(res, 0, 0));
	snprintf(op->tz_label, sizeof op->tz_label, "%s",
	    core_val(res, 0, 1));
	PQclear(res);
	/* Lists read from the replica show times in the same zone. */
	st = core_session_use_timezone(s, op->tz, set == LD_OK ? err : &e);
	if (st != LD_OK && set == LD_OK)
		return st;
	return set;
}

int
core_operator_may(const struct core_operator *op, enum core_perm perm)
{
	switch (perm) {
	case CORE_PERM_NONE:
		return 1;
	case CORE_PERM_DECIDE:
	case CORE_PERM_REVIEW:
		return !op->readonly &&
		    (op->roles & (CORE_ROLE_RISK | CORE_ROLE_ADMIN)) != 0;
	}
	return 0;
}

void
core_operator_roles_text(const struct core_operator *op, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s%s%s%s",
	    op->roles & CORE_ROLE_RISK ? ",risk" : "",
	    op->roles & CORE_ROLE_FINANCE ? ",finance" : "",
	    op->roles & CORE_ROLE_ONCALL ? ",oncall" : "",
	    op->roles & CORE_ROLE_ADMIN ? ",admin" : "");
	if (buf[0] == ',')
		memmove(buf, buf + 1, strlen(buf));
	else
		snprintf(buf, len, "none");
}
