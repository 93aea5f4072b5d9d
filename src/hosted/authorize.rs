//! `{issuer}/oauth2/authorize` (GET and POST): checks the application's request, then
//! answers from a live session (single sign-on), or sends the browser to the sign-in page,
//! the second factor, or the identity provider the request names.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};

use crate::accounts::sessions;
use crate::accounts::signin::interaction::{Interaction, decide};
use crate::accounts::signin::machine::{Origin, Outcome};
use crate::accounts::signin::second_factor;
use crate::context::Context;
use crate::error::Error;
use crate::hosted::browser::{code_redirect, continue_sign_in, error_redirect, flow_start};
use crate::hosted::csrf;
use crate::hosted::pages::{Brand, message};
use crate::hosted::see_other;
use crate::ops::client_address::ClientAddress;
use crate::pools::Pool;
use crate::pools::pool::cached_pool;
use crate::tokens::authorize::{self, AuthorizeError, Params, with_query};
use crate::tokens::complete::session_serves;

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

pub(crate) fn error_page(brand: Brand, why: &str) -> HttpResponse {
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
    let session = crate::hosted::cookies::current_session(req, ctx, &pool.id).await;
    let session =
        session.filter(|s| session_serves(&request.client, params.get("identity_provider"), s));
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
    // Cognito's `identity_provider` / `idp_identifier`: straight to that provider, if this
    // client offers it.
    let upstream = match chosen_provider(ctx, &pool, &request, &params).await {
        Ok(upstream) => upstream,
        Err(response) => return response,
    };
    // The sign-in that follows belongs to this browser: it gets its id now if it has none.
    let (browser, cookie) = csrf::browser(req, ctx);
    let address = ClientAddress::of(req);
    let digest = csrf::browser_digest(&browser);
    let id = match authorize::save_pending(ctx, &request, &digest, address).await {
        Ok(id) => id,
        Err(err) => return refused(ctx, &pool, err),
    };
    let mut response = match (interaction, session) {
        _ if upstream.is_some() => {
            let pending = match authorize::pending(ctx, &pool.id, &id, Some(&digest)).await {
                Ok(Some(p)) => p,
                Ok(None) => return error_page(Brand::of(&pool), "the request expired"),
                Err(err) => {
                    tracing::error!(error = %err, "authorize failed");
                    return error_page(Brand::of(&pool), "the server failed; try again");
                }
            };
            let name = upstream.as_deref().unwrap_or_default();
            crate::hosted::federation::send_upstream(
                ctx,
                &pool,
                &pending,
                &digest,
                name,
                crate::federation::flow::Asked {
                    login_hint: request.login_hint.as_deref(),
                    max_age: request.max_age,
                    fresh: request.prompt == crate::domain::Prompt::Login,
                },
                StatusCode::FOUND,
            )
            .await
        }
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

/// The provider an authorization request names with `identity_provider` (or routes to
/// with `idp_identifier`), if any; `COGNITO` is the pool's own sign-in form. A provider this
/// client does not offer is an `invalid_request` sent back to it.
async fn chosen_provider(
    ctx: &Context,
    pool: &Pool,
    request: &authorize::ValidRequest,
    params: &Params,
) -> Result<Option<String>, HttpResponse> {
    use crate::hosted::federation::{by_identifier, offer};
    let (named, identifier) = (
        params.get("identity_provider"),
        params.get("idp_identifier"),
    );
    if named.is_none() && identifier.is_none() {
        return Ok(None);
    }
    if named == Some(crate::domain::COGNITO) {
        return Ok(None);
    }
    let refuse = |why: &str| {
        error_redirect(
            ctx,
            &pool.id,
            &request.redirect_uri,
            "invalid_request",
            why,
            request.state.as_deref(),
            request.response_mode,
        )
    };
    let failed = |err: Error| {
        tracing::error!(error = %err, "authorize failed");
        error_page(Brand::of(pool), "the server failed; try again")
    };
    let offer = offer(ctx, pool, &request.client.client_id)
        .await
        .map_err(failed)?;
    match (named, identifier) {
        (Some(name), _) if offer.offers(name) => Ok(Some(name.to_string())),
        (Some(_), _) => Err(refuse("identity_provider is not enabled for this client")),
        (None, Some(identifier)) => match by_identifier(ctx, pool, &offer, identifier)
            .await
            .map_err(failed)?
        {
            Some(name) => Ok(Some(name)),
            None => Err(refuse(
                "idp_identifier names no identity provider of this client",
            )),
        },
        (None, None) => Ok(None),
    }
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
    let outcome = second_factor::after_first_factor(
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
