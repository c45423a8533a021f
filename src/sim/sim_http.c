/*
 * The HTTP side: libmicrohttpd with a thread per connection (keep-alive,
 * and a stalled "hang" fault blocks only its own connection), loopback only.
 * This layer checks the merchant's APIv3 signature, signs every answer with
 * the platform key and applies the transport faults; sim_api.c decides what
 * the answers say.
 */
#include "config.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <openssl/rand.h>

#include "ld_alloc.h"
#include "ld_log.h"
#include "sim.h"
#include "wxpay_crypto.h"

/* One listening socket: plain HTTP, or TLS with client certificates. */
struct sim_listener {
	struct sim *sim;
	int tls;
};

struct sim_http {
	struct sim *sim;
	struct MHD_Daemon *mhd, *tls_mhd;
	struct sim_listener plain, tls;
};

/* Per-request state, created by the URI logger with the raw target. */
struct http_req {
	char *raw_uri;
	struct ld_buf body;
	int started;
	int too_big;
};

void
sim_answer_json(struct sim_answer *a, unsigned status, char *json)
{
	free(a->body);
	a->status = status;
	a->body = json;
	a->len = json ? strlen(json) : 0;
	a->content_type = "application/json";
}

void
sim_answer_error(struct sim_answer *a, unsigned status, const char *code,
    const char *message)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "code", code);
	cJSON_AddStringToObject(o, "message", message);
	sim_answer_json(a, status, cJSON_PrintUnformatted(o));
	cJSON_Delete(o);
}

static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct http_req *r = ld_calloc(1, sizeof *r);

	(void)cls;
	(void)con;
	r->raw_uri = ld_strdup(uri);
	ld_buf_init(&r->body, SIM_BODY_MAX);
	return r;
}

static void
request_done(void *cls, struct MHD_Connection *con, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *req_cls;

	(void)cls;
	(void)con;
	(void)toe;
	if (r == NULL)
		return;
	free(r->raw_uri);
	ld_buf_free(&r->body);
	free(r);
	*req_cls = NULL;
}

/* Waits ms, returning early when the simulator stops. */
static void
sim_sleep(struct sim *s, int ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->stopping &&
	    pthread_cond_timedwait(&s->wake, &s->lock, &ts) == 0)
		;
	pthread_mutex_unlock(&s->lock);
}

/* Closes the connection with an RST, as a crashed peer would. */
static enum MHD_Result
reset_connection(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci;
	struct linger lg = { 1, 0 };

	ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci != NULL)
		setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof lg);
	return MHD_NO;
}

