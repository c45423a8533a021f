-- Who may do what.  Operators log in as their own role, granted one of the
-- group roles below; the daemon logs in as a role granted loandesk_daemon.
-- Operators may read what their screens show and nothing else, and may not
-- write any table: every change goes through a SECURITY DEFINER function in
-- schema api that checks role and state and writes the audit record.
-- Roles are cluster-wide, so this migration tolerates their existence.

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['loandesk_risk', 'loandesk_finance',
		'loandesk_oncall', 'loandesk_admin', 'loandesk_daemon']
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END
$$;

CREATE SCHEMA api;

-- Functions are executable by PUBLIC unless revoked; ours are not.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA api REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;

GRANT USAGE ON SCHEMA public, api TO loandesk_risk, loandesk_finance,
	loandesk_oncall, loandesk_admin, loandesk_daemon;

-- Personal data: everyone reads the masked forms and the blind indexes
-- (which link applications without revealing anything); only the daemon
-- reads the sealed values, which it needs for payouts.
GRANT SELECT (id, name_masked, id_no_masked, phone_masked, name_bidx,
	id_no_bidx, phone_bidx, openid, created_at)
	ON applicants TO loandesk_risk, loandesk_finance, loandesk_oncall,
	loandesk_admin;

GRANT SELECT ON applications, alt_data, scores, models, reviews,
	decision_reasons, settings, audit_log, audit_head, schema_migrations,
	payouts
	TO loandesk_risk;
GRANT SELECT ON applications, payouts, transfer_bills, payout_attempts,
	reviews, decision_reasons, settings, audit_log, audit_head,
	schema_migrations
	TO loandesk_finance, loandesk_oncall;
GRANT SELECT ON applications, alt_data, scores, models, reviews, payouts,
	transfer_bills, payout_attempts, decision_reasons, settings, audit_log,
	audit_head, schema_migrations
	TO loandesk_admin;

GRANT SELECT ON ALL TABLES IN SCHEMA public TO loandesk_daemon;
GRANT INSERT, UPDATE ON applications, alt_data, scores, payouts,
	transfer_bills, payout_attempts, reviews, settings
	TO loandesk_daemon;
GRANT INSERT ON applicants TO loandesk_daemon;
GRANT EXECUTE ON FUNCTION audit_record(text, text, text, jsonb)
	TO loandesk_daemon, loandesk_admin;
GRANT EXECUTE ON FUNCTION audit_canonical(bigint, timestamptz, text, text,
	text, text, jsonb) TO loandesk_risk, loandesk_finance, loandesk_oncall,
	loandesk_admin, loandesk_daemon;

-- Raises 42501 unless the login role (not the definer) is a member of one
-- of the given group roles.  Used by every api function.
CREATE FUNCTION require_role(VARIADIC p_roles text[]) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public AS $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY p_roles LOOP
		IF pg_has_role(session_user, r, 'MEMBER') THEN
			RETURN;
		END IF;
	END LOOP;
	RAISE EXCEPTION 'permission denied: % is not a member of %',
		session_user, array_to_string(p_roles, ' or ')
		USING ERRCODE = '42501';
END
$$;
