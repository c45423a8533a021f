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
#include <sys/wait.h>

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

/*
 * Loads tiny.json with substrings replaced, pairs[2k] by pairs[2k + 1],
 * each at its first occurrence (tree 0's arrays come first); returns the
 * status and err.
 */
static enum ld_status
load_edits(const char *const *pairs, size_t npairs, struct ld_err *err)
{
	struct ld_buf		 b, e;
	struct risk_model	*m = NULL;
	char			*p = path_of("tiny.json"), *at;
	enum ld_status		 st;
	size_t			 k;

	ld_buf_init(&b, 0);
	ld_err_clear(err);
	CU_ASSERT_EQUAL_FATAL(ld_buf_read_file(&b, p, err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_buf_append(&b, "", 1), LD_OK);
	for (k = 0; k < npairs; k++) {
		at = strstr(b.data, pairs[2 * k]);
		if (at == NULL)
			fprintf(stderr, "\nnot in tiny.json: %s\n",
			    pairs[2 * k]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(at);
		ld_buf_init(&e, 0);
		CU_ASSERT_EQUAL(ld_buf_append(&e, b.data,
		    (size_t)(at - b.data)), LD_OK);
		CU_ASSERT_EQUAL(ld_buf_puts(&e, pairs[2 * k + 1]), LD_OK);
		CU_ASSERT_EQUAL(ld_buf_puts(&e, at + strlen(pairs[2 * k])),
		    LD_OK);
		CU_ASSERT_EQUAL(ld_buf_append(&e, "", 1), LD_OK);
		ld_buf_free(&b);
		b = e;
	}
	st = risk_model_load(b.data, b.len - 1, "edited.json", &m, err);
	CU_ASSERT((st == LD_OK) == (m != NULL));
	risk_model_free(m);
	ld_buf_free(&b);
	free(p);
	return st;
}

/* Loads tiny.json with one substring replaced; returns status and msg. */
static enum ld_status
load_edited(const char *from, const char *to, struct ld_err *err)
{
	const char *pairs[2];

	pairs[0] = from;
	pairs[1] = to;
	return load_edits(pairs, 1, err);
}

/* The edit is refused with want and a message containing needle. */
static void
expect_edit(const char *from, const char *to, enum ld_status want,
    const char *needle)
{
	struct ld_err	 err;
	enum ld_status	 st = load_edited(from, to, &err);

	CU_ASSERT_EQUAL(st, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, needle));
	if (want != LD_OK)
		CU_ASSERT_EQUAL(strncmp(err.msg, "edited.json: ", 13), 0);
	if (st != want || strstr(err.msg, needle) == NULL)
		fprintf(stderr, "\n%s -> %s: status %d \"%s\", want \"%s\"\n",
		    from, to, st, err.msg, needle);
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

/*
 * Trees that are not trees, each naming the tree and the node.  Tree 0
 * of tiny.json is a full depth-2 tree: node 0 splits into 1 and 2, 1 into
 * leaves 3 and 4, 2 into leaves 5 and 6.
 */
static void
test_xgb_not_trees(void)
{
	/* Leaf 3 made a split back up to node 1: a cycle. */
	const char *cycle[] = {
		"\"left_children\":[1,3,5,-1,", "\"left_children\":[1,3,5,1,",
		"\"right_children\":[2,4,6,-1,", "\"right_children\":[2,4,6,4,",
	};
	/* Node 1 its own child. */
	const char *self[] = {
		"\"left_children\":[1,3,", "\"left_children\":[1,1,",
	};
	struct ld_err err;

	CU_ASSERT_EQUAL(load_edits(cycle, 2, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "edited.json: tree 0 node 1 "
	    "is a child of both node 0 and node 3 (a cycle or a shared "
	    "child: not a tree)"));
	CU_ASSERT_EQUAL(load_edits(self, 1, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "tree 0 node 1 is a child of "
	    "both node 0 and node 1"));
	/* Node 4 shared by nodes 1 and 2 (and 5 left out). */
	expect_edit("\"left_children\":[1,3,5,", "\"left_children\":[1,3,4,",
	    LD_EINVAL, "tree 0 node 4 is a child of both node 1 and node 2");
	/* A child pointing at the root. */
	expect_edit("\"right_children\":[2,4,6,", "\"right_children\":[2,0,6,",
	    LD_EINVAL, "tree 0 node 1: right child is node 0, the root");
	/* Node 2 made a leaf: 5 and 6 hang in the air. */
	{
		const char *orphan[] = {
			"\"left_children\":[1,3,5,",
			"\"left_children\":[1,3,-1,",
			"\"right_children\":[2,4,6,",
			"\"right_children\":[2,4,-1,",
		};

		CU_ASSERT_EQUAL(load_edits(orphan, 2, &err), LD_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "edited.json: tree 0 "
		    "node 5 is not reachable from the root and not marked "
		    "deleted"));
	}
	/* Leaf/split inconsistency: one child only. */
	expect_edit("\"left_children\":[1,3,5,", "\"left_children\":[1,3,-1,",
	    LD_EINVAL, "tree 0 node 2: left child -1, right child 6: a leaf "
	    "has neither");
	expect_edit("\"right_children\":[2,4,6,-1,",
	    "\"right_children\":[2,4,6,5,", LD_EINVAL,
	    "tree 0 node 3: left child -1, right child 5");
	/* Out of range either way, and both children the same node. */
	expect_edit("\"left_children\":[1,3,5,", "\"left_children\":[1,3,9,",
	    LD_EINVAL, "tree 0 node 2: left child 9 is not a node "
	    "(num_nodes 7)");
	expect_edit("\"right_children\":[2,4,", "\"right_children\":[2,-7,",
	    LD_EINVAL, "tree 0 node 1: right child -7 is not a node");
	expect_edit("\"right_children\":[2,4,", "\"right_children\":[2,"
	    "2147483647,", LD_EINVAL, "right child 2147483647 is not a node");
	expect_edit("\"left_children\":[1,3,5,", "\"left_children\":[1,3,6,",
	    LD_EINVAL, "tree 0 node 2: both children are node 6");
	/* A split on a feature the model does not have. */
	expect_edit("\"split_indices\":[3,5,5,",
	    "\"split_indices\":[3,5,2147483647,", LD_EINVAL,
	    "tree 0 node 2: split_indices 2147483647 is not below "
	    "num_feature 10");
	expect_edit("\"split_indices\":[3,5,5,", "\"split_indices\":[3,-1,5,",
	    LD_EINVAL, "tree 0 node 1: split_indices -1 is not below");
	/* The walk is told apart from the arrays: a later tree too. */
	expect_edit("\"id\":2,\"left_children\":[1,3,5,",
	    "\"id\":2,\"left_children\":[1,3,4,", LD_EINVAL,
	    "tree 2 node 4 is a child of both node 1 and node 2");
}

/*
 * Nodes xgboost's pruner deleted: unreachable leaves whose split index
 * is 2147483647 and default_left 1, counted by num_deleted.  Accepted as
 * such, refused otherwise.
 */
static void
test_xgb_deleted_nodes(void)
{
	const char *ok[] = {
		"\"left_children\":[1,3,5,", "\"left_children\":[1,3,-1,",
		"\"right_children\":[2,4,6,", "\"right_children\":[2,4,-1,",
		"\"split_indices\":[3,5,5,0,0,0,0]",
		"\"split_indices\":[3,5,5,0,0,2147483647,2147483647]",
		"\"default_left\":[0,1,1,0,0,0,0]",
		"\"default_left\":[0,1,1,0,0,1,1]",
		"\"num_deleted\":\"0\"", "\"num_deleted\":\"2\"",
	};
	const char *reached[] = {
		"\"split_indices\":[3,5,5,0,0,0,0]",
		"\"split_indices\":[3,5,5,2147483647,0,0,0]",
		"\"default_left\":[0,1,1,0,0,0,0]",
		"\"default_left\":[0,1,1,1,0,0,0]",
		"\"num_deleted\":\"0\"", "\"num_deleted\":\"1\"",
	};
	struct ld_err err;

	CU_ASSERT_EQUAL(load_edits(ok, 5, &err), LD_OK);
	if (err.code != LD_OK)
		fprintf(stderr, "\n%s\n", err.msg);
	/* The count must agree with the marks, as xgboost checks. */
	CU_ASSERT_EQUAL(load_edits(ok, 4, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "edited.json: tree 0: 2 nodes "
	    "are marked deleted but tree_param.num_deleted is 0"));
	/* Marked, but without default_left: not xgboost's mark. */
	{
		const char *half[10];

		memcpy(half, ok, sizeof half);
		half[7] = "\"default_left\":[0,1,1,0,0,0,1]";
		CU_ASSERT_EQUAL(load_edits(half, 5, &err), LD_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "tree 0 node 5 is not "
		    "reachable"));
	}
	/* A reachable leaf carrying the mark. */
	CU_ASSERT_EQUAL(load_edits(reached, 3, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "tree 0 node 3 is marked "
	    "deleted (split_indices 2147483647) but is reached from node 1"));
	expect_edit("\"num_deleted\":\"0\"", "\"num_deleted\":\"7\"",
	    LD_EINVAL, "tree 0: num_deleted 7 out of range (num_nodes 7)");
	expect_edit("\"num_deleted\":\"0\"", "\"num_deleted\":\"-1\"",
	    LD_EINVAL, "tree 0: num_deleted -1 out of range");
}

