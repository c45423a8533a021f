# Helpers for the console's tmux tests: a throwaway cluster with the
# fixtures, a private tmux server, waiting for what the screen shows, and
# cleanup.  Sourced by tests/test_console_*.sh and bench/bench_console.sh.
#
# Waiting.  A test waits for the screen that follows what it did, never
# for text the screen before may already show.  The console, with
# LOANDESK_TEST_FRAMES set, puts in the terminal's title after every frame
# how many keys it had read and the size it drew for
# ("loandesk-test keys=12 size=120x40"), after the frame's own bytes; the
# helpers count the keys they send (ld_keys, ld_type) and the size they
# set (ld_start, ld_resize), and ld_wait, ld_wait_gone and ld_settle wait
# for a frame that has taken all of them in.  Timeouts (LD_TIMEOUT, 60 s)
# only cost time when something is wrong.

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
: "${LD_TIMEOUT:=60}"
LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color
LOANDESK_TEST_FRAMES=1
export LANG LC_ALL TERM LOANDESK_TEST_FRAMES
unset NO_COLOR LOANDESK_CONF PGPORT PGSERVICE

ld_skip() { echo "SKIP: $*"; exit 77; }

command -v tmux >/dev/null 2>&1 || ld_skip "tmux is not installed"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
	command -v initdb >/dev/null 2>&1 || ld_skip "no PostgreSQL server"

LD_TMP=$(mktemp -d /tmp/ld-console.XXXXXX)
chmod 711 "$LD_TMP"
# A pane outlives its program, so what a console left on it can be read.
printf 'set -g remain-on-exit on\n' >"$LD_TMP/tmux.conf"
LD_TMUX="tmux -L ldc$$ -f $LD_TMP/tmux.conf"
LD_PG="$top_srcdir/db/pg-local"
LOANDESK="$top_builddir/loandesk"
LOANDESK_MIGRATIONS_DIR="$top_srcdir/db/migrations"
export LOANDESK_MIGRATIONS_DIR
LD_PANE=
_ld_sent=0
_ld_size=

ld_cleanup() {
	$LD_TMUX kill-server >/dev/null 2>&1 || true
	sh "$LD_PG" destroy "$LD_TMP/c" >/dev/null 2>&1 || true
	rm -rf "$LD_TMP"
}
trap ld_cleanup EXIT INT TERM

ld_fail() {
	echo "FAIL: $*" >&2
	if [ -n "${LD_PANE:-}" ]; then
		echo "--- pane $LD_PANE ($(ld_title)):" >&2
		$LD_TMUX capture-pane -p -t "$LD_PANE" >&2 || true
	fi
	for f in "$LD_TMP"/err.*; do
		[ -s "$f" ] && { echo "--- $f:" >&2; head -40 "$f" >&2; }
	done
	exit 1
}

# ld_poll COMMAND...: runs COMMAND every 0.1 s until it succeeds, for
# up to LD_TIMEOUT seconds; false when it never did.
ld_poll() {
	_ld_end=$(($(date +%s) + LD_TIMEOUT))
	until "$@"; do
		[ "$(date +%s)" -lt "$_ld_end" ] || return 1
		sleep 0.1
	done
}

# ld_until WHAT COMMAND...: ld_poll, failing the test, saying WHAT.
ld_until() {
	_ld_what=$1
	shift
	ld_poll "$@" || ld_fail "after ${LD_TIMEOUT}s still waiting for $_ld_what"
}

# Whether SQL's single value is want: ld_until "..." ld_sql_is want SQL.
ld_sql_is() { [ "$(ld_sql "$2")" = "$1" ]; }

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

