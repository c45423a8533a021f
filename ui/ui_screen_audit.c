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
		if (a->n + p.n > 5000) {
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
	int page = a->page > 1 ? a->page - 1 : 1;

	switch (action) {
	case UI_ACT_DOWN:
		move_to(ui, a, a->cur + 1);
		return 1;
	case UI_ACT_UP:
		move_to(ui, a, a->cur - 1);
		return 1;
	case UI_ACT_PGDN:
		move_to(ui, a, a->cur + page);
		return 1;
	case UI_ACT_PGUP:
		move_to(ui, a, a->cur - page);
		return 1;
	case UI_ACT_HOME:
		a->cur = 0;
		return 1;
	case UI_ACT_END:
		move_to(ui, a, 5000);
		return 1;
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

/*
 * Narrowing steps, applied in order until DETAIL has its minimum: the
 * time loses its seconds, then its year; the actor shrinks; the id goes
 * (the preview line below shows it); action and object give a little.
 */
static const struct {
	enum audit_col col;
	int width;
} narrow[] = {
	{ AC_AT, 16 }, { AC_ACTOR, 10 }, { AC_AT, 11 }, { AC_ID, 0 },
	{ AC_ACTION, 19 }, { AC_OBJECT, 18 },
};
#define AUDIT_DETAIL_MIN 16

static void
audit_layout(int cols, int *w)
{
	size_t step = 0;
	int i, used;

	for (;;) {
		used = 0;
		for (i = 0; i < AC_DETAIL; i++)
			used += w[i] > 0 ? w[i] + 1 : 0;
		if (cols - used >= AUDIT_DETAIL_MIN ||
		    step == sizeof narrow / sizeof narrow[0])
			break;
		w[narrow[step].col] = narrow[step].width;
		step++;
	}
	w[AC_DETAIL] = cols - used > 0 ? cols - used : 0;
}

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
	static const char *const titles[AC_COUNT] = { "ID", "AT", "ACTOR",
		"ACTION", "OBJECT", "DETAIL" };
	struct audit *a = st;
	int cols = ui_cols(), body, y, i, c, x, w[AC_COUNT] = { 8, 19, 14, 21,
		20, 0 };
	char buf[640], desc[256], n1[32], n2[32];
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
	audit_layout(cols, w);
	for (x = 0, c = 0; c < AC_COUNT; c++) {
		if (w[c] <= 0)
			continue;
		snprintf(buf, sizeof buf, "%s%s%s", titles[c],
		    c == AC_AT ? " " : "", c == AC_AT ? ui->op.tz_label : "");
		ui_put(ui, top + 2, x, w[c], c == AC_ID ? UI_RIGHT : UI_LEFT,
		    UI_S_HEADER, buf);
		x += w[c] + 1;
	}
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
	if (a->cur < a->top)
		a->top = a->cur;
	if (a->cur >= a->top + body)
		a->top = a->cur - body + 1;
	for (y = 0, i = a->top; y < body && i < (int)a->n; y++, i++) {
		const struct core_audit_row *r = &a->rows[i];
		int sel = i == a->cur, yy = top + 3 + y;
		enum ui_style s = sel ? UI_S_SELECTED : UI_S_NORMAL;
		const char *cell[AC_COUNT];
		char id[24], at[24];

		if (sel) {
			ui_fill(ui, yy, 0, cols, UI_S_SELECTED);
			ui->cursor_y = yy;
		}
		snprintf(id, sizeof id, "%" PRId64, r->id);
		cell[AC_ID] = id;
		cell[AC_AT] = at_text(r->at, w[AC_AT], at, sizeof at);
		cell[AC_ACTOR] = r->actor;
		cell[AC_ACTION] = r->action;
		cell[AC_OBJECT] = r->object;
		cell[AC_DETAIL] = r->detail;
		for (x = 0, c = 0; c < AC_COUNT; c++) {
			if (w[c] <= 0)
				continue;
			ui_put(ui, yy, x, w[c], c == AC_ID ? UI_RIGHT : UI_LEFT,
			    s, cell[c]);
			x += w[c] + 1;
		}
	}
	if (rows >= 5) {
		const struct core_audit_row *r = &a->rows[a->cur];
		int yy = top + rows - 2, cut;

		snprintf(buf, sizeof buf, "#%" PRId64 " %s %s %s: %s", r->id,
		    r->actor, r->action, r->object, r->detail[0] ? r->detail :
		    "(no detail)");
		/* Wrapped by display columns onto the two lines. */
		cut = ui_text_cut(buf, cols);
		if (buf[cut] != '\0') {
			/* At a space, when one is near enough. */
			int sp = cut;

			while (sp > cut / 2 && buf[sp - 1] != ' ')
				sp--;
			if (sp > cut / 2)
				cut = sp;
		}
		ui_put(ui, yy, 0, cols, UI_LEFT, UI_S_DIM, buf);
		if (buf[cut] != '\0') {
			char first[640];

			snprintf(first, sizeof first, "%.*s", cut, buf);
			ui_put(ui, yy, 0, cols, UI_LEFT, UI_S_DIM, first);
			ui_put(ui, yy + 1, 0, cols, UI_LEFT, UI_S_DIM,
			    buf + cut);
		}
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
