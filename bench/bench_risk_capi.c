/*
 * The libxgboost C API on the rows bench_risk_xgb.py wrote, one thread:
 *	bench_risk_capi MODEL.json ROWS.f64 NCONTRIB
 * prints "key value" lines, timed with the thread's CPU clock as
 * bench_risk_model does:
 *	capi_single_predict_us	 one row per XGBoosterPredictFromDense call,
 *				 median of 2000 calls (the array interface
 *				 text is made beforehand: only the call counts)
 *	capi_predict_rows_per_s	 every row in one XGBoosterPredictFromDense
 *				 call, best of 3
 *	capi_dmatrix_rows_per_s	 XGBoosterPredictFromDMatrix on a DMatrix
 *				 made beforehand (a fresh one each time, since
 *				 predictions are cached per DMatrix), best of 3
 *	capi_contribs_rows_per_s pred_contribs through PredictFromDMatrix
 *				 (type 2) on NCONTRIB rows
 * libxgboost is opened with dlopen (Debian ships python3-xgboost's library
 * without a header): $XGBOOST_LIB, else python3-xgboost's copy.  Exit
 * status 77 when it cannot be opened.
 */
#include "config.h"

#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ld_alloc.h"
#include "ld_buf.h"

#define NSINGLE 2000
#define DEFAULT_LIB \
	"/usr/lib/python3/dist-packages/xgboost/lib/libxgboost.so"

/* From xgboost/c_api.h (1.7), which Debian does not install. */
typedef uint64_t bst_ulong;
typedef void *BoosterHandle;
typedef void *DMatrixHandle;

static struct {
	const char *(*GetLastError)(void);
	int (*BoosterCreate)(const DMatrixHandle *, bst_ulong,
	    BoosterHandle *);
	int (*BoosterLoadModel)(BoosterHandle, const char *);
	int (*BoosterSetParam)(BoosterHandle, const char *, const char *);
	int (*BoosterGetNumFeature)(BoosterHandle, bst_ulong *);
	int (*BoosterPredictFromDense)(BoosterHandle, const char *,
	    const char *, DMatrixHandle, const bst_ulong **, bst_ulong *,
	    const float **);
	int (*BoosterPredictFromDMatrix)(BoosterHandle, DMatrixHandle,
	    const char *, const bst_ulong **, bst_ulong *, const float **);
	int (*DMatrixCreateFromMat)(const float *, bst_ulong, bst_ulong,
	    float, DMatrixHandle *);
	int (*DMatrixFree)(DMatrixHandle);
	int (*BoosterFree)(BoosterHandle);
} X;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
check(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "bench_risk_capi: %s: %s\n", what,
		    X.GetLastError());
		exit(1);
	}
}

static void *
sym(void *lib, const char *name)
{
	void *p = dlsym(lib, name);

	if (p == NULL) {
		fprintf(stderr, "bench_risk_capi: %s: %s\n", name, dlerror());
		exit(77);
	}
	return p;
}

/* __array_interface__ text of n rows of F doubles at p. */
static char *
interface(const double *p, size_t n, size_t F)
{
	return ld_asprintf("{\"data\": [%lu, true], \"shape\": [%zu, %zu], "
	    "\"typestr\": \"<f8\", \"version\": 3}",
	    (unsigned long)(uintptr_t)p, n, F);
}

static volatile float sink;

int
main(int argc, char **argv)
{
	static const char pconf[] = "{\"type\": 0, \"training\": false, "
	    "\"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": "
	    "false, \"cache_id\": 0, \"missing\": NaN}";
	static const char dconf[] = "{\"type\": %d, \"training\": false, "
	    "\"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": "
	    "false}";
	const char *path = getenv("XGBOOST_LIB");
	const bst_ulong *shape;
	const float *out;
	bst_ulong dim, nf;
	BoosterHandle bst;
	DMatrixHandle dm;
	struct ld_buf b;
	struct ld_err err;
	double *rows, *lat, t, best;
	float *frows;
	char **ifs, *all, conf[256];
	size_t F, n, ncontrib, i, rep;
	void *lib;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_risk_capi MODEL ROWS.f64 "
		    "NCONTRIB\n");
		return 2;
	}
	if (path == NULL || path[0] == '\0')
		path = DEFAULT_LIB;
	if ((lib = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "bench_risk_capi: %s\n", dlerror());
		return 77;
	}
	/* memcpy: ISO C has no cast from void * to a function pointer. */
