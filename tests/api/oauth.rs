//! The OAuth 2.0 / OpenID Connect provider, driven by real relying-party libraries
//! (`openidconnect` for the code flow, `oauth2` for client credentials and refresh) and by
//! a browser-like client on the hosted pages. One test per rule of design §6.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::json;

use crate::browser::{
    Browser, CALLBACK, authorize_url, claims_of, header_of, query_of, redeem, token_request,
    tokens_for, userinfo, web_app,
};
use crate::helpers::{Backend, PASSWORD, spawn_app, spawn_app_with_clock};
use crate::on_both;

on_both!(
    code_flow_with_openidconnect_client,
    discovery_and_jwks_are_cacheable_and_complete,
    redirect_uri_mismatch_shows_a_page_and_never_redirects,
    authorize_errors_redirect_with_state_and_iss,
    pkce_is_required_and_checked,
    code_reuse_revokes_what_it_issued,
    refresh_rotates_and_reuse_revokes_the_family,
    parallel_refreshes_of_one_token_rotate_it_once,
    missing_or_wrong_csrf_token_is_refused,
    prompt_none_and_single_sign_on,
    max_age_forces_the_form,
    expired_code_is_refused,
    wrong_client_secret_is_invalid_client,
    codes_and_refresh_tokens_are_bound_to_their_client,
    token_from_another_pool_is_refused_at_userinfo,
    key_rotation_keeps_old_tokens_verifiable_until_they_expire,
    client_credentials_with_custom_scopes,
    sign_in_failures_do_not_reveal_accounts,
    temporary_password_leads_to_new_password_page,
    admin_sign_out_revokes_tokens_and_sessions,
    revocation_and_logout,
    hosted_pages_send_security_headers,
    repeated_failures_lock_the_username_alike_for_known_and_unknown,
    new_password_step_belongs_to_the_browser_that_signed_in,
    codes_die_with_their_session,
    userinfo_keeps_to_the_granted_scopes,
    admin_changes_reach_the_oauth_endpoints_at_once,
    groups_appear_in_tokens_by_precedence_and_follow_refreshes,
);

fn http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn code_flow_with_openidconnect_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, true).await;
    let http = http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(web.issuer.clone()).unwrap(), &http)
            .await
            .expect("discovery");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(web.client_id.clone()),
        web.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(CALLBACK.to_string()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf_state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();

    let browser = Browser::new(&app);
    let done = browser.sign_in(auth_url.as_str(), "alice", PASSWORD).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let location = done.location.clone().unwrap();
    assert!(location.starts_with(CALLBACK), "{location}");
    let query = query_of(&location);
    assert_eq!(&query["state"], csrf_state.secret());
    assert_eq!(query["iss"], web.issuer);
    let session = browser.cookie("cognate_session").expect("session cookie");
    assert!(session.len() >= 32);
    let set_cookie = done.header("set-cookie");
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );

    let tokens = client
        .exchange_code(AuthorizationCode::new(query["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token exchange");
    let id_token = tokens.id_token().expect("an ID token for openid");
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("the ID token verifies against the JWKS");
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some("alice@example.com")
    );
    assert_eq!(claims.email_verified(), Some(true));
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));

    let raw_id = claims_of(&id_token.to_string());
    assert_eq!(raw_id["token_use"], "id");
    assert_eq!(raw_id["cognito:username"], "alice");
    assert_eq!(raw_id["name"], "Alice Liddell");
    assert!(
        raw_id["origin_jti"].is_string()
            && raw_id["event_id"].is_string()
            && raw_id["jti"].is_string()
    );
    let access = claims_of(tokens.access_token().secret());
    assert_eq!(access["token_use"], "access");
    assert_eq!(access["client_id"], web.client_id);
    assert_eq!(access["username"], "alice");
    assert_eq!(access["version"], 2);
    assert!(
        access.get("aud").is_none(),
        "Cognito access tokens have no aud"
    );
    assert_eq!(access["scope"], "openid email profile");
    assert!(header_of(tokens.access_token().secret())["kid"].is_string());
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 3600);

    let info = userinfo(&app, &web.pool, tokens.access_token().secret())
        .await
        .expect(200);
    assert_eq!(info["sub"], raw_id["sub"]);
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["name"], "Alice Liddell");

    // Refresh with the oauth2 crate: new tokens, the same auth_time, a rotated refresh token.
    let refresh = tokens.refresh_token().expect("a refresh token").clone();
    let oauth = oauth2::basic::BasicClient::new(oauth2::ClientId::new(web.client_id.clone()))
        .set_client_secret(oauth2::ClientSecret::new(web.secret.clone().unwrap()))
        .set_token_uri(oauth2::TokenUrl::new(format!("{}/oauth2/token", web.issuer)).unwrap());
    let refreshed = oauth
        .exchange_refresh_token(&oauth2::RefreshToken::new(refresh.secret().clone()))
        .request_async(&http)
        .await
        .expect("refresh");
    let again = claims_of(refreshed.access_token().secret());
    assert_eq!(again["auth_time"], access["auth_time"]);
    assert_eq!(again["origin_jti"], access["origin_jti"]);
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        refresh.secret(),
        "refresh tokens rotate"
    );
}

