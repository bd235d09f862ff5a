//! `--proxy` on the command line: parsed by the one URL module (`model::url::parse_proxy`,
//! which splits `http://USER:PASSWORD@HOST:PORT` into the address and `Credentials`);
//! here only the message of a refused value, which quotes the argument with its password
//! masked (`user:***`), since a usage error is printed.

use crate::model::url::{ProxyAddr, parse_proxy};

/// `--proxy VALUE`, or a usage message that never shows the password.
pub fn parse_proxy_arg(s: &str) -> Result<ProxyAddr, String> {
    parse_proxy(s).map_err(|e| format!("--proxy {:?}: {e}", masked(s)))
}

/// The argument as it may be shown: a userinfo's password replaced by `***`.
fn masked(s: &str) -> String {
    let (scheme, rest) = s.split_once("://").map_or(("", s), |(a, b)| (a, b));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest.get(..authority_end).and_then(|a| a.rfind('@')) else {
        return s.to_string();
    };
    let (userinfo, host_on) = rest.split_at(at);
    let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
    let scheme = if scheme.is_empty() {
        String::new()
    } else {
        format!("{scheme}://")
    };
    format!("{scheme}{user}:***{host_on}")
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
        assert_eq!(masked("proxy.example:80"), "proxy.example:80");
    }
}
