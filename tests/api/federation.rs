//! Federation journeys: a pool that signs its users in through another Cognate acting as an
//! OpenID Connect provider ("Corp"), seen from the browser and from the app's tokens.

use serde_json::{Value, json};

use crate::browser::{Browser, CALLBACK, Page, authorize_url, claims_of, query_of, redeem};
use crate::helpers::upstream::{Federation, PROVIDER, code_of};
use crate::helpers::{Backend, PASSWORD, path_segment};
use crate::on_both;

on_both!(
    first_federated_sign_in_creates_the_user,
    next_sign_in_refreshes_the_attributes,
    identity_provider_parameter_skips_the_login_page,
    typed_email_domain_routes_to_the_provider,
    clients_offer_only_their_providers,
    pool_mfa_does_not_apply_to_federated_sign_ins,
    federated_users_have_no_password,
    providers_are_managed_and_never_show_their_secret,
    bad_providers_and_provider_lists_are_refused,
);

/// Signs in on the downstream login page's password form (not a provider's button).
pub async fn password_sign_in(
    fed: &Federation,
    browser: &Browser,
    username: &str,
    password: &str,
) -> Page {
    let (url, _) = authorize_url(&fed.web, &[("prompt", "login")]);
    let login = browser.open_login(&url).await;
    browser
        .submit_containing(
            &login,
            r#"name="password""#,
            &[("username", username), ("password", password)],
        )
        .await
}

async fn first_federated_sign_in_creates_the_user(backend: Backend) {
    let fed = Federation::start(backend).await;
    let before = fed.users().await.len();
    let browser = fed.browser();
    let (done, verifier) = fed.sign_in_upstream(&browser, &[]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let q = query_of(done.location.as_deref().unwrap());
    assert_eq!(q["state"], "st-123");
    assert_eq!(q["iss"], fed.web.issuer);
    assert!(browser.cookie("cognate_session").is_some());

    let tokens = redeem(&fed.down, &fed.web, &q["code"], &verifier)
        .await
        .expect(200);
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["cognito:username"], fed.username());
    assert_eq!(id["email"], "carol@example.com");
    assert_eq!(id["name"], "Carol Upstream");
    assert_eq!(id["custom:dept"], "R&D");
    assert_eq!(
        id["amr"],
        json!(["pwd"]),
        "copied from the upstream's ID token"
    );
    assert_eq!(id["cognito:groups"], json!([fed.group()]));
    let identities = id["identities"].as_array().expect("identities");
    assert_eq!(identities.len(), 1);
    let identity = &identities[0];
    assert_eq!(identity["userId"], fed.carol_sub);
    assert_eq!(identity["providerName"], PROVIDER);
    assert_eq!(identity["providerType"], "OIDC");
    assert_eq!(identity["issuer"], fed.up_issuer);
    assert_eq!(identity["primary"], "true");
    let created = identity["dateCreated"]
        .as_str()
        .expect("a string, as Cognito's");
    assert!(
        created.parse::<i64>().unwrap() > 1_600_000_000_000,
        "{created}"
    );

    let user = fed.user(&fed.username()).await.expect(200);
    assert_eq!(user["status"], "EXTERNAL_PROVIDER");
    assert_eq!(user["sub"], id["sub"]);
    assert_ne!(
        user["sub"], fed.carol_sub,
        "a user of its own, not the upstream one"
    );
    assert_eq!(user["attributes"]["email"], "carol@example.com");
    assert_eq!(user["attributes"]["name"], "Carol Upstream");
    assert_eq!(user["attributes"]["custom:dept"], "R&D");
    let stored: Value = serde_json::from_str(
        user["attributes"]["identities"]
            .as_str()
            .expect("a JSON string"),
    )
    .unwrap();
    assert_eq!(stored[0]["userId"], fed.carol_sub);
    assert_eq!(stored[0]["providerName"], PROVIDER);

    let groups = fed
        .down
        .admin(
            "GET",
            &format!(
                "/pools/{}/users/{}/groups",
                fed.web.pool,
                path_segment(&fed.username())
            ),
            None,
        )
        .await
        .expect(200);
    let names: Vec<&str> = groups["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert_eq!(names, [fed.group().as_str()]);
    assert_eq!(fed.users().await.len(), before + 1);
}

async fn next_sign_in_refreshes_the_attributes(backend: Backend) {
    let fed = Federation::start(backend).await;
    let first = fed.id_claims().await;
    fed.patch_upstream_user(
        "carol",
        json!({"attributes": {"name": "Carol Renamed", "custom:department": "Ops"}}),
    )
    .await;
    let count = fed.users().await.len();

    let second = fed.id_claims().await;
    assert_eq!(second["sub"], first["sub"], "the same user");
    assert_eq!(second["name"], "Carol Renamed");
    assert_eq!(second["custom:dept"], "Ops");
    let user = fed.user(&fed.username()).await.expect(200);
    assert_eq!(user["attributes"]["name"], "Carol Renamed");
    assert_eq!(user["attributes"]["custom:dept"], "Ops");
    assert_eq!(fed.users().await.len(), count);
}

async fn identity_provider_parameter_skips_the_login_page(backend: Backend) {
    let fed = Federation::start(backend).await;
    let browser = fed.browser();
    let (url, verifier) = authorize_url(&fed.web, &[("identity_provider", PROVIDER)]);
    let page = browser.get(&url).await;
    assert_eq!(page.status, 302, "{}", page.body);
    let location = page.location.clone().unwrap();
    assert!(
        location.starts_with(&format!("{}/oauth2/authorize?", fed.up_issuer)),
        "{location}"
    );
    let q = query_of(&location);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], fed.up_client_id);
    assert_eq!(
        q["redirect_uri"],
        format!("{}/oauth2/idpresponse", fed.web.issuer)
    );
    assert_eq!(q["scope"], "openid email profile");
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["code_challenge"].len() >= 43);
    assert!(q["nonce"].len() >= 16);
    // The downstream's own state, not the app's (which an attacker may know).
    assert!(q["state"].len() >= 16 && q["state"] != "st-123");
    assert!(!q.contains_key("login_hint"));

    let done = fed.walk(&browser, page, "carol", false).await;
    let tokens = redeem(&fed.down, &fed.web, &code_of(&done), &verifier)
        .await
        .expect(200);
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["cognito:username"], fed.username());
}

