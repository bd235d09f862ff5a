//! The readers of what the switch says (issue #6): realistic samples of `show logging`,
//! `show license eventlog`, `show license tech support`, `show license status` and `show
//! running-config` from several releases (tests/data/ios/), judged with the shared codes.

use licpath::diagnose::config::check_config;
use licpath::diagnose::logs::{correlate, log_findings};
use licpath::ios::config::parse_config;
use licpath::ios::logs::{parse_log, read_logs};
use licpath::ios::plan::{InterfaceMap, derive};
use licpath::model::*;

fn sample(name: &str) -> String {
    let p = format!("{}/tests/data/ios/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn log_of(names: &[&str], year: Option<i64>) -> SwitchLog {
    let inputs: Vec<(String, String)> = names.iter().map(|n| (n.to_string(), sample(n))).collect();
    read_logs(&inputs, year)
}

fn find(fs: &[Finding], code: FindingCode) -> &Finding {
    fs.iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code:?} in {fs:#?}"))
}

fn codes(fs: &[Finding]) -> Vec<&'static str> {
    let mut v: Vec<_> = fs.iter().map(|f| f.code.as_str()).collect();
    v.sort();
    v
}

#[test]
fn show_logging_dns_failures_17_3() {
    let mut log = log_of(&["show-logging-17.3.txt"], Some(2026));
    assert_eq!(log.entries.len(), 5, "{:#?}", log.entries);
    // `*` stamps: the clock is not authoritative, said once, at the first such line.
    let clock = log.entries.remove(0);
    assert_eq!(
        (clock.kind, clock.line),
        (
            LogKind::ClockUnsynced {
                sign: "timestamps marked '*' (clock not authoritative)".into()
            },
            15
        )
    );
    assert_eq!(
        log.entries[1].kind,
        LogKind::CallHomeFailed {
            url: Some("https://smartreceiver.cisco.com/licservice/license".into()),
            error: Some(218),
            reason: FailReason {
                cause: FailCause::Unresolved,
                text: "Host name resolution failed".into()
            }
        }
    );
    // "*Nov 20 09:14:30.118" with no year: the hint supplies it, and says so.
    let e = &log.entries[0];
    assert_eq!(e.switch_time_ns, Some(1_795_166_070_118_000_000));
    assert!(e.time_inferred);
    assert_eq!(e.line, 16);
    let fs = log_findings(&log);
    assert_eq!(codes(&fs), ["dns_unresolved"]);
    let f = &fs[0];
    assert_eq!((f.severity, f.step), (Severity::Error, Step::Dns));
    assert!(f.summary.contains("4 messages"), "{}", f.summary);
    assert_eq!(f.evidence.len(), 4);
    assert_eq!(
        f.evidence[0].log.as_deref(),
        Some("show-logging-17.3.txt:16")
    );
}

#[test]
fn flapping_in_syslog_and_eventlog_is_counted_once() {
    let log = log_of(
        &["show-logging-17.9-flapping.txt", "eventlog-17.9.txt"],
        None,
    );
    // CET 08:00:05.221 is 07:00:05.221 UTC, the eventlog's own UTC stamp (2 ms apart).
    let syslog_first = log.entries.iter().find(|e| e.file == 0).unwrap();
    let event_first = log
        .entries
        .iter()
        .find(|e| matches!(e.kind, LogKind::EventCommFail { .. }))
        .unwrap();
    let d = event_first.switch_time_ns.unwrap() - syslog_first.switch_time_ns.unwrap();
    assert_eq!(d, 1_000_000, "{syslog_first:?} / {event_first:?}");
    assert!(!syslog_first.time_inferred);

    let fs = log_findings(&log);
    let flap = find(&fs, FindingCode::CommFlapping);
    assert_eq!(flap.severity, Severity::Warning);
    assert!(flap.summary.contains("3 times"), "{}", flap.summary);
    // Timeouts recovered since: history, a warning.
    let tcp = find(&fs, FindingCode::TcpTimeout);
    assert_eq!(tcp.severity, Severity::Warning);
    assert!(tcp.summary.contains("restored since"));
    // The last word of the eventlog is a failure nobody recovered from.
    let empty = find(&fs, FindingCode::CommFailed);
    assert_eq!(empty.severity, Severity::Error);
    assert!(empty.summary.contains("empty response"));
}

