/* loandesk db migrate|status, loandesk audit verify */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ld_audit.h"
#include "ld_migrate.h"
#include "ld_paths.h"

static int
connect_db(struct cli_ctx *ctx, struct ld_db *db)
{
	struct ld_err err;

	if (cli_config(ctx) != 0)
		return -1;
	ld_err_clear(&err);
	if (ld_db_connect(db, ctx->cfg.database.conninfo, "loandesk",
	    &err) != LD_OK) {
		cli_error("%s", err.msg);
		return -1;
	}
	return 0;
}

static int
no_args(const char *cmd, int argc, char **argv)
{
	if (argc > 1) {
		cli_error("%s: unexpected argument \"%s\"", cmd, argv[1]);
		return -1;
	}
	return 0;
}

int
cli_db_migrate(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ld_migration_set set;
	struct ld_db db;
	struct ld_err err;
	int applied = 0, rc = 1, wait_ms = 0;

	if (argc == 3 && strcmp(argv[1], "--lock-wait") == 0) {
		char *end;
		long s;

		errno = 0;
		s = strtol(argv[2], &end, 10);
		if (errno != 0 || end == argv[2] || *end != '\0' || s < 1 ||
		    s > 86400) {
			cli_error("db migrate: --lock-wait takes whole seconds "
			    "from 1 to 86400, not \"%s\"", argv[2]);
			return 2;
		}
		wait_ms = (int)s * 1000;
	} else if (no_args("db migrate", argc, argv) != 0)
		return 2;
	ld_err_clear(&err);
	if (ld_migrations_scan(ld_paths_migrations(), &set, &err) != LD_OK) {
		cli_error("%s", err.msg);
		return 1;
	}
	if (connect_db(ctx, &db) != 0)
		goto out;
	/* --lock-wait, else [database] migrate_lock_wait_s. */
	set.lock_wait_ms = wait_ms > 0 ? wait_ms :
	    ctx->cfg.database.migrate_lock_wait_s * 1000;
	if (ld_migrations_apply(&db, &set, stdout, &applied, &err) != LD_OK) {
		cli_error("%s", err.msg);
		ld_db_close(&db);
		goto out;
	}
	if (applied == 0)
		printf("nothing to do: %zu migrations applied\n", set.count);
	ld_db_close(&db);
	rc = 0;
out:
	ld_migrations_free(&set);
	return rc;
}

int
cli_db_status(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ld_migration_set set;
	struct ld_db db;
	struct ld_err err;
	size_t i, pending = 0;
	int rc = 1;

	if (no_args("db status", argc, argv) != 0)
		return 2;
	ld_err_clear(&err);
	if (ld_migrations_scan(ld_paths_migrations(), &set, &err) != LD_OK) {
		cli_error("%s", err.msg);
		return 1;
	}
	if (connect_db(ctx, &db) != 0)
		goto out;
	if (ld_migrations_check(&db, &set, &err) != LD_OK) {
		cli_error("%s", err.msg);
		ld_db_close(&db);
		goto out;
	}
	ld_db_close(&db);
	printf("%-32s %-8s %-19s %s\n", "migration", "state", "applied at",
	    "sha256");
	for (i = 0; i < set.count; i++) {
		printf("%-32s %-8s %-19s %.16s\n", set.items[i].name,
		    set.items[i].applied ? "applied" : "pending",
		    set.items[i].applied ? set.items[i].applied_at : "-",
		    set.items[i].sha256);
		if (!set.items[i].applied)
			pending++;
	}
	printf("%zu applied, %zu pending (%s)\n", set.count - pending, pending,
	    ld_paths_migrations());
	rc = 0;
out:
	ld_migrations_free(&set);
	return rc;
}

/* ID:HASH as printed by an intact walk. */
static int
parse_anchor(const char *s, int64_t *id, char *hash, size_t len)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != ':' || v < 1 ||
	    strlen(end + 1) != 64 || strlen(end + 1) >= len)
		return -1;
	*id = (int64_t)v;
	snprintf(hash, len, "%s", end + 1);
	return 0;
}

int
cli_audit_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ld_audit_verify_result res;
	struct ld_db db;
	struct ld_err err;
	char anchor_hash[65] = "";
	int64_t anchor_id = 0;

	if (argc == 3 && strcmp(argv[1], "--anchor") == 0) {
		if (parse_anchor(argv[2], &anchor_id, anchor_hash,
		    sizeof anchor_hash) != 0) {
			cli_error("audit verify: --anchor takes ID:HASH as an "
			    "intact walk prints it (a row id, a colon, 64 hex "
			    "digits), not \"%s\"", argv[2]);
			return 2;
		}
	} else if (argc > 1) {
		cli_error("audit verify: unexpected argument \"%s\" (usage: "
		    "loandesk audit verify [--anchor ID:HASH])", argv[1]);
		return 2;
	}
	if (connect_db(ctx, &db) != 0)
		return 1;
	ld_err_clear(&err);
	if (ld_audit_verify(&db, &res, &err) != LD_OK ||
	    (anchor_id != 0 && ld_audit_check_anchor(&db, anchor_id,
	    anchor_hash, &res, &err) != LD_OK)) {
		cli_error("%s", err.msg);
		ld_db_close(&db);
		return 1;
	}
	ld_db_close(&db);
	if (res.ok) {
		printf("audit chain intact: %" PRId64 " rows%s; anchor %"
		    PRId64 ":%s\n", res.rows, anchor_id != 0 ?
		    ", the anchor holds" : "", res.last_id, res.last_hash);
		return 0;
	}
	printf("audit chain BROKEN at row %" PRId64 ": %s\n", res.broken_id,
	    res.why);
	return 1;
}
