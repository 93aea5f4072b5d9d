//! `AdminLinkProviderForUser` and its undoing: an admin says which local user an upstream
//! identity signs in as.

use crate::accounts::users::lookup::find_for_admin;
use crate::context::Context;
use crate::domain::UserStatus;
use crate::error::{Error, Result};
use crate::federation::mapping::SUBJECT_MAX;
use crate::federation::users::{add_link, remove_link};
use crate::pools::pool::get_pool;
use crate::store::StoreError;
use crate::store::federation as store;
use crate::store::identity_providers as providers;

/// Cognito links at most five identities to one user.
pub const MAX_LINKS_PER_USER: usize = 5;

/// An upstream identity: the provider's name and the subject it knows the user by.
#[derive(Debug)]
pub struct LinkedIdentity {
    /// An identity provider of the pool.
    pub provider_name: String,
    /// The identity's subject at that provider (the claim `username` maps to, `sub` by default).
    pub provider_subject: String,
}

fn check_subject(subject: &str) -> Result<()> {
    if subject.is_empty()
        || subject.len() > SUBJECT_MAX
        || !subject.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(Error::validation(
            "provider_subject",
            "must be 1-255 visible ASCII characters",
        ));
    }
    Ok(())
}

pub async fn link(ctx: &Context, pool_id: &str, login: &str, input: LinkedIdentity) -> Result<()> {
    let pool = get_pool(ctx, pool_id).await?;
    check_subject(&input.provider_subject)?;
    let user = find_for_admin(ctx, &pool, login).await?;
    let provider = match providers::get(&ctx.store, &pool.id, &input.provider_name).await {
        Ok(row) => row,
        Err(StoreError::NotFound) => {
            return Err(Error::validation(
                "provider_name",
                "is not an identity provider of this pool",
            ));
        }
        Err(err) => return Err(err.into()),
    };
    if UserStatus::of(&user) == Some(UserStatus::ExternalProvider) {
        return Err(Error::validation(
            "username",
            "is a federated user; identities are linked to the pool's own users",
        ));
    }
    if let Some(existing) = store::link_of(
        &ctx.store,
        &pool.id,
        &provider.name,
        &input.provider_subject,
    )
    .await?
    {
        return Err(Error::exists(if existing.user_id == user.id {
            "this identity is already linked to this user"
        } else {
            "this identity already signs in as another user of the pool (delete that user, or \
             unlink it, first)"
        }));
    }
    if store::links_of_user(&ctx.store, &user.id).await?.len() >= MAX_LINKS_PER_USER {
        return Err(Error::limit(format!(
            "a user has at most {MAX_LINKS_PER_USER} linked identities"
        )));
    }
    add_link(ctx, &pool, &provider, user, &input.provider_subject).await?;
    Ok(())
}

pub async fn unlink(
    ctx: &Context,
    pool_id: &str,
    login: &str,
    input: LinkedIdentity,
) -> Result<()> {
    let pool = get_pool(ctx, pool_id).await?;
    check_subject(&input.provider_subject)?;
    let user = find_for_admin(ctx, &pool, login).await?;
    let link = store::link_of(
        &ctx.store,
        &pool.id,
        &input.provider_name,
        &input.provider_subject,
    )
    .await?
    .filter(|l| l.user_id == user.id)
    .ok_or(Error::NotFound("linked identity"))?;
    if link.is_primary {
        return Err(Error::validation(
            "provider_subject",
            "is this federated user's own identity; delete the user instead",
        ));
    }
    remove_link(
        ctx,
        &pool,
        &input.provider_name,
        user,
        &input.provider_subject,
    )
    .await
}
