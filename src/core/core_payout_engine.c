/*
 * A payout worker's round: claim, build once, store, commit, send, record.
 *
 * Why the order matters (docs/payouts.md, "The daemon's loop"): a request
 * may reach WeChat Pay and its answer be lost, so the bill is marked
 * sending, with the exact bytes, in the claim's transaction, and that
 * transaction commits before the request leaves.  A daemon that dies after
 * the commit leaves a bill that the next claim (after the lease) queries
 * by its number; one that dies before leaves a bill that was never sent.
 * user_name is RSA-OAEP encrypted to WeChat Pay, which is randomised, so a
 * body built again would be another body: every resend carries the stored
 * bytes.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "core_payout_engine.h"
#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_db.h"
#include "ld_pii.h"

#define BILLS_PATH "/v3/fund-app/mch-transfer/transfer-bills"
#define BATCH_PATH "/v3/transfer/batches"
#define V2_PATH "/mmpaymkttransfers/promotion/transfers"

/*
 * An APIv2 request carries the payee's name in clear (re_user_name): the
 * stored request holds it sealed with the [security] key in its place,
 * and the bytes sent are the stored ones with the token opened, the same
 * bytes every time.
 */
#define SEALED_TAG "ldsealed:"
#define SEALED_FIELD "v2_re_user_name"
#define NAME_OPEN "<re_user_name>"
#define NAME_CLOSE "</re_user_name>"

#define NAME_MAX_BYTES 512

static const struct ld_db_statement statements[] = {
	{ "ld_payout_claim",
	    "SELECT bill_id, payout_id, applicant_id, generation, "
	    "out_bill_no, out_batch_no, action, state, amount_fen, openid, "
	    "product, request_path, request_body, streak "
	    "FROM api.payout_claim($1, $2::integer)", 2 },
	{ "ld_payout_sending",
	    "SELECT api.payout_bill_sending($1::bigint, $2, 'POST', $3, $4)",
	    4 },
	{ "ld_payout_record",
	    "SELECT api.payout_bill_record($1::bigint, $2, $3, $4, $5, "
	    "$6::integer, $7, $8, $9, $10::integer, $11, $12, $13::boolean, "
	    "$14, $15, $16::bigint, $17::boolean, $18, $19::boolean, "
	    "$20::boolean, $21, $22::jsonb)", 22 },
	{ "ld_payout_name",
	    "SELECT encode(name_enc, 'hex') FROM applicants "
	    "WHERE id = $1::bigint", 1 },
	{ "ld_payout_batch_sent",
	    "SELECT out_batch_no FROM transfer_bills WHERE payout_id = "
	    "$1::bigint AND generation = $2::integer AND request_body IS NOT "
	    "NULL LIMIT 1", 2 },
	{ "ld_payout_next_due",
	    "SELECT (extract(epoch FROM min(next_attempt_at) - now()) * "
	    "1000)::bigint FROM transfer_bills WHERE next_action <> 'none'",
	    0 },
};

struct item {
	int64_t bill_id, payout_id, applicant_id, amount;
	int generation, streak;
	char out_bill_no[40], out_batch_no[40], openid[80];
	char action[16], state[24];
	char product[8];	/* bill, batch, v2 */
	char path[128];
	char *body;		/* stored, or built and stored now */
	int ready;		/* a create whose request is stored */
	int group;		/* batch: the item that sends for this one */
	int finished;
	char refusal[LD_ERR_MSG_MAX]; /* a create refused before sending */
};

struct round {
	struct ld_db *db;
	struct wx_client *c;
	const struct core_payout_engine_cfg *cfg;
	const struct core_payout_hooks *hooks;
	const struct payout_rng *rng;
	struct core_payout_round_stats *st;
	struct item *items;
	int n;
};

static const char *
mode_product(enum ld_wxpay_mode m)
{
	return m == LD_WXPAY_V2 ? "v2" : m == LD_WXPAY_BATCHES ? "batch" :
	    "bill";
}

static const char *
product_path(const char *product)
{
	return strcmp(product, "v2") == 0 ? V2_PATH :
	    strcmp(product, "batch") == 0 ? BATCH_PATH : BILLS_PATH;
}

static void
copy_field(char *dst, size_t cap, PGresult *r, int row, int col)
{
	snprintf(dst, cap, "%s", PQgetisnull(r, row, col) ? "" :
	    PQgetvalue(r, row, col));
}

static int64_t
field_i64(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 :
	    strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static double
elapsed_s(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
sha256_hex(const char *s, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)s, strlen(s), md);
	ld_hex_encode(md, sizeof md, out);
}

/* Redaction ------------------------------------------------------------ */

static void
json_drop_names(cJSON *o)
{
	cJSON *it;

	if (cJSON_IsObject(o))
		cJSON_DeleteItemFromObjectCaseSensitive(o, "user_name");
	cJSON_ArrayForEach(it, o)
		if (cJSON_IsObject(it) || cJSON_IsArray(it))
			json_drop_names(it);
}

