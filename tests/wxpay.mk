# tests for wxpay: crypto known answers (tests/kat, from the official SDKs),
# openssl CLI cross-checks, properties, the client against a local fake
# WeChat Pay, and the loandesk wxpay commands.
check_PROGRAMS += tests/test_wxpay
tests_test_wxpay_SOURCES = tests/test_wxpay.c tests/ld_test.h
tests_test_wxpay_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) -DLD_WXPAY_INTERNAL $(CUNIT_CFLAGS) $(CJSON_CFLAGS) $(CRYPTO_CFLAGS) $(CURL_CFLAGS) $(EXPAT_CFLAGS)
tests_test_wxpay_LDADD = $(LDWXPAY_LIBS) $(LDCOMMON_LIBS) $(CUNIT_LIBS)
TESTS += tests/test_wxpay

EXTRA_DIST += %reldir%/kat/README %reldir%/kat/vectors.json \
	%reldir%/kat/wechatpay-go.notify_test_body.json \
	%reldir%/kat/wechatpay-go.notify_test_cert.pem \
	%reldir%/kat/wechatpay-go.test_private_key.pem \
	%reldir%/kat/wechatpay-java.download_certificate_ciphertext.txt \
	%reldir%/kat/wechatpay-java.merchant_certificate.pem \
	%reldir%/kat/wechatpay-java.merchant_private_key.pem \
	%reldir%/kat/wechatpay-java.wechat_pay_certificate.pem \
	%reldir%/kat/wechatpay-java.wechat_pay_private_key.pem \
	%reldir%/kat/wechatpay-java.wechat_pay_public_key.pem

check_PROGRAMS += tests/test_wxpay_client
tests_test_wxpay_client_SOURCES = tests/test_wxpay_client.c tests/ld_test.h
tests_test_wxpay_client_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) -DLD_WXPAY_INTERNAL $(CUNIT_CFLAGS) $(CJSON_CFLAGS) $(CRYPTO_CFLAGS) $(CURL_CFLAGS) $(EXPAT_CFLAGS) $(MHD_CFLAGS)
tests_test_wxpay_client_LDADD = $(LDWXPAY_LIBS) $(LDCOMMON_LIBS) $(MHD_LIBS) $(CUNIT_LIBS)
TESTS += tests/test_wxpay_client

# loandesk wxpay ... against the SDK vectors and the openssl CLI.
TESTS += %reldir%/test_wxpay_cli.sh
dist_check_SCRIPTS += %reldir%/test_wxpay_cli.sh

# The client against the real simulator over loopback: bills, batches,
# balance, certificates, callbacks into a receiver here, APIv2 over mutual
# TLS with a PKI made by the openssl CLI at test time.
check_PROGRAMS += tests/test_wxpay_e2e
tests_test_wxpay_e2e_SOURCES = tests/test_wxpay_e2e.c tests/ld_test.h
tests_test_wxpay_e2e_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) $(CJSON_CFLAGS) $(CRYPTO_CFLAGS) $(CURL_CFLAGS) $(EXPAT_CFLAGS) $(MHD_CFLAGS)
tests_test_wxpay_e2e_LDADD = $(LDWXPAY_LIBS) $(LDCOMMON_LIBS) $(MHD_LIBS) $(CUNIT_LIBS) -lpthread
tests_test_wxpay_e2e_DEPENDENCIES = wxpay-sim$(EXEEXT) $(LDWXPAY_LIBS)
TESTS += tests/test_wxpay_e2e
