//! The one parser of URLs and `host:port` strings: the probe's targets, the switch's
//! configured URLs and proxy, the CRL distribution points and OCSP responders that a
//! certificate (chosen by the server, so hostile until proven otherwise) names, and every
//! request line, `Host` header and CONNECT target the probe writes. Pure: no I/O.
//!
//! Strict per RFC 3986 (§2, §3), on top of the `url` crate:
//! - a control character (C0 or DEL), a space, a backslash or any non-ASCII byte anywhere
//!   **refuses** the whole URL. They are never stripped or encoded: the `url` crate follows
//!   the WHATWG rules, which silently delete tab, CR and LF and read `\` as `/`, so a
//!   hostile URL would become a different, innocent-looking one instead of being reported;
//! - the other characters RFC 3986 does not allow in a path or query (`"` `<` `>` `` ` ``
//!   `{` `}` `|` `^`) are **percent-encoded** (by the `url` crate), so what goes on a
//!   request line is always `%XX` or RFC 3986 characters;
//! - the scheme is `http` or `https`; the host a DNS name (letters, digits, `-`, `.`, `_`),
//!   an IPv4 address in dotted-decimal, or an IPv6 address in brackets — the WHATWG
//!   readings `127.1` or `0x7f.0.0.1` are refused rather than turned into another host;
//!   the port 1–65535, and present when a `:` is;
//! - a userinfo (`user:password@`) is split out as [`Credentials`], whose `Debug` and
//!   `Display` print `user:***`; the fragment is dropped (it is never sent).
//!
//! [`host_of_authority`] is the lenient exception: it reads the host out of a `Host`
//! header or CONNECT target *seen in a capture*, which is data to report, never a request
//! to write.

use std::fmt;

/// Bytes of a URL accepted at most (certificate URLs are a few dozen).
pub const MAX_URL_LEN: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// RFC 9110 §4.2.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// Why a URL or `host:port` was refused. The messages quote no input: the caller says
/// which string it was (escaped), once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("not a URL (expected https://host/path)")]
    NotAUrl,
    #[error("longer than {MAX_URL_LEN} bytes")]
    TooLong,
    #[error("unsupported scheme {0:?} (http or https)")]
    UnsupportedScheme(String),
    #[error("control character 0x{byte:02x} at byte {at} (RFC 3986 allows none)")]
    ControlCharacter { byte: u8, at: usize },
    #[error("space at byte {at} (RFC 3986 allows none)")]
    Space { at: usize },
    #[error("backslash at byte {at} (RFC 3986 allows none)")]
    Backslash { at: usize },
    #[error("non-ASCII byte 0x{byte:02x} at byte {at} (RFC 3986 is ASCII)")]
    NonAscii { byte: u8, at: usize },
    #[error("no host")]
    NoHost,
    #[error("bad host name {0:?}")]
    BadHost(String),
    #[error("an IPv6 address needs brackets: [{0}]:port")]
    UnbracketedIpv6(String),
    #[error("unclosed '[' in the host")]
    UnclosedBracket,
    #[error("junk after the IPv6 address")]
    JunkAfterIpv6,
    #[error("expected HOST:PORT (the switch needs an explicit port too)")]
    MissingPort,
    #[error("a proxy URL has no path, got {0:?}")]
    ProxyPath(String),
    #[error("bad port {0:?} (1-65535)")]
    BadPort(String),
    #[error("invalid URL: {0}")]
    Invalid(String),
}

/// A user name and password (a proxy's, for testing: the switch itself has none). Never
/// printed: `Debug` and `Display` show `user:***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    user: String,
    password: String,
}

impl Credentials {
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            user: user.into(),
            password: password.into(),
        }
    }

    /// `user:password` as `--proxy-user` takes it (the password may contain `:`).
    pub fn parse(s: &str) -> Self {
        match s.split_once(':') {
            Some((u, p)) => Credentials::new(u, p),
            None => Credentials::new(s, ""),
        }
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// The value of a `Proxy-Authorization` / `Authorization` header (RFC 7617).
    pub fn basic_authorization(&self) -> String {
        use base64::Engine;
        let plain = format!("{}:{}", self.user, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(plain)
        )
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:***", self.user.escape_debug())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({self})")
    }
}

/// An `http`/`https` URL that is safe to put on a request line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    scheme: Scheme,
    host: String,
    port: u16,
    /// Path and query, percent-encoded; `/` at least.
    path: String,
    credentials: Option<Credentials>,
}

