//! `{issuer}/oauth2/authorize` (GET and POST) and `{issuer}/logout`.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};

use crate::accounts::sessions;
use crate::context::Context;
use crate::error::Error;
use crate::hosted::pages::{Brand, message};
use crate::hosted::signin::{SESSION_COOKIE, code_redirect, session_cookie};
use crate::hosted::{secure, see_other};
use crate::oauth::error::sanitize_description;
use crate::pools::clients::find_oauth_client;
use crate::pools::pool::cached_pool;
use crate::tokens::authorize::{self, AuthorizeError, Params, Prompt, with_query};

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
        Err(AuthorizeError::Fatal(why)) => return error_page(Brand::of(&pool), &why),
        Err(AuthorizeError::Redirect {
            redirect_uri,
            error,
            description,
            state,
        }) => {
            return error_redirect(
                ctx,
                &pool.id,
                &redirect_uri,
                error,
                &description,
                state.as_deref(),
            );
        }
        Err(AuthorizeError::Internal(err)) => {
            tracing::error!(error = %err, "authorize failed");
            return error_page(Brand::of(&pool), "the server failed; try again");
        }
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
    let session = session.filter(|s| {
        request.prompt != Prompt::Login
            && request
                .max_age
                .is_none_or(|max| ctx.now() - s.auth_time <= max * 1000)
    });
    if let Some(session) = session {
        return match authorize::code_for_session(
            ctx,
            &request,
            &session.user.id,
            &session.token_hash,
            session.auth_time,
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
    if request.prompt == Prompt::None {
        return error_redirect(
            ctx,
            &pool.id,
            &request.redirect_uri,
            "login_required",
            "the user is not signed in",
            request.state.as_deref(),
        );
    }
    match authorize::save_pending(ctx, &request).await {
        Ok(id) => see_other(&with_query(
            &format!("/{}/login", pool.id),
            &[("request", &id)],
        )),
        Err(err) => {
            tracing::error!(error = ?err, "saving the authorization request failed");
            error_page(Brand::of(&pool), "the server failed; try again")
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
    secure(HttpResponse::Found())
        .insert_header(("location", with_query(redirect_uri, &params)))
        .finish()
}

/// Ends the session (cookie and server record); redirects only to a registered
/// `logout_uri` of the named client, otherwise shows a signed-out page.
#[get("/{pool_id}/logout")]
pub async fn logout(req: HttpRequest, ctx: Data<Context>, path: Path<String>) -> HttpResponse {
    let pool = match cached_pool(&ctx, &path).await {
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
    if let Some(cookie) = req.cookie(SESSION_COOKIE)
        && let Err(err) = sessions::end(&ctx, cookie.value()).await
    {
        tracing::error!(error = %err, "ending a session failed");
    }
    let params = Params::parse(req.query_string().as_bytes()).ok();
    let target = match params
        .as_ref()
        .map(|p| (p.get("client_id"), p.get("logout_uri")))
    {
        Some((Some(client_id), Some(uri))) => {
            match find_oauth_client(&ctx, &pool.id, client_id).await {
                Ok(Some(client)) if client.config.logout_urls.iter().any(|u| u == uri) => {
                    Some(uri.to_string())
                }
                _ => None,
            }
        }
        _ => None,
    };
    let mut response = match target {
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
    let mut gone: Cookie<'static> = session_cookie(&ctx, &pool.id, "");
    gone.make_removal();
    let _ = response.add_cookie(&gone);
    response
}
