/*
 * Screen 1: the applications list.  A virtual list: the screen holds a
 * window of rows around the cursor and fetches keyset pages as the cursor
 * nears either end, so a million rows cost what a screenful costs.
 *
 * Keyset pages do not say where they are in the list, so the window keeps
 * count of what it can know: how many rows lie before its first row, when
 * it was loaded from the top, and after its last row, when loaded from
 * the bottom (G).  Counts that a reload may have made stale are marked
 * approximate.  The title shows "row N" only from an exact count.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "core_apps.h"
#include "ld_alloc.h"
#include "ld_money.h"
#include "ui_int.h"

#define APPS_KEYS(X)                                                        \
	X(APPS_SORT, 's', 0, 0, "s", "sort by the next column", NONE, MORE)  \
	X(APPS_REVERSE, 'S', 0, 0, "S", "reverse the order", NONE, NO)       \
	X(APPS_CLEAR, 'c', 0, 0, "c", "clear filters", NONE, NO)

enum {
	APPS_FIRST = UI_ACT_SCREEN,
#define APPS_ENUM(id, k1, k2, k3, l, h, p, hint) id,
	APPS_KEYS(APPS_ENUM)
#undef APPS_ENUM
	APPS_LAST
};

static const struct ui_key apps_keys[] = {
	UI_MOVE_KEYS(UI_KEY_ROW)
	UI_OPEN_KEY(UI_KEY_ROW)
	UI_FILTER_KEY(UI_KEY_ROW)
	UI_COMMAND_KEY(UI_KEY_ROW)
	APPS_KEYS(UI_KEY_ROW)
	UI_KEY_END
};

/* The window never holds more than this many rows. */
#define APPS_WINDOW_MAX 600

struct apps {
	struct core_apps_filter filter;
	enum core_apps_sort sort;
	int desc;
	struct core_app_row *rows;
	size_t n;
	size_t cur, top;
	int more_before, more_after;
	int64_t estimate; /* the planner's; -1 unknown */
	int64_t before;   /* rows before rows[0]; -1 unknown */
	int64_t after;    /* rows after rows[n - 1]; -1 unknown */
	int before_exact, after_exact;
	int page; /* rows on screen at the last draw */
	int loaded;
};

static void *
apps_create(struct ui *ui)
{
	struct apps *a = ld_calloc(1, sizeof *a);

	(void)ui;
	a->sort = CORE_SORT_SUBMITTED;
	a->desc = core_apps_sort_default_desc(a->sort);
	a->page = 30;
	a->estimate = a->before = a->after = -1;
	return a;
}

static void
apps_destroy(void *st)
{
	struct apps *a = st;

	if (a == NULL)
		return;
	free(a->rows);
	free(a);
}

static size_t
fetch_size(struct apps *a)
{
	return (size_t)(a->page > 10 ? a->page * 2 : 40);
}

/* Replaces the window with page (taking its rows). */
static void
window_set(struct apps *a, struct core_apps_page *p)
{
	free(a->rows);
	a->rows = p->rows;
	a->n = p->n;
	p->rows = NULL;
	p->n = 0;
}

/* Loads the first page of the current order and filter. */
static int
load_first(struct ui *ui, struct apps *a, int backward)
{
	struct core_apps_page p;
	struct ld_err err;
	enum ld_status st;

	ld_err_clear(&err);
	st = core_apps_fetch(ui->sess, &a->filter, a->sort, a->desc, NULL, 0,
	    backward, fetch_size(a), &p, &err);
	if (st != LD_OK) {
		ui_report(ui, "applications", st, err.msg);
		return -1;
	}
	window_set(a, &p);
	a->more_before = backward ? p.more : 0;
	a->more_after = backward ? 0 : p.more;
	a->before = a->more_before ? -1 : 0;
	a->after = a->more_after ? -1 : 0;
	a->before_exact = a->after_exact = 1;
	a->cur = backward && a->n > 0 ? a->n - 1 : 0;
	a->top = 0;
	if (backward && a->n > (size_t)a->page)
		a->top = a->n - (size_t)a->page;
	a->loaded = 1;
	return 0;
}

