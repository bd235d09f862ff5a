use super::testing::{START_NS, connection};
use super::*;

fn json<T: Serialize>(v: T) -> String {
    serde_json::to_string(&v).expect("serializes")
}

#[test]
fn a_static_entry_says_where_it_came_from_and_that_no_query_was_sent() {
    let ip = |s: &str| s.parse::<IpAddr>().expect("address");
    let from_config = StaticHost {
        name: "smartreceiver.cisco.com".into(),
        addresses: vec![ip("192.0.2.1"), ip("192.0.2.2")],
        origin: StaticOrigin::IpHost,
    };
    assert_eq!(
        from_config.to_string(),
        "static: ip host smartreceiver.cisco.com 192.0.2.1 192.0.2.2 — no DNS query"
    );
    let flag = StaticHost {
        origin: StaticOrigin::ResolveFlag,
        ..from_config.clone()
    };
    assert_eq!(
        flag.to_string(),
        "static: --resolve smartreceiver.cisco.com=192.0.2.1 --resolve smartreceiver.cisco.com=192.0.2.2 — no DNS query"
    );
    assert_eq!(
        json(&from_config),
        r#"{"name":"smartreceiver.cisco.com","addresses":["192.0.2.1","192.0.2.2"],"origin":"ip_host"}"#
    );
    assert_eq!(json(StaticOrigin::ResolveFlag), r#""resolve_flag""#);
    // Absent from a capture's JSON, where nothing is static.
    let t = Timeline::empty(Source::Probe { targets: vec![] });
    assert!(!json(&t).contains("static_hosts"));
}

#[test]
fn every_code_is_listed_once_and_spelled_as_serde_spells_it() {
    let source = include_str!("mod.rs");
    let body = source
        .split_once("pub enum FindingCode {")
        .and_then(|(_, rest)| rest.split_once("\n}\n"))
        .map(|(body, _)| body)
        .expect("the enum in this file");
    let declared: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//") && l.ends_with(','))
        .map(|l| l.trim_end_matches(','))
        .collect();
    assert!(declared.len() > 40, "{declared:?}");
    let listed: Vec<String> = FindingCode::ALL.iter().map(|c| format!("{c:?}")).collect();
    assert_eq!(listed, declared);
    let mut names: Vec<&str> = FindingCode::ALL.iter().map(|c| c.as_str()).collect();
    for c in FindingCode::ALL {
        assert_eq!(json(c), format!("\"{}\"", c.as_str()));
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), FindingCode::ALL.len());
}

#[test]
fn steps_and_severities_read_as_in_json() {
    for s in [
        Step::Capture,
        Step::Dns,
        Step::Tcp,
        Step::Proxy,
        Step::Tls,
        Step::Cert,
        Step::Http,
    ] {
        assert_eq!(json(s), format!("\"{}\"", s.as_str()));
    }
    for s in [Severity::Info, Severity::Warning, Severity::Error] {
        assert_eq!(json(s), format!("\"{}\"", s.as_str()));
    }
    // Steps order as a connection goes through them: the earliest error is the min.
    assert!(Step::Dns < Step::Tcp && Step::Tcp < Step::Proxy && Step::Tls < Step::Cert);
}

#[test]
fn the_finding_builder() {
    let e = Event {
        time_ns: 5,
        frame: Some(9),
        dir: Direction::ToClient,
        kind: EventKind::TcpRst,
    };
    let f = Finding::new(FindingCode::TcpReset, Severity::Error, Step::Tcp, "reset");
    assert_eq!(f.confidence, Confidence::Certain);
    assert!(f.explanation.is_empty() && f.remediation.is_empty() && f.evidence.is_empty());
    let f = f
        .explain("why")
        .fix(["a", "b"])
        .fix(vec![String::from("c")])
        .evidence([Evidence::of(&e, "rst")])
        .evidence(None)
        .evidence(Some(Evidence::line("show-logging.txt:3", 7, "line")))
        .confidence(Confidence::Low)
        .severity(Severity::Warning);
    assert_eq!(f.explanation, "why");
    assert_eq!(f.remediation, ["a", "b", "c"]);
    assert_eq!(
        f.evidence,
        [
            Evidence {
                frame: Some(9),
                time_ns: 5,
                what: "rst".into(),
                log: None
            },
            Evidence {
                frame: None,
                time_ns: 7,
                what: "line".into(),
                log: Some("show-logging.txt:3".into())
            },
        ]
    );
    assert_eq!(
        (f.confidence, f.severity),
        (Confidence::Low, Severity::Warning)
    );
    let v = serde_json::to_value(&f).expect("json");
    assert_eq!(v["code"], "tcp_reset");
    assert!(v["evidence"][0].get("log").is_none(), "{v}");
}

#[test]
fn client_hello_max_version() {
    let mut h = ClientHello {
        record_version: String::new(),
        version: TlsVersion::Tls12,
        supported_versions: vec![],
        sni: None,
        alpn: vec![],
        cipher_count: 1,
        has_ech: false,
    };
    assert_eq!(h.max_version(), TlsVersion::Tls12);
    h.supported_versions = vec![TlsVersion(0x7f17), TlsVersion::Tls13, TlsVersion::Tls12];
    assert_eq!(h.max_version(), TlsVersion::Tls13);
    h.supported_versions = vec![TlsVersion(0x7f17)];
    assert_eq!(h.max_version(), TlsVersion(0x7f17));
    let json = serde_json::to_value(&h).expect("json");
    assert_eq!(json["supported_versions"][0], "TLS 1.3 draft 23");
    assert_eq!(json["version"], "TLS 1.2");
}

