/*
 * Drawing for the screens: text fitted to its place, table headings and
 * cells from a layout, wrapped text.  Every screen draws through these,
 * so Chinese text is measured the same way everywhere (ui_text.h).
 */
#include "config.h"

#include <stdio.h>

#include <curses.h>

#include "ui_int.h"

void
ui_put(struct ui *ui, int y, int x, int width, enum ui_align align,
    enum ui_style style, const char *text)
{
	char buf[1024];

	if (y < 0 || y >= LINES || x >= COLS || width <= 0)
		return;
	if (x + width > COLS)
		width = COLS - x;
	ui_text_fit(text, width, align, buf, sizeof buf);
	attrset(ui->attrs[style]);
	mvaddstr(y, x, buf);
	attrset(A_NORMAL);
}

void
ui_fill(struct ui *ui, int y, int x, int width, enum ui_style style)
{
	ui_put(ui, y, x, width, UI_LEFT, style, "");
}

void
ui_put_headings(struct ui *ui, int y, const struct ui_layout *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		ui_put(ui, y, l->c[i].x, l->c[i].width, l->c[i].align,
		    UI_S_HEADER, l->c[i].title);
}

void
ui_put_cell(struct ui *ui, int y, const struct ui_column *c,
    enum ui_style style, const char *text)
{
	ui_put(ui, y, c->x, c->width, c->align, style, text);
}

void
ui_put_col(struct ui *ui, int y, struct ui_layout *l, int col,
    enum ui_style style, const char *text)
{
	const struct ui_column *c = ui_layout_find(l, col);

	if (c != NULL)
		ui_put_cell(ui, y, c, style, text);
}

void
ui_put_wrapped(struct ui *ui, int y, int x, int width, int lines,
    enum ui_style style, const char *s)
{
	char line[1024];
	int i, cut;

	s = ui_text_wrap_next(s);
	for (i = 0; i < lines && *s != '\0'; i++) {
		if (i == lines - 1) {
			ui_put(ui, y + i, x, width, UI_LEFT, style, s);
			break;
		}
		cut = ui_text_wrap_cut(s, width);
		snprintf(line, sizeof line, "%.*s", cut, s);
		ui_put(ui, y + i, x, width, UI_LEFT, style, line);
		s = ui_text_wrap_next(s + cut);
	}
}

enum ui_style
ui_tone_style(enum core_tone tone)
{
	switch (tone) {
	case CORE_TONE_GOOD:
		return UI_S_GOOD;
	case CORE_TONE_BAD:
		return UI_S_BAD;
	case CORE_TONE_WARN:
		return UI_S_WARN;
	default:
		return UI_S_NORMAL;
	}
}
