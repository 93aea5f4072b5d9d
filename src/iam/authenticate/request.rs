//! A request as the authenticator sees it, and the reading of its credentials: headers
//! that may appear once, the query's parameters, and SigV4's dates.

use crate::clock::Millis;
use crate::iam::authenticate::caller::{AuthError, refuse};

/// A request as the authenticator sees it.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    pub method: &'a str,
    /// Still percent-encoded.
    pub path: &'a str,
    /// Without `?`.
    pub query: &'a str,
    pub headers: &'a [(String, String)],
    /// Hex SHA-256 of the body.
    pub body_sha256: &'a str,
    pub body_empty: bool,
    /// The request changes state: its signature is accepted once (`iam::replay`). Each
    /// door says which of its requests do.
    pub changes_state: bool,
    /// Headers this door reads that a signature must cover (the Cognito door's
    /// `x-amz-target`, which names the operation: unsigned, a captured read could be sent
    /// again as a write over the same signed body).
    pub must_sign: &'a [&'a str],
}

fn headers_named<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The one value of a header that may appear at most once; a repeat is refused, so no two
/// readers can pick different copies.
pub(super) fn single<'a>(
    headers: &'a [(String, String)],
    name: &str,
) -> Result<Option<&'a str>, AuthError> {
    match headers_named(headers, name).as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(refuse("a credential header is repeated")),
    }
}

pub(super) fn query_params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |t: &str| {
                percent_encoding::percent_decode_str(&t.replace('+', "%20"))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(n), decode(v))
        })
        .collect()
}

/// `YYYYMMDD'T'HHMMSS'Z'` as epoch milliseconds.
pub(super) fn amz_date(text: &str) -> Option<Millis> {
    if text.len() != 16 {
        return None;
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}
