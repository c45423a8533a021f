/*
 * The configuration every program reads: an INI file parsed with inih.
 *
 * Where it comes from: `-c FILE`, else $LOANDESK_CONF, else
 * $(sysconfdir)/loandesk/loandesk.conf when it exists; with no file the
 * defaults apply and the database comes from the PG* variables, as with psql.
 * Unknown sections or keys, malformed values and missing required keys are
 * errors that name file:line and key.  Key files readable by group or others
 * are refused.
 */
#ifndef LD_CONFIG_H
#define LD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "ld_err.h"

struct ld_buf;

enum ld_wxpay_mode {
	LD_WXPAY_V3 = 0,      /* 商家转账 transfer bills */
	LD_WXPAY_V2,          /* legacy 企业付款到零钱 */
	LD_WXPAY_BATCHES      /* 商家转账到零钱 batches */
};

struct ld_config {
	char *path; /* the file loaded, NULL when running on defaults */

	struct {
		char *conninfo;      /* "" means the PG* environment */
		char *read_conninfo; /* replica for long lists; "" = conninfo */
	} database;

	struct {
		int present; /* the file had a [wxpay] section */
		enum ld_wxpay_mode mode;
		char *mchid, *appid, *merchant_serial;
		char *private_key_file;
		char *platform_public_key_file, *platform_key_id;
		char *platform_cert_file, *platform_cert_serial;
		char *apiv3_key_file, *apiv2_key_file, *client_cert_p12;
		char *ca_file, *base_url, *notify_url;
		char *transfer_scene_id;
		char *user_recv_perception;
		char *transfer_scene_report_infos; /* "type:content;type:content" */
		long connect_timeout_ms, timeout_ms;
	} wxpay;

	struct {
		char *model_file, *rules_file, *reason_codes_file;
		int approve_max_pd_bps; /* auto-approve at or below this PD */
		int reject_min_pd_bps;  /* auto-reject at or above this PD */
		int64_t review_amount_fen; /* larger requests always get a human */
		int base_points, base_odds, pdo;
		char *thresholds;       /* "probability" (default) or "points" */
		int approve_min_points; /* with thresholds = points */
		int reject_max_points;
	} risk;

	struct {
		int64_t per_transfer_max_fen, per_user_daily_max_fen;
		int64_t merchant_daily_max_fen, four_eyes_threshold_fen;
		int64_t balance_alert_fen;
	} payout;

	struct {
		char *pii_key_file, *blind_index_key_file;
	} security;

	struct {
		char *listen;
		int workers;
		int batch_size;
	} daemon;
};

/* Fills cfg with the built-in defaults (no file). */
void ld_config_defaults(struct ld_config *cfg);

/*
 * Resolves the file as described above (cli_path may be NULL), loads it over
 * the defaults and validates it.  On failure cfg is left holding defaults
 * only and err says file:line and key.
 */
enum ld_status ld_config_load(struct ld_config *cfg, const char *cli_path,
    struct ld_err *err);

/*
 * ld_config_load with another installed directory in place of
 * $(sysconfdir): looks for sysconfdir/loandesk/loandesk.conf.
 */
enum ld_status ld_config_load_from(struct ld_config *cfg,
    const char *cli_path, const char *sysconfdir, struct ld_err *err);

/* Loads exactly this file (no search). */
enum ld_status ld_config_load_file(struct ld_config *cfg, const char *path,
    struct ld_err *err);

void ld_config_free(struct ld_config *cfg);

/*
 * Refuses a secret file that is missing, not a regular file, or readable or
 * writable by group or others, naming its path and mode.
 */
enum ld_status ld_config_check_key_file(const char *path, struct ld_err *err);

/*
 * Reads a secret file into b (initialised by the caller) after the same
 * checks, made on the descriptor it reads from, so that the file checked
 * is the file read even if the path is swapped in between.
 */
enum ld_status ld_config_read_key_file(const char *path, struct ld_buf *b,
    struct ld_err *err);

/*
 * The keys the file may hold, in the loader's order: fills section and name
 * of the i-th and returns 1, or returns 0 past the last.  The sample
 * configuration is checked against this list.
 */
int ld_config_key_at(size_t i, const char **section, const char **name);

/* The directory the installed configuration lives in. */
const char *ld_config_sysconfdir(void);

#endif
