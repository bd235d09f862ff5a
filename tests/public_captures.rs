//! licpath against real captures from other projects' test suites, compared with what
//! those projects (zeek, suricata, nDPI, arkime, tcpdump) expect. Skipped when
//! ../shared/captures/public is absent.

mod common;
use common::*;
use licpath::model::*;

macro_rules! public {
    ($name:expr) => {
        match public_dir() {
            Some(d) => d.join($name),
            None => return,
        }
    };
}

fn only_conn(t: &Timeline) -> &Connection {
    assert_eq!(
        t.connections.len(),
        1,
        "connections: {:#?}",
        t.connections
            .iter()
            .map(|c| (c.client, c.server))
            .collect::<Vec<_>>()
    );
    &t.connections[0]
}

#[test]
fn zeek_tls12_certificates_match_x509_log() {
    let p = public!("zeek__tls1.2.pcap");
    let t = analyze(&p);
    let c = only_conn(&t);
    let tls = c.tls.as_ref().unwrap();
    // ssl.log: version TLSv12, cipher TLS_RSA_WITH_RC4_128_MD5, established T.
    let ssl = &zeek_rows(&p.with_file_name("zeek__tls1.2.pcap.expected.tls-1.2.ssl.log"))[0];
    assert_eq!(
        tls.version.map(licpath::model::tls_version_name).as_deref(),
        Some("TLS 1.2")
    );
    assert_eq!(Some(ssl[7].as_str()), tls.cipher.as_deref());
    assert_eq!(ssl[13], "T");
    assert!(tls.handshake_complete);
    // x509.log: fingerprint, serial, validity of each certificate, in chain order.
    let x509 = zeek_rows(&p.with_file_name("zeek__tls1.2.pcap.expected.tls-1.2.x509.log"));
    assert_eq!(x509.len(), tls.certificates.len());
    for (row, cert) in x509.iter().zip(&tls.certificates) {
        assert_eq!(row[1].to_uppercase(), cert.sha256);
        assert_eq!(row[3], cert.serial);
        assert_eq!(
            row[6].split('.').next().unwrap().parse::<i64>().unwrap(),
            cert.not_before
        );
        assert_eq!(
            row[7].split('.').next().unwrap().parse::<i64>().unwrap(),
            cert.not_after
        );
        let zeek_cn = row[4]
            .split(',')
            .find_map(|p| p.strip_prefix("CN="))
            .unwrap();
        assert_eq!(Some(zeek_cn), cert.subject_cn.as_deref());
    }
    // Not a licensing host: the chain is judged against Mozilla's public roots, not the
    // IOS XE profile. Its root (AddTrust External CA Root) left Mozilla's store after the
    // capture, and the client completed the handshake: information, never an error.
    assert!(
        c.findings
            .iter()
            .all(|f| f.step != Step::Cert || f.severity != Severity::Error),
        "{:#?}",
        c.findings
    );
    assert!(
        c.findings
            .iter()
            .any(|f| f.code == FindingCode::UntrustedRoot
                && f.severity == Severity::Info
                && f.summary.contains("AddTrust External CA Root")
                && f.summary.contains("Mozilla"))
    );
    assert_eq!(c.verdict, Verdict::Ok);
}

#[test]
fn zeek_tls12_handshake_failure_alert() {
    let p = public!("zeek__tls-1.2-handshake-failure.pcap");
    let t = analyze(&p);
    let ssl = &zeek_rows(&p.with_file_name(
        "zeek__tls-1.2-handshake-failure.pcap.expected.tls-1.2-handshake-failure.ssl.log",
    ))[0];
    assert_eq!(ssl[11], "handshake_failure");
    let c = only_conn(&t);
    let f = c
        .findings
        .iter()
        .find(|f| f.code == FindingCode::TlsAlert)
        .expect("tls_alert");
    assert!(f.summary.contains(&ssl[11]), "{}", f.summary);
    assert!(!c.tls.as_ref().unwrap().handshake_complete);
    // The ACK of the server's FIN is not a capture gap.
    assert!(!codes(&t).contains(&"capture_gap"), "{:?}", codes(&t));
}

#[test]
fn zeek_certificate_request_then_server_alert_over_ipv6() {
    let p = public!("zeek__certificate-request-failed.pcap");
    let t = analyze(&p);
    let c = only_conn(&t);
    assert!(c.client.is_ipv6());
    assert!(events(c).any(|k| matches!(k, EventKind::TlsCertificateRequest)));
    assert_eq!(c.tls.as_ref().unwrap().certificates.len(), 2);
    let f = c
        .findings
        .iter()
        .find(|f| f.code == FindingCode::TlsAlert)
        .expect("tls_alert");
    assert!(f.summary.contains("handshake_failure"));
}