/* What xgboost's exact method with pruning writes, against xgboost. */
static void
test_xgb_exact_pruned(void)
{
	struct ld_buf	 b;
	struct ld_err	 err;
	char		*p = path_of("exact.json"), *s;
	size_t		 pruned = 0;

	ld_buf_init(&b, 0);
	CU_ASSERT_EQUAL_FATAL(ld_buf_read_file(&b, p, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_buf_append(&b, "", 1), LD_OK);
	for (s = b.data; (s = strstr(s, "\"num_deleted\":\"")) != NULL; s++)
		pruned += s[15] != '0';
	printf("\n    exact.json: %zu trees with deleted nodes ", pruned);
	CU_ASSERT(pruned > 0);
	ld_buf_free(&b);
	free(p);
	compare_model("exact.json", "exact", 100);
}

/*
 * A one-tree model on one feature "x", a chain: node 2k splits x < k
 * into leaf 2k+1 (value k/1000) and node 2k+2; the last node is a leaf
 * (value depth/1000).  depth splits deep.
 */
static char *
chain_model(size_t depth)
{
	struct ld_buf	 b;
	size_t		 n = 2 * depth + 1, i;
	const char	*arr[] = { "left_children", "right_children",
			    "split_indices", "split_conditions", "default_left",
			    "sum_hessian" };
	size_t		 a;
	char		 num[48];

	ld_buf_init(&b, 0);
	ld_buf_puts(&b, "{\"version\":[1,7,4],\"learner\":{"
	    "\"feature_names\":[\"x\"],\"learner_model_param\":"
	    "{\"base_score\":\"5E-1\",\"num_class\":\"0\","
	    "\"num_feature\":\"1\",\"num_target\":\"1\"},\"objective\":"
	    "{\"name\":\"binary:logistic\"},\"gradient_booster\":"
	    "{\"name\":\"gbtree\",\"model\":{\"gbtree_model_param\":"
	    "{\"num_parallel_tree\":\"1\",\"num_trees\":\"1\"},"
	    "\"tree_info\":[0],\"trees\":[{\"tree_param\":{\"num_nodes\":\"");
	snprintf(num, sizeof num, "%zu", n);
	ld_buf_puts(&b, num);
	ld_buf_puts(&b, "\",\"num_feature\":\"1\"}");
	for (a = 0; a < sizeof arr / sizeof arr[0]; a++) {
		ld_buf_puts(&b, ",\"");
		ld_buf_puts(&b, arr[a]);
		ld_buf_puts(&b, "\":[");
		for (i = 0; i < n; i++) {
			int leaf = i % 2 == 1 || i == n - 1;
			size_t k = i / 2;

			switch (a) {
			case 0:
				snprintf(num, sizeof num, "%ld",
				    leaf ? -1L : (long)(i + 1));
				break;
			case 1:
				snprintf(num, sizeof num, "%ld",
				    leaf ? -1L : (long)(i + 2));
				break;
			case 3:
				snprintf(num, sizeof num, "%.9g", leaf ?
				    (double)(float)(k / 1000.0) : (double)k);
				break;
			case 5:	/* leaves below, one each */
				snprintf(num, sizeof num, "%zu",
				    leaf ? (size_t)1 : depth - k + 1);
				break;
			default:
				snprintf(num, sizeof num, "0");
				break;
			}
			if (i > 0)
				ld_buf_puts(&b, ",");
			ld_buf_puts(&b, num);
		}
		ld_buf_puts(&b, "]");
	}
	ld_buf_puts(&b, "}]}}}}");
	ld_buf_append(&b, "", 1);
	return ld_buf_steal(&b, NULL);
}

/* Depth is bounded (TreeSHAP's buffers are fixed), and checked cheaply. */
static void
test_xgb_depth(void)
{
	struct risk_model	*m = NULL;
	struct ld_err		 err;
	char			*text;
	double			 x, phi[2];

	text = chain_model(RISK_XGB_MAX_DEPTH);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(risk_model_load(text, strlen(text), "chain.json", &m,
	    &err), LD_OK);
	free(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* x = 10.5 passes k = 0..10 (x >= k) and stops at leaf 23 (k 11). */
	x = 10.5;
	CU_ASSERT_EQUAL(risk_model_margin(m, &x), (double)(float)0.011);
	/* Missing goes right all the way (default_left 0): the last leaf. */
	x = NAN;
	CU_ASSERT_EQUAL(risk_model_margin(m, &x), (double)(float)0.030);
	CU_ASSERT_EQUAL(risk_model_contribs(m, &x, phi, &err), LD_OK);
	CU_ASSERT_DOUBLE_EQUAL(phi[0] + phi[1], 0.030, 1e-6);
	CU_ASSERT_EQUAL(risk_model_approx_contribs(m, &x, phi, &err), LD_OK);
	CU_ASSERT_DOUBLE_EQUAL(phi[0] + phi[1], 0.030, 1e-6);
	risk_model_free(m);

	text = chain_model(RISK_XGB_MAX_DEPTH + 1);
	CU_ASSERT_EQUAL(risk_model_load(text, strlen(text), "chain.json", &m,
	    &err), LD_EUNSUPPORTED);
	free(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "chain.json: tree 0 node 60: "
	    "split at depth 30; trees deeper than 30 levels are not "
	    "supported"));
	/* 10^5 levels: refused at level 30, no recursion on the way. */
	text = chain_model(100000);
	CU_ASSERT_EQUAL(risk_model_load(text, strlen(text), "chain.json", &m,
	    &err), LD_EUNSUPPORTED);
	free(text);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "tree 0 node 60: split at "
	    "depth 30"));
}

