/*
 * The console's main loop: terminal set-up, the frame every screen shares
 * (title, banner, key-hint bar, status line), key dispatch through the key
 * tables, prompts and dialogs, LISTEN/NOTIFY, reconnection and the timing
 * log.  Screens live in ui_screen_*.c.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "core_session.h"
#include "ld_alloc.h"
#include "ld_money.h"
#include "ld_utf8.h"
#include "ui.h"
#include "ui_int.h"

int
ui_cols(void)
{
	return COLS;
}

int
ui_lines(void)
{
	return LINES;
}

void
ui_money(int64_t fen, char *buf, size_t len)
{
	ld_money_format(fen, 1, buf, len);
}

void
ui_count(int64_t n, char *buf, size_t len)
{
	char digits[32];
	size_t nd, i, o = 0;

	snprintf(digits, sizeof digits, "%lld", (long long)(n < 0 ? -n : n));
	nd = strlen(digits);
	if (len == 0)
		return;
	if (n < 0 && o + 1 < len)
		buf[o++] = '-';
	for (i = 0; i < nd && o + 1 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0 && o + 2 < len)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

static void
vstatus(struct ui *ui, int error, const char *fmt, va_list ap)
{
	vsnprintf(ui->status, sizeof ui->status, fmt, ap);
	ui->status_error = error;
}

void
ui_status(struct ui *ui, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vstatus(ui, 0, fmt, ap);
	va_end(ap);
}

void
ui_status_error(struct ui *ui, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vstatus(ui, 1, fmt, ap);
	va_end(ap);
}

void
ui_status_filters_cleared(struct ui *ui)
{
	/* Back is not always "out": say where the next q goes. */
	if (ui->nstack > 0)
		ui_status(ui, "filters cleared (q again goes back to %s)",
		    ui->screens[ui->stack[ui->nstack - 1]]->name);
	else
		ui_status(ui, "filters cleared (Q quits)");
}

void
ui_report(struct ui *ui, const char *what, enum ld_status st,
    const char *msg)
{
	if (st == LD_ETIMEOUT && strcmp(msg, "cancelled") == 0) {
		ui_status(ui, "%s: cancelled", what);
		return;
	}
	ui_status_error(ui, "%s: %s", what, msg);
	if (st == LD_ENET || core_session_lost(ui->sess)) {
		ui->connected = 0;
		snprintf(ui->banner, sizeof ui->banner,
		    "connection to the database lost: reconnecting "
		    "(r to retry now)");
		/* A moment for the banner to be read before the retry. */
		ui->reconnect_at = core_now_ms() + 1000;
	}
}

void
ui_timing_start(struct ui *ui, const char *event)
{
	ui->timing_event = event;
	ui->timing_t0 = core_now_ms();
}

int
ui_may(struct ui *ui, enum core_perm perm)
{
	return core_operator_may(&ui->op, perm);
}

/* Styles: attributes always, colours only when allowed and present. */
static void
setup_styles(struct ui *ui)
{
	const char *nc = getenv("NO_COLOR");
	int i;

	for (i = 0; i < UI_S_COUNT; i++)
		ui->attrs[i] = A_NORMAL;
	ui->attrs[UI_S_TITLE] = A_BOLD | A_REVERSE;
	ui->attrs[UI_S_HEADER] = A_BOLD | A_UNDERLINE;
	ui->attrs[UI_S_SELECTED] = A_REVERSE;
	ui->attrs[UI_S_HINT_KEY] = A_BOLD;
	ui->attrs[UI_S_ERROR] = A_BOLD;
	ui->attrs[UI_S_BANNER] = A_BOLD | A_REVERSE;
	ui->attrs[UI_S_BAD] = A_BOLD;
	ui->attrs[UI_S_WARN] = A_BOLD;
	ui->attrs[UI_S_DIM] = A_DIM;
	ui->colours = 0;
	/* no-color.org: set and non-empty. */
	if ((nc != NULL && *nc != '\0') || !has_colors())
		return;
	if (start_color() != OK)
		return;
	use_default_colors();
	ui->colours = COLORS >= 256 ? 256 : 8;
	if (ui->colours == 256) {
		init_pair(1, 255, 24);   /* title: white on steel blue */
		init_pair(2, 39, -1);    /* header */
		init_pair(3, 255, 238);  /* selected */
		init_pair(4, 214, -1);   /* hint keys */
		init_pair(5, 196, -1);   /* error */
		init_pair(6, 255, 124);  /* banner */
		init_pair(7, 71, -1);    /* good */
		init_pair(8, 167, -1);   /* bad */
		init_pair(9, 178, -1);   /* warn */
		init_pair(10, 245, -1);  /* dim */
	} else {
		init_pair(1, COLOR_WHITE, COLOR_BLUE);
		init_pair(2, COLOR_CYAN, -1);
		init_pair(3, COLOR_BLACK, COLOR_CYAN);
		init_pair(4, COLOR_YELLOW, -1);
		init_pair(5, COLOR_RED, -1);
		init_pair(6, COLOR_WHITE, COLOR_RED);
		init_pair(7, COLOR_GREEN, -1);
		init_pair(8, COLOR_RED, -1);
		init_pair(9, COLOR_YELLOW, -1);
		init_pair(10, COLOR_WHITE, -1);
	}
	ui->attrs[UI_S_TITLE] = COLOR_PAIR(1) | A_BOLD;
	ui->attrs[UI_S_HEADER] = COLOR_PAIR(2) | A_BOLD;
	ui->attrs[UI_S_SELECTED] = COLOR_PAIR(3) | A_BOLD;
	ui->attrs[UI_S_HINT_KEY] = COLOR_PAIR(4) | A_BOLD;
	ui->attrs[UI_S_ERROR] = COLOR_PAIR(5) | A_BOLD;
	ui->attrs[UI_S_BANNER] = COLOR_PAIR(6) | A_BOLD;
	ui->attrs[UI_S_GOOD] = COLOR_PAIR(7);
	ui->attrs[UI_S_BAD] = COLOR_PAIR(8) | A_BOLD;
	ui->attrs[UI_S_WARN] = COLOR_PAIR(9);
	ui->attrs[UI_S_DIM] = ui->colours == 256 ? COLOR_PAIR(10) : A_DIM;
}

