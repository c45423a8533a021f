#!/bin/sh
# The console end to end: drives the real binary in a private tmux server
# against a throwaway cluster holding tests/console/data.sql, and asserts on
# what is in a row or a pane rather than on whole screens.
set -eu
. "${top_srcdir:-.}/tests/console/lib.sh"

ld_db_setup "$top_srcdir/tests/console/data.sql"

# --- The scriptable commands over the same read models.
out=$(PGUSER=ld_test_risk "$LOANDESK" apps list --json --status manual_review)
case "$out" in *'"id":302,'*'"name_masked":"欧**明"'*'"amount_fen":523456'*) ;;
*) ld_fail "apps list --json: $out" ;; esac
case "$out" in *'"id":303,'*) ld_fail "apps list --status let 303 through" ;; esac
out=$(PGUSER=ld_test_risk "$LOANDESK" apps list --limit 3)
printf '%s\n' "$out" | grep -Eq '^ +301 +[0-9-]+ [0-9:]+ +张\*三 +10,000\.00 +12m 552 B +manual_review' ||
	ld_fail "apps list: $out"
out=$(PGUSER=ld_test_risk "$LOANDESK" apps show 301 --json)
case "$out" in *'"apr_irr":0.1800'*'"feature":"carrier_tenure_months","value":null'*'"rules_hit":["R_MULTI_APPLY","R_DEVICE_SHARED"]'*) ;;
*) ld_fail "apps show --json: $out" ;; esac
rc=0; "$LOANDESK" apps list --status nonsense 2>"$LD_TMP/cli.err" || rc=$?
[ $rc = 2 ] && grep -q 'unknown status "nonsense"' "$LD_TMP/cli.err" ||
	ld_fail "apps list --status nonsense: rc $rc"
rc=0; "$LOANDESK" apps show 999999 2>"$LD_TMP/cli.err" || rc=$?
[ $rc = 1 ] && grep -q 'case 999999: no such application' "$LD_TMP/cli.err" ||
	ld_fail "apps show 999999: rc $rc"
echo "ok apps list/show"

# --- A risk officer at 120x40.
ld_start risk 120 40 PGUSER=ld_test_risk
ld_wait '张\*三'
ld_wait 'ld_test_risk \(risk\)'
# Times carry the session's zone; the sorted column its direction.
ld_line '^ +ID SUBMITTED UTC ▼ +NAME +AMOUNT' >/dev/null
ld_line '^ +301 .*张\*三 +¥10,000\.00 +12m 552 B +manual_review +manual_review' >/dev/null
echo "ok list"

# The position is exact only when it is known: counted from the top while
# paging down from it, the last row is the table's count.
total=$(ld_sql "SELECT count(*) FROM applications")
ld_wait "submitted desc +row 1 of ~$total "
i=0
while [ $i -lt 12 ]; do ld_keys NPage; i=$((i + 1)); done
ld_wait "submitted desc +row $total of $total "
# From the bottom (G) the position counts from the end.
ld_keys g
ld_wait 'submitted desc +row 1 of'
ld_keys G
ld_wait "submitted desc +last row of ~$total "
ld_keys k k
ld_wait 'submitted desc +row 3 from the end of'
ld_keys g
echo "ok position ($total rows)"

# Typed sorts: a direction when asked, else the column's default, never
# the previous column's.
ld_keys :
ld_type 'sort submitted asc'
ld_keys Enter
ld_wait 'sorted by submitted, ascending'
ld_line '^ +ID SUBMITTED UTC ▲ +NAME' >/dev/null
oldest=$(ld_sql "SELECT id FROM applications ORDER BY submitted_at, id LIMIT 1")
ld_line "^ +$oldest " >/dev/null
[ "$(ld_pane | sed -n 3p | awk '{ print $1 }')" = "$oldest" ] ||
	ld_fail "the oldest application $oldest is not the first row"
ld_keys :
ld_type 'sort amount'
ld_keys Enter
ld_wait 'sorted by amount, descending'
ld_line 'SUBMITTED UTC +NAME +AMOUNT ▼' >/dev/null
[ "$(ld_pane | sed -n 3p | awk '{ print $1 }')" = 305 ] ||
	ld_fail "the largest amount (305) is not the first row"
ld_keys :
ld_type 'sort score up'
ld_keys Enter
ld_wait 'sort: "up" is not asc or desc'
ld_keys :
ld_type 'sort submitted'
ld_keys Enter
ld_wait 'sorted by submitted, descending'
echo "ok sort commands and marker"

# Chinese names do not push the columns after them: the amount ends and
# the score starts in the same display column on every row.
l1=$(ld_line ' 301 ') l2=$(ld_line ' 302 ') l3=$(ld_line ' 303 ')
c1=$(ld_col "$l1" '552 B') c2=$(ld_col "$l2" '498 D') c3=$(ld_col "$l3" '640 A')
[ "$c1" = "$c2" ] && [ "$c2" = "$c3" ] ||
	ld_fail "score column differs: 张*三 $c1, 欧**明 $c2, J*** Smith $c3"
e1=$(ld_col "$l1" ' 12m') e2=$(ld_col "$l2" '  6m') e3=$(ld_col "$l3" ' 24m')
[ "$e1" = "$e2" ] && [ "$e2" = "$e3" ] ||
	ld_fail "amounts not right-aligned: $e1 $e2 $e3"
