//! Chain judgement: what a presented chain means against a device's trust profile
//! (`model::trust`; Cisco Field Notice FN72323). Never hard-codes one chain: the built-in
//! IOS XE profile is a list of root names, replaceable with a real trustpool
//! (`--trust-store`).

use super::interceptors;
use crate::model::trust::{IDENTRUST_ROOT, IOS_XE_ROOTS, ProfileKind, TrustProfile};
use crate::model::{CertInfo, dn};

/// CAs of the public chains Cisco's licensing names were issued under (FN72323).
const CISCO_PUBLIC_CA_MARKERS: &[&str] = &["HydrantID", "IdenTrust", "QuoVadis"];
/// Public Cisco licensing names: a chain for these from any other CA is interception.
pub const CISCO_PUBLIC_NAMES: &[&str] = &[
    "smartreceiver.cisco.com",
    "tools.cisco.com",
    "smartreceiver-stage.cisco.com",
    "smartreceiver-dev.cisco.com",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainVerdict {
    Trusted {
        anchor: String,
    },
    /// A Cisco public licensing name, issued outside the expected public chain.
    Interception {
        issuer: String,
        /// The inspection product named by the catalogue, when its CA is recognised.
        product: Option<&'static str>,
        anchor_trusted: bool,
    },
    RootMissingOnDevice {
        root: String,
        why: String,
    },
    UntrustedRoot {
        root: String,
    },
    IncompleteChain {
        top: String,
        missing_issuer: String,
    },
    Empty,
}

/// Walks the presented chain from the leaf and judges it against `profile`.
pub fn judge_chain(certs: &[CertInfo], host: Option<&str>, profile: &TrustProfile) -> ChainVerdict {
    let Some(leaf) = certs.first() else {
        return ChainVerdict::Empty;
    };
    let mut path = vec![leaf];
    let mut top = leaf;
    while !top.self_signed && path.len() <= certs.len() {
        match certs
            .iter()
            .find(|c| c.subject == top.issuer && !std::ptr::eq(*c, top))
        {
            Some(next) => {
                path.push(next);
                top = next;
            }
            None => break,
        }
    }
    let root_sent = top.self_signed;
    // Names in verdicts are for messages: written as people read them (model::dn).
    let anchor = dn::display(if root_sent { &top.subject } else { &top.issuer });
    let anchored = if root_sent {
        profile.trusts_cert(top)
    } else {
        profile.trusts_issuer(top)
    };

    let cisco_public = is_cisco_public_name(host);
    let product = interceptors::identify(certs).map(|i| i.product);
    if let Some(product) = product {
        return ChainVerdict::Interception {
            issuer: dn::display(&leaf.issuer),
            product: Some(product),
            anchor_trusted: anchored,
        };
    }
    if cisco_public {
        let names: Vec<&str> = path
            .iter()
            .flat_map(|c| [c.subject.as_str(), c.issuer.as_str()])
            .collect();
        let public = names
            .iter()
            .any(|n| CISCO_PUBLIC_CA_MARKERS.iter().any(|m| n.contains(m)));
        // A chain under a well-known public root is Cisco changing CAs, not an interceptor
        // (no inspection product holds a publicly trusted CA): judged by trust below. A
        // self-signed server certificate is its own untrusted root (principle 1): nothing
        // re-signed it, so it is judged by trust below too.
        if !public && !anchored_at_public_root(top) && !leaf.self_signed {
            return ChainVerdict::Interception {
                issuer: dn::display(&leaf.issuer),
                product: None,
                anchor_trusted: anchored,
            };
        }
    }
    if anchored {
        return ChainVerdict::Trusted { anchor };
    }
    let anchor_cn = if root_sent {
        top.subject_cn.clone()
    } else {
        top.issuer_cn.clone()
    }
    .unwrap_or_default();
    if let Some(why) = &profile.fn72323_affected
        && anchor_cn == IDENTRUST_ROOT
    {
        return ChainVerdict::RootMissingOnDevice {
            root: anchor,
            why: why.clone(),
        };
    }
    // A root a current IOS XE trusts, missing from this device's trustpool (an exported
    // `--trust-store` of an old or trimmed switch): the device's fault, not the server's.
    if profile.kind == ProfileKind::Device && IOS_XE_ROOTS.contains(&anchor_cn.as_str()) {
        return ChainVerdict::RootMissingOnDevice {
            root: anchor,
            why: format!(
                "a current IOS XE trustpool holds '{anchor_cn}' but the {} does not",
                profile.name
            ),
        };
    }
    // The issuer of the top certificate was not sent. Servers are not expected to send
    // their root (RFC 8446 §4.4.2 allows omitting it), so only an issuer that is not a
    // well-known root means a missing intermediate.
    if !root_sent && !top.is_ca && !is_well_known_root(top) {
        return ChainVerdict::IncompleteChain {
            top: dn::display(&top.subject),
            missing_issuer: dn::display(&top.issuer),
        };
    }
    ChainVerdict::UntrustedRoot { root: anchor }
}

/// One of Cisco's public licensing names (whose chain must be the public HydrantID one).
pub fn is_cisco_public_name(host: Option<&str>) -> bool {
    host.is_some_and(|h| CISCO_PUBLIC_NAMES.iter().any(|n| n.eq_ignore_ascii_case(h)))
}

/// Mozilla's roots as (distinguished name, SHA-256 of the SubjectPublicKeyInfo), computed once.
fn mozilla_roots() -> &'static std::collections::HashSet<(String, String)> {
    static ROOTS: std::sync::OnceLock<std::collections::HashSet<(String, String)>> =
        std::sync::OnceLock::new();
    ROOTS.get_or_init(|| {
        use sha2::{Digest, Sha256};
        webpki_roots::TLS_SERVER_ROOTS
            .iter()
            .filter_map(|a| {
                let (subject, _) = crate::wire::x509::name_from_der_contents(a.subject.as_ref())?;
                let spki = crate::wire::x509::der_sequence(a.subject_public_key_info.as_ref());
                let hash: String = Sha256::digest(&spki)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                Some((subject, hash))
            })
            .collect()
    })
}

