//! Certificate rules: validity dates and the server name (RFC 5280 §4.1.2.5, RFC 6125),
//! then the chain's trust, judged by `trust::judge_chain` against the device's trust
//! profile (Cisco Field Notice FN72323 for the IdenTrust root), with the `--ca-file`
//! "what if" beside it. The same rules decide what the live probe's verifier refuses
//! ([`switch_rejects`]).

use super::DiagnoseConfig;
use super::trust::{self, ChainVerdict, judge_chain};
use crate::model::time::format_utc_secs as date;
use crate::model::trust::{ProfileKind, TrustProfile};
use crate::model::*;
use crate::wire::x509::name_matches;

const CLOCK_REMEDY: &[&str] = &[
    "show clock",
    "ntp server <ntp-server>",
    "clock calendar-valid",
];

/// A certificate that ended more than this before it was seen (180 days) is stale on the
/// server's side: a switch clock that far ahead would be noticed long before.
const STALE_CERT_S: i64 = 180 * 86_400;

/// The first non-empty chain the server sent, with the event that carried it.
pub fn chain_of(c: &Connection) -> Option<(&Event, &[CertInfo])> {
    c.events.iter().find_map(|e| match &e.kind {
        EventKind::TlsCertificate { certificates }
            if e.dir == Direction::ToClient && !certificates.is_empty() =>
        {
            Some((e, certificates.as_slice()))
        }
        _ => None,
    })
}

/// The name the chain must be valid for: the SNI, else the CONNECT target's host, else
/// the best name known for the server.
pub fn host_of(c: &Connection, sni: Option<&str>) -> Option<String> {
    sni.map(str::to_string)
        .or_else(|| {
            c.proxy_target
                .as_deref()
                .map(|t| crate::model::url::host_of_authority(t).to_string())
        })
        .or_else(|| c.server_name.clone())
}

/// The profile that judges a connection's chain: the device's for licensing connections
/// (and for every connection when a trust store was given), Mozilla's public roots for the
/// other hosts shown with `--all`, which are not the switch's concern.
pub fn profile_for<'a>(c: &Connection, cfg: &'a DiagnoseConfig) -> &'a TrustProfile {
    if c.licensing || cfg.judge_all_chains {
        &cfg.trust
    } else {
        TrustProfile::mozilla_shared()
    }
}

/// The findings on a chain seen at `ce`: every certificate's dates, the leaf's name for
/// `host`, and (when a profile is given) the chain's trust against that profile.
pub fn judge(
    ce: &Event,
    certs: &[CertInfo],
    host: Option<&str>,
    profile: Option<&TrustProfile>,
    cfg: &DiagnoseConfig,
) -> Vec<Finding> {
    let Some(leaf) = certs.first() else {
        return Vec::new();
    };
    // A capture clock that cannot be right: dates are judged against now, and said so.
    let seen_unix = ce.time_ns.div_euclid(1_000_000_000);
    let clock = super::capture::clock_invalid(seen_unix, certs, cfg.now_unix);
    let mut f: Vec<Finding> = clock
        .iter()
        .map(|why| super::capture::clock_finding(ce, why))
        .collect();
    f.extend(certs.iter().filter_map(|c| match clock {
        Some(_) => validity_now(ce, c, cfg.now_unix),
        None => validity(ce, c, cfg.now_unix),
    }));
    f.extend(hostname(ce, leaf, host));
    if let Some(profile) = profile {
        f.extend(trust(ce, certs, host, profile, cfg));
    }
    if f.iter().any(|x| x.code == FindingCode::SslInterception) {
        f.iter_mut()
            .filter(|x| x.code == FindingCode::CertHostnameMismatch)
            .for_each(|x| explained_by_interception(x, host.unwrap_or_default()));
    }
    f
}

/// Principle 7: a name mismatch that comes with interception is the interceptor's own
/// certificate, not a wrong DNS answer or `ip host` entry: said so, and fixed with it.
fn explained_by_interception(f: &mut Finding, host: &str) {
    f.explanation = "The certificate was issued by the interceptor (see ssl_interception), which presented a certificate of its own instead of one for the name the switch asked for: the mismatch comes with the interception, not from a wrong DNS answer or `ip host` entry.".into();
    f.remediation = vec![format!(
        "! explained by ssl_interception: exempting {host} from SSL inspection removes both"
    )];
}

fn label(c: &CertInfo) -> String {
    c.subject_cn.clone().unwrap_or_else(|| c.subject.clone())
}

