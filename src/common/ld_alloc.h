/*
 * Allocation that aborts on exhaustion.  A back-office process that cannot
 * get a few kilobytes has nothing useful left to do, and checking every
 * allocation would bury the real error paths.
 */
#ifndef LD_ALLOC_H
#define LD_ALLOC_H

#include <stddef.h>

void *ld_malloc(size_t n);
void *ld_calloc(size_t nmemb, size_t size);
void *ld_realloc(void *p, size_t n);
void *ld_reallocarray(void *p, size_t nmemb, size_t size);
char *ld_strdup(const char *s);
char *ld_strndup(const char *s, size_t n);
/* Formats into a new string the caller frees. */
char *ld_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Ends the process as the allocators do, for a library allocation that
 * failed (an OpenSSL context): out of memory is not reported as a status.
 */
void ld_out_of_memory(const char *what) __attribute__((noreturn));
/* Frees *pp and sets it to NULL. */
void ld_freep(void *pp);

#endif
