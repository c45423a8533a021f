/*
 * The feature catalogue: every input the risk engine scores, where it comes
 * from in the alt_data payloads, and when it counts as missing.
 *
 * A feature is a double; NAN means missing.  Missing is never 0: a zero is
 * a value ("no blacklist hit"), missing is the absence of one ("no bureau
 * answer"), and models treat the two differently (XGBoost sends NAN down the
 * default branch, a scorecard uses its missing bin).
 *
 * Payloads
 * --------
 * alt_data holds one JSON object per (application, source); the sources are
 * those allowed by alt_data.source.  Each payload is a flat object; the
 * catalogue below names the key each feature is read from.  Keys not in the
 * catalogue are ignored, so vendors may add fields freely.
 *
 *   carrier      {"network_months": 26, "realname_verified": true,
 *                 "monthly_bill_fen": 8850}
 *   device       {"device_risk": 12.5, "is_emulator": false,
 *                 "is_rooted": false}
 *   behaviour    {"app_sessions_30d": 41, "night_activity_ratio": 0.21,
 *                 "form_fill_seconds": 95.4}
 *   third_party  {"external_score": 645, "blacklist_hits": 0,
 *                 "multi_apply_30d": 1, "agency": "baihang"}
 *   application  {"age": 31, "requested_amount_fen": 1000000,
 *                 "term_months": 12, "declared_income_fen": 800000}
 *   history      {"prior_loans_repaid": 2, "max_overdue_days_hist": 0}
 *   contacts     {"declared": [{"relation": "parent", "overdue": false},
 *                              {"relation": "friend", "overdue": true}]}
 *
 * Value rules, by catalogue type:
 *   bool   JSON true/false only (1/0 as numbers are wrong-typed)
 *   count  a JSON number with no fractional part
 *   fen    a JSON number with no fractional part, in fen
 *   ratio  a JSON number in [0, 1]
 *   number any finite JSON number
 * and every value must lie in the feature's [min, max].  A key that is
 * absent, null, of the wrong type or out of range gives NAN; so does a
 * whole source that is absent or is not a JSON object.
 *
 * Contacts: only the array "declared" is read, i.e. the emergency contacts
 * the applicant typed in and consented to.  The Provisions on necessary
 * personal information (2021) forbid a loan app from reading the address
 * book without consent, so any other key (an address book, a call log) is
 * ignored by construction.  An entry's "overdue" is true when a licensed
 * agency reports the contact overdue now, false when it reports them not
 * overdue (or unknown to it); an entry without a boolean "overdue" is
 * unknown and counts in neither numerator nor denominator.  Array elements
 * that are not objects are ignored; more than 20 contacts is implausible
 * and makes declared_contacts missing.
 *
 * Linked features are not read from any payload, since a vendor or the
 * applicant could put anything there: the caller computes them from the
 * applications table and sets them with risk_payloads_set_linked().  The
 * one there is, device_shared_applicants_24h, counts distinct applicants,
 * this one included, whose applications came from the same device
 * fingerprint in the 24 hours up to this application's submission; a
 * device nobody else used gives 1, an application without a fingerprint
 * leaves it missing.
 */
#ifndef LD_RISK_FEATURES_H
#define LD_RISK_FEATURES_H

#include <stddef.h>

#include <cJSON.h>

#include "ld_err.h"

enum risk_source {
	RISK_SRC_CARRIER,
	RISK_SRC_DEVICE,
	RISK_SRC_BEHAVIOUR,
	RISK_SRC_THIRD_PARTY,
	RISK_SRC_APPLICATION,
	RISK_SRC_HISTORY,
	RISK_SRC_CONTACTS
};
#define RISK_SOURCE_COUNT 7

/* The alt_data.source text ("third_party"); never NULL. */
const char *risk_source_name(enum risk_source src);
/* 0 and *src set, or -1 for a name that is not a source. */
int risk_source_from_name(const char *name, enum risk_source *src);

enum risk_feature_type {
	RISK_FT_NUMBER,
	RISK_FT_BOOL,
	RISK_FT_COUNT,
	RISK_FT_RATIO,
	RISK_FT_FEN
};

/* "number", "bool", "count", "ratio", "fen". */
const char *risk_feature_type_name(enum risk_feature_type t);

/*
 * How a feature is computed from its payload: read one key, derive it
 * from contacts.declared[], or take what the caller linked in.
 */
enum risk_feature_rule {
	RISK_FR_KEY,
	RISK_FR_CONTACTS_COUNT,
	RISK_FR_CONTACTS_OVERDUE,
	RISK_FR_CONTACTS_OVERDUE_RATIO,
	RISK_FR_LINKED
};

