//! The catalogue of TLS-inspection products: which CA names betray which interceptor, so
//! `ssl_interception` can say *which* product re-signed a chain, and so interception by a
//! known product is recognised for any host, not only for Cisco's licensing names.
//!
//! Data, not logic: each entry is a product and the name fragments (matched without regard
//! to case inside the subject or issuer distinguished name of any certificate of the
//! presented chain) that its default or documented inspection CA carries. The sources are
//! listed per entry and in docs/interceptors.md. A fragment must be specific to the product:
//! "Symantec" alone is a public CA, "Cisco" alone is Cisco's own licensing chain, so those
//! are never fragments on their own. Pure: no I/O.

use crate::model::CertInfo;

/// One inspection product and how its CA names itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interceptor {
    /// The product, as it is called in reports.
    pub product: &'static str,
    /// Fragments of its inspection CA's distinguished name (case-insensitive).
    pub fragments: &'static [&'static str],
    /// Where the name comes from.
    pub source: &'static str,
}

/// The catalogue. Keep docs/interceptors.md in step (a test checks every product is there).
pub const CATALOGUE: &[Interceptor] = &[
    Interceptor {
        product: "Zscaler",
        fragments: &["Zscaler"],
        source: "Zscaler Help, 'Choosing the CA Certificate for SSL Inspection': chains signed by the Zscaler intermediate CA under 'Zscaler Root CA'",
    },
    Interceptor {
        product: "Cisco Umbrella / Secure Internet Gateway",
        fragments: &["Cisco Umbrella"],
        source: "Umbrella support, 'Why Is the Expiration of Certificates from the Cisco Umbrella Proxy Within Days': 'Cisco Umbrella Root CA', 'Cisco Umbrella Secondary SubCA'",
    },
    Interceptor {
        product: "Palo Alto Networks (SSL Forward Proxy)",
        fragments: &["Palo Alto Networks"],
        source: "PAN-OS Administrator's Guide, Decryption: the Forward Trust certificate re-signs server certificates",
    },
    Interceptor {
        product: "Fortinet FortiGate / FortiProxy (deep inspection)",
        fragments: &["Fortinet_CA_SSL", "FortiGate", "Fortinet"],
        source: "FortiOS Administration Guide, SSL/SSH inspection: default CA certificate 'Fortinet_CA_SSL'",
    },
    Interceptor {
        product: "Netskope",
        fragments: &["Netskope"],
        source: "Netskope SSL decryption: 'caadmin.netskope.com' / 'Netskope' CA",
    },
    Interceptor {
        product: "Blue Coat / Symantec ProxySG",
        fragments: &["Blue Coat", "BlueCoat", "ProxySG"],
        source: "ProxySG SSL interception: default issuer 'Blue Coat' CA",
    },
    Interceptor {
        product: "Forcepoint / Websense",
        fragments: &["Forcepoint", "Websense"],
        source: "Forcepoint Web Security SSL decryption: 'Forcepoint' / 'Websense' root",
    },
    Interceptor {
        product: "Sophos",
        fragments: &["Sophos"],
        source: "Sophos Firewall / UTM HTTPS scanning: 'Sophos SSL CA'",
    },
    Interceptor {
        product: "Check Point (HTTPS Inspection)",
        fragments: &["Check Point", "CheckPoint"],
        source: "Check Point HTTPS Inspection: the gateway's outbound CA",
    },
    Interceptor {
        product: "Squid (ssl-bump)",
        fragments: &["Squid"],
        source: "Squid SslBump: a CA the administrator generates; the lab's is 'Lab Squid Interception CA'",
    },
    Interceptor {
        product: "McAfee / Skyhigh Web Gateway",
        fragments: &["McAfee Web Gateway", "Skyhigh"],
        source: "McAfee Web Gateway SSL Scanner default CA",
    },
    Interceptor {
        product: "Cloudflare Gateway",
        fragments: &["Cloudflare for Teams", "Gateway CA - Cloudflare"],
        source: "Cloudflare Zero Trust: 'Cloudflare for Teams ECC Certificate Authority' / 'Gateway CA - Cloudflare Managed'",
    },
    Interceptor {
        product: "iboss",
        fragments: &["iboss"],
        source: "iboss cloud SSL decryption root",
    },
    Interceptor {
        product: "Menlo Security",
        fragments: &["Menlo Security"],
        source: "Menlo Security isolation proxy CA",
    },
    Interceptor {
        product: "Barracuda Web Security Gateway",
        fragments: &["Barracuda"],
        source: "Barracuda SSL inspection CA",
    },
    Interceptor {
        product: "WatchGuard (HTTPS proxy)",
        fragments: &["WatchGuard"],
        source: "WatchGuard Firebox Proxy Authority",
    },
    Interceptor {
        product: "SonicWall (DPI-SSL)",
        fragments: &["SonicWall", "SonicWALL"],
        source: "SonicWall DPI-SSL re-signing authority",
    },
    Interceptor {
        product: "mitmproxy",
        fragments: &["mitmproxy"],
        source: "mitmproxy's generated CA 'mitmproxy'",
    },
    Interceptor {
        product: "Fiddler",
        fragments: &["DO_NOT_TRUST_Fiddler"],
        source: "Fiddler's root 'DO_NOT_TRUST_FiddlerRoot'",
    },
    Interceptor {
        product: "Burp Suite",
        fragments: &["PortSwigger"],
        source: "Burp's CA 'PortSwigger CA'",
    },
    Interceptor {
        product: "Kaspersky (encrypted connection scan)",
        fragments: &["Kaspersky"],
        source: "Kaspersky 'Anti-Virus Personal Root Certificate'",
    },
    Interceptor {
        product: "ESET (SSL/TLS filtering)",
        fragments: &["ESET SSL Filter"],
        source: "ESET 'ESET SSL Filter CA'",
    },
    Interceptor {
        product: "Avast / AVG (Web Shield)",
        fragments: &["Avast Web/Mail Shield", "AVG Web/Mail Shield"],
        source: "Avast 'Avast Web/Mail Shield Root'",
    },
];

