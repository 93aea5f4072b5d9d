//! An attacker's review of multi-factor sign-in and the account page. Each test asserts the
//! secure, documented behaviour (README "Multi-factor sign-in"). The first four found holes
//! when written (a stale set-up step, racing factor removals, a 500 on a double-posted
//! password change, a password-only session replacing the factor) and guard their fixes;
//! the others held from the start.

use std::time::Duration;

use cognate::clock::{Clock, ManualClock};
use serde_json::{Value, json};
use totp_rs::Totp;

use crate::browser::{Browser, CALLBACK, Page, authorize_url, hidden, link_to, query_of};
use crate::helpers::{Backend, PASSWORD};
use crate::on_both;
use crate::signup::{Env, NEW_PASSWORD, env_configured};
use crate::smtp::{Message, code_in};

on_both!(
    // Found holes when written; fixed.
    a_stale_set_up_step_cannot_replace_a_factor_set_up_meanwhile,
    racing_removals_cannot_leave_an_on_pool_account_without_a_factor,
    parallel_password_changes_never_answer_500,
    a_session_without_mfa_cannot_replace_the_factor_in_an_on_pool,
    // Held.
    a_totp_code_races_once_between_sign_in_and_step_up,
    a_totp_code_is_bound_to_its_user,
    email_code_tries_hold_under_parallel_guesses,
    a_completed_step_cannot_be_replayed,
    an_account_set_up_confirmed_twice_at_once_makes_one_factor,
    a_half_finished_sign_in_reaches_neither_account_nor_authorize,
    a_pending_step_dies_with_a_password_change,
    a_step_up_belongs_to_its_session,
    wrong_passwords_say_nothing_about_mfa,
    no_code_or_notice_goes_to_an_unverified_address,
    hostile_input_on_account_forms_gets_4xx_or_a_page,
    hostile_input_on_mfa_forms_gets_4xx_or_a_page,
    hostile_input_on_admin_mfa_routes_gets_json_4xx,
);

const SET_UP: &str = "Save your recovery codes";
const EXPIRED: &str = "Sign-in expired";
const TRUST_LOCALHOST: (&str, &str) = ("trusted_proxies", "127.0.0.1");

fn pool(rule: &str, factors: &[&str]) -> Value {
    json!({"mfa_configuration": rule, "mfa_factors": factors,
           "auto_verified_attributes": ["email"]})
}

async fn mfa_env(backend: Backend, config: Value) -> Env {
    let env = env_configured(backend, Some(config), &[TRUST_LOCALHOST]).await;
    add_user(&env, "alice", true).await;
    env
}

async fn add_user(env: &Env, name: &str, verified: bool) {
    env.app
        .admin(
            "POST",
            &format!("/pools/{}/users", env.web.pool),
            Some(
                json!({"username": name, "password": PASSWORD, "email_verified": verified,
                        "attributes": {"email": format!("{name}@example.com")}}),
            ),
        )
        .await
        .expect(201);
}

async fn mfa_of(env: &Env, name: &str) -> Value {
    env.app
        .admin(
            "GET",
            &format!("/pools/{}/users/{name}", env.web.pool),
            None,
        )
        .await
        .expect(200)["mfa"]
        .clone()
}

async fn set_rule(env: &Env, rule: &str) {
    env.app
        .admin(
            "PATCH",
            &format!("/pools/{}", env.web.pool),
            Some(json!({"mfa_configuration": rule})),
        )
        .await
        .expect(200);
}

fn location(page: &Page) -> &str {
    page.location.as_deref().unwrap_or("")
}

fn is_code(page: &Page) -> bool {
    (page.status == 302 || page.status == 303)
        && location(page).starts_with(CALLBACK)
        && location(page).contains("code=")
}

async fn password_step(env: &Env, browser: &Browser, name: &str) -> (Page, String) {
    let (url, verifier) = authorize_url(&env.web, &[("prompt", "login")]);
    let answer = browser.sign_in(&url, name, PASSWORD).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    (answer, verifier)
}

async fn follow(browser: &Browser, page: &Page, path_part: &str) -> Page {
    assert!(
        page.status == 303 && location(page).contains(path_part),
        "expected a redirect to {path_part}: {page:?}"
    );
    let next = browser.get(location(page)).await;
    assert_eq!(next.status, 200, "{}", next.body);
    next
}

async fn at_mfa(env: &Env, browser: &Browser, name: &str) -> (Page, String) {
    let (answer, verifier) = password_step(env, browser, name).await;
    (follow(browser, &answer, "/mfa?").await, verifier)
}

fn totp_on(page: &Page) -> Totp {
    let uri = link_to(&page.body, "Open in an authenticator app on this device")
        .unwrap_or_else(|| panic!("no otpauth link: {}", page.body));
    Totp::from_url(&uri).unwrap_or_else(|e| panic!("{uri}: {e:?}"))
}

