/*
 * Risk models against known answers.  XGBoost answers come from xgboost
 * itself: the suite's init trains models with /usr/bin/python3 and
 * python3-xgboost (tests/xgb/gen_models.py) into a temporary directory
 * and the tests compare margins, probabilities, pred_contribs and
 * approx_contribs within 1e-6 (the implementation aims at bit-exact and
 * the test prints the largest difference).  No xgboost means the suite
 * fails.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_err.h"
#include "risk/risk_model.h"
#include "risk/risk_model_int.h"
#include "tests/ld_test.h"

#define TOL	1e-6

static char	 tmpdir[] = "/tmp/ld-risk-model-XXXXXX";
static int	 have_dir;

static int
suite_init(void)
{
	const char	*src = getenv("top_srcdir");
	char		*cmd;
	int		 rc;

	if (src == NULL)
		src = ".";
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	have_dir = 1;
	cmd = ld_asprintf("/usr/bin/python3 '%s/tests/xgb/gen_models.py' "
	    "'%s' >/dev/null", src, tmpdir);
	rc = system(cmd);
	free(cmd);
	if (rc != 0) {
		fprintf(stderr, "gen_models.py failed (is python3-xgboost "
		    "installed?)\n");
		return -1;
	}
	return 0;
}

static int
suite_clean(void)
{
	char	*cmd;

	if (!have_dir)
		return 0;
	cmd = ld_asprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	free(cmd);
	return 0;
}

static char *
path_of(const char *name)
{
	return ld_asprintf("%s/%s", tmpdir, name);
}

static struct risk_model *
load(const char *name)
{
	struct risk_model	*m = NULL;
	struct ld_err		 err;
	char			*p = path_of(name);

	ld_err_clear(&err);
	if (risk_model_load_file(p, &m, &err) != LD_OK)
		fprintf(stderr, "\n%s\n", err.msg);
	free(p);
	return m;
}

/* Reads a whitespace-separated matrix ("nan" allowed); rows counted. */
static double *
read_matrix(const char *name, size_t cols, size_t *rows)
{
	struct ld_buf	 b;
	struct ld_err	 err;
	char		*p = path_of(name), *s, *end;
	double		*v = NULL;
	size_t		 n = 0, cap = 0;

	ld_buf_init(&b, 0);
	ld_err_clear(&err);
	if (ld_buf_read_file(&b, p, &err) != LD_OK ||
	    ld_buf_append(&b, "", 1) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		free(p);
		ld_buf_free(&b);
		return NULL;
	}
	for (s = b.data;;) {
		double d = strtod(s, &end);

		if (end == s)
			break;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			v = ld_reallocarray(v, cap, sizeof *v);
		}
		v[n++] = d;
		s = end;
	}
	*rows = n / cols;
	if (n % cols != 0) {
		fprintf(stderr, "%s: %zu values, not a multiple of %zu\n", p, n,
		    cols);
		free(v);
		v = NULL;
	}
	free(p);
	ld_buf_free(&b);
	return v;
}

struct diff {
	double	 margin, prob, contribs, approx, local;
};

