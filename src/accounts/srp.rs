//! `USER_SRP_AUTH`'s account side: each password's SRP verifier, kept beside its hash, and
//! the `PASSWORD_VERIFIER` step of the sign-in state machine. The arithmetic is
//! `crypto::srp`. Unknown users, and users whose verifier is missing or stale, get a
//! challenge of the same shape that no proof can answer, so the first step tells nobody
//! which accounts exist.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::accounts::auth_flow::{self, Outcome, Refused, Start};
use crate::accounts::signin;
use crate::accounts::users::find_user;
use crate::context::Context;
use crate::crypto::{secret, srp};
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::store::srp::{self as store, VerifierRow};
use crate::store::users::UserRow;

/// How far a client's `TIMESTAMP` may be from the server's clock, either way.
pub const TIMESTAMP_SKEW_MS: i64 = 5 * 60_000;
pub const PASSWORD_VERIFIER: &str = "PASSWORD_VERIFIER";

/// The pool name SRP hashes with: the part of the pool id after `_`, as Amplify takes it.
pub fn pool_name(pool_id: &str) -> &str {
    pool_id.split_once('_').map_or(pool_id, |(_, name)| name)
}

fn password_digest(user: &UserRow) -> Option<String> {
    user.password_hash.as_deref().map(secret::digest)
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Stores the verifier of `password`, which `user` now has (its `password_hash` is the
/// new one). A failure is logged, not returned: the password is set either way, and the
/// verifier is made again at the next password sign-in.
pub async fn remember(ctx: &Context, user: &UserRow, password: &str) {
    let Some(digest) = password_digest(user) else {
        return;
    };
    let name = pool_name(&user.pool_id).to_string();
    let username = user.username.clone();
    let password = password.to_string();
    let made =
        tokio::task::spawn_blocking(move || srp::make_verifier(&name, &username, &password)).await;
    let Ok(made) = made else {
        tracing::error!("computing an SRP verifier failed");
        return;
    };
    let row = VerifierRow {
        user_id: user.id.clone(),
        pool_id: user.pool_id.clone(),
        password_digest: digest,
        salt: hex(&made.salt),
        verifier: hex(&made.verifier),
        created_at: ctx.now(),
    };
    if let Err(e) = store::put(&ctx.store, &row).await {
        // A user deleted meanwhile fails the foreign key; nothing is lost either way.
        tracing::warn!(error = %e, "storing an SRP verifier failed");
    }
}

/// The user's salt and verifier, if they belong to the password the user has now.
async fn current(ctx: &Context, user: &UserRow) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let Some(digest) = password_digest(user) else {
        return Ok(None);
    };
    let Some(row) = store::get(&ctx.store, &user.id).await? else {
        return Ok(None);
    };
    use subtle::ConstantTimeEq;
    if !bool::from(row.password_digest.as_bytes().ct_eq(digest.as_bytes())) {
        return Ok(None);
    }
    Ok(hex_decode(&row.salt).zip(hex_decode(&row.verifier)))
}

/// After a right password: makes the verifier if the user lacks a current one.
pub async fn ensure(ctx: &Context, user: &UserRow, password: &str) {
    match current(ctx, user).await {
        Ok(Some(_)) => {}
        Ok(None) => remember(ctx, user, password).await,
        Err(e) => tracing::warn!(error = %e, "reading an SRP verifier failed"),
    }
}

/// What `InitiateAuth` answers to `USER_SRP_AUTH`.
#[derive(Debug)]
pub struct Challenge {
    pub salt: String,
    pub srp_b: String,
    pub secret_block: String,
    pub user_id_for_srp: String,
}

/// The server's side of one exchange, sealed into the step.
#[derive(Serialize, Deserialize)]
struct Exchange {
    a: String,
    b: String,
    big_b: String,
    user_id_for_srp: String,
    typed: String,
    password_digest: String,
}

const EXCHANGE_CONTEXT: &str = "srp-exchange";

/// A keyed value standing in for a salt or name the asker may not learn exists.
fn decoy(ctx: &Context, pool: &Pool, purpose: &str, username: &str) -> Vec<u8> {
    let key = crate::accounts::users::login_key(pool, username);
    let digest = ctx.code_digest(&pool.id, purpose, &key, "");
    hex_decode(&digest).unwrap_or_default()
}

/// `InitiateAuth` with `USER_SRP_AUTH`: the challenge for `username` and the client's
/// public value `srp_a` (hex). `None` when `srp_a` is malformed or ≡ 0 mod N.
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
    match found {
        Some((user, (salt, verifier))) => {
            let eph = srp::server_ephemeral(&verifier);
            let exchange = Exchange {
                a: hex(&a),
                b: hex(&eph.secret),
                big_b: hex(&eph.public),
                user_id_for_srp: user.username.clone(),
                typed: username.to_string(),
                password_digest: password_digest(user).unwrap_or_default(),
            };
            let plain = serde_json::to_vec(&exchange).map_err(crate::store::StoreError::from)?;
            let sealed = ctx
                .keys
                .seal(&plain, EXCHANGE_CONTEXT)
                .map_err(|e| Error::Store(crate::store::StoreError::Corrupt(e.to_string())))?;
            let token = auth_flow::save_srp_step(ctx, start, user, sealed).await?;
            Ok(Some(Challenge {
                salt: srp::hex(&salt),
                srp_b: srp::hex(&eph.public),
                secret_block: STANDARD.encode(token.as_bytes()),
                user_id_for_srp: user.username.clone(),
            }))
        }
        None => {
            // The same shape and the same arithmetic, from a verifier nobody holds. The
            // salt and name are stable per name, as a real account's are.
            let salt = decoy(ctx, pool, "srp-decoy-salt", username);
            let fake = decoy(ctx, pool, "srp-decoy-verifier", username);
            let eph = srp::server_ephemeral(
                &srp::verifier_with_salt(
                    pool_name(&pool.id),
                    username,
                    &hex(&fake),
                    &salt[..16.min(salt.len())],
                )
                .verifier,
            );
            let user_id_for_srp = match (&user, pool.config.email_is_username()) {
                (Some(user), _) => user.username.clone(),
                (None, true) => uuid::Builder::from_random_bytes(
                    decoy(ctx, pool, "srp-decoy-name", username)[..16]
                        .try_into()
                        .unwrap_or([0; 16]),
                )
                .into_uuid()
                .to_string(),
                (None, false) => username.to_string(),
            };
            Ok(Some(Challenge {
                salt: srp::hex(&salt[..16.min(salt.len())]),
                srp_b: srp::hex(&eph.public),
                secret_block: STANDARD.encode(crate::crypto::random::token(32).as_bytes()),
                user_id_for_srp,
            }))
        }
    }
}

