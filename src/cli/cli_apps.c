/*
 * loandesk apps list|show: the console's read models for scripts.  Text
 * output is aligned for people; --json is one document for jq.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cli.h"
#include "core_apps.h"
#include "core_case.h"
#include "core_schedule.h"
#include "core_session.h"
#include "ld_money.h"
#include "ui_text.h"

/* A session as the console's: a list reads the replica when one is set. */
static struct core_session *
apps_connect(struct cli_ctx *ctx)
{
	struct core_session *s;
	struct ld_err err;

	if (cli_config(ctx) != 0)
		return NULL;
	ld_err_clear(&err);
	s = core_session_new(ctx->cfg.database.conninfo,
	    ctx->cfg.database.read_conninfo, "loandesk");
	if (core_session_connect(s, &err) != LD_OK) {
		cli_error("%s", err.msg);
		core_session_free(s);
		return NULL;
	}
	return s;
}

static int
parse_count(const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

static void
print_json(cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);

	if (text != NULL) {
		puts(text);
		free(text);
	}
	cJSON_Delete(doc);
}

/* Numbers as JSON numbers; fen stay integers (exact in a double < 2^53). */
static cJSON *
row_json(const struct core_app_row *r)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", (double)r->id);
	cJSON_AddStringToObject(o, "submitted", r->submitted);
	cJSON_AddStringToObject(o, "name_masked", r->name);
	cJSON_AddStringToObject(o, "product", r->product);
	cJSON_AddNumberToObject(o, "amount_fen", (double)r->amount_fen);
	cJSON_AddNumberToObject(o, "term_months", r->term_months);
	if (r->scored) {
		cJSON_AddNumberToObject(o, "points", r->points);
		cJSON_AddNumberToObject(o, "pd_bps", r->pd_bps);
		cJSON_AddStringToObject(o, "band", r->band);
	} else {
		cJSON_AddNullToObject(o, "points");
		cJSON_AddNullToObject(o, "pd_bps");
		cJSON_AddNullToObject(o, "band");
	}
	if (r->recommendation != CORE_APP_NONE)
		cJSON_AddStringToObject(o, "recommendation",
		    core_app_status_sql(r->recommendation));
	else
		cJSON_AddNullToObject(o, "recommendation");
	cJSON_AddStringToObject(o, "status", core_app_status_sql(r->status));
	if (r->assignee[0] != '\0')
		cJSON_AddStringToObject(o, "assignee", r->assignee);
	else
		cJSON_AddNullToObject(o, "assignee");
	return o;
}

int
cli_apps_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "status", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct core_apps_filter f;
	struct core_apps_page page;
	struct core_session *db;
	struct ld_err err;
	char cmd[64], money[40], name[128];
	long limit = 50;
	int c, json = 0, rc = 1, utf8;
	size_t i;

	setlocale(LC_CTYPE, "");
	/* Outside a UTF-8 locale names pass through as bytes. */
	utf8 = ui_text_utf8();
	core_apps_filter_clear(&f);
	ld_err_clear(&err);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 's':
			snprintf(cmd, sizeof cmd, "status %s", optarg);
			if (core_apps_command(cmd, &f, NULL, NULL, &err) != LD_OK) {
				cli_error("apps list: --%s", err.msg);
				return 2;
			}
			break;
		case 'n':
			if (parse_count(optarg, 1000, &limit) != 0) {
				cli_error("apps list: --limit \"%s\" is not "
				    "1..1000", optarg);
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		cli_error("apps list: unexpected argument \"%s\"",
		    argv[optind]);
		return 2;
	}
	if ((db = apps_connect(ctx)) == NULL)
		return 1;
	if (core_apps_fetch(db, &f, CORE_SORT_SUBMITTED, 1, NULL, 0, 0,
	    (size_t)limit, &page, &err) != LD_OK) {
		cli_error("%s", err.msg);
		goto out;
	}
	if (json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON *arr = cJSON_AddArrayToObject(doc, "applications");

		for (i = 0; i < page.n; i++)
			cJSON_AddItemToArray(arr, row_json(&page.rows[i]));
		cJSON_AddBoolToObject(doc, "more", page.more);
		print_json(doc);
	} else {
		printf("%8s  %-16s  %-12s %15s %4s %-7s %-14s %s\n", "ID",
		    "SUBMITTED", "NAME", "AMOUNT", "TERM", "SCORE", "STATUS",
		    "ASSIGNEE");
		for (i = 0; i < page.n; i++) {
			const struct core_app_row *r = &page.rows[i];
			char score[24];

			ld_money_format(r->amount_fen, 0, money, sizeof money);
			if (r->scored)
				snprintf(score, sizeof score, "%d %s",
				    r->points, r->band);
			else
				snprintf(score, sizeof score, "-");
			/* printf pads by bytes; names pad by columns. */
			if (utf8)
				ui_text_fit(r->name, 12, UI_LEFT, name,
				    sizeof name);
			else
				snprintf(name, sizeof name, "%-12s", r->name);
			printf("%8" PRId64 "  %-16s  %s", r->id, r->submitted,
			    name);
			printf(" %15s %3dm %-7s %-14s %s\n", money,
			    r->term_months, score,
			    core_app_status_sql(r->status),
			    r->assignee[0] ? r->assignee : "-");
		}
		if (page.more)
			printf("(more: raise --limit or filter with "
			    "--status)\n");
	}
	rc = 0;
	core_apps_page_free(&page);
