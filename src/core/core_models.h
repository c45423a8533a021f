/*
 * The model registry: scoring models stored in the database with their
 * SHA-256, kind and feature names; one champion decides, an optional
 * challenger is scored in shadow.  Every change writes an audit record in
 * the same transaction.
 */
#ifndef LD_CORE_MODELS_H
#define LD_CORE_MODELS_H

#include <stddef.h>
#include <stdint.h>

#include "ld_err.h"

struct ld_db;

/* Largest model document accepted, in bytes. */
#define CORE_MODEL_MAX_BYTES (64 * 1024 * 1024)

enum core_model_role {
	CORE_MODEL_CHAMPION,
	CORE_MODEL_CHALLENGER
};

/* One registry row, as listed; owns its strings. */
struct core_model_info {
	int64_t id;
	char *name, *version, *kind, *sha256, *role;
	char *registered_at, *registered_by;
	char *activated_at, *activated_by; /* NULL when never activated */
	size_t nfeatures;
};

/*
 * Lower-case hex SHA-256 of len bytes of data into hex (65 bytes with the
 * NUL).
 */
void core_sha256_hex(const void *data, size_t len, char hex[65]);

/*
 * Reads the model document at path, checks that the risk engine loads it,
 * and stores it as name/version with role 'registered'.  On success *id
 * (when not NULL) is the new row's id and sha256 (when not NULL, 65 bytes)
 * its hash.  LD_EINVAL/LD_EUNSUPPORTED for a model the engine refuses (the
 * message names the file and place) or whose features are not all in the
 * feature catalogue (the message names the first one that is not),
 * LD_ECONFLICT when the name/version or the very same document is already
 * registered.
 */
enum ld_status core_model_register(struct ld_db *db, const char *path,
    const char *name, const char *version, int64_t *id, char *sha256,
    struct ld_err *err);

/*
 * Makes name/version the champion or the challenger, retiring whichever
 * model held that role, and records who and when.  LD_ENOTFOUND for an
 * unknown model; LD_ECONFLICT when asking the champion to be challenger;
 * LD_EINVAL, naming it, when a feature of the model is not in the
 * catalogue (a row stored before register checked that).
 * *previous (when not NULL) is the id of the model retired, or 0.
 */
enum ld_status core_model_activate(struct ld_db *db, const char *name,
    const char *version, enum core_model_role role, int64_t *previous,
    struct ld_err *err);

/*
 * Every registered model, oldest first.  On success *out is an array of *n
 * entries the caller frees with core_model_list_free().
 */
enum ld_status core_model_list(struct ld_db *db,
    struct core_model_info **out, size_t *n, struct ld_err *err);

void core_model_list_free(struct core_model_info *v, size_t n);

#endif
