/*
 * What loandeskd's workers share: the configuration, the mode, and the
 * stop signal.  Each worker thread owns its database connection and its
 * scorer; nothing else is shared, so workers take no locks.
 */
#ifndef LD_DAEMON_H
#define LD_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>

#include "core_score.h"
#include "daemon_config.h"
#include "ld_err.h"

struct daemon_shared {
	const struct loandeskd_config *cfg;
	int once;		/* drain the queues and return */
	atomic_int stop;	/* set by the signal thread */
	int wake_fd;		/* readable once stop is set */
};

struct score_worker {
	pthread_t thread;
	int index;
	struct daemon_shared *shared;
	struct core_score_stats stats;
	int failed;		/* 1 when the worker gave up */
	char error[LD_ERR_MSG_MAX];
};

/*
 * The scoring worker's thread body (arg is a struct score_worker).  Claims
 * and scores batches until the queue is empty (--once) or stop is set;
 * otherwise waits for NOTIFY applications_received or polls every few
 * seconds.  Sets failed and error instead of exiting.
 */
void *score_worker_main(void *arg);

#endif
