/*
 * WeChat Pay cryptography over OpenSSL 3 EVP: RSA PKCS#1 v1.5 SHA-256
 * signatures, RSA-OAEP SHA-1, AES-GCM, APIv2 MD5/HMAC-SHA256 signs.
 * Formats: docs/wxpay-api.md, "APIv3 request signing" to "RSA-OAEP
 * user_name", and "APIv2 transfers: signing".
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_config.h"
#include "wxpay_crypto.h"

/* Key and certificate files are small; anything larger is not one. */
#define WX_PEM_MAX	(64 * 1024)

/* The reason OpenSSL gave last, for messages; drains its queue. */
static const char *
ssl_reason(void)
{
	static _Thread_local char buf[256];
	unsigned long e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last == 0)
		return "no detail";
	ERR_error_string_n(last, buf, sizeof buf);
	return buf;
}

static enum ld_status
read_pem(const char *path, struct ld_buf *b, struct ld_err *err)
{
	ld_buf_init(b, WX_PEM_MAX);
	if (ld_buf_read_file(b, path, err) != LD_OK) {
		ld_buf_free(b);
		return err != NULL ? err->code : LD_EIO;
	}
	return LD_OK;
}

static enum ld_status
require_rsa(EVP_PKEY *k, const char *what, struct ld_err *err)
{
	if (!EVP_PKEY_is_a(k, "RSA"))
		return ld_err_set(err, LD_ECRYPTO, "%s: not an RSA key (%s)",
		    what, EVP_PKEY_get0_type_name(k));
	if (EVP_PKEY_get_bits(k) < 2048)
		return ld_err_set(err, LD_ECRYPTO,
		    "%s: RSA key of %d bits, WeChat Pay uses 2048", what,
		    EVP_PKEY_get_bits(k));
	return LD_OK;
}

enum ld_status
wx_private_key_from_pem(const char *pem, size_t len, EVP_PKEY **out,
    struct ld_err *err)
{
	BIO *bio;
	EVP_PKEY *k;

	*out = NULL;
	if (len > INT32_MAX)
		return ld_err_set(err, LD_EINVAL, "private key: too large");
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return ld_err_set(err, LD_ENOMEM, "BIO_new_mem_buf");
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (k == NULL)
		return ld_err_set(err, LD_ECRYPTO,
		    "no PEM private key found (%s)", ssl_reason());
	if (require_rsa(k, "private key", err) != LD_OK) {
		EVP_PKEY_free(k);
		return LD_ECRYPTO;
	}
	*out = k;
	return LD_OK;
}

static int
has_cert_marker(const char *pem, size_t len)
{
	static const char mark[] = "-----BEGIN CERTIFICATE-----";
	size_t i, m = sizeof mark - 1;

	for (i = 0; i + m <= len; i++)
		if (memcmp(pem + i, mark, m) == 0)
			return 1;
	return 0;
}

enum ld_status
wx_public_key_from_pem(const char *pem, size_t len, EVP_PKEY **out,
    struct ld_err *err)
{
	BIO *bio;
	EVP_PKEY *k = NULL;

	*out = NULL;
	if (len > INT32_MAX)
		return ld_err_set(err, LD_EINVAL, "public key: too large");
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return ld_err_set(err, LD_ENOMEM, "BIO_new_mem_buf");
	if (has_cert_marker(pem, len)) {
		X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);

		if (x != NULL) {
			k = X509_get_pubkey(x);
			X509_free(x);
		}
	} else {
		/* SubjectPublicKeyInfo or PKCS#1 "RSA PUBLIC KEY". */
		OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(&k,
		    "PEM", NULL, "RSA", EVP_PKEY_PUBLIC_KEY, NULL, NULL);

		if (dctx != NULL && !OSSL_DECODER_from_bio(dctx, bio)) {
			EVP_PKEY_free(k);
			k = NULL;
		}
		OSSL_DECODER_CTX_free(dctx);
	}
	BIO_free(bio);
	if (k == NULL)
		return ld_err_set(err, LD_ECRYPTO,
		    "no PEM public key or certificate found (%s)",
		    ssl_reason());
	if (require_rsa(k, "public key", err) != LD_OK) {
		EVP_PKEY_free(k);
		return LD_ECRYPTO;
	}
	*out = k;
	return LD_OK;
}

