//! Refresh-token rotation per app client, as Cognito configures it (`RefreshTokenRotation`):
//! off by default for a client made through the Cognito API, on for one made through the
//! admin API, with a grace period for the previous token.

use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, ExplicitAuthFlowsType, FeatureType, RefreshTokenRotationType,
};
use serde_json::{Value, json};

use crate::browser::{Browser, CALLBACK, WebApp, claims_of, token_request, tokens_for};
use crate::helpers::cognito::{Env, check_sdk_exception, env_with};
use crate::helpers::{Backend, PASSWORD};
use crate::on_both;

on_both!(
    a_cognito_api_client_refreshes_with_one_token_for_its_life,
    two_tabs_refresh_at_once_within_the_grace_period,
    the_token_endpoint_keeps_the_token_without_rotation,
);

async fn sign_in(env: &Env, client_id: &str) -> String {
    let out = env
        .public
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "sam")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("InitiateAuth");
    out.authentication_result()
        .and_then(|r| r.refresh_token())
        .expect("a refresh token")
        .to_string()
}

/// What a script written for Cognito does: a client made with Cognito's defaults, and the
/// same refresh token sent with `REFRESH_TOKEN_AUTH` again and again.
async fn a_cognito_api_client_refreshes_with_one_token_for_its_life(backend: Backend) {
    let env = env_with(backend, json!({}), json!({})).await;
    env.confirmed_user("sam", "sam@example.com").await;
    let made = env
        .admin
        .create_user_pool_client()
        .user_pool_id(&env.pool)
        .client_name("script")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .expect("CreateUserPoolClient");
    let client = made.user_pool_client().expect("a client");
    let client_id = client.client_id().expect("an id").to_string();
    let rotation = client
        .refresh_token_rotation()
        .expect("RefreshTokenRotation");
    assert_eq!(rotation.feature(), &FeatureType::Disabled);
    assert_eq!(rotation.retry_grace_period_seconds(), Some(0));

    let refresh = sign_in(&env, &client_id).await;
    for round in 0..10 {
        let out = env
            .public
            .initiate_auth()
            .client_id(&client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", &refresh)
            .send()
            .await
            .unwrap_or_else(|e| panic!("refresh {round}: {e:?}"));
        let result = out.authentication_result().expect("tokens");
        assert!(result.access_token().is_some() && result.id_token().is_some());
        assert_eq!(result.refresh_token(), None, "no rotation, no new token");
    }
    let out = env
        .public
        .get_tokens_from_refresh_token()
        .client_id(&client_id)
        .refresh_token(&refresh)
        .send()
        .await
        .expect("GetTokensFromRefreshToken");
    assert_eq!(
        out.authentication_result().and_then(|r| r.refresh_token()),
        None
    );

    // Rotation turned on: `REFRESH_TOKEN_AUTH` is refused (Cognito's rule), and
    // `GetTokensFromRefreshToken` hands out the next token and spends this one.
    env.admin
        .update_user_pool_client()
        .user_pool_id(&env.pool)
        .client_id(&client_id)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .refresh_token_rotation(
            RefreshTokenRotationType::builder()
                .feature(FeatureType::Enabled)
                .build()
                .expect("a rotation"),
        )
        .send()
        .await
        .expect("UpdateUserPoolClient");
    let refused = env
        .public
        .initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", &refresh)
        .send()
        .await
        .expect_err("REFRESH_TOKEN_AUTH with rotation");
    check_sdk_exception(&refused, "InvalidParameterException");
    let rotated = env
        .public
        .get_tokens_from_refresh_token()
        .client_id(&client_id)
        .refresh_token(&refresh)
        .send()
        .await
        .expect("GetTokensFromRefreshToken");
    let next = rotated
        .authentication_result()
        .and_then(|r| r.refresh_token())
        .expect("a new refresh token");
    assert_ne!(next, refresh);
    // No grace period: the spent token again is theft, and the family dies.
    let reused = env
        .public
        .get_tokens_from_refresh_token()
        .client_id(&client_id)
        .refresh_token(&refresh)
        .send()
        .await
        .expect_err("the spent token");
    check_sdk_exception(&reused, "NotAuthorizedException");
    let family = env
        .public
        .get_tokens_from_refresh_token()
        .client_id(&client_id)
        .refresh_token(next)
        .send()
        .await
        .expect_err("its successor, revoked with the family");
    check_sdk_exception(&family, "NotAuthorizedException");

    // Out-of-range settings are refused as Cognito refuses them.
    for grace in [-1, 61] {
        let bad = env
            .admin
            .update_user_pool_client()
            .user_pool_id(&env.pool)
            .client_id(&client_id)
            .refresh_token_rotation(
                RefreshTokenRotationType::builder()
                    .feature(FeatureType::Enabled)
                    .retry_grace_period_seconds(grace)
                    .build()
                    .expect("a rotation"),
            )
            .send()
            .await
            .expect_err("out of range");
        check_sdk_exception(&bad, "InvalidParameterException");
    }
}

async fn refresh_api(env: &Env, token: &str) -> Result<String, String> {
    env.public
        .get_tokens_from_refresh_token()
        .client_id(&env.client_id)
        .refresh_token(token)
        .send()
        .await
        .map_err(|e| format!("{e:?}"))
        .map(|out| {
            let result = out.authentication_result().expect("tokens");
            let origin = claims_of(result.access_token().expect("access"))["origin_jti"].clone();
            let next = result.refresh_token().expect("rotation: a new token");
            format!("{}|{}", origin.as_str().unwrap_or_default(), next)
        })
}

/// Two tabs refreshing with the same token at once both succeed within the grace period,
/// with tokens of one family; after it, the old token is theft and the family dies.
async fn two_tabs_refresh_at_once_within_the_grace_period(backend: Backend) {
    let env = env_with(
        backend,
        json!({}),
        json!({"refresh_token_rotation": {"enabled": true, "retry_grace_period_seconds": 20}}),
    )
    .await;
    let shown = env
        .app
        .admin(
            "GET",
            &format!("/pools/{}/clients/{}", env.pool, env.client_id),
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        shown["refresh_token_rotation"],
        json!({"enabled": true, "retry_grace_period_seconds": 20})
    );
    env.confirmed_user("sam", "sam@example.com").await;
    let refresh = sign_in(&env, &env.client_id).await;
    let (a, b) = tokio::join!(refresh_api(&env, &refresh), refresh_api(&env, &refresh));
    let (a, b) = (a.expect("tab one"), b.expect("tab two"));
    let (origin_a, next_a) = a.split_once('|').expect("pair");
    let (origin_b, next_b) = b.split_once('|').expect("pair");
    assert_eq!(origin_a, origin_b, "one family");
    assert_ne!(next_a, next_b);
    // Each tab's new token works.
    let a2 = refresh_api(&env, next_a).await.expect("tab one refreshes");
    refresh_api(&env, next_b).await.expect("tab two refreshes");
    // Within the grace period, the first token once more.
    env.clock.advance_secs(15);
    refresh_api(&env, &refresh)
        .await
        .expect("a retry in the grace period");
    // Past it: theft. The family ends, the tabs' tokens with it.
    env.clock.advance_secs(10);
    refresh_api(&env, &refresh)
        .await
        .expect_err("past the grace period");
    let (_, latest) = a2.split_once('|').expect("pair");
    refresh_api(&env, latest)
        .await
        .expect_err("the family was revoked");

    // The admin API refuses a grace period past Cognito's 60 seconds.
    env.app
        .admin(
            "PATCH",
            &format!("/pools/{}/clients/{}", env.pool, env.client_id),
            Some(json!({"refresh_token_rotation": {"enabled": true, "retry_grace_period_seconds": 61}})),
        )
        .await
        .expect_error(422, "validation_failed");
}

/// RFC 6749 §6: the token endpoint may keep the refresh token; on a client without
/// rotation it returns none and the same token refreshes again.
async fn the_token_endpoint_keeps_the_token_without_rotation(backend: Backend) {
    let env = env_with(
        backend,
        json!({}),
        json!({"callback_urls": [CALLBACK], "allowed_oauth_flows": ["code"],
               "allowed_oauth_scopes": ["openid", "email", "profile"],
               "refresh_token_rotation": {"enabled": false}}),
    )
    .await;
    env.confirmed_user("alice", "alice@example.com").await;
    let issuer = env
        .app
        .admin("GET", &format!("/pools/{}", env.pool), None)
        .await
        .expect(200)["issuer"]
        .as_str()
        .expect("an issuer")
        .to_string();
    let web = WebApp {
        pool: env.pool.clone(),
        issuer,
        client_id: env.client_id.clone(),
        secret: None,
        callback: CALLBACK.to_string(),
    };
    let tokens = tokens_for(&env.app, &web, &Browser::new(&env.app)).await;
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    for _ in 0..3 {
        let again: Value = token_request(
            &env.app,
            &env.pool,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &env.client_id),
                ("refresh_token", refresh),
            ],
        )
        .await
        .expect(200);
        assert!(again["access_token"].is_string());
        assert!(again.get("refresh_token").is_none(), "{again}");
    }
}
