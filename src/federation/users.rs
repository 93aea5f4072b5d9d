//! Who an upstream identity signs in as (Cognito's semantics): the user it is linked to, or,
//! with the pool's `link_by_verified_email`, the one local user whose verified address the
//! provider also vouches for, or else a federated user `<Provider>_<subject>` made now, in
//! the group `<pool id>_<Provider>`. A federated user's mapped attributes follow the
//! provider at every sign-in; a linked local user's attributes stay its own.

use serde_json::Value;

use crate::accounts::attributes::Attributes;
use crate::accounts::users::lookup::{federated_row, set_federated_attributes};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::federation::mapping::{self, Upstream};
use crate::pools::Pool;
use crate::store::StoreError;
use crate::store::federation::{self as store, LinkRow};
use crate::store::groups::GroupRow;
use crate::store::identity_providers::ProviderRow;
use crate::store::users::{self as users_store, UserRow};

/// Where a federated sign-in lands.
#[derive(Debug)]
pub enum Resolved {
    User(Box<UserRow>),
    /// The user exists but is disabled.
    Disabled,
    /// A local user already has the name `<Provider>_<subject>`: it is not this identity's,
    /// and is never taken over.
    NameTaken,
}

pub fn group_name(pool_id: &str, provider: &str) -> String {
    format!("{pool_id}_{provider}")
}

fn is_verified(user: &UserRow) -> bool {
    serde_json::from_str::<Attributes>(&user.attributes)
        .ok()
        .is_some_and(|a| {
            matches!(a.get("email_verified"), Some(Value::Bool(true)))
                || matches!(a.get("email_verified"), Some(Value::String(s)) if s == "true")
        })
}

fn attributes_of(user: &UserRow) -> Result<Attributes> {
    Ok(serde_json::from_str(&user.attributes).map_err(StoreError::from)?)
}

/// Resolves (and, for a first sign-in, creates) the user `upstream` signs in as.
pub async fn sign_in_as(
    ctx: &Context,
    pool: &Pool,
    provider: &ProviderRow,
    upstream: &Upstream,
) -> Result<Resolved> {
    // Two attempts: a first sign-in that loses a race to a parallel one of the same
    // identity reads the winner's link the second time.
    for _ in 0..2 {
        if let Some(link) =
            store::link_of(&ctx.store, &pool.id, &provider.name, &upstream.subject).await?
        {
            return linked(ctx, pool, link, upstream).await;
        }
        if pool.config.link_by_verified_email
            && let Some(email) = &upstream.verified_email
            && let Some(user) = auto_link(ctx, pool, provider, upstream, email).await?
        {
            return Ok(enabled(user));
        }
        match create(ctx, pool, provider, upstream).await {
            Ok(user) => return Ok(Resolved::User(Box::new(user))),
            Err(Created::Taken) => continue,
            Err(Created::Failed(err)) => return Err(err),
        }
    }
    Ok(Resolved::NameTaken)
}

fn enabled(user: UserRow) -> Resolved {
    if user.enabled {
        Resolved::User(Box::new(user))
    } else {
        Resolved::Disabled
    }
}

async fn linked(
    ctx: &Context,
    pool: &Pool,
    link: LinkRow,
    upstream: &Upstream,
) -> Result<Resolved> {
    let user = match users_store::get_by_id(&ctx.store, &pool.id, &link.user_id).await {
        Ok(user) => user,
        // Deleted meanwhile (the link went with it): a new first sign-in.
        Err(StoreError::NotFound) => return Ok(Resolved::NameTaken),
        Err(err) => return Err(err.into()),
    };
    if !link.is_primary || !user.enabled {
        return Ok(enabled(user));
    }
    refresh(ctx, pool, user, upstream).await.map(enabled)
}

/// A federated user's mapped attributes, as the provider sends them now. Attributes the
/// mapping does not name (and `identities`) stay as they are.
async fn refresh(
    ctx: &Context,
    pool: &Pool,
    mut user: UserRow,
    upstream: &Upstream,
) -> Result<UserRow> {
    for _ in 0..3 {
        let mut attrs = attributes_of(&user)?;
        let before = attrs.clone();
        for (name, value) in &upstream.attributes {
            attrs.insert(name.clone(), value.clone());
        }
        if attrs == before {
            return Ok(user);
        }
        let version = user.version;
        let mut row = user.clone();
        set_federated_attributes(pool, &mut row, &attrs)?;
        row.updated_at = ctx.now();
        if users_store::save(&ctx.store, &row, version).await? {
            row.version = version + 1;
            return Ok(row);
        }
        user = users_store::get_by_id(&ctx.store, &pool.id, &user.id).await?;
    }
    Err(Error::Store(StoreError::Contention))
}

