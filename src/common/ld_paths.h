/* Where installed data lives, with overrides for a build tree. */
#ifndef LD_PATHS_H
#define LD_PATHS_H

/*
 * The migrations directory: $LOANDESK_MIGRATIONS_DIR, else
 * $(pkgdatadir)/migrations when installed, else the source tree's
 * db/migrations (running from a build tree).
 */
const char *ld_paths_migrations(void);

/* $(pkgdatadir) or, in a build tree, the source tree's top directory. */
const char *ld_paths_srcdir(void);

#endif
