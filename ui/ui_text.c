#include "config.h"

#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui_text.h"

int
ui_text_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs != NULL && (strcmp(cs, "UTF-8") == 0 ||
	    strcmp(cs, "utf8") == 0);
}

/*
 * Decodes one character at s: its byte length, its columns (-1 for one
 * that must be replaced by '?').
 */
static size_t
next_char(const char *s, int *cols)
{
	mbstate_t st;
	wchar_t wc;
	size_t n;
	int w;

	memset(&st, 0, sizeof st);
	n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*cols = -1;
		return 1;
	}
	w = wcwidth(wc);
	*cols = w < 0 ? -1 : w;
	return n;
}

int
ui_text_width(const char *s)
{
	int total = 0, w;

	while (*s != '\0') {
		s += next_char(s, &w);
		total += w < 0 ? 1 : w;
	}
	return total;
}

int
ui_text_fit(const char *s, int width, enum ui_align align, char *out,
    size_t outlen)
{
	const char *ell = ui_text_utf8() ? "\xe2\x80\xa6" : "~";
	size_t o = 0, n;
	int used = 0, w, total, limit, pad, i;

	if (outlen == 0)
		return 0;
	out[0] = '\0';
	if (width <= 0)
		return 0;
	total = ui_text_width(s);
	/* Leave one column for the ellipsis when the text does not fit. */
	limit = total > width ? width - 1 : width;
	pad = total < width ? width - total : 0;
	if (align == UI_RIGHT)
		for (i = 0; i < pad && o + 1 < outlen; i++, used++)
			out[o++] = ' ';
	while (*s != '\0') {
		n = next_char(s, &w);
		if (w < 0) {
			if (used + 1 > limit || o + 2 > outlen)
				break;
			out[o++] = '?';
			used++;
		} else {
			if (used + w > limit)
				break;
			if (o + n + 1 > outlen)
				break;
			memcpy(out + o, s, n);
			o += n;
			used += w;
		}
		s += n;
	}
	if (total > width) {
		/* A wide character did not fit whole: pad its half. */
		while (used < width - 1 && o + 2 < outlen) {
			out[o++] = ' ';
			used++;
		}
		if (o + strlen(ell) + 1 <= outlen) {
			memcpy(out + o, ell, strlen(ell));
			o += strlen(ell);
			used++;
		}
	} else if (align == UI_LEFT)
		while (used < width && o + 1 < outlen) {
			out[o++] = ' ';
			used++;
		}
	out[o] = '\0';
	return used;
}

int
ui_text_cut(const char *s, int width)
{
	const char *p = s;
	int used = 0, w;
	size_t n;

	while (*p != '\0') {
		n = next_char(p, &w);
		if (w < 0)
			w = 1;
		if (used + w > width)
			break;
		used += w;
		p += n;
	}
	return (int)(p - s);
}

const char *
ui_text_wrap_next(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

int
ui_text_wrap_cut(const char *s, int width)
{
	int cut = ui_text_cut(s, width), sp;

	if (s[cut] == '\0')
		return cut;
	for (sp = cut; sp > cut / 2 && s[sp - 1] != ' '; sp--)
		;
	if (sp > cut / 2)
		cut = sp;
	/* A character wider than the line still moves on. */
	if (cut == 0 && *s != '\0')
		cut = ui_text_cut(s, 2) > 0 ? ui_text_cut(s, 2) : 1;
	return cut;
}

int
ui_text_wrap_lines(const char *s, int width, int max)
{
	int n = 0;

	s = ui_text_wrap_next(s);
	while (*s != '\0' && n < max) {
		s = ui_text_wrap_next(s + ui_text_wrap_cut(s, width));
		n++;
	}
	return n;
}

const char *
ui_text_fit_words(const char *s, int width, char *buf, size_t len)
{
	int cut;

	if (width <= 1 || ui_text_width(s) <= width)
		return s;
	cut = ui_text_cut(s, width - 1);
	while (cut > 0 && s[cut] != ' ')
		cut--;
	while (cut > 0 && s[cut - 1] == ' ')
		cut--;
	if (cut == 0)
		return s;
	snprintf(buf, len, "%.*s%s", cut, s, ui_text_utf8() ? "\xe2\x80\xa6" :
	    "~");
	return buf;
}