/* Empties every <tag>...</tag> of xml in b. */
static void
xml_empty(struct ld_buf *b, const char *xml, const char *const *tags,
    size_t ntags)
{
	const char *p = xml;

	while (*p != '\0') {
		size_t i, best = 0;
		const char *at = NULL, *end;
		char open[48], close[48];

		for (i = 0; i < ntags; i++) {
			const char *q;

			snprintf(open, sizeof open, "<%s>", tags[i]);
			if ((q = strstr(p, open)) != NULL && (at == NULL ||
			    q < at)) {
				at = q;
				best = i;
			}
		}
		if (at == NULL) {
			ld_buf_puts(b, p);
			return;
		}
		snprintf(open, sizeof open, "<%s>", tags[best]);
		snprintf(close, sizeof close, "</%s>", tags[best]);
		ld_buf_append(b, p, (size_t)(at - p) + strlen(open));
		if ((end = strstr(at + strlen(open), close)) == NULL)
			return;		/* cut off: nothing after is kept */
		p = end;
	}
}

char *
core_payout_redact(const char *body, size_t len)
{
	static const char *const tags[] = { "re_user_name", "transfer_name" };
	const char *p = body;
	struct ld_buf b;
	size_t outlen;
	char *copy;

	if (body == NULL)
		return NULL;
	copy = ld_malloc(len + 1);
	memcpy(copy, body, len);
	copy[len] = '\0';
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (p - body < (ptrdiff_t)len && body[p - body] == '{') {
		cJSON *o = cJSON_ParseWithLength(copy, len);
		char *out;

		if (o == NULL)
			return copy;
		json_drop_names(o);
		out = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		free(copy);
		copy = ld_strdup(out);
		cJSON_free(out);
		return copy;
	}
	if (strstr(copy, "<re_user_name>") == NULL &&
	    strstr(copy, "<transfer_name>") == NULL)
		return copy;
	ld_buf_init(&b, 0);
	xml_empty(&b, copy, tags, sizeof tags / sizeof tags[0]);
	free(copy);
	return ld_buf_steal(&b, &outlen);
}

/* The borrower's name -------------------------------------------------- */

static enum ld_status
open_name(struct round *r, const struct item *it, char *out, size_t outlen,
    struct ld_err *err)
{
	unsigned char sealed[NAME_MAX_BYTES];
	char id[24];
	const char *p[1] = { id };
	const char *hex;
	PGresult *res;
	enum ld_status st;
	size_t n;

	if (r->cfg->names == NULL || r->cfg->names->n == 0)
		return ld_err_set(err, LD_EINVAL, "bill %s needs the payee's "
		    "name (%" PRId64 " fen), and this daemon has no [security] "
		    "pii_key_file to open it", it->out_bill_no, it->amount);
	snprintf(id, sizeof id, "%" PRId64, it->applicant_id);
	if ((st = ld_db_exec_prepared(r->db, "ld_payout_name", 1, p, &res,
	    err)) != LD_OK)
		return st;
	hex = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
	n = strlen(hex) / 2;
	if (n == 0 || n > sizeof sealed || strlen(hex) % 2 != 0 ||
	    ld_hex_decode(hex, sealed, n) != 0) {
		PQclear(res);
		return ld_err_set(err, LD_EINVAL, "applicant %" PRId64 ": no "
		    "sealed name to send", it->applicant_id);
	}
	PQclear(res);
	st = core_keyring_open(r->cfg->names, "name", sealed, n, out, outlen,
	    err);
	OPENSSL_cleanse(sealed, sizeof sealed);
	if (st != LD_OK)
		ld_err_prefix(err, "applicant %" PRId64 "'s name: ",
		    it->applicant_id);
	return st;
}

/* The stored APIv2 request: its re_user_name sealed in place. */
static char *
v2_seal(const struct core_keyring *ring, const char *xml, struct ld_err *err)
{
	const char *a = strstr(xml, NAME_OPEN), *b;
	unsigned char *sealed;
	char *hex, *out;
	size_t inner;

	if (a == NULL)
		return ld_strdup(xml);
	a += strlen(NAME_OPEN);
	if ((b = strstr(a, NAME_CLOSE)) == NULL) {
		ld_err_set(err, LD_EINVAL, "APIv2 request: re_user_name is not "
		    "closed");
		return NULL;
	}
	inner = (size_t)(b - a);
	sealed = ld_malloc(inner + LD_PII_OVERHEAD);
	if (ld_pii_seal(&ring->keys[0], SEALED_FIELD, a, inner, sealed,
	    err) != LD_OK) {
		free(sealed);
		return NULL;
	}
	hex = ld_malloc(2 * (inner + LD_PII_OVERHEAD) + 1);
	ld_hex_encode(sealed, inner + LD_PII_OVERHEAD, hex);
	out = ld_asprintf("%.*s" SEALED_TAG "%s%s", (int)(a - xml), xml, hex,
	    b);
	free(sealed);
	free(hex);
	return out;
}

/* The bytes to send for a stored APIv2 request. */
static char *
v2_unseal(const struct core_keyring *ring, const char *stored,
    struct ld_err *err)
{
	const char *a = strstr(stored, NAME_OPEN SEALED_TAG), *h, *b;
	unsigned char *sealed;
	char *plain, *out, *hex;
	enum ld_status st;
	size_t n;