echo "ok chinese alignment (score at column $c1)"

# Live filter: every keystroke narrows the list; Enter keeps it.
ld_keys /
ld_type '欧'
ld_wait '^ +302 .*欧\*\*明'
ld_wait_gone '^ +301 '
ld_keys Enter
ld_keys c
ld_wait '^ +301 '
# Anywhere in status and product, as in the name; blanks around ignored.
ld_keys /
ld_type 'review'
ld_wait '^ +302 .*manual_review'
ld_wait_gone '^ +303 '
ld_keys Enter
ld_keys c
ld_keys /
ld_type ' sumer '
ld_wait '^ +303 .*auto_approved'
ld_wait_gone '^ +301 '
ld_keys Enter
ld_keys c
ld_wait '^ +301 '
echo "ok live filter"

# Esc clears the filters first and says where the next one goes; going
# back leaves that message behind.
ld_keys 3
ld_wait 'loandesk · Review queue'
ld_keys 1
ld_keys :
ld_type 'since 1d'
ld_keys Enter
ld_wait 'filter: since'
ld_keys Escape
ld_wait 'filters cleared \(q again goes back to Review queue\)'
ld_keys Escape
ld_wait 'loandesk · Review queue'
ld_wait_gone 'filters cleared'
ld_keys 1
ld_wait '^ +301 '
echo "ok back says where it goes"

# Typed filters.
ld_keys :
ld_type 'status manual_review'
ld_keys Enter
ld_wait 'filter: status=manual_review'
ld_wait_gone '^ +303 '
ld_line '^ +301 ' >/dev/null
ld_keys :
ld_type 'amount >8000'
ld_keys Enter
ld_wait 'filter: status=manual_review amount>8,000\.00'
ld_wait_gone '^ +302 '
ld_keys :
ld_type 'amount >5k'
ld_keys Enter
ld_wait 'amount: ">5k" is not'
ld_keys :
ld_type 'clear'
ld_keys Enter
ld_wait '^ +303 '
echo "ok commands"

# Open the case from the list.
ld_keys :
ld_type 'id 301'
ld_keys Enter
ld_wait 'filter: id=301'
ld_keys Enter
ld_wait '^Case 301 +张\*三 +ID 110\*+1234 +Phone 138\*+0001'
ld_line '^Amount +¥10,000\.00 +Term 12 months \(annuity\) +APR \(IRR\) 18\.00%' >/dev/null
ld_line 'Model credit_xgb 1\.3\.0' >/dev/null
ld_line '^Status +manual_review +Waiting 2h [0-9]+m since submission +Assignee' >/dev/null
ld_line 'Submitted 20[0-9-]+ [0-9:]+ UTC' >/dev/null
# The policy's recommendation, and no rule named: 301's hits neither
# reject nor review.
ld_line '^Score +552 B +PD 9\.46% +Recommended manual_review +Model credit_xgb' >/dev/null
ld_line '1\. PRIOR_NONE +prior_loans_repaid +无历史还款记录' >/dev/null
# The selected row in full under the pane.
ld_line '^ 1\. PRIOR_NONE \(prior_loans_repaid\): 无历史还款记录 / no repaid loans on record$' >/dev/null
echo "ok case header and reasons"

ld_keys Tab
ld_wait '\[Contributions 6\]'
ld_line '^ multi_apply_30d +1 +\+6\.3 +-0\.2180 ' >/dev/null
ld_line '^ carrier_tenure_months +\(missing\) +-1\.4' >/dev/null
# Sorted by impact: the first feature row is the largest |points|.
first=$(ld_pane | grep -A1 '^ FEATURE' | tail -1)
case "$first" in *multi_apply_30d*) ;; *) ld_fail "not sorted: $first" ;; esac
# The heading's axis is the bars' axis.
hd=$(ld_line '^ FEATURE +VALUE +POINTS +PHI') row=$(ld_line '^ multi_apply_30d ')
[ "$(ld_col "$hd" '|')" = "$(ld_col "$row" '│')" ] ||
	ld_fail "the heading's | is not over the bars' axis: $hd / $row"
ld_line '^ multi_apply_30d = 1: \+6\.3 points, phi -0\.2180, raises the score' >/dev/null
ld_keys Tab
ld_wait '\[Rule hits 2\]'
ld_line 'R_MULTI_APPLY +v3 +refer +多头申请 3\+ in 30 days +\(multi_apply_30d=4\)' >/dev/null
ld_keys Tab
ld_wait '\[Linked 3\]'
ld_line 'phone +306 +王\*五 .*rejected' >/dev/null
# 304 shares the device and the IP: one row says both.
ld_line 'device,ip +304 ' >/dev/null
ld_line '^ ip +305 ' >/dev/null
# Headings sit over their data: left-aligned ones start, right-aligned
# ones end, in the same display column.
hd=$(ld_line '^ VIA +ID +NAME') row=$(ld_line '^ phone +306 ')
[ "$(ld_col "$hd" VIA)" = "$(ld_col "$row" phone)" ] || ld_fail "VIA: $hd"
[ $(($(ld_col "$hd" ID) + 2)) = $(($(ld_col "$row" 306) + 3)) ] ||
	ld_fail "ID does not end over the ids: $hd / $row"
