/*
 * A small JSON reader for model files.
 *
 * Model files need numbers read exactly as written: xgboost writes float32
 * values in their shortest round-trip form, and converting such a text to
 * double and then to float may round twice.  This reader keeps both the
 * strtod() and the strtof() reading of every number, and records the byte
 * offset of every value so errors can say where they are.
 *
 * Internal to src/risk: the model loaders' reader.
 */
#ifndef LD_RISK_JSON_H
#define LD_RISK_JSON_H
#ifndef LD_RISK_INTERNAL
#error "risk_json.h is internal to src/risk: use risk_model.h"
#endif

#include <stddef.h>

#include "ld_err.h"

enum risk_json_type {
	RISK_JSON_NULL,
	RISK_JSON_FALSE,
	RISK_JSON_TRUE,
	RISK_JSON_NUMBER,
	RISK_JSON_STRING,
	RISK_JSON_ARRAY,
	RISK_JSON_OBJECT
};

struct risk_json {
	enum risk_json_type	 type;
	size_t			 offset;	/* of the value in the text */
	char			*key;		/* member name in an object */
	size_t			 key_offset;	/* of its opening quote */
	char			*str;		/* RISK_JSON_STRING, with NUL */
	size_t			 strlen;	/* may hold embedded NULs */
	double			 num;		/* RISK_JSON_NUMBER, strtod */
	float			 numf;		/* RISK_JSON_NUMBER, strtof */
	int			 is_int;	/* written without . or e */
	size_t			 n;		/* elements or members */
	struct risk_json	*items;
};

/*
 * Parses text[0..len) as one JSON value (RFC 8259, plus the NaN, Infinity
 * and -Infinity xgboost writes; at most 256 levels of nesting; no member
 * name twice in one object).  Returns LD_EINVAL with "origin: line L
 * column C: ..." on a syntax error.  *out is freed with risk_json_free().
 */
enum ld_status risk_json_parse(const char *text, size_t len,
    const char *origin, struct risk_json **out, struct ld_err *err);

void risk_json_free(struct risk_json *v);

/* Member called key of an object, or NULL (also when v is no object). */
const struct risk_json *risk_json_get(const struct risk_json *v,
    const char *key);

/* "line L column C" for a byte offset of text, into buf. */
void risk_json_where(const char *text, size_t len, size_t offset, char *buf,
    size_t bufsz);

/* Name of a type for messages ("array"). */
const char *risk_json_type_name(enum risk_json_type t);

#endif
