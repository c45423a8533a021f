/*
 * The simulator's check of a merchant's Authorization header (scheme,
 * attributes, merchant id and serial, timestamp window, signature over
 * the bytes received).
 *
 * Input: the header value up to the first newline, then the body of a
 * POST to the transfer-bills path.  A refusal must be a 401 SIGN_ERROR
 * answer in JSON.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "fuzz_sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sim *s;
	const char *nl = memchr(data, '\n', size);
	size_t hlen = nl != NULL ? (size_t)(nl - (const char *)data) : size;
	char *hv = ld_strndup((const char *)data, hlen);
	const char *body = nl != NULL ? nl + 1 : "";
	struct sim_request rq;
	struct sim_answer a;
	cJSON *o;

	if (s == NULL)
		s = fuzz_sim_open();
	memset(&rq, 0, sizeof rq);
	rq.method = "POST";
	rq.path = rq.path_query = "/v3/fund-app/mch-transfer/transfer-bills";
	rq.query = "";
	rq.body = body;
	rq.body_len = nl != NULL ? size - hlen - 1 : 0;
	memset(&a, 0, sizeof a);
	if (sim_check_auth(s, hlen > 0 ? hv : NULL, &rq, &a) != 0) {
		FUZZ_CHECK(a.status == 401 && a.body != NULL);
		o = cJSON_ParseWithLength(a.body, a.len);
		FUZZ_CHECK(cJSON_IsObject(o));
		FUZZ_CHECK(strcmp(cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(o, "code")),
		    "SIGN_ERROR") == 0);
		cJSON_Delete(o);
	}
	free(a.body);
	free(hv);
	return 0;
}
