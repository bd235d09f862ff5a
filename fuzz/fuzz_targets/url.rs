//! The one URL parser (src/model/url.rs) on arbitrary text, as a certificate's CRL/OCSP
//! URL or a `host:port`: no panic, and whatever it accepts is safe to write on a request
//! line (no control character, space or non-ASCII byte) and reads back as itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use licpath::model::url::{Url, authority, parse_host_port};

fn safe(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_graphic())
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(u) = Url::parse(s) {
        assert!(safe(u.path()) && safe(&u.host_header()) && safe(&u.to_string()), "{s:?}");
        assert!(safe(&authority(u.host(), u.port())), "{s:?}");
        let again = Url::parse(&u.to_string()).expect("a parsed URL reads back");
        assert_eq!((again.host(), again.port(), again.path()), (u.host(), u.port(), u.path()));
    }
    if let Ok((host, port)) = parse_host_port(s) {
        assert!(safe(&authority(&host, port.unwrap_or(1))), "{s:?}");
    }
});
