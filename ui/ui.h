/*
 * The terminal console.  ui/ may call src/; nothing in src/ includes curses.
 */
#ifndef LD_UI_H
#define LD_UI_H

#include "ld_config.h"

struct ui_options {
	int readonly;
};

/* Runs the console until the operator quits; returns an exit status. */
int ui_console_run(const struct ld_config *cfg, const struct ui_options *opt);

#endif
