//! Attacks on the federation callback: answers that must not sign anyone in, each refused
//! with a page (never a server error) and with no user created or changed. Forged tokens
//! come from `FakeIdp`; the rest from the real upstream Cognate.

use std::time::{Duration, Instant};

use crate::browser::{CALLBACK, Page, authorize_url, query_of};
use crate::helpers::upstream::{FakeIdp, Federation, Knobs, PROVIDER, code_of};
use crate::helpers::{Backend, TestApp, spawn_app, urlencode};
use crate::on_both;

on_both!(
    fake_provider_signs_in_when_honest,
    wrong_nonce_is_refused,
    token_signed_by_another_key_is_refused,
    wrong_issuer_is_refused,
    wrong_audience_is_refused,
    expired_token_is_refused,
    unsigned_token_is_refused,
    token_endpoint_failure_is_refused,
    hanging_token_endpoint_is_refused_in_time,
    forged_state_is_refused,
    state_from_another_browser_is_refused,
    replayed_callback_is_refused,
    callback_with_code_and_error_is_refused,
    upstream_refusal_reaches_the_app,
    huge_code_is_refused_without_a_server_error,
    one_request_cannot_start_many_round_trips,
    refused_addresses_answer_as_unreachable_ones,
);

#[track_caller]
fn refused(page: &Page) {
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.location.is_none(), "{:?}", page.location);
    assert!(page.header("content-type").starts_with("text/html"));
}

/// Runs the fake's flow with `spoil` applied: refused, nothing changed. Then the same flow
/// with honest answers signs in, so it was the spoilt part that failed.
async fn spoilt(backend: Backend, spoil: impl FnOnce(&mut Knobs)) -> Duration {
    let fed = Federation::start(backend).await;
    let fake = FakeIdp::start().await;
    fed.attach(&fake).await;
    let before = fed.users().await;
    fake.set(spoil);
    let browser = fed.browser().with_host(&fake.address);
    let started = Instant::now();
    let page = fed.through_fake(&browser).await;
    let took = started.elapsed();
    refused(&page);
    assert_eq!(fed.users().await, before);
    assert!(browser.cookie("cognate_session").is_none());

    fake.reset();
    let page = fed
        .through_fake(&fed.browser().with_host(&fake.address))
        .await;
    code_of(&page);
    assert_eq!(fed.users().await.len(), before.len() + 1);
    took
}

async fn fake_provider_signs_in_when_honest(backend: Backend) {
    let fed = Federation::start(backend).await;
    let fake = FakeIdp::start().await;
    fed.attach(&fake).await;
    let page = fed
        .through_fake(&fed.browser().with_host(&fake.address))
        .await;
    code_of(&page);
    let asked = fake.last_authorization().expect("the fake was asked");
    assert_eq!(asked["code_challenge_method"], "S256");
    assert!(!asked["nonce"].is_empty());
    assert_eq!(fake.token_requests(), 1);
    let user = fed.user("Fake_fake-user-1").await.expect(200);
    assert_eq!(user["status"], "EXTERNAL_PROVIDER");
    assert_eq!(user["attributes"]["email"], "eve@fake.example");
}

async fn wrong_nonce_is_refused(backend: Backend) {
    spoilt(backend, |k| {
        k.nonce = Some("not-the-nonce-asked-for".into())
    })
    .await;
}

async fn token_signed_by_another_key_is_refused(backend: Backend) {
    spoilt(backend, |k| k.other_key = true).await;
}

async fn wrong_issuer_is_refused(backend: Backend) {
    spoilt(backend, |k| {
        k.iss = Some("https://attacker.example/fake".into())
    })
    .await;
}

async fn wrong_audience_is_refused(backend: Backend) {
    spoilt(backend, |k| k.aud = Some("another-client".into())).await;
}

async fn expired_token_is_refused(backend: Backend) {
    spoilt(backend, |k| k.expired = true).await;
}

