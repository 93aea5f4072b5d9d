//! Users as an admin manages them: creation, attribute changes, states (`UNCONFIRMED`,
//! `CONFIRMED`, `FORCE_CHANGE_PASSWORD`, `RESET_REQUIRED`), second factors, enable/disable,
//! listing and global sign-out. Passwords an admin sets are `credentials`.

use serde_json::Value;

use crate::accounts::attributes::{self, Attributes};
use crate::accounts::factors::codes::MAX_TRIES;
use crate::accounts::factors::mfa;
use crate::accounts::password_policy;
use crate::accounts::signin::srp;
use crate::accounts::username::{self, Lookup};
use crate::accounts::users::filter::{self, Attribute, Match};
use crate::accounts::users::lookup::{
    CONFIRMED, FORCE_CHANGE_PASSWORD, UNCONFIRMED, find_as, find_by_sub, new_user_row,
    normalise_key, set_attributes, sign_in_name,
};
use crate::accounts::users::shapes::{
    MfaPreference, MfaSummary, NewUser, User, UserPatch, to_user,
};
use crate::context::Context;
use crate::domain::MfaFactor;
use crate::error::{Error, Result};
use crate::pools::pool::get_pool;
use crate::pools::pool_config::{Pool, temporary_password_lifetime};
use crate::store::StoreError;
use crate::store::paging::{Page, PageRequest};
use crate::store::user_codes;
use crate::store::users::{self as store, ColumnMatch, UserRow};

fn conflict_on_write(err: StoreError, pool: &Pool) -> Error {
    match err {
        StoreError::Conflict(_) if pool.config.email_is_username() => {
            Error::alias("a user with this email already exists in this pool")
        }
        StoreError::Conflict(_) => {
            Error::exists("a user with this username already exists in this pool")
        }
        StoreError::Reference(_) | StoreError::NotFound => Error::NotFound("pool"),
        other => other.into(),
    }
}

pub async fn create_user(ctx: &Context, pool_id: &str, input: NewUser) -> Result<User> {
    let pool = get_pool(ctx, pool_id).await?;
    let mut attrs = input.attributes.clone();
    let id = uuid::Uuid::new_v4().to_string();
    let username = if pool.config.email_is_username() {
        let email = match (&input.username, attrs.get("email")) {
            (Some(u), Some(Value::String(e))) if u != e => {
                return Err(Error::validation(
                    "username",
                    "must equal attributes.email in a pool whose username is the email",
                ));
            }
            (Some(u), _) => u.clone(),
            (None, Some(Value::String(e))) => e.clone(),
            (None, _) => {
                return Err(Error::validation(
                    "username",
                    "is required (the email address in this pool)",
                ));
            }
        };
        let email = username::email_for(&pool, "username", &email)?;
        attrs.insert("email".into(), Value::String(email));
        // Cognito keeps the sub as the username when the email is the sign-in name.
        id.clone()
    } else {
        let username = input
            .username
            .clone()
            .ok_or_else(|| Error::validation("username", "is required"))?;
        username::for_new_user(&username)?
    };
    if let Some(verified) = input.email_verified {
        attrs.insert("email_verified".into(), Value::Bool(verified));
    }
    let attrs = attributes::for_new_user(&pool.config, &attrs)?;
    let policy = &pool.config.password_policy;
    let now = ctx.now();
    let (password, status, expires, generated) = match (&input.password, &input.temporary_password)
    {
        (Some(_), Some(_)) => {
            return Err(Error::validation(
                "password",
                "give either password or temporary_password, not both",
            ));
        }
        (Some(p), None) => {
            password_policy::check("password", policy, p)?;
            (p.clone(), CONFIRMED, None, None)
        }
        (None, Some(t)) => {
            password_policy::check("temporary_password", policy, t)?;
            (
                t.clone(),
                FORCE_CHANGE_PASSWORD,
                Some(now + temporary_password_lifetime(policy)),
                None,
            )
        }
        (None, None) => {
            let t = password_policy::generate_temporary(policy);
            (
                t.clone(),
                FORCE_CHANGE_PASSWORD,
                Some(now + temporary_password_lifetime(policy)),
                Some(t),
            )
        }
    };
    let hash = ctx.hasher.hash(&password).await?;
    let row = new_user_row(&pool, id, username, &attrs, status, hash, expires, now)?;
    // The invitation goes out with the user, in the same transaction.
    let invitation = match (&row.email, status, input.suppress_invitation) {
        (Some(email), FORCE_CHANGE_PASSWORD, None | Some(false)) => {
            let mail = crate::mail::invitation(&pool, email, &sign_in_name(&pool, &row), &password);
            vec![ctx.outbox.row(&pool, mail, now)]
        }
        _ => vec![],
    };
    user_codes::insert_with(&ctx.store, &row, None, &invitation)
        .await
        .map_err(|e| conflict_on_write(e, &pool))?;
    if !invitation.is_empty() {
        ctx.outbox.wake();
    }
    srp::remember(ctx, &row, &password).await;
    to_user(row, generated)
}