#[test]
fn pki_messages_and_continuation_lines_17_6() {
    let log = log_of(&["show-logging-pki-17.6.txt"], None);
    let crl_entry = log
        .entries
        .iter()
        .find(|e| matches!(e.kind, LogKind::CrlFetchFail { .. }))
        .expect("the CRL fetch failure is read");
    assert_eq!(
        crl_entry.kind,
        LogKind::CrlFetchFail {
            trustpoint: Some(Trustpoint {
                chain: Chain::Licensing,
                name: "SLA-TrustPoint".into()
            }),
            reason: Some("Enrollment URL not configured.".into())
        }
    );
    let fs = log_findings(&log);
    let crl = find(&fs, FindingCode::CrlUnreachable);
    assert_eq!(crl.severity, Severity::Error);
    assert_eq!(
        crl.remediation,
        [
            "crypto pki trustpoint SLA-TrustPoint",
            " revocation-check none"
        ]
    );
    assert_eq!(find(&fs, FindingCode::CertNotYetValid).step, Step::Cert);
    // `.Nov 19 2026 06:40:11.013 UTC:`: the clock was set but NTP is not synchronised,
    // context for the not-yet-valid certificate, quoted at its first line.
    let clock = find(&fs, FindingCode::SwitchClockUnsynced);
    assert_eq!(clock.severity, Severity::Info);
    assert!(
        clock.summary.contains("timestamps marked '.'"),
        "{}",
        clock.summary
    );
    assert_eq!(
        clock.evidence[0].log.as_deref(),
        Some("show-logging-pki-17.6.txt:1")
    );
    // "Request Aborted" is past TCP; the generic Call Home message says nothing of where.
    let steps: Vec<Step> = fs
        .iter()
        .filter(|f| f.code == FindingCode::CommFailed)
        .map(|f| f.step)
        .collect();
    assert_eq!(steps, [Step::Http, Step::Tls]);
}

#[test]
fn syslog_server_prefix_and_cslu_variant() {
    let log = log_of(&["syslog-server.txt"], None);
    assert_eq!(log.entries.len(), 2, "the login line is not licensing");
    // The switch's stamp (04:09:59.884 UTC), not the syslog server's (04:10:00).
    assert_eq!(
        log.entries[0].timestamp.as_deref(),
        Some("Nov 22 2026 04:09:59.884 UTC")
    );
    let fs = log_findings(&log);
    let f = find(&fs, FindingCode::CommFailed);
    assert_eq!(f.step, Step::Tls);
    assert!(f.summary.contains("2 messages"));

    let log = log_of(&["show-logging-cslu-17.12.txt"], None);
    assert!(matches!(&log.entries[0].kind, LogKind::CommFailed { server, .. } if server == "cslu"));
    assert_eq!(
        codes(&log_findings(&log)),
        ["comm_failed", "dns_unresolved"]
    );
}

#[test]
fn tech_support_statistics() {
    let log = log_of(&["tech-support-17.6.txt"], None);
    let usage = log
        .entries
        .iter()
        .find_map(|e| match &e.kind {
            LogKind::TechSupport {
                message_type,
                total,
                success,
                fail,
                last_response,
                failure_reason,
                ..
            } if message_type == "Usage Reporting" => Some((
                *total,
                *success,
                *fail,
                last_response.as_ref().map(|r| r.reason.text.clone()),
                failure_reason.as_ref().map(|r| r.text.clone()),
                e.timestamp.clone(),
            )),
            _ => None,
        })
        .expect("usage reporting block");
    assert_eq!(
        usage,
        (
            Some(24),
            Some(3),
            Some(21),
            Some("NO REPLY".into()),
            Some("Fail to send out Call Home HTTP message.".into()),
            Some("Nov 21 09:10:52 2026 UTC".into())
        )
    );
    let fs = log_findings(&log);
    assert_eq!(
        codes(&fs),
        ["comm_failed"],
        "OK message types are no finding"
    );
    assert!(
        fs[0]
            .summary
            .contains("Usage Reporting: 21 of 24 attempts failed")
    );
}

#[test]
fn hostile_text_is_skipped_not_fatal() {
    let junk = "%%%% \u{0}\u{1} %SMART_LIC-3-: \n%-3-X: \nAttempts: Total=x\nLast Response: on on on\nNov 99 99:99:99 %PKI-3-CRL_FETCH_FAIL\n".repeat(50)
        + &"A".repeat(100_000);
    let p = parse_log(&junk, 0, None);
    assert!(p.entries.len() < 200);
    for e in &p.entries {
        assert!(e.text.len() <= 310);
        assert_eq!(e.switch_time_ns, None);
    }
    assert!(parse_log("", 0, None).entries.is_empty());
    let c = parse_config(&junk);
    assert_eq!(c.lines_used, 0);
}