struct risk_feature_def {
	const char *name;
	enum risk_feature_type type;
	const char *unit;        /* "months", "fen", "seconds", "" */
	enum risk_source source;
	enum risk_feature_rule rule;
	const char *path;        /* JSON path in the payload, "$.key"; for
				    a linked feature, where it comes from */
	double min, max;         /* valid values, inclusive */
	const char *label_zh;
	const char *label_en;
	const char *description;
	const char *missing;     /* when the feature is missing, in words */
};

/* Number of catalogue entries. */
size_t risk_feature_count(void);
/* Entry i (0 <= i < risk_feature_count()), NULL beyond. */
const struct risk_feature_def *risk_feature_at(size_t i);
/* The entry called name, or NULL. */
const struct risk_feature_def *risk_feature_find(const char *name);
/* The catalogue index of name, or (size_t)-1. */
size_t risk_feature_index(const char *name);
/* The catalogue's names in catalogue order (static storage). */
const char *const *risk_feature_names(void);

/* Largest payload text accepted per source. */
#define RISK_PAYLOAD_MAX (256 * 1024)

/* The payloads of one application; owns its cJSON trees. */
struct risk_payloads;

/* An empty set (every source absent); aborts only on exhaustion. */
struct risk_payloads *risk_payloads_new(void);
/* Frees p and its payloads; NULL is a no-op. */
void risk_payloads_free(struct risk_payloads *p);

/*
 * Parses json (len bytes, not necessarily NUL-terminated) as the payload of
 * source and keeps it, replacing any earlier one.  LD_EINVAL naming the
 * source and byte offset when the text is too large, is not JSON or is not
 * an object; the source is then absent, so a caller may log the error and
 * score on with that source's features missing.
 */
enum ld_status risk_payloads_set_json(struct risk_payloads *p,
    enum risk_source src, const char *json, size_t len, struct ld_err *err);

/*
 * Keeps a copy of obj (the caller still owns obj).  LD_EINVAL when obj is
 * not an object; the source is then absent.
 */
enum ld_status risk_payloads_set(struct risk_payloads *p,
    enum risk_source src, const cJSON *obj, struct ld_err *err);

/*
 * Sets the value of a linked feature (RISK_FR_LINKED) for these payloads;
 * NAN makes it missing again.  A value outside the feature's type and
 * range is stored as missing, as a bad payload value would be.
 * LD_EINVAL naming the feature when it is not a linked one.
 */
enum ld_status risk_payloads_set_linked(struct risk_payloads *p,
    const char *feature, double value, struct ld_err *err);

/* The stored payload of src, or NULL; borrowed. */
const cJSON *risk_payloads_get(const struct risk_payloads *p,
    enum risk_source src);

/*
 * Fills out[i] with the value of feature names[i], for i < n, in the order
 * asked (a model's order).  Missing values are NAN.  An unknown or repeated
 * name is LD_EINVAL naming it and its position; out is then untouched.
 */
enum ld_status risk_features_extract(const struct risk_payloads *p,
    const char *const *names, size_t n, double *out, struct ld_err *err);

/* Fills out[risk_feature_count()] in catalogue order.  Cannot fail. */
void risk_features_extract_all(const struct risk_payloads *p, double *out);

/*
 * The canonical inputs hash: lower-case hex SHA-256 (64 digits and a NUL in
 * hex) of the text
 *
 *   "loandesk-features-v1\n" then, for each feature sorted by name in
 *   byte order, "<name>=<value>\n"
 *
 * where <value> is "NA" for missing and otherwise printf "%.17g" of the
 * value (which round-trips a double), with -0 written as 0.  Sorting makes
 * the hash independent of the order a model asks for its features.
 * LD_EINVAL for a repeated or empty name.
 */
enum ld_status risk_features_hash(const char *const *names,
    const double *values, size_t n, char hex[65], struct ld_err *err);

/*
 * The inputs hash of one model's score: the same as risk_features_hash()
 * over the model's own features, with the first line
 *
 *   "loandesk-inputs-v2\nmodel=<model_sha256>\n"
 *
 * instead, so that the hash says "this model, these values" and nothing
 * else.  The scoring worker stores it with each score and takes an earlier
 * score (a pre-assessment) with the same hash instead of running the model
 * again: what the model does not read (the amount asked for, say) may
 * change in between, since the rules and the policy, which do read it,
 * run again at every decision.
 */
enum ld_status risk_features_hash_model(const char *model_sha256,
    const char *const *names, const double *values, size_t n,
    char hex[65], struct ld_err *err);

#endif
