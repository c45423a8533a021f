/*
 * XGBoost models from save_model JSON, evaluated the way xgboost's CPU
 * predictor does: inputs and sums in float, trees added in file order,
 * x < threshold goes left, a missing value (NaN) takes the default child.
 * Doing the same float operations in the same order makes margins equal
 * xgboost's bit for bit; a double sum drifts by a few 1e-6.
 *
 * Accepted: format versions 1.x-3.x, booster gbtree, objective
 * binary:logistic (or reg:logistic, binary:logitraw), one output, one tree
 * per round, numerical splits, trees at most RISK_XGB_MAX_DEPTH deep.
 * Everything else is refused, naming the field.  A tree must be a tree:
 * each node reached once from the root (a cycle or a shared child is
 * refused naming both parents), both children or none, indices in range,
 * finite thresholds and leaf values, and no unreachable node but those
 * xgboost's pruner marked deleted (exact and approx models have them).  Like Booster.predict we
 * use every tree, whatever learner.attributes.best_iteration says (the
 * sklearn wrapper would stop there).  binary:logitraw models get the same
 * sigmoid for risk_model_probability(); their margin is what xgboost
 * predicts.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "risk_model_int.h"

#define XGB_TREES	"learner.gradient_booster.model.trees"

static const struct risk_json *
xgb_member(const struct risk_json *obj, const char *key,
    enum risk_json_type type, const char *origin, const char *path,
    struct ld_err *err)
{
	const struct risk_json *v = risk_json_get(obj, key);

	if (v == NULL) {
		ld_err_set(err, LD_EINVAL, "%s: %s%s%s is missing", origin,
		    path, *path ? "." : "", key);
		return NULL;
	}
	if (v->type != type) {
		ld_err_set(err, LD_EINVAL, "%s: %s%s%s is a %s, expected %s",
		    origin, path, *path ? "." : "", key,
		    risk_json_type_name(v->type), risk_json_type_name(type));
		return NULL;
	}
	return v;
}

/* A scalar parameter: xgboost writes them as strings ("16"). */
static enum ld_status
xgb_param_long(const struct risk_json *obj, const char *key, long def,
    long *out, const char *origin, const char *path, struct ld_err *err)
{
	const struct risk_json	*v = risk_json_get(obj, key);
	char			*end;
	long			 n;

	if (v == NULL) {
		if (def < 0)
			return ld_err_set(err, LD_EINVAL,
			    "%s: %s.%s is missing", origin, path, key);
		*out = def;
		return LD_OK;
	}
	if (v->type == RISK_JSON_NUMBER && v->is_int && fabs(v->num) < 1e15) {
		*out = (long)v->num;
		return LD_OK;
	}
	if (v->type == RISK_JSON_STRING) {
		errno = 0;
		n = strtol(v->str, &end, 10);
		if (errno == 0 && end != v->str && *end == '\0') {
			*out = n;
			return LD_OK;
		}
	}
	return ld_err_set(err, LD_EINVAL, "%s: %s.%s is not an integer",
	    origin, path, key);
}

/* base_score: "5E-1" (1.x, 2.x) or "[5E-1]" (3.1 and later). */
static enum ld_status
xgb_base_score(const struct risk_json *mp, float *out, const char *origin,
    struct ld_err *err)
{
	const struct risk_json	*v = risk_json_get(mp, "base_score");
	const char		*path =
				    "learner.learner_model_param.base_score";
	char			 buf[64], *end;
	const char		*s;
	size_t			 n;

	if (v == NULL)
		return ld_err_set(err, LD_EINVAL, "%s: %s is missing", origin,
		    path);
	if (v->type == RISK_JSON_NUMBER) {
		*out = v->numf;
		return LD_OK;
	}
	if (v->type != RISK_JSON_STRING || v->strlen >= sizeof buf)
		return ld_err_set(err, LD_EINVAL, "%s: %s is not a number",
		    origin, path);
	s = v->str;
	n = v->strlen;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		if (memchr(s, ',', n) != NULL)
			return ld_err_set(err, LD_EUNSUPPORTED,
			    "%s: %s \"%s\" has several intercepts "
			    "(multi-output model)", origin, path, s);
		s++;
		n -= 2;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtof(buf, &end);
	if (n == 0 || errno != 0 || *end != '\0')
		return ld_err_set(err, LD_EINVAL, "%s: %s \"%s\" is not a "
		    "number", origin, path, v->str);
	return LD_OK;
}

