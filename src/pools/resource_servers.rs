//! Resource servers: the APIs behind Cognate, and the custom scopes their tokens carry as
//! `<identifier>/<scope name>`.

use crate::clock::to_datetime;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::pool::get_pool;
use crate::pools::text;
use crate::store::StoreError;
use crate::store::paging::{Page, PageRequest};
use crate::store::resource_servers::{self as store, Outcome, ResourceServerRow, ScopeRow};

pub const MAX_PER_POOL: i64 = 25;
pub const MAX_SCOPES: usize = 100;
// The limits below are checked here and written into the OpenAPI document from here.
pub const IDENTIFIER_MAX: usize = 256;
pub const NAME_MAX: usize = 256;
pub const SCOPE_NAME_MAX: usize = 256;
pub const SCOPE_DESCRIPTION_MAX: usize = 256;

/// A scope of the server's, granted as `<identifier>/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomScope {
    /// 1-256 visible ASCII characters, no spaces or `/`.
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct ResourceServer {
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<CustomScope>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A new resource server.
#[derive(Debug)]
pub struct NewResourceServer {
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<CustomScope>,
}

/// A resource server's whole new state. An `identifier`, if given, must equal the one
/// being replaced.
#[derive(Debug)]
pub struct ResourceServerUpdate {
    pub identifier: Option<String>,
    pub name: String,
    pub scopes: Vec<CustomScope>,
}

fn validate_identifier(identifier: &str) -> Result<()> {
    text::name("identifier", identifier, IDENTIFIER_MAX)?;
    if identifier.chars().any(char::is_whitespace) {
        return Err(Error::validation(
            "identifier",
            "must not contain whitespace",
        ));
    }
    Ok(())
}

fn validate_scopes(scopes: &[CustomScope]) -> Result<()> {
    if scopes.len() > MAX_SCOPES {
        return Err(Error::validation(
            "scopes",
            format!("at most {MAX_SCOPES} scopes"),
        ));
    }
    for (i, scope) in scopes.iter().enumerate() {
        let ok = !scope.name.is_empty()
            && scope.name.len() <= SCOPE_NAME_MAX
            && scope
                .name
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'/');
        if !ok {
            return Err(Error::validation(
                format!("scopes[{i}].name"),
                "must be 1-256 visible ASCII characters without spaces or `/`",
            ));
        }
        if scopes[..i].iter().any(|s| s.name == scope.name) {
            return Err(Error::validation(
                format!("scopes[{i}].name"),
                format!("`{}` is listed twice", scope.name),
            ));
        }
        text::name(
            &format!("scopes[{i}].description"),
            &scope.description,
            SCOPE_DESCRIPTION_MAX,
        )?;
    }
    Ok(())
}

fn to_rows(identifier: &str, scopes: &[CustomScope]) -> Vec<ScopeRow> {
    scopes
        .iter()
        .map(|s| ScopeRow {
            identifier: identifier.to_string(),
            name: s.name.clone(),
            description: s.description.clone(),
        })
        .collect()
}

fn to_resource_server(row: ResourceServerRow, scopes: &[ScopeRow]) -> ResourceServer {
    ResourceServer {
        scopes: scopes
            .iter()
            .filter(|s| s.identifier == row.identifier)
            .map(|s| CustomScope {
                name: s.name.clone(),
                description: s.description.clone(),
            })
            .collect(),
        identifier: row.identifier,
        name: row.name,
        created_at: to_datetime(row.created_at),
        updated_at: to_datetime(row.updated_at),
    }
}

fn in_use(used: store::ScopeUse, identifier: &str) -> Error {
    Error::state(format!(
        "scope `{identifier}/{}` is allowed by client `{}` ({}); remove it from the client first",
        used.scope_name, used.client_name, used.client_id
    ))
}

