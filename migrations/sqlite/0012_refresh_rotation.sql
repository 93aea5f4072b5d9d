-- A refresh grant rotates its token in one statement (SQLite). Keep the columns in step with
-- migrations/postgres/0012_refresh_rotation.sql.

-- The token that replaced this one, and the scope it carries (the grant's, less what the
-- client may no longer ask for): set by the rotation, with rotated_at.
ALTER TABLE refresh_tokens ADD COLUMN successor_hash TEXT;
ALTER TABLE refresh_tokens ADD COLUMN successor_scope TEXT;

-- Setting successor_hash on a live token creates the successor, in the same statement: the
-- UPDATE that claims the old token (only if it is neither rotated nor revoked) and the
-- INSERT of the new one are one atomic write, in one round trip instead of four (BEGIN,
-- UPDATE, INSERT, COMMIT) while holding the database's single write lock. PostgreSQL does
-- the same with a data-modifying WITH.
CREATE TRIGGER refresh_tokens_rotate
AFTER UPDATE OF successor_hash ON refresh_tokens
WHEN OLD.successor_hash IS NULL AND NEW.successor_hash IS NOT NULL
BEGIN
    INSERT INTO refresh_tokens (token_hash, origin_jti, pool_id, client_id, user_id, scope,
                                auth_time, created_at, expires_at, rotated_at, revoked_at, amr)
    VALUES (NEW.successor_hash, NEW.origin_jti, NEW.pool_id, NEW.client_id, NEW.user_id,
            NEW.successor_scope, NEW.auth_time, NEW.rotated_at, NEW.expires_at, NULL, NULL,
            NEW.amr);
END;
