//! Mail after a crash (finding 24): each outbox worker heartbeats, the mail a dead worker
//! claimed passes to a live one 30 s after its last beat, and a live worker in the middle
//! of a slow delivery keeps its claim. Two apps share one database and one manual clock;
//! the last test kills a real `cognate` process.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cognate::clock::{Clock, ManualClock, SystemClock};
use serde_json::json;

use crate::helpers::{Backend, TestApp, TestDatabase, spawn_on};
use crate::on_both;
use crate::process::Process;
use crate::smtp::SmtpSink;

on_both!(
    a_dead_workers_mail_is_taken_over_30_seconds_after_its_last_beat,
    a_live_worker_keeps_its_claim_through_a_slow_send,
    a_worker_heard_again_after_long_silence_takes_a_new_name,
    a_killed_process_mail_goes_out_within_30_seconds,
);

const WAIT: Duration = Duration::from_secs(10);
const TEMP_PASSWORD: &str = "Temporary-Pass-1";

/// Rows of one text column, read straight from the database.
async fn texts(db: &TestDatabase, sql: &str) -> Vec<String> {
    use sqlx::Connection;
    if db.url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut conn)
            .await
            .unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut conn)
            .await
            .unwrap()
    }
}

/// Names of the workers whose last beat is at or after `since`.
async fn workers_heard_since(db: &TestDatabase, since: i64) -> Vec<String> {
    texts(
        db,
        &format!("SELECT id FROM mail_workers WHERE heartbeat_at >= {since} ORDER BY id"),
    )
    .await
}

/// Waits (in real time) until `done` holds.
async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Moves the clock on and waits until `live` workers have beaten at the new time, as they
/// would have in those seconds.
async fn advance(db: &TestDatabase, clock: &ManualClock, secs: i64, live: usize) {
    clock.advance_secs(secs);
    let now = clock.now_millis();
    wait_until("the live workers beat", async || {
        workers_heard_since(db, now).await.len() == live
    })
    .await;
}

/// Creates `name` with a temporary password, which queues an invitation mail.
async fn invite(app: &TestApp, pool: &str, name: &str) {
    app.admin(
        "POST",
        &format!("/pools/{pool}/users"),
        Some(
            json!({"username": name, "temporary_password": TEMP_PASSWORD,
                    "attributes": {"email": format!("{name}@example.com")}}),
        ),
    )
    .await
    .expect(201);
}

fn mails_to(sink: &SmtpSink, name: &str) -> usize {
    let address = format!("{name}@example.com");
    sink.messages().iter().filter(|m| m.is_to(&address)).count()
}

/// `(status, claimed_by)` of the mail to `name`.
async fn mail_state(db: &TestDatabase, name: &str) -> (String, String) {
    let sql = format!(
        "SELECT status || ' ' || COALESCE(claimed_by, '-') FROM outbox \
         WHERE recipient = '{name}@example.com'"
    );
    let rows = texts(db, &sql).await;
    assert_eq!(rows.len(), 1, "one mail to {name}: {rows:?}");
    let (status, owner) = rows[0].split_once(' ').unwrap();
    (status.to_string(), owner.to_string())
}

/// The first app on a shared database and clock, stuck delivering an invitation to `held`
/// through a stalled server.
async fn stuck_sending(
    backend: Backend,
) -> (
    Arc<TestDatabase>,
    Arc<ManualClock>,
    SmtpSink,
    TestApp,
    String,
) {
    let db = Arc::new(TestDatabase::new(backend).await);
    let clock = ManualClock::new(SystemClock.now_millis());
    let stalled = SmtpSink::start_holding().await;
    let first = spawn_on(
        db.clone(),
        &[("smtp_url", &stalled.url())],
        Some(clock.clone()),
    )
    .await;
    let pool = first.create_pool("crash", json!({})).await;
    invite(&first, &pool, "held").await;
    wait_until("the first app is sending", async || stalled.held() == 1).await;
    let (status, owner) = mail_state(&db, "held").await;
    assert_eq!(status, "queued");
    assert_eq!(workers_heard_since(&db, 0).await, [owner]);
    (db, clock, stalled, first, pool)
}

async fn a_dead_workers_mail_is_taken_over_30_seconds_after_its_last_beat(backend: Backend) {
    let (db, clock, stalled, first, pool) = stuck_sending(backend).await;
    let (_, dead) = mail_state(&db, "held").await;
    drop(first);
    wait_until("the first app's worker is gone", async || {
        stalled.held() == 0
    })
    .await;
    let sink = SmtpSink::start().await;
    let second = spawn_on(
        db.clone(),
        &[("smtp_url", &sink.url())],
        Some(clock.clone()),
    )
    .await;
    for _ in 0..3 {
        advance(&db, &clock, 10, 1).await;
    }
    // 30 s after the dead worker's last beat its claim still stands: a pass that delivers
    // a newer mail leaves it alone.
    invite(&second, &pool, "probe").await;
    sink.wait_for_mail_to("probe@example.com", |_| true).await;
    assert_eq!(mails_to(&sink, "held"), 0);
    assert_eq!(mail_state(&db, "held").await.1, dead);
    // One second later it is taken over, a minute and a half before its lease ends.
    clock.advance_secs(1);
    sink.wait_for_mail_to("held@example.com", |_| true).await;
    wait_until("the mail is recorded as sent", async || {
        mail_state(&db, "held").await == ("sent".into(), "-".into())
    })
    .await;
    assert_eq!(mails_to(&sink, "held"), 1);
    assert_eq!(mails_to(&stalled, "held"), 0);
}

