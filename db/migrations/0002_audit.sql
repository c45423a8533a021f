-- The audit log: append-only and hash-chained.
--
-- Each row stores hash = sha256(prev_hash || canonical text of the row),
-- where the canonical text is
--   id|at in epoch microseconds|actor|action|object_type|object_id|detail
-- (detail as jsonb's text form).  db/ld_audit.c recomputes the chain
-- independently.  Rows get their id and time under a lock on audit_head,
-- so the chain order is the commit order.

CREATE TABLE audit_log (
	id bigint PRIMARY KEY,
	at timestamptz NOT NULL,
	actor text NOT NULL,
	action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{1,63}$'),
	object_type text NOT NULL,
	object_id text NOT NULL,
	detail jsonb NOT NULL DEFAULT '{}',
	prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
	hash bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id DESC);
CREATE INDEX audit_log_actor ON audit_log (actor, id DESC);
CREATE INDEX audit_log_action ON audit_log (action, id DESC);

CREATE TABLE audit_head (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	last_id bigint NOT NULL,
	last_hash bytea NOT NULL CHECK (length(last_hash) = 32)
);
INSERT INTO audit_head (last_id, last_hash) VALUES (0, decode(repeat('00', 32), 'hex'));

CREATE FUNCTION audit_canonical(p_id bigint, p_at timestamptz, p_actor text,
	p_action text, p_object_type text, p_object_id text, p_detail jsonb)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT p_id::text || '|' ||
		(extract(epoch FROM p_at) * 1000000)::bigint::text || '|' ||
		p_actor || '|' || p_action || '|' || p_object_type || '|' ||
		p_object_id || '|' || p_detail::text
$$;

CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	head audit_head%ROWTYPE;
BEGIN
	SELECT * INTO STRICT head FROM audit_head FOR UPDATE;
	NEW.id := head.last_id + 1;
	-- Microsecond precision is what the canonical text carries.
	NEW.at := date_trunc('microseconds', clock_timestamp());
	NEW.prev_hash := head.last_hash;
	NEW.hash := sha256(NEW.prev_hash || convert_to(audit_canonical(NEW.id,
		NEW.at, NEW.actor, NEW.action, NEW.object_type, NEW.object_id,
		NEW.detail), 'UTF8'));
	UPDATE audit_head SET last_id = NEW.id, last_hash = NEW.hash;
	RETURN NEW;
END
$$;

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
		USING ERRCODE = '42501';
END
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_chain();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The one way rows get in.  actor is the login role (session_user), not the
-- owner a SECURITY DEFINER function runs as.
CREATE FUNCTION audit_record(p_action text, p_object_type text,
	p_object_id text, p_detail jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
	new_id bigint;
BEGIN
	INSERT INTO audit_log (id, at, actor, action, object_type, object_id,
		detail, prev_hash, hash)
	VALUES (0, now(), session_user, p_action, p_object_type, p_object_id,
		coalesce(p_detail, '{}'), decode(repeat('00', 32), 'hex'),
		decode(repeat('00', 32), 'hex'))
	RETURNING id INTO new_id;
	RETURN new_id;
END
$$;
