/*
 * Scoring a batch.  The transaction holds row locks on the claimed
 * applications from the SELECT ... FOR UPDATE SKIP LOCKED to the COMMIT, so
 * a second worker (here or on another host) skips them, and a worker that
 * dies mid-batch releases them with its connection: nothing is ever half
 * scored.
 *
 * A batch is four prepared statements whatever its size: the claim, which
 * also brings the payloads, the shared-device counts and the registry's
 * champion and challenger; a lookup of reusable earlier scores, only when
 * one of the applicants has any; the write, one statement built from a
 * JSON document of the batch (scores, decisions, audit records, NOTIFYs,
 * review cases); and the COMMIT.  The champion's TreeSHAP runs over the
 * whole batch at once, trees outermost, so each tree's tables stay in
 * cache.  The challenger, stored for comparison and never deciding, gets
 * its score without contributions: TreeSHAP is most of the worker's time,
 * and a challenger's breakdown is for model validation, which
 * `loandesk model eval --contribs` does offline on the same inputs.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "core_score.h"
#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_db.h"
#include "ld_paths.h"
#include "risk_explain.h"
#include "risk_features.h"
#include "risk_model.h"
#include "risk_policy.h"
#include "risk_reasons.h"
#include "risk_rules.h"

struct loaded_model {
	int64_t id;			/* 0: none */
	char label[160];		/* "name version", for messages */
	char sha256[65];
	struct risk_model *m;
	const char **names;		/* borrowed from m */
	size_t *cat;			/* catalogue index of each feature */
	size_t n;
};

struct core_scorer {
	struct risk_rules *rules;
	struct risk_reason_table *reasons;
	struct risk_policy policy;
	struct risk_scale scale;
	struct loaded_model champ, chall;
	const char *const *catnames;
	size_t ncat;
	/* The claim's text for batch_size claim_batch (0: none yet). */
	char *claim_sql;
	int claim_batch;
	struct ld_buf doc;
};

