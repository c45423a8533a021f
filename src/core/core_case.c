/*
 * The case read model.  Three statements: the header with the score's JSON,
 * the linked applications, the timeline.  Everything that came from the
 * scoring worker's JSON is treated as untrusted input: bounded, type-checked
 * and skipped when malformed.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "core_audit_view.h"
#include "core_case.h"
#include "core_query.h"
#include "ld_alloc.h"
#include "ld_db.h"
#include "ld_money.h"
#include "risk_features.h"
#include "risk_rules.h"

#define CASE_MAX_CONTRIBS 64
#define CASE_MAX_RULES 32
#define CASE_MAX_REASONS 16
#define CASE_MAX_LINKS 80
#define CASE_MAX_EVENTS 200
#define CASE_JSON_MAX (256 * 1024)

static void
copy_text(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

static const char *
json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A string, or a number written as text (rule versions come as either). */
static void
json_text(const cJSON *o, const char *key, char *dst, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsString(v))
		copy_text(dst, len, v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(dst, len, "%g", v->valuedouble);
	else
		dst[0] = '\0';
}

/* {"feature": value, ...} as "feature=value feature=null". */
static void
rule_inputs(const cJSON *o, char *dst, size_t len)
{
	const cJSON *v;
	size_t n = 0;

	dst[0] = '\0';
	if (!cJSON_IsObject(o))
		return;
	cJSON_ArrayForEach(v, o) {
		int w;

		if (v->string == NULL)
			continue;
		/* Whole numbers whole: an amount in fen is no 1.34e+06. */
		if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble)
		    && fabs(v->valuedouble) < 1e15)
			w = snprintf(dst + n, len - n, "%s%s=%.0f", n ? " " : "",
			    v->string, v->valuedouble);
		else if (cJSON_IsNumber(v))
			w = snprintf(dst + n, len - n, "%s%s=%g", n ? " " : "",
			    v->string, v->valuedouble);
		else if (cJSON_IsString(v))
			w = snprintf(dst + n, len - n, "%s%s=%s", n ? " " : "",
			    v->string, v->valuestring);
		else
			w = snprintf(dst + n, len - n, "%s%s=null",
			    n ? " " : "", v->string);
		if (w < 0 || (size_t)w >= len - n) {
			dst[n] = '\0';
			return;
		}
		n += (size_t)w;
	}
}

static cJSON *
parse_array(const char *text)
{
	cJSON *a;

	if (text == NULL || *text == '\0' || strlen(text) > CASE_JSON_MAX)
		return NULL;
	a = cJSON_Parse(text);
	if (a != NULL && !cJSON_IsArray(a)) {
		cJSON_Delete(a);
		return NULL;
	}
	return a;
}

