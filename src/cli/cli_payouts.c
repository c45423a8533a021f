/*
 * loandesk payouts: the finance and on-call use cases for scripts, over
 * the same core functions as the console.  Text output is aligned for
 * people; --json is one document for scripts.  Amounts given are yuan
 * text, read to fen exactly; amounts shown in JSON are fen.
 *
 * Exit status (also in `loandesk payouts help`): 0 done, 1 a failure
 * (connection, an unexpected answer), 2 a usage error, 3 the database
 * refused (not allowed, the wrong state, a bad argument, a batch that is
 * not what was expected), 4 no such payout.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cli.h"
#include "core_payouts.h"
#include "core_session.h"
#include "ld_money.h"
#include "ui_text.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_REFUSED = 3,
	EXIT_NOT_FOUND = 4
};

static const char payouts_help[] =
    "usage: loandesk payouts SUBCOMMAND [ARGS]\n"
    "\n"
    "  list [--state S] [--mine] [--id N] [--oldest] [--after ID |\n"
    "       --before ID] [--limit N] [--json]\n"
    "                       payouts, newest first (--oldest: oldest first);\n"
    "                       --after/--before the id of a row shown: the\n"
    "                       next or the previous page; --mine: waiting for\n"
    "                       your approval; --id: a payout or an\n"
    "                       application's payout\n"
    "  show ID [--json]     the payout, its bills (package_info for the\n"
    "                       borrower's app), every attempt with the bodies\n"
    "                       as stored, approvals, review and timeline\n"
    "  approve ID [--note N] [--dry-run] [--json]\n"
    "  approve ID ID... --expect-count N --expect-total YUAN [--note N]\n"
    "                       approve one (--dry-run: the bills it will be\n"
    "                       split into and the four-eyes count, nothing\n"
    "                       done), or a batch: refused unless the database\n"
    "                       counts exactly N approvable payouts for exactly\n"
    "                       YUAN\n"
    "  hold ID --reason R   hold: nothing new is sent for it\n"
    "  release ID           lift a person's hold; send again the bills\n"
    "                       WeChat Pay refused\n"
    "  retry ID --note N [--dry-run]\n"
    "                       a failed payout's failed bills again, under new\n"
    "                       numbers (--dry-run: which go again, which never)\n"
    "  cancel ID --reason R cancel (refused while WeChat Pay may still pay)\n"
    "  escalate ID --to finance|oncall|admin --note N\n"
    "                       hand the payout's review to another group\n"
    "  pause --reason R     the kill switch: no new transfer starts\n"
    "  resume [--note N]    undo it\n"
    "  status [--json]      paid today against the daily limit, balance,\n"
    "                       channel, waiting for approval, alerts\n"
    "  incidents [--stuck-after SECONDS] [--limit N] [--json]\n"
    "                       failed payouts, stuck bills, the last hour,\n"
    "                       error codes, daemons, queue, balance\n"
    "\n"
    "Every action takes --json.  Times are ISO 8601 in the session's\n"
    "time zone; amounts in JSON are fen.\n"
    "\n"
    "exit status: 0 done; 1 failure (connection, unexpected answer);\n"
    "2 usage; 3 refused by the database (not allowed, wrong state, bad\n"
    "argument, a batch not as expected: the message says what differs);\n"
    "4 no such payout\n";

/* A session as the console's: lists read the replica when one is set. */
static struct core_session *
payouts_connect(struct cli_ctx *ctx)
{
	struct core_session *s;
	struct ld_err err;

	if (cli_config(ctx) != 0)
		return NULL;
	ld_err_clear(&err);
	s = core_session_new(ctx->cfg.database.conninfo,
	    ctx->cfg.database.read_conninfo, "loandesk");
	if (core_session_connect(s, &err) != LD_OK) {
		cli_error("%s", err.msg);
		core_session_free(s);
		return NULL;
	}
	return s;
}

static void
print_json(cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);

	if (text != NULL) {
		puts(text);
		free(text);
	}
	cJSON_Delete(doc);
}

