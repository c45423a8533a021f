/*
 * loandesk reconcile [--date YYYY-MM-DD] [--json]: WeChat Pay's fund-flow
 * bill of a Beijing day (yesterday by default) against the bills that
 * succeeded here (docs/payouts.md, "Reconciliation").
 *
 * It signs its requests with the merchant's key, so it runs on the backend
 * host with loandeskd's configuration ([wxpay]); the operators' console
 * configuration holds no merchant key.  It connects as [database] says, as
 * a login that may call api.reconcile_run (loandesk_daemon or
 * loandesk_finance).
 *
 * Exit status: 0 every line and bill matched, 3 mismatches (each in a
 * finance review), 4 the file was refused (its SHA1 or format; recorded,
 * nothing matched), 1 nothing was recorded (WeChat Pay unreachable, the bill
 * not made yet, the database's refusal), 2 usage.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "cli.h"
#include "core_reconcile.h"
#include "ld_db.h"
#include "ld_money.h"
#include "payout.h"
#include "wxpay.h"

#define EXIT_MISMATCHES	3
#define EXIT_REFUSED	4

/* YYYY-MM-DD of a real calendar day. */
static int
date_valid(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int y, m, d, i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0));
}

static void
money(int64_t fen, char *buf, size_t len)
{
	if (fen < 0)
		snprintf(buf, len, "-");
	else
		ld_money_format(fen, 0, buf, len);
}

static void
print_text(const struct core_reconcile_result *r)
{
	char ours[40], theirs[40];
	size_t i;

	if (r->no_statement)
		printf("reconciled %s %s: run %" PRId64 ", no statement "
		    "(WeChat Pay: NO_STATEMENT_EXIST, nothing moved)",
		    r->bill_date, r->account_type, r->run_id);
	else
		printf("reconciled %s %s: run %" PRId64 ", fund-flow bill "
		    "sha1 %s", r->bill_date, r->account_type, r->run_id,
		    r->file_sha1);
	if (r->supersedes != 0)
		printf(", supersedes run %" PRId64, r->supersedes);
	printf("\n  %ld lines, %ld matched, %ld mismatches (%ld amount "
	    "differs, %ld paid there not here, %ld succeeded here not "
	    "there)\n", r->lines, r->matched, core_reconcile_mismatches(r),
	    r->amount_differs, r->paid_there_not_here,
	    r->succeeded_here_not_there);
	for (i = 0; i < r->nmismatches; i++) {
		const struct core_reconcile_mismatch *m = &r->mismatches[i];

		money(m->their_fen, theirs, sizeof theirs);
		money(m->our_fen, ours, sizeof ours);
		printf("  %-24s %-32s WeChat Pay %14s  here %14s  review "
		    "%" PRId64 "\n", m->kind, m->out_bill_no[0] != '\0' ?
		    m->out_bill_no : m->wechat_no, theirs, ours,
		    m->review_id);
	}
	if (r->nmismatches > 0 || r->reviews_closed > 0)
		printf("  reviews: %ld opened, %ld carried over, %ld closed "
		    "(not found again)\n", r->reviews_opened,
		    r->reviews_carried, r->reviews_closed);
}

static void
add_fen(cJSON *o, const char *name, int64_t fen)
{
	if (fen < 0)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddNumberToObject(o, name, (double)fen);
}

