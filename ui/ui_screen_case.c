/*
 * Screen 2: one application as a case.  A header a risk officer reads at a
 * glance, panes (Tab) explaining the score, the links and the money, and
 * the decisions their role allows, each with a reason code, a note when it
 * overrides the model, and a confirmation that says what will happen.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "core.h"
#include "core_apr.h"
#include "core_case.h"
#include "core_reviews.h"
#include "core_schedule.h"
#include "ld_alloc.h"
#include "ui_int.h"

#define CASE_KEYS(X)                                                        \
	X(CASE_APPROVE, 'a', 0, 0, "a", "approve", DECIDE, MAIN)             \
	X(CASE_REJECT, 'x', 0, 0, "x", "reject", DECIDE, MAIN)               \
	X(CASE_REVIEW, 'm', 0, 0, "m", "send to review", DECIDE, MAIN)       \
	X(CASE_PANE1, KEY_F(1), 0, 0, "F1", "reason codes", NONE, NO)        \
	X(CASE_PANE2, KEY_F(2), 0, 0, "F2", "contributions", NONE, NO)       \
	X(CASE_PANE3, KEY_F(3), 0, 0, "F3", "rule hits", NONE, NO)           \
	X(CASE_PANE4, KEY_F(4), 0, 0, "F4", "linked applications", NONE, NO) \
	X(CASE_PANE5, KEY_F(5), 0, 0, "F5", "repayment schedule", NONE, NO)  \
	X(CASE_PANE6, KEY_F(6), 0, 0, "F6", "timeline", NONE, NO)

enum {
	CASE_FIRST = UI_ACT_SCREEN,
#define CASE_ENUM(id, k1, k2, k3, l, h, p, hint) id,
	CASE_KEYS(CASE_ENUM)
#undef CASE_ENUM
	CASE_LAST
};

/* Decisions first: at 80 columns they keep their place in the hints. */
static const struct ui_key case_keys[] = {
	CASE_KEYS(UI_KEY_ROW)
	UI_PANE_KEYS(UI_KEY_ROW)
	UI_MOVE_KEYS(UI_KEY_ROW)
	{ UI_ACT_OPEN, { '\n', KEY_ENTER, '\r' }, "Enter",
	    "open the linked application", CORE_PERM_NONE, UI_HINT_NO },
	UI_KEY_END
};

enum pane {
	PANE_REASONS,
	PANE_CONTRIBS,
	PANE_RULES,
	PANE_LINKS,
	PANE_SCHEDULE,
	PANE_TIMELINE,
	PANE_COUNT
};

/*
 * The tables of the panes, from column 1; a last column of width 0 runs
 * to one short of the edge.  Headings and cells come from one layout.
 */
#define NCOLS(t) ((int)(sizeof t / sizeof t[0]))
#define PANE_TABLE(cols, margin) { cols, NCOLS(cols), NULL, 0, 1, margin }

enum { RE_N, RE_CODE, RE_FEATURE, RE_TEXT };
static const struct ui_col reason_cols[] = {
	{ "", 2, UI_RIGHT },
	{ "CODE", 22, UI_LEFT },
	{ "FEATURE", 24, UI_LEFT },
	{ "EXPLANATION", 0, UI_LEFT },
};

/* FEATURE's width is the longest name's: contrib_layout. */
enum { CO_FEATURE, CO_VALUE, CO_POINTS, CO_PHI, CO_BAR };
static const struct ui_col contrib_cols[] = {
	{ "FEATURE", 7, UI_LEFT },
	{ "VALUE", 12, UI_RIGHT },
	{ "POINTS", 8, UI_RIGHT },
	{ "PHI", 9, UI_RIGHT },
	{ "", 0, UI_LEFT },
};

enum { RU_ID, RU_VERSION, RU_ACTION, RU_TEXT };
static const struct ui_col rule_cols[] = {
	{ "RULE", 16, UI_LEFT },
	{ "VERSION", 7, UI_LEFT },
	{ "ACTION", 8, UI_LEFT },
	{ "TEXT", 0, UI_LEFT },
};

enum { LI_VIA, LI_ID, LI_NAME, LI_AMOUNT, LI_SUBMITTED, LI_STATUS,
	LI_OPENS };
static const struct ui_col link_cols[] = {
	{ "VIA", 13, UI_LEFT },
	{ "ID", 10, UI_RIGHT },
	{ "NAME", 10, UI_LEFT },
	{ "AMOUNT", 16, UI_RIGHT },
	{ "SUBMITTED", 11, UI_LEFT },
	{ "STATUS", 14, UI_LEFT },
	{ "(Enter opens)", 0, UI_LEFT },
};

enum { SC_PERIOD, SC_PRINCIPAL, SC_INTEREST, SC_FEES, SC_PAYMENT,
	SC_BALANCE };
static const struct ui_col schedule_cols[] = {
	{ "#", 6, UI_RIGHT },
	{ "PRINCIPAL", 16, UI_RIGHT },
	{ "INTEREST", 14, UI_RIGHT },
	{ "FEES", 10, UI_RIGHT },
	{ "PAYMENT", 16, UI_RIGHT },
	{ "BALANCE", 16, UI_RIGHT },
};

enum { EV_AT, EV_ACTOR, EV_ACTION, EV_DETAIL };
static const struct ui_col event_cols[] = {
	{ "AT", 19, UI_LEFT },
	{ "ACTOR", 14, UI_LEFT },
	{ "ACTION", 22, UI_LEFT },
	{ "DETAIL", 0, UI_LEFT },
};

static const struct {
	const char *name;
	struct ui_table table;
} panes[PANE_COUNT] = {
	[PANE_REASONS] = { "Reasons", PANE_TABLE(reason_cols, 1) },
	/* The bars run to the edge. */
	[PANE_CONTRIBS] = { "Contributions", PANE_TABLE(contrib_cols, 0) },
	[PANE_RULES] = { "Rule hits", PANE_TABLE(rule_cols, 1) },
	[PANE_LINKS] = { "Linked", PANE_TABLE(link_cols, 1) },
	[PANE_SCHEDULE] = { "Schedule", PANE_TABLE(schedule_cols, 1) },
	[PANE_TIMELINE] = { "Timeline", PANE_TABLE(event_cols, 1) },
};

#define CASE_HISTORY 32

/* Where the officer was on a case: what going back to it restores. */
struct case_place {
	int64_t id;
	enum pane pane;
	int sel[PANE_COUNT];
	int scroll[PANE_COUNT];
};

struct casev {
	int64_t id;
	int loaded;
	struct core_case c;
	struct core_schedule sched;
	int sched_ok;
	double apr;
	int apr_ok;
	char sched_err[160];
	enum pane pane;
	int sel[PANE_COUNT];
	int scroll[PANE_COUNT];
	int body;
	struct core_reason_codes reasons;
	int reasons_loaded;
	struct case_place hist[CASE_HISTORY]; /* left by following links */
	int nhist;
};

