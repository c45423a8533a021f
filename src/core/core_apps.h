/*
 * The applications list as the console and `loandesk apps list` read it:
 * filters, orderings and keyset pages.  A page is fetched relative to the
 * key (sort value, id) of a row already shown, never by OFFSET, so the cost
 * of a page does not grow with the table.
 */
#ifndef LD_CORE_APPS_H
#define LD_CORE_APPS_H

#include <stddef.h>
#include <stdint.h>

#include "core_states.h"
#include "ld_err.h"

struct core_session;

/*
 * Orderings; each is (column, id), ascending or descending.  Each starts
 * in its useful direction (core_apps_sort_default_desc): newest, largest
 * and highest id first; lowest score (riskiest) first.
 */
enum core_apps_sort {
	CORE_SORT_SUBMITTED,
	CORE_SORT_AMOUNT,
	CORE_SORT_POINTS,    /* scored applications only */
	CORE_SORT_ID,
	CORE_SORT_COUNT
};

enum core_amount_op {
	CORE_AMOUNT_ANY,
	CORE_AMOUNT_GT,
	CORE_AMOUNT_GE,
	CORE_AMOUNT_LT,
	CORE_AMOUNT_LE,
	CORE_AMOUNT_EQ
};

struct core_apps_filter {
	enum core_app_status status; /* CORE_APP_NONE = any */
	enum core_amount_op amount_op;
	int64_t amount_fen;
	int64_t since_s;          /* submitted within; 0 = any time */
	int64_t id;               /* 0 = any */
	char text[128];           /* live filter; "" = none */
	char assignee[64];        /* "" = anyone */
};

struct core_app_row {
	int64_t id;
	char submitted[20];  /* "2026-11-25 11:22" in the session's TimeZone */
	char name[64];       /* masked */
	int64_t amount_fen;
	int term_months;
	int scored;          /* points/band/pd valid */
	int points;
	int pd_bps;
	char band[8];
	enum core_app_status recommendation; /* CORE_APP_NONE: none */
	enum core_app_status status;
	char assignee[64];
	char product[33];
	char key[40];        /* the sort column's value, for the next page */
};

struct core_apps_page {
	struct core_app_row *rows;
	size_t n;
	int more; /* the server had more rows in this direction */
};

/* "submitted", "amount", "score", "id". */
const char *core_apps_sort_name(enum core_apps_sort s);

/* Whether s starts descending: all but score. */
int core_apps_sort_default_desc(enum core_apps_sort s);

void core_apps_filter_clear(struct core_apps_filter *f);

/* True when any filter is set. */
int core_apps_filter_active(const struct core_apps_filter *f);

/* A short description: "status=manual_review amount>5,000.00". */
void core_apps_filter_describe(const struct core_apps_filter *f, char *buf,
    size_t len);

/*
 * Applies a typed list command to the filter or the ordering:
 *   status S | status (any)      amount >5000 | <=200.50 | =1000 | amount
 *   since 7d | 12h | 30m | 2w | since      id N | id
 *   assignee NAME | assignee     sort COLUMN [asc|desc]
 *   clear
 * Amounts are yuan.  sort takes submitted, amount, score or id and sets
 * *desc: as asked, else the column's default direction (whatever the
 * previous one was).  On LD_EINVAL err says what is wrong with which word
 * and nothing is changed.  sort and desc may be NULL when sorting is not
 * offered.
 */
enum ld_status core_apps_command(const char *cmd,
    struct core_apps_filter *f, enum core_apps_sort *sort, int *desc,
    struct ld_err *err);

/*
 * Fetches up to limit rows in display order (sort, desc) after the row
 * whose key is (after_key, after_id), or from the start when after_key is
 * NULL.  With backward set the rows are those just before the key, still
 * returned in display order (the caller prepends them); backward with a
 * NULL key fetches the last page.  The page's rows are the caller's to
 * free with core_apps_page_free().  A list: read through the session,
 * from the replica when it serves (core_session.h).
 */
enum ld_status core_apps_fetch(struct core_session *s,
    const struct core_apps_filter *f, enum core_apps_sort sort, int desc,
    const char *after_key, int64_t after_id, int backward, size_t limit,
    struct core_apps_page *page, struct ld_err *err);

void core_apps_page_free(struct core_apps_page *page);

/*
 * The planner's estimate of the number of applications, cheap at any
 * size: pg_class.reltuples as the last VACUUM or ANALYZE counted it, or,
 * before the first, what EXPLAIN expects a full scan to return (never
 * -1).  Read as the list is; errors as ld_db_exec.
 */
enum ld_status core_apps_estimate(struct core_session *s, int64_t *n,
    struct ld_err *err);

#endif
