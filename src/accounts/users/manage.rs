//! Users: creation by an admin, lookup by username (or email), attribute changes, states
//! (`UNCONFIRMED`, `CONFIRMED`, `FORCE_CHANGE_PASSWORD`, `RESET_REQUIRED`), enable/disable
//! and global sign-out.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::accounts::attributes::{self, Attributes};
use crate::accounts::password_policy;
use crate::accounts::types::MfaFactor;
use crate::accounts::username::{self, Lookup};
use crate::accounts::users::filter::{self, Attribute, Match};
use crate::clock::to_datetime;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::pool::{Pool, get_pool, temporary_password_lifetime};
use crate::store::StoreError;
use crate::store::paging::{Page, PageRequest};
use crate::store::user_codes;
use crate::store::users::{self as store, ColumnMatch, UserRow};

use crate::accounts::users::lookup::{
    CONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED, UNCONFIRMED, find_as, find_by_sub,
    new_user_row, normalise_key, set_attributes, sign_in_name,
};

/// Checked here and written into the OpenAPI document from here.
pub const USERNAME_MAX: usize = crate::accounts::username::MAX_CHARS;

/// A user as the API shows it. The password hash never leaves the store.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub username: String,
    /// Stable UUID of the user.
    pub sub: String,
    pub status: String,
    pub enabled: bool,
    #[schema(value_type = Object)]
    pub attributes: Attributes,
    /// The generated temporary password, present only in the answer that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_password: Option<String>,
    /// The user's second factors (in the answers about one user).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa: Option<MfaSummary>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// What a user has of second factors.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MfaSummary {
    /// An authenticator app is set up.
    pub totp: bool,
    /// Codes by email are on (and the email is verified).
    pub email: bool,
    /// `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`, or null.
    pub preferred: Option<String>,
    pub recovery_codes_left: i64,
}

/// `PUT /pools/{pool_id}/users/{username}/mfa` body, as Cognito's
/// `AdminSetUserMFAPreference`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaPreference {
    /// `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`, or null for none.
    #[serde(default, deserialize_with = "present")]
    pub preferred: Option<Option<String>>,
    pub email_enabled: Option<bool>,
}

/// Tells an absent field (`None`) from an explicit null (`Some(None)`).
fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `POST /pools/{pool_id}/users` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// The username; in pools whose username is the email, the email address.
    pub username: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Attributes,
    /// A permanent password: the user is `CONFIRMED`.
    pub password: Option<String>,
    /// A temporary password: the user must choose a new one at first sign-in. Without
    /// either password one is generated and returned once.
    pub temporary_password: Option<String>,
    pub email_verified: Option<bool>,
    /// Do not email the temporary password to the user (default `false`).
    pub suppress_invitation: Option<bool>,
}

/// `PATCH /pools/{pool_id}/users/{username}` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// Attributes to set; `null` removes one.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Attributes,
    pub email_verified: Option<bool>,
}

/// `POST .../users/{username}/password` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    pub password: String,
    #[serde(default)]
    pub permanent: bool,
}

// Passwords never reach a `Debug` dump.
impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("attributes", &self.attributes)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field(
                "temporary_password",
                &self.temporary_password.as_ref().map(|_| "[redacted]"),
            )
            .field("email_verified", &self.email_verified)
            .field("suppress_invitation", &self.suppress_invitation)
            .finish()
    }
}

impl std::fmt::Debug for SetPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetPassword")
            .field("password", &"[redacted]")
            .field("permanent", &self.permanent)
            .finish()
    }
}

fn to_user(row: UserRow, temporary_password: Option<String>) -> Result<User> {
    let attributes: Attributes = serde_json::from_str(&row.attributes).map_err(StoreError::from)?;
    Ok(User {
        username: row.username,
        sub: row.id,
        status: row.status,
        enabled: row.enabled,
        attributes,
        temporary_password,
        mfa: None,
        created_at: to_datetime(row.created_at),
        updated_at: to_datetime(row.updated_at),
    })
}

/// A federated user's row: mapped attributes mirrored as for any user, but no password and
/// no email key (it signs in through its provider, never by address). An address the pool
/// could not take as a username is left out rather than failing the sign-in.
pub(crate) fn federated_row(
    pool: &Pool,
    username: String,
    attrs: &Attributes,
    now: i64,
) -> Result<UserRow> {
    let mut row = new_user_row(
        pool,
        uuid::Uuid::new_v4().to_string(),
        username,
        &Attributes::new(),
        crate::accounts::types::UserStatus::ExternalProvider.as_str(),
        String::new(),
        None,
        now,
    )?;
    row.password_hash = None;
    set_federated_attributes(pool, &mut row, attrs)?;
    Ok(row)
}

/// Replaces a federated (or linked) user's attributes, keeping it keyless by email.
pub(crate) fn set_federated_attributes(
    pool: &Pool,
    row: &mut UserRow,
    attrs: &Attributes,
) -> Result<()> {
    if set_attributes(pool, row, attrs).is_err() {
        let mut without = attrs.clone();
        without.remove("email");
        without.remove("email_verified");
        set_attributes(pool, row, &without)?;
    }
    row.email_key = None;
    Ok(())
}

