#include "config.h"

#include <stddef.h>

#include "ld_db_config.h"

#define OFF(field) offsetof(struct ld_db_config, field)

static const char *
lock_wait_check(const void *field)
{
	int s = *(const int *)field;

	return s < 1 || s > LD_DB_LOCK_WAIT_MAX_S ?
	    "must be from 1 to 86400 seconds" : NULL;
}

static const struct ld_config_key keys[] = {
	{ "conninfo", LD_CONFIG_STR, OFF(conninfo), "", 0, NULL, NULL },
	{ "read_conninfo", LD_CONFIG_STR, OFF(read_conninfo), "", 0, NULL,
	    NULL },
	{ "migrate_lock_wait_s", LD_CONFIG_INT, OFF(migrate_lock_wait_s), "30",
	    0, NULL, lock_wait_check },
};

const struct ld_config_section ld_db_config_section = {
	"database", keys, sizeof keys / sizeof keys[0],
	sizeof(struct ld_db_config), NULL
};
