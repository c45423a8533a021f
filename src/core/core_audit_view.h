/*
 * The audit log as the console browses it: newest first, keyset pages by
 * id, filtered by actor, object and action; and the chain's verification
 * as the console runs it, a batch at a time between keys (the hash walk
 * itself is db/ld_audit.h's).  Both read through the session: from the
 * replica when it serves (core_session.h).
 */
#ifndef LD_CORE_AUDIT_VIEW_H
#define LD_CORE_AUDIT_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "ld_err.h"

struct core_session;
struct ld_audit_verifier;

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
enum ld_status core_audit_fetch(struct core_session *s,
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
 * A verification of the audit chain in steps, from a checkpoint kept
 * across steps (and visits): the last row found intact and its hash.  A
 * finished, intact walk resumed later checks only the rows appended
 * since; rows already checked cannot change without breaking the link to
 * the next row, which a fresh walk finds.  Zeroed, it is a walk not yet
 * started; core_audit_verify_clear releases it.
 */
struct core_audit_verify {
	int done;                  /* the walk ended (res says how) */
	int64_t last_id;           /* rows up to here are intact */
	int64_t head_id;           /* the rows to check (-1: not read yet) */
	struct {
		int64_t rows;      /* rows found intact so far */
		int ok;            /* the whole chain holds (when done) */
		int64_t broken_id; /* the first row that does not */
		char why[256];     /* what is wrong with it */
	} res;
	struct ld_audit_verifier *walk;
};

/* Starts a walk from the first row (fresh), or resumes a finished one. */
void core_audit_verify_start(struct core_audit_verify *v, int fresh);
void core_audit_verify_clear(struct core_audit_verify *v);

/*
 * One batch of the walk, through the cancellable path.  LD_OK with
 * v->done set when the walk ended (v->res says how).  When the operator
 * cancels, LD_ETIMEOUT ("cancelled") and v is unchanged, so the next
 * step carries on from the same row.
 */
enum ld_status core_audit_verify_step(struct core_session *s,
    struct core_audit_verify *v, struct ld_err *err);

#endif
