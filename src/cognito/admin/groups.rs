//! Groups and membership as an admin manages them: `CreateGroup` … `ListUsersInGroup`,
//! over `accounts::groups`.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::groups::{self, Group, GroupPatch, NewGroup};
use crate::cognito::Call;
use crate::cognito::protocol::{Answer, Exception, Kind};
use crate::cognito::shapes::{epoch, user_type};
use crate::error::{Clash, Error};
use crate::store::paging::{Page, PageRequest};

/// The core's errors as the group operations name them.
fn group_error(err: Error) -> Exception {
    match err {
        Error::NotFound("pool") => {
            Exception::new(Kind::ResourceNotFound, "User pool does not exist.")
        }
        Error::Conflict(Clash::Exists, m) => Exception::new(Kind::GroupExists, m),
        other => other.into(),
    }
}

fn page(limit: Option<i64>, token: Option<&str>) -> Result<PageRequest, Exception> {
    PageRequest::parse(limit, token).map_err(|e| Exception::invalid(e.to_string()))
}

/// Cognate keeps no IAM role per group (nothing reads `cognito:roles`), so one given is
/// refused rather than silently dropped.
fn no_role(role_arn: Option<&str>) -> Result<(), Exception> {
    match role_arn {
        Some(_) => Err(Exception::invalid(
            "Cognate does not support group roles (RoleArn).",
        )),
        None => Ok(()),
    }
}

/// `GroupType`.
fn group_type(pool_id: &str, group: &Group) -> Value {
    let mut out = json!({
        "GroupName": group.name,
        "UserPoolId": pool_id,
        "CreationDate": epoch(group.created_at),
        "LastModifiedDate": epoch(group.updated_at),
    });
    if let Some(d) = &group.description {
        out["Description"] = json!(d);
    }
    if let Some(p) = group.precedence {
        out["Precedence"] = json!(p);
    }
    out
}

fn groups_page(pool_id: &str, found: Page<Group>) -> Value {
    let listed: Vec<Value> = found.items.iter().map(|g| group_type(pool_id, g)).collect();
    let mut out = json!({"Groups": listed});
    if let Some(token) = found.next_token {
        out["NextToken"] = json!(token);
    }
    out
}

/// The body of `CreateGroup` and `UpdateGroup` alike.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupInput {
    user_pool_id: String,
    group_name: String,
    description: Option<String>,
    role_arn: Option<String>,
    precedence: Option<i64>,
}

pub async fn create_group(call: &Call<'_>) -> Answer {
    let input: GroupInput = call.input()?;
    no_role(input.role_arn.as_deref())?;
    let made = groups::create_group(
        call.ctx,
        &input.user_pool_id,
        NewGroup {
            name: input.group_name,
            description: input.description,
            precedence: input.precedence,
        },
    )
    .await
    .map_err(group_error)?;
    Ok(json!({"Group": group_type(&input.user_pool_id, &made)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupId {
    user_pool_id: String,
    group_name: String,
}

pub async fn get_group(call: &Call<'_>) -> Answer {
    let input: GroupId = call.input()?;
    let found = groups::get_group(call.ctx, &input.user_pool_id, &input.group_name)
        .await
        .map_err(group_error)?;
    Ok(json!({"Group": group_type(&input.user_pool_id, &found)}))
}

pub async fn update_group(call: &Call<'_>) -> Answer {
    let input: GroupInput = call.input()?;
    no_role(input.role_arn.as_deref())?;
    let updated = groups::update_group(
        call.ctx,
        &input.user_pool_id,
        &input.group_name,
        GroupPatch {
            description: input.description,
            precedence: input.precedence,
        },
    )
    .await
    .map_err(group_error)?;
    Ok(json!({"Group": group_type(&input.user_pool_id, &updated)}))
}

pub async fn delete_group(call: &Call<'_>) -> Answer {
    let input: GroupId = call.input()?;
    groups::delete_group(call.ctx, &input.user_pool_id, &input.group_name)
        .await
        .map_err(group_error)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListGroups {
    user_pool_id: String,
    limit: Option<i64>,
    next_token: Option<String>,
}

pub async fn list_groups(call: &Call<'_>) -> Answer {
    let input: ListGroups = call.input()?;
    let request = page(input.limit, input.next_token.as_deref())?;
    let found = groups::list_groups(call.ctx, &input.user_pool_id, request)
        .await
        .map_err(group_error)?;
    Ok(groups_page(&input.user_pool_id, found))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Membership {
    user_pool_id: String,
    username: String,
    group_name: String,
}

pub async fn admin_add_user_to_group(call: &Call<'_>) -> Answer {
    let input: Membership = call.input()?;
    groups::add_member(
        call.ctx,
        &input.user_pool_id,
        &input.group_name,
        &input.username,
    )
    .await
    .map_err(group_error)?;
    Ok(json!({}))
}

pub async fn admin_remove_user_from_group(call: &Call<'_>) -> Answer {
    let input: Membership = call.input()?;
    groups::remove_member(
        call.ctx,
        &input.user_pool_id,
        &input.group_name,
        &input.username,
    )
    .await
    .map_err(group_error)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupsForUser {
    user_pool_id: String,
    username: String,
    limit: Option<i64>,
    next_token: Option<String>,
}

pub async fn admin_list_groups_for_user(call: &Call<'_>) -> Answer {
    let input: GroupsForUser = call.input()?;
    let request = page(input.limit, input.next_token.as_deref())?;
    let found = groups::groups_of_user(call.ctx, &input.user_pool_id, &input.username, request)
        .await
        .map_err(group_error)?;
    Ok(groups_page(&input.user_pool_id, found))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UsersInGroup {
    user_pool_id: String,
    group_name: String,
    limit: Option<i64>,
    next_token: Option<String>,
}

pub async fn list_users_in_group(call: &Call<'_>) -> Answer {
    let input: UsersInGroup = call.input()?;
    let request = page(input.limit, input.next_token.as_deref())?;
    let found = groups::list_members(call.ctx, &input.user_pool_id, &input.group_name, request)
        .await
        .map_err(group_error)?;
    let listed: Vec<Value> = found.items.iter().map(|u| user_type(u, None)).collect();
    let mut out = json!({"Users": listed});
    if let Some(token) = found.next_token {
        out["NextToken"] = json!(token);
    }
    Ok(out)
}
