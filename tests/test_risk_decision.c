/*
 * src/risk decision side: feature catalogue and extraction, the inputs
 * hash, the rules language, the policy, reason codes and the explanation
 * JSON.  Known hashes come from sha256sum over the canonical text written
 * out by hand.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_config.h"
#include "ld_test.h"
#include "risk_explain.h"
#include "risk_features.h"
#include "risk_policy.h"
#include "risk_reasons.h"
#include "risk_rules.h"

/* ---- helpers -------------------------------------------------------- */

static char *
srcdir_path(const char *rel)
{
	const char *top = getenv("top_srcdir");

	return ld_asprintf("%s/%s", top != NULL ? top : ".", rel);
}

static struct risk_payloads *
payloads(const char *carrier, const char *device, const char *behaviour,
    const char *third, const char *app, const char *hist,
    const char *contacts)
{
	const char *src[RISK_SOURCE_COUNT];
	struct risk_payloads *p = risk_payloads_new();
	struct ld_err err;
	int i;

	src[RISK_SRC_CARRIER] = carrier;
	src[RISK_SRC_DEVICE] = device;
	src[RISK_SRC_BEHAVIOUR] = behaviour;
	src[RISK_SRC_THIRD_PARTY] = third;
	src[RISK_SRC_APPLICATION] = app;
	src[RISK_SRC_HISTORY] = hist;
	src[RISK_SRC_CONTACTS] = contacts;
	for (i = 0; i < RISK_SOURCE_COUNT; i++)
		if (src[i] != NULL)
			CU_ASSERT_EQUAL_FATAL(risk_payloads_set_json(p,
			    (enum risk_source)i, src[i], strlen(src[i]), &err),
			    LD_OK);
	return p;
}

/* The value of one feature from p. */
static double
feat(const struct risk_payloads *p, const char *name)
{
	struct ld_err err;
	double v = -12345;
	const char *names[1];

	names[0] = name;
	CU_ASSERT_EQUAL(risk_features_extract(p, names, 1, &v, &err), LD_OK);
	return v;
}

/* Sets a linked feature, as the worker does from the applications table. */
static void
link_feature(struct risk_payloads *p, const char *name, double v)
{
	struct ld_err err;

	CU_ASSERT_EQUAL(risk_payloads_set_linked(p, name, v, &err), LD_OK);
}

/*
 * A good applicant: every source present, nothing alarming, a device
 * nobody else used.  The device payload's own shared_applicants_24h is
 * there to show it is never read.
 */
static struct risk_payloads *
clean_applicant(void)
{
	struct risk_payloads *p = payloads(
	    "{\"network_months\": 26, \"realname_verified\": true, "
	    "\"monthly_bill_fen\": 8850}",
	    "{\"device_risk\": 12.5, \"is_emulator\": false, "
	    "\"is_rooted\": false, \"shared_applicants_24h\": 7}",
	    "{\"app_sessions_30d\": 41, \"night_activity_ratio\": 0.2081, "
	    "\"form_fill_seconds\": 95.4}",
	    "{\"external_score\": 645, \"blacklist_hits\": 0, "
	    "\"multi_apply_30d\": 1, \"agency\": \"baihang\"}",
	    "{\"age\": 31, \"requested_amount_fen\": 1000000, "
	    "\"term_months\": 12, \"declared_income_fen\": 800000}",
	    "{\"prior_loans_repaid\": 2, \"max_overdue_days_hist\": 0}",
	    "{\"declared\": [{\"relation\": \"parent\", \"overdue\": false},"
	    " {\"relation\": \"friend\", \"overdue\": false}]}");

	link_feature(p, "device_shared_applicants_24h", 1);
	return p;
}

/* ---- catalogue and extraction --------------------------------------- */

static void
test_catalogue(void)
{
	const char *const *names = risk_feature_names();
	size_t i, n = risk_feature_count();
	enum risk_source src;
	static const char *const required[] = {
		"network_months", "carrier_realname_verified",
		"monthly_bill_fen", "device_risk", "is_emulator", "is_rooted",
		"device_shared_applicants_24h", "app_sessions_30d",
		"night_activity_ratio", "form_fill_seconds", "external_score",
		"blacklist_hits", "multi_apply_30d", "age",
		"requested_amount_fen", "term_months", "declared_income_fen",
		"prior_loans_repaid", "max_overdue_days_hist",
		"declared_contacts_overdue", NULL
	};

	CU_ASSERT(n >= 20);
	for (i = 0; i < n; i++) {
		const struct risk_feature_def *d = risk_feature_at(i);

		CU_ASSERT_PTR_NOT_NULL_FATAL(names[i]);
		CU_ASSERT_STRING_EQUAL(names[i], d->name);
		CU_ASSERT_PTR_EQUAL(risk_feature_find(d->name), d);
		CU_ASSERT(d->label_zh[0] != '\0' && d->label_en[0] != '\0');
		CU_ASSERT(d->description[0] != '\0' && d->missing[0] != '\0');
		if (d->rule == RISK_FR_LINKED) {
			CU_ASSERT_STRING_EQUAL(d->name,
			    "device_shared_applicants_24h");
		} else {
			CU_ASSERT(strncmp(d->path, "$.", 2) == 0);
		}
		CU_ASSERT(d->min <= d->max);
		CU_ASSERT(strcmp(risk_feature_type_name(d->type), "?") != 0);
	}
	CU_ASSERT_PTR_NULL(names[n]);
	CU_ASSERT_PTR_NULL(risk_feature_at(n));
	for (i = 0; required[i] != NULL; i++)
		CU_ASSERT_PTR_NOT_NULL(risk_feature_find(required[i]));
	CU_ASSERT_PTR_NULL(risk_feature_find("address_book_overdue"));
	CU_ASSERT_EQUAL(risk_source_from_name("third_party", &src), 0);
	CU_ASSERT_EQUAL(src, RISK_SRC_THIRD_PARTY);
	CU_ASSERT_STRING_EQUAL(risk_source_name(RISK_SRC_BEHAVIOUR),
	    "behaviour");
	CU_ASSERT_EQUAL(risk_source_from_name("behavior", &src), -1);
	CU_ASSERT_EQUAL(risk_feature_find("declared_contacts_overdue")->source,
	    RISK_SRC_CONTACTS);
}

static void
test_extract_values(void)
{
	struct risk_payloads *p = clean_applicant();
	static const char *const order[] = {
		"age", "external_score", "carrier_realname_verified",
		"night_activity_ratio", "blacklist_hits"
	};
	double v[5], all[64];
	struct ld_err err;

	CU_ASSERT_EQUAL(risk_features_extract(p, order, 5, v, &err), LD_OK);
	CU_ASSERT_EQUAL(v[0], 31);
	CU_ASSERT_EQUAL(v[1], 645);
	CU_ASSERT_EQUAL(v[2], 1);
	CU_ASSERT_EQUAL(v[3], 0.2081);
	/* A zero is a value, not missing. */
	CU_ASSERT_EQUAL(v[4], 0);
	CU_ASSERT(!isnan(v[4]));
	CU_ASSERT_EQUAL(feat(p, "network_months"), 26);
	CU_ASSERT_EQUAL(feat(p, "monthly_bill_fen"), 8850);
	CU_ASSERT_EQUAL(feat(p, "device_risk"), 12.5);
	CU_ASSERT_EQUAL(feat(p, "is_emulator"), 0);
	/* The linked value, not the payload's 7. */
	CU_ASSERT_EQUAL(feat(p, "device_shared_applicants_24h"), 1);
	CU_ASSERT_EQUAL(feat(p, "app_sessions_30d"), 41);
	CU_ASSERT_EQUAL(feat(p, "form_fill_seconds"), 95.4);
	CU_ASSERT_EQUAL(feat(p, "multi_apply_30d"), 1);
	CU_ASSERT_EQUAL(feat(p, "requested_amount_fen"), 1000000);
	CU_ASSERT_EQUAL(feat(p, "term_months"), 12);
	CU_ASSERT_EQUAL(feat(p, "declared_income_fen"), 800000);
	CU_ASSERT_EQUAL(feat(p, "prior_loans_repaid"), 2);
	CU_ASSERT_EQUAL(feat(p, "max_overdue_days_hist"), 0);
	CU_ASSERT_EQUAL(feat(p, "declared_contacts"), 2);
	CU_ASSERT_EQUAL(feat(p, "declared_contacts_overdue"), 0);
	CU_ASSERT_EQUAL(feat(p, "declared_contacts_overdue_ratio"), 0);
	CU_ASSERT_FATAL(risk_feature_count() <= 64);
	risk_features_extract_all(p, all);
	CU_ASSERT_EQUAL(all[0], 26); /* network_months is entry 0 */
	risk_payloads_free(p);
}

