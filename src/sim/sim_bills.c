/*
 * 商家转账 transfer bills: create (pay.weixin.qq.com doc 4012716434), query
 * by either number, cancel (doc 4012716458).  The merchant's out_bill_no
 * is the idempotency key: the same number with the same fields answers
 * the bill as it stands, with other fields it is refused.  The limits,
 * codes and messages are collected in docs/wxpay-api.md.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ld_alloc.h"
#include "sim_api.h"
#include "wxpay_crypto.h"

enum {
	B_APPID, B_OUT_NO, B_SCENE, B_OPENID, B_NAME, B_AMOUNT, B_REMARK,
	B_URL, B_PERCEPTION, B_NFIELDS
};

static const struct sim_field bill_fields[B_NFIELDS] = {
	[B_APPID] = { "appid", SIM_F_TEXT, 32, 1 },
	[B_OUT_NO] = { "out_bill_no", SIM_F_NO, 32, 1 },
	[B_SCENE] = { "transfer_scene_id", SIM_F_TEXT, 36, 1 },
	[B_OPENID] = { "openid", SIM_F_OPENID, 64, 1 },
	[B_NAME] = { "user_name", SIM_F_NAME, 2048, 0 },
	[B_AMOUNT] = { "transfer_amount", SIM_F_FEN, 0, 1 },
	[B_REMARK] = { "transfer_remark", SIM_F_TEXT, 32, 1 },
	[B_URL] = { "notify_url", SIM_F_URL, 256, 0 },
	[B_PERCEPTION] = { "user_recv_perception", SIM_F_TEXT, 64, 0 },
};

/*
 * The report infos each scene must carry, each exactly once and nothing
 * else (the transfer scenes of doc 4012716434).  A scene not listed here
 * is granted or refused by the configuration alone and takes any
 * well-formed list.
 */
#define SCENE_MAX_INFOS	3
static const struct {
	const char *scene;
	const char *types[SCENE_MAX_INFOS + 1];
} scene_infos[] = {
	{ "1000", { "活动名称", "奖励说明", NULL } },
	{ "1002", { "补贴类型", NULL } },
	{ "1004", { "保险产品备案编号", "保险名称", "保险操作单号", NULL } },
	{ "1005", { "岗位类型", "报酬说明", NULL } },
	{ "1009", { "采购商品名称", NULL } },
	{ "1010", { "回收商品名称", NULL } },
	{ "1011", { "赔付原因", NULL } },
	{ "1013", { "公益活动名称", "公益活动备案编号", NULL } },
};

/* A create request as read: the fields and the fingerprint. */
struct bill_in {
	struct sim_value v[B_NFIELDS];
	unsigned char fp[32];
};

/* PARAM_ERROR in WeChat's words for report infos, and what is wrong. */
static int __attribute__((format(printf, 2, 3)))
infos_refuse(struct sim_answer *a, const char *fmt, ...)
{
	char what[256], msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof msg, "需传入转账场景报备信息，请检查（%s）", what);
	sim_answer_field(a, 400, "PARAM_ERROR", msg,
	    "transfer_scene_report_infos");
	return -1;
}

static int
scene_index(const char *scene)
{
	size_t i;

	for (i = 0; i < sizeof scene_infos / sizeof scene_infos[0]; i++)
		if (strcmp(scene_infos[i].scene, scene) == 0)
			return (int)i;
	return -1;
}

/* After the list: each type the scene needs was there. */
static int
infos_complete(int sc, const int *seen, const char *scene,
    struct sim_answer *a)
{
	int k;

	for (k = 0; sc >= 0 && scene_infos[sc].types[k] != NULL; k++)
		if (!seen[k])
			return infos_refuse(a, "转账场景 %s 缺少“%s”", scene,
			    scene_infos[sc].types[k]);
	return 0;
}

/*
 * transfer_scene_report_infos: a list of {info_type, info_content}, the
 * types the scene names each once; added to the fingerprint in order.
 */
static int
infos_read(const cJSON *o, const char *scene, struct sim_fp *f,
    struct sim_answer *a)
{
	static const struct sim_field spec[2] = {
		{ "info_type", SIM_F_TEXT, 15, 1 },
		{ "info_content", SIM_F_TEXT, 32, 1 },
	};
	const cJSON *infos = cJSON_GetObjectItemCaseSensitive(o,
	    "transfer_scene_report_infos"), *it;
	int sc = scene_index(scene), seen[SCENE_MAX_INFOS] = { 0 };