#[test]
fn overflow_and_errors() {
    let warning = Finding::new(
        FindingCode::CaptureGap,
        Severity::Warning,
        Step::Capture,
        "x",
    );
    let error = Finding::new(FindingCode::TlsTimeout, Severity::Error, Step::Tls, "y");
    let mut c = connection().build();
    c.verdict = Verdict::Failed;
    c.findings = vec![error.clone(), error];
    let mut o = OverflowSummary::default();
    o.add(&c);
    o.add(&connection().build());
    assert_eq!((o.connections, o.failed), (2, 1));
    assert_eq!(o.findings.get("tls_timeout"), Some(&2));

    let mut t = Timeline::empty(Source::Probe { targets: vec![] });
    assert!(!t.has_errors());
    t.findings.push(warning);
    assert!(!t.has_errors());
    t.connections.push(c);
    assert!(t.has_errors());
    assert_eq!(t.all_findings().count(), 3);
    let mut only_overflow = Timeline::empty(Source::Probe { targets: vec![] });
    only_overflow.overflow = o;
    assert!(only_overflow.has_errors());
}

#[test]
fn the_test_builder_spaces_events_a_millisecond_apart() {
    let c = connection()
        .syn()
        .after_ms(250)
        .syn_ack()
        .rst(Direction::ToServer)
        .build();
    let times: Vec<i64> = c.events.iter().map(|e| e.time_ns - START_NS).collect();
    assert_eq!(times, [0, 250_000_000, 251_000_000]);
    let frames: Vec<Option<u64>> = c.events.iter().map(|e| e.frame).collect();
    assert_eq!(frames, [Some(1), Some(2), Some(3)]);
    assert_eq!((c.start_ns, c.end_ns), (START_NS, START_NS + 251_000_000));
    assert!(c.licensing && !c.revocation && c.verdict == Verdict::Unknown);
}

#[test]
fn hosts_of_urls() {
    assert_eq!(
        url_host("http://validation.identrust.com/crl/hydrantidcao1.crl").as_deref(),
        Some("validation.identrust.com")
    );
    assert_eq!(
        url_host("http://Commercial.OCSP.identrust.com").as_deref(),
        Some("commercial.ocsp.identrust.com")
    );
    assert_eq!(
        url_host("http://user@10.0.0.1:8080/x.crl").as_deref(),
        Some("10.0.0.1")
    );
    assert_eq!(url_host("ldap://directory/cn=crl"), None);
    assert_eq!(url_host("http:///nohost"), None);
}

/// The push-only-filter shape (captures/push-only-filter.pcap): the ServerHello lost with
/// the server's first segment, then the client's 69-byte Finished, tickets, a request and
/// its answer. Every condition of the inference is needed.
#[test]
fn tls13_completion_is_inferred_only_from_the_whole_shape() {
    use Direction::*;
    let gap = EventKind::TcpGap {
        missing_bytes: 1448,
    };
    let shape = |hello: TlsVersion, finished: u64, server_after: u64| {
        connection()
            .client_hello(Some("smartreceiver.cisco.com"), hello)
            .event(ToClient, gap.clone())
            .event(ToServer, EventKind::TlsChangeCipherSpec)
            .encrypted(ToServer, finished)
            .encrypted(ToClient, server_after)
            .encrypted(ToServer, 122)
            .encrypted(ToClient, 186)
            .build()
    };
    assert_eq!(
        tls13_completion_inferred(&shape(TlsVersion::Tls13, 69, 298).events),
        Some(69)
    );
    // A fresh lab run of push-only-filter (curl, TLS 1.3): the client's request left with
    // its Finished, before the server's tickets, so the two records (69 + 122 bytes) are
    // one folded event; the smallest either can be is 69, Finished-sized.
    let folded = |bytes: u64, largest: u32| {
        connection()
            .client_hello(Some("smartreceiver.cisco.com"), TlsVersion::Tls13)
            .event(ToClient, gap.clone())
            .event(ToServer, EventKind::TlsChangeCipherSpec)
            .event(
                ToServer,
                EventKind::TlsEncrypted {
                    records: 2,
                    bytes,
                    content_type: TlsRecordType::ApplicationData,
                    largest,
                },
            )
            .encrypted(ToClient, 298)
            .build()
    };
    assert_eq!(
        tls13_completion_inferred(&folded(191, 122).events),
        Some(69)
    );
    // An alert (19) folded with a larger record: the first may be the alert.
    assert_eq!(tls13_completion_inferred(&folded(141, 122).events), None);
    // An alert-sized record is the client refusing, not finishing.
    assert_eq!(
        tls13_completion_inferred(&shape(TlsVersion::Tls13, 19, 298).events),
        None
    );
    // A client that never offered TLS 1.3.
    assert_eq!(
        tls13_completion_inferred(&shape(TlsVersion::Tls12, 69, 298).events),
        None
    );
    // The server answering the Finished with an alert-sized record only.
    let refused = connection()
        .client_hello(None, TlsVersion::Tls13)
        .event(ToClient, gap.clone())
        .encrypted(ToServer, 69)
        .encrypted(ToClient, 19)
        .build();
    assert_eq!(tls13_completion_inferred(&refused.events), None);
    // Early data (before any server byte), or a ServerHello seen: not this rule.
    let early = connection()
        .client_hello(None, TlsVersion::Tls13)
        .encrypted(ToServer, 69)
        .event(ToClient, gap)
        .encrypted(ToClient, 298)
        .build();
    assert_eq!(tls13_completion_inferred(&early.events), None);
    let seen = connection()
        .client_hello(None, TlsVersion::Tls13)
        .server_hello(TlsVersion::Tls13)
        .encrypted(ToServer, 69)
        .encrypted(ToClient, 298)
        .build();
    assert_eq!(tls13_completion_inferred(&seen.events), None);
}
