/*
 * Verification of the audit log's hash chain, recomputed here rather than
 * trusted from the database's own functions.
 */
#ifndef LD_AUDIT_H
#define LD_AUDIT_H

#include <stdint.h>

#include "ld_db.h"

struct ld_audit_verify_result {
	int64_t rows;      /* rows checked */
	int ok;            /* the whole chain holds */
	int64_t broken_id; /* first row that does not, 0 when ok */
	char why[256];     /* what is wrong with it */
	/*
	 * When ok: the last row and its hash (hex), which anyone may keep
	 * outside the database as an anchor (ld_audit_check_anchor).
	 */
	int64_t last_id;
	char last_hash[65];
};

/*
 * Walks every row of audit_log in id order, which is the chain's order;
 * a row with an id below 1 is outside the chain and breaks it.  Returns
 * LD_OK when the walk completed
 * (whether or not the chain holds: see res->ok); an error only when the
 * database could not be read.
 */
enum ld_status ld_audit_verify(struct ld_db *db,
    struct ld_audit_verify_result *res, struct ld_err *err);

/*
 * A superuser can remove the newest rows and set the head back, and the
 * chain that is left holds.  An anchor kept elsewhere (the last_id and
 * last_hash of an earlier intact walk) catches it, and any rewriting of
 * the rows up to it: after an intact walk (res->ok), checks that row id
 * still exists with that hash, else marks res broken.  Fails only when
 * the database cannot be read.
 */
enum ld_status ld_audit_check_anchor(struct ld_db *db, int64_t id,
    const char *hash_hex, struct ld_audit_verify_result *res,
    struct ld_err *err);

/*
 * The same walk in steps, for callers that must stay responsive (the
 * console runs each batch as a query it can cancel, between keys).  The
 * verifier is a checkpoint: the last row found intact and its hash.  A
 * finished, intact walk can be resumed later to check only the rows
 * appended since; rows already checked cannot change without breaking
 * the link to the next row, which a full walk (a fresh verifier) finds.
 *
 *	ld_audit_verifier_init(&v);
 *	do {
 *		ld_audit_verifier_param(&v, after);
 *		run LD_AUDIT_BATCH_SQL with $1 = after, giving res;
 *	} while (ld_audit_verifier_feed(&v, res));
 *	v.res holds the outcome.
 */
struct ld_audit_verifier {
	int64_t after;               /* the last row read: the next batch's */
	int64_t last_id;             /* rows up to here are intact */
	unsigned char last_hash[32]; /* the hash of row last_id */
	int64_t head_id;             /* audit_head.last_id: rows to check */
	int done;                    /* the walk ended (v.res says how) */
	struct ld_audit_verify_result res;
};

/* Batches are this many rows; fewer means the end of the log. */
#define LD_AUDIT_BATCH 5000

/*
 * One batch: audit_head and the rows after $1 (a row id, as text), in one
 * statement so the head and the rows come from the same snapshot: a row
 * appended meanwhile is either in both or in neither.  The head comes
 * once, with NULL row columns, when no row follows $1.
 */
extern const char ld_audit_batch_sql[];

/* Starts a walk from the first row. */
void ld_audit_verifier_init(struct ld_audit_verifier *v);

/* Continues a finished, intact walk with the rows appended since. */
void ld_audit_verifier_resume(struct ld_audit_verifier *v);

/*
 * The batch query's parameter: the last row read (buf: 24 bytes), at
 * first below any id, so every row the table holds is read in id order.
 */
void ld_audit_verifier_param(const struct ld_audit_verifier *v,
    char *buf);

/*
 * Checks one batch (a result of ld_audit_batch_sql).  Returns 1 when
 * another batch follows; 0 when the walk is done (v->done), intact or
 * broken (v->res).
 */
int ld_audit_verifier_feed(struct ld_audit_verifier *v, const PGresult *r);

/* sha256(prev || canonical) as lower-case hex (exported for tests). */
void ld_audit_row_hash(const unsigned char prev[32], const char *canonical,
    unsigned char out[32]);

#endif
