#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ld_alloc.h"
#include "ld_audit.h"
#include "ld_pii.h"

void
ld_audit_row_hash(const unsigned char prev[32], const char *canonical,
    unsigned char out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 32;

	if (ctx == NULL)
		abort();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, prev, 32);
	EVP_DigestUpdate(ctx, canonical, strlen(canonical));
	EVP_DigestFinal_ex(ctx, out, &n);
	EVP_MD_CTX_free(ctx);
}

enum ld_status
ld_audit_verify(struct ld_db *db, struct ld_audit_verify_result *res,
    struct ld_err *err)
{
	unsigned char expect_prev[32];
	int64_t after = 0, expect_id = 1;
	char after_text[32];
	enum ld_status st;

	memset(res, 0, sizeof *res);
	memset(expect_prev, 0, sizeof expect_prev);
	res->ok = 1;
	for (;;) {
		const char *params[1] = { after_text };
		PGresult *r;
		int i, n;

		snprintf(after_text, sizeof after_text, "%" PRId64, after);
		st = ld_db_exec(db,
		    "SELECT id, (extract(epoch FROM at) * 1000000)::bigint, "
		    "actor, action, object_type, object_id, detail::text, "
		    "encode(prev_hash, 'hex'), encode(hash, 'hex') "
		    "FROM audit_log WHERE id > $1 ORDER BY id LIMIT 5000",
		    1, params, &r, err);
		if (st != LD_OK)
			return ld_err_prefix(err, "reading audit_log: ");
		n = PQntuples(r);
		for (i = 0; i < n; i++) {
			unsigned char prev[32], stored[32], computed[32];
			int64_t id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
			char *canon;

			res->rows++;
			if (id != expect_id) {
				res->ok = 0;
				res->broken_id = id;
				snprintf(res->why, sizeof res->why,
				    "row %" PRId64 " follows row %" PRId64
				    ": rows are missing", id, expect_id - 1);
				break;
			}
			if (ld_hex_decode(PQgetvalue(r, i, 7), prev, 32) ||
			    ld_hex_decode(PQgetvalue(r, i, 8), stored, 32)) {
				res->ok = 0;
				res->broken_id = id;
				snprintf(res->why, sizeof res->why,
				    "hash columns are malformed");
				break;
			}
			if (memcmp(prev, expect_prev, 32) != 0) {
				res->ok = 0;
				res->broken_id = id;
				snprintf(res->why, sizeof res->why,
				    "prev_hash does not match the hash of row "
				    "%" PRId64, id - 1);
				break;
			}
			canon = ld_asprintf("%s|%s|%s|%s|%s|%s|%s",
			    PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
			    PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
			    PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
			    PQgetvalue(r, i, 6));
			ld_audit_row_hash(prev, canon, computed);
			free(canon);
			if (memcmp(computed, stored, 32) != 0) {
				res->ok = 0;
				res->broken_id = id;
				snprintf(res->why, sizeof res->why,
				    "its content does not match its hash "
				    "(the row was altered)");
				break;
			}
			memcpy(expect_prev, stored, 32);
			expect_id = id + 1;
			after = id;
		}
		PQclear(r);
		if (!res->ok || n < 5000)
			break;
	}
	if (res->ok) {
		/* Rows cut from the end show up against the head record. */
		PGresult *r;
		unsigned char head_hash[32];
		int64_t head_id;

		st = ld_db_exec(db, "SELECT last_id, encode(last_hash, 'hex') "
		    "FROM audit_head", 0, NULL, &r, err);
		if (st != LD_OK)
			return ld_err_prefix(err, "reading audit_head: ");
		if (PQntuples(r) != 1 ||
		    ld_hex_decode(PQgetvalue(r, 0, 1), head_hash, 32) != 0) {
			res->ok = 0;
			snprintf(res->why, sizeof res->why,
			    "audit_head is missing or malformed");
		} else {
			head_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
			if (head_id != expect_id - 1 ||
			    memcmp(head_hash, expect_prev, 32) != 0) {
				res->ok = 0;
				res->broken_id = expect_id - 1;
				snprintf(res->why, sizeof res->why,
				    "the chain ends at row %" PRId64
				    " but the head records row %" PRId64
				    ": rows were removed from the end",
				    expect_id - 1, head_id);
			}
		}
		PQclear(r);
	}
	return LD_OK;
}
