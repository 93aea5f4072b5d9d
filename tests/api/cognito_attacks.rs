//! A security review of the Cognito API, as failing tests: each shows one way a stranger
//! tells known users from unknown ones, breaks the server, or locks a user out, through the
//! unauthenticated operations (`InitiateAuth` with `USER_SRP_AUTH` / `USER_AUTH`,
//! `RespondToAuthChallenge`, `AssociateSoftwareToken`).

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::types::EmailMfaSettingsType;
use base64::Engine;
use cognate::clock::{Clock, ManualClock, SystemClock};
use serde_json::{Value, json};

use crate::helpers::cognito::{Env, FLOWS, env, env_with, expect_exception, sdk};
use crate::helpers::srp::{SrpClient, timestamp_at};
use crate::helpers::{Answer, Backend, PASSWORD, TestDatabase, spawn_on};
use crate::on_both;
use crate::smtp::SmtpSink;

on_both!(
    srp_user_id_for_srp_tells_known_names,
    srp_failed_proofs_lock_known_names_only,
    srp_secret_block_as_session_is_a_server_error,
    email_otp_destination_tells_known_addresses,
    email_otp_wrong_codes_tell_real_sessions,
    strangers_lock_a_users_second_factor_through_email_otp,
    decoy_destinations_change_with_case,
    pending_totp_secret_is_readable_from_the_jti,
);

/// `USER_SRP_AUTH`'s first step for `username`.
async fn srp_start(env: &Env, username: &str) -> (SrpClient, Value) {
    let client = SrpClient::new();
    let body = json!({"ClientId": env.client_id, "AuthFlow": "USER_SRP_AUTH",
                      "AuthParameters": {"USERNAME": username, "SRP_A": client.public_hex()}});
    let answer = env.raw("InitiateAuth", &body.to_string()).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["ChallengeName"], "PASSWORD_VERIFIER");
    (client, answer.body["ChallengeParameters"].clone())
}

fn text<'a>(params: &'a Value, name: &str) -> &'a str {
    params[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {params}"))
}

// ---------------------------------------------------------------------------------------------
// Finding: USER_ID_FOR_SRP is the stored name for a known user and the typed text for an
// unknown one, so a case variant of a name tells whether it exists.
// ---------------------------------------------------------------------------------------------

async fn srp_user_id_for_srp_tells_known_names(backend: Backend) {
    let env = env(backend).await;
    env.confirmed_user("amy", "amy@example.com").await;
    let (_, known) = srp_start(&env, "AMY").await;
    let (_, unknown) = srp_start(&env, "ZED").await;
    let known_echoed = text(&known, "USER_ID_FOR_SRP") == "AMY";
    let unknown_echoed = text(&unknown, "USER_ID_FOR_SRP") == "ZED";
    assert_eq!(
        known_echoed, unknown_echoed,
        "USER_ID_FOR_SRP tells a known name from an unknown one: AMY -> {}, ZED -> {}",
        known["USER_ID_FOR_SRP"], unknown["USER_ID_FOR_SRP"]
    );
}

// ---------------------------------------------------------------------------------------------
// Finding: a wrong SRP proof counts against the sign-in throttle for a known name only (the
// decoy step of an unknown name is refused before `srp_proven`), so after five wrong proofs
// the known name answers "Password attempts exceeded" and the unknown one does not.
// ---------------------------------------------------------------------------------------------

