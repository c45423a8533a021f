#!/bin/sh
# The layers and the banned functions (tests/layers.awk) over every C file
# of src/, db/, ui/ and bench/: each quoted #include resolved to its
# directory and checked against ui -> core -> {risk, wxpay, db, payout}
# -> common, payout -> {wxpay, common}, programs -> public headers; curses
# only in ui/; libpq execution only in db/; no strcpy, strcat, sprintf, atoi,
# gets, strtok, unbounded scanf("%s") and the like.
#
# First the checker is run on a small tree made to hold one of each
# violation (and things that look like one but are not), so that it is
# known to find them; then on this tree.
set -eu
srcdir=${top_srcdir:-.}
awkprog=$(cd "$srcdir/tests" && pwd)/layers.awk
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Prints every violation in the tree at $1.
check_tree() {
	(
		cd "$1"
		find src db ui bench -name '*.h' 2>/dev/null | LC_ALL=C sort \
			>"$tmp/headers"
		find src db ui bench -name '*.[ch]' 2>/dev/null | LC_ALL=C sort |
			xargs awk -v headers="$tmp/headers" -f "$awkprog"
	)
}

# --- the checker finds what it must, and only that -------------------
t=$tmp/tree
mkdir -p "$t/src/common" "$t/src/core" "$t/src/wxpay" "$t/src/risk" \
    "$t/src/payout" "$t/src/cli" "$t/src/daemon" "$t/src/unplaced" "$t/db" "$t/ui" "$t/bench"
: >"$t/src/common/ld_err.h"
: >"$t/src/core/core_schedule.h"
: >"$t/src/wxpay/wxpay.h"
printf '%s\n' '/* Internal to src/wxpay. */' '#ifndef LD_WXPAY_INTERNAL' \
    '#error "wxpay_int.h is internal to src/wxpay: use wxpay.h"' '#endif' \
    >"$t/src/wxpay/wxpay_int.h"
: >"$t/src/daemon/daemon.h"
: >"$t/src/wxpay/dup.h"
: >"$t/src/core/dup.h"
cat >"$t/db/ld_bad.c" <<'EOF'
#include "config.h"
#include "ld_err.h"
#include "core_schedule.h"
#include "../src/core/core_schedule.h"
#include <curses.h>
/* #include "core_schedule.h" and strcpy(a, b) in a comment */
static const char *s = "PQexec(conn, \"strcpy(\") sprintf(";
int f(char *a, const char *b) { strcpy(a, b); return PQexec(0, s) != 0; }
void g(char *a) { snprintf(a, 4, "%s", "x"); my_atoi(a); }
int h(const char *s, char *w) { return sscanf(s, "%15s %d%%s", w, 0); }
int k(const char *s, char *w) { return sscanf(s, "%d %s", 0, w); }
int m(const char *s, char *w) {
	return sscanf(s,
	    "%[a-z]", w);
}
EOF
cat >"$t/src/core/core_q.c" <<'EOF'
#include "ld_err.h"
#include "wxpay.h"
#include "core_schedule.h"
int q(void *c) { PQgetvalue(c, 0, 0); return PQsendQueryParams(c); }
void *r(void *c) { return PQgetResult(c); }
EOF
cat >"$t/src/payout/payout_up.c" <<'EOF'
#include "core_schedule.h"
#include "wxpay.h"
#include "ld_err.h"
EOF
cat >"$t/src/risk/risk_up.c" <<'EOF'
#include "wxpay.h"
#include "nowhere.h"
EOF
cat >"$t/src/cli/main.c" <<'EOF'
#include "wxpay.h"
#include "wxpay_int.h"
#include "core_schedule.h"
#include "daemon.h"
#include "../daemon/daemon.h"
#include "dup.h"
#include <ncursesw/curses.h>
int main(int argc, char **argv) { return atoi(argv[argc - 1]); }
EOF
cat >"$t/ui/ui_x.c" <<'EOF'
#include <curses.h>
#include "core_schedule.h"
#include "wxpay.h"
#include "ui_screens.h"
EOF
cat >"$t/bench/b.c" <<'EOF'
#include "core_schedule.h"
int b(void *c) { char x[8]; sprintf(x, "%d", 1); return PQexec(c, x) != 0; }
EOF
cat >"$t/src/unplaced/u.c" <<'EOF'
int u;
EOF
check_tree "$t" >"$tmp/found" || true
cut -d: -f1-3 "$tmp/found" | LC_ALL=C sort >"$tmp/found.keys"
LC_ALL=C sort >"$tmp/want.keys" <<'EOF'
bench/b.c:2: banned
db/ld_bad.c:3: include
db/ld_bad.c:4: include
db/ld_bad.c:5: curses
db/ld_bad.c:8: banned
db/ld_bad.c:11: scanf
db/ld_bad.c:14: scanf
src/cli/main.c:2: internal
src/cli/main.c:4: unresolved
src/cli/main.c:5: include
src/cli/main.c:6: ambiguous
src/cli/main.c:7: curses
src/cli/main.c:8: banned
src/core/core_q.c:4: libpq
src/core/core_q.c:5: libpq
src/payout/payout_up.c:1: include
src/risk/risk_up.c:1: include
src/risk/risk_up.c:2: unresolved
src/unplaced/u.c:1: directory
ui/ui_x.c:3: include
EOF
if ! cmp -s "$tmp/want.keys" "$tmp/found.keys"; then
	echo "FAIL: the checker's findings in a tree made for it differ" \
	    "(< wanted, > found):"
	diff "$tmp/want.keys" "$tmp/found.keys" || true
	cat "$tmp/found"
	exit 1
fi
echo "checker: finds the $(wc -l <"$tmp/want.keys") violations of a tree made for it, and nothing else"

# --- this tree ------------------------------------------------------------
check_tree "$srcdir" >"$tmp/real" || true
n=$(find "$srcdir/src" "$srcdir/db" "$srcdir/ui" "$srcdir/bench" \
    -name '*.[ch]' | wc -l)
if [ -s "$tmp/real" ]; then
	cat "$tmp/real"
	echo "FAIL: $(wc -l <"$tmp/real") layering or banned-function" \
	    "violations above (rules: tests/layers.awk)"
	exit 1
fi
echo "tree: $n files keep the layers and use no banned function"