out:
	core_session_free(db);
	return rc;
}

int
cli_apps_show(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *idarg = NULL;
	struct core_case k;
	struct core_schedule sched;
	struct core_session *db;
	struct ld_err err;
	char warn[160], money[40];
	double apr = 0;
	long id;
	int c, json = 0, rc = 1, apr_ok = 0, m;
	size_t i;

	/* By hand: the id and --json may come in either order. */
	for (c = 1; c < argc; c++) {
		if (strcmp(argv[c], "--json") == 0)
			json = 1;
		else if (argv[c][0] == '-') {
			cli_error("apps show: unknown option \"%s\"", argv[c]);
			return 2;
		} else if (idarg != NULL) {
			cli_error("apps show: give one application id");
			return 2;
		} else
			idarg = argv[c];
	}
	if (idarg == NULL) {
		cli_error("apps show: give one application id");
		return 2;
	}
	if (parse_count(idarg, 0x7fffffffL, &id) != 0) {
		cli_error("apps show: \"%s\" is not an application id",
		    idarg);
		return 2;
	}
	if ((db = apps_connect(ctx)) == NULL)
		return 1;
	ld_err_clear(&err);
	/* What a case shows is read to decide: from the primary. */
	if (core_case_load(core_session_primary(db), id, &k, warn, &err) !=
	    LD_OK) {
		cli_error("%s", err.msg);
		core_session_free(db);
		return 1;
	}
	m = core_repayment_parse(k.repayment);
	if (m >= 0 && core_schedule_build(k.amount_fen, k.rate_bps,
	    k.term_months, (enum core_repayment)m, k.upfront_fee_fen,
	    k.monthly_fee_fen, &sched, &err) == LD_OK &&
	    core_schedule_apr(&sched, &apr, &err) == LD_OK)
		apr_ok = 1;
	if (json) {
		cJSON *o = cJSON_CreateObject(), *a;

		cJSON_AddNumberToObject(o, "id", (double)k.id);
		cJSON_AddStringToObject(o, "name_masked", k.name);
		cJSON_AddStringToObject(o, "id_no_masked", k.id_no);
		cJSON_AddStringToObject(o, "phone_masked", k.phone);
		cJSON_AddStringToObject(o, "product", k.product);
		cJSON_AddNumberToObject(o, "amount_fen", (double)k.amount_fen);
		cJSON_AddNumberToObject(o, "term_months", k.term_months);
		cJSON_AddNumberToObject(o, "rate_bps", k.rate_bps);
		cJSON_AddNumberToObject(o, "upfront_fee_fen",
		    (double)k.upfront_fee_fen);
		cJSON_AddNumberToObject(o, "monthly_fee_fen",
		    (double)k.monthly_fee_fen);
		cJSON_AddNumberToObject(o, "paid_out_fen",
		    (double)(k.amount_fen - k.upfront_fee_fen));
		cJSON_AddStringToObject(o, "repayment", k.repayment);
		if (apr_ok)
			cJSON_AddNumberToObject(o, "apr_irr", apr);
		else
			cJSON_AddNullToObject(o, "apr_irr");
		cJSON_AddStringToObject(o, "status",
		    core_app_status_sql(k.status));
		cJSON_AddStringToObject(o, "recommendation",
		    core_app_status_sql(k.recommendation));
		cJSON_AddNumberToObject(o, "waiting_s", (double)k.waiting_s);
		cJSON_AddStringToObject(o, "model", k.model_name);
		cJSON_AddStringToObject(o, "model_version", k.model_version);
		a = cJSON_AddArrayToObject(o, "contributions");
		for (i = 0; i < k.ncontribs; i++) {
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "feature",
			    k.contribs[i].feature);
			if (k.contribs[i].missing)
				cJSON_AddNullToObject(e, "value");
			else
				cJSON_AddNumberToObject(e, "value",
				    k.contribs[i].value);
			cJSON_AddNumberToObject(e, "phi", k.contribs[i].phi);
			cJSON_AddItemToArray(a, e);
		}
		a = cJSON_AddArrayToObject(o, "rules_hit");
		for (i = 0; i < k.nrules; i++)
			cJSON_AddItemToArray(a,
			    cJSON_CreateString(k.rules[i].id));
		a = cJSON_AddArrayToObject(o, "linked");
		for (i = 0; i < k.nlinks; i++) {
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "via", k.links[i].via);
			cJSON_AddNumberToObject(e, "id",
			    (double)k.links[i].id);
			cJSON_AddStringToObject(e, "status",
			    core_app_status_sql(k.links[i].status));
			cJSON_AddItemToArray(a, e);
		}
		print_json(o);
	} else {
		ld_money_format(k.amount_fen, 1, money, sizeof money);
		printf("application %" PRId64 "  %s  ID %s  phone %s\n", k.id,
		    k.name, k.id_no, k.phone);
		printf("amount %s  term %d months (%s)  APR (IRR) ", money,
		    k.term_months, k.repayment);
		if (apr_ok)
			printf("%.2f%%", apr * 100.0);
		else
			printf("n/a");
		printf("  nominal %d.%02d%%\n", k.rate_bps / 100,
		    k.rate_bps % 100);
		if (k.upfront_fee_fen > 0 || k.monthly_fee_fen > 0) {
			ld_money_format(k.amount_fen - k.upfront_fee_fen, 1,
			    money, sizeof money);
			printf("paid out %s  ", money);
			ld_money_format(k.upfront_fee_fen, 1, money,
			    sizeof money);
			printf("upfront fee %s  ", money);
			ld_money_format(k.monthly_fee_fen, 1, money,
			    sizeof money);
			printf("monthly fee %s\n", money);
		}
		printf("status %s  model says %s  score %d %s  model %s %s\n",
		    core_app_status_sql(k.status),
		    k.recommendation != CORE_APP_NONE ?
		    core_app_status_sql(k.recommendation) : "-",
		    k.points, k.band, k.model_name[0] ? k.model_name : "-",
		    k.model_version);
		for (i = 0; i < k.ncontribs; i++) {
			printf("  %-28s ", k.contribs[i].feature);
			if (k.contribs[i].missing)
				printf("%12s", "(missing)");
			else
				printf("%12g", k.contribs[i].value);
			printf(" %+9.4f\n", k.contribs[i].phi);
		}
		for (i = 0; i < k.nrules; i++)
			printf("  rule %s v%s %s: %s\n", k.rules[i].id,
			    k.rules[i].version, k.rules[i].action,
			    k.rules[i].text);
		for (i = 0; i < k.nlinks; i++)
			printf("  linked by %s: %" PRId64 " (%s)\n",
			    k.links[i].via, k.links[i].id,
			    core_app_status_sql(k.links[i].status));
		if (warn[0] != '\0')
			printf("note: %s\n", warn);
	}
	rc = 0;
	core_case_free(&k);
	core_session_free(db);
	return rc;
}
