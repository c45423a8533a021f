/*
 * The simulator's INI configuration and the fault knobs, which the admin
 * endpoint sets with the same names at run time.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "ld_alloc.h"
#include "sim.h"

static const long default_retry[] = { 0 };

void
sim_config_defaults(struct sim_config *cfg)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	struct ld_err err;
	size_t i;

	memset(cfg, 0, sizeof *cfg);
	if (xdg != NULL && *xdg != '\0')
		cfg->state_dir = ld_asprintf("%s/loandesk/wxpay-sim", xdg);
	else if (home != NULL && *home != '\0')
		cfg->state_dir = ld_asprintf(
		    "%s/.local/state/loandesk/wxpay-sim", home);
	else
		cfg->state_dir = ld_strdup("wxpay-sim-state");
	cfg->listen = ld_strdup("127.0.0.1:8780");
	cfg->mchid = ld_strdup("1900000001");
	cfg->appid = ld_strdup("wxd930ea5d5a258f4f");
	cfg->time_scale = 1;
	cfg->request_max_skew = 300;
	cfg->sign_errors = 1;
	cfg->products_bills = cfg->products_batches = cfg->products_v2 = 1;
	cfg->payout_account = ld_strdup("OPERATION");
	cfg->basic_fen = INT64_C(100000000);
	cfg->operation_fen = INT64_C(100000000);
	cfg->fees_fen = 0;
	/*
	 * 0.1 yuan minimum, 200 yuan by default per scene, the payee's name
	 * from 2,000 yuan and, in batches, none below 0.3 yuan
	 * (docs/wxpay-api.md).
	 */
	cfg->min_transfer_fen = 10;
	cfg->max_transfer_fen = 20000;
	cfg->per_user_daily_fen = INT64_C(2000000);
	cfg->merchant_daily_fen = INT64_C(10000000);
	cfg->per_user_daily_count = 10;
	cfg->user_name_required_fen = 200000;
	cfg->user_name_refused_below_fen = 30;
	cfg->scenes = ld_strdup("1000,1005");
	cfg->confirm_mode = SIM_CONFIRM_AUTO;
	cfg->confirm_delay_ms = 1000;
	cfg->confirm_timeout_s = 86400;
	cfg->expire_cancelled = 1;
	cfg->transfer_ms = 200;
	cfg->cancel_ms = 200;
	cfg->batch_ms = 500;
	/* The transfer callbacks' retries: 0 s, then 15 s x10, 300 s x10,
	 * 1800 s x44 (docs/wxpay-api.md). */
	if (sim_retry_parse("0,15x10,300x10,1800x44", cfg->retry_s,
	    SIM_MAX_RETRIES, &cfg->nretry, &err) != LD_OK) {
		for (i = 0; i < sizeof default_retry / sizeof default_retry[0];
		    i++)
			cfg->retry_s[i] = default_retry[i];
		cfg->nretry = i;
	}
	cfg->callback_timeout_ms = 5000;
	cfg->bill_same_day = 1;
	cfg->bill_url_ttl_s = 300;
	cfg->faults.hang_ms = 60000;
	cfg->faults.late_ms = 3000;
	cfg->faults.cb_reorder_ms = 1000;
}

void
sim_config_free(struct sim_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->state_dir);
	free(cfg->listen);
	free(cfg->mchid);
	free(cfg->appid);
	free(cfg->merchant_serial);
	free(cfg->merchant_public_key_file);
	free(cfg->platform_key_id);
	free(cfg->apiv3_key_file);
	free(cfg->apiv2_key_file);
	free(cfg->payout_account);
	free(cfg->scenes);
	free(cfg->v2_tls_listen);
	free(cfg->tls_cert_file);
	free(cfg->tls_key_file);
	free(cfg->tls_client_ca_file);
	memset(cfg, 0, sizeof *cfg);
}

static enum ld_status
parse_long(const char *key, const char *v, long lo, long hi, long *out,
    struct ld_err *err)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || x < lo || x > hi)
		return ld_err_set(err, LD_EINVAL,
		    "%s: \"%s\" is not an integer in [%ld, %ld]", key, v, lo,
		    hi);
	*out = x;
	return LD_OK;
}

