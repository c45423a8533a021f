#include "config.h"

#include "core_apr.h"

enum core_apr_class
core_apr_classify(long apr_bps)
{
	if (apr_bps > CORE_APR_VOID_OVER_BPS)
		return CORE_APR_VOID;
	if (apr_bps > CORE_APR_ENFORCED_MAX_BPS)
		return CORE_APR_OVER;
	return CORE_APR_WITHIN;
}

long
core_apr_line_bps(enum core_apr_class c)
{
	switch (c) {
	case CORE_APR_OVER:
		return CORE_APR_ENFORCED_MAX_BPS;
	case CORE_APR_VOID:
		return CORE_APR_VOID_OVER_BPS;
	default:
		return 0;
	}
}
