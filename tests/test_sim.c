/*
 * wxpay-sim end to end over loopback: the real binary on a free port in a
 * temporary state directory, requests signed with the wxpay crypto code
 * (and once with the openssl CLI, an independent signer), answers and
 * callbacks verified against the platform key the simulator printed.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <microhttpd.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_test.h"
#include "wxpay/wxpay_crypto.h"

static char tmpdir[256];
static char sim_bin[512];
static pid_t sim_pid = -1;
static char base_url[128];
static char platform_pub_path[512], platform_key_id[160];
static char merchant_key_path[512], merchant_serial[160];
static char apiv2_key[64];
static unsigned char apiv3_key[32];
static EVP_PKEY *merchant_key, *platform_pub;
static CURL *curl;
/* Transport faults need a new connection: on a reused one that dies
 * before answering, libcurl silently retries the request. */
static int fresh_connection;
/* One more request header, e.g. Wechatpay-Serial; NULL for none. */
static const char *extra_header;
static const char *mchid = "1900000001";
static const char *appid = "wxd930ea5d5a258f4f";

/* The callback listener: records what arrives, fails on request. */
struct cb_seen {
	char *body;
	char ts[32], nonce[64], serial[160];
	char sig[1024];
};
static struct MHD_Daemon *cb_mhd;
static unsigned cb_port;
static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cb_seen cb_seen[64];
static size_t cb_n;
static int cb_fail_next;

struct resp {
	CURLcode cc;
	long status;
	struct ld_buf body;
	char ts[32], nonce[64], serial[160], sig[1024];
	char allow[64];
};

#define TB "/v3/fund-app/mch-transfer/transfer-bills"

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
copy_hdr(char *dst, size_t size, const char *line, size_t n, size_t skip)
{
	size_t len = n - skip;

	while (len > 0 && (line[skip + len - 1] == '\r' ||
	    line[skip + len - 1] == '\n'))
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(dst, line + skip, len);
	dst[len] = '\0';
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = size * n;

	if (len > 21 && strncasecmp(p, "Wechatpay-Timestamp: ", 21) == 0)
		copy_hdr(r->ts, sizeof r->ts, p, len, 21);
	else if (len > 17 && strncasecmp(p, "Wechatpay-Nonce: ", 17) == 0)
		copy_hdr(r->nonce, sizeof r->nonce, p, len, 17);
	else if (len > 18 && strncasecmp(p, "Wechatpay-Serial: ", 18) == 0)
		copy_hdr(r->serial, sizeof r->serial, p, len, 18);
	else if (len > 21 && strncasecmp(p, "Wechatpay-Signature: ", 21) == 0)
		copy_hdr(r->sig, sizeof r->sig, p, len, 21);
	else if (len > 7 && strncasecmp(p, "Allow: ", 7) == 0)
		copy_hdr(r->allow, sizeof r->allow, p, len, 7);
	return len;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;

	return ld_buf_append(&r->body, p, size * n) == LD_OK ? size * n : 0;
}

enum sign_mode { UNSIGNED, SIGNED, SIGNED_OTHER_BODY, SIGNED_STALE };

/*
 * One request over the persistent handle.  body NULL: no body.  The
 * caller frees r->body with ld_buf_free.
 */
static void
call(const char *method, const char *path, const char *body,
    enum sign_mode mode, long timeout_ms, struct resp *r)
{
	struct curl_slist *h = NULL;
	char url[512], ts[24], nonce[33], *auth = NULL, *hv;
	struct ld_err err;

	memset(r, 0, sizeof *r);
	ld_buf_init(&r->body, 4 * 1024 * 1024);
	snprintf(url, sizeof url, "%s%s", base_url, path);
	if (mode != UNSIGNED) {
		snprintf(ts, sizeof ts, "%lld", (long long)time(NULL) -
		    (mode == SIGNED_STALE ? 400 : 0));
		CU_ASSERT_EQUAL_FATAL(wx_random_nonce(nonce, &err), LD_OK);
		CU_ASSERT_EQUAL_FATAL(wx_v3_authorization(merchant_key, mchid,
		    merchant_serial, method, path, ts, nonce,
		    mode == SIGNED_OTHER_BODY ? "{}" : body, &auth, &err),
		    LD_OK);
		hv = ld_asprintf("Authorization: %s", auth);
		h = curl_slist_append(h, hv);
		free(hv);
		free(auth);
	}
	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	if (extra_header != NULL)
		h = curl_slist_append(h, extra_header);
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
		    (long)strlen(body));
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (fresh_connection)
		curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
	r->cc = curl_easy_perform(curl);
	if (r->cc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
}

/* 1 when the answer carries a valid platform signature. */
static int
answer_verifies(const struct resp *r)
{
	struct ld_err err;
	char *msg;
	size_t len;
	int ok;

	if (r->sig[0] == '\0' || r->ts[0] == '\0' || r->nonce[0] == '\0')
		return 0;
	msg = wx_v3_response_message_len(r->ts, r->nonce, r->body.data ?
	    r->body.data : "", r->body.len, &len);
	ok = wx_rsa_verify_b64(platform_pub, msg, len, r->sig, &err) == LD_OK;
	free(msg);
	return ok && strcmp(r->serial, platform_key_id) == 0;
}