/*
 * Moves n rows from an unseen side of the window into it: the count of
 * that side shrinks, and is exactly zero when the server had no more.
 */
static void
count_taken(int64_t *side, int *exact, size_t n, int more)
{
	if (!more) {
		*side = 0;
		*exact = 1;
	} else if (*side >= 0) {
		*side -= (int64_t)n;
		/* More rows than counted: the count was stale. */
		if (*side <= 0) {
			*side = 1;
			*exact = 0;
		}
	}
}

/* Appends (or prepends) the next page; trims the far end of the window. */
static int
load_more(struct ui *ui, struct apps *a, int backward)
{
	struct core_apps_page p;
	struct ld_err err;
	struct core_app_row *edge;
	enum ld_status st;
	size_t keep;

	if (a->n == 0)
		return load_first(ui, a, backward);
	edge = backward ? &a->rows[0] : &a->rows[a->n - 1];
	ld_err_clear(&err);
	st = core_apps_fetch(ui->sess, &a->filter, a->sort, a->desc, edge->key,
	    edge->id, backward, fetch_size(a), &p, &err);
	if (st != LD_OK) {
		ui_report(ui, "applications", st, err.msg);
		return -1;
	}
	if (backward)
		a->more_before = p.more;
	else
		a->more_after = p.more;
	/* The rows come out of the unseen part on their side. */
	if (backward)
		count_taken(&a->before, &a->before_exact, p.n, p.more);
	else
		count_taken(&a->after, &a->after_exact, p.n, p.more);
	if (p.n == 0) {
		core_apps_page_free(&p);
		return 0;
	}
	a->rows = ld_reallocarray(a->rows, a->n + p.n, sizeof *a->rows);
	if (backward) {
		memmove(a->rows + p.n, a->rows, a->n * sizeof *a->rows);
		memcpy(a->rows, p.rows, p.n * sizeof *a->rows);
		a->cur += p.n;
		a->top += p.n;
	} else
		memcpy(a->rows + a->n, p.rows, p.n * sizeof *a->rows);
	a->n += p.n;
	core_apps_page_free(&p);
	/* Keep memory flat: drop rows far from the cursor. */
	if (a->n > APPS_WINDOW_MAX) {
		keep = APPS_WINDOW_MAX;
		if (backward) {
			if (a->after >= 0)
				a->after += (int64_t)(a->n - keep);
			a->n = keep;
			a->more_after = 1;
		} else {
			size_t drop = a->n - keep;

			if (drop > a->top)
				drop = a->top;
			memmove(a->rows, a->rows + drop,
			    (a->n - drop) * sizeof *a->rows);
			a->n -= drop;
			a->cur -= drop;
			a->top -= drop;
			if (drop > 0)
				a->more_before = 1;
			if (a->before >= 0)
				a->before += (int64_t)drop;
		}
	}
	return 0;
}

/*
 * Reloads around the row under the cursor, keeping the cursor on it (by
 * id) and on the same screen line: what NOTIFY and reload do.
 */
