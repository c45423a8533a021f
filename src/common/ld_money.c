#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ld_money.h"

/* gcc and clang both have it; __extension__ keeps -Wpedantic quiet. */
__extension__ typedef __int128 ld_i128;

enum ld_status
ld_money_parse_yuan(const char *s, int64_t *fen, struct ld_err *err)
{
	const char *p = s;
	int64_t yuan = 0, frac = 0;
	int ndigits = 0, nfrac = 0, seen_dot = 0;

	if (strncmp(p, "\xc2\xa5", 2) == 0) /* ¥ */
		p += 2;
	if (*p == '\0')
		return ld_err_set(err, LD_EINVAL, "amount \"%s\": empty", s);
	for (; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9') {
			if (seen_dot) {
				if (++nfrac > 2)
					return ld_err_set(err, LD_EINVAL,
					    "amount \"%s\": more than two "
					    "decimals (fen is the smallest unit)",
					    s);
				frac = frac * 10 + (*p - '0');
			} else {
				if (yuan > LD_FEN_MAX / 100)
					return ld_err_set(err, LD_EINVAL,
					    "amount \"%s\": too large", s);
				yuan = yuan * 10 + (*p - '0');
				ndigits++;
			}
		} else if (*p == ',' && !seen_dot && ndigits > 0) {
			continue;
		} else if (*p == '.' && !seen_dot) {
			seen_dot = 1;
		} else {
			return ld_err_set(err, LD_EINVAL,
			    "amount \"%s\": unexpected character '%c' at "
			    "offset %d", s, *p, (int)(p - s));
		}
	}
	if (ndigits == 0)
		return ld_err_set(err, LD_EINVAL, "amount \"%s\": no digits", s);
	if (nfrac == 1)
		frac *= 10;
	if (yuan * 100 + frac > LD_FEN_MAX)
		return ld_err_set(err, LD_EINVAL, "amount \"%s\": too large", s);
	*fen = yuan * 100 + frac;
	return LD_OK;
}

size_t
ld_money_format(int64_t fen, int symbol, char *buf, size_t len)
{
	char digits[32], out[64];
	uint64_t mag, yuan;
	unsigned cents;
	size_t n, i, o = 0;

	mag = fen < 0 ? (uint64_t)(-(fen + 1)) + 1 : (uint64_t)fen;
	yuan = mag / 100;
	cents = (unsigned)(mag % 100);
	n = (size_t)snprintf(digits, sizeof digits, "%llu",
	    (unsigned long long)yuan);
	if (fen < 0)
		out[o++] = '-';
	if (symbol) {
		memcpy(out + o, "\xc2\xa5", 2);
		o += 2;
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	o += (size_t)snprintf(out + o, sizeof out - o, ".%02u", cents);
	return (size_t)snprintf(buf, len, "%s", out) < len ? o : len - 1;
}

enum ld_status
ld_money_mul_div(int64_t a, int64_t num, int64_t den, int64_t *out)
{
	ld_i128 p, q, r;

	if (den == 0)
		return LD_EINVAL;
	p = (ld_i128)a * num;
	q = p / den;
	r = p % den;
	if (r < 0)
		r = -r;
	if (2 * r >= (den < 0 ? -(ld_i128)den : (ld_i128)den))
		q += ((p < 0) != (den < 0)) ? -1 : 1;
	if (q > INT64_MAX || q < INT64_MIN)
		return LD_EINVAL;
	*out = (int64_t)q;
	return LD_OK;
}
