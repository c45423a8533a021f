#include "config.h"

#include <stdio.h>

#include <curses.h>

#include "ui.h"

int
ui_console_run(const struct ld_config *cfg, const struct ui_options *opt)
{
	(void)cfg;
	(void)opt;
	fprintf(stderr, "loandesk: the console is not built yet (%s)\n",
	    curses_version());
	return 1;
}