enum ld_status
wx_load_private_key(const char *pem_path, EVP_PKEY **out, struct ld_err *err)
{
	struct ld_buf b;
	enum ld_status st;

	*out = NULL;
	if ((st = read_pem(pem_path, &b, err)) != LD_OK)
		return st;
	st = wx_private_key_from_pem(b.data, b.len, out, err);
	OPENSSL_cleanse(b.data, b.len);
	ld_buf_free(&b);
	if (st != LD_OK)
		ld_err_prefix(err, "%s: ", pem_path);
	return st;
}

enum ld_status
wx_load_secret_private_key(const char *pem_path, EVP_PKEY **out,
    struct ld_err *err)
{
	struct ld_buf b;
	enum ld_status st;

	*out = NULL;
	ld_buf_init(&b, WX_PEM_MAX);
	if ((st = ld_config_read_key_file(pem_path, &b, err)) == LD_OK) {
		st = wx_private_key_from_pem(b.data, b.len, out, err);
		if (st != LD_OK)
			ld_err_prefix(err, "%s: ", pem_path);
	}
	if (b.data != NULL)
		OPENSSL_cleanse(b.data, b.cap);
	ld_buf_free(&b);
	return st;
}

enum ld_status
wx_load_public_key(const char *pem_path, EVP_PKEY **out, struct ld_err *err)
{
	struct ld_buf b;
	enum ld_status st;

	*out = NULL;
	if ((st = read_pem(pem_path, &b, err)) != LD_OK)
		return st;
	st = wx_public_key_from_pem(b.data, b.len, out, err);
	ld_buf_free(&b);
	if (st != LD_OK)
		ld_err_prefix(err, "%s: ", pem_path);
	return st;
}

/* The first certificate of a PEM held in memory; caller frees *x. */
static enum ld_status
x509_from_pem(const char *pem, size_t len, X509 **x, struct ld_err *err)
{
	BIO *bio;

	*x = NULL;
	if (len > INT32_MAX)
		return ld_err_set(err, LD_EINVAL, "certificate: too large");
	bio = BIO_new_mem_buf(pem, (int)len);
	*x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (*x == NULL)
		return ld_err_set(err, LD_ECRYPTO, "no PEM certificate (%s)",
		    ssl_reason());
	return LD_OK;
}

enum ld_status
wx_cert_serial_pem(const char *pem, size_t len, char out[128],
    struct ld_err *err)
{
	enum ld_status st;
	X509 *x;
	BIGNUM *bn;
	char *hex;

	out[0] = '\0';
	if ((st = x509_from_pem(pem, len, &x, err)) != LD_OK)
		return st;
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	X509_free(x);
	hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	BN_free(bn);
	if (hex == NULL || strlen(hex) >= 128) {
		OPENSSL_free(hex);
		return ld_err_set(err, LD_ECRYPTO, "certificate: unusable "
		    "serial");
	}
	memcpy(out, hex, strlen(hex) + 1);
	OPENSSL_free(hex);
	return LD_OK;
}

/* Seconds since the epoch of an ASN1_TIME, without timegm(). */
static int
asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int days = 0, secs = 0, ok;

	ok = epoch != NULL && ASN1_TIME_diff(&days, &secs, epoch, t) == 1;
	ASN1_TIME_free(epoch);
	if (ok)
		*out = (int64_t)days * 86400 + secs;
	return ok;
}

enum ld_status
wx_cert_validity_pem(const char *pem, size_t len, int64_t *not_before,
    int64_t *not_after, struct ld_err *err)
{
	enum ld_status st;
	X509 *x;
	int ok;

	if ((st = x509_from_pem(pem, len, &x, err)) != LD_OK)
		return st;
	ok = asn1_time_unix(X509_get0_notBefore(x), not_before) &&
	    asn1_time_unix(X509_get0_notAfter(x), not_after);
	X509_free(x);
	if (!ok)
		return ld_err_set(err, LD_ECRYPTO, "certificate: unreadable "
		    "validity dates");
	return LD_OK;
}

enum ld_status
wx_cert_serial(const char *pem_path, char out[128], struct ld_err *err)
{
	struct ld_buf b;
	enum ld_status st;

	out[0] = '\0';
	if ((st = read_pem(pem_path, &b, err)) != LD_OK)
		return st;
	st = wx_cert_serial_pem(b.data, b.len, out, err);
	ld_buf_free(&b);
	if (st != LD_OK)
		ld_err_prefix(err, "%s: ", pem_path);
	return st;
}

