//! HTTP/1.x message heads (RFC 9112 §2–§5): CONNECT requests to a proxy and the proxy's
//! answer, and plain HTTP requests (call-home over 80, CSLU on 8182). Only the head is
//! decoded; bodies are counted, not kept. Bounded by [`MAX_HEAD_LEN`].

/// Longest head we wait for. Proxies' error pages put their size in the body, not here.
pub const MAX_HEAD_LEN: usize = 16 * 1024;
const MAX_HEADERS: usize = 32;
const MAX_VALUE_LEN: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head<T> {
    Complete { head: T, len: usize },
    NeedMore,
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    pub target: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub version: String,
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl ResponseHead {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

const METHODS: &[&[u8]] = &[
    b"CONNECT ",
    b"GET ",
    b"POST ",
    b"PUT ",
    b"HEAD ",
    b"OPTIONS ",
    b"DELETE ",
    b"PATCH ",
];

/// True when `b` starts like an HTTP request (a known method and a space).
pub fn looks_like_request(b: &[u8]) -> bool {
    METHODS
        .iter()
        .any(|m| b.starts_with(m) || (b.len() < m.len() && m.starts_with(b) && !b.is_empty()))
}

/// True when `b` starts like an HTTP response status line.
pub fn looks_like_response(b: &[u8]) -> bool {
    b.starts_with(b"HTTP/") || (!b.is_empty() && b.len() < 5 && b"HTTP/".starts_with(b))
}

/// Finds the end of the head (after CRLFCRLF, or LFLF from sloppy peers).
fn head_end(b: &[u8]) -> Option<usize> {
    let window = &b[..b.len().min(MAX_HEAD_LEN)];
    let crlf = window
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4);
    let lf = window.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn split_head(b: &[u8]) -> Result<Option<(usize, Vec<String>)>, String> {
    let Some(end) = head_end(b) else {
        return if b.len() >= MAX_HEAD_LEN {
            Err(format!("no end of HTTP head within {MAX_HEAD_LEN} bytes"))
        } else {
            Ok(None)
        };
    };
    let text = crate::escape::text_of_bytes(&b[..end]);
    let lines = text
        .split('\n')
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.is_empty())
        .collect();
    Ok(Some((end, lines)))
}

fn parse_headers(lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter_map(|l| l.split_once(':'))
        .take(MAX_HEADERS)
        .map(|(k, v)| {
            (
                k.trim().to_string(),
                v.trim().chars().take(MAX_VALUE_LEN).collect(),
            )
        })
        .collect()
}

pub fn parse_request_head(b: &[u8]) -> Head<RequestHead> {
    let (len, lines) = match split_head(b) {
        Ok(Some(x)) => x,
        Ok(None) => return Head::NeedMore,
        Err(e) => return Head::Invalid(e),
    };
    let Some(first) = lines.first() else {
        return Head::Invalid("empty request".into());
    };
    let mut parts = first.split(' ').filter(|p| !p.is_empty());
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Head::Invalid(format!("bad request line {first:?}"));
    };
    if !version.starts_with("HTTP/") {
        return Head::Invalid(format!("bad request line {first:?}"));
    }
    let head = RequestHead {
        method: method.to_string(),
        target: target.chars().take(MAX_VALUE_LEN).collect(),
        version: version.to_string(),
        headers: parse_headers(&lines[1..]),
    };
    Head::Complete { head, len }
}

pub fn parse_response_head(b: &[u8]) -> Head<ResponseHead> {
    if !looks_like_response(b) {
        return Head::Invalid("not an HTTP status line".into());
    }
    let (len, lines) = match split_head(b) {
        Ok(Some(x)) => x,
        Ok(None) => return Head::NeedMore,
        Err(e) => return Head::Invalid(e),
    };
    let Some(first) = lines.first() else {
        return Head::Invalid("empty response".into());
    };
    let mut parts = first.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let Some(status) = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..1000).contains(s))
    else {
        return Head::Invalid(format!("bad status line {first:?}"));
    };
    let head = ResponseHead {
        version: version.to_string(),
        status,
        reason: parts
            .next()
            .unwrap_or_default()
            .chars()
            .take(MAX_VALUE_LEN)
            .collect(),
        headers: parse_headers(&lines[1..]),
    };
    Head::Complete { head, len }
}

/// A printable preview of bytes that were not what we expected, for evidence.
pub fn preview(b: &[u8], max: usize) -> String {
    b.iter()
        .take(max)
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                char::from(c).to_string()
            } else {
                format!("\\x{c:02x}")
            }
        })
        .collect()
}

/// The HTTP `Date` parser lives with the other calendar code.
pub use crate::model::time::parse_http_date;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_as_the_switch_sends_it() {
        let r = b"CONNECT smartreceiver.cisco.com:443 HTTP/1.0\r\n\r\n";
        let Head::Complete { head, len } = parse_request_head(r) else {
            panic!()
        };
        assert_eq!(
            (
                head.method.as_str(),
                head.target.as_str(),
                head.version.as_str()
            ),
            ("CONNECT", "smartreceiver.cisco.com:443", "HTTP/1.0")
        );
        assert_eq!(len, r.len());
        for cut in 0..r.len() {
            assert_eq!(
                parse_request_head(&r[..cut]),
                Head::NeedMore,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn proxy_407_with_headers() {
        let r = b"HTTP/1.1 407 Proxy Authentication Required\r\nServer: squid/5.7\r\nProxy-Authenticate: Basic realm=\"lab\"\r\n\r\n<html>";
        let Head::Complete { head, len } = parse_response_head(r) else {
            panic!()
        };
        assert_eq!(head.status, 407);
        assert_eq!(head.reason, "Proxy Authentication Required");
        assert_eq!(
            head.header("proxy-authenticate"),
            Some("Basic realm=\"lab\"")
        );
        assert_eq!(&r[len..], b"<html>");
    }

    #[test]
    fn not_http_and_too_long() {
        assert!(matches!(
            parse_response_head(b"\x16\x03\x01\x00"),
            Head::Invalid(_)
        ));
        assert!(matches!(
            parse_response_head(b"HTTP/1.0 abc\r\n\r\n"),
            Head::Invalid(_)
        ));
        let long = [
            b"HTTP/1.1 200 OK\r\nX: ".as_slice(),
            &vec![b'a'; MAX_HEAD_LEN],
        ]
        .concat();
        assert!(matches!(parse_response_head(&long), Head::Invalid(_)));
        assert!(looks_like_request(b"CONN"));
        assert!(!looks_like_request(b"\x16\x03"));
    }
}