#[test]
fn zeek_hello_retry_request_with_out_of_order_server_hello() {
    let p = public!("zeek__hrr.pcap");
    let t = analyze(&p);
    // ssl-out.log: TLSv13 TLS_AES_256_GCM_SHA384 established T, history CjiICs (two ClientHellos).
    let row = zeek_rows(&p.with_file_name("zeek__hrr.pcap.expected.tls13.ssl-out.log"))
        .into_iter()
        .find(|r| r.get(2).is_some_and(|h| h == "10.192.48.168"))
        .unwrap();
    assert_eq!(
        (row[6].as_str(), row[7].as_str(), row[13].as_str()),
        ("TLSv13", "TLS_AES_256_GCM_SHA384", "T")
    );
    let c = only_conn(&t);
    assert_eq!(
        events(c)
            .filter(|k| matches!(k, EventKind::TlsClientHello(_)))
            .count(),
        2
    );
    assert!(events(c).any(|k| matches!(k, EventKind::TlsServerHello(s) if s.hello_retry_request)));
    let tls = c.tls.as_ref().unwrap();
    assert_eq!(
        (
            tls.version.map(licpath::model::tls_version_name).as_deref(),
            tls.cipher.as_deref()
        ),
        (Some("TLS 1.3"), Some("TLS_AES_256_GCM_SHA384"))
    );
    assert!(tls.handshake_complete);
    assert_eq!(c.verdict, Verdict::Ok);
}

#[test]
fn zeek_wolfssl_tls13() {
    let p = public!("zeek__tls13_wolfssl.pcap");
    let row = &zeek_rows(&p.with_file_name(
        "zeek__tls13_wolfssl.pcap.expected.tls13_encrypted_handshake_events.ssl.log",
    ))[0];
    let t = analyze(&p);
    let tls = only_conn(&t).tls.clone().unwrap();
    assert_eq!(row[6], "TLSv13");
    assert_eq!(
        tls.version.map(licpath::model::tls_version_name).as_deref(),
        Some("TLS 1.3")
    );
    assert_eq!(tls.cipher.as_deref(), Some(row[7].as_str()));
    assert_eq!(tls.handshake_complete, row[13] == "T");
}

#[test]
fn zeek_connect_tunnel_is_followed_into_tls() {
    let p = public!("zeek__connect-with-header.pcap");
    let http = &zeek_rows(&p.with_file_name(
        "zeek__connect-with-header.pcap.expected.http-connect-with-header.http.log",
    ))[0];
    assert_eq!(
        (http[7].as_str(), http[8].as_str(), http[16].as_str()),
        ("CONNECT", "secure.newegg.com:443", "200")
    );
    let t = analyze(&p);
    let c = only_conn(&t);
    assert_eq!(c.proxy_target.as_deref(), Some("secure.newegg.com:443"));
    assert!(events(c).any(|k| matches!(k, EventKind::HttpResponse { status: 200, .. })));
    assert!(events(c).any(|k| matches!(k, EventKind::TlsClientHello(h) if h.sni.as_deref() == Some("secure.newegg.com"))));
}

#[test]
fn zeek_injected_rst_before_syn_ack() {
    let p = public!("zeek__rst-inject-rae.pcap");
    let t = analyze(&p);
    let c = only_conn(&t);
    let f = c
        .findings
        .iter()
        .find(|f| f.code == FindingCode::TcpReset)
        .expect("tcp_reset");
    assert!(f.summary.contains("injected"), "{}", f.summary);
}

#[test]
fn ndpi_cert_name_mismatch() {
    let p = public!("ndpi__ssl-cert-name-mismatch.pcap");
    let expected = std::fs::read_to_string(
        p.with_file_name("ndpi__ssl-cert-name-mismatch.pcap.expected.ndpiReader.out"),
    )
    .unwrap();
    assert!(expected.contains("Hostname/SNI: wrong.host.badssl.com"));
    let t = analyze(&p);
    let c = only_conn(&t);
    assert_eq!(
        c.tls.as_ref().unwrap().sni.as_deref(),
        Some("wrong.host.badssl.com")
    );
    let f = c
        .findings
        .iter()
        .find(|f| f.code == FindingCode::CertHostnameMismatch)
        .expect("mismatch");
    assert!(f.summary.contains("*.badssl.com"));
}

