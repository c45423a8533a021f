/*
 * The review queue.  Each part of the queue (the operator's own, open,
 * claimed by others) is its own ordered, limited subquery, so each is one
 * range of an index of 0010_review_ownership.sql however long the queue.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_locks.h"
#include "core_query.h"
#include "core_reviews.h"
#include "core_session.h"
#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_db.h"
#include "ld_sql.h"

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

void
core_reviews_filter_clear(struct core_reviews_filter *f)
{
	memset(f, 0, sizeof *f);
}

int
core_reviews_filter_active(const struct core_reviews_filter *f)
{
	return f->view != CORE_REVIEWS_ALL ||
	    f->kind != CORE_REVIEW_KIND_ANY || f->id != 0 || f->text[0] != '\0';
}

void
core_reviews_filter_describe(const struct core_reviews_filter *f,
    char *buf, size_t len)
{
	char id[32] = "";

	if (f->id != 0)
		snprintf(id, sizeof id, " id=%" PRId64, f->id);
	snprintf(buf, len, "%s%s%s%s%s%s",
	    f->view == CORE_REVIEWS_MINE ? " mine" :
	    f->view == CORE_REVIEWS_OPEN ? " open" : "",
	    f->kind != CORE_REVIEW_KIND_ANY ? " kind=" : "",
	    core_review_kind_sql(f->kind), id,
	    f->text[0] ? " /" : "", f->text);
	if (buf[0] == ' ')
		memmove(buf, buf + 1, strlen(buf));
}

/* The kinds, as an error names them: "application, payout or ...". */
static void
kinds_text(char *buf, size_t len)
{
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = CORE_REVIEW_KIND_ANY + 1; i < CORE_REVIEW_KIND_COUNT &&
	    o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
		    i == CORE_REVIEW_KIND_ANY + 1 ? "" :
		    i == CORE_REVIEW_KIND_COUNT - 1 ? " or " : ", ",
		    core_review_kind_sql((enum core_review_kind)i));
}

enum ld_status
core_reviews_command(const char *cmd, struct core_reviews_filter *f,
    struct ld_err *err)
{
	struct core_reviews_filter nf = *f;
	const char *arg;
	char line[128], *end;
	long long v;
	size_t n;

	/* Blanks around the words are not part of them. */
	snprintf(line, sizeof line, "%s", skip_space(cmd));
	n = strlen(line);
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	cmd = line;
	n = strcspn(cmd, " \t");
	arg = skip_space(cmd + n);
#define IS(word) (n == sizeof(word) - 1 && strncmp(cmd, word, n) == 0)
	if ((IS("mine") || IS("open") || IS("all") || IS("clear")) &&
	    *arg != '\0')
		return ld_err_set(err, LD_EINVAL, "%.*s takes no argument",
		    (int)n, cmd);
	if (IS("clear"))
		core_reviews_filter_clear(&nf);
	else if (IS("mine") || IS("open") || IS("all")) {
		nf.view = IS("mine") ? CORE_REVIEWS_MINE : IS("open") ?
		    CORE_REVIEWS_OPEN : CORE_REVIEWS_ALL;
		/* A jump to one review is over once a part is asked for. */
		nf.id = 0;
	} else if (IS("kind")) {
		if (*arg == '\0' || strcmp(arg, "all") == 0 ||
		    strcmp(arg, "any") == 0)
			nf.kind = CORE_REVIEW_KIND_ANY;
		else if ((nf.kind = core_review_kind_parse(arg)) ==
		    CORE_REVIEW_KIND_ANY) {
			char kinds[128];

			kinds_text(kinds, sizeof kinds);
			return ld_err_set(err, LD_EINVAL, "kind: \"%s\" is not "
			    "%s", arg, kinds);
		}
	} else if (IS("id")) {
		if (*arg == '\0')
			nf.id = 0;
		else {
			errno = 0;
			v = isdigit((unsigned char)*arg) ?
			    strtoll(arg, &end, 10) : 0;
			if (v <= 0 || errno != 0 || *skip_space(end) != '\0')
				return ld_err_set(err, LD_EINVAL, "id: \"%s\" "
				    "is not a review or application number",
				    arg);
			/* Straight to it, whatever was filtered before. */
			core_reviews_filter_clear(&nf);
			nf.id = v;
		}
	} else
		return ld_err_set(err, LD_EINVAL, "unknown command \"%.*s\" "
		    "(mine, open, all, kind, id, clear)", (int)n, cmd);
#undef IS
	*f = nf;
	return LD_OK;
}


/* The tables a filter's conditions name: reviews r, and for the text
 * what it is matched against. */