static void
print_json(const struct core_reconcile_result *r, const char *reason)
{
	cJSON *o = cJSON_CreateObject(), *a;
	char *text;
	size_t i;

	cJSON_AddStringToObject(o, "bill_date", r->bill_date);
	cJSON_AddStringToObject(o, "account_type", r->account_type);
	cJSON_AddStringToObject(o, "outcome", r->refused ? "refused" :
	    core_reconcile_mismatches(r) > 0 ? "mismatches" : "matched");
	cJSON_AddNumberToObject(o, "run_id", (double)r->run_id);
	if (r->refused) {
		cJSON_AddStringToObject(o, "reason", reason);
	} else {
		if (r->supersedes != 0)
			cJSON_AddNumberToObject(o, "supersedes",
			    (double)r->supersedes);
		else
			cJSON_AddNullToObject(o, "supersedes");
		cJSON_AddBoolToObject(o, "no_statement", r->no_statement);
		if (r->file_sha1[0] != '\0')
			cJSON_AddStringToObject(o, "file_sha1", r->file_sha1);
		else
			cJSON_AddNullToObject(o, "file_sha1");
		cJSON_AddNumberToObject(o, "lines", r->lines);
		cJSON_AddNumberToObject(o, "matched", r->matched);
		cJSON_AddNumberToObject(o, "mismatches",
		    core_reconcile_mismatches(r));
		cJSON_AddNumberToObject(o, "amount_differs", r->amount_differs);
		cJSON_AddNumberToObject(o, "paid_there_not_here",
		    r->paid_there_not_here);
		cJSON_AddNumberToObject(o, "succeeded_here_not_there",
		    r->succeeded_here_not_there);
		cJSON_AddNumberToObject(o, "reviews_opened", r->reviews_opened);
		cJSON_AddNumberToObject(o, "reviews_carried",
		    r->reviews_carried);
		cJSON_AddNumberToObject(o, "reviews_closed", r->reviews_closed);
		a = cJSON_AddArrayToObject(o, "mismatch_lines");
		for (i = 0; i < r->nmismatches; i++) {
			const struct core_reconcile_mismatch *m =
			    &r->mismatches[i];
			cJSON *x = cJSON_CreateObject();

			cJSON_AddStringToObject(x, "kind", m->kind);
			cJSON_AddStringToObject(x, "out_bill_no",
			    m->out_bill_no);
			cJSON_AddStringToObject(x, "wechat_no", m->wechat_no);
			add_fen(x, "their_amount_fen", m->their_fen);
			add_fen(x, "our_amount_fen", m->our_fen);
			if (m->payout_id != 0)
				cJSON_AddNumberToObject(x, "payout_id",
				    (double)m->payout_id);
			else
				cJSON_AddNullToObject(x, "payout_id");
			cJSON_AddNumberToObject(x, "review_id",
			    (double)m->review_id);
			cJSON_AddItemToArray(a, x);
		}
	}
	text = cJSON_PrintUnformatted(o);
	if (text != NULL)
		puts(text);
	cJSON_free(text);
	cJSON_Delete(o);
}

int
cli_reconcile(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "date", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct core_reconcile_result res;
	struct wx_client *wx = NULL;
	struct ld_db db;
	struct ld_err err;
	char day[16], today[16];
	const char *date = NULL;
	enum ld_status st;
	int c, json = 0, rc = 1;
	time_t now = time(NULL);

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			date = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return 2;
		}
	}
	if (optind != argc) {
		cli_error("reconcile: unexpected argument \"%s\"",
		    argv[optind]);
		return 2;
	}
	payout_beijing_date((int64_t)now, today, sizeof today);
	if (date == NULL) {
		payout_beijing_date((int64_t)now - 86400, day, sizeof day);
		date = day;
	} else if (!date_valid(date)) {
		cli_error("reconcile: --date \"%s\" is not a day as "
		    "YYYY-MM-DD", date);
		return 2;
	} else if (strcmp(date, today) > 0) {
		cli_error("reconcile: --date %s is after today (%s in "
		    "Beijing)", date, today);
		return 2;
	}
	if (cli_config(ctx) != 0)
		return 1;
	if (!ctx->cfg.wxpay.present) {
		cli_error("reconcile: the configuration%s%s has no [wxpay]: "
		    "the fund-flow bill is asked for with the merchant's "
		    "key, so run reconcile on the backend host with "
		    "loandeskd's configuration (-c FILE)",
		    ctx->cfg.path != NULL ? " " : "",
		    ctx->cfg.path != NULL ? ctx->cfg.path : "");
		return 1;
	}
	ld_err_clear(&err);
	if (wx_client_new(&ctx->cfg.wxpay, &wx, &err) != LD_OK) {
		cli_error("reconcile: %s", err.msg);
		return 1;
	}
	if (ld_db_connect(&db, ctx->cfg.database.conninfo,
	    "loandesk reconcile", &err) != LD_OK) {
		cli_error("reconcile: %s", err.msg);
		wx_client_free(wx);
		return 1;
	}
	st = core_reconcile_day(&db, wx, date, "OPERATION", &res, &err);
	if (st == LD_OK) {
		if (json)
			print_json(&res, NULL);
		else
			print_text(&res);
		rc = core_reconcile_mismatches(&res) > 0 ? EXIT_MISMATCHES : 0;
	} else if (res.refused) {
		if (json)
			print_json(&res, err.msg);
		cli_error("reconcile %s: the fund-flow bill was refused and "
		    "nothing matched (run %" PRId64 " recorded as refused): "
		    "%s", res.bill_date, res.run_id, err.msg);
		rc = EXIT_REFUSED;
	} else {
		cli_error("reconcile %s: nothing recorded: %s", date, err.msg);
	}
	core_reconcile_result_free(&res);
	ld_db_close(&db);
	wx_client_free(wx);
	return rc;
}
