//! `{issuer}/logout` (GET and POST): Cognito's logout and OIDC RP-Initiated Logout. Ends
//! the browser's session (after asking, unless the application proves the user), signs out
//! at the identity provider the session came from, and sends the browser on.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};

use crate::accounts::sessions;
use crate::context::Context;
use crate::hosted::authorize::error_page;
use crate::hosted::cookies::{SESSION_COOKIE, session_cookie};
use crate::hosted::csrf;
use crate::hosted::forms::form_page;
use crate::hosted::pages::{Brand, LogoutPage, message};
use crate::hosted::secure;
use crate::pools::Pool;
use crate::pools::pool::cached_pool;
use crate::tokens::authorize::Params;
use crate::tokens::logout::{LogoutError, LogoutRequest, plan as plan_logout};

/// The logout parameters, from the query (GET) or the form (POST).
fn logout_request(params: &Params) -> LogoutRequest<'_> {
    LogoutRequest {
        client_id: params.get("client_id"),
        id_token_hint: params.get("id_token_hint"),
        post_logout_redirect_uri: params.get("post_logout_redirect_uri"),
        logout_uri: params.get("logout_uri"),
        state: params.get("state"),
    }
}

/// `GET {issuer}/logout`: Cognito's `client_id` + `logout_uri`, or OIDC RP-Initiated Logout
/// (`id_token_hint`, `post_logout_redirect_uri`, `state`). Redirects only to a registered
/// logout URL of the client; ends a session at once only with a valid hint for its user,
/// and otherwise asks first.
#[get("/{pool_id}/logout")]
pub async fn logout(req: HttpRequest, ctx: Data<Context>, path: Path<String>) -> HttpResponse {
    let raw = req.query_string().as_bytes().to_vec();
    end_session(&req, &ctx, &path, &raw, false).await
}

/// `POST {issuer}/logout`: the confirmation form (with its CSRF token), or a relying party
/// posting the same parameters as the GET.
#[post("/{pool_id}/logout")]
pub async fn logout_post(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    body: Bytes,
) -> HttpResponse {
    end_session(&req, &ctx, &path, &body, true).await
}

async fn end_session(
    req: &HttpRequest,
    ctx: &Context,
    pool_id: &str,
    raw: &[u8],
    posted: bool,
) -> HttpResponse {
    let pool = match cached_pool(ctx, pool_id).await {
        Ok(pool) => pool,
        Err(_) => {
            return message(
                StatusCode::NOT_FOUND,
                Brand::plain(),
                "Not found",
                "There is no user pool at this address.",
            );
        }
    };
    let params = match Params::parse(raw) {
        Ok(p) => p,
        Err(why) => return logout_refused(&pool, &why),
    };
    let plan = match plan_logout(ctx, &pool.id, &logout_request(&params)).await {
        Ok(plan) => plan,
        Err(LogoutError::Invalid(why)) => return logout_refused(&pool, &why),
        Err(err) => {
            tracing::error!(error = %err, "logout failed");
            return error_page(Brand::of(&pool), "the server failed; try again");
        }
    };
    let cookie = req.cookie(SESSION_COOKIE);
    let session = crate::hosted::cookies::current_session(req, ctx, &pool.id).await;
    let confirmed = posted && csrf::verify(req, ctx, params.get("csrf_token"));
    let proven = plan.hinted_user.is_some()
        && plan.hinted_user.as_deref() == session.as_ref().map(|s| s.user.id.as_str());
    if session.is_some() && !confirmed && !proven {
        return confirm_logout(req, ctx, &pool, &params);
    }
    if let Some(cookie) = &cookie
        && let Err(err) = sessions::end(ctx, cookie.value()).await
    {
        tracing::error!(error = %err, "ending a session failed");
    }
    // A session from an identity provider may end there too, and come back for the target.
    let (browser, browser_cookie) = csrf::browser(req, ctx);
    let upstream = match session
        .as_ref()
        .and_then(|s| s.identity_provider.as_deref().map(|p| (s, p)))
    {
        Some((s, provider)) => crate::federation::logout::upstream(
            ctx,
            &pool.id,
            &s.token_hash,
            provider,
            s.upstream_id_token.as_deref(),
            &csrf::browser_digest(&browser),
            plan.target.as_deref(),
        )
        .await
        .unwrap_or_else(|err| {
            tracing::error!(error = %err, "starting the sign-out at the identity provider failed");
            None
        }),
        None => None,
    };
    let mut response = match upstream.or(plan.target) {
        Some(uri) => secure(HttpResponse::Found())
            .insert_header(("location", uri))
            .finish(),
        None => message(
            StatusCode::OK,
            Brand::of(&pool),
            "Signed out",
            "You have been signed out.",
        ),
    };
    let mut gone: Cookie<'static> = session_cookie(ctx, &pool.id, "");
    gone.make_removal();
    let _ = response.add_cookie(&gone);
    if let Some(cookie) = browser_cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

fn logout_refused(pool: &Pool, why: &str) -> HttpResponse {
    message(
        StatusCode::BAD_REQUEST,
        Brand::of(pool),
        "Sign-out request refused",
        &format!("The application sent an invalid sign-out request: {why}."),
    )
}

/// "Sign out?" with a form that posts the same parameters back with a CSRF token.
fn confirm_logout(req: &HttpRequest, ctx: &Context, pool: &Pool, params: &Params) -> HttpResponse {
    let fields: Vec<(&str, &str)> = [
        "client_id",
        "post_logout_redirect_uri",
        "logout_uri",
        "state",
        "id_token_hint",
    ]
    .into_iter()
    .filter_map(|name| params.get(name).map(|value| (name, value)))
    .collect();
    form_page(req, ctx, |token| LogoutPage {
        brand: Brand::of(pool),
        action: format!("/{}/logout", pool.id),
        csrf_token: token,
        fields,
    })
}
