//! Regression tests for the security-hardening issue on the OAuth side: parameter caps and
//! pending requests per address, slow request bodies, refresh tokens that outlive a
//! client's permissions or narrow for good, RP-Initiated Logout, response modes and
//! request objects.

use std::process::{Command, Stdio};
use std::time::Duration;

use openidconnect::core::CoreIdToken;
use openidconnect::{
    ClientId, CsrfToken, IssuerUrl, LogoutRequest, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::browser::{
    Browser, CALLBACK, WebApp, authorize_url, claims_of, hidden, query_of, redeem, token_request,
    web_app,
};
use crate::helpers::{ADMIN_KEY, Backend, PASSWORD, TestApp, TestDatabase, spawn_app, spawn_on};
use crate::on_both;

on_both!(
    authorize_caps_parameters_and_pending_requests_per_address,
    slow_bodies_time_out_and_health_keeps_answering,
    refresh_follows_the_clients_current_permissions,
    refresh_narrows_the_access_token_only,
    a_code_redeemed_after_a_scope_was_removed_lacks_it,
    logout_with_an_id_token_hint_from_an_oidc_library,
    logout_without_proof_asks_first,
    hostile_logout_requests_never_redirect,
    response_modes_fragment_and_form_post,
    request_objects_are_refused_as_discovery_says,
);

const BYE: &str = "http://localhost:3000/bye";

fn http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs alice in with `extra` authorize parameters; returns the answer and the verifier.
async fn signed_in(
    browser: &Browser,
    web: &WebApp,
    extra: &[(&str, &str)],
) -> (crate::browser::Page, String) {
    let (url, verifier) = authorize_url(web, extra);
    (browser.sign_in(&url, "alice", PASSWORD).await, verifier)
}

/// Tokens for alice through `browser`, for `scope`.
async fn tokens(app: &TestApp, web: &WebApp, browser: &Browser, scope: &str) -> serde_json::Value {
    let (done, verifier) = signed_in(browser, web, &[("scope", scope), ("prompt", "login")]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    redeem(app, web, &code, &verifier).await.expect(200)
}

async fn refresh(
    app: &TestApp,
    web: &WebApp,
    token: &str,
    scope: Option<&str>,
) -> crate::helpers::Answer {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", web.client_id.as_str()),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    token_request(app, &web.pool, &form).await
}

/// Whether `browser` still has a live session: authorize without a form.
async fn has_session(browser: &Browser, web: &WebApp) -> bool {
    let (url, _) = authorize_url(web, &[]);
    let answer = browser.get(&url).await;
    answer.status == 302
        && answer
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with(CALLBACK) && l.contains("code="))
}

// ---------------------------------------------------------------------------------------------
// Finding 5: unauthenticated disk growth
// ---------------------------------------------------------------------------------------------

async fn authorize_caps_parameters_and_pending_requests_per_address(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let long = |n: usize| "x".repeat(n);
    for (name, len) in [("state", 1025), ("nonce", 1025), ("login_hint", 257)] {
        let value = long(len);
        let (url, _) = authorize_url(&web, &[(name, &value)]);
        let answer = browser.get(&url).await;
        assert_eq!(answer.status, 302, "{name}: {}", answer.body);
        let q = query_of(answer.location.as_deref().unwrap());
        assert_eq!(q["error"], "invalid_request", "{name}");
        assert!(q["error_description"].contains(name));
        assert!(
            !q.contains_key("state") || name != "state",
            "an oversized state is not echoed"
        );
    }
    for (name, len) in [("state", 1024), ("nonce", 1024), ("login_hint", 256)] {
        let value = long(len);
        let (url, _) = authorize_url(&web, &[(name, &value)]);
        assert_eq!(browser.get(&url).await.status, 303, "{name} at its cap");
    }
    // Three made above; 97 more reach the cap of 100 live requests for this address.
    for _ in 0..97 {
        let (url, _) = authorize_url(&web, &[]);
        assert_eq!(browser.get(&url).await.status, 303);
    }
    let (url, _) = authorize_url(&web, &[]);
    let refused = browser.get(&url).await;
    assert_eq!(refused.status, 302);
    let q = query_of(refused.location.as_deref().unwrap());
    assert_eq!(q["error"], "temporarily_unavailable");
    assert_eq!(q["state"], "st-123");
    // Another address is not affected; finishing a sign-in frees a place.
    let other = spawn_on(app.db.clone(), &[("trusted_proxies", "127.0.0.1")], None).await;
    let elsewhere = Browser::from_address(&other, "198.51.100.7");
    assert_eq!(elsewhere.get(&url).await.status, 303);
    let rows: i64 = {
        use sqlx::Connection;
        let sql = "SELECT COUNT(*) FROM auth_requests WHERE client_address = '127.0.0.1'";
        if app.db.url.starts_with("sqlite:") {
            let mut c = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
        } else {
            let mut c = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
        }
    };
    assert_eq!(rows, 100, "pending rows stored for one address");
}

// ---------------------------------------------------------------------------------------------
// Finding 7: slow request bodies
// ---------------------------------------------------------------------------------------------

/// Opens `n` connections that each send a request head promising 60 KB and one byte of it.
async fn slow_posts(port: u16, path: &str, n: usize) -> Vec<tokio::net::TcpStream> {
    let mut out = Vec::new();
    for _ in 0..n {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\na"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        out.push(stream);
    }
    out
}

/// The status each slow connection was answered with before it was closed.
async fn answers_of(streams: Vec<tokio::net::TcpStream>) -> Vec<u16> {
    let mut statuses = Vec::new();
    for mut stream in streams {
        let mut buf = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buf)).await;
        assert!(
            read.is_ok(),
            "a slow connection was never answered and closed"
        );
        let text = String::from_utf8_lossy(&buf);
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        statuses.push(status);
    }
    statuses
}

