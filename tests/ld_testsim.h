/*
 * The real wxpay-sim for integration suites: started from the build tree
 * on a free loopback port with a configuration the suite writes, what it
 * prints for the client to trust read into a struct wx_config, its
 * unsigned /__sim/ endpoints called with libcurl, stopped with SIGTERM.
 * Header-only, like ld_testdb.h.
 */
#ifndef LD_TESTSIM_H
#define LD_TESTSIM_H

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "wxpay_config.h"

struct ld_testsim {
	pid_t pid;
	int out;
	char base_url[128];
	char log[600];
};

static inline void
ld_testsim_set(char **slot, const char *v)
{
	free(*slot);
	*slot = ld_strdup(v);
}

/* One key=value line of the simulator's start output into c. */
static inline void
ld_testsim_key(struct ld_testsim *sp, struct wx_config *c, const char *k,
    const char *v)
{
	if (strcmp(k, "base_url") == 0) {
		snprintf(sp->base_url, sizeof sp->base_url, "%s", v);
		ld_testsim_set(&c->base_url, v);
	} else if (strcmp(k, "platform_public_key_file") == 0)
		ld_testsim_set(&c->platform_public_key_file, v);
	else if (strcmp(k, "platform_key_id") == 0)
		ld_testsim_set(&c->platform_key_id, v);
	else if (strcmp(k, "apiv3_key_file") == 0)
		ld_testsim_set(&c->apiv3_key_file, v);
	else if (strcmp(k, "apiv2_key_file") == 0)
		ld_testsim_set(&c->apiv2_key_file, v);
	else if (strcmp(k, "mchid") == 0)
		ld_testsim_set(&c->mchid, v);
	else if (strcmp(k, "appid") == 0)
		ld_testsim_set(&c->appid, v);
	else if (strcmp(k, "merchant_serial") == 0)
		ld_testsim_set(&c->merchant_serial, v);
	else if (strcmp(k, "merchant_private_key_file") == 0)
		ld_testsim_set(&c->private_key_file, v);
}

static inline int
ld_testsim_stop(struct ld_testsim *sp)
{
	int status = 0, rc = 0;

	if (sp->pid > 0) {
		kill(sp->pid, SIGTERM);
		if (waitpid(sp->pid, &status, 0) != sp->pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			rc = -1;
		sp->pid = -1;
	}
	if (sp->out >= 0) {
		close(sp->out);
		sp->out = -1;
	}
	return rc;
}

/*
 * Starts $top_builddir/wxpay-sim -c conf (its log in log_path) and reads
 * its key=value lines into c up to "listening on", within a generous
 * deadline.  0 or -1, with the log on stderr.
 */
static inline int
ld_testsim_start(struct ld_testsim *sp, const char *conf,
    const char *log_path, struct wx_config *c)
{
	const char *bdir = getenv("top_builddir");
	char buf[8192], *bin;
	size_t len = 0;
	time_t deadline = time(NULL) + 60;
	int fds[2], up = 0;

	memset(sp, 0, sizeof *sp);
	sp->pid = -1;
	sp->out = -1;
	snprintf(sp->log, sizeof sp->log, "%s", log_path);
	if (pipe(fds) != 0)
		return -1;
	bin = ld_asprintf("%s/wxpay-sim", bdir != NULL ? bdir : ".");
	if ((sp->pid = fork()) == 0) {
		FILE *lf = fopen(log_path, "w");

		dup2(fds[1], 1);
		if (lf != NULL)
			dup2(fileno(lf), 2);
		close(fds[0]);
		execl(bin, bin, "-c", conf, (char *)NULL);
		_exit(127);
	}
	free(bin);
	close(fds[1]);
	sp->out = fds[0];
	while (sp->pid > 0 && !up && time(NULL) <= deadline) {
		struct pollfd p = { sp->out, POLLIN, 0 };
		char *nl, *line = buf;
		ssize_t n;

		if (poll(&p, 1, 1000) < 0)
			break;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		if ((n = read(sp->out, buf + len, sizeof buf - 1 - len)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		while (!up && (nl = strchr(line, '\n')) != NULL) {
			char *eq;

			*nl = '\0';
			if (strncmp(line, "listening on ", 13) == 0)
				up = 1;
			else if ((eq = strchr(line, '=')) != NULL) {
				*eq = '\0';
				ld_testsim_key(sp, c, line, eq + 1);
			}
			line = nl + 1;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len + 1);
		if (len >= sizeof buf - 1)
			break;
	}
	if (!up || sp->base_url[0] == '\0') {
		char cmd[700];

		fprintf(stderr, "wxpay-sim did not come up; its log:\n");
		ld_testsim_stop(sp);
		snprintf(cmd, sizeof cmd, "cat '%s' >&2", log_path);
		if (system(cmd) != 0)
			fprintf(stderr, "(no log)\n");
		return -1;
	}
	return 0;
}

static inline size_t
ld_testsim_keep(char *p, size_t size, size_t n, void *ud)
{
	return ld_buf_append(ud, p, size * n) == LD_OK ? size * n : 0;
}

/*
 * One request to the simulator's unsigned endpoints (path from /__sim/ or
 * any path): the HTTP status, the body into out (when not NULL, caller
 * frees with ld_buf_free).  0 when no answer came.
 */
static inline long
ld_testsim_http(const struct ld_testsim *sp, const char *method,
    const char *path, const char *json, struct ld_buf *out)
{
	CURL *c = curl_easy_init();
	char *url = ld_asprintf("%s%s", sp->base_url, path);
	struct curl_slist *h = curl_slist_append(NULL,
	    "Content-Type: application/json");
	struct ld_buf sink;
	long status = 0;

	ld_buf_init(&sink, 64 * 1024 * 1024);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (json != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ld_testsim_keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(url);
	if (out != NULL)
		*out = sink;
	else
		ld_buf_free(&sink);
	return status;
}

#endif
