/*
 * Use cases the console and the commands share.  Every state change goes
 * through an api.* function in the database, which checks the caller's role
 * and the state and writes the audit record in the same transaction; this
 * layer only names the operations and carries their results.
 */
#ifndef LD_CORE_H
#define LD_CORE_H

#include <stdint.h>

#include "core_states.h"
#include "ld_err.h"

struct ld_db;

/*
 * Decides an application as the connected operator.  reason_code comes from
 * decision_reasons; note may be NULL unless the decision overrides the
 * model's recommendation.  On success *new_status (when not NULL) is the
 * application's status afterwards.
 */
enum ld_status core_application_decide(struct ld_db *db, int64_t app_id,
    enum core_decision d, const char *reason_code, const char *note,
    enum core_app_status *new_status, struct ld_err *err);

#endif
