-- The Cognito-compatible API (src/cognito). Keep in step with the other engine's 0014.

-- SECRET_HASH is an HMAC keyed with the client secret itself, so the secret is kept sealed
-- under the master key beside its digest. Clients made before this have only the digest:
-- their SECRET_HASH cannot be checked until the secret is rotated.
ALTER TABLE app_clients ADD COLUMN secret_sealed TEXT;

-- USER_SRP_AUTH: the SRP salt and verifier of a user's password. `password_digest` binds
-- them to the password hash they were made with: once the password changes by any route,
-- a verifier left behind no longer counts.
CREATE TABLE srp_verifiers (
    user_id         TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    pool_id         TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    password_digest TEXT NOT NULL,
    salt            TEXT NOT NULL,
    verifier        TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
