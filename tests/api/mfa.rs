//! Multi-factor sign-in (issue 11): TOTP set-up and sign-in, codes by email, recovery codes,
//! the admin routes, the account page, `amr` in ID tokens, and the attacks on each. TOTP codes
//! are computed here by the `totp-rs` crate from the `otpauth://` URI the set-up page shows,
//! on the app's manual clock; codes by email come from the real SMTP sink.

use std::time::Duration;

use cognate::clock::{Clock, ManualClock};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, RefreshToken, TokenResponse,
};
use serde_json::{Value, json};
use totp_rs::Totp;

use crate::browser::{
    Browser, CALLBACK, Page, authorize_url, claims_of, hidden, link_to, query_of, redeem,
    token_request,
};
use crate::helpers::{Backend, PASSWORD};
use crate::on_both;
use crate::signup::{Env, NEW_PASSWORD, env_with};
use crate::smtp::{Message, code_in};

on_both!(
    forced_totp_set_up_then_sign_in_with_it,
    email_codes_sign_in,
    a_recovery_code_signs_in_once,
    admin_removes_totp_for_a_lost_phone,
    admin_sets_mfa_preferences,
    optional_pool_asks_only_users_with_a_factor,
    account_page_changes_each_mail_a_notice,
    amr_and_auth_time_verified_by_openidconnect,
    going_back_to_authorize_skips_no_factor,
    a_session_without_mfa_does_not_satisfy_a_pool_now_on,
    a_pending_step_from_another_browser_is_refused,
    a_step_older_than_three_minutes_is_refused,
    a_totp_code_is_accepted_once,
    codes_two_steps_off_are_refused,
    malformed_codes_are_refused_without_counting,
    a_recovery_code_is_spent_once_under_a_race,
    brute_forced_mfa_codes_lock_like_passwords,
    csrf_is_required_on_every_new_form,
    account_changes_need_a_recent_step_up,
    a_new_device_over_an_old_one_needs_a_step_up,
);

const TOTP_ON: &str = "ON";
const SET_UP: &str = "Save your recovery codes";
const NOT_VALID: &str = "That code is not valid";
const EXPIRED: &str = "Sign-in expired";
const NOTICE_SUBJECT: &str = "security settings changed";

pub(crate) fn pool(rule: &str, factors: &[&str]) -> Value {
    json!({"mfa_configuration": rule, "mfa_factors": factors,
           "auto_verified_attributes": ["email"]})
}

/// The app with a pool of this MFA configuration and the confirmed user alice (verified
/// email alice@example.com).
async fn mfa_env(backend: Backend, config: Value) -> Env {
    let env = env_with(backend, Some(config)).await;
    add_user(&env, "alice").await;
    env
}

async fn add_user(env: &Env, name: &str) {
    env.app
        .admin(
            "POST",
            &format!("/pools/{}/users", env.web.pool),
            Some(
                json!({"username": name, "password": PASSWORD, "email_verified": true,
                        "attributes": {"email": format!("{name}@example.com")}}),
            ),
        )
        .await
        .expect(201);
}

async fn user(env: &Env, name: &str) -> Value {
    env.app
        .admin(
            "GET",
            &format!("/pools/{}/users/{name}", env.web.pool),
            None,
        )
        .await
        .expect(200)
}

/// The password step of a fresh sign-in (`prompt=login`); returns where it sent the browser
/// and the PKCE verifier.
pub(crate) async fn password_step(env: &Env, browser: &Browser, name: &str) -> (Page, String) {
    let (url, verifier) = authorize_url(&env.web, &[("prompt", "login")]);
    let answer = browser.sign_in(&url, name, PASSWORD).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    (answer, verifier)
}

pub(crate) fn location(page: &Page) -> &str {
    page.location.as_deref().unwrap_or("")
}

pub(crate) fn is_code(page: &Page) -> bool {
    (page.status == 302 || page.status == 303)
        && location(page).starts_with(CALLBACK)
        && location(page).contains("code=")
}

fn code_of(page: &Page) -> String {
    assert!(is_code(page), "expected the code redirect: {page:?}");
    query_of(location(page))["code"].clone()
}

/// Follows a redirect to a hosted page that must be at `path_part`.
pub(crate) async fn follow(browser: &Browser, page: &Page, path_part: &str) -> Page {
    assert!(
        page.status == 303 && location(page).contains(path_part),
        "expected a redirect to {path_part}: {page:?}"
    );
    let next = browser.get(location(page)).await;
    assert_eq!(next.status, 200, "{}", next.body);
    next
}

pub(crate) fn totp_on(page: &Page) -> Totp {
    let uri = link_to(&page.body, "Open in an authenticator app on this device")
        .unwrap_or_else(|| panic!("no otpauth link: {}", page.body));
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    Totp::from_url(&uri).unwrap_or_else(|e| panic!("{uri} is a valid key URI: {e:?}"))
}

/// The code `steps` periods from now on the app's clock.
pub(crate) fn code_at(totp: &Totp, clock: &ManualClock, steps: i64) -> String {
    let secs = clock.now_millis() / 1000 + steps * 30;
    totp.generate(secs as u64).to_string()
}

pub(crate) fn now_code(totp: &Totp, clock: &ManualClock) -> String {
    code_at(totp, clock, 0)
}

fn recovery_codes(body: &str) -> Vec<String> {
    body.match_indices("<li><code>")
        .filter_map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest.find("</code>").map(|end| rest[..end].to_string())
        })
        .collect()
}

fn amr(tokens: &Value) -> Value {
    claims_of(tokens["id_token"].as_str().expect("an ID token"))["amr"].clone()
}

/// Under `ON`, alice's first sign-in: the password, the set-up page, its first code. Returns
/// the app's TOTP, the recovery codes, the tokens, and the page of codes.
struct SetUp {
    totp: Totp,
    codes: Vec<String>,
    tokens: Value,
}

async fn forced_set_up(env: &Env, browser: &Browser) -> SetUp {
    let (answer, verifier) = password_step(env, browser, "alice").await;
    assert!(!is_code(&answer), "no code before the second factor");
    let page = follow(browser, &answer, "/mfa/setup?").await;
    let totp = totp_on(&page);
    let done = browser
        .submit(&page, &[("code", &now_code(&totp, &env.clock))])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains(SET_UP), "{}", done.body);
    let codes = recovery_codes(&done.body);
    let onward = link_to(&done.body, "Continue").expect("a way on to the app");
    let code = query_of(&onward)["code"].clone();
    let tokens = redeem(&env.app, &env.web, &code, &verifier)
        .await
        .expect(200);
    SetUp {
        totp,
        codes,
        tokens,
    }
}

/// A sign-in that reaches `/mfa`; returns the page and the verifier.
async fn at_mfa(env: &Env, browser: &Browser) -> (Page, String) {
    let (answer, verifier) = password_step(env, browser, "alice").await;
    (follow(browser, &answer, "/mfa?").await, verifier)
}

