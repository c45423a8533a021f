/*
 * [risk] of loandesk.conf: the model, rules and reason-code files, the
 * policy's thresholds (risk_policy.h), the points scale (risk_model.h)
 * and the APR cap.
 */
#ifndef LD_RISK_CONFIG_H
#define LD_RISK_CONFIG_H

#include <stdint.h>

#include "ld_config.h"

struct risk_config {
	char *model_file, *rules_file, *reason_codes_file;
	int approve_max_pd_bps; /* auto-approve at or below this PD */
	int reject_min_pd_bps;  /* auto-reject at or above this PD */
	int64_t review_amount_fen; /* larger requests always get a human */
	int base_points, base_odds, pdo;
	char *thresholds;       /* "probability" (NULL too) or "points" */
	int approve_min_points; /* with thresholds = points */
	int reject_max_points;
	/* The policy may approve in the worst band (risk_policy.h). */
	int approve_worst_band;
	/*
	 * The APR cap by IRR in basis points, never above 3600 (the 36%
	 * line, which the database's loan_apr_cap_check holds whatever its
	 * settings say).
	 */
	int apr_cap_bps;
};

/* The highest [risk] apr_cap_bps: 36% by IRR. */
#define RISK_APR_CAP_MAX_BPS 3600

extern const struct ld_config_section risk_config_section;

/* The defaults alone, for callers without a file (tests, tools). */
void risk_config_defaults(struct risk_config *cfg);
void risk_config_free(struct risk_config *cfg);

#endif
