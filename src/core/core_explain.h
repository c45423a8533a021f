/*
 * The explanation a borrower can be given for a decision about their
 * application (PIPL art. 24): whether it was made by automated means, its
 * principal reasons in plain words, and how to ask for a person to review
 * it.
 *
 * The reasons of an automated decision come from what decided it, as the
 * policy applies them (src/risk/risk_policy.h): the reject rules that fired
 * (each rule's own text), else the model's exact contributions stored with
 * the score, ranked as the scoring worker ranks them (risk_reasons_pick():
 * phi > 0 descending, ties to the model's order, distinct codes, at most
 * RISK_REASONS_DEFAULT) and worded from the reason-code table.  A reason
 * whose code decision_reasons marks as not told (a fraud signal, 0019) is
 * never given: it is left out, and "other factors in the assessment" (the
 * table's fallback text) says that more was weighed.  A rule is told only
 * when every feature it reads maps to a told code.
 */
#ifndef LD_CORE_EXPLAIN_H
#define LD_CORE_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "ld_err.h"
#include "risk_reasons.h"

struct ld_db;

enum core_lang {
	CORE_LANG_ZH,
	CORE_LANG_EN
};

/* "zh" or "en" to the enum; -1 else. */
int core_lang_parse(const char *s);

enum core_explain_outcome {
	CORE_EXPLAIN_PENDING,  /* received, scored or in manual review */
	CORE_EXPLAIN_APPROVED,
	CORE_EXPLAIN_REJECTED
};

/* One reason as the borrower reads it. */
struct core_explain_reason {
	char code[40];  /* the reason code, or the rule's id */
	char text[640]; /* in the asked language */
};

struct core_explanation {
	int64_t id;
	char status[16];
	enum core_explain_outcome outcome;
	int automated;       /* decided by the rules and the model alone */
	char decided_at[40]; /* "2026-05-01 14:03 (UTC+08)"; "" if pending */
	struct core_explain_reason reasons[RISK_REASONS_DEFAULT + 1];
	size_t nreasons;
	int withheld;        /* reasons left out as not told; internal */
	char review[512];    /* how to ask for a person's review */
};

/*
 * Explains application id in lang, with the reason texts of t.  Reads the
 * application, its champion score and decision_reasons, so the role must
 * read scores (risk officers, admins): LD_EPERM otherwise, LD_ENOTFOUND for
 * no such application, LD_EPROTO when the stored score is malformed.
 */
enum ld_status core_explain(struct ld_db *db,
    const struct risk_reason_table *t, int64_t id, enum core_lang lang,
    struct core_explanation *out, struct ld_err *err);

/*
 * The explanation as the text a borrower is sent, in its language, into
 * buf (always terminated).
 */
void core_explain_text(const struct core_explanation *x, enum core_lang lang,
    char *buf, size_t len);

#endif