/* Copies at most max bytes of s, not splitting a UTF-8 character. */
static char *
utf8_prefix(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	while (n > 0 && n < len && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return ld_strndup(s, n);
}

static void
sign_error(struct sim_answer *a, const char *method, const char *url,
    const char *msg, size_t msg_len, const char *why)
{
	cJSON *o = cJSON_CreateObject(), *d, *si, *dd;
	char *trunc = utf8_prefix(msg ? msg : "", msg_len, 256);

	cJSON_AddStringToObject(o, "code", "SIGN_ERROR");
	cJSON_AddStringToObject(o, "message", "错误的签名，验签失败");
	d = cJSON_AddObjectToObject(o, "detail");
	dd = cJSON_AddObjectToObject(d, "detail");
	cJSON_AddStringToObject(dd, "issue", why);
	cJSON_AddStringToObject(d, "field", "signature");
	cJSON_AddStringToObject(d, "location", "authorization");
	si = cJSON_AddObjectToObject(d, "sign_information");
	cJSON_AddStringToObject(si, "method", method);
	cJSON_AddNumberToObject(si, "sign_message_length", (double)msg_len);
	cJSON_AddStringToObject(si, "truncated_sign_message", trunc);
	cJSON_AddStringToObject(si, "url", url);
	free(trunc);
	sim_answer_json(a, 401, cJSON_PrintUnformatted(o));
	cJSON_Delete(o);
}

int
sim_check_auth(struct sim *s, const char *hv, const struct sim_request *rq,
    struct sim_answer *a)
{
	struct wx_v3_auth au;
	struct ld_err err;
	char *msg;
	size_t mlen;
	long long ts;
	char *end;
	int bad;

	if (hv == NULL) {
		sign_error(a, rq->method, rq->path_query, NULL, 0,
		    "Authorization header missing");
		return -1;
	}
	if (wx_v3_parse_authorization(hv, &au, &err) != LD_OK) {
		sign_error(a, rq->method, rq->path_query, NULL, 0, err.msg);
		return -1;
	}
	msg = wx_v3_message_len(rq->method, rq->path_query, au.timestamp,
	    au.nonce, rq->body, rq->body_len, &mlen);
	if (strcmp(au.mchid, s->cfg.mchid) != 0) {
		sign_error(a, rq->method, rq->path_query, msg, mlen,
		    "mchid does not match this merchant");
		free(msg);
		return -1;
	}
	if (strcmp(au.serial, s->cfg.merchant_serial) != 0) {
		sign_error(a, rq->method, rq->path_query, msg, mlen,
		    "serial_no is not this merchant's certificate");
		free(msg);
		return -1;
	}
	/*
	 * Unix seconds as digits only, at most 12 of them: strtoll would
	 * take a sign, blanks and LLONG_MIN, whose distance from now does
	 * not fit in a long long.
	 */
	for (ts = 0, end = au.timestamp; *end >= '0' && *end <= '9' &&
	    end - au.timestamp < 12; end++)
		ts = ts * 10 + (*end - '0');
	if (*end != '\0' || end == au.timestamp ||
	    llabs(ts - (long long)time(NULL)) > s->cfg.request_max_skew) {
		sign_error(a, rq->method, rq->path_query, msg, mlen,
		    "timestamp outside the accepted window");
		free(msg);
		return -1;
	}
	bad = wx_rsa_verify_b64(s->merchant_pub, msg, mlen, au.signature,
	    &err) != LD_OK;
	if (bad)
		sign_error(a, rq->method, rq->path_query, msg, mlen,
		    "sign not match");
	free(msg);
	return bad ? -1 : 0;
}

static int
header_add(struct MHD_Response *r, const char *k, const char *v)
{
	return MHD_add_response_header(r, k, v) == MHD_YES ? 0 : -1;
}

/* Signs (or, by fault, mis-signs) and queues the answer. */
static enum MHD_Result
send_answer(struct sim *s, struct MHD_Connection *con, struct sim_answer *a,
    int sign)
{
	const char *asked = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	    "Wechatpay-Serial");
	/*
	 * Spec 3.2: during a switch the answer is signed as whichever of our
	 * identities the request named; both are the same key here.
	 */
	const char *serial = asked != NULL &&
	    (strcmp(asked, s->platform_cert_serial) == 0 ||
	    strcmp(asked, s->platform_key_id) == 0) ? asked :
	    s->platform_key_id;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char rid[48], ts[24], nonce[33], *sig = NULL;
	unsigned char raw[12];
	struct ld_err err;
	int bad_sig = 0, signtest = 0, stale = 0, unknown = 0;
	size_t i;

	if (RAND_bytes(raw, sizeof raw) != 1)
		memset(raw, 0, sizeof raw);
	for (i = 0; i < sizeof raw; i++)
		snprintf(rid + 2 * i, 3, "%02X", raw[i]);
	if (sign) {
		pthread_mutex_lock(&s->lock);
		if (sim_knob_fire(s, &s->faults.resp_unsigned))
			sign = 0;
		else {
			signtest = sim_knob_fire(s, &s->faults.resp_signtest);
			bad_sig = sim_knob_fire(s,
			    &s->faults.resp_bad_signature);
			stale = sim_knob_fire(s,
			    &s->faults.resp_stale_timestamp);
			unknown = sim_knob_fire(s,
			    &s->faults.resp_unknown_serial);
		}
		pthread_mutex_unlock(&s->lock);
	}
	if (sign) {
		const char *body = a->body ? a->body : "";
		char *m;
		size_t mlen;

		if (wx_random_nonce(nonce, &err) != LD_OK)
			return MHD_NO;
		snprintf(ts, sizeof ts, "%lld",
		    (long long)time(NULL) - (stale ? 900 : 0));
		m = wx_v3_response_message_len(ts, nonce, body, a->len, &mlen);
		if (wx_rsa_sign_b64(s->platform_key, m, mlen, &sig, &err) !=
		    LD_OK) {
			ld_log_error("signing an answer: %s", err.msg);
			free(m);
			return MHD_NO;
		}
		free(m);
		if (bad_sig) {
			sig[10] = sig[10] == 'A' ? 'B' : 'A';
			sig[11] = sig[11] == 'A' ? 'B' : 'A';
		}
		if (signtest) {
			char *p = ld_asprintf("WECHATPAY/SIGNTEST/%s",
			    sig + 19);

			free(sig);
			sig = p;
		}
	}
	resp = MHD_create_response_from_buffer(a->len, a->body ? a->body : "",
	    a->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(sig);
		return MHD_NO;
	}
	a->body = NULL;
	header_add(resp, "Request-ID", rid);
	if (a->len > 0 || a->status != 204)
		header_add(resp, "Content-Type", a->content_type ?
		    a->content_type : "application/json");
	header_add(resp, "Server", "wxpay-sim");
	/* RFC 9110 15.5.6: a 405 names the methods the resource takes. */
	if (a->status == 405 && a->allow != NULL)
		header_add(resp, "Allow", a->allow);
	if (sig != NULL) {
		header_add(resp, "Wechatpay-Timestamp", ts);
		header_add(resp, "Wechatpay-Nonce", nonce);
		header_add(resp, "Wechatpay-Signature", sig);
		header_add(resp, "Wechatpay-Serial", unknown ?
		    "PUB_KEY_ID_0000000000000000000000000000000000" : serial);
		header_add(resp, "Wechatpay-Signature-Type",
		    "WECHATPAY2-SHA256-RSA2048");
	}
	free(sig);
	ret = MHD_queue_response(con, a->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/*
 * The merchant's API certificate on a TLS connection (wechatpay.md 1.4):
 * present, issued by tls_client_ca_file and valid now (gnutls checks the
 * chain against the trust libmicrohttpd was given), and issued to this
 * merchant: WeChat Pay's API certificates carry the merchant id as their
 * common name.  0 when good; else why, for the log.
 */
static int
client_cert_check(struct sim *s, struct MHD_Connection *con, char *why,
    size_t size)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t ses;
	const gnutls_datum_t *peers;
	unsigned int npeers = 0, status = 0;
	gnutls_x509_crt_t crt;
	gnutls_datum_t text;
	char cn[128];
	size_t cnlen = sizeof cn;
	int rc;

	ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL) {
		snprintf(why, size, "no TLS session");
		return -1;
	}
	ses = (gnutls_session_t)ci->tls_session;
	peers = gnutls_certificate_get_peers(ses, &npeers);
	if (peers == NULL || npeers == 0) {
		snprintf(why, size, "no client certificate");
		return -1;
	}
	if ((rc = gnutls_certificate_verify_peers2(ses, &status)) < 0) {
		snprintf(why, size, "client certificate: %s",
		    gnutls_strerror(rc));
		return -1;
	}
	if (status != 0) {
		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &text, 0) == 0) {
			snprintf(why, size, "client certificate: %s",
			    (const char *)text.data);
			gnutls_free(text.data);
		} else
			snprintf(why, size, "client certificate: not "
			    "trusted (status 0x%x)", status);
		return -1;
	}
	if (gnutls_x509_crt_init(&crt) < 0) {
		snprintf(why, size, "gnutls_x509_crt_init failed");
		return -1;
	}
	rc = gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER);
	if (rc >= 0)
		rc = gnutls_x509_crt_get_dn_by_oid(crt,
		    GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &cnlen);
	gnutls_x509_crt_deinit(crt);
	if (rc < 0) {
		snprintf(why, size, "client certificate without a common "
		    "name");
		return -1;
	}
	if (strcmp(cn, s->cfg.mchid) != 0) {
		snprintf(why, size, "client certificate is for \"%.64s\", not "
		    "merchant %s", cn, s->cfg.mchid);
		return -1;
	}
	return 0;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	const struct sim_listener *l = cls;
	struct sim *s = l->sim;
	struct http_req *r = *req_cls;
	struct sim_request rq;
	struct sim_answer a;
	char *path, *q;
	int admin, v2, late = 0, reset_after = 0, latency, v3 = 0, sign;
	enum MHD_Result ret;

	(void)url;
	(void)version;
	if (r == NULL)
		return MHD_NO;
	if (!r->started) {
		r->started = 1;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!r->too_big && ld_buf_append(&r->body, upload_data,
		    *upload_data_size) != LD_OK)
			r->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}

	memset(&a, 0, sizeof a);
	path = ld_strdup(r->raw_uri);
	q = strchr(path, '?');
	if (q != NULL)
		*q++ = '\0';
	memset(&rq, 0, sizeof rq);
	rq.method = method;
	rq.path = path;
	rq.path_query = r->raw_uri;
	rq.query = q ? q : "";
	rq.body = r->body.data ? r->body.data : "";
	rq.body_len = r->body.len;
	rq.wechatpay_serial = MHD_lookup_connection_value(con,
	    MHD_HEADER_KIND, "Wechatpay-Serial");
	rq.content_type = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	    "Content-Type");
	admin = strncmp(path, "/__sim/", 7) == 0;
	v2 = strncmp(path, "/mmpaymkttransfers/", 19) == 0;

	if (r->too_big) {
		sim_answer_error(&a, 413, "PARAM_ERROR", "请求体过大");
		free(path);
		ret = send_answer(s, con, &a, 0);
		free(a.body);
		return ret;
	}
	if (admin) {
		sim_api_admin(s, &rq, &a);
		free(path);
		ret = send_answer(s, con, &a, 0);
		free(a.body);
		return ret;
	}

	/* Transport faults happen before WeChat has looked at anything. */
	pthread_mutex_lock(&s->lock);
	latency = sim_knob_fire(s, &s->faults.latency) ?
	    s->faults.latency_ms : 0;
	if (sim_knob_fire(s, &s->faults.hang)) {
		int ms = s->faults.hang_ms;

		pthread_mutex_unlock(&s->lock);
		free(path);
		sim_sleep(s, ms);
		return reset_connection(con);
	}
	if (sim_knob_fire(s, &s->faults.reset)) {
		pthread_mutex_unlock(&s->lock);
		free(path);
		return reset_connection(con);
	}
	if (sim_knob_fire(s, &s->faults.error_5xx))
		sim_answer_error(&a, 500, "SYSTEM_ERROR", "系统繁忙");
	else if (sim_knob_fire(s, &s->faults.error_503))
		sim_answer_error(&a, 503, "SERVICE_UNAVAILABLE", "服务不可用");
	pthread_mutex_unlock(&s->lock);
	sim_sleep(s, latency);

	if (a.status == 0 && v2) {
		char why[256];

		/*
		 * APIv2 needs the merchant's certificate: none can come over
		 * plain HTTP once the TLS listener exists (without one, the
		 * demo's plain APIv2 is served as before).
		 */
		if (!l->tls && s->cfg.v2_tls_listen != NULL) {
			ld_log_warn("APIv2 %s over plain HTTP: CA_ERROR",
			    path);
			sim_api_v2_ca_error(&a);
		} else if (l->tls && client_cert_check(s, con, why,
		    sizeof why) != 0) {
			ld_log_warn("APIv2 %s: %s: CA_ERROR", path, why);
			sim_api_v2_ca_error(&a);
		} else
			sim_api_v2(s, &rq, &a);
	} else if (a.status == 0) {
		v3 = 1;
		if (sim_check_auth(s, MHD_lookup_connection_value(con,
		    MHD_HEADER_KIND, "Authorization"), &rq, &a) == 0)
			sim_api_v3(s, &rq, &a);
	} else
		v3 = !v2;
	free(path);

	if (a.committed) {
		pthread_mutex_lock(&s->lock);
		if (sim_knob_fire(s, &s->faults.reset_after_commit))
			reset_after = 1;
		else if (sim_knob_fire(s, &s->faults.late))
			late = s->faults.late_ms;
		pthread_mutex_unlock(&s->lock);
	}
	if (reset_after) {
		free(a.body);
		return reset_connection(con);
	}
	sim_sleep(s, late);
	sign = v3 && !a.v2 && (a.status / 100 == 2 || s->cfg.sign_errors);
	ret = send_answer(s, con, &a, sign);
	free(a.body);
	return ret;
}

