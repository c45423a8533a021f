/*
 * Synthetic data.  Every applicant has a latent risk z ~ N(0, 1) that
 * drives both the alternative data and a would-default outcome, so models
 * trained on a seeded set learn something real and the scoring worker's
 * decisions spread over all three outcomes.  Fraud rings add members with
 * shifted risk who share a device, an IP address or a phone, applying
 * within a day of each other.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "core_schedule.h"
#include "core_seed.h"
#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_db.h"
#include "ld_pii.h"
#include "risk_features.h"

/* xoshiro256** seeded through splitmix64 (Blackman and Vigna). */
struct prng {
	uint64_t s[4];
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rnd_u64(struct prng *p)
{
	uint64_t *s = p->s, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

static uint64_t
stream_seed(uint64_t seed, long k, unsigned purpose)
{
	uint64_t x = seed;

	x = splitmix64(&x) ^ ((uint64_t)k * 0xd1342543de82ef95ULL);
	return splitmix64(&x) ^ purpose;
}

static void
prng_seed(struct prng *p, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		p->s[i] = splitmix64(&seed);
}

/* Uniform in [0, 1). */
static double
rnd_unit(struct prng *p)
{
	return (double)(rnd_u64(p) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n); the bias for n far below 2^32 is negligible here. */
static uint32_t
rnd_below(struct prng *p, uint32_t n)
{
	return (uint32_t)(((rnd_u64(p) >> 32) * (uint64_t)n) >> 32);
}

static int
rnd_chance(struct prng *p, double prob)
{
	return rnd_unit(p) < prob;
}

/* Box-Muller; one value per call keeps the stream easy to reason about. */
static double
rnd_normal(struct prng *p)
{
	double u1 = 1.0 - rnd_unit(p), u2 = rnd_unit(p);

	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static long
rnd_poisson(struct prng *p, double lambda)
{
	double l, prod = 1.0;
	long k = 0;

	if (lambda > 30)
		lambda = 30;
	l = exp(-lambda);
	do {
		k++;
		prod *= rnd_unit(p);
	} while (prod > l);
	return k - 1;
}

static double
clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static double
sigmoid(double x)
{
	return 1.0 / (1.0 + exp(-x));
}

struct weighted {
	const char *text;
	unsigned weight;
};

static const char *
pick(struct prng *p, const struct weighted *w, size_t n, unsigned total)
{
	uint32_t r = rnd_below(p, total);
	size_t i;

	for (i = 0; i < n - 1; i++) {
		if (r < w[i].weight)
			return w[i].text;
		r -= w[i].weight;
	}
	return w[n - 1].text;
}

static unsigned
total_weight(const struct weighted *w, size_t n)
{
	unsigned t = 0;
	size_t i;

	for (i = 0; i < n; i++)
		t += w[i].weight;
	return t;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Surnames weighted by approximate share of the population, in per ten
 * thousand (Ministry of Public Security 2020 list, rounded), then the
 * compound surnames, which are rare.
 */
static const struct weighted surnames[] = {
	{ "王", 740 }, { "李", 720 }, { "张", 680 }, { "刘", 540 },
	{ "陈", 460 }, { "杨", 310 }, { "黄", 230 }, { "赵", 220 },
	{ "吴", 200 }, { "周", 200 }, { "徐", 170 }, { "孙", 150 },
	{ "马", 150 }, { "朱", 140 }, { "胡", 130 }, { "郭", 130 },
	{ "何", 120 }, { "林", 120 }, { "高", 120 }, { "罗", 110 },
	{ "郑", 100 }, { "梁", 100 }, { "谢", 80 }, { "宋", 80 },
	{ "唐", 80 }, { "许", 70 }, { "韩", 70 }, { "冯", 70 },
	{ "邓", 70 }, { "曹", 70 }, { "彭", 60 }, { "曾", 60 },
	{ "肖", 60 }, { "田", 60 }, { "董", 60 }, { "袁", 50 },
	{ "潘", 50 }, { "于", 50 }, { "蒋", 50 }, { "蔡", 50 },
	{ "余", 50 }, { "杜", 50 }, { "叶", 50 }, { "程", 50 },
	{ "苏", 40 }, { "魏", 40 }, { "吕", 40 }, { "丁", 40 },
	{ "任", 40 }, { "沈", 40 }, { "姚", 40 }, { "卢", 40 },
	{ "姜", 40 }, { "崔", 30 }, { "钟", 30 }, { "谭", 30 },
	{ "陆", 30 }, { "汪", 30 }, { "范", 30 }, { "金", 30 },
	{ "石", 30 }, { "廖", 30 }, { "贾", 30 }, { "夏", 30 },
	{ "韦", 30 }, { "付", 30 }, { "方", 30 }, { "白", 30 },
	{ "邹", 30 }, { "孟", 30 }, { "熊", 30 }, { "秦", 30 },
	{ "邱", 30 }, { "江", 30 }, { "尹", 20 }, { "薛", 20 },
	{ "闫", 20 }, { "段", 20 }, { "雷", 20 }, { "侯", 20 },
	{ "龙", 20 }, { "史", 20 }, { "陶", 20 }, { "黎", 20 },
	{ "贺", 20 }, { "顾", 20 }, { "毛", 20 }, { "郝", 20 },
	{ "龚", 20 }, { "邵", 20 }, { "万", 20 }, { "钱", 20 },
	{ "覃", 20 }, { "武", 20 }, { "戴", 20 }, { "莫", 20 },
	{ "孔", 10 }, { "向", 10 }, { "汤", 10 }, { "欧阳", 6 },
	{ "司马", 2 }, { "上官", 2 }, { "诸葛", 2 }, { "东方", 1 },
	{ "皇甫", 1 }, { "慕容", 1 }, { "令狐", 1 }, { "尉迟", 1 },
};

static const char *const given_male[] = {
	"伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚",
	"平", "辉", "鹏", "华", "飞", "鑫", "波", "宇", "浩", "凯", "健",
	"俊", "帆", "帅", "旭", "宁", "龙", "林", "阳", "建", "国", "志",
	"文", "博", "晨", "子", "睿", "泽", "轩", "海", "振", "东", "成",
};
static const char *const given_female[] = {
	"芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "玲", "燕",
	"婷", "雪", "慧", "莹", "倩", "琳", "欣", "怡", "佳", "梅", "红",
	"颖", "萍", "晶", "瑶", "洁", "丹", "璐", "雨", "思", "梦", "诗",
	"涵", "悦", "嘉", "晓", "美", "兰", "月", "春", "彤", "妍", "琪",
};

/*
 * Real county-level administrative division codes (GB/T 2260), weighted
 * loosely towards the populous provinces.
 */
static const struct weighted regions[] = {
	{ "110101", 8 }, { "110105", 14 }, { "110108", 12 }, { "110114", 6 },
	{ "120101", 5 }, { "120104", 5 }, { "130102", 6 }, { "130682", 4 },
	{ "140105", 5 }, { "150102", 3 }, { "210102", 6 }, { "210203", 4 },
	{ "220102", 4 }, { "230102", 5 }, { "310101", 6 }, { "310104", 10 },
	{ "310115", 16 }, { "320102", 6 }, { "320582", 6 }, { "320506", 6 },
	{ "330106", 8 }, { "330382", 5 }, { "330502", 4 }, { "340104", 6 },
	{ "350203", 5 }, { "350582", 5 }, { "360102", 5 }, { "370102", 6 },
	{ "370212", 5 }, { "371302", 6 }, { "410105", 8 }, { "411302", 6 },
	{ "420102", 7 }, { "420111", 5 }, { "430102", 6 }, { "431102", 4 },
	{ "440103", 6 }, { "440106", 12 }, { "440304", 10 }, { "440305", 10 },
	{ "441302", 6 }, { "445102", 4 }, { "450103", 5 }, { "460105", 2 },
	{ "500103", 8 }, { "500112", 6 }, { "510104", 8 }, { "510722", 4 },
	{ "520102", 4 }, { "522401", 3 }, { "530102", 4 }, { "533102", 2 },
	{ "540102", 1 }, { "610113", 7 }, { "620102", 3 }, { "630102", 1 },
	{ "640104", 1 }, { "650102", 2 },
};

/* Mobile number segments of China Mobile, Unicom, Telecom and Broadnet. */
static const char *const mobile_prefixes[] = {
	"130", "131", "132", "133", "134", "135", "136", "137", "138",
	"139", "145", "147", "150", "151", "152", "153", "155", "156",
	"157", "158", "159", "166", "173", "175", "176", "177", "178",
	"180", "181", "182", "183", "184", "185", "186", "187", "188",
	"189", "191", "192", "195", "198", "199",
};

/* First octets of address blocks allocated to Chinese carriers. */
static const unsigned char ip_first[] = {
	36, 39, 42, 58, 59, 60, 61, 101, 106, 110, 111, 112, 113, 114, 115,
	116, 117, 119, 120, 121, 122, 123, 124, 125, 180, 182, 183, 218, 219,
	220, 221, 222, 223,
};

static const struct weighted products[] = {
	{ "cash_loan", 55 }, { "installment", 35 }, { "salary_advance", 10 },
};

static const char *const relations[] = {
	"parent", "spouse", "sibling", "friend", "colleague",
};

static const char openid_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* A person as the generator remembers them, for repeat applications. */
struct person {
	char name[64];
	char id_no[19];
	char phone[12];
	char openid[29];
	int64_t birth_day;	/* days since the epoch */
	double z;
	long k;
};

#define RECENT_MAX 256

/* Seconds between the members of a fraud ring, who apply by script. */
#define RING_STEP 4

/*
 * Each row draws from its own streams, keyed by (seed, row, purpose), so a
 * row's content never depends on how many numbers an earlier row used, and
 * what depends on the clock (time of day, birth dates, identity-number
 * retries) draws from streams of its own: the same seed gives the same
 * names, amounts and payloads whenever it runs.
 */
struct core_seed_gen {
	uint64_t seed;
	struct prng p;		/* the row's main stream */
	struct prng pt;		/* times */
	struct prng pi;		/* identity-number digits */
	int64_t now;
	long k;
	char openid_prefix[6];
	unsigned surname_total, region_total, product_total;
	/* The ring being emitted. */
	int ring_id, ring_left, ring_size, ring_kind;
	int64_t ring_time;
	char ring_device[65], ring_ip[16], ring_phone[12];
	/* Identity numbers issued so far (hashes), to keep them unique. */
	uint64_t *ids;
	size_t ids_cap, ids_n;
	struct person recent[RECENT_MAX];
	size_t nrecent;
};

/* Days since 1970-01-01 of a civil date (Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

char
core_seed_id_check(const char *id)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10,
		5, 8, 4, 2 };
	static const char map[] = "10X98765432";
	int i, sum = 0;

	for (i = 0; i < 17; i++) {
		if (id[i] < '0' || id[i] > '9')
			return 0;
		sum += (id[i] - '0') * w[i];
	}
	return map[sum % 11];
}

int
core_seed_id_valid(const char *id)
{
	char c;

	if (strlen(id) != 18)
		return 0;
	c = core_seed_id_check(id);
	return c != 0 && id[17] == c;
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h ? h : 1;
}

/* Adds the id's hash; 0 when it was new, 1 when already issued. */
static int
ids_add(struct core_seed_gen *g, const char *id)
{
	uint64_t h = fnv1a(id);
	size_t i, mask;

	if ((g->ids_n + 1) * 2 > g->ids_cap) {
		uint64_t *old = g->ids;
		size_t oldcap = g->ids_cap, j;

		g->ids_cap = oldcap ? oldcap * 2 : 4096;
		g->ids = ld_calloc(g->ids_cap, sizeof *g->ids);
		g->ids_n = 0;
		for (j = 0; j < oldcap; j++) {
			if (old[j] == 0)
				continue;
			mask = g->ids_cap - 1;
			for (i = old[j] & mask; g->ids[i] != 0;
			    i = (i + 1) & mask)
				;
			g->ids[i] = old[j];
			g->ids_n++;
		}
		free(old);
	}
	mask = g->ids_cap - 1;
	for (i = h & mask; g->ids[i] != 0; i = (i + 1) & mask)
		if (g->ids[i] == h)
			return 1;
	g->ids[i] = h;
	g->ids_n++;
	return 0;
}

struct core_seed_gen *
core_seed_gen_new(uint64_t seed, int64_t now)
{
	struct core_seed_gen *g = ld_calloc(1, sizeof *g);
	int i;

	g->seed = seed;
	prng_seed(&g->p, seed);
	g->now = now;
	/* Openids of one official account share a prefix. */
	g->openid_prefix[0] = 'o';
	for (i = 1; i < 5; i++)
		g->openid_prefix[i] = openid_alphabet[rnd_below(&g->p, 64)];
	g->openid_prefix[5] = '\0';
	g->surname_total = total_weight(surnames, NELEM(surnames));
	g->region_total = total_weight(regions, NELEM(regions));
	g->product_total = total_weight(products, NELEM(products));
	return g;
}

void
core_seed_gen_free(struct core_seed_gen *g)
{
	if (g == NULL)
		return;
	free(g->ids);
	free(g);
}

static void
gen_hex(struct prng *p, char *out, size_t nbytes)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < nbytes; i++) {
		unsigned b = (unsigned)rnd_below(p, 256);

		out[2 * i] = hx[b >> 4];
		out[2 * i + 1] = hx[b & 15];
	}
	out[2 * nbytes] = '\0';
}

static void
gen_phone(struct prng *p, char out[12])
{
	snprintf(out, 12, "%s%08u",
	    mobile_prefixes[rnd_below(p, NELEM(mobile_prefixes))],
	    (unsigned)rnd_below(p, 100000000));
}

static void
gen_ip(struct prng *p, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u",
	    (unsigned)ip_first[rnd_below(p, sizeof ip_first)],
	    (unsigned)rnd_below(p, 256), (unsigned)rnd_below(p, 256),
	    1 + (unsigned)rnd_below(p, 254));
}

/* An age in years: mostly 20-45, a tail to 60, a few under 18. */
static int
gen_age(struct prng *p)
{
	double u = rnd_unit(p);

	if (u < 0.006)
		return 16 + (int)rnd_below(p, 2);
	if (u < 0.05)
		return 18 + (int)rnd_below(p, 2);
	if (u < 0.88)
		return 20 + (int)rnd_below(p, 26);
	return 46 + (int)rnd_below(p, 15);
}

static void
gen_person(struct core_seed_gen *g, struct person *pp, int64_t submit_day,
    int age)
{
	struct prng *p = &g->p;
	const char *const *given;
	size_t ngiven;
	int male = rnd_chance(p, 0.5), y, tries, by;
	unsigned m, d, seq;
	int64_t base;

	given = male ? given_male : given_female;
	ngiven = male ? NELEM(given_male) : NELEM(given_female);
	snprintf(pp->name, sizeof pp->name, "%s%s%s",
	    pick(p, surnames, NELEM(surnames), g->surname_total),
	    given[rnd_below(p, (uint32_t)ngiven)],
	    rnd_chance(p, 0.72) ? given[rnd_below(p, (uint32_t)ngiven)] : "");
	/* Born age years before the submission day, up to 364 days more. */
	civil_from_days(submit_day, &y, &m, &d);
	by = y - age;
	if (m == 2 && d == 29 && !is_leap(by))
		d = 28;
	base = days_from_civil(by, m, d);
	pp->birth_day = base - (int64_t)rnd_below(p, 365);
	civil_from_days(pp->birth_day, &y, &m, &d);
	for (tries = 0;; tries++) {
		seq = rnd_below(&g->pi, 500) * 2 + (male ? 1u : 0u);
		snprintf(pp->id_no, sizeof pp->id_no, "%s%04d%02u%02u%03u",
		    pick(&g->pi, regions, NELEM(regions), g->region_total), y,
		    m, d, seq);
		pp->id_no[17] = core_seed_id_check(pp->id_no);
		pp->id_no[18] = '\0';
		if (!ids_add(g, pp->id_no) || tries > 1000)
			break;
	}
	gen_phone(p, pp->phone);
	memcpy(pp->openid, g->openid_prefix, 5);
	for (tries = 5; tries < 28; tries++)
		pp->openid[tries] = openid_alphabet[rnd_below(p, 64)];
	pp->openid[28] = '\0';
	pp->z = rnd_normal(p);
	pp->k = g->k;
}

/* Whole years between two day numbers, by calendar. */
static int
age_on(int64_t birth_day, int64_t day)
{
	int by, y;
	unsigned bm, bd, m, d;
	int age;

	civil_from_days(birth_day, &by, &bm, &bd);
	civil_from_days(day, &y, &m, &d);
	age = y - by;
	if (m < bm || (m == bm && d < bd))
		age--;
	return age;
}

/* Appends ,"key":value or nothing when the value is to be missing. */
static void
j_num(char *buf, size_t len, size_t *o, const char *key, double v,
    const char *fmt)
{
	int n;

	if (isnan(v) || *o >= len)
		return;
	n = snprintf(buf + *o, len - *o, "%s\"%s\":", buf[*o - 1] == '{' ?
	    "" : ",", key);
	if (n > 0)
		*o += (size_t)n;
	if (*o >= len)
		return;
	n = snprintf(buf + *o, len - *o, fmt, v);
	if (n > 0)
		*o += (size_t)n;
}

static void
j_raw(char *buf, size_t len, size_t *o, const char *key, const char *raw)
{
	int n;

	if (*o >= len)
		return;
	n = snprintf(buf + *o, len - *o, "%s\"%s\":%s", buf[*o - 1] == '{' ?
	    "" : ",", key, raw);
	if (n > 0)
		*o += (size_t)n;
}

static void
j_close(char *buf, size_t len, size_t *o)
{
	if (*o + 2 <= len) {
		buf[(*o)++] = '}';
		buf[*o] = '\0';
	} else {
		buf[len - 1] = '\0';
	}
}

/* A value, missing with probability pm (NAN). */
static double
maybe(struct prng *p, double pm, double v)
{
	return rnd_chance(p, pm) ? NAN : v;
}

/* Vendors sometimes send junk; the feature must then read as missing. */
static void
j_junk_or_num(struct prng *p, char *buf, size_t len, size_t *o,
    const char *key, double v, const char *fmt)
{
	if (!isnan(v) && rnd_chance(p, 0.004))
		j_raw(buf, len, o, key, rnd_chance(p, 0.5) ? "\"unknown\"" :
		    "null");
	else
		j_num(buf, len, o, key, v, fmt);
}

static void
gen_payloads(struct core_seed_gen *g, struct core_seed_row *r, double z,
    int fraud, int shared24)
{
	struct prng *p = &g->p;
	size_t s, o, cap = sizeof r->payload[0];
	char *b;
	double v;
	long i, nc;

	for (s = 0; s < CORE_SEED_NSOURCES; s++) {
		r->source[s] = risk_source_name((enum risk_source)s);
		r->payload[s][0] = '\0';
	}
	/* carrier: most applicants authorise it. */
	if (rnd_chance(p, fraud ? 0.7 : 0.9)) {
		b = r->payload[RISK_SRC_CARRIER];
		b[0] = '{';
		o = 1;
		v = fraud ? 1 + rnd_below(p, 4) :
		    clampd(round(exp(3.6 - 0.35 * z + 0.7 * rnd_normal(p))),
		    0, 360);
		j_junk_or_num(p, b, cap, &o, "network_months",
		    maybe(p, 0.03, v), "%.0f");
		if (!rnd_chance(p, 0.03))
			j_raw(b, cap, &o, "realname_verified",
			    rnd_chance(p, fraud ? 0.6 : z > 1.5 ? 0.9 : 0.98) ?
			    "true" : "false");
		v = round(exp(log(8000) - 0.1 * z + 0.5 * rnd_normal(p)));
		j_junk_or_num(p, b, cap, &o, "monthly_bill_fen",
		    maybe(p, 0.05, v), "%.0f");
		j_close(b, cap, &o);
	}
	/* device: the fingerprint SDK nearly always answers. */
	if (rnd_chance(p, 0.97)) {
		b = r->payload[RISK_SRC_DEVICE];
		b[0] = '{';
		o = 1;
		v = clampd(20 + 12 * z + 10 * rnd_normal(p) + (fraud ? 30 : 0),
		    0, 100);
		j_junk_or_num(p, b, cap, &o, "device_risk",
		    maybe(p, 0.02, round(v * 10) / 10), "%.1f");
		j_raw(b, cap, &o, "is_emulator",
		    rnd_chance(p, fraud ? 0.25 : 0.004) ? "true" : "false");
		j_raw(b, cap, &o, "is_rooted",
		    rnd_chance(p, fraud ? 0.2 : 0.02) ? "true" : "false");
		/*
		 * No shared-device count: the worker counts it in the
		 * applications table.  The draw stays so that every later
		 * number of the stream is what it was.
		 */
		(void)maybe(p, 0.01, shared24);
		j_close(b, cap, &o);
	}
	if (rnd_chance(p, 0.85)) {
		b = r->payload[RISK_SRC_BEHAVIOUR];
		b[0] = '{';
		o = 1;
		v = round(exp(3.0 - 0.1 * z + 0.6 * rnd_normal(p)));
		j_junk_or_num(p, b, cap, &o, "app_sessions_30d",
		    maybe(p, 0.03, v), "%.0f");
		v = sigmoid(-2.0 + 0.5 * z + 0.6 * rnd_normal(p));
		j_junk_or_num(p, b, cap, &o, "night_activity_ratio",
		    maybe(p, 0.05, round(v * 1000) / 1000), "%.3f");
		v = fraud ? exp(3.2 + 0.3 * rnd_normal(p)) :
		    exp(5.0 - 0.15 * z + 0.5 * rnd_normal(p));
		j_junk_or_num(p, b, cap, &o, "form_fill_seconds",
		    maybe(p, 0.03, round(clampd(v, 3, 86400) * 10) / 10),
		    "%.1f");
		j_close(b, cap, &o);
	}
	if (rnd_chance(p, 0.92)) {
		b = r->payload[RISK_SRC_THIRD_PARTY];
		b[0] = '{';
		o = 1;
		v = round(clampd(650 - 60 * z + 40 * rnd_normal(p), 300, 900));
		j_junk_or_num(p, b, cap, &o, "external_score",
		    maybe(p, 0.06, v), "%.0f");
		v = rnd_chance(p, 0.003 + (z > 2 ? 0.02 : 0) +
		    (fraud ? 0.1 : 0)) ? 1 + rnd_below(p, 3) : 0;
		j_num(b, cap, &o, "blacklist_hits", maybe(p, 0.01, v),
		    "%.0f");
		v = (double)rnd_poisson(p, exp(0.3 + 0.5 * z +
		    (fraud ? 1.0 : 0)));
		j_junk_or_num(p, b, cap, &o, "multi_apply_30d",
		    maybe(p, 0.02, v), "%.0f");
		j_raw(b, cap, &o, "agency", rnd_chance(p, 0.6) ?
		    "\"baihang\"" : "\"pudao\"");
		j_close(b, cap, &o);
	}
	/* application: what the applicant typed; always there. */
	b = r->payload[RISK_SRC_APPLICATION];
	b[0] = '{';
	o = 1;
	j_num(b, cap, &o, "age", r->age, "%.0f");
	j_num(b, cap, &o, "requested_amount_fen", (double)r->amount_fen,
	    "%.0f");
	j_num(b, cap, &o, "term_months", r->term_months, "%.0f");
	v = round(exp(log(600000) - 0.15 * z + 0.55 * rnd_normal(p)) / 100) *
	    100;
	j_num(b, cap, &o, "declared_income_fen", maybe(p, 0.08, v), "%.0f");
	j_close(b, cap, &o);
	/* history: only for returning customers. */
	if (rnd_chance(p, 0.45)) {
		b = r->payload[RISK_SRC_HISTORY];
		b[0] = '{';
		o = 1;
		v = (double)rnd_poisson(p, exp(0.8 - 0.3 * z));
		j_num(b, cap, &o, "prior_loans_repaid", maybe(p, 0.02, v),
		    "%.0f");
		v = rnd_chance(p, sigmoid(-1.5 + 0.9 * z)) ?
		    round(clampd(exp(1.5 + 0.8 * z + rnd_normal(p)), 1,
		    720)) : 0;
		j_num(b, cap, &o, "max_overdue_days_hist", maybe(p, 0.02, v),
		    "%.0f");
		j_close(b, cap, &o);
	}
	/* contacts: emergency contacts the applicant chose to declare. */
	if (rnd_chance(p, 0.55)) {
		b = r->payload[RISK_SRC_CONTACTS];
		o = (size_t)snprintf(b, cap, "{\"declared\":[");
		nc = 1 + (long)rnd_below(p, 3);
		for (i = 0; i < nc && o + 64 < cap; i++) {
			const char *ov = rnd_chance(p, 0.1) ? "" :
			    rnd_chance(p, sigmoid(-3.0 + 0.8 * z +
			    (fraud ? 1.5 : 0))) ? ",\"overdue\":true" :
			    ",\"overdue\":false";

			o += (size_t)snprintf(b + o, cap - o,
			    "%s{\"relation\":\"%s\"%s}", i ? "," : "",
			    relations[rnd_below(p, NELEM(relations))], ov);
		}
		snprintf(b + o, cap - o, "]}");
	}
}

/*
 * An amount a lender offers: whole hundreds of yuan from lo to hi (in
 * yuan), around median, in thousands from 10,000 up.
 */
static int64_t
gen_amount_fen(struct prng *p, double median, int64_t lo, int64_t hi)
{
	int64_t yuan = (int64_t)clampd(exp(log(median) + 0.9 * rnd_normal(p)),
	    (double)lo, (double)hi);

	yuan = yuan >= 10000 ? (yuan + 500) / 1000 * 1000 :
	    (yuan + 50) / 100 * 100;
	return (yuan < lo ? lo : yuan > hi ? hi : yuan) * 100;
}

/*
 * The APR by IRR in basis points (display precision), or -1 when it
 * cannot be computed.
 */
static double
apr_bps_of(const struct core_seed_row *r)
{
	struct core_schedule s;
	double apr;
	int m = core_repayment_parse(r->repayment);

	if (m < 0 || core_schedule_build(r->amount_fen, r->rate_bps,
	    r->term_months, (enum core_repayment)m, r->upfront_fee_fen,
	    r->monthly_fee_fen, &s, NULL) != LD_OK ||
	    core_schedule_apr(&s, &apr, NULL) != LD_OK)
		return -1;
	return apr * 10000.0;
}

/*
 * Products and their prices.  The nominal rate follows the applicant's
 * risk; the fees follow the product:
 *   cash_loan       ¥1,000-50,000, 3-24 months, annuity or equal
 *                   principal; two in five pay an upfront service fee of
 *                   1-3% of the principal (whole yuan), withheld from the
 *                   payout;
 *   installment     ¥500-30,000, 3-24 months; three in five are 0% with a
 *                   monthly fee of 0.35-0.75% of the principal (等本等息,
 *                   equal principal), the rest interest as a cash loan;
 *   salary_advance  ¥500-5,000 for 3 months, bullet or annuity, an upfront
 *                   fee of 1-2% (at least ¥5).
 * A lender prices within the 24% line by IRR: when the fees would take
 * the APR above GOOD_APR_BPS, the nominal rate comes down by the excess
 * (the fees go when that is not enough).  One application in 33 is priced
 * above the line regardless (nominal 24.1-36%), for the cap to refuse.
 */
#define GOOD_APR_BPS 2390

static void
gen_terms(struct prng *p, struct core_seed_row *r, double z)
{
	int lawful = rnd_chance(p, 0.97), flat = 0, i;
	double u, apr;

	r->upfront_fee_fen = r->monthly_fee_fen = 0;
	if (strcmp(r->product, "salary_advance") == 0) {
		r->amount_fen = (500 + 100 * (int64_t)rnd_below(p, 46)) * 100;
		r->term_months = 3;
		r->upfront_fee_fen = r->amount_fen *
		    (100 + 10 * (int64_t)rnd_below(p, 11)) / 10000 / 100 * 100;
		if (r->upfront_fee_fen < 500)
			r->upfront_fee_fen = 500;
	} else {
		if (strcmp(r->product, "installment") == 0) {
			r->amount_fen = gen_amount_fen(p, 3000, 500, 30000);
			flat = rnd_chance(p, 0.6);
		} else {
			r->amount_fen = gen_amount_fen(p, 5000, 1000, 50000);
			if (rnd_chance(p, 0.4))
				r->upfront_fee_fen = r->amount_fen *
				    (100 + 25 * (int64_t)rnd_below(p, 9)) /
				    10000 / 100 * 100;
		}
		u = rnd_unit(p);
		r->term_months = u < 0.2 ? 3 : u < 0.5 ? 6 : u < 0.85 ? 12 :
		    24;
	}
	if (flat) {
		/* Amounts are whole hundreds of yuan: whole fen a month. */
		r->rate_bps = 0;
		r->monthly_fee_fen = r->amount_fen / 10000 *
		    (35 + 5 * (int64_t)rnd_below(p, 9));
	} else if (lawful)
		r->rate_bps = (int)clampd(1200 + 350 * z + 150 * rnd_normal(p),
		    720, GOOD_APR_BPS) / 10 * 10;
	else
		r->rate_bps = 2410 + 10 * (int)rnd_below(p, 120);
	u = rnd_unit(p);
	snprintf(r->repayment, sizeof r->repayment, "%s", flat ?
	    "equal_principal" : r->term_months == 3 && u < 0.3 ? "bullet" :
	    u < 0.85 ? "annuity" : "equal_principal");
	if (!lawful)
		return;
	for (i = 0; i < 3 && (apr = apr_bps_of(r)) > GOOD_APR_BPS; i++) {
		int cut = ((int)ceil(apr) - GOOD_APR_BPS + 9) / 10 * 10;

		if (i < 2 && r->rate_bps > cut) {
			r->rate_bps -= cut;
		} else {
			r->upfront_fee_fen = r->monthly_fee_fen = 0;
			if (r->rate_bps > GOOD_APR_BPS - 10)
				r->rate_bps = GOOD_APR_BPS - 10;
		}
	}
}

void
core_seed_gen_next(struct core_seed_gen *g, struct core_seed_row *r)
{
	struct prng *p = &g->p;
	struct person pers, *pp = &pers;
	int64_t day;
	double z;
	int fraud = 0, shared24 = 1, reuse = 0;
	const char *prod;

	memset(r, 0, sizeof *r);
	r->k = g->k;
	prng_seed(&g->p, stream_seed(g->seed, g->k, 1));
	prng_seed(&g->pt, stream_seed(g->seed, g->k, 2));
	prng_seed(&g->pi, stream_seed(g->seed, g->k, 3));
	/* Start a fraud ring now and then; its members follow in a row. */
	if (g->ring_left == 0 && rnd_chance(p, 0.006)) {
		g->ring_id++;
		g->ring_size = g->ring_left = 3 + (int)rnd_below(p, 6);
		g->ring_kind = (int)rnd_below(p, 3);
		/*
		 * Early enough that the last member (at most 8, RING_STEP
		 * apart) is still in the past: capped to now, two members
		 * would share a time and the shared-device count would no
		 * longer be the rank.
		 */
		g->ring_time = g->now - CORE_SEED_WINDOW_S +
		    (int64_t)rnd_below(p, CORE_SEED_WINDOW_S - 8 * RING_STEP);
		gen_hex(p, g->ring_device, 32);
		gen_ip(p, g->ring_ip);
		gen_phone(p, g->ring_phone);
	}
	if (g->ring_left > 0) {
		fraud = 1;
		r->ring = g->ring_id;
		/*
		 * In order, a script's few seconds apart, so a member's
		 * shared-device count is its rank.
		 */
		r->submitted_at = g->ring_time +
		    (int64_t)(g->ring_size - g->ring_left) * RING_STEP +
		    (int64_t)rnd_below(&g->pt, RING_STEP / 2);
	} else {
		r->submitted_at = g->now -
		    (int64_t)rnd_below(&g->pt, CORE_SEED_WINDOW_S);
	}
	day = r->submitted_at / 86400;
	if (!fraud && g->nrecent > 0 && rnd_chance(p, 0.04)) {
		/* A returning applicant. */
		pers = g->recent[rnd_below(p, (uint32_t)g->nrecent)];
		reuse = 1;
	} else {
		gen_person(g, pp, day, gen_age(p));
	}
	r->age = age_on(pp->birth_day, day);
	z = pp->z + (fraud ? 1.5 : 0);
	r->applicant_k = reuse ? pp->k : g->k;
	snprintf(r->name, sizeof r->name, "%s", pp->name);
	memcpy(r->id_no, pp->id_no, sizeof r->id_no);
	memcpy(r->openid, pp->openid, sizeof r->openid);
	memcpy(r->phone, pp->phone, sizeof r->phone);
	gen_hex(p, r->device_hash, 32);
	gen_ip(p, r->ip);
	if (fraud) {
		r->ring_link = g->ring_kind == 0 ? "device" :
		    g->ring_kind == 1 ? "ip" : "phone";
		if (g->ring_kind == 0) {
			memcpy(r->device_hash, g->ring_device,
			    sizeof r->device_hash);
			/* In time order, so the count is the rank. */
			shared24 = g->ring_size - g->ring_left + 1;
		} else if (g->ring_kind == 1) {
			memcpy(r->ip, g->ring_ip, sizeof r->ip);
		} else {
			memcpy(r->phone, g->ring_phone, sizeof r->phone);
		}
		g->ring_left--;
	}
	if (!reuse && !fraud) {
		if (g->nrecent < RECENT_MAX)
			g->recent[g->nrecent++] = pers;
		else
			g->recent[rnd_below(p, RECENT_MAX)] = pers;
	}

	prod = pick(p, products, NELEM(products), g->product_total);
	snprintf(r->product, sizeof r->product, "%s", prod);
	gen_terms(p, r, z);
	r->bad = rnd_chance(p, sigmoid(-3.1 + 1.2 * z));
	r->device_shared_24h = shared24;
	gen_payloads(g, r, z, fraud, shared24);
	g->k++;
}

/* COPY text format: bytea as \\x..., which needs the doubled backslash. */
static void
copy_bytea(struct ld_buf *b, const unsigned char *p, size_t n)
{
	char hex[2 * 256 + 1];

	ld_hex_encode(p, n, hex);
	ld_buf_puts(b, "\\\\x");
	ld_buf_puts(b, hex);
}

/* Text COPY fields must not hold tab, newline, CR or backslash raw. */
static void
copy_text(struct ld_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\':
			ld_buf_puts(b, "\\\\");
			break;
		case '\t':
			ld_buf_puts(b, "\\t");
			break;
		case '\n':
			ld_buf_puts(b, "\\n");
			break;
		case '\r':
			ld_buf_puts(b, "\\r");
			break;
		default:
			ld_buf_append(b, s, 1);
		}
	}
}

