-- Hardening of the roles, the api functions and the audit chain.
--
-- 1. Every function runs with search_path = pg_catalog, public, pg_temp.
--    A search_path that does not name pg_temp searches it FIRST for tables,
--    so with "pg_catalog, public" an operator's CREATE TEMP TABLE audit_log
--    (or applications, audit_head, decision_reasons) shadowed ours inside
--    the SECURITY DEFINER functions: a risk officer could approve with no
--    audit record, or ask for a payout of any amount against an application
--    that stays rejected.  Named last, pg_temp can shadow nothing.
-- 2. PUBLIC (every login of the cluster) has nothing here: no USAGE on the
--    schemas, no temporary tables in this database.  The group roles keep
--    the USAGE 0003 granted them; the database owner keeps TEMPORARY.
-- 3. Operators read what their screens show and no more: not the blind
--    indexes of name and identity number (links go by phone, device, IP
--    and openid), not model documents.
-- 4. The daemon has what the scoring worker (and `loandesk score pre`)
--    needs and nothing else: no sealed personal data, no settings (the kill
--    switch and limits), no payouts or alternative data to write.  The
--    payout engine grants its own when it comes.  It may update only the
--    columns scoring writes, and only take a received application to a
--    scoring outcome: a trigger refuses any other change of an application
--    made outside the api functions.
-- 5. The canonical text of an audit row joins its fields with '|'; a field
--    that may hold '|' (actor, object_type, object_id) would let two
--    different rows share a text and so a hash.  action has its CHECK; the
--    others get one here, and `loandesk audit verify` refuses such a row
--    whatever the constraints say.

-- 1. search_path ---------------------------------------------------------

ALTER FUNCTION audit_canonical(bigint, timestamptz, text, text, text, text,
	jsonb) SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION audit_chain() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION audit_refuse_change()
	SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION audit_record(text, text, text, jsonb)
	SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION require_role(text[])
	SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION review_group(text) SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION review_lock(bigint) SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION review_set_assignee(reviews, text, text)
	SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION review_open_application(bigint, text, text)
	SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION applications_notify_inserted()
	SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION api.application_decide(bigint, text, text, text)
	SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION api.review_claim(bigint)
	SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION api.review_assign(bigint, text)
	SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION api.review_release(bigint)
	SET search_path = pg_catalog, public, pg_temp;

-- An assignee who is no role at all got "role ... does not exist" from
-- pg_has_role (the planner may test it before the name); the check now
-- goes by the row's oid, so the answer is the 22023 it was meant to be.
CREATE OR REPLACE FUNCTION api.review_assign(p_review_id bigint,
	p_assignee text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	rv reviews;
BEGIN
	rv := review_lock(p_review_id);
	IF p_assignee IS NULL OR NOT EXISTS (SELECT 1 FROM pg_roles r
			WHERE r.rolname = p_assignee AND r.rolcanlogin
			AND pg_has_role(r.oid, review_group(rv.kind), 'MEMBER')) THEN
		RAISE EXCEPTION '% is not an operator who works % reviews',
			coalesce(p_assignee, 'null'), rv.kind
			USING ERRCODE = '22023';
	END IF;
	PERFORM review_set_assignee(rv, p_assignee, 'review.assign');
END
$$;

-- 2. PUBLIC --------------------------------------------------------------

REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA api FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public, api FROM PUBLIC;
DO $$
BEGIN
	EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC',
		current_database());
END
$$;

-- 3. Operators -----------------------------------------------------------

REVOKE SELECT (name_bidx, id_no_bidx) ON applicants FROM loandesk_risk,
	loandesk_finance, loandesk_oncall, loandesk_admin;
REVOKE SELECT ON models FROM loandesk_risk, loandesk_admin;
GRANT SELECT (id, name, version, kind, sha256, feature_names, role,
	registered_at, registered_by, activated_at, activated_by)
	ON models TO loandesk_risk, loandesk_admin;

-- 4. The daemon ----------------------------------------------------------

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM loandesk_daemon;
REVOKE ALL (id, name_enc, name_bidx, name_masked, id_no_enc, id_no_bidx,
	id_no_masked, phone_enc, phone_bidx, phone_masked, openid, created_at)
	ON applicants FROM loandesk_daemon;
-- The claim and its reuse lookup; score pre reads applicant_alt_data.
GRANT SELECT ON applications, alt_data, models, scores, pre_assessments,
	applicant_alt_data, reviews TO loandesk_daemon;
GRANT SELECT (id) ON applicants TO loandesk_daemon;
-- The batch's write (core_score.c write_sql) and score pre.
GRANT UPDATE (status, score_id, points, pd_bps, band, recommendation,
	updated_at, version) ON applications TO loandesk_daemon;
GRANT INSERT ON scores, pre_assessments TO loandesk_daemon;
-- review_open_application runs as its caller.
GRANT INSERT (kind, application_id, reason, note) ON reviews
	TO loandesk_daemon;

-- Outside the api functions (which run as the owner), an application can
-- only go from received to a scoring outcome.  The WHEN clause keeps the
-- scoring worker's own updates free of a function call.
CREATE FUNCTION applications_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
	IF pg_has_role(current_user, (SELECT relowner FROM pg_class
			WHERE oid = TG_RELID), 'MEMBER') THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'permission denied: % may not change application % '
		'from % to % (only the api functions decide; scoring takes a '
		'received application to a scoring outcome)', current_user,
		OLD.id, OLD.status, NEW.status USING ERRCODE = '42501';
END
$$;
REVOKE EXECUTE ON FUNCTION applications_guard() FROM PUBLIC;
CREATE TRIGGER applications_guard BEFORE UPDATE ON applications
	FOR EACH ROW WHEN (OLD.status <> 'received' OR NEW.status NOT IN
		('scored', 'auto_approved', 'auto_rejected', 'manual_review'))
	EXECUTE FUNCTION applications_guard();

-- 5. Unambiguous canonical text ----------------------------------------

ALTER TABLE audit_log ADD CONSTRAINT audit_log_fields_without_separator
	CHECK (strpos(actor, '|') = 0 AND strpos(object_type, '|') = 0
		AND strpos(object_id, '|') = 0);
