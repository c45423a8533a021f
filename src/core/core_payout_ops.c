/*
 * The rest of the daemon's payout work: callbacks, the balance, the
 * heartbeat, the figures /metrics and /healthz show, and the settings
 * check at start.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "core_payout_engine.h"
#include "ld_alloc.h"
#include "ld_db.h"

#define PROBE_PREFIX "WECHATPAY/SIGNTEST/"

/* Callbacks ------------------------------------------------------------- */

static void
cb_set(struct core_payout_callback *out, int status, const char *result,
    const char *reason, const char *message)
{
	out->http_status = status;
	out->result = result;
	out->reason = reason;
	snprintf(out->message, sizeof out->message, "%s", message);
}

/*
 * Why a callback that failed verification failed, for the count: a
 * probe (WeChat Pay checking that we verify), a timestamp outside the
 * window, or anything else about the signature.
 */
static const char *
refusal_reason(const struct wx_signed_headers *h)
{
	long long ts;
	char *end;

	if (h->signature != NULL && strncmp(h->signature, PROBE_PREFIX,
	    strlen(PROBE_PREFIX)) == 0)
		return "probe";
	if (h->timestamp != NULL && h->timestamp[0] != '\0') {
		ts = strtoll(h->timestamp, &end, 10);
		if (*end == '\0' && (ts > (long long)time(NULL) + 300 ||
		    ts < (long long)time(NULL) - 300))
			return "stale";
	}
	return "signature";
}

void
core_payout_callback(struct ld_db *db, struct wx_client *c,
    const struct wx_signed_headers *h, const void *body, size_t len,
    struct core_payout_callback *out)
{
	struct wx_notify n;
	struct wx_transfer_bill bill;
	const struct wx_code_class *cls = NULL;
	enum payout_bill_state s;
	struct ld_err err;
	enum ld_status st;
	cJSON *o;
	char *pbill = NULL, *logged, *js;
	const char *p[5];
	PGresult *res;

	memset(out, 0, sizeof *out);
	memset(&bill, 0, sizeof bill);
	ld_err_clear(&err);
	if (len > CORE_PAYOUT_CALLBACK_MAX) {
		cb_set(out, 413, "refused", "too_large", "body too large");
		return;
	}
	/* Verification comes first: nothing unverified is decrypted. */
	st = wx_client_open_notify(c, h, body, len, &n, &err);
	if (st != LD_OK) {
		cb_set(out, st == LD_ECRYPTO ? 401 : 400, "refused",
		    st == LD_ECRYPTO ? refusal_reason(h) : "malformed",
		    err.msg);
		wx_notify_free(&n);
		return;
	}
	snprintf(out->event_id, sizeof out->event_id, "%s",
	    n.id != NULL ? n.id : "");
	if (n.event_type != NULL && strncmp(n.event_type,
	    "MCHTRANSFER.BATCH.", 18) == 0) {
		/* Batches are followed by query (docs/wxpay-api.md,
		 * "Batches: queries"): taken, nothing to apply. */
		cb_set(out, 204, "ignored", "", "batch event: followed by "
		    "query");
		wx_notify_free(&n);
		return;
	}
	st = wx_transfer_bill_from_json(n.plaintext, n.plaintext_len, &bill,
	    &cls, &err);
	if (st != LD_OK || !payout_bill_state_of_answer(cls, &s)) {
		/* Verified, so WeChat Pay's: try again later rather than
		 * drop what may be news about money. */
		cb_set(out, 500, "failed", "", st != LD_OK ? err.msg :
		    "a state this daemon does not know");
		wx_transfer_bill_free(&bill);
		wx_notify_free(&n);
		return;
	}
	snprintf(out->out_bill_no, sizeof out->out_bill_no, "%s",
	    bill.out_bill_no);
	snprintf(out->state, sizeof out->state, "%s",
	    payout_bill_state_sql(s));
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "out_bill_no", bill.out_bill_no);
	cJSON_AddStringToObject(o, "transfer_bill_no", bill.transfer_bill_no);
	cJSON_AddStringToObject(o, "state", bill.state);
	if (bill.fail_reason[0] != '\0')
		cJSON_AddStringToObject(o, "fail_reason", bill.fail_reason);
	if (bill.update_time[0] != '\0')
		cJSON_AddStringToObject(o, "update_time", bill.update_time);
	if (bill.openid[0] != '\0')
		cJSON_AddStringToObject(o, "openid", bill.openid);
	if (bill.transfer_amount >= 0) {
		char buf[32];

		snprintf(buf, sizeof buf, "%" PRId64, bill.transfer_amount);
		cJSON_AddRawToObject(o, "transfer_amount", buf);
	}
	js = cJSON_PrintUnformatted(o);
	pbill = ld_strdup(js);
	cJSON_free(js);
	cJSON_Delete(o);
	logged = core_payout_redact(n.plaintext, n.plaintext_len);
	p[0] = bill.out_bill_no;
	p[1] = out->state;
	p[2] = pbill;
	p[3] = out->event_id[0] ? out->event_id : NULL;
	p[4] = logged;
	st = ld_db_exec(db, "SELECT api.payout_callback($1, $2, $3::jsonb, "
	    "$4, $5)", 5, p, &res, &err);
	if (st == LD_OK) {
		int moved = strcmp(PQgetvalue(res, 0, 0), out->state) == 0;

		cb_set(out, 204, moved ? "applied" : "kept", "", moved ?
		    "applied" : PQgetvalue(res, 0, 0));
		PQclear(res);
	} else if (st == LD_ENOTFOUND)
		/* Not a bill of ours: answering otherwise would have it
		 * sent again for days. */
		cb_set(out, 204, "ignored", "", err.msg);
	else
		cb_set(out, 500, "failed", "", err.msg);
	free(pbill);
	free(logged);
	wx_transfer_bill_free(&bill);
	wx_notify_free(&n);
}

