/*
 * loandeskd: the backend daemon.  Workers claim work from PostgreSQL with
 * FOR UPDATE SKIP LOCKED, so any number of daemons on any number of hosts
 * share it with no coordinator: scoring workers claim received
 * applications, payout workers claim transfer bills that are due; with
 * payouts on, an HTTP listener takes WeChat Pay's callbacks and serves
 * /healthz and /metrics, and a monitor thread reads the balance and beats
 * the heart.
 *
 * Signals: SIGTERM and SIGINT are blocked in every thread and taken by one
 * signal thread with sigwait(), which sets the stop flag and makes a pipe
 * readable; workers poll that pipe beside their database socket, finish
 * (or roll back) the batch in hand and return.  A payout worker finishes
 * the request in hand and records it; nothing new is claimed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "daemon.h"
#include "ld_alloc.h"
#include "ld_db.h"
#include "ld_log.h"
#include "ld_pii.h"

struct signal_thread {
	pthread_t thread;
	sigset_t set;
	struct daemon_shared *shared;
	int wake_wr;
	int signo;
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: loandeskd [-c CONFIG] [--once] [--payout-workers N]\n"
	    "\n"
	    "The loandesk backend.  Its scoring workers claim received\n"
	    "applications, score them with the champion model (and any\n"
	    "challenger in shadow), apply the hard rules and the policy, and\n"
	    "record the decision, its audit row and a notification in one\n"
	    "transaction.  With [wxpay] configured, its payout workers send\n"
	    "the approved payouts' transfer bills to WeChat Pay and follow\n"
	    "them to the end, and it listens on [daemon] listen for WeChat\n"
	    "Pay's callbacks, /healthz and /metrics.\n"
	    "\n"
	    "  -c, --config FILE  configuration file (else $LOANDESK_CONF, else\n"
	    "                     %s/loandesk/loandesk.conf, else defaults)\n"
	    "      --once         drain the queues and exit: score what was\n"
	    "                     received, and send and follow every bill due\n"
	    "                     now until nothing is due but waits (a\n"
	    "                     backoff, the borrower, a hold); no listener,\n"
	    "                     no balance monitor\n"
	    "      --payout-workers N\n"
	    "                     payout threads ([daemon] payout_workers)\n"
	    "  -h, --help         this text\n"
	    "  -V, --version      the version\n", ld_config_sysconfdir());
}

static void *
signal_main(void *arg)
{
	struct signal_thread *st = arg;
	int sig = 0;

	if (sigwait(&st->set, &sig) != 0)
		return NULL;
	st->signo = sig;
	atomic_store(&st->shared->stop, 1);
	/* The pipe stays readable: every worker's poll wakes, now and later. */
	if (write(st->wake_wr, "x", 1) < 0)
		ld_log_warn("wake pipe: %s", strerror(errno));
	return NULL;
}

