-- What people do to payouts: approve (four eyes, the amount and the rate
-- cap re-read here), approve a batch they saw, hold, release, cancel,
-- retry, escalate, and the kill switch.  Each checks the caller's role and
-- the state, writes its audit row and notifies, in the caller's
-- transaction; docs/payouts.md lists who may call what.
--
-- SQLSTATEs as in 0004: 42501 not allowed, 55000 wrong state, 22023 bad
-- argument, P0002 missing.  Locks go payout first, then its bills, in
-- every function that waits for a lock, so two of them never deadlock.

-- 1. Helpers (run as their caller, loandesk_api) ---------------------------

CREATE FUNCTION payout_lock(p_id bigint) RETURNS payouts
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	po payouts;
BEGIN
	SELECT * INTO po FROM payouts WHERE id = p_id FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'payout % does not exist', p_id
			USING ERRCODE = 'P0002';
	END IF;
	RETURN po;
END
$$;

-- Free text a person typed: trimmed; NULL when blank unless required.
CREATE FUNCTION payout_text(p_text text, p_what text, p_required boolean)
	RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	v text := nullif(btrim(coalesce(p_text, '')), '');
BEGIN
	IF v IS NULL AND p_required THEN
		RAISE EXCEPTION 'a % is required', p_what USING ERRCODE = '22023';
	END IF;
	IF length(v) > 2000 THEN
		RAISE EXCEPTION '% is longer than 2000 characters', p_what
			USING ERRCODE = '22023';
	END IF;
	RETURN v;
END
$$;

-- The group that works a review: its escalation, else by kind.
CREATE FUNCTION review_group_of(rv reviews) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT coalesce(rv.escalated_to, CASE rv.kind
		WHEN 'application' THEN 'loandesk_risk'
		WHEN 'reconciliation' THEN 'loandesk_finance'
		ELSE 'loandesk_oncall' END)
$$;

