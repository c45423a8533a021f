/*
 * Path-dependent TreeSHAP (Lundberg et al., arXiv 1802.03888), bit for bit
 * what xgboost 1.7's CPU predict(pred_contribs=True) returns.
 *
 * xgboost recurses through every tree for every row, carrying the
 * Shapley weights of the path in float and redoing O(depth^2) float
 * operations, most of them divisions, at every leaf.  What it adds at a
 * leaf depends on the row only through the hot/cold choice at each split
 * node on the way (see struct risk_xgb_leaf), so we run xgboost's
 * operations once per leaf and choice pattern at load and keep the
 * resulting floats.  A row then walks each tree once, adding table
 * entries in xgboost's order (hot child first, a leaf's features in path
 * order, per-tree float totals added to the row's in tree order): the
 * same float additions of the same floats, hence the same bits.
 *
 * The float code below follows xgboost's ExtendPath, UnwindPath,
 * UnwoundPathSum and TreeShap (src/tree/tree_model.cc at v1.7.4)
 * operation by operation, including the int-to-float conversions and
 * the left-to-right order; do not "simplify" it.  It must be compiled
 * without -ffast-math and without FMA contraction (ISO C mode's
 * default).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "risk_model_int.h"

struct shap_elem {
	int	 feature;	/* tree-local; -1 for the root element */
	float	 zero;
	float	 one;
	float	 weight;
};

/* (D+2)(D+3)/2 elements for the deepest tree accepted. */
#define SHAP_PATH_MAX	((RISK_XGB_MAX_DEPTH + 2) * (RISK_XGB_MAX_DEPTH + 3) / 2)

static void
shap_extend(struct shap_elem *p, unsigned ud, float zero, float one,
    int feature)
{
	int	 i;

	p[ud].feature = feature;
	p[ud].zero = zero;
	p[ud].one = one;
	p[ud].weight = ud == 0 ? 1.0f : 0.0f;
	for (i = (int)ud - 1; i >= 0; i--) {
		p[i + 1].weight += one * p[i].weight * (i + 1) /
		    (float)(ud + 1);
		p[i].weight = zero * p[i].weight * (ud - (unsigned)i) /
		    (float)(ud + 1);
	}
}

static void
shap_unwind(struct shap_elem *p, unsigned ud, unsigned k)
{
	const float	 one = p[k].one, zero = p[k].zero;
	float		 next = p[ud].weight, tmp;
	int		 i;

	for (i = (int)ud - 1; i >= 0; i--) {
		if (one != 0) {
			tmp = p[i].weight;
			p[i].weight = next * (ud + 1) / (float)((i + 1) * one);
			next = tmp - p[i].weight * zero * (ud - (unsigned)i) /
			    (float)(ud + 1);
		} else
			p[i].weight = (p[i].weight * (ud + 1)) /
			    (float)(zero * (ud - (unsigned)i));
	}
	for (; k < ud; k++) {
		p[k].feature = p[k + 1].feature;
		p[k].zero = p[k + 1].zero;
		p[k].one = p[k + 1].one;
	}
}

static float
shap_unwound_sum(const struct shap_elem *p, unsigned ud, unsigned k)
{
	const float	 one = p[k].one, zero = p[k].zero;
	float		 next = p[ud].weight, total = 0, tmp;
	int		 i;

	for (i = (int)ud - 1; i >= 0; i--) {
		if (one != 0) {
			tmp = next * (ud + 1) / (float)((i + 1) * one);
			total += tmp;
			next = p[i].weight - tmp * zero *
			    ((ud - (unsigned)i) / (float)(ud + 1));
		} else if (zero != 0)
			total += (p[i].weight / zero) /
			    ((ud - (unsigned)i) / (float)(ud + 1));
	}
	return total;
}

/*
 * xgboost's TreeShap along one root-to-leaf path: path[0..depth) are the
 * split nodes, then the leaf; bit (depth-1-k) of bits says whether the
 * path takes the row's (hot) child at path[k].  Writes the leaf's ud
 * additions to out and, if feat is not NULL, their features.  Returns ud.
 */
