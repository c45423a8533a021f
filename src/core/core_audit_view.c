#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_audit_view.h"
#include "core_query.h"
#include "ld_alloc.h"
#include "ld_buf.h"

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

enum ld_status
core_audit_command(const char *cmd, struct core_audit_filter *f,
    struct ld_err *err)
{
	struct core_audit_filter nf = *f;
	const char *arg, *slash;
	size_t n;

	cmd = skip_space(cmd);
	n = strcspn(cmd, " \t");
	arg = skip_space(cmd + n);
	if (n == 5 && strncmp(cmd, "clear", 5) == 0 && *arg == '\0')
		memset(&nf, 0, sizeof nf);
	else if (n == 5 && strncmp(cmd, "actor", 5) == 0) {
		if (strlen(arg) >= sizeof nf.actor)
			return ld_err_set(err, LD_EINVAL, "actor: too long");
		snprintf(nf.actor, sizeof nf.actor, "%s", arg);
	} else if (n == 6 && strncmp(cmd, "action", 6) == 0) {
		if (strlen(arg) >= sizeof nf.action)
			return ld_err_set(err, LD_EINVAL, "action: too long");
		snprintf(nf.action, sizeof nf.action, "%s", arg);
	} else if (n == 6 && strncmp(cmd, "object", 6) == 0) {
		slash = strchr(arg, '/');
		nf.object_id[0] = '\0';
		if (slash == NULL) {
			if (strlen(arg) >= sizeof nf.object_type)
				return ld_err_set(err, LD_EINVAL,
				    "object: type too long");
			snprintf(nf.object_type, sizeof nf.object_type, "%s",
			    arg);
		} else {
			if ((size_t)(slash - arg) >= sizeof nf.object_type ||
			    slash == arg || strlen(slash + 1) == 0 ||
			    strlen(slash + 1) >= sizeof nf.object_id)
				return ld_err_set(err, LD_EINVAL,
				    "object: \"%s\" is not TYPE/ID", arg);
			snprintf(nf.object_type, sizeof nf.object_type,
			    "%.*s", (int)(slash - arg), arg);
			snprintf(nf.object_id, sizeof nf.object_id, "%s",
			    slash + 1);
		}
	} else
		return ld_err_set(err, LD_EINVAL,
		    "unknown command \"%.*s\" (actor, object, action, clear)",
		    (int)n, cmd);
	*f = nf;
	return LD_OK;
}

void
core_audit_filter_describe(const struct core_audit_filter *f, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s%s%s%s",
	    f->actor[0] ? " actor=" : "", f->actor,
	    f->object_type[0] ? " object=" : "", f->object_type,
	    f->object_id[0] ? "/" : "", f->object_id,
	    f->action[0] ? " action=" : "", f->action, "");
	if (buf[0] == ' ')
		memmove(buf, buf + 1, strlen(buf));
}

enum ld_status
core_audit_fetch(struct ld_db *db, const struct core_audit_filter *f,
    int64_t before_id, size_t limit, struct core_audit_page *page,
    struct ld_err *err)
{
	struct ld_buf sql;
	const char *params[6];
	char before[24];
	PGresult *res;
	int np = 0, i, n;
	enum ld_status st;

	memset(page, 0, sizeof *page);
	if (limit == 0 || limit > 1000)
		limit = 1000;
	ld_buf_init(&sql, 4096);
	ld_buf_puts(&sql, "SELECT id, to_char(at, 'YYYY-MM-DD HH24:MI:SS'), "
	    "actor, action, object_type || '/' || object_id, "
	    "left(detail::text, 190) FROM audit_log WHERE true");
	if (f->actor[0] != '\0') {
		params[np++] = f->actor;
		ld_buf_printf(&sql, " AND actor = $%d", np);
	}
	if (f->action[0] != '\0') {
		params[np++] = f->action;
		ld_buf_printf(&sql, " AND action = $%d", np);
	}
	if (f->object_type[0] != '\0') {
		params[np++] = f->object_type;
		ld_buf_printf(&sql, " AND object_type = $%d", np);
	}
	if (f->object_id[0] != '\0') {
		params[np++] = f->object_id;
		ld_buf_printf(&sql, " AND object_id = $%d", np);
	}
	if (before_id > 0) {
		snprintf(before, sizeof before, "%" PRId64, before_id);
		params[np++] = before;
		ld_buf_printf(&sql, " AND id < $%d::bigint", np);
	}
	ld_buf_printf(&sql, " ORDER BY id DESC LIMIT %zu", limit + 1);
	st = core_query_exec(db, sql.data, np, params, &res, err);
	ld_buf_free(&sql);
	if (st != LD_OK)
		return ld_err_prefix(err, "audit log: ");
	n = PQntuples(res);
	page->more = (size_t)n > limit;
	if ((size_t)n > limit)
		n = (int)limit;
	page->rows = ld_calloc(n > 0 ? (size_t)n : 1, sizeof *page->rows);
	for (i = 0; i < n; i++) {
		struct core_audit_row *r = &page->rows[i];

		r->id = core_val_i64(res, i, 0);
		snprintf(r->at, sizeof r->at, "%s", core_val(res, i, 1));
		snprintf(r->actor, sizeof r->actor, "%s", core_val(res, i, 2));
		snprintf(r->action, sizeof r->action, "%s",
		    core_val(res, i, 3));
		snprintf(r->object, sizeof r->object, "%s",
		    core_val(res, i, 4));
		snprintf(r->detail, sizeof r->detail, "%s",
		    core_val(res, i, 5));
	}
	page->n = (size_t)n;
	PQclear(res);
	return LD_OK;
}

void
core_audit_page_free(struct core_audit_page *page)
{
	if (page == NULL)
		return;
	free(page->rows);
	page->rows = NULL;
	page->n = 0;
}
