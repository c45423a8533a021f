# libFuzzer harnesses for the risk engine's inputs (tests/fuzz/risk_*.c):
# XGBoost and scorecard model files, the rules file, the reason-code
# table, alt-data payloads and the CSV reader of `loandesk model eval`.
# Built with clang whatever compiler configure chose, into fuzz-risk/ in
# the build directory; not part of `make all` or `make check` (the crashes
# they found are regression cases in tests/test_risk_model.c and
# tests/test_risk_decision.c).
#
#   make fuzz-risk                      build, then run each for 60 s
#   make fuzz-risk FUZZ_SECONDS=300     longer
#   make fuzz-risk FUZZ_RISK_NAMES='risk_xgb risk_rules'
#   make fuzz-risk-build                build only
#   make fuzz-risk-replay               run the seeds once (seconds)
#   make fuzz-risk-clean
#
# Inputs found are kept in fuzz-risk/corpus/NAME (seeds stay in
# tests/fuzz/corpus/NAME, made by tests/fuzz/risk_gen_corpus.py); a crash
# leaves fuzz-risk/artifacts/NAME-crash-* and stops the run.  Reproduce one
# with `fuzz-risk/NAME_fuzz FILE`.
FUZZ_CC = clang
FUZZ_SECONDS = 60
FUZZ_RISK_MAX_LEN = 16384
FUZZ_RISK_OUT = fuzz-risk
FUZZ_RISK_NAMES = risk_xgb risk_card risk_rules risk_reasons risk_payload \
	risk_csv
FUZZ_RISK_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) -DLD_RISK_INTERNAL \
	$(CJSON_CFLAGS) \
	$(CRYPTO_CFLAGS) $(INIH_CFLAGS) \
	-DLD_SYSCONFDIR='"$(sysconfdir)"' -DLD_PKGDATADIR='"$(pkgdatadir)"' \
	-DLD_SRCDIR='"$(abs_top_srcdir)"' \
	-DRISK_FUZZ_TOP_SRCDIR='"$(abs_top_srcdir)"'
FUZZ_RISK_CFLAGS = -std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra \
	-Wpedantic -Werror -fno-sanitize-recover=undefined
FUZZ_RISK_LIBS = $(CJSON_LIBS) $(CRYPTO_LIBS) $(INIH_LIBS) -lm
# The library is compiled for coverage (fuzzer-no-link) so that libFuzzer
# sees inside the loaders, not only the harness.
FUZZ_RISK_SRC = \
	$(top_srcdir)/src/risk/risk_model.c $(top_srcdir)/src/risk/risk_json.c \
	$(top_srcdir)/src/risk/risk_xgb.c $(top_srcdir)/src/risk/risk_shap.c \
	$(top_srcdir)/src/risk/risk_scorecard.c \
	$(top_srcdir)/src/risk/risk_scale.c \
	$(top_srcdir)/src/risk/risk_features.c \
	$(top_srcdir)/src/risk/risk_rules.c \
	$(top_srcdir)/src/risk/risk_reasons.c \
	$(top_srcdir)/src/common/ld_err.c $(top_srcdir)/src/common/ld_alloc.c \
	$(top_srcdir)/src/common/ld_buf.c $(top_srcdir)/src/common/ld_pii.c \
	$(top_srcdir)/src/common/ld_config.c \
	$(top_srcdir)/src/common/ld_utf8.c
FUZZ_RISK_HDR = $(top_srcdir)/tests/fuzz/risk_fuzz.h \
	$(top_srcdir)/tests/fuzz/risk_fuzz_model.h \
	$(top_srcdir)/src/risk/risk_model.h \
	$(top_srcdir)/src/risk/risk_model_int.h \
	$(top_srcdir)/src/risk/risk_json.h \
	$(top_srcdir)/src/risk/risk_features.h \
	$(top_srcdir)/src/risk/risk_rules.h \
	$(top_srcdir)/src/risk/risk_reasons.h