static void
test_extract_missing(void)
{
	struct risk_payloads *p;
	struct ld_err err;
	double all[64];
	size_t i;

	/* Absent key, null, wrong type, fraction, out of range. */
	p = payloads(
	    "{\"network_months\": \"26\", \"realname_verified\": 1, "
	    "\"monthly_bill_fen\": 88.5}",
	    "{\"device_risk\": null, \"is_emulator\": \"false\", "
	    "\"shared_applicants_24h\": 0}",
	    "{\"app_sessions_30d\": -1, \"night_activity_ratio\": 1.2, "
	    "\"form_fill_seconds\": 1e999}",
	    "{\"external_score\": [645], \"blacklist_hits\": 2.5, "
	    "\"multi_apply_30d\": true}",
	    "{\"age\": 130, \"requested_amount_fen\": 0, "
	    "\"term_months\": 61, \"declared_income_fen\": {}}",
	    NULL,
	    "{\"address_book\": [{\"overdue\": true}]}");
	CU_ASSERT(isnan(feat(p, "network_months")));
	CU_ASSERT(isnan(feat(p, "carrier_realname_verified")));
	CU_ASSERT(isnan(feat(p, "monthly_bill_fen")));
	CU_ASSERT(isnan(feat(p, "device_risk")));
	CU_ASSERT(isnan(feat(p, "is_emulator")));
	CU_ASSERT(isnan(feat(p, "is_rooted")));
	/* Not linked: missing, whatever the payload says. */
	CU_ASSERT(isnan(feat(p, "device_shared_applicants_24h")));
	link_feature(p, "device_shared_applicants_24h", 0);
	CU_ASSERT(isnan(feat(p, "device_shared_applicants_24h")));
	link_feature(p, "device_shared_applicants_24h", 2.5);
	CU_ASSERT(isnan(feat(p, "device_shared_applicants_24h")));
	link_feature(p, "device_shared_applicants_24h", 3);
	CU_ASSERT_EQUAL(feat(p, "device_shared_applicants_24h"), 3);
	link_feature(p, "device_shared_applicants_24h", NAN);
	CU_ASSERT(isnan(feat(p, "device_shared_applicants_24h")));
	CU_ASSERT_EQUAL(risk_payloads_set_linked(p, "age", 30, &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "\"age\""));
	CU_ASSERT(isnan(feat(p, "age")));
	CU_ASSERT(isnan(feat(p, "app_sessions_30d")));
	CU_ASSERT(isnan(feat(p, "night_activity_ratio")));
	CU_ASSERT(isnan(feat(p, "form_fill_seconds")));
	CU_ASSERT(isnan(feat(p, "external_score")));
	CU_ASSERT(isnan(feat(p, "blacklist_hits")));
	CU_ASSERT(isnan(feat(p, "multi_apply_30d")));
	CU_ASSERT(isnan(feat(p, "age")));
	CU_ASSERT(isnan(feat(p, "requested_amount_fen")));
	CU_ASSERT(isnan(feat(p, "term_months")));
	CU_ASSERT(isnan(feat(p, "declared_income_fen")));
	/* An address book is never read. */
	CU_ASSERT(isnan(feat(p, "declared_contacts")));
	CU_ASSERT(isnan(feat(p, "declared_contacts_overdue")));
	risk_payloads_free(p);

	/* No payloads at all: everything missing, nothing zero. */
	p = risk_payloads_new();
	risk_features_extract_all(p, all);
	for (i = 0; i < risk_feature_count(); i++)
		CU_ASSERT(isnan(all[i]));
	/* Malformed payload text: an error, and the source stays absent. */
	CU_ASSERT_EQUAL(risk_payloads_set_json(p, RISK_SRC_APPLICATION,
	    "{\"age\": 31,", 11, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "alt_data application"));
	CU_ASSERT_PTR_NULL(risk_payloads_get(p, RISK_SRC_APPLICATION));
	CU_ASSERT_EQUAL(risk_payloads_set_json(p, RISK_SRC_APPLICATION,
	    "[31]", 4, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not a JSON object"));
	CU_ASSERT(isnan(feat(p, "age")));
	/* Length is honoured: the text need not end in NUL. */
	CU_ASSERT_EQUAL(risk_payloads_set_json(p, RISK_SRC_APPLICATION,
	    "{\"age\": 17}garbage", 11, &err), LD_OK);
	CU_ASSERT_EQUAL(feat(p, "age"), 17);
	CU_ASSERT_EQUAL(risk_payloads_set_json(p, RISK_SRC_APPLICATION,
	    "{\"age\": 17} \n", 13, &err), LD_OK);
	CU_ASSERT_EQUAL(risk_payloads_set_json(p, RISK_SRC_APPLICATION,
	    "{\"age\": 17} x", 13, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "byte 12"));
	CU_ASSERT_EQUAL(risk_payloads_set_json(p, RISK_SRC_APPLICATION,
	    "{\"age\": 17}", 11, &err), LD_OK);
	/* A good payload replaced by a bad one is gone, not kept. */
	CU_ASSERT_EQUAL(risk_payloads_set_json(p, RISK_SRC_APPLICATION,
	    "nope", 4, &err), LD_EINVAL);
	CU_ASSERT(isnan(feat(p, "age")));
	risk_payloads_free(p);
	risk_payloads_free(NULL);
}

static void
test_extract_contacts(void)
{
	struct risk_payloads *p;

	/* Unknown status counts in neither numerator nor denominator. */
	p = payloads(NULL, NULL, NULL, NULL, NULL, NULL,
	    "{\"declared\": [{\"overdue\": true}, {\"overdue\": false}, "
	    "{\"overdue\": null}, {\"relation\": \"sibling\"}, 7, "
	    "{\"overdue\": true}], \"address_book\": [{\"overdue\": true}, "
	    "{\"overdue\": true}]}");
	CU_ASSERT_EQUAL(feat(p, "declared_contacts"), 5);
	CU_ASSERT_EQUAL(feat(p, "declared_contacts_overdue"), 2);
	CU_ASSERT_DOUBLE_EQUAL(feat(p, "declared_contacts_overdue_ratio"),
	    2.0 / 3.0, 1e-15);
	risk_payloads_free(p);

	/* Declared, none with a known status: count only. */
	p = payloads(NULL, NULL, NULL, NULL, NULL, NULL,
	    "{\"declared\": [{\"relation\": \"parent\"}]}");
	CU_ASSERT_EQUAL(feat(p, "declared_contacts"), 1);
	CU_ASSERT(isnan(feat(p, "declared_contacts_overdue")));
	CU_ASSERT(isnan(feat(p, "declared_contacts_overdue_ratio")));
	risk_payloads_free(p);

	/* An empty declaration is 0 contacts, not missing. */
	p = payloads(NULL, NULL, NULL, NULL, NULL, NULL, "{\"declared\": []}");
	CU_ASSERT_EQUAL(feat(p, "declared_contacts"), 0);
	CU_ASSERT(isnan(feat(p, "declared_contacts_overdue")));
	risk_payloads_free(p);

	p = payloads(NULL, NULL, NULL, NULL, NULL, NULL,
	    "{\"declared\": {\"overdue\": true}}");
	CU_ASSERT(isnan(feat(p, "declared_contacts")));
	risk_payloads_free(p);
}

static void
test_extract_errors(void)
{
	struct risk_payloads *p = clean_applicant();
	static const char *const bad[] = { "age", "agee", "term_months" };
	static const char *const rep[] = { "age", "term_months", "age" };
	double v[3] = { 7, 7, 7 };
	struct ld_err err;

	CU_ASSERT_EQUAL(risk_features_extract(p, bad, 3, v, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "\"agee\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "feature 1"));
	CU_ASSERT_EQUAL(v[0], 7); /* untouched on error */
	CU_ASSERT_EQUAL(risk_features_extract(p, rep, 3, v, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "repeats"));
	CU_ASSERT_EQUAL(risk_features_extract(p, bad, 0, v, &err), LD_OK);
	risk_payloads_free(p);
}

/* ---- inputs hash ---------------------------------------------------- */

static void
test_inputs_hash(void)
{
	static const char *const ab[] = { "b", "a" };
	static const char *const ba[] = { "a", "b" };
	static const char *const four[] = {
		"night_activity_ratio", "age", "external_score",
		"blacklist_hits"
	};
	static const char *const dup[] = { "a", "b", "a" };
	double v1[] = { NAN, 1.5 }, v2[] = { 1.5, NAN };
	double v4[] = { 0.2081, 31, NAN, -0.0 }, v5[] = { 0.2081, 31, NAN, 0 };
	double v6[] = { 0.2081, 31, 0, 0 };
	char h1[65], h2[65], h3[65];
	struct ld_err err;

	/*
	 * printf 'loandesk-features-v1\na=1.5\nb=NA\n' | sha256sum
	 */
	CU_ASSERT_EQUAL(risk_features_hash(ab, v1, 2, h1, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(h1, "679d0734062099b9d84ca0e3184aad8c"
	    "bd0523ab54acf4454953b071a04e0681");
	/* Same features in another order: same hash. */
	CU_ASSERT_EQUAL(risk_features_hash(ba, v2, 2, h2, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(h1, h2);
	/*
	 * printf 'loandesk-features-v1\nage=31\nblacklist_hits=0\n'\
	 * 'external_score=NA\nnight_activity_ratio=0.20810000000000001\n' |
	 * sha256sum
	 */
	CU_ASSERT_EQUAL(risk_features_hash(four, v4, 4, h1, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(h1, "60962d3c3aaca5a00aa5829bcbc58412"
	    "d8ba79e2721fd157d51633880e040192");
	CU_ASSERT_EQUAL(risk_features_hash(four, v5, 4, h2, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(h1, h2);
	/* Missing and zero differ. */
	CU_ASSERT_EQUAL(risk_features_hash(four, v6, 4, h3, &err), LD_OK);
	CU_ASSERT_STRING_NOT_EQUAL(h1, h3);
	CU_ASSERT_EQUAL(risk_features_hash(dup, v6, 3, h3, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "repeats"));
	/*
	 * More names than fit on the stack, given in reverse: f000=0,
	 * f001=0.5, ... f099=49.5 (hashlib.sha256 of those lines).
	 */
	{
		char nm[100][8];
		const char *np[100];
		double v[100];
		size_t i;

		for (i = 0; i < 100; i++) {
			snprintf(nm[i], sizeof nm[i], "f%03zu", 99 - i);
			np[i] = nm[i];
			v[i] = (99 - i) * 0.5;
		}
		CU_ASSERT_EQUAL(risk_features_hash(np, v, 100, h1, &err),
		    LD_OK);
		CU_ASSERT_STRING_EQUAL(h1, "ab9afed04a9776c7475810ec4bffed55"
		    "c905bf3851af3d369962edfca1603ea5");
		np[80] = np[96];
		np[90] = np[96];
		CU_ASSERT_EQUAL(risk_features_hash(np, v, 100, h1, &err),
		    LD_EINVAL);
		CU_ASSERT_STRING_EQUAL(err.msg, "inputs hash: feature 90 "
		    "\"f003\" repeats feature 80");
	}
}

static void
test_inputs_hash_payloads(void)
{
	struct risk_payloads *p = clean_applicant(), *q;
	double a[64], b[64];
	char h1[65], h2[65];
	struct ld_err err;
	size_t n = risk_feature_count();

	risk_features_extract_all(p, a);
	CU_ASSERT_EQUAL(risk_features_hash(risk_feature_names(), a, n, h1,
	    &err), LD_OK);
	/* Same payloads parsed again (key order changed): same hash. */
	q = clean_applicant();
	CU_ASSERT_EQUAL(risk_payloads_set_json(q, RISK_SRC_HISTORY,
	    "{\"max_overdue_days_hist\": 0, \"prior_loans_repaid\": 2}", 53,
	    &err), LD_OK);
	risk_features_extract_all(q, b);
	CU_ASSERT_EQUAL(risk_features_hash(risk_feature_names(), b, n, h2,
	    &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(h1, h2);
	/* One value changed: a different hash. */
	CU_ASSERT_EQUAL(risk_payloads_set_json(q, RISK_SRC_HISTORY,
	    "{\"max_overdue_days_hist\": 1, \"prior_loans_repaid\": 2}", 53,
	    &err), LD_OK);
	risk_features_extract_all(q, b);
	CU_ASSERT_EQUAL(risk_features_hash(risk_feature_names(), b, n, h2,
	    &err), LD_OK);
	CU_ASSERT_STRING_NOT_EQUAL(h1, h2);
	risk_payloads_free(p);
	risk_payloads_free(q);
}

static void
test_inputs_hash_model(void)
{
	static const char *const ab[] = { "a", "b" };
	static const char *const ba[] = { "b", "a" };
	/* printf 'x' | sha256sum */
	static const char sha[] = "2d711642b726b04401627ca9fbac32f5"
	    "c8530fb1903cc4db02258717921a4881";
	double v1[] = { 1.5, NAN }, v2[] = { NAN, 1.5 }, v3[] = { 1.5, 2 };
	char h1[65], h2[65];
	struct ld_err err;

	/*
	 * printf 'loandesk-inputs-v2\nmodel=%s\na=1.5\nb=NA\n' "$sha" |
	 * sha256sum
	 */
	CU_ASSERT_EQUAL(risk_features_hash_model(sha, ab, v1, 2, h1, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(h1, "b2353f82f674995ca6d373dc6b261d54"
	    "813ddd21770b4dddc0350bc5e22e1c9c");
	CU_ASSERT_EQUAL(risk_features_hash_model(sha, ba, v2, 2, h2, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(h1, h2);
	/* ... 'a=1.5\nb=2\n' */
	CU_ASSERT_EQUAL(risk_features_hash_model(sha, ab, v3, 2, h2, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(h2, "3e12707c05508e2f2d87dcd62d1b4b5b"
	    "6a7b3e915d9797e919c79d1d2406cbed");
	/* Another model, the same values: another hash. */
	CU_ASSERT_EQUAL(risk_features_hash_model("2d711642b726b04401627ca9"
	    "fbac32f5c8530fb1903cc4db02258717921a4882", ab, v1, 2, h2, &err),
	    LD_OK);
	CU_ASSERT_STRING_NOT_EQUAL(h1, h2);
	CU_ASSERT_EQUAL(risk_features_hash_model("2D711642", ab, v1, 2, h2,
	    &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "sha256"));
}

/* ---- rules ---------------------------------------------------------- */

static struct risk_rules *
parse_rules(const char *text)
{
	struct risk_rules *rs = NULL;
	struct ld_err err;

	err.msg[0] = '\0';
	if (risk_rules_parse(text, strlen(text), "t.conf", &rs, &err) !=
	    LD_OK)
		fprintf(stderr, "unexpected: %s\n", err.msg);
	CU_ASSERT_PTR_NOT_NULL(rs);
	return rs;
}

/* Evaluates a one-rule set over the given features; 1 if it fired. */
static int
fires(const char *expr, const char *const *names, const double *values,
    size_t n)
{
	char *text = ld_asprintf("rule T1 v1 flag \"t\": %s\n", expr);
	struct risk_rules *rs = parse_rules(text);
	struct risk_rule_hits hits;
	struct ld_err err;
	int fired = -1;

	free(text);
	if (rs == NULL)
		return -1;
	risk_rule_hits_init(&hits);
	if (risk_rules_eval(rs, names, values, n, &hits, &err) == LD_OK)
		fired = hits.n == 1;
	else
		fprintf(stderr, "eval: %s\n", err.msg);
	risk_rule_hits_free(&hits);
	risk_rules_free(rs);
	return fired;
}

static void
test_rules_parse_good(void)
{
	struct risk_rules *rs = parse_rules(
	    "# comment\n"
	    "rule R001 v1 reject never \"申请人未满18周岁 / under 18\": age < 18\n"
	    "\n"
	    "rule DEVICE_3 v12 review \"shared \\\"device\\\" \\\\\":\n"
	    "    device_shared_applicants_24h >= 3   # trailing comment\n"
	    "    and not missing(device_risk)\n"
	    "rule R9 v2 flag \"x\": (age + 1) * 2 - -3 / 1.5e0 != 40 or "
	    "false or true\n");

	if (rs == NULL)
		return;
	CU_ASSERT_EQUAL(risk_rules_count(rs), 3);
	CU_ASSERT_STRING_EQUAL(risk_rules_id(rs, 0), "R001");
	CU_ASSERT_EQUAL(risk_rules_version(rs, 0), 1);
	CU_ASSERT_EQUAL(risk_rules_action(rs, 0), RISK_ACTION_REJECT);
	CU_ASSERT_STRING_EQUAL(risk_rules_text(rs, 0),
	    "申请人未满18周岁 / under 18");
	CU_ASSERT_STRING_EQUAL(risk_rules_id(rs, 1), "DEVICE_3");
	CU_ASSERT_EQUAL(risk_rules_version(rs, 1), 12);
	CU_ASSERT_EQUAL(risk_rules_action(rs, 1), RISK_ACTION_REVIEW);
	CU_ASSERT_STRING_EQUAL(risk_rules_text(rs, 1), "shared \"device\" \\");
	CU_ASSERT_EQUAL(risk_rules_action(rs, 2), RISK_ACTION_FLAG);
	CU_ASSERT_PTR_NULL(risk_rules_id(rs, 3));
	/* Levels: as written, else officer for review, none for a flag. */
	CU_ASSERT_EQUAL(risk_rules_override(rs, 0), RISK_OVERRIDE_NEVER);
	CU_ASSERT_EQUAL(risk_rules_override(rs, 1), RISK_OVERRIDE_OFFICER);
	CU_ASSERT_EQUAL(risk_rules_override(rs, 2), RISK_OVERRIDE_NONE);
	CU_ASSERT_EQUAL(risk_rules_override(rs, 3), RISK_OVERRIDE_NONE);
	risk_rules_free(rs);
	rs = parse_rules("rule A v1 reject officer \"a\": age < 1\n"
	    "rule B v1 review dual \"b\": age < 1\n"
	    "rule C v1 reject dual \"c\": age < 1\n");
	if (rs != NULL) {
		CU_ASSERT_EQUAL(risk_rules_override(rs, 0),
		    RISK_OVERRIDE_OFFICER);
		CU_ASSERT_EQUAL(risk_rules_override(rs, 1), RISK_OVERRIDE_DUAL);
		CU_ASSERT_EQUAL(risk_rules_override(rs, 2), RISK_OVERRIDE_DUAL);
		CU_ASSERT_STRING_EQUAL(risk_override_name(
		    risk_rules_override(rs, 2)), "dual");
		risk_rules_free(rs);
	}
	CU_ASSERT_PTR_NULL(risk_override_name(RISK_OVERRIDE_NONE));

	/* An empty file is an empty rule set. */
	rs = parse_rules("# nothing yet\n\n");
	CU_ASSERT_EQUAL(risk_rules_count(rs), 0);
	risk_rules_free(rs);
	risk_rules_free(NULL);
}

static void
test_rules_parse_errors(void)
{
	static const struct {
		const char *text;
		const char *want; /* prefix of the message */
		const char *also; /* a word it contains */
	} cases[] = {
		{ "rules R1 v1 flag \"x\": age < 1", "t.conf:1:1:",
		    "expected 'rule'" },
		{ "rule r1 v1 flag \"x\": age < 1", "t.conf:1:6:", "rule id" },
		{ "rule R1 1 flag \"x\": age < 1", "t.conf:1:9:", "version" },
		{ "rule R1 v0 flag \"x\": age < 1", "t.conf:1:9:", "v1" },
		{ "rule R1 v1 deny \"x\": age < 1", "t.conf:1:12:", "action" },
		{ "rule R1 v1 flag x: age < 1", "t.conf:1:17:", "quotes" },
		{ "rule R1 v1 flag \"x\" age < 1", "t.conf:1:21:", "':'" },
		{ "rule R1 v1 flag \"x\":\n", "t.conf:2:1:", "condition" },
		{ "rule R1 v1 flag \"x: age < 1\n", "t.conf:1:17:",
		    "unterminated" },
		{ "rule R1 v1 flag \"\\n\": age < 1", "t.conf:1:18:",
		    "escape" },
		{ "rule R1 v1 flag \"\": age < 1", "t.conf:1:17:", "empty" },
		{ "# c\nrule R1 v1 flag \"x\":\n  agee < 1", "t.conf:3:3:",
		    "unknown feature 'agee'" },
		{ "rule R1 v1 flag \"x\": age < 1\n"
		    "rule R1 v2 flag \"y\": age > 2",
		    "t.conf:2:6:", "already defined at line 1" },
		{ "rule R1 v1 flag \"x\": age = 1", "t.conf:1:26:", "'=='" },
		{ "rule R1 v1 flag \"x\": age < 1 < 2", "t.conf:1:30:",
		    "chain" },
		{ "rule R1 v1 flag \"x\": age + 1", "t.conf:1:22:",
		    "not a condition" },
		{ "rule R1 v1 flag \"x\": age and age < 1", "t.conf:1:26:",
		    "'and' needs a condition" },
		{ "rule R1 v1 flag \"x\": (age < 1) + 2 > 0", "t.conf:1:32:",
		    "'+' needs a number" },
		{ "rule R1 v1 flag \"x\": not age", "t.conf:1:22:",
		    "'not' needs a condition" },
		{ "rule R1 v1 flag \"x\": (age < 1", "t.conf:1:30:", "')'" },
		{ "rule R1 v1 flag \"x\": missing(1)", "t.conf:1:30:",
		    "feature name" },
		{ "rule R1 v1 flag \"x\": missing(agx)", "t.conf:1:30:",
		    "unknown feature" },
		{ "rule R1 v1 flag \"x\": age < 1.", "t.conf:1:28:",
		    "malformed number" },
		{ "rule R1 v1 flag \"x\": age < 12abc", "t.conf:1:28:",
		    "malformed number" },
		{ "rule R1 v1 flag \"x\": age < 1e999", "t.conf:1:28:",
		    "out of range" },
		{ "rule R1 v1 flag \"x\": age < 1 $", "t.conf:1:30:",
		    "unexpected character '$'" },
		{ "rule R1 v1 flag \"年龄\": 年龄 < 1", "t.conf:1:23:",
		    "unexpected byte" },
		{ "rule R1 v1 flag \"x\": age < 1 age", "t.conf:1:30:",
		    "next rule" },
		{ "rule R1 v1 flag \"\xff\": age < 1", "t.conf:1:18:",
		    "UTF-8" },
		{ "rule R1 v1 flag \"x\": age < 1 and", "t.conf:1:33:",
		    "end of the file" },
		{ "rule R1 v1 flag \"x\": rule", "t.conf:1:22:", "condition" },
		/* A reject rule says who may override it; others fit. */
		{ "rule R1 v1 reject \"x\": age < 1", "t.conf:1:19:",
		    "override level after reject (never, dual or officer)" },
		{ "rule R1 v1\n  reject   dual\n", "t.conf:3:1:",
		    "rule's text" },
		{ "rule R1 v1 reject always \"x\": age < 1", "t.conf:1:19:",
		    "found 'always'" },
		{ "rule R1 v1 flag dual \"x\": age < 1", "t.conf:1:17:",
		    "takes no override level" },
		{ "rule R1 v1 review never \"x\": age < 1", "t.conf:1:19:",
		    "'never' is for reject rules" },
	};
	size_t i;
	struct risk_rules *rs;
	struct ld_err err;
	char deep[400];

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rs = (struct risk_rules *)1;
		err.msg[0] = '\0';
		CU_ASSERT_EQUAL(risk_rules_parse(cases[i].text,
		    strlen(cases[i].text), "t.conf", &rs, &err), LD_EINVAL);
		CU_ASSERT_PTR_NULL(rs);
		if (strncmp(err.msg, cases[i].want, strlen(cases[i].want))
		    != 0 || strstr(err.msg, cases[i].also) == NULL) {
			fprintf(stderr, "case %zu: got \"%s\", want \"%s\" "
			    "with \"%s\"\n", i, err.msg, cases[i].want,
			    cases[i].also);
			CU_FAIL("rules error message");
		}
	}
	/* Nesting is bounded, so a hostile file cannot blow the stack. */
	snprintf(deep, sizeof deep, "rule R1 v1 flag \"x\": ");
	for (i = strlen(deep); i < 300; i++)
		deep[i] = '(';
	deep[i] = '\0';
	CU_ASSERT_EQUAL(risk_rules_parse(deep, strlen(deep), "t.conf", &rs,
	    &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "nested too deeply"));
	/* A NULL err is allowed. */
	CU_ASSERT_EQUAL(risk_rules_parse("x", 1, "t.conf", &rs, NULL),
	    LD_EINVAL);
}

/* rules prefix + n copies of unit + tail, parsed; the message. */
static enum ld_status
parse_repeated(const char *unit, size_t n, const char *tail,
    struct ld_err *err)
{
	struct risk_rules *rs = (struct risk_rules *)1;
	struct ld_buf b;
	enum ld_status st;
	size_t i;

	ld_buf_init(&b, 0);
	ld_buf_puts(&b, "rule R1 v1 flag \"x\": ");
	for (i = 0; i < n; i++)
		ld_buf_puts(&b, unit);
	ld_buf_puts(&b, tail);
	ld_err_clear(err);
	st = risk_rules_parse(b.data, b.len, "t.conf", &rs, err);
	CU_ASSERT_PTR_NULL(rs);
	ld_buf_free(&b);
	return st;
}

/*
 * Hostile rules files: nesting 10^5 deep in each of the three ways the
 * grammar recurses, and a rule too long, all refused where they go
 * wrong, in time linear in the bytes read.
 */
static void
test_rules_hostile(void)
{
	struct ld_err err;

	/* The 65th '(' is column 22 + 65. */
	CU_ASSERT_EQUAL(parse_repeated("(", 100000, "age < 1", &err),
	    LD_EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg,
	    "t.conf:1:87: expression nested too deeply");
	CU_ASSERT_EQUAL(parse_repeated("not ", 100000, "true", &err),
	    LD_EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg,
	    "t.conf:1:282: expression nested too deeply");
	CU_ASSERT_EQUAL(parse_repeated("-", 100000, "age < 1", &err),
	    LD_EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg,
	    "t.conf:1:87: expression nested too deeply");
	CU_ASSERT_EQUAL(parse_repeated("(-", 50000, "age", &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "nested too deeply"));
	/* 64 levels are fine. */
	{
		struct risk_rules *rs = NULL;
		struct ld_buf b;
		size_t i;

		ld_buf_init(&b, 0);
		ld_buf_puts(&b, "rule R1 v1 flag \"x\": ");
		for (i = 0; i < 64; i++)
			ld_buf_puts(&b, "(");
		ld_buf_puts(&b, "age < 1");
		for (i = 0; i < 64; i++)
			ld_buf_puts(&b, ")");
		CU_ASSERT_EQUAL(risk_rules_parse(b.data, b.len, "t.conf", &rs,
		    &err), LD_OK);
		CU_ASSERT_EQUAL(risk_rules_count(rs), 1);
		risk_rules_free(rs);
		ld_buf_free(&b);
	}
	/* A chain of terms is a loop, bounded by the node limit. */
	CU_ASSERT_EQUAL(parse_repeated("age + ", 5000, "1 > 0", &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "rule R1 is too long (more "
	    "than 4096 terms)"));
	CU_ASSERT_EQUAL(parse_repeated("true or ", 5000, "true", &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "too long"));
	/* As many rules as allowed, one more, and an id repeated. */
	{
		struct risk_rules *rs = NULL;
		struct ld_buf b;
		char line[64];
		size_t i;

		ld_buf_init(&b, 0);
		for (i = 0; i < 10000; i++) {
			snprintf(line, sizeof line, "rule A%05zu v1 flag \"x\": "
			    "age < 1\n", i);
			ld_buf_puts(&b, line);
		}
		CU_ASSERT_EQUAL(risk_rules_parse(b.data, b.len, "t.conf", &rs,
		    &err), LD_OK);
		CU_ASSERT_EQUAL(risk_rules_count(rs), 10000);
		CU_ASSERT_STRING_EQUAL(risk_rules_id(rs, 9999), "A09999");
		risk_rules_free(rs);
		ld_buf_puts(&b, "rule B v1 flag \"x\": age < 1\n");
		CU_ASSERT_EQUAL(risk_rules_parse(b.data, b.len, "t.conf", &rs,
		    &err), LD_EINVAL);
		CU_ASSERT_STRING_EQUAL(err.msg,
		    "t.conf:10001:1: more than 10000 rules");
		/* The last rule takes the id of the 18th. */
		memcpy(strstr(b.data, "rule A09999"), "rule A00017", 11);
		CU_ASSERT_EQUAL(risk_rules_parse(b.data, b.len, "t.conf", &rs,
		    &err), LD_EINVAL);
		CU_ASSERT_STRING_EQUAL(err.msg, "t.conf:10000:6: rule A00017 "
		    "is already defined at line 18");
		ld_buf_free(&b);
	}
}

static void
test_rules_load_errors(void)
{
	char path[] = "/tmp/ld-test-rules.XXXXXX";
	char *want;
	struct risk_rules *rs;
	struct ld_err err;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("# two rules\nrule A v1 flag \"a\": age < 1\n"
	    "rule B v1 flag \"b\":\n\tage <\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(risk_rules_load(path, &rs, &err), LD_EINVAL);
	want = ld_asprintf("%s:5:1: expected a feature", path);
	CU_ASSERT_NSTRING_EQUAL(err.msg, want, strlen(want));
	free(want);
	unlink(path);
	CU_ASSERT_NOT_EQUAL(risk_rules_load(path, &rs, &err), LD_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, path));
	CU_ASSERT_PTR_NULL(rs);
}

static void
test_rules_eval(void)
{
	static const char *const names[] = {
		"age", "external_score", "requested_amount_fen",
		"declared_income_fen", "blacklist_hits"
	};
	double v[] = { 17, NAN, 1000000, 0, 0 };

	CU_ASSERT_EQUAL(fires("age < 18", names, v, 5), 1);
	CU_ASSERT_EQUAL(fires("age < 17", names, v, 5), 0);
	CU_ASSERT_EQUAL(fires("age <= 17", names, v, 5), 1);
	CU_ASSERT_EQUAL(fires("age == 17 and age != 18", names, v, 5), 1);
	/* Any comparison with a missing value is false, != included. */
	CU_ASSERT_EQUAL(fires("external_score < 500", names, v, 5), 0);
	CU_ASSERT_EQUAL(fires("external_score >= 500", names, v, 5), 0);
	CU_ASSERT_EQUAL(fires("external_score != 500", names, v, 5), 0);
	CU_ASSERT_EQUAL(fires("external_score + 1 == external_score + 1",
	    names, v, 5), 0);
	CU_ASSERT_EQUAL(fires("not external_score < 500", names, v, 5), 1);
	CU_ASSERT_EQUAL(fires("missing(external_score)", names, v, 5), 1);
	CU_ASSERT_EQUAL(fires("missing(age)", names, v, 5), 0);
	CU_ASSERT_EQUAL(fires("missing(external_score) or "
	    "external_score < 500", names, v, 5), 1);
	/* Division by zero is missing, not infinity. */
	CU_ASSERT_EQUAL(fires("requested_amount_fen / declared_income_fen "
	    "> 10", names, v, 5), 0);
	CU_ASSERT_EQUAL(fires("requested_amount_fen > 12 * "
	    "declared_income_fen", names, v, 5), 1);
	/* Precedence: and binds tighter than or; * before +; unary minus. */
	CU_ASSERT_EQUAL(fires("true or false and false", names, v, 5), 1);
	CU_ASSERT_EQUAL(fires("(true or false) and false", names, v, 5), 0);
	CU_ASSERT_EQUAL(fires("1 + 2 * 3 == 7", names, v, 5), 1);
	CU_ASSERT_EQUAL(fires("10 - 4 - 3 == 3", names, v, 5), 1);
	CU_ASSERT_EQUAL(fires("12 / 2 / 3 == 2", names, v, 5), 1);
	CU_ASSERT_EQUAL(fires("-age == 0 - 17", names, v, 5), 1);
	CU_ASSERT_EQUAL(fires("not not true", names, v, 5), 1);
	CU_ASSERT_EQUAL(fires("blacklist_hits >= 1", names, v, 5), 0);
	/* Overflow is missing too: no infinity to compare. */
	CU_ASSERT_EQUAL(fires("1e308 * 10 > 0", names, v, 5), 0);
	CU_ASSERT_EQUAL(fires("not (1e308 * 10 > 0)", names, v, 5), 1);
	CU_ASSERT_EQUAL(fires("-(1e308 + 1e308) < 0", names, v, 5), 0);
}

static void
test_rules_eval_hits(void)
{
	struct risk_rules *rs = parse_rules(
	    "rule A1 v1 flag \"a\": age < 18\n"
	    "rule A2 v3 reject dual \"b\": age < 18 and external_score < 500\n"
	    "rule A3 v1 review \"c\": missing(external_score) or age > 99\n"
	    "rule A4 v1 review \"d\": multi_apply_30d > 5\n");
	static const char *const names[] = { "age", "external_score" };
	static const char *const more[] = {
		"age", "external_score", "multi_apply_30d"
	};
	double v[] = { 16, NAN, 9 };
	struct risk_rule_hits hits;
	struct ld_err err;

	if (rs == NULL)
		return;
	risk_rule_hits_init(&hits);
	/* multi_apply_30d not supplied: an error, not a silent miss. */
	CU_ASSERT_EQUAL(risk_rules_eval(rs, names, v, 2, &hits, &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "rule A4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "multi_apply_30d"));
	CU_ASSERT_EQUAL(hits.n, 0);
	CU_ASSERT_EQUAL(risk_rules_eval(rs, more, v, 3, &hits, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(hits.n, 3);
	CU_ASSERT_STRING_EQUAL(hits.v[0].id, "A1");
	CU_ASSERT_STRING_EQUAL(hits.v[1].id, "A3");
	CU_ASSERT_STRING_EQUAL(hits.v[2].id, "A4");
	CU_ASSERT_EQUAL(hits.v[1].action, RISK_ACTION_REVIEW);
	CU_ASSERT_EQUAL(hits.v[1].override, RISK_OVERRIDE_OFFICER);
	CU_ASSERT_EQUAL(hits.v[0].override, RISK_OVERRIDE_NONE);
	CU_ASSERT_EQUAL_FATAL(hits.v[1].ninputs, 2);
	CU_ASSERT_STRING_EQUAL(hits.v[1].inputs[0].feature, "external_score");
	CU_ASSERT(isnan(hits.v[1].inputs[0].value));
	CU_ASSERT_STRING_EQUAL(hits.v[1].inputs[1].feature, "age");
	CU_ASSERT_EQUAL(hits.v[1].inputs[1].value, 16);
	CU_ASSERT_EQUAL(risk_rule_hits_count(&hits, RISK_ACTION_REVIEW), 2);
	CU_ASSERT_EQUAL(risk_rule_hits_count(&hits, RISK_ACTION_REJECT), 0);
	risk_rule_hits_free(&hits);
	CU_ASSERT_EQUAL(hits.n, 0);
	risk_rules_free(rs);
}

/* The hit ids of the default rules over payloads p, joined by spaces. */
static void
default_hits(const struct risk_rules *rs, const struct risk_payloads *p,
    char *out, size_t len)
{
	double all[64];
	struct risk_rule_hits hits;
	struct ld_err err;
	size_t i;

	risk_features_extract_all(p, all);
	risk_rule_hits_init(&hits);
	out[0] = '\0';
	CU_ASSERT_EQUAL(risk_rules_eval(rs, risk_feature_names(), all,
	    risk_feature_count(), &hits, &err), LD_OK);
	for (i = 0; i < hits.n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s",
		    i ? " " : "", hits.v[i].id);
	risk_rule_hits_free(&hits);
}

static void
set(struct risk_payloads *p, enum risk_source src, const char *json)
{
	struct ld_err err;

	CU_ASSERT_EQUAL(risk_payloads_set_json(p, src, json, strlen(json),
	    &err), LD_OK);
}

static void
test_rules_default_file(void)
{
	char *path = srcdir_path("etc/rules.conf");
	struct risk_rules *rs = NULL;
	struct risk_payloads *p;
	struct ld_err err;
	char got[256];
	size_t i;

	CU_ASSERT_EQUAL_FATAL(risk_rules_load(path, &rs, &err), LD_OK);
	free(path);
	CU_ASSERT(risk_rules_count(rs) >= 3);
	for (i = 0; i < risk_rules_count(rs); i++)
		CU_ASSERT_PTR_NOT_NULL(strstr(risk_rules_text(rs, i), " / "));

	/*
	 * Nothing known at all: a comparison with a missing value is false,
	 * so only the rules that ask for missing() fire (R004 unknown age,
	 * R010 neither carrier nor bureau data).
	 */
	p = risk_payloads_new();
	default_hits(rs, p, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "R004 R010");
	risk_payloads_free(p);

	p = clean_applicant();
	default_hits(rs, p, got, sizeof got);
	if (strcmp(got, "") != 0)
		fprintf(stderr, "clean applicant hit: %s\n", got);
	CU_ASSERT_STRING_EQUAL(got, "");

	set(p, RISK_SRC_APPLICATION, "{\"age\": 17, "
	    "\"requested_amount_fen\": 1000000, \"term_months\": 12, "
	    "\"declared_income_fen\": 800000}");
	default_hits(rs, p, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "R001");
	CU_ASSERT_EQUAL(risk_rules_action(rs, 0), RISK_ACTION_REJECT);
	set(p, RISK_SRC_APPLICATION, "{\"age\": 18, "
	    "\"requested_amount_fen\": 1000000, \"term_months\": 12, "
	    "\"declared_income_fen\": 800000}");
	default_hits(rs, p, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "");
	/* Unknown age: review, not silently through. */
	set(p, RISK_SRC_APPLICATION, "{\"requested_amount_fen\": 1000000, "
	    "\"term_months\": 12, \"declared_income_fen\": 800000}");
	default_hits(rs, p, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "R004");
	set(p, RISK_SRC_APPLICATION, "{\"age\": 31, "
	    "\"requested_amount_fen\": 1000000, \"term_months\": 12, "
	    "\"declared_income_fen\": 800000}");

	set(p, RISK_SRC_THIRD_PARTY, "{\"external_score\": 645, "
	    "\"blacklist_hits\": 1, \"multi_apply_30d\": 1}");
	default_hits(rs, p, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "R002");
	set(p, RISK_SRC_THIRD_PARTY, "{\"external_score\": 645, "
	    "\"blacklist_hits\": 0, \"multi_apply_30d\": 1}");

	/* The count the worker links in decides, never a payload's. */
	set(p, RISK_SRC_DEVICE, "{\"device_risk\": 12.5, "
	    "\"is_emulator\": false, \"is_rooted\": false, "
	    "\"shared_applicants_24h\": 1}");
	link_feature(p, "device_shared_applicants_24h", 3);
	default_hits(rs, p, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "R003");
	set(p, RISK_SRC_DEVICE, "{\"device_risk\": 12.5, "
	    "\"is_emulator\": false, \"is_rooted\": false, "
	    "\"shared_applicants_24h\": 9}");
	link_feature(p, "device_shared_applicants_24h", 2);
	default_hits(rs, p, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "");
	risk_payloads_free(p);
	risk_rules_free(rs);
}

/* ---- policy --------------------------------------------------------- */

static void
test_policy_bps(void)
{
	CU_ASSERT_EQUAL(risk_policy_pd_bps(0), 0);
	CU_ASSERT_EQUAL(risk_policy_pd_bps(1), 10000);
	CU_ASSERT_EQUAL(risk_policy_pd_bps(0.03), 300);
	/* Half up: 0.02995 * 10000 is exactly 299.5 in double. */
	CU_ASSERT_EQUAL(risk_policy_pd_bps(0.02995), 300);
	CU_ASSERT_EQUAL(risk_policy_pd_bps(0.12345), 1235);
	CU_ASSERT_EQUAL(risk_policy_pd_bps(0.0299949), 300);
	CU_ASSERT_EQUAL(risk_policy_pd_bps(0.02994999), 299);
	CU_ASSERT_EQUAL(risk_policy_pd_bps(NAN), -1);
	CU_ASSERT_EQUAL(risk_policy_pd_bps(-0.001), -1);
	CU_ASSERT_EQUAL(risk_policy_pd_bps(1.0001), -1);
	CU_ASSERT_EQUAL(risk_policy_pd_bps(INFINITY), -1);
}

static void
add_hit(struct risk_rule_hits *h, const char *id, enum risk_action a)
{
	struct risk_rule_hit *x;

	h->v = ld_reallocarray(h->v, h->n + 1, sizeof *h->v);
	h->cap = h->n + 1;
	x = &h->v[h->n++];
	memset(x, 0, sizeof *x);
	x->id = ld_strdup(id);
	x->version = 1;
	x->action = a;
	x->text = ld_strdup("规则 / rule");
}

static void
test_policy_table(void)
{
	struct risk_policy pol = { .approve_max_pd_bps = 300,
	    .reject_min_pd_bps = 2000, .review_amount_fen = 5000000 };
	struct risk_rule_hits none, flag, review, reject, both;
	static const struct {
		double p;
		int64_t amount;
		int hits; /* 0 none, 1 flag, 2 review, 3 reject, 4 both */
		enum risk_decision want;
		enum risk_basis basis; /* of the first reason */
		size_t nreasons;
	} cases[] = {
		{ 0.01, 1000000, 0, RISK_DECISION_AUTO_APPROVED,
		    RISK_BASIS_PD_LOW, 1 },
		{ 0.03, 5000000, 0, RISK_DECISION_AUTO_APPROVED,
		    RISK_BASIS_PD_LOW, 1 },          /* both limits inclusive */
		{ 0.030049, 1000000, 0, RISK_DECISION_AUTO_APPROVED,
		    RISK_BASIS_PD_LOW, 1 },          /* 300.49 bps is 300 */
		{ 0.03005, 1000000, 0, RISK_DECISION_MANUAL_REVIEW,
		    RISK_BASIS_PD_MIDDLE, 1 },       /* 300.5 bps is 301 */
		{ 0.0301, 1000000, 0, RISK_DECISION_MANUAL_REVIEW,
		    RISK_BASIS_PD_MIDDLE, 1 },
		{ 0.01, 5000001, 0, RISK_DECISION_MANUAL_REVIEW,
		    RISK_BASIS_PD_LOW, 2 },          /* then AMOUNT_LARGE */
		{ 0.1999, 1000000, 0, RISK_DECISION_MANUAL_REVIEW,
		    RISK_BASIS_PD_MIDDLE, 1 },
		{ 0.2, 1000000, 0, RISK_DECISION_AUTO_REJECTED,
		    RISK_BASIS_PD_HIGH, 1 },
		{ 0.9, 99999999, 0, RISK_DECISION_AUTO_REJECTED,
		    RISK_BASIS_PD_HIGH, 1 },
		{ NAN, 1000000, 0, RISK_DECISION_MANUAL_REVIEW,
		    RISK_BASIS_NO_SCORE, 1 },
		{ 0.01, 1000000, 1, RISK_DECISION_AUTO_APPROVED,
		    RISK_BASIS_PD_LOW, 1 },          /* flags change nothing */
		{ 0.01, 1000000, 2, RISK_DECISION_MANUAL_REVIEW,
		    RISK_BASIS_RULE_REVIEW, 1 },
		{ 0.9, 1000000, 2, RISK_DECISION_MANUAL_REVIEW,
		    RISK_BASIS_RULE_REVIEW, 1 },     /* review rule before PD */
		{ 0.01, 1000000, 3, RISK_DECISION_AUTO_REJECTED,
		    RISK_BASIS_RULE_REJECT, 1 },
		{ NAN, 1000000, 3, RISK_DECISION_AUTO_REJECTED,
		    RISK_BASIS_RULE_REJECT, 1 },     /* rules need no score */
		{ 0.01, 1000000, 4, RISK_DECISION_AUTO_REJECTED,
		    RISK_BASIS_RULE_REJECT, 1 },     /* reject beats review */
	};
	const struct risk_rule_hits *sets[5];
	struct risk_policy_input in;
	struct risk_policy_result res;
	struct ld_err err;
	size_t i;

	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_OK);
	risk_rule_hits_init(&none);
	risk_rule_hits_init(&flag);
	risk_rule_hits_init(&review);
	risk_rule_hits_init(&reject);
	risk_rule_hits_init(&both);
	add_hit(&flag, "F1", RISK_ACTION_FLAG);
	add_hit(&review, "V1", RISK_ACTION_REVIEW);
	add_hit(&reject, "J1", RISK_ACTION_REJECT);
	add_hit(&both, "F1", RISK_ACTION_FLAG);
	add_hit(&both, "V1", RISK_ACTION_REVIEW);
	add_hit(&both, "J1", RISK_ACTION_REJECT);
	sets[0] = &none;
	sets[1] = &flag;
	sets[2] = &review;
	sets[3] = &reject;
	sets[4] = &both;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&in, 0, sizeof in);
		in.probability = cases[i].p;
		in.requested_amount_fen = cases[i].amount;
		in.hits = sets[cases[i].hits];
		risk_policy_decide(&pol, &in, &res);
		if (res.decision != cases[i].want ||
		    res.nreasons != cases[i].nreasons ||
		    res.reasons[0].basis != cases[i].basis) {
			fprintf(stderr, "policy case %zu: %s %zu %s\n", i,
			    risk_decision_name(res.decision), res.nreasons,
			    risk_basis_code(res.reasons[0].basis));
			CU_FAIL("policy case");
		}
	}
	/* The amount reason names the amount; rule reasons the rule. */
	memset(&in, 0, sizeof in);
	in.probability = 0.01;
	in.requested_amount_fen = 5000001;
	risk_policy_decide(&pol, &in, &res);
	CU_ASSERT_EQUAL(res.pd_bps, 100);
	CU_ASSERT_EQUAL(res.reasons[1].basis, RISK_BASIS_AMOUNT_LARGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.reasons[1].text, "\xc2\xa5" "50,000.01 is above"));
	in.hits = &both;
	risk_policy_decide(&pol, &in, &res);
	CU_ASSERT_STRING_EQUAL(res.reasons[0].rule_id, "J1");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.reasons[0].text, "J1 v1"));
	risk_rule_hits_free(&flag);
	risk_rule_hits_free(&review);
	risk_rule_hits_free(&reject);
	risk_rule_hits_free(&both);
}

static void
test_policy_points(void)
{
	struct risk_policy pol = { .approve_max_pd_bps = 300,
	    .reject_min_pd_bps = 2000, .review_amount_fen = 5000000,
	    .on = RISK_THRESHOLD_POINTS, .approve_min_points = 588,
	    .reject_max_points = 527 };
	static const struct {
		double p;
		int has_points, points;
		int64_t amount;
		enum risk_decision want;
		enum risk_basis basis;
		size_t nreasons;
	} cases[] = {
		{ 0.01, 1, 620, 1000000, RISK_DECISION_AUTO_APPROVED,
		    RISK_BASIS_POINTS_HIGH, 1 },
		{ 0.05, 1, 588, 5000000, RISK_DECISION_AUTO_APPROVED,
		    RISK_BASIS_POINTS_HIGH, 1 },     /* both limits inclusive */
		{ 0.05, 1, 587, 1000000, RISK_DECISION_MANUAL_REVIEW,
		    RISK_BASIS_POINTS_MIDDLE, 1 },
		{ 0.05, 1, 528, 1000000, RISK_DECISION_MANUAL_REVIEW,
		    RISK_BASIS_POINTS_MIDDLE, 1 },
		{ 0.05, 1, 527, 1000000, RISK_DECISION_AUTO_REJECTED,
		    RISK_BASIS_POINTS_LOW, 1 },
		{ 0.01, 1, 620, 5000001, RISK_DECISION_MANUAL_REVIEW,
		    RISK_BASIS_POINTS_HIGH, 2 },     /* then AMOUNT_LARGE */
		/* The points decide, whatever the PD says ... */
		{ 0.5, 1, 600, 1000000, RISK_DECISION_AUTO_APPROVED,
		    RISK_BASIS_POINTS_HIGH, 1 },
		{ 0.001, 1, 400, 1000000, RISK_DECISION_AUTO_REJECTED,
		    RISK_BASIS_POINTS_LOW, 1 },
		/* ... and without points nothing is automatic. */
		{ 0.01, 0, 0, 1000000, RISK_DECISION_MANUAL_REVIEW,
		    RISK_BASIS_NO_SCORE, 1 },
		{ NAN, 1, 620, 1000000, RISK_DECISION_MANUAL_REVIEW,
		    RISK_BASIS_NO_SCORE, 1 },
	};
	struct risk_policy_input in;
	struct risk_policy_result res;
	struct ld_err err;
	cJSON *j;
	char *s;
	size_t i;

	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_OK);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&in, 0, sizeof in);
		in.probability = cases[i].p;
		in.has_points = cases[i].has_points;
		in.points = cases[i].points;
		in.requested_amount_fen = cases[i].amount;
		risk_policy_decide(&pol, &in, &res);
		if (res.decision != cases[i].want ||
		    res.nreasons != cases[i].nreasons ||
		    res.reasons[0].basis != cases[i].basis) {
			fprintf(stderr, "points case %zu: %s %zu %s\n", i,
			    risk_decision_name(res.decision), res.nreasons,
			    risk_basis_code(res.reasons[0].basis));
			CU_FAIL("points case");
		}
	}
	/* A rule still comes first. */
	{
		struct risk_rule_hits reject;

		risk_rule_hits_init(&reject);
		add_hit(&reject, "J1", RISK_ACTION_REJECT);
		memset(&in, 0, sizeof in);
		in.probability = 0.01;
		in.has_points = 1;
		in.points = 700;
		in.requested_amount_fen = 100;
		in.hits = &reject;
		risk_policy_decide(&pol, &in, &res);
		CU_ASSERT_EQUAL(res.decision, RISK_DECISION_AUTO_REJECTED);
		CU_ASSERT_EQUAL(res.reasons[0].basis, RISK_BASIS_RULE_REJECT);
		risk_rule_hits_free(&reject);
	}
	memset(&in, 0, sizeof in);
	in.probability = 0.05;
	in.has_points = 1;
	in.points = 561;
	in.requested_amount_fen = 100;
	risk_policy_decide(&pol, &in, &res);
	j = risk_policy_result_json(&res, &in);
	s = cJSON_PrintUnformatted(j);
	CU_ASSERT_STRING_EQUAL(s, "{\"decision\":\"manual_review\","
	    "\"pd_bps\":500,\"points\":561,\"thresholds\":\"points\","
	    "\"basis\":[{\"code\":\"POINTS_MIDDLE\",\"rule\":null,\"text\":"
	    "\"score 561 points is between the reject (527) and approve (588) "
	    "thresholds\"}]}");
	free(s);
	cJSON_Delete(j);
	pol.reject_max_points = 588;
	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "reject_max_points"));
}

/*
 * The bands and the policy agree: no approve threshold reaches into the
 * worst band (H: below 520 points, PD above 24.24% on the default scale)
 * unless the policy says so, and a score that lands there anyway goes to a
 * person.
 */
static void
test_policy_worst_band(void)
{
	struct risk_policy pol = { .approve_max_pd_bps = 600,
	    .reject_min_pd_bps = 3000, .review_amount_fen = 5000000 };
	struct risk_policy_input in;
	struct risk_policy_result res;
	struct ld_err err;

	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_OK);
	/*
	 * PD 24.24% is 520 points, G's floor: still allowed; 25% is
	 * 600 + 20 log2(3 / 50) = 518.8 points.
	 */
	pol.approve_max_pd_bps = 2424;
	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_OK);
	pol.approve_max_pd_bps = 2500;
	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "approve_max_pd_bps (2500, "
	    "519 points) would approve automatically in band H"));
	pol.approve_worst_band = 1;
	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_OK);
	pol.approve_worst_band = 0;
	pol.on = RISK_THRESHOLD_POINTS;
	pol.approve_min_points = 519;
	pol.reject_max_points = 480;
	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "approve_min_points (519)"));
	pol.approve_min_points = 520;
	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_OK);

	/* A probability at the threshold whose points round into H. */
	pol.on = RISK_THRESHOLD_PROBABILITY;
	pol.approve_max_pd_bps = 2424;
	memset(&in, 0, sizeof in);
	in.probability = 0.24244;
	in.has_points = 1;
	in.points = 519;
	in.requested_amount_fen = 100000;
	risk_policy_decide(&pol, &in, &res);
	CU_ASSERT_EQUAL(res.pd_bps, 2424);
	CU_ASSERT_EQUAL(res.decision, RISK_DECISION_MANUAL_REVIEW);
	CU_ASSERT_EQUAL_FATAL(res.nreasons, 2);
	CU_ASSERT_EQUAL(res.reasons[1].basis, RISK_BASIS_BAND_WORST);
	CU_ASSERT_STRING_EQUAL(risk_basis_code(res.reasons[1].basis),
	    "BAND_WORST");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.reasons[1].text, "band H"));
	in.points = 520;
	risk_policy_decide(&pol, &in, &res);
	CU_ASSERT_EQUAL(res.decision, RISK_DECISION_AUTO_APPROVED);
	in.points = 519;
	pol.approve_worst_band = 1;
	risk_policy_decide(&pol, &in, &res);
	CU_ASSERT_EQUAL(res.decision, RISK_DECISION_AUTO_APPROVED);
}

static void
test_policy_config(void)
{
	struct risk_config cfg;
	const struct ld_config_part part = { &risk_config_section, &cfg };
	struct risk_policy pol;
	struct risk_policy_input in;
	struct risk_policy_result res;
	struct ld_err err;
	cJSON *j;
	char *s;

	risk_config_defaults(&cfg);
	risk_policy_from_config(&pol, &cfg);
	CU_ASSERT_EQUAL(pol.approve_max_pd_bps, cfg.approve_max_pd_bps);
	CU_ASSERT_EQUAL(pol.reject_min_pd_bps, cfg.reject_min_pd_bps);
	CU_ASSERT_EQUAL(pol.review_amount_fen, cfg.review_amount_fen);
	CU_ASSERT_EQUAL(pol.on, RISK_THRESHOLD_PROBABILITY);
	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_OK);
	/* thresholds = points, from a configuration file's value */
	cfg.thresholds = ld_strdup("points");
	risk_policy_from_config(&pol, &cfg);
	CU_ASSERT_EQUAL(pol.on, RISK_THRESHOLD_POINTS);
	CU_ASSERT_EQUAL(pol.approve_min_points, cfg.approve_min_points);
	CU_ASSERT_EQUAL(pol.reject_max_points, cfg.reject_max_points);
	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_OK);
	free(cfg.thresholds);
	cfg.thresholds = ld_strdup("odds");
	risk_policy_from_config(&pol, &cfg);
	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "thresholds"));
	risk_config_free(&cfg);
	/* From a file: the word is checked where it is written. */
	{
		char path[] = "/tmp/ld-policy-XXXXXX";
		int fd = mkstemp(path);
		FILE *f;

		CU_ASSERT_FATAL(fd >= 0);
		f = fdopen(fd, "w");
		fputs("[risk]\nthresholds = points\napprove_min_points = 600\n"
		    "reject_max_points = 540\n", f);
		fclose(f);
		CU_ASSERT_EQUAL(ld_config_load_file(&part, 1, path, &err),
		    LD_OK);
		risk_policy_from_config(&pol, &cfg);
		CU_ASSERT_EQUAL(pol.on, RISK_THRESHOLD_POINTS);
		CU_ASSERT_EQUAL(pol.approve_min_points, 600);
		CU_ASSERT_EQUAL(pol.reject_max_points, 540);
		risk_config_free(&cfg);
		f = fopen(path, "w");
		fputs("[risk]\nthresholds = odds\n", f);
		fclose(f);
		CU_ASSERT_EQUAL(ld_config_load_file(&part, 1, path, &err),
		    LD_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ":2: [risk] thresholds"));
		risk_config_free(&cfg);
		f = fopen(path, "w");
		fputs("[risk]\napprove_min_points = 500\n", f);
		fclose(f);
		CU_ASSERT_EQUAL(ld_config_load_file(&part, 1, path, &err),
		    LD_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ":2: [risk] "
		    "reject_max_points (527) must be below"));
		risk_config_free(&cfg);
		unlink(path);
	}
	risk_config_defaults(&cfg);
	risk_policy_from_config(&pol, &cfg);
	risk_config_free(&cfg);

	pol.approve_max_pd_bps = 2000;
	pol.reject_min_pd_bps = 2000;
	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "approve_max_pd_bps"));
	pol.approve_max_pd_bps = 100;
	pol.reject_min_pd_bps = 10001;
	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "reject_min_pd_bps"));
	pol.reject_min_pd_bps = 2000;
	pol.review_amount_fen = -1;
	CU_ASSERT_EQUAL(risk_policy_check(&pol, &err), LD_EINVAL);

	pol.review_amount_fen = 5000000;
	memset(&in, 0, sizeof in);
	in.probability = 0.05;
	in.has_points = 1;
	in.points = 561;
	in.requested_amount_fen = 100;
	risk_policy_decide(&pol, &in, &res);
	j = risk_policy_result_json(&res, &in);
	s = cJSON_PrintUnformatted(j);
	CU_ASSERT_STRING_EQUAL(s, "{\"decision\":\"manual_review\","
	    "\"pd_bps\":500,\"points\":561,\"basis\":[{\"code\":"
	    "\"PD_MIDDLE\",\"rule\":null,\"text\":\"PD 500 bps is between "
	    "the approve (100) and reject (2000) thresholds\"}]}");
	free(s);
	cJSON_Delete(j);
}

