/*
 * Loading and evaluating either kind of model behind one interface.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "risk_model_int.h"

/* Largest model file read; a 1000-tree depth-8 model is about 60 MB. */
#define RISK_MODEL_MAX_FILE	(256u * 1024 * 1024)

static enum ld_status
model_sniff(const char *text, size_t len, const char *origin,
    struct ld_err *err)
{
	size_t	 i = 0;

	if (memchr(text, '\0', len) != NULL || (len > 1 && text[0] == '{' &&
	    text[1] != '"' && text[1] != '}' && text[1] != ' ' &&
	    text[1] != '\n' && text[1] != '\r' && text[1] != '\t'))
		return ld_err_set(err, LD_EUNSUPPORTED, "%s: binary data, "
		    "probably UBJSON; save the model as JSON with "
		    "save_model(\"model.json\")", origin);
	while (i < len && (text[i] == ' ' || text[i] == '\n' ||
	    text[i] == '\r' || text[i] == '\t'))
		i++;
	if (i == len || text[i] != '{')
		return ld_err_set(err, LD_EINVAL, "%s: not a JSON object",
		    origin);
	return LD_OK;
}

struct name_ix {
	const char	*s;
	size_t		 i;
};

static int
name_ix_cmp(const void *a, const void *b)
{
	const struct name_ix	*x = a, *y = b;
	int			 c = strcmp(x->s, y->s);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

int
risk_names_repeat(char *const *names, size_t n, size_t *dup, size_t *first)
{
	struct name_ix	*v;
	size_t		 i, j, best = SIZE_MAX, bfirst = 0;

	if (n < 2)
		return 0;
	/* Sorted, equal names are neighbours: n log n, not n^2. */
	v = ld_reallocarray(NULL, n, sizeof *v);
	for (i = 0; i < n; i++) {
		v[i].s = names[i];
		v[i].i = i;
	}
	qsort(v, n, sizeof *v, name_ix_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(v[j].s, v[i].s) == 0; j++)
			;
		if (j - i > 1 && v[i + 1].i < best) {
			best = v[i + 1].i;
			bfirst = v[i].i;
		}
	}
	free(v);
	if (best == SIZE_MAX)
		return 0;
	*dup = best;
	*first = bfirst;
	return 1;
}

enum ld_status
risk_model_load(const char *text, size_t len, const char *origin,
    struct risk_model **out, struct ld_err *err)
{
	struct risk_model	*m;
	struct risk_json	*doc;
	const struct risk_json	*fmt;
	struct ld_err		 local;
	enum ld_status		 st;

	*out = NULL;
	/* The loaders read err->code back; give them somewhere to write. */
	if (err == NULL)
		err = &local;
	if (origin == NULL)
		origin = "model";
	if ((st = model_sniff(text, len, origin, err)) != LD_OK)
		return st;
	if ((st = risk_json_parse(text, len, origin, &doc, err)) != LD_OK)
		return st;
	m = ld_calloc(1, sizeof *m);
	m->origin = ld_strdup(origin);
	fmt = risk_json_get(doc, "format");
	if (fmt != NULL) {
		m->kind = RISK_MODEL_SCORECARD;
		st = risk_card_load(m, doc, err);
	} else if (risk_json_get(doc, "learner") != NULL) {
		m->kind = RISK_MODEL_XGBOOST;
		st = risk_xgb_load(m, doc, err);
	} else
		st = ld_err_set(err, LD_EINVAL, "%s: neither an XGBoost model "
		    "(no \"learner\") nor a scorecard (no \"format\")", origin);
	risk_json_free(doc);
	if (st != LD_OK) {
		risk_model_free(m);
		return st;
	}
	*out = m;
	return LD_OK;
}

enum ld_status
risk_model_load_file(const char *path, struct risk_model **out,
    struct ld_err *err)
{
	struct ld_buf	 b;
	enum ld_status	 st;

	*out = NULL;
	ld_buf_init(&b, RISK_MODEL_MAX_FILE);
	if ((st = ld_buf_read_file(&b, path, err)) == LD_OK)
		st = risk_model_load(b.data != NULL ? b.data : "", b.len, path,
		    out, err);
	ld_buf_free(&b);
	return st;
}

void
risk_model_free(struct risk_model *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	if (m->names != NULL)
		for (i = 0; i < m->nfeatures; i++)
			free(m->names[i]);
	free(m->names);
	risk_xgb_free(&m->xgb);
	risk_card_free(m);
	free(m->origin);
	free(m);
}

enum risk_model_kind
risk_model_kind(const struct risk_model *m)
{
	return m->kind;
}

size_t
risk_model_nfeatures(const struct risk_model *m)
{
	return m->nfeatures;
}

const char *
risk_model_feature_name(const struct risk_model *m, size_t i)
{
	return i < m->nfeatures ? m->names[i] : NULL;
}

size_t
risk_model_feature_index(const struct risk_model *m, const char *name)
{
	size_t	 i;

	for (i = 0; i < m->nfeatures; i++)
		if (strcmp(m->names[i], name) == 0)
			return i;
	return (size_t)-1;
}

