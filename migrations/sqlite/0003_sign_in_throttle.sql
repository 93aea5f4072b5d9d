-- Failed sign-ins per typed username and per client address, shared by every process.
CREATE TABLE sign_in_failures (
    pool_id      TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    subject      TEXT NOT NULL,
    failures     BIGINT NOT NULL,
    locked_until BIGINT,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (pool_id, subject)
);
