/*
 * [payout] of loandesk.conf: the limits payouts are held to.
 *
 * The payout module's section, in libldpayout.a; it depends on nothing
 * but common.
 */
#ifndef LD_PAYOUT_CONFIG_H
#define LD_PAYOUT_CONFIG_H

#include <stdint.h>

#include "ld_config.h"

struct payout_config {
	int64_t per_transfer_max_fen;	/* larger payouts are split */
	int64_t per_user_daily_max_fen;
	int64_t merchant_daily_max_fen;
	int64_t four_eyes_threshold_fen; /* a second approver at or above */
	int64_t balance_alert_fen;
};

extern const struct ld_config_section payout_config_section;

#endif
