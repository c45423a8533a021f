/*
 * [security] of loandesk.conf: the key files that seal personal data and
 * compute its blind index (ld_pii.h).  Both are required when the section
 * is present; each must be a regular file no one but its owner may
 * access.
 */
#ifndef LD_PII_CONFIG_H
#define LD_PII_CONFIG_H

#include "ld_config.h"

struct ld_pii_config {
	char *pii_key_file, *blind_index_key_file;
};

extern const struct ld_config_section ld_pii_config_section;

#endif
