/* loandesk score pre: a pre-assessment of an applicant's current data */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <cJSON.h>

#include "cli.h"
#include "core/core_score.h"
#include "ld_db.h"

int
cli_score_pre(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "applicant", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct core_pre_assessment pa;
	struct core_scorer *scorer = NULL;
	struct ld_db db;
	struct ld_err err;
	long long applicant = 0;
	char *end;
	int c, json = 0, rc = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			errno = 0;
			applicant = strtoll(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    applicant <= 0) {
				cli_error("score pre: --applicant \"%s\" is "
				    "not an applicant id", optarg);
				return 2;
			}
			break;
		case 'j':
			json = 1;
			break;
		default:
			return 2;
		}
	}
	if (optind != argc || applicant == 0) {
		cli_error("usage: loandesk score pre --applicant ID [--json]");
		return 2;
	}
	if (cli_config(ctx) != 0)
		return 1;
	ld_err_clear(&err);
	if (core_scorer_new(&ctx->cfg, &scorer, &err) != LD_OK) {
		cli_error("score pre: %s", err.msg);
		return 1;
	}
	if (ld_db_connect(&db, ctx->cfg.database.conninfo, "loandesk score",
	    &err) != LD_OK) {
		cli_error("%s", err.msg);
		core_scorer_free(scorer);
		return 1;
	}
	if (core_score_pre(scorer, &db, applicant, &pa, &err) != LD_OK) {
		cli_error("score pre: %s", err.msg);
	} else if (json) {
		cJSON *o = cJSON_CreateObject();
		char *text;

		cJSON_AddNumberToObject(o, "pre_assessment_id", (double)pa.id);
		cJSON_AddNumberToObject(o, "applicant_id", (double)applicant);
		cJSON_AddNumberToObject(o, "model_id", (double)pa.model_id);
		cJSON_AddBoolToObject(o, "existing", pa.reused);
		cJSON_AddNumberToObject(o, "probability", pa.probability);
		cJSON_AddNumberToObject(o, "margin", pa.margin);
		cJSON_AddNumberToObject(o, "points", pa.points);
		cJSON_AddStringToObject(o, "band", pa.band);
		cJSON_AddStringToObject(o, "inputs_sha256", pa.inputs_sha256);
		if ((text = cJSON_PrintUnformatted(o)) != NULL) {
			puts(text);
			cJSON_free(text);
			rc = 0;
		} else {
			cli_error("score pre: out of memory");
		}
		cJSON_Delete(o);
	} else {
		printf("pre-assessment %" PRId64 " of applicant %lld%s: PD "
		    "%.4f%%, %d points, band %s (model id %" PRId64 ", inputs "
		    "%.12s...)\n", pa.id, applicant, pa.reused ?
		    " (unchanged inputs, assessed before)" : "",
		    100 * pa.probability, pa.points, pa.band, pa.model_id,
		    pa.inputs_sha256);
		rc = 0;
	}
	ld_db_close(&db);
	core_scorer_free(scorer);
	return rc;
}
