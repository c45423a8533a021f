/*
 * loandesk model eval --model FILE --csv FILE
 *     [--contribs | --approx-contribs | --points] [--scale P,O,PDO]
 *
 * Scores every row of a CSV with a model file, without a database: how a
 * data scientist checks a model file against their own predictions before
 * it is registered.  The header names the columns; the model's features
 * are found by name (a missing one is an error, extra columns are
 * ignored); an empty cell (or "nan") is a missing value; anything else
 * that is not a finite decimal number is an error naming line and column.
 *
 * Output, one row per input row: the first input column when it is not a
 * model feature (an id), margin (log-odds of default), probability, then
 *	--contribs		phi_<feature>... phi_bias (TreeSHAP; Saabas
 *	--approx-contribs	with --approx-contribs), in log-odds, summing
 *				to the margin
 *	--points		score, points_<feature>... on the points scale
 *				(--scale, default 600,50,20), score = base +
 *				sum of the points; scorecards use their own
 *				integer points
 * Numbers are printed with %.17g, so they read back exactly.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "ld_alloc.h"
#include "risk_model.h"

/* One physical line at most this long; a record at most this many. */
#define EVAL_MAX_RECORD	(1024 * 1024)

enum eval_mode {
	EVAL_PLAIN,
	EVAL_CONTRIBS,
	EVAL_APPROX,
	EVAL_POINTS
};

struct eval_csv {
	FILE		*fp;
	const char	*path;
	size_t		 line;		/* of the record's first line */
	size_t		 next_line;
	char		*rec;		/* the record, fields split in place */
	size_t		 reccap;
	char		**fields;
	size_t		 nfields, capfields;
};

/*
 * Reads one record (RFC 4180: quotes, doubled quotes, newlines inside
 * quotes) and splits it into fields.  Returns 1, 0 at end of file, -1 on
 * an error already reported.  Reads byte by byte into a buffer that
 * doubles, so a hostile file costs at most EVAL_MAX_RECORD bytes of
 * memory and linear time, whatever its lines look like.
 */
static int
csv_next(struct eval_csv *c)
{
	char	*r, *w;
	size_t	 len = 0;
	int	 ch, inq = 0, any = 0;

	c->line = c->next_line;
	for (;;) {
		if ((ch = getc_unlocked(c->fp)) == EOF)
			break;
		any = 1;
		if (ch == '\n') {
			c->next_line++;
			if (!inq)
				break;
		} else if (ch == '"')
			inq = !inq;
		else if (ch == '\0') {
			cli_error("%s:%zu: a NUL byte (not a text file?)",
			    c->path, c->next_line);
			return -1;
		}
		if (len + 2 > c->reccap) {
			if (c->reccap >= EVAL_MAX_RECORD) {
				cli_error("%s:%zu: record longer than %d bytes",
				    c->path, c->line, EVAL_MAX_RECORD);
				return -1;
			}
			c->reccap = c->reccap ? 2 * c->reccap : 4096;
			if (c->reccap > EVAL_MAX_RECORD)
				c->reccap = EVAL_MAX_RECORD;
			c->rec = ld_realloc(c->rec, c->reccap);
		}
		c->rec[len++] = (char)ch;
	}
	if (ch == EOF) {
		if (ferror(c->fp)) {
			cli_error("%s: %s", c->path, strerror(errno));
			return -1;
		}
		if (inq) {
			cli_error("%s:%zu: unterminated quoted field",
			    c->path, c->line);
			return -1;
		}
		if (!any)
			return 0;
	}
	if (c->rec == NULL) {
		c->reccap = 4096;
		c->rec = ld_realloc(c->rec, c->reccap);
	}
	c->rec[len] = '\0';
	while (len > 0 && c->rec[len - 1] == '\r')
		c->rec[--len] = '\0';
	/* Split in place: unquoting only shrinks a field. */
	c->nfields = 0;
	r = w = c->rec;
	for (;;) {
		char *start = w;

		if (c->nfields == c->capfields) {
			c->capfields = c->capfields ? 2 * c->capfields : 32;
			c->fields = ld_reallocarray(c->fields, c->capfields,
			    sizeof *c->fields);
		}
		c->fields[c->nfields++] = start;
		if (*r == '"') {
			r++;
			for (;;) {
				if (*r == '\0')
					break;
				if (*r == '"' && r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else
					*w++ = *r++;
			}
			if (*r != ',' && *r != '\0') {
				cli_error("%s:%zu: column %zu: text after a "
				    "closing quote", c->path, c->line,
				    c->nfields);
				return -1;
			}
		} else
			while (*r != ',' && *r != '\0')
				*w++ = *r++;
		if (*r == '\0') {
			*w = '\0';
			break;
		}
		r++;
		*w++ = '\0';
		/* w may lag r; the next field starts at w. */
	}
	return 1;
}

struct eval_col {
	const char	*name;
	size_t		 col;
};

static int
eval_col_cmp(const void *a, const void *b)
{
	const struct eval_col	*x = a, *y = b;
	int			 c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->col < y->col ? -1 : x->col > y->col;
}

/*
 * col[i] = the header column of model feature i.  The header is sorted
 * once, so a wide file against a wide model costs n log n, not their
 * product.  0, or -1 (reported) when a feature has no column or two.
 */
static int
eval_columns(const struct risk_model *m, const struct eval_csv *c,
    size_t *col)
{
	struct eval_col	*h;
	size_t		 F = risk_model_nfeatures(m), i, lo, hi, mid;
	int		 rc = 0;

	h = ld_reallocarray(NULL, c->nfields, sizeof *h);
	for (i = 0; i < c->nfields; i++) {
		h[i].name = c->fields[i];
		h[i].col = i;
	}
	qsort(h, c->nfields, sizeof *h, eval_col_cmp);
	for (i = 0; i < F && rc == 0; i++) {
		const char *name = risk_model_feature_name(m, i);

		/* The first entry not below name. */
		lo = 0;
		hi = c->nfields;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (strcmp(h[mid].name, name) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == c->nfields || strcmp(h[lo].name, name) != 0) {
			cli_error("%s:%zu: no column for model feature \"%s\"",
			    c->path, c->line, name);
			rc = -1;
		} else if (lo + 1 < c->nfields &&
		    strcmp(h[lo + 1].name, name) == 0) {
			cli_error("%s:%zu: columns %zu and %zu are both model "
			    "feature \"%s\"", c->path, c->line, h[lo].col + 1,
			    h[lo + 1].col + 1, name);
			rc = -1;
		} else
			col[i] = h[lo].col;
	}
	free(h);
	return rc;
}

/* Parses a cell; NAN for missing.  0, or -1 if it is not a number. */
static int
cell_value(const char *s, double *out)
{
	char	*end;
	size_t	 n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || (n == 3 && strncasecmp(s, "nan", 3) == 0)) {
		*out = NAN;
		return 0;
	}
	/* Decimal only: strtod would also take hex, inf and nan(...). */
	if (strspn(s, "0123456789+-.eE") < n)
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	if (end != s + n || !isfinite(*out))
		return -1;
	return 0;
}

