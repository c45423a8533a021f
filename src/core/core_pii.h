/*
 * Personal data that leaves its sealed form: one field for one operator
 * (api.pii_reveal), and every field under a new key (key rotation).
 *
 * The database holds personal data only sealed (src/common/ld_pii.h) and
 * never the keys: a reveal brings the sealed value, with an audit row and
 * within the operator's rate limit, and the key the console or command
 * holds opens it here.  A sealed value names its key by id, so a keyring
 * of the current key and those being retired opens values sealed under
 * either while a rotation runs.
 */
#ifndef LD_CORE_PII_H
#define LD_CORE_PII_H

#include <stddef.h>
#include <stdint.h>

#include "ld_err.h"
#include "ld_pii.h"

struct ld_db;

#define CORE_KEYRING_MAX 4

struct core_keyring {
	struct ld_pii_key keys[CORE_KEYRING_MAX];
	size_t n;
};

void core_keyring_init(struct core_keyring *r);
/* Adds a copy of k; LD_EINVAL when the ring is full. */
enum ld_status core_keyring_add(struct core_keyring *r,
    const struct ld_pii_key *k, struct ld_err *err);
/* Wipes every key. */
void core_keyring_wipe(struct core_keyring *r);

/*
 * Opens a sealed value of field with the ring's key of the id it names,
 * into out (outlen bytes, NUL-terminated).  LD_ECRYPTO naming the key id
 * when the ring has no such key, or the value does not authenticate.
 */
enum ld_status core_keyring_open(const struct core_keyring *r,
    const char *field, const unsigned char *sealed, size_t sealed_len,
    char *out, size_t outlen, struct ld_err *err);

/* The fields a reveal or a rotation knows: "name", "id_no", "phone". */
int core_pii_field_valid(const char *field);

/*
 * Reveals field of application app_id's applicant to the connected
 * operator (on-call or admin): the database records it with reason and
 * counts it against the operator's limit, then ring opens it into out.
 * Refusals (role, limit, unknown application) are the database's.
 */
enum ld_status core_pii_reveal(struct ld_db *db,
    const struct core_keyring *ring, int64_t app_id, const char *field,
    const char *reason, char *out, size_t outlen, struct ld_err *err);

struct core_rotation_stats {
	int64_t batches;   /* committed */
	int64_t applicants; /* re-sealed and re-indexed */
	int64_t last_id;   /* the last applicant done */
};

/*
 * Re-seals every personal field under seal and rebuilds every blind index
 * with index, batch applicants per transaction, opening the old values
 * with ring (which may hold seal itself: rows already done are skipped by
 * the query, not by the ring).  Each batch commits on its own, so a
 * rotation stopped at any point has left every row whole under one key
 * or the other, and running it again goes on where it stopped.  One
 * rotation at a time (an advisory lock); progress, when not NULL, is
 * called after each batch.
 */
enum ld_status core_keys_rotate(struct ld_db *db,
    const struct core_keyring *ring, const struct ld_pii_key *seal,
    const struct ld_pii_key *index, int batch,
    void (*progress)(void *arg, const struct core_rotation_stats *st),
    void *arg, struct core_rotation_stats *st, struct ld_err *err);

#endif