/// What the client answers to `PASSWORD_VERIFIER`.
pub struct Proof<'a> {
    pub username: &'a str,
    pub secret_block: &'a str,
    pub timestamp: &'a str,
    pub signature: &'a str,
}

/// `PASSWORD_VERIFIER`: checks the proof, then goes on as a right password would. Every
/// failure, of the proof or of the step, reads as a wrong password.
pub async fn verify(
    ctx: &Context,
    start: &Start<'_>,
    proof: &Proof<'_>,
    origin: &signin::Origin<'_>,
) -> Result<Outcome> {
    let invalid = || Ok(Outcome::Refused(Refused::Invalid));
    let Some(token) = STANDARD
        .decode(proof.secret_block)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return invalid();
    };
    let Some((row, user)) = auth_flow::take_srp_step(ctx, start, &token).await? else {
        return invalid();
    };
    let Some(exchange) = row
        .setup_secret
        .as_deref()
        .and_then(|sealed| ctx.keys.open(sealed, EXCHANGE_CONTEXT).ok())
        .and_then(|plain| serde_json::from_slice::<Exchange>(&plain).ok())
    else {
        return invalid();
    };
    // The proof must be for this exchange's name, made with the password the user has.
    let named = proof.username == exchange.typed || proof.username == exchange.user_id_for_srp;
    let same_password =
        password_digest(&user).as_deref() == Some(exchange.password_digest.as_str());
    let timely = srp::parse_timestamp(proof.timestamp)
        .is_some_and(|t| (t - ctx.now()).abs() <= TIMESTAMP_SKEW_MS);
    let verifier = current(ctx, &user).await?;
    let holds = match (
        named && same_password && timely,
        verifier,
        hex_decode(&exchange.a),
        hex_decode(&exchange.b),
        hex_decode(&exchange.big_b),
    ) {
        (true, Some((_, v)), Some(a), Some(b), Some(big_b)) => {
            let eph = srp::ServerEphemeral {
                secret: b,
                public: big_b,
            };
            match srp::session_key(&a, &eph, &v) {
                Some(key) => {
                    let expected = srp::claim_signature(
                        &key,
                        pool_name(&start.pool.id),
                        &exchange.user_id_for_srp,
                        token.as_bytes(),
                        proof.timestamp,
                    );
                    srp::claim_matches(&expected, proof.signature)
                }
                None => false,
            }
        }
        _ => false,
    };
    let outcome = signin::srp_proven(ctx, start.pool, user, &exchange.typed, origin, holds).await?;
    auth_flow::first_factor(ctx, start, outcome, "pwd").await
}