static void
print_text(const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

/* POINTS,ODDS,PDO, each 1..100000 (sscanf's %d overflows undefined). */
static int
parse_scale(const char *s, struct risk_scale *sc)
{
	int	*out[3];
	long	 v;
	char	*end;
	int	 i;

	out[0] = &sc->base_points;
	out[1] = &sc->base_odds;
	out[2] = &sc->pdo;
	for (i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno != 0 || v < 1 || v > 100000 ||
		    *end != (i < 2 ? ',' : '\0'))
			return -1;
		*out[i] = (int)v;
		s = end + 1;
	}
	return 0;
}

static int
eval_usage(void)
{
	fprintf(stderr, "usage: loandesk model eval --model FILE --csv FILE "
	    "[--contribs | --approx-contribs | --points] [--scale P,O,PDO]\n");
	return 2;
}

static int
eval_rows(struct risk_model *m, struct eval_csv *c, enum eval_mode mode,
    const struct risk_scale *sc)
{
	size_t		 F = risk_model_nfeatures(m), i, *col;
	double		*x, *out, score;
	int		 id_col, rc = 1, r;
	struct ld_err	 err;

	if ((r = csv_next(c)) <= 0) {
		if (r == 0)
			cli_error("%s: no header line", c->path);
		return 1;
	}
	/* A UTF-8 byte order mark is not part of the first name. */
	if (strncmp(c->fields[0], "\xef\xbb\xbf", 3) == 0)
		memmove(c->fields[0], c->fields[0] + 3,
		    strlen(c->fields[0] + 3) + 1);
	col = ld_calloc(F, sizeof *col);
	x = ld_calloc(F, sizeof *x);
	out = ld_calloc(F + 1, sizeof *out);
	if (eval_columns(m, c, col) != 0)
		goto out;
	id_col = risk_model_feature_index(m, c->fields[0]) == (size_t)-1;
	if (id_col) {
		print_text(c->fields[0]);
		putchar(',');
	}
	fputs("margin,probability", stdout);
	if (mode == EVAL_POINTS)
		fputs(",score", stdout);
	for (i = 0; i < F && mode != EVAL_PLAIN; i++) {
		fputs(mode == EVAL_POINTS ? ",points_" : ",phi_", stdout);
		print_text(risk_model_feature_name(m, i));
	}
	if (mode == EVAL_CONTRIBS || mode == EVAL_APPROX)
		fputs(",phi_bias", stdout);
	putchar('\n');

	while ((r = csv_next(c)) > 0) {
		if (c->nfields == 1 && c->fields[0][0] == '\0')
			continue;	/* a blank line */
		for (i = 0; i < F; i++) {
			if (col[i] >= c->nfields) {
				cli_error("%s:%zu: only %zu columns; feature "
				    "\"%s\" is column %zu", c->path, c->line,
				    c->nfields, risk_model_feature_name(m, i),
				    col[i] + 1);
				goto out;
			}
			if (cell_value(c->fields[col[i]], &x[i]) != 0) {
				cli_error("%s:%zu: column %zu (%s): \"%s\" is "
				    "not a number", c->path, c->line,
				    col[i] + 1, risk_model_feature_name(m, i),
				    c->fields[col[i]]);
				goto out;
			}
		}
		if (id_col) {
			print_text(c->fields[0]);
			putchar(',');
		}
		printf("%.17g,%.17g", risk_model_margin(m, x),
		    risk_model_probability(m, x));
		ld_err_clear(&err);
		switch (mode) {
		case EVAL_PLAIN:
			break;
		case EVAL_CONTRIBS:
		case EVAL_APPROX:
			if ((mode == EVAL_CONTRIBS ?
			    risk_model_contribs(m, x, out, &err) :
			    risk_model_approx_contribs(m, x, out,
			    &err)) != LD_OK) {
				cli_error("%s:%zu: %s", c->path, c->line,
				    err.msg);
				goto out;
			}
			for (i = 0; i <= F; i++)
				printf(",%.17g", out[i]);
			break;
		case EVAL_POINTS:
			if (risk_model_points(m, sc, x, &score, NULL, out,
			    &err) != LD_OK) {
				cli_error("%s:%zu: %s", c->path, c->line,
				    err.msg);
				goto out;
			}
			printf(",%.17g", score);
			for (i = 0; i < F; i++)
				printf(",%.17g", out[i]);
			break;
		}
		putchar('\n');
	}
	if (r == 0)
		rc = 0;
out:
	free(col);
	free(x);
	free(out);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("writing the output: %s", strerror(errno));
		rc = 1;
	}
	return rc;
}

