# CUnit suites; each program prints CUnit's summary and exits non-zero on
# any failure.  Integration suites start their own throwaway cluster.
check_PROGRAMS += tests/test_common
tests_test_common_SOURCES = tests/test_common.c tests/ld_test.h
tests_test_common_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) $(CRYPTO_CFLAGS)
tests_test_common_LDADD = $(LDCOMMON_LIBS) $(CUNIT_LIBS)
TESTS += tests/test_common

# The configuration loader over every owner's section, the sample file and
# the two programs' assemblies of it.
check_PROGRAMS += tests/test_config
tests_test_config_SOURCES = tests/test_config.c tests/ld_test.h \
	src/cli/cli_config.c src/daemon/daemon_config.c
tests_test_config_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) \
	$(PQ_CFLAGS) $(CJSON_CFLAGS) $(CURL_CFLAGS)
tests_test_config_LDADD = libldcore.a $(LDDB_LIBS) $(LDRISK_LIBS) \
	libldpayout.a $(LDWXPAY_LIBS) $(LDCOMMON_LIBS) $(CUNIT_LIBS)
TESTS += tests/test_config

# The layers the build's include paths stand for, curses only in ui/,
# libpq execution only in db/, and the banned functions, over the sources.
dist_check_SCRIPTS += tests/test_layers.sh
EXTRA_DIST += tests/layers.awk
TESTS += tests/test_layers.sh

include %reldir%/db.mk
include %reldir%/loan.mk
include %reldir%/db_integrity.mk
include %reldir%/risk_model.mk
include %reldir%/risk_decision.mk
include %reldir%/wxpay.mk
include %reldir%/payout.mk
include %reldir%/db_payout.mk
include %reldir%/payout_e2e.mk
include %reldir%/reconcile.mk
include %reldir%/core_payouts.mk
include %reldir%/sim.mk
include %reldir%/console.mk
include %reldir%/worker.mk
include %reldir%/fuzz_risk.mk
include %reldir%/fuzz.mk
include %reldir%/valgrind.mk
include %reldir%/tsan.mk