/*
 * Keys.  While a query runs, the session asks interrupt() every 25 ms;
 * keys read then wait in a queue, except Esc, which cancels the query and
 * is consumed by doing so.
 *
 * A terminal that went away (hung up, its input closed) makes getch()
 * return ERR at once, every time: told apart from a timeout by poll()
 * finding the input hung up, or readable right after getch() found
 * nothing three times running, it ends the session instead of spinning.
 */
static int
read_terminal(struct ui *ui, int timeout_ms)
{
	struct pollfd pfd;
	int k;

	if (ui->input_lost)
		return ERR;
	timeout(timeout_ms);
	k = getch();
	if (k != ERR) {
		ui->input_errs = 0;
		return k;
	}
	pfd.fd = STDIN_FILENO;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) < 0) {
		if (errno != EINTR)
			ui->input_lost = 1;
		return ERR;
	}
	if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
		ui->input_lost = 1;
	else if (pfd.revents & POLLIN) {
		if (++ui->input_errs >= 3)
			ui->input_lost = 1;
	} else
		ui->input_errs = 0;
	return ERR;
}

int
ui_getkey(struct ui *ui, int timeout_ms)
{
	int k;

	if (ui->nkeyq > 0) {
		k = ui->keyq[0];
		memmove(ui->keyq, ui->keyq + 1,
		    (size_t)(ui->nkeyq - 1) * sizeof ui->keyq[0]);
		ui->nkeyq--;
		ui->keys_read++;
		return k;
	}
	k = read_terminal(ui, timeout_ms);
	/* Without a terminal every dialog is cancelled, as by Esc. */
	if (k == ERR && ui->input_lost)
		return 27;
	/* What the terminal sent, not what it did (resizing). */
	if (k != ERR && k != KEY_RESIZE)
		ui->keys_read++;
	return k;
}

static int
interrupt_query(void *arg, double waited_ms)
{
	struct ui *ui = arg;
	int k, cancel = 0;

	/* Say so when the database is slow, and how to stop waiting. */
	if (waited_ms >= 300 && !ui->waiting_shown) {
		ui->waiting_shown = 1;
		move(LINES - 1, 0);
		clrtoeol();
		ui_put(ui, LINES - 1, 0, COLS, UI_LEFT, UI_S_HINT_KEY,
		    "waiting for the database... Esc cancels");
		refresh();
	}

	while ((k = read_terminal(ui, 0)) != ERR) {
		if (k == 27) {
			cancel = 1;
			ui->keys_read++;
			continue;
		}
		if (ui->nkeyq < UI_KEYQ)
			ui->keyq[ui->nkeyq++] = k;
		if (ui->live_filter)
			cancel = 1;
	}
	return cancel || ui->input_lost;
}

/* The tables a key is looked up in: the screen's, then the frame's. */
static void
key_tables(struct ui *ui, const struct ui_key *tables[2])
{
	tables[0] = ui->screens[ui->cur]->keys;
	tables[1] = ui_frame_keys;
}

/* Why the current screen cannot take k's action now, or NULL. */
static const char *
key_refusal(struct ui *ui, const struct ui_key *k)
{
	const struct ui_screen *s = ui->screens[ui->cur];

	if (s->refusal == NULL)
		return NULL;
	return s->refusal(ui, ui->state[ui->cur], k->action);
}

