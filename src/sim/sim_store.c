/*
 * The simulator's books: bills, batches, per-user day totals, balances, the
 * fund flow, the state machine that moves bills on with time, and the
 * ledger tests read to prove nothing was paid twice.
 */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/rand.h>

#include "ld_alloc.h"
#include "sim.h"

struct sim_user *
sim_user_get(struct sim *s, const char *openid)
{
	struct sim_user *u = sim_map_get(&s->users, openid);

	if (u == NULL) {
		u = ld_calloc(1, sizeof *u);
		snprintf(u->openid, sizeof u->openid, "%s", openid);
		sim_map_put(&s->users, u->openid, u);
	}
	if (u->day != sim_day(time(NULL))) {
		u->day = sim_day(time(NULL));
		u->day_fen = 0;
		u->day_count = 0;
	}
	return u;
}

void
sim_make_no(struct sim *s, const char *prefix, char *out, size_t size)
{
	struct tm tm;
	time_t bj = time(NULL) + 8 * 3600;
	char t[20];

	gmtime_r(&bj, &tm);
	strftime(t, sizeof t, "%Y%m%d%H%M%S", &tm);
	snprintf(out, size, "%s%s%013" PRIu64, prefix, t, ++s->seq);
}

void
sim_merchant_today(struct sim *s)
{
	long d = sim_day(time(NULL));

	if (d != s->merchant_day) {
		s->merchant_day = d;
		s->merchant_day_fen = 0;
	}
}

void
sim_bill_hold(struct sim *s, struct sim_bill *b)
{
	struct sim_user *u = sim_user_get(s, b->openid);

	s->avail[s->payout_account] -= b->amount;
	s->pending[s->payout_account] += b->amount;
	b->locked = 1;
	u->day_fen += b->amount;
	u->day_count++;
	s->merchant_day_fen += b->amount;
}

void
sim_bill_free(struct sim_bill *b)
{
	if (b == NULL)
		return;
	free(b->remark);
	free(b->notify_url);
	free(b->user_name);
	free(b->package_info);
	free(b);
}

void
sim_bill_add(struct sim *s, struct sim_bill *b)
{
	if (s->nbills == s->capbills) {
		s->capbills = s->capbills ? s->capbills * 2 : 256;
		s->bills = ld_reallocarray(s->bills, s->capbills,
		    sizeof *s->bills);
	}
	s->bills[s->nbills++] = b;
	switch (b->kind) {
	case SIM_KIND_BILL:
		sim_map_put(&s->by_out_bill, b->out_no, b);
		sim_map_put(&s->by_bill_no, b->bill_no, b);
		break;
	case SIM_KIND_DETAIL:
		sim_map_put(&s->by_detail_id, b->bill_no, b);
		break;
	case SIM_KIND_V2:
		sim_map_put(&s->by_v2, b->out_no, b);
		break;
	}
}

void
sim_batch_add(struct sim *s, struct sim_batch *bt)
{
	if (s->nbatches == s->capbatches) {
		s->capbatches = s->capbatches ? s->capbatches * 2 : 16;
		s->batches = ld_reallocarray(s->batches, s->capbatches,
		    sizeof *s->batches);
	}
	s->batches[s->nbatches++] = bt;
	sim_map_put(&s->by_out_batch, bt->out_batch_no, bt);
	sim_map_put(&s->by_batch_id, bt->batch_id, bt);
}

void
sim_bill_schedule(struct sim *s, struct sim_bill *b, int64_t due_ms)
{
	if (!b->in_active && due_ms != 0) {
		b->in_active = 1;
		if (s->nactive == s->capactive) {
			s->capactive = s->capactive ? s->capactive * 2 : 64;
			s->active = ld_reallocarray(s->active, s->capactive,
			    sizeof *s->active);
		}
		s->active[s->nactive++] = b;
	}
	b->due_ms = due_ms;
	/* Wake the ticker only when it would otherwise sleep past this. */
	if (due_ms != 0 && due_ms < s->ticker_next)
		pthread_cond_broadcast(&s->wake);
}

static int
terminal(enum sim_state st)
{
	return st == SIM_SUCCESS || st == SIM_FAIL || st == SIM_CANCELLED;
}