static unsigned
shap_path(const struct risk_xgb *x, const uint32_t *path, uint32_t depth,
    uint32_t leaf, uint32_t bits, const uint32_t *local, float *out,
    uint32_t *feat)
{
	struct shap_elem	 buf[SHAP_PATH_MAX], *parent = buf, *p;
	unsigned		 ud = 0, i, k;
	float			 pz = 1, po = 1;
	int			 pf = -1;

	memset(&buf[0], 0, sizeof buf[0]);
	for (k = 0;; k++) {
		const struct risk_xgb_node *nd;
		uint32_t n, next;
		float w, iz = 1, io = 1;
		int f, hot;

		p = parent + ud + 1;
		memcpy(p, parent, (ud + 1) * sizeof *p);
		shap_extend(p, ud, pz, po, pf);
		if (k == depth)
			break;
		n = path[k];
		nd = &x->nodes[n];
		next = k + 1 < depth ? path[k + 1] : leaf;
		hot = (bits >> (depth - 1 - k)) & 1;
		/* Only equality matters; tree-local numbers when asked. */
		f = (int)(nd->feat & RISK_XGB_FEATURE_MASK);
		if (local != NULL)
			f = (int)local[f];
		w = x->cover[n];
		for (i = 0; i <= ud; i++)
			if (p[i].feature == f)
				break;
		if (i != ud + 1) {
			iz = p[i].zero;
			io = p[i].one;
			shap_unwind(p, ud, i);
			ud--;
		}
		/* hot_zero_fraction or cold_zero_fraction, as xgboost. */
		pz = (x->cover[next] / w) * iz;
		po = hot ? io : 0;
		pf = f;
		parent = p;
		ud++;
	}
	for (i = 1; i <= ud; i++) {
		float wsum = shap_unwound_sum(p, ud, i);

		out[i - 1] = wsum * (p[i].one - p[i].zero) *
		    x->nodes[leaf].cond;
		if (feat != NULL)
			feat[i - 1] = (uint32_t)p[i].feature;
	}
	return ud;
}

struct shap_build {
	struct risk_xgb	*x;
	uint32_t	*local;		/* global feature -> tree-local */
	size_t		 cap_leaves, cap_path, cap_elem, cap_ftab, cap_feats;
	uint32_t	 path[RISK_XGB_MAX_DEPTH + 1];
};

static void
shap_leaf(struct shap_build *b, uint32_t n, uint32_t depth)
{
	struct risk_xgb		*x = b->x;
	struct risk_xgb_leaf	*L;
	uint32_t		 feat[RISK_XGB_MAX_DEPTH + 1];
	float			 out[RISK_XGB_MAX_DEPTH + 1];
	uint32_t		 bits, j;
	size_t			 size;

	if (x->nleaves == b->cap_leaves) {
		b->cap_leaves = b->cap_leaves ? 2 * b->cap_leaves : 256;
		x->leaves = ld_reallocarray(x->leaves, b->cap_leaves,
		    sizeof *x->leaves);
	}
	if (x->npath + depth > b->cap_path) {
		b->cap_path = 2 * (x->npath + depth) + 1024;
		x->path_node = ld_reallocarray(x->path_node, b->cap_path,
		    sizeof *x->path_node);
	}
	if (x->nelem + depth > b->cap_elem) {
		b->cap_elem = 2 * (x->nelem + depth) + 1024;
		x->elem_feat = ld_reallocarray(x->elem_feat, b->cap_elem,
		    sizeof *x->elem_feat);
	}
	x->leaf_of[n] = (uint32_t)x->nleaves;
	L = &x->leaves[x->nleaves++];
	L->value = x->nodes[n].cond;
	L->depth = depth;
	L->path_first = (uint32_t)x->npath;
	memcpy(x->path_node + x->npath, b->path, depth * sizeof *b->path);
	x->npath += depth;
	/* The features and their order do not depend on the bits. */
	L->ud = shap_path(x, b->path, depth, n, 0, b->local, out, feat);
	L->elem_first = (uint32_t)x->nelem;
	memcpy(x->elem_feat + x->nelem, feat, L->ud * sizeof *feat);
	x->nelem += L->ud;
	L->table = SIZE_MAX;
	size = ((size_t)1 << depth) * L->ud;
	if (L->ud == 0 || depth > RISK_XGB_TABLE_DEPTH ||
	    x->nftab + size > RISK_XGB_TABLE_BUDGET)
		return;
	if (x->nftab + size > b->cap_ftab) {
		b->cap_ftab = 2 * (x->nftab + size) + 4096;
		x->ftab = ld_reallocarray(x->ftab, b->cap_ftab,
		    sizeof *x->ftab);
	}
	L->table = x->nftab;
	for (bits = 0; bits < (1u << depth); bits++) {
		shap_path(x, b->path, depth, n, bits, b->local, out, NULL);
		for (j = 0; j < L->ud; j++)
			x->ftab[x->nftab + bits * L->ud + j] = out[j];
	}
	x->nftab += size;
}

static void
shap_walk(struct shap_build *b, uint32_t n, uint32_t depth)
{
	const struct risk_xgb_node	*nd = &b->x->nodes[n];

	if (nd->left < 0) {
		shap_leaf(b, n, depth);
		return;
	}
	b->path[depth] = n;
	shap_walk(b, (uint32_t)nd->left, depth + 1);
	shap_walk(b, (uint32_t)nd->right, depth + 1);
}