static int
key_hidden(const struct ui_key *k, void *arg)
{
	return key_refusal(arg, k) != NULL;
}

/* Key-hint bar: what fits of the screen's hinted keys and the frame's. */
static void
draw_hints(struct ui *ui, int y)
{
	const struct ui_key *tables[2];
	struct ui_hint h[32];
	int x0 = 0, n, i;

	key_tables(ui, tables);
	move(y, 0);
	clrtoeol();
	if (ui->readonly) {
		ui_put(ui, y, 0, 9, UI_LEFT, UI_S_BANNER, "READONLY");
		x0 = 10;
	}
	n = ui_hints_layout(tables, 2, &ui->op, x0, COLS, h,
	    (int)(sizeof h / sizeof h[0]), key_hidden, ui);
	for (i = 0; i < n; i++) {
		char key[32];
		int w = ui_text_width(h[i].key->help);

		ui_hint_key(h[i].key, key, sizeof key);
		ui_put(ui, y, h[i].x, h[i].keyw, UI_LEFT, UI_S_HINT_KEY, key);
		ui_put(ui, y, h[i].x + h[i].keyw + 1, w, UI_LEFT, UI_S_HINT,
		    h[i].key->help);
	}
}

/*
 * Puts what was drawn on the terminal: the end of every frame, the
 * dialogs' included.  Writes the pending timing event, and the test
 * title when asked for it (struct ui).  A refresh that only says the
 * database is slow is not a frame: it changes nothing the keys asked.
 */
static void
show(struct ui *ui)
{
	refresh();
	if (ui->test_frames) {
		char t[96];
		int n;

		/* OSC 2, after the frame's bytes: a terminal that shows the
		 * title has taken in the whole frame before it. */
		n = snprintf(t, sizeof t, "\033]2;loandesk-test keys=%lu "
		    "size=%dx%d\007", ui->keys_read, COLS, LINES);
		if (n > 0 && (size_t)n < sizeof t &&
		    write(STDOUT_FILENO, t, (size_t)n) < 0)
			ui->test_frames = 0;
	}
	if (ui->timing_event != NULL) {
		if (ui->timing != NULL) {
			fprintf(ui->timing, "%s %.3f\n", ui->timing_event,
			    core_now_ms() - ui->timing_t0);
			fflush(ui->timing);
		}
		ui->timing_event = NULL;
	}
}

/* The frame every screen shares, not yet shown (dialogs draw over it). */
static void
draw_frame(struct ui *ui)
{
	const struct ui_screen *s = ui->screens[ui->cur];
	char title[256], pos[96], roles[64], note[160];
	int top = 1, rows;

	erase();
	ui->waiting_shown = 0;
	core_operator_roles_text(&ui->op, roles, sizeof roles);
	snprintf(title, sizeof title, " loandesk · %s", s->name);
	pos[0] = '\0';
	if (s->position != NULL)
		s->position(ui, ui->state[ui->cur], pos, sizeof pos);
	ui_fill(ui, 0, 0, COLS, UI_S_TITLE);
	ui_put(ui, 0, 0, COLS, UI_LEFT, UI_S_TITLE, title);
	{
		char right[192];
		int w;

		snprintf(right, sizeof right, "%s  %s (%s)%s ", pos,
		    ui->op.user[0] ? ui->op.user : "?", roles,
		    ui->readonly ? " READONLY" : "");
		w = ui_text_width(right);
		if (w < COLS - ui_text_width(title) - 1)
			ui_put(ui, 0, COLS - w, w, UI_RIGHT, UI_S_TITLE,
			    right);
	}
	if (!ui->connected && ui->banner[0] != '\0') {
		ui_fill(ui, 1, 0, COLS, UI_S_BANNER);
		ui_put(ui, 1, 0, COLS, UI_LEFT, UI_S_BANNER, ui->banner);
		top = 2;
	} else if (ui->connected &&
	    core_session_replica_note(ui->sess, note, sizeof note)) {
		/* The replica's lag, or that lists read the primary. */
		ui_put(ui, 1, 0, COLS, UI_LEFT, UI_S_WARN, note);
		top = 2;
	}
	rows = LINES - top - 2;
	ui->cursor_y = top;
	if (rows > 0)
		s->draw(ui, ui->state[ui->cur], top, rows);
	draw_hints(ui, LINES - 2);
	move(LINES - 1, 0);
	clrtoeol();
	ui_put(ui, LINES - 1, 0, COLS, UI_LEFT,
	    ui->status_error ? UI_S_ERROR : UI_S_STATUS, ui->status);
	/* Screen readers and IMEs follow the terminal cursor. */
	move(ui->cursor_y, 0);
}

