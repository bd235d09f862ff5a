//! Trust profiles read from certificates: a PEM trust store (`--trust-store`, `--ca-file`:
//! a switch's exported trustpool, a lab CA) and Mozilla's root store (webpki-roots), both
//! decoded with the X.509 reader of this folder.

use crate::model::trust::{ProfileKind, TrustError, TrustProfile, TrustedRoot};

impl TrustProfile {
    /// Mozilla's roots (webpki-roots), matched by subject name: for an SSM On-Prem or
    /// proxy with a publicly issued certificate.
    pub fn mozilla() -> TrustProfile {
        let roots = webpki_roots::TLS_SERVER_ROOTS
            .iter()
            .filter_map(|a| crate::wire::x509::name_from_der_contents(a.subject.as_ref()))
            .map(|(subject, cn)| TrustedRoot {
                subject_cn: cn.unwrap_or_default(),
                subject: Some(subject),
                spki_sha256: None,
            })
            .collect();
        TrustProfile {
            name: "Mozilla root store (webpki-roots)".into(),
            kind: ProfileKind::Public,
            roots,
            fn72323_affected: None,
        }
    }

    /// [`TrustProfile::mozilla`], built once for the whole run.
    pub fn mozilla_shared() -> &'static TrustProfile {
        static MOZILLA: std::sync::OnceLock<TrustProfile> = std::sync::OnceLock::new();
        MOZILLA.get_or_init(TrustProfile::mozilla)
    }

    /// A profile from PEM certificates (a switch's exported trustpool, or a lab CA).
    pub fn from_pem(name: &str, pem: &[u8]) -> Result<TrustProfile, TrustError> {
        let mut roots = Vec::new();
        for item in x509_parser::pem::Pem::iter_from_buffer(pem) {
            let item = item.map_err(|e| TrustError::BadPem {
                name: name.to_string(),
                why: e.to_string(),
            })?;
            if item.label != "CERTIFICATE" {
                continue;
            }
            let info = crate::wire::x509::parse_certificate(&item.contents).map_err(|e| {
                TrustError::BadCertificate {
                    name: name.to_string(),
                    why: e.to_string(),
                }
            })?;
            roots.push(TrustedRoot {
                subject_cn: info.subject_cn.clone().unwrap_or_default(),
                subject: Some(info.subject.clone()),
                spki_sha256: Some(info.spki_sha256.clone()),
            });
        }
        if roots.is_empty() {
            return Err(TrustError::NoCertificate {
                name: name.to_string(),
            });
        }
        Ok(TrustProfile {
            name: format!("trust store {name}"),
            kind: ProfileKind::Device,
            roots,
            fn72323_affected: None,
        })
    }
}
