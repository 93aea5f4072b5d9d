//! Federation as a user meets it at the edges: which sessions a client takes, a provider
//! named on top of a session, linked users and pool MFA, what `prompt`/`max_age` ask of the
//! provider, forged `azp`/`iat`/`iss`, provider changes under links, federated users in the
//! Cognito API, provider names, and sign-ups with a federated user's address.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::browser::{Browser, CALLBACK, Page, authorize_url, claims_of, redeem};
use crate::federation::password_sign_in;
use crate::helpers::cognito::{expect_exception, raw};
use crate::helpers::upstream::{FakeIdp, Federation, Knobs, PROVIDER, code_of};
use crate::helpers::{Backend, PASSWORD, TestApp};
use crate::on_both;
use crate::signup::{CONFIRMED, confirm, outbox, signed_up};
use crate::smtp::{Message, code_in};

on_both!(
    password_session_is_not_offered_to_a_provider_only_client,
    identity_provider_parameter_overrides_a_password_session,
    linked_local_user_owes_the_pool_mfa,
    linked_sign_in_through_mfa_keeps_its_provider,
    prompt_and_max_age_reach_the_provider_and_need_auth_time,
    azp_naming_another_client_is_refused,
    iat_in_the_future_is_refused,
    callback_naming_another_issuer_is_refused,
    subject_claim_cannot_change_under_links,
    federated_user_has_no_password_in_the_cognito_api,
    provider_names_with_underscore_are_refused,
    federated_email_does_not_block_a_sign_up,
);

#[track_caller]
fn refused(page: &Page) {
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.location.is_none(), "{:?}", page.location);
    assert!(page.header("content-type").starts_with("text/html"));
}

/// What authorize at `web` answers this browser without a prompt: `Some(code)` from a
/// session, `None` for the login page (which must then open).
pub(crate) async fn session_code(
    browser: &Browser,
    web: &crate::browser::WebApp,
) -> Option<String> {
    let (url, _) = authorize_url(web, &[]);
    let page = browser.get(&url).await;
    match page.status {
        302 => Some(code_of(&page)),
        303 => {
            let location = page.location.as_deref().unwrap();
            assert!(location.contains("/login?request="), "{location}");
            None
        }
        other => panic!("authorize answered {other}: {}", page.body),
    }
}