/* Compares a model with xgboost's answers for it; returns max diffs. */
static void
compare_model(const char *model_file, const char *stem, size_t min_rows)
{
	struct risk_model	*m = load(model_file);
	char			 name[128];
	double			*X, *mg, *pr, *ct, *ap, *phi;
	size_t			 F, n, r, j, nr;
	struct diff		 d = { 0, 0, 0, 0, 0 };
	struct ld_err		 err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	F = risk_model_nfeatures(m);
	snprintf(name, sizeof name, "%s.data.txt", stem);
	X = read_matrix(name, F, &n);
	snprintf(name, sizeof name, "%s.margin.txt", stem);
	mg = read_matrix(name, 1, &nr);
	CU_ASSERT_EQUAL(nr, n);
	snprintf(name, sizeof name, "%s.prob.txt", stem);
	pr = read_matrix(name, 1, &nr);
	CU_ASSERT_EQUAL(nr, n);
	snprintf(name, sizeof name, "%s.contribs.txt", stem);
	ct = read_matrix(name, F + 1, &nr);
	CU_ASSERT_EQUAL(nr, n);
	snprintf(name, sizeof name, "%s.approx.txt", stem);
	ap = read_matrix(name, F + 1, &nr);
	CU_ASSERT_EQUAL(nr, n);
	CU_ASSERT_FATAL(X != NULL && mg != NULL && pr != NULL && ct != NULL &&
	    ap != NULL);
	CU_ASSERT(n >= min_rows);
	phi = ld_calloc(F + 1, sizeof *phi);
	for (r = 0; r < n; r++) {
		const double *x = X + r * F;
		double v, sum = 0;

		v = risk_model_margin(m, x);
		d.margin = fmax(d.margin, fabs(v - mg[r]));
		v = risk_model_probability(m, x);
		d.prob = fmax(d.prob, fabs(v - pr[r]));
		CU_ASSERT_EQUAL(risk_model_contribs(m, x, phi, &err), LD_OK);
		for (j = 0; j <= F; j++) {
			d.contribs = fmax(d.contribs,
			    fabs(phi[j] - ct[r * (F + 1) + j]));
			sum += phi[j];
		}
		d.local = fmax(d.local, fabs(sum - mg[r]));
		CU_ASSERT_EQUAL(risk_model_approx_contribs(m, x, phi, &err),
		    LD_OK);
		for (j = 0; j <= F; j++)
			d.approx = fmax(d.approx,
			    fabs(phi[j] - ap[r * (F + 1) + j]));
	}
	/* The batch entry point gives the same numbers as row by row. */
	{
		double *bphi = ld_calloc(n * (F + 1), sizeof *bphi);
		size_t same = 0;

		CU_ASSERT_EQUAL(risk_model_contribs_batch(m, X, n, bphi,
		    &err), LD_OK);
		for (r = 0; r < n; r++) {
			CU_ASSERT_EQUAL(risk_model_contribs(m, X + r * F, phi,
			    &err), LD_OK);
			same += memcmp(phi, bphi + r * (F + 1),
			    (F + 1) * sizeof *phi) == 0;
		}
		CU_ASSERT_EQUAL(same, n);
		free(bphi);
	}
	printf("\n    %s: %zu rows, max |diff| margin %.3g prob %.3g "
	    "contribs %.3g approx %.3g (sum(phi)-margin %.3g) ", model_file, n,
	    d.margin, d.prob, d.contribs, d.approx, d.local);
	CU_ASSERT(d.margin <= TOL);
	CU_ASSERT(d.prob <= TOL);
	CU_ASSERT(d.contribs <= TOL);
	CU_ASSERT(d.approx <= TOL);
	CU_ASSERT(d.local <= 1e-5);
	free(phi);
	free(X);
	free(mg);
	free(pr);
	free(ct);
	free(ap);
	risk_model_free(m);
}

static void
test_xgb_big(void)
{
	compare_model("big.json", "big", 300);
}

static void
test_xgb_big_bracket_base_score(void)
{
	compare_model("big.bracket.json", "big", 300);
}

static void
test_xgb_d5_unnamed(void)
{
	struct risk_model *m = load("d5.json");

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(risk_model_feature_name(m, 0), "f0");
	CU_ASSERT_STRING_EQUAL(risk_model_feature_name(m, 9), "f9");
	CU_ASSERT_PTR_NULL(risk_model_feature_name(m, 10));
	risk_model_free(m);
	compare_model("d5.json", "d5", 200);
}

static void
test_xgb_tiny(void)
{
	struct risk_model	*m = load("tiny.json");
	const char		*want[] = { "age", "network_months",
	    "monthly_bill_fen", "device_risk", "night_activity_ratio",
	    "external_score", "multi_apply_30d", "prior_loans_repaid",
	    "requested_amount_fen", "app_sessions_30d" };
	struct ld_err		 err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(risk_model_kind(m), RISK_MODEL_XGBOOST);
	CU_ASSERT_EQUAL(risk_model_nfeatures(m), 10);
	CU_ASSERT_EQUAL(risk_model_feature_index(m, "external_score"), 5);
	CU_ASSERT_EQUAL(risk_model_feature_index(m, "nope"), (size_t)-1);
	CU_ASSERT_EQUAL(risk_model_check_features(m, want, 10, &err), LD_OK);
	CU_ASSERT_EQUAL(risk_model_check_features(m, want, 9, &err),
	    LD_EINVAL);
	want[3] = "device_score";
	CU_ASSERT_EQUAL(risk_model_check_features(m, want, 10, &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "device_risk"));
	risk_model_free(m);
	compare_model("tiny.json", "tiny", 60);
}

