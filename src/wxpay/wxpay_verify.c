/*
 * Answer and callback verification, callback decryption, key files.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>
#include <openssl/crypto.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_config.h"
#include "wxpay_crypto.h"
#include "wxpay_verify.h"

/* A PEM file of one key or certificate is a few kilobytes. */
#define WX_PEM_FILE_MAX (64 * 1024)

/* A callback body is a small JSON document; refuse anything bigger. */
#define WX_NOTIFY_MAX (256 * 1024)

void
wx_verifier_init(struct wx_verifier *v)
{
	memset(v, 0, sizeof *v);
}

void
wx_verifier_clear(struct wx_verifier *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++)
		EVP_PKEY_free(v->keys[i].key);
	memset(v, 0, sizeof *v);
}

enum ld_status
wx_verifier_add(struct wx_verifier *v, const char *serial, EVP_PKEY *key,
    struct ld_err *err)
{
	if (serial == NULL || serial[0] == '\0' ||
	    strlen(serial) >= sizeof v->keys[0].serial)
		return ld_err_set(err, LD_EINVAL, "verifier: serial is empty "
		    "or longer than %zu", sizeof v->keys[0].serial - 1);
	if (key == NULL)
		return ld_err_set(err, LD_EINVAL, "verifier: no key for %s",
		    serial);
	if (wx_verifier_find(v, serial) != NULL)
		return ld_err_set(err, LD_ECONFLICT, "verifier: serial %s "
		    "configured twice", serial);
	if (v->n >= WX_VERIFIER_MAX_KEYS)
		return ld_err_set(err, LD_EINVAL, "verifier: more than %d "
		    "keys", WX_VERIFIER_MAX_KEYS);
	if (EVP_PKEY_up_ref(key) != 1)
		return ld_err_set(err, LD_ECRYPTO, "EVP_PKEY_up_ref");
	memcpy(v->keys[v->n].serial, serial, strlen(serial) + 1);
	v->keys[v->n].key = key;
	v->n++;
	return LD_OK;
}

enum ld_status
wx_verifier_add_file(struct wx_verifier *v, const char *serial,
    const char *pem_path, struct ld_err *err)
{
	char cert_serial[128];
	struct ld_err cerr;
	struct ld_buf b;
	int64_t nb = 0, na = 0;
	EVP_PKEY *k = NULL;
	enum ld_status st;

	ld_buf_init(&b, WX_PEM_FILE_MAX);
	if ((st = ld_buf_read_file(&b, pem_path, err)) != LD_OK)
		goto out;
	/* A certificate names its own serial; a bare key needs one given. */
	if (wx_cert_serial_pem(b.data, b.len, cert_serial, &cerr) != LD_OK)
		cert_serial[0] = '\0';
	else if ((st = wx_cert_validity_pem(b.data, b.len, &nb, &na,
	    err)) != LD_OK) {
		ld_err_prefix(err, "%s: ", pem_path);
		goto out;
	}
	if (serial == NULL || serial[0] == '\0') {
		if (cert_serial[0] == '\0') {
			st = ld_err_set(err, LD_EINVAL, "%s: a public key "
			    "needs its key id (PUB_KEY_ID_...)", pem_path);
			goto out;
		}
		serial = cert_serial;
	} else if (cert_serial[0] != '\0' &&
	    strcasecmp(serial, cert_serial) != 0) {
		st = ld_err_set(err, LD_EINVAL, "%s: certificate serial "
		    "%s differs from the configured %s", pem_path,
		    cert_serial, serial);
		goto out;
	}
	if ((st = wx_public_key_from_pem(b.data, b.len, &k, err)) != LD_OK) {
		ld_err_prefix(err, "%s: ", pem_path);
		goto out;
	}
	if ((st = wx_verifier_add(v, serial, k, err)) == LD_OK &&
	    cert_serial[0] != '\0')
		st = wx_verifier_set_validity(v, serial, nb, na, err);
out:
	EVP_PKEY_free(k);
	ld_buf_free(&b);
	return st;
}

/* The index of serial's key, or v->n when it is not trusted. */
static size_t
find_index(const struct wx_verifier *v, const char *serial)
{
	size_t i;

	for (i = 0; serial != NULL && i < v->n; i++)
		if (strcmp(v->keys[i].serial, serial) == 0)
			return i;
	return v->n;
}

