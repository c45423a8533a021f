/*
 * What a merchant may send the simulator: the APIv3 JSON bodies and
 * paths (after the Authorization check, which fuzz_sim_auth covers), the
 * APIv2 XML requests and the /__sim/ admin endpoints.
 *
 * Input: [router] "METHOD PATH?QUERY\n" optional "Content-Type: ..." and
 * "Wechatpay-Serial: ..." lines, an empty line, the body.  router 0 is
 * APIv3, 1 APIv2, 2 admin.  Every answer must be a well-formed one of its
 * kind: a status, a body of the length given, JSON that parses (or the
 * flat XML for APIv2, or the CSV of a fund-flow bill).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "fuzz_sim.h"
#include "wxpay/wxpay_crypto.h"

#define RESET_EVERY 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
line(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *e = nl != NULL ? nl : end;
	char *out;

	out = ld_malloc((size_t)(e - *p) + 1);
	memcpy(out, *p, (size_t)(e - *p));
	out[e - *p] = '\0';
	*p = nl != NULL ? nl + 1 : end;
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sim *s;
	static unsigned runs;
	const char *p = (const char *)data + 1, *end = (const char *)data +
	    size;
	char *first, *method, *uri, *path, *q, *ctype = NULL, *serial = NULL;
	char *body;
	struct sim_request rq;
	struct sim_answer a;
	unsigned router;

	if (size < 1)
		return 0;
	if (s == NULL || ++runs % RESET_EVERY == 0) {
		if (s != NULL)
			fuzz_sim_close(s);
		s = fuzz_sim_open();
	}
	router = data[0] % 3;
	first = line(&p, end);
	method = first;
	if ((uri = strchr(first, ' ')) == NULL) {
		free(first);
		return 0;
	}
	*uri++ = '\0';
	for (;;) {
		char *h;

		if (p >= end)
			break;
		h = line(&p, end);
		if (h[0] == '\0' || strcmp(h, "\r") == 0) {
			free(h);
			break;
		}
		if (strncmp(h, "Content-Type: ", 14) == 0) {
			free(ctype);
			ctype = ld_strdup(h + 14);
		} else if (strncmp(h, "Wechatpay-Serial: ", 18) == 0) {
			free(serial);
			serial = ld_strdup(h + 18);
		}
		free(h);
	}
	/* The exact bytes, as libmicrohttpd hands over the upload. */
	body = ld_malloc((size_t)(end - p) + 1);
	memcpy(body, p, (size_t)(end - p));
	body[end - p] = '\0';
	path = ld_strdup(uri);
	if ((q = strchr(path, '?')) != NULL)
		*q++ = '\0';
	memset(&rq, 0, sizeof rq);
	rq.method = method;
	rq.path = path;
	rq.path_query = uri;
	rq.query = q != NULL ? q : "";
	rq.body = body;
	rq.body_len = (size_t)(end - p);
	rq.wechatpay_serial = serial;
	rq.content_type = ctype;
	rq.base_url = "http://127.0.0.1:8780";
	memset(&a, 0, sizeof a);
	if (router == 0)
		sim_api_v3(s, &rq, &a);
	else if (router == 1)
		sim_api_v2(s, &rq, &a);
	else if (strncmp(path, "/__sim/", 7) == 0)
		sim_api_admin(s, &rq, &a);
	if (router != 2 || strncmp(path, "/__sim/", 7) == 0) {
		FUZZ_CHECK(a.status >= 200 && a.status <= 599);
		FUZZ_CHECK(a.body != NULL && strlen(a.body) == a.len);
		if (a.v2) {
			struct wx_kv *kv;
			size_t n;
			struct ld_err err;

			FUZZ_CHECK(wx_v2_xml_parse(a.body, a.len, &kv, &n,
			    &err) == LD_OK);
			FUZZ_CHECK(wx_kv_get(kv, n, "return_code") != NULL);
			wx_kv_free(kv, n);
		} else if (a.content_type != NULL &&
		    strncmp(a.content_type, "text/csv", 8) == 0) {
			/* A fund-flow bill: a header line at least. */
			FUZZ_CHECK(strstr(a.body, "\r\n") != NULL);
		} else if (a.len > 0) {
			cJSON *o = cJSON_ParseWithLength(a.body, a.len);

			FUZZ_CHECK(cJSON_IsObject(o));
			cJSON_Delete(o);
		}
	}
	free(a.body);
	free(body);
	free(path);
	free(ctype);
	free(serial);
	free(first);
	return 0;
}
