/*
 * /__sim/: what a test or the demo asks of the simulator itself, outside
 * WeChat Pay's API and unsigned (the listener is loopback only).  Every
 * endpoint is listed in README.md, "The WeChat Pay simulator".
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ld_alloc.h"
#include "sim_api.h"
#include "wxpay_check.h"

static void
admin_error(struct sim_answer *a, unsigned status, const char *message)
{
	sim_answer_error(a, status, status == 404 ? "NOT_FOUND" :
	    "PARAM_ERROR", message);
}

/* A whole number in [lo, hi] from a JSON number; 0 when it is not one. */
static int
json_whole(const cJSON *v, double lo, double hi, int64_t *out)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo &&
	    v->valuedouble <= hi) || v->valuedouble != floor(v->valuedouble))
		return 0;
	*out = (int64_t)v->valuedouble;
	return 1;
}

/*
 * One fault setting by name.  Strings go to the parser whole, however
 * long: a part that does not fit a rule is refused there, never cut.
 */
static int
fault_set(struct sim_faults *f, const cJSON *it, char *msg, size_t size)
{
	struct ld_err err;
	const char *val;
	char num[32];
	int64_t v;

	if (cJSON_IsString(it))
		val = it->valuestring;
	else if (json_whole(it, -1e15, 1e15, &v)) {
		snprintf(num, sizeof num, "%lld", (long long)v);
		val = num;
	} else {
		snprintf(msg, size, "%s: expected a whole number or a string",
		    it->string);
		return -1;
	}
	if (sim_faults_set(f, it->string, val, &err) != LD_OK) {
		snprintf(msg, size, "%s", err.msg);
		return -1;
	}
	return 0;
}

/* "rules": the whole list of rules, replacing the current one. */
static int
rules_set(struct sim_faults *f, const cJSON *it, char *msg, size_t size)
{
	struct ld_err err;
	const cJSON *r;

	if (!cJSON_IsArray(it)) {
		snprintf(msg, size, "rules: expected an array of strings");
		return -1;
	}
	f->nrules = 0;
	cJSON_ArrayForEach(r, it) {
		if (!cJSON_IsString(r)) {
			snprintf(msg, size, "rules: expected a string");
			return -1;
		}
		if (sim_faults_set(f, "rule", r->valuestring, &err) != LD_OK) {
			snprintf(msg, size, "rules: %s", err.msg);
			return -1;
		}
	}
	return 0;
}

/* Applies one JSON object of fault settings to a copy; all or nothing. */
static int
faults_apply(struct sim *s, const cJSON *o, char *msg, size_t size)
{
	struct sim_faults f;
	const cJSON *it;

	pthread_mutex_lock(&s->lock);
	f = s->faults;
	pthread_mutex_unlock(&s->lock);
	/* Back to what the configuration file said. */
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "reset")))
		f = s->cfg.faults;
	cJSON_ArrayForEach(it, o) {
		int rc;

		if (strcmp(it->string, "reset") == 0)
			continue;
		if (strcmp(it->string, "rules") == 0)
			rc = rules_set(&f, it, msg, size);
		else
			rc = fault_set(&f, it, msg, size);
		if (rc != 0)
			return -1;
	}
	pthread_mutex_lock(&s->lock);
	s->faults = f;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void
admin_faults(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	cJSON *o;
	char msg[LD_ERR_MSG_MAX + 64];

	if (strcmp(rq->method, "GET") == 0) {
		sim_answer_json(a, 200, sim_faults_json(s));
		return;
	}
	o = strcmp(rq->method, "POST") == 0 ? sim_body_object(rq) :
	    cJSON_Parse("{\"reset\":true}");
	if (!cJSON_IsObject(o))
		admin_error(a, 400, "expected a JSON object");
	else if (faults_apply(s, o, msg, sizeof msg) != 0)
		admin_error(a, 400, msg);
	else
		sim_answer_json(a, 200, sim_faults_json(s));
	cJSON_Delete(o);
}