enum ld_status
wx_verifier_set_validity(struct wx_verifier *v, const char *serial,
    int64_t not_before, int64_t not_after, struct ld_err *err)
{
	struct wx_verifier_key *e;
	size_t i = find_index(v, serial);

	if (i == v->n)
		return ld_err_set(err, LD_ENOTFOUND, "verifier: serial %s is "
		    "not trusted", serial != NULL ? serial : "(none)");
	e = &v->keys[i];
	e->bounded = 1;
	e->not_before = not_before;
	e->not_after = not_after;
	return LD_OK;
}

static void
utc_text(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, cap, "@%lld", (long long)t);
}

enum ld_status
wx_verifier_check_validity(const struct wx_verifier *v, const char *serial,
    time_t now, struct ld_err *err)
{
	const struct wx_verifier_key *e;
	size_t i = find_index(v, serial);
	char from[40], to[40];

	if (i == v->n)
		return ld_err_set(err, LD_ENOTFOUND, "verifier: serial %s is "
		    "not trusted", serial != NULL ? serial : "(none)");
	e = &v->keys[i];
	if (!e->bounded || ((int64_t)now >= e->not_before &&
	    (int64_t)now <= e->not_after))
		return LD_OK;
	utc_text(e->not_before, from, sizeof from);
	utc_text(e->not_after, to, sizeof to);
	return ld_err_set(err, LD_ECRYPTO, "platform certificate %s is %s "
	    "(valid from %s to %s)", e->serial, (int64_t)now > e->not_after ?
	    "expired" : "not yet valid", from, to);
}

const struct wx_verifier_key *
wx_verifier_current(const struct wx_verifier *v, time_t now)
{
	const struct wx_verifier_key *best = NULL, *e;
	size_t i;

	for (i = 0; i < v->n; i++) {
		e = &v->keys[i];
		if (!e->bounded)
			return e;
		if ((int64_t)now >= e->not_before &&
		    (int64_t)now <= e->not_after &&
		    (best == NULL || e->not_after > best->not_after))
			best = e;
	}
	if (best == NULL && v->n > 0)
		best = &v->keys[0];
	return best;
}

EVP_PKEY *
wx_verifier_find(const struct wx_verifier *v, const char *serial)
{
	size_t i;

	if (serial == NULL)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (strcmp(v->keys[i].serial, serial) == 0)
			return v->keys[i].key;
	return NULL;
}

/* Unix seconds, digits only; -1 on anything else. */
static int64_t
parse_ts(const char *s)
{
	int64_t t = 0;
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 12)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		t = t * 10 + (s[i] - '0');
	}
	return t;
}

enum ld_status
wx_verify_signed(const struct wx_verifier *v,
    const struct wx_signed_headers *h, const void *body, size_t body_len,
    time_t now, struct ld_err *err)
{
	EVP_PKEY *key;
	int64_t ts, skew;
	char *msg;
	size_t mlen;
	enum ld_status st;

	if (h->timestamp == NULL || h->nonce == NULL ||
	    h->signature == NULL || h->serial == NULL)
		return ld_err_set(err, LD_ECRYPTO, "answer is not signed: "
		    "missing Wechatpay-%s header", h->timestamp == NULL ?
		    "Timestamp" : h->nonce == NULL ? "Nonce" :
		    h->signature == NULL ? "Signature" : "Serial");
	if ((ts = parse_ts(h->timestamp)) < 0)
		return ld_err_set(err, LD_ECRYPTO, "Wechatpay-Timestamp "
		    "\"%.32s\" is not Unix seconds", h->timestamp);
	/* Replay window first: a stale but valid signature is a replay. */
	skew = (int64_t)now - ts;
	if (skew > WX_V3_MAX_SKEW || skew < -WX_V3_MAX_SKEW)
		return ld_err_set(err, LD_ECRYPTO, "Wechatpay-Timestamp %s is "
		    "%lld s from local time (limit %d s)", h->timestamp,
		    (long long)skew, WX_V3_MAX_SKEW);
	if (h->nonce[0] == '\0' || strlen(h->nonce) > 64)
		return ld_err_set(err, LD_ECRYPTO, "Wechatpay-Nonce is empty "
		    "or too long");
	if ((key = wx_verifier_find(v, h->serial)) == NULL)
		return ld_err_set(err, LD_ECRYPTO, "Wechatpay-Serial %.128s "
		    "is not a configured platform certificate or public key",
		    h->serial);
	if (wx_verifier_check_validity(v, h->serial, now, err) != LD_OK)
		return LD_ECRYPTO;
	msg = wx_v3_response_message_len(h->timestamp, h->nonce, body,
	    body_len, &mlen);
	st = wx_rsa_verify_b64(key, msg, mlen, h->signature, err);
	free(msg);
	if (st != LD_OK)
		return ld_err_set(err, LD_ECRYPTO, "Wechatpay-Signature does "
		    "not verify with key %s", h->serial);
	return LD_OK;
}

