/*
 * The JSON and text rules for what comes off the wire: one reading of a
 * document (no trailing bytes, no NUL hidden in a string, no member named
 * twice, so two readers can never disagree about what it says), and text
 * fit for a log line or a terminal.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "ld_alloc.h"
#include "ld_utf8.h"
#include "wxpay_crypto.h"

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first member named twice in o or below, or NULL. */
static const char *
twice_named(const cJSON *o)
{
	const cJSON *c;
	const char **names, *dup = NULL;
	size_t n = 0, i;

	for (c = o->child; c != NULL; c = c->next) {
		if (c->child != NULL && (dup = twice_named(c)) != NULL)
			return dup;
		n++;
	}
	if (!cJSON_IsObject(o) || n < 2)
		return NULL;
	names = ld_reallocarray(NULL, n, sizeof *names);
	for (i = 0, c = o->child; c != NULL; c = c->next)
		names[i++] = c->string != NULL ? c->string : "";
	qsort(names, n, sizeof *names, name_cmp);
	for (i = 1; i < n && dup == NULL; i++)
		if (strcmp(names[i - 1], names[i]) == 0)
			dup = names[i];
	free(names);
	return dup;
}

cJSON *
wx_json_parse_exact(const void *data, size_t len, struct ld_err *err)
{
	const char *p = data != NULL ? data : "", *end = NULL, *dup;
	cJSON *o;
	size_t i;
	int in_str = 0;

	/*
	 * cJSON stops a string at a NUL, so "\u0000" (or a raw NUL) would
	 * make "B1\u0000X" read as "B1" here and as something else anywhere
	 * else.
	 */
	for (i = 0; i < len; i++) {
		if (p[i] == '\0') {
			ld_err_set(err, LD_EPROTO, "JSON: NUL byte at offset "
			    "%zu", i);
			return NULL;
		}
		if (!in_str) {
			in_str = p[i] == '"';
		} else if (p[i] == '"') {
			in_str = 0;
		} else if (p[i] == '\\') {
			if (i + 5 < len && p[i + 1] == 'u' &&
			    memcmp(p + i + 2, "0000", 4) == 0) {
				ld_err_set(err, LD_EPROTO, "JSON: \\u0000 in a "
				    "string at offset %zu", i);
				return NULL;
			}
			i++;
		}
	}
	o = len > 0 ? cJSON_ParseWithLengthOpts(p, len, &end, 0) : NULL;
	if (o == NULL) {
		ld_err_set(err, LD_EPROTO, "not JSON (at offset %zu)",
		    end != NULL && end >= p && (size_t)(end - p) <= len ?
		    (size_t)(end - p) : (size_t)0);
		return NULL;
	}
	for (i = (size_t)(end - p); i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' &&
		    p[i] != '\n') {
			cJSON_Delete(o);
			ld_err_set(err, LD_EPROTO, "JSON: bytes after the "
			    "document at offset %zu", i);
			return NULL;
		}
	if ((dup = twice_named(o)) != NULL) {
		ld_err_set(err, LD_EPROTO, "JSON: member \"%.64s\" given "
		    "twice", dup);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

void
wx_text_copy(char *dst, size_t cap, const char *src)
{
	const char *p = src != NULL ? src : "";
	const char *end = p + strlen(p);
	size_t o = 0;

	if (cap == 0)
		return;
	while (p < end) {
		uint32_t cp;
		size_t n;
		int ok = ld_utf8_decode(p, (size_t)(end - p), &cp, &n) ==
		    LD_UTF8_OK;

		if (!ok || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			/* A control a terminal would obey is one mark; bytes
			 * that are not UTF-8 are one mark each. */
			if (o + 1 >= cap)
				break;
			dst[o++] = '?';
			p += ok ? n : 1;
			continue;
		}
		if (o + n >= cap)
			break;
		memcpy(dst + o, p, n);
		o += n;
		p += n;
	}
	dst[o] = '\0';
}