char *
wx_v3_message_len(const char *method, const char *path_query,
    const char *timestamp, const char *nonce, const char *body,
    size_t body_len, size_t *len_out)
{
	size_t lm = strlen(method), lp = strlen(path_query);
	size_t lt = strlen(timestamp), ln = strlen(nonce), n;
	char *m, *p;

	if (body == NULL)
		body_len = 0;
	n = lm + lp + lt + ln + body_len + 5;
	m = p = ld_malloc(n + 1);
	memcpy(p, method, lm), p += lm, *p++ = '\n';
	memcpy(p, path_query, lp), p += lp, *p++ = '\n';
	memcpy(p, timestamp, lt), p += lt, *p++ = '\n';
	memcpy(p, nonce, ln), p += ln, *p++ = '\n';
	if (body_len > 0)
		memcpy(p, body, body_len), p += body_len;
	*p++ = '\n';
	*p = '\0';
	if (len_out != NULL)
		*len_out = n;
	return m;
}

char *
wx_v3_message(const char *method, const char *path_query,
    const char *timestamp, const char *nonce, const char *body)
{
	return wx_v3_message_len(method, path_query, timestamp, nonce, body,
	    body != NULL ? strlen(body) : 0, NULL);
}

char *
wx_v3_response_message_len(const char *timestamp, const char *nonce,
    const void *body, size_t body_len, size_t *len_out)
{
	size_t lt = strlen(timestamp), ln = strlen(nonce), n;
	char *m, *p;

	if (body == NULL)
		body_len = 0;
	n = lt + ln + body_len + 3;
	m = p = ld_malloc(n + 1);
	memcpy(p, timestamp, lt), p += lt, *p++ = '\n';
	memcpy(p, nonce, ln), p += ln, *p++ = '\n';
	if (body_len > 0)
		memcpy(p, body, body_len), p += body_len;
	*p++ = '\n';
	*p = '\0';
	if (len_out != NULL)
		*len_out = n;
	return m;
}

char *
wx_v3_response_message(const char *timestamp, const char *nonce,
    const char *body)
{
	return wx_v3_response_message_len(timestamp, nonce, body,
	    body != NULL ? strlen(body) : 0, NULL);
}

