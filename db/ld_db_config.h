/*
 * [database] of loandesk.conf: where the database is.  An empty conninfo
 * leaves it to PGHOST, PGDATABASE, PGUSER and friends, as with psql.
 */
#ifndef LD_DB_CONFIG_H
#define LD_DB_CONFIG_H

#include "ld_config.h"

struct ld_db_config {
	char *conninfo;      /* "" means the PG* environment */
	char *read_conninfo; /* replica for the console's lists; "": none */
	/* How long `db migrate` waits for another's migration lock. */
	int migrate_lock_wait_s;
};

/* The longest migrate_lock_wait_s, as for `db migrate --lock-wait`. */
#define LD_DB_LOCK_WAIT_MAX_S 86400

extern const struct ld_config_section ld_db_config_section;

#endif
