#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_migrate.h"
#include "ld_pii.h"

/* The bookkeeping table; created before anything else, idempotently. */
static const char bootstrap_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " name text PRIMARY KEY,"
    " sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " applied_by text NOT NULL DEFAULT current_user)";

static int
is_migration_name(const char *n)
{
	size_t len = strlen(n);
	int i;

	if (len < 10 || strcmp(n + len - 4, ".sql") != 0)
		return 0;
	for (i = 0; i < 4; i++)
		if (!isdigit((unsigned char)n[i]))
			return 0;
	return n[4] == '_';
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct ld_migration *)a)->name,
	    ((const struct ld_migration *)b)->name);
}

void
ld_migrations_free(struct ld_migration_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++) {
		free(set->items[i].name);
		free(set->items[i].path);
	}
	free(set->items);
	set->items = NULL;
	set->count = 0;
}

enum ld_status
ld_migrations_scan(const char *dir, struct ld_migration_set *set,
    struct ld_err *err)
{
	DIR *d;
	struct dirent *de;
	size_t cap = 0, i;
	enum ld_status st = LD_OK;

	set->items = NULL;
	set->count = 0;
	set->lock_wait_ms = 0;
	d = opendir(dir);
	if (d == NULL)
		return ld_err_set(err, LD_ENOTFOUND,
		    "migrations directory %s: cannot open", dir);
	while ((de = readdir(d)) != NULL) {
		struct ld_migration *m;

		if (!is_migration_name(de->d_name))
			continue;
		if (set->count == cap) {
			cap = cap ? cap * 2 : 16;
			set->items = ld_reallocarray(set->items, cap,
			    sizeof *set->items);
		}
		m = &set->items[set->count++];
		memset(m, 0, sizeof *m);
		m->name = ld_strndup(de->d_name, strlen(de->d_name) - 4);
		m->path = ld_asprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	qsort(set->items, set->count, sizeof *set->items, by_name);
	for (i = 0; i < set->count && st == LD_OK; i++) {
		struct ld_buf b;
		unsigned char digest[SHA256_DIGEST_LENGTH];

		if (i > 0 && strncmp(set->items[i].name,
		    set->items[i - 1].name, 4) == 0) {
			st = ld_err_set(err, LD_EINVAL,
			    "migrations %s and %s share the number %.4s",
			    set->items[i - 1].name, set->items[i].name,
			    set->items[i].name);
			break;
		}
		ld_buf_init(&b, 16u << 20);
		st = ld_buf_read_file(&b, set->items[i].path, err);
		if (st == LD_OK) {
			SHA256((const unsigned char *)b.data, b.len, digest);
			ld_hex_encode(digest, sizeof digest,
			    set->items[i].sha256);
		}
		ld_buf_free(&b);
	}
	if (st != LD_OK)
		ld_migrations_free(set);
	return st;
}

enum ld_status
ld_migrations_check(struct ld_db *db, struct ld_migration_set *set,
    struct ld_err *err)
{
	PGresult *res;
	enum ld_status st;
	int row;

