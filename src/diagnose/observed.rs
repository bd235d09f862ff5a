//! Principle 2 of issue 22, packets beat assumptions: what the packets show the client did
//! (a completed handshake with data both ways) outranks what a derived trust profile
//! (`--ios-version`, the configuration's release, the default) predicts a switch would do,
//! and IOS XE's own client signature is a hint of who the client is, never proof. Pure.

use super::Client;
use crate::model::*;

/// What the packets show succeeded (principle 2): the TLS handshake completed and
/// application data went both ways after it (the client's request, then the server's
/// answer). In TLS 1.3 the client's first application_data record after the ServerHello
/// is its Finished, so its request is the second.
pub fn observed_success(c: &Connection) -> bool {
    if !c.tls.as_ref().is_some_and(|t| t.handshake_complete) {
        return false;
    }
    let tls13 = c.tls.as_ref().is_some_and(|t| t.handshake_inferred)
        || c.events.iter().any(
            |e| matches!(&e.kind, EventKind::TlsServerHello(sh) if is_tls13(sh.version) && !sh.hello_retry_request),
        );
    let needed = if tls13 { 2 } else { 1 };
    let mut sent = 0u32;
    c.events.iter().any(|e| match &e.kind {
        EventKind::TlsEncrypted {
            records,
            content_type,
            ..
        } if *content_type == TlsRecordType::ApplicationData => {
            if e.dir == Direction::ToServer {
                sent = sent.saturating_add(*records);
                false
            } else {
                sent >= needed
            }
        }
        _ => false,
    })
}

/// IOS XE's own TCP/TLS client, recognised by its signature as a hint (never as proof):
/// its SYN offers a 4128-byte window and MSS 536 (../shared/DOMAIN.md §2; the real C9K
/// capture in ../shared/epc-real shows `Win=4128 Len=0 MSS=536`), and its ClientHello
/// names a Cisco licensing host. The SYN alone is medium confidence (a clamp can set MSS
/// 536, but 4128 is IOS's window); with that ClientHello, high.
pub fn ios_xe_signature(c: &Connection, sni: Option<&str>) -> Option<(Confidence, String)> {
    let syn = c.events.iter().find_map(|e| match e.kind {
        EventKind::TcpSyn { mss, window, .. } if e.dir == Direction::ToServer => {
            Some((mss, window))
        }
        _ => None,
    })?;
    if syn != (Some(536), 4128) {
        return None;
    }
    let licensing_hello = super::trust::is_cisco_public_name(sni);
    let confidence = if licensing_hello {
        Confidence::High
    } else {
        Confidence::Medium
    };
    let hello = if licensing_hello {
        " and a ClientHello for a Cisco licensing name"
    } else {
        ""
    };
    Some((
        confidence,
        format!(
            "The client's SYN (window 4128, MSS 536){hello} matches IOS XE's own TCP client: it is probably the switch ({} confidence; --switch ADDRESS makes it certain).",
            format!("{confidence:?}").to_lowercase()
        ),
    ))
}

/// Principle 2, packets beat assumptions: a trust finding on a chain whose handshake the
/// packets show completed with data both ways ([`super::tls::observed_success`]). The
/// device profile (`--ios-version`, the configuration's release, the built-in default, an
/// exported trustpool) predicted a refusal; the client did not refuse. When `--switch`
/// says the client is the switch, the observation wins outright (information: the switch
/// holds what the profile lacks). Otherwise a warning that says both, what the packets
/// show and what a switch on that profile would do, and the command that settles it.
/// `hint` is the IOS XE client signature, when the client shows it.
pub fn as_observed(f: Finding, client: Client, hint: Option<&(Confidence, String)>) -> Finding {
    let root_codes = matches!(
        f.code,
        FindingCode::RootMissingOnDevice
            | FindingCode::UntrustedRoot
            | FindingCode::IncompleteChain
    );
    if f.severity != Severity::Error || !(root_codes || f.code == FindingCode::SslInterception) {
        return f;
    }
    let settle = settling_command(&f.summary);
    let observed = "The packets show the client completed the handshake and exchanged data both ways after it: that client accepted this chain.";
    let (severity, why) = match client {
        Client::KnownSwitch if root_codes => (
            Severity::Info,
            format!(
                "{observed} That client is the switch (--switch, or an interface address of its configuration), so the switch holds what the trust profile lacks (a trustpool updated by 'crypto pki trustpool import', or a newer release than assumed). What the profile predicted: {}",
                f.summary
            ),
        ),
        Client::KnownSwitch => (
            Severity::Warning,
            format!(
                "{observed} That client is the switch (--switch, or an interface address of its configuration): it trusts the interceptor's CA, so licensing works through the inspection. {}",
                f.explanation
            ),
        ),
        Client::Unknown | Client::Probe => (
            Severity::Warning,
            format!(
                "{observed} A switch judged by the trust profile would refuse it: {} Whether this client is the switch decides which holds: '{settle}' on the switch shows whether it holds the root.{}",
                f.explanation,
                hint.map(|(_, h)| format!(" {h}")).unwrap_or_default()
            ),
        ),
    };
    let summary = match severity {
        Severity::Info => format!(
            "the switch completed the handshake with data both ways, although by the trust profile {}",
            f.summary
        ),
        _ => format!(
            "the handshake completed with data both ways, but a switch judged by the trust profile would refuse it: {}",
            f.summary
        ),
    };
    let mut remediation = vec![format!(
        "{settle}   ! on the switch: does it hold the root?"
    )];
    if severity != Severity::Info {
        remediation.extend(f.remediation.iter().cloned());
    }
    let mut g = f.severity(severity).explain(why);
    g.summary = summary;
    g.remediation = remediation;
    g
}