async fn slow_bodies_time_out_and_health_keeps_answering(backend: Backend) {
    let db = std::sync::Arc::new(TestDatabase::new(backend).await);
    let app = spawn_on(
        db,
        &[
            ("request_body_timeout_secs", "1"),
            ("max_connections_per_address", "8"),
        ],
        None,
    )
    .await;
    let web = web_app(&app, false).await;
    let slow = slow_posts(app.port, &format!("/{}/login", web.pool), 30).await;
    // Health checks are answered whatever the address holds.
    let health = tokio::time::timeout(Duration::from_secs(5), app.get("/health/live")).await;
    assert_eq!(health.expect("health answers").status, 200);
    let statuses = answers_of(slow).await;
    let timed_out = statuses.iter().filter(|s| **s == 408).count();
    let refused = statuses.iter().filter(|s| **s == 503).count();
    assert_eq!(timed_out + refused, 30, "{statuses:?}");
    assert!((1..=8).contains(&timed_out), "{statuses:?}");
    // The address is free again.
    assert_eq!(app.get("/health/ready").await.status, 200);
    assert_eq!(
        app.get(&format!("/{}/.well-known/jwks.json", web.pool))
            .await
            .status,
        200
    );
}

/// The release-shaped case: the binary with 256 file descriptors and 300 slow clients.
#[test]
fn three_hundred_slow_clients_cannot_starve_a_256_descriptor_process() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new("prlimit")
        .arg("--nofile=256:256")
        .arg(env!("CARGO_BIN_EXE_cognate"))
        .env_clear()
        .env("COGNATE_DATA_DIR", dir.path())
        .env("COGNATE_LISTEN", "127.0.0.1:0")
        .env("COGNATE_ADMIN_KEY", ADMIN_KEY)
        .env("COGNATE_LOG_FORMAT", "json")
        .env("COGNATE_PASSWORD_HASH_MEMORY_KIB", "64")
        .env("COGNATE_PASSWORD_HASH_ITERATIONS", "1")
        .env("COGNATE_REQUEST_BODY_TIMEOUT_SECS", "3")
        .stderr(Stdio::piped())
        .spawn()
        .expect("prlimit and the binary run");
    let stderr = child.stderr.take().unwrap();
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            if line.contains("cognate is ready")
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
            {
                let port = v["fields"]["port"].as_u64().or(v["port"].as_u64());
                let _ = port_tx.send(port.unwrap_or(0) as u16);
            }
        }
    });
    let port = port_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("ready");
    assert!(port > 0);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let outcome = runtime.block_on(async {
        let slow = slow_posts(port, "/admin/v1/pools", 300).await;
        let client = openidconnect::reqwest::Client::new();
        let health = tokio::time::timeout(
            Duration::from_secs(5),
            client
                .get(format!("http://127.0.0.1:{port}/health/live"))
                .send(),
        )
        .await;
        let health_ok = matches!(&health, Ok(Ok(r)) if r.status().as_u16() == 200);
        let statuses = answers_of(slow).await;
        (health_ok, statuses)
    });
    let _ = child.kill();
    let _ = child.wait();
    let (health_ok, statuses) = outcome;
    assert!(health_ok, "/health/live did not answer within 5 s");
    assert!(
        statuses.iter().all(|s| *s == 408 || *s == 503),
        "{statuses:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Findings 8 and 11: refresh tokens
// ---------------------------------------------------------------------------------------------

const API_SCOPE: &str = "https://api.example.com/read";

async fn refresh_follows_the_clients_current_permissions(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let first = tokens(&app, &web, &browser, &format!("openid email {API_SCOPE}")).await;
    assert!(
        claims_of(first["access_token"].as_str().unwrap())["scope"]
            .as_str()
            .unwrap()
            .contains(API_SCOPE)
    );
    // The client loses the API scope: refreshing no longer grants it.
    app.admin(
        "PATCH",
        &format!("/pools/{}/clients/{}", web.pool, web.client_id),
        Some(json!({"allowed_oauth_scopes": ["openid", "email", "profile"]})),
    )
    .await
    .expect(200);
    let second = refresh(&app, &web, first["refresh_token"].as_str().unwrap(), None)
        .await
        .expect(200);
    let scope = claims_of(second["access_token"].as_str().unwrap())["scope"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(scope, "openid email");
    assert_eq!(second["scope"], "openid email");
    // Asking for it back is refused.
    refresh(
        &app,
        &web,
        second["refresh_token"].as_str().unwrap(),
        Some(API_SCOPE),
    )
    .await
    .expect_oauth(400, "invalid_scope");
    // The client loses the code flow: no more refreshes.
    app.admin(
        "PATCH",
        &format!("/pools/{}/clients/{}", web.pool, web.client_id),
        Some(json!({"allowed_oauth_flows": []})),
    )
    .await
    .expect(200);
    refresh(&app, &web, second["refresh_token"].as_str().unwrap(), None)
        .await
        .expect_oauth(400, "unauthorized_client");
}

async fn refresh_narrows_the_access_token_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let full = format!("openid email {API_SCOPE}");
    let first = tokens(&app, &web, &browser, &full).await;
    assert_eq!(first["scope"], full.as_str());
    let narrow = refresh(
        &app,
        &web,
        first["refresh_token"].as_str().unwrap(),
        Some("openid"),
    )
    .await
    .expect(200);
    assert_eq!(
        narrow["scope"], "openid",
        "RFC 6749 §5.1: the scope when it differs"
    );
    assert_eq!(
        claims_of(narrow["access_token"].as_str().unwrap())["scope"],
        "openid"
    );
    // RFC 6749 §6: the new refresh token keeps the original scope.
    let again = refresh(&app, &web, narrow["refresh_token"].as_str().unwrap(), None)
        .await
        .expect(200);
    assert_eq!(again["scope"], full.as_str());
    assert_eq!(
        claims_of(again["access_token"].as_str().unwrap())["scope"],
        full.as_str()
    );
}

// ---------------------------------------------------------------------------------------------
// Finding 16: RP-Initiated Logout
// ---------------------------------------------------------------------------------------------

async fn logout_with_an_id_token_hint_from_an_oidc_library(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let tokens = tokens(&app, &web, &browser, "openid email").await;
    let metadata = ProviderMetadataWithLogout::discover_async(
        IssuerUrl::new(web.issuer.clone()).unwrap(),
        &http(),
    )
    .await
    .expect("discovery");
    let end_session = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()
        .expect("end_session_endpoint");
    let id_token: CoreIdToken = tokens["id_token"].as_str().unwrap().parse().unwrap();
    let url = LogoutRequest::from(end_session)
        .set_id_token_hint(&id_token)
        .set_client_id(ClientId::new(web.client_id.clone()))
        .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(BYE.into()).unwrap())
        .set_state(CsrfToken::new("bye-state".into()))
        .http_get_url();
    assert!(has_session(&browser, &web).await);
    let bye = browser.get(url.as_str()).await;
    assert_eq!(bye.status, 302, "{}", bye.body);
    assert_eq!(
        bye.location.as_deref(),
        Some("http://localhost:3000/bye?state=bye-state")
    );
    assert!(!has_session(&browser, &web).await, "the session ended");
    // Without client_id the hint's audience names the client; an expired hint still does.
    let browser = Browser::new(&app);
    let tokens = crate::browser::tokens_for(&app, &web, &browser).await;
    let url = format!(
        "/{}/logout?id_token_hint={}&post_logout_redirect_uri={}",
        web.pool,
        tokens["id_token"].as_str().unwrap(),
        crate::helpers::urlencode(BYE)
    );
    let bye = browser.get(&url).await;
    assert_eq!(bye.location.as_deref(), Some(BYE));
}