static void *
case_create(struct ui *ui)
{
	(void)ui;
	return ld_calloc(1, sizeof(struct casev));
}

static void
case_destroy(void *st)
{
	struct casev *cv = st;

	if (cv == NULL)
		return;
	core_case_free(&cv->c);
	core_reason_codes_free(&cv->reasons);
	free(cv);
}

static void
compute_schedule(struct casev *cv)
{
	struct ld_err err;
	int m = core_repayment_parse(cv->c.repayment);

	ld_err_clear(&err);
	cv->sched_ok = cv->apr_ok = 0;
	cv->sched_err[0] = '\0';
	if (m < 0) {
		snprintf(cv->sched_err, sizeof cv->sched_err,
		    "unknown repayment method \"%s\"", cv->c.repayment);
		return;
	}
	if (core_schedule_build(cv->c.amount_fen, cv->c.rate_bps,
	    cv->c.term_months, (enum core_repayment)m, cv->c.upfront_fee_fen,
	    cv->c.monthly_fee_fen, &cv->sched, &err) != LD_OK) {
		snprintf(cv->sched_err, sizeof cv->sched_err, "%s", err.msg);
		return;
	}
	cv->sched_ok = 1;
	if (core_schedule_apr(&cv->sched, &cv->apr, &err) == LD_OK)
		cv->apr_ok = 1;
	else
		snprintf(cv->sched_err, sizeof cv->sched_err, "%s", err.msg);
}

/*
 * Largest |phi| first, which orders the same way in either unit (points
 * = -factor * phi).  An insertion sort (at most 64 rows) because it is
 * stable: ties keep the order the worker stored, as qsort need not.
 */
static void
sort_by_impact(struct core_contribution *k, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		struct core_contribution t = k[i];

		for (j = i; j > 0 && fabs(k[j - 1].phi) < fabs(t.phi); j--)
			k[j] = k[j - 1];
		k[j] = t;
	}
}

static int
load(struct ui *ui, struct casev *cv, int64_t id)
{
	struct core_case c;
	struct ld_err err;
	char warn[160];
	enum ld_status st;

	ld_err_clear(&err);
	st = core_case_load(core_session_primary(ui->sess), id, &c, warn,
	    &err);
	if (st != LD_OK) {
		ui_report(ui, "case", st, err.msg);
		return -1;
	}
	core_case_free(&cv->c);
	cv->c = c;
	/*
	 * Sorted by impact whatever order the worker stored, once per load
	 * so that a selected row stays the same contribution.
	 */
	sort_by_impact(cv->c.contribs, cv->c.ncontribs);
	if (cv->id != id) {
		memset(cv->sel, 0, sizeof cv->sel);
		memset(cv->scroll, 0, sizeof cv->scroll);
		cv->pane = PANE_REASONS;
	}
	cv->id = id;
	cv->loaded = 1;
	compute_schedule(cv);
	if (warn[0] != '\0')
		ui_status(ui, "case %" PRId64 ": %s", id, warn);
	return 0;
}

static void
case_enter(struct ui *ui, void *st, int64_t arg)
{
	struct casev *cv = st;

	if (arg > 0) {
		cv->nhist = 0;
		load(ui, cv, arg);
	}
	else if (!cv->loaded)
		ui_status(ui, "no case open yet: pick one in the list (1)");
	else
		load(ui, cv, cv->id);
}

static void
case_changed(struct ui *ui, void *st)
{
	struct casev *cv = st;

	if (cv->loaded)
		load(ui, cv, cv->id);
}

static int
pane_len(const struct casev *cv, enum pane p)
{
	switch (p) {
	case PANE_REASONS:
		return (int)cv->c.nreasons;
	case PANE_CONTRIBS:
		return (int)cv->c.ncontribs;
	case PANE_RULES:
		return (int)cv->c.nrules;
	case PANE_LINKS:
		return (int)cv->c.nlinks;
	case PANE_SCHEDULE:
		return cv->sched_ok ? cv->sched.n + 1 : 0;
	case PANE_TIMELINE:
		return (int)cv->c.nevents;
	default:
		return 0;
	}
}

/* The reason codes, read once per session. */
static int
reasons_ready(struct ui *ui, struct casev *cv)
{
	struct ld_err err;
	enum ld_status st;

	if (cv->reasons_loaded)
		return 1;
	ld_err_clear(&err);
	st = core_reason_codes_load(core_session_primary(ui->sess),
	    &cv->reasons, &err);
	if (st != LD_OK) {
		ui_report(ui, "reason codes", st, err.msg);
		return 0;
	}
	cv->reasons_loaded = 1;
	return 1;
}

/*
 * The reason picker: the codes offered for d, in columns as wide as the
 * longest code and Chinese text offered, by display width, so nothing
 * Chinese is cut and the English lines up.  Returns the code's index in
 * cv->reasons, or -1 when the officer cancelled.
 */
static int
pick_reason(struct ui *ui, struct casev *cv, enum core_decision d)
{
	const char **items;
	int *map, n = 0, pick, codew = 4, zhw = 0, i;
	char label[160];

	items = ld_calloc(cv->reasons.n + 1, sizeof *items);
	map = ld_calloc(cv->reasons.n + 1, sizeof *map);
	for (i = 0; i < (int)cv->reasons.n; i++) {
		const struct core_reason_code *r = &cv->reasons.v[i];

		if (!core_reason_code_offered(r, d, cv->c.recommendation))
			continue;
		map[n++] = i;
		if (ui_text_width(r->code) > codew)
			codew = ui_text_width(r->code);
		if (ui_text_width(r->text_zh) > zhw)
			zhw = ui_text_width(r->text_zh);
	}
	for (i = 0; i < n; i++) {
		const struct core_reason_code *r = &cv->reasons.v[map[i]];
		char code[200], zh[400];

		ui_text_fit(r->code, codew, UI_LEFT, code, sizeof code);
		ui_text_fit(r->text_zh, zhw, UI_LEFT, zh, sizeof zh);
		items[i] = ld_asprintf("%s %s %s", code, zh, r->text_en);
	}
	snprintf(label, sizeof label, "%s %" PRId64 ": reason code",
	    core_decision_verb(d), cv->id);
	pick = ui_pick(ui, label, items, n);
	for (i = 0; i < n; i++)
		free((char *)items[i]);
	free(items);
	pick = pick >= 0 ? map[pick] : -1;
	free(map);
	return pick;
}

/*
 * The note; one is required when the preview says so (the decision
 * overrides the model or a rule).  0: cancelled.
 */
