/*
 * The console's framework, shared by the screens.
 *
 * A screen is one file defining a struct ui_screen (a vtable, as tig's
 * views) and one entry in LDUI_SCREENS of ui/local.mk, from which
 * ui_screens.h gives it an id (UI_SCREEN_NAME), the number key of its
 * place in the list and its row in the screen table.
 *
 * Keys are X-macro rows of struct ui_key.  A screen's table lists every
 * key it answers: the shared rows it takes part in (moving, Enter, the
 * '/' filter, the ':' command line, panes) and its own; the framework
 * adds the rows every screen has (help, back, quit, reload, redraw).
 * Those same rows dispatch a key, draw the key-hint bar and build the ?
 * help, filtered by what the operator's role may do, so what is offered
 * and what works cannot drift.  The dialogs (help, pickers, prompts,
 * confirmations) read their keys from rows of the same kind.
 *
 * Lists share one cursor (ui_move_of, ui_cursor_move, ui_cursor_show),
 * tables one column layout (struct ui_table), long text one wrap
 * (ui_put_wrapped): a new screen is its data, its columns and its keys.
 *
 * Internal to ui: programs open the console through ui.h.
 */
#ifndef LD_UI_INT_H
#define LD_UI_INT_H
#ifndef LD_UI_INTERNAL
#error "ui_int.h is internal to ui: use ui.h"
#endif

#include <stdint.h>
#include <stdio.h>

#include "core_operator.h"
#include "core_session.h"
#include "core_states.h"
#include "ui_text.h"

struct ui;

/*
 * Rows are X(action, key1, key2, key3, label, help, permission, hint):
 * the keys (0: none), the label shown in help ("j/Down"), what it does,
 * the CORE_PERM_ it needs, and its place in the key-hint bar: NO (only
 * in help), ALWAYS (kept at any width), MAIN, MORE (dropped first when
 * the terminal is narrow).
 */
#define UI_MOVE_KEYS(X)                                                     \
	X(UI_ACT_DOWN, 'j', KEY_DOWN, 0, "j/Down", "move down", NONE, NO)    \
	X(UI_ACT_UP, 'k', KEY_UP, 0, "k/Up", "move up", NONE, NO)            \
	X(UI_ACT_PGDN, KEY_NPAGE, ' ', 4, "PgDn/^D", "page down", NONE, NO)  \
	X(UI_ACT_PGUP, KEY_PPAGE, 21, 0, "PgUp/^U", "page up", NONE, NO)     \
	X(UI_ACT_HOME, KEY_HOME, 'g', 0, "g/Home", "first row", NONE, NO)    \
	X(UI_ACT_END, KEY_END, 'G', 0, "G/End", "last row", NONE, NO)
#define UI_OPEN_KEY(X)                                                      \
	X(UI_ACT_OPEN, '\n', KEY_ENTER, '\r', "Enter", "open", NONE, MAIN)
#define UI_FILTER_KEY(X)                                                    \
	X(UI_ACT_FILTER, '/', 0, 0, "/", "filter", NONE, MAIN)
#define UI_COMMAND_KEY(X)                                                   \
	X(UI_ACT_COMMAND, ':', 0, 0, ":", "command", NONE, MAIN)
#define UI_PANE_KEYS(X)                                                     \
	X(UI_ACT_NEXT_PANE, '\t', 0, 0, "Tab", "next pane", NONE, MAIN)      \
	X(UI_ACT_PREV_PANE, KEY_BTAB, 0, 0, "S-Tab", "previous pane", NONE, NO)
/* Every screen's; the framework appends them to the screen's table. */
#define UI_FRAME_KEYS(X)                                                    \
	X(UI_ACT_RELOAD, 'r', 0, 0, "r", "reload", NONE, NO)                 \
	X(UI_ACT_REDRAW, 12, 0, 0, "^L", "redraw", NONE, NO)                 \
	X(UI_ACT_HELP, '?', 0, 0, "?", "help", NONE, ALWAYS)                 \
	X(UI_ACT_BACK, 'q', 27, 0, "q/Esc", "back", NONE, ALWAYS)            \
	X(UI_ACT_QUIT, 'Q', 0, 0, "Q", "quit", NONE, ALWAYS)