static int
reload_keep(struct ui *ui, struct apps *a)
{
	struct core_apps_page before, after;
	struct ld_err err;
	struct core_app_row anchor;
	size_t i, line, want;
	int64_t above, below;
	enum ld_status st;

	if (a->n == 0 || a->cur >= a->n)
		return load_first(ui, a, 0);
	anchor = a->rows[a->cur];
	line = a->cur - a->top;
	/* Rows before and after the anchor, as far as they were known. */
	above = a->before >= 0 ? a->before + (int64_t)a->cur : -1;
	below = a->after >= 0 ? a->after + (int64_t)(a->n - 1 - a->cur) : -1;
	want = (size_t)a->page;
	ld_err_clear(&err);
	st = core_apps_fetch(ui->sess, &a->filter, a->sort, a->desc,
	    anchor.key, anchor.id, 1, want, &before, &err);
	if (st != LD_OK) {
		ui_report(ui, "applications", st, err.msg);
		return -1;
	}
	if (before.n > 0)
		st = core_apps_fetch(ui->sess, &a->filter, a->sort, a->desc,
		    before.rows[before.n - 1].key,
		    before.rows[before.n - 1].id, 0, want + fetch_size(a),
		    &after, &err);
	else
		st = core_apps_fetch(ui->sess, &a->filter, a->sort, a->desc,
		    NULL, 0, 0, want + fetch_size(a), &after, &err);
	if (st != LD_OK) {
		core_apps_page_free(&before);
		ui_report(ui, "applications", st, err.msg);
		return -1;
	}
	free(a->rows);
	a->n = before.n + after.n;
	a->rows = ld_calloc(a->n > 0 ? a->n : 1, sizeof *a->rows);
	if (before.n > 0)
		memcpy(a->rows, before.rows, before.n * sizeof *a->rows);
	if (after.n > 0)
		memcpy(a->rows + before.n, after.rows,
		    after.n * sizeof *a->rows);
	a->more_before = before.more;
	a->more_after = after.more;
	/* Same row if it is still listed, else the row now in its place. */
	a->cur = before.n;
	for (i = 0; i < a->n; i++)
		if (a->rows[i].id == anchor.id) {
			a->cur = i;
			break;
		}
	if (a->cur >= a->n)
		a->cur = a->n > 0 ? a->n - 1 : 0;
	a->top = a->cur >= line ? a->cur - line : 0;
	/*
	 * The top and the bottom are known when reached; otherwise the old
	 * counts around the anchor are kept, approximate: rows may have come
	 * or gone out of sight.
	 */
	a->before_exact = a->after_exact = 1;
	if (!a->more_before)
		a->before = 0;
	else if (above >= 0) {
		a->before = above > (int64_t)a->cur ?
		    above - (int64_t)a->cur : 1;
		a->before_exact = 0;
	} else
		a->before = -1;
	if (!a->more_after)
		a->after = 0;
	else if (below >= 0 && a->n > 0) {
		int64_t shown = (int64_t)(a->n - 1 - a->cur);

		a->after = below > shown ? below - shown : 1;
		a->after_exact = 0;
	} else
		a->after = -1;
	core_apps_page_free(&before);
	core_apps_page_free(&after);
	return 0;
}

/* The planner's count, for "of ~N"; its failure is shown, not hidden. */
static void
estimate(struct ui *ui, struct apps *a)
{
	struct ld_err err;
	enum ld_status st;

	ld_err_clear(&err);
	st = core_apps_estimate(ui->sess, &a->estimate, &err);
	if (st != LD_OK)
		ui_report(ui, "list size", st, err.msg);
}

static void
apps_enter(struct ui *ui, void *st, int64_t arg)
{
	struct apps *a = st;

	(void)arg;
	if (!a->loaded) {
		if (load_first(ui, a, 0) == 0)
			estimate(ui, a);
	} else
		/* Decisions taken elsewhere show when the list comes back. */
		reload_keep(ui, a);
}

static void
apps_changed(struct ui *ui, void *st)
{
	struct apps *a = st;

	/* New applications change the size too. */
	if (reload_keep(ui, a) == 0)
		estimate(ui, a);
}

static void
move_to(struct ui *ui, struct apps *a, long target)
{
	/* Fetch until the target row is in the window or the list ends. */
	while (target >= (long)a->n && a->more_after) {
		size_t before = a->n, cur = a->cur;

		if (load_more(ui, a, 0) != 0)
			return;
		target -= (long)(cur - a->cur);
		if (a->n == before)
			break;
	}
	while (target < 0 && a->more_before) {
		size_t cur = a->cur;

		if (load_more(ui, a, 1) != 0)
			return;
		target += (long)(a->cur - cur);
		if (a->cur == cur)
			break;
	}
	if (target >= (long)a->n)
		target = (long)a->n - 1;
	if (target < 0)
		target = 0;
	a->cur = (size_t)target;
}

