/*
 * The decision policy: hard-rule hits, the model's probability of default
 * and the amount requested give auto_approved, auto_rejected or
 * manual_review, with the reasons that led there.
 *
 * The thresholds are on the probability of default ([risk] thresholds =
 * probability, the default) or on the points of the score scale
 * (thresholds = points).  Order, first match wins:
 *   1. a reject rule fired                    -> auto_rejected
 *   2. a review rule fired                    -> manual_review
 *   3. no usable probability (model error),
 *      or no points when deciding on points   -> manual_review
 *   4. pd_bps >= reject_min_pd_bps,
 *      or points <= reject_max_points         -> auto_rejected
 *   5. pd_bps <= approve_max_pd_bps,
 *      or points >= approve_min_points:
 *        points in the worst band (H) and
 *        not approve_worst_band               -> manual_review
 *        amount <= review_amount_fen          -> auto_approved
 *        otherwise                            -> manual_review
 *   6. in between                             -> manual_review
 * Flag rules never change the decision.  The measure not decided on is
 * carried for the record only.
 *
 * The bands and the thresholds agree: risk_policy_check() refuses an
 * approve threshold that reaches into the worst band (risk_scale.c: H,
 * below base_points - 4 pdo, PD above 24.24% on the default scale) unless
 * approve_worst_band says the policy means it, and step 5 holds the line
 * for a score that still lands there (a probability rounded to the
 * threshold).
 *
 * The probability is converted to basis points once, by
 * risk_policy_pd_bps(): round half up of p * 10000 in double, so 0.02995
 * is 300 bps.  Every threshold comparison after that is on integers, as
 * points always are.
 */
#ifndef LD_RISK_POLICY_H
#define LD_RISK_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "ld_err.h"
#include "risk_config.h"
#include "risk_model.h"
#include "risk_rules.h"

enum risk_decision {
	RISK_DECISION_AUTO_APPROVED,
	RISK_DECISION_AUTO_REJECTED,
	RISK_DECISION_MANUAL_REVIEW
};

/* "auto_approved", "auto_rejected", "manual_review" (scores.decision). */
const char *risk_decision_name(enum risk_decision d);

enum risk_threshold_on {
	RISK_THRESHOLD_PROBABILITY,
	RISK_THRESHOLD_POINTS
};

struct risk_policy {
	int approve_max_pd_bps;    /* approve at or below */
	int reject_min_pd_bps;     /* reject at or above */
	int64_t review_amount_fen; /* larger requests always get a person */
	enum risk_threshold_on on; /* which pair of thresholds decides */
	int approve_min_points;    /* approve at or above */
	int reject_max_points;     /* reject at or below */
	int bad_on;                /* [risk] thresholds is neither word */
	/*
	 * The score scale the bands come from ([risk] base_points,
	 * base_odds, pdo); all zero is the default one.
	 */
	struct risk_scale scale;
	int approve_worst_band;    /* may approve in the worst band */
};

/* Copies the thresholds of [risk]. */
void risk_policy_from_config(struct risk_policy *pol,
    const struct risk_config *cfg);

/*
 * LD_EINVAL unless 0 <= approve_max_pd_bps < reject_min_pd_bps <= 10000,
 * reject_max_points < approve_min_points (when deciding on points),
 * review_amount_fen >= 0 and thresholds is "probability" or "points",
 * naming the offending key; and unless the approve threshold in use stays
 * out of the worst band (the points approve_max_pd_bps converts to, or
 * approve_min_points, at or above that band's ceiling) or
 * approve_worst_band is set.
 */
enum ld_status risk_policy_check(const struct risk_policy *pol,
    struct ld_err *err);

/*
 * p in basis points, rounded half up; -1 when p is not a number in
 * [0, 1].
 */
int risk_policy_pd_bps(double p);

/* Why a decision came out as it did. */
enum risk_basis {
	RISK_BASIS_RULE_REJECT,    /* rule: a reject rule fired */
	RISK_BASIS_RULE_REVIEW,    /* rule: a review rule fired */
	RISK_BASIS_NO_SCORE,       /* no usable probability */
	RISK_BASIS_PD_HIGH,        /* pd_bps >= reject_min_pd_bps */
	RISK_BASIS_PD_LOW,         /* pd_bps <= approve_max_pd_bps */
	RISK_BASIS_AMOUNT_LARGE,   /* amount > review_amount_fen */
	RISK_BASIS_PD_MIDDLE,      /* between the thresholds */
	RISK_BASIS_POINTS_LOW,     /* points <= reject_max_points */
	RISK_BASIS_POINTS_HIGH,    /* points >= approve_min_points */
	RISK_BASIS_POINTS_MIDDLE,  /* between the points thresholds */
	RISK_BASIS_BAND_WORST      /* would approve, but in the worst band */
};

/*
 * "RULE_REJECT", "RULE_REVIEW", "NO_SCORE", "PD_HIGH", "PD_LOW", ...,
 * "POINTS_LOW", "POINTS_HIGH", "POINTS_MIDDLE", "BAND_WORST".
 */
const char *risk_basis_code(enum risk_basis b);

#define RISK_POLICY_REASONS_MAX 8

struct risk_policy_reason {
	enum risk_basis basis;
	const char *rule_id; /* RULE_*: the rule, borrowed from the hits */
	char text[640];      /* English, with the numbers; fits a rule text */
};

struct risk_policy_input {
	double probability;    /* NAN when the model failed */
	int has_points;
	int points;
	int64_t requested_amount_fen;
	const struct risk_rule_hits *hits; /* may be NULL: no rules */
};

struct risk_policy_result {
	enum risk_decision decision;
	int pd_bps; /* -1 without a usable probability */
	struct risk_policy_reason reasons[RISK_POLICY_REASONS_MAX];
	size_t nreasons;
	size_t more_rules; /* deciding rules beyond the reasons array */
	int on_points;     /* decided with the points thresholds */
};

/*
 * Decides as described above.  Never fails: a bad probability is a
 * manual review (NO_SCORE), not an error.  The result borrows rule ids
 * from in->hits, so it lives no longer than they do.
 */
void risk_policy_decide(const struct risk_policy *pol,
    const struct risk_policy_input *in, struct risk_policy_result *out);

/*
 * {"decision":"manual_review","pd_bps":450,"points":561,
 *  "basis":[{"code":"PD_MIDDLE","rule":null,"text":"..."}]}
 * with "thresholds":"points" added when the points decided
 * for the audit record; points is omitted without has_points.  The caller
 * frees it with cJSON_Delete; NULL only if cJSON runs out of memory.
 */
cJSON *risk_policy_result_json(const struct risk_policy_result *res,
    const struct risk_policy_input *in);

#endif