/// The service domains of interception clouds, for a chain whose CA was renamed (a
/// customer's own sub-CA) but whose re-signed certificates still point their CRL or OCSP
/// URLs at the cloud that generated them: the product, its domains (a URL's host equal to
/// one or under it), and the source. Keep docs/interceptors.md in step (a test checks).
pub const REVOCATION_DOMAINS: &[(&str, &[&str], &str)] = &[
    (
        "Zscaler",
        &[
            "zscaler.net",
            "zscalerone.net",
            "zscalertwo.net",
            "zscalerthree.net",
            "zscloud.net",
            "zscalerbeta.net",
            "zscalergov.net",
        ],
        "Zscaler Help, 'What is my cloud name for ZIA?': the ZIA clouds zscaler.net, zscalerone.net, zscalertwo.net, zscalerthree.net, zscloud.net, zscalerbeta.net, zscalergov.net",
    ),
    (
        "Netskope",
        &["goskope.com"],
        "Netskope: its steering and proxy service runs under goskope.com",
    ),
];

/// The host of an `http://host[:port]/...` URL, lower-case.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next()?.trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The interception cloud a chain's CRL or OCSP URLs point to, if any.
fn identify_by_revocation_hosts(certs: &[CertInfo]) -> Option<&'static Interceptor> {
    let hosts: Vec<String> = certs
        .iter()
        .flat_map(|c| c.crl_urls.iter().chain(&c.ocsp_urls))
        .filter_map(|u| url_host(u))
        .collect();
    let (product, _, _) = REVOCATION_DOMAINS.iter().find(|(_, domains, _)| {
        hosts.iter().any(|h| {
            domains
                .iter()
                .any(|d| h == d || h.strip_suffix(d).is_some_and(|p| p.ends_with('.')))
        })
    })?;
    CATALOGUE.iter().find(|i| i.product == *product)
}

/// The inspection product whose CA appears in the chain, if any: the leaf's issuer first,
/// then every other certificate's subject and issuer, then the hosts of the chain's CRL
/// and OCSP URLs ([`REVOCATION_DOMAINS`]).
pub fn identify(certs: &[CertInfo]) -> Option<&'static Interceptor> {
    by_name(certs).or_else(|| identify_by_revocation_hosts(certs))
}