int
cli_model_eval(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "csv", required_argument, NULL, 'f' },
		{ "contribs", no_argument, NULL, 'c' },
		{ "approx-contribs", no_argument, NULL, 'a' },
		{ "points", no_argument, NULL, 'p' },
		{ "scale", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char		*model_path = NULL, *csv_path = NULL;
	enum eval_mode		 mode = EVAL_PLAIN;
	struct risk_scale	 sc;
	struct risk_model	*m = NULL;
	struct eval_csv		 c;
	struct ld_err		 err;
	int			 ch, rc;

	(void)ctx;
	risk_scale_default(&sc);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			model_path = optarg;
			break;
		case 'f':
			csv_path = optarg;
			break;
		case 'c':
		case 'a':
		case 'p':
			if (mode != EVAL_PLAIN) {
				cli_error("model eval: --contribs, "
				    "--approx-contribs and --points exclude "
				    "each other");
				return eval_usage();
			}
			mode = ch == 'c' ? EVAL_CONTRIBS : ch == 'a' ?
			    EVAL_APPROX : EVAL_POINTS;
			break;
		case 's':
			if (parse_scale(optarg, &sc) != 0) {
				cli_error("model eval: --scale wants "
				    "POINTS,ODDS,PDO, e.g. 600,50,20");
				return eval_usage();
			}
			break;
		default:
			return eval_usage();
		}
	}
	if (optind != argc) {
		cli_error("model eval: unexpected argument \"%s\"",
		    argv[optind]);
		return eval_usage();
	}
	if (model_path == NULL || csv_path == NULL) {
		cli_error("model eval: --model and --csv are required");
		return eval_usage();
	}
	ld_err_clear(&err);
	if (risk_model_load_file(model_path, &m, &err) != LD_OK) {
		cli_error("%s", err.msg);
		return 1;
	}
	memset(&c, 0, sizeof c);
	c.path = csv_path;
	c.next_line = 1;
	if (strcmp(csv_path, "-") == 0)
		c.fp = stdin;
	else if ((c.fp = fopen(csv_path, "r")) == NULL) {
		cli_error("%s: %s", csv_path, strerror(errno));
		risk_model_free(m);
		return 1;
	}
	rc = eval_rows(m, &c, mode, &sc);
	if (c.fp != stdin)
		fclose(c.fp);
	free(c.rec);
	free(c.fields);
	risk_model_free(m);
	return rc;
}