async fn logout_without_proof_asks_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    crate::browser::tokens_for(&app, &web, &browser).await;
    // A link from anywhere: a question, and the session lives on.
    let link = format!(
        "/{}/logout?client_id={}&logout_uri={}&state=s1",
        web.pool,
        web.client_id,
        crate::helpers::urlencode(BYE)
    );
    let asked = browser.get(&link).await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("Sign out?"), "{}", asked.body);
    assert!(has_session(&browser, &web).await);
    // A cross-site form post without the page's token: asked again, not signed out.
    let forged = browser
        .post_form(
            &format!("/{}/logout", web.pool),
            &[("client_id", web.client_id.as_str()), ("logout_uri", BYE)],
        )
        .await;
    assert!(forged.body.contains("Sign out?"));
    assert!(has_session(&browser, &web).await);
    // Another user's valid hint proves nothing about this session.
    app.create_user(&web.pool, "bob").await;
    let bob = Browser::new(&app);
    let (url, verifier) = authorize_url(&web, &[]);
    let done = bob.sign_in(&url, "bob", PASSWORD).await;
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    let bobs = redeem(&app, &web, &code, &verifier).await.expect(200);
    let with_bobs = browser
        .get(&format!(
            "{link}&id_token_hint={}",
            bobs["id_token"].as_str().unwrap()
        ))
        .await;
    assert!(with_bobs.body.contains("Sign out?"));
    assert!(has_session(&browser, &web).await);
    // The person says yes.
    let bye = browser.submit(&asked, &[]).await;
    assert_eq!(bye.status, 302, "{}", bye.body);
    assert_eq!(
        bye.location.as_deref(),
        Some("http://localhost:3000/bye?state=s1")
    );
    assert!(!has_session(&browser, &web).await);
    // No session: nothing to end, straight to the logout URL.
    let again = browser.get(&link).await;
    assert_eq!(again.status, 302);
}

