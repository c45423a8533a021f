/*
 * Credit risk models: XGBoost gradient-boosted trees and logistic WOE
 * scorecards, their per-feature explanations, and the points scale.
 *
 * A model is loaded once from its JSON document and is read-only afterwards,
 * so one loaded model may be evaluated from many threads at once.  All
 * margins are log-odds of default (bad); a higher margin means more risk.
 * Points go the other way: higher points are safer.
 */
#ifndef LD_RISK_MODEL_H
#define LD_RISK_MODEL_H

#include <stddef.h>

#include "ld_err.h"

struct risk_model;		/* opaque, owned by the caller of load */

enum risk_model_kind {
	RISK_MODEL_XGBOOST,
	RISK_MODEL_SCORECARD
};

/* 600, 50, 20 by default: 600 points at good:bad 50:1, PDO 20. */
struct risk_scale {
	int	base_points;
	int	base_odds;
	int	pdo;
};

/*
 * Parses a model document: XGBoost save_model JSON (gbtree,
 * binary:logistic, numerical splits) or a scorecard (see risk_scorecard.c).
 * origin names the file for error messages; text is the whole JSON document
 * (need not be NUL-terminated).  On success *out owns a model the caller
 * frees with risk_model_free(); on failure *out is NULL and err says what
 * and where (LD_EINVAL for malformed, LD_EUNSUPPORTED for valid but
 * unsupported models such as multi-class, dart, gblinear, categorical).
 */
enum ld_status risk_model_load(const char *text, size_t len,
    const char *origin, struct risk_model **out, struct ld_err *err);

/*
 * Reads path (at most 256 MB) and calls risk_model_load(); LD_ENOTFOUND or
 * LD_EIO naming the path when it cannot be read.
 */
enum ld_status risk_model_load_file(const char *path, struct risk_model **out,
    struct ld_err *err);

/* Frees a model; NULL is a no-op. */
void risk_model_free(struct risk_model *m);

enum risk_model_kind risk_model_kind(const struct risk_model *m);

/* Number of input features; x arrays below have this many entries. */
size_t risk_model_nfeatures(const struct risk_model *m);

/* Name of feature i (borrowed from m), or NULL if i is out of range. */
const char *risk_model_feature_name(const struct risk_model *m, size_t i);

/*
 * Index of the feature called name, or (size_t)-1 when the model has no
 * such feature.
 */
size_t risk_model_feature_index(const struct risk_model *m, const char *name);

/* x has nfeatures entries, NAN = missing.  margin is log-odds of default. */
double risk_model_margin(const struct risk_model *m, const double *x);
double risk_model_probability(const struct risk_model *m, const double *x);

/*
 * The probability for a margin this model returned:
 * risk_model_probability(m, x) ==
 * risk_model_probability_of_margin(m, risk_model_margin(m, x)) bit for bit
 * (xgboost's single-precision sigmoid for XGBoost), so a caller that
 * wants both walks the trees once.
 */
double risk_model_probability_of_margin(const struct risk_model *m,
    double margin);

/*
 * phi has nfeatures + 1 entries, the last is the bias; sum(phi) == margin.
 * TreeSHAP (path-dependent) for xgboost, equal to xgboost's
 * pred_contribs=True; per-feature log-odds for scorecards.
 * For xgboost models the values are bit for bit those of xgboost 1.7's
 * CPU pred_contribs (same float operations in the same order, mostly
 * looked up from tables built at load).  Allocates nothing for ordinary
 * models (up to 512 distinct features per tree); returns LD_OK (the
 * status is there for future model kinds).
 */
enum ld_status risk_model_contribs(const struct risk_model *m,
    const double *x, double *phi, struct ld_err *err);

/*
 * risk_model_contribs() for nrows rows: x holds nrows * nfeatures values,
 * phi receives nrows * (nfeatures + 1).  Same results, several times the
 * throughput for large batches (the per-tree tables stay in cache).
 * Allocates one scratch area per call.
 */
enum ld_status risk_model_contribs_batch(const struct risk_model *m,
    const double *x, size_t nrows, double *phi, struct ld_err *err);

/* Saabas approximation, equal to xgboost's approx_contribs=True. */
enum ld_status risk_model_approx_contribs(const struct risk_model *m,
    const double *x, double *phi, struct ld_err *err);

/*
 * Checks that the model's features are exactly names[0..n), in that order
 * (the caller's feature contract).  LD_EINVAL naming the first difference.
 */
enum ld_status risk_model_check_features(const struct risk_model *m,
    const char *const *names, size_t n, struct ld_err *err);

/*
 * The score on a points scale and its per-feature breakdown, so that both
 * kinds of model read the same way (higher = safer, points negative where
 * a feature raises risk).  points has nfeatures entries; base_points and
 * points may be NULL; *score == *base_points + sum(points) up to rounding.
 * Scorecard: the card's own integer points and base points (the card
 * carries its scale; s is not used).  XGBoost: s applied to TreeSHAP:
 * points_j = -factor phi_j, base = offset - factor bias, score = offset -
 * factor margin, with factor = pdo / ln 2 and offset = base_points -
 * factor ln(base_odds).  Fails like risk_model_contribs().
 */
enum ld_status risk_model_points(const struct risk_model *m,
    const struct risk_scale *s, const double *x, double *score,
    double *base_points, double *points, struct ld_err *err);

/* Fills s with 600 points at 50:1, PDO 20. */
void risk_scale_default(struct risk_scale *s);

/* Unrounded points for a margin: offset - margin * pdo / ln 2. */
double risk_scale_score_of_margin(const struct risk_scale *s, double margin);

/* Rounded points for a probability of default; higher = safer. */
int risk_scale_points(const struct risk_scale *s, double probability);

/*
 * A contribution in log-odds of default expressed as points (negative when
 * it raises risk): -margin_delta * pdo / ln 2.
 */
double risk_scale_points_of_margin(const struct risk_scale *s,
    double margin_delta);

/* Bands A (safest) .. H (worst); risk_scale.c has the cut-offs. */
#define RISK_BANDS 8

/*
 * The band of a points total on scale s: index 0 (A) .. RISK_BANDS - 1
 * (H), each band one PDO wide from base_points + 2 pdo down.  A scale with
 * pdo <= 0 (or NULL) is the default one.
 */
int risk_scale_band_index(const struct risk_scale *s, int points);

/*
 * The lowest points of band i (INT_MIN for the worst, INT_MAX for i < 0):
 * band i holds floor(i) <= points < floor(i - 1).
 */
int risk_scale_band_floor(const struct risk_scale *s, int band);

/* "A".."H" for an index; "?" outside. */
const char *risk_scale_band_name(int band);

/* risk_scale_band_name(risk_scale_band_index(s, points)); never NULL. */
const char *risk_scale_band(const struct risk_scale *s, int points);

#endif