/* ---- reason codes --------------------------------------------------- */

static struct risk_reason_table *
parse_table(const char *text)
{
	struct risk_reason_table *t = NULL;
	struct ld_err err;

	if (risk_reason_table_parse(text, strlen(text), "r.tsv", &t, &err) !=
	    LD_OK)
		fprintf(stderr, "unexpected: %s\n", err.msg);
	CU_ASSERT_PTR_NOT_NULL(t);
	return t;
}

static void
test_reasons_table_errors(void)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "*\tany\tOTHER\t其他\tother\nage\tany\tAGE\t年龄\n",
		    "r.tsv:2:" },
		{ "*\tany\tOTHER\t其他\tother\nagee\tany\tAGE\t年龄\tage\n",
		    "r.tsv:2:1: unknown feature 'agee'" },
		{ "*\tany\tOTHER\t其他\tother\nage\tsometimes\tAGE\t年龄\tage\n",
		    "r.tsv:2:5: when must be" },
		{ "*\tany\tOTHER\t其他\tother\nage\tany\tage\t年龄\tage\n",
		    "r.tsv:2:9: code must match" },
		{ "*\tany\tOTHER\t其他\tother\nage\tany\tAGE\t\tage\n",
		    "r.tsv:2:13: text_zh is empty" },
		{ "*\tany\tOTHER\t其他\tother\nage\tany\tAGE\t年龄\tage\tx\n",
		    "r.tsv:2:20: more than 5" },
		{ "*\tany\tOTHER\t其他\tother\nage\tany\tAGE\t年\xff\tage\n",
		    "r.tsv:2:13: text_zh has invalid UTF-8" },
		{ "*\tany\tOTHER\t其他\tother\n#\nage\tany\tA1\tx\ty\n"
		    "age\tany\tA2\tx\ty\n", "r.tsv:4:1: 'age' already" },
		{ "age\tany\tAGE\t年龄\tage\n", "r.tsv: no fallback" },
		{ "*\tmissing\tOTHER\t其他\tother\n", "r.tsv:1:3: the fallback" },
	};
	struct risk_reason_table *t;
	struct ld_err err;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		t = (struct risk_reason_table *)1;
		err.msg[0] = '\0';
		CU_ASSERT_EQUAL(risk_reason_table_parse(cases[i].text,
		    strlen(cases[i].text), "r.tsv", &t, &err), LD_EINVAL);
		CU_ASSERT_PTR_NULL(t);
		if (strncmp(err.msg, cases[i].want, strlen(cases[i].want))
		    != 0) {
			fprintf(stderr, "case %zu: got \"%s\", want \"%s\"\n",
			    i, err.msg, cases[i].want);
			CU_FAIL("reason table error message");
		}
	}
}