/* A string, or null when empty. */
static void
add_str(cJSON *o, const char *key, const char *v)
{
	if (v != NULL && v[0] != '\0')
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

/* Fen and ids are integers below 2^53: exact as JSON numbers. */
static void
add_num(cJSON *o, const char *key, int64_t v)
{
	cJSON_AddNumberToObject(o, key, (double)v);
}

static void
add_num_or_null(cJSON *o, const char *key, int64_t v, int present)
{
	if (present)
		add_num(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static int
parse_id(const char *cmd, const char *what, const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = (s[0] >= '0' && s[0] <= '9') ? strtoll(s, &end, 10) : 0;
	if (errno != 0 || v < 1 || *end != '\0') {
		cli_error("payouts %s: %s \"%s\" is not a payout id", cmd, what,
		    s);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_count(const char *cmd, const char *opt, const char *s, long max,
    long *out)
{
	char *end;
	long v;

	errno = 0;
	v = (s[0] >= '0' && s[0] <= '9') ? strtol(s, &end, 10) : 0;
	if (errno != 0 || *end != '\0' || v < 1 || v > max) {
		cli_error("payouts %s: --%s \"%s\" is not 1..%ld", cmd, opt, s,
		    max);
		return -1;
	}
	*out = v;
	return 0;
}

/* A required text option: given, and not blank. */
static int
need_text(const char *cmd, const char *opt, const char *v)
{
	const char *p = v;

	while (p != NULL && (*p == ' ' || *p == '\t' || *p == '\n'))
		p++;
	if (p == NULL || *p == '\0') {
		cli_error("payouts %s: --%s is required (%s)", cmd, opt,
		    v == NULL ? "not given" : "blank");
		return -1;
	}
	return 0;
}

static int
exit_for(enum ld_status st)
{
	switch (st) {
	case LD_OK:
		return EXIT_OK;
	case LD_ENOTFOUND:
		return EXIT_NOT_FOUND;
	case LD_EPERM:
	case LD_ECONFLICT:
	case LD_EINVAL:
		return EXIT_REFUSED;
	default:
		return EXIT_FAIL;
	}
}

/*
 * An action's outcome: the words on stdout (or a JSON document), a
 * refusal on stderr with its SQLSTATE on a detail line.
 */
static int
report(int json, int64_t id, enum ld_status st,
    const struct core_payout_done *done, const struct ld_err *err)
{
	if (json) {
		cJSON *o = cJSON_CreateObject();

		if (id > 0)
			add_num(o, "payout_id", id);
		cJSON_AddBoolToObject(o, "ok", st == LD_OK);
		if (st == LD_OK) {
			cJSON_AddStringToObject(o, "result", done->result);
			cJSON_AddStringToObject(o, "message", done->words);
		} else {
			cJSON_AddStringToObject(o, "error", err->msg);
			add_str(o, "sqlstate", done->sqlstate);
		}
		print_json(o);
	} else if (st == LD_OK)
		printf("%s\n", done->words);
	if (st != LD_OK) {
		cli_error("%s", err->msg);
		if (done->sqlstate[0] != '\0')
			fprintf(stderr, "  (SQLSTATE %s)\n", done->sqlstate);
	}
	return exit_for(st);
}

static void
age_text(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, len, "%" PRId64 "d%" PRId64 "h", s / 86400,
		    s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%" PRId64 "h%" PRId64 "m", s / 3600,
		    s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRId64 "m", s / 60);
	else
		snprintf(buf, len, "%" PRId64 "s", s);
}

/* 1. list ---------------------------------------------------------------- */

static cJSON *
row_json(const struct core_payout_row *r)
{
	cJSON *o = cJSON_CreateObject(), *h;
	char approvals[32];

	add_num(o, "id", r->id);
	add_num(o, "application_id", r->application_id);
	cJSON_AddStringToObject(o, "name_masked", r->name);
	add_num(o, "amount_fen", r->amount_fen);
	cJSON_AddStringToObject(o, "state", r->state);
	cJSON_AddStringToObject(o, "requested_by", r->requested_by);
	cJSON_AddStringToObject(o, "requested_at", r->requested_at);
	add_num(o, "age_s", r->age_s);
	add_num(o, "approvals", r->approvals);
	add_num(o, "approvals_needed", r->approvals_needed);
	snprintf(approvals, sizeof approvals, "%d of %d", r->approvals,
	    r->approvals_needed);
	cJSON_AddStringToObject(o, "approvals_text", approvals);
	add_str(o, "approvers", r->approvers);
	add_num(o, "paid_fen", r->paid_fen);
	if (r->held_by[0] != '\0') {
		h = cJSON_AddObjectToObject(o, "hold");
		cJSON_AddStringToObject(h, "by", r->held_by);
		cJSON_AddStringToObject(h, "reason", r->hold_reason);
	} else
		cJSON_AddNullToObject(o, "hold");
	add_str(o, "bill_holds", r->bill_holds);
	if (r->review_id != 0) {
		h = cJSON_AddObjectToObject(o, "review");
		add_num(h, "id", r->review_id);
		cJSON_AddStringToObject(h, "reason", r->review_reason);
		add_str(h, "assignee", r->review_assignee);
	} else
		cJSON_AddNullToObject(o, "review");
	return o;
}

static int
payouts_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 's' },
		{ "mine", no_argument, NULL, 'm' },
		{ "id", required_argument, NULL, 'i' },
		{ "oldest", no_argument, NULL, 'o' },
		{ "after", required_argument, NULL, 'a' },
		{ "before", required_argument, NULL, 'b' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct core_payouts_filter f;
	struct core_payouts_page page;
	struct core_session *s;
	struct ld_err err;
	char cmd[64], money[40], name[128], age[16], hold[160];
	long limit = 50;
	int64_t after = 0, est = -1;
	int c, json = 0, oldest = 0, backward = 0, exact = 0, utf8;
	size_t i;

	setlocale(LC_CTYPE, "");
	utf8 = ui_text_utf8();
	core_payouts_filter_clear(&f);
	ld_err_clear(&err);
	/*
	 * 0, not 1: glibc then reads the options anew, in any order among
	 * the ids (main's "+" stopped at the first command word).
	 */
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 's':
			snprintf(cmd, sizeof cmd, "state %s", optarg);
			if (core_payouts_command(cmd, &f, NULL, &err) !=
			    LD_OK) {
				cli_error("payouts list: --%s", err.msg);
				return EXIT_USAGE;
			}
			break;
		case 'm':
			f.mine = 1;
			break;
		case 'i':
			if (parse_id("list", "--id", optarg, &f.id) != 0)
				return EXIT_USAGE;
			break;
		case 'o':
			oldest = 1;
			break;
		case 'a':
		case 'b':
			if (after != 0) {
				cli_error("payouts list: give --after or "
				    "--before once");
				return EXIT_USAGE;
			}
			if (parse_id("list", c == 'a' ? "--after" : "--before",
			    optarg, &after) != 0)
				return EXIT_USAGE;
			backward = c == 'b';
			break;
		case 'n':
			if (parse_count("list", "limit", optarg, 1000,
			    &limit) != 0)
				return EXIT_USAGE;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("payouts list: unexpected argument \"%s\"",
		    argv[optind]);
		return EXIT_USAGE;
	}
	if ((s = payouts_connect(ctx)) == NULL)
		return EXIT_FAIL;
	if (core_payouts_fetch(s, &f, oldest, after, backward, (size_t)limit,
	    &page, &err) != LD_OK ||
	    core_payouts_estimate(s, &f, &est, &exact, &err) != LD_OK) {
		cli_error("%s", err.msg);
		core_session_free(s);
		return exit_for(err.code) == EXIT_REFUSED ? EXIT_REFUSED :
		    EXIT_FAIL;
	}
	if (json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON *arr = cJSON_AddArrayToObject(doc, "payouts");

		for (i = 0; i < page.n; i++)
			cJSON_AddItemToArray(arr, row_json(&page.rows[i]));
		cJSON_AddBoolToObject(doc, "more", page.more);
		cJSON_AddStringToObject(doc, "order", oldest ? "oldest" :
		    "newest");
		add_num(doc, "estimate", est);
		cJSON_AddBoolToObject(doc, "estimate_exact", exact);
		/* Where the next and the previous page start. */
		add_num_or_null(doc, "next_after", page.n > 0 ?
		    page.rows[page.n - 1].id : 0, page.n > 0);
		add_num_or_null(doc, "previous_before", page.n > 0 ?
		    page.rows[0].id : 0, page.n > 0);
		print_json(doc);
	} else {
		printf("%8s %8s  %-12s %15s %-10s %-9s %6s  %-12s %s\n", "ID",
		    "APP", "NAME", "AMOUNT", "STATE", "APPROVALS", "AGE",
		    "REQUESTED BY", "HOLD / REVIEW");
		for (i = 0; i < page.n; i++) {
			const struct core_payout_row *r = &page.rows[i];
			char approvals[16];

			ld_money_format(r->amount_fen, 0, money, sizeof money);
			if (utf8)
				ui_text_fit(r->name, 12, UI_LEFT, name,
				    sizeof name);
			else
				snprintf(name, sizeof name, "%-12s", r->name);
			age_text(r->age_s, age, sizeof age);
			snprintf(approvals, sizeof approvals, "%d of %d",
			    r->approvals, r->approvals_needed);
			if (r->held_by[0] != '\0')
				snprintf(hold, sizeof hold, "held by %s: %s",
				    r->held_by, r->hold_reason);
			else if (r->bill_holds[0] != '\0')
				snprintf(hold, sizeof hold, "bills held: %s",
				    r->bill_holds);
			else
				hold[0] = '\0';
			if (r->review_id != 0) {
				size_t k = strlen(hold);

				snprintf(hold + k, sizeof hold - k,
				    "%sreview %" PRId64 " %s", k ? "; " : "",
				    r->review_id, r->review_reason);
			}
			printf("%8" PRId64 " %8" PRId64 "  %s %15s %-10s %-9s "
			    "%6s  %-12s %s\n", r->id, r->application_id, name,
			    money, r->state, approvals, age, r->requested_by,
			    hold[0] ? hold : "-");
		}
		printf("(%zu shown of %s%" PRId64 ")%s\n", page.n,
		    exact ? "" : "about ", est, page.more ? page.n > 0 ?
		    " more: --after the last id" : " more" : "");
	}
	core_payouts_page_free(&page);
	core_session_free(s);
	return EXIT_OK;
}

/* 2. show ---------------------------------------------------------------- */

static cJSON *
detail_json(const struct core_payout_detail *d)
{
	cJSON *o = cJSON_CreateObject(), *p, *a, *e;
	size_t i;

	p = cJSON_AddObjectToObject(o, "payout");
	add_num(p, "id", d->id);
	add_num(p, "application_id", d->application_id);
	add_num(p, "applicant_id", d->applicant_id);
	cJSON_AddStringToObject(p, "name_masked", d->name);
	cJSON_AddStringToObject(p, "application_status", d->app_status);
	add_num(p, "amount_fen", d->amount_fen);
	add_num(p, "paid_fen", d->paid_fen);
	add_num(p, "in_flight_fen", d->in_flight_fen);
	add_num(p, "held_fen", d->held_fen);
	cJSON_AddStringToObject(p, "state", d->state);
	cJSON_AddStringToObject(p, "state_display", d->state_display);
	cJSON_AddStringToObject(p, "requested_by", d->requested_by);
	cJSON_AddStringToObject(p, "requested_at", d->requested_at);
	add_str(p, "approved_by", d->approved_by);
	add_str(p, "approved_at", d->approved_at);
	add_num(p, "approvals", d->approvals);
	add_num(p, "approvals_needed", d->approvals_needed);
	add_num(p, "generation", d->generation);
	add_str(p, "held_by", d->held_by);
	add_str(p, "held_at", d->held_at);
	add_str(p, "hold_reason", d->hold_reason);
	add_str(p, "cancel_requested_by", d->cancel_requested_by);
	add_str(p, "cancel_requested_at", d->cancel_requested_at);
	add_str(p, "cancel_reason", d->cancel_reason);
	add_str(p, "escalated_to", d->escalated_to);
	cJSON_AddStringToObject(p, "updated_at", d->updated_at);
	add_str(p, "finished_at", d->finished_at);
	add_num(p, "version", d->version);

	a = cJSON_AddArrayToObject(o, "bills");
	for (i = 0; i < d->nbills; i++) {
		const struct core_payout_bill *b = &d->bills[i];
		cJSON *pk;

		e = cJSON_CreateObject();
		add_num(e, "id", b->id);
		add_num(e, "seq", b->seq);
		add_num(e, "generation", b->generation);
		cJSON_AddStringToObject(e, "out_bill_no", b->out_bill_no);
		add_num(e, "amount_fen", b->amount_fen);
		cJSON_AddStringToObject(e, "state", b->state);
		cJSON_AddStringToObject(e, "state_display", b->state_display);
		cJSON_AddBoolToObject(e, "current", b->current);
		add_num_or_null(e, "replaces_bill_id", b->replaces_bill_id,
		    b->replaces_bill_id != 0);
		add_num_or_null(e, "replaced_by_bill_id",
		    b->replaced_by_bill_id, b->replaced_by_bill_id != 0);
		if (b->hold[0] != '\0') {
			cJSON *h = cJSON_AddObjectToObject(e, "hold");

			cJSON_AddStringToObject(h, "reason", b->hold);
			cJSON_AddStringToObject(h, "display", b->hold_display);
			cJSON_AddStringToObject(h, "released",
			    b->hold_released);
			add_str(h, "until", b->hold_until);
		} else
			cJSON_AddNullToObject(e, "hold");
		cJSON_AddStringToObject(e, "next_action", b->next_action);
		add_str(e, "next_attempt_at", b->next_action[0] &&
		    strcmp(b->next_action, "none") != 0 ?
		    b->next_attempt_at : "");
		add_str(e, "product", b->product);
		add_str(e, "out_batch_no", b->out_batch_no);
		add_str(e, "transfer_bill_no", b->transfer_bill_no);
		add_str(e, "wechat_state", b->wechat_state);
		add_str(e, "fail_reason", b->fail_reason);
		add_str(e, "last_error_code", b->last_error_code);
		add_str(e, "last_error_text", b->last_error_text);
		pk = cJSON_AddObjectToObject(e, "package_info");
		cJSON_AddStringToObject(pk, "state", b->package_state);
		add_str(pk, "value", b->package_info);
		add_num(e, "attempts", b->attempts);
		cJSON_AddStringToObject(e, "created_at", b->created_at);
		add_str(e, "first_sent_at", b->first_sent_at);
		add_str(e, "succeeded_at", b->succeeded_at);
		add_str(e, "final_at", b->final_at);
		cJSON_AddItemToArray(a, e);
	}

	a = cJSON_AddArrayToObject(o, "attempts");
	for (i = 0; i < d->nattempts; i++) {
		const struct core_payout_attempt *t = &d->attempts[i];

		e = cJSON_CreateObject();
		add_num(e, "id", t->id);
		add_num(e, "bill_id", t->bill_id);
		cJSON_AddStringToObject(e, "out_bill_no", t->out_bill_no);
		add_num(e, "attempt_no", t->attempt_no);
		cJSON_AddStringToObject(e, "exchange", t->exchange);
		cJSON_AddStringToObject(e, "started_at", t->started_at);
		add_str(e, "finished_at", t->finished_at);
		add_num_or_null(e, "latency_ms", t->latency_ms,
		    t->latency_ms >= 0);
		add_num_or_null(e, "http_status", t->http_status,
		    t->http_status >= 0);
		add_str(e, "method", t->method);
		add_str(e, "path", t->path);
		add_str(e, "code", t->code);
		cJSON_AddStringToObject(e, "outcome", t->outcome);
		add_str(e, "message", t->message);
		add_str(e, "from_state", t->from_state);
		add_str(e, "to_state", t->to_state);
		cJSON_AddBoolToObject(e, "applied", t->applied);
		add_str(e, "worker", t->worker);
		add_str(e, "request_body", t->request_body);
		add_str(e, "response_body", t->response_body);
		add_str(e, "note", t->note);
		cJSON_AddItemToArray(a, e);
	}
	add_num(o, "attempts_total", d->attempts_total);

	a = cJSON_AddArrayToObject(o, "approvals");
	for (i = 0; i < d->napprovals; i++) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "approver",
		    d->approvals_list[i].approver);
		cJSON_AddStringToObject(e, "at", d->approvals_list[i].at);
		add_num(e, "amount_fen", d->approvals_list[i].amount_fen);
		add_str(e, "note", d->approvals_list[i].note);
		cJSON_AddItemToArray(a, e);
	}

	if (d->review.id != 0) {
		e = cJSON_AddObjectToObject(o, "review");
		add_num(e, "id", d->review.id);
		cJSON_AddStringToObject(e, "reason", d->review.reason);
		cJSON_AddStringToObject(e, "state", d->review.state);
		add_str(e, "assignee", d->review.assignee);
		cJSON_AddStringToObject(e, "group", d->review.group);
		cJSON_AddStringToObject(e, "opened_at", d->review.opened_at);
		add_num(e, "waiting_s", d->review.waiting_s);
		add_str(e, "note", d->review.note);
	} else
		cJSON_AddNullToObject(o, "review");

	a = cJSON_AddArrayToObject(o, "timeline");
	for (i = 0; i < d->nevents; i++) {
		const struct core_payout_event *v = &d->events[i];
		cJSON *detail = cJSON_Parse(v->detail_json);

		e = cJSON_CreateObject();
		add_num(e, "id", v->id);
		cJSON_AddStringToObject(e, "at", v->at);
		cJSON_AddStringToObject(e, "actor", v->actor);
		cJSON_AddStringToObject(e, "action", v->action);
		cJSON_AddStringToObject(e, "object", v->object);
		cJSON_AddStringToObject(e, "text", v->detail);
		if (detail != NULL)
			cJSON_AddItemToObject(e, "detail", detail);
		else
			cJSON_AddNullToObject(e, "detail");
		cJSON_AddItemToArray(a, e);
	}
	return o;
}

