-- A version on each user's second-factor settings (PostgreSQL). Keep in step with
-- migrations/sqlite/0011_mfa_version.sql.

-- Every write of a row names the version it read and bumps it, so two changes made at once
-- (removing one factor while another is turned off, a stale set-up step) cannot both pass
-- checks made against the same old row. Stored rows start at 1; 0 means "not stored yet".
ALTER TABLE mfa_settings ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