/* Values a model must not hold, each naming where it is. */
static void
test_xgb_values(void)
{
	expect_edit("\"split_conditions\":[2E0,",
	    "\"split_conditions\":[NaN,", LD_EINVAL,
	    "tree 0 node 0: split_conditions is not finite (a threshold)");
	expect_edit("\"split_conditions\":[2E0,",
	    "\"split_conditions\":[-Infinity,", LD_EINVAL,
	    "tree 0 node 0: split_conditions is not finite (a threshold)");
	expect_edit("6E2,-1.4240755E-1,", "6E2,Infinity,", LD_EINVAL,
	    "tree 0 node 3: split_conditions is not finite (a leaf value)");
	/* Finite in double, infinite as the float xgboost evaluates. */
	expect_edit("6E2,-1.4240755E-1,", "6E2,1E39,", LD_EINVAL,
	    "tree 0 node 3: split_conditions is not finite (a leaf value)");
	expect_edit("\"sum_hessian\":[1E3,", "\"sum_hessian\":[NaN,",
	    LD_EINVAL, "tree 0 node 0: sum_hessian is negative or not finite");
	expect_edit("\"sum_hessian\":[1E3,", "\"sum_hessian\":[0,",
	    LD_EINVAL, "tree 0 node 0: split node has zero cover");
	expect_edit("\"default_left\":[0,1,", "\"default_left\":[0,2,",
	    LD_EINVAL, "tree 0 node 1: default_left 2 is not 0 or 1");
	expect_edit("\"default_left\":[0,1,", "\"default_left\":[0,true,",
	    LD_OK, "");
	expect_edit("\"left_children\":[1,3,", "\"left_children\":[1,3.5,",
	    LD_EINVAL, "tree 0 node 1: a child, split index");
	/* Casting these to int was undefined behaviour. */
	expect_edit("\"version\":[1,7,4]", "\"version\":[1E300,7,4]",
	    LD_EINVAL, "version[0] is not a version number");
	expect_edit("\"version\":[1,7,4]", "\"version\":[1,NaN,4]",
	    LD_EINVAL, "version[1] is not a version number");
	expect_edit("\"version\":[1,7,4]", "\"version\":[0,7,4]",
	    LD_EUNSUPPORTED, "version 0.7.4");
	expect_edit("\"base_score\":\"5E-1\"", "\"base_score\":\"0\"",
	    LD_EINVAL, "base_score 0 is not a probability in (0,1)");
	expect_edit("\"base_score\":\"5E-1\"", "\"base_score\":\"1E0\"",
	    LD_EINVAL, "base_score 1 is not a probability in (0,1)");
	expect_edit("\"base_score\":\"5E-1\"", "\"base_score\":\"NaN\"",
	    LD_EINVAL, "base_score");
	/* A tree_param field missing: the file first, then the tree. */
	expect_edit("\"num_nodes\":\"7\"", "\"num_nodez\":\"7\"", LD_EINVAL,
	    "edited.json: tree 0: tree_param.num_nodes is missing");
	expect_edit("\"learner\":{", "\"learnr\":{", LD_EINVAL,
	    "neither an XGBoost model");
	expect_edit("\"gradient_booster\":{", "\"gradient_boostr\":{",
	    LD_EINVAL, "edited.json: learner.gradient_booster is missing");
}