/* A body as stored, indented and on one line each (bodies are JSON or
 * XML without newlines, as sent). */
static void
print_body(const char *label, const char *body)
{
	if (body == NULL || body[0] == '\0')
		return;
	printf("      %s %s\n", label, body);
}

static void
detail_text(const struct core_payout_detail *d)
{
	char money[40], m2[40], m3[40];
	size_t i;

	ld_money_format(d->amount_fen, 1, money, sizeof money);
	printf("payout %" PRId64 "  application %" PRId64 " (%s)  %s  %s\n",
	    d->id, d->application_id, d->app_status, d->name, money);
	printf("state %s: %s\n", d->state, d->state_display);
	printf("requested by %s at %s; approvals %d of %d", d->requested_by,
	    d->requested_at, d->approvals, d->approvals_needed);
	if (d->approved_by[0] != '\0')
		printf("; approved by %s at %s", d->approved_by,
		    d->approved_at);
	printf("\n");
	ld_money_format(d->paid_fen, 1, money, sizeof money);
	ld_money_format(d->in_flight_fen, 1, m2, sizeof m2);
	ld_money_format(d->held_fen, 1, m3, sizeof m3);
	printf("paid %s  in flight %s  held %s  generation %d\n", money, m2,
	    m3, d->generation);
	if (d->held_by[0] != '\0')
		printf("held by %s since %s: %s\n", d->held_by, d->held_at,
		    d->hold_reason);
	if (d->cancel_requested_by[0] != '\0')
		printf("cancel asked by %s at %s: %s\n",
		    d->cancel_requested_by, d->cancel_requested_at,
		    d->cancel_reason);
	if (d->escalated_to[0] != '\0')
		printf("escalated to %s\n", d->escalated_to);

	printf("\nbills:\n");
	printf("  %4s %3s %-24s %13s %-18s %-10s %s\n", "SEQ", "GEN",
	    "OUT_BILL_NO", "AMOUNT", "STATE", "PACKAGE", "HOLD / NEXT");
	for (i = 0; i < d->nbills; i++) {
		const struct core_payout_bill *b = &d->bills[i];

		ld_money_format(b->amount_fen, 0, money, sizeof money);
		printf("  %4d %3d %-24s %13s %-18s %-10s ", b->seq,
		    b->generation, b->out_bill_no, money, b->state,
		    b->package_state);
		if (b->hold[0] != '\0')
			printf("held: %s (%s)", b->hold_display,
			    b->hold_released);
		else if (strcmp(b->next_action, "none") != 0)
			printf("%s at %s", b->next_action, b->next_attempt_at);
		else if (!b->current)
			printf("replaced by bill %" PRId64,
			    b->replaced_by_bill_id);
		else
			printf("-");
		printf("\n");
		if (b->last_error_code[0] != '\0' || b->fail_reason[0] != '\0')
			printf("       %s%s%s %s\n", b->fail_reason,
			    b->fail_reason[0] && b->last_error_code[0] ? " / " :
			    "", b->last_error_code, b->last_error_text);
		if (b->package_info[0] != '\0')
			printf("       package_info %s\n", b->package_info);
	}

	printf("\nattempts (%zu of %" PRId64 "):\n", d->nattempts,
	    d->attempts_total);
	for (i = 0; i < d->nattempts; i++) {
		const struct core_payout_attempt *t = &d->attempts[i];
		char http[8], lat[16];

		if (t->http_status >= 0)
			snprintf(http, sizeof http, "%d", t->http_status);
		else
			snprintf(http, sizeof http, "-");
		if (t->latency_ms >= 0)
			snprintf(lat, sizeof lat, "%dms", t->latency_ms);
		else
			snprintf(lat, sizeof lat, "-");
		printf("  %s %-24s %-8s %s %7s http %s %-8s %s%s%s %s->%s%s\n",
		    t->started_at, t->out_bill_no, t->exchange,
		    t->finished_at[0] ? t->finished_at : "-", lat, http,
		    t->outcome, t->code, t->message[0] ? ": " : "",
		    t->message, t->from_state, t->to_state,
		    t->applied ? "" : " (not applied)");
		print_body("request ", t->request_body);
		print_body("response", t->response_body);
	}

	printf("\napprovals:\n");
	for (i = 0; i < d->napprovals; i++) {
		ld_money_format(d->approvals_list[i].amount_fen, 1, money,
		    sizeof money);
		printf("  %s at %s for %s%s%s\n", d->approvals_list[i].approver,
		    d->approvals_list[i].at, money,
		    d->approvals_list[i].note[0] ? ": " : "",
		    d->approvals_list[i].note);
	}
	if (d->review.id != 0)
		printf("\nreview %" PRId64 " %s (%s%s%s, %s): %s\n",
		    d->review.id, d->review.reason, d->review.state,
		    d->review.assignee[0] ? " by " : "", d->review.assignee,
		    d->review.group, d->review.note);
	printf("\ntimeline:\n");
	for (i = 0; i < d->nevents; i++)
		printf("  %s %-10s %-24s %-20s %s\n", d->events[i].at,
		    d->events[i].actor, d->events[i].action,
		    d->events[i].object, d->events[i].detail);
}