fn notices(env: &Env) -> Vec<Message> {
    env.sink
        .messages()
        .into_iter()
        .filter(|m| m.subject().contains(NOTICE_SUBJECT))
        .collect()
}

/// Waits for the `n`th mail whose subject contains `subject`.
pub(crate) async fn nth_mail(env: &Env, subject: &str, n: usize) -> Message {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let found: Vec<Message> = env
            .sink
            .messages()
            .into_iter()
            .filter(|m| m.subject().contains(subject))
            .collect();
        if found.len() >= n {
            return found[n - 1].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "mail {n} with {subject:?} did not arrive; have {}",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for_notice(env: &Env, n: usize, says: &str) {
    let mail = nth_mail(env, NOTICE_SUBJECT, n).await;
    assert!(mail.is_to("alice@example.com"));
    assert!(
        mail.text().contains(says),
        "notice {n} says {says:?}: {}",
        mail.text()
    );
}

// ---------------------------------------------------------------------------------------------
// Journeys
// ---------------------------------------------------------------------------------------------

async fn forced_totp_set_up_then_sign_in_with_it(backend: Backend) {
    let env = mfa_env(backend, pool(TOTP_ON, &["SOFTWARE_TOKEN_MFA"])).await;
    let before = user(&env, "alice").await;
    assert_eq!(
        before["mfa"],
        json!({"totp": false, "email": false, "preferred": null, "recovery_codes_left": 0})
    );
    let first = Browser::new(&env.app);
    let set_up = forced_set_up(&env, &first).await;
    assert_eq!(set_up.codes.len(), 10);
    assert!(
        set_up.codes.iter().all(|c| c.len() == 11),
        "{:?}",
        set_up.codes
    );
    assert_eq!(amr(&set_up.tokens), json!(["pwd", "otp", "mfa"]));
    assert_eq!(
        user(&env, "alice").await["mfa"],
        json!({"totp": true, "email": false, "preferred": "SOFTWARE_TOKEN_MFA", "recovery_codes_left": 10})
    );
    wait_for_notice(&env, 1, "an authenticator app was set up").await;

    // The next sign-in, in another browser, asks for the app's code.
    env.clock.advance_secs(30);
    let other = Browser::new(&env.app);
    let (page, verifier) = at_mfa(&env, &other).await;
    assert!(page.body.contains("authenticator app"), "{}", page.body);
    let done = other
        .submit(&page, &[("code", &now_code(&set_up.totp, &env.clock))])
        .await;
    let tokens = redeem(&env.app, &env.web, &code_of(&done), &verifier)
        .await
        .expect(200);
    assert_eq!(amr(&tokens), json!(["pwd", "otp", "mfa"]));
    let claims = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["auth_time"], json!(env.clock.now_millis() / 1000));
}

async fn email_codes_sign_in(backend: Backend) {
    let env = mfa_env(backend, pool(TOTP_ON, &["EMAIL_OTP"])).await;
    let browser = Browser::new(&env.app);
    let (answer, verifier) = password_step(&env, &browser, "alice").await;
    let setup = follow(&browser, &answer, "/mfa/setup?").await;
    assert!(
        link_to(&setup.body, "Open in an authenticator app on this device").is_none(),
        "the pool offers no authenticator app"
    );
    let chosen = browser
        .submit_with(&setup, ("factor", "EMAIL_OTP"), &[])
        .await;
    let page = follow(&browser, &chosen, "/mfa?").await;
    assert!(
        page.body.contains("We sent a 6-digit code"),
        "{}",
        page.body
    );
    let mail = nth_mail(&env, "sign-in code", 1).await;
    assert!(mail.is_to("alice@example.com"));
    let done = browser.submit(&page, &[("code", &code_in(&mail))]).await;
    let tokens = redeem(&env.app, &env.web, &code_of(&done), &verifier)
        .await
        .expect(200);
    assert_eq!(amr(&tokens), json!(["pwd", "email", "mfa"]));
    assert_eq!(
        user(&env, "alice").await["mfa"],
        json!({"totp": false, "email": true, "preferred": "EMAIL_OTP", "recovery_codes_left": 0})
    );

    // Next time the code comes at once; the used one is dead, five wrong ones kill the new.
    let other = Browser::new(&env.app);
    let (page, _) = at_mfa(&env, &other).await;
    let second = nth_mail(&env, "sign-in code", 2).await;
    let replay = other.submit(&page, &[("code", &code_in(&mail))]).await;
    assert!(replay.body.contains(NOT_VALID), "{}", replay.body);
    let wrong = if code_in(&second) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut page = replay;
    for _ in 0..4 {
        page = other.submit(&page, &[("code", wrong)]).await;
        assert!(!is_code(&page));
    }
    assert!(
        page.body.contains("That code no longer works"),
        "the fifth try kills the code: {}",
        page.body
    );
    let dead = other.submit(&page, &[("code", &code_in(&second))]).await;
    assert!(!is_code(&dead), "a killed code stays dead");
    // A new one by email works ("Email me a code" sends it again only through a switch; the
    // pool has one factor, so a new sign-in sends it).
    let third = Browser::new(&env.app);
    env.clock.advance_secs(16 * 60);
    let (page, verifier) = at_mfa(&env, &third).await;
    let fresh = nth_mail(&env, "sign-in code", 3).await;
    let done = third.submit(&page, &[("code", &code_in(&fresh))]).await;
    redeem(&env.app, &env.web, &code_of(&done), &verifier)
        .await
        .expect(200);
}

async fn a_recovery_code_signs_in_once(backend: Backend) {
    let env = mfa_env(backend, pool(TOTP_ON, &["SOFTWARE_TOKEN_MFA"])).await;
    let set_up = forced_set_up(&env, &Browser::new(&env.app)).await;

    let browser = Browser::new(&env.app);
    let (page, verifier) = at_mfa(&env, &browser).await;
    let form = browser
        .submit_with(&page, ("factor", "RECOVERY_CODE"), &[])
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("Recovery code"), "{}", form.body);
    let done = browser.submit(&form, &[("code", &set_up.codes[0])]).await;
    let tokens = redeem(&env.app, &env.web, &code_of(&done), &verifier)
        .await
        .expect(200);
    assert_eq!(amr(&tokens), json!(["pwd", "mfa"]));
    assert_eq!(user(&env, "alice").await["mfa"]["recovery_codes_left"], 9);

    // The same code again is refused; another one, typed loosely, works.
    let again = Browser::new(&env.app);
    let (page, _) = at_mfa(&env, &again).await;
    let form = again
        .submit_with(&page, ("factor", "RECOVERY_CODE"), &[])
        .await;
    let reused = again.submit(&form, &[("code", &set_up.codes[0])]).await;
    assert!(!is_code(&reused));
    assert!(
        reused.body.contains("not valid, or was used already"),
        "{}",
        reused.body
    );
    let loose = set_up.codes[1].replace('-', " ").to_lowercase();
    let done = again.submit(&reused, &[("code", &loose)]).await;
    assert!(is_code(&done), "{done:?}");
    assert_eq!(user(&env, "alice").await["mfa"]["recovery_codes_left"], 8);
}

