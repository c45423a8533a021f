/*
 * loandesk keys rotate, loandesk pii reveal: the two commands that open
 * sealed personal data, with the keys [security] names and, while a
 * rotation runs, the previous sealing keys given by --previous-key or, by
 * default, [security] previous_pii_key_files.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "core_pii.h"
#include "ld_alloc.h"
#include "ld_db.h"
#include "ld_pii.h"
#include "ld_pii_config.h"

static int
keys_connect(struct cli_ctx *ctx, struct ld_db *db, const char *appname)
{
	struct ld_err err;

	ld_err_clear(&err);
	if (ld_db_connect(db, ctx->cfg.database.conninfo, appname, &err) !=
	    LD_OK) {
		cli_error("%s", err.msg);
		return -1;
	}
	return 0;
}

_Static_assert(LD_PII_PREVIOUS_MAX == CORE_KEYRING_MAX - 1,
    "[security] previous_pii_key_files fills the ring beside the key");

/*
 * The ring: the configured sealing key, then each previous key: those
 * given by --previous-key, else those [security] previous_pii_key_files
 * names.  Returns 0, or -1 having said why.
 */
static int
load_ring(struct cli_ctx *ctx, const char *cmd, char **previous,
    int nprevious, struct core_keyring *ring, struct ld_pii_key *seal)
{
	struct ld_pii_key k;
	struct ld_err err;
	char *list = NULL;
	int i;

	core_keyring_init(ring);
	if (nprevious == 0 &&
	    ctx->cfg.security.previous_pii_key_files != NULL) {
		/* The loader has checked the list and its files. */
		list = ld_strdup(ctx->cfg.security.previous_pii_key_files);
		nprevious = ld_pii_config_split(list, previous,
		    CORE_KEYRING_MAX - 1);
		if (nprevious < 0)
			nprevious = 0;
	}
	if (ctx->cfg.security.pii_key_file == NULL) {
		cli_error("%s: the configuration (%s) has no [security] "
		    "pii_key_file", cmd, ctx->cfg.path != NULL ?
		    ctx->cfg.path : "none");
		free(list);
		return -1;
	}
	ld_err_clear(&err);
	if (ld_pii_key_load(seal, ctx->cfg.security.pii_key_file, &err) !=
	    LD_OK || core_keyring_add(ring, seal, &err) != LD_OK) {
		cli_error("%s: %s", cmd, err.msg);
		free(list);
		return -1;
	}
	for (i = 0; i < nprevious; i++) {
		if (ld_pii_key_load(&k, previous[i], &err) != LD_OK ||
		    core_keyring_add(ring, &k, &err) != LD_OK) {
			ld_pii_key_wipe(&k);
			core_keyring_wipe(ring);
			cli_error("%s: %s", cmd, err.msg);
			free(list);
			return -1;
		}
		ld_pii_key_wipe(&k);
	}
	free(list);
	return 0;
}

static void
rotation_progress(void *arg, const struct core_rotation_stats *st)
{
	(void)arg;
	printf("batch %" PRId64 ": %" PRId64 " applicants re-sealed, up to "
	    "applicant %" PRId64 "\n", st->batches, st->applicants,
	    st->last_id);
	fflush(stdout);
}