void
ui_draw_frame(struct ui *ui)
{
	draw_frame(ui);
	show(ui);
}

/* A centred box of lines; returns its top-left. */
static void
draw_box(struct ui *ui, const char *title, const char *const *lines, int n,
    int sel, int *by, int *bx, int *bw, int *bh)
{
	int w = ui_text_width(title) + 4, h, y, x, i;

	for (i = 0; i < n; i++)
		if (ui_text_width(lines[i]) + 4 > w)
			w = ui_text_width(lines[i]) + 4;
	if (w > COLS - 2)
		w = COLS - 2;
	h = n + 2;
	if (h > LINES - 2)
		h = LINES - 2;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	if (y < 0)
		y = 0;
	if (x < 0)
		x = 0;
	attrset(ui->attrs[UI_S_NORMAL]);
	for (i = 0; i < h; i++)
		ui_fill(ui, y + i, x, w, UI_S_NORMAL);
	attrset(ui->attrs[UI_S_HEADER]);
	mvhline(y, x, ui->utf8 ? ACS_HLINE : '-', w);
	mvhline(y + h - 1, x, ui->utf8 ? ACS_HLINE : '-', w);
	mvvline(y, x, ui->utf8 ? ACS_VLINE : '|', h);
	mvvline(y, x + w - 1, ui->utf8 ? ACS_VLINE : '|', h);
	mvaddch(y, x, ui->utf8 ? ACS_ULCORNER : '+');
	mvaddch(y, x + w - 1, ui->utf8 ? ACS_URCORNER : '+');
	mvaddch(y + h - 1, x, ui->utf8 ? ACS_LLCORNER : '+');
	mvaddch(y + h - 1, x + w - 1, ui->utf8 ? ACS_LRCORNER : '+');
	attrset(A_NORMAL);
	ui_put(ui, y, x + 2, ui_text_width(title) < w - 4 ?
	    ui_text_width(title) : w - 4, UI_LEFT, UI_S_HEADER, title);
	*by = y;
	*bx = x;
	*bw = w;
	*bh = h;
	(void)sel;
}

/* "Keys 1-20 of 40 (j/k PgDn/PgUp scroll, q closes)", from the keys. */
static void
help_title(int scrolls, int top, int visible, int n, char *buf, size_t len)
{
	const struct ui_key *back = ui_keys_row(ui_frame_keys, UI_ACT_BACK);
	char dn[16], up[16], pd[16], pu[16], q[32];

	if (!scrolls) {
		ui_key_words(back, q, sizeof q);
		snprintf(buf, len, "Keys (%s closes)", q);
		return;
	}
	ui_hint_key(ui_keys_row(ui_list_keys, UI_ACT_DOWN), dn, sizeof dn);
	ui_hint_key(ui_keys_row(ui_list_keys, UI_ACT_UP), up, sizeof up);
	ui_hint_key(ui_keys_row(ui_list_keys, UI_ACT_PGDN), pd, sizeof pd);
	ui_hint_key(ui_keys_row(ui_list_keys, UI_ACT_PGUP), pu, sizeof pu);
	ui_hint_key(back, q, sizeof q);
	snprintf(buf, len, "Keys %d-%d of %d (%s/%s %s/%s scroll, %s closes)",
	    top + 1, top + visible, n, dn, up, pd, pu, q);
}