	if (a == NULL)
		return ld_strdup(stored);
	h = a + strlen(NAME_OPEN SEALED_TAG);
	if ((b = strstr(h, NAME_CLOSE)) == NULL || (b - h) % 2 != 0 ||
	    b - h < 2 * LD_PII_OVERHEAD) {
		ld_err_set(err, LD_EINVAL, "stored APIv2 request: the sealed "
		    "name is malformed");
		return NULL;
	}
	if (ring == NULL || ring->n == 0) {
		ld_err_set(err, LD_EINVAL, "stored APIv2 request carries a "
		    "sealed name and this daemon has no [security] "
		    "pii_key_file");
		return NULL;
	}
	n = (size_t)(b - h) / 2;
	sealed = ld_malloc(n);
	plain = ld_malloc(n);
	hex = ld_strndup(h, 2 * n);	/* ld_hex_decode wants it alone */
	st = ld_hex_decode(hex, sealed, n) != 0 ? LD_EINVAL :
	    core_keyring_open(ring, SEALED_FIELD, sealed, n, plain, n, err);
	free(hex);
	if (st != LD_OK) {
		if (err->code == LD_OK)
			ld_err_set(err, LD_EINVAL, "stored APIv2 request: "
			    "the sealed name is malformed");
		free(sealed);
		free(plain);
		return NULL;
	}
	out = ld_asprintf("%.*s%s%s", (int)(a - stored + strlen(NAME_OPEN)),
	    stored, plain, b);
	OPENSSL_cleanse(plain, n);
	free(sealed);
	free(plain);
	return out;
}

/* Building requests, in the claim's transaction ------------------------- */

static int
needs_name(int64_t amount)
{
	return amount >= CORE_PAYOUT_NAME_FROM_FEN;
}

static enum ld_status
build_one(struct round *r, struct item *it, struct ld_err *err)
{
	char name[256];
	int named = needs_name(it->amount);
	enum ld_status st;

	name[0] = '\0';
	if (named && (st = open_name(r, it, name, sizeof name, err)) !=
	    LD_OK)
		return st;
	if (strcmp(it->product, "v2") == 0) {
		struct wx_v2_transfer_req q;
		char *xml = NULL;

		memset(&q, 0, sizeof q);
		q.partner_trade_no = it->out_bill_no;
		q.openid = it->openid;
		q.amount_fen = it->amount;
		q.desc = r->cfg->remark;
		q.re_user_name = named ? name : NULL;
		st = wx_v2_transfer_build(r->c, &q, &xml, err);
		if (st == LD_OK && named) {
			it->body = v2_seal(r->cfg->names, xml, err);
			st = it->body != NULL ? LD_OK : LD_EINVAL;
			OPENSSL_cleanse(xml, strlen(xml));
			free(xml);
		} else
			it->body = xml;
	} else {
		struct wx_transfer_req q;

		memset(&q, 0, sizeof q);
		q.out_bill_no = it->out_bill_no;
		q.openid = it->openid;
		q.amount_fen = it->amount;
		q.remark = r->cfg->remark;
		q.user_name = named ? name : NULL;
		st = wx_transfer_bill_build(r->c, &q, &it->body, err);
	}
	OPENSSL_cleanse(name, sizeof name);
	return st;
}

/*
 * A payout's claimed creates as one batch (docs/payouts.md, "The
 * daemon"): every detail carries the name or none does, and one does
 * from 2,000 yuan.  Each item gets its own copy of the body.
 */
static enum ld_status
build_batch(struct round *r, int first, struct ld_err *err)
{
	struct wx_batch_detail_req *d;
	struct wx_batch_req q;
	char prefix[PAYOUT_PREFIX_MAX + 1], batch_no[PAYOUT_OUT_NO_MAX + 1];
	char (*names)[256];
	char *body = NULL;
	int64_t pid;
	int seq, gen, i, k = 0, named = 0, n = 0;
	enum ld_status st;

	for (i = first; i < r->n; i++)
		if (r->items[i].group == first) {
			n++;
			named |= needs_name(r->items[i].amount);
		}
	if ((st = payout_out_bill_no_parse(r->items[first].out_bill_no,
	    prefix, &pid, &seq, &gen, err)) != LD_OK ||
	    (st = payout_out_batch_no(prefix, r->items[first].payout_id,
	    r->items[first].generation, batch_no, err)) != LD_OK)
		return st;
	d = ld_calloc((size_t)n, sizeof *d);
	names = ld_calloc((size_t)n, sizeof *names);
	for (i = first; i < r->n && st == LD_OK; i++) {
		struct item *it = &r->items[i];

		if (it->group != first)
			continue;
		if (named)
			st = open_name(r, it, names[k], sizeof names[k], err);
		d[k].out_detail_no = it->out_bill_no;
		d[k].amount_fen = it->amount;
		d[k].remark = r->cfg->remark;
		d[k].openid = it->openid;
		d[k].user_name = named ? names[k] : NULL;
		k++;
	}
	if (st == LD_OK) {
		memset(&q, 0, sizeof q);
		q.out_batch_no = batch_no;
		q.batch_name = r->cfg->remark;
		q.batch_remark = r->cfg->remark;
		q.details = d;
		q.n_details = (size_t)n;
		st = wx_batch_build(r->c, &q, &body, err);
	}
	OPENSSL_cleanse(names, (size_t)n * sizeof *names);
	free(names);
	free(d);
	if (st != LD_OK)
		return st;
	for (i = first; i < r->n; i++)
		if (r->items[i].group == first)
			r->items[i].body = ld_strdup(body);
	free(body);
	return LD_OK;
}

/*
 * api.payout_bill_sending for one item, under a savepoint: a body the
 * database refuses (22023: it does not name the bill's number, amount or
 * openid) is that bill's refusal; anything else ends the claim.
 */
