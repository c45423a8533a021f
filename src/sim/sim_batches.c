/*
 * 商家转账到零钱 batches (POST /v3/transfer/batches and its queries), the
 * product merchants opened before 2025-01-15 keep (pay.weixin.qq.com doc
 * 4015273741).  out_batch_no is the idempotency key.  A batch is refused
 * whole, before anything is held, when any detail is: names all or none,
 * a name from user_name_required_fen on, none below
 * user_name_refused_below_fen (docs/wxpay-api.md).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ld_alloc.h"
#include "sim_api.h"

#define BATCH_MAX_DETAILS	1000

enum {
	T_APPID, T_OUT_NO, T_NAME, T_REMARK, T_TOTAL, T_SCENE, T_URL,
	T_NFIELDS
};

static const struct sim_field batch_fields[T_NFIELDS] = {
	[T_APPID] = { "appid", SIM_F_TEXT, 32, 1 },
	[T_OUT_NO] = { "out_batch_no", SIM_F_NO, 32, 1 },
	[T_NAME] = { "batch_name", SIM_F_TEXT, 32, 1 },
	[T_REMARK] = { "batch_remark", SIM_F_TEXT, 32, 1 },
	[T_TOTAL] = { "total_amount", SIM_F_FEN, 0, 1 },
	[T_SCENE] = { "transfer_scene_id", SIM_F_TEXT, 36, 0 },
	[T_URL] = { "notify_url", SIM_F_URL, 256, 0 },
};

enum { D_NO, D_AMOUNT, D_REMARK, D_OPENID, D_NAME, D_NFIELDS };

static const struct sim_field detail_fields[D_NFIELDS] = {
	[D_NO] = { "out_detail_no", SIM_F_NO, 32, 1 },
	[D_AMOUNT] = { "transfer_amount", SIM_F_FEN, 0, 1 },
	[D_REMARK] = { "transfer_remark", SIM_F_TEXT, 32, 1 },
	[D_OPENID] = { "openid", SIM_F_OPENID, 64, 1 },
	[D_NAME] = { "user_name", SIM_F_NAME, 2048, 0 },
};

/* A create request as read; the strings point into o. */
struct batch_in {
	cJSON *o;
	struct sim_value top[T_NFIELDS];
	struct sim_value (*d)[D_NFIELDS];
	size_t n;
	unsigned char fp[32];
};

static void
batch_in_free(struct batch_in *in)
{
	size_t i;

	sim_values_free(in->top, T_NFIELDS);
	for (i = 0; i < in->n; i++)
		sim_values_free(in->d[i], D_NFIELDS);
	free(in->d);
	cJSON_Delete(in->o);
}

static int
batch_refuse(struct sim_answer *a, const char *message)
{
	sim_answer_error(a, 400, "PARAM_ERROR", message);
	return -1;
}

/* The details, read by their table into in->d and the fingerprint. */
static int
details_read(struct sim *s, const struct sim_request *rq,
    struct batch_in *in, struct sim_fp *f, struct sim_answer *a)
{
	const cJSON *tn = cJSON_GetObjectItemCaseSensitive(in->o, "total_num");
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(in->o,
	    "transfer_detail_list"), *it;
	int64_t sum = 0;
	int count;

	count = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
	if (count < 1 || count > BATCH_MAX_DETAILS || !cJSON_IsNumber(tn) ||
	    tn->valuedouble != (double)count)
		return batch_refuse(a, "转账批次参数不正确：total_num 须等于 "
		    "transfer_detail_list 的明细数（1 到 1000）");
	in->d = ld_calloc((size_t)count, sizeof *in->d);
	cJSON_ArrayForEach(it, list) {
		if (!cJSON_IsObject(it))
			return batch_refuse(a, "转账批次参数不正确");
		/* Counted first: a half-read detail's name is freed too. */
		in->n++;
		if (sim_fields_read(s, rq, it, detail_fields, D_NFIELDS,
		    in->d[in->n - 1], f, a) != 0)
			return -1;
		sum += in->d[in->n - 1][D_AMOUNT].fen;
	}
	if (sum != in->top[T_TOTAL].fen)
		return batch_refuse(a, "转账批次参数不正确：total_amount 与明细金额"
		    "之和不一致");
	return 0;
}