#[test]
fn plan_from_tech_support_with_map() {
    let c = parse_config(sample("tech-support-17.6.txt"));
    let map = InterfaceMap::parse(&["Gi0/0=eth1".into()]).unwrap();
    let plan = derive(&c, &map).unwrap();
    assert_eq!(plan.transport.as_str(), "smart");
    assert_eq!(
        plan.targets[0].written,
        "https://smartreceiver.cisco.com/licservice/license"
    );
    assert_eq!(
        plan.proxy.as_ref().map(ToString::to_string).as_deref(),
        Some("proxy.corp.example:8080")
    );
    assert_eq!(plan.vrf.as_deref(), Some("Mgmt-vrf"));
    let src = plan.source.as_ref().unwrap();
    assert_eq!(
        (src.switch.as_str(), src.local.as_deref()),
        ("GigabitEthernet0/0", Some("eth1"))
    );
    // Name servers exist only in the global table; licensing runs in Mgmt-vrf.
    assert!(plan.dns_servers.is_empty());
    let fs = check_config(&c, &plan, "ts.txt");
    let f = find(&fs, FindingCode::ConfigNoNameServer);
    assert!(f.summary.contains("vrf Mgmt-vrf"), "{}", f.summary);
    assert_eq!(
        f.remediation,
        ["ip name-server vrf Mgmt-vrf <dns-server-ip>"]
    );
    assert!(InterfaceMap::parse(&["Vlan10".into()]).is_err());
}

#[test]
fn running_config_with_vrf_static_hosts_and_crl_17_9() {
    let c = parse_config(sample("running-config-smart-vrf-17.9.txt"));
    assert_eq!(c.version.as_deref(), Some("17.9"));
    let plan = derive(&c, &InterfaceMap::default()).unwrap();
    assert_eq!(
        plan.proxy.as_ref().map(ToString::to_string).as_deref(),
        Some("192.0.2.80:80")
    );
    assert_eq!(
        plan.dns_servers,
        [
            "10.99.0.53".parse::<std::net::IpAddr>().unwrap(),
            "10.99.1.53".parse().unwrap()
        ]
    );
    assert_eq!(
        plan.dns_source.as_ref().map(|b| b.switch.as_str()),
        Some("GigabitEthernet0/0")
    );
    // Global `ip host` entries do not apply to lookups in Mgmt-vrf.
    assert!(plan.resolve.is_empty());
    assert!(plan.notes.iter().any(|n| n.contains("--map")));
    // SLA-TrustPoint checks revocation; the self-signed trustpoint's "none" does not count.
    assert_eq!(
        plan.revocation_check
            .as_ref()
            .map(|r| (r.trustpoint.clone(), r.methods_line())),
        Some(("SLA-TrustPoint".to_string(), "crl".to_string()))
    );
    // "crl none": an unreachable CRL lets the handshake go on, so it is not strict.
    let lenient = parse_config(
        "crypto pki trustpoint SLA-TrustPoint\n revocation-check crl none\n!\nlicense smart transport smart\n",
    );
    assert_eq!(
        derive(&lenient, &InterfaceMap::default())
            .unwrap()
            .revocation_check,
        None
    );
    let fs = check_config(&c, &plan, "run.txt");
    assert_eq!(
        codes(&fs),
        [
            "config_static_host",
            "config_static_host",
            "crl_unreachable"
        ]
    );
    // The static hosts may break it; the CRL check, unbacked by a CRL failure, is context.
    let severities: Vec<Severity> = fs.iter().map(|f| f.severity).collect();
    assert_eq!(
        severities,
        [Severity::Warning, Severity::Warning, Severity::Info]
    );
}

#[test]
fn callhome_without_service_and_dns_disabled_16_12() {
    let c = parse_config(sample("running-config-callhome-16.12.txt"));
    let plan = derive(
        &c,
        &InterfaceMap::parse(&["vlan 200=veth-sw".into()]).unwrap(),
    )
    .unwrap();
    assert_eq!(plan.transport.as_str(), "callhome");
    assert_eq!(
        plan.proxy.as_ref().map(ToString::to_string).as_deref(),
        Some("proxy.corp.example:3128")
    );
    assert_eq!(plan.vrf.as_deref(), Some("Mgmt-vrf"));
    assert_eq!(
        plan.source.as_ref().and_then(|b| b.local.as_deref()),
        Some("veth-sw")
    );
    let fs = check_config(&c, &plan, "run.txt");
    assert_eq!(
        codes(&fs),
        [
            "config_callhome_disabled",
            "config_no_name_server",
            "plaintext_http"
        ]
    );
    assert_eq!(
        find(&fs, FindingCode::ConfigNoNameServer).severity,
        Severity::Error
    );
}

