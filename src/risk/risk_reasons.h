/*
 * Reason codes: the features that raised an applicant's risk most, as
 * codes with Chinese and English text an officer can read out (PIPL art. 24
 * gives the applicant a right to an explanation).
 *
 * The table (etc/reason_codes.tsv) is UTF-8 text, one entry per line, five
 * fields separated by single tabs:
 *
 *   feature  when  code  text_zh  text_en
 *
 *   feature  a catalogue feature name, or "*" for the fallback entry used
 *            for features with no entry of their own (exactly one "*"
 *            line, with when "any", is required)
 *   when     "missing" (the value was missing), "present" (it was not) or
 *            "any"; the most specific entry wins
 *   code     [A-Z][A-Z0-9_]{1,31}, as decision_reasons.code
 *   text_zh, text_en  non-empty, no control characters
 *
 * Blank lines and lines starting with '#' are ignored.  Errors name
 * file:line:column (columns count characters).  Several features may share
 * a code (is_emulator and is_rooted both say "device tampered").
 */
#ifndef LD_RISK_REASONS_H
#define LD_RISK_REASONS_H

#include <stddef.h>

#include "ld_err.h"

#define RISK_REASONS_TABLE_MAX_BYTES (256 * 1024)
/* Four, as US Reg B practice; more is not likely to help
 * (docs/risk-maths.md, "Reason codes"). */
#define RISK_REASONS_DEFAULT 4

struct risk_reason_table;

/*
 * Parses text (len bytes); fname is used in messages.  On success *out is
 * a new table the caller frees with risk_reason_table_free(); on failure
 * *out is NULL and err says "fname:line:col: what".
 */
enum ld_status risk_reason_table_parse(const char *text, size_t len,
    const char *fname, struct risk_reason_table **out, struct ld_err *err);

/* Reads and parses a file as above. */
enum ld_status risk_reason_table_load(const char *path,
    struct risk_reason_table **out, struct ld_err *err);

/* Frees a table; NULL is a no-op. */
void risk_reason_table_free(struct risk_reason_table *t);

/* One reason; the strings are borrowed from the table and names[]. */
struct risk_reason {
	const char *code;
	const char *feature;
	const char *text_zh;
	const char *text_en;
	double phi;   /* the contribution that ranked it */
	double value; /* the feature's value, NAN = missing */
};

/*
 * The entry for feature with the given value (NAN = missing): the
 * feature's "missing"/"present" entry, else its "any" entry, else the
 * fallback.  Never NULL for a table that parsed.
 */
void risk_reason_lookup(const struct risk_reason_table *t,
    const char *feature, double value, struct risk_reason *out);

/*
 * Picks up to max reasons into out[] and returns how many.  Candidates are
 * the features i < n with phi[i] > 0 (positive = raised the risk: TreeSHAP
 * in log-odds, or a scorecard's b_j * WOE_j), taken
 * in order of phi descending, ties to the lower index.  A code already
 * chosen is not repeated, so max distinct codes come out when there are
 * enough candidates.  values may be NULL (then only "any" entries and the
 * fallback apply).  A bias column after the n features is not read.
 */
size_t risk_reasons_pick(const struct risk_reason_table *t,
    const char *const *names, const double *values, const double *phi,
    size_t n, size_t max, struct risk_reason *out);

#endif