static int
ask_note(struct ui *ui, struct casev *cv,
    const struct core_decision_preview *pv, char *note, size_t len)
{
	char label[160];

	for (;;) {
		snprintf(label, sizeof label, "Note%s: ",
		    !pv->note_required ? " (optional)" :
		    pv->overrides_model ?
		    " (required: this overrides the model's recommendation)" :
		    " (required: this overrides a rule)");
		if (!ui_prompt(ui, label, note, len, NULL, NULL))
			return 0;
		if (!pv->note_required || note[strspn(note, " ")] != '\0')
			return 1;
		if (pv->overrides_model)
			ui_status_error(ui, "a note is required when "
			    "overriding the model's recommendation (%s)",
			    core_app_status_sql(cv->c.recommendation));
		else
			ui_status_error(ui, "a note is required when "
			    "overriding rules %s", pv->rules_text);
	}
}

/*
 * The confirmation: what will happen, in the officer's words, with what
 * the decision overrides (the model, rules by level) and whether the
 * applicant is told the reason.
 */
static int
confirm_decision(struct ui *ui, struct casev *cv, enum core_decision d,
    const struct core_decision_preview *pv,
    const struct core_reason_code *r, const char *note)
{
	char l0[200], l1[200], l2[200], l3[300], l4[200], amount[40];
	char label[160];
	const char *lines[5] = { l0, l1, l2, l3, l4 };

	ui_money(cv->c.amount_fen, amount, sizeof amount);
	snprintf(l0, sizeof l0, "Application %" PRId64 ", %s, %s, %d months",
	    cv->id, cv->c.name, amount, cv->c.term_months);
	snprintf(l1, sizeof l1, "Status: %s -> %s",
	    core_app_status_sql(cv->c.status),
	    core_app_status_sql(core_decision_outcome(d)));
	if (pv->overrides_model || pv->rules_text[0] != '\0') {
		size_t l = strlen(l1);

		snprintf(l1 + l, sizeof l1 - l, "  (%s%s%s%s%s)",
		    pv->overrides_model ? "overrides model: " : "",
		    pv->overrides_model ?
		    core_app_status_sql(cv->c.recommendation) : "",
		    pv->overrides_model && pv->rules_text[0] ? "; " : "",
		    pv->rules_text[0] ? "rules " : "", pv->rules_text);
	}
	snprintf(l2, sizeof l2, "Reason: %s %s", r->code, r->text_zh);
	snprintf(l3, sizeof l3, "Note: %s", note[0] ? note : "(none)");
	if (pv->second_officer)
		snprintf(l4, sizeof l4, "A second officer must confirm it: "
		    "it waits in the review queue.");
	else if (d == CORE_APPROVE)
		snprintf(l4, sizeof l4, "A payout request of %s follows; "
		    "finance releases it (four eyes).", amount);
	else if (d == CORE_REJECT)
		snprintf(l4, sizeof l4, "%s", r->disclosed ?
		    "No money moves; the applicant is told the reason." :
		    "No money moves; the applicant is not told this reason.");
	else
		snprintf(l4, sizeof l4, "The case joins the review queue "
		    "for a second officer.");
	snprintf(label, sizeof label, "%s application %" PRId64 "?",
	    core_decision_verb(d), cv->id);
	return ui_confirm(ui, label, lines, 5);
}

/*
 * The database's preview (whether it will take the decision, and on
 * what), the reason picker, the note and the confirmation, then the call.
 */
static void
decide(struct ui *ui, struct casev *cv, enum core_decision d)
{
	const char *dname = core_decision_name(d);
	const struct core_reason_code *r;
	struct core_decision_preview pv;
	char note[256] = "";
	enum core_app_status now;
	struct ld_err err;
	enum ld_status st;
	int pick;

	if (!cv->loaded) {
		ui_status(ui, "no case open");
		return;
	}
	ld_err_clear(&err);
	st = core_decision_preview(core_session_primary(ui->sess), cv->id, d,
	    &pv, &err);
	if (st != LD_OK) {
		ui_report(ui, dname, st, err.msg);
		return;
	}
	if (!pv.allowed) {
		ui_status_error(ui, "%s: %s", dname, pv.why);
		return;
	}
	if (!reasons_ready(ui, cv))
		return;
	if ((pick = pick_reason(ui, cv, d)) < 0 ||
	    !ask_note(ui, cv, &pv, note, sizeof note)) {
		ui_status(ui, "%s: cancelled", dname);
		return;
	}
	r = &cv->reasons.v[pick];
	if (!confirm_decision(ui, cv, d, &pv, r, note)) {
		ui_status(ui, "%s: cancelled, nothing changed", dname);
		return;
	}
	ld_err_clear(&err);
	st = core_application_decide(core_session_primary(ui->sess), cv->id,
	    d, r->code, note[0] ? note : NULL, &now, &err);
	if (st != LD_OK) {
		ui_report(ui, dname, st, err.msg);
		return;
	}
	ui_status(ui, "application %" PRId64 ": %s with %s; status now %s",
	    cv->id, dname, r->code, core_app_status_sql(now));
	load(ui, cv, cv->id);
}

/*
 * Opens the selected linked application.  Jumping is a step the officer
 * can go back from, to the same pane and row.
 */
static void
follow_link(struct ui *ui, struct casev *cv, int sel)
{
	int64_t id = cv->c.links[sel].id;
	struct case_place *here;

	ui_timing_start(ui, "case_open");
	if (cv->nhist == CASE_HISTORY) {
		memmove(cv->hist, cv->hist + 1,
		    sizeof cv->hist - sizeof cv->hist[0]);
		cv->nhist--;
	}
	here = &cv->hist[cv->nhist++];
	here->id = cv->id;
	here->pane = cv->pane;
	memcpy(here->sel, cv->sel, sizeof here->sel);
	memcpy(here->scroll, cv->scroll, sizeof here->scroll);
	if (load(ui, cv, id) == 0)
		ui_status(ui, "linked from %" PRId64 " (q goes back to it)",
		    here->id);
	else
		cv->nhist--;
}

/* Back to the case a link was followed from, its pane and rows. */
static void
go_back(struct ui *ui, struct casev *cv)
{
	const struct case_place *back = &cv->hist[--cv->nhist];

	if (load(ui, cv, back->id) == 0) {
		/* Rows past a list that shrank are clamped on draw. */
		cv->pane = back->pane;
		memcpy(cv->sel, back->sel, sizeof cv->sel);
		memcpy(cv->scroll, back->scroll, sizeof cv->scroll);
	}
}