/*
 * The dialogs': a confirmation takes y or n (and q or Esc, as back), a
 * prompt Enter or Esc and edits with these; pickers and the help take
 * the moving keys, Enter and back.
 */
#define UI_CONFIRM_KEYS(X)                                                  \
	X(UI_ACT_YES, 'y', 'Y', 0, "y", "confirm", NONE, NO)                 \
	X(UI_ACT_NO, 'n', 'N', 27, "n/Esc", "cancel", NONE, NO)
#define UI_PROMPT_KEYS(X)                                                   \
	X(UI_ACT_ACCEPT, '\n', KEY_ENTER, '\r', "Enter", "accept", NONE, NO) \
	X(UI_ACT_CANCEL, 27, 0, 0, "Esc", "cancel", NONE, NO)                \
	X(UI_ACT_ERASE, KEY_BACKSPACE, 127, 8, "Backspace", "erase", NONE, NO) \
	X(UI_ACT_KILL, 21, 0, 0, "^U", "erase the line", NONE, NO)

#define UI_ENUM(id, k1, k2, k3, label, help, perm, hint) id,
enum ui_action {
	UI_ACT_NONE = 0,
	UI_MOVE_KEYS(UI_ENUM)
	UI_OPEN_KEY(UI_ENUM)
	UI_FILTER_KEY(UI_ENUM)
	UI_COMMAND_KEY(UI_ENUM)
	UI_PANE_KEYS(UI_ENUM)
	UI_FRAME_KEYS(UI_ENUM)
	UI_CONFIRM_KEYS(UI_ENUM)
	UI_PROMPT_KEYS(UI_ENUM)
	UI_ACT_SCREEN = 100
};

enum ui_hint_rank {
	UI_HINT_NO,
	UI_HINT_ALWAYS,
	UI_HINT_MAIN,
	UI_HINT_MORE
};

struct ui_key {
	int action;
	int keys[3];
	const char *label;
	const char *help;
	enum core_perm perm;
	enum ui_hint_rank hint;
};