pub async fn get_user(ctx: &Context, pool_id: &str, login: &str) -> Result<User> {
    let pool = get_pool(ctx, pool_id).await?;
    with_mfa(ctx, find_as(ctx, &pool, login, Lookup::Admin).await?).await
}

/// A stored user as the API shows it, with its second factors.
pub async fn describe(ctx: &Context, row: UserRow) -> Result<User> {
    with_mfa(ctx, row).await
}

async fn with_mfa(ctx: &Context, row: UserRow) -> Result<User> {
    let factors = mfa::factors(ctx, &row).await?;
    let mut user = to_user(row, None)?;
    user.mfa = Some(MfaSummary {
        totp: factors.totp,
        email: factors.email,
        preferred: factors.preferred.map(|f| f.as_str().to_string()),
        recovery_codes_left: factors.recovery_codes_left,
    });
    Ok(user)
}

/// Sets which second factor is preferred and whether codes by email are on.
pub async fn set_mfa_preference(
    ctx: &Context,
    pool_id: &str,
    login: &str,
    input: MfaPreference,
) -> Result<User> {
    let pool = get_pool(ctx, pool_id).await?;
    let row = find_as(ctx, &pool, login, Lookup::Admin).await?;
    let preferred = match input.preferred {
        None => None,
        Some(None) => Some(None),
        Some(Some(name)) => Some(Some(MfaFactor::parse(&name).ok_or_else(|| {
            Error::validation("preferred", "must be SOFTWARE_TOKEN_MFA, EMAIL_OTP or null")
        })?)),
    };
    mfa::set_preferences(ctx, &row, input.email_enabled, preferred).await?;
    with_mfa(ctx, row).await
}