static void
help_overlay(struct ui *ui)
{
	const struct ui_key *tables[2];
	const struct ui_key *k;
	char **lines;
	int n = 0, t, cap = 64, top = 0, key, by, bx, bw, bh, i, visible;

	key_tables(ui, tables);
	lines = ld_calloc((size_t)cap, sizeof *lines);
	for (t = 0; t < 2; t++)
		for (k = tables[t]; k != NULL && k->action != 0; k++) {
			char buf[160];

			if (!ui_may(ui, k->perm) || key_refusal(ui, k) != NULL ||
			    n == cap)
				continue;
			snprintf(buf, sizeof buf, "%-10s %s", k->label,
			    k->help);
			lines[n++] = ld_strdup(buf);
		}
	for (t = 0; t < UI_SCREEN_COUNT && n < cap; t++)
		lines[n++] = ld_asprintf("%-10d %s", t + 1,
		    ui->screens[t]->name);
	if (n + 2 <= cap) {
		lines[n++] = ld_strdup("");
		lines[n++] = ld_asprintf("Times are in %s (%s), the session's "
		    "time zone; PGTZ=Asia/Shanghai shows Beijing time.",
		    ui->op.tz[0] ? ui->op.tz : "?", ui->op.tz_label);
	}
	for (;;) {
		const struct ui_key *list = ui_list_keys;
		char title[160];
		struct ui_move m;

		visible = LINES - 4;
		if (visible < 1)
			visible = 1;
		if (top > n - visible)
			top = n - visible > 0 ? n - visible : 0;
		help_title(n > visible, top, visible, n, title, sizeof title);
		draw_frame(ui);
		draw_box(ui, title, (const char *const *)lines + top,
		    n - top < visible ? n - top : visible, -1, &by, &bx, &bw,
		    &bh);
		for (i = 0; i < bh - 2 && top + i < n; i++)
			ui_put(ui, by + 1 + i, bx + 2, bw - 4, UI_LEFT,
			    UI_S_NORMAL, lines[top + i]);
		show(ui);
		key = ui_getkey(ui, -1);
		if (key == KEY_RESIZE)
			continue;
		/* The list's keys scroll it (a page at a time: visible + 1
		 * rows, as a page keeps one in view); any other closes. */
		m = ui_move_of(ui_keys_action(&list, 1, key), visible + 1);
		if (m.to == UI_MOVE_NONE)
			break;
		/* As a list of n - visible + 1 places for the top. */
		ui_cursor_move(&top, n - visible + 1, m);
	}
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

int
ui_prompt(struct ui *ui, const char *label, char *buf, size_t len,
    void (*live)(struct ui *ui, void *arg, const char *text), void *arg)
{
	char saved[512];
	size_t n = strlen(buf);
	int key, lw;

	snprintf(saved, sizeof saved, "%s", buf);
	curs_set(1);
	for (;;) {
		const struct ui_key *edit = ui_prompt_keys;
		int action;

		draw_frame(ui);
		/*
		 * The prompt takes the status line, so what the status said
		 * (often why the prompt is back) moves up over the key hints.
		 */
		if (ui->status[0] != '\0' && LINES > 2) {
			move(LINES - 2, 0);
			clrtoeol();
			ui_put(ui, LINES - 2, 0, COLS, UI_LEFT,
			    ui->status_error ? UI_S_ERROR : UI_S_STATUS,
			    ui->status);
		}
		move(LINES - 1, 0);
		clrtoeol();
		lw = ui_text_width(label);
		ui_put(ui, LINES - 1, 0, lw, UI_LEFT, UI_S_HINT_KEY, label);
		{
			/* Show the tail when the text is wider than the row. */
			const char *tail = buf;

			while (ui_text_width(tail) > COLS - lw - 2 && *tail)
				tail++;
			ui_put(ui, LINES - 1, lw, COLS - lw, UI_LEFT,
			    UI_S_NORMAL, tail);
			move(LINES - 1, lw + ui_text_width(tail));
		}
		show(ui);
		key = ui_getkey(ui, -1);
		action = ui_keys_action(&edit, 1, key);
		if (action == UI_ACT_CANCEL) {
			snprintf(buf, len, "%s", saved);
			if (live != NULL)
				live(ui, arg, buf);
			curs_set(0);
			return 0;
		}
		if (action == UI_ACT_ACCEPT) {
			curs_set(0);
			return 1;
		}
		if (action == UI_ACT_ERASE) {
			/* Remove one whole UTF-8 character. */
			n = n > 0 ? ld_utf8_last(buf, n) : 0;
			buf[n] = '\0';
		} else if (action == UI_ACT_KILL) {
			n = 0;
			buf[0] = '\0';
		} else if (key >= 32 && key < 256 && key != 127 &&
		    n + 1 < len) {
			buf[n++] = (char)key;
			buf[n] = '\0';
		} else
			continue;
		if (live != NULL) {
			/* Wait for a complete UTF-8 character. */
			if (ld_utf8_incomplete(buf, n))
				continue;
			ui->live_filter = 1;
			live(ui, arg, buf);
			ui->live_filter = 0;
		}
	}
}

int
ui_pick(struct ui *ui, const char *title, const char *const *items, int n)
{
	int sel = 0, top = 0, key, by, bx, bw, bh, i, visible;

	if (n <= 0)
		return -1;
	for (;;) {
		const struct ui_key *tables[2] = { ui_list_keys,
			ui_frame_keys };
		int action;

		draw_frame(ui);
		visible = LINES - 6;
		if (visible < 1)
			visible = 1;
		if (sel < top)
			top = sel;
		if (sel >= top + visible)
			top = sel - visible + 1;
		draw_box(ui, title, items + top,
		    n - top < visible ? n - top : visible, sel, &by, &bx, &bw,
		    &bh);
		for (i = 0; i < bh - 2 && top + i < n; i++)
			ui_put(ui, by + 1 + i, bx + 1, bw - 2, UI_LEFT,
			    top + i == sel ? UI_S_SELECTED : UI_S_NORMAL,
			    items[top + i]);
		move(by + 1 + sel - top, bx + 1);
		show(ui);
		key = ui_getkey(ui, -1);
		action = ui_keys_action(tables, 2, key);
		if (action == UI_ACT_OPEN)
			return sel;
		if (action == UI_ACT_BACK)
			return -1;
		ui_cursor_move(&sel, n, ui_move_of(action, visible));
	}
}

int
ui_confirm(struct ui *ui, const char *title, const char *const *lines,
    int n)
{
	const char **all;
	int key, by, bx, bw, bh, i, r = 0;

	const struct ui_key *tables[2] = { ui_confirm_keys, ui_frame_keys };
	const struct ui_key *yes = ui_keys_row(ui_confirm_keys, UI_ACT_YES);
	const struct ui_key *no = ui_keys_row(ui_confirm_keys, UI_ACT_NO);
	char ykey[16], nkey[32], hint[96];

	ui_key_words(yes, ykey, sizeof ykey);
	ui_key_words(no, nkey, sizeof nkey);
	snprintf(hint, sizeof hint, "%s %s    %s %s", ykey, yes->help, nkey,
	    no->help);
	all = ld_calloc((size_t)n + 2, sizeof *all);
	for (i = 0; i < n; i++)
		all[i] = lines[i];
	all[n] = "";
	all[n + 1] = hint;
	for (;;) {
		int action;

		draw_frame(ui);
		draw_box(ui, title, all, n + 2, -1, &by, &bx, &bw, &bh);
		for (i = 0; i < bh - 2 && i < n + 2; i++)
			ui_put(ui, by + 1 + i, bx + 2, bw - 4, UI_LEFT,
			    i == n + 1 ? UI_S_HINT_KEY : UI_S_NORMAL, all[i]);
		move(by + bh - 2, bx + 2);
		show(ui);
		key = ui_getkey(ui, -1);
		action = ui_keys_action(tables, 2, key);
		if (action == UI_ACT_YES) {
			r = 1;
			break;
		}
		if (action == UI_ACT_NO || action == UI_ACT_BACK)
			break;
	}
	free(all);
	return r;
}

void
ui_open_screen(struct ui *ui, int id, int64_t arg)
{
	if (id < 0 || id >= UI_SCREEN_COUNT)
		return;
	if (id != ui->cur) {
		/* A full stack forgets its oldest screen. */
		if (ui->nstack == (int)(sizeof ui->stack /
		    sizeof ui->stack[0])) {
			memmove(ui->stack, ui->stack + 1,
			    sizeof ui->stack - sizeof ui->stack[0]);
			ui->nstack--;
		}
		ui->stack[ui->nstack++] = ui->cur;
	}
	ui->cur = id;
	ui->status[0] = '\0';
	ui->status_error = 0;
	ui->screens[id]->enter(ui, ui->state[id], arg);
}

static void
back(struct ui *ui)
{
	if (ui->nstack == 0) {
		ui->quit = 1;
		return;
	}
	ui->cur = ui->stack[--ui->nstack];
	/* What was said on the screen left behind is not about this one. */
	ui->status[0] = '\0';
	ui->status_error = 0;
	if (ui->screens[ui->cur]->changed != NULL)
		ui->screens[ui->cur]->changed(ui, ui->state[ui->cur]);
}

static void
live_filter(struct ui *ui, void *arg, const char *text)
{
	(void)arg;
	ui->screens[ui->cur]->filter(ui, ui->state[ui->cur], text);
}

static void
command_line(struct ui *ui)
{
	const struct ui_screen *s = ui->screens[ui->cur];
	char cmd[256] = "";

	if (!ui_prompt(ui, ":", cmd, sizeof cmd, NULL, NULL))
		return;
	if (strcmp(cmd, "q") == 0 || strcmp(cmd, "quit") == 0) {
		ui->quit = 1;
		return;
	}
	if (strcmp(cmd, "help") == 0) {
		help_overlay(ui);
		return;
	}
	if (cmd[0] == '\0')
		return;
	if (s->command == NULL || !s->command(ui, ui->state[ui->cur], cmd))
		ui_status_error(ui, "%s has no command \"%s\"", s->name, cmd);
}

/*
 * Connects and reads the operator's role.  The first time (first_err not
 * NULL) a failure goes to first_err; later ones go to the banner.
 */
static int
try_connect(struct ui *ui, struct ld_err *first_err)
{
	static const char *const channels[] = { "applications", "reviews" };
	struct ld_err err;

	ld_err_clear(&err);
	if (core_session_connect(ui->sess, &err) != LD_OK) {
		if (first_err != NULL)
			*first_err = err;
		else
			snprintf(ui->banner, sizeof ui->banner,
			    "connection to the database lost: %s "
			    "(retrying; r now)", err.msg);
		return -1;
	}
	if (core_operator_load(ui->sess, &ui->op, &err) != LD_OK) {
		if (first_err != NULL)
			*first_err = err;
		core_session_close(ui->sess);
		return -1;
	}
	ui->connected = 1;
	ui->banner[0] = '\0';
	/* The loss is over; only what goes wrong from here is news. */
	ui->status[0] = '\0';
	ui->status_error = 0;
	/* Times are shown in the session's zone; PGTZ picks it, as psql's. */
	if (core_operator_timezone(ui->sess, &ui->op, getenv("PGTZ"), &err) !=
	    LD_OK)
		ui_report(ui, "PGTZ", err.code, err.msg);
	/* Without LISTEN the console still works, but says it is not live. */
	if (core_session_listen(ui->sess, channels, 2, &err) != LD_OK)
		ui_report(ui, "live updates are off", err.code, err.msg);
	return 0;
}

static void
reconnect(struct ui *ui, double now)
{
	const struct ui_screen *s = ui->screens[ui->cur];

	if (try_connect(ui, NULL) != 0) {
		ui->reconnect_at = now + 2000;
		return;
	}
	/* What went wrong after connecting (PGTZ, LISTEN) stays shown. */
	if (!ui->status_error)
		ui_status(ui, "reconnected");
	if (s->changed != NULL)
		s->changed(ui, ui->state[ui->cur]);
}

static void
poll_notifications(struct ui *ui)
{
	struct ld_err err;
	int n = 0;

	if (!ui->connected)
		return;
	ld_err_clear(&err);
	if (core_session_poll(ui->sess, &n, &err) != LD_OK) {
		ui_report(ui, "listening", err.code, err.msg);
		return;
	}
	if (n > 0)
		ui->changed = 1;
}

static void
dispatch(struct ui *ui, int key)
{
	const struct ui_screen *s = ui->screens[ui->cur];
	const struct ui_key *tables[2], *k;
	void *st = ui->state[ui->cur];
	const char *why;

	if (key == ERR)
		return;
	/* Number keys switch screens, in the order of LDUI_SCREENS. */
	if (key >= '1' && key <= '9' && ui_keys_find(&s->keys, 1, key) ==
	    NULL) {
		if (key - '1' < UI_SCREEN_COUNT) {
			ui->status_error = 0;
			ui_open_screen(ui, key - '1', -1);
		} else
			ui_status(ui, "no screen %c", key);
		return;
	}
	key_tables(ui, tables);
	if ((k = ui_keys_find(tables, 2, key)) == NULL) {
		ui_status(ui, "no action on that key (? lists the keys)");
		return;
	}
	if (!ui_may(ui, k->perm)) {
		ui_status_error(ui, "%s: not offered to %s%s", k->help,
		    ui->op.user, ui->readonly ? " (--readonly)" : "");
		return;
	}
	if ((why = key_refusal(ui, k)) != NULL) {
		ui_status_error(ui, "%s: not now, %s", k->help, why);
		return;
	}
	ui->status_error = 0;
	if (s->action != NULL && s->action(ui, st, k->action))
		return;
	switch (k->action) {
	case UI_ACT_QUIT:
		ui->quit = 1;
		break;
	case UI_ACT_BACK:
		/* A stray Esc on the first screen must not end the session. */
		if (key == 27 && ui->nstack == 0)
			ui_status(ui, "q or Q quits");
		else
			back(ui);
		break;
	case UI_ACT_HELP:
		help_overlay(ui);
		break;
	case UI_ACT_REDRAW:
		clearok(curscr, TRUE);
		break;
	case UI_ACT_FILTER:
		if (s->filter == NULL)
			ui_status(ui, "%s has no filter", s->name);
		else {
			char text[128] = "";

			if (!ui_prompt(ui, "/", text, sizeof text, live_filter,
			    NULL))
				ui_status(ui, "filter unchanged");
		}
		break;
	case UI_ACT_COMMAND:
		command_line(ui);
		break;
	case UI_ACT_RELOAD:
		if (!ui->connected)
			ui->reconnect_at = 0;
		else if (s->changed != NULL)
			s->changed(ui, st);
		break;
	default:
		ui_status(ui, "%s: nothing to do here", k->help);
		break;
	}
}

/* No key came: reconnect, or take in what changed in the database. */
static void
between_keys(struct ui *ui)
{
	const struct ui_screen *s = ui->screens[ui->cur];
	double now = core_now_ms();

	if (!ui->connected) {
		if (now >= ui->reconnect_at)
			reconnect(ui, now);
		return;
	}
	poll_notifications(ui);
	/* Coalesce bursts: at most one refresh a second. */
	if (ui->changed && now - ui->changed_at >= 1000) {
		ui->changed = 0;
		ui->changed_at = now;
		if (s->changed != NULL)
			s->changed(ui, ui->state[ui->cur]);
	}
}

/* The session: frames, background work and keys until the operator quits. */
static void
run(struct ui *ui)
{
	int key;

	ui->cur = UI_SCREEN_APPS;
	ui_timing_start(ui, "apps_first");
	ui->screens[ui->cur]->enter(ui, ui->state[ui->cur], -1);
	while (!ui->quit && !ui->input_lost) {
		const struct ui_screen *s = ui->screens[ui->cur];
		int busy;

		ui_draw_frame(ui);
		/* Background work goes on between keys, never under them. */
		busy = ui->connected && s->idle != NULL &&
		    s->idle(ui, ui->state[ui->cur]);
		key = ui_getkey(ui, busy ? 0 : 250);
		if (ui->input_lost)
			break;
		if (key == ERR) {
			between_keys(ui);
		} else if (key == KEY_RESIZE) {
			/* ncurses resized stdscr; the next frame reflows. */
			clearok(curscr, TRUE);
		} else if (key == KEY_MOUSE) {
			MEVENT me;

			/* The wheel moves like j and k. */
			if (getmouse(&me) == OK)
				dispatch(ui, me.bstate & BUTTON4_PRESSED ?
				    'k' : me.bstate & BUTTON5_PRESSED ? 'j' :
				    ERR);
		} else if (!ui->connected && key == 'r')
			ui->reconnect_at = 0;
		else
			dispatch(ui, key);
	}
}

/* $LOANDESK_TIMING_LOG, when set, appended to. */
static enum ld_status
open_timing_log(struct ui *ui, struct ld_err *err)
{
	const char *tl = getenv("LOANDESK_TIMING_LOG");

	if (tl == NULL || *tl == '\0')
		return LD_OK;
	if ((ui->timing = fopen(tl, "a")) == NULL)
		return ld_err_set(err, LD_EIO, "LOANDESK_TIMING_LOG %s: %s",
		    tl, strerror(errno));
	return LD_OK;
}

/* The terminal in the console's modes; *term is the caller's to end. */
static enum ld_status
open_terminal(struct ui *ui, const struct ui_options *opt, SCREEN **term,
    struct ld_err *err)
{
	ui->utf8 = ui_text_utf8();
	/* An Esc answers in 25 ms instead of ncurses' second. */
	if (getenv("ESCDELAY") == NULL)
		set_escdelay(25);
	/* newterm, unlike initscr, returns on failure instead of exiting. */
	if ((*term = newterm(NULL, stdout, stdin)) == NULL)
		return ld_err_set(err, LD_EUNSUPPORTED, "cannot initialise "
		    "the terminal (TERM=%s)", getenv("TERM") ? getenv("TERM") :
		    "unset");
	set_term(*term);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	/* Mouse off unless asked for: text selection keeps working. */
	if (opt->mouse)
		mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	else
		mousemask(0, NULL);
	setup_styles(ui);
	core_session_set_interrupt(ui->sess, interrupt_query, ui, 25);
	return LD_OK;
}

enum ld_status
ui_console_run(const char *conninfo, const char *read_conninfo,
    const struct ui_options *opt, struct ld_err *err)
{
	struct ui *ui;
	SCREEN *term = NULL;
	const char *tf = getenv("LOANDESK_TEST_FRAMES");
	enum ld_status rc;
	int i;

	setlocale(LC_ALL, "");
	ui = ld_calloc(1, sizeof *ui);
	ui->readonly = opt->readonly;
	ui->op.readonly = opt->readonly;
	ui->test_frames = tf != NULL && *tf != '\0';
	ui->sess = core_session_new(conninfo, read_conninfo,
	    "loandesk-console");
	if ((rc = open_timing_log(ui, err)) != LD_OK)
		goto out;
	/* Connect before the screen changes so errors read normally. */
	if (try_connect(ui, err) != 0) {
		rc = err->code;
		goto out;
	}
	ui->op.readonly = opt->readonly;
	if ((rc = open_terminal(ui, opt, &term, err)) != LD_OK)
		goto out;
	for (i = 0; i < UI_SCREEN_COUNT; i++) {
		ui->screens[i] = ui_screen_table[i];
		ui->state[i] = ui_screen_table[i]->create(ui);
	}
	if (!ui->utf8)
		ui_status(ui, "the locale is not UTF-8: Chinese names cannot "
		    "be shown (set LANG=C.UTF-8)");
	run(ui);
	if (ui->input_lost)
		rc = ld_err_set(err, LD_EIO, "the terminal's input ended; "
		    "leaving the console");
out:
	if (term != NULL) {
		endwin();
		delscreen(term);
	}
	for (i = 0; i < UI_SCREEN_COUNT; i++)
		if (ui->screens[i] != NULL)
			ui->screens[i]->destroy(ui->state[i]);
	core_session_free(ui->sess);
	if (ui->timing != NULL)
		fclose(ui->timing);
	free(ui);
	return rc;
}