static cJSON *
body_json(const struct resp *r)
{
	return cJSON_ParseWithLength(r->body.data ? r->body.data : "",
	    r->body.len);
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static double
jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static char *
bill_body(const char *out_no, const char *openid, long amount,
    const char *remark)
{
	return ld_asprintf("{\"appid\":\"%s\",\"out_bill_no\":\"%s\","
	    "\"transfer_scene_id\":\"1005\",\"openid\":\"%s\","
	    "\"transfer_amount\":%ld,\"transfer_remark\":\"%s\","
	    "\"transfer_scene_report_infos\":[{\"info_type\":\"岗位类型\","
	    "\"info_content\":\"外包\"},{\"info_type\":\"报酬说明\","
	    "\"info_content\":\"借款发放\"}]}", appid, out_no, openid, amount,
	    remark);
}

/* Creates a bill; returns the parsed answer (caller deletes). */
static cJSON *
create(const char *out_no, const char *openid, long amount, int notify,
    long *status)
{
	char *body, *b2 = NULL;
	struct resp r;
	cJSON *o;

	body = bill_body(out_no, openid, amount, "贷款放款");
	if (notify) {
		/* Put the listener's URL in before the scene infos. */
		char *p = strstr(body, ",\"transfer_scene_report_infos\"");

		b2 = ld_asprintf("%.*s,\"notify_url\":\"http://127.0.0.1:%u/"
		    "notify\"%s", (int)(p - body), body, cb_port, p);
		free(body);
		body = b2;
	}
	call("POST", TB, body, SIGNED, 5000, &r);
	free(body);
	*status = r.status;
	CU_ASSERT_EQUAL(r.cc, CURLE_OK);
	CU_ASSERT_TRUE(answer_verifies(&r));
	o = body_json(&r);
	ld_buf_free(&r.body);
	return o;
}

static cJSON *
query(const char *out_no, long *status)
{
	char path[256];
	struct resp r;
	cJSON *o;

	snprintf(path, sizeof path, TB "/out-bill-no/%s", out_no);
	call("GET", path, NULL, SIGNED, 5000, &r);
	*status = r.status;
	CU_ASSERT_TRUE(answer_verifies(&r));
	o = body_json(&r);
	ld_buf_free(&r.body);
	return o;
}

static long
admin(const char *method, const char *path, const char *body)
{
	struct resp r;
	long st;

	call(method, path, body, UNSIGNED, 5000, &r);
	st = r.status;
	ld_buf_free(&r.body);
	return st;
}

static cJSON *
ledger(void)
{
	struct resp r;
	cJSON *o;

	call("GET", "/__sim/ledger", NULL, UNSIGNED, 5000, &r);
	o = body_json(&r);
	ld_buf_free(&r.body);
	return o;
}

/* Waits up to ms for a bill to reach state. */
static int
wait_state(const char *out_no, const char *state, long ms)
{
	long st;
	int ok = 0;

	for (; ms > 0 && !ok; ms -= 50) {
		cJSON *o = query(out_no, &st);

		ok = st == 200 && strcmp(jstr(o, "state"), state) == 0;
		cJSON_Delete(o);
		if (!ok)
			sleep_ms(50);
	}
	return ok;
}

static enum MHD_Result
cb_handle(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *data,
    size_t *size, void **req_cls)
{
	struct ld_buf *b = *req_cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	const char *v;
	unsigned status = 200;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	if (b == NULL) {
		b = ld_calloc(1, sizeof *b);
		ld_buf_init(b, 65536);
		*req_cls = b;
		return MHD_YES;
	}
	if (*size > 0) {
		ld_buf_append(b, data, *size);
		*size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&cb_lock);
	if (cb_fail_next > 0) {
		cb_fail_next--;
		status = 500;
	} else if (cb_n < sizeof cb_seen / sizeof cb_seen[0]) {
		struct cb_seen *c = &cb_seen[cb_n++];

		c->body = ld_strdup(b->data ? b->data : "");
#define H(f, name) \
		v = MHD_lookup_connection_value(con, MHD_HEADER_KIND, name); \
		snprintf(c->f, sizeof c->f, "%s", v ? v : "")
		H(ts, "Wechatpay-Timestamp");
		H(nonce, "Wechatpay-Nonce");
		H(serial, "Wechatpay-Serial");
		H(sig, "Wechatpay-Signature");
#undef H
	}
	pthread_mutex_unlock(&cb_lock);
	ld_buf_free(b);
	free(b);
	*req_cls = NULL;
	resp = MHD_create_response_from_buffer(0, (void *)"",
	    MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(con, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
cb_done(void *cls, struct MHD_Connection *con, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct ld_buf *b = *req_cls;

	(void)cls;
	(void)con;
	(void)toe;
	if (b != NULL) {
		ld_buf_free(b);
		free(b);
		*req_cls = NULL;
	}
}

/* Index of the first callback recorded at or after `from`, or -1. */
static int
wait_callback(size_t from, long ms)
{
	for (; ms > 0; ms -= 20) {
		int i = -1;

		pthread_mutex_lock(&cb_lock);
		if (cb_n > from)
			i = (int)from;
		pthread_mutex_unlock(&cb_lock);
		if (i >= 0)
			return i;
		sleep_ms(20);
	}
	return -1;
}

/* Verifies and decrypts callback i; returns the resource (caller frees). */
static cJSON *
open_callback(size_t i)
{
	struct cb_seen *c = &cb_seen[i];
	struct ld_err err;
	cJSON *env, *res, *out = NULL;
	char *msg, *plain = NULL;
	size_t len;

	msg = wx_v3_response_message_len(c->ts, c->nonce, c->body,
	    strlen(c->body), &len);
	CU_ASSERT_EQUAL(wx_rsa_verify_b64(platform_pub, msg, len, c->sig,
	    &err), LD_OK);
	free(msg);
	CU_ASSERT_STRING_EQUAL(c->serial, platform_key_id);
	CU_ASSERT_TRUE(llabs(atoll(c->ts) - (long long)time(NULL)) < 60);
	env = cJSON_Parse(c->body);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	CU_ASSERT_STRING_EQUAL(jstr(env, "event_type"),
	    "MCHTRANSFER.BILL.FINISHED");
	CU_ASSERT_STRING_EQUAL(jstr(env, "resource_type"), "encrypt-resource");
	res = cJSON_GetObjectItemCaseSensitive(env, "resource");
	CU_ASSERT_STRING_EQUAL(jstr(res, "algorithm"), "AEAD_AES_256_GCM");
	CU_ASSERT_EQUAL(strlen(jstr(res, "nonce")), 12);
	if (wx_aead_decrypt(apiv3_key, jstr(res, "nonce"),
	    jstr(res, "associated_data"), jstr(res, "ciphertext"), &plain,
	    NULL, &err) == LD_OK)
		out = cJSON_Parse(plain);
	CU_ASSERT_PTR_NOT_NULL(out);
	free(plain);
	cJSON_Delete(env);
	return out;
}

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int
read_secret(const char *path, char *out, size_t n)
{
	FILE *f = fopen(path, "r");
	size_t got;

	if (f == NULL)
		return -1;
	got = fread(out, 1, n, f);
	fclose(f);
	return got == n ? 0 : -1;
}

static int
suite_init(void)
{
	const char *bd = getenv("top_builddir");
	char conf[512], statedir[512], line[1024], *text;
	int fds[2];
	FILE *out;
	struct ld_err err;
	const union MHD_DaemonInfo *di;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/ld-test-sim.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(sim_bin, sizeof sim_bin, "%s/wxpay-sim", bd ? bd : ".");
	snprintf(conf, sizeof conf, "%s/sim.conf", tmpdir);
	snprintf(statedir, sizeof statedir, "%s/state", tmpdir);
	/*
	 * 43200x time: the 24 h confirmation window lasts two seconds and the
	 * callback retry schedule collapses to milliseconds.
	 */
	text = ld_asprintf(
	    "[sim]\nstate_dir = %s\nlisten = 127.0.0.1:0\n"
	    "generate_merchant = yes\nmchid = %s\nappid = %s\n"
	    "time_scale = 43200\n"
	    "[account]\noperation_fen = 1000000\n"
	    "[limits]\nmin_transfer_fen = 10\nmax_transfer_fen = 500000\n"
	    "per_user_daily_fen = 300000\nscenes = 1000,1005\n"
	    "[confirm]\nmode = manual\ntransfer_ms = 50\ncancel_ms = 50\n"
	    "batch_ms = 100\n"
	    "[callback]\nretry_s = 0,60x5\n"
	    "[faults]\nrule = NAME_MISMATCH openid=o_v2_badname api=v2\n",
	    statedir, mchid, appid);
	if (write_file(conf, text) != 0) {
		free(text);
		return -1;
	}
	free(text);
	if (pipe(fds) != 0)
		return -1;
	sim_pid = fork();
	if (sim_pid < 0)
		return -1;
	if (sim_pid == 0) {
		/* Never outlive a crashed test. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(sim_bin, "wxpay-sim", "-c", conf, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	while (fgets(line, sizeof line, out) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "platform_public_key_file=", 25) == 0)
			snprintf(platform_pub_path, sizeof platform_pub_path,
			    "%s", line + 25);
		else if (strncmp(line, "platform_key_id=", 16) == 0)
			snprintf(platform_key_id, sizeof platform_key_id, "%s",
			    line + 16);
		else if (strncmp(line, "merchant_private_key_file=", 26) == 0)
			snprintf(merchant_key_path, sizeof merchant_key_path,
			    "%s", line + 26);
		else if (strncmp(line, "merchant_serial=", 16) == 0)
			snprintf(merchant_serial, sizeof merchant_serial, "%s",
			    line + 16);
		else if (strncmp(line, "listening on ", 13) == 0) {
			snprintf(base_url, sizeof base_url, "http://%s",
			    line + 13);
			break;
		}
	}
	fclose(out);
	if (base_url[0] == '\0') {
		fprintf(stderr, "wxpay-sim did not start\n");
		return -1;
	}
	if (wx_load_private_key(merchant_key_path, &merchant_key, &err) !=
	    LD_OK || wx_load_public_key(platform_pub_path, &platform_pub,
	    &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	snprintf(line, sizeof line, "%s/apiv3.key", statedir);
	if (read_secret(line, (char *)apiv3_key, 32) != 0)
		return -1;
	snprintf(line, sizeof line, "%s/apiv2.key", statedir);
	if (read_secret(line, apiv2_key, 32) != 0)
		return -1;
	apiv2_key[32] = '\0';
	curl = curl_easy_init();
	cb_mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, cb_handle, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, cb_done, NULL, MHD_OPTION_END);
	if (curl == NULL || cb_mhd == NULL)
		return -1;
	di = MHD_get_daemon_info(cb_mhd, MHD_DAEMON_INFO_BIND_PORT);
	cb_port = di->port;
	return 0;
}

static int
suite_clean(void)
{
	char cmd[300];
	size_t i;

	if (sim_pid > 0) {
		kill(sim_pid, SIGKILL);
		waitpid(sim_pid, NULL, 0);
	}
	if (cb_mhd != NULL)
		MHD_stop_daemon(cb_mhd);
	for (i = 0; i < cb_n; i++)
		free(cb_seen[i].body);
	curl_easy_cleanup(curl);
	EVP_PKEY_free(merchant_key);
	EVP_PKEY_free(platform_pub);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_state_dir(void)
{
	char path[600];
	struct stat sb;

	snprintf(path, sizeof path, "%s/state/platform_private.pem", tmpdir);
	CU_ASSERT_EQUAL_FATAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof path, "%s/state/apiv3.key", tmpdir);
	CU_ASSERT_EQUAL_FATAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof path, "%s/state", tmpdir);
	CU_ASSERT_EQUAL_FATAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0700);
	CU_ASSERT_EQUAL(strncmp(platform_key_id, "PUB_KEY_ID_", 11), 0);
}

static void
test_good_signature(void)
{
	long st;
	cJSON *o = create("GOOD1", "o_alice", 1000, 0, &st);

	CU_ASSERT_EQUAL(st, 200);
	CU_ASSERT_STRING_EQUAL(jstr(o, "out_bill_no"), "GOOD1");
	CU_ASSERT_STRING_EQUAL(jstr(o, "state"), "WAIT_USER_CONFIRM");
	CU_ASSERT_TRUE(strlen(jstr(o, "transfer_bill_no")) >= 30);
	CU_ASSERT_TRUE(strlen(jstr(o, "package_info")) > 0);
	cJSON_Delete(o);
}

/*
 * An independent signer: the openssl CLI signs the message built by hand
 * and verifies the answer's signature over a message built by hand.
 */
static void
test_openssl_cli(void)
{
	char msgp[600], sigp[600], pubp[600], cmd[2400], auth[1400];
	char sig[1024] = "";
	const char *path = "/v3/merchant/fund/balance/OPERATION";
	long long now = (long long)time(NULL);
	struct curl_slist *h = NULL;
	struct resp r;
	FILE *f;
	size_t n;

	snprintf(msgp, sizeof msgp, "%s/msg", tmpdir);
	snprintf(sigp, sizeof sigp, "%s/sig", tmpdir);
	snprintf(pubp, sizeof pubp, "%s", platform_pub_path);
	f = fopen(msgp, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "GET\n%s\n%lld\nclinonce0123456789\n\n", path, now);
	fclose(f);
	snprintf(cmd, sizeof cmd, "openssl dgst -sha256 -sign '%s' '%s' | "
	    "openssl base64 -A > '%s'", merchant_key_path, msgp, sigp);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	f = fopen(sigp, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(sig, 1, sizeof sig - 1, f);
	sig[n] = '\0';
	fclose(f);
	snprintf(auth, sizeof auth, "Authorization: WECHATPAY2-SHA256-RSA2048 "
	    "mchid=\"%s\",serial_no=\"%s\",timestamp=\"%lld\",nonce_str="
	    "\"clinonce0123456789\",signature=\"%s\"", mchid, merchant_serial,
	    now, sig);
	memset(&r, 0, sizeof r);
	ld_buf_init(&r.body, 65536);
	h = curl_slist_append(h, auth);
	curl_easy_reset(curl);
	snprintf(cmd, sizeof cmd, "%s%s", base_url, path);
	curl_easy_setopt(curl, CURLOPT_URL, cmd);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
	CU_ASSERT_EQUAL(curl_easy_perform(curl), CURLE_OK);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(h);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "\"available_amount\":"));
	/* The answer, checked by openssl against the printed key. */
	f = fopen(msgp, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "%s\n%s\n%s\n", r.ts, r.nonce, r.body.data);
	fclose(f);
	f = fopen(sigp, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "%s", r.sig);
	fclose(f);
	snprintf(cmd, sizeof cmd, "openssl base64 -d -A -in '%s' -out '%s.bin'"
	    " && openssl dgst -sha256 -verify '%s' -signature '%s.bin' '%s' "
	    ">/dev/null", sigp, sigp, pubp, sigp, msgp);
	CU_ASSERT_EQUAL(system(cmd), 0);
	ld_buf_free(&r.body);
}

/*
 * Answers WeChat Pay gives: 405 for a wrong method (with the Allow header
 * HTTP requires; docs/wxpay-api.md, "APIv3 common rules"), 400
 * INVALID_REQUEST "输入账户类型未开通" for an unknown balance account
 * ("Merchant balance"), 400 INVALID_REQUEST for cancelling an unknown or
 * terminal bill ("Transfer bills: cancel").
 */
static void
test_http_rules(void)
{
	static const struct {
		const char *method, *path, *allow;
	} wrong[] = {
		{ "GET", TB, "POST" },
		{ "PUT", TB, "POST" },
		{ "POST", TB "/out-bill-no/X1", "GET" },
		{ "DELETE", TB "/transfer-bill-no/1", "GET" },
		{ "GET", TB "/out-bill-no/X1/cancel", "POST" },
		{ "GET", "/v3/transfer/batches", "POST" },
		{ "POST", "/v3/transfer/batches/out-batch-no/B1?"
		    "need_query_detail=false", "GET" },
		{ "POST", "/v3/merchant/fund/balance/BASIC", "GET" },
		{ "POST", "/v3/certificates", "GET" },
	};
	struct resp r;
	cJSON *o;
	long st;
	size_t i;

	for (i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		call(wrong[i].method, wrong[i].path, strcmp(wrong[i].method,
		    "GET") == 0 ? NULL : "", SIGNED, 5000, &r);
		if (r.status != 405)
			fprintf(stderr, "%s %s: %ld\n", wrong[i].method,
			    wrong[i].path, r.status);
		CU_ASSERT_EQUAL(r.status, 405);
		CU_ASSERT_STRING_EQUAL(r.allow, wrong[i].allow);
		ld_buf_free(&r.body);
	}

	call("GET", "/v3/merchant/fund/balance/SAVINGS", NULL, SIGNED, 5000,
	    &r);
	CU_ASSERT_EQUAL(r.status, 400);
	o = body_json(&r);
	CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "INVALID_REQUEST");
	CU_ASSERT_STRING_EQUAL(jstr(o, "message"), "输入账户类型未开通");
	cJSON_Delete(o);
	ld_buf_free(&r.body);

	/* Cancel: unknown, then before the user confirms, then again. */
	call("POST", TB "/out-bill-no/NOSUCHBILL/cancel", NULL, SIGNED, 5000,
	    &r);
	CU_ASSERT_EQUAL(r.status, 400);
	o = body_json(&r);
	CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "INVALID_REQUEST");
	cJSON_Delete(o);
	ld_buf_free(&r.body);
	o = create("CANC1", "o_cancel", 1000, 0, &st);
	CU_ASSERT_EQUAL(st, 200);
	CU_ASSERT_STRING_EQUAL(jstr(o, "state"), "WAIT_USER_CONFIRM");
	cJSON_Delete(o);
	call("POST", TB "/out-bill-no/CANC1/cancel", NULL, SIGNED, 5000, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	o = body_json(&r);
	CU_ASSERT_STRING_EQUAL(jstr(o, "state"), "CANCELING");
	cJSON_Delete(o);
	ld_buf_free(&r.body);
	CU_ASSERT_TRUE(wait_state("CANC1", "CANCELLED", 3000));
	call("POST", TB "/out-bill-no/CANC1/cancel", NULL, SIGNED, 5000, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	o = body_json(&r);
	CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "INVALID_REQUEST");
	cJSON_Delete(o);
	ld_buf_free(&r.body);
}

/* Platform-certificate mode's download, checked with the openssl CLI. */
static void
test_certificates(void)
{
	struct resp r;
	struct ld_err err;
	cJSON *o, *c, *e;
	char *pem = NULL, cmd[2048], path[600];
	FILE *f;

	call("GET", "/v3/certificates", NULL, SIGNED, 5000, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_TRUE(answer_verifies(&r));
	o = body_json(&r);
	ld_buf_free(&r.body);
	c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "data"), 0);
	e = cJSON_GetObjectItemCaseSensitive(c, "encrypt_certificate");
	CU_ASSERT_STRING_EQUAL(jstr(e, "associated_data"), "certificate");
	CU_ASSERT_EQUAL_FATAL(wx_aead_decrypt(apiv3_key, jstr(e, "nonce"),
	    "certificate", jstr(e, "ciphertext"), &pem, NULL, &err), LD_OK);
	snprintf(path, sizeof path, "%s/cert.pem", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(pem, f);
	fclose(f);
	/* The serial it names is the certificate's, and the key is ours. */
	snprintf(cmd, sizeof cmd, "test \"$(openssl x509 -in '%s' -noout "
	    "-serial)\" = 'serial=%s' && test \"$(openssl x509 -in '%s' "
	    "-noout -pubkey)\" = \"$(cat '%s')\"", path,
	    jstr(c, "serial_no"), path, platform_pub_path);
	CU_ASSERT_EQUAL(system(cmd), 0);
	free(pem);
	cJSON_Delete(o);
}

static void
test_bad_signature(void)
{
	char *body = bill_body("BAD1", "o_alice", 1000, "x");
	struct resp r;
	cJSON *o, *si;

	call("POST", TB, body, SIGNED_OTHER_BODY, 5000, &r);
	CU_ASSERT_EQUAL(r.status, 401);
	o = body_json(&r);
	CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "SIGN_ERROR");
	si = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    o, "detail"), "sign_information");
	CU_ASSERT_STRING_EQUAL(jstr(si, "method"), "POST");
	CU_ASSERT_STRING_EQUAL(jstr(si, "url"), TB);
	/* It shows what the server signed: the body actually sent. */
	CU_ASSERT_EQUAL(strncmp(jstr(si, "truncated_sign_message"),
	    "POST\n" TB "\n", strlen("POST\n" TB "\n")), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(jstr(si, "truncated_sign_message"),
	    "{\"appid\""));
	CU_ASSERT_TRUE(answer_verifies(&r));
	cJSON_Delete(o);
	ld_buf_free(&r.body);

	call("POST", TB, body, SIGNED_STALE, 5000, &r);
	CU_ASSERT_EQUAL(r.status, 401);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "SIGN_ERROR"));
	ld_buf_free(&r.body);
	call("POST", TB, body, UNSIGNED, 5000, &r);
	CU_ASSERT_EQUAL(r.status, 401);
	ld_buf_free(&r.body);
	free(body);

	/* Nothing was created by any of them. */
	{
		long st;
		cJSON *q = query("BAD1", &st);

		CU_ASSERT_EQUAL(st, 404);
		CU_ASSERT_STRING_EQUAL(jstr(q, "code"), "NOT_FOUND");
		cJSON_Delete(q);
	}
}

