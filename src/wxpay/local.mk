# WeChat Pay client: pure code (no database).
noinst_LIBRARIES += libldwxpay.a
libldwxpay_a_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS) $(EXPAT_CFLAGS) $(CRYPTO_CFLAGS) $(SSL_CFLAGS)
libldwxpay_a_SOURCES = %reldir%/wxpay.h %reldir%/wxpay_placeholder.c
LDWXPAY_LIBS = libldwxpay.a $(CURL_LIBS) $(CJSON_LIBS) $(EXPAT_LIBS) $(SSL_LIBS) $(CRYPTO_LIBS)
