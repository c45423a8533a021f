#!/bin/sh
# loandesk payouts end to end against a throwaway cluster, as finance,
# on-call, risk and admin logins: each subcommand's --json is checked
# against the database (what it lists, what the action did there), never
# against what the command printed before; refusals exit 3 with the
# database's words, usage errors 2 naming the argument, a missing payout 4.
# The daemon's part (claim, sending, answers, callbacks) is played through
# its api functions with psql.
set -eu

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
LOANDESK=$top_builddir/loandesk
PGLOCAL=$top_srcdir/db/pg-local
PY=/usr/bin/python3
PYTHONIOENCODING=utf-8
export PYTHONIOENCODING
PATH_V3=/v3/fund-app/mch-transfer/transfer-bills

ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
	command -v initdb >/dev/null 2>&1 || { echo "SKIP: no PostgreSQL server"; exit 77; }
[ -x "$PY" ] || { echo "SKIP: no $PY"; exit 77; }

T=$(mktemp -d /tmp/ld-payouts.XXXXXX)
chmod 711 "$T"
cleanup() { sh "$PGLOCAL" destroy "$T/c" >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
sql() { psql -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }
as() { _u=$1; shift; PGUSER=$_u psql -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }

# ld AS-USER ARGS...: loandesk as that login; stdout in $T/out, stderr in
# $T/err, the exit status in $rc.
ld() {
	_u=$1
	shift
	rc=0
	PGUSER=$_u "$LOANDESK" "$@" >"$T/out" 2>"$T/err" || rc=$?
}
expect_rc() {
	[ "$rc" -eq "$1" ] || {
		cat "$T/out" "$T/err" >&2
		fail "$2: exit $rc, expected $1"
	}
}
# A Python expression over the JSON document d of $T/out.
j() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print("" if v is None else v)' "$T/out" "$1"; }
same() { [ "$1" = "$2" ] || fail "$3: got [$1], the database says [$2]"; }

sh "$PGLOCAL" init "$T/c" >"$T/init.out" 2>&1 || { cat "$T/init.out" >&2; fail "cluster"; }
eval "$(sh "$PGLOCAL" env "$T/c")"
export LOANDESK_MIGRATIONS_DIR="$top_srcdir/db/migrations"
unset LOANDESK_CONF
"$LOANDESK" db migrate >"$T/migrate.out" 2>&1 || { cat "$T/migrate.out" >&2; fail "migrate"; }
for r in t_risk:loandesk_risk t_fin1:loandesk_finance t_fin2:loandesk_finance \
    t_oncall:loandesk_oncall t_admin:loandesk_admin t_daemon:loandesk_daemon; do
	sql "CREATE ROLE ${r%%:*} LOGIN IN ROLE ${r#*:}"
done
# Two finance approvers at 3,000 yuan and up; bills of at most 1,000.
sql "UPDATE settings SET value = '300000' WHERE key = 'four_eyes_threshold_fen'"
sql "UPDATE settings SET value = '100000' WHERE key = 'per_transfer_max_fen'"

# new_payout FEN: a loan approved by t_risk; prints its payout's id.
new_payout() {
	sql "INSERT INTO applicants (name_enc, name_bidx, name_masked, id_no_enc,
	    id_no_bidx, id_no_masked, phone_enc, phone_bidx, phone_masked, openid)
	    VALUES ('\\x01', sha256(random()::text::bytea), '孙*七', '\\x01',
	    sha256(random()::text::bytea), '110***********1234', '\\x01',
	    sha256(random()::text::bytea), '138****5678', 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M')"
	_app=$(sql "INSERT INTO applications (applicant_id, product, amount_fen,
	    term_months, rate_bps, status, recommendation) SELECT max(id), 'cash',
	    $1, 12, 1800, 'manual_review', 'manual_review' FROM applicants RETURNING id")
	[ "$(as t_risk "SELECT api.application_decide($_app, 'approve',
	    'VERIFIED_INCOME', 'called the employer')")" = approved ] || fail "decide $_app"
	sql "SELECT id FROM payouts WHERE application_id = $_app"
}
# send_due: the daemon claims every bill due and stores each create's body.
send_due() {
	as t_daemon "SELECT count(api.payout_bill_sending(c.bill_id, 'bill', 'POST',
	    '$PATH_V3', json_build_object('out_bill_no', c.out_bill_no, 'openid',
	    c.openid, 'transfer_amount', c.amount_fen)::text))
	    FROM api.payout_claim('w1', 1000) c WHERE c.action = 'create'"
}
# answer BILL FROM TO CODE MESSAGE BILL-JSON: an answer to a query.
answer() {
	as t_daemon "SELECT api.payout_bill_record($1, 'query', '$2', 'GET',
	    '$PATH_V3', 200, $4, $5, CASE '$3' WHEN 'success' THEN 'success'
	    WHEN 'fail' THEN 'fail' ELSE 'pending' END, 40, NULL, '$6', true,
	    '$3', CASE WHEN '$3' IN ('success', 'fail') THEN 'none' ELSE 'query'
	    END, 1000, false, NULL, '$3' = 'fail', false, 'test', '$6'::jsonb)" >/dev/null
}
bill_of() { sql "SELECT id FROM transfer_bills WHERE payout_id = $1 AND seq = $2 AND replaced_by_bill_id IS NULL"; }
no_of() { sql "SELECT out_bill_no FROM transfer_bills WHERE id = $1"; }

