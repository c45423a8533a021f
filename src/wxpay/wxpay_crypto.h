/*
 * WeChat Pay cryptography and wire formats: APIv3 request signing and
 * answer/callback verification (RSA PKCS#1 v1.5 SHA-256), AEAD_AES_256_GCM
 * callback resources, RSA-OAEP (SHA-1) sensitive fields, APIv2 MD5 and
 * HMAC-SHA256 signs and the flat APIv2 XML documents.
 *
 * Pure functions over OpenSSL and expat: no network, no database.  Strings
 * returned through char ** are allocated with ld_malloc and freed by the
 * caller with free().
 *
 * Public: wxpay.h includes it, `loandesk wxpay sign|verify|decrypt|v2sign`
 * and wxpay-sim (which signs as WeChat Pay does) call it directly.
 */
#ifndef LD_WXPAY_CRYPTO_H
#define LD_WXPAY_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "ld_err.h"

/* One XML/form field; both strings owned by the array holding it. */
struct wx_kv {
	char *key;
	char *value;
};

enum wx_v2_sign_type {
	WX_V2_MD5,
	WX_V2_HMAC_SHA256
};

/* The five attributes of an APIv3 Authorization header. */
struct wx_v3_auth {
	char mchid[64];
	char nonce[64];
	char timestamp[32];
	char serial[128];
	char signature[1024];
};

/* Largest APIv2 XML document wx_v2_xml_parse accepts, in bytes. */
#define WX_V2_XML_MAX		(64 * 1024)
/* Most fields a flat APIv2 document may carry. */
#define WX_V2_XML_MAX_FIELDS	128
/* Largest clock difference accepted on answers and callbacks, seconds. */
#define WX_V3_MAX_SKEW		300

/*
 * Reads a PEM private key (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE
 * KEY").  On success *out is owned by the caller (EVP_PKEY_free).  Fails
 * with LD_EIO when the file cannot be read and LD_ECRYPTO when it holds no
 * RSA key.
 */
enum ld_status	wx_load_private_key(const char *pem_path, EVP_PKEY **out,
		    struct ld_err *err);

/*
 * Same as wx_load_private_key for a key named by the configuration: the
 * file is refused, as any key file is, when group or others may access it
 * (checked on the descriptor it is read from).
 */
enum ld_status	wx_load_secret_private_key(const char *pem_path,
		    EVP_PKEY **out, struct ld_err *err);

/*
 * Reads a PEM "PUBLIC KEY", "RSA PUBLIC KEY" or "CERTIFICATE" and returns
 * its RSA public key in *out (caller frees).  Same failures as above.
 */
enum ld_status	wx_load_public_key(const char *pem_path, EVP_PKEY **out,
		    struct ld_err *err);

/* Same as wx_load_public_key over a PEM held in memory. */
enum ld_status	wx_public_key_from_pem(const char *pem, size_t len,
		    EVP_PKEY **out, struct ld_err *err);

/* Same as wx_load_private_key over a PEM held in memory. */
enum ld_status	wx_private_key_from_pem(const char *pem, size_t len,
		    EVP_PKEY **out, struct ld_err *err);

/*
 * Upper-case hex serial of the certificate in a PEM file ("openssl x509
 * -serial" without the prefix).  out must hold 128 bytes.
 */
enum ld_status	wx_cert_serial(const char *pem_path, char out[128],
		    struct ld_err *err);

/*
 * The validity window of a PEM certificate held in memory, as Unix seconds
 * (notBefore and notAfter, both inclusive).
 */
enum ld_status	wx_cert_validity_pem(const char *pem, size_t len,
		    int64_t *not_before, int64_t *not_after,
		    struct ld_err *err);

/* Same as wx_cert_serial over a PEM certificate held in memory. */
enum ld_status	wx_cert_serial_pem(const char *pem, size_t len,
		    char out[128], struct ld_err *err);

/*
 * The APIv3 request signing message "METHOD\nPATH\nTS\nNONCE\nBODY\n";
 * body NULL is an empty line.  Caller frees.  Never NULL (aborts on OOM).
 */
