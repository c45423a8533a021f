-- audit_record writes whatever row its caller asks for, so only code that
-- has just made the change a row describes may call it.  The api functions
-- run as their owner and need no grant of their own; the daemon records the
-- scores and payouts it writes, in the same transaction.  An administrator
-- writes no table directly, so for loandesk_admin the grant could only
-- forge history: administrators act through the api functions, which
-- record what they did.
REVOKE EXECUTE ON FUNCTION audit_record(text, text, text, jsonb)
	FROM loandesk_admin;
