-- Security hardening (PostgreSQL). Keep in step with migrations/sqlite/0007_hardening.sql.

-- Every throttle: sign-in and code-guess lockouts, and rate limits on mail, sign-ups and
-- code requests. `kind` is one of a fixed list in the code, never user input, so no typed
-- name can land in another kind's namespace. `scope` is a pool id, or '*' for counters
-- that span pools (mail per destination address, requests per client address).
CREATE TABLE throttle_counters (
    scope             TEXT COLLATE "C" NOT NULL,
    kind              TEXT COLLATE "C" NOT NULL,
    subject           TEXT COLLATE "C" NOT NULL,
    hits              BIGINT NOT NULL,
    window_started_at BIGINT NOT NULL,
    locked_until      BIGINT,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (scope, kind, subject)
);
CREATE INDEX throttle_counters_age ON throttle_counters (updated_at);
DROP TABLE sign_in_failures;

-- A code proves control of the address it was sent to: the address is kept beside it (and
-- is part of its keyed digest). Codes from before have no address and can never match, so
-- they are retired now; a resend gives a new one.
ALTER TABLE verification_codes ADD COLUMN destination TEXT COLLATE "C";
-- A pending sign-up's provenance: the browser (digest of its CSRF cookie) that submitted
-- its password, and whether a sign-up from another browser replaced the password while
-- keeping the address: a code then proves the address, not who chose the password.
ALTER TABLE users ADD COLUMN signup_submitted_by TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN signup_contested BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE verification_codes SET consumed_at = created_at WHERE consumed_at IS NULL;

-- The password of a sign-up refused because its name or address was taken, kept for the
-- life of a code, so that signing in with it leads to the same confirm page a new account
-- would (no enumeration by sign-up followed by sign-in).
CREATE TABLE refused_sign_ups (
    pool_id       TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    login_key     TEXT COLLATE "C" NOT NULL,
    password_hash TEXT COLLATE "C" NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    PRIMARY KEY (pool_id, login_key)
);

-- Pending authorization requests: the client address that started one (a cap on live
-- requests per address), and how the answer goes back (query, fragment or form_post).
ALTER TABLE auth_requests ADD COLUMN client_address TEXT COLLATE "C";
ALTER TABLE auth_requests ADD COLUMN response_mode TEXT COLLATE "C";
CREATE INDEX auth_requests_address ON auth_requests (client_address, expires_at);
