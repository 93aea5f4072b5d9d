//! The Cognito API's errors and hostile input: each exception name produced and checked in
//! `__type`, `x-amzn-ErrorType` and the SDK's typed error; malformed, oversized and
//! replayed requests refused with a clear 4xx that changes nothing.

use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use serde_json::{Value, json};

use crate::helpers::cognito::{
    Env, attribute, check_sdk_exception, env, env_with, expect_exception, raw, sdk,
};
use crate::helpers::iam::{allow, pool_arn};
use crate::helpers::{Backend, PASSWORD};
use crate::on_both;

on_both!(
    protocol_errors,
    exceptions_of_sign_up_and_codes,
    exceptions_of_sign_in,
    iam_denies_with_access_denied,
    too_many_requests_from_one_address,
    alias_exists_in_an_email_pool,
);

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
