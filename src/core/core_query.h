/*
 * Queries the console can abandon.  A read model runs its statement with
 * core_query_exec(), which sends it asynchronously and waits on the socket
 * in short slices, asking the caller's interrupt hook between slices; when
 * the hook says stop, the server is told to cancel (PQcancel) and the call
 * returns LD_ETIMEOUT with "cancelled".  Callers that set no hook get a
 * plain blocking query.
 */
#ifndef LD_CORE_QUERY_H
#define LD_CORE_QUERY_H

#include <stdint.h>

#include "ld_db.h"

/*
 * Installs the hook asked every slice_ms while a query runs, with the
 * milliseconds waited so far; it returns non-zero to cancel.  fn NULL
 * removes it.  One hook per process: the console has one operator and one
 * connection.
 */
void core_query_set_interrupt(int (*fn)(void *arg, double waited_ms),
    void *arg, int slice_ms);

/*
 * As ld_db_exec (same status mapping, db->sqlstate set), but cancellable.
 * A broken connection is LD_ENET with libpq's message.
 */
enum ld_status core_query_exec(struct ld_db *db, const char *sql,
    int nparams, const char *const *params, PGresult **res,
    struct ld_err *err);

/*
 * LISTENs on each of the n channels (names the caller controls, quoted
 * as identifiers).  Errors as core_query_exec, naming the channel.
 */
enum ld_status core_query_listen(struct ld_db *db,
    const char *const *channels, int n, struct ld_err *err);

/*
 * Reads what the server sent while the connection was idle and counts
 * the notifications in *n (consuming them).  LD_ENET when the connection
 * is gone.
 */
enum ld_status core_query_notifications(struct ld_db *db, int *n,
    struct ld_err *err);

/* Whether db holds a working connection. */
int core_query_connected(const struct ld_db *db);

/* Milliseconds on a monotonic clock, for timing logs. */
double core_now_ms(void);

/*
 * What an operator typed, as a LIKE pattern matching it literally: blanks
 * around it dropped, % _ and \ escaped.  Returns the pattern's length, 0
 * when nothing but blanks was typed.
 */
size_t core_like_text(const char *typed, char *out, size_t len);

/* Helpers reading a result cell: "" for NULL; 0 for NULL or junk. */
const char *core_val(const PGresult *res, int row, int col);
int64_t core_val_i64(const PGresult *res, int row, int col);
int core_val_null(const PGresult *res, int row, int col);

#endif
