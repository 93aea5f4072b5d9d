-- Multi-factor sign-in (SQLite). Keep in step with migrations/postgres/0009_mfa.sql.

-- A user's second factors. The TOTP secret is sealed under the master key.
CREATE TABLE mfa_settings (
    user_id         TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    pool_id         TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    totp_secret     TEXT,
    -- The last TOTP step accepted: a code is good once.
    totp_last_step  BIGINT,
    totp_enabled_at BIGINT,
    email_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
    -- SOFTWARE_TOKEN_MFA or EMAIL_OTP
    preferred       TEXT,
    updated_at      BIGINT NOT NULL
);

-- Single-use recovery codes, stored as keyed hashes.
CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- The pending step of a sign-in (the state machine's state), three minutes, each token
-- used once. Bound to a browser (the digest of its CSRF cookie) on the hosted pages, or to
-- nothing but the opaque token itself (the Cognito-compatible API).
CREATE TABLE sign_in_steps (
    token_hash      TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL REFERENCES app_clients (client_id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- NEW_PASSWORD_REQUIRED, MFA_SETUP or MFA
    step            TEXT NOT NULL,
    browser         TEXT,
    auth_request_id TEXT,
    -- The methods used so far (RFC 8176), space-separated, and when the last one was.
    amr             TEXT NOT NULL,
    auth_time       BIGINT NOT NULL,
    -- The TOTP secret being set up, sealed.
    setup_secret    TEXT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    consumed_at     BIGINT
);
CREATE INDEX sign_in_steps_expiry ON sign_in_steps (expires_at);

-- Which methods signed a session, code or refresh-token family in (RFC 8176 amr values).
ALTER TABLE sessions ADD COLUMN amr TEXT;
ALTER TABLE authorization_codes ADD COLUMN amr TEXT;
ALTER TABLE refresh_tokens ADD COLUMN amr TEXT;
