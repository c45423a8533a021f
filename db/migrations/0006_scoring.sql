-- Scoring: the shared-device count, pre-assessment, and the manual-review
-- case the worker opens with its decision.

-- The scoring worker counts, for each application it claims, the distinct
-- applicants whose applications came from the same device fingerprint in
-- the 24 hours up to it (feature device_shared_applicants_24h, rule R003).
-- It never trusts a payload for that; this index answers it for a whole
-- batch with index-only scans.
CREATE INDEX applications_device_time ON applications (device_hash, submitted_at)
	INCLUDE (applicant_id) WHERE device_hash IS NOT NULL;

-- Alternative data collected for an applicant before any application (the
-- app's onboarding: carrier, device, behaviour, bureau, a profile with age
-- and declared income), one current payload per source.  The same payload
-- formats as alt_data (src/risk/risk_features.h).
CREATE TABLE applicant_alt_data (
	applicant_id bigint NOT NULL REFERENCES applicants (id),
	source text NOT NULL CHECK (source IN ('carrier', 'device', 'behaviour',
		'third_party', 'application', 'history', 'contacts')),
	payload jsonb NOT NULL,
	fetched_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (applicant_id, source)
);

-- A champion score of an applicant's alternative data taken before the
-- borrower asks for money (loandesk score pre).  inputs_sha256 covers the
-- model's sha256 and the values of the model's own features; when an
-- application's inputs hash to the same value under the same model, the
-- worker takes this score (probability, points, explanation) instead of
-- running the model, and runs the rules and the policy, which also read
-- the amount, as usual.
CREATE TABLE pre_assessments (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	applicant_id bigint NOT NULL REFERENCES applicants (id),
	model_id bigint NOT NULL REFERENCES models (id),
	inputs_sha256 text NOT NULL CHECK (inputs_sha256 ~ '^[0-9a-f]{64}$'),
	probability double precision NOT NULL CHECK (probability BETWEEN 0 AND 1),
	margin double precision NOT NULL,
	points integer NOT NULL,
	band text NOT NULL,
	contributions jsonb NOT NULL,
	reasons jsonb NOT NULL,
	scored_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pre_assessments_reuse ON pre_assessments
	(applicant_id, inputs_sha256, model_id, id DESC);

-- The one way a manual-review case for an application is opened: by an
-- officer (api.application_decide with 'review') or by the scoring worker
-- when its decision is manual_review, in the caller's transaction.  The
-- caller has checked the application and records the audit row of the
-- decision that led here.  An application has at most one open case; if
-- one is open already (an application put back in the queue and scored
-- again), that case stands and its id is returned.
CREATE FUNCTION review_open_application(p_application_id bigint,
	p_reason text, p_note text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
	v_id bigint;
BEGIN
	INSERT INTO reviews (kind, application_id, reason, note)
	VALUES ('application', p_application_id, p_reason, p_note)
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
REVOKE EXECUTE ON FUNCTION review_open_application(bigint, text, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION review_open_application(bigint, text, text)
	TO loandesk_daemon;

-- As in 0004, except that the review is opened by review_open_application.
CREATE OR REPLACE FUNCTION api.application_decide(p_id bigint, p_decision text,
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

-- What the daemon reads and writes for pre-assessment; officers see it as
-- they see scores.
GRANT SELECT, INSERT, UPDATE ON applicant_alt_data, pre_assessments
	TO loandesk_daemon;
GRANT SELECT ON applicant_alt_data, pre_assessments
	TO loandesk_risk, loandesk_admin;
