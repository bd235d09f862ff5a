//! A rustls certificate verifier that first records the presented chain, so the probe
//! always sees (and reports) it, then refuses it exactly when the *switch* would: the
//! decision is `diagnose::cert::switch_rejects`, the certificate rules that judge captures. A
//! refused chain ends the handshake with the alert rustls sends for the reason
//! (unknown_ca, certificate_expired, bad_certificate), as the switch's client does, so a
//! capture of the probe looks like a capture of the switch. Handshake signatures are
//! still verified against the presented leaf key.

use crate::diagnose::DiagnoseConfig;
use crate::diagnose::cert::switch_rejects;
use crate::model::FindingCode;
use rustls::CertificateError;
use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use std::sync::{Arc, Mutex};

/// The chain as presented (leaf first), with when it arrived (ns since the epoch).
#[derive(Debug, Default, Clone)]
pub struct Presented {
    pub chain: Vec<Vec<u8>>,
    pub time_ns: i64,
}

#[derive(Debug)]
pub struct RecordingVerifier {
    provider: Arc<CryptoProvider>,
    pub seen: Arc<Mutex<Option<Presented>>>,
    /// How the switch judges chains, and for which host; `None` accepts every chain
    /// (`--accept-any-cert`).
    judge: Option<(Arc<DiagnoseConfig>, String)>,
}

impl RecordingVerifier {
    pub fn new(
        provider: Arc<CryptoProvider>,
        judge: Option<(Arc<DiagnoseConfig>, String)>,
    ) -> Self {
        RecordingVerifier {
            provider,
            seen: Arc::new(Mutex::new(None)),
            judge,
        }
    }
}

/// The rustls error (hence the alert on the wire) for the reason the switch refuses a chain.
fn refusal(code: FindingCode) -> CertificateError {
    match code {
        FindingCode::CertExpired => CertificateError::Expired,
        FindingCode::CertNotYetValid => CertificateError::NotValidYet,
        FindingCode::CertHostnameMismatch => CertificateError::NotValidForName,
        _ => CertificateError::UnknownIssuer,
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain: Vec<Vec<u8>> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.as_ref().to_vec())
            .collect();
        let time_ns = super::now_ns();
        let parsed: Vec<_> = chain
            .iter()
            .filter_map(|der| crate::wire::x509::parse_certificate(der).ok())
            .collect();
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(Presented { chain, time_ns });
        }
        match &self.judge {
            Some((cfg, host)) => match switch_rejects(&parsed, Some(host), time_ns, cfg) {
                Some(code) => Err(rustls::Error::InvalidCertificate(refusal(code))),
                None => Ok(ServerCertVerified::assertion()),
            },
            None => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