[ "$(ld_col "$hd" ' NAME')" = "$(ld_col "$row" ' 王')" ] ||
	ld_fail "NAME is not over the names: $hd / $row"
[ $(($(ld_col "$hd" AMOUNT) + 6)) = $(($(ld_col "$row" ¥3,000.00) + 9)) ] ||
	ld_fail "AMOUNT does not end over the amounts: $hd / $row"
sub=$(ld_sql "SELECT to_char(submitted_at, 'YYYY-MM-DD') FROM applications WHERE id = 306")
[ "$(ld_col "$hd" SUBMITTED)" = "$(ld_col "$row" "$sub")" ] ||
	ld_fail "SUBMITTED is not over the dates: $hd / $row"
[ "$(ld_col "$hd" STATUS)" = "$(ld_col "$row" rejected)" ] ||
	ld_fail "STATUS is not over the states: $hd / $row"
ld_keys Tab
ld_wait '\[Schedule 12\]'
ld_line '^ +1 +¥766\.80 +¥150\.00 .*¥916\.80 +¥9,233\.20' >/dev/null
ld_line '^ +12 .*¥916\.81 +¥0\.00' >/dev/null
echo "ok contributions, rule hits, links, schedule"

# Follow a link and come back to the same pane and row.
ld_keys BTab
ld_wait '\[Linked 3\]'
ld_keys j
ld_wait '^ 306 王\*五, linked by phone: ¥3,000\.00'
ld_keys Enter
ld_wait '^Case 306 +王\*五'
ld_keys q
ld_wait '^Case 301 '
ld_wait '\[Linked 3\]'
ld_line '^ 306 王\*五, linked by phone: ¥3,000\.00, submitted [0-9-]+, rejected \(Enter opens it\)$' >/dev/null
echo "ok linked jump"

# An automatic decision is not waiting: it says when the model decided.
ld_keys F4
ld_wait '\[Linked 3\]'
ld_keys g Enter
ld_wait '^Case 304 '
ld_line '^Status +auto_rejected +Decided by the model 20[0-9-]+ [0-9:]+ UTC, [0-9]+h [0-9]+m after submission' >/dev/null
ld_pane | grep -q 'Waiting' && ld_fail "auto-decided 304 shows a waiting time"
# Approving what the model rejected needs a note; saying none keeps the
# prompt, and the reason stays in view above it.
ld_keys a
ld_wait 'Approve 304: reason code'
ld_keys Enter
ld_wait '^Note \(required: this overrides'
ld_keys Enter
ld_wait 'a note is required when overriding the model.s recommendation \(auto_rejected\)'
ld_line '^Note \(required' >/dev/null
ld_keys Escape
ld_wait 'approve: cancelled'
ld_keys q
ld_wait '^Case 301 '

# Approve with a reason: picker, note, confirmation, then the status.
ld_keys a
ld_wait 'Approve 301: reason code'
ld_line 'VERIFIED_INCOME +收入已核实' >/dev/null
ld_keys G Enter
ld_wait '^Note \(optional\)'
ld_type 'payslips checked'
ld_keys Enter
ld_wait 'Approve application 301\?'
ld_line 'Status: manual_review -> approved' >/dev/null
ld_line 'Reason: VERIFIED_INCOME' >/dev/null
ld_line 'payout request of ¥10,000\.00' >/dev/null
ld_keys y
ld_wait 'application 301: approve with VERIFIED_INCOME; status now approved'
ld_wait '^Status +approved +Decided 20[0-9-]+ [0-9:]+ UTC by ld_test_risk \(VERIFIED_INCOME\), [0-9]+h [0-9]+m after submission'
ld_pane | grep -q 'Waiting' && ld_fail "decided 301 shows a waiting time"
# The timeline reads the audit row's detail in words, not JSON.
ld_keys F6
ld_wait '\[Timeline [0-9]+\]'
ld_line '^ AT UTC +ACTOR +ACTION +DETAIL' >/dev/null
ld_line 'ld_test_risk +application\.approve +manual_review → approved, reason VERIFIED_INCOME, note' >/dev/null
ld_pane | grep -q '{"' && ld_fail "raw JSON in the timeline"
[ "$(ld_sql "SELECT status || ' ' || decided_by || ' ' || decision_reason FROM applications WHERE id = 301")" = "approved ld_test_risk VERIFIED_INCOME" ] ||
	ld_fail "the database does not hold the approval"
echo "ok approve"

# A decided case offers no decision: the bar drops them, help leaves
# them out, and the key says why.
ld_line '^Tab next pane' >/dev/null
ld_pane | grep -q 'approve  x reject' && ld_fail "decided 301 still offers decisions"
ld_keys x
ld_wait 'reject: not now, already approved'
echo "ok no decisions on a decided case"

# The database's refusal is shown, not swallowed: another officer rejects
# 304 while this console is asking for the reason (after the database's
# preview let it ask).
ld_keys F4
ld_wait '\[Linked 3\]'
ld_keys g Enter
ld_wait '^Case 304 '
ld_keys x
ld_wait 'Reject 304: reason code'
ld_sql "UPDATE applications SET status = 'rejected' WHERE id = 304"
ld_keys Enter
ld_wait '^Note'
ld_keys Enter
ld_wait 'Reject application 304\?'
ld_line 'No money moves; the applicant is told the reason\.' >/dev/null
ld_keys y
ld_wait 'reject: application 304 is already rejected \[55000\]'
ld_keys q
ld_wait '^Case 301 '
echo "ok database error in the status line"

