/*
 * The WeChat Pay client over real HTTP against a small fake WeChat Pay
 * (libmicrohttpd on 127.0.0.1) that checks our Authorization header with
 * the merchant's public key and answers what each test scripts, signed
 * with a "platform" key: good, forged, stale, probe, unknown serial,
 * unsigned, oversized, slow.  Keys are the SDKs' published fixtures
 * (tests/kat/README).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <microhttpd.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_config.h"
#include "ld_test.h"
#include "wxpay.h"
#include "wxpay_http.h"

#define PKID "PUB_KEY_ID_0000000000000024101100397200000006"
#define CERT_SERIAL "D7CE59D1F522D701"
#define MCH_SERIAL "5F1C72E2A8931B72A2E13AF8DEE92471EB397115"
#define APIV2_KEY "192006250b4c09247ec02edce69f6a2d"

enum sign_mode {
	SIGN_PUBKEY,		/* PUB_KEY_ID_ key */
	SIGN_CERT,		/* platform certificate key */
	SIGN_NONE,		/* no Wechatpay-* headers */
	SIGN_FORGED,		/* signature over another body */
	SIGN_PROBE,		/* WECHATPAY/SIGNTEST/ */
	SIGN_UNKNOWN_SERIAL,
	SIGN_STALE		/* timestamp 301 s old */
};

/* What the fake answers next, and what it saw last. */
static struct {
	unsigned port;
	struct MHD_Daemon *d;
	EVP_PKEY *platform_key, *cert_key, *merchant_pub;
	/* script */
	int status;
	const char *body;
	char *body_owned;
	size_t big;		/* answer this many 'x' instead */
	enum sign_mode sign;
	int delay_ms;
	const char *content_type;
	/* observations */
	int requests, connections;
	int auth_ok;
	char method[8], uri[512], serial_hdr[160], ua[64], ctype[64];
	char *req_body;
} fake;

static char tmpdir[256];
static char katdir[1024];

struct req {
	int started;
	char uri[512];
	struct ld_buf body;
};

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req *r = ld_calloc(1, sizeof *r);

	(void)cls, (void)c;
	snprintf(r->uri, sizeof r->uri, "%s", uri);
	ld_buf_init(&r->body, 4 * 1024 * 1024);
	return r;
}

static void
on_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (r != NULL) {
		ld_buf_free(&r->body);
		free(r);
	}
	*con_cls = NULL;
}

static void
on_conn(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	(void)cls, (void)c, (void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		fake.connections++;
}

static void
header_copy(struct MHD_Connection *c, const char *name, char *dst,
    size_t cap)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	snprintf(dst, cap, "%s", v != NULL ? v : "");
}

/* Checks our request the way WeChat Pay does (docs/wxpay-api.md, "APIv3
 * request signing"). */
