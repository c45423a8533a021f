# Signed transfer-bill creates per second against wxpay-sim over loopback,
# sent by the product's own client (wx_client, one per thread), beside
# openssl speed rsa2048 measured in the same run.
LD_BENCH_LIST += %reldir%/bench_wxpay.sh
check_PROGRAMS += bench/bench_wxpay_load
bench_bench_wxpay_load_SOURCES = bench/bench_wxpay_load.c
bench_bench_wxpay_load_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_WXPAY) $(CURL_CFLAGS) \
	$(CJSON_CFLAGS) $(CRYPTO_CFLAGS)
bench_bench_wxpay_load_LDADD = $(LDWXPAY_LIBS) $(LDCOMMON_LIBS) \
	$(CURL_LIBS) -lpthread
