//! Self-service sign-up, confirmation codes, resending, the forgotten-password reset,
//! invitations and the outbox behind them (issue 4), with a real SMTP server (the sink in
//! `smtp.rs`) receiving what lettre sends, and the "Bad input" list of the same issue.
//!
//! The bad-input tests record every failed expectation and report them all at the end; each
//! also checks that no user was left without its code and mail, nor a mail without its user.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cognate::clock::{Clock, ManualClock, SystemClock};
use serde_json::{Value, json};

use crate::browser::{
    Browser, CALLBACK, Page, WebApp, authorize_url, claims_of, hidden, link_to, query_of, redeem,
    token_request, tokens_for, web_app,
};
use crate::helpers::{
    Backend, PASSWORD, TestApp, TestDatabase, path_segment, spawn_app, spawn_on, urlencode,
};
use crate::on_both;
use crate::smtp::{Message, SmtpSink, code_in, has_code};

on_both!(
    a_later_sign_up_replaces_an_unconfirmed_password,
    sign_up_confirm_and_return_to_the_app_with_verified_email,
    five_wrong_codes_kill_the_code,
    codes_expire_after_24_hours,
    resends_are_throttled,
    a_resend_invalidates_the_old_code,
    forgot_and_reset_revoke_sessions_and_refresh_tokens,
    admin_reset_password_mails_a_reset_code,
    invitation_mail_leads_to_the_new_password_page,
    known_and_unknown_accounts_get_identical_pages,
    known_and_unknown_sign_ups_take_about_the_same_time,
    mail_waits_for_a_smtp_server_that_is_down,
    two_processes_deliver_each_mail_once,
    file_outbox_without_smtp,
    admin_create_user_only_turns_sign_up_off,
    oversized_and_unicode_tricky_names_and_emails,
    header_injection_in_email_and_name_fields,
    malformed_codes_are_refused_and_spaces_trimmed,
    replayed_form_posts,
    missing_or_stale_csrf_token_is_refused,
    sign_up_for_a_pool_that_does_not_exist,
);

const WAIT: Duration = Duration::from_secs(10);
pub(crate) const NEW_PASSWORD: &str = "Brand-new-pass-2";
const TEMP_PASSWORD: &str = "Temporary-Pass-1";
pub(crate) const CHECK_EMAIL: &str = "We sent a verification code";
pub(crate) const WRONG_CODE: &str = "The code is incorrect or has expired.";
/// The fifth wrong code reads like any other, so it reveals nothing about the account.
const DEAD_CODE: &str = WRONG_CODE;
pub(crate) const CONFIRMED: &str = "Account confirmed";
pub(crate) const BAD_CREDENTIALS: &str = "Incorrect username or password.";

// ---------------------------------------------------------------------------------------------
// Set-up
// ---------------------------------------------------------------------------------------------

pub(crate) struct Env {
    pub app: TestApp,
    pub clock: Arc<ManualClock>,
    pub sink: SmtpSink,
    pub web: WebApp,
}

/// The app on a manual clock, mailing through a fresh SMTP sink, with `web_app`'s pool,
/// public client and confirmed user alice.
pub(crate) async fn env(backend: Backend) -> Env {
    env_with(backend, None).await
}

/// As `env`, with a pool of this configuration (and no users) when given.
pub(crate) async fn env_with(backend: Backend, pool: Option<Value>) -> Env {
    env_configured(backend, pool, &[]).await
}

/// As `env_with`, with more settings for the app.
pub(crate) async fn env_configured(
    backend: Backend,
    pool: Option<Value>,
    settings: &[(&str, &str)],
) -> Env {
    let sink = SmtpSink::start().await;
    let db = Arc::new(TestDatabase::new(backend).await);
    let clock = ManualClock::new(SystemClock.now_millis());
    let smtp = sink.url();
    let mut all = vec![("smtp_url", smtp.as_str())];
    all.extend_from_slice(settings);
    let app = spawn_on(db, &all, Some(clock.clone())).await;
    let web = match pool {
        None => web_app(&app, false).await,
        Some(config) => custom_web_app(&app, config).await,
    };
    Env {
        app,
        clock,
        sink,
        web,
    }
}

