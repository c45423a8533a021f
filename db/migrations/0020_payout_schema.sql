-- The payout engine's schema: the state tables of src/payout/payout.h, the
-- columns the engine needs on payouts, transfer_bills, payout_attempts and
-- reviews, the kill switch, limits, balance readings and alerts, daemon
-- heartbeats, reconciliation, and the pure helpers (splitting, out_bill_no,
-- the Beijing day, the limit check, the roll-up) that mirror src/payout.
-- docs/payouts.md explains it all; tests/test_db_payout.c compares every
-- mirror with the C code.

-- 1. States and transitions, as in src/payout/payout.h --------------------

CREATE TABLE payout_states (
	state text PRIMARY KEY,
	display text NOT NULL,
	terminal boolean NOT NULL
);
INSERT INTO payout_states (state, display, terminal) VALUES
	('requested', 'waiting for finance approval', false),
	('approved', 'approved; no bill has left yet', false),
	('sending', 'bills on their way to WeChat Pay', false),
	('held', 'held by a person; nothing new is sent', false),
	('succeeded', 'every bill paid', true),
	('failed', 'a bill failed for good; a person decides (review open)', false),
	('cancelled', 'cancelled; nothing more is sent', true);

CREATE TABLE payout_transitions (
	from_state text NOT NULL REFERENCES payout_states (state),
	to_state text NOT NULL REFERENCES payout_states (state),
	PRIMARY KEY (from_state, to_state)
);
INSERT INTO payout_transitions (from_state, to_state) VALUES
	('requested', 'approved'), ('requested', 'cancelled'),
	('approved', 'sending'), ('approved', 'held'), ('approved', 'cancelled'),
	('sending', 'held'), ('sending', 'succeeded'), ('sending', 'failed'),
	('sending', 'cancelled'),
	('held', 'approved'), ('held', 'sending'), ('held', 'succeeded'),
	('held', 'failed'), ('held', 'cancelled'),
	('failed', 'approved'), ('failed', 'sending'), ('failed', 'held'),
	('failed', 'cancelled');

CREATE TABLE payout_bill_states (
	state text PRIMARY KEY,
	display text NOT NULL,
	terminal boolean NOT NULL,
	rank integer NOT NULL,
	in_flight boolean NOT NULL,
	counts boolean NOT NULL
);
INSERT INTO payout_bill_states VALUES
	('pending', 'to be sent', false, 0, false, false),
	('held', 'not sent until its hold is lifted', false, 0, false, false),
	('sending', 'create request stored and leaving', false, 0, true, true),
	('unknown', 'may be at WeChat Pay: query by out_bill_no', false, 1, true, true),
	('accepted', 'accepted by WeChat Pay', false, 2, true, true),
	('processing', 'WeChat Pay locking funds', false, 3, true, true),
	('wait_user_confirm', 'waiting for the borrower to confirm', false, 4, true, true),
	('transferring', 'confirmed, money moving', false, 5, true, true),
	('cancelling', 'cancel accepted, in progress', false, 5, true, true),
	('success', 'paid', true, 9, false, true),
	('fail', 'failed; the number is closed', true, 9, false, false),
	('cancelled', 'cancelled; nothing was paid', true, 9, false, false);

CREATE TABLE payout_bill_transitions (
	from_state text NOT NULL REFERENCES payout_bill_states (state),
	to_state text NOT NULL REFERENCES payout_bill_states (state),
	PRIMARY KEY (from_state, to_state)
);
INSERT INTO payout_bill_transitions (from_state, to_state) VALUES
	('pending', 'sending'), ('pending', 'held'), ('pending', 'cancelled'),
	('held', 'pending'), ('held', 'cancelled'),
	('sending', 'pending'), ('sending', 'held'), ('sending', 'unknown'),
	('sending', 'accepted'), ('sending', 'processing'),
	('sending', 'wait_user_confirm'), ('sending', 'transferring'),
	('sending', 'cancelling'), ('sending', 'success'), ('sending', 'fail'),
	('sending', 'cancelled'),
	('unknown', 'accepted'), ('unknown', 'processing'),
	('unknown', 'wait_user_confirm'), ('unknown', 'transferring'),
	('unknown', 'cancelling'), ('unknown', 'success'), ('unknown', 'fail'),
	('unknown', 'cancelled'),
	('accepted', 'processing'), ('accepted', 'wait_user_confirm'),
	('accepted', 'transferring'), ('accepted', 'cancelling'),
	('accepted', 'success'), ('accepted', 'fail'), ('accepted', 'cancelled'),
	('processing', 'wait_user_confirm'), ('processing', 'transferring'),
	('processing', 'cancelling'), ('processing', 'success'),
	('processing', 'fail'), ('processing', 'cancelled'),
	('wait_user_confirm', 'transferring'), ('wait_user_confirm', 'cancelling'),
	('wait_user_confirm', 'success'), ('wait_user_confirm', 'fail'),
	('wait_user_confirm', 'cancelled'),
	('transferring', 'success'), ('transferring', 'fail'),
	('cancelling', 'success'), ('cancelling', 'fail'),
	('cancelling', 'cancelled');

