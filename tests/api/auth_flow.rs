//! The sign-in state machine (`accounts::signin`) driven directly, without HTTP, as the
//! Cognito-compatible API will drive it: each transition, on a real database, with the
//! app's manual clock. Steps here are bound to their opaque token (`Binding::Opaque`); the
//! hosted pages' browser binding is covered through the pages in `mfa.rs`.

use cognate::accounts::sessions::Session;
use cognate::accounts::signin::interaction::{Interaction, decide};
use cognate::accounts::signin::machine::{
    AuthStep, Binding, Completed, Origin, Outcome, Refused, Start,
};
use cognate::accounts::signin::mfa::{self, MfaAnswer};
use cognate::accounts::signin::mfa_setup::{self, SetupAnswer};
use cognate::accounts::signin::{new_password, password, view};
use cognate::accounts::users::lookup::find_by_sub;
use cognate::clock::Clock;
use cognate::domain::MfaFactor;
use cognate::domain::Prompt;
use cognate::pools::Pool;
use cognate::pools::pool::cached_pool;
use serde_json::{Value, json};
use totp_rs::Totp;

use crate::helpers::{Backend, PASSWORD};
use crate::on_both;
use crate::signup::{Env, NEW_PASSWORD, env_with};
use crate::smtp::code_in;

on_both!(
    password_alone_completes_where_mfa_is_off,
    temporary_password_new_password_then_set_up,
    a_second_factor_and_each_answer,
    steps_are_used_once_bound_and_short_lived,
    optional_asks_only_users_with_a_factor,
    no_possible_factor_refuses_the_sign_in,
    decide_weighs_prompt_max_age_and_required_mfa,
);

fn config(rule: &str, factors: &[&str]) -> Value {
    json!({"mfa_configuration": rule, "mfa_factors": factors,
           "auto_verified_attributes": ["email"]})
}

async fn setup(backend: Backend, config: Value) -> (Env, Pool) {
    let env = env_with(backend, Some(config)).await;
    add_user(&env, "alice", json!({"password": PASSWORD})).await;
    let pool = cached_pool(&env.app.ctx, &env.web.pool).await.unwrap();
    (env, pool)
}

async fn add_user(env: &Env, name: &str, extra: Value) -> Value {
    let mut body = json!({"username": name, "email_verified": true,
                          "attributes": {"email": format!("{name}@example.com")}});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    env.app
        .admin(
            "POST",
            &format!("/pools/{}/users", env.web.pool),
            Some(body),
        )
        .await
        .expect(201)
}

fn start<'a>(env: &'a Env, pool: &'a Pool) -> Start<'a> {
    Start {
        pool,
        client_id: &env.web.client_id,
        binding: Binding::Opaque,
        origin: Origin::default(),
    }
}

fn step(outcome: Outcome) -> AuthStep {
    match outcome {
        Outcome::Step(step) => step,
        Outcome::Refused(refused) => panic!("refused: {refused:?}"),
    }
}

fn refused(outcome: Outcome) -> Refused {
    match outcome {
        Outcome::Refused(refused) => refused,
        Outcome::Step(step) => panic!("expected a refusal, got {step:?}"),
    }
}

fn complete(step: AuthStep) -> Box<Completed> {
    match step {
        AuthStep::Complete(done) => done,
        other => panic!("expected a completed sign-in, got {other:?}"),
    }
}

fn totp_of(uri: &str) -> Totp {
    Totp::from_url(uri).expect("a valid key URI")
}

fn code(env: &Env, totp: &Totp) -> String {
    totp.generate((env.clock.now_millis() / 1000) as u64)
        .to_string()
}