async fn unsigned_token_is_refused(backend: Backend) {
    spoilt(backend, |k| k.alg_none = true).await;
}

async fn token_endpoint_failure_is_refused(backend: Backend) {
    spoilt(backend, |k| k.token_status = Some(500)).await;
}

async fn hanging_token_endpoint_is_refused_in_time(backend: Backend) {
    let took = spoilt(backend, |k| k.token_delay = Some(Duration::from_secs(15))).await;
    // The downstream gives up after 10 s, before the fake would have answered.
    assert!(took >= Duration::from_secs(9), "{took:?}");
    assert!(took < Duration::from_secs(14), "{took:?}");
}

/// `url` with its query parameter `name` replaced by `value`, or removed for `None`.
fn with_param(url: &str, name: &str, value: Option<&str>) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != name)
        .collect();
    {
        let mut query = parsed.query_pairs_mut();
        query.clear().extend_pairs(&pairs);
        if let Some(value) = value {
            query.append_pair(name, value);
        }
    }
    parsed.to_string()
}

async fn forged_state_is_refused(backend: Backend) {
    let fed = Federation::start(backend).await;
    let before = fed.users().await;
    let browser = fed.browser();
    let callback = fed.upstream_callback(&browser, &[]).await;
    let state = query_of(&callback)["state"].clone();
    let mut flipped = state.clone().into_bytes();
    flipped[state.len() / 2] = if flipped[state.len() / 2] == b'A' {
        b'B'
    } else {
        b'A'
    };
    for forged in [
        Some(String::from_utf8(flipped).unwrap()),
        Some(format!("forged-{}", uuid::Uuid::new_v4().simple())),
        Some(String::new()),
        None,
    ] {
        let page = browser
            .get(&with_param(&callback, "state", forged.as_deref()))
            .await;
        refused(&page);
    }
    assert_eq!(fed.users().await, before);
}

async fn state_from_another_browser_is_refused(backend: Backend) {
    let fed = Federation::start(backend).await;
    let before = fed.users().await;
    let victim = fed.browser();
    let callback = fed.upstream_callback(&victim, &[]).await;
    // The attacker's browser has a federated sign-in of its own under way.
    let attacker = fed.browser();
    let (url, _) = authorize_url(&fed.web, &[("identity_provider", PROVIDER)]);
    assert_eq!(attacker.get(&url).await.status, 302);
    refused(&attacker.get(&callback).await);
    assert_eq!(fed.users().await, before);
    assert!(attacker.cookie("cognate_session").is_none());
}

async fn replayed_callback_is_refused(backend: Backend) {
    let fed = Federation::start(backend).await;
    let browser = fed.browser();
    let callback = fed.upstream_callback(&browser, &[]).await;
    code_of(&browser.get(&callback).await);
    let after_first = fed.users().await;
    refused(&browser.get(&callback).await);
    refused(&fed.browser().get(&callback).await);
    assert_eq!(fed.users().await, after_first);
}

async fn callback_with_code_and_error_is_refused(backend: Backend) {
    let fed = Federation::start(backend).await;
    let before = fed.users().await;
    let browser = fed.browser();
    let callback = fed.upstream_callback(&browser, &[]).await;
    let both = with_param(&callback, "error", Some("access_denied"));
    refused(&browser.get(&both).await);
    assert_eq!(fed.users().await, before);
}

async fn upstream_refusal_reaches_the_app(backend: Backend) {
    let fed = Federation::start(backend).await;
    let before = fed.users().await;
    let browser = fed.browser();
    let callback = fed.upstream_callback(&browser, &[]).await;
    let denied = with_param(&callback, "code", None);
    let denied = with_param(&denied, "error", Some("access_denied"));
    let page = browser.get(&denied).await;
    assert!(matches!(page.status, 302 | 303), "{}", page.body);
    let location = page.location.unwrap();
    assert!(location.starts_with(CALLBACK), "{location}");
    let q = query_of(&location);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-123");
    assert!(!q.contains_key("code"));
    assert_eq!(fed.users().await, before);
}