static void
test_xgb_deep(void)
{
	struct risk_model	*m = load("deep.json");
	size_t			 i, big = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* Make sure the untabulated path is what this model exercises. */
	for (i = 0; i < m->xgb.nleaves; i++)
		if (m->xgb.leaves[i].table == SIZE_MAX &&
		    m->xgb.leaves[i].ud > 0)
			big++;
	printf("\n    deep.json: %zu of %zu leaves computed per row ", big,
	    m->xgb.nleaves);
	CU_ASSERT(big > 0);
	risk_model_free(m);
	compare_model("deep.json", "deep", 150);
}

static void
expect_refusal(const char *file, enum ld_status want, const char *needle)
{
	struct risk_model	*m = (struct risk_model *)1;
	struct ld_err		 err;
	char			*p = path_of(file);

	ld_err_clear(&err);
	CU_ASSERT_EQUAL(risk_model_load_file(p, &m, &err), want);
	CU_ASSERT_PTR_NULL(m);
	if (err.code != want)
		fprintf(stderr, "\n%s: status %d: %s\n", file, err.code,
		    err.msg);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, needle));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, file));
	if (strstr(err.msg, needle) == NULL)
		fprintf(stderr, "\n%s: got \"%s\"\n", file, err.msg);
	free(p);
}

static void
test_xgb_refusals(void)
{
	expect_refusal("refuse_multiclass.json", LD_EUNSUPPORTED,
	    "multi-class");
	expect_refusal("refuse_dart.json", LD_EUNSUPPORTED, "\"dart\"");
	expect_refusal("refuse_gblinear.json", LD_EUNSUPPORTED,
	    "\"gblinear\"");
	expect_refusal("refuse_categorical.json", LD_EUNSUPPORTED,
	    "categorical");
	expect_refusal("refuse_ubjson.ubj", LD_EUNSUPPORTED, "UBJSON");
	expect_refusal("refuse_featcount.json", LD_EINVAL,
	    "feature_names has 9 names but num_feature is 10");
	expect_refusal("no_such_file.json", LD_ENOTFOUND, "no_such_file");
}

