/*
 * A WeChat Pay client for the harnesses, built without files or network:
 * merchant 1900000001 / wxd930ea5d5a258f4f, the wechatpay-java APIv3 key
 * (the one its certificate-download vector is encrypted with), the
 * official APIv2 example key, and a fixed clock.
 */
#ifndef LD_FUZZ_CLIENT_H
#define LD_FUZZ_CLIENT_H

#include <string.h>

#include "fuzz_util.h"
#include "ld_alloc.h"
#include "wxpay_int.h"

#define FUZZ_MCHID	"1900000001"
#define FUZZ_APPID	"wxd930ea5d5a258f4f"
#define FUZZ_APIV3_KEY	"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"
#define FUZZ_APIV2_KEY	"192006250b4c09247ec02edce69f6a2d"
#define FUZZ_NOW	1700000000
#define FUZZ_PKID	"PUB_KEY_ID_0000000000000024101100397200000006"

static inline time_t
fuzz_now(void)
{
	return FUZZ_NOW;
}

static inline struct wx_client *
fuzz_client(void)
{
	struct wx_client *c = ld_calloc(1, sizeof *c);

	c->mode = LD_WXPAY_V3;
	c->now = fuzz_now;
	c->v2_sign = WX_V2_MD5;
	wx_verifier_init(&c->verifier);
	c->mchid = ld_strdup(FUZZ_MCHID);
	c->appid = ld_strdup(FUZZ_APPID);
	memcpy(c->apiv3_key, FUZZ_APIV3_KEY, 32);
	c->has_apiv3 = 1;
	snprintf(c->apiv2_key, sizeof c->apiv2_key, "%s", FUZZ_APIV2_KEY);
	c->has_apiv2 = 1;
	return c;
}

/* The wechatpay-java platform public key, trusted under FUZZ_PKID. */
static inline void
fuzz_trust_platform_key(struct wx_client *c)
{
	struct ld_err err;

	if (wx_verifier_add_file(&c->verifier, FUZZ_PKID, FUZZ_KATDIR
	    "/wechatpay-java.wechat_pay_public_key.pem", &err) != LD_OK) {
		fprintf(stderr, "fuzz: %s\n", err.msg);
		abort();
	}
}

#endif
