//! Rows of `audit_events`, and the row an admin request carries until its first committed
//! transaction takes it.
//!
//! An event is written with the change it records: while an admin request runs, its event
//! waits in a task-local slot, and the first `in_tx!` that commits during the request
//! inserts it in that transaction. A rolled-back write takes its event with it, so no row
//! claims a change that did not happen. A request that commits nothing (a read, a refusal,
//! a failed write) has its event inserted once its answer is known; one that did commit has
//! the answer's status filled in then. Either way the request has one row.

use std::cell::RefCell;

use sqlx::AssertSqlSafe;

use super::{Store, StoreError, StoreResult, execute_in_tx, in_tx, on_pool};
use crate::store::paging::PageRequest;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub at: i64,
    pub request_id: String,
    pub principal_arn: Option<String>,
    pub access_key_id: Option<String>,
    pub action: String,
    pub resource: String,
    pub decision: String,
    pub deciding_policy: Option<String>,
    pub deciding_sid: Option<String>,
    pub source_address: Option<String>,
    pub user_agent: Option<String>,
    pub status: Option<i64>,
}

const COLUMNS: &str = "id, at, request_id, principal_arn, access_key_id, action, resource, \
     decision, deciding_policy, deciding_sid, source_address, user_agent, status";

/// The insert of `$event`, bound for whichever engine runs it.
macro_rules! insert_event {
    ($event:expr) => {
        sqlx::query(
            "INSERT INTO audit_events (id, at, request_id, principal_arn, access_key_id, action, \
             resource, decision, deciding_policy, deciding_sid, source_address, user_agent, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&$event.id)
        .bind($event.at)
        .bind(&$event.request_id)
        .bind(&$event.principal_arn)
        .bind(&$event.access_key_id)
        .bind(&$event.action)
        .bind(&$event.resource)
        .bind(&$event.decision)
        .bind(&$event.deciding_policy)
        .bind(&$event.deciding_sid)
        .bind(&$event.source_address)
        .bind(&$event.user_agent)
        .bind($event.status)
    };
}
pub(crate) use insert_event;

#[derive(Default)]
struct Slot {
    event: Option<EventRow>,
    committed: bool,
}

tokio::task_local! {
    static PENDING: RefCell<Slot>;
}

/// Runs `work` (an admin request) with `event` waiting for its first committed write.
/// Returns what `work` returned, the event as it stands at the end, and whether it was
/// committed with a change.
pub async fn carried_by<F: std::future::Future>(
    event: EventRow,
    work: F,
) -> (F::Output, EventRow, bool) {
    let slot = RefCell::new(Slot {
        event: Some(event.clone()),
        committed: false,
    });
    PENDING
        .scope(slot, async {
            let out = work.await;
            let (event, committed) = PENDING.with(|s| {
                let mut s = s.borrow_mut();
                (s.event.take().unwrap_or(event), s.committed)
            });
            (out, event, committed)
        })
        .await
}

/// The event a transaction about to commit must insert, if it is the request's first.
pub fn pending() -> Option<EventRow> {
    PENDING
        .try_with(|s| {
            let s = s.borrow();
            if s.committed { None } else { s.event.clone() }
        })
        .ok()
        .flatten()
}

/// Changes the pending event before it is written: a route that decides more than the
/// route's own action (a trust policy) records its verdict.
pub fn amend(change: impl FnOnce(&mut EventRow)) {
    let _ = PENDING.try_with(|s| {
        let mut s = s.borrow_mut();
        if !s.committed
            && let Some(event) = s.event.as_mut()
        {
            change(event);
        }
    });
}

/// Called once a transaction that inserted the pending event has committed.
pub fn committed() {
    let _ = PENDING.try_with(|s| s.borrow_mut().committed = true);
}

/// Inserts an event on its own (outside any request's scope, so nothing else rides along).
/// A transaction, so SQLite writes queue on the process's write turn with the others.
pub async fn insert(store: &Store, event: &EventRow) -> StoreResult<()> {
    in_tx!(store, tx => {
        insert_event!(event).execute(&mut *tx).await?;
    });
    Ok(())
}

/// Events waiting for the writer, each with who waits for its commit.
type Queued = (EventRow, tokio::sync::oneshot::Sender<Result<(), String>>);

/// Writes the events of requests that changed nothing (reads, refusals, failed writes) in
/// group commits: each request still answers only once its row is committed, but rows
/// that arrive together share one transaction, so a busy read path costs one commit per
/// batch instead of one per request.
#[derive(Clone)]
pub struct AuditWriter {
    queue: flume::Sender<Queued>,
}

/// The most rows one commit takes.
const BATCH: usize = 256;

impl AuditWriter {
    pub fn spawn(store: Store) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, waiting) = flume::unbounded::<Queued>();
        let task = tokio::spawn(async move {
            while let Ok(first) = waiting.recv_async().await {
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match waiting.try_recv() {
                        Ok(more) => batch.push(more),
                        Err(_) => break,
                    }
                }
                // Ids are unique and a row already there (its transaction committed but
                // said otherwise) is kept, so a batch fails only with the database. Then
                // each row is tried alone, and each request learns its own outcome.
                if insert_all(&store, batch.iter().map(|(e, _)| e))
                    .await
                    .is_ok()
                {
                    for (_, done) in batch {
                        let _ = done.send(Ok(()));
                    }
                    continue;
                }
                for (event, done) in batch {
                    let alone = insert_all(&store, std::iter::once(&event)).await;
                    let _ = done.send(alone.map_err(|e| e.to_string()));
                }
            }
        });
        (Self { queue }, task)
    }

    /// Writes `event`, returning once it is committed.
    pub async fn write(&self, event: EventRow) -> StoreResult<()> {
        let (done, committed) = tokio::sync::oneshot::channel();
        let gone =
            || StoreError::Database(sqlx::Error::Protocol("the audit writer stopped".into()));
        self.queue.send((event, done)).map_err(|_| gone())?;
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(StoreError::Database(sqlx::Error::Protocol(message))),
            Err(_) => Err(gone()),
        }
    }
}