P1=$(new_payout 250000)   # 2,500 yuan: one approver, three bills
P2=$(new_payout 400000)   # 4,000 yuan: two approvers
P3=$(new_payout 120000)
P4=$(new_payout 130000)
P5=$(new_payout 90000)
P6=$(new_payout 80000)

# --- list -------------------------------------------------------------
ld t_fin1 payouts list --json --limit 4
expect_rc 0 "list"
same "$(j '",".join("%d:%d:%s:%s" % (p["id"], p["amount_fen"], p["state"], p["approvals_text"]) for p in d["payouts"])')" \
    "$(sql "SELECT string_agg(id || ':' || amount_fen || ':' || state || ':0 of ' ||
        CASE WHEN amount_fen >= 300000 THEN 2 ELSE 1 END, ',' ORDER BY id DESC)
        FROM (SELECT * FROM payouts ORDER BY id DESC LIMIT 4) x")" "list, newest first"
same "$(j 'd["more"]')" True "list says there is more"
same "$(j 'd["estimate"]')" "$(sql "SELECT count(*) FROM payouts")" "list's count"
same "$(j 'd["payouts"][0]["name_masked"]')" "孙*七" "list's masked name"
after=$(j 'd["next_after"]')
ld t_oncall payouts list --json --after "$after" --limit 4
expect_rc 0 "list --after"
same "$(j '",".join(str(p["id"]) for p in d["payouts"])')" \
    "$(sql "SELECT string_agg(id::text, ',' ORDER BY id DESC) FROM (SELECT id FROM
        payouts WHERE id < $after ORDER BY id DESC LIMIT 4) x")" "the next page"
same "$(j 'd["more"]')" False "the last page says so"
ld t_admin payouts list --json --oldest --limit 2
expect_rc 0 "list --oldest"
same "$(j '",".join(str(p["id"]) for p in d["payouts"])')" \
    "$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM (SELECT id FROM
        payouts ORDER BY id LIMIT 2) x")" "oldest first"
ld t_risk payouts list --json
expect_rc 3 "list as risk"
grep -q "permission denied" "$T/err" || fail "list as risk: $(cat "$T/err")"
ld t_fin1 payouts list --state paid
expect_rc 2 "list --state paid"
grep -q 'state: unknown state "paid"' "$T/err" || fail "list --state: $(cat "$T/err")"
ld t_fin1 payouts list --limit 0
expect_rc 2 "list --limit 0"
grep -q -- '--limit "0"' "$T/err" || fail "list --limit: $(cat "$T/err")"
ok "list: pages, order, count, roles"

