#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ld_money.h"
#include "risk_policy.h"

const char *
risk_decision_name(enum risk_decision d)
{
	switch (d) {
	case RISK_DECISION_AUTO_APPROVED:
		return "auto_approved";
	case RISK_DECISION_AUTO_REJECTED:
		return "auto_rejected";
	case RISK_DECISION_MANUAL_REVIEW:
		return "manual_review";
	}
	return "?";
}

const char *
risk_basis_code(enum risk_basis b)
{
	switch (b) {
	case RISK_BASIS_RULE_REJECT:
		return "RULE_REJECT";
	case RISK_BASIS_RULE_REVIEW:
		return "RULE_REVIEW";
	case RISK_BASIS_NO_SCORE:
		return "NO_SCORE";
	case RISK_BASIS_PD_HIGH:
		return "PD_HIGH";
	case RISK_BASIS_PD_LOW:
		return "PD_LOW";
	case RISK_BASIS_AMOUNT_LARGE:
		return "AMOUNT_LARGE";
	case RISK_BASIS_PD_MIDDLE:
		return "PD_MIDDLE";
	case RISK_BASIS_POINTS_LOW:
		return "POINTS_LOW";
	case RISK_BASIS_POINTS_HIGH:
		return "POINTS_HIGH";
	case RISK_BASIS_POINTS_MIDDLE:
		return "POINTS_MIDDLE";
	case RISK_BASIS_BAND_WORST:
		return "BAND_WORST";
	}
	return "?";
}

void
risk_policy_from_config(struct risk_policy *pol, const struct risk_config *cfg)
{
	pol->approve_max_pd_bps = cfg->approve_max_pd_bps;
	pol->reject_min_pd_bps = cfg->reject_min_pd_bps;
	pol->review_amount_fen = cfg->review_amount_fen;
	pol->approve_min_points = cfg->approve_min_points;
	pol->reject_max_points = cfg->reject_max_points;
	pol->on = RISK_THRESHOLD_PROBABILITY;
	pol->bad_on = 0;
	pol->scale.base_points = cfg->base_points;
	pol->scale.base_odds = cfg->base_odds;
	pol->scale.pdo = cfg->pdo;
	pol->approve_worst_band = cfg->approve_worst_band;
	if (cfg->thresholds == NULL || cfg->thresholds[0] == '\0' ||
	    strcmp(cfg->thresholds, "probability") == 0)
		pol->on = RISK_THRESHOLD_PROBABILITY;
	else if (strcmp(cfg->thresholds, "points") == 0)
		pol->on = RISK_THRESHOLD_POINTS;
	else
		pol->bad_on = 1;
}

/* The worst band's ceiling: its scores are below this many points. */
static int
worst_ceiling(const struct risk_policy *pol)
{
	return risk_scale_band_floor(&pol->scale, RISK_BANDS - 2);
}

/*
 * An approve threshold reaching into the worst band would approve where
 * the bands say a lender declines; only an explicit approve_worst_band
 * lets it.
 */
static enum ld_status
check_worst_band(const struct risk_policy *pol, struct ld_err *err)
{
	struct risk_scale sc;
	int ceiling = worst_ceiling(pol), pts;
	const char *worst = risk_scale_band_name(RISK_BANDS - 1);

	if (pol->approve_worst_band)
		return LD_OK;
	if (pol->on == RISK_THRESHOLD_POINTS) {
		if (pol->approve_min_points >= ceiling)
			return LD_OK;
		return ld_err_set(err, LD_EINVAL, "[risk] approve_min_points "
		    "(%d) would approve automatically in band %s, the worst "
		    "(below %d points): raise it to %d or more",
		    pol->approve_min_points, worst, ceiling, ceiling);
	}
	sc = pol->scale;
	if (sc.pdo <= 0 || sc.base_odds <= 0)
		risk_scale_default(&sc);
	pts = risk_scale_points(&sc, pol->approve_max_pd_bps / 10000.0);
	if (pts >= ceiling)
		return LD_OK;
	return ld_err_set(err, LD_EINVAL, "[risk] approve_max_pd_bps (%d, "
	    "%d points) would approve automatically in band %s, the worst "
	    "(below %d points)", pol->approve_max_pd_bps, pts, worst,
	    ceiling);
}

