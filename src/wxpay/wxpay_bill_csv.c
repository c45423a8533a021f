/*
 * Reading a fund-flow bill file (docs/wxpay-api.md, "Fund-flow bill: file
 * format"): a CSV of two parts, the lines and a summary, every value led by
 * a backtick.  The file is what reconciliation trusts once its SHA1
 * matched, so nothing in it is guessed: a field that is not what the
 * format says stops the whole file, naming its line and column, and the
 * summary must agree with the lines to the fen.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_money.h"
#include "ld_utf8.h"
#include "wxpay_bill.h"
#include "wxpay_int.h"

/* No value of the format comes near it; a longer one is not the format. */
#define FIELD_MAX	1024
/* More fields than any part has: the record is not the format. */
#define FIELDS_MAX	16

enum {
	C_BOOKED, C_WECHAT_NO, C_FLOW_NO, C_BIZ_NAME, C_BIZ_TYPE, C_DIRECTION,
	C_AMOUNT, C_BALANCE, C_SUBMITTER, C_REMARK, C_VOUCHER, NCOLS
};

static const char *const cols[NCOLS] = { "记账时间", "微信支付业务单号",
	"资金流水单号", "业务名称", "业务类型", "收支类型", "收支金额(元)",
	"账户结余(元)", "资金变更提交申请人", "备注", "业务凭证号" };

enum { S_TOTAL, S_IN_COUNT, S_IN_FEN, S_OUT_COUNT, S_OUT_FEN, NSUM };

static const char *const sums[NSUM] = { "资金流水总笔数", "收入笔数",
	"收入金额", "支出笔数", "支出金额" };

/* One record: its fields unquoted, each NUL-terminated. */
struct rec {
	unsigned long line;
	size_t n;
	char *f[FIELDS_MAX];
	size_t len[FIELDS_MAX];
	int quoted_empty;	/* a lone "" is a value, not a blank line */
};

struct reader {
	const char *p, *end;
	unsigned long line;
};

static void
rec_clear(struct rec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->f[i]);
	memset(r, 0, sizeof *r);
}

/* A value for a message: bounded, printable, never the raw bytes. */
static const char *
shown(const char *v, char out[64])
{
	wx_text_copy(out, 64, v);
	return out;
}

static enum ld_status
field_end(struct reader *rd, struct rec *r, struct ld_buf *b,
    struct ld_err *err)
{
	if (r->n == FIELDS_MAX) {
		ld_buf_free(b);
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu: "
		    "more than %d fields", r->line, FIELDS_MAX);
	}
	(void)rd;
	r->f[r->n] = b->data != NULL ? ld_buf_steal(b, &r->len[r->n]) :
	    ld_strdup("");
	r->n++;
	return LD_OK;
}

/*
 * Reads one record (RFC 4180, CRLF or LF).  LD_OK with r->n > 0, or
 * r->n == 0 at the end of the data.
 */
static enum ld_status
rec_read(struct reader *rd, struct rec *r, struct ld_err *err)
{
	struct ld_buf b;

	memset(r, 0, sizeof *r);
	if (rd->p == rd->end)
		return LD_OK;
	r->line = rd->line;
	for (;;) {
		int quoted = rd->p < rd->end && *rd->p == '"';

		/* Bounded here so that a huge field stops at once. */
		ld_buf_init(&b, FIELD_MAX);
		if (quoted) {
			rd->p++;
			for (;;) {
				if (rd->p == rd->end) {
					ld_buf_free(&b);
					return ld_err_set(err, LD_EPROTO,
					    "fund-flow bill line %lu, field "
					    "%zu: a quoted value is not "
					    "closed", r->line, r->n + 1);
				}
				if (*rd->p == '"') {
					if (rd->end - rd->p > 1 &&
					    rd->p[1] == '"') {
						rd->p += 2;
						if (ld_buf_append(&b, "\"", 1)
						    != LD_OK)
							goto too_long;
						continue;
					}
					rd->p++;
					break;
				}
				if (*rd->p == '\n')
					rd->line++;
				if (ld_buf_append(&b, rd->p, 1) != LD_OK)
					goto too_long;
				rd->p++;
			}
			if (r->n == 0 && b.len == 0)
				r->quoted_empty = 1;
		} else {
			while (rd->p < rd->end && *rd->p != ',' &&
			    *rd->p != '\r' && *rd->p != '\n') {
				if (*rd->p == '"') {
					ld_buf_free(&b);
					return ld_err_set(err, LD_EPROTO,
					    "fund-flow bill line %lu, field "
					    "%zu: a quote inside a value that "
					    "is not quoted", r->line,
					    r->n + 1);
				}
				if (ld_buf_append(&b, rd->p, 1) != LD_OK)
					goto too_long;
				rd->p++;
			}
		}
		if (field_end(rd, r, &b, err) != LD_OK)
			return LD_EPROTO;
		if (rd->p == rd->end)
			return LD_OK;
		if (*rd->p == ',') {
			rd->p++;
			continue;
		}
		if (*rd->p == '\n' || (*rd->p == '\r' &&
		    rd->end - rd->p > 1 && rd->p[1] == '\n')) {
			rd->p += *rd->p == '\r' ? 2 : 1;
			rd->line++;
			return LD_OK;
		}
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu, "
		    "field %zu: %s", rd->line, r->n, *rd->p == '\r' ?
		    "a carriage return not followed by a line feed" :
		    "something after the closing quote");
	}
