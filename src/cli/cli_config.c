/*
 * The sections of loandesk.conf the loandesk program reads ([database],
 * [wxpay], [risk], [payout], [security]), each from its owner.  [daemon]
 * is loandeskd's, which checks it.
 */
#include "config.h"

#include <stdlib.h>

#include "cli.h"
#include "payout_config.h"
#include "wxpay_config.h"

#define NPARTS 6

static void
parts(struct loandesk_config *cfg, struct ld_config_part p[NPARTS])
{
	static const struct ld_config_section daemon =
	    LD_CONFIG_ELSEWHERE("daemon");

	p[0] = (struct ld_config_part){ &ld_db_config_section,
	    &cfg->database };
	p[1] = (struct ld_config_part){ &wx_config_section, &cfg->wxpay };
	p[2] = (struct ld_config_part){ &risk_config_section, &cfg->risk };
	p[3] = (struct ld_config_part){ &payout_config_section,
	    &cfg->payout };
	p[4] = (struct ld_config_part){ &ld_pii_config_section,
	    &cfg->security };
	p[5] = (struct ld_config_part){ &daemon, NULL };
}

enum ld_status
loandesk_config_load(struct loandesk_config *cfg, const char *cli_path,
    struct ld_err *err)
{
	struct ld_config_part p[NPARTS];

	parts(cfg, p);
	return ld_config_load(p, NPARTS, cli_path, &cfg->path, err);
}

void
loandesk_config_free(struct loandesk_config *cfg)
{
	struct ld_config_part p[NPARTS];

	parts(cfg, p);
	ld_config_free(p, NPARTS);
	free(cfg->path);
	cfg->path = NULL;
}
