#!/bin/sh
# configure must stop at a missing library and name the Debian package.
# pkg-config is pointed at a copy of the system's .pc files without
# libcjson.pc, which is what a machine without libcjson-dev looks like.
set -eu
srcdir=${top_srcdir:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
echo "1 passed, 0 failed"
