-- Personal data, when a person truly needs it.
--
-- api.pii_reveal(application, field, reason) gives on-call and admin the
-- sealed value of one field of the application's applicant: each call
-- writes an audit row with the reason, and an operator gets at most
-- settings.pii_reveal_limit of them in settings.pii_reveal_window_s
-- seconds.  It returns the value as stored (AES-256-GCM, src/common/
-- ld_pii.h) and never plaintext, which the database cannot produce: the
-- key lives outside it, with the console and commands that open the value
-- for the one screen or line that needs it (`loandesk pii reveal`).  So
-- the database alone, or a dump of it, reveals nothing, and the key file
-- alone reveals nothing either: an operator has no SELECT on the sealed
-- columns, and reaches one value at a time through this function.
--
-- It runs as loandesk_pii, a NOLOGIN role that owns it and nothing else,
-- because loandesk_api (0009) reads no sealed data.  loandesk_pii reads
-- the sealed columns, the settings, and of the audit log only who revealed
-- what when (for the limit); it writes audit rows through audit_record.
--
-- `loandesk keys rotate` re-seals the fields under a new key and rebuilds
-- the blind indexes with a new index key, batch by batch; applicants.
-- bidx_key_id records which index key a row's blind indexes are under (the
-- sealed values carry their own key id), so a rotation stopped halfway
-- knows where to go on.

INSERT INTO settings (key, value) VALUES
	('pii_reveal_limit', '5'),
	('pii_reveal_window_s', '3600');

ALTER TABLE applicants ADD COLUMN bidx_key_id bytea
	CHECK (bidx_key_id IS NULL OR length(bidx_key_id) = 4);

-- The limit counts one operator's recent reveals.
CREATE INDEX audit_log_pii_reveals ON audit_log (actor, at)
	WHERE action = 'pii.reveal';

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'loandesk_pii')
	THEN
		CREATE ROLE loandesk_pii NOLOGIN;
	END IF;
	IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
	THEN
		EXECUTE format('GRANT loandesk_pii TO %I', current_user);
	END IF;
END
$$;

GRANT USAGE ON SCHEMA public, api TO loandesk_pii;
GRANT SELECT (id, name_enc, id_no_enc, phone_enc) ON applicants
	TO loandesk_pii;
GRANT SELECT (id, applicant_id) ON applications TO loandesk_pii;
GRANT SELECT ON settings TO loandesk_pii;
GRANT SELECT (actor, action, at) ON audit_log TO loandesk_pii;
GRANT EXECUTE ON FUNCTION require_role(text[]),
	audit_record(text, text, text, jsonb), session_limits()
	TO loandesk_pii;

CREATE FUNCTION api.pii_reveal(p_application_id bigint, p_field text,
	p_reason text)
RETURNS TABLE (field text, sealed bytea, key_id text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_reason text := nullif(btrim(coalesce(p_reason, '')), '');
	v_limit integer;
	v_window integer;
	v_recent integer;
	v_applicant bigint;
	v_sealed bytea;
BEGIN
	PERFORM require_role('loandesk_oncall', 'loandesk_admin');
	IF p_field IS NULL OR p_field NOT IN ('name', 'id_no', 'phone') THEN
		RAISE EXCEPTION 'field must be name, id_no or phone, not %',
			coalesce(p_field, 'null') USING ERRCODE = '22023';
	END IF;
	IF v_reason IS NULL THEN
		RAISE EXCEPTION 'a reason is required to reveal personal data '
			'(it is recorded in the audit log)'
			USING ERRCODE = '22023';
	END IF;
	IF length(v_reason) > 500 THEN
		RAISE EXCEPTION 'reason is longer than 500 characters'
			USING ERRCODE = '22023';
	END IF;
	SELECT a.applicant_id INTO v_applicant FROM applications a
	WHERE a.id = p_application_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'application % does not exist', p_application_id
			USING ERRCODE = 'P0002';
	END IF;

	PERFORM session_limits();
	-- One operator's reveals one at a time, so two at once cannot both
	-- pass the count.
	PERFORM pg_advisory_xact_lock(hashtext('pii.reveal'),
		hashtext(session_user));
	SELECT (value #>> '{}')::integer INTO v_limit FROM settings
	WHERE key = 'pii_reveal_limit';
	SELECT (value #>> '{}')::integer INTO v_window FROM settings
	WHERE key = 'pii_reveal_window_s';
	SELECT count(*) INTO v_recent FROM audit_log l
	WHERE l.actor = session_user AND l.action = 'pii.reveal'
		AND l.at > now() - make_interval(secs => v_window);
	IF v_recent >= v_limit THEN
		RAISE EXCEPTION 'pii reveal refused: % has revealed % values in '
			'the last % seconds, the limit (settings '
			'pii_reveal_limit)', session_user, v_recent, v_window
			USING ERRCODE = '42501';
	END IF;

	SELECT CASE p_field WHEN 'name' THEN p.name_enc
		WHEN 'id_no' THEN p.id_no_enc ELSE p.phone_enc END
	INTO v_sealed FROM applicants p WHERE p.id = v_applicant;
	-- Last: the audit head is held from here to the commit.
	PERFORM audit_record('pii.reveal', 'application',
		p_application_id::text, jsonb_build_object('field', p_field,
			'reason', v_reason, 'applicant_id', v_applicant,
			'key_id', encode(substring(v_sealed FROM 2 FOR 4),
				'hex')));
	RETURN QUERY SELECT p_field, v_sealed,
		encode(substring(v_sealed FROM 2 FOR 4), 'hex');
END
$$;

REVOKE EXECUTE ON FUNCTION api.pii_reveal(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.pii_reveal(bigint, text, text)
	TO loandesk_oncall, loandesk_admin;
GRANT CREATE ON SCHEMA api TO loandesk_pii;
ALTER FUNCTION api.pii_reveal(bigint, text, text) OWNER TO loandesk_pii;
REVOKE CREATE ON SCHEMA api FROM loandesk_pii;
