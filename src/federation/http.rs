//! The one HTTP client that talks to identity providers: rustls on aws-lc-rs with the
//! webpki roots, no redirects followed (a redirect is how a metadata fetch gets pointed at an
//! internal address), 10 seconds for any call, bounded bodies.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use url::{Host, Url};

/// A provider that does not answer within this long is down, as far as a sign-in goes.
pub const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Discovery documents, key sets, token and userInfo answers are a few KB.
pub const MAX_BODY: usize = 256 * 1024;

static CLIENT: LazyLock<Result<reqwest::Client, String>> = LazyLock::new(build);

fn build() -> Result<reqwest::Client, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("cognate/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

/// The shared client (connections are pooled across sign-ins).
pub fn client() -> Result<&'static reqwest::Client, String> {
    CLIENT.as_ref().map_err(Clone::clone)
}

/// Whether `url` names this machine.
pub fn is_local(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether an endpoint a provider's metadata names may be called for a provider at
/// `issuer`: as `check_url`, and this machine only for a provider on this machine, so a
/// remote document cannot point Cognate at local services.
pub fn check_endpoint(url: &Url, issuer: &Url) -> Result<(), String> {
    check_url(url)?;
    if is_local(url) && !is_local(issuer) {
        return Err("it names this machine, and the issuer does not".into());
    }
    Ok(())
}

/// Whether Cognate may call `url`: https, or http to this machine (development and the
/// demo); no credentials in it, and never a link-local address such as a cloud metadata
/// service.
pub fn check_url(url: &Url) -> Result<(), String> {
    let loopback = match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => {
            if ip.is_link_local() || ip.is_unspecified() || ip.is_broadcast() {
                return Err("it names a link-local or unspecified address".into());
            }
            ip.is_loopback()
        }
        Some(Host::Ipv6(ip)) => {
            if ip.is_unspecified() || (ip.segments()[0] & 0xffc0) == 0xfe80 {
                return Err("it names a link-local or unspecified address".into());
            }
            ip.is_loopback()
        }
        None => return Err("it has no host".into()),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err("it must be https (http only for localhost)".into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it must not carry credentials".into());
    }
    if url.fragment().is_some() {
        return Err("it must not have a fragment".into());
    }
    Ok(())
}

/// An answer read to its end, at most `MAX_BODY` bytes.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

/// Sends `request` and reads the body, refusing one past `MAX_BODY`.
pub async fn send(request: reqwest::RequestBuilder) -> Result<Answer, String> {
    let response = request.send().await.map_err(describe)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY as u64)
    {
        return Err("its answer is too large".into());
    }
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(describe)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err("its answer is too large".into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// What went wrong with a call, for a log or an admin's error (never a secret: URLs here
/// carry none).
pub fn describe(err: reqwest::Error) -> String {
    if err.is_timeout() {
        format!("it did not answer within {} seconds", TIMEOUT.as_secs())
    } else if err.is_connect() {
        "it could not be reached".into()
    } else {
        format!("the request failed ({})", err.without_url())
    }
}

/// `max-age` of a `Cache-Control` header, in seconds; `no-store`/`no-cache` read as 0.
pub fn max_age(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let value = headers.get(reqwest::header::CACHE_CONTROL)?.to_str().ok()?;
    let mut age = None;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(0);
        }
        if let Some(n) = lower.strip_prefix("max-age=") {
            age = n.trim_matches('"').parse().ok();
        }
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_local_http_is_called() {
        let ok = |u: &str| check_url(&Url::parse(u).unwrap()).is_ok();
        assert!(ok("https://login.example.com/tenant"));
        assert!(ok("http://localhost:8080/pool"));
        assert!(ok("http://127.0.0.1:9/x"));
        assert!(!ok("http://login.example.com/"));
        assert!(!ok("https://169.254.169.254/latest"));
        assert!(!ok("https://[fe80::1]/"));
        assert!(!ok("https://user:pw@login.example.com/"));
        assert!(!ok("ftp://login.example.com/"));
        let remote = Url::parse("https://login.example.com/").unwrap();
        let local = Url::parse("http://localhost:8080/p").unwrap();
        let to_local = Url::parse("http://127.0.0.1:6379/").unwrap();
        assert!(check_endpoint(&to_local, &remote).is_err());
        assert!(check_endpoint(&to_local, &local).is_ok());
    }

    #[test]
    fn cache_control_max_age() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(max_age(&h), None);
        h.insert("cache-control", "public, max-age=600".parse().unwrap());
        assert_eq!(max_age(&h), Some(600));
        h.insert("cache-control", "no-store".parse().unwrap());
        assert_eq!(max_age(&h), Some(0));
    }
}