void
core_case_parse_score_json(struct core_case *c, const char *contribs,
    const char *rules, const char *reasons, int *skipped)
{
	cJSON *a, *e;
	int bad = 0;

	free(c->contribs);
	free(c->rules);
	free(c->reasons);
	c->contribs = ld_calloc(CASE_MAX_CONTRIBS, sizeof *c->contribs);
	c->rules = ld_calloc(CASE_MAX_RULES, sizeof *c->rules);
	c->reasons = ld_calloc(CASE_MAX_REASONS, sizeof *c->reasons);
	c->ncontribs = c->nrules = c->nreasons = 0;

	if ((a = parse_array(contribs)) == NULL && contribs != NULL &&
	    *contribs != '\0')
		bad++;
	cJSON_ArrayForEach(e, a) {
		struct core_contribution *k;
		const cJSON *v, *phi, *pts;
		const char *f = json_str(e, "feature");

		phi = cJSON_GetObjectItemCaseSensitive(e, "phi");
		v = cJSON_GetObjectItemCaseSensitive(e, "value");
		pts = cJSON_GetObjectItemCaseSensitive(e, "points");
		if (f == NULL || (!cJSON_IsNumber(phi) && !cJSON_IsNull(phi)) ||
		    (v != NULL && !cJSON_IsNumber(v) && !cJSON_IsNull(v)) ||
		    c->ncontribs == CASE_MAX_CONTRIBS) {
			bad++;
			continue;
		}
		k = &c->contribs[c->ncontribs++];
		copy_text(k->feature, sizeof k->feature, f);
		k->missing = v == NULL || cJSON_IsNull(v);
		k->value = k->missing ? 0 : v->valuedouble;
		k->phi = cJSON_IsNumber(phi) ? phi->valuedouble : 0;
		k->has_points = cJSON_IsNumber(pts);
		k->points = k->has_points ? pts->valuedouble : 0;
	}
	cJSON_Delete(a);

	if ((a = parse_array(rules)) == NULL && rules != NULL &&
	    *rules != '\0')
		bad++;
	cJSON_ArrayForEach(e, a) {
		struct core_rule_hit *r;

		if (!cJSON_IsObject(e) || json_str(e, "id") == NULL ||
		    c->nrules == CASE_MAX_RULES) {
			bad++;
			continue;
		}
		r = &c->rules[c->nrules++];
		json_text(e, "id", r->id, sizeof r->id);
		json_text(e, "version", r->version, sizeof r->version);
		json_text(e, "action", r->action, sizeof r->action);
		json_text(e, "override", r->override, sizeof r->override);
		json_text(e, "text", r->text, sizeof r->text);
		rule_inputs(cJSON_GetObjectItemCaseSensitive(e, "inputs"),
		    r->inputs, sizeof r->inputs);
	}
	cJSON_Delete(a);

	if ((a = parse_array(reasons)) == NULL && reasons != NULL &&
	    *reasons != '\0')
		bad++;
	cJSON_ArrayForEach(e, a) {
		struct core_reason *r;

		if (!cJSON_IsObject(e) || json_str(e, "code") == NULL ||
		    c->nreasons == CASE_MAX_REASONS) {
			bad++;
			continue;
		}
		r = &c->reasons[c->nreasons++];
		json_text(e, "code", r->code, sizeof r->code);
		json_text(e, "feature", r->feature, sizeof r->feature);
		json_text(e, "text_zh", r->text_zh, sizeof r->text_zh);
		json_text(e, "text_en", r->text_en, sizeof r->text_en);
	}
	cJSON_Delete(a);
	if (skipped != NULL)
		*skipped = bad;
}

/*
 * The open review case, if any: at most one per application
 * (reviews_one_open_per_application, whose index this lookup uses).
 */
#define REVIEW_JOIN \
    "LEFT JOIN LATERAL (SELECT r.id, extract(epoch FROM now() - " \
    "r.opened_at)::bigint AS age FROM reviews r WHERE r.application_id = " \
    "a.id AND r.kind = 'application' AND r.state <> 'closed') rv ON true "

static const char header_sql[] =
    "SELECT a.id, a.applicant_id, p.name_masked, p.id_no_masked, "
    "p.phone_masked, a.product, a.amount_fen, a.term_months, a.rate_bps, "
    "a.repayment, a.status, a.recommendation, a.assignee, a.points, "
    "a.pd_bps, a.band, m.name, m.version, "
    "to_char(s.scored_at, 'YYYY-MM-DD HH24:MI'), "
    "to_char(a.submitted_at, 'YYYY-MM-DD HH24:MI'), "
    "extract(epoch FROM coalesce(d.at, now()) - "
    "a.submitted_at)::bigint, a.decided_at IS NOT NULL, a.decided_by, "
    "a.decision_reason, a.version, s.contributions::text, "
    "s.rules_hit::text, s.reasons::text, "
    "to_char(d.at, 'YYYY-MM-DD HH24:MI'), rv.id, rv.age, "
    "a.upfront_fee_fen, a.monthly_fee_fen "
    "FROM applications a JOIN applicants p ON p.id = a.applicant_id "
    REVIEW_JOIN
    "LEFT JOIN LATERAL (SELECT * FROM scores x WHERE x.application_id = "
    "a.id AND NOT x.shadow ORDER BY x.id = a.score_id DESC, x.scored_at "
    "DESC LIMIT 1) s ON true "
    /* The model decides when it scores an auto_ status. */
    "CROSS JOIN LATERAL (SELECT coalesce(a.decided_at, CASE WHEN "
    "a.status IN ('auto_approved', 'auto_rejected') THEN s.scored_at "
    "END) AS at) d "
    "LEFT JOIN models m ON m.id = s.model_id WHERE a.id = $1";