static const char *
filter_from(int text)
{
	/*
	 * Joined rather than a subquery per review: the planner then hashes
	 * the names once (a correlated EXISTS took seconds on a queue of
	 * 80,000).
	 */
	return text ? "reviews r LEFT JOIN payouts po ON po.id = "
	    "r.payout_id LEFT JOIN applications a ON a.id = "
	    "coalesce(r.application_id, po.application_id) LEFT JOIN "
	    "applicants p ON p.id = a.applicant_id" : "reviews r";
}

/* The filter's conditions (like: its text as a pattern, "" none). */
static void
add_filter(struct ld_sql *q, const struct core_reviews_filter *f,
    const char *like)
{
	if (f->kind != CORE_REVIEW_KIND_ANY)
		LD_SQL_ADD(q, " AND r.kind = $1", core_review_kind_sql(f->kind));
	if (f->id != 0)
		ld_sql_add_i64(q, " AND (r.id = $1::bigint OR "
		    "r.application_id = $1::bigint OR r.payout_id = (SELECT "
		    "pi.id FROM payouts pi WHERE pi.application_id = "
		    "$1::bigint))", f->id);
	/* Reason codes are upper case: any case matches. */
	if (like[0] != '\0')
		LD_SQL_ADD(q, " AND (r.reason ILIKE '%' || $1 || '%' OR "
		    "r.assignee ILIKE '%' || $1 || '%' OR "
		    "p.name_masked ILIKE '%' || $1 || '%')", like);
}

/* The condition of each part, over reviews r; CORE_REVIEW_* order. */
static const char *const part_where[CORE_REVIEW_PARTS] = {
	"r.state = 'claimed' AND r.assignee = current_user::text",
	"r.state = 'open'",
	"r.state = 'claimed' AND r.assignee <> current_user::text",
};
static const char *const part_number[CORE_REVIEW_PARTS] = { "0", "1", "2" };
#define NAMES(a) (a), sizeof(a) / sizeof((a)[0])

static enum ld_status
load_counts(struct core_session *s, const struct core_reviews_filter *f,
    const char *like, struct core_reviews *out, struct ld_err *err)
{
	struct ld_sql q;
	PGresult *res;
	enum ld_status st;
	size_t i;

	ld_sql_init(&q, "SELECT ");
	for (i = 0; i < CORE_REVIEW_PARTS; i++) {
		ld_sql_add(&q, i ? ", count(*) FILTER (WHERE " :
		    "count(*) FILTER (WHERE ");
		ld_sql_pick(&q, NAMES(part_where), i);
		ld_sql_add(&q, ")");
	}
	ld_sql_add(&q, " FROM ");
	ld_sql_add(&q, filter_from(like[0] != '\0'));
	ld_sql_add(&q, " WHERE r.state <> 'closed'");
	add_filter(&q, f, like);
	st = core_session_read_sql(s, &q, &res, err);
	ld_sql_free(&q);
	if (st != LD_OK)
		return st;
	for (i = 0; i < CORE_REVIEW_PARTS; i++)
		out->count[i] = PQntuples(res) == 1 ?
		    core_val_i64(res, 0, (int)i) : 0;
	PQclear(res);
	return LD_OK;
}