too_long:
	ld_buf_free(&b);
	return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu, field "
	    "%zu: longer than %d bytes", r->line, r->n + 1, FIELD_MAX);
}

static int
rec_blank(const struct rec *r)
{
	return r->n == 1 && r->len[0] == 0 && !r->quoted_empty;
}

/* The next record that is not a blank line; r->n == 0 at the end. */
static enum ld_status
rec_next(struct reader *rd, struct rec *r, struct ld_err *err)
{
	for (;;) {
		rec_clear(r);
		if (rec_read(rd, r, err) != LD_OK) {
			rec_clear(r);
			return LD_EPROTO;
		}
		if (r->n == 0 || !rec_blank(r))
			return LD_OK;
	}
}

/*
 * A header name as the format writes it: without a leading backtick and
 * with full-width parentheses as ASCII ones, so "`收支金额（元）" is
 * "收支金额(元)".
 */
static int
name_is(const char *got, size_t len, const char *want)
{
	char norm[FIELD_MAX + 1];
	size_t i, o = 0;

	if (len > 0 && got[0] == '`')
		got++, len--;
	for (i = 0; i < len && o < FIELD_MAX; ) {
		if (len - i >= 3 && memcmp(got + i, "\xef\xbc\x88", 3) == 0) {
			norm[o++] = '(';
			i += 3;
		} else if (len - i >= 3 &&
		    memcmp(got + i, "\xef\xbc\x89", 3) == 0) {
			norm[o++] = ')';
			i += 3;
		} else
			norm[o++] = got[i++];
	}
	norm[o] = '\0';
	return i == len && strcmp(norm, want) == 0;
}

static enum ld_status
header_check(const struct rec *r, const char *const *names, size_t n,
    const char *what, struct ld_err *err)
{
	char buf[64];
	size_t i;

	if (r->n != n)
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu: "
		    "the %s header has %zu fields, not %zu", r->line, what,
		    r->n, n);
	for (i = 0; i < n; i++)
		if (!name_is(r->f[i], r->len[i], names[i]))
			return ld_err_set(err, LD_EPROTO, "fund-flow bill "
			    "line %lu: the %s header's field %zu is \"%s\", "
			    "not %s", r->line, what, i + 1,
			    shown(r->f[i], buf), names[i]);
	return LD_OK;
}

/*
 * A value without its backtick, checked as text: UTF-8, no control
 * characters (line ends and tabs allowed where multiline says so).
 */
static enum ld_status
value_of(const struct rec *r, size_t i, const char *name, int multiline,
    const char **v, size_t *len, struct ld_err *err)
{
	const char *s = r->f[i];
	size_t n = r->len[i], at, k;
	enum ld_utf8_status st;

	if (n > 0 && s[0] != '`')
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu, "
		    "%s: the value does not start with a backtick", r->line,
		    name);
	if (n > 0)
		s++, n--;
	st = ld_utf8_check(s, n, multiline ? 0 : LD_UTF8_NO_CONTROL, NULL,
	    &at);
	if (st == LD_UTF8_OK && multiline)
		for (k = 0; k < n; k++) {
			unsigned char ch = (unsigned char)s[k];

			if ((ch < 0x20 && ch != '\n' && ch != '\r' &&
			    ch != '\t') || ch == 0x7f) {
				st = LD_UTF8_CONTROL;
				at = k;
				break;
			}
		}
	if (st != LD_UTF8_OK)
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu, "
		    "%s: %s at byte %zu", r->line, name, ld_utf8_strerror(st),
		    at + 1);
	*v = s;
	*len = n;
	return LD_OK;
}

