-- Fixtures for the console's tests: applicants with Chinese and Latin
-- masked names, applications in every status, a model, scores with
-- contributions (one missing value), rule hits and reason codes, linked
-- applications (shared device, phone and IP), an open review, and two
-- operators: a risk officer and a finance clerk.  Sealed columns hold
-- dummy bytes; the console never reads them.
\set ON_ERROR_STOP on

CREATE ROLE ld_test_risk LOGIN IN ROLE loandesk_risk;
CREATE ROLE ld_test_fin LOGIN IN ROLE loandesk_finance;

INSERT INTO models (name, version, kind, sha256, body, feature_names, role)
VALUES ('credit_xgb', '1.3.0', 'xgboost', repeat('ab', 32), '{}',
	ARRAY['multi_apply_30d', 'prior_loans_repaid', 'device_risk'],
	'champion');

-- Named applicants 1..8.
INSERT INTO applicants (name_enc, name_bidx, name_masked, id_no_enc,
	id_no_bidx, id_no_masked, phone_enc, phone_bidx, phone_masked, openid)
SELECT '\x00'::bytea, sha256(convert_to('n' || n, 'UTF8')), nm,
	'\x00'::bytea, sha256(convert_to('i' || n, 'UTF8')), idm,
	'\x00'::bytea, sha256(convert_to('p' || ph, 'UTF8')), phm, oid
FROM (VALUES
	(1, '张*三', '110***********1234', 1, '138****0001', 'oA1'),
	(2, '欧**明', '440***********5678', 2, '139****0002', 'oA2'),
	(3, 'J*** Smith', '310***********0011', 3, '137****0003', 'oA3'),
	(4, '李*', '320***********2222', 4, '136****0004', 'oA4'),
	(5, 'Ann Lee', '330***********3333', 5, '135****0005', 'oA5'),
	-- Shares applicant 1's phone: a linked application by phone.
	(6, '王*五', '120***********4444', 1, '138****0001', 'oA6'),
	(7, '赵**', '210***********5555', 7, '133****0007', 'oA7'),
	(8, 'B** Wu', '510***********6666', 8, '132****0008', 'oA8')
) AS t (n, nm, idm, ph, phm, oid);

-- Many anonymous applicants for paging.
INSERT INTO applicants (name_enc, name_bidx, name_masked, id_no_enc,
	id_no_bidx, id_no_masked, phone_enc, phone_bidx, phone_masked, openid)
SELECT '\x00', sha256(convert_to('gn' || g, 'UTF8')), 'Anon' || g,
	'\x00', sha256(convert_to('gi' || g, 'UTF8')), '999***********' || g,
	'\x00', sha256(convert_to('gp' || g, 'UTF8')), '130****' || g,
	'g' || g
FROM generate_series(1, 300) g;

-- 300 background applications, older than the named ones.
INSERT INTO applications (applicant_id, product, amount_fen, term_months,
	rate_bps, status, submitted_at, points, pd_bps, band, recommendation,
	device_hash, ip)
SELECT 8 + g, 'cash_loan', 100000 + g * 1000, 12, 1800,
	(ARRAY['auto_approved', 'auto_rejected', 'approved',
		'rejected'])[1 + g % 4],
	now() - interval '30 days' - g * interval '1 hour',
	500 + g % 150, 900, 'C',
	(ARRAY['auto_approved', 'auto_rejected'])[1 + g % 2],
	'bg' || g, ('10.1.' || (g / 250) || '.' || (g % 250))::inet
FROM generate_series(1, 300) g;

-- The named applications, newest first as listed.  Their nominal rates
-- are within the 24% APR cap: the console's tests approve them, or ask
-- to (api.application_decide refuses an APR above the cap, 0014).
INSERT INTO applications (applicant_id, product, amount_fen, term_months,
	rate_bps, repayment, status, submitted_at, points, pd_bps, band,
	recommendation, device_hash, ip)
