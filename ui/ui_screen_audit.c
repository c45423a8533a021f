/*
 * Screen 4: the audit log, newest first, filtered by actor, object and
 * action (':actor alice', ':object application/42', ':action
 * application.decide'), with the hash chain's verification status.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "core_audit_view.h"
#include "ld_alloc.h"
#include "ui_int.h"

#define AUDIT_KEYS(X)                                                       \
	X(AUD_VERIFY, 'v', 0, 0, "v", "verify the chain", NONE, MAIN)        \
	X(AUD_CLEAR, 'c', 0, 0, "c", "clear filters", NONE, MORE)

enum {
	AUD_FIRST = UI_ACT_SCREEN,
#define AUD_ENUM(id, k1, k2, k3, l, h, p, hint) id,
	AUDIT_KEYS(AUD_ENUM)
#undef AUD_ENUM
	AUD_LAST
};

static const struct ui_key audit_keys[] = {
	UI_MOVE_KEYS(UI_KEY_ROW)
	UI_OPEN_KEY(UI_KEY_ROW)
	UI_COMMAND_KEY(UI_KEY_ROW)
	AUDIT_KEYS(UI_KEY_ROW)
	UI_KEY_END
};

/*
 * Chain verification runs in the background, a batch per idle slice,
 * from a checkpoint kept across visits: entering the screen again checks
 * only the rows appended since; v walks the whole chain afresh.
 */
enum verify_state {
	VERIFY_NONE,    /* never started */
	VERIFY_RUNNING,
	VERIFY_STOPPED, /* by the operator; v continues */
	VERIFY_DONE,
	VERIFY_FAILED   /* the database could not be read */
};

/* Rows held at most: past these, narrow the filter instead. */
#define AUDIT_MAX_ROWS 5000

struct audit {
	struct core_audit_filter f;
	struct core_audit_row *rows;
	size_t n;
	int more;
	int cur, top, page;
	enum verify_state vs;
	struct core_audit_verify v;
	char verify_err[256];
};

static void *
audit_create(struct ui *ui)
{
	struct audit *a = ld_calloc(1, sizeof(struct audit));

	(void)ui;
	core_audit_verify_start(&a->v, 1);
	return a;
}

static void
audit_destroy(void *st)
{
	struct audit *a = st;

	if (a == NULL)
		return;
	core_audit_verify_clear(&a->v);
	free(a->rows);
	free(a);
}

/* Starts (fresh: from row 1) or continues the walk. */
static void
verify_start(struct audit *a, int fresh)
{
	core_audit_verify_start(&a->v, fresh);
	a->verify_err[0] = '\0';
	a->vs = a->v.done ? VERIFY_DONE : VERIFY_RUNNING;
}

static void
verify_stop(struct ui *ui, struct audit *a)
{
	char n[32];

	a->vs = VERIFY_STOPPED;
	ui_count(a->v.res.rows, n, sizeof n);
	ui_status(ui, "chain verification stopped after %s rows (v goes on "
	    "from there)", n);
}

/* One batch between keys; the screen stays live. */
static int
audit_idle(struct ui *ui, void *st)
{
	struct audit *a = st;
	struct ld_err err;
	enum ld_status s;

	if (a->vs != VERIFY_RUNNING)
		return 0;
	ld_err_clear(&err);
	s = core_audit_verify_step(ui->sess, &a->v, &err);
	if (s == LD_ETIMEOUT) {
		/* Esc while a batch ran: the query was cancelled. */
		verify_stop(ui, a);
		return 0;
	}
	if (s != LD_OK) {
		a->vs = VERIFY_FAILED;
		snprintf(a->verify_err, sizeof a->verify_err, "%s", err.msg);
		ui_report(ui, "audit chain", s, err.msg);
		return 0;
	}
	if (a->v.done) {
		char n[32];

		a->vs = VERIFY_DONE;
		ui_count(a->v.res.rows, n, sizeof n);
		if (a->v.res.ok)
			ui_status(ui, "audit chain verified: %s rows intact", n);
		else
			ui_status_error(ui, "audit chain BROKEN at row %" PRId64
			    ": %s", a->v.res.broken_id, a->v.res.why);
		return 0;
	}
	return 1;
}