#[test]
fn ndpi_connect_on_the_proxy_host_has_both_legs() {
    let p = public!("ndpi__http_connect.pcap");
    let t = analyze(&p);
    assert_eq!(t.connections.len(), 2);
    let client_leg = t
        .connections
        .iter()
        .find(|c| c.server.port() == 8080)
        .unwrap();
    assert_eq!(client_leg.proxy_target.as_deref(), Some("apache.org:443"));
    assert!(events(client_leg).any(|k| matches!(k, EventKind::HttpResponse { status: 200, reason, .. } if reason == "Connection Established")));
    let upstream = t
        .connections
        .iter()
        .find(|c| c.server.port() == 443)
        .unwrap();
    assert_eq!(upstream.server_name.as_deref(), Some("apache.org"));
    for c in &t.connections {
        assert_eq!(
            c.tls
                .as_ref()
                .unwrap()
                .version
                .map(licpath::model::tls_version_name)
                .as_deref(),
            Some("TLS 1.3")
        );
        assert_eq!(c.verdict, Verdict::Ok);
    }
    assert!(t.dns.iter().any(|d| {
        d.name == "apache.org"
            && d.response
                .as_ref()
                .is_some_and(|r| r.rcode == licpath::model::DnsRcode::NOERROR)
    }));
}

#[test]
fn ndpi_ech_pcapng_nanosecond() {
    let p = public!("ndpi__tls_ech.pcapng");
    let expected =
        std::fs::read_to_string(p.with_file_name("ndpi__tls_ech.pcapng.expected.ndpiReader.out"))
            .unwrap();
    assert!(expected.contains("[ECH: version 0xfe0d]"));
    let t = analyze(&p);
    let c = only_conn(&t);
    let hello = events(c)
        .find_map(|k| {
            if let EventKind::TlsClientHello(h) = k {
                Some(h)
            } else {
                None
            }
        })
        .unwrap();
    assert!(hello.has_ech);
    assert_eq!(
        hello.sni.as_deref(),
        Some("performance.radar.cloudflare.com")
    );
    // GREASE is not a version (nDPI lists it; we drop it).
    assert_eq!(
        hello.supported_versions,
        vec![
            licpath::model::TlsVersion::Tls13,
            licpath::model::TlsVersion::Tls12
        ]
    );
}

#[test]
fn arkime_nxdomain() {
    let p = public!("arkime__dns-error.pcap");
    let expected = std::fs::read_to_string(
        p.with_file_name("arkime__dns-error.pcap.expected.arkime.test.json"),
    )
    .unwrap();
    assert!(expected.contains("NXDOMAIN"));
    let t = analyze(&p);
    let d = t
        .dns
        .iter()
        .find(|d| d.name == "no.such.host")
        .expect("query");
    assert_eq!(
        d.response.as_ref().unwrap().rcode,
        licpath::model::DnsRcode::NXDOMAIN
    );
    assert!(codes(&t).contains(&"dns_nxdomain"));
    // Not a licensing name: a warning, not an error.
    assert!(!t.has_errors());
}

#[test]
fn arkime_full_timeline_dns_then_tls13() {
    let p = public!("arkime__curl-enabled-tls13.pcap");
    let t = analyze(&p);
    let c = only_conn(&t);
    assert_eq!(c.server_name.as_deref(), Some("enabled.tls13.com"));
    let a = t
        .dns
        .iter()
        .find(|d| d.qtype == licpath::model::DnsType::A)
        .unwrap();
    assert!(
        a.response
            .as_ref()
            .unwrap()
            .answers
            .iter()
            .any(|x| x.data == DnsData::A(c.server.ip()))
    );
    assert_eq!(
        c.tls
            .as_ref()
            .unwrap()
            .version
            .map(licpath::model::tls_version_name)
            .as_deref(),
        Some("TLS 1.3")
    );
    assert_eq!(c.verdict, Verdict::Ok);
}

#[test]
fn arkime_tls13_draft_server_hello() {
    let p = public!("arkime__tls13.pcap");
    let t = analyze(&p);
    let c = only_conn(&t);
    assert_eq!(
        c.tls
            .as_ref()
            .unwrap()
            .version
            .map(licpath::model::tls_version_name)
            .as_deref(),
        Some("TLS 1.3 draft 18")
    );
    assert!(!codes(&t).contains(&"tls_timeout"));
}

