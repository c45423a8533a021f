/*
 * Screen 3: the manual-review queue.  The operator's own claimed reviews
 * come first, then the open ones oldest first (the work to pick up next),
 * then those claimed by others; ':' narrows it (:mine, :open, :kind,
 * :id jumps to one review) and '/' filters by name, reason or assignee.
 * Claim, assign and release go through the api.review_* functions, which
 * decide who may.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "core_reviews.h"
#include "ld_alloc.h"
#include "ui_int.h"

#define REVIEW_KEYS(X)                                                      \
	X(REV_CLAIM, 'c', 0, 0, "c", "claim", REVIEW, MAIN)                  \
	X(REV_ASSIGN, 'A', 0, 0, "A", "assign to…", REVIEW, MAIN)            \
	X(REV_RELEASE, 'u', 0, 0, "u", "release", REVIEW, MAIN)

enum {
	REV_FIRST = UI_ACT_SCREEN,
#define REV_ENUM(id, k1, k2, k3, l, h, p, hint) id,
	REVIEW_KEYS(REV_ENUM)
#undef REV_ENUM
	REV_LAST
};

static const struct ui_key review_keys[] = {
	UI_MOVE_KEYS(UI_KEY_ROW)
	UI_OPEN_KEY(UI_KEY_ROW)
	UI_FILTER_KEY(UI_KEY_ROW)
	UI_COMMAND_KEY(UI_KEY_ROW)
	REVIEW_KEYS(UI_KEY_ROW)
	UI_KEY_END
};

/* The queue's columns, laid out by reviews_layout(). */
enum rev_col {
	RC_ID, RC_APP, RC_NAME, RC_AMOUNT, RC_STATE, RC_ASSIGNEE, RC_WAITING,
	RC_KIND, RC_REASON, RC_COUNT
};

/* Rows held at once; past that the position says how many there are. */
#define REVIEWS_LIMIT 2000

struct reviews {
	struct core_reviews_filter f;
	struct core_reviews q;
	int cur, top, page;
	/* The last load was cancelled by typing ahead: idle loads again. */
	int stale, stale_keep;
	int64_t stale_want;
	int widest[RC_COUNT]; /* its widest cell loaded, or its title */
};

static void measure(struct reviews *r);

static void *
reviews_create(struct ui *ui)
{
	(void)ui;
	return ld_calloc(1, sizeof(struct reviews));
}

static void
reviews_destroy(void *st)
{
	struct reviews *r = st;

	if (r == NULL)
		return;
	core_reviews_free(&r->q);
	free(r);
}

/*
 * Loads the queue with the cursor on review want when it is listed,
 * else, with keep, on the row it was on (by id) or as near its old place
 * as the list allows, else on the first row.  Returns -1 when the query
 * failed (the old rows stay).
 */
static int
reviews_load(struct ui *ui, struct reviews *r, int64_t want, int keep)
{
	struct core_reviews q;
	struct ld_err err;
	enum ld_status st;
	int64_t was = r->q.n > 0 && (size_t)r->cur < r->q.n ?
	    r->q.rows[r->cur].id : 0;
	size_t i;
	int at = -1;

	ld_err_clear(&err);
	st = core_reviews_load(ui->sess, &r->f, REVIEWS_LIMIT, &q, &err);
	/*
	 * Keys typed while the '/' filter's query ran cancel it; the last
	 * of them may be the Enter that ends the prompt, which asks for
	 * nothing more, so the filter shown would not be the rows shown.
	 */
	r->stale = st == LD_ETIMEOUT && ui->nkeyq > 0;
	r->stale_want = want;
	r->stale_keep = keep;
	if (r->stale)
		return -1;
	if (st != LD_OK) {
		ui_report(ui, "review queue", st, err.msg);
		return -1;
	}
	core_reviews_free(&r->q);
	r->q = q;
	measure(r);
	for (i = 0; i < q.n && at < 0 && want != 0; i++)
		if (q.rows[i].id == want)
			at = (int)i;
	for (i = 0; i < q.n && at < 0 && keep; i++)
		if (q.rows[i].id == was)
			at = (int)i;
	if (at >= 0)
		r->cur = at;
	else if (!keep)
		r->cur = 0;
	if ((size_t)r->cur >= q.n)
		r->cur = q.n > 0 ? (int)q.n - 1 : 0;
	return 0;
}

static void
reviews_enter(struct ui *ui, void *st, int64_t arg)
{
	(void)arg;
	reviews_load(ui, st, 0, 1);
}

static void
reviews_changed(struct ui *ui, void *st)
{
	reviews_load(ui, st, 0, 1);
}

static int
reviews_idle(struct ui *ui, void *st)
{
	struct reviews *r = st;

	if (!r->stale)
		return 0;
	reviews_load(ui, r, r->stale_want, r->stale_keep);
	/* Non-zero: the loop goes round at once and draws what came. */
	return 1;
}

