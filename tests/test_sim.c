/*
 * wxpay-sim end to end over loopback: the real binary on a free port in a
 * temporary state directory, requests signed with the wxpay crypto code
 * (and once with the openssl CLI, an independent signer), answers and
 * callbacks verified against the platform key the simulator printed.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
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
	call("POST", TB, body, SIGNED, LD_TEST_WAIT_MS, &r);
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
	call("GET", path, NULL, SIGNED, LD_TEST_WAIT_MS, &r);
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

	call(method, path, body, UNSIGNED, LD_TEST_WAIT_MS, &r);
	st = r.status;
	ld_buf_free(&r.body);
	return st;
}

static cJSON *
ledger(void)
{
	struct resp r;
	cJSON *o;

	call("GET", "/__sim/ledger", NULL, UNSIGNED, LD_TEST_WAIT_MS, &r);
	o = body_json(&r);
	ld_buf_free(&r.body);
	return o;
}

/* Waits (up to LD_TEST_WAIT_MS) until the simulator knows a bill. */
static int
wait_known(const char *out_no)
{
	double end = ld_test_now_ms() + LD_TEST_WAIT_MS;
	long st;

	for (;;) {
		cJSON_Delete(query(out_no, &st));
		if (st == 200 || ld_test_now_ms() > end)
			return st == 200;
		sleep_ms(50);
	}
}

