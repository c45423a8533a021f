/*
 * The flat APIv2 XML documents: <xml><k>v</k>...</xml>.  Parsed with expat
 * and refused at the first thing WeChat never sends (DTDs, entities,
 * nesting, attributes), since the answer comes over the network.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <expat.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "wxpay_crypto.h"

struct xml_state {
	XML_Parser p;
	int depth;
	struct wx_kv *fields;
	size_t n;
	struct ld_buf text;     /* character data of the current field */
	char *key;              /* name of the field being read */
	char why[256];          /* set when a handler stopped the parser */
};

static void
xml_stop(struct xml_state *st, const char *what, const char *name)
{
	if (st->why[0] != '\0')
		return;
	snprintf(st->why, sizeof st->why, "line %lu column %lu: %s%s%.64s%s",
	    (unsigned long)XML_GetCurrentLineNumber(st->p),
	    (unsigned long)XML_GetCurrentColumnNumber(st->p) + 1, what,
	    name != NULL ? " \"" : "", name != NULL ? name : "",
	    name != NULL ? "\"" : "");
	XML_StopParser(st->p, XML_FALSE);
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xml_state *st = ud;

	st->depth++;
	if (atts[0] != NULL) {
		xml_stop(st, "attributes are not allowed on", name);
		return;
	}
	if (st->depth == 1) {
		if (strcmp(name, "xml") != 0)
			xml_stop(st, "root element is not <xml> but", name);
		return;
	}
	if (st->depth > 2) {
		xml_stop(st, "nested element", name);
		return;
	}
	if (st->n >= WX_V2_XML_MAX_FIELDS) {
		xml_stop(st, "too many fields at", name);
		return;
	}
	if (wx_kv_get(st->fields, st->n, name) != NULL) {
		xml_stop(st, "field given twice:", name);
		return;
	}
	st->key = ld_strdup(name);
	ld_buf_reset(&st->text);
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	struct xml_state *st = ud;
	size_t len;

	(void)name;
	if (st->depth-- != 2 || st->key == NULL)
		return;
	st->fields = ld_reallocarray(st->fields, st->n + 1,
	    sizeof *st->fields);
	st->fields[st->n].key = st->key;
	st->fields[st->n].value = st->text.data != NULL ?
	    ld_buf_steal(&st->text, &len) : ld_strdup("");
	st->n++;
	st->key = NULL;
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
	struct xml_state *st = ud;
	int i;

	if (st->depth == 2) {
		if (ld_buf_append(&st->text, s, (size_t)len) != LD_OK)
			xml_stop(st, "field value too long in", st->key);
		return;
	}
	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r') {
			xml_stop(st, "text outside a field", NULL);
			return;
		}
}

static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal)
{
	(void)sysid, (void)pubid, (void)has_internal;
	xml_stop(ud, "DOCTYPE is not allowed:", name);
}

static void XMLCALL
on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
    int value_len, const XML_Char *base, const XML_Char *sysid,
    const XML_Char *pubid, const XML_Char *notation)
{
	(void)is_param, (void)value, (void)value_len, (void)base;
	(void)sysid, (void)pubid, (void)notation;
	xml_stop(ud, "entity declarations are not allowed:", name);
}

static void XMLCALL
on_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
	(void)data;
	xml_stop(ud, "processing instruction not allowed:", target);
}

enum ld_status
wx_v2_xml_parse(const char *xml, size_t len, struct wx_kv **fields, size_t *n,
    struct ld_err *err)
{
	struct xml_state st;
	enum ld_status rc = LD_OK;

	*fields = NULL;
	*n = 0;
	if (len > WX_V2_XML_MAX)
		return ld_err_set(err, LD_EPROTO, "APIv2 XML: %zu bytes, more "
		    "than the %d allowed", len, WX_V2_XML_MAX);
	memset(&st, 0, sizeof st);
	ld_buf_init(&st.text, WX_V2_XML_MAX);
	if ((st.p = XML_ParserCreate("UTF-8")) == NULL)
		return ld_err_set(err, LD_ENOMEM, "XML_ParserCreate");
	XML_SetUserData(st.p, &st);
	XML_SetElementHandler(st.p, on_start, on_end);
	XML_SetCharacterDataHandler(st.p, on_text);
	XML_SetStartDoctypeDeclHandler(st.p, on_doctype);
	XML_SetEntityDeclHandler(st.p, on_entity);
	XML_SetProcessingInstructionHandler(st.p, on_pi);
	XML_SetParamEntityParsing(st.p, XML_PARAM_ENTITY_PARSING_NEVER);
	if (XML_Parse(st.p, xml, (int)len, XML_TRUE) == XML_STATUS_ERROR) {
		if (st.why[0] != '\0')
			rc = ld_err_set(err, LD_EPROTO, "APIv2 XML: %s",
			    st.why);
		else
			rc = ld_err_set(err, LD_EPROTO,
			    "APIv2 XML: line %lu column %lu: %s",
			    (unsigned long)XML_GetCurrentLineNumber(st.p),
			    (unsigned long)XML_GetCurrentColumnNumber(st.p) +
			    1, XML_ErrorString(XML_GetErrorCode(st.p)));
	} else if (st.why[0] != '\0') {
		rc = ld_err_set(err, LD_EPROTO, "APIv2 XML: %s", st.why);
	}
	XML_ParserFree(st.p);
	free(st.key);
	ld_buf_free(&st.text);
	if (rc != LD_OK) {
		wx_kv_free(st.fields, st.n);
		return rc;
	}
	*fields = st.fields;
	*n = st.n;
	return LD_OK;
}

static int
xml_name_ok(const char *k)
{
	size_t i;

	if (k == NULL || k[0] == '\0' || (k[0] >= '0' && k[0] <= '9'))
		return 0;
	for (i = 0; k[i] != '\0'; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') ||
		    (k[i] >= 'A' && k[i] <= 'Z') ||
		    (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return 1;
}

char *
wx_v2_xml_build(const struct wx_kv *fields, size_t n)
{
	struct ld_buf b;
	size_t i, len;

	for (i = 0; i < n; i++)
		if (!xml_name_ok(fields[i].key))
			return NULL;
	ld_buf_init(&b, 0);
	ld_buf_puts(&b, "<xml>");
	for (i = 0; i < n; i++) {
		const char *v = fields[i].value != NULL ? fields[i].value : "";
		const char *e;

		ld_buf_printf(&b, "<%s><![CDATA[", fields[i].key);
		/* "]]>" cannot appear inside CDATA: close and reopen. */
		while ((e = strstr(v, "]]>")) != NULL) {
			ld_buf_append(&b, v, (size_t)(e - v) + 2);
			ld_buf_puts(&b, "]]><![CDATA[");
			v = e + 2;
		}
		ld_buf_puts(&b, v);
		ld_buf_printf(&b, "]]></%s>", fields[i].key);
	}
	ld_buf_puts(&b, "</xml>");
	return ld_buf_steal(&b, &len);
}

const char *
wx_kv_get(const struct wx_kv *fields, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(fields[i].key, key) == 0)
			return fields[i].value;
	return NULL;
}

void
wx_kv_free(struct wx_kv *fields, size_t n)
{
	size_t i;

	if (fields == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(fields[i].key);
		free(fields[i].value);
	}
	free(fields);
}
