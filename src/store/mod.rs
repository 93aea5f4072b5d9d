//! The store reads and writes rows; it knows no rules. The core asks for transactions.
//!
//! Why an enum of two pools and not `sqlx::Any` or a trait object: `Any` cannot carry our
//! types and loses each engine's connect options, and async traits are not object-safe.
//! Instead the schema is kept portable (text ids, `BIGINT` epoch-millisecond UTC times,
//! JSON as text, `$n` placeholders, which SQLite accepts too), so one SQL text serves both
//! engines. The `on_pool!`/`in_tx!` macros expand each query once per engine, the compiler
//! checks both, and one conformance suite (`tests/api`) runs against both.

pub mod account;
pub mod admin_keys;
pub mod audit;
pub mod checkpoint;
pub mod clients;
pub mod codes;
pub mod federation;
pub mod files;
pub mod groups;
pub mod iam;
pub mod identity_providers;
pub mod mail_workers;
pub mod mfa;
pub mod oauth;
pub mod outbox;
pub mod paging;
pub mod pools;
pub mod refused_sign_ups;
pub mod resource_servers;
pub mod sign_in_steps;
pub mod signing_keys;
pub mod srp;
pub mod sweep;
pub mod throttle;
pub mod used_signatures;
pub mod user_codes;
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::config::DatabaseUrl;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgPool),
}

