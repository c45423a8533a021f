-- loandesk schema: the single source of truth and the work queue.
-- Money is bigint fen with CHECKs; rates are basis points; personal data is
-- stored only sealed (AES-256-GCM, see src/common/ld_pii.h) with an HMAC
-- blind index for equality search and a masked form for screens.

CREATE TABLE settings (
	key text PRIMARY KEY,
	value jsonb NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now(),
	updated_by text NOT NULL DEFAULT session_user
);
INSERT INTO settings (key, value) VALUES
	('payouts_paused', 'false'),
	('per_transfer_max_fen', '2000000'),
	('per_user_daily_max_fen', '5000000'),
	('merchant_daily_max_fen', '10000000000'),
	('four_eyes_threshold_fen', '0'),
	('balance_alert_fen', '100000000');

-- Reason codes operators pick when they decide; the console's picker and
-- the api functions read the same table.
CREATE TABLE decision_reasons (
	code text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{1,31}$'),
	applies_to text[] NOT NULL
		CHECK (applies_to <@ ARRAY['approve', 'reject', 'review']::text[]),
	text_zh text NOT NULL,
	text_en text NOT NULL
);
INSERT INTO decision_reasons (code, applies_to, text_zh, text_en) VALUES
	('MODEL_AGREE', '{approve,reject}', '同意模型建议', 'Agree with the model recommendation'),
	('VERIFIED_INCOME', '{approve}', '收入已核实', 'Income verified'),
	('VERIFIED_IDENTITY', '{approve}', '身份已核实', 'Identity verified by call-back'),
	('GOOD_HISTORY', '{approve}', '历史还款良好', 'Good repayment history'),
	('FRAUD_SUSPECTED', '{reject,review}', '疑似欺诈', 'Fraud suspected'),
	('DEVICE_SHARED', '{reject,review}', '设备被多人共用', 'Device shared by several applicants'),
	('INCOME_INSUFFICIENT', '{reject}', '收入不足以覆盖还款', 'Income does not cover repayments'),
	('DEBT_BURDEN', '{reject}', '多头借贷负担过重', 'Too many concurrent loans'),
	('BLACKLISTED', '{reject}', '命中黑名单', 'On a blacklist'),
	('UNDERAGE', '{reject}', '未满十八周岁', 'Under 18'),
	('DOCS_NEEDED', '{review}', '需要补充材料', 'More documents needed'),
	('SECOND_OPINION', '{review}', '需要复核', 'Second opinion wanted'),
	('OTHER', '{approve,reject,review}', '其他（见备注）', 'Other (see note)');

