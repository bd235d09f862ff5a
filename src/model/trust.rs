//! Trust profiles: which roots a device trusts (the built-in IOS XE list, a real trustpool
//! from `--trust-store`, Mozilla's store for hosts that are not the switch's concern), and
//! the IOS XE release that decides the built-in list (Cisco Field Notice FN72323). Data
//! only: `ios/trustpool.rs` and `wire/trust_store.rs` build profiles from text and PEM,
//! `diagnose/trust.rs` judges chains against them.

use super::CertInfo;

/// Roots of a recent IOS XE built-in trustpool relevant to licensing (FN72323). By
/// name only: the built-in profile has no keys, so a lab root with the same name matches.
pub const IOS_XE_ROOTS: &[&str] = &[
    "IdenTrust Commercial Root CA 1",
    "QuoVadis Root CA 2",
    "VeriSign Class 3 Public Primary Certification Authority - G5",
    "Cisco Licensing Root CA",
    "Cisco Root CA 2048",
    "Cisco Root CA M2",
];
pub const IDENTRUST_ROOT: &str = "IdenTrust Commercial Root CA 1";
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedRoot {
    pub subject_cn: String,
    pub subject: Option<String>,
    pub spki_sha256: Option<String>,
}

/// Whose roots a profile holds, which decides what a missing root means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    /// A switch's trustpool (the built-in IOS XE list or an exported `--trust-store`): a
    /// root a current IOS XE trusts but this profile lacks is `root_missing_on_device`.
    Device,
    /// A public root store (Mozilla's), for hosts that are not the switch's concern.
    Public,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustProfile {
    pub name: String,
    /// Whose trust this is: a device's trustpool, or a public root store.
    pub kind: ProfileKind,
    pub roots: Vec<TrustedRoot>,
    /// Why IdenTrust is absent, when FN72323 applies.
    pub fn72323_affected: Option<String>,
}

/// An IOS XE release, e.g. "17.3.2a" → (17, 3, 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IosVersion(pub u32, pub u32, pub u32);

/// A release or a trust store that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    #[error("'{0}' is not an IOS XE version like 17.3.2 or 16.12.5b")]
    BadVersion(String),
    #[error("{name}: bad PEM: {why}")]
    BadPem { name: String, why: String },
    #[error("{name}: {why}")]
    BadCertificate { name: String, why: String },
    #[error("{name}: no certificate found")]
    NoCertificate { name: String },
}

impl std::str::FromStr for IosVersion {
    type Err = TrustError;
    fn from_str(s: &str) -> Result<Self, TrustError> {
        let mut parts = s.trim().split('.').map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse::<u32>()
        });
        match (parts.next(), parts.next(), parts.next()) {
            (Some(Ok(a)), Some(Ok(b)), Some(Ok(c))) => Ok(IosVersion(a, b, c)),
            (Some(Ok(a)), Some(Ok(b)), None) => Ok(IosVersion(a, b, 0)),
            _ => Err(TrustError::BadVersion(s.to_string())),
        }
    }
}

impl std::fmt::Display for IosVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

impl IosVersion {
    /// FN72323 / CSCvx00521: fixed in 16.12.6, 17.3.4, 17.4.2, 17.5.1, 17.6.1, 17.7.1+.
    pub fn has_identrust_root(self) -> bool {
        let IosVersion(major, minor, patch) = self;
        match (major, minor) {
            (m, _) if m > 17 => true,
            (17, n) if n >= 7 => true,
            (17, 6) | (17, 5) => patch >= 1,
            (17, 4) => patch >= 2,
            (17, 3) => patch >= 4,
            (16, 12) => patch >= 6,
            _ => false,
        }
    }
}

impl TrustProfile {
    pub fn ios_xe(version: Option<IosVersion>) -> TrustProfile {
        let affected = version.filter(|v| !v.has_identrust_root());
        let roots = IOS_XE_ROOTS
            .iter()
            .filter(|r| affected.is_none() || **r != IDENTRUST_ROOT)
            .map(|r| TrustedRoot {
                subject_cn: r.to_string(),
                subject: None,
                spki_sha256: None,
            })
            .collect();
        TrustProfile {
            name: match version {
                Some(v) => format!("IOS XE {v} built-in trustpool"),
                None => "IOS XE built-in trustpool (recent release)".into(),
            },
            kind: ProfileKind::Device,
            roots,
            fn72323_affected: affected.map(|v| {
                format!(
                    "IOS XE {v} predates the FN72323 fix (CSCvx00521) and lacks {IDENTRUST_ROOT}"
                )
            }),
        }
    }

    /// This profile with `extra`'s roots added (`--ca-file`: "what if the switch had
    /// these CAs too?").
    pub fn with_roots_of(&self, extra: &TrustProfile) -> TrustProfile {
        let mut roots = self.roots.clone();
        roots.extend(extra.roots.iter().cloned());
        TrustProfile {
            name: format!("{} + {}", self.name, extra.name),
            kind: self.kind,
            roots,
            fn72323_affected: self.fn72323_affected.clone(),
        }
    }

    /// Trusts this certificate as an anchor: by key when the profile has keys, else by name.
    /// A certificate whose key is not known (read from a text's fields) is matched by name
    /// only: its distinguished name against the root's, else its common name.
    pub fn trusts_cert(&self, c: &CertInfo) -> bool {
        self.roots
            .iter()
            .any(|r| match (&r.spki_sha256, &r.subject) {
                (Some(_), Some(s)) if c.key_unknown() => *s == c.subject,
                (Some(k), Some(s)) => *k == c.spki_sha256 && *s == c.subject,
                _ => c.subject_cn.as_deref() == Some(r.subject_cn.as_str()),
            })
    }

    /// Whether trusting `c` as an anchor would compare a key this profile holds but `c`
    /// lacks (read from a text's fields): the match is then by name only.
    pub fn would_check_key(&self, c: &CertInfo) -> bool {
        c.key_unknown() && self.roots.iter().any(|r| r.spki_sha256.is_some())
    }

    /// Has a root named like this issuer (when the root itself was not sent).
    pub fn trusts_issuer(&self, c: &CertInfo) -> bool {
        self.roots.iter().any(|r| match &r.subject {
            Some(s) => *s == c.issuer,
            None => c.issuer_cn.as_deref() == Some(r.subject_cn.as_str()),
        })
    }
}