fn conflict_on_write(err: StoreError, pool: &Pool) -> Error {
    match err {
        StoreError::Conflict(_) if pool.config.email_is_username() => {
            Error::Conflict("a user with this email already exists in this pool".into())
        }
        StoreError::Conflict(_) => {
            Error::Conflict("a user with this username already exists in this pool".into())
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
    crate::accounts::signin::srp::remember(ctx, &row, &password).await;
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
    let factors = crate::accounts::factors::mfa::factors(ctx, &row).await?;
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
    crate::accounts::factors::mfa::set_preferences(ctx, &row, input.email_enabled, preferred)
        .await?;
    with_mfa(ctx, row).await
}

/// A lost phone: removes the user's TOTP and recovery codes and signs them out everywhere.
pub async fn remove_totp(ctx: &Context, pool_id: &str, login: &str) -> Result<User> {
    let pool = get_pool(ctx, pool_id).await?;
    let row = find_as(ctx, &pool, login, Lookup::Admin).await?;
    crate::accounts::factors::mfa::remove_totp(ctx, &row).await?;
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
async fn modify(
    ctx: &Context,
    pool_id: &str,
    login: &str,
    change: impl Fn(&Pool, &mut UserRow) -> Result<()>,
) -> Result<User> {
    to_user(modify_row(ctx, pool_id, login, change).await?, None)
}

async fn modify_row(
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
            user_codes::save_killing_codes(
                &ctx.store,
                &row,
                version,
                crate::accounts::factors::codes::MAX_TRIES,
            )
            .await
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
            return Err(Error::Conflict(format!(
                "only an UNCONFIRMED user can be confirmed; this one is {}",
                row.status
            )));
        }
        row.status = CONFIRMED.to_string();
        Ok(())
    })
    .await
}

/// Sends a user who has not yet chosen a password a new invitation, with a new temporary
/// password (`temporary`, or a generated one), as `AdminCreateUser` with `RESEND` does.
pub async fn resend_invitation(
    ctx: &Context,
    pool_id: &str,
    login: &str,
    temporary: Option<String>,
) -> Result<User> {
    let pool = get_pool(ctx, pool_id).await?;
    let policy = &pool.config.password_policy;
    let password = match temporary {
        Some(t) => {
            password_policy::check("temporary_password", policy, &t)?;
            t
        }
        None => password_policy::generate_temporary(policy),
    };
    let hash = ctx.hasher.hash(&password).await?;
    let expires = ctx.now() + temporary_password_lifetime(policy);
    let row = modify_row(ctx, pool_id, login, |_, row| {
        if row.status != FORCE_CHANGE_PASSWORD {
            return Err(Error::Conflict(
                "only a user who has not chosen a password can be invited again".into(),
            ));
        }
        row.password_hash = Some(hash.clone());
        row.temporary_password_expires_at = Some(expires);
        Ok(())
    })
    .await?;
    crate::accounts::signin::srp::remember(ctx, &row, &password).await;
    if let Some(email) = &row.email {
        let mail = crate::mail::invitation(&pool, email, &sign_in_name(&pool, &row), &password);
        crate::store::outbox::enqueue(&ctx.store, &ctx.outbox.row(&pool, mail, ctx.now())).await?;
        ctx.outbox.wake();
    }
    to_user(row, None)
}

/// A federated user signs in at its provider only: it gets no password here.
fn refuse_federated(row: &UserRow) -> Result<()> {
    if crate::accounts::types::UserStatus::of(row)
        == Some(crate::accounts::types::UserStatus::ExternalProvider)
    {
        return Err(Error::validation(
            "username",
            "is a federated user; it signs in through its identity provider and has no password",
        ));
    }
    Ok(())
}

/// Sets a permanent password (`CONFIRMED`) or a temporary one (`FORCE_CHANGE_PASSWORD`).
pub async fn set_password(
    ctx: &Context,
    pool_id: &str,
    login: &str,
    input: SetPassword,
) -> Result<User> {
    let pool = get_pool(ctx, pool_id).await?;
    password_policy::check("password", &pool.config.password_policy, &input.password)?;
    let hash = ctx.hasher.hash(&input.password).await?;
    let now = ctx.now();
    let lifetime = temporary_password_lifetime(&pool.config.password_policy);
    let row = modify_row(ctx, pool_id, login, |_, row| {
        refuse_federated(row)?;
        row.password_hash = Some(hash.clone());
        if input.permanent {
            row.status = CONFIRMED.to_string();
            row.temporary_password_expires_at = None;
        } else {
            row.status = FORCE_CHANGE_PASSWORD.to_string();
            row.temporary_password_expires_at = Some(now + lifetime);
        }
        Ok(())
    })
    .await?;
    crate::accounts::signin::srp::remember(ctx, &row, &input.password).await;
    to_user(row, None)
}

/// Requires the user to reset the password before the next sign-in, and mails a reset
/// code when the user has a verified email.
pub async fn require_reset(ctx: &Context, pool_id: &str, login: &str) -> Result<User> {
    let user = modify(ctx, pool_id, login, |_, row| {
        refuse_federated(row)?;
        row.status = RESET_REQUIRED.to_string();
        row.temporary_password_expires_at = None;
        Ok(())
    })
    .await?;
    let pool = get_pool(ctx, pool_id).await?;
    if let Some(row) = find_by_sub(ctx, pool_id, &user.sub).await? {
        crate::accounts::verification::signup::send_reset_code(ctx, &pool, &row).await?;
    }
    Ok(user)
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

/// A stored user as the API shows it.
pub fn user_from_row(row: UserRow) -> Result<User> {
    to_user(row, None)
}
