-- Signing keys of three kinds (PostgreSQL). Keep in step with migrations/sqlite/0008_signing_algorithms.sql.

-- RS256 (RSA-2048), ES256 (P-256) or EdDSA (Ed25519). Keys from before are all RS256.
ALTER TABLE signing_keys ADD COLUMN alg TEXT COLLATE "C" NOT NULL DEFAULT 'RS256';
-- The public key as the JWKS publishes it (JSON). Keys from before have none: their RSA
-- modulus and exponent are in public_n and public_e, which newer keys leave empty.
ALTER TABLE signing_keys ADD COLUMN public_jwk TEXT COLLATE "C";
