-- Whether the applicant is told a reason.  PIPL art. 24 gives a person the
-- main reasons for a decision made about them by automated means; a
-- suspicion of fraud, and the signals that raise it, are not told, since
-- telling them shows a fraudster what to hide.  The console's confirmation
-- says which it is, and `loandesk apps explain` gives a borrower only the
-- reasons that are told.
ALTER TABLE decision_reasons
	ADD COLUMN disclosed boolean NOT NULL DEFAULT true;
COMMENT ON COLUMN decision_reasons.disclosed IS
	'the applicant is told this reason (PIPL art. 24); false for fraud';
UPDATE decision_reasons SET disclosed = false
	WHERE code IN ('FRAUD_SUSPECTED', 'DEVICE_SHARED');

-- The fraud signals among the model's reason codes (etc/reason_codes.tsv)
-- that officers do not pick (applies to no decision), so that their
-- disclosure is decided here too.  Other model codes are told.
INSERT INTO decision_reasons (code, applies_to, text_zh, text_en, disclosed)
VALUES
	('DEVICE_TAMPERED', '{}', '设备环境异常（模拟器或root）',
		'Unusual device (emulator or rooted)', false),
	('DEVICE_RISK', '{}', '设备风险评分偏高', 'Device risk score is high',
		false),
	('FORM_FILL_TIME', '{}', '填表用时异常',
		'Unusual time taken to fill in the form', false);
