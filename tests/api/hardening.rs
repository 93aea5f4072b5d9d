//! Regression tests for the attacks of the security-hardening issue on accounts: codes that
//! vouched for addresses they were never sent to, throttles raced by parallel requests,
//! lockouts used as a weapon, enumeration by sign-up and sign-in, mail floods, proxies,
//! one account under two names, forged CSRF pairs and answer timing.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;

use crate::browser::{Browser, Page, authorize_url, hidden};
use crate::helpers::{Backend, PASSWORD, TestApp, TestDatabase};
use crate::on_both;
use crate::signup::{
    BAD_CREDENTIALS, CONFIRMED, Env, WRONG_CODE, confirm, env, env_configured, forgot, mails_to,
    nth_mail_to, other_code, reset, settled, sign_up, signed_up, user,
};
use crate::smtp::code_in;

on_both!(
    a_code_confirms_only_the_address_it_was_sent_to,
    re_signing_up_a_pending_name_does_not_take_it_over,
    parallel_sign_ins_cannot_race_past_the_lock,
    parallel_code_guesses_share_no_try,
    one_address_cannot_lock_an_account_out_elsewhere,
    a_browser_that_signed_in_before_is_not_locked_out,
    a_killed_reset_code_is_replaced_at_once,
    no_typed_name_reaches_another_counter,
    sign_up_then_sign_in_reads_alike_for_taken_and_free_addresses,
    mail_to_one_address_is_limited_across_names,
    sign_ups_from_one_address_are_limited,
    a_full_hash_queue_answers_busy,
    forwarded_addresses_count_only_from_trusted_proxies,
    email_and_sub_are_one_account_to_the_throttle,
    csrf_cookies_are_host_prefixed_on_https,
    known_and_unknown_forgot_and_confirm_take_about_the_same_time,
    a_refused_sign_ups_password_does_not_wipe_the_lock,
    a_contested_sign_up_stays_contested_when_its_mail_is_held_back,
    moving_a_pending_name_to_another_address_is_no_contest,
    concurrent_sign_ups_of_one_pending_name_never_fail,
    names_no_account_can_have_cost_no_hash,
    a_refused_sign_up_costs_a_wrong_password_no_more_time,
    a_device_cookie_dies_with_a_sign_out_everywhere,
    ipv6_clients_count_per_64_and_forwarded_is_not_read_unless_configured,
);

const WRONG: &str = "Wrong-password-1";
const LOCKED: &str = "Too many failed sign-in attempts";
const TRUST_LOCALHOST: (&str, &str) = ("trusted_proxies", "127.0.0.1");

async fn env_behind_proxy(backend: Backend) -> Env {
    env_configured(backend, None, &[TRUST_LOCALHOST]).await
}

/// A browser on the sign-in form of a fresh request, from `address` when given.
async fn at_login(
    app: &TestApp,
    web: &crate::browser::WebApp,
    address: Option<&str>,
) -> (Browser, Page) {
    let browser = match address {
        Some(a) => Browser::from_address(app, a),
        None => Browser::new(app),
    };
    let (url, _) = authorize_url(web, &[("prompt", "login")]);
    let page = browser.open_login(&url).await;
    (browser, page)
}

/// Signs in as `name` from `address`: the answer to the sign-in post.
async fn sign_in_from(
    app: &TestApp,
    web: &crate::browser::WebApp,
    address: Option<&str>,
    name: &str,
    password: &str,
) -> Page {
    let (browser, page) = at_login(app, web, address).await;
    browser
        .submit(&page, &[("username", name), ("password", password)])
        .await
}

/// Reads a number from the test's database.
async fn scalar(db: &TestDatabase, sql: &str) -> i64 {
    use sqlx::Connection;
    if db.url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut conn)
            .await
            .unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 1: a code proves control of the address it was sent to
// ---------------------------------------------------------------------------------------------