/// The SQLite pool, and the lock its write transactions take in turn.
///
/// SQLite has one writer at a time. A transaction that finds the write lock taken waits in
/// SQLite's busy handler, which sleeps 1, 2, 5, 10 ... up to 100 ms between tries: under
/// load that put hundreds of milliseconds on the slowest requests while the lock sat free.
/// Queueing this process's write transactions on an async lock first hands it over the
/// moment it is released; the busy timeout still covers other processes and single writes.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pub pool: SqlitePool,
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl SqliteStore {
    /// Waits for this process's turn to write; hold the guard until the commit.
    pub async fn write_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writer.lock().await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; carries the constraint or column text.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A foreign key refused the write: something still refers to, or no longer exists for,
    /// the row.
    #[error("reference violated: {0}")]
    Reference(String),
    #[error("not found")]
    NotFound,
    /// An optimistic update lost a race more often than it is worth retrying.
    #[error("concurrent update, try again")]
    Contention,
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.constraint().unwrap_or(db.message()).to_string())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::Reference(db.constraint().unwrap_or(db.message()).to_string())
            }
            // PostgreSQL chose this transaction as a deadlock's victim, or could not
            // serialise it: nothing was written, and the same work may simply be tried again.
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("40P01" | "40001")) =>
            {
                StoreError::Contention
            }
            _ => StoreError::Database(err),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(err: serde_json::Error) -> Self {
        StoreError::Corrupt(err.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Runs `$body` with `$pool` bound to the engine's pool.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite(sqlite) => {
                let $pool = &sqlite.pool;
                $body
            }
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` inside one transaction with `$tx` bound to it; commits when the body
/// finishes, rolls back when it returns early with `?`. An admin request's audit event is
/// inserted in the first transaction it commits (see `audit`). SQLite write transactions take this
/// process's write turn, then begin `IMMEDIATE` so a writer in another process is waited for
/// on the busy timeout instead of failing to upgrade.
macro_rules! in_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite(sqlite) => {
                let _turn = sqlite.write_turn().await;
                let mut $tx = sqlite.pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $crate::store::commit!($tx);
                out
            }
            $crate::store::Store::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let out = $body;
                $crate::store::commit!($tx);
                out
            }
        }
    };
}

/// Commits `$tx` for `in_tx!`, with the request's pending audit event, if any, inserted
/// first.
macro_rules! commit {
    ($tx:ident) => {
        let event = $crate::store::audit::pending();
        if let Some(event) = &event {
            $crate::store::audit::insert_event!(event)
                .execute(&mut *$tx)
                .await?;
        }
        $tx.commit().await?;
        if event.is_some() {
            $crate::store::audit::committed();
        }
    };
}

/// Runs one statement in its own transaction (`in_tx!`), its arguments bound to `$1`, `$2`,
/// ... in order; the rows it changed.
macro_rules! execute_in_tx {
    ($store:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::store::in_tx!($store, tx => sqlx::query($sql)
            $(.bind($arg))*
            .execute(&mut *tx)
            .await?
            .rows_affected())
    };
}

pub(crate) use {commit, execute_in_tx, in_tx, on_pool};

/// Whether a SQLite database is a file (not `:memory:`), whose files we create and guard.
fn on_disk(file: &std::path::Path) -> bool {
    !file.as_os_str().is_empty() && file != std::path::Path::new(":memory:")
}

/// `file` with `suffix` appended to its name, as SQLite names its `-wal` and `-shm` files.
fn with_suffix(file: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// Pages of SQLite write-ahead log at which a commit checkpoints by itself (SQLite's default
/// is 1,000). The server's background checkpoint keeps the log well below it.
const WAL_AUTOCHECKPOINT_PAGES: &str = "16000";
/// The size SQLite truncates the write-ahead log file back to after a checkpoint reset it.
const WAL_SIZE_LIMIT_BYTES: &str = "67108864";
/// Frames (pages) of write-ahead log after which the background checkpoint makes the log
/// start again from its beginning: 16 MiB of 4 KiB pages.
const WAL_RESTART_FRAMES: i64 = 4096;
/// How often the server checkpoints SQLite's write-ahead log.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// A PostgreSQL connection idle this long is pinged before it is used again.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

impl Store {
    /// SQLite: copies the write-ahead log back into the database file, as far as readers
    /// allow, without waiting for any reader or writer (a `PASSIVE` checkpoint). Left to
    /// itself SQLite does this inside the commit that fills 1,000 pages of log, while that
    /// commit holds the single write lock and every other writer waits on it, fsync
    /// included; the server runs it in the background instead (`CHECKPOINT_EVERY`).
    ///
    /// The log file only starts again from its beginning when no reader is still using it,
    /// which under steady load may not happen by itself: once it holds `WAL_RESTART_FRAMES`,
    /// the checkpoint takes this process's write turn (writers queue on it, not in SQLite's
    /// busy handler) and waits for the readers, so the next writer starts the log again.
    /// Returns the frames the log held. PostgreSQL has nothing to do.
    pub async fn checkpoint(&self) -> StoreResult<Option<i64>> {
        let Store::Sqlite(sqlite) = self else {
            return Ok(None);
        };
        let (_busy, frames, _copied): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&sqlite.pool)
                .await?;
        if frames >= WAL_RESTART_FRAMES {
            let _turn = sqlite.write_turn().await;
            sqlx::query("PRAGMA wal_checkpoint(RESTART)")
                .execute(&sqlite.pool)
                .await?;
        }
        Ok(Some(frames))
    }

    /// Connects without migrating.
    pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> Result<Self, sqlx::Error> {
        match url {
            DatabaseUrl::Sqlite(text) => {
                let options = SqliteConnectOptions::from_str(text)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    // The server checkpoints in the background (`Store::checkpoint`); the
                    // commit that fills this many pages of log only does it if that falls
                    // behind or is not running (the command line's short writes).
                    .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
                    .pragma("journal_size_limit", WAL_SIZE_LIMIT_BYTES)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10));
                let file = options.get_filename();
                if on_disk(file) {
                    if let Some(parent) = file.parent()
                        && !parent.as_os_str().is_empty()
                    {
                        files::create_private_dir(parent).map_err(sqlx::Error::Io)?;
                    }
                    // SQLite gives the -wal and -shm files the database file's mode, so a
                    // database file made private before SQLite opens it keeps all three so.
                    files::create_private_file(file).map_err(sqlx::Error::Io)?;
                    for suffix in ["", "-wal", "-shm"] {
                        files::tighten(&with_suffix(file, suffix));
                    }
                }
                // Switching a new database file to WAL takes an exclusive lock that the busy
                // timeout does not cover; a second process opening the same file at that
                // moment is told "locked". It only has to wait its turn.
                let mut attempt = 0;
                loop {
                    // An in-process database cannot drop the connection: no liveness ping,
                    // which would cost a hop to the connection's thread per query.
                    let opened = SqlitePoolOptions::new()
                        .test_before_acquire(false)
                        .max_connections(max_connections)
                        .acquire_timeout(Duration::from_secs(10))
                        .connect_with(options.clone())
                        .await;
                    match opened {
                        Err(sqlx::Error::Database(e))
                            if e.message().contains("locked") && attempt < 50 =>
                        {
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        other => {
                            break Ok(Store::Sqlite(SqliteStore {
                                pool: other?,
                                writer: Default::default(),
                            }));
                        }
                    }
                }
            }
            DatabaseUrl::Postgres(text) => {
                let options = PgConnectOptions::from_str(text)?.application_name("cognate");
                let pool = PgPoolOptions::new()
                    // sqlx pings every connection before handing it out, doubling the round
                    // trips of a one-query request. Like HikariCP, trust a connection used
                    // in the last second and ping only those idle for longer.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for >= PING_IDLE_AFTER {
                                sqlx::Connection::ping(conn).await?;
                            }
                            Ok(true)
                        })
                    })
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                Ok(Store::Postgres(pool))
            }
        }
    }

    /// Applies pending migrations. sqlx takes an advisory lock on PostgreSQL, so two
    /// processes starting at once apply each migration once. sqlx has no such lock for
    /// SQLite, so there an exclusive lock on a file beside the database does the same.
    pub async fn migrate(&self) -> StoreResult<()> {
        match self {
            Store::Sqlite(SqliteStore { pool, .. }) => {
                let db_file = pool.connect_options().get_filename().to_path_buf();
                let lock = if !on_disk(&db_file) {
                    None
                } else {
                    let name = with_suffix(&db_file, ".migrate-lock");
                    let io = |e| StoreError::Database(sqlx::Error::Io(e));
                    files::create_private_file(&name).map_err(io)?;
                    files::tighten(&name);
                    let file = std::fs::OpenOptions::new()
                        .write(true)
                        .open(&name)
                        .map_err(io)?;
                    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
                        .await
                        .map_err(|e| {
                            StoreError::Database(sqlx::Error::Io(std::io::Error::other(e)))
                        })?
                        .map(Some)
                        .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?
                };
                let result = SQLITE_MIGRATIONS.run(pool).await;
                drop(lock);
                result?
            }
            Store::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// True when the database answers a trivial query within two seconds.
    pub async fn ping(&self) -> bool {
        let probe = async {
            on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(2), probe).await,
            Ok(Ok(()))
        )
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }
}