static enum ld_status
xgb_load_names(struct risk_model *m, const struct risk_json *learner,
    long nfeat, struct ld_err *err)
{
	const struct risk_json	*names, *types;
	size_t			 i, j;

	types = risk_json_get(learner, "feature_types");
	if (types != NULL && types->type == RISK_JSON_ARRAY) {
		for (i = 0; i < types->n; i++)
			if (types->items[i].type == RISK_JSON_STRING &&
			    strcmp(types->items[i].str, "c") == 0)
				return ld_err_set(err, LD_EUNSUPPORTED,
				    "%s: learner.feature_types[%zu]: "
				    "categorical feature; categorical splits "
				    "are not supported", m->origin, i);
	}
	m->nfeatures = (size_t)nfeat;
	m->names = ld_calloc(m->nfeatures ? m->nfeatures : 1,
	    sizeof *m->names);
	names = risk_json_get(learner, "feature_names");
	if (names != NULL && names->type == RISK_JSON_ARRAY && names->n > 0) {
		if (names->n != m->nfeatures)
			return ld_err_set(err, LD_EINVAL,
			    "%s: learner.feature_names has %zu names but "
			    "num_feature is %ld", m->origin, names->n, nfeat);
		for (i = 0; i < names->n; i++) {
			const struct risk_json *nm = &names->items[i];

			if (nm->type != RISK_JSON_STRING || nm->strlen == 0 ||
			    strlen(nm->str) != nm->strlen)
				return ld_err_set(err, LD_EINVAL,
				    "%s: learner.feature_names[%zu] is not a "
				    "name", m->origin, i);
			m->names[i] = ld_strdup(nm->str);
		}
		if (risk_names_repeat(m->names, m->nfeatures, &i, &j))
			return ld_err_set(err, LD_EINVAL,
			    "%s: learner.feature_names[%zu] \"%s\" repeats "
			    "[%zu]", m->origin, i, m->names[i], j);
	} else {
		/* xgboost's own names for unnamed columns. */
		for (i = 0; i < m->nfeatures; i++)
			m->names[i] = ld_asprintf("f%zu", i);
	}
	return LD_OK;
}

/* One of a tree's per-node arrays, num_nodes long, all numbers. */
static const struct risk_json *
xgb_tree_array(const struct risk_json *tree, const char *key, size_t nnodes,
    size_t t, const char *origin, struct ld_err *err)
{
	const struct risk_json	*a = risk_json_get(tree, key);
	size_t			 i;

	if (a == NULL || a->type != RISK_JSON_ARRAY) {
		ld_err_set(err, LD_EINVAL, "%s: tree %zu: %s is %s", origin, t,
		    key, a == NULL ? "missing" : "not an array");
		return NULL;
	}
	if (a->n != nnodes) {
		ld_err_set(err, LD_EINVAL,
		    "%s: tree %zu: %s has %zu entries, num_nodes is %zu",
		    origin, t, key, a->n, nnodes);
		return NULL;
	}
	for (i = 0; i < a->n; i++) {
		enum risk_json_type ty = a->items[i].type;

		if (ty == RISK_JSON_NUMBER)
			continue;
		/* Old writers store default_left as booleans. */
		if (strcmp(key, "default_left") == 0 &&
		    (ty == RISK_JSON_TRUE || ty == RISK_JSON_FALSE))
			continue;
		ld_err_set(err, LD_EINVAL, "%s: tree %zu node %zu: %s is a %s",
		    origin, t, i, key, risk_json_type_name(ty));
		return NULL;
	}
	return a;
}

static int
xgb_int_at(const struct risk_json *a, size_t i, long *out)
{
	const struct risk_json *v = &a->items[i];

	if (v->type == RISK_JSON_TRUE || v->type == RISK_JSON_FALSE) {
		*out = v->type == RISK_JSON_TRUE;
		return 0;
	}
	if (!v->is_int || v->num < (double)INT32_MIN ||
	    v->num > (double)INT32_MAX)
		return -1;
	*out = (long)v->num;
	return 0;
}

/*
 * Mean value of every node as xgboost 1.7 computes it for TreeSHAP and
 * Saabas (FillNodeMeanValues): float, left term then right, then divide.
 */
static float
xgb_fill_mean(struct risk_xgb *x, uint32_t n)
{
	const struct risk_xgb_node	*nd = &x->nodes[n];
	float				 r;

	if (nd->left < 0)
		r = nd->cond;
	else {
		r = xgb_fill_mean(x, (uint32_t)nd->left) *
		    x->cover[nd->left];
		r += xgb_fill_mean(x, (uint32_t)nd->right) *
		    x->cover[nd->right];
		r /= x->cover[n];
	}
	x->mean[n] = r;
	return r;
}

