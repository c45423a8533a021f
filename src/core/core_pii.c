#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core_locks.h"
#include "core_pii.h"
#include "core_query.h"
#include "ld_buf.h"
#include "ld_db.h"

/* Sealed values this long and more are refused (seed's bound is 128). */
#define PII_PLAIN_MAX 512
#define PII_SEALED_MAX (PII_PLAIN_MAX + LD_PII_OVERHEAD)
/* One rotation at a time per database (db migrate's is 7243001). */
#define ROTATE_LOCK 7243002

static const char *const pii_fields[] = { "name", "id_no", "phone" };
#define NFIELDS (sizeof pii_fields / sizeof pii_fields[0])

void
core_keyring_init(struct core_keyring *r)
{
	memset(r, 0, sizeof *r);
}

enum ld_status
core_keyring_add(struct core_keyring *r, const struct ld_pii_key *k,
    struct ld_err *err)
{
	if (r->n == CORE_KEYRING_MAX)
		return ld_err_set(err, LD_EINVAL, "more than %d sealing keys",
		    CORE_KEYRING_MAX);
	r->keys[r->n++] = *k;
	return LD_OK;
}

void
core_keyring_wipe(struct core_keyring *r)
{
	OPENSSL_cleanse(r, sizeof *r);
	r->n = 0;
}

enum ld_status
core_keyring_open(const struct core_keyring *r, const char *field,
    const unsigned char *sealed, size_t sealed_len, char *out,
    size_t outlen, struct ld_err *err)
{
	size_t i;

	if (sealed_len < LD_PII_OVERHEAD || sealed[0] != 0x01)
		return ld_err_set(err, LD_EINVAL, "%s: not a sealed value",
		    field);
	if (sealed_len - LD_PII_OVERHEAD + 1 > outlen)
		return ld_err_set(err, LD_EINVAL, "%s: %zu bytes sealed, more "
		    "than the %zu this reader holds", field,
		    sealed_len - LD_PII_OVERHEAD, outlen - 1);
	for (i = 0; i < r->n; i++)
		if (memcmp(r->keys[i].id, sealed + 1, 4) == 0)
			return ld_pii_open(&r->keys[i], field, sealed,
			    sealed_len, out, err);
	return ld_err_set(err, LD_ECRYPTO, "%s: sealed under key id "
	    "%02x%02x%02x%02x, which none of the keys given has (a key "
	    "being retired is given with --previous-key)", field, sealed[1],
	    sealed[2], sealed[3], sealed[4]);
}

int
core_pii_field_valid(const char *field)
{
	size_t i;

	for (i = 0; field != NULL && i < NFIELDS; i++)
		if (strcmp(field, pii_fields[i]) == 0)
			return 1;
	return 0;
}

/* Hex text from the database into bytes; the length, or 0 when bad. */
static size_t
unhex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = strlen(hex);

	if (n == 0 || n % 2 != 0 || n / 2 > cap ||
	    ld_hex_decode(hex, out, n / 2) != 0)
		return 0;
	return n / 2;
}

enum ld_status
core_pii_reveal(struct ld_db *db, const struct core_keyring *ring,
    int64_t app_id, const char *field, const char *reason, char *out,
    size_t outlen, struct ld_err *err)
{
	char idtext[24], what[48];
	const char *params[3] = { idtext, field, reason };
	unsigned char sealed[PII_SEALED_MAX];
	PGresult *res;
	enum ld_status st;
	size_t n;

	if (outlen > 0)
		out[0] = '\0';
	snprintf(idtext, sizeof idtext, "%" PRId64, app_id);
	snprintf(what, sizeof what, "application %s", idtext);
	st = ld_db_exec(db, "SELECT encode(sealed, 'hex') FROM "
	    "api.pii_reveal($1::bigint, $2, $3)", 3, params, &res, err);
	if (st == LD_ECONFLICT && strcmp(db->sqlstate, "55P03") == 0)
		return core_lock_timeout_explain(db, what, err);
	if (st != LD_OK) {
		char named[56];

		/* The database's message may name the application already. */
		snprintf(named, sizeof named, "%s ", what);
		if (strncmp(err->msg, named, strlen(named)) == 0)
			return st;
		return ld_err_prefix(err, "%s: ", what);
	}
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0) ||
	    (n = unhex(PQgetvalue(res, 0, 0), sealed, sizeof sealed)) == 0) {
		PQclear(res);
		return ld_err_set(err, LD_EPROTO, "%s: the database returned "
		    "no sealed %s", what, field);
	}
	PQclear(res);
	st = core_keyring_open(ring, field, sealed, n, out, outlen, err);
	OPENSSL_cleanse(sealed, sizeof sealed);
	if (st != LD_OK)
		return ld_err_prefix(err, "%s: ", what);
	return LD_OK;
}

