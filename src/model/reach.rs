//! The one allow-list of where a URL that a *server* chose may send the probe: the CRL
//! distribution points and OCSP responders of a certificate (RFC 5280 §4.2.1.13,
//! §4.2.2.1). Whoever runs the server the user probes writes those URLs, so fetching
//! them blindly lets that server aim licpath at this host's loopback services, its
//! link-local metadata endpoints or the private network behind it (SSRF). Pure: the probe
//! asks here about the URL before resolving it, and again about each address it resolved
//! (the address it then connects to is one that passed, so a name that resolves to a
//! public address once and to 127.0.0.1 the next time gains nothing).
//!
//! Refused unless the user widens the [`Reach`]: a port other than the scheme's default;
//! loopback, unspecified, link-local, multicast, broadcast and reserved addresses (never
//! a real CRL host: they name this host or no host); private and shared (CGNAT) addresses
//! and `localhost` names. Documentation ranges (RFC 5737, RFC 3849) are public: the lab
//! uses them.

use super::url::Url;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// How far a server-chosen URL may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reach {
    /// Public addresses on the scheme's default port (the default).
    #[default]
    Public,
    /// Private and shared addresses too, still on the default port: the switch's own
    /// configuration maps the host (`ip host`), so its CRL host is internal.
    Internal,
    /// Any address and port: `--revocation-allow-private`.
    Any,
}

/// What kind of destination an address is, when it is not an ordinary public one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    Loopback,
    Unspecified,
    LinkLocal,
    Multicast,
    Broadcast,
    Reserved,
    /// RFC 1918, RFC 4193 (unique local), deprecated site-local.
    Private,
    /// RFC 6598 (carrier-grade NAT).
    Shared,
}

impl AddressKind {
    /// Whether `reach` lets a fetch go to this kind of address.
    fn allowed(self, reach: Reach) -> bool {
        match reach {
            Reach::Any => true,
            Reach::Internal => matches!(self, AddressKind::Private | AddressKind::Shared),
            Reach::Public => false,
        }
    }
}

impl fmt::Display for AddressKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressKind::Loopback => "a loopback address (this host)",
            AddressKind::Unspecified => "an unspecified address (this host)",
            AddressKind::LinkLocal => "a link-local address",
            AddressKind::Multicast => "a multicast address",
            AddressKind::Broadcast => "the broadcast address",
            AddressKind::Reserved => "a reserved address",
            AddressKind::Private => "a private address",
            AddressKind::Shared => "a shared (carrier-grade NAT) address",
        })
    }
}

/// Why a server-chosen URL is not fetched. The messages quote no URL: the caller does,
/// escaped, once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("port {port} is not {scheme}'s default port {default}")]
    Port {
        port: u16,
        scheme: &'static str,
        default: u16,
    },
    #[error("{ip} is {kind}")]
    Address { ip: IpAddr, kind: AddressKind },
    #[error("the name {0} means this host (RFC 6761)")]
    LocalName(String),
}

