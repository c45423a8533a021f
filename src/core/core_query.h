/*
 * What the read models share: reading a result's cells, and turning what
 * an operator typed into a LIKE pattern.  Statements run through db/
 * (ld_db_exec on the primary, core_session_read for lists); nothing here
 * talks to the server.
 */
#ifndef LD_CORE_QUERY_H
#define LD_CORE_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/*
 * What an operator typed, as a LIKE pattern matching it literally: blanks
 * around it dropped, % _ and \ escaped.  out needs room for twice the
 * typed text and its terminator (CORE_LIKE_MAX).  Returns the pattern's
 * length, 0 when nothing but blanks was typed, and (size_t)-1 with out
 * "" when the pattern would not fit: it is never cut short.
 */
#define CORE_LIKE_MAX(typed_size) (2 * (typed_size) + 1)
size_t core_like_text(const char *typed, char *out, size_t len);

/* Helpers reading a result cell: "" for NULL; 0 for NULL or junk. */
const char *core_val(const PGresult *res, int row, int col);
int64_t core_val_i64(const PGresult *res, int row, int col);
int core_val_null(const PGresult *res, int row, int col);

#endif
