/*
 * The notifier: delivers the callbacks sim_events.c queued to their
 * notify_url, the resource AEAD-encrypted with the APIv3 key and the body
 * signed with the platform key, and retries anything but a 2xx on the
 * configured schedule (compressed by time_scale), as WeChat Pay retries
 * (pay.weixin.qq.com doc 4012712115).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "ld_alloc.h"
#include "ld_log.h"
#include "sim.h"
#include "wxpay_crypto.h"

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* The callback body: the envelope around the encrypted resource. */
static char *
envelope(struct sim *s, const struct sim_cb_job *j)
{
	struct ld_err err;
	cJSON *env, *res;
	char nonce12[33], *ct = NULL, *body;

	if (wx_random_nonce(nonce12, &err) != LD_OK)
		return NULL;
	nonce12[12] = '\0';
	if (wx_aead_encrypt(s->apiv3_key, nonce12, "mch_payment", j->resource,
	    strlen(j->resource), &ct, &err) != LD_OK) {
		ld_log_error("callback %s: %s", j->id, err.msg);
		return NULL;
	}
	env = cJSON_CreateObject();
	cJSON_AddStringToObject(env, "id", j->id);
	sim_json_add_time(env, "create_time", time(NULL));
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
	return body;
}

static struct curl_slist *
header(struct curl_slist *h, const char *name, const char *value)
{
	char *line = ld_asprintf("%s: %s", name, value);

	h = curl_slist_append(h, line);
	free(line);
	return h;
}

/*
 * Sends one attempt; returns the HTTP status (0 when nothing came back).
 * bad: 1 corrupt the signature, 2 send a WECHATPAY/SIGNTEST/ probe.
 */
static long
deliver(struct sim *s, CURL *curl, const struct sim_cb_job *j, int bad)
{
	struct ld_err err;
	char ts[24], nonce[33], rid[48], *body, *sig = NULL;
	struct curl_slist *hdr = NULL;
	long status = 0;

	if ((body = envelope(s, j)) == NULL)
		return 0;
	if (sim_sign_answer(s, body, strlen(body), 0, ts, nonce, &sig,
	    &err) != LD_OK) {
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
	snprintf(rid, sizeof rid, "cb-%s", j->id);
	hdr = header(hdr, "Wechatpay-Timestamp", ts);
	hdr = header(hdr, "Wechatpay-Nonce", nonce);
	hdr = header(hdr, "Wechatpay-Signature", sig);
	hdr = header(hdr, "Wechatpay-Serial", s->platform_key_id);
	hdr = header(hdr, "Wechatpay-Signature-Type",
	    "WECHATPAY2-SHA256-RSA2048");
	hdr = header(hdr, "Request-ID", rid);
	hdr = header(hdr, "Content-Type", "application/json");
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

/* Logs an attempt and decides what next: done, again later, given up. */
static void
attempted(struct sim *s, struct sim_cb_job *j, long status, int bad)
{
	if (s->ncb_log < SIM_CB_LOG_MAX) {
		struct sim_cb_log *l = &s->cb_log[s->ncb_log++];

		snprintf(l->id, sizeof l->id, "%s", j->id);
		snprintf(l->out_no, sizeof l->out_no, "%s", j->out_no);
		snprintf(l->event_type, sizeof l->event_type, "%s",
		    j->event_type);
		l->attempt = j->attempt;
		l->http_status = status;
		l->bad_signature = bad;
		l->at = time(NULL);
	}
	if (status >= 200 && status < 300) {
		s->cb_delivered++;
		sim_event_free(j);
	} else if (j->attempt + 1 < s->cfg.nretry) {
		j->attempt++;
		j->due_ms = sim_now_ms() + sim_scaled_ms(s,
		    s->cfg.retry_s[j->attempt]);
		sim_event_queue(s, j);
	} else {
		ld_log_warn("callback %s for %s: gave up after %u attempts",
		    j->id, j->out_no, j->attempt + 1);
		sim_event_free(j);
	}
}

static void *
notifier_main(void *arg)
{
	struct sim *s = arg;
	CURL *curl = curl_easy_init();

	if (curl == NULL) {
		ld_log_error("notifier: curl_easy_init failed");
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		struct sim_cb_job *j;
		int64_t wait;
		struct timespec ts;
		int bad = 0;
		long status;

		if ((j = sim_event_take(s, sim_now_ms(), &wait)) != NULL) {
			if (sim_knob_fire(s, &s->faults.cb_signtest))
				bad = 2;
			else if (sim_knob_fire(s, &s->faults.cb_bad_signature))
				bad = 1;
			pthread_mutex_unlock(&s->lock);
			status = deliver(s, curl, j, bad);
			pthread_mutex_lock(&s->lock);
			attempted(s, j, status, bad);
			continue;
		}
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

enum ld_status
sim_notifier_start(struct sim *s, struct ld_err *err)
{
	int e;

	if ((e = pthread_create(&s->notifier, NULL, notifier_main, s)) != 0)
		return ld_err_set(err, LD_EINTERNAL, "pthread_create: %s",
		    strerror(e));
	return LD_OK;
}

void
sim_notifier_stop(struct sim *s)
{
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->notifier, NULL);
}
