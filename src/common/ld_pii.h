/*
 * Personal data at rest: AES-256-GCM with a key held outside the database,
 * an HMAC-SHA256 blind index for equality search, and the masked forms the
 * console shows.
 *
 * Key files hold 64 hex digits (32 bytes) on one line and must be mode 0600.
 * The sealed format is: 0x01 | key id (4 bytes, first bytes of SHA-256 of the
 * key) | nonce (12) | ciphertext | tag (16).  The field name is bound in as
 * associated data, so a phone ciphertext pasted into the name column fails.
 */
#ifndef LD_PII_H
#define LD_PII_H

#include <stddef.h>
#include <stdint.h>

#include "ld_err.h"

#define LD_PII_KEY_LEN 32
#define LD_PII_OVERHEAD (1 + 4 + 12 + 16)

struct ld_pii_key {
	unsigned char key[LD_PII_KEY_LEN];
	unsigned char id[4];
};

/* Reads a key file (checking its mode). */
enum ld_status ld_pii_key_load(struct ld_pii_key *k, const char *path,
    struct ld_err *err);
/* Makes a key from 32 bytes (tests, generated demo keys). */
void ld_pii_key_from_bytes(struct ld_pii_key *k, const unsigned char *raw);
/* Writes a fresh random key to path with mode 0600; refuses to overwrite. */
enum ld_status ld_pii_key_generate(const char *path, struct ld_err *err);
/* Wipes the key material. */
void ld_pii_key_wipe(struct ld_pii_key *k);

/*
 * Encrypts plain (len bytes) for column `field` into out, which must hold
 * len + LD_PII_OVERHEAD bytes.
 */
enum ld_status ld_pii_seal(const struct ld_pii_key *k, const char *field,
    const void *plain, size_t len, unsigned char *out, struct ld_err *err);
/*
 * Decrypts a sealed value into out (sealed_len - LD_PII_OVERHEAD bytes plus a
 * NUL); refuses a wrong key id, field or tag.
 */
enum ld_status ld_pii_open(const struct ld_pii_key *k, const char *field,
    const unsigned char *sealed, size_t sealed_len, char *out,
    struct ld_err *err);

/* HMAC-SHA256(key, field || 0x00 || normalised value) into out[32]. */
void ld_pii_blind_index(const struct ld_pii_key *k, const char *field,
    const char *value, unsigned char out[32]);

/* 张三 -> 张*, 张小三 -> 张*三, 欧阳小明 -> 欧**明 */
void ld_pii_mask_name(const char *name, char *out, size_t len);
/*
 * 110101199003071234 -> 110***********1234; at least 4 characters are
 * hidden, so a short value keeps less: E12345678 -> E****5678.
 */
void ld_pii_mask_id(const char *id, char *out, size_t len);
/* 13812345678 -> 138****5678, 12345678 -> ****5678, 1234 -> **** */
void ld_pii_mask_phone(const char *phone, char *out, size_t len);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void ld_hex_encode(const unsigned char *p, size_t n, char *out);
/* Parses exactly 2n hex digits; returns 0 or -1. */
int ld_hex_decode(const char *hex, unsigned char *out, size_t n);

#endif
