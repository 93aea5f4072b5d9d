//! The `PASSWORD_VERIFIER` step of the sign-in state machine (`USER_SRP_AUTH`), over the
//! verifiers `srp` keeps. Unknown users, and users whose verifier is missing or stale, get a
//! challenge of the same shape that no proof can answer, so the first step tells nobody
//! which accounts exist.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::accounts::signin::machine::{Origin, Outcome, Refused, Start, Step};
use crate::accounts::signin::password::{first_factor, srp_proven};
use crate::accounts::signin::srp::{current, hex, hex_decode, password_digest, pool_name};
use crate::accounts::signin::steps::{NewStep, save_step, step_user, take};
use crate::accounts::users::lookup::find_user;
use crate::context::Context;
use crate::crypto::srp;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::store::sign_in_steps::StepRow;
use crate::store::users::UserRow;

/// How far a client's `TIMESTAMP` may be from the server's clock, either way.
pub const TIMESTAMP_SKEW_MS: i64 = 5 * 60_000;

/// What `InitiateAuth` answers to `USER_SRP_AUTH`.
#[derive(Debug)]
pub struct Challenge {
    pub salt: String,
    pub srp_b: String,
    pub secret_block: String,
    pub user_id_for_srp: String,
}

/// The server's side of one exchange, sealed into `SECRET_BLOCK`: the same fields, sizes and
/// sealing for a real account and for a decoy, so the block tells nothing either.
#[derive(Serialize, Deserialize)]
struct Exchange {
    /// The pending step's token (a real account), or a random one nobody stored (a decoy).
    token: String,
    pool: String,
    client: String,
    a: String,
    b: String,
    big_b: String,
    user_id_for_srp: String,
    typed: String,
    password_digest: String,
}

const EXCHANGE_CONTEXT: &str = "srp-secret-block";

/// A keyed value standing in for a salt or name the asker may not learn exists.
fn decoy(ctx: &Context, pool: &Pool, purpose: &str, username: &str) -> Vec<u8> {
    let key = crate::accounts::users::lookup::login_key(pool, username);
    let digest = ctx.code_digest(&pool.id, purpose, &key, "");
    hex_decode(&digest).unwrap_or_default()
}

/// The decoy verifier for `username`: stable per name, of a password nobody knows.
fn decoy_verifier(ctx: &Context, pool: &Pool, username: &str) -> srp::Verifier {
    let salt = decoy(ctx, pool, "srp-decoy-salt", username);
    let fake = decoy(ctx, pool, "srp-decoy-verifier", username);
    srp::verifier_with_salt(
        pool_name(&pool.id),
        &decoy_user_id(ctx, pool, username),
        &hex(&fake),
        &salt[..16.min(salt.len())],
    )
}

/// `USER_ID_FOR_SRP` for a name without an account: shaped like a `sub`, stable per name.
fn decoy_user_id(ctx: &Context, pool: &Pool, username: &str) -> String {
    let bytes = decoy(ctx, pool, "srp-decoy-name", username);
    let mut id = [0u8; 16];
    id.copy_from_slice(&bytes[..16]);
    uuid::Builder::from_random_bytes(id).into_uuid().to_string()
}

/// `USER_SRP_AUTH`'s first step, kept like any other, so its proof is taken once (the
/// exchange itself travels sealed in `SECRET_BLOCK`, see `accounts::signin::srp`).
async fn save_srp_step(ctx: &Context, start: &Start<'_>, user: &UserRow) -> Result<String> {
    save_step(
        ctx,
        start,
        NewStep {
            user,
            step: Step::PasswordVerifier,
            amr: "",
            auth_time: ctx.now(),
            setup_secret: None,
            expires_at: None,
        },
    )
    .await
}

/// Spends a `PASSWORD_VERIFIER` step.
async fn take_srp_step(
    ctx: &Context,
    start: &Start<'_>,
    token: &str,
) -> Result<Option<(StepRow, UserRow)>> {
    take(ctx, start, token, &[Step::PasswordVerifier]).await
}

