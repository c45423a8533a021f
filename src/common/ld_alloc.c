#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"

/*
 * Out of memory is the one failure that does not come back as a status, as
 * with tmux's xmalloc and redis's zmalloc: handling it at every allocation
 * would double the error paths for a state the process cannot do useful
 * work in (on Linux it usually meets the OOM killer first).  Dying is
 * safe: every state change runs in a PostgreSQL transaction, which the
 * server rolls back when the connection drops.  It is also the one place
 * below main() that prints, because no caller is left to report it; abort()
 * rather than exit() keeps a core for the post-mortem.
 */
static void
oom(size_t n)
{
	fprintf(stderr, "loandesk: out of memory allocating %zu bytes\n", n);
	abort();
}

void
ld_out_of_memory(const char *what)
{
	fprintf(stderr, "loandesk: out of memory: %s\n", what);
	abort();
}

void *
ld_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
ld_calloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
ld_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

void *
ld_reallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		oom(SIZE_MAX);
	return ld_realloc(p, nmemb * size);
}

char *
ld_strdup(const char *s)
{
	return ld_strndup(s, strlen(s));
}

char *
ld_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = ld_malloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
ld_asprintf(const char *fmt, ...)
{
	va_list ap, ap2;
	int len;
	char *p;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	/* Only an invalid format or a result over INT_MAX: a bug. */
	if (len < 0) {
		va_end(ap2);
		fprintf(stderr, "loandesk: cannot format \"%s\"\n", fmt);
		abort();
	}
	p = ld_malloc((size_t)len + 1);
	vsnprintf(p, (size_t)len + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

void
ld_freep(void *pp)
{
	void **p = pp;

	free(*p);
	*p = NULL;
}
