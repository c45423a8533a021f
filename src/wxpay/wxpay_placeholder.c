#include "config.h"
#include "wxpay.h"
int ld_wxpay_placeholder_(void);
int ld_wxpay_placeholder_(void) { return 0; }
