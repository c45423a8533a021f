#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "ld_pii_config.h"

#define OFF(field) offsetof(struct ld_pii_config, field)

static const struct ld_config_key keys[] = {
	{ "pii_key_file", LD_CONFIG_STR, OFF(pii_key_file), NULL,
	    LD_CONFIG_REQUIRED | LD_CONFIG_SECRET, NULL, NULL },
	{ "blind_index_key_file", LD_CONFIG_STR, OFF(blind_index_key_file),
	    NULL, LD_CONFIG_REQUIRED | LD_CONFIG_SECRET, NULL, NULL },
	/* A list, so its files are checked below rather than as one. */
	{ "previous_pii_key_files", LD_CONFIG_STR,
	    OFF(previous_pii_key_files), NULL, 0, NULL, NULL },
};

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

int
ld_pii_config_split(char *list, char **paths, int max)
{
	char *p = list, *end, *comma;
	int n = 0;

	if (p[strspn(p, " \t")] == '\0')
		return 0;	/* "key =": none */
	for (;;) {
		comma = strchr(p, ',');
		end = comma != NULL ? comma : p + strlen(p);
		while (end > p && blank(end[-1]))
			end--;
		while (p < end && blank(*p))
			p++;
		if (p == end || n == max)
			return -1;
		*end = '\0';
		paths[n++] = p;
		if (comma == NULL)
			return n;
		p = comma + 1;
	}
}

/* Each previous key file is held to what pii_key_file is. */
static enum ld_status
check(void *conf, const struct ld_config_at *at, struct ld_err *err)
{
	const struct ld_pii_config *c = conf;
	char *copy, *paths[LD_PII_PREVIOUS_MAX], msg[LD_ERR_MSG_MAX];
	int line = ld_config_line(at, "previous_pii_key_files"), n, i;
	enum ld_status st = LD_OK;

	if (c->previous_pii_key_files == NULL)
		return LD_OK;
	copy = ld_strdup(c->previous_pii_key_files);
	n = ld_pii_config_split(copy, paths, LD_PII_PREVIOUS_MAX);
	if (n < 0)
		st = ld_config_fail(at, line, err, LD_EINVAL, "[security] "
		    "previous_pii_key_files must name 1 to %d key files, "
		    "separated by commas", LD_PII_PREVIOUS_MAX);
	for (i = 0; st == LD_OK && i < n; i++) {
		if ((st = ld_config_check_key_file(paths[i], err)) != LD_OK) {
			memcpy(msg, err->msg, sizeof msg);
			st = ld_config_fail(at, line, err, st, "[security] "
			    "previous_pii_key_files: %s", msg);
		}
	}
	free(copy);
	return st;
}

const struct ld_config_section ld_pii_config_section = {
	"security", keys, sizeof keys / sizeof keys[0],
	sizeof(struct ld_pii_config), check
};