# The audit row, and the chain verified.
ld_keys 4
ld_wait 'chain: verified, [0-9]+ rows intact'
ld_line 'ld_test_risk +application\.approve +application/301 +manual_review → approved' >/dev/null
ld_line '^ +ID AT UTC +ACTOR +ACTION +OBJECT +DETAIL' >/dev/null
ld_keys :
ld_type 'action review.claim'
ld_keys Enter
ld_wait 'No audit rows match'
# An empty result says so as the applications list does.
ld_line 'loandesk · Audit log +empty +ld_test_risk \(risk\)' >/dev/null
ld_pane | grep -q 'row 0 of 0' && ld_fail "the empty audit log says row 0 of 0"
echo "ok audit"

# Resize to 80x24 and back: columns drop, nothing wraps, they return.
ld_resize 80 24
ld_keys 1
ld_wait '^ +ID SUBMITTED UTC ▼ +NAME'
ld_line '^ +301 .* approved' >/dev/null
ld_keys c
ld_wait '^ +302 '
ld_wait_gone 'ASSIGNEE'
[ "$(ld_pane | wc -L)" -le 80 ] || ld_fail "a line is wider than 80 columns"
ld_line '^ +302 .*欧\*\*明 +¥5,234\.56' >/dev/null
[ "$(ld_pane | wc -l)" -le 24 ] || ld_fail "more than 24 lines"
ld_pane | sed -n 23p | grep -q 'Enter open' || ld_fail "no hint bar at 80x24"
# Each screen's hints come from its own keys, and ?, q and Q always fit.
hints() { ld_pane | sed -n 23p; }
for k in 1 2 3 4; do
	ld_keys "$k"
	ld_settle
	h=$(hints)
	for want in '? help' 'q back' 'Q quit'; do
		case "$h" in *"$want"*) ;; *) ld_fail "screen $k at 80 columns: no \"$want\" in: $h" ;; esac
	done
	case "$k" in
	1) case "$h" in *'/ filter'*': command'*) ;; *) ld_fail "list hints: $h" ;; esac ;;
	2) case "$h" in *'/ filter'*|*': command'*) ld_fail "case hints offer what it lacks: $h" ;; esac
	   # 301 is decided by now: Tab stays, the decisions are gone (the
	   # CUnit suite checks both fit at 80 columns on an open case).
	   case "$h" in *'a approve'*|*'x reject'*) ld_fail "decided case offers decisions: $h" ;; esac
	   case "$h" in *'Tab next pane'*) ;; *) ld_fail "case hints: $h" ;; esac ;;
	3) case "$h" in *'/ filter'*': command'*'c claim'*) ;; *) ld_fail "review hints: $h" ;; esac ;;
	4) case "$h" in *'/ filter'*) ld_fail "audit hints offer a filter: $h" ;; esac
	   case "$h" in *': command'*'v verify'*) ;; *) ld_fail "audit hints: $h" ;; esac ;;
	esac
done
# The case header wraps instead of cutting at 80 columns.
ld_keys 2
ld_wait '^Case 301 '
ld_line 'Product cash_loan' >/dev/null
ld_line 'Scored 20[0-9-]+ [0-9:]+ UTC' >/dev/null
# The contributions' heading follows the narrower bars' axis.
ld_keys F2
ld_wait '\[Contributions 6\]'
hd=$(ld_line '^ FEATURE +VALUE') row=$(ld_line '^ multi_apply_30d ')
[ "$(ld_col "$hd" '|')" = "$(ld_col "$row" '│')" ] ||
	ld_fail "80 columns: the heading's | is not over the axis: $hd / $row"
# The audit columns fit: object and detail stay in view.
ld_keys 4
ld_keys c
ld_wait '^ *AT UTC +ACTOR +ACTION +OBJECT +DETAIL'
ld_line '^[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} +ld_test_r… +application\.approve +application/301 +manual_r' >/dev/null
# What a narrow column cuts, the selected row's preview shows whole.
ld_line '^#[0-9]+ ld_test_risk application\.approve application/301: manual_review → approved,$' >/dev/null
ld_line '^reason VERIFIED_INCOME, note "payslips checked"' >/dev/null
[ "$(ld_pane | wc -L)" -le 80 ] || ld_fail "an audit line is wider than 80 columns"
# The help of the case screen is longer than 24 lines: it says it scrolls,
# and G reaches its last line.
ld_keys 2
ld_wait '^Case 301 '
ld_keys '?'
ld_wait 'Keys 1-[0-9]+ of [0-9]+ \(j/k PgDn/PgUp scroll, q closes\)'
ld_pane | grep -q 'Times are in' && ld_fail "help's last line shown before scrolling"
ld_keys G
ld_wait 'Times are in'
ld_keys q
ld_wait_gone 'Keys 1-'
ld_keys 1
ld_resize 120 40
ld_wait 'ASSIGNEE'
echo "ok resize"

