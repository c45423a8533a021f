/*
 * Load for wxpay-sim: THREADS threads, each with one persistent libcurl
 * handle (keep-alive), sending signed transfer-bill creates for SECONDS and
 * verifying every answer's platform signature, as the payout worker does.
 * Prints one line: requests, failures, elapsed seconds, requests/s.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "wxpay/wxpay_crypto.h"

struct load_ctx {
	const char *base_url;
	const char *mchid, *appid, *serial, *key_id;
	EVP_PKEY *key, *platform;
	double seconds;
	int id;
	long ok, failed;
};

struct answer {
	struct ld_buf body;
	char ts[32], nonce[64], sig[1024], serial[160];
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
copy_hdr(char *dst, size_t size, const char *p, size_t len, size_t skip)
{
	size_t n = len - skip;

	while (n > 0 && (p[skip + n - 1] == '\r' || p[skip + n - 1] == '\n'))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(dst, p + skip, n);
	dst[n] = '\0';
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n;

	if (len > 21 && strncasecmp(p, "Wechatpay-Timestamp: ", 21) == 0)
		copy_hdr(a->ts, sizeof a->ts, p, len, 21);
	else if (len > 17 && strncasecmp(p, "Wechatpay-Nonce: ", 17) == 0)
		copy_hdr(a->nonce, sizeof a->nonce, p, len, 17);
	else if (len > 21 && strncasecmp(p, "Wechatpay-Signature: ", 21) == 0)
		copy_hdr(a->sig, sizeof a->sig, p, len, 21);
	else if (len > 18 && strncasecmp(p, "Wechatpay-Serial: ", 18) == 0)
		copy_hdr(a->serial, sizeof a->serial, p, len, 18);
	return len;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;

	return ld_buf_append(&a->body, p, size * n) == LD_OK ? size * n : 0;
}

static void *
load_main(void *arg)
{
	struct load_ctx *c = arg;
	const char *path = "/v3/fund-app/mch-transfer/transfer-bills";
	CURL *curl = curl_easy_init();
	char url[256];
	double end = now_s() + c->seconds;
	long seq = 0;

	snprintf(url, sizeof url, "%s%s", c->base_url, path);
	while (curl != NULL && now_s() < end) {
		struct curl_slist *h = NULL;
		struct answer a;
		struct ld_err err;
		char ts[24], nonce[33], *body, *auth = NULL, *hv, *msg;
		size_t mlen;
		long status = 0;
		int good = 0;

		body = ld_asprintf("{\"appid\":\"%s\",\"out_bill_no\":"
		    "\"BENCH%dN%ld\",\"transfer_scene_id\":\"1005\","
		    "\"openid\":\"o_bench_%d_%ld\",\"transfer_amount\":100,"
		    "\"transfer_remark\":\"放款\","
		    "\"transfer_scene_report_infos\":[{\"info_type\":"
		    "\"岗位类型\",\"info_content\":\"外包\"},{\"info_type\":"
		    "\"报酬说明\",\"info_content\":\"借款发放\"}]}", c->appid,
		    c->id, seq, c->id, seq);
		seq++;
		snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
		if (wx_random_nonce(nonce, &err) != LD_OK ||
		    wx_v3_authorization(c->key, c->mchid, c->serial, "POST",
		    path, ts, nonce, body, &auth, &err) != LD_OK) {
			fprintf(stderr, "sign: %s\n", err.msg);
			free(body);
			break;
		}
		hv = ld_asprintf("Authorization: %s", auth);
		h = curl_slist_append(h, hv);
		h = curl_slist_append(h, "Content-Type: application/json");
		h = curl_slist_append(h, "Accept: application/json");
		h = curl_slist_append(h, "Expect:");
		memset(&a, 0, sizeof a);
		ld_buf_init(&a.body, 65536);
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
		    (long)strlen(body));
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(curl, CURLOPT_HEADERDATA, &a);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_USERAGENT, "bench_wxpay_load");
		if (curl_easy_perform(curl) == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE,
			    &status);
		if (status == 200 && strcmp(a.serial, c->key_id) == 0) {
			msg = wx_v3_response_message_len(a.ts, a.nonce,
			    a.body.data ? a.body.data : "", a.body.len, &mlen);
			good = wx_rsa_verify_b64(c->platform, msg, mlen, a.sig,
			    &err) == LD_OK;
			free(msg);
		}
		if (good)
			c->ok++;
		else {
			if (c->failed++ < 3)
				fprintf(stderr, "request failed: HTTP %ld "
				    "%.200s\n", status,
				    a.body.data ? a.body.data : "");
		}
		ld_buf_free(&a.body);
		curl_slist_free_all(h);
		free(hv);
		free(auth);
		free(body);
	}
	curl_easy_cleanup(curl);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct load_ctx ctx[16];
	pthread_t th[16];
	EVP_PKEY *key = NULL, *platform = NULL;
	struct ld_err err;
	long ok = 0, failed = 0;
	double t0, t1, secs;
	int n, i;

	if (argc != 10) {
		fprintf(stderr, "usage: bench_wxpay_load BASE_URL MCHID APPID "
		    "MERCHANT_KEY MERCHANT_SERIAL PLATFORM_PUB PLATFORM_KEY_ID "
		    "SECONDS THREADS\n");
		return 2;
	}
	secs = atof(argv[8]);
	n = atoi(argv[9]);
	if (n < 1 || n > 16 || secs <= 0) {
		fprintf(stderr, "bench_wxpay_load: 1-16 threads, "
		    "seconds > 0\n");
		return 2;
	}
	if (wx_load_private_key(argv[4], &key, &err) != LD_OK ||
	    wx_load_public_key(argv[6], &platform, &err) != LD_OK) {
		fprintf(stderr, "bench_wxpay_load: %s\n", err.msg);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		memset(&ctx[i], 0, sizeof ctx[i]);
		ctx[i].base_url = argv[1];
		ctx[i].mchid = argv[2];
		ctx[i].appid = argv[3];
		ctx[i].serial = argv[5];
		ctx[i].key_id = argv[7];
		ctx[i].key = key;
		ctx[i].platform = platform;
		ctx[i].seconds = secs;
		ctx[i].id = i;
		pthread_create(&th[i], NULL, load_main, &ctx[i]);
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		ok += ctx[i].ok;
		failed += ctx[i].failed;
	}
	t1 = now_s();
	printf("requests=%ld failed=%ld seconds=%.2f rps=%.1f\n", ok, failed,
	    t1 - t0, (double)ok / (t1 - t0));
	EVP_PKEY_free(key);
	EVP_PKEY_free(platform);
	curl_global_cleanup();
	return failed > 0 ? 1 : 0;
}
