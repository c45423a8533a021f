/*
 * libcurl transport for the WeChat Pay client.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ld_alloc.h"
#include "wxpay_http.h"

static int
host_is_loopback(const char *host)
{
	unsigned a, b, c, d;
	char tail;

	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    strcmp(host, "::1") == 0)
		return 1;
	if (sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 &&
	    a == 127 && b < 256 && c < 256 && d < 256)
		return 1;
	return 0;
}

enum ld_status
wx_http_check_base_url(const char *url, int *tls, struct ld_err *err)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *path = NULL, *query = NULL;
	char *user = NULL;
	enum ld_status st = LD_OK;

	*tls = 0;
	if (url == NULL || url[0] == '\0')
		return ld_err_set(err, LD_EINVAL, "[wxpay] base_url is empty");
	if ((u = curl_url()) == NULL)
		return ld_err_set(err, LD_ENOMEM, "curl_url");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		st = ld_err_set(err, LD_EINVAL, "[wxpay] base_url \"%s\" is "
		    "not a URL", url);
		goto out;
	}
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_get(u, CURLUPART_USER, &user, 0);
	if ((path != NULL && strcmp(path, "/") != 0 && path[0] != '\0') ||
	    query != NULL || user != NULL) {
		st = ld_err_set(err, LD_EINVAL, "[wxpay] base_url \"%s\" must "
		    "be scheme://host[:port] with no path, query or user "
		    "(the signed path starts at /v3/...)", url);
		goto out;
	}
	if (strcasecmp(scheme, "https") == 0) {
		*tls = 1;
	} else if (strcasecmp(scheme, "http") == 0) {
		/* Plain HTTP would expose the Authorization header and let
		 * anyone on the path answer for WeChat; only loopback is
		 * allowed, for the local simulator. */
		if (!host_is_loopback(host))
			st = ld_err_set(err, LD_EPERM, "[wxpay] base_url "
			    "\"%s\": plain http is refused for a host that is "
			    "not loopback; use https", url);
	} else {
		st = ld_err_set(err, LD_EINVAL, "[wxpay] base_url \"%s\": "
		    "scheme %s is not https", url, scheme);
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(path);
	curl_free(query);
	curl_free(user);
	curl_url_cleanup(u);
	return st;
}

enum ld_status
wx_http_check_notify_url(const char *url, struct ld_err *err)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *user = NULL;
	enum ld_status st = LD_OK;

	if (url == NULL || url[0] == '\0')
		return ld_err_set(err, LD_EINVAL, "notify_url is empty");
	if ((u = curl_url()) == NULL)
		return ld_err_set(err, LD_ENOMEM, "curl_url");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		st = ld_err_set(err, LD_EINVAL, "notify_url \"%s\" is not a "
		    "URL", url);
		goto out;
	}
	curl_url_get(u, CURLUPART_USER, &user, 0);
	if (user != NULL)
		st = ld_err_set(err, LD_EINVAL, "notify_url \"%s\" must not "
		    "carry a user", url);
	else if (strcasecmp(scheme, "https") == 0)
		;
	else if (strcasecmp(scheme, "http") == 0) {
		/* The same rule as base_url: a callback in clear text could be
		 * read or answered by anyone on the path; loopback only, for
		 * the local simulator. */
		if (!host_is_loopback(host))
			st = ld_err_set(err, LD_EPERM, "notify_url \"%s\": "
			    "plain http is refused for a host that is not "
			    "loopback; use https", url);
	} else
		st = ld_err_set(err, LD_EINVAL, "notify_url \"%s\": scheme "
		    "%s is not https", url, scheme);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return st;
}

enum ld_status
wx_http_init(struct wx_http *h, const struct wx_http_opts *o,
    struct ld_err *err)
{
	enum ld_status st;
	size_t blen;
	CURL *c;

