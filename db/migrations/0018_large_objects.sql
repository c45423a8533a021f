-- No large objects.  PostgreSQL lets every login create, write, read and
-- unlink large objects unless the functions are revoked from PUBLIC: a
-- risk officer stored 100 kB with lo_from_bytea.  loandesk uses none, so
-- this database revokes them all.  They belong to the bootstrap superuser:
-- a database owner who is not a superuser cannot revoke them, and is told
-- so (a WARNING names what a superuser must run, the same statements).
DO $$
DECLARE
	f regprocedure;
	missed text[] := '{}';
BEGIN
	FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
		WHERE p.pronamespace = 'pg_catalog'::regnamespace
			AND (p.proname LIKE 'lo\_%' OR p.proname IN ('loread',
				'lowrite'))
		ORDER BY p.oid::regprocedure::text
	LOOP
		IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
		THEN
			EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC',
				f);
		ELSE
			missed := missed || f::text;
		END IF;
	END LOOP;
	IF cardinality(missed) > 0 THEN
		RAISE WARNING 'large-object functions stay executable by every '
			'login: a superuser must run REVOKE EXECUTE ON FUNCTION '
			'% FROM PUBLIC', array_to_string(missed, ', ');
	END IF;
END
$$;
