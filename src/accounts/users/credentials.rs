//! Passwords an admin sets: a new invitation with a new temporary password, a permanent or
//! temporary password, and a required reset. A federated user gets none of them.

use crate::accounts::password_policy;
use crate::accounts::signin::srp;
use crate::accounts::users::lookup::{
    CONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED, find_by_sub, sign_in_name,
};
use crate::accounts::users::manage::{modify, modify_row};
use crate::accounts::users::shapes::{SetPassword, User, to_user};
use crate::accounts::verification::reset::send_reset_code;
use crate::context::Context;
use crate::domain::UserStatus;
use crate::error::{Error, Result};
use crate::pools::pool::get_pool;
use crate::pools::pool_config::temporary_password_lifetime;
use crate::store::users::UserRow;

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
            return Err(Error::state(
                "only a user who has not chosen a password can be invited again",
            ));
        }
        row.password_hash = Some(hash.clone());
        row.temporary_password_expires_at = Some(expires);
        Ok(())
    })
    .await?;
    srp::remember(ctx, &row, &password).await;
    if let Some(email) = &row.email {
        let mail = crate::mail::invitation(&pool, email, &sign_in_name(&pool, &row), &password);
        crate::store::outbox::enqueue(&ctx.store, &ctx.outbox.row(&pool, mail, ctx.now())).await?;
        ctx.outbox.wake();
    }
    to_user(row, None)
}

/// A federated user signs in at its provider only: it gets no password here.
fn refuse_federated(row: &UserRow) -> Result<()> {
    if UserStatus::of(row) == Some(UserStatus::ExternalProvider) {
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
    srp::remember(ctx, &row, &input.password).await;
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
        send_reset_code(ctx, &pool, &row).await?;
    }
    Ok(user)
}