static int
file_exists(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/*
 * The configured file, else the installed one, else the source tree's,
 * into the caller's buffer (workers find their files at once, each in
 * its own).  NULL, with err naming the file, when the path does not fit.
 */
static const char *
etc_path(const char *configured, const char *base, char *buf, size_t len,
    struct ld_err *err)
{
	if (configured != NULL && configured[0] != '\0') {
		if ((size_t)snprintf(buf, len, "%s", configured) < len)
			return buf;
	} else {
		if ((size_t)snprintf(buf, len, "%s/loandesk/%s",
		    ld_config_sysconfdir(), base) < len && file_exists(buf))
			return buf;
		if ((size_t)snprintf(buf, len, "%s/etc/%s", ld_paths_srcdir(),
		    base) < len)
			return buf;
	}
	ld_err_set(err, LD_EINVAL, "%s: the path of %s is longer than %zu "
	    "bytes", configured != NULL && configured[0] != '\0' ?
	    configured : base, base, len - 1);
	return NULL;
}

const char *
core_score_rules_path(const struct risk_config *cfg, char *buf, size_t len,
    struct ld_err *err)
{
	return etc_path(cfg->rules_file, "rules.conf", buf, len, err);
}

const char *
core_score_reasons_path(const struct risk_config *cfg, char *buf, size_t len,
    struct ld_err *err)
{
	return etc_path(cfg->reason_codes_file, "reason_codes.tsv", buf,
	    len, err);
}

static void
loaded_model_clear(struct loaded_model *lm)
{
	risk_model_free(lm->m);
	free(lm->names);
	free(lm->cat);
	memset(lm, 0, sizeof *lm);
}

enum ld_status
core_scorer_new(const struct risk_config *cfg, struct core_scorer **out,
    struct ld_err *err)
{
	struct core_scorer *s = ld_calloc(1, sizeof *s);
	char path[4096];
	const char *p;
	enum ld_status st;

	*out = NULL;
	ld_buf_init(&s->doc, 0);
	risk_policy_from_config(&s->policy, cfg);
	if ((st = risk_policy_check(&s->policy, err)) != LD_OK)
		goto fail;
	risk_scale_default(&s->scale);
	s->scale.base_points = cfg->base_points;
	s->scale.base_odds = cfg->base_odds;
	s->scale.pdo = cfg->pdo;
	st = LD_EINVAL;
	if ((p = core_score_rules_path(cfg, path, sizeof path, err)) == NULL ||
	    (st = risk_rules_load(p, &s->rules, err)) != LD_OK)
		goto fail;
	st = LD_EINVAL;
	if ((p = core_score_reasons_path(cfg, path, sizeof path, err)) ==
	    NULL || (st = risk_reason_table_load(p, &s->reasons, err)) !=
	    LD_OK)
		goto fail;
	s->catnames = risk_feature_names();
	s->ncat = risk_feature_count();
	*out = s;
	return LD_OK;
fail:
	core_scorer_free(s);
	return st;
}

void
core_scorer_free(struct core_scorer *s)
{
	if (s == NULL)
		return;
	risk_rules_free(s->rules);
	risk_reason_table_free(s->reasons);
	loaded_model_clear(&s->champ);
	loaded_model_clear(&s->chall);
	free(s->claim_sql);
	ld_buf_free(&s->doc);
	free(s);
}

/* ---- statements ------------------------------------------------------ */

/*
 * The claim, with the batch size written in (a printf format): its plan
 * is made once, and with a parameter there the planner would guess a
 * tenth of the table and plan the joins below for thousands of rows.
 * Besides the applications it brings, per application, its
 * payloads (one column per source, in enum risk_source order), the
 * distinct applicants on its device fingerprint in the 24 hours up to it
 * (applications_device_time answers that from the index), and whether its
 * applicant has anything a reuse could come from; and, on every row, the
 * champion's and challenger's ids.
 */
static const char claim_sql[] =
    "WITH c AS (SELECT id, applicant_id, amount_fen, device_hash,"
    " submitted_at FROM applications WHERE status = 'received'"
    " ORDER BY id LIMIT %d FOR UPDATE SKIP LOCKED)"
    " SELECT c.id, c.applicant_id, c.amount_fen,"
    " CASE WHEN c.device_hash IS NOT NULL THEN"
    " (SELECT count(DISTINCT o.applicant_id) FROM applications o"
    " WHERE o.device_hash = c.device_hash"
    " AND o.submitted_at > c.submitted_at - interval '24 hours'"
    " AND o.submitted_at <= c.submitted_at) END,"
    " EXISTS (SELECT 1 FROM pre_assessments p"
    " WHERE p.applicant_id = c.applicant_id)"
    " OR EXISTS (SELECT 1 FROM applications o"
    " WHERE o.applicant_id = c.applicant_id AND o.id <> c.id"
    " AND o.score_id IS NOT NULL),"
    " d.carrier, d.device, d.behaviour, d.third_party, d.application,"
    " d.history, d.contacts, m.champion, m.challenger"
    " FROM c CROSS JOIN LATERAL (SELECT"
    " max(payload::text) FILTER (WHERE source = 'carrier') carrier,"
    " max(payload::text) FILTER (WHERE source = 'device') device,"
    " max(payload::text) FILTER (WHERE source = 'behaviour') behaviour,"
    " max(payload::text) FILTER (WHERE source = 'third_party') third_party,"
    " max(payload::text) FILTER (WHERE source = 'application') application,"
    " max(payload::text) FILTER (WHERE source = 'history') history,"
    " max(payload::text) FILTER (WHERE source = 'contacts') contacts"
    " FROM alt_data a WHERE a.application_id = c.id) d"
    " CROSS JOIN (SELECT"
    " (SELECT id FROM models WHERE role = 'champion') champion,"
    " (SELECT id FROM models WHERE role = 'challenger') challenger) m"
    " ORDER BY c.id";

#define CLAIM_COLS 14

/*
 * Earlier scores of the same applicant, model and inputs hash: a
 * pre-assessment, or the champion score of another application.  The
 * newest wins.  Only what the policy needs comes back; the write copies
 * the explanation server-side.
 */
static const char reuse_sql[] =
    "SELECT DISTINCT ON (x.app) x.app, r.kind, r.id, r.probability,"
    " r.margin, r.points, r.band"
    " FROM unnest($1::bigint[], $2::bigint[], $3::text[])"
    " AS x(app, applicant, hash)"
    " CROSS JOIN LATERAL ("
    " SELECT 'p' AS kind, p.id, p.probability, p.margin, p.points, p.band,"
    " p.scored_at FROM pre_assessments p WHERE p.applicant_id = x.applicant"
    " AND p.inputs_sha256 = x.hash AND p.model_id = $4::bigint"
    " UNION ALL"
    " SELECT 's', s.id, s.probability, s.margin, s.points, s.band,"
    " s.scored_at FROM applications o JOIN scores s"
    " ON s.application_id = o.id WHERE o.applicant_id = x.applicant"
    " AND o.id <> x.app AND s.inputs_sha256 = x.hash"
    " AND s.model_id = $4::bigint AND NOT s.shadow AND s.error IS NULL"
    " AND s.probability IS NOT NULL AND s.margin IS NOT NULL"
    " AND s.points IS NOT NULL AND s.band IS NOT NULL) r"
    " ORDER BY x.app, r.scored_at DESC, r.id DESC";

/*
 * Everything written in one statement: the scores, the applications'
 * status and copy of the champion score, an audit record and a NOTIFY per
 * application, and a review case for each manual_review.  A reused score's
 * explanation is copied from where it is stored, by primary key only when
 * there is one (subqueries, not joins: the plan is generic, and a join
 * could scan all scores for every batch).  The status guard makes a
 * lost lock visible as a count mismatch instead of a double decision.
 */
static const char write_sql[] =
    "WITH b AS (SELECT * FROM jsonb_to_recordset($1::jsonb)"
    " AS x(ord integer, application_id bigint, model_id bigint,"
    " shadow boolean, probability double precision,"
    " margin double precision, points integer, band text, pd_bps integer,"
    " decision text, contributions jsonb, rules_hit jsonb, reasons jsonb,"
    " inputs_sha256 text, error text, pre_assessment boolean,"
    " reuse_pre bigint, reuse_score bigint, audit jsonb,"
    " review_reason text, review_note text)),"
    " ins AS (INSERT INTO scores (application_id, model_id, shadow,"
    " probability, margin, points, band, decision, contributions,"
    " rules_hit, reasons, inputs_sha256, error, pre_assessment)"
    " SELECT b.application_id, b.model_id, b.shadow, b.probability,"
    " b.margin, b.points, b.band, b.decision,"
    " coalesce(b.contributions,"
    " (SELECT contributions FROM pre_assessments WHERE id = b.reuse_pre),"
    " (SELECT contributions FROM scores WHERE id = b.reuse_score), '[]'),"
    " coalesce(b.rules_hit, '[]'),"
    " coalesce(b.reasons,"
    " (SELECT reasons FROM pre_assessments WHERE id = b.reuse_pre),"
    " (SELECT reasons FROM scores WHERE id = b.reuse_score), '[]'),"
    " b.inputs_sha256, b.error, coalesce(b.pre_assessment, false)"
    " FROM b ORDER BY b.ord"
    " RETURNING id, application_id, shadow),"
    " upd AS (UPDATE applications a SET status = b.decision,"
    " score_id = ins.id, points = b.points, pd_bps = b.pd_bps,"
    " band = b.band, recommendation = b.decision, updated_at = now(),"
    " version = a.version + 1"
    " FROM ins JOIN b ON b.application_id = ins.application_id"
    " AND NOT b.shadow"
    " WHERE NOT ins.shadow AND a.id = ins.application_id"
    " AND a.status = 'received'"
    " RETURNING a.id, ins.id AS score_id, b.decision, b.audit,"
    " b.review_reason, b.review_note)"
    " SELECT u.id, api.application_scored(u.id, u.score_id, u.audit,"
    " u.review_reason, u.review_note),"
    " pg_notify('applications', u.id::text)"
    " FROM (SELECT * FROM upd ORDER BY id) u";

static enum ld_status
prepare(struct core_scorer *s, struct ld_db *db, int batch_size,
    struct ld_err *err)
{
	struct ld_db_statement st[3];
	char set[32];

	if (s->claim_batch != batch_size) {
		free(s->claim_sql);
		s->claim_sql = ld_asprintf(claim_sql, batch_size);
		s->claim_batch = batch_size;
	}
	st[0].name = "loandesk_score_claim";
	st[0].sql = s->claim_sql;
	st[0].nparams = 0;
	st[1].name = "loandesk_score_reuse";
	st[1].sql = reuse_sql;
	st[1].nparams = 4;
	st[2].name = "loandesk_score_write";
	st[2].sql = write_sql;
	st[2].nparams = 1;
	snprintf(set, sizeof set, "loandesk_score %d", batch_size);
	/*
	 * The statements' plans do not depend on their parameters (a batch
	 * size, a document whose row count the planner cannot see), so they
	 * are planned once, not at every batch.
	 */
	return ld_db_prepare(db, set,
	    "SET plan_cache_mode = force_generic_plan", st,
	    sizeof st / sizeof st[0], err);
}

/* ---- models ---------------------------------------------------------- */

static enum ld_status
load_model_row(struct ld_db *db, int64_t id, struct loaded_model *lm,
    struct ld_err *err)
{
	PGresult *res;
	char idtext[32], origin[200];
	const char *params[1] = { idtext };
	enum ld_status st;
	size_t i;

	loaded_model_clear(lm);
	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	st = ld_db_exec(db, "SELECT name, version, body, sha256 FROM models"
	    " WHERE id = $1::bigint", 1, params, &res, err);
	if (st != LD_OK)
		return st;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ld_err_set(err, LD_ENOTFOUND, "model id %s vanished",
		    idtext);
	}
	snprintf(lm->label, sizeof lm->label, "%s %s", PQgetvalue(res, 0, 0),
	    PQgetvalue(res, 0, 1));
	snprintf(lm->sha256, sizeof lm->sha256, "%s", PQgetvalue(res, 0, 3));
	snprintf(origin, sizeof origin, "model %s (id %s)", lm->label,
	    idtext);
	st = risk_model_load(PQgetvalue(res, 0, 2),
	    (size_t)PQgetlength(res, 0, 2), origin, &lm->m, err);
	PQclear(res);
	if (st != LD_OK)
		return st;
	lm->n = risk_model_nfeatures(lm->m);
	lm->names = ld_calloc(lm->n ? lm->n : 1, sizeof *lm->names);
	lm->cat = ld_calloc(lm->n ? lm->n : 1, sizeof *lm->cat);
	for (i = 0; i < lm->n; i++) {
		lm->names[i] = risk_model_feature_name(lm->m, i);
		lm->cat[i] = risk_feature_index(lm->names[i]);
		/* The registry refuses these; an older row may have one. */
		if (lm->cat[i] == (size_t)-1) {
			st = ld_err_set(err, LD_EINVAL, "%s: feature %zu "
			    "\"%s\" is not in the feature catalogue", origin,
			    i, lm->names[i]);
			loaded_model_clear(lm);
			return st;
		}
	}
	lm->id = id;
	return LD_OK;
}