static enum ld_status
parse_fen(const char *key, const char *v, int64_t *out, struct ld_err *err)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || x < 0 ||
	    x > INT64_C(10000000000000))
		return ld_err_set(err, LD_EINVAL,
		    "%s: \"%s\" is not an amount in fen", key, v);
	*out = (int64_t)x;
	return LD_OK;
}

static enum ld_status
parse_bool(const char *key, const char *v, int *out, struct ld_err *err)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0 || strcasecmp(v, "on") == 0)
		*out = 1;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
	    strcmp(v, "0") == 0 || strcasecmp(v, "off") == 0)
		*out = 0;
	else
		return ld_err_set(err, LD_EINVAL,
		    "%s: \"%s\" is not yes or no", key, v);
	return LD_OK;
}

enum ld_status
sim_retry_parse(const char *text, long *out, size_t max, size_t *n,
    struct ld_err *err)
{
	const char *p = text;
	size_t k = 0;

	while (*p != '\0') {
		char *end;
		long secs, times = 1;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		errno = 0;
		secs = strtol(p, &end, 10);
		if (errno != 0 || end == p || secs < 0 || secs > 86400 * 7)
			return ld_err_set(err, LD_EINVAL,
			    "retry schedule \"%s\": bad delay at offset %zu",
			    text, (size_t)(p - text));
		p = end;
		if (*p == 'x') {
			p++;
			times = strtol(p, &end, 10);
			if (end == p || times < 1 || times > SIM_MAX_RETRIES)
				return ld_err_set(err, LD_EINVAL,
				    "retry schedule \"%s\": bad count at "
				    "offset %zu", text, (size_t)(p - text));
			p = end;
		}
		if (*p != '\0' && *p != ',' && *p != ' ')
			return ld_err_set(err, LD_EINVAL,
			    "retry schedule \"%s\": unexpected '%c'", text,
			    *p);
		while (times-- > 0) {
			if (k == max)
				return ld_err_set(err, LD_EINVAL,
				    "retry schedule \"%s\": more than %zu "
				    "attempts", text, max);
			out[k++] = secs;
		}
	}
	if (k == 0)
		return ld_err_set(err, LD_EINVAL,
		    "retry schedule \"%s\" is empty", text);
	*n = k;
	return LD_OK;
}

