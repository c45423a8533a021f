/*
 * The applications list.  Every ordering is (column, id) in the same
 * direction, matching an index in 0001_schema.sql, so both a forward page
 * and a backward page are one index range scan.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_apps.h"
#include "core_query.h"
#include "core_session.h"
#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_money.h"
#include "ld_sql.h"

static const struct {
	const char *name;
} sort_columns[CORE_SORT_COUNT] = {
	[CORE_SORT_SUBMITTED] = { "submitted" },
	[CORE_SORT_AMOUNT] = { "amount" },
	[CORE_SORT_POINTS] = { "score" },
	[CORE_SORT_ID] = { "id" },
};

/* The SQL an ordering, a direction and an amount test may put in. */
static const char *const sort_sql[CORE_SORT_COUNT] = {
	[CORE_SORT_SUBMITTED] = "a.submitted_at",
	[CORE_SORT_AMOUNT] = "a.amount_fen",
	[CORE_SORT_POINTS] = "a.points",
	[CORE_SORT_ID] = "a.id",
};
static const char *const sort_key_cast[CORE_SORT_COUNT] = {
	[CORE_SORT_SUBMITTED] = "timestamptz",
	[CORE_SORT_AMOUNT] = "bigint",
	[CORE_SORT_POINTS] = "bigint",
	[CORE_SORT_ID] = "bigint",
};
static const char *const direction_sql[2] = { "ASC", "DESC" };
static const char *const keyset_sql[2] = { ">", "<" };
static const char *const amount_sql[] = {
	[CORE_AMOUNT_GT] = ">",
	[CORE_AMOUNT_GE] = ">=",
	[CORE_AMOUNT_LT] = "<",
	[CORE_AMOUNT_LE] = "<=",
	[CORE_AMOUNT_EQ] = "=",
};
#define NAMES(a) (a), sizeof(a) / sizeof((a)[0])

const char *
core_apps_sort_name(enum core_apps_sort s)
{
	if ((int)s < 0 || s >= CORE_SORT_COUNT)
		return "?";
	return sort_columns[s].name;
}

int
core_apps_sort_default_desc(enum core_apps_sort s)
{
	return s != CORE_SORT_POINTS;
}

void
core_apps_filter_clear(struct core_apps_filter *f)
{
	memset(f, 0, sizeof *f);
}

int
core_apps_filter_active(const struct core_apps_filter *f)
{
	return f->status != CORE_APP_NONE || f->amount_op != CORE_AMOUNT_ANY ||
	    f->since_s != 0 || f->id != 0 || f->text[0] != '\0' ||
	    f->assignee[0] != '\0';
}

static const char *
amount_op_text(enum core_amount_op op)
{
	switch (op) {
	case CORE_AMOUNT_GT:
		return ">";
	case CORE_AMOUNT_GE:
		return ">=";
	case CORE_AMOUNT_LT:
		return "<";
	case CORE_AMOUNT_LE:
		return "<=";
	case CORE_AMOUNT_EQ:
		return "=";
	default:
		return "";
	}
}

void
core_apps_filter_describe(const struct core_apps_filter *f, char *buf,
    size_t len)
{
	struct ld_buf b;
	char money[40];

	ld_buf_init(&b, len > 0 ? len - 1 : 0);
	if (f->id != 0)
		ld_buf_printf(&b, " id=%" PRId64, f->id);
	if (f->status != CORE_APP_NONE)
		ld_buf_printf(&b, " status=%s", core_app_status_sql(f->status));
	if (f->amount_op != CORE_AMOUNT_ANY) {
		ld_money_format(f->amount_fen, 0, money, sizeof money);
		ld_buf_printf(&b, " amount%s%s", amount_op_text(f->amount_op),
		    money);
	}
	if (f->since_s != 0) {
		if (f->since_s % 86400 == 0)
			ld_buf_printf(&b, " since=%" PRId64 "d",
			    f->since_s / 86400);
		else if (f->since_s % 3600 == 0)
			ld_buf_printf(&b, " since=%" PRId64 "h",
			    f->since_s / 3600);
		else
			ld_buf_printf(&b, " since=%" PRId64 "m",
			    f->since_s / 60);
	}
	if (f->assignee[0] != '\0')
		ld_buf_printf(&b, " assignee=%s", f->assignee);
	if (f->text[0] != '\0')
		ld_buf_printf(&b, " /%s", f->text);
	snprintf(buf, len, "%s", b.len > 0 ? b.data + 1 : "");
	ld_buf_free(&b);
}

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int
parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *skip_space(end) != '\0' || v <= 0)
		return -1;
	*out = v;
	return 0;
}

