/*
 * Scoring a batch.  The transaction holds row locks on the claimed
 * applications from the SELECT ... FOR UPDATE SKIP LOCKED to the COMMIT, so
 * a second worker (here or on another host) skips them, and a worker that
 * dies mid-batch releases them with its connection: nothing is ever half
 * scored.  The writes go in one statement built from a JSON document of the
 * batch, so a batch costs the same few round trips whatever its size.
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
	struct risk_model *m;
	const char **names;		/* borrowed from m */
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
};

/* What a model said about one application. */
struct model_out {
	int ok;			/* else error says why */
	double probability, margin;
	int points;
	const char *band;
	cJSON *contributions, *reasons;
	char error[LD_ERR_MSG_MAX];
};

static int
file_exists(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static const char *
etc_path(const char *configured, const char *base, char *buf, size_t len)
{
	if (configured != NULL && configured[0] != '\0')
		return configured;
	snprintf(buf, len, "%s/loandesk/%s", ld_config_sysconfdir(), base);
	if (file_exists(buf))
		return buf;
	snprintf(buf, len, "%s/etc/%s", ld_paths_srcdir(), base);
	return buf;
}

const char *
core_score_rules_path(const struct ld_config *cfg)
{
	static char buf[4096];

	return etc_path(cfg->risk.rules_file, "rules.conf", buf, sizeof buf);
}

const char *
core_score_reasons_path(const struct ld_config *cfg)
{
	static char buf[4096];

	return etc_path(cfg->risk.reason_codes_file, "reason_codes.tsv", buf,
	    sizeof buf);
}

static void
loaded_model_clear(struct loaded_model *lm)
{
	risk_model_free(lm->m);
	free(lm->names);
	memset(lm, 0, sizeof *lm);
}

enum ld_status
core_scorer_new(const struct ld_config *cfg, struct core_scorer **out,
    struct ld_err *err)
{
	struct core_scorer *s = ld_calloc(1, sizeof *s);
	enum ld_status st;

	*out = NULL;
	risk_policy_from_config(&s->policy, cfg);
	if ((st = risk_policy_check(&s->policy, err)) != LD_OK)
		goto fail;
	risk_scale_default(&s->scale);
	s->scale.base_points = cfg->risk.base_points;
	s->scale.base_odds = cfg->risk.base_odds;
	s->scale.pdo = cfg->risk.pdo;
	if ((st = risk_rules_load(core_score_rules_path(cfg), &s->rules,
	    err)) != LD_OK)
		goto fail;
	if ((st = risk_reason_table_load(core_score_reasons_path(cfg),
	    &s->reasons, err)) != LD_OK)
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
	free(s);
}

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
	st = ld_db_exec(db, "SELECT name, version, body FROM models WHERE id ="
	    " $1::bigint", 1, params, &res, err);
	if (st != LD_OK)
		return st;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ld_err_set(err, LD_ENOTFOUND, "model id %s vanished",
		    idtext);
	}
	snprintf(lm->label, sizeof lm->label, "%s %s", PQgetvalue(res, 0, 0),
	    PQgetvalue(res, 0, 1));
	snprintf(origin, sizeof origin, "model %s (id %s)", lm->label,
	    idtext);
	st = risk_model_load(PQgetvalue(res, 0, 2),
	    (size_t)PQgetlength(res, 0, 2), origin, &lm->m, err);
	PQclear(res);
	if (st != LD_OK)
		return st;
	lm->id = id;
	lm->n = risk_model_nfeatures(lm->m);
	lm->names = ld_calloc(lm->n ? lm->n : 1, sizeof *lm->names);
	for (i = 0; i < lm->n; i++)
		lm->names[i] = risk_model_feature_name(lm->m, i);
	return LD_OK;
}

/*
 * Follows the registry: a new champion or challenger is loaded at the next
 * batch.  A challenger that fails to load is dropped (it never decides); a
 * champion that fails stops scoring, since deciding with the old one
 * after an operator replaced it would be wrong.
 */