/*
 * RegTree::kDeletedNodeMarker as saved: a node the pruner removed keeps
 * its slot in the arrays, unreachable, as a leaf whose split index is all
 * ones (and so default_left 1).  Only models trained with the exact or
 * approx updaters and pruning have them.
 */
#define XGB_DELETED_INDEX	2147483647L

/*
 * One tree into x->nodes[base ..]: every array num_nodes long, every
 * split with two distinct children in range, a walk from the root that
 * meets each node once (no cycle, no shared child) within
 * RISK_XGB_MAX_DEPTH, and every node it does not meet one xgboost marked
 * deleted, as many as tree_param.num_deleted says.
 */
static enum ld_status
xgb_load_tree(struct risk_model *m, const struct risk_json *tree, size_t t,
    uint32_t base, struct ld_err *err)
{
	struct risk_xgb		*x = &m->xgb;
	const struct risk_json	*tp, *lc, *rc, *si, *sc, *dl, *sh, *st, *cn;
	const char		*o = m->origin;
	char			 tpath[64];
	long			 nn, nf, slv, ndel;
	size_t			 i, nnodes, top, marked;
	uint32_t		 stack[RISK_XGB_MAX_DEPTH + 2];
	uint32_t		 from[RISK_XGB_MAX_DEPTH + 2];
	uint8_t			 depth[RISK_XGB_MAX_DEPTH + 2];
	uint32_t		*parent = NULL;
	uint8_t			*deleted = NULL;
	enum ld_status		 st_ = LD_OK;

	if (tree->type != RISK_JSON_OBJECT)
		return ld_err_set(err, LD_EINVAL, "%s: tree %zu is not an "
		    "object", o, t);
	tp = risk_json_get(tree, "tree_param");
	if (tp == NULL || tp->type != RISK_JSON_OBJECT)
		return ld_err_set(err, LD_EINVAL, "%s: tree %zu: tree_param "
		    "is missing", o, t);
	snprintf(tpath, sizeof tpath, "tree %zu: tree_param", t);
	if ((st_ = xgb_param_long(tp, "num_nodes", -1, &nn, o, tpath,
	    err)) != LD_OK ||
	    (st_ = xgb_param_long(tp, "num_feature", (long)m->nfeatures, &nf,
	    o, tpath, err)) != LD_OK ||
	    (st_ = xgb_param_long(tp, "size_leaf_vector", 0, &slv, o, tpath,
	    err)) != LD_OK ||
	    (st_ = xgb_param_long(tp, "num_deleted", 0, &ndel, o, tpath,
	    err)) != LD_OK)
		return st_;
	if (nn < 1 || nn > INT32_MAX / 4)
		return ld_err_set(err, LD_EINVAL, "%s: tree %zu: num_nodes %ld "
		    "out of range", o, t, nn);
	if (nf != (long)m->nfeatures)
		return ld_err_set(err, LD_EINVAL, "%s: tree %zu: num_feature "
		    "%ld does not match the model's %zu features", o, t, nf,
		    m->nfeatures);
	if (slv > 1)
		return ld_err_set(err, LD_EUNSUPPORTED, "%s: tree %zu: vector "
		    "leaves (size_leaf_vector %ld, multi-target tree) are not "
		    "supported", o, t, slv);
	if (ndel < 0 || ndel >= nn)
		return ld_err_set(err, LD_EINVAL, "%s: tree %zu: num_deleted "
		    "%ld out of range (num_nodes %ld)", o, t, ndel, nn);
	nnodes = (size_t)nn;
	if ((lc = xgb_tree_array(tree, "left_children", nnodes, t, o,
	    err)) == NULL ||
	    (rc = xgb_tree_array(tree, "right_children", nnodes, t, o,
	    err)) == NULL ||
	    (si = xgb_tree_array(tree, "split_indices", nnodes, t, o,
	    err)) == NULL ||
	    (sc = xgb_tree_array(tree, "split_conditions", nnodes, t, o,
	    err)) == NULL ||
	    (dl = xgb_tree_array(tree, "default_left", nnodes, t, o,
	    err)) == NULL ||
	    (sh = xgb_tree_array(tree, "sum_hessian", nnodes, t, o,
	    err)) == NULL)
		return err != NULL ? err->code : LD_EINVAL;
	st = risk_json_get(tree, "split_type");
	if (st != NULL && (st = xgb_tree_array(tree, "split_type", nnodes, t,
	    o, err)) == NULL)
		return err != NULL ? err->code : LD_EINVAL;
	cn = risk_json_get(tree, "categories_nodes");
	if (cn != NULL && cn->type == RISK_JSON_ARRAY && cn->n > 0)
		return ld_err_set(err, LD_EUNSUPPORTED, "%s: tree %zu: "
		    "categorical splits (categories_nodes) are not supported",
		    o, t);

	deleted = ld_calloc(nnodes, 1);
	for (i = 0; i < nnodes; i++) {
		struct risk_xgb_node *nd = &x->nodes[base + i];
		long l, r, f, d, ty = 0;

		if (xgb_int_at(lc, i, &l) != 0 || xgb_int_at(rc, i, &r) != 0 ||
		    xgb_int_at(si, i, &f) != 0 || xgb_int_at(dl, i, &d) != 0 ||
		    (st != NULL && xgb_int_at(st, i, &ty) != 0)) {
			st_ = ld_err_set(err, LD_EINVAL, "%s: tree %zu node "
			    "%zu: a child, split index, default_left or "
			    "split_type is not an integer", o, t, i);
			goto out;
		}
		if (d != 0 && d != 1) {
			st_ = ld_err_set(err, LD_EINVAL, "%s: tree %zu node "
			    "%zu: default_left %ld is not 0 or 1", o, t, i, d);
			goto out;
		}
		if (!isfinite(sh->items[i].numf) || sh->items[i].numf < 0) {
			st_ = ld_err_set(err, LD_EINVAL, "%s: tree %zu node "
			    "%zu: sum_hessian is negative or not finite",
			    o, t, i);
			goto out;
		}
		x->cover[base + i] = sh->items[i].numf;
		nd->cond = sc->items[i].numf;
		if (ty != 0) {
			st_ = ld_err_set(err, LD_EUNSUPPORTED, "%s: tree %zu "
			    "node %zu: categorical split (split_type %ld) is "
			    "not supported", o, t, i, ty);
			goto out;
		}
		if (!isfinite(nd->cond)) {
			st_ = ld_err_set(err, LD_EINVAL, "%s: tree %zu node "
			    "%zu: split_conditions is not finite (%s)", o, t,
			    i, l == -1 && r == -1 ? "a leaf value" :
			    "a threshold");
			goto out;
		}
		if (l == -1 && r == -1) {
			nd->left = nd->right = -1;
			nd->feat = 0;
			deleted[i] = f == XGB_DELETED_INDEX && d == 1;
			continue;
		}
		if (l == -1 || r == -1) {
			st_ = ld_err_set(err, LD_EINVAL, "%s: tree %zu node "
			    "%zu: left child %ld, right child %ld: a leaf has "
			    "neither (-1, -1), a split both", o, t, i, l, r);
			goto out;
		}
		if (l < 0 || l >= nn || r < 0 || r >= nn) {
			st_ = ld_err_set(err, LD_EINVAL, "%s: tree %zu node "
			    "%zu: %s child %ld is not a node (num_nodes %ld)",
			    o, t, i, l < 0 || l >= nn ? "left" : "right",
			    l < 0 || l >= nn ? l : r, nn);
			goto out;
		}
		if (l == 0 || r == 0) {
			st_ = ld_err_set(err, LD_EINVAL, "%s: tree %zu node "
			    "%zu: %s child is node 0, the root (not a tree)",
			    o, t, i, l == 0 ? "left" : "right");
			goto out;
		}
		if (l == r) {
			st_ = ld_err_set(err, LD_EINVAL, "%s: tree %zu node "
			    "%zu: both children are node %ld (not a tree)",
			    o, t, i, l);
			goto out;
		}
		if (f < 0 || (size_t)f >= m->nfeatures) {
			st_ = ld_err_set(err, LD_EINVAL, "%s: tree %zu node "
			    "%zu: split_indices %ld is not below num_feature "
			    "%zu", o, t, i, f, m->nfeatures);
			goto out;
		}
		if (!(x->cover[base + i] > 0)) {
			st_ = ld_err_set(err, LD_EINVAL, "%s: tree %zu node "
			    "%zu: split node has zero cover (sum_hessian)",
			    o, t, i);
			goto out;
		}
		nd->left = (int32_t)(base + (uint32_t)l);
		nd->right = (int32_t)(base + (uint32_t)r);
		nd->feat = (uint32_t)f | (d ? RISK_XGB_DEFAULT_LEFT : 0);
	}

	/*
	 * Walk once from the root, depth first: a node met twice has two
	 * parents (a shared child, or a cycle back up the path).  The stack
	 * holds at most one waiting sibling per level.
	 */
	parent = ld_reallocarray(NULL, nnodes, sizeof *parent);
	for (i = 0; i < nnodes; i++)
		parent[i] = UINT32_MAX;
	top = 0;
	stack[top] = 0;
	from[top] = (uint32_t)nnodes;	/* the root's "parent" */
	depth[top++] = 0;
	x->trees[t].depth = 0;
	while (top > 0) {
		uint32_t n = stack[--top], p = from[top];
		uint8_t dp = depth[top];
		const struct risk_xgb_node *nd = &x->nodes[base + n];

		if (parent[n] != UINT32_MAX) {
			st_ = ld_err_set(err, LD_EINVAL, "%s: tree %zu node "
			    "%u is a child of both node %u and node %u (a "
			    "cycle or a shared child: not a tree)", o, t, n,
			    parent[n], p);
			goto out;
		}
		parent[n] = p;
		if (deleted[n]) {
			st_ = ld_err_set(err, LD_EINVAL, "%s: tree %zu node "
			    "%u is marked deleted (split_indices %ld) but is "
			    "reached from node %u", o, t, n,
			    XGB_DELETED_INDEX, p);
			goto out;
		}
		if (dp > x->trees[t].depth)
			x->trees[t].depth = dp;
		if (nd->left < 0)
			continue;
		if (dp >= RISK_XGB_MAX_DEPTH) {
			st_ = ld_err_set(err, LD_EUNSUPPORTED, "%s: tree %zu "
			    "node %u: split at depth %u; trees deeper than %d "
			    "levels are not supported", o, t, n, dp,
			    RISK_XGB_MAX_DEPTH);
			goto out;
		}
		stack[top] = (uint32_t)nd->right - base;
		from[top] = n;
		depth[top++] = (uint8_t)(dp + 1);
		stack[top] = (uint32_t)nd->left - base;
		from[top] = n;
		depth[top++] = (uint8_t)(dp + 1);
	}
	marked = 0;
	for (i = 0; i < nnodes; i++) {
		if (parent[i] != UINT32_MAX)
			continue;
		if (!deleted[i]) {
			st_ = ld_err_set(err, LD_EINVAL, "%s: tree %zu node "
			    "%zu is not reachable from the root and not marked "
			    "deleted (not a tree)", o, t, i);
			goto out;
		}
		marked++;
	}
	if (marked != (size_t)ndel) {
		st_ = ld_err_set(err, LD_EINVAL, "%s: tree %zu: %zu nodes are "
		    "marked deleted but tree_param.num_deleted is %ld", o, t,
		    marked, ndel);
		goto out;
	}
	x->trees[t].root = base;
	x->trees[t].nnodes = (uint32_t)nnodes;
	xgb_fill_mean(x, base);
out:
	free(parent);
	free(deleted);
	return st_;
}

