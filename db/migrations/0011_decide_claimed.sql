-- A claimed review made the case its assignee's for release and
-- reassignment (0010) but not for the decision itself: another officer
-- could approve it under them and close their review.  Now only the
-- holder or an admin decides a case whose review is claimed.
-- CREATE OR REPLACE keeps the owner, loandesk_api (0009).

CREATE OR REPLACE FUNCTION api.application_decide(p_id bigint, p_decision text,
	p_reason text, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	app applications%ROWTYPE;
	new_status text;
	overrides boolean;
	holder text;
	v_note text := nullif(btrim(coalesce(p_note, '')), '');
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

	SELECT * INTO app FROM applications WHERE id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'application % does not exist', p_id
			USING ERRCODE = 'P0002';
	END IF;
	IF app.status IN ('approved', 'rejected') THEN
		RAISE EXCEPTION 'application % is already %', p_id, app.status
			USING ERRCODE = '55000';
	END IF;
	IF app.status = 'received' THEN
		RAISE EXCEPTION 'application % has not been scored yet', p_id
			USING ERRCODE = '55000';
	END IF;
	-- A case whose review another officer holds is theirs to decide (as
	-- 0010 made it theirs to release or reassign), unless an admin acts.
	SELECT assignee INTO holder FROM reviews
	WHERE application_id = p_id AND kind = 'application'
		AND state = 'claimed';
	IF holder IS NOT NULL AND holder <> session_user
			AND NOT pg_has_role(session_user, 'loandesk_admin', 'MEMBER') THEN
		RAISE EXCEPTION 'application % is in review claimed by %: only % or an admin may decide it',
			p_id, holder, holder USING ERRCODE = '42501';
	END IF;
	IF p_decision = 'review' AND app.status = 'manual_review' THEN
		RAISE EXCEPTION 'application % is already in manual review', p_id
			USING ERRCODE = '55000';
	END IF;

	-- Going against the model needs a written reason (PIPL art. 24: the
	-- applicant may ask why a human overrode an automated decision).
	overrides := (p_decision = 'approve' AND app.recommendation = 'auto_rejected')
		OR (p_decision = 'reject' AND app.recommendation = 'auto_approved');
	IF overrides AND v_note IS NULL THEN
		RAISE EXCEPTION 'a note is required to % against the model''s recommendation (%)',
			p_decision, app.recommendation USING ERRCODE = '22023';
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
	END IF;

	-- An approved loan asks for its payout; finance releases it (four eyes).
	IF p_decision = 'approve' THEN
		INSERT INTO payouts (application_id, amount_fen, requested_by)
		VALUES (p_id, app.amount_fen, session_user);
	END IF;

	PERFORM audit_record('application.' || p_decision, 'application',
		p_id::text, jsonb_build_object(
			'from', app.status, 'to', new_status, 'reason', p_reason,
			'note', v_note, 'recommendation', app.recommendation,
			'override', overrides, 'amount_fen', app.amount_fen));
	PERFORM pg_notify('applications', p_id::text);
	RETURN new_status;
END
$$;
