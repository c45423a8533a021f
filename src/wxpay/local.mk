# WeChat Pay client: pure code (no database).
noinst_LIBRARIES += libldwxpay.a
libldwxpay_a_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_WXPAY) -DLD_WXPAY_INTERNAL \
	$(CURL_CFLAGS) $(CJSON_CFLAGS) $(EXPAT_CFLAGS) $(CRYPTO_CFLAGS) $(SSL_CFLAGS)
libldwxpay_a_SOURCES = %reldir%/wxpay.h %reldir%/wxpay_int.h \
	%reldir%/wxpay_check.h \
	%reldir%/wxpay_crypto.h %reldir%/wxpay_crypto.c %reldir%/wxpay_xml.c \
	%reldir%/wxpay_json.c \
	%reldir%/wxpay_verify.h %reldir%/wxpay_verify.c \
	%reldir%/wxpay_codes.h %reldir%/wxpay_codes.c \
	%reldir%/wxpay_config.h %reldir%/wxpay_config.c \
	%reldir%/wxpay_http.h %reldir%/wxpay_http.c \
	%reldir%/wxpay_client.c %reldir%/wxpay_batch.c %reldir%/wxpay_v2.c \
	%reldir%/wxpay_certs.c %reldir%/wxpay_expect.c
# The fund-flow bill: fetch, download, SHA1, the file's parser.
libldwxpay_a_SOURCES += %reldir%/wxpay_bill.h %reldir%/wxpay_bill.c \
	%reldir%/wxpay_bill_csv.c
LDWXPAY_LIBS = libldwxpay.a $(CURL_LIBS) $(CJSON_LIBS) $(EXPAT_LIBS) $(SSL_LIBS) $(CRYPTO_LIBS)
