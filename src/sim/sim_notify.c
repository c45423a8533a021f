/*
 * Callbacks: MCHTRANSFER.BILL.FINISHED (and .BATCH.FINISHED) to the bill's
 * notify_url, the resource AEAD-encrypted with the APIv3 key and the body
 * signed with the platform key, retried on anything but 2xx on the
 * documented schedule (compressed by time_scale).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/rand.h>

#include "ld_alloc.h"
#include "ld_log.h"
#include "sim.h"
#include "wxpay_crypto.h"

enum ld_status
sim_sign_answer(struct sim *s, const char *body, size_t len, char ts[24],
    char nonce[33], char **signature, struct ld_err *err)
{
	char *msg;
	size_t mlen;
	enum ld_status st;

	snprintf(ts, 24, "%lld", (long long)time(NULL));
	if (wx_random_nonce(nonce, err) != LD_OK)
		return err->code;
	msg = wx_v3_response_message_len(ts, nonce, body, len, &mlen);
	st = wx_rsa_sign_b64(s->platform_key, msg, mlen, signature, err);
	free(msg);
	return st;
}

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

static void
queue_job(struct sim *s, struct sim_cb_job *j)
{
	j->next = s->cb_queue;
	s->cb_queue = j;
	pthread_cond_broadcast(&s->wake);
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

static void
job_free(struct sim_cb_job *j)
{
	if (j == NULL)
		return;
	free(j->url);
	free(j->event_type);
	free(j->summary);
	free(j->resource);
	free(j);
}

/* Queues the event, with the callback faults applied; lock held. */
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
		queue_job(s, d);
	}
	queue_job(s, j);
}

static void
add_i64(cJSON *o, const char *name, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%" PRId64, v);
	cJSON_AddRawToObject(o, name, buf);
}

void
sim_notify_bill(struct sim *s, const struct sim_bill *b)
{
	cJSON *r;
	char t[32], *text;

	if (b->notify_url == NULL || b->notify_url[0] == '\0')
		return;
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "out_bill_no", b->out_no);
	cJSON_AddStringToObject(r, "transfer_bill_no", b->bill_no);
	cJSON_AddStringToObject(r, "state", sim_state_name(b->state));
	cJSON_AddStringToObject(r, "mch_id", s->cfg.mchid);
	add_i64(r, "transfer_amount", b->amount);
	cJSON_AddStringToObject(r, "openid", b->openid);
	if (b->state == SIM_FAIL)
		cJSON_AddStringToObject(r, "fail_reason", b->fail_reason);
	sim_rfc3339(b->create_time, t);
	cJSON_AddStringToObject(r, "create_time", t);
	sim_rfc3339(b->update_time, t);
	cJSON_AddStringToObject(r, "update_time", t);
	text = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
	enqueue(s, b->notify_url, "MCHTRANSFER.BILL.FINISHED",
	    "商家转账单据终态通知", b->out_no, text);
}