/* Balance, heartbeat ------------------------------------------------------ */

enum ld_status
core_payout_balance_read(struct ld_db *db, struct wx_client *c,
    const char *worker, struct core_payout_balance *b, struct wx_answer *ans,
    struct ld_err *err)
{
	char av[24], pe[24];
	const char *p[4] = { worker, "OPERATION", av, pe };
	PGresult *res;
	enum ld_status st;

	memset(b, 0, sizeof *b);
	b->available_fen = b->pending_fen = -1;
	if ((st = wx_balance_query(c, "OPERATION", &b->available_fen,
	    &b->pending_fen, ans, err)) != LD_OK)
		return st;
	snprintf(av, sizeof av, "%" PRId64, b->available_fen);
	snprintf(pe, sizeof pe, "%" PRId64, b->pending_fen);
	if ((st = ld_db_exec(db, "SELECT api.payout_balance_record($1, $2, "
	    "$3::bigint, $4::bigint)", 4, p, &res, err)) != LD_OK)
		return st;
	snprintf(b->channel, sizeof b->channel, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return LD_OK;
}

enum ld_status
core_payout_heartbeat(struct ld_db *db, const char *worker,
    const char *info_json, struct ld_err *err)
{
	const char *p[2] = { worker, info_json };
	PGresult *res;
	enum ld_status st;

	st = ld_db_exec(db, "SELECT api.payout_heartbeat($1, $2::jsonb)", 2,
	    p, &res, err);
	if (st == LD_OK)
		PQclear(res);
	return st;
}

/* Figures ----------------------------------------------------------------- */

enum ld_status
core_payout_gauges_read(struct ld_db *db, struct core_payout_gauges *g,
    struct ld_err *err)
{
	PGresult *res;
	enum ld_status st;
	int i;

