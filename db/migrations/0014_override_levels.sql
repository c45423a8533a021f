-- What a decision may override, and who must agree.
--
-- 1. Hard rules stay hard.  Each rule hit the scoring worker stores with a
--    score carries the rule's override level (src/risk/risk_rules.h):
--    never (a legal bar: no one approves, an administrator neither), dual
--    (an officer asks and a second, different officer confirms) or officer
--    (one officer, with a reason and a note).  api.application_decide
--    reads the levels from the hits stored with the application's
--    champion score, never from its caller.  A hit stored before levels
--    existed counts as dual for a reject rule (its file's level is not
--    known, so two people decide) and officer for a review rule.
-- 2. Maker-checker.  Approving against a dual rule, or approving what the
--    model rejected for more than settings.dual_control_amount_fen, takes
--    two officers.  The first one's approval is recorded as a pending
--    decision_requests row, the application goes to manual_review and a
--    DUAL_CONTROL review opens (the review queue shows it, with who asked
--    and why); the approval of a different officer completes it, and a
--    rejection refuses it.  Both are in the audit log
--    (application.approve_requested, then application.approve or
--    application.reject naming the request and who made it).
-- 3. A second opinion is a second person's.  Reviews record who opened
--    them; whoever opened a SECOND_OPINION or DUAL_CONTROL review may not
--    decide the case while that review is open.
-- 4. The APR cap is enforced where the money is decided: approve is
--    refused when loan_apr_cap_check (0012) says the APR is above the cap,
--    naming both figures.
-- 5. api.decision_preview(application, decision) answers, before the
--    console asks for a reason, a note and a confirmation, what
--    api.application_decide will do: both call decision_assess, so they
--    cannot disagree.
-- 6. The payout asks for what the borrower receives (loan_disbursement_fen,
--    0012), not the principal.

INSERT INTO settings (key, value) VALUES ('dual_control_amount_fen', '2000000');

-- 3. Who opened a review --------------------------------------------------

ALTER TABLE reviews ADD COLUMN opened_by text;
-- Open reviews learn their opener from the audit row of the decision
-- that opened them (written in the same transaction, so not before it).
UPDATE reviews r SET opened_by = (SELECT l.actor FROM audit_log l
	WHERE l.object_type = 'application'
		AND l.object_id = r.application_id::text
		AND l.action IN ('application.review', 'application.scored')
		AND l.at >= r.opened_at
	ORDER BY l.id LIMIT 1)
WHERE r.kind = 'application' AND r.state <> 'closed';

CREATE OR REPLACE FUNCTION review_open_application(p_application_id bigint,
	p_reason text, p_note text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	v_id bigint;
BEGIN
	INSERT INTO reviews (kind, application_id, reason, note, opened_by)
	VALUES ('application', p_application_id, p_reason, p_note,
		session_user)
	ON CONFLICT (application_id)
		WHERE state <> 'closed' AND kind = 'application' DO NOTHING
	RETURNING id INTO v_id;
	IF v_id IS NULL THEN
		SELECT id INTO v_id FROM reviews
		WHERE application_id = p_application_id
			AND kind = 'application' AND state <> 'closed';
		RETURN v_id;
	END IF;
	PERFORM pg_notify('reviews', v_id::text);
	RETURN v_id;
END
$$;

-- 2. Pending decisions ----------------------------------------------------

CREATE TABLE decision_requests (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	application_id bigint NOT NULL REFERENCES applications (id),
	review_id bigint NOT NULL REFERENCES reviews (id),
	decision text NOT NULL CHECK (decision = 'approve'),
	reason text NOT NULL REFERENCES decision_reasons (code),
	note text,
	-- Why a second officer must confirm, in words, and the rules it
	-- overrides with their levels.
	why text NOT NULL,
	rules jsonb NOT NULL DEFAULT '[]',
	requested_by text NOT NULL,
	requested_at timestamptz NOT NULL DEFAULT now(),
	state text NOT NULL DEFAULT 'pending'
		CHECK (state IN ('pending', 'confirmed', 'refused')),
	resolved_by text,
	resolved_at timestamptz,
	CHECK ((state = 'pending') = (resolved_by IS NULL)),
	-- Four eyes, as payouts have them.
	CHECK (resolved_by IS NULL OR resolved_by <> requested_by)
);
CREATE UNIQUE INDEX decision_requests_one_pending ON decision_requests
	(application_id) WHERE state = 'pending';
CREATE INDEX decision_requests_application ON decision_requests
	(application_id, id);

-- 1. Levels ---------------------------------------------------------------

-- The hits of a champion score an approval goes against (reject and
-- review rules), in rule-file order, each with its level.
CREATE FUNCTION decision_rules(p_score_id bigint) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object(
		'id', h->>'id', 'version', h->'version',
		'action', h->>'action',
		'override', CASE WHEN h->>'override' IN ('never', 'dual',
				'officer') THEN h->>'override'
			WHEN h->>'action' = 'reject' THEN 'dual'
			ELSE 'officer' END,
		'text', h->>'text') ORDER BY x.o), '[]'::jsonb)
	FROM scores s
	CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN
		jsonb_typeof(s.rules_hit) = 'array' THEN s.rules_hit
		ELSE '[]'::jsonb END) WITH ORDINALITY AS x(h, o)
	WHERE s.id = p_score_id AND NOT s.shadow
		AND jsonb_typeof(x.h) = 'object'
		AND x.h->>'action' IN ('reject', 'review')