/// Through `MFA_SETUP` with TOTP: returns the app's TOTP and the recovery codes.
async fn set_up_totp(env: &Env, pool: &Pool) -> (Totp, Vec<String>) {
    let s = start(env, pool);
    let ctx = &env.app.ctx;
    let token = match step(password::sign_in(ctx, &s, "alice", PASSWORD).await.unwrap()) {
        AuthStep::MfaSetupRequired { token, factors } => {
            assert!(factors.contains(&MfaFactor::SoftwareToken));
            token
        }
        other => panic!("expected MFA_SETUP, got {other:?}"),
    };
    let view = view::step(ctx, &s, &token).await.unwrap().unwrap();
    let totp = totp_of(&view.setup.unwrap().1);
    let done = complete(step(
        mfa_setup::answer(ctx, &s, &token, SetupAnswer::Totp(&code(env, &totp)))
            .await
            .unwrap(),
    ));
    (totp, done.recovery_codes.unwrap())
}

async fn password_alone_completes_where_mfa_is_off(backend: Backend) {
    let (env, pool) = setup(backend, config("OFF", &["SOFTWARE_TOKEN_MFA"])).await;
    let ctx = &env.app.ctx;
    let s = start(&env, &pool);
    let done = complete(step(
        password::sign_in(ctx, &s, "alice", PASSWORD).await.unwrap(),
    ));
    assert_eq!(done.amr, "pwd");
    assert_eq!(done.auth_time, env.clock.now_millis());
    assert!(done.recovery_codes.is_none());
    for (name, password) in [
        ("alice", "Wrong-horse-1"),
        ("nobody", PASSWORD),
        ("", PASSWORD),
    ] {
        assert!(matches!(
            refused(password::sign_in(ctx, &s, name, password).await.unwrap()),
            Refused::Invalid
        ));
    }
}

