/*
 * WeChat Pay's fund-flow bill (资金账单): what moved through an account on
 * one Beijing day, the statement the payouts are reconciled against
 * (docs/wxpay-api.md, "Fund-flow bill").
 *
 *   wx_fundflow_apply      GET /v3/bill/fundflowbill, a signed answer
 *                          naming the file's SHA1 and where it is;
 *   wx_fundflow_download   a signed GET of that address; the file comes
 *                          back unsigned, so its SHA1 is all that vouches
 *                          for it, and a file whose SHA1 differs is
 *                          refused whole;
 *   wx_fundflow_parse      the file read into lines and its summary, every
 *                          amount from yuan text to fen exactly.
 *
 * Pure code: no database.  Public.
 */
#ifndef LD_WXPAY_BILL_H
#define LD_WXPAY_BILL_H

#include <stddef.h>
#include <stdint.h>

#include "ld_err.h"
#include "wxpay.h"

/* The largest bill file accepted: 64 MiB, some 300,000 lines. */
#define WX_FUNDFLOW_MAX_BYTES	(64u * 1024 * 1024)

/* What the apply answer said. */
enum wx_fundflow_state {
	WX_FUNDFLOW_READY,	/* ref holds the file's SHA1 and address */
	WX_FUNDFLOW_NONE,	/* NO_STATEMENT_EXIST: nothing moved that day */
	WX_FUNDFLOW_NOT_YET,	/* STATEMENT_CREATING: ask again later */
	WX_FUNDFLOW_REFUSED	/* another error answer: ans names it */
};

struct wx_fundflow_ref {
	char bill_date[11];	/* as asked, YYYY-MM-DD */
	char account_type[16];
	char hash_value[41];	/* lower-case hex SHA1 */
	char download_url[1024];
};

/*
 * GET /v3/bill/fundflowbill?bill_date=D&account_type=A, verified like every
 * answer.  bill_date is YYYY-MM-DD; account_type BASIC, OPERATION or FEES.
 * LD_OK with *state set when WeChat Pay answered (READY: ref filled, its
 * hash_type SHA1, its download_url on the client's base_url); otherwise the
 * client's returns (LD_ETIMEOUT, LD_ENET, LD_ECRYPTO, LD_EPROTO for an
 * answer not of the documented shape, LD_EINVAL refused locally).
 */
enum ld_status	wx_fundflow_apply(struct wx_client *c, const char *bill_date,
		    const char *account_type, struct wx_fundflow_ref *ref,
		    enum wx_fundflow_state *state, struct wx_answer *ans,
		    struct ld_err *err);

/*
 * A signed GET of ref->download_url.  On LD_OK *data (NUL-terminated, the
 * caller frees) holds the *len bytes of the file, whose SHA1 equals
 * ref->hash_value.  LD_ECRYPTO when it does not: *data is NULL and err
 * gives both hashes; nothing of such a file may be used.  An error
 * answer instead of the file (an address that expired) is LD_EPROTO
 * naming its status and code.  The transport's failures as
 * wx_fundflow_apply.  The file is not copied into ans->raw.
 */
enum ld_status	wx_fundflow_download(struct wx_client *c,
		    const struct wx_fundflow_ref *ref, char **data, size_t *len,
		    struct wx_answer *ans, struct ld_err *err);

/* Lower-case hex SHA1 of len bytes. */
void		wx_sha1_hex(const void *data, size_t len, char hex[41]);

/* One line of the detail part. */
struct wx_fundflow_line {
	unsigned long line;	/* where its record starts in the file */
	char booked_at[20];	/* 记账时间, "YYYY-MM-DD HH:MM:SS", Beijing */
	char *wechat_no;	/* 微信支付业务单号 */
	char *flow_no;		/* 资金流水单号 */
	char *business_name;	/* 业务名称 */
	char *business_type;	/* 业务类型 */
	int out;		/* 收支类型: 1 支出 (out), 0 收入 (in) */
	int64_t amount_fen;	/* 收支金额(元) */
	int64_t balance_fen;	/* 账户结余(元) */
	char *submitter;	/* 资金变更提交申请人 */
	char *remark;		/* 备注 */
	char *voucher_no;	/* 业务凭证号: our out_bill_no for a transfer;
				 * "" when the line has none */
};

struct wx_fundflow {
	struct wx_fundflow_line *lines;
	size_t n;
	/* The summary part, checked against the lines. */
	long total_count, in_count, out_count;
	int64_t in_fen, out_fen;
};

/*
 * Parses a fund-flow bill file: the detail header, the lines, the summary
 * header and its one line (docs/wxpay-api.md, "Fund-flow bill: file
 * format").  Accepted as WeChat Pay documents it and as the simulator
 * serves it: UTF-8 with or without a byte-order mark, CRLF or LF line
 * ends, header names with ASCII or full-width parentheses and with or
 * without a leading backtick, every value led by one backtick (an empty
 * field may lack it), values quoted as RFC 4180 says, counts written as
 * whole numbers or with a zero fraction (`20.0`), blank lines ignored.
 * Amounts are yuan with at most two decimals, no sign, no grouping, at most
 * LD_FEN_MAX fen.  When bill_date is not NULL every line must be booked on
 * that day.  The summary's counts and totals must equal the lines'.
 *
 * LD_OK fills *out (free with wx_fundflow_free); LD_EPROTO names the line
 * and the field at fault ("fund-flow bill line 7, 收支金额(元): ...") and
 * leaves *out empty.
 */
enum ld_status	wx_fundflow_parse(const char *data, size_t len,
		    const char *bill_date, struct wx_fundflow *out,
		    struct ld_err *err);
void		wx_fundflow_free(struct wx_fundflow *f);

/*
 * Yuan text ("12", "12.3", "12.34") to fen, exactly: digits, then at most
 * two decimals after one dot; nothing else, at most LD_FEN_MAX fen.
 * LD_EINVAL says what is wrong with it.
 */
enum ld_status	wx_yuan_to_fen(const char *text, size_t len, int64_t *fen,
		    struct ld_err *err);

#endif
