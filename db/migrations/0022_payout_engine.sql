-- The daemon's side of the payout engine.  loandesk_daemon writes no payout
-- table itself; it calls these, each in its own transaction unless said:
--
--   api.payout_claim        due bills, locked FOR UPDATE SKIP LOCKED, with
--                           the action each is due for; holds what a daily
--                           limit stops; respects the kill switch and the
--                           channel in the same transaction
--   api.payout_bill_sending in the claim's transaction, before commit and
--                           before the request leaves: stores the exact
--                           body and marks the bill sending
--   api.payout_bill_record  after an exchange: the attempt, and the bill
--                           moved as src/payout decided (payout_bill_step),
--                           checked against payout_bill_transitions
--   api.payout_callback     a verified, decrypted callback, idempotent
--   api.payout_balance_record, api.payout_heartbeat
--
-- What the daemon computes in C (src/payout) it passes in; what must hold
-- whatever the daemon computes (forward only, the answer is about our
-- bill, a final bill never changes, what was sent is what the bill says)
-- is checked here.  docs/payouts.md describes the whole loop.

-- 1. Helpers ---------------------------------------------------------------

-- What counts toward the daily limits of Beijing day p_day, for one
-- borrower (p_applicant) or the merchant (NULL): every bill in flight,
-- whatever day it left; every bill paid on that day (WeChat Pay's time of
-- success, else ours) or sent on it; and the bills this transaction has
-- claimed to send.
CREATE FUNCTION payout_day_used(p_day date, p_applicant bigint) RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT coalesce(sum(t.amount_fen), 0) FROM transfer_bills t
	WHERE (p_applicant IS NULL OR t.applicant_id = p_applicant)
		AND (t.state IN ('sending', 'unknown', 'accepted', 'processing',
			'wait_user_confirm', 'transferring', 'cancelling')
		OR (t.state = 'success' AND (t.counted_day = p_day OR
			payout_beijing_day(coalesce(t.wechat_updated_at,
			t.succeeded_at)) = p_day))
		OR (t.state = 'pending' AND t.counted_day = p_day
			AND t.claim_xid = txid_current()))
$$;
CREATE INDEX transfer_bills_in_flight ON transfer_bills (applicant_id)
	INCLUDE (amount_fen) WHERE state IN ('sending', 'unknown', 'accepted',
	'processing', 'wait_user_confirm', 'transferring', 'cancelling');

-- Nothing more is created until the operating account can pay again.
CREATE FUNCTION payout_channel_pause(p_code text, p_message text)
	RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	ctl payout_control;
BEGIN
	SELECT * INTO ctl FROM payout_control FOR UPDATE;
	IF ctl.channel_paused THEN
		RETURN;
	END IF;
	UPDATE payout_control SET channel_paused = true,
		channel_paused_at = now(), channel_code = p_code,
		channel_message = p_message, updated_at = now();
	INSERT INTO payout_alerts (kind, detail) VALUES ('channel_paused',
		jsonb_build_object('code', p_code, 'message', p_message));
	PERFORM audit_record('payouts.channel_pause', 'payouts', 'channel',
		jsonb_build_object('code', p_code, 'message', p_message));
	PERFORM pg_notify('payout_control', 'channel_paused');
END
$$;

CREATE FUNCTION payout_channel_resume(p_available bigint) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	n integer;
BEGIN
	UPDATE payout_control SET channel_paused = false,
		channel_resumed_at = now(), updated_at = now();
	UPDATE transfer_bills SET state = 'pending', hold_reason = NULL,
		hold_until = NULL, held_at = NULL, next_action = 'create',
		next_attempt_at = payout_now(), streak = 0, updated_at = now()
	WHERE state = 'held' AND hold_reason = 'channel_balance';
	GET DIAGNOSTICS n = ROW_COUNT;
	UPDATE payout_alerts SET cleared_at = now()
	WHERE kind IN ('channel_paused', 'balance_low') AND cleared_at IS NULL;
	INSERT INTO payout_alerts (kind, detail) VALUES ('channel_resumed',
		jsonb_build_object('available_fen', p_available,
			'bills_released', n));
	PERFORM audit_record('payouts.channel_resume', 'payouts', 'channel',
		jsonb_build_object('available_fen', p_available,
			'bills_released', n));
	PERFORM pg_notify('payout_control', 'channel_resumed');
	PERFORM pg_notify('payout_bills', '');
	RETURN n;
END
$$;