static void
refilter(struct ui *ui, struct apps *a)
{
	load_first(ui, a, 0);
	if (a->n == 0)
		ui_status(ui, "no application matches");
}

/*
 * The list's cursor: rows come from the database as it moves, the ends
 * are loaded afresh, and a page moves the view with it.
 */
static void
apps_move(struct ui *ui, struct apps *a, struct ui_move m)
{
	switch (m.to) {
	case UI_MOVE_BY:
		ui_timing_start(ui, !m.paged ? "apps_move" : m.by > 0 ?
		    "apps_pgdn" : "apps_pgup");
		move_to(ui, a, (long)a->cur + m.by);
		if (m.paged && m.by > 0)
			a->top += (size_t)m.by;
		else if (m.paged)
			a->top = a->top > (size_t)-m.by ? a->top -
			    (size_t)-m.by : 0;
		break;
	case UI_MOVE_FIRST:
		ui_timing_start(ui, "apps_first");
		load_first(ui, a, 0);
		break;
	case UI_MOVE_LAST:
		ui_timing_start(ui, "apps_last");
		load_first(ui, a, 1);
		break;
	default:
		break;
	}
}

static int
apps_action(struct ui *ui, void *st, int action)
{
	struct apps *a = st;
	struct ui_move m = ui_move_of(action, a->page);

	if (m.to != UI_MOVE_NONE) {
		apps_move(ui, a, m);
		return 1;
	}
	switch (action) {
	case UI_ACT_OPEN:
		if (a->n == 0) {
			ui_status(ui, "no application here");
			return 1;
		}
		ui_timing_start(ui, "case_open");
		ui_open_screen(ui, UI_SCREEN_CASE, a->rows[a->cur].id);
		return 1;
	case APPS_SORT:
		a->sort = (enum core_apps_sort)((a->sort + 1) %
		    CORE_SORT_COUNT);
		a->desc = core_apps_sort_default_desc(a->sort);
		refilter(ui, a);
		ui_status(ui, "sorted by %s%s", core_apps_sort_name(a->sort),
		    a->sort == CORE_SORT_POINTS ?
		    " (scored applications only)" : "");
		return 1;
	case APPS_REVERSE:
		a->desc = !a->desc;
		refilter(ui, a);
		ui_status(ui, "sorted by %s, %s", core_apps_sort_name(a->sort),
		    a->desc ? "descending" : "ascending");
		return 1;
	case UI_ACT_BACK:
		/* Esc and q first clear a filter, then go back. */
		if (!core_apps_filter_active(&a->filter))
			return 0;
		core_apps_filter_clear(&a->filter);
		refilter(ui, a);
		ui_status_filters_cleared(ui);
		return 1;
	case APPS_CLEAR:
		core_apps_filter_clear(&a->filter);
		refilter(ui, a);
		ui_status(ui, "filters cleared");
		return 1;
	default:
		return 0;
	}
}

static int
apps_command(struct ui *ui, void *st, const char *cmd)
{
	struct apps *a = st;
	struct ld_err err;
	char desc[256];

	ld_err_clear(&err);
	if (core_apps_command(cmd, &a->filter, &a->sort, &a->desc, &err) !=
	    LD_OK) {
		ui_status_error(ui, "%s", err.msg);
		return 1;
	}
	refilter(ui, a);
	core_apps_filter_describe(&a->filter, desc, sizeof desc);
	if (a->n > 0)
		ui_status(ui, "%s%s; sorted by %s, %s", desc[0] ? "filter: " :
		    "no filter", desc, core_apps_sort_name(a->sort),
		    a->desc ? "descending" : "ascending");
	return 1;
}

static void
apps_filter(struct ui *ui, void *st, const char *text)
{
	struct apps *a = st;

	snprintf(a->filter.text, sizeof a->filter.text, "%s", text);
	refilter(ui, a);
}

