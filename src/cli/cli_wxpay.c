/*
 * loandesk wxpay sign|verify|decrypt|v2sign: the WeChat Pay signatures and
 * ciphers from files, for operators checking a request or a callback by
 * hand and for anyone checking our implementation against another.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "ld_buf.h"
#include "wxpay_crypto.h"
#include "wxpay_verify.h"

/* Bodies and callbacks handled here are small JSON or XML documents. */
#define CLI_WXPAY_FILE_MAX (4 * 1024 * 1024)

static int
read_file(const char *path, struct ld_buf *b)
{
	struct ld_err err;

	ld_err_clear(&err);
	ld_buf_init(b, CLI_WXPAY_FILE_MAX);
	if (ld_buf_read_file(b, path, &err) != LD_OK) {
		cli_error("%s", err.msg);
		ld_buf_free(b);
		return -1;
	}
	return 0;
}

static int
missing(const char *cmd, const char *opt)
{
	cli_error("wxpay %s: --%s is required", cmd, opt);
	return 2;
}

static const char sign_usage[] =
    "usage: loandesk wxpay sign --key PEM --mchid M --serial S\n"
    "         --method METHOD --url PATH[?QUERY] --timestamp T --nonce N\n"
    "         [--body-file F]\n"
    "Prints the Authorization header value; the body is the file's exact\n"
    "bytes (none: an empty body line).\n";

int
cli_wxpay_sign(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "mchid", required_argument, NULL, 'm' },
		{ "serial", required_argument, NULL, 's' },
		{ "method", required_argument, NULL, 'X' },
		{ "url", required_argument, NULL, 'u' },
		{ "timestamp", required_argument, NULL, 't' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "body-file", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *mchid = NULL, *serial = NULL, *method = NULL;
	const char *url = NULL, *ts = NULL, *nonce = NULL, *body_file = NULL;
	struct ld_buf body;
	struct ld_err err;
	EVP_PKEY *pk = NULL;
	char *hv = NULL;
	int c, rc = 1;

	(void)ctx;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 'm': mchid = optarg; break;
		case 's': serial = optarg; break;
		case 'X': method = optarg; break;
		case 'u': url = optarg; break;
		case 't': ts = optarg; break;
		case 'n': nonce = optarg; break;
		case 'b': body_file = optarg; break;
		case 'h':
			fputs(sign_usage, stdout);
			return 0;
		default: return 2;
		}
	}
	if (optind < argc) {
		cli_error("wxpay sign: unexpected argument \"%s\"",
		    argv[optind]);
		return 2;
	}
	if (key == NULL)
		return missing("sign", "key");
	if (mchid == NULL)
		return missing("sign", "mchid");
	if (serial == NULL)
		return missing("sign", "serial");
	if (method == NULL)
		return missing("sign", "method");
	if (url == NULL)
		return missing("sign", "url");
	if (ts == NULL)
		return missing("sign", "timestamp");
	if (nonce == NULL)
		return missing("sign", "nonce");
	ld_buf_init(&body, 0);
	if (body_file != NULL && read_file(body_file, &body) != 0)
		return 1;
	ld_err_clear(&err);
	if (wx_load_private_key(key, &pk, &err) != LD_OK ||
	    wx_v3_authorization_len(pk, mchid, serial, method, url, ts, nonce,
	    body.data, body.len, &hv, &err) != LD_OK) {
		cli_error("wxpay sign: %s", err.msg);
		goto out;
	}
	printf("%s\n", hv);
	rc = 0;
out:
	free(hv);
	EVP_PKEY_free(pk);
	ld_buf_free(&body);
	return rc;
}

static const char verify_usage[] =
    "usage: loandesk wxpay verify --pubkey PEM --timestamp T --nonce N\n"
    "         --signature SIG --body-file F\n"
    "Exit 0 when SIG signs \"T\\nN\\nBODY\\n\" for the key (PUBLIC KEY\n"
    "or CERTIFICATE PEM), 1 when not.\n";

int
cli_wxpay_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pubkey", required_argument, NULL, 'p' },
		{ "timestamp", required_argument, NULL, 't' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "signature", required_argument, NULL, 's' },
		{ "body-file", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pub = NULL, *ts = NULL, *nonce = NULL, *sig = NULL;
	const char *body_file = NULL;
	struct ld_buf body;
	struct ld_err err;
	EVP_PKEY *pk = NULL;
	char *msg;
	size_t mlen;
	int c, rc = 1;

	(void)ctx;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pub = optarg; break;
		case 't': ts = optarg; break;
		case 'n': nonce = optarg; break;
		case 's': sig = optarg; break;
		case 'b': body_file = optarg; break;
		case 'h':
			fputs(verify_usage, stdout);
			return 0;
		default: return 2;
		}
	}
	if (optind < argc) {
		cli_error("wxpay verify: unexpected argument \"%s\"",
		    argv[optind]);
		return 2;
	}
	if (pub == NULL)
		return missing("verify", "pubkey");
	if (ts == NULL)
		return missing("verify", "timestamp");
	if (nonce == NULL)
		return missing("verify", "nonce");
	if (sig == NULL)
		return missing("verify", "signature");
	if (body_file == NULL)
		return missing("verify", "body-file");
	if (read_file(body_file, &body) != 0)
		return 1;
	ld_err_clear(&err);
	if (wx_load_public_key(pub, &pk, &err) != LD_OK) {
		cli_error("wxpay verify: %s", err.msg);
		ld_buf_free(&body);
		return 1;
	}
	/* The clock window is the daemon's business; this checks the
	 * signature over exactly the given message. */
	msg = wx_v3_response_message_len(ts, nonce, body.data, body.len,
	    &mlen);
	if (wx_rsa_verify_b64(pk, msg, mlen, sig, &err) == LD_OK) {
		printf("valid\n");
		rc = 0;
	} else {
		cli_error("wxpay verify: invalid: %s", err.msg);
	}
	free(msg);
	EVP_PKEY_free(pk);
	ld_buf_free(&body);
	return rc;
}