/*
 * Follows the registry: a new champion or challenger is loaded at the next
 * batch.  A challenger that fails to load is dropped (it never decides); a
 * champion that fails stops scoring, since deciding with the old one
 * after an operator replaced it would be wrong.
 */
static enum ld_status
use_models(struct core_scorer *s, struct ld_db *db, int64_t champ,
    int64_t chall, struct ld_err *err)
{
	struct ld_err cerr;

	if (champ == 0) {
		loaded_model_clear(&s->champ);
		return ld_err_set(err, LD_ENOTFOUND, "no champion model in "
		    "the registry (loandesk model register, then "
		    "loandesk model activate)");
	}
	if (s->champ.id != champ &&
	    load_model_row(db, champ, &s->champ, err) != LD_OK)
		return ld_err_prefix(err, "champion: ");
	if (chall == 0) {
		loaded_model_clear(&s->chall);
	} else if (s->chall.id != chall) {
		ld_err_clear(&cerr);
		if (load_model_row(db, chall, &s->chall, &cerr) != LD_OK)
			loaded_model_clear(&s->chall);
	}
	return LD_OK;
}

static int64_t
field_id(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? 0 :
	    strtoll(PQgetvalue(res, r, c), NULL, 10);
}

/* ---- one batch ------------------------------------------------------- */

/* One claimed application through the batch. */
struct claimed {
	int64_t id, applicant_id, amount_fen;
	int may_reuse;
	char data_error[LD_ERR_MSG_MAX];
	double *xcat;		/* catalogue values, NAN = missing */
	/* a reusable earlier score of the champion, from find_reusable */
	char reuse_kind;	/* 0, 'p' pre-assessment, 's' score */
	int64_t reuse_id;
	double reuse_p, reuse_margin;
	int reuse_points;
	char reuse_band[8];
};

/* What a model said about one application. */
struct model_out {
	int want, ok;		/* else error says why */
	double probability, margin;
	int points;
	const char *band;
	char hash[65];		/* the inputs hash, "" when it failed */
	char error[LD_ERR_MSG_MAX];
};

/* One model over the batch. */
struct model_run {
	struct loaded_model *lm;
	int explain;		/* TreeSHAP and reasons (the champion) */
	double *x;		/* n rows of lm->n values */
	double *phi;		/* n rows of lm->n + 1, with explain */
	struct model_out *out;
};