CREATE TABLE payout_holds (
	hold text PRIMARY KEY,
	display text NOT NULL,
	released text NOT NULL
);
INSERT INTO payout_holds VALUES
	('per_user_daily_max_fen', 'the borrower''s daily limit', 'after Beijing midnight'),
	('merchant_daily_max_fen', 'the merchant''s daily limit', 'after Beijing midnight'),
	('channel_balance', 'the operating account''s balance is too low', 'when a balance reading shows enough'),
	('wechat_limit', 'WeChat Pay''s daily limit (nothing was accepted)', 'after Beijing midnight'),
	('refused', 'WeChat Pay refused the request (nothing was accepted)', 'when a person releases the payout');

CREATE TABLE payout_actions (
	action text PRIMARY KEY,
	display text NOT NULL
);
INSERT INTO payout_actions VALUES
	('none', 'nothing: wait for a callback, the hold''s end or a person'),
	('create', 'send the create request (the stored body once there is one)'),
	('query', 'query by out_bill_no'),
	('cancel', 'ask WeChat Pay to cancel the bill');

-- 2. Settings the database decides from ----------------------------------
--
-- The limits live here, not only in the configuration, so that every
-- function and every daemon applies the same figures in the transaction
-- that moves the money.  The kill switch moves to payout_control (who,
-- when, why); its old settings row goes.

INSERT INTO settings (key, value) VALUES
	('min_transfer_fen', '10'),
	('out_bill_prefix', '"LD"'),
	('payout_lease_s', '120')
ON CONFLICT (key) DO NOTHING;
DELETE FROM settings WHERE key = 'payouts_paused';

