#!/bin/sh
# loandesk apps explain on seeded, scored applications: the reasons a
# borrower is given for an automated reject, in Chinese and in English,
# are the ones derived here independently (SQL over the stored
# contributions and rule hits, awk over etc/reason_codes.tsv, the flags in
# decision_reasons), never a reason the applicant is not told, always with
# the way to a person's review.
set -eu

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
LOANDESK=$top_builddir/loandesk
LOANDESKD=$top_builddir/loandeskd
PGLOCAL=$top_srcdir/db/pg-local
TSV=$top_srcdir/etc/reason_codes.tsv

[ -x "$LOANDESKD" ] || { echo "SKIP: no loandeskd"; exit 77; }
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
	command -v initdb >/dev/null 2>&1 || { echo "SKIP: no PostgreSQL server"; exit 77; }

T=$(mktemp -d /tmp/ld-explain.XXXXXX)
chmod 711 "$T"
cleanup() { sh "$PGLOCAL" destroy "$T/c" >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
sql() { psql -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }

sh "$PGLOCAL" init "$T/c" >"$T/init.out" 2>&1 || { cat "$T/init.out" >&2; fail "cluster"; }
eval "$(sh "$PGLOCAL" env "$T/c")"
export LOANDESK_MIGRATIONS_DIR="$top_srcdir/db/migrations"
openssl rand -hex 32 >"$T/pii.key"
openssl rand -hex 32 >"$T/bidx.key"
chmod 600 "$T/pii.key" "$T/bidx.key"
cat >"$T/ld.conf" <<CONF
[risk]
rules_file = $top_srcdir/etc/rules.conf
reason_codes_file = $TSV
[security]
pii_key_file = $T/pii.key
blind_index_key_file = $T/bidx.key
CONF
export LOANDESK_CONF="$T/ld.conf"
"$LOANDESK" db migrate >/dev/null
"$LOANDESK" seed --count 1000 --seed 7 >/dev/null 2>&1 || fail "seed"
"$LOANDESK" model register --file "$top_srcdir/etc/scorecard.example.json" \
    --name card --version 1 >/dev/null
"$LOANDESK" model activate card 1 >/dev/null
"$LOANDESKD" --once >"$T/score.out" 2>&1 || { cat "$T/score.out" >&2; fail "scoring"; }
sql "CREATE ROLE ex_risk LOGIN IN ROLE loandesk_risk"
sql "CREATE ROLE ex_finance LOGIN IN ROLE loandesk_finance"
explain() { PGUSER=ex_risk "$LOANDESK" apps explain "$@"; }

# The reasons expected for application $1 in column $2 of the table (4 zh,
# 5 en), one per line.  The table's entry for a feature is its "missing"
# or "present" entry as the value is, else its "any" entry, else "*".
# Reject rules that fired decide: each rule whose inputs all map to codes
# the applicant is told gives its text's half in the language.  Else the
# model: contributions with phi > 0, largest first (ties in the stored
# order), mapped to codes, distinct, the first four, those not told
# dropped.  The fallback's text follows once when anything was dropped or
# nothing is left.
expected() {
	untold=$(sql "SELECT string_agg(code, ' ') FROM decision_reasons WHERE NOT disclosed")
	{
		sql "SELECT 'R', o, h->>'text', i.key, (i.value = 'null'::jsonb)::int FROM applications a JOIN scores s ON s.id = a.score_id, jsonb_array_elements(s.rules_hit) WITH ORDINALITY AS r(h, o), jsonb_each(h->'inputs') AS i WHERE a.id = $1 AND h->>'action' = 'reject' ORDER BY o, i.key"
		sql "SELECT 'M', o, '', c->>'feature', (c->'value' = 'null'::jsonb)::int FROM applications a JOIN scores s ON s.id = a.score_id, jsonb_array_elements(s.contributions) WITH ORDINALITY AS x(c, o) WHERE a.id = $1 AND (c->>'phi')::float8 > 0 ORDER BY (c->>'phi')::float8 DESC, o"
	} | awk -F '\t' -v col="$2" -v untold=" $untold " '
	function code_of(feature, missing,   w) {
		w = missing == 1 ? "missing" : "present"
		if ((feature SUBSEP w) in code) return code[feature, w]
		if ((feature SUBSEP "any") in code) return code[feature, "any"]
		return code["*", "any"]
	}
	function flush_rule() {
		if (rule == "") return
		if (told) {
			split(rtext, half, " / ")
			print (col == 4 ? half[1] : half[2]); n++
		} else held = 1
		rule = ""
	}
	FNR == NR {
		if ($0 ~ /^#/ || $0 == "") next
		code[$1 SUBSEP $2] = $3; text[$3] = $col
		next
	}
	{
		split($0, f, "|")
		if (f[1] == "R") {
			rules = 1
			if (f[2] != rule) { flush_rule(); rule = f[2]; rtext = f[3]; told = 1 }
			if (index(untold, " " code_of(f[4], f[5]) " ")) told = 0
			next
		}
		if (rules) next
		c = code_of(f[4], f[5])
		if (c in seen || picked == 4) next
		seen[c] = 1; picked++
		if (index(untold, " " c " ")) { held = 1; next }
		print text[c]; n++
	}
	END {
		flush_rule()
		if (held || n == 0) print text[code["*", "any"]]
	}' "$TSV" -
}

# What apps explain printed as the numbered reasons, one per line.
printed() { sed -n 's/^  [0-9]\. //p' "$1"; }

# --- an automated reject the model decided, in both languages.
id=$(sql "SELECT a.id FROM applications a JOIN scores s ON s.id = a.score_id WHERE a.status = 'auto_rejected' AND NOT s.rules_hit @> '[{\"action\": \"reject\"}]' ORDER BY a.id LIMIT 1")
[ -n "$id" ] || fail "no application the model rejected"
explain "$id" --lang zh >"$T/zh.out" || fail "explain $id --lang zh"
explain "$id" --lang en >"$T/en.out" || fail "explain $id --lang en"
expected "$id" 4 >"$T/zh.want"
expected "$id" 5 >"$T/en.want"
[ -s "$T/zh.want" ] || fail "no reasons derived for $id"
printed "$T/zh.out" | cmp -s - "$T/zh.want" ||
	fail "application $id in Chinese: printed $(printed "$T/zh.out" | tr '\n' ';'), expected $(tr '\n' ';' <"$T/zh.want")"
printed "$T/en.out" | cmp -s - "$T/en.want" ||
	fail "application $id in English: printed $(printed "$T/en.out" | tr '\n' ';'), expected $(tr '\n' ';' <"$T/en.want")"
grep -q "^申请编号 $id：您的借款申请未获批准。" "$T/zh.out" || fail "no Chinese verdict: $(cat "$T/zh.out")"
grep -q '本决定由系统自动作出' "$T/zh.out" || fail "the Chinese does not say automated"
grep -q "申请人工复核" "$T/zh.out" || fail "no way to a person's review in Chinese"
grep -q "^Application $id: your loan application was declined\.$" "$T/en.out" || fail "no English verdict"
grep -q 'made by automated means' "$T/en.out" || fail "the English does not say automated"
grep -q "reviewed by a person" "$T/en.out" || fail "no way to a person's review in English"
ok "apps explain $id (model reject): $(tr '\n' ';' <"$T/en.want")"

# --- across every model reject, nothing the applicant is not told.
n=0
for a in $(sql "SELECT a.id FROM applications a JOIN scores s ON s.id = a.score_id WHERE a.status = 'auto_rejected' ORDER BY a.id LIMIT 12"); do
	explain "$a" --lang en --json >"$T/j.out" || fail "explain $a --json"
	expected "$a" 5 >"$T/j.want"
	got=$(grep -o '"text":"[^"]*"' "$T/j.out" | sed 's/^"text":"//; s/"$//')
	[ "$got" = "$(cat "$T/j.want")" ] || fail "application $a: $got, expected $(cat "$T/j.want")"
	for c in $(sql "SELECT code FROM decision_reasons WHERE NOT disclosed"); do
		grep -q "\"$c\"" "$T/j.out" && fail "application $a tells $c: $(cat "$T/j.out")"
	done
	grep -q '"automated":true' "$T/j.out" || fail "application $a: not automated"
	n=$((n + 1))
done
[ $n -gt 5 ] || fail "only $n rejects"
ok "$n automated rejects explained as derived, none telling a withheld code"

# --- a reject rule: its own words.
rid=$(sql "SELECT a.id FROM applications a JOIN scores s ON s.id = a.score_id WHERE a.status = 'auto_rejected' AND s.rules_hit @> '[{\"action\": \"reject\"}]' ORDER BY a.id LIMIT 1")
[ -n "$rid" ] || fail "no application a rule rejected"
explain "$rid" --lang zh >"$T/r.out"
expected "$rid" 4 >"$T/r.want"
printed "$T/r.out" | cmp -s - "$T/r.want" ||
	fail "rule reject $rid: $(printed "$T/r.out"), expected $(cat "$T/r.want")"
ok "apps explain $rid (rule reject): $(tr '\n' ';' <"$T/r.want")"

# --- a code marked not told disappears, and other factors stand in.
explain "$id" --json >"$T/top.json"
top=$(grep -o '"code":"[A-Z0-9_]*"' "$T/top.json" | sed 's/^"code":"//; s/"$//' |
    grep -vx OTHER_FACTORS | head -1)
[ -n "$top" ] || fail "application $id has no reason of its own to withhold"
if [ "$(sql "SELECT count(*) FROM decision_reasons WHERE code = '$top'")" = 1 ]; then
	sql "UPDATE decision_reasons SET disclosed = false WHERE code = '$top'"
else
	sql "INSERT INTO decision_reasons (code, applies_to, text_zh, text_en, disclosed) VALUES ('$top', '{}', 'x', 'x', false)"
fi
explain "$id" --json >"$T/held.json"
grep -q "\"$top\"" "$T/held.json" && fail "$top still told: $(cat "$T/held.json")"
grep -q '"OTHER_FACTORS"' "$T/held.json" || fail "no other factors once $top is withheld"
expected "$id" 5 >"$T/held.want"
explain "$id" --lang en >"$T/held.out"
printed "$T/held.out" | cmp -s - "$T/held.want" || fail "withheld $top: $(printed "$T/held.out")"
ok "a reason marked not told ($top) is left out, other factors said instead"

# --- not decided, approved, and who may ask.
mid=$(sql "SELECT id FROM applications WHERE status = 'manual_review' ORDER BY id LIMIT 1")
explain "$mid" --lang en | grep -q 'being reviewed; no decision has been made yet' ||
	fail "manual review $mid"
aid=$(sql "SELECT id FROM applications WHERE status = 'auto_approved' ORDER BY id LIMIT 1")
explain "$aid" >"$T/a.out"
grep -q '您的借款申请已获批准' "$T/a.out" || fail "approved $aid: $(cat "$T/a.out")"
[ -z "$(printed "$T/a.out")" ] || fail "an approval given reasons"
if PGUSER=ex_finance "$LOANDESK" apps explain "$id" 2>"$T/err"; then
	fail "finance read the model's reasons"
fi
grep -q 'permission denied for table scores' "$T/err" || fail "finance: $(cat "$T/err")"
rc=0; explain "$id" --lang fr 2>"$T/err" || rc=$?
[ $rc = 2 ] && grep -q -- '--lang must be zh or en, not "fr"' "$T/err" || fail "--lang fr: $rc $(cat "$T/err")"
rc=0; explain 999999 2>"$T/err" || rc=$?
[ $rc = 1 ] && grep -q 'explain 999999: no such application' "$T/err" || fail "no such application: $(cat "$T/err")"
ok "pending, approved, a role without scores, a bad language and id"
