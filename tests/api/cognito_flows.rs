//! The Cognito API's sign-in journeys beyond the password: MFA set-up and sign-in, codes
//! by email, the forced new password, the forgotten password, groups in the tokens,
//! disabled users and `ListUsers`.

use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType};
use serde_json::json;

use crate::browser::claims_of;
use crate::helpers::cognito::{
    attribute, authenticator, check_sdk_exception, code_now, env, env_with,
};
use crate::helpers::{Backend, PASSWORD};
use crate::on_both;

on_both!(
    forgot_and_confirm_forgot,
    totp_set_up_through_mfa_setup_then_sign_in,
    email_otp_sign_in_through_user_auth,
    temporary_password_leads_to_new_password_required,
    groups_appear_in_the_tokens,
    disabled_users_are_refused,
    list_users_filters_and_pages,
);

async fn forgot_and_confirm_forgot(backend: Backend) {
    let env = env(backend).await;
    env.confirmed_user("fred", "fred@example.com").await;
    let sent = env
        .public
        .forgot_password()
        .client_id(&env.client_id)
        .username("fred")
        .send()
        .await
        .expect("ForgotPassword");
    assert_eq!(
        sent.code_delivery_details().and_then(|d| d.destination()),
        Some("f***@e***")
    );
    let code = env.code_for("fred@example.com", 1).await;
    env.public
        .confirm_forgot_password()
        .client_id(&env.client_id)
        .username("fred")
        .confirmation_code(&code)
        .password("A-new-password-7")
        .send()
        .await
        .expect("ConfirmForgotPassword");
    env.password_sign_in("fred", "A-new-password-7").await;
    // The code was used once.
    let again = env
        .public
        .confirm_forgot_password()
        .client_id(&env.client_id)
        .username("fred")
        .confirmation_code(&code)
        .password("Another-password-8")
        .send()
        .await
        .expect_err("a used code");
    check_sdk_exception(&again, "CodeMismatchException");
}

async fn totp_set_up_through_mfa_setup_then_sign_in(backend: Backend) {
    let env = env_with(
        backend,
        json!({"mfa_configuration": "ON", "mfa_factors": ["SOFTWARE_TOKEN_MFA"]}),
        json!({}),
    )
    .await;
    env.confirmed_user("gina", "gina@example.com").await;
    let started = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "gina")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("InitiateAuth");
    assert_eq!(started.challenge_name(), Some(&ChallengeNameType::MfaSetup));
    let session = started.session().expect("a session").to_string();
    let associated = env
        .public
        .associate_software_token()
        .session(&session)
        .send()
        .await
        .expect("AssociateSoftwareToken");
    let totp = authenticator(associated.secret_code().expect("a secret"));
    let session = associated.session().unwrap_or(&session).to_string();
    // A wrong code keeps the session.
    let wrong = env
        .public
        .verify_software_token()
        .session(&session)
        .user_code("000000")
        .send()
        .await
        .expect_err("a wrong code");
    check_sdk_exception(&wrong, "EnableSoftwareTokenMFAException");
    let verified = env
        .public
        .verify_software_token()
        .session(&session)
        .user_code(code_now(&totp, &env, 0))
        .send()
        .await
        .expect("VerifySoftwareToken");
    let done = env
        .public
        .respond_to_auth_challenge()
        .client_id(&env.client_id)
        .challenge_name(ChallengeNameType::MfaSetup)
        .session(verified.session().expect("a session"))
        .challenge_responses("USERNAME", "gina")
        .send()
        .await
        .expect("RespondToAuthChallenge MFA_SETUP");
    let id = done
        .authentication_result()
        .and_then(|r| r.id_token())
        .expect("an ID token");
    assert_eq!(claims_of(id)["amr"], json!(["pwd", "otp", "mfa"]));

    // The next sign-in asks for the app's code; a used code is not taken twice.
    let started = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "gina")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("InitiateAuth");
    assert_eq!(
        started.challenge_name(),
        Some(&ChallengeNameType::SoftwareTokenMfa)
    );
    let session = started.session().expect("a session").to_string();
    let respond = |code: String| {
        env.public
            .respond_to_auth_challenge()
            .client_id(&env.client_id)
            .challenge_name(ChallengeNameType::SoftwareTokenMfa)
            .session(&session)
            .challenge_responses("USERNAME", "gina")
            .challenge_responses("SOFTWARE_TOKEN_MFA_CODE", code)
            .send()
    };
    let wrong = respond("123456".into()).await.expect_err("a wrong code");
    check_sdk_exception(&wrong, "CodeMismatchException");
    let signed_in = respond(code_now(&totp, &env, 1))
        .await
        .expect("the right code");
    assert!(signed_in.authentication_result().is_some());
    // The session was used: a replay is refused.
    let replay = respond(code_now(&totp, &env, 1))
        .await
        .expect_err("a replay");
    check_sdk_exception(&replay, "NotAuthorizedException");
}