/* base64 */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
wx_b64_encode(const void *data, size_t len)
{
	const unsigned char *in = data;
	char *out, *p;
	size_t i;

	out = p = ld_malloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		*p++ = b64_alphabet[in[i] >> 2];
		*p++ = b64_alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*p++ = b64_alphabet[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*p++ = b64_alphabet[in[i + 2] & 63];
	}
	if (len - i == 1) {
		*p++ = b64_alphabet[in[i] >> 2];
		*p++ = b64_alphabet[(in[i] & 3) << 4];
		*p++ = '=';
		*p++ = '=';
	} else if (len - i == 2) {
		*p++ = b64_alphabet[in[i] >> 2];
		*p++ = b64_alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*p++ = b64_alphabet[(in[i + 1] & 15) << 2];
		*p++ = '=';
	}
	*p = '\0';
	return out;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Strict: standard alphabet, padded to a multiple of four, no whitespace.
 * Signatures and ciphertexts come from a peer we do not trust, and a
 * lenient decoder would let two different strings verify as one.
 */
enum ld_status
wx_b64_decode(const char *b64, unsigned char **out, size_t *out_len,
    struct ld_err *err)
{
	size_t len = strlen(b64), i, o = 0, pad = 0;
	unsigned char *buf;

	*out = NULL;
	*out_len = 0;
	if (len % 4 != 0)
		return ld_err_set(err, LD_EINVAL,
		    "base64: length %zu is not a multiple of 4", len);
	if (len > 0 && b64[len - 1] == '=') {
		pad++;
		if (b64[len - 2] == '=')
			pad++;
	}
	buf = ld_malloc(len / 4 * 3 + 1);
	for (i = 0; i < len; i += 4) {
		int v[4], k;

		for (k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)b64[i + k];

			if (c == '=' && i + 4 == len && k >= 4 - (int)pad) {
				v[k] = 0;
				continue;
			}
			if ((v[k] = b64_value(c)) < 0) {
				free(buf);
				return ld_err_set(err, LD_EINVAL,
				    "base64: bad character at offset %zu",
				    i + k);
			}
		}
		buf[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		buf[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		buf[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	/* Non-canonical trailing bits would make the encoding ambiguous. */
	if ((pad == 1 && (b64_value((unsigned char)b64[len - 2]) & 3)) ||
	    (pad == 2 && (b64_value((unsigned char)b64[len - 3]) & 15))) {
		free(buf);
		return ld_err_set(err, LD_EINVAL,
		    "base64: non-canonical padding bits");
	}
	o -= pad;
	buf[o] = 0;
	*out = buf;
	*out_len = o;
	return LD_OK;
}

/* RSA signatures */

enum ld_status
wx_rsa_sign_b64(EVP_PKEY *key, const void *msg, size_t len, char **sig_b64,
    struct ld_err *err)
{
	EVP_MD_CTX *md;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	enum ld_status st = LD_OK;

	*sig_b64 = NULL;
	if (key == NULL)
		return ld_err_set(err, LD_EINVAL, "sign: no private key");
	if ((md = EVP_MD_CTX_new()) == NULL)
		return ld_err_set(err, LD_ENOMEM, "EVP_MD_CTX_new");
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, msg, len) != 1) {
		st = ld_err_set(err, LD_ECRYPTO, "RSA SHA-256 sign: %s",
		    ssl_reason());
		goto out;
	}
	sig = ld_malloc(siglen);
	if (EVP_DigestSign(md, sig, &siglen, msg, len) != 1) {
		st = ld_err_set(err, LD_ECRYPTO, "RSA SHA-256 sign: %s",
		    ssl_reason());
		goto out;
	}
	*sig_b64 = wx_b64_encode(sig, siglen);
out:
	free(sig);
	EVP_MD_CTX_free(md);
	return st;
}

enum ld_status
wx_rsa_verify_b64(EVP_PKEY *pub, const void *msg, size_t len,
    const char *sig_b64, struct ld_err *err)
{
	EVP_MD_CTX *md;
	unsigned char *sig;
	size_t siglen;
	struct ld_err derr;
	int ok;

	if (pub == NULL)
		return ld_err_set(err, LD_ECRYPTO, "verify: no public key");
	if (sig_b64 == NULL || wx_b64_decode(sig_b64, &sig, &siglen,
	    &derr) != LD_OK)
		return ld_err_set(err, LD_ECRYPTO,
		    "signature is not base64 (%.40s)",
		    sig_b64 != NULL ? sig_b64 : "(none)");
	if ((md = EVP_MD_CTX_new()) == NULL) {
		free(sig);
		return ld_err_set(err, LD_ENOMEM, "EVP_MD_CTX_new");
	}
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
	    EVP_DigestVerify(md, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(md);
	free(sig);
	ERR_clear_error();
	if (!ok)
		return ld_err_set(err, LD_ECRYPTO, "signature does not verify");
	return LD_OK;
}

/* APIv3 Authorization */

enum ld_status
wx_v3_authorization_len(EVP_PKEY *key, const char *mchid, const char *serial,
    const char *method, const char *path_query, const char *timestamp,
    const char *nonce, const void *body, size_t body_len,
    char **header_value, struct ld_err *err)
{
	char *msg, *sig;
	size_t mlen;
	enum ld_status st;
	const char *const attrs[] = { mchid, serial, timestamp, nonce };
	size_t i;

	*header_value = NULL;
	/* A quote or comma inside an attribute would forge another one. */
	for (i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
		if (attrs[i] == NULL || attrs[i][0] == '\0' ||
		    strpbrk(attrs[i], "\",\r\n") != NULL)
			return ld_err_set(err, LD_EINVAL,
			    "Authorization: %s is empty or holds a quote, "
			    "comma or newline", i == 0 ? "mchid" : i == 1 ?
			    "serial_no" : i == 2 ? "timestamp" : "nonce_str");
	msg = wx_v3_message_len(method, path_query, timestamp, nonce, body,
	    body_len, &mlen);
	st = wx_rsa_sign_b64(key, msg, mlen, &sig, err);
	free(msg);
	if (st != LD_OK)
		return st;
	*header_value = ld_asprintf("WECHATPAY2-SHA256-RSA2048 mchid=\"%s\","
	    "nonce_str=\"%s\",timestamp=\"%s\",serial_no=\"%s\","
	    "signature=\"%s\"", mchid, nonce, timestamp, serial, sig);
	free(sig);
	return LD_OK;
}

enum ld_status
wx_v3_authorization(EVP_PKEY *key, const char *mchid, const char *serial,
    const char *method, const char *path_query, const char *timestamp,
    const char *nonce, const char *body, char **header_value,
    struct ld_err *err)
{
	return wx_v3_authorization_len(key, mchid, serial, method, path_query,
	    timestamp, nonce, body, body != NULL ? strlen(body) : 0,
	    header_value, err);
}

enum ld_status
wx_v3_parse_authorization(const char *hv, struct wx_v3_auth *out,
    struct ld_err *err)
{
	static const char scheme[] = "WECHATPAY2-SHA256-RSA2048 ";
	static const char *const names[] = { "mchid", "nonce_str",
		"timestamp", "serial_no", "signature" };
	char *const slots[] = { out->mchid, out->nonce, out->timestamp,
		out->serial, out->signature };
	const size_t sizes[] = { sizeof out->mchid, sizeof out->nonce,
		sizeof out->timestamp, sizeof out->serial,
		sizeof out->signature };
	int seen[5] = { 0 };
	const char *p;
	size_t i;

	memset(out, 0, sizeof *out);
	if (hv == NULL || strncmp(hv, scheme, sizeof scheme - 1) != 0)
		return ld_err_set(err, LD_EPROTO, "Authorization: scheme is "
		    "not WECHATPAY2-SHA256-RSA2048");
	p = hv + sizeof scheme - 1;
	for (;;) {
		const char *eq = strchr(p, '='), *q;
		size_t nlen, vlen;

		if (eq == NULL)
			return ld_err_set(err, LD_EPROTO, "Authorization: "
			    "attribute without '=' at offset %zu",
			    (size_t)(p - hv));
		nlen = (size_t)(eq - p);
		for (i = 0; i < 5; i++)
			if (strlen(names[i]) == nlen &&
			    strncmp(p, names[i], nlen) == 0)
				break;
		if (i == 5)
			return ld_err_set(err, LD_EPROTO, "Authorization: "
			    "unknown attribute \"%.*s\"", (int)(nlen > 40 ?
			    40 : nlen), p);
		if (seen[i]++)
			return ld_err_set(err, LD_EPROTO, "Authorization: "
			    "attribute %s given twice", names[i]);
		if (eq[1] != '"' || (q = strchr(eq + 2, '"')) == NULL)
			return ld_err_set(err, LD_EPROTO, "Authorization: "
			    "attribute %s is not quoted", names[i]);
		vlen = (size_t)(q - (eq + 2));
		if (vlen == 0 || vlen >= sizes[i])
			return ld_err_set(err, LD_EPROTO, "Authorization: "
			    "attribute %s is empty or longer than %zu",
			    names[i], sizes[i] - 1);
		memcpy(slots[i], eq + 2, vlen);
		slots[i][vlen] = '\0';
		p = q + 1;
		if (*p == '\0')
			break;
		if (*p != ',')
			return ld_err_set(err, LD_EPROTO, "Authorization: "
			    "expected ',' after %s", names[i]);
		p++;
	}
	for (i = 0; i < 5; i++)
		if (!seen[i])
			return ld_err_set(err, LD_EPROTO, "Authorization: "
			    "attribute %s is missing", names[i]);
	return LD_OK;
}

/* AES-GCM */

static const EVP_CIPHER *
gcm_cipher(size_t key_len)
{
	switch (key_len) {
	case 16:
		return EVP_aes_128_gcm();
	case 24:
		return EVP_aes_192_gcm();
	case 32:
		return EVP_aes_256_gcm();
	default:
		return NULL;
	}
}

enum ld_status
wx_aes_gcm_decrypt(const unsigned char *key, size_t key_len,
    const void *nonce, size_t nonce_len, const char *associated_data,
    const char *ciphertext_b64, char **plain, size_t *plain_len,
    struct ld_err *err)
{
	const EVP_CIPHER *cipher = gcm_cipher(key_len);
	EVP_CIPHER_CTX *ctx;
	unsigned char *ct;
	char *pt;
	size_t ctlen, aadlen = associated_data ? strlen(associated_data) : 0;
	int n, fin, ok;
	enum ld_status st;

	*plain = NULL;
	if (plain_len != NULL)
		*plain_len = 0;
	if (cipher == NULL)
		return ld_err_set(err, LD_EINVAL, "AES-GCM: key of %zu bytes",
		    key_len);
	if (nonce_len == 0 || nonce_len > 64)
		return ld_err_set(err, LD_EINVAL, "AES-GCM: nonce of %zu "
		    "bytes", nonce_len);
	if (ciphertext_b64 == NULL)
		return ld_err_set(err, LD_EINVAL, "AES-GCM: no ciphertext");
	if ((st = wx_b64_decode(ciphertext_b64, &ct, &ctlen, err)) != LD_OK)
		return ld_err_prefix(err, "AES-GCM ciphertext: ");
	if (ctlen < 16 || ctlen - 16 > INT32_MAX || aadlen > INT32_MAX) {
		free(ct);
		return ld_err_set(err, LD_ECRYPTO, "AES-GCM: ciphertext of %zu "
		    "bytes is shorter than the tag", ctlen);
	}
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		free(ct);
		return ld_err_set(err, LD_ENOMEM, "EVP_CIPHER_CTX_new");
	}
	pt = ld_malloc(ctlen - 16 + 1);
	ok = EVP_DecryptInit_ex(ctx, cipher, NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)nonce_len,
	    NULL) == 1 &&
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
	    (aadlen == 0 || EVP_DecryptUpdate(ctx, NULL, &n,
	    (const unsigned char *)associated_data, (int)aadlen) == 1) &&
	    EVP_DecryptUpdate(ctx, (unsigned char *)pt, &n, ct,
	    (int)(ctlen - 16)) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
	    ct + ctlen - 16) == 1 &&
	    EVP_DecryptFinal_ex(ctx, (unsigned char *)pt + n, &fin) == 1;
	EVP_CIPHER_CTX_free(ctx);
	free(ct);
	ERR_clear_error();
	if (!ok) {
		free(pt);
		return ld_err_set(err, LD_ECRYPTO, "AES-GCM: authentication "
		    "tag does not match (wrong key, nonce, associated_data or "
		    "tampered ciphertext)");
	}
	pt[n + fin] = '\0';
	*plain = pt;
	if (plain_len != NULL)
		*plain_len = (size_t)(n + fin);
	return LD_OK;
}

enum ld_status
wx_aes_gcm_encrypt(const unsigned char *key, size_t key_len,
    const void *nonce, size_t nonce_len, const char *associated_data,
    const void *plain, size_t plain_len, char **ciphertext_b64,
    struct ld_err *err)
{
	const EVP_CIPHER *cipher = gcm_cipher(key_len);
	EVP_CIPHER_CTX *ctx;
	unsigned char *ct;
	size_t aadlen = associated_data ? strlen(associated_data) : 0;
	int n = 0, fin = 0, ok;

	*ciphertext_b64 = NULL;
	if (cipher == NULL)
		return ld_err_set(err, LD_EINVAL, "AES-GCM: key of %zu bytes",
		    key_len);
	if (nonce_len == 0 || nonce_len > 64 || plain_len > INT32_MAX ||
	    aadlen > INT32_MAX)
		return ld_err_set(err, LD_EINVAL, "AES-GCM: bad nonce or "
		    "length");
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return ld_err_set(err, LD_ENOMEM, "EVP_CIPHER_CTX_new");
	ct = ld_malloc(plain_len + 16);
	ok = EVP_EncryptInit_ex(ctx, cipher, NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)nonce_len,
	    NULL) == 1 &&
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
	    (aadlen == 0 || EVP_EncryptUpdate(ctx, NULL, &n,
	    (const unsigned char *)associated_data, (int)aadlen) == 1) &&
	    EVP_EncryptUpdate(ctx, ct, &n, plain, (int)plain_len) == 1 &&
	    EVP_EncryptFinal_ex(ctx, ct + n, &fin) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16,
	    ct + n + fin) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		free(ct);
		return ld_err_set(err, LD_ECRYPTO, "AES-GCM encrypt: %s",
		    ssl_reason());
	}
	*ciphertext_b64 = wx_b64_encode(ct, (size_t)(n + fin) + 16);
	free(ct);
	return LD_OK;
}