impl Url {
    pub fn parse(input: &str) -> Result<Url, UrlError> {
        check_bytes(input)?;
        let (scheme, rest) = input.split_once("://").ok_or(UrlError::NotAUrl)?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => return Err(UrlError::UnsupportedScheme(other.to_string())),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = parse_host_port(hostport)?;
        // Path, query and the percent-encoding of what RFC 3986 does not allow in them.
        let parsed = url::Url::parse(input).map_err(|e| UrlError::Invalid(e.to_string()))?;
        let mut path = parsed.path().to_string();
        if let Some(q) = parsed.query() {
            path.push('?');
            path.push_str(q);
        }
        if path.is_empty() {
            path.push('/');
        }
        let path = encode_rfc3986(&path);
        let credentials = userinfo.map(|_| {
            let decode = |s: &str| percent_decode(s).unwrap_or_else(|| s.to_string());
            Credentials::new(
                decode(parsed.username()),
                parsed.password().map(decode).unwrap_or_default(),
            )
        });
        Ok(Url {
            scheme,
            host,
            port: port.unwrap_or(scheme.default_port()),
            path,
            credentials,
        })
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Lower case; an IPv6 address without its brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The origin-form request target (RFC 9112 §3.2.1): path and query.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// The same URL to another host and port (`cslu@10.1.1.5`): `host` as
    /// [`parse_host_port`] gives it.
    pub fn with_authority(&self, host: String, port: u16) -> Url {
        Url {
            host,
            port,
            ..self.clone()
        }
    }

    /// The same URL without a userinfo: what is requested of a server that named it.
    pub fn without_credentials(self) -> Url {
        Url {
            credentials: None,
            ..self
        }
    }

    /// The value of a `Host` header (RFC 9110 §7.2): the port only when not the default.
    pub fn host_header(&self) -> String {
        if self.port == self.scheme.default_port() {
            bracketed(&self.host)
        } else {
            authority(&self.host, self.port)
        }
    }
}

/// Without the credentials: safe to print.
impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.host_header(),
            self.path
        )
    }
}

/// `host:port` (IPv6 in brackets): a CONNECT target (RFC 9110 §9.3.6), a socket address.
pub fn authority(host: &str, port: u16) -> String {
    format!("{}:{port}", bracketed(host))
}

/// A host as it appears in a URL or `Host` header: an IPv6 address in brackets.
pub fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`: the host (lower case, IPv6 without
/// brackets) and the port when one is given.
pub fn parse_host_port(s: &str) -> Result<(String, Option<u16>), UrlError> {
    check_bytes(s)?;
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or(UrlError::UnclosedBracket)?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p)?),
            None if after.is_empty() => None,
            None => return Err(UrlError::JunkAfterIpv6),
        };
        let ip: std::net::Ipv6Addr = h.parse().map_err(|_| UrlError::BadHost(h.to_string()))?;
        (ip.to_string(), port)
    } else {
        let (h, port) = match s.split_once(':') {
            Some((h, p)) if !p.contains(':') => (h, Some(parse_port(p)?)),
            Some(_) => return Err(UrlError::UnbracketedIpv6(s.to_string())),
            None => (s, None),
        };
        (parse_name_or_ipv4(h)?, port)
    };
    Ok((host, port))
}

/// A DNS name or a dotted-decimal IPv4 address, lower case. The `url` crate's host
/// parser decides; anything it would rewrite (`127.1`, `0x7f.0.0.1`, percent escapes) is
/// refused, so the host the probe connects to is the host the text says.
fn parse_name_or_ipv4(h: &str) -> Result<String, UrlError> {
    if h.is_empty() {
        return Err(UrlError::NoHost);
    }
    let bad = || UrlError::BadHost(h.to_string());
    if !h
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
    {
        return Err(bad());
    }
    let lower = h.to_ascii_lowercase();
    match url::Host::parse(&lower) {
        Ok(url::Host::Domain(d)) if d == lower => Ok(lower),
        Ok(url::Host::Ipv4(ip)) if ip.to_string() == lower => Ok(lower),
        _ => Err(bad()),
    }
}

fn parse_port(p: &str) -> Result<u16, UrlError> {
    match p.parse::<u16>() {
        Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(UrlError::BadPort(p.to_string())),
    }
}

/// A proxy (`--proxy`, `license smart proxy`): `HOST:PORT`, `[v6]:PORT` or
/// `http://[user:password@]HOST:PORT[/]`. The port is required, as the switch's `license
/// smart proxy port` has no default; a userinfo becomes [`Credentials`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyAddr {
    pub host: String,
    pub port: u16,
    pub credentials: Option<Credentials>,
}

