-- Application decisions and the manual-review queue.
--
-- Each function runs as its owner (SECURITY DEFINER) but acts for, checks
-- and records session_user, the operator who logged in.  It locks the row,
-- checks the state, changes it, writes the audit record and notifies, in
-- the caller's transaction.  Errors carry SQLSTATEs the client maps:
-- 42501 not allowed, 55000 wrong state, 22023 bad argument, P0002 missing.

CREATE FUNCTION api.application_decide(p_id bigint, p_decision text,
	p_reason text, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
	app applications%ROWTYPE;
	new_status text;
	overrides boolean;
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
		INSERT INTO reviews (kind, application_id, reason, note)
		VALUES ('application', p_id, p_reason, v_note);
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

-- The group that works a review of this kind.
CREATE FUNCTION review_group(p_kind text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_kind WHEN 'application' THEN 'loandesk_risk'
		ELSE 'loandesk_oncall' END
$$;

CREATE FUNCTION review_lock(p_review_id bigint) RETURNS reviews
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
	rv reviews%ROWTYPE;
BEGIN
	SELECT * INTO rv FROM reviews WHERE id = p_review_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'review % does not exist', p_review_id
			USING ERRCODE = 'P0002';
	END IF;
	PERFORM require_role(review_group(rv.kind), 'loandesk_admin');
	IF rv.state = 'closed' THEN
		RAISE EXCEPTION 'review % is closed', p_review_id
			USING ERRCODE = '55000';
	END IF;
	RETURN rv;
END
$$;

CREATE FUNCTION review_set_assignee(rv reviews, p_assignee text,
	p_action text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
	UPDATE reviews SET
		state = CASE WHEN p_assignee IS NULL THEN 'open' ELSE 'claimed' END,
		assignee = p_assignee,
		claimed_at = CASE WHEN p_assignee IS NULL THEN NULL ELSE now() END
	WHERE id = rv.id;
	IF rv.application_id IS NOT NULL THEN
		UPDATE applications SET assignee = p_assignee, updated_at = now(),
			version = version + 1
		WHERE id = rv.application_id;
		PERFORM pg_notify('applications', rv.application_id::text);
	END IF;
	PERFORM audit_record(p_action, 'review', rv.id::text,
		jsonb_build_object('kind', rv.kind,
			'application_id', rv.application_id,
			'payout_id', rv.payout_id,
			'from', rv.assignee, 'to', p_assignee));
	PERFORM pg_notify('reviews', rv.id::text);
END
$$;

CREATE FUNCTION api.review_claim(p_review_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
	rv reviews;
BEGIN
	rv := review_lock(p_review_id);
	IF rv.state = 'claimed' THEN
		RAISE EXCEPTION 'review % is already claimed by %', p_review_id,
			rv.assignee USING ERRCODE = '55000';
	END IF;
	PERFORM review_set_assignee(rv, session_user, 'review.claim');
END
$$;

CREATE FUNCTION api.review_assign(p_review_id bigint, p_assignee text)
	RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
	rv reviews;
BEGIN
	rv := review_lock(p_review_id);
	IF p_assignee IS NULL OR NOT EXISTS (SELECT 1 FROM pg_roles
			WHERE rolname = p_assignee AND rolcanlogin
			AND pg_has_role(p_assignee, review_group(rv.kind), 'MEMBER')) THEN
		RAISE EXCEPTION '% is not an operator who works % reviews',
			coalesce(p_assignee, 'null'), rv.kind
			USING ERRCODE = '22023';
	END IF;
	PERFORM review_set_assignee(rv, p_assignee, 'review.assign');
END
$$;

CREATE FUNCTION api.review_release(p_review_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
	rv reviews;
BEGIN
	rv := review_lock(p_review_id);
	IF rv.state <> 'claimed' THEN
		RAISE EXCEPTION 'review % is not claimed', p_review_id
			USING ERRCODE = '55000';
	END IF;
	IF rv.assignee <> session_user
			AND NOT pg_has_role(session_user, 'loandesk_admin', 'MEMBER') THEN
		RAISE EXCEPTION 'review % is claimed by %, not %', p_review_id,
			rv.assignee, session_user USING ERRCODE = '42501';
	END IF;
	PERFORM review_set_assignee(rv, NULL, 'review.release');
END
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA api FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION review_group(text), review_lock(bigint),
	review_set_assignee(reviews, text, text), require_role(text[])
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.application_decide(bigint, text, text, text)
	TO loandesk_risk, loandesk_admin;
GRANT EXECUTE ON FUNCTION api.review_claim(bigint), api.review_assign(bigint, text),
	api.review_release(bigint)
	TO loandesk_risk, loandesk_oncall, loandesk_admin;
