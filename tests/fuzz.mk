# `make fuzz` builds the libFuzzer harnesses tests/fuzz/fuzz_*.c with
# clang (ASan + UBSan; apt-get install clang) and runs each for
# FUZZ_SECONDS (default 60), seeded from tests/fuzz/corpus/fuzz_*: the
# WeChat Pay client's APIv3 answer readers, callbacks (envelope and
# decrypted resource), APIv2 XML answers and answer headers, the
# fund-flow bill file, and the
# simulator's request parsers and Authorization check.  Not part of
# `make check` (what they found is kept there as regression cases); a
# finding fails it and stays as tests/fuzz/crash-NAME-* in the build tree,
# new inputs in tests/fuzz/work/NAME.
#
#   make fuzz                            every harness, 60 s each
#   make fuzz FUZZ_SECONDS=300
#   make fuzz FUZZ_TARGETS='fuzz_v2_xml fuzz_sim_auth risk_xgb'
#   make fuzz FUZZ_BUILD_ONLY=1          build every harness, run none
#
# FUZZ_CC and FUZZ_SECONDS are shared with fuzz_risk.mk; the script falls
# back to clang and 60 when they are empty.
FUZZ_TARGETS =
FUZZ_BUILD_ONLY =
FUZZ_WX_CPPFLAGS = $(LD_CPPFLAGS) $(CJSON_CFLAGS) $(CURL_CFLAGS) \
	$(EXPAT_CFLAGS) $(CRYPTO_CFLAGS) $(SSL_CFLAGS) $(MHD_CFLAGS) \
	$(GNUTLS_CFLAGS) $(INIH_CFLAGS)
FUZZ_WX_LIBS = $(CURL_LIBS) $(CJSON_LIBS) $(EXPAT_LIBS) $(SSL_LIBS) \
	$(CRYPTO_LIBS) $(MHD_LIBS) $(GNUTLS_LIBS) $(INIH_LIBS)
EXTRA_DIST += %reldir%/fuzz/run.sh %reldir%/fuzz/fuzz_util.h \
	%reldir%/fuzz/fuzz_client.h %reldir%/fuzz/fuzz_sim.h \
	%reldir%/fuzz/fuzz_v3_answer.c %reldir%/fuzz/fuzz_notify.c \
	%reldir%/fuzz/fuzz_notify_plain.c %reldir%/fuzz/fuzz_v2_xml.c \
	%reldir%/fuzz/fuzz_http_headers.c %reldir%/fuzz/fuzz_sim_request.c \
	%reldir%/fuzz/fuzz_sim_auth.c %reldir%/fuzz/fuzz_json.dict \
	%reldir%/fuzz/fuzz_v2_xml.dict %reldir%/fuzz/fuzz_http_headers.dict \
	%reldir%/fuzz/corpus/fuzz_v3_answer %reldir%/fuzz/corpus/fuzz_notify \
	%reldir%/fuzz/corpus/fuzz_notify_plain \
	%reldir%/fuzz/corpus/fuzz_v2_xml \
	%reldir%/fuzz/corpus/fuzz_http_headers \
	%reldir%/fuzz/corpus/fuzz_sim_request \
	%reldir%/fuzz/corpus/fuzz_sim_auth \
	%reldir%/fuzz/fuzz_fundflow.c %reldir%/fuzz/fuzz_fundflow.dict \
	%reldir%/fuzz/corpus/fuzz_fundflow
# FUZZ_TARGETS may name harnesses of both kinds: risk_* are the risk
# engine's (tests/fuzz_risk.mk), built first in any case.  No $(MAKE) in
# the recipe, so that `make -n fuzz` runs nothing.
fuzz: fuzz-risk-build
	@risk_names=; wx=; for t in $(FUZZ_TARGETS); do \
	  case $$t in risk_*) risk_names="$$risk_names $$t";; \
	  *) wx="$$wx $$t";; esac; \
	done; \
	if test -z '$(FUZZ_TARGETS)'; then \
	  risk_names='$(FUZZ_RISK_NAMES)'; fi; \
	if test -z '$(FUZZ_BUILD_ONLY)'; then $(FUZZ_RISK_RUN); fi; \
	if test -z '$(FUZZ_TARGETS)' || test -n "$$wx"; then \
	  FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_CC='$(FUZZ_CC)' \
	  FUZZ_TARGETS="$$wx" FUZZ_BUILD_ONLY='$(FUZZ_BUILD_ONLY)' \
	  srcdir='$(abs_top_srcdir)' builddir='$(abs_top_builddir)' \
	  FUZZ_CPPFLAGS='$(FUZZ_WX_CPPFLAGS)' FUZZ_LIBS='$(FUZZ_WX_LIBS)' \
	  $(SHELL) $(abs_top_srcdir)/tests/fuzz/run.sh; \
	fi
.PHONY: fuzz
