//! The outbound address filter. It judges the address a call connects to, never the URL's
//! text: a literal address after normalising it (an IPv4-mapped IPv6 address is its IPv4
//! address), a name by every address it resolves to, inside the resolver the HTTP client
//! connects with, so no second lookup can answer differently (DNS rebinding).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use url::{Host, Url};

/// Where an address leads, for the filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// Never called: link-local (cloud metadata services), unspecified, multicast,
    /// broadcast, "this network", and IPv6 forms that only embed an IPv4 address.
    Refused,
    /// This machine.
    Loopback,
    /// RFC 1918, CGNAT (RFC 6598), unique-local and site-local IPv6.
    Private,
    Public,
}

/// `ip` as the network treats it: an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) reaches the
/// IPv4 address, and so does one under the NAT64 well-known prefix (RFC 6052).
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None if v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] => {
                let [.., a, b, c, d] = v6.octets();
                IpAddr::V4(Ipv4Addr::new(a, b, c, d))
            }
            None => ip,
        },
        IpAddr::V4(_) => ip,
    }
}

/// The range of `ip`, judged on its canonical form.
pub fn range(ip: IpAddr) -> Range {
    match canonical(ip) {
        IpAddr::V4(v4) => range_v4(v4),
        IpAddr::V6(v6) => range_v6(v6),
    }
}

fn range_v4(ip: Ipv4Addr) -> Range {
    let [a, b, ..] = ip.octets();
    if a == 0 || ip.is_link_local() || ip.is_multicast() || ip.is_broadcast() {
        Range::Refused
    } else if ip.is_loopback() {
        Range::Loopback
    } else if ip.is_private() || (a == 100 && (b & 0xc0) == 64) {
        Range::Private
    } else {
        Range::Public
    }
}

fn range_v6(ip: Ipv6Addr) -> Range {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Range::Loopback
    } else if ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xffc0) == 0xfe80
        // IPv4-compatible (`::a.b.c.d`, deprecated by RFC 4291): never a real server.
        || ip.segments()[..6] == [0; 6]
    {
        Range::Refused
    } else if (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfec0 {
        Range::Private
    } else {
        Range::Public
    }
}

/// Which ranges one call may reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    pub loopback: bool,
    pub private: bool,
}

impl Policy {
    /// For the provider at `issuer`: one on this machine may call this machine and the
    /// private ranges (a provider in a container next to Cognate); any other may call
    /// private ranges only where the operator allows it
    /// (`COGNATE_FEDERATION_ALLOW_PRIVATE_NETWORKS`), and never this machine.
    pub fn for_issuer(issuer: &Url, allow_private: bool) -> Self {
        if is_local(issuer) {
            Self {
                loopback: true,
                private: true,
            }
        } else {
            Self {
                loopback: false,
                private: allow_private,
            }
        }
    }

    pub fn permits(self, ip: IpAddr) -> bool {
        match range(ip) {
            Range::Refused => false,
            Range::Loopback => self.loopback,
            Range::Private => self.private,
            Range::Public => true,
        }
    }
}

/// The host of `url` as compared: a name in lower case without one trailing dot
/// (`LOCALHOST.` is `localhost`), an address in its canonical form.
pub fn host(url: &Url) -> Option<Host<String>> {
    Some(match url.host()? {
        Host::Domain(name) => {
            let name = name.strip_suffix('.').unwrap_or(name);
            match name.parse::<IpAddr>() {
                Ok(ip) => address_host(ip),
                Err(_) => Host::Domain(name.to_ascii_lowercase()),
            }
        }
        Host::Ipv4(ip) => address_host(IpAddr::V4(ip)),
        Host::Ipv6(ip) => address_host(IpAddr::V6(ip)),
    })
}

fn address_host(ip: IpAddr) -> Host<String> {
    match canonical(ip) {
        IpAddr::V4(v4) => Host::Ipv4(v4),
        IpAddr::V6(v6) => Host::Ipv6(v6),
    }
}