/// `cert_expired` or `cert_not_yet_valid` when seen (errors); `cert_expired` since (info).
fn validity(ce: &Event, c: &CertInfo, now_unix: i64) -> Option<Finding> {
    let at = ce.time_ns.div_euclid(1_000_000_000);
    let name = label(c);
    let seen = || [Evidence::of(ce, format!("Certificate {name}"))];
    if at > c.not_after && at - c.not_after > STALE_CERT_S {
        // Years past its end: no switch clock runs that far ahead unnoticed (a clock that
        // cannot be right is capture_clock_invalid's); the server or a middlebox in its
        // place presents a stale certificate.
        let years = (at - c.not_after) / (365 * 86_400);
        let ago = if years >= 1 {
            format!("{years} year(s)")
        } else {
            format!("{} days", (at - c.not_after) / 86_400)
        };
        Some(
            Finding::new(
                FindingCode::CertExpired,
                Severity::Error,
                Step::Cert,
                format!("certificate '{name}' had expired {ago} before it was seen (notAfter {})", date(c.not_after)),
            )
            .explain("The certificate ended long before the time of the capture or probe. A clock that far ahead is not what breaks this: the server, or a middlebox answering in its place, presents a stale certificate.")
            .fix([
                format!("! on the server (or the middlebox answering in its place): renew '{name}'"),
                "show clock   ! only to confirm the switch's clock is right".to_string(),
            ])
            .evidence(seen()),
        )
    } else if at > c.not_after {
        Some(
            Finding::new(
                FindingCode::CertExpired,
                Severity::Error,
                Step::Cert,
                format!("certificate '{name}' had expired when seen (notAfter {})", date(c.not_after)),
            )
            .explain("A certificate in the chain was past its validity at the time of the capture or probe. If the switch's clock is right, the server must renew it; if the switch's clock is wrong, fix the clock.")
            .fix(CLOCK_REMEDY)
            .evidence(seen()),
        )
    } else if at < c.not_before {
        Some(
            Finding::new(
                FindingCode::CertNotYetValid,
                Severity::Error,
                Step::Cert,
                format!("certificate '{name}' was not yet valid when seen (notBefore {})", date(c.not_before)),
            )
            .explain("The certificate's validity starts after the time it was seen: either the capturing clock is behind (the switch logs %PKI-3-CERTIFICATE_INVALID_NOT_YET_VALID) or the certificate was issued with a future date.")
            .fix(CLOCK_REMEDY)
            .evidence(seen()),
        )
    } else if now_unix > c.not_after {
        Some(
            Finding::new(
                FindingCode::CertExpired,
                Severity::Info,
                Step::Cert,
                format!(
                    "certificate '{name}' was valid when captured but has expired since ({})",
                    date(c.not_after)
                ),
            )
            .explain("Valid at capture time; a switch connecting today would reject it.")
            .evidence(seen()),
        )
    } else {
        None
    }
}

/// `cert_expired` or `cert_not_yet_valid` against the current time (errors), when the
/// capture's clock cannot be trusted.
fn validity_now(ce: &Event, c: &CertInfo, now_unix: i64) -> Option<Finding> {
    let name = label(c);
    let (code, summary) = if now_unix > c.not_after {
        (
            FindingCode::CertExpired,
            format!(
                "certificate '{name}' has expired (notAfter {}), judged against the current time: the capture clock is wrong",
                date(c.not_after)
            ),
        )
    } else if now_unix < c.not_before {
        (
            FindingCode::CertNotYetValid,
            format!(
                "certificate '{name}' is not yet valid (notBefore {}), judged against the current time: the capture clock is wrong",
                date(c.not_before)
            ),
        )
    } else {
        return None;
    };
    Some(
        Finding::new(code, Severity::Error, Step::Cert, summary)
            .explain("The capture's timestamps cannot be right (see capture_clock_invalid), so this certificate's dates were compared with the current time: a switch with a correct clock connecting now would reject it.")
            .evidence([Evidence::of(ce, format!("Certificate {name}"))]),
    )
}

/// `cert_hostname_mismatch`: the leaf does not name `host` (IP literals are not judged).
fn hostname(ce: &Event, leaf: &CertInfo, host: Option<&str>) -> Option<Finding> {
    let h = host.filter(|h| h.parse::<std::net::IpAddr>().is_err())?;
    if name_matches(leaf, h) {
        return None;
    }
    let names = if leaf.sans.is_empty() {
        leaf.subject_cn.clone().unwrap_or_default()
    } else {
        leaf.sans.join(", ")
    };
    Some(
        Finding::new(
            FindingCode::CertHostnameMismatch,
            Severity::Error,
            Step::Cert,
            format!("the certificate is for {names}, not {h}"),
        )
        .explain("The server identity check (on by default in IOS XE) fails when the certificate does not name the host the switch asked for. The switch asked by name, so its URL is not the fault: what answered at that address (a wrong DNS answer or `ip host` entry, a middlebox in the server's place, or the server itself) presented another host's certificate.")
        .fix(mismatch_fix(h, &names))
        .evidence([Evidence::of(ce, format!("Certificate {}", label(leaf)))]),
    )
}