async fn insert_all<'a>(
    store: &Store,
    events: impl Iterator<Item = &'a EventRow>,
) -> StoreResult<()> {
    let events: Vec<&EventRow> = events.collect();
    in_tx!(store, tx => {
        for event in &events {
            insert_event!(event).execute(&mut *tx).await?;
        }
    });
    Ok(())
}

/// The answer's status, for an event committed with its change.
pub async fn set_status(store: &Store, id: &str, status: i64) -> StoreResult<()> {
    execute_in_tx!(
        store,
        "UPDATE audit_events SET status = $2 WHERE id = $1",
        id,
        status
    );
    Ok(())
}

/// What `GET /audit-events` filters on; every part is optional.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub principal: Option<String>,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// Events in time order, oldest first, after the page's key.
pub async fn list(
    store: &Store,
    filter: &Filter,
    page: &PageRequest,
) -> StoreResult<Vec<EventRow>> {
    // Every filter is bound, never spliced: `$n` numbers follow the parts present.
    let mut sql = format!("SELECT {COLUMNS} FROM audit_events WHERE 1 = 1");
    let mut n = 1;
    let mut texts: Vec<&str> = Vec::new();
    let mut times: Vec<(usize, i64)> = Vec::new();
    for (column, value) in [
        ("principal_arn", &filter.principal),
        ("action", &filter.action),
        ("resource", &filter.resource),
    ] {
        if let Some(value) = value {
            sql.push_str(&format!(" AND {column} = ${n}"));
            texts.push(value);
            n += 1;
        }
    }
    if let Some(after) = page.after_key() {
        sql.push_str(&format!(" AND id > ${n}"));
        texts.push(after);
        n += 1;
    }
    for (op, value) in [(">=", filter.since), ("<", filter.until)] {
        if let Some(value) = value {
            sql.push_str(&format!(" AND at {op} ${n}"));
            times.push((n, value));
            n += 1;
        }
    }
    sql.push_str(&format!(" ORDER BY id LIMIT ${n}"));
    on_pool!(store, pool => {
        let mut query = sqlx::query_as::<_, EventRow>(AssertSqlSafe(sql.clone()));
        for text in &texts {
            query = query.bind(*text);
        }
        for (_, value) in &times {
            query = query.bind(*value);
        }
        Ok(query.bind(page.fetch()).fetch_all(pool).await?)
    })
}

/// Deletes events older than `before`; the number deleted.
pub async fn sweep(store: &Store, before: i64) -> StoreResult<u64> {
    on_pool!(store, pool => Ok(sqlx::query("DELETE FROM audit_events WHERE at < $1")
        .bind(before)
        .execute(pool)
        .await?
        .rows_affected()))
}