static void
test_idempotency(void)
{
	long st;
	cJSON *a = create("IDEM1", "o_bob", 2000, 0, &st), *b, *c;
	char *body;
	struct resp r;

	CU_ASSERT_EQUAL(st, 200);
	b = create("IDEM1", "o_bob", 2000, 0, &st);
	CU_ASSERT_EQUAL(st, 200);
	CU_ASSERT_STRING_EQUAL(jstr(a, "transfer_bill_no"),
	    jstr(b, "transfer_bill_no"));
	/* Same number, different amount: the documented refusal. */
	c = create("IDEM1", "o_bob", 2001, 0, &st);
	CU_ASSERT_EQUAL(st, 400);
	CU_ASSERT_STRING_EQUAL(jstr(c, "code"), "INVALID_REQUEST");
	CU_ASSERT_PTR_NOT_NULL(strstr(jstr(c, "message"),
	    "单号已存在但信息不一致"));
	/* Same fields, other key order and spacing: the same request. */
	body = ld_asprintf("{ \"openid\": \"o_bob\", \"appid\": \"%s\", "
	    "\"transfer_amount\": 2000, \"out_bill_no\": \"IDEM1\", "
	    "\"transfer_remark\": \"贷款放款\", \"transfer_scene_id\": "
	    "\"1005\", \"transfer_scene_report_infos\": [{\"info_content\":"
	    " \"外包\", \"info_type\": \"岗位类型\"}, {\"info_type\": "
	    "\"报酬说明\", \"info_content\": \"借款发放\"}]}", appid);
	call("POST", TB, body, SIGNED, 5000, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data,
	    jstr(a, "transfer_bill_no")));
	ld_buf_free(&r.body);
	free(body);
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
}

