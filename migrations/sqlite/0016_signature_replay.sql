-- Signed admin requests that changed state, so a captured one is refused when sent again
-- (src/iam/replay.rs). Keep in step with the other engine's 0016.

-- The digest of a SigV4 signature that was accepted, kept until the last moment it could
-- verify again (its X-Amz-Date plus the allowed skew, or a presigned URL's expiry). The
-- key makes the first insert win: a second copy of the request inserts nothing.
CREATE TABLE used_signatures (
    digest     TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX used_signatures_expiry ON used_signatures (expires_at);