VALUES
	(1, 'cash_loan', 1000000, 12, 1800, 'annuity', 'manual_review',
		now() - interval '2 hours', 552, 946, 'B', 'manual_review',
		'devA', '192.0.2.10'),
	(2, 'cash_loan', 523456, 6, 2300, 'equal_principal', 'manual_review',
		now() - interval '3 hours', 498, 2210, 'D', 'manual_review',
		'devB', '192.0.2.20'),
	(3, 'consumer', 880000, 24, 1500, 'annuity', 'auto_approved',
		now() - interval '4 hours', 640, 310, 'A', 'auto_approved',
		'devC', '192.0.2.30'),
	(4, 'cash_loan', 250050, 3, 2300, 'bullet', 'auto_rejected',
		now() - interval '5 hours', 430, 4100, 'E', 'auto_rejected',
		'devA', '192.0.2.10'),
	(5, 'consumer', 12345678, 36, 1200, 'annuity', 'received',
		now() - interval '6 hours', NULL, NULL, NULL, NULL,
		'devE', '192.0.2.10'),
	(6, 'cash_loan', 300000, 12, 1800, 'annuity', 'rejected',
		now() - interval '9 days', 470, 3000, 'D', 'auto_rejected',
		'devF', '192.0.2.60'),
	(7, 'cash_loan', 700000, 12, 1800, 'annuity', 'scored',
		now() - interval '7 hours', 575, 700, 'B', 'manual_review',
		'devG', '192.0.2.70'),
	(8, 'consumer', 99999, 12, 2000, 'annuity', 'approved',
		now() - interval '8 hours', 610, 500, 'A', 'auto_approved',
		'devH', '192.0.2.80');

-- A score for each named scored application; the first carries the full
-- explanation the case screen shows.
INSERT INTO scores (application_id, model_id, probability, margin, points,
	band, decision, contributions, rules_hit, reasons)
SELECT a.id, (SELECT id FROM models WHERE name = 'credit_xgb'), 0.0946,
	-2.26, a.points, a.band, a.recommendation,
	CASE WHEN p.name_masked = '张*三' THEN '[
	 {"feature": "multi_apply_30d", "value": 1, "phi": -0.218, "points": 6.3},
	 {"feature": "prior_loans_repaid", "value": 0, "phi": 0.190, "points": -5.5},
	 {"feature": "device_risk", "value": 0, "phi": -0.176, "points": 5.1},
	 {"feature": "external_score", "value": 645, "phi": -0.142, "points": 4.1},
	 {"feature": "night_activity_ratio", "value": 0.2081, "phi": 0.142, "points": -4.1},
	 {"feature": "carrier_tenure_months", "value": null, "phi": 0.05, "points": -1.4}
	]'::jsonb ELSE '[{"feature": "income_monthly", "value": 8000, "phi": -0.1, "points": 2.9}]'::jsonb END,
	CASE WHEN p.name_masked = '张*三' THEN '[
	 {"id": "R_MULTI_APPLY", "version": 3, "action": "refer", "text": "多头申请 3+ in 30 days", "inputs": {"multi_apply_30d": 4}},
	 {"id": "R_DEVICE_SHARED", "version": "2", "action": "info", "text": "device seen on 2 applicants"}
	]'::jsonb ELSE '[]'::jsonb END,
	CASE WHEN p.name_masked = '张*三' THEN '[
	 {"code": "PRIOR_NONE", "feature": "prior_loans_repaid", "text_zh": "无历史还款记录", "text_en": "no repaid loans on record"},
	 {"code": "NIGHT_ACTIVITY", "feature": "night_activity_ratio", "text_zh": "夜间活跃度高", "text_en": "much night-time activity"}
	]'::jsonb ELSE '[]'::jsonb END
FROM applications a JOIN applicants p ON p.id = a.applicant_id
WHERE a.applicant_id <= 8 AND a.points IS NOT NULL;
UPDATE applications a SET score_id = s.id FROM scores s
WHERE s.application_id = a.id;

-- An open review for 欧**明's application.
INSERT INTO reviews (kind, application_id, reason, opened_at)
SELECT 'application', a.id, 'SECOND_OPINION', now() - interval '3 hours'
FROM applications a WHERE a.applicant_id = 2;
ANALYZE;
