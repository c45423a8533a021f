/*
 * Shared by every CUnit test program: register suites, run them in basic
 * mode (which prints CUnit's summary), exit non-zero on any failure.
 */
#ifndef LD_TEST_H
#define LD_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

struct ld_test_case {
	const char *name;
	void (*fn)(void);
};

#define LD_TEST(fn) { #fn, fn }

/*
 * How long a test waits for a condition before it fails.  Long: it costs
 * time only when something is wrong, and a busy machine is slow, not
 * wrong.  A wait looks for what only the new state shows.
 */
#define LD_TEST_WAIT_MS 60000

/* Milliseconds on the monotonic clock, for deadlines of waits. */
static inline double
ld_test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
#define LD_TEST_END { NULL, NULL }

/* Adds a suite; returns 0 or exits on a registry failure. */
static inline int
ld_test_suite(const char *name, int (*init)(void), int (*clean)(void),
    const struct ld_test_case *cases)
{
	CU_pSuite s = CU_add_suite(name, init, clean);

	if (s == NULL) {
		fprintf(stderr, "CU_add_suite: %s\n", CU_get_error_msg());
		exit(2);
	}
	for (; cases->name != NULL; cases++)
		if (CU_add_test(s, cases->name, cases->fn) == NULL) {
			fprintf(stderr, "CU_add_test: %s\n",
			    CU_get_error_msg());
			exit(2);
		}
	return 0;
}

/* Runs everything registered; the process exit status. */
static inline int
ld_test_run(void)
{
	unsigned failed;

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() +
	    CU_get_number_of_suites_failed() + CU_get_number_of_tests_failed();
	if (CU_get_number_of_suites_failed() > 0)
		fprintf(stderr, "a suite failed to initialise\n");
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

#define LD_TEST_INIT()                                                  \
	do {                                                            \
		if (CU_initialize_registry() != CUE_SUCCESS) {          \
			fprintf(stderr, "CU_initialize_registry failed\n"); \
			return 2;                                       \
		}                                                       \
	} while (0)

#endif