#[test]
fn ip_literal_url_and_cslu_discovery() {
    let c = parse_config(sample("running-config-onprem-ip-17.3.txt"));
    let plan = derive(&c, &InterfaceMap::default()).unwrap();
    let fs = check_config(&c, &plan, "run.txt");
    assert_eq!(codes(&fs), ["cert_hostname_mismatch"]);
    // Turning the identity check off is a deliberate choice: no warning then.
    let off = parse_config(
        &(sample("running-config-onprem-ip-17.3.txt") + "no license smart server-identity-check\n"),
    );
    let plan = derive(&off, &InterfaceMap::default()).unwrap();
    assert!(!plan.server_identity_check);
    assert!(check_config(&off, &plan, "run.txt").is_empty());

    let c = parse_config(sample("show-license-status-cslu-17.12.txt"));
    let plan = derive(&c, &InterfaceMap::default()).unwrap();
    assert_eq!(plan.transport.as_str(), "cslu");
    assert_eq!(plan.targets[0].written, "http://cslu-local:8182/cslu/v1/pi");
    // Only show license status: no running-config, so no "no name server" guess.
    assert_eq!(
        codes(&check_config(&c, &plan, "st.txt")),
        ["config_cslu_no_address"]
    );
}

#[test]
fn log_lines_up_with_a_capture_through_the_clock_offset() {
    // One failed connection ending at BASE + 1000 s (BASE = 2026-11-22 00:00 UTC); the switch's clock runs 3600 s ahead and
    // logs the failure 2 s after the connection ends; a decoy a day earlier.
    let mut t = Timeline::empty(Source::Capture {
        files: vec!["x.pcap".into()],
    });
    let text = "\
Nov 22 2026 01:16:42.000 UTC: %SMART_LIC-3-COMM_FAILED: Communications failure with the Cisco Smart Software Manager (CSSM) : Connection timed out
Nov 21 2026 01:16:42.000 UTC: %SMART_LIC-3-COMM_FAILED: Communications failure with the Cisco Smart Software Manager (CSSM) : Connection timed out
";
    let mut log = read_logs(&[("sw.log".to_string(), text)], None);
    const BASE: i64 = 1_795_305_600;
    t.connections
        .push(failed_connection(7, BASE + 990, BASE + 1000));
    correlate(&mut log, &t, None);
    let off = log.clock_offset_ns.expect("an offset");
    assert!((off - 3_602_000_000_000).abs() < 1_000_000, "{off}");
    assert_eq!(log.entries[0].connection, Some(7));
    assert_eq!(log.entries[1].connection, None);
    assert_eq!(log.entries[0].time_ns, Some((BASE + 1000) * 1_000_000_000));
    assert!(
        log.clock_offset_basis.contains("estimated"),
        "{}",
        log.clock_offset_basis
    );

    // A given offset wins; with it, nothing lines up.
    let mut log2 = read_logs(&[("sw.log".to_string(), text)], None);
    correlate(&mut log2, &t, Some(0));
    assert_eq!(log2.clock_offset_ns, Some(0));
    assert!(log2.entries.iter().all(|e| e.connection.is_none()));
}

fn failed_connection(id: u64, start_s: i64, end_s: i64) -> Connection {
    let mut c = licpath::probe::session::Recorder::new(id, "192.0.2.1:443".parse().unwrap()).conn;
    c.start_ns = start_s * 1_000_000_000;
    c.end_ns = end_s * 1_000_000_000;
    c.licensing = true;
    c.verdict = Verdict::Failed;
    c
}

/// The switch's text judged as `analyze --logs` does (synthetic samples).
fn judge_text(names: &[&str]) -> (Vec<Finding>, licpath::ios::SwitchText) {
    let inputs: Vec<(String, String)> = names.iter().map(|n| (n.to_string(), sample(n))).collect();
    let text =
        licpath::ios::read_switch_text(&inputs, Some(2026), &InterfaceMap::default()).unwrap();
    let fs = licpath::diagnose::logs::text_findings(&text.config, &text.plan, &text.log);
    (fs, text)
}