static enum ld_status
refresh_models(struct core_scorer *s, struct ld_db *db, struct ld_err *err)
{
	PGresult *res;
	int64_t champ = 0, chall = 0;
	enum ld_status st;
	struct ld_err cerr;
	int i;

	st = ld_db_exec(db, "SELECT id, role FROM models WHERE role IN"
	    " ('champion', 'challenger')", 0, NULL, &res, err);
	if (st != LD_OK)
		return st;
	for (i = 0; i < PQntuples(res); i++) {
		int64_t id = strtoll(PQgetvalue(res, i, 0), NULL, 10);

		if (strcmp(PQgetvalue(res, i, 1), "champion") == 0)
			champ = id;
		else
			chall = id;
	}
	PQclear(res);
	if (champ == 0) {
		loaded_model_clear(&s->champ);
		return ld_err_set(err, LD_ENOTFOUND, "no champion model in "
		    "the registry (loandesk model register, then "
		    "loandesk model activate)");
	}
	if (s->champ.id != champ &&
	    (st = load_model_row(db, champ, &s->champ, err)) != LD_OK)
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

/* One claimed application through the batch. */
struct claimed {
	int64_t id;
	int64_t amount_fen;
	struct risk_payloads *pl;
	char data_error[LD_ERR_MSG_MAX];
	char hash[65];
	double *xcat;		/* catalogue values, NAN = missing */
	/* a reusable earlier score, from the pre-assessment lookup */
	int64_t reuse_id;
	double reuse_p, reuse_margin;
	int reuse_points;
	char reuse_band[8];
	char *reuse_contribs, *reuse_reasons;
};

static void
claimed_free(struct claimed *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		risk_payloads_free(c[i].pl);
		free(c[i].xcat);
		free(c[i].reuse_contribs);
		free(c[i].reuse_reasons);
	}
	free(c);
}

static void
model_out_clear(struct model_out *o)
{
	cJSON_Delete(o->contributions);
	cJSON_Delete(o->reasons);
	o->contributions = o->reasons = NULL;
}

/*
 * Runs one model over the claimed applications with want[k] set, into
 * out[k].  The contributions of the whole batch come from one call, which
 * keeps each tree in cache across the rows: several times faster than row
 * by row.  A failure is recorded in that row's out[k].error.
 */
static void
model_eval_batch(struct core_scorer *s, struct loaded_model *lm,
    struct claimed *c, size_t n, const int *want, struct model_out *out)
{
	struct risk_reason rs[RISK_REASONS_DEFAULT];
	size_t F = lm->n, k, r, i, nr = 0, nreason;
	size_t *rowof = ld_calloc(n ? n : 1, sizeof *rowof);
	double *xs = ld_calloc(n * F + 1, sizeof *xs);
	double *phis = ld_calloc(n * (F + 1) + 1, sizeof *phis);
	double *pts = ld_calloc(F + 1, sizeof *pts);
	double score, *x, *phi;
	struct ld_err err;
	struct model_out *o;

