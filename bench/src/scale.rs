//! Bulk seeding for the scale scenario. Users are copied from one template user created
//! through the admin API, so every copy carries the same argon2id hash of the bench password
//! (one shared precomputed hash: hashing a million passwords one by one would take hours).
//! Rows are written straight into the store, a batch per statement.

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::Connection;

use crate::Fail;
use crate::load::{self, Load, Outcome, Preamble, Script};
use crate::report::ScaleRow;
use crate::scenarios::{common, ms, pending};
use crate::seed::{BrowserId, Http, Seeded};
use crate::server::Server;

pub const TEMPLATE: &str = "seed-template";

pub enum Engine {
    Sqlite(String),
    Postgres(String),
}

const SQLITE_COPY: &str = "
INSERT INTO users (id, pool_id, username, username_key, email_key, status, enabled, attributes,
                   email, phone_number, name, given_name, family_name, preferred_username,
                   password_hash, temporary_password_expires_at, signed_out_at, version,
                   created_at, updated_at)
WITH RECURSIVE n(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $2)
SELECT printf('00000000-0000-4000-8000-%012d', n.i), t.pool_id, 'u' || n.i, 'u' || n.i,
       CASE WHEN t.email_key IS NULL THEN NULL ELSE 'u' || n.i || '@bench.example' END,
       t.status, t.enabled,
       replace(replace(t.attributes, t.email, 'u' || n.i || '@bench.example'),
               t.id, printf('00000000-0000-4000-8000-%012d', n.i)),
       'u' || n.i || '@bench.example', NULL, NULL, NULL, NULL, NULL,
       t.password_hash, NULL, NULL, 1, t.created_at, t.updated_at
FROM n, users t WHERE t.pool_id = $3 AND t.username_key = $4";

const POSTGRES_COPY: &str = "
INSERT INTO users (id, pool_id, username, username_key, email_key, status, enabled, attributes,
                   email, phone_number, name, given_name, family_name, preferred_username,
                   password_hash, temporary_password_expires_at, signed_out_at, version,
                   created_at, updated_at)
SELECT '00000000-0000-4000-8000-' || lpad(n.i::text, 12, '0'), t.pool_id, 'u' || n.i, 'u' || n.i,
       CASE WHEN t.email_key IS NULL THEN NULL ELSE 'u' || n.i || '@bench.example' END,
       t.status, t.enabled,
       replace(replace(t.attributes, t.email, 'u' || n.i || '@bench.example'),
               t.id, '00000000-0000-4000-8000-' || lpad(n.i::text, 12, '0')),
       'u' || n.i || '@bench.example', NULL, NULL, NULL, NULL, NULL,
       t.password_hash, NULL, NULL, 1, t.created_at, t.updated_at
FROM generate_series($1::bigint, $2::bigint - 1) AS n(i), users t
WHERE t.pool_id = $3 AND t.username_key = $4";

const BATCH: i64 = 100_000;

/// Copies the template into users `u<from>` .. `u<to - 1>` of `pool`.
pub async fn copy_users(engine: &Engine, pool: &str, from: i64, to: i64) -> Result<(), Fail> {
    let started = Instant::now();
    let db = |e: sqlx::Error| Fail(format!("bulk seeding: {e}"));
    let mut start = from;
    match engine {
        Engine::Sqlite(url) => {
            let mut conn = sqlx::SqliteConnection::connect(url).await.map_err(db)?;
            while start < to {
                let end = (start + BATCH).min(to);
                let mut tx = conn.begin().await.map_err(db)?;
                sqlx::query(SQLITE_COPY)
                    .bind(start)
                    .bind(end)
                    .bind(pool)
                    .bind(TEMPLATE)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                tx.commit().await.map_err(db)?;
                start = end;
            }
        }
        Engine::Postgres(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.map_err(db)?;
            while start < to {
                let end = (start + BATCH).min(to);
                sqlx::query(POSTGRES_COPY)
                    .bind(start)
                    .bind(end)
                    .bind(pool)
                    .bind(TEMPLATE)
                    .execute(&mut conn)
                    .await
                    .map_err(db)?;
                start = end;
            }
            // What autovacuum would do shortly after an import of this size.
            sqlx::query("ANALYZE users")
                .execute(&mut conn)
                .await
                .map_err(db)?;
        }
    }
    eprintln!(
        "  seeded users u{from}..u{} in {:.1} s",
        to - 1,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Sign-in and filtered-list latency with one connection, so queueing does not hide the
/// cost of the lookups themselves.
#[allow(clippy::too_many_arguments)]
pub fn scale_point(
    server: &Server,
    work: &Path,
    http: &Http,
    seeded: &Seeded,
    browser: &BrowserId,
    users: u64,
    duration: Duration,
    admin_key: &str,
) -> Result<ScaleRow, Fail> {
    let one = Load {
        threads: 1,
        connections: 1,
        duration,
    };
    // One connection signs in at most once per hash time; be generous.
    let count = (duration.as_secs_f64() * 100.0) as usize + 32;
    let pending_ids = pending(http, seeded, browser, count)?;
    let sign_in: Outcome = load::run(
        work,
        &server.base,
        Script::SignIn,
        common(seeded, browser)
            .list("pending", &pending_ids)
            .number("user_count", users as usize),
        &one,
    )?;
    let list: Outcome = load::run(
        work,
        &server.base,
        Script::UserList,
        Preamble::default()
            .number("user_count", users as usize)
            .text(
                "list_path",
                &format!(
                    "/admin/v1/pools/{}/users?filter=email%20%3D%20%22",
                    seeded.pool
                ),
            )
            .raw(&format!(
                "admin_headers = {{[\"Authorization\"] = \"Bearer {admin_key}\"}}\n"
            )),
        &one,
    )?;
    let row = ScaleRow {
        users,
        sign_in_p50_ms: ms(sign_in.p50_us),
        user_list_p50_ms: ms(list.p50_us),
        errors: sign_in.errors() + list.errors(),
    };
    eprintln!(
        "  {users} users: sign-in p50 {:.2} ms, filtered list p50 {:.2} ms, {} errors {}{}",
        row.sign_in_p50_ms, row.user_list_p50_ms, row.errors, sign_in.sample, list.sample
    );
    Ok(row)
}