/* Yuan text of a fen amount as a person writes it: 2000, 0.3, 10.05. */
static void
yuan(int64_t fen, char out[32])
{
	if (fen % 100 == 0)
		snprintf(out, 32, "%" PRId64, fen / 100);
	else if (fen % 10 == 0)
		snprintf(out, 32, "%" PRId64 ".%" PRId64, fen / 100,
		    fen % 100 / 10);
	else
		snprintf(out, 32, "%" PRId64 ".%02" PRId64, fen / 100,
		    fen % 100);
}

/*
 * The payee's name within a batch: on every detail or on none, required
 * from user_name_required_fen, refused below user_name_refused_below_fen.
 */
static int
names_check(const struct sim *s, const struct batch_in *in,
    struct sim_answer *a)
{
	char msg[256], limit[32];
	size_t i, named = 0;

	for (i = 0; i < in->n; i++)
		named += in->d[i][D_NAME].plain != NULL;
	if (named != 0 && named != in->n) {
		sim_answer_field(a, 400, "PARAM_ERROR", "同一批次内的明细须全部填"
		    "写或全部不填写收款用户姓名", "user_name");
		return -1;
	}
	for (i = 0; i < in->n; i++) {
		int64_t amt = in->d[i][D_AMOUNT].fen;
		int has = in->d[i][D_NAME].plain != NULL;

		if (amt >= s->cfg.user_name_required_fen && !has) {
			yuan(s->cfg.user_name_required_fen, limit);
			snprintf(msg, sizeof msg, "明细 %s 转账金额大于等于%s元，"
			    "收款用户姓名必填", in->d[i][D_NO].str, limit);
		} else if (amt < s->cfg.user_name_refused_below_fen && has) {
			yuan(s->cfg.user_name_refused_below_fen, limit);
			snprintf(msg, sizeof msg, "明细 %s 转账金额小于%s元，"
			    "不可填写收款用户姓名", in->d[i][D_NO].str, limit);
		} else
			continue;
		sim_answer_field(a, 400, "PARAM_ERROR", msg, "user_name");
		return -1;
	}
	return 0;
}

/* Reads and checks a create request; 0, or -1 with the answer filled. */
static int
batch_read(struct sim *s, const struct sim_request *rq, struct batch_in *in,
    struct sim_answer *a)
{
	struct sim_fp f;
	size_t i, j;
	int rc = -1;

	if (sim_body_json(rq, &in->o, a) != 0)
		return -1;
	sim_fp_begin(&f);
	if (sim_fields_read(s, rq, in->o, batch_fields, T_NFIELDS, in->top,
	    &f, a) != 0 || details_read(s, rq, in, &f, a) != 0)
		goto out;
	if (strcmp(in->top[T_APPID].str, s->cfg.appid) != 0) {
		sim_answer_error(a, 400, "INVALID_REQUEST",
		    "appid与商户号不匹配，请检查");
		goto out;
	}
	for (i = 0; i < in->n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(in->d[i][D_NO].str, in->d[j][D_NO].str) ==
			    0) {
				sim_answer_field(a, 400, "PARAM_ERROR",
				    "out_detail_no 在批次内重复",
				    "out_detail_no");
				goto out;
			}
	rc = names_check(s, in, a);
out:
	sim_fp_end(&f, in->fp);
	return rc;
}

static int
scene_allowed(const struct sim *s, const char *scene)
{
	size_t i;

	for (i = 0; i < s->nscenes; i++)
		if (strcmp(s->scenes[i], scene) == 0)
			return 1;
	return 0;
}