/* Waits (up to LD_TEST_WAIT_MS) for a bill to reach state. */
static int
wait_state(const char *out_no, const char *state)
{
	double end = ld_test_now_ms() + LD_TEST_WAIT_MS;
	long st;
	int ok = 0;

	for (;;) {
		cJSON *o = query(out_no, &st);

		ok = st == 200 && strcmp(jstr(o, "state"), state) == 0;
		cJSON_Delete(o);
		if (ok || ld_test_now_ms() > end)
			return ok;
		sleep_ms(50);
	}
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
wait_callback(size_t from)
{
	double end = ld_test_now_ms() + LD_TEST_WAIT_MS;

	for (;;) {
		int i = -1;

		pthread_mutex_lock(&cb_lock);
		if (cb_n > from)
			i = (int)from;
		pthread_mutex_unlock(&cb_lock);
		if (i >= 0 || ld_test_now_ms() > end)
			return i;
		sleep_ms(20);
	}
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

/* A running simulator and what it printed. */
struct simproc {
	pid_t pid;
	char base_url[128], v2_base_url[128], tls_cert_file[512];
	char platform_pub[512], platform_key_id[160];
	char merchant_key[512], merchant_serial[160];
};

static struct simproc main_sim;

static void
printed(const char *line, const char *key, char *out, size_t size)
{
	size_t n = strlen(key);

	if (strncmp(line, key, n) == 0 && line[n] == '=')
		snprintf(out, size, "%s", line + n + 1);
}

/*
 * Starts wxpay-sim -c conf, then state_dir and listen when not NULL; 0
 * once it says it is listening.
 */
static int
start_sim_in(const char *conf, const char *state_dir, const char *listen,
    struct simproc *p)
{
	char line[1024];
	int fds[2];
	FILE *out;

	memset(p, 0, sizeof *p);
	if (pipe(fds) != 0)
		return -1;
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		/* Never outlive a crashed test. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (state_dir != NULL)
			execl(sim_bin, "wxpay-sim", "-c", conf, "--state-dir",
			    state_dir, "--listen", listen, "--generate-merchant",
			    (char *)NULL);
		else
			execl(sim_bin, "wxpay-sim", "-c", conf, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	while (fgets(line, sizeof line, out) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		printed(line, "platform_public_key_file", p->platform_pub,
		    sizeof p->platform_pub);
		printed(line, "platform_key_id", p->platform_key_id,
		    sizeof p->platform_key_id);
		printed(line, "merchant_private_key_file", p->merchant_key,
		    sizeof p->merchant_key);
		printed(line, "merchant_serial", p->merchant_serial,
		    sizeof p->merchant_serial);
		printed(line, "v2_base_url", p->v2_base_url,
		    sizeof p->v2_base_url);
		printed(line, "tls_cert_file", p->tls_cert_file,
		    sizeof p->tls_cert_file);
		if (strncmp(line, "listening on ", 13) == 0) {
			snprintf(p->base_url, sizeof p->base_url, "http://%s",
			    line + 13);
			break;
		}
	}
	fclose(out);
	if (p->base_url[0] == '\0') {
		fprintf(stderr, "wxpay-sim did not start\n");
		return -1;
	}
	return 0;
}

static int
start_sim(const char *conf, struct simproc *p)
{
	return start_sim_in(conf, NULL, NULL, p);
}

static int
suite_init(void)
{
	const char *bd = getenv("top_builddir");
	char conf[512], statedir[512], line[1024], *text;
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
	    "per_user_daily_fen = 300000\n"
	    "scenes = 1000,1002,1004,1005,1009,1010,1011,1013\n"
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
	if (start_sim(conf, &main_sim) != 0)
		return -1;
	sim_pid = main_sim.pid;
	snprintf(base_url, sizeof base_url, "%s", main_sim.base_url);
	snprintf(platform_pub_path, sizeof platform_pub_path, "%s",
	    main_sim.platform_pub);
	snprintf(platform_key_id, sizeof platform_key_id, "%s",
	    main_sim.platform_key_id);
	snprintf(merchant_key_path, sizeof merchant_key_path, "%s",
	    main_sim.merchant_key);
	snprintf(merchant_serial, sizeof merchant_serial, "%s",
	    main_sim.merchant_serial);
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
 * Answers the rules fix: 405 for a wrong method (with the Allow header
 * HTTP requires), 400 INVALID_REQUEST "输入账户类型未开通" for an unknown
 * balance account, 400 INVALID_REQUEST for cancelling an unknown or
 * terminal bill (pay.weixin.qq.com doc 4012716458).
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
		    "GET") == 0 ? NULL : "", SIGNED, LD_TEST_WAIT_MS, &r);
		if (r.status != 405)
			fprintf(stderr, "%s %s: %ld\n", wrong[i].method,
			    wrong[i].path, r.status);
		CU_ASSERT_EQUAL(r.status, 405);
		CU_ASSERT_STRING_EQUAL(r.allow, wrong[i].allow);
		ld_buf_free(&r.body);
	}

	call("GET", "/v3/merchant/fund/balance/SAVINGS", NULL, SIGNED,
	    LD_TEST_WAIT_MS,
	    &r);
	CU_ASSERT_EQUAL(r.status, 400);
	o = body_json(&r);
	CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "INVALID_REQUEST");
	CU_ASSERT_STRING_EQUAL(jstr(o, "message"), "输入账户类型未开通");
	cJSON_Delete(o);
	ld_buf_free(&r.body);

	/* Cancel: unknown, then before the user confirms, then again. */
	call("POST", TB "/out-bill-no/NOSUCHBILL/cancel", NULL, SIGNED,
	    LD_TEST_WAIT_MS,
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
	call("POST", TB "/out-bill-no/CANC1/cancel", NULL, SIGNED,
	    LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	o = body_json(&r);
	CU_ASSERT_STRING_EQUAL(jstr(o, "state"), "CANCELING");
	cJSON_Delete(o);
	ld_buf_free(&r.body);
	CU_ASSERT_TRUE(wait_state("CANC1", "CANCELLED"));
	call("POST", TB "/out-bill-no/CANC1/cancel", NULL, SIGNED,
	    LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	o = body_json(&r);
	CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "INVALID_REQUEST");
	cJSON_Delete(o);
	ld_buf_free(&r.body);
}

/*
 * A certificate's notBefore or notAfter (what: startdate, enddate) as
 * the openssl CLI reads it, written as WeChat writes times: RFC 3339 in
 * Beijing time.
 */
static const char *
cert_time(const char *pem_path, const char *what, char out[32], time_t *at)
{
	char cmd[800], line[128];
	struct tm tm;
	time_t t = 0;
	FILE *f;

	out[0] = '\0';
	snprintf(cmd, sizeof cmd, "openssl x509 -in '%s' -noout -%s "
	    "-dateopt iso_8601", pem_path, what);
	f = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	/* "notBefore=2026-12-07 23:22:57Z" */
	memset(&tm, 0, sizeof tm);
	if (fgets(line, sizeof line, f) != NULL &&
	    sscanf(strchr(line, '=') ? strchr(line, '=') + 1 : "",
	    "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		t = timegm(&tm);
		*at = t;
		t += 8 * 3600;
		gmtime_r(&t, &tm);
		strftime(out, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
	}
	CU_ASSERT_EQUAL(pclose(f), 0);
	CU_ASSERT(out[0] != '\0');
	return out;
}

/* Platform-certificate mode's download, checked with the openssl CLI. */
static void
test_certificates(void)
{
	struct resp r;
	struct ld_err err;
	cJSON *o, *c, *e;
	char *pem = NULL, cmd[2048], path[600], t1[32], t2[32];
	time_t nb = 0, na = 0;
	FILE *f;
	int k;

	call("GET", "/v3/certificates", NULL, SIGNED, LD_TEST_WAIT_MS, &r);
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
	/*
	 * The window is the certificate's own, as openssl reads it.  The
	 * simulator made it an hour back-dated at its first start: once a
	 * second has passed since, a window drawn from the clock (now - 1 h,
	 * now + 5 y) differs from it.
	 */
	CU_ASSERT_STRING_EQUAL(jstr(c, "effective_time"), cert_time(path,
	    "startdate", t1, &nb));
	CU_ASSERT_STRING_EQUAL(jstr(c, "expire_time"), cert_time(path,
	    "enddate", t2, &na));
	free(pem);
	cJSON_Delete(o);
	for (k = 0; k < 100 && time(NULL) <= nb + 3600; k++)
		sleep_ms(50);
	CU_ASSERT_TRUE(time(NULL) > nb + 3600);
	/* And it does not move between calls. */
	call("GET", "/v3/certificates", NULL, SIGNED, LD_TEST_WAIT_MS, &r);
	o = body_json(&r);
	ld_buf_free(&r.body);
	c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "data"), 0);
	CU_ASSERT_STRING_EQUAL(jstr(c, "effective_time"), t1);
	CU_ASSERT_STRING_EQUAL(jstr(c, "expire_time"), t2);
	cJSON_Delete(o);
}

static void
test_bad_signature(void)
{
	char *body = bill_body("BAD1", "o_alice", 1000, "x");
	struct resp r;
	cJSON *o, *si;

	call("POST", TB, body, SIGNED_OTHER_BODY, LD_TEST_WAIT_MS, &r);
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

	call("POST", TB, body, SIGNED_STALE, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 401);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "SIGN_ERROR"));
	ld_buf_free(&r.body);
	call("POST", TB, body, UNSIGNED, LD_TEST_WAIT_MS, &r);
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
	call("POST", TB, body, SIGNED, LD_TEST_WAIT_MS, &r);
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
		    "\"岗位类型\",\"info_content\":\"外包\"},{\"info_type\":"
		    "\"报酬说明\",\"info_content\":\"佣金\"}]}", appid, enc);
		free(enc);
		extra_header = k < 2 ? hdr : NULL;
		call("POST", TB, body, SIGNED, LD_TEST_WAIT_MS, &r);
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
	double end;

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
	for (end = ld_test_now_ms() + LD_TEST_WAIT_MS;;) {
		o = ledger();
		held = jnum(cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(o, "accounts"),
		    "OPERATION"), "pending_amount");
		cJSON_Delete(o);
		if (held == 0 || ld_test_now_ms() > end)
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

		memcpy(p, "\"1006\"", 6);
		call("POST", TB, b, SIGNED, LD_TEST_WAIT_MS, &r);
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
	call("POST", TB, body, SIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_NOT_EQUAL(r.cc, CURLE_OK);
	ld_buf_free(&r.body);
	o = query("F4", &st);
	CU_ASSERT_EQUAL(st, 404);
	cJSON_Delete(o);

	/* Reset after the money moved: the replay finds the same bill. */
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"reset_after_commit_count\":1}"), 200);
	call("POST", TB, body, SIGNED, LD_TEST_WAIT_MS, &r);
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
	/* On a busy machine the client may give up before the commit. */
	CU_ASSERT_TRUE(wait_known("F5"));

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
	call("GET", TB "/out-bill-no/F5", NULL, SIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_FALSE(answer_verifies(&r));
	ld_buf_free(&r.body);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"response_signtest_count\":1}"), 200);
	call("GET", TB "/out-bill-no/F5", NULL, SIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(strncmp(r.sig, "WECHATPAY/SIGNTEST/", 19), 0);
	CU_ASSERT_FALSE(answer_verifies(&r));
	ld_buf_free(&r.body);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"response_unknown_serial_count\":1}"), 200);
	call("GET", TB "/out-bill-no/F5", NULL, SIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_FALSE(answer_verifies(&r));
	ld_buf_free(&r.body);
	call("GET", TB "/out-bill-no/F5", NULL, SIGNED, LD_TEST_WAIT_MS, &r);
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
	CU_ASSERT_TRUE(wait_state("CB1", "SUCCESS"));
	i = wait_callback(from);
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
	/* Waiting for the user, as created; then expired. */
	o = create("CB2", "o_ivy", 3000, 1, &st);
	CU_ASSERT_STRING_EQUAL(jstr(o, "state"), "WAIT_USER_CONFIRM");
	cJSON_Delete(o);
	CU_ASSERT_TRUE(wait_state("CB2", "CANCELLED"));
	i = wait_callback(from);
	CU_ASSERT_FATAL(i >= 0);
	j = wait_callback((size_t)i + 1);
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

		call("POST", TB "/out-bill-no/CB3/cancel", NULL, SIGNED,
		    LD_TEST_WAIT_MS,
		    &r);
		CU_ASSERT_EQUAL(r.status, 200);
		CU_ASSERT_TRUE(answer_verifies(&r));
		CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "CANCEL"));
		ld_buf_free(&r.body);
		CU_ASSERT_TRUE(wait_state("CB3", "CANCELLED"));
		i = wait_callback(from);
		CU_ASSERT_FATAL(i >= 0);
		msg = wx_v3_response_message_len(cb_seen[i].ts,
		    cb_seen[i].nonce, cb_seen[i].body, strlen(cb_seen[i].body),
		    &len);
		CU_ASSERT_NOT_EQUAL(wx_rsa_verify_b64(platform_pub, msg, len,
		    cb_seen[i].sig, &err), LD_OK);
		free(msg);
		/* Cancelling a finished bill is refused. */
		call("POST", TB "/out-bill-no/CB1/cancel", NULL, SIGNED,
		    LD_TEST_WAIT_MS,
		    &r);
		CU_ASSERT_EQUAL(r.status, 400);
		ld_buf_free(&r.body);
	}

	/*
	 * Out of order: CB4 finishes first, its callback arrives last.  It
	 * is held 3 s: CB5's, confirmed right after, is sent long before
	 * even on a busy machine.
	 */
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults",
	    "{\"callback_reorder_count\":1,\"callback_reorder_ms\":3000}"),
	    200);
	o = create("CB4", "o_kate", 3000, 1, &st);
	cJSON_Delete(o);
	o = create("CB5", "o_kate", 3000, 1, &st);
	cJSON_Delete(o);
	pthread_mutex_lock(&cb_lock);
	from = cb_n;
	pthread_mutex_unlock(&cb_lock);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/bills/CB4/confirm", NULL), 200);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/bills/CB5/confirm", NULL), 200);
	CU_ASSERT_TRUE(wait_state("CB4", "SUCCESS"));
	CU_ASSERT_TRUE(wait_state("CB5", "SUCCESS"));
	i = wait_callback(from);
	CU_ASSERT_FATAL(i >= 0);
	j = wait_callback((size_t)i + 1);
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
	double end;

	call("POST", "/v3/transfer/batches", body, SIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_TRUE(answer_verifies(&r));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "\"batch_id\""));
	ld_buf_free(&r.body);
	for (end = ld_test_now_ms() + LD_TEST_WAIT_MS;;) {
		call("GET", "/v3/transfer/batches/out-batch-no/B1"
		    "?need_query_detail=true&offset=0&limit=20", NULL, SIGNED,
		    LD_TEST_WAIT_MS, &r);
		o = body_json(&r);
		tb = cJSON_GetObjectItemCaseSensitive(o, "transfer_batch");
		ld_buf_free(&r.body);
		if (strcmp(jstr(tb, "batch_status"), "FINISHED") == 0)
			break;
		cJSON_Delete(o);
		o = NULL;
		if (ld_test_now_ms() > end)
			break;
		sleep_ms(50);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(jnum(tb, "success_num"), 2);
	CU_ASSERT_EQUAL(jnum(tb, "success_amount"), 3000);
	CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o,
	    "transfer_detail_list")), 2);
	cJSON_Delete(o);
	call("GET", "/v3/transfer/batches/out-batch-no/B1/details/"
	    "out-detail-no/D2", NULL, SIGNED, LD_TEST_WAIT_MS, &r);
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