static enum ld_status
parse_since(const char *arg, int64_t *out, struct ld_err *err)
{
	char *end;
	long long v;
	int64_t unit;

	errno = 0;
	if (!isdigit((unsigned char)*arg))
		goto bad;
	v = strtoll(arg, &end, 10);
	if (errno != 0 || v <= 0 || v > 36500)
		goto bad;
	switch (*end) {
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	case 'w':
		unit = 7 * 86400;
		break;
	default:
		goto bad;
	}
	if (*skip_space(end + 1) != '\0')
		goto bad;
	*out = (int64_t)v * unit;
	return LD_OK;
bad:
	return ld_err_set(err, LD_EINVAL,
	    "since: \"%s\" is not a duration like 30m, 12h, 7d or 2w", arg);
}

static enum ld_status
parse_amount(const char *arg, enum core_amount_op *op, int64_t *fen,
    struct ld_err *err)
{
	struct ld_err e;
	const char *p = arg;

	if (strncmp(p, ">=", 2) == 0) {
		*op = CORE_AMOUNT_GE;
		p += 2;
	} else if (strncmp(p, "<=", 2) == 0) {
		*op = CORE_AMOUNT_LE;
		p += 2;
	} else if (*p == '>') {
		*op = CORE_AMOUNT_GT;
		p++;
	} else if (*p == '<') {
		*op = CORE_AMOUNT_LT;
		p++;
	} else if (*p == '=') {
		*op = CORE_AMOUNT_EQ;
		p++;
	} else
		*op = CORE_AMOUNT_EQ;
	p = skip_space(p);
	ld_err_clear(&e);
	if (ld_money_parse_yuan(p, fen, &e) != LD_OK)
		return ld_err_set(err, LD_EINVAL,
		    "amount: \"%s\" is not >, >=, <, <= or = and a yuan "
		    "amount (%s)", arg, e.msg);
	return LD_OK;
}

/* "received, scored, ...": the statuses `status` takes. */
static void
status_words(char *buf, size_t len)
{
	struct ld_buf b;
	int s;

	ld_buf_init(&b, len > 0 ? len - 1 : 0);
	for (s = CORE_APP_NONE + 1; s < CORE_APP_STATUS_COUNT; s++)
		ld_buf_printf(&b, "%s%s", s > CORE_APP_NONE + 1 ? ", " : "",
		    core_app_status_sql((enum core_app_status)s));
	snprintf(buf, len, "%s", b.len > 0 ? b.data : "");
	ld_buf_free(&b);
}

enum ld_status
core_apps_command(const char *cmd, struct core_apps_filter *f,
    enum core_apps_sort *sort, int *desc, struct ld_err *err)
{
	struct core_apps_filter nf = *f;
	char word[16];
	const char *arg;
	size_t n = 0;
	int i;

	cmd = skip_space(cmd);
	while (cmd[n] != '\0' && cmd[n] != ' ' && cmd[n] != '\t' &&
	    n + 1 < sizeof word) {
		word[n] = cmd[n];
		n++;
	}
	word[n] = '\0';
	arg = skip_space(cmd + n);
	if (n == 0)
		return ld_err_set(err, LD_EINVAL, "empty command");

