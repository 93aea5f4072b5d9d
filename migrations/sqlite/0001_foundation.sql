-- Cognate foundation schema (SQLite). Times are UTC milliseconds since the epoch; JSON is
-- stored as text. Keep this file in step with migrations/postgres/0001_foundation.sql.

CREATE TABLE admin_keys (
    id          TEXT PRIMARY KEY,
    key_hash    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE pools (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    config      TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT pools_name_key UNIQUE (name)
);

CREATE TABLE resource_servers (
    pool_id     TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    identifier  TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (pool_id, identifier)
);

CREATE TABLE resource_server_scopes (
    pool_id     TEXT NOT NULL,
    identifier  TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (pool_id, identifier, name),
    FOREIGN KEY (pool_id, identifier)
        REFERENCES resource_servers (pool_id, identifier) ON DELETE CASCADE
);

CREATE TABLE app_clients (
    client_id   TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    secret_hash TEXT,
    config      TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT app_clients_pool_name_key UNIQUE (pool_id, name)
);
CREATE INDEX app_clients_pool ON app_clients (pool_id, client_id);

-- The custom scopes a client allows; the foreign key keeps a scope from disappearing
-- while a client still allows it.
CREATE TABLE client_custom_scopes (
    client_id   TEXT NOT NULL REFERENCES app_clients (client_id) ON DELETE CASCADE,
    pool_id     TEXT NOT NULL,
    identifier  TEXT NOT NULL,
    scope_name  TEXT NOT NULL,
    PRIMARY KEY (client_id, identifier, scope_name),
    FOREIGN KEY (pool_id, identifier, scope_name)
        REFERENCES resource_server_scopes (pool_id, identifier, name)
);
CREATE INDEX client_custom_scopes_scope ON client_custom_scopes (pool_id, identifier, scope_name);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    pool_id             TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    username            TEXT NOT NULL,
    username_key        TEXT NOT NULL,
    email_key           TEXT,
    status              TEXT NOT NULL,
    enabled             BOOLEAN NOT NULL,
    attributes          TEXT NOT NULL,
    email               TEXT,
    phone_number        TEXT,
    name                TEXT,
    given_name          TEXT,
    family_name         TEXT,
    preferred_username  TEXT,
    password_hash       TEXT,
    temporary_password_expires_at BIGINT,
    signed_out_at       BIGINT,
    version             BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CONSTRAINT users_pool_username_key UNIQUE (pool_id, username_key)
);
-- When the email is the username, it must be unique in the pool.
CREATE UNIQUE INDEX users_pool_email_key ON users (pool_id, email_key) WHERE email_key IS NOT NULL;
CREATE INDEX users_filter_email ON users (pool_id, email, username_key);
CREATE INDEX users_filter_phone ON users (pool_id, phone_number, username_key);
CREATE INDEX users_filter_name ON users (pool_id, name, username_key);
CREATE INDEX users_filter_given_name ON users (pool_id, given_name, username_key);
CREATE INDEX users_filter_family_name ON users (pool_id, family_name, username_key);
CREATE INDEX users_filter_preferred ON users (pool_id, preferred_username, username_key);
CREATE INDEX users_filter_status ON users (pool_id, status, username_key);
CREATE INDEX users_filter_username ON users (pool_id, username, username_key);

CREATE TABLE user_groups (
    pool_id     TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT,
    precedence  BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (pool_id, name)
);

CREATE TABLE group_members (
    pool_id     TEXT NOT NULL,
    group_name  TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at    BIGINT NOT NULL,
    PRIMARY KEY (pool_id, group_name, user_id),
    FOREIGN KEY (pool_id, group_name) REFERENCES user_groups (pool_id, name) ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members (user_id, group_name);
