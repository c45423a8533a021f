#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_pii.h"
#include "risk_features.h"

static const char *const source_names[RISK_SOURCE_COUNT] = {
	"carrier", "device", "behaviour", "third_party", "application",
	"history", "contacts"
};

/*
 * Ranges are wide on purpose: they reject garbage (a negative tenure, an
 * age of 900), not unusual applicants.  Money caps follow the schema's
 * amount CHECK (10^13 fen).
 */
static const struct risk_feature_def catalogue[] = {
	{ "network_months", RISK_FT_COUNT, "months", RISK_SRC_CARRIER,
	    RISK_FR_KEY, "$.network_months", 0, 600,
	    "在网时长", "months on the mobile network",
	    "Months the applicant's mobile number has been in service with "
	    "its carrier.",
	    "no carrier authorisation, or key absent/invalid" },
	{ "carrier_realname_verified", RISK_FT_BOOL, "", RISK_SRC_CARRIER,
	    RISK_FR_KEY, "$.realname_verified", 0, 1,
	    "运营商实名认证", "carrier real-name check passed",
	    "1 when the carrier confirms the number is registered to the "
	    "applicant's name and ID number, 0 when it does not match.",
	    "no carrier authorisation, or not a JSON boolean" },
	{ "monthly_bill_fen", RISK_FT_FEN, "fen/month", RISK_SRC_CARRIER,
	    RISK_FR_KEY, "$.monthly_bill_fen", 0, 1e8,
	    "月均话费", "average monthly phone bill",
	    "Average monthly carrier bill over the last 6 months, in fen.",
	    "no carrier authorisation, or key absent/invalid" },
	{ "device_risk", RISK_FT_NUMBER, "score 0-100", RISK_SRC_DEVICE,
	    RISK_FR_KEY, "$.device_risk", 0, 100,
	    "设备风险分", "device risk score",
	    "Device-fingerprint vendor's risk score, 0 (clean) to 100.",
	    "no fingerprint collected, or key absent/invalid" },
	{ "is_emulator", RISK_FT_BOOL, "", RISK_SRC_DEVICE,
	    RISK_FR_KEY, "$.is_emulator", 0, 1,
	    "模拟器", "application from an emulator",
	    "1 when the device fingerprint says the app ran in an emulator.",
	    "no fingerprint, or not a JSON boolean" },
	{ "is_rooted", RISK_FT_BOOL, "", RISK_SRC_DEVICE,
	    RISK_FR_KEY, "$.is_rooted", 0, 1,
	    "设备已root/越狱", "rooted or jailbroken device",
	    "1 when the device is rooted or jailbroken.",
	    "no fingerprint, or not a JSON boolean" },
	{ "device_shared_applicants_24h", RISK_FT_COUNT, "applicants",
	    RISK_SRC_DEVICE, RISK_FR_LINKED,
	    "applications.device_hash, submitted_at", 1, 1e5,
	    "24小时同设备申请人数", "applicants on this device in 24 h",
	    "Distinct applicants, this one included, who applied from the "
	    "same device fingerprint in the 24 hours up to this application, "
	    "counted in the applications table (never taken from a payload).",
	    "the application has no device fingerprint" },
	{ "app_sessions_30d", RISK_FT_COUNT, "sessions", RISK_SRC_BEHAVIOUR,
	    RISK_FR_KEY, "$.app_sessions_30d", 0, 1e5,
	    "30天App登录次数", "app sessions in 30 days",
	    "App sessions in the 30 days before the application.",
	    "no behaviour data, or key absent/invalid" },
	{ "night_activity_ratio", RISK_FT_RATIO, "", RISK_SRC_BEHAVIOUR,
	    RISK_FR_KEY, "$.night_activity_ratio", 0, 1,
	    "夜间活跃占比", "share of activity at night",
	    "Share of app sessions between 00:00 and 06:00 local time, "
	    "last 30 days.",
	    "no behaviour data, no sessions, or outside [0, 1]" },
	{ "form_fill_seconds", RISK_FT_NUMBER, "seconds", RISK_SRC_BEHAVIOUR,
	    RISK_FR_KEY, "$.form_fill_seconds", 0, 86400,
	    "填表用时", "time to fill in the form",
	    "Seconds from opening the application form to submitting it.",
	    "no behaviour data, or key absent/invalid" },
	{ "external_score", RISK_FT_NUMBER, "points", RISK_SRC_THIRD_PARTY,
	    RISK_FR_KEY, "$.external_score", 0, 1000,
	    "外部信用评分", "external credit score",
	    "Score from a licensed credit-reporting agency (higher is "
	    "safer; typically 300-900).",
	    "no agency answer (no hit), or key absent/invalid" },
	{ "blacklist_hits", RISK_FT_COUNT, "hits", RISK_SRC_THIRD_PARTY,
	    RISK_FR_KEY, "$.blacklist_hits", 0, 1e4,
	    "黑名单命中数", "blacklist hits",
	    "Entries on licensed agencies' fraud and default blacklists "
	    "matching the applicant's ID number or phone.",
	    "no agency answer, or key absent/invalid" },
	{ "multi_apply_30d", RISK_FT_COUNT, "applications",
	    RISK_SRC_THIRD_PARTY, RISK_FR_KEY, "$.multi_apply_30d", 0, 1e4,
	    "30天多头申请数", "loan applications elsewhere in 30 days",
	    "Loan applications at other institutions in the last 30 days, "
	    "as reported by a licensed agency.",
	    "no agency answer, or key absent/invalid" },
	{ "age", RISK_FT_COUNT, "years", RISK_SRC_APPLICATION,
	    RISK_FR_KEY, "$.age", 0, 120,
	    "年龄", "age",
	    "Age in whole years on the application date, from the ID "
	    "number's birth date.",
	    "key absent/invalid (the hard rules send that to review)" },
	{ "requested_amount_fen", RISK_FT_FEN, "fen", RISK_SRC_APPLICATION,
	    RISK_FR_KEY, "$.requested_amount_fen", 1, 1e13,
	    "申请金额", "amount requested",
	    "Principal requested, in fen.",
	    "key absent/invalid" },
	{ "term_months", RISK_FT_COUNT, "months", RISK_SRC_APPLICATION,
	    RISK_FR_KEY, "$.term_months", 1, 60,
	    "借款期限", "term",
	    "Loan term in months.",
	    "key absent/invalid" },
	{ "declared_income_fen", RISK_FT_FEN, "fen/month", RISK_SRC_APPLICATION,
	    RISK_FR_KEY, "$.declared_income_fen", 0, 1e12,
	    "申报月收入", "declared monthly income",
	    "Monthly income the applicant declared, in fen (not verified).",
	    "not declared, or key absent/invalid" },
	{ "prior_loans_repaid", RISK_FT_COUNT, "loans", RISK_SRC_HISTORY,
	    RISK_FR_KEY, "$.prior_loans_repaid", 0, 1e4,
	    "历史结清笔数", "earlier loans repaid",
	    "Earlier loans with us repaid in full.",
	    "no history record (first contact), or key absent/invalid" },
	{ "max_overdue_days_hist", RISK_FT_COUNT, "days", RISK_SRC_HISTORY,
	    RISK_FR_KEY, "$.max_overdue_days_hist", 0, 36500,
	    "历史最长逾期天数", "longest past delinquency",
	    "Longest number of days any earlier loan with us was overdue.",
	    "no history record, or key absent/invalid" },
	{ "declared_contacts", RISK_FT_COUNT, "contacts", RISK_SRC_CONTACTS,
	    RISK_FR_CONTACTS_COUNT, "$.declared[*]", 0, 20,
	    "申报紧急联系人数", "emergency contacts declared",
	    "Emergency contacts the applicant declared (never the address "
	    "book).",
	    "no contacts payload, \"declared\" not an array, or over 20 "
	    "entries" },
	{ "declared_contacts_overdue", RISK_FT_COUNT, "contacts",
	    RISK_SRC_CONTACTS, RISK_FR_CONTACTS_OVERDUE,
	    "$.declared[*].overdue", 0, 20,
	    "紧急联系人逾期人数", "declared contacts now overdue",
	    "Declared emergency contacts an agency reports overdue now.",
	    "no contacts payload, or no entry with a boolean \"overdue\"" },
	{ "declared_contacts_overdue_ratio", RISK_FT_RATIO, "",
	    RISK_SRC_CONTACTS, RISK_FR_CONTACTS_OVERDUE_RATIO,
	    "$.declared[*].overdue", 0, 1,
	    "紧急联系人逾期占比", "share of declared contacts overdue",
	    "declared_contacts_overdue / entries with a boolean \"overdue\".",
	    "as declared_contacts_overdue" },
};