static int
payouts_show(struct cli_ctx *ctx, int argc, char **argv)
{
	struct core_payout_detail d;
	struct core_session *s;
	struct ld_err err;
	const char *idarg = NULL;
	int64_t id;
	int c, json = 0, rc;

	/* By hand: the id and --json may come in either order. */
	for (c = 1; c < argc; c++) {
		if (strcmp(argv[c], "--json") == 0)
			json = 1;
		else if (argv[c][0] == '-') {
			cli_error("payouts show: unknown option \"%s\"",
			    argv[c]);
			return EXIT_USAGE;
		} else if (idarg != NULL) {
			cli_error("payouts show: give one payout id");
			return EXIT_USAGE;
		} else
			idarg = argv[c];
	}
	if (idarg == NULL) {
		cli_error("payouts show: give one payout id");
		return EXIT_USAGE;
	}
	if (parse_id("show", "the id", idarg, &id) != 0)
		return EXIT_USAGE;
	if ((s = payouts_connect(ctx)) == NULL)
		return EXIT_FAIL;
	ld_err_clear(&err);
	/* What a person decides on: from the primary. */
	if (core_payout_load(core_session_primary(s), id, &d, &err) !=
	    LD_OK) {
		cli_error("%s", err.msg);
		rc = exit_for(err.code);
		core_session_free(s);
		return rc == EXIT_OK ? EXIT_FAIL : rc;
	}
	if (json)
		print_json(detail_json(&d));
	else
		detail_text(&d);
	core_payout_detail_free(&d);
	core_session_free(s);
	return EXIT_OK;
}