/* POST /__sim/bills/OUT_BILL_NO/confirm|expire */
static void
admin_bill(struct sim *s, const char *rest, struct sim_answer *a)
{
	char no[72], *action;
	struct sim_bill *b;
	int ok = 0;

	if (strlen(rest) >= sizeof no || (action = strchr(rest, '/')) ==
	    NULL) {
		admin_error(a, 404, "POST /__sim/bills/OUT_BILL_NO/confirm or "
		    "/expire");
		return;
	}
	snprintf(no, sizeof no, "%.*s", (int)(action - rest), rest);
	action++;
	if (strcmp(action, "confirm") != 0 && strcmp(action, "expire") != 0) {
		admin_error(a, 404, "actions: confirm, expire");
		return;
	}
	pthread_mutex_lock(&s->lock);
	b = sim_map_get(&s->by_out_bill, no);
	if (b != NULL && strcmp(action, "confirm") == 0)
		ok = sim_bill_confirm(s, b);
	else if (b != NULL && b->state == SIM_WAIT_USER_CONFIRM) {
		/* What the 24 h timeout would do, now. */
		b->ignore = 1;
		sim_bill_schedule(s, b, sim_now_ms());
		ok = 1;
	}
	if (b == NULL)
		admin_error(a, 404, "no such out_bill_no");
	else if (ok)
		sim_answer_json(a, 200, ld_asprintf("{\"out_bill_no\":\"%s\","
		    "\"state\":\"%s\"}", b->out_no, sim_state_name(b->state)));
	else
		sim_answer_error(a, 409, "INVALID_STATE",
		    sim_state_name(b->state));
	pthread_mutex_unlock(&s->lock);
}

/* POST /__sim/balance {"account":…,"available_amount":FEN} */
static void
admin_balance(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	cJSON *o = sim_body_object(rq);
	const cJSON *acc = cJSON_GetObjectItemCaseSensitive(o, "account");
	int i = cJSON_IsString(acc) ? sim_account_parse(acc->valuestring) : -1;
	int64_t fen;

	if (i < 0 || !json_whole(cJSON_GetObjectItemCaseSensitive(o,
	    "available_amount"), 0, 1e13, &fen)) {
		cJSON_Delete(o);
		admin_error(a, 400, "expected {\"account\":"
		    "\"BASIC|OPERATION|FEES\",\"available_amount\":FEN}");
		return;
	}
	pthread_mutex_lock(&s->lock);
	s->avail[i] = fen;
	pthread_mutex_unlock(&s->lock);
	cJSON_Delete(o);
	sim_answer_json(a, 200, ld_strdup("{}"));
}

static void
admin_info(struct sim *s, struct sim_answer *a)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "mchid", s->cfg.mchid);
	cJSON_AddStringToObject(o, "appid", s->cfg.appid);
	cJSON_AddStringToObject(o, "merchant_serial", s->cfg.merchant_serial);
	cJSON_AddStringToObject(o, "platform_key_id", s->platform_key_id);
	cJSON_AddStringToObject(o, "platform_public_key_file",
	    s->platform_public_file);
	cJSON_AddStringToObject(o, "platform_cert_file", s->platform_cert_file);
	cJSON_AddStringToObject(o, "platform_cert_serial",
	    s->platform_cert_serial);
	cJSON_AddStringToObject(o, "apiv3_key_file", s->cfg.apiv3_key_file);
	cJSON_AddStringToObject(o, "apiv2_key_file", s->cfg.apiv2_key_file);
	if (s->merchant_private_file != NULL)
		cJSON_AddStringToObject(o, "merchant_private_key_file",
		    s->merchant_private_file);
	cJSON_AddStringToObject(o, "base_url", s->base_url);
	if (s->tls_base_url[0] != '\0')
		cJSON_AddStringToObject(o, "v2_base_url", s->tls_base_url);
	sim_answer_obj(a, 200, o);
}

/* The bill a voucher number names, if it succeeded; lock held. */
static const struct sim_bill *
succeeded(struct sim *s, const char *out_no)
{
	size_t i;

	for (i = 0; i < s->nflows; i++)
		if (strcmp(s->flows[i].bill->out_no, out_no) == 0)
			return s->flows[i].bill;
	return NULL;
}