static enum ld_status
store_one(struct round *r, struct item *it, struct ld_err *err)
{
	char id[24];
	const char *p[4] = { id, it->product, it->path, it->body };
	struct ld_err e;
	PGresult *res;
	enum ld_status st;

	snprintf(id, sizeof id, "%" PRId64, it->bill_id);
	if ((st = ld_db_cmd(r->db, "SAVEPOINT ld_payout_bill", err)) != LD_OK)
		return st;
	ld_err_clear(&e);
	st = ld_db_exec_prepared(r->db, "ld_payout_sending", 4, p, &res, &e);
	if (st == LD_OK) {
		snprintf(it->state, sizeof it->state, "%s",
		    PQgetvalue(res, 0, 0));
		PQclear(res);
		it->ready = 1;
		return ld_db_cmd(r->db, "RELEASE SAVEPOINT ld_payout_bill",
		    err);
	}
	if (strcmp(r->db->sqlstate, "22023") != 0) {
		*err = e;
		return st;
	}
	snprintf(it->refusal, sizeof it->refusal, "%s", e.msg);
	return ld_db_cmd(r->db, "ROLLBACK TO SAVEPOINT ld_payout_bill", err);
}

/*
 * In batch mode, the creates of one payout (and generation) without a
 * stored request go as one batch; its first item sends for all.  A
 * payout whose batch number already carries other bills cannot add
 * these: a second body under the same out_batch_no is refused by WeChat
 * Pay, so they are held for a person instead.
 */
static enum ld_status
group_batches(struct round *r, struct ld_err *err)
{
	int i, j;

	for (i = 0; i < r->n; i++) {
		struct item *it = &r->items[i];

		if (it->group >= 0 || strcmp(it->action, "create") != 0 ||
		    strcmp(it->product, "batch") != 0)
			continue;
		it->group = i;
		for (j = i + 1; j < r->n; j++) {
			struct item *o = &r->items[j];

			if (o->group >= 0 || strcmp(o->action, "create") != 0 ||
			    strcmp(o->product, "batch") != 0)
				continue;
			/* A resend goes with the bills of its stored batch. */
			if (it->body != NULL ? (o->body != NULL &&
			    strcmp(o->out_batch_no, it->out_batch_no) == 0) :
			    (o->body == NULL && o->payout_id == it->payout_id &&
			    o->generation == it->generation))
				o->group = i;
		}
		if (it->body == NULL) {
			char pid[24], gen[16];
			const char *p[2] = { pid, gen };
			PGresult *res;
			enum ld_status st;

			snprintf(pid, sizeof pid, "%" PRId64, it->payout_id);
			snprintf(gen, sizeof gen, "%d", it->generation);
			if ((st = ld_db_exec_prepared(r->db,
			    "ld_payout_batch_sent", 2, p, &res, err)) != LD_OK)
				return st;
			if (PQntuples(res) > 0)
				for (j = i; j < r->n; j++)
					if (r->items[j].group == i)
						snprintf(r->items[j].refusal,
						    sizeof r->items[j].refusal,
						    "payout %" PRId64 "'s batch "
						    "%s already went with other "
						    "bills; a bill that came "
						    "due later cannot join it "
						    "(batch mode sends a "
						    "payout as one batch)",
						    it->payout_id,
						    PQgetvalue(res, 0, 0));
			PQclear(res);
		}
	}
	return LD_OK;
}

/* The claim, the builds and the stores, in one transaction. */
static enum ld_status
claim(struct round *r, struct ld_err *err)
{
	char max[16];
	const char *p[2] = { r->cfg->worker, max };
	PGresult *res;
	enum ld_status st;
	int i;

	snprintf(max, sizeof max, "%d", r->cfg->claim_max);
	if ((st = ld_db_begin(r->db, err)) != LD_OK)
		return st;
	if ((st = ld_db_exec_prepared(r->db, "ld_payout_claim", 2, p, &res,
	    err)) != LD_OK)
		goto fail;
	r->n = PQntuples(res);
	r->items = ld_calloc((size_t)r->n + 1, sizeof *r->items);
	for (i = 0; i < r->n; i++) {
		struct item *it = &r->items[i];

		it->bill_id = field_i64(res, i, 0);
		it->payout_id = field_i64(res, i, 1);
		it->applicant_id = field_i64(res, i, 2);
		it->generation = (int)field_i64(res, i, 3);
		copy_field(it->out_bill_no, sizeof it->out_bill_no, res, i, 4);
		copy_field(it->out_batch_no, sizeof it->out_batch_no, res, i,
		    5);
		copy_field(it->action, sizeof it->action, res, i, 6);
		copy_field(it->state, sizeof it->state, res, i, 7);
		it->amount = field_i64(res, i, 8);
		copy_field(it->openid, sizeof it->openid, res, i, 9);
		copy_field(it->product, sizeof it->product, res, i, 10);
		if (it->product[0] == '\0')
			snprintf(it->product, sizeof it->product, "%s",
			    mode_product(r->cfg->mode));
		copy_field(it->path, sizeof it->path, res, i, 11);
		if (it->path[0] == '\0')
			snprintf(it->path, sizeof it->path, "%s",
			    product_path(it->product));
		if (!PQgetisnull(res, i, 12))
			it->body = ld_strdup(PQgetvalue(res, i, 12));
		it->streak = (int)field_i64(res, i, 13);
		it->group = -1;
	}
	PQclear(res);
	r->st->claimed = r->n;
	if ((st = group_batches(r, err)) != LD_OK)
		goto fail;
	for (i = 0; i < r->n; i++) {
		struct item *it = &r->items[i];
		struct ld_err e;

		if (strcmp(it->action, "create") != 0 || it->refusal[0])
			continue;
		ld_err_clear(&e);
		if (it->body == NULL && (it->group < 0 || it->group == i)) {
			st = it->group == i ? build_batch(r, i, &e) :
			    build_one(r, it, &e);
			if (st != LD_OK) {
				/* The database's trouble is the round's. */
				if (st == LD_ENET || st == LD_EDB) {
					*err = e;
					goto fail;
				}
				snprintf(it->refusal, sizeof it->refusal, "%s",
				    e.msg);
				if (it->group == i) {
					int j;

					for (j = i + 1; j < r->n; j++)
						if (r->items[j].group == i)
							snprintf(
							    r->items[j].refusal,
							    sizeof r->items[j]
							    .refusal, "%s",
							    e.msg);
				}
				continue;
			}
		}
		if (it->body == NULL)	/* its batch's build was refused */
			continue;
		if ((st = store_one(r, it, err)) != LD_OK)
			goto fail;
	}
	if ((st = ld_db_commit(r->db, err)) != LD_OK)
		goto fail;
	return LD_OK;
fail:
	ld_db_rollback(r->db);
	return st;
}