enum ld_status
wx_yuan_to_fen(const char *text, size_t len, int64_t *fen,
    struct ld_err *err)
{
	int64_t yuan = 0, frac = 0;
	size_t i = 0, nint = 0, nfrac = 0;

	*fen = 0;
	if (len == 0)
		return ld_err_set(err, LD_EINVAL, "empty");
	if (text[0] == '-' || text[0] == '+')
		return ld_err_set(err, LD_EINVAL, "has a sign");
	for (; i < len && text[i] >= '0' && text[i] <= '9'; i++, nint++) {
		if (yuan > LD_FEN_MAX / 100)
			return ld_err_set(err, LD_EINVAL, "is more than %lld "
			    "fen", (long long)LD_FEN_MAX);
		yuan = yuan * 10 + (text[i] - '0');
	}
	if (i < len && text[i] == '.') {
		for (i++; i < len && text[i] >= '0' && text[i] <= '9'; i++) {
			if (++nfrac > 2)
				return ld_err_set(err, LD_EINVAL, "has more "
				    "than two decimals (a fen is the "
				    "smallest unit)");
			frac = frac * 10 + (text[i] - '0');
		}
		if (nfrac == 0 && i == len)
			return ld_err_set(err, LD_EINVAL, "has no digits "
			    "after the dot");
	}
	if (i < len) {
		unsigned char ch = (unsigned char)text[i];

		if (ch > 0x20 && ch < 0x7f)
			return ld_err_set(err, LD_EINVAL, "has '%c' at "
			    "character %zu, where a digit or one dot "
			    "belongs", ch, i + 1);
		return ld_err_set(err, LD_EINVAL, "has byte 0x%02x at "
		    "character %zu, where a digit or one dot belongs", ch,
		    i + 1);
	}
	if (nint == 0)
		return ld_err_set(err, LD_EINVAL, "has no digits before the "
		    "dot");
	if (nfrac == 1)
		frac *= 10;
	if (yuan * 100 + frac > LD_FEN_MAX)
		return ld_err_set(err, LD_EINVAL, "is more than %lld fen",
		    (long long)LD_FEN_MAX);
	*fen = yuan * 100 + frac;
	return LD_OK;
}

static enum ld_status
amount_of(const struct rec *r, size_t i, const char *name, int64_t *fen,
    struct ld_err *err)
{
	struct ld_err e;
	const char *v;
	char buf[64];
	size_t n;

	if (value_of(r, i, name, 0, &v, &n, err) != LD_OK)
		return LD_EPROTO;
	ld_err_clear(&e);
	if (wx_yuan_to_fen(v, n, fen, &e) != LD_OK)
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu, "
		    "%s: \"%s\" %s", r->line, name, shown(v, buf), e.msg);
	return LD_OK;
}

/* A count: digits, or digits with a zero fraction ("20.0"). */
static enum ld_status
count_of(const struct rec *r, size_t i, const char *name, long *out,
    struct ld_err *err)
{
	const char *v;
	char buf[64];
	size_t n, k, digits;
	long c = 0;

	if (value_of(r, i, name, 0, &v, &n, err) != LD_OK)
		return LD_EPROTO;
	for (k = 0; k < n && v[k] >= '0' && v[k] <= '9'; k++) {
		if (c > 99999999)
			return ld_err_set(err, LD_EPROTO, "fund-flow bill line "
			    "%lu, %s: \"%s\" is not a count of lines",
			    r->line, name, shown(v, buf));
		c = c * 10 + (v[k] - '0');
	}
	digits = k;
	if (k < n && v[k] == '.') {
		for (k++; k < n && v[k] == '0'; k++)
			;
		if (v[k - 1] == '.')
			k = 0;	/* "20." */
	}
	if (digits == 0 || k != n)
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu, "
		    "%s: \"%s\" is not a count of lines", r->line, name,
		    shown(v, buf));
	*out = c;
	return LD_OK;
}

/* 记账时间: a Beijing time on a real day; on bill_date when one is given. */
static enum ld_status
booked_of(const struct rec *r, const char *bill_date, char out[20],
    struct ld_err *err)
{
	static const char pat[] = "dddd-dd-dd dd:dd:dd";
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	const char *v;
	char buf[64];
	size_t n, k;
	int y, mo, d, h, mi, s;