/// A pool of the given configuration with a public code-flow client.
pub(crate) async fn custom_web_app(app: &TestApp, config: Value) -> WebApp {
    let pool = app.create_pool("custom", config).await;
    let client = app
        .admin(
            "POST",
            &format!("/pools/{pool}/clients"),
            Some(json!({"name": "web", "generate_secret": false,
                        "callback_urls": [CALLBACK],
                        "allowed_oauth_flows": ["code"],
                        "allowed_oauth_scopes": ["openid", "email", "profile"]})),
        )
        .await
        .expect(201);
    WebApp {
        issuer: format!("http://localhost:{}/{pool}", app.port),
        pool,
        client_id: client["client_id"].as_str().unwrap().to_string(),
        secret: None,
        callback: CALLBACK.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// The hosted pages
// ---------------------------------------------------------------------------------------------

/// Opens the sign-up page of `pool` (no application behind it) and posts it.
pub(crate) async fn sign_up(
    browser: &Browser,
    pool: &str,
    username: Option<&str>,
    email: &str,
    password: &str,
) -> Page {
    let form = browser.get(&format!("/{pool}/signup")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let mut fields = vec![("email", email), ("password", password)];
    if let Some(name) = username {
        fields.push(("username", name));
    }
    browser.submit(&form, &fields).await
}

/// Signs up and follows the redirect to the "check your email" page.
pub(crate) async fn signed_up(
    browser: &Browser,
    pool: &str,
    username: Option<&str>,
    email: &str,
) -> Page {
    let done = sign_up(browser, pool, username, email, PASSWORD).await;
    assert_eq!(done.status, 303, "sign-up of {email}: {}", done.body);
    let location = done.location.expect("a redirect");
    assert!(location.contains("/confirm?"), "{location}");
    let page = browser.get(&location).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(CHECK_EMAIL), "{}", page.body);
    page
}

pub(crate) fn confirm_url(pool: &str, login: &str) -> String {
    format!("/{pool}/confirm?username={}", urlencode(login))
}

/// Posts the confirm form for `login` with `code`.
pub(crate) async fn confirm(browser: &Browser, pool: &str, login: &str, code: &str) -> Page {
    let page = browser.get(&confirm_url(pool, login)).await;
    browser
        .submit_to(&page, "/confirm", &[("username", login), ("code", code)])
        .await
}

/// Presses "Send a new code" for `login`.
pub(crate) async fn resend(browser: &Browser, pool: &str, login: &str) -> Page {
    let page = browser.get(&confirm_url(pool, login)).await;
    browser
        .submit_to(&page, "/resend-code", &[("username", login)])
        .await
}

/// Posts the forgot-password form for `login`.
pub(crate) async fn forgot(browser: &Browser, pool: &str, login: &str) -> Page {
    let page = browser.get(&format!("/{pool}/forgot-password")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    browser.submit(&page, &[("username", login)]).await
}

/// Posts the reset-password form.
pub(crate) async fn reset(
    browser: &Browser,
    pool: &str,
    login: &str,
    code: &str,
    password: &str,
) -> Page {
    let page = browser
        .get(&format!(
            "/{pool}/reset-password?username={}",
            urlencode(login)
        ))
        .await;
    browser
        .submit(
            &page,
            &[
                ("username", login),
                ("code", code),
                ("new_password", password),
                ("confirm_password", password),
            ],
        )
        .await
}

/// Authorize, sign-in form, password: the answer to the sign-in post.
pub(crate) async fn sign_in(
    app: &TestApp,
    web: &WebApp,
    username: &str,
    password: &str,
) -> (Page, String) {
    let browser = Browser::new(app);
    let (url, verifier) = authorize_url(web, &[]);
    (browser.sign_in(&url, username, password).await, verifier)
}

/// A page with the name the person typed replaced, to compare answers about two accounts.
fn anonymise(text: &str, name: &str) -> String {
    text.replace(&urlencode(name), "NAME")
        .replace(&path_segment(name), "NAME")
        .replace(name, "NAME")
}

/// Another valid-looking code than `code`.
pub(crate) fn other_code(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

pub(crate) async fn user(app: &TestApp, pool: &str, login: &str) -> Value {
    app.admin(
        "GET",
        &format!("/pools/{pool}/users/{}", path_segment(login)),
        None,
    )
    .await
    .expect(200)
}

pub(crate) async fn user_status(app: &TestApp, pool: &str, login: &str) -> Option<String> {
    let answer = app
        .admin(
            "GET",
            &format!("/pools/{pool}/users/{}", path_segment(login)),
            None,
        )
        .await;
    (answer.status == 200).then(|| answer.body["status"].as_str().unwrap_or("").to_string())
}

// ---------------------------------------------------------------------------------------------
// Mail and the outbox
// ---------------------------------------------------------------------------------------------

pub(crate) fn mails_to(sink: &SmtpSink, email: &str) -> Vec<Message> {
    sink.messages()
        .into_iter()
        .filter(|m| m.is_to(email))
        .collect()
}

/// The `n`th mail (1-based) to `email`, waiting for it.
pub(crate) async fn nth_mail_to(sink: &SmtpSink, email: &str, n: usize) -> Message {
    let deadline = Instant::now() + WAIT;
    loop {
        let mails = mails_to(sink, email);
        if mails.len() >= n {
            return mails[n - 1].clone();
        }
        assert!(
            Instant::now() < deadline,
            "mail #{n} to {email} never came; {} did",
            mails.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The temporary password of an invitation mail.
fn temporary_password_in(message: &Message) -> String {
    let text = message.text();
    text.lines()
        .find_map(|line| line.trim().strip_prefix("Temporary password:"))
        .map(|rest| rest.trim().to_string())
        .unwrap_or_else(|| panic!("no temporary password in: {text}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Figures {
    queued: i64,
    sent: i64,
    failed: i64,
    oldest_unsent_secs: i64,
}

impl Figures {
    pub(crate) fn total(&self) -> i64 {
        self.queued + self.sent + self.failed
    }
}

fn metric(text: &str, name: &str) -> Option<i64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .map(|v| v as i64)
}

/// The outbox as `/metrics` shows it.
pub(crate) async fn outbox(app: &TestApp) -> Figures {
    let answer = app.metrics().await;
    assert_eq!(answer.status, 200);
    let text = answer.text;
    let get = |name: &str| {
        metric(&text, name).unwrap_or_else(|| panic!("/metrics has no {name}: {text}"))
    };
    Figures {
        queued: get(r#"cognate_outbox_mails{status="queued"}"#),
        sent: get(r#"cognate_outbox_mails{status="sent"}"#),
        failed: get(r#"cognate_outbox_mails{status="failed"}"#),
        oldest_unsent_secs: get("cognate_outbox_oldest_unsent_age_seconds"),
    }
}

/// The outbox once nothing is queued any more (or after `WAIT`).
pub(crate) async fn settled(app: &TestApp) -> Figures {
    let deadline = Instant::now() + WAIT;
    loop {
        let figures = outbox(app).await;
        if figures.queued == 0 || Instant::now() >= deadline {
            return figures;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `attempts` of every outbox row, read from the database.
async fn outbox_attempts(db: &TestDatabase) -> Vec<i64> {
    use sqlx::Connection;
    let sql = "SELECT attempts FROM outbox ORDER BY created_at";
    if db.url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&db.url)
            .await
            .expect("sqlite");
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_all(&mut conn)
            .await
            .expect("outbox rows")
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url)
            .await
            .expect("postgres");
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_all(&mut conn)
            .await
            .expect("outbox rows")
    }
}

/// Waits until every outbox row was tried at least `attempts` times.
async fn wait_for_attempts(db: &TestDatabase, attempts: i64) {
    let deadline = Instant::now() + WAIT;
    loop {
        let rows = outbox_attempts(db).await;
        if !rows.is_empty() && rows.iter().all(|a| *a >= attempts) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the worker did not try again: attempts {rows:?}, wanted {attempts}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Failure reports for the bad-input tests
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Report(Vec<String>);

impl Report {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    /// No 5xx, ever.
    fn no_5xx(&mut self, what: &str, page: &Page) {
        self.check(page.status < 500, || {
            format!(
                "{what}: answered {} (expected no 5xx): {}",
                page.status,
                short(&page.body)
            )
        });
    }

    #[track_caller]
    fn finish(self) {
        assert!(
            self.0.is_empty(),
            "{} failed expectation(s):\n  - {}",
            self.0.len(),
            self.0.join("\n  - ")
        );
    }
}

fn short(text: &str) -> String {
    let flat: String = text.chars().filter(|c| !c.is_control()).collect();
    match flat.find("<h2>") {
        Some(i) => flat[i..].chars().take(300).collect(),
        None => flat.chars().take(300).collect(),
    }
}

/// Nothing half-written: the outbox drained without failures, every mail went out once,
/// every `UNCONFIRMED` user of these pools has its verification mail, and every verification
/// mail has its user in one of them.
async fn check_consistent(report: &mut Report, app: &TestApp, sink: &SmtpSink, pools: &[&str]) {
    let figures = settled(app).await;
    report.check(figures.queued == 0 && figures.failed == 0, || {
        format!("the outbox did not drain: {figures:?} (a mail that cannot be sent)")
    });
    // The sink may still be receiving the last one.
    let messages = sink
        .wait_for_count(figures.sent as usize, Duration::from_secs(5))
        .await;
    report.check(messages.len() as i64 == figures.sent, || {
        format!(
            "{} mails recorded sent, {} received",
            figures.sent,
            messages.len()
        )
    });
    let mut users = Vec::new();
    for pool in pools {
        users.extend(app.list_all(&format!("/pools/{pool}/users"), 60).await);
    }
    let emails: Vec<String> = users
        .iter()
        .filter_map(|u| u["attributes"]["email"].as_str())
        .map(str::to_lowercase)
        .collect();
    for user in &users {
        if user["status"] != "UNCONFIRMED" {
            continue;
        }
        let email = user["attributes"]["email"].as_str().unwrap_or("");
        let found = messages.iter().any(|m| m.is_to(email) && has_code(m));
        report.check(found, || {
            format!(
                "user {} is UNCONFIRMED with the address {email:?}, but its code mail never \
                 arrived (sign-up accepted an address the mailer cannot send to)",
                user["username"]
            )
        });
    }
    for message in &messages {
        if !message.subject().contains("verification code") {
            continue;
        }
        let owned = message
            .recipients
            .iter()
            .all(|r| emails.contains(&r.to_lowercase()));
        report.check(owned, || {
            format!(
                "a verification mail to {:?} has no user in the pool",
                message.recipients
            )
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Tests: the issue's list
// ---------------------------------------------------------------------------------------------

async fn sign_up_confirm_and_return_to_the_app_with_verified_email(backend: Backend) {
    let Env { app, sink, web, .. } = env(backend).await;
    let pool = &web.pool;
    let browser = Browser::new(&app);
    let (url, verifier) = authorize_url(&web, &[]);
    let login = browser.open_login(&url).await;
    let link = link_to(&login.body, "Create an account").expect("a sign-up link");
    let form = browser.get(&link).await;
    assert_eq!(form.status, 200, "{}", form.body);
    for field in ["username", "email", "password", "csrf_token"] {
        assert!(form.body.contains(&format!("name=\"{field}\"")), "{field}");
    }
    let request = hidden(&form.body, "request").unwrap_or_default();
    assert!(!request.is_empty(), "the form keeps the pending request");

    // The password policy, with a message per failed rule; nobody is created.
    let weak = browser
        .submit(
            &form,
            &[
                ("username", "carol"),
                ("email", "carol@example.com"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status, 200, "{}", weak.body);
    assert!(weak.body.contains("at least 8 characters"), "{}", weak.body);
    assert_eq!(user_status(&app, pool, "carol").await, None);

    let done = browser
        .submit(
            &form,
            &[
                ("username", "carol"),
                ("email", "carol@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let location = done.location.clone().unwrap();
    assert!(
        location.contains("/confirm?") && location.contains(&request),
        "{location}"
    );
    let page = browser.get(&location).await;
    assert!(page.body.contains(CHECK_EMAIL), "{}", page.body);
    let created = user(&app, pool, "carol").await;
    assert_eq!(created["status"], "UNCONFIRMED");
    assert_eq!(created["attributes"]["email_verified"], false);

    // Signing in with the right password before confirming leads to the confirm page.
    let (early, _) = sign_in(&app, &web, "carol", PASSWORD).await;
    assert_eq!(early.status, 303, "{}", early.body);
    assert!(early.location.as_deref().unwrap().contains("/confirm?"));

    let mail = sink.wait_for_mail_to("carol@example.com", has_code).await;
    assert_eq!(mail.recipients, ["carol@example.com"]);
    assert!(
        mail.subject().contains("verification code"),
        "{}",
        mail.subject()
    );
    let code = code_in(&mail);
    let confirmed = browser
        .submit_to(&page, "/confirm", &[("username", "carol"), ("code", &code)])
        .await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    let back = confirmed.location.clone().unwrap();
    assert!(back.starts_with(CALLBACK), "{back}");
    let query = query_of(&back);
    assert_eq!(query["state"], "st-123");
    assert_eq!(query["iss"], web.issuer);
    assert!(
        browser.cookie("cognate_session").is_some(),
        "confirming signs in"
    );
    let tokens = redeem(&app, &web, &query["code"], &verifier)
        .await
        .expect(200);
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["email"], "carol@example.com");
    assert_eq!(id["cognito:username"], "carol");
    let after = user(&app, pool, "carol").await;
    assert_eq!(after["status"], "CONFIRMED");
    assert_eq!(after["attributes"]["email_verified"], true);

    // The code is spent.
    let again = confirm(&browser, pool, "carol", &code).await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains(WRONG_CODE), "{}", again.body);
}

async fn five_wrong_codes_kill_the_code(backend: Backend) {
    let Env {
        app,
        clock,
        sink,
        web,
    } = env(backend).await;
    let pool = &web.pool;
    let browser = Browser::new(&app);
    signed_up(&browser, pool, Some("dave"), "dave@example.com").await;
    let code = code_in(&nth_mail_to(&sink, "dave@example.com", 1).await);
    let wrong = other_code(&code);
    for attempt in 1..=5 {
        let page = confirm(&browser, pool, "dave", &wrong).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let expected = if attempt < 5 { WRONG_CODE } else { DEAD_CODE };
        assert!(
            page.body.contains(expected),
            "attempt {attempt}: {}",
            page.body
        );
    }
    let late = confirm(&browser, pool, "dave", &code).await;
    assert_eq!(late.status, 200);
    assert!(
        !late.body.contains(CONFIRMED),
        "a dead code must not confirm"
    );
    assert!(late.body.contains(WRONG_CODE), "{}", late.body);
    assert_eq!(user(&app, pool, "dave").await["status"], "UNCONFIRMED");

    clock.advance_secs(61);
    assert_eq!(resend(&browser, pool, "dave").await.status, 200);
    let fresh = code_in(&nth_mail_to(&sink, "dave@example.com", 2).await);
    let page = confirm(&browser, pool, "dave", &fresh).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(CONFIRMED), "{}", page.body);
    assert_eq!(user(&app, pool, "dave").await["status"], "CONFIRMED");
}

async fn codes_expire_after_24_hours(backend: Backend) {
    let Env {
        app,
        clock,
        sink,
        web,
    } = env(backend).await;
    let pool = &web.pool;
    let browser = Browser::new(&app);
    signed_up(&browser, pool, Some("erin"), "erin@example.com").await;
    signed_up(&browser, pool, Some("fay"), "fay@example.com").await;
    let erin = code_in(&nth_mail_to(&sink, "erin@example.com", 1).await);
    let fay = code_in(&nth_mail_to(&sink, "fay@example.com", 1).await);

    clock.advance_secs(24 * 3600 - 60);
    let page = confirm(&browser, pool, "erin", &erin).await;
    assert!(
        page.body.contains(CONFIRMED),
        "a minute before expiry: {}",
        page.body
    );

    clock.advance_secs(61);
    let page = confirm(&browser, pool, "fay", &fay).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(WRONG_CODE), "expired: {}", page.body);
    assert_eq!(user(&app, pool, "fay").await["status"], "UNCONFIRMED");
    // A new code works.
    resend(&browser, pool, "fay").await;
    let fresh = code_in(&nth_mail_to(&sink, "fay@example.com", 2).await);
    let page = confirm(&browser, pool, "fay", &fresh).await;
    assert!(page.body.contains(CONFIRMED), "{}", page.body);
}

async fn resends_are_throttled(backend: Backend) {
    let Env {
        app,
        clock,
        sink,
        web,
    } = env(backend).await;
    let pool = &web.pool;
    let browser = Browser::new(&app);
    signed_up(&browser, pool, Some("gus"), "gus@example.com").await;
    nth_mail_to(&sink, "gus@example.com", 1).await;

    // Within a minute of the last code: no new one.
    let before = outbox(&app).await.total();
    clock.advance_secs(30);
    let page = resend(&browser, pool, "gus").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        outbox(&app).await.total(),
        before,
        "a resend 30 s after the code must not queue another"
    );

    // A minute apart: codes go out until the hourly limit.
    let mut resent = 0;
    for _ in 0..7 {
        clock.advance_secs(61);
        let queued = outbox(&app).await.total();
        let page = resend(&browser, pool, "gus").await;
        assert_eq!(page.status, 200, "{}", page.body);
        if outbox(&app).await.total() == queued {
            break;
        }
        resent += 1;
    }
    assert!(
        (4..=5).contains(&resent),
        "at most 5 codes an hour, a minute apart: {resent} resends went out before the limit"
    );

    // Once the hour has passed, a code goes out again, and it works.
    clock.advance_secs(3600);
    let queued = outbox(&app).await.total();
    resend(&browser, pool, "gus").await;
    assert_eq!(outbox(&app).await.total(), queued + 1);
    let latest = nth_mail_to(&sink, "gus@example.com", resent + 2).await;
    let page = confirm(&browser, pool, "gus", &code_in(&latest)).await;
    assert!(page.body.contains(CONFIRMED), "{}", page.body);
}

async fn a_resend_invalidates_the_old_code(backend: Backend) {
    let Env {
        app,
        clock,
        sink,
        web,
    } = env(backend).await;
    let pool = &web.pool;
    let browser = Browser::new(&app);
    signed_up(&browser, pool, Some("hal"), "hal@example.com").await;
    let old = code_in(&nth_mail_to(&sink, "hal@example.com", 1).await);
    clock.advance_secs(61);
    let page = resend(&browser, pool, "hal").await;
    assert_eq!(page.status, 200);
    let new = code_in(&nth_mail_to(&sink, "hal@example.com", 2).await);
    let page = confirm(&browser, pool, "hal", &old).await;
    assert!(page.body.contains(WRONG_CODE), "old code: {}", page.body);
    assert_eq!(user(&app, pool, "hal").await["status"], "UNCONFIRMED");
    let page = confirm(&browser, pool, "hal", &new).await;
    assert!(page.body.contains(CONFIRMED), "new code: {}", page.body);
}

async fn forgot_and_reset_revoke_sessions_and_refresh_tokens(backend: Backend) {
    let Env {
        app,
        clock,
        sink,
        web,
    } = env(backend).await;
    let pool = &web.pool;
    let old = Browser::new(&app);
    let tokens = tokens_for(&app, &web, &old).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();

    let browser = Browser::new(&app);
    let (url, verifier) = authorize_url(&web, &[]);
    let login = browser.open_login(&url).await;
    let link = link_to(&login.body, "Forgot your password?").expect("a forgot link");
    let form = browser.get(&link).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let sent = browser.submit(&form, &[("username", "alice")]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let location = sent.location.clone().unwrap();
    assert!(location.contains("/reset-password?"), "{location}");
    let page = browser.get(&location).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("If an account exists"), "{}", page.body);
    let mail = nth_mail_to(&sink, "alice@example.com", 1).await;
    assert!(mail.subject().contains("Reset"), "{}", mail.subject());
    let code = code_in(&mail);

    let mismatch = browser
        .submit(
            &page,
            &[
                ("username", "alice"),
                ("code", &code),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", "Other-pass-3"),
            ],
        )
        .await;
    assert!(mismatch.body.contains("do not match"), "{}", mismatch.body);
    let fields = [
        ("username", "alice"),
        ("code", code.as_str()),
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ];
    let done = browser.submit(&page, &fields).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let back = done.location.clone().unwrap();
    assert!(back.contains("/login?request="), "{back}");
    // The reset signs alice out "now"; the next sign-in comes later (the clock is frozen).
    clock.advance_secs(1);

    // Every refresh token and session of alice is gone.
    token_request(
        &app,
        pool,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &web.client_id),
        ],
    )
    .await
    .expect_oauth(400, "invalid_grant");
    let (again, _) = authorize_url(&web, &[]);
    let page_again = old.get(&again).await;
    assert_eq!(page_again.status, 303, "the old session must not sign in");
    assert!(
        page_again
            .location
            .as_deref()
            .unwrap()
            .contains("/login?request=")
    );

    // The old password fails, the new one signs in and continues the request.
    let login = browser.get(&back).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let refused = browser
        .submit(&login, &[("username", "alice"), ("password", PASSWORD)])
        .await;
    assert!(refused.body.contains(BAD_CREDENTIALS), "{}", refused.body);
    let signed_in = browser
        .submit(
            &refused,
            &[("username", "alice"), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let q = query_of(signed_in.location.as_deref().unwrap());
    redeem(&app, &web, &q["code"], &verifier).await.expect(200);

    // The code is spent.
    let replay = browser.submit(&page, &fields).await;
    assert_eq!(replay.status, 200);
    assert!(replay.body.contains(WRONG_CODE), "{}", replay.body);
}

async fn admin_reset_password_mails_a_reset_code(backend: Backend) {
    let Env { app, sink, web, .. } = env(backend).await;
    let pool = &web.pool;
    app.admin(
        "POST",
        &format!("/pools/{pool}/users/alice/reset-password"),
        None,
    )
    .await
    .expect(200);
    assert_eq!(user(&app, pool, "alice").await["status"], "RESET_REQUIRED");
    let code = code_in(&nth_mail_to(&sink, "alice@example.com", 1).await);
    let browser = Browser::new(&app);
    let done = reset(&browser, pool, "alice", &format!(" {code} "), NEW_PASSWORD).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Password changed"), "{}", done.body);
    assert_eq!(user(&app, pool, "alice").await["status"], "CONFIRMED");
    let (signed_in, _) = sign_in(&app, &web, "alice", NEW_PASSWORD).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert!(signed_in.location.unwrap().starts_with(CALLBACK));
}

async fn invitation_mail_leads_to_the_new_password_page(backend: Backend) {
    let Env { app, sink, web, .. } = env(backend).await;
    let pool = &web.pool;
    let users = format!("/pools/{pool}/users");
    app.admin(
        "POST",
        &users,
        Some(
            json!({"username": "ivy", "temporary_password": TEMP_PASSWORD,
                    "attributes": {"email": "ivy@example.com"}}),
        ),
    )
    .await
    .expect(201);
    let ivy = nth_mail_to(&sink, "ivy@example.com", 1).await;
    assert_eq!(temporary_password_in(&ivy), TEMP_PASSWORD);
    assert!(ivy.text().contains("ivy"));

    let created = app
        .admin(
            "POST",
            &users,
            Some(json!({"username": "jack", "attributes": {"email": "jack@example.com"}})),
        )
        .await
        .expect(201);
    let generated = created["temporary_password"].as_str().unwrap().to_string();
    let jack = nth_mail_to(&sink, "jack@example.com", 1).await;
    let mailed = temporary_password_in(&jack);
    assert_eq!(mailed, generated);

    let before = outbox(&app).await.total();
    app.admin(
        "POST",
        &users,
        Some(
            json!({"username": "kim", "temporary_password": TEMP_PASSWORD,
                    "suppress_invitation": true, "attributes": {"email": "kim@example.com"}}),
        ),
    )
    .await
    .expect(201);
    assert_eq!(
        outbox(&app).await.total(),
        before,
        "suppress_invitation queues nothing"
    );

    // The mailed password signs in and leads to the forced new-password page.
    let browser = Browser::new(&app);
    let (url, verifier) = authorize_url(&web, &[]);
    let step = browser.sign_in(&url, "jack", &mailed).await;
    assert_eq!(step.status, 303, "{}", step.body);
    let location = step.location.unwrap();
    assert!(location.contains("/new-password?"), "{location}");
    let form = browser.get(&location).await;
    assert_eq!(form.status, 200);
    let done = browser
        .submit(
            &form,
            &[
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let q = query_of(done.location.as_deref().unwrap());
    redeem(&app, &web, &q["code"], &verifier).await.expect(200);
    assert_eq!(user(&app, pool, "jack").await["status"], "CONFIRMED");
    let figures = settled(&app).await;
    assert_eq!(figures.sent, 2);
    assert!(mails_to(&sink, "kim@example.com").is_empty());
}

async fn known_and_unknown_accounts_get_identical_pages(backend: Backend) {
    let Env { app, sink, web, .. } = env(backend).await;
    let pool = &web.pool;
    let browser = Browser::new(&app);

    // Sign-up with the username of a confirmed account, from an application.
    let (url, _) = authorize_url(&web, &[]);
    let login = browser.open_login(&url).await;
    let form = browser
        .get(&link_to(&login.body, "Create an account").unwrap())
        .await;
    let known = browser
        .submit(
            &form,
            &[
                ("username", "alice"),
                ("email", "someone@example.com"),
                ("password", "Other-pass-77"),
            ],
        )
        .await;
    let unknown = browser
        .submit(
            &form,
            &[
                ("username", "zoe"),
                ("email", "zoe@example.com"),
                ("password", "Other-pass-77"),
            ],
        )
        .await;
    assert_eq!(known.status, 303, "{}", known.body);
    assert_eq!(unknown.status, 303, "{}", unknown.body);
    let (known_at, unknown_at) = (known.location.unwrap(), unknown.location.unwrap());
    assert_eq!(anonymise(&known_at, "alice"), anonymise(&unknown_at, "zoe"));
    let known_page = browser.get(&known_at).await;
    let unknown_page = browser.get(&unknown_at).await;
    assert_eq!(
        anonymise(&known_page.body, "alice"),
        anonymise(&unknown_page.body, "zoe")
    );
    // The owner of the account hears of the attempt; no code, no change of password.
    let note = nth_mail_to(&sink, "alice@example.com", 1).await;
    assert!(!has_code(&note), "{}", note.text());
    assert!(
        note.text().contains("already has an account"),
        "{}",
        note.text()
    );
    assert!(has_code(&nth_mail_to(&sink, "zoe@example.com", 1).await));
    tokens_for(&app, &web, &Browser::new(&app)).await;

    // Forgot-password.
    let known = forgot(&browser, pool, "alice").await;
    let unknown = forgot(&browser, pool, "nobody").await;
    assert_eq!((known.status, unknown.status), (303, 303));
    let (known_at, unknown_at) = (known.location.unwrap(), unknown.location.unwrap());
    assert_eq!(
        anonymise(&known_at, "alice"),
        anonymise(&unknown_at, "nobody")
    );
    assert_eq!(
        anonymise(&browser.get(&known_at).await.body, "alice"),
        anonymise(&browser.get(&unknown_at).await.body, "nobody")
    );

    // A pool whose username is the email: the address is the account.
    let email_web = custom_web_app(&app, json!({"username_attributes": ["email"]})).await;
    let email_pool = &email_web.pool;
    app.admin(
        "POST",
        &format!("/pools/{email_pool}/users"),
        Some(
            json!({"username": "known@example.com", "password": PASSWORD, "email_verified": true}),
        ),
    )
    .await
    .expect(201);
    let known = sign_up(&browser, email_pool, None, "known@example.com", PASSWORD).await;
    let unknown = sign_up(&browser, email_pool, None, "fresh@example.com", PASSWORD).await;
    let shouting = sign_up(&browser, email_pool, None, "KNOWN@example.com", PASSWORD).await;
    for page in [&known, &unknown, &shouting] {
        assert_eq!(page.status, 303, "{}", page.body);
    }
    let (known_at, unknown_at) = (known.location.unwrap(), unknown.location.unwrap());
    assert_eq!(
        anonymise(&known_at, "known@example.com"),
        anonymise(&unknown_at, "fresh@example.com")
    );
    assert_eq!(
        anonymise(&browser.get(&known_at).await.body, "known@example.com"),
        anonymise(&browser.get(&unknown_at).await.body, "fresh@example.com")
    );
    // One notice an hour per address: the second attempt (as KNOWN@) sends nothing more.
    let notes = nth_mail_to(&sink, "known@example.com", 1).await;
    assert!(!has_code(&notes));
    settled(&app).await;
    assert_eq!(
        mails_to(&sink, "known@example.com").len(),
        1,
        "notices are rate-limited"
    );
    assert!(
        mails_to(&sink, "known@example.com")
            .iter()
            .all(|m| !has_code(m))
    );
    assert!(has_code(&nth_mail_to(&sink, "fresh@example.com", 1).await));
    // Nothing went to the address typed with the known username.
    settled(&app).await;
    assert!(mails_to(&sink, "someone@example.com").is_empty());

    // Resend: an account waiting for confirmation (just sent a code), a confirmed one, none.
    let waiting = resend(&browser, pool, "zoe").await;
    let confirmed = resend(&browser, pool, "alice").await;
    let nobody = resend(&browser, pool, "nobody").await;
    assert_eq!(
        anonymise(&confirmed.body, "alice"),
        anonymise(&nobody.body, "nobody"),
        "resend: confirmed vs unknown"
    );
    assert_eq!(
        anonymise(&waiting.body, "zoe"),
        anonymise(&nobody.body, "nobody"),
        "resend: an unconfirmed account (throttled) answers differently from an unknown one"
    );
}

async fn known_and_unknown_sign_ups_take_about_the_same_time(backend: Backend) {
    crate::helpers::measure_alone().await;
    const SAMPLES: usize = 9;
    let Env { app, web, .. } =
        env_with(backend, Some(json!({"username_attributes": ["email"]}))).await;
    let pool = &web.pool;
    app.admin(
        "POST",
        &format!("/pools/{pool}/users"),
        Some(
            json!({"username": "known@example.com", "password": PASSWORD, "email_verified": true}),
        ),
    )
    .await
    .expect(201);
    let browser = Browser::new(&app);
    let form = browser.get(&format!("/{pool}/signup")).await;
    let csrf = hidden(&form.body, "csrf_token").unwrap();
    let action = format!("/{pool}/signup");
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    // One of each first to warm up connections and caches, not measured.
    for i in 0..=SAMPLES {
        for is_known in [i % 2 == 0, i % 2 == 1] {
            let email = if is_known {
                "known@example.com".to_string()
            } else {
                format!("new{i}@example.com")
            };
            let started = Instant::now();
            let page = browser
                .post_form(
                    &action,
                    &[
                        ("csrf_token", &csrf),
                        ("email", &email),
                        ("password", PASSWORD),
                    ],
                )
                .await;
            let took = started.elapsed();
            assert_eq!(page.status, 303, "{email}: {}", page.body);
            if i > 0 {
                let bucket = if is_known { &mut known } else { &mut unknown };
                bucket.push(took);
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
        ratio < 3.0,
        "sign-up medians differ too much: known {k:.4}s, unknown {u:.4}s (ratio {ratio:.2})"
    );
}

async fn mail_waits_for_a_smtp_server_that_is_down(backend: Backend) {
    // A port nobody listens on (yet).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let db = Arc::new(TestDatabase::new(backend).await);
    let clock = ManualClock::new(SystemClock.now_millis());
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let app = spawn_on(db.clone(), &[("smtp_url", &smtp_url)], Some(clock.clone())).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);

    // The sign-up is never refused for want of a mail server.
    let page = signed_up(&browser, &web.pool, Some("nina"), "nina@example.com").await;
    assert_eq!(user(&app, &web.pool, "nina").await["status"], "UNCONFIRMED");
    wait_for_attempts(&db, 1).await;
    let figures = outbox(&app).await;
    assert_eq!((figures.queued, figures.sent, figures.failed), (1, 0, 0));

    // The first retry comes 15 s later, and fails too.
    clock.advance_secs(16);
    wait_for_attempts(&db, 2).await;
    let figures = outbox(&app).await;
    assert_eq!(figures.queued, 1);
    assert!(
        figures.oldest_unsent_secs >= 16,
        "the oldest unsent mail is 16 s old: {figures:?}"
    );

    // The server comes back; the next retry (30 s later) delivers.
    let sink = SmtpSink::start_on(port).await;
    clock.advance_secs(31);
    let mail = sink.wait_for_mail_to("nina@example.com", has_code).await;
    let code = code_in(&mail);
    let done = browser
        .submit_to(&page, "/confirm", &[("username", "nina"), ("code", &code)])
        .await;
    assert!(done.body.contains(CONFIRMED), "{}", done.body);

    let figures = settled(&app).await;
    assert_eq!(
        figures,
        Figures {
            queued: 0,
            sent: 1,
            failed: 0,
            oldest_unsent_secs: 0
        }
    );
    let text = app.metrics().await.text;
    assert!(
        text.contains(r#"cognate_outbox_mails{status="sent"} 1"#),
        "{text}"
    );
    assert!(text.contains("cognate_outbox_oldest_unsent_age_seconds 0"));
    assert_eq!(sink.messages().len(), 1, "sent once");
}

async fn two_processes_deliver_each_mail_once(backend: Backend) {
    const MAILS: usize = 24;
    let sink = SmtpSink::start().await;
    let db = Arc::new(TestDatabase::new(backend).await);
    let url = sink.url();
    let first = spawn_on(db.clone(), &[("smtp_url", &url)], None).await;
    let second = spawn_on(db.clone(), &[("smtp_url", &url)], None).await;
    let pool = first.create_pool("two", json!({})).await;
    for i in 0..MAILS {
        let app = if i % 2 == 0 { &first } else { &second };
        app.admin(
            "POST",
            &format!("/pools/{pool}/users"),
            Some(
                json!({"username": format!("user{i}"), "temporary_password": TEMP_PASSWORD,
                        "attributes": {"email": format!("user{i}@example.com")}}),
            ),
        )
        .await
        .expect(201);
    }
    sink.wait_for_count(MAILS, Duration::from_secs(20)).await;
    // Time for a second delivery of any of them, were one coming.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let messages = sink.messages();
    let mut ids: Vec<String> = messages.iter().map(Message::message_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), MAILS, "each mail once: {ids:?}");
    assert_eq!(messages.len(), MAILS, "no mail twice");
    for i in 0..MAILS {
        assert_eq!(
            mails_to(&sink, &format!("user{i}@example.com")).len(),
            1,
            "user{i}"
        );
    }
    for app in [&first, &second] {
        let figures = outbox(app).await;
        assert_eq!((figures.queued, figures.sent), (0, MAILS as i64));
    }
}

async fn file_outbox_without_smtp(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    signed_up(&browser, &web.pool, Some("olga"), "olga@example.com").await;
    let folder = app.db.dir.path().join("outbox");
    let deadline = Instant::now() + WAIT;
    let data = loop {
        let found = std::fs::read_dir(&folder).ok().and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .find_map(|e| std::fs::read_to_string(e.path()).ok())
        });
        if let Some(data) = found {
            break data;
        }
        assert!(Instant::now() < deadline, "no .eml in {}", folder.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let message = Message {
        from: String::new(),
        recipients: Vec::new(),
        data,
    };
    assert!(
        message
            .header("To")
            .unwrap_or_default()
            .contains("olga@example.com"),
        "{}",
        message.data
    );
    let code = code_in(&message);
    let page = confirm(&browser, &web.pool, "olga", &code).await;
    assert!(page.body.contains(CONFIRMED), "{}", page.body);
    assert_eq!(settled(&app).await.sent, 1);
}

async fn admin_create_user_only_turns_sign_up_off(backend: Backend) {
    let Env { app, web, .. } =
        env_with(backend, Some(json!({"allow_admin_create_user_only": true}))).await;
    let pool = &web.pool;
    let browser = Browser::new(&app);
    let (url, _) = authorize_url(&web, &[]);
    let login = browser.open_login(&url).await;
    assert!(link_to(&login.body, "Create an account").is_none());
    assert!(!login.body.contains("/signup"), "{}", login.body);
    assert!(link_to(&login.body, "Forgot your password?").is_some());

    let page = browser.get(&format!("/{pool}/signup")).await;
    assert!(
        (400..500).contains(&page.status),
        "{}: {}",
        page.status,
        page.body
    );
    assert!(page.body.contains("Sign-up is disabled"), "{}", page.body);
    let forgot = browser.get(&format!("/{pool}/forgot-password")).await;
    let csrf = hidden(&forgot.body, "csrf_token").unwrap();
    let post = browser
        .post_form(
            &format!("/{pool}/signup"),
            &[
                ("csrf_token", &csrf),
                ("username", "mallory"),
                ("email", "mallory@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!((400..500).contains(&post.status), "{}", post.status);
    assert!(post.body.contains("Sign-up is disabled"), "{}", post.body);
    assert!(
        app.list_all(&format!("/pools/{pool}/users"), 60)
            .await
            .is_empty()
    );
    assert_eq!(outbox(&app).await.total(), 0);
}

// ---------------------------------------------------------------------------------------------
// Tests: bad input
// ---------------------------------------------------------------------------------------------

/// Signs up with odd names and addresses. Each one is refused with a message (no user, no
/// mail) or accepted (a user with its code, and the mail delivered).
async fn oversized_and_unicode_tricky_names_and_emails(backend: Backend) {
    let Env { app, sink, web, .. } = env(backend).await;
    let pool = &web.pool;
    let mut report = Report::default();
    let long_name = "u".repeat(129);
    let max_name = "m".repeat(128);
    let huge_name = "h".repeat(60_000);
    let long_local = format!("{}@example.com", "l".repeat(65));
    let long_email = format!("a@{}.example.com", "d".repeat(250));
    let huge_email = format!("{}@example.com", "e".repeat(60_000));
    let names: Vec<(&str, String)> = vec![
        ("129 characters", long_name),
        ("128 characters", max_name),
        ("60 KB", huge_name),
        ("right-to-left override", "\u{202E}gnp.exe".into()),
        ("zero-width space", "zero\u{200B}width".into()),
        ("byte-order mark", "\u{FEFF}bom".into()),
        ("NUL", "nul\0byte".into()),
        ("tab", "tab\tname".into()),
        ("NEL", "nel\u{85}name".into()),
        ("fullwidth alice", "ａｌｉｃｅ".into()),
        ("combining accent", "e\u{301}mile".into()),
        ("emoji", "emoji😀".into()),
        ("lone combining mark", "\u{301}".into()),
        ("noncharacter", "x\u{FFFF}".into()),
        ("only spaces", "   ".into()),
    ];
    let emails: Vec<(&str, String)> = vec![
        ("local part of 65", long_local),
        ("over 254 characters", long_email),
        ("60 KB", huge_email),
        ("unicode local part", "ünï@example.com".into()),
        ("unicode domain", "user@exämple.com".into()),
        ("punycode domain", "user@xn--exmple-cua.com".into()),
        ("colon in local part", "a:b@example.com".into()),
        ("domain starting with a hyphen", "user@-example.com".into()),
        (
            "domain label ending with a hyphen",
            "user@example-.com".into(),
        ),
        ("underscore in domain", "user@ex_ample.com".into()),
        ("no dot in domain", "user@localhost".into()),
        ("two @", "a@b@example.com".into()),
        ("right-to-left override", "\u{202E}moc.elpmaxe@x.com".into()),
        ("zero-width space", "us\u{200B}er@example.com".into()),
        ("quoted local part", "\"q\"@example.com".into()),
        ("IP literal", "user@[127.0.0.1]".into()),
        ("plus tag", "user+tag@example.com".into()),
        ("trailing dot in local part", "user.@example.com".into()),
        ("63-character label", format!("user@{}.com", "x".repeat(63))),
        ("64-character label", format!("user@{}.com", "y".repeat(64))),
    ];
    let browser = Browser::new(&app);
    for (i, (what, name)) in names.iter().enumerate() {
        let email = format!("name{i}@example.com");
        let page = sign_up(&browser, pool, Some(name), &email, PASSWORD).await;
        report.no_5xx(&format!("sign-up, username {what}"), &page);
    }
    for (i, (what, email)) in emails.iter().enumerate() {
        let page = sign_up(&browser, pool, Some(&format!("mail{i}")), email, PASSWORD).await;
        report.no_5xx(&format!("sign-up, email {what}"), &page);
    }
    // An email-as-username pool gets the addresses as usernames too.
    let email_web = custom_web_app(&app, json!({"username_attributes": ["email"]})).await;
    for (what, email) in &emails {
        let page = sign_up(&browser, &email_web.pool, None, email, PASSWORD).await;
        report.no_5xx(&format!("sign-up (email pool), email {what}"), &page);
    }
    check_consistent(&mut report, &app, &sink, &[pool, &email_web.pool]).await;
    report.finish();
}

async fn header_injection_in_email_and_name_fields(backend: Backend) {
    let Env { app, sink, .. } = env(backend).await;
    let mut report = Report::default();
    let nick = json!({"schema": [{"name": "nickname", "type": "string", "required": true}]});
    let web = custom_web_app(&app, nick).await;
    let pool = &web.pool;
    let browser = Browser::new(&app);
    let injections = [
        ("CR LF", "\r\n"),
        ("LF", "\n"),
        ("CR", "\r"),
        ("encoded CR LF", "%0d%0a"),
        ("unicode line separator", "\u{2028}"),
    ];
    for (i, (what, eol)) in injections.iter().enumerate() {
        let bcc = format!("victim{i}@example.com{eol}Bcc: evil@example.com");
        let header = format!("victim{i}@example.com{eol}X-Injected: yes");
        for (field, email) in [("Bcc", bcc), ("header", header)] {
            let form = browser.get(&format!("/{pool}/signup")).await;
            let page = browser
                .submit(
                    &form,
                    &[
                        ("username", &format!("inj{i}{field}")),
                        ("email", &email),
                        ("password", PASSWORD),
                        ("custom:nickname", "nick"),
                    ],
                )
                .await;
            report.no_5xx(&format!("sign-up, email with {what} {field}"), &page);
        }
        let form = browser.get(&format!("/{pool}/signup")).await;
        for (field, value) in [
            ("username", format!("name{i}{eol}Bcc: evil@example.com")),
            ("custom:nickname", format!("nick{eol}Bcc: evil@example.com")),
            ("name", format!("Name{eol}Bcc: evil@example.com")),
        ] {
            let mut fields = vec![
                ("username", format!("field{i}{}", field.len())),
                ("email", format!("field{i}-{}@example.com", field.len())),
                ("password", PASSWORD.to_string()),
                ("custom:nickname", "nick".to_string()),
            ];
            fields.retain(|(k, _)| *k != field);
            fields.push((field, value));
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let page = browser.submit(&form, &pairs).await;
            report.no_5xx(&format!("sign-up, {field} with {what}"), &page);
        }
        // The forms that take a username only.
        let login = format!("alice{eol}Bcc: evil@example.com");
        let page = forgot(&browser, pool, &login).await;
        report.no_5xx(&format!("forgot-password, username with {what}"), &page);
        if let Some(location) = &page.location {
            report.check(!location.contains(['\r', '\n']), || {
                format!("forgot-password: raw line break in Location {location:?}")
            });
        }
        let page = resend(&browser, pool, &login).await;
        report.no_5xx(&format!("resend-code, username with {what}"), &page);
        let page = confirm(&browser, pool, &login, "123456").await;
        report.no_5xx(&format!("confirm, username with {what}"), &page);
    }
    // An administrator's settings that end up in headers.
    let mut others = Vec::new();
    for (what, config) in [
        (
            "verification_subject",
            json!({"email": {"verification_subject": "Code\r\nBcc: evil@example.com"}}),
        ),
        (
            "from",
            json!({"email": {"from": "Cognate <no-reply@example.com>\r\nBcc: evil@example.com"}}),
        ),
        (
            "display_name",
            json!({"branding": {"display_name": "Shop\r\nBcc: evil@example.com"}}),
        ),
    ] {
        let mut body = json!({"name": format!("inj-{what}")});
        body.as_object_mut()
            .unwrap()
            .extend(config.as_object().unwrap().clone());
        let answer = app.admin("POST", "/pools", Some(body)).await;
        report.check(answer.status < 500, || {
            format!("create pool with CR LF in {what}: {}", answer.status)
        });
        if answer.status == 201 {
            let other = answer.body["id"].as_str().unwrap().to_string();
            let page = sign_up(
                &browser,
                &other,
                Some("victim"),
                &format!("victim-{what}@example.com"),
                PASSWORD,
            )
            .await;
            report.no_5xx(&format!("sign-up in a pool with CR LF in {what}"), &page);
            others.push(other);
        }
    }
    let mut pools: Vec<&str> = others.iter().map(String::as_str).collect();
    pools.push(pool);
    check_consistent(&mut report, &app, &sink, &pools).await;
    for message in sink.messages() {
        report.check(!message.is_to("evil@example.com"), || {
            format!("a mail went to the injected Bcc: {:?}", message.recipients)
        });
        report.check(
            message.header("Bcc").is_none() && message.header("X-Injected").is_none(),
            || format!("an injected header in the mail to {:?}", message.recipients),
        );
    }
    report.finish();
}

async fn malformed_codes_are_refused_and_spaces_trimmed(backend: Backend) {
    let Env { app, sink, web, .. } = env(backend).await;
    let pool = &web.pool;
    let mut report = Report::default();
    let browser = Browser::new(&app);
    let huge = "9".repeat(60_000);
    let bad: Vec<(&str, String)> = vec![
        ("letters", "abcdef".into()),
        ("seven digits", "1234567".into()),
        ("five digits", "12345".into()),
        ("empty", String::new()),
        ("inner spaces", "12 34 56".into()),
        ("fullwidth digits", "１２３４５６".into()),
        ("arabic-indic digits", "١٢٣٤٥٦".into()),
        ("60 KB", huge),
        ("markup", "<b>1</b>".into()),
        ("hex", "0x1E240".into()),
        ("signed", "+12345".into()),
        ("NUL", "12\u{0}456".into()),
    ];
    // Three bad codes per user (five would kill the code), then the right one padded.
    let pads = [" {} ", "\t{}\n", "{}\r\n", "  {}"];
    for (n, chunk) in bad.chunks(3).enumerate() {
        let name = format!("coder{n}");
        let email = format!("{name}@example.com");
        signed_up(&browser, pool, Some(&name), &email).await;
        let code = code_in(&nth_mail_to(&sink, &email, 1).await);
        for (what, value) in chunk {
            let page = confirm(&browser, pool, &name, value).await;
            report.no_5xx(&format!("confirm, code {what}"), &page);
            report.check(!page.body.contains(CONFIRMED), || {
                format!("confirm: the code {what} was accepted")
            });
            report.check(page.status != 200 || page.body.contains(WRONG_CODE), || {
                format!(
                    "confirm, code {what}: no wrong-code message: {}",
                    short(&page.body)
                )
            });
        }
        let padded = pads[n % pads.len()].replace("{}", &code);
        let page = confirm(&browser, pool, &name, &padded).await;
        report.check(page.body.contains(CONFIRMED), || {
            format!(
                "confirm: the right code with spaces {padded:?} was refused: {}",
                short(&page.body)
            )
        });
    }
    // Reset codes too.
    forgot(&browser, pool, "alice").await;
    let code = code_in(&nth_mail_to(&sink, "alice@example.com", 1).await);
    for (what, value) in bad.iter().take(4) {
        let page = reset(&browser, pool, "alice", value, NEW_PASSWORD).await;
        report.no_5xx(&format!("reset, code {what}"), &page);
        report.check(!page.body.contains("Password changed"), || {
            format!("reset: the code {what} was accepted")
        });
    }
    let page = reset(&browser, pool, "alice", &format!(" {code}\t"), NEW_PASSWORD).await;
    report.check(page.body.contains("Password changed"), || {
        format!(
            "reset: the right code with spaces was refused: {}",
            short(&page.body)
        )
    });
    check_consistent(&mut report, &app, &sink, &[pool]).await;
    report.finish();
}

async fn replayed_form_posts(backend: Backend) {
    let Env {
        app,
        clock,
        sink,
        web,
    } = env(backend).await;
    let pool = &web.pool;
    let mut report = Report::default();
    let browser = Browser::new(&app);

    // The same sign-up post twice, from an application.
    let (url, verifier) = authorize_url(&web, &[]);
    let login = browser.open_login(&url).await;
    let form = browser
        .get(&link_to(&login.body, "Create an account").unwrap())
        .await;
    let csrf = hidden(&form.body, "csrf_token").unwrap();
    let request = hidden(&form.body, "request").unwrap();
    let signup = [
        ("csrf_token", csrf.as_str()),
        ("request", request.as_str()),
        ("username", "rita"),
        ("email", "rita@example.com"),
        ("password", PASSWORD),
    ];
    let first = browser.post_form(&format!("/{pool}/signup"), &signup).await;
    let second = browser.post_form(&format!("/{pool}/signup"), &signup).await;
    report.no_5xx("sign-up replayed", &second);
    report.check(first.status == 303 && second.status == 303, || {
        format!("sign-up replay: {} then {}", first.status, second.status)
    });
    report.check(first.location == second.location, || {
        format!(
            "sign-up replay: {:?} then {:?}",
            first.location, second.location
        )
    });
    let users = app.list_all(&format!("/pools/{pool}/users"), 60).await;
    report.check(
        users.iter().filter(|u| u["username"] == "rita").count() == 1,
        || "sign-up replay: not exactly one user rita".into(),
    );
    settled(&app).await;
    // The replay may have changed the password (it cannot be told from a new one without a
    // second hash), so it kills the first code and sends a new one at once: the latest works.
    let mails = mails_to(&sink, "rita@example.com");
    report.check(mails.len() == 2, || {
        format!(
            "sign-up replayed within a minute: {} code mails, expected 2",
            mails.len()
        )
    });
    let first_code = code_in(&nth_mail_to(&sink, "rita@example.com", 1).await);
    let code = code_in(&nth_mail_to(&sink, "rita@example.com", 2).await);
    let stale = confirm(&browser, pool, "rita", &first_code).await;
    report.check(
        first_code == code || stale.body.contains(WRONG_CODE),
        || format!("the replaced first code: {}", short(&stale.body)),
    );

    // The confirm post twice: one code for the application, then a refusal.
    let confirm_fields = [
        ("csrf_token", csrf.as_str()),
        ("request", request.as_str()),
        ("username", "rita"),
        ("code", code.as_str()),
    ];
    let first = browser
        .post_form(&format!("/{pool}/confirm"), &confirm_fields)
        .await;
    let second = browser
        .post_form(&format!("/{pool}/confirm"), &confirm_fields)
        .await;
    report.no_5xx("confirm replayed", &second);
    report.check(first.status == 303, || {
        format!("confirm: {} {}", first.status, short(&first.body))
    });
    report.check(second.status != 303 && second.location.is_none(), || {
        format!("confirm replayed: {} {:?}", second.status, second.location)
    });
    if let Some(location) = &first.location {
        let q = query_of(location);
        if let Some(code) = q.get("code") {
            let answer = redeem(&app, &web, code, &verifier).await;
            report.check(answer.status == 200, || format!("redeem: {}", answer.text));
        }
    }

    // Resend twice a minute later: one code.
    signed_up(&browser, pool, Some("sam"), "sam@example.com").await;
    clock.advance_secs(61);
    let confirm_page = browser.get(&confirm_url(pool, "sam")).await;
    let resend_fields = [
        ("csrf_token", csrf.as_str()),
        ("request", ""),
        ("username", "sam"),
    ];
    let first = browser
        .post_form(&format!("/{pool}/resend-code"), &resend_fields)
        .await;
    let second = browser
        .post_form(&format!("/{pool}/resend-code"), &resend_fields)
        .await;
    report.no_5xx("resend", &first);
    report.no_5xx("resend replayed", &second);
    settled(&app).await;
    let mails = mails_to(&sink, "sam@example.com");
    report.check(mails.len() == 2, || {
        format!(
            "sign-up then two resends within a second: {} mails, expected 2",
            mails.len()
        )
    });
    let latest = nth_mail_to(&sink, "sam@example.com", mails.len().max(1)).await;
    let page = browser
        .submit_to(
            &confirm_page,
            "/confirm",
            &[("username", "sam"), ("code", &code_in(&latest))],
        )
        .await;
    report.check(page.body.contains(CONFIRMED), || {
        format!("sam's latest code: {}", short(&page.body))
    });

    // Forgot twice: one reset code; reset twice: the second is refused.
    let forgot_fields = [
        ("csrf_token", csrf.as_str()),
        ("request", ""),
        ("username", "alice"),
    ];
    let first = browser
        .post_form(&format!("/{pool}/forgot-password"), &forgot_fields)
        .await;
    let second = browser
        .post_form(&format!("/{pool}/forgot-password"), &forgot_fields)
        .await;
    report.no_5xx("forgot-password replayed", &second);
    report.check(first.location == second.location, || {
        "forgot-password replay answered differently".into()
    });
    settled(&app).await;
    let mails = mails_to(&sink, "alice@example.com");
    report.check(mails.len() == 1, || {
        format!(
            "forgot-password replayed at once: {} reset mails",
            mails.len()
        )
    });
    let code = code_in(&nth_mail_to(&sink, "alice@example.com", mails.len().max(1)).await);
    let reset_fields = [
        ("csrf_token", csrf.as_str()),
        ("request", ""),
        ("username", "alice"),
        ("code", code.as_str()),
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ];
    let first = browser
        .post_form(&format!("/{pool}/reset-password"), &reset_fields)
        .await;
    let second = browser
        .post_form(&format!("/{pool}/reset-password"), &reset_fields)
        .await;
    report.no_5xx("reset-password replayed", &second);
    report.check(first.body.contains("Password changed"), || {
        format!("reset: {}", short(&first.body))
    });
    report.check(second.body.contains(WRONG_CODE), || {
        format!("reset replayed: {} {}", second.status, short(&second.body))
    });
    let (signed_in, _) = sign_in(&app, &web, "alice", NEW_PASSWORD).await;
    report.check(signed_in.status == 303, || {
        "alice cannot sign in after the reset".into()
    });
    check_consistent(&mut report, &app, &sink, &[pool]).await;
    report.finish();
}

async fn missing_or_stale_csrf_token_is_refused(backend: Backend) {
    let Env { app, sink, web, .. } = env(backend).await;
    let pool = &web.pool;
    let mut report = Report::default();
    let browser = Browser::new(&app);
    // A user waiting for confirmation, and a reset code for alice, both known to the test.
    signed_up(&browser, pool, Some("pat"), "pat@example.com").await;
    let signup_code = code_in(&nth_mail_to(&sink, "pat@example.com", 1).await);
    forgot(&browser, pool, "alice").await;
    let reset_code = code_in(&nth_mail_to(&sink, "alice@example.com", 1).await);
    let before = settled(&app).await.total();

    // Another browser's token: valid once, but not this browser's.
    let other = Browser::new(&app);
    let other_page = other.get(&format!("/{pool}/signup")).await;
    let stale = hidden(&other_page.body, "csrf_token").unwrap();
    let own_page = browser.get(&format!("/{pool}/signup")).await;
    let own = hidden(&own_page.body, "csrf_token").unwrap();
    // A cookie and token pair the server never issued (naive double submit took it).
    let forger = Browser::new(&app);
    let forged = "F".repeat(32);
    forger.set_cookie("cognate_csrf", "/", &forged);
    let posts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "signup",
            vec![
                ("username", "mallory"),
                ("email", "mallory@example.com"),
                ("password", PASSWORD),
            ],
        ),
        ("confirm", vec![("username", "pat"), ("code", &signup_code)]),
        ("resend-code", vec![("username", "pat")]),
        ("forgot-password", vec![("username", "alice")]),
        (
            "reset-password",
            vec![
                ("username", "alice"),
                ("code", &reset_code),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        ),
    ];
    for (page, fields) in &posts {
        let path = format!("/{pool}/{page}");
        for (what, token, keep_cookie) in [
            ("no token", None, true),
            ("empty token", Some(String::new()), true),
            ("wrong token", Some("A".repeat(32)), true),
            ("another browser's token", Some(stale.clone()), true),
            ("token without its cookie", Some(own.clone()), false),
            (
                "a forged cookie and token pair",
                Some(forged.clone()),
                false,
            ),
        ] {
            let mut all: Vec<(&str, &str)> = fields.clone();
            if let Some(token) = &token {
                all.push(("csrf_token", token));
            }
            let answer = if keep_cookie {
                browser.post_form(&path, &all).await
            } else if what.starts_with("a forged") {
                forger.post_form(&path, &all).await
            } else {
                let bare = Browser::new(&app);
                bare.post_form(&path, &all).await
            };
            report.check(answer.status == 403, || {
                format!("POST {page} with {what}: {} (expected 403)", answer.status)
            });
        }
    }
    // Nothing happened: no user, no mail, both codes still good.
    report.check(user_status(&app, pool, "mallory").await.is_none(), || {
        "a sign-up without a valid CSRF token created a user".into()
    });
    report.check(
        user_status(&app, pool, "pat").await.as_deref() == Some("UNCONFIRMED"),
        || "a confirm without a valid CSRF token confirmed pat".into(),
    );
    let after = settled(&app).await.total();
    report.check(after == before, || {
        format!(
            "posts without a valid CSRF token queued {} mails",
            after - before
        )
    });
    let page = confirm(&browser, pool, "pat", &signup_code).await;
    report.check(page.body.contains(CONFIRMED), || {
        format!("pat's code no longer works: {}", short(&page.body))
    });
    let page = reset(&browser, pool, "alice", &reset_code, NEW_PASSWORD).await;
    report.check(page.body.contains("Password changed"), || {
        format!("alice's reset code no longer works: {}", short(&page.body))
    });
    check_consistent(&mut report, &app, &sink, &[pool]).await;
    report.finish();
}

async fn sign_up_for_a_pool_that_does_not_exist(backend: Backend) {
    let Env { app, sink, web, .. } = env(backend).await;
    let mut report = Report::default();
    let browser = Browser::new(&app);
    // A CSRF cookie and token from a real page.
    let page = browser.get(&format!("/{}/signup", web.pool)).await;
    let csrf = hidden(&page.body, "csrf_token").unwrap();
    let missing = [
        "local_000000000".to_string(),
        "us-east-1_nothere12".to_string(),
        "not-a-pool".to_string(),
        "%00".to_string(),
        "%2e%2e".to_string(),
        "%C3%A9".to_string(),
        "x".repeat(300),
    ];
    for pool in &missing {
        for page in ["signup", "confirm", "forgot-password", "reset-password"] {
            let answer = browser.get(&format!("/{pool}/{page}")).await;
            report.check(answer.status == 404, || {
                format!(
                    "GET /{pool}/{page}: {} (expected a 404 page)",
                    answer.status
                )
            });
        }
        for page in [
            "signup",
            "confirm",
            "resend-code",
            "forgot-password",
            "reset-password",
        ] {
            let answer = browser
                .post_form(
                    &format!("/{pool}/{page}"),
                    &[
                        ("csrf_token", &csrf),
                        ("username", "ghost"),
                        ("email", "ghost@example.com"),
                        ("password", PASSWORD),
                        ("code", "123456"),
                    ],
                )
                .await;
            report.check(answer.status == 404, || {
                format!(
                    "POST /{pool}/{page}: {} (expected a 404 page)",
                    answer.status
                )
            });
        }
    }
    // A pool deleted while its sign-up form was open.
    let doomed = app.create_pool("doomed", json!({})).await;
    let form = browser.get(&format!("/{doomed}/signup")).await;
    let deleted = app.admin("DELETE", &format!("/pools/{doomed}"), None).await;
    report.check(deleted.status < 300, || {
        format!("delete pool: {}", deleted.status)
    });
    let answer = browser
        .submit(
            &form,
            &[
                ("username", "ghost"),
                ("email", "ghost@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    report.check(answer.status == 404, || {
        format!(
            "sign-up in a deleted pool: {} (expected 404)",
            answer.status
        )
    });
    report.check(answer.body.contains("Not found"), || short(&answer.body));
    let figures = settled(&app).await;
    report.check(figures.total() == 0, || {
        format!("mail was queued: {figures:?}")
    });
    check_consistent(&mut report, &app, &sink, &[&web.pool]).await;
    report.finish();
}

/// Someone who signs up first with another person's address must not end up holding that
/// person's account: the newest sign-up's password is the one the confirmed account gets.
async fn a_later_sign_up_replaces_an_unconfirmed_password(backend: Backend) {
    let Env {
        app,
        clock,
        sink,
        web,
    } = env(backend).await;
    let pool = &web.pool;
    let attacker = Browser::new(&app);
    let planted = sign_up(
        &attacker,
        pool,
        Some("vera"),
        "vera@example.com",
        "Attacker-pass-1",
    )
    .await;
    assert_eq!(planted.status, 303);
    nth_mail_to(&sink, "vera@example.com", 1).await;
    clock.advance_secs(61);
    let victim = Browser::new(&app);
    signed_up(&victim, pool, Some("vera"), "vera@example.com").await;
    let code = code_in(&nth_mail_to(&sink, "vera@example.com", 2).await);
    let page = confirm(&victim, pool, "vera", &code).await;
    assert!(page.body.contains(CONFIRMED), "{}", page.body);
    let (url, _) = crate::browser::authorize_url(&web, &[("prompt", "login")]);
    let planted_password = victim.sign_in(&url, "vera", "Attacker-pass-1").await;
    assert!(
        planted_password.body.contains(BAD_CREDENTIALS),
        "{}",
        planted_password.body
    );
    let own = victim.sign_in(&url, "vera", PASSWORD).await;
    assert_eq!(own.status, 303, "{}", own.body);
}
