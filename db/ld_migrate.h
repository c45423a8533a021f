/*
 * Schema migrations: db/migrations/NNNN_name.sql applied in order, each in
 * its own transaction together with its schema_migrations row (name and
 * sha256 of the file).  An applied migration whose file changed is refused by
 * name; so is a recorded migration whose file is gone.
 */
#ifndef LD_MIGRATE_H
#define LD_MIGRATE_H

#include <stdio.h>

#include "ld_db.h"

struct ld_migration {
	char *name;    /* "0001_init" */
	char *path;
	char sha256[65];
	int applied;   /* recorded in schema_migrations */
	char applied_at[40];
};

struct ld_migration_set {
	struct ld_migration *items;
	size_t count;
	/* How long apply waits for the migration lock; 0: the default. */
	int lock_wait_ms;
};

/* The default wait for the migration lock. */
#define LD_MIGRATE_LOCK_WAIT_MS 30000

/* Lists dir's NNNN_*.sql files in order and hashes them. */
enum ld_status ld_migrations_scan(const char *dir, struct ld_migration_set *set,
    struct ld_err *err);
void ld_migrations_free(struct ld_migration_set *set);

/*
 * Marks which of set are applied, and checks recorded checksums against the
 * files: a mismatch or a recorded migration without a file is LD_ECONFLICT.
 */
enum ld_status ld_migrations_check(struct ld_db *db,
    struct ld_migration_set *set, struct ld_err *err);

/*
 * Applies every pending migration in order, writing one line per migration
 * to progress (may be NULL).  Stops at the first failure, which rolls back
 * that migration only.  *applied counts what was applied.  The whole run
 * holds an advisory lock taken before schema_migrations is read, so
 * concurrent migrators of one database run one after the other and the
 * later ones find nothing to do.  It waits for that lock at most
 * set->lock_wait_ms, then fails (LD_ETIMEOUT) naming who holds it.
 */
enum ld_status ld_migrations_apply(struct ld_db *db,
    struct ld_migration_set *set, FILE *progress, int *applied,
    struct ld_err *err);

#endif
