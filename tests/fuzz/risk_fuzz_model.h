/*
 * What the model harnesses do with a model that loaded: everything a
 * caller may do with it, on rows with missing, extreme and on-threshold
 * values, checking what must hold whatever the model says.
 */
#ifndef LD_RISK_FUZZ_MODEL_H
#define LD_RISK_FUZZ_MODEL_H

#include "ld_alloc.h"
#include "ld_err.h"
#include "risk/risk_model.h"
#include "risk/risk_model_int.h"
#include "tests/fuzz/risk_fuzz.h"

#define RISK_FUZZ_ROWS	6

/* A value a split of feature f compares with, or NAN when none. */
static double
risk_fuzz_threshold(const struct risk_model *m, size_t f, uint64_t *seed)
{
	const struct risk_xgb	*x = &m->xgb;
	size_t			 i, start;

	if (m->kind != RISK_MODEL_XGBOOST || x->nnodes == 0)
		return NAN;
	start = risk_fuzz_next(seed) % x->nnodes;
	for (i = 0; i < x->nnodes; i++) {
		const struct risk_xgb_node *nd =
		    &x->nodes[(start + i) % x->nnodes];

		if (nd->left >= 0 && (nd->feat & RISK_XGB_FEATURE_MASK) == f)
			return nd->cond;
	}
	return NAN;
}

static void
risk_fuzz_model(const struct risk_model *m, const uint8_t *data, size_t size)
{
	size_t			 F = risk_model_nfeatures(m), i, r;
	double			*X, *phi, *bphi, *pts, score, base, mg, p;
	uint64_t		 seed = risk_fuzz_hash(data, size);
	struct risk_scale	 s, odd = { 1, 1, 1 };
	struct ld_err		 err;
	const char		**names;

	RISK_FUZZ_CHECK(F >= 1, "a model with no features");
	names = ld_calloc(F, sizeof *names);
	for (i = 0; i < F; i++) {
		names[i] = risk_model_feature_name(m, i);
		RISK_FUZZ_CHECK(names[i] != NULL && names[i][0] != '\0',
		    "feature %zu has no name", i);
		RISK_FUZZ_CHECK(risk_model_feature_index(m, names[i]) == i,
		    "feature %zu \"%s\" is not unique", i, names[i]);
	}
	RISK_FUZZ_CHECK(risk_model_feature_name(m, F) == NULL, "name past F");
	RISK_FUZZ_CHECK(risk_model_check_features(m, names, F, &err) ==
	    LD_OK, "own features refused: %s", err.msg);

	X = ld_calloc(RISK_FUZZ_ROWS * F, sizeof *X);
	phi = ld_calloc(F + 1, sizeof *phi);
	bphi = ld_calloc(RISK_FUZZ_ROWS * (F + 1), sizeof *bphi);
	pts = ld_calloc(F, sizeof *pts);
	for (r = 0; r < RISK_FUZZ_ROWS; r++) {
		double *x = X + r * F;

		risk_fuzz_row(x, F, (int)r, &seed);
		/* The last row sits on the model's own thresholds. */
		if (r == RISK_FUZZ_ROWS - 1)
			for (i = 0; i < F; i++)
				x[i] = risk_fuzz_threshold(m, i, &seed);
	}
	risk_scale_default(&s);
	for (r = 0; r < RISK_FUZZ_ROWS; r++) {
		const double *x = X + r * F;

		mg = risk_model_margin(m, x);
		p = risk_model_probability(m, x);
		RISK_FUZZ_CHECK(isnan(p) || (p >= 0 && p <= 1),
		    "probability %g", p);
		RISK_FUZZ_CHECK(memcmp(&p, &(double){
		    risk_model_probability_of_margin(m, mg) }, sizeof p) == 0 ||
		    (isnan(p) && isnan(risk_model_probability_of_margin(m,
		    mg))), "probability_of_margin differs");
		ld_err_clear(&err);
		RISK_FUZZ_CHECK(risk_model_contribs(m, x, phi, &err) == LD_OK,
		    "contribs: %s", err.msg);
		RISK_FUZZ_CHECK(risk_model_approx_contribs(m, x, phi, &err) ==
		    LD_OK, "approx contribs: %s", err.msg);
		RISK_FUZZ_CHECK(risk_model_points(m, &s, x, &score, &base, pts,
		    &err) == LD_OK, "points: %s", err.msg);
		if (m->kind == RISK_MODEL_SCORECARD) {
			double sum = base;

			for (i = 0; i < F; i++)
				sum += pts[i];
			/* Integer points, so the parts add up exactly. */
			RISK_FUZZ_CHECK(sum == score && score == floor(score) &&
			    fabs(score) <= 2e9, "card score %g, parts %g",
			    score, sum);
			RISK_FUZZ_CHECK(isfinite(mg), "card margin %g", mg);
		}
		RISK_FUZZ_CHECK(risk_model_points(m, &odd, x, &score, NULL,
		    NULL, &err) == LD_OK, "points: %s", err.msg);
	}
	/* A batch gives the same bits as row by row. */
	RISK_FUZZ_CHECK(risk_model_contribs_batch(m, X, RISK_FUZZ_ROWS, bphi,
	    &err) == LD_OK, "batch: %s", err.msg);
	for (r = 0; r < RISK_FUZZ_ROWS; r++) {
		RISK_FUZZ_CHECK(risk_model_contribs(m, X + r * F, phi, &err) ==
		    LD_OK, "contribs: %s", err.msg);
		RISK_FUZZ_CHECK(memcmp(phi, bphi + r * (F + 1),
		    (F + 1) * sizeof *phi) == 0, "batch row %zu differs", r);
	}
	free(X);
	free(phi);
	free(bphi);
	free(pts);
	free(names);
}

/* Loads the input as a model; a refusal must name the file. */
static int
risk_fuzz_model_input(const uint8_t *data, size_t size)
{
	struct risk_model	*m = NULL;
	struct ld_err		 err;

	ld_err_clear(&err);
	if (risk_model_load((const char *)data, size, "fuzz.json", &m,
	    &err) != LD_OK) {
		RISK_FUZZ_CHECK(m == NULL, "model returned with an error");
		RISK_FUZZ_CHECK(err.code != LD_OK &&
		    strncmp(err.msg, "fuzz.json: ", 11) == 0,
		    "refusal does not name the file first: \"%s\"", err.msg);
		return 0;
	}
	risk_fuzz_model(m, data, size);
	risk_model_free(m);
	return 0;
}

#endif
