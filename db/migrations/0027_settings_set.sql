-- The figures the payout and decision functions decide from, written by an
-- administrator through one audited function (what `loandesk settings
-- apply` calls with the configuration's [payout] and [risk] values), no
-- longer by UPDATE as the table's owner:
--
--   per_transfer_max_fen, per_user_daily_max_fen, merchant_daily_max_fen,
--   min_transfer_fen      whole fen, 1 to 10^13 (LD_FEN_MAX)
--   four_eyes_threshold_fen, balance_alert_fen
--                         whole fen, 0 to 10^13
--   payout_lease_s        whole seconds, 1 to 86400
--   apr_cap_bps           whole basis points, 1 to 3600 (the 36% line
--                         loan_apr_cap_check holds whatever the row says)
--   out_bill_prefix       1 to 4 letters, as payout_out_bill_no wants
--
-- and together: the largest bill, min(per_transfer_max_fen,
-- per_user_daily_max_fen, merchant_daily_max_fen), at least twice
-- min_transfer_fen (payout_split's bound, docs/payouts.md "Splitting and
-- numbers"); out_bill_prefix unchanged while a payout has bills that are
-- not final (approved, sending, held or failed), whose retries and
-- batches would be numbered under another prefix.  All keys of one call
-- are checked before any is written, and the rows are locked, so two
-- calls take turns and each check sees the figures it leaves.  Every key
-- that changes gets its audit row (old and new value, the caller's note)
-- and a notification on channel settings naming it; a key given with the
-- value it has changes nothing and writes nothing.

-- It runs as loandesk_settings, a NOLOGIN role that owns it and nothing
-- else: loandesk_api (0009), which every other function runs as, writes
-- no setting, so a flaw in one of those cannot move a limit or the cap.
-- loandesk_settings reads and writes the settings, reads which payouts
-- are open, and writes audit rows through audit_record.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles
			WHERE rolname = 'loandesk_settings') THEN
		CREATE ROLE loandesk_settings NOLOGIN;
	END IF;
	IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
	THEN
		EXECUTE format('GRANT loandesk_settings TO %I', current_user);
	END IF;
END
$$;

GRANT USAGE ON SCHEMA public, api TO loandesk_settings;
GRANT SELECT, INSERT (key, value, updated_at, updated_by),
	UPDATE (value, updated_at, updated_by) ON settings TO loandesk_settings;
GRANT SELECT (id, state) ON payouts TO loandesk_settings;
GRANT EXECUTE ON FUNCTION require_role(text[]),
	audit_record(text, text, text, jsonb),
	payout_text(text, text, boolean) TO loandesk_settings;

CREATE FUNCTION api.settings_set(p_values jsonb, p_note text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	c_keys CONSTANT text[] := ARRAY['apr_cap_bps', 'balance_alert_fen',
		'four_eyes_threshold_fen', 'merchant_daily_max_fen',
		'min_transfer_fen', 'out_bill_prefix', 'payout_lease_s',
		'per_transfer_max_fen', 'per_user_daily_max_fen'];
	v_note text;
	k text;
	v jsonb;
	v_old jsonb;
	v_lo bigint;
	v_hi bigint;
	v_new jsonb;
	v_largest bigint;
	v_min bigint;
	v_open record;
	v_changed jsonb := '[]';
	v_unchanged text[] := '{}';
BEGIN
	PERFORM require_role('loandesk_admin');
	v_note := payout_text(p_note, 'note', false);
	IF p_values IS NULL OR jsonb_typeof(p_values) <> 'object'
			OR p_values = '{}' THEN
		RAISE EXCEPTION 'settings must be a JSON object of keys and values'
			USING ERRCODE = '22023';
	END IF;
	PERFORM 1 FROM settings WHERE key = ANY (c_keys) ORDER BY key FOR UPDATE;
	SELECT coalesce(jsonb_object_agg(key, value), '{}') INTO v_new
	FROM settings WHERE key = ANY (c_keys);

	FOR k, v IN SELECT e.key, e.value FROM jsonb_each(p_values) e
			ORDER BY e.key LOOP
		IF NOT k = ANY (c_keys) THEN
			RAISE EXCEPTION 'setting "%" is not one api.settings_set changes (%)',
				k, array_to_string(c_keys, ', ') USING ERRCODE = '22023';
		END IF;
		IF k = 'out_bill_prefix' THEN
			IF jsonb_typeof(v) <> 'string'
					OR (v #>> '{}') !~ '^[A-Za-z]{1,4}$' THEN
				RAISE EXCEPTION 'setting out_bill_prefix: % is not 1 to 4 letters',
					v USING ERRCODE = '22023';
			END IF;
		ELSE
			v_lo := CASE WHEN k IN ('four_eyes_threshold_fen',
				'balance_alert_fen') THEN 0 ELSE 1 END;
			v_hi := CASE k WHEN 'payout_lease_s' THEN 86400
				WHEN 'apr_cap_bps' THEN 3600 ELSE 10000000000000 END;
			IF jsonb_typeof(v) <> 'number' OR (v #>> '{}') !~ '^[0-9]{1,14}$'
					OR (v #>> '{}')::bigint NOT BETWEEN v_lo AND v_hi THEN
				RAISE EXCEPTION 'setting %: % is not a whole number from % to %',
					k, v, v_lo, v_hi USING ERRCODE = '22023';
			END IF;
			v := to_jsonb((v #>> '{}')::bigint);
		END IF;
		v_new := v_new || jsonb_build_object(k, v);
	END LOOP;

	v_largest := least((v_new->>'per_transfer_max_fen')::bigint,
		(v_new->>'per_user_daily_max_fen')::bigint,
		(v_new->>'merchant_daily_max_fen')::bigint);
	v_min := (v_new->>'min_transfer_fen')::bigint;
	IF v_largest < 2 * v_min THEN
		RAISE EXCEPTION 'the largest bill, min(per_transfer_max_fen %, per_user_daily_max_fen %, merchant_daily_max_fen %) = %, must be at least twice min_transfer_fen %',
			v_new->>'per_transfer_max_fen', v_new->>'per_user_daily_max_fen',
			v_new->>'merchant_daily_max_fen', v_largest, v_min
			USING ERRCODE = '22023';
	END IF;
	IF (v_new->'out_bill_prefix') IS DISTINCT FROM (SELECT value FROM settings
			WHERE key = 'out_bill_prefix') THEN
		SELECT id, state INTO v_open FROM payouts
		WHERE state IN ('approved', 'sending', 'held', 'failed')
		ORDER BY id LIMIT 1;
		IF FOUND THEN
			RAISE EXCEPTION 'out_bill_prefix stays % while payouts have bills that are not final (payout % is %)',
				(SELECT value FROM settings WHERE key = 'out_bill_prefix'),
				v_open.id, v_open.state USING ERRCODE = '55000';
		END IF;
	END IF;

	FOR k IN SELECT e.key FROM jsonb_each(p_values) e ORDER BY e.key LOOP
		v := v_new->k;
		SELECT value INTO v_old FROM settings WHERE key = k;
		IF v_old IS NOT DISTINCT FROM v THEN
			v_unchanged := v_unchanged || k;
			CONTINUE;
		END IF;
		INSERT INTO settings (key, value, updated_at, updated_by)
		VALUES (k, v, now(), session_user)
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,
			updated_at = EXCLUDED.updated_at,
			updated_by = EXCLUDED.updated_by;
		PERFORM audit_record('settings.set', 'setting', k,
			jsonb_build_object('old', v_old, 'new', v, 'note', v_note));
		PERFORM pg_notify('settings', k);
		v_changed := v_changed || jsonb_build_object('key', k, 'old', v_old,
			'new', v);
	END LOOP;
	RETURN jsonb_build_object('changed', v_changed,
		'unchanged', to_jsonb(v_unchanged));
END
$$;

REVOKE EXECUTE ON FUNCTION api.settings_set(jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.settings_set(jsonb, text) TO loandesk_admin;
GRANT CREATE ON SCHEMA api TO loandesk_settings;
ALTER FUNCTION api.settings_set(jsonb, text) OWNER TO loandesk_settings;
REVOKE CREATE ON SCHEMA api FROM loandesk_settings;