static int
case_action(struct ui *ui, void *st, int action)
{
	struct casev *cv = st;
	int *sel = &cv->sel[cv->pane];
	struct ui_move m = ui_move_of(action, cv->body);

	if (!cv->loaded) {
		if (action < UI_ACT_SCREEN)
			return 0;
		ui_status(ui, "no case open: pick one in the list (1)");
		return 1;
	}
	/* The moving keys move in the pane shown. */
	if (m.to != UI_MOVE_NONE) {
		ui_cursor_move(sel, pane_len(cv, cv->pane), m);
		return 1;
	}
	switch (action) {
	case UI_ACT_NEXT_PANE:
		cv->pane = (enum pane)((cv->pane + 1) % PANE_COUNT);
		return 1;
	case UI_ACT_PREV_PANE:
		cv->pane = (enum pane)((cv->pane + PANE_COUNT - 1) %
		    PANE_COUNT);
		return 1;
	case CASE_PANE1:
	case CASE_PANE2:
	case CASE_PANE3:
	case CASE_PANE4:
	case CASE_PANE5:
	case CASE_PANE6:
		cv->pane = (enum pane)(action - CASE_PANE1);
		return 1;
	case UI_ACT_OPEN:
		if (cv->pane == PANE_LINKS && *sel < (int)cv->c.nlinks)
			follow_link(ui, cv, *sel);
		else
			ui_status(ui, "Enter opens a linked application (Tab "
			    "to Linked)");
		return 1;
	case UI_ACT_BACK:
		if (cv->nhist == 0)
			return 0;
		go_back(ui, cv);
		return 1;
	case UI_ACT_RELOAD:
		load(ui, cv, cv->id);
		ui_status(ui, "case %" PRId64 " reloaded", cv->id);
		return 1;
	case CASE_APPROVE:
		decide(ui, cv, CORE_APPROVE);
		return 1;
	case CASE_REJECT:
		decide(ui, cv, CORE_REJECT);
		return 1;
	case CASE_REVIEW:
		decide(ui, cv, CORE_REVIEW);
		return 1;
	default:
		return 0;
	}
}

static const char *
case_refusal(struct ui *ui, void *st, int action)
{
	struct casev *cv = st;
	enum core_decision d;

	(void)ui;
	switch (action) {
	case CASE_APPROVE:
		d = CORE_APPROVE;
		break;
	case CASE_REJECT:
		d = CORE_REJECT;
		break;
	case CASE_REVIEW:
		d = CORE_REVIEW;
		break;
	default:
		return NULL;
	}
	return core_decision_refusal(d, cv->loaded ? cv->c.status :
	    CORE_APP_NONE);
}

/*
 * What a bar measures: scorecard points when every row has them, else
 * -phi (log-odds, same sign convention), never a mix of the two units.
 */
static double
contribution_impact(const struct core_contribution *k, int use_points)
{
	return use_points ? k->points : -k->phi;
}

static int
all_have_points(const struct core_case *c)
{
	size_t i;

	for (i = 0; i < c->ncontribs; i++)
		if (!c->contribs[i].has_points)
			return 0;
	return 1;
}

#define CONTRIB_BAR_MAX 61 /* wider bars resolve nothing more */
#define CONTRIB_BAR_MIN 15 /* room a long name may not take */

/*
 * The current pane laid out for the terminal, once per frame: headings
 * and every row come from it.  For the contributions also the bar, a
 * signed bar around an axis: half columns, the axis, half.
 */
struct pane_view {
	struct ui_layout l;
	int bar_x, half;
	int axis_x;          /* bar_x + half, or -1 when there is no bar */
	int use_points;
	double max;          /* the largest |impact|: a whole half */
};

static void
pane_view(const struct casev *cv, int cols, struct pane_view *v)
{
	const struct core_case *c = &cv->c;
	int w[UI_TABLE_MAX], i, fixed;
	size_t k;
	struct ui_column *col;

	memset(v, 0, sizeof *v);
	v->axis_x = -1;
	if (cv->pane != PANE_CONTRIBS) {
		ui_table_layout(&panes[cv->pane].table, NULL, 0, 0, cols,
		    &v->l);
		return;
	}
	/*
	 * FEATURE as wide as the longest name, so names sharing a start
	 * (declared_contacts_overdue, ..._ratio) are told apart; only a
	 * narrow screen cuts them, and the detail area shows them whole.
	 */
	fixed = panes[PANE_CONTRIBS].table.x0 + 1;
	for (i = 0; i < NCOLS(contrib_cols); i++) {
		w[i] = contrib_cols[i].width;
		if (i != CO_FEATURE && i != CO_BAR)
			fixed += w[i] + 1;
	}
	for (k = 0; k < c->ncontribs; k++)
		if (ui_text_width(c->contribs[k].feature) > w[CO_FEATURE])
			w[CO_FEATURE] = ui_text_width(c->contribs[k].feature);
	if (w[CO_FEATURE] > cols - fixed - CONTRIB_BAR_MIN)
		w[CO_FEATURE] = cols - fixed - CONTRIB_BAR_MIN;
	if (w[CO_FEATURE] < contrib_cols[CO_FEATURE].width)
		w[CO_FEATURE] = contrib_cols[CO_FEATURE].width;
	ui_table_layout(&panes[PANE_CONTRIBS].table, w, 0, 0, cols, &v->l);
	if ((col = ui_layout_find(&v->l, CO_BAR)) != NULL) {
		int barw = col->width < CONTRIB_BAR_MAX ? col->width :
		    CONTRIB_BAR_MAX;

		v->bar_x = col->x;
		v->half = barw > 8 ? (barw - 1) / 2 : 0;
		v->axis_x = v->half > 0 ? v->bar_x + v->half : -1;
	}
	v->use_points = all_have_points(c);
	for (k = 0; k < c->ncontribs; k++) {
		double m = fabs(contribution_impact(&c->contribs[k],
		    v->use_points));

		if (m > v->max)
			v->max = m;
	}
}

/*
 * v with a sign and the decimals given, except that a value printed as
 * all zeros is printed as plain zero: "-0.0" says a direction there is
 * none of.
 */
static void
signed_fixed(double v, int decimals, char *buf, size_t len)
{
	snprintf(buf, len, "%+.*f", decimals, v);
	if (buf[strspn(buf, "+-0.")] == '\0')
		snprintf(buf, len, "%.*f", decimals, 0.0);
}