# ld_window NAME WIDTH HEIGHT COMMAND: COMMAND in a new window of that
# size, which becomes the current pane (nothing sent to it yet).
# (Helpers keep their variables under _ld_: sh has no locals.)
ld_window() {
	if $LD_TMUX has-session 2>/dev/null; then
		$LD_TMUX new-window -d -n "$1" "$4"
	else
		$LD_TMUX new-session -d -s ld -n "$1" -x "$2" -y "$3" "$4"
	fi
	$LD_TMUX resize-window -t "ld:$1" -x "$2" -y "$3" 2>/dev/null || true
	LD_PANE="ld:$1"
	_ld_sent=0
	_ld_size="$2x$3"
}

# ld_start NAME WIDTH HEIGHT ENV... -- ARGS: the console in a new window.
ld_start() {
	_ld_name=$1 _ld_w=$2 _ld_h=$3
	shift 3
	_ld_envs=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		_ld_envs="$_ld_envs $1"
		shift
	done
	[ "${1:-}" = "--" ] && shift
	ld_window "$_ld_name" "$_ld_w" "$_ld_h" \
	    "env $_ld_envs $LOANDESK console $* 2>$LD_TMP/err.$_ld_name; echo \$? >$LD_TMP/rc.$_ld_name"
}

ld_pane() { $LD_TMUX capture-pane -p -t "$LD_PANE"; }
ld_title() { $LD_TMUX display -p -t "$LD_PANE" '#{pane_title}' 2>/dev/null; }

# ld_keys KEY...: one key per argument (tmux names: Enter, NPage, F4);
# text goes through ld_type.
ld_keys() {
	$LD_TMUX send-keys -t "$LD_PANE" "$@"
	_ld_sent=$((_ld_sent + $#))
}

# ld_type TEXT: typed as is; the console reads it byte by byte.
ld_type() {
	$LD_TMUX send-keys -t "$LD_PANE" -l "$1"
	_ld_sent=$((_ld_sent + $(printf '%s' "$1" | wc -c)))
}

# ld_resize WIDTH HEIGHT: the current pane's window.
ld_resize() {
	$LD_TMUX resize-window -t "$LD_PANE" -x "$1" -y "$2"
	_ld_size="$1x$2"
}

# Whether the last frame on the pane followed every key sent and was
# drawn at the size last set.
ld_synced() {
	_ld_t=$(ld_title) || return 1
	case "$_ld_t" in "loandesk-test keys="*" size="*) ;; *) return 1 ;; esac
	_ld_k=${_ld_t#*keys=}
	_ld_k=${_ld_k%% *}
	_ld_s=${_ld_t#*size=}
	_ld_s=${_ld_s%% *}
	[ "$_ld_k" -ge "$_ld_sent" ] &&
		{ [ -z "$_ld_size" ] || [ "$_ld_s" = "$_ld_size" ]; }
}

_ld_shows() { ld_synced && ld_pane | grep -Eq -- "$1"; }
_ld_shows_any() { ld_pane | grep -Eq -- "$1"; }
_ld_lacks() { ld_synced && ! ld_pane | grep -Eq -- "$1"; }

# Waits for a frame after what was sent that has a line matching the
# extended regex.
ld_wait() { ld_until "/$1/ on the screen" _ld_shows "$1"; }

# Waits for a frame after what was sent where no line matches.
ld_wait_gone() { ld_until "/$1/ to go" _ld_lacks "$1"; }

# Waits for a frame after what was sent.
ld_settle() { ld_until "the frame after key $_ld_sent" ld_synced; }

# Waits for text that only a frame drawn while the console waits shows
# ("waiting for the database"): such a frame takes in no key.
ld_wait_busy() { ld_until "/$1/ on the screen" _ld_shows_any "$1"; }

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
	ld_until "the console to quit" test -s "$LD_TMP/rc.$_ld_name"
	[ "$(cat "$LD_TMP/rc.$_ld_name")" = 0 ] ||
		ld_fail "the console exited with $(cat "$LD_TMP/rc.$_ld_name")"
	if [ -s "$LD_TMP/err.$_ld_name" ]; then
		ld_fail "the console wrote to stderr"
	fi
}
