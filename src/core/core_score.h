/*
 * The scoring use case: claim received applications, score them with the
 * registry's champion (and the challenger in shadow), apply the hard rules
 * and the policy, and write score, decision, audit record and NOTIFY in one
 * transaction per batch.
 *
 * A scorer is used by one thread with one connection; workers each have
 * their own, so nothing here locks.
 */
#ifndef LD_CORE_SCORE_H
#define LD_CORE_SCORE_H

#include <stdint.h>

#include "ld_config.h"
#include "ld_db.h"

struct core_scorer;

struct core_score_stats {
	long scored;	/* applications decided */
	long reused;	/* of which from an earlier score with equal inputs */
	long errors;	/* of which sent to manual review on an error */
	long shadow;	/* challenger scores written */
	long batches;
};

/*
 * The rules file the configuration names, else the installed
 * $(sysconfdir)/loandesk/rules.conf, else the source tree's etc/rules.conf
 * (running from a build tree).  Static storage.
 */
const char *core_score_rules_path(const struct ld_config *cfg);
/* The same for the reason-code table (etc/reason_codes.tsv). */
const char *core_score_reasons_path(const struct ld_config *cfg);

/*
 * Loads the rules, the reason codes, the policy thresholds and the score
 * scale from cfg.  Models come from the registry at the first batch.  On
 * failure *out is NULL and err names the file at fault.
 */
enum ld_status core_scorer_new(const struct ld_config *cfg,
    struct core_scorer **out, struct ld_err *err);
void core_scorer_free(struct core_scorer *s);

/*
 * Claims up to batch_size received applications (FOR UPDATE SKIP LOCKED,
 * oldest id first) and scores them in one transaction; *claimed says how
 * many (0: the queue is empty as far as this session can see).  A data or
 * model error for one application sends it to manual_review with the error
 * in scores.error; it does not fail the batch.  LD_ENOTFOUND when the
 * registry has no champion; other failures are the database's, and the
 * batch is rolled back so another worker can take it.
 */
enum ld_status core_score_batch(struct core_scorer *s, struct ld_db *db,
    int batch_size, int *claimed, struct core_score_stats *stats,
    struct ld_err *err);

#endif