/* A signed bar around the view's axis: works without colour. */
static void
draw_bar(struct ui *ui, int y, const struct pane_view *v, double val)
{
	int half = v->half, len, i;
	char buf[512];
	size_t o = 0;
	const char *block = ui->utf8 ? "\xe2\x96\x88" : "#";
	const char *axis = ui->utf8 ? "\xe2\x94\x82" : "|";

	if (half < 1 || v->max <= 0)
		return;
	len = (int)lround(fabs(val) / v->max * half);
	if (len == 0 && val != 0)
		len = 1;
	if (len > half)
		len = half;
	for (i = 0; i < half && o + 4 < sizeof buf; i++) {
		const char *c = val < 0 && i >= half - len ? block : " ";

		memcpy(buf + o, c, strlen(c));
		o += strlen(c);
	}
	memcpy(buf + o, axis, strlen(axis));
	o += strlen(axis);
	for (i = 0; i < half && o + 4 < sizeof buf; i++) {
		const char *c = val > 0 && i < len ? block : " ";

		memcpy(buf + o, c, strlen(c));
		o += strlen(c);
	}
	buf[o] = '\0';
	ui_put(ui, y, v->bar_x, 2 * half + 1, UI_LEFT, val < 0 ? UI_S_BAD :
	    UI_S_GOOD, buf);
}

static void
draw_contribution(struct ui *ui, struct casev *cv, struct pane_view *v,
    int i, int y, enum ui_style s)
{
	const struct core_contribution *k = &cv->c.contribs[i];
	char buf[40];

	ui_put_col(ui, y, &v->l, CO_FEATURE, s, k->feature);
	core_contribution_value_format(k, buf, sizeof buf);
	ui_put_col(ui, y, &v->l, CO_VALUE, k->missing && s == UI_S_NORMAL ?
	    UI_S_WARN : s, buf);
	if (k->has_points)
		signed_fixed(k->points, 1, buf, sizeof buf);
	else
		snprintf(buf, sizeof buf, "-");
	ui_put_col(ui, y, &v->l, CO_POINTS, s, buf);
	signed_fixed(k->phi, 4, buf, sizeof buf);
	ui_put_col(ui, y, &v->l, CO_PHI, s, buf);
	if (v->axis_x >= 0)
		draw_bar(ui, y, v, contribution_impact(k, v->use_points));
}

/* A schedule row, or with i == n the totals (in the heading's style). */
static void
draw_schedule_row(struct ui *ui, struct casev *cv, struct pane_view *v,
    int i, int y, enum ui_style s)
{
	const struct core_schedule *sc = &cv->sched;
	char buf[40];

	if (i == sc->n) {
		struct ui_column *c = ui_layout_find(&v->l, SC_PERIOD);

		if (c != NULL)
			ui_put(ui, y, c->x, c->width, UI_LEFT, UI_S_HEADER,
			    "total");
		ui_money(sc->principal, buf, sizeof buf);
		ui_put_col(ui, y, &v->l, SC_PRINCIPAL, UI_S_HEADER, buf);
		ui_money(sc->total_interest, buf, sizeof buf);
		ui_put_col(ui, y, &v->l, SC_INTEREST, UI_S_HEADER, buf);
		ui_money(sc->total_fees, buf, sizeof buf);
		ui_put_col(ui, y, &v->l, SC_FEES, UI_S_HEADER, buf);
		ui_money(sc->total_paid, buf, sizeof buf);
		ui_put_col(ui, y, &v->l, SC_PAYMENT, UI_S_HEADER, buf);
		return;
	}
	snprintf(buf, sizeof buf, "%d", sc->rows[i].period);
	ui_put_col(ui, y, &v->l, SC_PERIOD, s, buf);
	ui_money(sc->rows[i].principal, buf, sizeof buf);
	ui_put_col(ui, y, &v->l, SC_PRINCIPAL, s, buf);
	ui_money(sc->rows[i].interest, buf, sizeof buf);
	ui_put_col(ui, y, &v->l, SC_INTEREST, s, buf);
	ui_money(sc->rows[i].fee, buf, sizeof buf);
	ui_put_col(ui, y, &v->l, SC_FEES, s, buf);
	ui_money(sc->rows[i].payment, buf, sizeof buf);
	ui_put_col(ui, y, &v->l, SC_PAYMENT, s, buf);
	ui_money(sc->rows[i].balance, buf, sizeof buf);
	ui_put_col(ui, y, &v->l, SC_BALANCE, s, buf);
}

static void
draw_pane_line(struct ui *ui, struct casev *cv, struct pane_view *v, int i,
    int y, int cols, int selected)
{
	const struct core_case *c = &cv->c;
	enum ui_style s = selected ? UI_S_SELECTED : UI_S_NORMAL;
	char buf[512], a[40];

	if (selected)
		ui_fill(ui, y, 0, cols, UI_S_SELECTED);
	switch (cv->pane) {
	case PANE_REASONS: {
		const struct core_reason *r = &c->reasons[i];

		snprintf(a, sizeof a, "%d.", i + 1);
		ui_put_col(ui, y, &v->l, RE_N, s, a);
		ui_put_col(ui, y, &v->l, RE_CODE, s, r->code);
		ui_put_col(ui, y, &v->l, RE_FEATURE, s, r->feature);
		snprintf(buf, sizeof buf, "%s / %s", r->text_zh, r->text_en);
		ui_put_col(ui, y, &v->l, RE_TEXT, s, buf);
		break;
	}
	case PANE_CONTRIBS:
		draw_contribution(ui, cv, v, i, y, s);
		break;
	case PANE_RULES: {
		const struct core_rule_hit *r = &c->rules[i];

		ui_put_col(ui, y, &v->l, RU_ID, s, r->id);
		snprintf(a, sizeof a, "v%s", r->version);
		ui_put_col(ui, y, &v->l, RU_VERSION, s, a);
		ui_put_col(ui, y, &v->l, RU_ACTION, s, r->action);
		snprintf(buf, sizeof buf, "%s%s%s%s", r->text,
		    r->inputs[0] ? "  (" : "", r->inputs,
		    r->inputs[0] ? ")" : "");
		ui_put_col(ui, y, &v->l, RU_TEXT, s, buf);
		break;
	}
	case PANE_LINKS: {
		const struct core_link *l = &c->links[i];

		ui_put_col(ui, y, &v->l, LI_VIA, s, l->via);
		snprintf(a, sizeof a, "%" PRId64, l->id);
		ui_put_col(ui, y, &v->l, LI_ID, s, a);
		ui_put_col(ui, y, &v->l, LI_NAME, s, l->name);
		ui_money(l->amount_fen, a, sizeof a);
		ui_put_col(ui, y, &v->l, LI_AMOUNT, s, a);
		ui_put_col(ui, y, &v->l, LI_SUBMITTED, s, l->submitted);
		ui_put_col(ui, y, &v->l, LI_STATUS, s,
		    core_app_status_sql(l->status));
		break;
	}
	case PANE_SCHEDULE:
		draw_schedule_row(ui, cv, v, i, y, s);
		break;
	case PANE_TIMELINE: {
		const struct core_event *e = &c->events[i];

		ui_put_col(ui, y, &v->l, EV_AT, s, e->at);
		ui_put_col(ui, y, &v->l, EV_ACTOR, s, e->actor);
		ui_put_col(ui, y, &v->l, EV_ACTION, s, e->action);
		ui_put_col(ui, y, &v->l, EV_DETAIL, s, e->detail);
		break;
	}
	default:
		break;
	}
}