static cJSON *
create_answer(const struct sim_batch *bt)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "out_batch_no", bt->out_batch_no);
	cJSON_AddStringToObject(r, "batch_id", bt->batch_id);
	sim_json_add_time(r, "create_time", bt->create_time);
	cJSON_AddStringToObject(r, "batch_status", bt->state);
	return r;
}

/*
 * What WeChat decides before it takes the money, lock held: every detail
 * and the whole batch; 0 to go on, -1 with the answer filled.
 */
static int
batch_admit(struct sim *s, const struct batch_in *in, struct sim_answer *a)
{
	const char *scene = in->top[T_SCENE].str;
	int64_t total = in->top[T_TOTAL].fen;
	size_t i;

	if (scene != NULL && !scene_allowed(s, scene)) {
		sim_answer_field(a, 400, "INVALID_REQUEST", "该转账场景未开通或不"
		    "可用，请检查 transfer_scene_id", "transfer_scene_id");
		return -1;
	}
	for (i = 0; i < in->n; i++) {
		int64_t amt = in->d[i][D_AMOUNT].fen;

		if (amt < s->cfg.min_transfer_fen ||
		    amt > s->cfg.max_transfer_fen) {
			sim_answer_error(a, 400, "INVALID_REQUEST",
			    "超过单笔转账上下限，核实产品设置是否准确");
			return -1;
		}
	}
	sim_merchant_today(s);
	if (s->avail[s->payout_account] < total) {
		sim_answer_error(a, 403, "NOT_ENOUGH", "请充值后原单重试，"
		    "请勿更换商家转账批次单号");
		return -1;
	}
	if (s->merchant_day_fen + total > s->cfg.merchant_daily_fen) {
		sim_answer_error(a, 400, "INVALID_REQUEST",
		    "超出商户单日转账额度，请核实产品设置是否准确");
		return -1;
	}
	return 0;
}

/*
 * The details as bills, each with the fault its openid's rule injects;
 * NULL with the answer filled when a rule answers with an error code.
 */
static struct sim_bill **
details_make(struct sim *s, struct batch_in *in, struct sim_answer *a)
{
	struct sim_bill **ds = ld_calloc(in->n, sizeof *ds);
	size_t i;

	for (i = 0; i < in->n; i++) {
		struct sim_value *v = in->d[i];
		const struct sim_rule *rule = sim_rule_match(s, "batch",
		    v[D_OPENID].str);
		struct sim_bill *d;

		if (rule != NULL && sim_answer_v3_code(a, rule->code)) {
			while (i-- > 0)
				sim_bill_free(ds[i]);
			free(ds);
			return NULL;
		}
		d = ds[i] = ld_calloc(1, sizeof *d);
		d->kind = SIM_KIND_DETAIL;
		snprintf(d->out_no, sizeof d->out_no, "%s", v[D_NO].str);
		snprintf(d->openid, sizeof d->openid, "%s", v[D_OPENID].str);
		snprintf(d->appid, sizeof d->appid, "%s",
		    in->top[T_APPID].str);
		d->remark = ld_strdup(v[D_REMARK].str);
		d->user_name = v[D_NAME].plain;
		v[D_NAME].plain = NULL;
		d->amount = v[D_AMOUNT].fen;
		d->state = SIM_PROCESSING;
		if (rule != NULL && strcmp(rule->code, "IGNORE") != 0)
			snprintf(d->fail_reason, sizeof d->fail_reason, "%s",
			    rule->code);
	}
	return ds;
}

