-- The daemon records its own decisions, and only those.
--
-- loandesk_daemon could call audit_record for any object with any detail,
-- and review_open_application on any application with any reason, with
-- no audit row.  It now has neither.  What scoring needs instead:
--
--   api.application_scored(application, score, detail, reason, note)
--     writes the application.scored audit row of a scoring outcome the
--     caller's own transaction has just written (the application row was
--     last written by this transaction, which the applications_guard
--     trigger of 0008 lets the daemon do only from received to a scoring
--     outcome, with this score as its champion), and opens the review
--     case when that outcome is manual_review;
--   api.pre_assessment_recorded(pre_assessment)
--     writes the applicant.pre_assessed audit row of a pre-assessment the
--     caller's transaction has just inserted, its detail taken from the
--     row itself.
--
-- The detail of a scoring row (the policy's inputs and result) is the
-- worker's to say; what it is about, and that it happened, are not.

CREATE FUNCTION api.application_scored(p_application_id bigint,
	p_score_id bigint, p_detail jsonb, p_review_reason text,
	p_review_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	app record;
BEGIN
	PERFORM require_role('loandesk_daemon');
	SELECT a.status, a.recommendation, a.score_id,
		a.xmin = pg_current_xact_id()::xid AS ours,
		s.decision, s.shadow, s.application_id AS score_app
	INTO app FROM applications a LEFT JOIN scores s ON s.id = p_score_id
	WHERE a.id = p_application_id;
	IF NOT FOUND OR NOT app.ours OR app.score_id IS DISTINCT FROM p_score_id
			OR app.score_app IS DISTINCT FROM p_application_id
			OR app.shadow OR app.status IS DISTINCT FROM app.decision
			OR app.recommendation IS DISTINCT FROM app.decision THEN
		RAISE EXCEPTION 'application % was not scored with score % by '
			'this transaction: the daemon records only its own '
			'decisions', p_application_id, p_score_id
			USING ERRCODE = '42501';
	END IF;
	PERFORM audit_record('application.scored', 'application',
		p_application_id::text, coalesce(p_detail, '{}') ||
		jsonb_build_object('score_id', p_score_id));
	IF app.status = 'manual_review' THEN
		RETURN review_open_application(p_application_id,
			coalesce(p_review_reason, 'SCORING'), p_review_note);
	END IF;
	RETURN NULL;
END
$$;

CREATE FUNCTION api.pre_assessment_recorded(p_id bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	p record;
BEGIN
	PERFORM require_role('loandesk_daemon');
	SELECT x.id, x.applicant_id, x.model_id, x.inputs_sha256,
		x.probability, x.points, x.band,
		x.xmin = pg_current_xact_id()::xid AS ours
	INTO p FROM pre_assessments x WHERE x.id = p_id;
	IF NOT FOUND OR NOT p.ours THEN
		RAISE EXCEPTION 'pre-assessment % was not written by this '
			'transaction: the daemon records only its own', p_id
			USING ERRCODE = '42501';
	END IF;
	RETURN audit_record('applicant.pre_assessed', 'applicant',
		p.applicant_id::text, jsonb_build_object(
			'pre_assessment_id', p.id, 'model_id', p.model_id,
			'inputs_sha256', p.inputs_sha256,
			'probability', p.probability, 'points', p.points,
			'band', p.band));
END
$$;

REVOKE EXECUTE ON FUNCTION api.application_scored(bigint, bigint, jsonb,
	text, text), api.pre_assessment_recorded(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.application_scored(bigint, bigint, jsonb,
	text, text), api.pre_assessment_recorded(bigint) TO loandesk_daemon;
REVOKE EXECUTE ON FUNCTION audit_record(text, text, text, jsonb),
	review_open_application(bigint, text, text) FROM loandesk_daemon;
-- review_open_application now runs as loandesk_api only.
REVOKE INSERT (kind, application_id, reason, note) ON reviews
	FROM loandesk_daemon;

GRANT SELECT (id, decision, shadow, application_id) ON scores
	TO loandesk_api;
-- The whole table: whether a row is the caller's own is its xmin, and a
-- system column is readable only with the table's SELECT.  It holds
-- scores, no personal data.
GRANT SELECT ON pre_assessments TO loandesk_api;

GRANT CREATE ON SCHEMA api TO loandesk_api;
ALTER FUNCTION api.application_scored(bigint, bigint, jsonb, text, text)
	OWNER TO loandesk_api;
ALTER FUNCTION api.pre_assessment_recorded(bigint) OWNER TO loandesk_api;
REVOKE CREATE ON SCHEMA api FROM loandesk_api;