/* Recording ------------------------------------------------------------ */

static void
json_str(cJSON *o, const char *k, const char *v)
{
	if (v != NULL && v[0] != '\0')
		cJSON_AddStringToObject(o, k, v);
}

static void
json_fen(cJSON *o, const char *k, int64_t v)
{
	char buf[32];

	if (v < 0)
		return;
	snprintf(buf, sizeof buf, "%" PRId64, v);
	cJSON_AddRawToObject(o, k, buf);
}

static char *
json_done(cJSON *o)
{
	char *s = NULL, *out = NULL;

	if (o != NULL && cJSON_GetArraySize(o) > 0 &&
	    (s = cJSON_PrintUnformatted(o)) != NULL)
		out = ld_strdup(s);
	cJSON_free(s);
	cJSON_Delete(o);
	return out;
}

/* What WeChat Pay said of the bill, for payout_bill_record's p_bill. */
static char *
bill_json(const struct wx_transfer_bill *b)
{
	cJSON *o = cJSON_CreateObject();

	json_str(o, "out_bill_no", b->out_bill_no);
	json_str(o, "transfer_bill_no", b->transfer_bill_no);
	json_str(o, "state", b->state);
	json_str(o, "fail_reason", b->fail_reason);
	json_str(o, "package_info", b->package_info);
	json_str(o, "update_time", b->update_time);
	json_str(o, "openid", b->openid);
	json_fen(o, "transfer_amount", b->transfer_amount);
	return json_done(o);
}

static char *
detail_json(const struct wx_batch_detail *d)
{
	cJSON *o = cJSON_CreateObject();

	json_str(o, "out_bill_no", d->out_detail_no);
	json_str(o, "transfer_bill_no", d->detail_id);
	json_str(o, "state", d->detail_status);
	json_str(o, "fail_reason", d->fail_reason);
	json_str(o, "update_time", d->update_time);
	json_str(o, "openid", d->openid);
	json_fen(o, "transfer_amount", d->transfer_amount);
	return json_done(o);
}

static char *
v2_info_json(const struct wx_v2_transfer_info *t)
{
	cJSON *o = cJSON_CreateObject();

	json_str(o, "out_bill_no", t->partner_trade_no);
	json_str(o, "transfer_bill_no", t->detail_id);
	json_str(o, "state", t->status);
	json_str(o, "fail_reason", t->reason);
	json_str(o, "openid", t->openid);
	json_fen(o, "transfer_amount", t->payment_amount);
	return json_done(o);
}

/* What one exchange produced. */
struct answer {
	struct wx_answer ans;
	char *bill;		/* p_bill, or NULL */
	double seconds;		/* < 0: nothing left */
	int sent;
};

static void
answer_free(struct answer *a)
{
	wx_answer_free(&a->ans);
	free(a->bill);
	memset(a, 0, sizeof *a);
}

/* An answer we made up: nothing was sent. */
static void
answer_local(struct answer *a, const char *code, enum wx_outcome outcome,
    const char *message)
{
	memset(a, 0, sizeof *a);
	a->seconds = -1;
	a->ans.cls = wx_code_classify(WX_KIND_TRANSPORT, WX_CODE_LOCAL);
	a->ans.outcome = outcome;
	snprintf(a->ans.code, sizeof a->ans.code, "%s", code);
	snprintf(a->ans.message, sizeof a->ans.message, "%s", message);
}

/*
 * api.payout_bill_record for it: the exchange as it went and the step.
 * The bill's new state goes into it->state.
 */