/// A lost phone: removes the user's TOTP and recovery codes and signs them out everywhere.
pub async fn remove_totp(ctx: &Context, pool_id: &str, login: &str) -> Result<User> {
    let pool = get_pool(ctx, pool_id).await?;
    let row = find_as(ctx, &pool, login, Lookup::Admin).await?;
    mfa::remove_totp(ctx, &row).await?;
    let row = find_by_sub(ctx, pool_id, &row.id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    with_mfa(ctx, row).await
}

pub async fn list_users(
    ctx: &Context,
    pool_id: &str,
    filter: Option<&str>,
    page: PageRequest,
) -> Result<Page<User>> {
    let pool = get_pool(ctx, pool_id).await?;
    let parsed = filter
        .filter(|f| !f.trim().is_empty())
        .map(filter::parse)
        .transpose()?;
    let (column, value) = match &parsed {
        None => ("", None),
        Some(f) => {
            let column = match f.attribute {
                Attribute::Username => "username_key",
                Attribute::Email => "email",
                Attribute::PhoneNumber => "phone_number",
                Attribute::Name => "name",
                Attribute::GivenName => "given_name",
                Attribute::FamilyName => "family_name",
                Attribute::PreferredUsername => "preferred_username",
                Attribute::Status => "status",
                Attribute::Enabled => "enabled",
                Attribute::Sub => "id",
            };
            let (prefix, raw) = match &f.matches {
                Match::Exact(v) => (false, v),
                Match::Prefix(v) => (true, v),
            };
            // Where a value is matched like a username, it is matched on its normalised key.
            let email_key = f.attribute == Attribute::Email && pool.config.email_is_username();
            let (column, value) = if f.attribute == Attribute::Username || email_key {
                let column = if email_key { "email_key" } else { column };
                (column, normalise_key(&pool, raw))
            } else {
                (column, raw.clone())
            };
            (column, Some((prefix, value)))
        }
    };
    let upper = value.as_ref().and_then(|(prefix, v)| {
        if *prefix {
            filter::prefix_upper_bound(v)
        } else {
            None
        }
    });
    let flag = parsed
        .as_ref()
        .filter(|f| f.attribute == Attribute::Enabled)
        .map(|f| f.matches == Match::Exact("Enabled".into()));
    let condition = match (&value, flag) {
        (_, Some(on)) => Some(ColumnMatch::Flag(column, on)),
        (None, None) => None,
        (Some((false, v)), None) => Some(ColumnMatch::Exact(column, v)),
        (Some((true, v)), None) => Some(ColumnMatch::Range(column, v, upper.as_deref())),
    };
    let rows = store::list(&ctx.store, pool_id, condition, &page).await?;
    page.finish(rows, |r| r.username_key.clone())
        .try_map(|row| to_user(row, None))
}

/// Loads the user, applies `change`, and saves it at the version read; retries when another
/// writer got in between, so no update is lost. A change of the email or the password kills
/// the user's live codes in the same transaction: they vouch for what was there before.
pub(super) async fn modify(
    ctx: &Context,
    pool_id: &str,
    login: &str,
    change: impl Fn(&Pool, &mut UserRow) -> Result<()>,
) -> Result<User> {
    to_user(modify_row(ctx, pool_id, login, change).await?, None)
}

pub(super) async fn modify_row(
    ctx: &Context,
    pool_id: &str,
    login: &str,
    change: impl Fn(&Pool, &mut UserRow) -> Result<()>,
) -> Result<UserRow> {
    let pool = get_pool(ctx, pool_id).await?;
    for _ in 0..5 {
        let mut row = find_as(ctx, &pool, login, Lookup::Admin).await?;
        let version = row.version;
        let before = (row.email.clone(), row.password_hash.clone());
        change(&pool, &mut row)?;
        row.updated_at = ctx.now();
        let saved = if (row.email.clone(), row.password_hash.clone()) == before {
            store::save(&ctx.store, &row, version).await
        } else {
            user_codes::save_killing_codes(&ctx.store, &row, version, MAX_TRIES).await
        };
        if saved.map_err(|e| conflict_on_write(e, &pool))? {
            row.version += 1;
            return Ok(row);
        }
    }
    Err(Error::Store(StoreError::Contention))
}

pub async fn update_user(
    ctx: &Context,
    pool_id: &str,
    login: &str,
    patch: UserPatch,
) -> Result<User> {
    modify(ctx, pool_id, login, |pool, row| {
        let current: Attributes =
            serde_json::from_str(&row.attributes).map_err(StoreError::from)?;
        let mut attrs = attributes::apply_change(&pool.config, &current, &patch.attributes)?;
        let email_changed = attrs.get("email") != current.get("email");
        match patch.email_verified {
            Some(v) => {
                attrs.insert("email_verified".into(), Value::Bool(v));
            }
            None if email_changed && !patch.attributes.contains_key("email_verified") => {
                attrs.insert("email_verified".into(), Value::Bool(false));
            }
            None => {}
        }
        set_attributes(pool, row, &attrs)
    })
    .await
}

pub async fn delete_user(ctx: &Context, pool_id: &str, login: &str) -> Result<()> {
    let pool = get_pool(ctx, pool_id).await?;
    let row = find_as(ctx, &pool, login, Lookup::Admin).await?;
    if store::delete(&ctx.store, pool_id, &row.id).await? {
        Ok(())
    } else {
        Err(Error::NotFound("user"))
    }
}

pub async fn set_enabled(ctx: &Context, pool_id: &str, login: &str, enabled: bool) -> Result<User> {
    modify(ctx, pool_id, login, |_, row| {
        row.enabled = enabled;
        Ok(())
    })
    .await
}

/// `UNCONFIRMED` → `CONFIRMED`; any other state is a conflict.
pub async fn confirm(ctx: &Context, pool_id: &str, login: &str) -> Result<User> {
    modify(ctx, pool_id, login, |_, row| {
        if row.status != UNCONFIRMED {
            return Err(Error::state(format!(
                "only an UNCONFIRMED user can be confirmed; this one is {}",
                row.status
            )));
        }
        row.status = CONFIRMED.to_string();
        Ok(())
    })
    .await
}

/// Records a global sign-out: every session and refresh token issued before this moment is
/// no longer honoured.
pub async fn sign_out(ctx: &Context, pool_id: &str, login: &str) -> Result<User> {
    let now = ctx.now();
    let user = modify(ctx, pool_id, login, |_, row| {
        row.signed_out_at = Some(now);
        Ok(())
    })
    .await?;
    crate::store::oauth::revoke_user(&ctx.store, pool_id, &user.sub, now).await?;
    Ok(user)
}