/*
 * The same header for roles that may not read scores and models (finance,
 * on-call): the denormalised score stays, the explanation does not.
 */
static const char header_noscore_sql[] =
    "SELECT a.id, a.applicant_id, p.name_masked, p.id_no_masked, "
    "p.phone_masked, a.product, a.amount_fen, a.term_months, a.rate_bps, "
    "a.repayment, a.status, a.recommendation, a.assignee, a.points, "
    "a.pd_bps, a.band, NULL, NULL, NULL, "
    "to_char(a.submitted_at, 'YYYY-MM-DD HH24:MI'), "
    "extract(epoch FROM coalesce(a.decided_at, now()) - "
    "a.submitted_at)::bigint, a.decided_at IS NOT NULL, a.decided_by, "
    "a.decision_reason, a.version, NULL, NULL, NULL, "
    "to_char(a.decided_at, 'YYYY-MM-DD HH24:MI'), rv.id, rv.age, "
    "a.upfront_fee_fen, a.monthly_fee_fen "
    "FROM applications a JOIN applicants p ON p.id = a.applicant_id "
    REVIEW_JOIN
    "WHERE a.id = $1";

/*
 * Each kind of link is its own index lookup, bounded; an application linked
 * in several ways is one row naming them all ("phone,openid").
 */
static const char links_sql[] =
    "WITH me AS (SELECT a.id, a.device_hash, a.ip, p.phone_bidx, p.openid "
    "FROM applications a JOIN applicants p ON p.id = a.applicant_id "
    "WHERE a.id = $1), l AS ("
    "(SELECT 1 AS k, 'device' AS via, o.id FROM me JOIN applications o ON "
    "o.device_hash = me.device_hash AND o.id <> me.id ORDER BY o.id DESC "
    "LIMIT 20) UNION ALL "
    "(SELECT 2, 'phone', o.id FROM me JOIN applicants op ON op.phone_bidx "
    "= me.phone_bidx JOIN applications o ON o.applicant_id = op.id AND "
    "o.id <> me.id ORDER BY o.id DESC LIMIT 20) UNION ALL "
    "(SELECT 3, 'ip', o.id FROM me JOIN applications o ON o.ip = me.ip AND "
    "o.id <> me.id ORDER BY o.id DESC LIMIT 20) UNION ALL "
    "(SELECT 4, 'openid', o.id FROM me JOIN applicants op ON op.openid = "
    "me.openid JOIN applications o ON o.applicant_id = op.id AND o.id <> "
    "me.id ORDER BY o.id DESC LIMIT 20)) "
    "SELECT string_agg(l.via, ',' ORDER BY l.k), o.id, o.status, "
    "to_char(o.submitted_at, 'YYYY-MM-DD'), op.name_masked, o.amount_fen "
    "FROM l JOIN applications o ON o.id = l.id JOIN applicants op ON "
    "op.id = o.applicant_id GROUP BY o.id, op.name_masked "
    "ORDER BY min(l.k), o.id DESC";

/*
 * The application's own rows and those of its review cases (claim,
 * assign, release), which are recorded against the review.  Each branch
 * is an audit_log_object index lookup, the second once per review of
 * the application; an OR of the two would read every review row in the
 * log.  (Finding the reviews scans the reviews table: only open ones have
 * an index on application_id.)  $1 is text for object_id and cast for
 * application_id, so its type does not depend on which use the server
 * reads first.
 */