/* The rest of the loader checks (docs/risk-maths.md, "XGBoost model files:
 * what the loader accepts"), one by one. */
static void
test_xgb_model_checks(void)
{
	expect_edit("\"num_class\":\"0\"", "\"num_class\":\"3\"",
	    LD_EUNSUPPORTED, "num_class is 3; multi-class");
	expect_edit("\"num_target\":\"1\"", "\"num_target\":\"2\"",
	    LD_EUNSUPPORTED, "num_target is 2; multi-target");
	expect_edit("\"categories_nodes\":[]", "\"categories_nodes\":[0]",
	    LD_EUNSUPPORTED, "tree 0: categorical splits (categories_nodes)");
	expect_edit("\"num_parallel_tree\":\"1\"",
	    "\"num_parallel_tree\":\"2\"", LD_EUNSUPPORTED,
	    "num_parallel_tree is 2");
	expect_edit("\"tree_info\":[0,0,0]", "\"tree_info\":[0,1,0]",
	    LD_EUNSUPPORTED, "tree_info[1] is not output group 0");
	expect_edit("\"num_trees\":\"3\"", "\"num_trees\":\"4\"", LD_EINVAL,
	    "num_trees is 4 but");
	expect_edit("\"binary:logistic\"", "\"binary:logitraw\"", LD_OK, "");
	expect_edit("\"binary:logistic\"", "\"reg:logistic\"", LD_OK, "");
	expect_edit("\"gbtree\"}", "\"gblinear\"}", LD_EUNSUPPORTED,
	    "only gbtree");
	/* Names are checked in n log n: a repeat names both places. */
	expect_edit("\"network_months\",\"monthly_bill_fen\"",
	    "\"age\",\"monthly_bill_fen\"", LD_EINVAL,
	    "learner.feature_names[1] \"age\" repeats [0]");
	expect_edit("\"app_sessions_30d\"]", "\"multi_apply_30d\"]",
	    LD_EINVAL, "feature_names[9] \"multi_apply_30d\" repeats [6]");
	/* One member twice: which one would xgboost read? */
	expect_edit("\"version\":[1,7,4]",
	    "\"version\":[1,7,4],\"version\":[1,7,4]", LD_EINVAL,
	    "member \"version\" repeats the one at line 1 column");
	expect_edit("\"id\":0,", "\"id\":0,\"left_children\":[1,3,5,-1,-1,"
	    "-1,-1],", LD_EINVAL, "member \"left_children\" repeats");
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
	/* 10^6 levels of nesting: refused at 256, without recursing on. */
	{
		size_t n = 1000000;
		char *deep = ld_malloc(n + 3);

		deep[0] = '{';
		deep[1] = '"';
		deep[2] = 'a';
		memset(deep + 3, '[', n);
		deep[3] = '"';
		deep[4] = ':';
		CU_ASSERT_EQUAL(risk_model_load(deep, n + 3, "t.json", &m,
		    &err), LD_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "t.json: line 1 column "
		    "262: nested too deeply"));
		free(deep);
	}
	/* A member twice in an object, large or small. */
	CU_ASSERT_EQUAL(risk_model_load("{\"a\":1,\n\"a\":2}", 14, "t.json",
	    &m, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "t.json: line 2 column 1: "
	    "member \"a\" repeats the one at line 1 column 2"));
	{
		const char *big = "{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,"
		    "\"k5\":5,\"k6\":6,\"k7\":7,\"k3\":8,\"k9\":9,"
		    "\"k1\":0}";

		CU_ASSERT_EQUAL(risk_model_load(big, strlen(big), "t.json",
		    &m, &err), LD_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "t.json: line 1 column "
		    "51: member \"k3\" repeats the one at line 1 column 16"));
	}
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

