//! The Cognito API's user operations an admin calls: each through AWS's SDK for Rust as an
//! IAM user allowed them, and each refused to one whose policy lacks its action. Also the
//! exceptions of a second factor's codes, and an AWS-shaped region.

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, ChallengeNameType, EmailMfaSettingsType,
};
use cognate::clock::{Clock, ManualClock, SystemClock};
use serde_json::json;

use crate::helpers::cognito::{
    Env, FLOWS, attribute, check_sdk_exception, env, env_with, sdk, sdk_in,
};
use crate::helpers::iam::{allow, next_signing_second};
use crate::helpers::{Backend, PASSWORD, TestDatabase, spawn_on};
use crate::smtp::SmtpSink;
use crate::{code_of, on_both};

on_both!(
    user_operations_through_the_sdk,
    user_operations_need_their_actions,
    wrong_email_codes_expire_then_lock,
    an_aws_shaped_region_names_the_pools,
);

async fn user_operations_through_the_sdk(backend: Backend) {
    // Cognito's default client: no rotation, so `REFRESH_TOKEN_AUTH` refreshes.
    let env = env_with(
        backend,
        json!({}),
        json!({"refresh_token_rotation": {"enabled": false}}),
    )
    .await;
    let (a, p) = (&env.admin, env.pool.as_str());
    env.confirmed_user("lee", "lee@example.com").await;
    a.admin_update_user_attributes()
        .user_pool_id(p)
        .username("lee")
        .user_attributes(attribute("given_name", "Lee"))
        .user_attributes(attribute("custom:team", "x"))
        .send()
        .await
        .expect_err("an attribute the pool has not defined");
    a.admin_update_user_attributes()
        .user_pool_id(p)
        .username("lee")
        .user_attributes(attribute("given_name", "Lee"))
        .send()
        .await
        .expect("AdminUpdateUserAttributes");
    let got = a
        .admin_get_user()
        .user_pool_id(p)
        .username("lee")
        .send()
        .await
        .expect("AdminGetUser");
    let given = got
        .user_attributes()
        .iter()
        .find(|x| x.name() == "given_name");
    assert_eq!(given.and_then(|x| x.value()), Some("Lee"));
    a.admin_delete_user_attributes()
        .user_pool_id(p)
        .username("lee")
        .user_attribute_names("given_name")
        .send()
        .await
        .expect("AdminDeleteUserAttributes");
    let got = a
        .admin_get_user()
        .user_pool_id(p)
        .username("lee")
        .send()
        .await
        .expect("AdminGetUser");
    assert!(
        got.user_attributes()
            .iter()
            .all(|x| x.name() != "given_name")
    );

    // Signed out everywhere: the tokens it held stop working.
    let access = env.password_sign_in("lee", PASSWORD).await;
    env.clock.advance_secs(1);
    a.admin_user_global_sign_out()
        .user_pool_id(p)
        .username("lee")
        .send()
        .await
        .expect("AdminUserGlobalSignOut");
    let gone = env.public.get_user().access_token(&access).send().await;
    check_sdk_exception(&gone.expect_err("signed out"), "NotAuthorizedException");

    // MFA preference, as AdminGetUser then shows it.
    a.admin_set_user_mfa_preference()
        .user_pool_id(p)
        .username("lee")
        .email_mfa_settings(
            EmailMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .expect("AdminSetUserMFAPreference");
    let got = a
        .admin_get_user()
        .user_pool_id(p)
        .username("lee")
        .send()
        .await
        .expect("AdminGetUser");
    assert_eq!(got.preferred_mfa_setting(), Some("EMAIL_OTP"));
    assert_eq!(got.user_mfa_setting_list(), ["EMAIL_OTP"]);

    // A sign-up confirmed by the admin.
    env.public
        .sign_up()
        .client_id(&env.client_id)
        .username("max")
        .password(PASSWORD)
        .user_attributes(attribute("email", "max@example.com"))
        .send()
        .await
        .expect("SignUp");
    a.admin_confirm_sign_up()
        .user_pool_id(p)
        .username("max")
        .send()
        .await
        .expect("AdminConfirmSignUp");
    env.password_sign_in("max", PASSWORD).await;
    // The same call again: the SDK signs it anew only in another second.
    next_signing_second().await;
    let again = a
        .admin_confirm_sign_up()
        .user_pool_id(p)
        .username("max")
        .send()
        .await;
    check_sdk_exception(
        &again.expect_err("already confirmed"),
        "NotAuthorizedException",
    );

    // An invitation sent again, with a new temporary password, answered through the admin
    // flow's own challenge step.
    a.admin_create_user()
        .user_pool_id(p)
        .username("ned")
        .temporary_password("Temporary-pass-1")
        .user_attributes(attribute("email", "ned@example.com"))
        .send()
        .await
        .expect("AdminCreateUser");
    a.admin_create_user()
        .user_pool_id(p)
        .username("ned")
        .temporary_password("Temporary-pass-2")
        .message_action("RESEND".into())
        .send()
        .await
        .expect("AdminCreateUser RESEND");
    env.sink
        .wait_for_mail_to("ned@example.com", |m| m.text().contains("Temporary-pass-2"))
        .await;
    let started = a
        .admin_initiate_auth()
        .user_pool_id(p)
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::AdminNoSrpAuth)
        .auth_parameters("USERNAME", "ned")
        .auth_parameters("PASSWORD", "Temporary-pass-2")
        .send()
        .await
        .expect("AdminInitiateAuth");
    assert_eq!(
        started.challenge_name(),
        Some(&ChallengeNameType::NewPasswordRequired)
    );
    let done = a
        .admin_respond_to_auth_challenge()
        .user_pool_id(p)
        .client_id(&env.client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(started.session().expect("a session"))
        .challenge_responses("USERNAME", "ned")
        .challenge_responses("NEW_PASSWORD", "Chosen-password-2")
        .send()
        .await
        .expect("AdminRespondToAuthChallenge");
    let refresh = done
        .authentication_result()
        .and_then(|r| r.refresh_token())
        .expect("a refresh token");
    let refreshed = a
        .admin_initiate_auth()
        .user_pool_id(p)
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", refresh)
        .send()
        .await
        .expect("AdminInitiateAuth REFRESH_TOKEN_AUTH");
    assert!(
        refreshed
            .authentication_result()
            .and_then(|r| r.access_token())
            .is_some()
    );

    // Deleted: gone for the admin and for sign-in.
    a.admin_delete_user()
        .user_pool_id(p)
        .username("ned")
        .send()
        .await
        .expect("AdminDeleteUser");
    let gone = a
        .admin_get_user()
        .user_pool_id(p)
        .username("ned")
        .send()
        .await;
    check_sdk_exception(&gone.expect_err("deleted"), "UserNotFoundException");
    // A client of another pool is not this pool's.
    let other = env.app.create_pool("other", json!({})).await;
    let wrong_pool = a
        .admin_initiate_auth()
        .user_pool_id(&other)
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "lee")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await;
    check_sdk_exception(
        &wrong_pool.expect_err("another pool's client"),
        "ResourceNotFoundException",
    );
}