# --- approve: one, the preview, four eyes ---------------------------------
ld t_fin1 payouts approve "$P1" --dry-run --json
expect_rc 0 "approve --dry-run"
plan=$(j '";".join("%d:%s:%d" % (b["seq"], b["out_bill_no"], b["amount_fen"]) for b in d["bills"])')
same "$(j 'd["outcome"]')" approved "the preview's outcome"
[ "$(sql "SELECT count(*) FROM transfer_bills WHERE payout_id = $P1")" = 0 ] ||
	fail "a dry run made bills"
ld t_fin1 payouts approve "$P1" --note "contract checked" --json
expect_rc 0 "approve"
same "$(j 'd["result"]')" approved "approve's result"
same "$plan" "$(sql "SELECT string_agg(seq || ':' || out_bill_no || ':' || amount_fen,
    ';' ORDER BY seq) FROM transfer_bills WHERE payout_id = $P1")" "the bills made, as previewed"
same "$(sql "SELECT state || '/' || approved_by FROM payouts WHERE id = $P1")" \
    "approved/t_fin1" "the approved payout"
ld t_fin1 payouts approve "$P2" --json
expect_rc 0 "approve 1 of 2"
same "$(j 'd["result"]')" "1 of 2" "the first of two"
same "$(sql "SELECT state || ':' || count(a.*) FROM payouts p JOIN payout_approvals a
    ON a.payout_id = p.id WHERE p.id = $P2 GROUP BY p.state")" "requested:1" "one approval recorded"
ld t_fin1 payouts approve "$P2" --json
expect_rc 3 "the same approver twice"
same "$(j 'd["ok"]')" False "refused in the JSON"
same "$(j 'd["sqlstate"]')" 55000 "its SQLSTATE apart"
case $(j 'd["error"]') in *"a second, different finance approver"*"["*) fail "SQLSTATE in the words" ;;
*"a second, different finance approver"*) ;; *) fail "approve twice: $(cat "$T/out")" ;; esac
ld t_oncall payouts approve "$P3"
expect_rc 3 "approve as on-call"
grep -q "SQLSTATE 42501" "$T/err" || fail "on-call approve: $(cat "$T/err")"
ld t_fin2 payouts approve "$P2" --json
expect_rc 0 "the second approver"
same "$(j 'd["result"]')" approved "the second of two"
ok "approve: the preview's bills are the bills made; four eyes"

# --- approve a batch ------------------------------------------------------
ld t_fin1 payouts approve "$P3" "$P4"
expect_rc 2 "a batch without what was checked"
grep -q -- "--expect-count and --expect-total" "$T/err" || fail "batch usage: $(cat "$T/err")"
ld t_fin1 payouts approve "$P3" "$P4" --expect-count 2 --expect-total 12.345
expect_rc 2 "a total with three decimals"
grep -q -- '--expect-total "12.345"' "$T/err" || fail "batch total: $(cat "$T/err")"
before=$(sql "SELECT count(*) FROM payout_approvals")
ld t_fin1 payouts approve "$P3" "$P4" --expect-count 2 --expect-total 2,500.01 --json
expect_rc 3 "a batch not as counted"
case $(j 'd["error"]') in *"2 approvable payout(s) for 250000 fen here, 2 for 250001 fen expected"*) ;;
*) fail "batch total: $(cat "$T/out")" ;; esac
same "$(sql "SELECT count(*) FROM payout_approvals")" "$before" "nothing approved by a refused batch"
# 1,200 + 1,300 is 2,500.00: that batch is right.  A stale one: P4 gone.
ld t_fin2 payouts cancel "$P4" --reason "duplicate application" --json
expect_rc 0 "cancel"
ld t_fin1 payouts approve "$P3" "$P4" --expect-count 2 --expect-total 2500 --json
expect_rc 3 "a stale batch"
case $(j 'd["error"]') in
*"1 approvable payout(s) for 120000 fen here, 2 for 250000 fen expected"*"payout $P4 is already cancelled"*) ;;
*) fail "stale batch: $(cat "$T/out")" ;;
esac
same "$(sql "SELECT count(*) FROM payout_approvals")" "$before" "nothing approved by a refused batch"
ld t_fin1 payouts approve "$P3" "$P4" --expect-count 1 --expect-total 1,200.00 --json
expect_rc 0 "the batch as counted now"
same "$(j 'd["result"]')" "1 approved, 0 waiting for a second approver" "the batch's result"
same "$(sql "SELECT state FROM payouts WHERE id = $P3")" approved "the batch approved it"
ok "approve a batch: usage, stale (says what changed), as counted"