/*
 * A string member: LD_OK with *out set (NULL when absent and optional),
 * LD_EPROTO when required and absent or empty, or present but not a string.
 */
static enum ld_status
json_str(const cJSON *o, const char *name, int required, char **out,
    struct ld_err *err)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	*out = NULL;
	if (j == NULL && !required)
		return LD_OK;
	if (!cJSON_IsString(j) || (required && j->valuestring[0] == '\0'))
		return ld_err_set(err, LD_EPROTO, "callback: \"%s\" is %s",
		    name, j == NULL ? "missing" : cJSON_IsString(j) ? "empty" :
		    "not a string");
	*out = ld_strdup(j->valuestring);
	return LD_OK;
}

/*
 * The callback envelope (docs/wxpay-api.md, "Transfer bills: callbacks"):
 * id, create_time, resource_type "encrypt-resource", event_type, summary
 * and resource with original_type, algorithm, ciphertext, nonce, all
 * required; associated_data may be absent or empty (its value is
 * unconfirmed).
 */
enum ld_status
wx_notify_decrypt(const void *body, size_t body_len,
    const unsigned char apiv3_key[32], struct wx_notify *out,
    struct ld_err *err)
{
	cJSON *root;
	const cJSON *res;
	char *alg = NULL, *ct = NULL, *nonce = NULL;
	enum ld_status st = LD_OK;

	memset(out, 0, sizeof *out);
	if (body_len > WX_NOTIFY_MAX)
		return ld_err_set(err, LD_EPROTO, "callback body of %zu bytes "
		    "(limit %d)", body_len, WX_NOTIFY_MAX);
	root = wx_json_parse_exact(body, body_len, err);
	if (!cJSON_IsObject(root)) {
		if (root == NULL) {
			if (err != NULL)
				ld_err_prefix(err, "callback body: ");
			return LD_EPROTO;
		}
		cJSON_Delete(root);
		return ld_err_set(err, LD_EPROTO, "callback body is not a JSON "
		    "object");
	}
	res = cJSON_GetObjectItemCaseSensitive(root, "resource");
	if ((st = json_str(root, "id", 1, &out->id, err)) != LD_OK ||
	    (st = json_str(root, "create_time", 1, &out->create_time,
	    err)) != LD_OK ||
	    (st = json_str(root, "event_type", 1, &out->event_type,
	    err)) != LD_OK ||
	    (st = json_str(root, "resource_type", 1, &out->resource_type,
	    err)) != LD_OK ||
	    (st = json_str(root, "summary", 1, &out->summary, err)) != LD_OK)
		;
	else if (strcmp(out->resource_type, "encrypt-resource") != 0)
		st = ld_err_set(err, LD_EPROTO, "callback: resource_type is "
		    "\"%.64s\", not encrypt-resource", out->resource_type);
	else if (!cJSON_IsObject(res))
		st = ld_err_set(err, LD_EPROTO, "callback: no \"resource\" "
		    "object");
	else if ((st = json_str(res, "algorithm", 1, &alg, err)) != LD_OK ||
	    (st = json_str(res, "ciphertext", 1, &ct, err)) != LD_OK ||
	    (st = json_str(res, "nonce", 1, &nonce, err)) != LD_OK ||
	    (st = json_str(res, "original_type", 1, &out->original_type,
	    err)) != LD_OK ||
	    (st = json_str(res, "associated_data", 0, &out->associated_data,
	    err)) != LD_OK)
		;
	else if (strcmp(alg, "AEAD_AES_256_GCM") != 0)
		st = ld_err_set(err, LD_EPROTO, "callback: resource.algorithm "
		    "is %.64s, not AEAD_AES_256_GCM", alg);
	else {
		st = wx_aead_decrypt(apiv3_key, nonce, out->associated_data,
		    ct, &out->plaintext, &out->plaintext_len, err);
		/* Bad base64 or nonce: a malformed callback, nothing local. */
		if (st == LD_EINVAL) {
			st = LD_EPROTO;
			if (err != NULL)
				err->code = st;
		}
	}
	cJSON_Delete(root);
	free(alg);
	free(ct);
	free(nonce);
	if (st != LD_OK) {
		wx_notify_free(out);
		if (err == NULL || strncmp(err->msg, "callback", 8) == 0)
			return st;
		return ld_err_prefix(err, "callback: ");
	}
	return LD_OK;
}