fn by_name(certs: &[CertInfo]) -> Option<&'static Interceptor> {
    let names = certs.iter().take(1).map(|leaf| leaf.issuer.as_str()).chain(
        certs
            .iter()
            .skip(1)
            .flat_map(|c| [c.subject.as_str(), c.issuer.as_str()]),
    );
    for name in names {
        let lower = name.to_ascii_lowercase();
        if let Some(hit) = CATALOGUE.iter().find(|i| {
            i.fragments
                .iter()
                .any(|f| lower.contains(&f.to_ascii_lowercase()))
        }) {
            return Some(hit);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(subject: &str, issuer: &str) -> CertInfo {
        CertInfo {
            subject: subject.into(),
            issuer: issuer.into(),
            subject_cn: None,
            issuer_cn: None,
            serial: "01".into(),
            not_before: 0,
            not_after: i64::MAX,
            sans: vec![],
            sha256: String::new(),
            self_signed: subject == issuer,
            is_ca: false,
            crl_urls: vec![],
            ocsp_urls: vec![],
            spki_sha256: String::new(),
            read_from: crate::model::CertSource::Der,
        }
    }

    #[test]
    fn names_the_product_from_the_leaf_issuer() {
        let chain = [cert(
            "CN=smartreceiver.cisco.com",
            "C=US, O=Zscaler Inc., CN=Zscaler Intermediate Root CA (zscaler.net)",
        )];
        assert_eq!(identify(&chain).map(|i| i.product), Some("Zscaler"));
        let fortinet = [cert(
            "CN=tools.cisco.com",
            "C=US, O=Fortinet, OU=Certificate Authority, CN=FG100F3G19000000",
        )];
        assert_eq!(
            identify(&fortinet).map(|i| i.product),
            Some("Fortinet FortiGate / FortiProxy (deep inspection)")
        );
    }

    #[test]
    fn looks_at_the_rest_of_the_chain_and_ignores_case() {
        let chain = [
            cert("CN=example.com", "CN=Customer SubCA"),
            cert("CN=Customer SubCA", "O=Cisco, CN=CISCO UMBRELLA ROOT CA"),
        ];
        assert_eq!(
            identify(&chain).map(|i| i.product),
            Some("Cisco Umbrella / Secure Internet Gateway")
        );
    }

    #[test]
    fn public_chains_are_not_interceptors() {
        let cisco = [
            cert(
                "CN=smartreceiver.cisco.com, O=Cisco Systems Inc.",
                "C=US, O=IdenTrust, OU=HydrantID Trusted Certificate Service, CN=HydrantID Server CA O1",
            ),
            cert(
                "C=US, O=IdenTrust, OU=HydrantID Trusted Certificate Service, CN=HydrantID Server CA O1",
                "C=US, O=IdenTrust, CN=IdenTrust Commercial Root CA 1",
            ),
        ];
        assert_eq!(identify(&cisco), None);
        let symantec_public = [cert(
            "CN=www.example.com",
            "C=US, O=Symantec Corporation, CN=Symantec Class 3 Secure Server CA - G4",
        )];
        assert_eq!(identify(&symantec_public), None);
        assert_eq!(identify(&[]), None);
    }

    /// A chain re-signed under a customer-named CA, whose CRL or OCSP URL points at an
    /// interception cloud, names that cloud for any host; a public chain's URLs do not.
    #[test]
    fn names_the_cloud_from_revocation_hosts() {
        let mut leaf = cert("CN=www.example.org", "CN=Example Corp Issuing CA 2");
        leaf.ocsp_urls = vec!["http://ocsp.zscalertwo.net/ocsp".into()];
        assert_eq!(
            identify(&[leaf.clone()]).map(|i| i.product),
            Some("Zscaler")
        );
        leaf.ocsp_urls = vec![];
        leaf.crl_urls = vec!["http://CRL.goskope.com:80/ca.crl".into()];
        assert_eq!(
            identify(&[leaf.clone()]).map(|i| i.product),
            Some("Netskope")
        );
        leaf.crl_urls = vec![
            "http://crl3.digicert.com/ssca-sha2-g6.crl".into(),
            "http://notzscaler.net/x.crl".into(),
        ];
        leaf.ocsp_urls = vec!["http://ocsp.digicert.com".into()];
        assert_eq!(identify(&[leaf]), None);
    }

    #[test]
    fn every_product_is_documented() {
        let doc = include_str!("../../docs/interceptors.md");
        for (product, domains, _) in REVOCATION_DOMAINS {
            assert!(CATALOGUE.iter().any(|i| i.product == *product), "{product}");
            for d in *domains {
                assert!(doc.contains(d), "docs/interceptors.md lacks {d}");
            }
        }
        for i in CATALOGUE {
            assert!(
                doc.contains(i.product),
                "docs/interceptors.md lacks {}",
                i.product
            );
            for f in i.fragments {
                assert!(!f.is_empty());
                assert!(
                    !f.eq_ignore_ascii_case("cisco") && !f.eq_ignore_ascii_case("symantec"),
                    "fragment {f} matches public chains"
                );
            }
        }
    }
}
