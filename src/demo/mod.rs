//! `cognate serve --demo`: a pool `demo`, a public client, and a built-in relying party at
//! `/demo` that runs the whole authorization-code flow with PKCE and shows the tokens, so a
//! fresh machine can try sign-up, confirmation and sign-in with nothing else installed.
//! A second pool acts as the demo's outside identity provider (`upstream`).

pub mod upstream;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, get};
use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::context::Context;
use crate::crypto::random;
use crate::error::{Error, Result};
use crate::hosted::pages::{Brand, message, render};
use crate::hosted::{html, see_other};
use crate::pools::clients::{ClientInput, create_client};
use crate::pools::oauth_client::find_oauth_client;
use crate::pools::pool::{NewPool, cached_pool, create_pool};
use crate::pools::pool_config::Branding;
use crate::tokens::authorize::{Params, with_query};

const COOKIE: &str = "cognate_demo";

/// The demo's pool and client.
#[derive(Clone, Debug)]
pub struct Demo {
    pub pool_id: String,
    pub client_id: String,
}

impl Demo {
    fn callback_url(ctx: &Context) -> String {
        format!(
            "{}/demo/callback",
            ctx.public_url.as_str().trim_end_matches('/')
        )
    }
}

/// Creates the `demo` pool and its public client if they do not exist yet.
pub async fn ensure(ctx: &Context) -> Result<Demo> {
    let pool_id = match crate::store::pools::id_by_name(&ctx.store, "demo").await? {
        Some(id) => id,
        None => {
            let input = NewPool {
                name: "demo".into(),
                username_attributes: Some(vec!["email".into()]),
                branding: Some(Branding {
                    display_name: Some("Cognate demo".into()),
                    ..Branding::default()
                }),
                ..NewPool::default()
            };
            match create_pool(ctx, input).await {
                Ok(pool) => pool.id,
                // Another process made it first.
                Err(Error::Conflict(..)) => crate::store::pools::id_by_name(&ctx.store, "demo")
                    .await?
                    .ok_or(Error::NotFound("demo pool"))?,
                Err(e) => return Err(e),
            }
        }
    };
    let callback = Demo::callback_url(ctx);
    let client_id = match crate::store::clients::id_by_name(&ctx.store, &pool_id, "demo").await? {
        Some(id) => {
            // The public URL may have changed since: keep the callback in step.
            let client = find_oauth_client(ctx, &pool_id, &id)
                .await?
                .ok_or(Error::NotFound("client"))?;
            if !client.config.callback_urls.contains(&callback) {
                let mut urls = client.config.callback_urls.clone();
                urls.push(callback.clone());
                crate::pools::clients::update_client(
                    ctx,
                    &pool_id,
                    &id,
                    ClientInput {
                        callback_urls: Some(urls),
                        ..Default::default()
                    },
                )
                .await?;
            }
            id
        }
        None => {
            let input = ClientInput {
                name: Some("demo".into()),
                callback_urls: Some(vec![callback]),
                allowed_oauth_flows: Some(vec!["code".into()]),
                allowed_oauth_scopes: Some(vec!["openid".into(), "email".into(), "profile".into()]),
                ..Default::default()
            };
            create_client(ctx, &pool_id, input).await?.client_id
        }
    };
    Ok(Demo { pool_id, client_id })
}

