//! Tokens of the Cognito API are the OAuth endpoints' tokens: the same keys, claims and
//! issuer, verified by `openidconnect` against the JWKS, and revoked through either door.
//! And with `PreventUserExistenceErrors` on, unknown and known users answer alike.

use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use openidconnect::core::{CoreClient, CoreIdToken, CoreProviderMetadata};
use openidconnect::{ClientId, IssuerUrl, Nonce};
use serde_json::json;

use crate::browser::{Browser, CALLBACK, WebApp, claims_of, token_request, tokens_for, userinfo};
use crate::helpers::cognito::{Env, check_sdk_exception, env_with};
use crate::helpers::{Backend, PASSWORD};
use crate::on_both;

on_both!(
    api_tokens_verify_and_revoke_like_oauth_ones,
    unknown_and_known_users_answer_alike,
    a_deleted_clients_tokens_speak_for_no_one,
);

async fn oauth_env(backend: Backend) -> Env {
    let env = env_with(
        backend,
        json!({}),
        json!({"callback_urls": [CALLBACK], "allowed_oauth_flows": ["code"],
               "allowed_oauth_scopes": ["openid", "email", "profile"]}),
    )
    .await;
    env.confirmed_user("alice", "alice@example.com").await;
    env
}

async fn api_sign_in(env: &Env) -> (String, String, String) {
    let out = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "alice")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("InitiateAuth");
    let r = out.authentication_result().expect("tokens");
    (
        r.access_token().expect("access").to_string(),
        r.id_token().expect("id").to_string(),
        r.refresh_token().expect("refresh").to_string(),
    )
}

async fn api_tokens_verify_and_revoke_like_oauth_ones(backend: Backend) {
    let env = oauth_env(backend).await;
    let (access, id, refresh) = api_sign_in(&env).await;
    let issuer = claims_of(&id)["iss"].as_str().expect("iss").to_string();
    assert_eq!(
        issuer,
        format!("{}/{}", issuer.rsplit_once('/').unwrap().0, env.pool)
    );

    // The ID token verifies against the pool's published keys, as an OAuth one does.
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .expect("http");
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone()).unwrap(), &http)
            .await
            .expect("discovery");
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(env.client_id.clone()), None);
    let verifier = client.id_token_verifier();
    let parsed: CoreIdToken = id.parse().expect("a JWT");
    let claims = parsed
        .claims(&verifier, |_: Option<&Nonce>| Ok(()))
        .expect("the API's ID token verifies");
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some("alice@example.com")
    );

    // The hosted sign-in's tokens for the same client carry the same claims.
    let web = WebApp {
        pool: env.pool.clone(),
        issuer: issuer.clone(),
        client_id: env.client_id.clone(),
        secret: None,
        callback: CALLBACK.to_string(),
    };
    let oauth = tokens_for(&env.app, &web, &Browser::new(&env.app)).await;
    let (api_id, oauth_id) = (
        claims_of(&id),
        claims_of(oauth["id_token"].as_str().unwrap()),
    );
    for claim in [
        "iss",
        "sub",
        "aud",
        "token_use",
        "cognito:username",
        "email",
        "email_verified",
    ] {
        assert_eq!(api_id[claim], oauth_id[claim], "{claim}");
    }
    let (api_access, oauth_access) = (
        claims_of(&access),
        claims_of(oauth["access_token"].as_str().unwrap()),
    );
    for claim in [
        "iss",
        "sub",
        "client_id",
        "token_use",
        "username",
        "version",
    ] {
        assert_eq!(api_access[claim], oauth_access[claim], "{claim}");
    }
    // An OAuth access token without the API's scope is not one for GetUser.
    env.public
        .get_user()
        .access_token(oauth["access_token"].as_str().unwrap())
        .send()
        .await
        .expect_err("an OAuth token without the API's scope");

    // The API's refresh token, revoked at /oauth2/revoke: gone for the API too.
    let revoked = env
        .app
        .send(
            env.app
                .http
                .post(env.app.url(&format!("/{}/oauth2/revoke", env.pool)))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("token={refresh}&client_id={}", env.client_id)),
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    let refused = env
        .public
        .get_tokens_from_refresh_token()
        .client_id(&env.client_id)
        .refresh_token(&refresh)
        .send()
        .await
        .expect_err("revoked at /oauth2/revoke");
    check_sdk_exception(&refused, "NotAuthorizedException");
    let gone = env.public.get_user().access_token(&access).send().await;
    check_sdk_exception(&gone.expect_err("revoked"), "NotAuthorizedException");

    // And the reverse: the OAuth refresh token, revoked with RevokeToken.
    let oauth_refresh = oauth["refresh_token"].as_str().unwrap();
    env.public
        .revoke_token()
        .client_id(&env.client_id)
        .token(oauth_refresh)
        .send()
        .await
        .expect("RevokeToken");
    token_request(
        &env.app,
        &env.pool,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", oauth_refresh),
            ("client_id", &env.client_id),
        ],
    )
    .await
    .expect_oauth(400, "invalid_grant");
    assert_eq!(
        userinfo(&env.app, &env.pool, oauth["access_token"].as_str().unwrap())
            .await
            .status,
        401
    );
}