/// The status line of a raw `GET target`, read while the request is still being written:
/// the server may answer and close before it has read a huge request.
fn raw_status(port: u16, target: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut reader = stream.try_clone().ok()?;
    let read = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = reader.read_to_end(&mut out);
        out
    });
    let request =
        format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(request.as_bytes());
    let out = read.join().ok()?;
    let head = String::from_utf8_lossy(&out[..out.len().min(64)]).into_owned();
    head.split(' ').nth(1)?.parse().ok()
}

async fn huge_code_is_refused_without_a_server_error(backend: Backend) {
    let fed = Federation::start(backend).await;
    let before = fed.users().await;
    let callback = fed.upstream_callback(&fed.browser(), &[]).await;
    let state = query_of(&callback)["state"].clone();
    let target = format!(
        "/{}/oauth2/idpresponse?code={}&state={}",
        fed.web.pool,
        "c".repeat(1 << 20),
        urlencode(&state)
    );
    let port = fed.down.port;
    let status = tokio::task::spawn_blocking(move || raw_status(port, &target))
        .await
        .unwrap();
    assert!(
        status.is_some_and(|s| (400..500).contains(&s)),
        "{status:?}"
    );
    assert_eq!(fed.users().await, before);
}

/// Each "Continue with" stores a pending round trip: one authorization request may have a
/// few at once, not as many as a script can post.
async fn one_request_cannot_start_many_round_trips(backend: Backend) {
    let fed = Federation::start(backend).await;
    let browser = fed.browser();
    let (url, _) = authorize_url(&fed.web, &[]);
    let login = browser.open_login(&url).await;
    for _ in 0..5 {
        let page = browser
            .submit_containing(&login, &format!(r#"value="{PROVIDER}""#), &[])
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
    }
    let page = browser
        .submit_containing(&login, &format!(r#"value="{PROVIDER}""#), &[])
        .await;
    assert_eq!(page.status, 429, "{}", page.body);
}

/// Issuers that name a link-local address or this machine in another spelling are judged by
/// the address, and answer exactly as an issuer nobody answers at: the admin API tells an
/// open port from a closed or a filtered one no better than by chance.
async fn refused_addresses_answer_as_unreachable_ones(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("addresses", serde_json::json!({})).await;
    let path = format!("/pools/{pool}/identity-providers");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = discovery_failure(&app, &path, &format!("http://127.0.0.1:{closed}")).await;
    for issuer in [
        "https://[::ffff:169.254.169.254]",
        "https://[::ffff:a9fe:a9fe]",
        "https://169.254.169.254",
        "https://[fe80::1]",
        "https://0.0.0.0",
        // This machine in other spellings: a local issuer, nobody listening.
        "https://localhost.",
        "https://[::ffff:127.0.0.1]",
        &format!("http://localhost.:{closed}"),
        &format!("http://[::ffff:127.0.0.1]:{closed}"),
    ] {
        assert_eq!(
            discovery_failure(&app, &path, issuer).await,
            unreachable,
            "{issuer}"
        );
    }
}

/// Why creating a provider at `issuer` failed: the reason after the URL the admin gave.
async fn discovery_failure(app: &TestApp, path: &str, issuer: &str) -> String {
    let started = Instant::now();
    let answer = app
        .admin(
            "POST",
            path,
            Some(serde_json::json!({"name": "Probe", "type": "OIDC",
                  "details": {"issuer": issuer, "client_id": "c", "client_secret": "s"}})),
        )
        .await;
    answer.expect_error(422, "validation_failed");
    // Refused before any connection: no connect timeout waited out.
    assert!(started.elapsed() < Duration::from_secs(4), "{issuer}");
    let message = answer.message().to_string();
    assert!(message.contains("discovery failed"), "{issuer}: {message}");
    let (_, reason) = message
        .rsplit_once(" failed: ")
        .unwrap_or_else(|| panic!("{issuer}: {message}"));
    reason.to_string()
}