void
sim_notify_batch(struct sim *s, const struct sim_batch *bt)
{
	cJSON *r;
	char t[32], *text;
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
	add_i64(r, "total_amount", bt->total_amount);
	cJSON_AddNumberToObject(r, "success_num", (double)ok);
	add_i64(r, "success_amount", ok_amt);
	cJSON_AddNumberToObject(r, "fail_num", (double)fail);
	add_i64(r, "fail_amount", fail_amt);
	sim_rfc3339(bt->update_time, t);
	cJSON_AddStringToObject(r, "update_time", t);
	text = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
	enqueue(s, bt->notify_url, "MCHTRANSFER.BATCH.FINISHED",
	    "商家转账批次完成通知", bt->out_batch_no, text);
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/*
 * Sends one attempt; returns the HTTP status (0 when nothing came back).
 * bad: 1 corrupt the signature, 2 send a WECHATPAY/SIGNTEST/ probe.
 */
static long
deliver(struct sim *s, CURL *curl, const struct sim_cb_job *j, int bad)
{
	struct ld_err err;
	cJSON *env, *res;
	char nonce12[33], ts[24], nonce[33], t[32], *ct = NULL, *body = NULL;
	char *sig = NULL, *h;
	struct curl_slist *hdr = NULL;
	long status = 0;

	if (wx_random_nonce(nonce12, &err) != LD_OK)
		return 0;
	nonce12[12] = '\0';
	if (wx_aead_encrypt(s->apiv3_key, nonce12, "mch_payment", j->resource,
	    strlen(j->resource), &ct, &err) != LD_OK) {
		ld_log_error("callback %s: %s", j->id, err.msg);
		return 0;
	}
	env = cJSON_CreateObject();
	cJSON_AddStringToObject(env, "id", j->id);
	sim_rfc3339(time(NULL), t);
	cJSON_AddStringToObject(env, "create_time", t);
	cJSON_AddStringToObject(env, "resource_type", "encrypt-resource");
	cJSON_AddStringToObject(env, "event_type", j->event_type);
	cJSON_AddStringToObject(env, "summary", j->summary);
	res = cJSON_AddObjectToObject(env, "resource");
	cJSON_AddStringToObject(res, "original_type", "mch_payment");
	cJSON_AddStringToObject(res, "algorithm", "AEAD_AES_256_GCM");
	cJSON_AddStringToObject(res, "ciphertext", ct);
	cJSON_AddStringToObject(res, "associated_data", "mch_payment");
	cJSON_AddStringToObject(res, "nonce", nonce12);
	body = cJSON_PrintUnformatted(env);
	cJSON_Delete(env);
	free(ct);
	if (sim_sign_answer(s, body, strlen(body), ts, nonce, &sig, &err) !=
	    LD_OK) {
		ld_log_error("callback %s: %s", j->id, err.msg);
		free(body);
		return 0;
	}
	if (bad == 1) {
		/* Still base64 of the right length; just not ours. */
		sig[10] = sig[10] == 'A' ? 'B' : 'A';
		sig[11] = sig[11] == 'A' ? 'B' : 'A';
	} else if (bad == 2) {
		char *probe = ld_asprintf("WECHATPAY/SIGNTEST/%s", sig + 19);

		free(sig);
		sig = probe;
	}
	h = ld_asprintf("Wechatpay-Timestamp: %s", ts);
	hdr = curl_slist_append(hdr, h);
	free(h);
	h = ld_asprintf("Wechatpay-Nonce: %s", nonce);
	hdr = curl_slist_append(hdr, h);
	free(h);
	h = ld_asprintf("Wechatpay-Signature: %s", sig);
	hdr = curl_slist_append(hdr, h);
	free(h);
	h = ld_asprintf("Wechatpay-Serial: %s", s->platform_key_id);
	hdr = curl_slist_append(hdr, h);
	free(h);
	hdr = curl_slist_append(hdr,
	    "Wechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048");
	h = ld_asprintf("Request-ID: cb-%s", j->id);
	hdr = curl_slist_append(hdr, h);
	free(h);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(curl, CURLOPT_URL, j->url);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, s->cfg.callback_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
	    s->cfg.callback_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "wxpay-sim/" PACKAGE_VERSION);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	free(sig);
	free(body);
	return status;
}

void *
sim_notify_main(void *arg)
{
	struct sim *s = arg;
	CURL *curl = curl_easy_init();

	if (curl == NULL) {
		ld_log_error("notifier: curl_easy_init failed");
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		struct sim_cb_job **pp, **best = NULL, *j;
		int64_t now = sim_now_ms(), wait = 1000;
		struct timespec ts;
		int bad = 0;
		long status;

		for (pp = &s->cb_queue; *pp != NULL; pp = &(*pp)->next)
			if (best == NULL || (*pp)->due_ms < (*best)->due_ms)
				best = pp;
		if (best != NULL && (*best)->due_ms <= now) {
			j = *best;
			*best = j->next;
			j->next = NULL;
			if (sim_knob_fire(s, &s->faults.cb_signtest))
				bad = 2;
			else if (sim_knob_fire(s, &s->faults.cb_bad_signature))
				bad = 1;
			pthread_mutex_unlock(&s->lock);
			status = deliver(s, curl, j, bad);
			pthread_mutex_lock(&s->lock);
			if (s->ncb_log < SIM_CB_LOG_MAX) {
				struct sim_cb_log *l = &s->cb_log[s->ncb_log++];

				snprintf(l->id, sizeof l->id, "%s", j->id);
				snprintf(l->out_no, sizeof l->out_no, "%s",
				    j->out_no);
				snprintf(l->event_type, sizeof l->event_type,
				    "%s", j->event_type);
				l->attempt = j->attempt;
				l->http_status = status;
				l->bad_signature = bad;
				l->at = time(NULL);
			}
			if (status >= 200 && status < 300) {
				s->cb_delivered++;
				job_free(j);
			} else if (j->attempt + 1 < s->cfg.nretry) {
				j->attempt++;
				j->due_ms = sim_now_ms() + sim_scaled_ms(s,
				    s->cfg.retry_s[j->attempt]);
				queue_job(s, j);
			} else {
				ld_log_warn("callback %s for %s: gave up after "
				    "%u attempts", j->id, j->out_no,
				    j->attempt + 1);
				job_free(j);
			}
			continue;
		}
		if (best != NULL)
			wait = (*best)->due_ms - now;
		if (wait > 1000)
			wait = 1000;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += wait / 1000;
		ts.tv_nsec += (wait % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&s->wake, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);
	curl_easy_cleanup(curl);
	return NULL;
}
