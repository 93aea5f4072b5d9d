//! Temporary credentials: `sts:AssumeRole`. The caller's own policies must allow
//! `sts:AssumeRole` on the role (checked with every route's action), and the role's trust
//! policy must name the caller. The session then has the role's rights, narrowed by the
//! session policy if one is given, until it expires by itself.

use crate::clock::Millis;
use crate::context::Context;
use crate::crypto::random;
use crate::error::{Error, Result};
use crate::iam::Iam;
use crate::iam::authenticate::caller::Caller;
use crate::iam::condition::Context as Conditions;
use crate::iam::directory::secrets::seal_context;
use crate::iam::evaluate::Deciding;
use crate::iam::manage::access_keys::{new_key_id, new_secret};
use crate::iam::manage::rules::{SESSION_DURATION, policy_error};
use crate::iam::policy::{Effect, Policy, USER_INLINE_MAX};
use crate::store::StoreError;
use crate::store::iam::Kind;
use crate::store::iam::{self as store, SessionRow};

/// AWS's limit on a chained session (a role session assuming a role).
pub const CHAINED_MAX_SECS: i64 = 3_600;
pub const SESSION_NAME_MAX: usize = 64;

pub struct AssumeRole {
    pub role_name: String,
    pub session_name: String,
    pub duration_seconds: Option<i64>,
    pub policy: Option<String>,
}

pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: Millis,
    pub assumed_role_arn: String,
}

/// The trust policy's verdict on `caller`: the deciding statement, or why not.
fn trusted(
    ctx: &Context,
    trust: &crate::iam::policy::TrustPolicy,
    caller: &Caller,
    conditions: &Conditions,
) -> std::result::Result<Deciding, Option<Deciding>> {
    let account_root = format!("arn:aws:iam::{}:root", ctx.account_id);
    let names = [
        caller.arn(&ctx.account_id),
        caller.principal_arn(&ctx.account_id),
    ];
    let applies = |effect: Effect| {
        trust.statements.iter().find(|(statement, principals)| {
            statement.effect == effect
                && statement.covers("sts:AssumeRole", "*")
                && principals
                    .iter()
                    .any(|p| *p == account_root || names.contains(p))
                && statement.conditions.iter().all(|c| c.holds(conditions))
        })
    };
    let deciding = |(statement, _): &(crate::iam::policy::Statement, Vec<String>)| Deciding {
        policy: "trust policy".into(),
        sid: statement.sid.clone(),
    };
    if let Some(deny) = applies(Effect::Deny) {
        return Err(Some(deciding(deny)));
    }
    applies(Effect::Allow).map(deciding).ok_or(None)
}

pub async fn assume_role(
    iam: &Iam,
    caller: &Caller,
    conditions: &Conditions,
    ask: AssumeRole,
) -> Result<Credentials> {
    let ctx = &iam.ctx;
    crate::iam::manage::rules::validate_name("role_name", &ask.role_name, 64)?;
    crate::iam::manage::rules::validate_name("session_name", &ask.session_name, SESSION_NAME_MAX)?;
    if ask.session_name.len() < 2 {
        return Err(Error::validation("session_name", "must be 2-64 characters"));
    }
    let session_policy = match &ask.policy {
        Some(text) => {
            Policy::parse(text, USER_INLINE_MAX).map_err(|e| policy_error("policy", e))?;
            Some(text.clone())
        }
        None => None,
    };
    let role_arn = iam.directory.arn(Kind::Role, &ask.role_name);
    let denied = || {
        Error::Forbidden(format!(
            "{} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            caller.arn(&ctx.account_id)
        ))
    };
    // The root key is for emergencies; it cannot take on a role, as in AWS.
    if matches!(caller, Caller::Root) {
        return Err(denied());
    }
    let snapshot = iam.directory.load(&ctx.store, ctx.now()).await?;
    // An unknown role answers as a refused one: the caller learns nothing it may not read.
    let Some(role) = snapshot.roles.get(&ask.role_name) else {
        return Err(denied());
    };
    let Some(trust) = &role.trust else {
        return Err(denied());
    };
    match trusted(ctx, trust, caller, conditions) {
        Ok(allow) => crate::store::audit::amend(|e| {
            e.deciding_policy = Some(allow.policy.clone());
            e.deciding_sid = allow.sid.clone();
        }),
        Err(deny) => {
            crate::store::audit::amend(|e| {
                e.decision = if deny.is_some() {
                    "explicitly_denied".into()
                } else {
                    "implicitly_denied".into()
                };
                e.deciding_policy = deny.as_ref().map(|d| d.policy.clone());
                e.deciding_sid = deny.and_then(|d| d.sid);
            });
            return Err(denied());
        }
    }
    let chained = matches!(caller, Caller::Session(_));
    let max = if chained {
        CHAINED_MAX_SECS.min(role.max_session_duration)
    } else {
        role.max_session_duration
    };
    let duration = ask.duration_seconds.unwrap_or(CHAINED_MAX_SECS.min(max));
    if duration < *SESSION_DURATION.start() || duration > max {
        return Err(Error::validation(
            "duration_seconds",
            format!(
                "must be between {} and {max} seconds for this role{}",
                SESSION_DURATION.start(),
                if chained {
                    " (a role session assuming a role)"
                } else {
                    ""
                }
            ),
        ));
    }
    let now = ctx.now();
    let id = new_key_id("ASIA");
    let secret = new_secret();
    let token = random::token(32);
    let sealed = iam
        .directory
        .master()
        .seal(secret.as_bytes(), &seal_context(&id))
        .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?;
    let row = SessionRow {
        access_key_id: id.clone(),
        role_name: ask.role_name.clone(),
        session_name: ask.session_name.clone(),
        caller_arn: caller.arn(&ctx.account_id),
        secret_sealed: sealed,
        token_hash: iam.directory.token_hash(&token),
        session_policy,
        created_at: now,
        expires_at: now + duration * 1000,
    };
    // Deleted meanwhile: the session would end at once anyway; say so plainly.
    store::insert_session(&ctx.store, &row)
        .await
        .map_err(|e| match e {
            StoreError::Reference(_) => denied(),
            other => other.into(),
        })?;
    Ok(Credentials {
        access_key_id: id,
        secret_access_key: secret,
        session_token: token,
        expiration: row.expires_at,
        assumed_role_arn: format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            ctx.account_id, ask.role_name, ask.session_name
        ),
    })
}
