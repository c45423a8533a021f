/*
 * The fund-flow bill (资金账单), what a merchant reconciles against every
 * morning: GET /v3/bill/fundflowbill answers {hash_type, hash_value,
 * download_url} (pay.weixin.qq.com doc 4012556742) and a signed GET of
 * download_url answers the file itself, unsigned, its integrity being the
 * SHA1 given before (doc 4013071254).
 *
 * The file is CSV in UTF-8 with CRLF line ends: a header, one line per
 * movement of the account that day (Beijing time), every value led by a
 * backtick so a spreadsheet keeps long numbers whole, then a summary
 * header and its line.  Amounts are yuan with two decimals, written from
 * integer fen.  A value holding a comma, a quote or a line end is quoted
 * as RFC 4180 says, backtick inside.  Here the movements are the
 * transfers that succeeded (支出), with their merchant number as the
 * business voucher number, and the mismatches injected by
 * POST /__sim/ledger/mismatch.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "sim_api.h"

/* Bills of up to three months back are served. */
#define FUNDFLOW_MAX_AGE_DAYS	92
/* A day's bill is made from 09:00 Beijing time the day after. */
#define FUNDFLOW_READY_S	(9 * 3600)

static const char fundflow_header[] = "记账时间,微信支付业务单号,资金流水单号,"
    "业务名称,业务类型,收支类型,收支金额(元),账户结余(元),资金变更提交申请人,"
    "备注,业务凭证号";
static const char fundflow_summary[] = "资金流水总笔数,收入笔数,收入金额,支出笔数,"
    "支出金额";

/* One line of the file, as it will be written. */
struct flow_line {
	time_t at;
	size_t seq;		/* booking order, within a second too */
	const char *bill_no, *flow_no, *kind, *remark, *out_no;
	int64_t amount, balance;
};

/* "12.34" from 1234 fen: integer arithmetic only. */
static void
yuan(int64_t fen, char out[32])
{
	uint64_t m = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;

	snprintf(out, 32, "%s%" PRIu64 ".%02" PRIu64, fen < 0 ? "-" : "",
	    m / 100, m % 100);
}

/* Appends `value as one CSV field, quoted when it must be. */
static void
field(struct ld_buf *b, const char *value, int first)
{
	int quote = strpbrk(value, ",\"\r\n") != NULL;
	const char *p;

	if (!first)
		ld_buf_append(b, ",", 1);
	if (quote)
		ld_buf_append(b, "\"", 1);
	ld_buf_append(b, "`", 1);
	for (p = value; *p != '\0'; p++) {
		if (*p == '"')
			ld_buf_append(b, "\"", 1);
		ld_buf_append(b, p, 1);
	}
	if (quote)
		ld_buf_append(b, "\"", 1);
}

static const char *
kind_name(enum sim_kind k)
{
	return k == SIM_KIND_BILL ? "商家转账" : k == SIM_KIND_DETAIL ?
	    "商家转账到零钱" : "企业付款到零钱";
}

