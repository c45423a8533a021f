/*
 * What a lock timeout was about.  Every audited change holds the audit
 * log's head until its transaction ends, and the database gives up
 * waiting for it after settings.lock_timeout_ms (0013) with SQLSTATE
 * 55P03; the message the server sends ("canceling statement due to lock
 * timeout") says neither what was locked nor by whom.
 */
#ifndef LD_CORE_LOCKS_H
#define LD_CORE_LOCKS_H

#include "ld_err.h"

struct ld_db;

/*
 * When the last statement on db failed with a lock timeout, rewrites err
 * to say so about what (e.g. "application 42"), naming the sessions that
 * hold the audit head (audit_head_holders()) and that it is worth trying
 * again.  Leaves any other error as it is.  Returns err->code.
 */
enum ld_status core_lock_timeout_explain(struct ld_db *db, const char *what,
    struct ld_err *err);

#endif