/* Where v2_call goes: another listener, its CA, a client certificate. */
static const char *v2_base, *v2_ca, *v2_p12;

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
	snprintf(url, sizeof url, "%s%s", v2_base ? v2_base : base_url, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	if (v2_ca != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, v2_ca);
	if (v2_p12 != NULL) {
		curl_easy_setopt(curl, CURLOPT_SSLCERT, v2_p12);
		curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "P12");
		curl_easy_setopt(curl, CURLOPT_KEYPASSWD, mchid);
	}
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
	/* Past the communication check: a nonce_str, and still no sign. */
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
		call("GET", TB "/out-bill-no/NONE1", NULL, UNSIGNED,
		    LD_TEST_WAIT_MS, &r);
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
	call("POST", TB, p, SIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "PARAM_ERROR"));
	ld_buf_free(&r.body);
	free(p);
	/* Bytes after the document. */
	p = ld_asprintf("%s{}", body);
	call("POST", TB, p, SIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	ld_buf_free(&r.body);
	free(p);
	/* A callback URL that would split the notifier's request line. */
	p = ld_asprintf("%.*s,\"notify_url\":\"http://127.0.0.1/a\\r\\nX: 1\"}",
	    (int)strlen(body) - 1, body);
	call("POST", TB, p, SIGNED, LD_TEST_WAIT_MS, &r);
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
	    "\"transfer_remark\":\"r\",\"openid\":\"o_kim\"}]}", SIGNED,
	    LD_TEST_WAIT_MS,
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
			call("GET", path, NULL, SIGNED, LD_TEST_WAIT_MS, &r);
			CU_ASSERT_EQUAL(r.status, 400);
			ld_buf_free(&r.body);
		}
		call("GET", "/v3/transfer/batches/out-batch-no/HOSTB1"
		    "?need_query_detail=true&offset=0&limit=5", NULL, SIGNED,
		    LD_TEST_WAIT_MS, &r);
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
	int idem = 0, done = 0;
	double end;
	double sum = 0;

	/*
	 * test_hostile_requests' batch (HD1, 1000 to o_kim) may still be
	 * processing: wait for it, so the totals do not depend on how fast
	 * the simulator runs.
	 */
	for (end = ld_test_now_ms() + LD_TEST_WAIT_MS;
	    !done && ld_test_now_ms() <= end;) {
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

/*
 * A rule longer than 63 bytes is taken whole: POST /__sim/faults used to
 * cut it (char val[64]), and an 86-byte NOT_ENOUGH rule became one that
 * fired on every openid.  A part too long for its field is refused.
 */
static void
test_fault_rule_long(void)
{
	const char *rule = "NOT_ENOUGH openid=o_reconcile_balance_shortfall_"
	    "case_000042_* api=create count=1 bps=0";
	char body[512], longer[300];
	struct resp r;
	cJSON *o, *rules;
	long st;

	CU_ASSERT_EQUAL_FATAL(strlen(rule), 86);
	snprintf(body, sizeof body, "{\"rule\":\"%s\"}", rule);
	call("POST", "/__sim/faults", body, UNSIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	o = body_json(&r);
	rules = cJSON_GetObjectItemCaseSensitive(o, "rules");
	CU_ASSERT_EQUAL(cJSON_GetArraySize(rules), 2);
	CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetArrayItem(rules,
	    1)), "NOT_ENOUGH openid=o_reconcile_balance_shortfall_case_000042_* "
	    "api=create bps=0 count=1");
	cJSON_Delete(o);
	ld_buf_free(&r.body);
	/* Another openid is not touched by it ... */
	o = create("LONGR1", "o_not_short", 1000, 0, &st);
	CU_ASSERT_EQUAL(st, 200);
	CU_ASSERT_STRING_EQUAL(jstr(o, "state"), "WAIT_USER_CONFIRM");
	cJSON_Delete(o);
	/* ... the one it names is. */
	o = create("LONGR2", "o_reconcile_balance_shortfall_case_000042_a",
	    1000, 0, &st);
	CU_ASSERT_EQUAL(st, 403);
	CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "NOT_ENOUGH");
	cJSON_Delete(o);
	/* An openid glob longer than an openid: refused, nothing changed. */
	memset(longer, 'o', 80);
	longer[80] = '\0';
	snprintf(body, sizeof body, "{\"rule\":\"NOT_ENOUGH openid=%s "
	    "api=create\"}", longer);
	call("POST", "/__sim/faults", body, UNSIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "openid too long"));
	ld_buf_free(&r.body);
	call("GET", "/__sim/faults", NULL, UNSIGNED, LD_TEST_WAIT_MS, &r);
	o = body_json(&r);
	CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o,
	    "rules")), 2);
	cJSON_Delete(o);
	ld_buf_free(&r.body);
	/* A fraction is not a count. */
	CU_ASSERT_EQUAL(admin("POST", "/__sim/faults", "{\"hang_count\":1.5}"),
	    400);
	CU_ASSERT_EQUAL(admin("DELETE", "/__sim/faults", NULL), 200);
}