enum ld_status
risk_policy_check(const struct risk_policy *pol, struct ld_err *err)
{
	if (pol->approve_max_pd_bps < 0 || pol->approve_max_pd_bps > 10000)
		return ld_err_set(err, LD_EINVAL,
		    "[risk] approve_max_pd_bps %d is outside 0..10000",
		    pol->approve_max_pd_bps);
	if (pol->reject_min_pd_bps < 0 || pol->reject_min_pd_bps > 10000)
		return ld_err_set(err, LD_EINVAL,
		    "[risk] reject_min_pd_bps %d is outside 0..10000",
		    pol->reject_min_pd_bps);
	if (pol->approve_max_pd_bps >= pol->reject_min_pd_bps)
		return ld_err_set(err, LD_EINVAL,
		    "[risk] approve_max_pd_bps (%d) must be below "
		    "reject_min_pd_bps (%d)", pol->approve_max_pd_bps,
		    pol->reject_min_pd_bps);
	if (pol->bad_on)
		return ld_err_set(err, LD_EINVAL, "[risk] thresholds must be "
		    "\"probability\" or \"points\"");
	if (pol->on == RISK_THRESHOLD_POINTS &&
	    pol->reject_max_points >= pol->approve_min_points)
		return ld_err_set(err, LD_EINVAL,
		    "[risk] reject_max_points (%d) must be below "
		    "approve_min_points (%d)", pol->reject_max_points,
		    pol->approve_min_points);
	if (pol->review_amount_fen < 0)
		return ld_err_set(err, LD_EINVAL,
		    "[risk] review_amount_fen %" PRId64 " is negative",
		    pol->review_amount_fen);
	return check_worst_band(pol, err);
}

int
risk_policy_pd_bps(double p)
{
	if (!(p >= 0.0 && p <= 1.0)) /* also false for NAN */
		return -1;
	return (int)floor(p * 10000.0 + 0.5);
}

static struct risk_policy_reason *
add_reason(struct risk_policy_result *out, enum risk_basis b)
{
	struct risk_policy_reason *r;

	if (out->nreasons >= RISK_POLICY_REASONS_MAX)
		return NULL;
	r = &out->reasons[out->nreasons++];
	memset(r, 0, sizeof *r);
	r->basis = b;
	return r;
}

/* Adds one reason per rule with action a; returns how many fired. */
static size_t
add_rule_reasons(struct risk_policy_result *out,
    const struct risk_rule_hits *hits, enum risk_action a)
{
	size_t i, n = 0;

	if (hits == NULL)
		return 0;
	for (i = 0; i < hits->n; i++) {
		const struct risk_rule_hit *h = &hits->v[i];
		struct risk_policy_reason *r;

		if (h->action != a)
			continue;
		n++;
		r = add_reason(out, a == RISK_ACTION_REJECT ?
		    RISK_BASIS_RULE_REJECT : RISK_BASIS_RULE_REVIEW);
		if (r == NULL) {
			out->more_rules++;
			continue;
		}
		r->rule_id = h->id;
		snprintf(r->text, sizeof r->text, "rule %s v%d (%s): %s",
		    h->id, h->version, risk_action_name(a), h->text);
	}
	return n;
}

/*
 * Approves unless the score is in the worst band (and the policy does not
 * say it approves there) or the amount asks for a person.
 */
static void
approve_up_to_amount(const struct risk_policy *pol,
    const struct risk_policy_input *in, struct risk_policy_result *out)
{
	struct risk_policy_reason *r;
	char amount[40], limit[40];

	if (!pol->approve_worst_band && in->has_points &&
	    risk_scale_band_index(&pol->scale, in->points) == RISK_BANDS - 1) {
		out->decision = RISK_DECISION_MANUAL_REVIEW;
		if ((r = add_reason(out, RISK_BASIS_BAND_WORST)) == NULL)
			return;
		snprintf(r->text, sizeof r->text, "score %d points is in band "
		    "%s, the worst (below %d points), which the policy does "
		    "not approve automatically", in->points,
		    risk_scale_band_name(RISK_BANDS - 1), worst_ceiling(pol));
		return;
	}

	if (in->requested_amount_fen <= pol->review_amount_fen) {
		out->decision = RISK_DECISION_AUTO_APPROVED;
		return;
	}
	out->decision = RISK_DECISION_MANUAL_REVIEW;
	if ((r = add_reason(out, RISK_BASIS_AMOUNT_LARGE)) == NULL)
		return;
	ld_money_format(in->requested_amount_fen, 1, amount, sizeof amount);
	ld_money_format(pol->review_amount_fen, 1, limit, sizeof limit);
	snprintf(r->text, sizeof r->text, "amount %s is above the automatic "
	    "limit %s", amount, limit);
}