static const char events_sql[] =
    "SELECT e.id, to_char(e.at, 'YYYY-MM-DD HH24:MI:SS'), e.actor, "
    "e.action, e.object_type || '/' || e.object_id, "
    "left(e.detail::text, 8192) FROM ("
    "(SELECT id, at, actor, action, object_type, object_id, detail "
    "FROM audit_log WHERE object_type = 'application' AND object_id = "
    "$1::text ORDER BY id DESC LIMIT 200) UNION ALL "
    "(SELECT id, at, actor, action, object_type, object_id, detail "
    "FROM audit_log WHERE object_type = 'review' AND object_id IN "
    "(SELECT id::text FROM reviews WHERE application_id = "
    "$1::text::bigint) ORDER BY id DESC LIMIT 200)) e "
    "ORDER BY e.id DESC LIMIT 200";

enum ld_status
core_case_load(struct ld_db *db, int64_t id, struct core_case *c,
    char *warning, struct ld_err *err)
{
	PGresult *res = NULL;
	char idtext[24];
	const char *params[1] = { idtext };
	int i, n, skipped = 0;
	enum ld_status st;

	memset(c, 0, sizeof *c);
	if (warning != NULL)
		warning[0] = '\0';
	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	st = ld_db_exec(db, header_sql, 1, params, &res, err);
	if (st == LD_EPERM) {
		st = ld_db_exec(db, header_noscore_sql, 1, params, &res,
		    err);
		c->score_hidden = st == LD_OK;
		if (st == LD_OK && warning != NULL)
			snprintf(warning, 160, "the score's explanation is not "
			    "visible to this role");
	}
	if (st != LD_OK)
		return ld_err_prefix(err, "case %s: ", idtext);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ld_err_set(err, LD_ENOTFOUND,
		    "case %s: no such application", idtext);
	}
	c->id = core_val_i64(res, 0, 0);
	c->applicant_id = core_val_i64(res, 0, 1);
	copy_text(c->name, sizeof c->name, core_val(res, 0, 2));
	copy_text(c->id_no, sizeof c->id_no, core_val(res, 0, 3));
	copy_text(c->phone, sizeof c->phone, core_val(res, 0, 4));
	copy_text(c->product, sizeof c->product, core_val(res, 0, 5));
	c->amount_fen = core_val_i64(res, 0, 6);
	c->term_months = (int)core_val_i64(res, 0, 7);
	c->rate_bps = (int)core_val_i64(res, 0, 8);
	copy_text(c->repayment, sizeof c->repayment, core_val(res, 0, 9));
	c->status = core_app_status_parse(core_val(res, 0, 10));
	c->recommendation = core_app_status_parse(core_val(res, 0, 11));
	copy_text(c->assignee, sizeof c->assignee, core_val(res, 0, 12));
	c->scored = !core_val_null(res, 0, 13);
	c->points = (int)core_val_i64(res, 0, 13);
	c->pd_bps = (int)core_val_i64(res, 0, 14);
	copy_text(c->band, sizeof c->band, core_val(res, 0, 15));
	copy_text(c->model_name, sizeof c->model_name, core_val(res, 0, 16));
	copy_text(c->model_version, sizeof c->model_version,
	    core_val(res, 0, 17));
	copy_text(c->scored_at, sizeof c->scored_at, core_val(res, 0, 18));
	copy_text(c->submitted, sizeof c->submitted, core_val(res, 0, 19));
	c->waiting_s = core_val_i64(res, 0, 20);
	c->decided = strcmp(core_val(res, 0, 21), "t") == 0;
	copy_text(c->decided_by, sizeof c->decided_by, core_val(res, 0, 22));
	copy_text(c->decision_reason, sizeof c->decision_reason,
	    core_val(res, 0, 23));
	c->version = (int)core_val_i64(res, 0, 24);
	copy_text(c->decided_at, sizeof c->decided_at, core_val(res, 0, 28));
	c->review_id = core_val_null(res, 0, 29) ? 0 : core_val_i64(res, 0, 29);
	c->review_age_s = c->review_id != 0 ? core_val_i64(res, 0, 30) : 0;
	c->upfront_fee_fen = core_val_i64(res, 0, 31);
	c->monthly_fee_fen = core_val_i64(res, 0, 32);
	c->pending = core_app_status_is(c->status, CORE_ST_PENDING);
	c->auto_decided = !c->decided && !c->pending;
	core_case_parse_score_json(c, core_val(res, 0, 25),
	    core_val(res, 0, 26), core_val(res, 0, 27), &skipped);
	PQclear(res);
	if (skipped > 0 && warning != NULL && warning[0] == '\0')
		snprintf(warning, 160, "%d malformed score entries skipped",
		    skipped);

	st = ld_db_exec(db, links_sql, 1, params, &res, err);
	if (st != LD_OK) {
		core_case_free(c);
		return ld_err_prefix(err, "case %s: linked applications: ",
		    idtext);
	}
	n = PQntuples(res);
	if (n > CASE_MAX_LINKS)
		n = CASE_MAX_LINKS;
	c->links = ld_calloc(n > 0 ? (size_t)n : 1, sizeof *c->links);
	for (i = 0; i < n; i++) {
		struct core_link *l = &c->links[i];

		copy_text(l->via, sizeof l->via, core_val(res, i, 0));
		l->id = core_val_i64(res, i, 1);
		l->status = core_app_status_parse(core_val(res, i, 2));
		copy_text(l->submitted, sizeof l->submitted,
		    core_val(res, i, 3));
		copy_text(l->name, sizeof l->name, core_val(res, i, 4));
		l->amount_fen = core_val_i64(res, i, 5);
	}
	c->nlinks = (size_t)n;
	PQclear(res);

	st = ld_db_exec(db, events_sql, 1, params, &res, err);
	if (st != LD_OK) {
		core_case_free(c);
		return ld_err_prefix(err, "case %s: timeline: ", idtext);
	}
	n = PQntuples(res);
	if (n > CASE_MAX_EVENTS)
		n = CASE_MAX_EVENTS;
	c->events = ld_calloc(n > 0 ? (size_t)n : 1, sizeof *c->events);
	for (i = 0; i < n; i++) {
		struct core_event *e = &c->events[i];

		e->id = core_val_i64(res, i, 0);
		copy_text(e->at, sizeof e->at, core_val(res, i, 1));
		copy_text(e->actor, sizeof e->actor, core_val(res, i, 2));
		copy_text(e->action, sizeof e->action, core_val(res, i, 3));
		copy_text(e->object, sizeof e->object, core_val(res, i, 4));
		core_audit_detail_text(core_val(res, i, 5), e->detail,
		    sizeof e->detail);
	}
	c->nevents = (size_t)n;
	PQclear(res);
	return LD_OK;
}

