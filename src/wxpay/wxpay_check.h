/*
 * The rules WeChat Pay applies to the fields a merchant sends, in one
 * place: the client checks a request with them before it leaves, and
 * wxpay-sim checks what it receives with the same functions, so the two
 * cannot drift apart.  Public: programs outside src/wxpay may use it.
 */
#ifndef LD_WXPAY_CHECK_H
#define LD_WXPAY_CHECK_H

#include <stddef.h>

#include "ld_err.h"

/*
 * Checks an out_*_no / path segment: 1..max of [A-Za-z0-9].  LD_EINVAL
 * naming the field.
 */
enum ld_status	wx_check_no(const char *field, const char *v, size_t max,
		    struct ld_err *err);

/*
 * Checks user-visible text: valid UTF-8 of 1-3 byte characters without
 * control characters (the APIv3 string rule), 1..max characters.
 */
enum ld_status	wx_check_text(const char *field, const char *v, size_t max,
		    struct ld_err *err);

/*
 * Checks a callback URL: https to any host, plain http only to a loopback
 * host (the tests' and the demo's receivers), no user part, no blanks or
 * control characters.  LD_EPERM for http elsewhere, LD_EINVAL for anything
 * else wrong.
 */
enum ld_status	wx_http_check_notify_url(const char *url,
		    struct ld_err *err);

#endif
