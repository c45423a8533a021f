#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ld_alloc.h"
#include "ld_audit.h"
#include "ld_pii.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* Columns: 0 head id, 1 head hash, then the row's 2..10. */
const char ld_audit_batch_sql[] =
    "SELECT h.last_id, encode(h.last_hash, 'hex'), r.id, r.us, r.actor, "
    "r.action, r.object_type, r.object_id, r.detail, r.prev, r.hash "
    "FROM audit_head h LEFT JOIN LATERAL (SELECT id, "
    "(extract(epoch FROM at) * 1000000)::bigint AS us, actor, action, "
    "object_type, object_id, detail::text AS detail, "
    "encode(prev_hash, 'hex') AS prev, encode(hash, 'hex') AS hash "
    "FROM audit_log WHERE id > $1::bigint ORDER BY id "
    "LIMIT " STR(LD_AUDIT_BATCH) ") r "
    "ON true ORDER BY r.id";

void
ld_audit_row_hash(const unsigned char prev[32], const char *canonical,
    unsigned char out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 32;

	/* SHA-256 in the default provider fails only for want of memory. */
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, prev, 32) != 1 ||
	    EVP_DigestUpdate(ctx, canonical, strlen(canonical)) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &n) != 1)
		ld_out_of_memory("SHA-256 of an audit row");
	EVP_MD_CTX_free(ctx);
}

void
ld_audit_verifier_init(struct ld_audit_verifier *v)
{
	memset(v, 0, sizeof *v);
	v->res.ok = 1;
	v->head_id = -1;
	/*
	 * From the lowest id the table could hold, not from the chain's
	 * first: a row slipped in below it is read, and refused.
	 */
	v->after = INT64_MIN;
}

void
ld_audit_verifier_resume(struct ld_audit_verifier *v)
{
	if (v->done && v->res.ok)
		v->done = 0;
}

void
ld_audit_verifier_param(const struct ld_audit_verifier *v, char *buf)
{
	snprintf(buf, 24, "%" PRId64, v->after);
}

