//! The wire layer's one error type: why a frame, a DNS message, an HTTP head or a
//! certificate does not decode. Each message says what was expected and what was seen;
//! the texts are part of the reports (an `undecoded` event's reason), so they change only
//! deliberately. A truncated input is not an error here where more bytes may come: the
//! decoders answer "need more" for that (see [`crate::wire::http::Head::NeedMore`]).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("unsupported link type {0}")]
    UnsupportedLinktype(u32),
    #[error("not IP (EtherType 0x{0:04x})")]
    NotIp(u16),
    /// The frame ends inside the named header.
    #[error("frame truncated in {0}")]
    Truncated(&'static str),
    #[error("bad IP packet: {0}")]
    Ip(String),
    /// An IP fragment after the first: not reassembled (licensing traffic is TCP with MSS).
    #[error("non-first IP fragment")]
    Fragment,
    /// No blank line ends the head within the limit (RFC 9112 §2.1).
    #[error("no end of HTTP head within {limit} bytes")]
    HttpHeadTooLong { limit: usize },
    /// The head does not have the shape of RFC 9112 §3 (request line) or §4 (status line).
    #[error("{problem} in HTTP head: expected {expected}, got {seen:?}")]
    HttpHead {
        expected: &'static str,
        problem: String,
        /// The head's first line, bounded and with control bytes escaped.
        seen: String,
    },
    /// The bytes do not start with `HTTP/`.
    #[error("not an HTTP status line")]
    NotHttpResponse,
    #[error(transparent)]
    Dns(#[from] super::dns::DnsError),
    #[error("certificate does not parse: {0}")]
    Certificate(String),
}