/// What to do about a certificate that does not name `host` (a name the switch already
/// asked for, so never a `license smart url` rewrite): for Cisco's licensing names, find
/// what answered in Cisco's place; for other hosts, the server's certificate.
fn mismatch_fix(host: &str, names: &str) -> Vec<String> {
    if trust::is_cisco_public_name(Some(host)) {
        vec![
            format!(
                "! {host} was answered by a server that is not Cisco's (its certificate is for {names})"
            ),
            format!("show running-config | include ip host {host}   ! a stale static entry?"),
            format!(
                "show hosts {host}   ! which address the switch uses; compare with a public resolver"
            ),
        ]
    } else {
        vec![format!(
            "! on the server {host}: install a certificate that names {host} (it names {names})"
        )]
    }
}

/// The chain's trust: `ssl_interception`, `root_missing_on_device`, `untrusted_root` or
/// `incomplete_chain`, then `ca_file_what_if` when a `--ca-file` was given.
fn trust(
    ce: &Event,
    certs: &[CertInfo],
    host: Option<&str>,
    profile: &TrustProfile,
    cfg: &DiagnoseConfig,
) -> Vec<Finding> {
    let leaf_label = certs.first().map(label).unwrap_or_default();
    let evidence = [Evidence::of(
        ce,
        format!(
            "Certificate chain of {} cert(s), leaf {leaf_label}",
            certs.len()
        ),
    )];
    let verdict = judge_chain(certs, host, profile);
    // A chain read from a text's fields has no keys: a root it sends is trusted by name
    // only, which a key would confirm or refute (a look-alike root of the same name). A
    // claim that rests on such a match is medium; the negative verdicts (a name not in
    // the profile, an issuer not sent) are concluded from names with the DER too.
    let by_name_only = |v: &ChainVerdict, p: &TrustProfile| {
        matches!(
            v,
            ChainVerdict::Trusted { .. }
                | ChainVerdict::Interception {
                    anchor_trusted: true,
                    ..
                }
        ) && certs.iter().any(|c| c.key_unknown())
            && (p.kind == ProfileKind::Public || certs.iter().any(|c| p.would_check_key(c)))
    };
    let capped = |f: Finding, v: &ChainVerdict, p: &TrustProfile| {
        if by_name_only(v, p) {
            let c = f.confidence.min(Confidence::Medium);
            f.confidence(c)
        } else {
            f
        }
    };
    let what_if = match &cfg.ca_file {
        Some((file, with_ca))
            if profile.kind == ProfileKind::Device
                && !matches!(
                    verdict,
                    ChainVerdict::Trusted { .. }
                        | ChainVerdict::Empty
                        | ChainVerdict::Interception {
                            anchor_trusted: true,
                            ..
                        }
                ) =>
        {
            let v = judge_chain(certs, host, with_ca);
            Some(capped(
                ca_file_what_if(file, v.clone(), evidence.clone()),
                &v,
                with_ca,
            ))
        }
        _ => None,
    };
    let error = |code, summary: String| {
        Finding::new(code, Severity::Error, Step::Cert, summary).evidence(evidence.clone())
    };
    let judged = match verdict.clone() {
        ChainVerdict::Trusted { .. } | ChainVerdict::Empty => None,
        ChainVerdict::Interception { issuer, product, anchor_trusted } => Some(
            error(FindingCode::SslInterception, interception_summary(host, &issuer, product))
                .confidence(Confidence::High)
                .explain(format!("{} {}", interception_explanation(host, product), if anchor_trusted { "The device profile trusts that CA, so the handshake may still pass." } else { "The switch does not trust it and rejects the handshake." }))
                .fix(["! preferred: exempt smartreceiver.cisco.com and tools.cisco.com from SSL inspection", "! or trust the interceptor's CA on the switch:", "crypto pki trustpoint PROXY-CA", " enrollment terminal", " revocation-check none", "crypto pki authenticate PROXY-CA   ! paste the interceptor's CA certificate"]),
        ),
        ChainVerdict::RootMissingOnDevice { root, why } => Some(
            error(FindingCode::RootMissingOnDevice, format!("the chain ends at '{root}', which this device does not have ({why})"))
                .explain("Field Notice FN72323: releases without IdenTrust Commercial Root CA 1 in their trustpool cannot validate Cisco's current certificates.")
                .fix(["crypto pki trustpool import url http://www.cisco.com/security/pki/trs/ios_core.p7b", "! or upgrade to 16.12.6, 17.3.4, 17.4.2, 17.5.1, 17.6.1 or later"]),
        ),
        ChainVerdict::UntrustedRoot { root } if profile.kind == ProfileKind::Public => Some(
            error(FindingCode::UntrustedRoot, format!("the chain ends at '{root}', which is not in the {}", profile.name))
                .explain("This host is not one of the switch's licensing endpoints, so its chain is judged against the public roots a client trusts by default: it ends at a CA that store does not hold today (a private CA, or a root removed since), and a client that does not hold that CA answers unknown_ca.")
                .fix(["! a client of this host must trust its CA; for the switch:", "crypto pki trustpoint <name> / enrollment terminal / crypto pki authenticate <name>"]),
        ),
        ChainVerdict::UntrustedRoot { root } if certs.len() == 1 && certs[0].self_signed => Some(
            error(FindingCode::UntrustedRoot, format!("the server's certificate is self-signed ('{root}'): its own root, which is not in the {}", profile.name))
                .explain("Nothing but the server itself vouches for this certificate. A switch trusts it only if it is imported as a trustpoint; for Cisco's licensing names, something other than Cisco answered.")
                .fix(["! on the server: a certificate from a CA the switch trusts; or, for a private server, import it:", "crypto pki trustpoint <name> / enrollment terminal / crypto pki authenticate <name>"]),
        ),
        ChainVerdict::UntrustedRoot { root } => Some(
            error(FindingCode::UntrustedRoot, format!("the chain ends at '{root}', which is not in the {}", profile.name))
                .explain("The device cannot anchor this chain in its trustpool, so the handshake fails with unknown_ca.")
                .fix(["crypto pki trustpool import url http://www.cisco.com/security/pki/trs/ios_core.p7b", "! or, for a private CA: crypto pki trustpoint <name> / enrollment terminal / crypto pki authenticate <name>"]),
        ),
        ChainVerdict::IncompleteChain { top, missing_issuer } => Some(
            error(FindingCode::IncompleteChain, format!("incomplete chain: '{top}' was sent without its issuer '{missing_issuer}'"))
                .explain("The server sent its certificate without the intermediate CA that signed it; clients that do not fetch missing intermediates cannot build the chain.")
                .fix(["! on the server: configure the full chain (leaf + intermediates)"]),
        ),
    };
    judged
        .map(|f| capped(f, &verdict, profile))
        .into_iter()
        .chain(what_if)
        .collect()
}