/* 3. previews ------------------------------------------------------------ */

static int
preview_report(int json, int64_t id, const char *kind,
    const struct core_payout_preview *p)
{
	char money[40];
	size_t i;

	if (json) {
		cJSON *o = cJSON_CreateObject(), *a, *e;

		add_num(o, "payout_id", id);
		cJSON_AddStringToObject(o, "preview", kind);
		cJSON_AddBoolToObject(o, "allowed", p->allowed);
		add_str(o, "refusal_state", p->refusal_state);
		cJSON_AddStringToObject(o, "why", p->why);
		if (strcmp(kind, "approve") == 0) {
			add_num(o, "amount_fen", p->amount_fen);
			add_num(o, "approvals", p->approvals);
			add_num(o, "approvals_after", p->approvals_after);
			add_num(o, "approvals_needed", p->approvals_needed);
			cJSON_AddBoolToObject(o, "completes", p->completes);
			add_str(o, "outcome", p->outcome);
			add_str(o, "approvers", p->approvers);
		} else {
			add_num(o, "generation", p->generation);
			cJSON_AddBoolToObject(o, "note_required",
			    p->note_required);
		}
		a = cJSON_AddArrayToObject(o, "bills");
		for (i = 0; i < p->nbills; i++) {
			const struct core_payout_bill_plan *b = &p->bills[i];

			e = cJSON_CreateObject();
			add_num(e, "seq", b->seq);
			cJSON_AddStringToObject(e, "out_bill_no",
			    b->out_bill_no);
			add_num(e, "amount_fen", b->amount_fen);
			if (strcmp(kind, "retry") == 0) {
				add_num(e, "bill_id", b->bill_id);
				add_num(e, "generation", b->generation);
				cJSON_AddStringToObject(e, "state", b->state);
				cJSON_AddStringToObject(e, "fate", b->fate);
				add_str(e, "new_out_bill_no",
				    b->new_out_bill_no);
			}
			cJSON_AddItemToArray(a, e);
		}
		print_json(o);
	} else {
		printf("%s: %s\n", p->allowed ? "would do" : "refused",
		    p->why);
		for (i = 0; i < p->nbills; i++) {
			const struct core_payout_bill_plan *b = &p->bills[i];

			ld_money_format(b->amount_fen, 1, money, sizeof money);
			if (strcmp(kind, "retry") == 0)
				printf("  bill %d %-24s %14s %-18s %s%s%s\n",
				    b->seq, b->out_bill_no, money, b->state,
				    strcmp(b->fate, "again") == 0 ?
				    "goes again as " :
				    strcmp(b->fate, "paid") == 0 ?
				    "paid: never sent again" :
				    strcmp(b->fate, "in_flight") == 0 ?
				    "may be at WeChat Pay: keeps its number" :
				    "not sent yet: keeps its number",
				    b->new_out_bill_no, "");
			else
				printf("  bill %d %-24s %14s\n", b->seq,
				    b->out_bill_no, money);
		}
	}
	if (!p->allowed)
		cli_error("payout %" PRId64 ": %s is refused (SQLSTATE %s)",
		    id, kind, p->refusal_state);
	return p->allowed ? EXIT_OK : EXIT_REFUSED;
}

static int
preview(struct cli_ctx *ctx, int json, int64_t id, const char *kind)
{
	struct core_payout_preview p;
	struct core_session *s;
	struct ld_err err;
	enum ld_status st;
	int rc;

	if ((s = payouts_connect(ctx)) == NULL)
		return EXIT_FAIL;
	ld_err_clear(&err);
	st = strcmp(kind, "approve") == 0 ?
	    core_payout_approve_preview(core_session_primary(s), id, &p,
		&err) :
	    core_payout_retry_preview(core_session_primary(s), id, &p, &err);
	if (st != LD_OK) {
		cli_error("%s", err.msg);
		core_session_free(s);
		rc = exit_for(st);
		return rc == EXIT_OK ? EXIT_FAIL : rc;
	}
	rc = preview_report(json, id, kind, &p);
	core_payout_preview_free(&p);
	core_session_free(s);
	return rc;
}

/* 4. actions ------------------------------------------------------------- */

enum action {
	ACT_APPROVE, ACT_HOLD, ACT_RELEASE, ACT_RETRY, ACT_CANCEL,
	ACT_ESCALATE, ACT_PAUSE, ACT_RESUME
};

struct action_args {
	int json, dry_run;
	const char *note, *reason, *to;
	const char *expect_count, *expect_total;
	int64_t *ids;
	size_t nids;
};

static int
run_action(struct cli_ctx *ctx, enum action act, const char *name,
    struct action_args *a)
{
	struct core_payout_done done;
	struct core_session *s;
	struct ld_db *db;
	struct ld_err err;
	enum ld_status st;
	int64_t id = a->nids > 0 ? a->ids[0] : 0, total = 0;
	long count = 0;
	int rc;