/*
 * Books the money b took from the payout account as a line of the fund
 * flow, with the account's balance after it.
 */
static void
flow_book(struct sim *s, const struct sim_bill *b)
{
	struct sim_flow *f;

	if (s->nflows == s->capflows) {
		s->capflows = s->capflows ? s->capflows * 2 : 256;
		s->flows = ld_reallocarray(s->flows, s->capflows,
		    sizeof *s->flows);
	}
	f = &s->flows[s->nflows++];
	memset(f, 0, sizeof *f);
	f->at = b->update_time;
	f->bill = b;
	f->account = s->payout_account;
	f->balance_after = s->avail[f->account] + s->pending[f->account];
	sim_make_no(s, s->cfg.mchid, f->flow_no, sizeof f->flow_no);
}

void
sim_bill_set_state(struct sim *s, struct sim_bill *b, enum sim_state st,
    const char *fail_reason)
{
	enum sim_account i = s->payout_account;

	if (b->state == st)
		return;
	b->state = st;
	b->update_time = time(NULL);
	/* The reason may already be b's own (a batch detail's, set at
	 * create): copying a string onto itself is undefined. */
	if (st == SIM_FAIL && fail_reason != NULL &&
	    fail_reason != b->fail_reason)
		snprintf(b->fail_reason, sizeof b->fail_reason, "%s",
		    fail_reason);
	if (!terminal(st))
		return;
	/* Settle the held amount: paid out, or back to the balance. */
	if (b->locked) {
		s->pending[i] -= b->amount;
		if (st != SIM_SUCCESS)
			s->avail[i] += b->amount;
		else
			flow_book(s, b);
		b->locked = 0;
	}
	if (st == SIM_SUCCESS) {
		struct sim_user *u = sim_user_get(s, b->openid);

		u->paid_fen += b->amount;
		u->paid_count++;
	} else {
		/* A failed transfer does not use up the day's quota. */
		struct sim_user *u = sim_user_get(s, b->openid);

		if (sim_day(b->create_time) == u->day) {
			u->day_fen -= b->amount;
			u->day_count--;
		}
		if (sim_day(b->create_time) == s->merchant_day)
			s->merchant_day_fen -= b->amount;
	}
	b->due_ms = 0;
	if (b->kind == SIM_KIND_BILL)
		sim_event_bill(s, b);
}

int
sim_bill_confirm(struct sim *s, struct sim_bill *b)
{
	if (b->state != SIM_WAIT_USER_CONFIRM)
		return 0;
	sim_bill_set_state(s, b, SIM_TRANSFERING, NULL);
	sim_bill_schedule(s, b, sim_now_ms() + s->cfg.transfer_ms);
	return 1;
}

void
sim_bill_await_user(struct sim *s, struct sim_bill *b)
{
	int64_t now = sim_now_ms();

	if (s->cfg.confirm_mode == SIM_CONFIRM_AUTO && !b->ignore)
		sim_bill_schedule(s, b, now + s->cfg.confirm_delay_ms);
	else
		sim_bill_schedule(s, b, now +
		    sim_scaled_ms(s, s->cfg.confirm_timeout_s));
}

const struct sim_rule *
sim_rule_match(struct sim *s, const char *api, const char *openid)
{
	size_t i;

	for (i = 0; i < s->faults.nrules; i++) {
		struct sim_rule *r = &s->faults.rules[i];

		if (strcmp(r->api, "any") != 0 && strcmp(r->api, api) != 0)
			continue;
		if (fnmatch(r->openid, openid ? openid : "", 0) != 0)
			continue;
		if (r->when.count == 0 && r->when.bps == 0)
			continue;
		if (sim_knob_fire(s, &r->when))
			return r;
	}
	return NULL;
}

