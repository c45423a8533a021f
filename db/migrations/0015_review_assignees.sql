-- A review goes only to an operator who works it.
--
-- api.review_assign(3, 'postgres') succeeded: pg_has_role is true for a
-- superuser whatever the group, and the review then belonged to a login
-- no officer could take it from.  An assignee must be a login, a member
-- of the review's group, and not a superuser (whom no group membership
-- describes).  The check moves into review_set_assignee, the one place an
-- assignee is written, so a claim (the caller becomes the assignee) is held
-- to it too.  Reviews already held by such a role go back to the queue,
-- recorded in the audit log.
--
-- CREATE OR REPLACE keeps owners and grants.

CREATE FUNCTION review_assignee_ok(p_assignee text, p_kind text)
	RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
	-- By the role's oid: a name that is no role is false, not an error.
	SELECT EXISTS (SELECT 1 FROM pg_roles r
		WHERE r.rolname = p_assignee AND r.rolcanlogin
			AND NOT r.rolsuper
			AND pg_has_role(r.oid, review_group(p_kind), 'MEMBER'))
$$;
REVOKE EXECUTE ON FUNCTION review_assignee_ok(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION review_assignee_ok(text, text) TO loandesk_api;

CREATE OR REPLACE FUNCTION review_set_assignee(rv reviews, p_assignee text,
	p_action text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
	IF p_assignee IS NOT NULL
			AND NOT review_assignee_ok(p_assignee, rv.kind) THEN
		RAISE EXCEPTION '% is not an operator who works % reviews%',
			p_assignee, rv.kind, CASE WHEN EXISTS (SELECT 1
				FROM pg_roles WHERE rolname = p_assignee
				AND rolsuper) THEN ' (a superuser is no '
				'operator)' ELSE '' END
			USING ERRCODE = CASE WHEN p_action = 'review.claim'
				THEN '42501' ELSE '22023' END;
	END IF;
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
	-- Last: the audit head is held from here to the commit.
	PERFORM audit_record(p_action, 'review', rv.id::text,
		jsonb_build_object('kind', rv.kind,
			'application_id', rv.application_id,
			'payout_id', rv.payout_id,
			'from', rv.assignee, 'to', p_assignee));
	PERFORM pg_notify('reviews', rv.id::text);
END
$$;

CREATE OR REPLACE FUNCTION api.review_assign(p_review_id bigint,
	p_assignee text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	rv reviews;
BEGIN
	rv := review_lock(p_review_id);
	PERFORM review_require_holder(rv, 'reassign it');
	IF p_assignee IS NULL OR NOT review_assignee_ok(p_assignee, rv.kind)
	THEN
		RAISE EXCEPTION '% is not an operator who works % reviews%',
			coalesce(p_assignee, 'null'), rv.kind, CASE WHEN EXISTS (
				SELECT 1 FROM pg_roles WHERE rolname = p_assignee
				AND rolsuper) THEN ' (a superuser is no '
				'operator)' ELSE '' END
			USING ERRCODE = '22023';
	END IF;
	IF rv.state = 'claimed' AND rv.assignee = p_assignee THEN
		IF p_assignee = session_user THEN
			RAISE EXCEPTION 'review % is already yours', p_review_id
				USING ERRCODE = '55000';
		END IF;
		RAISE EXCEPTION 'review % is already assigned to %', p_review_id,
			p_assignee USING ERRCODE = '55000';
	END IF;
	PERFORM review_set_assignee(rv, p_assignee, 'review.assign');
END
$$;

-- Reviews held by a role that may not hold one go back to the queue.
DO $$
DECLARE
	rv reviews%ROWTYPE;
BEGIN
	FOR rv IN SELECT * FROM reviews WHERE state = 'claimed'
			AND NOT review_assignee_ok(assignee, kind)
			ORDER BY id FOR UPDATE LOOP
		UPDATE reviews SET state = 'open', assignee = NULL,
			claimed_at = NULL
		WHERE id = rv.id;
		IF rv.application_id IS NOT NULL THEN
			UPDATE applications SET assignee = NULL,
				updated_at = now(), version = version + 1
			WHERE id = rv.application_id;
		END IF;
		PERFORM audit_record('review.release', 'review', rv.id::text,
			jsonb_build_object('kind', rv.kind,
				'application_id', rv.application_id,
				'payout_id', rv.payout_id, 'from', rv.assignee,
				'to', NULL, 'why', 'the assignee is not an '
				'operator who works these reviews (0015)'));
	END LOOP;
END
$$;
