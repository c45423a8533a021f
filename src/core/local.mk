noinst_LIBRARIES += libldcore.a
libldcore_a_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_CORE) $(LD_INC_RISK) \
	$(LD_INC_WXPAY) $(LD_INC_DB) $(LD_INC_PAYOUT) $(PQ_CFLAGS) \
	$(CJSON_CFLAGS) $(CRYPTO_CFLAGS)
libldcore_a_SOURCES = %reldir%/core.h %reldir%/core_decide.c \
	%reldir%/core_locks.c %reldir%/core_locks.h \
	%reldir%/core_pii.c %reldir%/core_pii.h
libldcore_a_SOURCES += %reldir%/core_seed.c %reldir%/core_seed.h
# Console read models: list, case, reviews, audit, schedule; the
# console's session (primary, replica, notifications).
libldcore_a_SOURCES += %reldir%/core_query.c %reldir%/core_query.h \
	%reldir%/core_session.c %reldir%/core_session.h \
	%reldir%/core_apps.c %reldir%/core_apps.h \
	%reldir%/core_case.c %reldir%/core_case.h \
	%reldir%/core_reviews.c %reldir%/core_reviews.h \
	%reldir%/core_audit_view.c %reldir%/core_audit_view.h \
	%reldir%/core_operator.c %reldir%/core_operator.h \
	%reldir%/core_schedule.c %reldir%/core_schedule.h
libldcore_a_SOURCES += %reldir%/core_explain.c %reldir%/core_explain.h
libldcore_a_SOURCES += %reldir%/core_models.c %reldir%/core_models.h
libldcore_a_SOURCES += %reldir%/core_score.c %reldir%/core_score.h
# State machines, and the legal lines an APR is read against.
libldcore_a_SOURCES += %reldir%/core_states.c %reldir%/core_states.h \
	%reldir%/core_apr.c %reldir%/core_apr.h
# loandeskd's payout work: claim, send, record; callbacks, the balance,
# the heartbeat and the figures of /metrics.
libldcore_a_SOURCES += %reldir%/core_payout_engine.c \
	%reldir%/core_payout_engine.h %reldir%/core_payout_ops.c
# Daily reconciliation and the settings the database decides from.
libldcore_a_SOURCES += %reldir%/core_reconcile.c %reldir%/core_reconcile.h \
	%reldir%/core_settings.c %reldir%/core_settings.h
# Payouts for finance and on-call: list, one payout, the strip and
# dashboard figures, previews and actions.
libldcore_a_SOURCES += %reldir%/core_payouts.c %reldir%/core_payouts.h
