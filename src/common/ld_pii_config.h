/*
 * [security] of loandesk.conf: the key files that seal personal data and
 * compute its blind index (ld_pii.h).  Both are required when the section
 * is present; each must be a regular file no one but its owner may
 * access.  While a key rotation runs, previous_pii_key_files names the
 * sealing keys rows may still be under, checked the same way.
 */
#ifndef LD_PII_CONFIG_H
#define LD_PII_CONFIG_H

#include "ld_config.h"

struct ld_pii_config {
	char *pii_key_file, *blind_index_key_file;
	/* Comma-separated sealing keys being rotated from; NULL: none. */
	char *previous_pii_key_files;
};

/* How many previous sealing keys a reader holds beside the current one. */
#define LD_PII_PREVIOUS_MAX 3

extern const struct ld_config_section ld_pii_config_section;

/*
 * Splits a previous_pii_key_files value in place at its commas, dropping
 * the blanks around each name, into paths[0..max).  Returns how many (0
 * for a blank value), or -1 for an empty name or more than max names.
 */
int ld_pii_config_split(char *list, char **paths, int max);

#endif