async fn email_otp_sign_in_through_user_auth(backend: Backend) {
    let env = env_with(
        backend,
        json!({"sign_in_policy": {"allowed_first_auth_factors": ["PASSWORD", "EMAIL_OTP"]}}),
        json!({}),
    )
    .await;
    env.confirmed_user("hana", "hana@example.com").await;
    let chooser = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", "hana")
        .send()
        .await
        .expect("InitiateAuth USER_AUTH");
    assert_eq!(
        chooser.challenge_name(),
        Some(&ChallengeNameType::SelectChallenge)
    );
    let offered: Vec<&str> = chooser
        .available_challenges()
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert!(offered.contains(&"EMAIL_OTP"), "{offered:?}");
    let chosen = env
        .public
        .respond_to_auth_challenge()
        .client_id(&env.client_id)
        .challenge_name(ChallengeNameType::SelectChallenge)
        .session(chooser.session().expect("a session"))
        .challenge_responses("USERNAME", "hana")
        .challenge_responses("ANSWER", "EMAIL_OTP")
        .send()
        .await
        .expect("SELECT_CHALLENGE");
    assert_eq!(chosen.challenge_name(), Some(&ChallengeNameType::EmailOtp));
    let params = chosen.challenge_parameters().expect("parameters");
    assert_eq!(params["CODE_DELIVERY_DESTINATION"], "h***@e***");
    let code = env.code_for("hana@example.com", 1).await;
    let done = env
        .public
        .respond_to_auth_challenge()
        .client_id(&env.client_id)
        .challenge_name(ChallengeNameType::EmailOtp)
        .session(chosen.session().expect("a session"))
        .challenge_responses("USERNAME", "hana")
        .challenge_responses("EMAIL_OTP_CODE", code)
        .send()
        .await
        .expect("EMAIL_OTP");
    let id = done
        .authentication_result()
        .and_then(|r| r.id_token())
        .expect("an ID token");
    assert_eq!(claims_of(id)["amr"], json!(["email"]));
    // PREFERRED_CHALLENGE goes straight to the code.
    let direct = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", "hana")
        .auth_parameters("PREFERRED_CHALLENGE", "EMAIL_OTP")
        .send()
        .await
        .expect("USER_AUTH with EMAIL_OTP");
    assert_eq!(direct.challenge_name(), Some(&ChallengeNameType::EmailOtp));
}

async fn temporary_password_leads_to_new_password_required(backend: Backend) {
    let env = env(backend).await;
    env.admin
        .admin_create_user()
        .user_pool_id(&env.pool)
        .username("ivan")
        .temporary_password("Temporary-pass-1")
        .user_attributes(attribute("email", "ivan@example.com"))
        .send()
        .await
        .expect("AdminCreateUser");
    // The invitation went out with the temporary password.
    env.sink
        .wait_for_mail_to("ivan@example.com", |m| {
            m.text().contains("Temporary-pass-1")
        })
        .await;
    let started = env
        .admin
        .admin_initiate_auth()
        .user_pool_id(&env.pool)
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "ivan")
        .auth_parameters("PASSWORD", "Temporary-pass-1")
        .send()
        .await
        .expect("AdminInitiateAuth");
    assert_eq!(
        started.challenge_name(),
        Some(&ChallengeNameType::NewPasswordRequired)
    );
    let done = env
        .public
        .respond_to_auth_challenge()
        .client_id(&env.client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(started.session().expect("a session"))
        .challenge_responses("USERNAME", "ivan")
        .challenge_responses("NEW_PASSWORD", "Chosen-password-2")
        .send()
        .await
        .expect("NEW_PASSWORD_REQUIRED");
    assert!(done.authentication_result().is_some());
    env.password_sign_in("ivan", "Chosen-password-2").await;
}