/*
 * libmicrohttpd's own messages; the one our deliberate resets cause is
 * expected and not worth a line.
 */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (strstr(msg, "Application reported internal error") != NULL)
		return;
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	ld_log_warn("microhttpd: %s", msg);
}

static enum ld_status
parse_listen(const char *text, struct sockaddr_in *sa, struct ld_err *err)
{
	const char *colon = strrchr(text, ':');
	char host[64];
	long port;
	char *end;

	if (colon == NULL || (size_t)(colon - text) >= sizeof host)
		return ld_err_set(err, LD_EINVAL,
		    "listen \"%s\": expected 127.0.0.1:PORT", text);
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || port < 0 || port > 65535)
		return ld_err_set(err, LD_EINVAL,
		    "listen \"%s\": bad port", text);
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return ld_err_set(err, LD_EINVAL,
		    "listen \"%s\": not an IPv4 address", text);
	/* No authentication on /__sim/: never beyond this machine. */
	if ((ntohl(sa->sin_addr.s_addr) >> 24) != 127)
		return ld_err_set(err, LD_EINVAL,
		    "listen \"%s\": only loopback (127.x.x.x) is allowed",
		    text);
	return LD_OK;
}

struct sim_http *
sim_http_start(struct sim *s, unsigned *port, unsigned *tls_port,
    struct ld_err *err)
{
	struct sockaddr_in sa, tsa;
	struct sim_http *h;
	const union MHD_DaemonInfo *di;
	const unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_POLL;

