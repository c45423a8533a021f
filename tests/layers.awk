# The layering and banned-function rules over C sources, one violation a
# line as "FILE:LINE: KIND: WHAT" (KIND is include, internal, unresolved,
# ambiguous, directory, curses, libpq, banned or scanf).  Run from the top
# of a tree with the file list of every header first (-v headers=FILE) and
# the sources to check as arguments; tests/test_layers.sh drives it.
#
# Comments and the insides of string and character literals are blanked
# before anything is matched, so a comment that names PQexec or strcpy, or
# an #include inside a comment, is not a violation.

BEGIN {
	# Which directory is which layer.  A directory not listed here is
	# reported, so a new module is placed in the table when it is made.
	layer["src/common"] = "common"
	layer["db"] = "db"
	layer["src/risk"] = "risk"
	layer["src/wxpay"] = "wxpay"
	layer["src/payout"] = "payout"
	layer["src/core"] = "core"
	layer["ui"] = "ui"
	layer["src/cli"] = "main"
	layer["src/daemon"] = "main"
	layer["src/sim"] = "main"
	layer["bench"] = "main"

	# What each layer may include besides its own directory: the layers
	# below it.  ui reaches the database only through core; programs
	# ("main") include the public headers of any library, never another
	# program's.
	may["common"] = ""
	may["db"] = " common "
	may["risk"] = " common "
	may["wxpay"] = " common "
	may["payout"] = " wxpay common "
	may["core"] = " risk wxpay db payout common "
	may["ui"] = " core common "
	may["main"] = " ui core payout risk wxpay db common "

	# Where a quoted include that is not beside its includer is looked
	# for: each library's directory, and the top and src/ for a path
	# spelt with directories ("core/core_apps.h").
	nroots = split("src/common db src/risk src/wxpay src/payout src/core ui . src", roots, " ")

	# Headers the build generates, with the directory they belong to.
	generated["ui_screens.h"] = "ui/ui_screens.h"

	# libpq calls that execute something on the server, or connect:
	# only db/ makes them.  Reading a result (PQgetvalue, PQntuples ...)
	# is anyone's.
	libpq = "PQexec|PQexecParams|PQexecPrepared|PQprepare|PQsendQuery|" \
	    "PQsendQueryParams|PQsendPrepare|PQsendQueryPrepared|" \
	    "PQsendDescribePrepared|PQsendDescribePortal|PQputCopyData|" \
	    "PQputCopyEnd|PQgetCopyData|PQconnectdb|PQconnectdbParams|" \
	    "PQconnectStart|PQconnectStartParams|PQconnectPoll|PQsetdbLogin|" \
	    "PQreset|PQresetStart|PQresetPoll|PQnotifies|PQconsumeInput|" \
	    "PQcancel|PQgetResult|PQdescribePrepared|PQdescribePortal"
	libpq_re = "(^|[^A-Za-z0-9_])(" libpq ")([^A-Za-z0-9_]|$)"

	# Functions with no bound or no error report (in the spirit of
	# curl's checksrc): snprintf, ld_buf_*, strtol and friends instead.
	banned = "strcpy|strcat|strncat|sprintf|vsprintf|gets|strtok|" \
	    "atoi|atol|atoll|atof"
	banned_re = "(^|[^A-Za-z0-9_])(" banned ")[ \t]*\\("
	scanf_re = "(^|[^A-Za-z0-9_])(scanf|fscanf|sscanf|vscanf|vfscanf|" \
	    "vsscanf)[ \t]*\\("

	while ((getline h < headers) > 0)
		header[h] = 1
	close(headers)
}

function dir_of(p) {
	return sub(/\/[^\/]*$/, "", p) ? p : "."
}

# a/b/../c -> a/c, ./a -> a
function norm(p,    n, i, k, part, out) {
	n = split(p, part, "/")
	k = 0
	for (i = 1; i <= n; i++) {
		if (part[i] == "." || part[i] == "")
			continue
		if (part[i] == ".." && k > 0 && out[k] != "..") {
			k--
			continue
		}
		out[++k] = part[i]
	}
	p = ""
	for (i = 1; i <= k; i++)
		p = p (i > 1 ? "/" : "") out[i]
	return p
}

function report(kind, what) {
	printf "%s:%d: %s: %s\n", FILENAME, FNR, kind, what
}

# 1 for a header that refuses, with #error, to be included outside its
# library ("#error "NAME is internal to DIR ..."), which is also what
# stops the compiler.
function internal(h,    line, n, r) {
	if (h in is_internal)
		return is_internal[h]
	r = 0
	for (n = 0; n < 60 && (getline line < h) > 0; n++)
		if (line ~ /^#[ \t]*error[ \t]+".* is internal to /) {
			r = 1
			break
		}
	close(h)
	if (h == generated["ui_screens.h"])
		r = 1
	is_internal[h] = r
	return r
}