async fn groups_appear_in_the_tokens(backend: Backend) {
    let env = env(backend).await;
    env.confirmed_user("jane", "jane@example.com").await;
    let groups = format!("/pools/{}/groups", env.pool);
    env.app
        .admin("POST", &groups, Some(json!({"name": "finance"})))
        .await
        .expect(201);
    env.app
        .admin("PUT", &format!("{groups}/finance/members/jane"), None)
        .await
        .expect(204);
    let out = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "jane")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("InitiateAuth");
    let result = out.authentication_result().expect("tokens");
    let access = claims_of(result.access_token().expect("access"));
    let id = claims_of(result.id_token().expect("id"));
    assert_eq!(access["cognito:groups"], json!(["finance"]));
    assert_eq!(id["cognito:groups"], json!(["finance"]));
    assert_eq!(access["scope"], "aws.cognito.signin.user.admin");
    assert_eq!(id["email"], "jane@example.com");
    assert_eq!(id["aud"], env.client_id.as_str());
}

async fn disabled_users_are_refused(backend: Backend) {
    let env = env(backend).await;
    env.confirmed_user("kim", "kim@example.com").await;
    let access = env.password_sign_in("kim", PASSWORD).await;
    env.admin
        .admin_disable_user()
        .user_pool_id(&env.pool)
        .username("kim")
        .send()
        .await
        .expect("AdminDisableUser");
    let refused = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "kim")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect_err("a disabled user");
    let refused = refused.into_service_error();
    assert!(refused.is_not_authorized_exception());
    assert_eq!(refused.meta().message(), Some("User is disabled."));
    // The tokens it held stop working too.
    let gone = env.public.get_user().access_token(&access).send().await;
    check_sdk_exception(&gone.expect_err("disabled"), "NotAuthorizedException");
    env.admin
        .admin_enable_user()
        .user_pool_id(&env.pool)
        .username("kim")
        .send()
        .await
        .expect("AdminEnableUser");
    env.password_sign_in("kim", PASSWORD).await;
}

async fn list_users_filters_and_pages(backend: Backend) {
    let env = env(backend).await;
    for i in 0..7 {
        env.admin
            .admin_create_user()
            .user_pool_id(&env.pool)
            .username(format!("user{i}"))
            .user_attributes(attribute("email", &format!("user{i}@example.com")))
            .user_attributes(attribute(
                "given_name",
                if i % 2 == 0 { "Even" } else { "Odd" },
            ))
            .message_action("SUPPRESS".into())
            .send()
            .await
            .expect("AdminCreateUser");
    }
    // Three pages of at most 3.
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = env
            .admin
            .list_users()
            .user_pool_id(&env.pool)
            .limit(3)
            .set_pagination_token(token.clone())
            .attributes_to_get("email")
            .send()
            .await
            .expect("ListUsers");
        pages += 1;
        for user in page.users() {
            names.push(user.username().unwrap_or_default().to_string());
            let attrs: Vec<&str> = user.attributes().iter().map(|a| a.name()).collect();
            assert_eq!(attrs, ["email"]);
        }
        match page.pagination_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 7);
    let filtered = |filter: &str| {
        let filter = filter.to_string();
        let admin = env.admin.clone();
        let pool = env.pool.clone();
        async move {
            admin
                .list_users()
                .user_pool_id(pool)
                .filter(filter)
                .send()
                .await
                .expect("ListUsers with a filter")
                .users()
                .iter()
                .map(|u| u.username().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(filtered("username = \"user3\"").await, ["user3"]);
    assert_eq!(filtered("email = \"user5@example.com\"").await, ["user5"]);
    assert_eq!(filtered("email ^= \"user1\"").await, ["user1"]);
    assert_eq!(filtered("given_name = \"Odd\"").await.len(), 3);
    assert_eq!(
        filtered("cognito:user_status = \"FORCE_CHANGE_PASSWORD\"")
            .await
            .len(),
        7
    );
    assert_eq!(filtered("status = \"Enabled\"").await.len(), 7);
    let bad = env
        .admin
        .list_users()
        .user_pool_id(&env.pool)
        .filter("email ~ \"x\"")
        .send()
        .await
        .expect_err("a malformed filter");
    check_sdk_exception(&bad, "InvalidParameterException");
}