/* Steps 3 to 6 on the points scale (higher is safer). */
static void
decide_on_points(const struct risk_policy *pol,
    const struct risk_policy_input *in, struct risk_policy_result *out)
{
	struct risk_policy_reason *r;

	if (!in->has_points || out->pd_bps < 0) {
		out->decision = RISK_DECISION_MANUAL_REVIEW;
		r = add_reason(out, RISK_BASIS_NO_SCORE);
		snprintf(r->text, sizeof r->text,
		    "no usable score; a person decides");
		return;
	}
	if (in->points <= pol->reject_max_points) {
		out->decision = RISK_DECISION_AUTO_REJECTED;
		r = add_reason(out, RISK_BASIS_POINTS_LOW);
		snprintf(r->text, sizeof r->text,
		    "score %d points is at or below the reject threshold %d",
		    in->points, pol->reject_max_points);
		return;
	}
	if (in->points >= pol->approve_min_points) {
		r = add_reason(out, RISK_BASIS_POINTS_HIGH);
		snprintf(r->text, sizeof r->text,
		    "score %d points is at or above the approve threshold %d",
		    in->points, pol->approve_min_points);
		approve_up_to_amount(pol, in, out);
		return;
	}
	out->decision = RISK_DECISION_MANUAL_REVIEW;
	r = add_reason(out, RISK_BASIS_POINTS_MIDDLE);
	snprintf(r->text, sizeof r->text,
	    "score %d points is between the reject (%d) and approve (%d) "
	    "thresholds", in->points, pol->reject_max_points,
	    pol->approve_min_points);
}

void
risk_policy_decide(const struct risk_policy *pol,
    const struct risk_policy_input *in, struct risk_policy_result *out)
{
	struct risk_policy_reason *r;

	memset(out, 0, sizeof *out);
	out->pd_bps = risk_policy_pd_bps(in->probability);
	out->on_points = pol->on == RISK_THRESHOLD_POINTS;
	if (add_rule_reasons(out, in->hits, RISK_ACTION_REJECT) > 0) {
		out->decision = RISK_DECISION_AUTO_REJECTED;
		return;
	}
	if (add_rule_reasons(out, in->hits, RISK_ACTION_REVIEW) > 0) {
		out->decision = RISK_DECISION_MANUAL_REVIEW;
		return;
	}
	if (pol->on == RISK_THRESHOLD_POINTS) {
		decide_on_points(pol, in, out);
		return;
	}
	if (out->pd_bps < 0) {
		out->decision = RISK_DECISION_MANUAL_REVIEW;
		r = add_reason(out, RISK_BASIS_NO_SCORE);
		snprintf(r->text, sizeof r->text,
		    "no usable probability of default; a person decides");
		return;
	}
	if (out->pd_bps >= pol->reject_min_pd_bps) {
		out->decision = RISK_DECISION_AUTO_REJECTED;
		r = add_reason(out, RISK_BASIS_PD_HIGH);
		snprintf(r->text, sizeof r->text,
		    "PD %d bps is at or above the reject threshold %d bps",
		    out->pd_bps, pol->reject_min_pd_bps);
		return;
	}
	if (out->pd_bps <= pol->approve_max_pd_bps) {
		r = add_reason(out, RISK_BASIS_PD_LOW);
		snprintf(r->text, sizeof r->text,
		    "PD %d bps is at or below the approve threshold %d bps",
		    out->pd_bps, pol->approve_max_pd_bps);
		approve_up_to_amount(pol, in, out);
		return;
	}
	out->decision = RISK_DECISION_MANUAL_REVIEW;
	r = add_reason(out, RISK_BASIS_PD_MIDDLE);
	snprintf(r->text, sizeof r->text,
	    "PD %d bps is between the approve (%d) and reject (%d) "
	    "thresholds", out->pd_bps, pol->approve_max_pd_bps,
	    pol->reject_min_pd_bps);
}

cJSON *
risk_policy_result_json(const struct risk_policy_result *res,
    const struct risk_policy_input *in)
{
	cJSON *o, *arr, *b;
	size_t i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "decision",
	    risk_decision_name(res->decision));
	if (res->pd_bps >= 0)
		cJSON_AddNumberToObject(o, "pd_bps", res->pd_bps);
	else
		cJSON_AddNullToObject(o, "pd_bps");
	if (in != NULL && in->has_points)
		cJSON_AddNumberToObject(o, "points", in->points);
	if (res->on_points)
		cJSON_AddStringToObject(o, "thresholds", "points");
	arr = cJSON_AddArrayToObject(o, "basis");
	for (i = 0; arr != NULL && i < res->nreasons; i++) {
		const struct risk_policy_reason *r = &res->reasons[i];

		if ((b = cJSON_CreateObject()) == NULL)
			break;
		cJSON_AddStringToObject(b, "code", risk_basis_code(r->basis));
		if (r->rule_id != NULL)
			cJSON_AddStringToObject(b, "rule", r->rule_id);
		else
			cJSON_AddNullToObject(b, "rule");
		cJSON_AddStringToObject(b, "text", r->text);
		cJSON_AddItemToArray(arr, b);
	}
	if (res->more_rules > 0)
		cJSON_AddNumberToObject(o, "more_rules",
		    (double)res->more_rules);
	if (arr == NULL || i < res->nreasons) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