#define CATALOGUE_N (sizeof catalogue / sizeof catalogue[0])

/*
 * The same names as a plain array for callers that need one (the worker's
 * hash and rule inputs).  Kept in step with catalogue[] by hand; the test
 * suite checks the two agree.
 */
static const char *const catalogue_names[] = {
	"network_months", "carrier_realname_verified", "monthly_bill_fen",
	"device_risk", "is_emulator", "is_rooted",
	"device_shared_applicants_24h", "app_sessions_30d",
	"night_activity_ratio", "form_fill_seconds", "external_score",
	"blacklist_hits", "multi_apply_30d", "age", "requested_amount_fen",
	"term_months", "declared_income_fen", "prior_loans_repaid",
	"max_overdue_days_hist", "declared_contacts",
	"declared_contacts_overdue", "declared_contacts_overdue_ratio",
	NULL
};

_Static_assert(sizeof catalogue_names / sizeof catalogue_names[0] ==
    CATALOGUE_N + 1, "catalogue_names out of step with catalogue");

/* Linked features have a slot each, in catalogue order. */
#define LINKED_MAX 4

struct risk_payloads {
	cJSON *src[RISK_SOURCE_COUNT];
	double linked[LINKED_MAX];
};

/* The slot of catalogue entry i among the linked features, or -1. */
static int
linked_slot(size_t i)
{
	size_t j;
	int slot = 0;

	for (j = 0; j < i; j++)
		if (catalogue[j].rule == RISK_FR_LINKED)
			slot++;
	return catalogue[i].rule == RISK_FR_LINKED && slot < LINKED_MAX ?
	    slot : -1;
}