fn code_at(totp: &Totp, clock: &ManualClock, steps: i64) -> String {
    let secs = clock.now_millis() / 1000 + steps * 30;
    totp.generate(secs as u64).to_string()
}

fn now_code(totp: &Totp, clock: &ManualClock) -> String {
    code_at(totp, clock, 0)
}

/// Under `ON`, the forced set-up at the first sign-in in `browser`; returns the TOTP. The
/// browser is then signed in (with `mfa`).
async fn forced_set_up(env: &Env, browser: &Browser, name: &str) -> Totp {
    let (answer, _) = password_step(env, browser, name).await;
    let page = follow(browser, &answer, "/mfa/setup?").await;
    let totp = totp_on(&page);
    let done = browser
        .submit(&page, &[("code", &now_code(&totp, &env.clock))])
        .await;
    assert!(done.body.contains(SET_UP), "{}", done.body);
    totp
}

fn account_url(env: &Env, rest: &str) -> String {
    format!("/{}/account{rest}", env.web.pool)
}

async fn account_page(env: &Env, browser: &Browser) -> Page {
    let page = browser.get(&account_url(env, "")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page
}

async fn csrf_of(env: &Env, browser: &Browser) -> String {
    hidden(&account_page(env, browser).await.body, "csrf_token").expect("a CSRF token")
}

async fn step_up_with_password(env: &Env, browser: &Browser) {
    let verify = browser.get(&account_url(env, "/verify")).await;
    assert_eq!(verify.status, 200, "{}", verify.body);
    let done = browser.submit(&verify, &[("password", PASSWORD)]).await;
    assert!(
        location(&done).ends_with("/account?done=verified"),
        "{done:?}"
    );
}

/// From the account page (stepped up): a new authenticator app; `None` if refused.
async fn account_set_up_totp(env: &Env, browser: &Browser) -> Option<Totp> {
    let csrf = csrf_of(env, browser).await;
    let setup = browser
        .post_form(&account_url(env, "/totp"), &[("csrf_token", &csrf)])
        .await;
    if setup.status != 200 || !setup.body.contains("otpauth://") {
        return None;
    }
    let totp = totp_on(&setup);
    let done = browser
        .submit(&setup, &[("code", &now_code(&totp, &env.clock))])
        .await;
    done.body.contains(SET_UP).then_some(totp)
}

async fn post_account(env: &Env, browser: &Browser, rest: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = csrf_of(env, browser).await;
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post_form(&account_url(env, rest), &all).await
}

/// Whether a fresh sign-in with `totp`'s current code gets a code (moves the clock a step
/// so the code is unused).
async fn totp_signs_in(env: &Env, name: &str, totp: &Totp) -> bool {
    env.clock.advance_secs(30);
    let browser = Browser::new(&env.app);
    let (answer, _) = password_step(env, &browser, name).await;
    if !location(&answer).contains("/mfa?") {
        return false;
    }
    let page = follow(&browser, &answer, "/mfa?").await;
    is_code(
        &browser
            .submit(&page, &[("code", &now_code(totp, &env.clock))])
            .await,
    )
}

async fn nth_mail(env: &Env, subject: &str, n: usize) -> Message {
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

fn is_server_error(page: &Page) -> bool {
    page.status >= 500
}

// ---------------------------------------------------------------------------------------------
// Holes
// ---------------------------------------------------------------------------------------------

/// Found a hole when written. An attacker with the password, in an `ON` pool, stops at the set-up page (an
/// `MFA_SETUP` step, live 3 minutes). Meanwhile the user sets up their app. The attacker then
/// confirms the stale step with an app of their own: it must not replace the user's factor
/// (the step was for a user without one; the user has one now).
async fn a_stale_set_up_step_cannot_replace_a_factor_set_up_meanwhile(backend: Backend) {
    let env = mfa_env(backend, pool("ON", &["SOFTWARE_TOKEN_MFA"])).await;
    let attacker = Browser::new(&env.app);
    let (answer, _) = password_step(&env, &attacker, "alice").await;
    let stale = follow(&attacker, &answer, "/mfa/setup?").await;
    let attackers_app = totp_on(&stale);

    let victims_app = forced_set_up(&env, &Browser::new(&env.app), "alice").await;
    assert_eq!(mfa_of(&env, "alice").await["recovery_codes_left"], 10);

    env.clock.advance_secs(30);
    let taken = attacker
        .submit(&stale, &[("code", &now_code(&attackers_app, &env.clock))])
        .await;
    assert!(
        !taken.body.contains(SET_UP) && !is_code(&taken),
        "a stale set-up step replaced the user's authenticator app: {}",
        taken.status
    );
    assert!(
        totp_signs_in(&env, "alice", &victims_app).await,
        "the user's own app no longer signs in"
    );
}

/// Found a hole when written. In an `ON` pool a user has an app and codes by email. Removing the app and turning
/// codes by email off, posted at once, each see the other factor still there: the account
/// must keep at least one ("Under ON, the last factor cannot be removed").
async fn racing_removals_cannot_leave_an_on_pool_account_without_a_factor(backend: Backend) {
    let env = mfa_env(backend, pool("ON", &["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"])).await;
    let browser = Browser::new(&env.app);
    forced_set_up(&env, &browser, "alice").await;
    for round in 0..20 {
        // Both factors on (this session passed a factor at sign-in: its password steps up).
        step_up_with_password(&env, &browser).await;
        let state = mfa_of(&env, "alice").await;
        if state["totp"] == false {
            // The clock stays: this session's sign-in (with the app, moments ago) is what
            // lets its password step up a change of factors (`accounts::factors::step_up`).
            assert!(account_set_up_totp(&env, &browser).await.is_some());
        }
        if state["email"] == false {
            let on = post_account(&env, &browser, "/email", &[("enabled", "true")]).await;
            assert!(location(&on).ends_with("done=email_on"), "{on:?}");
        }
        let state = mfa_of(&env, "alice").await;
        assert_eq!(
            (&state["totp"], &state["email"]),
            (&json!(true), &json!(true))
        );
        let csrf = csrf_of(&env, &browser).await;
        let remove = account_url(&env, "/totp/remove");
        let email = account_url(&env, "/email");
        let remove_fields = [("csrf_token", csrf.as_str())];
        let email_fields = [("csrf_token", csrf.as_str()), ("enabled", "false")];
        let (a, b) = tokio::join!(
            browser.post_form(&remove, &remove_fields),
            browser.post_form(&email, &email_fields),
        );
        let after = mfa_of(&env, "alice").await;
        assert!(
            after["totp"] == true || after["email"] == true,
            "round {round}: both removals passed ({} / {}); the ON pool's account has no factor: {after}",
            a.status,
            b.status
        );
    }
}

/// Found a hole when written. Two password changes posted at once from the account page (a double click): one
/// wins, the other must get a page (its current password is no longer right, or "try again"),
/// never a 500.
async fn parallel_password_changes_never_answer_500(backend: Backend) {
    let env = mfa_env(backend, pool("OPTIONAL", &["SOFTWARE_TOKEN_MFA"])).await;
    let browser = Browser::new(&env.app);
    let (answer, _) = password_step(&env, &browser, "alice").await;
    assert!(is_code(&answer));
    let mut current = PASSWORD.to_string();
    for round in 0..6 {
        let next = if round % 2 == 0 {
            NEW_PASSWORD
        } else {
            PASSWORD
        };
        let csrf = csrf_of(&env, &browser).await;
        let url = account_url(&env, "/password");
        let fields = [
            ("csrf_token", csrf.as_str()),
            ("current_password", current.as_str()),
            ("new_password", next),
            ("confirm_password", next),
        ];
        let (a, b) = tokio::join!(
            browser.post_form(&url, &fields),
            browser.post_form(&url, &fields)
        );
        assert!(
            !is_server_error(&a) && !is_server_error(&b),
            "round {round}: a double-posted password change answered {} and {}: {}{}",
            a.status,
            b.status,
            a.body,
            b.body
        );
        let won = [&a, &b]
            .iter()
            .filter(|p| location(p).ends_with("done=password"))
            .count();
        assert!(won >= 1, "round {round}: {a:?} {b:?}");
        current = next.to_string();
    }
}

/// Found a hole when written. A session signed in with the password alone, before the pool became `ON`,
/// no longer answers an authorization request by itself. Its holder (who knows the password)
/// must not be able to use the account page to put their own authenticator app in place of
/// the user's, with the password as the only proof, and so pass the second factor.
async fn a_session_without_mfa_cannot_replace_the_factor_in_an_on_pool(backend: Backend) {
    let env = mfa_env(backend, pool("OPTIONAL", &["SOFTWARE_TOKEN_MFA"])).await;
    let attacker = Browser::new(&env.app);
    let (answer, _) = password_step(&env, &attacker, "alice").await;
    assert!(is_code(&answer), "OPTIONAL, no factor yet: password only");
    // The user sets up an app; the pool then requires one.
    let victim = Browser::new(&env.app);
    let (answer, _) = password_step(&env, &victim, "alice").await;
    assert!(is_code(&answer));
    step_up_with_password(&env, &victim).await;
    let victims_app = account_set_up_totp(&env, &victim).await.expect("set up");
    set_rule(&env, "ON").await;

    // The attacker's pwd-only session: step up with the password, set up its own app.
    let page = attacker.get(&account_url(&env, "")).await;
    let mut replaced = false;
    if page.status == 200 {
        let verify = attacker.get(&account_url(&env, "/verify")).await;
        if verify.status == 200 {
            let done = attacker.submit(&verify, &[("password", PASSWORD)]).await;
            if location(&done).ends_with("done=verified") {
                env.clock.advance_secs(30);
                replaced = account_set_up_totp(&env, &attacker).await.is_some();
            }
        }
    }
    assert!(
        !replaced,
        "a password-only session in an ON pool replaced the user's authenticator app with the password alone"
    );
    assert!(totp_signs_in(&env, "alice", &victims_app).await);
}

// ---------------------------------------------------------------------------------------------
// Held
// ---------------------------------------------------------------------------------------------

/// One TOTP code, posted at once to a sign-in's MFA step and to the account's step-up: it is
/// accepted once.
async fn a_totp_code_races_once_between_sign_in_and_step_up(backend: Backend) {
    let env = mfa_env(backend, pool("ON", &["SOFTWARE_TOKEN_MFA"])).await;
    let owner = Browser::new(&env.app);
    let totp = forced_set_up(&env, &owner, "alice").await;
    for _ in 0..3 {
        env.clock.advance_secs(30);
        let thief = Browser::new(&env.app);
        let (page, _) = at_mfa(&env, &thief, "alice").await;
        let verify = owner.get(&account_url(&env, "/verify")).await;
        let code = now_code(&totp, &env.clock);
        let fields = [("code", code.as_str())];
        let (signed_in, stepped_up) = tokio::join!(
            thief.submit(&page, &fields),
            owner.submit_with(&verify, ("factor", "SOFTWARE_TOKEN_MFA"), &fields),
        );
        let passes = [
            is_code(&signed_in),
            location(&stepped_up).ends_with("done=verified"),
        ];
        assert_eq!(
            passes.iter().filter(|p| **p).count(),
            1,
            "{signed_in:?} {stepped_up:?}"
        );
    }
}

/// A code of one user's app does not pass another user's step, and spending it there does
/// not burn it for its owner; the previous step's code (-1, replay window) is refused once
/// the current one was used.
async fn a_totp_code_is_bound_to_its_user(backend: Backend) {
    let env = mfa_env(backend, pool("ON", &["SOFTWARE_TOKEN_MFA"])).await;
    add_user(&env, "bob", true).await;
    let alices = forced_set_up(&env, &Browser::new(&env.app), "alice").await;
    let _bobs = forced_set_up(&env, &Browser::new(&env.app), "bob").await;
    env.clock.advance_secs(30);
    let browser = Browser::new(&env.app);
    let (page, _) = at_mfa(&env, &browser, "bob").await;
    let cross = browser
        .submit(&page, &[("code", &now_code(&alices, &env.clock))])
        .await;
    assert!(!is_code(&cross), "alice's code signed bob in");
    let browser = Browser::new(&env.app);
    let (page, _) = at_mfa(&env, &browser, "alice").await;
    assert!(is_code(
        &browser
            .submit(&page, &[("code", &now_code(&alices, &env.clock))])
            .await
    ));
    // The step before the one accepted is inside the drift window but older: refused.
    let browser = Browser::new(&env.app);
    let (page, _) = at_mfa(&env, &browser, "alice").await;
    let older = browser
        .submit(&page, &[("code", &code_at(&alices, &env.clock, -1))])
        .await;
    assert!(!is_code(&older), "an older step after a newer one passed");
}

/// Codes by email: seven wrong guesses posted at once from seven addresses (so the address
/// locks do not stop them first) use up the code's five tries; the right code after them is
/// refused.
async fn email_code_tries_hold_under_parallel_guesses(backend: Backend) {
    let env = mfa_env(backend, pool("OPTIONAL", &["EMAIL_OTP"])).await;
    env.app
        .admin(
            "PUT",
            &format!("/pools/{}/users/alice/mfa", env.web.pool),
            Some(json!({"email_enabled": true})),
        )
        .await
        .expect(200);
    let owner = Browser::from_address(&env.app, "198.51.100.1");
    let (owner_page, _) = at_mfa(&env, &owner, "alice").await;
    let mail = nth_mail(&env, "sign-in code", 1).await;
    let right = code_in(&mail);
    // Seven more sign-ins: the mailbox allows 5 mails an hour, so the later ones send none
    // and the live code may be replaced; take the newest.
    let guessers: Vec<Browser> = (0..7)
        .map(|i| Browser::from_address(&env.app, &format!("198.51.100.{}", i + 10)))
        .collect();
    let mut pages = Vec::new();
    for b in &guessers {
        pages.push(at_mfa(&env, b, "alice").await.0);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let codes: Vec<Message> = env
        .sink
        .messages()
        .into_iter()
        .filter(|m| m.subject().contains("sign-in code"))
        .collect();
    let live = code_in(codes.last().unwrap());
    let _ = right;
    let wrong: Vec<String> = (0..20)
        .map(|i| format!("{:06}", 100_003 + i * 37_117))
        .filter(|c| *c != live)
        .take(7)
        .collect();
    let answers = futures_util::future::join_all(
        guessers
            .iter()
            .zip(&pages)
            .zip(&wrong)
            .map(|((b, p), c)| async move { b.submit(p, &[("code", c.as_str())]).await }),
    )
    .await;
    assert!(answers.iter().all(|a| !is_code(a) && !is_server_error(a)));
    let late = owner.submit(&owner_page, &[("code", &live)]).await;
    assert!(
        !is_code(&late),
        "the right code passed after more wrong tries than the code allows"
    );
}

/// A step used for a finished sign-in cannot be used again, even with a fresh code.
async fn a_completed_step_cannot_be_replayed(backend: Backend) {
    let env = mfa_env(backend, pool("ON", &["SOFTWARE_TOKEN_MFA"])).await;
    let totp = forced_set_up(&env, &Browser::new(&env.app), "alice").await;
    env.clock.advance_secs(30);
    let browser = Browser::new(&env.app);
    let (page, _) = at_mfa(&env, &browser, "alice").await;
    assert!(is_code(
        &browser
            .submit(&page, &[("code", &now_code(&totp, &env.clock))])
            .await
    ));
    env.clock.advance_secs(30);
    let again = browser
        .submit(&page, &[("code", &now_code(&totp, &env.clock))])
        .await;
    assert!(!is_code(&again), "{again:?}");
    assert!(again.body.contains(EXPIRED), "{}", again.body);
    // Nor as a switch or a recovery form.
    let switch = browser
        .submit_with(&page, ("factor", "RECOVERY_CODE"), &[])
        .await;
    assert!(!is_code(&switch) && switch.status == 400, "{switch:?}");
}

/// Half-way through a sign-in (the MFA step), the browser has no session: the account page
/// answers 401 and a silent authorization `login_required`.
async fn a_half_finished_sign_in_reaches_neither_account_nor_authorize(backend: Backend) {
    let env = mfa_env(backend, pool("ON", &["SOFTWARE_TOKEN_MFA"])).await;
    forced_set_up(&env, &Browser::new(&env.app), "alice").await;
    env.clock.advance_secs(30);
    let browser = Browser::new(&env.app);
    let _ = at_mfa(&env, &browser, "alice").await;
    assert!(browser.cookie("cognate_session").is_none());
    for rest in ["", "/verify", "/totp"] {
        let page = browser.get(&account_url(&env, rest)).await;
        assert_eq!(page.status, 401, "{rest}: {}", page.body);
    }
    let csrf = browser.cookie("cognate_csrf").map(|_| ()).is_some();
    assert!(csrf);
    let (silent, _) = authorize_url(&env.web, &[("prompt", "none")]);
    let quiet = browser.get(&silent).await;
    assert_eq!(
        query_of(location(&quiet)).get("error").map(String::as_str),
        Some("login_required")
    );
}

/// An attacker with the password waits at the MFA step; the user changes the password on
/// the account page. The attacker's step is dead, even with a right code.
async fn a_pending_step_dies_with_a_password_change(backend: Backend) {
    let env = mfa_env(backend, pool("ON", &["SOFTWARE_TOKEN_MFA"])).await;
    let owner = Browser::new(&env.app);
    let totp = forced_set_up(&env, &owner, "alice").await;
    env.clock.advance_secs(30);
    let attacker = Browser::new(&env.app);
    let (page, _) = at_mfa(&env, &attacker, "alice").await;
    env.clock.advance_secs(1);
    let changed = post_account(
        &env,
        &owner,
        "/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
            ("confirm_password", NEW_PASSWORD),
        ],
    )
    .await;
    assert!(location(&changed).ends_with("done=password"), "{changed:?}");
    env.clock.advance_secs(30);
    let late = attacker
        .submit(&page, &[("code", &now_code(&totp, &env.clock))])
        .await;
    assert!(
        !is_code(&late),
        "a step from before the password change signed in"
    );
}

/// A step-up is on its session: another signed-in browser of the same user is not stepped
/// up, and neither is this browser's next session after a sign-out and sign-in.
async fn a_step_up_belongs_to_its_session(backend: Backend) {
    let env = mfa_env(
        backend,
        pool("OPTIONAL", &["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]),
    )
    .await;
    let a = Browser::new(&env.app);
    let b = Browser::new(&env.app);
    for browser in [&a, &b] {
        let (answer, _) = password_step(&env, browser, "alice").await;
        assert!(is_code(&answer));
    }
    step_up_with_password(&env, &a).await;
    let other = post_account(&env, &b, "/email", &[("enabled", "true")]).await;
    assert!(location(&other).ends_with("/account/verify"), "{other:?}");
    // A new sign-in in the stepped-up browser starts a new session without the step-up.
    let (answer, _) = password_step(&env, &a, "alice").await;
    assert!(is_code(&answer));
    let fresh = post_account(&env, &a, "/email", &[("enabled", "true")]).await;
    assert!(location(&fresh).ends_with("/account/verify"), "{fresh:?}");
    assert_eq!(mfa_of(&env, "alice").await["email"], false);
}

/// A wrong password gets the same page for a user with MFA, one without, and no user.
async fn wrong_passwords_say_nothing_about_mfa(backend: Backend) {
    let env = mfa_env(
        backend,
        pool("OPTIONAL", &["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]),
    )
    .await;
    add_user(&env, "bob", true).await;
    env.app
        .admin(
            "PUT",
            &format!("/pools/{}/users/alice/mfa", env.web.pool),
            Some(json!({"email_enabled": true})),
        )
        .await
        .expect(200);
    let mut shapes = Vec::new();
    for name in ["alice", "bob", "nobody"] {
        let browser = Browser::new(&env.app);
        let (url, _) = authorize_url(&env.web, &[]);
        let page = browser.sign_in(&url, name, "Wrong-horse-1").await;
        let body = page
            .body
            .replace(&hidden(&page.body, "csrf_token").unwrap_or_default(), "")
            .replace(&hidden(&page.body, "request").unwrap_or_default(), "")
            .replace(name, "");
        shapes.push((page.status, body));
    }
    assert_eq!(shapes[0], shapes[1]);
    assert_eq!(shapes[1], shapes[2]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        env.sink.messages().is_empty(),
        "a wrong password sent a mail"
    );
}

/// Codes by email and notices go only to a verified address.
async fn no_code_or_notice_goes_to_an_unverified_address(backend: Backend) {
    let env = mfa_env(backend, pool("ON", &["EMAIL_OTP"])).await;
    add_user(&env, "carol", false).await;
    let browser = Browser::new(&env.app);
    let (url, _) = authorize_url(&env.web, &[]);
    let answer = browser.sign_in(&url, "carol", PASSWORD).await;
    assert!(!is_code(&answer), "{answer:?}");
    // Codes by email cannot be turned on for her by the admin either.
    env.app
        .admin(
            "PUT",
            &format!("/pools/{}/users/carol/mfa", env.web.pool),
            Some(json!({"email_enabled": true})),
        )
        .await
        .expect_error(422, "validation_failed");

    // alice has codes by email; the admin changes her address (now unverified).
    let alice = Browser::new(&env.app);
    let (answer, _) = password_step(&env, &alice, "alice").await;
    let setup = follow(&alice, &answer, "/mfa/setup?").await;
    let chosen = alice
        .submit_with(&setup, ("factor", "EMAIL_OTP"), &[])
        .await;
    let page = follow(&alice, &chosen, "/mfa?").await;
    let mail = nth_mail(&env, "sign-in code", 1).await;
    assert!(is_code(
        &alice.submit(&page, &[("code", &code_in(&mail))]).await
    ));
    env.app
        .admin(
            "PATCH",
            &format!("/pools/{}/users/alice", env.web.pool),
            Some(json!({"attributes": {"email": "new-alice@example.org"}})),
        )
        .await
        .expect(200);
    let other = Browser::new(&env.app);
    let (url, _) = authorize_url(&env.web, &[("prompt", "login")]);
    let answer = other.sign_in(&url, "alice", PASSWORD).await;
    assert!(!is_code(&answer));
    tokio::time::sleep(Duration::from_millis(500)).await;
    for m in env.sink.messages() {
        assert!(
            !m.is_to("carol@example.com") && !m.is_to("new-alice@example.org"),
            "mail to an unverified address: {} to {:?}",
            m.subject(),
            m.text()
        );
    }
}

/// Hostile input on every account form: a page or a 4xx, never a 5xx, and nothing changes.
async fn hostile_input_on_account_forms_gets_4xx_or_a_page(backend: Backend) {
    let env = mfa_env(
        backend,
        pool("OPTIONAL", &["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]),
    )
    .await;
    let browser = Browser::new(&env.app);
    let (answer, _) = password_step(&env, &browser, "alice").await;
    assert!(is_code(&answer));
    let huge = "9".repeat(200 * 1024);
    let long = "Aa1!".repeat(300);
    let bidi = "\u{202e}123456";
    let nul = "12\u{0}456";
    let nonutf8 = "%FF%FE";
    let csrf = csrf_of(&env, &browser).await;
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/verify", vec![("password", &huge)]),
        ("/verify", vec![("password", &long)]),
        (
            "/verify",
            vec![("factor", "SOFTWARE_TOKEN_MFA"), ("code", &huge)],
        ),
        ("/verify", vec![("factor", "EMAIL_OTP"), ("code", bidi)]),
        (
            "/verify",
            vec![("factor", "ＳＯＦＴＷＡＲＥ"), ("code", "123456")],
        ),
        ("/verify", vec![("factor", "EMAIL_OTP"), ("send", nul)]),
        ("/totp/confirm", vec![("code", &huge)]),
        ("/email", vec![("enabled", "TRUE")]),
        ("/email", vec![("enabled", &huge)]),
        ("/preferred", vec![("preferred", "email_otp")]),
        ("/preferred", vec![("preferred", bidi)]),
        (
            "/password",
            vec![
                ("current_password", &huge),
                ("new_password", &long),
                ("confirm_password", &long),
            ],
        ),
        (
            "/password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", &long),
                ("confirm_password", &long),
            ],
        ),
        (
            "/password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", nul),
                ("confirm_password", nul),
            ],
        ),
    ];
    for stepped_up in [false, true] {
        if stepped_up {
            step_up_with_password(&env, &browser).await;
        }
        for (rest, fields) in &cases {
            let mut all = vec![("csrf_token", csrf.as_str())];
            all.extend_from_slice(fields);
            let page = browser.post_form(&account_url(&env, rest), &all).await;
            assert!(
                (200..500).contains(&page.status) && page.status != 201,
                "{rest} {:?}: {} {}",
                fields.iter().map(|(k, v)| (k, v.len())).collect::<Vec<_>>(),
                page.status,
                &page.body[..page.body.len().min(300)]
            );
        }
        // A duplicated or undecodable field: 400.
        for raw in [
            format!("csrf_token={csrf}&enabled=true&enabled=false"),
            format!("csrf_token={csrf}&enabled={nonutf8}"),
        ] {
            let response = env
                .app
                .http
                .post(env.app.url(&account_url(&env, "/email")))
                .header("content-type", "application/x-www-form-urlencoded")
                .header(
                    "cookie",
                    format!(
                        "cognate_csrf={}; cognate_session={}",
                        browser.cookie("cognate_csrf").unwrap(),
                        browser.cookie("cognate_session").unwrap()
                    ),
                )
                .body(raw.clone())
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            assert!((400..500).contains(&status), "{raw}: {status}");
        }
    }
    assert_eq!(
        mfa_of(&env, "alice").await,
        json!({"totp": false, "email": false, "preferred": null, "recovery_codes_left": 0})
    );
    // The password is unchanged.
    let (url, _) = authorize_url(&env.web, &[("prompt", "login")]);
    assert!(is_code(
        &Browser::new(&env.app)
            .sign_in(&url, "alice", PASSWORD)
            .await
    ));
}

/// Hostile input on the MFA and set-up forms: a page or a 4xx, never a 5xx.
async fn hostile_input_on_mfa_forms_gets_4xx_or_a_page(backend: Backend) {
    let env = mfa_env(backend, pool("ON", &["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"])).await;
    let browser = Browser::new(&env.app);
    let (answer, _) = password_step(&env, &browser, "alice").await;
    let setup = follow(&browser, &answer, "/mfa/setup?").await;
    let huge = "x".repeat(100 * 1024);
    let mut page = setup;
    for fields in [
        vec![("code", huge.as_str())],
        vec![("factor", "SMS_MFA")],
        vec![("factor", huge.as_str())],
        vec![("step", huge.as_str())],
        vec![("request", "\u{202e}")],
        vec![("code", "１２３４５６")],
    ] {
        let answer = browser.submit(&page, &fields).await;
        assert!(
            (200..500).contains(&answer.status),
            "set-up {:?}: {}",
            fields.iter().map(|(k, v)| (k, v.len())).collect::<Vec<_>>(),
            answer.status
        );
        if answer.status == 200 && answer.body.contains("otpauth://") {
            page = answer;
        }
    }
    assert_eq!(mfa_of(&env, "alice").await["totp"], false);
    let totp = totp_on(&page);
    let done = browser
        .submit(&page, &[("code", &now_code(&totp, &env.clock))])
        .await;
    assert!(done.body.contains(SET_UP), "{}", done.body);

    env.clock.advance_secs(30);
    let other = Browser::new(&env.app);
    let (mut page, _) = at_mfa(&env, &other, "alice").await;
    for fields in [
        vec![("factor", "RECOVERY_CODE"), ("code", huge.as_str())],
        vec![("factor", "\u{0}")],
        vec![("factor", "EMAIL_OTP"), ("code", "")],
        vec![("code", "\u{1F600}\u{1F600}")],
        vec![("step", "")],
    ] {
        let answer = other.submit(&page, &fields).await;
        assert!(
            (200..500).contains(&answer.status) && !is_code(&answer),
            "mfa {:?}: {}",
            fields.iter().map(|(k, v)| (k, v.len())).collect::<Vec<_>>(),
            answer.status
        );
        if answer.status == 200 && answer.body.contains("name=\"step\"") {
            page = answer;
        }
    }
}

/// Hostile input on the admin MFA routes: a JSON 4xx, never a 5xx.
async fn hostile_input_on_admin_mfa_routes_gets_json_4xx(backend: Backend) {
    let env = mfa_env(
        backend,
        pool("OPTIONAL", &["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]),
    )
    .await;
    let pool_id = env.web.pool.clone();
    let path = format!("/pools/{pool_id}/users/alice/mfa");
    let huge = "E".repeat(300 * 1024);
    for body in [
        json!({"preferred": "SOFTWARE_TOKEN_MFA"}),
        json!({"preferred": "software_token_mfa"}),
        json!({"preferred": "EMAIL_OTP"}),
        json!({"preferred": 7}),
        json!({"preferred": ["EMAIL_OTP"]}),
        json!({"preferred": huge}),
        json!({"preferred": "EMAIL_OTP\u{0}"}),
        json!({"email_enabled": 1}),
        json!({"email_enabled": "true"}),
        json!({"email_enabled": {"a": 1}}),
        json!({"email_enabled": true, "email_enabled2": true}),
        json!("EMAIL_OTP"),
        json!(null),
    ] {
        let answer = env.app.admin("PUT", &path, Some(body.clone())).await;
        assert!(
            (400..500).contains(&answer.status) && !answer.code().is_empty(),
            "{}: {} {}",
            &body.to_string()[..body.to_string().len().min(80)],
            answer.status,
            &answer.text[..answer.text.len().min(200)]
        );
    }
    for (content_type, raw) in [
        ("application/json", b"{\"email_enabled\": tru".to_vec()),
        ("application/json", vec![0xff, 0xfe, b'{', b'}']),
        ("text/plain", b"{\"email_enabled\": true}".to_vec()),
        (
            "application/json",
            b"{\"email_enabled\": true, \"email_enabled\": false}".to_vec(),
        ),
    ] {
        let answer = env.app.admin_raw("PUT", &path, content_type, raw).await;
        assert!(
            (400..500).contains(&answer.status) && !answer.code().is_empty(),
            "{content_type}: {} {}",
            answer.status,
            answer.text
        );
    }
    for user in ["%FF", "%E2%80%AE", "a%00b", &"u".repeat(5000)] {
        for (method, tail, body) in [
            ("PUT", "/mfa", Some(json!({"email_enabled": false}))),
            ("DELETE", "/mfa/totp", None),
        ] {
            let answer = env
                .app
                .admin(
                    method,
                    &format!("/pools/{pool_id}/users/{user}{tail}"),
                    body,
                )
                .await;
            assert!(
                (400..500).contains(&answer.status),
                "{method} {}{tail}: {} {}",
                &user[..user.len().min(20)],
                answer.status,
                answer.text
            );
        }
    }
    let answer = env
        .app
        .admin("DELETE", "/pools/nosuchpool/users/alice/mfa/totp", None)
        .await;
    answer.expect_error(404, "not_found");
    assert_eq!(
        mfa_of(&env, "alice").await,
        json!({"totp": false, "email": false, "preferred": null, "recovery_codes_left": 0})
    );
}

/// The account page's set-up, confirmed twice at once with the same code (a double click,
/// or a second tab of the same session): one factor, one set of recovery codes shown.
async fn an_account_set_up_confirmed_twice_at_once_makes_one_factor(backend: Backend) {
    let env = mfa_env(backend, pool("OPTIONAL", &["SOFTWARE_TOKEN_MFA"])).await;
    let browser = Browser::new(&env.app);
    let (answer, _) = password_step(&env, &browser, "alice").await;
    assert!(is_code(&answer));
    step_up_with_password(&env, &browser).await;
    let csrf = csrf_of(&env, &browser).await;
    let setup = browser
        .post_form(&account_url(&env, "/totp"), &[("csrf_token", &csrf)])
        .await;
    let totp = totp_on(&setup);
    let code = now_code(&totp, &env.clock);
    let fields = [("code", code.as_str())];
    let (a, b) = tokio::join!(
        browser.submit(&setup, &fields),
        browser.submit(&setup, &fields)
    );
    assert!(!is_server_error(&a) && !is_server_error(&b), "{a:?} {b:?}");
    assert_eq!(
        [&a, &b].iter().filter(|p| p.body.contains(SET_UP)).count(),
        1,
        "one set-up, one page of recovery codes"
    );
    assert_eq!(mfa_of(&env, "alice").await["recovery_codes_left"], 10);
}
