#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "ld_paths.h"

#ifndef LD_PKGDATADIR
#define LD_PKGDATADIR "/usr/share/loandesk"
#endif
#ifndef LD_SRCDIR
#define LD_SRCDIR "."
#endif

static int
is_dir(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

const char *
ld_paths_migrations(void)
{
	static char buf[4096];
	const char *env = getenv("LOANDESK_MIGRATIONS_DIR");

	if (env != NULL && env[0] != '\0')
		return env;
	snprintf(buf, sizeof buf, "%s/migrations", LD_PKGDATADIR);
	if (is_dir(buf))
		return buf;
	snprintf(buf, sizeof buf, "%s/db/migrations", LD_SRCDIR);
	return buf;
}

const char *
ld_paths_srcdir(void)
{
	return LD_SRCDIR;
}
