/*
 * Answer headers as libcurl hands them to wxpay_http.c, one line at a
 * time, then the APIv3 verification of the answer they came with.
 *
 * Input: header lines ("HTTP/1.1 200 OK\r\n", "Wechatpay-Nonce: ...\r\n",
 * ...), an empty line, then the body.  The copies must stay inside their
 * fields, and verification (platform key trusted, fixed clock) must
 * refuse rather than misread.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_client.h"
#include "fuzz_util.h"
#include "wxpay_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wx_client *c;
	const char *p = (const char *)data, *end = p + size, *body = end;
	struct wx_http_resp r;
	struct wx_signed_headers h;
	struct ld_err err;
	enum ld_status rc;

	if (c == NULL) {
		c = fuzz_client();
		fuzz_trust_platform_key(c);
	}
	memset(&r, 0, sizeof r);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) + 1 :
		    (size_t)(end - p);

		if (n == 1 || (n == 2 && p[0] == '\r')) {
			body = p + n;
			break;
		}
		wx_http_header_line(&r, p, n);
		p += n;
	}
	FUZZ_CHECK(memchr(r.request_id, '\0', sizeof r.request_id) != NULL);
	FUZZ_CHECK(memchr(r.content_type, '\0', sizeof r.content_type) != NULL);
	FUZZ_CHECK(memchr(r.wp_timestamp, '\0', sizeof r.wp_timestamp) != NULL);
	FUZZ_CHECK(memchr(r.wp_nonce, '\0', sizeof r.wp_nonce) != NULL);
	FUZZ_CHECK(memchr(r.wp_signature, '\0', sizeof r.wp_signature) !=
	    NULL);
	FUZZ_CHECK(memchr(r.wp_serial, '\0', sizeof r.wp_serial) != NULL);
	ld_err_clear(&err);
	rc = wx_http_resp_signed(&r, &h, &err);
	if (rc != LD_OK) {
		/* A header that could be read two ways is never verified. */
		FUZZ_CHECK(rc == LD_ECRYPTO && r.bad_header[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(r.bad_header[0] == '\0');
	FUZZ_CHECK(h.timestamp == NULL || fuzz_text_ok(h.timestamp,
	    sizeof r.wp_timestamp));
	FUZZ_CHECK(h.nonce == NULL || fuzz_text_ok(h.nonce, sizeof r.wp_nonce));
	FUZZ_CHECK(h.signature == NULL || fuzz_text_ok(h.signature,
	    sizeof r.wp_signature));
	FUZZ_CHECK(h.serial == NULL || fuzz_text_ok(h.serial,
	    sizeof r.wp_serial));
	rc = wx_verify_signed(&c->verifier, &h, body, (size_t)(end - body),
	    FUZZ_NOW, &err);
	FUZZ_CHECK(rc == LD_OK || rc == LD_ECRYPTO);
	return 0;
}