-- A setting as bigint fen (or seconds), refused by name when it is
-- missing or not a whole number.
CREATE FUNCTION payout_setting_int(p_key text) RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	v jsonb;
BEGIN
	SELECT value INTO v FROM settings WHERE key = p_key;
	IF v IS NULL OR jsonb_typeof(v) <> 'number'
			OR (v #>> '{}') !~ '^[0-9]{1,19}$' THEN
		RAISE EXCEPTION 'setting % must be a whole number, not %', p_key,
			coalesce(v::text, 'missing') USING ERRCODE = '22023';
	END IF;
	RETURN (v #>> '{}')::bigint;
END
$$;

-- 3. The clock ------------------------------------------------------------
--
-- The payout functions read the time through payout_now().  payout_clock
-- is empty in production; only the database owner can write it, which the
-- tests do to cross a Beijing midnight without waiting for one.
CREATE TABLE payout_clock (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	at timestamptz NOT NULL
);

CREATE FUNCTION payout_now() RETURNS timestamptz
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT coalesce((SELECT at FROM payout_clock), now())
$$;

-- 4. Pure helpers that mirror src/payout ---------------------------------

-- The Asia/Shanghai date: UTC+8 all year (no daylight saving since 1991),
-- as payout_beijing_day() in src/payout/payout_time.c.
CREATE FUNCTION payout_beijing_day(p_at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT ((p_at AT TIME ZONE 'UTC') + interval '8 hours')::date
$$;

-- The first instant of the next Beijing day.
CREATE FUNCTION payout_beijing_midnight_after(p_at timestamptz)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT ((payout_beijing_day(p_at) + 1)::timestamp - interval '8 hours')
		AT TIME ZONE 'UTC'
$$;

-- As payout_split() in src/payout/payout_split.c, with the same refusals.
CREATE FUNCTION payout_split(p_amount bigint, p_max bigint, p_min bigint)
RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	n bigint;
	rem bigint;
	out bigint[];
BEGIN
	IF p_amount IS NULL OR p_amount < 1 OR p_amount > 10000000000000 THEN
		RAISE EXCEPTION 'amount % fen is outside 1..10000000000000',
			p_amount USING ERRCODE = '22023';
	END IF;
	IF p_min IS NULL OR p_min < 1 THEN
		RAISE EXCEPTION 'min_transfer_fen % is below 1', p_min
			USING ERRCODE = '22023';
	END IF;
	IF p_max IS NULL OR p_max < 2 * p_min OR p_max > 10000000000000 THEN
		RAISE EXCEPTION 'per_transfer_max_fen % must be at least twice min_transfer_fen % and at most 10000000000000',
			p_max, p_min USING ERRCODE = '22023';
	END IF;
	IF p_amount < p_min THEN
		RAISE EXCEPTION 'amount % fen is below the channel''s minimum transfer of % fen',
			p_amount, p_min USING ERRCODE = '22023';
	END IF;
	n := p_amount / p_max + CASE WHEN p_amount % p_max <> 0 THEN 1 ELSE 0 END;
	IF n > 1000 THEN
		RAISE EXCEPTION 'amount % fen needs % bills of at most % fen; at most 1000 are made for one payout',
			p_amount, n, p_max USING ERRCODE = '22023';
	END IF;
	out := array_fill(p_max, ARRAY[n::integer]);
	rem := p_amount - (n - 1) * p_max;
	out[n] := rem;
	IF rem < p_min THEN
		out[n - 1] := p_max - (p_min - rem);
		out[n] := p_min;
	END IF;
	RETURN out;
END
$$;

-- As payout_out_bill_no() in src/payout/payout_ids.c:
-- prefix || payout || 'S' || seq || 'G' || generation.
CREATE FUNCTION payout_out_bill_no(p_prefix text, p_payout_id bigint,
	p_seq integer, p_generation integer) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
	IF p_prefix IS NULL OR p_prefix !~ '^[A-Za-z]{1,4}$' THEN
		RAISE EXCEPTION 'out_bill_prefix "%" must be 1 to 4 letters',
			coalesce(p_prefix, '') USING ERRCODE = '22023';
	END IF;
	IF p_payout_id IS NULL OR p_payout_id < 1 THEN
		RAISE EXCEPTION 'payout id % is not positive', p_payout_id
			USING ERRCODE = '22023';
	END IF;
	IF p_seq IS NULL OR p_seq NOT BETWEEN 1 AND 9999 THEN
		RAISE EXCEPTION 'bill sequence % is outside 1..9999', p_seq
			USING ERRCODE = '22023';
	END IF;
	IF p_generation IS NULL OR p_generation NOT BETWEEN 0 AND 999 THEN
		RAISE EXCEPTION 'retry generation % is outside 0..999',
			p_generation USING ERRCODE = '22023';
	END IF;
	RETURN p_prefix || p_payout_id || 'S' || p_seq || 'G' || p_generation;
END
$$;

-- prefix || payout || 'B' || generation.
CREATE FUNCTION payout_out_batch_no(p_prefix text, p_payout_id bigint,
	p_generation integer) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
	-- The same checks, by way of the bill number's builder.
	PERFORM payout_out_bill_no(p_prefix, p_payout_id, 1, p_generation);
	RETURN p_prefix || p_payout_id || 'B' || p_generation;
END
$$;

-- As payout_limit_check() in src/payout/payout_split.c: NULL, or the name
-- of the first daily limit the bill would exceed.
CREATE FUNCTION payout_limit_exceeded(p_user_day bigint, p_merchant_day bigint,
	p_amount bigint, p_user_max bigint, p_merchant_max bigint) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
	SELECT CASE
		WHEN p_user_day > p_user_max
			OR p_amount > p_user_max - p_user_day
			THEN 'per_user_daily_max_fen'
		WHEN p_merchant_day > p_merchant_max
			OR p_amount > p_merchant_max - p_merchant_day
			THEN 'merchant_daily_max_fen'
	END
$$;

-- As payout_rollup() in src/payout/payout_state.c: a payout's state from
-- the states of its current bills.
CREATE FUNCTION payout_rollup_of(p_states text[], p_n_sent integer,
	p_person_hold boolean, p_cancel_requested boolean) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
	WITH c AS (
		SELECT count(*) FILTER (WHERE s = 'success') AS paid,
			count(*) FILTER (WHERE s = 'fail' OR (s = 'cancelled'
				AND NOT p_cancel_requested)) AS failed,
			count(*) FILTER (WHERE s IN ('sending', 'unknown',
				'accepted', 'processing', 'wait_user_confirm',
				'transferring', 'cancelling')) AS in_flight,
			count(*) FILTER (WHERE s NOT IN ('pending', 'held'))
				AS left_,
			count(*) AS n
		FROM unnest(coalesce(p_states, '{}')) AS s
	)
	SELECT CASE
		WHEN p_cancel_requested AND in_flight = 0 THEN
			CASE WHEN paid > 0 THEN 'failed' ELSE 'cancelled' END
		WHEN n > 0 AND paid = n THEN 'succeeded'
		WHEN failed > 0 THEN 'failed'
		WHEN p_person_hold THEN 'held'
		WHEN left_ > 0 OR p_n_sent > 0 THEN 'sending'
		ELSE 'approved'
	END FROM c
$$;

-- 5. Payouts, bills, attempts --------------------------------------------

ALTER TABLE payouts DROP CONSTRAINT payouts_state_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_state_fkey
	FOREIGN KEY (state) REFERENCES payout_states (state);
ALTER TABLE payouts
	-- The retry generation of the newest bills (api.payout_retry).
	ADD COLUMN generation integer NOT NULL DEFAULT 0
		CHECK (generation BETWEEN 0 AND 999),
	-- A person's hold (hold_reason, 0001, says why).
	ADD COLUMN held_at timestamptz,
	ADD COLUMN held_by text,
	ADD CHECK ((held_at IS NULL) = (held_by IS NULL)),
	ADD COLUMN cancel_requested_at timestamptz,
	ADD COLUMN cancel_requested_by text,
	ADD COLUMN cancel_reason text,
	ADD COLUMN escalated_to text,
	ADD COLUMN paid_fen bigint NOT NULL DEFAULT 0 CHECK (paid_fen >= 0),
	ADD COLUMN finished_at timestamptz;

-- Each approval of a payout (four eyes: two different finance approvers
-- at or above four_eyes_threshold_fen).
CREATE TABLE payout_approvals (
	payout_id bigint NOT NULL REFERENCES payouts (id),
	approver text NOT NULL,
	approved_at timestamptz NOT NULL DEFAULT now(),
	amount_fen bigint NOT NULL CHECK (amount_fen > 0),
	note text,
	PRIMARY KEY (payout_id, approver)
);

ALTER TABLE transfer_bills DROP CONSTRAINT transfer_bills_state_check;
ALTER TABLE transfer_bills ADD CONSTRAINT transfer_bills_state_fkey
	FOREIGN KEY (state) REFERENCES payout_bill_states (state);
ALTER TABLE transfer_bills DROP CONSTRAINT transfer_bills_payout_id_seq_key;
ALTER TABLE transfer_bills
	ADD COLUMN generation integer NOT NULL DEFAULT 0
		CHECK (generation BETWEEN 0 AND 999),
	ADD UNIQUE (payout_id, seq, generation),
	-- A retry's bill names the bill it replaces, and the other way.
	ADD COLUMN replaces_bill_id bigint REFERENCES transfer_bills (id),
	ADD COLUMN replaced_by_bill_id bigint REFERENCES transfer_bills (id),
	ADD COLUMN applicant_id bigint NOT NULL REFERENCES applicants (id),
	ADD COLUMN next_action text NOT NULL DEFAULT 'create'
		REFERENCES payout_actions (action),
	ADD COLUMN hold_reason text REFERENCES payout_holds (hold),
	ADD COLUMN hold_until timestamptz,
	ADD COLUMN held_at timestamptz,
	ADD CHECK ((state = 'held') = (hold_reason IS NOT NULL)),
	ADD COLUMN cancel_requested_at timestamptz,
	-- How it was first sent; a resend goes the same way with the same
	-- bytes (user_name is RSA-OAEP encrypted to WeChat Pay, randomised:
	-- building the body again would make another body).
	ADD COLUMN product text CHECK (product IN ('bill', 'batch', 'v2')),
	ADD COLUMN out_batch_no text CHECK (out_batch_no ~ '^[A-Za-z0-9]{5,32}$'),
	ADD COLUMN request_method text,
	ADD COLUMN request_path text,
	ADD COLUMN request_body text,
	ADD COLUMN first_sent_at timestamptz,
	ADD COLUMN last_sent_at timestamptz,
	-- The Beijing day whose limits the bill counts toward (set when it is
	-- claimed to be sent from pending).
	ADD COLUMN counted_day date,
	-- Exchanges in a row that left the state as it was (backoff).
	ADD COLUMN streak integer NOT NULL DEFAULT 0 CHECK (streak >= 0),
	-- The transaction that claimed it for sending (api.payout_claim);
	-- api.payout_bill_sending must run in the same one.
	ADD COLUMN claim_xid bigint,
	ADD COLUMN claimed_by text,
	ADD COLUMN claimed_at timestamptz,
	ADD COLUMN wechat_state text,
	ADD COLUMN fail_reason text,
	ADD COLUMN wechat_updated_at timestamptz,
	ADD COLUMN succeeded_at timestamptz,
	ADD COLUMN final_at timestamptz;
DROP INDEX transfer_bills_due;
CREATE INDEX transfer_bills_due ON transfer_bills (next_attempt_at, id)
	WHERE next_action <> 'none';
CREATE INDEX transfer_bills_held ON transfer_bills (hold_until, id)
	WHERE state = 'held';
CREATE INDEX transfer_bills_day ON transfer_bills (counted_day, applicant_id)
	INCLUDE (amount_fen, state) WHERE counted_day IS NOT NULL;
CREATE INDEX transfer_bills_payout ON transfer_bills (payout_id, seq);
CREATE INDEX transfer_bills_transfer_bill_no ON transfer_bills (transfer_bill_no)
	WHERE transfer_bill_no IS NOT NULL;
CREATE INDEX transfer_bills_success_day ON transfer_bills
	(payout_beijing_day(coalesce(wechat_updated_at, succeeded_at)))
	WHERE state = 'success';

ALTER TABLE payout_attempts DROP CONSTRAINT payout_attempts_kind_check;
ALTER TABLE payout_attempts DROP CONSTRAINT payout_attempts_outcome_check;
ALTER TABLE payout_attempts
	ADD CONSTRAINT payout_attempts_kind_check
		CHECK (kind IN ('create', 'query', 'cancel', 'callback')),
	-- wx_outcome_name() of src/wxpay/wxpay_codes.h.
	ADD CONSTRAINT payout_attempts_outcome_check
		CHECK (outcome IN ('success', 'pending', 'retry', 'hold', 'fail',
			'unknown')),
	ADD COLUMN method text,
	ADD COLUMN path text,
	ADD COLUMN wechat_message text,
	ADD COLUMN latency_ms integer CHECK (latency_ms >= 0),
	ADD COLUMN worker text,
	ADD COLUMN from_state text,
	ADD COLUMN to_state text,
	ADD COLUMN applied boolean NOT NULL DEFAULT false,
	ADD COLUMN note text;
CREATE INDEX payout_attempts_bill ON payout_attempts (bill_id, id);

-- Only the transitions of the tables above, whoever writes.
CREATE FUNCTION transfer_bills_transition_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM payout_bill_transitions
			WHERE from_state = OLD.state AND to_state = NEW.state) THEN
		RAISE EXCEPTION 'bill % (%) may not go from % to %', OLD.id,
			OLD.out_bill_no, OLD.state, NEW.state
			USING ERRCODE = '55000';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER transfer_bills_transition_guard BEFORE UPDATE OF state
	ON transfer_bills FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
	EXECUTE FUNCTION transfer_bills_transition_guard();

CREATE FUNCTION payouts_transition_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM payout_transitions
			WHERE from_state = OLD.state AND to_state = NEW.state) THEN
		RAISE EXCEPTION 'payout % may not go from % to %', OLD.id,
			OLD.state, NEW.state USING ERRCODE = '55000';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER payouts_transition_guard BEFORE UPDATE OF state ON payouts
	FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
	EXECUTE FUNCTION payouts_transition_guard();

-- 6. Kill switch and channel ----------------------------------------------
--
-- paused: a person's kill switch (api.payouts_pause/resume).
-- channel_paused: the operating account could not pay (NOT_ENOUGH, or a
-- balance reading below what is due); it resumes by itself when a reading
-- shows enough.  Either stops every create; queries, cancels and
-- callbacks go on, so what is in flight is still followed.  The claim
-- reads this row FOR SHARE in its own transaction, and a pause updates it,
-- so a pause waits for the claims under way and every later claim sees it.
CREATE TABLE payout_control (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	paused boolean NOT NULL DEFAULT false,
	paused_at timestamptz,
	paused_by text,
	pause_reason text,
	resumed_at timestamptz,
	resumed_by text,
	resume_note text,
	channel_paused boolean NOT NULL DEFAULT false,
	channel_paused_at timestamptz,
	channel_code text,
	channel_message text,
	channel_resumed_at timestamptz,
	updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO payout_control DEFAULT VALUES;

-- 7. Balance, alerts, daemons ---------------------------------------------

CREATE TABLE payout_balance_readings (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	account_type text NOT NULL CHECK (account_type ~ '^[A-Z_]{1,32}$'),
	available_fen bigint NOT NULL CHECK (available_fen >= 0),
	pending_fen bigint CHECK (pending_fen >= 0),
	worker text NOT NULL
);
CREATE INDEX payout_balance_readings_at ON payout_balance_readings (at DESC, id DESC);

-- What the console shows on top: a low balance, a paused channel.
CREATE TABLE payout_alerts (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	kind text NOT NULL CHECK (kind IN ('balance_low', 'channel_paused',
		'channel_resumed', 'answer_conflict')),
	detail jsonb NOT NULL DEFAULT '{}',
	cleared_at timestamptz
);
CREATE INDEX payout_alerts_open ON payout_alerts (at DESC) WHERE cleared_at IS NULL;

-- One row per daemon, written every few seconds: the console's "daemons
-- alive" is seen_at within a few heartbeats.
CREATE TABLE payout_daemons (
	worker text PRIMARY KEY CHECK (worker ~ '^[A-Za-z0-9_.:@-]{1,100}$'),
	login text NOT NULL,
	started_at timestamptz NOT NULL DEFAULT now(),
	seen_at timestamptz NOT NULL DEFAULT now(),
	info jsonb NOT NULL DEFAULT '{}'
);

-- 8. Reconciliation --------------------------------------------------------

CREATE TABLE reconciliation_runs (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	bill_date date NOT NULL,
	account_type text NOT NULL CHECK (account_type ~ '^[A-Z_]{1,32}$'),
	state text NOT NULL CHECK (state IN ('done', 'refused')),
	run_at timestamptz NOT NULL DEFAULT now(),
	run_by text NOT NULL,
	file_sha1 text CHECK (file_sha1 ~ '^[0-9a-f]{40}$'),
	refusal text,
	lines integer NOT NULL DEFAULT 0,
	matched integer NOT NULL DEFAULT 0,
	paid_there_not_here integer NOT NULL DEFAULT 0,
	succeeded_here_not_there integer NOT NULL DEFAULT 0,
	amount_differs integer NOT NULL DEFAULT 0,
	CHECK ((state = 'refused') = (refusal IS NOT NULL))
);
CREATE INDEX reconciliation_runs_date ON reconciliation_runs (bill_date, id);

CREATE TABLE reconciliation_lines (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	run_id bigint NOT NULL REFERENCES reconciliation_runs (id),
	kind text NOT NULL CHECK (kind IN ('paid_there_not_here',
		'succeeded_here_not_there', 'amount_differs')),
	bill_id bigint REFERENCES transfer_bills (id),
	out_bill_no text,
	wechat_no text,
	our_amount_fen bigint,
	their_amount_fen bigint,
	line jsonb
);
CREATE INDEX reconciliation_lines_run ON reconciliation_lines (run_id, id);

-- 9. Reviews: reconciliation mismatches for finance; escalation -----------
--
-- A review of kind reconciliation points at its mismatch line (and at the
-- payout when the line is one of ours).  A review escalated to another
-- group is that group's to work (review_lock, api.review_assign, 0021).
-- Other migrations may have widened the kind list: the value is added to
-- whatever list is there.
DO $$
DECLARE
	con record;
	vals text[];
BEGIN
	SELECT conname, pg_get_constraintdef(oid) AS def INTO con
	FROM pg_constraint WHERE conrelid = 'reviews'::regclass
		AND contype = 'c' AND pg_get_constraintdef(oid) ~ '^CHECK \(\(kind = ANY';
	SELECT array_agg(m[1]) INTO vals
	FROM regexp_matches(con.def, '''([a-z_]+)''::text', 'g') AS m;
	EXECUTE format('ALTER TABLE reviews DROP CONSTRAINT %I', con.conname);
	EXECUTE format('ALTER TABLE reviews ADD CONSTRAINT reviews_kind_check '
		'CHECK (kind = ANY (%L::text[]))',
		array_append(vals, 'reconciliation'));

	-- (kind = 'payout') = (payout_id IS NOT NULL) becomes one way: a
	-- reconciliation review may name a payout too.
	SELECT conname INTO con FROM pg_constraint
	WHERE conrelid = 'reviews'::regclass AND contype = 'c'
		AND pg_get_constraintdef(oid) =
		'CHECK (((kind = ''payout''::text) = (payout_id IS NOT NULL)))';
	EXECUTE format('ALTER TABLE reviews DROP CONSTRAINT %I', con.conname);
END
$$;
ALTER TABLE reviews
	ADD CONSTRAINT reviews_payout_named CHECK (kind <> 'payout' OR payout_id IS NOT NULL),
	ADD COLUMN reconciliation_line_id bigint REFERENCES reconciliation_lines (id),
	ADD CONSTRAINT reviews_reconciliation_named
		CHECK ((kind = 'reconciliation') = (reconciliation_line_id IS NOT NULL)),
	ADD COLUMN escalated_to text CHECK (escalated_to IN ('loandesk_finance',
		'loandesk_oncall', 'loandesk_admin'));
CREATE INDEX reviews_payout ON reviews (payout_id, id) WHERE payout_id IS NOT NULL;

-- 10. Applications: a loan whose payout was cancelled ---------------------
--
-- An approved application whose payout a person cancelled before any money
-- moved is 'cancelled': no loan came into being.  That status is final
-- (applications_cancelled_final).  As with reviews, the value is added to
-- whatever status list is there.
DO $$
DECLARE
	con record;
	vals text[];
BEGIN
	SELECT conname, pg_get_constraintdef(oid) AS def INTO con
	FROM pg_constraint WHERE conrelid = 'applications'::regclass
		AND contype = 'c' AND pg_get_constraintdef(oid) ~ '^CHECK \(\(status = ANY';
	SELECT array_agg(m[1]) INTO vals
	FROM regexp_matches(con.def, '''([a-z_]+)''::text', 'g') AS m;
	EXECUTE format('ALTER TABLE applications DROP CONSTRAINT %I', con.conname);
	EXECUTE format('ALTER TABLE applications ADD CONSTRAINT applications_status_check '
		'CHECK (status = ANY (%L::text[]))',
		array_append(vals, 'cancelled'));
END
$$;
ALTER TABLE applications
	ADD COLUMN payout_cancelled_at timestamptz,
	ADD COLUMN payout_cancelled_by text;

CREATE FUNCTION applications_cancelled_final() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
	RAISE EXCEPTION 'application % was cancelled with its payout: its status stays cancelled',
		OLD.id USING ERRCODE = '55000';
END
$$;
REVOKE EXECUTE ON FUNCTION applications_cancelled_final() FROM PUBLIC;
CREATE TRIGGER applications_cancelled_final BEFORE UPDATE OF status
	ON applications FOR EACH ROW
	WHEN (OLD.status = 'cancelled' AND NEW.status <> 'cancelled')
	EXECUTE FUNCTION applications_cancelled_final();

-- 11. What people read ----------------------------------------------------

-- One row per payout with its approvals ("1 of 2"), its bills by state,
-- what was paid, what is in flight or held and why, and its open review.
-- security_invoker: the reader's own grants apply.
CREATE VIEW payout_overview WITH (security_invoker = true) AS
SELECT p.id, p.application_id, a.applicant_id, ap.name_masked, p.amount_fen,
	p.state, p.requested_by, p.requested_at, p.approved_by, p.approved_at,
	(SELECT count(*) FROM payout_approvals pa WHERE pa.payout_id = p.id)
		AS approvals,
	CASE WHEN p.amount_fen >= (SELECT (value #>> '{}')::bigint FROM settings
		WHERE key = 'four_eyes_threshold_fen') THEN 2 ELSE 1 END
		AS approvals_needed,
	(SELECT string_agg(pa.approver, ', ' ORDER BY pa.approved_at)
		FROM payout_approvals pa WHERE pa.payout_id = p.id) AS approvers,
	b.bills, b.by_state, b.paid_fen, b.in_flight_fen, b.held_fen,
	b.hold_reasons, b.next_attempt_at, b.oldest_unknown_since,
	p.generation, p.held_by, p.hold_reason, p.cancel_requested_at,
	p.cancel_requested_by, p.cancel_reason, p.escalated_to,
	(SELECT r.id FROM reviews r WHERE r.payout_id = p.id
		AND r.kind = 'payout' AND r.state <> 'closed') AS review_id,
	p.updated_at, p.finished_at
FROM payouts p
JOIN applications a ON a.id = p.application_id
JOIN applicants ap ON ap.id = a.applicant_id
LEFT JOIN LATERAL (
	SELECT count(*) AS bills,
		(SELECT jsonb_object_agg(g.state, g.n) FROM (SELECT t2.state,
			count(*) AS n FROM transfer_bills t2
			WHERE t2.payout_id = p.id AND t2.replaced_by_bill_id IS NULL
			GROUP BY t2.state) g) AS by_state,
		coalesce(sum(t.amount_fen) FILTER (WHERE t.state = 'success'), 0)
			AS paid_fen,
		coalesce(sum(t.amount_fen) FILTER (WHERE s.in_flight), 0)
			AS in_flight_fen,
		coalesce(sum(t.amount_fen) FILTER (WHERE t.state = 'held'), 0)
			AS held_fen,
		array_remove(array_agg(DISTINCT t.hold_reason), NULL) AS hold_reasons,
		min(t.next_attempt_at) FILTER (WHERE t.next_action <> 'none')
			AS next_attempt_at,
		min(t.updated_at) FILTER (WHERE t.state = 'unknown')
			AS oldest_unknown_since
	FROM transfer_bills t
	JOIN payout_bill_states s ON s.state = t.state
	WHERE t.payout_id = p.id AND t.replaced_by_bill_id IS NULL
) b ON true;

-- 12. Grants ----------------------------------------------------------------

-- The reference tables, the engine's tables and the overview for those
-- who work payouts; the daemon reads them too (metrics, /healthz) but
-- writes none: it goes through the functions of 0022.
GRANT SELECT ON payout_states, payout_transitions, payout_bill_states,
	payout_bill_transitions, payout_holds, payout_actions, payout_approvals,
	payout_control, payout_balance_readings, payout_alerts, payout_daemons,
	reconciliation_runs, reconciliation_lines, payout_overview
	TO loandesk_finance, loandesk_oncall, loandesk_admin;
GRANT SELECT ON payout_states, payout_bill_states, payouts, transfer_bills,
	payout_attempts, payout_control, payout_balance_readings, payout_alerts,
	payout_daemons TO loandesk_daemon;

-- What the functions read and write (0009: loandesk_api holds only what
-- they use).
GRANT SELECT ON payout_states, payout_transitions, payout_bill_states,
	payout_bill_transitions, payout_holds, payout_actions, payout_clock
	TO loandesk_api;
GRANT SELECT (id, openid) ON applicants TO loandesk_api;
GRANT SELECT, INSERT, UPDATE ON payouts, transfer_bills, payout_attempts,
	payout_approvals, payout_control, payout_alerts, payout_daemons,
	reconciliation_runs, reconciliation_lines TO loandesk_api;
GRANT SELECT, INSERT ON payout_balance_readings TO loandesk_api;
GRANT EXECUTE ON FUNCTION payout_setting_int(text), payout_now(),
	payout_beijing_day(timestamptz), payout_beijing_midnight_after(timestamptz),
	payout_split(bigint, bigint, bigint),
	payout_out_bill_no(text, bigint, integer, integer),
	payout_out_batch_no(text, bigint, integer),
	payout_limit_exceeded(bigint, bigint, bigint, bigint, bigint),
	payout_rollup_of(text[], integer, boolean, boolean)
	TO loandesk_api;
REVOKE EXECUTE ON FUNCTION transfer_bills_transition_guard(),
	payouts_transition_guard() FROM PUBLIC;
