-- Outbox workers that are alive (PostgreSQL). Keep in step with
-- migrations/sqlite/0005_mail_workers.sql.

-- One row per mail worker, refreshed every 10 s. A claim whose owner has not been heard
-- from for 30 s lapses, so mail held by a killed process is taken over by another one.
CREATE TABLE mail_workers (
    id           TEXT COLLATE "C" PRIMARY KEY,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
CREATE INDEX mail_workers_heartbeat ON mail_workers (heartbeat_at);
