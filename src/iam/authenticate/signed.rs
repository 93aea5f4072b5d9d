//! SigV4, as AWS checks it: a signature in the `Authorization` header or in a presigned
//! URL, its date within the allowed skew (or the URL unexpired), its scope this service's.

use crate::clock::Millis;
use crate::iam::authenticate::caller::{AuthError, Caller, Refused, refuse};
use crate::iam::authenticate::keys::{NO_SECRET, secret_of, token_fits};
use crate::iam::authenticate::request::{Presented, amz_date, single};
use crate::iam::directory::Directory;
use crate::iam::directory::snapshot::Snapshot;
use crate::iam::replay;
use crate::iam::sigv4::{self, Authorization, Received};
use crate::store::Store;

/// SigV4's allowed clock skew, either way.
pub const SKEW_MS: Millis = 5 * 60 * 1000;

/// The longest a presigned URL may be valid, as in AWS (7 days).
pub const PRESIGN_MAX_SECS: i64 = 604_800;

/// The service name signatures are scoped to.
pub const SERVICE: &str = "cognito-idp";

/// Whether `auth` covers every header the door needs signed.
fn covers(auth: &Authorization, request: &Presented<'_>) -> Result<(), AuthError> {
    if request
        .must_sign
        .iter()
        .all(|name| auth.signed_headers.iter().any(|h| h == name))
    {
        Ok(())
    } else {
        Err(refuse("a header the operation depends on is not signed"))
    }
}

/// A signature in the `Authorization` header (`AWS4-HMAC-SHA256 Credential=…`).
pub(super) async fn header_signed(
    directory: &Directory,
    snapshot: &Snapshot,
    store: &Store,
    region: &str,
    request: &Presented<'_>,
    value: &str,
    now: Millis,
) -> Result<Caller, AuthError> {
    let auth = Authorization::parse(value).map_err(|_| refuse("malformed Authorization"))?;
    let date = single(request.headers, "x-amz-date")?.ok_or_else(|| refuse("no X-Amz-Date"))?;
    for needed in ["host", "x-amz-date"] {
        if !auth.signed_headers.iter().any(|h| h == needed) {
            return Err(refuse("host and x-amz-date must be signed"));
        }
    }
    covers(&auth, request)?;
    let token = single(request.headers, "x-amz-security-token")?;
    if token.is_some()
        && !auth
            .signed_headers
            .iter()
            .any(|h| h == "x-amz-security-token")
    {
        return Err(refuse("the security token must be signed"));
    }
    // The payload is always hashed here; a declared hash must be that hash.
    if let Some(declared) = single(request.headers, "x-amz-content-sha256")?
        && !declared.eq_ignore_ascii_case(request.body_sha256)
    {
        return Err(refuse("the body does not match its declared hash"));
    }
    verify(
        directory,
        snapshot,
        store,
        region,
        request,
        &auth,
        date,
        request.query,
        request.body_sha256,
        token,
        now,
        None,
    )
    .await
}

pub(super) async fn presigned_request(
    directory: &Directory,
    snapshot: &Snapshot,
    store: &Store,
    region: &str,
    request: &Presented<'_>,
    params: &[(String, String)],
    now: Millis,
) -> Result<Caller, AuthError> {
    let one = |name: &str| -> Result<&str, AuthError> {
        let mut found = params
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str());
        match (found.next(), found.next()) {
            (Some(v), None) => Ok(v),
            _ => Err(refuse("a presigned parameter is missing or repeated")),
        }
    };
    if one("X-Amz-Algorithm")? != sigv4::ALGORITHM {
        return Err(refuse("not AWS4-HMAC-SHA256"));
    }
    // A presigned URL signs no body, so it may carry none.
    if !request.body_empty {
        return Err(refuse("a presigned request with a body"));
    }
    let auth = Authorization::from_parts(
        one("X-Amz-Credential")?,
        one("X-Amz-SignedHeaders")?,
        one("X-Amz-Signature")?,
    )
    .map_err(|_| refuse("malformed presigned credential"))?;
    covers(&auth, request)?;
    let date = one("X-Amz-Date")?;
    let expires: i64 = one("X-Amz-Expires")?
        .parse()
        .ok()
        .filter(|s| (1..=PRESIGN_MAX_SECS).contains(s))
        .ok_or_else(|| refuse("X-Amz-Expires out of range"))?;
    let signed_at = amz_date(date).ok_or_else(|| refuse("malformed X-Amz-Date"))?;
    let valid_until = signed_at + expires * 1000;
    if now > valid_until {
        return Err(refuse("the presigned URL has expired"));
    }
    let token = params
        .iter()
        .find(|(n, _)| n == "X-Amz-Security-Token")
        .map(|(_, v)| v.as_str());
    // The body is empty, so its hash and `UNSIGNED-PAYLOAD` (S3's habit, which some
    // signers apply to every presigned URL) say the same: either signature is accepted.
    let mut last = Err(AuthError::Refused(Refused));
    for payload in [request.body_sha256, UNSIGNED] {
        last = verify(
            directory,
            snapshot,
            store,
            region,
            request,
            &auth,
            date,
            request.query,
            payload,
            token,
            now,
            Some(valid_until),
        )
        .await;
        if !matches!(last, Err(AuthError::Refused(_))) {
            break;
        }
    }
    last
}

const UNSIGNED: &str = "UNSIGNED-PAYLOAD";

#[allow(clippy::too_many_arguments)]
async fn verify(
    directory: &Directory,
    snapshot: &Snapshot,
    store: &Store,
    region: &str,
    request: &Presented<'_>,
    auth: &Authorization,
    date: &str,
    query: &str,
    payload_hash: &str,
    token: Option<&str>,
    now: Millis,
    presigned_until: Option<Millis>,
) -> Result<Caller, AuthError> {
    let signed_at = amz_date(date).ok_or_else(|| refuse("malformed X-Amz-Date"))?;
    // A presigned URL's age is bounded by its X-Amz-Expires instead.
    if signed_at > now + SKEW_MS || (presigned_until.is_none() && signed_at < now - SKEW_MS) {
        return Err(refuse("X-Amz-Date is outside the allowed skew"));
    }
    if !date.starts_with(&auth.date) || auth.region != region || auth.service != SERVICE {
        return Err(refuse("the credential scope is not this service's"));
    }
    let found = secret_of(directory, snapshot, store, &auth.access_key_id, now).await?;
    let secret = found.as_ref().map_or(NO_SECRET, |(s, _)| s.as_str());
    let received = Received {
        method: request.method,
        path: request.path,
        query,
        headers: request.headers,
        payload_hash,
    };
    let canonical = sigv4::canonical_request(&received, &auth.signed_headers);
    let to_sign = sigv4::string_to_sign(date, &auth.scope(), &canonical);
    let key = sigv4::signing_key(secret, &auth.date, &auth.region, &auth.service);
    let expected = sigv4::signature(&key, &to_sign);
    let matches = sigv4::signatures_match(&expected, &auth.signature);
    let caller = match found {
        Some((_, caller)) if matches && token_fits(directory, &caller, token) => caller,
        _ => return Err(refuse("unknown key, wrong signature or wrong token")),
    };
    // The last moment this signature verifies: the date's skew, or the presigned expiry.
    let valid_until = presigned_until.unwrap_or(signed_at + SKEW_MS);
    if request.changes_state && !replay::first_use(store, &auth.signature, valid_until).await? {
        tracing::debug!("a signed request that changes state was sent again");
        return Err(AuthError::Replayed(caller));
    }
    Ok(caller)
}