char		*wx_v3_message(const char *method, const char *path_query,
		    const char *timestamp, const char *nonce, const char *body);

/*
 * Same with an explicit body length, for bodies that are bytes rather than
 * C strings.  *len_out receives the message length.
 */
char		*wx_v3_message_len(const char *method, const char *path_query,
		    const char *timestamp, const char *nonce, const char *body,
		    size_t body_len, size_t *len_out);

/*
 * base64(RSASSA-PKCS1-v1_5(SHA-256, key, msg)) into *sig_b64 (caller frees).
 * LD_ECRYPTO when OpenSSL refuses.
 */
enum ld_status	wx_rsa_sign_b64(EVP_PKEY *key, const void *msg, size_t len,
		    char **sig_b64, struct ld_err *err);

/*
 * Checks a base64 PKCS#1 v1.5 SHA-256 signature: LD_OK when valid,
 * LD_ECRYPTO when invalid or not base64 (including WECHATPAY/SIGNTEST/
 * probes, which are simply invalid signatures).
 */
enum ld_status	wx_rsa_verify_b64(EVP_PKEY *pub, const void *msg, size_t len,
		    const char *sig_b64, struct ld_err *err);

/*
 * Builds the Authorization header value
 * 'WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",timestamp="…",
 * serial_no="…",signature="…"' (caller frees).  body may be NULL.
 */
enum ld_status	wx_v3_authorization(EVP_PKEY *key, const char *mchid,
		    const char *serial, const char *method,
		    const char *path_query, const char *timestamp,
		    const char *nonce, const char *body, char **header_value,
		    struct ld_err *err);

/* Same with an explicit body length. */
enum ld_status	wx_v3_authorization_len(EVP_PKEY *key, const char *mchid,
		    const char *serial, const char *method,
		    const char *path_query, const char *timestamp,
		    const char *nonce, const void *body, size_t body_len,
		    char **header_value, struct ld_err *err);

/*
 * Parses an Authorization header value: scheme WECHATPAY2-SHA256-RSA2048 and
 * the five attributes in any order, each exactly once, quoted.  LD_EPROTO on
 * any deviation, naming the attribute.
 */
enum ld_status	wx_v3_parse_authorization(const char *header_value,
		    struct wx_v3_auth *out, struct ld_err *err);

/*
 * The answer/callback verification message "TS\nNONCE\nBODY\n"; body NULL is
 * an empty line.  Caller frees.
 */
char		*wx_v3_response_message(const char *timestamp,
		    const char *nonce, const char *body);

/* Same with an explicit body length; *len_out receives the length. */
char		*wx_v3_response_message_len(const char *timestamp,
		    const char *nonce, const void *body, size_t body_len,
		    size_t *len_out);

/*
 * AEAD_AES_256_GCM decryption of a callback resource or certificate:
 * key = the 32-byte APIv3 key, nonce = the nonce string's bytes,
 * associated_data may be NULL (empty), ciphertext = base64(ct || 16-byte
 * tag).  *plain is NUL-terminated (caller frees), *plain_len excludes the
 * NUL and may be NULL.  LD_ECRYPTO on a bad tag, LD_EINVAL on bad base64.
 */
enum ld_status	wx_aead_decrypt(const unsigned char key[32],
		    const char *nonce, const char *associated_data,
		    const char *ciphertext_b64, char **plain, size_t *plain_len,
		    struct ld_err *err);

/* Inverse of wx_aead_decrypt; *ciphertext_b64 caller frees. */
enum ld_status	wx_aead_encrypt(const unsigned char key[32],
		    const char *nonce, const char *associated_data,
		    const char *plain, size_t plain_len, char **ciphertext_b64,
		    struct ld_err *err);

/*
 * AES-GCM with a key of 16, 24 or 32 bytes and any nonce length; used for
 * the SDKs' AES-128 known answers.  Same contract as wx_aead_decrypt.
 */
enum ld_status	wx_aes_gcm_decrypt(const unsigned char *key, size_t key_len,
		    const void *nonce, size_t nonce_len,
		    const char *associated_data, const char *ciphertext_b64,
		    char **plain, size_t *plain_len, struct ld_err *err);