async fn a_code_confirms_only_the_address_it_was_sent_to(backend: Backend) {
    let Env { app, sink, web, .. } = env(backend).await;
    let pool = &web.pool;
    let mallory = Browser::new(&app);
    // The attack: sign up with one's own address, then again with a victim's confirmed one.
    signed_up(&mallory, pool, Some("mallory"), "mallory@evil.example").await;
    let code = code_in(&nth_mail_to(&sink, "mallory@evil.example", 1).await);
    let again = sign_up(
        &mallory,
        pool,
        Some("mallory"),
        "alice@example.com",
        PASSWORD,
    )
    .await;
    assert_eq!(again.status, 303, "{}", again.body);
    let page = confirm(&mallory, pool, "mallory", &code).await;
    assert!(page.body.contains(CONFIRMED), "{}", page.body);
    let confirmed = user(&app, pool, "mallory").await;
    assert_eq!(confirmed["attributes"]["email"], "mallory@evil.example");
    assert_eq!(confirmed["attributes"]["email_verified"], true);
    settled(&app).await;
    assert!(
        mails_to(&sink, "alice@example.com")
            .iter()
            .all(|m| !crate::smtp::has_code(m)),
        "alice's address got a code it never asked for"
    );

    // Moving a pending name to another (free) address kills the code sent to the first.
    signed_up(&mallory, pool, Some("mal2"), "first@evil.example").await;
    let first = code_in(&nth_mail_to(&sink, "first@evil.example", 1).await);
    let moved = sign_up(&mallory, pool, Some("mal2"), "second@example.com", PASSWORD).await;
    assert_eq!(moved.status, 303);
    let page = confirm(&mallory, pool, "mal2", &first).await;
    assert!(page.body.contains(WRONG_CODE), "{}", page.body);
    assert_eq!(user(&app, pool, "mal2").await["status"], "UNCONFIRMED");
    let second = code_in(&nth_mail_to(&sink, "second@example.com", 1).await);
    let page = confirm(&mallory, pool, "mal2", &second).await;
    assert!(page.body.contains(CONFIRMED), "{}", page.body);
    let confirmed = user(&app, pool, "mal2").await;
    assert_eq!(confirmed["attributes"]["email"], "second@example.com");
    assert_eq!(confirmed["attributes"]["email_verified"], true);

    // An admin change of the pending address kills the code as well.
    signed_up(&mallory, pool, Some("mal3"), "third@evil.example").await;
    let third = code_in(&nth_mail_to(&sink, "third@evil.example", 1).await);
    app.admin(
        "PATCH",
        &format!("/pools/{pool}/users/mal3"),
        Some(json!({"attributes": {"email": "alice@example.com"}})),
    )
    .await
    .expect(200);
    let page = confirm(&mallory, pool, "mal3", &third).await;
    assert!(page.body.contains(WRONG_CODE), "{}", page.body);
    assert_eq!(
        user(&app, pool, "mal3").await["attributes"]["email_verified"],
        false
    );
}

async fn re_signing_up_a_pending_name_does_not_take_it_over(backend: Backend) {
    let Env { app, sink, web, .. } = env(backend).await;
    let pool = &web.pool;
    let victim = Browser::new(&app);
    signed_up(&victim, pool, Some("vic"), "vic@example.com").await;
    let code = code_in(&nth_mail_to(&sink, "vic@example.com", 1).await);
    // The attacker signs the pending name up again with the victim's address and their
    // own password.
    let attacker = Browser::new(&app);
    let again = sign_up(
        &attacker,
        pool,
        Some("vic"),
        "vic@example.com",
        "Attacker-pass-9",
    )
    .await;
    assert_eq!(again.status, 303, "{}", again.body);
    let page = confirm(&victim, pool, "vic", &code).await;
    assert!(
        page.body.contains(WRONG_CODE),
        "the old code must die: {}",
        page.body
    );
    // The newest code confirms the address, but the password is not the victim's to keep.
    let newest = code_in(&nth_mail_to(&sink, "vic@example.com", 2).await);
    let page = confirm(&victim, pool, "vic", &newest).await;
    assert!(page.body.contains("Address confirmed"), "{}", page.body);
    let account = user(&app, pool, "vic").await;
    assert_eq!(account["status"], "RESET_REQUIRED");
    assert_eq!(account["attributes"]["email_verified"], true);
    let attempt = sign_in_from(&app, &web, None, "vic", "Attacker-pass-9").await;
    assert_ne!(
        attempt.status, 303,
        "the attacker's password signs nobody in"
    );
    assert!(
        attempt.body.contains("reset your password"),
        "{}",
        attempt.body
    );
    // The owner of the address resets and signs in.
    forgot(&victim, pool, "vic").await;
    let reset_code = code_in(&nth_mail_to(&sink, "vic@example.com", 3).await);
    let done = reset(&victim, pool, "vic", &reset_code, "Victims-own-pass-3").await;
    assert!(done.body.contains("Password changed"), "{}", done.body);
    assert_eq!(
        sign_in_from(&app, &web, None, "vic", "Victims-own-pass-3")
            .await
            .status,
        303
    );
}

// ---------------------------------------------------------------------------------------------
// Finding 2: attempts are reserved before the expensive check
// ---------------------------------------------------------------------------------------------