/// `InitiateAuth` with `USER_SRP_AUTH`: the challenge for `username` and the client's
/// public value `srp_a` (hex). `None` when `srp_a` is malformed or ≡ 0 mod N. The
/// verifier is over the account's `sub` (`USER_ID_FOR_SRP`), which does not echo the name
/// as it was typed or stored.
pub async fn challenge(
    ctx: &Context,
    start: &Start<'_>,
    username: &str,
    srp_a: &str,
) -> Result<Option<Challenge>> {
    let Some(a) = srp::parse_client_public(srp_a) else {
        return Ok(None);
    };
    let pool = start.pool;
    let user = if username.is_empty() || username.len() > 512 {
        None
    } else {
        match find_user(ctx, pool, username).await {
            Ok(user) => Some(user),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        }
    };
    let found = match &user {
        Some(user) => current(ctx, user).await?.map(|v| (user, v)),
        None => None,
    };
    let (salt, verifier, user_id_for_srp, digest, token) = match found {
        Some((user, (salt, verifier))) => {
            let token = save_srp_step(ctx, start, user).await?;
            (
                salt,
                verifier,
                user.id.clone(),
                password_digest(user).unwrap_or_default(),
                token,
            )
        }
        None => {
            // The same arithmetic and the same sealed shape, from a verifier nobody holds.
            let fake = decoy_verifier(ctx, pool, username);
            (
                fake.salt,
                fake.verifier,
                decoy_user_id(ctx, pool, username),
                hex(&decoy(ctx, pool, "srp-decoy-digest", username)),
                crate::crypto::random::token(32),
            )
        }
    };
    let eph = srp::server_ephemeral(&verifier);
    let exchange = Exchange {
        token,
        pool: pool.id.clone(),
        client: start.client_id.to_string(),
        a: hex(&a),
        b: hex(&eph.secret),
        big_b: hex(&eph.public),
        user_id_for_srp: user_id_for_srp.clone(),
        typed: username.to_string(),
        password_digest: digest,
    };
    let plain = serde_json::to_vec(&exchange).map_err(crate::store::StoreError::from)?;
    let sealed = ctx
        .keys
        .seal(&plain, EXCHANGE_CONTEXT)
        .map_err(|e| Error::Store(crate::store::StoreError::Corrupt(e.to_string())))?;
    Ok(Some(Challenge {
        salt: srp::hex(&salt),
        srp_b: srp::hex(&eph.public),
        secret_block: STANDARD.encode(sealed.as_bytes()),
        user_id_for_srp,
    }))
}

/// What the client answers to `PASSWORD_VERIFIER`.
pub struct Proof<'a> {
    pub username: &'a str,
    pub secret_block: &'a str,
    pub timestamp: &'a str,
    pub signature: &'a str,
}

/// `PASSWORD_VERIFIER`: checks the proof, then goes on as a right password would. Every
/// failure, of the proof or of the step, reads as a wrong password, and counts against
/// the name's throttles whether an account has it or not.
pub async fn verify(
    ctx: &Context,
    start: &Start<'_>,
    proof: &Proof<'_>,
    origin: &Origin<'_>,
) -> Result<Outcome> {
    // A block this server did not seal names nobody: refused without counting.
    let block = STANDARD.decode(proof.secret_block).unwrap_or_default();
    let Some(exchange) = std::str::from_utf8(&block)
        .ok()
        .and_then(|sealed| ctx.keys.open(sealed, EXCHANGE_CONTEXT).ok())
        .and_then(|plain| serde_json::from_slice::<Exchange>(&plain).ok())
        .filter(|e| e.pool == start.pool.id && e.client == start.client_id)
    else {
        return Ok(Outcome::Refused(Refused::Invalid));
    };
    let known = step_user(ctx, start, &exchange.token).await?;
    let prove = async {
        let taken = take_srp_step(ctx, start, &exchange.token).await?;
        let verifier = match &taken {
            Some((_, user)) => current(ctx, user).await?.map(|(_, v)| v),
            None => Some(decoy_verifier(ctx, start.pool, &exchange.typed).verifier),
        };
        // The proof must be for this exchange's name, made with the password the user has.
        let named = proof.username == exchange.typed || proof.username == exchange.user_id_for_srp;
        let same_password = match &taken {
            Some((_, user)) => {
                password_digest(user).as_deref() == Some(exchange.password_digest.as_str())
            }
            None => false,
        };
        let timely = srp::parse_timestamp(proof.timestamp)
            .is_some_and(|t| (t - ctx.now()).abs() <= TIMESTAMP_SKEW_MS);
        let computed = match (
            verifier,
            hex_decode(&exchange.a),
            hex_decode(&exchange.b),
            hex_decode(&exchange.big_b),
        ) {
            (Some(v), Some(a), Some(b), Some(big_b)) => {
                let eph = srp::ServerEphemeral {
                    secret: b,
                    public: big_b,
                };
                srp::session_key(&a, &eph, &v).map(|key| {
                    let expected = srp::claim_signature(
                        &key,
                        pool_name(&start.pool.id),
                        &exchange.user_id_for_srp,
                        &block,
                        proof.timestamp,
                    );
                    srp::claim_matches(&expected, proof.signature)
                })
            }
            _ => None,
        };
        let holds = named && same_password && timely && computed == Some(true);
        Ok(taken.map(|(_, user)| user).filter(|_| holds))
    };
    let outcome = srp_proven(
        ctx,
        start.pool,
        known.as_ref(),
        &exchange.typed,
        origin,
        prove,
    )
    .await?;
    first_factor(ctx, start, outcome, "pwd").await
}