enum ld_status
wx_aead_decrypt(const unsigned char key[32], const char *nonce,
    const char *associated_data, const char *ciphertext_b64, char **plain,
    size_t *plain_len, struct ld_err *err)
{
	if (nonce == NULL) {
		*plain = NULL;
		return ld_err_set(err, LD_EINVAL, "AEAD_AES_256_GCM: no nonce");
	}
	return wx_aes_gcm_decrypt(key, 32, nonce, strlen(nonce),
	    associated_data, ciphertext_b64, plain, plain_len, err);
}

enum ld_status
wx_aead_encrypt(const unsigned char key[32], const char *nonce,
    const char *associated_data, const char *plain, size_t plain_len,
    char **ciphertext_b64, struct ld_err *err)
{
	if (nonce == NULL) {
		*ciphertext_b64 = NULL;
		return ld_err_set(err, LD_EINVAL, "AEAD_AES_256_GCM: no nonce");
	}
	return wx_aes_gcm_encrypt(key, 32, nonce, strlen(nonce),
	    associated_data, plain, plain_len, ciphertext_b64, err);
}

/* RSA-OAEP */

static int
oaep_sha1(EVP_PKEY_CTX *ctx)
{
	return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha1()) > 0 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha1()) > 0;
}

enum ld_status
wx_rsa_oaep_encrypt_b64(EVP_PKEY *pub, const char *plain, char **out_b64,
    struct ld_err *err)
{
	EVP_PKEY_CTX *ctx;
	unsigned char *ct = NULL;
	size_t ctlen = 0, plen;
	enum ld_status st = LD_OK;