static void
model_run_free(struct model_run *r)
{
	free(r->x);
	free(r->phi);
	free(r->out);
	memset(r, 0, sizeof *r);
}

/*
 * The model's inputs and hash for every claimed application without a
 * data error, in the model's order from the catalogue values.
 */
static void
model_inputs(struct model_run *r, struct loaded_model *lm, int explain,
    const struct claimed *c, size_t n)
{
	size_t F = lm->n, k, j;
	struct ld_err err;
	struct model_out *o;

	r->lm = lm;
	r->explain = explain;
	r->x = ld_calloc(n * F + 1, sizeof *r->x);
	r->out = ld_calloc(n ? n : 1, sizeof *r->out);
	for (k = 0; k < n; k++) {
		o = &r->out[k];
		if (c[k].data_error[0] != '\0')
			continue;
		for (j = 0; j < F; j++)
			r->x[k * F + j] = c[k].xcat[lm->cat[j]];
		ld_err_clear(&err);
		if (risk_features_hash_model(lm->sha256, lm->names,
		    r->x + k * F, F, o->hash, &err) != LD_OK) {
			o->hash[0] = '\0';
			snprintf(o->error, sizeof o->error, "model %s: %s",
			    lm->label, err.msg);
			continue;
		}
		o->want = 1;
	}
}

/*
 * Scores the rows still wanted (the champion's reused ones are not):
 * margin from one walk of the trees and the probability from it,
 * TreeSHAP for all of them in one call when explaining.
 */
static void
model_eval(struct core_scorer *s, struct model_run *r, size_t n)
{
	struct loaded_model *lm = r->lm;
	size_t F = lm->n, k, nr = 0;
	size_t *rowof = ld_calloc(n ? n : 1, sizeof *rowof);
	double *xs = NULL, score;
	struct ld_err err;
	struct model_out *o;

	for (k = 0; k < n; k++) {
		o = &r->out[k];
		if (!o->want)
			continue;
		o->margin = risk_model_margin(lm->m, r->x + k * F);
		o->probability = risk_model_probability_of_margin(lm->m,
		    o->margin);
		if (!isfinite(o->probability) || o->probability < 0 ||
		    o->probability > 1 || !isfinite(o->margin)) {
			snprintf(o->error, sizeof o->error, "model %s: "
			    "probability %g (margin %g) is not a probability",
			    lm->label, o->probability, o->margin);
			continue;
		}
		if (risk_model_kind(lm->m) == RISK_MODEL_SCORECARD) {
			/* A card's own points, as its owner designed them. */
			ld_err_clear(&err);
			if (risk_model_points(lm->m, &s->scale, r->x + k * F,
			    &score, NULL, NULL, &err) != LD_OK) {
				snprintf(o->error, sizeof o->error,
				    "model %s: points: %s", lm->label,
				    err.msg);
				continue;
			}
			o->points = (int)lround(score);
		} else {
			o->points = risk_scale_points(&s->scale,
			    o->probability);
		}
		o->band = risk_scale_band(&s->scale, o->points);
		o->ok = 1;
		rowof[nr++] = k;
	}
	if (r->explain && nr > 0) {
		r->phi = ld_calloc(n * (F + 1), sizeof *r->phi);
		/* Packed, so the batch call sees consecutive rows. */
		xs = ld_calloc(nr * F, sizeof *xs);
		for (k = 0; k < nr; k++)
			memcpy(xs + k * F, r->x + rowof[k] * F,
			    F * sizeof *xs);
		ld_err_clear(&err);
		if (risk_model_contribs_batch(lm->m, xs, nr, r->phi, &err) !=
		    LD_OK) {
			for (k = 0; k < nr; k++) {
				o = &r->out[rowof[k]];
				o->ok = 0;
				snprintf(o->error, sizeof o->error, "model %s: "
				    "contributions: %s", lm->label, err.msg);
			}
		} else {
			/* Spread back to the rows' own places, last first. */
			for (k = nr; k-- > 0;)
				if (rowof[k] != k)
					memmove(r->phi + rowof[k] * (F + 1),
					    r->phi + k * (F + 1),
					    (F + 1) * sizeof *r->phi);
		}
	}
	free(xs);
	free(rowof);
}

static void
claimed_free(struct claimed *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(c[i].xcat);
	free(c);
}

/*
 * Fills c[k] from claim row k: ids, amount, payloads into catalogue
 * values, the shared-device count.  A payload that is not a JSON object is
 * a data error for that application only.
 */
static void
claimed_from_row(struct core_scorer *s, const PGresult *res, int i,
    struct claimed *c)
{
	struct risk_payloads *pl = risk_payloads_new();
	struct ld_err perr;
	int src;

	c->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	c->applicant_id = strtoll(PQgetvalue(res, i, 1), NULL, 10);
	c->amount_fen = strtoll(PQgetvalue(res, i, 2), NULL, 10);
	c->may_reuse = PQgetvalue(res, i, 4)[0] == 't';
	for (src = 0; src < RISK_SOURCE_COUNT; src++) {
		if (PQgetisnull(res, i, 5 + src))
			continue;
		ld_err_clear(&perr);
		if (risk_payloads_set_json(pl, (enum risk_source)src,
		    PQgetvalue(res, i, 5 + src),
		    (size_t)PQgetlength(res, i, 5 + src), &perr) != LD_OK &&
		    c->data_error[0] == '\0')
			snprintf(c->data_error, sizeof c->data_error,
			    "application %" PRId64 ": %s", c->id, perr.msg);
	}
	(void)risk_payloads_set_linked(pl, "device_shared_applicants_24h",
	    PQgetisnull(res, i, 3) ? NAN : strtod(PQgetvalue(res, i, 3),
	    NULL), NULL);
	c->xcat = ld_calloc(s->ncat, sizeof *c->xcat);
	risk_features_extract_all(pl, c->xcat);
	risk_payloads_free(pl);
}

