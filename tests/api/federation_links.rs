//! Federated identities linked to the pool's own users (by the admin, or by a verified
//! email on both sides), and signing out of both the pool and the provider.

use serde_json::{Value, json};

use crate::browser::{Browser, authorize_url, claims_of, pkce, query_of};
use crate::federation::password_sign_in;
use crate::federation_review::session_code;
use crate::helpers::upstream::{Federation, PROVIDER};
use crate::helpers::{Backend, PASSWORD, urlencode};
use crate::on_both;

on_both!(
    admin_link_signs_the_identity_in_as_the_local_user,
    unlinking_gives_the_identity_a_user_of_its_own,
    verified_emails_on_both_sides_link_automatically,
    unverified_upstream_email_does_not_link,
    unverified_local_email_does_not_link,
    without_the_pool_setting_emails_never_link,
    upstream_logout_ends_both_sessions,
    another_user_finishing_the_request_gets_no_provider_session,
);

const BYE: &str = "http://localhost:3000/bye";

async fn link(fed: &Federation, method: &str, username: &str) {
    fed.down
        .admin(
            method,
            &format!("/pools/{}/users/{username}/linked-identities", fed.web.pool),
            Some(json!({"provider_name": PROVIDER, "provider_subject": fed.carol_sub})),
        )
        .await
        .expect(204);
}

/// A local user with carol's upstream email, verified or not.
async fn local_carol(fed: &Federation, verified: bool) -> Value {
    fed.down
        .admin(
            "POST",
            &format!("/pools/{}/users", fed.web.pool),
            Some(
                json!({"username": "carol2", "password": PASSWORD, "email_verified": verified,
                        "attributes": {"email": "carol@example.com"}}),
            ),
        )
        .await
        .expect(201)
}

async fn linking(backend: Backend) -> Federation {
    Federation::builder(backend)
        .pool(json!({"link_by_verified_email": true}))
        .start()
        .await
}

