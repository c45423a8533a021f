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
#include "ld_audit.h"
#include "ui_int.h"

#define AUDIT_KEYS(X)                                                       \
	X(AUD_VERIFY, 'v', 0, 0, "v", "verify the chain", NONE, 1)           \
	X(AUD_CLEAR, 'c', 0, 0, "c", "clear filters", NONE, 0)

enum {
	AUD_FIRST = UI_ACT_SCREEN,
#define AUD_ENUM(id, k1, k2, k3, l, h, p, hint) id,
	AUDIT_KEYS(AUD_ENUM)
#undef AUD_ENUM
	AUD_LAST
};

static const struct ui_key audit_keys[] = {
	AUDIT_KEYS(UI_KEY_ROW)
	{ 0, { 0, 0, 0 }, NULL, NULL, CORE_PERM_NONE, 0 }
};

struct audit {
	struct core_audit_filter f;
	struct core_audit_row *rows;
	size_t n;
	int more;
	int cur, top, page;
	int verified; /* 0 not yet, 1 done */
	struct ld_audit_verify_result vr;
	char verify_err[256];
};

static void *
audit_create(struct ui *ui)
{
	(void)ui;
	return ld_calloc(1, sizeof(struct audit));
}

static void
audit_destroy(void *st)
{
	struct audit *a = st;

	if (a == NULL)
		return;
	free(a->rows);
	free(a);
}

static void
verify(struct ui *ui, struct audit *a)
{
	struct ld_err err;

	ld_err_clear(&err);
	a->verify_err[0] = '\0';
	if (ld_audit_verify(&ui->db, &a->vr, &err) != LD_OK) {
		snprintf(a->verify_err, sizeof a->verify_err, "%s", err.msg);
		ui_report(ui, "verifying the audit chain", err.code, err.msg);
	}
	a->verified = 1;
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
	st = core_audit_fetch(&ui->db, &a->f, before, 200, &p, &err);
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
	if (!a->verified)
		verify(ui, a);
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
		if (a->n > 0 &&
		    strncmp(a->rows[a->cur].object, "application/", 12) == 0) {
			int64_t id = strtoll(a->rows[a->cur].object + 12, NULL,
			    10);

			if (id > 0) {
				ui_timing_start(ui, "case_open");
				ui_open_screen(ui, UI_SCREEN_CASE, id);
				return 1;
			}
		}
		ui_status(ui, "Enter opens the application a row is about");
		return 1;
	case AUD_VERIFY:
		verify(ui, a);
		if (a->verify_err[0] == '\0')
			ui_status(ui, "audit chain %s: %" PRId64
			    " rows checked",
			    a->vr.ok ? "verified" : "BROKEN", a->vr.rows);
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

static void
audit_draw(struct ui *ui, void *st, int top, int rows)
{
	struct audit *a = st;
	int cols = ui_cols(), body, y, i;
	char buf[512], desc[256];

	if (!a->verified)
		snprintf(buf, sizeof buf, "chain: not verified yet (v)");
	else if (a->verify_err[0] != '\0')
		snprintf(buf, sizeof buf, "chain: could not verify: %s",
		    a->verify_err);
	else if (a->vr.ok)
		snprintf(buf, sizeof buf, "chain: verified, %" PRId64
		    " rows intact", a->vr.rows);
	else
		snprintf(buf, sizeof buf, "chain: BROKEN at row %" PRId64
		    ": %s", a->vr.broken_id, a->vr.why);
	ui_put(ui, top, 0, cols, UI_LEFT, !a->verified ? UI_S_DIM :
	    a->verify_err[0] != '\0' || !a->vr.ok ? UI_S_BANNER : UI_S_GOOD,
	    buf);
	core_audit_filter_describe(&a->f, desc, sizeof desc);
	snprintf(buf, sizeof buf, "filter: %s", desc[0] ? desc :
	    "none (:actor NAME, :object TYPE/ID, :action NAME)");
	ui_put(ui, top + 1, 0, cols, UI_LEFT, UI_S_DIM, buf);
	ui_put(ui, top + 2, 0, cols, UI_LEFT, UI_S_HEADER,
	    "      ID AT                  ACTOR          ACTION"
	    "                OBJECT               DETAIL");
	body = rows - 3;
	a->page = body;
	if (a->n == 0) {
		ui_put(ui, top + 4, 2, cols - 4, UI_LEFT, UI_S_DIM,
		    "No audit rows match.");
		return;
	}
	if (a->cur < a->top)
		a->top = a->cur;
	if (a->cur >= a->top + body)
		a->top = a->cur - body + 1;
	for (y = 0, i = a->top; y < body && i < (int)a->n; y++, i++) {
		const struct core_audit_row *r = &a->rows[i];
		int sel = i == a->cur, yy = top + 3 + y;
		enum ui_style s = sel ? UI_S_SELECTED : UI_S_NORMAL;

		if (sel) {
			ui_fill(ui, yy, 0, cols, UI_S_SELECTED);
			ui->cursor_y = yy;
		}
		snprintf(buf, sizeof buf, "%" PRId64, r->id);
		ui_put(ui, yy, 0, 8, UI_RIGHT, s, buf);
		ui_put(ui, yy, 9, 19, UI_LEFT, s, r->at);
		ui_put(ui, yy, 29, 14, UI_LEFT, s, r->actor);
		ui_put(ui, yy, 44, 21, UI_LEFT, s, r->action);
		ui_put(ui, yy, 66, 20, UI_LEFT, s, r->object);
		ui_put(ui, yy, 87, cols - 87, UI_LEFT, s, r->detail);
	}
}

static void
audit_position(struct ui *ui, void *st, char *buf, size_t len)
{
	struct audit *a = st;

	(void)ui;
	snprintf(buf, len, "row %d of %zu%s", a->n ? a->cur + 1 : 0, a->n,
	    a->more ? "+" : "");
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
};