static enum ld_status
seal_field(const struct ld_pii_key *pii, const struct ld_pii_key *bidx,
    const char *field, const char *value, struct ld_buf *b,
    struct ld_err *err)
{
	unsigned char sealed[128 + LD_PII_OVERHEAD], ix[32];
	size_t n = strlen(value);
	enum ld_status st;

	if (n > 128)
		return ld_err_set(err, LD_EINVAL, "seed: %s too long", field);
	st = ld_pii_seal(pii, field, value, n, sealed, err);
	if (st != LD_OK)
		return st;
	ld_pii_blind_index(bidx, field, value, ix);
	copy_bytea(b, sealed, n + LD_PII_OVERHEAD);
	ld_buf_puts(b, "\t");
	copy_bytea(b, ix, 32);
	return LD_OK;
}

static void
fmt_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S+00", &tm);
}

static enum ld_status
copy_send(struct ld_db *db, const char *sql, const struct ld_buf *b,
    struct ld_err *err)
{
	return ld_db_copy_in(db, sql, b->data != NULL ? b->data : "", b->len,
	    err);
}

static const char stage_applicants_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS seed_applicants ("
    " k bigint PRIMARY KEY, name_enc bytea, name_bidx bytea,"
    " name_masked text, id_no_enc bytea, id_no_bidx bytea,"
    " id_no_masked text, phone_enc bytea, phone_bidx bytea,"
    " phone_masked text, openid text) ON COMMIT DELETE ROWS";

static const char stage_applications_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS seed_applications ("
    " k bigint PRIMARY KEY, id bigint, product text, amount_fen bigint,"
    " term_months integer, rate_bps integer, repayment text,"
    " device_hash text, ip inet, submitted_at timestamptz,"
    " upfront_fee_fen bigint, monthly_fee_fen bigint)"
    " ON COMMIT DELETE ROWS";

/*
 * A person seen before (same identity number, by blind index) keeps their
 * applicant row: ON CONFLICT skips the new one and the join finds the old.
 */
static const char move_applicants_sql[] =
    "INSERT INTO applicants (name_enc, name_bidx, name_masked, id_no_enc,"
    " id_no_bidx, id_no_masked, phone_enc, phone_bidx, phone_masked,"
    " openid) SELECT name_enc, name_bidx, name_masked, id_no_enc,"
    " id_no_bidx, id_no_masked, phone_enc, phone_bidx, phone_masked,"
    " openid FROM seed_applicants ORDER BY k"
    " ON CONFLICT (id_no_bidx) DO NOTHING";

static const char move_applications_sql[] =
    "INSERT INTO applications (id, applicant_id, product, amount_fen,"
    " term_months, rate_bps, repayment, status, device_hash, ip,"
    " submitted_at, updated_at, upfront_fee_fen, monthly_fee_fen)"
    " OVERRIDING SYSTEM VALUE"
    " SELECT s.id, a.id, s.product, s.amount_fen, s.term_months,"
    " s.rate_bps, s.repayment, 'received', s.device_hash, s.ip,"
    " s.submitted_at, s.submitted_at, s.upfront_fee_fen,"
    " s.monthly_fee_fen"
    " FROM seed_applications s JOIN seed_applicants p ON p.k = s.k"
    " JOIN applicants a ON a.id_no_bidx = p.id_no_bidx ORDER BY s.k";

static enum ld_status
load_batch(struct ld_db *db, struct core_seed_gen *g,
    const struct ld_pii_key *pii, const struct ld_pii_key *bidx, long n,
    struct core_seed_row *row, struct core_seed_stats *stats,
    struct ld_err *err)
{
	struct ld_buf pb, ab, xb;
	PGresult *res = NULL;
	enum ld_status st;
	char nbuf[32], when[32], masked[96];
	const char *params[1];
	long i;
	size_t s;

	ld_buf_init(&pb, 0);
	ld_buf_init(&ab, 0);
	ld_buf_init(&xb, 0);
	st = ld_db_begin(db, err);
	if (st != LD_OK)
		goto out;
	snprintf(nbuf, sizeof nbuf, "%ld", n);
	params[0] = nbuf;
	/* Application ids up front, so alt_data can go straight in. */
	st = ld_db_exec(db, "SELECT nextval(pg_get_serial_sequence("
	    "'applications', 'id')) FROM generate_series(1, $1::integer)", 1,
	    params, &res, err);
	if (st != LD_OK)
		goto out;
	if (PQntuples(res) != n) {
		st = ld_err_set(err, LD_EDB, "seed: asked for %ld ids, got %d",
		    n, PQntuples(res));
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *app_id = PQgetvalue(res, (int)i, 0);

		core_seed_gen_next(g, row);
		/* seed_applicants */
		ld_buf_printf(&pb, "%ld\t", row->k);
		if ((st = seal_field(pii, bidx, "name", row->name, &pb, err)))
			goto out;
		ld_pii_mask_name(row->name, masked, sizeof masked);
		ld_buf_puts(&pb, "\t");
		copy_text(&pb, masked);
		ld_buf_puts(&pb, "\t");
		if ((st = seal_field(pii, bidx, "id_no", row->id_no, &pb,
		    err)))
			goto out;
		ld_pii_mask_id(row->id_no, masked, sizeof masked);
		ld_buf_printf(&pb, "\t%s\t", masked);
		if ((st = seal_field(pii, bidx, "phone", row->phone, &pb,
		    err)))
			goto out;
		ld_pii_mask_phone(row->phone, masked, sizeof masked);
		ld_buf_printf(&pb, "\t%s\t%s\n", masked, row->openid);
		/* seed_applications */
		fmt_time(row->submitted_at, when);
		ld_buf_printf(&ab, "%ld\t%s\t%s\t%lld\t%d\t%d\t%s\t%s\t%s\t%s"
		    "\t%lld\t%lld\n", row->k, app_id, row->product,
		    (long long)row->amount_fen, row->term_months,
		    row->rate_bps, row->repayment, row->device_hash, row->ip,
		    when, (long long)row->upfront_fee_fen,
		    (long long)row->monthly_fee_fen);
		/* alt_data, fetched a minute or so before submission */
		fmt_time(row->submitted_at - 60, when);
		for (s = 0; s < CORE_SEED_NSOURCES; s++) {
			if (row->payload[s][0] == '\0')
				continue;
			ld_buf_printf(&xb, "%s\t%s\t", app_id, row->source[s]);
			copy_text(&xb, row->payload[s]);
			ld_buf_printf(&xb, "\t%s\n", when);
			stats->alt_rows++;
		}
		if (row->ring)
			stats->ring_members++;
	}
	PQclear(res);
	res = NULL;
	if ((st = ld_db_cmd(db, stage_applicants_sql, err)) != LD_OK ||
	    (st = ld_db_cmd(db, stage_applications_sql, err)) != LD_OK)
		goto out;
	if ((st = copy_send(db, "COPY seed_applicants FROM STDIN", &pb,
	    err)) != LD_OK)
		goto out;
	if ((st = copy_send(db, "COPY seed_applications (k, id, product,"
	    " amount_fen, term_months, rate_bps, repayment, device_hash, ip,"
	    " submitted_at, upfront_fee_fen, monthly_fee_fen) FROM STDIN", &ab,
	    err)) != LD_OK)
		goto out;
	if ((st = ld_db_exec(db, move_applicants_sql, 0, NULL, &res,
	    err)) != LD_OK)
		goto out;
	stats->applicants += strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	res = NULL;
	if ((st = ld_db_exec(db, move_applications_sql, 0, NULL, &res,
	    err)) != LD_OK)
		goto out;
	if (strtol(PQcmdTuples(res), NULL, 10) != n) {
		st = ld_err_set(err, LD_EINTERNAL,
		    "seed: %s of %ld applications linked to an applicant",
		    PQcmdTuples(res), n);
		goto out;
	}
	PQclear(res);
	res = NULL;
	if ((st = copy_send(db, "COPY alt_data (application_id, source,"
	    " payload, fetched_at) FROM STDIN", &xb, err)) != LD_OK)
		goto out;
	if ((st = ld_db_cmd(db, "NOTIFY applications_received", err)) !=
	    LD_OK)
		goto out;
	st = ld_db_commit(db, err);
	if (st == LD_OK)
		stats->applications += n;
out:
	PQclear(res);
	if (st != LD_OK)
		ld_db_rollback(db);
	ld_buf_free(&pb);
	ld_buf_free(&ab);
	ld_buf_free(&xb);
	return st;
}

enum ld_status
core_seed_load(struct ld_db *db, const struct ld_pii_key *pii,
    const struct ld_pii_key *bidx, const struct core_seed_opts *o,
    struct core_seed_stats *stats, struct ld_err *err)
{
	struct core_seed_gen *g;
	struct core_seed_row *row;
	enum ld_status st = LD_OK;
	long done = 0, n;
	int batch = o->batch_size > 0 ? o->batch_size : 2000;

	memset(stats, 0, sizeof *stats);
	if (o->count < 0)
		return ld_err_set(err, LD_EINVAL, "seed: negative count");
	g = core_seed_gen_new(o->seed, o->now ? o->now : (int64_t)time(NULL));
	row = ld_malloc(sizeof *row);
	while (done < o->count) {
		n = o->count - done < batch ? o->count - done : batch;
		st = load_batch(db, g, pii, bidx, n, row, stats, err);
		if (st != LD_OK) {
			ld_err_prefix(err, "seed: batch at application %ld: ",
			    done + 1);
			break;
		}
		done += n;
		if (o->progress != NULL)
			o->progress(o->progress_arg, done, o->count);
	}
	free(row);
	core_seed_gen_free(g);
	return st;
}

enum ld_status
core_seed_training_csv(FILE *out, const struct core_seed_opts *o,
    struct ld_err *err)
{
	struct core_seed_gen *g;
	struct core_seed_row *row;
	struct risk_payloads *pl;
	const char *const *names = risk_feature_names();
	size_t nf = risk_feature_count(), i, s;
	double *x;
	long k;
	enum ld_status st = LD_OK;

	g = core_seed_gen_new(o->seed, o->now ? o->now : (int64_t)time(NULL));
	row = ld_malloc(sizeof *row);
	x = ld_calloc(nf, sizeof *x);
	fputs("k,bad", out);
	for (i = 0; i < nf; i++)
		fprintf(out, ",%s", names[i]);
	fputc('\n', out);
	for (k = 0; k < o->count; k++) {
		core_seed_gen_next(g, row);
		pl = risk_payloads_new();
		for (s = 0; s < CORE_SEED_NSOURCES; s++)
			if (row->payload[s][0] != '\0')
				/* Our own payloads are objects; cannot fail. */
				(void)risk_payloads_set_json(pl,
				    (enum risk_source)s, row->payload[s],
				    strlen(row->payload[s]), NULL);
		/* What the worker will count in the applications table. */
		(void)risk_payloads_set_linked(pl,
		    "device_shared_applicants_24h", row->device_shared_24h,
		    NULL);
		risk_features_extract_all(pl, x);
		risk_payloads_free(pl);
		fprintf(out, "%ld,%d", row->k, row->bad);
		for (i = 0; i < nf; i++) {
			if (isnan(x[i]))
				fputs(",", out);
			else
				fprintf(out, ",%.17g", x[i]);
		}
		fputc('\n', out);
		if (o->progress != NULL && (k + 1) % 5000 == 0)
			o->progress(o->progress_arg, k + 1, o->count);
	}
	if (fflush(out) != 0 || ferror(out))
		st = ld_err_set(err, LD_EIO, "seed: writing the training set "
		    "failed");
	free(x);
	free(row);
	core_seed_gen_free(g);
	return st;
}
