/* Risk engine: features, rules, models.  Filled by its own change. */
#ifndef LD_RISK_H
#define LD_RISK_H
#endif