/// What a client did with a chain it was shown, as far as the capture shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAnswer {
    /// It refused the chain with a certificate alert.
    Refused,
    /// It completed the handshake.
    Completed,
    /// The capture does not show.
    NotShown,
}

/// A trust finding on a host that is not the switch's concern, judged against today's
/// public roots, weighed by what the client did: an error when it refused the chain with a
/// certificate alert, information when it completed the handshake (it trusts that CA: a
/// private CA it was given, or a root Mozilla has since removed — old captures show
/// those), a warning when the capture does not show.
pub fn as_the_client_saw_it(f: Finding, client: ClientAnswer) -> Finding {
    if !matches!(
        f.code,
        FindingCode::UntrustedRoot | FindingCode::IncompleteChain
    ) || client == ClientAnswer::Refused
    {
        return f;
    }
    if client == ClientAnswer::Completed {
        let why = format!(
            "{} The client completed the handshake, so it trusts this CA; a switch would need it in its trustpool.",
            f.explanation
        );
        f.severity(Severity::Info).explain(why)
    } else {
        f.severity(Severity::Warning)
    }
}

/// The client refused a chain (fatal `unknown_ca`, RFC 8446 §6.2) that `profile` trusts and
/// that no other rule faults: the profile is not what the client holds. For a switch, the
/// built-in profile trusts the chain but the switch answered `unknown_ca`, so the switch
/// evidently lacks that root (an old release, a trimmed or never-updated trustpool):
/// `root_missing_on_device`, medium confidence, rather than a bare `tls_alert`.
pub fn alert_contradicts_profile(
    alert: &Event,
    ce: &Event,
    certs: &[CertInfo],
    host: Option<&str>,
    profile: &TrustProfile,
    so_far: &[Finding],
) -> Option<Finding> {
    let EventKind::TlsAlert(a) = alert.kind else {
        return None;
    };
    if a.description != TlsAlertDescription::UnknownCa {
        return None;
    }
    let other_cert_error = so_far.iter().any(|f| {
        f.severity == Severity::Error && f.step == Step::Cert && f.code != FindingCode::TlsAlert
    });
    if other_cert_error || profile.kind != ProfileKind::Device {
        return None;
    }
    let ChainVerdict::Trusted { anchor } = judge_chain(certs, host, profile) else {
        return None;
    };
    Some(
        Finding::new(
            FindingCode::RootMissingOnDevice,
            Severity::Error,
            Step::Cert,
            format!(
                "the client answered unknown_ca to a chain the {} trusts (anchored at '{anchor}'): the switch evidently lacks that root",
                profile.name
            ),
        )
        .confidence(Confidence::Medium)
        .explain("The chain is valid against the trust profile licpath used, yet the client said it does not know the CA. A switch answers this way when its trustpool lacks the root: an IOS XE release older than the FN72323 fix, or a trustpool that was trimmed or never updated. Compare with the switch's own trustpool.")
        .fix([
            "show crypto pki trustpool | include Subject|CN",
            "crypto pki trustpool import url http://www.cisco.com/security/pki/trs/ios_core.p7b",
            "! then re-run licpath with --trust-store <the switch's exported trustpool> to confirm",
        ])
        .evidence([
            Evidence::of(alert, "alert unknown_ca from client".to_string()),
            Evidence::of(ce, format!("Certificate chain of {} cert(s)", certs.len())),
        ]),
    )
}

