/*
 * Inside struct risk_model: shared by risk_model.c, risk_xgb.c,
 * risk_shap.c and risk_scorecard.c, not by callers.  Internal to src/risk:
 * callers use risk_model.h.
 */
#ifndef LD_RISK_MODEL_INT_H
#define LD_RISK_MODEL_INT_H
#ifndef LD_RISK_INTERNAL
#error "risk_model_int.h is internal to src/risk: use risk_model.h"
#endif

#include <stddef.h>
#include <stdint.h>

#include "risk_json.h"
#include "risk_model.h"

/* Deepest tree accepted: path masks are 32-bit. */
#define RISK_XGB_MAX_DEPTH	30
/* Leaves deeper than this, or beyond the budget, are computed per row. */
#define RISK_XGB_TABLE_DEPTH	10
#define RISK_XGB_TABLE_BUDGET	(64u * 1024 * 1024 / sizeof(float))

#define RISK_XGB_DEFAULT_LEFT	0x80000000u
#define RISK_XGB_FEATURE_MASK	0x7fffffffu

/*
 * One node, 16 bytes so a tree walk touches one cache line per level.
 * Indices are absolute (into the model's node array) so the walk needs no
 * tree base.
 */
struct risk_xgb_node {
	float		 cond;	/* threshold; the leaf value for a leaf */
	uint32_t	 feat;	/* feature | RISK_XGB_DEFAULT_LEFT */
	int32_t		 left;	/* -1 for a leaf */
	int32_t		 right;
};

/*
 * A leaf as TreeSHAP sees it.  xgboost's recursion reaches a leaf with a
 * path of ud distinct features (in an order fixed by the tree) and adds
 * one float per feature.  Those floats depend on the row only through
 * which child, hot or cold, the path takes at each of its depth split
 * nodes: bit k of "bits" (root most significant) is 1 where the path
 * follows the row.  So they are tabulated at load for all 2^depth cases,
 * computed with xgboost's own float operations, and a row only looks
 * them up: bit for bit xgboost's pred_contribs.  Deep leaves beyond the
 * table budget run the same float operations per row.
 */
struct risk_xgb_leaf {
	float		 value;
	uint32_t	 depth;		/* split nodes on the path */
	uint32_t	 ud;		/* distinct features on the path */
	uint32_t	 path_first;	/* into path_node, depth entries */
	uint32_t	 elem_first;	/* into elem_feat, ud entries */
	size_t		 table;		/* into ftab (2^depth * ud), or
					   SIZE_MAX */
};

struct risk_xgb_tree {
	uint32_t	 root;		/* absolute node index */
	uint32_t	 nnodes;
	uint32_t	 feat_first;	/* into tree_feats */
	uint32_t	 nfeat;		/* distinct features split on */
	uint32_t	 depth;
};

/*
 * The same node for the scoring walk: a leaf points at itself, so a walk
 * of a fixed number of steps needs no leaf test and several trees can be
 * walked side by side.
 */
struct risk_xgb_wnode {
	float		 cond;
	uint32_t	 feat;
	uint32_t	 left;
	uint32_t	 right;
};

struct risk_xgb {
	float			 base_score;	/* probability */
	float			 base_margin;	/* logit(base_score) */
	int			 logitraw;
	size_t			 ntrees;
	struct risk_xgb_tree	*trees;
	size_t			 nnodes;
	struct risk_xgb_node	*nodes;
	struct risk_xgb_wnode	*walk;
	float			*mean;		/* per node, xgboost's float */
	float			*cover;		/* per node sum_hessian */
	uint32_t		*leaf_of;	/* per node: leaf index */
	size_t			 nleaves;
	struct risk_xgb_leaf	*leaves;
	uint32_t		*path_node;	/* leaves' split nodes */
	size_t			 npath;
	uint32_t		*elem_feat;	/* tree-local features */
	size_t			 nelem;
	uint32_t		*tree_feats;	/* local -> global feature */
	size_t			 ntree_feats;
	uint32_t		 max_tree_feats;
	size_t			 nftab;
	float			*ftab;
	int			 version[3];
};

/* A scorecard bin: lower <= x < upper (upper = +inf for the last). */
struct risk_card_bin {
	double		 upper;
	double		 woe;
	double		 points;
};

struct risk_card_feature {
	double			 coef;
	size_t			 nbins;
	struct risk_card_bin	*bins;
	struct risk_card_bin	 missing;	/* upper unused */
};

struct risk_card {
	double			 intercept;
	double			 base_points;
	struct risk_scale	 scale;
	struct risk_card_feature *features;
};

struct risk_model {
	enum risk_model_kind	 kind;
	char			*origin;
	size_t			 nfeatures;
	char			**names;
	struct risk_xgb		 xgb;
	struct risk_card	 card;
};

/*
 * The first of names[0..n) (in index order) equal to an earlier one: 1
 * with *dup and the earliest equal *first, or 0 when all differ.
 */
int		risk_names_repeat(char *const *names, size_t n, size_t *dup,
		    size_t *first);

enum ld_status	risk_xgb_load(struct risk_model *, const struct risk_json *,
		    struct ld_err *);
void		risk_xgb_free(struct risk_xgb *);
double		risk_xgb_margin(const struct risk_model *, const double *);
void		risk_xgb_contribs_rows(const struct risk_model *,
		    const double *, size_t, double *, float *);
void		risk_xgb_approx_contribs(const struct risk_model *,
		    const double *, double *, float *);
enum ld_status	risk_shap_prepare(struct risk_model *, struct ld_err *);

enum ld_status	risk_card_load(struct risk_model *, const struct risk_json *,
		    struct ld_err *);
void		risk_card_free(struct risk_model *);
double		risk_card_margin(const struct risk_model *, const double *);
void		risk_card_contribs(const struct risk_model *, const double *,
		    double *);
double		risk_card_points(const struct risk_model *, const double *,
		    double *);

#endif