	*tls_port = 0;
	if (parse_listen(s->cfg.listen, &sa, err) != LD_OK)
		return NULL;
	if (s->cfg.v2_tls_listen != NULL &&
	    parse_listen(s->cfg.v2_tls_listen, &tsa, err) != LD_OK)
		return NULL;
	h = ld_calloc(1, sizeof *h);
	h->sim = s;
	h->plain.sim = h->tls.sim = s;
	h->tls.tls = 1;
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, &h->plain,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, (void *)s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_logger, (void *)s,
	    MHD_OPTION_NOTIFY_COMPLETED, request_done, (void *)s,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
	    MHD_OPTION_END);
	if (h->mhd == NULL) {
		free(h);
		ld_err_set(err, LD_ENET, "listen %s: cannot start the HTTP "
		    "server (port in use?)", s->cfg.listen);
		return NULL;
	}
	di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	*port = di != NULL ? di->port : ntohs(sa.sin_port);
	if (s->cfg.v2_tls_listen == NULL)
		return h;
	/*
	 * With a trust list libmicrohttpd asks every client for its
	 * certificate; whether one came and is good is decided per request
	 * (client_cert_check), so APIv3 calls still work without one.
	 */
	h->tls_mhd = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL,
	    handle, &h->tls,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, (void *)s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&tsa,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_logger, (void *)s,
	    MHD_OPTION_NOTIFY_COMPLETED, request_done, (void *)s,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
	    MHD_OPTION_HTTPS_MEM_KEY, s->tls_key_pem,
	    MHD_OPTION_HTTPS_MEM_CERT, s->tls_cert_pem,
	    MHD_OPTION_HTTPS_MEM_TRUST, s->tls_ca_pem,
	    MHD_OPTION_END);
	if (h->tls_mhd == NULL) {
		MHD_stop_daemon(h->mhd);
		free(h);
		ld_err_set(err, LD_ENET, "v2_tls_listen %s: cannot start the "
		    "TLS server (port in use, or %s / %s / %s not PEM?)",
		    s->cfg.v2_tls_listen, s->cfg.tls_cert_file,
		    s->cfg.tls_key_file, s->cfg.tls_client_ca_file);
		return NULL;
	}
	di = MHD_get_daemon_info(h->tls_mhd, MHD_DAEMON_INFO_BIND_PORT);
	*tls_port = di != NULL ? di->port : ntohs(tsa.sin_port);
	return h;
}

void
sim_http_stop(struct sim_http *h)
{
	if (h == NULL)
		return;
	if (h->tls_mhd != NULL)
		MHD_stop_daemon(h->tls_mhd);
	MHD_stop_daemon(h->mhd);
	free(h);
}