enum ld_status
wx_notify_open(const struct wx_verifier *v, const struct wx_signed_headers *h,
    const void *body, size_t body_len, const unsigned char apiv3_key[32],
    time_t now, struct wx_notify *out, struct ld_err *err)
{
	memset(out, 0, sizeof *out);
	if (wx_verify_signed(v, h, body, body_len, now, err) != LD_OK)
		return ld_err_prefix(err, "callback rejected: ");
	return wx_notify_decrypt(body, body_len, apiv3_key, out, err);
}

void
wx_notify_free(struct wx_notify *n)
{
	if (n == NULL)
		return;
	free(n->id);
	free(n->create_time);
	free(n->event_type);
	free(n->resource_type);
	free(n->summary);
	free(n->original_type);
	free(n->associated_data);
	if (n->plaintext != NULL)
		OPENSSL_cleanse(n->plaintext, n->plaintext_len);
	free(n->plaintext);
	memset(n, 0, sizeof *n);
}

static enum ld_status
read_secret(const char *path, struct ld_buf *b, struct ld_err *err)
{
	enum ld_status st;

	ld_buf_init(b, 4096);
	if ((st = ld_config_read_key_file(path, b, err)) != LD_OK) {
		if (b->data != NULL)
			OPENSSL_cleanse(b->data, b->cap);
		ld_buf_free(b);
		return st;
	}
	if (b->len > 0 && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
	if (b->len > 0 && b->data[b->len - 1] == '\r')
		b->data[--b->len] = '\0';
	return LD_OK;
}

enum ld_status
wx_read_apiv3_key(const char *path, unsigned char key[32], struct ld_err *err)
{
	struct ld_buf b;
	enum ld_status st;

	if ((st = read_secret(path, &b, err)) != LD_OK)
		return st;
	if (b.len != 32) {
		OPENSSL_cleanse(b.data, b.len);
		ld_buf_free(&b);
		return ld_err_set(err, LD_EINVAL, "%s: the APIv3 key is %zu "
		    "bytes, it must be exactly 32", path, b.len);
	}
	memcpy(key, b.data, 32);
	OPENSSL_cleanse(b.data, b.len);
	ld_buf_free(&b);
	return LD_OK;
}

enum ld_status
wx_read_secret_line(const char *path, char *out, size_t cap,
    struct ld_err *err)
{
	struct ld_buf b;
	enum ld_status st = LD_OK;
	size_t i;

	out[0] = '\0';
	if ((st = read_secret(path, &b, err)) != LD_OK)
		return st;
	if (b.len == 0 || b.len >= cap)
		st = ld_err_set(err, LD_EINVAL, "%s: key is empty or longer "
		    "than %zu bytes", path, cap - 1);
	for (i = 0; st == LD_OK && i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
			st = ld_err_set(err, LD_EINVAL, "%s: control "
			    "character at byte %zu", path, i + 1);
	if (st == LD_OK)
		memcpy(out, b.data, b.len + 1);
	OPENSSL_cleanse(b.data, b.len);
	ld_buf_free(&b);
	return st;
}