/* Makes and registers the batch around its details; lock held. */
static struct sim_batch *
batch_make(struct sim *s, const struct batch_in *in, struct sim_bill **ds)
{
	struct sim_batch *bt = ld_calloc(1, sizeof *bt);
	const char *scene = in->top[T_SCENE].str;
	size_t i;

	snprintf(bt->out_batch_no, sizeof bt->out_batch_no, "%s",
	    in->top[T_OUT_NO].str);
	sim_make_no(s, "1030000", bt->batch_id, sizeof bt->batch_id);
	snprintf(bt->appid, sizeof bt->appid, "%s", in->top[T_APPID].str);
	bt->name = ld_strdup(in->top[T_NAME].str);
	bt->remark = ld_strdup(in->top[T_REMARK].str);
	bt->notify_url = in->top[T_URL].str ? ld_strdup(in->top[T_URL].str) :
	    NULL;
	snprintf(bt->scene, sizeof bt->scene, "%s", scene ? scene : "1000");
	bt->total_amount = in->top[T_TOTAL].fen;
	bt->total_num = (int)in->n;
	bt->create_time = bt->update_time = time(NULL);
	memcpy(bt->fp, in->fp, sizeof bt->fp);
	bt->details = ds;
	bt->ndetails = in->n;
	for (i = 0; i < in->n; i++) {
		struct sim_bill *d = ds[i];

		sim_make_no(s, "1040000", d->bill_no, sizeof d->bill_no);
		d->batch = bt;
		d->create_time = d->update_time = bt->create_time;
		if (d->fail_reason[0] == '\0' &&
		    sim_user_get(s, d->openid)->day_fen + d->amount >
		    s->cfg.per_user_daily_fen)
			snprintf(d->fail_reason, sizeof d->fail_reason,
			    "DAY_RECEIVED_QUOTA_EXCEED");
		sim_bill_add(s, d);
		sim_bill_hold(s, d);
	}
	sim_batch_add(s, bt);
	snprintf(bt->state, sizeof bt->state, "PROCESSING");
	bt->due_ms = sim_now_ms() + s->cfg.batch_ms;
	pthread_cond_broadcast(&s->wake);
	return bt;
}

void
sim_batch_create(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	struct batch_in in;
	struct sim_batch *bt;
	struct sim_bill **ds;

	if (!s->cfg.products_batches) {
		sim_answer_error(a, 403, "NO_AUTH", "当前商户号接入升级版本功能，"
		    "暂不支持使用升级前功能，请使用升级后功能");
		return;
	}
	memset(&in, 0, sizeof in);
	if (batch_read(s, rq, &in, a) != 0) {
		batch_in_free(&in);
		return;
	}
	pthread_mutex_lock(&s->lock);
	bt = sim_map_get(&s->by_out_batch, in.top[T_OUT_NO].str);
	if (bt != NULL) {
		if (memcmp(bt->fp, in.fp, sizeof in.fp) == 0)
			sim_answer_obj(a, 200, create_answer(bt));
		else
			sim_answer_error(a, 400, "INVALID_REQUEST",
			    "单号已存在但信息不一致，请查单后比较确认");
	} else if (batch_admit(s, &in, a) == 0 &&
	    (ds = details_make(s, &in, a)) != NULL) {
		bt = batch_make(s, &in, ds);
		sim_answer_obj(a, 200, create_answer(bt));
		a->committed = 1;
	}
	pthread_mutex_unlock(&s->lock);
	batch_in_free(&in);
}

static const char *
detail_state_name(const struct sim_bill *d)
{
	return d->state == SIM_SUCCESS ? "SUCCESS" :
	    d->state == SIM_FAIL ? "FAIL" : "PROCESSING";
}

/*
 * One detail, lock held; *name receives a copy of the payee's name, which
 * goes out encrypted to the merchant as the bill query's does.
 */
