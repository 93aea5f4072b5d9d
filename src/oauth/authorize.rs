//! `{issuer}/oauth2/authorize` (GET and POST) and `{issuer}/logout`.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};

use crate::accounts::auth_flow::{self, Interaction, Outcome, decide};
use crate::accounts::sessions;
use crate::accounts::signin::Origin;
use crate::context::Context;
use crate::error::Error;
use crate::hosted::csrf;
use crate::hosted::pages::{Brand, LogoutPage, message, render};
use crate::hosted::signin::{
    SESSION_COOKIE, code_redirect, continue_sign_in, flow_start, session_cookie,
};
use crate::hosted::{html, secure, see_other};
use crate::oauth::error::sanitize_description;
use crate::oauth::respond::to_client;
use crate::ops::client_address::ClientAddress;
use crate::pools::Pool;
use crate::pools::pool::cached_pool;
use crate::tokens::authorize::{self, AuthorizeError, Params, ResponseMode, with_query};
use crate::tokens::logout::{LogoutError, LogoutRequest, plan as plan_logout};

#[get("/{pool_id}/oauth2/authorize")]
pub async fn authorize_get(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
) -> HttpResponse {
    let query = req.query_string().as_bytes().to_vec();
    authorize(&req, &ctx, &path, &query).await
}

#[post("/{pool_id}/oauth2/authorize")]
pub async fn authorize_post(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    body: Bytes,
) -> HttpResponse {
    authorize(&req, &ctx, &path, &body).await
}

fn error_page(brand: Brand, why: &str) -> HttpResponse {
    message(
        StatusCode::BAD_REQUEST,
        brand,
        "Sign-in request refused",
        &format!("The application sent an invalid sign-in request: {why}."),
    )
}

async fn authorize(req: &HttpRequest, ctx: &Context, pool_id: &str, raw: &[u8]) -> HttpResponse {
    let pool = match cached_pool(ctx, pool_id).await {
        Ok(pool) => pool,
        Err(Error::NotFound(_)) => {
            return error_page(Brand::plain(), "there is no user pool at this address");
        }
        Err(err) => {
            tracing::error!(error = %err, "authorize failed");
            return error_page(Brand::plain(), "the server failed; try again");
        }
    };
    let params = match Params::parse(raw) {
        Ok(p) => p,
        // Repeated or undecodable parameters: nothing in them can be trusted, not even
        // the redirect URI, so the answer is a page.
        Err(why) => return error_page(Brand::of(&pool), &why),
    };
    let request = match authorize::validate(ctx, &pool.id, &params).await {
        Ok(r) => r,
        Err(err) => return refused(ctx, &pool, err),
    };
    // Single sign-on: a live session skips the form unless the client asks otherwise.
    let session = match req.cookie(SESSION_COOKIE) {
        Some(cookie) => sessions::current(ctx, &pool.id, cookie.value())
            .await
            .unwrap_or_else(|err| {
                tracing::error!(error = %err, "session lookup failed");
                None
            }),
        None => None,
    };
    let interaction = decide(
        &pool,
        request.prompt,
        request.max_age,
        session.as_ref(),
        ctx.now(),
    );
    if let (Interaction::UseSession, Some(session)) = (interaction, &session) {
        return match authorize::code_for_session(
            ctx,
            &request,
            &session.user.id,
            &session.token_hash,
            session.auth_time,
            &session.amr,
        )
        .await
        {
            Ok(code) => code_redirect(ctx, &pool.id, &code, StatusCode::FOUND),
            Err(err) => {
                tracing::error!(error = %err, "issuing a code failed");
                error_page(Brand::of(&pool), "the server failed; try again")
            }
        };
    }
    if interaction == Interaction::LoginRequired {
        return error_redirect(
            ctx,
            &pool.id,
            &request.redirect_uri,
            "login_required",
            "the user is not signed in",
            request.state.as_deref(),
            request.response_mode,
        );
    }
    // The sign-in that follows belongs to this browser: it gets its id now if it has none.
    let (browser, cookie) = csrf::browser(req, ctx);
    let address = ClientAddress::of(req);
    let digest = csrf::browser_digest(&browser);
    let id = match authorize::save_pending(ctx, &request, &digest, address).await {
        Ok(id) => id,
        Err(err) => return refused(ctx, &pool, err),
    };
    let mut response = match (interaction, session) {
        // The signed-in user goes through the second factor the pool now wants.
        (Interaction::SecondFactor, Some(session)) => {
            match second_factor(req, ctx, &pool, &id, &digest, session).await {
                Ok(page) => page,
                Err(err) => {
                    tracing::error!(error = %err, "starting the second factor failed");
                    return error_page(Brand::of(&pool), "the server failed; try again");
                }
            }
        }
        _ => see_other(&with_query(
            &format!("/{}/login", pool.id),
            &[("request", &id)],
        )),
    };
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

/// The second-factor step for a session that lacks it, on the pending request `id`.
async fn second_factor(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    id: &str,
    browser: &str,
    session: sessions::Session,
) -> Result<HttpResponse, Error> {
    let pending = authorize::pending(ctx, &pool.id, id, Some(browser))
        .await?
        .ok_or(Error::NotFound("authorization request"))?;
    let start = flow_start(pool, &pending, browser, Origin::default());
    let outcome = auth_flow::after_first_factor(
        ctx,
        &start,
        session.user,
        &session.amr,
        session.auth_time,
        true,
    )
    .await?;
    Ok(match outcome {
        Outcome::Step(step) => continue_sign_in(req, ctx, pool, &pending, step).await,
        Outcome::Refused(_) => message(
            StatusCode::FORBIDDEN,
            Brand::of(pool),
            "Cannot sign in",
            "This account cannot sign in: the user pool requires a second factor that cannot be set up for it. Contact your administrator.",
        ),
    })
}

/// The answer to a request that failed a check: a page when the client or its redirect
/// cannot be trusted, otherwise the error sent back to the client.
fn refused(ctx: &Context, pool: &Pool, err: AuthorizeError) -> HttpResponse {
    match err {
        AuthorizeError::Fatal(why) => error_page(Brand::of(pool), &why),
        AuthorizeError::Redirect {
            redirect_uri,
            error,
            description,
            state,
            response_mode,
        } => error_redirect(
            ctx,
            &pool.id,
            &redirect_uri,
            error,
            &description,
            state.as_deref(),
            response_mode,
        ),
        AuthorizeError::Internal(err) => {
            tracing::error!(error = %err, "authorize failed");
            error_page(Brand::of(pool), "the server failed; try again")
        }
    }
}

fn error_redirect(
    ctx: &Context,
    pool_id: &str,
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
    mode: ResponseMode,
) -> HttpResponse {
    let issuer = ctx.issuer(pool_id);
    let description = sanitize_description(description);
    let mut params = vec![
        ("error", error),
        ("error_description", description.as_str()),
    ];
    if let Some(state) = state {
        params.push(("state", state));
    }
    params.push(("iss", &issuer));
    to_client(redirect_uri, mode, &params, StatusCode::FOUND)
}

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
    let session = match &cookie {
        Some(cookie) => sessions::current(ctx, &pool.id, cookie.value())
            .await
            .unwrap_or_else(|err| {
                tracing::error!(error = %err, "session lookup failed");
                None
            }),
        None => None,
    };
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
    let mut response = match plan.target {
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
    let (token, cookie) = csrf::token(req, ctx);
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
    let page = LogoutPage {
        brand: Brand::of(pool),
        action: format!("/{}/logout", pool.id),
        csrf_token: &token,
        fields,
    };
    let mut response = html(StatusCode::OK, render(&page));
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}
