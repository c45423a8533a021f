#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_config.h"

#ifndef LD_SYSCONFDIR
#define LD_SYSCONFDIR "/etc"
#endif

/* What the loader knows of one part while it reads. */
struct part_state {
	const struct ld_config_section *section;
	void *conf;		/* the program's struct, or scratch */
	int scratch;		/* conf is ours: checked, then dropped */
	unsigned char *seen_key;
	int *key_line;		/* where each key was given */
	int seen;		/* the [header] was in the file */
	int line;		/* its first [header] */
};

struct load_state {
	struct part_state *ps;
	size_t nparts;
	const char *path;
	FILE *file;
	int line;         /* the line the reader handed inih last */
	int problem_line; /* the first line refused by the handler or reader */
	char problem[512];
};

struct ld_config_at {
	const struct load_state *ls;
	const struct part_state *p;
};

static int
refuse(struct load_state *ls, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static size_t
part_index(const struct load_state *ls, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ls->nparts; i++)
		if (strlen(ls->ps[i].section->name) == len &&
		    strncmp(ls->ps[i].section->name, name, len) == 0)
			break;
	return i;
}

static size_t
key_index(const struct ld_config_section *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nkeys; i++)
		if (strcmp(name, s->keys[i].name) == 0)
			break;
	return i;
}

/*
 * inih calls the handler only for keys, so a section header with no keys
 * under it would pass unseen; the reader looks at every header itself.  It
 * follows inih's reading of a header: after an optional UTF-8 BOM on the
 * first line and leading blanks, '[' up to the first ']'.  A line without
 * the ']' is left to inih, which calls it a syntax error.
 */
static void
note_section_header(struct load_state *ls, const char *line)
{
	const char *p = line, *end;
	size_t s;

	if (ls->line == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '[' || (end = strchr(p + 1, ']')) == NULL)
		return;
	s = part_index(ls, p + 1, (size_t)(end - p - 1));
	if (s == ls->nparts) {
		refuse(ls, "unknown section [%.*s]", (int)(end - p - 1),
		    p + 1);
		return;
	}
	if (!ls->ps[s].seen) {
		ls->ps[s].seen = 1;
		ls->ps[s].line = ls->line;
	}
}

/* fgets with a line count, so the handler knows where it is. */
static char *
counting_reader(char *str, int num, void *stream)
{
	struct load_state *ls = stream;
	char *r = fgets(str, num, ls->file);

	if (r != NULL) {
		ls->line++;
		note_section_header(ls, str);
	}
	return r;
}

static int
refuse(struct load_state *ls, const char *fmt, ...)
{
	va_list ap;

	if (ls->problem_line == 0) {
		ls->problem_line = ls->line;
		va_start(ap, fmt);
		vsnprintf(ls->problem, sizeof ls->problem, fmt, ap);
		va_end(ap);
	}
	return 0;
}

const char *
ld_config_sysconfdir(void)
{
	return LD_SYSCONFDIR;
}

