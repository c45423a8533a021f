/*
 * The tables of core_states.h as data: each row once, looked up by enum
 * or by the word the database stores.
 */
#include "config.h"

#include <string.h>

#include "core_states.h"

static const struct {
	const char *sql;
	enum core_tone tone;
	unsigned flags;
	unsigned takes;
	const char *refusal;
} app_statuses[CORE_APP_STATUS_COUNT] = {
	[CORE_APP_NONE] = { "", CORE_TONE_PLAIN, 0u, CORE_TAKES_NONE,
		"no application loaded" },
#define CORE_X(id, sql, tone, flags, takes, refusal) \
	[CORE_APP_##id] = { sql, CORE_TONE_##tone, flags, takes, refusal },
	CORE_APP_STATUSES(CORE_X)
#undef CORE_X
};

static const struct {
	const char *sql;
	const char *verb;
	enum core_app_status outcome;
} decisions[CORE_DECISION_COUNT] = {
#define CORE_X(id, sql, verb, outcome) \
	[CORE_##id] = { sql, verb, CORE_APP_##outcome },
	CORE_DECISIONS(CORE_X)
#undef CORE_X
};

static const char *const review_states[CORE_REVIEW_STATE_COUNT] = {
	[CORE_REVIEW_STATE_NONE] = "",
#define CORE_X(id, sql) [CORE_REVIEW_STATE_##id] = sql,
	CORE_REVIEW_STATES(CORE_X)
#undef CORE_X
};

static const char *const review_kinds[CORE_REVIEW_KIND_COUNT] = {
	[CORE_REVIEW_KIND_ANY] = "",
#define CORE_X(id, sql) [CORE_REVIEW_KIND_##id] = sql,
	CORE_REVIEW_KINDS(CORE_X)
#undef CORE_X
};

static const char *const review_actions[CORE_REVIEW_ACTION_COUNT] = {
#define CORE_X(id, sql) [CORE_REVIEW_DO_##id] = sql,
	CORE_REVIEW_ACTIONS(CORE_X)
#undef CORE_X
};

static const struct {
	enum core_review_state from;
	enum core_review_action action;
	enum core_review_state to;
} review_moves[] = {
#define CORE_X(from, action, to) { CORE_REVIEW_STATE_##from, \
	CORE_REVIEW_DO_##action, CORE_REVIEW_STATE_##to },
	CORE_REVIEW_TRANSITIONS(CORE_X)
#undef CORE_X
};

/* The index of the word sql in words[0..n) from first, or 0. */
static int
find_word(const char *const *words, int n, int first, const char *sql)
{
	int i;

	if (sql == NULL || *sql == '\0')
		return 0;
	for (i = first; i < n; i++)
		if (strcmp(words[i], sql) == 0)
			return i;
	return 0;
}

const char *
core_app_status_sql(enum core_app_status s)
{
	if ((int)s < 0 || s >= CORE_APP_STATUS_COUNT)
		s = CORE_APP_NONE;
	return app_statuses[s].sql;
}

enum core_app_status
core_app_status_parse(const char *sql)
{
	int i;

	if (sql == NULL || *sql == '\0')
		return CORE_APP_NONE;
	for (i = CORE_APP_NONE + 1; i < CORE_APP_STATUS_COUNT; i++)
		if (strcmp(app_statuses[i].sql, sql) == 0)
			return (enum core_app_status)i;
	return CORE_APP_NONE;
}

enum core_tone
core_app_status_tone(enum core_app_status s)
{
	if ((int)s < 0 || s >= CORE_APP_STATUS_COUNT)
		return CORE_TONE_PLAIN;
	return app_statuses[s].tone;
}

int
core_app_status_is(enum core_app_status s, unsigned flags)
{
	if ((int)s < 0 || s >= CORE_APP_STATUS_COUNT)
		return 0;
	return (app_statuses[s].flags & flags) == flags;
}

static int
decision_ok(enum core_decision d)
{
	return (int)d >= 0 && d < CORE_DECISION_COUNT;
}

const char *
core_decision_name(enum core_decision d)
{
	return decision_ok(d) ? decisions[d].sql : "?";
}

int
core_decision_parse(const char *sql)
{
	int i;

	for (i = 0; sql != NULL && i < CORE_DECISION_COUNT; i++)
		if (strcmp(decisions[i].sql, sql) == 0)
			return i;
	return -1;
}

const char *
core_decision_verb(enum core_decision d)
{
	return decision_ok(d) ? decisions[d].verb : "?";
}

enum core_app_status
core_decision_outcome(enum core_decision d)
{
	return decision_ok(d) ? decisions[d].outcome : CORE_APP_NONE;
}

const char *
core_decision_refusal(enum core_decision d, enum core_app_status s)
{
	if ((int)s < 0 || s >= CORE_APP_STATUS_COUNT)
		s = CORE_APP_NONE;
	if (decision_ok(d) && (app_statuses[s].takes & (1u << d)) != 0)
		return NULL;
	return app_statuses[s].refusal != NULL ? app_statuses[s].refusal :
	    "not from this status";
}

const char *
core_review_state_sql(enum core_review_state s)
{
	if ((int)s < 0 || s >= CORE_REVIEW_STATE_COUNT)
		s = CORE_REVIEW_STATE_NONE;
	return review_states[s];
}

enum core_review_state
core_review_state_parse(const char *sql)
{
	return (enum core_review_state)find_word(review_states,
	    CORE_REVIEW_STATE_COUNT, 1, sql);
}

const char *
core_review_kind_sql(enum core_review_kind k)
{
	if ((int)k < 0 || k >= CORE_REVIEW_KIND_COUNT)
		k = CORE_REVIEW_KIND_ANY;
	return review_kinds[k];
}

enum core_review_kind
core_review_kind_parse(const char *sql)
{
	return (enum core_review_kind)find_word(review_kinds,
	    CORE_REVIEW_KIND_COUNT, 1, sql);
}

const char *
core_review_action_sql(enum core_review_action a)
{
	if ((int)a < 0 || a >= CORE_REVIEW_ACTION_COUNT)
		return "?";
	return review_actions[a];
}

enum core_review_state
core_review_next(enum core_review_state from, enum core_review_action action)
{
	size_t i;

	for (i = 0; i < sizeof review_moves / sizeof review_moves[0]; i++)
		if (review_moves[i].from == from &&
		    review_moves[i].action == action)
			return review_moves[i].to;
	return CORE_REVIEW_STATE_NONE;
}
