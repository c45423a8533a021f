/*
 * Load for wxpay-sim through the product's own client: THREADS threads,
 * each with one struct wx_client (one persistent libcurl handle,
 * keep-alive), building and sending transfer-bill creates for SECONDS
 * with wx_transfer_bill_build + wx_transfer_bill_create, as the payout
 * worker does: every request signed, every answer's signature verified
 * and parsed.  The client is configured from the key=value lines
 * wxpay-sim prints at start (SIM_OUT).  Prints one line: requests,
 * failures, elapsed seconds, requests/s.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "ld_alloc.h"
#include "wxpay.h"

struct load_ctx {
	const struct wx_config *cfg;
	double seconds;
	int id;
	long ok, failed;
	char why[512];
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = ld_strdup(v);
}

/* The simulator's trust lines into the [wxpay] configuration. */
static int
load_trust(const char *path, struct wx_config *cfg)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
#define K(k, f) { k, offsetof(struct wx_config, f) }
		K("platform_public_key_file", platform_public_key_file),
		K("platform_key_id", platform_key_id),
		K("apiv3_key_file", apiv3_key_file),
		K("apiv2_key_file", apiv2_key_file),
		K("mchid", mchid),
		K("appid", appid),
		K("merchant_serial", merchant_serial),
		K("merchant_private_key_file", private_key_file),
		K("base_url", base_url),
#undef K
	};
	char line[1024];
	FILE *f = fopen(path, "r");
	size_t i;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		char *eq = strchr(line, '=');

		line[strcspn(line, "\n")] = '\0';
		if (eq == NULL)
			continue;
		*eq = '\0';
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (strcmp(line, keys[i].key) == 0)
				set_str((char **)(void *)((char *)cfg +
				    keys[i].off), eq + 1);
	}
	fclose(f);
	return cfg->base_url != NULL ? 0 : -1;
}

static void *
load_main(void *arg)
{
	struct load_ctx *c = arg;
	struct wx_client *cl = NULL;
	struct ld_err err;
	double end;
	long seq = 0;

	if (wx_client_new(c->cfg, &cl, &err) != LD_OK) {
		snprintf(c->why, sizeof c->why, "wx_client_new: %s", err.msg);
		c->failed++;
		return NULL;
	}
	end = now_s() + c->seconds;
	while (now_s() < end) {
		struct wx_transfer_req r = { 0 };
		struct wx_transfer_bill b;
		struct wx_answer a;
		char no[40], openid[40], *body = NULL;
		enum ld_status st;

		snprintf(no, sizeof no, "BENCH%dN%ld", c->id, seq);
		snprintf(openid, sizeof openid, "o_bench_%d_%ld", c->id, seq);
		seq++;
		r.out_bill_no = no;
		r.openid = openid;
		r.amount_fen = 100;
		r.remark = "\xe6\x94\xbe\xe6\xac\xbe";
		if (wx_transfer_bill_build(cl, &r, &body, &err) != LD_OK) {
			snprintf(c->why, sizeof c->why, "build: %s", err.msg);
			c->failed++;
			break;
		}
		st = wx_transfer_bill_create(cl, body, &b, &a, &err);
		/* Counted only when the product would have taken it. */
		if (st == LD_OK && a.verified &&
		    a.outcome == WX_OUTCOME_PENDING &&
		    b.transfer_bill_no[0] != '\0')
			c->ok++;
		else if (c->failed++ == 0)
			snprintf(c->why, sizeof c->why, "create: %s HTTP %ld "
			    "%s %.200s", ld_status_str(st), a.http_status,
			    a.code, st != LD_OK ? err.msg : a.message);
		wx_transfer_bill_free(&b);
		wx_answer_free(&a);
		free(body);
	}
	wx_client_free(cl);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct load_ctx ctx[16];
	pthread_t th[16];
	struct wx_config cfg;
	long ok = 0, failed = 0;
	double t0, t1, secs;
	char *end1, *end2;
	long n;
	int i;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_wxpay_load SIM_OUT SECONDS "
		    "THREADS\n");
		return 2;
	}
	secs = strtod(argv[2], &end1);
	n = strtol(argv[3], &end2, 10);
	if (*end1 != '\0' || *end2 != '\0' || n < 1 || n > 16 ||
	    !(secs > 0)) {
		fprintf(stderr, "bench_wxpay_load: 1-16 threads, "
		    "seconds > 0\n");
		return 2;
	}
	wx_config_defaults(&cfg);
	cfg.present = 1;
	cfg.mode = LD_WXPAY_V3;
	if (load_trust(argv[1], &cfg) != 0) {
		fprintf(stderr, "bench_wxpay_load: %s: no base_url\n", argv[1]);
		wx_config_free(&cfg);
		return 1;
	}
	set_str(&cfg.transfer_scene_id, "1005");
	set_str(&cfg.transfer_scene_report_infos,
	    "\xe5\xb2\x97\xe4\xbd\x8d\xe7\xb1\xbb\xe5\x9e\x8b:\xe5\xa4\x96"
	    "\xe5\x8c\x85;\xe6\x8a\xa5\xe9\x85\xac\xe8\xaf\xb4\xe6\x98\x8e:"
	    "\xe5\x80\x9f\xe6\xac\xbe\xe5\x8f\x91\xe6\x94\xbe");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		memset(&ctx[i], 0, sizeof ctx[i]);
		ctx[i].cfg = &cfg;
		ctx[i].seconds = secs;
		ctx[i].id = i;
		pthread_create(&th[i], NULL, load_main, &ctx[i]);
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		ok += ctx[i].ok;
		failed += ctx[i].failed;
		if (ctx[i].why[0] != '\0')
			fprintf(stderr, "thread %d: %s\n", i, ctx[i].why);
	}
	t1 = now_s();
	printf("requests=%ld failed=%ld seconds=%.2f rps=%.1f\n", ok, failed,
	    t1 - t0, (double)ok / (t1 - t0));
	wx_config_free(&cfg);
	curl_global_cleanup();
	return failed > 0 ? 1 : 0;
}