-- Opens the payout's review, or adds to the one open; its id.  A person
-- looks at every final failure, refusal and conflicting answer here.
CREATE FUNCTION payout_review_open(p_payout_id bigint, p_reason text,
	p_note text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	v_id bigint;
BEGIN
	INSERT INTO reviews (kind, payout_id, reason, note)
	VALUES ('payout', p_payout_id, p_reason, left(p_note, 2000))
	ON CONFLICT (payout_id) WHERE state <> 'closed' AND kind = 'payout'
		DO NOTHING
	RETURNING id INTO v_id;
	IF v_id IS NULL THEN
		UPDATE reviews SET note = left(coalesce(note || E'\n', '') ||
			p_reason || ': ' || coalesce(p_note, ''), 8000)
		WHERE payout_id = p_payout_id AND kind = 'payout'
			AND state <> 'closed'
		RETURNING id INTO v_id;
	END IF;
	PERFORM audit_record('review.open', 'review', v_id::text,
		jsonb_build_object('kind', 'payout', 'payout_id', p_payout_id,
			'reason', p_reason, 'note', p_note));
	PERFORM pg_notify('reviews', v_id::text);
	RETURN v_id;
END
$$;

CREATE FUNCTION payout_review_close(p_payout_id bigint, p_resolution text,
	p_note text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	v_id bigint;
BEGIN
	UPDATE reviews SET state = 'closed', closed_at = now(),
		resolution = p_resolution,
		note = left(coalesce(note || E'\n', '') || coalesce(p_note, ''), 8000)
	WHERE payout_id = p_payout_id AND kind = 'payout' AND state <> 'closed'
	RETURNING id INTO v_id;
	IF v_id IS NOT NULL THEN
		PERFORM audit_record('review.close', 'review', v_id::text,
			jsonb_build_object('kind', 'payout', 'payout_id',
				p_payout_id, 'resolution', p_resolution));
		PERFORM pg_notify('reviews', v_id::text);
	END IF;
END
$$;

-- A payout's state from its current bills (payout_rollup_of), and what
-- entering it means: a cancelled payout cancels the loan's application
-- (nothing was paid, no loan came into being), a failed one has a review
-- open, a succeeded one closes its review.  What never reached WeChat Pay
-- of a payout whose cancel was asked is cancelled here first.  The
-- caller's own audit row says why; with p_audit this writes one for the
-- change itself (the daemon's functions).
CREATE FUNCTION payout_settle(p_payout_id bigint, p_audit boolean)
	RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	po payouts;
	v_states text[];
	v_sent integer;
	v_paid bigint;
	v_new text;
	fb record;
BEGIN
	SELECT * INTO po FROM payouts WHERE id = p_payout_id FOR NO KEY UPDATE;
	IF po.state IN ('requested', 'succeeded', 'cancelled') THEN
		RETURN po.state;
	END IF;
	IF po.cancel_requested_at IS NOT NULL THEN
		UPDATE transfer_bills SET state = 'cancelled', next_action = 'none',
			hold_reason = NULL, hold_until = NULL,
			final_at = payout_now(), updated_at = now()
		WHERE payout_id = po.id AND replaced_by_bill_id IS NULL
			AND state IN ('pending', 'held');
	END IF;
	SELECT array_agg(state), count(*) FILTER (WHERE first_sent_at IS NOT NULL),
		coalesce(sum(amount_fen) FILTER (WHERE state = 'success'), 0)
	INTO v_states, v_sent, v_paid
	FROM transfer_bills WHERE payout_id = po.id AND replaced_by_bill_id IS NULL;
	v_new := payout_rollup_of(v_states, v_sent, po.held_at IS NOT NULL,
		po.cancel_requested_at IS NOT NULL);
	IF v_new = po.state THEN
		IF v_paid <> po.paid_fen THEN
			UPDATE payouts SET paid_fen = v_paid, updated_at = now(),
				version = version + 1 WHERE id = po.id;
			PERFORM pg_notify('payouts', po.id::text);
		END IF;
		RETURN v_new;
	END IF;
	UPDATE payouts SET state = v_new, paid_fen = v_paid, updated_at = now(),
		version = version + 1,
		finished_at = CASE WHEN v_new IN ('succeeded', 'cancelled')
			THEN payout_now() END
	WHERE id = po.id;
	IF v_new = 'cancelled' THEN
		UPDATE applications SET status = 'cancelled',
			payout_cancelled_at = payout_now(),
			payout_cancelled_by = po.cancel_requested_by,
			updated_at = now(), version = version + 1
		WHERE id = po.application_id AND status = 'approved';
		PERFORM audit_record('application.cancel', 'application',
			po.application_id::text, jsonb_build_object(
				'from', 'approved', 'to', 'cancelled',
				'payout_id', po.id, 'reason', po.cancel_reason,
				'cancelled_by', po.cancel_requested_by));
		PERFORM pg_notify('applications', po.application_id::text);
		PERFORM payout_review_close(po.id, 'cancelled', po.cancel_reason);
	ELSIF v_new = 'failed' THEN
		SELECT out_bill_no, coalesce(fail_reason, last_error_code,
			upper(state)) AS code, last_error_text, state
		INTO fb FROM transfer_bills
		WHERE payout_id = po.id AND replaced_by_bill_id IS NULL
			AND state IN ('fail', 'cancelled', 'success')
		ORDER BY (state = 'success'), final_at DESC NULLS LAST, id DESC
		LIMIT 1;
		PERFORM payout_review_open(po.id, CASE
			WHEN po.cancel_requested_at IS NOT NULL THEN 'PAID_BEFORE_CANCEL'
			ELSE coalesce(fb.code, 'FAILED') END,
			CASE WHEN po.cancel_requested_at IS NOT NULL THEN
				format('cancel asked by %s, but %s fen of %s were paid first (bill %s)',
					po.cancel_requested_by, v_paid, po.amount_fen,
					fb.out_bill_no)
			ELSE format('bill %s: %s', fb.out_bill_no,
				coalesce(fb.last_error_text, fb.code)) END);
	ELSIF v_new = 'succeeded' THEN
		PERFORM payout_review_close(po.id, 'succeeded', NULL);
	END IF;
	IF p_audit THEN
		PERFORM audit_record('payout.' || v_new, 'payout', po.id::text,
			jsonb_build_object('from', po.state, 'to', v_new,
				'paid_fen', v_paid, 'amount_fen', po.amount_fen));
	END IF;
	PERFORM pg_notify('payouts', po.id::text);
	RETURN v_new;
END
$$;

-- Why session_user may not approve po now (NULL: they may), with the
-- amount the loan pays out and the openid it goes to.
CREATE FUNCTION payout_approvable(po payouts, OUT amount_fen bigint,
	OUT openid text, OUT problem text, OUT errcode text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	app applications;
	cap record;
	n_mine integer;
BEGIN
	SELECT * INTO app FROM applications WHERE id = po.application_id;
	IF po.state <> 'requested' THEN
		problem := format('payout %s is already %s', po.id, po.state);
		errcode := '55000';
		RETURN;
	END IF;
	IF app.status <> 'approved' THEN
		problem := format('payout %s: application %s is %s, not approved',
			po.id, app.id, app.status);
		errcode := '55000';
		RETURN;
	END IF;
	IF session_user = po.requested_by THEN
		problem := format('payout %s: %s asked for this payout and may not release it',
			po.id, session_user);
		errcode := '42501';
		RETURN;
	END IF;
	IF session_user = app.decided_by THEN
		problem := format('payout %s: %s approved the loan and may not release its payout',
			po.id, session_user);
		errcode := '42501';
		RETURN;
	END IF;
	SELECT count(*) INTO n_mine FROM payout_approvals
	WHERE payout_id = po.id AND approver = session_user;
	IF n_mine > 0 THEN
		problem := format('payout %s: %s approved it already (1 of 2); a second, different finance approver is needed',
			po.id, session_user);
		errcode := '55000';
		RETURN;
	END IF;
	-- The amount from the loan itself, never from the caller.
	amount_fen := loan_disbursement_fen(app.id);
	IF amount_fen IS NULL OR amount_fen < 1 THEN
		problem := format('payout %s: the loan pays out %s fen', po.id,
			coalesce(amount_fen::text, 'no'));
		errcode := '22023';
		RETURN;
	END IF;
	SELECT * INTO cap FROM loan_apr_cap_check(app.id);
	IF cap.within_cap IS DISTINCT FROM true THEN
		problem := format('payout %s refused: the loan''s APR %s%% (%s bps) is above the cap %s%% (%s bps)',
			po.id, to_char(cap.apr_bps / 100.0, 'FM990.00'), cap.apr_bps,
			to_char(cap.cap_bps / 100.0, 'FM990.00'), cap.cap_bps);
		errcode := '55000';
		RETURN;
	END IF;
	SELECT a.openid INTO openid FROM applicants a WHERE a.id = app.applicant_id;
	-- WeChat Pay takes an openid of up to 64 characters (string(64)).
	IF openid IS NULL OR openid !~ '^[A-Za-z0-9_-]{1,64}$' THEN
		problem := format('payout %s: applicant %s has no usable WeChat openid (%s); WeChat Pay cannot pay them until the borrower binds their WeChat account',
			po.id, app.applicant_id, CASE WHEN openid IS NULL
			THEN 'none' ELSE length(openid) || ' characters' END);
		errcode := '22023';
		openid := NULL;
		RETURN;
	END IF;
END
$$;

-- One approval; the caller has checked the role and locked the payout.
-- The last approval needed creates every bill of the payout at once.
CREATE FUNCTION payout_approve_one(p_id bigint, p_note text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	po payouts;
	chk record;
	v_have integer;
	v_needed integer;
	v_max bigint;
	v_min bigint;
	v_prefix text;
	v_parts bigint[];
	v_nos text[] := '{}';
	v_no text;
	cap record;
	i integer;
BEGIN
	po := payout_lock(p_id);
	SELECT * INTO chk FROM payout_approvable(po);
	IF chk.problem IS NOT NULL THEN
		RAISE EXCEPTION '%', chk.problem USING ERRCODE = chk.errcode;
	END IF;
	INSERT INTO payout_approvals (payout_id, approver, amount_fen, note)
	VALUES (p_id, session_user, chk.amount_fen, p_note);
	-- Approvals of another amount (the loan changed since) do not count.
	SELECT count(*) INTO v_have FROM payout_approvals
	WHERE payout_id = p_id AND amount_fen = chk.amount_fen;
	v_needed := CASE WHEN chk.amount_fen >=
		payout_setting_int('four_eyes_threshold_fen') THEN 2 ELSE 1 END;
	SELECT * INTO cap FROM loan_apr_cap_check(po.application_id);
	IF v_have < v_needed THEN
		PERFORM audit_record('payout.approve', 'payout', p_id::text,
			jsonb_build_object('approval', v_have, 'needed', v_needed,
				'amount_fen', chk.amount_fen, 'apr_bps', cap.apr_bps,
				'cap_bps', cap.cap_bps, 'note', p_note));
		PERFORM pg_notify('payouts', p_id::text);
		RETURN v_have || ' of ' || v_needed;
	END IF;

	-- A bill must fit in one transfer and in one day of either limit.
	v_max := least(payout_setting_int('per_transfer_max_fen'),
		payout_setting_int('per_user_daily_max_fen'),
		payout_setting_int('merchant_daily_max_fen'));
	v_min := payout_setting_int('min_transfer_fen');
	SELECT value #>> '{}' INTO v_prefix FROM settings
	WHERE key = 'out_bill_prefix';
	BEGIN
		v_parts := payout_split(chk.amount_fen, v_max, v_min);
	EXCEPTION WHEN invalid_parameter_value THEN
		RAISE EXCEPTION 'payout %: %', p_id, SQLERRM
			USING ERRCODE = '22023';
	END;
	FOR i IN 1 .. cardinality(v_parts) LOOP
		v_no := payout_out_bill_no(v_prefix, p_id, i, 0);
		INSERT INTO transfer_bills (payout_id, seq, generation, out_bill_no,
			amount_fen, openid, applicant_id, state, next_action,
			next_attempt_at)
		SELECT p_id, i, 0, v_no, v_parts[i], chk.openid, a.applicant_id,
			'pending', 'create', payout_now()
		FROM applications a WHERE a.id = po.application_id;
		v_nos := v_nos || v_no;
	END LOOP;
	UPDATE payouts SET state = 'approved', amount_fen = chk.amount_fen,
		approved_at = now(), approved_by = session_user,
		updated_at = now(), version = version + 1
	WHERE id = p_id;
	PERFORM audit_record('payout.approve', 'payout', p_id::text,
		jsonb_build_object('approval', v_have, 'needed', v_needed,
			'from', 'requested', 'to', 'approved',
			'amount_fen', chk.amount_fen, 'requested_fen', po.amount_fen,
			'apr_bps', cap.apr_bps, 'cap_bps', cap.cap_bps,
			'bills', cardinality(v_parts), 'out_bill_nos', to_jsonb(v_nos),
			'note', p_note));
	PERFORM pg_notify('payouts', p_id::text);
	PERFORM pg_notify('payout_bills', '');
	RETURN 'approved';
END
$$;

-- 2. Approval ----------------------------------------------------------------

CREATE FUNCTION api.payout_approve(p_id bigint, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
	PERFORM require_role('loandesk_finance');
	RETURN payout_approve_one(p_id, payout_text(p_note, 'note', false));
END
$$;

-- What a finance screen showed, approved as shown or not at all: the
-- database counts the approvable payouts among p_ids and their total
-- (each amount re-read from its loan), and refuses unless both are what
-- the caller expected, saying what differs.  Payouts named but not
-- approvable by the caller are left as they are when the figures match.
CREATE FUNCTION api.payout_approve_batch(p_ids bigint[], p_expected_count integer,
	p_expected_total_fen bigint, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_note text;
	v_ids bigint[];
	v_missing bigint;
	po payouts;
	chk record;
	v_count integer := 0;
	v_total bigint := 0;
	v_ok bigint[] := '{}';
	v_not text[] := '{}';
	v_done integer := 0;
	v_partial integer := 0;
	r text;
	v_id bigint;
BEGIN
	PERFORM require_role('loandesk_finance');
	v_note := payout_text(p_note, 'note', false);
	IF p_ids IS NULL OR cardinality(p_ids) = 0 THEN
		RAISE EXCEPTION 'no payouts named' USING ERRCODE = '22023';
	END IF;
	IF cardinality(p_ids) > 1000 THEN
		RAISE EXCEPTION '% payouts named; at most 1000 at once',
			cardinality(p_ids) USING ERRCODE = '22023';
	END IF;
	IF p_expected_count IS NULL OR p_expected_count < 1
			OR p_expected_total_fen IS NULL THEN
		RAISE EXCEPTION 'the expected count (at least 1) and total are required'
			USING ERRCODE = '22023';
	END IF;
	SELECT array_agg(DISTINCT x ORDER BY x) INTO v_ids FROM unnest(p_ids) x;
	IF cardinality(v_ids) <> cardinality(p_ids) OR array_position(v_ids, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'a payout is named twice, or as null'
			USING ERRCODE = '22023';
	END IF;
	-- In id order, so two batches never wait on each other in a circle.
	PERFORM 1 FROM payouts WHERE id = ANY (v_ids) ORDER BY id
		FOR NO KEY UPDATE;
	SELECT x INTO v_missing FROM unnest(v_ids) x
	WHERE NOT EXISTS (SELECT 1 FROM payouts WHERE id = x) LIMIT 1;
	IF v_missing IS NOT NULL THEN
		RAISE EXCEPTION 'payout % does not exist', v_missing
			USING ERRCODE = 'P0002';
	END IF;
	FOREACH v_id IN ARRAY v_ids LOOP
		SELECT * INTO po FROM payouts WHERE id = v_id;
		SELECT * INTO chk FROM payout_approvable(po);
		IF chk.problem IS NULL THEN
			v_count := v_count + 1;
			v_total := v_total + chk.amount_fen;
			v_ok := v_ok || v_id;
		ELSE
			v_not := v_not || chk.problem;
		END IF;
	END LOOP;
	IF v_count <> p_expected_count OR v_total <> p_expected_total_fen THEN
		RAISE EXCEPTION 'the batch is not what was shown: % approvable payout(s) for % fen here, % for % fen expected%',
			v_count, v_total, p_expected_count, p_expected_total_fen,
			CASE WHEN cardinality(v_not) > 0 THEN '; ' ||
				array_to_string(v_not[1:5], '; ') ||
				CASE WHEN cardinality(v_not) > 5 THEN format('; and %s more',
					cardinality(v_not) - 5) ELSE '' END
			ELSE '' END
			USING ERRCODE = '55000';
	END IF;
	FOREACH v_id IN ARRAY v_ok LOOP
		r := payout_approve_one(v_id, v_note);
		IF r = 'approved' THEN
			v_done := v_done + 1;
		ELSE
			v_partial := v_partial + 1;
		END IF;
	END LOOP;
	PERFORM audit_record('payout.approve_batch', 'payout',
		array_to_string(v_ok, ','), jsonb_build_object('count', v_count,
			'total_fen', v_total, 'approved', v_done,
			'awaiting_second', v_partial, 'skipped', to_jsonb(v_not),
			'note', v_note));
	RETURN format('%s approved, %s waiting for a second approver', v_done,
		v_partial);
END
$$;

-- 3. Hold, release, cancel --------------------------------------------------

CREATE FUNCTION api.payout_hold(p_id bigint, p_reason text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_reason text;
	po payouts;
	v_new text;
BEGIN
	PERFORM require_role('loandesk_finance', 'loandesk_oncall',
		'loandesk_admin');
	v_reason := payout_text(p_reason, 'reason', true);
	po := payout_lock(p_id);
	IF po.held_at IS NOT NULL THEN
		RAISE EXCEPTION 'payout % is already held by % since %: %', p_id,
			po.held_by, to_char(po.held_at AT TIME ZONE 'Asia/Shanghai',
			'YYYY-MM-DD HH24:MI'), po.hold_reason USING ERRCODE = '55000';
	END IF;
	IF po.state NOT IN ('approved', 'sending') THEN
		RAISE EXCEPTION 'payout % is %: only an approved payout not yet paid can be held',
			p_id, po.state USING ERRCODE = '55000';
	END IF;
	UPDATE payouts SET held_at = now(), held_by = session_user,
		hold_reason = v_reason, updated_at = now(), version = version + 1
	WHERE id = p_id;
	v_new := payout_settle(p_id, false);
	PERFORM audit_record('payout.hold', 'payout', p_id::text,
		jsonb_build_object('from', po.state, 'to', v_new,
			'reason', v_reason));
	RETURN v_new;
END
$$;

-- Lifts a person's hold, and sends again (same number, same body) the
-- bills WeChat Pay refused once a person fixed the cause.  The daily
-- limits and the channel release their own holds.
CREATE FUNCTION api.payout_release(p_id bigint) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	po payouts;
	v_bills text[];
	v_other text;
	v_new text;
BEGIN
	PERFORM require_role('loandesk_finance', 'loandesk_oncall');
	po := payout_lock(p_id);
	PERFORM 1 FROM transfer_bills WHERE payout_id = p_id ORDER BY id
		FOR NO KEY UPDATE;
	WITH r AS (
		UPDATE transfer_bills SET state = 'pending', hold_reason = NULL,
			hold_until = NULL, held_at = NULL, next_action = 'create',
			next_attempt_at = payout_now(), streak = 0, updated_at = now()
		WHERE payout_id = p_id AND replaced_by_bill_id IS NULL
			AND state = 'held' AND hold_reason = 'refused'
		RETURNING out_bill_no
	) SELECT array_agg(out_bill_no ORDER BY out_bill_no) INTO v_bills FROM r;
	IF po.held_at IS NULL AND v_bills IS NULL THEN
		SELECT string_agg(DISTINCT h.display || ' (released ' ||
			h.released || ')', '; ') INTO v_other
		FROM transfer_bills t JOIN payout_holds h ON h.hold = t.hold_reason
		WHERE t.payout_id = p_id AND t.state = 'held';
		IF v_other IS NOT NULL THEN
			RAISE EXCEPTION 'payout % is not held by a person; its bills wait for %, not for a release by hand',
				p_id, v_other USING ERRCODE = '55000';
		END IF;
		RAISE EXCEPTION 'payout % is not held', p_id
			USING ERRCODE = '55000';
	END IF;
	UPDATE payouts SET held_at = NULL, held_by = NULL, hold_reason = NULL,
		updated_at = now(), version = version + 1
	WHERE id = p_id;
	v_new := payout_settle(p_id, false);
	IF v_bills IS NOT NULL THEN
		PERFORM payout_review_close(p_id, 'released', format(
			'%s released %s to be sent again', session_user,
			array_to_string(v_bills, ', ')));
	END IF;
	PERFORM audit_record('payout.release', 'payout', p_id::text,
		jsonb_build_object('from', po.state, 'to', v_new,
			'held_by', po.held_by, 'hold_reason', po.hold_reason,
			'bills_sent_again', to_jsonb(v_bills)));
	PERFORM pg_notify('payout_bills', '');
	RETURN v_new;
END
$$;

-- Refused while a bill may be at WeChat Pay and not final: WeChat Pay
-- might still pay it.  A bill waiting for the borrower's confirmation is
-- cancelled through WeChat Pay's cancel API first (the daemon sends it);
-- the payout is cancelled when WeChat Pay confirms.  What never reached
-- WeChat Pay is cancelled at once.  A partly paid payout is not
-- cancelled: the loan itself must change first (escalate it).
CREATE FUNCTION api.payout_cancel(p_id bigint, p_reason text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_reason text;
	po payouts;
	v_paid bigint;
	v_busy text;
	v_waiting integer;
	v_new text;
BEGIN
	PERFORM require_role('loandesk_finance', 'loandesk_oncall');
	v_reason := payout_text(p_reason, 'reason', true);
	po := payout_lock(p_id);
	PERFORM 1 FROM transfer_bills WHERE payout_id = p_id ORDER BY id
		FOR NO KEY UPDATE;
	IF po.state IN ('succeeded', 'cancelled') THEN
		RAISE EXCEPTION 'payout % is already %', p_id, po.state
			USING ERRCODE = '55000';
	END IF;
	IF po.cancel_requested_at IS NOT NULL THEN
		RAISE EXCEPTION 'payout %: % asked to cancel it at %; WeChat Pay has not confirmed yet',
			p_id, po.cancel_requested_by, to_char(po.cancel_requested_at
			AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')
			USING ERRCODE = '55000';
	END IF;
	SELECT coalesce(sum(amount_fen), 0) INTO v_paid FROM transfer_bills
	WHERE payout_id = p_id AND state = 'success';
	IF v_paid > 0 THEN
		RAISE EXCEPTION 'payout % has paid % of % fen: a partly paid payout is not cancelled (escalate it)',
			p_id, v_paid, po.amount_fen USING ERRCODE = '55000';
	END IF;
	SELECT string_agg(format('bill %s is %s', out_bill_no, state), ', '
		ORDER BY seq) INTO v_busy
	FROM transfer_bills WHERE payout_id = p_id
		AND replaced_by_bill_id IS NULL
		AND state IN ('sending', 'unknown', 'accepted', 'processing',
			'transferring', 'cancelling');
	IF v_busy IS NOT NULL THEN
		RAISE EXCEPTION 'payout % cannot be cancelled while WeChat Pay may still pay it (%): cancel when WeChat Pay says the bill is final',
			p_id, v_busy USING ERRCODE = '55000';
	END IF;
	UPDATE payouts SET cancel_requested_at = now(),
		cancel_requested_by = session_user, cancel_reason = v_reason,
		updated_at = now(), version = version + 1
	WHERE id = p_id;
	IF po.state = 'requested' THEN
		-- Never approved: no bill exists.
		UPDATE payouts SET state = 'cancelled', finished_at = payout_now()
		WHERE id = p_id;
		UPDATE applications SET status = 'cancelled',
			payout_cancelled_at = payout_now(),
			payout_cancelled_by = session_user,
			updated_at = now(), version = version + 1
		WHERE id = po.application_id AND status = 'approved';
		PERFORM audit_record('application.cancel', 'application',
			po.application_id::text, jsonb_build_object('from',
				'approved', 'to', 'cancelled', 'payout_id', p_id,
				'reason', v_reason, 'cancelled_by', session_user));
		PERFORM pg_notify('applications', po.application_id::text);
		v_new := 'cancelled';
		v_waiting := 0;
	ELSE
		UPDATE transfer_bills SET cancel_requested_at = now(),
			next_attempt_at = payout_now(), updated_at = now()
		WHERE payout_id = p_id AND replaced_by_bill_id IS NULL
			AND state = 'wait_user_confirm';
		GET DIAGNOSTICS v_waiting = ROW_COUNT;
		v_new := payout_settle(p_id, false);
	END IF;
	PERFORM audit_record('payout.cancel', 'payout', p_id::text,
		jsonb_build_object('from', po.state, 'to', v_new,
			'reason', v_reason, 'bills_cancelling_at_wechat', v_waiting));
	PERFORM pg_notify('payouts', p_id::text);
	IF v_waiting > 0 THEN
		PERFORM pg_notify('payout_bills', '');
		RETURN format('cancel requested: %s bill(s) waiting for the borrower are being cancelled at WeChat Pay',
			v_waiting);
	END IF;
	RETURN v_new;
END
$$;

-- 4. On-call: retry and escalate -------------------------------------------

-- A new generation of the bills WeChat Pay said are final and unpaid
-- (fail, cancelled), each with a new out_bill_no and linked to the bill it
-- replaces; paid bills are never sent again, and a bill that may still be
-- at WeChat Pay keeps its number.  The openid is read again (a borrower may
-- have bound another account).
CREATE FUNCTION api.payout_retry(p_id bigint, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_note text;
	po payouts;
	chk record;
	v_gen integer;
	v_prefix text;
	b record;
	v_new_id bigint;
	v_pairs jsonb := '[]';
	v_held text;
	v_state text;
BEGIN
	PERFORM require_role('loandesk_oncall');
	v_note := payout_text(p_note, 'note', true);
	po := payout_lock(p_id);
	PERFORM 1 FROM transfer_bills WHERE payout_id = p_id ORDER BY id
		FOR NO KEY UPDATE;
	IF po.state = 'succeeded' THEN
		RAISE EXCEPTION 'payout % succeeded: its bills were paid and are never sent again',
			p_id USING ERRCODE = '55000';
	END IF;
	IF po.state <> 'failed' OR po.cancel_requested_at IS NOT NULL THEN
		RAISE EXCEPTION 'payout % is %: only a failed payout is retried',
			p_id, CASE WHEN po.cancel_requested_at IS NOT NULL
			THEN 'being cancelled' ELSE po.state END
			USING ERRCODE = '55000';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM transfer_bills WHERE payout_id = p_id
			AND replaced_by_bill_id IS NULL
			AND state IN ('fail', 'cancelled')) THEN
		SELECT string_agg(out_bill_no || ' ' || state, ', ') INTO v_held
		FROM transfer_bills WHERE payout_id = p_id
			AND replaced_by_bill_id IS NULL AND state <> 'success';
		RAISE EXCEPTION 'payout % has no bill that WeChat Pay says failed (%): nothing to retry',
			p_id, coalesce(v_held, 'every bill is paid')
			USING ERRCODE = '55000';
	END IF;
	IF po.generation >= 999 THEN
		RAISE EXCEPTION 'payout % was retried 999 times', p_id
			USING ERRCODE = '55000';
	END IF;
	-- The openid and the rules of approval, checked again.
	SELECT a.openid INTO chk FROM applicants a JOIN applications ap
		ON ap.applicant_id = a.id WHERE ap.id = po.application_id;
	IF chk.openid IS NULL OR chk.openid !~ '^[A-Za-z0-9_-]{1,64}$' THEN
		RAISE EXCEPTION 'payout %: the applicant has no usable WeChat openid',
			p_id USING ERRCODE = '22023';
	END IF;
	v_gen := po.generation + 1;
	SELECT value #>> '{}' INTO v_prefix FROM settings
	WHERE key = 'out_bill_prefix';
	FOR b IN SELECT * FROM transfer_bills WHERE payout_id = p_id
			AND replaced_by_bill_id IS NULL
			AND state IN ('fail', 'cancelled') ORDER BY seq LOOP
		INSERT INTO transfer_bills (payout_id, seq, generation, out_bill_no,
			amount_fen, openid, applicant_id, state, next_action,
			next_attempt_at, replaces_bill_id)
		VALUES (p_id, b.seq, v_gen, payout_out_bill_no(v_prefix, p_id,
			b.seq, v_gen), b.amount_fen, chk.openid, b.applicant_id,
			'pending', 'create', payout_now(), b.id)
		RETURNING id INTO v_new_id;
		UPDATE transfer_bills SET replaced_by_bill_id = v_new_id
		WHERE id = b.id;
		v_pairs := v_pairs || jsonb_build_object('old', b.out_bill_no,
			'state', b.state, 'new', payout_out_bill_no(v_prefix,
			p_id, b.seq, v_gen));
	END LOOP;
	UPDATE payouts SET generation = v_gen, updated_at = now(),
		version = version + 1 WHERE id = p_id;
	v_state := payout_settle(p_id, false);
	PERFORM payout_review_close(p_id, 'retried', v_note);
	PERFORM audit_record('payout.retry', 'payout', p_id::text,
		jsonb_build_object('from', po.state, 'to', v_state,
			'generation', v_gen, 'bills', v_pairs, 'note', v_note));
	PERFORM pg_notify('payout_bills', '');
	RETURN v_state;
END
$$;

-- Hands the payout's review to another group (finance, on-call, admin),
-- open for anyone there to claim; opens one if none is open.
CREATE FUNCTION api.payout_escalate(p_id bigint, p_to_group text,
	p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_note text;
	po payouts;
	rv reviews;
	v_from text;
BEGIN
	PERFORM require_role('loandesk_oncall', 'loandesk_finance');
	v_note := payout_text(p_note, 'note', true);
	IF p_to_group IS NULL OR p_to_group NOT IN ('loandesk_finance',
			'loandesk_oncall', 'loandesk_admin') THEN
		RAISE EXCEPTION 'escalate to loandesk_finance, loandesk_oncall or loandesk_admin, not %',
			coalesce(p_to_group, 'null') USING ERRCODE = '22023';
	END IF;
	po := payout_lock(p_id);
	SELECT * INTO rv FROM reviews WHERE payout_id = p_id AND kind = 'payout'
		AND state <> 'closed' FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM payout_review_open(p_id, 'ESCALATED', v_note);
		SELECT * INTO rv FROM reviews WHERE payout_id = p_id
			AND kind = 'payout' AND state <> 'closed' FOR UPDATE;
	END IF;
	v_from := review_group_of(rv);
	IF v_from = p_to_group THEN
		RAISE EXCEPTION 'review % of payout % is already with %', rv.id,
			p_id, p_to_group USING ERRCODE = '55000';
	END IF;
	IF rv.state = 'claimed' AND rv.assignee <> session_user
			AND NOT pg_has_role(session_user, 'loandesk_admin', 'MEMBER') THEN
		RAISE EXCEPTION 'review % is claimed by %: only % or an admin may escalate it',
			rv.id, rv.assignee, rv.assignee USING ERRCODE = '42501';
	END IF;
	UPDATE reviews SET escalated_to = p_to_group, state = 'open',
		assignee = NULL, claimed_at = NULL,
		note = left(coalesce(note || E'\n', '') || 'escalated to ' ||
			p_to_group || ' by ' || session_user || ': ' || v_note, 8000)
	WHERE id = rv.id;
	UPDATE payouts SET escalated_to = p_to_group, updated_at = now(),
		version = version + 1 WHERE id = p_id;
	PERFORM audit_record('payout.escalate', 'payout', p_id::text,
		jsonb_build_object('review_id', rv.id, 'from', v_from,
			'to', p_to_group, 'note', v_note));
	PERFORM pg_notify('reviews', rv.id::text);
	PERFORM pg_notify('payouts', p_id::text);
	RETURN rv.id;
END
$$;

-- 5. Kill switch --------------------------------------------------------------
--
-- The update waits for the claims under way (they read payout_control FOR
-- SHARE); once it commits, no claim hands out a create, and the NOTIFY
-- tells every daemon at once.  Requests already sent finish and are still
-- queried and reconciled.

CREATE FUNCTION api.payouts_pause(p_reason text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_reason text;
	ctl payout_control;
BEGIN
	PERFORM require_role('loandesk_finance', 'loandesk_oncall',
		'loandesk_admin');
	v_reason := payout_text(p_reason, 'reason', true);
	SELECT * INTO ctl FROM payout_control FOR UPDATE;
	IF ctl.paused THEN
		RAISE EXCEPTION 'payouts are already paused, by % since %: %',
			ctl.paused_by, to_char(ctl.paused_at AT TIME ZONE
			'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), ctl.pause_reason
			USING ERRCODE = '55000';
	END IF;
	UPDATE payout_control SET paused = true, paused_at = now(),
		paused_by = session_user, pause_reason = v_reason,
		updated_at = now();
	PERFORM audit_record('payouts.pause', 'payouts', 'all',
		jsonb_build_object('reason', v_reason));
	PERFORM pg_notify('payout_control', 'paused');
	RETURN 'paused';
END
$$;

CREATE FUNCTION api.payouts_resume(p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_note text;
	ctl payout_control;
BEGIN
	PERFORM require_role('loandesk_finance', 'loandesk_oncall',
		'loandesk_admin');
	v_note := payout_text(p_note, 'note', false);
	SELECT * INTO ctl FROM payout_control FOR UPDATE;
	IF NOT ctl.paused THEN
		RAISE EXCEPTION 'payouts are not paused' USING ERRCODE = '55000';
	END IF;
	UPDATE payout_control SET paused = false, resumed_at = now(),
		resumed_by = session_user, resume_note = v_note,
		updated_at = now();
	PERFORM audit_record('payouts.resume', 'payouts', 'all',
		jsonb_build_object('note', v_note, 'paused_by', ctl.paused_by,
			'paused_at', ctl.paused_at, 'reason', ctl.pause_reason));
	PERFORM pg_notify('payout_control', 'resumed');
	PERFORM pg_notify('payout_bills', '');
	RETURN 'running';
END
$$;

-- 6. Reviews of another group ------------------------------------------------
--
-- As in 0004/0010/0015, except that a review's group is review_group_of
-- (its escalation, else its kind), and reconciliation reviews are
-- finance's.  Who may hold a review (0015: a login, a member of the
-- review's group, not a superuser) is judged against that group too, in
-- the one place an assignee is written and in api.review_assign.
-- CREATE OR REPLACE keeps owners and grants.

CREATE FUNCTION review_may_hold(p_assignee text, rv reviews) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
	-- By the role's oid: a name that is no role is false, not an error.
	SELECT EXISTS (SELECT 1 FROM pg_roles r
		WHERE r.rolname = p_assignee AND r.rolcanlogin
			AND NOT r.rolsuper
			AND pg_has_role(r.oid, review_group_of(rv), 'MEMBER'))
$$;
REVOKE EXECUTE ON FUNCTION review_may_hold(text, reviews) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION review_may_hold(text, reviews) TO loandesk_api;

CREATE OR REPLACE FUNCTION review_set_assignee(rv reviews, p_assignee text,
	p_action text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
	IF p_assignee IS NOT NULL AND NOT review_may_hold(p_assignee, rv) THEN
		RAISE EXCEPTION '% is not an operator who works % reviews%',
			p_assignee, rv.kind, CASE WHEN EXISTS (SELECT 1
				FROM pg_roles WHERE rolname = p_assignee
				AND rolsuper) THEN ' (a superuser is no '
				'operator)' ELSE '' END
			USING ERRCODE = CASE WHEN p_action = 'review.claim'
				THEN '42501' ELSE '22023' END;
	END IF;
	UPDATE reviews SET
		state = CASE WHEN p_assignee IS NULL THEN 'open' ELSE 'claimed' END,
		assignee = p_assignee,
		claimed_at = CASE WHEN p_assignee IS NULL THEN NULL ELSE now() END
	WHERE id = rv.id;
	IF rv.application_id IS NOT NULL THEN
		UPDATE applications SET assignee = p_assignee, updated_at = now(),
			version = version + 1
		WHERE id = rv.application_id;
		PERFORM pg_notify('applications', rv.application_id::text);
	END IF;
	-- Last: the audit head is held from here to the commit.
	PERFORM audit_record(p_action, 'review', rv.id::text,
		jsonb_build_object('kind', rv.kind,
			'application_id', rv.application_id,
			'payout_id', rv.payout_id,
			'from', rv.assignee, 'to', p_assignee));
	PERFORM pg_notify('reviews', rv.id::text);
END
$$;

CREATE OR REPLACE FUNCTION review_group(p_kind text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT CASE p_kind WHEN 'application' THEN 'loandesk_risk'
		WHEN 'reconciliation' THEN 'loandesk_finance'
		ELSE 'loandesk_oncall' END
$$;

CREATE OR REPLACE FUNCTION review_lock(p_review_id bigint) RETURNS reviews
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	rv reviews%ROWTYPE;
BEGIN
	SELECT * INTO rv FROM reviews WHERE id = p_review_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'review % does not exist', p_review_id
			USING ERRCODE = 'P0002';
	END IF;
	PERFORM require_role(review_group_of(rv), 'loandesk_admin');
	IF rv.state = 'closed' THEN
		RAISE EXCEPTION 'review % is closed', p_review_id
			USING ERRCODE = '55000';
	END IF;
	RETURN rv;
END
$$;

CREATE OR REPLACE FUNCTION api.review_assign(p_review_id bigint,
	p_assignee text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	rv reviews;
BEGIN
	rv := review_lock(p_review_id);
	PERFORM review_require_holder(rv, 'reassign it');
	IF p_assignee IS NULL OR NOT review_may_hold(p_assignee, rv) THEN
		RAISE EXCEPTION '% is not an operator who works % reviews%',
			coalesce(p_assignee, 'null'), rv.kind, CASE WHEN EXISTS (
				SELECT 1 FROM pg_roles WHERE rolname = p_assignee
				AND rolsuper) THEN ' (a superuser is no '
				'operator)' ELSE '' END
			USING ERRCODE = '22023';
	END IF;
	IF rv.state = 'claimed' AND rv.assignee = p_assignee THEN
		IF p_assignee = session_user THEN
			RAISE EXCEPTION 'review % is already yours', p_review_id
				USING ERRCODE = '55000';
		END IF;
		RAISE EXCEPTION 'review % is already assigned to %', p_review_id,
			p_assignee USING ERRCODE = '55000';
	END IF;
	PERFORM review_set_assignee(rv, p_assignee, 'review.assign');
END
$$;

-- 7. Ownership and grants (0009) ----------------------------------------------

REVOKE EXECUTE ON FUNCTION payout_lock(bigint), payout_text(text, text, boolean),
	review_group_of(reviews), payout_review_open(bigint, text, text),
	payout_review_close(bigint, text, text), payout_settle(bigint, boolean),
	payout_approvable(payouts), payout_approve_one(bigint, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION payout_lock(bigint), payout_text(text, text, boolean),
	review_group_of(reviews), payout_review_open(bigint, text, text),
	payout_review_close(bigint, text, text), payout_settle(bigint, boolean),
	payout_approvable(payouts), payout_approve_one(bigint, text)
	TO loandesk_api;
GRANT CREATE ON SCHEMA public, api TO loandesk_api;
ALTER FUNCTION api.payout_approve(bigint, text) OWNER TO loandesk_api;
ALTER FUNCTION api.payout_approve_batch(bigint[], integer, bigint, text)
	OWNER TO loandesk_api;
ALTER FUNCTION api.payout_hold(bigint, text) OWNER TO loandesk_api;
ALTER FUNCTION api.payout_release(bigint) OWNER TO loandesk_api;
ALTER FUNCTION api.payout_cancel(bigint, text) OWNER TO loandesk_api;
ALTER FUNCTION api.payout_retry(bigint, text) OWNER TO loandesk_api;
ALTER FUNCTION api.payout_escalate(bigint, text, text) OWNER TO loandesk_api;
ALTER FUNCTION api.payouts_pause(text) OWNER TO loandesk_api;
ALTER FUNCTION api.payouts_resume(text) OWNER TO loandesk_api;
REVOKE CREATE ON SCHEMA public, api FROM loandesk_api;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA api FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.payout_approve(bigint, text),
	api.payout_approve_batch(bigint[], integer, bigint, text)
	TO loandesk_finance;
GRANT EXECUTE ON FUNCTION api.payout_hold(bigint, text),
	api.payouts_pause(text), api.payouts_resume(text)
	TO loandesk_finance, loandesk_oncall, loandesk_admin;
GRANT EXECUTE ON FUNCTION api.payout_release(bigint),
	api.payout_cancel(bigint, text), api.payout_escalate(bigint, text, text)
	TO loandesk_finance, loandesk_oncall;
GRANT EXECUTE ON FUNCTION api.payout_retry(bigint, text) TO loandesk_oncall;
-- Finance works reconciliation reviews and escalated payout reviews.
GRANT EXECUTE ON FUNCTION api.review_claim(bigint),
	api.review_assign(bigint, text), api.review_release(bigint)
	TO loandesk_finance;