# Colours are used in a 256-colour terminal.
$LD_TMUX capture-pane -p -e -t ld:risk | grep -q '\[38;5;' ||
	ld_fail "no 256-colour output"
ld_quit
echo "ok quit"

# --- NO_COLOR: attributes only; the selected row is still marked.
ld_start nocolor 120 40 PGUSER=ld_test_risk NO_COLOR=1
ld_wait '张\*三'
sgr=$($LD_TMUX capture-pane -p -e -t "$LD_PANE")
# tmux's own resets to the default colours (39, 49) are not colours.
if printf '%s' "$sgr" |
    grep -Eq '(\[|;)(3[0-7]|4[0-7]|9[0-7]|10[0-7])(;|m)|38;|48;'; then
	ld_fail "colour escape sequences under NO_COLOR"
fi
printf '%s' "$sgr" | grep -Eq '(\[|;)7(;|m)' || ld_fail "no reverse video under NO_COLOR"
ld_quit
echo "ok NO_COLOR"

# --- A finance clerk may not decide: no action offered or listed.
ld_start fin 120 40 PGUSER=ld_test_fin
ld_wait 'ld_test_fin \(finance\)'
ld_keys :
ld_type 'id 302'
ld_keys Enter
ld_wait 'filter: id=302'
ld_keys Enter
ld_wait '^Case 302 '
ld_wait 'not visible to this role'
ld_pane | grep -q 'approve' && ld_fail "finance is offered approve"
ld_keys '?'
ld_wait 'Keys \(q or Esc closes\)'
ld_pane | grep -Eq 'approve|reject|manual review' &&
	ld_fail "help lists decisions for finance"
ld_keys Escape
ld_wait_gone 'Keys \(q or Esc'
ld_keys a
ld_wait 'approve: not offered to ld_test_fin'
# The model is not the role's to read: said so, not "?".
ld_line 'Recommended manual_review +Model \(not shown to this role\)' >/dev/null
ld_pane | grep -q 'Model ?' && ld_fail "finance sees Model ?"
ld_keys F2
ld_wait '\[Contributions 0\]'
ld_line '^  not visible to this role' >/dev/null
ld_quit
echo "ok finance sees no decisions"

# --- --readonly hides the actions even from a risk officer.
ld_start ro 120 40 PGUSER=ld_test_risk -- --readonly
ld_wait 'READONLY'
ld_keys 3
ld_wait '欧\*\*明'
ld_pane | grep -Eq '(^| )c claim' && ld_fail "readonly offers claim"
ld_quit
# The same option before any command (loandesk --readonly), which is the
# console's alone; and the console's own --help.
"$LOANDESK" --readonly apps list >/dev/null 2>"$LD_TMP/ro.err" &&
	ld_fail "--readonly accepted for apps list"
grep -q "readonly is the console's option" "$LD_TMP/ro.err" ||
	ld_fail "--readonly with a command: $(cat "$LD_TMP/ro.err")"
"$LOANDESK" console --help | grep -q 'console\] \[--readonly\]' ||
	ld_fail "console --help"
echo "ok readonly"

# --- Review queue: the operator's own reviews first, then the open ones
# oldest first, then those a colleague holds; claim, and who may change
# whose; the : commands and the / filter; the columns at 80.
ld_sql "CREATE ROLE ld_test_risk2 LOGIN IN ROLE loandesk_risk"
ld_sql "INSERT INTO reviews (kind, application_id, reason, opened_at) VALUES
	('application', 307, 'RULE_REVIEW R_DEVICE_SHARED', now() - interval '5 hours'),
	('application', 303, 'DOCS_NEEDED', now() - interval '20 minutes'),
	('application', 305, 'SECOND_OPINION', now() - interval '9 hours')"
held=$(ld_sql "SELECT id FROM reviews WHERE application_id = 305")
psql -X -qAt -v ON_ERROR_STOP=1 -U ld_test_risk2 -c "SELECT api.review_claim($held)" >/dev/null
# The application ids of the queue's rows, top to bottom.
queue() { ld_pane | grep -E '^ +[0-9]+ +30[0-9] ' | awk '{ printf "%s ", $2 }'; }
ld_start rev 120 40 PGUSER=ld_test_risk
ld_wait '张\*三'
ld_keys 3
ld_wait '^ +1 +302 欧\*\*明 +¥5,234\.56 open +- +[0-9]+h [0-9]+m application +SECOND_OPINION'
ld_line '^Yours first \(0\), then open oldest first \(3\), then held by others \(1\)$' >/dev/null
ld_line 'Review queue +row 1 of 4 +ld_test_risk' >/dev/null
[ "$(queue)" = "307 302 303 305 " ] || ld_fail "queue order: $(queue)"
ld_line "^ +$held +305 .* claimed +ld_test_risk2 " >/dev/null
# :id jumps to an application's review; claiming it twice says whose it is.
ld_keys :
ld_type 'id 302'
ld_keys Enter
ld_wait 'review 1 of application 302'
ld_line '^filter: id=302 \(Esc clears\)' >/dev/null
ld_keys c
ld_wait 'review 1 claimed: yours, listed first'
ld_line '^ +1 +302 .* claimed +ld_test_risk ' >/dev/null
ld_keys c
ld_wait 'claim: review 1 is already yours \[55000\]'
ld_pane | grep -q 'review 1: review 1' && ld_fail "the review is named twice"
ld_keys Escape
ld_wait 'filters cleared'
ld_wait '^Yours first \(1\), then open oldest first \(2\), then held by others \(1\)$'
[ "$(queue)" = "302 307 303 305 " ] || ld_fail "mine first: $(queue)"
# A colleague's review: neither released nor taken by assigning it.
ld_keys G
ld_wait "Review queue +row 4 of 4 "
ld_keys u
ld_wait "release: review $held is claimed by ld_test_risk2: only ld_test_risk2 or an admin may release it \\[42501\\]"
ld_keys A
ld_type 'ld_test_risk'
ld_keys Enter
ld_wait "assign: review $held is claimed by ld_test_risk2: only ld_test_risk2 or an admin may reassign it \\[42501\\]"
[ "$(ld_sql "SELECT assignee FROM reviews WHERE id = $held")" = ld_test_risk2 ] ||
	ld_fail "review $held changed hands"
