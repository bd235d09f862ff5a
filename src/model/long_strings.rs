//! Long strings from the network, kept within a budget (issue 28 item 9). An SNI may be
//! 64 KB and a certificate name as long as its certificate, where a DNS name is at most
//! 253 bytes: 1,000 connections kept for the report, each with a 16 KB SNI and 8 KB
//! names, held hundreds of MB. A connection kept for the report keeps its strings whole
//! while the long ones of all kept connections fit [`KEPT_LONG_STRINGS`]; past it, each
//! long string of the next connections is kept cut, with its length and a hash (two cut
//! strings are equal only when the whole ones were, as far as a 64-bit hash tells), and
//! says so in its own text. The estimate of a flow's memory counts them too
//! ([`heap_bytes`]).
//!
//! Pure: no I/O.

use super::{CertInfo, ClientHello, Connection, EventKind};

/// Strings longer than this many bytes are long.
pub const LONG_STRING: usize = 1024;
/// Bytes of long strings the kept connections hold whole, all of them together.
pub const KEPT_LONG_STRINGS: usize = 4 << 20;
/// Bytes of long strings one attempt of `watch` holds whole, all its strings together:
/// each attempt is judged and written on its own, so each has its own budget; past it,
/// every long string of that attempt is cut. 64 KiB: an SNI can be that long.
pub const ATTEMPT_LONG_STRINGS: usize = 64 << 10;
/// Bytes of a long string kept when it is cut.
const KEPT_PREFIX: usize = 128;

/// `s` cut to its first [`KEPT_PREFIX`] bytes, its length and a hash of the whole; `whole`
/// is the budget it did not fit (bytes).
pub fn cut_kept(s: &str, whole: usize) -> String {
    let mut end = KEPT_PREFIX.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    // FNV-1a, 64 bits: stable across builds (the std hasher is not).
    let hash = s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let whole = if whole >= 1 << 20 {
        format!("{} MiB", whole >> 20)
    } else {
        format!("{} KiB", whole >> 10)
    };
    format!(
        "{}…[cut: {} bytes, fnv1a {hash:016x}; over the {whole} kept whole]",
        s.get(..end).unwrap_or(""),
        s.len(),
    )
}

/// Calls `$f` on every string from the network that an event (`&EventKind` or
/// `&mut EventKind`: the same match, by reference or mutably) holds.
macro_rules! event_strings {
    ($k:expr, $f:expr) => {
        match $k {
            EventKind::HttpConnectRequest { target, version } => {
                $f(target);
                $f(version);
            }
            EventKind::HttpResponse {
                version,
                reason,
                headers,
                ..
            } => {
                $f(version);
                $f(reason);
                for (name, value) in headers {
                    $f(name);
                    $f(value);
                }
            }
            EventKind::HttpRequest {
                method,
                target,
                version,
                host,
            } => {
                $f(method);
                $f(target);
                $f(version);
                if let Some(h) = host {
                    $f(h);
                }
            }
            EventKind::TlsClientHello(h) => {
                let ClientHello { sni, alpn, .. } = h;
                if let Some(sni) = sni {
                    $f(sni);
                }
                for a in alpn {
                    $f(a);
                }
            }
            EventKind::TlsCertificate { certificates } => {
                for c in certificates {
                    cert_strings!(c, $f);
                }
            }
            EventKind::NotTls { preview } | EventKind::HttpHeadTooLong { preview, .. } => {
                $f(preview)
            }
            EventKind::HttpsExchange {
                request,
                reason,
                date,
                server,
                ..
            } => {
                $f(request);
                $f(reason);
                if let Some(d) = date {
                    $f(d);
                }
                if let Some(s) = server {
                    $f(s);
                }
            }
            _ => {}
        }
    };
}

/// Every string of a certificate's (by reference or mutably).
macro_rules! cert_strings {
    ($c:expr, $f:expr) => {{
        let CertInfo {
            subject,
            issuer,
            subject_cn,
            issuer_cn,
            sans,
            crl_urls,
            ocsp_urls,
            ..
        } = $c;
        $f(subject);
        $f(issuer);
        for s in [subject_cn, issuer_cn].into_iter().flatten() {
            $f(s);
        }
        for s in sans.into_iter().chain(crl_urls).chain(ocsp_urls) {
            $f(s);
        }
    }};
}

fn event_strings_mut(k: &mut EventKind, f: &mut dyn FnMut(&mut String)) {
    event_strings!(k, f)
}