async fn discovery_and_jwks_are_cacheable_and_complete(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let doc = app
        .get(&format!("/{}/.well-known/openid-configuration", web.pool))
        .await;
    assert_eq!(doc.status, 200);
    assert!(
        doc.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let d = doc.body;
    assert_eq!(d["issuer"], web.issuer);
    for field in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
        "end_session_endpoint",
    ] {
        assert!(
            d[field].as_str().unwrap().starts_with(&web.issuer),
            "{field}"
        );
    }
    assert_eq!(d["response_types_supported"], json!(["code"]));
    assert_eq!(d["subject_types_supported"], json!(["public"]));
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["RS256"]));
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        d["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    let scopes: Vec<&str> = d["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(scopes.contains(&"openid") && scopes.contains(&"https://api.example.com/read"));
    let jwks = app
        .get(&format!("/{}/.well-known/jwks.json", web.pool))
        .await;
    assert!(
        jwks.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let key = &jwks.body["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["use"], "sig");
    assert!(key.get("d").is_none(), "no private parts");
    assert_eq!(
        app.get("/local_000000000/.well-known/openid-configuration")
            .await
            .status,
        404
    );
}

async fn redirect_uri_mismatch_shows_a_page_and_never_redirects(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    for bad in [
        "http://localhost:3000/callback/extra",
        "http://LOCALHOST:3000/callback",
        "http://localhost:3000/Callback",
        "http://localhost:3000/callback/",
        "http://localhost:3000/callback#frag",
        "http://attacker@localhost:3000/callback",
        "http://localhost:3000@attacker.example/callback",
        "http://localhost:3000/%63allback",
        "http://localhost:3000/callback?x=1",
        "http://localhost:3001/callback",
        "https://attacker.example/callback",
    ] {
        let (url, _) = authorize_url(&web, &[("redirect_uri", bad)]);
        let page = browser.get(&url).await;
        assert_eq!(page.status, 400, "{bad}");
        assert!(page.location.is_none(), "{bad} must not redirect");
        assert!(page.body.contains("redirect_uri"), "{bad}: {}", page.body);
    }
    let (url, _) = authorize_url(&web, &[("client_id", "abcdefghijklmnopqrstuvwxyz")]);
    let page = browser.get(&url).await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none());
    // No redirect_uri and no default: a page too.
    let (url, _) = authorize_url(&web, &[("redirect_uri", "")]);
    let page = browser.get(&url).await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none());
    // Repeated parameters cannot be trusted: a page, never a redirect.
    let (url, _) = authorize_url(&web, &[]);
    let page = browser
        .get(&format!(
            "{url}&redirect_uri=https%3A%2F%2Fattacker.example%2F"
        ))
        .await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none());
    let page = browser.get(&format!("{url}&state=%FF%FE")).await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none());
}

async fn authorize_errors_redirect_with_state_and_iss(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    for (extra, error) in [
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("response_type", "")], "invalid_request"),
        (vec![("scope", "openid admin")], "invalid_scope"),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("max_age", "soon")], "invalid_request"),
        (vec![("prompt", "none login")], "invalid_request"),
    ] {
        let (url, _) = authorize_url(&web, &extra);
        let page = browser.get(&url).await;
        assert_eq!(page.status, 302, "{extra:?}: {}", page.body);
        let location = page.location.unwrap();
        assert!(location.starts_with(CALLBACK));
        let q = query_of(&location);
        assert_eq!(q["error"], error, "{extra:?}");
        assert_eq!(q["state"], "st-123");
        assert_eq!(q["iss"], web.issuer);
        assert!(!q["error_description"].contains(['\r', '\n', '\t', '"']));
    }
    // Values of 100 KB: too large for a form body, too long for a state in a query.
    let big = "x".repeat(100_000);
    let (url, _) = authorize_url(&web, &[]);
    let post = browser.post_form(&url, &[("state", &big)]).await;
    assert_eq!(post.status, 413);
    assert!(post.location.is_none());
    let (url, _) = authorize_url(&web, &[("state", &"s".repeat(5_000))]);
    let page = browser.get(&url).await;
    assert_eq!(page.status, 302);
    assert_eq!(
        query_of(page.location.as_deref().unwrap())["error"],
        "invalid_request"
    );
}

async fn pkce_is_required_and_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let (url, _) = authorize_url(
        &web,
        &[("code_challenge", ""), ("code_challenge_method", "")],
    );
    let page = browser.get(&url).await;
    assert_eq!(
        query_of(&page.location.unwrap())["error"],
        "invalid_request",
        "public clients need PKCE"
    );

    let (url, verifier) = authorize_url(&web, &[]);
    let done = browser.sign_in(&url, "alice", PASSWORD).await;
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    let wrong = redeem(
        &app,
        &web,
        &code,
        &format!("{}x", &verifier[..verifier.len() - 1]),
    )
    .await;
    wrong.expect_oauth(400, "invalid_grant");
    // The code was consumed by the failed attempt: the right verifier is too late now.
    redeem(&app, &web, &code, &verifier)
        .await
        .expect_oauth(400, "invalid_grant");

    let (url, _) = authorize_url(&web, &[("prompt", "login")]);
    let done = browser.sign_in(&url, "alice", PASSWORD).await;
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    let missing = token_request(
        &app,
        &web.pool,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("client_id", &web.client_id),
        ],
    )
    .await;
    missing.expect_oauth(400, "invalid_grant");
}

async fn code_reuse_revokes_what_it_issued(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let (url, verifier) = authorize_url(&web, &[]);
    let done = browser.sign_in(&url, "alice", PASSWORD).await;
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    let tokens = redeem(&app, &web, &code, &verifier).await.expect(200);
    let access = tokens["access_token"].as_str().unwrap();
    userinfo(&app, &web.pool, access).await.expect(200);
    redeem(&app, &web, &code, &verifier)
        .await
        .expect_oauth(400, "invalid_grant");
    let refused = userinfo(&app, &web.pool, access).await;
    refused.expect_oauth(401, "invalid_token");
    assert!(
        refused.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let refresh = tokens["refresh_token"].as_str().unwrap();
    token_request(
        &app,
        &web.pool,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &web.client_id),
        ],
    )
    .await
    .expect_oauth(400, "invalid_grant");
}