async fn parallel_sign_ins_cannot_race_past_the_lock(backend: Backend) {
    let Env { app, web, .. } = env_behind_proxy(backend).await;
    // 80 parallel posts for one name: 79 wrong, one right.
    let mut forms = Vec::new();
    for i in 0..80 {
        forms.push((i, at_login(&app, &web, None).await));
    }
    let answers = join_all(forms.iter().map(|(i, (browser, page))| async move {
        let password = if *i == 40 { PASSWORD } else { WRONG };
        browser
            .submit(page, &[("username", "alice"), ("password", password)])
            .await
    }))
    .await;
    let evaluated = answers
        .iter()
        .filter(|p| p.status == 303 || p.body.contains(BAD_CREDENTIALS))
        .count();
    let refused = answers.iter().filter(|p| p.body.contains(LOCKED)).count();
    // The right password, if it got a turn, forgets the name's failures as it would in a
    // sequential run: at most 4 wrong ones before it and 5 after.
    let right_got_in = answers[40].status == 303;
    let limit = if right_got_in { 10 } else { 5 };
    assert!(
        evaluated <= limit,
        "{evaluated} of 80 were checked; the limit is {limit} (right password got in: {right_got_in})"
    );
    assert_eq!(evaluated + refused, 80);
    // A flood of wrong ones alone (from an address of its own, whose counters are clean)
    // gets at most its five, and then the right password waits.
    let mut forms = Vec::new();
    for _ in 0..40 {
        forms.push(at_login(&app, &web, Some("10.3.0.1")).await);
    }
    let answers = join_all(forms.iter().map(|(browser, page)| {
        browser.submit(page, &[("username", "alice"), ("password", WRONG)])
    }))
    .await;
    let evaluated = answers
        .iter()
        .filter(|p| p.body.contains(BAD_CREDENTIALS))
        .count();
    assert!(evaluated <= 5, "{evaluated} of 40 wrong ones were checked");
    let late = sign_in_from(&app, &web, Some("10.3.0.1"), "alice", PASSWORD).await;
    assert!(
        late.body.contains(LOCKED),
        "the right password got past the lock"
    );

    // 150 parallel posts from one address, each for another name: at most 100 checked.
    let mut forms = Vec::new();
    for i in 0..150 {
        // The forms come through the proxy from many addresses; the posts from one.
        let proxied = Browser::from_address(&app, &format!("10.1.{}.{}", i / 200, i % 200 + 1));
        let (url, _) = authorize_url(&web, &[("prompt", "login")]);
        let page = proxied.open_login(&url).await;
        let direct = Browser::new(&app);
        direct.set_cookie(
            "cognate_csrf",
            "/",
            &proxied.cookie("cognate_csrf").unwrap(),
        );
        forms.push((format!("nobody{i}"), direct, page));
    }
    let answers = join_all(forms.iter().map(|(name, browser, page)| async move {
        browser
            .submit(page, &[("username", name), ("password", WRONG)])
            .await
    }))
    .await;
    let evaluated = answers
        .iter()
        .filter(|p| p.body.contains(BAD_CREDENTIALS))
        .count();
    let refused = answers.iter().filter(|p| p.body.contains(LOCKED)).count();
    assert!(
        (90..=100).contains(&evaluated),
        "{evaluated} of 150 from one address were checked; the limit is 100"
    );
    assert_eq!(evaluated + refused, 150);
}

async fn parallel_code_guesses_share_no_try(backend: Backend) {
    let Env { app, sink, web, .. } = env_behind_proxy(backend).await;
    let pool = &web.pool;
    let owner = Browser::new(&app);
    forgot(&owner, pool, "alice").await;
    let code = code_in(&nth_mail_to(&sink, "alice@example.com", 1).await);
    // 40 guesses at once, each from its own address so that only the code's own count of
    // tries can stop them; one of them is the right code.
    let mut forms = Vec::new();
    for i in 0..40 {
        let browser = Browser::from_address(&app, &format!("10.2.0.{}", i + 1));
        let page = browser
            .get(&format!("/{pool}/reset-password?username=alice"))
            .await;
        let guess = if i == 20 {
            code.clone()
        } else {
            other_code(&format!("{:06}", i))
        };
        forms.push((browser, page, guess));
    }
    let answers = join_all(forms.iter().map(|(browser, page, guess)| async move {
        browser
            .submit(
                page,
                &[
                    ("username", "alice"),
                    ("code", guess),
                    ("new_password", "Guessed-pass-1"),
                    ("confirm_password", "Guessed-pass-1"),
                ],
            )
            .await
    }))
    .await;
    let changed = answers
        .iter()
        .filter(|p| p.body.contains("Password changed"))
        .count();
    assert!(changed <= 1);
    let tries = scalar(
        &app.db,
        "SELECT MAX(attempts) FROM verification_codes WHERE purpose = 'reset'",
    )
    .await;
    assert!(tries <= 5, "the code was tried {tries} times; it allows 5");
}

// ---------------------------------------------------------------------------------------------
// Finding 3: a lockout is no weapon
// ---------------------------------------------------------------------------------------------

