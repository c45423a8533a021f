/*
 * A growable byte buffer with a hard size limit, for anything read from the
 * network or a file: exceeding the limit is an error, not a bigger malloc.
 * The buffer is always NUL-terminated so text can be used in place.
 */
#ifndef LD_BUF_H
#define LD_BUF_H

#include <stddef.h>

#include "ld_err.h"

struct ld_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0 means unlimited */
};

void ld_buf_init(struct ld_buf *b, size_t max);
void ld_buf_free(struct ld_buf *b);
void ld_buf_reset(struct ld_buf *b);
/* Appends n bytes; LD_EINVAL when the result would exceed b->max. */
enum ld_status ld_buf_append(struct ld_buf *b, const void *p, size_t n);
enum ld_status ld_buf_puts(struct ld_buf *b, const char *s);
enum ld_status ld_buf_printf(struct ld_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the storage to the caller (who frees it) and resets b. */
char *ld_buf_steal(struct ld_buf *b, size_t *len);

/* Reads a whole file into b; err names the path on failure. */
enum ld_status ld_buf_read_file(struct ld_buf *b, const char *path,
    struct ld_err *err);

#endif