/* Loads tiny.json with one substring replaced; returns status and msg. */
static enum ld_status
load_edited(const char *from, const char *to, struct ld_err *err)
{
	struct ld_buf		 b, e;
	struct risk_model	*m = NULL;
	char			*p = path_of("tiny.json"), *at;
	enum ld_status		 st;

	ld_buf_init(&b, 0);
	ld_buf_init(&e, 0);
	ld_err_clear(err);
	CU_ASSERT_EQUAL_FATAL(ld_buf_read_file(&b, p, err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_buf_append(&b, "", 1), LD_OK);
	at = strstr(b.data, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	CU_ASSERT_EQUAL(ld_buf_append(&e, b.data, (size_t)(at - b.data)),
	    LD_OK);
	CU_ASSERT_EQUAL(ld_buf_puts(&e, to), LD_OK);
	CU_ASSERT_EQUAL(ld_buf_puts(&e, at + strlen(from)), LD_OK);
	st = risk_model_load(e.data, e.len, "edited.json", &m, err);
	risk_model_free(m);
	ld_buf_free(&b);
	ld_buf_free(&e);
	free(p);
	return st;
}

static void
test_xgb_malformed(void)
{
	struct ld_err	 err;

	CU_ASSERT_EQUAL(load_edited("\"left_children\":[1,",
	    "\"left_children\":[7,", &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "edited.json: tree 0 node 0"));
	CU_ASSERT_EQUAL(load_edited("\"split_indices\":[",
	    "\"split_indices\":[12,", &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "split_indices has"));
	CU_ASSERT_EQUAL(load_edited("\"split_indices\":[",
	    "\"split_indices\":[1", &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not below num_feature"));
	CU_ASSERT_EQUAL(load_edited("\"num_feature\":\"10\"",
	    "\"num_feature\":\"11\"", &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "11"));
	CU_ASSERT_EQUAL(load_edited("\"binary:logistic\"",
	    "\"reg:squarederror\"", &err), LD_EUNSUPPORTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "reg:squarederror"));
	CU_ASSERT_EQUAL(load_edited("\"version\":[1,", "\"version\":[4,",
	    &err), LD_EUNSUPPORTED);
	CU_ASSERT_EQUAL(load_edited("\"base_score\":\"5E-1\"",
	    "\"base_score\":\"[5E-1,5E-1]\"", &err), LD_EUNSUPPORTED);
	CU_ASSERT_EQUAL(load_edited("\"base_score\":\"5E-1\"",
	    "\"base_score\":\"1.5\"", &err), LD_EINVAL);
	CU_ASSERT_EQUAL(load_edited("\"split_type\":[0", "\"split_type\":[1",
	    &err), LD_EUNSUPPORTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "tree 0 node 0: categorical"));
	CU_ASSERT_EQUAL(load_edited("\"learner\":", "\"learner\": [1,}",
	    &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "edited.json: line 1 column"));
	/* What xgboost 2.x and 3.x write differently is accepted. */
	CU_ASSERT_EQUAL(load_edited("\"base_score\":\"5E-1\"",
	    "\"base_score\":\"[5E-1]\"", &err), LD_OK);
	CU_ASSERT_EQUAL(load_edited("\"version\":[1,7,4]",
	    "\"version\":[3,1,0]", &err), LD_OK);
	CU_ASSERT_EQUAL(load_edited("\"size_leaf_vector\":\"0\"",
	    "\"size_leaf_vector\":\"1\"", &err), LD_OK);
	CU_ASSERT_EQUAL(load_edited("\"tree_info\":",
	    "\"iteration_indptr\":[0,1,2,3],\"tree_info\":", &err), LD_OK);
	CU_ASSERT_EQUAL(load_edited("\"size_leaf_vector\":\"0\"",
	    "\"size_leaf_vector\":\"3\"", &err), LD_EUNSUPPORTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "vector leaves"));
}

static void
test_json_syntax(void)
{
	static const char *const bad[] = {
		"", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":1.}",
		"{\"a\":\"x\\q\"}", "{\"a\":\"\\ud800\"}", "{\"a\":tru}",
		"{\"a\":1} x", "[1]", "{\"a\":\"\x01\"}",
	};
	struct risk_model	*m;
	struct ld_err		 err;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ld_err_clear(&err);
		CU_ASSERT_NOT_EQUAL(risk_model_load(bad[i], strlen(bad[i]),
		    "t.json", &m, &err), LD_OK);
		CU_ASSERT_PTR_NULL(m);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "t.json"));
	}
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(risk_model_load("{\n \"x\": [1, 2\n",
	    strlen("{\n \"x\": [1, 2\n"), "t.json", &m, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "line 3 column 1"));
	CU_ASSERT_EQUAL(risk_model_load("{\"x\": \"\\u4e2d\"}", 15, "t.json",
	    &m, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "neither an XGBoost model"));
}

