//! The allow-list of server-chosen URLs (src/model/reach.rs) and the userinfo masking
//! (src/model/url.rs) on arbitrary text: no panic; a URL the default reach accepts is on
//! its scheme's default port with no loopback/private literal address; one the internal
//! reach (`ip host`) accepts is on the default port with no literal address but a public,
//! private or shared one; neither accepts a name RFC 6761 reserves for this host
//! (`localhost`, `*.localhost`, with or without the root's trailing dot);
//! `--revocation-allow-private` accepts every URL; an address the default reach accepts
//! is one `classify` calls public; a masked string never holds the password of the URL it
//! was parsed from.
#![no_main]
use libfuzzer_sys::fuzz_target;
use licpath::model::reach::{AddressKind, Reach, check_address, check_url, classify};
use licpath::model::url::{Url, mask_userinfo, mask_userinfo_in_text};
use std::net::IpAddr;

fuzz_target!(|data: &[u8]| {
    if let Some((ip, _)) = data.split_first_chunk::<16>() {
        let ip = IpAddr::from(*ip);
        assert_eq!(check_address(ip, Reach::Public).is_ok(), classify(ip).is_none());
        assert!(check_address(ip, Reach::Any).is_ok());
        if check_address(ip, Reach::Internal).is_ok() {
            assert!(!ip.is_loopback() && !ip.is_unspecified() && !ip.is_multicast());
        }
    }
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(u) = Url::parse(s) {
        if check_url(&u, Reach::Public).is_ok() {
            assert_eq!(u.port(), u.scheme().default_port(), "{s:?}");
            if let Ok(ip) = u.host().parse::<IpAddr>() {
                assert!(classify(ip).is_none(), "{s:?}");
            }
        }
        if check_url(&u, Reach::Internal).is_ok() {
            assert_eq!(u.port(), u.scheme().default_port(), "{s:?}");
            if let Ok(ip) = u.host().parse::<IpAddr>() {
                assert!(matches!(classify(ip), None | Some(AddressKind::Private | AddressKind::Shared)), "{s:?}");
            }
        }
        let name = u.host().strip_suffix('.').unwrap_or(u.host());
        if name == "localhost" || name.ends_with(".localhost") {
            assert!(check_url(&u, Reach::Public).is_err() && check_url(&u, Reach::Internal).is_err(), "{s:?}");
        }
        assert!(check_url(&u, Reach::Any).is_ok(), "{s:?}");
        if u.credentials().is_some() {
            let masked = mask_userinfo(s);
            assert!(masked.contains(":***@"), "{s:?} -> {masked:?}");
            // Nothing between the scheme and the last `@` survives but the user name.
            let at = s.rfind('@').unwrap();
            assert!(masked.ends_with(&s[at..]), "{s:?} -> {masked:?}");
        }
    }
    let masked = mask_userinfo_in_text(s);
    assert!(masked.len() <= s.len() + 8 * s.matches('@').count() + 8, "{s:?}");
});
