-- Who may change a review, and the indexes of the review queue.
--
-- 1. One rule for the three review functions.  A claimed review belongs
--    to its assignee: only the assignee or a member of loandesk_admin may
--    release it or assign it to someone else.  Anyone in the review's
--    group may claim an open review, or assign it to a colleague to
--    share out the work.  Until now review_release checked the holder but
--    review_assign did not, so an officer refused `release` on a
--    colleague's review could take it over by assigning it to themselves.
-- 2. Claiming a review the caller already holds says so ("already yours")
--    instead of naming the caller as a stranger would read it, and
--    assigning a review to the one who holds it is refused rather than
--    written to the audit log as a change that changed nothing.
-- 3. The console lists the operator's own claimed reviews first, then the
--    open ones oldest first, then those others hold.  The first part is
--    read from reviews_claimed_by, the others in order from
--    reviews_state_opened, so the rows shown are not found by sorting
--    the whole queue.
--
-- CREATE OR REPLACE keeps the functions' owner (loandesk_api, 0009) and
-- their grants; the new helper, like review_lock, runs as its caller.

-- 1. The holder's rule -------------------------------------------------

CREATE FUNCTION review_require_holder(rv reviews, p_what text)
	RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
	IF rv.state = 'claimed' AND rv.assignee IS DISTINCT FROM session_user
			AND NOT pg_has_role(session_user, 'loandesk_admin',
				'MEMBER') THEN
		RAISE EXCEPTION 'review % is claimed by %: only % or an admin '
			'may %', rv.id, rv.assignee, rv.assignee, p_what
			USING ERRCODE = '42501';
	END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION review_require_holder(reviews, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION review_require_holder(reviews, text)
	TO loandesk_api;

CREATE OR REPLACE FUNCTION api.review_claim(p_review_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	rv reviews;
BEGIN
	rv := review_lock(p_review_id);
	IF rv.state = 'claimed' AND rv.assignee = session_user THEN
		RAISE EXCEPTION 'review % is already yours', p_review_id
			USING ERRCODE = '55000';
	END IF;
	IF rv.state = 'claimed' THEN
		RAISE EXCEPTION 'review % is already claimed by %', p_review_id,
			rv.assignee USING ERRCODE = '55000';
	END IF;
	PERFORM review_set_assignee(rv, session_user, 'review.claim');
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
	-- By the role's oid: a name that is no role is the 22023 below, not
	-- pg_has_role's "role does not exist" (0008).
	IF p_assignee IS NULL OR NOT EXISTS (SELECT 1 FROM pg_roles r
			WHERE r.rolname = p_assignee AND r.rolcanlogin
			AND pg_has_role(r.oid, review_group(rv.kind), 'MEMBER')) THEN
		RAISE EXCEPTION '% is not an operator who works % reviews',
			coalesce(p_assignee, 'null'), rv.kind
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

CREATE OR REPLACE FUNCTION api.review_release(p_review_id bigint)
	RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	rv reviews;
BEGIN
	rv := review_lock(p_review_id);
	IF rv.state <> 'claimed' THEN
		RAISE EXCEPTION 'review % is not claimed', p_review_id
			USING ERRCODE = '55000';
	END IF;
	PERFORM review_require_holder(rv, 'release it');
	PERFORM review_set_assignee(rv, NULL, 'review.release');
END
$$;

-- 3. The queue's indexes -------------------------------------------------

-- The operator's own: state = 'claimed' AND assignee = current_user.
CREATE INDEX reviews_claimed_by ON reviews (assignee, opened_at, id)
	WHERE state = 'claimed';
-- Open ones, and those claimed by others, oldest first across kinds
-- (reviews_open leads with kind, which serves a queue of one kind only).
CREATE INDEX reviews_state_opened ON reviews (state, opened_at, id)
	WHERE state <> 'closed';
-- Every review of an application, closed ones too: the case timeline
-- finds the audit rows of its reviews through this (reviews_one_open_per_
-- application holds only the open one).
CREATE INDEX reviews_application ON reviews (application_id, id)
	WHERE application_id IS NOT NULL;
