//! What the second attacker's review found in sign-in and second factors, each as it was
//! reproduced, through the AWS SDK: a code by email alone signing in past an authenticator
//! app, and the API replacing an app without proving it.

use aws_sdk_cognitoidentityprovider::types::{
    AuthFactorType, AuthFlowType, ChallengeNameType, EmailMfaSettingsType, SignInPolicyType,
    UserPoolMfaType, UserPoolPolicyType,
};
use serde_json::{Value, json};

use crate::browser::claims_of;
use crate::helpers::cognito::{Env, authenticator, check_sdk_exception, code_now, env_with};
use crate::helpers::{Backend, PASSWORD};
use crate::on_both;

on_both!(
    code_sign_in_is_off_until_the_pool_allows_it,
    a_mailed_code_does_not_pass_an_authenticator_app,
    the_api_replaces_an_app_only_after_proving_it,
    the_address_and_preference_change_only_after_proving_a_factor,
);

const CODE_FIRST: &str = r#"{"allowed_first_auth_factors": ["PASSWORD", "EMAIL_OTP"]}"#;

fn code_first() -> Value {
    serde_json::from_str(CODE_FIRST).expect("JSON")
}

async fn user_auth(
    env: &Env,
    username: &str,
    preferred: Option<&str>,
) -> Result<
    aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthOutput,
    aws_sdk_cognitoidentityprovider::error::SdkError<
        aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthError,
    >,
> {
    let mut call = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", username);
    if let Some(choice) = preferred {
        call = call.auth_parameters("PREFERRED_CHALLENGE", choice);
    }
    call.send().await
}

fn offered(
    out: &aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthOutput,
) -> Vec<String> {
    out.available_challenges()
        .iter()
        .map(|c| c.as_str().to_string())
        .collect()
}