enum ld_status
risk_xgb_load(struct risk_model *m, const struct risk_json *doc,
    struct ld_err *err)
{
	struct risk_xgb		*x = &m->xgb;
	const struct risk_json	*ver, *learner, *gb, *obj, *mp, *model, *gp;
	const struct risk_json	*trees, *info, *name;
	const char		*o = m->origin;
	char			 tpath[64];
	long			 nfeat, ncls, ntgt, ntrees, npar, slv;
	size_t			 i, total;
	enum ld_status		 st;

	ver = risk_json_get(doc, "version");
	if (ver == NULL || ver->type != RISK_JSON_ARRAY || ver->n < 1 ||
	    ver->items[0].type != RISK_JSON_NUMBER)
		return ld_err_set(err, LD_EINVAL, "%s: version is missing or "
		    "not an array", o);
	for (i = 0; i < 3 && i < ver->n; i++) {
		const struct risk_json *v = &ver->items[i];

		/* A cast of a huge or NaN double to int is undefined. */
		if (v->type != RISK_JSON_NUMBER || !v->is_int || v->num < 0 ||
		    v->num > 1000000)
			return ld_err_set(err, LD_EINVAL, "%s: version[%zu] is "
			    "not a version number", o, i);
		x->version[i] = (int)v->num;
	}
	if (x->version[0] < 1 || x->version[0] > 3)
		return ld_err_set(err, LD_EUNSUPPORTED, "%s: version %d.%d.%d: "
		    "only xgboost 1.x to 3.x models are supported", o,
		    x->version[0], x->version[1], x->version[2]);
	if ((learner = xgb_member(doc, "learner", RISK_JSON_OBJECT, o, "",
	    err)) == NULL ||
	    (gb = xgb_member(learner, "gradient_booster", RISK_JSON_OBJECT, o,
	    "learner", err)) == NULL ||
	    (obj = xgb_member(learner, "objective", RISK_JSON_OBJECT, o,
	    "learner", err)) == NULL ||
	    (mp = xgb_member(learner, "learner_model_param", RISK_JSON_OBJECT,
	    o, "learner", err)) == NULL)
		return err != NULL ? err->code : LD_EINVAL;
	if ((name = xgb_member(gb, "name", RISK_JSON_STRING, o,
	    "learner.gradient_booster", err)) == NULL)
		return err != NULL ? err->code : LD_EINVAL;
	if (strcmp(name->str, "gbtree") != 0)
		return ld_err_set(err, LD_EUNSUPPORTED, "%s: "
		    "learner.gradient_booster.name is \"%s\"; only gbtree is "
		    "supported (not dart or gblinear)", o, name->str);
	if ((name = xgb_member(obj, "name", RISK_JSON_STRING, o,
	    "learner.objective", err)) == NULL)
		return err != NULL ? err->code : LD_EINVAL;
	if (strncmp(name->str, "multi:", 6) == 0)
		return ld_err_set(err, LD_EUNSUPPORTED, "%s: "
		    "learner.objective.name is \"%s\"; multi-class models are "
		    "not supported", o, name->str);
	if (strcmp(name->str, "binary:logitraw") == 0)
		x->logitraw = 1;
	else if (strcmp(name->str, "binary:logistic") != 0 &&
	    strcmp(name->str, "reg:logistic") != 0)
		return ld_err_set(err, LD_EUNSUPPORTED, "%s: "
		    "learner.objective.name is \"%s\"; only binary:logistic "
		    "(one class of default vs. repaid) is supported", o,
		    name->str);
	if ((st = xgb_param_long(mp, "num_feature", -1, &nfeat, o,
	    "learner.learner_model_param", err)) != LD_OK ||
	    (st = xgb_param_long(mp, "num_class", 0, &ncls, o,
	    "learner.learner_model_param", err)) != LD_OK ||
	    (st = xgb_param_long(mp, "num_target", 1, &ntgt, o,
	    "learner.learner_model_param", err)) != LD_OK)
		return st;
	if (ncls > 1)
		return ld_err_set(err, LD_EUNSUPPORTED, "%s: "
		    "learner.learner_model_param.num_class is %ld; multi-class "
		    "models are not supported", o, ncls);
	if (ntgt > 1)
		return ld_err_set(err, LD_EUNSUPPORTED, "%s: "
		    "learner.learner_model_param.num_target is %ld; "
		    "multi-target models are not supported", o, ntgt);
	if (nfeat < 1 || nfeat > 1000000)
		return ld_err_set(err, LD_EINVAL, "%s: "
		    "learner.learner_model_param.num_feature %ld out of range",
		    o, nfeat);
	if ((st = xgb_base_score(mp, &x->base_score, o, err)) != LD_OK)
		return st;
	if (!(x->base_score > 0.0f && x->base_score < 1.0f))
		return ld_err_set(err, LD_EINVAL, "%s: "
		    "learner.learner_model_param.base_score %g is not a "
		    "probability in (0,1)", o, (double)x->base_score);
	/* ProbToMargin of xgboost's logistic objectives, in float. */
	x->base_margin = -logf(1.0f / x->base_score - 1.0f);
	if ((st = xgb_load_names(m, learner, nfeat, err)) != LD_OK)
		return st;

