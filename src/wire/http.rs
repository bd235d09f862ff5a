//! HTTP/1.x message heads (RFC 9112 §2–§5): CONNECT requests to a proxy and the proxy's
//! answer, and plain HTTP requests (call-home over 80, CSLU on 8182). Only the head is
//! decoded; bodies are counted, not kept. Bounded by [`MAX_HEAD_LEN`].
//!
//! The head is parsed by `httparse`, which tells a partial head (wait for the next
//! segment) from an invalid one as soon as the bytes show it. What stays here is the
//! capture's side: the size limit, which of httparse's tolerances to switch on, owned
//! copies capped at [`MAX_VALUE_LEN`], and the guesses that pick a flow's decoder.

use super::WireError;

/// Longest head we wait for. Proxies' error pages put their size in the body, not here.
pub const MAX_HEAD_LEN: usize = 16 * 1024;
const MAX_HEADERS: usize = 32;
const MAX_VALUE_LEN: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head<T> {
    Complete { head: T, len: usize },
    NeedMore,
    Invalid(WireError),
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

/// What httparse may tolerate of a capture's peers: runs of spaces in the request line,
/// `Name : value` from proxies, and header lines that do not parse (skipped, as before
/// httparse, rather than failing the whole head). Line folding stays off: a folded line is
/// skipped, never glued into a value with its CR LF.
fn parser() -> httparse::ParserConfig {
    let mut c = httparse::ParserConfig::default();
    c.allow_multiple_spaces_in_request_line_delimiters(true)
        .allow_spaces_after_header_name_in_responses(true)
        .ignore_invalid_headers_in_requests(true)
        .ignore_invalid_headers_in_responses(true);
    c
}

/// Header slots for a first try; a head with more lines gets [`MAX_HEADER_SLOTS`].
const HEADER_SLOTS: usize = 64;
/// The most header lines [`MAX_HEAD_LEN`] can hold (`a:` LF is three bytes).
const MAX_HEADER_SLOTS: usize = MAX_HEAD_LEN / 3;

/// Runs `parse` with a small header array, then with one large enough for any head under
/// [`MAX_HEAD_LEN`] if the first was too small.
fn with_header_slots<'b, T>(
    parse: impl Fn(&mut [httparse::Header<'b>]) -> Result<T, httparse::Error>,
) -> Result<T, httparse::Error> {
    match parse(&mut [httparse::EMPTY_HEADER; HEADER_SLOTS]) {
        Err(httparse::Error::TooManyHeaders) => {
            parse(&mut vec![httparse::EMPTY_HEADER; MAX_HEADER_SLOTS])
        }
        r => r,
    }
}

/// httparse holds to RFC 9110 §5.5: one control byte in a reason phrase or a field value
/// fails the whole head. A capture must show what a broken or hostile proxy sent (the
/// printers escape it), so httparse reads a copy with those bytes masked as obs-text
/// (0xff), and reason and values are then taken from the original bytes at the same
/// offsets. A CR stays a CR where it may end a line (before LF, or last so far).
fn masked(b: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let control = |i: usize, c: u8| match c {
        b'\t' | b'\n' => false,
        b'\r' => b.get(i + 1).is_some_and(|&n| n != b'\n'),
        c => c < 0x20 || c == 0x7f,
    };
    if !b.iter().enumerate().any(|(i, &c)| control(i, c)) {
        return std::borrow::Cow::Borrowed(b);
    }
    b.iter()
        .enumerate()
        .map(|(i, &c)| if control(i, c) { 0xff } else { c })
        .collect()
}

/// The bytes of `b` where httparse found `part` in the masked copy `parsed` of `b`.
fn original<'a>(b: &'a [u8], parsed: &[u8], part: &[u8]) -> &'a [u8] {
    (part.as_ptr() as usize)
        .checked_sub(parsed.as_ptr() as usize)
        .and_then(|at| b.get(at..at + part.len()))
        .unwrap_or_default()
}