enum ld_status
risk_shap_prepare(struct risk_model *m, struct ld_err *err)
{
	struct risk_xgb		*x = &m->xgb;
	struct shap_build	 b;
	size_t			 t, i;

	(void)err;
	memset(&b, 0, sizeof b);
	b.x = x;
	b.local = ld_malloc(m->nfeatures * sizeof *b.local);
	for (i = 0; i < m->nfeatures; i++)
		b.local[i] = UINT32_MAX;
	x->leaf_of = ld_calloc(x->nnodes, sizeof *x->leaf_of);
	for (t = 0; t < x->ntrees; t++) {
		struct risk_xgb_tree *tr = &x->trees[t];

		tr->feat_first = (uint32_t)x->ntree_feats;
		tr->nfeat = 0;
		for (i = tr->root; i < tr->root + tr->nnodes; i++) {
			uint32_t g = x->nodes[i].feat & RISK_XGB_FEATURE_MASK;

			if (x->nodes[i].left < 0 || b.local[g] != UINT32_MAX)
				continue;
			if (x->ntree_feats == b.cap_feats) {
				b.cap_feats = b.cap_feats ?
				    2 * b.cap_feats : 256;
				x->tree_feats = ld_reallocarray(x->tree_feats,
				    b.cap_feats, sizeof *x->tree_feats);
			}
			b.local[g] = tr->nfeat++;
			x->tree_feats[x->ntree_feats++] = g;
		}
		if (tr->nfeat > x->max_tree_feats)
			x->max_tree_feats = tr->nfeat;
		shap_walk(&b, tr->root, 0);
		for (i = 0; i < tr->nfeat; i++)
			b.local[x->tree_feats[tr->feat_first + i]] =
			    UINT32_MAX;
	}
	free(b.local);
	return LD_OK;
}

/*
 * One tree for one row into tphi (tree-local features, float as
 * xgboost's per-tree vector, zeroed here): visit the leaves in
 * xgboost's order, hot child first, knowing at each leaf the hot/cold
 * pattern of its path.
 */
static void
shap_tree(const struct risk_xgb *x, const struct risk_xgb_tree *tr,
    const double *xv, float *tphi)
{
	uint32_t	 stack[RISK_XGB_MAX_DEPTH + 2];
	uint32_t	 bits[RISK_XGB_MAX_DEPTH + 2];
	uint32_t	 top = 0, k;

	for (k = 0; k < tr->nfeat; k++)
		tphi[k] = 0;
	stack[top] = tr->root;
	bits[top++] = 0;
	while (top > 0) {
		uint32_t n = stack[--top], b = bits[top];
		const struct risk_xgb_node *nd = &x->nodes[n];
		const struct risk_xgb_leaf *L;
		const uint32_t *ef;
		double v;
		unsigned left;

		if (nd->left >= 0) {
			v = xv[nd->feat & RISK_XGB_FEATURE_MASK];
			/* As xgb_step(): branch-free. */
			left = ((float)v < nd->cond) |
			    ((v != v) & (nd->feat >> 31));
			stack[top] = (uint32_t)(left ? nd->right : nd->left);
			bits[top++] = b << 1;
			stack[top] = (uint32_t)(left ? nd->left : nd->right);
			bits[top++] = (b << 1) | 1;
			continue;
		}
		L = &x->leaves[x->leaf_of[n]];
		ef = x->elem_feat + L->elem_first;
		if (L->table != SIZE_MAX) {
			const float *T = x->ftab + L->table + (size_t)b * L->ud;

			for (k = 0; k < L->ud; k++)
				tphi[ef[k]] += T[k];
		} else if (L->ud > 0) {
			float out[RISK_XGB_MAX_DEPTH + 1];

			shap_path(x, x->path_node + L->path_first, L->depth,
			    n, b, NULL, out, NULL);
			for (k = 0; k < L->ud; k++)
				tphi[ef[k]] += out[k];
		}
	}
}

/*
 * Contributions of rows xv[0..n) (F values each) into phi (F + 1 each).
 * The trees are the outer loop so that a tree's tables stay in cache
 * across the rows of a batch.  tphi is scratch for n * max_tree_feats
 * floats.
 */
void
risk_xgb_contribs_rows(const struct risk_model *m, const double *xv,
    size_t n, double *phi, float *tphi)
{
	const struct risk_xgb	*x = &m->xgb;
	size_t			 t, F = m->nfeatures, i, k;
	size_t			 stride = x->max_tree_feats;

	for (i = 0; i < n * (F + 1); i++)
		phi[i] = 0;
	for (t = 0; t < x->ntrees; t++) {
		const struct risk_xgb_tree *tr = &x->trees[t];
		const uint32_t *tf = x->tree_feats + tr->feat_first;

		for (i = 0; i < n; i++) {
			double *p = phi + i * (F + 1);
			float *tp = tphi + i * stride;

			shap_tree(x, tr, xv + i * F, tp);
			/* The bias element first, as xgboost. */
			p[F] = (float)p[F] + x->mean[tr->root];
			for (k = 0; k < tr->nfeat; k++)
				p[tf[k]] = (float)p[tf[k]] + tp[k];
		}
	}
	for (i = 0; i < n; i++)
		phi[i * (F + 1) + F] = (float)phi[i * (F + 1) + F] +
		    x->base_margin;
}