/* A transfer-bill body for scene with the infos "type:content;...". */
static char *
scene_body(const char *out_no, const char *scene, const char *infos)
{
	struct ld_buf b;
	char *list, *p, *save = NULL, *out;
	int first = 1;

	ld_buf_init(&b, 0);
	list = ld_strdup(infos);
	ld_buf_puts(&b, "[");
	for (p = strtok_r(list, ";", &save); p != NULL;
	    p = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(p, ':');

		*colon = '\0';
		ld_buf_printf(&b, "%s{\"info_type\":\"%s\",\"info_content\":"
		    "\"%s\"}", first ? "" : ",", p, colon + 1);
		first = 0;
	}
	ld_buf_puts(&b, "]");
	out = ld_asprintf("{\"appid\":\"%s\",\"out_bill_no\":\"%s\","
	    "\"transfer_scene_id\":\"%s\",\"openid\":\"o_scene_%s\","
	    "\"transfer_amount\":1000,\"transfer_remark\":\"r\","
	    "\"transfer_scene_report_infos\":%s}", appid, out_no, scene, scene,
	    b.data);
	ld_buf_free(&b);
	free(list);
	return out;
}

/*
 * Each scene's report infos are the ones it names, each once: the whole
 * set is taken, one short or one too many is PARAM_ERROR in WeChat's
 * words, naming what is wrong.
 */
static void
test_scene_infos(void)
{
	static const struct {
		const char *scene, *infos, *last;
	} scenes[] = {
		{ "1000", "活动名称:新客;奖励说明:红包", "奖励说明" },
		{ "1002", "补贴类型:交通", "补贴类型" },
		{ "1004", "保险产品备案编号:B1;保险名称:意外险;保险操作单号:P1",
		    "保险操作单号" },
		{ "1005", "岗位类型:外包;报酬说明:佣金", "报酬说明" },
		{ "1009", "采购商品名称:纸", "采购商品名称" },
		{ "1010", "回收商品名称:旧机", "回收商品名称" },
		{ "1011", "赔付原因:破损", "赔付原因" },
		{ "1013", "公益活动名称:助学;公益活动备案编号:G1",
		    "公益活动备案编号" },
	};
	char no[32], *body, *infos, *cut;
	struct resp r;
	cJSON *o;
	size_t i;

	for (i = 0; i < sizeof scenes / sizeof scenes[0]; i++) {
		snprintf(no, sizeof no, "SCENE%sOK", scenes[i].scene);
		body = scene_body(no, scenes[i].scene, scenes[i].infos);
		call("POST", TB, body, SIGNED, LD_TEST_WAIT_MS, &r);
		if (r.status != 200)
			fprintf(stderr, "scene %s: %s\n", scenes[i].scene,
			    r.body.data);
		CU_ASSERT_EQUAL(r.status, 200);
		ld_buf_free(&r.body);
		free(body);
		/* Without its last info. */
		infos = ld_strdup(scenes[i].infos);
		cut = strrchr(infos, ';');
		if (cut != NULL)
			*cut = '\0';
		else
			snprintf(infos, strlen(infos) + 1, "其他:x");
		snprintf(no, sizeof no, "SCENE%sSHORT", scenes[i].scene);
		body = scene_body(no, scenes[i].scene, infos);
		call("POST", TB, body, SIGNED, LD_TEST_WAIT_MS, &r);
		CU_ASSERT_EQUAL(r.status, 400);
		o = body_json(&r);
		CU_ASSERT_STRING_EQUAL(jstr(o, "code"), "PARAM_ERROR");
		CU_ASSERT_PTR_NOT_NULL(strstr(jstr(o, "message"),
		    "需传入转账场景报备信息，请检查"));
		CU_ASSERT_PTR_NOT_NULL(strstr(jstr(o, "message"),
		    cut != NULL ? scenes[i].last : "其他"));
		cJSON_Delete(o);
		ld_buf_free(&r.body);
		free(body);
		free(infos);
	}
	/* What the issue saw accepted: 1005 with 岗位类型 only. */
	body = scene_body("SCENEX1", "1005", "岗位类型:外包");
	call("POST", TB, body, SIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "报酬说明"));
	ld_buf_free(&r.body);
	free(body);
	/* One too many, and one twice. */
	body = scene_body("SCENEX2", "1002", "补贴类型:交通;奖励说明:x");
	call("POST", TB, body, SIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "不报备"));
	ld_buf_free(&r.body);
	free(body);
	body = scene_body("SCENEX3", "1005", "岗位类型:a;报酬说明:b;岗位类型:c");
	call("POST", TB, body, SIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "两次"));
	ld_buf_free(&r.body);
	free(body);
	/* None of the refused ones was made. */
	for (i = 1; i <= 3; i++) {
		long st;

		snprintf(no, sizeof no, "SCENEX%zu", i);
		cJSON_Delete(query(no, &st));
		CU_ASSERT_EQUAL(st, 404);
	}
}

/* One batch detail: out_detail_no, amount, and a name (NULL: none). */
struct detail {
	const char *no;
	long amount;
	const char *name;
};

/* Posts a batch of details with the Wechatpay-Serial header. */
static void
batch_post(const char *out_batch, const struct detail *d, size_t n,
    struct resp *r)
{
	struct ld_buf b;
	struct ld_err err;
	char hdr[256];
	long total = 0;
	size_t i;

	ld_buf_init(&b, 0);
	for (i = 0; i < n; i++)
		total += d[i].amount;
	ld_buf_printf(&b, "{\"appid\":\"%s\",\"out_batch_no\":\"%s\","
	    "\"batch_name\":\"n\",\"batch_remark\":\"r\",\"total_amount\":%ld,"
	    "\"total_num\":%zu,\"transfer_detail_list\":[", appid, out_batch,
	    total, n);
	for (i = 0; i < n; i++) {
		char *enc = NULL;

		ld_buf_printf(&b, "%s{\"out_detail_no\":\"%s\","
		    "\"transfer_amount\":%ld,\"transfer_remark\":\"r\","
		    "\"openid\":\"o_bn_%s\"", i ? "," : "", d[i].no, d[i].amount,
		    d[i].no);
		if (d[i].name != NULL) {
			CU_ASSERT_EQUAL_FATAL(wx_rsa_oaep_encrypt_b64(
			    platform_pub, d[i].name, &enc, &err), LD_OK);
			ld_buf_printf(&b, ",\"user_name\":\"%s\"", enc);
			free(enc);
		}
		ld_buf_puts(&b, "}");
	}
	ld_buf_puts(&b, "]}");
	snprintf(hdr, sizeof hdr, "Wechatpay-Serial: %s", platform_key_id);
	extra_header = hdr;
	call("POST", "/v3/transfer/batches", b.data, SIGNED,
	    LD_TEST_WAIT_MS, r);
	extra_header = NULL;
	ld_buf_free(&b);
}

/*
 * Names in a batch as WeChat has them: all or none, required from 2,000
 * yuan, refused below 0.3 yuan; a refused batch holds nothing; the
 * detail query carries the name encrypted to the merchant.
 */
