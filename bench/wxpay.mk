# Signed transfer-bill creates per second against wxpay-sim over loopback,
# beside openssl speed rsa2048 measured in the same run.
LD_BENCH_LIST += %reldir%/bench_wxpay.sh
check_PROGRAMS += bench/bench_wxpay_load
bench_bench_wxpay_load_SOURCES = bench/bench_wxpay_load.c
bench_bench_wxpay_load_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) \
	$(CRYPTO_CFLAGS)
bench_bench_wxpay_load_LDADD = $(LDWXPAY_LIBS) $(LDCOMMON_LIBS) \
	$(CURL_LIBS) -lpthread