async fn hostile_logout_requests_never_redirect(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    // Another client of the same pool, and a pool of another deployment.
    let other_client = app
        .admin(
            "POST",
            &format!("/pools/{}/clients", web.pool),
            Some(json!({"name": "other", "callback_urls": [CALLBACK],
                        "logout_urls": [BYE], "allowed_oauth_flows": ["code"],
                        "allowed_oauth_scopes": ["openid"]})),
        )
        .await
        .expect(201)["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let elsewhere = spawn_app(backend).await;
    let other = web_app(&elsewhere, false).await;
    let browser = Browser::new(&app);
    let tokens = crate::browser::tokens_for(&app, &web, &browser).await;
    let id_token = tokens["id_token"].as_str().unwrap().to_string();
    let mut forged = id_token.clone();
    forged.pop();
    forged.push(if id_token.ends_with('A') { 'B' } else { 'A' });
    let bye = crate::helpers::urlencode(BYE);
    let foreign = {
        let b = Browser::new(&elsewhere);
        crate::browser::tokens_for(&elsewhere, &other, &b).await["id_token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let cases = [
        (
            "a forged hint",
            format!("id_token_hint={forged}&post_logout_redirect_uri={bye}"),
        ),
        (
            "a hint from another pool",
            format!("id_token_hint={foreign}&post_logout_redirect_uri={bye}"),
        ),
        (
            "a client_id that is not the hint's audience",
            format!(
                "id_token_hint={id_token}&client_id={other_client}&post_logout_redirect_uri={bye}"
            ),
        ),
        (
            "an unregistered post_logout_redirect_uri",
            format!(
                "id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Fattacker.example%2F"
            ),
        ),
        (
            "two different redirect parameters",
            format!(
                "client_id={}&logout_uri={bye}&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fother",
                web.client_id
            ),
        ),
        (
            "a redirect without a client",
            format!("post_logout_redirect_uri={bye}"),
        ),
    ];
    for (what, query) in cases {
        let page = browser.get(&format!("/{}/logout?{query}", web.pool)).await;
        assert_eq!(page.status, 400, "{what}: {}", page.body);
        assert!(page.location.is_none(), "{what}");
        assert!(
            has_session(&browser, &web).await,
            "{what} ended the session"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 17: response_mode, request and request_uri
// ---------------------------------------------------------------------------------------------

async fn response_modes_fragment_and_form_post(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    // Fragment: the answer is all of the fragment.
    let browser = Browser::new(&app);
    let (done, verifier) = signed_in(&browser, &web, &[("response_mode", "fragment")]).await;
    let location = done.location.clone().unwrap();
    let (base, fragment) = location.split_once('#').expect("a fragment");
    assert_eq!(base, CALLBACK);
    let params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(fragment.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(params["state"], "st-123");
    assert_eq!(params["iss"], web.issuer);
    redeem(&app, &web, &params["code"], &verifier)
        .await
        .expect(200);
    // Errors too, e.g. prompt=none without a session.
    let stranger = Browser::new(&app);
    let (url, _) = authorize_url(&web, &[("response_mode", "fragment"), ("prompt", "none")]);
    let answer = stranger.get(&url).await;
    let location = answer.location.unwrap();
    assert!(
        location.starts_with(&format!("{CALLBACK}#error=login_required")),
        "{location}"
    );
    // An unknown mode is an error in the default mode.
    let (url, _) = authorize_url(&web, &[("response_mode", "web_message")]);
    let answer = stranger.get(&url).await;
    assert_eq!(
        query_of(answer.location.as_deref().unwrap())["error"],
        "invalid_request"
    );

    // Form post: a page that posts the answer, and works without JavaScript.
    let browser = Browser::new(&app);
    let (page, verifier) = signed_in(&browser, &web, &[("response_mode", "form_post")]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains(&format!("action=\"{}\"", CALLBACK.replace('/', "&#x2f;")))
            || page.body.contains(&format!("action=\"{CALLBACK}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains("method=\"post\""));
    assert!(page.body.contains("<noscript><button type=\"submit\">"));
    assert!(page.body.contains("/static/form-post.js"));
    let csp = page.header("content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("form-action http://localhost:3000"),
        "{csp}"
    );
    assert_eq!(hidden(&page.body, "state").as_deref(), Some("st-123"));
    assert_eq!(
        hidden(&page.body, "iss").as_deref(),
        Some(web.issuer.as_str())
    );
    let code = hidden(&page.body, "code").unwrap();
    redeem(&app, &web, &code, &verifier).await.expect(200);
    // Single sign-on answers the same way.
    let (url, _) = authorize_url(&web, &[("response_mode", "form_post")]);
    let sso = browser.get(&url).await;
    assert_eq!(sso.status, 200);
    assert!(hidden(&sso.body, "code").is_some());
    let script = app.get("/static/form-post.js").await;
    assert_eq!(script.status, 200);
    assert!(script.text.contains("submit()"));
}

async fn request_objects_are_refused_as_discovery_says(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    for (name, error) in [
        ("request", "request_not_supported"),
        ("request_uri", "request_uri_not_supported"),
    ] {
        let (url, _) = authorize_url(&web, &[(name, "eyJhbGciOiJub25lIn0.e30.")]);
        let answer = browser.get(&url).await;
        assert_eq!(answer.status, 302, "{name}");
        let q = query_of(answer.location.as_deref().unwrap());
        assert_eq!(q["error"], error);
        assert_eq!(q["state"], "st-123");
    }
    let discovery = app
        .get(&format!("/{}/.well-known/openid-configuration", web.pool))
        .await
        .expect(200);
    assert_eq!(discovery["request_parameter_supported"], false);
    assert_eq!(discovery["request_uri_parameter_supported"], false);
    assert_eq!(
        discovery["response_modes_supported"],
        json!(["query", "fragment", "form_post"])
    );
}

async fn a_code_redeemed_after_a_scope_was_removed_lacks_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let (done, verifier) = signed_in(
        &browser,
        &web,
        &[("scope", &format!("openid email {API_SCOPE}"))],
    )
    .await;
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    app.admin(
        "PATCH",
        &format!("/pools/{}/clients/{}", web.pool, web.client_id),
        Some(json!({"allowed_oauth_scopes": ["openid", "email", "profile"]})),
    )
    .await
    .expect(200);
    let tokens = redeem(&app, &web, &code, &verifier).await.expect(200);
    assert_eq!(tokens["scope"], "openid email");
    assert_eq!(
        claims_of(tokens["access_token"].as_str().unwrap())["scope"],
        "openid email"
    );
}