pub async fn create_resource_server(
    ctx: &Context,
    pool_id: &str,
    input: NewResourceServer,
) -> Result<ResourceServer> {
    get_pool(ctx, pool_id).await?;
    validate_identifier(&input.identifier)?;
    text::name("name", &input.name, NAME_MAX)?;
    validate_scopes(&input.scopes)?;
    let now = ctx.now();
    let row = ResourceServerRow {
        pool_id: pool_id.to_string(),
        identifier: input.identifier.clone(),
        name: input.name,
        created_at: now,
        updated_at: now,
    };
    let scopes = to_rows(&input.identifier, &input.scopes);
    match store::create(&ctx.store, &row, &scopes, MAX_PER_POOL).await {
        Ok(Outcome::Done) => {
            // The pool's discovery document lists the new scopes.
            ctx.caches.clear();
            Ok(to_resource_server(row, &scopes))
        }
        Ok(Outcome::LimitReached) => Err(Error::limit(format!(
            "a pool has at most {MAX_PER_POOL} resource servers"
        ))),
        Ok(Outcome::InUse(_)) => Err(Error::state("scope in use")),
        Err(StoreError::Conflict(_)) => Err(Error::exists(format!(
            "a resource server `{}` already exists in this pool",
            input.identifier
        ))),
        Err(StoreError::NotFound) => Err(Error::NotFound("pool")),
        Err(e) => Err(e.into()),
    }
}

pub async fn get_resource_server(
    ctx: &Context,
    pool_id: &str,
    identifier: &str,
) -> Result<ResourceServer> {
    get_pool(ctx, pool_id).await?;
    if validate_identifier(identifier).is_err() {
        return Err(Error::NotFound("resource server"));
    }
    match store::get(&ctx.store, pool_id, identifier).await {
        Ok((row, scopes)) => Ok(to_resource_server(row, &scopes)),
        Err(StoreError::NotFound) => Err(Error::NotFound("resource server")),
        Err(e) => Err(e.into()),
    }
}

pub async fn list_resource_servers(
    ctx: &Context,
    pool_id: &str,
    page: PageRequest,
) -> Result<Page<ResourceServer>> {
    get_pool(ctx, pool_id).await?;
    let (rows, scopes) = store::list(&ctx.store, pool_id, &page).await?;
    Ok(page
        .finish(rows, |r| r.identifier.clone())
        .map(|row| to_resource_server(row, &scopes)))
}

pub async fn replace_resource_server(
    ctx: &Context,
    pool_id: &str,
    identifier: &str,
    input: ResourceServerUpdate,
) -> Result<ResourceServer> {
    get_pool(ctx, pool_id).await?;
    if validate_identifier(identifier).is_err() {
        return Err(Error::NotFound("resource server"));
    }
    if let Some(given) = &input.identifier
        && given != identifier
    {
        return Err(Error::validation(
            "identifier",
            "cannot be changed; it must equal the identifier in the path",
        ));
    }
    text::name("name", &input.name, NAME_MAX)?;
    validate_scopes(&input.scopes)?;
    let row = ResourceServerRow {
        pool_id: pool_id.to_string(),
        identifier: identifier.to_string(),
        name: input.name,
        created_at: 0,
        updated_at: ctx.now(),
    };
    match store::replace(&ctx.store, &row, &to_rows(identifier, &input.scopes)).await {
        Ok(Outcome::Done) => {
            ctx.caches.clear();
            get_resource_server(ctx, pool_id, identifier).await
        }
        Ok(Outcome::InUse(used)) => Err(in_use(used, identifier)),
        Ok(Outcome::LimitReached) => Err(Error::state("limit reached")),
        Err(StoreError::NotFound) => Err(Error::NotFound("resource server")),
        Err(StoreError::Reference(_)) => Err(Error::state(
            "a client started using a removed scope meanwhile; try again",
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_resource_server(ctx: &Context, pool_id: &str, identifier: &str) -> Result<()> {
    get_pool(ctx, pool_id).await?;
    if validate_identifier(identifier).is_err() {
        return Err(Error::NotFound("resource server"));
    }
    match store::delete(&ctx.store, pool_id, identifier).await {
        Ok(Outcome::Done) => {
            ctx.caches.clear();
            Ok(())
        }
        Ok(Outcome::InUse(used)) => Err(in_use(used, identifier)),
        Ok(Outcome::LimitReached) => Err(Error::state("limit reached")),
        Err(StoreError::NotFound) => Err(Error::NotFound("resource server")),
        Err(StoreError::Reference(_)) => Err(Error::state(
            "a client started using one of its scopes meanwhile; try again",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Every custom scope of the pool as (resource server identifier, scope name).
pub async fn all_scopes(ctx: &Context, pool_id: &str) -> Result<Vec<(String, String)>> {
    Ok(store::all_scopes(&ctx.store, pool_id).await?)
}