async fn temporary_password_new_password_then_set_up(backend: Backend) {
    let (env, pool) = setup(backend, config("ON", &["SOFTWARE_TOKEN_MFA"])).await;
    add_user(
        &env,
        "bob",
        json!({"temporary_password": "Temporary-Pass-1"}),
    )
    .await;
    let ctx = &env.app.ctx;
    let s = start(&env, &pool);
    let token = match step(
        password::sign_in(ctx, &s, "bob", "Temporary-Pass-1")
            .await
            .unwrap(),
    ) {
        AuthStep::NewPasswordRequired { token } => token,
        other => panic!("expected NEW_PASSWORD_REQUIRED, got {other:?}"),
    };
    // A password the policy refuses leaves the step as it was.
    assert!(
        new_password::answer(ctx, &s, &token, "short", "short")
            .await
            .is_err()
    );
    let set_up = match step(
        new_password::answer(ctx, &s, &token, NEW_PASSWORD, NEW_PASSWORD)
            .await
            .unwrap(),
    ) {
        AuthStep::MfaSetupRequired { token, factors } => {
            assert_eq!(factors, vec![MfaFactor::SoftwareToken]);
            token
        }
        other => panic!("ON and no factor: MFA_SETUP, got {other:?}"),
    };
    let view = view::step(ctx, &s, &set_up).await.unwrap().unwrap();
    assert_eq!(view.step, "MFA_SETUP");
    let (secret, uri) = view.setup.unwrap();
    assert!(uri.contains(&secret));
    let totp = totp_of(&uri);
    // A wrong code: the same set-up goes on with the same secret. Whoever holds an opaque
    // token (the API's `Session`) keeps it, since an error cannot carry a new one.
    let retry = match refused(
        mfa_setup::answer(ctx, &s, &set_up, SetupAnswer::Totp("000000"))
            .await
            .unwrap(),
    ) {
        Refused::WrongCode { retry, .. } => match *retry {
            AuthStep::MfaSetupRequired { token, .. } => token,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert_eq!(retry, set_up);
    let again = view::step(ctx, &s, &retry).await.unwrap().unwrap();
    assert_eq!(again.setup.unwrap().0, secret);
    let done = complete(step(
        mfa_setup::answer(ctx, &s, &retry, SetupAnswer::Totp(&code(&env, &totp)))
            .await
            .unwrap(),
    ));
    // Used: the token is spent for good.
    assert!(matches!(
        refused(
            mfa_setup::answer(ctx, &s, &set_up, SetupAnswer::Totp(&code(&env, &totp)))
                .await
                .unwrap()
        ),
        Refused::Expired
    ));
    assert_eq!(done.amr, "pwd otp mfa");
    assert_eq!(done.recovery_codes.map(|c| c.len()), Some(10));
    // Codes by email cannot be chosen where the pool offers only the app.
    let (env2, pool2) = setup(backend, config("ON", &["SOFTWARE_TOKEN_MFA"])).await;
    let s2 = start(&env2, &pool2);
    let token = match step(
        password::sign_in(&env2.app.ctx, &s2, "alice", PASSWORD)
            .await
            .unwrap(),
    ) {
        AuthStep::MfaSetupRequired { token, .. } => token,
        other => panic!("{other:?}"),
    };
    assert!(matches!(
        refused(
            mfa_setup::answer(&env2.app.ctx, &s2, &token, SetupAnswer::Email)
                .await
                .unwrap()
        ),
        Refused::NoFactorPossible
    ));
}

async fn a_second_factor_and_each_answer(backend: Backend) {
    let (env, pool) = setup(backend, config("ON", &["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"])).await;
    let ctx = &env.app.ctx;
    let s = start(&env, &pool);
    let (totp, codes) = set_up_totp(&env, &pool).await;
    env.app
        .admin(
            "PUT",
            &format!("/pools/{}/users/alice/mfa", env.web.pool),
            Some(json!({"email_enabled": true})),
        )
        .await
        .expect(200);
    env.clock.advance_secs(30);
    let ask = || async { step(password::sign_in(ctx, &s, "alice", PASSWORD).await.unwrap()) };

    // The preferred factor first, the others to switch to, and recovery codes.
    let token = match ask().await {
        AuthStep::MfaRequired {
            token,
            current,
            factors,
            recovery,
        } => {
            assert_eq!(current, MfaFactor::SoftwareToken);
            assert_eq!(factors, vec![MfaFactor::SoftwareToken, MfaFactor::Email]);
            assert!(recovery);
            token
        }
        other => panic!("{other:?}"),
    };
    let done = complete(step(
        mfa::answer(ctx, &s, &token, MfaAnswer::Code(&code(&env, &totp)), None)
            .await
            .unwrap(),
    ));
    assert_eq!(done.amr, "pwd otp mfa");

    // A switch to codes by email sends one and asks for it.
    let token = match ask().await {
        AuthStep::MfaRequired { token, .. } => token,
        other => panic!("{other:?}"),
    };
    let email = match step(
        mfa::answer(ctx, &s, &token, MfaAnswer::Switch(MfaFactor::Email), None)
            .await
            .unwrap(),
    ) {
        AuthStep::MfaRequired { token, current, .. } => {
            assert_eq!(current, MfaFactor::Email);
            token
        }
        other => panic!("{other:?}"),
    };
    let mail = env
        .sink
        .wait_for_mail_to("alice@example.com", |m| {
            m.subject().contains("sign-in code")
        })
        .await;
    let done = complete(step(
        mfa::answer(ctx, &s, &email, MfaAnswer::Code(&code_in(&mail)), None)
            .await
            .unwrap(),
    ));
    assert_eq!(done.amr, "pwd email mfa");

    // A recovery code: pwd and mfa; a wrong code: the same step again.
    let token = match ask().await {
        AuthStep::MfaRequired { token, .. } => token,
        other => panic!("{other:?}"),
    };
    let retry = match refused(
        mfa::answer(ctx, &s, &token, MfaAnswer::Code("000000"), None)
            .await
            .unwrap(),
    ) {
        Refused::WrongCode {
            retry,
            dead,
            locked,
        } => {
            assert!(!dead && !locked);
            match *retry {
                AuthStep::MfaRequired { token, current, .. } => {
                    assert_eq!(current, MfaFactor::SoftwareToken);
                    token
                }
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    };
    let done = complete(step(
        mfa::answer(ctx, &s, &retry, MfaAnswer::Recovery(&codes[0]), None)
            .await
            .unwrap(),
    ));
    assert_eq!(done.amr, "pwd mfa");
}

async fn steps_are_used_once_bound_and_short_lived(backend: Backend) {
    let (env, pool) = setup(backend, config("ON", &["SOFTWARE_TOKEN_MFA"])).await;
    let ctx = &env.app.ctx;
    let s = start(&env, &pool);
    let (totp, _) = set_up_totp(&env, &pool).await;
    env.clock.advance_secs(30);
    let ask = || async {
        match step(password::sign_in(ctx, &s, "alice", PASSWORD).await.unwrap()) {
            AuthStep::MfaRequired { token, .. } => token,
            other => panic!("{other:?}"),
        }
    };
    // Another binding or client cannot use the token, and does not spend it.
    let token = ask().await;
    let browser = Start {
        binding: Binding::Browser {
            browser: "some-browser",
            auth_request: "some-request",
        },
        ..start(&env, &pool)
    };
    let other_client = Start {
        client_id: "another-client",
        ..start(&env, &pool)
    };
    for wrong in [&browser, &other_client] {
        assert!(matches!(
            refused(
                mfa::answer(
                    ctx,
                    wrong,
                    &token,
                    MfaAnswer::Code(&code(&env, &totp)),
                    None
                )
                .await
                .unwrap()
            ),
            Refused::Expired
        ));
    }
    // A token of the wrong shape is not even looked up.
    for junk in ["", "x", &"a".repeat(10_000), "abc\0"] {
        assert!(matches!(
            refused(
                mfa::answer(ctx, &s, junk, MfaAnswer::Code("123456"), None)
                    .await
                    .unwrap()
            ),
            Refused::Expired
        ));
    }
    // Used once.
    complete(step(
        mfa::answer(ctx, &s, &token, MfaAnswer::Code(&code(&env, &totp)), None)
            .await
            .unwrap(),
    ));
    assert!(matches!(
        refused(
            mfa::answer(ctx, &s, &token, MfaAnswer::Code(&code(&env, &totp)), None)
                .await
                .unwrap()
        ),
        Refused::Expired
    ));
    // Three minutes.
    env.clock.advance_secs(30);
    let token = ask().await;
    env.clock.advance_secs(181);
    assert!(view::step(ctx, &s, &token).await.unwrap().is_none());
    assert!(matches!(
        refused(
            mfa::answer(ctx, &s, &token, MfaAnswer::Code(&code(&env, &totp)), None)
                .await
                .unwrap()
        ),
        Refused::Expired
    ));
    // Disabled between two steps: the sign-in is over.
    let token = ask().await;
    env.app
        .admin(
            "POST",
            &format!("/pools/{}/users/alice/disable", env.web.pool),
            None,
        )
        .await
        .expect(200);
    assert!(matches!(
        refused(
            mfa::answer(ctx, &s, &token, MfaAnswer::Code(&code(&env, &totp)), None)
                .await
                .unwrap()
        ),
        Refused::Expired
    ));
}

async fn optional_asks_only_users_with_a_factor(backend: Backend) {
    let (env, pool) = setup(
        backend,
        config("OPTIONAL", &["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]),
    )
    .await;
    let ctx = &env.app.ctx;
    let s = start(&env, &pool);
    let done = complete(step(
        password::sign_in(ctx, &s, "alice", PASSWORD).await.unwrap(),
    ));
    assert_eq!(done.amr, "pwd");
    env.app
        .admin(
            "PUT",
            &format!("/pools/{}/users/alice/mfa", env.web.pool),
            Some(json!({"email_enabled": true})),
        )
        .await
        .expect(200);
    match step(password::sign_in(ctx, &s, "alice", PASSWORD).await.unwrap()) {
        AuthStep::MfaRequired {
            current, recovery, ..
        } => {
            assert_eq!(current, MfaFactor::Email);
            assert!(!recovery, "recovery codes go with an authenticator app");
        }
        other => panic!("{other:?}"),
    }
}

async fn no_possible_factor_refuses_the_sign_in(backend: Backend) {
    let (env, pool) = setup(backend, config("ON", &["EMAIL_OTP"])).await;
    add_user(
        &env,
        "carol",
        json!({"password": PASSWORD, "email_verified": false}),
    )
    .await;
    let ctx = &env.app.ctx;
    let s = start(&env, &pool);
    assert!(matches!(
        refused(password::sign_in(ctx, &s, "carol", PASSWORD).await.unwrap()),
        Refused::NoFactorPossible
    ));
    // alice has a verified address: she may choose codes by email, and is asked for one.
    let token = match step(password::sign_in(ctx, &s, "alice", PASSWORD).await.unwrap()) {
        AuthStep::MfaSetupRequired { token, factors } => {
            assert_eq!(factors, vec![MfaFactor::Email]);
            token
        }
        other => panic!("{other:?}"),
    };
    assert!(matches!(
        refused(
            mfa_setup::answer(ctx, &s, &token, SetupAnswer::Totp("123456"))
                .await
                .unwrap()
        ),
        Refused::Expired | Refused::NoFactorPossible
    ));
}

async fn decide_weighs_prompt_max_age_and_required_mfa(backend: Backend) {
    let (env, optional) = setup(backend, config("OPTIONAL", &["SOFTWARE_TOKEN_MFA"])).await;
    let on_pool = env
        .app
        .create_pool("on", config("ON", &["SOFTWARE_TOKEN_MFA"]))
        .await;
    let on = cached_pool(&env.app.ctx, &on_pool).await.unwrap();
    let sub = env
        .app
        .admin("GET", &format!("/pools/{}/users/alice", env.web.pool), None)
        .await
        .expect(200)["sub"]
        .as_str()
        .unwrap()
        .to_string();
    let user = find_by_sub(&env.app.ctx, &env.web.pool, &sub)
        .await
        .unwrap()
        .unwrap();
    let now = env.clock.now_millis();
    let session = |amr: &str, age_secs: i64| Session {
        token_hash: "h".into(),
        auth_time: now - age_secs * 1000,
        user: user.clone(),
        amr: amr.into(),
        identity_provider: None,
        upstream_id_token: None,
    };
    let pwd = session("pwd", 10);
    let mfa = session("pwd otp mfa", 10);
    use Interaction::*;
    type Case<'a> = (
        &'a Pool,
        Prompt,
        Option<i64>,
        Option<&'a Session>,
        Interaction,
    );
    let cases: Vec<Case> = vec![
        (&optional, Prompt::Default, None, None, SignIn),
        (&optional, Prompt::None, None, None, LoginRequired),
        (&optional, Prompt::Default, None, Some(&pwd), UseSession),
        (&optional, Prompt::None, None, Some(&pwd), UseSession),
        (&optional, Prompt::Login, None, Some(&pwd), SignIn),
        (&optional, Prompt::Default, Some(5), Some(&pwd), SignIn),
        (&optional, Prompt::None, Some(5), Some(&pwd), LoginRequired),
        (&optional, Prompt::Default, Some(60), Some(&pwd), UseSession),
        (&on, Prompt::Default, None, Some(&pwd), SecondFactor),
        (&on, Prompt::None, None, Some(&pwd), LoginRequired),
        (&on, Prompt::Default, None, Some(&mfa), UseSession),
        (&on, Prompt::None, None, Some(&mfa), UseSession),
        (&on, Prompt::Login, None, Some(&mfa), SignIn),
        (&on, Prompt::Default, Some(5), Some(&mfa), SignIn),
        (&on, Prompt::Default, None, None, SignIn),
    ];
    for (pool, prompt, max_age, session, expected) in cases {
        assert_eq!(
            decide(pool, prompt, max_age, session, now),
            expected,
            "{} {prompt:?} max_age={max_age:?} amr={:?}",
            pool.config.mfa_configuration,
            session.map(|s| &s.amr)
        );
    }
}
