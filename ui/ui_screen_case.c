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

static const char *const pane_names[PANE_COUNT] = {
	"Reasons", "Contributions", "Rule hits", "Linked", "Schedule",
	"Timeline"
};

/* The tables of the panes: headings and cells come from the same rows. */
enum { RC_VIA, RC_ID, RC_NAME, RC_AMOUNT, RC_SUBMITTED, RC_STATUS,
	RC_OPENS };
static const struct ui_column link_cols[] = {
	{ "VIA", 1, 13, UI_LEFT },
	{ "ID", 15, 9, UI_RIGHT },
	{ "NAME", 26, 10, UI_LEFT },
	{ "AMOUNT", 37, 15, UI_RIGHT },
	{ "SUBMITTED", 54, 11, UI_LEFT },
	{ "STATUS", 66, 14, UI_LEFT },
	{ "(Enter opens)", 81, 0, UI_LEFT },
};

enum { RU_ID, RU_VERSION, RU_ACTION, RU_TEXT };
static const struct ui_column rule_cols[] = {
	{ "RULE", 1, 16, UI_LEFT },
	{ "VERSION", 18, 7, UI_LEFT },
	{ "ACTION", 26, 8, UI_LEFT },
	{ "TEXT", 35, 0, UI_LEFT },
};

enum { EV_AT, EV_ACTOR, EV_ACTION, EV_DETAIL };
static const struct ui_column event_cols[] = {
	{ "AT", 1, 19, UI_LEFT },
	{ "ACTOR", 21, 14, UI_LEFT },
	{ "ACTION", 36, 22, UI_LEFT },
	{ "DETAIL", 59, 0, UI_LEFT },
};

enum { RE_N, RE_CODE, RE_FEATURE, RE_TEXT };
static const struct ui_column reason_cols[] = {
	{ "", 1, 2, UI_RIGHT },
	{ "CODE", 4, 22, UI_LEFT },
	{ "FEATURE", 27, 24, UI_LEFT },
	{ "EXPLANATION", 52, 0, UI_LEFT },
};

#define NCOLS(t) ((int)(sizeof t / sizeof t[0]))

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

static const char *
decision_verb(const char *d)
{
	if (strcmp(d, "approve") == 0)
		return "Approve";
	if (strcmp(d, "reject") == 0)
		return "Reject";
	return "Send to manual review";
}

