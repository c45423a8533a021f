/*
 * The statement builder (db/ld_sql.h): values become numbered parameters
 * however the pieces are put together, names come only from their
 * whitelist, and anything that would change the statement's meaning (a
 * '$' naming no value, a value named by no '$', too many parameters, a
 * name outside its list) refuses the whole statement, which then never
 * reaches the server.  Expected texts are written out by hand here.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_query.h"
#include "ld_db.h"
#include "ld_sql.h"
#include "ld_test.h"

static void
test_values_are_numbered_in_order(void)
{
	struct ld_sql q;
	struct ld_err err;

	ld_sql_init(&q, "SELECT id FROM audit_log WHERE true");
	LD_SQL_ADD(&q, " AND actor = $1", "li_na");
	LD_SQL_ADD(&q, " AND (object_type = $1 OR object_id = $2)",
	    "application", "42");
	ld_sql_add_i64(&q, " AND id < $1::bigint", -9000000000LL);
	ld_sql_add(&q, " ORDER BY id DESC");
	ld_sql_limit(&q, 201);
	CU_ASSERT_EQUAL(ld_sql_check(&q, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(ld_sql_text(&q),
	    "SELECT id FROM audit_log WHERE true AND actor = $1 AND "
	    "(object_type = $2 OR object_id = $3) AND id < $4::bigint "
	    "ORDER BY id DESC LIMIT $5");
	CU_ASSERT_EQUAL_FATAL(ld_sql_nparams(&q), 5);
	CU_ASSERT_STRING_EQUAL(ld_sql_params(&q)[0], "li_na");
	CU_ASSERT_STRING_EQUAL(ld_sql_params(&q)[1], "application");
	CU_ASSERT_STRING_EQUAL(ld_sql_params(&q)[2], "42");
	CU_ASSERT_STRING_EQUAL(ld_sql_params(&q)[3], "-9000000000");
	CU_ASSERT_STRING_EQUAL(ld_sql_params(&q)[4], "201");
	ld_sql_free(&q);
}

/* One value named several times is one parameter; NULL stays NULL. */
static void
test_repeated_and_null_values(void)
{
	struct ld_sql q;
	struct ld_err err;
	char typed[8];

	ld_sql_init(&q, "SELECT 1 WHERE $1::int = 1");
	CU_ASSERT_EQUAL(ld_sql_check(&q, &err), LD_EINTERNAL);
	ld_sql_free(&q);

	ld_sql_init(&q, "SELECT 1 WHERE true");
	LD_SQL_ADD(&q, " AND $1::text IS NULL", NULL);
	/* The value is copied: the caller's buffer may change after. */
	snprintf(typed, sizeof typed, "loan");
	LD_SQL_ADD(&q, " AND (a LIKE $1 OR b LIKE $1 OR c = $1)", typed);
	snprintf(typed, sizeof typed, "XXXX");
	CU_ASSERT_EQUAL(ld_sql_check(&q, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(ld_sql_text(&q), "SELECT 1 WHERE true AND "
	    "$1::text IS NULL AND (a LIKE $2 OR b LIKE $2 OR c = $2)");
	CU_ASSERT_EQUAL_FATAL(ld_sql_nparams(&q), 2);
	CU_ASSERT_PTR_NULL(ld_sql_params(&q)[0]);
	CU_ASSERT_STRING_EQUAL(ld_sql_params(&q)[1], "loan");
	ld_sql_free(&q);
}

static const char *const columns[] = { "a.submitted_at", "a.amount_fen" };

static void
test_names_only_from_the_whitelist(void)
{
	struct ld_sql q;
	struct ld_err err;

	ld_sql_init(&q, "SELECT 1 FROM applications a ORDER BY ");
	ld_sql_pick(&q, columns, 2, 1);
	CU_ASSERT_EQUAL(ld_sql_check(&q, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(ld_sql_text(&q),
	    "SELECT 1 FROM applications a ORDER BY a.amount_fen");
	/* Out of the list: refused, and nothing after it is added. */
	ld_sql_add(&q, ", ");
	ld_sql_pick(&q, columns, 2, 2);
	LD_SQL_ADD(&q, " LIMIT $1", "5");
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(ld_sql_check(&q, &err), LD_EINTERNAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "name 2 is not one of the 2"));
	CU_ASSERT_EQUAL(ld_sql_nparams(&q), 0);
	ld_sql_free(&q);
}

/* Every way a fragment can disagree with its values is refused. */
static void
test_mismatched_fragments_refused(void)
{
	static const struct {
		const char *frag;
		int n;
		const char *want;
	} bad[] = {
		{ " AND a = $2", 1, "'$' at 9 names none of its 1 values" },
		{ " AND a = $0", 1, "names none" },
		{ " AND a = $10", 1, "names none" },
		{ " AND a = $1 AND b = $", 1, "names none" },
		{ " AND a = 'x$'", 0, "names none" },
		{ " AND a = $1", 2, "a value no '$' names" },
		{ " AND a = 1", 1, "a value no '$' names" },
		{ " AND a = $1", 10, "10 values" },
	};
	const char *values[10] = { "1", "2", "3", "4", "5", "6", "7", "8",
		"9", "10" };
	struct ld_sql q;
	struct ld_err err;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ld_sql_init(&q, "SELECT 1 WHERE true");
		ld_sql_addv(&q, bad[i].frag, bad[i].n, values);
		ld_err_clear(&err);
		CU_ASSERT_EQUAL(ld_sql_check(&q, &err), LD_EINTERNAL);
		if (strstr(err.msg, bad[i].want) == NULL)
			fprintf(stderr, "%s: %s\n", bad[i].frag, err.msg);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bad[i].want));
		/* Nothing of a refused fragment is kept. */
		CU_ASSERT_STRING_EQUAL(ld_sql_text(&q), "SELECT 1 WHERE true");
		CU_ASSERT_EQUAL(ld_sql_nparams(&q), 0);
		ld_sql_free(&q);
	}
}