	if (!cJSON_IsArray(infos) || cJSON_GetArraySize(infos) == 0)
		return infos_refuse(a, "transfer_scene_report_infos 缺失或为空");
	cJSON_ArrayForEach(it, infos) {
		struct sim_value v[2];
		int k;

		if (!cJSON_IsObject(it))
			return infos_refuse(a, "每一项应为 {info_type, "
			    "info_content}");
		if (sim_fields_read(NULL, NULL, it, spec, 2, v, f, a) != 0)
			return -1;
		if (sc < 0)
			continue;
		for (k = 0; scene_infos[sc].types[k] != NULL; k++)
			if (strcmp(scene_infos[sc].types[k], v[0].str) == 0)
				break;
		if (scene_infos[sc].types[k] == NULL)
			return infos_refuse(a, "转账场景 %s 不报备“%s”", scene,
			    v[0].str);
		if (seen[k]++)
			return infos_refuse(a, "“%s”报备了两次", v[0].str);
	}
	return infos_complete(sc, seen, scene, a);
}

/* Reads and checks a create request; 0, or -1 with the answer filled. */
static int
bill_read(struct sim *s, const struct sim_request *rq, struct bill_in *in,
    struct sim_answer *a)
{
	struct sim_fp f;
	cJSON *o;
	int rc = -1;

	if (sim_body_json(rq, &o, a) != 0)
		return -1;
	sim_fp_begin(&f);
	if (sim_fields_read(s, rq, o, bill_fields, B_NFIELDS, in->v, &f,
	    a) != 0)
		goto out;
	if (strcmp(in->v[B_APPID].str, s->cfg.appid) != 0) {
		sim_answer_error(a, 400, "INVALID_REQUEST",
		    "appid与商户号不匹配，请检查");
		goto out;
	}
	if (infos_read(o, in->v[B_SCENE].str, &f, a) != 0)
		goto out;
	rc = 0;
out:
	sim_fp_end(&f, in->fp);
	/* The strings point into o: keep what a bill needs as copies. */
	if (rc == 0) {
		size_t i;

		for (i = 0; i < B_NFIELDS; i++)
			if (in->v[i].str != NULL)
				in->v[i].str = ld_strdup(in->v[i].str);
	}
	cJSON_Delete(o);
	return rc;
}

static void
bill_in_free(struct bill_in *in)
{
	size_t i;

	for (i = 0; i < B_NFIELDS; i++)
		free((char *)in->v[i].str);
	sim_values_free(in->v, B_NFIELDS);
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
create_answer(const struct sim_bill *b)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "out_bill_no", b->out_no);
	cJSON_AddStringToObject(o, "transfer_bill_no", b->bill_no);
	sim_json_add_time(o, "create_time", b->create_time);
	cJSON_AddStringToObject(o, "state", sim_state_name(b->state));
	if (b->state == SIM_FAIL)
		cJSON_AddStringToObject(o, "fail_reason", b->fail_reason);
	if (b->state == SIM_WAIT_USER_CONFIRM && b->package_info != NULL)
		cJSON_AddStringToObject(o, "package_info", b->package_info);
	return o;
}

/*
 * What WeChat decides before it takes the money, lock held: 0 to go on
 * (*fail a fail_reason the bill will end with, or NULL; *ignore when the
 * user will never confirm), -1 with the answer filled.
 */