/* Loads the first page, or the next one after the last row when more. */
static void
load(struct ui *ui, struct audit *a, int more)
{
	struct core_audit_page p;
	struct ld_err err;
	enum ld_status st;
	int64_t before = more && a->n > 0 ? a->rows[a->n - 1].id : 0;

	ld_err_clear(&err);
	st = core_audit_fetch(ui->sess, &a->f, before, 200, &p, &err);
	if (st != LD_OK) {
		ui_report(ui, "audit log", st, err.msg);
		return;
	}
	if (!more) {
		free(a->rows);
		a->rows = p.rows;
		a->n = p.n;
		a->cur = a->top = 0;
	} else {
		/* Bounded: past 5,000 rows, narrow the filter instead. */
		if (a->n + p.n > AUDIT_MAX_ROWS) {
			core_audit_page_free(&p);
			a->more = 0;
			ui_status(ui, "5,000 rows shown: narrow with :actor, "
			    ":object or :action");
			return;
		}
		a->rows = ld_reallocarray(a->rows, a->n + p.n,
		    sizeof *a->rows);
		memcpy(a->rows + a->n, p.rows, p.n * sizeof *a->rows);
		a->n += p.n;
		core_audit_page_free(&p);
	}
	a->more = p.more;
}

static void
audit_enter(struct ui *ui, void *st, int64_t arg)
{
	struct audit *a = st;

	(void)arg;
	load(ui, a, 0);
	/* A broken chain stays broken until v says otherwise. */
	if (a->vs == VERIFY_NONE || (a->vs == VERIFY_DONE && a->v.res.ok))
		verify_start(a, a->vs == VERIFY_NONE);
}

static void
audit_changed(struct ui *ui, void *st)
{
	struct audit *a = st;
	int64_t keep = a->n > 0 ? a->rows[a->cur].id : 0;
	size_t i;

	load(ui, a, 0);
	for (i = 0; i < a->n; i++)
		if (a->rows[i].id == keep)
			a->cur = (int)i;
}

static void
move_to(struct ui *ui, struct audit *a, int target)
{
	while (target >= (int)a->n && a->more) {
		size_t n = a->n;

		load(ui, a, 1);
		if (a->n == n)
			break;
	}
	if (target >= (int)a->n)
		target = (int)a->n - 1;
	if (target < 0)
		target = 0;
	a->cur = target;
}

static int
audit_action(struct ui *ui, void *st, int action)
{
	struct audit *a = st;
	struct ui_move m = ui_move_of(action, a->page);

	/* Rows are fetched as the cursor goes past those held. */
	if (m.to == UI_MOVE_BY || m.to == UI_MOVE_LAST) {
		move_to(ui, a, m.to == UI_MOVE_LAST ? AUDIT_MAX_ROWS :
		    a->cur + m.by);
		return 1;
	}
	if (m.to == UI_MOVE_FIRST) {
		a->cur = 0;
		return 1;
	}
	switch (action) {
	case UI_ACT_OPEN:
		if (a->n == 0) {
			ui_status(ui, "no audit row here");
			return 1;
		}
		/* A review's or payout's row names its application too. */
		if (a->rows[a->cur].application_id > 0) {
			ui_timing_start(ui, "case_open");
			ui_open_screen(ui, UI_SCREEN_CASE,
			    a->rows[a->cur].application_id);
			return 1;
		}
		ui_status(ui, "row %" PRId64 " (%s) names no application to "
		    "open", a->rows[a->cur].id, a->rows[a->cur].object);
		return 1;
	case AUD_VERIFY:
		/* A stopped walk goes on; a finished one starts over. */
		verify_start(a, a->vs != VERIFY_STOPPED);
		ui_status(ui, "verifying the audit chain%s (Esc stops)",
		    a->vs == VERIFY_RUNNING && a->v.last_id > 0 ?
		    " from where it stopped" : "");
		return 1;
	case UI_ACT_BACK:
		/* Esc (and q) first stop a verification, then go back. */
		if (a->vs != VERIFY_RUNNING)
			return 0;
		verify_stop(ui, a);
		return 1;
	case AUD_CLEAR:
		memset(&a->f, 0, sizeof a->f);
		load(ui, a, 0);
		ui_status(ui, "filters cleared");
		return 1;
	default:
		return 0;
	}
}

