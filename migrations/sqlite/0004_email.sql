-- Verification and reset codes, and the durable outbox (SQLite). Keep in step with
-- migrations/postgres/0004_email.sql.

CREATE TABLE verification_codes (
    id          TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- 'signup' or 'reset'
    purpose     TEXT NOT NULL,
    -- HMAC-SHA-256 of the code under a key derived from the master key.
    code_hash   TEXT NOT NULL,
    attempts    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    -- Set when used, replaced by a newer code, or killed by too many wrong tries.
    consumed_at BIGINT
);
CREATE INDEX verification_codes_user ON verification_codes (user_id, purpose, created_at);

-- Every email, written in the same transaction as the user or code it belongs to.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    pool_id         TEXT REFERENCES pools (id) ON DELETE SET NULL,
    kind            TEXT NOT NULL,
    sender          TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    -- 'queued', 'sent' or 'failed'
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_by      TEXT,
    claimed_until   BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_recipient ON outbox (recipient, kind, created_at);
