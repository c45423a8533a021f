#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ui.h"

int
cli_console(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "readonly", no_argument, NULL, 'r' },
		{ "mouse", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ui_options uo;
	struct ld_err err;
	int c;

	memset(&uo, 0, sizeof uo);
	uo.readonly = ctx->console_readonly;
	uo.mouse = ctx->console_mouse;
	while (argc > 0 &&
	    (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'r')
			uo.readonly = 1;
		else if (c == 'm')
			uo.mouse = 1;
		else if (c == 'h') {
			printf("usage: loandesk [-c CONFIG] [console] "
			    "[--readonly] [--mouse]\n\n"
			    "Opens the console as your own PostgreSQL role "
			    "(PGUSER, or [database]\nconninfo).  --readonly "
			    "offers no action that changes anything;\n"
			    "--mouse takes clicks and the wheel.  Inside, ? "
			    "lists the keys.\n");
			return 0;
		} else
			return 2;
	}
	if (argc > 0 && optind < argc) {
		cli_error("console: unexpected argument \"%s\"",
		    argv[optind]);
		return 2;
	}
	/*
	 * Without a terminal on both ends curses would draw into a pipe and
	 * read a closed input forever; scripts have the subcommands.
	 */
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_error("console: standard %s is not a terminal (for "
		    "scripts: loandesk apps list --json, loandesk apps show ID)",
		    !isatty(STDIN_FILENO) ? "input" : "output");
		return 2;
	}
	if (cli_config(ctx) != 0)
		return 1;
	ld_err_clear(&err);
	if (ui_console_run(ctx->cfg.database.conninfo,
	    ctx->cfg.database.read_conninfo, &uo, &err) != LD_OK) {
		cli_error("%s", err.msg);
		return 1;
	}
	return 0;
}
