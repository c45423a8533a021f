/*
 * The one UTF-8 decoder: every check of text that arrives from a file, a
 * terminal, a database or the wire goes through ld_utf8_decode, so
 * overlong forms, surrogates and code points above U+10FFFF are refused
 * the same way everywhere.
 *
 * Well-formed sequences are those of the Unicode Standard, chapter 3,
 * table 3-7.  On an ill-formed one the decoder reports the maximal subpart
 * (section 3.9, "U+FFFD Substitution of Maximal Subparts"): the longest
 * prefix that could start a well-formed sequence, at least one byte.  A
 * caller that skips that many bytes and goes on finds every fault once.
 */
#ifndef LD_UTF8_H
#define LD_UTF8_H

#include <stddef.h>
#include <stdint.h>

enum ld_utf8_status {
	LD_UTF8_OK = 0,
	LD_UTF8_CONTINUATION,	/* 0x80..0xBF where a character starts */
	LD_UTF8_BAD_BYTE,	/* 0xF8..0xFF: begins no UTF-8 sequence */
	LD_UTF8_TRUNCATED,	/* the input ends inside a sequence */
	LD_UTF8_SHORT,		/* a sequence cut by a byte that cannot go on */
	LD_UTF8_OVERLONG,	/* C0, C1, E0 80..9F, F0 80..8F */
	LD_UTF8_SURROGATE,	/* ED A0..BF: U+D800..U+DFFF */
	LD_UTF8_TOO_BIG,	/* F4 90..BF, F5..F7: above U+10FFFF */
	LD_UTF8_FOUR_BYTE,	/* well-formed, but 1-3 byte characters only */
	LD_UTF8_CONTROL		/* a C0 or C1 control or DEL in text */
};

/* ld_utf8_check flags. */
/*
 * 1-3 byte characters only (U+0000..U+FFFF): WeChat Pay APIv3 refuses
 * 4-byte characters such as emoji in every string field.
 */
#define LD_UTF8_BMP_ONLY	0x1u
/* No U+0000..U+001F, U+007F..U+009F: text a terminal must not obey. */
#define LD_UTF8_NO_CONTROL	0x2u

/*
 * Decodes the character at s (n > 0 bytes available).  LD_UTF8_OK sets
 * *cp; every answer sets *len: the sequence's length, or on a fault the
 * bytes of its maximal subpart (at least 1, except 0 when n is 0).
 */
enum ld_utf8_status ld_utf8_decode(const char *s, size_t n, uint32_t *cp,
    size_t *len);

/*
 * Checks s[0..n) under flags: LD_UTF8_OK with *chars (may be NULL) the
 * number of characters, else the first fault, with *at (may be NULL) its
 * byte offset.
 */
enum ld_utf8_status ld_utf8_check(const char *s, size_t n, unsigned flags,
    size_t *chars, size_t *at);

/* A short English description of a status ("overlong encoding"). */
const char *ld_utf8_strerror(enum ld_utf8_status st);

/*
 * Bytes of the longest prefix of s[0..n) that holds at most max bytes
 * and does not end inside a well-formed character.
 */
size_t ld_utf8_prefix(const char *s, size_t n, size_t max);

/*
 * Offset of the start of the last character of s[0..n) (n > 0): what a
 * backspace removes.  A stray byte counts as a character of its own.
 */
size_t ld_utf8_last(const char *s, size_t n);

/* 1 when s[0..n) ends inside a sequence more bytes could complete. */
int ld_utf8_incomplete(const char *s, size_t n);

#endif
