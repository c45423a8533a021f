/*
 * Decision latency of a listening loandeskd, one application at a time:
 *	worker_latency LABEL
 * For each row (applicant, src) of table bench_latency, in order of k:
 * submits an application of that applicant (product, amount and term of
 * application src; alt_data from the applicant's applicant_alt_data, with
 * the amount and term in the application payload), commits, and waits
 * for NOTIFY applications with its id and a status other than received.
 * The time runs from just before the COMMIT to that notification.
 * Prints "LABEL n median_ms p95_ms max_ms".  The database comes from the
 * PG* environment, as psql's; statements go through db/ like everyone's.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ld_db.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static PGresult *
run(struct ld_db *c, const char *sql, int n, const char *const *p)
{
	PGresult *r;
	struct ld_err err;

	if (ld_db_exec(c, sql, n, p, &r, &err) != LD_OK) {
		fprintf(stderr, "worker_latency: %s: %s\n", sql, err.msg);
		exit(1);
	}
	return r;
}

struct wanted {
	const char *id;
	int seen;
};

static void
notified(void *arg, const char *channel, const char *payload)
{
	struct wanted *w = arg;

	if (strcmp(channel, "applications") == 0 &&
	    strcmp(payload, w->id) == 0)
		w->seen = 1;
}

/* Waits until application id is decided; 0, or -1 after 30 s. */
static int
wait_decided(struct ld_db *c, const char *id)
{
	const char *p[1] = { id };
	double limit = now() + 30;
	struct pollfd pfd;
	struct wanted w;
	struct ld_err err;
	PGresult *r;
	int seen, n;

	w.id = id;
	for (;;) {
		w.seen = 0;
		if (ld_db_notifications(c, &n, notified, &w, &err) != LD_OK) {
			fprintf(stderr, "worker_latency: %s\n", err.msg);
			exit(1);
		}
		seen = w.seen;
		if (seen) {
			/* Its arrival says the same; only a decision counts. */
			r = run(c, "SELECT status <> 'received' FROM "
			    "applications WHERE id = $1::bigint", 1, p);
			seen = PQgetvalue(r, 0, 0)[0] == 't';
			PQclear(r);
			if (seen)
				return 0;
			/* The decision may have come in with that answer. */
			continue;
		}
		if (now() > limit)
			return -1;
		pfd.fd = ld_db_socket(c);
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, 1000);
	}
}

int
main(int argc, char **argv)
{
	struct ld_db c;
	struct ld_err err;
	PGresult *r, *rows;
	double *lat, t0;
	int i, n;

	if (argc != 2) {
		fprintf(stderr, "usage: worker_latency LABEL\n");
		return 2;
	}
	if (ld_db_connect(&c, "", "worker_latency", &err) != LD_OK) {
		fprintf(stderr, "worker_latency: %s\n", err.msg);
		return 1;
	}
	PQclear(run(&c, "LISTEN applications", 0, NULL));
	rows = run(&c, "SELECT applicant, src FROM bench_latency ORDER BY k",
	    0, NULL);
	n = PQntuples(rows);
	lat = calloc((size_t)n + 1, sizeof *lat);
	for (i = 0; i < n; i++) {
		const char *p[2] = { PQgetvalue(rows, i, 0),
		    PQgetvalue(rows, i, 1) };
		const char *q[1];
		char id[32];

		PQclear(run(&c, "BEGIN", 0, NULL));
		r = run(&c, "INSERT INTO applications (applicant_id, product,"
		    " amount_fen, term_months, rate_bps, repayment)"
		    " SELECT $1::bigint, product, amount_fen, term_months,"
		    " rate_bps, repayment FROM applications"
		    " WHERE id = $2::bigint RETURNING id", 2, p);
		snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		q[0] = id;
		PQclear(run(&c, "INSERT INTO alt_data (application_id, source,"
		    " payload) SELECT a.id, d.source, CASE WHEN d.source ="
		    " 'application' THEN d.payload || jsonb_build_object("
		    "'requested_amount_fen', a.amount_fen, 'term_months',"
		    " a.term_months) ELSE d.payload END FROM applications a"
		    " JOIN applicant_alt_data d ON d.applicant_id ="
		    " a.applicant_id WHERE a.id = $1::bigint", 1, q));
		PQclear(run(&c, "NOTIFY applications_received", 0, NULL));
		t0 = now();
		PQclear(run(&c, "COMMIT", 0, NULL));
		if (wait_decided(&c, id) != 0) {
			fprintf(stderr, "worker_latency: application %s not "
			    "decided within 30 s\n", id);
			return 1;
		}
		lat[i] = now() - t0;
	}
	PQclear(rows);
	qsort(lat, (size_t)n, sizeof *lat, cmp_double);
	if (n > 0)
		printf("%s %d %.3f %.3f %.3f\n", argv[1], n,
		    1e3 * lat[n / 2], 1e3 * lat[(n * 95) / 100 < n ?
		    (n * 95) / 100 : n - 1], 1e3 * lat[n - 1]);
	free(lat);
	ld_db_close(&c);
	return 0;
}
