/*
 * The configuration file: INI, parsed with inih, read into sections whose
 * meaning belongs to the modules that use them.
 *
 * This file knows the syntax, the value types, where the file comes from
 * and how a key file must be protected; it knows no section.  Each owner
 * declares its section as a table of keys over a struct of its own
 * ([database] in db/ld_db_config.h, [wxpay] in src/wxpay/wxpay_config.h,
 * [risk] in src/risk/risk_config.h, [payout] in src/payout/payout_config.h,
 * [security] in ld_pii_config.h, [daemon] in src/daemon/daemon_config.h),
 * and each program assembles the sections of its file as a list of parts.
 *
 * Where the file comes from: `-c FILE`, else $LOANDESK_CONF, else
 * $(sysconfdir)/loandesk/loandesk.conf when it exists; with no file the
 * defaults apply and the database comes from the PG* variables, as with
 * psql.  A section no part names, an unknown key, a malformed value and a
 * missing required key are errors that name file:line and key.  Key files
 * readable by group or others are refused.
 */
#ifndef LD_CONFIG_H
#define LD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "ld_err.h"

struct ld_buf;

enum ld_config_type {
	LD_CONFIG_STR,	/* char *, owned by the struct (free()) */
	LD_CONFIG_INT,	/* int, 0..INT_MAX */
	LD_CONFIG_LONG,	/* long, 0..LONG_MAX */
	LD_CONFIG_BPS,	/* int, basis points 0..10000 */
	LD_CONFIG_FEN,	/* int64_t, whole fen 0..10^13 */
	LD_CONFIG_WORD,	/* int-sized enum: one of the key's words */
	LD_CONFIG_BOOL	/* int 0 or 1: yes/no, true/false, on/off, 1/0 */
};

#define LD_CONFIG_REQUIRED	0x1 /* must be given when its section is */
#define LD_CONFIG_SECRET	0x2 /* names a key file: mode is checked */

/* One spelling an LD_CONFIG_WORD key accepts; a list ends with NULL. */
struct ld_config_word {
	const char *word;
	int value;
};

struct ld_config_key {
	const char *name;
	enum ld_config_type type;
	size_t offset;		/* of its field in the owner's struct */
	/* The built-in value, spelt as in the file; NULL: NULL or 0. */
	const char *def;
	unsigned flags;
	const struct ld_config_word *words; /* LD_CONFIG_WORD */
	/*
	 * The value on its own, once the file is read: NULL when it is
	 * acceptable, else what is wrong with it ("must be at least 1").
	 * NULL for none.
	 */
	const char *(*check)(const void *field);
};

/* What the loader saw of a section, for the owner's check. */
struct ld_config_at;

struct ld_config_section {
	const char *name;			/* "wxpay" */
	const struct ld_config_key *keys;	/* NULL: LD_CONFIG_ELSEWHERE */
	size_t nkeys;
	size_t size;				/* of the owner's struct */
	/*
	 * The values together, once the whole file is read (after each
	 * key's own check); NULL for nothing to check.  Fails through
	 * ld_config_fail() so that the error names the file and line.
	 */
	enum ld_status (*check)(void *conf, const struct ld_config_at *at,
	    struct ld_err *err);
};

/*
 * A section another program reads and checks: this program accepts it
 * in the file and reads none of its keys.
 */
#define LD_CONFIG_ELSEWHERE(section_name) \
	{ (section_name), NULL, 0, 0, NULL }

/*
 * One section of a program's file: its owner's table and the struct it
 * fills.  With conf NULL the section is read and checked like any other,
 * and dropped: for a section this program does not use but can check.
 */
struct ld_config_part {
	const struct ld_config_section *section;
	void *conf;
};

/*
 * Fills every part's struct with its built-in values (no file).  Fails
 * only when a table's own default does not parse, naming it.
 */
enum ld_status ld_config_defaults(const struct ld_config_part *parts,
    size_t nparts, struct ld_err *err);

/*
 * Resolves the file as described above (cli_path may be NULL), loads it
 * over the defaults and checks it.  *path is the file read (free()), or
 * NULL when running on defaults.  On failure every part holds its
 * defaults only and err says file:line and key.
 */
enum ld_status ld_config_load(const struct ld_config_part *parts,
    size_t nparts, const char *cli_path, char **path, struct ld_err *err);

/*
 * ld_config_load with another installed directory in place of
 * $(sysconfdir): looks for sysconfdir/loandesk/loandesk.conf.
 */
enum ld_status ld_config_load_from(const struct ld_config_part *parts,
    size_t nparts, const char *cli_path, const char *sysconfdir, char **path,
    struct ld_err *err);

/* Loads exactly this file (no search). */
enum ld_status ld_config_load_file(const struct ld_config_part *parts,
    size_t nparts, const char *file, struct ld_err *err);

/* Frees what the parts' structs own (their strings). */
void ld_config_free(const struct ld_config_part *parts, size_t nparts);

/* For a section's check: was its [header] in the file? */
int ld_config_present(const struct ld_config_at *at);

/*
 * For a section's check: the line the key was given on, 0 when it was
 * not; with key NULL, the line of the section's first header.
 */
int ld_config_line(const struct ld_config_at *at, const char *key);

/*
 * For a section's check: fails with "FILE:LINE: message", or "FILE:
 * message" when line is 0.  Returns st.
 */
enum ld_status ld_config_fail(const struct ld_config_at *at, int line,
    struct ld_err *err, enum ld_status st, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Refuses a secret file that is missing, not a regular file, or readable or
 * writable by group or others, naming its path and mode.
 */
enum ld_status ld_config_check_key_file(const char *path, struct ld_err *err);

/*
 * Reads a secret file into b (initialised by the caller) after the same
 * checks, made on the descriptor it reads from, so that the file checked
 * is the file read even if the path is swapped in between.
 */
enum ld_status ld_config_read_key_file(const char *path, struct ld_buf *b,
    struct ld_err *err);

/* The directory the installed configuration lives in. */
const char *ld_config_sysconfdir(void);

#endif