/* Builds a struct ui_key row from an X-macro row. */
#define UI_KEY_ROW(id, k1, k2, k3, label, help, perm, hint) \
	{ id, { k1, k2, k3 }, label, help, CORE_PERM_##perm, UI_HINT_##hint },
/* Ends a key table. */
#define UI_KEY_END { 0, { 0, 0, 0 }, NULL, NULL, CORE_PERM_NONE, UI_HINT_NO }

/* The rows every screen has (UI_FRAME_KEYS). */
extern const struct ui_key ui_frame_keys[];
/* The dialogs' rows: UI_CONFIRM_KEYS, UI_PROMPT_KEYS, and the moving
 * keys with Enter a picker and the help scroll and choose with. */
extern const struct ui_key ui_confirm_keys[];
extern const struct ui_key ui_prompt_keys[];
extern const struct ui_key ui_list_keys[];

/* The action key dispatches to in tables[0..n), or UI_ACT_NONE. */
int ui_keys_action(const struct ui_key *const *tables, int n, int key);

/* The row of table for action, or NULL. */
const struct ui_key *ui_keys_row(const struct ui_key *table, int action);

/*
 * The row of tables[0..n) (in that order) that key dispatches to, or
 * NULL.  Tables end with UI_KEY_END; a NULL table is skipped.
 */
const struct ui_key *ui_keys_find(const struct ui_key *const *tables,
    int n, int key);

/* Whether any row of table has this action. */
int ui_keys_has(const struct ui_key *table, int action);

/* One entry of the key-hint bar: a row and where it starts. */
struct ui_hint {
	const struct ui_key *key;
	int x;      /* column of the key */
	int keyw;   /* columns of the key; the help follows after a space */
};

/*
 * Lays out the key-hint bar in cols columns from column x0: the hinted
 * rows of tables[0..n) that op may use and hidden (when not NULL) does
 * not hide for the screen's state, ALWAYS rows first, then MAIN,
 * then MORE, as many of each rank as fit, drawn in table order.  Returns
 * the number of entries written to out (at most max).
 */
int ui_hints_layout(const struct ui_key *const *tables, int n,
    const struct core_operator *op, int x0, int cols, struct ui_hint *out,
    int max, int (*hidden)(const struct ui_key *k, void *arg),
    void *hidden_arg);

/* The text of a hint's key: the label up to its first '/' ("q/Esc": q). */
void ui_hint_key(const struct ui_key *k, char *buf, size_t len);

/* A row's keys in words: "q or Esc" for "q/Esc" ("/" stays "/"). */
void ui_key_words(const struct ui_key *k, char *buf, size_t len);

struct ui_screen {
	const char *name;          /* title bar, help */
	const struct ui_key *keys; /* ends with UI_KEY_END; may be NULL */
	void *(*create)(struct ui *ui);
	void (*destroy)(void *st);
	/* Switched to; arg is screen specific (the case's id). */
	void (*enter)(struct ui *ui, void *st, int64_t arg);
	/* Draws rows [top, top + rows) of the screen; sets ui->cursor_y. */
	void (*draw)(struct ui *ui, void *st, int top, int rows);
	/* A key's action; non-zero when handled. */
	int (*action)(struct ui *ui, void *st, int action);
	/*
	 * Why action cannot be taken in the screen's current state (a case
	 * already decided), or NULL when it can; NULL pointer: always can.
	 * Such an action leaves the hint bar and help, and its key says why.
	 */
	const char *(*refusal)(struct ui *ui, void *st, int action);
	/* A ':' command; non-zero when recognised (errors go to status). */
	int (*command)(struct ui *ui, void *st, const char *cmd);
	/* '/' live filter text, after each keystroke; NULL: no filter. */
	void (*filter)(struct ui *ui, void *st, const char *text);
	/* Something changed in the database (NOTIFY applications). */
	void (*changed)(struct ui *ui, void *st);
	/* The position text at the right of the title ("row 12 of ~1,000"). */
	void (*position)(struct ui *ui, void *st, char *buf, size_t len);
	/*
	 * Background work in slices (NULL: none).  Called when no key is
	 * waiting while the screen is shown; returns non-zero while more
	 * work remains, so the loop calls it again without sleeping.
	 */
	int (*idle)(struct ui *ui, void *st);
};

#define UI_SCREEN(id, name) extern const struct ui_screen ui_screen_##name;
#include "ui_screens.h"
#undef UI_SCREEN

enum ui_screen_id {
#define UI_SCREEN(id, name) UI_SCREEN_##id,
#include "ui_screens.h"
#undef UI_SCREEN
	UI_SCREEN_COUNT
};

/* The screens in number-key order, from LDUI_SCREENS. */
extern const struct ui_screen *const ui_screen_table[UI_SCREEN_COUNT];
/* Each one's word, its file's name: "apps" for ui_screen_apps.c. */
extern const char *const ui_screen_words[UI_SCREEN_COUNT];

/* The screen whose word is word, or -1. */
int ui_screen_find(const char *word);

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
	struct core_session *sess;
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
	int input_lost;          /* the terminal went away: end the session */
	int input_errs;          /* getch() failures in a row */

	FILE *timing;            /* $LOANDESK_TIMING_LOG */
	const char *timing_event;
	double timing_t0;

	/*
	 * $LOANDESK_TEST_FRAMES: after each frame the terminal's title says
	 * how many keys were read before it and the size it was drawn for,
	 * so a test waits for the frame that follows its keys, not for text
	 * the frame before may already show.
	 */
	int test_frames;
	unsigned long keys_read;
};

