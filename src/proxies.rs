//! The reverse proxies in front of Cognate whose forwarding headers are believed
//! (`COGNATE_TRUSTED_PROXIES`, `COGNATE_FORWARDED_HEADER`), as configuration parses them;
//! `ops::client_address` reads a request's client through them.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// Which header the trusted proxies write the client's address into. Only that one is read:
/// a proxy passes the other through as the client sent it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For`, which nginx, HAProxy and the cloud load balancers append to.
    #[default]
    XForwardedFor,
    /// `Forwarded` (RFC 7239).
    Forwarded,
}

impl ForwardedHeader {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            other => Err(format!("`{other}` is not x-forwarded-for or forwarded")),
        }
    }
}

/// CIDR ranges of the reverse proxies in front of Cognate (empty by default), and the
/// header they write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// Reads the client's address from `header` (set by `COGNATE_FORWARDED_HEADER`).
    pub fn with_header(mut self, header: ForwardedHeader) -> Self {
        self.header = header;
        self
    }

    /// A comma-separated list of CIDR ranges or single addresses.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = IpNet::from_str(part)
                .or_else(|_| IpAddr::from_str(part).map(IpNet::from))
                .map_err(|_| format!("`{part}` is not an address or CIDR range"))?;
            nets.push(net.trunc());
        }
        Ok(Self {
            nets,
            header: ForwardedHeader::default(),
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// The header the proxies write the client's address into.
    pub fn header(&self) -> ForwardedHeader {
        self.header
    }
}

/// IPv4-mapped IPv6 peers (`::ffff:1.2.3.4` on a dual-stack socket) count as IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}
