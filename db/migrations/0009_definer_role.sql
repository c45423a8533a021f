-- The SECURITY DEFINER functions run as loandesk_api, a NOLOGIN role that
-- owns them and nothing else, with only the privileges they use.
--
-- They used to run as whoever applied the migrations, often a superuser.
-- A flaw in one of them (a missed check, a search_path trick such as the
-- one 0008 closed) then handed its caller everything: other databases, the
-- server's files, and the triggers that keep audit_log append-only, which
-- a table's owner or a superuser may disable.  As loandesk_api the same
-- flaw reaches the rows these functions may write and no further: it reads
-- the tables they decide from, inserts audit rows, updates applications,
-- reviews and the audit head, inserts payouts, and may not read personal
-- data, delete, truncate, alter or disable anything.
--
-- A later migration that adds a SECURITY DEFINER function gives it to
-- loandesk_api in the same file, granting it what the function uses and,
-- around the ALTER, CREATE on the schema (as below); CREATE OR REPLACE
-- keeps the owner.
-- tests/test_db.c checks that no definer function is owned by anyone else.

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'loandesk_api')
	THEN
		CREATE ROLE loandesk_api NOLOGIN;
	END IF;
	-- ALTER ... OWNER TO a role needs membership of it, unless superuser.
	IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
	THEN
		EXECUTE format('GRANT loandesk_api TO %I', current_user);
	END IF;
END
$$;

GRANT USAGE ON SCHEMA public, api TO loandesk_api;
-- What the functions and the triggers they fire read, and no more: not
-- the sealed personal data, the settings, the payout records or models.
GRANT SELECT ON applications, decision_reasons, reviews, audit_head
	TO loandesk_api;
-- application_decide; review_set_assignee; review_open_application.
GRANT UPDATE ON applications, reviews TO loandesk_api;
GRANT INSERT ON reviews, payouts TO loandesk_api;
-- audit_record (RETURNING id) and its trigger, which moves the head.
GRANT INSERT, SELECT (id) ON audit_log TO loandesk_api;
GRANT UPDATE ON audit_head TO loandesk_api;
-- The helpers the api functions call, revoked from PUBLIC.
GRANT EXECUTE ON FUNCTION require_role(text[]), review_group(text),
	review_lock(bigint), review_set_assignee(reviews, text, text),
	review_open_application(bigint, text, text),
	audit_canonical(bigint, timestamptz, text, text, text, text, jsonb)
	TO loandesk_api;

-- A non-superuser may give a function only to a role that could create
-- it, so loandesk_api holds CREATE on the schemas for these statements.
GRANT CREATE ON SCHEMA public, api TO loandesk_api;
ALTER FUNCTION audit_record(text, text, text, jsonb) OWNER TO loandesk_api;
ALTER FUNCTION api.application_decide(bigint, text, text, text)
	OWNER TO loandesk_api;
ALTER FUNCTION api.review_claim(bigint) OWNER TO loandesk_api;
ALTER FUNCTION api.review_assign(bigint, text) OWNER TO loandesk_api;
ALTER FUNCTION api.review_release(bigint) OWNER TO loandesk_api;
REVOKE CREATE ON SCHEMA public, api FROM loandesk_api;

-- The guard of 0008 let through changes made as the table's owner, which
-- is who the api functions ran as; they now run as loandesk_api.
CREATE OR REPLACE FUNCTION applications_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
	IF current_user = 'loandesk_api' OR pg_has_role(current_user,
			(SELECT relowner FROM pg_class WHERE oid = TG_RELID),
			'MEMBER') THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'permission denied: % may not change application % '
		'from % to % (only the api functions decide; scoring takes a '
		'received application to a scoring outcome)', current_user,
		OLD.id, OLD.status, NEW.status USING ERRCODE = '42501';
END
$$;
