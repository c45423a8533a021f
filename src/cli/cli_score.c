/* loandesk score pre: a pre-assessment of an applicant's current data */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <cJSON.h>

#include "cli.h"
#include "core_score.h"
#include "ld_db.h"

/* One applicant: 0, or 1 after saying why on stderr. */
static int
pre_one(struct core_scorer *scorer, struct ld_db *db, long long applicant,
    int json)
{
	struct core_pre_assessment pa;
	struct ld_err err;
	cJSON *o;
	char *text;

	ld_err_clear(&err);
	if (core_score_pre(scorer, db, applicant, &pa, &err) != LD_OK) {
		cli_error("score pre: %s", err.msg);
		return 1;
	}
	if (!json) {
		printf("pre-assessment %" PRId64 " of applicant %lld%s: PD "
		    "%.4f%%, %d points, band %s (model id %" PRId64 ", inputs "
		    "%.12s...)\n", pa.id, applicant, pa.reused ?
		    " (unchanged inputs, assessed before)" : "",
		    100 * pa.probability, pa.points, pa.band, pa.model_id,
		    pa.inputs_sha256);
		return 0;
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "pre_assessment_id", (double)pa.id);
	cJSON_AddNumberToObject(o, "applicant_id", (double)applicant);
	cJSON_AddNumberToObject(o, "model_id", (double)pa.model_id);
	cJSON_AddBoolToObject(o, "existing", pa.reused);
	cJSON_AddNumberToObject(o, "probability", pa.probability);
	cJSON_AddNumberToObject(o, "margin", pa.margin);
	cJSON_AddNumberToObject(o, "points", pa.points);
	cJSON_AddStringToObject(o, "band", pa.band);
	cJSON_AddStringToObject(o, "inputs_sha256", pa.inputs_sha256);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (text == NULL) {
		cli_error("score pre: out of memory");
		return 1;
	}
	puts(text);
	cJSON_free(text);
	return 0;
}

int
cli_score_pre(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "applicant", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct core_scorer *scorer = NULL;
	struct ld_db db;
	struct ld_err err;
	long long *ids, applicant;
	size_t nids = 0, i;
	char *end;
	int c, json = 0, rc = 0;

	if ((ids = calloc((size_t)argc + 1, sizeof *ids)) == NULL) {
		cli_error("score pre: out of memory");
		return 1;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			errno = 0;
			applicant = strtoll(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    applicant <= 0) {
				cli_error("score pre: --applicant \"%s\" is "
				    "not an applicant id", optarg);
				free(ids);
				return 2;
			}
			ids[nids++] = applicant;
			break;
		case 'j':
			json = 1;
			break;
		default:
			free(ids);
			return 2;
		}
	}
	if (optind != argc || nids == 0) {
		cli_error("usage: loandesk score pre --applicant ID "
		    "[--applicant ID ...] [--json]");
		free(ids);
		return 2;
	}
	if (cli_config(ctx) != 0) {
		free(ids);
		return 1;
	}
	ld_err_clear(&err);
	if (core_scorer_new(&ctx->cfg.risk, &scorer, &err) != LD_OK) {
		cli_error("score pre: %s", err.msg);
		free(ids);
		return 1;
	}
	if (ld_db_connect(&db, ctx->cfg.database.conninfo, "loandesk score",
	    &err) != LD_OK) {
		cli_error("%s", err.msg);
		core_scorer_free(scorer);
		free(ids);
		return 1;
	}
	/* Each applicant in a transaction of its own; a failure is told. */
	for (i = 0; i < nids; i++)
		if (pre_one(scorer, &db, ids[i], json) != 0)
			rc = 1;
	ld_db_close(&db);
	core_scorer_free(scorer);
	free(ids);
	return rc;
}