/* Status line feedback; an error stays red until the next action. */
void ui_status(struct ui *ui, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "filters cleared", saying where the next q or Esc goes. */
void ui_status_filters_cleared(struct ui *ui);
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
/*
 * Lists.  The moving keys (UI_MOVE_KEYS) mean the same on every list:
 * ui_move_of says what one asks of a list showing rows rows at a time; a
 * list held whole applies it with ui_cursor_move, a list paged from the
 * database (Applications, Audit) by fetching as far as it goes.  When
 * drawn, ui_cursor_show keeps the cursor in view.
 */
enum ui_move_to {
	UI_MOVE_NONE,  /* not a moving key */
	UI_MOVE_BY,    /* by rows; negative is up */
	UI_MOVE_FIRST,
	UI_MOVE_LAST
};

struct ui_move {
	enum ui_move_to to;
	int by;
	int paged;     /* a page key: the view may move with the cursor */
};

struct ui_move ui_move_of(int action, int rows);

/* Applies m to *cur in a list of n rows (0 when empty). */
void ui_cursor_move(int *cur, int n, struct ui_move m);

/*
 * The first row shown, *top, moved as little as keeps cur among the rows
 * rows shown, and no further down than fills them.
 */
void ui_cursor_show(int *top, int cur, int n, int rows);

/*
 * Tables.  A table is its columns, left to right one space apart, and
 * the steps by which it narrows on a narrow terminal: the headings and
 * every row are drawn from the same layout, so headings sit over their
 * data at any width.
 */
struct ui_col {
	const char *title;
	int width;          /* 0: the last column, taking the rest of the row */
	enum ui_align align;
};

/*
 * A narrowing step: column col becomes width wide (0: hidden).  with_prev:
 * taken at once with the step before.  spare: taken also to give the
 * flexible last column the room it wants, not only the least it needs.
 */
struct ui_narrow {
	int col;
	int width;
	int with_prev;
	int spare;
};

struct ui_table {
	const struct ui_col *col;
	int ncol;
	const struct ui_narrow *narrow; /* in the order they are taken */
	int nnarrow;
	int x0;       /* where the first column starts */
	int margin;   /* columns a flexible last column leaves at the edge */
};

/* A column of a table on screen, where the layout put it. */
struct ui_column {
	const char *title;
	int x;
	int width;
	enum ui_align align;
};

#define UI_TABLE_MAX 16

struct ui_layout {
	struct ui_column c[UI_TABLE_MAX]; /* the shown columns, left to right */
	int col[UI_TABLE_MAX];            /* each one's index in the table */
	int n;
};

/*
 * Lays t out in cols terminal columns.  width[i] (NULL: the table's)
 * is column i's width.  A last column of width 0 is flexible: it takes
 * what the others leave less t->margin, and needs flex_min.  While the
 * row does not fit, the narrowing steps are taken in order; then, while
 * the flexible column has less than flex_want, the spare ones.
 */
void ui_table_layout(const struct ui_table *t, const int *width,
    int flex_min, int flex_want, int cols, struct ui_layout *out);

/* The shown column of table column col, or NULL when it is hidden. */
struct ui_column *ui_layout_find(struct ui_layout *l, int col);

/* The headings of a layout on row y. */
void ui_put_headings(struct ui *ui, int y, const struct ui_layout *l);

/* One cell of column c on row y. */
void ui_put_cell(struct ui *ui, int y, const struct ui_column *c,
    enum ui_style style, const char *text);

/* The cell of table column col on row y, when that column is shown. */
void ui_put_col(struct ui *ui, int y, struct ui_layout *l, int col,
    enum ui_style style, const char *text);

/*
 * Draws s wrapped (ui_text_wrap_cut) onto lines [y, y + lines) from
 * column x; what the last line cannot hold ends in an ellipsis.
 */
void ui_put_wrapped(struct ui *ui, int y, int x, int width, int lines,
    enum ui_style style, const char *s);

/* The style a state's tone is drawn in (core_states.h). */
enum ui_style ui_tone_style(enum core_tone tone);

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

/* A count with thousands separators: "1,000,000". */
void ui_count(int64_t n, char *buf, size_t len);

#endif