async fn user_operations_need_their_actions(backend: Backend) {
    let env = env(backend).await;
    env.confirmed_user("ola", "ola@example.com").await;
    let key = env
        .app
        .iam_user_with("lister", allow(&["cognito-idp:ListUserPools"], &["*"]))
        .await;
    let c = sdk(&env.app, Some(&key)).await;
    let (p, cid) = (env.pool.as_str(), env.client_id.as_str());
    let refused = [
        (
            "AdminCreateUser",
            code_of!(c.admin_create_user().user_pool_id(p).username("x")),
        ),
        (
            "AdminGetUser",
            code_of!(c.admin_get_user().user_pool_id(p).username("ola")),
        ),
        (
            "AdminDeleteUser",
            code_of!(c.admin_delete_user().user_pool_id(p).username("ola")),
        ),
        (
            "AdminUpdateUserAttributes",
            code_of!(
                c.admin_update_user_attributes()
                    .user_pool_id(p)
                    .username("ola")
                    .user_attributes(attribute("name", "x"))
            ),
        ),
        (
            "AdminDeleteUserAttributes",
            code_of!(
                c.admin_delete_user_attributes()
                    .user_pool_id(p)
                    .username("ola")
                    .user_attribute_names("name")
            ),
        ),
        (
            "AdminEnableUser",
            code_of!(c.admin_enable_user().user_pool_id(p).username("ola")),
        ),
        (
            "AdminDisableUser",
            code_of!(c.admin_disable_user().user_pool_id(p).username("ola")),
        ),
        (
            "AdminConfirmSignUp",
            code_of!(c.admin_confirm_sign_up().user_pool_id(p).username("ola")),
        ),
        (
            "AdminSetUserPassword",
            code_of!(
                c.admin_set_user_password()
                    .user_pool_id(p)
                    .username("ola")
                    .password(PASSWORD)
            ),
        ),
        (
            "AdminResetUserPassword",
            code_of!(
                c.admin_reset_user_password()
                    .user_pool_id(p)
                    .username("ola")
            ),
        ),
        (
            "AdminInitiateAuth",
            code_of!(
                c.admin_initiate_auth()
                    .user_pool_id(p)
                    .client_id(cid)
                    .auth_flow(AuthFlowType::AdminUserPasswordAuth)
                    .auth_parameters("USERNAME", "ola")
                    .auth_parameters("PASSWORD", PASSWORD)
            ),
        ),
        (
            "AdminRespondToAuthChallenge",
            code_of!(
                c.admin_respond_to_auth_challenge()
                    .user_pool_id(p)
                    .client_id(cid)
                    .challenge_name(ChallengeNameType::NewPasswordRequired)
            ),
        ),
        (
            "AdminUserGlobalSignOut",
            code_of!(
                c.admin_user_global_sign_out()
                    .user_pool_id(p)
                    .username("ola")
            ),
        ),
        (
            "AdminSetUserMFAPreference",
            code_of!(
                c.admin_set_user_mfa_preference()
                    .user_pool_id(p)
                    .username("ola")
            ),
        ),
        ("ListUsers", code_of!(c.list_users().user_pool_id(p))),
    ];
    for (operation, code) in refused {
        assert_eq!(
            code.as_deref(),
            Some("AccessDeniedException"),
            "{operation}"
        );
    }
    // Nothing happened on their behalf: ola signs in as before.
    env.password_sign_in("ola", PASSWORD).await;
    let denied = env.app.audit("action=cognito-idp:AdminDisableUser").await;
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0]["decision"], "implicitly_denied");
}

