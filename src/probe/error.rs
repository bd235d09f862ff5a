//! The probe's one error type. Each variant says whose fault the failure is
//! ([`Blame`], the model's one), in the spirit of rustls' `Error` (`PeerMisbehaved`,
//! `PeerIncompatible`): this host's configuration (a bad flag or preset, no permission, no
//! route, a bind that fails), the network between (timeout, refused, unreachable, reset),
//! or the peer (a proxy or server that misbehaves). Failures met *during* a run become
//! `EventKind::ProbeFailure` events of the timeline, with their blame and step; failures
//! before it (targets, presets, sockets, capture) are returned. Strings that came from the
//! network or a file are quoted escaped ([`shown`]).

use crate::model::Blame;
use crate::model::url::{UrlError, shown};
use std::io;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// A target, proxy or preset URL that is not a usable URL.
    #[error("{}: {source}", shown(input))]
    BadUrl { input: String, source: UrlError },
    #[error("unknown target {input:?}: use a URL or one of {known}")]
    UnknownTarget { input: String, known: String },
    #[error("{origin}:{line}: {problem}")]
    PresetLine {
        origin: String,
        line: usize,
        problem: String,
    },
    #[error("{origin}: {problem}")]
    Preset { origin: String, problem: String },
    #[error("{path}: {source}")]
    ReadFile { path: String, source: io::Error },
    #[error("{name:?} is not a DNS name: {why}")]
    BadName { name: String, why: String },
    #[error("no name server configured: give one with --dns-server IP")]
    NoNameServer,
    #[error("reading this host's resolver configuration: {0}")]
    ResolverConfig(String),
    /// A socket operation on this host: creating, binding (interface, source address),
    /// an option. Permission and "no such device" land here.
    #[error("{doing}: {source}")]
    Socket { doing: String, source: io::Error },
    /// `--capture` (libpcap).
    #[error("--capture: {0}")]
    Capture(String),
    /// Nothing arrived in time.
    #[error("no {waiting_for} within {:.1} s; giving up", after.as_secs_f64())]
    Timeout {
        waiting_for: &'static str,
        after: Duration,
    },
    #[error("send did not complete in time (the peer stopped reading)")]
    SendStalled,
    /// A read or write on an established connection failed.
    #[error("{doing} failed: {source}")]
    Io {
        doing: &'static str,
        source: io::Error,
    },
    /// The peer sent an HTTP head longer than the probe reads.
    #[error("{what} head longer than {limit} bytes; stopped")]
    HeadTooLong { what: &'static str, limit: usize },
    /// The server kept sending without completing the TLS handshake.
    #[error("the server sent over {limit} bytes without completing the handshake; stopped")]
    HandshakeTooLong { limit: usize },
    /// Bytes rustls would not take as TLS records.
    #[error("TLS input rejected: {0}")]
    TlsInput(io::Error),
    /// The TLS handshake failed for another reason than the certificate.
    #[error("TLS handshake failed: {0}")]
    TlsHandshake(rustls::Error),
    /// An answer inside TLS that is not an HTTP response.
    #[error("the HTTPS answer is not HTTP: {why}")]
    NotHttp { why: String },
}

impl ProbeError {
    pub fn blame(&self) -> Blame {
        use ProbeError::*;
        match self {
            BadUrl { .. }
            | UnknownTarget { .. }
            | PresetLine { .. }
            | Preset { .. }
            | ReadFile { .. }
            | BadName { .. }
            | NoNameServer
            | ResolverConfig(_)
            | Capture(_) => Blame::Local,
            Socket { source, .. } => match source.kind() {
                io::ErrorKind::NetworkUnreachable | io::ErrorKind::HostUnreachable => {
                    Blame::Network
                }
                _ => Blame::Local,
            },
            Timeout { .. } | SendStalled | Io { .. } => Blame::Network,
            HeadTooLong { .. }
            | HandshakeTooLong { .. }
            | TlsInput(_)
            | TlsHandshake(_)
            | NotHttp { .. } => Blame::Peer,
        }
    }

    pub fn socket(doing: impl Into<String>, source: io::Error) -> Self {
        ProbeError::Socket {
            doing: doing.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_says_whose_fault_it_is() {
        let perm = ProbeError::socket(
            "binding to interface eth9",
            io::Error::from(io::ErrorKind::PermissionDenied),
        );
        assert_eq!(perm.blame(), Blame::Local);
        assert!(perm.to_string().starts_with("binding to interface eth9: "));
        let route = ProbeError::socket(
            "connecting",
            io::Error::from(io::ErrorKind::NetworkUnreachable),
        );
        assert_eq!(route.blame(), Blame::Network);
        let t = ProbeError::Timeout {
            waiting_for: "TLS answer",
            after: Duration::from_millis(1500),
        };
        assert_eq!(t.to_string(), "no TLS answer within 1.5 s; giving up");
        assert_eq!(t.blame(), Blame::Network);
        let p = ProbeError::NotHttp { why: "x".into() };
        assert_eq!(p.to_string(), "the HTTPS answer is not HTTP: x");
        assert_eq!(p.blame(), Blame::Peer);
        let h = ProbeError::HeadTooLong {
            what: "answer to CONNECT",
            limit: 16384,
        };
        assert_eq!(
            h.to_string(),
            "answer to CONNECT head longer than 16384 bytes; stopped"
        );
        assert_eq!(h.blame(), Blame::Peer);
        let u = ProbeError::BadUrl {
            input: "http://h/\r\nX: 1".into(),
            source: UrlError::ControlCharacter { byte: 13, at: 9 },
        };
        assert_eq!(
            u.to_string(),
            "http://h/\\r\\nX: 1: control character 0x0d at byte 9 (RFC 3986 allows none)"
        );
        assert_eq!(u.blame(), Blame::Local);
    }
}