/// A refresh grant for `web`'s public client.
async fn refresh_grant(
    app: &crate::helpers::TestApp,
    web: &crate::browser::WebApp,
    token: String,
) -> crate::helpers::Answer {
    token_request(
        app,
        &web.pool,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &token),
            ("client_id", &web.client_id),
        ],
    )
    .await
}

async fn refresh_rotates_and_reuse_revokes_the_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let tokens = tokens_for(&app, &web, &browser).await;
    let first = tokens["refresh_token"].as_str().unwrap().to_string();
    let refresh = |token: String| refresh_grant(&app, &web, token);
    let second = refresh(first.clone()).await.expect(200);
    assert!(second.get("refresh_token").is_some() && second["id_token"].is_string());
    let second_refresh = second["refresh_token"].as_str().unwrap().to_string();
    let second_access = second["access_token"].as_str().unwrap().to_string();
    userinfo(&app, &web.pool, &second_access).await.expect(200);
    // The old token again: the whole family dies, including the newest tokens.
    refresh(first).await.expect_oauth(400, "invalid_grant");
    refresh(second_refresh)
        .await
        .expect_oauth(400, "invalid_grant");
    userinfo(&app, &web.pool, &second_access)
        .await
        .expect_oauth(401, "invalid_token");
}

/// One refresh token presented by many requests at once: one rotation at most, and since
/// the others prove a copy exists, the family dies with the tokens the winner got. A chain
/// of sequential rotations keeps working (each successor is written by the same statement
/// that spends its predecessor).
async fn parallel_refreshes_of_one_token_rotate_it_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let refresh = |token: String| refresh_grant(&app, &web, token);
    let tokens = tokens_for(&app, &web, &Browser::new(&app)).await;
    let mut token = tokens["refresh_token"].as_str().unwrap().to_string();
    for _ in 0..3 {
        let next = refresh(token.clone()).await.expect(200);
        let access = next["access_token"].as_str().unwrap();
        userinfo(&app, &web.pool, access).await.expect(200);
        token = next["refresh_token"].as_str().unwrap().to_string();
    }
    let answers = futures_util::future::join_all((0..12).map(|_| refresh(token.clone()))).await;
    let won: Vec<&crate::helpers::Answer> = answers.iter().filter(|a| a.status == 200).collect();
    assert!(won.len() <= 1, "{} requests rotated one token", won.len());
    for lost in answers.iter().filter(|a| a.status != 200) {
        lost.expect_oauth(400, "invalid_grant");
    }
    if let Some(winner) = won.first() {
        let next = winner.body["refresh_token"].as_str().unwrap().to_string();
        refresh(next).await.expect_oauth(400, "invalid_grant");
        let access = winner.body["access_token"].as_str().unwrap();
        userinfo(&app, &web.pool, access)
            .await
            .expect_oauth(401, "invalid_token");
    }
}

async fn missing_or_wrong_csrf_token_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let (url, _) = authorize_url(&web, &[]);
    let login = browser.open_login(&url).await;
    let csrf = crate::browser::hidden(&login.body, "csrf_token").unwrap();
    assert!(csrf.len() >= 20);
    let no_token = browser
        .submit(
            &login,
            &[
                ("csrf_token", ""),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(no_token.status, 403);
    assert!(no_token.location.is_none());
    let wrong = browser
        .submit(
            &login,
            &[
                ("csrf_token", "A".repeat(32).as_str()),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status, 403);
    // A cross-site post has the field but not the cookie.
    browser.forget("cognate_csrf");
    let no_cookie = browser
        .submit(&login, &[("username", "alice"), ("password", PASSWORD)])
        .await;
    assert_eq!(no_cookie.status, 403);
    assert!(
        browser.cookie("cognate_session").is_none(),
        "no session was started"
    );
}

async fn prompt_none_and_single_sign_on(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let (url, _) = authorize_url(&web, &[("prompt", "none")]);
    let page = browser.get(&url).await;
    assert_eq!(query_of(&page.location.unwrap())["error"], "login_required");
    tokens_for(&app, &web, &browser).await;
    // Signed in: no form, a code straight away, with or without prompt=none.
    for extra in [vec![], vec![("prompt", "none")]] {
        let (url, verifier) = authorize_url(&web, &extra);
        let page = browser.get(&url).await;
        assert_eq!(page.status, 302, "{}", page.body);
        let q = query_of(page.location.as_deref().unwrap());
        assert!(q.contains_key("code"));
        redeem(&app, &web, &q["code"], &verifier).await.expect(200);
    }
    // prompt=login always shows the form.
    let (url, _) = authorize_url(&web, &[("prompt", "login")]);
    let page = browser.get(&url).await;
    assert_eq!(page.status, 303);
    assert!(page.location.unwrap().contains("/login?request="));
}

async fn max_age_forces_the_form(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    tokens_for(&app, &web, &browser).await;
    clock.advance_secs(120);
    let (url, _) = authorize_url(&web, &[("max_age", "600")]);
    assert_eq!(
        browser.get(&url).await.status,
        302,
        "a session younger than max_age is used"
    );
    let (url, _) = authorize_url(&web, &[("max_age", "60")]);
    let page = browser.get(&url).await;
    assert_eq!(page.status, 303, "an older session shows the form");
    assert!(page.location.unwrap().contains("/login?request="));
}

async fn expired_code_is_refused(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let (url, verifier) = authorize_url(&web, &[]);
    let done = browser.sign_in(&url, "alice", PASSWORD).await;
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    clock.advance_secs(5 * 60 + 1);
    redeem(&app, &web, &code, &verifier)
        .await
        .expect_oauth(400, "invalid_grant");
    // A pending sign-in expires after 15 minutes too.
    let (url, _) = authorize_url(&web, &[("prompt", "login")]);
    let login = browser.open_login(&url).await;
    clock.advance_secs(15 * 60 + 1);
    let late = browser
        .submit(&login, &[("username", "alice"), ("password", PASSWORD)])
        .await;
    assert_eq!(late.status, 400);
    assert!(late.body.contains("expired"));
}

async fn wrong_client_secret_is_invalid_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, true).await;
    for form in [
        vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", web.client_id.as_str()),
            ("client_secret", "wrong"),
        ],
        vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", web.client_id.as_str()),
        ],
        vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", "abcdefghijklmnopqrstuvwxyz"),
            ("client_secret", "x"),
        ],
    ] {
        let answer = token_request(&app, &web.pool, &form).await;
        answer.expect_oauth(401, "invalid_client");
        assert!(answer.headers.contains_key("www-authenticate"));
    }
    let basic = app
        .send(
            app.http
                .post(app.url(&format!("/{}/oauth2/token", web.pool)))
                .basic_auth(&web.client_id, Some("wrong"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=refresh_token&refresh_token=x"),
        )
        .await;
    basic.expect_oauth(401, "invalid_client");
    let unsupported = token_request(
        &app,
        &web.pool,
        &[("grant_type", "password"), ("client_id", &web.client_id)],
    )
    .await;
    unsupported.expect_oauth(400, "unsupported_grant_type");
    assert_eq!(unsupported.headers["cache-control"], "no-store");
    let dup = app
        .send(
            app.http
                .post(app.url(&format!("/{}/oauth2/token", web.pool)))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=refresh_token&grant_type=client_credentials"),
        )
        .await;
    dup.expect_oauth(400, "invalid_request");
}

async fn codes_and_refresh_tokens_are_bound_to_their_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let other = app
        .admin(
            "POST",
            &format!("/pools/{}/clients", web.pool),
            Some(json!({"name": "other", "callback_urls": [CALLBACK], "allowed_oauth_flows": ["code"],
                        "allowed_oauth_scopes": ["openid"]})),
        )
        .await
        .expect(201);
    let other_id = other["client_id"].as_str().unwrap();
    let browser = Browser::new(&app);
    let (url, verifier) = authorize_url(&web, &[]);
    let done = browser.sign_in(&url, "alice", PASSWORD).await;
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    let stolen = token_request(
        &app,
        &web.pool,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", &verifier),
            ("client_id", other_id),
        ],
    )
    .await;
    stolen.expect_oauth(400, "invalid_grant");
    let tokens = tokens_for(&app, &web, &browser).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    token_request(
        &app,
        &web.pool,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", other_id),
        ],
    )
    .await
    .expect_oauth(400, "invalid_grant");
    // The rightful client can still use it.
    token_request(
        &app,
        &web.pool,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &web.client_id),
        ],
    )
    .await
    .expect(200);
}

