#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ld_buf.h"
#include "ld_config.h"
#include "ld_pii.h"
#include "ld_utf8.h"

void
ld_hex_encode(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ld_hex_decode(const char *hex, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo;

		if (hi < 0)
			return -1;
		lo = hexval(hex[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return hex[2 * n] == '\0' ? 0 : -1;
}

void
ld_pii_key_from_bytes(struct ld_pii_key *k, const unsigned char *raw)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];

	memcpy(k->key, raw, LD_PII_KEY_LEN);
	SHA256(raw, LD_PII_KEY_LEN, digest);
	memcpy(k->id, digest, sizeof k->id);
	OPENSSL_cleanse(digest, sizeof digest);
}

void
ld_pii_key_wipe(struct ld_pii_key *k)
{
	OPENSSL_cleanse(k, sizeof *k);
}

enum ld_status
ld_pii_key_load(struct ld_pii_key *k, const char *path, struct ld_err *err)
{
	struct ld_buf b;
	unsigned char raw[LD_PII_KEY_LEN];
	enum ld_status st;
	size_t n;

	ld_buf_init(&b, 4096);
	st = ld_config_read_key_file(path, &b, err);
	if (st != LD_OK)
		goto out;
	n = b.len;
	while (n > 0 && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r' ||
	    b.data[n - 1] == ' '))
		b.data[--n] = '\0';
	if (n != 2 * LD_PII_KEY_LEN ||
	    ld_hex_decode(b.data, raw, LD_PII_KEY_LEN) != 0) {
		st = ld_err_set(err, LD_EINVAL,
		    "key file %s: expected 64 hex digits on one line", path);
		goto out;
	}
	ld_pii_key_from_bytes(k, raw);
out:
	OPENSSL_cleanse(raw, sizeof raw);
	if (b.data != NULL)
		OPENSSL_cleanse(b.data, b.cap);
	ld_buf_free(&b);
	return st;
}

enum ld_status
ld_pii_key_generate(const char *path, struct ld_err *err)
{
	unsigned char raw[LD_PII_KEY_LEN];
	char hex[2 * LD_PII_KEY_LEN + 2];
	int fd;
	ssize_t w;

	if (RAND_bytes(raw, sizeof raw) != 1)
		return ld_err_set(err, LD_ECRYPTO, "no randomness for %s", path);
	ld_hex_encode(raw, sizeof raw, hex);
	OPENSSL_cleanse(raw, sizeof raw);
	hex[2 * LD_PII_KEY_LEN] = '\n';
	hex[2 * LD_PII_KEY_LEN + 1] = '\0';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return ld_err_set(err, LD_EIO, "%s: %s", path, strerror(errno));
	w = write(fd, hex, strlen(hex));
	OPENSSL_cleanse(hex, sizeof hex);
	if (w < 0 || close(fd) != 0)
		return ld_err_set(err, LD_EIO, "%s: %s", path, strerror(errno));
	return LD_OK;
}

enum ld_status
ld_pii_seal(const struct ld_pii_key *k, const char *field, const void *plain,
    size_t len, unsigned char *out, struct ld_err *err)
{
	EVP_CIPHER_CTX *ctx;
	unsigned char *nonce = out + 5, *ct = out + 17;
	int n, ok;

	out[0] = 0x01;
	memcpy(out + 1, k->id, 4);
	if (RAND_bytes(nonce, 12) != 1)
		return ld_err_set(err, LD_ECRYPTO, "no randomness for a nonce");
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return ld_err_set(err, LD_ENOMEM, "cipher context");
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->key, nonce) &&
	    EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)field,
		(int)strlen(field)) &&
	    EVP_EncryptUpdate(ctx, ct, &n, plain, (int)len) &&
	    EVP_EncryptFinal_ex(ctx, ct + n, &n) &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, ct + len);
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return ld_err_set(err, LD_ECRYPTO, "encrypting %s failed", field);
	return LD_OK;
}

enum ld_status
ld_pii_open(const struct ld_pii_key *k, const char *field,
    const unsigned char *sealed, size_t sealed_len, char *out,
    struct ld_err *err)
{
	EVP_CIPHER_CTX *ctx;
	size_t len;
	int n, ok;
	unsigned char tag[16];