	memset(h, 0, sizeof *h);
	if ((st = wx_http_check_base_url(o->base_url, &h->tls, err)) != LD_OK)
		return st;
	if ((c = curl_easy_init()) == NULL)
		return ld_err_set(err, LD_ENOMEM, "curl_easy_init");
	h->curl = c;
	h->base = ld_strdup(o->base_url);
	blen = strlen(h->base);
	if (blen > 0 && h->base[blen - 1] == '/')
		h->base[blen - 1] = '\0';
	h->max_response = o->max_response ? o->max_response :
	    WX_HTTP_MAX_RESPONSE;

	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, h->tls ? "https" : "http");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 3000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
	    o->timeout_ms > 0 ? o->timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "loandesk/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)h->max_response);
	if (h->tls) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
		curl_easy_setopt(c, CURLOPT_SSLVERSION,
		    (long)CURL_SSLVERSION_TLSv1_2);
		if (o->ca_file != NULL && o->ca_file[0] != '\0')
			curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
		if (o->client_p12 != NULL && o->client_p12[0] != '\0') {
			curl_easy_setopt(c, CURLOPT_SSLCERT, o->client_p12);
			curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "P12");
			if (o->p12_password != NULL)
				curl_easy_setopt(c, CURLOPT_KEYPASSWD,
				    o->p12_password);
		}
	}
	return LD_OK;
}

void
wx_http_cleanup(struct wx_http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h->base);
	memset(h, 0, sizeof *h);
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct wx_http_resp *r = ud;
	size_t n = size * nmemb;

	if (ld_buf_append(&r->body, p, n) != LD_OK) {
		r->too_big = 1;
		return 0;
	}
	return n;
}

void
wx_http_header_line(struct wx_http_resp *r, const char *p, size_t n)
{
	size_t nlen, vlen, i, k;
	const char *colon, *v;
	static const struct {
		const char *name;
		size_t off, cap, flag;
	} want[] = {
#define W(n, f, fl) { n, offsetof(struct wx_http_resp, f), \
	sizeof ((struct wx_http_resp *)0)->f, fl }
		W("Request-ID", request_id, 0),
		W("Content-Type", content_type, 0),
		W("Wechatpay-Timestamp", wp_timestamp,
		    offsetof(struct wx_http_resp, has_timestamp)),
		W("Wechatpay-Nonce", wp_nonce,
		    offsetof(struct wx_http_resp, has_nonce)),
		W("Wechatpay-Signature", wp_signature,
		    offsetof(struct wx_http_resp, has_signature)),
		W("Wechatpay-Serial", wp_serial,
		    offsetof(struct wx_http_resp, has_serial)),
#undef W
	};

	/* A new status line (after 100 Continue) starts a new header set. */
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		r->request_id[0] = r->content_type[0] = '\0';
		r->wp_timestamp[0] = r->wp_nonce[0] = '\0';
		r->wp_signature[0] = r->wp_serial[0] = '\0';
		r->has_timestamp = r->has_nonce = 0;
		r->has_signature = r->has_serial = 0;
		r->bad_header[0] = '\0';
		return;
	}
	if ((colon = memchr(p, ':', n)) == NULL)
		return;
	nlen = (size_t)(colon - p);
	v = colon + 1;
	vlen = n - nlen - 1;
	while (vlen > 0 && (v[0] == ' ' || v[0] == '\t'))
		v++, vlen--;
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
	    v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		char *dst = (char *)r + want[i].off;
		int *has;
		const char *why = NULL;

		if (strlen(want[i].name) != nlen ||
		    strncasecmp(p, want[i].name, nlen) != 0)
			continue;
		if (want[i].flag == 0) {
			/* For the log only: a cut copy will do. */
			k = vlen < want[i].cap ? vlen : want[i].cap - 1;
			memcpy(dst, v, k);
			dst[k] = '\0';
			return;
		}
		/*
		 * What is signed must be read whole and once: a cut or
		 * second copy could make a different message verify.
		 */
		has = (int *)(void *)((char *)r + want[i].flag);
		if (*has)
			why = "given twice";
		else if (vlen >= want[i].cap)
			why = "too long";
		for (k = 0; why == NULL && k < vlen; k++)
			if ((unsigned char)v[k] < 0x20 ||
			    (unsigned char)v[k] >= 0x7f)
				why = "holds a byte that is not printable "
				    "ASCII";
		if (why != NULL) {
			if (r->bad_header[0] == '\0')
				snprintf(r->bad_header, sizeof r->bad_header,
				    "%s %s", want[i].name, why);
			dst[0] = '\0';
		} else {
			memcpy(dst, v, vlen);
			dst[vlen] = '\0';
		}
		*has = 1;
		return;
	}
}

