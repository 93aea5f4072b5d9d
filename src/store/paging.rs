//! Keyset paging: a page starts strictly after the last key of the previous one, so items
//! added or deleted meanwhile never make an item appear twice.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub const MAX_LIMIT: usize = 60;
const TOKEN_PREFIX: &str = "k1.";

/// A page request that cannot be served; `field` names the parameter to fix.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PageError {
    pub field: &'static str,
    pub message: String,
}

/// Runs a page query of `$row`s: `$arg`s bound in order (the row limit among them,
/// `PageRequest::fetch`), then the key the page starts after, if any.
macro_rules! fetch_page {
    ($store:expr, $row:ty, $sql:expr, $page:expr, [$($arg:expr),* $(,)?]) => {
        $crate::store::on_pool!($store, pool => {
            let mut query = sqlx::query_as::<_, $row>(sqlx::AssertSqlSafe($sql))$(.bind($arg))*;
            if let Some(after) = $page.after_key() {
                query = query.bind(after);
            }
            Ok(query.fetch_all(pool).await?)
        })
    };
}

pub(crate) use fetch_page;

#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: usize,
    /// The last key of the previous page.
    pub after: Option<String>,
}

#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

impl PageRequest {
    pub fn parse(limit: Option<i64>, next_token: Option<&str>) -> Result<Self, PageError> {
        let limit = limit.unwrap_or(MAX_LIMIT as i64);
        if !(1..=MAX_LIMIT as i64).contains(&limit) {
            return Err(PageError {
                field: "limit",
                message: format!("must be between 1 and {MAX_LIMIT}"),
            });
        }
        let after = match next_token {
            None | Some("") => None,
            Some(token) => Some(decode(token).ok_or_else(|| PageError {
                field: "next_token",
                message: "is not a token this API issued".into(),
            })?),
        };
        Ok(Self {
            limit: limit as usize,
            after,
        })
    }

    pub fn first(limit: usize) -> Self {
        Self { limit, after: None }
    }

    /// Rows to ask the store for: one more than the page, to learn whether more follow.
    pub fn fetch(&self) -> i64 {
        self.limit as i64 + 1
    }

    pub fn after_key(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// ` AND <column> > $<n>` when this page starts after a key, else nothing. Two plain
    /// query shapes, rather than `($n IS NULL OR column > $n)`, let both engines' planners
    /// turn the condition into an index range.
    pub fn after_sql(&self, column: &str, n: usize) -> String {
        if self.after.is_some() {
            format!(" AND {column} > ${n}")
        } else {
            String::new()
        }
    }

    /// The token for the next page, if the store returned more rows than fit.
    pub fn next_token<T>(&self, rows: &[T], key: impl Fn(&T) -> String) -> Option<String> {
        if rows.len() > self.limit {
            rows.get(self.limit - 1).map(|row| encode(&key(row)))
        } else {
            None
        }
    }

    /// Splits fetched rows into the page and its next token.
    pub fn finish<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> String) -> Page<T> {
        let next_token = self.next_token(&rows, key);
        rows.truncate(self.limit);
        Page {
            items: rows,
            next_token,
        }
    }
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_token: self.next_token,
        }
    }

    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, E>>()?,
            next_token: self.next_token,
        })
    }
}

fn encode(key: &str) -> String {
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(key))
}

fn decode(token: &str) -> Option<String> {
    let body = token.strip_prefix(TOKEN_PREFIX)?;
    let bytes = URL_SAFE_NO_PAD.decode(body).ok()?;
    // Keys are names and ids: never control characters (PostgreSQL refuses NUL in text).
    String::from_utf8(bytes)
        .ok()
        .filter(|k| k.len() <= 1024 && !k.chars().any(char::is_control))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_limits_are_checked() {
        let req = PageRequest::parse(Some(2), None).unwrap();
        let page = req.finish(vec!["a", "b", "c"], |s| s.to_string());
        assert_eq!(page.items, vec!["a", "b"]);
        let token = page.next_token.unwrap();
        let next = PageRequest::parse(Some(2), Some(&token)).unwrap();
        assert_eq!(next.after_key(), Some("b"));
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(61), None).is_err());
        assert!(PageRequest::parse(None, Some("garbage")).is_err());
        assert!(
            PageRequest::parse(None, Some("k1.AA")).is_err(),
            "a NUL key is refused"
        );
        assert!(
            PageRequest::parse(Some(2), None)
                .unwrap()
                .finish(vec!["a"], |s| s.to_string())
                .next_token
                .is_none()
        );
    }
}