enum ld_status
core_reviews_load(struct core_session *s, const struct core_reviews_filter *f,
    size_t limit, struct core_reviews *out, struct ld_err *err)
{
	struct ld_sql q;
	char like[CORE_LIKE_MAX(sizeof f->text)];
	PGresult *res;
	int n, k, first = 1;
	size_t i;
	enum ld_status st;

	memset(out, 0, sizeof *out);
	if (limit == 0 || limit > 5000)
		limit = 5000;
	if (core_like_text(f->text, like, sizeof like) == (size_t)-1)
		return ld_err_set(err, LD_EINVAL, "review queue: filter too "
		    "long");

	ld_sql_init(&q, "SELECT r.id, r.kind, r.application_id, "
	    "r.payout_id, coalesce(r.application_id, po.application_id), "
	    "q.part, r.reason, left(r.note, 250), r.state, r.assignee, "
	    "to_char(r.opened_at, 'YYYY-MM-DD HH24:MI'), "
	    "extract(epoch FROM now() - r.opened_at)::bigint, "
	    "coalesce(a.amount_fen, po.amount_fen), p.name_masked, a.status "
	    "FROM (SELECT * FROM (");
	for (i = 0; i < CORE_REVIEW_PARTS; i++) {
		if ((f->view == CORE_REVIEWS_MINE && i != CORE_REVIEW_MINE) ||
		    (f->view == CORE_REVIEWS_OPEN && i != CORE_REVIEW_OPEN))
			continue;
		ld_sql_add(&q, first ? "(SELECT r.id, " :
		    " UNION ALL (SELECT r.id, ");
		ld_sql_pick(&q, NAMES(part_number), i);
		ld_sql_add(&q, " AS part, r.opened_at FROM ");
		ld_sql_add(&q, filter_from(like[0] != '\0'));
		ld_sql_add(&q, " WHERE ");
		ld_sql_pick(&q, NAMES(part_where), i);
		add_filter(&q, f, like);
		ld_sql_add(&q, " ORDER BY r.opened_at, r.id");
		ld_sql_limit(&q, limit);
		ld_sql_add(&q, ")");
		first = 0;
	}
	ld_sql_add(&q, ") u ORDER BY part, opened_at, id");
	ld_sql_limit(&q, limit);
	ld_sql_add(&q, ") q JOIN reviews r ON r.id = q.id "
	    "LEFT JOIN payouts po ON po.id = r.payout_id "
	    "LEFT JOIN applications a ON a.id = coalesce(r.application_id, "
	    "po.application_id) "
	    "LEFT JOIN applicants p ON p.id = a.applicant_id "
	    "ORDER BY q.part, q.opened_at, q.id");
	st = core_session_read_sql(s, &q, &res, err);
	ld_sql_free(&q);
	if (st != LD_OK)
		return ld_err_prefix(err, "review queue: ");
	n = PQntuples(res);
	out->rows = ld_calloc(n > 0 ? (size_t)n : 1, sizeof *out->rows);
	for (k = 0; k < n; k++) {
		struct core_review_row *r = &out->rows[k];
		int64_t part = core_val_i64(res, k, 5);

		r->id = core_val_i64(res, k, 0);
		r->kind = core_review_kind_parse(core_val(res, k, 1));
		r->application_id = core_val_i64(res, k, 2);
		r->payout_id = core_val_i64(res, k, 3);
		r->case_id = core_val_i64(res, k, 4);
		r->part = part >= 0 && part < CORE_REVIEW_PARTS ?
		    (enum core_review_part)part : CORE_REVIEW_OTHERS;
		snprintf(r->reason, sizeof r->reason, "%s",
		    core_val(res, k, 6));
		snprintf(r->note, sizeof r->note, "%s", core_val(res, k, 7));
		r->state = core_review_state_parse(core_val(res, k, 8));
		snprintf(r->assignee, sizeof r->assignee, "%s",
		    core_val(res, k, 9));
		snprintf(r->opened, sizeof r->opened, "%s",
		    core_val(res, k, 10));
		r->waiting_s = core_val_i64(res, k, 11);
		r->amount_fen = core_val_i64(res, k, 12);
		snprintf(r->name, sizeof r->name, "%s", core_val(res, k, 13));
		r->app_status = core_app_status_parse(core_val(res, k, 14));
	}
	out->n = (size_t)n;
	PQclear(res);
	if ((st = load_counts(s, f, like, out, err)) != LD_OK) {
		core_reviews_free(out);
		return ld_err_prefix(err, "review queue size: ");
	}
	return LD_OK;
}

void
core_reviews_free(struct core_reviews *r)
{
	if (r == NULL)
		return;
	free(r->rows);
	r->rows = NULL;
	r->n = 0;
}

static enum ld_status
review_call(struct ld_db *db, const char *sql, int64_t id,
    const char *assignee, struct ld_err *err)
{
	char idtext[24], named[32];
	const char *params[2] = { idtext, assignee };
	PGresult *res;
	enum ld_status st;

	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	st = ld_db_exec(db, sql, assignee != NULL ? 2 : 1, params, &res, err);
	if (st == LD_ECONFLICT && strcmp(db->sqlstate, "55P03") == 0) {
		snprintf(named, sizeof named, "review %s", idtext);
		return core_lock_timeout_explain(db, named, err);
	}
	if (st != LD_OK) {
		/* "review 1: review 1 is already ..." says it twice. */
		snprintf(named, sizeof named, "review %s ", idtext);
		if (strncmp(err->msg, named, strlen(named)) == 0)
			return st;
		return ld_err_prefix(err, "review %s: ", idtext);
	}
	PQclear(res);
	return LD_OK;
}

enum ld_status
core_review_claim(struct ld_db *db, int64_t id, struct ld_err *err)
{
	return review_call(db, "SELECT api.review_claim($1::bigint)", id,
	    NULL, err);
}

enum ld_status
core_review_assign(struct ld_db *db, int64_t id, const char *assignee,
    struct ld_err *err)
{
	return review_call(db, "SELECT api.review_assign($1::bigint, $2)", id,
	    assignee, err);
}

enum ld_status
core_review_release(struct ld_db *db, int64_t id, struct ld_err *err)
{
	return review_call(db, "SELECT api.review_release($1::bigint)", id,
	    NULL, err);
}

void
core_format_duration(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, len, "%" PRId64 "d %" PRId64 "h", s / 86400,
		    s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%" PRId64 "h %" PRId64 "m", s / 3600,
		    s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRId64 "m", s / 60);
	else
		snprintf(buf, len, "%" PRId64 "s", s);
}
