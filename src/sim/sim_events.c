/*
 * The callbacks waiting to go out: MCHTRANSFER.BILL.FINISHED when a bill
 * ends (SUCCESS, FAIL, CANCELLED) and MCHTRANSFER.BATCH.FINISHED when a
 * batch does (pay.weixin.qq.com doc 4012712115; docs/wxpay-api.md).  The
 * books queue them here with the callback faults applied; sim_notify.c
 * delivers them.  Callers hold the lock.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/rand.h>

#include "ld_alloc.h"
#include "sim.h"

static void
uuid4(char out[37])
{
	unsigned char r[16];

	if (RAND_bytes(r, sizeof r) != 1)
		memset(r, 0x5a, sizeof r);
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
}

void
sim_event_queue(struct sim *s, struct sim_cb_job *j)
{
	j->next = s->cb_queue;
	s->cb_queue = j;
	pthread_cond_broadcast(&s->wake);
}

void
sim_event_free(struct sim_cb_job *j)
{
	if (j == NULL)
		return;
	free(j->url);
	free(j->event_type);
	free(j->summary);
	free(j->resource);
	free(j);
}

struct sim_cb_job *
sim_event_take(struct sim *s, int64_t now, int64_t *wait_ms)
{
	struct sim_cb_job **pp, **best = NULL, *j;

	for (pp = &s->cb_queue; *pp != NULL; pp = &(*pp)->next)
		if (best == NULL || (*pp)->due_ms < (*best)->due_ms)
			best = pp;
	if (best == NULL || (*best)->due_ms > now) {
		*wait_ms = best != NULL ? (*best)->due_ms - now : INT64_MAX;
		return NULL;
	}
	j = *best;
	*best = j->next;
	j->next = NULL;
	*wait_ms = 0;
	return j;
}

static struct sim_cb_job *
job_copy(const struct sim_cb_job *j)
{
	struct sim_cb_job *c = ld_calloc(1, sizeof *c);

	*c = *j;
	c->url = ld_strdup(j->url);
	c->event_type = ld_strdup(j->event_type);
	c->summary = ld_strdup(j->summary);
	c->resource = ld_strdup(j->resource);
	c->next = NULL;
	return c;
}

/* Queues the event, with the callback faults applied. */
static void
enqueue(struct sim *s, const char *url, const char *event,
    const char *summary, const char *out_no, char *resource)
{
	struct sim_cb_job *j = ld_calloc(1, sizeof *j);

	uuid4(j->id);
	j->url = ld_strdup(url);
	j->event_type = ld_strdup(event);
	j->summary = ld_strdup(summary);
	j->resource = resource;
	snprintf(j->out_no, sizeof j->out_no, "%s", out_no);
	j->due_ms = sim_now_ms() + sim_scaled_ms(s, s->cfg.retry_s[0]);
	if (sim_knob_fire(s, &s->faults.cb_reorder))
		j->due_ms += s->faults.cb_reorder_ms;
	if (sim_knob_fire(s, &s->faults.cb_duplicate)) {
		/* The same notification id twice, as WeChat does. */
		struct sim_cb_job *d = job_copy(j);

		d->due_ms += 1;
		sim_event_queue(s, d);
	}
	sim_event_queue(s, j);
}

void
sim_event_bill(struct sim *s, const struct sim_bill *b)
{
	cJSON *r;
	char *text;

	if (b->notify_url == NULL || b->notify_url[0] == '\0')
		return;
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "out_bill_no", b->out_no);
	cJSON_AddStringToObject(r, "transfer_bill_no", b->bill_no);
	cJSON_AddStringToObject(r, "state", sim_state_name(b->state));
	cJSON_AddStringToObject(r, "mch_id", s->cfg.mchid);
	sim_json_add_i64(r, "transfer_amount", b->amount);
	cJSON_AddStringToObject(r, "openid", b->openid);
	if (b->state == SIM_FAIL)
		cJSON_AddStringToObject(r, "fail_reason", b->fail_reason);
	sim_json_add_time(r, "create_time", b->create_time);
	sim_json_add_time(r, "update_time", b->update_time);
	text = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
	enqueue(s, b->notify_url, "MCHTRANSFER.BILL.FINISHED",
	    "商家转账单据终态通知", b->out_no, text);
}

void
sim_event_batch(struct sim *s, const struct sim_batch *bt)
{
	cJSON *r;
	char *text;
	int64_t ok_amt = 0, fail_amt = 0;
	long ok = 0, fail = 0;
	size_t i;

	if (bt->notify_url == NULL || bt->notify_url[0] == '\0')
		return;
	for (i = 0; i < bt->ndetails; i++) {
		if (bt->details[i]->state == SIM_SUCCESS) {
			ok++;
			ok_amt += bt->details[i]->amount;
		} else {
			fail++;
			fail_amt += bt->details[i]->amount;
		}
	}
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "mchid", s->cfg.mchid);
	cJSON_AddStringToObject(r, "out_batch_no", bt->out_batch_no);
	cJSON_AddStringToObject(r, "batch_id", bt->batch_id);
	cJSON_AddStringToObject(r, "batch_status", bt->state);
	cJSON_AddNumberToObject(r, "total_num", bt->total_num);
	sim_json_add_i64(r, "total_amount", bt->total_amount);
	cJSON_AddNumberToObject(r, "success_num", (double)ok);
	sim_json_add_i64(r, "success_amount", ok_amt);
	cJSON_AddNumberToObject(r, "fail_num", (double)fail);
	sim_json_add_i64(r, "fail_amount", fail_amt);
	sim_json_add_time(r, "update_time", bt->update_time);
	text = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
	enqueue(s, bt->notify_url, "MCHTRANSFER.BATCH.FINISHED",
	    "商家转账批次完成通知", bt->out_batch_no, text);
}