int
cli_keys_rotate(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "previous-key", required_argument, NULL, 'p' },
		{ "batch", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	char *previous[CORE_KEYRING_MAX - 1];
	int nprevious = 0, c, rc = 1;
	long batch = 500;
	char *end;
	struct core_keyring ring;
	struct core_rotation_stats stats;
	struct ld_pii_key seal, index;
	struct ld_db db;
	struct ld_err err;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (nprevious == CORE_KEYRING_MAX - 1) {
				cli_error("keys rotate: at most %d "
				    "--previous-key", CORE_KEYRING_MAX - 1);
				return 2;
			}
			previous[nprevious++] = optarg;
			break;
		case 'b':
			errno = 0;
			batch = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || batch < 1 ||
			    batch > 10000) {
				cli_error("keys rotate: --batch takes 1 to "
				    "10000, not \"%s\"", optarg);
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	if (optind != argc) {
		cli_error("keys rotate: unexpected argument \"%s\"",
		    argv[optind]);
		return 2;
	}
	if (cli_config(ctx) != 0)
		return 1;
	if (ctx->cfg.security.blind_index_key_file == NULL) {
		cli_error("keys rotate: the configuration has no [security] "
		    "blind_index_key_file");
		return 1;
	}
	if (load_ring(ctx, "keys rotate", previous, nprevious, &ring,
	    &seal) != 0)
		return 1;
	ld_err_clear(&err);
	if (ld_pii_key_load(&index, ctx->cfg.security.blind_index_key_file,
	    &err) != LD_OK) {
		cli_error("keys rotate: %s", err.msg);
		goto out_keys;
	}
	if (keys_connect(ctx, &db, "loandesk keys rotate") != 0)
		goto out_keys;
	if (core_keys_rotate(&db, &ring, &seal, &index, (int)batch,
	    rotation_progress, NULL, &stats, &err) != LD_OK) {
		cli_error("keys rotate: %s (run it again to go on: what was "
		    "committed stays)", err.msg);
	} else {
		printf("rotated: %" PRId64 " applicants in %" PRId64
		    " batches; every personal field is sealed under key "
		    "%02x%02x%02x%02x and indexed under key %02x%02x%02x%02x\n",
		    stats.applicants, stats.batches, seal.id[0], seal.id[1],
		    seal.id[2], seal.id[3], index.id[0], index.id[1],
		    index.id[2], index.id[3]);
		rc = 0;
	}
	ld_db_close(&db);
out_keys:
	ld_pii_key_wipe(&index);
	ld_pii_key_wipe(&seal);
	core_keyring_wipe(&ring);
	return rc;
}

int
cli_pii_reveal(struct cli_ctx *ctx, int argc, char **argv)
{
	char *previous[CORE_KEYRING_MAX - 1], *end, plain[1024];
	const char *reason = NULL, *field, *pos[2];
	int nprevious = 0, npos = 0, i, rc = 1;
	long long app;
	struct core_keyring ring;
	struct ld_pii_key seal;
	struct ld_db db;
	struct ld_err err;

	/* Options before, between or after APP and FIELD. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
			reason = argv[++i];
		else if (strcmp(argv[i], "--previous-key") == 0 &&
		    i + 1 < argc) {
			if (nprevious == CORE_KEYRING_MAX - 1) {
				cli_error("pii reveal: at most %d "
				    "--previous-key", CORE_KEYRING_MAX - 1);
				return 2;
			}
			previous[nprevious++] = argv[++i];
		} else if (argv[i][0] == '-' || npos == 2) {
			cli_error("pii reveal: unexpected argument \"%s\" "
			    "(usage: pii reveal APPLICATION FIELD --reason "
			    "TEXT [--previous-key FILE])", argv[i]);
			return 2;
		} else
			pos[npos++] = argv[i];
	}
	if (npos != 2) {
		cli_error("pii reveal: usage: pii reveal APPLICATION FIELD "
		    "--reason TEXT [--previous-key FILE]");
		return 2;
	}
	errno = 0;
	app = strtoll(pos[0], &end, 10);
	if (errno != 0 || *end != '\0' || app < 1) {
		cli_error("pii reveal: \"%s\" is not an application id",
		    pos[0]);
		return 2;
	}
	field = pos[1];
	if (!core_pii_field_valid(field)) {
		cli_error("pii reveal: field must be name, id_no or phone, not "
		    "\"%s\"", field);
		return 2;
	}
	if (reason == NULL || reason[strspn(reason, " \t")] == '\0') {
		cli_error("pii reveal: --reason is required (it is recorded "
		    "in the audit log)");
		return 2;
	}
	if (cli_config(ctx) != 0)
		return 1;
	if (load_ring(ctx, "pii reveal", previous, nprevious, &ring,
	    &seal) != 0)
		return 1;
	if (keys_connect(ctx, &db, "loandesk pii reveal") != 0)
		goto out;
	ld_err_clear(&err);
	if (core_pii_reveal(&db, &ring, (int64_t)app, field, reason, plain,
	    sizeof plain, &err) != LD_OK)
		cli_error("pii reveal: %s", err.msg);
	else {
		printf("%s\n", plain);
		rc = 0;
	}
	OPENSSL_cleanse(plain, sizeof plain);
	ld_db_close(&db);
out:
	ld_pii_key_wipe(&seal);
	core_keyring_wipe(&ring);
	return rc;
}
