/*
 * An in-process wxpay-sim for the harnesses: its keys are generated once
 * into a temporary state directory (removed at exit), no thread and no
 * listener run, and the books can be reset so a long run stays small.
 * The APIv2 key is the official example one and the public-key id fixed,
 * so the seeds' signs and Wechatpay-Serial hold.
 */
#define FUZZ_SIM_APIV2_KEY	"192006250b4c09247ec02edce69f6a2d"
#define FUZZ_SIM_PKID	"PUB_KEY_ID_0000000000000024101100397200000006"
#ifndef LD_FUZZ_SIM_H
#define LD_FUZZ_SIM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "ld_alloc.h"
#include "sim/sim.h"
#include "sim/sim_api.h"

static char fuzz_sim_dir[64];

static void
fuzz_sim_cleanup(void)
{
	char cmd[128];

	if (fuzz_sim_dir[0] != '\0') {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_sim_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz: cannot remove %s\n",
			    fuzz_sim_dir);
	}
}

static inline struct sim *
fuzz_sim_open(void)
{
	struct sim *s = ld_calloc(1, sizeof *s);
	struct ld_err err;

	if (fuzz_sim_dir[0] == '\0') {
		snprintf(fuzz_sim_dir, sizeof fuzz_sim_dir,
		    "/tmp/ld-fuzz-sim.XXXXXX");
		char *st, *key;
		int fd;

		if (mkdtemp(fuzz_sim_dir) == NULL)
			abort();
		atexit(fuzz_sim_cleanup);
		st = ld_asprintf("%s/state", fuzz_sim_dir);
		key = ld_asprintf("%s/apiv2.key", st);
		if (mkdir(st, 0700) != 0 || (fd = open(key, O_WRONLY |
		    O_CREAT | O_EXCL, 0600)) < 0 || write(fd,
		    FUZZ_SIM_APIV2_KEY "\n", 33) != 33 || close(fd) != 0)
			abort();
		free(key);
		free(st);
	}
	sim_config_defaults(&s->cfg);
	free(s->cfg.state_dir);
	s->cfg.state_dir = ld_asprintf("%s/state", fuzz_sim_dir);
	s->cfg.generate_merchant = 1;
	s->cfg.platform_key_id = ld_strdup(FUZZ_SIM_PKID);
	if (sim_state_open(s, &err) != LD_OK || sim_init(s, &err) != LD_OK) {
		fprintf(stderr, "fuzz: sim: %s\n", err.msg);
		abort();
	}
	return s;
}

static inline void
fuzz_sim_close(struct sim *s)
{
	sim_free(s);
	free(s);
}

#endif