static int
check_auth(struct MHD_Connection *c, const char *method, const char *uri,
    const struct ld_buf *body)
{
	const char *hv = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Authorization");
	struct wx_v3_auth a;
	struct ld_err err;
	char *m;
	size_t mlen;
	int ok;

	if (wx_v3_parse_authorization(hv, &a, &err) != LD_OK ||
	    strcmp(a.mchid, "1900000001") != 0 ||
	    strcmp(a.serial, MCH_SERIAL) != 0 ||
	    llabs(strtoll(a.timestamp, NULL, 10) - (long long)time(NULL)) >
	    300)
		return 0;
	m = wx_v3_message_len(method, uri, a.timestamp, a.nonce, body->data,
	    body->len, &mlen);
	ok = wx_rsa_verify_b64(fake.merchant_pub, m, mlen, a.signature,
	    &err) == LD_OK;
	free(m);
	return ok;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct req *r = *con_cls;
	struct MHD_Response *resp;
	const char *body;
	char *bigbuf = NULL, ts[32], *m, *sig = NULL;
	size_t blen, mlen;
	struct ld_err err;
	enum MHD_Result rc;

	(void)cls, (void)url, (void)version;
	/* The first call has only the headers; the body follows. */
	if (!r->started) {
		r->started = 1;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		ld_buf_append(&r->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	fake.requests++;
	snprintf(fake.method, sizeof fake.method, "%s", method);
	snprintf(fake.uri, sizeof fake.uri, "%s", r->uri);
	header_copy(c, "Wechatpay-Serial", fake.serial_hdr,
	    sizeof fake.serial_hdr);
	header_copy(c, "User-Agent", fake.ua, sizeof fake.ua);
	header_copy(c, "Content-Type", fake.ctype, sizeof fake.ctype);
	free(fake.req_body);
	fake.req_body = ld_strndup(r->body.data ? r->body.data : "",
	    r->body.len);
	fake.auth_ok = check_auth(c, method, r->uri, &r->body);
	if (fake.delay_ms > 0)
		usleep((useconds_t)fake.delay_ms * 1000);
	if (fake.big > 0) {
		bigbuf = ld_malloc(fake.big);
		memset(bigbuf, 'x', fake.big);
		body = bigbuf, blen = fake.big;
	} else {
		body = fake.body != NULL ? fake.body : "";
		blen = strlen(body);
	}
	resp = MHD_create_response_from_buffer(blen, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, "Content-Type", fake.content_type ?
	    fake.content_type : "application/json");
	MHD_add_response_header(resp, "Request-ID", "fake-request-1");
	if (fake.sign != SIGN_NONE) {
		const char *serial = fake.sign == SIGN_CERT ? CERT_SERIAL :
		    fake.sign == SIGN_UNKNOWN_SERIAL ? "PUB_KEY_ID_999" : PKID;

		snprintf(ts, sizeof ts, "%lld", (long long)time(NULL) -
		    (fake.sign == SIGN_STALE ? 301 : 0));
		m = wx_v3_response_message_len(ts, "fakenonce", body,
		    fake.sign == SIGN_FORGED ? blen / 2 : blen, &mlen);
		wx_rsa_sign_b64(fake.sign == SIGN_CERT ? fake.cert_key :
		    fake.platform_key, m, mlen, &sig, &err);
		free(m);
		MHD_add_response_header(resp, "Wechatpay-Timestamp", ts);
		MHD_add_response_header(resp, "Wechatpay-Nonce", "fakenonce");
		MHD_add_response_header(resp, "Wechatpay-Serial", serial);
		MHD_add_response_header(resp, "Wechatpay-Signature",
		    fake.sign == SIGN_PROBE ?
		    "WECHATPAY/SIGNTEST/c2lnbmF0dXJlIHByb2Jl" : sig);
	}
	rc = MHD_queue_response(c, (unsigned)fake.status, resp);
	MHD_destroy_response(resp);
	free(sig);
	free(bigbuf);
	return rc;
}

static void
script(int status, enum sign_mode sign, const char *body)
{
	fake.status = status;
	fake.sign = sign;
	/*
	 * A copy: callers pass buffers of their own frame, and a request
	 * that reaches the fake after its test returned (a client's
	 * keep-alive re-send on a busy machine) must not read a dead frame.
	 */
	free(fake.body_owned);
	fake.body_owned = body != NULL ? ld_strdup(body) : NULL;
	fake.body = fake.body_owned;
	fake.big = 0;
	fake.delay_ms = 0;
	fake.content_type = NULL;
	fake.auth_ok = 0;
}

static EVP_PKEY *
kat_key(const char *file, int priv)
{
	char *p = ld_asprintf("%s/%s", katdir, file);
	EVP_PKEY *k = NULL;
	struct ld_err err;

	if ((priv ? wx_load_private_key(p, &k, &err) :
	    wx_load_public_key(p, &k, &err)) != LD_OK)
		fprintf(stderr, "%s\n", err.msg);
	free(p);
	return k;
}

/*
 * A copy of a fixture in tmpdir with the given mode: the client refuses a
 * merchant key that group or others may read, as git checks them out.
 */
static char *
fixture_copy(const char *name, const char *as, mode_t mode)
{
	struct ld_buf b;
	struct ld_err err;
	char *from = ld_asprintf("%s/%s", katdir, name);
	char *to = ld_asprintf("%s/%s", tmpdir, as);
	FILE *f;
	int ok;

	ld_buf_init(&b, 0);
	ok = ld_buf_read_file(&b, from, &err) == LD_OK &&
	    (f = fopen(to, "wb")) != NULL &&
	    fwrite(b.data, 1, b.len, f) == b.len && fclose(f) == 0 &&
	    chmod(to, mode) == 0;
	ld_buf_free(&b);
	free(from);
	if (!ok) {
		free(to);
		return NULL;
	}
	return to;
}

static char *merchant_key_file;
/*
 * The certificate-mode platform certificate: the go SDK's test key under
 * the serial of the go SDK's notify certificate, made at suite start and
 * valid for 30 days, so that the tests do not expire with the fixture.
 */
static char *platform_cert_file;
static const char *cert_serial(void);

static char *
make_platform_cert(void)
{
	char cmd[2048], *path = ld_asprintf("%s/platform_cert.pem", tmpdir);

	snprintf(cmd, sizeof cmd, "openssl req -x509 -new -key "
	    "'%s/wechatpay-go.test_private_key.pem' -set_serial 0x%s "
	    "-subj /CN=wxpay-test-platform -days 30 -out '%s' 2>/dev/null",
	    katdir, cert_serial(), path);
	if (system(cmd) != 0) {
		free(path);
		return NULL;
	}
	return path;
}

static int
suite_init(void)
{
	const char *src = getenv("top_srcdir");
	const union MHD_DaemonInfo *info;

	snprintf(katdir, sizeof katdir, "%s/tests/kat", src ? src : ".");
	snprintf(tmpdir, sizeof tmpdir, "/tmp/ld-test-wxclient.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	merchant_key_file = fixture_copy(
	    "wechatpay-java.merchant_private_key.pem", "merchant.pem", 0600);
	if (merchant_key_file == NULL ||
	    (platform_cert_file = make_platform_cert()) == NULL)
		return -1;
	fake.platform_key = kat_key("wechatpay-java.wechat_pay_private_key.pem",
	    1);
	/* The certificate-mode key: any other key with a known private half
	 * does; the go fixture matches the go notify certificate. */
	fake.cert_key = kat_key("wechatpay-go.test_private_key.pem", 1);
	fake.merchant_pub = kat_key("wechatpay-java.merchant_certificate.pem",
	    0);
	if (fake.platform_key == NULL || fake.cert_key == NULL ||
	    fake.merchant_pub == NULL)
		return -1;
	fake.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    handler, NULL,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, on_conn, NULL,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
	    MHD_OPTION_END);
	if (fake.d == NULL)
		return -1;
	info = MHD_get_daemon_info(fake.d, MHD_DAEMON_INFO_BIND_PORT);
	fake.port = info != NULL ? info->port : 0;
	return fake.port != 0 ? 0 : -1;
}

static int
suite_clean(void)
{
	char cmd[300];

	if (fake.d != NULL)
		MHD_stop_daemon(fake.d);
	EVP_PKEY_free(fake.platform_key);
	EVP_PKEY_free(fake.cert_key);
	EVP_PKEY_free(fake.merchant_pub);
	free(fake.req_body);
	free(fake.body_owned);
	free(merchant_key_file);
	free(platform_cert_file);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
write_secret(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
}

/*
 * A v3 client trusting both the public key (PUB_KEY_ID_) and a platform
 * certificate, as during a switchover.
 */
/* Set by a test that wants a client in certificate mode alone. */
static int client_without_public_key;

/* The clients' timeouts; test_timeout shortens it for its client. */
static int client_timeout_ms = LD_TEST_WAIT_MS / 2;

static struct wx_client *
make_client_tls(enum ld_wxpay_mode mode, const char *base_url,
    const char *ca_file, const char *p12)
{
	struct wx_config cfg;
	struct wx_client *c = NULL;
	struct ld_err err;
	char *v3 = ld_asprintf("%s/apiv3.key", tmpdir);
	char *v2 = ld_asprintf("%s/apiv2.key", tmpdir);

	write_secret(v3, "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb\n");
	write_secret(v2, APIV2_KEY "\n");
	wx_config_defaults(&cfg);
	cfg.present = 1;
	cfg.mode = mode;
#define SET(f, v) (free(cfg.f), cfg.f = ld_strdup(v))
	SET(mchid, "1900000001");
	SET(appid, "wx8888888888888888");
	SET(merchant_serial, MCH_SERIAL);
	cfg.private_key_file = ld_strdup(merchant_key_file);
	if (!client_without_public_key) {
		cfg.platform_public_key_file = ld_asprintf("%s/%s",
		    katdir, "wechatpay-java.wechat_pay_public_key.pem");
		SET(platform_key_id, PKID);
	}
	/* The certificate of the go test key (cert_key). */
	cfg.platform_cert_file = ld_strdup(platform_cert_file);
	cfg.apiv3_key_file = v3;
	cfg.apiv2_key_file = v2;
	cfg.base_url = base_url != NULL ? ld_strdup(base_url) :
	    ld_asprintf("http://127.0.0.1:%u", fake.port);
	if (ca_file != NULL)
		SET(ca_file, ca_file);
	if (p12 != NULL)
		SET(client_cert_p12, p12);
	SET(transfer_scene_id, "1005");
	SET(transfer_scene_report_infos,
	    "\xe5\xb2\x97\xe4\xbd\x8d\xe7\xb1\xbb\xe5\x9e\x8b:\xe5\xa4\x96"
	    "\xe5\x8c\x85;\xe6\x8a\xa5\xe9\x85\xac\xe8\xaf\xb4\xe6\x98\x8e:"
	    "\xe4\xbd\xa3\xe9\x87\x91");
	/*
	 * Long: an answer late on a busy machine (or under valgrind, whose
	 * mutual TLS handshake takes over a second) is not a timeout.  Only
	 * test_timeout asks for a short one, and its fake answers later.
	 */
	cfg.timeout_ms = client_timeout_ms;
	cfg.connect_timeout_ms = client_timeout_ms;
#undef SET
	if (wx_client_new(&cfg, &c, &err) != LD_OK)
		fprintf(stderr, "wx_client_new: %s\n", err.msg);
	wx_config_free(&cfg);
	return c;
}

static struct wx_client *
make_client(enum ld_wxpay_mode mode)
{
	return make_client_tls(mode, NULL, NULL, NULL);
}

/* The fake's certificate-mode key is the go one, so fix that serial. */
static const char *
cert_serial(void)
{
	return "D7CE59D1F522D701";
}

static void
test_base_url(void)
{
	static const struct {
		const char *url;
		enum ld_status st;
	} cases[] = {
		{ "https://api.mch.weixin.qq.com", LD_OK },
		{ "https://api.mch.weixin.qq.com/", LD_OK },
		{ "http://127.0.0.1:8080", LD_OK },
		{ "http://127.9.0.1:8080", LD_OK },
		{ "http://localhost:8080", LD_OK },
		{ "http://[::1]:8080", LD_OK },
		{ "http://api.mch.weixin.qq.com", LD_EPERM },
		{ "http://10.0.0.1", LD_EPERM },
		{ "http://127.0.0.1.evil.com", LD_EPERM },
		{ "ftp://127.0.0.1", LD_EINVAL },
		{ "https://api.mch.weixin.qq.com/v3", LD_EINVAL },
		{ "https://api.mch.weixin.qq.com?x=1", LD_EINVAL },
		{ "https://u:p@api.mch.weixin.qq.com", LD_EINVAL },
		{ "", LD_EINVAL },
	};
	struct ld_err err;
	size_t i;
	int tls;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum ld_status st = wx_http_check_base_url(cases[i].url, &tls,
		    &err);

		if (st != cases[i].st)
			fprintf(stderr, "%s: %d\n", cases[i].url, st);
		CU_ASSERT_EQUAL(st, cases[i].st);
	}
}

static const char bill_wait[] = "{\"out_bill_no\":\"B20250101001\","
    "\"transfer_bill_no\":\"1330000071100999991182020050700019480001\","
    "\"create_time\":\"2025-01-01T10:00:00+08:00\",\"state\":"
    "\"WAIT_USER_CONFIRM\",\"package_info\":\"ABBQO+oYAAABAAAAAAAk\"}";

/* A query answer with every field of docs/wxpay-api.md, "Transfer bills:
 * query". */
static const char bill_query_ok[] = "{\"mch_id\":\"1900000001\","
    "\"out_bill_no\":\"B1\",\"transfer_bill_no\":\"1330001\",\"appid\":"
    "\"wx8\",\"state\":\"SUCCESS\",\"transfer_amount\":100,"
    "\"transfer_remark\":\"r\",\"openid\":\"o1\",\"create_time\":"
    "\"2025-01-01T10:00:00+08:00\",\"update_time\":"
    "\"2025-01-01T10:01:00+08:00\"}";

static void
test_create_bill(void)
{
	struct wx_client *c = make_client(LD_WXPAY_V3);
	struct wx_transfer_req r = { 0 };
	struct wx_transfer_bill b;
	struct wx_answer a;
	struct ld_err err;
	char *body = NULL, *name = NULL;
	cJSON *j;
	int before;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	r.out_bill_no = "B20250101001";
	r.openid = "o-MYE42l80oelYMDE34nYD456Xoy";
	r.amount_fen = 250000;
	r.remark = "\xe8\xb4\xb7\xe6\xac\xbe\xe5\x8f\x91\xe6\x94\xbe";
	r.user_name = "\xe5\xbc\xa0\xe4\xb8\x89";
	CU_ASSERT_EQUAL_FATAL(wx_transfer_bill_build(c, &r, &body, &err),
	    LD_OK);
	j = cJSON_Parse(body);
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "appid")->valuestring,
	    "wx8888888888888888");
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j,
	    "transfer_scene_id")->valuestring, "1005");
	CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(j,
	    "transfer_scene_report_infos")), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"transfer_amount\":250000,"));
	/* user_name decrypts with the platform key (OAEP SHA-1). */
	CU_ASSERT_EQUAL(wx_rsa_oaep_decrypt_b64(fake.platform_key,
	    cJSON_GetObjectItem(j, "user_name")->valuestring, &name, &err),
	    LD_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(name);
	CU_ASSERT_STRING_EQUAL(name, r.user_name);
	free(name);
	cJSON_Delete(j);

	script(200, SIGN_PUBKEY, bill_wait);
	CU_ASSERT_EQUAL(wx_transfer_bill_create(c, body, &b, &a, &err),
	    LD_OK);
	CU_ASSERT(fake.auth_ok);
	CU_ASSERT_STRING_EQUAL(fake.method, "POST");
	CU_ASSERT_STRING_EQUAL(fake.uri,
	    "/v3/fund-app/mch-transfer/transfer-bills");
	CU_ASSERT_STRING_EQUAL(fake.req_body, body);
	CU_ASSERT_STRING_EQUAL(fake.serial_hdr, PKID);
	CU_ASSERT_STRING_EQUAL(fake.ua, "loandesk/" PACKAGE_VERSION);
	CU_ASSERT_STRING_EQUAL(fake.ctype, "application/json");
	CU_ASSERT_EQUAL(a.http_status, 200);
	CU_ASSERT(a.verified);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_PENDING);
	CU_ASSERT_STRING_EQUAL(a.code, "WAIT_USER_CONFIRM");
	CU_ASSERT_STRING_EQUAL(a.request_id, "fake-request-1");
	CU_ASSERT_STRING_EQUAL(a.raw, bill_wait);
	CU_ASSERT_STRING_EQUAL(a.request_body, body);
	CU_ASSERT_STRING_EQUAL(b.transfer_bill_no,
	    "1330000071100999991182020050700019480001");
	CU_ASSERT_STRING_EQUAL(b.package_info, "ABBQO+oYAAABAAAAAAAk");
	wx_transfer_bill_free(&b);
	wx_answer_free(&a);

	/* Refused locally: nothing is sent. */
	free(body);
	body = NULL;
	before = fake.requests;
	r.user_name = NULL;
	CU_ASSERT_EQUAL(wx_transfer_bill_build(c, &r, &body, &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "user_name"));
	r.amount_fen = 100;
	r.out_bill_no = "B-1";
	CU_ASSERT_EQUAL(wx_transfer_bill_build(c, &r, &body, &err),
	    LD_EINVAL);
	r.out_bill_no = "B1";
	r.remark = "\xf0\x9f\x92\xb0";
	CU_ASSERT_EQUAL(wx_transfer_bill_build(c, &r, &body, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(wx_transfer_bill_create(c, "{}", &b, &a, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_FAIL);
	CU_ASSERT_STRING_EQUAL(a.code, WX_CODE_LOCAL);
	wx_answer_free(&a);
	CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "../x", &b, &a, &err),
	    LD_EINVAL);
	wx_answer_free(&a);
	CU_ASSERT_EQUAL(fake.requests, before);
	free(body);
	wx_client_free(c);
}

static void
test_query_cancel(void)
{
	struct wx_client *c = make_client(LD_WXPAY_V3);
	struct wx_transfer_bill b;
	struct wx_answer a;
	struct ld_err err;
	int conns;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	conns = fake.connections;
	script(200, SIGN_PUBKEY, bill_query_ok);
	CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err), LD_OK);
	CU_ASSERT(fake.auth_ok);
	CU_ASSERT_STRING_EQUAL(fake.method, "GET");
	CU_ASSERT_STRING_EQUAL(fake.uri,
	    "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/B1");
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_SUCCESS);
	CU_ASSERT_EQUAL(b.transfer_amount, 100);
	CU_ASSERT_PTR_NULL(a.request_body);
	wx_transfer_bill_free(&b);
	wx_answer_free(&a);

	/* By WeChat's number; FAIL with a reason, signed in certificate mode
	 * (both trusted during a switchover). */
	script(200, SIGN_CERT, "{\"mch_id\":\"1900000001\",\"out_bill_no\":"
	    "\"B1\",\"transfer_bill_no\":\"1330001\",\"appid\":\"wx8\","
	    "\"state\":\"FAIL\",\"fail_reason\":\"NAME_NOT_CORRECT\","
	    "\"transfer_amount\":100,\"transfer_remark\":\"r\",\"openid\":"
	    "\"o1\",\"create_time\":\"2025-01-01T10:00:00+08:00\","
	    "\"update_time\":\"2025-01-01T10:01:00+08:00\"}");
	CU_ASSERT_EQUAL(wx_transfer_bill_query_by_no(c, "1330001", &b, &a,
	    &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(fake.uri, "/v3/fund-app/mch-transfer/"
	    "transfer-bills/transfer-bill-no/1330001");
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_FAIL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a.cls);
	CU_ASSERT_EQUAL(a.cls->number_closed, 1);
	CU_ASSERT_STRING_EQUAL(a.code, "NAME_NOT_CORRECT");
	wx_transfer_bill_free(&b);
	wx_answer_free(&a);

	/* Cancel: POST without body; the signed body line is empty. */
	script(200, SIGN_PUBKEY, "{\"out_bill_no\":\"B1\",\"transfer_bill_no\":"
	    "\"1330001\",\"state\":\"CANCELING\",\"update_time\":"
	    "\"2025-01-01T10:01:00+08:00\"}");
	CU_ASSERT_EQUAL(wx_transfer_bill_cancel(c, "B1", &b, &a, &err), LD_OK);
	CU_ASSERT(fake.auth_ok);
	CU_ASSERT_STRING_EQUAL(fake.method, "POST");
	CU_ASSERT_STRING_EQUAL(fake.req_body, "");
	CU_ASSERT_STRING_EQUAL(fake.uri, "/v3/fund-app/mch-transfer/"
	    "transfer-bills/out-bill-no/B1/cancel");
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_PENDING);
	wx_transfer_bill_free(&b);
	wx_answer_free(&a);

	/* An answer about another bill is not an answer about ours. */
	script(200, SIGN_PUBKEY, "{\"out_bill_no\":\"B2\",\"state\":"
	    "\"SUCCESS\"}");
	CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err),
	    LD_EPROTO);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
	wx_transfer_bill_free(&b);
	wx_answer_free(&a);

	/* One connection for all of them: keep-alive. */
	CU_ASSERT_EQUAL(fake.connections - conns, 1);
	wx_client_free(c);
}

