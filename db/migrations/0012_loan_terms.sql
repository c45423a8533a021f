-- Loan terms: the fees a product charges, the repayment schedule computed
-- exactly, what the payout sends, and the APR cap the decision enforces.
--
-- The APR is the one PBoC announcement 〔2021〕 No. 3 asks for: the
-- internal rate of return of what the borrower actually receives (the
-- principal less the upfront fees withheld from the payout) and pays
-- (every instalment with its interest and fees), monthly IRR x 12.

ALTER TABLE applications
	ADD COLUMN upfront_fee_fen bigint NOT NULL DEFAULT 0
		CONSTRAINT applications_upfront_fee_fen_check
		CHECK (upfront_fee_fen >= 0),
	ADD COLUMN monthly_fee_fen bigint NOT NULL DEFAULT 0
		CONSTRAINT applications_monthly_fee_fen_check
		CHECK (monthly_fee_fen >= 0
			AND monthly_fee_fen <= 10000000000000),
	-- Something must reach the borrower.
	ADD CONSTRAINT applications_upfront_fee_below_amount
		CHECK (upfront_fee_fen < amount_fen);

-- The cap on the APR by IRR in basis points; loan_apr_cap_check never
-- applies more than 3600 (the 36% line) whatever this says.
INSERT INTO settings (key, value) VALUES ('apr_cap_bps', '2400');

-- The repayment schedule, as src/core/core_schedule.c computes it, in
-- numeric: every amount an integer number of fen, with r = rate_bps /
-- 120000 a month,
--   interest_k       round half up of B_(k-1) * rate_bps / 120000;
--   annuity          A = P b G / (120000 (G - H)), b = rate_bps,
--                    G = (120000 + b)^n, H = 120000^n, half up (P / n half
--                    up at rate 0);
--   equal principal  P / n half up;
--   bullet           interest only, the principal in the last period;
-- the last period (or an earlier one that would overpay) repays the whole
-- balance, and the monthly fee is added to every period.  The powers are
-- products of integers, so nothing is rounded on the way.
CREATE FUNCTION loan_schedule_terms(p_amount_fen bigint, p_rate_bps integer,
	p_term_months integer, p_repayment text, p_monthly_fee_fen bigint)
RETURNS TABLE (period integer, principal_fen bigint, interest_fen bigint,
	fee_fen bigint, payment_fen bigint, balance_fen bigint)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	b numeric := p_rate_bps;
	bal numeric := p_amount_fen;
	n integer := p_term_months;
	inst numeric := 0;
	part numeric := 0;
	g numeric := 1;
	h numeric := 1;
	d numeric;
	i numeric;
	pp numeric;
	k integer;
BEGIN
	IF n IS NULL OR n NOT BETWEEN 1 AND 60 THEN
		RAISE EXCEPTION 'schedule: term % months is outside 1..60',
			coalesce(n::text, 'null') USING ERRCODE = '22023';
	END IF;
	IF p_amount_fen IS NULL OR p_amount_fen NOT BETWEEN 1 AND 10000000000000 THEN
		RAISE EXCEPTION 'schedule: principal % fen is out of range',
			coalesce(p_amount_fen::text, 'null') USING ERRCODE = '22023';
	END IF;
	IF p_rate_bps IS NULL OR p_rate_bps NOT BETWEEN 0 AND 100000 THEN
		RAISE EXCEPTION 'schedule: rate % bps is out of range',
			coalesce(p_rate_bps::text, 'null') USING ERRCODE = '22023';
	END IF;
	IF p_monthly_fee_fen IS NULL
			OR p_monthly_fee_fen NOT BETWEEN 0 AND 10000000000000 THEN
		RAISE EXCEPTION 'schedule: monthly fee % fen is out of range',
			coalesce(p_monthly_fee_fen::text, 'null')
			USING ERRCODE = '22023';
	END IF;
	IF p_repayment IS NULL
			OR p_repayment NOT IN ('annuity', 'equal_principal', 'bullet') THEN
		RAISE EXCEPTION 'schedule: unknown repayment method %',
			coalesce(p_repayment, 'null') USING ERRCODE = '22023';
	END IF;

	IF p_repayment = 'annuity' THEN
		IF b = 0 THEN
			inst := div(bal + div(n, 2), n);
		ELSE
			FOR k IN 1..n LOOP
				g := g * (120000 + b);
				h := h * 120000;
			END LOOP;
			-- Half up: floor((2 P b G + D) / 2D), D = 120000 (G - H).
			d := 120000 * (g - h);
			inst := div(2 * bal * b * g + d, 2 * d);
		END IF;
	ELSIF p_repayment = 'equal_principal' THEN
		part := div(bal + div(n, 2), n);
	END IF;

	FOR k IN 1..n LOOP
		i := div(bal * b * 2 + 120000, 240000);
		pp := CASE p_repayment WHEN 'annuity' THEN inst - i
			WHEN 'equal_principal' THEN part ELSE 0 END;
		IF pp < 0 THEN
			pp := 0;
		END IF;
		IF k = n OR pp > bal THEN
			pp := bal;
		END IF;
		bal := bal - pp;
		period := k;
		principal_fen := pp;
		interest_fen := i;
		fee_fen := p_monthly_fee_fen;
		payment_fen := pp + i + p_monthly_fee_fen;
		balance_fen := bal;
		RETURN NEXT;
	END LOOP;
