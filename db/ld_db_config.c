#include "config.h"

#include <stddef.h>

#include "ld_db_config.h"

#define OFF(field) offsetof(struct ld_db_config, field)

static const struct ld_config_key keys[] = {
	{ "conninfo", LD_CONFIG_STR, OFF(conninfo), "", 0, NULL, NULL },
	{ "read_conninfo", LD_CONFIG_STR, OFF(read_conninfo), "", 0, NULL,
	    NULL },
};

const struct ld_config_section ld_db_config_section = {
	"database", keys, sizeof keys / sizeof keys[0],
	sizeof(struct ld_db_config), NULL
};
