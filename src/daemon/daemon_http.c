/*
 * loandeskd's HTTP listener (libmicrohttpd, one internal thread, so one
 * database connection and one WeChat Pay client serve it without locks):
 *
 *   POST /wxpay/notify  WeChat Pay's transfer callbacks: a body larger
 *                       than CORE_PAYOUT_CALLBACK_MAX is refused before
 *                       anything reads it (413, by its Content-Length or
 *                       as it arrives); the rest is verified, decrypted
 *                       and applied by core_payout_callback.  2xx with
 *                       no body when taken; 4xx/5xx with
 *                       {"code":"FAIL","message":...} so that WeChat Pay
 *                       sends it again (doc 4012712115).
 *   GET /healthz        the database, the payout workers, the kill
 *                       switch, the channel and the last balance, as
 *                       JSON; 503 when the database does not answer or
 *                       a payout worker is not running.
 *   GET /metrics        Prometheus text (daemon_metrics.c).
 */
#include "config.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cJSON.h>
#include <microhttpd.h>

#include "daemon.h"
#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_db.h"
#include "ld_log.h"

struct daemon_http {
	struct daemon_shared *sh;
	struct MHD_Daemon *d;
	unsigned port;
	struct ld_db db;
	struct wx_client *c;
};

struct http_req {
	struct ld_buf body;
	int too_big;
};

static int
db_ready(struct daemon_http *h, struct ld_err *err)
{
	if (ld_db_connected(&h->db))
		return 1;
	ld_db_close(&h->db);
	return ld_db_connect(&h->db, h->sh->cfg->database.conninfo,
	    "loandeskd http", err) == LD_OK;
}

static enum MHD_Result
reply(struct MHD_Connection *con, unsigned status, const char *type,
    char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = body != NULL ? strlen(body) : 0;

	r = MHD_create_response_from_buffer(len, body != NULL ? body : "",
	    body != NULL ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	if (type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(con, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* WeChat Pay's failure answer: {"code":"FAIL","message":...}. */
static enum MHD_Result
reply_fail(struct MHD_Connection *con, unsigned status, const char *message)
{
	cJSON *o = cJSON_CreateObject();
	char *s, *body;

	cJSON_AddStringToObject(o, "code", "FAIL");
	cJSON_AddStringToObject(o, "message", message);
	s = cJSON_PrintUnformatted(o);
	body = ld_strdup(s);
	cJSON_free(s);
	cJSON_Delete(o);
	return reply(con, status, "application/json", body);
}

static enum MHD_Result
notify(struct daemon_http *h, struct MHD_Connection *con,
    struct http_req *rq)
{
	struct core_payout_callback cb;
	struct wx_signed_headers sh;
	struct ld_err err;

	if (rq->too_big) {
		memset(&cb, 0, sizeof cb);
		cb.result = "refused";
		cb.reason = "too_large";
		daemon_metrics_callback(&h->sh->metrics, &cb);
		ld_log_warn("callback refused: body larger than %d bytes",
		    CORE_PAYOUT_CALLBACK_MAX);
		return reply_fail(con, 413, "body too large");
	}
	if (h->c == NULL)
		return reply_fail(con, 404, "this daemon takes no callbacks "
		    "([wxpay] has no apiv3_key_file)");
	ld_err_clear(&err);
	if (!db_ready(h, &err)) {
		ld_log_error("callback: %s", err.msg);
		return reply_fail(con, 503, "database unavailable");
	}
	sh.timestamp = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	    "Wechatpay-Timestamp");
	sh.nonce = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	    "Wechatpay-Nonce");
	sh.signature = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	    "Wechatpay-Signature");
	sh.serial = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	    "Wechatpay-Serial");
	core_payout_callback(&h->db, h->c, &sh, rq->body.data != NULL ?
	    rq->body.data : "", rq->body.len, &cb);
	if (!ld_db_connected(&h->db))
		ld_db_close(&h->db);
	daemon_metrics_callback(&h->sh->metrics, &cb);
	if (strcmp(cb.result, "refused") == 0)
		ld_log_warn("callback refused (%s): %s", cb.reason,
		    cb.message);
	else if (strcmp(cb.result, "failed") == 0)
		ld_log_error("callback %s for %s: %s", cb.event_id,
		    cb.out_bill_no[0] ? cb.out_bill_no : "?", cb.message);
	else
		ld_log_info("callback %s out_bill_no %s: %s %s", cb.event_id,
		    cb.out_bill_no[0] ? cb.out_bill_no : "-",
		    cb.state[0] ? cb.state : "-", cb.result);
	if (cb.http_status / 100 == 2)
		return reply(con, (unsigned)cb.http_status, NULL, NULL);
	return reply_fail(con, (unsigned)cb.http_status, cb.message);
}