impl fmt::Display for ProxyAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&authority(&self.host, self.port))
    }
}

pub fn parse_proxy(s: &str) -> Result<ProxyAddr, UrlError> {
    check_bytes(s)?;
    let rest = match s.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some((scheme, _)) => return Err(UrlError::UnsupportedScheme(scheme.to_ascii_lowercase())),
        None => s,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if !path.is_empty() && path != "/" {
        return Err(UrlError::ProxyPath(path.to_string()));
    }
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = parse_host_port(hostport)?;
    let credentials = userinfo.map(|u| {
        let decode = |s: &str| percent_decode(s).unwrap_or_else(|| s.to_string());
        match u.split_once(':') {
            Some((user, password)) => Credentials::new(decode(user), decode(password)),
            None => Credentials::new(decode(u), ""),
        }
    });
    Ok(ProxyAddr {
        host,
        port: port.ok_or(UrlError::MissingPort)?,
        credentials,
    })
}

/// The byte-level refusals shared by URLs and `host:port`.
fn check_bytes(s: &str) -> Result<(), UrlError> {
    if s.len() > MAX_URL_LEN {
        return Err(UrlError::TooLong);
    }
    for (at, byte) in s.bytes().enumerate() {
        match byte {
            0..=0x1f | 0x7f => return Err(UrlError::ControlCharacter { byte, at }),
            b' ' => return Err(UrlError::Space { at }),
            b'\\' => return Err(UrlError::Backslash { at }),
            0x80.. => return Err(UrlError::NonAscii { byte, at }),
            _ => {}
        }
    }
    Ok(())
}

/// Percent-encodes every byte RFC 3986 §3.3/§3.4 does not allow in a path or query
/// (the WHATWG set the `url` crate applies leaves `|`, `^`, `[`, `]` as they are).
fn encode_rfc3986(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `%XX` decoding of a userinfo part; `None` when the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `s` (a URL or a proxy value) with any userinfo's password masked: `user:***@host`.
/// The one masking function: every URL or proxy string from the command line or the
/// switch's text goes through it (or [`mask_userinfo_in_text`]) before anything else
/// looks at it. A password may hold `/`, `?`, `#` or `@`, so the userinfo runs to the
/// *last* `@`, wherever it is; a user part that cannot be a user name is masked too.
/// Masking too much is safe, too little is not.
pub fn mask_userinfo(s: &str) -> std::borrow::Cow<'_, str> {
    let (scheme, rest) = match s.split_once("://") {
        Some((scheme, rest))
            if !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) =>
        {
            (Some(scheme), rest)
        }
        _ => (None, s),
    };
    let Some(at) = rest.rfind('@') else {
        return std::borrow::Cow::Borrowed(s);
    };
    let userinfo = &rest[..at];
    let user = userinfo.split(':').next().unwrap_or_default();
    let user = if user.contains(['/', '?', '#', '[', ']']) {
        "***"
    } else {
        user
    };
    let scheme = scheme.map(|x| format!("{x}://")).unwrap_or_default();
    std::borrow::Cow::Owned(format!("{scheme}{user}:***{}", &rest[at..]))
}

/// `text` with the userinfo of every URL in it masked ([`mask_userinfo`] on each word
/// holding `://` and a later `@`; words end at white space and quotes): switch text, a
/// line of it, an error that quotes one.
pub fn mask_userinfo_in_text(text: &str) -> std::borrow::Cow<'_, str> {
    let needs = |w: &str| w.find("://").is_some_and(|i| w[i..].contains('@'));
    let is_end = |c: char| c.is_whitespace() || c == '"' || c == '\'';
    if !text.split(is_end).any(needs) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(is_end).unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        out.push_str(&if needs(word) {
            mask_userinfo(word)
        } else {
            std::borrow::Cow::Borrowed(word)
        });
        let sep = after.chars().next().map_or(0, char::len_utf8);
        out.push_str(&after[..sep]);
        rest = &after[sep..];
    }
    std::borrow::Cow::Owned(out)
}

/// A string from the network or a file, fit to quote in a one-line message: control
/// characters and quotes escaped, at most [`MAX_URL_LEN`] bytes.
pub fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(MAX_URL_LEN).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out.escape_debug().to_string()
}