/* Whatever the body says, an answer failing verification is no answer. */
static void
test_unverified_answers(void)
{
	static const enum sign_mode modes[] = { SIGN_NONE, SIGN_FORGED,
		SIGN_PROBE, SIGN_UNKNOWN_SERIAL, SIGN_STALE };
	static const char ok[] = "{\"out_bill_no\":\"B1\",\"transfer_bill_no\":"
	    "\"1\",\"state\":\"SUCCESS\"}";
	struct wx_client *c = make_client(LD_WXPAY_V3);
	struct wx_transfer_bill b;
	struct wx_answer a;
	struct ld_err err;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		script(200, modes[i], ok);
		CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err),
		    LD_ECRYPTO);
		CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
		CU_ASSERT_EQUAL(a.verified, 0);
		CU_ASSERT_STRING_EQUAL(a.code, WX_CODE_UNVERIFIED);
		CU_ASSERT_STRING_EQUAL(b.state, "");
		CU_ASSERT_PTR_NOT_NULL(a.raw);
		wx_transfer_bill_free(&b);
		wx_answer_free(&a);
	}
	/* A signed error that fails verification is no answer either. */
	script(400, SIGN_FORGED, "{\"code\":\"PARAM_ERROR\","
	    "\"message\":\"x\"}");
	CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err),
	    LD_ECRYPTO);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
	wx_answer_free(&a);
	/* Not JSON. */
	script(200, SIGN_PUBKEY, "<html>ok</html>");
	CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err),
	    LD_EPROTO);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
	wx_answer_free(&a);
	/* Oversized. */
	script(200, SIGN_PUBKEY, NULL);
	fake.big = WX_HTTP_MAX_RESPONSE + 1;
	CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err),
	    LD_EPROTO);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "larger"));
	wx_answer_free(&a);
	wx_client_free(c);
}

static void
test_error_answers(void)
{
	static const struct {
		int status;
		enum sign_mode sign;
		const char *body;
		const char *code;
		enum wx_outcome o;
	} cases[] = {
		{ 500, SIGN_NONE, "{\"code\":\"SYSTEM_ERROR\",\"message\":"
		    "\"\xe7\xb3\xbb\xe7\xbb\x9f\xe7\xb9\x81\xe5\xbf\x99\"}",
		    "SYSTEM_ERROR", WX_OUTCOME_RETRY },
		{ 429, SIGN_PUBKEY, "{\"code\":\"FREQUENCY_LIMITED\","
		    "\"message\":\"x\"}", "FREQUENCY_LIMITED",
		    WX_OUTCOME_RETRY },
		{ 429, SIGN_NONE, "", "FREQUENCY_LIMITED", WX_OUTCOME_RETRY },
		{ 403, SIGN_PUBKEY, "{\"code\":\"NOT_ENOUGH\",\"message\":"
		    "\"x\"}", "NOT_ENOUGH", WX_OUTCOME_HOLD },
		{ 400, SIGN_PUBKEY, "{\"code\":\"PARAM_ERROR\",\"message\":"
		    "\"x\",\"detail\":{\"field\":\"/appid\"}}", "PARAM_ERROR",
		    WX_OUTCOME_FAIL },
		{ 400, SIGN_PUBKEY, "{\"code\":\"INVALID_REQUEST\","
		    "\"message\":\"x\"}", "INVALID_REQUEST", WX_OUTCOME_FAIL },
		{ 400, SIGN_PUBKEY, "{\"code\":\"INVALID_REQUEST\","
		    "\"message\":\"\xe8\xb6\x85\xe5\x87\xba\xe5\x95\x86\xe6"
		    "\x88\xb7\xe5\x8d\x95\xe6\x97\xa5\xe8\xbd\xac\xe8\xb4\xa6"
		    "\xe9\xa2\x9d\xe5\xba\xa6\"}", "INVALID_REQUEST",
		    WX_OUTCOME_HOLD },
		{ 401, SIGN_NONE, "{\"code\":\"SIGN_ERROR\",\"message\":"
		    "\"x\"}", "SIGN_ERROR", WX_OUTCOME_FAIL },
		/* Not found is no proof the create never arrived. */
		{ 404, SIGN_PUBKEY, "{\"code\":\"NOT_FOUND\",\"message\":"
		    "\"x\"}", "NOT_FOUND", WX_OUTCOME_UNKNOWN },
		{ 502, SIGN_NONE, "<html>bad gateway</html>", WX_CODE_HTTP_5XX,
		    WX_OUTCOME_RETRY },
		{ 202, SIGN_PUBKEY, "", "HTTP_202", WX_OUTCOME_RETRY },
		{ 400, SIGN_PUBKEY, "{\"code\":\"SOMETHING_NEW\","
		    "\"message\":\"x\"}", "SOMETHING_NEW",
		    WX_OUTCOME_UNKNOWN },
		{ 418, SIGN_NONE, "", WX_CODE_HTTP_OTHER, WX_OUTCOME_UNKNOWN },
	};
	struct wx_client *c = make_client(LD_WXPAY_V3);
	struct wx_transfer_bill b;
	struct wx_answer a;
	struct ld_err err;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		script(cases[i].status, cases[i].sign, cases[i].body);
		CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err),
		    LD_OK);
		CU_ASSERT_EQUAL(a.http_status, cases[i].status);
		if (strcmp(a.code, cases[i].code) != 0 ||
		    a.outcome != cases[i].o)
			fprintf(stderr, "case %zu: %s %s\n", i, a.code,
			    wx_outcome_name(a.outcome));
		CU_ASSERT_STRING_EQUAL(a.code, cases[i].code);
		CU_ASSERT_EQUAL(a.outcome, cases[i].o);
		CU_ASSERT_EQUAL(a.cls->number_closed, 0);
		CU_ASSERT_EQUAL(a.verified, cases[i].sign != SIGN_NONE);
		wx_transfer_bill_free(&b);
		wx_answer_free(&a);
	}
	wx_client_free(c);
}

static void
test_timeout(void)
{
	struct wx_client *c;
	struct wx_transfer_bill b;
	struct wx_answer a;
	struct ld_err err;

	/* 2 s, which the fake exceeds by answering after 3 s. */
	client_timeout_ms = 2000;
	c = make_client(LD_WXPAY_V3);
	client_timeout_ms = LD_TEST_WAIT_MS / 2;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	script(200, SIGN_PUBKEY, bill_query_ok);
	fake.delay_ms = 3000;
	CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err),
	    LD_ETIMEOUT);
	CU_ASSERT_EQUAL(a.transport, LD_ETIMEOUT);
	CU_ASSERT_EQUAL(a.http_status, 0);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_RETRY);
	CU_ASSERT_STRING_EQUAL(a.code, WX_CODE_TIMEOUT);
	wx_answer_free(&a);
	fake.delay_ms = 0;
	/* The same handle recovers on the next call. */
	CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err), LD_OK);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_SUCCESS);
	wx_answer_free(&a);
	wx_transfer_bill_free(&b);
	wx_client_free(c);
}

static void
test_balance(void)
{
	struct wx_client *c = make_client(LD_WXPAY_V3);
	struct wx_answer a;
	struct ld_err err;
	int64_t av, pe;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	script(200, SIGN_PUBKEY, "{\"available_amount\":1234567890123,"
	    "\"pending_amount\":5}");
	CU_ASSERT_EQUAL(wx_balance_query(c, "OPERATION", &av, &pe, &a, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(fake.uri, "/v3/merchant/fund/balance/OPERATION");
	CU_ASSERT(fake.auth_ok);
	CU_ASSERT_EQUAL(av, INT64_C(1234567890123));
	CU_ASSERT_EQUAL(pe, 5);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_SUCCESS);
	wx_answer_free(&a);
	script(200, SIGN_PUBKEY, "{\"available_amount\":1.5}");
	CU_ASSERT_EQUAL(wx_balance_query(c, "BASIC", &av, &pe, &a, &err),
	    LD_EPROTO);
	wx_answer_free(&a);
	CU_ASSERT_EQUAL(wx_balance_query(c, "../x", &av, &pe, &a, &err),
	    LD_EINVAL);
	wx_answer_free(&a);
	wx_client_free(c);
}

/* The detail entity with every field of docs/wxpay-api.md, "Batches:
 * queries". */
static const char batch_detail_ok[] = "{\"mchid\":\"1900000001\","
    "\"out_batch_no\":\"BATCH1\",\"batch_id\":\"131000\",\"appid\":"
    "\"wx8888888888888888\",\"out_detail_no\":\"D2\",\"detail_id\":\"2\","
    "\"detail_status\":\"FAIL\",\"transfer_amount\":2000,"
    "\"transfer_remark\":\"r2\",\"fail_reason\":\"ACCOUNT_FROZEN\","
    "\"openid\":\"o2\",\"initiate_time\":\"2025-01-01T10:00:00+08:00\","
    "\"update_time\":\"2025-01-01T10:05:00+08:00\"}";

static void
test_batches(void)
{
	struct wx_client *c = make_client(LD_WXPAY_BATCHES);
	struct wx_batch_detail_req d[2] = {
		{ "D1", 1000, "r1", "o1", "\xe6\x9d\x8e\xe5\x9b\x9b" },
		{ "D2", 2000, "r2", "o2", "\xe7\x8e\x8b\xe4\xba\x94" },
	};
	struct wx_batch_req r = { "BATCH1", "n", "r", d, 2, NULL, "" };
	struct wx_batch b;
	struct wx_batch_detail det;
	struct wx_answer a;
	struct ld_err err;
	char *body = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(wx_batch_build(c, &r, &body, &err), LD_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"total_amount\":3000,"
	    "\"total_num\":2,"));
	CU_ASSERT_PTR_NULL(strstr(body, "notify_url"));
	script(200, SIGN_PUBKEY, "{\"out_batch_no\":\"BATCH1\",\"batch_id\":"
	    "\"131000\",\"create_time\":\"2025-01-01T10:00:00+08:00\","
	    "\"batch_status\":\"ACCEPTED\"}");
	CU_ASSERT_EQUAL(wx_batch_create(c, body, &b, &a, &err), LD_OK);
	CU_ASSERT(fake.auth_ok);
	CU_ASSERT_STRING_EQUAL(fake.uri, "/v3/transfer/batches");
	CU_ASSERT_STRING_EQUAL(fake.serial_hdr, PKID);
	CU_ASSERT_STRING_EQUAL(b.batch_id, "131000");
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_PENDING);
	wx_batch_free(&b);
	wx_answer_free(&a);
	free(body);

	script(200, SIGN_PUBKEY, "{\"limit\":20,\"offset\":0,"
	    "\"transfer_batch\":{\"mchid\":\"1900000001\",\"out_batch_no\":"
	    "\"BATCH1\",\"batch_id\":\"131000\",\"batch_status\":\"FINISHED\","
	    "\"total_amount\":3000,\"total_num\":2,\"success_amount\":1000,"
	    "\"success_num\":1,\"fail_amount\":2000,\"fail_num\":1},"
	    "\"transfer_detail_list\":[{\"detail_id\":\"1\",\"out_detail_no\":"
	    "\"D1\",\"detail_status\":\"SUCCESS\"},{\"detail_id\":\"2\","
	    "\"out_detail_no\":\"D2\",\"detail_status\":\"FAIL\"}]}");
	CU_ASSERT_EQUAL(wx_batch_query(c, 0, "BATCH1", 1, 0, 20, NULL, &b, &a,
	    &err), LD_OK);
	CU_ASSERT(fake.auth_ok);
	CU_ASSERT_STRING_EQUAL(fake.uri, "/v3/transfer/batches/out-batch-no/"
	    "BATCH1?need_query_detail=true&offset=0&limit=20&"
	    "detail_status=ALL");
	CU_ASSERT_EQUAL(b.n_details, 2);
	CU_ASSERT_EQUAL(b.success_amount, 1000);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_SUCCESS);
	if (b.n_details == 2) {
		CU_ASSERT_EQUAL(b.details[0].cls->outcome, WX_OUTCOME_SUCCESS);
		CU_ASSERT_EQUAL(b.details[1].cls->outcome, WX_OUTCOME_FAIL);
	}
	wx_batch_free(&b);
	wx_answer_free(&a);

	script(200, SIGN_PUBKEY, batch_detail_ok);
	CU_ASSERT_EQUAL(wx_batch_detail_query(c, 0, "BATCH1", "D2", &det, &a,
	    &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(fake.uri, "/v3/transfer/batches/out-batch-no/"
	    "BATCH1/details/out-detail-no/D2");
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_FAIL);
	CU_ASSERT_STRING_EQUAL(a.code, "ACCOUNT_FROZEN");
	CU_ASSERT_EQUAL(det.transfer_amount, 2000);
	wx_batch_detail_free(&det);
	wx_answer_free(&a);

	/* Local rules: all or none named; totals; count. */
	d[1].user_name = NULL;
	CU_ASSERT_EQUAL(wx_batch_build(c, &r, &body, &err), LD_EINVAL);
	r.n_details = 0;
	CU_ASSERT_EQUAL(wx_batch_build(c, &r, &body, &err), LD_EINVAL);
	wx_client_free(c);
}