/* The reason picker, the note and the confirmation, then the call. */
static void
decide(struct ui *ui, struct casev *cv, enum core_decision d)
{
	const char *dname = core_decision_name(d);
	const char **items = NULL;
	int *map = NULL, n = 0, pick, overrides, codew = 4, zhw = 0;
	size_t i;
	char note[256] = "", label[160], amount[40], newstatus[32];
	char l0[200], l1[200], l2[200], l3[300], l4[200];
	const char *lines[5];
	struct core_decision_preview pv;
	struct ld_err err;
	enum ld_status st;

	if (!cv->loaded) {
		ui_status(ui, "no case open");
		return;
	}
	ld_err_clear(&err);
	/* The database says first whether it will take it, and on what. */
	st = core_decision_preview(core_session_primary(ui->sess), cv->id, d, &pv, &err);
	if (st != LD_OK) {
		ui_report(ui, dname, st, err.msg);
		return;
	}
	if (!pv.allowed) {
		ui_status_error(ui, "%s: %s", dname, pv.why);
		return;
	}
	if (!cv->reasons_loaded) {
		st = core_reason_codes_load(core_session_primary(ui->sess),
		    &cv->reasons, &err);
		if (st != LD_OK) {
			ui_report(ui, "reason codes", st, err.msg);
			return;
		}
		cv->reasons_loaded = 1;
	}
	items = ld_calloc(cv->reasons.n + 1, sizeof *items);
	map = ld_calloc(cv->reasons.n + 1, sizeof *map);
	for (i = 0; i < cv->reasons.n; i++) {
		const struct core_reason_code *r = &cv->reasons.v[i];

		if (!core_reason_code_offered(r, dname, cv->c.recommendation))
			continue;
		map[n++] = (int)i;
		if (ui_text_width(r->code) > codew)
			codew = ui_text_width(r->code);
		if (ui_text_width(r->text_zh) > zhw)
			zhw = ui_text_width(r->text_zh);
	}
	for (pick = 0; pick < n; pick++) {
		const struct core_reason_code *r = &cv->reasons.v[map[pick]];
		char code[200], zh[400];

		/*
		 * Columns as wide as the longest code and Chinese text
		 * offered, by display width, so nothing Chinese is cut and
		 * the English lines up; the picker is as wide as its longest
		 * entry up to the screen's width.
		 */
		ui_text_fit(r->code, codew, UI_LEFT, code, sizeof code);
		ui_text_fit(r->text_zh, zhw, UI_LEFT, zh, sizeof zh);
		items[pick] = ld_asprintf("%s %s %s", code, zh, r->text_en);
	}
	snprintf(label, sizeof label, "%s %" PRId64 ": reason code",
	    decision_verb(dname), cv->id);
	pick = ui_pick(ui, label, items, n);
	if (pick < 0) {
		ui_status(ui, "%s: cancelled", dname);
		goto out;
	}
	overrides = pv.note_required;
	for (;;) {
		snprintf(label, sizeof label, "Note%s: ", !overrides ?
		    " (optional)" : pv.overrides_model ?
		    " (required: this overrides the model's recommendation)" :
		    " (required: this overrides a rule)");
		if (!ui_prompt(ui, label, note, sizeof note, NULL, NULL)) {
			ui_status(ui, "%s: cancelled", dname);
			goto out;
		}
		if (!overrides || note[strspn(note, " ")] != '\0')
			break;
		if (pv.overrides_model)
			ui_status_error(ui, "a note is required when "
			    "overriding the model's recommendation (%s)",
			    cv->c.recommendation);
		else
			ui_status_error(ui, "a note is required when "
			    "overriding rules %s", pv.rules_text);
	}
	ui_money(cv->c.amount_fen, amount, sizeof amount);
	snprintf(l0, sizeof l0, "Application %" PRId64 ", %s, %s, %d months",
	    cv->id, cv->c.name, amount, cv->c.term_months);
	snprintf(l1, sizeof l1, "Status: %s -> %s", cv->c.status,
	    core_decision_outcome(dname));
	snprintf(l2, sizeof l2, "Reason: %s %s",
	    cv->reasons.v[map[pick]].code, cv->reasons.v[map[pick]].text_zh);
	snprintf(l3, sizeof l3, "Note: %s", note[0] ? note : "(none)");
	if (pv.second_officer)
		snprintf(l4, sizeof l4, "A second officer must confirm it: "
		    "it waits in the review queue.");
	else if (d == CORE_APPROVE)
		snprintf(l4, sizeof l4, "A payout request of %s follows; "
		    "finance releases it (four eyes).", amount);
	else if (d == CORE_REJECT)
		snprintf(l4, sizeof l4, "%s", cv->reasons.v[map[pick]].disclosed ?
		    "No money moves; the applicant is told the reason." :
		    "No money moves; the applicant is not told this reason.");
	else
		snprintf(l4, sizeof l4, "The case joins the review queue "
		    "for a second officer.");
	if (pv.overrides_model || pv.rules_text[0] != '\0') {
		size_t l = strlen(l1);

		snprintf(l1 + l, sizeof l1 - l, "  (%s%s%s%s%s)",
		    pv.overrides_model ? "overrides model: " : "",
		    pv.overrides_model ? cv->c.recommendation : "",
		    pv.overrides_model && pv.rules_text[0] ? "; " : "",
		    pv.rules_text[0] ? "rules " : "", pv.rules_text);
	}
	lines[0] = l0;
	lines[1] = l1;
	lines[2] = l2;
	lines[3] = l3;
	lines[4] = l4;
	snprintf(label, sizeof label, "%s application %" PRId64 "?",
	    decision_verb(dname), cv->id);
	if (!ui_confirm(ui, label, lines, 5)) {
		ui_status(ui, "%s: cancelled, nothing changed", dname);
		goto out;
	}
	st = core_application_decide(core_session_primary(ui->sess), cv->id, d,
	    cv->reasons.v[map[pick]].code, note[0] ? note : NULL, newstatus,
	    &err);
	if (st != LD_OK) {
		ui_report(ui, dname, st, err.msg);
		goto out;
	}
	ui_status(ui, "application %" PRId64 ": %s with %s; status now %s",
	    cv->id, dname, cv->reasons.v[map[pick]].code, newstatus);
	load(ui, cv, cv->id);
out:
	for (i = 0; i < (size_t)n; i++)
		free((char *)items[i]);
	free(items);
	free(map);
}