/// The issuer of `c` (not sent) is a well-known root: in Mozilla's store (by distinguished
/// name: the name is all a chain without its root shows) or in the IOS XE list (by common
/// name).
fn is_well_known_root(c: &CertInfo) -> bool {
    mozilla_roots().iter().any(|(dn, _)| *dn == c.issuer)
        || c.issuer_cn
            .as_deref()
            .is_some_and(|cn| IOS_XE_ROOTS.contains(&cn))
}

/// The chain whose top certificate is `top` ends at a public root: the sent root matches
/// one of Mozilla's by name and key, or the unsent root is one by name.
fn anchored_at_public_root(top: &CertInfo) -> bool {
    if top.self_signed && top.key_unknown() {
        // Read from a text's fields: by name only (the key is not in the text).
        mozilla_roots().iter().any(|(dn, _)| *dn == top.subject)
    } else if top.self_signed {
        mozilla_roots().contains(&(top.subject.clone(), top.spki_sha256.clone()))
    } else {
        mozilla_roots().iter().any(|(dn, _)| *dn == top.issuer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::trust::{IosVersion, TrustedRoot};

    fn cert(subject_cn: &str, issuer_cn: &str, ca: bool) -> CertInfo {
        if ca {
            crate::model::testing::ca(subject_cn, issuer_cn)
        } else {
            crate::model::testing::cert(subject_cn, issuer_cn, 1_600_000_000, 1_900_000_000)
        }
    }

    /// Principle 1: a self-signed certificate for a licensing name is its own untrusted
    /// root, not interception (nothing re-signed it) and not an incomplete chain.
    #[test]
    fn a_self_signed_server_certificate_is_its_own_untrusted_root() {
        let profile = TrustProfile::ios_xe(None);
        let own = crate::model::testing::cert(
            "smartreceiver.cisco.com",
            "smartreceiver.cisco.com",
            1_600_000_000,
            1_900_000_000,
        );
        assert!(own.self_signed);
        assert!(matches!(
            judge_chain(std::slice::from_ref(&own), Some("smartreceiver.cisco.com"), &profile),
            ChainVerdict::UntrustedRoot { root } if root.contains("smartreceiver.cisco.com")
        ));
        assert!(matches!(
            judge_chain(&[own], Some("onprem.example"), &profile),
            ChainVerdict::UntrustedRoot { .. }
        ));
    }

    fn cisco_chain() -> Vec<CertInfo> {
        vec![
            cert("smartreceiver.cisco.com", "HydrantID Server CA O1", false),
            cert("HydrantID Server CA O1", IDENTRUST_ROOT, true),
        ]
    }

    /// A licensing leaf re-signed by an interceptor's CA, that CA sent along.
    fn bumped_chain() -> Vec<CertInfo> {
        let ca = "Lab Squid Interception CA";
        vec![
            cert("smartreceiver.cisco.com", ca, false),
            cert(ca, ca, true),
        ]
    }

    #[test]
    fn fn72323_releases() {
        for (v, ok) in [
            ("17.3.2a", false),
            ("17.3.4", true),
            ("16.12.5b", false),
            ("16.12.6", true),
            ("17.6.1", true),
            ("17.2.1", false),
            ("17.9.4", true),
            ("17.5.1", true),
            ("17.4.1", false),
        ] {
            assert_eq!(
                v.parse::<IosVersion>().unwrap().has_identrust_root(),
                ok,
                "{v}"
            );
        }
        assert!("seventeen".parse::<IosVersion>().is_err());
    }

    #[test]
    fn verdicts() {
        let host = Some("smartreceiver.cisco.com");
        let recent = TrustProfile::ios_xe(None);
        assert!(matches!(
            judge_chain(&cisco_chain(), host, &recent),
            ChainVerdict::Trusted { .. }
        ));
        let old = TrustProfile::ios_xe(Some("17.3.2".parse().unwrap()));
        assert!(matches!(
            judge_chain(&cisco_chain(), host, &old),
            ChainVerdict::RootMissingOnDevice { .. }
        ));
        let bumped = bumped_chain();
        assert!(
            matches!(judge_chain(&bumped, host, &recent), ChainVerdict::Interception { issuer, .. } if issuer.contains("Squid"))
        );
        // A known inspection product is interception for any host, and is named.
        assert!(matches!(
            judge_chain(&bumped, Some("onprem.example"), &recent),
            ChainVerdict::Interception { product: Some(p), .. } if p.starts_with("Squid")
        ));
        // A private CA for an On-Prem name is no interception, just an unknown root.
        let private = vec![
            cert("onprem.example", "Example Corp Private CA", false),
            cert("Example Corp Private CA", "Example Corp Private CA", true),
        ];
        assert!(matches!(
            judge_chain(&private, Some("onprem.example"), &recent),
            ChainVerdict::UntrustedRoot { .. }
        ));
        let leaf_only = vec![cert("onprem.example", "Some Intermediate", false)];
        assert!(matches!(
            judge_chain(&leaf_only, Some("onprem.example"), &recent),
            ChainVerdict::IncompleteChain { .. }
        ));
    }

    /// A leaf issued directly by a well-known root that was not sent: the root is missing
    /// from the device, not an intermediate from the server.
    #[test]
    fn a_missing_root_is_never_an_incomplete_chain() {
        let mozilla = TrustProfile::mozilla();
        let isrg = mozilla
            .roots
            .iter()
            .find(|r| r.subject_cn == "ISRG Root X1")
            .and_then(|r| r.subject.clone())
            .expect("webpki-roots has ISRG Root X1");
        let mut leaf = cert("onprem.example", "ISRG Root X1", false);
        leaf.issuer = isrg;
        let recent = TrustProfile::ios_xe(None);
        assert_eq!(
            judge_chain(std::slice::from_ref(&leaf), Some("onprem.example"), &recent),
            // Verdicts name the root as messages write names (model::dn: CN first).
            ChainVerdict::UntrustedRoot {
                root: dn::display(&leaf.issuer)
            }
        );
        // Mozilla trusts it: the same leaf is fine for a public host.
        assert!(matches!(
            judge_chain(
                std::slice::from_ref(&leaf),
                Some("onprem.example"),
                &mozilla
            ),
            ChainVerdict::Trusted { .. }
        ));
        // For Cisco's own name too: a chain under a public root is Cisco changing CAs (to
        // one the device lacks), not an interceptor.
        assert!(matches!(
            judge_chain(
                std::slice::from_ref(&leaf),
                Some("smartreceiver.cisco.com"),
                &recent
            ),
            ChainVerdict::UntrustedRoot { .. }
        ));
        // A sent root that borrows a public root's name but not its key is no public root.
        let mut fake_root = cert("ISRG Root X1", "ISRG Root X1", true);
        fake_root.subject = leaf.issuer.clone();
        fake_root.issuer = leaf.issuer.clone();
        fake_root.spki_sha256 = "not the real key".into();
        assert!(matches!(
            judge_chain(
                &[leaf.clone(), fake_root],
                Some("smartreceiver.cisco.com"),
                &recent
            ),
            ChainVerdict::Interception { product: None, .. }
        ));
        // A leaf whose issuer is no known root, sent alone: a missing intermediate.
        let lone = cert("onprem.example", "Some Intermediate", false);
        assert!(matches!(
            judge_chain(&[lone], Some("onprem.example"), &recent),
            ChainVerdict::IncompleteChain { .. }
        ));
    }

    /// A trustpool exported from a switch that lacks a root every current IOS XE has:
    /// root_missing_on_device (the FN72323 case without a version number).
    #[test]
    fn a_trust_store_without_a_current_ios_xe_root_is_the_device_missing_it() {
        let store = TrustProfile {
            name: "trust store old-switch.pem".into(),
            kind: ProfileKind::Device,
            roots: vec![TrustedRoot {
                subject_cn: "QuoVadis Root CA 2".into(),
                subject: None,
                spki_sha256: None,
            }],
            fn72323_affected: None,
        };
        let verdict = judge_chain(&cisco_chain(), Some("smartreceiver.cisco.com"), &store);
        assert!(
            matches!(&verdict, ChainVerdict::RootMissingOnDevice { root, why }
                if root.contains(IDENTRUST_ROOT) && why.contains("old-switch.pem")),
            "{verdict:?}"
        );
        // Judged against a public store, the same miss is just an untrusted root.
        let public = TrustProfile {
            kind: ProfileKind::Public,
            ..store
        };
        assert!(matches!(
            judge_chain(&cisco_chain(), Some("smartreceiver.cisco.com"), &public),
            ChainVerdict::UntrustedRoot { .. }
        ));
    }

    #[test]
    fn the_probe_refuses_exactly_what_the_rules_call_an_error() {
        use crate::diagnose::DiagnoseConfig;
        use crate::diagnose::cert::switch_rejects;
        use crate::model::FindingCode::*;
        let cfg = |trust| DiagnoseConfig {
            now_unix: 1_800_000_000,
            trust,
            judge_all_chains: true,
            ca_file: None,
            revocation_checked_by: None,
        };
        let host = Some("smartreceiver.cisco.com");
        let at = 1_800_000_000_000_000_000;
        let recent = cfg(TrustProfile::ios_xe(None));
        assert_eq!(switch_rejects(&cisco_chain(), host, at, &recent), None);
        let old = cfg(TrustProfile::ios_xe(Some("17.3.2".parse().unwrap())));
        assert_eq!(
            switch_rejects(&cisco_chain(), host, at, &old),
            Some(RootMissingOnDevice)
        );
        let mut expired = cisco_chain();
        expired[0].not_after = 1_700_000_000;
        assert_eq!(
            switch_rejects(&expired, host, at, &recent),
            Some(CertExpired)
        );
        assert_eq!(
            switch_rejects(&cisco_chain(), Some("tools.cisco.com"), at, &recent),
            Some(CertHostnameMismatch)
        );
        let bumped = bumped_chain();
        assert_eq!(
            switch_rejects(&bumped, host, at, &recent),
            Some(SslInterception)
        );
        // A switch that was given the interceptor's CA goes on (the finding remains).
        let proxy_ca = TrustProfile {
            name: "proxy CA".into(),
            kind: ProfileKind::Device,
            roots: vec![TrustedRoot {
                subject_cn: "Lab Squid Interception CA".into(),
                subject: None,
                spki_sha256: None,
            }],
            fn72323_affected: None,
        };
        let trusting = cfg(recent.trust.with_roots_of(&proxy_ca));
        assert_eq!(switch_rejects(&bumped, host, at, &trusting), None);
        assert_eq!(switch_rejects(&[], host, at, &recent), None);
    }
}
