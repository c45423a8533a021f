/*
 * Settings: the configuration's figures against the database's, and
 * api.settings_set to make the database say what the configuration says.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "core_settings.h"
#include "ld_alloc.h"
#include "ld_db.h"

static const struct {
	const char *key, *section;
} keys[CORE_SETTINGS_N] = {
	{ "per_transfer_max_fen", "payout" },
	{ "per_user_daily_max_fen", "payout" },
	{ "merchant_daily_max_fen", "payout" },
	{ "four_eyes_threshold_fen", "payout" },
	{ "balance_alert_fen", "payout" },
	{ "min_transfer_fen", "payout" },
	{ "out_bill_prefix", "payout" },
	{ "payout_lease_s", "payout" },
	{ "apr_cap_bps", "risk" },
};

static void
set_int(struct core_setting *s, long long v)
{
	snprintf(s->config, sizeof s->config, "%lld", v);
	snprintf(s->config_json, sizeof s->config_json, "%lld", v);
}

void
core_settings_from_config(const struct payout_config *p, int apr_cap_bps,
    struct core_setting s[CORE_SETTINGS_N])
{
	cJSON *str;
	char *text;
	size_t i;

	memset(s, 0, CORE_SETTINGS_N * sizeof *s);
	for (i = 0; i < CORE_SETTINGS_N; i++) {
		s[i].key = keys[i].key;
		s[i].section = keys[i].section;
	}
	set_int(&s[0], (long long)p->per_transfer_max_fen);
	set_int(&s[1], (long long)p->per_user_daily_max_fen);
	set_int(&s[2], (long long)p->merchant_daily_max_fen);
	set_int(&s[3], (long long)p->four_eyes_threshold_fen);
	set_int(&s[4], (long long)p->balance_alert_fen);
	set_int(&s[5], (long long)p->min_transfer_fen);
	/* The prefix as a JSON string, quoted by the JSON library. */
	snprintf(s[6].config, sizeof s[6].config, "%s",
	    p->out_bill_prefix != NULL ? p->out_bill_prefix : "");
	str = cJSON_CreateString(s[6].config);
	text = str != NULL ? cJSON_PrintUnformatted(str) : NULL;
	if (text == NULL)
		ld_out_of_memory("settings");
	snprintf(s[6].config_json, sizeof s[6].config_json, "%s", text);
	cJSON_free(text);
	cJSON_Delete(str);
	set_int(&s[7], p->payout_lease_s);
	set_int(&s[8], apr_cap_bps);
}

enum ld_status
core_settings_read(struct ld_db *db, struct core_setting s[CORE_SETTINGS_N],
    int *ndiffer, struct ld_err *err)
{
	char list[512];
	const char *p[1] = { list };
	size_t i, o = 0;
	PGresult *r;
	enum ld_status st;
	int row, n = 0;

	o += (size_t)snprintf(list, sizeof list, "{");
	for (i = 0; i < CORE_SETTINGS_N; i++)
		o += (size_t)snprintf(list + o, sizeof list - o, "%s%s",
		    i ? "," : "", s[i].key);
	snprintf(list + o, sizeof list - o, "}");
	if ((st = ld_db_exec(db, "SELECT key, value::text, value #>> '{}', "
	    "to_char(updated_at AT TIME ZONE 'Asia/Shanghai', "
	    "'YYYY-MM-DD HH24:MI:SS'), updated_by FROM settings "
	    "WHERE key = ANY ($1::text[])", 1, p, &r, err)) != LD_OK)
		return st;
	for (i = 0; i < CORE_SETTINGS_N; i++) {
		s[i].in_db = 0;
		s[i].db[0] = s[i].db_json[0] = '\0';
		s[i].updated_at[0] = s[i].updated_by[0] = '\0';
		s[i].differs = 1;
		for (row = 0; row < PQntuples(r); row++) {
			if (strcmp(PQgetvalue(r, row, 0), s[i].key) != 0)
				continue;
			s[i].in_db = 1;
			snprintf(s[i].db, sizeof s[i].db, "%s",
			    PQgetvalue(r, row, 2));
			snprintf(s[i].db_json, sizeof s[i].db_json, "%s",
			    PQgetvalue(r, row, 1));
			snprintf(s[i].updated_at, sizeof s[i].updated_at, "%s",
			    PQgetvalue(r, row, 3));
			snprintf(s[i].updated_by, sizeof s[i].updated_by, "%s",
			    PQgetvalue(r, row, 4));
			s[i].differs = strcmp(PQgetvalue(r, row, 1),
			    s[i].config_json) != 0;
		}
		n += s[i].differs;
	}
	PQclear(r);
	if (ndiffer != NULL)
		*ndiffer = n;
	return LD_OK;
}

/* A JSON value as shown: a string without its quotes. */
static void
shown(const cJSON *v, char *dst, size_t cap)
{
	char *text;

	if (v == NULL || cJSON_IsNull(v)) {
		dst[0] = '\0';
		return;
	}
	if (cJSON_IsString(v)) {
		snprintf(dst, cap, "%s", v->valuestring);
		return;
	}
	text = cJSON_PrintUnformatted(v);
	snprintf(dst, cap, "%s", text != NULL ? text : "");
	cJSON_free(text);
}

enum ld_status
core_settings_apply(struct ld_db *db,
    const struct core_setting s[CORE_SETTINGS_N], const char *note,
    struct core_setting_change **changes, size_t *nchanges,
    struct ld_err *err)
{
	cJSON *o = cJSON_CreateObject(), *res;
	const cJSON *c, *a;
	const char *p[2];
	char *values;
	PGresult *r;
	enum ld_status st;
	size_t i = 0;

	*changes = NULL;
	*nchanges = 0;
	for (i = 0; i < CORE_SETTINGS_N; i++)
		cJSON_AddRawToObject(o, s[i].key, s[i].config_json);
	values = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (values == NULL)
		ld_out_of_memory("settings");
	p[0] = values;
	p[1] = note;
	st = ld_db_exec(db, "SELECT api.settings_set($1::jsonb, $2)", 2, p, &r,
	    err);
	cJSON_free(values);
	if (st != LD_OK)
		return st;
	res = cJSON_Parse(PQgetvalue(r, 0, 0));
	PQclear(r);
	a = cJSON_GetObjectItemCaseSensitive(res, "changed");
	*changes = ld_calloc((size_t)cJSON_GetArraySize(a) + 1,
	    sizeof **changes);
	i = 0;
	cJSON_ArrayForEach(c, a) {
		struct core_setting_change *x = &(*changes)[i++];

		shown(cJSON_GetObjectItemCaseSensitive(c, "key"), x->key,
		    sizeof x->key);
		shown(cJSON_GetObjectItemCaseSensitive(c, "old"), x->old,
		    sizeof x->old);
		shown(cJSON_GetObjectItemCaseSensitive(c, "new"), x->new,
		    sizeof x->new);
	}
	*nchanges = i;
	cJSON_Delete(res);
	return LD_OK;
}
