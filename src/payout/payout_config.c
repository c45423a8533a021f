#include "config.h"

#include <stddef.h>

#include "payout_config.h"

#define FEN(name, def) \
	{ #name, LD_CONFIG_FEN, offsetof(struct payout_config, name), def, 0, \
	    NULL, NULL }

static const struct ld_config_key keys[] = {
	FEN(per_transfer_max_fen, "2000000"),		/* ¥20,000 */
	FEN(per_user_daily_max_fen, "5000000"),		/* ¥50,000 */
	FEN(merchant_daily_max_fen, "10000000000"),	/* ¥100,000,000 */
	FEN(four_eyes_threshold_fen, "0"),		/* every payout */
	FEN(balance_alert_fen, "100000000"),		/* ¥1,000,000 */
};

const struct ld_config_section payout_config_section = {
	"payout", keys, sizeof keys / sizeof keys[0],
	sizeof(struct payout_config), NULL
};