static const char decrypt_usage[] =
    "usage: loandesk wxpay decrypt --apiv3-key-file F --notify-file F\n"
    "Prints the AEAD_AES_256_GCM resource of a callback body (key file:\n"
    "the 32-byte APIv3 key, mode 0600).  The signature is not checked\n"
    "here: see verify.\n";

int
cli_wxpay_decrypt(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "apiv3-key-file", required_argument, NULL, 'k' },
		{ "notify-file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key_file = NULL, *notify_file = NULL;
	unsigned char key[32];
	struct ld_buf body;
	struct ld_err err;
	struct wx_notify n;
	int c, rc = 1;

	(void)ctx;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key_file = optarg; break;
		case 'f': notify_file = optarg; break;
		case 'h':
			fputs(decrypt_usage, stdout);
			return 0;
		default: return 2;
		}
	}
	if (optind < argc) {
		cli_error("wxpay decrypt: unexpected argument \"%s\"",
		    argv[optind]);
		return 2;
	}
	if (key_file == NULL)
		return missing("decrypt", "apiv3-key-file");
	if (notify_file == NULL)
		return missing("decrypt", "notify-file");
	ld_err_clear(&err);
	if (wx_read_apiv3_key(key_file, key, &err) != LD_OK) {
		cli_error("wxpay decrypt: %s", err.msg);
		return 1;
	}
	if (read_file(notify_file, &body) != 0) {
		OPENSSL_cleanse(key, sizeof key);
		return 1;
	}
	if (wx_notify_decrypt(body.data, body.len, key, &n, &err) != LD_OK) {
		cli_error("wxpay decrypt: %s: %s", notify_file, err.msg);
	} else {
		fwrite(n.plaintext, 1, n.plaintext_len, stdout);
		putchar('\n');
		rc = 0;
	}
	wx_notify_free(&n);
	OPENSSL_cleanse(key, sizeof key);
	ld_buf_free(&body);
	return rc;
}

static const char v2sign_usage[] =
    "usage: loandesk wxpay v2sign --key KEY --sign-type MD5|HMAC-SHA256\n"
    "         --xml-file F\n"
    "Prints the APIv2 sign of the fields of a flat <xml> document (its\n"
    "own sign field is ignored).\n";

int
cli_wxpay_v2sign(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "sign-type", required_argument, NULL, 't' },
		{ "xml-file", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *type = "MD5", *xml_file = NULL;
	enum wx_v2_sign_type t;
	struct ld_buf xml;
	struct ld_err err;
	struct wx_kv *kv = NULL;
	size_t n = 0;
	char sign[65];
	int c, rc = 1;

	(void)ctx;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 't': type = optarg; break;
		case 'x': xml_file = optarg; break;
		case 'h':
			fputs(v2sign_usage, stdout);
			return 0;
		default: return 2;
		}
	}
	if (optind < argc) {
		cli_error("wxpay v2sign: unexpected argument \"%s\"",
		    argv[optind]);
		return 2;
	}
	if (key == NULL)
		return missing("v2sign", "key");
	if (xml_file == NULL)
		return missing("v2sign", "xml-file");
	if (strcmp(type, "MD5") == 0) {
		t = WX_V2_MD5;
	} else if (strcmp(type, "HMAC-SHA256") == 0) {
		t = WX_V2_HMAC_SHA256;
	} else {
		cli_error("wxpay v2sign: --sign-type is MD5 or HMAC-SHA256, "
		    "not \"%s\"", type);
		return 2;
	}
	if (read_file(xml_file, &xml) != 0)
		return 1;
	ld_err_clear(&err);
	if (wx_v2_xml_parse(xml.data, xml.len, &kv, &n, &err) != LD_OK ||
	    wx_v2_sign(key, t, kv, n, sign, &err) != LD_OK) {
		cli_error("wxpay v2sign: %s: %s", xml_file, err.msg);
		goto out;
	}
	printf("%s\n", sign);
	rc = 0;
out:
	wx_kv_free(kv, n);
	ld_buf_free(&xml);
	return rc;
}