# --- cancel -------------------------------------------------------------
same "$(sql "SELECT p.state || '/' || a.status || '/' || p.cancel_reason FROM payouts p
    JOIN applications a ON a.id = p.application_id WHERE p.id = $P4")" \
    "cancelled/cancelled/duplicate application" "the cancelled payout and loan"
ld t_fin1 payouts cancel "$P5"
expect_rc 2 "cancel without a reason"
grep -q -- "--reason is required" "$T/err" || fail "cancel usage: $(cat "$T/err")"
ld t_risk payouts cancel "$P5" --reason x
expect_rc 3 "cancel as risk"
ok "cancel"

# --- the daemon pays: show, package_info, attempts -------------------------
due=$(sql "SELECT count(*) FROM transfer_bills WHERE state = 'pending'")
[ "$(send_due)" = "$due" ] || fail "the daemon sent other than the $due bills due"
b1=$(bill_of "$P1" 1); b2=$(bill_of "$P1" 2); b3=$(bill_of "$P1" 3)
answer "$b1" sending success "'SUCCESS'" NULL "{\"out_bill_no\":\"$(no_of "$b1")\",\"state\":\"SUCCESS\"}"
as t_daemon "SELECT api.payout_callback('$(no_of "$b2")', 'wait_user_confirm',
    '{\"out_bill_no\":\"$(no_of "$b2")\",\"state\":\"WAIT_USER_CONFIRM\",\"package_info\":\"affffddafdfafddffda==\"}',
    'EV-1', '{\"event_type\":\"MCHTRANSFER.BILL.FINISHED\"}')" >/dev/null
answer "$b3" sending fail "'NAME_MISMATCH'" "'收款人姓名校验不通过'" \
    "{\"out_bill_no\":\"$(no_of "$b3")\",\"state\":\"FAIL\",\"fail_reason\":\"NAME_MISMATCH\"}"
ld t_oncall payouts show "$P1" --json
expect_rc 0 "show"
same "$(j '";".join("%s:%d:%s" % (b["out_bill_no"], b["amount_fen"], b["state"]) for b in d["bills"])')" \
    "$(sql "SELECT string_agg(out_bill_no || ':' || amount_fen || ':' || state, ';'
        ORDER BY seq, generation) FROM transfer_bills WHERE payout_id = $P1")" "show's bills"
same "$(j '[b["package_info"] for b in d["bills"] if b["seq"] == 2][0]["value"]')" \
    "$(sql "SELECT package_info FROM transfer_bills WHERE id = $b2")" "package_info for the borrower's app"
same "$(j '[b["package_info"] for b in d["bills"] if b["seq"] == 2][0]["state"]')" waiting \
    "package_info waits for the borrower"
same "$(j 'len(d["attempts"])')" "$(sql "SELECT count(*) FROM payout_attempts a JOIN
    transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = $P1")" "every attempt"
same "$(j '[a["message"] for a in d["attempts"] if a["code"] == "NAME_MISMATCH"][0]')" \
    "$(sql "SELECT wechat_message FROM payout_attempts WHERE bill_id = $b3")" "WeChat Pay's words"
same "$(j '[a["response_body"] for a in d["attempts"] if a["bill_id"] == '"$b1"'][0]')" \
    "$(sql "SELECT response_body FROM payout_attempts WHERE bill_id = $b1")" "the answer as stored"