static enum ld_status
claim(struct core_scorer *s, struct ld_db *db, struct claimed **out,
    size_t *n, int64_t *champ, int64_t *chall, struct ld_err *err)
{
	PGresult *res;
	struct claimed *c;
	enum ld_status st;
	int i, rows;

	*out = NULL;
	*n = 0;
	st = ld_db_exec_prepared(db, "loandesk_score_claim", 0, NULL, &res,
	    err);
	if (st != LD_OK)
		return st;
	rows = PQntuples(res);
	c = ld_calloc(rows > 0 ? (size_t)rows : 1, sizeof *c);
	*champ = *chall = 0;
	if (rows > 0) {
		*champ = field_id(res, 0, CLAIM_COLS - 2);
		*chall = field_id(res, 0, CLAIM_COLS - 1);
	}
	for (i = 0; i < rows; i++)
		claimed_from_row(s, res, i, &c[i]);
	PQclear(res);
	*out = c;
	*n = (size_t)rows;
	return LD_OK;
}

/*
 * Pre-assessment: a champion score of the same applicant with the same
 * inputs hash (taken before the borrower asked for money, or an earlier
 * application of theirs) is taken as it is instead of running the model
 * again.  Asked only for applicants the claim says have one.
 */
static enum ld_status
find_reusable(struct core_scorer *s, struct ld_db *db, struct claimed *c,
    const struct model_out *mo, size_t n, struct ld_err *err)
{
	struct ld_buf apps, people, hashes;
	PGresult *res;
	const char *params[4];
	char mid[32];
	enum ld_status st;
	size_t k, any = 0;
	int i;

	ld_buf_init(&apps, 0);
	ld_buf_init(&people, 0);
	ld_buf_init(&hashes, 0);
	for (k = 0; k < n; k++) {
		if (!c[k].may_reuse || !mo[k].want)
			continue;
		ld_buf_printf(&apps, "%s%" PRId64, any ? "," : "{", c[k].id);
		ld_buf_printf(&people, "%s%" PRId64, any ? "," : "{",
		    c[k].applicant_id);
		ld_buf_printf(&hashes, "%s%s", any ? "," : "{", mo[k].hash);
		any++;
	}
	st = LD_OK;
	if (any == 0)
		goto out;
	ld_buf_puts(&apps, "}");
	ld_buf_puts(&people, "}");
	ld_buf_puts(&hashes, "}");
	snprintf(mid, sizeof mid, "%" PRId64, s->champ.id);
	params[0] = apps.data;
	params[1] = people.data;
	params[2] = hashes.data;
	params[3] = mid;
	if ((st = ld_db_exec_prepared(db, "loandesk_score_reuse", 4, params,
	    &res, err)) != LD_OK)
		goto out;
	for (i = 0; i < PQntuples(res); i++) {
		int64_t app = strtoll(PQgetvalue(res, i, 0), NULL, 10);

		for (k = 0; k < n && c[k].id != app; k++)
			;
		if (k == n)
			continue;
		c[k].reuse_kind = PQgetvalue(res, i, 1)[0];
		c[k].reuse_id = strtoll(PQgetvalue(res, i, 2), NULL, 10);
		c[k].reuse_p = strtod(PQgetvalue(res, i, 3), NULL);
		c[k].reuse_margin = strtod(PQgetvalue(res, i, 4), NULL);
		c[k].reuse_points = (int)strtol(PQgetvalue(res, i, 5), NULL,
		    10);
		snprintf(c[k].reuse_band, sizeof c[k].reuse_band, "%s",
		    PQgetvalue(res, i, 6));
	}
	PQclear(res);
out:
	ld_buf_free(&apps);
	ld_buf_free(&people);
	ld_buf_free(&hashes);
	return st;
}

/* ---- the batch document ---------------------------------------------- */

/*
 * A compact JSON printer for the cJSON pieces of the document (the rule
 * hits, the audit record): numbers once, without cJSON's print-and-check.
 */
static void
json_print(struct ld_buf *b, const cJSON *j)
{
	const cJSON *c;

	if (j == NULL || cJSON_IsNull(j) || cJSON_IsInvalid(j)) {
		ld_buf_puts(b, "null");
	} else if (cJSON_IsFalse(j)) {
		ld_buf_puts(b, "false");
	} else if (cJSON_IsTrue(j)) {
		ld_buf_puts(b, "true");
	} else if (cJSON_IsNumber(j)) {
		risk_json_put_number(b, j->valuedouble);
	} else if (cJSON_IsString(j)) {
		risk_json_put_string(b, j->valuestring);
	} else if (cJSON_IsRaw(j)) {
		ld_buf_puts(b, j->valuestring);
	} else {
		int obj = cJSON_IsObject(j);

		ld_buf_puts(b, obj ? "{" : "[");
		for (c = j->child; c != NULL; c = c->next) {
			if (c != j->child)
				ld_buf_puts(b, ",");
			if (obj) {
				risk_json_put_string(b, c->string ?
				    c->string : "");
				ld_buf_puts(b, ":");
			}
			json_print(b, c);
		}
		ld_buf_puts(b, obj ? "}" : "]");
	}
}

/* Writes ,"key": (or {"key": for the first key of an object). */
static void
key(struct ld_buf *b, int *first, const char *k)
{
	ld_buf_puts(b, *first ? "{\"" : ",\"");
	*first = 0;
	ld_buf_puts(b, k);
	ld_buf_puts(b, "\":");
}

static void
key_int(struct ld_buf *b, int *first, const char *k, int64_t v)
{
	key(b, first, k);
	ld_buf_printf(b, "%" PRId64, v);
}

static void
key_str(struct ld_buf *b, int *first, const char *k, const char *v)
{
	key(b, first, k);
	if (v == NULL)
		ld_buf_puts(b, "null");
	else
		risk_json_put_string(b, v);
}

/*
 * The contributions of row k of an explained run, straight onto b.
 * Points per feature: the card's own for a scorecard, TreeSHAP on the
 * points scale for XGBoost.
 */
