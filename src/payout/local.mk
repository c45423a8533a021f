# The payout engine's rules: pure code (no database, no network) over
# src/common and the classification table of src/wxpay (wxpay_codes.h).
noinst_LIBRARIES += libldpayout.a
libldpayout_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/payout
libldpayout_a_SOURCES = %reldir%/payout.h %reldir%/payout_state.c \
	%reldir%/payout_step.c %reldir%/payout_split.c \
	%reldir%/payout_ids.c %reldir%/payout_time.c
# wx_code_* come from libldwxpay.a, whose codes object needs nothing else.
LDPAYOUT_LIBS = libldpayout.a libldwxpay.a