/// With `PreventUserExistenceErrors` on (the default), each unauthenticated operation
/// answers an unknown user as it answers a known one: the same outcome, and medians of
/// the time taken within a factor of 3 (the hosted pages' sign-up test).
async fn unknown_and_known_users_answer_alike(backend: Backend) {
    crate::helpers::measure_alone().await;
    let env = oauth_env(backend).await;
    const SAMPLES: usize = 7;
    for operation in [
        "InitiateAuth",
        "ForgotPassword",
        "ResendConfirmationCode",
        "ConfirmSignUp",
        "ConfirmForgotPassword",
        "SRP",
    ] {
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        let mut answers = (None, None);
        for i in 0..=SAMPLES {
            for is_known in [i % 2 == 0, i % 2 == 1] {
                // One name each way, so each meets its lockout at the same count.
                let name = if is_known { "alice" } else { "nobody" };
                let started = Instant::now();
                let answer = call(&env, operation, name).await;
                let took = started.elapsed();
                if is_known {
                    answers.0 = Some(answer);
                } else {
                    answers.1 = Some(answer);
                }
                if i > 0 {
                    if is_known {
                        known.push(took)
                    } else {
                        unknown.push(took)
                    }
                }
            }
            // Past the resend and reset limits' one-minute gap.
            env.clock.advance_secs(61);
        }
        assert_eq!(answers.0, answers.1, "{operation}: the answers differ");
        let median = |v: &mut Vec<Duration>| {
            v.sort();
            v[v.len() / 2].as_secs_f64()
        };
        let (k, u) = (median(&mut known), median(&mut unknown));
        let ratio = k.max(u) / k.min(u).max(1e-6);
        assert!(
            ratio < 3.0,
            "{operation}: known {k:.4}s, unknown {u:.4}s (ratio {ratio:.2})"
        );
    }
}

/// An operation's answer, reduced to what may not differ: the error's type and message,
/// or the shape of a success.
async fn call(env: &Env, operation: &str, name: &str) -> String {
    let c = &env.client_id;
    let body = match operation {
        "InitiateAuth" => json!({"ClientId": c, "AuthFlow": "USER_PASSWORD_AUTH",
                                 "AuthParameters": {"USERNAME": name, "PASSWORD": "Wrong-password-1"}}),
        "SRP" => json!({"ClientId": c, "AuthFlow": "USER_SRP_AUTH",
                        "AuthParameters": {"USERNAME": name, "SRP_A": "02"}}),
        "ConfirmSignUp" => json!({"ClientId": c, "Username": name, "ConfirmationCode": "000000"}),
        "ConfirmForgotPassword" => {
            json!({"ClientId": c, "Username": name, "ConfirmationCode": "000000",
                                          "Password": "A-new-password-7"})
        }
        _ => json!({"ClientId": c, "Username": name}),
    };
    let target = if operation == "SRP" {
        "InitiateAuth"
    } else {
        operation
    };
    let answer = env.raw(target, &body.to_string()).await;
    if answer.status == 200 {
        let mut keys: Vec<String> = match &answer.body {
            serde_json::Value::Object(map) => map.keys().cloned().collect(),
            _ => vec![],
        };
        if let Some(params) = answer.body["ChallengeParameters"].as_object() {
            keys.extend(params.keys().map(|k| format!("param {k}")));
        }
        keys.sort();
        format!("200 {keys:?}")
    } else {
        format!(
            "{} {} {}",
            answer.status, answer.body["__type"], answer.body["message"]
        )
    }
}

async fn a_deleted_clients_tokens_speak_for_no_one(backend: Backend) {
    let env = oauth_env(backend).await;
    let (access, _, _) = api_sign_in(&env).await;
    env.public
        .get_user()
        .access_token(&access)
        .send()
        .await
        .expect("GetUser");
    env.app
        .admin(
            "DELETE",
            &format!("/pools/{}/clients/{}", env.pool, env.client_id),
            None,
        )
        .await
        .expect(204);
    let refused = env.public.get_user().access_token(&access).send().await;
    check_sdk_exception(
        &refused.expect_err("a deleted client's token"),
        "NotAuthorizedException",
    );
    let refused = env
        .public
        .update_user_attributes()
        .access_token(&access)
        .user_attributes(crate::helpers::cognito::attribute("name", "Mallory"))
        .send()
        .await;
    check_sdk_exception(
        &refused.expect_err("a deleted client's token"),
        "NotAuthorizedException",
    );
}