static const char v2_query_ok[] = "<xml><return_code>SUCCESS</return_code>"
    "<result_code>SUCCESS</result_code><partner_trade_no>P1"
    "</partner_trade_no><mch_id>1900000001</mch_id><appid>"
    "wx8888888888888888</appid><detail_id>10000</detail_id><status>"
    "PROCESSING</status><openid>o1</openid><payment_amount>100"
    "</payment_amount><transfer_time>2015-05-19 15:26:59</transfer_time>"
    "</xml>";

/* The fake received no field named k. */
static void
check_v2_no_field(const char *k)
{
	struct wx_kv *kv;
	size_t n;
	struct ld_err err;

	CU_ASSERT_EQUAL_FATAL(wx_v2_xml_parse(fake.req_body,
	    strlen(fake.req_body), &kv, &n, &err), LD_OK);
	CU_ASSERT_PTR_NULL(wx_kv_get(kv, n, k));
	wx_kv_free(kv, n);
}

static void
check_v2_sign_len(size_t len)
{
	struct wx_kv *kv;
	size_t n;
	struct ld_err err;
	const char *sign;

	CU_ASSERT_EQUAL_FATAL(wx_v2_xml_parse(fake.req_body,
	    strlen(fake.req_body), &kv, &n, &err), LD_OK);
	sign = wx_kv_get(kv, n, "sign");
	CU_ASSERT_PTR_NOT_NULL(sign);
	if (sign != NULL)
		CU_ASSERT_EQUAL(strlen(sign), len);
	wx_kv_free(kv, n);
}

/* Parses what the fake received and checks its APIv2 sign. */
static void
check_v2_request(const char *want_field, const char *want_value)
{
	struct wx_kv *kv;
	size_t n;
	struct ld_err err;

	CU_ASSERT_EQUAL_FATAL(wx_v2_xml_parse(fake.req_body,
	    strlen(fake.req_body), &kv, &n, &err), LD_OK);
	CU_ASSERT_EQUAL(wx_v2_verify(APIV2_KEY, kv, n, &err), LD_OK);
	CU_ASSERT_PTR_NOT_NULL(wx_kv_get(kv, n, want_field));
	if (wx_kv_get(kv, n, want_field) != NULL)
		CU_ASSERT_STRING_EQUAL(wx_kv_get(kv, n, want_field),
		    want_value);
	wx_kv_free(kv, n);
}

static void
test_v2(void)
{
	struct wx_client *c = make_client(LD_WXPAY_V2);
	struct wx_v2_transfer_req r = { 0 };
	struct wx_v2_transfer t;
	struct wx_v2_transfer_info q;
	struct wx_answer a;
	struct ld_err err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	r.partner_trade_no = "P1";
	r.openid = "o1";
	r.amount_fen = 100;
	r.desc = "\xe6\x94\xbe\xe6\xac\xbe";
	r.re_user_name = "\xe5\xbc\xa0\xe4\xb8\x89";
	script(200, SIGN_NONE, "<xml><return_code><![CDATA[SUCCESS]]>"
	    "</return_code><return_msg><![CDATA[]]></return_msg><mch_appid>"
	    "<![CDATA[wx8888888888888888]]></mch_appid><mchid><![CDATA["
	    "1900000001]]></mchid><nonce_str><![CDATA[x]]></nonce_str>"
	    "<result_code><![CDATA[SUCCESS]]></result_code>"
	    "<partner_trade_no><![CDATA[P1]]></partner_trade_no><payment_no>"
	    "<![CDATA[1000018301201505190181489473]]></payment_no>"
	    "<payment_time><![CDATA[2015-05-19 15:26:59]]></payment_time>"
	    "</xml>");
	fake.content_type = "text/plain";
	CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(fake.uri,
	    "/mmpaymkttransfers/promotion/transfers");
	check_v2_request("mch_appid", "wx8888888888888888");
	check_v2_request("mchid", "1900000001");
	check_v2_request("check_name", "FORCE_CHECK");
	check_v2_request("amount", "100");
	check_v2_no_field("sign_type");
	check_v2_sign_len(32);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_SUCCESS);
	CU_ASSERT_STRING_EQUAL(t.payment_no, "1000018301201505190181489473");
	CU_ASSERT_STRING_EQUAL(a.request_body, fake.req_body);
	wx_answer_free(&a);

	script(200, SIGN_NONE, "<xml><return_code>SUCCESS</return_code>"
	    "<result_code>FAIL</result_code><err_code>NOTENOUGH</err_code>"
	    "<err_code_des>\xe4\xbd\x99\xe9\xa2\x9d\xe4\xb8\x8d\xe8\xb6\xb3"
	    "</err_code_des></xml>");
	CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_OK);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_HOLD);
	CU_ASSERT_STRING_EQUAL(a.code, "NOTENOUGH");
	wx_answer_free(&a);

	script(200, SIGN_NONE, "<xml><return_code>FAIL</return_code>"
	    "<return_msg>bad</return_msg></xml>");
	CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_OK);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_FAIL);
	wx_answer_free(&a);

	script(200, SIGN_NONE, "<xml><return_code>SUCCESS</return_code>"
	    "<result_code>SUCCESS</result_code><partner_trade_no>P2"
	    "</partner_trade_no><payment_no>1</payment_no></xml>");
	CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_EPROTO);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
	wx_answer_free(&a);

	script(200, SIGN_NONE, "<!DOCTYPE x [<!ENTITY e \"SUCCESS\">]><xml>"
	    "<return_code>&e;</return_code></xml>");
	CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_EPROTO);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
	wx_answer_free(&a);

	/* A signed answer must carry the right sign. */
	script(200, SIGN_NONE, "<xml><return_code>SUCCESS</return_code>"
	    "<result_code>SUCCESS</result_code><partner_trade_no>P1"
	    "</partner_trade_no><payment_no>1</payment_no><sign>"
	    "9A0A8659F005D6984697E2CA0A9CF3B7</sign></xml>");
	CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_ECRYPTO);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
	wx_answer_free(&a);

	/* gettransferinfo, HMAC-SHA256 this time. */
	wx_client_set_v2_sign_type(c, WX_V2_HMAC_SHA256);
	script(200, SIGN_NONE, v2_query_ok);
	CU_ASSERT_EQUAL(wx_v2_transfer_query(c, "P1", &q, &a, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(fake.uri, "/mmpaymkttransfers/gettransferinfo");
	check_v2_request("mch_id", "1900000001");
	/* No sign_type field; the sign's length (64 hex) says HMAC-SHA256
	 * (docs/wxpay-api.md, "APIv2 transfers: signing"). */
	check_v2_no_field("sign_type");
	check_v2_sign_len(64);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_PENDING);
	CU_ASSERT_EQUAL(q.payment_amount, 100);
	wx_answer_free(&a);

	script(200, SIGN_NONE, "<xml><return_code>SUCCESS</return_code>"
	    "<result_code>FAIL</result_code><err_code>NOT_FOUND</err_code>"
	    "</xml>");
	CU_ASSERT_EQUAL(wx_v2_transfer_query(c, "P1", &q, &a, &err), LD_OK);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
	wx_answer_free(&a);

	script(500, SIGN_NONE, "oops");
	CU_ASSERT_EQUAL(wx_v2_transfer_query(c, "P1", &q, &a, &err), LD_OK);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_RETRY);
	wx_answer_free(&a);
	wx_client_free(c);
}

/* json with member name removed (or replaced by value when non-NULL). */
static char *
edit(const char *json, const char *name, const char *value)
{
	cJSON *o = cJSON_Parse(json);
	char *out, *copy;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	cJSON_DeleteItemFromObjectCaseSensitive(o, name);
	if (value != NULL)
		cJSON_AddItemToObject(o, name, cJSON_Parse(value));
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	copy = ld_strdup(out);
	cJSON_free(out);
	return copy;
}

/*
 * Every field the documentation lists for an answer is required, every
 * field present must have its type and fit, never truncated: anything else
 * is a malformed answer (LD_EPROTO, outcome unknown), whatever it claims.
 */