static void
test_batch_names(void)
{
	static const struct detail mixed[] = { { "BNM1", 1000, "张三" },
	    { "BNM2", 1000, NULL } };
	static const struct detail big[] = { { "BNB1", 200000, NULL } };
	static const struct detail tiny[] = { { "BNT1", 20, "张三" },
	    { "BNT2", 1000, "李四" } };
	static const struct detail good[] = { { "BNG1", 1000, "张三" },
	    { "BNG2", 200000, "李四" } };
	char *plain = NULL;
	struct ld_err err;
	struct resp r;
	cJSON *o, *tb = NULL;
	double end;
	int finished = 0;

	batch_post("BNMIX", mixed, 2, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "全部填写或全部不填写"));
	ld_buf_free(&r.body);
	batch_post("BNBIG", big, 1, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "BNB1 转账金额大于等于2000元"));
	ld_buf_free(&r.body);
	batch_post("BNTINY", tiny, 2, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "BNT1 转账金额小于0.3元"));
	ld_buf_free(&r.body);
	batch_post("BNGOOD", good, 2, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	ld_buf_free(&r.body);
	for (end = ld_test_now_ms() + LD_TEST_WAIT_MS;;) {
		call("GET", "/v3/transfer/batches/out-batch-no/BNGOOD"
		    "?need_query_detail=false", NULL, SIGNED, LD_TEST_WAIT_MS,
		    &r);
		o = body_json(&r);
		ld_buf_free(&r.body);
		tb = cJSON_GetObjectItemCaseSensitive(o, "transfer_batch");
		finished = strcmp(jstr(tb, "batch_status"), "FINISHED") == 0;
		cJSON_Delete(o);
		if (finished || ld_test_now_ms() > end)
			break;
		sleep_ms(50);
	}
	CU_ASSERT_TRUE(finished);
	call("GET", "/v3/transfer/batches/out-batch-no/BNGOOD/details/"
	    "out-detail-no/BNG2", NULL, SIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_TRUE(answer_verifies(&r));
	o = body_json(&r);
	CU_ASSERT_EQUAL(wx_rsa_oaep_decrypt_b64(merchant_key,
	    jstr(o, "user_name"), &plain, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(plain ? plain : "", "李四");
	free(plain);
	cJSON_Delete(o);
	ld_buf_free(&r.body);
	/* The refused batches left nothing in the books. */
	o = ledger();
	{
		const cJSON *b;
		int refused = 0, made = 0;

		cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(o,
		    "bills")) {
			refused += strncmp(jstr(b, "out_no"), "BNM", 3) == 0 ||
			    strncmp(jstr(b, "out_no"), "BNB", 3) == 0 ||
			    strncmp(jstr(b, "out_no"), "BNT", 3) == 0;
			made += strncmp(jstr(b, "out_no"), "BNG", 3) == 0;
		}
		CU_ASSERT_EQUAL(refused, 0);
		CU_ASSERT_EQUAL(made, 2);
	}
	cJSON_Delete(o);
}

/* The SHA1 of data as the openssl CLI computes it, lower-case hex. */
static void
openssl_sha1(const char *data, size_t len, char out[41])
{
	char path[600], cmd[1400];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof path, "%s/fundflow.csv", tmpdir);
	f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
	fclose(f);
	snprintf(cmd, sizeof cmd, "openssl dgst -sha1 -r '%s' | cut -c1-40 "
	    "> '%s.sha1'", path, path);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "%s.sha1", path);
	f = fopen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	if (fgets(out, 41, f) == NULL)
		out[0] = '\0';
	fclose(f);
}

/*
 * Applies for the fund-flow bill of date and account and downloads it as
 * a merchant does (both GETs signed); returns the file, checked against
 * the hash the answer gave by the openssl CLI, or NULL with *status the
 * apply's status and *code its error code.
 */
static char *
fundflow_fetch(const char *date, const char *account, long *status,
    char code[64], size_t *len)
{
	char path[256], hash[64], sha[41];
	const char *url;
	struct resp r;
	cJSON *o;
	char *file = NULL;

	code[0] = '\0';
	snprintf(path, sizeof path, "/v3/bill/fundflowbill?bill_date=%s"
	    "&account_type=%s", date, account);
	call("GET", path, NULL, SIGNED, LD_TEST_WAIT_MS, &r);
	*status = r.status;
	CU_ASSERT_TRUE(answer_verifies(&r));
	o = body_json(&r);
	ld_buf_free(&r.body);
	if (*status != 200) {
		snprintf(code, 64, "%s", jstr(o, "code"));
		cJSON_Delete(o);
		return NULL;
	}
	CU_ASSERT_STRING_EQUAL(jstr(o, "hash_type"), "SHA1");
	snprintf(hash, sizeof hash, "%s", jstr(o, "hash_value"));
	url = jstr(o, "download_url");
	CU_ASSERT_EQUAL_FATAL(strncmp(url, base_url, strlen(base_url)), 0);
	CU_ASSERT_EQUAL(strncmp(url + strlen(base_url),
	    "/v3/billdownload/file?token=", 28), 0);
	/* The download needs a signed GET too ... */
	call("GET", url + strlen(base_url), NULL, UNSIGNED,
	    LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 401);
	ld_buf_free(&r.body);
	call("GET", url + strlen(base_url), NULL, SIGNED, LD_TEST_WAIT_MS, &r);
	cJSON_Delete(o);
	CU_ASSERT_EQUAL(r.status, 200);
	/* ... and its answer is not signed: the hash is what vouches. */
	CU_ASSERT_STRING_EQUAL(r.sig, "");
	openssl_sha1(r.body.data ? r.body.data : "", r.body.len, sha);
	CU_ASSERT_STRING_EQUAL(sha, hash);
	*len = r.body.len;
	file = ld_buf_steal(&r.body, NULL);
	return file;
}

/*
 * The next CSV record of *p (RFC 4180: quoted fields, "" for a quote)
 * into fields; returns how many, 0 at the end.  *p moves past CRLF.
 */
static size_t
csv_record(const char **p, char fields[][256], size_t max)
{
	const char *c = *p;
	size_t n = 0, k;

	if (*c == '\0')
		return 0;
	for (;;) {
		int quoted = *c == '"';

		k = 0;
		if (quoted)
			c++;
		for (; *c != '\0'; c++) {
			if (quoted && *c == '"' && c[1] == '"')
				c++;
			else if (quoted && *c == '"') {
				c++;
				break;
			} else if (!quoted && (*c == ',' || *c == '\r'))
				break;
			if (k + 1 < 256)
				fields[n][k++] = *c;
		}
		fields[n][k] = '\0';
		if (n + 1 < max)
			n++;
		if (*c != ',')
			break;
		c++;
	}
	CU_ASSERT_EQUAL(strncmp(c, "\r\n", 2), 0);
	*p = c[0] == '\r' && c[1] == '\n' ? c + 2 : c;
	return n;
}