	if (sealed_len < LD_PII_OVERHEAD || sealed[0] != 0x01)
		return ld_err_set(err, LD_EINVAL,
		    "%s: not a sealed value (format byte or length)", field);
	if (memcmp(sealed + 1, k->id, 4) != 0)
		return ld_err_set(err, LD_ECRYPTO,
		    "%s: sealed with key id %02x%02x%02x%02x, not ours", field,
		    sealed[1], sealed[2], sealed[3], sealed[4]);
	len = sealed_len - LD_PII_OVERHEAD;
	memcpy(tag, sealed + 17 + len, 16);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return ld_err_set(err, LD_ENOMEM, "cipher context");
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->key,
		 sealed + 5) &&
	    EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)field,
		(int)strlen(field)) &&
	    EVP_DecryptUpdate(ctx, (unsigned char *)out, &n, sealed + 17,
		(int)len) &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) &&
	    EVP_DecryptFinal_ex(ctx, (unsigned char *)out + n, &n) > 0;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		OPENSSL_cleanse(out, len);
		return ld_err_set(err, LD_ECRYPTO,
		    "%s: authentication tag does not match", field);
	}
	out[len] = '\0';
	return LD_OK;
}

void
ld_pii_blind_index(const struct ld_pii_key *k, const char *field,
    const char *value, unsigned char out[32])
{
	unsigned char msg[512];
	size_t flen = strlen(field), vlen = strlen(value), i;
	unsigned int olen = 32;

	/* Upper-case the X check digit so "...123x" and "...123X" match. */
	if (flen + 1 + vlen > sizeof msg)
		vlen = sizeof msg - flen - 1;
	memcpy(msg, field, flen);
	msg[flen] = 0;
	for (i = 0; i < vlen; i++)
		msg[flen + 1 + i] = (unsigned char)(value[i] == 'x' ? 'X' :
		    value[i]);
	HMAC(EVP_sha256(), k->key, LD_PII_KEY_LEN, msg, flen + 1 + vlen, out,
	    &olen);
	OPENSSL_cleanse(msg, sizeof msg);
}

void
ld_pii_mask_name(const char *name, char *out, size_t len)
{
	size_t starts[64], nchars = 0, i, o = 0, b = 0, blen = strlen(name);

	while (b < blen && nchars < 64) {
		uint32_t cp;
		size_t cl;

		/* Bytes that are not UTF-8 count as characters too. */
		starts[nchars++] = b;
		ld_utf8_decode(name + b, blen - b, &cp, &cl);
		b += cl;
	}
	if (len == 0)
		return;
	out[0] = '\0';
	if (nchars == 0)
		return;
	/* One character kept of one would be the whole name. */
	if (nchars == 1) {
		snprintf(out, len, "*");
		return;
	}
	/* Keep the surname (first character) and, from three on, the last. */
	for (i = 0; i < nchars && o + 5 < len; i++) {
		if (i == 0 || (nchars >= 3 && i == nchars - 1)) {
			size_t cl = (i + 1 < nchars ? starts[i + 1] : blen) -
			    starts[i];

			if (cl > blen - starts[i])
				cl = blen - starts[i];
			memcpy(out + o, name + starts[i], cl);
			o += cl;
		} else {
			out[o++] = '*';
		}
	}
	out[o] = '\0';
}

/*
 * At least this many characters are hidden, as in a mobile number's
 * 138****5678: a short number (a landline, an extension) shows less of its
 * head, then of its tail, rather than nearly all of itself.
 */
#define MASK_MIN_HIDDEN 4

static void
mask_middle(const char *s, size_t keep_head, size_t keep_tail, char *out,
    size_t len)
{
	size_t n = strlen(s), i;

	if (len == 0)
		return;
	while (keep_head > 0 && n < keep_head + keep_tail + MASK_MIN_HIDDEN)
		keep_head--;
	while (keep_tail > 0 && n < keep_tail + MASK_MIN_HIDDEN)
		keep_tail--;
	for (i = 0; i < n && i + 1 < len; i++)
		out[i] = (i < keep_head || i >= n - keep_tail) ? s[i] : '*';
	out[i] = '\0';
}

void
ld_pii_mask_id(const char *id, char *out, size_t len)
{
	mask_middle(id, 3, 4, out, len);
}

void
ld_pii_mask_phone(const char *phone, char *out, size_t len)
{
	mask_middle(phone, 3, 4, out, len);
}