/// The kind of `ip`, or `None` for an ordinary public address. An IPv4 address embedded
/// in IPv6 (mapped `::ffff:0:0/96`, NAT64 `64:ff9b::/96`) is judged as that IPv4 address.
pub fn classify(ip: IpAddr) -> Option<AddressKind> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressKind> {
    let [a, b, ..] = ip.octets();
    Some(match (a, b) {
        _ if ip.is_broadcast() => AddressKind::Broadcast,
        (127, _) => AddressKind::Loopback,
        // 0.0.0.0/8: "this network" (RFC 1122 §3.2.1.3); Linux connects 0.0.0.0 to itself.
        (0, _) => AddressKind::Unspecified,
        (169, 254) => AddressKind::LinkLocal,
        (224..=239, _) => AddressKind::Multicast,
        (240..=255, _) => AddressKind::Reserved,
        (10, _) | (172, 16..=31) | (192, 168) => AddressKind::Private,
        (100, 64..=127) => AddressKind::Shared,
        _ => return None,
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressKind> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let s = ip.segments();
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = s;
        return classify_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    Some(match s[0] {
        _ if ip.is_loopback() => AddressKind::Loopback,
        _ if ip.is_unspecified() => AddressKind::Unspecified,
        0xff00..=0xffff => AddressKind::Multicast,
        0xfe80..=0xfebf => AddressKind::LinkLocal,
        0xfec0..=0xfeff | 0xfc00..=0xfdff => AddressKind::Private,
        _ => return None,
    })
}

/// What can be judged before any lookup: the port, a literal address, a `localhost` name.
pub fn check_url(url: &Url, reach: Reach) -> Result<(), Refused> {
    let default = url.scheme().default_port();
    if url.port() != default && reach != Reach::Any {
        return Err(Refused::Port {
            port: url.port(),
            scheme: url.scheme().as_str(),
            default,
        });
    }
    let host = url.host();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return check_address(ip, reach);
    }
    // A fully qualified name (the root's trailing dot) is the same name.
    let name = host.strip_suffix('.').unwrap_or(host);
    let local = name == "localhost" || name.ends_with(".localhost");
    if local && reach != Reach::Any {
        return Err(Refused::LocalName(host.to_string()));
    }
    Ok(())
}

/// Whether a fetch may connect to `ip` (each address a name resolved to).
pub fn check_address(ip: IpAddr, reach: Reach) -> Result<(), Refused> {
    match classify(ip) {
        Some(kind) if !kind.allowed(reach) => Err(Refused::Address { ip, kind }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_of_this_host_and_of_no_host_are_never_public() {
        for (a, kind) in [
            ("127.0.0.1", AddressKind::Loopback),
            ("127.255.1.2", AddressKind::Loopback),
            ("::1", AddressKind::Loopback),
            ("::ffff:127.0.0.1", AddressKind::Loopback),
            ("64:ff9b::7f00:1", AddressKind::Loopback),
            ("0.0.0.0", AddressKind::Unspecified),
            ("0.1.2.3", AddressKind::Unspecified),
            ("::", AddressKind::Unspecified),
            ("169.254.169.254", AddressKind::LinkLocal),
            ("fe80::1", AddressKind::LinkLocal),
            ("224.0.0.1", AddressKind::Multicast),
            ("ff02::1", AddressKind::Multicast),
            ("255.255.255.255", AddressKind::Broadcast),
            ("240.0.0.1", AddressKind::Reserved),
            ("10.1.2.3", AddressKind::Private),
            ("172.16.0.1", AddressKind::Private),
            ("172.31.255.255", AddressKind::Private),
            ("192.168.1.1", AddressKind::Private),
            ("fd00::1", AddressKind::Private),
            ("fc00::1", AddressKind::Private),
            ("::ffff:10.0.0.1", AddressKind::Private),
            ("100.64.0.1", AddressKind::Shared),
            ("100.127.255.255", AddressKind::Shared),
        ] {
            assert_eq!(classify(ip(a)), Some(kind), "{a}");
            assert!(check_address(ip(a), Reach::Public).is_err(), "{a}");
            assert!(check_address(ip(a), Reach::Any).is_ok(), "{a}");
        }
        for a in [
            "192.0.2.1",
            "203.0.113.10",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2001:db8::1",
            "2606:4700::1",
        ] {
            assert_eq!(classify(ip(a)), None, "{a}");
        }
    }

    #[test]
    fn an_internal_crl_host_may_be_private_never_this_host() {
        assert!(check_address(ip("10.0.0.5"), Reach::Internal).is_ok());
        assert!(check_address(ip("100.64.0.5"), Reach::Internal).is_ok());
        assert!(check_address(ip("127.0.0.1"), Reach::Internal).is_err());
        assert!(check_address(ip("169.254.169.254"), Reach::Internal).is_err());
    }

    #[test]
    fn urls_are_judged_by_port_literal_address_and_local_name() {
        let url = |s: &str| Url::parse(s).unwrap();
        let crl = url("http://validation.identrust.com/crl/x.crl");
        assert_eq!(check_url(&crl, Reach::Public), Ok(()));
        let e = check_url(&url("http://crl.example:8080/x.crl"), Reach::Public).unwrap_err();
        assert_eq!(e.to_string(), "port 8080 is not http's default port 80");
        assert!(check_url(&url("http://crl.example:8080/x.crl"), Reach::Internal).is_err());
        assert!(check_url(&url("http://crl.example:8080/x.crl"), Reach::Any).is_ok());
        let e = check_url(&url("http://127.0.0.1/x.crl"), Reach::Public).unwrap_err();
        assert_eq!(e.to_string(), "127.0.0.1 is a loopback address (this host)");
        let e = check_url(&url("http://[::ffff:a9fe:a9fe]/latest"), Reach::Public).unwrap_err();
        assert_eq!(
            e.to_string(),
            "::ffff:169.254.169.254 is a link-local address"
        );
        let e = check_url(&url("http://LocalHost/x.crl"), Reach::Internal).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the name localhost means this host (RFC 6761)"
        );
        assert!(check_url(&url("http://a.localhost/x.crl"), Reach::Public).is_err());
        assert!(check_url(&url("http://a.localhost/x.crl"), Reach::Any).is_ok());
        assert!(check_url(&url("http://127.0.0.1:1/x.crl"), Reach::Any).is_ok());
    }

    /// Found by fuzz/fuzz_targets/reach.rs (issue 28): `a.localhost.` (fully qualified)
    /// passed where `a.localhost` and `localhost.` were refused.
    #[test]
    fn a_localhost_name_is_refused_with_the_roots_trailing_dot_too() {
        for u in [
            "http://a.localhost./x.crl",
            "http://.localhost.",
            "http://localhost./",
        ] {
            let url = Url::parse(u).unwrap();
            for reach in [Reach::Public, Reach::Internal] {
                let e = check_url(&url, reach).unwrap_err();
                assert!(matches!(e, Refused::LocalName(_)), "{u} {reach:?}: {e}");
            }
            assert_eq!(check_url(&url, Reach::Any), Ok(()), "{u}");
        }
    }
}