same "$(j 'd["payout"]["state"]')" "$(sql "SELECT state FROM payouts WHERE id = $P1")" "show's state"
same "$(j 'd["review"]["reason"]')" NAME_MISMATCH "the review's code"
same "$(j 'd["approvals"][0]["approver"] + "/" + d["approvals"][0]["note"]')" \
    "t_fin1/contract checked" "show's approvals"
j '[e["action"] for e in d["timeline"]]' | grep -q "payout.approve" || fail "timeline: $(cat "$T/out")"
ld t_risk payouts show "$P1" --json
expect_rc 3 "show as risk"
ld t_fin1 payouts show 999999 --json
expect_rc 4 "show a payout that is not there"
ld t_fin1 payouts show abc
expect_rc 2 "show abc"
grep -q '"abc" is not a payout id' "$T/err" || fail "show abc: $(cat "$T/err")"
ok "show: bills, package_info, attempts as stored, review, approvals, timeline"

# --- retry: the preview, then what it did -------------------------------------
ld t_oncall payouts retry "$P2" --dry-run --json
expect_rc 3 "retry a payout that has not failed"
same "$(j 'd["refusal_state"]')" 55000 "retry refused: its SQLSTATE"
same "$(sql "SELECT state FROM payouts WHERE id = $P1")" failed "the payout failed"
ld t_oncall payouts retry "$P1" --dry-run --json
expect_rc 0 "retry --dry-run"
same "$(j '";".join(b["fate"] for b in d["bills"])')" "paid;in_flight;again" \
    "which go again, which never, which keep their numbers"
again=$(j '";".join(b["new_out_bill_no"] + ":" + str(b["amount_fen"]) for b in d["bills"] if b["fate"] == "again")')
ld t_fin1 payouts retry "$P1" --note "name fixed" --json
expect_rc 3 "retry as finance"
ld t_oncall payouts retry "$P1"
expect_rc 2 "retry without a note"
ld t_oncall payouts retry "$P1" --note "the borrower fixed the name" --json
expect_rc 0 "retry"
same "$again" "$(sql "SELECT string_agg(out_bill_no || ':' || amount_fen, ';' ORDER BY seq)
    FROM transfer_bills WHERE payout_id = $P1 AND generation = 1")" "the new bills, as previewed"
same "$(sql "SELECT count(*) FROM transfer_bills WHERE payout_id = $P1 AND seq IN (1, 2)")" 2 \
    "the paid bill and the one in flight are not made again"
ok "retry: preview and result agree"

# --- hold, release, escalate ----------------------------------------------
ld t_oncall payouts hold "$P2" --reason "bank called about the account" --json
expect_rc 0 "hold"
same "$(sql "SELECT held_by || '/' || hold_reason FROM payouts WHERE id = $P2")" \
    "t_oncall/bank called about the account" "held by the operator"
same "$(j 'd["result"]')" "$(sql "SELECT state FROM payouts WHERE id = $P2")" "hold's result"
ld t_oncall payouts hold "$P2"
expect_rc 2 "hold without a reason"
ld t_fin2 payouts release "$P2" --json
expect_rc 0 "release"
same "$(sql "SELECT coalesce(held_by, '-') FROM payouts WHERE id = $P2")" - "released"
ld t_admin payouts release "$P2" --json
expect_rc 3 "release as admin"
ld t_oncall payouts escalate "$P2" --to risk --note x
expect_rc 2 "escalate to risk"
grep -q -- '--to "risk"' "$T/err" || fail "escalate usage: $(cat "$T/err")"
ld t_oncall payouts escalate "$P2" --to finance --note "the loan must change" --json
expect_rc 0 "escalate"
same "$(j 'd["result"]')" "$(sql "SELECT id FROM reviews WHERE payout_id = $P2 AND
    state <> 'closed' AND escalated_to = 'loandesk_finance'")" "escalated review"
ok "hold, release, escalate"