/*
 * user_name travels RSA-OAEP encrypted to the platform key and comes back
 * from the query encrypted to the merchant's; a retry re-encrypts (OAEP is
 * randomised) and must still count as the same request.
 */
static void
test_user_name(void)
{
	char *enc = NULL, *body, *hdr, *plain = NULL;
	struct ld_err err;
	struct resp r;
	cJSON *o;
	long st;
	char bill_no[64] = "";
	int k;

	hdr = ld_asprintf("Wechatpay-Serial: %s", platform_key_id);
	for (k = 0; k < 3; k++) {
		CU_ASSERT_EQUAL_FATAL(wx_rsa_oaep_encrypt_b64(platform_pub,
		    "张三", &enc, &err), LD_OK);
		body = ld_asprintf("{\"appid\":\"%s\",\"out_bill_no\":"
		    "\"NAME1\",\"transfer_scene_id\":\"1005\",\"openid\":"
		    "\"o_name\",\"user_name\":\"%s\",\"transfer_amount\":"
		    "200000,\"transfer_remark\":\"放款\","
		    "\"transfer_scene_report_infos\":[{\"info_type\":"
		    "\"岗位类型\",\"info_content\":\"外包\"}]}", appid, enc);
		free(enc);
		extra_header = k < 2 ? hdr : NULL;
		call("POST", TB, body, SIGNED, 5000, &r);
		extra_header = NULL;
		free(body);
		o = body_json(&r);
		if (k < 2) {
			CU_ASSERT_EQUAL(r.status, 200);
			if (k == 0)
				snprintf(bill_no, sizeof bill_no, "%s",
				    jstr(o, "transfer_bill_no"));
			else
				CU_ASSERT_STRING_EQUAL(jstr(o,
				    "transfer_bill_no"), bill_no);
		} else {
			/* Without the header naming the key: refused. */
			CU_ASSERT_EQUAL(r.status, 400);
			CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "PARAM_ERROR");
		}
		cJSON_Delete(o);
		ld_buf_free(&r.body);
	}
	o = query("NAME1", &st);
	CU_ASSERT_EQUAL(st, 200);
	CU_ASSERT_EQUAL(wx_rsa_oaep_decrypt_b64(merchant_key,
	    jstr(o, "user_name"), &plain, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(plain ? plain : "", "张三");
	free(plain);
	cJSON_Delete(o);
	free(hdr);
}

static void
test_limits(void)
{
	long st;
	cJSON *o;
	double held = -1;
	int k;

	o = create("LIM1", "o_carol", 500001, 0, &st);
	CU_ASSERT_EQUAL(st, 400);
	CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "INVALID_REQUEST");
	CU_ASSERT_PTR_NOT_NULL(strstr(jstr(o, "message"), "单笔转账上下限"));
	cJSON_Delete(o);
	o = create("LIM2", "o_carol", 5, 0, &st);
	CU_ASSERT_EQUAL(st, 400);
	cJSON_Delete(o);
	/* 2,000 yuan and up needs the payee's name. */
	o = create("LIM3", "o_carol", 200000, 0, &st);
	CU_ASSERT_EQUAL(st, 400);
	CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "PARAM_ERROR");
	cJSON_Delete(o);
	/* Per-user day: 3,000 yuan; 1,900 + 1,900 is over. */
	o = create("LIM4", "o_dave", 190000 - 1, 0, &st);
	CU_ASSERT_EQUAL(st, 200);
	CU_ASSERT_STRING_EQUAL(jstr(o, "state"), "WAIT_USER_CONFIRM");
	cJSON_Delete(o);
	o = create("LIM5", "o_dave", 190000 - 1, 0, &st);
	CU_ASSERT_EQUAL(st, 200);
	CU_ASSERT_STRING_EQUAL(jstr(o, "state"), "FAIL");
	CU_ASSERT_STRING_EQUAL(jstr(o, "fail_reason"),
	    "DAY_RECEIVED_QUOTA_EXCEED");
	cJSON_Delete(o);
	/*
	 * Balance: short, then topped up, then the same number goes.  A bill
	 * that expires unconfirmed gives its held amount back to the balance
	 * (LIM4 and the earlier tests' do within 2 s), so first wait until
	 * nothing is held.
	 */
	for (k = 0; k < 200; k++) {
		o = ledger();
		held = jnum(cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(o, "accounts"),
		    "OPERATION"), "pending_amount");
		cJSON_Delete(o);
		if (held == 0)
			break;
		sleep_ms(50);
	}
	CU_ASSERT_EQUAL(held, 0);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/balance",
	    "{\"account\":\"OPERATION\",\"available_amount\":100}"), 200);
	o = create("LIM6", "o_erin", 1000, 0, &st);
	CU_ASSERT_EQUAL(st, 403);
	CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "NOT_ENOUGH");
	cJSON_Delete(o);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/balance",
	    "{\"account\":\"OPERATION\",\"available_amount\":1000000}"), 200);
	o = create("LIM6", "o_erin", 1000, 0, &st);
	CU_ASSERT_EQUAL(st, 200);
	cJSON_Delete(o);
	/* A scene the merchant lacks. */
	{
		char *b = bill_body("LIM7", "o_erin", 1000, "x");
		char *p = strstr(b, "\"1005\"");
		struct resp r;

		memcpy(p, "\"1009\"", 6);
		call("POST", TB, b, SIGNED, 5000, &r);
		CU_ASSERT_EQUAL(r.status, 400);
		ld_buf_free(&r.body);
		free(b);
	}
}

