#include "config.h"

#include <stddef.h>

#include "ld_pii_config.h"

#define OFF(field) offsetof(struct ld_pii_config, field)

static const struct ld_config_key keys[] = {
	{ "pii_key_file", LD_CONFIG_STR, OFF(pii_key_file), NULL,
	    LD_CONFIG_REQUIRED | LD_CONFIG_SECRET, NULL, NULL },
	{ "blind_index_key_file", LD_CONFIG_STR, OFF(blind_index_key_file),
	    NULL, LD_CONFIG_REQUIRED | LD_CONFIG_SECRET, NULL, NULL },
};

const struct ld_config_section ld_pii_config_section = {
	"security", keys, sizeof keys / sizeof keys[0],
	sizeof(struct ld_pii_config), NULL
};
