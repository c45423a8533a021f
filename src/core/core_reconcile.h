/*
 * Daily reconciliation: WeChat Pay's fund-flow bill of a Beijing day
 * against the bills that succeeded here (docs/payouts.md,
 * "Reconciliation").  The bill is fetched, its download checked against
 * the SHA1 of the signed answer, parsed (amounts from yuan text to fen,
 * exactly) and handed to api.reconcile_run, which matches it, opens a
 * finance review per mismatch and audits the run in one transaction; a
 * file whose SHA1 or format is wrong goes to api.reconcile_refuse instead,
 * and nothing is matched.
 *
 * It needs the merchant's key (the bill requests are signed), so it runs
 * where loandeskd runs, with its configuration, as a role that may call
 * api.reconcile_run (loandesk_daemon or loandesk_finance).
 */
#ifndef LD_CORE_RECONCILE_H
#define LD_CORE_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "ld_err.h"

struct ld_db;
struct wx_client;

/* One difference between the file and our bills. */
struct core_reconcile_mismatch {
	char kind[32];		/* amount_differs, paid_there_not_here,
				 * succeeded_here_not_there */
	char out_bill_no[64];	/* "" when the line names none */
	char wechat_no[128];	/* "" when unknown */
	int64_t our_fen;	/* what succeeded here; -1: nothing did */
	int64_t their_fen;	/* what WeChat Pay paid; -1: no line */
	int64_t payout_id;	/* 0 when it is no bill of ours */
	int64_t review_id;	/* the finance review it is in */
};

struct core_reconcile_result {
	char bill_date[11];
	char account_type[16];
	int no_statement;	/* WeChat Pay had none: nothing moved there */
	int refused;		/* the file was refused and recorded so */
	char file_sha1[41];	/* "" without a file */
	int64_t run_id;		/* the run recorded, done or refused */
	int64_t supersedes;	/* the day's earlier run, 0 when none */
	long lines, matched;
	long paid_there_not_here, succeeded_here_not_there, amount_differs;
	long reviews_opened, reviews_carried, reviews_closed;
	struct core_reconcile_mismatch *mismatches;
	size_t nmismatches;
};

/* The run's mismatches, all kinds. */
long core_reconcile_mismatches(const struct core_reconcile_result *r);

/*
 * Reconciles account_type (NULL: OPERATION) for bill_date (YYYY-MM-DD)
 * with one call of api.reconcile_run, or of api.reconcile_refuse, on db.
 * LD_OK: the run is recorded in *res (a day WeChat Pay has no statement
 * for runs with no lines, no_statement set).  A file whose SHA1 differs
 * (LD_ECRYPTO) or that is not the format (LD_EPROTO) is recorded as
 * refused, res->refused set and res->run_id the refused run, and nothing
 * is matched; err says why, naming the line and field.  Otherwise
 * (res->refused 0) nothing is recorded:
 * WeChat Pay still making the bill (LD_ECONFLICT), refusing the request
 * (LD_EINVAL, its code in err), no trustworthy answer (the client's
 * status), the database's refusal (ld_db's).  Free *res with
 * core_reconcile_result_free in every case.
 */
enum ld_status core_reconcile_day(struct ld_db *db, struct wx_client *wx,
    const char *bill_date, const char *account_type,
    struct core_reconcile_result *res, struct ld_err *err);

void core_reconcile_result_free(struct core_reconcile_result *r);

#endif