static int
parse_int64(const char *v, long long min, long long max, long long *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* The spellings of an LD_CONFIG_BOOL, as in the sample's yes and no. */
static const struct ld_config_word bool_words[] = {
	{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
	{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 }, { NULL, 0 }
};

/* Stores v in the key's field; -1 when it is not a value of its type. */
static int
set_value(const struct ld_config_key *k, void *conf, const char *v)
{
	void *slot = (char *)conf + k->offset;
	const struct ld_config_word *w;
	long long n;

	switch (k->type) {
	case LD_CONFIG_STR:
		free(*(char **)slot);
		*(char **)slot = ld_strdup(v);
		return 0;
	case LD_CONFIG_INT:
		if (parse_int64(v, 0, INT_MAX, &n) != 0)
			return -1;
		*(int *)slot = (int)n;
		return 0;
	case LD_CONFIG_LONG:
		if (parse_int64(v, 0, LONG_MAX, &n) != 0)
			return -1;
		*(long *)slot = (long)n;
		return 0;
	case LD_CONFIG_BPS:
		if (parse_int64(v, 0, 10000, &n) != 0)
			return -1;
		*(int *)slot = (int)n;
		return 0;
	case LD_CONFIG_FEN:
		if (parse_int64(v, 0, INT64_C(10000000000000), &n) != 0)
			return -1;
		*(int64_t *)slot = (int64_t)n;
		return 0;
	case LD_CONFIG_WORD:
		for (w = k->words; w != NULL && w->word != NULL; w++)
			if (strcmp(v, w->word) == 0) {
				*(int *)slot = w->value;
				return 0;
			}
		return -1;
	case LD_CONFIG_BOOL:
		for (w = bool_words; w->word != NULL; w++)
			if (strcmp(v, w->word) == 0) {
				*(int *)slot = w->value;
				return 0;
			}
		return -1;
	}
	return -1;
}

/* "expected ..." for a value set_value refused. */
static void
expected(const struct ld_config_key *k, char *out, size_t len)
{
	const struct ld_config_word *w;
	size_t n = 0, i;

	switch (k->type) {
	case LD_CONFIG_BPS:
		snprintf(out, len, "expected basis points 0..10000");
		return;
	case LD_CONFIG_FEN:
		snprintf(out, len, "expected a whole number of fen");
		return;
	case LD_CONFIG_BOOL:
		snprintf(out, len, "expected yes or no");
		return;
	case LD_CONFIG_WORD:
		for (w = k->words; w != NULL && w->word != NULL; w++)
			n++;
		i = (size_t)snprintf(out, len, "expected");
		for (w = k->words; w != NULL && w->word != NULL && i < len;
		    w++, n--)
			i += (size_t)snprintf(out + i, len - i, "%s%s",
			    w == k->words ? " " : n == 1 ? " or " : ", ",
			    w->word);
		return;
	default:
		snprintf(out, len, "expected a non-negative integer");
		return;
	}
}

static void
section_free(const struct ld_config_section *s, void *conf)
{
	size_t i;

	for (i = 0; i < s->nkeys; i++)
		if (s->keys[i].type == LD_CONFIG_STR)
			ld_freep((char *)conf + s->keys[i].offset);
}

static enum ld_status
section_defaults(const struct ld_config_section *s, void *conf,
    struct ld_err *err)
{
	size_t i;

	memset(conf, 0, s->size);
	for (i = 0; i < s->nkeys; i++)
		if (s->keys[i].def != NULL &&
		    set_value(&s->keys[i], conf, s->keys[i].def) != 0)
			return ld_err_set(err, LD_EINTERNAL, "[%s] %s: "
			    "built-in value \"%s\" is not one", s->name,
			    s->keys[i].name, s->keys[i].def);
	return LD_OK;
}

void
ld_config_free(const struct ld_config_part *parts, size_t nparts)
{
	size_t i;

	for (i = 0; i < nparts; i++)
		if (parts[i].conf != NULL)
			section_free(parts[i].section, parts[i].conf);
}

enum ld_status
ld_config_defaults(const struct ld_config_part *parts, size_t nparts,
    struct ld_err *err)
{
	enum ld_status st;
	size_t i;

	for (i = 0; i < nparts; i++) {
		if (parts[i].conf == NULL)
			continue;
		if ((st = section_defaults(parts[i].section, parts[i].conf,
		    err)) != LD_OK) {
			ld_config_free(parts, i + 1);
			return st;
		}
	}
	return LD_OK;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct load_state *ls = user;
	const struct ld_config_section *s;
	struct part_state *p;
	char why[128];
	size_t pi, i;

	if (section[0] == '\0')
		return refuse(ls, "key \"%s\" before any [section]", name);
	pi = part_index(ls, section, strlen(section));
	/* The reader has named the unknown section already. */
	if (pi == ls->nparts)
		return refuse(ls, "unknown section [%s]", section);
	p = &ls->ps[pi];
	s = p->section;
	if (s->keys == NULL)
		return 1;	/* another program's to read */
	i = key_index(s, name);
	if (i == s->nkeys) {
		return refuse(ls, "unknown key \"%s\" in [%s]", name,
		    section);
	}
	if (p->seen_key[i]) {
		return refuse(ls, "key \"%s\" in [%s] given twice (first on "
		    "line %d)", name, section, p->key_line[i]);
	}
	p->seen_key[i] = 1;
	p->key_line[i] = ls->line;
	if (set_value(&s->keys[i], p->conf, value) == 0)
		return 1;
	expected(&s->keys[i], why, sizeof why);
	return refuse(ls, "key \"%s\" in [%s]: invalid value \"%s\" (%s)",
	    name, section, value, why);
}

static enum ld_status
key_file_mode_ok(const char *path, const struct stat *sb, struct ld_err *err)
{
	if (!S_ISREG(sb->st_mode))
		return ld_err_set(err, LD_EINVAL,
		    "key file %s: not a regular file", path);
	if (sb->st_mode & (S_IRWXG | S_IRWXO))
		return ld_err_set(err, LD_EPERM,
		    "key file %s has mode %04o: it must not be accessible "
		    "by group or others (chmod 600 %s)", path,
		    (unsigned)(sb->st_mode & 07777), path);
	return LD_OK;
}

enum ld_status
ld_config_check_key_file(const char *path, struct ld_err *err)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return ld_err_set(err, LD_EIO, "key file %s: %s", path,
		    strerror(errno));
	return key_file_mode_ok(path, &sb, err);
}

enum ld_status
ld_config_read_key_file(const char *path, struct ld_buf *b,
    struct ld_err *err)
{
	struct stat sb;
	enum ld_status st;
	char chunk[4096];
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO put in the key's place must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return ld_err_set(err, errno == ENOENT ? LD_ENOTFOUND : LD_EIO,
		    "key file %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0) {
		st = ld_err_set(err, LD_EIO, "key file %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if ((st = key_file_mode_ok(path, &sb, err)) != LD_OK)
		goto out;
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = ld_err_set(err, LD_EIO, "key file %s: %s", path,
			    strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (ld_buf_append(b, chunk, (size_t)n) != LD_OK) {
			st = ld_err_set(err, LD_EINVAL,
			    "key file %s: larger than %zu bytes", path, b->max);
			break;
		}
	}
	if (st == LD_OK && b->data == NULL)
		st = ld_buf_puts(b, "");
out:
	OPENSSL_cleanse(chunk, sizeof chunk);
	close(fd);
	return st;
}

int
ld_config_present(const struct ld_config_at *at)
{
	return at->p->seen;
}

int
ld_config_line(const struct ld_config_at *at, const char *key)
{
	size_t i;

	if (key == NULL)
		return at->p->line;
	i = key_index(at->p->section, key);
	return i < at->p->section->nkeys && at->p->seen_key[i] ?
	    at->p->key_line[i] : 0;
}

enum ld_status
ld_config_fail(const struct ld_config_at *at, int line, struct ld_err *err,
    enum ld_status st, const char *fmt, ...)
{
	char msg[LD_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (line > 0)
		return ld_err_set(err, st, "%s:%d: %s", at->ls->path, line,
		    msg);
	return ld_err_set(err, st, "%s: %s", at->ls->path, msg);
}

/*
 * After the file is read: required keys in every section, then each
 * section's values (each key's own check, then the owner's check of them
 * together), then the key files named, so that the cheapest mistakes are
 * reported first.
 */
static enum ld_status
validate(struct load_state *ls, struct ld_err *err)
{
	struct ld_config_at at;
	const struct ld_config_section *s;
	const char *why;
	char msg[LD_ERR_MSG_MAX];
	enum ld_status st;
	size_t pi, i;

	at.ls = ls;
	for (pi = 0; pi < ls->nparts; pi++) {
		at.p = &ls->ps[pi];
		s = at.p->section;
		for (i = 0; i < s->nkeys; i++)
			if ((s->keys[i].flags & LD_CONFIG_REQUIRED) &&
			    at.p->seen && !at.p->seen_key[i])
				return ld_config_fail(&at, at.p->line, err,
				    LD_EINVAL, "[%s] lacks required key \"%s\"",
				    s->name, s->keys[i].name);
	}
	for (pi = 0; pi < ls->nparts; pi++) {
		at.p = &ls->ps[pi];
		s = at.p->section;
		for (i = 0; i < s->nkeys; i++) {
			if (s->keys[i].check == NULL)
				continue;
			why = s->keys[i].check((char *)at.p->conf +
			    s->keys[i].offset);
			if (why != NULL)
				return ld_config_fail(&at, at.p->seen_key[i] ?
				    at.p->key_line[i] : 0, err, LD_EINVAL,
				    "[%s] %s %s", s->name, s->keys[i].name,
				    why);
		}
		if (s->check != NULL &&
		    (st = s->check(at.p->conf, &at, err)) != LD_OK)
			return st;
	}
	for (pi = 0; pi < ls->nparts; pi++) {
		at.p = &ls->ps[pi];
		s = at.p->section;
		for (i = 0; i < s->nkeys; i++) {
			if (!(s->keys[i].flags & LD_CONFIG_SECRET) ||
			    !at.p->seen_key[i])
				continue;
			st = ld_config_check_key_file(*(char **)((char *)
			    at.p->conf + s->keys[i].offset), err);
			if (st != LD_OK) {
				memcpy(msg, err->msg, sizeof msg);
				return ld_config_fail(&at, at.p->key_line[i],
				    err, st, "[%s] %s: %s", s->name,
				    s->keys[i].name, msg);
			}
		}
	}
	return LD_OK;
}

static void
states_free(struct load_state *ls)
{
	size_t i;

	for (i = 0; i < ls->nparts; i++) {
		if (ls->ps[i].scratch) {
			section_free(ls->ps[i].section, ls->ps[i].conf);
			free(ls->ps[i].conf);
		}
		free(ls->ps[i].seen_key);
		free(ls->ps[i].key_line);
	}
	free(ls->ps);
}

/* Reads and checks the file over the defaults the parts hold already. */
static enum ld_status
read_file(struct load_state *ls, const struct ld_config_part *parts,
    struct ld_err *err)
{
	struct part_state *p;
	enum ld_status st;
	size_t i, n;
	FILE *f;
	int rc;

	for (i = 0; i < ls->nparts; i++) {
		p = &ls->ps[i];
		p->section = parts[i].section;
		p->conf = parts[i].conf;
		n = p->section->nkeys > 0 ? p->section->nkeys : 1;
		p->seen_key = ld_calloc(n, sizeof *p->seen_key);
		p->key_line = ld_calloc(n, sizeof *p->key_line);
		if (p->conf == NULL && p->section->keys != NULL) {
			p->scratch = 1;
			p->conf = ld_calloc(1, p->section->size);
			if ((st = section_defaults(p->section, p->conf,
			    err)) != LD_OK)
				return st;
		}
	}
	f = fopen(ls->path, "r");
	if (f == NULL)
		return ld_err_set(err, LD_EIO, "%s: %s", ls->path,
		    strerror(errno));
	ls->file = f;
	rc = ini_parse_stream(counting_reader, ls, handler, ls);
	fclose(f);
	/*
	 * inih returns the first line it or the handler refused; the reader's
	 * refusals (a section header) it does not see, so the earlier of the
	 * two is the one to report.
	 */
	if (rc < 0)
		return ld_err_set(err, LD_EIO, "%s: cannot read", ls->path);
	if (ls->problem_line != 0 && (rc == 0 || ls->problem_line <= rc))
		return ld_err_set(err, LD_EINVAL, "%s:%d: %s", ls->path,
		    ls->problem_line, ls->problem);
	if (rc > 0)
		return ld_err_set(err, LD_EINVAL,
		    "%s:%d: syntax error (expected [section] or key = value)",
		    ls->path, rc);
	return validate(ls, err);
}

enum ld_status
ld_config_load_file(const struct ld_config_part *parts, size_t nparts,
    const char *file, struct ld_err *err)
{
	struct load_state ls;
	struct ld_err derr;
	enum ld_status st;

	if ((st = ld_config_defaults(parts, nparts, err)) != LD_OK)
		return st;
	memset(&ls, 0, sizeof ls);
	ls.path = file;
	ls.nparts = nparts;
	ls.ps = ld_calloc(nparts > 0 ? nparts : 1, sizeof *ls.ps);
	st = read_file(&ls, parts, err);
	states_free(&ls);
	if (st != LD_OK) {
		/* A refused file leaves the defaults, not half of it. */
		ld_config_free(parts, nparts);
		(void)ld_config_defaults(parts, nparts, &derr);
	}
	return st;
}

enum ld_status
ld_config_load_from(const struct ld_config_part *parts, size_t nparts,
    const char *cli_path, const char *sysconfdir, char **path,
    struct ld_err *err)
{
	const char *env = getenv("LOANDESK_CONF"), *file = NULL;
	char sys[4096];
	struct stat sb;
	enum ld_status st;

	*path = NULL;
	if (cli_path != NULL)
		file = cli_path;
	else if (env != NULL && env[0] != '\0')
		file = env;
	else {
		if ((size_t)snprintf(sys, sizeof sys,
		    "%s/loandesk/loandesk.conf", sysconfdir) >= sizeof sys)
			return ld_err_set(err, LD_EINVAL, "configuration "
			    "directory %s: path too long", sysconfdir);
		if (stat(sys, &sb) == 0)
			file = sys;
	}
	if (file == NULL)
		return ld_config_defaults(parts, nparts, err);
	if ((st = ld_config_load_file(parts, nparts, file, err)) == LD_OK)
		*path = ld_strdup(file);
	return st;
}

enum ld_status
ld_config_load(const struct ld_config_part *parts, size_t nparts,
    const char *cli_path, char **path, struct ld_err *err)
{
	return ld_config_load_from(parts, nparts, cli_path, LD_SYSCONFDIR,
	    path, err);
}
