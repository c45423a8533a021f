/*
 * loandesk settings show [--json] | apply [--note TEXT]: the figures the
 * database decides payouts and decisions from next to the configuration's
 * [payout] figures and [risk] apr_cap_bps, and an administrator's way to
 * make the database say what the configuration says (api.settings_set:
 * checked, all or nothing, each change audited with its old and new
 * value).
 *
 * show exits 0 when the two agree and 3 when they differ; apply exits 0
 * when the database holds the configuration's figures afterwards.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cli.h"
#include "core_settings.h"
#include "ld_alloc.h"
#include "ld_db.h"

#define EXIT_DIFFER	3

static int
settings_connect(struct cli_ctx *ctx, struct ld_db *db, const char *what)
{
	struct ld_err err;

	if (cli_config(ctx) != 0)
		return -1;
	ld_err_clear(&err);
	if (ld_db_connect(db, ctx->cfg.database.conninfo, what, &err) !=
	    LD_OK) {
		cli_error("%s", err.msg);
		return -1;
	}
	return 0;
}

/* A JSON value as text, or null. */
static void
add_raw(cJSON *o, const char *name, const char *json)
{
	if (json[0] != '\0')
		cJSON_AddRawToObject(o, name, json);
	else
		cJSON_AddNullToObject(o, name);
}

int
cli_settings_show(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct core_setting s[CORE_SETTINGS_N];
	struct ld_db db;
	struct ld_err err;
	int c, json = 0, ndiffer = 0;
	size_t i;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return 2;
		json = 1;
	}
	if (optind != argc) {
		cli_error("settings show: unexpected argument \"%s\"",
		    argv[optind]);
		return 2;
	}
	if (settings_connect(ctx, &db, "loandesk settings") != 0)
		return 1;
	core_settings_from_config(&ctx->cfg.payout, ctx->cfg.risk.apr_cap_bps,
	    s);
	ld_err_clear(&err);
	if (core_settings_read(&db, s, &ndiffer, &err) != LD_OK) {
		cli_error("settings show: %s", err.msg);
		ld_db_close(&db);
		return 1;
	}
	ld_db_close(&db);
	if (json) {
		cJSON *o = cJSON_CreateObject(), *a;
		char *text;

		if (ctx->cfg.path != NULL)
			cJSON_AddStringToObject(o, "config_file",
			    ctx->cfg.path);
		else
			cJSON_AddNullToObject(o, "config_file");
		cJSON_AddNumberToObject(o, "differences", ndiffer);
		a = cJSON_AddArrayToObject(o, "settings");
		for (i = 0; i < CORE_SETTINGS_N; i++) {
			cJSON *x = cJSON_CreateObject();

			cJSON_AddStringToObject(x, "key", s[i].key);
			cJSON_AddStringToObject(x, "section", s[i].section);
			add_raw(x, "database", s[i].db_json);
			add_raw(x, "configuration", s[i].config_json);
			cJSON_AddBoolToObject(x, "differs", s[i].differs);
			if (s[i].in_db) {
				cJSON_AddStringToObject(x, "updated_at",
				    s[i].updated_at);
				cJSON_AddStringToObject(x, "updated_by",
				    s[i].updated_by);
			}
			cJSON_AddItemToArray(a, x);
		}
		text = cJSON_PrintUnformatted(o);
		if (text != NULL)
			puts(text);
		cJSON_free(text);
		cJSON_Delete(o);
	} else {
		printf("%-24s %-16s %s\n", "setting", "database",
		    "configuration");
		for (i = 0; i < CORE_SETTINGS_N; i++) {
			printf("%-24s %-16s %-16s", s[i].key,
			    s[i].in_db ? s[i].db : "(missing)", s[i].config);
			if (s[i].differs)
				printf(" differs");
			else if (s[i].in_db)
				printf(" (%s by %s)", s[i].updated_at,
				    s[i].updated_by);
			putchar('\n');
		}
		printf("configuration: %s; %d difference%s%s\n",
		    ctx->cfg.path != NULL ? ctx->cfg.path : "(none: defaults)",
		    ndiffer, ndiffer == 1 ? "" : "s", ndiffer > 0 ?
		    " (loandesk settings apply, as an administrator)" : "");
	}
	return ndiffer > 0 ? EXIT_DIFFER : 0;
}

int
cli_settings_apply(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct core_setting s[CORE_SETTINGS_N];
	struct core_setting_change *ch = NULL;
	struct ld_db db;
	struct ld_err err;
	const char *note = NULL;
	char *made = NULL;
	size_t i, n = 0;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'n')
			return 2;
		note = optarg;
	}
	if (optind != argc) {
		cli_error("settings apply: unexpected argument \"%s\"",
		    argv[optind]);
		return 2;
	}
	if (cli_config(ctx) != 0)
		return 1;
	if (ctx->cfg.path == NULL) {
		cli_error("settings apply: no configuration file was found "
		    "(-c FILE, $LOANDESK_CONF or %s/loandesk/loandesk.conf): "
		    "there is nothing to apply", ld_config_sysconfdir());
		return 1;
	}
	if (settings_connect(ctx, &db, "loandesk settings") != 0)
		return 1;
	core_settings_from_config(&ctx->cfg.payout, ctx->cfg.risk.apr_cap_bps,
	    s);
	if (note == NULL)
		note = made = ld_asprintf("loandesk settings apply from %s",
		    ctx->cfg.path);
	ld_err_clear(&err);
	if (core_settings_apply(&db, s, note, &ch, &n, &err) != LD_OK) {
		cli_error("settings apply: nothing changed: %s", err.msg);
	} else {
		for (i = 0; i < n; i++)
			printf("%s: %s -> %s\n", ch[i].key, ch[i].old[0] != '\0'
			    ? ch[i].old : "(missing)", ch[i].new);
		printf("%zu setting%s changed; the database holds %s's "
		    "figures\n", n, n == 1 ? "" : "s", ctx->cfg.path);
		rc = 0;
	}
	free(ch);
	free(made);
	ld_db_close(&db);
	return rc;
}