	if ((model = xgb_member(gb, "model", RISK_JSON_OBJECT, o,
	    "learner.gradient_booster", err)) == NULL ||
	    (gp = xgb_member(model, "gbtree_model_param", RISK_JSON_OBJECT, o,
	    "learner.gradient_booster.model", err)) == NULL ||
	    (trees = xgb_member(model, "trees", RISK_JSON_ARRAY, o,
	    "learner.gradient_booster.model", err)) == NULL ||
	    (info = xgb_member(model, "tree_info", RISK_JSON_ARRAY, o,
	    "learner.gradient_booster.model", err)) == NULL)
		return err != NULL ? err->code : LD_EINVAL;
	if ((st = xgb_param_long(gp, "num_trees", -1, &ntrees, o,
	    "learner.gradient_booster.model.gbtree_model_param",
	    err)) != LD_OK ||
	    (st = xgb_param_long(gp, "num_parallel_tree", 1, &npar, o,
	    "learner.gradient_booster.model.gbtree_model_param",
	    err)) != LD_OK ||
	    (st = xgb_param_long(gp, "size_leaf_vector", 0, &slv, o,
	    "learner.gradient_booster.model.gbtree_model_param",
	    err)) != LD_OK)
		return st;
	if (slv > 1)
		return ld_err_set(err, LD_EUNSUPPORTED, "%s: "
		    "gbtree_model_param.size_leaf_vector is %ld; vector leaves "
		    "(multi-target trees) are not supported", o, slv);
	if (npar != 1)
		return ld_err_set(err, LD_EUNSUPPORTED, "%s: num_parallel_tree "
		    "is %ld; boosted random forests are not supported", o,
		    npar);
	if (ntrees < 1 || (size_t)ntrees != trees->n ||
	    info->n != trees->n)
		return ld_err_set(err, LD_EINVAL, "%s: num_trees is %ld but "
		    XGB_TREES " has %zu and tree_info %zu entries", o, ntrees,
		    trees->n, info->n);
	for (i = 0; i < info->n; i++)
		if (info->items[i].type != RISK_JSON_NUMBER ||
		    info->items[i].num != 0)
			return ld_err_set(err, LD_EUNSUPPORTED, "%s: "
			    "tree_info[%zu] is not output group 0 "
			    "(multi-class model)", o, i);

