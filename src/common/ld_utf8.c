/*
 * UTF-8 decoding by the Unicode Standard's table of well-formed byte
 * sequences (chapter 3, table 3-7): the second byte's range depends on
 * the first, which is what rules out overlong forms, surrogates and code
 * points above U+10FFFF without decoding them first.
 */
#include "config.h"

#include "ld_utf8.h"

static int
is_cont(unsigned char b)
{
	return b >= 0x80 && b <= 0xbf;
}

/*
 * The length and the second byte's range of a sequence led by c; 0 when
 * c leads none, with the fault in *st.
 */
static size_t
lead(unsigned char c, unsigned char *lo, unsigned char *hi,
    enum ld_utf8_status *st)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (c <= 0x7f)
		return 1;
	if (c <= 0xbf)
		*st = LD_UTF8_CONTINUATION;
	else if (c <= 0xc1)
		*st = LD_UTF8_OVERLONG;
	else if (c <= 0xdf)
		return 2;
	else if (c <= 0xef) {
		if (c == 0xe0)
			*lo = 0xa0;
		else if (c == 0xed)
			*hi = 0x9f;
		return 3;
	} else if (c <= 0xf4) {
		if (c == 0xf0)
			*lo = 0x90;
		else if (c == 0xf4)
			*hi = 0x8f;
		return 4;
	} else if (c <= 0xf7)
		*st = LD_UTF8_TOO_BIG;
	else
		*st = LD_UTF8_BAD_BYTE;
	return 0;
}

/* Why a continuation byte outside [lo, hi] cannot follow lead c. */
static enum ld_utf8_status
second_fault(unsigned char c)
{
	switch (c) {
	case 0xe0:
	case 0xf0:
		return LD_UTF8_OVERLONG;
	case 0xed:
		return LD_UTF8_SURROGATE;
	default:		/* 0xf4 */
		return LD_UTF8_TOO_BIG;
	}
}

enum ld_utf8_status
ld_utf8_decode(const char *s, size_t n, uint32_t *cp, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	enum ld_utf8_status st = LD_UTF8_OK;
	unsigned char lo, hi;
	size_t need, i;
	uint32_t v;

	*len = 0;
	if (n == 0)
		return LD_UTF8_TRUNCATED;
	*len = 1;
	if ((need = lead(p[0], &lo, &hi, &st)) == 0)
		return st;
	v = need == 1 ? p[0] : p[0] & (0x7fu >> need);
	for (i = 1; i < need; i++) {
		if (i == n) {
			*len = i;
			return LD_UTF8_TRUNCATED;
		}
		if (i == 1 && is_cont(p[1]) && (p[1] < lo || p[1] > hi))
			return second_fault(p[0]);
		if (!is_cont(p[i])) {
			*len = i;
			return LD_UTF8_SHORT;
		}
		v = v << 6 | (p[i] & 0x3fu);
	}
	*len = need;
	*cp = v;
	return LD_UTF8_OK;
}

enum ld_utf8_status
ld_utf8_check(const char *s, size_t n, unsigned flags, size_t *chars,
    size_t *at)
{
	enum ld_utf8_status st = LD_UTF8_OK;
	size_t i = 0, count = 0, len;
	uint32_t cp;

	while (i < n) {
		st = ld_utf8_decode(s + i, n - i, &cp, &len);
		if (st == LD_UTF8_OK && (flags & LD_UTF8_BMP_ONLY) &&
		    cp > 0xffff)
			st = LD_UTF8_FOUR_BYTE;
		if (st == LD_UTF8_OK && (flags & LD_UTF8_NO_CONTROL) &&
		    (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)))
			st = LD_UTF8_CONTROL;
		if (st != LD_UTF8_OK)
			break;
		i += len;
		count++;
	}
	if (chars != NULL)
		*chars = st == LD_UTF8_OK ? count : 0;
	if (at != NULL)
		*at = i;
	return st;
}

const char *
ld_utf8_strerror(enum ld_utf8_status st)
{
	switch (st) {
	case LD_UTF8_OK:
		return "valid UTF-8";
	case LD_UTF8_CONTINUATION:
		return "a continuation byte where a character starts";
	case LD_UTF8_BAD_BYTE:
		return "a byte that is never UTF-8";
	case LD_UTF8_TRUNCATED:
		return "a character cut off by the end of the text";
	case LD_UTF8_SHORT:
		return "an incomplete character";
	case LD_UTF8_OVERLONG:
		return "an overlong encoding";
	case LD_UTF8_SURROGATE:
		return "an encoded surrogate (U+D800..U+DFFF)";
	case LD_UTF8_TOO_BIG:
		return "a code point above U+10FFFF";
	case LD_UTF8_FOUR_BYTE:
		return "a 4-byte character (such as an emoji)";
	case LD_UTF8_CONTROL:
		return "a control character";
	}
	return "invalid UTF-8";
}

size_t
ld_utf8_prefix(const char *s, size_t n, size_t max)
{
	size_t i = 0, len;
	uint32_t cp;

	while (i < n) {
		ld_utf8_decode(s + i, n - i, &cp, &len);
		if (len > max - i)
			break;
		i += len;
	}
	return i;
}

size_t
ld_utf8_last(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	enum ld_utf8_status st;
	size_t i = n - 1, len;
	uint32_t cp;

	if (n == 0)
		return 0;
	while (i > 0 && n - i < 4 && is_cont(p[i]))
		i--;
	st = ld_utf8_decode(s + i, n - i, &cp, &len);
	if ((st == LD_UTF8_OK || st == LD_UTF8_TRUNCATED) && len == n - i)
		return i;
	return n - 1;
}

int
ld_utf8_incomplete(const char *s, size_t n)
{
	size_t i, len;
	uint32_t cp;

	if (n == 0)
		return 0;
	i = ld_utf8_last(s, n);
	return ld_utf8_decode(s + i, n - i, &cp, &len) == LD_UTF8_TRUNCATED;
}