/*
 * Row i of the current pane in full, for the detail area under the pane:
 * what a column cuts (a rule's inputs, a note, a long name) is read
 * there.  "" for the schedule, whose rows have nothing to cut.
 */
static void
pane_detail(const struct casev *cv, int i, char *buf, size_t len)
{
	const struct core_case *c = &cv->c;
	char a[40], b[40], d[40];

	buf[0] = '\0';
	switch (cv->pane) {
	case PANE_REASONS: {
		const struct core_reason *r = &c->reasons[i];

		snprintf(buf, len, "%d. %s (%s): %s / %s", i + 1, r->code,
		    r->feature[0] ? r->feature : "-", r->text_zh, r->text_en);
		break;
	}
	case PANE_CONTRIBS: {
		const struct core_contribution *k = &c->contribs[i];
		const char *label = core_feature_label(k->feature);
		double p = contribution_impact(k, all_have_points(c));

		core_contribution_value_format(k, a, sizeof a);
		if (k->has_points) {
			signed_fixed(k->points, 1, d, sizeof d);
			snprintf(b, sizeof b, "%s points, ", d);
		} else
			b[0] = '\0';
		signed_fixed(k->phi, 4, d, sizeof d);
		snprintf(buf, len, "%s = %s: %sphi %s, %s%s%s", k->feature, a,
		    b, d, p < 0 ? "lowers the score" : p > 0 ?
		    "raises the score" : "no effect on the score",
		    label != NULL ? " \xe2\x80\x94 " : "",
		    label != NULL ? label : "");
		break;
	}
	case PANE_RULES: {
		const struct core_rule_hit *r = &c->rules[i];

		snprintf(buf, len, "%s v%s %s: %s%s%s%s", r->id, r->version,
		    r->action, r->text, r->inputs[0] ? "  (" : "", r->inputs,
		    r->inputs[0] ? ")" : "");
		break;
	}
	case PANE_LINKS: {
		const struct core_link *l = &c->links[i];

		ui_money(l->amount_fen, a, sizeof a);
		snprintf(buf, len, "%" PRId64 " %s, linked by %s: %s, submitted "
		    "%s, %s (Enter opens it)", l->id, l->name, l->via, a,
		    l->submitted, core_app_status_sql(l->status));
		break;
	}
	case PANE_TIMELINE: {
		const struct core_event *e = &c->events[i];

		snprintf(buf, len, "#%" PRId64 " %s %s %s %s: %s", e->id, e->at,
		    e->actor, e->action, e->object, e->detail[0] ? e->detail :
		    "(no detail)");
		break;
	}
	default:
		break;
	}
}

/*
 * The detail area's height for the current pane: as many lines as its
 * longest row's full text needs, so the list does not jump as the
 * selection moves; up to the rows a short list leaves free, else a
 * quarter of the body (at least two lines), and never so many that
 * fewer than three rows of the list remain.
 */
static int
detail_lines(const struct casev *cv, int len, int width, int body)
{
	char buf[4096];
	int i, need = 0, cap = body / 4 > 2 ? body / 4 : 2;

	if (cv->pane == PANE_SCHEDULE || width < 10)
		return 0;
	if (body - len > cap)
		cap = body - len;
	if (cap > body - (len < 3 ? len : 3))
		cap = body - (len < 3 ? len : 3);
	if (cap < 1)
		return 0;
	for (i = 0; i < len && need < cap; i++) {
		int n;

		pane_detail(cv, i, buf, sizeof buf);
		if ((n = ui_text_wrap_lines(buf, width, cap)) > need)
			need = n;
	}
	return need;
}

/* The contributions' heading: the columns, and the bar's axis named. */
static void
contrib_heading(struct ui *ui, const struct pane_view *v, int y)
{
	/* Longest first: the words fall away before the signs do. */
	static const char *const lowers[] = { "- lowers score", "- lowers",
		"-" };
	static const char *const raises[] = { "raises score +", "raises +",
		"+" };
	size_t k;
	int i;

	for (i = 0; i < v->l.n; i++)
		if (v->l.col[i] != CO_BAR)
			ui_put_cell(ui, y, &v->l.c[i], UI_S_HEADER,
			    v->l.c[i].title);
	if (v->axis_x < 0)
		return;
	/* Each word a space away from the axis, on its own side. */
	for (k = 0; k < sizeof lowers / sizeof lowers[0]; k++) {
		int w = ui_text_width(lowers[k]);

		if (w + 1 <= v->half) {
			ui_put(ui, y, v->axis_x - 1 - w, w, UI_LEFT,
			    UI_S_HEADER, lowers[k]);
			break;
		}
	}
	ui_put(ui, y, v->axis_x, 1, UI_LEFT, UI_S_HEADER, "|");
	for (k = 0; k < sizeof raises / sizeof raises[0]; k++) {
		int w = ui_text_width(raises[k]);

		if (w + 1 <= v->half) {
			ui_put(ui, y, v->axis_x + 2, w, UI_LEFT, UI_S_HEADER,
			    raises[k]);
			break;
		}
	}
}

static void
pane_heading(struct ui *ui, struct casev *cv, struct pane_view *v, int y)
{
	struct ui_column *at;
	char title[64];

	if (cv->pane == PANE_CONTRIBS) {
		contrib_heading(ui, v, y);
		return;
	}
	/* Times carry their zone. */
	if (cv->pane == PANE_TIMELINE &&
	    (at = ui_layout_find(&v->l, EV_AT)) != NULL) {
		snprintf(title, sizeof title, "%s %s",
		    event_cols[EV_AT].title, ui->op.tz_label);
		at->title = title;
	}
	ui_put_headings(ui, y, &v->l);
}

/* A piece of the header: wraps as a whole onto the next line. */
struct seg {
	const char *text;
	enum ui_style style;
};

#define HEAD_INDENT 8

/*
 * Draws segs from column x on line y, three spaces apart; a segment that
 * does not fit starts a new line at column indent.  Returns the lines
 * used.
 */
static int
flow(struct ui *ui, int y, int x, int indent, int cols,
    const struct seg *segs, int n)
{
	int i, lines = 1, w, first = 1;

	for (i = 0; i < n; i++) {
		w = ui_text_width(segs[i].text);
		if (!first && x + 3 + w > cols) {
			lines++;
			y++;
			x = indent;
			first = 1;
		}
		if (!first)
			x += 3;
		ui_put(ui, y, x, w < cols - x ? w : cols - x, UI_LEFT,
		    segs[i].style, segs[i].text);
		x += w;
		first = 0;
	}
	return lines;
}