async fn a_live_worker_keeps_its_claim_through_a_slow_send(backend: Backend) {
    let (db, clock, stalled, first, pool) = stuck_sending(backend).await;
    let (_, owner) = mail_state(&db, "held").await;
    let sink = SmtpSink::start().await;
    let second = spawn_on(
        db.clone(),
        &[("smtp_url", &sink.url())],
        Some(clock.clone()),
    )
    .await;
    // A hundred seconds into the delivery, far past the 30 s a silent worker is allowed,
    // and still within the lease renewed before sending (which outlasts the send timeout).
    for _ in 0..10 {
        advance(&db, &clock, 10, 2).await;
    }
    invite(&second, &pool, "probe").await;
    sink.wait_for_mail_to("probe@example.com", |_| true).await;
    assert_eq!(mails_to(&sink, "held"), 0);
    assert_eq!(mail_state(&db, "held").await, ("queued".into(), owner));
    stalled.release();
    stalled.wait_for_mail_to("held@example.com", |_| true).await;
    wait_until("the mail is recorded as sent", async || {
        mail_state(&db, "held").await.0 == "sent"
    })
    .await;
    // A later pass of the second worker finds nothing to send again.
    invite(&second, &pool, "probe2").await;
    sink.wait_for_mail_to("probe2@example.com", |_| true).await;
    assert_eq!(mails_to(&sink, "held"), 0);
    assert_eq!(mails_to(&stalled, "held"), 1);
    drop(first);
}

async fn a_worker_heard_again_after_long_silence_takes_a_new_name(backend: Backend) {
    let db = Arc::new(TestDatabase::new(backend).await);
    let clock = ManualClock::new(SystemClock.now_millis());
    let sink = SmtpSink::start().await;
    let app = spawn_on(
        db.clone(),
        &[("smtp_url", &sink.url())],
        Some(clock.clone()),
    )
    .await;
    let start = clock.now_millis();
    wait_until("the worker beats", async || {
        workers_heard_since(&db, start).await.len() == 1
    })
    .await;
    let before = workers_heard_since(&db, 0).await;
    // An hour without a beat (a suspended machine, say): others may have taken its mail,
    // so it must not carry on under the name they gave up on; and the silent name's row
    // is deleted.
    clock.advance_secs(3601);
    let now = clock.now_millis();
    wait_until("the worker beats again", async || {
        workers_heard_since(&db, now).await.len() == 1
    })
    .await;
    let after = workers_heard_since(&db, 0).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_ne!(after, before);
    let pool = app.create_pool("later", json!({})).await;
    invite(&app, &pool, "later").await;
    sink.wait_for_mail_to("later@example.com", |_| true).await;
}

/// A `cognate serve` process on `db` that mails through `smtp_url`.
async fn start_process(db: &TestDatabase, smtp_url: &str) -> Process {
    let dir = db.dir.path().display().to_string();
    Process::start(&[
        ("COGNATE_DATA_DIR", &dir),
        ("COGNATE_DATABASE_URL", &db.url),
        ("COGNATE_SMTP_URL", smtp_url),
    ])
    .await
}

async fn a_killed_process_mail_goes_out_within_30_seconds(backend: Backend) {
    let db = Arc::new(TestDatabase::new(backend).await);
    let stalled = SmtpSink::start_holding().await;
    let mut first = start_process(&db, &stalled.url()).await;
    let pool = first.create("/pools", json!({"name": "killed"})).await;
    let pool = pool["id"].as_str().unwrap();
    first
        .create(
            &format!("/pools/{pool}/users"),
            json!({"username": "held", "temporary_password": TEMP_PASSWORD,
               "attributes": {"email": "held@example.com"}}),
        )
        .await;
    wait_until("the process is sending", async || stalled.held() == 1).await;
    first.kill();
    let killed_at = Instant::now();
    let sink = SmtpSink::start().await;
    let second = start_process(&db, &sink.url()).await;
    sink.wait_for(|m| m.is_to("held@example.com"), Duration::from_secs(45))
        .await;
    let took = killed_at.elapsed();
    eprintln!("{backend:?}: the killed process's mail went out {took:?} after the kill");
    // 30 s of silence after its last beat (at most 30 s after the kill), then a poll.
    assert!(took <= Duration::from_secs(35), "took {took:?}");
    drop(second);
    assert_eq!(mails_to(&sink, "held"), 1);
}