/* The voucher number a mismatch names: exactly one of the three keys. */
static const char *
mismatch_no(const cJSON *o)
{
	static const char *const keys[] = { "out_bill_no", "out_detail_no",
	    "partner_trade_no" };
	const char *no = NULL;
	size_t i, n = 0;

	for (i = 0; i < 3; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, keys[i]);

		if (v != NULL) {
			n++;
			no = cJSON_IsString(v) ? v->valuestring : NULL;
		}
	}
	return n == 1 ? no : NULL;
}

/* Records m (replacing one for the same number); lock held. */
static int
mismatch_put(struct sim *s, const struct sim_mismatch *m)
{
	size_t i;

	for (i = 0; i < s->nmismatches; i++)
		if (strcmp(s->mismatches[i].out_no, m->out_no) == 0)
			break;
	if (i == SIM_MAX_MISMATCHES)
		return -1;
	s->mismatches[i] = *m;
	if (i == s->nmismatches)
		s->nmismatches++;
	return 0;
}

static const char *
mismatch_kind(enum sim_mismatch_kind k)
{
	return k == SIM_MISMATCH_AMOUNT ? "amount" : k == SIM_MISMATCH_DROP ?
	    "drop" : "add";
}

/*
 * POST /__sim/ledger/mismatch: the next fund-flow bills differ from the
 * ledger.  {"out_bill_no":N,"amount_fen":F}: a transfer that succeeded is
 * listed with F, a number that did not is listed as paid F today;
 * {"out_bill_no":N,"drop":true}: a transfer that succeeded is left out.
 * out_detail_no or partner_trade_no may name the transfer instead.
 */
static void
mismatch_add(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	cJSON *o = sim_body_object(rq), *ans;
	const char *no = mismatch_no(o);
	struct sim_mismatch m;
	const struct sim_bill *b;
	struct ld_err err;
	int drop = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "drop"));
	int rc = 0;

	memset(&m, 0, sizeof m);
	if (no == NULL || wx_check_no("out_bill_no", no, 32, &err) != LD_OK ||
	    (!drop && !json_whole(cJSON_GetObjectItemCaseSensitive(o,
	    "amount_fen"), 1, 1e13, &m.amount))) {
		cJSON_Delete(o);
		admin_error(a, 400, "expected {\"out_bill_no\":NO,"
		    "\"amount_fen\":FEN} or {\"out_bill_no\":NO,\"drop\":true}"
		    " (or out_detail_no, partner_trade_no)");
		return;
	}
	snprintf(m.out_no, sizeof m.out_no, "%s", no);
	cJSON_Delete(o);
	pthread_mutex_lock(&s->lock);
	b = succeeded(s, m.out_no);
	m.kind = drop ? SIM_MISMATCH_DROP : b != NULL ? SIM_MISMATCH_AMOUNT :
	    SIM_MISMATCH_ADD;
	if (m.kind == SIM_MISMATCH_ADD) {
		m.at = time(NULL);
		sim_make_no(s, "1330000", m.bill_no, sizeof m.bill_no);
		sim_make_no(s, s->cfg.mchid, m.flow_no, sizeof m.flow_no);
		m.balance_after = s->avail[s->payout_account] +
		    s->pending[s->payout_account];
	}
	if (drop && b == NULL)
		rc = 404;
	else if (mismatch_put(s, &m) != 0)
		rc = 400;
	pthread_mutex_unlock(&s->lock);
	if (rc != 0) {
		admin_error(a, (unsigned)rc, rc == 404 ? "no transfer with that "
		    "number succeeded: nothing to drop" : "too many mismatches");
		return;
	}
	ans = cJSON_CreateObject();
	cJSON_AddStringToObject(ans, "kind", mismatch_kind(m.kind));
	cJSON_AddStringToObject(ans, "out_no", m.out_no);
	if (!drop)
		sim_json_add_i64(ans, "amount_fen", m.amount);
	if (m.kind == SIM_MISMATCH_ADD) {
		char t[32];

		/* The Beijing day whose bill carries the line. */
		sim_rfc3339(m.at, t);
		t[10] = '\0';
		cJSON_AddStringToObject(ans, "bill_date", t);
	}
	sim_answer_obj(a, 200, ans);
}