-- The request is the bill: its number, amount and openid, in the shape of
-- the product it goes to.  Nothing else is sent for this bill.
CREATE FUNCTION payout_body_check(b transfer_bills, p_product text,
	p_out_batch_no text, p_body text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	j jsonb;
	d jsonb;
	x xml;
	v_no text;
	v_amount text;
	v_openid text;
BEGIN
	IF p_product = 'v2' THEN
		BEGIN
			x := p_body::xml;
		EXCEPTION WHEN OTHERS THEN
			RAISE EXCEPTION 'bill %: the request is not XML', b.id
				USING ERRCODE = '22023';
		END;
		v_no := (xpath('/xml/partner_trade_no/text()', x))[1]::text;
		v_amount := (xpath('/xml/amount/text()', x))[1]::text;
		v_openid := (xpath('/xml/openid/text()', x))[1]::text;
	ELSE
		BEGIN
			j := p_body::jsonb;
		EXCEPTION WHEN OTHERS THEN
			RAISE EXCEPTION 'bill %: the request is not JSON', b.id
				USING ERRCODE = '22023';
		END;
		IF p_product = 'batch' THEN
			IF j->>'out_batch_no' IS DISTINCT FROM p_out_batch_no THEN
				RAISE EXCEPTION 'bill %: out_batch_no % in the request, % expected',
					b.id, j->>'out_batch_no', p_out_batch_no
					USING ERRCODE = '22023';
			END IF;
			SELECT e INTO d FROM jsonb_array_elements(CASE WHEN
				jsonb_typeof(j->'transfer_detail_list') = 'array'
				THEN j->'transfer_detail_list' ELSE '[]' END) e
			WHERE e->>'out_detail_no' = b.out_bill_no;
			v_no := d->>'out_detail_no';
			v_amount := d->>'transfer_amount';
			v_openid := d->>'openid';
		ELSE
			v_no := j->>'out_bill_no';
			v_amount := j->>'transfer_amount';
			v_openid := j->>'openid';
		END IF;
	END IF;
	IF v_no IS DISTINCT FROM b.out_bill_no THEN
		RAISE EXCEPTION 'bill %: the request names number %, not %', b.id,
			coalesce(v_no, 'none'), b.out_bill_no USING ERRCODE = '22023';
	END IF;
	IF v_amount IS DISTINCT FROM b.amount_fen::text THEN
		RAISE EXCEPTION 'bill % (%): the request sends % fen, the bill is % fen',
			b.id, b.out_bill_no, coalesce(v_amount, 'no amount'),
			b.amount_fen USING ERRCODE = '22023';
	END IF;
	IF v_openid IS DISTINCT FROM b.openid THEN
		RAISE EXCEPTION 'bill % (%): the request pays another openid',
			b.id, b.out_bill_no USING ERRCODE = '22023';
	END IF;
END
$$;

-- WeChat Pay's RFC 3339 time, or NULL for anything else: a malformed
-- time in an answer must not stop the answer being recorded.
CREATE FUNCTION payout_wechat_time(p_text text) RETURNS timestamptz
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
	IF p_text !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$' THEN
		RETURN NULL;
	END IF;
	RETURN p_text::timestamptz;
EXCEPTION WHEN OTHERS THEN
	RETURN NULL;
END
$$;

-- Moves a bill (locked, with its payout locked first) by a step: to
-- p_to when that is a transition from where the bill is now, and only
-- then.  p_from is the state the step was computed from (NULL: a callback,
-- which knows no state).  An answer about another amount or openid, or a
-- final state contradicting a final state, changes nothing and reaches a
-- person.
CREATE FUNCTION payout_bill_move(b transfer_bills, p_exchange text,
	p_from text, p_to text, p_applies boolean, p_action text,
	p_delay_ms bigint, p_until_midnight boolean, p_hold text,
	p_review boolean, p_pause_channel boolean, p_code text,
	p_message text, p_bill jsonb, OUT applied boolean, OUT state text,
	OUT note text)
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
	v_now timestamptz := payout_now();
	v_cur text := b.state;
	v_term_cur boolean;
	v_term_to boolean;
	v_bill jsonb := coalesce(p_bill, '{}');
	v_reason text;
BEGIN
	applied := false;
	state := v_cur;
	SELECT terminal INTO v_term_cur FROM payout_bill_states s WHERE s.state = v_cur;
	SELECT terminal INTO v_term_to FROM payout_bill_states s WHERE s.state = p_to;
	IF (v_bill ? 'out_bill_no' AND v_bill->>'out_bill_no' <> b.out_bill_no)
			OR (v_bill ? 'transfer_amount' AND jsonb_typeof(v_bill->'transfer_amount') = 'number'
				AND (v_bill->>'transfer_amount')::numeric <> b.amount_fen)
			OR (v_bill ? 'openid' AND v_bill->>'openid' <> b.openid) THEN
		note := format('answer names %s / %s fen / openid %s; the bill is %s / %s fen',
			coalesce(v_bill->>'out_bill_no', b.out_bill_no),
			coalesce(v_bill->>'transfer_amount', '?'),
			CASE WHEN v_bill->>'openid' = b.openid THEN 'ours'
				ELSE 'another' END, b.out_bill_no, b.amount_fen);
		INSERT INTO payout_alerts (kind, detail) VALUES ('answer_conflict',
			jsonb_build_object('bill_id', b.id, 'payout_id', b.payout_id,
				'note', note));
		PERFORM payout_review_open(b.payout_id, 'ANSWER_CONFLICT', note);
		RETURN;
	END IF;
	IF NOT p_applies THEN
		note := 'changes nothing';
		RETURN;
	END IF;
	IF p_to <> v_cur AND NOT EXISTS (SELECT 1 FROM payout_bill_transitions
			WHERE from_state = v_cur AND to_state = p_to) THEN
		-- A final state against a final state, or WeChat Pay naming a
		-- state for a bill it said it did not take: money may have
		-- moved where we think it did not.
		IF (v_term_cur AND v_term_to) OR (v_cur IN ('pending', 'held')
				AND p_to NOT IN ('pending', 'held', 'sending', 'unknown')) THEN
			note := format('WeChat Pay reports %s for a bill recorded as %s',
				p_to, v_cur);
			INSERT INTO payout_alerts (kind, detail) VALUES
				('answer_conflict', jsonb_build_object('bill_id',
				b.id, 'payout_id', b.payout_id, 'note', note));
			PERFORM payout_review_open(b.payout_id, 'ANSWER_CONFLICT',
				format('bill %s: %s', b.out_bill_no, note));
			RETURN;
		END IF;
		IF p_from IS NOT NULL AND p_from = v_cur THEN
			-- The step was computed from this very state: the C
			-- and SQL tables disagree (tests/test_db_payout.c
			-- compares them).
			RAISE EXCEPTION 'bill % (%): % -> % is not a transition',
				b.id, b.out_bill_no, v_cur, p_to
				USING ERRCODE = '55000';
		END IF;
		note := format('behind what we know (%s): kept', v_cur);
		RETURN;
	END IF;
	IF p_from IS NOT NULL AND p_from <> v_cur AND p_to = v_cur THEN
		-- Another answer already put it here: its schedule stands.
		note := 'already there';
		RETURN;
	END IF;
	IF p_to = 'held' AND p_hold IS NULL THEN
		RAISE EXCEPTION 'bill %: held without a reason', b.id
			USING ERRCODE = '22023';
	END IF;
	UPDATE transfer_bills t SET
		state = p_to,
		next_action = CASE WHEN v_term_to THEN 'none'
			ELSE coalesce(p_action, t.next_action) END,
		next_attempt_at = CASE WHEN p_until_midnight
			THEN payout_beijing_midnight_after(v_now)
			ELSE v_now + make_interval(secs => coalesce(p_delay_ms, 0) / 1000.0) END,
		hold_reason = CASE WHEN p_to = 'held' THEN p_hold END,
		hold_until = CASE WHEN p_to = 'held' AND p_hold = 'wechat_limit'
			THEN payout_beijing_midnight_after(v_now) END,
		held_at = CASE WHEN p_to = 'held' THEN now() END,
		streak = CASE WHEN p_to = v_cur THEN t.streak + 1 ELSE 0 END,
		transfer_bill_no = coalesce(v_bill->>'transfer_bill_no', t.transfer_bill_no),
		package_info = coalesce(v_bill->>'package_info', t.package_info),
		wechat_state = coalesce(v_bill->>'state', t.wechat_state),
		fail_reason = coalesce(v_bill->>'fail_reason', t.fail_reason),
		wechat_updated_at = coalesce(payout_wechat_time(
			v_bill->>'update_time'), t.wechat_updated_at),
		last_error_code = coalesce(p_code, t.last_error_code),
		last_error_text = coalesce(p_message, t.last_error_text),
		succeeded_at = CASE WHEN p_to = 'success' AND v_cur <> 'success'
			THEN v_now ELSE t.succeeded_at END,
		final_at = CASE WHEN v_term_to AND NOT v_term_cur THEN v_now
			ELSE t.final_at END,
		claimed_by = NULL, updated_at = now()
	WHERE t.id = b.id;
	applied := true;
	state := p_to;
	note := CASE WHEN p_to = v_cur THEN 'rescheduled' ELSE 'moved' END;
	IF p_pause_channel THEN
		PERFORM payout_channel_pause(p_code, p_message);
	END IF;
	IF p_to <> v_cur THEN
		IF p_to = 'cancelled' AND b.cancel_requested_at IS NULL THEN
			v_reason := CASE WHEN v_cur = 'wait_user_confirm'
				THEN 'USER_NOT_CONFIRMED' ELSE 'CANCELLED' END;
		ELSIF p_to = 'fail' OR (p_to = 'held' AND p_hold = 'refused')
				OR (p_review AND p_to <> 'cancelled') THEN
			v_reason := coalesce(v_bill->>'fail_reason', p_code, upper(p_to));
		END IF;
		IF v_reason IS NOT NULL THEN
			PERFORM payout_review_open(b.payout_id, v_reason, format(
				'bill %s %s: %s%s', b.out_bill_no, p_to,
				CASE WHEN v_reason = 'USER_NOT_CONFIRMED'
				THEN 'the borrower did not confirm; WeChat Pay cancelled the bill'
				ELSE coalesce(p_message, v_reason) END,
				format(' (%s attempts)', (SELECT count(*)
				FROM payout_attempts a WHERE a.bill_id = b.id) + 1)));
		END IF;
		IF v_term_to OR p_to = 'held' OR v_reason IS NOT NULL THEN
			PERFORM audit_record('bill.' || p_to, 'transfer_bill',
				b.id::text, jsonb_build_object('payout_id',
				b.payout_id, 'out_bill_no', b.out_bill_no,
				'from', v_cur, 'to', p_to, 'exchange', p_exchange,
				'code', p_code, 'message', p_message,
				'hold', p_hold));
		END IF;
		PERFORM payout_settle(b.payout_id, true);
		PERFORM pg_notify('payouts', b.payout_id::text);
	ELSIF p_review AND NOT EXISTS (SELECT 1 FROM reviews r
			WHERE r.payout_id = b.payout_id AND r.kind = 'payout'
			AND r.state <> 'closed') THEN
		-- Refused again while unknown: one open review is enough.
		PERFORM payout_review_open(b.payout_id, coalesce(p_code, 'REFUSED'),
			format('bill %s stays %s: %s', b.out_bill_no, v_cur,
			coalesce(p_message, p_code)));
	END IF;
END
$$;

CREATE FUNCTION payout_attempt_add(b transfer_bills, p_kind text,
	p_method text, p_path text, p_http_status integer, p_code text,
	p_message text, p_outcome text, p_latency_ms integer,
	p_request_body text, p_response_body text, p_to text,
	p_applied boolean, p_note text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
	INSERT INTO payout_attempts (bill_id, attempt_no, kind, started_at,
		finished_at, http_status, outcome, error_code, request_body,
		response_body, method, path, wechat_message, latency_ms, worker,
		from_state, to_state, applied, note)
	SELECT b.id, coalesce(max(a.attempt_no), 0) + 1, p_kind,
		now() - make_interval(secs => coalesce(p_latency_ms, 0) / 1000.0),
		now(), p_http_status, p_outcome, p_code, p_request_body,
		p_response_body, p_method, p_path, left(p_message, 2000),
		p_latency_ms, session_user, b.state, p_to, p_applied,
		left(p_note, 500)
	FROM payout_attempts a WHERE a.bill_id = b.id AND a.kind = p_kind;
END
$$;

-- 2. Claim --------------------------------------------------------------------

-- Up to p_max bills due now, each with the action it is due for (create,
-- query, cancel), locked in the caller's transaction: no other claim gets
-- them (SKIP LOCKED), and each carries a lease (payout_lease_s) so none
-- gets them after the commit until this daemon records an answer or the
-- lease runs out.  In the same transaction: holds past their time go back
-- to pending; a bill marked sending whose lease ran out becomes unknown
-- (the request may have left) and is queried; creates are handed out only
-- when neither the kill switch nor the channel is paused (read FOR SHARE:
-- a pause waits for this transaction, and no claim after it hands out a
-- create) and only by one claim at a time (the daily limits are summed
-- under that lock); a pending bill that would exceed a daily limit is held
-- until Beijing midnight with the limit named.
CREATE FUNCTION api.payout_claim(p_worker text, p_max integer)
RETURNS TABLE (bill_id bigint, payout_id bigint, application_id bigint,
	applicant_id bigint, seq integer, generation integer, out_bill_no text,
	out_batch_no text, action text, state text, amount_fen bigint,
	openid text, product text, request_method text, request_path text,
	request_body text, transfer_bill_no text, streak integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	v_now timestamptz := payout_now();
	v_day date := payout_beijing_day(payout_now());
	v_lease interval;
	v_xid bigint := txid_current();
	ctl payout_control;
	v_create boolean;
	v_user_max bigint;
	v_merchant_max bigint;
	v_merchant_used bigint;
	v_user_used bigint;
	v_hold text;
	v_action text;
	b record;
BEGIN
	PERFORM require_role('loandesk_daemon');
	IF p_worker IS NULL OR p_worker !~ '^[A-Za-z0-9_.:@-]{1,100}$' THEN
		RAISE EXCEPTION 'worker name "%" is not 1 to 100 of A-Z a-z 0-9 _ . : @ -',
			coalesce(p_worker, '') USING ERRCODE = '22023';
	END IF;
	IF p_max IS NULL OR p_max NOT BETWEEN 1 AND 1000 THEN
		RAISE EXCEPTION 'claim 1 to 1000 bills, not %', p_max
			USING ERRCODE = '22023';
	END IF;
	v_lease := make_interval(secs => payout_setting_int('payout_lease_s'));

	-- Holds whose day is over.
	FOR b IN SELECT t.id, t.payout_id, t.out_bill_no, t.hold_reason,
			t.hold_until FROM transfer_bills t
		WHERE t.state = 'held' AND t.hold_until <= v_now
		ORDER BY t.hold_until, t.id LIMIT 1000
		FOR NO KEY UPDATE SKIP LOCKED
	LOOP
		UPDATE transfer_bills t SET state = 'pending', hold_reason = NULL,
			hold_until = NULL, held_at = NULL, next_action = 'create',
			next_attempt_at = v_now, streak = 0, updated_at = now()
		WHERE t.id = b.id;
		PERFORM audit_record('bill.release', 'transfer_bill', b.id::text,
			jsonb_build_object('payout_id', b.payout_id,
				'out_bill_no', b.out_bill_no, 'hold', b.hold_reason,
				'until', b.hold_until));
		PERFORM pg_notify('payouts', b.payout_id::text);
	END LOOP;

	SELECT * INTO ctl FROM payout_control FOR SHARE;
	-- One claim at a time sums and reserves the day's limits; another
	-- claim meanwhile hands out queries and cancels only.
	v_create := NOT ctl.paused AND NOT ctl.channel_paused
		AND pg_try_advisory_xact_lock(1819567476, 1);
	IF v_create THEN
		v_user_max := payout_setting_int('per_user_daily_max_fen');
		v_merchant_max := payout_setting_int('merchant_daily_max_fen');
		v_merchant_used := payout_day_used(v_day, NULL);
	END IF;

	FOR b IN SELECT t.*, p.application_id AS app_id
		FROM transfer_bills t JOIN payouts p ON p.id = t.payout_id
		WHERE t.next_action <> 'none' AND t.next_attempt_at <= v_now
			AND (t.next_action <> 'create' OR (v_create
				AND p.state IN ('approved', 'sending')
				AND p.cancel_requested_at IS NULL))
		ORDER BY t.next_attempt_at, t.id
		LIMIT p_max
		FOR NO KEY UPDATE OF t, p SKIP LOCKED
	LOOP
		v_action := b.next_action;
		IF b.state = 'sending' THEN
			-- The lease ran out with no answer recorded: the request
			-- may have left.
			UPDATE transfer_bills t SET state = 'unknown',
				next_action = 'query', streak = 0,
				last_error_code = 'LEASE_EXPIRED',
				last_error_text = format('no answer recorded by %s within the lease',
					coalesce(b.claimed_by, 'the daemon')),
				updated_at = now()
			WHERE t.id = b.id;
			b.state := 'unknown';
			v_action := 'query';
		END IF;
		IF b.cancel_requested_at IS NOT NULL AND b.state IN ('accepted',
				'processing', 'wait_user_confirm') THEN
			v_action := 'cancel';
		END IF;
		IF v_action = 'create' AND b.state = 'pending' THEN
			v_user_used := payout_day_used(v_day, b.applicant_id);
			v_hold := payout_limit_exceeded(v_user_used, v_merchant_used,
				b.amount_fen, v_user_max, v_merchant_max);
			IF v_hold IS NOT NULL THEN
				UPDATE transfer_bills t SET state = 'held',
					hold_reason = v_hold,
					hold_until = payout_beijing_midnight_after(v_now),
					held_at = now(), next_action = 'none',
					updated_at = now()
				WHERE t.id = b.id;
				PERFORM audit_record('bill.held', 'transfer_bill',
					b.id::text, jsonb_build_object('payout_id',
					b.payout_id, 'out_bill_no', b.out_bill_no,
					'from', 'pending', 'to', 'held',
					'hold', v_hold, 'amount_fen', b.amount_fen,
					'used_fen', CASE WHEN v_hold =
						'per_user_daily_max_fen' THEN v_user_used
						ELSE v_merchant_used END,
					'max_fen', CASE WHEN v_hold =
						'per_user_daily_max_fen' THEN v_user_max
						ELSE v_merchant_max END,
					'until', payout_beijing_midnight_after(v_now)));
				PERFORM pg_notify('payouts', b.payout_id::text);
				CONTINUE;
			END IF;
			v_merchant_used := v_merchant_used + b.amount_fen;
			UPDATE transfer_bills t SET counted_day = v_day,
				claim_xid = v_xid, claimed_by = p_worker,
				claimed_at = now(), next_attempt_at = v_now + v_lease
			WHERE t.id = b.id;
		ELSIF v_action = 'create' THEN
			-- The identical create again for an unknown bill: it
			-- counts already.
			UPDATE transfer_bills t SET claim_xid = v_xid,
				claimed_by = p_worker, claimed_at = now(),
				next_attempt_at = v_now + v_lease
			WHERE t.id = b.id;
		ELSE
			UPDATE transfer_bills t SET claimed_by = p_worker,
				claimed_at = now(), next_attempt_at = v_now + v_lease
			WHERE t.id = b.id;
		END IF;
		bill_id := b.id;
		payout_id := b.payout_id;
		application_id := b.app_id;
		applicant_id := b.applicant_id;
		seq := b.seq;
		generation := b.generation;
		out_bill_no := b.out_bill_no;
		out_batch_no := b.out_batch_no;
		action := v_action;
		state := b.state;
		amount_fen := b.amount_fen;
		openid := b.openid;
		product := b.product;
		request_method := b.request_method;
		request_path := b.request_path;
		request_body := b.request_body;
		transfer_bill_no := b.transfer_bill_no;
		streak := b.streak;
		RETURN NEXT;
	END LOOP;
END
$$;

-- 3. Sending --------------------------------------------------------------------

-- In the transaction of the claim that handed out this create, before it
-- commits and before the request leaves: the exact request is stored (a
-- resend must carry the stored one byte for byte) and checked against the
-- bill (number, amount, openid), and the bill is marked sending, due for
-- a query when the lease runs out without an answer recorded.
CREATE FUNCTION api.payout_bill_sending(p_bill_id bigint, p_product text,
	p_method text, p_path text, p_request_body text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	b transfer_bills;
	v_batch text;
	v_prefix text;
	v_state text;
BEGIN
	PERFORM require_role('loandesk_daemon');
	IF p_product IS NULL OR p_product NOT IN ('bill', 'batch', 'v2') THEN
		RAISE EXCEPTION 'product must be bill, batch or v2, not %',
			coalesce(p_product, 'null') USING ERRCODE = '22023';
	END IF;
	IF p_method IS DISTINCT FROM 'POST' OR p_path IS NULL
			OR p_path !~ '^/[A-Za-z0-9/_.-]+$' OR length(p_path) > 512 THEN
		RAISE EXCEPTION 'a create is a POST to an API path'
			USING ERRCODE = '22023';
	END IF;
	IF p_request_body IS NULL OR length(p_request_body) NOT BETWEEN 1 AND 1048576 THEN
		RAISE EXCEPTION 'the request body is empty or larger than 1 MiB'
			USING ERRCODE = '22023';
	END IF;
	SELECT * INTO b FROM transfer_bills WHERE id = p_bill_id
		FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'bill % does not exist', p_bill_id
			USING ERRCODE = 'P0002';
	END IF;
	IF b.claim_xid IS DISTINCT FROM txid_current()
			OR b.next_action <> 'create'
			OR b.state NOT IN ('pending', 'unknown') THEN
		RAISE EXCEPTION 'bill % (%) was not claimed for sending in this transaction (it is %, due for %)',
			b.id, b.out_bill_no, b.state, b.next_action
			USING ERRCODE = '55000';
	END IF;
	IF b.product IS NOT NULL AND b.product <> p_product THEN
		RAISE EXCEPTION 'bill % (%) was first sent as %; it is sent again the same way',
			b.id, b.out_bill_no, b.product USING ERRCODE = '55000';
	END IF;
	IF b.request_body IS NOT NULL AND (b.request_body <> p_request_body
			OR b.request_method <> p_method
			OR b.request_path <> p_path) THEN
		RAISE EXCEPTION 'bill % (%): a resend carries the stored request byte for byte',
			b.id, b.out_bill_no USING ERRCODE = '55000';
	END IF;
	IF p_product = 'batch' THEN
		SELECT value #>> '{}' INTO v_prefix FROM settings
		WHERE key = 'out_bill_prefix';
		v_batch := coalesce(b.out_batch_no, payout_out_batch_no(v_prefix,
			b.payout_id, b.generation));
	END IF;
	PERFORM payout_body_check(b, p_product, v_batch, p_request_body);
	v_state := CASE WHEN b.state = 'pending' THEN 'sending' ELSE b.state END;
	UPDATE transfer_bills SET state = v_state, product = p_product,
		out_batch_no = v_batch, request_method = p_method,
		request_path = p_path, request_body = p_request_body,
		first_sent_at = coalesce(first_sent_at, now()),
		last_sent_at = now(), attempts = attempts + 1,
		next_action = 'query',
		next_attempt_at = payout_now() + make_interval(secs =>
			payout_setting_int('payout_lease_s')),
		claim_xid = NULL, updated_at = now()
	WHERE id = b.id;
	IF v_state <> b.state THEN
		PERFORM payout_settle(b.payout_id, true);
	END IF;
	RETURN v_state;
END
$$;

-- 4. Answers and callbacks -------------------------------------------------------

-- After an exchange with WeChat Pay: the attempt (bodies with the encrypted
-- name and any key material already removed by the caller) and the step
-- src/payout computed from p_from_state (payout_bill_step), applied when
-- it is a transition from where the bill is now.  Returns the bill's state.
CREATE FUNCTION api.payout_bill_record(p_bill_id bigint, p_exchange text,
	p_from_state text, p_method text, p_path text, p_http_status integer,
	p_code text, p_message text, p_outcome text, p_latency_ms integer,
	p_request_body text, p_response_body text, p_applies boolean,
	p_to_state text, p_next_action text, p_delay_ms bigint,
	p_until_midnight boolean, p_hold text, p_review boolean,
	p_pause_channel boolean, p_why text, p_bill jsonb) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_payout bigint;
	b transfer_bills;
	m record;
BEGIN
	PERFORM require_role('loandesk_daemon');
	IF p_exchange IS NULL OR p_exchange NOT IN ('create', 'query', 'cancel') THEN
		RAISE EXCEPTION 'exchange must be create, query or cancel, not %',
			coalesce(p_exchange, 'null') USING ERRCODE = '22023';
	END IF;
	IF p_outcome IS NULL OR p_outcome NOT IN ('success', 'pending', 'retry',
			'hold', 'fail', 'unknown') THEN
		RAISE EXCEPTION 'outcome % is not a classified outcome',
			coalesce(p_outcome, 'null') USING ERRCODE = '22023';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM payout_bill_states WHERE state = p_from_state)
			OR NOT EXISTS (SELECT 1 FROM payout_bill_states
				WHERE state = p_to_state) THEN
		RAISE EXCEPTION 'bill states % and % are not both bill states',
			coalesce(p_from_state, 'null'), coalesce(p_to_state, 'null')
			USING ERRCODE = '22023';
	END IF;
	IF (p_next_action IS NOT NULL AND NOT EXISTS (SELECT 1
			FROM payout_actions WHERE action = p_next_action))
			OR (p_hold IS NOT NULL AND NOT EXISTS (SELECT 1
			FROM payout_holds WHERE hold = p_hold))
			OR p_delay_ms NOT BETWEEN 0 AND 86400000 THEN
		RAISE EXCEPTION 'next action %, hold % or delay % ms is not valid',
			p_next_action, p_hold, p_delay_ms USING ERRCODE = '22023';
	END IF;
	SELECT t.payout_id INTO v_payout FROM transfer_bills t WHERE t.id = p_bill_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'bill % does not exist', p_bill_id
			USING ERRCODE = 'P0002';
	END IF;
	PERFORM payout_lock(v_payout);
	SELECT * INTO b FROM transfer_bills WHERE id = p_bill_id
		FOR NO KEY UPDATE;
	SELECT * INTO m FROM payout_bill_move(b, p_exchange, p_from_state,
		p_to_state, coalesce(p_applies, false), p_next_action,
		coalesce(p_delay_ms, 0), coalesce(p_until_midnight, false), p_hold,
		coalesce(p_review, false), coalesce(p_pause_channel, false), p_code,
		p_message, p_bill);
	PERFORM payout_attempt_add(b, p_exchange, p_method, p_path,
		p_http_status, p_code, p_message, p_outcome, p_latency_ms,
		p_request_body, p_response_body, m.state, m.applied,
		concat_ws('; ', p_why, m.note));
	RETURN m.state;
END
$$;

-- A callback the daemon verified and decrypted: the bill moves to p_to_state
-- if that is forward of where it is; a repeat or an out-of-order one
-- changes nothing (it is still logged as an attempt).
CREATE FUNCTION api.payout_callback(p_out_bill_no text, p_to_state text,
	p_bill jsonb, p_event_id text, p_body text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_payout bigint;
	v_id bigint;
	b transfer_bills;
	m record;
	v_term boolean;
BEGIN
	PERFORM require_role('loandesk_daemon');
	IF p_to_state IS NULL OR p_to_state NOT IN ('accepted', 'processing',
			'wait_user_confirm', 'transferring', 'cancelling', 'success',
			'fail', 'cancelled') THEN
		RAISE EXCEPTION 'a callback reports a WeChat Pay state, not %',
			coalesce(p_to_state, 'null') USING ERRCODE = '22023';
	END IF;
	SELECT t.id, t.payout_id INTO v_id, v_payout FROM transfer_bills t
	WHERE t.out_bill_no = p_out_bill_no;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no bill % here', coalesce(p_out_bill_no, 'null')
			USING ERRCODE = 'P0002';
	END IF;
	PERFORM payout_lock(v_payout);
	SELECT * INTO b FROM transfer_bills WHERE id = v_id FOR NO KEY UPDATE;
	SELECT terminal INTO v_term FROM payout_bill_states WHERE state = p_to_state;
	IF b.state = p_to_state THEN
		PERFORM payout_attempt_add(b, 'callback', 'POST', NULL, NULL,
			upper(p_to_state), p_event_id, CASE p_to_state
			WHEN 'success' THEN 'success' WHEN 'fail' THEN 'fail'
			WHEN 'cancelled' THEN 'fail' ELSE 'pending' END, NULL, NULL,
			p_body, b.state, false, 'repeat: changes nothing');
		RETURN b.state;
	END IF;
	SELECT * INTO m FROM payout_bill_move(b, 'callback', NULL, p_to_state,
		true, CASE WHEN v_term THEN 'none' ELSE 'query' END,
		CASE WHEN p_to_state = 'wait_user_confirm' THEN 30000 ELSE 1000 END,
		false, NULL, false, false, upper(p_to_state), NULL, p_bill);
	PERFORM payout_attempt_add(b, 'callback', 'POST', NULL, NULL,
		upper(p_to_state), p_event_id, CASE p_to_state
		WHEN 'success' THEN 'success' WHEN 'fail' THEN 'fail'
		WHEN 'cancelled' THEN 'fail' ELSE 'pending' END, NULL, NULL,
		p_body, m.state, m.applied, m.note);
	RETURN m.state;
END
$$;

-- 5. Balance and heartbeat -------------------------------------------------------

-- A reading of the operating account: stored; an alert when it falls below
-- balance_alert_fen; the channel paused when it cannot cover the creates
-- due now, and resumed (its held bills released) when it covers them and
-- the bills held for the balance.  Returns 'open' or 'paused'.
CREATE FUNCTION api.payout_balance_record(p_worker text, p_account_type text,
	p_available_fen bigint, p_pending_fen bigint) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	ctl payout_control;
	v_alert bigint;
	v_due bigint;
	v_held bigint;
BEGIN
	PERFORM require_role('loandesk_daemon');
	IF p_available_fen IS NULL OR p_available_fen < 0
			OR p_available_fen > 10000000000000 OR p_pending_fen < 0 THEN
		RAISE EXCEPTION 'balance % fen is not a balance', p_available_fen
			USING ERRCODE = '22023';
	END IF;
	INSERT INTO payout_balance_readings (account_type, available_fen,
		pending_fen, worker)
	VALUES (coalesce(p_account_type, 'OPERATION'), p_available_fen,
		p_pending_fen, coalesce(p_worker, session_user));
	v_alert := payout_setting_int('balance_alert_fen');
	IF p_available_fen < v_alert AND NOT EXISTS (SELECT 1 FROM payout_alerts
			WHERE kind = 'balance_low' AND cleared_at IS NULL) THEN
		INSERT INTO payout_alerts (kind, detail) VALUES ('balance_low',
			jsonb_build_object('available_fen', p_available_fen,
				'alert_fen', v_alert));
		PERFORM audit_record('payouts.balance_low', 'payouts', 'channel',
			jsonb_build_object('available_fen', p_available_fen,
				'alert_fen', v_alert));
		PERFORM pg_notify('payout_control', 'balance_low');
	ELSIF p_available_fen >= v_alert THEN
		UPDATE payout_alerts SET cleared_at = now()
		WHERE kind = 'balance_low' AND cleared_at IS NULL;
	END IF;
	SELECT * INTO ctl FROM payout_control FOR NO KEY UPDATE;
	SELECT coalesce(sum(t.amount_fen) FILTER (WHERE t.state = 'pending'
			AND t.next_action = 'create' AND t.next_attempt_at <= payout_now()
			AND p.state IN ('approved', 'sending')
			AND p.cancel_requested_at IS NULL), 0),
		coalesce(sum(t.amount_fen) FILTER (WHERE t.state = 'held'
			AND t.hold_reason = 'channel_balance'), 0)
	INTO v_due, v_held
	FROM transfer_bills t JOIN payouts p ON p.id = t.payout_id
	WHERE t.state IN ('pending', 'held');
	IF ctl.channel_paused AND p_available_fen >= v_due + v_held THEN
		PERFORM payout_channel_resume(p_available_fen);
		RETURN 'open';
	END IF;
	IF NOT ctl.channel_paused AND p_available_fen < v_due THEN
		PERFORM payout_channel_pause('BALANCE_BELOW_DUE', format(
			'%s fen available, %s fen due', p_available_fen, v_due));
		RETURN 'paused';
	END IF;
	RETURN CASE WHEN ctl.channel_paused THEN 'paused' ELSE 'open' END;
END
$$;

CREATE FUNCTION api.payout_heartbeat(p_worker text, p_info jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
	PERFORM require_role('loandesk_daemon');
	IF p_worker IS NULL OR p_worker !~ '^[A-Za-z0-9_.:@-]{1,100}$' THEN
		RAISE EXCEPTION 'worker name "%" is not 1 to 100 of A-Z a-z 0-9 _ . : @ -',
			coalesce(p_worker, '') USING ERRCODE = '22023';
	END IF;
	IF p_info IS NOT NULL AND (jsonb_typeof(p_info) <> 'object'
			OR length(p_info::text) > 4000) THEN
		RAISE EXCEPTION 'heartbeat info is a JSON object of at most 4000 characters'
			USING ERRCODE = '22023';
	END IF;
	INSERT INTO payout_daemons (worker, login, info)
	VALUES (p_worker, session_user, coalesce(p_info, '{}'))
	ON CONFLICT (worker) DO UPDATE SET seen_at = now(),
		login = EXCLUDED.login, info = EXCLUDED.info;
END
$$;

-- 6. Ownership and grants (0009) ----------------------------------------------

REVOKE EXECUTE ON FUNCTION payout_day_used(date, bigint),
	payout_wechat_time(text),
	payout_channel_pause(text, text), payout_channel_resume(bigint),
	payout_body_check(transfer_bills, text, text, text),
	payout_bill_move(transfer_bills, text, text, text, boolean, text, bigint,
		boolean, text, boolean, boolean, text, text, jsonb),
	payout_attempt_add(transfer_bills, text, text, text, integer, text,
		text, text, integer, text, text, text, boolean, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION payout_day_used(date, bigint),
	payout_wechat_time(text),
	payout_channel_pause(text, text), payout_channel_resume(bigint),
	payout_body_check(transfer_bills, text, text, text),
	payout_bill_move(transfer_bills, text, text, text, boolean, text, bigint,
		boolean, text, boolean, boolean, text, text, jsonb),
	payout_attempt_add(transfer_bills, text, text, text, integer, text,
		text, text, integer, text, text, text, boolean, text)
	TO loandesk_api;

GRANT CREATE ON SCHEMA public, api TO loandesk_api;
ALTER FUNCTION api.payout_claim(text, integer) OWNER TO loandesk_api;
ALTER FUNCTION api.payout_bill_sending(bigint, text, text, text, text)
	OWNER TO loandesk_api;
ALTER FUNCTION api.payout_bill_record(bigint, text, text, text, text, integer,
	text, text, text, integer, text, text, boolean, text, text, bigint,
	boolean, text, boolean, boolean, text, jsonb) OWNER TO loandesk_api;
ALTER FUNCTION api.payout_callback(text, text, jsonb, text, text)
	OWNER TO loandesk_api;
ALTER FUNCTION api.payout_balance_record(text, text, bigint, bigint)
	OWNER TO loandesk_api;
ALTER FUNCTION api.payout_heartbeat(text, jsonb) OWNER TO loandesk_api;
REVOKE CREATE ON SCHEMA public, api FROM loandesk_api;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA api FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.payout_claim(text, integer),
	api.payout_bill_sending(bigint, text, text, text, text),
	api.payout_bill_record(bigint, text, text, text, text, integer, text,
		text, text, integer, text, text, boolean, text, text, bigint,
		boolean, text, boolean, boolean, text, jsonb),
	api.payout_callback(text, text, jsonb, text, text),
	api.payout_balance_record(text, text, bigint, bigint),
	api.payout_heartbeat(text, jsonb)
	TO loandesk_daemon;
