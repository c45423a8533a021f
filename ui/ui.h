/*
 * The terminal console.  ui/ may call src/; nothing in src/ includes curses.
 */
#ifndef LD_UI_H
#define LD_UI_H

#include "ld_err.h"

struct ui_options {
	int readonly; /* offer nothing that writes */
	int mouse;    /* wheel scrolls; off by default so text selects */
};

/*
 * Runs the console until the operator quits.  Returns LD_OK, or with err
 * filled: the database cannot be reached or the operator's role not read,
 * the terminal cannot be opened, or its input ends while it runs.  The
 * caller makes sure standard input and output are a terminal.  It connects
 * with conninfo ([database] conninfo; "" leaves it to the PG* variables)
 * as the operator's own role, and reads its lists from read_conninfo
 * ([database] read_conninfo; "" or NULL: none) while that replica keeps
 * up (core_session.h).  The environment it reads: NO_COLOR (set
 * and non-empty: attributes only), ESCDELAY (default 25 ms), PGTZ (the
 * time zone times are shown in; the session's, UTC, when unset),
 * LOANDESK_TIMING_LOG=FILE (appends "event milliseconds" lines:
 * apps_first, apps_pgdn, apps_pgup, apps_move, apps_last, case_open; for
 * the bench), LOANDESK_TEST_FRAMES (set and non-empty: after each frame
 * the terminal title says "loandesk-test keys=N size=COLSxLINES", the
 * keys read before it; for the tests, tests/console/lib.sh).
 */
enum ld_status ui_console_run(const char *conninfo,
    const char *read_conninfo, const struct ui_options *opt,
    struct ld_err *err);

#endif
