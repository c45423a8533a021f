#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "core_audit_view.h"
#include "core_query.h"
#include "core_session.h"
#include "ld_alloc.h"
#include "ld_audit.h"
#include "ld_buf.h"
#include "ld_money.h"
#include "ld_sql.h"

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

enum ld_status
core_audit_command(const char *cmd, struct core_audit_filter *f,
    struct ld_err *err)
{
	struct core_audit_filter nf = *f;
	const char *arg, *slash;
	size_t n;

	cmd = skip_space(cmd);
	n = strcspn(cmd, " \t");
	arg = skip_space(cmd + n);
	if (n == 5 && strncmp(cmd, "clear", 5) == 0 && *arg == '\0')
		memset(&nf, 0, sizeof nf);
	else if (n == 5 && strncmp(cmd, "actor", 5) == 0) {
		if (strlen(arg) >= sizeof nf.actor)
			return ld_err_set(err, LD_EINVAL, "actor: too long");
		snprintf(nf.actor, sizeof nf.actor, "%s", arg);
	} else if (n == 6 && strncmp(cmd, "action", 6) == 0) {
		if (strlen(arg) >= sizeof nf.action)
			return ld_err_set(err, LD_EINVAL, "action: too long");
		snprintf(nf.action, sizeof nf.action, "%s", arg);
	} else if (n == 6 && strncmp(cmd, "object", 6) == 0) {
		slash = strchr(arg, '/');
		nf.object_id[0] = '\0';
		if (slash == NULL) {
			if (strlen(arg) >= sizeof nf.object_type)
				return ld_err_set(err, LD_EINVAL,
				    "object: type too long");
			snprintf(nf.object_type, sizeof nf.object_type, "%s",
			    arg);
		} else {
			if ((size_t)(slash - arg) >= sizeof nf.object_type ||
			    slash == arg || strlen(slash + 1) == 0 ||
			    strlen(slash + 1) >= sizeof nf.object_id)
				return ld_err_set(err, LD_EINVAL,
				    "object: \"%s\" is not TYPE/ID", arg);
			snprintf(nf.object_type, sizeof nf.object_type,
			    "%.*s", (int)(slash - arg), arg);
			snprintf(nf.object_id, sizeof nf.object_id, "%s",
			    slash + 1);
		}
	} else
		return ld_err_set(err, LD_EINVAL,
		    "unknown command \"%.*s\" (actor, object, action, clear)",
		    (int)n, cmd);
	*f = nf;
	return LD_OK;
}

void
core_audit_filter_describe(const struct core_audit_filter *f, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s%s%s%s",
	    f->actor[0] ? " actor=" : "", f->actor,
	    f->object_type[0] ? " object=" : "", f->object_type,
	    f->object_id[0] ? "/" : "", f->object_id,
	    f->action[0] ? " action=" : "", f->action, "");
	if (buf[0] == ' ')
		memmove(buf, buf + 1, strlen(buf));
}

/* An id as the audit row wrote it, or 0 for anything that is not one. */
static int64_t
application_id_of(const char *text)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)text[0]))
		return 0;
	errno = 0;
	v = strtoll(text, &end, 10);
	return errno == 0 && *end == '\0' && v > 0 ? (int64_t)v : 0;
}

enum ld_status
core_audit_fetch(struct core_session *s, const struct core_audit_filter *f,
    int64_t before_id, size_t limit, struct core_audit_page *page,
    struct ld_err *err)
{
	struct ld_sql q;
	PGresult *res;
	int i, n;
	enum ld_status st;