async fn admin_removes_totp_for_a_lost_phone(backend: Backend) {
    let env = mfa_env(backend, pool(TOTP_ON, &["SOFTWARE_TOKEN_MFA"])).await;
    let browser = Browser::new(&env.app);
    let set_up = forced_set_up(&env, &browser).await;
    let refresh = set_up.tokens["refresh_token"].as_str().unwrap().to_string();

    let removed = env
        .app
        .admin(
            "DELETE",
            &format!("/pools/{}/users/alice/mfa/totp", env.web.pool),
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        removed["mfa"],
        json!({"totp": false, "email": false, "preferred": null, "recovery_codes_left": 0})
    );
    // Signed out everywhere: the refresh token and the session are dead.
    token_request(
        &env.app,
        &env.web.pool,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &env.web.client_id),
        ],
    )
    .await
    .expect_oauth(400, "invalid_grant");
    let (silent, _) = authorize_url(&env.web, &[("prompt", "none")]);
    let answer = browser.get(&silent).await;
    assert_eq!(
        query_of(location(&answer)).get("error").map(String::as_str),
        Some("login_required")
    );
    // The next sign-in sets up a new app; the old recovery codes are gone.
    env.clock.advance_secs(30);
    let again = forced_set_up(&env, &Browser::new(&env.app)).await;
    assert_ne!(again.codes, set_up.codes);
    env.clock.advance_secs(30);
    let other = Browser::new(&env.app);
    let (page, _) = at_mfa(&env, &other).await;
    let form = other
        .submit_with(&page, ("factor", "RECOVERY_CODE"), &[])
        .await;
    let old = other.submit(&form, &[("code", &set_up.codes[2])]).await;
    assert!(!is_code(&old), "an old recovery code died with the old app");
    let switched = other
        .submit_with(&old, ("factor", "SOFTWARE_TOKEN_MFA"), &[])
        .await;
    let page = follow(&other, &switched, "/mfa?").await;
    let old_app = other
        .submit(&page, &[("code", &now_code(&set_up.totp, &env.clock))])
        .await;
    assert!(!is_code(&old_app), "the old app's codes no longer work");
    let new_app = other
        .submit(&old_app, &[("code", &now_code(&again.totp, &env.clock))])
        .await;
    assert!(is_code(&new_app), "the new app's do: {new_app:?}");
}

