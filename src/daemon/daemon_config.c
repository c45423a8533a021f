#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include "daemon_config.h"

#define OFF(field) offsetof(struct daemon_config, field)

static const char *
at_least_one(const void *field)
{
	return *(const int *)field < 1 ? "must be at least 1" : NULL;
}

static const char *
payout_workers_check(const void *field)
{
	return *(const int *)field > 64 ? "must be at most 64" : NULL;
}

static const char *
claim_check(const void *field)
{
	int v = *(const int *)field;

	return v < 1 || v > 1000 ? "must be 1 to 1000" : NULL;
}

static const struct ld_config_key keys[] = {
	{ "listen", LD_CONFIG_STR, OFF(listen), "127.0.0.1:8480", 0, NULL,
	    NULL },
	{ "workers", LD_CONFIG_INT, OFF(workers), "2", 0, NULL,
	    at_least_one },
	{ "batch_size", LD_CONFIG_INT, OFF(batch_size), "64", 0, NULL,
	    at_least_one },
	{ "payout_workers", LD_CONFIG_INT, OFF(payout_workers), "2", 0, NULL,
	    payout_workers_check },
	{ "payout_claim", LD_CONFIG_INT, OFF(payout_claim), "16", 0, NULL,
	    claim_check },
	{ "heartbeat_s", LD_CONFIG_INT, OFF(heartbeat_s), "5", 0, NULL,
	    at_least_one },
};

const struct ld_config_section daemon_config_section = {
	"daemon", keys, sizeof keys / sizeof keys[0],
	sizeof(struct daemon_config), NULL
};

#define NPARTS 6

static void
parts(struct loandeskd_config *cfg, struct ld_config_part p[NPARTS])
{
	p[0] = (struct ld_config_part){ &ld_db_config_section,
	    &cfg->database };
	p[1] = (struct ld_config_part){ &wx_config_section, &cfg->wxpay };
	p[2] = (struct ld_config_part){ &risk_config_section, &cfg->risk };
	p[3] = (struct ld_config_part){ &payout_config_section,
	    &cfg->payout };
	p[4] = (struct ld_config_part){ &ld_pii_config_section,
	    &cfg->security };
	p[5] = (struct ld_config_part){ &daemon_config_section,
	    &cfg->daemon };
}

enum ld_status
loandeskd_config_load(struct loandeskd_config *cfg, const char *cli_path,
    struct ld_err *err)
{
	struct ld_config_part p[NPARTS];

	parts(cfg, p);
	return ld_config_load(p, NPARTS, cli_path, &cfg->path, err);
}

void
loandeskd_config_free(struct loandeskd_config *cfg)
{
	struct ld_config_part p[NPARTS];

	parts(cfg, p);
	ld_config_free(p, NPARTS);
	free(cfg->path);
	cfg->path = NULL;
}