async fn token_from_another_pool_is_refused_at_userinfo(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let tokens = tokens_for(&app, &web, &browser).await;
    let access = tokens["access_token"].as_str().unwrap();
    let other_pool = app.create_pool("elsewhere", json!({})).await;
    userinfo(&app, &other_pool, access)
        .await
        .expect_oauth(401, "invalid_token");
    // Forged tokens: alg none, HS256 with the public key, and a tampered payload.
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let payload = access.split('.').nth(1).unwrap();
    let kid = header_of(access)["kid"].as_str().unwrap().to_string();
    let none = format!(
        "{}.{payload}.",
        b64(&format!(r#"{{"alg":"none","kid":"{kid}"}}"#))
    );
    let hs = format!(
        "{}.{payload}.{}",
        b64(&format!(r#"{{"alg":"HS256","kid":"{kid}"}}"#)),
        b64("sig")
    );
    let mut claims = claims_of(access);
    claims["username"] = json!("mallory");
    let tampered = format!(
        "{}.{}.{}",
        access.split('.').next().unwrap(),
        b64(&claims.to_string()),
        access.split('.').nth(2).unwrap()
    );
    for forged in [
        none,
        hs,
        tampered,
        "not-a-jwt".to_string(),
        "a.b.c".to_string(),
    ] {
        userinfo(&app, &web.pool, &forged)
            .await
            .expect_oauth(401, "invalid_token");
    }
    let anonymous = app
        .send(
            app.http
                .get(app.url(&format!("/{}/oauth2/userInfo", web.pool))),
        )
        .await;
    assert_eq!(anonymous.status, 401);
    // An access token without openid is not enough.
    let (url, verifier) = authorize_url(
        &web,
        &[
            ("scope", "https://api.example.com/read"),
            ("prompt", "login"),
        ],
    );
    let done = browser.sign_in(&url, "alice", PASSWORD).await;
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    let api_only = redeem(&app, &web, &code, &verifier).await.expect(200);
    assert!(
        api_only.get("id_token").is_none(),
        "no ID token without openid"
    );
    userinfo(&app, &web.pool, api_only["access_token"].as_str().unwrap())
        .await
        .expect_oauth(401, "invalid_token");
}

async fn key_rotation_keeps_old_tokens_verifiable_until_they_expire(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let old = tokens_for(&app, &web, &browser).await;
    let old_access = old["access_token"].as_str().unwrap().to_string();
    let old_kid = header_of(&old_access)["kid"].as_str().unwrap().to_string();
    let rotated = app
        .admin("POST", &format!("/pools/{}/keys/rotate", web.pool), None)
        .await
        .expect(200);
    let new_kid = rotated["active_kid"].as_str().unwrap().to_string();
    assert_ne!(new_kid, old_kid);
    let jwks = app
        .get(&format!("/{}/.well-known/jwks.json", web.pool))
        .await
        .body;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()));
    let fresh = tokens_for(&app, &web, &browser).await;
    assert_eq!(
        header_of(fresh["access_token"].as_str().unwrap())["kid"],
        new_kid.as_str()
    );
    userinfo(&app, &web.pool, &old_access).await.expect(200);
    // After every token the old key signed has expired, it leaves the JWKS.
    clock.advance_secs(86_400 + 120);
    let jwks = app
        .get(&format!("/{}/.well-known/jwks.json", web.pool))
        .await
        .body;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, vec![new_kid.as_str()]);
    userinfo(&app, &web.pool, &old_access)
        .await
        .expect_oauth(401, "invalid_token");
}

async fn client_credentials_with_custom_scopes(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let m2m = app
        .admin(
            "POST",
            &format!("/pools/{}/clients", web.pool),
            Some(json!({"name": "m2m", "generate_secret": true, "allowed_oauth_flows": ["client_credentials"],
                        "allowed_oauth_scopes": ["https://api.example.com/read"], "access_token_validity": 600})),
        )
        .await
        .expect(201);
    let id = m2m["client_id"].as_str().unwrap().to_string();
    let secret = m2m["client_secret"].as_str().unwrap().to_string();
    let oauth = oauth2::basic::BasicClient::new(oauth2::ClientId::new(id.clone()))
        .set_client_secret(oauth2::ClientSecret::new(secret.clone()))
        .set_token_uri(oauth2::TokenUrl::new(format!("{}/oauth2/token", web.issuer)).unwrap());
    let http = http();
    let token = oauth
        .exchange_client_credentials()
        .add_scope(oauth2::Scope::new("https://api.example.com/read".into()))
        .request_async(&http)
        .await
        .expect("client credentials");
    assert!(token.refresh_token().is_none());
    assert_eq!(token.expires_in().unwrap().as_secs(), 600);
    let jwt = token.access_token().secret();
    let claims = claims_of(jwt);
    assert_eq!(claims["sub"], id);
    assert_eq!(claims["client_id"], id);
    assert_eq!(claims["token_use"], "access");
    assert_eq!(claims["scope"], "https://api.example.com/read");

    // A resource server verifies it from the JWKS, with an RSA implementation of its own.
    let jwks = app
        .get(&format!("/{}/.well-known/jwks.json", web.pool))
        .await
        .body;
    let kid = header_of(jwt)["kid"].as_str().unwrap().to_string();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap()
        .clone();
    assert!(
        verify_with_rsa_crate(jwt, &jwk),
        "the signature verifies against the JWKS"
    );
    let mut parts: Vec<String> = jwt.split('.').map(str::to_string).collect();
    parts[1].push('A');
    assert!(!verify_with_rsa_crate(&parts.join("."), &jwk));

    // Scopes it is not allowed, user clients, and public clients are refused.
    let bad = oauth
        .exchange_client_credentials()
        .add_scope(oauth2::Scope::new("openid".into()))
        .request_async(&http)
        .await;
    assert!(bad.is_err());
    let answer = token_request(
        &app,
        &web.pool,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "https://api.example.com/write"),
        ],
    )
    .await;
    answer.expect_oauth(400, "invalid_scope");
    let answer = token_request(
        &app,
        &web.pool,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &web.client_id),
        ],
    )
    .await;
    answer.expect_oauth(400, "unauthorized_client");
}