/* One step of a bill whose due time has come; lock held. */
static void
bill_step(struct sim *s, struct sim_bill *b)
{
	b->due_ms = 0;
	switch (b->state) {
	case SIM_ACCEPTED:
	case SIM_PROCESSING:
		sim_bill_set_state(s, b, SIM_WAIT_USER_CONFIRM, NULL);
		sim_bill_await_user(s, b);
		break;
	case SIM_WAIT_USER_CONFIRM:
		if (s->cfg.confirm_mode == SIM_CONFIRM_AUTO && !b->ignore) {
			sim_bill_confirm(s, b);
			return;
		}
		if (s->cfg.expire_cancelled)
			sim_bill_set_state(s, b, SIM_CANCELLED, NULL);
		else
			sim_bill_set_state(s, b, SIM_FAIL, "OVERDUE_CLOSE");
		break;
	case SIM_TRANSFERING:
		sim_bill_set_state(s, b, SIM_SUCCESS, NULL);
		break;
	case SIM_CANCELING:
		sim_bill_set_state(s, b, SIM_CANCELLED, NULL);
		break;
	default:
		break;
	}
}

/* A batch finishes once all its details have; lock held. */
static void
batch_step(struct sim *s, struct sim_batch *bt)
{
	size_t i;

	bt->due_ms = 0;
	snprintf(bt->state, sizeof bt->state, "FINISHED");
	bt->update_time = time(NULL);
	for (i = 0; i < bt->ndetails; i++) {
		struct sim_bill *d = bt->details[i];

		if (!terminal(d->state))
			sim_bill_set_state(s, d, d->fail_reason[0] ? SIM_FAIL :
			    SIM_SUCCESS, d->fail_reason[0] ? d->fail_reason :
			    NULL);
	}
	sim_event_batch(s, bt);
}