static int
case_action(struct ui *ui, void *st, int action)
{
	struct casev *cv = st;
	int len = pane_len(cv, cv->pane), *sel = &cv->sel[cv->pane];
	int page = cv->body > 2 ? cv->body - 1 : 1;

	if (!cv->loaded) {
		if (action < UI_ACT_SCREEN)
			return 0;
		ui_status(ui, "no case open: pick one in the list (1)");
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
	case UI_ACT_DOWN:
		if (*sel + 1 < len)
			(*sel)++;
		return 1;
	case UI_ACT_UP:
		if (*sel > 0)
			(*sel)--;
		return 1;
	case UI_ACT_PGDN:
		*sel = *sel + page < len ? *sel + page :
		    (len > 0 ? len - 1 : 0);
		return 1;
	case UI_ACT_PGUP:
		*sel = *sel > page ? *sel - page : 0;
		return 1;
	case UI_ACT_HOME:
		*sel = 0;
		return 1;
	case UI_ACT_END:
		*sel = len > 0 ? len - 1 : 0;
		return 1;
	case UI_ACT_OPEN:
		if (cv->pane == PANE_LINKS && *sel < (int)cv->c.nlinks) {
			int64_t id = cv->c.links[*sel].id;
			struct case_place *here;

			ui_timing_start(ui, "case_open");
			/*
			 * Jumping is a step the officer can go back from, to
			 * the same pane and row.
			 */
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
				ui_status(ui, "linked from %" PRId64
				    " (q goes back to it)", here->id);
			else
				cv->nhist--;
			return 1;
		}
		ui_status(ui, "Enter opens a linked application (Tab to "
		    "Linked)");
		return 1;
	case UI_ACT_BACK: {
		const struct case_place *back;

		if (cv->nhist == 0)
			return 0;
		back = &cv->hist[--cv->nhist];
		if (load(ui, cv, back->id) == 0) {
			/* Rows past a list that shrank are clamped on draw. */
			cv->pane = back->pane;
			memcpy(cv->sel, back->sel, sizeof cv->sel);
			memcpy(cv->scroll, back->scroll, sizeof cv->scroll);
		}
		return 1;
	}
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
	const char *d;

	(void)ui;
	switch (action) {
	case CASE_APPROVE:
		d = "approve";
		break;
	case CASE_REJECT:
		d = "reject";
		break;
	case CASE_REVIEW:
		d = "review";
		break;
	default:
		return NULL;
	}
	return core_decision_refusal(d, cv->loaded ? cv->c.status : NULL);
}

/*
 * The columns of the contributions pane, computed once for the heading
 * and every row, so the heading's axis is the bars' axis at any width.
 */
struct contrib_layout {
	int feature_w;       /* FEATURE from column 1 */
	int value_x, points_x, phi_x;
	int bar_x, half;     /* the bar: half columns, the axis, half */
	int axis_x;          /* bar_x + half, or -1 when there is no bar */
};

#define CONTRIB_VALUE_W 12
#define CONTRIB_POINTS_W 8
#define CONTRIB_PHI_W 9
#define CONTRIB_BAR_MAX 61 /* wider bars resolve nothing more */
#define CONTRIB_BAR_MIN 15 /* room a long name may not take */

static void
contrib_layout(const struct core_case *c, int cols, struct contrib_layout *l)
{
	int fixed = 1 + 1 + CONTRIB_VALUE_W + 1 + CONTRIB_POINTS_W + 1 +
	    CONTRIB_PHI_W + 1, w, barw;
	size_t i;

	/*
	 * As wide as the longest name, so names sharing a start
	 * (declared_contacts_overdue, ..._ratio) are told apart; only a
	 * narrow screen cuts them, and the detail area shows them whole.
	 */
	l->feature_w = 7; /* "FEATURE" */
	for (i = 0; i < c->ncontribs; i++)
		if ((w = ui_text_width(c->contribs[i].feature)) > l->feature_w)
			l->feature_w = w;
	if (l->feature_w > cols - fixed - CONTRIB_BAR_MIN)
		l->feature_w = cols - fixed - CONTRIB_BAR_MIN;
	if (l->feature_w < 7)
		l->feature_w = 7;
	l->value_x = 1 + l->feature_w + 1;
	l->points_x = l->value_x + CONTRIB_VALUE_W + 1;
	l->phi_x = l->points_x + CONTRIB_POINTS_W + 1;
	l->bar_x = l->phi_x + CONTRIB_PHI_W + 1;
	barw = cols - l->bar_x;
	if (barw > CONTRIB_BAR_MAX)
		barw = CONTRIB_BAR_MAX;
	l->half = barw > 8 ? (barw - 1) / 2 : 0;
	l->axis_x = l->half > 0 ? l->bar_x + l->half : -1;
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

/* A signed bar around the layout's axis: works without colour. */
static void
draw_bar(struct ui *ui, int y, const struct contrib_layout *l, double v,
    double max)
{
	int half = l->half, len, i;
	char buf[512];
	size_t o = 0;
	const char *block = ui->utf8 ? "\xe2\x96\x88" : "#";
	const char *axis = ui->utf8 ? "\xe2\x94\x82" : "|";

	if (half < 1 || max <= 0)
		return;
	len = (int)lround(fabs(v) / max * half);
	if (len == 0 && v != 0)
		len = 1;
	if (len > half)
		len = half;
	for (i = 0; i < half && o + 4 < sizeof buf; i++) {
		const char *c = v < 0 && i >= half - len ? block : " ";

		memcpy(buf + o, c, strlen(c));
		o += strlen(c);
	}
	memcpy(buf + o, axis, strlen(axis));
	o += strlen(axis);
	for (i = 0; i < half && o + 4 < sizeof buf; i++) {
		const char *c = v > 0 && i < len ? block : " ";

		memcpy(buf + o, c, strlen(c));
		o += strlen(c);
	}
	buf[o] = '\0';
	ui_put(ui, y, l->bar_x, 2 * half + 1, UI_LEFT, v < 0 ? UI_S_BAD :
	    UI_S_GOOD, buf);
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

static void
draw_pane_line(struct ui *ui, struct casev *cv, int i, int y, int cols,
    int selected)
{
	const struct core_case *c = &cv->c;
	enum ui_style s = selected ? UI_S_SELECTED : UI_S_NORMAL;
	char buf[512], a[40], b[40], d[40], e[40];

	if (selected)
		ui_fill(ui, y, 0, cols, UI_S_SELECTED);
	switch (cv->pane) {
	case PANE_REASONS: {
		const struct core_reason *r = &c->reasons[i];

		snprintf(a, sizeof a, "%d.", i + 1);
		ui_put_cell(ui, y, &reason_cols[RE_N], s, a);
		ui_put_cell(ui, y, &reason_cols[RE_CODE], s, r->code);
		ui_put_cell(ui, y, &reason_cols[RE_FEATURE], s, r->feature);
		snprintf(buf, sizeof buf, "%s / %s", r->text_zh, r->text_en);
		ui_put_cell(ui, y, &reason_cols[RE_TEXT], s, buf);
		break;
	}
	case PANE_CONTRIBS: {
		const struct core_contribution *k = &c->contribs[i];
		struct contrib_layout l;
		int pts = all_have_points(c);
		double max = 0, p = contribution_impact(k, pts);
		size_t j;

		contrib_layout(c, cols, &l);
		for (j = 0; j < c->ncontribs; j++) {
			double m = fabs(contribution_impact(&c->contribs[j],
			    pts));

			if (m > max)
				max = m;
		}
		core_contribution_value_format(k, a, sizeof a);
		ui_put(ui, y, 1, l.feature_w, UI_LEFT, s, k->feature);
		ui_put(ui, y, l.value_x, CONTRIB_VALUE_W, UI_RIGHT,
		    k->missing ? (selected ? s : UI_S_WARN) : s, a);
		if (k->has_points)
			signed_fixed(k->points, 1, b, sizeof b);
		else
			snprintf(b, sizeof b, "-");
		ui_put(ui, y, l.points_x, CONTRIB_POINTS_W, UI_RIGHT, s, b);
		signed_fixed(k->phi, 4, d, sizeof d);
		ui_put(ui, y, l.phi_x, CONTRIB_PHI_W, UI_RIGHT, s, d);
		if (l.axis_x >= 0)
			draw_bar(ui, y, &l, p, max);
		break;
	}
	case PANE_RULES: {
		const struct core_rule_hit *r = &c->rules[i];

		ui_put_cell(ui, y, &rule_cols[RU_ID], s, r->id);
		snprintf(a, sizeof a, "v%s", r->version);
		ui_put_cell(ui, y, &rule_cols[RU_VERSION], s, a);
		ui_put_cell(ui, y, &rule_cols[RU_ACTION], s, r->action);
		snprintf(buf, sizeof buf, "%s%s%s%s", r->text,
		    r->inputs[0] ? "  (" : "", r->inputs,
		    r->inputs[0] ? ")" : "");
		ui_put_cell(ui, y, &rule_cols[RU_TEXT], s, buf);
		break;
	}
	case PANE_LINKS: {
		const struct core_link *l = &c->links[i];

		ui_put_cell(ui, y, &link_cols[RC_VIA], s, l->via);
		snprintf(a, sizeof a, "%" PRId64, l->id);
		ui_put_cell(ui, y, &link_cols[RC_ID], s, a);
		ui_put_cell(ui, y, &link_cols[RC_NAME], s, l->name);
		ui_money(l->amount_fen, b, sizeof b);
		ui_put_cell(ui, y, &link_cols[RC_AMOUNT], s, b);
		ui_put_cell(ui, y, &link_cols[RC_SUBMITTED], s, l->submitted);
		ui_put_cell(ui, y, &link_cols[RC_STATUS], s, l->status);
		break;
	}
	case PANE_SCHEDULE: {
		const struct core_schedule_row *r;

		if (i == cv->sched.n) {
			ui_put(ui, y, 1, 6, UI_LEFT, UI_S_HEADER, "total");
			ui_money(cv->sched.principal, a, sizeof a);
			ui_money(cv->sched.total_interest, b, sizeof b);
			ui_money(cv->sched.total_fees, d, sizeof d);
			ui_money(cv->sched.total_paid, e, sizeof e);
			ui_put(ui, y, 8, 16, UI_RIGHT, UI_S_HEADER, a);
			ui_put(ui, y, 25, 14, UI_RIGHT, UI_S_HEADER, b);
			ui_put(ui, y, 40, 10, UI_RIGHT, UI_S_HEADER, d);
			ui_put(ui, y, 51, 16, UI_RIGHT, UI_S_HEADER, e);
			break;
		}
		r = &cv->sched.rows[i];
		snprintf(a, sizeof a, "%d", r->period);
		ui_put(ui, y, 1, 6, UI_RIGHT, s, a);
		ui_money(r->principal, a, sizeof a);
		ui_put(ui, y, 8, 16, UI_RIGHT, s, a);
		ui_money(r->interest, a, sizeof a);
		ui_put(ui, y, 25, 14, UI_RIGHT, s, a);
		ui_money(r->fee, a, sizeof a);
		ui_put(ui, y, 40, 10, UI_RIGHT, s, a);
		ui_money(r->payment, a, sizeof a);
		ui_put(ui, y, 51, 16, UI_RIGHT, s, a);
		ui_money(r->balance, a, sizeof a);
		ui_put(ui, y, 68, 16, UI_RIGHT, s, a);
		break;
	}
	case PANE_TIMELINE: {
		const struct core_event *e2 = &c->events[i];

		ui_put_cell(ui, y, &event_cols[EV_AT], s, e2->at);
		ui_put_cell(ui, y, &event_cols[EV_ACTOR], s, e2->actor);
		ui_put_cell(ui, y, &event_cols[EV_ACTION], s, e2->action);
		ui_put_cell(ui, y, &event_cols[EV_DETAIL], s, e2->detail);
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
		    l->submitted, l->status);
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
 * The bytes of s that make one line of width columns: cut by display
 * width (ui_text_cut) and, as the Audit screen's detail does, at a space
 * when one is in the line's second half.
 */
static int
wrap_cut(const char *s, int width)
{
	int cut = ui_text_cut(s, width), sp;

	if (s[cut] == '\0')
		return cut;
	for (sp = cut; sp > cut / 2 && s[sp - 1] != ' '; sp--)
		;
	if (sp > cut / 2)
		cut = sp;
	/* A wide character wider than the line still moves on. */
	if (cut == 0)
		cut = ui_text_cut(s, 2) > 0 ? ui_text_cut(s, 2) : 1;
	return cut;
}

static const char *
wrap_skip_blanks(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

/* How many lines of width columns s takes, counting up to max. */
static int
wrap_count(const char *s, int width, int max)
{
	int n = 0;

	s = wrap_skip_blanks(s);
	while (*s != '\0' && n < max) {
		s = wrap_skip_blanks(s + wrap_cut(s, width));
		n++;
	}
	return n;
}

/*
 * Draws s wrapped onto lines [y, y + lines) from column x; what the last
 * line cannot hold ends in an ellipsis (ui_put's fit).
 */
static void
wrap_draw(struct ui *ui, int y, int x, int width, int lines,
    enum ui_style style, const char *s)
{
	char line[1024];
	int i, cut;

	s = wrap_skip_blanks(s);
	for (i = 0; i < lines && *s != '\0'; i++) {
		if (i == lines - 1) {
			ui_put(ui, y + i, x, width, UI_LEFT, style, s);
			break;
		}
		cut = wrap_cut(s, width);
		snprintf(line, sizeof line, "%.*s", cut, s);
		ui_put(ui, y + i, x, width, UI_LEFT, style, line);
		s = wrap_skip_blanks(s + cut);
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
		if ((n = wrap_count(buf, width, cap)) > need)
			need = n;
	}
	return need;
}

static void
pane_header(struct ui *ui, struct casev *cv, int y, int cols)
{
	switch (cv->pane) {
	case PANE_CONTRIBS: {
		/* Longest first: the words fall away before the signs do. */
		static const char *const lowers[] = { "- lowers score",
			"- lowers", "-" };
		static const char *const raises[] = { "raises score +",
			"raises +", "+" };
		struct contrib_layout l;
		size_t k;

		contrib_layout(&cv->c, cols, &l);
		ui_put(ui, y, 1, l.feature_w, UI_LEFT, UI_S_HEADER, "FEATURE");
		ui_put(ui, y, l.value_x, CONTRIB_VALUE_W, UI_RIGHT, UI_S_HEADER,
		    "VALUE");
		ui_put(ui, y, l.points_x, CONTRIB_POINTS_W, UI_RIGHT,
		    UI_S_HEADER, "POINTS");
		ui_put(ui, y, l.phi_x, CONTRIB_PHI_W, UI_RIGHT, UI_S_HEADER,
		    "PHI");
		if (l.axis_x < 0)
			break;
		/* Each word a space away from the axis, on its own side. */
		for (k = 0; k < sizeof lowers / sizeof lowers[0]; k++) {
			int w = ui_text_width(lowers[k]);

			if (w + 1 <= l.half) {
				ui_put(ui, y, l.axis_x - 1 - w, w, UI_LEFT,
				    UI_S_HEADER, lowers[k]);
				break;
			}
		}
		ui_put(ui, y, l.axis_x, 1, UI_LEFT, UI_S_HEADER, "|");
		for (k = 0; k < sizeof raises / sizeof raises[0]; k++) {
			int w = ui_text_width(raises[k]);

			if (w + 1 <= l.half) {
				ui_put(ui, y, l.axis_x + 2, w, UI_LEFT,
				    UI_S_HEADER, raises[k]);
				break;
			}
		}
		break;
	}
	case PANE_LINKS:
		ui_put_headings(ui, y, link_cols, NCOLS(link_cols), -1, NULL);
		break;
	case PANE_SCHEDULE:
		ui_put(ui, y, 1, 6, UI_RIGHT, UI_S_HEADER, "#");
		ui_put(ui, y, 8, 16, UI_RIGHT, UI_S_HEADER, "PRINCIPAL");
		ui_put(ui, y, 25, 14, UI_RIGHT, UI_S_HEADER, "INTEREST");
		ui_put(ui, y, 40, 10, UI_RIGHT, UI_S_HEADER, "FEES");
		ui_put(ui, y, 51, 16, UI_RIGHT, UI_S_HEADER, "PAYMENT");
		ui_put(ui, y, 68, 16, UI_RIGHT, UI_S_HEADER, "BALANCE");
		break;
	case PANE_RULES:
		ui_put_headings(ui, y, rule_cols, NCOLS(rule_cols), -1, NULL);
		break;
	case PANE_TIMELINE:
		ui_put_headings(ui, y, event_cols, NCOLS(event_cols), EV_AT,
		    ui->op.tz_label);
		break;
	default:
		ui_put_headings(ui, y, reason_cols, NCOLS(reason_cols), -1,
		    NULL);
		break;
	}
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

static void
case_draw(struct ui *ui, void *st, int top, int rows)
{
	struct casev *cv = st;
	const struct core_case *c = &cv->c;
	int cols = ui_cols(), y = top, x, i, len, body, dl;
	char buf[512], amount[40], wait[32], apr[48];

	if (!cv->loaded) {
		ui_put(ui, top + 1, 2, cols - 4, UI_LEFT, UI_S_DIM,
		    "No case open.  Press 1 for the list and Enter on an "
		    "application.");
		return;
	}
	ui_money(c->amount_fen, amount, sizeof amount);
	core_format_duration(c->waiting_s, wait, sizeof wait);
	if (cv->apr_ok) {
		long bps = lround(cv->apr * 10000.0);

		/*
		 * The lines courts and regulators draw (docs/risk-maths.md,
		 * "Rate lines"):
		 * over 24% is not enforced, over 36% is void.
		 */
		snprintf(apr, sizeof apr, "%ld.%02ld%%%s", bps / 100, bps % 100,
		    bps > 3600 ? " (OVER 36%: void)" :
		    bps > 2400 ? " (over 24%)" : "");
	} else
		snprintf(apr, sizeof apr, "n/a");

	/* The header: four labelled lines, each wrapping when narrow. */
	{
		struct seg sg[8];
		char s0[48], s1[80], s2[200], s3[80], s4[160], s5[80], s6[80];
		char t1[64], t2[64], rules[160], fees[160], f1[40], f2[40];
		size_t nrules;
		int n;

		snprintf(buf, sizeof buf, "Case %" PRId64, c->id);
		ui_put(ui, y, 0, ui_text_width(buf), UI_LEFT, UI_S_HEADER,
		    buf);
		n = 0;
		sg[n++] = (struct seg){ c->name, UI_S_NORMAL };
		snprintf(s1, sizeof s1, "ID %s", c->id_no);
		sg[n++] = (struct seg){ s1, UI_S_NORMAL };
		snprintf(s2, sizeof s2, "Phone %s", c->phone);
		sg[n++] = (struct seg){ s2, UI_S_NORMAL };
		snprintf(s3, sizeof s3, "Applicant %" PRId64, c->applicant_id);
		sg[n++] = (struct seg){ s3, UI_S_NORMAL };
		y += flow(ui, y, ui_text_width(buf) + 1, HEAD_INDENT, cols,
		    sg, n);

		ui_put(ui, y, 0, HEAD_INDENT, UI_LEFT, UI_S_DIM, "Amount");
		n = 0;
		sg[n++] = (struct seg){ amount, UI_S_HEADER };
		/* What the borrower receives and pays besides interest. */
		if (c->upfront_fee_fen > 0 || c->monthly_fee_fen > 0) {
			ui_money(c->amount_fen - c->upfront_fee_fen, f1,
			    sizeof f1);
			ui_money(c->upfront_fee_fen > 0 ? c->upfront_fee_fen :
			    c->monthly_fee_fen, f2, sizeof f2);
			snprintf(fees, sizeof fees, "paid out %s (fee %s %s)",
			    f1, f2, c->upfront_fee_fen > 0 ? "upfront" :
			    "a month");
			if (c->upfront_fee_fen > 0 && c->monthly_fee_fen > 0) {
				size_t l = strlen(fees) - 1;

				ui_money(c->monthly_fee_fen, f2, sizeof f2);
				snprintf(fees + l, sizeof fees - l,
				    ", %s a month)", f2);
			}
			sg[n++] = (struct seg){ fees, UI_S_NORMAL };
		}
		snprintf(s1, sizeof s1, "Term %d months (%s)", c->term_months,
		    c->repayment);
		sg[n++] = (struct seg){ s1, UI_S_NORMAL };
		snprintf(s2, sizeof s2, "APR (IRR) %s", apr);
		sg[n++] = (struct seg){ s2, UI_S_NORMAL };
		snprintf(s3, sizeof s3, "nominal %d.%02d%%", c->rate_bps / 100,
		    c->rate_bps % 100);
		sg[n++] = (struct seg){ s3, UI_S_NORMAL };
		snprintf(s4, sizeof s4, "Product %s", c->product);
		sg[n++] = (struct seg){ s4, UI_S_NORMAL };
		y += flow(ui, y, HEAD_INDENT, HEAD_INDENT, cols, sg, n);

		ui_put(ui, y, 0, HEAD_INDENT, UI_LEFT, UI_S_DIM, "Status");
		n = 0;
		sg[n++] = (struct seg){ c->status,
		    strcmp(c->status, "manual_review") == 0 ? UI_S_WARN :
		    UI_S_NORMAL };
		/* Waiting only while a decision is awaited. */
		snprintf(t1, sizeof t1, "%s%s%s", c->decided_at,
		    c->decided_at[0] ? " " : "", c->decided_at[0] ?
		    ui->op.tz_label : "");
		/*
		 * Said from when, as the review queue's WAITING counts from
		 * the review's opening instead.
		 */
		if (c->pending && c->review_id != 0) {
			char rwait[32];

			core_format_duration(c->review_age_s, rwait,
			    sizeof rwait);
			snprintf(s4, sizeof s4, "Waiting %s since submission, in "
			    "review %s", wait, rwait);
		} else if (c->pending)
			snprintf(s4, sizeof s4, "Waiting %s since submission",
			    wait);
		else if (c->decided)
			snprintf(s4, sizeof s4, "Decided %s%sby %s (%s), %s "
			    "after submission", t1, t1[0] ? " " : "",
			    c->decided_by[0] ? c->decided_by : "?",
			    c->decision_reason[0] ? c->decision_reason : "-",
			    wait);
		else if (t1[0] != '\0')
			snprintf(s4, sizeof s4, "Decided by the model %s, %s "
			    "after submission", t1, wait);
		else
			snprintf(s4, sizeof s4, "Decided by the model");
		sg[n++] = (struct seg){ s4, UI_S_NORMAL };
		snprintf(s5, sizeof s5, "Assignee %s", c->assignee[0] ?
		    c->assignee : "-");
		sg[n++] = (struct seg){ s5, UI_S_NORMAL };
		snprintf(s6, sizeof s6, "Submitted %s %s", c->submitted,
		    ui->op.tz_label);
		sg[n++] = (struct seg){ s6, UI_S_NORMAL };
		y += flow(ui, y, HEAD_INDENT, HEAD_INDENT, cols, sg, n);

		ui_put(ui, y, 0, HEAD_INDENT, UI_LEFT, UI_S_DIM, "Score");
		n = 0;
		if (c->scored) {
			snprintf(s0, sizeof s0, "%d %s", c->points, c->band);
			sg[n++] = (struct seg){ s0, UI_S_HEADER };
			snprintf(s1, sizeof s1, "PD %d.%02d%%", c->pd_bps / 100,
			    c->pd_bps % 100);
			sg[n++] = (struct seg){ s1, UI_S_NORMAL };
			/*
			 * The policy's recommendation (rules, then the model's
			 * thresholds), naming the rule when one decided it:
			 * a high PD recommended for review is a rule's doing.
			 */
			nrules = core_case_deciding_rules(c, rules,
			    sizeof rules);
			snprintf(s2, sizeof s2, "Recommended %s%s%s%s",
			    c->recommendation[0] ? c->recommendation : "-",
			    nrules > 0 ? (nrules > 1 ? " (rules " : " (rule ") :
			    "", nrules > 0 ? rules : "", nrules > 0 ? ")" : "");
			sg[n++] = (struct seg){ s2, UI_S_NORMAL };
			if (c->score_hidden)
				snprintf(s3, sizeof s3, "Model (not shown to "
				    "this role)");
			else
				snprintf(s3, sizeof s3, "Model %s %s",
				    c->model_name[0] ? c->model_name : "?",
				    c->model_version);
			sg[n++] = (struct seg){ s3, c->score_hidden ? UI_S_DIM :
			    UI_S_NORMAL };
			if (c->scored_at[0] != '\0') {
				snprintf(t2, sizeof t2, "Scored %s %s",
				    c->scored_at, ui->op.tz_label);
				sg[n++] = (struct seg){ t2, UI_S_NORMAL };
			}
		} else
			sg[n++] = (struct seg){ "not scored yet", UI_S_DIM };
		y += flow(ui, y, HEAD_INDENT, HEAD_INDENT, cols, sg, n);
	}

	/* Pane tabs. */
	for (x = 0, i = 0; i < PANE_COUNT; i++) {
		char tab[48];
		int w;

		snprintf(tab, sizeof tab, i == (int)cv->pane ? "[%s %d]" :
		    " %s %d ", pane_names[i], pane_len(cv, (enum pane)i) -
		    (i == PANE_SCHEDULE && cv->sched_ok ? 1 : 0));
		w = ui_text_width(tab);
		ui_put(ui, y, x, w, UI_LEFT, i == (int)cv->pane ?
		    UI_S_SELECTED : UI_S_DIM, tab);
		/* The tabs' own padding separates them: 80 columns hold all. */
		x += w;
	}
	y++;
	pane_header(ui, cv, y, cols);
	y++;
	body = rows - (y - top);
	len = pane_len(cv, cv->pane);
	ui->cursor_y = y;
	if (len == 0) {
		const char *empty = "nothing here";

		if (cv->pane == PANE_SCHEDULE)
			empty = cv->sched_err;
		else if (cv->pane == PANE_CONTRIBS || cv->pane == PANE_RULES ||
		    cv->pane == PANE_REASONS)
			empty = !c->scored ? "not scored yet" :
			    c->score_hidden ? "not visible to this role" :
			    "none for this score";
		cv->body = body;
		ui_put(ui, y, 2, cols - 4, UI_LEFT, UI_S_DIM, empty);
		return;
	}
	/* The selected row in full at the bottom; the list above it. */
	dl = detail_lines(cv, len, cols - 1, body);
	body -= dl;
	cv->body = body;
	if (cv->sel[cv->pane] >= len)
		cv->sel[cv->pane] = len - 1;
	if (cv->sel[cv->pane] < cv->scroll[cv->pane])
		cv->scroll[cv->pane] = cv->sel[cv->pane];
	if (cv->sel[cv->pane] >= cv->scroll[cv->pane] + body)
		cv->scroll[cv->pane] = cv->sel[cv->pane] - body + 1;
	for (i = 0; i < body && cv->scroll[cv->pane] + i < len; i++) {
		int k = cv->scroll[cv->pane] + i;
		int selected = k == cv->sel[cv->pane];

		if (selected)
			ui->cursor_y = y + i;
		draw_pane_line(ui, cv, k, y + i, cols, selected);
	}
	if (dl > 0) {
		char detail[4096];

		pane_detail(cv, cv->sel[cv->pane], detail, sizeof detail);
		wrap_draw(ui, y + body, 1, cols - 1, dl, UI_S_DIM, detail);
	}
}

static void
case_position(struct ui *ui, void *st, char *buf, size_t len)
{
	struct casev *cv = st;

	(void)ui;
	if (cv->loaded)
		snprintf(buf, len, "%s", pane_names[cv->pane]);
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