enum ld_status
risk_model_check_features(const struct risk_model *m,
    const char *const *names, size_t n, struct ld_err *err)
{
	size_t	 i;

	for (i = 0; i < n && i < m->nfeatures; i++)
		if (strcmp(names[i], m->names[i]) != 0)
			return ld_err_set(err, LD_EINVAL, "%s: feature %zu is "
			    "\"%s\", expected \"%s\"", m->origin, i,
			    m->names[i], names[i]);
	if (n != m->nfeatures)
		return ld_err_set(err, LD_EINVAL, "%s: the model has %zu "
		    "features, expected %zu", m->origin, m->nfeatures, n);
	return LD_OK;
}

double
risk_model_margin(const struct risk_model *m, const double *x)
{
	if (m->kind == RISK_MODEL_SCORECARD)
		return risk_card_margin(m, x);
	return risk_xgb_margin(m, x);
}

double
risk_model_probability(const struct risk_model *m, const double *x)
{
	return risk_model_probability_of_margin(m, risk_model_margin(m, x));
}

double
risk_model_probability_of_margin(const struct risk_model *m, double margin)
{
	float	 mf;

	if (m->kind == RISK_MODEL_SCORECARD)
		return 1.0 / (1.0 + exp(-margin));
	/* xgboost's single-precision Sigmoid(). */
	mf = (float)margin;
	return 1.0f / (expf(fminf(-mf, 88.7f)) + 1.0f);
}

enum ld_status
risk_model_contribs(const struct risk_model *m, const double *x,
    double *phi, struct ld_err *err)
{
	return risk_model_contribs_batch(m, x, 1, phi, err);
}

/* Rows per pass over the trees: their scratch stays small. */
#define CONTRIB_BLOCK	64

enum ld_status
risk_model_contribs_batch(const struct risk_model *m, const double *x,
    size_t nrows, double *phi, struct ld_err *err)
{
	float	 scratch[512], *tphi = scratch;
	size_t	 F = m->nfeatures, i, nb, need;

	(void)err;
	if (m->kind == RISK_MODEL_SCORECARD) {
		for (i = 0; i < nrows; i++)
			risk_card_contribs(m, x + i * F, phi + i * (F + 1));
		return LD_OK;
	}
	nb = nrows < CONTRIB_BLOCK ? nrows : CONTRIB_BLOCK;
	need = nb * m->xgb.max_tree_feats;
	/* One row of an ordinary model needs no allocation. */
	if (need > sizeof scratch / sizeof scratch[0])
		tphi = ld_reallocarray(NULL, need ? need : 1, sizeof *tphi);
	for (i = 0; i < nrows; i += nb) {
		if (nrows - i < nb)
			nb = nrows - i;
		risk_xgb_contribs_rows(m, x + i * F, nb, phi + i * (F + 1),
		    tphi);
	}
	if (tphi != scratch)
		free(tphi);
	return LD_OK;
}

enum ld_status
risk_model_approx_contribs(const struct risk_model *m, const double *x,
    double *phi, struct ld_err *err)
{
	float	 scratch[1024], *tacc;

	(void)err;
	if (m->kind == RISK_MODEL_SCORECARD) {
		/* A scorecard is additive already: both are exact. */
		risk_card_contribs(m, x, phi);
		return LD_OK;
	}
	/* Per-tree sums, zero between trees: no clearing per row. */
	if (m->nfeatures <= sizeof scratch / sizeof scratch[0]) {
		memset(scratch, 0, m->nfeatures * sizeof scratch[0]);
		tacc = scratch;
	} else
		tacc = ld_calloc(m->nfeatures, sizeof *tacc);
	risk_xgb_approx_contribs(m, x, phi, tacc);
	if (tacc != scratch)
		free(tacc);
	return LD_OK;
}

enum ld_status
risk_model_points(const struct risk_model *m, const struct risk_scale *s,
    const double *x, double *score, double *base_points, double *points,
    struct ld_err *err)
{
	double		 phi_small[64], *phi = phi_small, bias;
	size_t		 i, F = m->nfeatures;
	enum ld_status	 st;

	if (m->kind == RISK_MODEL_SCORECARD) {
		*score = risk_card_points(m, x, points);
		if (base_points != NULL)
			*base_points = m->card.base_points;
		return LD_OK;
	}
	if (F + 1 > sizeof phi_small / sizeof phi_small[0])
		phi = ld_reallocarray(NULL, F + 1, sizeof *phi);
	st = risk_model_contribs(m, x, phi, err);
	if (st == LD_OK) {
		bias = phi[F];
		if (points != NULL)
			for (i = 0; i < F; i++)
				points[i] = risk_scale_points_of_margin(s,
				    phi[i]);
		if (base_points != NULL)
			*base_points = risk_scale_score_of_margin(s, bias);
		*score = risk_scale_score_of_margin(s,
		    risk_model_margin(m, x));
	}
	if (phi != phi_small)
		free(phi);
	return st;
}
