/*
 * loandeskd's configuration: its own section, [daemon], and the sections
 * of loandesk.conf it reads or checks, assembled from their owners.
 */
#ifndef LD_DAEMON_CONFIG_H
#define LD_DAEMON_CONFIG_H

#include "ld_config.h"
#include "ld_db_config.h"
#include "ld_pii_config.h"
#include "payout_config.h"
#include "risk_config.h"
#include "wxpay_config.h"

/* [daemon] */
struct daemon_config {
	char *listen;	/* callbacks, /healthz and /metrics */
	int workers;	/* scoring threads */
	int batch_size;	/* applications claimed per transaction */
	int payout_workers; /* payout threads; 0: none */
	int payout_claim;   /* bills claimed per transaction */
	int heartbeat_s;    /* between payout_heartbeat calls */
};

extern const struct ld_config_section daemon_config_section;

struct loandeskd_config {
	char *path;	/* the file read; NULL: defaults */
	struct ld_db_config database;
	struct wx_config wxpay;
	struct risk_config risk;
	struct payout_config payout;
	struct ld_pii_config security;
	struct daemon_config daemon;
};

/*
 * Reads the file (-c FILE, $LOANDESK_CONF or the installed one) as
 * ld_config_load does, every section the daemon uses kept.
 */
enum ld_status loandeskd_config_load(struct loandeskd_config *cfg,
    const char *cli_path, struct ld_err *err);
void loandeskd_config_free(struct loandeskd_config *cfg);

#endif
