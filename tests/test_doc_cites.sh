#!/bin/sh
# Comments, tests and sample files cite only what a reader of the
# repository can open: every docs/NAME.md they name exists, every section
# they cite as docs/NAME.md, "Heading" is a heading of that file, and
# nobody points at the reference notes the docs were written from, which
# are not in the repository.
set -eu
srcdir=${top_srcdir:-.}
exec python3 - "$srcdir" <<'EOF'
import os, re, sys

root = sys.argv[1]
self_path = os.path.join("tests", "test_doc_cites.sh")
# Assembled here so that this script does not match itself.
forbidden = re.compile("|".join([r"wechatpay" r"\.md", r"risk-model" r"\.md",
    r"risk-model" r" notes", r"\.\./" r"shared", r"research" r" notes"]))

def headings(name):
    path = os.path.join(root, "docs", name)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return {m.group(1).strip() for m in
            re.finditer(r"^#+ +(.+)$", f.read(), re.M)}

def files():
    for top in ("src", "db", "ui", "tests", "etc", "bench", "docs", ".ci"):
        for d, dirs, names in os.walk(os.path.join(root, top)):
            dirs[:] = [x for x in dirs if x != "corpus"]
            for n in names:
                yield os.path.relpath(os.path.join(d, n), root)
    yield "README.md"

# A citation, once comment markers between its lines are folded away:
# docs/NAME.md, "Heading" (and "Another", or to "Another").
cite = re.compile(r'docs/([A-Za-z0-9_.-]+\.md)(,? (?:the )?"([^"\s][^"]*)"'
    r'((?:,? (?:and|or|to) (?:the )?"[^"]+")*))?')
fold = re.compile(r'[ \t]*\n[ \t]*(?:\*(?!/)|#|--|//)?[ \t]*')
bad = []
cites = 0
for rel in sorted(set(files())):
    try:
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            text = f.read()
    except (UnicodeDecodeError, IsADirectoryError):
        continue
    if rel != self_path:
        for i, line in enumerate(text.split("\n"), 1):
            if forbidden.search(line):
                bad.append("%s:%d: cites notes outside the repository: %s"
                    % (rel, i, line.strip()))
    if rel == self_path:
        continue
    flat = fold.sub(" ", text)
    for m in cite.finditer(flat):
        cites += 1
        hs = headings(m.group(1))
        if hs is None:
            bad.append("%s: docs/%s does not exist" % (rel, m.group(1)))
            continue
        names = [m.group(3)] if m.group(3) else []
        names += re.findall(r'"([^"]+)"', m.group(4) or "")
        for h in names:
            if h not in hs:
                bad.append('%s: docs/%s has no section "%s"'
                    % (rel, m.group(1), h))
    # A table whose rows cite sections through a DOC macro.
    d = re.search(r'#define DOC "docs/([A-Za-z0-9_.-]+\.md), "', text)
    if d:
        hs = headings(d.group(1)) or set()
        for h in re.findall(r'\\"([^"\\]+)\\"', text):
            cites += 1
            if h not in hs:
                bad.append('%s: docs/%s has no section "%s"'
                    % (rel, d.group(1), h))

for b in bad:
    print("FAIL: " + b)
if cites == 0:
    print("FAIL: found no citation at all; is top_srcdir right?")
    sys.exit(1)
print("%d citations checked, %d problems" % (cites, len(bad)))
sys.exit(1 if bad else 0)
EOF
