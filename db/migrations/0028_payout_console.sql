-- What the finance and on-call screens and `loandesk payouts` read: the
-- indexes their pages and figures are range scans of, the Beijing day as
-- the engine counts it, and two previews that say what an approval or a
-- retry will do before anyone asks for it.  src/core/core_payouts.c holds
-- the statements; docs/payouts.md lists the functions.

-- 1. Indexes -----------------------------------------------------------------
--
-- The list pages by id (newest or oldest first) from a key, never by
-- OFFSET: all payouts on the primary key, one state on (state, id), so a
-- page is one index range however many payouts there are.  The amount is
-- in the index so that "waiting for approval: count and total" is an
-- index-only scan of the requested range.
CREATE INDEX payouts_state_id ON payouts (state, id) INCLUDE (amount_fen);

-- Stuck work, oldest first: bills sending or unknown by when they first
-- left (a query that finds nothing touches updated_at, not this), held
-- bills by when they were held.
CREATE INDEX transfer_bills_stuck ON transfer_bills (first_sent_at, id)
	WHERE state IN ('sending', 'unknown');
CREATE INDEX transfer_bills_held_since ON transfer_bills (held_at, id)
	WHERE state = 'held';

-- The last hour's activity: bills that became final, and exchanges.
CREATE INDEX transfer_bills_final ON transfer_bills (final_at)
	WHERE final_at IS NOT NULL;
CREATE INDEX payout_attempts_finished ON payout_attempts (finished_at);

-- 2. The day as the engine counts it ------------------------------------------
--
-- "Paid today" is the Beijing day of payout_now() (tests move payout_clock;
-- production leaves it empty), with payout_beijing_day() as in the engine's
-- own index transfer_bills_success_day.  Both are harmless to read.
GRANT SELECT ON payout_clock TO loandesk_finance, loandesk_oncall,
	loandesk_admin;
GRANT EXECUTE ON FUNCTION payout_now(), payout_beijing_day(timestamptz),
	payout_beijing_midnight_after(timestamptz)
	TO loandesk_finance, loandesk_oncall, loandesk_admin;

