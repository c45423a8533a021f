/*
 * [wxpay] of loandesk.conf: which WeChat Pay product pays out, the
 * merchant, its keys and WeChat Pay's, where requests and callbacks go.
 * The client is made from it (wx_client_new in wxpay.h).
 *
 * Public.
 */
#ifndef LD_WXPAY_CONFIG_H
#define LD_WXPAY_CONFIG_H

#include "ld_config.h"

enum ld_wxpay_mode {
	LD_WXPAY_V3 = 0,      /* 商家转账 transfer bills */
	LD_WXPAY_V2,          /* legacy 企业付款到零钱 */
	LD_WXPAY_BATCHES      /* 商家转账到零钱 batches */
};

struct wx_config {
	int present; /* the file had a [wxpay] section */
	enum ld_wxpay_mode mode;
	char *mchid, *appid, *merchant_serial;
	char *private_key_file;
	char *platform_public_key_file, *platform_key_id;
	char *platform_cert_file, *platform_cert_serial;
	char *apiv3_key_file, *apiv2_key_file, *client_cert_p12;
	char *ca_file, *base_url, *notify_url;
	char *transfer_scene_id;
	char *user_recv_perception;
	char *transfer_scene_report_infos; /* "type:content;type:content" */
	/* What the payee sees: transfer_remark, batch_name and
	 * batch_remark, or the APIv2 desc; at most 32 characters. */
	char *transfer_remark;
	long connect_timeout_ms, timeout_ms;
};

extern const struct ld_config_section wx_config_section;

/* The defaults alone, for callers that fill the rest themselves. */
void wx_config_defaults(struct wx_config *cfg);
void wx_config_free(struct wx_config *cfg);

#endif