async fn typed_email_domain_routes_to_the_provider(backend: Backend) {
    let fed = Federation::builder(backend)
        .provider(json!({"idp_identifiers": ["example.com"]}))
        .start()
        .await;
    let browser = fed.browser();
    let upstream = format!("{}/oauth2/authorize?", fed.up_issuer);
    // Another domain stays with the pool's own password check.
    let local = password_sign_in(&fed, &browser, "bob@other.example", "Wrong-pass-1").await;
    assert!(
        local.body.contains("Incorrect username or password."),
        "{}",
        local.body
    );

    let (url, verifier) = authorize_url(&fed.web, &[]);
    let login = browser.open_login(&url).await;
    let routed = browser
        .submit_containing(
            &login,
            r#"name="password""#,
            &[("username", "bob@example.com"), ("password", "not-checked")],
        )
        .await;
    assert_eq!(routed.status, 303, "{}", routed.body);
    let location = routed.location.clone().unwrap();
    assert!(location.starts_with(&upstream), "{location}");
    assert_eq!(query_of(&location)["login_hint"], "bob@example.com");
    let done = fed.walk(&browser, routed, "carol", false).await;
    redeem(&fed.down, &fed.web, &code_of(&done), &verifier)
        .await
        .expect(200);

    let (url, _) = authorize_url(&fed.web, &[("idp_identifier", "example.com")]);
    let direct = fed.browser().get(&url).await;
    assert_eq!(direct.status, 302, "{}", direct.body);
    assert!(direct.location.unwrap().starts_with(&upstream));
}