	memset(page, 0, sizeof *page);
	if (limit == 0 || limit > 1000)
		limit = 1000;
	ld_sql_init(&q, "SELECT id, to_char(at, 'YYYY-MM-DD HH24:MI:SS'), "
	    "actor, action, object_type || '/' || object_id, "
	    "left(detail::text, 8192), CASE WHEN object_type = 'application' "
	    "THEN object_id ELSE detail->>'application_id' END "
	    "FROM audit_log WHERE true");
	if (f->actor[0] != '\0')
		LD_SQL_ADD(&q, " AND actor = $1", f->actor);
	if (f->action[0] != '\0')
		LD_SQL_ADD(&q, " AND action = $1", f->action);
	if (f->object_type[0] != '\0')
		LD_SQL_ADD(&q, " AND object_type = $1", f->object_type);
	if (f->object_id[0] != '\0')
		LD_SQL_ADD(&q, " AND object_id = $1", f->object_id);
	if (before_id > 0)
		ld_sql_add_i64(&q, " AND id < $1::bigint", before_id);
	ld_sql_add(&q, " ORDER BY id DESC");
	ld_sql_limit(&q, limit + 1);
	st = core_session_read_sql(s, &q, &res, err);
	ld_sql_free(&q);
	if (st != LD_OK)
		return ld_err_prefix(err, "audit log: ");
	n = PQntuples(res);
	page->more = (size_t)n > limit;
	if ((size_t)n > limit)
		n = (int)limit;
	page->rows = ld_calloc(n > 0 ? (size_t)n : 1, sizeof *page->rows);
	for (i = 0; i < n; i++) {
		struct core_audit_row *r = &page->rows[i];

		r->id = core_val_i64(res, i, 0);
		snprintf(r->at, sizeof r->at, "%s", core_val(res, i, 1));
		snprintf(r->actor, sizeof r->actor, "%s", core_val(res, i, 2));
		snprintf(r->action, sizeof r->action, "%s",
		    core_val(res, i, 3));
		snprintf(r->object, sizeof r->object, "%s",
		    core_val(res, i, 4));
		core_audit_detail_text(core_val(res, i, 5), r->detail,
		    sizeof r->detail);
		r->application_id = application_id_of(core_val(res, i, 6));
	}
	page->n = (size_t)n;
	PQclear(res);
	return LD_OK;
}

void
core_audit_page_free(struct core_audit_page *page)
{
	if (page == NULL)
		return;
	free(page->rows);
	page->rows = NULL;
	page->n = 0;
}

/* Appends ", " between parts. */
static void
part(struct ld_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
part(struct ld_buf *b, const char *fmt, ...)
{
	char tmp[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	ld_buf_printf(b, "%s%s", b->len > 0 ? ", " : "", tmp);
}

static const char *
str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
num_of(const cJSON *o, const char *key, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v))
		return 0;
	*out = v->valuedouble;
	return 1;
}

/* The rule ids of [{"rule": id}, ...], [{"id": id}, ...] or [id, ...]. */
static void
rule_ids(const cJSON *a, struct ld_buf *out)
{
	const cJSON *e;
	int n = 0;

	cJSON_ArrayForEach(e, a) {
		const char *id = cJSON_IsString(e) ? e->valuestring :
		    str_of(e, "rule") != NULL ? str_of(e, "rule") :
		    str_of(e, "id");

		if (id == NULL)
			continue;
		ld_buf_printf(out, "%s%s", n++ ? " " : "", id);
	}
}

/* Keys rendered in words; any other key is shown as JSON after them. */
static const char *const known_keys[] = {
	"from", "to", "decision", "reason", "note", "override",
	"recommendation", "amount_fen", "points", "pd_bps", "basis",
	"rules_hit", "more_rules", "error", "name", "version", "kind", "role",
	"previous", "application_id", "payout_id", "model_id", "score_id",
	"reused_score_id", "sha256", "features", NULL
};