/* Columns, dropped from the right by priority when the terminal is narrow. */
enum apps_col {
	COL_ID, COL_SUBMITTED, COL_NAME, COL_AMOUNT, COL_TERM, COL_SCORE,
	COL_RECOMMEND, COL_STATUS, COL_ASSIGNEE, COL_COUNT
};

static const struct ui_col apps_cols[COL_COUNT] = {
	[COL_ID] = { "ID", 8, UI_RIGHT },
	[COL_SUBMITTED] = { "SUBMITTED", 16, UI_LEFT },
	[COL_NAME] = { "NAME", 10, UI_LEFT },
	[COL_AMOUNT] = { "AMOUNT", 15, UI_RIGHT },
	[COL_TERM] = { "TERM", 4, UI_RIGHT },
	[COL_SCORE] = { "SCORE", 8, UI_LEFT },
	[COL_RECOMMEND] = { "MODEL SAYS", 13, UI_LEFT },
	[COL_STATUS] = { "STATUS", 13, UI_LEFT },
	[COL_ASSIGNEE] = { "ASSIGNEE", 12, UI_LEFT },
};

/* What says least goes first; term and score together. */
static const struct ui_narrow apps_narrow[] = {
	{ COL_ASSIGNEE, 0, 0, 0 },
	{ COL_RECOMMEND, 0, 0, 0 },
	{ COL_SUBMITTED, 0, 0, 0 },
	{ COL_TERM, 0, 0, 0 },
	{ COL_SCORE, 0, 1, 0 },
};

static const struct ui_table apps_table = {
	apps_cols, COL_COUNT, apps_narrow,
	(int)(sizeof apps_narrow / sizeof apps_narrow[0]), 0, 0
};

/* The sort each column shows, or -1. */
static int
column_sort(int col)
{
	switch (col) {
	case COL_ID:
		return CORE_SORT_ID;
	case COL_SUBMITTED:
		return CORE_SORT_SUBMITTED;
	case COL_AMOUNT:
		return CORE_SORT_AMOUNT;
	case COL_SCORE:
		return CORE_SORT_POINTS;
	default:
		return -1;
	}
}

static void
cell(const struct core_app_row *r, int col, char *buf, size_t len)
{
	switch (col) {
	case COL_ID:
		snprintf(buf, len, "%" PRId64, r->id);
		break;
	case COL_SUBMITTED:
		snprintf(buf, len, "%s", r->submitted);
		break;
	case COL_NAME:
		snprintf(buf, len, "%s", r->name);
		break;
	case COL_AMOUNT:
		ui_money(r->amount_fen, buf, len);
		break;
	case COL_TERM:
		snprintf(buf, len, "%dm", r->term_months);
		break;
	case COL_SCORE:
		if (r->scored)
			snprintf(buf, len, "%d %s", r->points, r->band);
		else
			snprintf(buf, len, "-");
		break;
	case COL_RECOMMEND:
		snprintf(buf, len, "%s", r->recommendation != CORE_APP_NONE ?
		    core_app_status_sql(r->recommendation) : "-");
		break;
	case COL_STATUS:
		snprintf(buf, len, "%s", core_app_status_sql(r->status));
		break;
	case COL_ASSIGNEE:
		snprintf(buf, len, "%s", r->assignee[0] ? r->assignee : "-");
		break;
	default:
		buf[0] = '\0';
	}
}


