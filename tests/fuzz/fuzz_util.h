/*
 * Shared by the libFuzzer harnesses (see tests/fuzz.mk): invariants that
 * must hold whatever WeChat Pay, a callback or a merchant sends, checked
 * with abort() so libFuzzer keeps the input that broke one.
 */
#ifndef LD_FUZZ_UTIL_H
#define LD_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(c)							\
	do {								\
		if (!(c)) {						\
			fprintf(stderr, "%s:%d: invariant failed: %s\n", \
			    __FILE__, __LINE__, #c);			\
			abort();					\
		}							\
	} while (0)

/* Where the SDK fixtures are (tests/kat), set by the build. */
#ifndef FUZZ_KATDIR
#define FUZZ_KATDIR "tests/kat"
#endif

/*
 * A string field held in cap bytes is NUL-terminated inside them and is
 * text a log or a terminal can take: valid UTF-8 without control
 * characters (C0, DEL, C1).
 */
static inline int
fuzz_text_ok(const char *s, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;

	if (memchr(s, '\0', cap) == NULL)
		return 0;
	len = strlen(s);
	while (i < len) {
		unsigned c = p[i], cp, k, n;

		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return 0;
		if (i + n >= len + 1 || i + n > len)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* An amount field: absent (-1) or an integer a double holds exactly. */
static inline int
fuzz_amount_ok(int64_t v)
{
	return v == -1 || (v >= 0 && v < (INT64_C(1) << 53));
}

#endif
