/*
 * The HTTP side: libmicrohttpd with a thread per connection (keep-alive,
 * and a stalled "hang" fault blocks only its own connection), loopback only.
 * This layer has the merchant's APIv3 signature checked (sim_auth.c),
 * signs every answer with the platform key and applies the transport
 * faults; the modules of sim_api.h decide what the answers say.
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
#include "sim_api.h"
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

static int
header_add(struct MHD_Response *r, const char *k, const char *v)
{
	return MHD_add_response_header(r, k, v) == MHD_YES ? 0 : -1;
}

/* The signature an answer carries, with the response faults applied. */
struct answer_sig {
	char ts[24], nonce[33];
	char *sig;		/* NULL: unsigned */
	int unknown_serial;
};

/* Signs (or, by fault, mis-signs) the answer; 0, or -1 on failure. */
static int
answer_sign(struct sim *s, const struct sim_answer *a, struct answer_sig *g)
{
	int bad_sig, signtest, stale;
	struct ld_err err;

	pthread_mutex_lock(&s->lock);
	if (sim_knob_fire(s, &s->faults.resp_unsigned)) {
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	signtest = sim_knob_fire(s, &s->faults.resp_signtest);
	bad_sig = sim_knob_fire(s, &s->faults.resp_bad_signature);
	stale = sim_knob_fire(s, &s->faults.resp_stale_timestamp);
	g->unknown_serial = sim_knob_fire(s, &s->faults.resp_unknown_serial);
	pthread_mutex_unlock(&s->lock);
	if (sim_sign_answer(s, a->body ? a->body : "", a->len, stale ? 900 : 0,
	    g->ts, g->nonce, &g->sig, &err) != LD_OK) {
		ld_log_error("signing an answer: %s", err.msg);
		return -1;
	}
	if (bad_sig) {
		g->sig[10] = g->sig[10] == 'A' ? 'B' : 'A';
		g->sig[11] = g->sig[11] == 'A' ? 'B' : 'A';
	}
	if (signtest) {
		char *p = ld_asprintf("WECHATPAY/SIGNTEST/%s", g->sig + 19);

		free(g->sig);
		g->sig = p;
	}
	return 0;
}

/* Queues the answer, signed when sign is set. */
static enum MHD_Result
send_answer(struct sim *s, struct MHD_Connection *con, struct sim_answer *a,
    int sign)
{
	const char *asked = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	    "Wechatpay-Serial");
	/*
	 * During a switch the answer is signed as whichever of our
	 * identities the request named; both are the same key here.
	 */
	const char *serial = asked != NULL &&
	    (strcmp(asked, s->platform_cert_serial) == 0 ||
	    strcmp(asked, s->platform_key_id) == 0) ? asked :
	    s->platform_key_id;
	struct answer_sig g;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char rid[48];
	unsigned char raw[12];
	size_t i;

	memset(&g, 0, sizeof g);
	if (sign && answer_sign(s, a, &g) != 0)
		return MHD_NO;
	if (RAND_bytes(raw, sizeof raw) != 1)
		memset(raw, 0, sizeof raw);
	for (i = 0; i < sizeof raw; i++)
		snprintf(rid + 2 * i, 3, "%02X", raw[i]);
	resp = MHD_create_response_from_buffer(a->len, a->body ? a->body : "",
	    a->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(g.sig);
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
	if (g.sig != NULL) {
		header_add(resp, "Wechatpay-Timestamp", g.ts);
		header_add(resp, "Wechatpay-Nonce", g.nonce);
		header_add(resp, "Wechatpay-Signature", g.sig);
		header_add(resp, "Wechatpay-Serial", g.unknown_serial ?
		    "PUB_KEY_ID_0000000000000000000000000000000000" : serial);
		header_add(resp, "Wechatpay-Signature-Type",
		    "WECHATPAY2-SHA256-RSA2048");
	}
	free(g.sig);
	ret = MHD_queue_response(con, a->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/*
 * The merchant's API certificate on a TLS connection (the mutual TLS of
 * pay.weixin.qq.com doc 4011989673): present, issued by tls_client_ca_file and valid now (gnutls checks the
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

/*
 * The faults that strike before WeChat has looked at anything: 1 when the
 * connection is to be reset now (after hanging, maybe), else 0 with a
 * 5xx answer maybe filled and the latency slept.
 */
static int
faults_before(struct sim *s, struct sim_answer *a)
{
	int latency, hang = -1;

	pthread_mutex_lock(&s->lock);
	latency = sim_knob_fire(s, &s->faults.latency) ?
	    s->faults.latency_ms : 0;
	if (sim_knob_fire(s, &s->faults.hang))
		hang = s->faults.hang_ms;
	else if (sim_knob_fire(s, &s->faults.reset))
		hang = 0;
	else if (sim_knob_fire(s, &s->faults.error_5xx))
		sim_answer_v3_code(a, "SYSTEM_ERROR");
	else if (sim_knob_fire(s, &s->faults.error_503))
		sim_answer_v3_code(a, "SERVICE_UNAVAILABLE");
	pthread_mutex_unlock(&s->lock);
	if (hang >= 0) {
		sim_sleep(s, hang);
		return 1;
	}
	sim_sleep(s, latency);
	return 0;
}

/*
 * APIv2 needs the merchant's certificate: none can come over plain HTTP
 * once the TLS listener exists (without one, the demo's plain APIv2 is
 * served as before).
 */
static void
dispatch_v2(const struct sim_listener *l, struct MHD_Connection *con,
    const struct sim_request *rq, struct sim_answer *a)
{
	char why[256];

	if (!l->tls && l->sim->cfg.v2_tls_listen != NULL) {
		ld_log_warn("APIv2 %s over plain HTTP: CA_ERROR", rq->path);
		sim_api_v2_ca_error(a);
	} else if (l->tls && client_cert_check(l->sim, con, why,
	    sizeof why) != 0) {
		ld_log_warn("APIv2 %s: %s: CA_ERROR", rq->path, why);
		sim_api_v2_ca_error(a);
	} else
		sim_api_v2(l->sim, rq, a);
}

/*
 * The faults that strike after the work was done: 1 when the connection
 * is to be reset now, else 0 after the late answer's delay.
 */
static int
faults_after(struct sim *s, const struct sim_answer *a)
{
	int late = 0, reset = 0;

	if (!a->committed)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (sim_knob_fire(s, &s->faults.reset_after_commit))
		reset = 1;
	else if (sim_knob_fire(s, &s->faults.late))
		late = s->faults.late_ms;
	pthread_mutex_unlock(&s->lock);
	if (!reset)
		sim_sleep(s, late);
	return reset;
}

/* Routes a whole request; returns what libmicrohttpd expects. */
static enum MHD_Result
dispatch(const struct sim_listener *l, struct MHD_Connection *con,
    const struct sim_request *rq, int too_big)
{
	struct sim *s = l->sim;
	struct sim_answer a;
	int v2 = strncmp(rq->path, "/mmpaymkttransfers/", 19) == 0, sign = 0;
	enum MHD_Result ret;

	memset(&a, 0, sizeof a);
	if (too_big)
		sim_answer_error(&a, 413, "PARAM_ERROR", "请求体过大");
	else if (strncmp(rq->path, "/__sim/", 7) == 0)
		sim_api_admin(s, rq, &a);
	else if (faults_before(s, &a))
		return reset_connection(con);
	else {
		sign = !v2;
		/* An injected 5xx is the whole answer: nothing was done. */
		if (a.status == 0 && v2)
			dispatch_v2(l, con, rq, &a);
		else if (a.status == 0 && sim_check_auth(s,
		    MHD_lookup_connection_value(con, MHD_HEADER_KIND,
		    "Authorization"), rq, &a) == 0)
			sim_api_v3(s, rq, &a);
		if (faults_after(s, &a)) {
			free(a.body);
			return reset_connection(con);
		}
	}
	sign = sign && !a.v2 && !a.unsigned_body &&
	    (a.status / 100 == 2 || s->cfg.sign_errors);
	ret = send_answer(s, con, &a, sign);
	free(a.body);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	const struct sim_listener *l = cls;
	struct http_req *r = *req_cls;
	struct sim_request rq;
	char *path, *q;
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
	path = ld_strdup(r->raw_uri);
	if ((q = strchr(path, '?')) != NULL)
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
	rq.base_url = l->tls ? l->sim->tls_base_url : l->sim->base_url;
	ret = dispatch(l, con, &rq, r->too_big);
	free(path);
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

/* "http://127.0.0.1:PORT": where a listener is reached. */
static void
origin(char *out, size_t size, const char *scheme,
    const struct sockaddr_in *sa, unsigned port)
{
	char host[INET_ADDRSTRLEN] = "127.0.0.1";

	inet_ntop(AF_INET, &sa->sin_addr, host, sizeof host);
	snprintf(out, size, "%s://%s:%u", scheme, host, port);
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
	origin(s->base_url, sizeof s->base_url, "http", &sa, *port);
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
	origin(s->tls_base_url, sizeof s->tls_base_url, "https", &tsa,
	    *tls_port);
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
