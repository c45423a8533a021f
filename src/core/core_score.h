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

#include "ld_err.h"
#include "risk_config.h"

struct ld_db;

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
 * (running from a build tree), written into buf (len bytes) and
 * returned; NULL when the path does not fit, with err naming it.
 */
const char *core_score_rules_path(const struct risk_config *cfg, char *buf,
    size_t len, struct ld_err *err);
/* The same for the reason-code table (etc/reason_codes.tsv). */
const char *core_score_reasons_path(const struct risk_config *cfg, char *buf,
    size_t len, struct ld_err *err);

/*
 * Loads the rules, the reason codes, the policy thresholds and the score
 * scale from [risk].  Models come from the registry at the first batch.  On
 * failure *out is NULL and err names the file at fault.
 */
enum ld_status core_scorer_new(const struct risk_config *cfg,
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

/* A pre-assessment, as stored in pre_assessments. */
struct core_pre_assessment {
	int64_t id;		/* pre_assessments.id */
	int64_t model_id;	/* the champion that scored it */
	int reused;		/* the same inputs were assessed before: that
				   row is returned, nothing new is stored */
	double probability, margin;
	int points;
	char band[8];
	char inputs_sha256[65];
};

/*
 * Scores an applicant's current alternative data (applicant_alt_data)
 * with the champion before any application exists, with its explanation,
 * and stores it in pre_assessments with an audit record, in one
 * transaction.  When an application of this applicant later gives the
 * champion the same inputs (same hash: the model's features and sha256),
 * the scoring worker decides with this score instead of running the model:
 * rules and policy run as always, on the application's amount.  The
 * application's own links (the shared-device count) are missing here.
 * LD_ENOTFOUND for an unknown applicant, one without applicant_alt_data,
 * or without a champion; LD_EINVAL
 * when a payload is not a JSON object or the model cannot score.
 */
enum ld_status core_score_pre(struct core_scorer *s, struct ld_db *db,
    int64_t applicant_id, struct core_pre_assessment *out,
    struct ld_err *err);

#endif
