/*
 * loandeskd's configuration: its own section, [daemon], and the sections
 * of loandesk.conf it reads or checks, assembled from their owners.
 */
#ifndef LD_DAEMON_CONFIG_H
#define LD_DAEMON_CONFIG_H

#include "ld_config.h"
#include "ld_db_config.h"
#include "risk_config.h"

/* [daemon] */
struct daemon_config {
	char *listen;	/* callbacks, /healthz and /metrics */
	int workers;	/* scoring threads */
	int batch_size;	/* applications claimed per transaction */
};

extern const struct ld_config_section daemon_config_section;

struct loandeskd_config {
	char *path;	/* the file read; NULL: defaults */
	struct ld_db_config database;
	struct risk_config risk;
	struct daemon_config daemon;
};

/*
 * Reads the file (-c FILE, $LOANDESK_CONF or the installed one) as
 * ld_config_load does; [wxpay], [payout] and [security] are checked too,
 * so the daemon refuses a file that another program would.
 */
enum ld_status loandeskd_config_load(struct loandeskd_config *cfg,
    const char *cli_path, struct ld_err *err);
void loandeskd_config_free(struct loandeskd_config *cfg);

#endif