/* The rows of a batch still under another key, locked. */
static const char rotate_select_sql[] =
    "SELECT id, encode(name_enc, 'hex'), encode(id_no_enc, 'hex'), "
    "encode(phone_enc, 'hex') FROM applicants WHERE id > $1::bigint AND "
    "(substring(name_enc FROM 2 FOR 4) <> $2::bytea OR "
    "substring(id_no_enc FROM 2 FOR 4) <> $2::bytea OR "
    "substring(phone_enc FROM 2 FOR 4) <> $2::bytea OR "
    "bidx_key_id IS DISTINCT FROM $3::bytea) "
    "ORDER BY id LIMIT $4::integer FOR UPDATE";

static const char rotate_update_sql[] =
    "UPDATE applicants a SET name_enc = decode(x.n, 'hex'), "
    "name_bidx = decode(x.nb, 'hex'), id_no_enc = decode(x.i, 'hex'), "
    "id_no_bidx = decode(x.ib, 'hex'), phone_enc = decode(x.p, 'hex'), "
    "phone_bidx = decode(x.pb, 'hex'), bidx_key_id = $8::bytea "
    "FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], "
    "$5::text[], $6::text[], $7::text[]) AS x(id, n, nb, i, ib, p, pb) "
    "WHERE a.id = x.id";

/* Re-seals and re-indexes one field of one row onto its two arrays. */
static enum ld_status
rotate_field(const struct core_keyring *ring, const struct ld_pii_key *seal,
    const struct ld_pii_key *index, const char *field, const char *hex,
    int64_t id, struct ld_buf *enc, struct ld_buf *bidx, struct ld_err *err)
{
	unsigned char sealed[PII_SEALED_MAX], ix[32];
	char plain[PII_PLAIN_MAX + 1], text[2 * PII_SEALED_MAX + 1];
	size_t n, len;
	enum ld_status st;

	if ((n = unhex(hex, sealed, sizeof sealed)) == 0)
		return ld_err_set(err, LD_EPROTO, "applicant %" PRId64 ": %s is "
		    "not a sealed value", id, field);
	st = core_keyring_open(ring, field, sealed, n, plain, sizeof plain,
	    err);
	if (st != LD_OK)
		return ld_err_prefix(err, "applicant %" PRId64 ": ", id);
	len = n - LD_PII_OVERHEAD;
	st = ld_pii_seal(seal, field, plain, len, sealed, err);
	if (st == LD_OK) {
		ld_pii_blind_index(index, field, plain, ix);
		ld_hex_encode(sealed, n, text);
		ld_buf_puts(enc, enc->len > 1 ? "," : "");
		ld_buf_puts(enc, text);
		ld_hex_encode(ix, sizeof ix, text);
		ld_buf_puts(bidx, bidx->len > 1 ? "," : "");
		ld_buf_puts(bidx, text);
	}
	OPENSSL_cleanse(plain, sizeof plain);
	OPENSSL_cleanse(sealed, sizeof sealed);
	return st;
}

/* One batch in one transaction; *done is 0 when no row was left. */
static enum ld_status
rotate_batch(struct ld_db *db, const struct core_keyring *ring,
    const struct ld_pii_key *seal, const struct ld_pii_key *index,
    int batch, struct core_rotation_stats *stats, int *done,
    struct ld_err *err)
{
	char after[24], seal_id[16], index_id[16], limit[16];
	const char *sel[4] = { after, seal_id, index_id, limit };
	const char *upd[8];
	struct ld_buf ids, enc[NFIELDS], bidx[NFIELDS];
	PGresult *res = NULL;
	enum ld_status st;
	int i, rows;
	size_t f;