void
core_case_free(struct core_case *c)
{
	if (c == NULL)
		return;
	free(c->reasons);
	free(c->contribs);
	free(c->rules);
	free(c->links);
	free(c->events);
	c->reasons = NULL;
	c->contribs = NULL;
	c->rules = NULL;
	c->links = NULL;
	c->events = NULL;
	c->nreasons = c->ncontribs = c->nrules = c->nlinks = c->nevents = 0;
}

enum ld_status
core_decision_preview(struct ld_db *db, int64_t id, enum core_decision d,
    struct core_decision_preview *out, struct ld_err *err)
{
	char idtext[24];
	const char *params[2] = { idtext, core_decision_name(d) };
	PGresult *res;
	cJSON *a, *e;
	enum ld_status st;

	memset(out, 0, sizeof *out);
	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	st = ld_db_exec(db, "SELECT allowed, refusal_state, why, "
	    "note_required, overrides_model, rules::text, level, "
	    "second_officer, confirms, request_id, holder, review_id, "
	    "apr_bps, cap_bps FROM api.decision_preview($1::bigint, $2)", 2,
	    params, &res, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "application %s: ", idtext);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ld_err_set(err, LD_EPROTO, "application %s: the "
		    "decision preview returned no verdict", idtext);
	}
	out->allowed = strcmp(core_val(res, 0, 0), "t") == 0;
	copy_text(out->refusal_state, sizeof out->refusal_state,
	    core_val(res, 0, 1));
	copy_text(out->why, sizeof out->why, core_val(res, 0, 2));
	out->note_required = strcmp(core_val(res, 0, 3), "t") == 0;
	out->overrides_model = strcmp(core_val(res, 0, 4), "t") == 0;
	copy_text(out->level, sizeof out->level, core_val(res, 0, 6));
	out->second_officer = strcmp(core_val(res, 0, 7), "t") == 0;
	copy_text(out->confirms, sizeof out->confirms, core_val(res, 0, 8));
	out->request_id = core_val_null(res, 0, 9) ? 0 :
	    core_val_i64(res, 0, 9);
	copy_text(out->holder, sizeof out->holder, core_val(res, 0, 10));
	out->review_id = core_val_null(res, 0, 11) ? 0 :
	    core_val_i64(res, 0, 11);
	out->apr_bps = core_val_null(res, 0, 12) ? -1 :
	    (int)core_val_i64(res, 0, 12);
	out->cap_bps = core_val_null(res, 0, 13) ? -1 :
	    (int)core_val_i64(res, 0, 13);
	a = parse_array(core_val(res, 0, 5));
	cJSON_ArrayForEach(e, a) {
		struct core_decision_rule *r;
		size_t o = strlen(out->rules_text);

		if (!cJSON_IsObject(e) || json_str(e, "id") == NULL ||
		    out->nrules == CORE_PREVIEW_RULES)
			continue;
		r = &out->rules[out->nrules++];
		json_text(e, "id", r->id, sizeof r->id);
		json_text(e, "action", r->action, sizeof r->action);
		json_text(e, "override", r->level, sizeof r->level);
		json_text(e, "text", r->text, sizeof r->text);
		snprintf(out->rules_text + o, sizeof out->rules_text - o,
		    "%s%s %s", o > 0 ? ", " : "", r->id, r->level);
	}
	cJSON_Delete(a);
	PQclear(res);
	return LD_OK;
}