	*out_b64 = NULL;
	if (pub == NULL || plain == NULL)
		return ld_err_set(err, LD_EINVAL, "RSA-OAEP: no key or text");
	plen = strlen(plain);
	if ((ctx = EVP_PKEY_CTX_new(pub, NULL)) == NULL)
		return ld_err_set(err, LD_ENOMEM, "EVP_PKEY_CTX_new");
	if (EVP_PKEY_encrypt_init(ctx) != 1 || !oaep_sha1(ctx) ||
	    EVP_PKEY_encrypt(ctx, NULL, &ctlen, (const unsigned char *)plain,
	    plen) != 1) {
		st = ld_err_set(err, LD_ECRYPTO, "RSA-OAEP encrypt: %s",
		    ssl_reason());
		goto out;
	}
	ct = ld_malloc(ctlen);
	if (EVP_PKEY_encrypt(ctx, ct, &ctlen, (const unsigned char *)plain,
	    plen) != 1) {
		st = ld_err_set(err, LD_ECRYPTO, "RSA-OAEP encrypt of %zu "
		    "bytes: %s", plen, ssl_reason());
		goto out;
	}
	*out_b64 = wx_b64_encode(ct, ctlen);
out:
	free(ct);
	EVP_PKEY_CTX_free(ctx);
	return st;
}

