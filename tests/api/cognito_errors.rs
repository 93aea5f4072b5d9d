//! The Cognito API's errors and hostile input: each exception name produced and checked in
//! `__type`, `x-amzn-ErrorType` and the SDK's typed error; malformed, oversized and
//! replayed requests refused with a clear 4xx that changes nothing.

use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType};
use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::cognito::{
    Env, attribute, check_sdk_exception, env, env_with, expect_exception, raw, sdk,
};
use crate::helpers::iam::{allow, pool_arn};
use crate::helpers::srp::{N_HEX, SrpClient, timestamp_now};
use crate::helpers::{Backend, PASSWORD};
use crate::on_both;

on_both!(
    protocol_errors,
    exceptions_of_sign_up_and_codes,
    exceptions_of_sign_in,
    iam_denies_with_access_denied,
    hostile_srp_and_sessions,
    secret_hash_is_bound_to_the_username,
    too_many_requests_from_one_address,
    alias_exists_in_an_email_pool,
);

fn secret_hash(secret: &str, username: &str, client_id: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("{username}{client_id}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// No user row changed: the pool's users as the admin API lists them.
async fn users_of(env: &Env) -> Value {
    env.app
        .admin("GET", &format!("/pools/{}/users", env.pool), None)
        .await
        .expect(200)["items"]
        .clone()
}

async fn protocol_errors(backend: Backend) {
    let env = env(backend).await;
    env.confirmed_user("amy", "amy@example.com").await;
    let before = users_of(&env).await;
    let body = format!(r#"{{"ClientId":"{}","Username":"amy"}}"#, env.client_id);
    // A wrong content type, a missing or unknown target.
    let answer = raw(
        &env.app,
        "ForgotPassword",
        "application/json",
        body.clone().into_bytes(),
    )
    .await;
    expect_exception(&answer, "SerializationException");
    let answer = raw(
        &env.app,
        "",
        "application/x-amz-json-1.1",
        body.clone().into_bytes(),
    )
    .await;
    expect_exception(&answer, "UnknownOperationException");
    expect_exception(
        &env.raw("NoSuchThing", &body).await,
        "UnknownOperationException",
    );
    let answer = env.raw("CreateUserImportJob", "{}").await;
    expect_exception(&answer, "UnsupportedOperationException");
    assert!(
        answer.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("CreateUserImportJob")
    );
    // Invalid JSON, wrong types, a missing member.
    expect_exception(
        &env.raw("SignUp", "{\"ClientId\":").await,
        "SerializationException",
    );
    expect_exception(&env.raw("SignUp", "[1,2]").await, "SerializationException");
    for wrong in [
        json!({"ClientId": 7, "Username": "x", "Password": PASSWORD}),
        json!({"ClientId": env.client_id, "Username": ["x"], "Password": PASSWORD}),
        json!({"ClientId": env.client_id, "Username": "x", "Password": PASSWORD, "UserAttributes": "email"}),
        json!({"ClientId": env.client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": 1}}),
    ] {
        let op = if wrong.get("AuthFlow").is_some() {
            "InitiateAuth"
        } else {
            "SignUp"
        };
        expect_exception(
            &env.raw(op, &wrong.to_string()).await,
            "SerializationException",
        );
    }
    let missing = env
        .raw("SignUp", &json!({"ClientId": env.client_id}).to_string())
        .await;
    expect_exception(&missing, "InvalidParameterException");
    // A 1 MB body.
    let big = format!(
        r#"{{"ClientId":"{}","Username":"{}"}}"#,
        env.client_id,
        "a".repeat(1 << 20)
    );
    let answer = env.raw("SignUp", &big).await;
    assert!((400..500).contains(&answer.status), "{}", answer.status);
    // An unknown client.
    let unknown = env
        .public
        .forgot_password()
        .client_id("abcdefghijklmnopqrstuvwxyz")
        .username("amy")
        .send()
        .await
        .expect_err("an unknown client");
    check_sdk_exception(&unknown, "ResourceNotFoundException");
    assert_eq!(users_of(&env).await, before);
}

async fn exceptions_of_sign_up_and_codes(backend: Backend) {
    let env = env_with(
        backend,
        json!({}),
        json!({"prevent_user_existence_errors": false}),
    )
    .await;
    env.confirmed_user("bea", "bea@example.com").await;
    let sign_up = |name: &str, password: &str| {
        env.public
            .sign_up()
            .client_id(&env.client_id)
            .username(name)
            .password(password)
            .user_attributes(attribute("email", &format!("{name}@example.com")))
            .send()
    };
    let taken = sign_up("bea", PASSWORD).await.expect_err("taken");
    check_sdk_exception(&taken, "UsernameExistsException");
    let weak = sign_up("cat", "short").await.expect_err("weak");
    check_sdk_exception(&weak, "InvalidPasswordException");
    let raw_weak = env
        .raw(
            "SignUp",
            &json!({"ClientId": env.client_id, "Username": "cat", "Password": "short",
                    "UserAttributes": [{"Name": "email", "Value": "cat@example.com"}]})
            .to_string(),
        )
        .await;
    expect_exception(&raw_weak, "InvalidPasswordException");
    let unknown = env
        .public
        .confirm_sign_up()
        .client_id(&env.client_id)
        .username("nobody")
        .confirmation_code("123456")
        .send()
        .await
        .expect_err("unknown");
    check_sdk_exception(&unknown, "UserNotFoundException");

    sign_up("cat", PASSWORD).await.expect("SignUp");
    let wrong = env
        .public
        .confirm_sign_up()
        .client_id(&env.client_id)
        .username("cat")
        .confirmation_code("000000")
        .send()
        .await
        .expect_err("a wrong code");
    check_sdk_exception(&wrong, "CodeMismatchException");
    // Asking again within the minute is refused.
    let soon = env
        .public
        .resend_confirmation_code()
        .client_id(&env.client_id)
        .username("cat")
        .send()
        .await
        .expect_err("too soon");
    check_sdk_exception(&soon, "LimitExceededException");
    // An unconfirmed user with the right password is told to confirm.
    let unconfirmed = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "cat")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect_err("unconfirmed");
    check_sdk_exception(&unconfirmed, "UserNotConfirmedException");
}

async fn exceptions_of_sign_in(backend: Backend) {
    let env = env(backend).await;
    env.confirmed_user("dan", "dan@example.com").await;
    env.confirmed_user("eve", "eve@example.com").await;
    let sign_in = |name: &'static str, password: &'static str| {
        env.public
            .initiate_auth()
            .client_id(&env.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", name)
            .auth_parameters("PASSWORD", password)
            .send()
    };
    let wrong = sign_in("dan", "Wrong-password-1").await.expect_err("wrong");
    let wrong = wrong.into_service_error();
    assert!(wrong.is_not_authorized_exception());
    assert_eq!(wrong.message(), Some("Incorrect username or password."));
    // An admin's reset.
    env.admin
        .admin_reset_user_password()
        .user_pool_id(&env.pool)
        .username("dan")
        .send()
        .await
        .expect("AdminResetUserPassword");
    let reset = sign_in("dan", PASSWORD).await.expect_err("reset required");
    check_sdk_exception(&reset, "PasswordResetRequiredException");
    // A flow the client does not allow.
    let bare = env
        .app
        .admin(
            "POST",
            &format!("/pools/{}/clients", env.pool),
            Some(json!({"name": "bare", "explicit_auth_flows": ["ALLOW_REFRESH_TOKEN_AUTH"]})),
        )
        .await
        .expect(201);
    let refused = env
        .public
        .initiate_auth()
        .client_id(bare["client_id"].as_str().expect("id"))
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "eve")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect_err("not allowed");
    check_sdk_exception(&refused, "InvalidParameterException");
}

async fn iam_denies_with_access_denied(backend: Backend) {
    let env = env(backend).await;
    env.confirmed_user("fay", "fay@example.com").await;
    let reader = env
        .app
        .iam_user_with(
            "reader",
            allow(&["cognito-idp:AdminGetUser"], &[&pool_arn(&env.pool)]),
        )
        .await;
    let client = sdk(&env.app, Some(&reader)).await;
    let got = client
        .admin_get_user()
        .user_pool_id(&env.pool)
        .username("fay")
        .send()
        .await
        .expect("allowed");
    assert_eq!(got.username(), "fay");
    let denied = client
        .admin_delete_user()
        .user_pool_id(&env.pool)
        .username("fay")
        .send()
        .await
        .expect_err("denied");
    check_sdk_exception(&denied, "AccessDeniedException");
    // Another pool's ARN is not this one's.
    let other = env.app.create_pool("other", json!({})).await;
    let denied = client
        .admin_get_user()
        .user_pool_id(&other)
        .username("fay")
        .send()
        .await
        .expect_err("denied");
    check_sdk_exception(&denied, "AccessDeniedException");
    // Unsigned, or signed with a wrong secret.
    let unsigned = env
        .raw(
            "AdminDeleteUser",
            &json!({"UserPoolId": env.pool, "Username": "fay"}).to_string(),
        )
        .await;
    expect_exception(&unsigned, "UnrecognizedClientException");
    let mut forged = env.key.clone();
    forged.secret = "x".repeat(40);
    let forged = sdk(&env.app, Some(&forged))
        .await
        .admin_delete_user()
        .user_pool_id(&env.pool)
        .username("fay")
        .send()
        .await
        .expect_err("forged");
    check_sdk_exception(&forged, "UnrecognizedClientException");
    // The user is still there, and every refusal is in the audit trail.
    env.admin
        .admin_get_user()
        .user_pool_id(&env.pool)
        .username("fay")
        .send()
        .await
        .expect("still there");
    let events = env.app.audit("action=cognito-idp:AdminDeleteUser").await;
    assert!(events.len() >= 2, "{events:?}");
    assert!(events.iter().all(|e| e["decision"] != "allowed"));
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
    let env = env_with(backend, json!({}), json!({"generate_secret": true})).await;
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

async fn too_many_requests_from_one_address(backend: Backend) {
    let env = env(backend).await;
    let mut last = None;
    for i in 0..31 {
        let answer = env
            .public
            .forgot_password()
            .client_id(&env.client_id)
            .username(format!("someone{i}"))
            .send()
            .await;
        last = Some(answer);
    }
    let refused = last.expect("31 requests").expect_err("the 31st is refused");
    check_sdk_exception(&refused, "TooManyRequestsException");
}

async fn alias_exists_in_an_email_pool(backend: Backend) {
    let env = env_with(
        backend,
        json!({"username_attributes": ["email"]}),
        json!({}),
    )
    .await;
    env.confirmed_user("jo@example.com", "jo@example.com").await;
    env.confirmed_user("kit@example.com", "kit@example.com")
        .await;
    let access = env.password_sign_in("kit@example.com", PASSWORD).await;
    let taken = env
        .public
        .update_user_attributes()
        .access_token(&access)
        .user_attributes(attribute("email", "jo@example.com"))
        .send()
        .await
        .expect_err("an address another account has");
    check_sdk_exception(&taken, "AliasExistsException");
    // Nothing changed: kit still signs in with the old address.
    env.password_sign_in("kit@example.com", PASSWORD).await;
}
