//! Address ranges (`192.0.2.0/24`, `2001:db8::/32`, or one address): the
//! RADIUS clients' networks and the trusted reverse proxies.

use std::net::IpAddr;

/// An address range. IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, as a
/// dual-stack socket reports IPv4 peers) match the IPv4 ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `ADDRESS` or `ADDRESS/PREFIX`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (ip, prefix) = match text.split_once('/') {
            Some((ip, bits)) => {
                (ip, Some(bits.parse::<u8>().map_err(|_| format!("bad prefix in {text:?}"))?))
            }
            None => (text, None),
        };
        let network: IpAddr = ip.parse().map_err(|_| format!("{text:?} is not an address or CIDR"))?;
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(width);
        if prefix > width {
            return Err(format!("prefix /{prefix} too long in {text:?}"));
        }
        Ok(Cidr { network, prefix })
    }

    /// Whether `ip` lies in this range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        fn bits(ip: IpAddr) -> u128 {
            match ip {
                IpAddr::V4(v4) => u128::from(u32::from(v4)),
                IpAddr::V6(v6) => u128::from(v6),
            }
        }
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 @ IpAddr::V4(_) => v4,
        };
        if ip.is_ipv4() != self.network.is_ipv4() {
            return false;
        }
        let width = if ip.is_ipv4() { 32 } else { 128 };
        let shift = width - u32::from(self.prefix);
        let (a, b) = (bits(ip), bits(self.network));
        shift >= width || (a >> shift) == (b >> shift)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The client's address behind trusted reverse proxies: `peer` itself,
/// unless `peer` is one of `trusted`; then the right-most address of
/// `X-Forwarded-For` that is not a trusted proxy (addresses further left
/// were written by the client and prove nothing). A header that is missing
/// or not understood gives `peer`.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[Cidr]) -> IpAddr {
    if !trusted.iter().any(|t| t.contains(peer)) {
        return peer;
    }
    let Some(header) = forwarded_for else { return peer };
    for entry in header.rsplit(',') {
        let entry = entry.trim();
        let ip = entry
            .parse::<IpAddr>()
            .ok()
            .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()));
        match ip {
            Some(ip) if trusted.iter().any(|t| t.contains(ip)) => {}
            Some(ip) => return ip,
            None => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_match_as_written() {
        let c = Cidr::parse("192.0.2.0/24").unwrap();
        assert!(c.contains(ip("192.0.2.200")) && !c.contains(ip("192.0.3.1")));
        assert!(c.contains(ip("::ffff:192.0.2.9")), "IPv4-mapped");
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("203.0.113.5")));
        assert!(Cidr::parse("2001:db8::/32").unwrap().contains(ip("2001:db8:1::1")));
        assert!(
            Cidr::parse("10.0.0.1/33").is_err()
                && Cidr::parse("x/8").is_err()
                && Cidr::parse("10.0.0.0/a").is_err()
        );
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_forwarded_address() {
        let proxies = [Cidr::parse("10.0.0.0/8").unwrap()];
        let proxy = ip("10.0.0.5");
        // A client behind the proxy, and one that wrote its own X-Forwarded-For first.
        assert_eq!(client_address(proxy, Some("203.0.113.7"), &proxies), ip("203.0.113.7"));
        assert_eq!(client_address(proxy, Some("1.2.3.4, 203.0.113.7"), &proxies), ip("203.0.113.7"));
        assert_eq!(
            client_address(proxy, Some("203.0.113.7, 10.0.0.9"), &proxies),
            ip("203.0.113.7"),
            "two proxies"
        );
        assert_eq!(client_address(proxy, Some("198.51.100.1:4711"), &proxies), ip("198.51.100.1"));
        // Nothing usable: the proxy itself.
        assert_eq!(client_address(proxy, None, &proxies), proxy);
        assert_eq!(client_address(proxy, Some("garbage, "), &proxies), proxy);
        // A peer that is not a trusted proxy cannot choose its address.
        assert_eq!(client_address(ip("203.0.113.9"), Some("1.2.3.4"), &proxies), ip("203.0.113.9"));
    }
}