static int
audit_command(struct ui *ui, void *st, const char *cmd)
{
	struct audit *a = st;
	struct ld_err err;
	char desc[256];

	ld_err_clear(&err);
	if (core_audit_command(cmd, &a->f, &err) != LD_OK) {
		ui_status_error(ui, "%s", err.msg);
		return 1;
	}
	load(ui, a, 0);
	core_audit_filter_describe(&a->f, desc, sizeof desc);
	ui_status(ui, "%s%s (%zu rows%s)", desc[0] ? "filter: " : "no filter",
	    desc, a->n, a->more ? "+" : "");
	return 1;
}

/* Columns, sized to the terminal: DETAIL takes what the others leave. */
enum audit_col { AC_ID, AC_AT, AC_ACTOR, AC_ACTION, AC_OBJECT, AC_DETAIL,
	AC_COUNT };

static const struct ui_col audit_cols[AC_COUNT] = {
	[AC_ID] = { "ID", 8, UI_RIGHT },
	[AC_AT] = { "AT", 19, UI_LEFT },
	[AC_ACTOR] = { "ACTOR", 14, UI_LEFT },
	[AC_ACTION] = { "ACTION", 21, UI_LEFT },
	[AC_OBJECT] = { "OBJECT", 20, UI_LEFT },
	[AC_DETAIL] = { "DETAIL", 0, UI_LEFT },
};

/*
 * Narrowing steps, taken in order until DETAIL has its least: the time
 * loses its seconds, then its year; the actor shrinks; the id goes (the
 * preview line below shows it); action and object give a little.
 */
static const struct ui_narrow audit_narrow[] = {
	{ AC_AT, 16, 0, 0 }, { AC_ACTOR, 10, 0, 0 }, { AC_AT, 11, 0, 0 },
	{ AC_ID, 0, 0, 0 }, { AC_ACTION, 19, 0, 0 }, { AC_OBJECT, 18, 0, 0 },
};
#define AUDIT_DETAIL_MIN 16

/* DETAIL runs to the edge. */
static const struct ui_table audit_table = {
	audit_cols, AC_COUNT, audit_narrow,
	(int)(sizeof audit_narrow / sizeof audit_narrow[0]), 0, 0
};

/* "2026-11-25 11:22:33" cut to the column: seconds, then the year go. */
static const char *
at_text(const char *at, int width, char *buf, size_t len)
{
	if (width >= 19 || strlen(at) < 19)
		return at;
	if (width >= 16)
		snprintf(buf, len, "%.16s", at);
	else
		snprintf(buf, len, "%.11s", at + 5);
	return buf;
}

