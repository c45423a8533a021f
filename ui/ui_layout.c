/*
 * Where things go on a screen, as pure code (no curses calls), so the
 * choices are tested without a terminal: the list cursor every list
 * moves by, and the columns of tables.
 */
#include "config.h"

#include <string.h>

#include "ui_int.h"

struct ui_move
ui_move_of(int action, int rows)
{
	struct ui_move m = { UI_MOVE_NONE, 0, 0 };
	/* A page keeps one row of the last in view. */
	int page = rows > 1 ? rows - 1 : 1;

	switch (action) {
	case UI_ACT_DOWN:
		m.to = UI_MOVE_BY;
		m.by = 1;
		break;
	case UI_ACT_UP:
		m.to = UI_MOVE_BY;
		m.by = -1;
		break;
	case UI_ACT_PGDN:
		m.to = UI_MOVE_BY;
		m.by = page;
		m.paged = 1;
		break;
	case UI_ACT_PGUP:
		m.to = UI_MOVE_BY;
		m.by = -page;
		m.paged = 1;
		break;
	case UI_ACT_HOME:
		m.to = UI_MOVE_FIRST;
		break;
	case UI_ACT_END:
		m.to = UI_MOVE_LAST;
		break;
	default:
		break;
	}
	return m;
}

void
ui_cursor_move(int *cur, int n, struct ui_move m)
{
	long t = *cur;

	switch (m.to) {
	case UI_MOVE_BY:
		t += m.by;
		break;
	case UI_MOVE_FIRST:
		t = 0;
		break;
	case UI_MOVE_LAST:
		t = n - 1;
		break;
	default:
		return;
	}
	if (t > (long)n - 1)
		t = (long)n - 1;
	if (t < 0)
		t = 0;
	*cur = (int)t;
}

void
ui_cursor_show(int *top, int cur, int n, int rows)
{
	if (rows < 1)
		rows = 1;
	if (cur < *top)
		*top = cur;
	if (cur >= *top + rows)
		*top = cur - rows + 1;
	/* Past the end the view shows less than it could. */
	if (*top + rows > n)
		*top = n > rows ? n - rows : 0;
	if (cur < *top)
		*top = cur;
	if (*top < 0)
		*top = 0;
}

/* Whether the shown columns fit cols with want for the flexible one. */
static int
table_fits(const struct ui_table *t, const int *w, const int *shown,
    int n, int flex, int want, int cols)
{
	int i, x = t->x0;

	for (i = 0; i < n; i++)
		if (shown[i] && i != flex)
			x += w[i] + 1;
	if (flex >= 0 && shown[flex])
		return x + want + t->margin <= cols;
	/* The last column shown ends at x - 1. */
	return x - 1 <= cols;
}

/* Takes step *step and those taken with it. */
static void
table_narrow(const struct ui_table *t, int *w, int *shown, int n, int *step)
{
	do {
		const struct ui_narrow *s = &t->narrow[*step];

		if (s->col >= 0 && s->col < n) {
			if (s->width > 0)
				w[s->col] = s->width;
			else
				shown[s->col] = 0;
		}
		(*step)++;
	} while (*step < t->nnarrow && t->narrow[*step].with_prev);
}

void
ui_table_layout(const struct ui_table *t, const int *width, int flex_min,
    int flex_want, int cols, struct ui_layout *out)
{
	int w[UI_TABLE_MAX], shown[UI_TABLE_MAX];
	int n = t->ncol < UI_TABLE_MAX ? t->ncol : UI_TABLE_MAX;
	int i, x, step = 0, flex = -1;

	memset(out, 0, sizeof *out);
	for (i = 0; i < n; i++) {
		w[i] = width != NULL ? width[i] : t->col[i].width;
		shown[i] = 1;
	}
	if (n > 0 && t->col[n - 1].width == 0)
		flex = n - 1;
	while (step < t->nnarrow &&
	    !table_fits(t, w, shown, n, flex, flex_min, cols))
		table_narrow(t, w, shown, n, &step);
	while (flex >= 0 && step < t->nnarrow && t->narrow[step].spare &&
	    !table_fits(t, w, shown, n, flex, flex_want, cols))
		table_narrow(t, w, shown, n, &step);
	for (x = t->x0, i = 0; i < n; i++) {
		struct ui_column *c = &out->c[out->n];

		if (!shown[i])
			continue;
		c->title = t->col[i].title;
		c->x = x;
		c->width = i == flex ? cols - x - t->margin : w[i];
		c->align = t->col[i].align;
		if (c->width <= 0)
			continue;
		out->col[out->n++] = i;
		x += w[i] + 1;
	}
}

struct ui_column *
ui_layout_find(struct ui_layout *l, int col)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (l->col[i] == col)
			return &l->c[i];
	return NULL;
}
