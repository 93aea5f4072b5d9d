//! The hosted pages' side of federation: which providers a sign-in offers, the redirect to
//! one, `{issuer}/oauth2/idpresponse` where the browser comes back, and
//! `{issuer}/oauth2/idplogout` after signing out there. Every failure is a page or, when
//! the application's request is still good and the provider said no, an `error` sent back
//! to the application; never a 5xx, and nothing is written until the provider's answer is
//! verified.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};

use crate::accounts::signin::machine::{AuthStep, Completed, Origin, Outcome};
use crate::accounts::signin::second_factor;
use crate::context::Context;
use crate::domain::UserStatus;
use crate::error::Error;
use crate::federation::error::FederationError;
use crate::federation::flow::{self, SIGN_IN};
use crate::federation::logout;
pub use crate::federation::offer::{Offer, by_identifier, offer, route_email};
use crate::federation::users::{Resolved, sign_in_as};
use crate::hosted::browser::{continue_sign_in, error_redirect, finish_sign_in_via, flow_start};
use crate::hosted::csrf;
use crate::hosted::forms::{expired, internal, load_pool};
use crate::hosted::pages::{Brand, message};
use crate::hosted::secure;
use crate::pools::Pool;
use crate::store::oauth::AuthRequestRow;
use crate::tokens::authorize::{self, Params, ResponseMode};
use crate::tokens::complete::Upstream;

/// Sends the browser to provider `name` for the pending request.
pub async fn send_upstream(
    ctx: &Context,
    pool: &Pool,
    pending: &AuthRequestRow,
    browser: &str,
    name: &str,
    asked: flow::Asked<'_>,
    status: StatusCode,
) -> HttpResponse {
    let provider = match flow::load(ctx, &pool.id, name).await {
        Ok(Some(provider)) => provider,
        Ok(None) => return unavailable(pool),
        Err(err) => return internal(err),
    };
    let asked = flow::Asked {
        max_age: pending.max_age,
        ..asked
    };
    match flow::begin(ctx, pool, &provider, &pending.id, browser, asked).await {
        Ok(url) => secure(HttpResponse::build(status))
            .insert_header(("location", url))
            .finish(),
        Err(err) => internal(err),
    }
}

fn unavailable(pool: &Pool) -> HttpResponse {
    message(
        StatusCode::BAD_REQUEST,
        Brand::of(pool),
        "Sign-in option unavailable",
        "This sign-in option is not available for this application. Go back to the application and sign in again.",
    )
}

/// A sign-in that went nowhere. The application's request stays pending, so going back to
/// the sign-in page and choosing again works within its lifetime.
fn failed(pool: &Pool, text: &str) -> HttpResponse {
    message(
        StatusCode::BAD_REQUEST,
        Brand::of(pool),
        "Sign-in failed",
        text,
    )
}

#[get("/{pool_id}/oauth2/idpresponse")]
pub async fn idp_response(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
) -> HttpResponse {
    let raw = req.query_string().as_bytes().to_vec();
    returned(&req, &ctx, &path, &raw).await
}

/// A provider answering with `response_mode=form_post`.
#[post("/{pool_id}/oauth2/idpresponse")]
pub async fn idp_response_post(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    body: Bytes,
) -> HttpResponse {
    returned(&req, &ctx, &path, &body).await
}

/// OAuth's error codes a provider's refusal is passed on as; anything else reads as
/// `access_denied`.
fn passed_on(error: &str) -> &'static str {
    match error {
        "login_required" => "login_required",
        "consent_required" => "consent_required",
        "interaction_required" => "interaction_required",
        "temporarily_unavailable" => "temporarily_unavailable",
        _ => "access_denied",
    }
}

