/*
 * loandeskd: the backend daemon.  Workers claim work from PostgreSQL with
 * FOR UPDATE SKIP LOCKED, so any number of daemons on any number of hosts
 * share it with no coordinator.
 *
 * Signals: SIGTERM and SIGINT are blocked in every thread and taken by one
 * signal thread with sigwait(), which sets the stop flag and makes a pipe
 * readable; workers poll that pipe beside their database socket, finish
 * (or roll back) the batch in hand and return.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "daemon.h"
#include "ld_alloc.h"
#include "ld_log.h"

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
	    "usage: loandeskd [-c CONFIG] [--once]\n"
	    "\n"
	    "The loandesk backend.  Its scoring workers claim received\n"
	    "applications, score them with the champion model (and any\n"
	    "challenger in shadow), apply the hard rules and the policy, and\n"
	    "record the decision, its audit row and a notification in one\n"
	    "transaction.\n"
	    "\n"
	    "  -c, --config FILE  configuration file (else $LOANDESK_CONF, else\n"
	    "                     %s/loandesk/loandesk.conf, else defaults)\n"
	    "      --once         drain the queues and exit\n"
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
	struct daemon_shared shared;
	struct signal_thread sigt;
	struct score_worker *workers;
	struct core_score_stats total;
	struct loandeskd_config cfg;
	struct ld_err err;
	int c, once = 0, i, nworkers, pipefd[2], rc = 0, started = 0;
	double t0;

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
	if (loandeskd_config_load(&cfg, config_path, &err) != LD_OK) {
		fprintf(stderr, "loandeskd: %s\n", err.msg);
		return 1;
	}
	ld_log_open(NULL, LD_LOG_INFO);
	if (pipe(pipefd) != 0) {
		fprintf(stderr, "loandeskd: pipe: %s\n", strerror(errno));
		loandeskd_config_free(&cfg);
		return 1;
	}
	memset(&shared, 0, sizeof shared);
	shared.cfg = &cfg;
	shared.once = once;
	atomic_init(&shared.stop, 0);
	shared.wake_fd = pipefd[0];

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

	nworkers = cfg.daemon.workers;
	workers = ld_calloc((size_t)nworkers, sizeof *workers);
	t0 = now_seconds();
	if (!once)
		ld_log_info("loandeskd: %d scoring workers, batches of %d, "
		    "configuration %s", nworkers, cfg.daemon.batch_size,
		    cfg.path ? cfg.path : "(defaults)");
	for (i = 0; i < nworkers; i++) {
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
	/* Workers are done; release the signal thread if no signal came. */
	if (!atomic_load(&shared.stop)) {
		pthread_kill(sigt.thread, SIGTERM);
		pthread_join(sigt.thread, NULL);
		sigt.signo = 0;
	} else {
		pthread_join(sigt.thread, NULL);
	}
	{
		double el = now_seconds() - t0;

		fprintf(stderr, "loandeskd: scored %ld applications in %ld "
		    "batches (%ld reused, %ld errors to manual review, %ld "
		    "shadow scores) in %.2f s, %.0f/s%s\n", total.scored,
		    total.batches, total.reused, total.errors, total.shadow,
		    el, el > 0 ? (double)total.scored / el : 0.0,
		    sigt.signo ? ", stopped by a signal" : "");
	}
	free(workers);
	close(pipefd[0]);
	close(pipefd[1]);
	loandeskd_config_free(&cfg);
	return rc;
}