#[test]
fn transport_off_in_show_license_status_is_an_error_with_the_fix() {
    let (fs, text) = judge_text(&["show-license-status-transport-off.txt"]);
    assert_eq!(text.plan.transport.as_str(), "off");
    assert_eq!(codes(&fs), ["config_transport_off"]);
    let f = &fs[0];
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.remediation
            .contains(&"license smart transport smart".to_string())
    );
    assert_eq!(
        f.evidence[0].log.as_deref(),
        Some("show-license-status-transport-off.txt:13")
    );
    assert_eq!(f.evidence[0].what, "Type: Transport Off");
}

#[test]
fn insufficient_trust_without_attempts_says_what_to_do() {
    let (fs, text) = judge_text(&["tech-support-insufficient-trust.txt"]);
    assert_eq!(
        text.config.status.as_ref().and_then(|s| s.trust_installed),
        Some(false)
    );
    assert_eq!(codes(&fs), ["config_no_trust", "text_inconclusive"]);
    let f = find(&fs, FindingCode::ConfigNoTrust);
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.remediation[0].starts_with("license smart trust idtoken"));
    assert_eq!(
        f.evidence[0].log.as_deref(),
        Some("tech-support-insufficient-trust.txt:28")
    );
}

#[test]
fn rules_judge_only_what_their_input_shows() {
    // Type: Callhome from a status view, no running-config: `service call-home` cannot be
    // judged, so it is not.
    let status = "Smart Licensing Status\n======================\n\nTransport:\n  Type: Callhome\n\nUsage Reporting:\n  Last ACK received: <none>\n  Last report push: <none>\n";
    let inputs = vec![("status.txt".to_string(), status.to_string())];
    let text = licpath::ios::read_switch_text(&inputs, None, &InterfaceMap::default()).unwrap();
    assert_eq!(text.plan.transport.as_str(), "callhome");
    let fs = licpath::diagnose::logs::text_findings(&text.config, &text.plan, &text.log);
    assert_eq!(codes(&fs), ["text_inconclusive"]);
    // The same status with a whole running-config that lacks `service call-home`.
    let config = "Building configuration...\n\nversion 17.9\nhostname sw1\nip name-server 192.0.2.53\n!\nend\n";
    let inputs = vec![
        ("status.txt".to_string(), status.to_string()),
        ("run.txt".to_string(), config.to_string()),
    ];
    let text = licpath::ios::read_switch_text(&inputs, None, &InterfaceMap::default()).unwrap();
    let fs = licpath::diagnose::logs::text_findings(&text.config, &text.plan, &text.log);
    assert_eq!(codes(&fs), ["config_callhome_disabled"]);
    let f = &fs[0];
    assert_eq!(f.evidence[0].log.as_deref(), Some("status.txt:5"));
    // A filtered extract (`| include transport`) shows no absence either.
    let filtered = vec![(
        "inc.txt".to_string(),
        "license smart transport callhome\n".to_string(),
    )];
    let text = licpath::ios::read_switch_text(&filtered, None, &InterfaceMap::default()).unwrap();
    assert!(!text.config.full_config);
    let fs = licpath::diagnose::logs::text_findings(&text.config, &text.plan, &text.log);
    assert_eq!(codes(&fs), ["text_inconclusive"]);
}

#[test]
fn restored_communication_is_ok_with_the_flapping_warning() {
    let (fs, _) = judge_text(&["show-logging-17.9-flapping.txt"]);
    assert_eq!(
        codes(&fs),
        ["comm_flapping", "switch_comm_ok", "tcp_timeout"]
    );
    assert!(fs.iter().all(|f| f.severity != Severity::Error));
}

#[test]
fn an_ongoing_counter_older_than_a_later_ack_is_history() {
    // Result Polling: NO REPLY on Nov 27 02:39, counted as ongoing (Communication=1); then
    // Trust Sync OK on Nov 27 02:47 and the last ACK on Nov 28: the path worked since.
    let (fs, text) = judge_text(&["tech-support-resultpoll-noreply-then-ack.txt"]);
    assert_eq!(codes(&fs), ["comm_flapping", "switch_comm_ok"]);
    assert!(fs.iter().all(|f| f.severity != Severity::Error));
    let f = find(&fs, FindingCode::CommFlapping);
    assert!(
        f.summary
            .contains("Result Polling: NO REPLY on Nov 27 02:39:02 2026 UTC")
            && f.summary.contains("ACK received Nov 28 02:43:37 2026 UTC"),
        "{}",
        f.summary
    );
    assert_eq!(
        f.evidence[0].log.as_deref(),
        Some("tech-support-resultpoll-noreply-then-ack.txt:46")
    );
    let mut t = Timeline::empty(Source::Logs {
        files: vec!["ts.txt".into()],
    });
    t.findings = fs;
    t.switch_log = Some(text.log);
    assert_eq!(
        licpath::diagnose::verdict::overall_verdict(&t),
        licpath::diagnose::verdict::OverallVerdict::Ok
    );
}