async fn returned(req: &HttpRequest, ctx: &Context, pool_id: &str, raw: &[u8]) -> HttpResponse {
    let pool = match load_pool(ctx, pool_id).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    let Ok(params) = Params::parse(raw) else {
        return failed(&pool, "The identity provider's answer could not be read.");
    };
    let (code, error) = (params.get("code"), params.get("error"));
    // RFC 6749 §4.1.2: a success carries a code, a failure an error; both is neither.
    let valid = match (code, error) {
        (Some(code), None) => !code.is_empty() && code.len() <= flow::MAX_CODE_LEN,
        (None, Some(error)) => !error.is_empty() && error.len() <= 256,
        _ => false,
    };
    if !valid {
        return failed(&pool, "The identity provider's answer was malformed.");
    }
    let browser = csrf::browser_id(req, ctx).unwrap_or_default();
    let state = params.get("state").unwrap_or_default();
    let row = match flow::take_state(ctx, &pool.id, SIGN_IN, state, &browser).await {
        Ok(Some(row)) => row,
        Ok(None) => {
            return failed(
                &pool,
                "This sign-in has expired, was already used, or was started in another browser. Go back to the application and sign in again.",
            );
        }
        Err(err) => return internal(err),
    };
    let id = row.auth_request_id.clone().unwrap_or_default();
    let pending = match authorize::pending(ctx, &pool.id, &id, Some(&browser)).await {
        Ok(Some(p)) => p,
        Ok(None) => return expired(&pool),
        Err(err) => return internal(err.into()),
    };
    if let Some(error) = error {
        tracing::info!(provider = %row.provider_name,
            error = %error.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect::<String>(),
            "the identity provider refused the sign-in");
        let description = format!("{} did not sign the user in", row.provider_name);
        return error_redirect(
            ctx,
            &pool.id,
            &pending.redirect_uri,
            passed_on(error),
            &description,
            pending.state.as_deref(),
            pending
                .response_mode
                .as_deref()
                .and_then(ResponseMode::parse)
                .unwrap_or_default(),
        );
    }
    let provider = match flow::load(ctx, &pool.id, &row.provider_name).await {
        Ok(Some(p)) => p,
        Ok(None) => return unavailable(&pool),
        Err(err) => return internal(err),
    };
    // RFC 9207: an answer that names its issuer must name this state's provider, or another
    // provider sent the browser here (a mix-up) and this code is not for this provider.
    if params
        .get("iss")
        .is_some_and(|iss| iss != provider.row.issuer)
    {
        tracing::warn!(provider = %row.provider_name, "a callback named another issuer");
        return failed(
            &pool,
            "The answer came from another identity provider than the one you were sent to, so you were not signed in.",
        );
    }
    match offer(ctx, &pool, &pending.client_id).await {
        Ok(o) if o.offers(&row.provider_name) => {}
        Ok(_) => return unavailable(&pool),
        Err(err) => return internal(err),
    }
    let back = match flow::finish(
        ctx,
        &pool,
        &provider,
        &row,
        code.unwrap_or_default(),
        pending.max_age,
    )
    .await
    {
        Ok(back) => back,
        Err(FederationError::Unreachable(why)) => {
            tracing::warn!(provider = %row.provider_name, reason = %why, "identity provider unreachable");
            return failed(
                &pool,
                &format!(
                    "{} could not be reached to finish signing you in. Please try again in a moment.",
                    row.provider_name
                ),
            );
        }
        Err(FederationError::Refused(why)) => {
            tracing::warn!(provider = %row.provider_name, reason = %why, "identity provider answer refused");
            return failed(
                &pool,
                &format!(
                    "The answer from {} could not be verified, so you were not signed in.",
                    row.provider_name
                ),
            );
        }
        Err(FederationError::Core(err)) => return internal(err),
    };
    let user = match sign_in_as(ctx, &pool, &provider.row, &back.upstream).await {
        Ok(Resolved::User(user)) => *user,
        Ok(Resolved::Disabled) => {
            return message(
                StatusCode::FORBIDDEN,
                Brand::of(&pool),
                "Cannot sign in",
                "This account cannot sign in. Contact your administrator.",
            );
        }
        Ok(Resolved::NameTaken) => {
            tracing::warn!(provider = %row.provider_name,
                "a local user holds the username of a first federated sign-in");
            return failed(
                &pool,
                "Your account could not be set up here: a user of that name already exists. Contact your administrator.",
            );
        }
        Err(Error::NotFound(_)) => return unavailable(&pool),
        Err(err) => return internal(err),
    };
    let upstream = Upstream {
        provider: &row.provider_name,
        id_token: &back.id_token,
    };
    if UserStatus::of(&user) == Some(UserStatus::ExternalProvider) {
        // Pool MFA does not apply: the provider is responsible for how the person signed in.
        let done = Completed {
            user,
            amr: back.upstream.amr.clone(),
            auth_time: back.auth_time,
            recovery_codes: None,
        };
        return finish_sign_in_via(req, ctx, &pool, &pending, done, Some(upstream)).await;
    }
    // A local user linked to the provider still owes the pool its second factor; the
    // request remembers the provider for the session that step ends in.
    let sealed =
        match crate::tokens::upstream::seal_for_request(ctx, &pending.id, &user.id, &back.id_token)
        {
            Ok(sealed) => sealed,
            Err(err) => return internal(err),
        };
    if let Err(err) = crate::store::oauth::set_request_upstream(
        &ctx.store,
        &pending.id,
        &row.provider_name,
        &sealed,
    )
    .await
    {
        return internal(err.into());
    }
    let start = flow_start(&pool, &pending, &browser, Origin::default());
    match second_factor::after_first_factor(
        ctx,
        &start,
        user,
        &back.upstream.amr,
        back.auth_time,
        false,
    )
    .await
    {
        Ok(Outcome::Step(AuthStep::Complete(done))) => {
            finish_sign_in_via(req, ctx, &pool, &pending, *done, Some(upstream)).await
        }
        Ok(Outcome::Step(step)) => continue_sign_in(req, ctx, &pool, &pending, step).await,
        Ok(Outcome::Refused(_)) => message(
            StatusCode::FORBIDDEN,
            Brand::of(&pool),
            "Cannot sign in",
            "This account cannot sign in: the user pool requires a second factor that cannot be set up for it. Contact your administrator.",
        ),
        Err(err) => internal(err),
    }
}

/// Back from signing out at a provider: on to where the application asked to go.
#[get("/{pool_id}/oauth2/idplogout")]
pub async fn idp_logout(req: HttpRequest, ctx: Data<Context>, path: Path<String>) -> HttpResponse {
    let pool = match load_pool(&ctx, &path).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    let state = Params::parse(req.query_string().as_bytes())
        .ok()
        .and_then(|p| p.get("state").map(str::to_string))
        .unwrap_or_default();
    let browser = csrf::browser_id(&req, &ctx).unwrap_or_default();
    match logout::returned(&ctx, &pool.id, &state, &browser).await {
        Ok(Some(target)) => secure(HttpResponse::Found())
            .insert_header(("location", target))
            .finish(),
        Ok(None) => signed_out(&pool),
        Err(err) => internal(err),
    }
}

pub fn signed_out(pool: &Pool) -> HttpResponse {
    message(
        StatusCode::OK,
        Brand::of(pool),
        "Signed out",
        "You have been signed out.",
    )
}