/* Fen from "`12.34": digits, a point, two digits; -1 otherwise. */
static long long
yuan_to_fen(const char *t)
{
	long long yuan = 0;
	const char *p = t + 1;

	if (t[0] != '`' || !(*p >= '0' && *p <= '9'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		yuan = yuan * 10 + (*p - '0');
	if (p[0] != '.' || !(p[1] >= '0' && p[1] <= '9') ||
	    !(p[2] >= '0' && p[2] <= '9') || p[3] != '\0')
		return -1;
	return yuan * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* A parsed fund-flow file: its lines by voucher number, and the summary. */
struct flowfile {
	char no[256][40];
	long long fen[256];
	long long balance[256];
	char remark[256][64];
	size_t n;
	long long total_fen, count;
};

static const char *const flow_header[] = { "记账时间", "微信支付业务单号",
	"资金流水单号", "业务名称", "业务类型", "收支类型", "收支金额(元)",
	"账户结余(元)", "资金变更提交申请人", "备注", "业务凭证号" };

/* Parses and checks the file's shape; fills ff. */
static void
flowfile_parse(const char *text, struct flowfile *ff)
{
	static char f[16][256];
	const char *p = text;
	size_t n, i;

	memset(ff, 0, sizeof *ff);
	n = csv_record(&p, f, 16);
	CU_ASSERT_EQUAL_FATAL(n, 11);
	for (i = 0; i < 11; i++)
		CU_ASSERT_STRING_EQUAL(f[i], flow_header[i]);
	while ((n = csv_record(&p, f, 16)) == 11) {
		for (i = 0; i < 11; i++)
			CU_ASSERT_EQUAL(f[i][0], '`');
		CU_ASSERT_STRING_EQUAL(f[5], "`支出");
		if (ff->n < 256) {
			snprintf(ff->no[ff->n], 40, "%s", f[10] + 1);
			ff->fen[ff->n] = yuan_to_fen(f[6]);
			ff->balance[ff->n] = yuan_to_fen(f[7]);
			snprintf(ff->remark[ff->n], 64, "%s", f[9]);
			CU_ASSERT_TRUE(ff->fen[ff->n] > 0);
			ff->n++;
		}
	}
	/* The summary: its header, then its line. */
	CU_ASSERT_EQUAL_FATAL(n, 5);
	CU_ASSERT_STRING_EQUAL(f[0], "资金流水总笔数");
	CU_ASSERT_STRING_EQUAL(f[4], "支出金额");
	CU_ASSERT_EQUAL_FATAL(csv_record(&p, f, 16), 5);
	CU_ASSERT_STRING_EQUAL(f[1], "`0");
	CU_ASSERT_STRING_EQUAL(f[2], "`0.00");
	CU_ASSERT_STRING_EQUAL(f[0], f[3]);
	ff->count = strtoll(f[0] + 1, NULL, 10);
	ff->total_fen = yuan_to_fen(f[4]);
	CU_ASSERT_EQUAL(*p, '\0');
}

/* The line for voucher number no, or -1. */
static int
flowfile_find(const struct flowfile *ff, const char *no)
{
	size_t i;

	for (i = 0; i < ff->n; i++)
		if (strcmp(ff->no[i], no) == 0)
			return (int)i;
	return -1;
}

/* The Beijing date a ledger bill was last updated (when it succeeded). */
static void
bill_date(const cJSON *ledger_o, const char *out_no, char date[11])
{
	const cJSON *b;

	date[0] = '\0';
	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(ledger_o,
	    "bills"))
		if (strcmp(jstr(b, "out_no"), out_no) == 0)
			snprintf(date, 11, "%s", jstr(b, "update_time"));
}

/* Confirms a bill and waits for it to be paid. */
static void
pay(const char *out_no, const char *openid, long amount, const char *remark)
{
	char path[128], *body;
	struct resp r;

	body = bill_body(out_no, openid, amount, remark);
	call("POST", TB, body, SIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	ld_buf_free(&r.body);
	free(body);
	snprintf(path, sizeof path, "/__sim/bills/%s/confirm", out_no);
	CU_ASSERT_EQUAL(admin("POST", path, NULL), 200);
	CU_ASSERT_TRUE(wait_state(out_no, "SUCCESS"));
}

/*
 * GET /v3/bill/fundflowbill and the download: every transfer the ledger
 * shows paid is a line (and nothing else is), its amount in yuan text
 * equal to its fen, the summary adds up, the file's SHA1 is the one
 * announced (by the openssl CLI), a remark with a comma and a quote is
 * quoted, and the last balance is the account's.
 */
static void
test_fundflow(void)
{
	char dates[8][11], code[64], path[128];
	size_t ndates = 0, d, i, len;
	struct flowfile *ff = ld_calloc(1, sizeof *ff);
	long long sum = 0, lines = 0, paid = 0;
	const cJSON *b;
	cJSON *o, *acc;
	long st;
	int k;
	char *file;

	pay("QUOTE1", "o_quote", 1234, "放款,\\\"测\\\"");
	o = ledger();
	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(o, "bills")) {
		const char *t = jstr(b, "update_time");

		if (strcmp(jstr(b, "state"), "SUCCESS") != 0)
			continue;
		paid++;
		for (d = 0; d < ndates; d++)
			if (strncmp(dates[d], t, 10) == 0)
				break;
		if (d == ndates && ndates < 8)
			snprintf(dates[ndates++], 11, "%s", t);
	}
	CU_ASSERT_FATAL(ndates >= 1);
	for (d = 0; d < ndates; d++) {
		file = fundflow_fetch(dates[d], "OPERATION", &st, code, &len);
		CU_ASSERT_EQUAL_FATAL(st, 200);
		flowfile_parse(file, ff);
		CU_ASSERT_EQUAL(ff->count, (long long)ff->n);
		for (i = 0, sum = 0; i < ff->n; i++)
			sum += ff->fen[i];
		CU_ASSERT_EQUAL(ff->total_fen, sum);
		lines += (long long)ff->n;
		/* Each line is a paid bill of the ledger, amount to the fen. */
		cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(o,
		    "bills")) {
			k = flowfile_find(ff, jstr(b, "out_no"));

			if (strcmp(jstr(b, "state"), "SUCCESS") != 0 ||
			    strncmp(jstr(b, "update_time"), dates[d], 10) != 0) {
				CU_ASSERT_TRUE(k < 0 || strcmp(jstr(b, "state"),
				    "SUCCESS") == 0);
				continue;
			}
			CU_ASSERT_TRUE_FATAL(k >= 0);
			CU_ASSERT_EQUAL(ff->fen[k], (long long)jnum(b,
			    "amount"));
		}
		if (d + 1 == ndates) {
			/* The last line leaves what the account holds. */
			acc = cJSON_GetObjectItemCaseSensitive(
			    cJSON_GetObjectItemCaseSensitive(o, "accounts"),
			    "OPERATION");
			CU_ASSERT_EQUAL(ff->balance[ff->n - 1], (long long)(
			    jnum(acc, "available_amount") +
			    jnum(acc, "pending_amount")));
			k = flowfile_find(ff, "QUOTE1");
			CU_ASSERT_TRUE_FATAL(k >= 0);
			i = (size_t)k;
			CU_ASSERT_STRING_EQUAL(ff->remark[i], "`放款,\"测\"");
			CU_ASSERT_PTR_NOT_NULL(strstr(file,
			    ",\"`放款,\"\"测\"\"\","));
			CU_ASSERT_EQUAL(ff->fen[i], 1234);
			/* The admin copy is the same file. */
			snprintf(path, sizeof path, "/__sim/ledger/fundflow?"
			    "bill_date=%s", dates[d]);
			{
				struct resp r;

				call("GET", path, NULL, UNSIGNED,
				    LD_TEST_WAIT_MS, &r);
				CU_ASSERT_EQUAL(r.status, 200);
				CU_ASSERT_EQUAL(r.body.len, len);
				CU_ASSERT_EQUAL(memcmp(r.body.data, file, len), 0);
				ld_buf_free(&r.body);
			}
		}
		free(file);
	}
	CU_ASSERT_EQUAL(lines, paid);
	/* The balance API answers from the same books. */
	{
		struct resp r;
		cJSON *bal;

		acc = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(o, "accounts"),
		    "OPERATION");
		call("GET", "/v3/merchant/fund/balance/OPERATION", NULL, SIGNED,
		    LD_TEST_WAIT_MS, &r);
		CU_ASSERT_EQUAL(r.status, 200);
		CU_ASSERT_TRUE(answer_verifies(&r));
		bal = body_json(&r);
		/* A bill expiring in between moves money from pending to
		 * available; what the account holds stays. */
		CU_ASSERT_EQUAL(jnum(bal, "available_amount") +
		    jnum(bal, "pending_amount"), jnum(acc, "available_amount") +
		    jnum(acc, "pending_amount"));
		cJSON_Delete(bal);
		ld_buf_free(&r.body);
	}
	cJSON_Delete(o);
	free(ff);
}

/* Replaces the first word in q (of size bytes) by with. */
static void
replace_word(char *q, size_t size, const char *word, const char *with)
{
	char *p = strstr(q, word), tail[256];

	if (p == NULL)
		return;
	snprintf(tail, sizeof tail, "%s", p + strlen(word));
	snprintf(p, size - (size_t)(p - q), "%s%s", with, tail);
}