echo "ok review queue order and who may change a review"

ld_keys :
ld_type 'mine'
ld_keys Enter
ld_wait '^Yours only \(1\), oldest first'
[ "$(queue)" = "302 " ] || ld_fail ":mine: $(queue)"
ld_keys :
ld_type 'open'
ld_keys Enter
ld_wait '^Open only \(2\), oldest first'
[ "$(queue)" = "307 303 " ] || ld_fail ":open: $(queue)"
ld_keys :
ld_type 'kind payout'
ld_keys Enter
ld_wait 'No review matches the filter'
ld_line 'loandesk · Review queue +empty +ld_test_risk' >/dev/null
ld_keys :
ld_type 'kind loan'
ld_keys Enter
ld_wait 'kind: "loan" is not application, payout or reconciliation'
ld_keys :
ld_type 'clear'
ld_keys Enter
ld_wait 'whole queue'
[ "$(queue)" = "302 307 303 305 " ] || ld_fail ":clear: $(queue)"
# / by name and by reason, in any case.
ld_keys /
ld_type 'smith'
ld_wait '^ +[0-9]+ +303 J\*\*\* Smith '
ld_wait_gone '^ +1 +302 '
ld_keys Enter
ld_keys Escape
ld_wait '^ +1 +302 '
ld_keys /
ld_type 'device'
ld_wait_gone '^ +1 +302 '
[ "$(queue)" = "307 " ] || ld_fail "/device: $(queue)"
ld_keys Enter
# Enter opens the review's case.
ld_keys Enter
ld_wait '^Case 307 '
ld_keys q
ld_wait 'loandesk · Review queue'
ld_keys Escape
ld_wait '^ +1 +302 '
echo "ok review queue commands and filter"

ld_keys g A
ld_type 'nobody'
ld_keys Enter
ld_wait 'assign: review 1: .*nobody.*\[[0-9A-Z]{5}\]'

# At 80 columns the reasons stay whole: what says least goes instead.
ld_resize 80 24
ld_wait '^REVIEW .*WAITING REASON *$'
ld_line '^ +2 .*赵\*\* .* RULE_REVIEW R_DEVICE_SHARED$' >/dev/null
ld_line '^ +1 .*欧\*\*明 .* ld_test_risk .* SECOND_OPINION$' >/dev/null
ld_pane | grep -E '^ +[0-9]+ ' | grep -q '…' && ld_fail "a queue row is cut at 80 columns"
[ "$(ld_pane | wc -L)" -le 80 ] || ld_fail "a queue line is wider than 80 columns"
ld_line 'Review queue +row 1 of 4 +ld_test_risk \(risk\)' >/dev/null
# What the dropped columns said, the selected row's line says.
ld_keys j
ld_wait '^#2 application 307 赵\*\*: RULE_REVIEW R_DEVICE_SHARED, opened 20'
ld_resize 120 40
ld_wait '^REVIEW .*STATE .*KIND +REASON'

# The audit row of the claim opens the application it is about.
ld_keys 4
ld_keys :
ld_type 'object review/1'
ld_keys Enter
ld_wait 'ld_test_risk +review\.claim +review/1 '
ld_keys Enter
ld_wait '^Case 302 '
ld_quit
echo "ok review queue at 80 columns; audit rows open their application"

