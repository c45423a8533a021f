# loandeskd's payout engine end to end: a throwaway cluster, the real
# wxpay-sim over loopback and the daemon as a process (tests/payout_e2e.c
# is their harness).  test_payout_e2e runs every path of mode v3;
# test_payout_e2e_modes the batches and APIv2 (mutual TLS) modes,
# --once, and a mode refused at start.
E2E_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) $(PQ_CFLAGS) \
	$(CJSON_CFLAGS) $(CRYPTO_CFLAGS) $(CURL_CFLAGS) $(EXPAT_CFLAGS)
E2E_LDADD = libldcore.a $(LDDB_LIBS) $(LDRISK_LIBS) libldpayout.a \
	$(LDWXPAY_LIBS) $(LDCOMMON_LIBS) $(CUNIT_LIBS)
E2E_SOURCES = tests/payout_e2e.c tests/payout_e2e.h tests/ld_test.h \
	tests/ld_testdb.h

check_PROGRAMS += tests/test_payout_e2e
tests_test_payout_e2e_SOURCES = tests/test_payout_e2e.c $(E2E_SOURCES)
tests_test_payout_e2e_CPPFLAGS = $(E2E_CPPFLAGS)
tests_test_payout_e2e_LDADD = $(E2E_LDADD)
EXTRA_tests_test_payout_e2e_DEPENDENCIES = wxpay-sim$(EXEEXT) \
	loandeskd$(EXEEXT)
TESTS += tests/test_payout_e2e

check_PROGRAMS += tests/test_payout_e2e_modes
tests_test_payout_e2e_modes_SOURCES = tests/test_payout_e2e_modes.c \
	$(E2E_SOURCES)
tests_test_payout_e2e_modes_CPPFLAGS = $(E2E_CPPFLAGS)
tests_test_payout_e2e_modes_LDADD = $(E2E_LDADD)
EXTRA_tests_test_payout_e2e_modes_DEPENDENCIES = wxpay-sim$(EXEEXT) \
	loandeskd$(EXEEXT)
TESTS += tests/test_payout_e2e_modes

# The systemd unit's hardening.
dist_check_SCRIPTS += tests/test_systemd_unit.sh
TESTS += tests/test_systemd_unit.sh