async fn auto_link(
    ctx: &Context,
    pool: &Pool,
    provider: &ProviderRow,
    upstream: &Upstream,
    email: &str,
) -> Result<Option<UserRow>> {
    let found = users_store::local_with_email(&ctx.store, &pool.id, email).await?;
    // One local user, whose own address is verified: the provider's word alone never links
    // (anyone can claim an address at a provider that does not check it).
    let [user] = found.as_slice() else {
        return Ok(None);
    };
    if !is_verified(user) || user.status != crate::accounts::users::lookup::CONFIRMED {
        return Ok(None);
    }
    match add_link(ctx, pool, provider, user.clone(), &upstream.subject).await {
        Ok(user) => Ok(Some(user)),
        Err(Error::Conflict(..)) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Links `subject` of `provider` to the local `user` and records it in `identities`.
pub async fn add_link(
    ctx: &Context,
    pool: &Pool,
    provider: &ProviderRow,
    mut user: UserRow,
    subject: &str,
) -> Result<UserRow> {
    let now = ctx.now();
    let link = LinkRow {
        pool_id: pool.id.clone(),
        provider_name: provider.name.clone(),
        provider_subject: subject.to_string(),
        user_id: user.id.clone(),
        is_primary: false,
        created_at: now,
    };
    for _ in 0..3 {
        let attrs = mapping::with_identities(&attributes_of(&user)?, |list| {
            list.push(mapping::identity(
                &provider.name,
                &provider.issuer,
                subject,
                false,
                now,
            ))
        });
        let version = user.version;
        let mut row = user.clone();
        row.attributes = serde_json::to_string(&attrs).map_err(StoreError::from)?;
        row.updated_at = now;
        match store::change_link(&ctx.store, &link, true, &row, version).await {
            Ok(true) => {
                row.version = version + 1;
                return Ok(row);
            }
            Ok(false) => {
                user = users_store::get_by_id(&ctx.store, &pool.id, &user.id).await?;
            }
            Err(StoreError::Conflict(_)) => {
                return Err(Error::exists(format!(
                    "this {} identity is already linked to a user of the pool",
                    provider.name
                )));
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(Error::Store(StoreError::Contention))
}

/// Removes the link of `subject` of `provider` from the local `user`.
pub async fn remove_link(
    ctx: &Context,
    pool: &Pool,
    provider: &str,
    mut user: UserRow,
    subject: &str,
) -> Result<()> {
    let link = LinkRow {
        pool_id: pool.id.clone(),
        provider_name: provider.to_string(),
        provider_subject: subject.to_string(),
        user_id: user.id.clone(),
        is_primary: false,
        created_at: 0,
    };
    for _ in 0..3 {
        let attrs = mapping::with_identities(&attributes_of(&user)?, |list| {
            list.retain(|i| !(i["providerName"] == provider && i["userId"] == subject))
        });
        let version = user.version;
        let mut row = user.clone();
        row.attributes = serde_json::to_string(&attrs).map_err(StoreError::from)?;
        row.updated_at = ctx.now();
        match store::change_link(&ctx.store, &link, false, &row, version).await {
            Ok(true) => return Ok(()),
            Ok(false) => user = users_store::get_by_id(&ctx.store, &pool.id, &user.id).await?,
            Err(StoreError::NotFound) => return Err(Error::NotFound("linked identity")),
            Err(err) => return Err(err.into()),
        }
    }
    Err(Error::Store(StoreError::Contention))
}

/// Why a first sign-in made no user.
enum Created {
    /// The identity, or the username, was taken meanwhile.
    Taken,
    Failed(Error),
}

impl From<Error> for Created {
    fn from(err: Error) -> Self {
        Created::Failed(err)
    }
}

async fn create(
    ctx: &Context,
    pool: &Pool,
    provider: &ProviderRow,
    upstream: &Upstream,
) -> std::result::Result<UserRow, Created> {
    let now = ctx.now();
    let attrs = mapping::with_identities(&upstream.attributes, |list| {
        list.push(mapping::identity(
            &provider.name,
            &provider.issuer,
            &upstream.subject,
            true,
            now,
        ))
    });
    let username = format!("{}_{}", provider.name, upstream.subject);
    let user = federated_row(pool, username, &attrs, now)?;
    let link = LinkRow {
        pool_id: pool.id.clone(),
        provider_name: provider.name.clone(),
        provider_subject: upstream.subject.clone(),
        user_id: user.id.clone(),
        is_primary: true,
        created_at: now,
    };
    let group = GroupRow {
        pool_id: pool.id.clone(),
        name: group_name(&pool.id, &provider.name),
        description: Some(format!(
            "Autogenerated group for users who sign in using {}",
            provider.name
        )),
        precedence: None,
        created_at: now,
        updated_at: now,
    };
    match store::create_federated_user(&ctx.store, &user, &link, &group).await {
        Ok(()) => Ok(user),
        Err(StoreError::Conflict(what)) => {
            tracing::info!(conflict = %what, "a first federated sign-in met an existing row");
            Err(Created::Taken)
        }
        // The provider was deleted while this sign-in was under way.
        Err(StoreError::Reference(_)) => Err(Created::Failed(Error::NotFound("identity provider"))),
        Err(err) => Err(Created::Failed(err.into())),
    }
}