# --- Case 302 as the worker writes a rule-decided review: R003 sent it
# to a person, two feature names share a start, a contribution rounds to
# zero; its review case is claimed (here, unless the queue's test did).
ld_sql "UPDATE scores SET rules_hit = '[
 {\"id\": \"R003\", \"version\": 1, \"action\": \"review\", \"text\": \"同一设备24小时内3人及以上申请 / device used by 3 or more applicants in 24 hours\", \"inputs\": {\"device_shared_applicants_24h\": 7}},
 {\"id\": \"R011\", \"version\": 1, \"action\": \"flag\", \"text\": \"运营商实名不一致 / carrier real-name check failed\", \"inputs\": {\"carrier_realname_verified\": 0}}]',
 contributions = '[
 {\"feature\": \"declared_contacts_overdue_ratio\", \"value\": 0.5, \"phi\": 0.31, \"points\": -9.0},
 {\"feature\": \"declared_contacts_overdue\", \"value\": 2, \"phi\": 0.12, \"points\": -3.5},
 {\"feature\": \"night_activity_ratio\", \"value\": 0.1, \"phi\": 0.00001, \"points\": -0.04}]'
 WHERE application_id = 302"
PGUSER=ld_test_risk ld_sql "SELECT api.review_claim(id) FROM reviews WHERE application_id = 302 AND state = 'open'" >/dev/null
ld_start case302 120 40 PGUSER=ld_test_risk
ld_wait '张\*三'
ld_keys :
ld_type 'id 302'
ld_keys Enter
ld_wait 'filter: id=302'
ld_keys Enter
ld_wait '^Case 302 '
# The recommendation names the rule that made it; the waits say from when.
ld_line '^Score +498 D +PD 22\.10% +Recommended manual_review \(rule R003\) +Model credit_xgb' >/dev/null
ld_line '^Status +manual_review +Waiting 3h [0-9]+m since submission, in review 3h [0-9]+m +Assignee ld_test_risk' >/dev/null
# Names sized to the longest, whole and told apart; no negative zero.
ld_keys F2
ld_wait '\[Contributions 3\]'
ld_line '^ declared_contacts_overdue_ratio +0\.5 +-9\.0 +\+0\.3100 ' >/dev/null
ld_line '^ declared_contacts_overdue +2 +-3\.5 +\+0\.1200 ' >/dev/null
ld_line '^ night_activity_ratio +0\.1 +0\.0 +0\.0000 ' >/dev/null
ld_pane | grep -Eq -- '-0\.0( |$)|-0\.0000' && ld_fail "a negative zero is shown"
# At each width, in the frame drawn for it (ld_resize, ld_wait), the
# heading's | is over the rows' axis.
for w in 120 100 80 150; do
	ld_resize $w 40
	ld_wait "^ FEATURE +VALUE +POINTS +PHI .*\\|"
	hd=$(ld_line '^ FEATURE +VALUE') row=$(ld_line '^ declared_contacts_overdue_ratio ')
	[ "$(ld_col "$hd" '|')" = "$(ld_col "$row" '│')" ] ||
		ld_fail "$w columns: the heading's | is not over the axis: $hd / $row"
done
ld_resize 120 40
ld_keys j
ld_wait '^ declared_contacts_overdue = 2: -3\.5 points, phi \+0\.1200, lowers the score'
# The rule's inputs: cut in the row, whole in the detail under it.
ld_keys F3
ld_wait '\[Rule hits 2\]'
ld_wait '^ R003 +v1 +review +同一设备.*…$'
ld_wait '^ R003 v1 review: 同一设备24小时内3人及以上申请 / device used by 3 or more'
ld_wait 'device_shared_applicants_24h=7\)$'
# MODEL_AGREE only where the decision is the recommendation; the reject
# reasons' Chinese is not cut.
ld_keys a
ld_wait 'Approve 302: reason code'
ld_line 'VERIFIED_INCOME +收入已核实 +Income verified' >/dev/null
ld_pane | grep -q MODEL_AGREE && ld_fail "MODEL_AGREE offered to approve a manual_review case"
ld_keys Escape
ld_wait 'approve: cancelled'
ld_keys x
ld_wait 'Reject 302: reason code'
ld_line 'INCOME_INSUFFICIENT 收入不足以覆盖还款 Income does not cover repayments' >/dev/null
ld_line 'DEBT_BURDEN +多头借贷负担过重 +Too many concurrent loans' >/dev/null
ld_pane | grep -q MODEL_AGREE && ld_fail "MODEL_AGREE offered to reject a manual_review case"
# FRAUD_SUSPECTED, fourth by code, with a note longer than the column.
ld_keys j j j Enter
ld_wait '^Note \(optional\)'
ld_type 'fraud ring: the device was shared with six other applicants in a day, the employer named does not exist and nobody answered the callback'
ld_keys Enter
ld_wait 'Reject application 302\?'
# A fraud suspicion is not told (decision_reasons.disclosed, 0019).
ld_line 'No money moves; the applicant is not told this reason\.' >/dev/null
ld_keys y
ld_wait 'application 302: reject with FRAUD_SUSPECTED; status now rejected'
# The timeline: the review's claim, and the note whole in the detail.
ld_keys F6
ld_wait '\[Timeline [0-9]+\]'
ld_line 'ld_test_risk +review\.claim +nobody → ld_test_risk, application review of application 302' >/dev/null
ld_line 'ld_test_risk +application\.reject +manual_review → rejected, reason FRAUD_SUSPECTED, note "fra.*…$' >/dev/null
ld_line '^ #[0-9]+ 20[0-9-]+ [0-9:]+ ld_test_risk application\.reject application/302: manual_review → rejected' >/dev/null
ld_line 'nobody answered the callback"' >/dev/null
ld_keys G
ld_wait '^ #[0-9]+ .* review\.(claim|assign) review/1: '
ld_quit
echo "ok case 302: recommendation by rule, waits, names, inputs, reasons, timeline"

# --- NOTIFY: a new application arrives above the cursor, which stays on
# the same row and the same screen line; the new row is one step up.
ld_start live 120 40 PGUSER=ld_test_risk
ld_wait '张\*三'
ld_keys j j
ld_wait 'submitted desc +row 3 of'
# A plain INSERT: the table's own trigger (0007) notifies.
ld_sql "INSERT INTO applications (applicant_id, product, amount_fen, term_months, rate_bps, status, submitted_at) VALUES (3, 'cash_loan', 4242, 6, 1800, 'received', now())" >/dev/null
ld_wait 'submitted desc +row 4 of'
sel=$($LD_TMUX capture-pane -p -e -t "$LD_PANE" | grep -E '(\[|;)(7|48;5;238)(;|m)' | grep -v 'loandesk' | head -1)
case "$sel" in *" 303 "*) ;; *) ld_fail "the cursor left application 303: $sel" ;; esac
[ "$(ld_pane | grep -n ' 303 ' | cut -d: -f1)" = 5 ] ||
	ld_fail "application 303 moved on the screen"
ld_keys g
ld_wait '^ +[0-9]+ .*J\*\*\* Smith +¥42\.42 +6m -'
ld_quit
echo "ok notify keeps the cursor"

# --- A slow query says so and Esc cancels it (PQcancel): another session
# holds a lock the list's query must wait for.
ld_start slow 120 40 PGUSER=ld_test_risk
ld_wait '张\*三'
PGAPPNAME=ld_locker psql -X -q -c "BEGIN; LOCK TABLE applications IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)" >/dev/null 2>&1 &
locker=$!
ld_until "the locker's lock" ld_sql_is 1 "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'ld_locker' AND l.mode = 'AccessExclusiveLock' AND l.granted"
ld_keys r
# Said while the query waits, before the frame that takes in the r.
ld_wait_busy 'waiting for the database\.\.\. Esc cancels'
ld_keys Escape
ld_wait 'applications: cancelled'
ld_line '^ +301 ' >/dev/null
ld_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ld_locker'" >/dev/null
wait "$locker" 2>/dev/null || true
echo "ok Esc cancels a slow query"

# --- Chain verification never blocks: while a batch waits (here on a
# lock) the screen is up and says so, and Esc stops it.
ld_keys 4
ld_wait 'chain: verified'
PGAPPNAME=ld_locker psql -X -q -c "BEGIN; LOCK TABLE audit_head IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)" >/dev/null 2>&1 &
locker=$!
ld_until "the locker's lock" ld_sql_is 1 "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'ld_locker' AND l.mode = 'AccessExclusiveLock' AND l.granted"
ld_keys v
ld_wait 'chain: verifying… (\(Esc stops\)|[0-9,]+ of)'
ld_line 'application\.approve +application/301 ' >/dev/null
ld_keys Escape
ld_wait 'chain: verification stopped after [0-9,]+ rows'
ld_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ld_locker'" >/dev/null
wait "$locker" 2>/dev/null || true
ld_keys v
ld_wait 'chain: verified, [0-9,]+ rows intact'
ld_keys 1
echo "ok chain verification runs in the background; Esc stops it"

# --- A lost connection shows a banner, then the console reconnects.
ld_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'loandesk-console'" >/dev/null
ld_wait 'connection to the database lost'
ld_wait 'reconnected'
ld_wait_gone 'connection to the database lost'
ld_keys j
ld_wait 'row 2 of'
ld_quit
echo "ok reconnect"

# --- Times in the operator's zone when PGTZ asks, labelled with it.
ld_start tz 120 40 PGUSER=ld_test_risk PGTZ=Asia/Shanghai
ld_wait '张\*三'
ld_line '^ +ID SUBMITTED \+08 ▼ +NAME' >/dev/null
local=$(ld_sql "SET TimeZone = 'Asia/Shanghai'; SELECT to_char(submitted_at, 'YYYY-MM-DD HH24:MI') FROM applications WHERE id = 301")
ld_line "^ +301 $local " >/dev/null
ld_keys '?'
ld_wait 'Times are in Asia/Shanghai \(\+08\)'
ld_keys Escape
ld_quit
echo "ok PGTZ"

# --- Without a terminal the console says so instead of spinning.
rc=0; "$LOANDESK" console </dev/null >"$LD_TMP/tty.out" 2>"$LD_TMP/tty.err" || rc=$?
[ $rc = 2 ] && grep -q 'standard input is not a terminal' "$LD_TMP/tty.err" ||
	ld_fail "console without a terminal: rc $rc: $(cat "$LD_TMP/tty.err")"
# A terminal that goes away (hang-up ignored, so reads fail) ends it.
ld_window gone 120 40 "trap '' HUP; PGUSER=ld_test_risk exec $LOANDESK console 2>$LD_TMP/err.gone"
ld_wait '张\*三'
pid=$($LD_TMUX list-panes -t "$LD_PANE" -F '#{pane_pid}')
$LD_TMUX kill-window -t "$LD_PANE"
LD_PANE=
gone() { ! kill -0 "$pid" 2>/dev/null; }
if ! ld_poll gone; then
	ps -o pid,stat,pcpu,cmd -p "$pid" >&2
	kill "$pid"
	ld_fail "the console outlived its terminal"
fi
grep -q "the terminal's input ended" "$LD_TMP/err.gone" ||
	ld_fail "no word on stderr: $(cat "$LD_TMP/err.gone")"
echo "ok no terminal"
