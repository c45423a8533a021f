/*
 * What every part of the simulator uses: clocks (monotonic for schedules,
 * Beijing days for limits and bills), the fault dice, names, a string map
 * and the platform signature over an answer.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "sim.h"
#include "ld_alloc.h"
#include "wxpay_crypto.h"

/* China has kept UTC+8 all year since 1991: Beijing time is UTC + 8 h. */
#define BEIJING_OFFSET	(8 * 3600)

int64_t
sim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
sim_rand_bps(struct sim *s)
{
	/* xorshift64*: test faults need speed, not secrecy. */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (int)((s->rng * UINT64_C(2685821657736338717)) >> 33) % 10000;
}

int
sim_knob_fire(struct sim *s, struct sim_knob *k)
{
	if (k->count > 0) {
		k->count--;
		return 1;
	}
	return k->bps > 0 && sim_rand_bps(s) < k->bps;
}

int64_t
sim_scaled_ms(const struct sim *s, long sim_seconds)
{
	return (int64_t)sim_seconds * 1000 / s->cfg.time_scale;
}

void
sim_sleep(struct sim *s, int ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->stopping &&
	    pthread_cond_timedwait(&s->wake, &s->lock, &ts) == 0)
		;
	pthread_mutex_unlock(&s->lock);
}

const char *
sim_state_name(enum sim_state st)
{
	static const char *const names[] = {
		"ACCEPTED", "PROCESSING", "WAIT_USER_CONFIRM", "TRANSFERING",
		"SUCCESS", "FAIL", "CANCELING", "CANCELLED"
	};

	return (size_t)st < sizeof names / sizeof names[0] ? names[st] :
	    "UNKNOWN";
}

static const char *const account_names[SIM_NACCOUNTS] = {
	"BASIC", "OPERATION", "FEES"
};

const char *
sim_account_name(enum sim_account a)
{
	return (size_t)a < SIM_NACCOUNTS ? account_names[a] : "UNKNOWN";
}

int
sim_account_parse(const char *name)
{
	int i;

	for (i = 0; i < SIM_NACCOUNTS; i++)
		if (strcmp(name, account_names[i]) == 0)
			return i;
	return -1;
}

void
sim_rfc3339(time_t t, char out[32])
{
	struct tm tm;
	time_t bj = t + BEIJING_OFFSET;

	gmtime_r(&bj, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

long
sim_day(time_t t)
{
	return (long)((t + BEIJING_OFFSET) / 86400);
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static long
days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

long
sim_day_parse(const char *text)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	long y = 0, m, d;
	int i, leap;

	/* Exactly YYYY-MM-DD: digits where digits go, nothing after. */
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? text[i] != '-' :
		    !(text[i] >= '0' && text[i] <= '9'))
			return -1;
	if (text[10] != '\0')
		return -1;
	for (i = 0; i < 4; i++)
		y = y * 10 + (text[i] - '0');
	m = (text[5] - '0') * 10 + (text[6] - '0');
	d = (text[8] - '0') * 10 + (text[9] - '0');
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] + (m == 2 && leap))
		return -1;
	return days_from_civil(y, m, d);
}

/* FNV-1a; the keys are short bill numbers. */
static size_t
hash_str(const char *k)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (; *k != '\0'; k++) {
		h ^= (unsigned char)*k;
		h *= UINT64_C(1099511628211);
	}
	return (size_t)h;
}

void *
sim_map_get(const struct sim_map *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = hash_str(key) & (m->cap - 1); m->keys[i] != NULL;
	    i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0)
			return m->vals[i];
	return NULL;
}

void
sim_map_put(struct sim_map *m, const char *key, void *val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct sim_map big;
		size_t j;

		big.cap = m->cap ? m->cap * 2 : 64;
		big.n = 0;
		big.keys = ld_calloc(big.cap, sizeof *big.keys);
		big.vals = ld_calloc(big.cap, sizeof *big.vals);
		for (j = 0; j < m->cap; j++)
			if (m->keys[j] != NULL)
				sim_map_put(&big, m->keys[j], m->vals[j]);
		free(m->keys);
		free(m->vals);
		*m = big;
	}
	for (i = hash_str(key) & (m->cap - 1); m->keys[i] != NULL;
	    i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0) {
			m->vals[i] = val;
			return;
		}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
}

void
sim_map_free(struct sim_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

enum ld_status
sim_sign_answer(struct sim *s, const char *body, size_t len, long age,
    char ts[24], char nonce[33], char **signature, struct ld_err *err)
{
	char *msg;
	size_t mlen;
	enum ld_status st;

	snprintf(ts, 24, "%lld", (long long)time(NULL) - age);
	if (wx_random_nonce(nonce, err) != LD_OK)
		return err->code;
	msg = wx_v3_response_message_len(ts, nonce, body, len, &mlen);
	st = wx_rsa_sign_b64(s->platform_key, msg, mlen, signature, err);
	free(msg);
	return st;
}

void
sim_json_add_i64(cJSON *o, const char *name, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%lld", (long long)v);
	cJSON_AddRawToObject(o, name, buf);
}

void
sim_json_add_time(cJSON *o, const char *name, time_t t)
{
	char buf[32];

	sim_rfc3339(t, buf);
	cJSON_AddStringToObject(o, name, buf);
}