size_t
core_case_deciding_rules(const struct core_case *c, char *buf, size_t len)
{
	const char *action;
	size_t i, n = 0, o = 0;

	if (len > 0)
		buf[0] = '\0';
	/* The rule action that makes each recommendation, as the worker's
	 * JSON names it. */
	if (c->recommendation == CORE_APP_AUTO_REJECTED)
		action = risk_action_name(RISK_ACTION_REJECT);
	else if (c->recommendation == CORE_APP_MANUAL_REVIEW)
		action = risk_action_name(RISK_ACTION_REVIEW);
	else
		return 0;
	for (i = 0; i < c->nrules; i++) {
		int w;

		if (strcmp(c->rules[i].action, action) != 0)
			continue;
		n++;
		if (o >= len)
			continue;
		w = snprintf(buf + o, len - o, "%s%s", o > 0 ? ", " : "",
		    c->rules[i].id);
		if (w < 0 || (size_t)w >= len - o) {
			/* A cut id would name another rule: drop it whole. */
			buf[o] = '\0';
			o = len;
		} else
			o += (size_t)w;
	}
	return n;
}

int
core_reason_code_offered(const struct core_reason_code *r,
    enum core_decision d, enum core_app_status rec)
{
	if (r == NULL || (int)d < 0 || d >= CORE_DECISION_COUNT ||
	    (r->applies & (1u << d)) == 0)
		return 0;
	/* Agreeing needs a recommendation that says the same. */
	if (strcmp(r->code, "MODEL_AGREE") == 0)
		return (d == CORE_APPROVE && rec == CORE_APP_AUTO_APPROVED) ||
		    (d == CORE_REJECT && rec == CORE_APP_AUTO_REJECTED);
	return 1;
}

