# `make check-valgrind`: the CUnit programs (those of check_PROGRAMS that
# are in TESTS) and the programs' everyday commands on a throwaway cluster,
# under valgrind's memcheck with tests/valgrind.supp, failing on any error,
# lost block or, for loandeskd and wxpay-sim, a descriptor left open; see
# tests/valgrind.sh.  Not part of `make check`: it takes minutes.  Needs a
# build configured without --enable-sanitizers (valgrind cannot run ASan
# binaries), e.g. `../configure --enable-debug` in a directory of its own.
VALGRIND = valgrind
if SANITIZERS
VALGRIND_SANITIZED = yes
else
VALGRIND_SANITIZED = no
endif
EXTRA_DIST += %reldir%/valgrind.sh %reldir%/valgrind.supp

check-valgrind: $(bin_PROGRAMS) $(check_PROGRAMS)
	@if test "$(VALGRIND_SANITIZED)" = yes; then \
	  echo "check-valgrind: this build has ASan and UBSan, which" \
	    "valgrind cannot run; configure a build directory without" \
	    "--enable-sanitizers" >&2; \
	  exit 2; \
	fi; \
	progs=; \
	for p in $(check_PROGRAMS); do \
	  case " $(TESTS) " in *" $$p "*) progs="$$progs $$p" ;; esac; \
	done; \
	LANG=C.UTF-8 LC_ALL=C.UTF-8 top_srcdir='$(abs_top_srcdir)' \
	top_builddir='$(abs_top_builddir)' VALGRIND='$(VALGRIND)' \
	$(SHELL) $(top_srcdir)/tests/valgrind.sh $$progs
.PHONY: check-valgrind