	if (value_of(r, C_BOOKED, cols[C_BOOKED], 0, &v, &n, err) != LD_OK)
		return LD_EPROTO;
	if (n != sizeof pat - 1)
		goto bad;
	for (k = 0; k < n; k++)
		if (pat[k] == 'd' ? v[k] < '0' || v[k] > '9' : v[k] != pat[k])
			goto bad;
#define NUM(a, w) (w == 4 ? (v[a] - '0') * 1000 + (v[a + 1] - '0') * 100 + \
	(v[a + 2] - '0') * 10 + (v[a + 3] - '0') : (v[a] - '0') * 10 + \
	(v[a + 1] - '0'))
	y = NUM(0, 4);
	mo = NUM(5, 2);
	d = NUM(8, 2);
	h = NUM(11, 2);
	mi = NUM(14, 2);
	s = NUM(17, 2);
#undef NUM
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 &&
	    d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) ||
	    h > 23 || mi > 59 || s > 59)
		goto bad;
	memcpy(out, v, n);
	out[n] = '\0';
	if (bill_date != NULL && strncmp(out, bill_date, 10) != 0)
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu, "
		    "%s: %s is not on the bill's day %s", r->line,
		    cols[C_BOOKED], out, bill_date);
	return LD_OK;
bad:
	return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu, %s: \"%s\" "
	    "is not a time YYYY-MM-DD HH:MM:SS", r->line, cols[C_BOOKED],
	    shown(v, buf));
}

/* A text column into *out (owned); required ones may not be empty. */
static enum ld_status
text_of(const struct rec *r, size_t i, int required, char **out,
    struct ld_err *err)
{
	const char *v;
	size_t n;

	if (value_of(r, i, cols[i], i == C_REMARK, &v, &n, err) != LD_OK)
		return LD_EPROTO;
	if (required && n == 0)
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu, "
		    "%s: empty", r->line, cols[i]);
	*out = ld_strndup(v, n);
	return LD_OK;
}

static enum ld_status
line_of(const struct rec *r, const char *bill_date,
    struct wx_fundflow_line *l, struct ld_err *err)
{
	const char *v;
	char buf[64];
	size_t n;

	memset(l, 0, sizeof *l);
	l->line = r->line;
	if (r->n != NCOLS)
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu: "
		    "%zu fields, not the header's %d", r->line, r->n, NCOLS);
	if (booked_of(r, bill_date, l->booked_at, err) != LD_OK ||
	    text_of(r, C_WECHAT_NO, 1, &l->wechat_no, err) != LD_OK ||
	    text_of(r, C_FLOW_NO, 1, &l->flow_no, err) != LD_OK ||
	    text_of(r, C_BIZ_NAME, 0, &l->business_name, err) != LD_OK ||
	    text_of(r, C_BIZ_TYPE, 0, &l->business_type, err) != LD_OK ||
	    value_of(r, C_DIRECTION, cols[C_DIRECTION], 0, &v, &n, err) !=
	    LD_OK)
		return LD_EPROTO;
	if (n == strlen("支出") && memcmp(v, "支出", n) == 0)
		l->out = 1;
	else if (n == strlen("收入") && memcmp(v, "收入", n) == 0)
		l->out = 0;
	else
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu, "
		    "%s: \"%s\" is neither 收入 nor 支出", r->line,
		    cols[C_DIRECTION], shown(v, buf));
	if (amount_of(r, C_AMOUNT, cols[C_AMOUNT], &l->amount_fen, err) !=
	    LD_OK || amount_of(r, C_BALANCE, cols[C_BALANCE],
	    &l->balance_fen, err) != LD_OK ||
	    text_of(r, C_SUBMITTER, 0, &l->submitter, err) != LD_OK ||
	    text_of(r, C_REMARK, 0, &l->remark, err) != LD_OK ||
	    text_of(r, C_VOUCHER, 0, &l->voucher_no, err) != LD_OK)
		return LD_EPROTO;
	return LD_OK;
}

static void
line_free(struct wx_fundflow_line *l)
{
	free(l->wechat_no);
	free(l->flow_no);
	free(l->business_name);
	free(l->business_type);
	free(l->submitter);
	free(l->remark);
	free(l->voucher_no);
	memset(l, 0, sizeof *l);
}

void
wx_fundflow_free(struct wx_fundflow *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		line_free(&f->lines[i]);
	free(f->lines);
	memset(f, 0, sizeof *f);
}

static enum ld_status
add_fen(int64_t *sum, int64_t v, unsigned long line, struct ld_err *err)
{
	if (*sum > INT64_MAX - v)
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu: "
		    "the amounts' sum overflows", line);
	*sum += v;
	return LD_OK;
}

