/*
 * One application as a case: the header a risk officer reads at a glance,
 * the explanation of its score (reasons, contributions, rule hits), the
 * applications linked to it and its timeline from the audit log.  Personal
 * data is the masked form only; the sealed columns are never read.
 */
#ifndef LD_CORE_CASE_H
#define LD_CORE_CASE_H

#include <stddef.h>
#include <stdint.h>

#include "core_states.h"
#include "ld_err.h"

struct ld_db;

struct core_reason {
	char code[40];
	char feature[64];
	char text_zh[128];
	char text_en[128];
};

struct core_contribution {
	char feature[64];
	int missing;     /* the raw value was absent (JSON null) */
	double value;    /* raw feature value, when present */
	double phi;      /* log-odds contribution (0 when null) */
	int has_points;
	double points;   /* scorecard points: -factor * phi */
};

/*
 * What the catalogue calls a feature, in English ("Share of declared
 * contacts overdue"), or NULL for a name it does not know.
 */
const char *core_feature_label(const char *feature);

/*
 * A contribution's raw value as a risk officer reads it: money features
 * (unit fen) in yuan exact to the fen, durations with their unit, other
 * values as numbers, "(missing)" when absent.
 */
void core_contribution_value_format(const struct core_contribution *k,
    char *buf, size_t len);

struct core_rule_hit {
	char id[64];
	char version[32];
	char action[24];
	char override[12]; /* never, dual, officer; "" for a flag or a hit
	                      stored before levels */
	char text[512];   /* rules.conf bounds neither: room for long ones */
	char inputs[512]; /* the values that triggered it: "a=1 b=null" */
};

struct core_link {
	char via[32];    /* device,phone,ip,openid: the ways it is linked */
	int64_t id;
	enum core_app_status status;
	char submitted[12];
	char name[64];
	int64_t amount_fen;
};

struct core_event {
	int64_t id;
	char at[20];
	char actor[64];
	char action[64];
	char object[72];  /* "application/42", "review/7" */
	/*
	 * core_audit_detail_text of the row's detail: room for a note of
	 * the length api.application_decide accepts, for the console's
	 * detail area to show whole.
	 */
	char detail[2048];
};

struct core_case {
	int64_t id;
	int64_t applicant_id;
	char name[64], id_no[40], phone[32];
	char product[33];
	int64_t amount_fen;
	int term_months;
	int rate_bps;
	int64_t upfront_fee_fen;  /* withheld from the payout */
	int64_t monthly_fee_fen;  /* added to every instalment */
	char repayment[20];
	enum core_app_status status;
	enum core_app_status recommendation; /* CORE_APP_NONE: none yet */
	char assignee[64];
	int scored;
	int points, pd_bps;
	char band[8];
	char model_name[64], model_version[32];
	char scored_at[20], submitted[20]; /* in the session's TimeZone */
	int64_t waiting_s;   /* from submission to the decision, or to now */
	int pending;         /* a decision is awaited (received, scored,
	                        manual_review) */
	int decided;         /* decided by a person */
	int auto_decided;    /* decided by the model (auto_*) */
	char decided_at[20]; /* when, if known; "" else */
	char decided_by[64], decision_reason[40];
	int version;
	int score_hidden;     /* the role may not read scores and models:
	                         no explanation, no model name */
	int64_t review_id;    /* the open review case, 0 when none */
	int64_t review_age_s; /* since that case was opened */

	struct core_reason *reasons;
	size_t nreasons;
	struct core_contribution *contribs;
	size_t ncontribs;
	struct core_rule_hit *rules;
	size_t nrules;
	struct core_link *links;
	size_t nlinks;
	struct core_event *events;
	size_t nevents;
};

/*
 * The rules that decided the recommendation ("R003" or "R003, R007") into
 * buf; returns how many, including any buf had no room for.  The policy
 * (src/risk/risk_policy.h) lets a reject rule make auto_rejected and a
 * review rule make manual_review before the model is consulted, so those
 * are the hits whose action matches the recommendation; none when the
 * thresholds decided (or the hits are not visible to the role).
 */
size_t core_case_deciding_rules(const struct core_case *c, char *buf,
    size_t len);

/*
 * Loads application id.  LD_ENOTFOUND when there is none; database errors
 * as ld_db_exec.  Malformed score JSON is not an error: what can be
 * read is shown and *warning (when not NULL, 160 bytes) says what was not.
 * The case is the caller's to release with core_case_free().
 */
enum ld_status core_case_load(struct ld_db *db, int64_t id,
    struct core_case *c, char *warning, struct ld_err *err);

/* Releases what core_case_load allocated; accepts a zeroed case. */
void core_case_free(struct core_case *c);

/*
 * Parses the scores JSON columns into c (replacing what was there).  Each
 * array is bounded; entries of the wrong shape are skipped and counted in
 * *skipped.  Exported for tests.
 */
void core_case_parse_score_json(struct core_case *c, const char *contribs,
    const char *rules, const char *reasons, int *skipped);

/* A rule an approval goes against, with its override level. */
struct core_decision_rule {
	char id[64];
	char action[16];  /* reject, review */
	char level[12];   /* never, dual, officer */
	char text[256];
};

#define CORE_PREVIEW_RULES 16

/*
 * What deciding would do, asked of the database (api.decision_preview,
 * which api.application_decide's own verdict comes from) before the
 * console asks for a reason, a note and a confirmation.
 */
struct core_decision_preview {
	int allowed;
	char refusal_state[6]; /* its SQLSTATE when refused */
	/*
	 * The refusal in words; when allowed, what the decision does beyond
	 * itself ("approving application 7 overrides rule R006 (dual);
	 * needs a second officer ..."), "" when nothing.
	 */
	char why[768];
	int note_required;
	int overrides_model;   /* against the model's recommendation */
	char level[12];        /* strictest level of rules, "" when none */
	int second_officer;    /* it waits for another officer to confirm */
	char confirms[64];     /* it confirms this officer's request */
	int64_t request_id;
	char holder[64];       /* who holds the case's claimed review */
	int64_t review_id;     /* the open review, 0 when none */
	int apr_bps, cap_bps;  /* -1 when not asked (not an approval) */
	struct core_decision_rule rules[CORE_PREVIEW_RULES];
	size_t nrules;
	char rules_text[256];  /* "R006 dual, R001 never" */
};

/*
 * Fills *out with the database's verdict on deciding d on application id
 * as the connected operator.  A refusal is a verdict (out->allowed 0),
 * not an error; errors are those of the query.
 */
enum ld_status core_decision_preview(struct ld_db *db, int64_t id,
    enum core_decision d, struct core_decision_preview *out,
    struct ld_err *err);

struct core_reason_code {
	char code[40];
	unsigned applies;    /* bit 1 << d for each decision d it applies to */
	char text_zh[128];
	char text_en[128];
	int disclosed;       /* the applicant is told it (not fraud) */
};

struct core_reason_codes {
	struct core_reason_code *v;
	size_t n;
};

/*
 * Whether the reason picker offers r for decision d on a case the policy
 * recommended rec: the code applies to d, and MODEL_AGREE ("Agree with
 * the model recommendation") only when d is what was recommended
 * (approve on auto_approved, reject on auto_rejected).  The database
 * checks only applies_to.
 */
int core_reason_code_offered(const struct core_reason_code *r,
    enum core_decision d, enum core_app_status rec);

/* decision_reasons, ordered by code; free with core_reason_codes_free. */
enum ld_status core_reason_codes_load(struct ld_db *db,
    struct core_reason_codes *out, struct ld_err *err);
void core_reason_codes_free(struct core_reason_codes *rc);

#endif