const char *
risk_source_name(enum risk_source src)
{
	if ((unsigned)src >= RISK_SOURCE_COUNT)
		return "?";
	return source_names[src];
}

int
risk_source_from_name(const char *name, enum risk_source *src)
{
	int i;

	for (i = 0; i < RISK_SOURCE_COUNT; i++)
		if (strcmp(name, source_names[i]) == 0) {
			*src = (enum risk_source)i;
			return 0;
		}
	return -1;
}

const char *
risk_feature_type_name(enum risk_feature_type t)
{
	switch (t) {
	case RISK_FT_NUMBER:
		return "number";
	case RISK_FT_BOOL:
		return "bool";
	case RISK_FT_COUNT:
		return "count";
	case RISK_FT_RATIO:
		return "ratio";
	case RISK_FT_FEN:
		return "fen";
	}
	return "?";
}

size_t
risk_feature_count(void)
{
	return CATALOGUE_N;
}

const struct risk_feature_def *
risk_feature_at(size_t i)
{
	return i < CATALOGUE_N ? &catalogue[i] : NULL;
}

const struct risk_feature_def *
risk_feature_find(const char *name)
{
	size_t i;

	for (i = 0; i < CATALOGUE_N; i++)
		if (strcmp(catalogue[i].name, name) == 0)
			return &catalogue[i];
	return NULL;
}

