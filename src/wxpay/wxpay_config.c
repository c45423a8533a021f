#include "config.h"

#include <stddef.h>

#include "wxpay_config.h"

/* The loader stores an LD_CONFIG_WORD value as an int. */
_Static_assert(sizeof(enum ld_wxpay_mode) == sizeof(int),
    "enum ld_wxpay_mode is not int-sized");

#define OFF(field) offsetof(struct wx_config, field)

static const struct ld_config_word modes[] = {
	{ "v3", LD_WXPAY_V3 },
	{ "v2", LD_WXPAY_V2 },
	{ "batches", LD_WXPAY_BATCHES },
	{ NULL, 0 },
};

/* WeChat Pay's limit for transfer_remark, batch_name and batch_remark. */
static const char *
remark_check(const void *field)
{
	const char *s = *(char *const *)field;
	size_t chars = 0;

	if (s == NULL || s[0] == '\0')
		return "must not be empty";
	for (; *s != '\0'; s++)
		chars += ((unsigned char)*s & 0xc0) != 0x80;
	return chars > 32 ? "must be at most 32 characters" : NULL;
}

#define STR(name, def, flags) \
	{ #name, LD_CONFIG_STR, OFF(name), def, flags, NULL, NULL }

static const struct ld_config_key keys[] = {
	{ "mode", LD_CONFIG_WORD, OFF(mode), "v3", LD_CONFIG_REQUIRED, modes,
	    NULL },
	STR(mchid, NULL, LD_CONFIG_REQUIRED),
	STR(appid, NULL, LD_CONFIG_REQUIRED),
	STR(merchant_serial, NULL, 0),
	STR(private_key_file, NULL, LD_CONFIG_SECRET),
	STR(platform_public_key_file, NULL, 0),
	STR(platform_key_id, NULL, 0),
	STR(platform_cert_file, NULL, 0),
	STR(platform_cert_serial, NULL, 0),
	STR(apiv3_key_file, NULL, LD_CONFIG_SECRET),
	STR(apiv2_key_file, NULL, LD_CONFIG_SECRET),
	STR(client_cert_p12, NULL, LD_CONFIG_SECRET),
	STR(ca_file, NULL, 0),
	STR(base_url, NULL, LD_CONFIG_REQUIRED),
	STR(notify_url, NULL, 0),
	STR(transfer_scene_id, "1000", 0),
	STR(user_recv_perception, NULL, 0),
	STR(transfer_scene_report_infos, NULL, 0),
	/* 贷款发放: loan disbursement. */
	{ "transfer_remark", LD_CONFIG_STR, OFF(transfer_remark),
	    "\xe8\xb4\xb7\xe6\xac\xbe\xe5\x8f\x91\xe6\x94\xbe", 0, NULL,
	    remark_check },
	{ "connect_timeout_ms", LD_CONFIG_LONG, OFF(connect_timeout_ms),
	    "3000", 0, NULL, NULL },
	{ "timeout_ms", LD_CONFIG_LONG, OFF(timeout_ms), "10000", 0, NULL,
	    NULL },
};

/* What each mode needs beyond the required keys, and a way to verify. */
static enum ld_status
check(void *conf, const struct ld_config_at *at, struct ld_err *err)
{
	static const char *const v3req[] = { "merchant_serial",
		"private_key_file", "apiv3_key_file" };
	static const char *const v2req[] = { "apiv2_key_file",
		"client_cert_p12" };
	struct wx_config *c = conf;
	const char *const *req;
	size_t nreq, r;

	c->present = ld_config_present(at);
	if (!c->present)
		return LD_OK;
	req = c->mode == LD_WXPAY_V2 ? v2req : v3req;
	nreq = c->mode == LD_WXPAY_V2 ? 2 : 3;
	for (r = 0; r < nreq; r++)
		if (ld_config_line(at, req[r]) == 0)
			return ld_config_fail(at, ld_config_line(at, "mode"),
			    err, LD_EINVAL,
			    "[wxpay] mode %s requires key \"%s\"",
			    c->mode == LD_WXPAY_V2 ? "v2" :
			    c->mode == LD_WXPAY_V3 ? "v3" : "batches", req[r]);
	if (c->mode != LD_WXPAY_V2 && c->platform_public_key_file == NULL &&
	    c->platform_cert_file == NULL)
		return ld_config_fail(at, ld_config_line(at, NULL), err,
		    LD_EINVAL, "[wxpay] needs platform_public_key_file "
		    "(with platform_key_id) or platform_cert_file to "
		    "verify WeChat Pay's answers");
	if (c->platform_public_key_file != NULL && c->platform_key_id == NULL)
		return ld_config_fail(at, ld_config_line(at,
		    "platform_public_key_file"), err, LD_EINVAL,
		    "[wxpay] platform_public_key_file needs "
		    "platform_key_id (PUB_KEY_ID_...)");
	return LD_OK;
}

const struct ld_config_section wx_config_section = {
	"wxpay", keys, sizeof keys / sizeof keys[0],
	sizeof(struct wx_config), check
};

void
wx_config_defaults(struct wx_config *cfg)
{
	const struct ld_config_part part = { &wx_config_section, cfg };
	struct ld_err err;

	(void)ld_config_defaults(&part, 1, &err);
}

void
wx_config_free(struct wx_config *cfg)
{
	const struct ld_config_part part = { &wx_config_section, cfg };

	ld_config_free(&part, 1);
}