static void
test_faults(void)
{
	long st;
	cJSON *o;
	struct resp r;
	char *body;

	/* A 5xx does nothing; the retry with the same number works. */
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"error_5xx_count\":1}"), 200);
	o = create("F1", "o_frank", 1000, 0, &st);
	CU_ASSERT_EQUAL(st, 500);
	CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "SYSTEM_ERROR");
	cJSON_Delete(o);
	o = create("F1", "o_frank", 1000, 0, &st);
	CU_ASSERT_EQUAL(st, 200);
	cJSON_Delete(o);

	/* A business error by openid pattern. */
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"rules\":[\"FREQUENCY_LIMITED openid=o_busy* api=create\","
	    "\"ACCOUNT_FROZEN openid=o_frozen api=create\"]}"), 200);
	o = create("F2", "o_busy1", 1000, 0, &st);
	CU_ASSERT_EQUAL(st, 429);
	CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "FREQUENCY_LIMITED");
	cJSON_Delete(o);
	o = create("F3", "o_frozen", 1000, 0, &st);
	CU_ASSERT_EQUAL(st, 200);
	CU_ASSERT_STRING_EQUAL(jstr(o, "state"), "FAIL");
	CU_ASSERT_STRING_EQUAL(jstr(o, "fail_reason"), "ACCOUNT_FROZEN");
	cJSON_Delete(o);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults", "{\"rules\":[]}"), 200);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults", "{\"bogus_bps\":1}"),
	    400);

	/* Connection reset before anything happens. */
	fresh_connection = 1;
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults", "{\"reset_count\":1}"),
	    200);
	body = bill_body("F4", "o_gina", 1000, "x");
	call("POST", TB, body, SIGNED, 5000, &r);
	CU_ASSERT_NOT_EQUAL(r.cc, CURLE_OK);
	ld_buf_free(&r.body);
	o = query("F4", &st);
	CU_ASSERT_EQUAL(st, 404);
	cJSON_Delete(o);

	/* Reset after the money moved: the replay finds the same bill. */
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"reset_after_commit_count\":1}"), 200);
	call("POST", TB, body, SIGNED, 5000, &r);
	CU_ASSERT_NOT_EQUAL(r.cc, CURLE_OK);
	ld_buf_free(&r.body);
	o = query("F4", &st);
	CU_ASSERT_EQUAL(st, 200);
	CU_ASSERT_STRING_EQUAL(jstr(o, "out_bill_no"), "F4");
	cJSON_Delete(o);
	free(body);

	/* Timeout: commit, then answer after the client gave up. */
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"late_count\":1,\"late_ms\":800}"), 200);
	body = bill_body("F5", "o_gina", 1000, "x");
	call("POST", TB, body, SIGNED, 300, &r);
	CU_ASSERT_EQUAL(r.cc, CURLE_OPERATION_TIMEDOUT);
	ld_buf_free(&r.body);
	free(body);
	o = query("F5", &st);
	CU_ASSERT_EQUAL(st, 200);
	cJSON_Delete(o);

	/* Timeout: accepted and never answered, nothing done. */
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"hang_count\":1,\"hang_ms\":800}"), 200);
	body = bill_body("F6", "o_gina", 1000, "x");
	call("POST", TB, body, SIGNED, 300, &r);
	CU_ASSERT_EQUAL(r.cc, CURLE_OPERATION_TIMEDOUT);
	ld_buf_free(&r.body);
	free(body);
	o = query("F6", &st);
	CU_ASSERT_EQUAL(st, 404);
	cJSON_Delete(o);

	fresh_connection = 0;

	/* Latency. */
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"latency_count\":1,\"latency_ms\":300}"), 200);
	{
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		o = query("F5", &st);
		clock_gettime(CLOCK_MONOTONIC, &b);
		CU_ASSERT_EQUAL(st, 200);
		CU_ASSERT_TRUE((b.tv_sec - a.tv_sec) * 1000 +
		    (b.tv_nsec - a.tv_nsec) / 1000000 >= 290);
		cJSON_Delete(o);
	}

	/* Answers with bad signatures, probes, unknown serials. */
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"response_bad_signature_count\":1}"), 200);
	call("GET", TB "/out-bill-no/F5", NULL, SIGNED, 5000, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_FALSE(answer_verifies(&r));
	ld_buf_free(&r.body);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"response_signtest_count\":1}"), 200);
	call("GET", TB "/out-bill-no/F5", NULL, SIGNED, 5000, &r);
	CU_ASSERT_EQUAL(strncmp(r.sig, "WECHATPAY/SIGNTEST/", 19), 0);
	CU_ASSERT_FALSE(answer_verifies(&r));
	ld_buf_free(&r.body);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"response_unknown_serial_count\":1}"), 200);
	call("GET", TB "/out-bill-no/F5", NULL, SIGNED, 5000, &r);
	CU_ASSERT_FALSE(answer_verifies(&r));
	ld_buf_free(&r.body);
	call("GET", TB "/out-bill-no/F5", NULL, SIGNED, 5000, &r);
	CU_ASSERT_TRUE(answer_verifies(&r));
	ld_buf_free(&r.body);
	CU_ASSERT_EQUAL(admin("DELETE", "/__sim/faults", NULL), 200);
}