	total = 0;
	for (i = 0; i < trees->n; i++) {
		const struct risk_json *tp;
		long n;

		tp = risk_json_get(&trees->items[i], "tree_param");
		if (tp == NULL || tp->type != RISK_JSON_OBJECT)
			return ld_err_set(err, LD_EINVAL, "%s: tree %zu: "
			    "tree_param is missing", o, i);
		snprintf(tpath, sizeof tpath, "tree %zu: tree_param", i);
		if ((st = xgb_param_long(tp, "num_nodes", -1, &n, o, tpath,
		    err)) != LD_OK)
			return st;
		if (n < 1 || n > INT32_MAX / 4)
			return ld_err_set(err, LD_EINVAL, "%s: tree %zu: "
			    "num_nodes %ld out of range", o, i, n);
		total += (size_t)n;
		if (total > INT32_MAX / 4)
			return ld_err_set(err, LD_EINVAL, "%s: more than %d "
			    "nodes", o, INT32_MAX / 4);
	}
	x->ntrees = trees->n;
	x->trees = ld_calloc(x->ntrees, sizeof *x->trees);
	x->nodes = ld_calloc(total ? total : 1, sizeof *x->nodes);
	x->cover = ld_calloc(total ? total : 1, sizeof *x->cover);
	x->mean = ld_calloc(total ? total : 1, sizeof *x->mean);
	x->nnodes = 0;
	for (i = 0; i < trees->n; i++) {
		const struct risk_json *tp;
		long n;

		tp = risk_json_get(&trees->items[i], "tree_param");
		if (tp == NULL || tp->type != RISK_JSON_OBJECT)
			return ld_err_set(err, LD_EINVAL, "%s: tree %zu: "
			    "tree_param is missing", o, i);
		snprintf(tpath, sizeof tpath, "tree %zu: tree_param", i);
		if ((st = xgb_param_long(tp, "num_nodes", -1, &n, o, tpath,
		    err)) != LD_OK)
			return st;
		if (n < 1 || (size_t)n > total - x->nnodes)
			return ld_err_set(err, LD_EINVAL, "%s: tree %zu: "
			    "num_nodes %ld out of range", o, i, n);
		if ((st = xgb_load_tree(m, &trees->items[i], i,
		    (uint32_t)x->nnodes, err)) != LD_OK)
			return st;
		x->nnodes += (size_t)n;
	}
	x->walk = ld_calloc(x->nnodes ? x->nnodes : 1, sizeof *x->walk);
	for (i = 0; i < x->nnodes; i++) {
		const struct risk_xgb_node *nd = &x->nodes[i];
		struct risk_xgb_wnode *w = &x->walk[i];

		w->cond = nd->cond;
		if (nd->left < 0) {
			w->feat = 0;
			w->left = w->right = (uint32_t)i;
		} else {
			w->feat = nd->feat;
			w->left = (uint32_t)nd->left;
			w->right = (uint32_t)nd->right;
		}
	}
	return risk_shap_prepare(m, err);
}