static void
put_contributions(struct core_scorer *s, struct ld_buf *b,
    const struct model_run *r, size_t k)
{
	const struct loaded_model *lm = r->lm;
	size_t F = lm->n, i;
	const double *x = r->x + k * F, *phi = r->phi + k * (F + 1);
	double pts_small[64], *pts = pts_small, score;
	struct ld_err err;

	if (F > sizeof pts_small / sizeof pts_small[0])
		pts = ld_calloc(F, sizeof *pts);
	if (risk_model_kind(lm->m) == RISK_MODEL_SCORECARD) {
		ld_err_clear(&err);
		if (risk_model_points(lm->m, &s->scale, x, &score, NULL, pts,
		    &err) != LD_OK)
			for (i = 0; i < F; i++)
				pts[i] = NAN;
	} else {
		for (i = 0; i < F; i++)
			pts[i] = risk_scale_points_of_margin(&s->scale, phi[i]);
	}
	risk_explain_contributions_text(b, lm->names, x, phi, pts, F);
	if (pts != pts_small)
		free(pts);
}

/* The reason codes of row k of an explained run onto b. */
static void
put_reasons(struct core_scorer *s, struct ld_buf *b,
    const struct model_run *r, size_t k)
{
	struct risk_reason rs[RISK_REASONS_DEFAULT];
	const struct loaded_model *lm = r->lm;
	size_t F = lm->n, nreason;

	nreason = risk_reasons_pick(s->reasons, lm->names, r->x + k * F,
	    r->phi + k * (F + 1), F, RISK_REASONS_DEFAULT, rs);
	risk_explain_reasons_text(b, rs, nreason);
}

/*
 * The review case's reason and note: the basis that asked for a person
 * (a review rule, no score, the amount, a PD or score between the
 * thresholds; not the low PD that came before the amount), and all of
 * them.
 */
static void
review_texts(const struct risk_policy_result *pr, char *reason, size_t rlen,
    struct ld_buf *note)
{
	const struct risk_policy_reason *r = NULL;
	size_t i;

	for (i = 0; i < pr->nreasons && r == NULL; i++)
		switch (pr->reasons[i].basis) {
		case RISK_BASIS_RULE_REVIEW:
		case RISK_BASIS_NO_SCORE:
		case RISK_BASIS_AMOUNT_LARGE:
		case RISK_BASIS_PD_MIDDLE:
		case RISK_BASIS_POINTS_MIDDLE:
		case RISK_BASIS_BAND_WORST:
			r = &pr->reasons[i];
			break;
		default:
			break;
		}
	if (r == NULL && pr->nreasons > 0)
		r = &pr->reasons[0];
	snprintf(reason, rlen, "%s", r != NULL ? risk_basis_code(r->basis) :
	    "NO_SCORE");
	if (r != NULL && r->rule_id != NULL)
		snprintf(reason + strlen(reason), rlen - strlen(reason), " %s",
		    r->rule_id);
	for (i = 0; i < pr->nreasons; i++) {
		if (i > 0)
			ld_buf_puts(note, "; ");
		ld_buf_puts(note, pr->reasons[i].text);
	}
}

/* The common part of a score row. */
static void
put_score(struct ld_buf *b, int *first, int ord, const struct claimed *c,
    int64_t model_id, int shadow, const struct model_out *o, int ok,
    const struct risk_policy_result *pr, const cJSON *rules_hit)
{
	key_int(b, first, "ord", ord);
	key_int(b, first, "application_id", c->id);
	key_int(b, first, "model_id", model_id);
	key(b, first, "shadow");
	ld_buf_puts(b, shadow ? "true" : "false");
	if (ok) {
		key(b, first, "probability");
		risk_json_put_number(b, o->probability);
		key(b, first, "margin");
		risk_json_put_number(b, o->margin);
		key_int(b, first, "points", o->points);
		key_str(b, first, "band", o->band);
	}
	if (pr->pd_bps >= 0)
		key_int(b, first, "pd_bps", pr->pd_bps);
	key_str(b, first, "decision", risk_decision_name(pr->decision));
	if (rules_hit != NULL) {
		key(b, first, "rules_hit");
		json_print(b, rules_hit);
	}
	if (o->hash[0] != '\0')
		key_str(b, first, "inputs_sha256", o->hash);
}

/*
 * Decides one claimed application from the model outputs computed for the
 * batch (champ: the champion's run; chall: the challenger's or NULL) and
 * appends its rows to the batch document.
 */
static void
score_one(struct core_scorer *s, struct claimed *c, size_t k,
    const struct model_run *champ, const struct model_run *chall,
    struct ld_buf *doc, int *ord, struct core_score_stats *stats)
{
	struct risk_rule_hits hits;
	struct risk_policy_input in;
	struct risk_policy_result pr, spr;
	struct model_out mo = champ->out[k];
	struct ld_err rerr;
	const char *error = NULL;
	cJSON *audit, *rh = NULL;
	int ok = 0, reused = 0, rules_ok, first = 1;
	char reason[64];
	struct ld_buf note;

	ld_err_clear(&rerr);
	risk_rule_hits_init(&hits);
	rules_ok = risk_rules_eval(s->rules, s->catnames, c->xcat, s->ncat,
	    &hits, &rerr) == LD_OK;
	if (c->data_error[0] != '\0') {
		error = c->data_error;
	} else if (!rules_ok) {
		error = rerr.msg;
	} else if (c->reuse_kind != 0) {
		mo.probability = c->reuse_p;
		mo.margin = c->reuse_margin;
		mo.points = c->reuse_points;
		mo.band = c->reuse_band;
		ok = reused = 1;
	} else if (mo.ok) {
		ok = 1;
	} else {
		error = mo.error[0] ? mo.error : "model: no score";
	}
	memset(&in, 0, sizeof in);
	in.probability = ok ? mo.probability : NAN;
	in.has_points = ok;
	in.points = ok ? mo.points : 0;
	in.requested_amount_fen = c->amount_fen;
	in.hits = rules_ok ? &hits : NULL;
	risk_policy_decide(&s->policy, &in, &pr);
	if (error != NULL) {
		/* An error always gets a person, whatever the rules said. */
		pr.decision = RISK_DECISION_MANUAL_REVIEW;
	}
	if (rules_ok && hits.n > 0)
		rh = risk_explain_rules_hit(&hits);

