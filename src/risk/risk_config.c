#include "config.h"

#include <stddef.h>
#include <string.h>

#include "risk_config.h"

#define OFF(field) offsetof(struct risk_config, field)

static const char *
apr_cap_check(const void *field)
{
	return *(const int *)field > RISK_APR_CAP_MAX_BPS ?
	    "must be at most 3600 (36% by IRR)" : NULL;
}

static const struct ld_config_key keys[] = {
	{ "model_file", LD_CONFIG_STR, OFF(model_file), NULL, 0, NULL, NULL },
	{ "rules_file", LD_CONFIG_STR, OFF(rules_file), NULL, 0, NULL, NULL },
	{ "reason_codes_file", LD_CONFIG_STR, OFF(reason_codes_file), NULL, 0,
	    NULL, NULL },
	/* 3% and 20% */
	{ "approve_max_pd_bps", LD_CONFIG_BPS, OFF(approve_max_pd_bps), "300",
	    0, NULL, NULL },
	{ "reject_min_pd_bps", LD_CONFIG_BPS, OFF(reject_min_pd_bps), "2000",
	    0, NULL, NULL },
	/* ¥50,000 */
	{ "review_amount_fen", LD_CONFIG_FEN, OFF(review_amount_fen),
	    "5000000", 0, NULL, NULL },
	{ "base_points", LD_CONFIG_INT, OFF(base_points), "600", 0, NULL,
	    NULL },
	{ "base_odds", LD_CONFIG_INT, OFF(base_odds), "50", 0, NULL, NULL },
	{ "pdo", LD_CONFIG_INT, OFF(pdo), "20", 0, NULL, NULL },
	{ "thresholds", LD_CONFIG_STR, OFF(thresholds), NULL, 0, NULL, NULL },
	/* About the PDs above on the default scale: 588 is 3%, 527 is 20%. */
	{ "approve_min_points", LD_CONFIG_INT, OFF(approve_min_points), "588",
	    0, NULL, NULL },
	{ "reject_max_points", LD_CONFIG_INT, OFF(reject_max_points), "527",
	    0, NULL, NULL },
	{ "approve_worst_band", LD_CONFIG_BOOL, OFF(approve_worst_band), "no",
	    0, NULL, NULL },
	{ "apr_cap_bps", LD_CONFIG_BPS, OFF(apr_cap_bps), "2400", 0, NULL,
	    apr_cap_check },
};

static enum ld_status
check(void *conf, const struct ld_config_at *at, struct ld_err *err)
{
	const struct risk_config *c = conf;
	int a, r;

	if (c->approve_max_pd_bps >= c->reject_min_pd_bps) {
		a = ld_config_line(at, "approve_max_pd_bps");
		r = ld_config_line(at, "reject_min_pd_bps");
		/* The later of the two is the one that broke the order. */
		return ld_config_fail(at, a > r ? a : r, err, LD_EINVAL,
		    "[risk] approve_max_pd_bps (%d) must be below "
		    "reject_min_pd_bps (%d)", c->approve_max_pd_bps,
		    c->reject_min_pd_bps);
	}
	if (c->thresholds != NULL &&
	    strcmp(c->thresholds, "probability") != 0 &&
	    strcmp(c->thresholds, "points") != 0)
		return ld_config_fail(at, ld_config_line(at, "thresholds"),
		    err, LD_EINVAL, "[risk] thresholds must be probability or "
		    "points, not \"%s\"", c->thresholds);
	if (c->reject_max_points >= c->approve_min_points) {
		a = ld_config_line(at, "approve_min_points");
		r = ld_config_line(at, "reject_max_points");
		return ld_config_fail(at, a > r ? a : r, err, LD_EINVAL,
		    "[risk] reject_max_points (%d) must be below "
		    "approve_min_points (%d)", c->reject_max_points,
		    c->approve_min_points);
	}
	return LD_OK;
}

const struct ld_config_section risk_config_section = {
	"risk", keys, sizeof keys / sizeof keys[0],
	sizeof(struct risk_config), check
};

void
risk_config_defaults(struct risk_config *cfg)
{
	const struct ld_config_part part = { &risk_config_section, cfg };
	struct ld_err err;

	(void)ld_config_defaults(&part, 1, &err);
}

void
risk_config_free(struct risk_config *cfg)
{
	const struct ld_config_part part = { &risk_config_section, cfg };

	ld_config_free(&part, 1);
}