static const char *
action_name(int action)
{
	return action == REV_CLAIM ? "claim" : action == REV_RELEASE ?
	    "release" : "assign";
}

static void
review_change(struct ui *ui, struct reviews *r, int action)
{
	const struct core_review_row *row = &r->q.rows[r->cur];
	struct ld_err err;
	enum ld_status s;
	int64_t id = row->id;
	char who[64] = "";

	ld_err_clear(&err);
	if (action == REV_CLAIM)
		s = core_review_claim(core_session_primary(ui->sess), id,
		    &err);
	else if (action == REV_RELEASE)
		s = core_review_release(core_session_primary(ui->sess), id,
		    &err);
	else {
		if (!ui_prompt(ui, "Assign to (login role): ", who, sizeof who,
		    NULL, NULL) || who[0] == '\0') {
			ui_status(ui, "assign: cancelled");
			return;
		}
		s = core_review_assign(core_session_primary(ui->sess), id,
		    who, &err);
	}
	if (s != LD_OK) {
		ui_report(ui, action_name(action), s, err.msg);
		return;
	}
	/* The review changes part (claimed ones are listed first): follow it. */
	reviews_load(ui, r, id, 1);
	if (action == REV_CLAIM)
		ui_status(ui, "review %" PRId64 " claimed: yours, listed first",
		    id);
	else if (action == REV_RELEASE)
		ui_status(ui, "review %" PRId64 " released: open again", id);
	else if (strcmp(who, ui->op.user) == 0)
		ui_status(ui, "review %" PRId64 " assigned to you", id);
	else
		ui_status(ui, "review %" PRId64 " assigned to %s", id, who);
}

static void
refilter(struct ui *ui, struct reviews *r)
{
	/* A jump lands on the review asked for, else its application's. */
	if (reviews_load(ui, r, r->f.id, 0) == 0 && r->q.n == 0)
		ui_status(ui, "no review matches");
}

static int
reviews_action(struct ui *ui, void *st, int action)
{
	struct reviews *r = st;
	const struct core_review_row *row;
	int n = (int)r->q.n;

	struct ui_move m = ui_move_of(action, r->page);

	if (m.to != UI_MOVE_NONE) {
		ui_cursor_move(&r->cur, n, m);
		return 1;
	}
	row = n > 0 ? &r->q.rows[r->cur] : NULL;
	switch (action) {
	case UI_ACT_OPEN:
		if (row == NULL || row->case_id == 0) {
			ui_status(ui, "no application to open here");
			return 1;
		}
		ui_timing_start(ui, "case_open");
		ui_open_screen(ui, UI_SCREEN_CASE, row->case_id);
		return 1;
	case REV_CLAIM:
	case REV_ASSIGN:
	case REV_RELEASE:
		if (row == NULL)
			ui_status(ui, "%s: no review here", action_name(action));
		else
			review_change(ui, r, action);
		return 1;
	case UI_ACT_BACK:
		/* Esc and q first clear a filter, then go back. */
		if (!core_reviews_filter_active(&r->f))
			return 0;
		core_reviews_filter_clear(&r->f);
		refilter(ui, r);
		ui_status_filters_cleared(ui);
		return 1;
	default:
		return 0;
	}
}

static int
reviews_command(struct ui *ui, void *st, const char *cmd)
{
	struct reviews *r = st;
	struct ld_err err;
	char desc[160];

	ld_err_clear(&err);
	if (core_reviews_command(cmd, &r->f, &err) != LD_OK) {
		ui_status_error(ui, "%s", err.msg);
		return 1;
	}
	if (reviews_load(ui, r, r->f.id, 0) != 0)
		return 1;
	core_reviews_filter_describe(&r->f, desc, sizeof desc);
	if (r->q.n == 0 && r->f.id != 0)
		ui_status(ui, "no open review %" PRId64 ", and application %"
		    PRId64 " is not in review", r->f.id, r->f.id);
	else if (r->q.n == 0)
		ui_status(ui, "no review matches %s", desc);
	else if (r->f.id != 0 && r->q.rows[r->cur].id != r->f.id)
		ui_status(ui, "review %" PRId64 " of application %" PRId64,
		    r->q.rows[r->cur].id, r->f.id);
	else
		ui_status(ui, "%s%s", desc[0] ? "filter: " : "whole queue",
		    desc);
	return 1;
}

static void
reviews_filter(struct ui *ui, void *st, const char *text)
{
	struct reviews *r = st;

	snprintf(r->f.text, sizeof r->f.text, "%s", text);
	refilter(ui, r);
}