static enum ld_status
record(struct round *r, struct item *it, const char *exchange,
    const char *from, const struct answer *a, const struct payout_step *s,
    const char *sha, struct ld_err *err)
{
	char id[24], status[16], latency[24], delay[24], why[600];
	char *req, *resp;
	const char *p[22];
	PGresult *res;
	enum ld_status st;
	struct core_payout_attempt at;

	snprintf(id, sizeof id, "%" PRId64, it->bill_id);
	snprintf(status, sizeof status, "%ld", a->ans.http_status);
	snprintf(latency, sizeof latency, "%ld", a->seconds < 0 ? 0L :
	    (long)(a->seconds * 1000 + 0.5));
	snprintf(delay, sizeof delay, "%ld", s->delay_ms);
	if (sha != NULL && sha[0] != '\0')
		snprintf(why, sizeof why, "%s; sent sha256 %s", s->why, sha);
	else
		snprintf(why, sizeof why, "%s", s->why != NULL ? s->why : "");
	req = core_payout_redact(a->ans.request_body, a->ans.request_body_len);
	resp = core_payout_redact(a->ans.raw, a->ans.raw_len);
	p[0] = id;
	p[1] = exchange;
	p[2] = from;
	p[3] = a->ans.method[0] ? a->ans.method : NULL;
	p[4] = a->ans.path[0] ? a->ans.path : NULL;
	p[5] = a->ans.http_status > 0 ? status : NULL;
	p[6] = a->ans.code[0] ? a->ans.code : NULL;
	p[7] = a->ans.message[0] ? a->ans.message : NULL;
	p[8] = wx_outcome_name(a->ans.outcome);
	p[9] = a->seconds >= 0 ? latency : NULL;
	p[10] = req;
	p[11] = resp;
	p[12] = s->applies ? "true" : "false";
	p[13] = payout_bill_state_sql(s->to);
	p[14] = payout_action_sql(s->action);
	p[15] = delay;
	p[16] = s->until_midnight ? "true" : "false";
	p[17] = s->hold != PAYOUT_HOLD_NONE ? payout_hold_sql(s->hold) : NULL;
	p[18] = s->review ? "true" : "false";
	p[19] = s->pause_channel ? "true" : "false";
	p[20] = why;
	p[21] = a->bill;
	st = ld_db_exec_prepared(r->db, "ld_payout_record", 22, p, &res, err);
	free(req);
	free(resp);
	if (st != LD_OK) {
		ld_err_prefix(err, "recording %s of bill %s: ", exchange,
		    it->out_bill_no);
		return st;
	}
	snprintf(it->state, sizeof it->state, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	r->st->recorded++;
	if (s->pause_channel && r->hooks != NULL &&
	    r->hooks->balance_short != NULL)
		r->hooks->balance_short(r->hooks->arg);
	if (r->hooks != NULL && r->hooks->attempt != NULL) {
		memset(&at, 0, sizeof at);
		at.payout_id = it->payout_id;
		at.bill_id = it->bill_id;
		at.out_bill_no = it->out_bill_no;
		at.exchange = exchange;
		at.outcome = wx_outcome_name(a->ans.outcome);
		at.code = a->ans.code[0] ? a->ans.code : "-";
		at.state = it->state;
		at.http_status = a->ans.http_status;
		at.seconds = a->seconds;
		at.applied = s->applies;
		snprintf(at.body_sha256, sizeof at.body_sha256, "%s",
		    sha != NULL ? sha : "");
		r->hooks->attempt(r->hooks->arg, &at);
	}
	return LD_OK;
}

/* The step for an answer, from the bill's state before it. */
static void
step_for(struct round *r, const struct item *it, const char *from,
    enum payout_exchange ex, const struct wx_code_class *cls,
    struct payout_step *s)
{
	struct ld_err e;
	int f = payout_bill_state_from_sql(from);

	if (f < 0 || cls == NULL || payout_bill_step((enum payout_bill_state)f,
	    ex, cls, it->streak + 1, r->rng, s, &e) != LD_OK) {
		/* Cannot happen with the tables as they are; were it to,
		 * the answer is no answer. */
		if (f < 0)
			f = PAYOUT_BILL_UNKNOWN;
		(void)payout_bill_step((enum payout_bill_state)f, ex,
		    wx_code_classify(WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER),
		    it->streak + 1, r->rng, s, &e);
	}
}

/* A create claimed and stored but not sent: it goes back as it was. */
static enum ld_status
give_back(struct round *r, struct item *it, const char *why,
    struct ld_err *err)
{
	struct answer a;
	struct payout_step s;
	char from[24];
	enum ld_status st;

	answer_local(&a, "NOT_SENT", WX_OUTCOME_RETRY, why);
	memset(&s, 0, sizeof s);
	snprintf(from, sizeof from, "%s", it->state);
	s.applies = 1;
	/* Nothing left: a bill WeChat Pay never had is pending again; an
	 * unknown one stays unknown and is resent later. */
	s.to = strcmp(from, "sending") == 0 ? PAYOUT_BILL_PENDING :
	    PAYOUT_BILL_UNKNOWN;
	s.action = PAYOUT_ACTION_CREATE;
	s.hold = PAYOUT_HOLD_NONE;
	s.why = why;
	st = record(r, it, "create", from, &a, &s, NULL, err);
	answer_free(&a);
	if (st == LD_OK)
		r->st->not_sent++;
	return st;
}

/* A create refused before anything left: held for a person. */
static enum ld_status
refuse(struct round *r, struct item *it, struct ld_err *err)
{
	struct answer a;
	struct payout_step s;
	struct ld_err e;
	char from[24];
	enum ld_status st;

	answer_local(&a, WX_CODE_LOCAL, WX_OUTCOME_FAIL, it->refusal);
	snprintf(from, sizeof from, "%s", it->state);
	/* As a refusal of a request that left would be: held, reviewed. */
	(void)payout_bill_step(strcmp(from, "unknown") == 0 ?
	    PAYOUT_BILL_UNKNOWN : PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    a.ans.cls, it->streak + 1, r->rng, &s, &e);
	st = record(r, it, "create", from, &a, &s, NULL, err);
	answer_free(&a);
	if (st == LD_OK)
		r->st->refused++;
	return st;
}

/* Exchanges ------------------------------------------------------------ */

static void
exchange_done(struct answer *a, const struct timespec *t0)
{
	a->seconds = elapsed_s(t0);
	a->sent = a->ans.transport != LD_OK || a->ans.http_status > 0 ||
	    strcmp(a->ans.code, WX_CODE_LOCAL) != 0;
}

static void
send_create(struct round *r, const struct item *it, struct answer *a)
{
	struct ld_err err;
	struct timespec t0;

	memset(a, 0, sizeof *a);
	ld_err_clear(&err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (strcmp(it->product, "v2") == 0) {
		struct wx_v2_transfer t;
		char *wire = v2_unseal(r->cfg->names, it->body, &err);

		if (wire == NULL) {
			answer_local(a, WX_CODE_LOCAL, WX_OUTCOME_FAIL,
			    err.msg);
			return;
		}
		(void)wx_v2_transfer_send(r->c, wire, &t, &a->ans, &err);
		OPENSSL_cleanse(wire, strlen(wire));
		free(wire);
		/* What was sent, as the log keeps it: the stored form. */
		free(a->ans.request_body);
		a->ans.request_body = ld_strdup(it->body);
		a->ans.request_body_len = strlen(it->body);
		if (a->ans.cls != NULL && a->ans.cls->kind ==
		    WX_KIND_V2_STATUS) {
			cJSON *o = cJSON_CreateObject();

			json_str(o, "out_bill_no", t.partner_trade_no);
			json_str(o, "transfer_bill_no", t.payment_no);
			json_str(o, "state", a->ans.cls->code);
			a->bill = json_done(o);
		}
	} else if (strcmp(it->product, "batch") == 0) {
		struct wx_batch b;

		memset(&b, 0, sizeof b);
		(void)wx_batch_create(r->c, it->body, &b, &a->ans, &err);
		if (a->ans.cls != NULL && a->ans.cls->kind ==
		    WX_KIND_V3_BATCH_STATUS) {
			cJSON *o = cJSON_CreateObject();

			json_str(o, "state", b.batch_status);
			json_str(o, "update_time", b.update_time);
			a->bill = json_done(o);
		}
		wx_batch_free(&b);
	} else {
		struct wx_transfer_bill b;

		memset(&b, 0, sizeof b);
		(void)wx_transfer_bill_create(r->c, it->body, &b, &a->ans,
		    &err);
		if (b.state[0] != '\0')
			a->bill = bill_json(&b);
		wx_transfer_bill_free(&b);
	}
	exchange_done(a, &t0);
}

static void
send_query(struct round *r, const struct item *it, struct answer *a)
{
	struct wx_expect e = { it->out_bill_no, it->amount, it->openid };
	struct ld_err err;
	struct timespec t0;

	memset(a, 0, sizeof *a);
	ld_err_clear(&err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (strcmp(it->product, "v2") == 0) {
		struct wx_v2_transfer_info t;

		(void)wx_v2_transfer_query_expect(r->c, &e, &t, &a->ans, &err);
		if (t.status[0] != '\0')
			a->bill = v2_info_json(&t);
	} else if (strcmp(it->product, "batch") == 0) {
		struct wx_batch_detail d;
		char prefix[PAYOUT_PREFIX_MAX + 1], no[PAYOUT_OUT_NO_MAX + 1];
		int64_t pid;
		int seq, gen;

		memset(&d, 0, sizeof d);
		no[0] = '\0';
		if (it->out_batch_no[0] != '\0')
			snprintf(no, sizeof no, "%s", it->out_batch_no);
		else if (payout_out_bill_no_parse(it->out_bill_no, prefix,
		    &pid, &seq, &gen, &err) == LD_OK)
			(void)payout_out_batch_no(prefix, it->payout_id,
			    it->generation, no, &err);
		(void)wx_batch_detail_query_expect(r->c, no, &e, &d, &a->ans,
		    &err);
		if (d.detail_status[0] != '\0')
			a->bill = detail_json(&d);
		wx_batch_detail_free(&d);
	} else {
		struct wx_transfer_bill b;

		memset(&b, 0, sizeof b);
		(void)wx_transfer_bill_query_expect(r->c, &e, &b, &a->ans,
		    &err);
		if (b.state[0] != '\0')
			a->bill = bill_json(&b);
		wx_transfer_bill_free(&b);
	}
	exchange_done(a, &t0);
}

static void
send_cancel(struct round *r, const struct item *it, struct answer *a)
{
	struct wx_transfer_bill b;
	struct ld_err err;
	struct timespec t0;

	memset(a, 0, sizeof *a);
	memset(&b, 0, sizeof b);
	ld_err_clear(&err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	(void)wx_transfer_bill_cancel(r->c, it->out_bill_no, &b, &a->ans,
	    &err);
	if (b.state[0] != '\0')
		a->bill = bill_json(&b);
	wx_transfer_bill_free(&b);
	exchange_done(a, &t0);
}

static int
asked(int (*fn)(void *), void *arg)
{
	return fn != NULL && fn(arg) != 0;
}

/* In group g (a batch, or one bill when g's group is -1), item j. */
static int
in_group(const struct round *r, int g, int j)
{
	return r->items[g].group < 0 ? j == g : r->items[j].group == g;
}

/*
 * A create (or a batch's creates): sent once, with the stored bytes of
 * the group's first stored item, and recorded for every stored item.
 */
static enum ld_status
do_create(struct round *r, int g, struct ld_err *err)
{
	struct item *sender = NULL;
	struct answer a;
	char sha[65];
	enum ld_status st = LD_OK;
	int j;

	for (j = g; j < r->n && sender == NULL; j++)
		if (in_group(r, g, j) && r->items[j].ready &&
		    !r->items[j].finished)
			sender = &r->items[j];
	if (sender == NULL)
		return LD_OK;
	send_create(r, sender, &a);
	if (a.sent)
		r->st->sent++;
	sha256_hex(sender->body, sha);
	/* v3 and batches send the stored bytes themselves. */
	if (strcmp(sender->product, "v2") != 0 && a.ans.request_body != NULL &&
	    strcmp(a.ans.request_body, sender->body) != 0)
		snprintf(sha, sizeof sha, "differs-from-stored");
	for (j = g; j < r->n && st == LD_OK; j++) {
		struct item *o = &r->items[j];
		struct payout_step s;
		char from[24];

		if (!in_group(r, g, j) || !o->ready || o->finished)
			continue;
		snprintf(from, sizeof from, "%s", o->state);
		step_for(r, o, from, PAYOUT_EX_CREATE, a.ans.cls, &s);
		st = record(r, o, "create", from, &a, &s, a.sent ? sha : NULL,
		    err);
		o->finished = 1;
	}
	answer_free(&a);
	return st;
}

static enum ld_status
do_other(struct round *r, struct item *it, struct ld_err *err)
{
	struct answer a;
	struct payout_step s;
	char from[24];
	const char *exchange = "query";
	enum payout_exchange ex = PAYOUT_EX_QUERY;
	enum ld_status st;

	/* Only transfer bills have a cancel API; other products are
	 * followed by query until they end. */
	if (strcmp(it->action, "cancel") == 0 &&
	    strcmp(it->product, "bill") == 0) {
		exchange = "cancel";
		ex = PAYOUT_EX_CANCEL;
		send_cancel(r, it, &a);
	} else
		send_query(r, it, &a);
	if (a.sent)
		r->st->sent++;
	snprintf(from, sizeof from, "%s", it->state);
	step_for(r, it, from, ex, a.ans.cls, &s);
	st = record(r, it, exchange, from, &a, &s, NULL, err);
	it->finished = 1;
	answer_free(&a);
	return st;
}

static void
round_free(struct round *r)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->items[i].body != NULL) {
			OPENSSL_cleanse(r->items[i].body,
			    strlen(r->items[i].body));
			free(r->items[i].body);
		}
	free(r->items);
	r->items = NULL;
	r->n = 0;
}

static enum ld_status
prepare(struct ld_db *db, struct ld_err *err)
{
	return ld_db_prepare(db, "payout_engine_1", NULL, statements,
	    sizeof statements / sizeof statements[0], err);
}

enum ld_status
core_payout_round(struct ld_db *db, struct wx_client *c,
    const struct core_payout_engine_cfg *cfg,
    const struct core_payout_hooks *hooks, const struct payout_rng *rng,
    struct core_payout_round_stats *st, struct ld_err *err)
{
	struct round r;
	enum ld_status s;
	int i, stopping = 0;

	memset(st, 0, sizeof *st);
	memset(&r, 0, sizeof r);
	r.db = db;
	r.c = c;
	r.cfg = cfg;
	r.hooks = hooks;
	r.rng = rng;
	r.st = st;
	if ((s = prepare(db, err)) != LD_OK)
		return s;
	if ((s = claim(&r, err)) != LD_OK) {
		round_free(&r);
		return s;
	}
	for (i = 0; i < r.n && s == LD_OK; i++) {
		struct item *it = &r.items[i];
		void *arg = hooks != NULL ? hooks->arg : NULL;
		int create = strcmp(it->action, "create") == 0;

		if (it->finished)
			continue;
		if (create && it->refusal[0] != '\0') {
			s = refuse(&r, it, err);
			it->finished = 1;
			continue;
		}
		/* Claimed, but neither stored nor refused here (its batch
		 * was): the lease brings it back. */
		if (create && !it->ready)
			continue;
		if (!stopping && hooks != NULL && asked(hooks->stop, arg))
			stopping = 1;
		if (create && (stopping || (hooks != NULL &&
		    asked(hooks->hold_creates, arg)))) {
			s = give_back(&r, it, stopping ? "not sent: the "
			    "daemon is stopping" : "not sent: payouts were "
			    "paused before this request left", err);
			it->finished = 1;
			continue;
		}
		/* Stopping: what is not a create waits for its lease. */
		if (stopping)
			continue;
		if (create)
			s = do_create(&r, it->group >= 0 ? it->group : i, err);
		else
			s = do_other(&r, it, err);
	}
	round_free(&r);
	return s;
}

enum ld_status
core_payout_next_due_ms(struct ld_db *db, long *ms, struct ld_err *err)
{
	PGresult *res;
	enum ld_status st;

	*ms = -1;
	if ((st = prepare(db, err)) != LD_OK ||
	    (st = ld_db_exec_prepared(db, "ld_payout_next_due", 0, NULL, &res,
	    err)) != LD_OK)
		return st;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		long long v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);

		*ms = v < 0 ? 0 : (long)v;
	}
	PQclear(res);
	return LD_OK;
}