	if (act == ACT_APPROVE && a->nids > 1) {
		if (a->expect_count == NULL || a->expect_total == NULL) {
			cli_error("payouts approve: %zu payouts need "
			    "--expect-count and --expect-total (what you "
			    "checked: the database refuses unless it counts "
			    "the same)", a->nids);
			return EXIT_USAGE;
		}
		if (a->dry_run) {
			cli_error("payouts approve: --dry-run previews one "
			    "payout");
			return EXIT_USAGE;
		}
	}
	if (a->expect_count != NULL &&
	    parse_count(name, "expect-count", a->expect_count, 1000,
	    &count) != 0)
		return EXIT_USAGE;
	if (a->expect_total != NULL) {
		ld_err_clear(&err);
		if (ld_money_parse_yuan(a->expect_total, &total, &err) !=
		    LD_OK) {
			cli_error("payouts %s: --expect-total \"%s\": %s", name,
			    a->expect_total, err.msg);
			return EXIT_USAGE;
		}
	}
	if (act == ACT_APPROVE && a->nids == 1 &&
	    (a->expect_count != NULL || a->expect_total != NULL)) {
		cli_error("payouts approve: --expect-count and --expect-total "
		    "are for a batch of two or more");
		return EXIT_USAGE;
	}
	if (a->dry_run)
		return preview(ctx, a->json, id, act == ACT_APPROVE ?
		    "approve" : "retry");
	if ((s = payouts_connect(ctx)) == NULL)
		return EXIT_FAIL;
	db = core_session_primary(s);
	ld_err_clear(&err);
	switch (act) {
	case ACT_APPROVE:
		st = a->nids > 1 ? core_payout_approve_batch(db, a->ids,
		    a->nids, (int)count, total, a->note, &done, &err) :
		    core_payout_approve(db, id, a->note, &done, &err);
		if (a->nids > 1)
			id = 0;
		break;
	case ACT_HOLD:
		st = core_payout_hold(db, id, a->reason, &done, &err);
		break;
	case ACT_RELEASE:
		st = core_payout_release(db, id, &done, &err);
		break;
	case ACT_RETRY:
		st = core_payout_retry(db, id, a->note, &done, &err);
		break;
	case ACT_CANCEL:
		st = core_payout_cancel(db, id, a->reason, &done, &err);
		break;
	case ACT_ESCALATE:
		st = core_payout_escalate(db, id, a->to, a->note, &done,
		    &err);
		break;
	case ACT_PAUSE:
		st = core_payouts_pause(db, a->reason, &done, &err);
		break;
	case ACT_RESUME:
	default:
		st = core_payouts_resume(db, a->note, &done, &err);
		break;
	}
	rc = report(a->json, id, st, &done, &err);
	core_session_free(s);
	return rc;
}

/*
 * The options of the actions; each action says which it takes and how
 * many ids.
 */
static int
payouts_action(struct cli_ctx *ctx, enum action act, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "note", required_argument, NULL, 'n' },
		{ "reason", required_argument, NULL, 'r' },
		{ "to", required_argument, NULL, 't' },
		{ "expect-count", required_argument, NULL, 'c' },
		{ "expect-total", required_argument, NULL, 'T' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	/* Per action: the options it takes, ids min and max. */
	static const struct {
		const char *name, *takes;
		int min_ids, max_ids;
	} spec[] = {
		[ACT_APPROVE] = { "approve", "jncTd", 1, 1000 },
		[ACT_HOLD] = { "hold", "jr", 1, 1 },
		[ACT_RELEASE] = { "release", "j", 1, 1 },
		[ACT_RETRY] = { "retry", "jnd", 1, 1 },
		[ACT_CANCEL] = { "cancel", "jr", 1, 1 },
		[ACT_ESCALATE] = { "escalate", "jtn", 1, 1 },
		[ACT_PAUSE] = { "pause", "jr", 0, 0 },
		[ACT_RESUME] = { "resume", "jn", 0, 0 },
	};
	struct action_args a;
	const char *name = spec[act].name;
	int c, i, rc;

	memset(&a, 0, sizeof a);
	/*
	 * 0, not 1: glibc then reads the options anew, in any order among
	 * the ids (main's "+" stopped at the first command word).
	 */
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return EXIT_USAGE;
		if (strchr(spec[act].takes, c) == NULL) {
			for (i = 0; opts[i].name != NULL; i++)
				if (opts[i].val == c)
					break;
			cli_error("payouts %s: --%s is not an option of %s",
			    name, opts[i].name != NULL ? opts[i].name : "?",
			    name);
			return EXIT_USAGE;
		}
		switch (c) {
		case 'j':
			a.json = 1;
			break;
		case 'n':
			a.note = optarg;
			break;
		case 'r':
			a.reason = optarg;
			break;
		case 't':
			a.to = optarg;
			break;
		case 'c':
			a.expect_count = optarg;
			break;
		case 'T':
			a.expect_total = optarg;
			break;
		case 'd':
			a.dry_run = 1;
			break;
		}
	}
	a.nids = (size_t)(argc - optind);
	if ((int)a.nids < spec[act].min_ids || (int)a.nids > spec[act].max_ids) {
		if (spec[act].max_ids == 0)
			cli_error("payouts %s: takes no payout id (\"%s\")",
			    name, argv[optind]);
		else if (spec[act].max_ids == 1)
			cli_error("payouts %s: give one payout id", name);
		else
			cli_error("payouts %s: give 1 to %d payout ids", name,
			    spec[act].max_ids);
		return EXIT_USAGE;
	}
	/* What the database would refuse for want of it, named here. */
	if ((act == ACT_HOLD || act == ACT_CANCEL || act == ACT_PAUSE) &&
	    need_text(name, "reason", a.reason) != 0)
		return EXIT_USAGE;
	if ((act == ACT_RETRY && !a.dry_run) || act == ACT_ESCALATE) {
		if (need_text(name, "note", a.note) != 0)
			return EXIT_USAGE;
	}
	if (act == ACT_ESCALATE) {
		if (a.to == NULL) {
			cli_error("payouts escalate: --to finance, oncall or "
			    "admin is required");
			return EXIT_USAGE;
		}
		if (core_payout_group_role(a.to) == NULL) {
			cli_error("payouts escalate: --to \"%s\" is not "
			    "finance, oncall or admin", a.to);
			return EXIT_USAGE;
		}
	}
	a.ids = calloc(a.nids > 0 ? a.nids : 1, sizeof *a.ids);
	if (a.ids == NULL) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < (int)a.nids; i++)
		if (parse_id(name, "the id", argv[optind + i], &a.ids[i]) !=
		    0) {
			free(a.ids);
			return EXIT_USAGE;
		}
	rc = run_action(ctx, act, name, &a);
	free(a.ids);
	return rc;
}

/* 5. status and incidents ------------------------------------------------- */

