/*
 * The HTTP layer under the WeChat Pay client: one persistent libcurl easy
 * handle (keep-alive, connection reuse), connect and total timeouts, TLS
 * verification always on, a bound on the answer size.
 *
 * base_url is "https://host[:port]" (no path: the signed path is the URL
 * path).  Plain "http://" is accepted only for a loopback host (127.0.0.0/8,
 * ::1, localhost) so a local simulator can be used without a CA; there is
 * no switch that turns certificate checks off.
 *
 * Not thread-safe: one struct wx_http per worker thread.
 *
 * Internal to src/wxpay: callers reach WeChat Pay through wxpay.h.
 */
#ifndef LD_WXPAY_HTTP_H
#define LD_WXPAY_HTTP_H
#ifndef LD_WXPAY_INTERNAL
#error "wxpay_http.h is internal to src/wxpay: use wxpay.h"
#endif

#include <stddef.h>

#include <curl/curl.h>

#include "ld_buf.h"
#include "ld_err.h"
#include "wxpay_check.h"
#include "wxpay_verify.h"

/* Largest answer body accepted. */
#define WX_HTTP_MAX_RESPONSE	(1024 * 1024)

struct wx_http_opts {
	const char *base_url;
	const char *ca_file;		/* NULL: the system store */
	const char *client_p12;		/* PKCS#12 client cert or NULL */
	const char *p12_password;	/* the merchant id for apiclient_cert */
	long connect_timeout_ms;	/* <= 0: 3000 */
	long timeout_ms;		/* <= 0: 10000 */
	size_t max_response;		/* 0: WX_HTTP_MAX_RESPONSE */
};

struct wx_http {
	CURL *curl;
	char *base;			/* scheme://host[:port] */
	int tls;			/* https */
	size_t max_response;
	char errbuf[CURL_ERROR_SIZE];
};

/* One answer; header values are truncated copies, "" when absent. */
struct wx_http_resp {
	long status;
	struct ld_buf body;
	int too_big;
	char request_id[128];
	char content_type[128];
	char wp_timestamp[32];
	char wp_nonce[128];
	char wp_signature[1024];
	char wp_serial[160];
	int has_timestamp, has_nonce, has_signature, has_serial;
	/*
	 * Set when a Wechatpay-* header came twice, too long for its field
	 * or with a byte that is not printable ASCII: names it, and the
	 * answer cannot be verified (no copy is ever taken as the value).
	 */
	char bad_header[80];
};

/*
 * Checks base_url as described above and prepares the handle.  LD_EINVAL
 * names what is wrong with the URL; LD_EIO when a file is unreadable.
 */
enum ld_status	wx_http_init(struct wx_http *h, const struct wx_http_opts *o,
		    struct ld_err *err);
void		wx_http_cleanup(struct wx_http *h);

/*
 * Checks a base URL without opening anything: *tls set to 1 for https.
 */
enum ld_status	wx_http_check_base_url(const char *url, int *tls,
		    struct ld_err *err);

/*
 * Sends one request.  headers is a NULL-terminated list of "Name: value"
 * lines; body may be NULL (GET, or POST without body when method is
 * "POST").  LD_OK when an HTTP answer of any status arrived (r filled; the
 * caller frees it with wx_http_resp_free); LD_ETIMEOUT, LD_ENET, or
 * LD_EPROTO (answer larger than the bound) otherwise, with r->status 0.
 * LD_EINVAL, with nothing sent, for a header line holding CR or LF or a
 * path with a byte that is not printable ASCII (no request splitting).
 */
enum ld_status	wx_http_do(struct wx_http *h, const char *method,
		    const char *path_query, const char *const *headers,
		    const void *body, size_t body_len, struct wx_http_resp *r,
		    struct ld_err *err);

void		wx_http_resp_free(struct wx_http_resp *r);

/*
 * Reads one answer header line (as libcurl hands them over, CRLF
 * included) into r.  A status line starts a new set.
 */
void		wx_http_header_line(struct wx_http_resp *r, const char *line,
		    size_t len);

/*
 * The four signature headers of r for wx_verify_signed (a missing one is
 * NULL).  LD_ECRYPTO naming the header when one was bad (bad_header).
 */
enum ld_status	wx_http_resp_signed(const struct wx_http_resp *r,
		    struct wx_signed_headers *h, struct ld_err *err);

#endif
