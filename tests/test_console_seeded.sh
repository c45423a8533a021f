#!/bin/sh
# The console over seeded, scored data: `loandesk seed`, the example
# scorecard as champion, one pass of the scoring worker, then a risk
# officer works a manual-review case in tmux.  What the screen must show
# is read back from the database, so this checks the console against the
# worker's real JSON rather than against fixtures.
set -eu
. "${top_srcdir:-.}/tests/console/lib.sh"

LOANDESKD="$top_builddir/loandeskd"
[ -x "$LOANDESKD" ] || ld_skip "no loandeskd"

ld_db_setup
openssl rand -hex 32 >"$LD_TMP/pii.key"
openssl rand -hex 32 >"$LD_TMP/bidx.key"
chmod 600 "$LD_TMP/pii.key" "$LD_TMP/bidx.key"
cat >"$LD_TMP/ld.conf" <<CONF
[risk]
rules_file = $top_srcdir/etc/rules.conf
reason_codes_file = $top_srcdir/etc/reason_codes.tsv
[security]
pii_key_file = $LD_TMP/pii.key
blind_index_key_file = $LD_TMP/bidx.key
CONF
LOANDESK_CONF=$LD_TMP/ld.conf
export LOANDESK_CONF
"$LOANDESK" seed --count 400 --seed 7 >"$LD_TMP/seed.out" 2>&1 ||
	{ cat "$LD_TMP/seed.out" >&2; ld_fail "seed"; }
"$LOANDESK" model register --file "$top_srcdir/etc/scorecard.example.json" \
    --name card --version 1 >/dev/null
"$LOANDESK" model activate card 1 >/dev/null
"$LOANDESKD" --once >"$LD_TMP/score.out" 2>&1 ||
	{ cat "$LD_TMP/score.out" >&2; ld_fail "scoring"; }
ld_sql "CREATE ROLE ld_seed_risk LOGIN IN ROLE loandesk_risk"

# One a review rule sent to a person, so the header names it.
id=$(ld_sql "SELECT a.id FROM applications a JOIN scores s ON s.id = a.score_id WHERE a.status = 'manual_review' AND jsonb_array_length(s.contributions) > 0 AND jsonb_array_length(s.reasons) > 0 AND s.rules_hit @> '[{\"action\": \"review\"}]' ORDER BY a.id LIMIT 1")
[ -n "$id" ] || ld_fail "no scored manual-review application with reasons and a review rule"
rules=$(ld_sql "SELECT string_agg(r->>'id', ', ' ORDER BY o) FROM applications a JOIN scores s ON s.id = a.score_id, jsonb_array_elements(s.rules_hit) WITH ORDINALITY AS h(r, o) WHERE a.id = $id AND r->>'action' = 'review'")
rule=$(ld_sql "SELECT r->>'id' FROM applications a JOIN scores s ON s.id = a.score_id, jsonb_array_elements(s.rules_hit) WITH ORDINALITY AS h(r, o) WHERE a.id = $id ORDER BY o LIMIT 1")
input=$(ld_sql "SELECT k FROM applications a JOIN scores s ON s.id = a.score_id, jsonb_object_keys(s.rules_hit->0->'inputs') k WHERE a.id = $id ORDER BY k DESC LIMIT 1")
feature=$(ld_sql "SELECT s.contributions->0->>'feature' FROM applications a JOIN scores s ON s.id = a.score_id WHERE a.id = $id")
reason=$(ld_sql "SELECT s.reasons->0->>'code' FROM applications a JOIN scores s ON s.id = a.score_id WHERE a.id = $id")
name=$(ld_sql "SELECT p.name_masked FROM applications a JOIN applicants p ON p.id = a.applicant_id WHERE a.id = $id")
amount=$(ld_sql "SELECT to_char(amount_fen / 100.0, 'FM999,999,990.00') FROM applications WHERE id = $id")

ld_start seeded 120 40 PGUSER=ld_seed_risk
ld_wait 'ld_seed_risk \(risk\)'
ld_wait '^ +[0-9]+ 20[0-9-]+ '
ld_keys :
ld_type "id $id"
ld_keys Enter
ld_wait "filter: id=$id"
ld_keys Enter
ld_wait "^Case $id "
# Masked names hold '*': compare them as plain strings.
head=$(ld_line "^Case $id ")
case "$head" in *" $name "*) ;; *) ld_fail "name $name not in: $head" ;; esac
ld_pane | grep -Fq "¥$amount " || ld_fail "amount ¥$amount not shown"
ld_line 'Model card 1' >/dev/null
case "$rules" in *,*) which="rules $rules" ;; *) which="rule $rules" ;; esac
ld_pane | grep -Fq "Recommended manual_review ($which)" ||
	ld_fail "no \"Recommended manual_review ($which)\" in the header"
ld_line 'Waiting [0-9]+[dhms].* since submission, in review [0-9]+[dhms]' >/dev/null
ld_line "^ 1\\. $reason " >/dev/null
ld_keys Tab
ld_wait '\[Contributions [0-9]+\]'
first=$(ld_pane | grep -A1 '^ FEATURE' | tail -1)
case "$first" in " $feature "*) ;; *) ld_fail "first contribution is not $feature: $first" ;; esac
# The first hit whole in the detail line, inputs and all.
ld_keys F3
ld_wait '\[Rule hits [0-9]+\]'
ld_keys g
ld_wait "^ $rule v[0-9]+ [a-z]+: "
ld_pane | grep -A2 "^ $rule v[0-9]* [a-z]*: " | tr -d '\n' | grep -q "$input=" ||
	ld_fail "the detail of $rule does not show its input $input"
echo "ok seeded case $id: $name, reason $reason, top feature $feature, $which"

ld_keys a
ld_wait "Approve $id: reason code"
ld_keys Enter
ld_wait '^Note'
ld_type 'seeded case checked'
ld_keys Enter
ld_wait "Approve application $id\\?"
ld_keys y
ld_wait "application $id: approve with [A-Z_]+; status now approved"
ld_keys 4
ld_wait "ld_seed_risk +application\\.approve +application/$id "
ld_wait 'chain: verified'
echo "ok seeded approve and audit"

# The review queue over the worker's own review cases: the one with the
# longest reason, found by its application, that reason whole at 120
# and at 80 columns.
rid=$(ld_sql "SELECT id FROM reviews WHERE state = 'open' ORDER BY length(reason) DESC, id LIMIT 1")
[ -n "$rid" ] || ld_fail "the worker opened no review"
rapp=$(ld_sql "SELECT application_id FROM reviews WHERE id = $rid")
rreason=$(ld_sql "SELECT reason FROM reviews WHERE id = $rid")
nopen=$(ld_sql "SELECT count(*) FROM reviews WHERE state = 'open'")
ld_keys 3
ld_wait "^Yours first \(0\), then open oldest first \($nopen\), then held by others \(0\)\$"
ld_keys :
ld_type "id $rapp"
ld_keys Enter
ld_wait "^filter: id=$rapp "
for w in 120 80; do
	ld_resize $w 24
	ld_wait "^REVIEW .*REASON"
	row=$(ld_line "^ +$rid ")
	case "$row" in *" $rreason") ;; *) ld_fail "$w columns: reason \"$rreason\" not whole in: $row" ;; esac
done
ld_quit
echo "ok seeded review queue: review $rid, reason $rreason"
