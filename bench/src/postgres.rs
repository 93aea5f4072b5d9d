//! A PostgreSQL database of the run's own, created on the server `--postgres` names and
//! dropped when the run ends.

use sqlx::Connection;

use crate::Fail;

/// A fresh PostgreSQL database for this run; dropped when the run ends.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create(admin_url: &str, runtime: &tokio::runtime::Runtime) -> Result<Self, Fail> {
        let name = format!("cognate_bench_{}", std::process::id());
        let (head, query) = match admin_url.split_once('?') {
            Some((h, q)) => (h, format!("?{q}")),
            None => (admin_url, String::new()),
        };
        let server = match head.rsplit_once('/') {
            Some((server, _)) if server.contains("//") && !server.ends_with('/') => server,
            _ => head.trim_end_matches('/'),
        };
        let url = format!("{server}/{name}{query}");
        runtime.block_on(async {
            let mut conn = sqlx::PgConnection::connect(admin_url)
                .await
                .map_err(|e| Fail(format!("PostgreSQL at {admin_url}: {e}")))?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name}"
            )))
            .execute(&mut conn)
            .await
            .map_err(|e| Fail(format!("PostgreSQL: {e}")))?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .map_err(|e| Fail(format!("PostgreSQL: {e}")))?;
            Ok::<_, Fail>(())
        })?;
        Ok(Self {
            admin_url: admin_url.to_string(),
            name,
            url,
        })
    }

    pub fn drop_now(&self, runtime: &tokio::runtime::Runtime) {
        let _ = runtime.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&self.admin_url).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut conn)
            .await
        });
    }
}
