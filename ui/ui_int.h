/*
 * The console's framework, shared by the screens.
 *
 * A screen is one file defining a struct ui_screen (a vtable, as tig's
 * views) and one entry in screen_table[] of ui_console.c (its id below
 * names it for screens that open it); the number keys and the help follow
 * the table.  Keys are
 * X-macro tables of struct ui_key: the same rows dispatch a key, draw the
 * key-hint bar and build the ? help overlay, filtered by what the
 * operator's role may do, so what is offered and what works cannot drift.
 */
#ifndef LD_UI_INT_H
#define LD_UI_INT_H

#include <stdint.h>
#include <stdio.h>

#include "core_operator.h"
#include "ld_config.h"
#include "ld_db.h"
#include "ui_text.h"

struct ui;

/* Actions shared by every screen; screens number theirs from UI_ACT_SCREEN. */
#define UI_GLOBAL_KEYS(X)                                                   \
	X(UI_ACT_DOWN, 'j', KEY_DOWN, 0, "j/Down", "move down", NONE, 0)     \
	X(UI_ACT_UP, 'k', KEY_UP, 0, "k/Up", "move up", NONE, 0)             \
	X(UI_ACT_PGDN, KEY_NPAGE, ' ', 4, "PgDn/^D", "page down", NONE, 0)   \
	X(UI_ACT_PGUP, KEY_PPAGE, 21, 0, "PgUp/^U", "page up", NONE, 0)      \
	X(UI_ACT_HOME, KEY_HOME, 'g', 0, "g/Home", "first row", NONE, 0)     \
	X(UI_ACT_END, KEY_END, 'G', 0, "G/End", "last row", NONE, 0)         \
	X(UI_ACT_OPEN, '\n', KEY_ENTER, '\r', "Enter", "open", NONE, 1)      \
	X(UI_ACT_NEXT_PANE, '\t', 0, 0, "Tab", "next pane", NONE, 0)         \
	X(UI_ACT_PREV_PANE, KEY_BTAB, 0, 0, "S-Tab", "previous pane", NONE, 0) \
	X(UI_ACT_FILTER, '/', 0, 0, "/", "filter", NONE, 1)                  \
	X(UI_ACT_COMMAND, ':', 0, 0, ":", "command", NONE, 1)                \
	X(UI_ACT_RELOAD, 'r', 0, 0, "r", "reload", NONE, 0)                  \
	X(UI_ACT_REDRAW, 12, 0, 0, "^L", "redraw", NONE, 0)                  \
	X(UI_ACT_HELP, '?', 0, 0, "?", "help", NONE, 1)                      \
	X(UI_ACT_BACK, 'q', 27, 0, "q/Esc", "back", NONE, 1)                 \
	X(UI_ACT_QUIT, 'Q', 0, 0, "Q", "quit", NONE, 1)

#define UI_ENUM(id, k1, k2, k3, label, help, perm, hint) id,
enum ui_action {
	UI_ACT_NONE = 0,
	UI_GLOBAL_KEYS(UI_ENUM)
	UI_ACT_SCREEN = 100
};

struct ui_key {
	int action;
	int keys[3];
	const char *label;
	const char *help;
	enum core_perm perm;
	int hint; /* shown in the key-hint bar */
};

