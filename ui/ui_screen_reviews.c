/*
 * Screen 3: the manual-review queue, oldest first, with how long each has
 * waited; claim, assign and release through the api.review_* functions.
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
	REVIEW_KEYS(UI_KEY_ROW)
	UI_KEY_END
};

struct reviews {
	struct core_reviews q;
	int cur, top, page;
};

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

static void
reviews_load(struct ui *ui, struct reviews *r)
{
	struct core_reviews q;
	struct ld_err err;
	enum ld_status st;
	int64_t keep = r->q.n > 0 && (size_t)r->cur < r->q.n ?
	    r->q.rows[r->cur].id : 0;
	size_t i;

	ld_err_clear(&err);
	st = core_reviews_load(&ui->db, 2000, &q, &err);
	if (st != LD_OK) {
		ui_report(ui, "review queue", st, err.msg);
		return;
	}
	core_reviews_free(&r->q);
	r->q = q;
	for (i = 0; i < q.n; i++)
		if (q.rows[i].id == keep)
			r->cur = (int)i;
	if ((size_t)r->cur >= q.n)
		r->cur = q.n > 0 ? (int)q.n - 1 : 0;
}

static void
reviews_enter(struct ui *ui, void *st, int64_t arg)
{
	(void)arg;
	reviews_load(ui, st);
}

static void
reviews_changed(struct ui *ui, void *st)
{
	reviews_load(ui, st);
}

static int
reviews_action(struct ui *ui, void *st, int action)
{
	struct reviews *r = st;
	const struct core_review_row *row;
	struct ld_err err;
	enum ld_status s;
	int n = (int)r->q.n, page = r->page > 1 ? r->page - 1 : 1;
	char who[64] = "";

	row = n > 0 ? &r->q.rows[r->cur] : NULL;
	ld_err_clear(&err);
	switch (action) {
	case UI_ACT_DOWN:
		if (r->cur + 1 < n)
			r->cur++;
		return 1;
	case UI_ACT_UP:
		if (r->cur > 0)
			r->cur--;
		return 1;
	case UI_ACT_PGDN:
		r->cur = r->cur + page < n ? r->cur + page : (n ? n - 1 : 0);
		return 1;
	case UI_ACT_PGUP:
		r->cur = r->cur > page ? r->cur - page : 0;
		return 1;
	case UI_ACT_HOME:
		r->cur = 0;
		return 1;
	case UI_ACT_END:
		r->cur = n > 0 ? n - 1 : 0;
		return 1;
	case UI_ACT_OPEN:
		if (row == NULL || row->application_id == 0) {
			ui_status(ui, "no application to open here");
			return 1;
		}
		ui_timing_start(ui, "case_open");
		ui_open_screen(ui, UI_SCREEN_CASE, row->application_id);
		return 1;
	case REV_CLAIM:
	case REV_ASSIGN:
	case REV_RELEASE:
		if (row == NULL) {
			ui_status(ui, "the queue is empty");
			return 1;
		}
		if (action == REV_CLAIM)
			s = core_review_claim(&ui->db, row->id, &err);
		else if (action == REV_RELEASE)
			s = core_review_release(&ui->db, row->id, &err);
		else {
			if (!ui_prompt(ui, "Assign to (login role): ", who,
			    sizeof who, NULL, NULL) || who[0] == '\0') {
				ui_status(ui, "assign: cancelled");
				return 1;
			}
			s = core_review_assign(&ui->db, row->id, who, &err);
		}
		if (s != LD_OK) {
			ui_report(ui, action == REV_CLAIM ? "claim" :
			    action == REV_RELEASE ? "release" : "assign", s,
			    err.msg);
			return 1;
		}
		{
			int64_t id = row->id;

			reviews_load(ui, r);
			ui_status(ui, "review %" PRId64 " %s", id,
			    action == REV_CLAIM ? "claimed" :
			    action == REV_RELEASE ? "released" : "assigned");
		}
		return 1;
	default:
		return 0;
	}
}

static void
reviews_draw(struct ui *ui, void *st, int top, int rows)
{
	struct reviews *r = st;
	int cols = ui_cols(), body = rows - 1, y, i;
	char buf[64];

	r->page = body;
	/* Waiting time stays in view at 80 columns; kind and reason give. */
	ui_put(ui, top, 0, cols, UI_LEFT, UI_S_HEADER,
	    "  REVIEW      APP NAME                AMOUNT STATE    ASSIGNEE"
	    "      WAITING KIND        REASON");
	if (r->q.n == 0) {
		ui_put(ui, top + 2, 2, cols - 4, UI_LEFT, UI_S_DIM,
		    "No open reviews.");
		return;
	}
	if (r->cur < r->top)
		r->top = r->cur;
	if (r->cur >= r->top + body)
		r->top = r->cur - body + 1;
	for (y = 0, i = r->top; y < body && i < (int)r->q.n; y++, i++) {
		const struct core_review_row *row = &r->q.rows[i];
		int sel = i == r->cur, yy = top + 1 + y;
		enum ui_style s = sel ? UI_S_SELECTED : UI_S_NORMAL;

		if (sel) {
			ui_fill(ui, yy, 0, cols, UI_S_SELECTED);
			ui->cursor_y = yy;
		}
		snprintf(buf, sizeof buf, "%" PRId64, row->id);
		ui_put(ui, yy, 0, 8, UI_RIGHT, s, buf);
		snprintf(buf, sizeof buf, "%" PRId64, row->application_id);
		ui_put(ui, yy, 9, 8, UI_RIGHT, s, row->application_id ?
		    buf : "-");
		ui_put(ui, yy, 18, 10, UI_LEFT, s, row->name);
		ui_money(row->amount_fen, buf, sizeof buf);
		ui_put(ui, yy, 29, 15, UI_RIGHT, s, buf);
		ui_put(ui, yy, 45, 8, UI_LEFT, s, row->state);
		ui_put(ui, yy, 54, 12, UI_LEFT, s, row->assignee[0] ?
		    row->assignee : "-");
		core_format_duration(row->waiting_s, buf, sizeof buf);
		ui_put(ui, yy, 67, 8, UI_RIGHT, s, buf);
		ui_put(ui, yy, 76, 11, UI_LEFT, s, row->kind);
		ui_put(ui, yy, 88, cols - 88, UI_LEFT, s, row->reason);
	}
}

static void
reviews_position(struct ui *ui, void *st, char *buf, size_t len)
{
	struct reviews *r = st;
	char n[32], open[32];

	(void)ui;
	ui_count((int64_t)r->q.n, n, sizeof n);
	ui_count(r->q.open, open, sizeof open);
	if (r->q.open > (int64_t)r->q.n)
		snprintf(buf, len, "row %d of the oldest %s, %s open",
		    r->q.n ? r->cur + 1 : 0, n, open);
	else
		snprintf(buf, len, "row %d of %s open", r->q.n ? r->cur + 1 : 0,
		    open);
}

const struct ui_screen ui_screen_reviews = {
	.name = "Review queue",
	.keys = review_keys,
	.create = reviews_create,
	.destroy = reviews_destroy,
	.enter = reviews_enter,
	.draw = reviews_draw,
	.action = reviews_action,
	.command = NULL,
	.filter = NULL,
	.changed = reviews_changed,
	.position = reviews_position,
};