/* What the fund-flow API refuses, each in its own words. */
static void
test_fundflow_refusals(void)
{
	static const struct {
		const char *query, *code;
		long status;
	} bad[] = {
		{ "bill_date=2026-13-01", "PARAM_ERROR", 400 },
		{ "bill_date=20261201", "PARAM_ERROR", 400 },
		{ "account_type=OPERATION", "PARAM_ERROR", 400 },
		{ "bill_date=TODAY&account_type=SAVINGS", "PARAM_ERROR", 400 },
		{ "bill_date=TODAY&account_type=OPERATION&tar_type=GZIP",
		    "PARAM_ERROR", 400 },
		{ "bill_date=TOMORROW&account_type=OPERATION",
		    "INVALID_REQUEST", 400 },
		{ "bill_date=2000-01-01&account_type=OPERATION",
		    "INVALID_REQUEST", 400 },
		{ "bill_date=TODAY&account_type=BASIC", "NO_STATEMENT_EXIST",
		    400 },
	};
	char today[16], tomorrow[16], path[256], q[160];
	time_t now = time(NULL) + 8 * 3600, next = now + 86400;
	struct tm tm;
	struct resp r;
	cJSON *o;
	size_t i;

	gmtime_r(&now, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	gmtime_r(&next, &tm);
	strftime(tomorrow, sizeof tomorrow, "%Y-%m-%d", &tm);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(q, sizeof q, "%s", bad[i].query);
		replace_word(q, sizeof q, "TODAY", today);
		replace_word(q, sizeof q, "TOMORROW", tomorrow);
		snprintf(path, sizeof path, "/v3/bill/fundflowbill?%s", q);
		call("GET", path, NULL, SIGNED, LD_TEST_WAIT_MS, &r);
		o = body_json(&r);
		if (r.status != bad[i].status ||
		    strcmp(jstr(o, "code"), bad[i].code) != 0)
			fprintf(stderr, "%s: %ld %s\n", path, r.status,
			    r.body.data);
		CU_ASSERT_EQUAL(r.status, bad[i].status);
		CU_ASSERT_STRING_EQUAL(jstr(o, "code"), bad[i].code);
		CU_ASSERT_TRUE(answer_verifies(&r));
		cJSON_Delete(o);
		ld_buf_free(&r.body);
	}
	call("GET", "/v3/bill/fundflowbill?bill_date=2026-01-01", NULL,
	    UNSIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 401);
	ld_buf_free(&r.body);
	call("GET", "/v3/billdownload/file?token=0123456789abcdef", NULL,
	    SIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	ld_buf_free(&r.body);
	call("POST", "/v3/bill/fundflowbill?bill_date=2026-01-01", "",
	    SIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 405);
	ld_buf_free(&r.body);
}

/* The fund-flow file of date; NULL when there is none. */
static char *
flowfile_of(const char *date, struct flowfile *ff, char hash[41])
{
	char code[64];
	size_t len;
	long st;
	char *file = fundflow_fetch(date, "OPERATION", &st, code, &len);

	CU_ASSERT_EQUAL_FATAL(st, 200);
	flowfile_parse(file, ff);
	openssl_sha1(file, len, hash);
	return file;
}

/*
 * POST /__sim/ledger/mismatch puts into the fund-flow bill the kinds of
 * difference reconciliation must find: another amount, a paid transfer
 * left out, a line for a transfer this ledger never paid.  DELETE gives
 * back the very same file.
 */
static void
test_fundflow_mismatch(void)
{
	struct flowfile *ff = ld_calloc(1, sizeof *ff);
	char d1[11], d2[11], dadd[11] = "", h0[41], h[41];
	struct resp r;
	cJSON *o;
	char *file;
	int k;

	pay("MM1", "o_mm", 3000, "x");
	pay("MM2", "o_mm", 2000, "x");
	o = ledger();
	bill_date(o, "MM1", d1);
	bill_date(o, "MM2", d2);
	cJSON_Delete(o);
	free(flowfile_of(d1, ff, h0));
	CU_ASSERT_EQUAL(ff->fen[flowfile_find(ff, "MM1")], 3000);

	call("POST", "/__sim/ledger/mismatch", "{\"out_bill_no\":\"MM1\","
	    "\"amount_fen\":2999}", UNSIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "\"kind\":\"amount\""));
	ld_buf_free(&r.body);
	call("POST", "/__sim/ledger/mismatch", "{\"out_bill_no\":\"MM2\","
	    "\"drop\":true}", UNSIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	ld_buf_free(&r.body);
	call("POST", "/__sim/ledger/mismatch", "{\"out_bill_no\":\"NEVERPAID1\","
	    "\"amount_fen\":777}", UNSIGNED, LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	o = body_json(&r);
	CU_ASSERT_STRING_EQUAL(jstr(o, "kind"), "add");
	snprintf(dadd, sizeof dadd, "%s", jstr(o, "bill_date"));
	cJSON_Delete(o);
	ld_buf_free(&r.body);
	/* Refused: nothing to drop, no number, two numbers. */
	CU_ASSERT_EQUAL(admin("POST", "/__sim/ledger/mismatch",
	    "{\"out_bill_no\":\"NEVERPAID2\",\"drop\":true}"), 404);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/ledger/mismatch",
	    "{\"amount_fen\":5}"), 400);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/ledger/mismatch",
	    "{\"out_bill_no\":\"MM1\",\"out_detail_no\":\"D1\","
	    "\"amount_fen\":5}"), 400);
	CU_ASSERT_EQUAL(admin("POST", "/__sim/ledger/mismatch",
	    "{\"out_bill_no\":\"MM1\",\"amount_fen\":0}"), 400);

	file = flowfile_of(d1, ff, h);
	k = flowfile_find(ff, "MM1");
	CU_ASSERT_TRUE_FATAL(k >= 0);
	CU_ASSERT_EQUAL(ff->fen[k], 2999);
	CU_ASSERT_PTR_NOT_NULL(strstr(file, ",`29.99,"));
	free(file);
	free(flowfile_of(d2, ff, h));
	CU_ASSERT_EQUAL(flowfile_find(ff, "MM2"), -1);
	free(flowfile_of(dadd, ff, h));
	k = flowfile_find(ff, "NEVERPAID1");
	CU_ASSERT_TRUE_FATAL(k >= 0);
	CU_ASSERT_EQUAL(ff->fen[k], 777);

	call("DELETE", "/__sim/ledger/mismatch", NULL, UNSIGNED,
	    LD_TEST_WAIT_MS, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body.data, "\"mismatches\":[]"));
	ld_buf_free(&r.body);
	free(flowfile_of(d1, ff, h));
	CU_ASSERT_STRING_EQUAL(h, h0);
	free(ff);
}

/* Runs a shell command; its exit status. */
static int
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static mode_t
mode_of(const char *dir, const char *name)
{
	char path[700];
	struct stat sb;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &sb) == 0 ? sb.st_mode & 0777 : 0;
}

/*
 * wxpay-sim --make-v2-client-cert: the merchant CA and apiclient_cert.p12
 * (CN = mchid, password = mchid), checked with the openssl CLI, then used
 * for real: a simulator that trusts the CA pays over mutual TLS and
 * refuses a client without the certificate.  That simulator also makes
 * a day's fund-flow bill only the next morning ([bill] same_day = no).
 */
