-- IAM-style admin access (PostgreSQL). Keep in step with migrations/sqlite/0013_iam.sql.

-- `cognate root-key disable` sets this; the root key answers 401 until it is cleared.
ALTER TABLE admin_keys ADD COLUMN disabled_at BIGINT;

CREATE TABLE iam_users (
    name       TEXT COLLATE "C" PRIMARY KEY,
    created_at BIGINT NOT NULL
);

CREATE TABLE iam_groups (
    name       TEXT COLLATE "C" PRIMARY KEY,
    created_at BIGINT NOT NULL
);

CREATE TABLE iam_group_members (
    group_name TEXT COLLATE "C" NOT NULL REFERENCES iam_groups (name) ON DELETE CASCADE,
    user_name  TEXT COLLATE "C" NOT NULL REFERENCES iam_users (name) ON DELETE CASCADE,
    PRIMARY KEY (group_name, user_name)
);
CREATE INDEX iam_group_members_user ON iam_group_members (user_name);

CREATE TABLE iam_roles (
    name                 TEXT COLLATE "C" PRIMARY KEY,
    trust_policy         TEXT COLLATE "C" NOT NULL,
    max_session_duration BIGINT NOT NULL,
    created_at           BIGINT NOT NULL
);

-- Customer-managed policies, and one row per built-in (managed) policy, whose document
-- lives in the code (`iam::managed`): attachments refer to either by name, so a policy
-- cannot be deleted while attached, nor an attachment outlive its policy.
CREATE TABLE iam_policies (
    name        TEXT COLLATE "C" PRIMARY KEY,
    managed     BOOLEAN NOT NULL DEFAULT FALSE,
    description TEXT COLLATE "C",
    document    TEXT COLLATE "C",
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Attached and inline policies, one pair of tables per kind of principal, so that deleting
-- a principal takes its policies with it and none can be left to a namesake created later.
CREATE TABLE iam_user_attached (
    principal   TEXT COLLATE "C" NOT NULL REFERENCES iam_users (name) ON DELETE CASCADE,
    policy_name TEXT COLLATE "C" NOT NULL REFERENCES iam_policies (name),
    PRIMARY KEY (principal, policy_name)
);
CREATE TABLE iam_group_attached (
    principal   TEXT COLLATE "C" NOT NULL REFERENCES iam_groups (name) ON DELETE CASCADE,
    policy_name TEXT COLLATE "C" NOT NULL REFERENCES iam_policies (name),
    PRIMARY KEY (principal, policy_name)
);
CREATE TABLE iam_role_attached (
    principal   TEXT COLLATE "C" NOT NULL REFERENCES iam_roles (name) ON DELETE CASCADE,
    policy_name TEXT COLLATE "C" NOT NULL REFERENCES iam_policies (name),
    PRIMARY KEY (principal, policy_name)
);
CREATE INDEX iam_user_attached_policy ON iam_user_attached (policy_name);
CREATE INDEX iam_group_attached_policy ON iam_group_attached (policy_name);
CREATE INDEX iam_role_attached_policy ON iam_role_attached (policy_name);

CREATE TABLE iam_user_inline (
    principal   TEXT COLLATE "C" NOT NULL REFERENCES iam_users (name) ON DELETE CASCADE,
    policy_name TEXT COLLATE "C" NOT NULL,
    document    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (principal, policy_name)
);
CREATE TABLE iam_group_inline (
    principal   TEXT COLLATE "C" NOT NULL REFERENCES iam_groups (name) ON DELETE CASCADE,
    policy_name TEXT COLLATE "C" NOT NULL,
    document    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (principal, policy_name)
);
CREATE TABLE iam_role_inline (
    principal   TEXT COLLATE "C" NOT NULL REFERENCES iam_roles (name) ON DELETE CASCADE,
    policy_name TEXT COLLATE "C" NOT NULL,
    document    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (principal, policy_name)
);

-- Long-term access keys. The secret is sealed under the master key: checking a signature
-- needs it in clear.
CREATE TABLE iam_access_keys (
    id                TEXT COLLATE "C" PRIMARY KEY,
    user_name         TEXT COLLATE "C" NOT NULL REFERENCES iam_users (name) ON DELETE CASCADE,
    secret_sealed     TEXT COLLATE "C" NOT NULL,
    status            TEXT COLLATE "C" NOT NULL CHECK (status IN ('Active', 'Inactive')),
    created_at        BIGINT NOT NULL,
    expires_at        BIGINT,
    last_used_at      BIGINT,
    last_used_address TEXT COLLATE "C"
);
CREATE INDEX iam_access_keys_user ON iam_access_keys (user_name);

-- Temporary credentials from sts assume-role. The session token is kept as a keyed hash.
CREATE TABLE iam_sessions (
    access_key_id  TEXT COLLATE "C" PRIMARY KEY,
    role_name      TEXT COLLATE "C" NOT NULL REFERENCES iam_roles (name) ON DELETE CASCADE,
    session_name   TEXT COLLATE "C" NOT NULL,
    caller_arn     TEXT COLLATE "C" NOT NULL,
    secret_sealed  TEXT COLLATE "C" NOT NULL,
    token_hash     TEXT COLLATE "C" NOT NULL,
    session_policy TEXT COLLATE "C",
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX iam_sessions_expiry ON iam_sessions (expires_at);

-- Every admin request, allowed or denied. Ids sort by time. `status` is the response's,
-- filled in once it is known (a row written with the change it records has it later).
CREATE TABLE audit_events (
    id              TEXT COLLATE "C" PRIMARY KEY,
    at              BIGINT NOT NULL,
    request_id      TEXT COLLATE "C" NOT NULL,
    principal_arn   TEXT COLLATE "C",
    access_key_id   TEXT COLLATE "C",
    action          TEXT COLLATE "C" NOT NULL,
    resource        TEXT COLLATE "C" NOT NULL,
    decision        TEXT COLLATE "C" NOT NULL,
    deciding_policy TEXT COLLATE "C",
    deciding_sid    TEXT COLLATE "C",
    source_address  TEXT COLLATE "C",
    user_agent      TEXT COLLATE "C",
    status          BIGINT
);
CREATE INDEX audit_events_at ON audit_events (at);

-- IAM names are unique without regard to case, as in AWS: `Alice` and `alice` are one
-- principal to a reader of policies and trust policies, so they cannot be two here.
CREATE UNIQUE INDEX iam_users_folded ON iam_users (lower(name));
CREATE UNIQUE INDEX iam_groups_folded ON iam_groups (lower(name));
CREATE UNIQUE INDEX iam_roles_folded ON iam_roles (lower(name));
CREATE UNIQUE INDEX iam_policies_folded ON iam_policies (lower(name));