static cJSON *
detail_json(struct sim *s, const struct sim_bill *d, char **name)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "mchid", s->cfg.mchid);
	cJSON_AddStringToObject(o, "out_batch_no", d->batch->out_batch_no);
	cJSON_AddStringToObject(o, "batch_id", d->batch->batch_id);
	cJSON_AddStringToObject(o, "appid", d->appid);
	cJSON_AddStringToObject(o, "out_detail_no", d->out_no);
	cJSON_AddStringToObject(o, "detail_id", d->bill_no);
	cJSON_AddStringToObject(o, "detail_status", detail_state_name(d));
	sim_json_add_i64(o, "transfer_amount", d->amount);
	cJSON_AddStringToObject(o, "transfer_remark", d->remark);
	if (d->state == SIM_FAIL)
		cJSON_AddStringToObject(o, "fail_reason", d->fail_reason);
	cJSON_AddStringToObject(o, "openid", d->openid);
	sim_json_add_time(o, "initiate_time", d->create_time);
	sim_json_add_time(o, "update_time", d->update_time);
	*name = d->user_name != NULL ? ld_strdup(d->user_name) : NULL;
	return o;
}

/* The query's paging and filter, from the query string. */
struct batch_page {
	int details;
	char status[16];
	long offset, limit;
};

static int
page_read(const char *query, struct batch_page *p, struct sim_answer *a)
{
	char need[8] = "", buf[16] = "";

	snprintf(p->status, sizeof p->status, "ALL");
	p->offset = 0;
	p->limit = 20;
	if (!sim_query_param(query, "need_query_detail", need, sizeof need) ||
	    (strcmp(need, "true") != 0 && strcmp(need, "false") != 0)) {
		sim_answer_field(a, 400, "PARAM_ERROR", "need_query_detail 必填，"
		    "取值 true 或 false", "need_query_detail");
		return -1;
	}
	p->details = strcmp(need, "true") == 0;
	if ((sim_query_param(query, "offset", buf, sizeof buf) &&
	    !sim_small_uint(buf, &p->offset)) ||
	    (sim_query_param(query, "limit", buf, sizeof buf) &&
	    !sim_small_uint(buf, &p->limit)) ||
	    (sim_query_param(query, "detail_status", p->status,
	    sizeof p->status) && strcmp(p->status, "ALL") != 0 &&
	    strcmp(p->status, "SUCCESS") != 0 &&
	    strcmp(p->status, "FAIL") != 0) ||
	    p->limit < 1 || p->limit > 100) {
		sim_answer_error(a, 400, "PARAM_ERROR", "offset 或 limit 取值错误");
		return -1;
	}
	return 0;
}

/* The batch's own fields with its success and failure sums. */
static void
batch_fields_json(struct sim *s, const struct sim_batch *bt, cJSON *b)
{
	int64_t ok_amt = 0, fail_amt = 0;
	long ok = 0, fail = 0;
	size_t i;

	for (i = 0; i < bt->ndetails; i++) {
		if (bt->details[i]->state == SIM_SUCCESS) {
			ok++;
			ok_amt += bt->details[i]->amount;
		} else if (bt->details[i]->state == SIM_FAIL) {
			fail++;
			fail_amt += bt->details[i]->amount;
		}
	}
	cJSON_AddStringToObject(b, "mchid", s->cfg.mchid);
	cJSON_AddStringToObject(b, "out_batch_no", bt->out_batch_no);
	cJSON_AddStringToObject(b, "batch_id", bt->batch_id);
	cJSON_AddStringToObject(b, "appid", bt->appid);
	cJSON_AddStringToObject(b, "batch_status", bt->state);
	cJSON_AddStringToObject(b, "batch_type", "API");
	cJSON_AddStringToObject(b, "batch_name", bt->name);
	cJSON_AddStringToObject(b, "batch_remark", bt->remark);
	sim_json_add_i64(b, "total_amount", bt->total_amount);
	cJSON_AddNumberToObject(b, "total_num", bt->total_num);
	sim_json_add_time(b, "create_time", bt->create_time);
	sim_json_add_time(b, "update_time", bt->update_time);
	sim_json_add_i64(b, "success_amount", ok_amt);
	cJSON_AddNumberToObject(b, "success_num", (double)ok);
	sim_json_add_i64(b, "fail_amount", fail_amt);
	cJSON_AddNumberToObject(b, "fail_num", (double)fail);
	cJSON_AddStringToObject(b, "transfer_scene_id", bt->scene);
}

