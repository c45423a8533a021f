/*
 * libFuzzer: the CSV reader of `loandesk model eval`
 * (src/cli/cli_model_eval.c, compiled in here so its static reader can be
 * reached), scoring with the example scorecard or a small XGBoost model in
 * every output mode.  The first input byte picks the model and the mode,
 * the rest is the CSV.  Every error must name the file.  Seeds:
 * corpus/risk_csv.
 */
#include "config.h"

#include <stdarg.h>

#include "../../src/cli/cli_model_eval.c"
#include "tests/fuzz/risk_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

static struct risk_model *models[2];

void
cli_error(const char *fmt, ...)
{
	char	 msg[2048];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	RISK_FUZZ_CHECK(strncmp(msg, "fuzz.csv:", 9) == 0,
	    "error does not name the file: \"%s\"", msg);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ld_err	 err;

	(void)argc;
	(void)argv;
	ld_err_clear(&err);
	RISK_FUZZ_CHECK(risk_model_load_file(RISK_FUZZ_TOP_SRCDIR
	    "/etc/scorecard.example.json", &models[0], &err) == LD_OK, "%s",
	    err.msg);
	RISK_FUZZ_CHECK(risk_model_load_file(RISK_FUZZ_TOP_SRCDIR
	    "/tests/fuzz/corpus/risk_xgb/tiny.json", &models[1], &err) ==
	    LD_OK, "%s", err.msg);
	/* The scores are not what is tested here. */
	RISK_FUZZ_CHECK(freopen("/dev/null", "w", stdout) != NULL,
	    "no /dev/null");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eval_csv		 c;
	struct risk_scale	 sc;
	enum eval_mode		 mode;

	if (size < 2)
		return 0;
	mode = (enum eval_mode)(data[0] & 3);
	memset(&c, 0, sizeof c);
	c.path = "fuzz.csv";
	c.next_line = 1;
	c.fp = fmemopen((void *)(data + 1), size - 1, "r");
	RISK_FUZZ_CHECK(c.fp != NULL, "fmemopen");
	risk_scale_default(&sc);
	(void)eval_rows(models[(data[0] >> 2) & 1], &c, mode, &sc);
	fclose(c.fp);
	free(c.rec);
	free(c.fields);
	return 0;
}
