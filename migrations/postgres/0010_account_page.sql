-- The self-service account page (PostgreSQL). Keep in step with migrations/sqlite/0010_account_page.sql.

-- When this session's user last proved it again (password or a second factor): changes to
-- security settings are allowed for five minutes after.
ALTER TABLE sessions ADD COLUMN stepped_up_at BIGINT;
-- A TOTP secret being set up from the account page, sealed, and until when it may be
-- confirmed. Taken once.
ALTER TABLE sessions ADD COLUMN setup_secret TEXT COLLATE "C";
ALTER TABLE sessions ADD COLUMN setup_expires_at BIGINT;
