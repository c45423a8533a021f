/*
 * wxpay-sim: a local WeChat Pay for the demo and the tests, signing with its
 * own platform key and injecting the faults the real one has.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: wxpay-sim [-c CONFIG]\n"
	    "\n"
	    "A WeChat Pay simulator on loopback for the loandesk demo and tests.\n"
	    "\n"
	    "  -c, --config FILE  simulator configuration\n"
	    "  -h, --help         this text\n"
	    "  -V, --version      the version\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("wxpay-sim %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	fprintf(stderr, "wxpay-sim: not built yet\n");
	return 1;
}