enum ld_status
wx_rsa_oaep_decrypt_b64(EVP_PKEY *priv, const char *b64, char **plain,
    struct ld_err *err)
{
	EVP_PKEY_CTX *ctx;
	unsigned char *ct, *pt = NULL;
	size_t ctlen, ptlen = 0;
	enum ld_status st = LD_OK;

	*plain = NULL;
	if (priv == NULL || b64 == NULL)
		return ld_err_set(err, LD_EINVAL, "RSA-OAEP: no key or text");
	if (wx_b64_decode(b64, &ct, &ctlen, err) != LD_OK)
		return ld_err_prefix(err, "RSA-OAEP ciphertext: ");
	if ((ctx = EVP_PKEY_CTX_new(priv, NULL)) == NULL) {
		free(ct);
		return ld_err_set(err, LD_ENOMEM, "EVP_PKEY_CTX_new");
	}
	if (EVP_PKEY_decrypt_init(ctx) != 1 || !oaep_sha1(ctx) ||
	    EVP_PKEY_decrypt(ctx, NULL, &ptlen, ct, ctlen) != 1) {
		st = ld_err_set(err, LD_ECRYPTO, "RSA-OAEP decrypt: %s",
		    ssl_reason());
		goto out;
	}
	pt = ld_malloc(ptlen + 1);
	if (EVP_PKEY_decrypt(ctx, pt, &ptlen, ct, ctlen) != 1) {
		ERR_clear_error();
		st = ld_err_set(err, LD_ECRYPTO, "RSA-OAEP decrypt failed "
		    "(wrong key or not OAEP SHA-1)");
		goto out;
	}
	pt[ptlen] = '\0';
	*plain = (char *)pt;
	pt = NULL;
out:
	free(pt);
	free(ct);
	EVP_PKEY_CTX_free(ctx);
	return st;
}

