/* The model registry over the models table. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "core_models.h"
#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_db.h"
#include "ld_pii.h"
#include "risk_features.h"
#include "risk_model.h"

void
core_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		/* Only on a broken libcrypto; never a valid-looking hash. */
		memset(hex, 0, 65);
		return;
	}
	ld_hex_encode(md, 32, hex);
}

/* A PostgreSQL array literal of the names, each quoted and escaped. */
static void
text_array_literal(const struct risk_model *m, struct ld_buf *b)
{
	size_t i, n = risk_model_nfeatures(m);
	const char *s;

	ld_buf_puts(b, "{");
	for (i = 0; i < n; i++) {
		ld_buf_puts(b, i ? ",\"" : "\"");
		for (s = risk_model_feature_name(m, i); s && *s; s++) {
			if (*s == '"' || *s == '\\')
				ld_buf_puts(b, "\\");
			ld_buf_append(b, s, 1);
		}
		ld_buf_puts(b, "\"");
	}
	ld_buf_puts(b, "}");
}

/*
 * The scoring worker fills a model's inputs from the feature catalogue,
 * so a model naming anything else could never be scored.
 */
static enum ld_status
catalogue_check(const struct risk_model *m, const char *origin,
    struct ld_err *err)
{
	size_t i, n = risk_model_nfeatures(m);
	const char *name;

	for (i = 0; i < n; i++) {
		name = risk_model_feature_name(m, i);
		if (risk_feature_find(name) == NULL)
			return ld_err_set(err, LD_EINVAL, "%s: feature %zu "
			    "\"%s\" is not in the feature catalogue (loandesk "
			    "scores only catalogue features; see "
			    "src/risk/risk_features.h)", origin, i, name);
	}
	return LD_OK;
}

enum ld_status
core_model_register(struct ld_db *db, const char *path, const char *name,
    const char *version, int64_t *id, char *sha256, struct ld_err *err)
{
	struct ld_buf body, names;
	struct risk_model *m = NULL;
	PGresult *res = NULL;
	const char *params[6];
	char hex[65];
	enum ld_status st;

	ld_buf_init(&body, CORE_MODEL_MAX_BYTES);
	ld_buf_init(&names, 0);
	if (name[0] == '\0' || version[0] == '\0') {
		st = ld_err_set(err, LD_EINVAL, "model name and version must "
		    "not be empty");
		goto out;
	}
	if ((st = ld_buf_read_file(&body, path, err)) != LD_OK)
		goto out;
	if (memchr(body.data, '\0', body.len) != NULL) {
		st = ld_err_set(err, LD_EINVAL, "%s: binary data (a NUL "
		    "byte); models are stored as JSON text", path);
		goto out;
	}
	if ((st = risk_model_load(body.data, body.len, path, &m, err)) !=
	    LD_OK)
		goto out;
	if ((st = catalogue_check(m, path, err)) != LD_OK)
		goto out;
	core_sha256_hex(body.data, body.len, hex);
	text_array_literal(m, &names);
	params[0] = name;
	params[1] = version;
	params[2] = risk_model_kind(m) == RISK_MODEL_XGBOOST ? "xgboost" :
	    "scorecard";
	params[3] = hex;
	params[4] = body.data;
	params[5] = names.data;
	if ((st = ld_db_begin(db, err)) != LD_OK)
		goto out;
	st = ld_db_exec(db,
	    "WITH m AS (INSERT INTO models (name, version, kind, sha256, body,"
	    " feature_names) VALUES ($1, $2, $3, $4, $5, $6::text[])"
	    " RETURNING id, name, version, kind, sha256,"
	    " cardinality(feature_names) AS nfeatures)"
	    " SELECT m.id, audit_record('model.registered', 'model',"
	    " m.id::text, jsonb_build_object('name', m.name, 'version',"
	    " m.version, 'kind', m.kind, 'sha256', m.sha256, 'features',"
	    " m.nfeatures)) FROM m", 6, params, &res, err);
	if (st == LD_OK)
		st = ld_db_commit(db, err);
	if (st != LD_OK) {
		ld_db_rollback(db);
		if (st == LD_ECONFLICT)
			ld_err_prefix(err, "model %s %s (sha256 %.12s...) or "
			    "the same document is already registered: ", name,
			    version, hex);
		goto out;
	}
	if (id != NULL)
		*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	if (sha256 != NULL)
		memcpy(sha256, hex, 65);
out:
	PQclear(res);
	risk_model_free(m);
	ld_buf_free(&body);
	ld_buf_free(&names);
	return st;
}

/*
 * The same check on a stored feature_names array ({a,b,"c d"}), read with
 * the array syntax's quoting; names are plain identifiers in practice.
 */
static enum ld_status
names_check(const char *arr, const char *name, const char *version,
    struct ld_err *err)
{
	char cur[256];
	size_t len = 0, i = 0;
	const char *p = arr;
	int quoted = 0;

	if (*p != '{')
		return ld_err_set(err, LD_EINTERNAL, "model %s %s: feature_names "
		    "is not an array", name, version);
	for (p++; *p != '\0'; p++) {
		if (quoted && *p == '\\' && p[1] != '\0') {
			p++;
		} else if (*p == '"') {
			quoted = !quoted;
			continue;
		} else if (!quoted && (*p == ',' || *p == '}')) {
			cur[len] = '\0';
			if (len > 0 && risk_feature_find(cur) == NULL)
				return ld_err_set(err, LD_EINVAL, "model %s %s: "
				    "feature %zu \"%s\" is not in the feature "
				    "catalogue; it cannot be scored", name,
				    version, i, cur);
			len = 0;
			i++;
			if (*p == '}')
				break;
			continue;
		}
		if (len + 1 < sizeof cur)
			cur[len++] = *p;
	}
	return LD_OK;
}