async fn admin_link_signs_the_identity_in_as_the_local_user(backend: Backend) {
    let fed = Federation::start(backend).await;
    let alice = fed.user("alice").await.expect(200);
    link(&fed, "POST", "alice").await;

    let id = fed.id_claims().await;
    assert_eq!(id["sub"], alice["sub"]);
    assert_eq!(id["cognito:username"], "alice");
    assert_eq!(fed.user(&fed.username()).await.status, 404);
    assert_eq!(fed.users().await.len(), 1);
    // The password still works too, for the same user.
    let page = password_sign_in(&fed, &fed.browser(), "alice", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(query_of(page.location.as_deref().unwrap()).contains_key("code"));
}

async fn unlinking_gives_the_identity_a_user_of_its_own(backend: Backend) {
    let fed = Federation::start(backend).await;
    let alice = fed.user("alice").await.expect(200);
    link(&fed, "POST", "alice").await;
    assert_eq!(fed.id_claims().await["sub"], alice["sub"]);
    link(&fed, "DELETE", "alice").await;

    let id = fed.id_claims().await;
    assert_eq!(id["cognito:username"], fed.username());
    assert_ne!(id["sub"], alice["sub"]);
    let user = fed.user(&fed.username()).await.expect(200);
    assert_eq!(user["status"], "EXTERNAL_PROVIDER");
    assert_eq!(fed.users().await.len(), 2);
}

async fn verified_emails_on_both_sides_link_automatically(backend: Backend) {
    let fed = linking(backend).await;
    let local = local_carol(&fed, true).await;
    for _ in 0..2 {
        let id = fed.id_claims().await;
        assert_eq!(id["sub"], local["sub"]);
        assert_eq!(id["cognito:username"], "carol2");
    }
    assert_eq!(fed.user(&fed.username()).await.status, 404);
    assert_eq!(fed.users().await.len(), 2, "alice and carol2");
}

/// Signs carol in and checks she got a federated user of her own, `local` untouched.
async fn signs_in_apart(fed: &Federation, local: &Value) {
    let before = fed.user("carol2").await.expect(200);
    let id = fed.id_claims().await;
    assert_eq!(id["cognito:username"], fed.username());
    assert_ne!(id["sub"], local["sub"]);
    assert_eq!(fed.user("carol2").await.expect(200), before);
    assert_eq!(
        fed.users().await.len(),
        3,
        "alice, carol2 and the federated user"
    );
}

async fn unverified_upstream_email_does_not_link(backend: Backend) {
    let fed = linking(backend).await;
    let local = local_carol(&fed, true).await;
    fed.patch_upstream_user("carol", json!({"email_verified": false}))
        .await;
    signs_in_apart(&fed, &local).await;
}

async fn unverified_local_email_does_not_link(backend: Backend) {
    let fed = linking(backend).await;
    let local = local_carol(&fed, false).await;
    signs_in_apart(&fed, &local).await;
}

async fn without_the_pool_setting_emails_never_link(backend: Backend) {
    let fed = Federation::start(backend).await;
    let local = local_carol(&fed, true).await;
    signs_in_apart(&fed, &local).await;
}

/// A session at the pool shows in an authorize without prompt: a code at once, not the form.
async fn has_session(browser: &Browser, authorize: &str) -> bool {
    let page = browser.get(authorize).await;
    match page.status {
        302 => query_of(page.location.as_deref().unwrap()).contains_key("code"),
        303 => {
            assert!(page.location.unwrap().contains("/login?request="));
            false
        }
        other => panic!("authorize answered {other}: {}", page.body),
    }
}

async fn upstream_logout_ends_both_sessions(backend: Backend) {
    let fed = Federation::builder(backend)
        .provider(json!({"sign_out_upstream": true}))
        .start()
        .await;
    let browser = fed.browser();
    let tokens = fed.tokens(&browser, &[]).await;
    let (down_authorize, _) = authorize_url(&fed.web, &[]);
    let (_, challenge) = pkce();
    let up_authorize = format!(
        "{}/{}/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=s&code_challenge={challenge}&code_challenge_method=S256",
        fed.up.address,
        fed.up_pool,
        fed.up_client_id,
        urlencode(&format!("{}/oauth2/idpresponse", fed.web.issuer)),
    );
    assert!(has_session(&browser, &down_authorize).await);
    assert!(has_session(&browser, &up_authorize).await);

    let logout = format!(
        "/{}/logout?id_token_hint={}&post_logout_redirect_uri={}",
        fed.web.pool,
        tokens["id_token"].as_str().unwrap(),
        urlencode(BYE)
    );
    let page = browser.get(&logout).await;
    assert_eq!(page.status, 302, "{}", page.body);
    let location = page.location.clone().unwrap();
    assert!(
        location.starts_with(&format!("{}/logout?", fed.up_issuer)),
        "{location}"
    );
    let q = query_of(&location);
    assert_eq!(
        q["post_logout_redirect_uri"],
        format!("{}/oauth2/idplogout", fed.web.issuer)
    );
    assert!(!q["state"].is_empty());
    // The hint is the upstream's own ID token for carol, never the downstream's.
    let hint = claims_of(&q["id_token_hint"]);
    assert_eq!(hint["iss"], fed.up_issuer);
    assert_eq!(hint["aud"], fed.up_client_id);
    assert_eq!(hint["cognito:username"], "carol");

    let done = browser.follow(page, 5).await;
    assert_eq!(done.status, 302, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some(BYE));
    assert!(!has_session(&browser, &down_authorize).await);
    assert!(!has_session(&browser, &up_authorize).await);
}

/// A linked identity's answer waits in the request while its user sets up the pool's MFA;
/// another user finishing the same request with a password gets a session of the pool's
/// own, not one of the provider's.
async fn another_user_finishing_the_request_gets_no_provider_session(backend: Backend) {
    let fed = Federation::builder(backend)
        .pool(json!({"mfa_configuration": "ON", "mfa_factors": ["SOFTWARE_TOKEN_MFA"]}))
        .start()
        .await;
    link(&fed, "POST", "alice").await;
    fed.down
        .admin(
            "POST",
            &format!("/pools/{}/users", fed.web.pool),
            Some(
                json!({"username": "bob", "password": PASSWORD, "email_verified": true,
                        "attributes": {"email": "bob@example.com"}}),
            ),
        )
        .await
        .expect(201);
    let corp_only = fed.add_client(Some(&[PROVIDER])).await;
    let cognito_only = fed.add_client(None).await;
    let browser = fed.browser();
    let callback = fed.upstream_callback(&browser, &[]).await;
    let answer = browser.get(&callback).await;
    let setup = crate::mfa::follow(&browser, &answer, "/mfa/setup?").await;
    let request = query_of(&setup.url)["request"].clone();
    let login = browser
        .get(&format!("/{}/login?request={request}", fed.web.pool))
        .await;
    let as_bob = browser
        .submit_containing(
            &login,
            r#"name="password""#,
            &[("username", "bob"), ("password", PASSWORD)],
        )
        .await;
    let bob_setup = crate::mfa::follow(&browser, &as_bob, "/mfa/setup?").await;
    let totp = crate::mfa::totp_on(&bob_setup);
    let now = chrono::Utc::now().timestamp() as u64;
    let done = browser
        .submit(&bob_setup, &[("code", &totp.generate(now).to_string())])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let taken_by = (
        session_code(&browser, &corp_only).await.is_some(),
        session_code(&browser, &cognito_only).await.is_some(),
    );
    assert_eq!(
        taken_by,
        (false, true),
        "(Corp-only, COGNITO-only) for bob's session"
    );
}
