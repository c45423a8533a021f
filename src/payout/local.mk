# The payout engine's rules: pure code (no database, no network) over
# src/common and the classification table of src/wxpay (wxpay_codes.h);
# and [payout] of loandesk.conf, which depends on common alone.
noinst_LIBRARIES += libldpayout.a
libldpayout_a_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_PAYOUT) $(LD_INC_WXPAY)
libldpayout_a_SOURCES = %reldir%/payout.h %reldir%/payout_state.c \
	%reldir%/payout_step.c %reldir%/payout_split.c \
	%reldir%/payout_ids.c %reldir%/payout_time.c \
	%reldir%/payout_config.c %reldir%/payout_config.h
# wx_code_* come from libldwxpay.a, whose codes object needs nothing else.
LDPAYOUT_LIBS = libldpayout.a libldwxpay.a
