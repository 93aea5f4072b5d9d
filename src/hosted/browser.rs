//! The browser's way through a sign-in: the answer sent back to the application (a code or
//! an error, in the response mode it asked for), and the step router that follows the
//! sign-in machine to the next page or to the application.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::accounts::signin::machine::{AuthStep, Binding, Completed, Origin, Start};
use crate::context::Context;
use crate::hosted::cookies::{SESSION_COOKIE, device_cookie, session_cookie};
use crate::hosted::forms::{expired, internal};
use crate::hosted::pages::{Brand, RecoveryCodesPage, render};
use crate::hosted::{html, secure, see_other};
use crate::oauth::error::sanitize_description;
use crate::pools::Pool;
use crate::store::oauth::AuthRequestRow;
use crate::tokens::authorize::{CodeRedirect, ResponseMode, with_query};
use crate::tokens::complete::{self, Upstream};

#[derive(Template)]
#[template(path = "hosted/form_post.html")]
struct FormPostPage<'a> {
    action: &'a str,
    fields: &'a [(&'a str, &'a str)],
}

/// Sends an authorization answer (a code, or an error) back to the client's redirect URI
/// in the response mode it asked for: in the query (RFC 6749 §4.1.2), in the fragment
/// (OAuth 2.0 Multiple Response Types §2.1) or as an auto-submitting form (OAuth 2.0 Form
/// Post Response Mode), which also works without JavaScript. `status` is the redirect's
/// status (302 from authorize, 303 after a form post).
pub fn to_client(
    redirect_uri: &str,
    mode: ResponseMode,
    params: &[(&str, &str)],
    status: StatusCode,
) -> HttpResponse {
    match mode {
        ResponseMode::Query => secure(HttpResponse::build(status))
            .insert_header(("location", with_query(redirect_uri, params)))
            .finish(),
        ResponseMode::Fragment => {
            // Registered redirect URIs carry no fragment; the answer is the whole of it.
            let fragment = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            secure(HttpResponse::build(status))
                .insert_header(("location", format!("{redirect_uri}#{fragment}")))
                .finish()
        }
        ResponseMode::FormPost => {
            let body = render(&FormPostPage {
                action: redirect_uri,
                fields: params,
            });
            let mut csp = String::from(
                "default-src 'none'; script-src 'self'; style-src 'self'; \
                 frame-ancestors 'none'; base-uri 'none'",
            );
            // The form may go to the client's origin only.
            if let Ok(url) = url::Url::parse(redirect_uri)
                && matches!(url.scheme(), "http" | "https")
            {
                csp.push_str("; form-action ");
                csp.push_str(&url.origin().ascii_serialization());
            }
            secure(HttpResponse::Ok())
                .insert_header(("content-security-policy", csp))
                .content_type("text/html; charset=utf-8")
                .body(body)
        }
    }
}

/// The redirect that hands the application its code (RFC 9207 adds `iss`).
pub fn code_redirect(
    ctx: &Context,
    pool_id: &str,
    code: &CodeRedirect,
    status: StatusCode,
) -> HttpResponse {
    let issuer = ctx.issuer(pool_id);
    let mut params = vec![("code", code.code.as_str())];
    if let Some(state) = &code.state {
        params.push(("state", state));
    }
    params.push(("iss", &issuer));
    to_client(&code.redirect_uri, code.response_mode, &params, status)
}

/// The redirect that sends the application an error (RFC 6749 §4.1.2.1, with RFC 9207's
/// `iss`).
pub(crate) fn error_redirect(
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

/// The recovery codes, once, then on to the application as the response mode says.
pub(crate) fn recovery_codes_page(
    ctx: &Context,
    pool: &Pool,
    code: &CodeRedirect,
    codes: &[String],
) -> HttpResponse {
    let issuer = ctx.issuer(&pool.id);
    let mut params: Vec<(&str, String)> = vec![("code", code.code.clone())];
    if let Some(state) = &code.state {
        params.push(("state", state.clone()));
    }
    params.push(("iss", issuer));
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (continue_href, continue_action, continue_fields) = match code.response_mode {
        ResponseMode::Query => (
            Some(with_query(&code.redirect_uri, &pairs)),
            None,
            Vec::new(),
        ),
        ResponseMode::Fragment => {
            let fragment = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&pairs)
                .finish();
            (
                Some(format!("{}#{fragment}", code.redirect_uri)),
                None,
                Vec::new(),
            )
        }
        ResponseMode::FormPost => (None, Some(code.redirect_uri.clone()), params),
    };
    html(
        StatusCode::OK,
        render(&RecoveryCodesPage {
            brand: Brand::of(pool),
            codes,
            continue_href,
            continue_action,
            continue_fields,
        }),
    )
}

/// The sign-in machine's context for this browser and pending request.
pub(crate) fn flow_start<'a>(
    pool: &'a Pool,
    pending: &'a AuthRequestRow,
    browser: &'a str,
    origin: Origin<'a>,
) -> Start<'a> {
    Start {
        pool,
        client_id: &pending.client_id,
        binding: Binding::Browser {
            browser,
            auth_request: &pending.id,
        },
        origin,
    }
}

/// Goes where the sign-in machine says: the application (with a code), or the page of the
/// next step.
pub(crate) async fn continue_sign_in(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    pending: &AuthRequestRow,
    step: AuthStep,
) -> HttpResponse {
    let page = match step {
        AuthStep::Complete(done) => return finish_sign_in(req, ctx, pool, pending, *done).await,
        AuthStep::NewPasswordRequired { token } => ("new-password", token),
        AuthStep::MfaSetupRequired { token, .. } => ("mfa/setup", token),
        AuthStep::MfaRequired { token, .. } => ("mfa", token),
    };
    see_other(&with_query(
        &format!("/{}/{}", pool.id, page.0),
        &[("request", &pending.id), ("step", &page.1)],
    ))
}

/// Signs the user in (`tokens::complete`), then hands the application its code with the
/// session and device cookies. A TOTP set-up's recovery codes are shown once on the way.
pub(crate) async fn finish_sign_in(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    pending: &AuthRequestRow,
    done: Completed,
) -> HttpResponse {
    // A provider's answer that led to a second-factor step (a linked local user).
    let token = complete::upstream_of(ctx, pending, &done.user.id);
    let upstream = token
        .as_ref()
        .map(|(provider, id_token)| Upstream { provider, id_token });
    finish_sign_in_via(req, ctx, pool, pending, done, upstream).await
}

/// `finish_sign_in`, for a session that came from `upstream` when given.
pub(crate) async fn finish_sign_in_via(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    pending: &AuthRequestRow,
    done: Completed,
    upstream: Option<Upstream<'_>>,
) -> HttpResponse {
    let previous = req.cookie(SESSION_COOKIE);
    let completion = match complete::complete(
        ctx,
        pending,
        &done,
        upstream,
        previous.as_ref().map(|c| c.value()),
    )
    .await
    {
        Ok(Some(completion)) => completion,
        Ok(None) => return expired(pool),
        Err(err) => return internal(err),
    };
    let code = &completion.code;
    let mut response = match &done.recovery_codes {
        Some(codes) => recovery_codes_page(ctx, pool, code, codes),
        None => code_redirect(ctx, &pool.id, code, StatusCode::SEE_OTHER),
    };
    let _ = response.add_cookie(&session_cookie(ctx, &pool.id, &completion.session_token));
    let _ = response.add_cookie(&device_cookie(ctx, &pool.id, completion.device_token));
    response
}