$$;

-- "R006 (dual)" for each rule of p_rules at p_level (any level: NULL).
CREATE FUNCTION decision_rules_text(p_rules jsonb, p_level text,
	p_with_text boolean) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT string_agg(r->>'id' || CASE WHEN p_with_text
		THEN ' (' || coalesce(r->>'text', '') || ')'
		ELSE ' (' || (r->>'override') || ')' END, ', ' ORDER BY o)
	FROM jsonb_array_elements(p_rules) WITH ORDINALITY AS x(r, o)
	WHERE p_level IS NULL OR r->>'override' = p_level
$$;

-- Money and rates as the console shows them: ¥20,000.00, 24.00%.
CREATE FUNCTION fen_text(p_fen bigint) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT CASE WHEN p_fen < 0 THEN '-' ELSE '' END || '¥' ||
		to_char(abs(p_fen) / 100, 'FM999,999,999,999,990') || '.' ||
		lpad((abs(p_fen) % 100)::text, 2, '0')
$$;
CREATE FUNCTION bps_text(p_bps integer) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT CASE WHEN p_bps < 0 THEN '-' ELSE '' END ||
		(abs(p_bps) / 100)::text || '.' ||
		lpad((abs(p_bps) % 100)::text, 2, '0') || '%'
$$;

-- 5. The verdict ------------------------------------------------------------

