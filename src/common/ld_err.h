/*
 * Status codes and the error buffer every fallible function fills.
 *
 * A fallible function returns enum ld_status (LD_OK is 0) and, when it fails,
 * writes a human-readable message into the caller's struct ld_err naming the
 * file, line, field or code at fault.  Nothing below the programs' main()
 * prints or exits; the caller decides where the message goes (stderr, the
 * console's status line, a log).
 */
#ifndef LD_ERR_H
#define LD_ERR_H

#include <stddef.h>

#define LD_STATUS_TABLE(X)                                  \
	X(LD_OK, "ok")                                      \
	X(LD_EINVAL, "invalid input")                       \
	X(LD_EIO, "input/output error")                     \
	X(LD_ENOMEM, "out of memory")                       \
	X(LD_ENOTFOUND, "not found")                        \
	X(LD_EPERM, "permission denied")                    \
	X(LD_ECONFLICT, "conflict with current state")      \
	X(LD_EDB, "database error")                         \
	X(LD_ECRYPTO, "cryptographic failure")              \
	X(LD_ENET, "network error")                         \
	X(LD_ETIMEOUT, "timed out")                         \
	X(LD_EPROTO, "protocol error")                      \
	X(LD_EUNSUPPORTED, "unsupported")                   \
	X(LD_EINTERNAL, "internal error")

enum ld_status {
#define LD_X(name, text) name,
	LD_STATUS_TABLE(LD_X)
#undef LD_X
	LD_STATUS_COUNT
};

#define LD_ERR_MSG_MAX 1024

struct ld_err {
	enum ld_status code;
	char msg[LD_ERR_MSG_MAX];
};

/* Short generic text for a status; never NULL. */
const char *ld_status_str(enum ld_status st);

/* Resets an error buffer to "ok". Accepts NULL. */
void ld_err_clear(struct ld_err *err);

/*
 * Records a failure and returns st, so callers can write
 * `return ld_err_set(err, LD_EINVAL, "%s:%d: ...", ...);`.  err may be NULL.
 */
enum ld_status ld_err_set(struct ld_err *err, enum ld_status st,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Prefixes an existing message with more context ("loading model: " + msg),
 * keeping its status.  Returns err->code.
 */
enum ld_status ld_err_prefix(struct ld_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