/*
 * Columns.  Each is as wide as its widest cell loaded, up to its width
 * here; when the terminal is narrow they are dropped (the state is said
 * by the assignee too, the kind by the preview line) so that what stays
 * is not cut.  REASON takes what the others leave: at least as much as
 * REVIEW_REASON_MIN of its widest, and for the whole of the widest the
 * columns that say the least (STATE, KIND, APP) go too.
 */
static const struct ui_col rev_cols[RC_COUNT] = {
	[RC_ID] = { "REVIEW", 10, UI_RIGHT },
	[RC_APP] = { "APP", 10, UI_RIGHT },
	[RC_NAME] = { "NAME", 10, UI_LEFT },
	[RC_AMOUNT] = { "AMOUNT", 15, UI_RIGHT },
	[RC_STATE] = { "STATE", 7, UI_LEFT },
	[RC_ASSIGNEE] = { "ASSIGNEE", 16, UI_LEFT },
	[RC_WAITING] = { "WAITING", 7, UI_RIGHT },
	[RC_KIND] = { "KIND", 11, UI_LEFT },
	[RC_REASON] = { "REASON", 0, UI_LEFT },
};
#define REVIEW_REASON_MIN 14

static const struct ui_narrow rev_narrow[] = {
	{ RC_STATE, 0, 0, 1 },
	{ RC_KIND, 0, 0, 1 },
	{ RC_APP, 0, 0, 1 },
	{ RC_AMOUNT, 0, 0, 0 },
	{ RC_ASSIGNEE, 0, 0, 0 },
};

/* A last column ends one short of the edge. */
static const struct ui_table rev_table = {
	rev_cols, RC_COUNT, rev_narrow,
	(int)(sizeof rev_narrow / sizeof rev_narrow[0]), 0, 1
};

static void
cell(const struct core_review_row *row, enum rev_col col, char *buf,
    size_t len)
{
	switch (col) {
	case RC_ID:
		snprintf(buf, len, "%" PRId64, row->id);
		break;
	case RC_APP:
		/* A payout review's too: Enter opens that application. */
		if (row->case_id != 0)
			snprintf(buf, len, "%" PRId64, row->case_id);
		else
			snprintf(buf, len, "-");
		break;
	case RC_NAME:
		snprintf(buf, len, "%s", row->name);
		break;
	case RC_AMOUNT:
		ui_money(row->amount_fen, buf, len);
		break;
	case RC_STATE:
		snprintf(buf, len, "%s", core_review_state_sql(row->state));
		break;
	case RC_ASSIGNEE:
		snprintf(buf, len, "%s", row->assignee[0] ? row->assignee :
		    "-");
		break;
	case RC_WAITING:
		core_format_duration(row->waiting_s, buf, len);
		break;
	case RC_KIND:
		snprintf(buf, len, "%s", core_review_kind_sql(row->kind));
		break;
	case RC_REASON:
		snprintf(buf, len, "%s", row->reason);
		break;
	default:
		buf[0] = '\0';
	}
}

/* Once per load, not per frame: up to REVIEWS_LIMIT rows. */
static void
measure(struct reviews *r)
{
	char buf[320];
	size_t i;
	int c, w;

	for (c = 0; c < RC_COUNT; c++)
		r->widest[c] = ui_text_width(rev_cols[c].title);
	for (i = 0; i < r->q.n; i++)
		for (c = 0; c < RC_COUNT; c++) {
			cell(&r->q.rows[i], (enum rev_col)c, buf, sizeof buf);
			if ((w = ui_text_width(buf)) > r->widest[c])
				r->widest[c] = w;
		}
}

/* The queue's columns for cols, sized to what is loaded. */
static void
reviews_layout(const struct reviews *r, int cols, struct ui_layout *l)
{
	int w[RC_COUNT], i, want = r->widest[RC_REASON];

	for (i = 0; i < RC_COUNT; i++)
		w[i] = r->widest[i] < rev_cols[i].width ? r->widest[i] :
		    rev_cols[i].width;
	ui_table_layout(&rev_table, w, want < REVIEW_REASON_MIN ? want :
	    REVIEW_REASON_MIN, want, cols, l);
}

/* What the list holds, in the order it is listed. */
static void
summary(const struct reviews *r, char *buf, size_t len)
{
	char mine[32], open[32], others[32];

	ui_count(r->q.count[CORE_REVIEW_MINE], mine, sizeof mine);
	ui_count(r->q.count[CORE_REVIEW_OPEN], open, sizeof open);
	ui_count(r->q.count[CORE_REVIEW_OTHERS], others, sizeof others);
	switch (r->f.view) {
	case CORE_REVIEWS_MINE:
		snprintf(buf, len, "Yours only (%s), oldest first; :all lists "
		    "the whole queue", mine);
		break;
	case CORE_REVIEWS_OPEN:
		snprintf(buf, len, "Open only (%s), oldest first; :all lists "
		    "the whole queue", open);
		break;
	default:
		snprintf(buf, len, "Yours first (%s), then open oldest first "
		    "(%s), then held by others (%s)", mine, open, others);
	}
}