/// `/demo`: starts a sign-in with PKCE; the verifier, state and nonce wait in a cookie.
#[get("/demo")]
pub async fn start(ctx: Data<Context>, demo: Data<Demo>) -> HttpResponse {
    let verifier = random::token(48);
    let state = random::token(16);
    let nonce = random::token(16);
    let challenge = URL_SAFE_NO_PAD.encode(crate::crypto::secret::sha256(verifier.as_bytes()));
    let callback = Demo::callback_url(&ctx);
    let url = with_query(
        &format!("{}/oauth2/authorize", ctx.issuer(&demo.pool_id)),
        &[
            ("response_type", "code"),
            ("client_id", &demo.client_id),
            ("redirect_uri", &callback),
            ("scope", "openid email profile"),
            ("state", &state),
            ("nonce", &nonce),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let cookie = Cookie::build(COOKIE, format!("{state}.{verifier}.{nonce}"))
        .path("/demo")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(ctx.public_url.scheme() == "https")
        .finish();
    let mut response = see_other(&url);
    let _ = response.add_cookie(&cookie);
    response
}

#[derive(Template)]
#[template(path = "demo/callback.html")]
struct CallbackPage {
    brand: Brand,
    token_endpoint: String,
    id_claims: String,
    access_claims: String,
    userinfo: String,
    raw: String,
    logout: String,
}

fn claims_of(jwt: &str) -> Value {
    jwt.split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// `/demo/callback`: checks the state, redeems the code with the PKCE verifier (server-side,
/// through the same grant the token endpoint runs) and shows what came back.
#[get("/demo/callback")]
pub async fn demo_callback(req: HttpRequest, ctx: Data<Context>, demo: Data<Demo>) -> HttpResponse {
    let pool = match cached_pool(&ctx, &demo.pool_id).await {
        Ok(pool) => pool,
        Err(_) => {
            return message(
                StatusCode::NOT_FOUND,
                Brand::plain(),
                "Demo unavailable",
                "The demo pool is gone.",
            );
        }
    };
    let brand = || Brand::of(&pool);
    let fail = |text: &str| {
        message(
            StatusCode::BAD_REQUEST,
            Brand::of(&pool),
            "Sign-in did not complete",
            text,
        )
    };
    let Ok(params) = Params::parse(req.query_string().as_bytes()) else {
        return fail("The callback parameters are malformed.");
    };
    if let Some(error) = params.get("error") {
        let description = params.get("error_description").unwrap_or_default();
        return fail(&format!("The provider answered {error}: {description}"));
    }
    let Some((state, verifier, nonce)) = req.cookie(COOKIE).and_then(|c| {
        let mut parts = c.value().split('.').map(str::to_string);
        Some((parts.next()?, parts.next()?, parts.next()?))
    }) else {
        return fail("This browser did not start the sign-in: open /demo to begin.");
    };
    if params.get("state") != Some(state.as_str()) {
        return fail("The state does not match: open /demo to begin again.");
    }
    let Some(code) = params.get("code") else {
        return fail("No authorization code came back.");
    };
    let client = match find_oauth_client(&ctx, &demo.pool_id, &demo.client_id).await {
        Ok(Some(client)) => client,
        _ => return fail("The demo client is gone."),
    };
    let callback = Demo::callback_url(&ctx);
    let tokens = match crate::tokens::grants::authorization_code(
        &ctx,
        &client,
        code,
        Some(&callback),
        Some(&verifier),
    )
    .await
    {
        Ok(tokens) => tokens,
        Err(err) => return fail(&format!("The code exchange failed: {err}")),
    };
    let id_claims = tokens.id_token.as_deref().map(claims_of);
    if id_claims.as_ref().and_then(|c| c["nonce"].as_str()) != Some(nonce.as_str()) {
        return fail("The ID token does not carry this sign-in's nonce.");
    }
    let userinfo =
        match crate::tokens::revocation::user_info(&ctx, &demo.pool_id, &tokens.access_token).await
        {
            Ok(claims) => Value::Object(claims),
            Err(err) => json!({"error": err.to_string()}),
        };
    let issuer = ctx.issuer(&demo.pool_id);
    let page = CallbackPage {
        brand: brand(),
        token_endpoint: format!("{issuer}/oauth2/token"),
        id_claims: pretty(
            &tokens
                .id_token
                .as_deref()
                .map(claims_of)
                .unwrap_or(Value::Null),
        ),
        access_claims: pretty(&claims_of(&tokens.access_token)),
        userinfo: pretty(&userinfo),
        raw: pretty(&json!({
            "access_token": tokens.access_token,
            "id_token": tokens.id_token,
            "refresh_token": tokens.refresh_token,
            "expires_in": tokens.expires_in,
        })),
        logout: with_query(
            &format!("{issuer}/logout"),
            &[("client_id", &demo.client_id)],
        ),
    };
    let mut response = html(StatusCode::OK, render(&page));
    let mut gone = Cookie::build(COOKIE, "").path("/demo").finish();
    gone.make_removal();
    let _ = response.add_cookie(&gone);
    response
}