static void
test_reasons_pick(void)
{
	struct risk_reason_table *t = parse_table(
	    "# test table\r\n"
	    "*\tany\tOTHER\t其他因素\tother factors\r\n"
	    "multi_apply_30d\tany\tMULTI_APPLY\t多头申请\tmany applications\n"
	    "external_score\tmissing\tNO_BUREAU\t无征信评分\tno bureau score\n"
	    "external_score\tany\tLOW_BUREAU\t征信评分低\tlow bureau score\n"
	    "is_emulator\tany\tDEVICE\t设备异常\tunusual device\n"
	    "is_rooted\tany\tDEVICE\t设备异常\tunusual device\n");
	static const char *const names[] = {
		"age", "multi_apply_30d", "external_score", "is_emulator",
		"is_rooted", "device_risk", "term_months"
	};
	double values[] = { 30, 8, NAN, 1, 1, 50, 12 };
	/* phi: ties at 0.5 between index 3 and 4 and 5; bias after. */
	double phi[] = { -0.9, 0.3, 0.8, 0.5, 0.5, 0.5, NAN, 123 };
	struct risk_reason out[8];
	size_t n;

	if (t == NULL)
		return;
	n = risk_reasons_pick(t, names, values, phi, 7, 4, out);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_STRING_EQUAL(out[0].code, "NO_BUREAU");
	CU_ASSERT_STRING_EQUAL(out[0].feature, "external_score");
	CU_ASSERT_STRING_EQUAL(out[0].text_zh, "无征信评分");
	CU_ASSERT_EQUAL(out[0].phi, 0.8);
	/* is_emulator (index 3) wins the tie; is_rooted shares its code. */
	CU_ASSERT_STRING_EQUAL(out[1].code, "DEVICE");
	CU_ASSERT_STRING_EQUAL(out[1].feature, "is_emulator");
	CU_ASSERT_STRING_EQUAL(out[2].code, "OTHER");
	CU_ASSERT_STRING_EQUAL(out[2].feature, "device_risk");
	CU_ASSERT_STRING_EQUAL(out[2].text_en, "other factors");
	CU_ASSERT_STRING_EQUAL(out[3].code, "MULTI_APPLY");
	CU_ASSERT_EQUAL(out[3].value, 8);

	/* A present external_score takes the "any" entry. */
	values[2] = 480;
	n = risk_reasons_pick(t, names, values, phi, 7, 1, out);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(out[0].code, "LOW_BUREAU");
	/* Nothing raised the risk: no reasons. */
	n = risk_reasons_pick(t, names, values, (double[]){ -1, 0, -0.0, -2,
	    NAN, -1, -1 }, 7, 4, out);
	CU_ASSERT_EQUAL(n, 0);
	risk_reason_lookup(t, "term_months", 12, &out[0]);
	CU_ASSERT_STRING_EQUAL(out[0].code, "OTHER");
	risk_reason_table_free(t);
	risk_reason_table_free(NULL);
}