async fn admin_sets_mfa_preferences(backend: Backend) {
    let env = mfa_env(
        backend,
        pool("OPTIONAL", &["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]),
    )
    .await;
    add_user(&env, "bob").await;
    let path = format!("/pools/{}/users/alice/mfa", env.web.pool);
    let set = env
        .app
        .admin("PUT", &path, Some(json!({"email_enabled": true})))
        .await
        .expect(200);
    assert_eq!(
        set["mfa"],
        json!({"totp": false, "email": true, "preferred": "EMAIL_OTP", "recovery_codes_left": 0})
    );
    // A factor the user has not set up cannot be preferred.
    env.app
        .admin(
            "PUT",
            &path,
            Some(json!({"preferred": "SOFTWARE_TOKEN_MFA"})),
        )
        .await
        .expect_error(422, "validation_failed");
    for bad in [
        json!({"preferred": "SMS_MFA"}),
        json!({"email_enabled": "yes"}),
        json!({"email_enabled": true, "extra": 1}),
        json!([]),
    ] {
        let answer = env.app.admin("PUT", &path, Some(bad.clone())).await;
        assert!(
            answer.status == 400 || answer.status == 422,
            "{bad}: {answer:?}"
        );
    }
    // Off again: nothing is preferred, and the user is no longer asked.
    let off = env
        .app
        .admin("PUT", &path, Some(json!({"email_enabled": false})))
        .await
        .expect(200);
    assert_eq!(off["mfa"]["preferred"], Value::Null);
    env.app
        .admin(
            "PUT",
            &format!("/pools/{}/users/nobody/mfa", env.web.pool),
            Some(json!({"email_enabled": true})),
        )
        .await
        .expect_error(404, "not_found");
    env.app
        .admin(
            "DELETE",
            &format!("/pools/{}/users/nobody/mfa/totp", env.web.pool),
            None,
        )
        .await
        .expect_error(404, "not_found");
    // Only a verified address takes codes by email.
    env.app
        .admin(
            "PATCH",
            &format!("/pools/{}/users/bob", env.web.pool),
            Some(json!({"email_verified": false})),
        )
        .await
        .expect(200);
    env.app
        .admin(
            "PUT",
            &format!("/pools/{}/users/bob/mfa", env.web.pool),
            Some(json!({"email_enabled": true})),
        )
        .await
        .expect_error(422, "validation_failed");
}

async fn optional_pool_asks_only_users_with_a_factor(backend: Backend) {
    let env = mfa_env(
        backend,
        pool("OPTIONAL", &["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]),
    )
    .await;
    add_user(&env, "bob").await;
    env.app
        .admin(
            "PUT",
            &format!("/pools/{}/users/alice/mfa", env.web.pool),
            Some(json!({"email_enabled": true})),
        )
        .await
        .expect(200);
    // bob has no factor: the password is enough.
    let browser = Browser::new(&env.app);
    let (answer, verifier) = password_step(&env, &browser, "bob").await;
    let tokens = redeem(&env.app, &env.web, &code_of(&answer), &verifier)
        .await
        .expect(200);
    assert_eq!(amr(&tokens), json!(["pwd"]));
    // alice has one: she is asked for it.
    let browser = Browser::new(&env.app);
    let (page, verifier) = at_mfa(&env, &browser).await;
    let mail = nth_mail(&env, "sign-in code", 1).await;
    let done = browser.submit(&page, &[("code", &code_in(&mail))]).await;
    let tokens = redeem(&env.app, &env.web, &code_of(&done), &verifier)
        .await
        .expect(200);
    assert_eq!(amr(&tokens), json!(["pwd", "email", "mfa"]));
    // OFF: nobody is asked, and the factor is kept.
    env.app
        .admin(
            "PATCH",
            &format!("/pools/{}", env.web.pool),
            Some(json!({"mfa_configuration": "OFF"})),
        )
        .await
        .expect(200);
    let browser = Browser::new(&env.app);
    let (answer, verifier) = password_step(&env, &browser, "alice").await;
    let tokens = redeem(&env.app, &env.web, &code_of(&answer), &verifier)
        .await
        .expect(200);
    assert_eq!(amr(&tokens), json!(["pwd"]));
    assert_eq!(user(&env, "alice").await["mfa"]["email"], true);
}

/// Signs alice in (password only: an OPTIONAL pool and no factor yet) and opens the page.
async fn account(env: &Env, browser: &Browser) -> Page {
    let (answer, _) = password_step(env, browser, "alice").await;
    assert!(is_code(&answer), "{answer:?}");
    let page = browser.get(&format!("/{}/account", env.web.pool)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Signed in as <strong>alice</strong>"));
    page
}

pub(crate) async fn account_page(env: &Env, browser: &Browser) -> Page {
    let page = browser.get(&format!("/{}/account", env.web.pool)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page
}

pub(crate) async fn step_up_with_password(env: &Env, browser: &Browser) {
    let verify = browser
        .get(&format!("/{}/account/verify", env.web.pool))
        .await;
    assert_eq!(verify.status, 200, "{}", verify.body);
    let done = browser.submit(&verify, &[("password", PASSWORD)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(
        location(&done).ends_with("/account?done=verified"),
        "{done:?}"
    );
}

/// From the account page: a new authenticator app (stepped up already); returns its TOTP
/// and the recovery codes.
async fn account_set_up_totp(env: &Env, browser: &Browser) -> (Totp, Vec<String>) {
    let page = account_page(env, browser).await;
    let setup = browser.submit_to(&page, "/account/totp", &[]).await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    let totp = totp_on(&setup);
    let done = browser
        .submit(&setup, &[("code", &now_code(&totp, &env.clock))])
        .await;
    assert!(done.body.contains(SET_UP), "{}", done.body);
    (totp, recovery_codes(&done.body))
}

async fn account_page_changes_each_mail_a_notice(backend: Backend) {
    let env = mfa_env(
        backend,
        pool("OPTIONAL", &["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]),
    )
    .await;
    let elsewhere = Browser::new(&env.app);
    password_step(&env, &elsewhere, "alice").await;
    let browser = Browser::new(&env.app);
    account(&env, &browser).await;
    step_up_with_password(&env, &browser).await;

    let (totp, codes) = account_set_up_totp(&env, &browser).await;
    assert_eq!(codes.len(), 10);
    wait_for_notice(&env, 1, "an authenticator app was set up").await;
    assert_eq!(
        user(&env, "alice").await["mfa"],
        json!({"totp": true, "email": false, "preferred": "SOFTWARE_TOKEN_MFA", "recovery_codes_left": 10})
    );

    let page = account_page(&env, &browser).await;
    let fresh = browser
        .submit_to(&page, "/account/recovery-codes", &[])
        .await;
    let new_codes = recovery_codes(&fresh.body);
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|c| !codes.contains(c)));
    wait_for_notice(&env, 2, "new recovery codes were made").await;

    let page = account_page(&env, &browser).await;
    let on = browser.submit_to(&page, "/account/email", &[]).await;
    assert!(location(&on).ends_with("done=email_on"), "{on:?}");
    wait_for_notice(&env, 3, "codes by email were turned on").await;

    let page = account_page(&env, &browser).await;
    let preferred = browser
        .submit_to(&page, "/account/preferred", &[("preferred", "EMAIL_OTP")])
        .await;
    assert!(location(&preferred).ends_with("done=preferred"));
    wait_for_notice(&env, 4, "codes by email are now asked for first").await;
    assert_eq!(user(&env, "alice").await["mfa"]["preferred"], "EMAIL_OTP");

    let page = account_page(&env, &browser).await;
    let off = browser.submit_to(&page, "/account/email", &[]).await;
    assert!(location(&off).ends_with("done=email_off"));
    wait_for_notice(&env, 5, "codes by email were turned off").await;
    assert_eq!(
        user(&env, "alice").await["mfa"],
        json!({"totp": true, "email": false, "preferred": "SOFTWARE_TOKEN_MFA", "recovery_codes_left": 10})
    );

    let page = account_page(&env, &browser).await;
    let removed = browser.submit_to(&page, "/account/totp/remove", &[]).await;
    assert!(location(&removed).ends_with("done=totp_removed"));
    wait_for_notice(
        &env,
        6,
        "the authenticator app and its recovery codes were removed",
    )
    .await;
    assert_eq!(user(&env, "alice").await["mfa"]["totp"], false);
    let _ = totp;

    let page = account_page(&env, &browser).await;
    let changed = browser
        .submit_to(
            &page,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert!(location(&changed).ends_with("done=password"), "{changed:?}");
    wait_for_notice(&env, 7, "your password was changed").await;
    assert_eq!(notices(&env).len(), 7);
    // This browser goes on; the other one was signed out; the new password is the one.
    let (silent, _) = authorize_url(&env.web, &[("prompt", "none")]);
    let mine = browser.get(&silent).await;
    assert!(is_code(&mine), "this browser stays signed in: {mine:?}");
    let other = elsewhere.get(&silent).await;
    assert_eq!(
        query_of(location(&other)).get("error").map(String::as_str),
        Some("login_required")
    );
    let (url, _) = authorize_url(&env.web, &[("prompt", "login")]);
    let old = Browser::new(&env.app)
        .sign_in(&url, "alice", PASSWORD)
        .await;
    assert!(!is_code(&old) && old.status == 200);
    let new = Browser::new(&env.app)
        .sign_in(&url, "alice", NEW_PASSWORD)
        .await;
    assert!(is_code(&new), "{new:?}");
}

async fn amr_and_auth_time_verified_by_openidconnect(backend: Backend) {
    let env = mfa_env(backend, pool(TOTP_ON, &["SOFTWARE_TOKEN_MFA"])).await;
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(env.web.issuer.clone()).unwrap(),
        &http,
    )
    .await
    .expect("discovery");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(env.web.client_id.clone()),
        None,
    )
    .set_redirect_uri(RedirectUrl::new(CALLBACK.to_string()).unwrap());
    let sign_in = || {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, _, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge)
            .add_extra_param("prompt", "login")
            .url();
        (url.to_string(), verifier, nonce)
    };
    let methods = |claims: &openidconnect::core::CoreIdTokenClaims| -> Vec<String> {
        claims
            .auth_method_refs()
            .map(|all| all.iter().map(|m| m.as_str().to_string()).collect())
            .unwrap_or_default()
    };

    // TOTP, set up during the sign-in.
    let browser = Browser::new(&env.app);
    let (url, verifier, nonce) = sign_in();
    let answer = browser.sign_in(&url, "alice", PASSWORD).await;
    let page = follow(&browser, &answer, "/mfa/setup?").await;
    let totp = totp_on(&page);
    env.clock.advance_secs(5);
    let signed_in_at = env.clock.now_millis() / 1000;
    let done = browser
        .submit(&page, &[("code", &now_code(&totp, &env.clock))])
        .await;
    let codes = recovery_codes(&done.body);
    let onward = link_to(&done.body, "Continue").unwrap();
    let code = query_of(&onward)["code"].clone();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token exchange");
    let verifier = client.id_token_verifier();
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&verifier, &nonce)
        .expect("the ID token verifies");
    assert_eq!(methods(claims), ["pwd", "otp", "mfa"]);
    assert_eq!(claims.auth_time().unwrap().timestamp(), signed_in_at);

    // A refresh keeps amr and auth_time.
    env.clock.advance_secs(60);
    let refreshed = client
        .exchange_refresh_token(&RefreshToken::new(
            tokens.refresh_token().unwrap().secret().clone(),
        ))
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh");
    let again = refreshed
        .id_token()
        .unwrap()
        .claims(&verifier, |_: Option<&Nonce>| Ok(()))
        .expect("the refreshed ID token verifies");
    assert_eq!(methods(again), ["pwd", "otp", "mfa"]);
    assert_eq!(again.auth_time().unwrap().timestamp(), signed_in_at);
    assert!(refreshed.access_token().secret().len() > 20);

    // A recovery code: pwd and mfa, no otp.
    let other = Browser::new(&env.app);
    let (url, pkce, nonce) = sign_in();
    let answer = other.sign_in(&url, "alice", PASSWORD).await;
    let page = follow(&other, &answer, "/mfa?").await;
    let form = other
        .submit_with(&page, ("factor", "RECOVERY_CODE"), &[])
        .await;
    let done = other.submit(&form, &[("code", &codes[0])]).await;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code_of(&done)))
        .unwrap()
        .set_pkce_verifier(pkce)
        .request_async(&http)
        .await
        .expect("token exchange");
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&verifier, &nonce)
        .expect("the ID token verifies");
    assert_eq!(methods(claims), ["pwd", "mfa"]);
}

// ---------------------------------------------------------------------------------------------
// Attacks
// ---------------------------------------------------------------------------------------------

async fn going_back_to_authorize_skips_no_factor(backend: Backend) {
    let env = mfa_env(backend, pool(TOTP_ON, &["SOFTWARE_TOKEN_MFA"])).await;
    let set_up = forced_set_up(&env, &Browser::new(&env.app)).await;
    env.clock.advance_secs(30);

    let browser = Browser::new(&env.app);
    let (url, _) = authorize_url(&env.web, &[]);
    let answer = browser.sign_in(&url, "alice", PASSWORD).await;
    let page = follow(&browser, &answer, "/mfa?").await;
    // Straight back to the authorize endpoint: the sign-in form again, never a code.
    let back = browser.get(&url).await;
    assert!(!is_code(&back), "{back:?}");
    assert!(location(&back).contains("/login?"), "{back:?}");
    let (silent, _) = authorize_url(&env.web, &[("prompt", "none")]);
    let quiet = browser.get(&silent).await;
    assert_eq!(
        query_of(location(&quiet)).get("error").map(String::as_str),
        Some("login_required")
    );
    // The step's token does not open the set-up step either.
    let step = hidden(&page.body, "step").unwrap();
    let request = hidden(&page.body, "request").unwrap();
    let csrf = hidden(&page.body, "csrf_token").unwrap();
    let sideways = browser
        .post_form(
            &format!("/{}/mfa/setup", env.web.pool),
            &[
                ("csrf_token", &csrf),
                ("request", &request),
                ("step", &step),
                ("code", &now_code(&set_up.totp, &env.clock)),
            ],
        )
        .await;
    assert!(!is_code(&sideways));
    assert!(sideways.body.contains(EXPIRED), "{}", sideways.body);
    // Nor does the new-password step.
    let new_password = browser
        .post_form(
            &format!("/{}/new-password", env.web.pool),
            &[
                ("csrf_token", &csrf),
                ("request", &request),
                ("step", &step),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert!(!is_code(&new_password));
}

async fn a_session_without_mfa_does_not_satisfy_a_pool_now_on(backend: Backend) {
    let env = mfa_env(backend, pool("OPTIONAL", &["SOFTWARE_TOKEN_MFA"])).await;
    let browser = Browser::new(&env.app);
    let (answer, _) = password_step(&env, &browser, "alice").await;
    assert!(
        is_code(&answer),
        "OPTIONAL and no factor: signed in with the password"
    );
    env.app
        .admin(
            "PATCH",
            &format!("/pools/{}", env.web.pool),
            Some(json!({"mfa_configuration": "ON"})),
        )
        .await
        .expect(200);
    let (silent, _) = authorize_url(&env.web, &[("prompt", "none")]);
    let quiet = browser.get(&silent).await;
    assert_eq!(
        query_of(location(&quiet)).get("error").map(String::as_str),
        Some("login_required")
    );
    // Without prompt the session's user goes to the set-up, without a password again.
    let (url, verifier) = authorize_url(&env.web, &[]);
    let answer = browser.get(&url).await;
    let page = follow(&browser, &answer, "/mfa/setup?").await;
    let totp = totp_on(&page);
    let done = browser
        .submit(&page, &[("code", &now_code(&totp, &env.clock))])
        .await;
    let onward = link_to(&done.body, "Continue").unwrap();
    let tokens = redeem(&env.app, &env.web, &query_of(&onward)["code"], &verifier)
        .await
        .expect(200);
    assert_eq!(amr(&tokens), json!(["pwd", "otp", "mfa"]));
    // Now the session has MFA and answers silently.
    assert!(is_code(&browser.get(&silent).await));
}

async fn a_pending_step_from_another_browser_is_refused(backend: Backend) {
    let env = mfa_env(backend, pool(TOTP_ON, &["SOFTWARE_TOKEN_MFA"])).await;
    let set_up = forced_set_up(&env, &Browser::new(&env.app)).await;
    env.clock.advance_secs(30);
    let victim = Browser::new(&env.app);
    let (page, verifier) = at_mfa(&env, &victim).await;
    let mfa_url = format!(
        "/{}/mfa?request={}&step={}",
        env.web.pool,
        hidden(&page.body, "request").unwrap(),
        hidden(&page.body, "step").unwrap()
    );
    let code = now_code(&set_up.totp, &env.clock);

    // Another browser with the URL, and with its own request and CSRF token.
    let thief = Browser::new(&env.app);
    let opened = thief.get(&mfa_url).await;
    assert_eq!(opened.status, 400, "{}", opened.body);
    let (url, _) = authorize_url(&env.web, &[]);
    let own = thief.open_login(&url).await;
    for request in [
        hidden(&page.body, "request").unwrap(),
        hidden(&own.body, "request").unwrap(),
    ] {
        let stolen = thief
            .post_form(
                &format!("/{}/mfa", env.web.pool),
                &[
                    ("csrf_token", &hidden(&own.body, "csrf_token").unwrap()),
                    ("request", &request),
                    ("step", &hidden(&page.body, "step").unwrap()),
                    ("code", &code),
                ],
            )
            .await;
        assert!(!is_code(&stolen), "{stolen:?}");
        assert!(stolen.body.contains(EXPIRED), "{}", stolen.body);
    }
    // The victim's step was not spent by those attempts.
    let done = victim.submit(&page, &[("code", &code)]).await;
    redeem(&env.app, &env.web, &code_of(&done), &verifier)
        .await
        .expect(200);
}

async fn a_step_older_than_three_minutes_is_refused(backend: Backend) {
    let env = mfa_env(backend, pool(TOTP_ON, &["SOFTWARE_TOKEN_MFA"])).await;
    // A set-up step too: its secret dies with it.
    let browser = Browser::new(&env.app);
    let (answer, _) = password_step(&env, &browser, "alice").await;
    let setup = follow(&browser, &answer, "/mfa/setup?").await;
    let totp = totp_on(&setup);
    env.clock.advance_secs(181);
    let late = browser
        .submit(&setup, &[("code", &now_code(&totp, &env.clock))])
        .await;
    assert!(
        !is_code(&late) && late.body.contains(EXPIRED),
        "{}",
        late.body
    );
    assert_eq!(user(&env, "alice").await["mfa"]["totp"], false);

    let set_up = forced_set_up(&env, &Browser::new(&env.app)).await;
    env.clock.advance_secs(30);
    let browser = Browser::new(&env.app);
    let (page, _) = at_mfa(&env, &browser).await;
    env.clock.advance_secs(181);
    let late = browser
        .submit(&page, &[("code", &now_code(&set_up.totp, &env.clock))])
        .await;
    assert!(!is_code(&late), "{late:?}");
    assert!(late.body.contains(EXPIRED), "{}", late.body);
}

async fn a_totp_code_is_accepted_once(backend: Backend) {
    let env = mfa_env(backend, pool(TOTP_ON, &["SOFTWARE_TOKEN_MFA"])).await;
    let set_up = forced_set_up(&env, &Browser::new(&env.app)).await;
    // The set-up's own code is spent: it does not sign in again.
    let browser = Browser::new(&env.app);
    let (page, _) = at_mfa(&env, &browser).await;
    let replay = browser
        .submit(&page, &[("code", &now_code(&set_up.totp, &env.clock))])
        .await;
    assert!(!is_code(&replay), "the set-up code is spent");
    assert!(replay.body.contains(NOT_VALID));

    env.clock.advance_secs(30);
    let code = now_code(&set_up.totp, &env.clock);
    let first = Browser::new(&env.app);
    let (page, _) = at_mfa(&env, &first).await;
    assert!(is_code(&first.submit(&page, &[("code", &code)]).await));
    let second = Browser::new(&env.app);
    let (page, _) = at_mfa(&env, &second).await;
    let replay = second.submit(&page, &[("code", &code)]).await;
    assert!(!is_code(&replay), "a code is good once");

    // Two browsers with the same fresh code at the same moment: one gets in.
    env.clock.advance_secs(30);
    let code = now_code(&set_up.totp, &env.clock);
    let (a, b) = (Browser::new(&env.app), Browser::new(&env.app));
    let ((page_a, _), (page_b, _)) = tokio::join!(at_mfa(&env, &a), at_mfa(&env, &b));
    let fields = [("code", code.as_str())];
    let (done_a, done_b) = tokio::join!(a.submit(&page_a, &fields), b.submit(&page_b, &fields));
    assert_eq!(
        [is_code(&done_a), is_code(&done_b)]
            .iter()
            .filter(|x| **x)
            .count(),
        1,
        "{done_a:?} {done_b:?}"
    );
}

async fn codes_two_steps_off_are_refused(backend: Backend) {
    let env = mfa_env(backend, pool(TOTP_ON, &["SOFTWARE_TOKEN_MFA"])).await;
    let set_up = forced_set_up(&env, &Browser::new(&env.app)).await;
    env.clock.advance_secs(150);
    let browser = Browser::new(&env.app);
    let (mut page, verifier) = at_mfa(&env, &browser).await;
    for steps in [-2, 2, -3, 3] {
        page = browser
            .submit(
                &page,
                &[("code", &code_at(&set_up.totp, &env.clock, steps))],
            )
            .await;
        assert!(!is_code(&page), "{steps} steps off is refused");
        assert!(page.body.contains(NOT_VALID));
    }
    // One step of drift either way is accepted.
    let done = browser
        .submit(&page, &[("code", &code_at(&set_up.totp, &env.clock, -1))])
        .await;
    redeem(&env.app, &env.web, &code_of(&done), &verifier)
        .await
        .expect(200);
    let other = Browser::new(&env.app);
    let (page, _) = at_mfa(&env, &other).await;
    let ahead = other
        .submit(&page, &[("code", &code_at(&set_up.totp, &env.clock, 1))])
        .await;
    assert!(is_code(&ahead), "one step ahead is accepted: {ahead:?}");
}

async fn malformed_codes_are_refused_without_counting(backend: Backend) {
    let env = mfa_env(backend, pool(TOTP_ON, &["SOFTWARE_TOKEN_MFA"])).await;
    let set_up = forced_set_up(&env, &Browser::new(&env.app)).await;
    env.clock.advance_secs(30);
    let browser = Browser::new(&env.app);
    let (mut page, verifier) = at_mfa(&env, &browser).await;
    let huge = "7".repeat(10 * 1024);
    let bad: Vec<&str> = vec![
        "abcdef",
        "12345",
        "1234567",
        &huge,
        "12\u{0}456",
        "١٢٣٤٥٦",
        "",
        "12 456",
        "-12345",
        "123456\n1",
    ];
    // More malformed codes than the lock allows wrong ones: none counts as a guess.
    for code in &bad {
        let answer = browser.submit(&page, &[("code", code)]).await;
        assert!(!is_code(&answer), "{code:?}");
        assert!(
            answer.status == 200 || answer.status == 400,
            "{code:?}: {answer:?}"
        );
        if answer.status == 200 {
            assert!(answer.body.contains(NOT_VALID), "{code:?}: {}", answer.body);
            page = answer;
        }
    }
    // The same in the recovery form.
    let form = browser
        .submit_with(&page, ("factor", "RECOVERY_CODE"), &[])
        .await;
    let mut form = form;
    for code in ["x", "ABCDE-FGHJ!", &huge, "ABCDE\u{0}FGHJK"] {
        let answer = browser.submit(&form, &[("code", code)]).await;
        assert!(!is_code(&answer));
        assert!(answer.status == 200 || answer.status == 400, "{answer:?}");
        if answer.status == 200 {
            form = answer;
        }
    }
    assert_eq!(user(&env, "alice").await["mfa"]["recovery_codes_left"], 10);
    // Nothing was lost: the right code still signs in, with spaces around it.
    let back = browser
        .submit_with(&form, ("factor", "SOFTWARE_TOKEN_MFA"), &[])
        .await;
    let page = follow(&browser, &back, "/mfa?").await;
    let done = browser
        .submit(
            &page,
            &[("code", &format!(" {} ", now_code(&set_up.totp, &env.clock)))],
        )
        .await;
    redeem(&env.app, &env.web, &code_of(&done), &verifier)
        .await
        .expect(200);
}

async fn a_recovery_code_is_spent_once_under_a_race(backend: Backend) {
    let env = mfa_env(backend, pool(TOTP_ON, &["SOFTWARE_TOKEN_MFA"])).await;
    let set_up = forced_set_up(&env, &Browser::new(&env.app)).await;
    let browsers: Vec<Browser> = (0..4).map(|_| Browser::new(&env.app)).collect();
    let mut forms = Vec::new();
    for browser in &browsers {
        let (page, _) = at_mfa(&env, browser).await;
        forms.push(
            browser
                .submit_with(&page, ("factor", "RECOVERY_CODE"), &[])
                .await,
        );
    }
    let answers = futures_util::future::join_all(
        browsers
            .iter()
            .zip(&forms)
            .map(|(b, f)| async { b.submit(f, &[("code", set_up.codes[3].as_str())]).await }),
    )
    .await;
    assert_eq!(
        answers.iter().filter(|a| is_code(a)).count(),
        1,
        "one recovery code, one sign-in"
    );
    assert_eq!(user(&env, "alice").await["mfa"]["recovery_codes_left"], 9);
}

async fn brute_forced_mfa_codes_lock_like_passwords(backend: Backend) {
    let env = mfa_env(backend, pool(TOTP_ON, &["SOFTWARE_TOKEN_MFA"])).await;
    let set_up = forced_set_up(&env, &Browser::new(&env.app)).await;
    env.clock.advance_secs(30);
    let right = now_code(&set_up.totp, &env.clock);
    let wrong: Vec<String> = (0..40)
        .map(|i| format!("{:06}", (i * 7919) % 1_000_000))
        .filter(|c| (-1..=1).all(|s| *c != code_at(&set_up.totp, &env.clock, s)))
        .take(12)
        .collect();
    // Twelve browsers guess at once: parallel guesses cannot race past the lock.
    let browsers: Vec<Browser> = (0..12).map(|_| Browser::new(&env.app)).collect();
    let mut pages = Vec::new();
    for browser in &browsers {
        pages.push(at_mfa(&env, browser).await.0);
    }
    let answers = futures_util::future::join_all(
        browsers
            .iter()
            .zip(&pages)
            .zip(&wrong)
            .map(|((b, p), c)| async move { b.submit(p, &[("code", c.as_str())]).await }),
    )
    .await;
    assert!(answers.iter().all(|a| !is_code(a)));
    let locked = answers
        .iter()
        .filter(|a| a.body.contains("Too many wrong codes"))
        .count();
    assert!(
        locked >= 12 - 5,
        "at most five guesses were checked: {locked} locked"
    );
    // Locked: the right code is refused too.
    let last = answers.last().unwrap();
    let refused = browsers
        .last()
        .unwrap()
        .submit(last, &[("code", &right)])
        .await;
    assert!(!is_code(&refused), "the lock holds for the right code");
    assert!(refused.body.contains("Too many wrong codes"));
    // The lock passes with time (the first is 30 s), as a password's does.
    env.clock.advance_secs(60);
    let browser = Browser::new(&env.app);
    let (page, _) = at_mfa(&env, &browser).await;
    let done = browser
        .submit(&page, &[("code", &now_code(&set_up.totp, &env.clock))])
        .await;
    assert!(is_code(&done), "{done:?}");
}

/// Posts `fields` to `path` without a CSRF token and with another browser's; both must be
/// refused with 403.
async fn refuses_without_csrf(env: &Env, browser: &Browser, path: &str, fields: &[(&str, &str)]) {
    let stranger = Browser::new(&env.app);
    let (url, _) = authorize_url(&env.web, &[]);
    let foreign = hidden(&stranger.open_login(&url).await.body, "csrf_token").unwrap();
    let url = format!("/{}{path}", env.web.pool);
    let missing = browser.post_form(&url, fields).await;
    assert_eq!(
        missing.status, 403,
        "{path} without a token: {}",
        missing.body
    );
    let mut with_foreign = fields.to_vec();
    with_foreign.push(("csrf_token", &foreign));
    let answer = browser.post_form(&url, &with_foreign).await;
    assert_eq!(
        answer.status, 403,
        "{path} with a foreign token: {}",
        answer.body
    );
}

async fn csrf_is_required_on_every_new_form(backend: Backend) {
    let env = mfa_env(
        backend,
        pool("OPTIONAL", &["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]),
    )
    .await;
    // The sign-in steps.
    let config = pool(TOTP_ON, &["SOFTWARE_TOKEN_MFA"]);
    let on = mfa_env(backend, config).await;
    let browser = Browser::new(&on.app);
    let (answer, _) = password_step(&on, &browser, "alice").await;
    let setup = follow(&browser, &answer, "/mfa/setup?").await;
    let (request, step) = (
        hidden(&setup.body, "request").unwrap(),
        hidden(&setup.body, "step").unwrap(),
    );
    let totp = totp_on(&setup);
    let code = now_code(&totp, &on.clock);
    let fields = [
        ("request", request.as_str()),
        ("step", step.as_str()),
        ("code", code.as_str()),
    ];
    refuses_without_csrf(&on, &browser, "/mfa/setup", &fields).await;
    refuses_without_csrf(&on, &browser, "/mfa", &fields).await;
    refuses_without_csrf(
        &on,
        &browser,
        "/mfa",
        &[
            ("request", &request),
            ("step", &step),
            ("factor", "RECOVERY_CODE"),
        ],
    )
    .await;
    assert_eq!(user(&on, "alice").await["mfa"]["totp"], false);
    // The real form still works after all that.
    let done = browser.submit(&setup, &[("code", &code)]).await;
    assert!(done.body.contains(SET_UP), "{}", done.body);

    // The account page's forms, stepped up or not.
    let browser = Browser::new(&env.app);
    account(&env, &browser).await;
    for stepped_up in [false, true] {
        if stepped_up {
            step_up_with_password(&env, &browser).await;
        }
        refuses_without_csrf(&env, &browser, "/account/verify", &[("password", PASSWORD)]).await;
        refuses_without_csrf(&env, &browser, "/account/totp", &[]).await;
        refuses_without_csrf(
            &env,
            &browser,
            "/account/totp/confirm",
            &[("code", "123456")],
        )
        .await;
        refuses_without_csrf(&env, &browser, "/account/totp/remove", &[]).await;
        refuses_without_csrf(&env, &browser, "/account/email", &[("enabled", "true")]).await;
        refuses_without_csrf(
            &env,
            &browser,
            "/account/preferred",
            &[("preferred", "EMAIL_OTP")],
        )
        .await;
        refuses_without_csrf(&env, &browser, "/account/recovery-codes", &[]).await;
        refuses_without_csrf(
            &env,
            &browser,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    }
    assert_eq!(
        user(&env, "alice").await["mfa"],
        json!({"totp": false, "email": false, "preferred": null, "recovery_codes_left": 0})
    );
    assert!(notices(&env).is_empty());
}

async fn account_changes_need_a_recent_step_up(backend: Backend) {
    let env = mfa_env(
        backend,
        pool("OPTIONAL", &["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]),
    )
    .await;
    let browser = Browser::new(&env.app);
    account(&env, &browser).await;
    // Without a step-up nothing changes: each form leads to the step-up.
    let page = account_page(&env, &browser).await;
    let csrf = hidden(&page.body, "csrf_token").unwrap();
    for (action, field) in [
        ("/account/totp", ("", "")),
        ("/account/email", ("enabled", "true")),
        ("/account/recovery-codes", ("", "")),
        ("/account/preferred", ("preferred", "EMAIL_OTP")),
        ("/account/totp/remove", ("", "")),
        ("/account/totp/confirm", ("code", "123456")),
    ] {
        let answer = browser
            .post_form(
                &format!("/{}{action}", env.web.pool),
                &[("csrf_token", &csrf), field],
            )
            .await;
        assert_eq!(answer.status, 303, "{action}: {}", answer.body);
        assert!(location(&answer).ends_with("/account/verify"), "{action}");
    }
    assert_eq!(user(&env, "alice").await["mfa"]["email"], false);
    // A wrong password does not step up.
    let verify = browser
        .get(&format!("/{}/account/verify", env.web.pool))
        .await;
    let wrong = browser
        .submit(&verify, &[("password", "Wrong-horse-1")])
        .await;
    assert_eq!(wrong.status, 200);
    assert!(wrong.body.contains("That is not right"));
    step_up_with_password(&env, &browser).await;
    let (totp, _) = account_set_up_totp(&env, &browser).await;

    // Five minutes later the step-up is over: removing the app is refused.
    env.clock.advance_secs(301);
    let page = account_page(&env, &browser).await;
    let removal = browser.submit_to(&page, "/account/totp/remove", &[]).await;
    assert!(
        location(&removal).ends_with("/account/verify"),
        "{removal:?}"
    );
    assert_eq!(user(&env, "alice").await["mfa"]["totp"], true);
    // A session that never stepped up cannot either.
    let other = Browser::new(&env.app);
    let (answer, _) = password_step(&env, &other, "alice").await;
    let mfa = follow(&other, &answer, "/mfa?").await;
    let done = other
        .submit(&mfa, &[("code", &now_code(&totp, &env.clock))])
        .await;
    assert!(is_code(&done));
    let page = account_page(&env, &other).await;
    let removal = other.submit_to(&page, "/account/totp/remove", &[]).await;
    assert!(location(&removal).ends_with("/account/verify"));
    assert_eq!(user(&env, "alice").await["mfa"]["totp"], true);
    // A step-up with the app's code (the one just used is spent) allows it.
    let verify = other
        .get(&format!("/{}/account/verify", env.web.pool))
        .await;
    let replay = other
        .submit_with(
            &verify,
            ("factor", "SOFTWARE_TOKEN_MFA"),
            &[("code", &now_code(&totp, &env.clock))],
        )
        .await;
    assert_eq!(replay.status, 200, "a spent code does not step up");
    env.clock.advance_secs(30);
    let stepped = other
        .submit_with(
            &replay,
            ("factor", "SOFTWARE_TOKEN_MFA"),
            &[("code", &now_code(&totp, &env.clock))],
        )
        .await;
    assert!(location(&stepped).ends_with("done=verified"), "{stepped:?}");
    let page = account_page(&env, &other).await;
    let removal = other.submit_to(&page, "/account/totp/remove", &[]).await;
    assert!(location(&removal).ends_with("done=totp_removed"));
    assert_eq!(user(&env, "alice").await["mfa"]["totp"], false);
    // The password change wants the current password, whatever the step-up.
    let page = account_page(&env, &other).await;
    let wrong = other
        .submit_to(
            &page,
            "/account/password",
            &[
                ("current_password", "Wrong-horse-1"),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status, 200);
    assert!(wrong.body.contains("The current password is not right"));
    let (url, _) = authorize_url(&env.web, &[("prompt", "login")]);
    let old = Browser::new(&env.app)
        .sign_in(&url, "alice", PASSWORD)
        .await;
    assert!(is_code(&old), "the password did not change");
}

async fn a_new_device_over_an_old_one_needs_a_step_up(backend: Backend) {
    let env = mfa_env(backend, pool("OPTIONAL", &["SOFTWARE_TOKEN_MFA"])).await;
    let browser = Browser::new(&env.app);
    account(&env, &browser).await;
    step_up_with_password(&env, &browser).await;
    let (old, _) = account_set_up_totp(&env, &browser).await;
    wait_for_notice(&env, 1, "an authenticator app was set up").await;

    // The step-up lapses: a new device cannot be started.
    env.clock.advance_secs(301);
    let page = account_page(&env, &browser).await;
    let start = browser.submit_to(&page, "/account/totp", &[]).await;
    assert!(location(&start).ends_with("/account/verify"), "{start:?}");
    // This session signed in with the password alone, and the account now has an app: the
    // password no longer steps it up, the app's code does.
    let verify = browser
        .get(&format!("/{}/account/verify", env.web.pool))
        .await;
    assert!(
        !verify.body.contains("name=\"password\""),
        "{}",
        verify.body
    );
    let refused = browser
        .post_form(
            &format!("/{}/account/verify", env.web.pool),
            &[
                ("csrf_token", &hidden(&verify.body, "csrf_token").unwrap()),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, 200);
    assert!(refused.body.contains("the password alone is not enough"));
    let stepped = browser
        .submit_with(
            &verify,
            ("factor", "SOFTWARE_TOKEN_MFA"),
            &[("code", &now_code(&old, &env.clock))],
        )
        .await;
    assert!(location(&stepped).ends_with("done=verified"), "{stepped:?}");
    // Started while stepped up, confirmed after the step-up lapsed: refused.
    let page = account_page(&env, &browser).await;
    let setup = browser.submit_to(&page, "/account/totp", &[]).await;
    let new = totp_on(&setup);
    env.clock.advance_secs(301);
    let late = browser
        .submit(&setup, &[("code", &now_code(&new, &env.clock))])
        .await;
    assert!(!late.body.contains(SET_UP));
    assert_eq!(late.status, 303);
    // Another signed-in browser, stepped up, cannot confirm this browser's set-up.
    let other = Browser::new(&env.app);
    let (answer, _) = password_step(&env, &other, "alice").await;
    let mfa = follow(&other, &answer, "/mfa?").await;
    assert!(is_code(
        &other
            .submit(&mfa, &[("code", &now_code(&old, &env.clock))])
            .await
    ));
    step_up_with_password(&env, &other).await;
    let csrf = hidden(&account_page(&env, &other).await.body, "csrf_token").unwrap();
    let foreign = other
        .post_form(
            &format!("/{}/account/totp/confirm", env.web.pool),
            &[("csrf_token", &csrf), ("code", &now_code(&new, &env.clock))],
        )
        .await;
    assert!(!foreign.body.contains(SET_UP), "{}", foreign.body);
    // The old app is still the one.
    env.clock.advance_secs(30);
    let check = Browser::new(&env.app);
    let (answer, _) = password_step(&env, &check, "alice").await;
    let mfa = follow(&check, &answer, "/mfa?").await;
    let done = check
        .submit(&mfa, &[("code", &now_code(&old, &env.clock))])
        .await;
    assert!(is_code(&done), "the old app still signs in: {done:?}");
    // Anything mailed would be queued by now; give the worker a moment to send it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        notices(&env).len(),
        1,
        "only the first set-up changed anything"
    );
}