CREATE TABLE applicants (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name_enc bytea NOT NULL,
	name_bidx bytea NOT NULL CHECK (length(name_bidx) = 32),
	name_masked text NOT NULL,
	id_no_enc bytea NOT NULL,
	id_no_bidx bytea NOT NULL CHECK (length(id_no_bidx) = 32),
	id_no_masked text NOT NULL,
	phone_enc bytea NOT NULL,
	phone_bidx bytea NOT NULL CHECK (length(phone_bidx) = 32),
	phone_masked text NOT NULL,
	openid text NOT NULL CHECK (openid ~ '^[A-Za-z0-9_-]{1,128}$'),
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX applicants_id_no_bidx ON applicants (id_no_bidx);
CREATE INDEX applicants_phone_bidx ON applicants (phone_bidx);
CREATE INDEX applicants_openid ON applicants (openid);

CREATE TABLE applications (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	applicant_id bigint NOT NULL REFERENCES applicants (id),
	product text NOT NULL CHECK (product ~ '^[a-z0-9_]{1,32}$'),
	amount_fen bigint NOT NULL CHECK (amount_fen > 0 AND amount_fen <= 10000000000000),
	term_months integer NOT NULL CHECK (term_months BETWEEN 1 AND 60),
	-- Nominal annual rate; the console derives the IRR-based APR.
	rate_bps integer NOT NULL CHECK (rate_bps BETWEEN 0 AND 3600),
	repayment text NOT NULL DEFAULT 'annuity'
		CHECK (repayment IN ('annuity', 'equal_principal', 'bullet')),
	status text NOT NULL DEFAULT 'received' CHECK (status IN (
		'received', 'scored', 'auto_approved', 'auto_rejected',
		'manual_review', 'approved', 'rejected')),
	-- Links between applications: a device fingerprint hash and the IP
	-- the application came from.
	device_hash text,
	ip inet,
	submitted_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	-- The champion score, copied here so lists sort and page on it.
	score_id bigint,
	points integer,
	pd_bps integer CHECK (pd_bps BETWEEN 0 AND 10000),
	band text,
	recommendation text CHECK (recommendation IN
		('auto_approved', 'auto_rejected', 'manual_review')),
	decided_at timestamptz,
	decided_by text,
	decision_reason text REFERENCES decision_reasons (code),
	decision_note text,
	assignee text,
	version integer NOT NULL DEFAULT 0
);
-- Keyset pagination for each ordering the console offers.
CREATE INDEX applications_submitted ON applications (submitted_at DESC, id DESC);
CREATE INDEX applications_status_submitted ON applications (status, submitted_at DESC, id DESC);
CREATE INDEX applications_amount ON applications (amount_fen DESC, id DESC);
CREATE INDEX applications_points ON applications (points, id);
CREATE INDEX applications_applicant ON applications (applicant_id);
CREATE INDEX applications_device ON applications (device_hash) WHERE device_hash IS NOT NULL;
CREATE INDEX applications_ip ON applications (ip) WHERE ip IS NOT NULL;
-- The scoring queue.
CREATE INDEX applications_received ON applications (id) WHERE status = 'received';

CREATE TABLE alt_data (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	application_id bigint NOT NULL REFERENCES applications (id),
	source text NOT NULL CHECK (source IN ('carrier', 'device', 'behaviour',
		'third_party', 'application', 'history', 'contacts')),
	payload jsonb NOT NULL,
	fetched_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (application_id, source)
);

CREATE TABLE models (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL,
	version text NOT NULL,
	kind text NOT NULL CHECK (kind IN ('xgboost', 'scorecard')),
	sha256 text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	body text NOT NULL,
	feature_names text[] NOT NULL,
	role text NOT NULL DEFAULT 'registered'
		CHECK (role IN ('registered', 'champion', 'challenger', 'retired')),
	registered_at timestamptz NOT NULL DEFAULT now(),
	registered_by text NOT NULL DEFAULT session_user,
	activated_at timestamptz,
	activated_by text,
	UNIQUE (name, version)
);
CREATE UNIQUE INDEX models_one_champion ON models (role) WHERE role = 'champion';
CREATE UNIQUE INDEX models_one_challenger ON models (role) WHERE role = 'challenger';

CREATE TABLE scores (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	application_id bigint NOT NULL REFERENCES applications (id),
	model_id bigint REFERENCES models (id),
	shadow boolean NOT NULL DEFAULT false,
	probability double precision CHECK (probability BETWEEN 0 AND 1),
	margin double precision,
	points integer,
	band text,
	decision text NOT NULL CHECK (decision IN
		('auto_approved', 'auto_rejected', 'manual_review')),
	contributions jsonb NOT NULL DEFAULT '[]',
	rules_hit jsonb NOT NULL DEFAULT '[]',
	reasons jsonb NOT NULL DEFAULT '[]',
	inputs_sha256 text,
	error text,
	pre_assessment boolean NOT NULL DEFAULT false,
	scored_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scores_application ON scores (application_id, scored_at DESC);
CREATE INDEX scores_reuse ON scores (inputs_sha256, model_id) WHERE NOT shadow;

CREATE TABLE payouts (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	application_id bigint NOT NULL UNIQUE REFERENCES applications (id),
	amount_fen bigint NOT NULL CHECK (amount_fen > 0 AND amount_fen <= 10000000000000),
	state text NOT NULL DEFAULT 'requested' CHECK (state IN (
		'requested', 'approved', 'sending', 'accepted', 'processing',
		'wait_user_confirm', 'transferring', 'succeeded', 'failed',
		'cancelled', 'unknown', 'held')),
	requested_at timestamptz NOT NULL DEFAULT now(),
	requested_by text NOT NULL,
	approved_at timestamptz,
	approved_by text,
	hold_reason text,
	updated_at timestamptz NOT NULL DEFAULT now(),
	version integer NOT NULL DEFAULT 0,
	-- Four eyes: whoever asked for the money cannot release it.
	CHECK (approved_by IS NULL OR approved_by <> requested_by)
);
CREATE INDEX payouts_state ON payouts (state, updated_at DESC, id DESC);
CREATE INDEX payouts_updated ON payouts (updated_at DESC, id DESC);

CREATE TABLE transfer_bills (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	payout_id bigint NOT NULL REFERENCES payouts (id),
	seq integer NOT NULL CHECK (seq >= 1),
	-- The idempotency key WeChat Pay sees; retries reuse it.
	out_bill_no text NOT NULL UNIQUE CHECK (out_bill_no ~ '^[A-Za-z0-9]{5,32}$'),
	amount_fen bigint NOT NULL CHECK (amount_fen > 0),
	openid text NOT NULL,
	state text NOT NULL DEFAULT 'pending' CHECK (state IN (
		'pending', 'sending', 'accepted', 'processing',
		'wait_user_confirm', 'transferring', 'success', 'fail',
		'cancelling', 'cancelled', 'unknown', 'held')),
	transfer_bill_no text,
	package_info text,
	attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	last_error_code text,
	last_error_text text,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (payout_id, seq)
);
CREATE INDEX transfer_bills_due ON transfer_bills (next_attempt_at, id)
	WHERE state IN ('pending', 'unknown', 'accepted', 'processing',
		'wait_user_confirm', 'transferring', 'held');

CREATE TABLE payout_attempts (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	bill_id bigint NOT NULL REFERENCES transfer_bills (id),
	attempt_no integer NOT NULL,
	kind text NOT NULL CHECK (kind IN ('create', 'query', 'cancel')),
	started_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz,
	http_status integer,
	outcome text NOT NULL CHECK (outcome IN ('success', 'pending',
		'retry', 'hold', 'final_failure', 'unknown')),
	error_code text,
	-- The exchange as sent and received, minus secrets, for on-call.
	request_body text,
	response_body text,
	UNIQUE (bill_id, kind, attempt_no)
);

CREATE TABLE reviews (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind text NOT NULL CHECK (kind IN ('application', 'payout')),
	application_id bigint REFERENCES applications (id),
	payout_id bigint REFERENCES payouts (id),
	reason text NOT NULL,
	state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'claimed', 'closed')),
	assignee text,
	opened_at timestamptz NOT NULL DEFAULT now(),
	claimed_at timestamptz,
	closed_at timestamptz,
	resolution text,
	note text,
	CHECK ((kind = 'application') = (application_id IS NOT NULL)),
	CHECK ((kind = 'payout') = (payout_id IS NOT NULL))
);
CREATE INDEX reviews_open ON reviews (kind, opened_at, id) WHERE state <> 'closed';
CREATE UNIQUE INDEX reviews_one_open_per_application ON reviews (application_id)
	WHERE state <> 'closed' AND kind = 'application';
CREATE UNIQUE INDEX reviews_one_open_per_payout ON reviews (payout_id)
	WHERE state <> 'closed' AND kind = 'payout';