/// `ssl_interception`'s one line: the product when the catalogue names it, and "not by
/// Cisco's public CA chain" only for Cisco's own names.
fn interception_summary(host: Option<&str>, issuer: &str, product: Option<&str>) -> String {
    let by = product.map(|p| format!(" by {p}")).unwrap_or_default();
    let name = host.unwrap_or("?");
    if trust::is_cisco_public_name(host) {
        format!(
            "SSL interception{by}: the certificate for {name} was issued by '{issuer}', not by Cisco's public CA chain"
        )
    } else {
        format!(
            "SSL interception{by}: the certificate for {name} was issued by '{issuer}', an inspection CA"
        )
    }
}

/// Why `ssl_interception`: who re-signed the chain, as far as the catalogue knows.
fn interception_explanation(host: Option<&str>, product: Option<&str>) -> String {
    let who = product.map_or(
        "another CA, almost certainly an intercepting proxy or firewall".to_string(),
        |p| format!("the TLS-inspection CA of {p} (docs/interceptors.md)"),
    );
    if trust::is_cisco_public_name(host) {
        format!(
            "Cisco's licensing servers use certificates from HydrantID under IdenTrust (formerly QuoVadis). This chain was re-signed by {who}."
        )
    } else {
        format!("This chain was re-signed by {who}, not issued by the server's own CA.")
    }
}

/// `ca_file_what_if`: what the chain's verdict would be with that file's CAs imported.
fn ca_file_what_if(
    file: &str,
    with_ca: ChainVerdict,
    evidence: impl IntoIterator<Item = Evidence>,
) -> Finding {
    let import = [
        "crypto pki trustpoint LICENSING-CA",
        " enrollment terminal",
        " revocation-check none",
        "crypto pki authenticate LICENSING-CA   ! paste the CA certificate from the file",
    ];
    let (severity, summary, why) = match &with_ca {
        ChainVerdict::Trusted { anchor } => (
            Severity::Info,
            format!(
                "importing the CA in {file} would make this chain trusted (anchored at '{anchor}')"
            ),
            "Judged again with the file's certificates added to the device's trust profile, the chain validates. Other findings on this chain (dates, name) still apply.",
        ),
        ChainVerdict::Interception {
            issuer,
            anchor_trusted: true,
            ..
        } => (
            Severity::Info,
            format!(
                "importing the CA in {file} would make the switch accept this intercepted chain (issued by '{issuer}')"
            ),
            "The switch would then trust the interceptor. Exempting the licensing names from SSL inspection is the better fix; importing the interceptor's CA is the fallback.",
        ),
        other => (
            Severity::Warning,
            format!(
                "importing the CA in {file} would not fix this chain: {}",
                chain_problem(other)
            ),
            "Judged again with the file's certificates added, the chain still does not validate: that file does not hold the CA this chain needs.",
        ),
    };
    let fixes = matches!(severity, Severity::Info);
    Finding::new(FindingCode::CaFileWhatIf, severity, Step::Cert, summary)
        .explain(why)
        .fix(if fixes { &import[..] } else { &[] })
        .evidence(evidence)
}

