-- The reference for the scoring worker's benchmark: the worker's write
-- transaction without the risk engine, one statement per batch as the
-- worker's.  Claims :batch received applications with FOR UPDATE SKIP
-- LOCKED; inserts each one's score with the very documents the worker
-- wrote for it (contributions, rule hits, reasons: kept as text in
-- bench_docs and parsed here, as the server parses the worker's batch
-- document); copies the decision onto the application; appends the same
-- audit record to the hash chain, sends a NOTIFY each and opens a review
-- case for each manual_review.  What it leaves out is the worker's own
-- work: reading the payloads and the shared-device counts, features,
-- rules, model, TreeSHAP, reasons, policy.  bench_worker.sh fills
-- bench_docs from an earlier run of the worker over the same queue.
WITH c AS (
	SELECT id FROM applications WHERE status = 'received'
	ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED),
ins AS (
	INSERT INTO scores (application_id, model_id, shadow, probability,
		margin, points, band, decision, contributions, rules_hit,
		reasons, inputs_sha256)
	SELECT c.id, d.model_id, false, d.probability, d.margin, d.points,
		d.band, d.decision, d.contributions::jsonb, d.rules_hit::jsonb,
		d.reasons::jsonb, d.inputs_sha256
	FROM c JOIN bench_docs d ON d.application_id = c.id
	ORDER BY c.id
	RETURNING id, application_id),
upd AS (
	UPDATE applications a SET status = d.decision, score_id = ins.id,
		points = d.points, pd_bps = d.pd_bps, band = d.band,
		recommendation = d.decision, updated_at = now(),
		version = a.version + 1
	FROM ins JOIN bench_docs d ON d.application_id = ins.application_id
	WHERE a.id = ins.application_id AND a.status = 'received'
	RETURNING a.id, ins.id AS score_id, d.decision, d.audit,
		d.review_reason, d.review_note)
SELECT count(*) FROM (
	SELECT api.application_scored(u.id, u.score_id, u.audit::jsonb,
		u.review_reason, u.review_note),
		pg_notify('applications', u.id::text)
	FROM (SELECT * FROM upd ORDER BY id) u) z;
