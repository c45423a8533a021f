/*
 * Money is int64_t fen everywhere: parsed from text, stored as bigint, sent on
 * the wire.  Nothing here touches floating point.
 */
#ifndef LD_MONEY_H
#define LD_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "ld_err.h"

/* The largest amount we accept anywhere: 10^13 fen (one hundred billion yuan). */
#define LD_FEN_MAX INT64_C(10000000000000)

/*
 * Parses a yuan amount ("1234", "1234.5", "1,234.56", "¥12.30") into fen.
 * More than two decimals, signs, or anything else is LD_EINVAL.
 */
enum ld_status ld_money_parse_yuan(const char *s, int64_t *fen,
    struct ld_err *err);

/*
 * Formats fen as "1,234.56" (grouped, with sign when negative) into buf;
 * returns the length written.  With `symbol` the text starts with "¥".
 */
size_t ld_money_format(int64_t fen, int symbol, char *buf, size_t len);

/* a * num / den rounded half away from zero, with overflow reported. */
enum ld_status ld_money_mul_div(int64_t a, int64_t num, int64_t den,
    int64_t *out);

#endif
