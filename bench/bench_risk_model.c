/*
 * Times the model code on the rows bench_risk_xgb.py wrote, one thread:
 *	bench_risk_model MODEL.json ROWS.f64 NCONTRIB
 * prints "key value" lines: contribs (row at a time and batched), approx
 * and predict rows per second (best of 3) and the median single-row
 * latency of scoring and of contributions (2000 calls each, timed one by
 * one).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "risk_model.h"

#define NSINGLE	2000

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Keeps the compiler from dropping the work. */
static volatile double sink;

int
main(int argc, char **argv)
{
	struct risk_model	*m = NULL;
	struct ld_err		 err;
	struct ld_buf		 b;
	double			*rows, *phi, t, best, *lat, acc = 0;
	size_t			 F, n, ncontrib, i, rep;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_risk_model MODEL ROWS.f64 "
		    "NCONTRIB\n");
		return 2;
	}
	ld_err_clear(&err);
	t = now();
	if (risk_model_load_file(argv[1], &m, &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	printf("c_load_ms %.6g\n", (now() - t) * 1e3);
	F = risk_model_nfeatures(m);
	ld_buf_init(&b, 0);
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
	phi = ld_calloc(F + 1, sizeof *phi);

	best = 1e30;
	for (rep = 0; rep < 3; rep++) {
		t = now();
		for (i = 0; i < ncontrib; i++) {
			risk_model_contribs(m, rows + i * F, phi, &err);
			acc += phi[0];
		}
		t = now() - t;
		best = t < best ? t : best;
	}
	printf("c_contribs_rows_per_s %.6g\n", ncontrib / best);
	{
		double *bphi = ld_calloc(ncontrib * (F + 1), sizeof *bphi);

		best = 1e30;
		for (rep = 0; rep < 3; rep++) {
			t = now();
			risk_model_contribs_batch(m, rows, ncontrib, bphi,
			    &err);
			t = now() - t;
			best = t < best ? t : best;
		}
		/* The batch must agree with the row-at-a-time results. */
		for (i = 0; i < ncontrib; i++) {
			size_t j;

			risk_model_contribs(m, rows + i * F, phi, &err);
			for (j = 0; j <= F; j++)
				if (phi[j] != bphi[i * (F + 1) + j]) {
					fprintf(stderr, "batch row %zu "
					    "differs\n", i);
					return 1;
				}
		}
		free(bphi);
	}
	printf("c_contribs_batch_rows_per_s %.6g\n", ncontrib / best);
	best = 1e30;
	for (rep = 0; rep < 3; rep++) {
		t = now();
		for (i = 0; i < n; i++) {
			risk_model_approx_contribs(m, rows + i * F, phi,
			    &err);
			acc += phi[0];
		}
		t = now() - t;
		best = t < best ? t : best;
	}
	printf("c_approx_rows_per_s %.6g\n", n / best);
	best = 1e30;
	for (rep = 0; rep < 3; rep++) {
		t = now();
		for (i = 0; i < n; i++)
			acc += risk_model_probability(m, rows + i * F);
		t = now() - t;
		best = t < best ? t : best;
	}
	printf("c_predict_rows_per_s %.6g\n", n / best);

	lat = ld_calloc(NSINGLE, sizeof *lat);
	for (i = 0; i < NSINGLE && i < n; i++) {
		t = now();
		acc += risk_model_probability(m, rows + i * F);
		lat[i] = now() - t;
	}
	qsort(lat, i, sizeof *lat, cmp_double);
	printf("c_single_predict_us %.6g\n", lat[i / 2] * 1e6);
	for (i = 0; i < NSINGLE && i < n; i++) {
		t = now();
		risk_model_contribs(m, rows + i * F, phi, &err);
		lat[i] = now() - t;
		acc += phi[0];
	}
	qsort(lat, i, sizeof *lat, cmp_double);
	printf("c_single_contribs_us %.6g\n", lat[i / 2] * 1e6);
	sink = acc;
	free(lat);
	free(phi);
	free(rows);
	risk_model_free(m);
	return 0;
}
