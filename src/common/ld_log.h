/*
 * Levelled logging to stderr (the daemon runs under systemd, which keeps it)
 * or to a file the console names.  The console never logs to its screen.
 */
#ifndef LD_LOG_H
#define LD_LOG_H

enum ld_log_level { LD_LOG_DEBUG, LD_LOG_INFO, LD_LOG_WARN, LD_LOG_ERROR };

/* path NULL: stderr.  Returns 0, or -1 when the file cannot be opened. */
int ld_log_open(const char *path, enum ld_log_level min);
void ld_log_close(void);
void ld_log(enum ld_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define ld_log_debug(...) ld_log(LD_LOG_DEBUG, __VA_ARGS__)
#define ld_log_info(...) ld_log(LD_LOG_INFO, __VA_ARGS__)
#define ld_log_warn(...) ld_log(LD_LOG_WARN, __VA_ARGS__)
#define ld_log_error(...) ld_log(LD_LOG_ERROR, __VA_ARGS__)

#endif
