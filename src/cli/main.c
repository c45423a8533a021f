/*
 * loandesk: the operators' program.  With no command it opens the console;
 * with one it runs that command and exits, for scripts and for people who
 * prefer a shell.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cli_command commands[] = {
	{ "db", "migrate", cli_db_migrate, "[--lock-wait SECONDS]",
	    "apply pending schema migrations in order" },
	{ "db", "status", cli_db_status, "",
	    "list applied and pending migrations" },
	{ "audit", "verify", cli_audit_verify, "[--anchor ID:HASH]",
	    "walk the audit log's hash chain; name the first broken row" },
	{ "model", "register", cli_model_register,
	    "--file F --name N --version V", "validate and store a model" },
	{ "model", "activate", cli_model_activate,
	    "NAME VERSION [--challenger]", "make a model champion or challenger" },
	{ "model", "list", cli_model_list, "[--json]",
	    "registered models, their roles and hashes" },
	{ "model", "eval", cli_model_eval, "--model F --csv F "
	    "[--contribs|--approx-contribs|--points]",
	    "score a CSV with a model file; print margins, contributions" },
	{ "score", "pre", cli_score_pre, "--applicant ID ... [--json]",
	    "pre-assess an applicant's data before an application" },
	{ "seed", NULL, cli_seed, "--count N [--seed S]",
	    "load synthetic applicants and applications" },
	{ "wxpay", "sign", cli_wxpay_sign, "--key PEM ... (--help)",
	    "print a WeChat Pay APIv3 Authorization header value" },
	{ "wxpay", "verify", cli_wxpay_verify, "--pubkey PEM ... (--help)",
	    "check an answer/callback signature (exit 0 valid, 1 not)" },
	{ "wxpay", "decrypt", cli_wxpay_decrypt, "--apiv3-key-file F ...",
	    "print a callback's decrypted resource" },
	{ "wxpay", "v2sign", cli_wxpay_v2sign, "--key KEY ... (--help)",
	    "print an APIv2 sign (MD5 or HMAC-SHA256)" },
	{ "console", NULL, cli_console, "[--readonly] [--mouse]",
	    "open the terminal console (the default)" },
	{ "apps", "list", cli_apps_list, "[--json] [--status S] [--limit N]",
	    "list applications, newest first" },
	{ "apps", "show", cli_apps_show, "ID [--json]",
	    "one application as a case: score, contributions, links" },
	{ "apps", "explain", cli_apps_explain, "ID [--lang zh|en] [--json]",
	    "the reasons for a decision, as the borrower may be given them" },
	{ "payouts", "list", cli_payouts, "[--state S] [--mine] [--limit N] "
	    "[--json] ...", "payouts, newest first, a keyset page at a time" },
	{ "payouts", "show", cli_payouts, "ID [--json]",
	    "a payout: bills, package_info, attempts, approvals, timeline" },
	{ "payouts", "approve", cli_payouts, "ID... [--expect-count N "
	    "--expect-total YUAN] [--dry-run]", "approve one (four eyes), or "
	    "a batch as counted" },
	{ "payouts", "hold", cli_payouts, "ID --reason R",
	    "hold a payout: nothing new is sent" },
	{ "payouts", "release", cli_payouts, "ID", "lift a person's hold" },
	{ "payouts", "retry", cli_payouts, "ID --note N [--dry-run]",
	    "send a failed payout's failed bills again, new numbers" },
	{ "payouts", "cancel", cli_payouts, "ID --reason R",
	    "cancel a payout WeChat Pay cannot still pay" },
	{ "payouts", "escalate", cli_payouts, "ID --to finance|oncall|admin "
	    "--note N", "hand a payout's review to another group" },
	{ "payouts", "pause", cli_payouts, "--reason R",
	    "the kill switch: no new transfer starts" },
	{ "payouts", "resume", cli_payouts, "[--note N]",
	    "undo the kill switch" },
	{ "payouts", "status", cli_payouts, "[--json]", "paid today, "
	    "balance, channel, waiting for approval, alerts" },
	{ "payouts", "incidents", cli_payouts, "[--stuck-after S] [--json]",
	    "failed payouts, stuck bills, activity, daemons, queue" },
	{ "payouts", "help", cli_payouts, "", "the payouts subcommands in "
	    "full and their exit status (3 refused, 4 no such payout)" },
	{ "pii", "reveal", cli_pii_reveal, "APP FIELD --reason TEXT "
	    "[--previous-key F]", "show one personal field (name, id_no, "
	    "phone), audited and rate-limited" },
	{ "reconcile", NULL, cli_reconcile, "[--date YYYY-MM-DD] [--json]",
	    "match WeChat Pay's fund-flow bill of a day against our bills" },
	{ "settings", "show", cli_settings_show, "[--json]",
	    "the database's payout figures next to the configuration's" },
	{ "settings", "apply", cli_settings_apply, "[--note TEXT]",
	    "write the configuration's figures into the database (admin)" },
	{ "keys", "rotate", cli_keys_rotate, "[--previous-key F] [--batch N]",
	    "re-seal every personal field under [security]'s keys, online "
	    "and resumable" },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("loandesk: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_config(struct cli_ctx *ctx)
{
	struct ld_err err;

	if (ctx->config_loaded)
		return 0;
	ld_err_clear(&err);
	if (loandesk_config_load(&ctx->cfg, ctx->config_path, &err) !=
	    LD_OK) {
		cli_error("%s", err.msg);
		return -1;
	}
	ctx->config_loaded = 1;
	return 0;
}

static void
usage(FILE *out)
{
	size_t i;

	fprintf(out,
	    "usage: loandesk [-c CONFIG] [--readonly] [--mouse]\n"
	    "       loandesk [-c CONFIG] COMMAND [SUBCOMMAND] [ARGS]\n"
	    "\n"
	    "The loandesk back-office console and its commands.  With no\n"
	    "command the console opens.\n"
	    "\n"
	    "options:\n"
	    "  -c, --config FILE  configuration file (else $LOANDESK_CONF,\n"
	    "                     else %s/loandesk/loandesk.conf, else\n"
	    "                     defaults with the PG* environment)\n"
	    "  --readonly         the console offers no action that changes\n"
	    "                     anything\n"
	    "  --mouse            the console takes mouse clicks and wheel\n"
	    "  -h, --help         this text\n"
	    "  -V, --version      the version\n"
	    "\n"
	    "commands:\n", ld_config_sysconfdir());
	/* A long usage takes its own line; the summary goes below it. */
	for (i = 0; i < NCOMMANDS; i++) {
		char name[160];

		snprintf(name, sizeof name, "%s%s%s %s", commands[i].name,
		    commands[i].sub ? " " : "",
		    commands[i].sub ? commands[i].sub : "", commands[i].usage);
		if (strlen(name) <= 34)
			fprintf(out, "  %-34s %s\n", name,
			    commands[i].summary);
		else
			fprintf(out, "  %s\n  %-34s %s\n", name, "",
			    commands[i].summary);
	}
	fprintf(out, "\n"
	    "exit status: 0 done, 1 failure (reported on stderr), 2 usage\n"
	    "error; `payouts` also 3 refused by the database (not allowed,\n"
	    "wrong state, a batch not as expected) and 4 no such payout.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "readonly", no_argument, NULL, 'r' },
		{ "mouse", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_ctx ctx;
	size_t i;
	int c, rc, matched_name = 0;

	memset(&ctx, 0, sizeof ctx);
	/* '+' stops at the first command word so commands own their flags. */
	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctx.config_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("loandesk %s\n", PACKAGE_VERSION);
			return 0;
		case 'r':
			ctx.console_readonly = 1;
			break;
		case 'm':
			ctx.console_mouse = 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		rc = cli_console(&ctx, 0, argv);
		goto out;
	}
	if ((ctx.console_readonly || ctx.console_mouse) &&
	    strcmp(argv[0], "console") != 0) {
		cli_error("--%s is the console's option, not %s's",
		    ctx.console_readonly ? "readonly" : "mouse", argv[0]);
		return 2;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		matched_name = 1;
		if (commands[i].sub == NULL) {
			optind = 1;
			rc = commands[i].run(&ctx, argc, argv);
			goto out;
		}
		if (argc >= 2 && strcmp(argv[1], commands[i].sub) == 0) {
			optind = 1;
			rc = commands[i].run(&ctx, argc - 1, argv + 1);
			goto out;
		}
	}
	if (matched_name)
		cli_error("\"%s\" needs a subcommand (%s%s)", argv[0],
		    argc >= 2 ? "unknown: " : "see loandesk --help",
		    argc >= 2 ? argv[1] : "");
	else
		cli_error("unknown command \"%s\" (see loandesk --help)",
		    argv[0]);
	return 2;
out:
	if (ctx.config_loaded)
		loandesk_config_free(&ctx.cfg);
	return rc;
}
