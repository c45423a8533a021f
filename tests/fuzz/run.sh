#!/bin/sh
# Builds the libFuzzer harnesses of tests/fuzz with clang (AddressSanitizer
# and UndefinedBehaviorSanitizer) and runs each for FUZZ_SECONDS, seeded
# from tests/fuzz/corpus/NAME.  Called by `make fuzz` (tests/fuzz.mk),
# which passes the compiler flags configure found.
#
# Environment: FUZZ_CC (clang), FUZZ_SECONDS (60), FUZZ_TARGETS (all),
# FUZZ_BUILD_ONLY (unset), srcdir, builddir, FUZZ_CPPFLAGS,
# FUZZ_LIBS.  New inputs go to $builddir/tests/fuzz/work/NAME, findings
# to $builddir/tests/fuzz/crash-NAME-*; a finding fails the run.
set -eu

cc=${FUZZ_CC:-clang}
[ -n "$cc" ] || cc=clang
seconds=${FUZZ_SECONDS:-60}
[ -n "$seconds" ] || seconds=60
src=${srcdir:?srcdir not set}
out=${builddir:?builddir not set}/tests/fuzz
targets=${FUZZ_TARGETS:-}
[ -n "$targets" ] || targets="fuzz_v3_answer fuzz_notify fuzz_notify_plain
    fuzz_v2_xml fuzz_http_headers fuzz_sim_request fuzz_sim_auth
    fuzz_fundflow"

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "make fuzz: $cc not found (apt-get install clang)" >&2
	exit 2
fi
mkdir -p "$out/obj"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-std=c11 -Wall -Wextra -Wpedantic -g -O1 -fno-omit-frame-pointer $san"
# The harnesses and the simulator's files reach inside the client.
inc="-I$builddir/build-aux -I$src/src/common -I$src/src -I$src/src/wxpay -I$src
    -DLD_WXPAY_INTERNAL
    -DFUZZ_KATDIR=\"$(cd "$src/tests/kat" && pwd)\" ${FUZZ_CPPFLAGS:-}"
probe="$out/obj/probe.c"
printf '%s\n' '#include <stdint.h>' '#include <stddef.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
    '{ (void)d; (void)n; return 0; }' >"$probe"
if ! $cc $cflags -fsanitize=fuzzer "$probe" -o "$out/obj/probe" \
    2>"$out/obj/probe.log"; then
	echo "make fuzz: $cc cannot link -fsanitize=fuzzer" \
	    "(apt-get install libclang-rt-14-dev); see $out/obj/probe.log" >&2
	exit 2
fi

# The code under test, instrumented for coverage: the common library,
# the WeChat Pay client and the simulator without its main().
objs=
for f in "$src"/src/common/*.c "$src"/src/wxpay/*.c "$src"/src/sim/*.c; do
	case $f in */sim/main.c) continue ;; esac
	o="$out/obj/$(basename "$(dirname "$f")")_$(basename "$f" .c).o"
	newer=$(find "$src/src" -name '*.h' -newer "$o" 2>/dev/null | head -n 1)
	if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ -n "$newer" ]; then
		$cc $cflags -fsanitize=fuzzer-no-link $inc \
		    -DLD_SYSCONFDIR='"/etc"' -DLD_PKGDATADIR='"/usr/share"' \
		    -DLD_SRCDIR="\"$src\"" -c "$f" -o "$o"
	fi
	objs="$objs $o"
done

status=0
for t in $targets; do
	$cc $cflags -fsanitize=fuzzer $inc -I"$src/tests/fuzz" \
	    "$src/tests/fuzz/$t.c" $objs ${FUZZ_LIBS:-} -lpthread -lm \
	    -o "$out/$t"
	[ -n "${FUZZ_BUILD_ONLY:-}" ] && continue
	mkdir -p "$out/work/$t"
	dict="-dict=$src/tests/fuzz/fuzz_json.dict"
	[ -f "$src/tests/fuzz/$t.dict" ] && dict="-dict=$src/tests/fuzz/$t.dict"
	seeds=
	[ -d "$src/tests/fuzz/corpus/$t" ] && seeds="$src/tests/fuzz/corpus/$t"
	echo "== $t: ${seconds}s"
	if ! (cd "$out" && "./$t" -max_total_time="$seconds" -timeout=10 \
	    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="$out/crash-$t-" $dict \
	    "work/$t" $seeds >"$out/$t.log" 2>&1); then
		echo "FAIL: $t (see $out/$t.log and $out/crash-$t-*)" >&2
		status=1
	fi
	grep -E '^stat::number_of_executed_units|^Done ' "$out/$t.log" || :
done
exit $status