async fn password_session_is_not_offered_to_a_provider_only_client(backend: Backend) {
    let fed = Federation::start(backend).await;
    let corp_only = fed.add_client(Some(&[PROVIDER])).await;
    let cognito_only = fed.add_client(None).await;

    let browser = fed.browser();
    let done = password_sign_in(&fed, &browser, "alice", PASSWORD).await;
    code_of(&done);
    assert!(session_code(&browser, &fed.web).await.is_some());
    assert_eq!(session_code(&browser, &corp_only).await, None);
    let (url, _) = authorize_url(&corp_only, &[]);
    let login = browser.open_login(&url).await;
    assert!(!login.body.contains(r#"name="password""#), "{}", login.body);
    assert!(
        login.body.contains(&format!("Continue with {PROVIDER}")),
        "{}",
        login.body
    );

    let federated = fed.browser();
    let (done, _) = fed.sign_in_upstream(&federated, &[]).await;
    code_of(&done);
    assert!(session_code(&federated, &corp_only).await.is_some());
    assert_eq!(session_code(&federated, &cognito_only).await, None);
}

async fn identity_provider_parameter_overrides_a_password_session(backend: Backend) {
    let fed = Federation::start(backend).await;
    let browser = fed.browser();
    code_of(&password_sign_in(&fed, &browser, "alice", PASSWORD).await);

    let (url, verifier) = authorize_url(&fed.web, &[("identity_provider", PROVIDER)]);
    let page = browser.get(&url).await;
    assert_eq!(page.status, 302, "{}", page.body);
    let location = page.location.clone().unwrap();
    assert!(
        location.starts_with(&format!("{}/oauth2/authorize?", fed.up_issuer)),
        "a code from alice's session instead of the provider: {location}"
    );
    let done = fed.walk(&browser, page, "carol", false).await;
    let tokens = redeem(&fed.down, &fed.web, &code_of(&done), &verifier)
        .await
        .expect(200);
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["cognito:username"], fed.username());
}

async fn linked_local_user_owes_the_pool_mfa(backend: Backend) {
    let fed = Federation::builder(backend)
        .pool(json!({"mfa_configuration": "ON"}))
        .start()
        .await;
    fed.down
        .admin(
            "POST",
            &format!("/pools/{}/users/alice/linked-identities", fed.web.pool),
            Some(json!({"provider_name": PROVIDER, "provider_subject": fed.carol_sub})),
        )
        .await
        .expect(204);
    let browser = fed.browser();
    let callback = fed.upstream_callback(&browser, &[]).await;
    let page = browser.get(&callback).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location.clone().unwrap();
    let setup = format!("/{}/mfa/setup?", fed.web.pool);
    let step = format!("/{}/mfa?", fed.web.pool);
    assert!(
        location.contains(&setup) || location.contains(&step),
        "the linked user skipped the pool's MFA: {location}"
    );
    assert!(!location.starts_with(CALLBACK));
    let next = browser.follow(page, 1).await;
    assert_eq!(next.status, 200, "{}", next.body);
    assert_eq!(fed.user(&fed.username()).await.status, 404);
}

async fn linked_sign_in_through_mfa_keeps_its_provider(backend: Backend) {
    let fed = Federation::builder(backend)
        .pool(json!({"mfa_configuration": "ON", "mfa_factors": ["SOFTWARE_TOKEN_MFA"]}))
        .start()
        .await;
    fed.down
        .admin(
            "POST",
            &format!("/pools/{}/users/alice/linked-identities", fed.web.pool),
            Some(json!({"provider_name": PROVIDER, "provider_subject": fed.carol_sub})),
        )
        .await
        .expect(204);
    let corp_only = fed.add_client(Some(&[PROVIDER])).await;
    let cognito_only = fed.add_client(None).await;
    let browser = fed.browser();
    let callback = fed.upstream_callback(&browser, &[]).await;
    let answer = browser.get(&callback).await;
    let setup = crate::mfa::follow(&browser, &answer, "/mfa/setup?").await;
    let totp = crate::mfa::totp_on(&setup);
    let now = chrono::Utc::now().timestamp() as u64;
    let done = browser
        .submit(&setup, &[("code", &totp.generate(now).to_string())])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(browser.cookie("cognate_session").is_some());
    // Signed in through Corp (then the pool's second factor): a session of Corp's.
    let taken_by = (
        session_code(&browser, &corp_only).await.is_some(),
        session_code(&browser, &cognito_only).await.is_some(),
    );
    assert_eq!(
        taken_by,
        (true, false),
        "(Corp-only client takes it, COGNITO-only client takes it) for a session signed in \
         through Corp and the pool's MFA"
    );
}

/// A downstream pool with the fake provider "Fake" attached.
async fn with_fake(backend: Backend) -> (Federation, FakeIdp) {
    let fed = Federation::start(backend).await;
    let fake = FakeIdp::start().await;
    fed.attach(&fake).await;
    (fed, fake)
}

/// Authorize with `identity_provider=Fake` and `extra` → the fake → idpresponse; the last
/// downstream answer and the PKCE verifier.
async fn via_fake(fed: &Federation, fake: &FakeIdp, extra: &[(&str, &str)]) -> (Page, String) {
    let browser = fed.browser().with_host(&fake.address);
    let mut params = vec![("identity_provider", "Fake")];
    params.extend_from_slice(extra);
    let (url, verifier) = authorize_url(&fed.web, &params);
    let first = browser.get(&url).await;
    (browser.follow(first, 5).await, verifier)
}

async fn prompt_and_max_age_reach_the_provider_and_need_auth_time(backend: Backend) {
    let (fed, fake) = with_fake(backend).await;
    let before = fed.users().await;
    let asked = [("prompt", "login"), ("max_age", "60")];
    fake.set(|k| k.without = vec!["auth_time"]);
    let (page, _) = via_fake(&fed, &fake, &asked).await;
    let query = fake.last_authorization().expect("the fake was asked");
    assert_eq!(query.get("prompt").map(String::as_str), Some("login"));
    assert_eq!(query.get("max_age").map(String::as_str), Some("60"));
    refused(&page);
    assert_eq!(fed.users().await, before, "no user without auth_time");

    fake.reset();
    let signed_in_at = chrono::Utc::now().timestamp() - 30;
    fake.set(|k| k.claims["auth_time"] = json!(signed_in_at));
    let (page, verifier) = via_fake(&fed, &fake, &asked).await;
    let tokens = redeem(&fed.down, &fed.web, &code_of(&page), &verifier)
        .await
        .expect(200);
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["cognito:username"], "Fake_fake-user-1");
    assert_eq!(
        id["auth_time"],
        json!(signed_in_at),
        "the upstream's auth_time"
    );
}