	memset(g, 0, sizeof *g);
	g->oldest_unknown_s = -1;
	if ((st = ld_db_exec(db, "SELECT 'p', state, count(*) FROM payouts "
	    "GROUP BY state UNION ALL SELECT 'b', state, count(*) FROM "
	    "transfer_bills GROUP BY state", 0, NULL, &res, err)) != LD_OK)
		return st;
	for (i = 0; i < PQntuples(res); i++) {
		const char *state = PQgetvalue(res, i, 1);
		long n = strtol(PQgetvalue(res, i, 2), NULL, 10);
		int k;

		if (PQgetvalue(res, i, 0)[0] == 'p') {
			if ((k = payout_state_from_sql(state)) >= 0)
				g->payouts[k] = n;
		} else if ((k = payout_bill_state_from_sql(state)) >= 0)
			g->bills[k] = n;
	}
	PQclear(res);
	/*
	 * The oldest unknown bill counts from when it first left: since
	 * then we may not know whether money moved.
	 */
	if ((st = ld_db_exec(db, "SELECT c.paused, c.channel_paused, "
	    "(SELECT extract(epoch FROM now() - min(first_sent_at)) FROM "
	    "transfer_bills WHERE state = 'unknown'), r.available_fen, "
	    "r.pending_fen, extract(epoch FROM now() - r.at), "
	    "(SELECT count(*) FROM payout_alerts WHERE cleared_at IS NULL) "
	    "FROM payout_control c LEFT JOIN LATERAL (SELECT * FROM "
	    "payout_balance_readings ORDER BY at DESC, id DESC LIMIT 1) r "
	    "ON true", 0, NULL, &res, err)) != LD_OK)
		return st;
	if (PQntuples(res) == 1) {
		g->paused = PQgetvalue(res, 0, 0)[0] == 't';
		g->channel_paused = PQgetvalue(res, 0, 1)[0] == 't';
		if (!PQgetisnull(res, 0, 2))
			g->oldest_unknown_s = strtod(PQgetvalue(res, 0, 2),
			    NULL);
		if (!PQgetisnull(res, 0, 3)) {
			g->have_balance = 1;
			g->available_fen = strtoll(PQgetvalue(res, 0, 3), NULL,
			    10);
			g->pending_fen = PQgetisnull(res, 0, 4) ? 0 :
			    strtoll(PQgetvalue(res, 0, 4), NULL, 10);
			g->balance_age_s = strtod(PQgetvalue(res, 0, 5), NULL);
		}
		g->open_alerts = strtol(PQgetvalue(res, 0, 6), NULL, 10);
	}
	PQclear(res);
	return LD_OK;
}

/* Settings ----------------------------------------------------------------- */

enum ld_status
core_payout_settings_diff(struct ld_db *db, const struct payout_config *pc,
    int apr_cap_bps, void (*differ)(void *arg, const char *key,
    const char *config, const char *database), void *arg, int *n,
    struct ld_err *err)
{
	struct {
		const char *key;
		char value[64];
	} want[] = {
		{ "per_transfer_max_fen", "" },
		{ "per_user_daily_max_fen", "" },
		{ "merchant_daily_max_fen", "" },
		{ "four_eyes_threshold_fen", "" },
		{ "balance_alert_fen", "" },
		{ "min_transfer_fen", "" },
		{ "out_bill_prefix", "" },
		{ "payout_lease_s", "" },
		{ "apr_cap_bps", "" },
	};
	size_t i, nw = sizeof want / sizeof want[0];
	PGresult *res;
	enum ld_status st;

	*n = 0;
	snprintf(want[0].value, 64, "%" PRId64, pc->per_transfer_max_fen);
	snprintf(want[1].value, 64, "%" PRId64, pc->per_user_daily_max_fen);
	snprintf(want[2].value, 64, "%" PRId64, pc->merchant_daily_max_fen);
	snprintf(want[3].value, 64, "%" PRId64, pc->four_eyes_threshold_fen);
	snprintf(want[4].value, 64, "%" PRId64, pc->balance_alert_fen);
	snprintf(want[5].value, 64, "%" PRId64, pc->min_transfer_fen);
	snprintf(want[6].value, 64, "%s", pc->out_bill_prefix != NULL ?
	    pc->out_bill_prefix : "");
	snprintf(want[7].value, 64, "%d", pc->payout_lease_s);
	snprintf(want[8].value, 64, "%d", apr_cap_bps);
	if ((st = ld_db_exec(db, "SELECT key, value #>> '{}' FROM settings",
	    0, NULL, &res, err)) != LD_OK)
		return st;
	for (i = 0; i < nw; i++) {
		const char *have = NULL;
		int r;

		for (r = 0; r < PQntuples(res); r++)
			if (strcmp(PQgetvalue(res, r, 0), want[i].key) == 0)
				have = PQgetisnull(res, r, 1) ? "" :
				    PQgetvalue(res, r, 1);
		if (have != NULL && strcmp(have, want[i].value) == 0)
			continue;
		(*n)++;
		if (differ != NULL)
			differ(arg, want[i].key, want[i].value,
			    have != NULL ? have : "(missing)");
	}
	PQclear(res);
	return LD_OK;
}