	for (k = 0; k < n; k++) {
		memset(&out[k], 0, sizeof out[k]);
		if (!want[k])
			continue;
		ld_err_clear(&err);
		if (risk_features_extract(c[k].pl, lm->names, F, xs + nr * F,
		    &err) != LD_OK) {
			snprintf(out[k].error, sizeof out[k].error,
			    "model %s: %s", lm->label, err.msg);
			continue;
		}
		rowof[nr++] = k;
	}
	ld_err_clear(&err);
	if (nr > 0 && risk_model_contribs_batch(lm->m, xs, nr, phis, &err) !=
	    LD_OK) {
		for (r = 0; r < nr; r++)
			snprintf(out[rowof[r]].error, sizeof out[0].error,
			    "model %s: contributions: %s", lm->label, err.msg);
		nr = 0;
	}
	for (r = 0; r < nr; r++) {
		o = &out[rowof[r]];
		x = xs + r * F;
		phi = phis + r * (F + 1);
		/* sum(phi) is the margin: no second walk of the trees. */
		o->margin = 0;
		for (i = 0; i <= F; i++)
			o->margin += phi[i];
		o->probability = risk_model_probability(lm->m, x);
		if (!isfinite(o->probability) || o->probability < 0 ||
		    o->probability > 1) {
			snprintf(o->error, sizeof o->error, "model %s: "
			    "probability %g is not in [0, 1]", lm->label,
			    o->probability);
			continue;
		}
		if (risk_model_kind(lm->m) == RISK_MODEL_SCORECARD) {
			/* A card's own points, as its owner designed them. */
			ld_err_clear(&err);
			if (risk_model_points(lm->m, &s->scale, x, &score, NULL,
			    pts, &err) != LD_OK) {
				snprintf(o->error, sizeof o->error,
				    "model %s: points: %s", lm->label,
				    err.msg);
				continue;
			}
			o->points = (int)lround(score);
		} else {
			for (i = 0; i < F; i++)
				pts[i] = risk_scale_points_of_margin(&s->scale,
				    phi[i]);
			o->points = risk_scale_points(&s->scale,
			    o->probability);
		}
		o->band = risk_scale_band(o->points);
		o->contributions = risk_explain_contributions(lm->names, x,
		    phi, pts, F);
		nreason = risk_reasons_pick(s->reasons, lm->names, x, phi, F,
		    RISK_REASONS_DEFAULT, rs);
		o->reasons = risk_explain_reasons(rs, nreason);
		if (o->contributions == NULL || o->reasons == NULL) {
			model_out_clear(o);
			snprintf(o->error, sizeof o->error, "model %s: "
			    "explanation: out of memory", lm->label);
			continue;
		}
		o->ok = 1;
	}
	free(rowof);
	free(xs);
	free(phis);
	free(pts);
}

/*
 * A compact JSON printer for the batch document.  cJSON prints a number,
 * reads it back with sscanf and often prints it again: a tenth of the
 * worker's time.  Here integers (most feature values) skip printf, and
 * anything else is printed once with 17 digits, which always round-trips.
 */
static void
json_number(struct ld_buf *b, double v)
{
	char num[40], *p = num + sizeof num;
	unsigned long long u;
	int neg;

	if (!isfinite(v)) {
		ld_buf_puts(b, "null");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		neg = v < 0;
		u = (unsigned long long)(neg ? -v : v);
		*--p = '\0';
		do {
			*--p = (char)('0' + u % 10);
			u /= 10;
		} while (u != 0);
		if (neg)
			*--p = '-';
		ld_buf_puts(b, p);
		return;
	}
	snprintf(num, sizeof num, "%.17g", v);
	ld_buf_puts(b, num);
}

static void
json_string(struct ld_buf *b, const char *s)
{
	const char *run = s;

	ld_buf_puts(b, "\"");
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		ld_buf_append(b, run, (size_t)(s - run));
		if (ch == '"' || ch == '\\')
			ld_buf_printf(b, "\\%c", ch);
		else
			ld_buf_printf(b, "\\u%04x", ch);
		run = s + 1;
	}
	ld_buf_append(b, run, (size_t)(s - run));
	ld_buf_puts(b, "\"");
}

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
		json_number(b, j->valuedouble);
	} else if (cJSON_IsString(j)) {
		json_string(b, j->valuestring);
	} else if (cJSON_IsRaw(j)) {
		ld_buf_puts(b, j->valuestring);
	} else {
		int obj = cJSON_IsObject(j);

		ld_buf_puts(b, obj ? "{" : "[");
		for (c = j->child; c != NULL; c = c->next) {
			if (c != j->child)
				ld_buf_puts(b, ",");
			if (obj) {
				json_string(b, c->string ? c->string : "");
				ld_buf_puts(b, ":");
			}
			json_print(b, c);
		}
		ld_buf_puts(b, obj ? "}" : "]");
	}
}