static int
payouts_status(struct cli_ctx *ctx, int argc, char **argv)
{
	struct core_payout_strip st;
	struct core_session *s;
	struct ld_err err;
	char m1[40], m2[40], m3[40], age[16];
	int c, json = 0;
	size_t i;

	for (c = 1; c < argc; c++) {
		if (strcmp(argv[c], "--json") == 0)
			json = 1;
		else {
			cli_error("payouts status: unexpected argument \"%s\"",
			    argv[c]);
			return EXIT_USAGE;
		}
	}
	if ((s = payouts_connect(ctx)) == NULL)
		return EXIT_FAIL;
	ld_err_clear(&err);
	if (core_payout_strip_load(s, &st, &err) != LD_OK) {
		cli_error("%s", err.msg);
		core_session_free(s);
		return exit_for(err.code) == EXIT_REFUSED ? EXIT_REFUSED :
		    EXIT_FAIL;
	}
	if (json) {
		cJSON *o = cJSON_CreateObject(), *x, *a;

		cJSON_AddStringToObject(o, "day", st.day);
		add_num(o, "paid_today_fen", st.paid_today_fen);
		add_num(o, "paid_today_bills", st.paid_today_bills);
		add_num(o, "in_flight_fen", st.in_flight_fen);
		add_num(o, "day_used_fen", st.day_used_fen);
		add_num(o, "merchant_daily_max_fen",
		    st.merchant_daily_max_fen);
		if (st.has_balance) {
			x = cJSON_AddObjectToObject(o, "balance");
			add_num(x, "available_fen", st.balance_fen);
			add_num_or_null(x, "pending_fen",
			    st.balance_pending_fen,
			    st.balance_pending_fen >= 0);
			cJSON_AddStringToObject(x, "account_type",
			    st.balance_account);
			cJSON_AddStringToObject(x, "at", st.balance_at);
			add_num(x, "age_s", st.balance_age_s);
		} else
			cJSON_AddNullToObject(o, "balance");
		add_num(o, "balance_alert_fen", st.balance_alert_fen);
		x = cJSON_AddObjectToObject(o, "channel");
		cJSON_AddStringToObject(x, "state", st.paused ? "paused" :
		    st.channel_paused ? "channel_paused" : "running");
		cJSON_AddStringToObject(x, "text", st.channel_text);
		cJSON_AddBoolToObject(x, "paused", st.paused);
		add_str(x, "paused_by", st.paused_by);
		add_str(x, "paused_at", st.paused_at);
		add_str(x, "pause_reason", st.pause_reason);
		cJSON_AddBoolToObject(x, "channel_paused", st.channel_paused);
		add_str(x, "channel_paused_at", st.channel_paused_at);
		add_str(x, "channel_code", st.channel_code);
		add_str(x, "channel_message", st.channel_message);
		x = cJSON_AddObjectToObject(o, "waiting");
		add_num(x, "count", st.waiting_count);
		add_num(x, "total_fen", st.waiting_fen);
		add_num(x, "mine_count", st.waiting_mine_count);
		add_num(x, "mine_total_fen", st.waiting_mine_fen);
		add_num(o, "alerts_open", st.alerts_open);
		a = cJSON_AddArrayToObject(o, "alerts");
		for (i = 0; i < st.nalerts; i++) {
			x = cJSON_CreateObject();
			add_num(x, "id", st.alerts[i].id);
			cJSON_AddStringToObject(x, "kind", st.alerts[i].kind);
			cJSON_AddStringToObject(x, "at", st.alerts[i].at);
			cJSON_AddStringToObject(x, "detail",
			    st.alerts[i].detail);
			cJSON_AddItemToArray(a, x);
		}
		print_json(o);
	} else {
		ld_money_format(st.paid_today_fen, 1, m1, sizeof m1);
		ld_money_format(st.merchant_daily_max_fen, 1, m2, sizeof m2);
		ld_money_format(st.in_flight_fen, 1, m3, sizeof m3);
		printf("paid today (%s, Beijing) %s of %s; in flight %s\n",
		    st.day, m1, m2, m3);
		if (st.has_balance) {
			ld_money_format(st.balance_fen, 1, m1, sizeof m1);
			age_text(st.balance_age_s, age, sizeof age);
			printf("balance %s at %s (%s ago)\n", m1, st.balance_at,
			    age);
		} else
			printf("balance: no reading yet\n");
		printf("channel %s\n", st.channel_text);
		ld_money_format(st.waiting_fen, 1, m1, sizeof m1);
		ld_money_format(st.waiting_mine_fen, 1, m2, sizeof m2);
		printf("waiting for approval %" PRId64 " (%s); yours to "
		    "approve %" PRId64 " (%s)\n", st.waiting_count, m1,
		    st.waiting_mine_count, m2);
		for (i = 0; i < st.nalerts; i++)
			printf("alert %s at %s: %s\n", st.alerts[i].kind,
			    st.alerts[i].at, st.alerts[i].detail);
	}
	core_session_free(s);
	return EXIT_OK;
}

