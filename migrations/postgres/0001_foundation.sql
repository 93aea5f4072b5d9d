-- Cognate foundation schema (PostgreSQL). Text columns use the "C" collation so ordering and
-- prefix ranges are bytewise, as on SQLite. Times are UTC milliseconds since the epoch; JSON is
-- stored as text. Keep this file in step with migrations/sqlite/0001_foundation.sql.

CREATE TABLE admin_keys (
    id          TEXT COLLATE "C" PRIMARY KEY,
    key_hash    TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE pools (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL,
    config      TEXT COLLATE "C" NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT pools_name_key UNIQUE (name)
);

CREATE TABLE resource_servers (
    pool_id     TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    identifier  TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (pool_id, identifier)
);

CREATE TABLE resource_server_scopes (
    pool_id     TEXT COLLATE "C" NOT NULL,
    identifier  TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C" NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (pool_id, identifier, name),
    FOREIGN KEY (pool_id, identifier)
        REFERENCES resource_servers (pool_id, identifier) ON DELETE CASCADE
);

CREATE TABLE app_clients (
    client_id   TEXT COLLATE "C" PRIMARY KEY,
    pool_id     TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    name        TEXT COLLATE "C" NOT NULL,
    secret_hash TEXT COLLATE "C",
    config      TEXT COLLATE "C" NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT app_clients_pool_name_key UNIQUE (pool_id, name)
);
CREATE INDEX app_clients_pool ON app_clients (pool_id, client_id);

-- The custom scopes a client allows; the foreign key keeps a scope from disappearing
-- while a client still allows it.
CREATE TABLE client_custom_scopes (
    client_id   TEXT COLLATE "C" NOT NULL REFERENCES app_clients (client_id) ON DELETE CASCADE,
    pool_id     TEXT COLLATE "C" NOT NULL,
    identifier  TEXT COLLATE "C" NOT NULL,
    scope_name  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (client_id, identifier, scope_name),
    FOREIGN KEY (pool_id, identifier, scope_name)
        REFERENCES resource_server_scopes (pool_id, identifier, name)
);
CREATE INDEX client_custom_scopes_scope ON client_custom_scopes (pool_id, identifier, scope_name);

CREATE TABLE users (
    id                  TEXT COLLATE "C" PRIMARY KEY,
    pool_id             TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    username            TEXT COLLATE "C" NOT NULL,
    username_key        TEXT COLLATE "C" NOT NULL,
    email_key           TEXT COLLATE "C",
    status              TEXT COLLATE "C" NOT NULL,
    enabled             BOOLEAN NOT NULL,
    attributes          TEXT COLLATE "C" NOT NULL,
    email               TEXT COLLATE "C",
    phone_number        TEXT COLLATE "C",
    name                TEXT COLLATE "C",
    given_name          TEXT COLLATE "C",
    family_name         TEXT COLLATE "C",
    preferred_username  TEXT COLLATE "C",
    password_hash       TEXT COLLATE "C",
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
    pool_id     TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    name        TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C",
    precedence  BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (pool_id, name)
);

CREATE TABLE group_members (
    pool_id     TEXT COLLATE "C" NOT NULL,
    group_name  TEXT COLLATE "C" NOT NULL,
    user_id     TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at    BIGINT NOT NULL,
    PRIMARY KEY (pool_id, group_name, user_id),
    FOREIGN KEY (pool_id, group_name) REFERENCES user_groups (pool_id, name) ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members (user_id, group_name);
