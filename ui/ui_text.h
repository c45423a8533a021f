/*
 * Text measured in terminal columns.  Applicant names are Chinese: one
 * character is two columns, so padding, truncation and alignment go by
 * wcwidth(), never by bytes or code points.  Pure code, no curses.
 */
#ifndef LD_UI_TEXT_H
#define LD_UI_TEXT_H

#include <stddef.h>

enum ui_align {
	UI_LEFT,
	UI_RIGHT
};

/*
 * Display columns of UTF-8 text in the current locale.  Bytes that do not
 * decode, and non-printing characters, count one column (they are drawn as
 * '?').
 */
int ui_text_width(const char *s);

/*
 * Writes s into out (outlen bytes) fitted to exactly width columns: padded
 * with spaces on the right (UI_LEFT) or left (UI_RIGHT), or cut at a
 * character boundary with an ellipsis ("…", or "~" outside a UTF-8 locale)
 * as the last column when it is wider.  A double-width character that would
 * straddle the edge is replaced by a space.  Control characters and
 * undecodable bytes become '?'.  Returns the columns written (width, unless
 * outlen was too small).
 */
int ui_text_fit(const char *s, int width, enum ui_align align, char *out,
    size_t outlen);

/*
 * The length in bytes of the longest start of s that fits in width
 * columns, ending on a character boundary (for wrapping text).
 */
int ui_text_cut(const char *s, int width);

/*
 * Wrapping.  The bytes of s that make its first line of width columns:
 * cut by display width and, when the text goes on, at a space if one is
 * in the line's second half; never 0 while s is not empty.
 */
int ui_text_wrap_cut(const char *s, int width);

/* How many lines of width columns s wraps onto, counting up to max. */
int ui_text_wrap_lines(const char *s, int width, int max);

/* s after the blanks it starts with: where a wrapped line starts. */
const char *ui_text_wrap_next(const char *s);

/*
 * s fitted to width columns by whole words ("RULE_REVIEW R_DEVICE_SHARED"
 * in 20: "RULE_REVIEW…"): s itself when it fits or is a single word too
 * wide (ui_text_fit then cuts it), else buf.
 */
const char *ui_text_fit_words(const char *s, int width, char *buf,
    size_t len);

/* Whether the locale's characters are UTF-8 (ellipsis, bars, borders). */
int ui_text_utf8(void);

#endif