/* The summary line against what the lines add up to. */
static enum ld_status
summary_check(const struct rec *r, struct wx_fundflow *f, struct ld_err *err)
{
	long n_in = 0, n_out = 0;
	int64_t in = 0, out = 0;
	size_t i;
	char a[32], b[32];

	if (r->n != NSUM)
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu: "
		    "the summary has %zu fields, not %d", r->line, r->n, NSUM);
	if (count_of(r, S_TOTAL, sums[S_TOTAL], &f->total_count, err) !=
	    LD_OK || count_of(r, S_IN_COUNT, sums[S_IN_COUNT], &f->in_count,
	    err) != LD_OK || amount_of(r, S_IN_FEN, sums[S_IN_FEN], &f->in_fen,
	    err) != LD_OK || count_of(r, S_OUT_COUNT, sums[S_OUT_COUNT],
	    &f->out_count, err) != LD_OK || amount_of(r, S_OUT_FEN,
	    sums[S_OUT_FEN], &f->out_fen, err) != LD_OK)
		return LD_EPROTO;
	for (i = 0; i < f->n; i++) {
		const struct wx_fundflow_line *l = &f->lines[i];

		if (add_fen(l->out ? &out : &in, l->amount_fen, l->line,
		    err) != LD_OK)
			return LD_EPROTO;
		if (l->out)
			n_out++;
		else
			n_in++;
	}
	if ((size_t)f->total_count != f->n)
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu, "
		    "%s: %ld, but the bill has %zu lines", r->line,
		    sums[S_TOTAL], f->total_count, f->n);
	if (f->in_count != n_in)
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu, "
		    "%s: %ld, but %ld lines are 收入", r->line,
		    sums[S_IN_COUNT], f->in_count, n_in);
	if (f->out_count != n_out)
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu, "
		    "%s: %ld, but %ld lines are 支出", r->line,
		    sums[S_OUT_COUNT], f->out_count, n_out);
	if (f->in_fen != in || f->out_fen != out) {
		int which = f->in_fen != in ? S_IN_FEN : S_OUT_FEN;

		ld_money_format(which == S_IN_FEN ? f->in_fen : f->out_fen, 0,
		    a, sizeof a);
		ld_money_format(which == S_IN_FEN ? in : out, 0, b, sizeof b);
		return ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu, "
		    "%s: %s yuan, but its lines add up to %s", r->line,
		    sums[which], a, b);
	}
	return LD_OK;
}

enum ld_status
wx_fundflow_parse(const char *data, size_t len, const char *bill_date,
    struct wx_fundflow *out, struct ld_err *err)
{
	struct reader rd = { data, data + len, 1 };
	struct wx_fundflow f;
	struct rec r;
	size_t cap = 0;
	enum ld_status st = LD_EPROTO;

	memset(out, 0, sizeof *out);
	memset(&f, 0, sizeof f);
	memset(&r, 0, sizeof r);
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		rd.p += 3;
	if (rec_next(&rd, &r, err) != LD_OK)
		goto out;
	if (r.n == 0) {
		ld_err_set(err, LD_EPROTO, "fund-flow bill: empty file");
		goto out;
	}
	if (header_check(&r, cols, NCOLS, "detail", err) != LD_OK)
		goto out;
	for (;;) {
		if (rec_next(&rd, &r, err) != LD_OK)
			goto out;
		if (r.n == 0) {
			ld_err_set(err, LD_EPROTO, "fund-flow bill: no "
			    "summary (%s ...) after line %lu: the file is cut "
			    "short", sums[S_TOTAL], rd.line - 1);
			goto out;
		}
		if (name_is(r.f[0], r.len[0], sums[S_TOTAL]))
			break;
		if (f.n == cap) {
			cap = cap ? 2 * cap : 64;
			f.lines = ld_reallocarray(f.lines, cap,
			    sizeof *f.lines);
		}
		if (line_of(&r, bill_date, &f.lines[f.n], err) != LD_OK) {
			line_free(&f.lines[f.n]);
			goto out;
		}
		f.n++;
	}
	if (header_check(&r, sums, NSUM, "summary", err) != LD_OK ||
	    rec_next(&rd, &r, err) != LD_OK)
		goto out;
	if (r.n == 0) {
		ld_err_set(err, LD_EPROTO, "fund-flow bill: the summary "
		    "header has no line of figures after it");
		goto out;
	}
	if (summary_check(&r, &f, err) != LD_OK ||
	    rec_next(&rd, &r, err) != LD_OK)
		goto out;
	if (r.n != 0) {
		ld_err_set(err, LD_EPROTO, "fund-flow bill line %lu: nothing "
		    "may follow the summary", r.line);
		goto out;
	}
	*out = f;
	memset(&f, 0, sizeof f);
	st = LD_OK;
out:
	rec_clear(&r);
	wx_fundflow_free(&f);
	return st;
}
