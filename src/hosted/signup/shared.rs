//! What the self-service pages share: the pending authorization request a page carries
//! along, the links that keep it, the query the confirm and reset pages read, and the CSRF
//! cookie each form is rendered with.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use crate::context::Context;
use crate::hosted::csrf;
use crate::hosted::forms::request_in_query;
use crate::hosted::html;
use crate::pools::Pool;
use crate::pools::oauth_client::find_oauth_client;
use crate::store::oauth::AuthRequestRow;
use crate::tokens::authorize::{self, Params, with_query};

/// One message for a wrong, expired, replaced or dead code: the fifth wrong try must not
/// tell a stranger that the account exists.
pub(super) const WRONG_CODE: &str = "The code is incorrect or has expired. After 5 wrong tries a code stops working: send yourself a new one.";
pub(super) const DEAD_CODE: &str = WRONG_CODE;

/// The pending authorization request, if the person came from an application and it is
/// still live. These pages work without one too. An application that does not offer the
/// pool's own sign-in (`COGNITO`) gets no sign-in from them: its request is left out.
pub(super) async fn pending(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    id: Option<&str>,
) -> Option<AuthRequestRow> {
    let browser = csrf::browser_id(req, ctx);
    let found =
        match authorize::pending(ctx, &pool.id, id.unwrap_or_default(), browser.as_deref()).await {
            Ok(found) => found?,
            Err(err) => {
                tracing::warn!(error = %err, "pending request lookup failed");
                return None;
            }
        };
    match crate::pools::oauth_client::find_oauth_client(ctx, &pool.id, &found.client_id).await {
        Ok(Some(client)) if client.config.offers_cognito() => Some(found),
        Ok(_) => None,
        Err(err) => {
            tracing::warn!(error = %err, "client lookup failed");
            None
        }
    }
}

/// What the confirm and reset pages read from their query string.
pub(super) struct PageQuery {
    /// The live pending request, or empty.
    pub(super) request: String,
    pub(super) username: String,
    /// Arrived right after a code was (maybe) sent.
    pub(super) sent: bool,
}

pub(super) async fn page_query(req: &HttpRequest, ctx: &Context, pool: &Pool) -> PageQuery {
    let query = Params::parse(req.query_string().as_bytes()).ok();
    let get = |name: &str| {
        query
            .as_ref()
            .and_then(|q| q.get(name))
            .unwrap_or_default()
            .to_string()
    };
    PageQuery {
        request: pending(req, ctx, pool, request_in_query(req).as_deref())
            .await
            .map(|p| p.id)
            .unwrap_or_default(),
        username: get("username"),
        sent: get("sent") == "1",
    }
}

/// Whether answers must not reveal which accounts exist: the client's setting (default on).
pub(super) async fn protect(ctx: &Context, pool: &Pool, pending: Option<&AuthRequestRow>) -> bool {
    match pending {
        Some(p) => match find_oauth_client(ctx, &pool.id, &p.client_id).await {
            Ok(Some(client)) => client.protects_users(),
            _ => true,
        },
        None => true,
    }
}

pub(super) fn link(pool: &Pool, page: &str, request: &str) -> String {
    if request.is_empty() {
        format!("/{}/{page}", pool.id)
    } else {
        with_query(&format!("/{}/{page}", pool.id), &[("request", request)])
    }
}

pub(super) fn with_csrf(
    req: &HttpRequest,
    ctx: &Context,
    render_page: impl FnOnce(&str) -> String,
) -> HttpResponse {
    let (token, cookie) = csrf::token(req, ctx);
    let mut response = html(StatusCode::OK, render_page(&token));
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}