-- What deciding p_decision on application app (p_id: the id asked for,
-- app all NULL when there is none) would do for session_user: allowed or
-- the SQLSTATE and message of the refusal, whether a note is due, the
-- rules the approval goes against with their levels, whether a second
-- officer must confirm (or this approval confirms another's request), who
-- holds the case's claimed review, and the APR against its cap.  Reads
-- only: api.application_decide calls it on the row it has locked,
-- api.decision_preview on the row as it is.  The reason code and the
-- note's length are the caller's to check.
CREATE FUNCTION decision_assess(app applications, p_id bigint,
	p_decision text,
	OUT allowed boolean, OUT refusal_state text, OUT why text,
	OUT note_required boolean, OUT overrides_model boolean,
	OUT rules jsonb, OUT level text, OUT second_officer boolean,
	OUT confirms text, OUT request_id bigint, OUT holder text,
	OUT review_id bigint, OUT apr_bps integer, OUT cap_bps integer)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	rv reviews%ROWTYPE;
	is_admin boolean := pg_has_role(session_user, 'loandesk_admin',
		'MEMBER');
	within boolean;
	dual_amount bigint;
	parts text[] := '{}';
	overridden text;
	nnever integer;
BEGIN
	allowed := false;
	note_required := false;
	overrides_model := false;
	second_officer := false;
	rules := '[]';
	IF NOT (pg_has_role(session_user, 'loandesk_risk', 'MEMBER')
			OR is_admin) THEN
		refusal_state := '42501';
		why := format('permission denied: %s is not a member of '
			'loandesk_risk or loandesk_admin', session_user);
		RETURN;
	END IF;
	IF p_decision IS NULL OR p_decision NOT IN ('approve', 'reject',
			'review') THEN
		refusal_state := '22023';
		why := format('decision must be approve, reject or review, '
			'not %s', coalesce(p_decision, 'null'));
		RETURN;
	END IF;
	IF app.id IS NULL THEN
		refusal_state := 'P0002';
		why := format('application %s does not exist', p_id);
		RETURN;
	END IF;
	refusal_state := '55000';
	IF app.status IN ('approved', 'rejected') THEN
		why := format('application %s is already %s', app.id,
			app.status);
		RETURN;
	END IF;
	IF app.status = 'received' THEN
		why := format('application %s has not been scored yet', app.id);
		RETURN;
	END IF;

	SELECT * INTO rv FROM reviews r WHERE r.application_id = app.id
		AND r.kind = 'application' AND r.state <> 'closed';
	review_id := rv.id;
	holder := CASE WHEN rv.state = 'claimed' THEN rv.assignee END;
	-- A case whose review another officer holds is theirs to decide
	-- (0011), unless an admin acts.
	IF holder IS NOT NULL AND holder <> session_user AND NOT is_admin THEN
		refusal_state := '42501';
		why := format('application %s is in review claimed by %s: only '
			'%s or an admin may decide it', app.id, holder, holder);
		RETURN;
	END IF;
	IF p_decision = 'review' AND app.status = 'manual_review' THEN
		why := format('application %s is already in manual review',
			app.id);
		RETURN;
	END IF;
	-- A review that asks for a second person is decided by another.
	IF p_decision <> 'review' AND rv.opened_by = session_user THEN
		refusal_state := '42501';
		IF rv.reason = 'SECOND_OPINION' THEN
			why := format('application %s is in the second-opinion '
				'review %s asked for: another officer must '
				'decide it', app.id, rv.opened_by);
			RETURN;
		END IF;
		IF rv.reason = 'DUAL_CONTROL' THEN
			why := format('approval of application %s awaits a '
				'second officer: %s asked for it, so another '
				'officer must confirm or reject it', app.id,
				rv.opened_by);
			RETURN;
		END IF;
	END IF;

	SELECT d.requested_by, d.id INTO confirms, request_id
	FROM decision_requests d
	WHERE d.application_id = app.id AND d.state = 'pending';
	-- Going against the model needs a written reason (PIPL art. 24: the
	-- applicant may ask why a human overrode an automated decision).
	overrides_model := (p_decision = 'approve'
			AND app.recommendation = 'auto_rejected')
		OR (p_decision = 'reject'
			AND app.recommendation = 'auto_approved');
	note_required := overrides_model;
	IF overrides_model THEN
		parts := parts || format('overrides the model''s %s',
			app.recommendation);
	END IF;

	IF p_decision = 'approve' THEN
		rules := decision_rules(app.score_id);
		level := CASE
			WHEN rules @> '[{"override": "never"}]' THEN 'never'
			WHEN rules @> '[{"override": "dual"}]' THEN 'dual'
			WHEN jsonb_array_length(rules) > 0 THEN 'officer' END;
		refusal_state := '42501';
		IF level = 'never' THEN
			nnever := jsonb_array_length(jsonb_path_query_array(
				rules, '$[*] ? (@.override == "never")'));
			why := format('application %s may not be approved: %s '
				'%s %s a legal bar no one may override (level '
				'never)', app.id, CASE WHEN nnever > 1
				THEN 'rules' ELSE 'rule' END,
				decision_rules_text(rules, 'never', true),
				CASE WHEN nnever > 1 THEN 'are' ELSE 'is' END);
			RETURN;
		END IF;
		SELECT c.apr_bps, c.cap_bps, c.within_cap
		INTO apr_bps, cap_bps, within
		FROM loan_apr_cap_check(app.id) c;
		IF NOT coalesce(within, false) THEN
			why := format('application %s may not be approved: APR '
				'%s is above the cap %s', app.id,
				coalesce(bps_text(apr_bps), 'unknown'),
				coalesce(bps_text(cap_bps), 'unknown'));
			RETURN;
		END IF;
		-- Approving over a reject rule overrides it: a note says why.
		IF rules @> '[{"action": "reject"}]' THEN
			note_required := true;
			overridden := decision_rules_text(
				jsonb_path_query_array(rules,
				'$[*] ? (@.action == "reject")'), NULL, false);
			parts := parts || (CASE WHEN overridden LIKE '%,%'
				THEN 'overrides rules ' ELSE 'overrides rule '
				END || overridden);
		END IF;
		IF confirms IS NOT NULL THEN
			parts := parts || format('confirms the approval %s '
				'asked for (request %s)', confirms, request_id);
		ELSE
			SELECT (value #>> '{}')::bigint INTO dual_amount
			FROM settings WHERE key = 'dual_control_amount_fen';
			IF level = 'dual' THEN
				second_officer := true;
				parts := parts || ('needs a second officer ('
					|| decision_rules_text(rules, 'dual',
					false) || ')');
			END IF;
			IF app.recommendation = 'auto_rejected'
					AND app.amount_fen > dual_amount THEN
				second_officer := true;
				parts := parts || format('needs a second officer '
					'(it overrides the model for more than %s)',
					fen_text(dual_amount));
			END IF;
		END IF;
	ELSIF p_decision = 'reject' AND confirms IS NOT NULL THEN
		parts := parts || format('refuses the approval %s asked for '
			'(request %s)', confirms, request_id);
	END IF;
	allowed := true;
	refusal_state := NULL;
	why := CASE WHEN cardinality(parts) = 0 THEN NULL
		ELSE format('%s application %s %s', CASE p_decision
			WHEN 'approve' THEN 'approving' WHEN 'reject'
			THEN 'rejecting' ELSE 'reviewing' END, app.id,
			array_to_string(parts, '; ')) END;
	IF second_officer THEN
		why := why || ': it waits in the review queue until another '
			'officer confirms it';
	END IF;
END
$$;

CREATE FUNCTION api.decision_preview(p_id bigint, p_decision text)
RETURNS TABLE (allowed boolean, refusal_state text, why text,
	note_required boolean, overrides_model boolean, rules jsonb,
	level text, second_officer boolean, confirms text,
	request_id bigint, holder text, review_id bigint, apr_bps integer,
	cap_bps integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	app applications%ROWTYPE;
BEGIN
	PERFORM require_role('loandesk_risk', 'loandesk_admin');
	SELECT * INTO app FROM applications a WHERE a.id = p_id;
	RETURN QUERY SELECT * FROM decision_assess(app, p_id, p_decision);
END
$$;

-- The decision -------------------------------------------------------------

CREATE OR REPLACE FUNCTION api.application_decide(p_id bigint, p_decision text,
	p_reason text, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	app applications%ROWTYPE;
	v record;
	new_status text;
	v_note text := nullif(btrim(coalesce(p_note, '')), '');
	v_rules jsonb;
	v_review bigint;
	v_request bigint;
	detail jsonb;
BEGIN
	PERFORM require_role('loandesk_risk', 'loandesk_admin');
	IF p_decision IS NULL OR p_decision NOT IN ('approve', 'reject', 'review') THEN
		RAISE EXCEPTION 'decision must be approve, reject or review, not %',
			coalesce(p_decision, 'null') USING ERRCODE = '22023';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM decision_reasons
			WHERE code = p_reason AND p_decision = ANY (applies_to)) THEN
		RAISE EXCEPTION 'reason code % is not valid for %',
			coalesce(p_reason, 'null'), p_decision
			USING ERRCODE = '22023';
	END IF;
	IF length(v_note) > 2000 THEN
		RAISE EXCEPTION 'note is longer than 2000 characters'
			USING ERRCODE = '22023';
	END IF;

	PERFORM session_limits();
	SELECT * INTO app FROM applications WHERE id = p_id FOR UPDATE;
	SELECT * INTO v FROM decision_assess(app, p_id, p_decision);
	IF NOT v.allowed THEN
		RAISE EXCEPTION '%', v.why USING ERRCODE = v.refusal_state;
	END IF;
	IF v.note_required AND v_note IS NULL THEN
		IF v.overrides_model THEN
			RAISE EXCEPTION 'a note is required to % against the model''s recommendation (%)',
				p_decision, app.recommendation
				USING ERRCODE = '22023';
		END IF;
		RAISE EXCEPTION 'a note is required to % over rule %', p_decision,
			decision_rules_text(jsonb_path_query_array(v.rules,
				'$[*] ? (@.action == "reject")'), NULL, false)
			USING ERRCODE = '22023';
	END IF;
	-- The audit row names what the approval goes against, levels and all.
	SELECT coalesce(jsonb_agg(r - 'text'), '[]') INTO v_rules
	FROM jsonb_array_elements(v.rules) r;

	-- 2. The first of two officers: a pending request and a review.
	IF v.second_officer THEN
		IF v.review_id IS NOT NULL THEN
			UPDATE reviews SET state = 'closed', closed_at = now(),
				resolution = 'approve_requested'
			WHERE id = v.review_id;
		END IF;
		v_review := review_open_application(p_id, 'DUAL_CONTROL',
			format('%s asks to approve (%s): %s', session_user,
				p_reason, v.why));
		INSERT INTO decision_requests (application_id, review_id,
			decision, reason, note, why, rules, requested_by)
		VALUES (p_id, v_review, p_decision, p_reason, v_note, v.why,
			v_rules, session_user)
		RETURNING id INTO v_request;
		UPDATE applications SET
			status = 'manual_review',
			assignee = NULL,
			decision_reason = p_reason,
			decision_note = v_note,
			updated_at = now(),
			version = version + 1
		WHERE id = p_id;
		PERFORM audit_record('application.approve_requested',
			'application', p_id::text, jsonb_build_object(
				'from', app.status, 'to', 'manual_review',
				'reason', p_reason, 'note', v_note,
				'recommendation', app.recommendation,
				'override', v.overrides_model,
				'rules', v_rules, 'level', v.level,
				'why', v.why, 'request_id', v_request,
				'review_id', v_review,
				'amount_fen', app.amount_fen));
		PERFORM pg_notify('applications', p_id::text);
		RETURN 'manual_review';
	END IF;

	new_status := CASE p_decision WHEN 'approve' THEN 'approved'
		WHEN 'reject' THEN 'rejected' ELSE 'manual_review' END;

	UPDATE applications SET
		status = new_status,
		decided_at = CASE WHEN p_decision = 'review' THEN NULL ELSE now() END,
		decided_by = CASE WHEN p_decision = 'review' THEN NULL ELSE session_user END,
		decision_reason = p_reason,
		decision_note = v_note,
		updated_at = now(),
		version = version + 1
	WHERE id = p_id;

	IF p_decision = 'review' THEN
		PERFORM review_open_application(p_id, p_reason, v_note);
	ELSE
		UPDATE reviews SET state = 'closed', closed_at = now(),
			resolution = new_status,
			note = coalesce(v_note, reviews.note)
		WHERE application_id = p_id AND kind = 'application'
			AND state <> 'closed';
		-- The second officer completes, or refuses, the first's.
		UPDATE decision_requests SET
			state = CASE p_decision WHEN 'approve' THEN 'confirmed'
				ELSE 'refused' END,
			resolved_by = session_user, resolved_at = now()
		WHERE application_id = p_id AND state = 'pending';
	END IF;

	-- An approved loan asks for its payout of what the borrower
	-- receives; finance releases it (four eyes).
	IF p_decision = 'approve' THEN
		INSERT INTO payouts (application_id, amount_fen, requested_by)
		VALUES (p_id, loan_disbursement_fen(p_id), session_user);
	END IF;

	detail := jsonb_build_object(
		'from', app.status, 'to', new_status, 'reason', p_reason,
		'note', v_note, 'recommendation', app.recommendation,
		'override', v.overrides_model, 'amount_fen', app.amount_fen);
	IF jsonb_array_length(v_rules) > 0 THEN
		detail := detail || jsonb_build_object('rules', v_rules,
			'level', v.level);
	END IF;
	IF v.confirms IS NOT NULL AND p_decision <> 'review' THEN
		detail := detail || jsonb_build_object('request_id',
			v.request_id, 'requested_by', v.confirms,
			'request', CASE p_decision WHEN 'approve'
				THEN 'confirmed' ELSE 'refused' END);
	END IF;
	-- Last: the audit head is held from here to the commit.
	PERFORM audit_record('application.' || p_decision, 'application',
		p_id::text, detail);
	PERFORM pg_notify('applications', p_id::text);
	RETURN new_status;
END
$$;

-- Privileges ---------------------------------------------------------------

REVOKE ALL ON decision_requests FROM PUBLIC;
GRANT SELECT ON decision_requests TO loandesk_risk, loandesk_admin;
REVOKE EXECUTE ON FUNCTION decision_rules(bigint),
	decision_rules_text(jsonb, text, boolean), fen_text(bigint),
	bps_text(integer), decision_assess(applications, bigint, text),
	api.decision_preview(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.decision_preview(bigint, text)
	TO loandesk_risk, loandesk_admin;
-- What the functions read and write (0009's principle: no more).
GRANT SELECT (id, application_id, shadow, rules_hit) ON scores
	TO loandesk_api;
GRANT SELECT, INSERT, UPDATE ON decision_requests TO loandesk_api;
GRANT SELECT ON settings TO loandesk_api;
GRANT EXECUTE ON FUNCTION decision_rules(bigint),
	decision_rules_text(jsonb, text, boolean), fen_text(bigint),
	bps_text(integer), decision_assess(applications, bigint, text)
	TO loandesk_api;

GRANT CREATE ON SCHEMA api TO loandesk_api;
ALTER FUNCTION api.decision_preview(bigint, text) OWNER TO loandesk_api;
REVOKE CREATE ON SCHEMA api FROM loandesk_api;