/// The host of a `Host` header or CONNECT target seen in a capture (`host:port`,
/// `[v6]:port`, or a bare host), borrowed and unvalidated: the lenient reading for data
/// that is only reported. Anything written to the network goes through [`Url`] or
/// [`parse_host_port`] instead.
pub fn host_of_authority(target: &str) -> &str {
    if let Some(rest) = target.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match target.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn the_parts_of_ordinary_urls() {
        let u = url("https://[2001:DB8:0::5]:8443/cslu/v1/pi/VA-1");
        assert_eq!(u.scheme(), Scheme::Https);
        assert_eq!(u.host(), "2001:db8::5");
        assert_eq!(u.port(), 8443);
        assert_eq!(u.path(), "/cslu/v1/pi/VA-1");
        assert_eq!(u.host_header(), "[2001:db8::5]:8443");
        assert_eq!(u.to_string(), "https://[2001:db8::5]:8443/cslu/v1/pi/VA-1");
        let u = url("HTTPS://OnPrem.Example.com");
        assert_eq!(
            (u.host(), u.port(), u.path()),
            ("onprem.example.com", 443, "/")
        );
        assert_eq!(u.host_header(), "onprem.example.com");
        let u = url("http://validation.identrust.com/crl/hydrantidcao1.crl?x=1#frag");
        assert_eq!(u.path(), "/crl/hydrantidcao1.crl?x=1");
        assert_eq!(u.port(), 80);
        assert_eq!(url("http://10.0.0.1:8080").host_header(), "10.0.0.1:8080");
    }

    #[test]
    fn control_characters_spaces_and_non_ascii_are_refused_never_stripped() {
        for (bad, want) in [
            (
                "http://crl.example/a.crl\r\nX-Injected: 1",
                UrlError::ControlCharacter {
                    byte: b'\r',
                    at: 24,
                },
            ),
            (
                "http://crl.example/a\n.crl",
                UrlError::ControlCharacter {
                    byte: b'\n',
                    at: 20,
                },
            ),
            (
                "http://crl.example/a\t.crl",
                UrlError::ControlCharacter {
                    byte: b'\t',
                    at: 20,
                },
            ),
            (
                "http://crl.example/\0",
                UrlError::ControlCharacter { byte: 0, at: 19 },
            ),
            (
                "http://crl.example/\x7f",
                UrlError::ControlCharacter { byte: 0x7f, at: 19 },
            ),
            (
                "http://crl.example/a.crl HTTP/1.1",
                UrlError::Space { at: 24 },
            ),
            ("http://crl.ex\\ample/", UrlError::Backslash { at: 13 }),
            (
                "http://crl.example/é",
                UrlError::NonAscii { byte: 0xc3, at: 19 },
            ),
            (
                "http://crl.example\r\n/",
                UrlError::ControlCharacter {
                    byte: b'\r',
                    at: 18,
                },
            ),
        ] {
            assert_eq!(Url::parse(bad), Err(want), "{bad:?}");
        }
        assert_eq!(
            Url::parse(&format!("http://h/{}", "a".repeat(MAX_URL_LEN))),
            Err(UrlError::TooLong)
        );
    }

    #[test]
    fn characters_rfc_3986_lacks_are_percent_encoded() {
        assert_eq!(
            url("http://h/a\"<>{}|^`[]b?q=|").path(),
            "/a%22%3C%3E%7B%7D%7C%5E%60%5B%5Db?q=%7C"
        );
        // Already-encoded bytes stay as they are (no double encoding, no decoding).
        assert_eq!(url("http://h/a%0d%0ab").path(), "/a%0d%0ab");
    }

    #[test]
    fn bad_hosts_ports_and_schemes() {
        for (bad, want) in [
            ("ftp://x/", UrlError::UnsupportedScheme("ftp".into())),
            (
                "ldap://directory/cn=crl",
                UrlError::UnsupportedScheme("ldap".into()),
            ),
            ("noscheme", UrlError::NotAUrl),
            ("https://", UrlError::NoHost),
            ("http:///nohost", UrlError::NoHost),
            ("https://h:0/", UrlError::BadPort("0".into())),
            ("https://h:99999/", UrlError::BadPort("99999".into())),
            ("https://h:/", UrlError::BadPort("".into())),
            ("https://h:+80/", UrlError::BadPort("+80".into())),
            ("https://h:8o/", UrlError::BadPort("8o".into())),
            ("https://[::1/", UrlError::UnclosedBracket),
            ("https://[::1]x/", UrlError::JunkAfterIpv6),
            ("https://[zz::1]/", UrlError::BadHost("zz::1".into())),
            ("https://::1/", UrlError::UnbracketedIpv6("::1".into())),
            (
                "https://2001:db8::1:443/",
                UrlError::UnbracketedIpv6("2001:db8::1:443".into()),
            ),
            ("http://127.1/", UrlError::BadHost("127.1".into())),
            ("http://0x7f.0.0.1/", UrlError::BadHost("0x7f.0.0.1".into())),
            (
                "http://ex%41mple.com/",
                UrlError::BadHost("ex%41mple.com".into()),
            ),
            ("http://a<b/", UrlError::BadHost("a<b".into())),
        ] {
            assert_eq!(Url::parse(bad), Err(want), "{bad:?}");
        }
    }

    #[test]
    fn userinfo_becomes_credentials_that_never_print() {
        let u = url("http://lab:s%40cret:x@proxy.lab:3128/");
        assert_eq!(u.host(), "proxy.lab");
        assert_eq!(u.port(), 3128);
        let c = u.credentials().expect("credentials");
        assert_eq!(c.user(), "lab");
        assert_eq!(c.to_string(), "lab:***");
        assert_eq!(format!("{c:?}"), "Credentials(lab:***)");
        let debug = format!("{u:?} {u}");
        assert!(
            !debug.contains("s@cret") && !debug.contains("s%40cret"),
            "{debug}"
        );
        assert_eq!(c.basic_authorization(), "Basic bGFiOnNAY3JldDp4");
        assert_eq!(
            Credentials::parse("lab:labpass").basic_authorization(),
            "Basic bGFiOmxhYnBhc3M="
        );
        assert_eq!(
            Credentials::parse("evil\x1b[2J:x").to_string(),
            "evil\\u{1b}[2J:***"
        );
    }

    #[test]
    fn host_port_strings() {
        assert_eq!(
            parse_host_port("Proxy.Lab:3128"),
            Ok(("proxy.lab".into(), Some(3128)))
        );
        assert_eq!(parse_host_port("10.1.1.5"), Ok(("10.1.1.5".into(), None)));
        assert_eq!(
            parse_host_port("[::1]:8080"),
            Ok(("::1".into(), Some(8080)))
        );
        assert_eq!(parse_host_port("[::1]"), Ok(("::1".into(), None)));
        assert_eq!(
            parse_host_port("::1"),
            Err(UrlError::UnbracketedIpv6("::1".into()))
        );
        assert_eq!(parse_host_port(""), Err(UrlError::NoHost));
        assert_eq!(parse_host_port(":80"), Err(UrlError::NoHost));
        assert_eq!(
            parse_host_port("h:65536"),
            Err(UrlError::BadPort("65536".into()))
        );
        assert!(parse_host_port("h\r\nX: 1:80").is_err());
        assert_eq!(authority("::1", 443), "[::1]:443");
        assert_eq!(
            authority("smartreceiver.cisco.com", 443),
            "smartreceiver.cisco.com:443"
        );
    }

    #[test]
    fn proxies() {
        let p = parse_proxy("http://lab:s%3Acret@Proxy.Lab:3128/").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy.lab", 3128));
        assert_eq!(p.credentials.as_ref().map(|c| c.user()), Some("lab"));
        assert_eq!(
            p.credentials.as_ref().map(|c| c.basic_authorization()),
            Some(Credentials::new("lab", "s:cret").basic_authorization())
        );
        let shown = format!("{p} {p:?}");
        assert!(!shown.contains("cret"), "{shown}");
        assert_eq!(p.to_string(), "proxy.lab:3128");
        let p = parse_proxy("[2001:db8::8]:8080").unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.credentials.as_ref()),
            ("2001:db8::8", 8080, None)
        );
        assert_eq!(p.to_string(), "[2001:db8::8]:8080");
        assert_eq!(parse_proxy("proxy.lab"), Err(UrlError::MissingPort));
        assert_eq!(
            parse_proxy("::1"),
            Err(UrlError::UnbracketedIpv6("::1".into()))
        );
        assert_eq!(parse_proxy(":3128"), Err(UrlError::NoHost));
        assert_eq!(
            parse_proxy("https://p:3128"),
            Err(UrlError::UnsupportedScheme("https".into()))
        );
        assert_eq!(
            parse_proxy("p:3128/x"),
            Err(UrlError::ProxyPath("/x".into()))
        );
        assert!(parse_proxy("p:3128\r\nX: 1").is_err());
    }

    #[test]
    fn hosts_seen_in_captures_are_read_leniently() {
        assert_eq!(
            host_of_authority("smartreceiver.cisco.com:443"),
            "smartreceiver.cisco.com"
        );
        assert_eq!(host_of_authority("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(host_of_authority("2001:db8::1"), "2001:db8::1");
        assert_eq!(host_of_authority("h"), "h");
    }

    #[test]
    fn shown_escapes() {
        assert_eq!(shown("http://h/a\r\nX: 1"), "http://h/a\\r\\nX: 1");
        assert_eq!(shown("https://h/"), "https://h/");
    }

    /// The fuzz target's property (fuzz/fuzz_targets/url.rs) over every combination of
    /// hostile pieces: what is accepted is safe on a request line and reads back as itself.
    #[test]
    fn whatever_is_accepted_is_safe_on_a_request_line() {
        let schemes = ["http://", "HTTPS://", "ftp://", "http:/", ""];
        let users = ["", "u@", "u:p@", "u:p:q@", "@", "a%00b@"];
        let hosts = [
            "h",
            "H.example",
            "[::1]",
            "[::ffff:1.2.3.4]",
            "1.2.3.4",
            "127.1",
            "",
            "h\r",
            "h%0a",
            "[::1",
            "xn--bcher-kva.example",
            "a_b",
        ];
        let ports = ["", ":", ":80", ":0", ":65535", ":65536", ":-1", ":8080:1"];
        let paths = [
            "",
            "/",
            "/a b",
            "/a\r\nX: 1",
            "/%0d%0a",
            "/a/../b",
            "/a?q=|",
            "/#f",
            "/\u{7f}",
            "/é",
            "/a\\b",
            "/[x]",
            "?x",
            "#y",
        ];
        let safe = |s: &str| s.bytes().all(|b| b.is_ascii_graphic());
        let mut accepted = 0;
        for sc in schemes {
            for us in users {
                for h in hosts {
                    for po in ports {
                        for pa in paths {
                            let s = format!("{sc}{us}{h}{po}{pa}");
                            let Ok(u) = Url::parse(&s) else { continue };
                            accepted += 1;
                            assert!(safe(u.path()), "{s:?} -> {:?}", u.path());
                            assert!(safe(&u.host_header()) && safe(&u.to_string()), "{s:?}");
                            let again = Url::parse(&u.to_string()).expect("reads back");
                            assert_eq!(
                                (again.host(), again.port(), again.path()),
                                (u.host(), u.port(), u.path()),
                                "{s:?}"
                            );
                        }
                    }
                }
            }
        }
        assert!(accepted > 100, "{accepted}");
    }

    #[test]
    fn userinfo_is_masked_whatever_the_password_holds() {
        for (raw, want) in [
            (
                "http://alice:Pa#S3cretPW@proxy.example",
                "http://alice:***@proxy.example",
            ),
            (
                "http://alice:Pa?S3cretPW@proxy.example:3128",
                "http://alice:***@proxy.example:3128",
            ),
            (
                "http://alice:Pa/S3cretPW@proxy.example:3128/",
                "http://alice:***@proxy.example:3128/",
            ),
            (
                "http://alice:P@ss@S3cretPW@proxy.example",
                "http://alice:***@proxy.example",
            ),
            (
                "alice:S3cretPW@proxy.example:80",
                "alice:***@proxy.example:80",
            ),
            ("http://bob@proxy.example", "http://bob:***@proxy.example"),
            (
                "http://a/b:S3cretPW@proxy.example",
                "http://***:***@proxy.example",
            ),
            ("http://proxy.example:3128", "http://proxy.example:3128"),
            ("proxy.example", "proxy.example"),
        ] {
            assert_eq!(mask_userinfo(raw), want, "{raw}");
            assert!(!mask_userinfo(raw).contains("S3cret"), "{raw}");
        }
        let text = "license smart proxy address http://alice:Pa#S3cretPW@proxy.example\n\
                    x \"https://u:S3cret@h/p\" mail bob@example.com 12:00@x\n";
        let masked = mask_userinfo_in_text(text);
        assert_eq!(
            masked,
            "license smart proxy address http://alice:***@proxy.example\n\
             x \"https://u:***@h/p\" mail bob@example.com 12:00@x\n"
        );
        assert!(matches!(
            mask_userinfo_in_text("no url here\n"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