static void
test_callbacks(void)
{
	long st;
	cJSON *o, *res;
	size_t from;
	int i, j;
	char path[128];

	pthread_mutex_lock(&cb_lock);
	from = cb_n;
	cb_fail_next = 1;	/* first delivery is refused, then retried */
	pthread_mutex_unlock(&cb_lock);
	o = create("CB1", "o_henry", 3000, 1, &st);
	CU_ASSERT_EQUAL(st, 200);
	cJSON_Delete(o);
	snprintf(path, sizeof path, "/__sim/bills/CB1/confirm");
	CU_ASSERT_EQUAL(admin("POST", path, NULL), 200);
	CU_ASSERT_TRUE(wait_state("CB1", "SUCCESS", 3000));
	i = wait_callback(from, 3000);
	CU_ASSERT_FATAL(i >= 0);
	res = open_callback((size_t)i);
	CU_ASSERT_STRING_EQUAL(jstr(res, "out_bill_no"), "CB1");
	CU_ASSERT_STRING_EQUAL(jstr(res, "state"), "SUCCESS");
	CU_ASSERT_EQUAL(jnum(res, "transfer_amount"), 3000);
	CU_ASSERT_STRING_EQUAL(jstr(res, "openid"), "o_henry");
	CU_ASSERT_STRING_EQUAL(jstr(res, "mch_id"), mchid);
	cJSON_Delete(res);
	pthread_mutex_lock(&cb_lock);
	CU_ASSERT_EQUAL(cb_fail_next, 0);
	pthread_mutex_unlock(&cb_lock);

	/* Never confirmed: cancelled when the (compressed) 24 h pass. */
	pthread_mutex_lock(&cb_lock);
	from = cb_n;
	pthread_mutex_unlock(&cb_lock);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"callback_duplicate_count\":1}"), 200);
	o = create("CB2", "o_ivy", 3000, 1, &st);
	cJSON_Delete(o);
	CU_ASSERT_TRUE(wait_state("CB2", "WAIT_USER_CONFIRM", 100));
	CU_ASSERT_TRUE(wait_state("CB2", "CANCELLED", 5000));
	i = wait_callback(from, 3000);
	CU_ASSERT_FATAL(i >= 0);
	j = wait_callback((size_t)i + 1, 3000);
	CU_ASSERT_FATAL(j >= 0);
	res = open_callback((size_t)i);
	CU_ASSERT_STRING_EQUAL(jstr(res, "out_bill_no"), "CB2");
	CU_ASSERT_STRING_EQUAL(jstr(res, "state"), "CANCELLED");
	cJSON_Delete(res);
	res = open_callback((size_t)j);
	CU_ASSERT_STRING_EQUAL(jstr(res, "out_bill_no"), "CB2");
	cJSON_Delete(res);

	/* A callback with a bad signature, then a cancel by the merchant. */
	pthread_mutex_lock(&cb_lock);
	from = cb_n;
	pthread_mutex_unlock(&cb_lock);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"callback_bad_signature_count\":1}"), 200);
	o = create("CB3", "o_jack", 3000, 1, &st);
	cJSON_Delete(o);
	{
		struct resp r;
		struct ld_err err;
		char *msg;
		size_t len;

		call("POST", TB "/out-bill-no/CB3/cancel", NULL, SIGNED, 5000,
		    &r);
		CU_ASSERT_EQUAL(r.status, 200);
		CU_ASSERT_TRUE(answer_verifies(&r));
		CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "CANCEL"));
		ld_buf_free(&r.body);
		CU_ASSERT_TRUE(wait_state("CB3", "CANCELLED", 2000));
		i = wait_callback(from, 3000);
		CU_ASSERT_FATAL(i >= 0);
		msg = wx_v3_response_message_len(cb_seen[i].ts,
		    cb_seen[i].nonce, cb_seen[i].body, strlen(cb_seen[i].body),
		    &len);
		CU_ASSERT_NOT_EQUAL(wx_rsa_verify_b64(platform_pub, msg, len,
		    cb_seen[i].sig, &err), LD_OK);
		free(msg);
		/* Cancelling a finished bill is refused. */
		call("POST", TB "/out-bill-no/CB1/cancel", NULL, SIGNED, 5000,
		    &r);
		CU_ASSERT_EQUAL(r.status, 400);
		ld_buf_free(&r.body);
	}

	/* Out of order: CB4 finishes first, its callback arrives last. */
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"callback_reorder_count\":1,\"callback_reorder_ms\":400}"),
	    200);
	o = create("CB4", "o_kate", 3000, 1, &st);
	cJSON_Delete(o);
	o = create("CB5", "o_kate", 3000, 1, &st);
	cJSON_Delete(o);
	pthread_mutex_lock(&cb_lock);
	from = cb_n;
	pthread_mutex_unlock(&cb_lock);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/bills/CB4/confirm", NULL), 200);
	CU_ASSERT_TRUE(wait_state("CB4", "SUCCESS", 2000));
	CU_ASSERT_EQUAL(admin("POST", "/__sim/bills/CB5/confirm", NULL), 200);
	CU_ASSERT_TRUE(wait_state("CB5", "SUCCESS", 2000));
	i = wait_callback(from, 3000);
	CU_ASSERT_FATAL(i >= 0);
	j = wait_callback((size_t)i + 1, 3000);
	CU_ASSERT_FATAL(j >= 0);
	res = open_callback((size_t)i);
	CU_ASSERT_STRING_EQUAL(jstr(res, "out_bill_no"), "CB5");
	cJSON_Delete(res);
	res = open_callback((size_t)j);
	CU_ASSERT_STRING_EQUAL(jstr(res, "out_bill_no"), "CB4");
	cJSON_Delete(res);
	CU_ASSERT_EQUAL(admin("DELETE", "/__sim/faults", NULL), 200);
}

static void
test_batches(void)
{
	const char *body = "{\"appid\":\"wxd930ea5d5a258f4f\","
	    "\"out_batch_no\":\"B1\",\"batch_name\":\"放款\","
	    "\"batch_remark\":\"放款\",\"total_amount\":3000,\"total_num\":2,"
	    "\"transfer_detail_list\":[{\"out_detail_no\":\"D1\","
	    "\"transfer_amount\":1000,\"transfer_remark\":\"放款\","
	    "\"openid\":\"o_kim\"},{\"out_detail_no\":\"D2\","
	    "\"transfer_amount\":2000,\"transfer_remark\":\"放款\","
	    "\"openid\":\"o_lee\"}]}";
	struct resp r;
	cJSON *o, *tb;
	int k;

	call("POST", "/v3/transfer/batches", body, SIGNED, 5000, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_TRUE(answer_verifies(&r));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "\"batch_id\""));
	ld_buf_free(&r.body);
	for (k = 0; k < 40; k++) {
		call("GET", "/v3/transfer/batches/out-batch-no/B1"
		    "?need_query_detail=true&offset=0&limit=20", NULL, SIGNED,
		    5000, &r);
		o = body_json(&r);
		tb = cJSON_GetObjectItemCaseSensitive(o, "transfer_batch");
		ld_buf_free(&r.body);
		if (strcmp(jstr(tb, "batch_status"), "FINISHED") == 0)
			break;
		cJSON_Delete(o);
		o = NULL;
		sleep_ms(50);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(jnum(tb, "success_num"), 2);
	CU_ASSERT_EQUAL(jnum(tb, "success_amount"), 3000);
	CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o,
	    "transfer_detail_list")), 2);
	cJSON_Delete(o);
	call("GET", "/v3/transfer/batches/out-batch-no/B1/details/"
	    "out-detail-no/D2", NULL, SIGNED, 5000, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data,
	    "\"detail_status\":\"SUCCESS\""));
	ld_buf_free(&r.body);
}

static const char *
kv(const struct wx_kv *a, size_t n, const char *k)
{
	const char *v = wx_kv_get(a, n, k);

	return v != NULL ? v : "";
}

/* Builds, signs and posts an APIv2 document; returns the answer fields. */
static struct wx_kv *
v2_call(const char *path, struct wx_kv *f, size_t n, enum wx_v2_sign_type t,
    int corrupt, size_t *out_n)
{
	char sign[65], *xml, url[256];
	struct ld_err err;
	struct wx_kv *all, *ans = NULL;
	struct resp r;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(wx_v2_sign(apiv2_key, t, f, n, sign, &err),
	    LD_OK);
	if (corrupt)
		sign[0] = sign[0] == 'A' ? 'B' : 'A';
	all = ld_calloc(n + 1, sizeof *all);
	for (i = 0; i < n; i++)
		all[i] = f[i];
	all[n].key = (char *)"sign";
	all[n].value = sign;
	xml = wx_v2_xml_build(all, n + 1);
	free(all);
	memset(&r, 0, sizeof r);
	ld_buf_init(&r.body, 65536);
	curl_easy_reset(curl);
	snprintf(url, sizeof url, "%s%s", base_url, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, xml);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
	CU_ASSERT_EQUAL(curl_easy_perform(curl), CURLE_OK);
	free(xml);
	*out_n = 0;
	CU_ASSERT_EQUAL(wx_v2_xml_parse(r.body.data ? r.body.data : "",
	    r.body.len, &ans, out_n, &err), LD_OK);
	ld_buf_free(&r.body);
	return ans;
}

