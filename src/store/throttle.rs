//! Rows of `throttle_counters`. Every change is one statement that reads and writes the row
//! together, so concurrent requests (in one process or many) cannot both pass a limit.

use sqlx::AssertSqlSafe;

use super::{Store, StoreResult, in_tx, on_pool};

/// Which counter: the kind (a fixed name from the code) and its subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CounterKey {
    pub kind: &'static str,
    pub subject: String,
}

/// A counter as read: hits since the window began, and the lock.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CounterRow {
    pub kind: String,
    pub subject: String,
    pub hits: i64,
    pub window_started_at: i64,
    pub locked_until: Option<i64>,
    pub updated_at: i64,
}

/// How a lockout counter grows: it forgets hits once it has been quiet for `window_ms`;
/// from `threshold` hits on it locks for `locks[hits - threshold]` (the last entry beyond).
#[derive(Debug, Clone, Copy)]
pub struct LockSchedule {
    pub threshold: i64,
    pub window_ms: i64,
    pub locks: [i64; 6],
}

impl LockSchedule {
    pub fn lock_for(&self, hits: i64) -> Option<i64> {
        (hits >= self.threshold).then(|| {
            let step = usize::try_from(hits - self.threshold).unwrap_or(usize::MAX);
            self.locks[step.min(self.locks.len() - 1)]
        })
    }
}

/// The rows of these counters in `scope`, in one query.
pub async fn read(store: &Store, scope: &str, keys: &[CounterKey]) -> StoreResult<Vec<CounterRow>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let pairs: Vec<String> = (0..keys.len())
        .map(|i| format!("(kind = ${} AND subject = ${})", 2 * i + 2, 2 * i + 3))
        .collect();
    let sql = format!(
        "SELECT kind, subject, hits, window_started_at, locked_until, updated_at \
         FROM throttle_counters WHERE scope = $1 AND ({})",
        pairs.join(" OR ")
    );
    on_pool!(store, pool => {
        let mut query = sqlx::query_as::<_, CounterRow>(AssertSqlSafe(sql)).bind(scope);
        for key in keys {
            query = query.bind(key.kind).bind(&key.subject);
        }
        Ok(query.fetch_all(pool).await?)
    })
}

/// One more hit; a counter quiet since before `now - window` starts again at one. From the
/// threshold on, the lock is set in the same statement. With `guarded`, a counter that is
/// locked now is left alone and no row comes back: the caller was refused.
fn bump_sql(guarded: bool) -> String {
    let stale = "throttle_counters.updated_at < $5";
    let next = format!("(CASE WHEN {stale} THEN 1 ELSE throttle_counters.hits + 1 END)");
    let lock = format!(
        "CASE WHEN {next} < $6 THEN NULL ELSE $4 + CASE {next} - $6 \
         WHEN 0 THEN $7 WHEN 1 THEN $8 WHEN 2 THEN $9 WHEN 3 THEN $10 WHEN 4 THEN $11 ELSE $12 END END"
    );
    let guard = if guarded {
        " WHERE throttle_counters.locked_until IS NULL OR throttle_counters.locked_until <= $4"
    } else {
        ""
    };
    format!(
        "INSERT INTO throttle_counters (scope, kind, subject, hits, window_started_at, locked_until, updated_at) \
         VALUES ($1, $2, $3, 1, $4, $13, $4) \
         ON CONFLICT (scope, kind, subject) DO UPDATE SET \
           hits = {next}, \
           window_started_at = CASE WHEN {stale} THEN $4 ELSE throttle_counters.window_started_at END, \
           locked_until = {lock}, \
           updated_at = $4{guard} \
         RETURNING hits"
    )
}

macro_rules! bump_query {
    ($sql:expr, $scope:expr, $key:expr, $schedule:expr, $now:expr) => {{
        let s: &LockSchedule = $schedule;
        sqlx::query_scalar::<_, i64>(AssertSqlSafe($sql))
            .bind($scope)
            .bind($key.kind)
            .bind(&$key.subject)
            .bind($now)
            .bind($now - s.window_ms)
            .bind(s.threshold)
            .bind(s.locks[0])
            .bind(s.locks[1])
            .bind(s.locks[2])
            .bind(s.locks[3])
            .bind(s.locks[4])
            .bind(s.locks[5])
            .bind(s.lock_for(1).map(|ms| $now + ms))
    }};
}

/// Reserves one attempt on each counter, in one transaction: the attempt is counted before
/// it is evaluated. Returns each counter's new hits, or `None` where it was locked.
pub async fn reserve(
    store: &Store,
    scope: &str,
    counters: &[(CounterKey, LockSchedule)],
    now: i64,
) -> StoreResult<Vec<Option<i64>>> {
    bump_all(store, bump_sql(true), scope, counters, now).await
}

