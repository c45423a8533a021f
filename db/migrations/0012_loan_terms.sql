-- PROVISIONAL (this branch only): the lawful branch owns the real
-- 0012_loan_terms.sql with exact fees, schedule and IRR; at merge this
-- file is replaced by that one, which keeps these names and signatures.
ALTER TABLE applications
	ADD COLUMN upfront_fee_fen bigint NOT NULL DEFAULT 0
		CHECK (upfront_fee_fen >= 0),
	ADD COLUMN monthly_fee_fen bigint NOT NULL DEFAULT 0
		CHECK (monthly_fee_fen >= 0),
	ADD CHECK (upfront_fee_fen < amount_fen);
INSERT INTO settings (key, value) VALUES ('apr_cap_bps', '2400');

-- What the borrower receives: the principal less the upfront fees.
CREATE FUNCTION loan_disbursement_fen(p_application_id bigint)
RETURNS bigint LANGUAGE sql STABLE
SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT amount_fen - upfront_fee_fen FROM applications
	WHERE id = p_application_id
$$;

-- The loan's APR by IRR against the cap (settings apr_cap_bps, never
-- above 3600).  Provisional: the nominal rate stands for the APR.
CREATE FUNCTION loan_apr_cap_check(p_application_id bigint,
	OUT apr_bps integer, OUT cap_bps integer, OUT within_cap boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT a.rate_bps,
		least((SELECT (value #>> '{}')::integer FROM settings
			WHERE key = 'apr_cap_bps'), 3600),
		a.rate_bps <= least((SELECT (value #>> '{}')::integer
			FROM settings WHERE key = 'apr_cap_bps'), 3600)
	FROM applications a WHERE a.id = p_application_id
$$;
REVOKE ALL ON FUNCTION loan_disbursement_fen(bigint),
	loan_apr_cap_check(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION loan_disbursement_fen(bigint),
	loan_apr_cap_check(bigint) TO loandesk_api;
GRANT SELECT ON settings TO loandesk_api;
