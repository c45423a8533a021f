-- What loandeskd's payout workers read beyond 0022.
--
-- 1. The borrower's sealed name.  WeChat Pay checks the payee's real name
-- from 2,000 yuan (docs/wxpay-api.md, "Transfer bills: create"), so the
-- worker that builds a transfer puts it in the request, RSA-OAEP encrypted
-- to WeChat Pay.  The database holds the name only sealed (AES-256-GCM)
-- and never the key; the daemon holds the [security] pii_key_file and
-- opens it in memory for the one request, which is stored and logged with
-- the name encrypted to WeChat Pay or removed.  The grant is the sealed
-- column alone: no ID number, no phone, no blind index, and no api
-- function reads it for the daemon (loandesk_api reads no sealed data,
-- 0009), so the only way to the plaintext is the key file on the daemon's
-- host.
GRANT SELECT (name_enc) ON applicants TO loandesk_daemon;

-- 2. The settings the engine decides from, so that a daemon whose
-- [payout] and [risk] figures differ from them says so at start
-- (loandeskd reads them; it writes none).
GRANT SELECT ON settings TO loandesk_daemon;