#define LOAD(field, name) do {						\
	void *p_ = sym(lib, name);					\
	memcpy(&X.field, &p_, sizeof p_);				\
} while (0)
	LOAD(GetLastError, "XGBGetLastError");
	LOAD(BoosterCreate, "XGBoosterCreate");
	LOAD(BoosterLoadModel, "XGBoosterLoadModel");
	LOAD(BoosterSetParam, "XGBoosterSetParam");
	LOAD(BoosterGetNumFeature, "XGBoosterGetNumFeature");
	LOAD(BoosterPredictFromDense, "XGBoosterPredictFromDense");
	LOAD(BoosterPredictFromDMatrix, "XGBoosterPredictFromDMatrix");
	LOAD(DMatrixCreateFromMat, "XGDMatrixCreateFromMat");
	LOAD(DMatrixFree, "XGDMatrixFree");
	LOAD(BoosterFree, "XGBoosterFree");
#undef LOAD

	check(X.BoosterCreate(NULL, 0, &bst), "XGBoosterCreate");
	check(X.BoosterLoadModel(bst, argv[1]), "XGBoosterLoadModel");
	check(X.BoosterSetParam(bst, "nthread", "1"), "nthread");
	check(X.BoosterGetNumFeature(bst, &nf), "XGBoosterGetNumFeature");
	F = (size_t)nf;
	ld_buf_init(&b, 0);
	ld_err_clear(&err);
	if (ld_buf_read_file(&b, argv[2], &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	n = b.len / (F * sizeof(double));
	rows = ld_malloc(n * F * sizeof *rows);
	memcpy(rows, b.data, n * F * sizeof *rows);
	ld_buf_free(&b);
	ncontrib = strtoul(argv[3], NULL, 10);
	if (ncontrib > n)
		ncontrib = n;
	frows = ld_malloc(n * F * sizeof *frows);
	for (i = 0; i < n * F; i++)
		frows[i] = (float)rows[i];

	/* One row per call. */
	ifs = ld_calloc(NSINGLE, sizeof *ifs);
	lat = ld_calloc(NSINGLE, sizeof *lat);
	for (i = 0; i < NSINGLE && i < n; i++)
		ifs[i] = interface(rows + i * F, 1, F);
	/* A first call outside the timing: lazy set-up inside xgboost. */
	check(X.BoosterPredictFromDense(bst, ifs[0], pconf, NULL, &shape,
	    &dim, &out), "XGBoosterPredictFromDense");
	for (i = 0; i < NSINGLE && i < n; i++) {
		t = now();
		check(X.BoosterPredictFromDense(bst, ifs[i], pconf, NULL,
		    &shape, &dim, &out), "XGBoosterPredictFromDense");
		lat[i] = now() - t;
		sink = out[0];
	}
	qsort(lat, i, sizeof *lat, cmp_double);
	printf("capi_single_predict_us %.6g\n", lat[i / 2] * 1e6);

	/* Every row in one call. */
	all = interface(rows, n, F);
	best = 1e30;
	for (rep = 0; rep < 3; rep++) {
		t = now();
		check(X.BoosterPredictFromDense(bst, all, pconf, NULL, &shape,
		    &dim, &out), "XGBoosterPredictFromDense");
		t = now() - t;
		sink = out[n - 1];
		best = t < best ? t : best;
	}
	printf("capi_predict_rows_per_s %.6g\n", n / best);

	best = 1e30;
	snprintf(conf, sizeof conf, dconf, 0);
	for (rep = 0; rep < 3; rep++) {
		check(X.DMatrixCreateFromMat(frows, n, F, NAN,
		    &dm), "XGDMatrixCreateFromMat");
		t = now();
		check(X.BoosterPredictFromDMatrix(bst, dm, conf, &shape, &dim,
		    &out), "XGBoosterPredictFromDMatrix");
		t = now() - t;
		sink = out[n - 1];
		check(X.DMatrixFree(dm), "XGDMatrixFree");
		best = t < best ? t : best;
	}
	printf("capi_dmatrix_rows_per_s %.6g\n", n / best);

	snprintf(conf, sizeof conf, dconf, 2);
	check(X.DMatrixCreateFromMat(frows, ncontrib, F, NAN,
	    &dm), "XGDMatrixCreateFromMat");
	t = now();
	check(X.BoosterPredictFromDMatrix(bst, dm, conf, &shape, &dim, &out),
	    "XGBoosterPredictFromDMatrix (contribs)");
	t = now() - t;
	sink = out[0];
	check(X.DMatrixFree(dm), "XGDMatrixFree");
	printf("capi_contribs_rows_per_s %.6g\n", ncontrib / t);

	for (i = 0; i < NSINGLE && i < n; i++)
		free(ifs[i]);
	free(ifs);
	free(all);
	free(lat);
	free(rows);
	free(frows);
	check(X.BoosterFree(bst), "XGBoosterFree");
	return 0;
}
