-- Daily reconciliation: WeChat Pay's fund-flow bill of the operating
-- account for a Beijing day against the bills that succeeded here.  The
-- caller (loandesk reconcile, or the daemon's reconciler) fetches the file,
-- checks its hash, parses it (amounts from yuan text to fen, exactly) and
-- passes the lines of the transfers it paid; the matching, the mismatch
-- lines, one finance review per mismatch, the counts and the audit row are
-- one transaction here.  A file that fails its hash check is recorded as a
-- refused run and nothing is matched.

-- p_lines: a JSON array of the transfer lines of the file, each
--   {"wechat_no": 微信支付业务单号, "flow_no": 资金流水单号,
--    "out_no": 业务凭证号 (our out_bill_no), "direction": "out" | "in",
--    "amount_fen": 收支金额 in fen, "booked_at": 记账时间, ...}
-- Lines going out are matched by out_no, else by wechat_no, against every
-- bill: the bill succeeded here (same amount: matched; another amount:
-- amount_differs) or not (paid_there_not_here, also for a number that is no
-- bill of ours).  A bill that succeeded here on that day (WeChat Pay's time
-- of success, else ours) with no line is succeeded_here_not_there.
CREATE FUNCTION api.reconcile_run(p_bill_date date, p_account_type text,
	p_file_sha1 text, p_lines jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_run bigint;
	v_lines integer;
	v_matched integer := 0;
	v_there integer := 0;
	v_here integer := 0;
	v_amount integer := 0;
	r record;
	v_line bigint;
	v_review bigint;
	v_kind text;
BEGIN
	PERFORM require_role('loandesk_finance', 'loandesk_daemon');
	IF p_bill_date IS NULL OR p_bill_date >= payout_beijing_day(payout_now()) THEN
		RAISE EXCEPTION 'bill date % is not a past Beijing day',
			coalesce(p_bill_date::text, 'null') USING ERRCODE = '22023';
	END IF;
	IF p_account_type IS NULL OR p_account_type !~ '^[A-Z_]{1,32}$' THEN
		RAISE EXCEPTION 'account type "%" is not an account type',
			coalesce(p_account_type, '') USING ERRCODE = '22023';
	END IF;
	IF p_file_sha1 IS NULL OR p_file_sha1 !~ '^[0-9a-f]{40}$' THEN
		RAISE EXCEPTION 'the file''s SHA1 (40 hex digits) is required'
			USING ERRCODE = '22023';
	END IF;
	IF p_lines IS NULL OR jsonb_typeof(p_lines) <> 'array' THEN
		RAISE EXCEPTION 'lines must be a JSON array' USING ERRCODE = '22023';
	END IF;
	v_lines := jsonb_array_length(p_lines);
	IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_lines) l
			WHERE jsonb_typeof(l) <> 'object'
			OR l->>'direction' IS NULL OR l->>'direction' NOT IN ('out', 'in')
			OR jsonb_typeof(l->'amount_fen') <> 'number'
			OR (l->>'amount_fen') !~ '^[0-9]{1,14}$'
			OR (l->>'out_no' IS NULL AND l->>'wechat_no' IS NULL)) THEN
		RAISE EXCEPTION 'every line needs direction out or in, amount_fen as whole fen, and out_no or wechat_no'
			USING ERRCODE = '22023';
	END IF;
	INSERT INTO reconciliation_runs (bill_date, account_type, state, run_by,
		file_sha1, lines)
	VALUES (p_bill_date, p_account_type, 'done', session_user, p_file_sha1,
		v_lines)
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
		INSERT INTO reconciliation_lines (run_id, kind, bill_id, out_bill_no,
			wechat_no, our_amount_fen, their_amount_fen, line)
		VALUES (v_run, v_kind, r.bill_id, coalesce(r.out_bill_no, r.out_no),
			coalesce(r.wechat_no, r.transfer_bill_no),
			CASE WHEN r.state = 'success' OR r.state = 'absent'
				THEN r.amount_fen END, r.amount, r.line)
		RETURNING id INTO v_line;
		INSERT INTO reviews (kind, reconciliation_line_id, payout_id, reason,
			note)
		VALUES ('reconciliation', v_line, r.payout_id, upper(v_kind),
			format('%s %s: %s', p_bill_date, coalesce(r.out_bill_no,
			r.out_no, r.wechat_no), CASE v_kind
			WHEN 'succeeded_here_not_there' THEN format(
				'succeeded here (%s fen), not in WeChat Pay''s fund flow',
				r.amount_fen)
			WHEN 'paid_there_not_here' THEN format(
				'WeChat Pay paid %s fen; here the bill is %s', r.amount,
				coalesce(r.state, 'unknown to us'))
			ELSE format('WeChat Pay paid %s fen, the bill is %s fen',
				r.amount, r.amount_fen) END))
		RETURNING id INTO v_review;
		PERFORM pg_notify('reviews', v_review::text);
	END LOOP;
	UPDATE reconciliation_runs SET matched = v_matched,
		paid_there_not_here = v_there, succeeded_here_not_there = v_here,
		amount_differs = v_amount
	WHERE id = v_run;
	PERFORM audit_record('reconcile.run', 'reconciliation', v_run::text,
		jsonb_build_object('bill_date', p_bill_date,
			'account_type', p_account_type, 'file_sha1', p_file_sha1,
			'lines', v_lines, 'matched', v_matched,
			'paid_there_not_here', v_there,
			'succeeded_here_not_there', v_here,
			'amount_differs', v_amount));
	RETURN jsonb_build_object('run_id', v_run, 'lines', v_lines,
		'matched', v_matched, 'paid_there_not_here', v_there,
		'succeeded_here_not_there', v_here, 'amount_differs', v_amount);
END
$$;

-- A file that could not be trusted (its hash differs, it cannot be read):
-- the run is recorded as refused, with why, and nothing is matched.
CREATE FUNCTION api.reconcile_refuse(p_bill_date date, p_account_type text,
	p_reason text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_run bigint;
	v_reason text;
BEGIN
	PERFORM require_role('loandesk_finance', 'loandesk_daemon');
	v_reason := payout_text(p_reason, 'reason', true);
	IF p_bill_date IS NULL OR p_account_type IS NULL
			OR p_account_type !~ '^[A-Z_]{1,32}$' THEN
		RAISE EXCEPTION 'a bill date and an account type are required'
			USING ERRCODE = '22023';
	END IF;
	INSERT INTO reconciliation_runs (bill_date, account_type, state, run_by,
		refusal)
	VALUES (p_bill_date, p_account_type, 'refused', session_user, v_reason)
	RETURNING id INTO v_run;
	PERFORM audit_record('reconcile.refuse', 'reconciliation', v_run::text,
		jsonb_build_object('bill_date', p_bill_date,
			'account_type', p_account_type, 'reason', v_reason));
	RETURN v_run;
END
$$;

GRANT CREATE ON SCHEMA public, api TO loandesk_api;
ALTER FUNCTION api.reconcile_run(date, text, text, jsonb) OWNER TO loandesk_api;
ALTER FUNCTION api.reconcile_refuse(date, text, text) OWNER TO loandesk_api;
REVOKE CREATE ON SCHEMA public, api FROM loandesk_api;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA api FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.reconcile_run(date, text, text, jsonb),
	api.reconcile_refuse(date, text, text)
	TO loandesk_finance, loandesk_daemon;