static int
bill_admit(struct sim *s, const struct bill_in *in, const char **fail,
    int *ignore, struct sim_answer *a)
{
	int64_t amount = in->v[B_AMOUNT].fen;
	const struct sim_rule *rule;

	*fail = NULL;
	*ignore = 0;
	if (!scene_allowed(s, in->v[B_SCENE].str)) {
		sim_answer_field(a, 400, "INVALID_REQUEST", "该转账场景未开通或不"
		    "可用，请检查 transfer_scene_id", "transfer_scene_id");
		return -1;
	}
	rule = sim_rule_match(s, "create", in->v[B_OPENID].str);
	if (rule != NULL && sim_answer_v3_code(a, rule->code))
		return -1;
	if (rule != NULL && strcmp(rule->code, "IGNORE") == 0)
		*ignore = 1;
	else if (rule != NULL)
		*fail = rule->code;
	if (amount < s->cfg.min_transfer_fen ||
	    amount > s->cfg.max_transfer_fen) {
		sim_answer_error(a, 400, "INVALID_REQUEST",
		    "超过单笔转账上下限，核实产品设置是否准确");
		return -1;
	}
	if (amount >= s->cfg.user_name_required_fen &&
	    in->v[B_NAME].plain == NULL) {
		sim_answer_field(a, 400, "PARAM_ERROR", "转账金额大于等于2000元时，"
		    "收款用户姓名必填", "user_name");
		return -1;
	}
	sim_merchant_today(s);
	if (s->merchant_day_fen + amount > s->cfg.merchant_daily_fen) {
		sim_answer_error(a, 400, "INVALID_REQUEST",
		    "超出商户单日转账额度，请核实产品设置是否准确");
		return -1;
	}
	if (s->avail[s->payout_account] < amount) {
		sim_answer_v3_code(a, "NOT_ENOUGH");
		return -1;
	}
	if (*fail == NULL && sim_user_get(s, in->v[B_OPENID].str)->day_fen +
	    amount > s->cfg.per_user_daily_fen)
		*fail = "DAY_RECEIVED_QUOTA_EXCEED";
	return 0;
}

/* The opaque string the confirm page takes, as WeChat's look. */
static char *
package_info(void)
{
	unsigned char raw[72];
	char *b64, *out;

	if (RAND_bytes(raw, sizeof raw) != 1)
		memset(raw, 0x42, sizeof raw);
	b64 = wx_b64_encode(raw, sizeof raw);
	out = ld_asprintf("ABBQO+oY%s", b64);
	free(b64);
	return out;
}

/* Makes, registers and holds the money for a bill; lock held. */
static struct sim_bill *
bill_make(struct sim *s, struct bill_in *in, const char *fail, int ignore)
{
	struct sim_bill *b = ld_calloc(1, sizeof *b);

	b->kind = SIM_KIND_BILL;
	snprintf(b->out_no, sizeof b->out_no, "%s", in->v[B_OUT_NO].str);
	sim_make_no(s, "1330000", b->bill_no, sizeof b->bill_no);
	snprintf(b->appid, sizeof b->appid, "%s", in->v[B_APPID].str);
	snprintf(b->openid, sizeof b->openid, "%s", in->v[B_OPENID].str);
	snprintf(b->scene, sizeof b->scene, "%s", in->v[B_SCENE].str);
	b->remark = ld_strdup(in->v[B_REMARK].str);
	b->notify_url = in->v[B_URL].str ? ld_strdup(in->v[B_URL].str) : NULL;
	b->user_name = in->v[B_NAME].plain;
	in->v[B_NAME].plain = NULL;
	b->amount = in->v[B_AMOUNT].fen;
	b->state = SIM_ACCEPTED;
	b->create_time = b->update_time = time(NULL);
	memcpy(b->fp, in->fp, sizeof b->fp);
	b->ignore = ignore;
	sim_bill_add(s, b);
	sim_bill_hold(s, b);
	if (fail != NULL) {
		sim_bill_set_state(s, b, SIM_FAIL, fail);
	} else {
		b->package_info = package_info();
		sim_bill_set_state(s, b, SIM_WAIT_USER_CONFIRM, NULL);
		sim_bill_await_user(s, b);
	}
	return b;
}

void
sim_bill_create(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	struct bill_in in;
	struct sim_bill *b;
	const char *fail;
	int ignore;

	if (!s->cfg.products_bills) {
		sim_answer_v3_code(a, "NO_AUTH");
		return;
	}
	memset(&in, 0, sizeof in);
	if (bill_read(s, rq, &in, a) != 0) {
		sim_values_free(in.v, B_NFIELDS);
		return;
	}
	pthread_mutex_lock(&s->lock);
	b = sim_map_get(&s->by_out_bill, in.v[B_OUT_NO].str);
	if (b != NULL) {
		if (memcmp(b->fp, in.fp, sizeof in.fp) == 0)
			sim_answer_obj(a, 200, create_answer(b));
		else
			sim_answer_error(a, 400, "INVALID_REQUEST",
			    "单号已存在但信息不一致，请查单后比较确认");
	} else if (bill_admit(s, &in, &fail, &ignore, a) == 0) {
		b = bill_make(s, &in, fail, ignore);
		sim_answer_obj(a, 200, create_answer(b));
		a->committed = 1;
	}
	pthread_mutex_unlock(&s->lock);
	bill_in_free(&in);
}

