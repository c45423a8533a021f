-- The audit log: ids a verifier cannot miss, and a head no idle session
-- can hold forever.
--
-- 1. `loandesk audit verify` read "WHERE id > last id" from 0, so a row a
--    superuser slipped in with id -5 (triggers off) was never looked at,
--    while the case timeline showed it.  The verifier now reads every row
--    (db/ld_audit.c); here ids below 1 become impossible.
-- 2. Every audited change locks the one audit_head row until its
--    transaction ends.  An operator who ran `BEGIN; SELECT
--    api.review_claim(8);` in psql and walked away stalled scoring and
--    every other decision for as long.  Role settings would not help: the
--    group roles are NOLOGIN and a login does not inherit their ALTER ROLE
--    ... SET.  So audit_record, which every audited change goes through,
--    sets for the rest of its caller's transaction an
--    idle_in_transaction_session_timeout (the server ends a session that
--    holds the head and sits idle) and a lock_timeout (a writer waiting
--    for the head gives up with SQLSTATE 55P03, which the daemon retries
--    and the console reports, naming who holds it: audit_head_holders).
--    The api functions take the same limits before their first row lock
--    (review_lock here; application_decide in 0014, pii_reveal in 0016).
--    Both are settings (audit_idle_timeout_ms, lock_timeout_ms).  A
--    caller may still SET them back inside its own transaction: this
--    stops the accident, not a hostile operator; see docs/audit-head.md
--    for the design that removes the single head.

DO $$
DECLARE
	n bigint;
	ids text;
BEGIN
	SELECT count(*), string_agg(id::text, ', ' ORDER BY id)
	INTO n, ids FROM (SELECT id FROM audit_log WHERE id < 1
		ORDER BY id LIMIT 10) x;
	IF n > 0 THEN
		RAISE EXCEPTION 'audit_log holds rows with ids below 1 (%): '
			'they are not part of the chain; investigate them '
			'(loandesk audit verify names them) before migrating',
			ids USING ERRCODE = '23514';
	END IF;
END
$$;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_id_positive CHECK (id > 0);

INSERT INTO settings (key, value) VALUES
	('lock_timeout_ms', '5000'),
	('audit_idle_timeout_ms', '15000');

-- The limits for the rest of the caller's transaction (set_config with
-- is_local outlives the function: only variables a function's own SET
-- clause names are put back at its exit).
CREATE FUNCTION session_limits() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	v_lock text;
	v_idle text;
BEGIN
	SELECT max(CASE WHEN key = 'lock_timeout_ms' THEN value #>> '{}' END),
		max(CASE WHEN key = 'audit_idle_timeout_ms'
			THEN value #>> '{}' END)
	INTO v_lock, v_idle FROM settings
	WHERE key IN ('lock_timeout_ms', 'audit_idle_timeout_ms');
	PERFORM set_config('lock_timeout', coalesce(v_lock, '5000') || 'ms',
		true);
	PERFORM set_config('idle_in_transaction_session_timeout',
		coalesce(v_idle, '15000') || 'ms', true);
END
$$;
REVOKE EXECUTE ON FUNCTION session_limits() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION session_limits() TO loandesk_api;

CREATE OR REPLACE FUNCTION audit_record(p_action text, p_object_type text,
	p_object_id text, p_detail jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	new_id bigint;
BEGIN
	PERFORM session_limits();
	INSERT INTO audit_log (id, at, actor, action, object_type, object_id,
		detail, prev_hash, hash)
	VALUES (0, now(), session_user, p_action, p_object_type, p_object_id,
		coalesce(p_detail, '{}'), decode(repeat('00', 32), 'hex'),
		decode(repeat('00', 32), 'hex'))
	RETURNING id INTO new_id;
	RETURN new_id;
END
$$;

-- The review functions lock their row first, in review_lock; the limits
-- come before it.
CREATE OR REPLACE FUNCTION review_lock(p_review_id bigint) RETURNS reviews
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	rv reviews%ROWTYPE;
BEGIN
	PERFORM session_limits();
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

-- Who holds the audit head now: the sessions, other than the caller's,
-- whose open transaction has appended an audit row (it locked and
-- updated the head), and, where the caller may see it, how long they
-- have been in which state.  NULL when none.  For the message of a lock
-- timeout; pg_locks and pg_stat_activity are readable by every login,
-- the state of another login's session only with pg_read_all_stats.
CREATE FUNCTION audit_head_holders() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT string_agg(format('%s (pid %s%s)', a.usename, a.pid,
		CASE WHEN a.state IS NOT NULL THEN format(', %s for %s s',
			a.state, extract(epoch FROM now() -
			coalesce(a.state_change, a.xact_start))::bigint)
		ELSE '' END), ', ' ORDER BY a.pid)
	FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	WHERE l.locktype = 'relation' AND l.granted
		AND l.relation = 'public.audit_head'::regclass
		AND l.database = (SELECT oid FROM pg_database
			WHERE datname = current_database())
		AND l.mode IN ('RowShareLock', 'RowExclusiveLock')
		AND l.pid <> pg_backend_pid()
$$;
REVOKE EXECUTE ON FUNCTION audit_head_holders() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_head_holders() TO loandesk_risk,
	loandesk_finance, loandesk_oncall, loandesk_admin, loandesk_daemon;