/// The fake spoilt by `spoil` signs nobody in; honest again, it does.
async fn spoilt_fake(backend: Backend, spoil: impl FnOnce(&mut Knobs)) {
    let (fed, fake) = with_fake(backend).await;
    let before = fed.users().await;
    fake.set(spoil);
    let (page, _) = via_fake(&fed, &fake, &[]).await;
    refused(&page);
    assert_eq!(fed.users().await, before);
    fake.reset();
    code_of(&via_fake(&fed, &fake, &[]).await.0);
    assert_eq!(fed.users().await.len(), before.len() + 1);
}

async fn azp_naming_another_client_is_refused(backend: Backend) {
    spoilt_fake(backend, |k| k.claims["azp"] = json!("another-client")).await;
}

async fn iat_in_the_future_is_refused(backend: Backend) {
    let iat = chrono::Utc::now().timestamp() + 600;
    spoilt_fake(backend, |k| k.claims["iat"] = json!(iat)).await;
}

async fn callback_naming_another_issuer_is_refused(backend: Backend) {
    let fed = Federation::start(backend).await;
    let before = fed.users().await;
    let browser = fed.browser();
    let callback = fed.upstream_callback(&browser, &[]).await;
    // The upstream names itself already (RFC 9207); a second `iss` would only make the
    // query unreadable, so the forged one replaces it.
    let mut url = url::Url::parse(&callback).unwrap();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != "iss")
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(&kept)
        .append_pair("iss", "https://evil.example");
    let page = browser.get(url.as_str()).await;
    refused(&page);
    assert!(
        page.body.contains("another identity provider"),
        "refused for another reason than the issuer: {}",
        page.body
    );
    assert_eq!(fed.users().await, before);
    assert!(browser.cookie("cognate_session").is_none());
}

async fn subject_claim_cannot_change_under_links(backend: Backend) {
    let (fed, _fake) = with_fake(backend).await;
    let first = fed.id_claims().await;
    let providers = format!("/pools/{}/identity-providers", fed.web.pool);
    let by_email = json!({"attribute_mapping": {"username": "email", "email": "email"}});
    let answer = fed
        .down
        .admin(
            "PATCH",
            &format!("{providers}/{PROVIDER}"),
            Some(by_email.clone()),
        )
        .await;
    answer.expect_error(409, "conflict");
    let kept = fed
        .down
        .admin("GET", &format!("{providers}/{PROVIDER}"), None)
        .await
        .expect(200);
    assert_eq!(kept["attribute_mapping"]["username"], "sub");
    assert_eq!(fed.id_claims().await["sub"], first["sub"], "still carol");

    // The fake provider has signed nobody in: its subject claim may change.
    let changed = fed
        .down
        .admin("PATCH", &format!("{providers}/Fake"), Some(by_email))
        .await
        .expect(200);
    assert_eq!(changed["attribute_mapping"]["username"], "email");
}

async fn cognito_call(
    app: &TestApp,
    operation: &str,
    body: serde_json::Value,
) -> crate::helpers::Answer {
    raw(
        app,
        operation,
        "application/x-amz-json-1.1",
        body.to_string().into_bytes(),
    )
    .await
}

