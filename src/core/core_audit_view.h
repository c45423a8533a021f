/*
 * The audit log as the console browses it: newest first, keyset pages by
 * id, filtered by actor, object and action.  Chain verification is
 * db/ld_audit.h's; this is only the reading side.
 */
#ifndef LD_CORE_AUDIT_VIEW_H
#define LD_CORE_AUDIT_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "ld_audit.h"
#include "ld_db.h"

struct core_audit_filter {
	char actor[64];
	char object_type[32];
	char object_id[40];
	char action[64];
};

struct core_audit_row {
	int64_t id;
	char at[20];
	char actor[64];
	char action[64];
	char object[72]; /* type/id */
	char detail[512]; /* core_audit_detail_text of the row's detail */
	/* The application the row is about: its object, or the detail's
	 * application_id (a review's, a payout's); 0 when none. */
	int64_t application_id;
};

struct core_audit_page {
	struct core_audit_row *rows;
	size_t n;
	int more;
};

/*
 * Applies "actor NAME", "object TYPE[/ID]", "action NAME" (each alone
 * clears it) or "clear".  LD_EINVAL names the word at fault and leaves f
 * unchanged.
 */
enum ld_status core_audit_command(const char *cmd,
    struct core_audit_filter *f, struct ld_err *err);

void core_audit_filter_describe(const struct core_audit_filter *f,
    char *buf, size_t len);

/*
 * Up to limit rows with id < before_id (0: from the newest), newest first;
 * free with core_audit_page_free.
 */
enum ld_status core_audit_fetch(struct ld_db *db,
    const struct core_audit_filter *f, int64_t before_id, size_t limit,
    struct core_audit_page *page, struct ld_err *err);
void core_audit_page_free(struct core_audit_page *page);

/*
 * An audit row's detail (JSON text) for people: the keys the api and the
 * workers write, in words ("manual_review → approved, reason
 * VERIFIED_INCOME, note \"payslips checked\", ¥10,000.00"), then any
 * other keys as compact JSON; text that is not a JSON object is shown as
 * it is.  Truncated to len with "…".
 */
void core_audit_detail_text(const char *json, char *buf, size_t len);

/*
 * One step of a chain verification (ld_audit.h) through the cancellable
 * query path: one batch.  The checkpoint in v advances; LD_OK with
 * v->done set when the walk ended (v->res says how).  When the operator
 * cancels, LD_ETIMEOUT ("cancelled") and v is unchanged, so the next
 * step carries on from the same row.
 */
enum ld_status core_audit_verify_step(struct ld_db *db,
    struct ld_audit_verifier *v, struct ld_err *err);

#endif