static void
apps_draw(struct ui *ui, void *st, int top, int rows)
{
	struct apps *a = st;
	struct ui_layout l;
	int i, y, body = rows - 1, first;
	size_t r;
	char buf[128], titles[UI_TABLE_MAX][64];

	a->page = body > 1 ? body : 1;
	ui_table_layout(&apps_table, NULL, 0, 0, ui_cols(), &l);
	for (i = 0; i < l.n; i++) {
		int c = l.col[i];

		/* Times carry their zone; the sorted column its direction. */
		snprintf(titles[i], sizeof titles[i], "%s%s%s%s",
		    l.c[i].title, c == COL_SUBMITTED ? " " : "",
		    c == COL_SUBMITTED ? ui->op.tz_label : "",
		    column_sort(c) != (int)a->sort ? "" : !ui->utf8 ?
		    (a->desc ? " v" : " ^") :
		    (a->desc ? " \xe2\x96\xbc" : " \xe2\x96\xb2"));
		l.c[i].title = titles[i];
	}
	ui_put_headings(ui, top, &l);
	if (a->n == 0) {
		ui_put(ui, top + 2, 2, ui_cols() - 4, UI_LEFT, UI_S_DIM,
		    core_apps_filter_active(&a->filter) ?
		    "No application matches the filter (c clears it)." :
		    "No applications yet.");
		ui->cursor_y = top;
		return;
	}
	/* Keep the cursor on screen (the window is at most a few hundred). */
	first = (int)a->top;
	ui_cursor_show(&first, (int)a->cur, (int)a->n, body);
	a->top = (size_t)first;
	for (y = 0, r = a->top; y < body && r < a->n; y++, r++) {
		const struct core_app_row *row = &a->rows[r];
		int sel = r == a->cur;

		if (sel) {
			ui_fill(ui, top + 1 + y, 0, ui_cols(), UI_S_SELECTED);
			ui->cursor_y = top + 1 + y;
		}
		for (i = 0; i < l.n; i++) {
			enum ui_style style = UI_S_NORMAL;

			cell(row, l.col[i], buf, sizeof buf);
			if (l.col[i] == COL_STATUS)
				style = ui_tone_style(
				    core_app_status_tone(row->status));
			ui_put_cell(ui, top + 1 + y, &l.c[i],
			    sel ? UI_S_SELECTED : style, buf);
		}
	}
}

static void
apps_position(struct ui *ui, void *st, char *buf, size_t len)
{
	struct apps *a = st;
	char desc[200], where[64] = "", of[48] = "", n[32];
	int64_t known;

	(void)ui;
	core_apps_filter_describe(&a->filter, desc, sizeof desc);
	if (a->n == 0)
		snprintf(where, sizeof where, "empty");
	else if (a->before >= 0) {
		ui_count(a->before + (int64_t)a->cur + 1, n, sizeof n);
		snprintf(where, sizeof where, "row %s%s",
		    a->before_exact ? "" : "~", n);
	} else if (a->after >= 0) {
		int64_t k = a->after + (int64_t)(a->n - 1 - a->cur);

		if (k == 0 && a->after_exact)
			snprintf(where, sizeof where, "last row");
		else {
			ui_count(k + 1, n, sizeof n);
			snprintf(where, sizeof where, "row %s%s from the end",
			    a->after_exact ? "" : "~", n);
		}
	}
	/* Exact when both ends were reached, else the planner's figure. */
	known = (int64_t)a->n + (a->before > 0 ? a->before : 0) +
	    (a->after > 0 ? a->after : 0);
	if (a->n > 0 && a->before >= 0 && a->after >= 0 && a->before_exact &&
	    a->after_exact) {
		ui_count(known, n, sizeof n);
		snprintf(of, sizeof of, " of %s", n);
	} else if (a->n > 0 && !core_apps_filter_active(&a->filter) &&
	    a->sort != CORE_SORT_POINTS && a->estimate >= 0) {
		/* (By score the list holds the scored applications only.) */
		ui_count(a->estimate > known ? a->estimate : known, n,
		    sizeof n);
		snprintf(of, sizeof of, " of ~%s", n);
	}
	snprintf(buf, len, "%s%s%s %s  %s%s", desc, desc[0] ? "  " : "",
	    core_apps_sort_name(a->sort), a->desc ? "desc" : "asc", where,
	    of);
}

const struct ui_screen ui_screen_apps = {
	.name = "Applications",
	.keys = apps_keys,
	.create = apps_create,
	.destroy = apps_destroy,
	.enter = apps_enter,
	.draw = apps_draw,
	.action = apps_action,
	.command = apps_command,
	.filter = apps_filter,
	.changed = apps_changed,
	.position = apps_position,
};