/* A labelled header line ("Amount  ..."): the lines it took. */
static int
head_line(struct ui *ui, int y, int cols, const char *label,
    const struct seg *segs, int n)
{
	ui_put(ui, y, 0, HEAD_INDENT, UI_LEFT, UI_S_DIM, label);
	return flow(ui, y, HEAD_INDENT, HEAD_INDENT, cols, segs, n);
}

/* "Case 42  name  ID ...  Phone ...  Applicant 7". */
static int
head_who(struct ui *ui, const struct core_case *c, int y, int cols)
{
	struct seg sg[4];
	char title[48], id[80], phone[200], applicant[80];

	snprintf(title, sizeof title, "Case %" PRId64, c->id);
	ui_put(ui, y, 0, ui_text_width(title), UI_LEFT, UI_S_HEADER, title);
	snprintf(id, sizeof id, "ID %s", c->id_no);
	snprintf(phone, sizeof phone, "Phone %s", c->phone);
	snprintf(applicant, sizeof applicant, "Applicant %" PRId64,
	    c->applicant_id);
	sg[0] = (struct seg){ c->name, UI_S_NORMAL };
	sg[1] = (struct seg){ id, UI_S_NORMAL };
	sg[2] = (struct seg){ phone, UI_S_NORMAL };
	sg[3] = (struct seg){ applicant, UI_S_NORMAL };
	return flow(ui, y, ui_text_width(title) + 1, HEAD_INDENT, cols, sg, 4);
}

/*
 * The APR as a percentage, and which side of the legal lines it falls
 * (core_apr.h): "42.00% (OVER 36%: void)".
 */
static void
apr_text(const struct casev *cv, char *buf, size_t len)
{
	long bps, line;

	if (!cv->apr_ok) {
		snprintf(buf, len, "n/a");
		return;
	}
	bps = lround(cv->apr * 10000.0);
	line = core_apr_line_bps(core_apr_classify(bps)) / 100;
	switch (core_apr_classify(bps)) {
	case CORE_APR_VOID:
		snprintf(buf, len, "%ld.%02ld%% (OVER %ld%%: void)", bps / 100,
		    bps % 100, line);
		break;
	case CORE_APR_OVER:
		snprintf(buf, len, "%ld.%02ld%% (over %ld%%)", bps / 100,
		    bps % 100, line);
		break;
	default:
		snprintf(buf, len, "%ld.%02ld%%", bps / 100, bps % 100);
		break;
	}
}

/*
 * What the borrower receives and pays besides interest: "paid out
 * ¥9,500.00 (fee ¥500.00 upfront, ¥10.00 a month)"; "" without fees.
 */
static void
fees_text(const struct core_case *c, char *buf, size_t len)
{
	char out[40], up[40], month[40];

	buf[0] = '\0';
	if (c->upfront_fee_fen <= 0 && c->monthly_fee_fen <= 0)
		return;
	ui_money(c->amount_fen - c->upfront_fee_fen, out, sizeof out);
	ui_money(c->upfront_fee_fen, up, sizeof up);
	ui_money(c->monthly_fee_fen, month, sizeof month);
	if (c->upfront_fee_fen > 0 && c->monthly_fee_fen > 0)
		snprintf(buf, len, "paid out %s (fee %s upfront, %s a month)",
		    out, up, month);
	else if (c->upfront_fee_fen > 0)
		snprintf(buf, len, "paid out %s (fee %s upfront)", out, up);
	else
		snprintf(buf, len, "paid out %s (fee %s a month)", out, month);
}

static int
head_money(struct ui *ui, const struct casev *cv, int y, int cols)
{
	const struct core_case *c = &cv->c;
	struct seg sg[6];
	char amount[40], term[80], apr[80], rate[48], product[64], a[48];
	char fees[160];
	int n = 0;

	ui_money(c->amount_fen, amount, sizeof amount);
	fees_text(c, fees, sizeof fees);
	snprintf(term, sizeof term, "Term %d months (%s)", c->term_months,
	    c->repayment);
	apr_text(cv, a, sizeof a);
	snprintf(apr, sizeof apr, "APR (IRR) %s", a);
	snprintf(rate, sizeof rate, "nominal %d.%02d%%", c->rate_bps / 100,
	    c->rate_bps % 100);
	snprintf(product, sizeof product, "Product %s", c->product);
	sg[n++] = (struct seg){ amount, UI_S_HEADER };
	if (fees[0] != '\0')
		sg[n++] = (struct seg){ fees, UI_S_NORMAL };
	sg[n++] = (struct seg){ term, UI_S_NORMAL };
	sg[n++] = (struct seg){ apr, UI_S_NORMAL };
	sg[n++] = (struct seg){ rate, UI_S_NORMAL };
	sg[n++] = (struct seg){ product, UI_S_NORMAL };
	return head_line(ui, y, cols, "Amount", sg, n);
}

/* Where the decision stands: awaited since when, or taken by whom. */
static void
decision_text(struct ui *ui, const struct core_case *c, char *buf,
    size_t len)
{
	char wait[32], at[64];

	core_format_duration(c->waiting_s, wait, sizeof wait);
	snprintf(at, sizeof at, "%s%s%s", c->decided_at,
	    c->decided_at[0] ? " " : "", c->decided_at[0] ?
	    ui->op.tz_label : "");
	/*
	 * Said from when, as the review queue's WAITING counts from the
	 * review's opening instead.
	 */
	if (c->pending && c->review_id != 0) {
		char rwait[32];

		core_format_duration(c->review_age_s, rwait, sizeof rwait);
		snprintf(buf, len, "Waiting %s since submission, in review %s",
		    wait, rwait);
	} else if (c->pending)
		snprintf(buf, len, "Waiting %s since submission", wait);
	else if (c->decided)
		snprintf(buf, len, "Decided %s%sby %s (%s), %s after "
		    "submission", at, at[0] ? " " : "",
		    c->decided_by[0] ? c->decided_by : "?",
		    c->decision_reason[0] ? c->decision_reason : "-", wait);
	else if (at[0] != '\0')
		snprintf(buf, len, "Decided by the model %s, %s after "
		    "submission", at, wait);
	else
		snprintf(buf, len, "Decided by the model");
}

static int
head_status(struct ui *ui, const struct core_case *c, int y, int cols)
{
	struct seg sg[4];
	char decided[200], assignee[80], submitted[80];

	/* Waiting only while a decision is awaited. */
	decision_text(ui, c, decided, sizeof decided);
	snprintf(assignee, sizeof assignee, "Assignee %s", c->assignee[0] ?
	    c->assignee : "-");
	snprintf(submitted, sizeof submitted, "Submitted %s %s", c->submitted,
	    ui->op.tz_label);
	sg[0] = (struct seg){ core_app_status_sql(c->status),
	    c->status == CORE_APP_MANUAL_REVIEW ? UI_S_WARN : UI_S_NORMAL };
	sg[1] = (struct seg){ decided, UI_S_NORMAL };
	sg[2] = (struct seg){ assignee, UI_S_NORMAL };
	sg[3] = (struct seg){ submitted, UI_S_NORMAL };
	return head_line(ui, y, cols, "Status", sg, 4);
}