/*
 * The query answer, lock held; *name receives a copy of the payee's name
 * to encrypt to the merchant outside the lock.
 */
static cJSON *
query_answer(struct sim *s, const struct sim_bill *b, char **name)
{
	cJSON *o = cJSON_CreateObject();

	sim_json_add_time(o, "create_time", b->create_time);
	cJSON_AddStringToObject(o, "mch_id", s->cfg.mchid);
	cJSON_AddStringToObject(o, "out_bill_no", b->out_no);
	cJSON_AddStringToObject(o, "transfer_bill_no", b->bill_no);
	cJSON_AddStringToObject(o, "appid", b->appid);
	cJSON_AddStringToObject(o, "state", sim_state_name(b->state));
	sim_json_add_i64(o, "transfer_amount", b->amount);
	cJSON_AddStringToObject(o, "transfer_remark", b->remark);
	if (b->state == SIM_FAIL)
		cJSON_AddStringToObject(o, "fail_reason", b->fail_reason);
	cJSON_AddStringToObject(o, "openid", b->openid);
	sim_json_add_time(o, "update_time", b->update_time);
	*name = b->user_name != NULL ? ld_strdup(b->user_name) : NULL;
	return o;
}

/* Cancel, lock held: only before the user confirms. */
static void
bill_cancel(struct sim *s, struct sim_bill *b, struct sim_answer *a)
{
	cJSON *o;

	switch (b->state) {
	case SIM_ACCEPTED:
	case SIM_PROCESSING:
	case SIM_WAIT_USER_CONFIRM:
		sim_bill_set_state(s, b, SIM_CANCELING, NULL);
		if (s->cfg.cancel_ms == 0)
			sim_bill_set_state(s, b, SIM_CANCELLED, NULL);
		else
			sim_bill_schedule(s, b, sim_now_ms() +
			    s->cfg.cancel_ms);
		a->committed = 1;
		break;
	case SIM_CANCELING:
		/* Not terminal yet: asking again reports where it is. */
		break;
	default:
		/* A terminal bill, or one being paid (TRANSFERING). */
		sim_answer_error(a, 400, "INVALID_REQUEST",
		    "单据状态不允许撤销（用户已确认收款或单据已终结）");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "out_bill_no", b->out_no);
	cJSON_AddStringToObject(o, "transfer_bill_no", b->bill_no);
	cJSON_AddStringToObject(o, "state", sim_state_name(b->state));
	sim_json_add_time(o, "update_time", b->update_time);
	sim_answer_obj(a, 200, o);
}

void
sim_bill_by_number(struct sim *s, const struct sim_request *rq,
    const char *rest, int by_out, struct sim_answer *a)
{
	char no[72], *slash, *name = NULL;
	int cancel = 0;
	struct sim_bill *b;
	const struct sim_rule *rule;
	cJSON *o = NULL;

	if (strlen(rest) >= sizeof no) {
		sim_answer_v3_code(a, "NOT_FOUND");
		return;
	}
	snprintf(no, sizeof no, "%s", rest);
	if ((slash = strchr(no, '/')) != NULL) {
		if (!by_out || strcmp(slash, "/cancel") != 0) {
			sim_answer_error(a, 404, "NOT_FOUND", "请求的资源不存在");
			return;
		}
		*slash = '\0';
		cancel = 1;
	}
	if (strcmp(rq->method, cancel ? "POST" : "GET") != 0) {
		sim_answer_method(a, cancel ? "POST" : "GET");
		return;
	}
	pthread_mutex_lock(&s->lock);
	b = sim_map_get(by_out ? &s->by_out_bill : &s->by_bill_no, no);
	if (b == NULL) {
		/* An unknown bill is INVALID_REQUEST to cancel (doc
		 * 4012716458), NOT_FOUND to query. */
		if (cancel)
			sim_answer_error(a, 400, "INVALID_REQUEST",
			    "单号错误，请检查");
		else
			sim_answer_v3_code(a, "NOT_FOUND");
	} else {
		rule = sim_rule_match(s, cancel ? "cancel" : "query",
		    b->openid);
		/* An injected error code is the whole answer. */
		if (rule == NULL || !sim_answer_v3_code(a, rule->code)) {
			if (cancel)
				bill_cancel(s, b, a);
			else
				o = query_answer(s, b, &name);
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (o != NULL) {
		sim_answer_add_name(s, o, name);
		sim_answer_obj(a, 200, o);
	}
}
