-- Multi-factor sign-in (PostgreSQL). Keep in step with migrations/sqlite/0009_mfa.sql.

-- A user's second factors. The TOTP secret is sealed under the master key.
CREATE TABLE mfa_settings (
    user_id         TEXT COLLATE "C" PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    pool_id         TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    totp_secret     TEXT COLLATE "C",
    -- The last TOTP step accepted: a code is good once.
    totp_last_step  BIGINT,
    totp_enabled_at BIGINT,
    email_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
    -- SOFTWARE_TOKEN_MFA or EMAIL_OTP
    preferred       TEXT COLLATE "C",
    updated_at      BIGINT NOT NULL
);

-- Single-use recovery codes, stored as keyed hashes.
CREATE TABLE recovery_codes (
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- The pending step of a sign-in (the state machine's state), three minutes, each token
-- used once. Bound to a browser (the digest of its CSRF cookie) on the hosted pages, or to
-- nothing but the opaque token itself (the Cognito-compatible API).
CREATE TABLE sign_in_steps (
    token_hash      TEXT COLLATE "C" PRIMARY KEY,
    pool_id         TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    client_id       TEXT COLLATE "C" NOT NULL REFERENCES app_clients (client_id) ON DELETE CASCADE,
    user_id         TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- NEW_PASSWORD_REQUIRED, MFA_SETUP or MFA
    step            TEXT COLLATE "C" NOT NULL,
    browser         TEXT COLLATE "C",
    auth_request_id TEXT COLLATE "C",
    -- The methods used so far (RFC 8176), space-separated, and when the last one was.
    amr             TEXT COLLATE "C" NOT NULL,
    auth_time       BIGINT NOT NULL,
    -- The TOTP secret being set up, sealed.
    setup_secret    TEXT COLLATE "C",
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    consumed_at     BIGINT
);
CREATE INDEX sign_in_steps_expiry ON sign_in_steps (expires_at);

-- Which methods signed a session, code or refresh-token family in (RFC 8176 amr values).
ALTER TABLE sessions ADD COLUMN amr TEXT COLLATE "C";
ALTER TABLE authorization_codes ADD COLUMN amr TEXT COLLATE "C";
ALTER TABLE refresh_tokens ADD COLUMN amr TEXT COLLATE "C";