static int
broken(struct ld_audit_verifier *v, int64_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
broken(struct ld_audit_verifier *v, int64_t id, const char *fmt, ...)
{
	va_list ap;

	v->res.ok = 0;
	v->res.broken_id = id;
	va_start(ap, fmt);
	vsnprintf(v->res.why, sizeof v->res.why, fmt, ap);
	va_end(ap);
	v->done = 1;
	return 0;
}

int
ld_audit_verifier_feed(struct ld_audit_verifier *v, const PGresult *r)
{
	static const char *const field_names[] = { "actor", "action",
		"object_type", "object_id" };
	unsigned char head_hash[32];
	int i, f, n = PQntuples(r), rows = 0;

	if (v->done)
		return 0;
	if (n == 0 || PQnfields(r) != 11 ||
	    ld_hex_decode(PQgetvalue(r, 0, 1), head_hash, 32) != 0)
		return broken(v, 0, "audit_head is missing or malformed");
	v->head_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	for (i = 0; i < n; i++) {
		unsigned char prev[32], stored[32], computed[32];
		int64_t id;
		char *canon;

		if (PQgetisnull(r, i, 2))
			continue;
		rows++;
		id = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		v->res.rows++;
		v->after = id;
		if (id < 1)
			return broken(v, id, "row %" PRId64 " is outside the "
			    "chain, whose ids start at 1: it was put in past "
			    "the chain's trigger", id);
		if (id != v->last_id + 1)
			return broken(v, id, "row %" PRId64 " follows row %"
			    PRId64 ": rows are missing", id, v->last_id);
		if (ld_hex_decode(PQgetvalue(r, i, 9), prev, 32) ||
		    ld_hex_decode(PQgetvalue(r, i, 10), stored, 32))
			return broken(v, id, "hash columns are malformed");
		if (memcmp(prev, v->last_hash, 32) != 0)
			return broken(v, id, "prev_hash does not match the "
			    "hash of row %" PRId64, id - 1);
		/*
		 * The fields are joined with '|' and only detail, the last,
		 * may hold one: otherwise ("a|b", "c") and ("a", "b|c") would
		 * share a text and a hash, and a row could be made to name
		 * another object without breaking the chain.
		 */
		for (f = 4; f <= 7; f++)
			if (strchr(PQgetvalue(r, i, f), '|') != NULL)
				return broken(v, id, "its %s holds a '|', "
				    "which makes its canonical text "
				    "ambiguous", field_names[f - 4]);
		canon = ld_asprintf("%s|%s|%s|%s|%s|%s|%s",
		    PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
		    PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
		    PQgetvalue(r, i, 6), PQgetvalue(r, i, 7),
		    PQgetvalue(r, i, 8));
		ld_audit_row_hash(prev, canon, computed);
		free(canon);
		if (memcmp(computed, stored, 32) != 0)
			return broken(v, id, "its content does not match its "
			    "hash (the row was altered)");
		memcpy(v->last_hash, stored, 32);
		v->last_id = id;
	}
	if (rows == LD_AUDIT_BATCH)
		return 1;
	/* The end of the log; the head, read with it, must record it. */
	if (v->head_id > v->last_id)
		return broken(v, v->last_id, "the chain ends at row %" PRId64
		    " but the head records row %" PRId64 ": rows were "
		    "removed from the end", v->last_id, v->head_id);
	if (v->head_id < v->last_id)
		return broken(v, v->head_id + 1, "the head records row %"
		    PRId64 " but the chain goes on to row %" PRId64 ": the "
		    "head was set back", v->head_id, v->last_id);
	if (memcmp(head_hash, v->last_hash, 32) != 0)
		return broken(v, v->last_id, "the head's hash does not match "
		    "row %" PRId64, v->last_id);
	v->res.last_id = v->last_id;
	ld_hex_encode(v->last_hash, 32, v->res.last_hash);
	v->done = 1;
	return 0;
}

enum ld_status
ld_audit_verify(struct ld_db *db, struct ld_audit_verify_result *res,
    struct ld_err *err)
{
	struct ld_audit_verifier v;
	char after[24];
	const char *params[1] = { after };
	enum ld_status st;
	int more;

	ld_audit_verifier_init(&v);
	do {
		PGresult *r;

		ld_audit_verifier_param(&v, after);
		st = ld_db_exec(db, ld_audit_batch_sql, 1, params, &r, err);
		if (st != LD_OK)
			return ld_err_prefix(err, "reading audit_log: ");
		more = ld_audit_verifier_feed(&v, r);
		PQclear(r);
	} while (more);
	*res = v.res;
	return LD_OK;
}

enum ld_status
ld_audit_check_anchor(struct ld_db *db, int64_t id, const char *hash_hex,
    struct ld_audit_verify_result *res, struct ld_err *err)
{
	unsigned char want[32], got[32];
	char idtext[24];
	const char *params[1] = { idtext };
	PGresult *r;
	enum ld_status st;
	int found;

	if (ld_hex_decode(hash_hex, want, 32) != 0)
		return ld_err_set(err, LD_EINVAL, "anchor hash \"%s\": expected "
		    "64 hex digits", hash_hex);
	if (!res->ok)
		return LD_OK;
	if (id < 1 || id > res->last_id) {
		res->ok = 0;
		res->broken_id = res->last_id;
		snprintf(res->why, sizeof res->why, "the chain ends at row %"
		    PRId64 " but the anchor names row %" PRId64 ": rows were "
		    "removed from the end and the head set back", res->last_id,
		    id);
		return LD_OK;
	}
	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	st = ld_db_exec(db, "SELECT encode(hash, 'hex') FROM audit_log WHERE "
	    "id = $1::bigint", 1, params, &r, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "reading audit_log: ");
	found = PQntuples(r) == 1 &&
	    ld_hex_decode(PQgetvalue(r, 0, 0), got, 32) == 0;
	PQclear(r);
	if (!found || memcmp(got, want, 32) != 0) {
		res->ok = 0;
		res->broken_id = id;
		snprintf(res->why, sizeof res->why, "its hash is not the "
		    "anchor's: the chain up to it was rewritten");
	}
	return LD_OK;
}
