#!/bin/sh
# configure must stop at a missing library and name the Debian package;
# --enable-debug must really compile -O0.
set -eu
srcdir=${top_srcdir:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0

# configure refuses to build elsewhere from a source directory that is
# configured itself (./configure && make check, in place).  The builds
# below then start from a copy of the source as it is distributed.
if [ -f "$srcdir/config.status" ]; then
	make -s -C "${top_builddir:?}" distdir distdir="$tmp/src" \
	    >"$tmp/distdir.log" 2>&1 ||
		{ echo "FAIL: make distdir"; cat "$tmp/distdir.log"; exit 1; }
	srcdir=$tmp/src
	echo "the source directory is configured: configure runs from a" \
	    "distributed copy of it"
fi

# pkg-config is pointed at a copy of the system's .pc files without
# libcjson.pc, which is what a machine without libcjson-dev looks like.
mkdir "$tmp/pc" "$tmp/build"
for d in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
	[ -d "$d" ] || continue
	for f in "$d"/*.pc; do
		[ -e "$f" ] || continue
		case $(basename "$f") in libcjson.pc|libcjson_utils.pc) continue ;; esac
		[ -e "$tmp/pc/$(basename "$f")" ] || ln -s "$f" "$tmp/pc/"
	done
done
cd "$tmp/build"
if PKG_CONFIG_LIBDIR="$tmp/pc" PKG_CONFIG_PATH= "$srcdir/configure" -q >out 2>&1; then
	echo "FAIL: configure succeeded without libcjson"
	exit 1
fi
if ! grep -q 'libcjson not found: apt-get install libcjson-dev' out; then
	echo "FAIL: configure did not name the package:"
	cat out
	exit 1
fi
echo "configure stops: $(grep 'not found' out)"
passed=$((passed + 1))

# The compile command make would run for one file: with --enable-debug it
# carries -O0 -g3 and no later -O that would override them, unless the user
# set CFLAGS, which are kept as given.
compile_line() {
	rm -rf "$tmp/dbg" && mkdir "$tmp/dbg" && cd "$tmp/dbg"
	env "$@" "$srcdir/configure" -q --enable-debug >out 2>&1 ||
		{ echo "FAIL: configure --enable-debug $*"; cat out; exit 1; }
	make -n src/common/libldcommon_a-ld_err.o 2>&1 | grep -e '-c ' | tail -1
}
line=$(compile_line)
# The last -O on the line is the one the compiler uses.
last_o=$(printf '%s\n' "$line" | tr ' ' '\n' | grep '^-O' | tail -1)
case "$line" in *-g3*) ;; *) echo "FAIL: no -g3 in: $line"; exit 1 ;; esac
case "$line" in *-DLD_DEBUG*) ;; *) echo "FAIL: no -DLD_DEBUG in: $line"; exit 1 ;; esac
if [ "$last_o" != "-O0" ]; then
	echo "FAIL: --enable-debug compiles with $last_o: $line"
	exit 1
fi
echo "debug build compiles with $last_o"
passed=$((passed + 1))

line=$(compile_line CFLAGS=-O1)
last_o=$(printf '%s\n' "$line" | tr ' ' '\n' | grep '^-O' | tail -1)
if [ "$last_o" != "-O1" ]; then
	echo "FAIL: CFLAGS=-O1 --enable-debug compiles with $last_o: $line"
	exit 1
fi
echo "CFLAGS from the user still win: $last_o"
passed=$((passed + 1))
echo "$passed passed, 0 failed"