void
risk_xgb_free(struct risk_xgb *x)
{
	free(x->trees);
	free(x->nodes);
	free(x->walk);
	free(x->mean);
	free(x->cover);
	free(x->leaf_of);
	free(x->leaves);
	free(x->path_node);
	free(x->elem_feat);
	free(x->tree_feats);
	free(x->ftab);
}

/*
 * One step of a walk, on inputs converted to float as xgboost's are.  A
 * leaf points at itself, so extra steps stay put.
 */
static inline uint32_t
xgb_stepf(const struct risk_xgb_wnode *w, uint32_t n, const float *x)
{
	const struct risk_xgb_wnode	*nd = &w[n];
	float				 v;
	unsigned			 go_left;

	v = x[nd->feat & RISK_XGB_FEATURE_MASK];
	/* NaN compares false; then default_left decides.  No branches. */
	go_left = (v < nd->cond) | ((v != v) & (nd->feat >> 31));
	return go_left ? nd->left : nd->right;
}

/*
 * Eight trees at a time: their walks are independent, so the loads of
 * one overlap the others'.  The leaves are still added in tree order.
 * The row is converted to float once (xgboost's own inputs are floats),
 * not at every step.
 */
double
risk_xgb_margin(const struct risk_model *m, const double *x)
{
	const struct risk_xgb		*xg = &m->xgb;
	const struct risk_xgb_wnode	*w = xg->walk;
	const struct risk_xgb_tree	*tr = xg->trees;
	float				 margin = xg->base_margin;
	float				 xs[256], *xf = xs;
	size_t				 t, k, d, F = m->nfeatures;

	if (F > sizeof xs / sizeof xs[0])
		xf = ld_reallocarray(NULL, F, sizeof *xf);
	for (k = 0; k < F; k++)
		xf[k] = (float)x[k];
	for (t = 0; t + 8 <= xg->ntrees; t += 8) {
		uint32_t n[8];

		d = 0;
		for (k = 0; k < 8; k++) {
			n[k] = tr[t + k].root;
			if (tr[t + k].depth > d)
				d = tr[t + k].depth;
		}
		for (k = 0; k < d; k++) {
			n[0] = xgb_stepf(w, n[0], xf);
			n[1] = xgb_stepf(w, n[1], xf);
			n[2] = xgb_stepf(w, n[2], xf);
			n[3] = xgb_stepf(w, n[3], xf);
			n[4] = xgb_stepf(w, n[4], xf);
			n[5] = xgb_stepf(w, n[5], xf);
			n[6] = xgb_stepf(w, n[6], xf);
			n[7] = xgb_stepf(w, n[7], xf);
		}
		for (k = 0; k < 8; k++)
			margin += w[n[k]].cond;
	}
	for (; t < xg->ntrees; t++) {
		uint32_t n = tr[t].root;

		for (k = 0; k < tr[t].depth; k++)
			n = xgb_stepf(w, n, xf);
		margin += w[n].cond;
	}
	if (xf != xs)
		free(xf);
	return margin;
}

