//! Who sent an admin request (the root key, an IAM user's key, a role session), proven by a
//! SigV4 signature (`signed`: header or presigned URL) or, for tools that cannot sign, `bearer`.
//!
//! Every refusal is the same [`Refused`](caller::Refused) to the caller; the reason goes to the debug log
//! only. An unknown key costs the same signature work as a known one. A signed request that
//! changes state is accepted once (`iam::replay`); its copy is [`AuthError::Replayed`].

mod bearer;
pub mod caller;
mod keys;
pub mod request;
mod signed;

use crate::clock::Millis;
use crate::iam::authenticate::bearer::bearer;
use crate::iam::authenticate::caller::{AuthError, Caller, refuse};
use crate::iam::authenticate::request::{Presented, query_params, single};
use crate::iam::authenticate::signed::{header_signed, presigned_request};
use crate::iam::directory::Directory;
use crate::iam::sigv4;
use crate::store::Store;

/// Authenticates `request` at `now`, for the deployment's `region`.
pub async fn authenticate(
    directory: &Directory,
    store: &Store,
    region: &str,
    request: &Presented<'_>,
    now: Millis,
) -> Result<Caller, AuthError> {
    let snapshot = directory.snapshot(store, now).await?;
    let authorization = single(request.headers, "authorization")?;
    let params = query_params(request.query);
    let presigned = params.iter().any(|(n, _)| n == "X-Amz-Algorithm");
    for name in [
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
        "host",
    ] {
        single(request.headers, name)?;
    }
    // A raw `+` reads as a space to the handler but as itself to the canonical query, so
    // the two would disagree on what was signed; signers encode it as `%2B`.
    if request.query.contains('+')
        && (presigned || authorization.is_some_and(|a| a.starts_with(sigv4::ALGORITHM)))
    {
        return Err(refuse("a raw + in a signed query"));
    }
    match (authorization, presigned) {
        (Some(_), true) => Err(refuse("both a header and a presigned signature")),
        (None, false) => Err(refuse("no credentials")),
        (None, true) => {
            presigned_request(directory, &snapshot, store, region, request, &params, now).await
        }
        (Some(value), false) => {
            if let Some(token) = value
                .split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token.trim())
            {
                bearer(directory, &snapshot, store, request, token, now).await
            } else {
                header_signed(directory, &snapshot, store, region, request, value, now).await
            }
        }
    }
}
