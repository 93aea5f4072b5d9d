//! Rows of `outbox`: mail waiting to be sent. Workers claim rows with a lease, so each mail
//! goes out once even with several processes; a mail is sent twice only if a worker dies
//! between sending and recording it. A claim lapses when its lease runs out or when its
//! owner stops heartbeating (`mail_workers`), whichever comes first.

use super::{Store, StoreResult, on_pool};

#[derive(Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: String,
    pub pool_id: Option<String>,
    pub kind: String,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

// Bodies carry codes and temporary passwords: never printed.
crate::redact::debug_fields!(OutboxRow {
    id,
    kind,
    status,
    attempts
});

pub const COLUMNS: &str = "id, pool_id, kind, sender, recipient, subject, text_body, html_body, status, attempts, \
     next_attempt_at, claimed_by, claimed_until, last_error, created_at, sent_at";

macro_rules! insert_outbox_query {
    ($row:expr) => {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO outbox ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            $crate::store::outbox::COLUMNS
        )))
        .bind(&$row.id)
        .bind(&$row.pool_id)
        .bind(&$row.kind)
        .bind(&$row.sender)
        .bind(&$row.recipient)
        .bind(&$row.subject)
        .bind(&$row.text_body)
        .bind(&$row.html_body)
        .bind(&$row.status)
        .bind($row.attempts)
        .bind($row.next_attempt_at)
        .bind(&$row.claimed_by)
        .bind($row.claimed_until)
        .bind(&$row.last_error)
        .bind($row.created_at)
        .bind($row.sent_at)
    };
}
pub(crate) use insert_outbox_query;

pub async fn enqueue(store: &Store, row: &OutboxRow) -> StoreResult<()> {
    on_pool!(store, pool => {
        insert_outbox_query!(row).execute(pool).await?;
    });
    Ok(())
}

/// Claims up to `limit` due mails for `worker` until `lease_until`: unclaimed ones, those
/// whose lease ran out, and those whose owner's heartbeat is older than `silent_since`
/// (a dead process). Owners without a heartbeat row (a worker of an earlier version)
/// keep their claim until its lease runs out. PostgreSQL skips rows another worker holds
/// (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time, so the immediate
/// transaction alone makes the claim exclusive.
pub async fn claim(
    store: &Store,
    worker: &str,
    now: i64,
    lease_until: i64,
    silent_since: i64,
    limit: i64,
) -> StoreResult<Vec<OutboxRow>> {
    const CLAIMABLE: &str = "status = 'queued' AND next_attempt_at <= $3 \
        AND (claimed_until IS NULL OR claimed_until < $3 \
             OR claimed_by IN (SELECT id FROM mail_workers WHERE heartbeat_at < $5))";
    match store {
        Store::Postgres(pool) => Ok(sqlx::query_as::<_, OutboxRow>(sqlx::AssertSqlSafe(format!(
            "UPDATE outbox SET claimed_by = $1, claimed_until = $2 WHERE id IN ( \
               SELECT id FROM outbox WHERE {CLAIMABLE} \
               ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING {COLUMNS}"
        )))
        .bind(worker)
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .bind(silent_since)
        .fetch_all(pool)
        .await?),
        Store::Sqlite(sqlite) => {
            let _turn = sqlite.write_turn().await;
            let mut tx = sqlite.pool.begin_with("BEGIN IMMEDIATE").await?;
            let rows = sqlx::query_as::<_, OutboxRow>(sqlx::AssertSqlSafe(format!(
                "UPDATE outbox SET claimed_by = $1, claimed_until = $2 WHERE id IN ( \
                   SELECT id FROM outbox WHERE {CLAIMABLE} \
                   ORDER BY next_attempt_at LIMIT $4) \
                 RETURNING {COLUMNS}"
            )))
            .bind(worker)
            .bind(lease_until)
            .bind(now)
            .bind(limit)
            .bind(silent_since)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(rows)
        }
    }
}

/// Renews this worker's claim on one mail just before sending it; false when the claim
/// was lost (another worker took it, or it was sent), or when this worker's own heartbeat
/// is older than `heard_since`, so others may already count it dead: then the mail must
/// not be sent.
pub async fn renew_claim(
    store: &Store,
    id: &str,
    worker: &str,
    until: i64,
    heard_since: i64,
) -> StoreResult<bool> {
    let rows = on_pool!(store, pool => sqlx::query(
        "UPDATE outbox SET claimed_until = $1 WHERE id = $2 AND claimed_by = $3 AND status = 'queued' \
         AND EXISTS (SELECT 1 FROM mail_workers WHERE id = $3 AND heartbeat_at >= $4)",
    )
    .bind(until)
    .bind(id)
    .bind(worker)
    .bind(heard_since)
    .execute(pool)
    .await?
    .rows_affected());
    Ok(rows == 1)
}

/// Records a delivery, if the claim is still this worker's. The bodies, which hold codes
/// and temporary passwords, are not kept once the mail is out.
pub async fn mark_sent(store: &Store, id: &str, worker: &str, now: i64) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, \
             claimed_by = NULL, claimed_until = NULL, last_error = NULL, text_body = '', html_body = '' \
             WHERE id = $2 AND claimed_by = $3",
        )
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Records a failed attempt: retried at `next_attempt_at`, or given up (`failed`).
pub async fn mark_attempt_failed(
    store: &Store,
    id: &str,
    worker: &str,
    next_attempt_at: i64,
    give_up: bool,
    error: &str,
) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query(
            "UPDATE outbox SET status = $1, attempts = attempts + 1, next_attempt_at = $2, \
             claimed_by = NULL, claimed_until = NULL, last_error = $3, \
             text_body = CASE WHEN $1 = 'failed' THEN '' ELSE text_body END, \
             html_body = CASE WHEN $1 = 'failed' THEN '' ELSE html_body END \
             WHERE id = $4 AND claimed_by = $5",
        )
        .bind(if give_up { "failed" } else { "queued" })
        .bind(next_attempt_at)
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// (queued, sent, failed, created_at of the oldest unsent mail).
pub async fn stats(store: &Store) -> StoreResult<(i64, i64, i64, Option<i64>)> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, (i64, i64, i64, Option<i64>)>(
        "SELECT \
           COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0), \
           COALESCE(SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END), 0), \
           COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0), \
           MIN(CASE WHEN status = 'queued' THEN created_at END) \
         FROM outbox",
    )
    .fetch_one(pool)
    .await?))
}

/// How many mails of `kind` went to `recipient` since `since`.
pub async fn recent_to(store: &Store, recipient: &str, kind: &str, since: i64) -> StoreResult<i64> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM outbox WHERE recipient = $1 AND kind = $2 AND created_at > $3",
    )
    .bind(recipient)
    .bind(kind)
    .bind(since)
    .fetch_one(pool)
    .await?))
}
