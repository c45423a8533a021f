/*
 * wxpay-sim: a local WeChat Pay for the demo and the tests, signing with its
 * own platform key and injecting the faults the real one has.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ld_alloc.h"
#include "ld_log.h"
#include "sim.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: wxpay-sim [-c CONFIG] [--state-dir DIR] "
	    "[--listen 127.0.0.1:PORT]\n"
	    "                 [--generate-merchant]\n"
	    "       wxpay-sim --make-v2-client-cert DIR --mchid MCHID\n"
	    "\n"
	    "A WeChat Pay simulator on loopback for the loandesk demo and "
	    "tests: APIv3\n"
	    "transfer bills, batches and balance, APIv2 企业付款, signed "
	    "answers and\n"
	    "callbacks, fault injection (POST /__sim/faults) and a ledger "
	    "(GET /__sim/ledger);\n"
	    "with [sim] v2_tls_listen, APIv2 over TLS that requires the "
	    "merchant's client\n"
	    "certificate (err_code CA_ERROR without it).\n"
	    "\n"
	    "  -c, --config FILE      simulator configuration (INI; see "
	    "wxpay-sim.conf.example)\n"
	    "  -s, --state-dir DIR    keys live here; made on first run "
	    "(0700, secrets 0600)\n"
	    "  -l, --listen ADDR      127.0.0.1:PORT; port 0 picks a free "
	    "one\n"
	    "  -m, --generate-merchant  also make a merchant key pair and "
	    "serial (demo)\n"
	    "  --make-v2-client-cert DIR  make the merchant CA the "
	    "simulator trusts for\n"
	    "                         APIv2 (merchant_ca.pem, "
	    "merchant_ca_key.pem) and the\n"
	    "                         API certificate it issues to CN=MCHID "
	    "(apiclient_cert.pem,\n"
	    "                         apiclient_key.pem, apiclient_cert.p12 "
	    "with password MCHID)\n"
	    "                         into DIR, then exit; set "
	    "tls_client_ca_file to\n"
	    "                         DIR/merchant_ca.pem\n"
	    "  --mchid MCHID          the merchant id for "
	    "--make-v2-client-cert\n"
	    "  -h, --help             this text\n"
	    "  -V, --version          the version\n"
	    "\n"
	    "On start it prints what the client must trust as key=value "
	    "lines, then\n"
	    "\"listening on 127.0.0.1:PORT\" once it accepts requests.  "
	    "SIGINT or SIGTERM\n"
	    "stops it.\n");
}

static void
print_trust(const struct sim *s, unsigned port, unsigned tls_port)
{
	printf("platform_public_key_file=%s\n", s->platform_public_file);
	printf("platform_key_id=%s\n", s->platform_key_id);
	printf("platform_cert_file=%s\n", s->platform_cert_file);
	printf("platform_cert_serial=%s\n", s->platform_cert_serial);
	printf("apiv3_key_file=%s\n", s->cfg.apiv3_key_file);
	printf("apiv2_key_file=%s\n", s->cfg.apiv2_key_file);
	printf("mchid=%s\n", s->cfg.mchid);
	printf("appid=%s\n", s->cfg.appid);
	printf("merchant_serial=%s\n", s->cfg.merchant_serial);
	if (s->merchant_private_file != NULL)
		printf("merchant_private_key_file=%s\n",
		    s->merchant_private_file);
	if (tls_port != 0) {
		/* APIv2 with the merchant's client certificate; trust the
		 * listener's certificate (or its CA) as ca_file. */
		printf("v2_base_url=https://127.0.0.1:%u\n", tls_port);
		printf("tls_cert_file=%s\n", s->cfg.tls_cert_file);
	}
	printf("base_url=http://127.0.0.1:%u\n", port);
	printf("listening on 127.0.0.1:%u\n", port);
	fflush(stdout);
}

/*
 * --make-v2-client-cert: what an APIv2 merchant needs from WeChat Pay's
 * merchant platform, made locally.
 */
static int
make_v2_client_cert(const char *dir, const char *mchid)
{
	struct ld_err err;
	const char *p;

	/* A merchant id is digits: it becomes a CN and a p12 password. */
	for (p = mchid; *p >= '0' && *p <= '9'; p++)
		;
	if (*p != '\0' || p == mchid || p - mchid > 32) {
		fprintf(stderr, "wxpay-sim: --mchid \"%s\": expected the "
		    "merchant id, 1 to 32 digits\n", mchid);
		return 2;
	}
	if (sim_pki_v2_client(dir, mchid, &err) != LD_OK) {
		fprintf(stderr, "wxpay-sim: %s\n", err.msg);
		return 1;
	}
	printf("tls_client_ca_file=%s/merchant_ca.pem\n", dir);
	printf("client_cert_p12=%s/apiclient_cert.p12\n", dir);
	printf("client_cert_file=%s/apiclient_cert.pem\n", dir);
	printf("client_key_file=%s/apiclient_key.pem\n", dir);
	return 0;
}

