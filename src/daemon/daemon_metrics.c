/*
 * The figures of GET /metrics, in the Prometheus text exposition format
 * (version 0.0.4): this daemon's own counters, kept here under one lock,
 * and the engine's state, read from the database at each scrape.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "ld_buf.h"

static const double bucket_le[DAEMON_LATENCY_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
};

void
daemon_metrics_init(struct daemon_metrics *m)
{
	memset(m, 0, sizeof *m);
	pthread_mutex_init(&m->lock, NULL);
}

void
daemon_metrics_destroy(struct daemon_metrics *m)
{
	pthread_mutex_destroy(&m->lock);
}

void
daemon_metrics_attempt(struct daemon_metrics *m,
    const struct core_payout_attempt *a)
{
	size_t i;
	int b;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nattempts; i++)
		if (strcmp(m->attempts[i].exchange, a->exchange) == 0 &&
		    strcmp(m->attempts[i].outcome, a->outcome) == 0 &&
		    strcmp(m->attempts[i].code, a->code) == 0)
			break;
	if (i == m->nattempts && i < DAEMON_METRIC_CODES) {
		snprintf(m->attempts[i].exchange,
		    sizeof m->attempts[i].exchange, "%s", a->exchange);
		snprintf(m->attempts[i].outcome,
		    sizeof m->attempts[i].outcome, "%s", a->outcome);
		snprintf(m->attempts[i].code, sizeof m->attempts[i].code, "%s",
		    a->code);
		m->nattempts++;
	}
	if (i < m->nattempts)
		m->attempts[i].n++;
	else
		m->attempts_other++;
	if (strcmp(a->code, "NOT_SENT") == 0)
		m->not_sent++;
	else if (strcmp(a->code, "LOCAL") == 0 && a->seconds < 0)
		m->refused++;
	if (a->seconds >= 0) {
		for (b = 0; b < DAEMON_LATENCY_BUCKETS; b++)
			if (a->seconds <= bucket_le[b])
				m->latency_le[b]++;
		m->latency_count++;
		m->latency_sum += a->seconds;
	}
	pthread_mutex_unlock(&m->lock);
}

void
daemon_metrics_callback(struct daemon_metrics *m,
    const struct core_payout_callback *cb)
{
	const char *r = cb->result != NULL ? cb->result : "";
	const char *why = cb->reason != NULL ? cb->reason : "";

	pthread_mutex_lock(&m->lock);
	if (strcmp(r, "applied") == 0)
		m->cb_applied++;
	else if (strcmp(r, "kept") == 0)
		m->cb_kept++;
	else if (strcmp(r, "ignored") == 0)
		m->cb_ignored++;
	else if (strcmp(r, "refused") != 0)
		m->cb_failed++;
	else if (strcmp(why, "probe") == 0)
		m->cb_refused_probe++;
	else if (strcmp(why, "stale") == 0)
		m->cb_refused_stale++;
	else if (strcmp(why, "malformed") == 0)
		m->cb_refused_malformed++;
	else if (strcmp(why, "too_large") == 0)
		m->cb_refused_too_large++;
	else
		m->cb_refused_signature++;
	pthread_mutex_unlock(&m->lock);
}

/* A label value, escaped as the format asks (\\, \", \n). */
static void
label(struct ld_buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			ld_buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			ld_buf_puts(b, "\\n");
		else
			ld_buf_append(b, v, 1);
	}
}

