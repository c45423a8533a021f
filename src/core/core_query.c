#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core_query.h"

const char *
core_val(const PGresult *res, int row, int col)
{
	if (res == NULL || row >= PQntuples(res) || col >= PQnfields(res) ||
	    PQgetisnull(res, row, col))
		return "";
	return PQgetvalue(res, row, col);
}

int64_t
core_val_i64(const PGresult *res, int row, int col)
{
	const char *s = core_val(res, row, col);
	char *end;
	long long v;

	if (*s == '\0')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || (*end != '\0' && *end != '.'))
		return 0;
	return (int64_t)v;
}

int
core_val_null(const PGresult *res, int row, int col)
{
	return res == NULL || row >= PQntuples(res) || col >= PQnfields(res) ||
	    PQgetisnull(res, row, col);
}

size_t
core_like_text(const char *typed, char *out, size_t len)
{
	size_t b = 0, e = strlen(typed), o = 0;

	if (len == 0)
		return 0;
	while (typed[b] == ' ' || typed[b] == '\t')
		b++;
	while (e > b && (typed[e - 1] == ' ' || typed[e - 1] == '\t'))
		e--;
	for (; b < e; b++) {
		int esc = typed[b] == '%' || typed[b] == '_' ||
		    typed[b] == '\\';

		if (o + (size_t)esc + 1 >= len) {
			out[0] = '\0';
			return (size_t)-1;
		}
		if (esc)
			out[o++] = '\\';
		out[o++] = typed[b];
	}
	out[o] = '\0';
	return o;
}
