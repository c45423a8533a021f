/*
 * A throwaway PostgreSQL cluster for integration suites: db/pg-local in a
 * fresh temporary directory, the PG* variables pointed at it, destroyed at
 * the end.  Header-only so every test program can use it.
 */
#ifndef LD_TESTDB_H
#define LD_TESTDB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct ld_testdb {
	char dir[256];
	char pg_local[1024];
	int up;
};

static inline const char *
ld_test_srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s != NULL ? s : ".";
}

static inline const char *
ld_test_builddir(void)
{
	const char *s = getenv("top_builddir");

	return s != NULL ? s : ".";
}

/* Creates and starts the cluster; 0 or -1 (with the reason on stderr). */
static inline int
ld_testdb_start(struct ld_testdb *t)
{
	char cmd[2048], sock[300], mig[1024];

	memset(t, 0, sizeof *t);
	snprintf(t->dir, sizeof t->dir, "/tmp/ld-testdb.XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	/* When root, the cluster runs as another user who must reach it. */
	chmod(t->dir, 0711);
	snprintf(t->pg_local, sizeof t->pg_local, "%s/db/pg-local",
	    ld_test_srcdir());
	snprintf(cmd, sizeof cmd, "sh '%s' init '%s/c' >'%s/init.out' 2>&1 || "
	    "{ cat '%s/init.out' >&2; exit 1; }", t->pg_local, t->dir, t->dir,
	    t->dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot start a throwaway cluster in %s\n",
		    t->dir);
		return -1;
	}
	t->up = 1;
	snprintf(sock, sizeof sock, "%s/c/sock", t->dir);
	setenv("PGHOST", sock, 1);
	setenv("PGUSER", "postgres", 1);
	setenv("PGDATABASE", "loandesk", 1);
	unsetenv("PGPORT");
	unsetenv("PGSERVICE");
	unsetenv("LOANDESK_CONF");
	snprintf(mig, sizeof mig, "%s/db/migrations", ld_test_srcdir());
	setenv("LOANDESK_MIGRATIONS_DIR", mig, 1);
	return 0;
}

static inline void
ld_testdb_stop(struct ld_testdb *t)
{
	char cmd[2048];

	if (t->dir[0] == '\0')
		return;
	snprintf(cmd, sizeof cmd, "sh '%s' destroy '%s/c' >/dev/null 2>&1; "
	    "rm -rf '%s'", t->pg_local, t->dir, t->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", t->dir);
	t->up = 0;
}

#endif
