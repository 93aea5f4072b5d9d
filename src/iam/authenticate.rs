//! Who sent an admin request: the root key, an IAM user's access key, or a role session's
//! temporary credentials, proven by a SigV4 signature (header or presigned URL) or, for
//! tools that cannot sign, `Bearer <access key id>:<secret>`.
//!
//! Every refusal is the same [`Refused`] to the caller; the reason goes to the debug log
//! only. An unknown key costs the same signature work as a known one. A signed request that
//! changes state is accepted once (`iam::replay`); its copy is [`AuthError::Replayed`].

use std::sync::Arc;

use subtle::ConstantTimeEq;

use crate::clock::Millis;
use crate::crypto::secret;
use crate::iam::directory::Directory;
use crate::iam::directory::sessions::Session;
use crate::iam::directory::snapshot::Snapshot;
use crate::iam::replay;
use crate::iam::sigv4::{self, Authorization, Received};
use crate::store::{Store, StoreError};

/// SigV4's allowed clock skew, either way.
pub const SKEW_MS: Millis = 5 * 60 * 1000;
/// The longest a presigned URL may be valid, as in AWS (7 days).
pub const PRESIGN_MAX_SECS: i64 = 604_800;
/// The service name signatures are scoped to.
pub const SERVICE: &str = "cognito-idp";

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

/// Who made the request.
#[derive(Debug, Clone)]
pub enum Caller {
    Root,
    User { name: String, access_key_id: String },
    Session(Arc<Session>),
}

impl Caller {
    /// The ARN the audit trail, errors and `aws:userid`-style keys name.
    pub fn arn(&self, account: &str) -> String {
        match self {
            Caller::Root => format!("arn:aws:iam::{account}:root"),
            Caller::User { name, .. } => format!("arn:aws:iam::{account}:user/{name}"),
            Caller::Session(s) => format!(
                "arn:aws:sts::{account}:assumed-role/{}/{}",
                s.role, s.session_name
            ),
        }
    }

    /// `aws:PrincipalArn`: for a role session, the role's ARN (as in AWS).
    pub fn principal_arn(&self, account: &str) -> String {
        match self {
            Caller::Session(s) => format!("arn:aws:iam::{account}:role/{}", s.role),
            other => other.arn(account),
        }
    }

    pub fn access_key_id(&self) -> Option<&str> {
        match self {
            Caller::Root => None,
            Caller::User { access_key_id, .. } => Some(access_key_id),
            Caller::Session(s) => Some(&s.access_key_id),
        }
    }
}

/// The one answer to every failed authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request signature or credentials are invalid")]
pub struct Refused;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The signature verified, but a request that changes state was signed with it before:
    /// a copy. Names the caller, for the audit trail.
    #[error("this signed request was already used")]
    Replayed(Caller),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a request was refused, for the debug log.
fn refuse(reason: &'static str) -> AuthError {
    tracing::debug!(reason, "admin credentials refused");
    AuthError::Refused(Refused)
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
fn single<'a>(headers: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, AuthError> {
    match headers_named(headers, name).as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(refuse("a credential header is repeated")),
    }
}

fn query_params(query: &str) -> Vec<(String, String)> {
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
fn amz_date(text: &str) -> Option<Millis> {
    if text.len() != 16 {
        return None;
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

/// A placeholder the unknown-key path signs with, so it costs what a known key costs.
const NO_SECRET: &str = "0000000000000000000000000000000000000000";

/// The secret behind an access key id, and who it belongs to; `None` for no usable key.
async fn secret_of(
    directory: &Directory,
    snapshot: &Snapshot,
    store: &Store,
    id: &str,
    now: Millis,
) -> Result<Option<(String, Caller)>, AuthError> {
    if id.len() != 20
        || !id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Ok(None);
    }
    if id.starts_with("AKIA") {
        let Some(key) = snapshot.keys.get(id) else {
            return Ok(None);
        };
        let live = key.active
            && key.expires_at.is_none_or(|t| now < t)
            && snapshot.users.contains_key(&key.user);
        return Ok(live.then(|| {
            (
                key.secret.clone(),
                Caller::User {
                    name: key.user.clone(),
                    access_key_id: key.id.clone(),
                },
            )
        }));
    }
    if id.starts_with("ASIA") {
        let Some(session) = directory.session(store, id, now).await? else {
            return Ok(None);
        };
        // A deleted role ends its sessions here at once, elsewhere within the TTL.
        if !snapshot.roles.contains_key(&session.role) || now >= session.expires_at {
            return Ok(None);
        }
        return Ok(Some((session.secret.clone(), Caller::Session(session))));
    }
    Ok(None)
}

/// A session's token must come with its own key: compared as keyed hashes, in constant time.
fn token_fits(directory: &Directory, caller: &Caller, token: Option<&str>) -> bool {
    match (caller, token) {
        (Caller::Session(session), Some(token)) => bool::from(
            directory
                .token_hash(token)
                .as_bytes()
                .ct_eq(session.token_hash.as_bytes()),
        ),
        (Caller::Session(_), None) => false,
        // A token sent with a long-term key belongs to something else.
        (_, Some(_)) => false,
        (_, None) => true,
    }
}

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
                let auth =
                    Authorization::parse(value).map_err(|_| refuse("malformed Authorization"))?;
                let date = single(request.headers, "x-amz-date")?
                    .ok_or_else(|| refuse("no X-Amz-Date"))?;
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
                    &snapshot,
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
        }
    }
}

async fn bearer(
    directory: &Directory,
    snapshot: &Snapshot,
    store: &Store,
    request: &Presented<'_>,
    token: &str,
    now: Millis,
) -> Result<Caller, AuthError> {
    if token.is_empty() || token.len() > 512 {
        return Err(refuse("empty or oversized bearer token"));
    }
    let access_key = token
        .split_once(':')
        .filter(|(id, _)| id.starts_with("AKIA") || id.starts_with("ASIA"));
    let Some((id, presented)) = access_key else {
        // The root key: emergencies only, and never once disabled.
        return match &snapshot.root {
            Some(root) if secret::matches(token, &root.digest) && !root.disabled => {
                Ok(Caller::Root)
            }
            _ => Err(refuse("not the root key, or the root key is disabled")),
        };
    };
    let found = secret_of(directory, snapshot, store, id, now).await?;
    let expected = found.as_ref().map_or(NO_SECRET, |(s, _)| s.as_str());
    let fits = bool::from(expected.as_bytes().ct_eq(presented.as_bytes()));
    match found {
        Some((_, caller))
            if fits
                && token_fits(
                    directory,
                    &caller,
                    single(request.headers, "x-amz-security-token")?,
                ) =>
        {
            Ok(caller)
        }
        _ => Err(refuse("unknown key or wrong secret")),
    }
}

async fn presigned_request(
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