static void
audit_draw(struct ui *ui, void *st, int top, int rows)
{
	struct audit *a = st;
	struct ui_layout l;
	struct ui_column *at;
	int cols = ui_cols(), body, y, i, c;
	char buf[640], desc[256], n1[32], n2[32], at_title[64];
	enum ui_style vstyle = UI_S_DIM;

	ui_count(a->v.res.rows, n1, sizeof n1);
	ui_count(a->v.head_id, n2, sizeof n2);
	switch (a->vs) {
	case VERIFY_NONE:
		snprintf(buf, sizeof buf, "chain: not verified yet (v)");
		break;
	case VERIFY_RUNNING:
		if (a->v.head_id >= 0)
			snprintf(buf, sizeof buf, "chain: verifying\xe2\x80\xa6 "
			    "%s of %s rows (Esc stops)", n1, n2);
		else
			snprintf(buf, sizeof buf, "chain: verifying\xe2\x80\xa6 "
			    "(Esc stops)");
		break;
	case VERIFY_STOPPED:
		snprintf(buf, sizeof buf, "chain: verification stopped after "
		    "%s rows, all intact so far (v goes on)", n1);
		break;
	case VERIFY_FAILED:
		snprintf(buf, sizeof buf, "chain: could not verify: %s",
		    a->verify_err);
		vstyle = UI_S_BANNER;
		break;
	case VERIFY_DONE:
		if (a->v.res.ok) {
			snprintf(buf, sizeof buf, "chain: verified, %s rows "
			    "intact", n1);
			vstyle = UI_S_GOOD;
		} else {
			snprintf(buf, sizeof buf, "chain: BROKEN at row %" PRId64
			    ": %s", a->v.res.broken_id, a->v.res.why);
			vstyle = UI_S_BANNER;
		}
		break;
	}
	ui_put(ui, top, 0, cols, UI_LEFT, vstyle, buf);
	core_audit_filter_describe(&a->f, desc, sizeof desc);
	snprintf(buf, sizeof buf, "filter: %s", desc[0] ? desc :
	    "none (:actor NAME, :object TYPE/ID, :action NAME)");
	ui_put(ui, top + 1, 0, cols, UI_LEFT, UI_S_DIM, buf);
	ui_table_layout(&audit_table, NULL, AUDIT_DETAIL_MIN, 0, cols, &l);
	if ((at = ui_layout_find(&l, AC_AT)) != NULL) {
		snprintf(at_title, sizeof at_title, "%s %s", at->title,
		    ui->op.tz_label);
		at->title = at_title;
	}
	ui_put_headings(ui, top + 2, &l);
	/* The selected row's whole detail: two lines at the bottom. */
	body = rows - 3 - 2;
	a->page = body;
	if (a->n == 0) {
		ui_put(ui, top + 4, 2, cols - 4, UI_LEFT, UI_S_DIM,
		    "No audit rows match.");
		return;
	}
	if (body < 1)
		body = 1;
	ui_cursor_show(&a->top, a->cur, (int)a->n, body);
	for (y = 0, i = a->top; y < body && i < (int)a->n; y++, i++) {
		const struct core_audit_row *r = &a->rows[i];
		int sel = i == a->cur, yy = top + 3 + y;
		enum ui_style s = sel ? UI_S_SELECTED : UI_S_NORMAL;
		const char *cell[AC_COUNT];
		char id[24], when[24];

		if (sel) {
			ui_fill(ui, yy, 0, cols, UI_S_SELECTED);
			ui->cursor_y = yy;
		}
		snprintf(id, sizeof id, "%" PRId64, r->id);
		cell[AC_ID] = id;
		cell[AC_AT] = at_text(r->at, at != NULL ? at->width : 0, when,
		    sizeof when);
		cell[AC_ACTOR] = r->actor;
		cell[AC_ACTION] = r->action;
		cell[AC_OBJECT] = r->object;
		cell[AC_DETAIL] = r->detail;
		for (c = 0; c < l.n; c++)
			ui_put_cell(ui, yy, &l.c[c], s, cell[l.col[c]]);
	}
	if (rows >= 5) {
		const struct core_audit_row *r = &a->rows[a->cur];

		snprintf(buf, sizeof buf, "#%" PRId64 " %s %s %s: %s", r->id,
		    r->actor, r->action, r->object, r->detail[0] ? r->detail :
		    "(no detail)");
		ui_put_wrapped(ui, top + rows - 2, 0, cols, 2, UI_S_DIM, buf);
	}
}

static void
audit_position(struct ui *ui, void *st, char *buf, size_t len)
{
	struct audit *a = st;
	char at[32], n[32];

	(void)ui;
	/* As the applications list says it. */
	if (a->n == 0) {
		snprintf(buf, len, "empty");
		return;
	}
	ui_count(a->cur + 1, at, sizeof at);
	ui_count((int64_t)a->n, n, sizeof n);
	snprintf(buf, len, "row %s of %s%s", at, n, a->more ? "+" : "");
}

const struct ui_screen ui_screen_audit = {
	.name = "Audit log",
	.keys = audit_keys,
	.create = audit_create,
	.destroy = audit_destroy,
	.enter = audit_enter,
	.draw = audit_draw,
	.action = audit_action,
	.command = audit_command,
	.filter = NULL,
	.changed = audit_changed,
	.position = audit_position,
	.idle = audit_idle,
};