static void
mismatch_list(struct sim *s, struct sim_answer *a)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	size_t i;

	arr = cJSON_AddArrayToObject(o, "mismatches");
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nmismatches; i++) {
		const struct sim_mismatch *m = &s->mismatches[i];
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "kind", mismatch_kind(m->kind));
		cJSON_AddStringToObject(e, "out_no", m->out_no);
		if (m->kind != SIM_MISMATCH_DROP)
			sim_json_add_i64(e, "amount_fen", m->amount);
		cJSON_AddItemToArray(arr, e);
	}
	pthread_mutex_unlock(&s->lock);
	sim_answer_obj(a, 200, o);
}

static void
admin_mismatch(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	if (strcmp(rq->method, "POST") == 0)
		mismatch_add(s, rq, a);
	else if (strcmp(rq->method, "GET") == 0)
		mismatch_list(s, a);
	else if (strcmp(rq->method, "DELETE") == 0) {
		pthread_mutex_lock(&s->lock);
		s->nmismatches = 0;
		pthread_mutex_unlock(&s->lock);
		mismatch_list(s, a);
	} else
		sim_answer_method(a, "GET, POST, DELETE");
}

/*
 * GET /__sim/ledger/fundflow?bill_date=…[&account_type=…]: the file the
 * signed API would hand out, for a person to read.
 */
static void
admin_fundflow(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	char date[16], type[16] = "OPERATION";
	long day;
	int acc;
	char *csv;
	size_t len = 0;

	if (sim_query_param(rq->query, "bill_date", date, sizeof date))
		day = sim_day_parse(date);
	else
		day = -1;
	if (strstr(rq->query, "account_type=") != NULL &&
	    !sim_query_param(rq->query, "account_type", type, sizeof type))
		type[0] = '\0';
	if (day < 0 || (acc = sim_account_parse(type)) < 0) {
		admin_error(a, 400, "expected ?bill_date=YYYY-MM-DD"
		    "[&account_type=BASIC|OPERATION|FEES]");
		return;
	}
	pthread_mutex_lock(&s->lock);
	csv = sim_fundflow_csv(s, day, (enum sim_account)acc, &len);
	pthread_mutex_unlock(&s->lock);
	if (csv == NULL) {
		admin_error(a, 404, "no fund flow that day");
		return;
	}
	free(a->body);
	a->status = 200;
	a->body = csv;
	a->len = len;
	a->content_type = "text/csv; charset=utf-8";
}

void
sim_api_admin(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	const char *p = rq->path + 7;
	int get = strcmp(rq->method, "GET") == 0;
	int post = strcmp(rq->method, "POST") == 0;

	if (strcmp(p, "ledger") == 0 && get)
		sim_answer_json(a, 200, sim_ledger_json(s));
	else if (strcmp(p, "ledger/mismatch") == 0)
		admin_mismatch(s, rq, a);
	else if (strcmp(p, "ledger/fundflow") == 0 && get)
		admin_fundflow(s, rq, a);
	else if (strcmp(p, "callbacks") == 0 && get)
		sim_answer_json(a, 200, sim_callbacks_json(s));
	else if (strcmp(p, "info") == 0 && get)
		admin_info(s, a);
	else if (strcmp(p, "faults") == 0 && (get || post ||
	    strcmp(rq->method, "DELETE") == 0))
		admin_faults(s, rq, a);
	else if (strcmp(p, "balance") == 0 && post)
		admin_balance(s, rq, a);
	else if (strncmp(p, "bills/", 6) == 0 && post)
		admin_bill(s, p + 6, a);
	else
		admin_error(a, 404, "admin endpoints: GET ledger, "
		    "ledger/fundflow, ledger/mismatch, callbacks, info, "
		    "faults; POST faults, balance, ledger/mismatch, "
		    "bills/N/confirm, bills/N/expire; DELETE faults, "
		    "ledger/mismatch");
}