static void
test_malformed_answers(void)
{
	static const char *const query_fields[] = { "mch_id", "out_bill_no",
		"transfer_bill_no", "appid", "state", "transfer_amount",
		"transfer_remark", "openid", "create_time", "update_time" };
	static const char *const detail_fields[] = { "mchid", "out_batch_no",
		"batch_id", "appid", "out_detail_no", "detail_id",
		"detail_status", "transfer_amount", "transfer_remark", "openid",
		"initiate_time", "update_time" };
	static const struct {
		const char *field, *value;
	} bad_values[] = {
		{ "state", "1" },
		{ "state", "\"\"" },
		{ "transfer_amount", "1.5" },
		{ "transfer_amount", "-1" },
		{ "transfer_amount", "\"100\"" },
		{ "transfer_amount", "1e300" },
		{ "mch_id", "\"1900000002\"" },
		{ "openid", "null" },
	};
	struct wx_client *c = make_client(LD_WXPAY_V3);
	struct wx_transfer_bill b;
	struct wx_batch bt;
	struct wx_batch_detail det;
	struct wx_platform_cert *pc = NULL;
	struct wx_answer a;
	struct ld_err err;
	char *body, big[300];
	int64_t av, pe;
	size_t i, n;

#define EXPECT_MALFORMED(call) do {					\
	CU_ASSERT_EQUAL((call), LD_EPROTO);				\
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);			\
	CU_ASSERT_STRING_EQUAL(a.code, WX_CODE_BAD_ANSWER);		\
	CU_ASSERT(a.verified);						\
	wx_answer_free(&a);						\
} while (0)
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	/* The good answer first, so each failure below is the edit's. */
	script(200, SIGN_PUBKEY, bill_query_ok);
	CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err), LD_OK);
	wx_transfer_bill_free(&b);
	wx_answer_free(&a);
	for (i = 0; i < sizeof query_fields / sizeof query_fields[0]; i++) {
		body = edit(bill_query_ok, query_fields[i], NULL);
		script(200, SIGN_PUBKEY, body);
		EXPECT_MALFORMED(wx_transfer_bill_query(c, "B1", &b, &a,
		    &err));
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, query_fields[i]));
		wx_transfer_bill_free(&b);
		free(body);
	}
	for (i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
		body = edit(bill_query_ok, bad_values[i].field,
		    bad_values[i].value);
		script(200, SIGN_PUBKEY, body);
		EXPECT_MALFORMED(wx_transfer_bill_query(c, "B1", &b, &a,
		    &err));
		wx_transfer_bill_free(&b);
		free(body);
	}
	/* Longer than the client keeps: refused, not cut short. */
	memset(big, '7', sizeof big - 3);
	big[0] = '"';
	big[sizeof big - 3] = '"';
	big[sizeof big - 2] = '\0';
	body = edit(bill_query_ok, "transfer_bill_no", big);
	script(200, SIGN_PUBKEY, body);
	EXPECT_MALFORMED(wx_transfer_bill_query(c, "B1", &b, &a, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "more than"));
	wx_transfer_bill_free(&b);
	free(body);
	/* A create waiting for the user without the package to confirm. */
	body = edit(bill_wait, "package_info", NULL);
	script(200, SIGN_PUBKEY, body);
	EXPECT_MALFORMED(wx_transfer_bill_create(c, "{\"out_bill_no\":"
	    "\"B20250101001\"}", &b, &a, &err));
	wx_transfer_bill_free(&b);
	free(body);
	/* A cancel answer without update_time. */
	script(200, SIGN_PUBKEY, "{\"out_bill_no\":\"B1\",\"transfer_bill_no\":"
	    "\"1330001\",\"state\":\"CANCELING\"}");
	EXPECT_MALFORMED(wx_transfer_bill_cancel(c, "B1", &b, &a, &err));
	wx_transfer_bill_free(&b);
	/* An error body whose code is not a string. */
	script(400, SIGN_PUBKEY, "{\"code\":400,\"message\":\"x\"}");
	EXPECT_MALFORMED(wx_transfer_bill_query(c, "B1", &b, &a, &err));
	wx_transfer_bill_free(&b);

	/* Batches: no batch_status is no status, not ACCEPTED. */
	script(200, SIGN_PUBKEY, "{\"out_batch_no\":\"BATCH1\",\"batch_id\":"
	    "\"131000\",\"create_time\":\"2025-01-01T10:00:00+08:00\"}");
	EXPECT_MALFORMED(wx_batch_create(c, "{\"out_batch_no\":\"BATCH1\"}",
	    &bt, &a, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "batch_status"));
	wx_batch_free(&bt);
	script(200, SIGN_PUBKEY, "{\"transfer_batch\":{\"out_batch_no\":"
	    "\"BATCH1\",\"batch_id\":\"131000\",\"total_amount\":3000,"
	    "\"total_num\":2}}");
	EXPECT_MALFORMED(wx_batch_query(c, 0, "BATCH1", 0, 0, 20, NULL, &bt,
	    &a, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "batch_status"));
	wx_batch_free(&bt);
	script(200, SIGN_PUBKEY, "{\"transfer_batch\":{\"out_batch_no\":"
	    "\"BATCH1\",\"batch_id\":\"131000\",\"batch_status\":"
	    "\"FINISHED\",\"total_amount\":3000,\"total_num\":2},"
	    "\"transfer_detail_list\":[{\"detail_id\":\"1\","
	    "\"out_detail_no\":\"D1\"}]}");
	EXPECT_MALFORMED(wx_batch_query(c, 0, "BATCH1", 1, 0, 20, NULL, &bt,
	    &a, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "detail_status"));
	wx_batch_free(&bt);
	script(200, SIGN_PUBKEY, "{\"transfer_batch\":{\"out_batch_no\":"
	    "\"BATCH1\",\"batch_id\":\"131000\",\"batch_status\":"
	    "\"FINISHED\",\"total_amount\":3000,\"total_num\":2},"
	    "\"transfer_detail_list\":[7]}");
	EXPECT_MALFORMED(wx_batch_query(c, 0, "BATCH1", 1, 0, 20, NULL, &bt,
	    &a, &err));
	wx_batch_free(&bt);
	for (i = 0; i < sizeof detail_fields / sizeof detail_fields[0]; i++) {
		body = edit(batch_detail_ok, detail_fields[i], NULL);
		script(200, SIGN_PUBKEY, body);
		EXPECT_MALFORMED(wx_batch_detail_query(c, 0, "BATCH1", "D2",
		    &det, &a, &err));
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, detail_fields[i]));
		wx_batch_detail_free(&det);
		free(body);
	}
	/* Balance: both amounts are documented. */
	script(200, SIGN_PUBKEY, "{\"available_amount\":5}");
	EXPECT_MALFORMED(wx_balance_query(c, "BASIC", &av, &pe, &a, &err));
	/* Certificates: an entry without its expiry. */
	script(200, SIGN_PUBKEY, "{\"data\":[{\"serial_no\":\"AB\","
	    "\"effective_time\":\"2018-06-08T10:34:56+08:00\","
	    "\"encrypt_certificate\":{\"algorithm\":\"AEAD_AES_256_GCM\","
	    "\"nonce\":\"14b16c03dc1b\",\"associated_data\":\"certificate\","
	    "\"ciphertext\":\"AAAA\"}}]}");
	n = 9;
	CU_ASSERT_EQUAL(wx_certificates_fetch(c, &pc, &n, &a, &err),
	    LD_EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "expire_time"));
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
	wx_answer_free(&a);
#undef EXPECT_MALFORMED
	wx_client_free(c);
}

/* The same for APIv2: required fields, amounts parsed with overflow checks. */
static void
test_v2_malformed(void)
{
	static const struct {
		const char *from, *to;
	} query_edits[] = {
		{ "<payment_amount>100</payment_amount>",
		    "<payment_amount>99999999999999999999</payment_amount>" },
		{ "<payment_amount>100</payment_amount>",
		    "<payment_amount>9223372036854775808</payment_amount>" },
		{ "<payment_amount>100</payment_amount>",
		    "<payment_amount>-5</payment_amount>" },
		{ "<payment_amount>100</payment_amount>",
		    "<payment_amount>+5</payment_amount>" },
		{ "<payment_amount>100</payment_amount>",
		    "<payment_amount>12a</payment_amount>" },
		{ "<payment_amount>100</payment_amount>",
		    "<payment_amount> 1</payment_amount>" },
		{ "<payment_amount>100</payment_amount>", "" },
		{ "<detail_id>10000</detail_id>", "" },
		{ "<status>PROCESSING</status>", "" },
		{ "<openid>o1</openid>", "" },
		{ "<transfer_time>2015-05-19 15:26:59</transfer_time>", "" },
		{ "<mch_id>1900000001</mch_id>", "<mch_id>1900000002</mch_id>" },
		{ "<appid>wx8888888888888888</appid>", "" },
		{ "<partner_trade_no>P1", "<partner_trade_no>P2" },
	};
	static const char transfer_ok[] = "<xml><return_code>SUCCESS"
	    "</return_code><result_code>SUCCESS</result_code><mch_appid>"
	    "wx8888888888888888</mch_appid><mchid>1900000001</mchid>"
	    "<partner_trade_no>P1</partner_trade_no><payment_no>1000018301"
	    "</payment_no><payment_time>2015-05-19 15:26:59</payment_time>"
	    "</xml>";
	static const struct {
		const char *from, *to;
	} transfer_edits[] = {
		{ "<payment_time>2015-05-19 15:26:59</payment_time>", "" },
		{ "<payment_no>1000018301</payment_no>", "" },
		{ "<mchid>1900000001</mchid>", "" },
		{ "<mch_appid>wx8888888888888888</mch_appid>",
		    "<mch_appid>wx1</mch_appid>" },
	};
	struct wx_client *c = make_client(LD_WXPAY_V2);
	struct wx_v2_transfer_req r = { 0 };
	struct wx_v2_transfer t;
	struct wx_v2_transfer_info q;
	struct wx_answer a;
	struct ld_err err;
	char doc[2048], longno[400];
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	r.partner_trade_no = "P1";
	r.openid = "o1";
	r.amount_fen = 100;
	r.desc = "d";
	script(200, SIGN_NONE, v2_query_ok);
	CU_ASSERT_EQUAL(wx_v2_transfer_query(c, "P1", &q, &a, &err), LD_OK);
	CU_ASSERT_EQUAL(q.payment_amount, 100);
	wx_answer_free(&a);
	/* Near the top of int64 is still an amount. */
	{
		const char *p = strstr(v2_query_ok, "100</payment_amount>");

		snprintf(doc, sizeof doc, "%.*s9223372036854775807%s",
		    (int)(p - v2_query_ok), v2_query_ok, p + 3);
		script(200, SIGN_NONE, doc);
		CU_ASSERT_EQUAL(wx_v2_transfer_query(c, "P1", &q, &a, &err),
		    LD_OK);
		CU_ASSERT_EQUAL(q.payment_amount, INT64_MAX);
		wx_answer_free(&a);
	}
	for (i = 0; i < sizeof query_edits / sizeof query_edits[0]; i++) {
		const char *p = strstr(v2_query_ok, query_edits[i].from);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		snprintf(doc, sizeof doc, "%.*s%s%s", (int)(p - v2_query_ok),
		    v2_query_ok, query_edits[i].to,
		    p + strlen(query_edits[i].from));
		script(200, SIGN_NONE, doc);
		if (wx_v2_transfer_query(c, "P1", &q, &a, &err) != LD_EPROTO)
			fprintf(stderr, "query edit %zu accepted\n", i);
		CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
		CU_ASSERT_STRING_EQUAL(a.code, WX_CODE_BAD_ANSWER);
		wx_answer_free(&a);
	}
	script(200, SIGN_NONE, transfer_ok);
	CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_OK);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_SUCCESS);
	wx_answer_free(&a);
	for (i = 0; i < sizeof transfer_edits / sizeof transfer_edits[0];
	    i++) {
		const char *p = strstr(transfer_ok, transfer_edits[i].from);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		snprintf(doc, sizeof doc, "%.*s%s%s", (int)(p - transfer_ok),
		    transfer_ok, transfer_edits[i].to,
		    p + strlen(transfer_edits[i].from));
		script(200, SIGN_NONE, doc);
		if (wx_v2_transfer(c, &r, &t, &a, &err) != LD_EPROTO)
			fprintf(stderr, "transfer edit %zu accepted\n", i);
		CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
		wx_answer_free(&a);
	}
	/* A payment_no longer than kept: refused, never truncated; the same
	 * for an error answer's fields. */
	memset(longno, '9', sizeof longno - 1);
	longno[sizeof longno - 1] = '\0';
	snprintf(doc, sizeof doc, "<xml><return_code>SUCCESS</return_code>"
	    "<result_code>SUCCESS</result_code><mch_appid>wx8888888888888888"
	    "</mch_appid><mchid>1900000001</mchid><partner_trade_no>P1"
	    "</partner_trade_no><payment_no>%s</payment_no><payment_time>"
	    "2015-05-19 15:26:59</payment_time></xml>", longno);
	script(200, SIGN_NONE, doc);
	CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "more than"));
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
	wx_answer_free(&a);
	snprintf(doc, sizeof doc, "<xml><return_code>SUCCESS</return_code>"
	    "<result_code>FAIL</result_code><err_code>%s</err_code></xml>",
	    longno);
	script(200, SIGN_NONE, doc);
	CU_ASSERT_EQUAL(wx_v2_transfer_query(c, "P1", &q, &a, &err),
	    LD_EPROTO);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
	wx_answer_free(&a);
	wx_client_free(c);
}