/*
 * A one-feature card whose bin gives points p and whose base is base,
 * with woe and intercept chosen so the loader's consistency check holds.
 */
static char *
card_with(double p, double base)
{
	const double	 factor = 20 / log(2);
	const double	 offset = 600 - factor * log(50);

	return ld_asprintf("{\"format\":\"loandesk-scorecard\",\"version\":1,"
	    "\"scale\":{\"base_points\":600,\"base_odds\":50,\"pdo\":20},"
	    "\"intercept\":%.17g,\"base_points\":%.17g,\"features\":[{"
	    "\"name\":\"age\",\"coef\":1,\"bins\":[{\"woe\":%.17g,"
	    "\"points\":%.17g}],\"missing\":{\"woe\":0,\"points\":0}}]}",
	    (offset - base) / factor, base, -p / factor, p);
}

/* Points stay where every score fits an int. */
static void
test_scorecard_bounds(void)
{
	struct risk_model	*m = NULL;
	struct ld_err		 err;
	struct ld_buf		 b;
	char			*t;
	double			 x = 30, score;
	size_t			 i;

	t = card_with(9999, -9999);
	CU_ASSERT_EQUAL(risk_model_load(t, strlen(t), "c.json", &m, &err),
	    LD_OK);
	free(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(risk_model_points(m, NULL, &x, &score, NULL, NULL,
	    &err), LD_OK);
	CU_ASSERT_DOUBLE_EQUAL(score, 0, 0);
	risk_model_free(m);
	t = card_with(10000, 0);
	CU_ASSERT_EQUAL(risk_model_load(t, strlen(t), "c.json", &m, &err),
	    LD_EINVAL);
	free(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "c.json: features[0] (age) "
	    "bins[0]: points 10000 beyond +-9999"));
	t = card_with(0, 1e6);
	CU_ASSERT_EQUAL(risk_model_load(t, strlen(t), "c.json", &m, &err),
	    LD_EINVAL);
	free(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "c.json: base_points 1e+06 "
	    "beyond +-9999"));
	/* 100001 features; checked before anything is read from them. */
	ld_buf_init(&b, 0);
	ld_buf_puts(&b, "{\"format\":\"loandesk-scorecard\",\"version\":1,"
	    "\"scale\":{\"base_points\":600,\"base_odds\":50,\"pdo\":20},"
	    "\"intercept\":0,\"base_points\":487,\"features\":[{}");
	for (i = 1; i < 100001; i++)
		ld_buf_puts(&b, ",{}");
	ld_buf_puts(&b, "]}");
	CU_ASSERT_EQUAL(risk_model_load(b.data, b.len, "c.json", &m, &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "c.json: 100001 features; at "
	    "most 100000"));
	ld_buf_free(&b);
}

