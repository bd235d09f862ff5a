//! Pure protocol decoders: link/IP/TCP/UDP, DNS, HTTP heads, TLS records and handshake,
//! X.509. No I/O; every length from the wire is checked against a named limit.

pub mod dns;
mod error;
pub mod http;
pub mod link;
pub mod tls;
pub mod trust_store;
pub mod x509;

pub use error::WireError;
