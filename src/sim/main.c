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

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "generate-merchant", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *state_dir = NULL, *listen = NULL;
	struct sim *s;
	struct sim_http *h;
	struct ld_err err;
	sigset_t set;
	unsigned port = 0, tls_port = 0;
	int c, gen = 0, sig = 0, rc = 1;

	while ((c = getopt_long(argc, argv, "c:s:l:mhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'm':
			gen = 1;
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
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	/* Signals go to sigwait below, never to the worker threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	ld_log_open(NULL, LD_LOG_INFO);

	s = ld_calloc(1, sizeof *s);
	sim_config_defaults(&s->cfg);
	if (config != NULL && sim_config_load(&s->cfg, config, &err) != LD_OK) {
		fprintf(stderr, "wxpay-sim: %s\n", err.msg);
		goto out_cfg;
	}
	if (state_dir != NULL) {
		free(s->cfg.state_dir);
		s->cfg.state_dir = ld_strdup(state_dir);
	}
	if (listen != NULL) {
		free(s->cfg.listen);
		s->cfg.listen = ld_strdup(listen);
	}
	if (gen)
		s->cfg.generate_merchant = 1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "wxpay-sim: curl_global_init failed\n");
		goto out_cfg;
	}
	if (sim_state_open(s, &err) != LD_OK ||
	    sim_init(s, &err) != LD_OK) {
		fprintf(stderr, "wxpay-sim: %s\n", err.msg);
		goto out_curl;
	}
	if (sim_threads_start(s, &err) != LD_OK) {
		fprintf(stderr, "wxpay-sim: %s\n", err.msg);
		goto out_sim;
	}
	if ((h = sim_http_start(s, &port, &tls_port, &err)) == NULL) {
		fprintf(stderr, "wxpay-sim: %s\n", err.msg);
		sim_threads_stop(s);
		goto out_sim;
	}
	print_trust(s, port, tls_port);
	ld_log_info("wxpay-sim: serving merchant %s on 127.0.0.1:%u",
	    s->cfg.mchid, port);
	sigwait(&set, &sig);
	ld_log_info("wxpay-sim: signal %d, stopping", sig);
	/* Wake hanging answers first so the HTTP threads can be joined. */
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	sim_http_stop(h);
	sim_threads_stop(s);
	rc = 0;
out_sim:
	sim_free(s);
	free(s);
	curl_global_cleanup();
	ld_log_close();
	return rc;
out_curl:
	EVP_PKEY_free(s->platform_key);
	EVP_PKEY_free(s->merchant_pub);
	free(s->merchant_private_file);
	free(s->platform_cert_pem);
	free(s->tls_cert_pem);
	free(s->tls_key_pem);
	free(s->tls_ca_pem);
	curl_global_cleanup();
out_cfg:
	sim_config_free(&s->cfg);
	free(s);
	ld_log_close();
	return rc;
}
