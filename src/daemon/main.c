/*
 * loandeskd: the backend daemon.  Workers claim work from PostgreSQL with
 * FOR UPDATE SKIP LOCKED, so any number of daemons on any number of hosts
 * share it with no coordinator.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ld_config.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: loandeskd [-c CONFIG] [--once]\n"
	    "\n"
	    "The loandesk backend: scores applications, sends approved payouts\n"
	    "to WeChat Pay, takes its callbacks and reconciles.\n"
	    "\n"
	    "  -c, --config FILE  configuration file (else $LOANDESK_CONF, else\n"
	    "                     %s/loandesk/loandesk.conf, else defaults)\n"
	    "      --once         drain the queues and exit\n"
	    "  -h, --help         this text\n"
	    "  -V, --version      the version\n", ld_config_sysconfdir());
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL;
	struct ld_config cfg;
	struct ld_err err;
	int c, once = 0;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'o':
			once = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("loandeskd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "loandeskd: unexpected argument \"%s\"\n",
		    argv[optind]);
		return 2;
	}
	ld_err_clear(&err);
	if (ld_config_load(&cfg, config_path, &err) != LD_OK) {
		fprintf(stderr, "loandeskd: %s\n", err.msg);
		return 1;
	}
	(void)once;
	fprintf(stderr, "loandeskd: configuration %s loaded; no workers are "
	    "built yet\n", cfg.path ? cfg.path : "(defaults)");
	ld_config_free(&cfg);
	return 0;
}
