/*
 * Queries that know what they ask about: a found transfer must carry our
 * number, our amount and our openid, or the answer is not trusted
 * (docs/wxpay-api.md, "Transfer bills: query"); and a batch read whole,
 * each detail with its own outcome ("Batches: queries").
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "wxpay_int.h"

#define BATCH_PAGE 100

enum ld_status
wx_expect_check(const struct wx_expect *e, const char *out_no,
    int64_t amount_fen, const char *openid, struct wx_answer *ans,
    struct ld_err *err)
{
	char why[sizeof ans->message];

	why[0] = '\0';
	if (out_no != NULL && out_no[0] != '\0' && e->out_no != NULL &&
	    strcmp(out_no, e->out_no) != 0)
		snprintf(why, sizeof why, "answer names transfer %.40s, not "
		    "%.40s", out_no, e->out_no);
	else if (amount_fen >= 0 && amount_fen != e->amount_fen)
		snprintf(why, sizeof why, "answer names %" PRId64 " fen, not "
		    "the %" PRId64 " fen of %.40s", amount_fen, e->amount_fen,
		    e->out_no != NULL ? e->out_no : "the transfer");
	/* The openid itself stays out of the message, which is logged. */
	else if (openid != NULL && openid[0] != '\0' && e->openid != NULL &&
	    strcmp(openid, e->openid) != 0)
		snprintf(why, sizeof why, "answer names another payee (openid) "
		    "than %.40s's", e->out_no != NULL ? e->out_no :
		    "the transfer's");
	if (why[0] == '\0')
		return LD_OK;
	if (ans != NULL)
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    why);
	return ld_err_set(err, LD_EPROTO, "%s: untrusted answer: %s",
	    ans != NULL ? ans->path : "transfer", why);
}

/* Refuses a query for nothing in particular before anything is sent. */
static int
expect_ok(const struct wx_expect *e, struct ld_err *err)
{
	if (e == NULL || e->out_no == NULL || e->openid == NULL ||
	    e->amount_fen <= 0) {
		ld_err_set(err, LD_EINVAL, "a checked query needs the number, "
		    "a positive amount and the openid it expects");
		return 0;
	}
	return 1;
}

enum ld_status
wx_transfer_bill_query_expect(struct wx_client *c, const struct wx_expect *e,
    struct wx_transfer_bill *bill, struct wx_answer *ans, struct ld_err *err)
{
	enum ld_status st;

	if (!expect_ok(e, err)) {
		memset(bill, 0, sizeof *bill);
		bill->transfer_amount = -1;
		wx_ans_begin(ans, "GET", "/v3/fund-app/mch-transfer/"
		    "transfer-bills", NULL, 0);
		return wx_ans_local(ans, err);
	}
	st = wx_transfer_bill_query(c, e->out_no, bill, ans, err);
	if (st != LD_OK || bill->state[0] == '\0')
		return st;
	return wx_expect_check(e, bill->out_bill_no, bill->transfer_amount,
	    bill->openid, ans, err);
}

enum ld_status
wx_batch_detail_query_expect(struct wx_client *c, const char *out_batch_no,
    const struct wx_expect *e, struct wx_batch_detail *d,
    struct wx_answer *ans, struct ld_err *err)
{
	enum ld_status st;

	if (!expect_ok(e, err)) {
		memset(d, 0, sizeof *d);
		d->transfer_amount = -1;
		wx_ans_begin(ans, "GET", "/v3/transfer/batches", NULL, 0);
		return wx_ans_local(ans, err);
	}
	st = wx_batch_detail_query(c, 0, out_batch_no, e->out_no, d, ans,
	    err);
	if (st != LD_OK || d->detail_status[0] == '\0')
		return st;
	return wx_expect_check(e, d->out_detail_no, d->transfer_amount,
	    d->openid, ans, err);
}

enum ld_status
wx_v2_transfer_query_expect(struct wx_client *c, const struct wx_expect *e,
    struct wx_v2_transfer_info *t, struct wx_answer *ans, struct ld_err *err)
{
	enum ld_status st;

	if (!expect_ok(e, err)) {
		memset(t, 0, sizeof *t);
		t->payment_amount = -1;
		wx_ans_begin(ans, "POST", "/mmpaymkttransfers/gettransferinfo",
		    NULL, 0);
		return wx_ans_local(ans, err);
	}
	st = wx_v2_transfer_query(c, e->out_no, t, ans, err);
	if (st != LD_OK || t->status[0] == '\0')
		return st;
	return wx_expect_check(e, t->partner_trade_no, t->payment_amount,
	    t->openid, ans, err);
}

/* Appends page's details to all, refusing one already listed. */
static enum ld_status
batch_merge(struct wx_batch *all, struct wx_batch *page, struct ld_err *err)
{
	size_t i, j;

	for (i = 0; i < page->n_details; i++)
		for (j = 0; j < all->n_details; j++)
			if (strcmp(page->details[i].out_detail_no,
			    all->details[j].out_detail_no) == 0 ||
			    strcmp(page->details[i].detail_id,
			    all->details[j].detail_id) == 0)
				return ld_err_set(err, LD_EPROTO, "detail %s "
				    "listed on two pages",
				    page->details[i].out_detail_no);
	all->details = ld_reallocarray(all->details,
	    all->n_details + page->n_details + 1, sizeof *all->details);
	memcpy(all->details + all->n_details, page->details,
	    page->n_details * sizeof *page->details);
	all->n_details += page->n_details;
	/* The strings moved with the structs: the page owns nothing now. */
	free(page->details);
	page->details = NULL;
	page->n_details = 0;
	return LD_OK;
}

enum ld_status
wx_batch_query_all(struct wx_client *c, const char *out_batch_no,
    struct wx_batch *b, struct wx_answer *ans, struct ld_err *err)
{
	struct wx_batch page;
	struct ld_err perr;
	enum ld_status st;
	int offset = 0;

	memset(b, 0, sizeof *b);
	wx_batch_free(b);
	memset(&page, 0, sizeof page);
	memset(ans, 0, sizeof *ans);
	for (;;) {
		wx_answer_free(ans);
		st = wx_batch_query(c, 0, out_batch_no, 1, offset, BATCH_PAGE,
		    NULL, &page, ans, err);
		if (st != LD_OK || ans->cls == NULL ||
		    ans->cls->kind != WX_KIND_V3_BATCH_STATUS)
			break;
		if (offset == 0) {
			struct wx_batch_detail *keep = b->details;
			size_t nkeep = b->n_details;

			/* The head of the first page is the batch's. */
			*b = page;
			b->details = keep;
			b->n_details = nkeep;
		}
		ld_err_clear(&perr);
		if (batch_merge(b, &page, &perr) != LD_OK ||
		    (b->total_num >= 0 && (long)b->n_details > b->total_num)) {
			if (perr.code == LD_OK)
				ld_err_set(&perr, LD_EPROTO, "%zu details "
				    "listed for a batch of %ld", b->n_details,
				    b->total_num);
			wx_batch_free(&page);
			wx_ans_classify(ans, WX_KIND_TRANSPORT,
			    WX_CODE_BAD_ANSWER, perr.msg);
			return ld_err_set(err, LD_EPROTO, "%s: malformed "
			    "answer: %s", ans->path, perr.msg);
		}
		offset += BATCH_PAGE;
		/* A short page is the last one, whatever total_num says. */
		if ((b->total_num >= 0 && (long)b->n_details >= b->total_num) ||
		    offset > (int)b->n_details)
			break;
		wx_batch_free(&page);
	}
	wx_batch_free(&page);
	return st;
}