static void
test_v2(void)
{
	struct wx_kv f[] = {
		{ (char *)"mch_appid", (char *)"wxd930ea5d5a258f4f" },
		{ (char *)"mchid", (char *)"1900000001" },
		{ (char *)"nonce_str", (char *)"ibuaiVcKdpRxkhJA" },
		{ (char *)"partner_trade_no", (char *)"V2T1" },
		{ (char *)"openid", (char *)"o_v2_user" },
		{ (char *)"check_name", (char *)"NO_CHECK" },
		{ (char *)"amount", (char *)"1500" },
		{ (char *)"desc", (char *)"放款" },
		{ (char *)"spbill_create_ip", (char *)"127.0.0.1" },
	};
	size_t nf = sizeof f / sizeof f[0], n;
	struct wx_kv *a;
	char payment_no[64];
	const char *tp = "/mmpaymkttransfers/promotion/transfers";

	a = v2_call(tp, f, nf, WX_V2_MD5, 0, &n);
	CU_ASSERT_STRING_EQUAL(kv(a, n, "return_code"), "SUCCESS");
	CU_ASSERT_STRING_EQUAL(kv(a, n, "result_code"), "SUCCESS");
	CU_ASSERT_PTR_NULL(wx_kv_get(a, n, "sign"));
	/* Spec 1.2: a nonce_str, and still no sign. */
	CU_ASSERT_EQUAL(strlen(kv(a, n, "nonce_str")), 32);
	snprintf(payment_no, sizeof payment_no, "%s", kv(a, n, "payment_no"));
	CU_ASSERT_TRUE(strlen(payment_no) > 10);
	wx_kv_free(a, n);
	/* Replay with a new nonce and HMAC: the same payment. */
	f[2].value = (char *)"otherNonce123";
	a = v2_call(tp, f, nf, WX_V2_HMAC_SHA256, 0, &n);
	CU_ASSERT_STRING_EQUAL(kv(a, n, "result_code"), "SUCCESS");
	CU_ASSERT_STRING_EQUAL(kv(a, n, "payment_no"), payment_no);
	wx_kv_free(a, n);
	/* Same number, other amount. */
	f[6].value = (char *)"1600";
	a = v2_call(tp, f, nf, WX_V2_MD5, 0, &n);
	CU_ASSERT_STRING_EQUAL(kv(a, n, "err_code"), "FATAL_ERROR");
	wx_kv_free(a, n);
	/* Bad sign. */
	f[3].value = (char *)"V2T2";
	a = v2_call(tp, f, nf, WX_V2_MD5, 1, &n);
	CU_ASSERT_STRING_EQUAL(kv(a, n, "err_code"), "SIGN_ERROR");
	wx_kv_free(a, n);
	/* A configured rule: name mismatch for this openid, no money. */
	f[4].value = (char *)"o_v2_badname";
	a = v2_call(tp, f, nf, WX_V2_MD5, 0, &n);
	CU_ASSERT_STRING_EQUAL(kv(a, n, "err_code"), "NAME_MISMATCH");
	wx_kv_free(a, n);
	/* Over the per-transfer maximum. */
	f[4].value = (char *)"o_v2_user";
	f[6].value = (char *)"600000";
	a = v2_call(tp, f, nf, WX_V2_MD5, 0, &n);
	CU_ASSERT_STRING_EQUAL(kv(a, n, "err_code"), "AMOUNT_LIMIT");
	wx_kv_free(a, n);
	{
		struct wx_kv q[] = {
			{ (char *)"nonce_str", (char *)"q1nonce" },
			{ (char *)"partner_trade_no", (char *)"V2T1" },
			{ (char *)"mch_id", (char *)"1900000001" },
			{ (char *)"appid", (char *)"wxd930ea5d5a258f4f" },
		};
		const char *qp = "/mmpaymkttransfers/gettransferinfo";

		a = v2_call(qp, q, 4, WX_V2_MD5, 0, &n);
		CU_ASSERT_STRING_EQUAL(kv(a, n, "status"), "SUCCESS");
		CU_ASSERT_STRING_EQUAL(kv(a, n, "payment_amount"),
		    "1500");
		CU_ASSERT_STRING_EQUAL(kv(a, n, "detail_id"),
		    payment_no);
		wx_kv_free(a, n);
		q[1].value = (char *)"V2NOPE";
		a = v2_call(qp, q, 4, WX_V2_MD5, 0, &n);
		CU_ASSERT_STRING_EQUAL(kv(a, n, "err_code"),
		    "NOT_FOUND");
		wx_kv_free(a, n);
	}
}

/*
 * What a merchant sends is untrusted too.  An Authorization timestamp is
 * digits only: "-9223372036854775808" used to reach a signed overflow
 * (undefined behaviour that killed the sanitized simulator) and " +1"
 * forms were taken.  An openid is 1..64 of [A-Za-z0-9_-] (a longer one
 * was cut to fit the per-user books, which then never found it again:
 * the daily limit did not hold).  A body is read one way only (no member
 * twice, nothing after it), a notify_url is printable ASCII, batch query
 * parameters and APIv2 amounts are digits.
 */
