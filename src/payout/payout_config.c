#include "config.h"

#include <stddef.h>

#include "ld_money.h"
#include "payout.h"
#include "payout_config.h"

#define OFF(field) offsetof(struct payout_config, field)
#define FEN(name, def) \
	{ #name, LD_CONFIG_FEN, OFF(name), def, 0, NULL, NULL }

static const char *
at_least_one(const void *field)
{
	return *(const int *)field < 1 ? "must be at least 1" : NULL;
}

static const char *
at_least_one_fen(const void *field)
{
	return *(const int64_t *)field < 1 ? "must be at least 1" : NULL;
}

static const struct ld_config_key keys[] = {
	FEN(per_transfer_max_fen, "2000000"),		/* ¥20,000 */
	FEN(per_user_daily_max_fen, "5000000"),		/* ¥50,000 */
	FEN(merchant_daily_max_fen, "10000000000"),	/* ¥100,000,000 */
	FEN(four_eyes_threshold_fen, "0"),		/* every payout */
	FEN(balance_alert_fen, "100000000"),		/* ¥1,000,000 */
	{ "min_transfer_fen", LD_CONFIG_FEN, OFF(min_transfer_fen), "10", 0,
	    NULL, at_least_one_fen },
	{ "out_bill_prefix", LD_CONFIG_STR, OFF(out_bill_prefix), "LD", 0,
	    NULL, NULL },
	{ "payout_lease_s", LD_CONFIG_INT, OFF(payout_lease_s), "120", 0,
	    NULL, at_least_one },
	{ "balance_poll_s", LD_CONFIG_INT, OFF(balance_poll_s), "60", 0,
	    NULL, at_least_one },
};

/* What payout.h's rules would refuse later, refused at the file's line. */
static enum ld_status
check(void *conf, const struct ld_config_at *at, struct ld_err *err)
{
	const struct payout_config *c = conf;
	struct ld_err e;
	int a, b;

	ld_err_clear(&e);
	if (payout_prefix_check(c->out_bill_prefix, &e) != LD_OK)
		return ld_config_fail(at, ld_config_line(at, "out_bill_prefix"),
		    err, LD_EINVAL, "[payout] %s", e.msg);
	/* payout_split's own bound: a remainder can always borrow. */
	if (c->per_transfer_max_fen < 2 * c->min_transfer_fen ||
	    c->per_transfer_max_fen > LD_FEN_MAX) {
		a = ld_config_line(at, "per_transfer_max_fen");
		b = ld_config_line(at, "min_transfer_fen");
		return ld_config_fail(at, a > b ? a : b, err, LD_EINVAL,
		    "[payout] per_transfer_max_fen (%lld) must be at least "
		    "twice min_transfer_fen (%lld) and at most %lld",
		    (long long)c->per_transfer_max_fen,
		    (long long)c->min_transfer_fen, (long long)LD_FEN_MAX);
	}
	return LD_OK;
}

const struct ld_config_section payout_config_section = {
	"payout", keys, sizeof keys / sizeof keys[0],
	sizeof(struct payout_config), check
};