fn event_string_bytes(k: &EventKind) -> usize {
    let mut n = 0;
    let mut f = |s: &String| n += s.len();
    event_strings!(k, f);
    n
}

/// Every string of a connection that came from the network.
fn connection_strings(c: &mut Connection, f: &mut dyn FnMut(&mut String)) {
    c.server_name.iter_mut().for_each(&mut *f);
    c.proxy_target.iter_mut().for_each(&mut *f);
    if let Some(tls) = &mut c.tls {
        tls.sni.iter_mut().for_each(&mut *f);
        for x in &mut tls.certificates {
            cert_strings!(x, f);
        }
    }
    for e in &mut c.events {
        event_strings_mut(&mut e.kind, f);
    }
}

/// Keeps `c`'s long strings whole when they fit what is left of `budget` (and takes them
/// from it), else cuts every one of them ([`cut_kept`]; `whole`: the budget's size, for
/// the marker). Returns how many were cut.
pub fn bound_connection(c: &mut Connection, budget: &mut usize, whole: usize) -> usize {
    let mut long = 0usize;
    connection_strings(c, &mut |s| {
        if s.len() > LONG_STRING {
            long += s.len();
        }
    });
    if long <= *budget {
        *budget -= long;
        return 0;
    }
    let mut cut = 0;
    connection_strings(c, &mut |s| {
        if s.len() > LONG_STRING {
            *s = cut_kept(s, whole);
            cut += 1;
        }
    });
    cut
}

/// The heap an event's strings take beyond `base` (the estimate of an event of a few short
/// strings), for the flow table's memory budget.
pub fn heap_bytes(k: &EventKind, base: usize) -> usize {
    event_string_bytes(k).max(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::connection;
    use crate::model::{TlsSummary, TlsVersion};

    #[test]
    fn long_strings_are_kept_whole_within_the_budget_and_cut_past_it() {
        let sni = format!("s{}.example", "a".repeat(16_384));
        let make = || {
            let mut c = connection()
                .handshake()
                .client_hello(Some(&sni), TlsVersion::Tls12)
                .build();
            c.server_name = Some(sni.clone());
            c.tls = Some(TlsSummary {
                sni: Some(sni.clone()),
                ..TlsSummary::default()
            });
            c
        };
        let mut budget = 3 * sni.len();
        let mut whole = make();
        assert_eq!(bound_connection(&mut whole, &mut budget, 1 << 20), 0);
        assert_eq!(budget, 0);
        assert_eq!(whole.server_name.as_deref(), Some(sni.as_str()));
        let mut cut = make();
        assert_eq!(bound_connection(&mut cut, &mut budget, 1 << 20), 3);
        let shown = cut.server_name.clone().unwrap();
        assert!(shown.starts_with(&sni[..128]), "{shown}");
        assert!(
            shown.contains(&format!("…[cut: {} bytes, fnv1a ", sni.len())),
            "{shown}"
        );
        assert!(shown.len() < 256);
        assert_eq!(cut.tls.unwrap().sni.as_deref(), Some(shown.as_str()));
        let hello = cut.events.iter().find_map(|e| match &e.kind {
            EventKind::TlsClientHello(h) => h.sni.clone(),
            _ => None,
        });
        assert_eq!(hello.as_deref(), Some(shown.as_str()));
        // The hash tells two long strings apart even with the same start and length.
        let other = format!("s{}.exampLe", "a".repeat(16_384));
        assert_ne!(cut_kept(&sni, 1 << 20), cut_kept(&other, 1 << 20));
        assert_eq!(cut_kept(&sni, 1 << 20), cut_kept(&sni.clone(), 1 << 20));
        assert!(shown.ends_with("; over the 1 MiB kept whole]"), "{shown}");
        assert!(cut_kept(&sni, ATTEMPT_LONG_STRINGS).ends_with("; over the 64 KiB kept whole]"));
    }

    #[test]
    fn an_events_estimate_counts_its_strings() {
        let sni = "a".repeat(10_000);
        let c = connection()
            .handshake()
            .client_hello(Some(&sni), TlsVersion::Tls12)
            .build();
        let hello = c
            .events
            .iter()
            .find(|e| matches!(e.kind, EventKind::TlsClientHello(_)))
            .unwrap();
        assert!(heap_bytes(&hello.kind, 96) >= 10_000);
        assert_eq!(heap_bytes(&EventKind::TcpFin, 96), 96);
    }
}