/* Builds a struct ui_key row from an X-macro row. */
#define UI_KEY_ROW(id, k1, k2, k3, label, help, perm, hint) \
	{ id, { k1, k2, k3 }, label, help, CORE_PERM_##perm, hint },

struct ui_screen {
	const char *name;          /* title bar, help */
	const struct ui_key *keys; /* terminated by action 0; may be NULL */
	void *(*create)(struct ui *ui);
	void (*destroy)(void *st);
	/* Switched to; arg is screen specific (the case's id). */
	void (*enter)(struct ui *ui, void *st, int64_t arg);
	/* Draws rows [top, top + rows) of the screen; sets ui->cursor_y. */
	void (*draw)(struct ui *ui, void *st, int top, int rows);
	/* A key's action; non-zero when handled. */
	int (*action)(struct ui *ui, void *st, int action);
	/* A ':' command; non-zero when recognised (errors go to status). */
	int (*command)(struct ui *ui, void *st, const char *cmd);
	/* '/' live filter text, after each keystroke; NULL: no filter. */
	void (*filter)(struct ui *ui, void *st, const char *text);
	/* Something changed in the database (NOTIFY applications). */
	void (*changed)(struct ui *ui, void *st);
	/* The position text at the right of the title ("12/~1,000,000"). */
	void (*position)(struct ui *ui, void *st, char *buf, size_t len);
};

extern const struct ui_screen ui_screen_apps;
extern const struct ui_screen ui_screen_case;
extern const struct ui_screen ui_screen_reviews;
extern const struct ui_screen ui_screen_audit;

enum ui_screen_id {
	UI_SCREEN_APPS,
	UI_SCREEN_CASE,
	UI_SCREEN_REVIEWS,
	UI_SCREEN_AUDIT,
	UI_SCREEN_COUNT
};

/* Colour roles, mapped to attributes once colours are known. */
enum ui_style {
	UI_S_NORMAL,
	UI_S_TITLE,
	UI_S_HEADER,
	UI_S_SELECTED,
	UI_S_HINT_KEY,
	UI_S_HINT,
	UI_S_STATUS,
	UI_S_ERROR,
	UI_S_BANNER,
	UI_S_GOOD,
	UI_S_BAD,
	UI_S_WARN,
	UI_S_DIM,
	UI_S_COUNT
};

#define UI_KEYQ 256

struct ui {
	const struct ld_config *cfg;
	struct ld_db db;
	int connected;
	double reconnect_at;     /* monotonic ms of the next attempt */
	struct core_operator op;
	int readonly;
	int utf8;
	int colours;             /* 0 monochrome/NO_COLOR, 8, 256 */
	int attrs[UI_S_COUNT];

	const struct ui_screen *screens[UI_SCREEN_COUNT];
	void *state[UI_SCREEN_COUNT];
	int cur;
	int stack[32];
	int nstack;

	char status[512];
	int status_error;
	char banner[256];
	int quit;
	int cursor_y;            /* row the terminal cursor rests on */
	int changed;             /* a NOTIFY arrived, not yet handed on */
	double changed_at;

	int keyq[UI_KEYQ];       /* keys read while a query ran */
	int nkeyq;
	int live_filter;         /* any key cancels the running query */
	int waiting_shown;       /* "waiting for the database" is up */

	FILE *timing;            /* $LOANDESK_TIMING_LOG */
	const char *timing_event;
	double timing_t0;
};

/* Status line feedback; an error stays red until the next action. */
void ui_status(struct ui *ui, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ui_status_error(struct ui *ui, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Reports a failed operation: the message in the status line, and for a
 * lost connection the banner and a reconnect schedule.
 */
void ui_report(struct ui *ui, const char *what, enum ld_status st,
    const char *msg);

/* Pushes the current screen and shows another (arg as for enter()). */
void ui_open_screen(struct ui *ui, int id, int64_t arg);

/* Marks an event timed until the next frame is on the terminal. */
void ui_timing_start(struct ui *ui, const char *event);

/* Whether the operator may take an action needing perm. */
int ui_may(struct ui *ui, enum core_perm perm);

/* Draws text fitted to width columns at (y, x), clipped to the screen. */
void ui_put(struct ui *ui, int y, int x, int width, enum ui_align align,
    enum ui_style style, const char *text);
/* Fills the rest of row y from x with style (for selected rows). */
void ui_fill(struct ui *ui, int y, int x, int width, enum ui_style style);
/* The terminal's size now (it changes on KEY_RESIZE). */
int ui_cols(void);
int ui_lines(void);

/*
 * Reads a line on the status row after label.  With live set, live() is
 * called after every change.  Returns 1 on Enter (buf holds the text),
 * 0 on Esc (buf restored to what it was).
 */
int ui_prompt(struct ui *ui, const char *label, char *buf, size_t len,
    void (*live)(struct ui *ui, void *arg, const char *text), void *arg);

/*
 * A centred list to pick from: returns the index chosen, or -1 on Esc.
 * items are n display strings.
 */
int ui_pick(struct ui *ui, const char *title, const char *const *items,
    int n);

/*
 * A centred box with the lines and "y to confirm, n or Esc to cancel";
 * returns 1 only for y.
 */
int ui_confirm(struct ui *ui, const char *title, const char *const *lines,
    int n);

/* The next key: queued ones first, then the terminal (timeout ms, -1 ever). */
int ui_getkey(struct ui *ui, int timeout_ms);

/*
 * Draws the whole frame: title, banner, the screen's body, key-hint bar,
 * status line; leaves the terminal cursor on the selected row and writes
 * the pending timing event, if any.
 */
void ui_draw_frame(struct ui *ui);

/* Money for screens: "¥1,234.56". */
void ui_money(int64_t fen, char *buf, size_t len);

#endif