enum ld_status	wx_aes_gcm_encrypt(const unsigned char *key, size_t key_len,
		    const void *nonce, size_t nonce_len,
		    const char *associated_data, const void *plain,
		    size_t plain_len, char **ciphertext_b64,
		    struct ld_err *err);

/*
 * RSA-OAEP with SHA-1 and MGF1-SHA-1, empty label (docs/wxpay-api.md,
 * "RSA-OAEP user_name"), base64 out (caller frees).
 */
enum ld_status	wx_rsa_oaep_encrypt_b64(EVP_PKEY *pub, const char *plain,
		    char **out_b64, struct ld_err *err);
enum ld_status	wx_rsa_oaep_decrypt_b64(EVP_PKEY *priv, const char *b64,
		    char **plain, struct ld_err *err);

/*
 * APIv2 sign: fields with non-empty values except "sign", sorted by key
 * (ASCII), "k=v&...&key=API_KEY", MD5 or HMAC-SHA256 (keyed with api_key),
 * upper-case hex into out (32 or 64 chars + NUL).  LD_EINVAL on a NULL or
 * empty key or duplicate field names.
 */
enum ld_status	wx_v2_sign(const char *api_key, enum wx_v2_sign_type t,
		    const struct wx_kv *fields, size_t n, char out[65],
		    struct ld_err *err);

/*
 * Checks the "sign" field of fields against api_key; the type is taken from
 * the sign's length (32 hex → MD5, 64 → HMAC-SHA256).  LD_OK valid,
 * LD_ECRYPTO invalid or missing.  Comparison is constant-time.
 */
enum ld_status	wx_v2_verify(const char *api_key, const struct wx_kv *fields,
		    size_t n, struct ld_err *err);

/*
 * Parses a flat <xml><k>v</k>...</xml> document with expat.  CDATA is fine.
 * Refuses DOCTYPE/entity declarations, nested elements, a root other than
 * "xml", more than WX_V2_XML_MAX bytes or WX_V2_XML_MAX_FIELDS fields and
 * duplicate keys (LD_EPROTO, with line and column).  *fields caller frees
 * with wx_kv_free.
 */
enum ld_status	wx_v2_xml_parse(const char *xml, size_t len,
		    struct wx_kv **fields, size_t *n, struct ld_err *err);

/*
 * <xml><k><![CDATA[v]]></k>...</xml>; caller frees.  NULL when a key is not
 * a plain name ([A-Za-z_][A-Za-z0-9_]*).
 */
char		*wx_v2_xml_build(const struct wx_kv *fields, size_t n);

/* Value of key in fields, or NULL. */
const char	*wx_kv_get(const struct wx_kv *fields, size_t n,
		    const char *key);

/* Frees the array and its strings.  NULL is a no-op. */
void		 wx_kv_free(struct wx_kv *fields, size_t n);

/* 32 random characters [A-Za-z0-9] + NUL from the OpenSSL CSPRNG. */
enum ld_status	wx_random_nonce(char out[33], struct ld_err *err);

/*
 * Parses JSON received from the network with one possible reading: the
 * whole of data is one document (whitespace may follow), no string holds
 * a NUL (raw or \u0000) and no object names a member twice.  NULL with
 * LD_EPROTO in err otherwise.  Caller frees with cJSON_Delete.
 */
struct cJSON;
struct cJSON	*wx_json_parse_exact(const void *data, size_t len,
		    struct ld_err *err);

/*
 * Copies src into dst (cap bytes with the NUL) as text a log or terminal
 * can show: valid UTF-8, cut at a character boundary, each control
 * character (C0, DEL, C1) or byte that is not UTF-8 replaced by '?'.
 */
void		 wx_text_copy(char *dst, size_t cap, const char *src);

/* base64 helpers (standard alphabet, padded, no newlines); caller frees. */
char		*wx_b64_encode(const void *data, size_t len);
enum ld_status	wx_b64_decode(const char *b64, unsigned char **out,
		    size_t *out_len, struct ld_err *err);

#endif