fn chain_problem(v: &ChainVerdict) -> String {
    match v {
        ChainVerdict::Trusted { anchor } => format!("trusted at '{anchor}'"),
        ChainVerdict::Interception { issuer, .. } => {
            format!("still an interception by '{issuer}', whose CA is not trusted")
        }
        ChainVerdict::RootMissingOnDevice { root, .. } => {
            format!("still ends at '{root}', missing on this device")
        }
        ChainVerdict::UntrustedRoot { root } => format!("still ends at '{root}', not trusted"),
        ChainVerdict::IncompleteChain { missing_issuer, .. } => {
            format!("the server still does not send '{missing_issuer}'")
        }
        ChainVerdict::Empty => "no certificate".into(),
    }
}

/// Would the switch refuse this chain (presented at `at_ns`, for `host`)? The same
/// certificate rules as [`super::diagnose`], run on the chain alone: the first error they
/// find, or `None` when the switch would go on. Interception by a CA the device profile
/// trusts is not refused (the handshake passes; the finding still reports it). The live
/// probe's verifier uses this to abort the handshake as the switch would, so that a
/// capture of the probe shows what a capture of the switch shows.
pub fn switch_rejects(
    certs: &[CertInfo],
    host: Option<&str>,
    at_ns: i64,
    cfg: &DiagnoseConfig,
) -> Option<FindingCode> {
    let seen = Event {
        time_ns: at_ns,
        frame: None,
        dir: Direction::ToClient,
        kind: EventKind::TlsCertificate {
            certificates: Vec::new(),
        },
    };
    judge(&seen, certs, host, Some(&cfg.trust), cfg)
        .into_iter()
        .filter(|x| x.severity == Severity::Error)
        .map(|x| x.code)
        .find(|code| {
            *code != FindingCode::SslInterception
                || !matches!(
                    judge_chain(certs, host, &cfg.trust),
                    ChainVerdict::Interception {
                        anchor_trusted: true,
                        ..
                    }
                )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::test_config;
    use crate::model::testing::{START_NS, ca, cert, cisco_chain};
    use crate::model::trust::{TrustProfile, TrustedRoot};

    const HOST: Option<&str> = Some("smartreceiver.cisco.com");

    fn seen_at(time_ns: i64) -> Event {
        Event {
            time_ns,
            frame: Some(7),
            dir: Direction::ToClient,
            kind: EventKind::TlsCertificate {
                certificates: Vec::new(),
            },
        }
    }

    fn judged(certs: &[CertInfo], host: Option<&str>, cfg: &DiagnoseConfig) -> Vec<Finding> {
        judge(&seen_at(START_NS), certs, host, Some(&cfg.trust), cfg)
    }

    fn codes(f: &[Finding]) -> Vec<(FindingCode, Severity)> {
        f.iter().map(|f| (f.code, f.severity)).collect()
    }

    #[test]
    fn the_current_cisco_chain_passes() {
        assert!(
            judged(
                &cisco_chain("smartreceiver.cisco.com"),
                HOST,
                &test_config()
            )
            .is_empty()
        );
        assert!(judged(&[], HOST, &test_config()).is_empty());
    }

    #[test]
    fn dates_when_seen_and_since() {
        let start_s = START_NS / 1_000_000_000;
        let mut chain = cisco_chain("smartreceiver.cisco.com");
        chain[0].not_after = 1_674_691_200; // 2023-01-26
        let f = judged(&chain, HOST, &test_config());
        assert_eq!(codes(&f), [(FindingCode::CertExpired, Severity::Error)]);
        // Years before the capture: the server (or a middlebox) is stale, not the clock.
        assert_eq!(
            f[0].summary,
            "certificate 'smartreceiver.cisco.com' had expired 3 year(s) before it was seen (notAfter 2023-01-26 00:00:00.000 UTC)"
        );
        assert_eq!(f[0].step, Step::Cert);
        assert!(f[0].remediation[0].contains("renew 'smartreceiver.cisco.com'"));
        assert!(!f[0].remediation.iter().any(|l| l.starts_with("ntp server")));
        // Days before: the clock is as likely as the server.
        chain[0].not_after = start_s - 10 * 86_400;
        let f = judged(&chain, HOST, &test_config());
        assert!(
            f[0].summary.contains("had expired when seen"),
            "{}",
            f[0].summary
        );
        assert!(f[0].remediation.iter().any(|l| l.starts_with("ntp server")));
        chain[0].not_after = 1_900_000_000;
        chain[0].not_before = start_s + 10;
        let f = judged(&chain, HOST, &test_config());
        assert_eq!(codes(&f), [(FindingCode::CertNotYetValid, Severity::Error)]);
        chain[0].not_before = 1_600_000_000;
        chain[1].not_after = start_s + 10;
        let f = judged(&chain, HOST, &test_config());
        assert_eq!(codes(&f), [(FindingCode::CertExpired, Severity::Info)]);
        assert!(
            f[0].summary
                .contains("'HydrantID Server CA O1' was valid when captured but has expired since")
        );
    }

    #[test]
    fn dates_past_2262_stay_as_they_are() {
        // 9999-12-31 23:59:59 UTC (RFC 5280 §4.1.2.5), past i64 nanoseconds.
        assert_eq!(date(253_402_300_799), "9999-12-31 23:59:59.000 UTC");
        assert_eq!(date(9_223_372_037), "2262-04-11 23:47:17.000 UTC");
        assert_eq!(date(1_674_691_200), "2023-01-26 00:00:00.000 UTC");
        assert_eq!(date(-10_000_000_000), "1653-02-10 06:13:20.000 UTC");
        let mut chain = cisco_chain("smartreceiver.cisco.com");
        chain[0].not_before = 253_402_300_799;
        chain[0].not_after = 253_402_300_799;
        let f = judged(&chain, HOST, &test_config());
        assert_eq!(
            f[0].summary,
            "certificate 'smartreceiver.cisco.com' was not yet valid when seen (notBefore 9999-12-31 23:59:59.000 UTC)"
        );
    }

    #[test]
    fn the_leaf_must_name_the_host_unless_it_is_an_address() {
        let chain = cisco_chain("tools.cisco.com");
        let f = judged(&chain, HOST, &test_config());
        assert_eq!(
            codes(&f),
            [(FindingCode::CertHostnameMismatch, Severity::Error)]
        );
        assert_eq!(f[0].evidence[0].what, "Certificate tools.cisco.com");
        // Principle 7: the switch asked by name, so no `license smart url` rewrite; for a
        // licensing name, what answered in Cisco's place is checked on the switch.
        assert!(
            !f[0]
                .remediation
                .iter()
                .any(|l| l.contains("license smart url"))
        );
        assert!(f[0].remediation.iter().any(|l| l == "show running-config | include ip host smartreceiver.cisco.com   ! a stale static entry?"), "{:?}", f[0].remediation);
        let f = judged(&chain, Some("onprem.example"), &test_config());
        let mismatch = f
            .iter()
            .find(|f| f.code == FindingCode::CertHostnameMismatch)
            .expect("mismatch");
        assert_eq!(
            mismatch.remediation,
            [
                "! on the server onprem.example: install a certificate that names onprem.example (it names tools.cisco.com)"
            ]
        );
        // An IP literal is not judged by name; no host at all neither.
        let cfg = test_config();
        assert!(judged(&chain, Some("203.0.113.10"), &cfg).is_empty());
        assert!(judged(&chain, None, &cfg).is_empty());
    }

    #[test]
    fn chain_trust_verdicts() {
        let cfg = test_config();
        let bumped = [
            cert(
                "smartreceiver.cisco.com",
                "Corp Inspection CA",
                1_600_000_000,
                1_900_000_000,
            ),
            ca("Corp Inspection CA", "Corp Inspection CA"),
        ];
        let f = judged(&bumped, HOST, &cfg);
        assert_eq!(codes(&f), [(FindingCode::SslInterception, Severity::Error)]);
        assert_eq!(f[0].confidence, Confidence::High);
        assert!(
            f[0].summary.contains("issued by 'CN=Corp Inspection CA'"),
            "{}",
            f[0].summary
        );

        let onprem = [
            cert("onprem.example", "Lab Root", 1_600_000_000, 1_900_000_000),
            ca("Lab Root", "Lab Root"),
        ];
        let f = judged(&onprem, Some("onprem.example"), &cfg);
        assert_eq!(codes(&f), [(FindingCode::UntrustedRoot, Severity::Error)]);

        let leaf_only = [cert(
            "onprem.example",
            "Lab Issuing CA",
            1_600_000_000,
            1_900_000_000,
        )];
        let f = judged(&leaf_only, Some("onprem.example"), &cfg);
        assert_eq!(codes(&f), [(FindingCode::IncompleteChain, Severity::Error)]);

        let old = DiagnoseConfig {
            trust: TrustProfile::ios_xe(Some("17.3.2".parse().expect("version"))),
            ..test_config()
        };
        let f = judged(&cisco_chain("smartreceiver.cisco.com"), HOST, &old);
        assert_eq!(
            codes(&f),
            [(FindingCode::RootMissingOnDevice, Severity::Error)]
        );
        assert!(f[0].explanation.contains("FN72323"));
    }

    #[test]
    fn trust_is_judged_only_when_asked() {
        let onprem = [cert(
            "onprem.example",
            "Lab Issuing CA",
            1_600_000_000,
            1_900_000_000,
        )];
        let f = judge(
            &seen_at(START_NS),
            &onprem,
            Some("onprem.example"),
            None,
            &test_config(),
        );
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn ca_file_what_if_says_whether_the_import_would_help() {
        let onprem = [
            cert("onprem.example", "Lab Root", 1_600_000_000, 1_900_000_000),
            ca("Lab Root", "Lab Root"),
        ];
        let profile = |cn: &str| TrustProfile {
            name: "file".into(),
            kind: crate::model::trust::ProfileKind::Device,
            roots: vec![TrustedRoot {
                subject_cn: cn.into(),
                subject: None,
                spki_sha256: None,
            }],
            fn72323_affected: None,
        };
        let with = |cn: &str| DiagnoseConfig {
            ca_file: Some((
                "lab.pem".into(),
                test_config().trust.with_roots_of(&profile(cn)),
            )),
            ..test_config()
        };
        let f = judged(&onprem, Some("onprem.example"), &with("Lab Root"));
        assert_eq!(
            codes(&f),
            [
                (FindingCode::UntrustedRoot, Severity::Error),
                (FindingCode::CaFileWhatIf, Severity::Info)
            ]
        );
        assert_eq!(
            f[1].summary,
            "importing the CA in lab.pem would make this chain trusted (anchored at 'CN=Lab Root')"
        );
        assert!(!f[1].remediation.is_empty());
        let f = judged(&onprem, Some("onprem.example"), &with("Other Root"));
        assert_eq!(f[1].severity, Severity::Warning);
        assert!(
            f[1].summary
                .contains("would not fix this chain: still ends at 'CN=Lab Root', not trusted")
        );
        assert!(f[1].remediation.is_empty());
        // A chain that already validates gets no what-if.
        let f = judged(
            &cisco_chain("smartreceiver.cisco.com"),
            HOST,
            &with("Lab Root"),
        );
        assert!(f.is_empty(), "{f:#?}");
    }

    /// A chain read from a text's fields has no keys: a keyed root (a PEM `--ca-file`)
    /// matches it by name only, and what rests on that match is medium; the DER's chain is
    /// matched by key and name. A negative verdict keeps its confidence.
    #[test]
    fn an_anchor_matched_by_name_only_is_medium() {
        let der = [
            cert("onprem.example", "Lab Root", 1_600_000_000, 1_900_000_000),
            ca("Lab Root", "Lab Root"),
        ];
        let fields: Vec<CertInfo> = der
            .iter()
            .map(|c| CertInfo {
                spki_sha256: String::new(),
                read_from: CertSource::DissectionFields,
                ..c.clone()
            })
            .collect();
        let with = |subject: &str| DiagnoseConfig {
            ca_file: Some((
                "lab.pem".into(),
                test_config().trust.with_roots_of(&TrustProfile {
                    name: "lab.pem".into(),
                    kind: crate::model::trust::ProfileKind::Device,
                    roots: vec![TrustedRoot {
                        subject_cn: "Lab Root".into(),
                        subject: Some(subject.into()),
                        spki_sha256: Some("Lab Root".into()),
                    }],
                    fn72323_affected: None,
                }),
            )),
            ..test_config()
        };
        let what_if = |certs: &[CertInfo], subject: &str| {
            let f = judged(certs, Some("onprem.example"), &with(subject));
            assert_eq!(f[0].code, FindingCode::UntrustedRoot);
            assert_eq!(
                f[0].confidence,
                Confidence::Certain,
                "a name not in the profile"
            );
            (f[1].severity, f[1].confidence)
        };
        assert_eq!(
            what_if(&der, "CN=Lab Root"),
            (Severity::Info, Confidence::Certain)
        );
        assert_eq!(
            what_if(&fields, "CN=Lab Root"),
            (Severity::Info, Confidence::Medium)
        );
        assert_eq!(
            what_if(&fields, "CN=Other Root"),
            (Severity::Warning, Confidence::Certain)
        );
    }

    #[test]
    fn host_prefers_sni_then_connect_target_then_name() {
        use crate::model::testing::connection;
        let c = connection()
            .proxy_target("tools.cisco.com:443")
            .server_name("proxy.example")
            .build();
        assert_eq!(host_of(&c, Some("a.example")).as_deref(), Some("a.example"));
        assert_eq!(host_of(&c, None).as_deref(), Some("tools.cisco.com"));
        let direct = connection().server_name("smartreceiver.cisco.com").build();
        assert_eq!(
            host_of(&direct, None).as_deref(),
            Some("smartreceiver.cisco.com")
        );
    }
}