struct args {
	const char *config, *state_dir, *listen, *cert_dir, *mchid;
	int generate;
};

/* The command line into a; -1 to go on, else the exit status. */
static int
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "generate-merchant", no_argument, NULL, 'm' },
		{ "make-v2-client-cert", required_argument, NULL, 'C' },
		{ "mchid", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof *a);
	while ((c = getopt_long(argc, argv, "c:s:l:mhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 's':
			a->state_dir = optarg;
			break;
		case 'l':
			a->listen = optarg;
			break;
		case 'm':
			a->generate = 1;
			break;
		case 'C':
			a->cert_dir = optarg;
			break;
		case 'M':
			a->mchid = optarg;
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
	if (optind != argc || (a->cert_dir == NULL) != (a->mchid == NULL)) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* The configuration file, then what the command line overrides. */
static enum ld_status
configure(struct sim_config *cfg, const struct args *a, struct ld_err *err)
{
	sim_config_defaults(cfg);
	if (a->config != NULL && sim_config_load(cfg, a->config, err) != LD_OK)
		return err->code;
	if (a->state_dir != NULL) {
		free(cfg->state_dir);
		cfg->state_dir = ld_strdup(a->state_dir);
	}
	if (a->listen != NULL) {
		free(cfg->listen);
		cfg->listen = ld_strdup(a->listen);
	}
	if (a->generate)
		cfg->generate_merchant = 1;
	return LD_OK;
}

/* Runs the threads and the listeners until SIGINT or SIGTERM. */
static int
serve(struct sim *s, const sigset_t *set)
{
	struct sim_http *h;
	struct ld_err err;
	unsigned port = 0, tls_port = 0;
	int sig = 0;

	if (sim_ticker_start(s, &err) != LD_OK) {
		fprintf(stderr, "wxpay-sim: %s\n", err.msg);
		return 1;
	}
	if (sim_notifier_start(s, &err) != LD_OK) {
		fprintf(stderr, "wxpay-sim: %s\n", err.msg);
		sim_ticker_stop(s);
		return 1;
	}
	if ((h = sim_http_start(s, &port, &tls_port, &err)) == NULL) {
		fprintf(stderr, "wxpay-sim: %s\n", err.msg);
		sim_notifier_stop(s);
		sim_ticker_stop(s);
		return 1;
	}
	print_trust(s, port, tls_port);
	ld_log_info("wxpay-sim: serving merchant %s on 127.0.0.1:%u",
	    s->cfg.mchid, port);
	sigwait(set, &sig);
	ld_log_info("wxpay-sim: signal %d, stopping", sig);
	/* Wake hanging answers first so the HTTP threads can be joined. */
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	sim_http_stop(h);
	sim_notifier_stop(s);
	sim_ticker_stop(s);
	return 0;
}

int
main(int argc, char **argv)
{
	struct args args;
	struct sim *s;
	struct ld_err err;
	sigset_t set;
	int rc;

	if ((rc = parse_args(argc, argv, &args)) >= 0)
		return rc;
	if (args.cert_dir != NULL)
		return make_v2_client_cert(args.cert_dir, args.mchid);

	/* Signals go to sigwait, never to the worker threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	ld_log_open(NULL, LD_LOG_INFO);
	rc = 1;
	s = ld_calloc(1, sizeof *s);
	if (configure(&s->cfg, &args, &err) != LD_OK) {
		fprintf(stderr, "wxpay-sim: %s\n", err.msg);
		sim_config_free(&s->cfg);
	} else if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "wxpay-sim: curl_global_init failed\n");
		sim_config_free(&s->cfg);
	} else {
		/* sim_init first: sim_free needs what it sets up. */
		if (sim_init(s, &err) != LD_OK ||
		    sim_state_open(s, &err) != LD_OK)
			fprintf(stderr, "wxpay-sim: %s\n", err.msg);
		else
			rc = serve(s, &set);
		sim_free(s);
		curl_global_cleanup();
	}
	free(s);
	ld_log_close();
	return rc;
}
