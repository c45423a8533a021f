#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_query.h"
#include "core_reviews.h"
#include "ld_alloc.h"

enum ld_status
core_reviews_load(struct ld_db *db, size_t limit, struct core_reviews *out,
    struct ld_err *err)
{
	PGresult *res;
	char lim[24];
	const char *params[1] = { lim };
	int i, n;
	enum ld_status st;

	memset(out, 0, sizeof *out);
	if (limit == 0 || limit > 5000)
		limit = 5000;
	snprintf(lim, sizeof lim, "%zu", limit);
	st = core_query_exec(db, "SELECT r.id, r.kind, r.application_id, "
	    "r.payout_id, r.reason, r.state, r.assignee, "
	    "extract(epoch FROM now() - r.opened_at)::bigint, "
	    "coalesce(a.amount_fen, po.amount_fen), p.name_masked, a.status, "
	    "count(*) OVER () "
	    "FROM reviews r LEFT JOIN payouts po ON po.id = r.payout_id "
	    "LEFT JOIN applications a ON a.id = coalesce(r.application_id, "
	    "po.application_id) LEFT JOIN applicants p ON p.id = "
	    "a.applicant_id WHERE r.state <> 'closed' "
	    "ORDER BY r.opened_at, r.id LIMIT $1::int", 1, params, &res, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "review queue: ");
	n = PQntuples(res);
	out->rows = ld_calloc(n > 0 ? (size_t)n : 1, sizeof *out->rows);
	for (i = 0; i < n; i++) {
		struct core_review_row *r = &out->rows[i];

		r->id = core_val_i64(res, i, 0);
		snprintf(r->kind, sizeof r->kind, "%s", core_val(res, i, 1));
		r->application_id = core_val_i64(res, i, 2);
		r->payout_id = core_val_i64(res, i, 3);
		snprintf(r->reason, sizeof r->reason, "%s",
		    core_val(res, i, 4));
		snprintf(r->state, sizeof r->state, "%s", core_val(res, i, 5));
		snprintf(r->assignee, sizeof r->assignee, "%s",
		    core_val(res, i, 6));
		r->waiting_s = core_val_i64(res, i, 7);
		r->amount_fen = core_val_i64(res, i, 8);
		snprintf(r->name, sizeof r->name, "%s", core_val(res, i, 9));
		snprintf(r->app_status, sizeof r->app_status, "%s",
		    core_val(res, i, 10));
	}
	out->n = (size_t)n;
	out->open = n > 0 ? core_val_i64(res, 0, 11) : 0;
	PQclear(res);
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
	char idtext[24];
	const char *params[2] = { idtext, assignee };
	PGresult *res;
	enum ld_status st;

	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	st = core_query_exec(db, sql, assignee != NULL ? 2 : 1, params, &res,
	    err);
	if (st != LD_OK)
		return ld_err_prefix(err, "review %s: ", idtext);
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