	st = ld_db_exec(db,
	    "SELECT name, sha256, to_char(applied_at, 'YYYY-MM-DD HH24:MI:SS') "
	    "FROM schema_migrations ORDER BY name", 0, NULL, &res, err);
	if (st != LD_OK) {
		/* No table yet: nothing is applied. */
		if (strcmp(db->sqlstate, "42P01") == 0) {
			ld_err_clear(err);
			return LD_OK;
		}
		return ld_err_prefix(err, "reading schema_migrations: ");
	}
	for (row = 0; row < PQntuples(res); row++) {
		const char *name = PQgetvalue(res, row, 0);
		const char *sum = PQgetvalue(res, row, 1);
		size_t i;

		for (i = 0; i < set->count; i++)
			if (strcmp(set->items[i].name, name) == 0)
				break;
		if (i == set->count) {
			st = ld_err_set(err, LD_ECONFLICT,
			    "migration %s is recorded as applied but its file "
			    "is missing", name);
			break;
		}
		if (strcmp(set->items[i].sha256, sum) != 0) {
			st = ld_err_set(err, LD_ECONFLICT,
			    "migration %s was changed after it was applied "
			    "(recorded sha256 %.12s..., file %.12s...); add a "
			    "new migration instead of editing %s", name, sum,
			    set->items[i].sha256, set->items[i].path);
			break;
		}
		set->items[i].applied = 1;
		snprintf(set->items[i].applied_at,
		    sizeof set->items[i].applied_at, "%s",
		    PQgetvalue(res, row, 2));
	}
	PQclear(res);
	return st;
}

/*
 * One migrator at a time per database (advisory locks are scoped to the
 * database).  The lock is a session lock because each migration commits on
 * its own; it is released at the end, or by the server if we die.
 */
#define MIGRATE_LOCK_SQL(fn) "SELECT " fn "(7243001)"

/*
 * Who holds that lock: any login may take an advisory lock, and one that
 * never lets go would otherwise keep `db migrate` waiting forever.
 */
static const char lock_holder_sql[] =
    "SELECT coalesce(string_agg(format('%s (pid %s, application \"%s\", "
    "%s since %s)', a.usename, a.pid, a.application_name, a.state, "
    "to_char(a.state_change, 'YYYY-MM-DD HH24:MI:SS TZ')), ', '), "
    "'a session that has since let go') FROM pg_locks l JOIN "
    "pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
    "AND l.granted AND l.classid = 0 AND l.objid = 7243001 AND "
    "l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE "
    "datname = current_database())";

/*
 * Takes the migration lock, waiting at most wait_ms; past that, the error
 * names who holds it.
 */
static enum ld_status
take_lock(struct ld_db *db, int wait_ms, struct ld_err *err)
{
	char sql[64];
	PGresult *res;
	enum ld_status st;

	snprintf(sql, sizeof sql, "SET lock_timeout = %d", wait_ms);
	if ((st = ld_db_cmd(db, sql, err)) != LD_OK)
		return st;
	st = ld_db_cmd(db, MIGRATE_LOCK_SQL("pg_advisory_lock"), err);
	res = PQexec(db->conn, "RESET lock_timeout");
	PQclear(res);
	if (st == LD_OK || strcmp(db->sqlstate, "55P03") != 0)
		return st;
	if (ld_db_exec(db, lock_holder_sql, 0, NULL, &res, err) != LD_OK)
		return ld_err_prefix(err, "the migration lock (advisory lock "
		    "7243001) is held by another session; naming it: ");
	st = ld_err_set(err, LD_ETIMEOUT, "the migration lock (advisory "
	    "lock 7243001) is held by %s; waited %d.%03d s (end that session, "
	    "or pass --lock-wait SECONDS)", PQgetvalue(res, 0, 0),
	    wait_ms / 1000, wait_ms % 1000);
	PQclear(res);
	return st;
}

static enum ld_status
apply_locked(struct ld_db *db, struct ld_migration_set *set, FILE *progress,
    int *applied, struct ld_err *err)
{
	enum ld_status st;
	size_t i;

	st = ld_db_cmd(db, bootstrap_sql, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "creating schema_migrations: ");
	/* Read under the lock: what a migrator before us applied is seen. */
	st = ld_migrations_check(db, set, err);
	if (st != LD_OK)
		return st;
	for (i = 0; i < set->count; i++) {
		struct ld_migration *m = &set->items[i];
		struct ld_buf sql;
		const char *params[2];

		if (m->applied)
			continue;
		ld_buf_init(&sql, 16u << 20);
		st = ld_buf_read_file(&sql, m->path, err);
		if (st != LD_OK) {
			ld_buf_free(&sql);
			return st;
		}
		/*
		 * The file runs through the simple-query protocol (it holds
		 * many statements), inside one transaction with its record.
		 */
		st = ld_db_begin(db, err);
		if (st == LD_OK) {
			struct ld_err e;
			long pos = 0, ln = 1, k;

			ld_err_clear(&e);
			if (ld_db_exec_script(db, sql.data, &pos, &e) !=
			    LD_OK) {
				char where[32] = "";

				for (k = 0; k + 1 < pos && k < (long)sql.len;
				    k++)
					if (sql.data[k] == '\n')
						ln++;
				/* Errors without a position name the file. */
				if (pos > 0)
					snprintf(where, sizeof where,
					    ":%ld", ln);
				st = ld_err_set(err, LD_EDB, "%s%s: %s",
				    m->path, where, e.msg);
			}
		}
		ld_buf_free(&sql);
		if (st == LD_OK) {
			params[0] = m->name;
			params[1] = m->sha256;
			st = ld_db_exec(db,
			    "INSERT INTO schema_migrations (name, sha256) "
			    "VALUES ($1, $2)", 2, params, NULL, err);
		}
		if (st == LD_OK)
			st = ld_db_commit(db, err);
		if (st != LD_OK)
			return st;
		m->applied = 1;
		(*applied)++;
		if (progress != NULL)
			fprintf(progress, "applied %s\n", m->name);
	}
	return LD_OK;
}

enum ld_status
ld_migrations_apply(struct ld_db *db, struct ld_migration_set *set,
    FILE *progress, int *applied, struct ld_err *err)
{
	enum ld_status st;
	struct ld_err ignored;

	*applied = 0;
	/*
	 * Taken before anything is read or created: a second `db migrate`
	 * waits here, then finds the first one's work recorded and has
	 * nothing to do (even CREATE TABLE IF NOT EXISTS races without it).
	 */
	st = take_lock(db, set->lock_wait_ms > 0 ? set->lock_wait_ms :
	    LD_MIGRATE_LOCK_WAIT_MS, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "taking the migration lock: ");
	st = apply_locked(db, set, progress, applied, err);
	ld_db_rollback(db);
	(void)ld_db_cmd(db, MIGRATE_LOCK_SQL("pg_advisory_unlock"), &ignored);
	return st;
}