fn verify_with_rsa_crate(jwt: &str, jwk: &serde_json::Value) -> bool {
    use base64::Engine;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let n = rsa::BigUint::from_bytes_be(&b64.decode(jwk["n"].as_str().unwrap()).unwrap());
    let e = rsa::BigUint::from_bytes_be(&b64.decode(jwk["e"].as_str().unwrap()).unwrap());
    let key = VerifyingKey::<sha2::Sha256>::new(rsa::RsaPublicKey::new(n, e).unwrap());
    let (signed, sig) = jwt.rsplit_once('.').unwrap();
    let Ok(sig) = b64.decode(sig) else {
        return false;
    };
    let Ok(sig) = Signature::try_from(sig.as_slice()) else {
        return false;
    };
    key.verify(signed.as_bytes(), &sig).is_ok()
}

async fn sign_in_failures_do_not_reveal_accounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let pool = &web.pool;
    app.admin(
        "POST",
        &format!("/pools/{pool}/users"),
        Some(json!({"username": "dora", "password": PASSWORD})),
    )
    .await
    .expect(201);
    app.admin("POST", &format!("/pools/{pool}/users/dora/disable"), None)
        .await
        .expect(200);
    let browser = Browser::new(&app);
    let (url, _) = authorize_url(&web, &[]);
    let generic = "Incorrect username or password.";
    let wrong_password = browser.sign_in(&url, "alice", "Wrong-password-1").await;
    let unknown = browser.sign_in(&url, "nobody", "Wrong-password-1").await;
    assert_eq!(wrong_password.status, 200);
    assert!(wrong_password.body.contains(generic) && unknown.body.contains(generic));
    assert_eq!(
        strip_tokens(&wrong_password.body).replace("alice", "X"),
        strip_tokens(&unknown.body).replace("nobody", "X")
    );
    let disabled = browser.sign_in(&url, "dora", PASSWORD).await;
    assert_eq!(disabled.status, 200);
    assert!(disabled.body.contains("cannot sign in"));
    assert!(
        !disabled.body.to_lowercase().contains("disabled"),
        "the page does not say why"
    );
    app.admin(
        "POST",
        &format!("/pools/{pool}/users/alice/reset-password"),
        None,
    )
    .await
    .expect(200);
    let reset = browser.sign_in(&url, "alice", PASSWORD).await;
    assert!(reset.body.contains("reset your password"));
    assert!(browser.cookie("cognate_session").is_none());
}

/// The page without its per-request hidden values.
fn strip_tokens(body: &str) -> String {
    let mut out = body.to_string();
    for (_, value) in crate::browser::hidden_fields(body) {
        out = out.replace(&value, "");
    }
    out
}