fn owned_headers(
    b: &[u8],
    parsed: &[u8],
    headers: &[httparse::Header<'_>],
) -> Vec<(String, String)> {
    headers
        .iter()
        .take(MAX_HEADERS)
        .map(|h| {
            (
                h.name.trim().to_string(),
                crate::escape::text_of_bytes(original(b, parsed, h.value))
                    .trim()
                    .chars()
                    .take(MAX_VALUE_LEN)
                    .collect(),
            )
        })
        .collect()
}

/// The head's first line, for an error message.
fn first_line(b: &[u8]) -> String {
    let line = b.split(|&c| c == b'\n').next().unwrap_or_default();
    preview(line.strip_suffix(b"\r").unwrap_or(line), 64)
}

/// The part of `b` a head must end in: an unfinished head this long is refused.
fn window(b: &[u8]) -> &[u8] {
    &b[..b.len().min(MAX_HEAD_LEN)]
}

/// `Partial` from httparse: wait for more bytes, up to [`MAX_HEAD_LEN`].
fn need_more<T>(b: &[u8]) -> Head<T> {
    if b.len() >= MAX_HEAD_LEN {
        Head::Invalid(WireError::HttpHeadTooLong {
            limit: MAX_HEAD_LEN,
        })
    } else {
        Head::NeedMore
    }
}

const REQUEST_SHAPE: &str = "METHOD TARGET HTTP/1.x, then header lines";
const RESPONSE_SHAPE: &str = "HTTP/1.x NNN reason, then header lines";

/// Decodes an HTTP/1.x request head (RFC 9112 §3) with httparse.
pub fn parse_request_head(b: &[u8]) -> Head<RequestHead> {
    let b = window(b);
    let input = masked(b);
    let parsed = with_header_slots(|headers| {
        let mut req = httparse::Request::new(headers);
        Ok(match parser().parse_request(&mut req, &input)? {
            httparse::Status::Partial => None,
            httparse::Status::Complete(len) => Some((
                RequestHead {
                    method: req.method.unwrap_or_default().to_string(),
                    target: req
                        .path
                        .unwrap_or_default()
                        .chars()
                        .take(MAX_VALUE_LEN)
                        .collect(),
                    version: format!("HTTP/1.{}", req.version.unwrap_or_default()),
                    headers: owned_headers(b, &input, req.headers),
                },
                len,
            )),
        })
    });
    match parsed {
        Ok(Some((head, len))) => Head::Complete { head, len },
        Ok(None) => need_more(b),
        Err(e) => Head::Invalid(WireError::HttpHead {
            expected: REQUEST_SHAPE,
            problem: e.to_string(),
            seen: first_line(b),
        }),
    }
}

/// Decodes an HTTP/1.x response head (RFC 9112 §4) with httparse.
pub fn parse_response_head(b: &[u8]) -> Head<ResponseHead> {
    if !looks_like_response(b) {
        return Head::Invalid(WireError::NotHttpResponse);
    }
    let b = window(b);
    let input = masked(b);
    let parsed = with_header_slots(|headers| {
        let mut resp = httparse::Response::new(headers);
        Ok(match parser().parse_response(&mut resp, &input)? {
            httparse::Status::Partial => None,
            httparse::Status::Complete(len) => Some((
                resp.version.unwrap_or_default(),
                resp.code.unwrap_or_default(),
                resp.reason.unwrap_or_default().to_string(),
                owned_headers(b, &input, resp.headers),
                len,
            )),
        })
    });
    let invalid = |problem: String| {
        Head::Invalid(WireError::HttpHead {
            expected: RESPONSE_SHAPE,
            problem,
            seen: first_line(b),
        })
    };
    match parsed {
        Ok(Some((_, status, ..))) if status < 100 => invalid(format!("status code {status:03}")),
        Ok(Some((version, status, reason, headers, len))) => Head::Complete {
            head: ResponseHead {
                version: format!("HTTP/1.{version}"),
                status,
                reason: if reason.is_empty() {
                    raw_reason(b)
                } else {
                    reason.chars().take(MAX_VALUE_LEN).collect()
                },
                headers,
            },
            len,
        },
        Ok(None) => need_more(b),
        Err(e) => invalid(e.to_string()),
    }
}

/// httparse gives an empty reason when it holds obs-text (RFC 9112 §4, e.g. a proxy's
/// localised UTF-8 phrase); the report shows what the proxy sent, so it is read here from
/// the status line of a head httparse has already accepted.
fn raw_reason(b: &[u8]) -> String {
    let line = b.split(|&c| c == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.splitn(3, |&c| c == b' ')
        .nth(2)
        .map(|r| {
            crate::escape::text_of_bytes(r)
                .chars()
                .take(MAX_VALUE_LEN)
                .collect()
        })
        .unwrap_or_default()
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

    #[test]
    fn errors_say_what_was_expected_and_seen() {
        let Head::Invalid(e) = parse_request_head(b"CONNECT host\x00:443 HTTP/1.0\r\n\r\n") else {
            panic!()
        };
        assert_eq!(
            e.to_string(),
            "invalid token in HTTP head: expected METHOD TARGET HTTP/1.x, then header lines, \
             got \"CONNECT host\\\\x00:443 HTTP/1.0\""
        );
        let Head::Invalid(e) = parse_response_head(b"HTTP/1.0 abc\r\n\r\n") else {
            panic!()
        };
        assert_eq!(
            e.to_string(),
            "invalid response status in HTTP head: expected HTTP/1.x NNN reason, then header \
             lines, got \"HTTP/1.0 abc\""
        );
        let Head::Invalid(e) = parse_response_head(b"HTTP/1.1 099 Low\r\n\r\n") else {
            panic!()
        };
        assert!(
            e.to_string().starts_with("status code 099 in HTTP head"),
            "{e}"
        );
        assert_eq!(
            parse_response_head(b"\x16\x03\x01\x00"),
            Head::Invalid(WireError::NotHttpResponse)
        );
    }

    #[test]
    fn a_response_at_every_truncation_point() {
        let r = b"HTTP/1.1 407 Proxy Authentication Required\r\nServer: squid/5.7\r\n\r\n";
        // Nothing at all is not yet a status line (the flow decides on the first bytes).
        assert_eq!(
            parse_response_head(b""),
            Head::Invalid(WireError::NotHttpResponse)
        );
        for cut in 1..r.len() {
            assert_eq!(
                parse_response_head(&r[..cut]),
                Head::NeedMore,
                "cut at {cut}"
            );
        }
        assert!(matches!(
            parse_response_head(r),
            Head::Complete { len, .. } if len == r.len()
        ));
    }

    #[test]
    fn a_request_with_headers_at_every_truncation_point() {
        let r = b"GET /ocsp HTTP/1.1\r\nHost: ocsp.example\r\nAccept: */*\r\n\r\n";
        for cut in 0..r.len() {
            assert_eq!(
                parse_request_head(&r[..cut]),
                Head::NeedMore,
                "cut at {cut}"
            );
        }
        let Head::Complete { head, len } = parse_request_head(r) else {
            panic!()
        };
        assert_eq!(len, r.len());
        assert_eq!(head.method, "GET");
        assert_eq!(head.header("HOST"), Some("ocsp.example"));
    }

    #[test]
    fn sloppy_peers_still_parse() {
        // LF-only lines, "Name : value", runs of spaces in the request line, a line that is
        // no header (skipped), and LF then CR LF as the end of the head.
        let r = b"HTTP/1.0 403 Forbidden\nServer : BlueCoat\nnot a header\nVia: 1.1 p\n\r\nbody";
        let Head::Complete { head, len } = parse_response_head(r) else {
            panic!()
        };
        assert_eq!(
            head.headers,
            [
                ("Server".to_string(), "BlueCoat".to_string()),
                ("Via".to_string(), "1.1 p".to_string())
            ]
        );
        assert_eq!(&r[len..], b"body");
        let Head::Complete { head, .. } =
            parse_request_head(b"CONNECT  host:443   HTTP/1.1\r\n\r\n")
        else {
            panic!()
        };
        assert_eq!(
            (head.target.as_str(), head.version.as_str()),
            ("host:443", "HTTP/1.1")
        );
        // A localised reason phrase in UTF-8 (obs-text) is kept as sent.
        let Head::Complete { head, .. } =
            parse_response_head("HTTP/1.1 403 Acesso não autorizado\r\n\r\n".as_bytes())
        else {
            panic!()
        };
        assert_eq!(head.reason, "Acesso não autorizado");
    }

    #[test]
    fn limits() {
        // More header lines than the first try holds: all read, the first MAX_HEADERS kept.
        let mut r = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..HEADER_SLOTS * 2 {
            r.extend_from_slice(format!("X-{i}: {i}\r\n").as_bytes());
        }
        r.extend_from_slice(b"\r\n");
        let Head::Complete { head, len } = parse_response_head(&r) else {
            panic!()
        };
        assert_eq!(len, r.len());
        assert_eq!(head.headers.len(), MAX_HEADERS);
        assert_eq!(head.header("X-0"), Some("0"));
        // A value longer than MAX_VALUE_LEN is cut there.
        let long = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "v".repeat(1000));
        let Head::Complete { head, .. } = parse_response_head(long.as_bytes()) else {
            panic!()
        };
        assert_eq!(head.header("x").map(str::len), Some(MAX_VALUE_LEN));
        // The smallest header lines, as many as fit under MAX_HEAD_LEN.
        let mut r = b"HTTP/1.1 200 OK\n".to_vec();
        while r.len() < MAX_HEAD_LEN - 4 {
            r.extend_from_slice(b"a:\n");
        }
        r.push(b'\n');
        assert!(matches!(parse_response_head(&r), Head::Complete { .. }));
        // One byte short of the limit waits; at the limit, the head is refused.
        let open = [b"HTTP/1.1 200 OK\r\nX: ".as_slice(), &[b'a'; MAX_HEAD_LEN]].concat();
        assert_eq!(
            parse_response_head(&open[..MAX_HEAD_LEN - 1]),
            Head::NeedMore
        );
        assert_eq!(
            parse_response_head(&open[..MAX_HEAD_LEN]),
            Head::Invalid(WireError::HttpHeadTooLong {
                limit: MAX_HEAD_LEN
            })
        );
    }

    #[test]
    fn control_bytes_are_kept_as_sent() {
        // What a hostile proxy may send: the printers escape it, the model keeps it.
        let r = b"HTTP/1.1 403 \x1b[2J\r\nServer: \x1b]0;x\x07\r\xff!\r\nVia: 1.1 p\r\n\r\n";
        let Head::Complete { head, len } = parse_response_head(r) else {
            panic!()
        };
        assert_eq!(len, r.len());
        assert_eq!(head.reason, "\x1b[2J");
        assert_eq!(head.header("server"), Some("\x1b]0;x\x07\r\\xff!"));
        assert_eq!(head.header("via"), Some("1.1 p"));
        // A CR that may still be followed by LF is not masked: the head is not over.
        assert_eq!(parse_response_head(b"HTTP/1.1 200 OK\r"), Head::NeedMore);
        // In a token (method, header name, target) a control byte is still refused.
        assert!(matches!(
            parse_request_head(b"GET /\x07 HTTP/1.1\r\n\r\n"),
            Head::Invalid(WireError::HttpHead { .. })
        ));
    }
}