async fn federated_user_has_no_password_in_the_cognito_api(backend: Backend) {
    let fed = Federation::start(backend).await;
    fed.id_claims().await;
    let client = fed
        .down
        .admin(
            "POST",
            &format!("/pools/{}/clients", fed.web.pool),
            Some(json!({"name": "api", "explicit_auth_flows": ["ALLOW_USER_PASSWORD_AUTH"]})),
        )
        .await
        .expect(201);
    let client_id = client["client_id"].as_str().unwrap();
    let sign_in = |username: String, password: &str| {
        json!({"ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH",
               "AuthParameters": {"USERNAME": username, "PASSWORD": password}})
    };
    let wrong = cognito_call(
        &fed.down,
        "InitiateAuth",
        sign_in("alice".into(), "Wrong-pass-1"),
    )
    .await;
    expect_exception(&wrong, "NotAuthorizedException");
    for password in [PASSWORD, "Wrong-pass-1"] {
        let answer =
            cognito_call(&fed.down, "InitiateAuth", sign_in(fed.username(), password)).await;
        expect_exception(&answer, "NotAuthorizedException");
        assert_eq!(answer.body["message"], wrong.body["message"]);
    }

    let forgot = |username: String| json!({"ClientId": client_id, "Username": username});
    let mails = outbox(&fed.down).await.total();
    let unknown = cognito_call(&fed.down, "ForgotPassword", forgot("nobody".into())).await;
    let federated = cognito_call(&fed.down, "ForgotPassword", forgot(fed.username())).await;
    for answer in [&unknown, &federated] {
        assert_eq!(answer.status, 200, "{}", answer.text);
        let details = &answer.body["CodeDeliveryDetails"];
        assert_eq!(details["DeliveryMedium"], "EMAIL", "{}", answer.text);
        assert!(details["Destination"].is_string(), "{}", answer.text);
    }
    assert_eq!(outbox(&fed.down).await.total(), mails, "no reset mail");
    // A local user's reset does send one, so the count above would have moved.
    let local = cognito_call(&fed.down, "ForgotPassword", forgot("alice".into())).await;
    assert_eq!(local.status, 200, "{}", local.text);
    assert_eq!(outbox(&fed.down).await.total(), mails + 1);
}

async fn provider_names_with_underscore_are_refused(backend: Backend) {
    let fed = Federation::start(backend).await;
    let path = format!("/pools/{}/identity-providers", fed.web.pool);
    for name in ["Corp_X", "X_"] {
        fed.down
            .admin(
                "POST",
                &path,
                Some(json!({"name": name, "type": "OIDC",
                            "details": {"issuer": fed.up_issuer, "client_id": fed.up_client_id,
                                        "client_secret": fed.up_secret}})),
            )
            .await
            .expect_error(422, "validation_failed");
    }
    let list = fed.down.admin("GET", &path, None).await.expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

/// The mails in `app`'s file outbox to `email`, waiting for at least `n`.
async fn mails_to(app: &TestApp, email: &str, n: usize) -> Vec<Message> {
    let folder = app.db.dir.path().join("outbox");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mails: Vec<Message> = std::fs::read_dir(&folder)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .map(|data| Message {
                from: String::new(),
                recipients: Vec::new(),
                data,
            })
            .filter(|m| m.header("To").unwrap_or_default().contains(email))
            .collect();
        if mails.len() >= n || Instant::now() >= deadline {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn federated_email_does_not_block_a_sign_up(backend: Backend) {
    let fed = Federation::start(backend).await;
    let carol = fed.id_claims().await;
    assert_eq!(carol["email"], "carol@example.com");
    let pool = &fed.web.pool;

    // A confirmed local user's address does block one (the owner is told instead).
    signed_up(
        &Browser::new(&fed.down),
        pool,
        Some("alice2"),
        "alice@example.com",
    )
    .await;
    assert_eq!(fed.user("alice2").await.status, 404);

    let browser = Browser::new(&fed.down);
    signed_up(&browser, pool, Some("carol3"), "carol@example.com").await;
    let user = fed.user("carol3").await.expect(200);
    assert_eq!(user["status"], "UNCONFIRMED");
    let mails = mails_to(&fed.down, "carol@example.com", 1).await;
    assert_eq!(mails.len(), 1, "one code to the new account's address");
    let page = confirm(&browser, pool, "carol3", &code_in(&mails[0])).await;
    assert!(page.body.contains(CONFIRMED), "{}", page.body);
    assert_eq!(fed.user("carol3").await.expect(200)["status"], "CONFIRMED");
    let federated = fed.user(&fed.username()).await.expect(200);
    assert_eq!(federated["status"], "EXTERNAL_PROVIDER");
}