/* APIv2 sign */

static int
kv_cmp(const void *a, const void *b)
{
	const struct wx_kv *x = *(const struct wx_kv *const *)a;
	const struct wx_kv *y = *(const struct wx_kv *const *)b;

	return strcmp(x->key, y->key);
}

enum ld_status
wx_v2_sign(const char *api_key, enum wx_v2_sign_type t,
    const struct wx_kv *fields, size_t n, char out[65], struct ld_err *err)
{
	const struct wx_kv **sorted;
	struct ld_buf s;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t i, m = 0;
	static const char hex[] = "0123456789ABCDEF";
	int ok;

	out[0] = '\0';
	if (api_key == NULL || api_key[0] == '\0')
		return ld_err_set(err, LD_EINVAL, "APIv2 sign: empty API key");
	sorted = ld_reallocarray(NULL, n + 1, sizeof *sorted);
	for (i = 0; i < n; i++) {
		if (fields[i].key == NULL || fields[i].key[0] == '\0') {
			free(sorted);
			return ld_err_set(err, LD_EINVAL,
			    "APIv2 sign: field %zu has no name", i);
		}
		if (strcmp(fields[i].key, "sign") == 0 ||
		    fields[i].value == NULL || fields[i].value[0] == '\0')
			continue;
		sorted[m++] = &fields[i];
	}
	qsort(sorted, m, sizeof *sorted, kv_cmp);
	for (i = 1; i < m; i++)
		if (strcmp(sorted[i - 1]->key, sorted[i]->key) == 0) {
			const char *k = sorted[i]->key;

			free(sorted);
			return ld_err_set(err, LD_EINVAL,
			    "APIv2 sign: field \"%s\" given twice", k);
		}
	ld_buf_init(&s, 0);
	for (i = 0; i < m; i++)
		ld_buf_printf(&s, "%s=%s&", sorted[i]->key, sorted[i]->value);
	ld_buf_printf(&s, "key=%s", api_key);
	free(sorted);
	if (t == WX_V2_MD5)
		ok = EVP_Digest(s.data, s.len, md, &mdlen, EVP_md5(), NULL) ==
		    1;
	else
		ok = HMAC(EVP_sha256(), api_key, (int)strlen(api_key),
		    (const unsigned char *)s.data, s.len, md, &mdlen) != NULL;
	OPENSSL_cleanse(s.data, s.len);
	ld_buf_free(&s);
	if (!ok)
		return ld_err_set(err, LD_ECRYPTO, "APIv2 sign: %s",
		    ssl_reason());
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * mdlen] = '\0';
	return LD_OK;
}

enum ld_status
wx_v2_verify(const char *api_key, const struct wx_kv *fields, size_t n,
    struct ld_err *err)
{
	const char *given = wx_kv_get(fields, n, "sign");
	char want[65];
	enum wx_v2_sign_type t;
	enum ld_status st;

	if (given == NULL)
		return ld_err_set(err, LD_ECRYPTO, "APIv2: answer has no sign");
	if (strlen(given) == 32)
		t = WX_V2_MD5;
	else if (strlen(given) == 64)
		t = WX_V2_HMAC_SHA256;
	else
		return ld_err_set(err, LD_ECRYPTO, "APIv2: sign of %zu "
		    "characters", strlen(given));
	if ((st = wx_v2_sign(api_key, t, fields, n, want, err)) != LD_OK)
		return st;
	if (CRYPTO_memcmp(want, given, strlen(want)) != 0)
		return ld_err_set(err, LD_ECRYPTO, "APIv2: sign does not "
		    "match");
	return LD_OK;
}

/* Nonces */

enum ld_status
wx_random_nonce(char out[33], struct ld_err *err)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[64];
	size_t i, o = 0;

	out[0] = '\0';
	while (o < 32) {
		if (RAND_bytes(r, sizeof r) != 1)
			return ld_err_set(err, LD_ECRYPTO, "RAND_bytes: %s",
			    ssl_reason());
		/* 248 = 4 * 62: reject the rest so every symbol is equally
		 * likely. */
		for (i = 0; i < sizeof r && o < 32; i++)
			if (r[i] < 248)
				out[o++] = set[r[i] % 62];
	}
	out[32] = '\0';
	return LD_OK;
}
