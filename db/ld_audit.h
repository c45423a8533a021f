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
};

/*
 * Walks audit_log in id order.  Returns LD_OK when the walk completed
 * (whether or not the chain holds: see res->ok); an error only when the
 * database could not be read.
 */
enum ld_status ld_audit_verify(struct ld_db *db,
    struct ld_audit_verify_result *res, struct ld_err *err);

/* sha256(prev || canonical) as lower-case hex (exported for tests). */
void ld_audit_row_hash(const unsigned char prev[32], const char *canonical,
    unsigned char out[32]);

#endif