	if (strcmp(word, "clear") == 0 && *arg == '\0') {
		core_apps_filter_clear(&nf);
	} else if (strcmp(word, "status") == 0) {
		if (*arg == '\0' || strcmp(arg, "all") == 0 ||
		    strcmp(arg, "any") == 0)
			nf.status = CORE_APP_NONE;
		else if ((nf.status = core_app_status_parse(arg)) ==
		    CORE_APP_NONE) {
			char known[160];

			status_words(known, sizeof known);
			return ld_err_set(err, LD_EINVAL, "status: unknown "
			    "status \"%s\" (%s)", arg, known);
		}
	} else if (strcmp(word, "amount") == 0) {
		if (*arg == '\0')
			nf.amount_op = CORE_AMOUNT_ANY;
		else if (parse_amount(arg, &nf.amount_op, &nf.amount_fen,
		    err) != LD_OK)
			return LD_EINVAL;
	} else if (strcmp(word, "since") == 0) {
		if (*arg == '\0')
			nf.since_s = 0;
		else if (parse_since(arg, &nf.since_s, err) != LD_OK)
			return LD_EINVAL;
	} else if (strcmp(word, "id") == 0) {
		if (*arg == '\0')
			nf.id = 0;
		else if (parse_i64(arg, &nf.id) != 0)
			return ld_err_set(err, LD_EINVAL,
			    "id: \"%s\" is not an application number", arg);
	} else if (strcmp(word, "assignee") == 0) {
		if (strlen(arg) >= sizeof nf.assignee)
			return ld_err_set(err, LD_EINVAL,
			    "assignee: name too long");
		snprintf(nf.assignee, sizeof nf.assignee, "%s", arg);
	} else if (strcmp(word, "sort") == 0 && sort != NULL &&
	    desc != NULL) {
		size_t cn = strcspn(arg, " \t");
		const char *dir = skip_space(arg + cn);
		int d;

		for (i = 0; i < CORE_SORT_COUNT; i++)
			if (strlen(sort_columns[i].name) == cn &&
			    strncmp(arg, sort_columns[i].name, cn) == 0)
				break;
		if (i == CORE_SORT_COUNT)
			return ld_err_set(err, LD_EINVAL,
			    "sort: \"%.*s\" is not submitted, amount, score "
			    "or id", (int)cn, arg);
		if (*dir == '\0')
			d = core_apps_sort_default_desc(
			    (enum core_apps_sort)i);
		else if (strcmp(dir, "asc") == 0)
			d = 0;
		else if (strcmp(dir, "desc") == 0)
			d = 1;
		else
			return ld_err_set(err, LD_EINVAL,
			    "sort: \"%s\" is not asc or desc", dir);
		*sort = (enum core_apps_sort)i;
		*desc = d;
	} else
		return ld_err_set(err, LD_EINVAL,
		    "unknown command \"%s\" (status, amount, since, id, "
		    "assignee, sort, clear)", word);
	*f = nf;
	return LD_OK;
}

static enum ld_status
add_filters(struct ld_sql *q, const struct core_apps_filter *f,
    enum core_apps_sort sort, struct ld_err *err)
{
	char v[CORE_LIKE_MAX(sizeof f->text)];

