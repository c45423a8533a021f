/*
 * The figures the database decides payouts and decisions from (table
 * settings), next to what the configuration says they should be: the
 * [payout] limits, names and lease, and [risk] apr_cap_bps.  The database
 * is what every function and daemon applies in the transaction that moves
 * money, so the configuration changes nothing until an administrator
 * applies it through api.settings_set (0027), which checks each value and
 * the figures together, and audits each change with its old and new value.
 */
#ifndef LD_CORE_SETTINGS_H
#define LD_CORE_SETTINGS_H

#include <stddef.h>

#include "ld_err.h"
#include "payout_config.h"

struct ld_db;

/* The keys both sides hold, in the configuration's order. */
#define CORE_SETTINGS_N 9

struct core_setting {
	const char *key;
	const char *section;	/* "payout" or "risk" */
	char config[48];	/* what the configuration says, as shown */
	char config_json[64];	/* the same as a JSON value */
	int in_db;		/* the database has the row */
	char db[80];		/* what the database holds, as shown */
	char db_json[80];	/* the same as its JSON value */
	int differs;		/* the two differ (or the row is missing) */
	char updated_at[40];	/* when and who last wrote the row */
	char updated_by[64];
};

/*
 * The configuration's figures into s (CORE_SETTINGS_N entries), database
 * columns empty.
 */
void core_settings_from_config(const struct payout_config *payout,
    int apr_cap_bps, struct core_setting s[CORE_SETTINGS_N]);

/*
 * Reads the database's figures into s (filled by core_settings_from_config)
 * and marks the differences; *ndiffer (when not NULL) counts them.
 */
enum ld_status core_settings_read(struct ld_db *db,
    struct core_setting s[CORE_SETTINGS_N], int *ndiffer,
    struct ld_err *err);

/* One key api.settings_set changed. */
struct core_setting_change {
	char key[32];
	char old[80];		/* "" when the row was missing */
	char new[80];
};

/*
 * Writes the configuration's figures of s through api.settings_set with
 * note (may be NULL), all or none: the database refuses the lot when one
 * value, or the figures together, break a rule (LD_EINVAL, or
 * LD_ECONFLICT for out_bill_prefix while payouts are open, naming the key)
 * and anyone but an administrator (LD_EPERM).  On LD_OK *changes (caller
 * frees) lists the *nchanges keys that changed, in key order.
 */
enum ld_status core_settings_apply(struct ld_db *db,
    const struct core_setting s[CORE_SETTINGS_N], const char *note,
    struct core_setting_change **changes, size_t *nchanges,
    struct ld_err *err);

#endif