static void
test_hostile_requests(void)
{
	static const char *const stamps[] = { "-9223372036854775808",
		"-99999999999999999999", "+1700000000", " 1700000000",
		"1700000000x", "0x6553F100" };
	char hdr[1024], *body, *p, longid[200];
	struct resp r;
	cJSON *o;
	size_t i;
	long st;

	for (i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
		snprintf(hdr, sizeof hdr, "Authorization: "
		    "WECHATPAY2-SHA256-RSA2048 mchid=\"%s\",nonce_str=\"n1\","
		    "timestamp=\"%s\",serial_no=\"%s\",signature=\"c2ln\"",
		    mchid, stamps[i], merchant_serial);
		extra_header = hdr;
		call("GET", TB "/out-bill-no/NONE1", NULL, UNSIGNED, 5000, &r);
		extra_header = NULL;
		CU_ASSERT_EQUAL(r.cc, CURLE_OK);
		CU_ASSERT_EQUAL(r.status, 401);
		CU_ASSERT_PTR_NOT_NULL(r.body.data != NULL ?
		    strstr(r.body.data, "timestamp outside") : NULL);
		ld_buf_free(&r.body);
	}
	/* Still serving. */
	cJSON_Delete(query("NONE1", &st));
	CU_ASSERT_EQUAL(st, 404);

	/* 64 characters of 3 bytes each: 192 bytes, refused. */
	for (i = 0; i < 64; i++)
		memcpy(longid + 3 * i, "\xe4\xb8\xad", 3);
	longid[192] = '\0';
	o = create("HOST1", longid, 1000, 0, &st);
	CU_ASSERT_EQUAL(st, 400);
	CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "INVALID_REQUEST");
	cJSON_Delete(o);
	o = create("HOST2", "o bob", 1000, 0, &st);
	CU_ASSERT_EQUAL(st, 400);
	cJSON_Delete(o);

	/* transfer_amount twice: which one would be paid? */
	body = bill_body("HOST3", "o_carol", 1000, "x");
	p = ld_asprintf("%.*s,\"transfer_amount\":999999}",
	    (int)strlen(body) - 1, body);
	call("POST", TB, p, SIGNED, 5000, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "PARAM_ERROR"));
	ld_buf_free(&r.body);
	free(p);
	/* Bytes after the document. */
	p = ld_asprintf("%s{}", body);
	call("POST", TB, p, SIGNED, 5000, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	ld_buf_free(&r.body);
	free(p);
	/* A callback URL that would split the notifier's request line. */
	p = ld_asprintf("%.*s,\"notify_url\":\"http://127.0.0.1/a\\r\\nX: 1\"}",
	    (int)strlen(body) - 1, body);
	call("POST", TB, p, SIGNED, 5000, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "notify_url"));
	ld_buf_free(&r.body);
	free(p);
	free(body);
	/* None of them made a bill. */
	cJSON_Delete(query("HOST3", &st));
	CU_ASSERT_EQUAL(st, 404);

	/* Batch query parameters are digits and documented values. */
	call("POST", "/v3/transfer/batches", "{\"appid\":"
	    "\"wxd930ea5d5a258f4f\",\"out_batch_no\":\"HOSTB1\","
	    "\"batch_name\":\"n\",\"batch_remark\":\"r\",\"total_amount\":"
	    "1000,\"total_num\":1,\"transfer_detail_list\":[{"
	    "\"out_detail_no\":\"HD1\",\"transfer_amount\":1000,"
	    "\"transfer_remark\":\"r\",\"openid\":\"o_kim\"}]}", SIGNED, 5000,
	    &r);
	CU_ASSERT_EQUAL(r.status, 200);
	ld_buf_free(&r.body);
	{
		static const char *const q[] = { "offset=abc", "limit=10x",
			"limit=-5", "offset=+1", "detail_status=BOGUS" };

		for (i = 0; i < sizeof q / sizeof q[0]; i++) {
			char path[256];

			snprintf(path, sizeof path, "/v3/transfer/batches/"
			    "out-batch-no/HOSTB1?need_query_detail=true&%s",
			    q[i]);
			call("GET", path, NULL, SIGNED, 5000, &r);
			CU_ASSERT_EQUAL(r.status, 400);
			ld_buf_free(&r.body);
		}
		call("GET", "/v3/transfer/batches/out-batch-no/HOSTB1"
		    "?need_query_detail=true&offset=0&limit=5", NULL, SIGNED,
		    5000, &r);
		CU_ASSERT_EQUAL(r.status, 200);
		ld_buf_free(&r.body);
	}

	/* APIv2: the amount in digits, the openid in its alphabet. */
	{
		struct wx_kv f[] = {
			{ (char *)"mch_appid", (char *)"wxd930ea5d5a258f4f" },
			{ (char *)"mchid", (char *)"1900000001" },
			{ (char *)"nonce_str", (char *)"ibuaiVcKdpRxkhJA" },
			{ (char *)"partner_trade_no", (char *)"V2H1" },
			{ (char *)"openid", (char *)"o_v2_user" },
			{ (char *)"check_name", (char *)"NO_CHECK" },
			{ (char *)"amount", (char *)" 1500" },
			{ (char *)"desc", (char *)"x" },
			{ (char *)"spbill_create_ip", (char *)"127.0.0.1" },
		};
		static const char *const amounts[] = { " 1500", "+1500",
			"1500 ", "1e3", "99999999999999999999" };
		const char *tp = "/mmpaymkttransfers/promotion/transfers";
		struct wx_kv *a;
		size_t n;

		for (i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
			f[6].value = (char *)amounts[i];
			a = v2_call(tp, f, 9, WX_V2_MD5, 0, &n);
			CU_ASSERT_STRING_EQUAL(kv(a, n, "err_code"),
			    "PARAM_ERROR");
			wx_kv_free(a, n);
		}
		f[6].value = (char *)"1500";
		f[4].value = (char *)"o v2";
		a = v2_call(tp, f, 9, WX_V2_MD5, 0, &n);
		CU_ASSERT_STRING_EQUAL(kv(a, n, "err_code"), "OPENID_ERROR");
		wx_kv_free(a, n);
	}
}

/* The ledger agrees with what the tests did; nothing was paid twice. */
static void
test_ledger(void)
{
	cJSON *o = NULL, *paid, *bills = NULL, *b, *u;
	int idem = 0, k, done = 0;
	double sum = 0;

	/*
	 * test_hostile_requests' batch (HD1, 1000 to o_kim) may still be
	 * processing: wait for it, so the totals do not depend on how fast
	 * the simulator runs.
	 */
	for (k = 0; k < 200 && !done; k++) {
		cJSON_Delete(o);
		o = ledger();
		bills = cJSON_GetObjectItemCaseSensitive(o, "bills");
		cJSON_ArrayForEach(b, bills)
			done |= strcmp(jstr(b, "out_no"), "HD1") == 0 &&
			    strcmp(jstr(b, "state"), "SUCCESS") == 0;
		if (!done)
			sleep_ms(50);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_TRUE(done);
	cJSON_ArrayForEach(b, bills) {
		if (strcmp(jstr(b, "out_no"), "IDEM1") == 0)
			idem++;
		if (strcmp(jstr(b, "state"), "SUCCESS") == 0)
			sum += jnum(b, "amount");
	}
	CU_ASSERT_EQUAL(idem, 1);
	paid = cJSON_GetObjectItemCaseSensitive(o, "paid_by_openid");
	u = cJSON_GetObjectItemCaseSensitive(paid, "o_henry");
	CU_ASSERT_EQUAL(jnum(u, "amount"), 3000);
	CU_ASSERT_EQUAL(jnum(u, "count"), 1);
	u = cJSON_GetObjectItemCaseSensitive(paid, "o_v2_user");
	CU_ASSERT_EQUAL(jnum(u, "amount"), 1500);
	CU_ASSERT_EQUAL(jnum(u, "count"), 1);
	CU_ASSERT_PTR_NULL(cJSON_GetObjectItemCaseSensitive(paid, "o_ivy"));
	/* CB1, CB4, CB5 3000 each + batches 3000 and 1000 + v2 1500. */
	CU_ASSERT_EQUAL(sum, 14500);
	CU_ASSERT_EQUAL(jnum(o, "paid_total"), 14500);
	u = cJSON_GetObjectItemCaseSensitive(paid, "o_kate");
	CU_ASSERT_EQUAL(jnum(u, "amount"), 6000);
	CU_ASSERT_EQUAL(jnum(u, "count"), 2);
	cJSON_Delete(o);
}

static void
test_shutdown(void)
{
	int status = -1;

	CU_ASSERT_EQUAL_FATAL(kill(sim_pid, SIGTERM), 0);
	CU_ASSERT_EQUAL(waitpid(sim_pid, &status, 0), sim_pid);
	/* Exit 0 also means the sanitizers found no leak. */
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	sim_pid = -1;
}

static void
test_cli(void)
{
	char cmd[1200], conf[600];

	snprintf(cmd, sizeof cmd, "'%s' --help >/dev/null", sim_bin);
	CU_ASSERT_EQUAL(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "'%s' --version | grep -q '^wxpay-sim '",
	    sim_bin);
	CU_ASSERT_EQUAL(system(cmd), 0);
	snprintf(conf, sizeof conf, "%s/bad.conf", tmpdir);
	CU_ASSERT_EQUAL_FATAL(write_file(conf, "[limits]\n"
	    "max_transfer_fen = lots\n"), 0);
	snprintf(cmd, sizeof cmd, "'%s' -c '%s' 2>&1 | grep -q "
	    "'bad.conf:2: max_transfer_fen'", sim_bin, conf);
	CU_ASSERT_EQUAL(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "'%s' --listen 0.0.0.0:0 --state-dir "
	    "'%s/st2' -m 2>&1 | grep -q 'only loopback'", sim_bin, tmpdir);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
		LD_TEST(test_state_dir),
		LD_TEST(test_good_signature),
		LD_TEST(test_openssl_cli),
		LD_TEST(test_certificates),
		LD_TEST(test_http_rules),
		LD_TEST(test_bad_signature),
		LD_TEST(test_idempotency),
		LD_TEST(test_user_name),
		LD_TEST(test_limits),
		LD_TEST(test_faults),
		LD_TEST(test_callbacks),
		LD_TEST(test_batches),
		LD_TEST(test_v2),
		LD_TEST(test_hostile_requests),
		LD_TEST(test_ledger),
		LD_TEST(test_shutdown),
		LD_TEST(test_cli),
		LD_TEST_END
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	LD_TEST_INIT();
	ld_test_suite("wxpay-sim", suite_init, suite_clean, cases);
	return ld_test_run();
}
