#include "config.h"
#include "risk.h"
int ld_risk_placeholder_(void);
int ld_risk_placeholder_(void) { return 0; }
