/*
 * Who the console is connected as and what their group roles let them do.
 * The database enforces every rule again; this only decides which actions
 * the console offers and lists in its help.
 */
#ifndef LD_CORE_OPERATOR_H
#define LD_CORE_OPERATOR_H

#include "ld_err.h"

struct core_session;

enum {
	CORE_ROLE_RISK = 1u << 0,
	CORE_ROLE_FINANCE = 1u << 1,
	CORE_ROLE_ONCALL = 1u << 2,
	CORE_ROLE_ADMIN = 1u << 3
};

/* What an action needs. */
enum core_perm {
	CORE_PERM_NONE,    /* anyone who can log in */
	CORE_PERM_DECIDE,  /* approve, reject, send to review */
	CORE_PERM_REVIEW   /* claim, assign, release reviews */
};

struct core_operator {
	char user[64];
	unsigned roles;
	int readonly;      /* --readonly: offer nothing that writes */
	char tz[64];       /* the session's TimeZone: times are shown in it */
	char tz_label[16]; /* "UTC", "+08", "+05:30": next to every time */
};

/*
 * Reads current_user and its membership of the loandesk_* group roles
 * (roles that do not exist count as not held).
 */
enum ld_status core_operator_load(struct core_session *s,
    struct core_operator *op, struct ld_err *err);

/*
 * Sets the session's TimeZone to zone (a name the server knows, such as
 * "Asia/Shanghai"; NULL or "" keeps the session's, UTC) and reads it back
 * into op->tz and op->tz_label; the session's replica, when it has one,
 * uses the same zone.  On an unknown zone the session keeps its own, op
 * says which, and LD_EINVAL names the zone.
 */
enum ld_status core_operator_timezone(struct core_session *s,
    struct core_operator *op, const char *zone, struct ld_err *err);

/* Whether the console should offer an action needing perm. */
int core_operator_may(const struct core_operator *op, enum core_perm perm);

/* "risk", "finance,oncall", "none". */
void core_operator_roles_text(const struct core_operator *op, char *buf,
    size_t len);

#endif
