/* loandesk model register|activate|list: the model registry */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "cli.h"
#include "core_models.h"
#include "ld_db.h"

static int
registry_connect(struct cli_ctx *ctx, struct ld_db *db)
{
	struct ld_err err;

	if (cli_config(ctx) != 0)
		return -1;
	ld_err_clear(&err);
	if (ld_db_connect(db, ctx->cfg.database.conninfo, "loandesk model",
	    &err) != LD_OK) {
		cli_error("%s", err.msg);
		return -1;
	}
	return 0;
}

int
cli_model_register(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "name", required_argument, NULL, 'n' },
		{ "version", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *name = NULL, *version = NULL;
	struct ld_db db;
	struct ld_err err;
	char sha[65];
	int64_t id;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "f:n:v:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'v':
			version = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind != argc || file == NULL || name == NULL ||
	    version == NULL) {
		cli_error("usage: loandesk model register --file F --name N "
		    "--version V");
		return 2;
	}
	if (registry_connect(ctx, &db) != 0)
		return 1;
	ld_err_clear(&err);
	if (core_model_register(&db, file, name, version, &id, sha, &err) !=
	    LD_OK) {
		cli_error("model register: %s", err.msg);
	} else {
		printf("registered model %s %s as id %" PRId64 " (sha256 %s)\n",
		    name, version, id, sha);
		rc = 0;
	}
	ld_db_close(&db);
	return rc;
}

int
cli_model_activate(struct cli_ctx *ctx, int argc, char **argv)
{
	enum core_model_role role = CORE_MODEL_CHAMPION;
	const char *pos[2] = { NULL, NULL };
	struct ld_db db;
	struct ld_err err;
	int64_t prev;
	int i, npos = 0, rc = 1;

	/* By hand: the flag may come after NAME VERSION. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--challenger") == 0)
			role = CORE_MODEL_CHALLENGER;
		else if (argv[i][0] != '-' && npos < 2)
			pos[npos++] = argv[i];
		else
			npos = 3;
	}
	if (npos != 2) {
		cli_error("usage: loandesk model activate NAME VERSION "
		    "[--challenger]");
		return 2;
	}
	if (registry_connect(ctx, &db) != 0)
		return 1;
	ld_err_clear(&err);
	if (core_model_activate(&db, pos[0], pos[1], role, &prev, &err) !=
	    LD_OK) {
		cli_error("model activate: %s", err.msg);
	} else {
		printf("model %s %s is now the %s", pos[0], pos[1], role == CORE_MODEL_CHAMPION ?
		    "champion" : "challenger");
		if (prev != 0)
			printf(" (model id %" PRId64 " retired)", prev);
		printf("\n");
		rc = 0;
	}
	ld_db_close(&db);
	return rc;
}

static void
json_str(cJSON *o, const char *k, const char *v)
{
	if (v == NULL)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddStringToObject(o, k, v);
}

int
cli_model_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct core_model_info *v;
	struct ld_db db;
	struct ld_err err;
	size_t n, i;
	int c, json = 0, rc = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return 2;
		json = 1;
	}
	if (optind != argc) {
		cli_error("usage: loandesk model list [--json]");
		return 2;
	}
	if (registry_connect(ctx, &db) != 0)
		return 1;
	ld_err_clear(&err);
	if (core_model_list(&db, &v, &n, &err) != LD_OK) {
		cli_error("model list: %s", err.msg);
		ld_db_close(&db);
		return 1;
	}
	if (json) {
		cJSON *arr = cJSON_CreateArray(), *o;
		char *text;

		for (i = 0; i < n; i++) {
			o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "id", (double)v[i].id);
			json_str(o, "name", v[i].name);
			json_str(o, "version", v[i].version);
			json_str(o, "kind", v[i].kind);
			json_str(o, "role", v[i].role);
			json_str(o, "sha256", v[i].sha256);
			cJSON_AddNumberToObject(o, "features",
			    (double)v[i].nfeatures);
			json_str(o, "registered_at", v[i].registered_at);
			json_str(o, "registered_by", v[i].registered_by);
			json_str(o, "activated_at", v[i].activated_at);
			json_str(o, "activated_by", v[i].activated_by);
			cJSON_AddItemToArray(arr, o);
		}
		text = cJSON_Print(arr);
		if (text != NULL) {
			puts(text);
			cJSON_free(text);
			rc = 0;
		} else {
			cli_error("model list: out of memory");
		}
		cJSON_Delete(arr);
	} else {
		printf("%-4s %-16s %-10s %-9s %-10s %-12s %-20s %s\n", "ID",
		    "NAME", "VERSION", "KIND", "ROLE", "SHA256", "ACTIVATED",
		    "BY");
		for (i = 0; i < n; i++)
			printf("%-4" PRId64 " %-16s %-10s %-9s %-10s %.12s %-20s "
			    "%s\n", v[i].id, v[i].name, v[i].version,
			    v[i].kind, v[i].role, v[i].sha256,
			    v[i].activated_at ? v[i].activated_at : "-",
			    v[i].activated_by ? v[i].activated_by : "-");
		rc = 0;
	}
	core_model_list_free(v, n);
	ld_db_close(&db);
	return rc;
}
