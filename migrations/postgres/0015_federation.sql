-- Federation with outside OpenID Connect providers (src/federation). Keep in step with the
-- other engine's 0015.

-- A pool's identity providers. The client secret is sealed under the master key; the
-- discovery document and key set are the last ones fetched, refreshed from
-- `metadata_refresh_at` on.
CREATE TABLE identity_providers (
    pool_id                   TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    name                      TEXT NOT NULL,
    provider_type             TEXT NOT NULL,
    issuer                    TEXT NOT NULL,
    client_id                 TEXT NOT NULL,
    client_secret_sealed      TEXT NOT NULL,
    authorize_scopes          TEXT NOT NULL,
    attributes_request_method TEXT NOT NULL,
    attribute_mapping         TEXT NOT NULL,
    sign_out_upstream         BOOLEAN NOT NULL,
    metadata                  TEXT NOT NULL,
    jwks                      TEXT NOT NULL,
    metadata_refresh_at       BIGINT NOT NULL,
    created_at                BIGINT NOT NULL,
    updated_at                BIGINT NOT NULL,
    PRIMARY KEY (pool_id, name)
);
CREATE INDEX identity_providers_refresh ON identity_providers (metadata_refresh_at);

-- Email domains and short names that route to a provider; one provider per identifier in a
-- pool, enforced by the key.
CREATE TABLE identity_provider_identifiers (
    pool_id       TEXT NOT NULL,
    identifier    TEXT NOT NULL,
    provider_name TEXT NOT NULL,
    position      BIGINT NOT NULL,
    PRIMARY KEY (pool_id, identifier),
    FOREIGN KEY (pool_id, provider_name) REFERENCES identity_providers (pool_id, name) ON DELETE CASCADE
);
CREATE INDEX identity_provider_identifiers_provider ON identity_provider_identifiers (pool_id, provider_name);

-- Which user an upstream identity signs in as: the federated user made at its first sign-in
-- (`is_primary`), or a local user it was linked to. Deleting the provider cuts its links.
CREATE TABLE linked_identities (
    pool_id          TEXT NOT NULL,
    provider_name    TEXT NOT NULL,
    provider_subject TEXT NOT NULL,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    is_primary       BOOLEAN NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (pool_id, provider_name, provider_subject),
    FOREIGN KEY (pool_id, provider_name) REFERENCES identity_providers (pool_id, name) ON DELETE CASCADE
);
CREATE INDEX linked_identities_user ON linked_identities (user_id);

-- A sign-in sent to a provider, or a sign-out sent there, waiting for the browser to come
-- back: bound to that browser, used once, 10 minutes. `sealed` holds the nonce and PKCE
-- verifier (sign-in) or the application's logout target (sign-out).
CREATE TABLE federation_states (
    state_hash      TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    provider_name   TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    browser         TEXT NOT NULL,
    auth_request_id TEXT,
    sealed          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    consumed_at     BIGINT
);
CREATE INDEX federation_states_expiry ON federation_states (expires_at);
CREATE INDEX federation_states_request ON federation_states (auth_request_id);

-- A session signed in through a provider: its name, and the provider's ID token (sealed),
-- the hint a sign-out there needs.
ALTER TABLE sessions ADD COLUMN identity_provider TEXT;
ALTER TABLE sessions ADD COLUMN upstream_id_token TEXT;

-- An authorization request answered by a provider whose user still owes the pool a second
-- factor (a linked local user): the session made after that step remembers the provider.
-- The ID token is sealed, bound to the request.
ALTER TABLE auth_requests ADD COLUMN identity_provider TEXT;
ALTER TABLE auth_requests ADD COLUMN upstream_id_token TEXT;