/*
 * notify_url follows the base_url rule: https anywhere, plain http only to
 * loopback (a local receiver), refused before anything is sent.
 */
static void
test_notify_url(void)
{
	static const struct {
		const char *url;
		enum ld_status st;
	} cases[] = {
		{ "https://pay.example.com/wxpay/notify", LD_OK },
		{ "https://10.0.0.1:8443/n", LD_OK },
		{ "http://127.0.0.1:9000/notify", LD_OK },
		{ "http://localhost/notify", LD_OK },
		{ "http://[::1]:9000/n", LD_OK },
		{ "http://pay.example.com/notify", LD_EPERM },
		{ "http://10.0.0.1/notify", LD_EPERM },
		{ "http://127.0.0.1.evil.com/notify", LD_EPERM },
		{ "ftp://127.0.0.1/notify", LD_EINVAL },
		{ "https://u:p@pay.example.com/n", LD_EINVAL },
		{ "notaurl", LD_EINVAL },
	};
	struct wx_client *c = make_client(LD_WXPAY_V3);
	struct wx_transfer_req r = { 0 };
	struct wx_batch_detail_req d = { "D1", 100, "r", "o1", NULL };
	struct wx_batch_req br = { "BATCH2", "n", "r", &d, 1, NULL, NULL };
	struct ld_err err;
	char *body;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	r.out_bill_no = "B1";
	r.openid = "o1";
	r.amount_fen = 100;
	r.remark = "r";
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum ld_status st;

		CU_ASSERT_EQUAL(wx_http_check_notify_url(cases[i].url, &err),
		    cases[i].st);
		r.notify_url = cases[i].url;
		body = NULL;
		st = wx_transfer_bill_build(c, &r, &body, &err);
		if (st != cases[i].st)
			fprintf(stderr, "%s: %d (%s)\n", cases[i].url, st,
			    err.msg);
		CU_ASSERT_EQUAL(st, cases[i].st);
		if (st == LD_OK)
			CU_ASSERT_PTR_NOT_NULL(strstr(body, cases[i].url));
		free(body);
		br.notify_url = cases[i].url;
		body = NULL;
		CU_ASSERT_EQUAL(wx_batch_build(c, &br, &body, &err),
		    cases[i].st);
		free(body);
	}
	wx_client_free(c);
}

static void
test_client_config(void)
{
	struct wx_config cfg;
	struct wx_client *c = NULL;
	struct ld_err err;

	/* No platform key in a v3 mode: refused. */
	wx_config_defaults(&cfg);
	cfg.mode = LD_WXPAY_V3;
	cfg.mchid = ld_strdup("1");
	cfg.appid = ld_strdup("wx1");
	cfg.merchant_serial = ld_strdup(MCH_SERIAL);
	cfg.private_key_file = fixture_copy(
	    "wechatpay-java.merchant_private_key.pem", "open.pem", 0644);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg.private_key_file);
	cfg.base_url = ld_strdup("http://127.0.0.1:1");
	/* A merchant key that others may read: refused, naming the mode. */
	CU_ASSERT_EQUAL(wx_client_new(&cfg, &c, &err), LD_EPERM);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "open.pem has mode 0644"));
	free(cfg.private_key_file);
	cfg.private_key_file = ld_strdup(merchant_key_file);
	CU_ASSERT_EQUAL(wx_client_new(&cfg, &c, &err), LD_EINVAL);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "platform"));
	/* A certificate whose serial is not the configured one. */
	cfg.platform_cert_file = ld_strdup(platform_cert_file);
	cfg.platform_cert_serial = ld_strdup("ABCDEF");
	CU_ASSERT_EQUAL(wx_client_new(&cfg, &c, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cert_serial()));
	/* An expired certificate (the java SDK's, notAfter 2025-05-09). */
	free(cfg.platform_cert_serial);
	cfg.platform_cert_serial = NULL;
	free(cfg.platform_cert_file);
	cfg.platform_cert_file = ld_asprintf("%s/%s", katdir,
	    "wechatpay-java.wechat_pay_certificate.pem");
	CU_ASSERT_EQUAL(wx_client_new(&cfg, &c, &err), LD_ECRYPTO);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "platform_cert_file"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "expired"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "2025-05-09 02:04:30 UTC"));
	free(cfg.platform_cert_file);
	cfg.platform_cert_file = ld_strdup(platform_cert_file);
	/* Plain http to a remote host. */
	free(cfg.base_url);
	cfg.base_url = ld_strdup("http://api.mch.weixin.qq.com");
	cfg.apiv3_key_file = ld_asprintf("%s/apiv3.key", tmpdir);
	write_secret(cfg.apiv3_key_file,
	    "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb");
	CU_ASSERT_EQUAL(wx_client_new(&cfg, &c, &err), LD_EPERM);
	CU_ASSERT_PTR_NULL(c);
	/* A configured notify_url in clear text to a remote host. */
	free(cfg.base_url);
	cfg.base_url = ld_strdup("http://127.0.0.1:1");
	cfg.notify_url = ld_strdup("http://pay.example.com/notify");
	CU_ASSERT_EQUAL(wx_client_new(&cfg, &c, &err), LD_EPERM);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "notify_url"));
	free(cfg.notify_url);
	cfg.notify_url = ld_strdup("https://pay.example.com/notify");
	/* Nothing listening: a network error, outcome retry. */
	CU_ASSERT_EQUAL_FATAL(wx_client_new(&cfg, &c, &err), LD_OK);
	{
		struct wx_transfer_bill b;
		struct wx_answer a;

		CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err),
		    LD_ENET);
		CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_RETRY);
		CU_ASSERT_STRING_EQUAL(a.code, WX_CODE_NETWORK);
		wx_answer_free(&a);
	}
	wx_client_free(c);
	wx_client_free(NULL);
	wx_config_free(&cfg);
}

static char *
slurp_text(const char *path)
{
	struct ld_buf b;
	struct ld_err err;
	size_t n;

	ld_buf_init(&b, 0);
	if (ld_buf_read_file(&b, path, &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	return ld_buf_steal(&b, &n);
}

/*
 * APIv2 over mutual TLS: a test CA made with the openssl CLI signs the
 * server's certificate (for IP 127.0.0.1) and the client's, which goes
 * into a PKCS#12 protected by the merchant id as apiclient_cert.p12 is.
 * Verification of the server is on: another CA, or a name the
 * certificate does not carry, is a network error.
 */
static void
test_tls(void)
{
	char cmd[4096], *srv_key, *srv_pem, *url, *ca, *other, *p12, *badp12;
	char *localhost_url;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct wx_client *c;
	struct wx_v2_transfer_req r = { 0 };
	struct wx_v2_transfer t;
	struct wx_answer a;
	struct ld_err err;
	unsigned port;

	snprintf(cmd, sizeof cmd, "(cd '%s' && "
	    "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key "
	    "-out ca.pem -days 2 -subj /CN=loandesk-test-ca && "
	    "openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key "
	    "-out other.pem -days 2 -subj /CN=other-ca && "
	    "printf 'subjectAltName=IP:127.0.0.1\\n' > srv.ext && "
	    "openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr "
	    "-subj /CN=127.0.0.1 && "
	    "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -out srv.pem -days 2 -extfile srv.ext && "
	    "openssl req -newkey rsa:2048 -nodes -keyout cli.key -out cli.csr "
	    "-subj /CN=1900000001 && "
	    "openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -out cli.pem -days 2 && "
	    "openssl pkcs12 -export -inkey cli.key -in cli.pem -out cli.p12 "
	    "-passout pass:1900000001 && "
	    "openssl pkcs12 -export -inkey cli.key -in cli.pem -out bad.p12 "
	    "-passout pass:not-the-mchid) >/dev/null 2>&1", tmpdir);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	srv_key = ld_asprintf("%s/srv.key", tmpdir);
	srv_pem = ld_asprintf("%s/srv.pem", tmpdir);
	ca = ld_asprintf("%s/ca.pem", tmpdir);
	other = ld_asprintf("%s/other.pem", tmpdir);
	p12 = ld_asprintf("%s/cli.p12", tmpdir);
	badp12 = ld_asprintf("%s/bad.p12", tmpdir);
	{
		char *key = slurp_text(srv_key), *crt = slurp_text(srv_pem);
		char *trust = slurp_text(ca);

		CU_ASSERT_PTR_NOT_NULL_FATAL(key);
		CU_ASSERT_PTR_NOT_NULL_FATAL(crt);
		d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
		    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_TLS, 0, NULL,
		    NULL, handler, NULL,
		    MHD_OPTION_HTTPS_MEM_KEY, key,
		    MHD_OPTION_HTTPS_MEM_CERT, crt,
		    MHD_OPTION_HTTPS_MEM_TRUST, trust,
		    MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
		    MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
		    MHD_OPTION_END);
		/* MHD copies nothing: keep them until the daemon stops. */
		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
		port = info != NULL ? info->port : 0;
		url = ld_asprintf("https://127.0.0.1:%u", port);
		localhost_url = ld_asprintf("https://localhost:%u", port);

		r.partner_trade_no = "P1";
		r.openid = "o1";
		r.amount_fen = 100;
		r.desc = "d";
		script(200, SIGN_NONE, "<xml><return_code>SUCCESS"
		    "</return_code><result_code>SUCCESS</result_code>"
		    "<mch_appid>wx8888888888888888</mch_appid><mchid>"
		    "1900000001</mchid><partner_trade_no>P1"
		    "</partner_trade_no><payment_no>9</payment_no>"
		    "<payment_time>2015-05-19 15:26:59</payment_time></xml>");

		/* Mode v2 over https insists on the client certificate. */
		c = make_client_tls(LD_WXPAY_V2, url, ca, NULL);
		CU_ASSERT_PTR_NULL(c);
		wx_client_free(c);

		c = make_client_tls(LD_WXPAY_V2, url, ca, p12);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_OK);
		CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_SUCCESS);
		wx_answer_free(&a);
		wx_client_free(c);

		/* A server our CA did not sign. */
		c = make_client_tls(LD_WXPAY_V2, url, other, p12);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_ENET);
		CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_RETRY);
		wx_answer_free(&a);
		wx_client_free(c);

		/* The right CA, a name the certificate does not carry. */
		c = make_client_tls(LD_WXPAY_V2, localhost_url, ca, p12);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_ENET);
		wx_answer_free(&a);
		wx_client_free(c);

		/* A PKCS#12 whose password is not the merchant id. */
		c = make_client_tls(LD_WXPAY_V2, url, ca, badp12);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_ENET);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "PKCS12"));
		wx_answer_free(&a);
		wx_client_free(c);

		MHD_stop_daemon(d);
		free(key), free(crt), free(trust);
	}
	free(srv_key), free(srv_pem), free(ca), free(other), free(p12);
	free(badp12), free(url), free(localhost_url);
}

/*
 * GET /v3/certificates with the wechatpay-java download vector (its
 * APIv3 key is the one make_client configures): decrypted, serial checked,
 * then trusted for answers signed with it.
 */
