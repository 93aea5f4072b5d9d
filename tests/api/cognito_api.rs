//! The Cognito-compatible JSON API driven by AWS's SDK for Rust: the journeys of the
//! issue, on both databases, with the SRP client of `helpers::srp`.

use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType};
use serde_json::{Value, json};

use crate::helpers::cognito::{Env, attribute, check_sdk_exception, env, expect_exception};
use crate::helpers::srp::{SrpClient, timestamp_now};
use crate::helpers::{Backend, PASSWORD};
use crate::on_both;

on_both!(
    sign_up_confirm_srp_refresh_revoke,
    password_sign_in_and_get_user,
    srp_with_a_wrong_password_is_refused,
    user_auth_with_password_and_password_srp,
);

/// `USER_SRP_AUTH` through the SDK with the tests' own SRP client; the sign-in's result.
pub(crate) async fn srp_sign_in(
    env: &Env,
    username: &str,
    password: &str,
) -> Result<
    aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeOutput,
    aws_sdk_cognitoidentityprovider::error::SdkError<
        aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeError,
    >,
>{
    let client = SrpClient::new();
    let started = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("SRP_A", client.public_hex())
        .send()
        .await
        .expect("InitiateAuth USER_SRP_AUTH");
    assert_eq!(
        started.challenge_name(),
        Some(&ChallengeNameType::PasswordVerifier)
    );
    let params = started.challenge_parameters().expect("parameters");
    let user_id = &params["USER_ID_FOR_SRP"];
    let timestamp = timestamp_now();
    let signature = client.claim(
        env.pool_name(),
        user_id,
        password,
        &params["SALT"],
        &params["SRP_B"],
        &params["SECRET_BLOCK"],
        &timestamp,
    );
    env.public
        .respond_to_auth_challenge()
        .client_id(&env.client_id)
        .challenge_name(ChallengeNameType::PasswordVerifier)
        .challenge_responses("USERNAME", user_id)
        .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", &params["SECRET_BLOCK"])
        .challenge_responses("PASSWORD_CLAIM_SIGNATURE", signature)
        .challenge_responses("TIMESTAMP", timestamp)
        .send()
        .await
}

async fn sign_up_confirm_srp_refresh_revoke(backend: Backend) {
    let env = env(backend).await;
    let signed_up = env
        .public
        .sign_up()
        .client_id(&env.client_id)
        .username("carol")
        .password(PASSWORD)
        .user_attributes(attribute("email", "carol@example.com"))
        .send()
        .await
        .expect("SignUp");
    assert!(!signed_up.user_confirmed());
    assert_eq!(
        signed_up
            .code_delivery_details()
            .and_then(|d| d.destination()),
        Some("c***@e***")
    );
    let code = env.code_for("carol@example.com", 1).await;
    env.public
        .confirm_sign_up()
        .client_id(&env.client_id)
        .username("carol")
        .confirmation_code(code)
        .send()
        .await
        .expect("ConfirmSignUp");

    let signed_in = srp_sign_in(&env, "carol", PASSWORD)
        .await
        .expect("SRP sign-in");
    let result = signed_in.authentication_result().expect("tokens");
    assert_eq!(result.token_type(), Some("Bearer"));
    let access = result.access_token().expect("access token").to_string();
    let refresh = result.refresh_token().expect("refresh token").to_string();
    assert!(result.id_token().is_some());

    let user = env
        .public
        .get_user()
        .access_token(&access)
        .send()
        .await
        .expect("GetUser");
    assert_eq!(user.username(), "carol");
    let email = user
        .user_attributes()
        .iter()
        .find(|a| a.name() == "email")
        .and_then(|a| a.value());
    assert_eq!(email, Some("carol@example.com"));
    let sub = user
        .user_attributes()
        .iter()
        .find(|a| a.name() == "sub")
        .and_then(|a| a.value());
    assert_eq!(sub, Some(signed_up.user_sub()));

    let refreshed = env
        .public
        .get_tokens_from_refresh_token()
        .client_id(&env.client_id)
        .refresh_token(&refresh)
        .send()
        .await
        .expect("GetTokensFromRefreshToken");
    let rotated = refreshed
        .authentication_result()
        .and_then(|r| r.refresh_token())
        .expect("a rotated refresh token")
        .to_string();
    assert_ne!(rotated, refresh);

    env.public
        .revoke_token()
        .client_id(&env.client_id)
        .token(&rotated)
        .send()
        .await
        .expect("RevokeToken");
    let after = env
        .public
        .get_tokens_from_refresh_token()
        .client_id(&env.client_id)
        .refresh_token(&rotated)
        .send()
        .await
        .expect_err("a revoked refresh token is refused");
    check_sdk_exception(&after, "NotAuthorizedException");
    // The access tokens of the family are revoked with it.
    let gone = env.public.get_user().access_token(&access).send().await;
    check_sdk_exception(&gone.expect_err("revoked"), "NotAuthorizedException");
}

