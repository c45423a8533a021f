/* loandesk seed: synthetic applicants and applications for demos and tests */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "core_seed.h"
#include "ld_db.h"
#include "ld_pii.h"

struct seed_progress {
	int tty;
	double started;
	long last_line;
};

static double
now_seconds(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* A bar on a terminal; a line per tenth otherwise, so logs stay short. */
static void
seed_progress(void *arg, long done, long total)
{
	struct seed_progress *sp = arg;
	double el = now_seconds() - sp->started;
	double rate = el > 0 ? (double)done / el : 0;
	int width = 40, fill, i;

	if (total <= 0)
		return;
	if (sp->tty) {
		fill = (int)((double)done / (double)total * width);
		fputs("\r[", stderr);
		for (i = 0; i < width; i++)
			fputc(i < fill ? '#' : '.', stderr);
		fprintf(stderr, "] %ld/%ld %.0f/s", done, total, rate);
		if (done == total)
			fputc('\n', stderr);
		fflush(stderr);
		return;
	}
	if (done == total || done - sp->last_line >= total / 10) {
		fprintf(stderr, "seed: %ld/%ld applications (%.0f/s)\n", done,
		    total, rate);
		sp->last_line = done;
	}
}

static int
parse_long(const char *what, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		cli_error("seed: %s must be an integer from %ld to %ld, not "
		    "\"%s\"", what, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int
load_keys(struct cli_ctx *ctx, struct ld_pii_key *pii, struct ld_pii_key *bidx)
{
	struct ld_err err;

	if (ctx->cfg.security.pii_key_file == NULL ||
	    ctx->cfg.security.blind_index_key_file == NULL) {
		cli_error("seed: personal data must be sealed, but the "
		    "configuration (%s) has no [security] pii_key_file and "
		    "blind_index_key_file", ctx->cfg.path ? ctx->cfg.path :
		    "defaults, no file");
		return -1;
	}
	ld_err_clear(&err);
	if (ld_pii_key_load(pii, ctx->cfg.security.pii_key_file, &err) !=
	    LD_OK ||
	    ld_pii_key_load(bidx, ctx->cfg.security.blind_index_key_file,
	    &err) != LD_OK) {
		cli_error("seed: %s", err.msg);
		ld_pii_key_wipe(pii);
		return -1;
	}
	/*
	 * The blind-index key goes wherever searching happens; were it the
	 * sealing key too, every holder could decrypt, and one leak would
	 * give away both.
	 */
	if (CRYPTO_memcmp(pii->key, bidx->key, LD_PII_KEY_LEN) == 0) {
		cli_error("seed: [security] pii_key_file (%s) and "
		    "blind_index_key_file (%s) hold the same key; the blind "
		    "index needs a key of its own",
		    ctx->cfg.security.pii_key_file,
		    ctx->cfg.security.blind_index_key_file);
		ld_pii_key_wipe(pii);
		ld_pii_key_wipe(bidx);
		return -1;
	}
	return 0;
}

int
cli_seed(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "batch", required_argument, NULL, 'b' },
		{ "training-csv", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct core_seed_opts o;
	struct core_seed_stats stats;
	struct seed_progress sp;
	struct ld_pii_key pii, bidx;
	struct ld_db db;
	struct ld_err err;
	const char *csv = NULL;
	long v;
	int c, rc = 1, have_count = 0;
	FILE *f;

	memset(&o, 0, sizeof o);
	o.seed = 1;
	o.batch_size = 2000;
	while ((c = getopt_long(argc, argv, "n:s:b:t:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_long("--count", optarg, 0, 100000000L, &v))
				return 2;
			o.count = v;
			have_count = 1;
			break;
		case 's':
			if (parse_long("--seed", optarg, 0, 0x7fffffffL, &v))
				return 2;
			o.seed = (uint64_t)v;
			break;
		case 'b':
			if (parse_long("--batch", optarg, 1, 100000, &v))
				return 2;
			o.batch_size = (int)v;
			break;
		case 't':
			csv = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind != argc || !have_count) {
		cli_error("usage: loandesk seed --count N [--seed S] "
		    "[--batch N] [--training-csv FILE]");
		return 2;
	}
	memset(&sp, 0, sizeof sp);
	sp.tty = isatty(STDERR_FILENO);
	sp.started = now_seconds();
	o.progress = seed_progress;
	o.progress_arg = &sp;
	ld_err_clear(&err);
	if (csv != NULL) {
		/* A training set needs no database and no keys. */
		f = strcmp(csv, "-") == 0 ? stdout : fopen(csv, "w");
		if (f == NULL) {
			cli_error("seed: %s: %s", csv, strerror(errno));
			return 1;
		}
		o.progress = NULL;
		if (core_seed_training_csv(f, &o, &err) != LD_OK)
			cli_error("%s: %s", csv, err.msg);
		else
			rc = 0;
		if (f != stdout && fclose(f) != 0 && rc == 0) {
			cli_error("seed: %s: %s", csv, strerror(errno));
			rc = 1;
		}
		return rc;
	}
	if (cli_config(ctx) != 0)
		return 1;
	if (load_keys(ctx, &pii, &bidx) != 0)
		return 1;
	if (ld_db_connect(&db, ctx->cfg.database.conninfo, "loandesk seed",
	    &err) != LD_OK) {
		cli_error("%s", err.msg);
		goto out;
	}
	if (core_seed_load(&db, &pii, &bidx, &o, &stats, &err) != LD_OK) {
		if (sp.tty)
			fputc('\n', stderr);
		cli_error("%s", err.msg);
	} else {
		printf("seeded %ld applications (%ld new applicants, %ld "
		    "alt_data rows, %ld in fraud rings) with seed %" PRIu64
		    " in %.1f s\n", stats.applications, stats.applicants,
		    stats.alt_rows, stats.ring_members, o.seed,
		    now_seconds() - sp.started);
		rc = 0;
	}
	ld_db_close(&db);
out:
	ld_pii_key_wipe(&pii);
	ld_pii_key_wipe(&bidx);
	return rc;
}