static void
test_certificates(void)
{
	struct wx_client *c = make_client(LD_WXPAY_V3);
	struct wx_platform_cert *pc = NULL;
	size_t n = 0, len;
	struct wx_answer a;
	struct ld_err err;
	char *path, *ct, *body, *bad;
	const char *serial = "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC";
	const struct wx_verifier *v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	path = ld_asprintf("%s/wechatpay-java.download_certificate_"
	    "ciphertext.txt", katdir);
	ct = slurp_text(path);
	free(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ct);
	len = strlen(ct);
	while (len > 0 && (ct[len - 1] == '\n' || ct[len - 1] == '\r'))
		ct[--len] = '\0';
	body = ld_asprintf("{\"data\":[{\"serial_no\":\"%s\","
	    "\"effective_time\":\"2018-06-08T10:34:56+08:00\","
	    "\"expire_time\":\"2030-06-08T10:34:56+08:00\","
	    "\"encrypt_certificate\":{\"algorithm\":\"AEAD_AES_256_GCM\","
	    "\"nonce\":\"14b16c03dc1b\",\"associated_data\":\"certificate\","
	    "\"ciphertext\":\"%s\"}}]}", serial, ct);
	v = wx_client_verifier(c);
	CU_ASSERT_EQUAL(v->n, 2);
	CU_ASSERT_PTR_NULL(wx_verifier_find(v, serial));

	/* Listed under another serial: refused, nothing trusted. */
	bad = ld_strdup(body);
	memcpy(strstr(bad, serial), "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427ED",
	    40);
	script(200, SIGN_PUBKEY, bad);
	CU_ASSERT_EQUAL(wx_certificates_fetch(c, &pc, &n, &a, &err),
	    LD_EPROTO);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(v->n, 2);
	wx_answer_free(&a);
	/* The answer itself unverified: refused. */
	script(200, SIGN_FORGED, body);
	CU_ASSERT_EQUAL(wx_certificates_fetch(c, &pc, &n, &a, &err),
	    LD_ECRYPTO);
	CU_ASSERT_EQUAL(v->n, 2);
	wx_answer_free(&a);

	script(200, SIGN_PUBKEY, body);
	CU_ASSERT_EQUAL(wx_certificates_fetch(c, &pc, &n, &a, &err), LD_OK);
	CU_ASSERT(fake.auth_ok);
	CU_ASSERT_STRING_EQUAL(fake.uri, "/v3/certificates");
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_SUCCESS);
	if (n == 1) {
		CU_ASSERT_STRING_EQUAL(pc[0].serial_no, serial);
		CU_ASSERT_EQUAL(strncmp(pc[0].pem,
		    "-----BEGIN CERTIFICATE-----", 27), 0);
	}
	CU_ASSERT_EQUAL(v->n, 3);
	CU_ASSERT_PTR_NOT_NULL(wx_verifier_find(v, serial));
	wx_platform_certs_free(pc, n);
	wx_answer_free(&a);
	/* Fetching again adds nothing twice. */
	CU_ASSERT_EQUAL(wx_certificates_fetch(c, &pc, &n, &a, &err), LD_OK);
	CU_ASSERT_EQUAL(v->n, 3);
	wx_platform_certs_free(pc, n);
	wx_answer_free(&a);
	free(bad);
	free(body);
	free(ct);
	wx_client_free(c);
}
/* One /v3/certificates entry: pem (len bytes) encrypted with the key. */
static char *
cert_entry(const char *serial, const char *pem, size_t len,
    const char *ciphertext)
{
	char *ct = NULL, *e;
	struct ld_err err;

	if (ciphertext == NULL)
		CU_ASSERT_EQUAL_FATAL(wx_aead_encrypt((const unsigned char *)
		    "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb", "14b16c03dc1b",
		    "certificate", pem, len, &ct, &err), LD_OK);
	e = ld_asprintf("{\"serial_no\":\"%s\",\"effective_time\":"
	    "\"2022-05-10T02:04:30+08:00\",\"expire_time\":"
	    "\"2025-05-09T02:04:30+08:00\",\"encrypt_certificate\":"
	    "{\"algorithm\":\"AEAD_AES_256_GCM\",\"nonce\":\"14b16c03dc1b\","
	    "\"associated_data\":\"certificate\",\"ciphertext\":\"%s\"}}",
	    serial, ciphertext != NULL ? ciphertext : ct);
	free(ct);
	return e;
}

/*
 * In certificate mode the client names, and encrypts user_name with, the
 * certificate that expires last among those valid: after /v3/certificates
 * brings the rotated one (here made with the openssl CLI, valid 60 days
 * against the configured one's 30), requests name the new serial.
 */