static void
test_reasons_default_file(void)
{
	char *path = srcdir_path("etc/reason_codes.tsv");
	struct risk_reason_table *t = NULL;
	struct risk_reason r;
	struct ld_err err;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(risk_reason_table_load(path, &t, &err), LD_OK);
	free(path);
	/* Every catalogue feature has its own text, not the fallback. */
	for (i = 0; i < risk_feature_count(); i++) {
		risk_reason_lookup(t, risk_feature_at(i)->name, 1, &r);
		CU_ASSERT_STRING_NOT_EQUAL(r.code, "OTHER_FACTORS");
	}
	risk_reason_lookup(t, "external_score", NAN, &r);
	CU_ASSERT_STRING_EQUAL(r.code, "NO_BUREAU_SCORE");
	risk_reason_lookup(t, "no_such_feature", 1, &r);
	CU_ASSERT_STRING_EQUAL(r.code, "OTHER_FACTORS");
	risk_reason_table_free(t);
}

/* ---- explanation JSON ----------------------------------------------- */

static void
test_explain_json(void)
{
	static const char *const names[] = {
		"age", "external_score", "multi_apply_30d", "device_risk"
	};
	double values[] = { 31, NAN, 1, 0 };
	double phi[] = { 0.05, 0.25, -0.25, -0.5, 99 };
	double points[] = { -1.5, -7.25, 7.25, 14.5 };
	struct risk_rule_hits hits;
	struct risk_rule_hit *h;
	struct risk_reason rs[1];
	struct risk_contribution *back;
	size_t nback;
	struct ld_err err;
	cJSON *j;
	char *s;

	j = risk_explain_contributions(names, values, phi, points, 4);
	s = cJSON_PrintUnformatted(j);
	CU_ASSERT_STRING_EQUAL(s,
	    "[{\"feature\":\"device_risk\",\"value\":0,\"phi\":-0.5,"
	    "\"points\":14.5},"
	    "{\"feature\":\"external_score\",\"value\":null,\"phi\":0.25,"
	    "\"points\":-7.25},"
	    "{\"feature\":\"multi_apply_30d\",\"value\":1,\"phi\":-0.25,"
	    "\"points\":7.25},"
	    "{\"feature\":\"age\",\"value\":31,\"phi\":0.05,"
	    "\"points\":-1.5}]");
	CU_ASSERT_EQUAL(risk_explain_parse_contributions(s, &back, &nback,
	    &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(nback, 4);
	CU_ASSERT_STRING_EQUAL(back[1].feature, "external_score");
	CU_ASSERT(isnan(back[1].value));
	CU_ASSERT_EQUAL(back[1].phi, 0.25);
	CU_ASSERT_EQUAL(back[3].points, -1.5);
	free(back);
	free(s);
	cJSON_Delete(j);

	j = risk_explain_contributions(names, values, phi, NULL, 1);
	s = cJSON_PrintUnformatted(j);
	CU_ASSERT_STRING_EQUAL(s, "[{\"feature\":\"age\",\"value\":31,"
	    "\"phi\":0.05,\"points\":null}]");
	free(s);
	cJSON_Delete(j);

	CU_ASSERT_EQUAL(risk_explain_parse_contributions(
	    "[{\"feature\":\"age\",\"value\":1,\"phi\":\"x\"}]", &back, &nback,
	    &err), LD_EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "contributions[0]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "phi"));
	CU_ASSERT_EQUAL(risk_explain_parse_contributions("{}", &back, &nback,
	    &err), LD_EPROTO);

	risk_rule_hits_init(&hits);
	add_hit(&hits, "R003", RISK_ACTION_REVIEW);
	h = &hits.v[0];
	h->ninputs = 2;
	h->inputs = ld_calloc(2, sizeof *h->inputs);
	h->inputs[0].feature = "device_shared_applicants_24h";
	h->inputs[0].value = 4;
	h->inputs[1].feature = "age";
	h->inputs[1].value = NAN;
	j = risk_explain_rules_hit(&hits);
	s = cJSON_PrintUnformatted(j);
	CU_ASSERT_STRING_EQUAL(s, "[{\"id\":\"R003\",\"version\":1,"
	    "\"action\":\"review\",\"text\":\"规则 / rule\",\"inputs\":"
	    "{\"device_shared_applicants_24h\":4,\"age\":null}}]");
	free(s);
	cJSON_Delete(j);
	/* The level goes with the hit, for the database to enforce. */
	add_hit(&hits, "R001", RISK_ACTION_REJECT);
	hits.v[1].override = RISK_OVERRIDE_NEVER;
	j = risk_explain_rules_hit(&hits);
	s = cJSON_PrintUnformatted(j);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "},{\"id\":\"R001\",\"version\":1,"
	    "\"action\":\"reject\",\"override\":\"never\",\"text\":"));
	free(s);
	cJSON_Delete(j);
	risk_rule_hits_free(&hits);
	j = risk_explain_rules_hit(&hits);
	s = cJSON_PrintUnformatted(j);
	CU_ASSERT_STRING_EQUAL(s, "[]");
	free(s);
	cJSON_Delete(j);

	rs[0].code = "MULTI_APPLY";
	rs[0].feature = "multi_apply_30d";
	rs[0].text_zh = "近期多头申请较多";
	rs[0].text_en = "many recent loan applications elsewhere";
	j = risk_explain_reasons(rs, 1);
	s = cJSON_PrintUnformatted(j);
	CU_ASSERT_STRING_EQUAL(s, "[{\"code\":\"MULTI_APPLY\",\"feature\":"
	    "\"multi_apply_30d\",\"text_zh\":\"近期多头申请较多\",\"text_en\":"
	    "\"many recent loan applications elsewhere\"}]");
	free(s);
	cJSON_Delete(j);
}

/* The worker's JSON numbers against printf, and back through strtod. */
static void
test_json_numbers(void)
{
	static const double exact[] = {
		0, -0.0, 1, -1, 31, 1000000, 999999999, 1e9, 123456789012345.0,
		0.5, 0.068, 95.4, 0.2081, 1.0 / 3, 2.0 / 3, -0.74596506357192993,
		1e-7, 123456.789e10, 5e-324, 1.7976931348623157e308
	};
	uint64_t st = 88172645463325252ull;
	struct ld_buf b;
	char want[64];
	size_t i;
	int bad = 0;

	ld_buf_init(&b, 0);
	for (i = 0; i < sizeof exact / sizeof exact[0]; i++) {
		ld_buf_reset(&b);
		risk_json_put_number(&b, exact[i]);
		CU_ASSERT_EQUAL(strtod(b.data, NULL), exact[i]);
	}
	ld_buf_reset(&b);
	risk_json_put_number(&b, 0.068);
	CU_ASSERT_STRING_EQUAL(b.data, "0.068");
	ld_buf_reset(&b);
	risk_json_put_number(&b, NAN);
	CU_ASSERT_STRING_EQUAL(b.data, "null");
	/*
	 * 9 digits: printf's text, or (at a rounding tie) one unit off in the
	 * last digit; a float always reads back as itself.
	 */
	for (i = 0; i < 200000; i++) {
		double v;
		float f;
		uint32_t u;

		st ^= st << 13;
		st ^= st >> 7;
		st ^= st << 17;
		u = (uint32_t)(st >> 16);
		memcpy(&f, &u, sizeof f);
		if (!isfinite(f) || fabsf(f) < 1e-12f || fabsf(f) > 1e25f)
			continue;
		v = i % 2 ? (double)f : (double)f * 1.000000123;
		ld_buf_reset(&b);
		risk_json_put_g9(&b, v);
		snprintf(want, sizeof want, "%.9g", v);
		if (strcmp(b.data, want) != 0 &&
		    fabs(strtod(b.data, NULL) - strtod(want, NULL)) >
		    1.01e-8 * fabs(v))
			bad++;
		if (i % 2 && (float)strtod(b.data, NULL) != f)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	ld_buf_reset(&b);
	risk_json_put_g9(&b, -0.0021405);
	CU_ASSERT_STRING_EQUAL(b.data, "-0.0021405");
	ld_buf_reset(&b);
	risk_json_put_g9(&b, 1.5e-7);
	CU_ASSERT_STRING_EQUAL(b.data, "1.5e-07");
	ld_buf_reset(&b);
	risk_json_put_g9(&b, 21.524001957832873);
	CU_ASSERT_STRING_EQUAL(b.data, "21.524002");
	ld_buf_reset(&b);
	risk_json_put_string(&b, "a\"b\\c\n年");
	CU_ASSERT_STRING_EQUAL(b.data, "\"a\\\"b\\\\c\\u000a年\"");
	ld_buf_free(&b);
}

/* The text writers say what the cJSON builders say. */
static void
test_explain_text(void)
{
	static const char *const names[] = {
		"age", "external_score", "multi_apply_30d", "device_risk"
	};
	double values[] = { 31, NAN, 1, 0.068 };
	double phi[] = { 0.05f, 0.25, -0.25, -0.5, 99 };
	double points[] = { -1.5, -7.25, 7.25, 14.5 };
	struct risk_reason rs[2];
	struct risk_contribution *back;
	size_t nback;
	struct ld_err err;
	struct ld_buf b;
	cJSON *j, *t;

	ld_buf_init(&b, 0);
	risk_explain_contributions_text(&b, names, values, phi, points, 4);
	CU_ASSERT_STRING_EQUAL(b.data,
	    "[{\"feature\":\"device_risk\",\"value\":0.068,\"phi\":-0.5,"
	    "\"points\":14.5},"
	    "{\"feature\":\"external_score\",\"value\":null,\"phi\":0.25,"
	    "\"points\":-7.25},"
	    "{\"feature\":\"multi_apply_30d\",\"value\":1,\"phi\":-0.25,"
	    "\"points\":7.25},"
	    "{\"feature\":\"age\",\"value\":31,\"phi\":0.0500000007,"
	    "\"points\":-1.5}]");
	CU_ASSERT_EQUAL(risk_explain_parse_contributions(b.data, &back,
	    &nback, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(nback, 4);
	/* A float contribution reads back as the same float. */
	CU_ASSERT_EQUAL((float)back[3].phi, (float)phi[0]);
	CU_ASSERT_EQUAL(back[0].value, 0.068);
	free(back);
	rs[0].code = "MULTI_APPLY";
	rs[0].feature = "multi_apply_30d";
	rs[0].text_zh = "近期多头申请较多";
	rs[0].text_en = "many \"recent\" applications";
	rs[1] = rs[0];
	rs[1].code = "AGE";
	ld_buf_reset(&b);
	risk_explain_reasons_text(&b, rs, 2);
	j = risk_explain_reasons(rs, 2);
	t = cJSON_Parse(b.data);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT(cJSON_Compare(j, t, 1));
	cJSON_Delete(j);
	cJSON_Delete(t);
	ld_buf_reset(&b);
	risk_explain_reasons_text(&b, rs, 0);
	CU_ASSERT_STRING_EQUAL(b.data, "[]");
	ld_buf_free(&b);
}

/* The whole path the scoring worker takes, minus the model. */
static void
test_end_to_end(void)
{
	char *rpath = srcdir_path("etc/rules.conf");
	char *cpath = srcdir_path("etc/reason_codes.tsv");
	struct risk_rules *rules = NULL;
	struct risk_reason_table *table = NULL;
	struct risk_payloads *p = clean_applicant();
	struct risk_rule_hits hits;
	struct risk_policy pol = { .approve_max_pd_bps = 300,
	    .reject_min_pd_bps = 2000, .review_amount_fen = 5000000 };
	struct risk_policy_input in;
	struct risk_policy_result res;
	struct risk_reason reasons[RISK_REASONS_DEFAULT];
	static const char *const model[] = {
		"external_score", "multi_apply_30d", "night_activity_ratio"
	};
	double x[3], phi[4] = { -0.14, 0.2, 0.14, -2.1 }, all[64];
	size_t nr;
	struct ld_err err;

	CU_ASSERT_EQUAL_FATAL(risk_rules_load(rpath, &rules, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(risk_reason_table_load(cpath, &table, &err),
	    LD_OK);
	set(p, RISK_SRC_DEVICE, "{\"device_risk\": 80, \"is_emulator\": true,"
	    " \"is_rooted\": false}");
	link_feature(p, "device_shared_applicants_24h", 5);
	CU_ASSERT_EQUAL(risk_features_extract(p, model, 3, x, &err), LD_OK);
	risk_features_extract_all(p, all);
	risk_rule_hits_init(&hits);
	CU_ASSERT_EQUAL(risk_rules_eval(rules, risk_feature_names(), all,
	    risk_feature_count(), &hits, &err), LD_OK);
	memset(&in, 0, sizeof in);
	in.probability = 0.01;
	in.requested_amount_fen =
	    (int64_t)all[risk_feature_find("requested_amount_fen") -
	    risk_feature_at(0)];
	in.hits = &hits;
	risk_policy_decide(&pol, &in, &res);
	CU_ASSERT_EQUAL(res.decision, RISK_DECISION_MANUAL_REVIEW);
	CU_ASSERT_EQUAL_FATAL(res.nreasons, 2);
	CU_ASSERT_STRING_EQUAL(res.reasons[0].rule_id, "R003");
	CU_ASSERT_STRING_EQUAL(res.reasons[1].rule_id, "R007");
	nr = risk_reasons_pick(table, model, x, phi, 3, RISK_REASONS_DEFAULT,
	    reasons);
	CU_ASSERT_EQUAL_FATAL(nr, 2);
	CU_ASSERT_STRING_EQUAL(reasons[0].code, "MULTI_APPLY");
	CU_ASSERT_STRING_EQUAL(reasons[1].code, "NIGHT_ACTIVITY");
	risk_rule_hits_free(&hits);
	risk_rules_free(rules);
	risk_reason_table_free(table);
	risk_payloads_free(p);
	free(rpath);
	free(cpath);
}

int
main(void)
{
	static const struct ld_test_case features[] = {
		LD_TEST(test_catalogue),
		LD_TEST(test_extract_values),
		LD_TEST(test_extract_missing),
		LD_TEST(test_extract_contacts),
		LD_TEST(test_extract_errors),
		LD_TEST(test_inputs_hash),
		LD_TEST(test_inputs_hash_payloads),
		LD_TEST(test_inputs_hash_model),
		LD_TEST_END
	};
	static const struct ld_test_case rules[] = {
		LD_TEST(test_rules_parse_good),
		LD_TEST(test_rules_parse_errors),
		LD_TEST(test_rules_hostile),
		LD_TEST(test_rules_load_errors),
		LD_TEST(test_rules_eval),
		LD_TEST(test_rules_eval_hits),
		LD_TEST(test_rules_default_file),
		LD_TEST_END
	};
	static const struct ld_test_case policy[] = {
		LD_TEST(test_policy_bps),
		LD_TEST(test_policy_table),
		LD_TEST(test_policy_points),
		LD_TEST(test_policy_config),
		LD_TEST(test_policy_worst_band),
		LD_TEST_END
	};
	static const struct ld_test_case reasons[] = {
		LD_TEST(test_reasons_table_errors),
		LD_TEST(test_reasons_pick),
		LD_TEST(test_reasons_default_file),
		LD_TEST(test_explain_json),
		LD_TEST(test_json_numbers),
		LD_TEST(test_explain_text),
		LD_TEST(test_end_to_end),
		LD_TEST_END
	};

	LD_TEST_INIT();
	ld_test_suite("risk features", NULL, NULL, features);
	ld_test_suite("risk rules", NULL, NULL, rules);
	ld_test_suite("risk policy", NULL, NULL, policy);
	ld_test_suite("risk reasons and json", NULL, NULL, reasons);
	return ld_test_run();
}
