//! The one HTTP client that talks to identity providers: rustls on aws-lc-rs with the
//! webpki roots, no redirects followed (a redirect is how a metadata fetch gets pointed at an
//! internal address), no proxy from the environment (a proxy would connect past the address
//! filter), 10 seconds for any call, bounded bodies, and every address checked by
//! `federation::address` before it is connected to.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use url::Url;

use crate::federation::address::{self, Lookup, Policy, Resolver, is_local};

/// A provider that does not answer within this long is down, as far as a sign-in goes.
pub const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Discovery documents, key sets, token and userInfo answers are a few KB.
pub const MAX_BODY: usize = 256 * 1024;

/// What every call that got no HTTP answer says: refused, timed out, TLS failed, or an
/// address the filter refused. One text for all, so an admin creating providers cannot
/// tell an open port from a closed or a filtered one (the log has the detail).
pub const UNREACHABLE: &str = "it could not be reached (no answer, a refused or timed-out \
     connection, a failed TLS handshake, or an address Cognate does not call)";

/// One client per policy, so a connection opened for a provider on this machine is never
/// pooled for one elsewhere. Built on first use; connections are pooled across sign-ins.
static CLIENTS: [OnceLock<Result<reqwest::Client, String>>; 4] = [const { OnceLock::new() }; 4];