static enum MHD_Result
healthz(struct daemon_http *h, struct MHD_Connection *con)
{
	struct core_payout_gauges g;
	struct ld_err err;
	cJSON *o = cJSON_CreateObject(), *w, *b;
	int db_ok, running = atomic_load(&h->sh->payout_workers_running);
	int healthy;
	char *s, *body;

	ld_err_clear(&err);
	db_ok = db_ready(h, &err) && core_payout_gauges_read(&h->db, &g,
	    &err) == LD_OK;
	if (!ld_db_connected(&h->db))
		ld_db_close(&h->db);
	healthy = db_ok && running == h->sh->payout_workers;
	cJSON_AddStringToObject(o, "status", healthy ? "ok" : "unhealthy");
	cJSON_AddStringToObject(o, "database", db_ok ? "ok" : err.msg);
	w = cJSON_AddObjectToObject(o, "payout_workers");
	cJSON_AddNumberToObject(w, "running", running);
	cJSON_AddNumberToObject(w, "configured", h->sh->payout_workers);
	if (db_ok) {
		cJSON_AddBoolToObject(o, "payouts_paused", g.paused);
		cJSON_AddStringToObject(o, "channel", g.channel_paused ?
		    "paused" : "open");
		cJSON_AddNumberToObject(o, "oldest_unknown_s",
		    g.oldest_unknown_s < 0 ? 0 : g.oldest_unknown_s);
		cJSON_AddNumberToObject(o, "open_alerts",
		    (double)g.open_alerts);
		if (g.have_balance) {
			b = cJSON_AddObjectToObject(o, "balance");
			cJSON_AddNumberToObject(b, "available_fen",
			    (double)g.available_fen);
			cJSON_AddNumberToObject(b, "pending_fen",
			    (double)g.pending_fen);
			cJSON_AddNumberToObject(b, "age_s", g.balance_age_s);
		} else
			cJSON_AddNullToObject(o, "balance");
	}
	s = cJSON_PrintUnformatted(o);
	body = ld_asprintf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(o);
	return reply(con, healthy ? 200 : 503, "application/json", body);
}

static enum MHD_Result
metrics(struct daemon_http *h, struct MHD_Connection *con)
{
	struct core_payout_gauges g;
	struct ld_err err;
	int db_ok;

	ld_err_clear(&err);
	db_ok = db_ready(h, &err) && core_payout_gauges_read(&h->db, &g,
	    &err) == LD_OK;
	if (!ld_db_connected(&h->db))
		ld_db_close(&h->db);
	return reply(con, 200, "text/plain; version=0.0.4; charset=utf-8",
	    daemon_metrics_render(&h->sh->metrics, db_ok ? &g : NULL,
	    atomic_load(&h->sh->payout_workers_running),
	    h->sh->payout_workers));
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req_cls)
{
	struct daemon_http *h = cls;
	struct http_req *rq = *req_cls;
	int post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

	(void)version;
	if (rq == NULL) {
		const char *cl = MHD_lookup_connection_value(con,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

		rq = ld_calloc(1, sizeof *rq);
		ld_buf_init(&rq->body, CORE_PAYOUT_CALLBACK_MAX);
		/* Refused by its announced size, before the body is read. */
		if (cl != NULL && strtoull(cl, NULL, 10) >
		    CORE_PAYOUT_CALLBACK_MAX)
			rq->too_big = 1;
		*req_cls = rq;
		if (rq->too_big && post && strcmp(url, "/wxpay/notify") == 0)
			return notify(h, con, rq);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!rq->too_big && ld_buf_append(&rq->body, upload,
		    *upload_size) != LD_OK)
			rq->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/wxpay/notify") == 0)
		return post ? notify(h, con, rq) : reply_fail(con, 405,
		    "POST only");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(con, 405, "text/plain", ld_strdup("GET only\n"));
	if (strcmp(url, "/healthz") == 0)
		return healthz(h, con);
	if (strcmp(url, "/metrics") == 0)
		return metrics(h, con);
	return reply(con, 404, "text/plain", ld_strdup("not found: "
	    "/wxpay/notify, /healthz, /metrics\n"));
}

static void
done(void *cls, struct MHD_Connection *con, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req *rq = *req_cls;

	(void)cls, (void)con, (void)toe;
	if (rq != NULL) {
		ld_buf_free(&rq->body);
		free(rq);
		*req_cls = NULL;
	}
}

/* "A.B.C.D:PORT" into sa; 0 or -1. */
static int
parse_listen(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = s != NULL ? strrchr(s, ':') : NULL;
	char *end;
	unsigned long port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof host)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || port > 65535)
		return -1;
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

enum ld_status
daemon_http_start(struct daemon_shared *sh, struct daemon_http **out,
    struct ld_err *err)
{
	const char *listen = sh->cfg->daemon.listen;
	const union MHD_DaemonInfo *di;
	struct daemon_http *h;
	struct sockaddr_in sa;
	struct ld_err e;

	*out = NULL;
	if (parse_listen(listen, &sa) != 0)
		return ld_err_set(err, LD_EINVAL, "[daemon] listen \"%s\" is "
		    "not an IPv4 address and port (127.0.0.1:8480)",
		    listen != NULL ? listen : "");
	h = ld_calloc(1, sizeof *h);
	h->sh = sh;
	ld_err_clear(&e);
	/* Callbacks are APIv3: without its key this listener only reports. */
	if (sh->cfg->wxpay.apiv3_key_file != NULL &&
	    wx_client_new(&sh->cfg->wxpay, &h->c, &e) != LD_OK) {
		free(h);
		return ld_err_set(err, e.code, "%s", e.msg);
	}
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_POLL, 0, NULL, NULL, handle, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_NOTIFY_COMPLETED, done, h,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		wx_client_free(h->c);
		free(h);
		return ld_err_set(err, LD_EIO, "[daemon] listen %s: cannot "
		    "listen there (in use, or not an address of this host)",
		    listen);
	}
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di != NULL ? di->port : 0;
	*out = h;
	return LD_OK;
}

unsigned
daemon_http_port(const struct daemon_http *h)
{
	return h != NULL ? h->port : 0;
}

void
daemon_http_stop(struct daemon_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	ld_db_close(&h->db);
	wx_client_free(h->c);
	free(h);
}