static void
head(struct ld_buf *b, const char *name, const char *type, const char *help)
{
	ld_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

static void
gauges(struct ld_buf *b, const struct core_payout_gauges *g)
{
	int i;

	head(b, "loandesk_payouts", "gauge", "Payouts by state.");
	for (i = 0; i < PAYOUT_STATE_COUNT; i++)
		ld_buf_printf(b, "loandesk_payouts{state=\"%s\"} %ld\n",
		    payout_state_sql((enum payout_state)i), g->payouts[i]);
	head(b, "loandesk_transfer_bills", "gauge",
	    "Transfer bills by state.");
	for (i = 0; i < PAYOUT_BILL_STATE_COUNT; i++)
		ld_buf_printf(b, "loandesk_transfer_bills{state=\"%s\"} %ld\n",
		    payout_bill_state_sql((enum payout_bill_state)i),
		    g->bills[i]);
	head(b, "loandesk_payout_oldest_unknown_seconds", "gauge",
	    "Seconds since the oldest bill whose fate is unknown first left "
	    "(0: none).");
	ld_buf_printf(b, "loandesk_payout_oldest_unknown_seconds %.3f\n",
	    g->oldest_unknown_s < 0 ? 0.0 : g->oldest_unknown_s);
	head(b, "loandesk_payouts_paused", "gauge",
	    "1 while the kill switch is on.");
	ld_buf_printf(b, "loandesk_payouts_paused %d\n", g->paused);
	head(b, "loandesk_payout_channel_paused", "gauge",
	    "1 while the channel waits for the balance.");
	ld_buf_printf(b, "loandesk_payout_channel_paused %d\n",
	    g->channel_paused);
	head(b, "loandesk_payout_alerts_open", "gauge",
	    "Payout alerts not cleared.");
	ld_buf_printf(b, "loandesk_payout_alerts_open %ld\n", g->open_alerts);
	if (g->have_balance) {
		head(b, "loandesk_payout_balance_available_fen", "gauge",
		    "The operating account's last reading, available (any "
		    "daemon's).");
		ld_buf_printf(b, "loandesk_payout_balance_available_fen %"
		    PRId64 "\n", g->available_fen);
		head(b, "loandesk_payout_balance_pending_fen", "gauge",
		    "The operating account's last reading, pending.");
		ld_buf_printf(b, "loandesk_payout_balance_pending_fen %" PRId64
		    "\n", g->pending_fen);
		head(b, "loandesk_payout_balance_age_seconds", "gauge",
		    "Seconds since the last balance reading.");
		ld_buf_printf(b, "loandesk_payout_balance_age_seconds %.3f\n",
		    g->balance_age_s);
	}
}

char *
daemon_metrics_render(struct daemon_metrics *m,
    const struct core_payout_gauges *g, int workers_running,
    int workers_configured)
{
	struct ld_buf b;
	size_t i, len;
	int k;

	ld_buf_init(&b, 0);
	head(&b, "loandesk_up", "gauge",
	    "1 when the database answered this scrape.");
	ld_buf_printf(&b, "loandesk_up %d\n", g != NULL);
	if (g != NULL)
		gauges(&b, g);
	head(&b, "loandesk_payout_workers", "gauge",
	    "Payout worker threads running, and configured.");
	ld_buf_printf(&b, "loandesk_payout_workers{state=\"running\"} %d\n"
	    "loandesk_payout_workers{state=\"configured\"} %d\n",
	    workers_running, workers_configured);
	pthread_mutex_lock(&m->lock);
	head(&b, "loandesk_payout_attempts_total", "counter",
	    "Exchanges with WeChat Pay recorded by this daemon, by exchange, "
	    "outcome and code.");
	for (i = 0; i < m->nattempts; i++) {
		ld_buf_puts(&b, "loandesk_payout_attempts_total{exchange=\"");
		label(&b, m->attempts[i].exchange);
		ld_buf_puts(&b, "\",outcome=\"");
		label(&b, m->attempts[i].outcome);
		ld_buf_puts(&b, "\",code=\"");
		label(&b, m->attempts[i].code);
		ld_buf_printf(&b, "\"} %lu\n", m->attempts[i].n);
	}
	if (m->attempts_other > 0)
		ld_buf_printf(&b, "loandesk_payout_attempts_total{exchange="
		    "\"other\",outcome=\"other\",code=\"other\"} %lu\n",
		    m->attempts_other);
	head(&b, "loandesk_wxpay_request_duration_seconds", "histogram",
	    "Time from a request leaving to its answer (or its failure).");
	for (k = 0; k < DAEMON_LATENCY_BUCKETS; k++)
		ld_buf_printf(&b, "loandesk_wxpay_request_duration_seconds_"
		    "bucket{le=\"%g\"} %lu\n", bucket_le[k], m->latency_le[k]);
	ld_buf_printf(&b, "loandesk_wxpay_request_duration_seconds_bucket{le="
	    "\"+Inf\"} %lu\n", m->latency_count);
	ld_buf_printf(&b, "loandesk_wxpay_request_duration_seconds_sum %.6f\n"
	    "loandesk_wxpay_request_duration_seconds_count %lu\n",
	    m->latency_sum, m->latency_count);
	head(&b, "loandesk_payout_callbacks_verified_total", "counter",
	    "Callbacks that verified, by what became of them.");
	ld_buf_printf(&b,
	    "loandesk_payout_callbacks_verified_total{result=\"applied\"} %lu\n"
	    "loandesk_payout_callbacks_verified_total{result=\"kept\"} %lu\n"
	    "loandesk_payout_callbacks_verified_total{result=\"ignored\"} %lu\n"
	    "loandesk_payout_callbacks_verified_total{result=\"failed\"} %lu\n",
	    m->cb_applied, m->cb_kept, m->cb_ignored, m->cb_failed);
	head(&b, "loandesk_payout_callbacks_refused_total", "counter",
	    "Callbacks refused and never applied, by reason.");
	ld_buf_printf(&b,
	    "loandesk_payout_callbacks_refused_total{reason=\"signature\"} %lu\n"
	    "loandesk_payout_callbacks_refused_total{reason=\"probe\"} %lu\n"
	    "loandesk_payout_callbacks_refused_total{reason=\"stale\"} %lu\n"
	    "loandesk_payout_callbacks_refused_total{reason=\"malformed\"} %lu\n"
	    "loandesk_payout_callbacks_refused_total{reason=\"too_large\"} "
	    "%lu\n", m->cb_refused_signature, m->cb_refused_probe,
	    m->cb_refused_stale, m->cb_refused_malformed,
	    m->cb_refused_too_large);
	head(&b, "loandesk_payout_creates_not_sent_total", "counter",
	    "Creates claimed and stored but given back unsent (stop, pause).");
	ld_buf_printf(&b, "loandesk_payout_creates_not_sent_total %lu\n",
	    m->not_sent);
	head(&b, "loandesk_payout_creates_refused_total", "counter",
	    "Creates refused before anything left (held for a person).");
	ld_buf_printf(&b, "loandesk_payout_creates_refused_total %lu\n",
	    m->refused);
	head(&b, "loandesk_payout_rounds_total", "counter",
	    "Claim rounds, and those that failed.");
	ld_buf_printf(&b, "loandesk_payout_rounds_total{result=\"ok\"} %lu\n"
	    "loandesk_payout_rounds_total{result=\"error\"} %lu\n",
	    m->rounds, m->round_errors);
	head(&b, "loandesk_payout_balance_errors_total", "counter",
	    "Balance readings that failed.");
	ld_buf_printf(&b, "loandesk_payout_balance_errors_total %lu\n",
	    m->balance_errors);
	pthread_mutex_unlock(&m->lock);
	return ld_buf_steal(&b, &len);
}
