# Reference documents: shipped in the tarball, not installed.
EXTRA_DIST += %reldir%/README.md %reldir%/wxpay-api.md %reldir%/risk-maths.md \
	%reldir%/audit-head.md

# A document missing from the list above would not be shipped, so `make
# dist` refuses to leave one out.
dist-hook: ld-dist-docs
ld-dist-docs:
	@for f in $(srcdir)/%reldir%/*.md; do \
	  test -f "$(distdir)/%reldir%/$${f##*/}" || { \
	    echo "$$f is not in EXTRA_DIST (%reldir%/local.mk)" >&2; \
	    exit 1; }; \
	done
.PHONY: ld-dist-docs

# Every citation of these documents names a file and a section that exist,
# and nothing cites the notes they were written from.
dist_check_SCRIPTS += tests/test_doc_cites.sh
TESTS += tests/test_doc_cites.sh