	if (f->id != 0)
		ld_sql_add_i64(q, " AND a.id = $1", f->id);
	if (f->status != CORE_APP_NONE)
		LD_SQL_ADD(q, " AND a.status = $1",
		    core_app_status_sql(f->status));
	if (f->amount_op != CORE_AMOUNT_ANY) {
		ld_sql_add(q, " AND a.amount_fen ");
		ld_sql_pick(q, NAMES(amount_sql), (size_t)f->amount_op);
		ld_sql_add_i64(q, " $1::bigint", f->amount_fen);
	}
	if (f->since_s != 0)
		ld_sql_add_i64(q, " AND a.submitted_at >= now() - "
		    "make_interval(secs => $1::bigint)", f->since_s);
	if (f->assignee[0] != '\0')
		LD_SQL_ADD(q, " AND a.assignee = $1", f->assignee);
	if (f->text[0] != '\0') {
		if (core_like_text(f->text, v, sizeof v) == (size_t)-1)
			return ld_err_set(err, LD_EINVAL, "filter: too long");
		/* Anywhere in each text column, as in the name: "review" finds
		 * manual_review, "loan" cash_loan. */
		LD_SQL_ADD(q, " AND ((SELECT p.name_masked FROM "
		    "applicants p WHERE p.id = a.applicant_id) LIKE '%' || "
		    "$1 || '%' OR a.status LIKE '%' || $1 || '%' OR "
		    "a.product LIKE '%' || $1 || '%' OR a.band = $1 OR "
		    "a.assignee LIKE '%' || $1 || '%' OR a.id::text = $1)", v);
	}
	if (sort == CORE_SORT_POINTS)
		ld_sql_add(q, " AND a.points IS NOT NULL");
	return LD_OK;
}

