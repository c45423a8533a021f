#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ld_err.h"

static const char *const status_text[] = {
#define LD_X(name, text) text,
	LD_STATUS_TABLE(LD_X)
#undef LD_X
};

const char *
ld_status_str(enum ld_status st)
{
	if ((unsigned)st >= LD_STATUS_COUNT)
		return "unknown status";
	return status_text[st];
}

void
ld_err_clear(struct ld_err *err)
{
	if (err == NULL)
		return;
	err->code = LD_OK;
	err->msg[0] = '\0';
}

enum ld_status
ld_err_set(struct ld_err *err, enum ld_status st, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return st;
	err->code = st;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return st;
}

enum ld_status
ld_err_prefix(struct ld_err *err, const char *fmt, ...)
{
	char prefix[LD_ERR_MSG_MAX], old[LD_ERR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return LD_EINTERNAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	snprintf(err->msg, sizeof err->msg, "%s%s", prefix, old);
	return err->code;
}