async fn password_sign_in_and_get_user(backend: Backend) {
    let env = env(backend).await;
    env.confirmed_user("dave", "dave@example.com").await;
    let access = env.password_sign_in("dave", PASSWORD).await;
    let user = env
        .public
        .get_user()
        .access_token(&access)
        .send()
        .await
        .expect("GetUser");
    assert_eq!(user.username(), "dave");
    // The same through raw JSON: the answer carries the request id and the right type.
    let raw = env
        .raw("GetUser", &format!(r#"{{"AccessToken":"{access}"}}"#))
        .await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    assert!(raw.headers.contains_key("x-amzn-requestid"));
    assert_eq!(raw.body["Username"], Value::from("dave"));
}

async fn srp_with_a_wrong_password_is_refused(backend: Backend) {
    let env = env(backend).await;
    env.confirmed_user("erin", "erin@example.com").await;
    let wrong = srp_sign_in(&env, "erin", "Not-the-password-1").await;
    check_sdk_exception(&wrong.expect_err("refused"), "NotAuthorizedException");
    // An unknown name gets a challenge of the same shape, and the same refusal.
    let unknown = srp_sign_in(&env, "nobody", PASSWORD).await;
    check_sdk_exception(&unknown.expect_err("refused"), "NotAuthorizedException");
    let right = srp_sign_in(&env, "erin", PASSWORD)
        .await
        .expect("the right password");
    assert!(right.authentication_result().is_some());
    let raw = env.raw("InitiateAuth", "{").await;
    expect_exception(&raw, "SerializationException");
}

/// `USER_AUTH` with `PREFERRED_CHALLENGE` `PASSWORD` (tokens at once) and `PASSWORD_SRP`
/// (the SRP exchange), and `REFRESH_TOKEN`, the flow's other name.
async fn user_auth_with_password_and_password_srp(backend: Backend) {
    // Cognito's default client, without rotation: `REFRESH_TOKEN` refreshes and keeps the
    // refresh token.
    let env = crate::helpers::cognito::env_with(
        backend,
        json!({}),
        json!({"refresh_token_rotation": {"enabled": false}}),
    )
    .await;
    env.confirmed_user("finn", "finn@example.com").await;
    let by_password = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", "finn")
        .auth_parameters("PREFERRED_CHALLENGE", "PASSWORD")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("USER_AUTH with PASSWORD");
    let refresh = by_password
        .authentication_result()
        .and_then(|r| r.refresh_token())
        .expect("tokens")
        .to_string();
    let wrong = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", "finn")
        .auth_parameters("PREFERRED_CHALLENGE", "PASSWORD")
        .auth_parameters("PASSWORD", "Wrong-password-1")
        .send()
        .await;
    check_sdk_exception(
        &wrong.expect_err("a wrong password"),
        "NotAuthorizedException",
    );

    let client = SrpClient::new();
    let started = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", "finn")
        .auth_parameters("PREFERRED_CHALLENGE", "PASSWORD_SRP")
        .auth_parameters("SRP_A", client.public_hex())
        .send()
        .await
        .expect("USER_AUTH with PASSWORD_SRP");
    assert_eq!(
        started.challenge_name(),
        Some(&ChallengeNameType::PasswordVerifier)
    );
    let params = started.challenge_parameters().expect("parameters");
    let timestamp = timestamp_now();
    let signature = client.claim(
        env.pool_name(),
        &params["USER_ID_FOR_SRP"],
        PASSWORD,
        &params["SALT"],
        &params["SRP_B"],
        &params["SECRET_BLOCK"],
        &timestamp,
    );
    let done = env
        .public
        .respond_to_auth_challenge()
        .client_id(&env.client_id)
        .challenge_name(ChallengeNameType::PasswordVerifier)
        .challenge_responses("USERNAME", &params["USER_ID_FOR_SRP"])
        .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", &params["SECRET_BLOCK"])
        .challenge_responses("PASSWORD_CLAIM_SIGNATURE", signature)
        .challenge_responses("TIMESTAMP", timestamp)
        .send()
        .await
        .expect("PASSWORD_VERIFIER");
    assert!(
        done.authentication_result()
            .and_then(|r| r.access_token())
            .is_some()
    );

    let refreshed = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::RefreshToken)
        .auth_parameters("REFRESH_TOKEN", &refresh)
        .send()
        .await
        .expect("REFRESH_TOKEN");
    let result = refreshed.authentication_result().expect("tokens");
    assert!(result.access_token().is_some());
    assert_eq!(
        result.refresh_token(),
        None,
        "no rotation: no new refresh token"
    );
}
