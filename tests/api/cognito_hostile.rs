//! Hostile input to the Cognito API's sign-in: SRP public values and SECRET_BLOCKs the
//! server did not issue, stale timestamps, Sessions replayed or taken to another pool's
//! client, and SECRET_HASH computed for another username. Each is refused, and nothing
//! changes.

use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType};
use base64::Engine;
use serde_json::json;

use crate::helpers::cognito::{check_sdk_exception, env, env_with, expect_exception};
use crate::helpers::srp::{N_HEX, SrpClient, timestamp_now};
use crate::helpers::{Backend, PASSWORD};
use crate::on_both;

on_both!(
    hostile_srp_and_sessions,
    secret_hash_is_bound_to_the_username,
    one_srp_proof_sent_eight_times_at_once_signs_in_once,
);

fn secret_hash(secret: &str, username: &str, client_id: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("{username}{client_id}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn hostile_srp_and_sessions(backend: Backend) {
    let env = env(backend).await;
    env.confirmed_user("gus", "gus@example.com").await;
    let env = &env;
    let initiate = |srp_a: String| {
        let body = json!({"ClientId": env.client_id, "AuthFlow": "USER_SRP_AUTH",
                          "AuthParameters": {"USERNAME": "gus", "SRP_A": srp_a}})
        .to_string();
        async move { env.raw("InitiateAuth", &body).await }
    };
    for bad in [
        "0".to_string(),
        "00".repeat(384),
        N_HEX.replace(['\n', ' '], ""),
        "zz".into(),
    ] {
        let answer = initiate(bad).await;
        expect_exception(&answer, "InvalidParameterException");
    }
    // A SECRET_BLOCK the server never issued.
    let client = SrpClient::new();
    let started = initiate(client.public_hex()).await;
    assert_eq!(started.status, 200, "{}", started.text);
    let params = &started.body["ChallengeParameters"];
    let timestamp = timestamp_now();
    let foreign =
        base64::engine::general_purpose::STANDARD.encode(b"not a block of ours at all........");
    let signature = client.claim(
        env.pool_name(),
        params["USER_ID_FOR_SRP"].as_str().expect("id"),
        PASSWORD,
        params["SALT"].as_str().expect("salt"),
        params["SRP_B"].as_str().expect("B"),
        &foreign,
        &timestamp,
    );
    let answer = env
        .raw(
            "RespondToAuthChallenge",
            &json!({"ClientId": env.client_id, "ChallengeName": "PASSWORD_VERIFIER",
                    "ChallengeResponses": {"USERNAME": "gus", "PASSWORD_CLAIM_SECRET_BLOCK": foreign,
                        "PASSWORD_CLAIM_SIGNATURE": signature, "TIMESTAMP": timestamp}})
            .to_string(),
        )
        .await;
    expect_exception(&answer, "NotAuthorizedException");
    // A timestamp more than 5 minutes off is refused, even with a right proof.
    let old =
        crate::helpers::srp::timestamp_at((env.clock_secs() - 600).try_into().expect("positive"));
    let block = params["SECRET_BLOCK"].as_str().expect("block");
    let signature = client.claim(
        env.pool_name(),
        params["USER_ID_FOR_SRP"].as_str().expect("id"),
        PASSWORD,
        params["SALT"].as_str().expect("salt"),
        params["SRP_B"].as_str().expect("B"),
        block,
        &old,
    );
    let answer = env
        .raw(
            "RespondToAuthChallenge",
            &json!({"ClientId": env.client_id, "ChallengeName": "PASSWORD_VERIFIER",
                    "ChallengeResponses": {"USERNAME": "gus", "PASSWORD_CLAIM_SECRET_BLOCK": block,
                        "PASSWORD_CLAIM_SIGNATURE": signature, "TIMESTAMP": old}})
            .to_string(),
        )
        .await;
    expect_exception(&answer, "NotAuthorizedException");

    // A Session of another pool's client is refused there, and the step stays usable.
    let second = env.app.create_pool("second", json!({})).await;
    let other_client = env
        .app
        .admin(
            "POST",
            &format!("/pools/{second}/clients"),
            Some(json!({"name": "other", "explicit_auth_flows": crate::helpers::cognito::FLOWS})),
        )
        .await
        .expect(201);
    env.admin
        .admin_create_user()
        .user_pool_id(&env.pool)
        .username("hal")
        .temporary_password("Temporary-pass-1")
        .message_action("SUPPRESS".into())
        .send()
        .await
        .expect("AdminCreateUser");
    let started = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "hal")
        .auth_parameters("PASSWORD", "Temporary-pass-1")
        .send()
        .await
        .expect("InitiateAuth");
    let session = started.session().expect("a session").to_string();
    let elsewhere = env
        .public
        .respond_to_auth_challenge()
        .client_id(other_client["client_id"].as_str().expect("id"))
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(&session)
        .challenge_responses("USERNAME", "hal")
        .challenge_responses("NEW_PASSWORD", "Attackers-pass-3")
        .send()
        .await
        .expect_err("another pool");
    check_sdk_exception(&elsewhere, "NotAuthorizedException");
    let here = env
        .public
        .respond_to_auth_challenge()
        .client_id(&env.client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(&session)
        .challenge_responses("USERNAME", "hal")
        .challenge_responses("NEW_PASSWORD", "Chosen-password-2")
        .send()
        .await
        .expect("the step is still live for its own client");
    assert!(here.authentication_result().is_some());
    let replay = env
        .public
        .respond_to_auth_challenge()
        .client_id(&env.client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(&session)
        .challenge_responses("USERNAME", "hal")
        .challenge_responses("NEW_PASSWORD", "Attackers-pass-3")
        .send()
        .await
        .expect_err("a replayed session");
    check_sdk_exception(&replay, "NotAuthorizedException");
    env.password_sign_in("hal", "Chosen-password-2").await;
}

async fn secret_hash_is_bound_to_the_username(backend: Backend) {
    let env = env_with(
        backend,
        json!({}),
        json!({"generate_secret": true, "refresh_token_rotation": {"enabled": false}}),
    )
    .await;
    env.confirmed_user("ida", "ida@example.com").await;
    let secret = env
        .client_secret
        .clone()
        .expect("a confidential client has a secret");
    let sign_in = |hash: Option<String>| {
        let mut call = env
            .public
            .initiate_auth()
            .client_id(&env.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", "ida")
            .auth_parameters("PASSWORD", PASSWORD);
        if let Some(hash) = hash {
            call = call.auth_parameters("SECRET_HASH", hash);
        }
        call.send()
    };
    let missing = sign_in(None).await.expect_err("no SECRET_HASH");
    check_sdk_exception(&missing, "NotAuthorizedException");
    let other = sign_in(Some(secret_hash(&secret, "someone", &env.client_id)))
        .await
        .expect_err("another username's hash");
    check_sdk_exception(&other, "NotAuthorizedException");
    let right = sign_in(Some(secret_hash(&secret, "ida", &env.client_id)))
        .await
        .expect("the right SECRET_HASH");
    let refresh = right
        .authentication_result()
        .and_then(|r| r.refresh_token())
        .expect("refresh")
        .to_string();
    let refreshed = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", &refresh)
        .auth_parameters("SECRET_HASH", secret_hash(&secret, "ida", &env.client_id))
        .send()
        .await
        .expect("REFRESH_TOKEN_AUTH");
    assert!(
        refreshed
            .authentication_result()
            .and_then(|r| r.access_token())
            .is_some()
    );
}

/// The same right `PASSWORD_VERIFIER` answer, sent 8 times at once: its step is spent by
/// exactly one of them, and the others read as a wrong password.
async fn one_srp_proof_sent_eight_times_at_once_signs_in_once(backend: Backend) {
    let env = env(backend).await;
    env.confirmed_user("ray", "ray@example.com").await;
    let client = SrpClient::new();
    let started = env
        .raw(
            "InitiateAuth",
            &json!({"ClientId": env.client_id, "AuthFlow": "USER_SRP_AUTH",
                    "AuthParameters": {"USERNAME": "ray", "SRP_A": client.public_hex()}})
            .to_string(),
        )
        .await;
    let params = &started.body["ChallengeParameters"];
    let text = |name: &str| params[name].as_str().expect("a parameter").to_string();
    let timestamp = timestamp_now();
    let signature = client.claim(
        env.pool_name(),
        &text("USER_ID_FOR_SRP"),
        PASSWORD,
        &text("SALT"),
        &text("SRP_B"),
        &text("SECRET_BLOCK"),
        &timestamp,
    );
    let body = json!({"ClientId": env.client_id, "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeResponses": {"USERNAME": text("USER_ID_FOR_SRP"),
            "PASSWORD_CLAIM_SECRET_BLOCK": text("SECRET_BLOCK"),
            "PASSWORD_CLAIM_SIGNATURE": signature, "TIMESTAMP": timestamp}})
    .to_string();
    let answers =
        futures_util::future::join_all((0..8).map(|_| env.raw("RespondToAuthChallenge", &body)))
            .await;
    let signed_in = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(
        signed_in,
        1,
        "{:?}",
        answers.iter().map(|a| &a.text).collect::<Vec<_>>()
    );
    for refused in answers.iter().filter(|a| a.status != 200) {
        expect_exception(refused, "NotAuthorizedException");
    }
}
