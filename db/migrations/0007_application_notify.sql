-- New applications are announced, as decisions, reviews and scores are:
-- the console's list LISTENs on "applications" and refreshes in place,
-- and the scoring workers LISTEN on "applications_received".
--
-- One notification per statement, not per row: the trigger is FOR EACH
-- STATEMENT over a transition table, so a seed or intake batch of 100,000
-- rows (INSERT ... SELECT or COPY) costs one pg_notify and one scan of the
-- rows it inserted.  The payload says which ids arrived: "ID" for one row,
-- "FIRST-LAST" (lowest and highest) for several.  NOTIFY folds identical
-- notifications of one transaction into one, so a batch that also sends
-- its own NOTIFY applications_received wakes the workers once.

CREATE FUNCTION applications_notify_inserted() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
	first_id bigint;
	last_id bigint;
BEGIN
	SELECT min(id), max(id) INTO first_id, last_id FROM inserted;
	IF first_id IS NULL THEN
		RETURN NULL;
	END IF;
	PERFORM pg_notify('applications', CASE WHEN first_id = last_id
		THEN first_id::text ELSE first_id || '-' || last_id END);
	PERFORM pg_notify('applications_received', '');
	RETURN NULL;
END
$$;

CREATE TRIGGER applications_notify_inserted AFTER INSERT ON applications
	REFERENCING NEW TABLE AS inserted
	FOR EACH STATEMENT EXECUTE FUNCTION applications_notify_inserted();