static void
reviews_draw(struct ui *ui, void *st, int top, int rows)
{
	struct reviews *r = st;
	struct ui_layout l;
	int cols = ui_cols(), body, y, i, j, preview = rows >= 7;
	char buf[320], desc[160], words[320];

	summary(r, buf, sizeof buf);
	ui_put(ui, top, 0, cols, UI_LEFT, UI_S_NORMAL, buf);
	core_reviews_filter_describe(&r->f, desc, sizeof desc);
	if (desc[0] != '\0')
		snprintf(buf, sizeof buf, "filter: %s (Esc clears)", desc);
	else
		snprintf(buf, sizeof buf, "filter: none (:mine, :open, :kind "
		    "payout, :id N; / name or reason)");
	ui_put(ui, top + 1, 0, cols, UI_LEFT, UI_S_DIM, buf);
	reviews_layout(r, cols, &l);
	ui_put_headings(ui, top + 2, &l);
	body = rows - 3 - (preview ? 1 : 0);
	if (body < 1)
		body = 1;
	r->page = body;
	if (r->q.n == 0) {
		ui_put(ui, top + 4, 2, cols - 4, UI_LEFT, UI_S_DIM,
		    core_reviews_filter_active(&r->f) ?
		    "No review matches the filter (Esc clears it)." :
		    "No open reviews.");
		ui->cursor_y = top + 2;
		return;
	}
	ui_cursor_show(&r->top, r->cur, (int)r->q.n, body);
	for (y = 0, i = r->top; y < body && i < (int)r->q.n; y++, i++) {
		const struct core_review_row *row = &r->q.rows[i];
		int sel = i == r->cur, yy = top + 3 + y;
		enum ui_style s = sel ? UI_S_SELECTED : UI_S_NORMAL;

		if (sel) {
			ui_fill(ui, yy, 0, cols, UI_S_SELECTED);
			ui->cursor_y = yy;
		}
		for (j = 0; j < l.n; j++) {
			cell(row, (enum rev_col)l.col[j], buf, sizeof buf);
			ui_put_cell(ui, yy, &l.c[j], s, l.col[j] != RC_REASON ?
			    buf : ui_text_fit_words(buf, l.c[j].width, words,
			    sizeof words));
		}
	}
	if (preview) {
		/* The selected review whole: what narrow columns leave out. */
		const struct core_review_row *row = &r->q.rows[r->cur];
		char what[64];

		if (row->payout_id != 0)
			snprintf(what, sizeof what, "payout %" PRId64
			    " (application %" PRId64 ")", row->payout_id,
			    row->case_id);
		else if (row->application_id != 0)
			snprintf(what, sizeof what, "application %" PRId64,
			    row->application_id);
		else
			/* A bill line that is not ours names no loan. */
			snprintf(what, sizeof what, "%s",
			    core_review_kind_sql(row->kind));
		snprintf(buf, sizeof buf, "#%" PRId64 " %s %s: %s, opened %s%s%s",
		    row->id, what, row->name, row->reason, row->opened,
		    row->note[0] ? ", note: " : "", row->note);
		ui_put(ui, top + rows - 1, 0, cols, UI_LEFT, UI_S_DIM, buf);
	}
}

static void
reviews_position(struct ui *ui, void *st, char *buf, size_t len)
{
	struct reviews *r = st;
	char n[32], all[32], at[32];
	int64_t total = 0;
	int i;

	(void)ui;
	if (r->q.n == 0) {
		snprintf(buf, len, "empty");
		return;
	}
	for (i = 0; i < CORE_REVIEW_PARTS; i++)
		if (r->f.view == CORE_REVIEWS_ALL ||
		    (r->f.view == CORE_REVIEWS_MINE && i == CORE_REVIEW_MINE) ||
		    (r->f.view == CORE_REVIEWS_OPEN && i == CORE_REVIEW_OPEN))
			total += r->q.count[i];
	ui_count(r->cur + 1, at, sizeof at);
	ui_count((int64_t)r->q.n, n, sizeof n);
	ui_count(total, all, sizeof all);
	if (total > (int64_t)r->q.n)
		snprintf(buf, len, "row %s of %s (of %s)", at, n, all);
	else
		snprintf(buf, len, "row %s of %s", at, n);
}

const struct ui_screen ui_screen_reviews = {
	.name = "Review queue",
	.keys = review_keys,
	.create = reviews_create,
	.destroy = reviews_destroy,
	.enter = reviews_enter,
	.draw = reviews_draw,
	.action = reviews_action,
	.command = reviews_command,
	.filter = reviews_filter,
	.changed = reviews_changed,
	.position = reviews_position,
	.idle = reviews_idle,
};