END
$$;

-- An application's schedule from its terms.
CREATE FUNCTION loan_schedule(p_application_id bigint)
RETURNS TABLE (period integer, principal_fen bigint, interest_fen bigint,
	fee_fen bigint, payment_fen bigint, balance_fen bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	a record;
BEGIN
	SELECT amount_fen, rate_bps, term_months, repayment, monthly_fee_fen
	INTO a FROM applications WHERE id = p_application_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'application % does not exist',
			coalesce(p_application_id::text, 'null')
			USING ERRCODE = 'P0002';
	END IF;
	RETURN QUERY SELECT * FROM loan_schedule_terms(a.amount_fen,
		a.rate_bps, a.term_months, a.repayment, a.monthly_fee_fen);
END
$$;

-- What the borrower receives: the principal less the upfront fees.  This is
-- what the payout sends.
CREATE FUNCTION loan_disbursement_fen(p_application_id bigint)
RETURNS bigint LANGUAGE sql STABLE
SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT amount_fen - upfront_fee_fen FROM applications
	WHERE id = p_application_id
$$;

-- Whether the payments, discounted at p_apr_bps / 12 a month, are worth
-- more than p_received: then the loan's IRR, and its APR, is above
-- p_apr_bps.  Exact: with B = 120000 and D = 120000 + p_apr_bps,
--   NPV = sum_k pay_k (B / D)^k > R  <=>  sum_k pay_k B^k D^(n-k) > R D^n,
-- all integers.  Payments are positive, so the NPV falls as the rate rises
-- and the answer changes once, at the IRR.
CREATE FUNCTION loan_npv_exceeds(p_received bigint, p_payments bigint[],
	p_apr_bps bigint)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	d numeric := 120000 + p_apr_bps;
	t numeric := 0;
	bk numeric := 1;
	dn numeric := 1;
	pay bigint;
BEGIN
	FOREACH pay IN ARRAY p_payments LOOP
		bk := bk * 120000;
		t := t * d + pay * bk;
		dn := dn * d;
	END LOOP;
	RETURN t > p_received::numeric * dn;
END
$$;

-- The loan's APR against the cap: cap_bps is settings apr_cap_bps (2400
-- when unset), never above 3600; within_cap is decided exactly (the NPV at
-- cap_bps / 12 a month against what the borrower received), so a loan
-- exactly at the cap passes.  apr_bps is for messages: the APR rounded up
-- to the basis point, found by bisection on the same exact test (at most
-- 2147483647, which then means "at least"), so within_cap is exactly
-- apr_bps <= cap_bps.
CREATE FUNCTION loan_apr_cap_check(p_application_id bigint,
	OUT apr_bps integer, OUT cap_bps integer, OUT within_cap boolean)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	received bigint;
	payments bigint[];
	setting jsonb;
	lo bigint;
	hi bigint;
	mid bigint;
BEGIN
	SELECT a.amount_fen - a.upfront_fee_fen,
		(SELECT array_agg(s.payment_fen ORDER BY s.period)
		 FROM loan_schedule_terms(a.amount_fen, a.rate_bps,
			a.term_months, a.repayment, a.monthly_fee_fen) s)
	INTO received, payments
	FROM applications a WHERE a.id = p_application_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'application % does not exist',
			coalesce(p_application_id::text, 'null')
			USING ERRCODE = 'P0002';
	END IF;

	SELECT value INTO setting FROM settings WHERE key = 'apr_cap_bps';
	IF setting IS NULL THEN
		cap_bps := 2400;
	ELSIF jsonb_typeof(setting) = 'number'
			AND (setting #>> '{}') ~ '^-?[0-9]{1,9}$' THEN
		cap_bps := least((setting #>> '{}')::integer, 3600);
	ELSE
		RAISE EXCEPTION 'settings apr_cap_bps is %, not a whole number '
			'of basis points', setting USING ERRCODE = '22023';
	END IF;

	within_cap := NOT loan_npv_exceeds(received, payments, cap_bps);

	IF NOT loan_npv_exceeds(received, payments, 0) THEN
		apr_bps := 0;
		RETURN;
	END IF;
	lo := 0;
	hi := 2147483647;
	IF loan_npv_exceeds(received, payments, hi) THEN
		apr_bps := hi;
		RETURN;
	END IF;
	-- The rate at lo is below the APR, the rate at hi is not.
	WHILE hi - lo > 1 LOOP
		mid := (lo + hi) / 2;
		IF loan_npv_exceeds(received, payments, mid) THEN
			lo := mid;
		ELSE
			hi := mid;
		END IF;
	END LOOP;
	apr_bps := hi;
END
$$;

REVOKE ALL ON FUNCTION loan_schedule_terms(bigint, integer, integer, text,
	bigint), loan_schedule(bigint), loan_disbursement_fen(bigint),
	loan_npv_exceeds(bigint, bigint[], bigint),
	loan_apr_cap_check(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION loan_schedule_terms(bigint, integer, integer, text,
	bigint), loan_schedule(bigint), loan_disbursement_fen(bigint),
	loan_npv_exceeds(bigint, bigint[], bigint),
	loan_apr_cap_check(bigint) TO loandesk_api;
GRANT SELECT ON settings TO loandesk_api;