static void
line_write(struct ld_buf *b, const struct flow_line *l, const char *mchid)
{
	struct tm tm;
	time_t bj = l->at + 8 * 3600;
	char when[24], amt[32], bal[32];

	gmtime_r(&bj, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	yuan(l->amount, amt);
	yuan(l->balance, bal);
	field(b, when, 1);
	field(b, l->bill_no, 0);
	field(b, l->flow_no, 0);
	field(b, l->kind, 0);
	field(b, "转账", 0);
	field(b, "支出", 0);
	field(b, amt, 0);
	field(b, bal, 0);
	field(b, mchid, 0);
	field(b, l->remark, 0);
	field(b, l->out_no, 0);
	ld_buf_append(b, "\r\n", 2);
}

static const struct sim_mismatch *
mismatch_for(const struct sim *s, const char *out_no)
{
	size_t i;

	for (i = 0; i < s->nmismatches; i++)
		if (s->mismatches[i].kind != SIM_MISMATCH_ADD &&
		    strcmp(s->mismatches[i].out_no, out_no) == 0)
			return &s->mismatches[i];
	return NULL;
}

static int
line_cmp(const void *x, const void *y)
{
	const struct flow_line *a = x, *b = y;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The day's lines, the injected mismatches applied; lock held. */
static size_t
lines_collect(struct sim *s, long day, enum sim_account acc,
    struct flow_line **out)
{
	struct flow_line *l = ld_calloc(s->nflows + s->nmismatches + 1,
	    sizeof *l);
	size_t i, n = 0;

	for (i = 0; i < s->nflows; i++) {
		const struct sim_flow *f = &s->flows[i];
		const struct sim_mismatch *m;

		if (f->account != acc || sim_day(f->at) != day)
			continue;
		m = mismatch_for(s, f->bill->out_no);
		if (m != NULL && m->kind == SIM_MISMATCH_DROP)
			continue;
		l[n] = (struct flow_line){ f->at, n, f->bill->bill_no,
		    f->flow_no, kind_name(f->bill->kind), f->bill->remark,
		    f->bill->out_no, m != NULL ? m->amount : f->bill->amount,
		    f->balance_after };
		n++;
	}
	for (i = 0; i < s->nmismatches; i++) {
		const struct sim_mismatch *m = &s->mismatches[i];

		if (m->kind != SIM_MISMATCH_ADD || acc != s->payout_account ||
		    sim_day(m->at) != day)
			continue;
		l[n] = (struct flow_line){ m->at, n, m->bill_no, m->flow_no,
		    kind_name(SIM_KIND_BILL), "", m->out_no, m->amount,
		    m->balance_after };
		n++;
	}
	/* In booking order: by time, then as booked. */
	qsort(l, n, sizeof *l, line_cmp);
	*out = l;
	return n;
}

char *
sim_fundflow_csv(struct sim *s, long day, enum sim_account acc, size_t *len)
{
	struct flow_line *l;
	struct ld_buf b;
	char total[32], count[24];
	int64_t out_fen = 0;
	size_t n, i;

	n = lines_collect(s, day, acc, &l);
	if (n == 0) {
		free(l);
		return NULL;
	}
	/* Made here from bounded books: no limit to hit half way. */
	ld_buf_init(&b, 0);
	ld_buf_append(&b, fundflow_header, strlen(fundflow_header));
	ld_buf_append(&b, "\r\n", 2);
	for (i = 0; i < n; i++) {
		line_write(&b, &l[i], s->cfg.mchid);
		out_fen += l[i].amount;
	}
	ld_buf_append(&b, fundflow_summary, strlen(fundflow_summary));
	ld_buf_append(&b, "\r\n", 2);
	snprintf(count, sizeof count, "%zu", n);
	yuan(out_fen, total);
	field(&b, count, 1);
	field(&b, "0", 0);
	field(&b, "0.00", 0);
	field(&b, count, 0);
	field(&b, total, 0);
	ld_buf_append(&b, "\r\n", 2);
	free(l);
	return ld_buf_steal(&b, len);
}

/* Lower-case hex SHA1 of data. */
static void
sha1_hex(const char *data, size_t len, char out[41])
{
	unsigned char md[20];
	unsigned int mdlen = 0;
	size_t i;

	/* SHA1 in the default provider fails only for want of memory. */
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != 20)
		ld_out_of_memory("SHA1 of a fund-flow bill");
	for (i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Forgets downloads that expired; lock held. */
static void
downloads_prune(struct sim *s, int64_t now)
{
	size_t i, j;

	for (i = j = 0; i < s->ndownloads; i++) {
		if (s->downloads[i].expires_ms <= now) {
			free(s->downloads[i].content);
			continue;
		}
		s->downloads[j++] = s->downloads[i];
	}
	s->ndownloads = j;
}

/*
 * Which bill a request names: 0 with *day and *acc set, or -1 with the
 * answer filled.
 */
static int
apply_read(struct sim *s, const char *query, long *day, int *acc,
    struct sim_answer *a)
{
	char date[16], type[16], tar[16];
	time_t now = time(NULL);
	long today = sim_day(now);

	if (!sim_query_param(query, "bill_date", date, sizeof date) ||
	    (*day = sim_day_parse(date)) < 0) {
		sim_answer_error(a, 400, "PARAM_ERROR", "bill_date 必填，格式为 "
		    "yyyy-MM-DD");
		return -1;
	}
	*acc = SIM_BASIC;	/* the documented default */
	if (sim_query_param(query, "account_type", type, sizeof type) &&
	    (*acc = sim_account_parse(type)) < 0) {
		sim_answer_error(a, 400, "PARAM_ERROR", "account_type 取值为 "
		    "BASIC、OPERATION 或 FEES");
		return -1;
	}
	if (sim_query_param(query, "tar_type", tar, sizeof tar) ||
	    strncmp(query, "tar_type=", 9) == 0 ||
	    strstr(query, "&tar_type=") != NULL) {
		/* GZIP is documented; this simulator serves the plain file. */
		sim_answer_error(a, 400, "PARAM_ERROR", "tar_type: 本模拟器只提供"
		    "不压缩的账单，请不要传 tar_type");
		return -1;
	}
	if (*day > today || *day < today - FUNDFLOW_MAX_AGE_DAYS) {
		sim_answer_error(a, 400, "INVALID_REQUEST", "参数错误，请检查 "
		    "bill_date（仅支持三个月内的账单）");
		return -1;
	}
	if (!s->cfg.bill_same_day && sim_day(now - FUNDFLOW_READY_S) <= *day) {
		sim_answer_error(a, 400, "STATEMENT_CREATING", "账单生成中");
		return -1;
	}
	return 0;
}

void
sim_fundflow_apply(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	struct sim_download *d;
	char hash[41], *csv, *url;
	unsigned char raw[16];
	cJSON *o;
	size_t len, i;
	long day;
	int acc;

	if (strcmp(rq->method, "GET") != 0) {
		sim_answer_method(a, "GET");
		return;
	}
	if (apply_read(s, rq->query, &day, &acc, a) != 0)
		return;
	pthread_mutex_lock(&s->lock);
	downloads_prune(s, sim_now_ms());
	csv = sim_fundflow_csv(s, day, (enum sim_account)acc, &len);
	if (csv == NULL || s->ndownloads == SIM_MAX_DOWNLOADS ||
	    RAND_bytes(raw, sizeof raw) != 1) {
		pthread_mutex_unlock(&s->lock);
		if (csv == NULL)
			sim_answer_error(a, 400, "NO_STATEMENT_EXIST",
			    "请求的账单文件不存在");
		else
			sim_answer_v3_code(a, "FREQUENCY_LIMITED");
		free(csv);
		return;
	}
	d = &s->downloads[s->ndownloads++];
	for (i = 0; i < sizeof raw; i++)
		snprintf(d->token + 2 * i, 3, "%02x", raw[i]);
	d->content = csv;
	d->len = len;
	d->expires_ms = sim_now_ms() + s->cfg.bill_url_ttl_s * 1000;
	url = ld_asprintf("%s/v3/billdownload/file?token=%s", rq->base_url ?
	    rq->base_url : s->base_url, d->token);
	/* csv is the download's now, freed when it expires: hash it here. */
	sha1_hex(csv, len, hash);
	pthread_mutex_unlock(&s->lock);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "download_url", url);
	free(url);
	cJSON_AddStringToObject(o, "hash_type", "SHA1");
	cJSON_AddStringToObject(o, "hash_value", hash);
	sim_answer_obj(a, 200, o);
}

void
sim_fundflow_download(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	char token[48];
	char *body = NULL;
	size_t i, len = 0;

	if (strcmp(rq->method, "GET") != 0) {
		sim_answer_method(a, "GET");
		return;
	}
	if (!sim_query_param(rq->query, "token", token, sizeof token)) {
		sim_answer_error(a, 400, "PARAM_ERROR", "token 必填");
		return;
	}
	pthread_mutex_lock(&s->lock);
	downloads_prune(s, sim_now_ms());
	for (i = 0; i < s->ndownloads; i++)
		if (strcmp(s->downloads[i].token, token) == 0) {
			body = ld_malloc(s->downloads[i].len + 1);
			memcpy(body, s->downloads[i].content,
			    s->downloads[i].len + 1);
			len = s->downloads[i].len;
			/* A download altered on its way: one byte of the
			 * last line, so only its SHA1 tells. */
			if (len > 2 && sim_knob_fire(s,
			    &s->faults.bill_corrupt))
				body[len - 3] ^= 1;
		}
	pthread_mutex_unlock(&s->lock);
	if (body == NULL) {
		sim_answer_error(a, 400, "INVALID_REQUEST", "账单下载地址无效或已"
		    "过期，请重新申请账单");
		return;
	}
	free(a->body);
	a->status = 200;
	a->body = body;
	a->len = len;
	a->content_type = "text/csv; charset=utf-8";
	a->unsigned_body = 1;
}