static int
head_score(struct ui *ui, const struct core_case *c, int y, int cols)
{
	struct seg sg[5];
	char score[48], pd[48], rec[200], model[120], at[64], rules[160];
	size_t nrules;
	int n = 0;

	if (!c->scored) {
		sg[n++] = (struct seg){ "not scored yet", UI_S_DIM };
		return head_line(ui, y, cols, "Score", sg, n);
	}
	snprintf(score, sizeof score, "%d %s", c->points, c->band);
	sg[n++] = (struct seg){ score, UI_S_HEADER };
	snprintf(pd, sizeof pd, "PD %d.%02d%%", c->pd_bps / 100,
	    c->pd_bps % 100);
	sg[n++] = (struct seg){ pd, UI_S_NORMAL };
	/*
	 * The policy's recommendation (rules, then the model's thresholds),
	 * naming the rule when one decided it: a high PD recommended for
	 * review is a rule's doing.
	 */
	nrules = core_case_deciding_rules(c, rules, sizeof rules);
	snprintf(rec, sizeof rec, "Recommended %s%s%s%s",
	    c->recommendation != CORE_APP_NONE ?
	    core_app_status_sql(c->recommendation) : "-",
	    nrules > 0 ? (nrules > 1 ? " (rules " : " (rule ") : "",
	    nrules > 0 ? rules : "", nrules > 0 ? ")" : "");
	sg[n++] = (struct seg){ rec, UI_S_NORMAL };
	if (c->score_hidden)
		snprintf(model, sizeof model, "Model (not shown to this role)");
	else
		snprintf(model, sizeof model, "Model %s %s",
		    c->model_name[0] ? c->model_name : "?", c->model_version);
	sg[n++] = (struct seg){ model, c->score_hidden ? UI_S_DIM :
	    UI_S_NORMAL };
	if (c->scored_at[0] != '\0') {
		snprintf(at, sizeof at, "Scored %s %s", c->scored_at,
		    ui->op.tz_label);
		sg[n++] = (struct seg){ at, UI_S_NORMAL };
	}
	return head_line(ui, y, cols, "Score", sg, n);
}

/* The pane tabs, "[Reasons 3]  Contributions 6 ..."; one line. */
static void
draw_tabs(struct ui *ui, const struct casev *cv, int y)
{
	int x, i;

	for (x = 0, i = 0; i < PANE_COUNT; i++) {
		char tab[48];
		int w;

		snprintf(tab, sizeof tab, i == (int)cv->pane ? "[%s %d]" :
		    " %s %d ", panes[i].name, pane_len(cv, (enum pane)i) -
		    (i == PANE_SCHEDULE && cv->sched_ok ? 1 : 0));
		w = ui_text_width(tab);
		ui_put(ui, y, x, w, UI_LEFT, i == (int)cv->pane ?
		    UI_S_SELECTED : UI_S_DIM, tab);
		/* The tabs' own padding separates them: 80 columns hold all. */
		x += w;
	}
}

/* Why a pane has no rows. */
static const char *
pane_empty(const struct casev *cv)
{
	const struct core_case *c = &cv->c;

	if (cv->pane == PANE_SCHEDULE)
		return cv->sched_err;
	if (cv->pane == PANE_CONTRIBS || cv->pane == PANE_RULES ||
	    cv->pane == PANE_REASONS)
		return !c->scored ? "not scored yet" : c->score_hidden ?
		    "not visible to this role" : "none for this score";
	return "nothing here";
}

/*
 * The current pane from line y in rows lines: its heading, its rows,
 * and the selected row in full at the bottom.
 */
static void
draw_pane(struct ui *ui, struct casev *cv, int y, int rows, int cols)
{
	struct pane_view v;
	int len = pane_len(cv, cv->pane), body = rows - 1, dl, i;
	int *sel = &cv->sel[cv->pane], *scroll = &cv->scroll[cv->pane];

	pane_view(cv, cols, &v);
	pane_heading(ui, cv, &v, y);
	y++;
	ui->cursor_y = y;
	if (len == 0) {
		cv->body = body;
		ui_put(ui, y, 2, cols - 4, UI_LEFT, UI_S_DIM, pane_empty(cv));
		return;
	}
	dl = detail_lines(cv, len, cols - 1, body);
	body -= dl;
	cv->body = body;
	if (*sel >= len)
		*sel = len - 1;
	ui_cursor_show(scroll, *sel, len, body);
	for (i = 0; i < body && *scroll + i < len; i++) {
		int k = *scroll + i;

		if (k == *sel)
			ui->cursor_y = y + i;
		draw_pane_line(ui, cv, &v, k, y + i, cols, k == *sel);
	}
	if (dl > 0) {
		char detail[4096];

		pane_detail(cv, *sel, detail, sizeof detail);
		ui_put_wrapped(ui, y + body, 1, cols - 1, dl, UI_S_DIM,
		    detail);
	}
}

static void
case_draw(struct ui *ui, void *st, int top, int rows)
{
	struct casev *cv = st;
	int cols = ui_cols(), y = top;

	if (!cv->loaded) {
		ui_put(ui, top + 1, 2, cols - 4, UI_LEFT, UI_S_DIM,
		    "No case open.  Press 1 for the list and Enter on an "
		    "application.");
		return;
	}
	/* The header: four labelled lines, each wrapping when narrow. */
	y += head_who(ui, &cv->c, y, cols);
	y += head_money(ui, cv, y, cols);
	y += head_status(ui, &cv->c, y, cols);
	y += head_score(ui, &cv->c, y, cols);
	draw_tabs(ui, cv, y);
	y++;
	draw_pane(ui, cv, y, rows - (y - top), cols);
}

static void
case_position(struct ui *ui, void *st, char *buf, size_t len)
{
	struct casev *cv = st;

	(void)ui;
	if (cv->loaded)
		snprintf(buf, len, "%s", panes[cv->pane].name);
	else
		buf[0] = '\0';
}

const struct ui_screen ui_screen_case = {
	.name = "Case",
	.keys = case_keys,
	.create = case_create,
	.destroy = case_destroy,
	.enter = case_enter,
	.draw = case_draw,
	.action = case_action,
	.refusal = case_refusal,
	.command = NULL,
	.filter = NULL,
	.changed = case_changed,
	.position = case_position,
};
