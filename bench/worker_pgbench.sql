-- The reference for the scoring worker's benchmark: the same write
-- transaction without the risk engine.  Claims :batch received
-- applications with FOR UPDATE SKIP LOCKED, inserts a score row per
-- application (with an explanation document of the size the worker
-- writes), copies the decision onto the application, appends an audit
-- record per application to the hash chain and sends a NOTIFY each: what
-- loandeskd does per batch, minus features, model and contributions.
-- bench_doc holds one real score's documents (see bench_worker.sh).
WITH c AS (
	SELECT id FROM applications WHERE status = 'received'
	ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED),
ins AS (
	INSERT INTO scores (application_id, model_id, shadow, probability,
		margin, points, band, decision, contributions, rules_hit,
		reasons, inputs_sha256)
	SELECT c.id, d.model_id, false, d.probability, d.margin, d.points,
		d.band, d.decision, d.contributions, d.rules_hit, d.reasons,
		d.inputs_sha256
	FROM c CROSS JOIN bench_doc d
	RETURNING id, application_id, decision, points, band, probability),
upd AS (
	UPDATE applications a SET status = ins.decision, score_id = ins.id,
		points = ins.points, pd_bps = round(ins.probability * 10000),
		band = ins.band, recommendation = ins.decision,
		updated_at = now(), version = a.version + 1
	FROM ins WHERE a.id = ins.application_id AND a.status = 'received'
	RETURNING a.id, ins.id AS score_id, ins.decision)
SELECT count(*) FROM (
	SELECT audit_record('application.scored', 'application', u.id::text,
		jsonb_build_object('decision', u.decision, 'score_id',
		u.score_id)),
		pg_notify('applications', u.id::text)
	FROM (SELECT * FROM upd ORDER BY id) u) z;
