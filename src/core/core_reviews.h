/*
 * The manual-review queue as an operator works it: their own claimed
 * reviews first, then the open ones oldest first, then those claimed by
 * others; filtered by a typed command (":mine", ":kind payout", ":id 42")
 * or text; and the api.review_* calls that claim, assign and release.
 */
#ifndef LD_CORE_REVIEWS_H
#define LD_CORE_REVIEWS_H

#include <stddef.h>
#include <stdint.h>

#include "core_states.h"
#include "ld_err.h"

struct core_session;
struct ld_db;

/* The parts of the queue, in the order they are listed. */
enum core_review_part {
	CORE_REVIEW_MINE,   /* claimed by the operator */
	CORE_REVIEW_OPEN,   /* claimed by nobody */
	CORE_REVIEW_OTHERS, /* claimed by someone else */
	CORE_REVIEW_PARTS
};

/* Which parts a view lists. */
enum core_reviews_view {
	CORE_REVIEWS_ALL,
	CORE_REVIEWS_MINE,
	CORE_REVIEWS_OPEN
};

struct core_reviews_filter {
	enum core_reviews_view view;
	enum core_review_kind kind; /* CORE_REVIEW_KIND_ANY: every kind */
	int64_t id;     /* review N, or application N's reviews; 0 any */
	char text[64];  /* in the name, reason or assignee; "" none */
};

struct core_review_row {
	int64_t id;
	enum core_review_kind kind;
	int64_t application_id; /* 0 for payout reviews */
	int64_t payout_id;
	int64_t case_id;        /* the application behind it, either kind */
	enum core_review_part part;
	char reason[96];
	char note[256];
	enum core_review_state state;
	char assignee[64];
	char opened[20];        /* "2026-11-25 11:22" in the session's zone */
	int64_t waiting_s;
	int64_t amount_fen;
	char name[64];
	enum core_app_status app_status;
};

struct core_reviews {
	struct core_review_row *rows;
	size_t n;
	/* Reviews in each part matching the filter's kind, id and text. */
	int64_t count[CORE_REVIEW_PARTS];
};

void core_reviews_filter_clear(struct core_reviews_filter *f);

/* True when the filter lists less than the whole queue. */
int core_reviews_filter_active(const struct core_reviews_filter *f);

/* "mine kind=payout id=42 /欧", or "" for the whole queue. */
void core_reviews_filter_describe(const struct core_reviews_filter *f,
    char *buf, size_t len);

/*
 * Applies a typed queue command:
 *   mine | open | all             which parts are listed
 *   kind application|payout | kind
 *   id N | id                     review N, or application N's reviews
 *                                 (clears the other filters: a jump)
 *   clear
 * On LD_EINVAL err says what is wrong with which word and f is
 * unchanged.
 */
enum ld_status core_reviews_command(const char *cmd,
    struct core_reviews_filter *f, struct ld_err *err);

/*
 * Up to limit reviews not closed that the filter lists, in queue order:
 * the operator's (current_user's) claimed ones, the open ones, then
 * those claimed by others, each oldest first.  Free with
 * core_reviews_free.
 */
enum ld_status core_reviews_load(struct core_session *s,
    const struct core_reviews_filter *f, size_t limit,
    struct core_reviews *out, struct ld_err *err);
void core_reviews_free(struct core_reviews *r);

/*
 * api.review_claim / review_assign / review_release as the operator.
 * The database's message names the review; others get "review N: ".
 */
enum ld_status core_review_claim(struct ld_db *db, int64_t id,
    struct ld_err *err);
enum ld_status core_review_assign(struct ld_db *db, int64_t id,
    const char *assignee, struct ld_err *err);
enum ld_status core_review_release(struct ld_db *db, int64_t id,
    struct ld_err *err);

/* "3d 4h", "5h 12m", "42m", "30s": a short waiting time. */
void core_format_duration(int64_t secs, char *buf, size_t len);

#endif