static void *
ticker_main(void *arg)
{
	struct sim *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		int64_t now = sim_now_ms(), next = now + 1000;
		struct timespec ts;
		size_t i, j;

		for (i = 0; i < s->nactive; i++) {
			struct sim_bill *b = s->active[i];

			if (b->due_ms != 0 && b->due_ms <= now)
				bill_step(s, b);
		}
		for (i = j = 0; i < s->nactive; i++)
			if (s->active[i]->due_ms != 0) {
				if (s->active[i]->due_ms < next)
					next = s->active[i]->due_ms;
				s->active[j++] = s->active[i];
			} else
				s->active[i]->in_active = 0;
		s->nactive = j;
		for (i = 0; i < s->nbatches; i++) {
			struct sim_batch *bt = s->batches[i];

			if (bt->due_ms != 0 && bt->due_ms <= now)
				batch_step(s, bt);
			else if (bt->due_ms != 0 && bt->due_ms < next)
				next = bt->due_ms;
		}
		s->ticker_next = next;
		clock_gettime(CLOCK_REALTIME, &ts);
		next -= now;
		if (next < 1)
			next = 1;
		ts.tv_sec += next / 1000;
		ts.tv_nsec += (next % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&s->wake, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

enum ld_status
sim_init(struct sim *s, struct ld_err *err)
{
	char *p, *save = NULL, *copy;
	pthread_condattr_t ca;

	/* First, so that sim_free may always follow. */
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	s->cb_log = ld_calloc(SIM_CB_LOG_MAX, sizeof *s->cb_log);
	if (RAND_bytes((unsigned char *)&s->rng, sizeof s->rng) != 1)
		return ld_err_set(err, LD_ECRYPTO, "RAND_bytes failed");
	s->rng |= 1;
	s->faults = s->cfg.faults;
	s->avail[SIM_BASIC] = s->cfg.basic_fen;
	s->avail[SIM_OPERATION] = s->cfg.operation_fen;
	s->avail[SIM_FEES] = s->cfg.fees_fen;
	s->payout_account = strcmp(s->cfg.payout_account, "BASIC") == 0 ?
	    SIM_BASIC : SIM_OPERATION;
	s->merchant_day = sim_day(time(NULL));
	copy = ld_strdup(s->cfg.scenes);
	for (p = strtok_r(copy, ", ", &save); p != NULL;
	    p = strtok_r(NULL, ", ", &save)) {
		s->scenes = ld_reallocarray(s->scenes, s->nscenes + 1,
		    sizeof *s->scenes);
		s->scenes[s->nscenes++] = ld_strdup(p);
	}
	free(copy);
	return LD_OK;
}

enum ld_status
sim_ticker_start(struct sim *s, struct ld_err *err)
{
	int e;

	if ((e = pthread_create(&s->ticker, NULL, ticker_main, s)) != 0)
		return ld_err_set(err, LD_EINTERNAL, "pthread_create: %s",
		    strerror(e));
	return LD_OK;
}

void
sim_ticker_stop(struct sim *s)
{
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->ticker, NULL);
}

void
sim_free(struct sim *s)
{
	size_t i;
	struct sim_cb_job *j, *next;

	for (i = 0; i < s->nbills; i++)
		sim_bill_free(s->bills[i]);
	free(s->bills);
	for (i = 0; i < s->nbatches; i++) {
		free(s->batches[i]->name);
		free(s->batches[i]->remark);
		free(s->batches[i]->notify_url);
		free(s->batches[i]->details);
		free(s->batches[i]);
	}
	free(s->batches);
	for (i = 0; i < s->users.cap; i++)
		if (s->users.keys != NULL && s->users.keys[i] != NULL)
			free(s->users.vals[i]);
	sim_map_free(&s->users);
	sim_map_free(&s->by_out_bill);
	sim_map_free(&s->by_bill_no);
	sim_map_free(&s->by_v2);
	sim_map_free(&s->by_detail_id);
	sim_map_free(&s->by_out_batch);
	sim_map_free(&s->by_batch_id);
	free(s->active);
	for (j = s->cb_queue; j != NULL; j = next) {
		next = j->next;
		sim_event_free(j);
	}
	free(s->flows);
	for (i = 0; i < s->ndownloads; i++)
		free(s->downloads[i].content);
	free(s->cb_log);
	for (i = 0; i < s->nscenes; i++)
		free(s->scenes[i]);
	free(s->scenes);
	free(s->merchant_private_file);
	free(s->platform_cert_pem);
	free(s->tls_cert_pem);
	free(s->tls_ca_pem);
	if (s->tls_key_pem != NULL)
		OPENSSL_cleanse(s->tls_key_pem, strlen(s->tls_key_pem));
	free(s->tls_key_pem);
	EVP_PKEY_free(s->platform_key);
	EVP_PKEY_free(s->merchant_pub);
	OPENSSL_cleanse(s->apiv3_key, sizeof s->apiv3_key);
	OPENSSL_cleanse(s->apiv2_key, sizeof s->apiv2_key);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	sim_config_free(&s->cfg);
}

static const char *
kind_name(enum sim_kind k)
{
	return k == SIM_KIND_BILL ? "transfer_bill" :
	    k == SIM_KIND_DETAIL ? "batch_detail" : "v2_transfer";
}

/* Every bill as the ledger lists it; returns the total paid. */
static int64_t
ledger_bills(struct sim *s, cJSON *bills)
{
	int64_t paid = 0;
	size_t i;

	for (i = 0; i < s->nbills; i++) {
		const struct sim_bill *b = s->bills[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "kind", kind_name(b->kind));
		cJSON_AddStringToObject(o, "out_no", b->out_no);
		cJSON_AddStringToObject(o, "bill_no", b->bill_no);
		if (b->batch != NULL)
			cJSON_AddStringToObject(o, "out_batch_no",
			    b->batch->out_batch_no);
		cJSON_AddStringToObject(o, "openid", b->openid);
		sim_json_add_i64(o, "amount", b->amount);
		cJSON_AddStringToObject(o, "state", sim_state_name(b->state));
		if (b->fail_reason[0] != '\0')
			cJSON_AddStringToObject(o, "fail_reason",
			    b->fail_reason);
		sim_json_add_time(o, "create_time", b->create_time);
		sim_json_add_time(o, "update_time", b->update_time);
		cJSON_AddItemToArray(bills, o);
		if (b->state == SIM_SUCCESS)
			paid += b->amount;
	}
	return paid;
}

/* What each openid was paid, recomputed from the bills. */
static void
ledger_by_openid(struct sim *s, cJSON *users)
{
	struct sim_map seen = { NULL, NULL, 0, 0 };
	int64_t *sum = ld_calloc(s->nbills + 1, sizeof *sum);
	long *count = ld_calloc(s->nbills + 1, sizeof *count);
	const char **who = ld_calloc(s->nbills + 1, sizeof *who);
	size_t nseen = 0, i;

	for (i = 0; i < s->nbills; i++) {
		const struct sim_bill *b = s->bills[i];
		uintptr_t slot;

		if (b->state != SIM_SUCCESS)
			continue;
		slot = (uintptr_t)sim_map_get(&seen, b->openid);
		if (slot == 0) {
			who[nseen] = b->openid;
			slot = ++nseen;
			sim_map_put(&seen, b->openid, (void *)slot);
		}
		sum[slot - 1] += b->amount;
		count[slot - 1]++;
	}
	for (i = 0; i < nseen; i++) {
		cJSON *u = cJSON_AddObjectToObject(users, who[i]);

		sim_json_add_i64(u, "amount", sum[i]);
		cJSON_AddNumberToObject(u, "count", (double)count[i]);
	}
	sim_map_free(&seen);
	free(sum);
	free(count);
	free(who);
}

char *
sim_ledger_json(struct sim *s)
{
	cJSON *root = cJSON_CreateObject(), *acc;
	int64_t paid;
	char *out;
	int i;

	pthread_mutex_lock(&s->lock);
	paid = ledger_bills(s, cJSON_AddArrayToObject(root, "bills"));
	/* Recomputed from the bills, not from the running totals. */
	ledger_by_openid(s, cJSON_AddObjectToObject(root, "paid_by_openid"));
	sim_json_add_i64(root, "paid_total", paid);
	acc = cJSON_AddObjectToObject(root, "accounts");
	for (i = 0; i < SIM_NACCOUNTS; i++) {
		cJSON *a = cJSON_AddObjectToObject(acc,
		    sim_account_name((enum sim_account)i));

		sim_json_add_i64(a, "available_amount", s->avail[i]);
		sim_json_add_i64(a, "pending_amount", s->pending[i]);
	}
	cJSON_AddNumberToObject(root, "fund_flow_lines", (double)s->nflows);
	cJSON_AddNumberToObject(root, "callbacks_delivered",
	    (double)s->cb_delivered);
	pthread_mutex_unlock(&s->lock);
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

char *
sim_callbacks_json(struct sim *s)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	char *out;
	size_t i;

	pthread_mutex_lock(&s->lock);
	arr = cJSON_AddArrayToObject(root, "attempts");
	for (i = 0; i < s->ncb_log; i++) {
		const struct sim_cb_log *l = &s->cb_log[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "id", l->id);
		cJSON_AddStringToObject(o, "out_no", l->out_no);
		cJSON_AddStringToObject(o, "event_type", l->event_type);
		cJSON_AddNumberToObject(o, "attempt", l->attempt);
		cJSON_AddNumberToObject(o, "http_status",
		    (double)l->http_status);
		cJSON_AddBoolToObject(o, "bad_signature", l->bad_signature);
		sim_json_add_time(o, "at", l->at);
		cJSON_AddItemToArray(arr, o);
	}
	pthread_mutex_unlock(&s->lock);
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

char *
sim_faults_json(struct sim *s)
{
	cJSON *root = cJSON_CreateObject(), *rules;
	char *out, name[64];
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < sim_ms_count(); i++) {
		int ms;
		const char *n = sim_ms_name(i, &s->faults, &ms);

		cJSON_AddNumberToObject(root, n, ms);
	}
	for (i = 0; i < sim_knob_count(); i++) {
		const struct sim_knob *k;
		const char *n = sim_knob_name(i, &s->faults, &k);

		snprintf(name, sizeof name, "%s_bps", n);
		cJSON_AddNumberToObject(root, name, k->bps);
		snprintf(name, sizeof name, "%s_count", n);
		cJSON_AddNumberToObject(root, name, k->count);
	}
	rules = cJSON_AddArrayToObject(root, "rules");
	for (i = 0; i < s->faults.nrules; i++) {
		const struct sim_rule *r = &s->faults.rules[i];
		char text[256];

		snprintf(text, sizeof text, "%s openid=%s api=%s bps=%d "
		    "count=%d", r->code, r->openid, r->api, r->when.bps,
		    r->when.count);
		cJSON_AddItemToArray(rules, cJSON_CreateString(text));
	}
	pthread_mutex_unlock(&s->lock);
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}
