-- A refresh grant rotates its token in one statement (PostgreSQL). Keep the columns in step
-- with migrations/sqlite/0012_refresh_rotation.sql.

-- The token that replaced this one, and the scope it carries (the grant's, less what the
-- client may no longer ask for): set by the rotation, with rotated_at. The rotation is one
-- data-modifying WITH (claim the old token, insert the new one); SQLite uses a trigger.
ALTER TABLE refresh_tokens ADD COLUMN successor_hash TEXT;
ALTER TABLE refresh_tokens ADD COLUMN successor_scope TEXT;
