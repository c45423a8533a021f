/*
 * Synthetic applicants and applications for demos, tests and benchmarks:
 * Chinese names, GB 11643 identity numbers, mobile numbers, openids,
 * alternative-data payloads drawn from a latent risk, and fraud rings that
 * share a device, an IP address or a phone.  The same seed always gives the
 * same people, amounts and payloads (only ciphertexts and the anchor time
 * differ), on any machine.
 */
#ifndef LD_CORE_SEED_H
#define LD_CORE_SEED_H

#include <stdint.h>
#include <stdio.h>

#include "ld_err.h"

struct ld_db;
#include "ld_pii.h"

/* Sources of alt_data rows, in the order the seed writes them. */
#define CORE_SEED_NSOURCES 7

struct core_seed_gen;		/* opaque generator state */

/* One generated application with its applicant (plain text, not sealed). */
struct core_seed_row {
	long k;			/* position in the run, from 0 */
	long applicant_k;	/* k of the row that introduced this person */
	char name[64];		/* UTF-8, 2 to 4 characters */
	char id_no[19];		/* 18 characters, GB 11643 */
	char phone[12];
	char openid[29];
	int age;		/* whole years at submission */
	char product[24];
	int64_t amount_fen;	/* whole hundreds of yuan */
	int term_months;
	int rate_bps;
	int64_t upfront_fee_fen;	/* withheld from the payout */
	int64_t monthly_fee_fen;	/* added to every instalment */
	char repayment[16];
	char device_hash[65];
	char ip[16];
	int64_t submitted_at;	/* seconds since the epoch */
	int bad;		/* the latent outcome: 1 = would default */
	int ring;		/* 0, or the fraud ring's number */
	/*
	 * Distinct applicants on device_hash in the 24 hours up to this
	 * application, as the scoring worker counts them in the applications
	 * table once the run is loaded (never written into a payload).
	 */
	int device_shared_24h;
	const char *ring_link;	/* what the ring shares: "device", "ip", "phone" */
	/* JSON payload per source; "" when the source is absent. */
	const char *source[CORE_SEED_NSOURCES];
	char payload[CORE_SEED_NSOURCES][768];
};

/*
 * Applications are submitted within this many seconds before the anchor:
 * the seed is the queue the scoring worker finds on arrival, not a history
 * (a history would need decisions, which only the worker and the api
 * functions write, at the database's time).  A worker that runs while the
 * seed loads decides each application within about this long of its
 * submission.
 */
#define CORE_SEED_WINDOW_S 60

/*
 * Starts a generator.  now anchors submitted_at (spread over the
 * CORE_SEED_WINDOW_S before it).  Never fails; free with
 * core_seed_gen_free().
 */
struct core_seed_gen *core_seed_gen_new(uint64_t seed, int64_t now);
void core_seed_gen_free(struct core_seed_gen *g);

/* Fills row with the next application of the run. */
void core_seed_gen_next(struct core_seed_gen *g, struct core_seed_row *row);

/*
 * GB 11643 check character for the first 17 digits of id (ISO 7064
 * MOD 11-2): '0'..'9' or 'X'; 0 when id does not start with 17 digits.
 */
char core_seed_id_check(const char *id);

/* 1 when id is 18 characters with a valid check character, else 0. */
int core_seed_id_valid(const char *id);

struct core_seed_opts {
	uint64_t seed;
	long count;
	int batch_size;		/* applications per transaction */
	int64_t now;		/* anchor for submitted_at; 0 = time(NULL) */
	/* Called after each committed batch; may be NULL. */
	void (*progress)(void *arg, long done, long total);
	void *progress_arg;
};

struct core_seed_stats {
	long applications;
	long applicants;	/* new applicant rows */
	long alt_rows;
	long ring_members;
};

/*
 * Generates o->count applications and loads them with COPY, one transaction
 * per batch, sealing personal data with pii and indexing it with bidx.
 * Applications are 'received' and a NOTIFY applications_received follows
 * each batch.  A person already in the database (same identity number) is
 * reused as the applicant.  On failure the current batch is rolled back,
 * earlier batches stay, and err says which batch and why.
 */
enum ld_status core_seed_load(struct ld_db *db, const struct ld_pii_key *pii,
    const struct ld_pii_key *bidx, const struct core_seed_opts *o,
    struct core_seed_stats *stats, struct ld_err *err);

/*
 * Writes a training set for demo models instead of loading: a header, then
 * per application the id (k), the label `bad` and the payloads' features as
 * named by the risk engine's catalogue (empty cell = missing).
 */
enum ld_status core_seed_training_csv(FILE *out,
    const struct core_seed_opts *o, struct ld_err *err);

#endif