/// Counts a failure that was not reserved beforehand, locked or not; returns the new hits.
pub async fn record(
    store: &Store,
    scope: &str,
    counters: &[(CounterKey, LockSchedule)],
    now: i64,
) -> StoreResult<Vec<Option<i64>>> {
    bump_all(store, bump_sql(false), scope, counters, now).await
}

/// Bumps each counter with `sql` (`bump_sql`), in one transaction.
async fn bump_all(
    store: &Store,
    sql: String,
    scope: &str,
    counters: &[(CounterKey, LockSchedule)],
    now: i64,
) -> StoreResult<Vec<Option<i64>>> {
    in_tx!(store, tx => {
        let mut out = Vec::with_capacity(counters.len());
        for (key, schedule) in counters {
            out.push(
                bump_query!(sql.clone(), scope, key, schedule, now)
                    .fetch_optional(&mut *tx)
                    .await?,
            );
        }
        Ok(out)
    })
}

/// Settles a finished attempt in one transaction: `forget` counters are deleted (a success
/// wipes the slate), `give_back` counters lose the hit their reservation added (and the lock,
/// if that hit alone had reached the threshold).
pub async fn settle(
    store: &Store,
    scope: &str,
    forget: &[CounterKey],
    give_back: &[(CounterKey, LockSchedule)],
) -> StoreResult<()> {
    if forget.is_empty() && give_back.is_empty() {
        return Ok(());
    }
    in_tx!(store, tx => {
        for key in forget {
            sqlx::query("DELETE FROM throttle_counters WHERE scope = $1 AND kind = $2 AND subject = $3")
                .bind(scope)
                .bind(key.kind)
                .bind(&key.subject)
                .execute(&mut *tx)
                .await?;
        }
        for (key, schedule) in give_back {
            sqlx::query(
                "UPDATE throttle_counters SET hits = hits - 1, \
                 locked_until = CASE WHEN hits - 1 < $4 THEN NULL ELSE locked_until END \
                 WHERE scope = $1 AND kind = $2 AND subject = $3 AND hits > 0",
            )
            .bind(scope)
            .bind(key.kind)
            .bind(&key.subject)
            .bind(schedule.threshold)
            .execute(&mut *tx)
            .await?;
        }
    });
    Ok(())
}

/// Takes one of `limit` uses in a fixed window of `window_ms`: true if one was left. The
/// count and the check are one statement.
pub async fn take(
    store: &Store,
    scope: &str,
    key: &CounterKey,
    limit: i64,
    window_ms: i64,
    now: i64,
) -> StoreResult<bool> {
    // A write of its own: on SQLite it waits for this process's write turn rather than
    // sleeping in the busy handler behind the other writers.
    let taken = in_tx!(store, tx => sqlx::query_scalar::<_, i64>(
        "INSERT INTO throttle_counters (scope, kind, subject, hits, window_started_at, locked_until, updated_at) \
         VALUES ($1, $2, $3, 1, $4, NULL, $4) \
         ON CONFLICT (scope, kind, subject) DO UPDATE SET \
           hits = CASE WHEN throttle_counters.window_started_at < $5 THEN 1 ELSE throttle_counters.hits + 1 END, \
           window_started_at = CASE WHEN throttle_counters.window_started_at < $5 THEN $4 \
             ELSE throttle_counters.window_started_at END, \
           updated_at = $4 \
         WHERE throttle_counters.window_started_at < $5 OR throttle_counters.hits < $6 \
         RETURNING hits",
    )
    .bind(scope)
    .bind(key.kind)
    .bind(&key.subject)
    .bind(now)
    .bind(now - window_ms)
    .bind(limit)
    .fetch_optional(&mut *tx)
    .await?);
    Ok(taken.is_some())
}

/// Deletes counters nobody has touched since `before`.
pub async fn sweep(store: &Store, before: i64) -> StoreResult<u64> {
    Ok(
        on_pool!(store, pool => sqlx::query("DELETE FROM throttle_counters WHERE updated_at < $1")
        .bind(before)
        .execute(pool)
        .await?
        .rows_affected()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_grows_from_the_threshold() {
        let s = LockSchedule {
            threshold: 5,
            window_ms: 1,
            locks: [30, 60, 120, 240, 480, 900],
        };
        assert_eq!(s.lock_for(4), None);
        assert_eq!(s.lock_for(5), Some(30));
        assert_eq!(s.lock_for(6), Some(60));
        assert_eq!(s.lock_for(10), Some(900));
        assert_eq!(s.lock_for(10_000), Some(900));
    }
}
