/*
 * Hard rules: checks that decide before, and regardless of, the model
 * (an applicant under 18 is refused whatever the score says).
 *
 * Syntax of a rules file (etc/rules.conf), UTF-8:
 *
 *   # a comment runs to the end of the line
 *   rule R001 v1 reject never "申请人未满18周岁 / under 18": age < 18
 *   rule R010 v2 review "同设备多人申请 / shared device":
 *       device_shared_applicants_24h >= 3
 *
 *   rule     := "rule" ID VERSION ACTION [LEVEL] TEXT ":" expr
 *   ID       := a capital letter then up to 31 of A-Z 0-9 _   (R001)
 *   VERSION  := "v" and a positive integer                     (v3)
 *   ACTION   := reject | review | flag
 *   LEVEL    := never | dual | officer
 *   TEXT     := "..." on one line; \" and \\ are the only escapes
 *   expr     := or ; or := and {"or" and} ; and := not {"and" not}
 *   not      := "not" not | cmp
 *   cmp      := sum [("<"|"<="|">"|">="|"=="|"!=") sum]
 *   sum      := prod {("+"|"-") prod} ; prod := unary {("*"|"/") unary}
 *   unary    := "-" unary | NUMBER | FEATURE | "missing(" FEATURE ")"
 *             | "true" | "false" | "(" expr ")"
 *
 * A rule runs from its "rule" keyword to the next one (or the end of the
 * file), so an expression may span lines.  FEATURE is a name from the
 * feature catalogue (risk_features.h); an unknown name is an error, since
 * a misspelt feature would otherwise make a rule that never fires.  Types
 * are checked: and/or/not take conditions, comparisons and arithmetic take
 * numbers, and the whole expression must be a condition.
 *
 * Missing values: arithmetic on a missing value (or a division by zero)
 * is missing, and ANY comparison with a missing side is false, "!="
 * included.  So "age < 18" does not fire when the age is unknown; a rule
 * that should catch that says "missing(age) or age < 18".
 *
 * LEVEL says who may approve an application the rule fired on (which,
 * for a reject rule, overrides it): never anyone (a legal bar: a minor, a
 * court-listed or blacklisted applicant), two different officers (dual:
 * the first asks, a second confirms), or one officer with a reason and a
 * note (officer).  api.application_decide enforces it from the level
 * stored with each hit (risk_explain.h).  A reject rule must say its
 * level: a forgotten one would otherwise be the softest.  A review rule is
 * officer unless it says dual (never would make it a reject rule); a flag
 * decides nothing and takes none.
 *
 * Every error names file:line:column of the offending token.
 */
#ifndef LD_RISK_RULES_H
#define LD_RISK_RULES_H

#include <stddef.h>

#include "ld_err.h"

enum risk_action {
	RISK_ACTION_FLAG,   /* recorded, does not change the decision */
	RISK_ACTION_REVIEW, /* a person must look */
	RISK_ACTION_REJECT  /* refused outright */
};

/* "flag", "review", "reject". */
const char *risk_action_name(enum risk_action a);

/* Who may approve despite a rule (see LEVEL above). */
enum risk_override {
	RISK_OVERRIDE_NONE,    /* a flag: nothing to override */
	RISK_OVERRIDE_OFFICER, /* one officer, with a reason and a note */
	RISK_OVERRIDE_DUAL,    /* two different officers */
	RISK_OVERRIDE_NEVER    /* no one */
};

/* "officer", "dual", "never"; NULL for RISK_OVERRIDE_NONE. */
const char *risk_override_name(enum risk_override o);

/* Largest rules file accepted. */
#define RISK_RULES_MAX_BYTES (1024 * 1024)

struct risk_rules;

/*
 * Parses text (len bytes) as a rules file; fname is used in messages.  On
 * success *out is a new rule set the caller frees with risk_rules_free().
 * On failure *out is NULL and err says "fname:line:col: what".
 */
enum ld_status risk_rules_parse(const char *text, size_t len,
    const char *fname, struct risk_rules **out, struct ld_err *err);

/* Reads and parses a file as above. */
enum ld_status risk_rules_load(const char *path, struct risk_rules **out,
    struct ld_err *err);

/* Frees a rule set; NULL is a no-op. */
void risk_rules_free(struct risk_rules *rs);

/* Number of rules (0 for NULL). */
size_t risk_rules_count(const struct risk_rules *rs);
/*
 * Rule i's id, version, action and text (borrowed from rs); NULL, 0 or
 * flag for i out of range.
 */
const char *risk_rules_id(const struct risk_rules *rs, size_t i);
int risk_rules_version(const struct risk_rules *rs, size_t i);
enum risk_action risk_rules_action(const struct risk_rules *rs, size_t i);
const char *risk_rules_text(const struct risk_rules *rs, size_t i);
/* Rule i's override level; none for i out of range. */
enum risk_override risk_rules_override(const struct risk_rules *rs,
    size_t i);

/* A feature a rule read, with its value (NAN = missing). */
struct risk_rule_input {
	const char *feature; /* catalogue name, static storage */
	double value;
};

/* One rule that fired; owns its strings. */
struct risk_rule_hit {
	char *id;
	int version;
	enum risk_action action;
	enum risk_override override;
	char *text;
	struct risk_rule_input *inputs; /* the features the rule names */
	size_t ninputs;
};

struct risk_rule_hits {
	struct risk_rule_hit *v;
	size_t n, cap;
};

/* An empty list; the caller owns h and frees it with the next call. */
void risk_rule_hits_init(struct risk_rule_hits *h);
/* Frees the hits (not h itself) and empties it. */
void risk_rule_hits_free(struct risk_rule_hits *h);
/* The number of hits with action a. */
size_t risk_rule_hits_count(const struct risk_rule_hits *h,
    enum risk_action a);

/*
 * Evaluates every rule in file order over the features names[i] = values[i]
 * (i < n; NAN = missing) and appends the rules that fire to hits.  A
 * feature a rule needs but names[] lacks is LD_EINVAL naming the rule and
 * the feature (silently treating it as missing would disable the rule);
 * hits is then left as it was.  Pass risk_feature_names() and
 * risk_features_extract_all() to supply everything.
 */
enum ld_status risk_rules_eval(const struct risk_rules *rs,
    const char *const *names, const double *values, size_t n,
    struct risk_rule_hits *hits, struct ld_err *err);

#endif