#[test]
fn suricata_three_cert_chain_over_ipv6() {
    let p = public!("suricata-verify__tls_tls-certs-alert_input.pcap");
    let t = analyze(&p);
    let c = t.connections.iter().find(|c| c.tls.is_some()).unwrap();
    let cns: Vec<_> = c
        .tls
        .as_ref()
        .unwrap()
        .certificates
        .iter()
        .map(|x| x.subject_cn.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        cns,
        vec![
            "www.example.org",
            "DigiCert SHA2 Secure Server CA",
            "DigiCert Global Root CA"
        ]
    );
    assert_eq!(
        t.connections.len(),
        1,
        "the client's trailing RSTs belong to the same connection"
    );
}

#[test]
fn suricata_smtp_answer_to_client_hello() {
    let p = public!("suricata-verify__smtp-tls-protodetect_input.pcap");
    let t = analyze(&p);
    let f = only_conn(&t)
        .findings
        .iter()
        .find(|f| f.code == FindingCode::TlsPlaintextAnswer)
        .expect("plaintext answer");
    assert!(f.summary.contains("220 "), "{}", f.summary);
}

#[test]
fn suricata_syn_retransmissions_unanswered() {
    let p = public!("suricata-verify__ssl_version_negated_input.pcap");
    let t = analyze(&p);
    let c = t
        .connections
        .iter()
        .find(|c| c.state == TcpState::SynUnanswered)
        .unwrap();
    let f = c
        .findings
        .iter()
        .find(|f| f.code == FindingCode::TcpTimeout)
        .unwrap();
    assert!(f.summary.contains("3 SYNs"), "{}", f.summary);
}

#[test]
fn suricata_connect_on_8080_then_tls12_certificate() {
    // suricata-verify "backwards": the CONNECT and the tunnelled TLS are one flow to :8080.
    let p = public!("suricata-verify__backwards.pcap");
    let expected = std::fs::read_to_string(
        p.with_file_name("suricata-verify__backwards.pcap.expected.test.yaml"),
    )
    .unwrap();
    let t = analyze(&p);
    let c = only_conn(&t);
    assert_eq!(c.server.port(), 8080);
    let host = c
        .proxy_target
        .as_deref()
        .map(licpath::model::url::host_of_authority)
        .unwrap();
    assert!(expected.contains(&format!("http.hostname: \"{host}\"")));
    let leaf = &c.tls.as_ref().unwrap().certificates[0];
    // Suricata prints the DN in certificate order, as x509-parser does.
    assert!(
        expected.contains(&format!("tls.subject: \"{}\"", leaf.subject)),
        "{}",
        leaf.subject
    );
    assert!(
        expected.contains(&format!("tls.issuerdn: \"{}\"", leaf.issuer)),
        "{}",
        leaf.issuer
    );
    assert!(c.tls.as_ref().unwrap().handshake_complete);
}

#[test]
fn tcpdump_nanosecond_timestamps() {
    let p = public!("tcpdump__tcp-handshake-nano.pcap");
    let expected = std::fs::read_to_string(
        p.with_file_name("tcpdump__tcp-handshake-nano.pcap.expected.tcp-handshake-nano.out"),
    )
    .unwrap();
    // "    1  17:16:09.924505488 IP ..." → nanoseconds within the day.
    let first = expected
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap();
    let t = analyze(&p);
    let start = t.start_ns.unwrap();
    let shown = licpath::model::time::format_utc(start);
    assert_eq!(&shown[11..23], &first[..12]);
    assert_eq!(start % 1_000_000_000, first[9..].parse::<i64>().unwrap());
    let c = only_conn(&t);
    assert_eq!(
        c.handshake_rtt_ns,
        Some(52_027_262 + 1_000_000_000 - 924_505_488)
    );
}

#[test]
fn tcpdump_raw_ipv6_linktype() {
    let p = public!("tcpdump__LINKTYPE_RAW_ipv6.pcap");
    let t = analyze(&p);
    assert_eq!(t.stats.frames_undecoded, 0);
    assert!(t.stats.frames > 0);
}

#[test]
fn zeek_pcapng_multi_interface() {
    let p = public!("zeek__pcapng-multi-interface.pcapng");
    let t = analyze(&p);
    assert!(t.dns.iter().any(|d| d.name == "www.apple.com"));
    assert!(
        t.dns
            .iter()
            .any(|d| d.name == "google.com" && d.qtype == licpath::model::DnsType::AAAA)
    );
}

#[test]
fn every_public_capture_is_read_without_undecodable_frames_or_panics() {
    let dir = match public_dir() {
        Some(d) => d,
        None => return,
    };
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
            continue;
        }
        let t = analyze(&p);
        assert!(t.stats.frames > 0, "{name}");
        n += 1;
    }
    assert!(n >= 20, "only {n} captures found");
}