fn build(policy: Policy, lookup: Lookup) -> Result<reqwest::Client, String> {
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
        .no_proxy()
        .dns_resolver(Arc::new(Resolver { policy, lookup }))
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("cognate/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

/// Calls made for one provider: its client, and the policy its addresses are held to.
pub struct Caller {
    client: reqwest::Client,
    policy: Policy,
}

impl Caller {
    /// The caller for the provider at `issuer` (see `Policy::for_issuer`).
    pub fn for_issuer(issuer: &Url, allow_private: bool) -> Result<Self, String> {
        let policy = Policy::for_issuer(issuer, allow_private);
        let slot = usize::from(policy.loopback) * 2 + usize::from(policy.private);
        let client = CLIENTS[slot]
            .get_or_init(|| build(policy, address::system_lookup))
            .clone()?;
        Ok(Self { client, policy })
    }

    pub fn get(&self, url: &Url) -> reqwest::RequestBuilder {
        self.client.get(url.clone())
    }

    pub fn post(&self, url: &Url) -> reqwest::RequestBuilder {
        self.client.post(url.clone())
    }

    /// Sends `request` (made by `get` or `post`) and reads the body, refusing one past
    /// `MAX_BODY`. A literal address is checked here: the resolver never sees one.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, String> {
        let request = request.build().map_err(describe)?;
        if let Some(ip) = address::literal(request.url())
            && !self.policy.permits(ip)
        {
            tracing::info!(%ip, "an outbound call to a refused address was not made");
            return Err(UNREACHABLE.into());
        }
        read(self.client.execute(request).await.map_err(describe)?).await
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

/// Whether `url` has the shape of an address Cognate may call: https, or http to this
/// machine (development and the demo); no credentials, no fragment. Which addresses it
/// reaches is `Caller::send`'s and the resolver's to judge.
pub fn check_url(url: &Url) -> Result<(), String> {
    if url.host().is_none() {
        return Err("it has no host".into());
    }
    match url.scheme() {
        "https" => {}
        "http" if is_local(url) => {}
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

async fn read(mut response: reqwest::Response) -> Result<Answer, String> {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY as u64)
    {
        return Err("its answer is too large".into());
    }
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

/// What a failed call says: `UNREACHABLE`, whatever failed. The log keeps the detail for
/// the operator (never a secret: URLs here carry none).
fn describe(err: reqwest::Error) -> String {
    let mut detail = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::info!(error = %detail, timeout = err.is_timeout(), "an outbound call failed");
    UNREACHABLE.into()
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
    use std::net::IpAddr;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn only_https_or_local_http_is_called() {
        let ok = |u: &str| check_url(&Url::parse(u).unwrap()).is_ok();
        assert!(ok("https://login.example.com/tenant"));
        assert!(ok("http://localhost:8080/pool"));
        assert!(ok("http://localhost.:8080/pool"));
        assert!(ok("http://LocalHost:8080/pool"));
        assert!(ok("http://127.0.0.1:9/x"));
        assert!(ok("http://[::ffff:127.0.0.1]:9/x"));
        assert!(!ok("http://login.example.com/"));
        assert!(!ok("http://localhost.example.com/"));
        assert!(!ok("http://[::ffff:169.254.169.254]/"));
        assert!(!ok("https://user:pw@login.example.com/"));
        assert!(!ok("ftp://login.example.com/"));
        let remote = Url::parse("https://login.example.com/").unwrap();
        for local in [
            "http://localhost:8080/p",
            "http://127.0.0.1:6379/",
            "https://localhost./",
            "https://[::ffff:127.0.0.1]/",
            "https://[::1]/",
        ] {
            let to_local = Url::parse(local).unwrap();
            assert!(check_endpoint(&to_local, &remote).is_err(), "{local}");
            assert!(check_endpoint(&to_local, &to_local).is_ok(), "{local}");
        }
    }

    fn caller(policy: Policy, lookup: Lookup) -> Caller {
        Caller {
            client: build(policy, lookup).unwrap(),
            policy,
        }
    }

    /// A server on 127.0.0.1 that answers every connection `200 {}`.
    async fn listener() -> u16 {
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = socket.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = socket.accept().await {
                let mut buf = [0u8; 1024];
                let _ = conn.read(&mut buf).await;
                let _ = conn
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                    )
                    .await;
            }
        });
        port
    }

    fn rebinding(name: &str) -> std::io::Result<Vec<IpAddr>> {
        match name {
            "rebind.example" | "localhost" => Ok(vec!["127.0.0.1".parse().unwrap()]),
            _ => Err(std::io::ErrorKind::NotFound.into()),
        }
    }

    const REMOTE: Policy = Policy {
        loopback: false,
        private: true,
    };
    const LOCAL: Policy = Policy {
        loopback: true,
        private: true,
    };

    #[tokio::test]
    async fn the_client_connects_only_where_the_resolver_allows() {
        let port = listener().await;
        let url = Url::parse(&format!("http://rebind.example:{port}/")).unwrap();
        // The name resolves to this machine: refused for a remote provider, with the text
        // of an unreachable one; called for a local one, through the same resolver.
        let remote = caller(REMOTE, rebinding);
        assert_eq!(
            remote.send(remote.get(&url)).await.err().as_deref(),
            Some(UNREACHABLE)
        );
        let local = caller(LOCAL, rebinding);
        assert_eq!(local.send(local.get(&url)).await.unwrap().status, 200);
    }

    #[tokio::test]
    async fn literal_addresses_are_checked_before_the_call() {
        let port = listener().await;
        let remote = caller(REMOTE, rebinding);
        let local = caller(LOCAL, rebinding);
        for host in [
            "127.0.0.1",
            "[::ffff:127.0.0.1]",
            "[::ffff:7f00:1]",
            "2130706433",
        ] {
            let url = Url::parse(&format!("http://{host}:{port}/")).unwrap();
            let refused = remote.send(remote.get(&url)).await;
            assert_eq!(refused.err().as_deref(), Some(UNREACHABLE), "{host}");
        }
        let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        assert_eq!(local.send(local.get(&url)).await.unwrap().status, 200);
        // Link-local is refused for every provider, in every spelling; no connection is tried.
        for host in [
            "169.254.169.254",
            "[::ffff:169.254.169.254]",
            "[::ffff:a9fe:a9fe]",
            "[fe80::1]",
            "0.0.0.0",
        ] {
            let url = Url::parse(&format!("http://{host}:{port}/")).unwrap();
            let refused = local.send(local.get(&url)).await;
            assert_eq!(refused.err().as_deref(), Some(UNREACHABLE), "{host}");
        }
    }

    #[tokio::test]
    async fn refused_timed_out_and_filtered_calls_read_the_same() {
        // A closed port on this machine.
        let closed = {
            let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            socket.local_addr().unwrap().port()
        };
        let local = caller(LOCAL, rebinding);
        let url = Url::parse(&format!("http://127.0.0.1:{closed}/")).unwrap();
        let refused = local.send(local.get(&url)).await.err();
        // TLS toward a server that speaks plain HTTP.
        let port = listener().await;
        let url = Url::parse(&format!("https://127.0.0.1:{port}/")).unwrap();
        let tls = local.send(local.get(&url)).await.err();
        let url = Url::parse("https://unknown.example/").unwrap();
        let unresolved = local.send(local.get(&url)).await.err();
        for text in [refused, tls, unresolved] {
            assert_eq!(text.as_deref(), Some(UNREACHABLE));
        }
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