async fn one_address_cannot_lock_an_account_out_elsewhere(backend: Backend) {
    let Env {
        app, clock, web, ..
    } = env_behind_proxy(backend).await;
    for _ in 0..5 {
        let page = sign_in_from(&app, &web, Some("203.0.113.7"), "alice", WRONG).await;
        assert!(page.body.contains(BAD_CREDENTIALS), "{}", page.body);
    }
    let page = sign_in_from(&app, &web, Some("203.0.113.7"), "alice", PASSWORD).await;
    assert!(
        page.body.contains(LOCKED),
        "the attacking address is locked"
    );
    // Renewing the lock from there keeps it there.
    clock.advance_secs(31);
    let page = sign_in_from(&app, &web, Some("203.0.113.7"), "alice", WRONG).await;
    assert!(page.body.contains(BAD_CREDENTIALS), "{}", page.body);
    let page = sign_in_from(&app, &web, Some("203.0.113.7"), "alice", PASSWORD).await;
    assert!(page.body.contains(LOCKED));
    // Alice, from her own address, signs in.
    let page = sign_in_from(&app, &web, Some("198.51.100.2"), "alice", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
}

async fn a_browser_that_signed_in_before_is_not_locked_out(backend: Backend) {
    let Env { app, web, .. } = env_behind_proxy(backend).await;
    // Alice signs in once: her browser keeps a device cookie.
    let (alice, page) = at_login(&app, &web, Some("198.51.100.2")).await;
    let done = alice
        .submit(&page, &[("username", "alice"), ("password", PASSWORD)])
        .await;
    assert_eq!(done.status, 303);
    let device = alice
        .cookie(&format!("cognate_device_{}", web.pool))
        .expect("a device cookie");
    assert!(device.len() > 40);
    // An attacker fails from 25 addresses: the name is locked for every stranger.
    for i in 0..25 {
        let address = format!("203.0.113.{}", i + 1);
        sign_in_from(&app, &web, Some(&address), "alice", WRONG).await;
    }
    let stranger = sign_in_from(&app, &web, Some("192.0.2.99"), "alice", PASSWORD).await;
    assert!(stranger.body.contains(LOCKED), "{}", stranger.body);
    // Alice's own browser is not a stranger, from wherever she is now.
    let (url, _) = authorize_url(&web, &[("prompt", "login")]);
    let login = alice.open_login(&url).await;
    let done = alice
        .submit(&login, &[("username", "alice"), ("password", PASSWORD)])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    // A forged or foreign device cookie is worth nothing.
    let forger = Browser::from_address(&app, "192.0.2.100");
    forger.set_cookie(
        &format!("cognate_device_{}", web.pool),
        "/",
        &device.replace('.', "x"),
    );
    let (url, _) = authorize_url(&web, &[("prompt", "login")]);
    let login = forger.open_login(&url).await;
    let page = forger
        .submit(&login, &[("username", "alice"), ("password", PASSWORD)])
        .await;
    assert!(page.body.contains(LOCKED), "{}", page.body);
    // The device has its own limit: five failures from it and it is a stranger again.
    for _ in 0..5 {
        let login = alice.open_login(&url).await;
        alice
            .submit(&login, &[("username", "alice"), ("password", WRONG)])
            .await;
    }
    let login = alice.open_login(&url).await;
    let page = alice
        .submit(&login, &[("username", "alice"), ("password", PASSWORD)])
        .await;
    assert!(page.body.contains(LOCKED), "{}", page.body);
}

async fn a_killed_reset_code_is_replaced_at_once(backend: Backend) {
    let Env { app, sink, web, .. } = env_behind_proxy(backend).await;
    let pool = &web.pool;
    let owner = Browser::from_address(&app, "198.51.100.2");
    forgot(&owner, pool, "alice").await;
    let code = code_in(&nth_mail_to(&sink, "alice@example.com", 1).await);
    // A stranger kills it with five wrong codes.
    let stranger = Browser::from_address(&app, "203.0.113.7");
    for _ in 0..5 {
        reset(
            &stranger,
            pool,
            "alice",
            &other_code(&code),
            "Stranger-pass-1",
        )
        .await;
    }
    let dead = reset(&owner, pool, "alice", &code, "Owners-new-pass-1").await;
    assert!(dead.body.contains(WRONG_CODE), "{}", dead.body);
    // No minute's wait: the owner asks again and gets a code that works.
    forgot(&owner, pool, "alice").await;
    let fresh = code_in(&nth_mail_to(&sink, "alice@example.com", 2).await);
    let done = reset(&owner, pool, "alice", &fresh, "Owners-new-pass-1").await;
    assert!(done.body.contains("Password changed"), "{}", done.body);
}

async fn no_typed_name_reaches_another_counter(backend: Backend) {
    let Env { app, sink, web, .. } = env(backend).await;
    let pool = &web.pool;
    app.admin(
        "POST",
        &format!("/pools/{pool}/users"),
        Some(
            json!({"username": "victim2", "password": PASSWORD, "email_verified": true,
                    "attributes": {"email": "victim2@example.com"}}),
        ),
    )
    .await
    .expect(201);
    // Names that look like other counters' keys, from the victim's own address.
    for name in [
        "code:victim2",
        "user:code:victim2",
        "ip:127.0.0.1",
        "signin.name victim2",
    ] {
        for _ in 0..6 {
            sign_in_from(&app, &web, None, name, WRONG).await;
        }
    }
    let browser = Browser::new(&app);
    forgot(&browser, pool, "victim2").await;
    let code = code_in(&nth_mail_to(&sink, "victim2@example.com", 1).await);
    let done = reset(&browser, pool, "victim2", &code, "Victim2-new-pass").await;
    assert!(done.body.contains("Password changed"), "{}", done.body);
    let page = sign_in_from(&app, &web, None, "victim2", "Victim2-new-pass").await;
    assert_eq!(page.status, 303, "{}", page.body);
}

// ---------------------------------------------------------------------------------------------
// Finding 4: sign-up followed by sign-in
// ---------------------------------------------------------------------------------------------

async fn sign_up_then_sign_in_reads_alike_for_taken_and_free_addresses(backend: Backend) {
    let Env { app, web, .. } =
        crate::signup::env_with(backend, Some(json!({"username_attributes": ["email"]}))).await;
    let pool = &web.pool;
    app.admin(
        "POST",
        &format!("/pools/{pool}/users"),
        Some(
            json!({"username": "taken@example.com", "password": PASSWORD, "email_verified": true}),
        ),
    )
    .await
    .expect(201);
    let chosen = "Attackers-guess-1";
    let mut answers = Vec::new();
    for email in ["taken@example.com", "free@example.com"] {
        let browser = Browser::new(&app);
        let done = sign_up(&browser, pool, None, email, chosen).await;
        assert_eq!(done.status, 303, "{}", done.body);
        let page = sign_in_from(&app, &web, None, email, chosen).await;
        let location = page.location.clone().unwrap_or_default();
        answers.push((
            page.status,
            location.replace(&crate::helpers::urlencode(email), "EMAIL"),
        ));
        // The confirm page it leads to takes no code for the taken address.
        let wrong = confirm(&browser, pool, email, "123456").await;
        assert!(wrong.body.contains(WRONG_CODE), "{}", wrong.body);
    }
    assert_eq!(answers[0].0, 303);
    assert!(answers[0].1.contains("/confirm?"), "{:?}", answers[0]);
    // The request reference differs; everything else is the same.
    let strip = |l: &str| l.split("request=").next().unwrap_or_default().to_string();
    assert_eq!(strip(&answers[0].1), strip(&answers[1].1));
    assert_eq!(answers[0].0, answers[1].0);
    // The owner's password still works, and theirs is still the only one that does.
    assert_eq!(
        sign_in_from(&app, &web, None, "taken@example.com", PASSWORD)
            .await
            .status,
        303
    );
    assert_eq!(
        user(&app, pool, "taken@example.com").await["status"],
        "CONFIRMED"
    );
}

// ---------------------------------------------------------------------------------------------
// Finding 6: floods
// ---------------------------------------------------------------------------------------------

async fn mail_to_one_address_is_limited_across_names(backend: Backend) {
    let Env { app, sink, web, .. } = env_behind_proxy(backend).await;
    let pool = &web.pool;
    for i in 0..8 {
        let browser = Browser::from_address(&app, &format!("10.3.0.{}", i + 1));
        let done = sign_up(
            &browser,
            pool,
            Some(&format!("flood{i}")),
            "target@example.com",
            PASSWORD,
        )
        .await;
        assert_eq!(done.status, 303, "{}", done.body);
    }
    settled(&app).await;
    let mails = mails_to(&sink, "target@example.com").len();
    assert!(
        (1..=5).contains(&mails),
        "{mails} mails to one address within the hour"
    );
}

async fn sign_ups_from_one_address_are_limited(backend: Backend) {
    let Env { app, web, .. } = env(backend).await;
    let pool = &web.pool;
    let browser = Browser::new(&app);
    let mut last = None;
    for i in 0..31 {
        last = Some(
            sign_up(
                &browser,
                pool,
                Some(&format!("many{i}")),
                &format!("many{i}@example.com"),
                PASSWORD,
            )
            .await,
        );
    }
    let last = last.unwrap();
    assert_eq!(last.status, 429, "{}", last.body);
    assert!(last.body.contains("Too many requests"));
    assert!(!last.header("retry-after").is_empty());
    let users = app.list_all(&format!("/pools/{pool}/users"), 60).await;
    assert_eq!(
        users
            .iter()
            .filter(|u| u["username"].as_str().unwrap_or("").starts_with("many"))
            .count(),
        30
    );
}

async fn a_full_hash_queue_answers_busy(backend: Backend) {
    let Env { app, web, .. } = env_configured(
        backend,
        None,
        &[
            ("password_hash_queue_depth", "1"),
            ("password_hash_memory_kib", "8192"),
            ("password_hash_iterations", "3"),
        ],
    )
    .await;
    let mut forms = Vec::new();
    for _ in 0..16 {
        forms.push(at_login(&app, &web, None).await);
    }
    // Sixteen names at once (each costs a hash, known or not).
    let answers = join_all(
        forms
            .iter()
            .enumerate()
            .map(|(i, (browser, page))| async move {
                let name = format!("someone{i}");
                browser
                    .submit(page, &[("username", name.as_str()), ("password", WRONG)])
                    .await
            }),
    )
    .await;
    let busy: Vec<&Page> = answers.iter().filter(|p| p.status == 503).collect();
    assert!(
        !busy.is_empty(),
        "16 hashes at once with a queue of one: none refused"
    );
    assert!(
        busy.iter()
            .all(|p| p.header("retry-after") == "1" && p.body.contains("busy"))
    );
    assert!(
        answers
            .iter()
            .all(|p| p.status == 503 || p.body.contains(BAD_CREDENTIALS))
    );
    // Busy is not a failure: alice is not locked, and signs in once the queue is empty.
    let page = sign_in_from(&app, &web, None, "alice", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
}

// ---------------------------------------------------------------------------------------------
// Findings 9 and 10: proxies, and one account under two names
// ---------------------------------------------------------------------------------------------

async fn forwarded_addresses_count_only_from_trusted_proxies(backend: Backend) {
    // Not trusted: a client cannot pick its address to dodge the lock.
    let Env { app, web, .. } = env(backend).await;
    for i in 0..5 {
        let page = sign_in_from(&app, &web, Some(&format!("203.0.113.{i}")), "alice", WRONG).await;
        assert!(page.body.contains(BAD_CREDENTIALS));
    }
    let page = sign_in_from(&app, &web, Some("203.0.113.50"), "alice", PASSWORD).await;
    assert!(page.body.contains(LOCKED), "{}", page.body);
    // Trusted: each forwarded client is its own address.
    let Env { app, web, .. } = env_behind_proxy(backend).await;
    for _ in 0..5 {
        sign_in_from(&app, &web, Some("203.0.113.1"), "alice", WRONG).await;
    }
    let page = sign_in_from(&app, &web, Some("1.1.1.1, 203.0.113.2"), "alice", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
}

async fn email_and_sub_are_one_account_to_the_throttle(backend: Backend) {
    let Env { app, web, .. } =
        crate::signup::env_with(backend, Some(json!({"username_attributes": ["email"]}))).await;
    let pool = &web.pool;
    let created = app
        .admin(
            "POST",
            &format!("/pools/{pool}/users"),
            Some(json!({"username": "two@example.com", "password": PASSWORD})),
        )
        .await
        .expect(201);
    let sub = created["sub"].as_str().unwrap().to_string();
    for name in [
        "two@example.com",
        "two@example.com",
        "two@example.com",
        &sub,
        &sub,
    ] {
        let page = sign_in_from(&app, &web, None, name, WRONG).await;
        assert!(page.body.contains(BAD_CREDENTIALS), "{}", page.body);
    }
    for name in ["two@example.com", sub.as_str()] {
        let page = sign_in_from(&app, &web, None, name, PASSWORD).await;
        assert!(page.body.contains(LOCKED), "{name}: {}", page.body);
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 14: CSRF on https
// ---------------------------------------------------------------------------------------------

async fn csrf_cookies_are_host_prefixed_on_https(backend: Backend) {
    let Env { app, web, .. } =
        env_configured(backend, None, &[("public_url", "https://id.example.test")]).await;
    let browser = Browser::new(&app);
    let page = browser.get(&format!("/{}/signup", web.pool)).await;
    let cookie = page.header("set-cookie").to_string();
    assert!(cookie.starts_with("__Host-cognate_csrf="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    // The unprefixed name a subdomain could plant is not read.
    let planted = Browser::new(&app);
    let value = "P".repeat(32);
    planted.set_cookie("cognate_csrf", "/", &value);
    let form = planted.get(&format!("/{}/forgot-password", web.pool)).await;
    let token = hidden(&form.body, "csrf_token").unwrap();
    planted.forget("__Host-cognate_csrf");
    let post = planted
        .post_form(
            &format!("/{}/forgot-password", web.pool),
            &[("csrf_token", &token), ("username", "alice")],
        )
        .await;
    assert_eq!(post.status, 403, "{}", post.body);
}

// ---------------------------------------------------------------------------------------------
// Finding 15: answer times
// ---------------------------------------------------------------------------------------------

async fn known_and_unknown_forgot_and_confirm_take_about_the_same_time(backend: Backend) {
    crate::helpers::measure_alone().await;
    const SAMPLES: usize = 9;
    let Env { app, sink, web, .. } = env(backend).await;
    let pool = &web.pool;
    for i in 0..=SAMPLES {
        app.admin(
            "POST",
            &format!("/pools/{pool}/users"),
            Some(json!({"username": format!("known{i}"), "password": PASSWORD, "email_verified": true,
                        "attributes": {"email": format!("known{i}@example.com")}})),
        )
        .await
        .expect(201);
    }
    let browser = Browser::new(&app);
    let forgot_page = browser.get(&format!("/{pool}/forgot-password")).await;
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64()
    };
    let timed = async |page: &Page, fields: &[(&str, &str)]| {
        let started = Instant::now();
        let answer = browser.submit(page, fields).await;
        (started.elapsed(), answer)
    };
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..=SAMPLES {
        for is_known in [i % 2 == 0, i % 2 == 1] {
            let name = if is_known {
                format!("known{i}")
            } else {
                format!("ghost{i}")
            };
            let (took, answer) = timed(&forgot_page, &[("username", &name)]).await;
            assert_eq!(answer.status, 303);
            if i > 0 {
                if is_known { &mut known } else { &mut unknown }.push(took);
            }
        }
    }
    let (k, u) = (median(&mut known), median(&mut unknown));
    let ratio = k.max(u) / k.min(u).max(1e-6);
    assert!(
        ratio < 1.5,
        "forgot-password: known {k:.4}s, unknown {u:.4}s"
    );
    // Confirm: a wrong code for a name with a live code, and for a name without.
    let mut pending = Vec::new();
    for i in 0..=SAMPLES {
        let name = format!("pend{i}");
        signed_up(&browser, pool, Some(&name), &format!("{name}@example.com")).await;
        nth_mail_to(&sink, &format!("{name}@example.com"), 1).await;
        pending.push(name);
    }
    let confirm_page = browser.get(&format!("/{pool}/confirm")).await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for (i, name) in pending.iter().enumerate() {
        let ghost = format!("nobody{i}");
        for (is_known, who) in [(true, name.as_str()), (false, ghost.as_str())] {
            let (took, answer) =
                timed(&confirm_page, &[("username", who), ("code", "000000")]).await;
            assert!(answer.body.contains(WRONG_CODE));
            if i > 0 {
                if is_known { &mut known } else { &mut unknown }.push(took);
            }
        }
    }
    let (k, u) = (median(&mut known), median(&mut unknown));
    let ratio = k.max(u) / k.min(u).max(1e-6);
    assert!(ratio < 1.5, "confirm: known {k:.4}s, unknown {u:.4}s");
}

// ---------------------------------------------------------------------------------------------
// The attacker's review of the fixes
// ---------------------------------------------------------------------------------------------

async fn a_refused_sign_ups_password_does_not_wipe_the_lock(backend: Backend) {
    let Env { app, web, .. } = env(backend).await;
    let pool = &web.pool;
    // Sign up the taken name with a password of one's own: refused, and remembered.
    let browser = Browser::new(&app);
    let chosen = "Attackers-own-pw-1";
    assert_eq!(
        sign_up(&browser, pool, Some("alice"), "x@evil.example", chosen)
            .await
            .status,
        303
    );
    for _ in 0..4 {
        let page = sign_in_from(&app, &web, None, "alice", WRONG).await;
        assert!(page.body.contains(BAD_CREDENTIALS));
    }
    // The refused sign-up's password leads to the confirm page, and clears nothing.
    let page = sign_in_from(&app, &web, None, "alice", chosen).await;
    assert_eq!(page.status, 303);
    assert!(page.location.unwrap_or_default().contains("/confirm?"));
    let page = sign_in_from(&app, &web, None, "alice", WRONG).await;
    assert!(page.body.contains(BAD_CREDENTIALS));
    let page = sign_in_from(&app, &web, None, "alice", PASSWORD).await;
    assert!(
        page.body.contains(LOCKED),
        "five failures lock, whatever came between"
    );
}

async fn a_contested_sign_up_stays_contested_when_its_mail_is_held_back(backend: Backend) {
    let Env {
        app,
        clock,
        sink,
        web,
    } = env_behind_proxy(backend).await;
    let pool = &web.pool;
    let victim = Browser::from_address(&app, "198.51.100.2");
    signed_up(&victim, pool, Some("vic"), "vic@example.com").await;
    // The attacker spends the address's mail for the hour (sign-ups of other names).
    for i in 0..4 {
        let b = Browser::from_address(&app, &format!("203.0.113.{}", i + 1));
        sign_up(
            &b,
            pool,
            Some(&format!("other{i}")),
            "vic@example.com",
            PASSWORD,
        )
        .await;
    }
    settled(&app).await;
    assert_eq!(mails_to(&sink, "vic@example.com").len(), 5);
    // Then replaces the pending password: no mail can go, but the contest is on record.
    let attacker = Browser::from_address(&app, "203.0.113.9");
    sign_up(
        &attacker,
        pool,
        Some("vic"),
        "vic@example.com",
        "Attacker-pass-9",
    )
    .await;
    settled(&app).await;
    assert_eq!(mails_to(&sink, "vic@example.com").len(), 5);
    // An hour on, a resend; the victim confirms with it.
    clock.advance_secs(3_700);
    crate::signup::resend(&victim, pool, "vic").await;
    let code = code_in(&nth_mail_to(&sink, "vic@example.com", 6).await);
    let page = confirm(&victim, pool, "vic", &code).await;
    assert!(page.body.contains("Address confirmed"), "{}", page.body);
    assert_eq!(user(&app, pool, "vic").await["status"], "RESET_REQUIRED");
    let attempt = sign_in_from(&app, &web, Some("203.0.113.9"), "vic", "Attacker-pass-9").await;
    assert_ne!(attempt.status, 303);
}

async fn moving_a_pending_name_to_another_address_is_no_contest(backend: Backend) {
    // Whether an address belongs to a confirmed account must not show on the confirm page:
    // browser 1 signs up a new name with the address, browser 2 moves the name to its own.
    let Env { app, sink, web, .. } = env(backend).await;
    let pool = &web.pool;
    let mut pages = Vec::new();
    for (name, target) in [
        ("probe1", "alice@example.com"),
        ("probe2", "free@example.com"),
    ] {
        let first = Browser::new(&app);
        sign_up(&first, pool, Some(name), target, PASSWORD).await;
        let second = Browser::new(&app);
        let mine = format!("{name}@evil.example");
        sign_up(&second, pool, Some(name), &mine, "Attacker-pass-9").await;
        let code = code_in(&nth_mail_to(&sink, &mine, 1).await);
        let page = confirm(&Browser::new(&app), pool, name, &code).await;
        pages.push(page.body.contains(CONFIRMED));
    }
    assert_eq!(pages, vec![true, true], "both answer \"Account confirmed\"");
}

async fn concurrent_sign_ups_of_one_pending_name_never_fail(backend: Backend) {
    let Env { app, web, .. } = env_behind_proxy(backend).await;
    let pool = &web.pool;
    let mut forms = Vec::new();
    for i in 0..20 {
        let browser = Browser::from_address(&app, &format!("10.4.0.{}", i + 1));
        let page = browser.get(&format!("/{pool}/signup")).await;
        forms.push((i, browser, page));
    }
    let answers = join_all(forms.iter().map(|(i, browser, page)| async move {
        let email = format!("racer{i}@example.com");
        browser
            .submit(
                page,
                &[
                    ("username", "racer"),
                    ("email", email.as_str()),
                    ("password", PASSWORD),
                ],
            )
            .await
    }))
    .await;
    assert!(
        answers.iter().all(|p| p.status == 303),
        "{:?}",
        answers.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    assert_eq!(user(&app, pool, "racer").await["status"], "UNCONFIRMED");
}

async fn names_no_account_can_have_cost_no_hash(backend: Backend) {
    let Env { app, web, .. } = env_configured(
        backend,
        None,
        &[
            ("password_hash_queue_depth", "1"),
            ("password_hash_memory_kib", "8192"),
            ("password_hash_iterations", "3"),
        ],
    )
    .await;
    let mut forms = Vec::new();
    for _ in 0..16 {
        forms.push(at_login(&app, &web, None).await);
    }
    let answers = join_all(forms.iter().map(|(browser, page)| async move {
        browser
            .submit(page, &[("username", ""), ("password", "x")])
            .await
    }))
    .await;
    assert!(
        answers.iter().all(|p| p.body.contains(BAD_CREDENTIALS)),
        "empty names cannot fill the hash queue"
    );
}

async fn a_refused_sign_up_costs_a_wrong_password_no_more_time(backend: Backend) {
    crate::helpers::measure_alone().await;
    const SAMPLES: usize = 7;
    let Env { app, web, .. } = env_configured(
        backend,
        Some(json!({"username_attributes": ["email"]})),
        &[
            ("password_hash_memory_kib", "8192"),
            ("password_hash_iterations", "3"),
            ("trusted_proxies", "127.0.0.1"),
        ],
    )
    .await;
    let pool = &web.pool;
    app.admin(
        "POST",
        &format!("/pools/{pool}/users"),
        Some(json!({"username": "owner@example.com", "password": PASSWORD})),
    )
    .await
    .expect(201);
    // The attacker's sign-up of the owner's address, and of a free one, both with P.
    for email in ["owner@example.com", "nobody@example.com"] {
        sign_up(&Browser::new(&app), pool, None, email, "Attackers-pw-1").await;
    }
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..=SAMPLES {
        for (is_known, email) in [(true, "owner@example.com"), (false, "nobody@example.com")] {
            let address = format!("10.5.{}.{}", i, u8::from(is_known));
            let (browser, page) = at_login(&app, &web, Some(&address)).await;
            let started = Instant::now();
            let answer = browser
                .submit(&page, &[("username", email), ("password", WRONG)])
                .await;
            let took = started.elapsed();
            assert!(answer.body.contains(BAD_CREDENTIALS));
            if i > 0 {
                if is_known { &mut known } else { &mut unknown }.push(took);
            }
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64()
    };
    let (k, u) = (median(&mut known), median(&mut unknown));
    let ratio = k.max(u) / k.min(u).max(1e-6);
    assert!(
        ratio < 1.5,
        "a refused sign-up's name: {k:.4}s, a free one's: {u:.4}s"
    );
}

async fn a_device_cookie_dies_with_a_sign_out_everywhere(backend: Backend) {
    let Env {
        app, clock, web, ..
    } = env_behind_proxy(backend).await;
    let (alice, page) = at_login(&app, &web, Some("198.51.100.2")).await;
    let done = alice
        .submit(&page, &[("username", "alice"), ("password", PASSWORD)])
        .await;
    assert_eq!(done.status, 303);
    // Signed out everywhere (a stolen laptop): the browser is a stranger again.
    clock.advance_secs(1);
    app.admin(
        "POST",
        &format!("/pools/{}/users/alice/sign-out", web.pool),
        None,
    )
    .await
    .expect(200);
    for i in 0..25 {
        sign_in_from(
            &app,
            &web,
            Some(&format!("203.0.113.{}", i + 1)),
            "alice",
            WRONG,
        )
        .await;
    }
    let (url, _) = authorize_url(&web, &[("prompt", "login")]);
    let login = alice.open_login(&url).await;
    let page = alice
        .submit(&login, &[("username", "alice"), ("password", PASSWORD)])
        .await;
    assert!(page.body.contains(LOCKED), "{}", page.body);
}

async fn ipv6_clients_count_per_64_and_forwarded_is_not_read_unless_configured(backend: Backend) {
    let Env { app, web, .. } = env_behind_proxy(backend).await;
    let pool = &web.pool;
    // 31 sign-ups, each from another address of one /64: the 31st is one too many.
    let mut last = None;
    for i in 0..31 {
        let browser = Browser::from_address(&app, &format!("2001:db8:7:7::{:x}", i + 1));
        last = Some(
            sign_up(
                &browser,
                pool,
                Some(&format!("six{i}")),
                &format!("six{i}@example.com"),
                PASSWORD,
            )
            .await,
        );
    }
    assert_eq!(last.unwrap().status, 429);
    // A `Forwarded` header the client sent is not read (the proxy writes X-Forwarded-For).
    for i in 0..5 {
        let page = sign_in_from(&app, &web, Some("203.0.113.60"), "alice", WRONG).await;
        assert!(page.body.contains(BAD_CREDENTIALS), "{i}");
    }
    let (browser, page) = at_login(&app, &web, Some("203.0.113.60")).await;
    let csrf = hidden(&page.body, "csrf_token").unwrap();
    let request = hidden(&page.body, "request").unwrap();
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("csrf_token", csrf.as_str()),
            ("request", request.as_str()),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .finish();
    let answer = app
        .http
        .post(app.url(&format!("/{pool}/login")))
        .header(
            "cookie",
            format!("cognate_csrf={}", browser.cookie("cognate_csrf").unwrap()),
        )
        .header("x-forwarded-for", "203.0.113.60")
        .header("forwarded", "for=192.0.2.200")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        answer.contains(LOCKED),
        "the client's own Forwarded header moved it elsewhere"
    );
}
