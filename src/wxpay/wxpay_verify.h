/*
 * Verification of WeChat Pay's APIv3 answers and callbacks.
 *
 * The key is chosen by the Wechatpay-Serial header among the configured
 * ones: platform certificate serials (hex) and WeChat Pay public-key ids
 * (PUB_KEY_ID_...).  Both kinds may be trusted at once during a switchover
 * (docs/wxpay-api.md, "APIv3 answer and callback verification").  A
 * signature probe (WECHATPAY/SIGNTEST/...) is just an invalid signature.
 *
 * Public: wxpay.h includes it, and `loandesk wxpay verify` checks a
 * signature with it directly.
 */
#ifndef LD_WXPAY_VERIFY_H
#define LD_WXPAY_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "ld_err.h"

#define WX_VERIFIER_MAX_KEYS 8

/* The keys WeChat Pay may sign with, by serial.  Owns its keys. */
struct wx_verifier {
	size_t n;
	struct wx_verifier_key {
		char serial[128];
		EVP_PKEY *key;
		/* A platform certificate signs only within its validity
		 * (Unix seconds, inclusive); a public key has none. */
		int bounded;
		int64_t not_before, not_after;
	} keys[WX_VERIFIER_MAX_KEYS];
};

/* The four signature headers of an answer or callback (borrowed). */
struct wx_signed_headers {
	const char *timestamp;  /* Wechatpay-Timestamp */
	const char *nonce;      /* Wechatpay-Nonce */
	const char *signature;  /* Wechatpay-Signature */
	const char *serial;     /* Wechatpay-Serial */
};

void		wx_verifier_init(struct wx_verifier *v);
/* Frees the keys; the struct itself belongs to the caller. */
void		wx_verifier_clear(struct wx_verifier *v);

/*
 * Trusts key (reference taken with EVP_PKEY_up_ref; the caller keeps its
 * own) under serial.  LD_ECONFLICT when the serial is already present,
 * LD_EINVAL when full or the serial is empty or too long.
 */
enum ld_status	wx_verifier_add(struct wx_verifier *v, const char *serial,
		    EVP_PKEY *key, struct ld_err *err);

/*
 * Loads a PUBLIC KEY or CERTIFICATE PEM and trusts it under serial; for a
 * certificate serial may be NULL to use the certificate's own, and when
 * given it must match the certificate's.
 */
enum ld_status	wx_verifier_add_file(struct wx_verifier *v,
		    const char *serial, const char *pem_path,
		    struct ld_err *err);

/*
 * Limits the key trusted under serial to a certificate's validity window:
 * an answer or callback signed with it outside the window fails
 * verification.  LD_ENOTFOUND when the serial is not trusted.
 */
enum ld_status	wx_verifier_set_validity(struct wx_verifier *v,
		    const char *serial, int64_t not_before, int64_t not_after,
		    struct ld_err *err);

/*
 * LD_OK when the key trusted under serial may sign at now; else LD_ECRYPTO
 * naming the serial and its window (LD_ENOTFOUND when not trusted).
 */
enum ld_status	wx_verifier_check_validity(const struct wx_verifier *v,
		    const char *serial, time_t now, struct ld_err *err);

/*
 * The key to name in Wechatpay-Serial and to encrypt with at now: the
 * first public key (no expiry) if any, else the certificate valid at now
 * that expires last (the newest after a rotation), else the first key;
 * NULL when none is trusted.  Borrowed.
 */
const struct wx_verifier_key *wx_verifier_current(const struct wx_verifier *v,
		    time_t now);

/* The key trusted under serial (borrowed), or NULL. */
EVP_PKEY	*wx_verifier_find(const struct wx_verifier *v,
		    const char *serial);

/*
 * Checks an answer or callback: all four headers present, serial known,
 * timestamp within WX_V3_MAX_SKEW seconds of now, signature valid over
 * "TS\nNONCE\nBODY\n".  LD_OK or LD_ECRYPTO with a message naming the
 * failed check.
 */
enum ld_status	wx_verify_signed(const struct wx_verifier *v,
		    const struct wx_signed_headers *h, const void *body,
		    size_t body_len, time_t now, struct ld_err *err);

/* A decrypted callback (every string owned by the struct). */
struct wx_notify {
	char *id;               /* notification id */
	char *create_time;
	char *event_type;       /* MCHTRANSFER.BILL.FINISHED, ... */
	char *resource_type;    /* encrypt-resource */
	char *summary;
	char *original_type;    /* mch_payment, ... */
	char *associated_data;
	char *plaintext;        /* the decrypted resource (JSON) */
	size_t plaintext_len;
};

/*
 * Verifies a callback (as wx_verify_signed), then parses its JSON body and
 * decrypts resource with the 32-byte APIv3 key (AEAD_AES_256_GCM only).
 * Verification comes first: nothing is decrypted from an unverified body.
 * LD_ECRYPTO when verification or the tag fails, LD_EPROTO when the body is
 * not the documented shape.  The caller answers 4xx/5xx on any failure so
 * WeChat retries, and frees out with wx_notify_free.
 */
enum ld_status	wx_notify_open(const struct wx_verifier *v,
		    const struct wx_signed_headers *h, const void *body,
		    size_t body_len, const unsigned char apiv3_key[32],
		    time_t now, struct wx_notify *out, struct ld_err *err);

/*
 * Only the decryption half, for a body already verified (and for the
 * `wxpay decrypt` command, which has no headers).
 */
enum ld_status	wx_notify_decrypt(const void *body, size_t body_len,
		    const unsigned char apiv3_key[32], struct wx_notify *out,
		    struct ld_err *err);

void		wx_notify_free(struct wx_notify *n);

/*
 * Reads an APIv3 key file: exactly 32 bytes of key, optionally followed by
 * one newline; the file must pass ld_config_check_key_file.
 */
enum ld_status	wx_read_apiv3_key(const char *path, unsigned char key[32],
		    struct ld_err *err);

/*
 * Reads a one-line secret (the APIv2 key) into out (cap bytes with the
 * NUL), dropping one trailing newline; LD_EINVAL when empty, longer, or
 * holding control characters.  Same permission check.
 */
enum ld_status	wx_read_secret_line(const char *path, char *out, size_t cap,
		    struct ld_err *err);

#endif