async fn temporary_password_leads_to_new_password_page(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend).await;
    let web = web_app(&app, false).await;
    let pool = &web.pool;
    let temp = "Temporary-Pass-1";
    for name in ["tina", "tom"] {
        app.admin("POST", &format!("/pools/{pool}/users"), Some(json!({"username": name, "temporary_password": temp, "attributes": {"email": format!("{name}@example.com")}})))
            .await
            .expect(201);
    }
    let browser = Browser::new(&app);
    let (url, verifier) = authorize_url(&web, &[]);
    let step = browser.sign_in(&url, "tina", temp).await;
    assert_eq!(step.status, 303);
    let form = browser.get(step.location.as_deref().unwrap()).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("new_password") && form.body.contains("confirm_password"));
    let mismatch = browser
        .submit(
            &form,
            &[
                ("new_password", "Brand-new-pass-2"),
                ("confirm_password", "Brand-new-pass-3"),
            ],
        )
        .await;
    assert!(mismatch.body.contains("do not match"));
    let weak = browser
        .submit(
            &form,
            &[("new_password", "weak"), ("confirm_password", "weak")],
        )
        .await;
    assert!(weak.body.contains("at least 8 characters"), "{}", weak.body);
    let done = browser
        .submit(
            &form,
            &[
                ("new_password", "Brand-new-pass-2"),
                ("confirm_password", "Brand-new-pass-2"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    redeem(&app, &web, &code, &verifier).await.expect(200);
    let user = app
        .admin("GET", &format!("/pools/{pool}/users/tina"), None)
        .await
        .expect(200);
    assert_eq!(user["status"], "CONFIRMED");

    // An expired temporary password: told to ask an admin.
    clock.advance_secs(8 * 86_400);
    let other = Browser::new(&app);
    let (url, _) = authorize_url(&web, &[]);
    let expired = other.sign_in(&url, "tom", temp).await;
    assert_eq!(expired.status, 200);
    assert!(
        expired.body.contains("Ask your administrator"),
        "{}",
        expired.body
    );
}

async fn admin_sign_out_revokes_tokens_and_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let tokens = tokens_for(&app, &web, &browser).await;
    let access = tokens["access_token"].as_str().unwrap();
    userinfo(&app, &web.pool, access).await.expect(200);
    app.admin(
        "POST",
        &format!("/pools/{}/users/alice/sign-out", web.pool),
        None,
    )
    .await
    .expect(200);
    userinfo(&app, &web.pool, access)
        .await
        .expect_oauth(401, "invalid_token");
    let refresh = tokens["refresh_token"].as_str().unwrap();
    token_request(
        &app,
        &web.pool,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &web.client_id),
        ],
    )
    .await
    .expect_oauth(400, "invalid_grant");
    // The browser session is gone too: the form shows again.
    let (url, _) = authorize_url(&web, &[]);
    assert_eq!(browser.get(&url).await.status, 303);
}

async fn revocation_and_logout(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let tokens = tokens_for(&app, &web, &browser).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let revoke = |token: String| {
        let app = &app;
        let web = &web;
        async move {
            let body: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("token", token.as_str()),
                    ("client_id", web.client_id.as_str()),
                ])
                .finish();
            app.send(
                app.http
                    .post(app.url(&format!("/{}/oauth2/revoke", web.pool)))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body),
            )
            .await
        }
    };
    assert_eq!(revoke("unknown-token".into()).await.status, 200);
    assert_eq!(revoke(refresh.to_string()).await.status, 200);
    userinfo(&app, &web.pool, access)
        .await
        .expect_oauth(401, "invalid_token");
    token_request(
        &app,
        &web.pool,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &web.client_id),
        ],
    )
    .await
    .expect_oauth(400, "invalid_grant");

    // Logout ends the session (once confirmed: no id_token_hint here); it redirects only
    // to a registered logout URL.
    let bye = browser
        .sign_out(&format!(
            "/{}/logout?client_id={}&logout_uri=http%3A%2F%2Flocalhost%3A3000%2Fbye",
            web.pool, web.client_id
        ))
        .await;
    assert_eq!(bye.status, 302);
    assert_eq!(bye.location.as_deref(), Some("http://localhost:3000/bye"));
    assert!(browser.cookie("cognate_session").is_none());
    let (url, _) = authorize_url(&web, &[]);
    assert_eq!(
        browser.get(&url).await.status,
        303,
        "signed out: the form again"
    );
    let evil = browser
        .get(&format!(
            "/{}/logout?client_id={}&logout_uri=https%3A%2F%2Fattacker.example%2F",
            web.pool, web.client_id
        ))
        .await;
    assert_eq!(evil.status, 400);
    assert!(evil.location.is_none());
    assert!(
        evil.body.contains("not a registered logout URL"),
        "{}",
        evil.body
    );
}

async fn hosted_pages_send_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    app.admin(
        "PATCH",
        &format!("/pools/{}", web.pool),
        Some(json!({"branding": {"display_name": "Acme Login", "logo_url": "https://cdn.example.com/logo.png", "primary_color": "#aa3300"}})),
    )
    .await
    .expect(200);
    app.admin(
        "PATCH",
        &format!("/pools/{}", web.pool),
        Some(json!({"branding": {"primary_color": "red;}"}})),
    )
    .await
    .expect_error(422, "validation_failed");
    let browser = Browser::new(&app);
    let (url, _) = authorize_url(&web, &[]);
    let login = browser.open_login(&url).await;
    let csp = login.header("content-security-policy");
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(login.header("x-frame-options"), "DENY");
    assert_eq!(login.header("referrer-policy"), "no-referrer");
    assert_eq!(login.header("cache-control"), "no-store");
    assert!(
        login.body.contains("Acme Login")
            && login.body.contains("https://cdn.example.com/logo.png")
    );
    assert!(
        !login.body.contains("<script"),
        "the pages work without JavaScript"
    );
    let css = app.get(&format!("/{}/branding.css", web.pool)).await;
    assert!(css.text.contains("#aa3300"));
    assert_eq!(app.get("/static/cognate.css").await.status, 200);
}

