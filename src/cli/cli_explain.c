/*
 * loandesk apps explain: the reasons for a decision as a borrower may be
 * given them (PIPL art. 24), in Chinese or English, or as JSON.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cli.h"
#include "core_explain.h"
#include "core_score.h"
#include "ld_db.h"

static const char *
outcome_name(enum core_explain_outcome o)
{
	switch (o) {
	case CORE_EXPLAIN_APPROVED:
		return "approved";
	case CORE_EXPLAIN_REJECTED:
		return "rejected";
	case CORE_EXPLAIN_PENDING:
		break;
	}
	return "pending";
}

static void
print_explanation_json(const struct core_explanation *x, const char *lang)
{
	cJSON *o = cJSON_CreateObject(), *a;
	char *text;
	size_t i;

	cJSON_AddNumberToObject(o, "application_id", (double)x->id);
	cJSON_AddStringToObject(o, "status", x->status);
	cJSON_AddStringToObject(o, "outcome", outcome_name(x->outcome));
	cJSON_AddBoolToObject(o, "automated", x->automated);
	if (x->decided_at[0] != '\0')
		cJSON_AddStringToObject(o, "decided_at", x->decided_at);
	else
		cJSON_AddNullToObject(o, "decided_at");
	cJSON_AddStringToObject(o, "lang", lang);
	a = cJSON_AddArrayToObject(o, "reasons");
	for (i = 0; i < x->nreasons; i++) {
		cJSON *r = cJSON_CreateObject();

		cJSON_AddStringToObject(r, "code", x->reasons[i].code);
		cJSON_AddStringToObject(r, "text", x->reasons[i].text);
		cJSON_AddItemToArray(a, r);
	}
	if (x->automated)
		cJSON_AddStringToObject(o, "human_review", x->review);
	else
		cJSON_AddNullToObject(o, "human_review");
	text = cJSON_PrintUnformatted(o);
	if (text != NULL)
		puts(text);
	free(text);
	cJSON_Delete(o);
}

int
cli_apps_explain(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *idarg = NULL, *lang = "zh", *reasons;
	struct risk_reason_table *table = NULL;
	struct core_explanation x;
	struct ld_db db;
	struct ld_err err;
	char *end, buf[8192], path[4096];
	long long id;
	int c, json = 0, l, rc = 1;

	for (c = 1; c < argc; c++) {
		if (strcmp(argv[c], "--json") == 0)
			json = 1;
		else if (strcmp(argv[c], "--lang") == 0 && c + 1 < argc)
			lang = argv[++c];
		else if (strncmp(argv[c], "--lang=", 7) == 0)
			lang = argv[c] + 7;
		else if (argv[c][0] == '-') {
			cli_error("apps explain: unknown option \"%s\"",
			    argv[c]);
			return 2;
		} else if (idarg != NULL) {
			cli_error("apps explain: give one application id");
			return 2;
		} else
			idarg = argv[c];
	}
	if ((l = core_lang_parse(lang)) < 0) {
		cli_error("apps explain: --lang must be zh or en, not \"%s\"",
		    lang);
		return 2;
	}
	if (idarg == NULL) {
		cli_error("apps explain: give one application id");
		return 2;
	}
	errno = 0;
	id = strtoll(idarg, &end, 10);
	if (errno != 0 || end == idarg || *end != '\0' || id < 1) {
		cli_error("apps explain: \"%s\" is not an application id",
		    idarg);
		return 2;
	}
	if (cli_config(ctx) != 0)
		return 1;
	ld_err_clear(&err);
	if ((reasons = core_score_reasons_path(&ctx->cfg.risk, path,
	    sizeof path, &err)) == NULL ||
	    risk_reason_table_load(reasons, &table, &err) != LD_OK) {
		cli_error("apps explain: %s", err.msg);
		return 1;
	}
	if (ld_db_connect(&db, ctx->cfg.database.conninfo, "loandesk",
	    &err) != LD_OK) {
		cli_error("%s", err.msg);
		risk_reason_table_free(table);
		return 1;
	}
	if (core_explain(&db, table, (int64_t)id, (enum core_lang)l, &x,
	    &err) != LD_OK) {
		cli_error("%s", err.msg);
		goto out;
	}
	if (json)
		print_explanation_json(&x, lang);
	else {
		core_explain_text(&x, (enum core_lang)l, buf, sizeof buf);
		fputs(buf, stdout);
	}
	rc = 0;
out:
	ld_db_close(&db);
	risk_reason_table_free(table);
	return rc;
}