	ld_buf_puts(doc, *ord ? "," : "");
	put_score(doc, &first, (*ord)++, c, s->champ.id, 0, &mo, ok, &pr, rh);
	if (ok && !reused) {
		key(doc, &first, "contributions");
		put_contributions(s, doc, champ, k);
		key(doc, &first, "reasons");
		put_reasons(s, doc, champ, k);
	}
	if (reused) {
		key(doc, &first, "pre_assessment");
		ld_buf_puts(doc, "true");
		key_int(doc, &first, c->reuse_kind == 'p' ? "reuse_pre" :
		    "reuse_score", c->reuse_id);
	}
	if (error != NULL)
		key_str(doc, &first, "error", error);
	audit = risk_policy_result_json(&pr, &in);
	if (audit == NULL)
		audit = cJSON_CreateObject();
	cJSON_AddNumberToObject(audit, "model_id", (double)s->champ.id);
	if (reused)
		cJSON_AddNumberToObject(audit, c->reuse_kind == 'p' ?
		    "reused_pre_assessment_id" : "reused_score_id",
		    (double)c->reuse_id);
	if (error != NULL)
		cJSON_AddStringToObject(audit, "error", error);
	key(doc, &first, "audit");
	json_print(doc, audit);
	cJSON_Delete(audit);
	if (pr.decision == RISK_DECISION_MANUAL_REVIEW) {
		ld_buf_init(&note, 0);
		if (error != NULL) {
			snprintf(reason, sizeof reason, "SCORING_ERROR");
			ld_buf_puts(&note, error);
		} else {
			review_texts(&pr, reason, sizeof reason, &note);
		}
		key_str(doc, &first, "review_reason", reason);
		key_str(doc, &first, "review_note", note.data ? note.data :
		    "");
		ld_buf_free(&note);
	}
	ld_buf_puts(doc, "}");
	stats->scored++;
	stats->reused += reused;
	stats->errors += error != NULL;

	/* The challenger: stored for comparison, never deciding. */
	if (chall != NULL && c->data_error[0] == '\0' && rules_ok) {
		const struct model_out *so = &chall->out[k];

		in.probability = so->ok ? so->probability : NAN;
		in.has_points = so->ok;
		in.points = so->ok ? so->points : 0;
		risk_policy_decide(&s->policy, &in, &spr);
		first = 1;
		ld_buf_puts(doc, ",");
		put_score(doc, &first, (*ord)++, c, s->chall.id, 1, so, so->ok,
		    &spr, rh);
		if (!so->ok)
			key_str(doc, &first, "error", so->error[0] ?
			    so->error : "model: no score");
		ld_buf_puts(doc, "}");
		stats->shadow++;
	}
	cJSON_Delete(rh);
	risk_rule_hits_free(&hits);
}

enum ld_status
core_score_batch(struct core_scorer *s, struct ld_db *db, int batch_size,
    int *claimed_n, struct core_score_stats *stats, struct ld_err *err)
{
	struct core_score_stats local;
	struct model_run champ, chall;
	struct claimed *c = NULL;
	PGresult *res = NULL;
	const char *params[1];
	enum ld_status st;
	int64_t champ_id, chall_id;
	size_t n = 0, k;
	int ord = 0;

	*claimed_n = 0;
	memset(&local, 0, sizeof local);
	memset(&champ, 0, sizeof champ);
	memset(&chall, 0, sizeof chall);
	if (batch_size < 1)
		return ld_err_set(err, LD_EINVAL, "batch size %d", batch_size);
	if ((st = prepare(s, db, batch_size, err)) != LD_OK)
		return st;
	if ((st = ld_db_begin(db, err)) != LD_OK)
		return st;
	if ((st = claim(s, db, &c, &n, &champ_id, &chall_id, err)) != LD_OK)
		goto fail;
	if (n == 0) {
		claimed_free(c, 0);
		return ld_db_commit(db, err);
	}
	if ((st = use_models(s, db, champ_id, chall_id, err)) != LD_OK)
		goto fail;
	model_inputs(&champ, &s->champ, 1, c, n);
	if ((st = find_reusable(s, db, c, champ.out, n, err)) != LD_OK)
		goto fail;
	for (k = 0; k < n; k++)
		if (c[k].reuse_kind != 0)
			champ.out[k].want = 0;
	model_eval(s, &champ, n);
	if (s->chall.id != 0) {
		model_inputs(&chall, &s->chall, 0, c, n);
		model_eval(s, &chall, n);
	}
	ld_buf_reset(&s->doc);
	ld_buf_puts(&s->doc, "[");
	for (k = 0; k < n; k++)
		score_one(s, &c[k], k, &champ, s->chall.id ? &chall : NULL,
		    &s->doc, &ord, &local);
	ld_buf_puts(&s->doc, "]");
	params[0] = s->doc.data;
	if ((st = ld_db_exec_prepared(db, "loandesk_score_write", 1, params,
	    &res, err)) != LD_OK)
		goto fail;
	if ((size_t)PQntuples(res) != n) {
		st = ld_err_set(err, LD_EINTERNAL, "scoring: %d of %zu "
		    "claimed applications updated", PQntuples(res), n);
		goto fail;
	}
	PQclear(res);
	res = NULL;
	if ((st = ld_db_commit(db, err)) != LD_OK)
		goto fail;
	/* Counted only once committed. */
	stats->scored += local.scored;
	stats->reused += local.reused;
	stats->errors += local.errors;
	stats->shadow += local.shadow;
	stats->batches++;
	*claimed_n = (int)n;
	model_run_free(&champ);
	model_run_free(&chall);
	claimed_free(c, n);
	return LD_OK;
fail:
	PQclear(res);
	ld_db_rollback(db);
	model_run_free(&champ);
	model_run_free(&chall);
	claimed_free(c, n);
	return st;
}