/* The batch query's answer, lock held. */
static void
batch_answer(struct sim *s, const struct sim_batch *bt, const char *query,
    struct sim_answer *a)
{
	struct batch_page pg;
	cJSON *o, *list;
	long k = 0;
	size_t i;

	if (page_read(query, &pg, a) != 0)
		return;
	o = cJSON_CreateObject();
	batch_fields_json(s, bt, cJSON_AddObjectToObject(o,
	    "transfer_batch"));
	if (pg.details) {
		list = cJSON_AddArrayToObject(o, "transfer_detail_list");
		for (i = 0; i < bt->ndetails; i++) {
			const struct sim_bill *d = bt->details[i];
			cJSON *c;

			if (strcmp(pg.status, "ALL") != 0 &&
			    strcmp(pg.status, detail_state_name(d)) != 0)
				continue;
			if (k++ < pg.offset || k > pg.offset + pg.limit)
				continue;
			c = cJSON_CreateObject();
			cJSON_AddStringToObject(c, "detail_id", d->bill_no);
			cJSON_AddStringToObject(c, "out_detail_no", d->out_no);
			cJSON_AddStringToObject(c, "detail_status",
			    detail_state_name(d));
			cJSON_AddItemToArray(list, c);
		}
	}
	sim_answer_obj(a, 200, o);
}

/* The detail a query path names within bt, or NULL; lock held. */
static struct sim_bill *
detail_find(struct sim *s, struct sim_batch *bt, int by_out,
    const char *tail)
{
	struct sim_bill *d = NULL;
	size_t i;

	if (by_out && strncmp(tail, "details/out-detail-no/", 22) == 0) {
		for (i = 0; i < bt->ndetails; i++)
			if (strcmp(bt->details[i]->out_no, tail + 22) == 0)
				d = bt->details[i];
	} else if (!by_out && strncmp(tail, "details/detail-id/", 18) == 0) {
		d = sim_map_get(&s->by_detail_id, tail + 18);
		if (d != NULL && d->batch != bt)
			d = NULL;
	}
	return d;
}

void
sim_batch_query(struct sim *s, const struct sim_request *rq,
    const char *rest, struct sim_answer *a)
{
	char buf[160], *id, *tail, *name = NULL;
	int by_out;
	struct sim_batch *bt;
	struct sim_bill *d;
	cJSON *o = NULL;

	if (strcmp(rq->method, "GET") != 0) {
		sim_answer_method(a, "GET");
		return;
	}
	if (!s->cfg.products_batches) {
		sim_answer_error(a, 403, "NO_AUTH", "当前商户号接入升级版本功能，"
		    "暂不支持使用升级前功能，请使用升级后功能");
		return;
	}
	sim_answer_v3_code(a, "NOT_FOUND");
	if (strlen(rest) >= sizeof buf)
		return;
	snprintf(buf, sizeof buf, "%s", rest);
	if (strncmp(buf, "out-batch-no/", 13) == 0)
		by_out = 1, id = buf + 13;
	else if (strncmp(buf, "batch-id/", 9) == 0)
		by_out = 0, id = buf + 9;
	else
		return;
	if ((tail = strchr(id, '/')) != NULL)
		*tail++ = '\0';
	pthread_mutex_lock(&s->lock);
	bt = sim_map_get(by_out ? &s->by_out_batch : &s->by_batch_id, id);
	if (bt != NULL && tail == NULL)
		batch_answer(s, bt, rq->query, a);
	else if (bt != NULL && (d = detail_find(s, bt, by_out, tail)) != NULL)
		o = detail_json(s, d, &name);
	pthread_mutex_unlock(&s->lock);
	if (o != NULL) {
		sim_answer_add_name(s, o, name);
		sim_answer_obj(a, 200, o);
	}
}
