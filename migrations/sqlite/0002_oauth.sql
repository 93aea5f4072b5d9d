-- OAuth 2.0 / OpenID Connect (SQLite). Keep in step with migrations/postgres/0002_oauth.sql.

-- Per-pool RSA signing keys; private keys are AES-256-GCM encrypted with the master key.
CREATE TABLE signing_keys (
    kid             TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    private_key     TEXT NOT NULL,
    public_n        TEXT NOT NULL,
    public_e        TEXT NOT NULL,
    active          BOOLEAN NOT NULL,
    created_at      BIGINT NOT NULL,
    -- Set when retired: the key stays published until every token it signed has expired.
    retired_at      BIGINT,
    publish_until   BIGINT
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (pool_id) WHERE active;
CREATE INDEX signing_keys_pool ON signing_keys (pool_id, created_at);

-- Authorization requests waiting for the user to sign in (15 minutes).
CREATE TABLE auth_requests (
    id              TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL REFERENCES app_clients (client_id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    scope           TEXT NOT NULL,
    state           TEXT,
    nonce           TEXT,
    code_challenge  TEXT,
    max_age         BIGINT,
    login_hint      TEXT,
    -- Set once the user signed in with a temporary password and must choose a new one.
    pending_user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    -- Digest of the CSRF cookie of the browser that signed in: only it may continue.
    pending_browser TEXT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    consumed_at     BIGINT
);

-- Hosted sign-in sessions; the cookie holds a random token, the table its digest.
CREATE TABLE sessions (
    token_hash      TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    auth_time       BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE authorization_codes (
    code_hash       TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL REFERENCES app_clients (client_id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    scope           TEXT NOT NULL,
    nonce           TEXT,
    code_challenge  TEXT,
    session_hash    TEXT,
    auth_time       BIGINT NOT NULL,
    -- Every token issued from this code carries it as origin_jti.
    origin_jti      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    consumed_at     BIGINT
);

-- Refresh tokens: one row per issued token, grouped in families by origin_jti.
CREATE TABLE refresh_tokens (
    token_hash      TEXT PRIMARY KEY,
    origin_jti      TEXT NOT NULL,
    pool_id         TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL REFERENCES app_clients (client_id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope           TEXT NOT NULL,
    auth_time       BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    rotated_at      BIGINT,
    revoked_at      BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (origin_jti);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Token families that must no longer be honoured; access tokens carry origin_jti.
CREATE TABLE revoked_origins (
    origin_jti      TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    revoked_at      BIGINT NOT NULL
);
