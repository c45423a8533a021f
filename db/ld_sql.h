/*
 * Statement text built from pieces, for the read models whose filters and
 * orderings vary: the one way loandesk composes SQL.
 *
 * Values are always parameters: a fragment names the values passed with
 * it as $1..$9, and the builder numbers them after those already added,
 * so pieces compose in any order.  Names that cannot be parameters
 * (columns, directions) come only from a whitelist the caller owns
 * (ld_sql_pick).  Nothing is ever cut short: the text grows as needed, and
 * a mistake (a '$' that names no value, a value no '$' names, too many
 * parameters, a name outside its whitelist) makes the statement refuse
 * to run, with what was wrong, instead of running something else.
 *
 *	struct ld_sql q;
 *
 *	ld_sql_init(&q, "SELECT id FROM audit_log WHERE true");
 *	if (actor[0] != '\0')
 *		LD_SQL_ADD(&q, " AND actor = $1", actor);
 *	ld_sql_add(&q, " ORDER BY id DESC");
 *	ld_sql_limit(&q, 200);
 *	st = ld_db_exec_sql(db, &q, &res, err);
 *	ld_sql_free(&q);
 */
#ifndef LD_SQL_H
#define LD_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "ld_buf.h"
#include "ld_err.h"

#define LD_SQL_MAX_PARAMS 32

struct ld_sql {
	struct ld_buf text;
	char *values[LD_SQL_MAX_PARAMS];       /* owned; NULL is SQL NULL */
	const char *params[LD_SQL_MAX_PARAMS]; /* values, as libpq takes them */
	int n;
	enum ld_status st;                     /* the first mistake */
	char why[256];
};

/* Starts a statement with text, which holds no values. */
void ld_sql_init(struct ld_sql *q, const char *text);
void ld_sql_free(struct ld_sql *q);

/* Appends text that holds no values. */
void ld_sql_add(struct ld_sql *q, const char *text);

/*
 * Appends frag, in which $1..$n are values[0..n) (each may appear more
 * than once; NULL is SQL NULL).  The values are copied.
 */
void ld_sql_addv(struct ld_sql *q, const char *frag, int n,
    const char *const *values);

/* ld_sql_addv with the values listed: LD_SQL_ADD(&q, " AND a = $1", v). */
#define LD_SQL_ADD(q, frag, ...)                                            \
	ld_sql_addv((q), (frag),                                            \
	    (int)(sizeof((const char *const[]){ __VA_ARGS__ }) /            \
	    sizeof(const char *)), (const char *const[]){ __VA_ARGS__ })

/* Appends frag with one integer value as $1. */
void ld_sql_add_i64(struct ld_sql *q, const char *frag, int64_t v);

/*
 * Appends names[i] of the whitelist names[0..n): the only way a column,
 * a direction or another name that cannot be a parameter gets in.
 */
void ld_sql_pick(struct ld_sql *q, const char *const *names, size_t n,
    size_t i);

/* " LIMIT $k", the limit a parameter like any other value. */
void ld_sql_limit(struct ld_sql *q, size_t limit);

/* LD_OK, or the first mistake (LD_EINTERNAL, naming it). */
enum ld_status ld_sql_check(const struct ld_sql *q, struct ld_err *err);

const char *ld_sql_text(const struct ld_sql *q);
int ld_sql_nparams(const struct ld_sql *q);
const char *const *ld_sql_params(const struct ld_sql *q);

#endif
