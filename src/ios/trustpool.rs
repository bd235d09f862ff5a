//! `show crypto pki trustpool`: the CA certificates the switch trusts, as printed (no
//! key material: subject, issuer, serial, validity, CRL distribution point). Enough for
//! `--trust-store` to judge a chain by name the way the switch's pool would, when PEM is
//! not at hand.

use super::error::IosTextError;
use crate::model::trust::{ProfileKind, TrustProfile, TrustedRoot};

/// Certificates read at most (a built-in pool holds about 16; a paste is bounded).
const MAX_CERTS: usize = 10_000;

/// One `CA Certificate` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustpoolCert {
    pub status: Option<String>,
    pub serial: Option<String>,
    pub subject_cn: Option<String>,
    pub subject_o: Option<String>,
    pub issuer_cn: Option<String>,
    pub crl_url: Option<String>,
    /// `end   date: 19:28:06 UTC Jul 5 2037` as printed.
    pub end_date: Option<String>,
    /// `Trustpool: Built-In` / `Downloaded`.
    pub pool: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Part {
    Other,
    Subject,
    Issuer,
    Crl,
}

/// Every `CA Certificate` block of the text (other lines are skipped).
pub fn parse_trustpool(text: &str) -> Vec<TrustpoolCert> {
    let mut out: Vec<TrustpoolCert> = Vec::new();
    let mut part = Part::Other;
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r').trim();
        if line == "CA Certificate" || line == "Certificate" {
            if out.len() >= MAX_CERTS {
                break;
            }
            out.push(TrustpoolCert::default());
            part = Part::Other;
            continue;
        }
        let Some(cert) = out.last_mut() else {
            continue;
        };
        if let Some((k, v)) = line.split_once(['=', ':']).filter(|(k, _)| {
            // `cn=`, `o=` lines under Subject/Issuer; keys never contain spaces there.
            !k.contains(' ') && line.as_bytes().get(k.len()) == Some(&b'=')
        }) {
            let v = v.trim().to_string();
            match (part, k.to_ascii_lowercase().as_str()) {
                (Part::Subject, "cn") => cert.subject_cn = Some(v),
                (Part::Subject, "o") => cert.subject_o = Some(v),
                (Part::Issuer, "cn") => cert.issuer_cn = Some(v),
                _ => {}
            }
            continue;
        }
        if part == Part::Crl && line.contains("://") {
            cert.crl_url.get_or_insert_with(|| line.to_string());
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        part = Part::Other;
        match k.trim().to_ascii_lowercase().as_str() {
            "status" => cert.status = Some(v.to_string()),
            "certificate serial number (hex)" | "certificate serial number" => {
                cert.serial = Some(v.to_string())
            }
            "subject" => part = Part::Subject,
            "issuer" => part = Part::Issuer,
            "crl distribution points" => part = Part::Crl,
            "end   date" | "end date" => cert.end_date = Some(v.to_string()),
            "trustpool" => cert.pool = Some(v.to_string()),
            _ => {}
        }
    }
    out.retain(|c| c.subject_cn.is_some() || c.serial.is_some());
    out
}

/// `--trust-store` text: PEM certificates, or the output of `show crypto pki trustpool`
/// (matched by subject name, as the printout carries no keys).
pub fn parse_trust_store_text(name: &str, text: &str) -> Result<TrustProfile, IosTextError> {
    if text.contains("-----BEGIN CERTIFICATE-----") {
        return TrustProfile::from_pem(name, text.as_bytes()).map_err(|reason| {
            IosTextError::BadPem {
                file: name.to_string(),
                reason: reason.to_string(),
            }
        });
    }
    let roots: Vec<TrustedRoot> = parse_trustpool(text)
        .into_iter()
        .filter(|c| {
            c.status
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case("available"))
        })
        .filter_map(|c| c.subject_cn)
        .map(|cn| TrustedRoot {
            subject_cn: cn,
            subject: None,
            spki_sha256: None,
        })
        .collect();
    if roots.is_empty() {
        return Err(IosTextError::NoCertificate {
            file: name.to_string(),
        });
    }
    Ok(TrustProfile {
        name: format!("trustpool {name} (show crypto pki trustpool, by name)"),
        kind: ProfileKind::Device,
        roots,
        fn72323_affected: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "CA Certificate\r\n  Status: Available\r\n  Certificate Serial Number (hex): 0A0142800000014523C844B500000002\r\n  Certificate Usage: Signature\r\n  Issuer: \r\n    cn=IdenTrust Commercial Root CA 1\r\n    o=IdenTrust\r\n    c=US\r\n  Subject: \r\n    cn=IdenTrust Commercial Root CA 1\r\n    o=IdenTrust\r\n    c=US\r\n  Validity Date: \r\n    start date: 18:12:23 UTC Jan 16 2014\r\n    end   date: 18:12:23 UTC Jan 16 2034\r\n  Associated Trustpoints: Trustpool \r\n  Trustpool: Built-In\r\n\r\nCA Certificate\n  Status: Available\n  Certificate Serial Number (hex): 01\n  Issuer: \n    cn=Cisco Root CA 2099\n  Subject: \n    o=Cisco\n    cn=High Assurance SUDI CA\n  CRL Distribution Points: \n    http://www.cisco.com/security/pki/crl/crca2099.crl\n  Validity Date: \n    end   date: 02:28:27 IST Aug 10 2099";

    #[test]
    fn blocks_as_printed() {
        let certs = parse_trustpool(TWO);
        assert_eq!(certs.len(), 2);
        assert_eq!(
            certs[0],
            TrustpoolCert {
                status: Some("Available".into()),
                serial: Some("0A0142800000014523C844B500000002".into()),
                subject_cn: Some("IdenTrust Commercial Root CA 1".into()),
                subject_o: Some("IdenTrust".into()),
                issuer_cn: Some("IdenTrust Commercial Root CA 1".into()),
                crl_url: None,
                end_date: Some("18:12:23 UTC Jan 16 2034".into()),
                pool: Some("Built-In".into()),
            }
        );
        // `o=` before `cn=`, a CRL URL, no final newline.
        assert_eq!(
            certs[1].subject_cn.as_deref(),
            Some("High Assurance SUDI CA")
        );
        assert_eq!(
            certs[1].crl_url.as_deref(),
            Some("http://www.cisco.com/security/pki/crl/crca2099.crl")
        );
        assert_eq!(
            certs[1].end_date.as_deref(),
            Some("02:28:27 IST Aug 10 2099")
        );
    }

    #[test]
    fn trust_store_from_text_or_nothing() {
        let p = parse_trust_store_text("pool.txt", TWO).unwrap();
        let names: Vec<&str> = p.roots.iter().map(|r| r.subject_cn.as_str()).collect();
        assert_eq!(
            names,
            ["IdenTrust Commercial Root CA 1", "High Assurance SUDI CA"]
        );
        assert_eq!(
            parse_trust_store_text("x.txt", "hello\n").unwrap_err(),
            IosTextError::NoCertificate {
                file: "x.txt".into()
            }
        );
        assert!(matches!(
            parse_trust_store_text("bad.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n"),
            Err(IosTextError::BadPem { .. })
        ));
    }
}