static void
test_too_many_parameters_refused(void)
{
	struct ld_sql q;
	struct ld_err err;
	int i;

	ld_sql_init(&q, "SELECT 1 WHERE true");
	for (i = 0; i < LD_SQL_MAX_PARAMS; i++)
		ld_sql_add_i64(&q, " AND $1::int > 0", i + 1);
	CU_ASSERT_EQUAL(ld_sql_check(&q, &err), LD_OK);
	CU_ASSERT_EQUAL(ld_sql_nparams(&q), LD_SQL_MAX_PARAMS);
	CU_ASSERT_PTR_NOT_NULL(strstr(ld_sql_text(&q), " AND $32::int > 0"));
	ld_sql_add_i64(&q, " AND $1::int > 0", 33);
	CU_ASSERT_EQUAL(ld_sql_check(&q, &err), LD_EINTERNAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "more than 32 parameters"));
	ld_sql_free(&q);
}

/* Text is never cut short, however long the statement grows. */
static void
test_long_statement_kept_whole(void)
{
	struct ld_sql q;
	struct ld_err err;
	size_t i, want;
	char big[5000];

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ld_sql_init(&q, "SELECT 1");
	want = strlen("SELECT 1");
	for (i = 0; i < 100; i++) {
		ld_sql_add(&q, " -- ");
		ld_sql_add(&q, big);
		ld_sql_add(&q, "\n");
		want += 4 + strlen(big) + 1;
	}
	LD_SQL_ADD(&q, " WHERE $1 = $1", big);
	want += strlen(" WHERE $1 = $1");
	CU_ASSERT_EQUAL(ld_sql_check(&q, &err), LD_OK);
	CU_ASSERT_EQUAL(strlen(ld_sql_text(&q)), want);
	CU_ASSERT_EQUAL(strlen(ld_sql_params(&q)[0]), strlen(big));
	ld_sql_free(&q);
}

/* A refused statement fails before the connection is looked at. */
static void
test_refused_statement_never_runs(void)
{
	struct ld_sql q;
	struct ld_err err;
	struct ld_db db;
	PGresult *res = (PGresult *)&db;

	memset(&db, 0, sizeof db);
	ld_sql_init(&q, "SELECT $1");
	CU_ASSERT_EQUAL(ld_db_exec_sql(&db, &q, &res, &err), LD_EINTERNAL);
	CU_ASSERT_PTR_NULL(res);
	ld_sql_free(&q);
	/* The same statement made right reaches the (absent) connection. */
	ld_sql_init(&q, "SELECT 1");
	CU_ASSERT_EQUAL(ld_db_exec_sql(&db, &q, &res, &err), LD_ENET);
	ld_sql_free(&q);
}

/* A LIKE pattern that would not fit its buffer is refused, not cut. */
static void
test_like_text_not_cut(void)
{
	char out[CORE_LIKE_MAX(4)];

	CU_ASSERT_EQUAL(core_like_text(" %_\\x ", out, sizeof out), 7);
	CU_ASSERT_STRING_EQUAL(out, "\\%\\_\\\\x");
	CU_ASSERT_EQUAL(core_like_text("%%%%%", out, sizeof out), (size_t)-1);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(core_like_text("   ", out, sizeof out), 0);
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
		LD_TEST(test_values_are_numbered_in_order),
		LD_TEST(test_repeated_and_null_values),
		LD_TEST(test_names_only_from_the_whitelist),
		LD_TEST(test_mismatched_fragments_refused),
		LD_TEST(test_too_many_parameters_refused),
		LD_TEST(test_long_statement_kept_whole),
		LD_TEST(test_refused_statement_never_runs),
		LD_TEST(test_like_text_not_cut),
		LD_TEST_END
	};

	LD_TEST_INIT();
	ld_test_suite("statement builder", NULL, NULL, cases);
	return ld_test_run();
}