static void
test_rotation_moves_encryption_key(void)
{
	struct wx_client *c;
	struct wx_platform_cert *pc = NULL;
	struct wx_answer a;
	struct ld_err err;
	char cmd[1024], *path, *pem, *e, *body;
	int64_t av, pe;
	size_t n;

	client_without_public_key = 1;
	c = make_client(LD_WXPAY_V3);
	client_without_public_key = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	script(200, SIGN_CERT, "{\"available_amount\":1,\"pending_amount\":0}");
	CU_ASSERT_EQUAL(wx_balance_query(c, "BASIC", &av, &pe, &a, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(fake.serial_hdr, CERT_SERIAL);
	wx_answer_free(&a);

	snprintf(cmd, sizeof cmd, "cd '%s' && openssl genpkey -algorithm RSA "
	    "-pkeyopt rsa_keygen_bits:2048 -out rot.key 2>/dev/null && "
	    "openssl req -x509 -new -key rot.key -set_serial 0x2000 "
	    "-subj /CN=rotated -days 60 -out rot.pem 2>/dev/null", tmpdir);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	path = ld_asprintf("%s/rot.pem", tmpdir);
	pem = slurp_text(path);
	free(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pem);
	e = cert_entry("2000", pem, strlen(pem), NULL);
	body = ld_asprintf("{\"data\":[%s]}", e);
	script(200, SIGN_CERT, body);
	CU_ASSERT_EQUAL(wx_certificates_fetch(c, &pc, &n, &a, &err), LD_OK);
	wx_platform_certs_free(pc, n);
	wx_answer_free(&a);

	script(200, SIGN_CERT, "{\"available_amount\":1,\"pending_amount\":0}");
	CU_ASSERT_EQUAL(wx_balance_query(c, "BASIC", &av, &pe, &a, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(fake.serial_hdr, "2000");
	wx_answer_free(&a);
	free(body);
	free(e);
	free(pem);
	wx_client_free(c);
}

/*
 * Beside a public key, an expired certificate does not stop the client:
 * the public key verifies, and is what requests name.
 */
static void
test_expired_certificate_beside_public_key(void)
{
	struct wx_config cfg;
	struct wx_client *c = NULL;
	struct ld_err err;

	wx_config_defaults(&cfg);
	cfg.mode = LD_WXPAY_V3;
	cfg.mchid = ld_strdup("1");
	cfg.appid = ld_strdup("wx1");
	cfg.merchant_serial = ld_strdup(MCH_SERIAL);
	cfg.private_key_file = ld_strdup(merchant_key_file);
	cfg.base_url = ld_strdup("http://127.0.0.1:1");
	cfg.platform_cert_file = ld_asprintf("%s/%s", katdir,
	    "wechatpay-java.wechat_pay_certificate.pem");
	cfg.platform_public_key_file = ld_asprintf("%s/%s", katdir,
	    "wechatpay-java.wechat_pay_public_key.pem");
	cfg.platform_key_id = ld_strdup(PKID);
	cfg.apiv3_key_file = ld_asprintf("%s/apiv3.key", tmpdir);
	write_secret(cfg.apiv3_key_file,
	    "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb");
	if (wx_client_new(&cfg, &c, &err) != LD_OK)
		fprintf(stderr, "wx_client_new: %s\n", err.msg);
	CU_ASSERT_PTR_NOT_NULL(c);
	wx_client_free(c);
	wx_config_free(&cfg);
}

/*
 * A certificate list is taken whole or not at all: a certificate with a
 * NUL inside, one serial listed twice, more new keys than the client
 * keeps, or a ciphertext that is not base64 is a malformed answer and
 * trusts nothing.  The certificate is the wechatpay-java platform one
 * (serial from `openssl x509 -serial`); the extra ones are made with the
 * openssl CLI.
 */
static void
test_certificates_hostile(void)
{
	const char *serial = "440024045C4A427599D09BB4E3DE0279F2E813FD";
	struct wx_client *c = make_client(LD_WXPAY_V3);
	const struct wx_verifier *v;
	struct wx_platform_cert *pc = NULL;
	struct wx_answer a;
	struct ld_err err;
	char *path, *pem, *nul, *e1, *e2, *body, cmd[2048];
	struct ld_buf list;
	size_t n, len, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	v = wx_client_verifier(c);
	path = ld_asprintf("%s/wechatpay-java.wechat_pay_certificate.pem",
	    katdir);
	pem = slurp_text(path);
	free(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pem);
	len = strlen(pem);
#define EXPECT_REFUSED(frag) do {					\
	script(200, SIGN_PUBKEY, body);					\
	n = 9;								\
	CU_ASSERT_EQUAL(wx_certificates_fetch(c, &pc, &n, &a, &err),	\
	    LD_EPROTO);							\
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, frag));			\
	CU_ASSERT_EQUAL(n, 0);						\
	CU_ASSERT_PTR_NULL(pc);						\
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);			\
	CU_ASSERT_EQUAL(v->n, 2);					\
	wx_answer_free(&a);						\
	free(body);							\
} while (0)
	/* The certificate, then a NUL and more: not one certificate. */
	nul = ld_malloc(len + 6);
	memcpy(nul, pem, len);
	memcpy(nul + len, "\0junk", 6);
	e1 = cert_entry(serial, nul, len + 5, NULL);
	body = ld_asprintf("{\"data\":[%s]}", e1);
	EXPECT_REFUSED("NUL");
	free(e1);
	free(nul);
	/* Listed twice. */
	e1 = cert_entry(serial, pem, len, NULL);
	body = ld_asprintf("{\"data\":[%s,%s]}", e1, e1);
	EXPECT_REFUSED("listed twice");
	/* A ciphertext that is not base64: malformed, not "invalid input". */
	e2 = cert_entry(serial, NULL, 0, "!!!!");
	body = ld_asprintf("{\"data\":[%s]}", e2);
	EXPECT_REFUSED("base64");
	free(e2);

	/* Seven new certificates with the two trusted keys make nine. */
	snprintf(cmd, sizeof cmd, "cd '%s' && openssl genpkey -algorithm RSA "
	    "-pkeyopt rsa_keygen_bits:2048 -out many.key 2>/dev/null && "
	    "for i in 1 2 3 4 5 6 7; do openssl req -x509 -key many.key "
	    "-set_serial $((0x1000 + i)) -subj /CN=platform$i -days 2 "
	    "-out many$i.pem 2>/dev/null || exit 1; done", tmpdir);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	ld_buf_init(&list, 0);
	ld_buf_puts(&list, "{\"data\":[");
	for (i = 1; i <= 7; i++) {
		char sn[16], *p, *text;

		snprintf(sn, sizeof sn, "%X", 0x1000 + (unsigned)i);
		p = ld_asprintf("%s/many%zu.pem", tmpdir, i);
		text = slurp_text(p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		e2 = cert_entry(sn, text, strlen(text), NULL);
		ld_buf_printf(&list, "%s%s", i > 1 ? "," : "", e2);
		free(e2);
		free(text);
		free(p);
	}
	ld_buf_puts(&list, "]}");
	body = ld_buf_steal(&list, &n);
	EXPECT_REFUSED("more than");
#undef EXPECT_REFUSED

	/* The same certificate alone is taken, so each refusal was its own. */
	body = ld_asprintf("{\"data\":[%s]}", e1);
	script(200, SIGN_PUBKEY, body);
	CU_ASSERT_EQUAL(wx_certificates_fetch(c, &pc, &n, &a, &err), LD_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(v->n, 3);
	CU_ASSERT_PTR_NOT_NULL(wx_verifier_find(v, serial));
	wx_platform_certs_free(pc, n);
	wx_answer_free(&a);
	free(body);
	free(e1);
	free(pem);
	wx_client_free(c);
}

/*
 * Answers that are well formed JSON or XML and still not one answer:
 * trailing bytes, a member given twice, a NUL in a string, amounts a
 * double cannot hold, success and failure at once, totals that do not add
 * up, the same transfer listed twice.  Each is malformed (LD_EPROTO,
 * outcome unknown), never a success.  Text copied from an answer into the
 * attempt record is valid UTF-8 without controls.  Cases marked "fuzz"
 * are the inputs tests/fuzz found.
 */
static void
test_hostile_answers(void)
{
	static const char *const bad_queries[] = {
		/* Trailing bytes after the document. */
		"{\"mch_id\":\"1900000001\",\"out_bill_no\":\"B1\","
		    "\"transfer_bill_no\":\"1330001\",\"appid\":\"wx8\","
		    "\"state\":\"SUCCESS\",\"transfer_amount\":100,"
		    "\"transfer_remark\":\"r\",\"openid\":\"o1\","
		    "\"create_time\":\"t\",\"update_time\":\"t\"}{\"state\":"
		    "\"FAIL\"}",
		/* state twice: the first reader would see FAIL. */
		"{\"mch_id\":\"1900000001\",\"out_bill_no\":\"B1\","
		    "\"transfer_bill_no\":\"1330001\",\"appid\":\"wx8\","
		    "\"state\":\"FAIL\",\"state\":\"SUCCESS\","
		    "\"transfer_amount\":100,\"transfer_remark\":\"r\","
		    "\"openid\":\"o1\",\"create_time\":\"t\","
		    "\"update_time\":\"t\"}",
		/* Our number, then a NUL and someone else's. */
		"{\"mch_id\":\"1900000001\",\"out_bill_no\":\"B1\\u0000B2\","
		    "\"transfer_bill_no\":\"1330001\",\"appid\":\"wx8\","
		    "\"state\":\"SUCCESS\",\"transfer_amount\":100,"
		    "\"transfer_remark\":\"r\",\"openid\":\"o1\","
		    "\"create_time\":\"t\",\"update_time\":\"t\"}",
		/* 2^53 + 1 reads as 2^53: not an amount a double holds. */
		"{\"mch_id\":\"1900000001\",\"out_bill_no\":\"B1\","
		    "\"transfer_bill_no\":\"1330001\",\"appid\":\"wx8\","
		    "\"state\":\"SUCCESS\",\"transfer_amount\":"
		    "9007199254740993,\"transfer_remark\":\"r\","
		    "\"openid\":\"o1\",\"create_time\":\"t\","
		    "\"update_time\":\"t\"}",
		/* fuzz (fuzz_notify_plain): paid, and why it failed. */
		"{\"mch_id\":\"1900000001\",\"out_bill_no\":\"B1\","
		    "\"transfer_bill_no\":\"1330001\",\"appid\":\"wx8\","
		    "\"state\":\"SUCCESS\",\"fail_reason\":\"OVERXoy\","
		    "\"transfer_amount\":100,\"transfer_remark\":\"r\","
		    "\"openid\":\"o1\",\"create_time\":\"t\","
		    "\"update_time\":\"t\"}",
	};
	static const char *const bad_batches[] = {
		/* More succeeded and failed than there are. */
		"{\"transfer_batch\":{\"out_batch_no\":\"BATCH1\",\"batch_id\":"
		    "\"131000\",\"batch_status\":\"FINISHED\",\"total_amount\":"
		    "3000,\"total_num\":2,\"success_num\":2,\"fail_num\":1}}",
		"{\"transfer_batch\":{\"out_batch_no\":\"BATCH1\",\"batch_id\":"
		    "\"131000\",\"batch_status\":\"FINISHED\",\"total_amount\":"
		    "3000,\"total_num\":2,\"success_amount\":3000,"
		    "\"fail_amount\":1}}",
		/* One transfer listed twice. */
		"{\"transfer_batch\":{\"out_batch_no\":\"BATCH1\",\"batch_id\":"
		    "\"131000\",\"batch_status\":\"FINISHED\",\"total_amount\":"
		    "3000,\"total_num\":2},\"transfer_detail_list\":["
		    "{\"detail_id\":\"1\",\"out_detail_no\":\"D1\","
		    "\"detail_status\":\"SUCCESS\"},{\"detail_id\":\"2\","
		    "\"out_detail_no\":\"D1\",\"detail_status\":\"SUCCESS\"}]}",
		/* A detail paid and failed. */
		"{\"transfer_batch\":{\"out_batch_no\":\"BATCH1\",\"batch_id\":"
		    "\"131000\",\"batch_status\":\"FINISHED\",\"total_amount\":"
		    "3000,\"total_num\":2},\"transfer_detail_list\":["
		    "{\"detail_id\":\"1\",\"out_detail_no\":\"D1\","
		    "\"detail_status\":\"SUCCESS\",\"fail_reason\":"
		    "\"ACCOUNT_FROZEN\"}]}",
	};
	struct wx_client *c = make_client(LD_WXPAY_V3);
	struct wx_transfer_bill b;
	struct wx_batch bt;
	struct wx_answer a;
	struct ld_err err;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (i = 0; i < sizeof bad_queries / sizeof bad_queries[0]; i++) {
		script(200, SIGN_PUBKEY, bad_queries[i]);
		CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err),
		    LD_EPROTO);
		CU_ASSERT(a.verified);
		CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
		CU_ASSERT_STRING_EQUAL(a.code, WX_CODE_BAD_ANSWER);
		CU_ASSERT_FALSE(a.cls->number_closed);
		wx_transfer_bill_free(&b);
		wx_answer_free(&a);
	}
	/* The largest amount a double holds exactly is still one. */
	script(200, SIGN_PUBKEY, "{\"mch_id\":\"1900000001\",\"out_bill_no\":"
	    "\"B1\",\"transfer_bill_no\":\"1330001\",\"appid\":\"wx8\","
	    "\"state\":\"SUCCESS\",\"transfer_amount\":9007199254740991,"
	    "\"transfer_remark\":\"r\",\"openid\":\"o1\",\"create_time\":\"t\","
	    "\"update_time\":\"t\"}");
	CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err), LD_OK);
	CU_ASSERT_EQUAL(b.transfer_amount, INT64_C(9007199254740991));
	wx_transfer_bill_free(&b);
	wx_answer_free(&a);
	for (i = 0; i < sizeof bad_batches / sizeof bad_batches[0]; i++) {
		script(200, SIGN_PUBKEY, bad_batches[i]);
		CU_ASSERT_EQUAL(wx_batch_query(c, 0, "BATCH1", 1, 0, 20, NULL,
		    &bt, &a, &err), LD_EPROTO);
		CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
		CU_ASSERT_STRING_EQUAL(a.code, WX_CODE_BAD_ANSWER);
		wx_batch_free(&bt);
		wx_answer_free(&a);
	}

	/*
	 * fuzz (fuzz_v3_answer): an error message with bytes that are not
	 * UTF-8 and a terminal escape; the code and message are kept as
	 * text, each bad byte or control replaced by '?'.
	 */
	script(400, SIGN_NONE, "{\"code\":\"INVALID_REQUEST\",\"message\":"
	    "\"\xe8\xb6\x85\xff\xff\x1b[2J\xc2\x9b" "1m\"}");
	CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(a.code, "INVALID_REQUEST");
	CU_ASSERT_STRING_EQUAL(a.message, "\xe8\xb6\x85???[2J?1m");
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_FAIL);
	wx_transfer_bill_free(&b);
	wx_answer_free(&a);
	/* An error body with trailing bytes is no error body: no code. */
	script(400, SIGN_NONE, "{\"code\":\"NOT_ENOUGH\"} x");
	CU_ASSERT_EQUAL(wx_transfer_bill_query(c, "B1", &b, &a, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(a.code, WX_CODE_HTTP_OTHER);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
	wx_transfer_bill_free(&b);
	wx_answer_free(&a);
	wx_client_free(c);
}

/* The same for APIv2 answers and requests. */
static void
test_v2_hostile(void)
{
	struct wx_client *c = make_client(LD_WXPAY_V2);
	struct wx_v2_transfer_req r = { 0 };
	struct wx_v2_transfer t;
	struct wx_answer a;
	struct ld_err err;
	int before;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	r.partner_trade_no = "P1";
	r.openid = "o1";
	r.amount_fen = 100;
	r.desc = "d";
	/* Paid and "system error" at once: which is it?  Unknown. */
	script(200, SIGN_NONE, "<xml><return_code>SUCCESS</return_code>"
	    "<result_code>SUCCESS</result_code><err_code>SYSTEMERROR"
	    "</err_code><mch_appid>wx8888888888888888</mch_appid><mchid>"
	    "1900000001</mchid><partner_trade_no>P1</partner_trade_no>"
	    "<payment_no>1000018301</payment_no><payment_time>2015-05-19 "
	    "15:26:59</payment_time></xml>");
	fake.content_type = "text/xml";
	CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_EPROTO);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(a.code, WX_CODE_BAD_ANSWER);
	wx_answer_free(&a);
	/* fuzz (fuzz_v2_xml): a return_msg with tabs, kept as text. */
	script(200, SIGN_NONE, "<xml><return_code><![CDATA[FAIL]]>"
	    "</return_code><return_msg><![CDATA[\xe8\xaf\xb7\xe4\xbd\xbfpost>"
	    "\t\t\xe6\x96\xb9]]></return_msg></xml>");
	fake.content_type = "text/xml";
	CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(a.message, "\xe8\xaf\xb7\xe4\xbd\xbfpost>??"
	    "\xe6\x96\xb9");
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_FAIL);
	wx_answer_free(&a);
	/* A control character would make the XML we send invalid. */
	before = fake.requests;
	r.device_info = "dev\x01";
	CU_ASSERT_EQUAL(wx_v2_transfer(c, &r, &t, &a, &err), LD_EINVAL);
	CU_ASSERT_STRING_EQUAL(a.code, WX_CODE_LOCAL);
	CU_ASSERT_EQUAL(fake.requests, before);
	wx_answer_free(&a);
	wx_client_free(c);
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
		LD_TEST(test_base_url),
		LD_TEST(test_create_bill),
		LD_TEST(test_query_cancel),
		LD_TEST(test_unverified_answers),
		LD_TEST(test_error_answers),
		LD_TEST(test_timeout),
		LD_TEST(test_balance),
		LD_TEST(test_batches),
		LD_TEST(test_v2),
		LD_TEST(test_malformed_answers),
		LD_TEST(test_v2_malformed),
		LD_TEST(test_notify_url),
		LD_TEST(test_client_config),
		LD_TEST(test_tls),
		LD_TEST(test_certificates),
		LD_TEST(test_hostile_answers),
		LD_TEST(test_v2_hostile),
		LD_TEST(test_certificates_hostile),
		LD_TEST(test_rotation_moves_encryption_key),
		LD_TEST(test_expired_certificate_beside_public_key),
		LD_TEST_END
	};

	LD_TEST_INIT();
	ld_test_suite("wxpay client", suite_init, suite_clean, cases);
	return ld_test_run();
}