static double
now_seconds(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* One line per [payout]/[risk] figure the database decides otherwise. */
static void
setting_differs(void *arg, const char *key, const char *config,
    const char *database)
{
	(void)arg;
	ld_log_warn("settings: %s is %s in the configuration but %s in the "
	    "database, which decides (loandesk settings apply writes the "
	    "configuration's)", key, config, database);
}

static void
check_settings(const struct loandeskd_config *cfg)
{
	struct ld_db db;
	struct ld_err err;
	int n = 0;

	memset(&db, 0, sizeof db);
	ld_err_clear(&err);
	if (ld_db_connect(&db, cfg->database.conninfo, "loandeskd settings",
	    &err) != LD_OK || core_payout_settings_diff(&db, &cfg->payout,
	    cfg->risk.apr_cap_bps, setting_differs, NULL, &n, &err) != LD_OK)
		ld_log_warn("settings: cannot compare the configuration with "
		    "the database's settings: %s", err.msg);
	ld_db_close(&db);
}

/*
 * The keys that open applicants.name_enc: [security] pii_key_file, and
 * the previous ones while a rotation runs.
 */
static int
load_names(const struct loandeskd_config *cfg, struct core_keyring *ring,
    struct ld_err *err)
{
	struct ld_pii_key k;
	char *list, *paths[LD_PII_PREVIOUS_MAX];
	int n = 0, i;

	core_keyring_init(ring);
	if (cfg->security.pii_key_file == NULL) {
		ld_err_set(err, LD_EINVAL, "[security] pii_key_file is needed "
		    "to send payouts: transfers from %d yuan carry the payee's "
		    "name, which only it opens", CORE_PAYOUT_NAME_FROM_FEN / 100);
		return -1;
	}
	if (ld_pii_key_load(&k, cfg->security.pii_key_file, err) != LD_OK ||
	    core_keyring_add(ring, &k, err) != LD_OK) {
		ld_pii_key_wipe(&k);
		return -1;
	}
	ld_pii_key_wipe(&k);
	if (cfg->security.previous_pii_key_files == NULL)
		return 0;
	list = ld_strdup(cfg->security.previous_pii_key_files);
	n = ld_pii_config_split(list, paths, LD_PII_PREVIOUS_MAX);
	for (i = 0; i < n; i++) {
		if (ld_pii_key_load(&k, paths[i], err) != LD_OK ||
		    core_keyring_add(ring, &k, err) != LD_OK) {
			ld_pii_key_wipe(&k);
			free(list);
			return -1;
		}
		ld_pii_key_wipe(&k);
	}
	free(list);
	return 0;
}

/* Builds one client, as each worker will, so that a bad key stops us now. */
static int
check_client(const struct loandeskd_config *cfg, struct ld_err *err)
{
	struct wx_client *c = NULL;

	if (wx_client_new(&cfg->wxpay, &c, err) != LD_OK)
		return -1;
	wx_client_free(c);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "payout-workers", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL;
	static struct daemon_shared shared;
	struct signal_thread sigt;
	struct score_worker *workers;
	struct payout_worker *pworkers = NULL;
	struct payout_monitor monitor;
	struct daemon_http *http = NULL;
	struct core_score_stats total;
	struct core_payout_round_stats ptotal;
	struct core_keyring names;
	struct loandeskd_config cfg;
	struct ld_err err;
	int c, once = 0, i, nworkers, pipefd[2], mpipe[2], rc = 0;
	int started = 0, pstarted = 0, monitor_started = 0;
	int payout_override = -1;
	char host[64], *end;
	double t0;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'o':
			once = 1;
			break;
		case 'P':
			payout_override = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || optarg[0] == '\0' ||
			    payout_override < 0 || payout_override > 64) {
				fprintf(stderr, "loandeskd: --payout-workers "
				    "\"%s\": expected 0 to 64\n", optarg);
				return 2;
			}
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
	memset(&cfg, 0, sizeof cfg);
	if (loandeskd_config_load(&cfg, config_path, &err) != LD_OK) {
		fprintf(stderr, "loandeskd: %s\n", err.msg);
		loandeskd_config_free(&cfg);
		return 1;
	}
	if (payout_override >= 0)
		cfg.daemon.payout_workers = payout_override;
	ld_log_open(NULL, LD_LOG_INFO);
	/* Before any thread: libcurl's global set-up is not thread-safe. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "loandeskd: curl_global_init failed\n");
		loandeskd_config_free(&cfg);
		return 1;
	}
	if (pipe(pipefd) != 0 || pipe(mpipe) != 0) {
		fprintf(stderr, "loandeskd: pipe: %s\n", strerror(errno));
		loandeskd_config_free(&cfg);
		return 1;
	}
	/* The monitor empties its doorbell without blocking. */
	(void)fcntl(mpipe[0], F_SETFL, fcntl(mpipe[0], F_GETFL) | O_NONBLOCK);
	(void)fcntl(mpipe[1], F_SETFL, fcntl(mpipe[1], F_GETFL) | O_NONBLOCK);
	memset(&shared, 0, sizeof shared);
	shared.cfg = &cfg;
	shared.once = once;
	atomic_init(&shared.stop, 0);
	atomic_init(&shared.payout_workers_running, 0);
	atomic_init(&shared.balance_now, 0);
	shared.wake_fd = pipefd[0];
	shared.monitor_wake_rd = mpipe[0];
	shared.monitor_wake_wr = mpipe[1];
	daemon_metrics_init(&shared.metrics);
	core_keyring_init(&names);
	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	/* payout_daemons.worker allows A-Z a-z 0-9 _ . : @ - only. */
	for (i = 0; host[i] != '\0'; i++)
		if (strchr("_.:@-", host[i]) == NULL &&
		    !((host[i] >= '0' && host[i] <= '9') ||
		    (host[i] >= 'A' && host[i] <= 'Z') ||
		    (host[i] >= 'a' && host[i] <= 'z')))
			host[i] = '_';
	snprintf(shared.worker_id, sizeof shared.worker_id, "%s:%ld", host,
	    (long)getpid());

	/*
	 * Payouts run when [wxpay] says how: a mode without its keys, or
	 * without the key that opens names, stops the daemon here rather
	 * than at the first bill.
	 */
	shared.payouts = cfg.wxpay.present && cfg.daemon.payout_workers > 0;
	if (shared.payouts && (check_client(&cfg, &err) != 0 ||
	    load_names(&cfg, &names, &err) != 0)) {
		fprintf(stderr, "loandeskd: %s\n", err.msg);
		core_keyring_wipe(&names);
		daemon_metrics_destroy(&shared.metrics);
		loandeskd_config_free(&cfg);
		return 1;
	}
	if (shared.payouts) {
		shared.names = &names;
		shared.payout_workers = cfg.daemon.payout_workers;
		check_settings(&cfg);
	} else if (!once)
		ld_log_info("loandeskd: payouts are not sent here (%s)",
		    cfg.wxpay.present ? "[daemon] payout_workers = 0" :
		    "no [wxpay] section");

	memset(&sigt, 0, sizeof sigt);
	sigemptyset(&sigt.set);
	sigaddset(&sigt.set, SIGTERM);
	sigaddset(&sigt.set, SIGINT);
	/* Blocked before any thread exists, so all of them inherit it. */
	pthread_sigmask(SIG_BLOCK, &sigt.set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigt.shared = &shared;
	sigt.wake_wr = pipefd[1];
	if (pthread_create(&sigt.thread, NULL, signal_main, &sigt) != 0) {
		fprintf(stderr, "loandeskd: cannot start the signal thread\n");
		loandeskd_config_free(&cfg);
		return 1;
	}
	if (shared.payouts && !once) {
		if (daemon_http_start(&shared, &http, &err) != LD_OK) {
			fprintf(stderr, "loandeskd: %s\n", err.msg);
			atomic_store(&shared.stop, 1);
			rc = 1;
		} else
			ld_log_info("loandeskd: listening on %.*s:%u "
			    "(/wxpay/notify, /healthz, /metrics)",
			    (int)(strrchr(cfg.daemon.listen, ':') -
			    cfg.daemon.listen), cfg.daemon.listen,
			    daemon_http_port(http));
	}

	nworkers = cfg.daemon.workers;
	workers = ld_calloc((size_t)nworkers, sizeof *workers);
	if (shared.payouts)
		pworkers = ld_calloc((size_t)shared.payout_workers,
		    sizeof *pworkers);
	t0 = now_seconds();
	if (!once)
		ld_log_info("loandeskd %s: %d scoring workers, batches of %d; "
		    "%d payout workers (mode %s); configuration %s",
		    shared.worker_id, nworkers, cfg.daemon.batch_size,
		    shared.payout_workers, cfg.wxpay.mode == LD_WXPAY_V2 ?
		    "v2" : cfg.wxpay.mode == LD_WXPAY_BATCHES ? "batches" :
		    "v3", cfg.path ? cfg.path : "(defaults)");
	for (i = 0; i < nworkers && rc == 0; i++) {
		workers[i].index = i;
		workers[i].shared = &shared;
		if (pthread_create(&workers[i].thread, NULL,
		    score_worker_main, &workers[i]) != 0) {
			fprintf(stderr, "loandeskd: cannot start worker %d\n",
			    i);
			atomic_store(&shared.stop, 1);
			rc = 1;
			break;
		}
		started++;
	}
	for (i = 0; i < shared.payout_workers && rc == 0; i++) {
		pworkers[i].index = i;
		pworkers[i].shared = &shared;
		if (pthread_create(&pworkers[i].thread, NULL,
		    payout_worker_main, &pworkers[i]) != 0) {
			fprintf(stderr, "loandeskd: cannot start payout worker "
			    "%d\n", i);
			atomic_store(&shared.stop, 1);
			rc = 1;
			break;
		}
		pstarted++;
	}
	if (shared.payouts && !once && rc == 0) {
		memset(&monitor, 0, sizeof monitor);
		monitor.shared = &shared;
		if (pthread_create(&monitor.thread, NULL, payout_monitor_main,
		    &monitor) == 0)
			monitor_started = 1;
		else {
			fprintf(stderr, "loandeskd: cannot start the "
			    "monitor\n");
			atomic_store(&shared.stop, 1);
			rc = 1;
		}
	}
	memset(&total, 0, sizeof total);
	for (i = 0; i < started; i++) {
		pthread_join(workers[i].thread, NULL);
		total.scored += workers[i].stats.scored;
		total.reused += workers[i].stats.reused;
		total.errors += workers[i].stats.errors;
		total.shadow += workers[i].stats.shadow;
		total.batches += workers[i].stats.batches;
		if (workers[i].failed) {
			fprintf(stderr, "loandeskd: score worker %d: %s\n", i,
			    workers[i].error);
			rc = 1;
		}
	}
	memset(&ptotal, 0, sizeof ptotal);
	for (i = 0; i < pstarted; i++) {
		pthread_join(pworkers[i].thread, NULL);
		ptotal.claimed += pworkers[i].total.claimed;
		ptotal.sent += pworkers[i].total.sent;
		ptotal.recorded += pworkers[i].total.recorded;
		ptotal.not_sent += pworkers[i].total.not_sent;
		ptotal.refused += pworkers[i].total.refused;
		if (pworkers[i].failed) {
			fprintf(stderr, "loandeskd: payout worker %d: %s\n",
			    i, pworkers[i].error);
			rc = 1;
		}
	}
	/* Workers are done; release the signal thread if no signal came. */
	if (!atomic_load(&shared.stop)) {
		pthread_kill(sigt.thread, SIGTERM);
		pthread_join(sigt.thread, NULL);
		sigt.signo = 0;
	} else {
		pthread_join(sigt.thread, NULL);
	}
	if (monitor_started)
		pthread_join(monitor.thread, NULL);
	/* Callbacks are taken until the workers have recorded their last. */
	daemon_http_stop(http);
	{
		double el = now_seconds() - t0;

		fprintf(stderr, "loandeskd: scored %ld applications in %ld "
		    "batches (%ld reused, %ld errors to manual review, %ld "
		    "shadow scores) in %.2f s, %.0f/s%s\n", total.scored,
		    total.batches, total.reused, total.errors, total.shadow,
		    el, el > 0 ? (double)total.scored / el : 0.0,
		    sigt.signo ? ", stopped by a signal" : "");
		if (shared.payouts)
			fprintf(stderr, "loandeskd: payouts: %d bills "
			    "claimed, %d requests sent, %d answers recorded, "
			    "%d creates given back unsent, %d refused before "
			    "sending\n", ptotal.claimed, ptotal.sent,
			    ptotal.recorded, ptotal.not_sent, ptotal.refused);
	}
	free(workers);
	free(pworkers);
	core_keyring_wipe(&names);
	daemon_metrics_destroy(&shared.metrics);
	close(pipefd[0]);
	close(pipefd[1]);
	close(mpipe[0]);
	close(mpipe[1]);
	loandeskd_config_free(&cfg);
	curl_global_cleanup();
	return rc;
}
