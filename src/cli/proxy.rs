//! `--proxy` on the command line, parsed once where clap reads it (the flags' value
//! parsers) by the one URL module (`model::url::parse_proxy`, which splits
//! `http://USER:PASSWORD@HOST:PORT` into the address and `Credentials`): later code holds a
//! `ProxyAddr`, never the string. A refused value's message quotes the argument with its
//! password masked (`user:***`), since a usage error is printed.

use crate::model::url::{ProxyAddr, UrlError, mask_userinfo, parse_proxy};

/// A `--proxy` value refused; clap prints it after "invalid value 'VALUE' for '--proxy
/// <HOST:PORT>':", the value with its password masked (`main.rs`, `cli::clap_error_text`).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProxyArgError {
    /// Why, found by parsing the masked value: the reason may quote a part of it (a path,
    /// a port), never the password.
    #[error(transparent)]
    Refused(UrlError),
    #[error("USER:PASSWORD@ is malformed (percent-encode '/', '?', '#' and '@' in a password)")]
    Userinfo,
    #[error(
        "credentials have no place here: the switch cannot authenticate to a proxy (give HOST:PORT)"
    )]
    Credentials,
}

/// `probe`/`check`/`tui --proxy`: `HOST:PORT` or `http://[USER:PASSWORD@]HOST:PORT`, the
/// credentials kept for the probe's CONNECT.
pub fn parse_proxy_arg(s: &str) -> Result<ProxyAddr, ProxyArgError> {
    parse_proxy(s).map_err(|_| match parse_proxy(&mask_userinfo(s)) {
        Err(e) => ProxyArgError::Refused(e),
        Ok(_) => ProxyArgError::Userinfo,
    })
}

/// `analyze`/`watch --proxy` (and `tui --proxy` over a capture): `HOST:PORT` (or
/// `http://HOST:PORT`), no credentials: the switch has none to give a proxy, and a capture
/// does not need them.
pub fn parse_proxy_endpoint(s: &str) -> Result<ProxyAddr, ProxyArgError> {
    let p = parse_proxy_arg(s)?;
    if p.credentials.is_some() {
        return Err(ProxyArgError::Credentials);
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_values_never_show_the_password() {
        for bad in [
            "http://bob:secret@proxy.example",
            "bob:secret@proxy.example:0",
            "http://bob:secret@:80/x",
            "http://bob@proxy.example",
            "http://alice:Pa#S3cretPW@proxy.example",
            "http://alice:Pa?S3cretPW@proxy.example",
            "http://alice:Pa/secret@proxy.example:80",
            "http://alice:Pa/secret@proxy.example",
        ] {
            let e = parse_proxy_arg(bad).unwrap_err().to_string();
            assert!(!e.contains("secret") && !e.contains("S3cret"), "{bad}: {e}");
        }
        assert_eq!(
            parse_proxy_arg("http://alice:Pa/secret@proxy.example:80"),
            Err(ProxyArgError::Userinfo)
        );
        assert_eq!(
            parse_proxy_arg("::1").unwrap_err().to_string(),
            "an IPv6 address needs brackets: [::1]:port"
        );
        assert_eq!(
            parse_proxy_arg("proxy.example").unwrap_err().to_string(),
            "expected HOST:PORT (the switch needs an explicit port too)"
        );
        assert_eq!(
            parse_proxy_endpoint("http://bob:pw@proxy.example:80"),
            Err(ProxyArgError::Credentials)
        );
    }

    #[test]
    fn accepted_values_carry_the_credentials() {
        let p = parse_proxy_arg("http://bob:s%40cret@Proxy.Example:3128/").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy.example", 3128));
        let c = p.credentials.unwrap();
        assert_eq!(c.to_string(), "bob:***");
        assert_eq!(c.basic_authorization(), "Basic Ym9iOnNAY3JldA==");
        assert_eq!(mask_userinfo("proxy.example:80"), "proxy.example:80");
        assert_eq!(
            parse_proxy_endpoint("http://proxy.example:80").map(|p| p.port),
            Ok(80)
        );
    }
}