/*
 * `loandesk model eval` on a CSV: exit status and stderr, with the
 * example card.  csv is written to a file first.
 */
static int
run_eval(const char *csv, size_t len, const char *extra, char *errbuf,
    size_t errlen)
{
	const char	*src = getenv("top_srcdir"), *bld = getenv("top_builddir");
	char		 dir[] = "/tmp/ld-risk-eval-XXXXXX";
	char		*path, *cmd, *ep;
	FILE		*f;
	size_t		 n;
	int		 rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	path = ld_asprintf("%s/t.csv", dir);
	ep = ld_asprintf("%s/err", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(csv, 1, len, f), len);
	fclose(f);
	cmd = ld_asprintf("cd '%s' && '%s/loandesk' model eval --model "
	    "'%s/etc/scorecard.example.json' --csv t.csv %s >/dev/null "
	    "2>err", dir, bld ? bld : ".", src ? src : ".", extra);
	rc = system(cmd);
	rc = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	errbuf[0] = '\0';
	if ((f = fopen(ep, "r")) != NULL) {
		n = fread(errbuf, 1, errlen - 1, f);
		errbuf[n] = '\0';
		fclose(f);
	}
	unlink(path);
	unlink(ep);
	rmdir(dir);
	free(path);
	free(ep);
	free(cmd);
	return rc;
}