async fn clients_offer_only_their_providers(backend: Backend) {
    let fed = Federation::builder(backend)
        .supported(&[PROVIDER])
        .start()
        .await;
    let button = format!("Continue with {PROVIDER}");
    let (url, _) = authorize_url(&fed.web, &[]);
    let corp_only = fed.browser().open_login(&url).await;
    assert!(corp_only.body.contains(&button), "{}", corp_only.body);
    assert!(
        !corp_only.body.contains(r#"name="password""#),
        "{}",
        corp_only.body
    );
    let (done, _) = fed.sign_in_upstream(&fed.browser(), &[]).await;
    code_of(&done);

    let both = fed.add_client(Some(&["COGNITO", PROVIDER])).await;
    let (url, _) = authorize_url(&both, &[]);
    let page = fed.browser().open_login(&url).await;
    assert!(page.body.contains(&button), "{}", page.body);
    assert!(page.body.contains(r#"name="password""#));

    let local_only = fed.add_client(None).await;
    let (url, _) = authorize_url(&local_only, &[]);
    let page = fed.browser().open_login(&url).await;
    assert!(!page.body.contains("Continue with"), "{}", page.body);
    assert!(page.body.contains(r#"name="password""#));
    let (url, _) = authorize_url(&local_only, &[("identity_provider", PROVIDER)]);
    let refused = fed.browser().get(&url).await;
    assert_eq!(refused.status, 302, "{}", refused.body);
    let location = refused.location.unwrap();
    assert!(location.starts_with(CALLBACK), "{location}");
    let q = query_of(&location);
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(q["state"], "st-123");
}

async fn pool_mfa_does_not_apply_to_federated_sign_ins(backend: Backend) {
    let fed = Federation::builder(backend)
        .pool(json!({"mfa_configuration": "ON"}))
        .start()
        .await;
    // The pool's own users do meet the second factor.
    let local = password_sign_in(&fed, &fed.browser(), "alice", PASSWORD).await;
    assert_eq!(local.status, 303, "{}", local.body);
    assert!(!local.location.unwrap().starts_with(CALLBACK));

    let browser = fed.browser();
    let (done, verifier) = fed.sign_in_upstream(&browser, &[]).await;
    let tokens = redeem(&fed.down, &fed.web, &code_of(&done), &verifier)
        .await
        .expect(200);
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["cognito:username"], fed.username());
}

async fn federated_users_have_no_password(backend: Backend) {
    let fed = Federation::start(backend).await;
    fed.id_claims().await;
    let wrong = password_sign_in(&fed, &fed.browser(), "alice", "Wrong-pass-1").await;
    for password in [PASSWORD, "Wrong-pass-1"] {
        let page = password_sign_in(&fed, &fed.browser(), &fed.username(), password).await;
        assert_eq!(page.status, wrong.status, "{}", page.body);
        assert!(page.location.is_none());
        assert!(
            page.body.contains("Incorrect username or password."),
            "{}",
            page.body
        );
    }
}

async fn providers_are_managed_and_never_show_their_secret(backend: Backend) {
    let fed = Federation::start(backend).await;
    let secret = fed.up_secret.clone();
    let p = &fed.provider;
    assert_eq!(p["name"], PROVIDER);
    assert_eq!(p["type"], "OIDC");
    assert_eq!(p["details"]["issuer"], fed.up_issuer);
    assert_eq!(p["details"]["client_id"], fed.up_client_id);
    assert_eq!(p["details"]["authorize_scopes"], "openid email profile");
    assert_eq!(p["details"]["attributes_request_method"], "GET");
    assert_eq!(p["attribute_mapping"]["custom:dept"], "custom:department");
    assert_eq!(p["sign_out_upstream"], false);
    assert!(p["created_at"].is_string() && p["updated_at"].is_string());
    assert!(!p.to_string().contains(&secret));
    // The endpoints come from the issuer's discovery document.
    let doc = fed
        .up
        .get(&format!(
            "/{}/.well-known/openid-configuration",
            fed.up_pool
        ))
        .await
        .expect(200);
    for field in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
    ] {
        assert_eq!(p["endpoints"][field], doc[field], "{field}");
    }

    let path = format!("/pools/{}/identity-providers", fed.web.pool);
    let list = fed.down.admin("GET", &path, None).await;
    assert!(!list.text.contains(&secret));
    let list = list.expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["name"], PROVIDER);
    let one = fed.down.admin("GET", &format!("{path}/Corp"), None).await;
    assert!(!one.text.contains(&secret));
    assert_eq!(one.expect(200)["details"]["issuer"], fed.up_issuer);

    let patched = fed
        .down
        .admin(
            "PATCH",
            &format!("{path}/Corp"),
            Some(json!({"attribute_mapping": {"email": "email"},
                        "details": {"authorize_scopes": "openid email"}})),
        )
        .await;
    assert!(!patched.text.contains(&secret));
    let patched = patched.expect(200);
    assert_eq!(patched["attribute_mapping"]["email"], "email");
    assert!(patched["attribute_mapping"].get("name").is_none());
    assert_eq!(patched["details"]["client_id"], fed.up_client_id);
    assert_eq!(patched["details"]["authorize_scopes"], "openid email");
    // The change reaches the next sign-in, and the secret kept through it still works.
    let (url, _) = authorize_url(&fed.web, &[("identity_provider", PROVIDER)]);
    let page = fed.browser().get(&url).await;
    assert_eq!(
        query_of(page.location.as_deref().unwrap())["scope"],
        "openid email"
    );
    let id = fed.id_claims().await;
    assert_eq!(id["email"], "carol@example.com");
    assert!(id.get("custom:dept").is_none());

    fed.down
        .admin("DELETE", &format!("{path}/Corp"), None)
        .await
        .expect(204);
    let gone = fed.down.admin("GET", &format!("{path}/Corp"), None).await;
    assert_eq!(gone.status, 404);
    let list = fed.down.admin("GET", &path, None).await.expect(200);
    assert_eq!(list["items"], json!([]));
}

async fn bad_providers_and_provider_lists_are_refused(backend: Backend) {
    let fed = Federation::start(backend).await;
    let path = format!("/pools/{}/identity-providers", fed.web.pool);
    let body = |name: &str, issuer: &str| {
        json!({"name": name, "type": "OIDC",
               "details": {"issuer": issuer, "client_id": fed.up_client_id,
                           "client_secret": fed.up_secret}})
    };
    for issuer in [
        "http://127.0.0.1:9/x".to_string(),
        // A server that answers, but is no OpenID Connect issuer.
        format!("{}/nope", fed.down.address),
    ] {
        fed.down
            .admin("POST", &path, Some(body("Other", &issuer)))
            .await
            .expect_error(422, "validation_failed");
    }
    // COGNITO is the pool's own sign-in, not a name to take; a taken name is a conflict.
    fed.down
        .admin("POST", &path, Some(body("COGNITO", &fed.up_issuer)))
        .await
        .expect_error(422, "validation_failed");
    fed.down
        .admin("POST", &path, Some(body(PROVIDER, &fed.up_issuer)))
        .await
        .expect_error(409, "conflict");
    let list = fed.down.admin("GET", &path, None).await.expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    let clients = format!("/pools/{}/clients", fed.web.pool);
    let refused = fed
        .down
        .admin(
            "POST",
            &clients,
            Some(json!({"name": "x", "callback_urls": [CALLBACK],
                        "allowed_oauth_flows": ["code"], "allowed_oauth_scopes": ["openid"],
                        "supported_identity_providers": ["COGNITO", "Nope"]})),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    let own = format!("{clients}/{}", fed.web.client_id);
    let refused = fed
        .down
        .admin(
            "PATCH",
            &own,
            Some(json!({"supported_identity_providers": ["Nope"]})),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    let changed = fed
        .down
        .admin(
            "PATCH",
            &own,
            Some(json!({"supported_identity_providers": [PROVIDER]})),
        )
        .await
        .expect(200);
    assert_eq!(changed["supported_identity_providers"], json!([PROVIDER]));
    let default = fed.add_client(None).await;
    let shown = fed
        .down
        .admin("GET", &format!("{clients}/{}", default.client_id), None)
        .await
        .expect(200);
    assert_eq!(shown["supported_identity_providers"], json!(["COGNITO"]));
}