const char *
core_feature_label(const char *feature)
{
	const struct risk_feature_def *f = risk_feature_find(feature);

	return f != NULL && f->label_en != NULL && f->label_en[0] != '\0' ?
	    f->label_en : NULL;
}

void
core_contribution_value_format(const struct core_contribution *k,
    char *buf, size_t len)
{
	const struct risk_feature_def *f = risk_feature_find(k->feature);
	const char *unit = f != NULL ? f->unit : "";
	char money[40];

	if (k->missing) {
		snprintf(buf, len, "(missing)");
		return;
	}
	/* Fen arrive as doubles from the payload: exact below 2^53. */
	if (strncmp(unit, "fen", 3) == 0 && fabs(k->value) < 9e15 &&
	    k->value == floor(k->value)) {
		ld_money_format((int64_t)k->value, 1, money, sizeof money);
		snprintf(buf, len, "%s%s", money,
		    strcmp(unit, "fen/month") == 0 ? "/mo" : "");
	} else if (strcmp(unit, "seconds") == 0)
		snprintf(buf, len, "%.4g s", k->value);
	else if (strcmp(unit, "months") == 0 && k->value == floor(k->value))
		snprintf(buf, len, "%.0f mo", k->value);
	else if (k->value == floor(k->value) && fabs(k->value) < 1e12)
		snprintf(buf, len, "%.0f", k->value);
	else
		snprintf(buf, len, "%.4g", k->value);
}

enum ld_status
core_reason_codes_load(struct ld_db *db, struct core_reason_codes *out,
    struct ld_err *err)
{
	const char *names[CORE_DECISION_COUNT];
	PGresult *res;
	int i, n, d;
	enum ld_status st;

	memset(out, 0, sizeof *out);
	for (d = 0; d < CORE_DECISION_COUNT; d++)
		names[d] = core_decision_name((enum core_decision)d);
	/* One column for each decision, in core_decision's order. */
	_Static_assert(CORE_DECISION_COUNT == 3, "a column for each decision");
	st = ld_db_exec(db, "SELECT code, $1 = ANY(applies_to), "
	    "$2 = ANY(applies_to), $3 = ANY(applies_to), text_zh, text_en, "
	    "disclosed FROM decision_reasons ORDER BY code",
	    CORE_DECISION_COUNT, names,
	    &res, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "reason codes: ");
	n = PQntuples(res);
	if (n > 200)
		n = 200;
	out->v = ld_calloc(n > 0 ? (size_t)n : 1, sizeof *out->v);
	for (i = 0; i < n; i++) {
		struct core_reason_code *r = &out->v[i];

		copy_text(r->code, sizeof r->code, core_val(res, i, 0));
		r->applies = 0;
		for (d = 0; d < CORE_DECISION_COUNT; d++)
			if (strcmp(core_val(res, i, 1 + d), "t") == 0)
				r->applies |= 1u << d;
		copy_text(r->text_zh, sizeof r->text_zh, core_val(res, i, 4));
		copy_text(r->text_en, sizeof r->text_en, core_val(res, i, 5));
		r->disclosed = strcmp(core_val(res, i, 6), "t") == 0;
	}
	out->n = (size_t)n;
	PQclear(res);
	return LD_OK;
}

void
core_reason_codes_free(struct core_reason_codes *rc)
{
	if (rc == NULL)
		return;
	free(rc->v);
	rc->v = NULL;
	rc->n = 0;
}