async fn repeated_failures_lock_the_username_alike_for_known_and_unknown(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let (url, _) = authorize_url(&web, &[]);
    let locked = "Too many failed sign-in attempts";
    for name in ["alice", "ghost"] {
        for _ in 0..5 {
            let page = browser.sign_in(&url, name, "Wrong-password-1").await;
            assert!(
                page.body.contains("Incorrect username or password."),
                "{}",
                page.body
            );
        }
        let page = browser.sign_in(&url, name, PASSWORD).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains(locked), "{name}: {}", page.body);
    }
    assert!(browser.cookie("cognate_session").is_none());
    // Another username is not affected, and the lock lifts after its time.
    app.create_user(&web.pool, "bob").await;
    assert_eq!(browser.sign_in(&url, "bob", PASSWORD).await.status, 303);
    clock.advance_secs(31);
    let (url, _) = authorize_url(&web, &[("prompt", "login")]);
    let page = browser.sign_in(&url, "alice", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
}

async fn new_password_step_belongs_to_the_browser_that_signed_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    app.admin(
        "POST",
        &format!("/pools/{}/users", web.pool),
        Some(json!({"username": "vic", "temporary_password": "Temporary-Pass-1"})),
    )
    .await
    .expect(201);
    // The attacker starts a request and hands the victim the sign-in link: it is bound to
    // the attacker's browser, so the victim's sees an expired page.
    let attacker = Browser::new(&app);
    let (url, _) = authorize_url(&web, &[]);
    let login = attacker.open_login(&url).await;
    let planted = crate::browser::hidden(&login.body, "request").unwrap();
    let victim = Browser::new(&app);
    let refused = victim
        .get(&format!("/{}/login?request={planted}", web.pool))
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    // The victim signs in from their own request; the attacker learns its reference.
    let victim_login = victim.open_login(&url).await;
    let request = crate::browser::hidden(&victim_login.body, "request").unwrap();
    let step = victim
        .submit(
            &victim_login,
            &[("username", "vic"), ("password", "Temporary-Pass-1")],
        )
        .await;
    assert_eq!(step.status, 303);
    let next = step.location.unwrap();
    // The attacker, holding the same reference, gets no form and cannot post one.
    let stolen = attacker.get(&next).await;
    assert_eq!(stolen.status, 400, "{}", stolen.body);
    let csrf = crate::browser::hidden(&login.body, "csrf_token").unwrap();
    let post = attacker
        .post_form(
            &format!("/{}/new-password", web.pool),
            &[
                ("csrf_token", &csrf),
                ("request", &request),
                ("new_password", "Attacker-pass-1"),
                ("confirm_password", "Attacker-pass-1"),
            ],
        )
        .await;
    assert_eq!(post.status, 400);
    let user = app
        .admin("GET", &format!("/pools/{}/users/vic", web.pool), None)
        .await
        .expect(200);
    assert_eq!(user["status"], "FORCE_CHANGE_PASSWORD");
    // The victim's own browser continues.
    let form = victim.get(&next).await;
    assert_eq!(form.status, 200);
    let done = victim
        .submit(
            &form,
            &[
                ("new_password", "Victim-pass-1"),
                ("confirm_password", "Victim-pass-1"),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
}

async fn codes_die_with_their_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let (url, verifier) = authorize_url(&web, &[]);
    let done = browser.sign_in(&url, "alice", PASSWORD).await;
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    browser.sign_out(&format!("/{}/logout", web.pool)).await;
    redeem(&app, &web, &code, &verifier)
        .await
        .expect_oauth(400, "invalid_grant");
    // And after an admin sign-out.
    let (url, verifier) = authorize_url(&web, &[]);
    let done = browser.sign_in(&url, "alice", PASSWORD).await;
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    app.admin(
        "POST",
        &format!("/pools/{}/users/alice/sign-out", web.pool),
        None,
    )
    .await
    .expect(200);
    redeem(&app, &web, &code, &verifier)
        .await
        .expect_oauth(400, "invalid_grant");
}

async fn userinfo_keeps_to_the_granted_scopes(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let (url, verifier) = authorize_url(&web, &[("scope", "openid")]);
    let done = browser.sign_in(&url, "alice", PASSWORD).await;
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    let tokens = redeem(&app, &web, &code, &verifier).await.expect(200);
    let info = userinfo(&app, &web.pool, tokens["access_token"].as_str().unwrap())
        .await
        .expect(200);
    assert!(
        info.get("email").is_none() && info.get("name").is_none(),
        "{info}"
    );
    assert!(info["sub"].is_string());
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        id["email"], "alice@example.com",
        "the ID token carries the email, as Cognito's"
    );
    // A POSTed form token works too; the body has a limit, answered in OAuth's format.
    let form = app
        .send(
            app.http
                .post(app.url(&format!("/{}/oauth2/userInfo", web.pool)))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!(
                    "access_token={}",
                    tokens["access_token"].as_str().unwrap()
                )),
        )
        .await;
    assert_eq!(form.status, 200);
    let huge = app
        .send(
            app.http
                .post(app.url(&format!("/{}/oauth2/token", web.pool)))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!(
                    "grant_type=refresh_token&refresh_token={}",
                    "x".repeat(100_000)
                )),
        )
        .await;
    huge.expect_oauth(413, "invalid_request");
}