	*done = 0;
	snprintf(after, sizeof after, "%" PRId64, stats->last_id);
	snprintf(seal_id, sizeof seal_id, "\\x%02x%02x%02x%02x", seal->id[0],
	    seal->id[1], seal->id[2], seal->id[3]);
	snprintf(index_id, sizeof index_id, "\\x%02x%02x%02x%02x",
	    index->id[0], index->id[1], index->id[2], index->id[3]);
	snprintf(limit, sizeof limit, "%d", batch);
	ld_buf_init(&ids, 0);
	for (f = 0; f < NFIELDS; f++) {
		ld_buf_init(&enc[f], 0);
		ld_buf_init(&bidx[f], 0);
		ld_buf_puts(&enc[f], "{");
		ld_buf_puts(&bidx[f], "{");
	}
	ld_buf_puts(&ids, "{");
	if ((st = ld_db_begin(db, err)) != LD_OK)
		goto out;
	st = ld_db_exec(db, rotate_select_sql, 4, sel, &res, err);
	if (st != LD_OK)
		goto out;
	rows = PQntuples(res);
	for (i = 0; i < rows && st == LD_OK; i++) {
		int64_t id = strtoll(PQgetvalue(res, i, 0), NULL, 10);

		ld_buf_puts(&ids, i > 0 ? "," : "");
		ld_buf_puts(&ids, PQgetvalue(res, i, 0));
		for (f = 0; f < NFIELDS && st == LD_OK; f++)
			st = rotate_field(ring, seal, index, pii_fields[f],
			    PQgetvalue(res, i, 1 + (int)f), id, &enc[f],
			    &bidx[f], err);
		stats->last_id = id;
	}
	PQclear(res);
	res = NULL;
	if (st != LD_OK)
		goto out;
	if (rows == 0) {
		st = ld_db_commit(db, err);
		*done = 1;
		goto out;
	}
	ld_buf_puts(&ids, "}");
	upd[0] = ids.data;
	for (f = 0; f < NFIELDS; f++) {
		ld_buf_puts(&enc[f], "}");
		ld_buf_puts(&bidx[f], "}");
		upd[1 + 2 * f] = enc[f].data;
		upd[2 + 2 * f] = bidx[f].data;
	}
	upd[7] = index_id;
	st = ld_db_exec(db, rotate_update_sql, 8, upd, NULL, err);
	if (st == LD_OK)
		st = ld_db_commit(db, err);
	if (st == LD_OK) {
		stats->batches++;
		stats->applicants += rows;
	}
out:
	if (st != LD_OK)
		ld_db_rollback(db);
	ld_buf_free(&ids);
	for (f = 0; f < NFIELDS; f++) {
		ld_buf_free(&enc[f]);
		ld_buf_free(&bidx[f]);
	}
	return st;
}

enum ld_status
core_keys_rotate(struct ld_db *db, const struct core_keyring *ring,
    const struct ld_pii_key *seal, const struct ld_pii_key *index,
    int batch, void (*progress)(void *arg,
    const struct core_rotation_stats *st), void *arg,
    struct core_rotation_stats *stats, struct ld_err *err)
{
	PGresult *res;
	struct ld_err unlock_err;
	enum ld_status st;
	int done = 0, locked;

	memset(stats, 0, sizeof *stats);
	if (batch < 1 || batch > 10000)
		return ld_err_set(err, LD_EINVAL, "batch size %d: from 1 to "
		    "10000", batch);
	if (CRYPTO_memcmp(seal->key, index->key, LD_PII_KEY_LEN) == 0)
		return ld_err_set(err, LD_EINVAL, "the sealing key and the "
		    "blind-index key are the same key; they must differ");
	st = ld_db_exec(db, "SELECT pg_try_advisory_lock(7243002)", 0, NULL,
	    &res, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "key rotation lock: ");
	locked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!locked)
		return ld_err_set(err, LD_ECONFLICT, "another key rotation is "
		    "running on this database (advisory lock %d)",
		    ROTATE_LOCK);
	while (!done) {
		st = rotate_batch(db, ring, seal, index, batch, stats, &done,
		    err);
		if (st != LD_OK)
			break;
		if (!done && progress != NULL)
			progress(arg, stats);
	}
	/*
	 * The lock goes with the session anyway; a failure to unlock early
	 * must not hide the rotation's own outcome in err.
	 */
	ld_err_clear(&unlock_err);
	(void)ld_db_cmd(db, "SELECT pg_advisory_unlock(7243002)",
	    &unlock_err);
	return st;
}