/*
 * Saabas attributions exactly as xgboost 1.7's CalculateContributionsApprox:
 * per tree in float, then added to float totals in tree order.  phi holds
 * float values throughout so the sums round as xgboost's do.
 */
void
risk_xgb_approx_contribs(const struct risk_model *m, const double *x,
    double *phi, float *tacc)
{
	const struct risk_xgb	*xg = &m->xgb;
	size_t			 t, F = m->nfeatures;
	uint32_t		 pf[RISK_XGB_MAX_DEPTH + 1];

	for (t = 0; t <= F; t++)
		phi[t] = 0;
	for (t = 0; t < xg->ntrees; t++) {
		uint32_t n = xg->trees[t].root, k = 0, i, f = 0;
		float node_value = xg->mean[n];

		phi[F] = (float)phi[F] + node_value;
		/*
		 * xgboost sums a tree's steps per feature (tacc, all zero
		 * between trees) before adding the tree to the row; a
		 * feature split on twice in one path rounds differently
		 * from two separate additions.
		 */
		while (xg->nodes[n].left >= 0) {
			const struct risk_xgb_node *nd = &xg->nodes[n];
			double v;

			f = nd->feat & RISK_XGB_FEATURE_MASK;
			pf[k++] = f;
			v = x[f];
			if (isnan(v))
				n = (uint32_t)((nd->feat &
				    RISK_XGB_DEFAULT_LEFT) ? nd->left :
				    nd->right);
			else
				n = (uint32_t)((float)v < nd->cond ?
				    nd->left : nd->right);
			tacc[f] += xg->mean[n] - node_value;
			node_value = xg->mean[n];
		}
		if (k == 0)
			continue;
		/* The leaf step; zero, as a leaf's mean is its value. */
		tacc[f] += xg->nodes[n].cond - node_value;
		/* A repeated feature adds its sum once, then zeros. */
		for (i = 0; i < k; i++) {
			phi[pf[i]] = (float)phi[pf[i]] + tacc[pf[i]];
			tacc[pf[i]] = 0;
		}
	}
	phi[F] = (float)phi[F] + xg->base_margin;
}
