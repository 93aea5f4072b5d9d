//! Finding users, the lookups every area needs: the login key a typed name is matched on,
//! by name (or email where it is the username) and by `sub`, the name a user signs in
//! with, and a new user row with its attributes mirrored into the indexed columns. Nothing
//! here calls up into factors, verification or SRP: the use cases in `manage` do.

use serde_json::Value;

use crate::accounts::attributes::{self, Attributes};
use crate::accounts::username::{self, Lookup};
use crate::context::Context;
use crate::domain::UserStatus;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::store::StoreError;
use crate::store::users::{self as store, UserRow};

pub const UNCONFIRMED: &str = "UNCONFIRMED";

pub const CONFIRMED: &str = "CONFIRMED";

pub const FORCE_CHANGE_PASSWORD: &str = "FORCE_CHANGE_PASSWORD";

pub const RESET_REQUIRED: &str = "RESET_REQUIRED";

/// The key a typed username (or email, where it is the username) is matched on.
pub fn login_key(pool: &Pool, value: &str) -> String {
    username::login_key(pool, value)
}

pub(crate) fn normalise_key(pool: &Pool, value: &str) -> String {
    username::key_or_legacy(pool, value)
}

/// Mirrors the filterable attributes into their indexed columns.
pub(crate) fn set_attributes(pool: &Pool, row: &mut UserRow, attrs: &Attributes) -> Result<()> {
    let mut attrs = attrs.clone();
    let mut email = attributes::string(&attrs, "email");
    if pool.config.email_is_username() {
        // A new address is a new username, prepared and checked as one; an unchanged one
        // keeps its key, so a user stored before RFC 8265 preparation keeps theirs.
        let unchanged = email.is_some() && email == row.email && row.email_key.is_some();
        if !unchanged {
            if let Some(e) = &mut email {
                *e = username::email_for(pool, "attributes.email", e)?;
                attrs.insert("email".into(), Value::String(e.clone()));
            }
            row.email_key = email.as_deref().map(|e| normalise_key(pool, e));
        }
    } else {
        row.email_key = None;
    }
    row.attributes = serde_json::to_string(&attrs).map_err(StoreError::from)?;
    row.email = email;
    row.phone_number = attributes::string(&attrs, "phone_number");
    row.name = attributes::string(&attrs, "name");
    row.given_name = attributes::string(&attrs, "given_name");
    row.family_name = attributes::string(&attrs, "family_name");
    row.preferred_username = attributes::string(&attrs, "preferred_username");
    Ok(())
}

/// What the user types to sign in: the email where it is the username.
pub fn sign_in_name(pool: &Pool, row: &UserRow) -> String {
    match (&row.email, pool.config.email_is_username()) {
        (Some(email), true) => email.clone(),
        _ => row.username.clone(),
    }
}

/// A new user row with its attributes mirrored into the indexed columns.
#[allow(clippy::too_many_arguments)]
pub(crate) fn new_user_row(
    pool: &Pool,
    id: String,
    username: String,
    attrs: &Attributes,
    status: &str,
    password_hash: String,
    temporary_password_expires_at: Option<i64>,
    now: i64,
) -> Result<UserRow> {
    let mut row = UserRow {
        id,
        pool_id: pool.id.clone(),
        username_key: normalise_key(pool, &username),
        username,
        email_key: None,
        status: status.to_string(),
        enabled: true,
        attributes: String::new(),
        email: None,
        phone_number: None,
        name: None,
        given_name: None,
        family_name: None,
        preferred_username: None,
        password_hash: Some(password_hash),
        temporary_password_expires_at,
        signed_out_at: None,
        signup_submitted_by: None,
        signup_contested: false,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    set_attributes(pool, &mut row, attrs)?;
    Ok(row)
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
        UserStatus::ExternalProvider.as_str(),
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

/// Finds a user by username, or by email where the email is the username.
pub async fn find_user(ctx: &Context, pool: &Pool, login: &str) -> Result<UserRow> {
    find_as(ctx, pool, login, Lookup::Anyone).await
}

pub(crate) async fn find_as(
    ctx: &Context,
    pool: &Pool,
    login: &str,
    who: Lookup,
) -> Result<UserRow> {
    if login.is_empty() || login.len() > 512 || login.contains('\0') {
        return Err(Error::NotFound("user"));
    }
    let mut found = None;
    for key in username::lookup_keys(pool, login, who) {
        match store::find(&ctx.store, &pool.id, &key).await {
            Ok(row) => {
                found.get_or_insert(row);
            }
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    found.ok_or(Error::NotFound("user"))
}

/// The user an admin names (by username, or email where it is the username).
pub async fn find_for_admin(ctx: &Context, pool: &Pool, login: &str) -> Result<UserRow> {
    find_as(ctx, pool, login, Lookup::Admin).await
}

/// The user with this `sub` in this pool, if any.
/// The user `sub`, and whether the token family `origin_jti` has been revoked.
pub async fn find_by_sub_with_revocation(
    ctx: &Context,
    pool_id: &str,
    sub: &str,
    origin_jti: &str,
) -> Result<Option<(UserRow, bool)>> {
    if uuid::Uuid::parse_str(sub).is_err() {
        return Ok(None);
    }
    match store::get_by_id_with_revocation(&ctx.store, pool_id, sub, origin_jti).await {
        Ok(found) => Ok(Some(found)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub async fn find_by_sub(ctx: &Context, pool_id: &str, sub: &str) -> Result<Option<UserRow>> {
    if uuid::Uuid::parse_str(sub).is_err() {
        return Ok(None);
    }
    match store::get_by_id(&ctx.store, pool_id, sub).await {
        Ok(row) => Ok(Some(row)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
