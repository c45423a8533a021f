#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "ld_buf.h"

void
ld_buf_init(struct ld_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
ld_buf_free(struct ld_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
ld_buf_reset(struct ld_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static enum ld_status
reserve(struct ld_buf *b, size_t extra)
{
	size_t need, cap;

	if (extra > (size_t)-1 - b->len - 1)
		return LD_EINVAL;
	need = b->len + extra + 1;
	if (b->max != 0 && need - 1 > b->max)
		return LD_EINVAL;
	if (need <= b->cap)
		return LD_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->data = ld_realloc(b->data, cap);
	b->cap = cap;
	b->data[b->len] = '\0';
	return LD_OK;
}

enum ld_status
ld_buf_append(struct ld_buf *b, const void *p, size_t n)
{
	if (reserve(b, n) != LD_OK)
		return LD_EINVAL;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return LD_OK;
}

enum ld_status
ld_buf_puts(struct ld_buf *b, const char *s)
{
	return ld_buf_append(b, s, strlen(s));
}

enum ld_status
ld_buf_printf(struct ld_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(b, (size_t)n) != LD_OK) {
		va_end(ap2);
		return LD_EINVAL;
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	b->len += (size_t)n;
	return LD_OK;
}

char *
ld_buf_steal(struct ld_buf *b, size_t *len)
{
	char *p;

	if (b->data == NULL)
		reserve(b, 0);
	p = b->data;
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

enum ld_status
ld_buf_read_file(struct ld_buf *b, const char *path, struct ld_err *err)
{
	FILE *f;
	char chunk[8192];
	size_t n;
	enum ld_status st = LD_OK;

	f = fopen(path, "rb");
	if (f == NULL)
		return ld_err_set(err, errno == ENOENT ? LD_ENOTFOUND : LD_EIO,
		    "%s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (ld_buf_append(b, chunk, n) != LD_OK) {
			st = ld_err_set(err, LD_EINVAL,
			    "%s: larger than %zu bytes", path, b->max);
			break;
		}
	}
	if (st == LD_OK && ferror(f))
		st = ld_err_set(err, LD_EIO, "%s: read error", path);
	fclose(f);
	if (st == LD_OK && b->data == NULL)
		reserve(b, 0);
	return st;
}