/// Codes by email as a second factor: a wrong code keeps the Session for another try; the
/// fifth wrong one kills the code (`ExpiredCodeException`); and past the second factor's
/// lock no code is checked (`TooManyFailedAttemptsException`).
async fn wrong_email_codes_expire_then_lock(backend: Backend) {
    let env = env_with(
        backend,
        json!({"mfa_configuration": "ON", "mfa_factors": ["EMAIL_OTP"]}),
        json!({}),
    )
    .await;
    env.confirmed_user("pam", "pam@example.com").await;
    env.admin
        .admin_set_user_mfa_preference()
        .user_pool_id(&env.pool)
        .username("pam")
        .email_mfa_settings(EmailMfaSettingsType::builder().enabled(true).build())
        .send()
        .await
        .expect("AdminSetUserMFAPreference");
    let mut seen = Vec::new();
    for _ in 0..3 {
        let started = env
            .public
            .initiate_auth()
            .client_id(&env.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", "pam")
            .auth_parameters("PASSWORD", PASSWORD)
            .send()
            .await
            .expect("InitiateAuth");
        assert_eq!(started.challenge_name(), Some(&ChallengeNameType::EmailOtp));
        let session = started.session().expect("a session").to_string();
        for _ in 0..5 {
            let answer = env
                .public
                .respond_to_auth_challenge()
                .client_id(&env.client_id)
                .challenge_name(ChallengeNameType::EmailOtp)
                .session(&session)
                .challenge_responses("USERNAME", "pam")
                .challenge_responses("EMAIL_OTP_CODE", "000000")
                .send()
                .await
                .expect_err("a wrong code");
            let code = answer.code().unwrap_or_default().to_string();
            if seen.last() != Some(&code) {
                check_sdk_exception(&answer, &code);
                seen.push(code);
            }
        }
    }
    // Four wrong codes, the fifth kills the code, and then the account's second-factor lock
    // (ten wrong guesses) holds the next sign-in's guesses unchecked.
    assert_eq!(
        seen,
        [
            "CodeMismatchException",
            "ExpiredCodeException",
            "TooManyFailedAttemptsException"
        ]
    );
}

async fn an_aws_shaped_region_names_the_pools(backend: Backend) {
    let sink = SmtpSink::start().await;
    let db = Arc::new(TestDatabase::new(backend).await);
    let clock = ManualClock::new(SystemClock.now_millis());
    let smtp = sink.url();
    let app = spawn_on(
        db,
        &[("smtp_url", smtp.as_str()), ("region", "us-east-1")],
        Some(clock.clone()),
    )
    .await;
    let key = app.iam_user_attached("ops", "AmazonCognitoPowerUser").await;
    // The SDK signs for us-east-1, as it would for AWS.
    let admin = sdk_in(&app, Some(&key), "us-east-1").await;
    let created = admin
        .create_user_pool()
        .pool_name("east")
        .send()
        .await
        .expect("CreateUserPool");
    let pool = created
        .user_pool()
        .and_then(|p| p.id())
        .expect("an id")
        .to_string();
    let (region, name) = pool.split_once('_').expect("region_name");
    assert_eq!(region, "us-east-1");
    assert_eq!(name.len(), 9);
    assert!(name.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(
        created.user_pool().and_then(|p| p.arn()),
        Some(format!("arn:aws:cognito-idp:us-east-1:000000000000:userpool/{pool}").as_str())
    );
    let client = admin
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("app")
        .set_explicit_auth_flows(Some(FLOWS.iter().map(|f| (*f).into()).collect()))
        .send()
        .await
        .expect("CreateUserPoolClient");
    let client_id = client
        .user_pool_client()
        .and_then(|c| c.client_id())
        .expect("a client id")
        .to_string();
    let env = Env {
        public: sdk_in(&app, None, "us-east-1").await,
        app,
        clock,
        sink,
        pool,
        client_id,
        client_secret: None,
        admin,
        key,
    };
    env.confirmed_user("quinn", "quinn@example.com").await;
    // SRP hashes with the part of the pool id after `_`, as Amplify takes it.
    let signed_in = crate::cognito_api::srp_sign_in(&env, "quinn", PASSWORD)
        .await
        .expect("SRP sign-in in us-east-1");
    let id = signed_in
        .authentication_result()
        .and_then(|r| r.id_token())
        .expect("an ID token");
    let iss = crate::browser::claims_of(id)["iss"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(iss.ends_with(&format!("/{}", env.pool)), "{iss}");
}