/* The CSV reader on broken files: bounded, and errors name line. */
static void
test_eval_csv(void)
{
	const char	*hdr = "network_months,external_score,"
			    "night_activity_ratio,multi_apply_30d\n";
	char		 err[2048];
	char		*t;
	struct ld_buf	 b;
	size_t		 i;

	/* The same feature twice in the header: which one is meant? */
	t = ld_asprintf("id,network_months,external_score,network_months,"
	    "night_activity_ratio,multi_apply_30d\nA,1,2,3,0.5,1\n");
	CU_ASSERT_EQUAL(run_eval(t, strlen(t), "", err, sizeof err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.csv:1: columns 2 and 4 are "
	    "both model feature \"network_months\""));
	free(t);
	/* A NUL byte would cut the record short without a word. */
	t = ld_asprintf("%s1,2,0.5,1\n3,4,0.5,1\n", hdr);
	t[strlen(hdr) + 12] = '\0';
	CU_ASSERT_EQUAL(run_eval(t, strlen(hdr) + 20, "", err, sizeof err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.csv:3: a NUL byte"));
	free(t);
	/* A quoted field across lines: later lines keep their numbers. */
	t = ld_asprintf("id,%s\"a\nb\",1,2,0.5,1\nc,x,2,0.5,1\n", hdr);
	CU_ASSERT_EQUAL(run_eval(t, strlen(t), "", err, sizeof err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.csv:4: column 2 "
	    "(network_months): \"x\" is not a number"));
	free(t);
	/* An endless line stops at the record limit, not at memory's. */
	ld_buf_init(&b, 0);
	ld_buf_puts(&b, hdr);
	for (i = 0; i < 1100000 / 8; i++)
		ld_buf_puts(&b, "1,2,3,4,");
	CU_ASSERT_EQUAL(run_eval(b.data, b.len, "", err, sizeof err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.csv:2: record longer than "
	    "1048576 bytes"));
	ld_buf_free(&b);
	/* 100000 columns, the features last: found all the same. */
	ld_buf_init(&b, 0);
	for (i = 0; i < 100000; i++) {
		char c[32];

		snprintf(c, sizeof c, "c%zu,", i);
		ld_buf_puts(&b, c);
	}
	ld_buf_puts(&b, hdr);
	for (i = 0; i < 100000; i++)
		ld_buf_puts(&b, ",");
	ld_buf_puts(&b, "6,,0.35,7\n");
	CU_ASSERT_EQUAL(run_eval(b.data, b.len, "", err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	ld_buf_free(&b);
	/* sscanf's %d overflowed; now a plain refusal. */
	t = ld_asprintf("%s1,2,0.5,1\n", hdr);
	CU_ASSERT_EQUAL(run_eval(t, strlen(t), "--points --scale "
	    "99999999999,50,20", err, sizeof err), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--scale wants POINTS,ODDS,PDO"));
	CU_ASSERT_EQUAL(run_eval(t, strlen(t), "--points --scale 600,50,20x",
	    err, sizeof err), 2);
	CU_ASSERT_EQUAL(run_eval(t, strlen(t), "--points --scale 600,50,20",
	    err, sizeof err), 0);
	free(t);
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
	/*
	 * Bands one PDO wide from base + 2 pdo down, on this 500 / 20:1 /
	 * 50 scale: A >= 600, B >= 550, ..., G >= 300, H below.
	 */
	CU_ASSERT_STRING_EQUAL(risk_scale_band(&s, 600), "A");
	CU_ASSERT_STRING_EQUAL(risk_scale_band(&s, 599), "B");
	CU_ASSERT_STRING_EQUAL(risk_scale_band(&s, 300), "G");
	CU_ASSERT_STRING_EQUAL(risk_scale_band(&s, 299), "H");
	risk_scale_default(&s);
	/*
	 * On the default scale, each cut-off's PD is 1 / (1 + odds) with
	 * the odds 50:1 at 600 doubling every 20 points: the band of the
	 * points of that PD, computed by the scale, changes right there.
	 */
	{
		static const struct {
			double pd;
			const char *above, *below;
		} cut[] = {
			{ 1.0 / 201, "A", "B" },  /* 640: 200:1 */
			{ 1.0 / 101, "B", "C" },  /* 620 */
			{ 1.0 / 51, "C", "D" },   /* 600 */
			{ 1.0 / 26, "D", "E" },   /* 580 */
			{ 1.0 / 13.5, "E", "F" }, /* 560: 12.5:1 */
			{ 1.0 / 7.25, "F", "G" }, /* 540: 6.25:1 */
			{ 1.0 / 4.125, "G", "H" } /* 520: 3.125:1 */
		};
		size_t i;
		int p;

		for (i = 0; i < sizeof cut / sizeof cut[0]; i++) {
			p = risk_scale_points(&s, cut[i].pd);
			CU_ASSERT_EQUAL(p, 640 - 20 * (int)i);
			CU_ASSERT_STRING_EQUAL(risk_scale_band(&s, p),
			    cut[i].above);
			CU_ASSERT_STRING_EQUAL(risk_scale_band(&s, p - 1),
			    cut[i].below);
			CU_ASSERT_EQUAL(risk_scale_band_floor(&s, (int)i), p);
		}
	}
	CU_ASSERT_STRING_EQUAL(risk_scale_band(&s, 9999), "A");
	CU_ASSERT_STRING_EQUAL(risk_scale_band(&s, -9999), "H");
	CU_ASSERT_EQUAL(risk_scale_band_index(&s, -9999), RISK_BANDS - 1);
	/* No scale (pdo 0) is the default one. */
	CU_ASSERT_STRING_EQUAL(risk_scale_band(NULL, 519), "H");
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
	LD_TEST(test_xgb_not_trees),
	LD_TEST(test_xgb_deleted_nodes),
	LD_TEST(test_xgb_exact_pruned),
	LD_TEST(test_xgb_depth),
	LD_TEST(test_xgb_values),
	LD_TEST(test_xgb_model_checks),
	LD_TEST(test_xgb_points),
	LD_TEST_END
};

static const struct ld_test_case card_cases[] = {
	LD_TEST(test_json_syntax),
	LD_TEST(test_scorecard_example),
	LD_TEST(test_scorecard_refusals),
	LD_TEST(test_scorecard_bounds),
	LD_TEST(test_eval_csv),
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