FUZZ_RISK_LIB = $(FUZZ_RISK_OUT)/librisk-fuzz.a
FUZZ_RISK_BINS = $(FUZZ_RISK_OUT)/risk_xgb_fuzz \
	$(FUZZ_RISK_OUT)/risk_card_fuzz $(FUZZ_RISK_OUT)/risk_rules_fuzz \
	$(FUZZ_RISK_OUT)/risk_reasons_fuzz $(FUZZ_RISK_OUT)/risk_payload_fuzz \
	$(FUZZ_RISK_OUT)/risk_csv_fuzz
FUZZ_RISK_LINK = $(FUZZ_CC) $(FUZZ_RISK_CPPFLAGS) $(FUZZ_RISK_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -o $@

EXTRA_DIST += tests/fuzz/risk_fuzz.h tests/fuzz/risk_fuzz_model.h \
	tests/fuzz/risk_xgb_fuzz.c tests/fuzz/risk_card_fuzz.c \
	tests/fuzz/risk_rules_fuzz.c tests/fuzz/risk_reasons_fuzz.c \
	tests/fuzz/risk_payload_fuzz.c tests/fuzz/risk_csv_fuzz.c \
	tests/fuzz/risk_gen_corpus.py tests/fuzz/risk_xgb.dict \
	tests/fuzz/risk_card.dict tests/fuzz/risk_rules.dict \
	tests/fuzz/corpus/risk_xgb tests/fuzz/corpus/risk_card \
	tests/fuzz/corpus/risk_rules tests/fuzz/corpus/risk_reasons \
	tests/fuzz/corpus/risk_payload tests/fuzz/corpus/risk_csv

$(FUZZ_RISK_LIB): $(FUZZ_RISK_SRC) $(FUZZ_RISK_HDR)
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { \
	  echo "$(FUZZ_CC) not found: apt-get install clang" >&2; exit 2; }
	@rm -rf $(FUZZ_RISK_OUT)/obj && $(MKDIR_P) $(FUZZ_RISK_OUT)/obj
	@for f in $(FUZZ_RISK_SRC); do \
	  o=$(FUZZ_RISK_OUT)/obj/`basename $$f .c`.o; \
	  echo "  FUZZCC   $$o"; \
	  $(FUZZ_CC) $(FUZZ_RISK_CPPFLAGS) $(FUZZ_RISK_CFLAGS) \
	    -fsanitize=fuzzer-no-link,address,undefined -c -o $$o $$f || \
	    exit 1; \
	done
	@rm -f $@ && $(AR) cr $@ $(FUZZ_RISK_OUT)/obj/*.o && $(RANLIB) $@

$(FUZZ_RISK_OUT)/risk_xgb_fuzz: $(top_srcdir)/tests/fuzz/risk_xgb_fuzz.c \
    $(FUZZ_RISK_LIB)
	$(AM_V_GEN)$(FUZZ_RISK_LINK) $(top_srcdir)/tests/fuzz/risk_xgb_fuzz.c \
	  $(FUZZ_RISK_LIB) $(FUZZ_RISK_LIBS)
$(FUZZ_RISK_OUT)/risk_card_fuzz: $(top_srcdir)/tests/fuzz/risk_card_fuzz.c \
    $(FUZZ_RISK_LIB)
	$(AM_V_GEN)$(FUZZ_RISK_LINK) $(top_srcdir)/tests/fuzz/risk_card_fuzz.c \
	  $(FUZZ_RISK_LIB) $(FUZZ_RISK_LIBS)
$(FUZZ_RISK_OUT)/risk_rules_fuzz: $(top_srcdir)/tests/fuzz/risk_rules_fuzz.c \
    $(FUZZ_RISK_LIB)
	$(AM_V_GEN)$(FUZZ_RISK_LINK) $(top_srcdir)/tests/fuzz/risk_rules_fuzz.c \
	  $(FUZZ_RISK_LIB) $(FUZZ_RISK_LIBS)
$(FUZZ_RISK_OUT)/risk_reasons_fuzz: \
    $(top_srcdir)/tests/fuzz/risk_reasons_fuzz.c $(FUZZ_RISK_LIB)
	$(AM_V_GEN)$(FUZZ_RISK_LINK) \
	  $(top_srcdir)/tests/fuzz/risk_reasons_fuzz.c $(FUZZ_RISK_LIB) \
	  $(FUZZ_RISK_LIBS)
$(FUZZ_RISK_OUT)/risk_payload_fuzz: \
    $(top_srcdir)/tests/fuzz/risk_payload_fuzz.c $(FUZZ_RISK_LIB)
	$(AM_V_GEN)$(FUZZ_RISK_LINK) \
	  $(top_srcdir)/tests/fuzz/risk_payload_fuzz.c $(FUZZ_RISK_LIB) \
	  $(FUZZ_RISK_LIBS)
$(FUZZ_RISK_OUT)/risk_csv_fuzz: $(top_srcdir)/tests/fuzz/risk_csv_fuzz.c \
    $(top_srcdir)/src/cli/cli_model_eval.c $(FUZZ_RISK_LIB)
	$(AM_V_GEN)$(FUZZ_RISK_LINK) $(top_srcdir)/tests/fuzz/risk_csv_fuzz.c \
	  $(FUZZ_RISK_LIB) $(FUZZ_RISK_LIBS)

fuzz-risk-build: $(FUZZ_RISK_BINS)

# Each harness named in the shell variable risk_names for FUZZ_SECONDS on
# one core, in turn; a crash, leak, timeout (10 s for one input) or
# out-of-memory (2 GB) fails the target.  Shared with `make fuzz`.
FUZZ_RISK_RUN = for n in $$risk_names; do \
	  c=$(FUZZ_RISK_OUT)/corpus/$$n; \
	  $(MKDIR_P) $$c $(FUZZ_RISK_OUT)/artifacts; \
	  d=$(top_srcdir)/tests/fuzz/$$n.dict; \
	  if test -f $$d; then d=-dict=$$d; else d=; fi; \
	  echo "fuzz-risk: $$n for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_RISK_OUT)/$${n}_fuzz -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=$(FUZZ_RISK_MAX_LEN) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 $$d \
	    -artifact_prefix=$(FUZZ_RISK_OUT)/artifacts/$$n- \
	    $$c $(top_srcdir)/tests/fuzz/corpus/$$n \
	    2>$(FUZZ_RISK_OUT)/$$n.log || { \
	    tail -n 60 $(FUZZ_RISK_OUT)/$$n.log; \
	    echo "fuzz-risk: $$n FAILED (log: $(FUZZ_RISK_OUT)/$$n.log)"; \
	    exit 1; }; \
	  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' \
	    $(FUZZ_RISK_OUT)/$$n.log | sed "s/^/  $$n: /"; \
	done

fuzz-risk: fuzz-risk-build
	@risk_names='$(FUZZ_RISK_NAMES)'; $(FUZZ_RISK_RUN)

# The seeds and everything found so far, once each: a quick regression.
fuzz-risk-replay: fuzz-risk-build
	@for n in $(FUZZ_RISK_NAMES); do \
	  $(MKDIR_P) $(FUZZ_RISK_OUT)/corpus/$$n; \
	  $(FUZZ_RISK_OUT)/$${n}_fuzz -runs=0 -timeout=10 \
	    $(FUZZ_RISK_OUT)/corpus/$$n $(top_srcdir)/tests/fuzz/corpus/$$n \
	    2>$(FUZZ_RISK_OUT)/$$n.replay.log || { \
	    tail -n 40 $(FUZZ_RISK_OUT)/$$n.replay.log; exit 1; }; \
	  echo "fuzz-risk-replay: $$n ok"; \
	done

fuzz-risk-clean:
	rm -rf $(FUZZ_RISK_OUT)

.PHONY: fuzz-risk fuzz-risk-build fuzz-risk-replay fuzz-risk-clean
