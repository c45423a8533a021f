noinst_LIBRARIES += libldb.a
libldb_a_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_DB) $(PQ_CFLAGS) $(CRYPTO_CFLAGS)
libldb_a_SOURCES = \
	%reldir%/ld_db.c %reldir%/ld_db.h \
	%reldir%/ld_db_config.c %reldir%/ld_db_config.h \
	%reldir%/ld_sql.c %reldir%/ld_sql.h \
	%reldir%/ld_migrate.c %reldir%/ld_migrate.h \
	%reldir%/ld_audit.c %reldir%/ld_audit.h
LDDB_LIBS = libldb.a $(PQ_LIBS)

migrationsdir = $(pkgdatadir)/migrations
dist_migrations_DATA = \
	%reldir%/migrations/0001_schema.sql \
	%reldir%/migrations/0002_audit.sql \
	%reldir%/migrations/0003_roles.sql \
	%reldir%/migrations/0004_api_decisions.sql \
	%reldir%/migrations/0005_audit_grants.sql \
	%reldir%/migrations/0006_scoring.sql \
	%reldir%/migrations/0007_application_notify.sql \
	%reldir%/migrations/0008_hardening.sql \
	%reldir%/migrations/0009_definer_role.sql \
	%reldir%/migrations/0010_review_ownership.sql \
	%reldir%/migrations/0011_decide_claimed.sql \
	%reldir%/migrations/0012_loan_terms.sql \
	%reldir%/migrations/0013_audit_integrity.sql \
	%reldir%/migrations/0014_override_levels.sql \
	%reldir%/migrations/0015_review_assignees.sql \
	%reldir%/migrations/0016_pii_reveal.sql \
	%reldir%/migrations/0017_daemon_records.sql \
	%reldir%/migrations/0018_large_objects.sql \
	%reldir%/migrations/0019_reason_disclosure.sql \
	%reldir%/migrations/0020_payout_schema.sql \
	%reldir%/migrations/0021_payout_approval.sql \
	%reldir%/migrations/0022_payout_engine.sql \
	%reldir%/migrations/0023_payout_reconcile.sql \
	%reldir%/migrations/0024_payout_daemon.sql \
	%reldir%/migrations/0025_payout_v2_cdata.sql \
	%reldir%/migrations/0026_reconcile_rerun.sql \
	%reldir%/migrations/0027_settings_set.sql \
	%reldir%/migrations/0028_payout_console.sql
dist_noinst_SCRIPTS += %reldir%/pg-local

# A migration missing from the list above would be neither installed nor
# shipped, so `make dist` refuses to leave one out.
dist-hook: ld-dist-migrations
ld-dist-migrations:
	@for f in $(srcdir)/%reldir%/migrations/*.sql; do \
	  test -f "$(distdir)/%reldir%/migrations/$${f##*/}" || { \
	    echo "$$f is not in dist_migrations_DATA (%reldir%/local.mk)" >&2; \
	    exit 1; }; \
	done
.PHONY: ld-dist-migrations