-- 3. Approval preview ------------------------------------------------------------
--
-- What api.payout_approve would do for the caller now, without doing it:
-- refused and why (payout_approvable, the very check the approval makes,
-- and the role), else the approval's place in the count ("1 of 2", or
-- "approved" when it completes it) and the bills the payout will be split
-- into: payout_split and payout_out_bill_no over the same settings as
-- payout_approve_one, so the bills shown are the bills made.
CREATE FUNCTION api.payout_approve_preview(p_id bigint)
RETURNS TABLE (allowed boolean, refusal_state text, why text,
	amount_fen bigint, approvals integer, approvals_after integer,
	needed integer, completes boolean, outcome text, approvers text,
	bills jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
	po payouts;
	chk record;
	v_max bigint;
	v_min bigint;
	v_prefix text;
	v_parts bigint[];
	v_stage text;
BEGIN
	PERFORM require_role('loandesk_finance', 'loandesk_oncall',
		'loandesk_admin');
	SELECT * INTO po FROM payouts p WHERE p.id = p_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'payout % does not exist', p_id
			USING ERRCODE = 'P0002';
	END IF;
	allowed := false;
	completes := false;
	bills := '[]';
	amount_fen := po.amount_fen;
	SELECT count(*), string_agg(pa.approver, ', ' ORDER BY pa.approved_at)
	INTO approvals, approvers
	FROM payout_approvals pa WHERE pa.payout_id = p_id;
	needed := CASE WHEN po.amount_fen >=
		payout_setting_int('four_eyes_threshold_fen') THEN 2 ELSE 1 END;
	approvals_after := approvals;
	IF NOT pg_has_role(session_user, 'loandesk_finance', 'MEMBER') THEN
		refusal_state := '42501';
		why := format('permission denied: %s is not a member of loandesk_finance',
			session_user);
		RETURN NEXT;
		RETURN;
	END IF;
	SELECT * INTO chk FROM payout_approvable(po);
	IF chk.problem IS NOT NULL THEN
		refusal_state := chk.errcode;
		why := chk.problem;
		RETURN NEXT;
		RETURN;
	END IF;
	amount_fen := chk.amount_fen;
	-- As payout_approve_one counts: approvals of this amount, and this one.
	SELECT count(*) + 1 INTO approvals_after FROM payout_approvals pa
	WHERE pa.payout_id = p_id AND pa.amount_fen = chk.amount_fen;
	needed := CASE WHEN chk.amount_fen >=
		payout_setting_int('four_eyes_threshold_fen') THEN 2 ELSE 1 END;
	completes := approvals_after >= needed;
	v_max := least(payout_setting_int('per_transfer_max_fen'),
		payout_setting_int('per_user_daily_max_fen'),
		payout_setting_int('merchant_daily_max_fen'));
	v_min := payout_setting_int('min_transfer_fen');
	SELECT value #>> '{}' INTO v_prefix FROM settings
	WHERE key = 'out_bill_prefix';
	BEGIN
		v_stage := 'split';
		v_parts := payout_split(chk.amount_fen, v_max, v_min);
		v_stage := 'number';
		SELECT jsonb_agg(jsonb_build_object('seq', i,
			'out_bill_no', payout_out_bill_no(v_prefix, p_id, i, 0),
			'amount_fen', v_parts[i]) ORDER BY i)
		INTO bills FROM generate_subscripts(v_parts, 1) i;
	EXCEPTION WHEN invalid_parameter_value THEN
		bills := '[]';
		-- The approval that completes the count splits and numbers
		-- the bills, and is refused as this says; an earlier one is
		-- recorded (the settings may change before the last).
		IF completes THEN
			refusal_state := '22023';
			why := CASE WHEN v_stage = 'split'
				THEN format('payout %s: %s', p_id, SQLERRM)
				ELSE SQLERRM END;
			RETURN NEXT;
			RETURN;
		END IF;
		why := format('approval %s of %s; the last approval will be refused unless the settings change: %s',
			approvals_after, needed, SQLERRM);
	END;
	allowed := true;
	outcome := CASE WHEN completes THEN 'approved'
		ELSE approvals_after || ' of ' || needed END;
	IF why IS NULL THEN
		why := CASE WHEN completes THEN format(
			'approving payout %s releases %s fen to be sent as %s bill(s)%s',
			p_id, chk.amount_fen, jsonb_array_length(bills),
			CASE WHEN needed = 2 THEN format(' (approval 2 of 2; %s approved first)',
				approvers) ELSE '' END)
		ELSE format('approval %s of %s: a second, different finance approver is needed before anything is sent',
			approvals_after, needed) END;
	END IF;
	RETURN NEXT;
END
$$;

-- 4. Retry preview ---------------------------------------------------------------
--
-- What api.payout_retry would do: refused and why (its checks, in its
-- order), else each current bill and its fate: "again" (WeChat Pay said
-- it failed or was cancelled: a new bill of the next generation under a
-- new number, as payout_retry makes it), "paid" (never sent again),
-- "in_flight" (may still be at WeChat Pay: keeps its number) or "waiting"
-- (not sent yet: keeps its number).
CREATE FUNCTION api.payout_retry_preview(p_id bigint)
RETURNS TABLE (allowed boolean, refusal_state text, why text,
	generation integer, note_required boolean, bills jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
	po payouts;
	v_openid text;
	v_prefix text;
	v_held text;
	v_again integer;
	v_again_fen bigint;
	v_paid integer;
	v_other integer;
BEGIN
	PERFORM require_role('loandesk_finance', 'loandesk_oncall',
		'loandesk_admin');
	SELECT * INTO po FROM payouts p WHERE p.id = p_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'payout % does not exist', p_id
			USING ERRCODE = 'P0002';
	END IF;
	allowed := false;
	note_required := true;
	generation := po.generation + 1;
	SELECT value #>> '{}' INTO v_prefix FROM settings
	WHERE key = 'out_bill_prefix';
	SELECT coalesce(jsonb_agg(jsonb_build_object('bill_id', t.id,
		'seq', t.seq, 'generation', t.generation,
		'out_bill_no', t.out_bill_no, 'amount_fen', t.amount_fen,
		'state', t.state,
		'fate', CASE WHEN t.state IN ('fail', 'cancelled') THEN 'again'
			WHEN t.state = 'success' THEN 'paid'
			WHEN s.in_flight THEN 'in_flight' ELSE 'waiting' END,
		'new_out_bill_no', CASE WHEN t.state IN ('fail', 'cancelled')
			AND po.generation < 999 THEN payout_out_bill_no(v_prefix,
			p_id, t.seq, po.generation + 1) END) ORDER BY t.seq), '[]'),
		count(*) FILTER (WHERE t.state IN ('fail', 'cancelled')),
		coalesce(sum(t.amount_fen) FILTER (WHERE t.state IN ('fail',
			'cancelled')), 0),
		count(*) FILTER (WHERE t.state = 'success'),
		count(*) FILTER (WHERE t.state NOT IN ('fail', 'cancelled',
			'success'))
	INTO bills, v_again, v_again_fen, v_paid, v_other
	FROM transfer_bills t JOIN payout_bill_states s ON s.state = t.state
	WHERE t.payout_id = p_id AND t.replaced_by_bill_id IS NULL;

	IF NOT pg_has_role(session_user, 'loandesk_oncall', 'MEMBER') THEN
		refusal_state := '42501';
		why := format('permission denied: %s is not a member of loandesk_oncall',
			session_user);
	ELSIF po.state = 'succeeded' THEN
		refusal_state := '55000';
		why := format('payout %s succeeded: its bills were paid and are never sent again',
			p_id);
	ELSIF po.state <> 'failed' OR po.cancel_requested_at IS NOT NULL THEN
		refusal_state := '55000';
		why := format('payout %s is %s: only a failed payout is retried',
			p_id, CASE WHEN po.cancel_requested_at IS NOT NULL
			THEN 'being cancelled' ELSE po.state END);
	ELSIF v_again = 0 THEN
		SELECT string_agg(out_bill_no || ' ' || state, ', ') INTO v_held
		FROM transfer_bills WHERE payout_id = p_id
			AND replaced_by_bill_id IS NULL AND state <> 'success';
		refusal_state := '55000';
		why := format('payout %s has no bill that WeChat Pay says failed (%s): nothing to retry',
			p_id, coalesce(v_held, 'every bill is paid'));
	ELSIF po.generation >= 999 THEN
		refusal_state := '55000';
		why := format('payout %s was retried 999 times', p_id);
	ELSE
		SELECT a.openid INTO v_openid FROM applicants a
		JOIN applications ap ON ap.applicant_id = a.id
		WHERE ap.id = po.application_id;
		IF v_openid IS NULL OR v_openid !~ '^[A-Za-z0-9_-]{1,64}$' THEN
			refusal_state := '22023';
			why := format('payout %s: the applicant has no usable WeChat openid',
				p_id);
		END IF;
	END IF;
	IF refusal_state IS NULL THEN
		allowed := true;
		why := format('retrying payout %s sends %s bill(s) of %s fen again under new numbers (generation %s)%s%s',
			p_id, v_again, v_again_fen, po.generation + 1,
			CASE WHEN v_paid > 0 THEN format('; %s paid bill(s) are never sent again',
				v_paid) ELSE '' END,
			CASE WHEN v_other > 0 THEN format('; %s other bill(s) keep their numbers',
				v_other) ELSE '' END);
	END IF;
	RETURN NEXT;
END
$$;

-- 5. Ownership and grants (0009) ---------------------------------------------------

GRANT CREATE ON SCHEMA api TO loandesk_api;
ALTER FUNCTION api.payout_approve_preview(bigint) OWNER TO loandesk_api;
ALTER FUNCTION api.payout_retry_preview(bigint) OWNER TO loandesk_api;
REVOKE CREATE ON SCHEMA api FROM loandesk_api;
REVOKE EXECUTE ON FUNCTION api.payout_approve_preview(bigint),
	api.payout_retry_preview(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.payout_approve_preview(bigint),
	api.payout_retry_preview(bigint)
	TO loandesk_finance, loandesk_oncall, loandesk_admin;