static void
add_num_or_null(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

/* Appends one scores row (and, unless shadow, the application's update). */
static cJSON *
score_row(int ord, const struct claimed *c, int64_t model_id, int shadow,
    struct model_out *mo, int ok, const char *error,
    const struct risk_policy_result *pr, const struct risk_rule_hits *hits,
    int reused, cJSON *audit)
{
	cJSON *r = cJSON_CreateObject(), *rh;

	cJSON_AddNumberToObject(r, "ord", ord);
	cJSON_AddNumberToObject(r, "application_id", (double)c->id);
	cJSON_AddNumberToObject(r, "model_id", (double)model_id);
	cJSON_AddBoolToObject(r, "shadow", shadow);
	add_num_or_null(r, "probability", ok ? mo->probability : NAN);
	add_num_or_null(r, "margin", ok ? mo->margin : NAN);
	if (ok) {
		cJSON_AddNumberToObject(r, "points", mo->points);
		cJSON_AddStringToObject(r, "band", mo->band);
	} else {
		cJSON_AddNullToObject(r, "points");
		cJSON_AddNullToObject(r, "band");
	}
	if (pr->pd_bps >= 0)
		cJSON_AddNumberToObject(r, "pd_bps", pr->pd_bps);
	else
		cJSON_AddNullToObject(r, "pd_bps");
	cJSON_AddStringToObject(r, "decision",
	    risk_decision_name(pr->decision));
	/* The explanation moves into the row; mo no longer owns it. */
	cJSON_AddItemToObject(r, "contributions", ok && mo->contributions ?
	    mo->contributions : cJSON_CreateArray());
	if (ok)
		mo->contributions = NULL;
	rh = hits ? risk_explain_rules_hit(hits) : NULL;
	cJSON_AddItemToObject(r, "rules_hit", rh ? rh : cJSON_CreateArray());
	cJSON_AddItemToObject(r, "reasons", ok && mo->reasons ?
	    mo->reasons : cJSON_CreateArray());
	if (ok)
		mo->reasons = NULL;
	if (c->hash[0])
		cJSON_AddStringToObject(r, "inputs_sha256", c->hash);
	else
		cJSON_AddNullToObject(r, "inputs_sha256");
	if (error != NULL)
		cJSON_AddStringToObject(r, "error", error);
	else
		cJSON_AddNullToObject(r, "error");
	cJSON_AddBoolToObject(r, "pre_assessment", reused);
	if (audit != NULL)
		cJSON_AddItemToObject(r, "audit", audit);
	else
		cJSON_AddNullToObject(r, "audit");
	return r;
}

/*
 * Everything written in one statement: the scores, the applications'
 * status and copy of the champion score, an audit record and a NOTIFY per
 * application.  The status guard makes a lost lock visible as a count
 * mismatch instead of a double decision.
 */
static const char write_sql[] =
    "WITH b AS (SELECT * FROM jsonb_to_recordset($1::jsonb)"
    " AS x(application_id bigint, model_id bigint, shadow boolean,"
    " probability double precision, margin double precision,"
    " points integer, band text, pd_bps integer, decision text,"
    " contributions jsonb, rules_hit jsonb, reasons jsonb,"
    " inputs_sha256 text, error text, pre_assessment boolean,"
    " audit jsonb, ord bigint)),"
    " ins AS (INSERT INTO scores (application_id, model_id, shadow,"
    " probability, margin, points, band, decision, contributions,"
    " rules_hit, reasons, inputs_sha256, error, pre_assessment)"
    " SELECT application_id, model_id, shadow, probability, margin,"
    " points, band, decision, contributions, rules_hit, reasons,"
    " inputs_sha256, error, pre_assessment FROM b ORDER BY ord"
    " RETURNING id, application_id, shadow),"
    " upd AS (UPDATE applications a SET status = b.decision,"
    " score_id = ins.id, points = b.points, pd_bps = b.pd_bps,"
    " band = b.band, recommendation = b.decision, updated_at = now(),"
    " version = a.version + 1"
    " FROM ins JOIN b ON b.application_id = ins.application_id"
    " AND NOT b.shadow"
    " WHERE NOT ins.shadow AND a.id = ins.application_id"
    " AND a.status = 'received'"
    " RETURNING a.id, ins.id AS score_id, b.audit)"
    " SELECT u.id, audit_record('application.scored', 'application',"
    " u.id::text, u.audit || jsonb_build_object('score_id', u.score_id)),"
    " pg_notify('applications', u.id::text)"
    " FROM (SELECT * FROM upd ORDER BY id) u";

static enum ld_status
claim(struct ld_db *db, int batch_size, struct claimed **out, size_t *n,
    struct ld_err *err)
{
	PGresult *res;
	char lim[16];
	const char *params[1] = { lim };
	struct claimed *c;
	enum ld_status st;
	int i, rows;

	*out = NULL;
	*n = 0;
	snprintf(lim, sizeof lim, "%d", batch_size);
	st = ld_db_exec(db, "SELECT id, amount_fen FROM applications"
	    " WHERE status = 'received' ORDER BY id LIMIT $1::integer"
	    " FOR UPDATE SKIP LOCKED", 1, params, &res, err);
	if (st != LD_OK)
		return st;
	rows = PQntuples(res);
	c = ld_calloc(rows > 0 ? (size_t)rows : 1, sizeof *c);
	for (i = 0; i < rows; i++) {
		c[i].id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		c[i].amount_fen = strtoll(PQgetvalue(res, i, 1), NULL, 10);
		c[i].pl = risk_payloads_new();
	}
	PQclear(res);
	*out = c;
	*n = (size_t)rows;
	return LD_OK;
}

/* The ids as a PostgreSQL array literal. */
static char *
id_array(const struct claimed *c, size_t n)
{
	struct ld_buf b;
	size_t i;

	ld_buf_init(&b, 0);
	ld_buf_puts(&b, "{");
	for (i = 0; i < n; i++)
		ld_buf_printf(&b, "%s%" PRId64, i ? "," : "", c[i].id);
	ld_buf_puts(&b, "}");
	return ld_buf_steal(&b, NULL);
}

static struct claimed *
find_claimed(struct claimed *c, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	/* Claimed in id order, so a binary search finds it. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c[mid].id == id)
			return &c[mid];
		if (c[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static enum ld_status
load_payloads(struct core_scorer *s, struct ld_db *db, struct claimed *c,
    size_t n, struct ld_err *err)
{
	PGresult *res;
	char *ids = id_array(c, n);
	const char *params[1] = { ids };
	struct claimed *cl;
	enum risk_source src;
	struct ld_err perr;
	enum ld_status st;
	size_t k;
	int i;

	st = ld_db_exec(db, "SELECT application_id, source, payload::text"
	    " FROM alt_data WHERE application_id = ANY($1::bigint[])", 1,
	    params, &res, err);
	free(ids);
	if (st != LD_OK)
		return st;
	for (i = 0; i < PQntuples(res); i++) {
		cl = find_claimed(c, n, strtoll(PQgetvalue(res, i, 0), NULL,
		    10));
		if (cl == NULL)
			continue;
		if (risk_source_from_name(PQgetvalue(res, i, 1), &src) != 0)
			continue;
		ld_err_clear(&perr);
		if (risk_payloads_set_json(cl->pl, src, PQgetvalue(res, i, 2),
		    (size_t)PQgetlength(res, i, 2), &perr) != LD_OK &&
		    cl->data_error[0] == '\0')
			snprintf(cl->data_error, sizeof cl->data_error,
			    "application %" PRId64 ": %s", cl->id, perr.msg);
	}
	PQclear(res);
	for (k = 0; k < n; k++) {
		c[k].xcat = ld_calloc(s->ncat, sizeof *c[k].xcat);
		risk_features_extract_all(c[k].pl, c[k].xcat);
		ld_err_clear(&perr);
		if (risk_features_hash(s->catnames, c[k].xcat, s->ncat,
		    c[k].hash, &perr) != LD_OK) {
			c[k].hash[0] = '\0';
			if (c[k].data_error[0] == '\0')
				snprintf(c[k].data_error,
				    sizeof c[k].data_error, "%s", perr.msg);
		}
	}
	return LD_OK;
}

/*
 * Pre-assessment: a champion score of identical inputs (an earlier
 * application of the same person, or one scored before the borrower asked
 * for money) is taken as it is instead of running the model again.
 */
static enum ld_status
find_reusable(struct core_scorer *s, struct ld_db *db, struct claimed *c,
    size_t n, struct ld_err *err)
{
	struct ld_buf b;
	PGresult *res;
	const char *params[2];
	char mid[32];
	enum ld_status st;
	size_t k, any = 0;
	int i;

	ld_buf_init(&b, 0);
	ld_buf_puts(&b, "{");
	for (k = 0; k < n; k++)
		if (c[k].hash[0] && c[k].data_error[0] == '\0')
			ld_buf_printf(&b, "%s%s", any++ ? "," : "", c[k].hash);
	ld_buf_puts(&b, "}");
	if (any == 0) {
		ld_buf_free(&b);
		return LD_OK;
	}
	snprintf(mid, sizeof mid, "%" PRId64, s->champ.id);
	params[0] = b.data;
	params[1] = mid;
	st = ld_db_exec(db, "SELECT DISTINCT ON (inputs_sha256) inputs_sha256,"
	    " id, probability, margin, points, band, contributions::text,"
	    " reasons::text FROM scores WHERE inputs_sha256 = ANY($1::text[])"
	    " AND model_id = $2::bigint AND NOT shadow AND error IS NULL"
	    " AND probability IS NOT NULL AND points IS NOT NULL"
	    " ORDER BY inputs_sha256, id DESC", 2, params, &res, err);
	ld_buf_free(&b);
	if (st != LD_OK)
		return st;
	for (i = 0; i < PQntuples(res); i++) {
		for (k = 0; k < n; k++) {
			if (strcmp(c[k].hash, PQgetvalue(res, i, 0)) != 0 ||
			    c[k].data_error[0] != '\0')
				continue;
			c[k].reuse_id = strtoll(PQgetvalue(res, i, 1), NULL,
			    10);
			c[k].reuse_p = strtod(PQgetvalue(res, i, 2), NULL);
			c[k].reuse_margin = PQgetisnull(res, i, 3) ? NAN :
			    strtod(PQgetvalue(res, i, 3), NULL);
			c[k].reuse_points = atoi(PQgetvalue(res, i, 4));
			snprintf(c[k].reuse_band, sizeof c[k].reuse_band, "%s",
			    PQgetvalue(res, i, 5));
			c[k].reuse_contribs = ld_strdup(PQgetvalue(res, i, 6));
			c[k].reuse_reasons = ld_strdup(PQgetvalue(res, i, 7));
		}
	}
	PQclear(res);
	return LD_OK;
}

/*
 * Decides one claimed application from the model outputs computed for the
 * batch (mo: the champion's; so: the challenger's or NULL) and appends its
 * rows to the batch document.
 */
static void
score_one(struct core_scorer *s, struct claimed *c, struct model_out *mo,
    struct model_out *so, cJSON *rows, struct core_score_stats *stats)
{
	struct risk_rule_hits hits;
	struct risk_policy_input in;
	struct risk_policy_result pr, spr;
	struct ld_err rerr;
	const char *error = NULL;
	cJSON *audit;
	int ok = 0, reused = 0, rules_ok;

	ld_err_clear(&rerr);
	risk_rule_hits_init(&hits);
	rules_ok = risk_rules_eval(s->rules, s->catnames, c->xcat, s->ncat,
	    &hits, &rerr) == LD_OK;
	if (c->data_error[0] != '\0') {
		error = c->data_error;
	} else if (!rules_ok) {
		error = rerr.msg;
	} else if (c->reuse_id != 0) {
		mo->probability = c->reuse_p;
		mo->margin = c->reuse_margin;
		mo->points = c->reuse_points;
		mo->band = c->reuse_band;
		mo->contributions = cJSON_Parse(c->reuse_contribs);
		mo->reasons = cJSON_Parse(c->reuse_reasons);
		ok = reused = 1;
	} else if (mo->ok) {
		ok = 1;
	} else {
		error = mo->error;
	}
	memset(&in, 0, sizeof in);
	in.probability = ok ? mo->probability : NAN;
	in.has_points = ok;
	in.points = ok ? mo->points : 0;
	in.requested_amount_fen = c->amount_fen;
	in.hits = rules_ok ? &hits : NULL;
	risk_policy_decide(&s->policy, &in, &pr);
	if (error != NULL) {
		/* An error always gets a person, whatever the rules said. */
		pr.decision = RISK_DECISION_MANUAL_REVIEW;
	}
	audit = risk_policy_result_json(&pr, &in);
	if (audit == NULL)
		audit = cJSON_CreateObject();
	cJSON_AddNumberToObject(audit, "model_id", (double)s->champ.id);
	if (reused)
		cJSON_AddNumberToObject(audit, "reused_score_id",
		    (double)c->reuse_id);
	if (error != NULL)
		cJSON_AddStringToObject(audit, "error", error);
	cJSON_AddItemToArray(rows, score_row(cJSON_GetArraySize(rows), c,
	    s->champ.id, 0, mo, ok, error, &pr, rules_ok ? &hits : NULL,
	    reused, audit));
	stats->scored++;
	stats->reused += reused;
	stats->errors += error != NULL;

	/* The challenger: stored for comparison, never deciding. */
	if (so != NULL && c->data_error[0] == '\0' && rules_ok) {
		in.probability = so->ok ? so->probability : NAN;
		in.has_points = so->ok;
		in.points = so->ok ? so->points : 0;
		risk_policy_decide(&s->policy, &in, &spr);
		cJSON_AddItemToArray(rows, score_row(cJSON_GetArraySize(rows),
		    c, s->chall.id, 1, so, so->ok, so->ok ? NULL : so->error,
		    &spr, &hits, 0, NULL));
		stats->shadow++;
	}
	risk_rule_hits_free(&hits);
}

static void
outs_free(struct model_out *mo, struct model_out *so, int *want, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		if (mo != NULL)
			model_out_clear(&mo[k]);
		if (so != NULL)
			model_out_clear(&so[k]);
	}
	free(mo);
	free(so);
	free(want);
}

enum ld_status
core_score_batch(struct core_scorer *s, struct ld_db *db, int batch_size,
    int *claimed_n, struct core_score_stats *stats, struct ld_err *err)
{
	struct core_score_stats local;
	struct model_out *mo = NULL, *so = NULL;
	int *want = NULL;
	struct claimed *c = NULL;
	PGresult *res = NULL;
	cJSON *rows = NULL;
	struct ld_buf doc;
	const char *params[1];
	enum ld_status st;
	size_t n = 0, k;

	*claimed_n = 0;
	memset(&local, 0, sizeof local);
	ld_buf_init(&doc, 0);
	if ((st = ld_db_begin(db, err)) != LD_OK)
		return st;
	if ((st = refresh_models(s, db, err)) != LD_OK)
		goto fail;
	if ((st = claim(db, batch_size, &c, &n, err)) != LD_OK)
		goto fail;
	if (n == 0) {
		claimed_free(c, 0);
		ld_buf_free(&doc);
		return ld_db_commit(db, err);
	}
	if ((st = load_payloads(s, db, c, n, err)) != LD_OK ||
	    (st = find_reusable(s, db, c, n, err)) != LD_OK)
		goto fail;
	/* The models run over the whole batch at once. */
	want = ld_calloc(n, sizeof *want);
	mo = ld_calloc(n, sizeof *mo);
	for (k = 0; k < n; k++)
		want[k] = c[k].data_error[0] == '\0' && c[k].reuse_id == 0;
	model_eval_batch(s, &s->champ, c, n, want, mo);
	if (s->chall.id != 0) {
		so = ld_calloc(n, sizeof *so);
		for (k = 0; k < n; k++)
			want[k] = c[k].data_error[0] == '\0';
		model_eval_batch(s, &s->chall, c, n, want, so);
	}
	rows = cJSON_CreateArray();
	for (k = 0; k < n; k++)
		score_one(s, &c[k], &mo[k], so ? &so[k] : NULL, rows, &local);
	json_print(&doc, rows);
	params[0] = doc.data;
	if ((st = ld_db_exec(db, write_sql, 1, params, &res, err)) != LD_OK)
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
	ld_buf_free(&doc);
	cJSON_Delete(rows);
	outs_free(mo, so, want, n);
	claimed_free(c, n);
	return LD_OK;
fail:
	PQclear(res);
	ld_db_rollback(db);
	ld_buf_free(&doc);
	cJSON_Delete(rows);
	outs_free(mo, so, want, n);
	claimed_free(c, n);
	return st;
}