/// Whether `url` names this machine: `localhost` or a loopback address, in any spelling.
pub fn is_local(url: &Url) -> bool {
    match host(url) {
        Some(Host::Domain(name)) => name == "localhost",
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The address `url` names literally, if it names one (the resolver never sees these).
pub fn literal(url: &Url) -> Option<IpAddr> {
    match host(url)? {
        Host::Domain(_) => None,
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
    }
}

/// The resolver's refusal. Its text never reaches an admin: see `http::UNREACHABLE`.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` resolves to an address Cognate does not call")]
pub struct Refused(String);

/// How a name becomes addresses: the system's resolver, or a fake in tests.
pub type Lookup = fn(&str) -> io::Result<Vec<IpAddr>>;

/// The system's resolver (getaddrinfo, as reqwest's own default).
pub fn system_lookup(name: &str) -> io::Result<Vec<IpAddr>> {
    Ok((name, 0).to_socket_addrs()?.map(|a| a.ip()).collect())
}

/// The resolver of one HTTP client: it answers only with addresses `policy` permits, and
/// refuses a name any of whose addresses it does not.
pub struct Resolver {
    pub policy: Policy,
    pub lookup: Lookup,
}

impl Resolver {
    /// The addresses `name` may be connected to.
    pub fn addresses(
        &self,
        name: &str,
    ) -> Result<Vec<IpAddr>, Box<dyn std::error::Error + Send + Sync>> {
        let found = (self.lookup)(name)?;
        if found.is_empty() || !found.iter().all(|ip| self.policy.permits(*ip)) {
            return Err(Box::new(Refused(name.to_string())));
        }
        Ok(found)
    }
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let resolver = Resolver {
            policy: self.policy,
            lookup: self.lookup,
        };
        let name = name.as_str().to_string();
        Box::pin(async move {
            let found = tokio::task::spawn_blocking(move || resolver.addresses(&name)).await??;
            // Port 0: the client puts the URL's port in.
            let addrs: reqwest::dns::Addrs =
                Box::new(found.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_are_judged_on_the_canonical_address() {
        for refused in [
            "169.254.169.254",
            "::ffff:169.254.169.254",
            "::ffff:a9fe:a9fe",
            "64:ff9b::a9fe:a9fe",
            "fe80::1",
            "febf::1",
            "0.0.0.0",
            "0.1.2.3",
            "::",
            "::ffff:0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "ff02::1",
            "::127.0.0.1",
            "::a9fe:a9fe",
        ] {
            assert_eq!(range(ip(refused)), Range::Refused, "{refused}");
        }
        for loopback in [
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:7f00:1",
        ] {
            assert_eq!(range(ip(loopback)), Range::Loopback, "{loopback}");
        }
        for private in [
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "fc00::1",
            "fd12:3456::1",
            "fec0::1",
            "::ffff:10.1.2.3",
            "::ffff:192.168.0.1",
            "::ffff:100.64.0.1",
            "64:ff9b::a00:1",
        ] {
            assert_eq!(range(ip(private)), Range::Private, "{private}");
        }
        for public in [
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(range(ip(public)), Range::Public, "{public}");
        }
    }

    #[test]
    fn a_policy_permits_loopback_and_private_ranges_only_when_it_says_so() {
        let remote = Url::parse("https://login.example.com/t").unwrap();
        let strict = Policy::for_issuer(&remote, false);
        let in_house = Policy::for_issuer(&remote, true);
        for local in [
            "http://localhost:8080/p",
            "http://LOCALHOST./p",
            "https://localhost.",
            "http://127.0.0.1:9/x",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:7f00:1]/",
        ] {
            let url = Url::parse(local).unwrap();
            assert!(is_local(&url), "{local}");
            assert_eq!(
                Policy::for_issuer(&url, false),
                Policy {
                    loopback: true,
                    private: true
                }
            );
        }
        assert!(!is_local(
            &Url::parse("https://localhost.example.com/").unwrap()
        ));
        assert!(!is_local(&remote));
        assert!(!strict.permits(ip("127.0.0.1")) && !strict.permits(ip("10.0.0.1")));
        assert!(!in_house.permits(ip("::ffff:127.0.0.1")) && in_house.permits(ip("10.0.0.1")));
        for policy in [
            strict,
            in_house,
            Policy::for_issuer(&Url::parse("http://localhost/").unwrap(), true),
        ] {
            assert!(!policy.permits(ip("::ffff:169.254.169.254")));
            assert!(!policy.permits(ip("::ffff:a9fe:a9fe")));
            assert!(policy.permits(ip("93.184.216.34")));
        }
    }

    #[test]
    fn literal_addresses_are_read_in_canonical_form() {
        let lit = |u: &str| literal(&Url::parse(u).unwrap());
        assert_eq!(
            lit("https://[::ffff:169.254.169.254]/"),
            Some(ip("169.254.169.254"))
        );
        assert_eq!(
            lit("https://[::ffff:a9fe:a9fe]/"),
            Some(ip("169.254.169.254"))
        );
        assert_eq!(lit("https://2852039166/"), Some(ip("169.254.169.254")));
        assert_eq!(
            lit("https://0xa9.0xfe.0xa9.0xfe/"),
            Some(ip("169.254.169.254"))
        );
        assert_eq!(lit("https://login.example.com/"), None);
        assert_eq!(
            host(&Url::parse("https://Login.Example.COM./").unwrap()),
            Some(Host::Domain("login.example.com".into()))
        );
    }

    fn fake(name: &str) -> io::Result<Vec<IpAddr>> {
        Ok(match name {
            "rebind.example" => vec![ip("127.0.0.1")],
            "metadata.example" => vec![ip("93.184.216.34"), ip("169.254.169.254")],
            "mapped.example" => vec![ip("::ffff:169.254.169.254")],
            "intranet.example" => vec![ip("10.1.2.3")],
            "public.example" => vec![ip("93.184.216.34"), ip("2606:4700::1111")],
            _ => return Err(io::Error::new(io::ErrorKind::NotFound, "no such name")),
        })
    }

    #[test]
    fn a_name_is_refused_when_any_address_it_resolves_to_is() {
        let remote = |private| Resolver {
            policy: Policy {
                loopback: false,
                private,
            },
            lookup: fake,
        };
        let local = Resolver {
            policy: Policy {
                loopback: true,
                private: true,
            },
            lookup: fake,
        };
        assert!(remote(false).addresses("rebind.example").is_err());
        assert!(remote(true).addresses("rebind.example").is_err());
        assert!(local.addresses("rebind.example").is_ok());
        for name in ["metadata.example", "mapped.example"] {
            assert!(remote(true).addresses(name).is_err(), "{name}");
            assert!(local.addresses(name).is_err(), "{name}");
        }
        assert!(remote(false).addresses("intranet.example").is_err());
        assert!(remote(true).addresses("intranet.example").is_ok());
        assert_eq!(remote(false).addresses("public.example").unwrap().len(), 2);
        assert!(remote(false).addresses("nowhere.example").is_err());
    }
}