/* The example card: hand-computed from its numbers. */
static void
test_scorecard_example(void)
{
	const char		*src = getenv("top_srcdir");
	char			*p;
	struct risk_model	*m = NULL;
	struct risk_scale	 s;
	struct ld_err		 err;
	double			 x[4], phi[5], pts[4], score, base, margin;

	p = ld_asprintf("%s/etc/scorecard.example.json", src ? src : ".");
	ld_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(risk_model_load_file(p, &m, &err), LD_OK);
	free(p);
	CU_ASSERT_EQUAL(risk_model_kind(m), RISK_MODEL_SCORECARD);
	CU_ASSERT_EQUAL(risk_model_nfeatures(m), 4);
	CU_ASSERT_STRING_EQUAL(risk_model_feature_name(m, 0),
	    "network_months");
	CU_ASSERT_STRING_EQUAL(risk_model_feature_name(m, 3),
	    "multi_apply_30d");
	/*
	 * network_months 6 is on the cut point: the [6, 24) bin.
	 * external_score missing, night_activity_ratio 0.35 in [0.3, inf),
	 * multi_apply_30d 7 in [7, inf).
	 */
	x[0] = 6;
	x[1] = NAN;
	x[2] = 0.35;
	x[3] = 7;
	margin = -3.2 + 0.93 * 0.12 + 0.88 * 0.55 + 1.02 * 0.41 +
	    0.97 * 0.95;
	CU_ASSERT_DOUBLE_EQUAL(risk_model_margin(m, x), margin, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(risk_model_probability(m, x),
	    1 / (1 + exp(-margin)), 1e-12);
	CU_ASSERT_EQUAL(risk_model_contribs(m, x, phi, &err), LD_OK);
	CU_ASSERT_DOUBLE_EQUAL(phi[0], 0.93 * 0.12, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(phi[1], 0.88 * 0.55, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(phi[4], -3.2, 1e-12);
	risk_scale_default(&s);
	CU_ASSERT_EQUAL(risk_model_points(m, &s, x, &score, &base, pts, &err),
	    LD_OK);
	CU_ASSERT_DOUBLE_EQUAL(base, 579, 0);
	CU_ASSERT_DOUBLE_EQUAL(pts[0], -3, 0);
	CU_ASSERT_DOUBLE_EQUAL(pts[1], -14, 0);
	CU_ASSERT_DOUBLE_EQUAL(pts[2], -12, 0);
	CU_ASSERT_DOUBLE_EQUAL(pts[3], -27, 0);
	CU_ASSERT_DOUBLE_EQUAL(score, 579 - 3 - 14 - 12 - 27, 0);
	/* Just below the cut point: the first bin. */
	x[0] = nextafter(6, 0);
	CU_ASSERT_EQUAL(risk_model_points(m, &s, x, &score, NULL, pts, &err),
	    LD_OK);
	CU_ASSERT_DOUBLE_EQUAL(pts[0], -16, 0);
	risk_model_free(m);
}

static enum ld_status
card_edit(const char *from, const char *to, struct ld_err *err)
{
	const char		*src = getenv("top_srcdir");
	struct ld_buf		 b, e;
	struct risk_model	*m = NULL;
	char			*p, *at;
	enum ld_status		 st;

	p = ld_asprintf("%s/etc/scorecard.example.json", src ? src : ".");
	ld_buf_init(&b, 0);
	ld_buf_init(&e, 0);
	ld_err_clear(err);
	CU_ASSERT_EQUAL_FATAL(ld_buf_read_file(&b, p, err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_buf_append(&b, "", 1), LD_OK);
	at = strstr(b.data, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	CU_ASSERT_EQUAL(ld_buf_append(&e, b.data, (size_t)(at - b.data)),
	    LD_OK);
	CU_ASSERT_EQUAL(ld_buf_puts(&e, to), LD_OK);
	CU_ASSERT_EQUAL(ld_buf_puts(&e, at + strlen(from)), LD_OK);
	st = risk_model_load(e.data, e.len, "card.json", &m, err);
	risk_model_free(m);
	ld_buf_free(&b);
	ld_buf_free(&e);
	free(p);
	return st;
}

static void
test_scorecard_refusals(void)
{
	struct ld_err	 err;

	CU_ASSERT_EQUAL(card_edit("\"points\": -16", "\"points\": -26", &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg,
	    "features[0] (network_months) bins[0]: points -26"));
	CU_ASSERT_EQUAL(card_edit("\"upper\": 24", "\"upper\": 5", &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bins[1]"));
	CU_ASSERT_EQUAL(card_edit("\"base_points\": 579",
	    "\"base_points\": 590", &err), LD_EINVAL);
	CU_ASSERT_EQUAL(card_edit("\"points\": -16", "\"points\": -15.5",
	    &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not an integer"));
	CU_ASSERT_EQUAL(card_edit("\"missing\"", "\"absent\"", &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "missing is missing"));
	CU_ASSERT_EQUAL(card_edit("\"loandesk-scorecard\"", "\"other\"",
	    &err), LD_EUNSUPPORTED);
	CU_ASSERT_EQUAL(card_edit("\"name\": \"external_score\"",
	    "\"name\": \"network_months\"", &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "repeats"));
}

static void
test_scale(void)
{
	struct risk_scale	 s;

	risk_scale_default(&s);
	CU_ASSERT_EQUAL(s.base_points, 600);
	CU_ASSERT_EQUAL(s.base_odds, 50);
	CU_ASSERT_EQUAL(s.pdo, 20);
	/* good:bad 50:1 is PD 1/51; every doubling of the odds is +20. */
	CU_ASSERT_EQUAL(risk_scale_points(&s, 1.0 / 51), 600);
	CU_ASSERT_EQUAL(risk_scale_points(&s, 1.0 / 101), 620);
	CU_ASSERT_EQUAL(risk_scale_points(&s, 1.0 / 26), 580);
	CU_ASSERT_EQUAL(risk_scale_points(&s, 0.5), 487);
	CU_ASSERT_EQUAL(risk_scale_points(&s, 0), 9999);
	CU_ASSERT_EQUAL(risk_scale_points(&s, 1), -9999);
	CU_ASSERT_EQUAL(risk_scale_points(&s, NAN), -9999);
	CU_ASSERT_DOUBLE_EQUAL(risk_scale_score_of_margin(&s, 0),
	    600 - 20 * log(50) / log(2), 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(risk_scale_points_of_margin(&s, log(2)), -20,
	    1e-12);
	CU_ASSERT_DOUBLE_EQUAL(risk_scale_points_of_margin(&s, -log(4)), 40,
	    1e-12);
	s.base_points = 500;
	s.base_odds = 20;
	s.pdo = 50;
	CU_ASSERT_EQUAL(risk_scale_points(&s, 1.0 / 21), 500);
	CU_ASSERT_EQUAL(risk_scale_points(&s, 1.0 / 41), 550);
	CU_ASSERT_STRING_EQUAL(risk_scale_band(700), "A");
	CU_ASSERT_STRING_EQUAL(risk_scale_band(640), "A");
	CU_ASSERT_STRING_EQUAL(risk_scale_band(639), "B");
	CU_ASSERT_STRING_EQUAL(risk_scale_band(620), "B");
	CU_ASSERT_STRING_EQUAL(risk_scale_band(619), "C");
	CU_ASSERT_STRING_EQUAL(risk_scale_band(600), "C");
	CU_ASSERT_STRING_EQUAL(risk_scale_band(599), "D");
	CU_ASSERT_STRING_EQUAL(risk_scale_band(570), "D");
	CU_ASSERT_STRING_EQUAL(risk_scale_band(569), "E");
	CU_ASSERT_STRING_EQUAL(risk_scale_band(-9999), "E");
}

/* XGBoost points: additive, and the same scale as a scorecard's. */
static void
test_xgb_points(void)
{
	struct risk_model	*m = load("big.json");
	struct risk_scale	 s;
	struct ld_err		 err;
	double			 x[10], phi[11], pts[10], score, base, sum;
	size_t			 j;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	risk_scale_default(&s);
	for (j = 0; j < 10; j++)
		x[j] = NAN;
	x[0] = 30;
	x[6] = 5;
	CU_ASSERT_EQUAL(risk_model_points(m, &s, x, &score, &base, pts, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(risk_model_contribs(m, x, phi, &err), LD_OK);
	sum = base;
	for (j = 0; j < 10; j++) {
		CU_ASSERT_DOUBLE_EQUAL(pts[j], -20 / log(2) * phi[j], 1e-9);
		sum += pts[j];
	}
	CU_ASSERT_DOUBLE_EQUAL(sum, score, 1e-4);
	CU_ASSERT_EQUAL((int)lround(score),
	    risk_scale_points(&s, risk_model_probability(m, x)));
	risk_model_free(m);
}

static const struct ld_test_case xgb_cases[] = {
	LD_TEST(test_xgb_tiny),
	LD_TEST(test_xgb_big),
	LD_TEST(test_xgb_big_bracket_base_score),
	LD_TEST(test_xgb_d5_unnamed),
	LD_TEST(test_xgb_deep),
	LD_TEST(test_xgb_refusals),
	LD_TEST(test_xgb_malformed),
	LD_TEST(test_xgb_points),
	LD_TEST_END
};

static const struct ld_test_case card_cases[] = {
	LD_TEST(test_json_syntax),
	LD_TEST(test_scorecard_example),
	LD_TEST(test_scorecard_refusals),
	LD_TEST(test_scale),
	LD_TEST_END
};

int
main(void)
{
	LD_TEST_INIT();
	ld_test_suite("xgboost vs python3-xgboost", suite_init, suite_clean,
	    xgb_cases);
	ld_test_suite("scorecard, scale, json", NULL, NULL, card_cases);
	return ld_test_run();
}