/// The OAuth endpoints keep pools, clients and key documents for a few seconds; an admin
/// change made through this server must still take effect at once.
async fn admin_changes_reach_the_oauth_endpoints_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let m2m = app
        .admin(
            "POST",
            &format!("/pools/{}/clients", web.pool),
            Some(json!({"name": "m2m", "generate_secret": true, "allowed_oauth_flows": ["client_credentials"],
                        "allowed_oauth_scopes": ["https://api.example.com/read"]})),
        )
        .await
        .expect(201);
    let id = m2m["client_id"].as_str().unwrap().to_string();
    let old_secret = m2m["client_secret"].as_str().unwrap().to_string();
    let grant = |secret: String| {
        let (app, pool, id) = (&app, web.pool.clone(), id.clone());
        async move {
            token_request(
                app,
                &pool,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &id),
                    ("client_secret", &secret),
                ],
            )
            .await
        }
    };
    let discovery = format!("/{}/.well-known/openid-configuration", web.pool);
    let jwks = format!("/{}/.well-known/jwks.json", web.pool);
    // Fill the caches.
    grant(old_secret.clone()).await.expect(200);
    let scopes = app.get(&discovery).await.body["scopes_supported"].clone();
    assert!(
        !scopes
            .to_string()
            .contains("https://billing.example.com/pay")
    );
    assert_eq!(
        app.get(&jwks).await.body["keys"].as_array().unwrap().len(),
        1
    );

    // A new resource server's scope is advertised at once.
    app.admin(
        "POST",
        &format!("/pools/{}/resource-servers", web.pool),
        Some(
            json!({"identifier": "https://billing.example.com", "name": "Billing",
                    "scopes": [{"name": "pay", "description": "Pay"}]}),
        ),
    )
    .await
    .expect(201);
    let scopes = app.get(&discovery).await.body["scopes_supported"].clone();
    assert!(
        scopes
            .to_string()
            .contains("https://billing.example.com/pay")
    );

    // A rotated secret replaces the old one at once.
    let rotated = app
        .admin(
            "POST",
            &format!("/pools/{}/clients/{id}/secret", web.pool),
            None,
        )
        .await
        .expect(200);
    let new_secret = rotated["client_secret"].as_str().unwrap().to_string();
    grant(old_secret).await.expect_oauth(401, "invalid_client");
    grant(new_secret.clone()).await.expect(200);

    // A client's new scope can be asked for at once.
    let pay = |secret: String| {
        let (app, pool, id) = (&app, web.pool.clone(), id.clone());
        async move {
            token_request(
                app,
                &pool,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &id),
                    ("client_secret", &secret),
                    ("scope", "https://billing.example.com/pay"),
                ],
            )
            .await
        }
    };
    pay(new_secret.clone())
        .await
        .expect_oauth(400, "invalid_scope");
    app.admin(
        "PATCH",
        &format!("/pools/{}/clients/{id}", web.pool),
        Some(json!({"allowed_oauth_scopes": ["https://api.example.com/read", "https://billing.example.com/pay"]})),
    )
    .await
    .expect(200);
    pay(new_secret.clone()).await.expect(200);

    // A rotated key is published at once.
    app.admin("POST", &format!("/pools/{}/keys/rotate", web.pool), None)
        .await
        .expect(200);
    assert_eq!(
        app.get(&jwks).await.body["keys"].as_array().unwrap().len(),
        2
    );

    // A deleted client stops at once.
    app.admin("DELETE", &format!("/pools/{}/clients/{id}", web.pool), None)
        .await
        .expect(204);
    grant(new_secret).await.expect_oauth(401, "invalid_client");

    // And a deleted pool is gone from discovery at once.
    app.admin("DELETE", &format!("/pools/{}", web.pool), None)
        .await
        .expect(204);
    assert_eq!(app.get(&discovery).await.status, 404);
    assert_eq!(app.get(&jwks).await.status, 404);
}

async fn groups_appear_in_tokens_by_precedence_and_follow_refreshes(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    for (name, precedence) in [
        ("staff", json!(5)),
        ("admins", json!(1)),
        ("beta", json!(null)),
    ] {
        app.admin(
            "POST",
            &format!("/pools/{}/groups", web.pool),
            Some(json!({"name": name, "precedence": precedence})),
        )
        .await
        .expect(201);
        app.admin(
            "PUT",
            &format!("/pools/{}/groups/{name}/members/alice", web.pool),
            None,
        )
        .await;
    }
    let browser = Browser::new(&app);
    let tokens = tokens_for(&app, &web, &browser).await;
    let expected = json!(["admins", "staff", "beta"]);
    for token in ["id_token", "access_token"] {
        assert_eq!(
            claims_of(tokens[token].as_str().unwrap())["cognito:groups"],
            expected
        );
    }
    let refresh = |token: String| {
        let app = &app;
        let web = &web;
        async move {
            token_request(
                app,
                &web.pool,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", token.as_str()),
                    ("client_id", web.client_id.as_str()),
                ],
            )
            .await
            .expect(200)
        }
    };
    let again = refresh(tokens["refresh_token"].as_str().unwrap().to_string()).await;
    for token in ["id_token", "access_token"] {
        assert_eq!(
            claims_of(again[token].as_str().unwrap())["cognito:groups"],
            expected
        );
    }
    // Leaving a group shows at the next refresh; leaving all of them drops the claim.
    app.admin(
        "DELETE",
        &format!("/pools/{}/groups/admins/members/alice", web.pool),
        None,
    )
    .await;
    let third = refresh(again["refresh_token"].as_str().unwrap().to_string()).await;
    assert_eq!(
        claims_of(third["access_token"].as_str().unwrap())["cognito:groups"],
        json!(["staff", "beta"])
    );
    for group in ["staff", "beta"] {
        app.admin(
            "DELETE",
            &format!("/pools/{}/groups/{group}/members/alice", web.pool),
            None,
        )
        .await;
    }
    let fourth = refresh(third["refresh_token"].as_str().unwrap().to_string()).await;
    assert!(
        claims_of(fourth["id_token"].as_str().unwrap())
            .get("cognito:groups")
            .is_none()
    );
}
