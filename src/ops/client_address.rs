//! The client's address, for throttles and limits. Behind a reverse proxy every request comes
//! from the proxy, so one address would stand for every user; `Forwarded` (RFC 7239) and
//! `X-Forwarded-For` name the real client, but anyone can send them, so they are read only
//! when the TCP peer is a proxy the operator trusts (`COGNATE_TRUSTED_PROXIES`).

use std::future::{Ready, ready};
use std::net::IpAddr;
use std::str::FromStr;

use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};

use crate::proxies::{ForwardedHeader, TrustedProxies, canonical};

/// The address limits count under: an IPv6 client usually holds a whole /64, so it is one
/// client there; an IPv4 address is itself.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

impl TrustedProxies {
    /// The client behind `peer`: the peer itself unless it is trusted; then the rightmost
    /// address in the forwarding chain that is not a trusted proxy. Entries to the left of
    /// that one were written by the client and prove nothing.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        let chain = forwarded_chain(headers, self.header());
        let mut client = peer;
        for hop in chain.iter().rev() {
            match hop {
                Some(ip) if self.contains(*ip) => client = *ip,
                Some(ip) => return *ip,
                // An obfuscated or malformed hop: the last proxy that we trust is as far as
                // anything is known.
                None => return client,
            }
        }
        client
    }
}

/// The hops of the configured header, oldest first; `None` for a hop that is not an address.
fn forwarded_chain(headers: &HeaderMap, header: ForwardedHeader) -> Vec<Option<IpAddr>> {
    let joined = |name: &str| {
        headers
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
    };
    if header == ForwardedHeader::Forwarded {
        return joined("forwarded")
            .split(',')
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (key, value) = pair.split_once('=')?;
                    key.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| parse_hop(value))
                })?
            })
            .collect();
    }
    joined("x-forwarded-for")
        .split(',')
        .filter(|hop| !hop.trim().is_empty())
        .map(parse_hop)
        .collect()
}

/// `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]:443`, optionally quoted.
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = IpAddr::from_str(text) {
        return Some(canonical(ip));
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (inside, _) = rest.split_once(']')?;
        return IpAddr::from_str(inside).ok().map(canonical);
    }
    let (host, port) = text.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    std::net::Ipv4Addr::from_str(host).ok().map(IpAddr::V4)
}

/// `aws:SecureTransport`: the listener speaks plain HTTP, so a request came over TLS only
/// if a trusted proxy in front of it says so.
pub fn forwarded_https(
    peer: Option<std::net::SocketAddr>,
    proxies: Option<&TrustedProxies>,
    headers: &HeaderMap,
) -> bool {
    let trusted = match (peer, proxies) {
        (Some(peer), Some(proxies)) => proxies.contains(peer.ip()),
        _ => false,
    };
    if !trusted {
        return false;
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
    };
    header("x-forwarded-proto").is_some_and(|p| p.trim() == "https")
        || header("forwarded").is_some_and(|f| f.contains("proto=https"))
}

/// The client address of a request as limits count it (see `limit_key`), as an extractor;
/// `None` only when the peer is unknown.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    pub fn of(req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        Some(limit_key(match req.app_data::<Data<TrustedProxies>>() {
            Some(trusted) => trusted.client(peer, req.headers()),
            None => peer,
        }))
    }
}

impl FromRequest for ClientAddress {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(ClientAddress(Self::of(req))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_claim() {
        let none = TrustedProxies::default();
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(none.client(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        let some = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(some.client(ip("198.51.100.1"), &h), ip("198.51.100.1"));
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let t = TrustedProxies::parse("10.0.0.0/8, 192.168.1.1").unwrap();
        // The client wrote a fake first hop; the proxies appended the real ones.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 192.168.1.1")]);
        assert_eq!(t.client(ip("10.1.2.3"), &h), ip("203.0.113.9"));
        let h = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "203.0.113.7:5555"),
        ]);
        assert_eq!(t.client(ip("10.1.2.3"), &h), ip("203.0.113.7"));
        // Only proxies in the chain: the leftmost one is as far as anything is known.
        let h = headers(&[("x-forwarded-for", "10.9.9.9")]);
        assert_eq!(t.client(ip("10.1.2.3"), &h), ip("10.9.9.9"));
        // No header at all: the proxy itself.
        assert_eq!(t.client(ip("10.1.2.3"), &HeaderMap::new()), ip("10.1.2.3"));
    }

    #[test]
    fn only_the_configured_header_is_read() {
        let h = headers(&[
            (
                "forwarded",
                "for=1.1.1.1, for=\"[2001:db8:cafe::17]:4711\";proto=https",
            ),
            ("x-forwarded-for", "9.9.9.9"),
        ]);
        // The default: X-Forwarded-For; a Forwarded header the client sent is ignored.
        let xff = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(xff.client(ip("10.0.0.1"), &h), ip("9.9.9.9"));
        let fwd = TrustedProxies::parse("10.0.0.0/8")
            .unwrap()
            .with_header(ForwardedHeader::Forwarded);
        assert_eq!(fwd.client(ip("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
        let h = headers(&[("forwarded", "for=_hidden, for=10.0.0.2")]);
        assert_eq!(fwd.client(ip("10.0.0.1"), &h), ip("10.0.0.2"));
        let h = headers(&[("x-forwarded-for", "garbage, 10.0.0.5")]);
        assert_eq!(xff.client(ip("10.0.0.1"), &h), ip("10.0.0.5"));
        assert!(ForwardedHeader::parse("via").is_err());
    }

    #[test]
    fn an_ipv6_client_is_its_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:3:4:5:6")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("2001:db8:1:2::ffff")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(limit_key(ip("::ffff:203.0.113.9")), ip("203.0.113.9"));
    }

    #[test]
    fn mapped_ipv6_counts_as_ipv4_and_bad_lists_are_refused() {
        let t = TrustedProxies::parse("127.0.0.1").unwrap();
        assert!(t.contains(ip("::ffff:127.0.0.1")));
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.internal").is_err());
        assert!(TrustedProxies::parse("").unwrap().is_empty());
    }
}
