# Helpers for the console's tmux tests: a throwaway cluster with the
# fixtures, a private tmux server, waiting for text, and cleanup.
# Sourced by tests/test_console_tmux.sh and bench/bench_console.sh.

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color
export LANG LC_ALL TERM
unset NO_COLOR LOANDESK_CONF PGPORT PGSERVICE

ld_skip() { echo "SKIP: $*"; exit 77; }

command -v tmux >/dev/null 2>&1 || ld_skip "tmux is not installed"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
	command -v initdb >/dev/null 2>&1 || ld_skip "no PostgreSQL server"

LD_TMP=$(mktemp -d /tmp/ld-console.XXXXXX)
chmod 711 "$LD_TMP"
LD_TMUX="tmux -L ldc$$ -f /dev/null"
LD_PG="$top_srcdir/db/pg-local"
LOANDESK="$top_builddir/loandesk"
LOANDESK_MIGRATIONS_DIR="$top_srcdir/db/migrations"
export LOANDESK_MIGRATIONS_DIR

ld_cleanup() {
	$LD_TMUX kill-server >/dev/null 2>&1 || true
	sh "$LD_PG" destroy "$LD_TMP/c" >/dev/null 2>&1 || true
	rm -rf "$LD_TMP"
}
trap ld_cleanup EXIT INT TERM

ld_fail() {
	echo "FAIL: $*" >&2
	if [ -n "${LD_PANE:-}" ]; then
		echo "--- pane $LD_PANE:" >&2
		$LD_TMUX capture-pane -p -t "$LD_PANE" >&2 || true
	fi
	for f in "$LD_TMP"/err.*; do
		[ -s "$f" ] && { echo "--- $f:" >&2; head -40 "$f" >&2; }
	done
	exit 1
}

# Cluster, schema, and the SQL file given (fixtures).
ld_db_setup() {
	sh "$LD_PG" init "$LD_TMP/c" >"$LD_TMP/init.out" 2>&1 ||
		{ cat "$LD_TMP/init.out" >&2; ld_fail "cannot start a cluster"; }
	eval "$(sh "$LD_PG" env "$LD_TMP/c")"
	"$LOANDESK" db migrate >"$LD_TMP/migrate.out" 2>&1 ||
		{ cat "$LD_TMP/migrate.out" >&2; ld_fail "migrate failed"; }
	if [ $# -gt 0 ]; then
		psql -q -X -v ON_ERROR_STOP=1 -f "$1" >"$LD_TMP/data.out" 2>&1 ||
			{ cat "$LD_TMP/data.out" >&2; ld_fail "loading $1"; }
	fi
}

ld_sql() { psql -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }

# ld_start NAME WIDTH HEIGHT ENV... -- ARGS: the console in a new window.
# (Helpers keep their variables under _ld_: sh has no locals.)
ld_start() {
	_ld_name=$1 _ld_w=$2 _ld_h=$3
	shift 3
	_ld_envs=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		_ld_envs="$_ld_envs $1"
		shift
	done
	[ "${1:-}" = "--" ] && shift
	_ld_cmd="env $_ld_envs $LOANDESK console $* 2>$LD_TMP/err.$_ld_name; echo \$? >$LD_TMP/rc.$_ld_name; sleep 60"
	if $LD_TMUX has-session 2>/dev/null; then
		$LD_TMUX new-window -d -n "$_ld_name" "$_ld_cmd"
	else
		$LD_TMUX new-session -d -s ld -n "$_ld_name" -x "$_ld_w" \
		    -y "$_ld_h" "$_ld_cmd"
	fi
	$LD_TMUX resize-window -t "ld:$_ld_name" -x "$_ld_w" -y "$_ld_h" \
	    2>/dev/null || true
	LD_PANE="ld:$_ld_name"
}

ld_pane() { $LD_TMUX capture-pane -p -t "$LD_PANE"; }
ld_keys() { $LD_TMUX send-keys -t "$LD_PANE" "$@"; }
ld_type() { $LD_TMUX send-keys -t "$LD_PANE" -l "$1"; }

# Waits up to 15 s for a line matching the extended regex.
ld_wait() {
	_ld_i=0
	until ld_pane | grep -Eq -- "$1"; do
		_ld_i=$((_ld_i + 1))
		[ $_ld_i -gt 150 ] && ld_fail "timed out waiting for /$1/"
		sleep 0.1
	done
}

# Waits until no line matches.
ld_wait_gone() {
	_ld_i=0
	while ld_pane | grep -Eq -- "$1"; do
		_ld_i=$((_ld_i + 1))
		[ $_ld_i -gt 150 ] && ld_fail "/$1/ is still on screen"
		sleep 0.1
	done
}

# The one line matching the regex (fails when none).
ld_line() {
	_ld_l=$(ld_pane | grep -E -- "$1" | head -1)
	[ -n "$_ld_l" ] || ld_fail "no line matches /$1/"
	printf '%s\n' "$_ld_l"
}

# Display columns of the text before the first occurrence of $2 in $1.
ld_col() {
	_ld_p=${1%%"$2"*}
	[ "$_ld_p" != "$1" ] || ld_fail "\"$2\" is not in: $1"
	printf '%s' "$_ld_p" | wc -L
}

# Quits the console in the current pane and checks it exited cleanly.
ld_quit() {
	_ld_name=${LD_PANE#ld:}
	ld_keys Q
	_ld_i=0
	until [ -s "$LD_TMP/rc.$_ld_name" ]; do
		_ld_i=$((_ld_i + 1))
		[ $_ld_i -gt 100 ] && ld_fail "the console did not quit"
		sleep 0.1
	done
	[ "$(cat "$LD_TMP/rc.$_ld_name")" = 0 ] ||
		ld_fail "the console exited with $(cat "$LD_TMP/rc.$_ld_name")"
	if [ -s "$LD_TMP/err.$_ld_name" ]; then
		ld_fail "the console wrote to stderr"
	fi
}