static void
copy_field(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

enum ld_status
sim_rule_parse(struct sim_rule *r, const char *text, struct ld_err *err)
{
	char *copy = ld_strdup(text), *save = NULL, *tok;
	enum ld_status st = LD_OK;
	int first = 1;
	long v;

	memset(r, 0, sizeof *r);
	copy_field(r->openid, sizeof r->openid, "*");
	copy_field(r->api, sizeof r->api, "any");
	r->when.bps = 10000;
	for (tok = strtok_r(copy, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (first) {
			if (strlen(tok) >= sizeof r->code) {
				st = ld_err_set(err, LD_EINVAL,
				    "rule \"%s\": code too long", text);
				break;
			}
			copy_field(r->code, sizeof r->code, tok);
			first = 0;
		} else if (strncmp(tok, "openid=", 7) == 0) {
			if (strlen(tok + 7) >= sizeof r->openid) {
				st = ld_err_set(err, LD_EINVAL,
				    "rule \"%s\": openid too long", text);
				break;
			}
			copy_field(r->openid, sizeof r->openid, tok + 7);
		} else if (strncmp(tok, "api=", 4) == 0) {
			if (strcmp(tok + 4, "create") != 0 &&
			    strcmp(tok + 4, "query") != 0 &&
			    strcmp(tok + 4, "cancel") != 0 &&
			    strcmp(tok + 4, "batch") != 0 &&
			    strcmp(tok + 4, "v2") != 0 &&
			    strcmp(tok + 4, "any") != 0) {
				st = ld_err_set(err, LD_EINVAL,
				    "rule \"%s\": api must be create, query, "
				    "cancel, batch, v2 or any", text);
				break;
			}
			copy_field(r->api, sizeof r->api, tok + 4);
		} else if (strncmp(tok, "bps=", 4) == 0) {
			if ((st = parse_long("rule bps", tok + 4, 0, 10000, &v,
			    err)) != LD_OK)
				break;
			r->when.bps = (int)v;
		} else if (strncmp(tok, "count=", 6) == 0) {
			if ((st = parse_long("rule count", tok + 6, -1,
			    INT_MAX, &v, err)) != LD_OK)
				break;
			r->when.count = (int)v;
			if (v > 0)
				r->when.bps = 0;
		} else {
			st = ld_err_set(err, LD_EINVAL,
			    "rule \"%s\": unknown attribute \"%s\"", text, tok);
			break;
		}
	}
	if (st == LD_OK && first)
		st = ld_err_set(err, LD_EINVAL, "rule has no code");
	if (st == LD_OK) {
		for (tok = r->code; *tok != '\0'; tok++)
			if (!isupper((unsigned char)*tok) && *tok != '_' &&
			    !isdigit((unsigned char)*tok)) {
				st = ld_err_set(err, LD_EINVAL,
				    "rule \"%s\": code must be upper case",
				    text);
				break;
			}
	}
	free(copy);
	return st;
}

struct knob_name {
	const char *name;
	size_t off;
};

#define KNOB(n, f) { n, offsetof(struct sim_faults, f) }
static const struct knob_name knobs[] = {
	KNOB("latency", latency),
	KNOB("hang", hang),
	KNOB("late", late),
	KNOB("error_5xx", error_5xx),
	KNOB("error_503", error_503),
	KNOB("reset", reset),
	KNOB("reset_after_commit", reset_after_commit),
	KNOB("response_bad_signature", resp_bad_signature),
	KNOB("response_signtest", resp_signtest),
	KNOB("response_stale_timestamp", resp_stale_timestamp),
	KNOB("response_unknown_serial", resp_unknown_serial),
	KNOB("response_unsigned", resp_unsigned),
	KNOB("callback_duplicate", cb_duplicate),
	KNOB("callback_reorder", cb_reorder),
	KNOB("callback_bad_signature", cb_bad_signature),
	KNOB("callback_signtest", cb_signtest),
	KNOB("bill_corrupt", bill_corrupt),
};
#undef KNOB

static const struct knob_name msknobs[] = {
	{ "latency_ms", offsetof(struct sim_faults, latency_ms) },
	{ "hang_ms", offsetof(struct sim_faults, hang_ms) },
	{ "late_ms", offsetof(struct sim_faults, late_ms) },
	{ "callback_reorder_ms", offsetof(struct sim_faults, cb_reorder_ms) },
};

size_t
sim_knob_count(void)
{
	return sizeof knobs / sizeof knobs[0];
}

const char *
sim_knob_name(size_t i, const struct sim_faults *f, const struct sim_knob **k)
{
	*k = (const struct sim_knob *)(const void *)
	    ((const char *)f + knobs[i].off);
	return knobs[i].name;
}

size_t
sim_ms_count(void)
{
	return sizeof msknobs / sizeof msknobs[0];
}

const char *
sim_ms_name(size_t i, const struct sim_faults *f, int *ms)
{
	*ms = *(const int *)(const void *)((const char *)f + msknobs[i].off);
	return msknobs[i].name;
}

enum ld_status
sim_faults_set(struct sim_faults *f, const char *key, const char *value,
    struct ld_err *err)
{
	size_t i, n;
	long v;

	if (strcmp(key, "rule") == 0) {
		if (f->nrules == SIM_MAX_RULES)
			return ld_err_set(err, LD_EINVAL,
			    "rule: more than %d rules", SIM_MAX_RULES);
		if (sim_rule_parse(&f->rules[f->nrules], value, err) != LD_OK)
			return err->code;
		f->nrules++;
		return LD_OK;
	}
	for (i = 0; i < sizeof msknobs / sizeof msknobs[0]; i++)
		if (strcmp(key, msknobs[i].name) == 0) {
			if (parse_long(key, value, 0, 600000, &v, err) != LD_OK)
				return err->code;
			*(int *)(void *)((char *)f + msknobs[i].off) = (int)v;
			return LD_OK;
		}
	for (i = 0; i < sizeof knobs / sizeof knobs[0]; i++) {
		struct sim_knob *k;

		n = strlen(knobs[i].name);
		if (strncmp(key, knobs[i].name, n) != 0)
			continue;
		k = (struct sim_knob *)(void *)((char *)f + knobs[i].off);
		if (strcmp(key + n, "_bps") == 0) {
			if (parse_long(key, value, 0, 10000, &v, err) != LD_OK)
				return err->code;
			k->bps = (int)v;
			return LD_OK;
		}
		if (strcmp(key + n, "_count") == 0) {
			if (parse_long(key, value, 0, INT_MAX, &v, err) !=
			    LD_OK)
				return err->code;
			k->count = (int)v;
			return LD_OK;
		}
	}
	return ld_err_set(err, LD_EINVAL, "unknown fault \"%s\"", key);
}

struct load_ctx {
	struct sim_config *cfg;
	struct ld_err *err;
	enum ld_status st;
};

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = ld_strdup(v);
}

static enum ld_status
load_sim(struct sim_config *c, const char *k, const char *v,
    struct ld_err *err)
{
	long x;

	if (strcmp(k, "state_dir") == 0)
		set_str(&c->state_dir, v);
	else if (strcmp(k, "listen") == 0)
		set_str(&c->listen, v);
	else if (strcmp(k, "mchid") == 0)
		set_str(&c->mchid, v);
	else if (strcmp(k, "appid") == 0)
		set_str(&c->appid, v);
	else if (strcmp(k, "merchant_serial") == 0)
		set_str(&c->merchant_serial, v);
	else if (strcmp(k, "merchant_public_key_file") == 0)
		set_str(&c->merchant_public_key_file, v);
	else if (strcmp(k, "generate_merchant") == 0)
		return parse_bool(k, v, &c->generate_merchant, err);
	else if (strcmp(k, "platform_key_id") == 0)
		set_str(&c->platform_key_id, v);
	else if (strcmp(k, "platform_mode") == 0) {
		if (strcmp(v, "public_key") == 0)
			c->platform_cert_mode = 0;
		else if (strcmp(v, "certificate") == 0)
			c->platform_cert_mode = 1;
		else
			return ld_err_set(err, LD_EINVAL, "platform_mode: "
			    "public_key or certificate, not \"%s\"", v);
	} else if (strcmp(k, "apiv3_key_file") == 0)
		set_str(&c->apiv3_key_file, v);
	else if (strcmp(k, "apiv2_key_file") == 0)
		set_str(&c->apiv2_key_file, v);
	else if (strcmp(k, "time_scale") == 0)
		return parse_long(k, v, 1, 86400 * 1000L, &c->time_scale, err);
	else if (strcmp(k, "request_max_skew") == 0)
		return parse_long(k, v, 1, 86400, &c->request_max_skew, err);
	else if (strcmp(k, "sign_errors") == 0)
		return parse_bool(k, v, &c->sign_errors, err);
	else if (strcmp(k, "products") == 0) {
		c->products_bills = strstr(v, "bills") != NULL;
		c->products_batches = strstr(v, "batches") != NULL;
		c->products_v2 = strstr(v, "v2") != NULL;
		if (!c->products_bills && !c->products_batches &&
		    !c->products_v2)
			return ld_err_set(err, LD_EINVAL,
			    "products: name bills, batches and/or v2");
	} else if (strcmp(k, "v2_tls_listen") == 0)
		set_str(&c->v2_tls_listen, v);
	else if (strcmp(k, "tls_cert_file") == 0)
		set_str(&c->tls_cert_file, v);
	else if (strcmp(k, "tls_key_file") == 0)
		set_str(&c->tls_key_file, v);
	else if (strcmp(k, "tls_client_ca_file") == 0)
		set_str(&c->tls_client_ca_file, v);
	else if (strcmp(k, "callback_timeout_ms") == 0) {
		if (parse_long(k, v, 1, 600000, &x, err) != LD_OK)
			return err->code;
		c->callback_timeout_ms = x;
	} else
		return ld_err_set(err, LD_EINVAL, "unknown key [sim] %s", k);
	return LD_OK;
}

static enum ld_status
load_account(struct sim_config *c, const char *k, const char *v,
    struct ld_err *err)
{
	if (strcmp(k, "payout_account") == 0) {
		if (strcmp(v, "BASIC") != 0 && strcmp(v, "OPERATION") != 0)
			return ld_err_set(err, LD_EINVAL,
			    "payout_account: BASIC or OPERATION, not \"%s\"",
			    v);
		set_str(&c->payout_account, v);
		return LD_OK;
	}
	if (strcmp(k, "basic_fen") == 0)
		return parse_fen(k, v, &c->basic_fen, err);
	if (strcmp(k, "operation_fen") == 0)
		return parse_fen(k, v, &c->operation_fen, err);
	if (strcmp(k, "fees_fen") == 0)
		return parse_fen(k, v, &c->fees_fen, err);
	return ld_err_set(err, LD_EINVAL, "unknown key [account] %s", k);
}

static enum ld_status
load_limits(struct sim_config *c, const char *k, const char *v,
    struct ld_err *err)
{
	if (strcmp(k, "min_transfer_fen") == 0)
		return parse_fen(k, v, &c->min_transfer_fen, err);
	if (strcmp(k, "max_transfer_fen") == 0)
		return parse_fen(k, v, &c->max_transfer_fen, err);
	if (strcmp(k, "per_user_daily_fen") == 0)
		return parse_fen(k, v, &c->per_user_daily_fen, err);
	if (strcmp(k, "merchant_daily_fen") == 0)
		return parse_fen(k, v, &c->merchant_daily_fen, err);
	if (strcmp(k, "user_name_required_fen") == 0)
		return parse_fen(k, v, &c->user_name_required_fen, err);
	if (strcmp(k, "user_name_refused_below_fen") == 0)
		return parse_fen(k, v, &c->user_name_refused_below_fen, err);
	if (strcmp(k, "per_user_daily_count") == 0)
		return parse_long(k, v, 1, 1000000, &c->per_user_daily_count,
		    err);
	if (strcmp(k, "scenes") == 0) {
		set_str(&c->scenes, v);
		return LD_OK;
	}
	return ld_err_set(err, LD_EINVAL, "unknown key [limits] %s", k);
}

static enum ld_status
load_confirm(struct sim_config *c, const char *k, const char *v,
    struct ld_err *err)
{
	if (strcmp(k, "mode") == 0) {
		if (strcmp(v, "auto") == 0)
			c->confirm_mode = SIM_CONFIRM_AUTO;
		else if (strcmp(v, "never") == 0)
			c->confirm_mode = SIM_CONFIRM_NEVER;
		else if (strcmp(v, "manual") == 0)
			c->confirm_mode = SIM_CONFIRM_MANUAL;
		else
			return ld_err_set(err, LD_EINVAL,
			    "mode: auto, never or manual, not \"%s\"", v);
		return LD_OK;
	}
	if (strcmp(k, "expire_state") == 0) {
		if (strcmp(v, "CANCELLED") == 0)
			c->expire_cancelled = 1;
		else if (strcmp(v, "FAIL") == 0)
			c->expire_cancelled = 0;
		else
			return ld_err_set(err, LD_EINVAL,
			    "expire_state: CANCELLED or FAIL, not \"%s\"", v);
		return LD_OK;
	}
	if (strcmp(k, "delay_ms") == 0)
		return parse_long(k, v, 0, 86400000L, &c->confirm_delay_ms,
		    err);
	if (strcmp(k, "timeout_s") == 0)
		return parse_long(k, v, 1, 86400 * 30L, &c->confirm_timeout_s,
		    err);
	if (strcmp(k, "transfer_ms") == 0)
		return parse_long(k, v, 0, 86400000L, &c->transfer_ms, err);
	if (strcmp(k, "cancel_ms") == 0)
		return parse_long(k, v, 0, 86400000L, &c->cancel_ms, err);
	if (strcmp(k, "batch_ms") == 0)
		return parse_long(k, v, 0, 86400000L, &c->batch_ms, err);
	return ld_err_set(err, LD_EINVAL, "unknown key [confirm] %s", k);
}

static enum ld_status
load_bill(struct sim_config *c, const char *k, const char *v,
    struct ld_err *err)
{
	if (strcmp(k, "same_day") == 0)
		return parse_bool(k, v, &c->bill_same_day, err);
	if (strcmp(k, "url_ttl_s") == 0)
		return parse_long(k, v, 1, 86400, &c->bill_url_ttl_s, err);
	return ld_err_set(err, LD_EINVAL, "unknown key [bill] %s", k);
}

static int
sim_ini_line(void *user, const char *section, const char *name,
    const char *value)
{
	struct load_ctx *ctx = user;
	struct sim_config *c = ctx->cfg;
	enum ld_status st;

	if (strcmp(section, "sim") == 0)
		st = load_sim(c, name, value, ctx->err);
	else if (strcmp(section, "account") == 0)
		st = load_account(c, name, value, ctx->err);
	else if (strcmp(section, "limits") == 0)
		st = load_limits(c, name, value, ctx->err);
	else if (strcmp(section, "confirm") == 0)
		st = load_confirm(c, name, value, ctx->err);
	else if (strcmp(section, "bill") == 0)
		st = load_bill(c, name, value, ctx->err);
	else if (strcmp(section, "callback") == 0) {
		if (strcmp(name, "retry_s") == 0)
			st = sim_retry_parse(value, c->retry_s,
			    SIM_MAX_RETRIES, &c->nretry, ctx->err);
		else
			st = ld_err_set(ctx->err, LD_EINVAL,
			    "unknown key [callback] %s", name);
	} else if (strcmp(section, "faults") == 0)
		st = sim_faults_set(&c->faults, name, value, ctx->err);
	else
		st = ld_err_set(ctx->err, LD_EINVAL, "unknown section [%s]",
		    section);
	if (st != LD_OK) {
		ctx->st = st;
		return 0;
	}
	return 1;
}

enum ld_status
sim_config_load(struct sim_config *cfg, const char *path, struct ld_err *err)
{
	struct load_ctx ctx = { cfg, err, LD_OK };
	int line;

	ld_err_clear(err);
	line = ini_parse(path, sim_ini_line, &ctx);
	if (line < 0)
		return ld_err_set(err, LD_EIO, "%s: cannot read", path);
	if (line > 0) {
		if (ctx.st == LD_OK)
			return ld_err_set(err, LD_EINVAL,
			    "%s:%d: malformed line", path, line);
		return ld_err_prefix(err, "%s:%d: ", path, line);
	}
	set_str(&cfg->path, path);
	if (cfg->v2_tls_listen != NULL && cfg->tls_client_ca_file == NULL)
		return ld_err_set(err, LD_EINVAL, "%s: [sim] v2_tls_listen "
		    "needs tls_client_ca_file (the CA of the merchant's API "
		    "certificate)", path);
	if ((cfg->tls_cert_file == NULL) != (cfg->tls_key_file == NULL))
		return ld_err_set(err, LD_EINVAL, "%s: [sim] tls_cert_file and "
		    "tls_key_file go together", path);
	if (cfg->user_name_refused_below_fen > cfg->user_name_required_fen)
		return ld_err_set(err, LD_EINVAL,
		    "%s: [limits] user_name_refused_below_fen %" PRId64
		    " exceeds user_name_required_fen %" PRId64, path,
		    cfg->user_name_refused_below_fen,
		    cfg->user_name_required_fen);
	if (cfg->min_transfer_fen > cfg->max_transfer_fen)
		return ld_err_set(err, LD_EINVAL,
		    "%s: [limits] min_transfer_fen %" PRId64
		    " exceeds max_transfer_fen %" PRId64, path,
		    cfg->min_transfer_fen, cfg->max_transfer_fen);
	return LD_OK;
}