# --- the kill switch and the strip ------------------------------------------
ld t_risk payouts pause --reason x
expect_rc 3 "pause as risk"
ld t_admin payouts pause --reason "WeChat Pay incident" --json
expect_rc 0 "pause"
same "$(sql "SELECT paused || '/' || paused_by FROM payout_control")" true/t_admin "paused"
ld t_fin2 payouts status --json
expect_rc 0 "status"
same "$(j 'd["channel"]["state"] + "/" + d["channel"]["paused_by"]')" paused/t_admin "the strip's channel"
case $(j 'd["channel"]["text"]') in "paused by t_admin since "*": WeChat Pay incident") ;;
*) fail "channel text: $(cat "$T/out")" ;; esac
same "$(j 'd["waiting"]["count"]')" "$(sql "SELECT count(*) FROM payouts WHERE state = 'requested'")" \
    "waiting for approval"
same "$(j 'd["waiting"]["total_fen"]')" "$(sql "SELECT sum(amount_fen) FROM payouts WHERE state = 'requested'")" \
    "their total"
same "$(j 'd["paid_today_fen"]')" "$(sql "SELECT coalesce(sum(amount_fen), 0) FROM transfer_bills
    WHERE state = 'success' AND (coalesce(wechat_updated_at, succeeded_at) AT TIME ZONE
    'Asia/Shanghai')::date = (now() AT TIME ZONE 'Asia/Shanghai')::date")" "paid today"
same "$(j 'd["merchant_daily_max_fen"]')" "$(sql "SELECT value FROM settings WHERE key = 'merchant_daily_max_fen'")" \
    "the daily limit"
ld t_oncall payouts pause --reason again --json
expect_rc 3 "pause twice"
same "$(j 'd["sqlstate"]')" 55000 "pause twice: its SQLSTATE"
ld t_oncall payouts resume --note "incident over" --json
expect_rc 0 "resume"
same "$(sql "SELECT paused || '/' || resumed_by FROM payout_control")" false/t_oncall "resumed"
ld t_risk payouts status --json
expect_rc 3 "status as risk"
ok "pause, resume, status"

# --- incidents -----------------------------------------------------------------
P7=$(new_payout 70000)
ld t_fin1 payouts approve "$P7" --json
expect_rc 0 "approve P7"
send_due >/dev/null
b7=$(bill_of "$P7" 1)
answer "$b7" sending fail "'NAME_MISMATCH'" "'收款人姓名校验不通过'" \
    "{\"out_bill_no\":\"$(no_of "$b7")\",\"state\":\"FAIL\",\"fail_reason\":\"NAME_MISMATCH\"}"
ld t_oncall payouts incidents --json
expect_rc 0 "incidents"
same "$(j '[i["code"] + ":" + i["message"] for i in d["incidents"] if i["payout_id"] == '"$P7"'][0]')" \
    "NAME_MISMATCH:收款人姓名校验不通过" "the failed payout with WeChat Pay's words"
same "$(j 'd["incidents_total"]')" "$(sql "SELECT count(*) FROM reviews WHERE kind = 'payout'
    AND state <> 'closed'")" "open payout reviews"
same "$(j 'len(d["minutes"])')" 60 "an hour by the minute"
same "$(j 'sum(sum(m["exchanges"].values()) for m in d["minutes"])')" \
    "$(sql "SELECT count(*) FROM payout_attempts WHERE finished_at >= date_trunc('minute', now())
        - interval '59 minutes'")" "every exchange of the hour"
ok "incidents"

ld t_fin1 payouts help
expect_rc 0 "help"
grep -q "4 no such payout" "$T/out" || fail "help names the exit status"
ld t_fin1 payouts frob
expect_rc 2 "an unknown subcommand"
ld t_fin1 payouts resume 12
expect_rc 2 "resume takes no id"
ld t_fin1 payouts hold "$P5" --reason x --to finance
expect_rc 2 "hold --to"
grep -q -- "--to is not an option of hold" "$T/err" || fail "hold --to: $(cat "$T/err")"
ok "help and usage"