/* ---- pre-assessment -------------------------------------------------- */

enum ld_status
core_score_pre(struct core_scorer *s, struct ld_db *db, int64_t applicant_id,
    struct core_pre_assessment *out, struct ld_err *err)
{
	struct model_run run;
	struct claimed c;
	struct risk_payloads *pl = NULL;
	struct ld_buf contribs, reasons;
	PGresult *res = NULL;
	char idtext[32], mid[32], prob[40], margin[40], points[16];
	const char *params[10];
	enum risk_source src;
	struct ld_err perr;
	enum ld_status st;
	int i;

	memset(out, 0, sizeof *out);
	memset(&run, 0, sizeof run);
	memset(&c, 0, sizeof c);
	ld_buf_init(&contribs, 0);
	ld_buf_init(&reasons, 0);
	snprintf(idtext, sizeof idtext, "%" PRId64, applicant_id);
	params[0] = idtext;
	if ((st = ld_db_begin(db, err)) != LD_OK)
		goto out;
	st = ld_db_exec(db, "SELECT p.id, a.source, a.payload::text,"
	    " (SELECT id FROM models WHERE role = 'champion')"
	    " FROM applicants p LEFT JOIN applicant_alt_data a"
	    " ON a.applicant_id = p.id WHERE p.id = $1::bigint", 1, params,
	    &res, err);
	if (st != LD_OK)
		goto fail;
	if (PQntuples(res) == 0) {
		st = ld_err_set(err, LD_ENOTFOUND, "applicant %s does not "
		    "exist", idtext);
		goto fail;
	}
	if (PQgetisnull(res, 0, 1)) {
		st = ld_err_set(err, LD_ENOTFOUND, "applicant %s has no data "
		    "collected before an application (applicant_alt_data)",
		    idtext);
		goto fail;
	}
	if ((st = use_models(s, db, field_id(res, 0, 3), 0, err)) != LD_OK)
		goto fail;
	pl = risk_payloads_new();
	for (i = 0; i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, 1) ||
		    risk_source_from_name(PQgetvalue(res, i, 1), &src) != 0)
			continue;
		ld_err_clear(&perr);
		if (risk_payloads_set_json(pl, src, PQgetvalue(res, i, 2),
		    (size_t)PQgetlength(res, i, 2), &perr) != LD_OK) {
			st = ld_err_set(err, LD_EINVAL, "applicant %s: %s",
			    idtext, perr.msg);
			goto fail;
		}
	}
	PQclear(res);
	res = NULL;
	/*
	 * No application yet, so its links (the shared-device count) are
	 * missing: a model that reads them cannot be pre-assessed usefully,
	 * and its scores will simply not be reused.
	 */
	c.id = 0;
	c.applicant_id = applicant_id;
	c.xcat = ld_calloc(s->ncat, sizeof *c.xcat);
	risk_features_extract_all(pl, c.xcat);
	model_inputs(&run, &s->champ, 1, &c, 1);
	model_eval(s, &run, 1);
	if (!run.out[0].ok) {
		st = ld_err_set(err, LD_EINVAL, "applicant %s: %s", idtext,
		    run.out[0].error);
		goto fail;
	}
	out->model_id = s->champ.id;
	out->probability = run.out[0].probability;
	out->margin = run.out[0].margin;
	out->points = run.out[0].points;
	snprintf(out->band, sizeof out->band, "%s", run.out[0].band);
	memcpy(out->inputs_sha256, run.out[0].hash, sizeof out->inputs_sha256);
	snprintf(mid, sizeof mid, "%" PRId64, s->champ.id);

	/* The same inputs assessed before: that one stands. */
	params[1] = mid;
	params[2] = out->inputs_sha256;
	st = ld_db_exec(db, "SELECT id FROM pre_assessments"
	    " WHERE applicant_id = $1::bigint AND model_id = $2::bigint"
	    " AND inputs_sha256 = $3 ORDER BY id DESC LIMIT 1", 3, params,
	    &res, err);
	if (st != LD_OK)
		goto fail;
	if (PQntuples(res) == 1) {
		out->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		out->reused = 1;
		PQclear(res);
		res = NULL;
		st = ld_db_commit(db, err);
		goto out;
	}
	PQclear(res);
	res = NULL;

	put_contributions(s, &contribs, &run, 0);
	put_reasons(s, &reasons, &run, 0);
	snprintf(prob, sizeof prob, "%.17g", out->probability);
	snprintf(margin, sizeof margin, "%.17g", out->margin);
	snprintf(points, sizeof points, "%d", out->points);
	params[3] = prob;
	params[4] = margin;
	params[5] = points;
	params[6] = out->band;
	params[7] = contribs.data;
	params[8] = reasons.data;
	st = ld_db_exec(db, "WITH p AS (INSERT INTO pre_assessments"
	    " (applicant_id, model_id, inputs_sha256, probability, margin,"
	    " points, band, contributions, reasons) VALUES ($1::bigint,"
	    " $2::bigint, $3, $4::float8, $5::float8, $6::integer, $7,"
	    " $8::jsonb, $9::jsonb) RETURNING id)"
	    " SELECT p.id, api.pre_assessment_recorded(p.id) FROM p", 9,
	    params, &res, err);
	if (st != LD_OK)
		goto fail;
	out->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	res = NULL;
	st = ld_db_commit(db, err);
	goto out;
fail:
	PQclear(res);
	res = NULL;
	ld_db_rollback(db);
out:
	PQclear(res);
	risk_payloads_free(pl);
	free(c.xcat);
	model_run_free(&run);
	ld_buf_free(&contribs);
	ld_buf_free(&reasons);
	return st;
}
