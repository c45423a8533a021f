#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "ld_log.h"

static FILE *log_file;
static enum ld_log_level log_min = LD_LOG_INFO;

int
ld_log_open(const char *path, enum ld_log_level min)
{
	log_min = min;
	if (path == NULL)
		return 0;
	log_file = fopen(path, "a");
	if (log_file == NULL)
		return -1;
	setvbuf(log_file, NULL, _IOLBF, 0);
	return 0;
}

void
ld_log_close(void)
{
	if (log_file != NULL)
		fclose(log_file);
	log_file = NULL;
}

void
ld_log(enum ld_log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };
	FILE *out = log_file != NULL ? log_file : stderr;
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	va_list ap;

	if (lvl < log_min)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, "%s.%03ldZ %s ", stamp, ts.tv_nsec / 1000000L,
	    names[lvl]);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}