/// Finding 1, first half: `ALLOW_USER_AUTH` (which `PASSWORD` and `PASSWORD_SRP` through
/// `USER_AUTH` need) no longer turns on sign-in by a code alone; the pool's sign-in policy
/// does, as Cognito's `AllowedFirstAuthFactors`.
async fn code_sign_in_is_off_until_the_pool_allows_it(backend: Backend) {
    let env = env_with(backend, json!({}), json!({})).await;
    env.confirmed_user("olga", "olga@example.com").await;
    let chooser = user_auth(&env, "olga", None).await.expect("USER_AUTH");
    assert_eq!(offered(&chooser), ["PASSWORD", "PASSWORD_SRP"]);
    let refused = user_auth(&env, "olga", Some("EMAIL_OTP"))
        .await
        .expect_err("no code sign-in by default");
    check_sdk_exception(&refused, "InvalidParameterException");
    // The choice in SELECT_CHALLENGE is refused the same way.
    let chosen = respond(
        &env,
        ChallengeNameType::SelectChallenge,
        chooser.session().expect("a session"),
        &[("USERNAME", "olga"), ("ANSWER", "EMAIL_OTP")],
    )
    .await
    .expect_err("EMAIL_OTP is not a choice");
    check_sdk_exception(&chosen, "InvalidParameterException");
    assert!(
        env.sink
            .messages()
            .iter()
            .all(|m| !m.subject().contains("sign-in code")),
        "no code was mailed"
    );

    // The admin API shows and sets the policy; the Cognito API shows it too.
    let path = format!("/pools/{}", env.pool);
    let pool = env.app.admin("GET", &path, None).await.expect(200);
    assert_eq!(
        pool["sign_in_policy"],
        json!({"allowed_first_auth_factors": ["PASSWORD"]})
    );
    env.app
        .admin(
            "PATCH",
            &path,
            Some(json!({"sign_in_policy": code_first()})),
        )
        .await
        .expect(200);
    let described = env
        .admin
        .describe_user_pool()
        .user_pool_id(&env.pool)
        .send()
        .await
        .expect("DescribeUserPool");
    let factors: Vec<&str> = described
        .user_pool()
        .and_then(|p| p.policies())
        .and_then(|p| p.sign_in_policy())
        .map(|p| {
            p.allowed_first_auth_factors()
                .iter()
                .map(|f| f.as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(factors, ["PASSWORD", "EMAIL_OTP"]);
    let chooser = user_auth(&env, "olga", None).await.expect("USER_AUTH");
    assert_eq!(offered(&chooser), ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]);

    // Cognito's rule: no code as a first factor where every sign-in needs a second one.
    env.app
        .admin("PATCH", &path, Some(json!({"mfa_configuration": "ON"})))
        .await
        .expect_error(422, "validation_failed");
    for bad in [
        json!({"allowed_first_auth_factors": ["EMAIL_OTP"]}),
        json!({"allowed_first_auth_factors": ["PASSWORD", "PASSWORD"]}),
        json!({"allowed_first_auth_factors": ["PASSWORD", "SMS_OTP"]}),
        json!({"allowed_first_auth_factors": ["PASSWORD", "MAGIC"]}),
    ] {
        env.app
            .admin("PATCH", &path, Some(json!({"sign_in_policy": bad})))
            .await
            .expect_error(422, "validation_failed");
    }
    let policies = || {
        UserPoolPolicyType::builder()
            .sign_in_policy(
                SignInPolicyType::builder()
                    .allowed_first_auth_factors(AuthFactorType::Password)
                    .allowed_first_auth_factors(AuthFactorType::EmailOtp)
                    .build(),
            )
            .build()
    };
    let strict = env
        .admin
        .create_user_pool()
        .pool_name("strict")
        .mfa_configuration(UserPoolMfaType::On)
        .policies(policies())
        .send()
        .await
        .expect_err("a code first where MFA is ON");
    check_sdk_exception(&strict, "InvalidParameterException");

    // A pool made through the Cognito API with the policy keeps it.
    let made = env
        .admin
        .create_user_pool()
        .pool_name("codes")
        .policies(policies())
        .send()
        .await
        .expect("CreateUserPool");
    let factors: Vec<&str> = made
        .user_pool()
        .and_then(|p| p.policies())
        .and_then(|p| p.sign_in_policy())
        .map(|p| {
            p.allowed_first_auth_factors()
                .iter()
                .map(|f| f.as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(factors, ["PASSWORD", "EMAIL_OTP"]);
}

/// Sets up an authenticator app for `username` through the API (the first factor: no
/// step-up), with the access token of a password sign-in; returns the app.
async fn api_set_up_app(env: &Env, username: &str) -> totp_rs::Totp {
    let access = env.password_sign_in(username, PASSWORD).await;
    let associated = env
        .public
        .associate_software_token()
        .access_token(&access)
        .send()
        .await
        .expect("AssociateSoftwareToken, a first factor");
    let app = authenticator(associated.secret_code().expect("a secret"));
    env.public
        .verify_software_token()
        .access_token(&access)
        .user_code(code_now(&app, env, 0))
        .send()
        .await
        .expect("VerifySoftwareToken");
    app
}

/// Finding 1, second half: an account with an authenticator app does not get tokens from
/// a mailed code alone; the sign-in goes on to the app, and the mailbox cannot stand in for
/// it a second time.
async fn a_mailed_code_does_not_pass_an_authenticator_app(backend: Backend) {
    let env = env_with(
        backend,
        json!({"mfa_configuration": "OPTIONAL", "mfa_factors": ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"],
               "sign_in_policy": code_first()}),
        json!({}),
    )
    .await;
    env.confirmed_user("pia", "pia@example.com").await;
    let app = api_set_up_app(&env, "pia").await;
    // Codes by email are a second factor of hers too, preferred.
    env.admin
        .admin_set_user_mfa_preference()
        .user_pool_id(&env.pool)
        .username("pia")
        .email_mfa_settings(
            EmailMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .expect("AdminSetUserMFAPreference");

    let mut mails = 0;
    for round in 0..2 {
        if round == 1 {
            // The same with the app the pool's only second factor.
            env.app
                .admin(
                    "PATCH",
                    &format!("/pools/{}", env.pool),
                    Some(json!({"mfa_factors": ["SOFTWARE_TOKEN_MFA"]})),
                )
                .await
                .expect(200);
        }
        let started = user_auth(&env, "pia", Some("EMAIL_OTP"))
            .await
            .expect("USER_AUTH EMAIL_OTP");
        assert_eq!(started.challenge_name(), Some(&ChallengeNameType::EmailOtp));
        mails += 1;
        let code = env.code_for("pia@example.com", mails).await;
        let after_code = respond(
            &env,
            ChallengeNameType::EmailOtp,
            started.session().expect("a session"),
            &[("USERNAME", "pia"), ("EMAIL_OTP_CODE", &code)],
        )
        .await
        .expect("the right code");
        assert!(
            after_code.authentication_result().is_none(),
            "round {round}: a mailed code alone gave tokens"
        );
        assert_eq!(
            after_code.challenge_name(),
            Some(&ChallengeNameType::SoftwareTokenMfa),
            "round {round}"
        );
        let session = after_code.session().expect("a session").to_string();
        // The mailbox cannot answer for the app: no switch to a second mailed code...
        let switched = respond(
            &env,
            ChallengeNameType::SelectMfaType,
            &session,
            &[("USERNAME", "pia"), ("ANSWER", "EMAIL_OTP")],
        )
        .await
        .expect_err("no second mailed code");
        check_sdk_exception(&switched, "InvalidParameterException");
        // ...and no EMAIL_OTP answer to the app's step.
        let as_email = respond(
            &env,
            ChallengeNameType::EmailOtp,
            &session,
            &[("USERNAME", "pia"), ("EMAIL_OTP_CODE", "123456")],
        )
        .await
        .expect_err("an emailed code for the app's step");
        check_sdk_exception(&as_email, "NotAuthorizedException");
        // That refusal spent the step: the app's code now needs a new sign-in.
        let started = user_auth(&env, "pia", Some("EMAIL_OTP"))
            .await
            .expect("USER_AUTH EMAIL_OTP again");
        mails += 1;
        let code = env.code_for("pia@example.com", mails).await;
        let after_code = respond(
            &env,
            ChallengeNameType::EmailOtp,
            started.session().expect("a session"),
            &[("USERNAME", "pia"), ("EMAIL_OTP_CODE", &code)],
        )
        .await
        .expect("the right code");
        env.clock.advance_secs(30);
        let done = respond(
            &env,
            ChallengeNameType::SoftwareTokenMfa,
            after_code.session().expect("a session"),
            &[
                ("USERNAME", "pia"),
                ("SOFTWARE_TOKEN_MFA_CODE", &code_now(&app, &env, 0)),
            ],
        )
        .await
        .expect("the app's code");
        let id = done
            .authentication_result()
            .and_then(|r| r.id_token())
            .expect("an ID token");
        assert_eq!(claims_of(id)["amr"], json!(["email", "otp", "mfa"]));
    }

    // An account without an app still signs in with the code alone.
    env.confirmed_user("quin", "quin@example.com").await;
    let started = user_auth(&env, "quin", Some("EMAIL_OTP"))
        .await
        .expect("USER_AUTH EMAIL_OTP");
    let code = env.code_for("quin@example.com", 1).await;
    let done = respond(
        &env,
        ChallengeNameType::EmailOtp,
        started.session().expect("a session"),
        &[("USERNAME", "quin"), ("EMAIL_OTP_CODE", &code)],
    )
    .await
    .expect("the right code");
    let id = done
        .authentication_result()
        .and_then(|r| r.id_token())
        .expect("an ID token");
    assert_eq!(claims_of(id)["amr"], json!(["email"]));
}

type Responded = Result<
    aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeOutput,
    aws_sdk_cognitoidentityprovider::error::SdkError<
        aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeError,
    >,
>;

/// `RespondToAuthChallenge` with `answers` (each a name and value) to `challenge`.
async fn respond(
    env: &Env,
    challenge: ChallengeNameType,
    session: &str,
    answers: &[(&str, &str)],
) -> Responded {
    let mut call = env
        .public
        .respond_to_auth_challenge()
        .client_id(&env.client_id)
        .challenge_name(challenge)
        .session(session);
    for (name, value) in answers {
        call = call.challenge_responses(*name, *value);
    }
    call.send().await
}

/// Signs in with the password, then answers the second factor `challenge` with the code
/// `code` gives (called once the challenge is there); returns the access token.
async fn sign_in_with_second(
    env: &Env,
    username: &str,
    challenge: ChallengeNameType,
    code: impl AsyncFnOnce() -> String,
) -> String {
    let started = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("InitiateAuth");
    assert_eq!(started.challenge_name(), Some(&challenge));
    let field = match challenge {
        ChallengeNameType::EmailOtp => "EMAIL_OTP_CODE",
        _ => "SOFTWARE_TOKEN_MFA_CODE",
    };
    let code = code().await;
    let done = respond(
        env,
        challenge,
        started.session().expect("a session"),
        &[("USERNAME", username), (field, &code)],
    )
    .await
    .expect("the second factor's code");
    done.authentication_result()
        .and_then(|r| r.access_token())
        .expect("an access token")
        .to_string()
}

/// Signs in with the password and the app's code; returns the access token.
async fn sign_in_with_app(env: &Env, username: &str, app: &totp_rs::Totp) -> String {
    sign_in_with_second(
        env,
        username,
        ChallengeNameType::SoftwareTokenMfa,
        async || {
            env.clock.advance_secs(30);
            code_now(app, env, 0)
        },
    )
    .await
}

/// Finding 2: `AssociateSoftwareToken` / `VerifySoftwareToken` / `SetUserMFAPreference`
/// with an access token change an existing factor only after a sign-in that proved the app
/// in the last five minutes; a replacement spends the old recovery codes and mails the user.
async fn the_api_replaces_an_app_only_after_proving_it(backend: Backend) {
    let env = env_with(
        backend,
        json!({"mfa_configuration": "OPTIONAL", "mfa_factors": ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]}),
        json!({}),
    )
    .await;
    env.confirmed_user("rosa", "rosa@example.com").await;
    // A token from before the app existed, as a mailbox reader's would be.
    let weak = env.password_sign_in("rosa", PASSWORD).await;
    let app = api_set_up_app(&env, "rosa").await;
    let associate = |token: String| {
        env.public
            .associate_software_token()
            .access_token(token)
            .send()
    };
    let refused = associate(weak.clone())
        .await
        .expect_err("the app was not proved by this token's sign-in");
    check_sdk_exception(&refused, "NotAuthorizedException");
    let verify_refused = env
        .public
        .verify_software_token()
        .access_token(&weak)
        .user_code("123456")
        .send()
        .await
        .expect_err("nothing to verify");
    assert!(
        verify_refused
            .as_service_error()
            .is_some_and(|e| e.meta().code() != Some("SUCCESS")),
        "{verify_refused:?}"
    );
    // Adding codes by email is a change of factors too.
    let email_on = env
        .public
        .set_user_mfa_preference()
        .access_token(&weak)
        .email_mfa_settings(EmailMfaSettingsType::builder().enabled(true).build())
        .send()
        .await
        .expect_err("adding a factor without the app");
    check_sdk_exception(&email_on, "NotAuthorizedException");

    // A sign-in with the app, within five minutes: the app can be replaced.
    let strong = sign_in_with_app(&env, "rosa", &app).await;
    let associated = associate(strong.clone())
        .await
        .expect("AssociateSoftwareToken");
    let new_app = authenticator(associated.secret_code().expect("a secret"));
    env.public
        .verify_software_token()
        .access_token(&strong)
        .user_code(code_now(&new_app, &env, 0))
        .send()
        .await
        .expect("VerifySoftwareToken");
    env.sink
        .wait_for_mail_to("rosa@example.com", |m| {
            m.text().contains("replaced the old one")
        })
        .await;
    let mfa = env
        .app
        .admin("GET", &format!("/pools/{}/users/rosa", env.pool), None)
        .await
        .expect(200)["mfa"]
        .clone();
    assert_eq!(mfa["totp"], json!(true));
    // Only the new app signs in now.
    let started = env
        .public
        .initiate_auth()
        .client_id(&env.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "rosa")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("InitiateAuth");
    env.clock.advance_secs(30);
    let old = respond(
        &env,
        ChallengeNameType::SoftwareTokenMfa,
        started.session().expect("a session"),
        &[
            ("USERNAME", "rosa"),
            ("SOFTWARE_TOKEN_MFA_CODE", &code_now(&app, &env, 0)),
        ],
    )
    .await
    .expect_err("the old app");
    check_sdk_exception(&old, "CodeMismatchException");

    // Five minutes on, the same strong token is too old to change factors.
    let strong = sign_in_with_app(&env, "rosa", &new_app).await;
    env.clock.advance_secs(5 * 60 + 1);
    let stale = associate(strong).await.expect_err("a stale sign-in");
    check_sdk_exception(&stale, "NotAuthorizedException");
}

/// Signs in with the password and a code by email; returns the access token.
async fn sign_in_with_mailed_code(env: &Env, username: &str, email: &str, nth: usize) -> String {
    sign_in_with_second(env, username, ChallengeNameType::EmailOtp, async || {
        env.code_for(email, nth).await
    })
    .await
}

/// The attacker's review of the fix: the address codes by email go to is a factor too. A
/// stale or stolen access token must not move it (and then set up an app as a "first"
/// factor), delete it, or steer sign-in to the mailbox through the preferred factor.
async fn the_address_and_preference_change_only_after_proving_a_factor(backend: Backend) {
    let env = env_with(
        backend,
        json!({"mfa_configuration": "OPTIONAL", "mfa_factors": ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]}),
        json!({}),
    )
    .await;
    // Every admin call first: they are signed with the wall clock, and the app's clock
    // moves on below.
    for (name, email) in [
        ("sara", "sara@example.com"),
        ("tom", "tom@example.com"),
        ("uma", "uma@example.com"),
    ] {
        env.confirmed_user(name, email).await;
    }
    env.admin
        .admin_set_user_mfa_preference()
        .user_pool_id(&env.pool)
        .username("sara")
        .email_mfa_settings(
            EmailMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .expect("AdminSetUserMFAPreference");
    let stale = sign_in_with_mailed_code(&env, "sara", "sara@example.com", 1).await;
    env.clock.advance_secs(10 * 60);
    let change = |token: &str, body: Value| {
        let mut body = body;
        body["AccessToken"] = json!(token);
        let text = body.to_string();
        async move { text }
    };
    for (operation, body) in [
        (
            "UpdateUserAttributes",
            json!({"UserAttributes": [{"Name": "email", "Value": "evil@example.com"}]}),
        ),
        (
            "DeleteUserAttributes",
            json!({"UserAttributeNames": ["email"]}),
        ),
        ("AssociateSoftwareToken", json!({})),
        (
            "SetUserMFAPreference",
            json!({"EmailMfaSettings": {"Enabled": false, "PreferredMfa": false}}),
        ),
    ] {
        let answer = env.raw(operation, &change(&stale, body).await).await;
        crate::helpers::cognito::expect_exception(&answer, "NotAuthorizedException");
    }
    let user = env
        .app
        .admin("GET", &format!("/pools/{}/users/sara", env.pool), None)
        .await
        .expect(200);
    assert_eq!(user["attributes"]["email"], "sara@example.com");
    assert_eq!(user["mfa"]["email"], true);

    // A fresh sign-in with the mailed code moves the address, and the old one hears of it.
    let fresh = sign_in_with_mailed_code(&env, "sara", "sara@example.com", 2).await;
    let answer = env
        .raw(
            "UpdateUserAttributes",
            &change(
                &fresh,
                json!({"UserAttributes": [{"Name": "email", "Value": "sara@new.example.com"}]}),
            )
            .await,
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    env.sink
        .wait_for_mail_to("sara@example.com", |m| {
            m.text().contains("email address was changed")
        })
        .await;

    // An app user's preference is not changed (here: no factor preferred) by a token that
    // did not prove the app.
    let weak = env.password_sign_in("tom", PASSWORD).await;
    api_set_up_app(&env, "tom").await;
    let answer = env
        .raw(
            "SetUserMFAPreference",
            &change(
                &weak,
                json!({"SoftwareTokenMfaSettings": {"Enabled": false}}),
            )
            .await,
        )
        .await;
    crate::helpers::cognito::expect_exception(&answer, "NotAuthorizedException");
    // A user with no factor changes the address as Cognito lets them.
    let plain = env.password_sign_in("uma", PASSWORD).await;
    env.clock.advance_secs(10 * 60);
    let answer = env
        .raw(
            "UpdateUserAttributes",
            &change(
                &plain,
                json!({"UserAttributes": [{"Name": "email", "Value": "uma@new.example.com"}]}),
            )
            .await,
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}
