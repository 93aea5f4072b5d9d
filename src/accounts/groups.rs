//! Groups of users in a pool, and membership. Group names go into tokens as
//! `cognito:groups`.

use crate::accounts::users::lookup::find_user;
use crate::accounts::users::shapes::{User, user_from_row};
use crate::clock::to_datetime;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::pool::get_pool;
use crate::pools::text;
use crate::store::StoreError;
use crate::store::groups::{self as store, GroupRow};
use crate::store::paging::{Page, PageRequest};

#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub description: Option<String>,
    /// Lower wins when a user is in several groups.
    pub precedence: Option<i64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug)]
pub struct NewGroup {
    pub name: String,
    pub description: Option<String>,
    pub precedence: Option<i64>,
}

/// A change to a group; the name is the group's identity and cannot change.
#[derive(Debug)]
pub struct GroupPatch {
    pub description: Option<String>,
    pub precedence: Option<i64>,
}

// Checked here and written into the OpenAPI document from here.
pub const NAME_MAX: usize = 128;
pub const DESCRIPTION_MAX: usize = 2048;
pub const PRECEDENCE: std::ops::RangeInclusive<i64> = 0..=2_147_483_647;

fn to_group(row: GroupRow) -> Group {
    Group {
        name: row.name,
        description: row.description,
        precedence: row.precedence,
        created_at: to_datetime(row.created_at),
        updated_at: to_datetime(row.updated_at),
    }
}

fn validate_name(name: &str) -> Result<()> {
    text::name("name", name, NAME_MAX)?;
    if name.chars().any(char::is_whitespace) {
        return Err(Error::validation("name", "must not contain whitespace"));
    }
    Ok(())
}

fn validate_fields(description: Option<&str>, precedence: Option<i64>) -> Result<()> {
    if let Some(d) = description {
        text::free_text("description", d, DESCRIPTION_MAX)?;
    }
    if precedence.is_some_and(|p| !PRECEDENCE.contains(&p)) {
        return Err(Error::validation(
            "precedence",
            format!(
                "must be between {} and {}",
                PRECEDENCE.start(),
                PRECEDENCE.end()
            ),
        ));
    }
    Ok(())
}

async fn load(ctx: &Context, pool_id: &str, name: &str) -> Result<GroupRow> {
    if validate_name(name).is_err() {
        return Err(Error::NotFound("group"));
    }
    match store::get(&ctx.store, pool_id, name).await {
        Ok(row) => Ok(row),
        Err(StoreError::NotFound) => Err(Error::NotFound("group")),
        Err(e) => Err(e.into()),
    }
}

pub async fn create_group(ctx: &Context, pool_id: &str, input: NewGroup) -> Result<Group> {
    get_pool(ctx, pool_id).await?;
    validate_name(&input.name)?;
    validate_fields(input.description.as_deref(), input.precedence)?;
    let now = ctx.now();
    let row = GroupRow {
        pool_id: pool_id.to_string(),
        name: input.name,
        description: input.description,
        precedence: input.precedence,
        created_at: now,
        updated_at: now,
    };
    match store::insert(&ctx.store, &row).await {
        Ok(()) => Ok(to_group(row)),
        Err(StoreError::Conflict(_)) => Err(Error::exists(format!(
            "a group named `{}` already exists in this pool",
            row.name
        ))),
        Err(StoreError::Reference(_)) => Err(Error::NotFound("pool")),
        Err(e) => Err(e.into()),
    }
}

pub async fn get_group(ctx: &Context, pool_id: &str, name: &str) -> Result<Group> {
    get_pool(ctx, pool_id).await?;
    Ok(to_group(load(ctx, pool_id, name).await?))
}

pub async fn list_groups(ctx: &Context, pool_id: &str, page: PageRequest) -> Result<Page<Group>> {
    get_pool(ctx, pool_id).await?;
    let rows = store::list(&ctx.store, pool_id, &page).await?;
    Ok(page.finish(rows, |r| r.name.clone()).map(to_group))
}

pub async fn update_group(
    ctx: &Context,
    pool_id: &str,
    name: &str,
    patch: GroupPatch,
) -> Result<Group> {
    get_pool(ctx, pool_id).await?;
    validate_fields(patch.description.as_deref(), patch.precedence)?;
    load(ctx, pool_id, name).await?;
    // Only the given fields are written, in one statement, so concurrent patches of
    // different fields both stick.
    let changed = store::update(
        &ctx.store,
        pool_id,
        name,
        patch.description.as_deref(),
        patch.precedence,
        ctx.now(),
    )
    .await?;
    if !changed {
        return Err(Error::NotFound("group"));
    }
    Ok(to_group(load(ctx, pool_id, name).await?))
}

pub async fn delete_group(ctx: &Context, pool_id: &str, name: &str) -> Result<()> {
    get_pool(ctx, pool_id).await?;
    if validate_name(name).is_err() || !store::delete(&ctx.store, pool_id, name).await? {
        return Err(Error::NotFound("group"));
    }
    Ok(())
}

/// Adds a user to a group; doing it twice is the same as once.
pub async fn add_member(ctx: &Context, pool_id: &str, group: &str, login: &str) -> Result<()> {
    let pool = get_pool(ctx, pool_id).await?;
    load(ctx, pool_id, group).await?;
    let user = find_user(ctx, &pool, login).await?;
    match store::add_member(&ctx.store, pool_id, group, &user.id, ctx.now()).await {
        Ok(()) => Ok(()),
        // The group or user was deleted between the lookups and the insert.
        Err(StoreError::Reference(_)) => Err(Error::NotFound("group or user")),
        Err(e) => Err(e.into()),
    }
}

/// Removes a user from a group; removing a non-member changes nothing.
pub async fn remove_member(ctx: &Context, pool_id: &str, group: &str, login: &str) -> Result<()> {
    let pool = get_pool(ctx, pool_id).await?;
    load(ctx, pool_id, group).await?;
    let user = find_user(ctx, &pool, login).await?;
    Ok(store::remove_member(&ctx.store, pool_id, group, &user.id).await?)
}

pub async fn list_members(
    ctx: &Context,
    pool_id: &str,
    group: &str,
    page: PageRequest,
) -> Result<Page<User>> {
    get_pool(ctx, pool_id).await?;
    load(ctx, pool_id, group).await?;
    let rows = store::members(&ctx.store, pool_id, group, &page).await?;
    page.finish(rows, |r| r.username_key.clone())
        .try_map(user_from_row)
}

pub async fn groups_of_user(
    ctx: &Context,
    pool_id: &str,
    login: &str,
    page: PageRequest,
) -> Result<Page<Group>> {
    let pool = get_pool(ctx, pool_id).await?;
    let user = find_user(ctx, &pool, login).await?;
    let rows = store::list_for_user(&ctx.store, &user.id, &page).await?;
    Ok(page.finish(rows, |r| r.name.clone()).map(to_group))
}