enum ld_status
wx_http_resp_signed(const struct wx_http_resp *r, struct wx_signed_headers *h,
    struct ld_err *err)
{
	h->timestamp = r->has_timestamp ? r->wp_timestamp : NULL;
	h->nonce = r->has_nonce ? r->wp_nonce : NULL;
	h->signature = r->has_signature ? r->wp_signature : NULL;
	h->serial = r->has_serial ? r->wp_serial : NULL;
	if (r->bad_header[0] != '\0')
		return ld_err_set(err, LD_ECRYPTO, "answer header %s",
		    r->bad_header);
	return LD_OK;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	wx_http_header_line(ud, p, size * nmemb);
	return size * nmemb;
}

enum ld_status
wx_http_do(struct wx_http *h, const char *method, const char *path_query,
    const char *const *headers, const void *body, size_t body_len,
    struct wx_http_resp *r, struct ld_err *err)
{
	CURL *c = h->curl;
	struct curl_slist *hl = NULL, *tmp;
	const char *const *hp;
	char *url;
	CURLcode cc;
	enum ld_status st = LD_OK;
	size_t i;

	memset(r, 0, sizeof *r);
	ld_buf_init(&r->body, h->max_response);
	if (path_query == NULL || path_query[0] != '/')
		return ld_err_set(err, LD_EINVAL, "request path must start "
		    "with '/'");
	/* What goes on the request line and in headers cannot break them. */
	for (i = 0; path_query[i] != '\0'; i++)
		if ((unsigned char)path_query[i] <= 0x20 ||
		    (unsigned char)path_query[i] >= 0x7f)
			return ld_err_set(err, LD_EINVAL, "request path: "
			    "byte %zu is not printable ASCII", i + 1);
	for (hp = headers; hp != NULL && *hp != NULL; hp++)
		if (strpbrk(*hp, "\r\n") != NULL)
			return ld_err_set(err, LD_EINVAL, "request header "
			    "\"%.40s\" holds CR or LF", *hp);
	url = ld_asprintf("%s%s", h->base, path_query);
	for (; headers != NULL && *headers != NULL; headers++) {
		if ((tmp = curl_slist_append(hl, *headers)) == NULL) {
			curl_slist_free_all(hl);
			free(url);
			return ld_err_set(err, LD_ENOMEM, "curl_slist_append");
		}
		hl = tmp;
	}
	/* No "Expect: 100-continue" round trip on larger bodies. */
	if ((tmp = curl_slist_append(hl, "Expect:")) != NULL)
		hl = tmp;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS,
		    body != NULL ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(body != NULL ? body_len : 0));
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
		    strcmp(method, "POST") == 0 ? NULL : method);
	}
	h->errbuf[0] = '\0';
	cc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	} else if (r->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		st = ld_err_set(err, LD_EPROTO, "%s %s: answer larger than "
		    "%zu bytes", method, url, h->max_response);
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		st = ld_err_set(err, LD_ETIMEOUT, "%s %s: %s", method, url,
		    h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc));
	} else {
		st = ld_err_set(err, LD_ENET, "%s %s: %s", method, url,
		    h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc));
	}
	free(url);
	if (st != LD_OK)
		r->status = 0;
	return st;
}

void
wx_http_resp_free(struct wx_http_resp *r)
{
	if (r == NULL)
		return;
	ld_buf_free(&r->body);
	memset(r, 0, sizeof *r);
}