static int
payouts_incidents(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "stuck-after", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct core_payout_oncall o;
	struct core_session *s;
	struct ld_err err;
	char money[40], age[16];
	long stuck_after = 300, limit = 50;
	int c, json = 0, k;
	size_t i;

	/*
	 * 0, not 1: glibc then reads the options anew, in any order among
	 * the ids (main's "+" stopped at the first command word).
	 */
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 's':
			if (parse_count("incidents", "stuck-after", optarg,
			    86400 * 30, &stuck_after) != 0)
				return EXIT_USAGE;
			break;
		case 'n':
			if (parse_count("incidents", "limit", optarg, 1000,
			    &limit) != 0)
				return EXIT_USAGE;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("payouts incidents: unexpected argument \"%s\"",
		    argv[optind]);
		return EXIT_USAGE;
	}
	if ((s = payouts_connect(ctx)) == NULL)
		return EXIT_FAIL;
	ld_err_clear(&err);
	/* A daemon beats every few seconds: alive within half a minute. */
	if (core_payout_oncall_load(s, stuck_after, 30, (size_t)limit, &o,
	    &err) != LD_OK) {
		cli_error("%s", err.msg);
		core_session_free(s);
		return exit_for(err.code) == EXIT_REFUSED ? EXIT_REFUSED :
		    EXIT_FAIL;
	}
	if (json) {
		cJSON *doc = cJSON_CreateObject(), *a, *x, *n;

		a = cJSON_AddArrayToObject(doc, "incidents");
		for (i = 0; i < o.nincidents; i++) {
			const struct core_payout_incident *p = &o.incidents[i];

			x = cJSON_CreateObject();
			add_num(x, "review_id", p->review_id);
			add_num(x, "payout_id", p->payout_id);
			add_num(x, "application_id", p->application_id);
			cJSON_AddStringToObject(x, "name_masked", p->name);
			add_num(x, "amount_fen", p->amount_fen);
			cJSON_AddStringToObject(x, "payout_state",
			    p->payout_state);
			cJSON_AddStringToObject(x, "code", p->code);
			add_str(x, "message", p->message);
			add_str(x, "out_bill_no", p->out_bill_no);
			cJSON_AddStringToObject(x, "review_state",
			    p->review_state);
			add_str(x, "assignee", p->assignee);
			cJSON_AddStringToObject(x, "group", p->group);
			cJSON_AddStringToObject(x, "opened_at", p->opened_at);
			add_num(x, "waiting_s", p->waiting_s);
			add_num(x, "attempts", p->attempts);
			cJSON_AddItemToArray(a, x);
		}
		add_num(doc, "incidents_total", o.incidents_total);
		a = cJSON_AddArrayToObject(doc, "stuck");
		for (i = 0; i < o.nstuck; i++) {
			const struct core_payout_stuck *p = &o.stuck[i];

			x = cJSON_CreateObject();
			add_num(x, "bill_id", p->bill_id);
			add_num(x, "payout_id", p->payout_id);
			cJSON_AddStringToObject(x, "out_bill_no",
			    p->out_bill_no);
			add_num(x, "amount_fen", p->amount_fen);
			cJSON_AddStringToObject(x, "state", p->state);
			cJSON_AddStringToObject(x, "since", p->since);
			add_num(x, "age_s", p->age_s);
			add_str(x, "hold", p->hold);
			add_str(x, "hold_display", p->hold_display);
			add_str(x, "hold_until", p->hold_until);
			add_str(x, "last_error_code", p->last_error_code);
			add_str(x, "last_error_text", p->last_error_text);
			cJSON_AddStringToObject(x, "next_action",
			    p->next_action);
			add_str(x, "next_attempt_at", p->next_attempt_at);
			cJSON_AddItemToArray(a, x);
		}
		add_num(doc, "stuck_total", o.stuck_total);
		a = cJSON_AddArrayToObject(doc, "minutes");
		for (i = 0; i < CORE_PAYOUT_MINUTES; i++) {
			x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "at", o.minutes[i].at);
			n = cJSON_AddObjectToObject(x, "exchanges");
			for (k = 0; k < CORE_PAYOUT_OUTCOMES; k++)
				add_num(n, core_payout_outcomes[k],
				    o.minutes[i].exchanges[k]);
			add_num(x, "paid", o.minutes[i].paid);
			add_num(x, "failed", o.minutes[i].failed);
			add_num(x, "cancelled", o.minutes[i].cancelled);
			cJSON_AddItemToArray(a, x);
		}
		a = cJSON_AddArrayToObject(doc, "codes");
		for (i = 0; i < o.ncodes; i++) {
			x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "code", o.codes[i].code);
			add_num(x, "n", o.codes[i].n);
			add_str(x, "message", o.codes[i].message);
			cJSON_AddItemToArray(a, x);
		}
		a = cJSON_AddArrayToObject(doc, "daemons");
		for (i = 0; i < o.ndaemons; i++) {
			x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "worker",
			    o.daemons[i].worker);
			cJSON_AddStringToObject(x, "login", o.daemons[i].login);
			cJSON_AddStringToObject(x, "seen_at",
			    o.daemons[i].seen_at);
			add_num(x, "seen_age_s", o.daemons[i].seen_age_s);
			cJSON_AddBoolToObject(x, "alive", o.daemons[i].alive);
			cJSON_AddItemToArray(a, x);
		}
		add_num(doc, "daemons_alive", (int64_t)o.daemons_alive);
		x = cJSON_AddObjectToObject(doc, "queue");
		add_num(x, "due_create", o.due_create);
		add_num(x, "due_query", o.due_query);
		add_num(x, "due_cancel", o.due_cancel);
		add_num(x, "oldest_due_s", o.oldest_due_s);
		add_num(x, "waiting_bills", o.waiting_bills);
		add_num(x, "held_bills", o.held_bills);
		a = cJSON_AddArrayToObject(doc, "balance");
		for (i = 0; i < o.nbalance; i++) {
			x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "at", o.balance[i].at);
			add_num(x, "readings", o.balance[i].readings);
			add_num_or_null(x, "low_fen", o.balance[i].low_fen,
			    o.balance[i].readings > 0);
			add_num_or_null(x, "last_fen", o.balance[i].last_fen,
			    o.balance[i].readings > 0);
			cJSON_AddItemToArray(a, x);
		}
		print_json(doc);
	} else {
		printf("failed payouts (%zu of %" PRId64 "):\n", o.nincidents,
		    o.incidents_total);
		for (i = 0; i < o.nincidents; i++) {
			const struct core_payout_incident *p = &o.incidents[i];

			ld_money_format(p->amount_fen, 1, money, sizeof money);
			age_text(p->waiting_s, age, sizeof age);
			printf("  review %" PRId64 " payout %" PRId64 " %s %s "
			    "%s: %s (%s) %s%s%s for %s, %s\n", p->review_id,
			    p->payout_id, p->name, money, p->code, p->message,
			    p->out_bill_no, p->review_state,
			    p->assignee[0] ? " by " : "", p->assignee, age,
			    p->group);
		}
		printf("stuck bills (%zu of %" PRId64 "):\n", o.nstuck,
		    o.stuck_total);
		for (i = 0; i < o.nstuck; i++) {
			const struct core_payout_stuck *p = &o.stuck[i];

			ld_money_format(p->amount_fen, 1, money, sizeof money);
			age_text(p->age_s, age, sizeof age);
			printf("  %s payout %" PRId64 " %s %s for %s%s%s\n",
			    p->out_bill_no, p->payout_id, money, p->state,
			    age, p->hold[0] ? ": " : "",
			    p->hold[0] ? p->hold_display : "");
		}
		printf("queue: due create %" PRId64 ", query %" PRId64
		    ", cancel %" PRId64 "; waiting %" PRId64 ", held %" PRId64
		    "\n", o.due_create, o.due_query, o.due_cancel,
		    o.waiting_bills, o.held_bills);
		printf("daemons alive %zu of %zu\n", o.daemons_alive,
		    o.ndaemons);
		for (i = 0; i < o.ncodes; i++)
			printf("  %6" PRId64 " %s %s\n", o.codes[i].n,
			    o.codes[i].code, o.codes[i].message);
	}
	core_payout_oncall_free(&o);
	core_session_free(s);
	return EXIT_OK;
}

int
cli_payouts(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";

	if (strcmp(sub, "list") == 0)
		return payouts_list(ctx, argc, argv);
	if (strcmp(sub, "show") == 0)
		return payouts_show(ctx, argc, argv);
	if (strcmp(sub, "status") == 0)
		return payouts_status(ctx, argc, argv);
	if (strcmp(sub, "incidents") == 0)
		return payouts_incidents(ctx, argc, argv);
	if (strcmp(sub, "approve") == 0)
		return payouts_action(ctx, ACT_APPROVE, argc, argv);
	if (strcmp(sub, "hold") == 0)
		return payouts_action(ctx, ACT_HOLD, argc, argv);
	if (strcmp(sub, "release") == 0)
		return payouts_action(ctx, ACT_RELEASE, argc, argv);
	if (strcmp(sub, "retry") == 0)
		return payouts_action(ctx, ACT_RETRY, argc, argv);
	if (strcmp(sub, "cancel") == 0)
		return payouts_action(ctx, ACT_CANCEL, argc, argv);
	if (strcmp(sub, "escalate") == 0)
		return payouts_action(ctx, ACT_ESCALATE, argc, argv);
	if (strcmp(sub, "pause") == 0)
		return payouts_action(ctx, ACT_PAUSE, argc, argv);
	if (strcmp(sub, "resume") == 0)
		return payouts_action(ctx, ACT_RESUME, argc, argv);
	if (strcmp(sub, "help") == 0) {
		fputs(payouts_help, stdout);
		return EXIT_OK;
	}
	fputs(payouts_help, stderr);
	return EXIT_USAGE;
}