size_t
risk_feature_index(const char *name)
{
	size_t i;

	for (i = 0; i < CATALOGUE_N; i++)
		if (strcmp(catalogue[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

const char *const *
risk_feature_names(void)
{
	return catalogue_names;
}

struct risk_payloads *
risk_payloads_new(void)
{
	struct risk_payloads *p = ld_calloc(1, sizeof *p);
	size_t i;

	for (i = 0; i < LINKED_MAX; i++)
		p->linked[i] = NAN;
	return p;
}

void
risk_payloads_free(struct risk_payloads *p)
{
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < RISK_SOURCE_COUNT; i++)
		cJSON_Delete(p->src[i]);
	free(p);
}

static void
payload_clear(struct risk_payloads *p, enum risk_source src)
{
	cJSON_Delete(p->src[src]);
	p->src[src] = NULL;
}

enum ld_status
risk_payloads_set_json(struct risk_payloads *p, enum risk_source src,
    const char *json, size_t len, struct ld_err *err)
{
	const char *end = NULL;
	cJSON *obj;

	if ((unsigned)src >= RISK_SOURCE_COUNT)
		return ld_err_set(err, LD_EINVAL, "alt_data: bad source %d",
		    (int)src);
	payload_clear(p, src);
	if (len > RISK_PAYLOAD_MAX)
		return ld_err_set(err, LD_EINVAL,
		    "alt_data %s: payload of %zu bytes exceeds %d",
		    source_names[src], len, RISK_PAYLOAD_MAX);
	obj = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (obj == NULL) {
		size_t off = end != NULL && end >= json ?
		    (size_t)(end - json) : 0;

		return ld_err_set(err, LD_EINVAL,
		    "alt_data %s: not valid JSON near byte %zu",
		    source_names[src], off);
	}
	if (!cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		return ld_err_set(err, LD_EINVAL,
		    "alt_data %s: payload is not a JSON object",
		    source_names[src]);
	}
	/* cJSON stops after the value; anything but blanks after it is bad. */
	while (end != NULL && end < json + len && (*end == ' ' ||
	    *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != NULL && end < json + len) {
		cJSON_Delete(obj);
		return ld_err_set(err, LD_EINVAL,
		    "alt_data %s: text after the JSON object at byte %zu",
		    source_names[src], (size_t)(end - json));
	}
	p->src[src] = obj;
	return LD_OK;
}

enum ld_status
risk_payloads_set(struct risk_payloads *p, enum risk_source src,
    const cJSON *obj, struct ld_err *err)
{
	if ((unsigned)src >= RISK_SOURCE_COUNT)
		return ld_err_set(err, LD_EINVAL, "alt_data: bad source %d",
		    (int)src);
	payload_clear(p, src);
	if (!cJSON_IsObject(obj))
		return ld_err_set(err, LD_EINVAL,
		    "alt_data %s: payload is not a JSON object",
		    source_names[src]);
	p->src[src] = cJSON_Duplicate(obj, 1);
	if (p->src[src] == NULL)
		return ld_err_set(err, LD_ENOMEM, "alt_data %s: copy failed",
		    source_names[src]);
	return LD_OK;
}

static double typed_number(const struct risk_feature_def *, double);

enum ld_status
risk_payloads_set_linked(struct risk_payloads *p, const char *feature,
    double value, struct ld_err *err)
{
	size_t i = risk_feature_index(feature);
	int slot = i == (size_t)-1 ? -1 : linked_slot(i);

	if (slot < 0)
		return ld_err_set(err, LD_EINVAL, "feature \"%s\" is not a "
		    "linked feature", feature);
	p->linked[slot] = typed_number(&catalogue[i], value);
	return LD_OK;
}

const cJSON *
risk_payloads_get(const struct risk_payloads *p, enum risk_source src)
{
	if (p == NULL || (unsigned)src >= RISK_SOURCE_COUNT)
		return NULL;
	return p->src[src];
}

/* NAN unless v is a valid value of def's type and range. */
static double
typed_value(const struct risk_feature_def *def, const cJSON *item)
{
	if (item == NULL)
		return NAN;
	if (def->type == RISK_FT_BOOL) {
		if (cJSON_IsTrue(item))
			return 1.0;
		if (cJSON_IsFalse(item))
			return 0.0;
		return NAN;
	}
	if (!cJSON_IsNumber(item))
		return NAN;
	return typed_number(def, item->valuedouble);
}

/* v if it is a valid number of def's type and range, else NAN. */
static double
typed_number(const struct risk_feature_def *def, double v)
{
	if (!isfinite(v) || v < def->min || v > def->max)
		return NAN;
	if ((def->type == RISK_FT_COUNT || def->type == RISK_FT_FEN) &&
	    floor(v) != v)
		return NAN;
	/* -0 and 0 are the same value; keep the hash and the output tidy. */
	return v == 0 ? 0.0 : v;
}

/* The value of a contacts-derived feature (see the header). */
static double
contacts_value(const struct risk_feature_def *def, const cJSON *payload)
{
	const cJSON *declared, *c, *o;
	int n = 0, known = 0, overdue = 0;

	if (payload == NULL)
		return NAN;
	declared = cJSON_GetObjectItemCaseSensitive(payload, "declared");
	if (!cJSON_IsArray(declared))
		return NAN;
	cJSON_ArrayForEach(c, declared) {
		/* An entry that is not an object is no contact at all. */
		if (!cJSON_IsObject(c))
			continue;
		if (++n > (int)def->max && def->rule == RISK_FR_CONTACTS_COUNT)
			return NAN;
		o = cJSON_GetObjectItemCaseSensitive(c, "overdue");
		if (!cJSON_IsBool(o))
			continue;
		known++;
		if (cJSON_IsTrue(o))
			overdue++;
	}
	switch (def->rule) {
	case RISK_FR_CONTACTS_COUNT:
		return n;
	case RISK_FR_CONTACTS_OVERDUE:
		return known > 0 && overdue <= def->max ? overdue : NAN;
	case RISK_FR_CONTACTS_OVERDUE_RATIO:
		return known > 0 ? (double)overdue / known : NAN;
	case RISK_FR_KEY:
	case RISK_FR_LINKED:
		break;
	}
	return NAN;
}

static double
feature_value(const struct risk_payloads *p, const struct risk_feature_def *def)
{
	const cJSON *payload = risk_payloads_get(p, def->source);
	int slot;

	if (def->rule == RISK_FR_LINKED) {
		slot = linked_slot((size_t)(def - catalogue));
		return p != NULL && slot >= 0 ? p->linked[slot] : NAN;
	}
	if (def->rule != RISK_FR_KEY)
		return contacts_value(def, payload);
	if (payload == NULL)
		return NAN;
	/* path is "$.key": flat payloads, one level. */
	return typed_value(def,
	    cJSON_GetObjectItemCaseSensitive(payload, def->path + 2));
}

enum ld_status
risk_features_extract(const struct risk_payloads *p,
    const char *const *names, size_t n, double *out, struct ld_err *err)
{
	const struct risk_feature_def **defs;
	size_t i, j;

	defs = ld_calloc(n > 0 ? n : 1, sizeof *defs);
	for (i = 0; i < n; i++) {
		if (names[i] == NULL ||
		    (defs[i] = risk_feature_find(names[i])) == NULL) {
			free(defs);
			return ld_err_set(err, LD_EINVAL,
			    "feature %zu \"%s\": not in the feature catalogue",
			    i, names[i] != NULL ? names[i] : "(null)");
		}
		for (j = 0; j < i; j++)
			if (defs[j] == defs[i]) {
				free(defs);
				return ld_err_set(err, LD_EINVAL,
				    "feature %zu \"%s\": repeats feature %zu",
				    i, names[i], j);
			}
	}
	for (i = 0; i < n; i++)
		out[i] = feature_value(p, defs[i]);
	free(defs);
	return LD_OK;
}

void
risk_features_extract_all(const struct risk_payloads *p, double *out)
{
	size_t i;

	for (i = 0; i < CATALOGUE_N; i++)
		out[i] = feature_value(p, &catalogue[i]);
}

/*
 * "%.17g" of v, -0 as 0, with integers (most features) written without
 * printf: the same text, a fraction of the time.
 */
static void
hash_number(struct ld_buf *b, double v)
{
	char num[40], *q = num + sizeof num;
	unsigned long long u;
	int neg;

	if (v == 0)
		v = 0.0;
	if (v == floor(v) && fabs(v) < 1e15) {
		neg = v < 0;
		u = (unsigned long long)(neg ? -v : v);
		*--q = '\0';
		do {
			*--q = (char)('0' + u % 10);
			u /= 10;
		} while (u != 0);
		if (neg)
			*--q = '-';
		ld_buf_puts(b, q);
		return;
	}
	snprintf(num, sizeof num, "%.17g", v);
	ld_buf_puts(b, num);
}

struct hash_name {
	const char *name;
	size_t i;
};

static int
hash_name_cmp(const void *a, const void *b)
{
	const struct hash_name *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

static enum ld_status
hash_lines(const char *head, const char *const *names, const double *values,
    size_t n, char hex[65], struct ld_err *err)
{
	struct ld_buf b;
	struct hash_name order_small[64], *order = order_small;
	size_t i, dup = SIZE_MAX, first = 0;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	enum ld_status st = LD_OK;

	if (n > sizeof order_small / sizeof order_small[0])
		order = ld_calloc(n, sizeof *order);
	for (i = 0; i < n; i++) {
		if (names[i] == NULL || names[i][0] == '\0') {
			st = ld_err_set(err, LD_EINVAL,
			    "inputs hash: feature %zu has no name", i);
			goto out;
		}
		order[i].name = names[i];
		order[i].i = i;
	}
	/* Sorted by name, ties by position: equal names are neighbours. */
	qsort(order, n, sizeof *order, hash_name_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(order[i].name, order[i - 1].name) == 0 &&
		    order[i].i < dup) {
			dup = order[i].i;
			first = order[i - 1].i;
		}
	if (dup != SIZE_MAX) {
		st = ld_err_set(err, LD_EINVAL, "inputs hash: feature %zu "
		    "\"%s\" repeats feature %zu", dup, names[dup], first);
		goto out;
	}
	ld_buf_init(&b, 0);
	ld_buf_puts(&b, head);
	for (i = 0; i < n; i++) {
		double v = values[order[i].i];

		ld_buf_puts(&b, order[i].name);
		ld_buf_puts(&b, "=");
		if (isnan(v))
			ld_buf_puts(&b, "NA");
		else
			hash_number(&b, v);
		ld_buf_puts(&b, "\n");
	}
	if (EVP_Digest(b.data, b.len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		st = ld_err_set(err, LD_ECRYPTO, "inputs hash: SHA-256 failed");
	else
		ld_hex_encode(md, 32, hex);
	ld_buf_free(&b);
out:
	if (order != order_small)
		free(order);
	return st;
}

enum ld_status
risk_features_hash(const char *const *names, const double *values,
    size_t n, char hex[65], struct ld_err *err)
{
	return hash_lines("loandesk-features-v1\n", names, values, n, hex,
	    err);
}

enum ld_status
risk_features_hash_model(const char *model_sha256, const char *const *names,
    const double *values, size_t n, char hex[65], struct ld_err *err)
{
	char head[128];
	size_t i;

	for (i = 0; model_sha256[i] != '\0'; i++)
		if (!((model_sha256[i] >= '0' && model_sha256[i] <= '9') ||
		    (model_sha256[i] >= 'a' && model_sha256[i] <= 'f')))
			break;
	if (i != 64 || model_sha256[i] != '\0')
		return ld_err_set(err, LD_EINVAL, "inputs hash: model sha256 "
		    "\"%.70s\" is not 64 lower-case hex digits",
		    model_sha256);
	snprintf(head, sizeof head, "loandesk-inputs-v2\nmodel=%s\n",
	    model_sha256);
	return hash_lines(head, names, values, n, hex, err);
}
