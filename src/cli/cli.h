/*
 * The loandesk program's subcommands.  Each lives in its own cli_*.c file and
 * has one line in the table in main.c; adding a command is adding both.
 *
 * A command returns the process exit status: 0 success, 1 a failure it has
 * already reported on stderr, 2 a usage error.
 */
#ifndef LD_CLI_H
#define LD_CLI_H

#include "ld_config.h"
#include "ld_db_config.h"
#include "ld_pii_config.h"
#include "payout_config.h"
#include "risk_config.h"
#include "wxpay_config.h"

/* What loandesk reads of loandesk.conf (cli_config.c). */
struct loandesk_config {
	char *path;	/* the file read; NULL: defaults */
	struct ld_db_config database;
	struct risk_config risk;
	struct ld_pii_config security;
	/* Read by reconcile (the merchant's key) and settings. */
	struct wx_config wxpay;
	struct payout_config payout;
};

enum ld_status loandesk_config_load(struct loandesk_config *cfg,
    const char *cli_path, struct ld_err *err);
void loandesk_config_free(struct loandesk_config *cfg);

struct cli_ctx {
	const char *config_path; /* -c, or NULL */
	struct loandesk_config cfg;
	int config_loaded;
	/* --readonly and --mouse before any command: the console's. */
	int console_readonly, console_mouse;
};

struct cli_command {
	const char *name;   /* "db" */
	const char *sub;    /* "migrate", or NULL for a one-word command */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
	const char *usage;  /* arguments, for --help */
	const char *summary;
};

/* Loads the configuration once, reporting errors on stderr; 0 or -1. */
int cli_config(struct cli_ctx *ctx);

/* Prints "loandesk: <msg>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cli_db_migrate(struct cli_ctx *ctx, int argc, char **argv);
int cli_db_status(struct cli_ctx *ctx, int argc, char **argv);
int cli_audit_verify(struct cli_ctx *ctx, int argc, char **argv);
int cli_console(struct cli_ctx *ctx, int argc, char **argv);
int cli_apps_list(struct cli_ctx *ctx, int argc, char **argv);
int cli_apps_show(struct cli_ctx *ctx, int argc, char **argv);
int cli_apps_explain(struct cli_ctx *ctx, int argc, char **argv);
int cli_wxpay_sign(struct cli_ctx *ctx, int argc, char **argv);
int cli_wxpay_verify(struct cli_ctx *ctx, int argc, char **argv);
int cli_wxpay_decrypt(struct cli_ctx *ctx, int argc, char **argv);
int cli_wxpay_v2sign(struct cli_ctx *ctx, int argc, char **argv);
int cli_seed(struct cli_ctx *ctx, int argc, char **argv);
int cli_model_register(struct cli_ctx *ctx, int argc, char **argv);
int cli_model_activate(struct cli_ctx *ctx, int argc, char **argv);
int cli_model_list(struct cli_ctx *ctx, int argc, char **argv);
int cli_model_eval(struct cli_ctx *ctx, int argc, char **argv);
int cli_score_pre(struct cli_ctx *ctx, int argc, char **argv);
int cli_keys_rotate(struct cli_ctx *ctx, int argc, char **argv);
int cli_pii_reveal(struct cli_ctx *ctx, int argc, char **argv);
int cli_reconcile(struct cli_ctx *ctx, int argc, char **argv);
int cli_settings_show(struct cli_ctx *ctx, int argc, char **argv);
int cli_settings_apply(struct cli_ctx *ctx, int argc, char **argv);
/* loandesk payouts SUBCOMMAND: argv[0] names it (cli_payouts.c). */
int cli_payouts(struct cli_ctx *ctx, int argc, char **argv);

#endif
