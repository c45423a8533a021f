/*
 * The explanation a score carries, as the JSON the scoring worker stores in
 * scores.contributions, scores.rules_hit and scores.reasons and the console
 * reads back.  Building them here keeps the two sides on one format:
 *
 * contributions  [{"feature":"external_score","value":645,"phi":-0.142,
 *                  "points":4.1}, ...]
 *                sorted by |phi| descending, ties to model order; "value"
 *                is null when missing; "points" is null when not given.
 *                phi > 0 raises the risk; points = -factor * phi, so
 *                points > 0 makes the applicant look safer.
 * rules_hit      [{"id":"R003","version":1,"action":"review",
 *                  "override":"officer","text":"...",
 *                  "inputs":{"device_shared_applicants_24h":4}},
 *                 ...] in rule-file order; override is the rule's level
 *                (never, dual, officer; absent for a flag), which
 *                api.application_decide enforces from here; inputs are
 *                the features the rule reads (null = missing).
 * reasons        [{"code":"MULTI_APPLY","feature":"multi_apply_30d",
 *                  "text_zh":"...","text_en":"..."}, ...] most important
 *                first.
 *
 * Every builder returns a new cJSON array the caller frees (cJSON_Delete),
 * or NULL only when cJSON runs out of memory.
 */
#ifndef LD_RISK_EXPLAIN_H
#define LD_RISK_EXPLAIN_H

#include <stddef.h>

#include <cJSON.h>

#include "ld_buf.h"
#include "ld_err.h"
#include "risk_reasons.h"
#include "risk_rules.h"

/*
 * names, values, phi: n entries in model order (a bias column after them
 * is not read); points may be NULL.  Non-finite phi or points are written
 * as null.
 */
cJSON *risk_explain_contributions(const char *const *names,
    const double *values, const double *phi, const double *points,
    size_t n);

cJSON *risk_explain_rules_hit(const struct risk_rule_hits *hits);

cJSON *risk_explain_reasons(const struct risk_reason *r, size_t n);

/*
 * The same documents written as JSON text onto b, for the scoring worker,
 * which writes thousands a second and would spend much of its time
 * building and printing cJSON trees.  Same keys, order and nulls as the
 * cJSON builders.  Numbers: values exactly (they read back as the same
 * double); phi and points with 9 significant digits, which is exact for
 * XGBoost contributions (single-precision floats, as xgboost's) and far
 * below anything shown for points.
 */
void risk_explain_contributions_text(struct ld_buf *b,
    const char *const *names, const double *values, const double *phi,
    const double *points, size_t n);
void risk_explain_reasons_text(struct ld_buf *b, const struct risk_reason *r,
    size_t n);

/*
 * JSON pieces for such writers: a number that reads back as the same
 * double; a number with 9 significant digits (an integer of up to 9
 * digits exactly); a string with JSON escapes.  Non-finite numbers are
 * written as null.
 */
void risk_json_put_number(struct ld_buf *b, double v);
void risk_json_put_g9(struct ld_buf *b, double v);
void risk_json_put_string(struct ld_buf *b, const char *s);

/* One row of scores.contributions read back. */
struct risk_contribution {
	char feature[64];
	double value;  /* NAN when null */
	double phi;
	double points; /* NAN when null */
};

/*
 * Reads a scores.contributions array (as text) into a new array *out of
 * *n rows the caller frees.  LD_EPROTO naming the element and key when the
 * text is not such an array; at most 4096 rows.
 */
enum ld_status risk_explain_parse_contributions(const char *json,
    struct risk_contribution **out, size_t *n, struct ld_err *err);

#endif