function check_include(name,    d, cand, found, n, i, t, tl, fl, allowed) {
	if (name == "config.h")
		return
	d = dir_of(FILENAME)
	t = ""
	cand = norm(d "/" name)
	if (cand in header)
		t = cand
	else if (name in generated)
		t = generated[name]
	else {
		n = 0
		for (i = 1; i <= nroots; i++) {
			cand = norm(roots[i] "/" name)
			if ((cand in header) && !(cand in found)) {
				found[cand] = 1
				t = cand
				n++
			}
		}
		if (n == 0) {
			report("unresolved", "\"" name "\" is in no library directory")
			return
		}
		if (n > 1) {
			report("ambiguous", "\"" name "\" is in more than one directory")
			return
		}
	}
	if (dir_of(t) == d)
		return
	fl = layer[d]
	tl = layer[dir_of(t)]
	if (tl == "" || tl == "main") {
		report("include", t " belongs to no library")
		return
	}
	if (index(may[fl], " " tl " ") == 0) {
		allowed = may[fl]
		gsub(/^ +| +$/, "", allowed)
		gsub(/ +/, ", ", allowed)
		report("include", t " (" tl ") from " fl " (which may include " \
		    (allowed == "" ? "only its own directory" : allowed) ")")
		return
	}
	if (internal(t))
		report("internal", t " is internal to " dir_of(t))
}

FNR == 1 {
	in_comment = 0
	scanf_pending = 0
	d = dir_of(FILENAME)
	if (!(d in layer))
		report("directory", d " is in no layer of tests/layers.awk")
}

{
	orig = $0
	# Blank comments and literals, keeping the quotes and the length.
	code = ""
	n = length(orig)
	i = 1
	while (i <= n) {
		c = substr(orig, i, 1)
		c2 = substr(orig, i, 2)
		if (in_comment) {
			if (c2 == "*/") {
				in_comment = 0
				code = code "  "
				i += 2
			} else {
				code = code " "
				i++
			}
		} else if (c2 == "/*") {
			in_comment = 1
			code = code "  "
			i += 2
		} else if (c2 == "//") {
			break
		} else if (c == "\"" || c == "'") {
			q = c
			code = code q
			i++
			while (i <= n && substr(orig, i, 1) != q) {
				if (substr(orig, i, 1) == "\\") {
					i++
					code = code " "
				}
				i++
				code = code " "
			}
			code = code q
			i++
		} else {
			code = code c
			i++
		}
	}

	if (code ~ /^[ \t]*#[ \t]*include[ \t]*"/) {
		if (match(orig, /"[^"]*"/))
			check_include(substr(orig, RSTART + 1, RLENGTH - 2))
	} else if (code ~ /^[ \t]*#[ \t]*include[ \t]*</) {
		if (d != "ui" && match(orig, /<[^>]*>/)) {
			h = substr(orig, RSTART + 1, RLENGTH - 2)
			if (h ~ /^(n?curses|ncursesw\/[a-z]*|ncurses\/[a-z]*|term|panel|menu|form)\.h$/)
				report("curses", "<" h "> outside ui/")
		}
	}

	if (d != "db" && d != "bench") {
		s = code
		while (match(s, libpq_re)) {
			w = substr(s, RSTART, RLENGTH)
			gsub(/^[^A-Za-z0-9_]|[^A-Za-z0-9_]$/, "", w)
			report("libpq", w " outside db/")
			s = substr(s, RSTART + RLENGTH - 1)
		}
	}

	s = code
	while (match(s, banned_re)) {
		w = substr(s, RSTART, RLENGTH)
		sub(/^[^A-Za-z0-9_]/, "", w)
		sub(/[ \t]*\($/, "", w)
		report("banned", w "()")
		s = substr(s, RSTART + RLENGTH)
	}

	# The format of a scanf-family call is its first string literal,
	# on the call's line or one of the next few.
	if (match(code, scanf_re)) {
		scanf_pending = 4
		scanf_from = RSTART + RLENGTH
	} else
		scanf_from = 1
	if (scanf_pending > 0) {
		rest = substr(orig, scanf_from)
		if (match(rest, /"([^"\\]|\\.)*"/)) {
			fmt = substr(rest, RSTART, RLENGTH)
			gsub(/%%/, "", fmt)
			if (fmt ~ /%(hh|h|ll|l|L|j|z|t)?[s[]/)
				report("scanf", "unbounded %s or %[ in " fmt)
			scanf_pending = 0
		} else
			scanf_pending--
	}
}