enum ld_status
core_model_activate(struct ld_db *db, const char *name, const char *version,
    enum core_model_role role, int64_t *previous, struct ld_err *err)
{
	const char *rname = role == CORE_MODEL_CHAMPION ? "champion" :
	    "challenger";
	const char *params[3];
	PGresult *res = NULL;
	char idtext[32], prevtext[32] = "";
	enum ld_status st;

	if (previous != NULL)
		*previous = 0;
	if ((st = ld_db_begin(db, err)) != LD_OK)
		return st;
	params[0] = name;
	params[1] = version;
	st = ld_db_exec(db, "SELECT id, role, feature_names FROM models"
	    " WHERE name = $1 AND version = $2 FOR UPDATE", 2, params, &res,
	    err);
	if (st != LD_OK)
		goto fail;
	if (PQntuples(res) != 1) {
		st = ld_err_set(err, LD_ENOTFOUND, "no model %s version %s "
		    "is registered", name, version);
		goto fail;
	}
	/* A row registered before the check, or written by hand. */
	if ((st = names_check(PQgetvalue(res, 0, 2), name, version, err)) !=
	    LD_OK)
		goto fail;
	snprintf(idtext, sizeof idtext, "%s", PQgetvalue(res, 0, 0));
	if (role == CORE_MODEL_CHALLENGER &&
	    strcmp(PQgetvalue(res, 0, 1), "champion") == 0) {
		st = ld_err_set(err, LD_ECONFLICT, "model %s %s is the "
		    "champion; activate another champion first", name,
		    version);
		goto fail;
	}
	PQclear(res);
	res = NULL;
	/* The holder of the role steps down before the unique index sees two. */
	params[0] = rname;
	params[1] = idtext;
	st = ld_db_exec(db, "UPDATE models SET role = 'retired' WHERE role = $1"
	    " AND id <> $2::bigint RETURNING id", 2, params, &res, err);
	if (st != LD_OK)
		goto fail;
	if (PQntuples(res) == 1)
		snprintf(prevtext, sizeof prevtext, "%s",
		    PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;
	params[0] = idtext;
	params[1] = rname;
	params[2] = prevtext[0] ? prevtext : NULL;
	st = ld_db_exec(db,
	    "WITH m AS (UPDATE models SET role = $2, activated_at = now(),"
	    " activated_by = session_user WHERE id = $1::bigint"
	    " RETURNING id, name, version, sha256)"
	    " SELECT audit_record('model.activated', 'model', m.id::text,"
	    " jsonb_build_object('name', m.name, 'version', m.version,"
	    " 'sha256', m.sha256, 'role', $2::text, 'previous',"
	    " $3::bigint)) FROM m", 3, params, &res, err);
	if (st != LD_OK)
		goto fail;
	PQclear(res);
	res = NULL;
	if ((st = ld_db_commit(db, err)) != LD_OK)
		goto fail;
	if (previous != NULL && prevtext[0])
		*previous = strtoll(prevtext, NULL, 10);
	return LD_OK;
fail:
	PQclear(res);
	ld_db_rollback(db);
	return st;
}

static char *
dup_or_null(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? NULL :
	    ld_strdup(PQgetvalue(res, r, c));
}

enum ld_status
core_model_list(struct ld_db *db, struct core_model_info **out, size_t *n,
    struct ld_err *err)
{
	PGresult *res;
	struct core_model_info *v;
	enum ld_status st;
	int i, rows;

	*out = NULL;
	*n = 0;
	st = ld_db_exec(db, "SELECT id, name, version, kind, sha256, role,"
	    " to_char(registered_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " registered_by,"
	    " to_char(activated_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " activated_by, cardinality(feature_names)"
	    " FROM models ORDER BY id", 0, NULL, &res, err);
	if (st != LD_OK)
		return st;
	rows = PQntuples(res);
	v = ld_calloc(rows > 0 ? (size_t)rows : 1, sizeof *v);
	for (i = 0; i < rows; i++) {
		v[i].id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		v[i].name = dup_or_null(res, i, 1);
		v[i].version = dup_or_null(res, i, 2);
		v[i].kind = dup_or_null(res, i, 3);
		v[i].sha256 = dup_or_null(res, i, 4);
		v[i].role = dup_or_null(res, i, 5);
		v[i].registered_at = dup_or_null(res, i, 6);
		v[i].registered_by = dup_or_null(res, i, 7);
		v[i].activated_at = dup_or_null(res, i, 8);
		v[i].activated_by = dup_or_null(res, i, 9);
		v[i].nfeatures = (size_t)strtoul(PQgetvalue(res, i, 10), NULL,
		    10);
	}
	PQclear(res);
	*out = v;
	*n = (size_t)rows;
	return LD_OK;
}

void
core_model_list_free(struct core_model_info *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].version);
		free(v[i].kind);
		free(v[i].sha256);
		free(v[i].role);
		free(v[i].registered_at);
		free(v[i].registered_by);
		free(v[i].activated_at);
		free(v[i].activated_by);
	}
	free(v);
}