/// `show crypto pki trustpool | include <first word of the root's name>` for a trust
/// finding's summary ("the chain ends at 'CN=IdenTrust Commercial Root CA 1,...'").
fn settling_command(summary: &str) -> String {
    let word = summary
        .split("CN=")
        .nth(1)
        .and_then(|cn| cn.split([' ', ',', '\'']).next())
        .filter(|w| !w.is_empty())
        .unwrap_or("Subject");
    format!("show crypto pki trustpool | include {word}")
}

#[cfg(test)]
mod tests {
    use super::super::tls::handshake;
    use super::super::{DiagnoseConfig, Seen, test_config};
    use super::*;
    use crate::model::testing::{ConnectionBuilder, cisco_chain, connection};

    const HOST: &str = "smartreceiver.cisco.com";

    fn hello() -> ConnectionBuilder {
        connection()
            .handshake()
            .client_hello(Some(HOST), TlsVersion::Tls12)
    }

    fn only(f: Vec<Finding>) -> Finding {
        assert_eq!(f.len(), 1, "{f:#?}");
        f.into_iter().next().expect("one finding")
    }

    /// Principle 2: a derived profile (here 17.3.2, FN72323) never makes an observed
    /// success FAILED. Unknown client: a warning saying both, with the settling command and
    /// the IOS XE signature hint; `--switch`: information.
    #[test]
    fn an_observed_success_outranks_a_derived_profile() {
        let old = DiagnoseConfig {
            trust: crate::model::trust::TrustProfile::ios_xe(Some("17.3.2".parse().expect("v"))),
            ..test_config()
        };
        let done = |b: ConnectionBuilder| {
            b.server_hello(TlsVersion::Tls12)
                .certificates(cisco_chain(HOST))
                .handshake_complete()
                .encrypted(Direction::ToServer, 129)
                .encrypted(Direction::ToClient, 193)
                .build()
        };
        let run = |c: &Connection, client| handshake(c, &Seen::of(c), &old, client);
        let switch_like = done(
            connection()
                .syn()
                .syn_ack()
                .client_hello(Some(HOST), TlsVersion::Tls12),
        );
        let f = only(run(&switch_like, Client::Unknown));
        assert_eq!(
            (f.code, f.severity),
            (FindingCode::RootMissingOnDevice, Severity::Warning)
        );
        assert!(f.summary.starts_with("the handshake completed with data both ways, but a switch judged by the trust profile would refuse it"));
        assert_eq!(
            f.remediation[0],
            "show crypto pki trustpool | include IdenTrust   ! on the switch: does it hold the root?"
        );
        assert!(f.explanation.contains("FN72323"));
        assert!(
            f.explanation.contains("window 4128, MSS 536"),
            "{}",
            f.explanation
        );
        assert!(f.explanation.contains("high confidence"));
        let f = only(run(&switch_like, Client::KnownSwitch));
        assert_eq!(f.severity, Severity::Info);
        assert!(f.summary.starts_with("the switch completed the handshake"));
        // Another client's SYN: no hint.
        let other = done(
            connection()
                .to_server(EventKind::TcpSyn {
                    mss: Some(1460),
                    window: 64240,
                    retransmission: false,
                })
                .client_hello(Some(HOST), TlsVersion::Tls12),
        );
        let f = only(run(&other, Client::Unknown));
        assert!(!f.explanation.contains("4128"));
        // No data after the handshake, or no completed handshake: the profile decides.
        let no_data = hello()
            .server_hello(TlsVersion::Tls12)
            .certificates(cisco_chain(HOST))
            .handshake_complete()
            .build();
        let f = only(run(&no_data, Client::KnownSwitch));
        assert_eq!(f.severity, Severity::Error);
    }
}