#[test]
fn call_home_era_records_plaintext_destination_and_failed_http() {
    let (fs, text) = judge_text(&["call-home-16.12-statistics.txt"]);
    // 16.12 predates SLP: the era's own plan, Call Home to the active profile's URL.
    assert_eq!(text.plan.transport.as_str(), "callhome");
    let urls: Vec<&str> = text
        .plan
        .targets
        .iter()
        .map(|t| t.written.as_str())
        .collect();
    assert_eq!(
        urls,
        ["http://tools.cisco.com/its/service/oddce/services/DDCEService"]
    );
    assert_eq!(
        codes(&fs),
        ["comm_failed", "plaintext_http", "text_inconclusive"]
    );
    let plain = find(&fs, FindingCode::PlaintextHttp);
    assert_eq!(plain.severity, Severity::Warning);
    assert_eq!(
        plain.evidence[0].log.as_deref(),
        Some("call-home-16.12-statistics.txt:12")
    );
    // Failed HTTP counts: failures with the last sent time (GMT+01:00 is 08:15:02 UTC),
    // a warning: call-home counts Smart Call Home's own messages too.
    let failed = find(&fs, FindingCode::CommFailed);
    assert_eq!(failed.severity, Severity::Warning);
    assert!(
        failed
            .summary
            .contains("4 failed, 0 succeeded (failed: Inventory 1, SysLog 3)")
            && failed
                .summary
                .contains("last message sent 2026-11-20 09:15:02 GMT+01:00"),
        "{}",
        failed.summary
    );
    assert_eq!(failed.evidence[0].time_ns, 1_795_162_502_000_000_000);
}

#[test]
fn ntp_not_synchronised_in_tech_support_is_the_clock_sign() {
    let (fs, _) = judge_text(&["tech-support-other-info-ntp-false.txt"]);
    let f = find(&fs, FindingCode::SwitchClockUnsynced);
    assert_eq!(f.severity, Severity::Info);
    assert!(
        f.summary.ends_with("Clock sync-ed with NTP: False"),
        "{}",
        f.summary
    );
    assert_eq!(
        f.evidence[0].log.as_deref(),
        Some("tech-support-other-info-ntp-false.txt:25")
    );
    assert_eq!(f.evidence[0].what, "Clock sync-ed with NTP: False");
    // No error: the clock sign is context, never a failure of the path.
    assert!(fs.iter().all(|f| f.severity != Severity::Error), "{fs:#?}");
}

/// A log whose stamps have no year (`*Mar  1 ...`, the switch's clock never set) is not
/// "empty": the report's heading quotes its first and last stamps as printed and says
/// they are not placed on a calendar.
#[test]
fn a_log_without_a_year_says_its_stamps_as_printed() {
    let dir = std::env::temp_dir().join(format!("licpath-noyear-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("show-logging.txt");
    std::fs::write(
        &log,
        "*Mar  1 00:01:02.123: %SMART_LIC-3-COMM_FAILED: Communications failure with the Cisco Smart Software Manager (CSSM) : Fail to send out Call Home HTTP message.\n\
         *Mar  1 08:01:02.456: %SMART_LIC-3-COMM_FAILED: Communications failure with the Cisco Smart Software Manager (CSSM) : Fail to send out Call Home HTTP message.\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(["analyze", "--color", "never", "--logs"])
        .arg(&log)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let heading = text.lines().nth(1).unwrap_or_default();
    assert!(!heading.contains("empty"), "{text}");
    // The '*' is a clock sign on the same lines, not a third message.
    assert!(
        heading.contains("2 lines read, 2 licensing messages recognised"),
        "{text}"
    );
    assert!(
        text.contains("Switch log (2 messages, 1 clock sign from"),
        "{text}"
    );
    assert!(
        heading.contains(
            "Mar 1 00:01:02.123 to Mar 1 08:01:02.456 as the switch printed them (no year: not placed on a calendar)"
        ),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