async fn srp_failed_proofs_lock_known_names_only(backend: Backend) {
    let env = env(backend).await;
    env.confirmed_user("amy", "amy@example.com").await;
    let mut answers = Vec::new();
    for name in ["amy", "zed"] {
        let mut messages = Vec::new();
        for _ in 0..6 {
            let (_, params) = srp_start(&env, name).await;
            let timestamp = timestamp_at(u64::try_from(env.clock_secs()).expect("after the epoch"));
            let wrong = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
            let body = json!({"ClientId": env.client_id, "ChallengeName": "PASSWORD_VERIFIER",
                "ChallengeResponses": {
                    "USERNAME": text(&params, "USER_ID_FOR_SRP"),
                    "PASSWORD_CLAIM_SECRET_BLOCK": text(&params, "SECRET_BLOCK"),
                    "PASSWORD_CLAIM_SIGNATURE": wrong,
                    "TIMESTAMP": timestamp}});
            let answer = env.raw("RespondToAuthChallenge", &body.to_string()).await;
            expect_exception(&answer, "NotAuthorizedException");
            messages.push(
                answer.body["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        answers.push(messages);
    }
    assert_eq!(
        answers[0], answers[1],
        "wrong SRP proofs answer a known name (left) and an unknown one (right) differently"
    );
}

// ---------------------------------------------------------------------------------------------
// Finding: the token inside a real SECRET_BLOCK is a live step whose `setup_secret` is the
// sealed SRP exchange. As an `AssociateSoftwareToken` (or `SOFTWARE_TOKEN_MFA`) Session it is
// opened as a TOTP secret, fails, and answers 500; a decoy SECRET_BLOCK answers 400.
// ---------------------------------------------------------------------------------------------

async fn srp_secret_block_as_session_is_a_server_error(backend: Backend) {
    let env = env(backend).await;
    env.confirmed_user("amy", "amy@example.com").await;
    for name in ["zed", "amy"] {
        let (_, params) = srp_start(&env, name).await;
        let block = base64::engine::general_purpose::STANDARD
            .decode(text(&params, "SECRET_BLOCK"))
            .expect("base64");
        let session = String::from_utf8(block).expect("text");
        let answer = env
            .raw(
                "AssociateSoftwareToken",
                &json!({"Session": session}).to_string(),
            )
            .await;
        assert_eq!(
            answer.status, 400,
            "AssociateSoftwareToken with the SECRET_BLOCK of {name}: {}",
            answer.text
        );
        expect_exception(&answer, "NotAuthorizedException");
        let answer = env
            .raw(
                "RespondToAuthChallenge",
                &json!({"ClientId": env.client_id, "ChallengeName": "SOFTWARE_TOKEN_MFA",
                        "Session": session,
                        "ChallengeResponses": {"USERNAME": name, "SOFTWARE_TOKEN_MFA_CODE": "123456"}})
                .to_string(),
            )
            .await;
        assert_eq!(
            answer.status, 400,
            "SOFTWARE_TOKEN_MFA with the SECRET_BLOCK of {name}: {}",
            answer.text
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Finding: in a pool whose username is the email, `USER_AUTH` with `EMAIL_OTP` shows the real
// address masked for an account and two keyed random letters for anything else, so
// `zed@example.com` comes back as, say, `q***@k***`. (`ForgotPassword` masks what was typed.)
// ---------------------------------------------------------------------------------------------

fn masked(email: &str) -> String {
    let (local, domain) = email.split_once('@').expect("an address");
    format!("{}***@{}***", &local[..1], &domain[..1])
}

async fn email_otp_destination(env: &Env, username: &str) -> String {
    let body = json!({"ClientId": env.client_id, "AuthFlow": "USER_AUTH",
                      "AuthParameters": {"USERNAME": username, "PREFERRED_CHALLENGE": "EMAIL_OTP"}});
    let answer = env.raw("InitiateAuth", &body.to_string()).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["ChallengeName"], "EMAIL_OTP");
    answer.body["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"]
        .as_str()
        .expect("a destination")
        .to_string()
}

async fn email_otp_destination_tells_known_addresses(backend: Backend) {
    let env = env_with(
        backend,
        json!({"username_attributes": ["email"], "sign_in_policy": {"allowed_first_auth_factors": ["PASSWORD", "EMAIL_OTP"]}}),
        json!({}),
    )
    .await;
    env.confirmed_user("amy@example.com", "amy@example.com")
        .await;
    assert_eq!(
        email_otp_destination(&env, "amy@example.com").await,
        masked("amy@example.com")
    );
    // What ForgotPassword answers for the same unknown name: the typed address, masked.
    let forgot = env
        .raw(
            "ForgotPassword",
            &json!({"ClientId": env.client_id, "Username": "zed@example.com"}).to_string(),
        )
        .await;
    assert_eq!(
        forgot.body["CodeDeliveryDetails"]["Destination"],
        masked("zed@example.com")
    );
    for unknown in ["zed@example.com", "bob@test.org", "kim@mail.net"] {
        assert_eq!(
            email_otp_destination(&env, unknown).await,
            masked(unknown),
            "the EMAIL_OTP destination of {unknown} is not what an account would show"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Finding: wrong codes on a real `EMAIL_OTP` sign-in session end in ExpiredCode (the code's
// five tries) and TooManyFailedAttempts (the MFA throttle); a decoy session answers
// CodeMismatch for ever.
// ---------------------------------------------------------------------------------------------

/// A pool whose sign-in policy offers sign-in by a code by email.
async fn code_sign_in_env(backend: Backend) -> Env {
    env_with(
        backend,
        json!({"sign_in_policy": {"allowed_first_auth_factors": ["PASSWORD", "EMAIL_OTP"]}}),
        json!({}),
    )
    .await
}

async fn email_otp_session(env: &Env, username: &str) -> String {
    let body = json!({"ClientId": env.client_id, "AuthFlow": "USER_AUTH",
                      "AuthParameters": {"USERNAME": username, "PREFERRED_CHALLENGE": "EMAIL_OTP"}});
    let answer = env.raw("InitiateAuth", &body.to_string()).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["Session"]
        .as_str()
        .expect("a session")
        .to_string()
}

async fn email_otp_wrong_codes_tell_real_sessions(backend: Backend) {
    let env = code_sign_in_env(backend).await;
    env.confirmed_user("amy", "amy@example.com").await;
    let mut answers = Vec::new();
    for name in ["amy", "zed"] {
        let session = email_otp_session(&env, name).await;
        let wrong = if name == "amy" {
            let real = env.code_for("amy@example.com", 1).await;
            if real == "000000" { "111111" } else { "000000" }
        } else {
            "000000"
        };
        let mut types = Vec::new();
        for _ in 0..6 {
            let body = json!({"ClientId": env.client_id, "ChallengeName": "EMAIL_OTP",
                "Session": session,
                "ChallengeResponses": {"USERNAME": name, "EMAIL_OTP_CODE": wrong}});
            let answer = env.raw("RespondToAuthChallenge", &body.to_string()).await;
            assert_eq!(answer.status, 400, "{}", answer.text);
            types.push(
                answer.body["__type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        answers.push(types);
    }
    assert_eq!(
        answers[0], answers[1],
        "wrong EMAIL_OTP codes answer a known name (left) and an unknown one (right) differently"
    );
}

// ---------------------------------------------------------------------------------------------
// Finding: a stranger who knows only the username locks the account's second factor. Wrong
// `EMAIL_OTP` sign-in codes count against the same `mfa.account` counter as the second
// factor after a password, so 20 guesses from 4 addresses refuse the owner's right MFA code
// from a fifth address.
// ---------------------------------------------------------------------------------------------

/// `env_with`, behind a trusted proxy (127.0.0.1), so each request names its address.
async fn env_behind_proxy(backend: Backend, pool: Value) -> Env {
    let sink = SmtpSink::start().await;
    let db = Arc::new(TestDatabase::new(backend).await);
    let clock = ManualClock::new(SystemClock.now_millis());
    let smtp = sink.url();
    let app = spawn_on(
        db,
        &[
            ("smtp_url", smtp.as_str()),
            ("trusted_proxies", "127.0.0.1"),
        ],
        Some(clock.clone()),
    )
    .await;
    let pool = app.create_pool("api", pool).await;
    let made = app
        .admin(
            "POST",
            &format!("/pools/{pool}/clients"),
            Some(json!({"name": "app", "explicit_auth_flows": FLOWS})),
        )
        .await
        .expect(201);
    let key = app
        .iam_user_attached("backend", "AmazonCognitoPowerUser")
        .await;
    let admin = sdk(&app, Some(&key)).await;
    let public = sdk(&app, None).await;
    Env {
        clock,
        sink,
        pool,
        client_id: made["client_id"].as_str().expect("client id").to_string(),
        client_secret: None,
        admin,
        public,
        key,
        app,
    }
}

async fn raw_from(env: &Env, address: &str, operation: &str, body: Value) -> Answer {
    let request = env
        .app
        .http
        .post(env.app.url("/"))
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{operation}"),
        )
        .header("x-forwarded-for", address)
        .body(body.to_string());
    env.app.send(request).await
}

async fn strangers_lock_a_users_second_factor_through_email_otp(backend: Backend) {
    let env = env_behind_proxy(
        backend,
        json!({"mfa_configuration": "OPTIONAL", "mfa_factors": ["EMAIL_OTP"],
               "sign_in_policy": {"allowed_first_auth_factors": ["PASSWORD", "EMAIL_OTP"]}}),
    )
    .await;
    env.confirmed_user("vic", "vic@example.com").await;
    env.admin
        .admin_set_user_mfa_preference()
        .user_pool_id(&env.pool)
        .username("vic")
        .email_mfa_settings(
            EmailMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .expect("AdminSetUserMFAPreference");
    // The stranger: one code sign-in, 5 wrong codes from each of 4 addresses.
    let started = raw_from(
        &env,
        "198.51.100.1",
        "InitiateAuth",
        json!({"ClientId": env.client_id, "AuthFlow": "USER_AUTH",
               "AuthParameters": {"USERNAME": "vic", "PREFERRED_CHALLENGE": "EMAIL_OTP"}}),
    )
    .await;
    assert_eq!(started.status, 200, "{}", started.text);
    let session = started.body["Session"]
        .as_str()
        .expect("a session")
        .to_string();
    let stranger_code = env.code_for("vic@example.com", 1).await;
    let wrong = if stranger_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut guesses = Vec::new();
    for i in 1..=4 {
        for _ in 0..5 {
            let answer = raw_from(
                &env,
                &format!("198.51.100.{i}"),
                "RespondToAuthChallenge",
                json!({"ClientId": env.client_id, "ChallengeName": "EMAIL_OTP",
                       "Session": session,
                       "ChallengeResponses": {"USERNAME": "vic", "EMAIL_OTP_CODE": wrong}}),
            )
            .await;
            guesses.push(
                answer.body["__type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
    }
    // Each guess came from its forwarded address and was counted: none was refused unread.
    assert!(
        !guesses
            .iter()
            .any(|t| t == "TooManyFailedAttemptsException"),
        "{guesses:?}"
    );
    // The owner, elsewhere: the right password, then the right code by email.
    let owner = "203.0.113.7";
    let step = raw_from(
        &env,
        owner,
        "InitiateAuth",
        json!({"ClientId": env.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
               "AuthParameters": {"USERNAME": "vic", "PASSWORD": PASSWORD}}),
    )
    .await;
    assert_eq!(step.status, 200, "{}", step.text);
    assert_eq!(step.body["ChallengeName"], "EMAIL_OTP", "{}", step.text);
    let code = env.code_for("vic@example.com", 2).await;
    let done = raw_from(
        &env,
        owner,
        "RespondToAuthChallenge",
        json!({"ClientId": env.client_id, "ChallengeName": "EMAIL_OTP",
               "Session": step.body["Session"],
               "ChallengeResponses": {"USERNAME": "vic", "EMAIL_OTP_CODE": code}}),
    )
    .await;
    assert_eq!(
        done.status, 200,
        "the owner's right MFA code, from an address of its own, is refused after a \
         stranger's wrong EMAIL_OTP sign-in codes: {}",
        done.text
    );
    assert!(done.body["AuthenticationResult"]["AccessToken"].is_string());
}

// ---------------------------------------------------------------------------------------------
// Finding: the stand-in destination for a name without an account is keyed on the text as
// typed, not on the name's key, so it changes with the case of the name; a real account's
// address does not. `zed` and `ZED` differ, `amy` and `AMY` agree.
// ---------------------------------------------------------------------------------------------

async fn forgot_destination(env: &Env, username: &str) -> String {
    let answer = env
        .raw(
            "ForgotPassword",
            &json!({"ClientId": env.client_id, "Username": username}).to_string(),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["CodeDeliveryDetails"]["Destination"]
        .as_str()
        .expect("a destination")
        .to_string()
}

async fn decoy_destinations_change_with_case(backend: Backend) {
    let env = code_sign_in_env(backend).await;
    env.confirmed_user("amy", "amy@example.com").await;
    let mut stable = Vec::new();
    for name in ["amy", "zed", "bob", "kim"] {
        let upper = name.to_uppercase();
        let forgot = forgot_destination(&env, name).await == forgot_destination(&env, &upper).await;
        let otp =
            email_otp_destination(&env, name).await == email_otp_destination(&env, &upper).await;
        stable.push((name, forgot, otp));
    }
    assert!(
        stable.iter().all(|(_, forgot, otp)| *forgot && *otp),
        "(name, ForgotPassword destination same for NAME, EMAIL_OTP destination same for NAME): \
         {stable:?}; only the known name `amy` is stable"
    );
}

// ---------------------------------------------------------------------------------------------
// Finding: the pending TOTP set-up of `AssociateSoftwareToken` with an access token is kept
// under an unkeyed hash of the token's `jti`, and `AssociateSoftwareToken` with a `Session`
// shows the secret of any live step it finds. Whoever learns the `jti` (a claim, not a
// secret: logged by APIs and gateways) reads the new authenticator secret without the token.
// ---------------------------------------------------------------------------------------------

async fn pending_totp_secret_is_readable_from_the_jti(backend: Backend) {
    use sha2::{Digest, Sha256};
    let env = env(backend).await;
    env.confirmed_user("amy", "amy@example.com").await;
    let access = env.password_sign_in("amy", PASSWORD).await;
    let associated = env
        .raw(
            "AssociateSoftwareToken",
            &json!({"AccessToken": access}).to_string(),
        )
        .await;
    assert_eq!(associated.status, 200, "{}", associated.text);
    let payload = access.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("JSON");
    let jti = claims["jti"].as_str().expect("a jti");
    let session = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(format!("totp-enrol\n{jti}").as_bytes()));
    let answer = env
        .raw(
            "AssociateSoftwareToken",
            &json!({"Session": session}).to_string(),
        )
        .await;
    assert_ne!(
        answer.body["SecretCode"], associated.body["SecretCode"],
        "the pending authenticator secret, read with a Session derived from the jti alone"
    );
    expect_exception(&answer, "NotAuthorizedException");
}