void
core_audit_detail_text(const char *json, char *buf, size_t len)
{
	struct ld_buf b, ids;
	cJSON *o, *rest;
	const cJSON *v;
	const char *from, *to, *s;
	double d;
	int i;

	if (len == 0)
		return;
	o = json != NULL ? cJSON_Parse(json) : NULL;
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		ld_buf_init(&b, 0);
		ld_buf_puts(&b, json != NULL ? json : "");
		goto out;
	}
	ld_buf_init(&b, 0);
	from = str_of(o, "from");
	to = str_of(o, "to");
	if (from != NULL || to != NULL) {
		/* A review's from/to are assignees; "nobody" when null. */
		if (str_of(o, "kind") != NULL)
			part(&b, "%s \xe2\x86\x92 %s", from ? from : "nobody",
			    to ? to : "nobody");
		else
			part(&b, "%s \xe2\x86\x92 %s", from ? from : "?",
			    to ? to : "?");
	}
	if ((s = str_of(o, "decision")) != NULL)
		part(&b, "%s", s);
	if ((s = str_of(o, "reason")) != NULL)
		part(&b, "reason %s", s);
	if ((s = str_of(o, "note")) != NULL)
		part(&b, "note \"%s\"", s);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "override")))
		part(&b, "overrides the model (%s)",
		    str_of(o, "recommendation") ? str_of(o, "recommendation") :
		    "?");
	else if ((s = str_of(o, "recommendation")) != NULL)
		part(&b, "model said %s", s);
	if (num_of(o, "amount_fen", &d)) {
		char money[40];

		ld_money_format((int64_t)d, 1, money, sizeof money);
		part(&b, "%s", money);
	}
	if (num_of(o, "points", &d))
		part(&b, "%.0f points", d);
	if (num_of(o, "pd_bps", &d))
		part(&b, "PD %.2f%%", d / 100.0);
	ld_buf_init(&ids, 0);
	rule_ids(cJSON_GetObjectItemCaseSensitive(o, "basis"), &ids);
	rule_ids(cJSON_GetObjectItemCaseSensitive(o, "rules_hit"), &ids);
	if (ids.len > 0)
		part(&b, "rules %s%s", ids.data,
		    num_of(o, "more_rules", &d) && d > 0 ? " and more" : "");
	ld_buf_free(&ids);
	if ((s = str_of(o, "error")) != NULL)
		part(&b, "error: %s", s);
	if ((s = str_of(o, "name")) != NULL)
		part(&b, "model %s %s%s%s", s, str_of(o, "version") ?
		    str_of(o, "version") : "", str_of(o, "role") ? " as " : "",
		    str_of(o, "role") ? str_of(o, "role") : "");
	if (num_of(o, "application_id", &d) && str_of(o, "kind") != NULL)
		part(&b, "%s review of application %.0f", str_of(o, "kind"),
		    d);
	else if (num_of(o, "application_id", &d))
		part(&b, "application %.0f", d);
	if (num_of(o, "payout_id", &d))
		part(&b, "payout %.0f", d);
	if (num_of(o, "score_id", &d))
		part(&b, "score #%.0f", d);
	if (num_of(o, "reused_score_id", &d))
		part(&b, "reuses score #%.0f", d);
	if ((s = str_of(o, "sha256")) != NULL)
		part(&b, "sha256 %.12s", s);
	/* Whatever else the row holds, compactly, so nothing is hidden. */
	rest = cJSON_CreateObject();
	for (v = o->child; v != NULL; v = v->next) {
		if (v->string == NULL || cJSON_IsNull(v))
			continue;
		for (i = 0; known_keys[i] != NULL; i++)
			if (strcmp(v->string, known_keys[i]) == 0)
				break;
		if (known_keys[i] == NULL)
			cJSON_AddItemReferenceToObject(rest, v->string,
			    (cJSON *)v);
	}
	if (rest->child != NULL) {
		char *t = cJSON_PrintUnformatted(rest);

		if (t != NULL) {
			part(&b, "%s", t);
			free(t);
		}
	}
	cJSON_Delete(rest);
	cJSON_Delete(o);
out:
	if (b.len < len)
		snprintf(buf, len, "%s", b.len > 0 ? b.data : "");
	else {
		/* Cut at a character boundary, leaving room for "…". */
		size_t n = len > 4 ? len - 4 : 0;

		while (n > 0 && ((unsigned char)b.data[n] & 0xc0) == 0x80)
			n--;
		snprintf(buf, len, "%.*s\xe2\x80\xa6", (int)n, b.data);
	}
	ld_buf_free(&b);
}

/* The walk's outcome where the caller reads it. */
static void
publish(struct core_audit_verify *v)
{
	v->done = v->walk->done;
	v->last_id = v->walk->last_id;
	v->head_id = v->walk->head_id;
	v->res.rows = v->walk->res.rows;
	v->res.ok = v->walk->res.ok;
	v->res.broken_id = v->walk->res.broken_id;
	snprintf(v->res.why, sizeof v->res.why, "%s", v->walk->res.why);
}

void
core_audit_verify_start(struct core_audit_verify *v, int fresh)
{
	if (v->walk == NULL) {
		v->walk = ld_calloc(1, sizeof *v->walk);
		fresh = 1;
	}
	if (fresh)
		ld_audit_verifier_init(v->walk);
	else
		ld_audit_verifier_resume(v->walk);
	publish(v);
}

void
core_audit_verify_clear(struct core_audit_verify *v)
{
	free(v->walk);
	memset(v, 0, sizeof *v);
}

enum ld_status
core_audit_verify_step(struct core_session *s, struct core_audit_verify *v,
    struct ld_err *err)
{
	struct ld_audit_verifier next;
	char after[24];
	const char *params[1] = { after };
	PGresult *res;
	enum ld_status st;

	if (v->walk == NULL)
		core_audit_verify_start(v, 1);
	if (v->walk->done)
		return LD_OK;
	next = *v->walk;
	ld_audit_verifier_param(v->walk, after);
	st = core_session_read(s, ld_audit_batch_sql, 1, params, &res, err);
	if (st != LD_OK)
		return st == LD_ETIMEOUT ? st :
		    ld_err_prefix(err, "verifying the audit chain: ");
	(void)ld_audit_verifier_feed(&next, res);
	PQclear(res);
	*v->walk = next;
	publish(v);
	return LD_OK;
}
