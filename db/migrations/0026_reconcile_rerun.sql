-- Reconciling a day again, the day so far, and a day without a statement.
--
-- 1. A new run of a day supersedes the one before it.  WeChat Pay's file
--    of a day does not change, but what we know of our bills does (a bill
--    whose answer was lost is found paid by a query the next hour), and a
--    run of the day so far (below) is followed by the whole day's.  Each
--    run matches the whole file again and its counts are the day's; the
--    earlier run is marked superseded and the new one names it.  A person
--    may already be working a mismatch: a review whose mismatch is found
--    again, the same kind, numbers and amounts, is carried to the new line
--    (no second review for one difference); one whose mismatch is gone is
--    closed as not_found_again; a new mismatch opens a review.  Runs of
--    one day and account take their turn (an advisory lock), so two
--    operators running it at once make two runs one after the other.
--    A refused run (a file whose SHA1 or format was wrong) matches nothing
--    and supersedes nothing: the day can be run again.
-- 2. Today may be reconciled: WeChat Pay makes a day's bill from 09:00
--    the next day and says STATEMENT_CREATING before, but a simulator (or
--    a test) serving the day so far gets a run of it, which the next run
--    of the day supersedes.  Only a day after today is refused.
-- 3. A day WeChat Pay has no statement for (NO_STATEMENT_EXIST: nothing
--    moved) is reconciled with no lines and no file: p_file_sha1 NULL with
--    an empty array.  Every bill paid that day is then a mismatch.
-- 4. The answer lists each mismatch with its review, so that the caller
--    (the daemon's role reads no reconciliation table) can show them.

ALTER TABLE reconciliation_runs
	DROP CONSTRAINT reconciliation_runs_state_check,
	ADD CONSTRAINT reconciliation_runs_state_check
		CHECK (state IN ('done', 'refused', 'superseded')),
	ADD COLUMN supersedes bigint UNIQUE REFERENCES reconciliation_runs (id),
	ADD CONSTRAINT reconciliation_runs_file
		CHECK (state = 'refused' OR file_sha1 IS NOT NULL OR lines = 0);

-- Runs made before this migration: the latest done run of a day stands.
UPDATE reconciliation_runs r SET state = 'superseded'
WHERE state = 'done' AND EXISTS (SELECT 1 FROM reconciliation_runs n
	WHERE n.bill_date = r.bill_date AND n.account_type = r.account_type
		AND n.state = 'done' AND n.id > r.id);
CREATE UNIQUE INDEX reconciliation_runs_one_done
	ON reconciliation_runs (bill_date, account_type) WHERE state = 'done';

-- p_lines: a JSON array of the lines of the file, each
--   {"wechat_no": 微信支付业务单号, "flow_no": 资金流水单号,
--    "out_no": 业务凭证号 (our out_bill_no), "direction": "out" | "in",
--    "amount_fen": 收支金额 in fen, "booked_at": 记账时间, ...}
-- Lines going out are matched by out_no, else by wechat_no, against every
-- bill: the bill succeeded here (same amount: matched; another amount:
-- amount_differs) or not (paid_there_not_here, also for a number that is no
-- bill of ours).  A bill that succeeded here on that day (WeChat Pay's time
-- of success, else ours) with no line is succeeded_here_not_there.
CREATE OR REPLACE FUNCTION api.reconcile_run(p_bill_date date,
	p_account_type text, p_file_sha1 text, p_lines jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_today date;
	v_prev bigint;
	v_run bigint;
	v_lines integer;
	v_matched integer := 0;
	v_there integer := 0;
	v_here integer := 0;
	v_amount integer := 0;
	v_opened bigint[] := '{}';
	v_carried bigint[] := '{}';
	v_closed bigint[] := '{}';
	v_mismatches jsonb := '[]';
	r record;
	v_line bigint;
	v_review bigint;
	v_kind text;
	v_our bigint;
	v_out_no text;
	v_wechat_no text;
BEGIN
	PERFORM require_role('loandesk_finance', 'loandesk_daemon');
	v_today := payout_beijing_day(payout_now());
	IF p_bill_date IS NULL OR p_bill_date > v_today THEN
		RAISE EXCEPTION 'bill date % is after today (% in Beijing)',
			coalesce(p_bill_date::text, 'null'), v_today
			USING ERRCODE = '22023';
	END IF;
	IF p_account_type IS NULL OR p_account_type !~ '^[A-Z_]{1,32}$' THEN
		RAISE EXCEPTION 'account type "%" is not an account type',
			coalesce(p_account_type, '') USING ERRCODE = '22023';
	END IF;
	IF p_lines IS NULL OR jsonb_typeof(p_lines) <> 'array' THEN
		RAISE EXCEPTION 'lines must be a JSON array' USING ERRCODE = '22023';
	END IF;
	v_lines := jsonb_array_length(p_lines);
	IF p_file_sha1 IS NULL AND v_lines <> 0 THEN
		RAISE EXCEPTION 'lines of a file need the file''s SHA1 (40 hex digits); only a day without a statement has neither'
			USING ERRCODE = '22023';
	END IF;
	IF p_file_sha1 !~ '^[0-9a-f]{40}$' THEN
		RAISE EXCEPTION 'the file''s SHA1 "%" is not 40 lower-case hex digits',
			p_file_sha1 USING ERRCODE = '22023';
	END IF;
	IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_lines) l
			WHERE jsonb_typeof(l) <> 'object'
			OR l->>'direction' IS NULL OR l->>'direction' NOT IN ('out', 'in')
			OR jsonb_typeof(l->'amount_fen') <> 'number'
			OR (l->>'amount_fen') !~ '^[0-9]{1,14}$'
			OR (l->>'out_no' IS NULL AND l->>'wechat_no' IS NULL)) THEN
		RAISE EXCEPTION 'every line needs direction out or in, amount_fen as whole fen, and out_no or wechat_no'
			USING ERRCODE = '22023';
	END IF;

	-- One run of a day and account at a time; the second supersedes.
	PERFORM pg_advisory_xact_lock(hashtext('reconcile ' || p_account_type),
		p_bill_date - date '2000-01-01');
	SELECT id INTO v_prev FROM reconciliation_runs
	WHERE bill_date = p_bill_date AND account_type = p_account_type
		AND state = 'done'
	FOR UPDATE;
	IF v_prev IS NOT NULL THEN
		UPDATE reconciliation_runs SET state = 'superseded' WHERE id = v_prev;
	END IF;
	INSERT INTO reconciliation_runs (bill_date, account_type, state, run_by,
		file_sha1, lines, supersedes)
	VALUES (p_bill_date, p_account_type, 'done', session_user, p_file_sha1,
		v_lines, v_prev)
	RETURNING id INTO v_run;

	FOR r IN
		WITH theirs AS MATERIALIZED (
			SELECT l, l->>'out_no' AS out_no, l->>'wechat_no' AS wechat_no,
				(l->>'amount_fen')::bigint AS amount
			FROM jsonb_array_elements(p_lines) l
			WHERE l->>'direction' = 'out'
		)
		SELECT th.l AS line, th.out_no, th.wechat_no, th.amount,
			b.id AS bill_id, b.payout_id, b.out_bill_no, b.amount_fen,
			b.state, b.transfer_bill_no
		FROM theirs th
		LEFT JOIN LATERAL (
			SELECT * FROM transfer_bills t
			WHERE (th.out_no IS NOT NULL AND t.out_bill_no = th.out_no)
				OR (th.out_no IS NULL AND t.transfer_bill_no = th.wechat_no)
			LIMIT 1
		) b ON true
		UNION ALL
		SELECT NULL, NULL, NULL, NULL, t.id, t.payout_id, t.out_bill_no,
			t.amount_fen, 'absent', t.transfer_bill_no
		FROM transfer_bills t
		WHERE t.state = 'success'
			AND payout_beijing_day(coalesce(t.wechat_updated_at,
				t.succeeded_at)) = p_bill_date
			AND NOT EXISTS (SELECT 1 FROM theirs th
				WHERE th.out_no = t.out_bill_no)
			AND NOT EXISTS (SELECT 1 FROM theirs th
				WHERE th.out_no IS NULL
				AND th.wechat_no = t.transfer_bill_no)
	LOOP
		v_kind := CASE
			WHEN r.state = 'absent' THEN 'succeeded_here_not_there'
			WHEN r.bill_id IS NULL OR r.state <> 'success'
				THEN 'paid_there_not_here'
			WHEN r.amount <> r.amount_fen THEN 'amount_differs'
		END;
		IF v_kind IS NULL THEN
			v_matched := v_matched + 1;
			CONTINUE;
		END IF;
		CASE v_kind
		WHEN 'succeeded_here_not_there' THEN v_here := v_here + 1;
		WHEN 'paid_there_not_here' THEN v_there := v_there + 1;
		ELSE v_amount := v_amount + 1;
		END CASE;
		v_our := CASE WHEN r.state IN ('success', 'absent')
			THEN r.amount_fen END;
		v_out_no := coalesce(r.out_bill_no, r.out_no);
		v_wechat_no := coalesce(r.wechat_no, r.transfer_bill_no);
		INSERT INTO reconciliation_lines (run_id, kind, bill_id, out_bill_no,
			wechat_no, our_amount_fen, their_amount_fen, line)
		VALUES (v_run, v_kind, r.bill_id, v_out_no, v_wechat_no, v_our,
			r.amount, r.line)
		RETURNING id INTO v_line;

		-- The same difference the run before found: its review goes on.
		v_review := NULL;
		IF v_prev IS NOT NULL THEN
			SELECT rv.id INTO v_review
			FROM reviews rv
			JOIN reconciliation_lines l ON l.id = rv.reconciliation_line_id
			WHERE rv.kind = 'reconciliation' AND rv.state <> 'closed'
				AND l.run_id = v_prev AND l.kind = v_kind
				AND l.out_bill_no IS NOT DISTINCT FROM v_out_no
				AND l.wechat_no IS NOT DISTINCT FROM v_wechat_no
				AND l.our_amount_fen IS NOT DISTINCT FROM v_our
				AND l.their_amount_fen IS NOT DISTINCT FROM r.amount
				AND rv.id <> ALL (v_carried)
			ORDER BY rv.id LIMIT 1
			FOR UPDATE OF rv;
		END IF;
		IF v_review IS NOT NULL THEN
			UPDATE reviews SET reconciliation_line_id = v_line,
				note = left(coalesce(note || E'\n', '') ||
					format('found again by reconciliation run %s',
					v_run), 8000)
			WHERE id = v_review;
			v_carried := v_carried || v_review;
		ELSE
			INSERT INTO reviews (kind, reconciliation_line_id, payout_id,
				reason, note)
			VALUES ('reconciliation', v_line, r.payout_id, upper(v_kind),
				format('%s %s: %s', p_bill_date, coalesce(v_out_no,
				v_wechat_no), CASE v_kind
				WHEN 'succeeded_here_not_there' THEN format(
					'succeeded here (%s fen), not in WeChat Pay''s fund flow',
					r.amount_fen)
				WHEN 'paid_there_not_here' THEN format(
					'WeChat Pay paid %s fen; here the bill is %s', r.amount,
					coalesce(r.state, 'unknown to us'))
				ELSE format('WeChat Pay paid %s fen, the bill is %s fen',
					r.amount, r.amount_fen) END))
			RETURNING id INTO v_review;
			v_opened := v_opened || v_review;
		END IF;
		PERFORM pg_notify('reviews', v_review::text);
		v_mismatches := v_mismatches || jsonb_build_object('kind', v_kind,
			'bill_id', r.bill_id, 'payout_id', r.payout_id,
			'out_bill_no', v_out_no, 'wechat_no', v_wechat_no,
			'our_amount_fen', v_our, 'their_amount_fen', r.amount,
			'review_id', v_review);
	END LOOP;

	-- What the run before found and this one did not is settled.
	IF v_prev IS NOT NULL THEN
		WITH c AS (
			UPDATE reviews rv SET state = 'closed', closed_at = now(),
				resolution = 'not_found_again',
				note = left(coalesce(rv.note || E'\n', '') ||
					format('not found again by reconciliation run %s',
					v_run), 8000)
			FROM reconciliation_lines l
			WHERE l.id = rv.reconciliation_line_id AND l.run_id = v_prev
				AND rv.kind = 'reconciliation' AND rv.state <> 'closed'
			RETURNING rv.id
		)
		SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_closed
		FROM c;
		PERFORM pg_notify('reviews', c::text) FROM unnest(v_closed) c;
	END IF;

	UPDATE reconciliation_runs SET matched = v_matched,
		paid_there_not_here = v_there, succeeded_here_not_there = v_here,
		amount_differs = v_amount
	WHERE id = v_run;
	PERFORM audit_record('reconcile.run', 'reconciliation', v_run::text,
		jsonb_build_object('bill_date', p_bill_date,
			'account_type', p_account_type, 'file_sha1', p_file_sha1,
			'supersedes', v_prev, 'lines', v_lines, 'matched', v_matched,
			'paid_there_not_here', v_there,
			'succeeded_here_not_there', v_here,
			'amount_differs', v_amount, 'reviews_opened', v_opened,
			'reviews_carried', v_carried, 'reviews_closed', v_closed));
	RETURN jsonb_build_object('run_id', v_run, 'supersedes', v_prev,
		'lines', v_lines, 'matched', v_matched,
		'paid_there_not_here', v_there,
		'succeeded_here_not_there', v_here, 'amount_differs', v_amount,
		'reviews_opened', cardinality(v_opened),
		'reviews_carried', cardinality(v_carried),
		'reviews_closed', cardinality(v_closed),
		'mismatches', v_mismatches);
END
$$;