static void
copy_text(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

enum ld_status
core_apps_fetch(struct core_session *s, const struct core_apps_filter *f,
    enum core_apps_sort sort, int desc, const char *after_key,
    int64_t after_id, int backward, size_t limit,
    struct core_apps_page *page, struct ld_err *err)
{
	struct ld_sql q;
	PGresult *res = NULL;
	char v[40];
	int scan_desc, i, nrows;
	enum ld_status st;

	memset(page, 0, sizeof *page);
	if ((int)sort < 0 || sort >= CORE_SORT_COUNT)
		sort = CORE_SORT_SUBMITTED;
	if (limit == 0 || limit > 1000)
		limit = 1000;
	/* A backward page scans the other way and is reversed below. */
	scan_desc = (backward ? !desc : desc) != 0;

	/*
	 * The name comes from a scalar subquery, not a join: a join over a
	 * million rows gets a Memoize node whose hash table, sized for the
	 * whole table, costs milliseconds to set up for a 50-row page.
	 */
	ld_sql_init(&q,
	    "SELECT a.id, to_char(a.submitted_at, 'YYYY-MM-DD HH24:MI'), "
	    "(SELECT p.name_masked FROM applicants p WHERE p.id = "
	    "a.applicant_id), a.amount_fen, a.term_months, a.points, "
	    "a.pd_bps, a.band, a.recommendation, a.status, a.assignee, "
	    "a.product, ");
	ld_sql_pick(&q, NAMES(sort_sql), (size_t)sort);
	ld_sql_add(&q, "::text FROM applications a WHERE true");
	if ((st = add_filters(&q, f, sort, err)) != LD_OK) {
		ld_sql_free(&q);
		return ld_err_prefix(err, "applications: ");
	}
	if (after_key != NULL) {
		snprintf(v, sizeof v, "%" PRId64, after_id);
		ld_sql_add(&q, " AND (");
		ld_sql_pick(&q, NAMES(sort_sql), (size_t)sort);
		ld_sql_add(&q, ", a.id) ");
		ld_sql_pick(&q, NAMES(keyset_sql), (size_t)scan_desc);
		LD_SQL_ADD(&q, " ($1::", after_key);
		ld_sql_pick(&q, NAMES(sort_key_cast), (size_t)sort);
		LD_SQL_ADD(&q, ", $1::bigint)", v);
	}
	/* One extra row says whether there is more. */
	ld_sql_add(&q, " ORDER BY ");
	ld_sql_pick(&q, NAMES(sort_sql), (size_t)sort);
	ld_sql_add(&q, " ");
	ld_sql_pick(&q, NAMES(direction_sql), (size_t)scan_desc);
	ld_sql_add(&q, ", a.id ");
	ld_sql_pick(&q, NAMES(direction_sql), (size_t)scan_desc);
	ld_sql_limit(&q, limit + 1);
	st = core_session_read_sql(s, &q, &res, err);
	ld_sql_free(&q);
	if (st != LD_OK)
		return ld_err_prefix(err, "applications: ");

	nrows = PQntuples(res);
	if (PQnfields(res) != 13) {
		PQclear(res);
		return ld_err_set(err, LD_EPROTO,
		    "applications: expected 13 columns, got %d",
		    PQnfields(res));
	}
	page->more = (size_t)nrows > limit;
	if ((size_t)nrows > limit)
		nrows = (int)limit;
	page->rows = ld_calloc(nrows > 0 ? (size_t)nrows : 1,
	    sizeof *page->rows);
	page->n = (size_t)nrows;
	for (i = 0; i < nrows; i++) {
		struct core_app_row *r = &page->rows[backward ?
		    nrows - 1 - i : i];

		r->id = core_val_i64(res, i, 0);
		copy_text(r->submitted, sizeof r->submitted,
		    core_val(res, i, 1));
		copy_text(r->name, sizeof r->name, core_val(res, i, 2));
		r->amount_fen = core_val_i64(res, i, 3);
		r->term_months = (int)core_val_i64(res, i, 4);
		r->scored = !core_val_null(res, i, 5);
		r->points = (int)core_val_i64(res, i, 5);
		r->pd_bps = (int)core_val_i64(res, i, 6);
		copy_text(r->band, sizeof r->band, core_val(res, i, 7));
		r->recommendation = core_app_status_parse(core_val(res, i, 8));
		r->status = core_app_status_parse(core_val(res, i, 9));
		copy_text(r->assignee, sizeof r->assignee,
		    core_val(res, i, 10));
		copy_text(r->product, sizeof r->product,
		    core_val(res, i, 11));
		copy_text(r->key, sizeof r->key, core_val(res, i, 12));
	}
	PQclear(res);
	return LD_OK;
}

void
core_apps_page_free(struct core_apps_page *page)
{
	if (page == NULL)
		return;
	free(page->rows);
	page->rows = NULL;
	page->n = 0;
}

enum ld_status
core_apps_estimate(struct core_session *s, int64_t *n, struct ld_err *err)
{
	PGresult *res;
	const char *rows;
	enum ld_status st;
	char *end;
	long long v;

	*n = -1;
	/*
	 * The planner's own figures.  reltuples, once VACUUM or ANALYZE has
	 * counted: EXPLAIN would scale it by the heap's growth since, and a
	 * table whose every row was updated (scoring does that) has doubled
	 * its pages, not its rows.  Before that first count reltuples is -1
	 * and EXPLAIN's guess from the heap's size is all there is.
	 */
	st = core_session_read(s, "SELECT reltuples::bigint FROM pg_class "
	    "WHERE oid = 'applications'::regclass", 0, NULL, &res, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "estimating the applications: ");
	v = PQntuples(res) == 1 ? core_val_i64(res, 0, 0) : -1;
	PQclear(res);
	if (v >= 0) {
		*n = (int64_t)v;
		return LD_OK;
	}
	st = core_session_read(s, "EXPLAIN SELECT 1 FROM applications", 0,
	    NULL, &res, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "estimating the applications: ");
	rows = PQntuples(res) > 0 ? strstr(core_val(res, 0, 0), " rows=") :
	    NULL;
	if (rows == NULL) {
		PQclear(res);
		return ld_err_set(err, LD_EPROTO, "estimating the "
		    "applications: EXPLAIN gave no row estimate");
	}
	errno = 0;
	v = strtoll(rows + 6, &end, 10);
	PQclear(res);
	if (errno != 0 || end == rows + 6 || v < 0)
		return ld_err_set(err, LD_EPROTO, "estimating the "
		    "applications: unreadable row estimate");
	*n = (int64_t)v;
	return LD_OK;
}
