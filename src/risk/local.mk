# The risk engine is pure code (no database).  Two fragments own its files:
# model.mk (XGBoost, TreeSHAP, scorecards, score scale) and decision.mk
# (feature catalogue, rules, policy, reason codes).
noinst_LIBRARIES += libldrisk.a
libldrisk_a_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_RISK) -DLD_RISK_INTERNAL \
	$(CJSON_CFLAGS)
libldrisk_a_SOURCES =
include %reldir%/model.mk
include %reldir%/decision.mk
LDRISK_LIBS = libldrisk.a $(CJSON_LIBS) $(CRYPTO_LIBS) -lm
