/*
 * Key tables: the shared ones, lookup, and the layout of the key-hint
 * bar.  Pure code (no curses calls), so the bar's choices are tested
 * without a terminal.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <curses.h> /* the KEY_ codes of the tables; nothing is called */

#include "ui_int.h"

const struct ui_key ui_frame_keys[] = {
	UI_FRAME_KEYS(UI_KEY_ROW)
	UI_KEY_END
};

const struct ui_key ui_confirm_keys[] = {
	UI_CONFIRM_KEYS(UI_KEY_ROW)
	UI_KEY_END
};

const struct ui_key ui_prompt_keys[] = {
	UI_PROMPT_KEYS(UI_KEY_ROW)
	UI_KEY_END
};

const struct ui_key ui_list_keys[] = {
	UI_MOVE_KEYS(UI_KEY_ROW)
	UI_OPEN_KEY(UI_KEY_ROW)
	UI_KEY_END
};

const struct ui_screen *const ui_screen_table[UI_SCREEN_COUNT] = {
#define UI_SCREEN(id, name) [UI_SCREEN_##id] = &ui_screen_##name,
#include "ui_screens.h"
#undef UI_SCREEN
};

const char *const ui_screen_words[UI_SCREEN_COUNT] = {
#define UI_SCREEN(id, name) [UI_SCREEN_##id] = #name,
#include "ui_screens.h"
#undef UI_SCREEN
};

int
ui_screen_find(const char *word)
{
	int i;

	for (i = 0; word != NULL && i < UI_SCREEN_COUNT; i++)
		if (strcmp(ui_screen_words[i], word) == 0)
			return i;
	return -1;
}

const struct ui_key *
ui_keys_find(const struct ui_key *const *tables, int n, int key)
{
	const struct ui_key *k;
	int t, i;

	for (t = 0; t < n; t++) {
		if (tables[t] == NULL)
			continue;
		for (k = tables[t]; k->action != 0; k++)
			for (i = 0; i < 3; i++)
				if (k->keys[i] != 0 && k->keys[i] == key)
					return k;
	}
	return NULL;
}

int
ui_keys_action(const struct ui_key *const *tables, int n, int key)
{
	const struct ui_key *k = ui_keys_find(tables, n, key);

	return k != NULL ? k->action : UI_ACT_NONE;
}

const struct ui_key *
ui_keys_row(const struct ui_key *table, int action)
{
	if (table == NULL)
		return NULL;
	for (; table->action != 0; table++)
		if (table->action == action)
			return table;
	return NULL;
}

int
ui_keys_has(const struct ui_key *table, int action)
{
	return ui_keys_row(table, action) != NULL;
}

void
ui_hint_key(const struct ui_key *k, char *buf, size_t len)
{
	size_t w = strcspn(k->label, "/");

	/* "/" itself is a key, not a separator. */
	if (w == 0)
		w = 1;
	snprintf(buf, len, "%.*s", (int)w, k->label);
}

void
ui_key_words(const struct ui_key *k, char *buf, size_t len)
{
	const char *l = k->label;
	size_t o = 0;

	if (len == 0)
		return;
	for (; *l != '\0' && o + 1 < len; l++) {
		/* "/" alone, or leading, is the key itself. */
		if (*l == '/' && l != k->label && o + 5 < len) {
			memcpy(buf + o, " or ", 4);
			o += 4;
		} else if (*l != '/' || l == k->label)
			buf[o++] = *l;
	}
	buf[o] = '\0';
}

static int
hint_width(const struct ui_key *k)
{
	char key[32];

	ui_hint_key(k, key, sizeof key);
	/* "key help" and two spaces before the next. */
	return ui_text_width(key) + 1 + ui_text_width(k->help) + 2;
}

int
ui_hints_layout(const struct ui_key *const *tables, int n,
    const struct core_operator *op, int x0, int cols, struct ui_hint *out,
    int max, int (*hidden)(const struct ui_key *k, void *arg),
    void *hidden_arg)
{
	const struct ui_key *chosen[64];
	const struct ui_key *k;
	int nchosen = 0, used = 0, rank, t, i, x, nout = 0;

	/* The last entry needs no trailing gap. */
	cols = cols - x0 + 2;
	for (rank = UI_HINT_ALWAYS; rank <= UI_HINT_MORE; rank++)
		for (t = 0; t < n; t++)
			for (k = tables[t]; k != NULL && k->action != 0;
			    k++) {
				int w;

				if ((int)k->hint != rank ||
				    !core_operator_may(op, k->perm) ||
				    (hidden != NULL && hidden(k, hidden_arg)) ||
				    nchosen == (int)(sizeof chosen /
				    sizeof chosen[0]))
					continue;
				w = hint_width(k);
				if (used + w > cols)
					continue;
				used += w;
				chosen[nchosen++] = k;
			}
	/* Drawn in table order, whatever the rank that let them in. */
	x = x0;
	for (t = 0; t < n; t++)
		for (k = tables[t]; k != NULL && k->action != 0; k++)
			for (i = 0; i < nchosen; i++) {
				char key[32];

				if (chosen[i] != k || nout == max)
					continue;
				ui_hint_key(k, key, sizeof key);
				out[nout].key = k;
				out[nout].x = x;
				out[nout].keyw = ui_text_width(key);
				nout++;
				x += hint_width(k);
			}
	return nout;
}