static void
test_v2_client_cert(void)
{
	char dir[300], conf[400], *text, code[64];
	struct simproc two;
	struct wx_kv f[] = {
		{ (char *)"mch_appid", (char *)"wxd930ea5d5a258f4f" },
		{ (char *)"mchid", (char *)"1900000001" },
		{ (char *)"nonce_str", (char *)"tlsNonce0001" },
		{ (char *)"partner_trade_no", (char *)"V2TLS1" },
		{ (char *)"openid", (char *)"o_v2_tls" },
		{ (char *)"check_name", (char *)"NO_CHECK" },
		{ (char *)"amount", (char *)"1500" },
		{ (char *)"desc", (char *)"放款" },
		{ (char *)"spbill_create_ip", (char *)"127.0.0.1" },
	};
	const char *tp = "/mmpaymkttransfers/promotion/transfers";
	char p12[400], ca[400], today[16], saved[128];
	time_t now = time(NULL) + 8 * 3600;
	struct wx_kv *a;
	struct tm tm;
	size_t n, len;
	long st;
	int status = -1;

	snprintf(dir, sizeof dir, "%s/v2pki", tmpdir);
	CU_ASSERT_EQUAL_FATAL(sh("'%s' --make-v2-client-cert '%s' --mchid "
	    "1900000001 > '%s.out'", sim_bin, dir, dir), 0);
	CU_ASSERT_EQUAL(sh("grep -qx 'tls_client_ca_file=%s/merchant_ca.pem' "
	    "'%s.out'", dir, dir), 0);
	CU_ASSERT_EQUAL(mode_of(dir, "."), 0700);
	CU_ASSERT_EQUAL(mode_of(dir, "merchant_ca.pem"), 0644);
	CU_ASSERT_EQUAL(mode_of(dir, "merchant_ca_key.pem"), 0600);
	CU_ASSERT_EQUAL(mode_of(dir, "apiclient_cert.pem"), 0644);
	CU_ASSERT_EQUAL(mode_of(dir, "apiclient_key.pem"), 0600);
	CU_ASSERT_EQUAL(mode_of(dir, "apiclient_cert.p12"), 0600);
	/* The CA issued it, to CN=mchid, for this key; the p12 opens with
	 * the merchant id and with nothing else. */
	CU_ASSERT_EQUAL(sh("cd '%s' && openssl verify -CAfile merchant_ca.pem "
	    "apiclient_cert.pem >/dev/null", dir), 0);
	CU_ASSERT_EQUAL(sh("cd '%s' && openssl pkcs12 -in apiclient_cert.p12 "
	    "-passin pass:1900000001 -nokeys -clcerts 2>/dev/null | openssl "
	    "x509 -noout -subject | grep -q 'CN *= *1900000001$'", dir), 0);
	CU_ASSERT_EQUAL(sh("cd '%s' && test \"$(openssl x509 -noout -pubkey "
	    "-in apiclient_cert.pem)\" = \"$(openssl pkey -pubout -in "
	    "apiclient_key.pem)\"", dir), 0);
	CU_ASSERT_NOT_EQUAL(sh("cd '%s' && openssl pkcs12 -in "
	    "apiclient_cert.p12 -passin pass:wrong -nokeys >/dev/null 2>&1",
	    dir), 0);
	/* Nothing is overwritten; a merchant id is digits. */
	CU_ASSERT_EQUAL(sh("cd '%s' && sha1sum * > ../v2pki.sum", dir), 0);
	CU_ASSERT_EQUAL(sh("'%s' --make-v2-client-cert '%s' --mchid 1900000001 "
	    "2>&1 | grep -q 'exists; not overwriting'", sim_bin, dir), 0);
	CU_ASSERT_EQUAL(sh("cd '%s' && sha1sum -c --quiet ../v2pki.sum", dir),
	    0);
	CU_ASSERT_EQUAL(sh("'%s' --make-v2-client-cert '%s/x' --mchid 19x "
	    "2>/dev/null", sim_bin, tmpdir), 2);

	snprintf(conf, sizeof conf, "%s/two.conf", tmpdir);
	text = ld_asprintf("[sim]\nstate_dir = %s/state\n"
	    "listen = 127.0.0.1:0\ngenerate_merchant = yes\nmchid = %s\n"
	    "appid = %s\nv2_tls_listen = 127.0.0.1:0\n"
	    "tls_client_ca_file = %s/merchant_ca.pem\n"
	    "[bill]\nsame_day = no\n", tmpdir, mchid, appid, dir);
	CU_ASSERT_EQUAL_FATAL(write_file(conf, text), 0);
	free(text);
	CU_ASSERT_EQUAL_FATAL(start_sim(conf, &two), 0);
	CU_ASSERT_FATAL(two.v2_base_url[0] != '\0');
	snprintf(p12, sizeof p12, "%s/apiclient_cert.p12", dir);
	snprintf(ca, sizeof ca, "%s", two.tls_cert_file);
	v2_base = two.v2_base_url;
	v2_ca = ca;
	v2_p12 = p12;
	a = v2_call(tp, f, 9, WX_V2_MD5, 0, &n);
	CU_ASSERT_STRING_EQUAL(kv(a, n, "result_code"), "SUCCESS");
	CU_ASSERT_STRING_EQUAL(kv(a, n, "partner_trade_no"), "V2TLS1");
	wx_kv_free(a, n);
	v2_p12 = NULL;
	f[3].value = (char *)"V2TLS2";
	a = v2_call(tp, f, 9, WX_V2_MD5, 0, &n);
	CU_ASSERT_STRING_EQUAL(kv(a, n, "err_code"), "CA_ERROR");
	wx_kv_free(a, n);
	v2_base = v2_ca = NULL;

	/* Today's bill is still being made, as WeChat's is until 09:00. */
	gmtime_r(&now, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	snprintf(saved, sizeof saved, "%s", base_url);
	snprintf(base_url, sizeof base_url, "%s", two.base_url);
	CU_ASSERT_PTR_NULL(fundflow_fetch(today, "OPERATION", &st, code,
	    &len));
	CU_ASSERT_EQUAL(st, 400);
	CU_ASSERT_STRING_EQUAL(code, "STATEMENT_CREATING");
	snprintf(base_url, sizeof base_url, "%s", saved);

	CU_ASSERT_EQUAL(kill(two.pid, SIGTERM), 0);
	CU_ASSERT_EQUAL(waitpid(two.pid, &status, 0), two.pid);
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
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
	/* The sample configuration, which the demo starts with, works. */
	{
		const char *src = getenv("top_srcdir");
		struct simproc ex;
		char state[400];
		int status = -1;

		snprintf(conf, sizeof conf, "%s/etc/wxpay-sim.conf.example",
		    src != NULL ? src : "..");
		snprintf(state, sizeof state, "%s/example-state", tmpdir);
		CU_ASSERT_EQUAL_FATAL(start_sim_in(conf, state, "127.0.0.1:0",
		    &ex), 0);
		CU_ASSERT_EQUAL(kill(ex.pid, SIGTERM), 0);
		CU_ASSERT_EQUAL(waitpid(ex.pid, &status, 0), ex.pid);
		CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
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
		LD_TEST(test_fault_rule_long),
		LD_TEST(test_scene_infos),
		LD_TEST(test_batch_names),
		LD_TEST(test_fundflow),
		LD_TEST(test_fundflow_refusals),
		LD_TEST(test_fundflow_mismatch),
		LD_TEST(test_v2_client_cert),
		LD_TEST(test_shutdown),
		LD_TEST(test_cli),
		LD_TEST_END
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	LD_TEST_INIT();
	ld_test_suite("wxpay-sim", suite_init, suite_clean, cases);
	return ld_test_run();
}
