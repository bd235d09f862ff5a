//! `--proxy` on the command line: parsed by the one URL module (`model::url::parse_proxy`,
//! which splits `http://USER:PASSWORD@HOST:PORT` into the address and `Credentials`);
//! here only the message of a refused value, which quotes the argument with its password
//! masked (`user:***`), since a usage error is printed.

use crate::model::url::{ProxyAddr, mask_userinfo, parse_proxy};

/// `--proxy VALUE`, or a usage message that never shows the password.
pub fn parse_proxy_arg(s: &str) -> Result<ProxyAddr, String> {
    parse_proxy_shown(s).map_err(|(shown, why)| format!("--proxy {shown:?}: {why}"))
}

/// A proxy value, or the value as it may be shown (masked) and why it was refused. The
/// reason may quote a part of the value (a path, a port): it is found by parsing the
/// masked value again, never taken from the original.
pub fn parse_proxy_shown(s: &str) -> Result<ProxyAddr, (String, String)> {
    parse_proxy(s).map_err(|_| {
        let shown = mask_userinfo(s).into_owned();
        let why = match parse_proxy(&shown) {
            Err(e) => e.to_string(),
            Ok(_) => {
                "USER:PASSWORD@ is malformed (percent-encode '/', '?', '#' and '@' in a password)"
                    .into()
            }
        };
        (shown, why)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_values_never_show_the_password() {
        for (bad, shown) in [
            (
                "http://bob:secret@proxy.example",
                "http://bob:***@proxy.example",
            ),
            ("bob:secret@proxy.example:0", "bob:***@proxy.example:0"),
            ("http://bob:secret@:80/x", "http://bob:***@:80/x"),
            ("http://bob@proxy.example", "http://bob:***@proxy.example"),
            (
                "http://alice:Pa#S3cretPW@proxy.example",
                "http://alice:***@proxy.example",
            ),
            (
                "http://alice:Pa?S3cretPW@proxy.example",
                "http://alice:***@proxy.example",
            ),
            (
                "http://alice:Pa/secret@proxy.example:80",
                "http://alice:***@proxy.example:80",
            ),
        ] {
            let e = parse_proxy_arg(bad).unwrap_err();
            assert!(!e.contains("secret"), "{e}");
            assert!(e.starts_with(&format!("--proxy {shown:?}: ")), "{e}");
        }
        let e = parse_proxy_arg("::1").unwrap_err();
        assert!(e.starts_with("--proxy \"::1\": "), "{e}");
    }

    #[test]
    fn accepted_values_carry_the_credentials() {
        let p = parse_proxy_arg("http://bob:s%40cret@Proxy.Example:3128/").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy.example", 3128));
        let c = p.credentials.unwrap();
        assert_eq!(c.to_string(), "bob:***");
        assert_eq!(c.basic_authorization(), "Basic Ym9iOnNAY3JldA==");
        assert_eq!(mask_userinfo("proxy.example:80"), "proxy.example:80");
    }
}
