/*
 * The manual-review queue: open and claimed reviews, oldest first, and the
 * api.review_* calls that claim, assign and release them.
 */
#ifndef LD_CORE_REVIEWS_H
#define LD_CORE_REVIEWS_H

#include <stddef.h>
#include <stdint.h>

#include "ld_db.h"

struct core_review_row {
	int64_t id;
	char kind[12];
	int64_t application_id; /* 0 for payout reviews */
	int64_t payout_id;
	char reason[96];
	char state[10];
	char assignee[64];
	int64_t waiting_s;
	int64_t amount_fen;
	char name[64];
	char app_status[16];
};

struct core_reviews {
	struct core_review_row *rows;
	size_t n;
	int64_t open; /* reviews not closed, of which rows are the oldest */
};

/* Up to limit reviews not closed, oldest first; free with core_reviews_free. */
enum ld_status core_reviews_load(struct ld_db *db, size_t limit,
    struct core_reviews *out, struct ld_err *err);
void core_reviews_free(struct core_reviews *r);

/* api.review_claim / review_assign / review_release as the operator. */
enum ld_status core_review_claim(struct ld_db *db, int64_t id,
    struct ld_err *err);
enum ld_status core_review_assign(struct ld_db *db, int64_t id,
    const char *assignee, struct ld_err *err);
enum ld_status core_review_release(struct ld_db *db, int64_t id,
    struct ld_err *err);

/* "3d 4h", "5h 12m", "42m", "30s": a short waiting time. */
void core_format_duration(int64_t secs, char *buf, size_t len);

#endif
