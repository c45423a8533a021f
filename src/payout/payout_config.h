/*
 * [payout] of loandesk.conf: the limits payouts are held to, and how the
 * engine names, splits, leases and watches them.
 *
 * The payout module's section; it depends on nothing but common (and
 * payout.h's own rules for the values).  The database keeps its own
 * settings of the same names (0020), which the engine reads; these are
 * what loandesk.conf says they should be.
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
	/* No bill is smaller: WeChat Pay's minimum transfer (0.1 yuan). */
	int64_t min_transfer_fen;
	/* Starts every out_bill_no and out_batch_no: 1 to 4 letters. */
	char *out_bill_prefix;
	int payout_lease_s;	/* a claimed bill is its claimer's so long */
	int balance_poll_s;	/* between reads of the payout account */
};

extern const struct ld_config_section payout_config_section;

#endif
