//! Hand-made edge cases built by a small generator from real lab captures: the quirks of
//! switch exports (DOMAIN.md §5) — Cisco MetaData and QinQ tags, snaplen truncation, a
//! truncated last record, backwards time, duplicated frames — and other containers (big-
//! endian and nanosecond pcap, gzip, raw IP and Linux cooked link types). Each must give the
//! same verdict as the original, plus the right capture finding.

mod common;
use common::*;
use licpath::model::*;
use std::io::Write;
use std::path::{Path, PathBuf};

struct Rec {
    sec: u32,
    frac: u32,
    orig: u32,
    data: Vec<u8>,
}

/// Reads a little-endian microsecond pcap (what the lab's tcpdump writes).
fn read_pcap(p: &Path) -> (u32, Vec<Rec>) {
    let b = std::fs::read(p).unwrap();
    assert_eq!(
        &b[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "lab captures are LE µs pcap"
    );
    let le = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
    let linktype = le(20);
    let mut recs = Vec::new();
    let mut at = 24;
    while at + 16 <= b.len() {
        let caplen = le(at + 8) as usize;
        recs.push(Rec {
            sec: le(at),
            frac: le(at + 4),
            orig: le(at + 12),
            data: b[at + 16..at + 16 + caplen].to_vec(),
        });
        at += 16 + caplen;
    }
    (linktype, recs)
}

fn write_pcap(linktype: u32, recs: &[Rec], big_endian: bool, nanos: bool) -> Vec<u8> {
    let w32 = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let w16 = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut out = Vec::new();
    out.extend_from_slice(&w32(if nanos { 0xa1b23c4d } else { 0xa1b2c3d4 }));
    out.extend_from_slice(&w16(2));
    out.extend_from_slice(&w16(4));
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&w32(262144));
    out.extend_from_slice(&w32(linktype));
    for r in recs {
        out.extend_from_slice(&w32(r.sec));
        out.extend_from_slice(&w32(if nanos { r.frac * 1000 } else { r.frac }));
        out.extend_from_slice(&w32(r.data.len() as u32));
        out.extend_from_slice(&w32(r.orig));
        out.extend_from_slice(&r.data);
    }
    out
}

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    common::tmp_file("synthetic", name, bytes)
}

fn lab(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn verdict(t: &Timeline) -> licpath::diagnose::verdict::OverallVerdict {
    licpath::diagnose::verdict::overall_verdict(t)
}

fn lab_t(name: &str) -> Timeline {
    analyze_with(&lab(name), false, None)
}

fn same_story(a: &Timeline, b: &Timeline) {
    assert_eq!(verdict(a), verdict(b));
    assert_eq!(a.connections.len(), b.connections.len());
    for (x, y) in a.connections.iter().zip(&b.connections) {
        assert_eq!(x.tls, y.tls);
        assert_eq!(x.state, y.state);
        assert_eq!(
            x.findings.iter().map(|f| f.code).collect::<Vec<_>>(),
            y.findings.iter().map(|f| f.code).collect::<Vec<_>>()
        );
    }
}

#[test]
fn qinq_and_cisco_metadata_headers_are_transparent() {
    let (lt, mut recs) = read_pcap(&lab("ssl-interception-tls12.pcap"));
    for r in &mut recs {
        // dst+src MAC, then S-tag 100, C-tag 10, CMD (SGT 16), then the original EtherType.
        let tags = [
            0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x0a, 0x89, 0x09, 0x01, 0x01, 0x00, 0x01,
            0x00, 0x10,
        ];
        r.data.splice(12..12, tags);
        r.orig += tags.len() as u32;
    }
    let p = tmp("tagged.pcap", &write_pcap(lt, &recs, false, false));
    let t = analyze_with(&p, false, None);
    assert_eq!(t.stats.frames_undecoded, 0);
    same_story(&lab_t("ssl-interception-tls12.pcap"), &t);
    assert!(codes(&t).contains(&"ssl_interception"));
}

#[test]
fn big_endian_nanosecond_and_gzip_containers() {
    let (lt, recs) = read_pcap(&lab("healthy-proxy.pcap"));
    let orig = lab_t("healthy-proxy.pcap");
    let be = tmp("be-ns.pcap", &write_pcap(lt, &recs, true, true));
    let t = analyze_with(&be, false, None);
    same_story(&orig, &t);
    assert_eq!(t.start_ns, orig.start_ns);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&std::fs::read(lab("healthy-proxy.pcap")).unwrap())
        .unwrap();
    let gzp = tmp("capture.pcap.gz", &gz.finish().unwrap());
    same_story(&orig, &analyze_with(&gzp, false, None));
}

#[test]
fn raw_ip_and_linux_cooked_link_types() {
    let (_, recs) = read_pcap(&lab("proxy-403.pcap"));
    let raw: Vec<Rec> = recs
        .iter()
        .map(|r| Rec {
            sec: r.sec,
            frac: r.frac,
            orig: r.orig - 14,
            data: r.data[14..].to_vec(),
        })
        .collect();
    let orig = lab_t("proxy-403.pcap");
    same_story(
        &orig,
        &analyze_with(
            &tmp("raw.pcap", &write_pcap(101, &raw, false, false)),
            false,
            None,
        ),
    );
    let sll2: Vec<Rec> = recs
        .iter()
        .map(|r| {
            let mut d = vec![r.data[12], r.data[13], 0, 0, 0, 0, 0, 2, 0, 1, 0, 6];
            d.extend_from_slice(&r.data[6..12]);
            d.extend_from_slice(&[0, 0]);
            d.extend_from_slice(&r.data[14..]);
            Rec {
                sec: r.sec,
                frac: r.frac,
                orig: r.orig + 6,
                data: d,
            }
        })
        .collect();
    same_story(
        &orig,
        &analyze_with(
            &tmp("sll2.pcap", &write_pcap(276, &sll2, false, false)),
            false,
            None,
        ),
    );
}

#[test]
fn duplicated_frames_are_not_retransmissions() {
    let (lt, recs) = read_pcap(&lab("healthy-direct-tls12.pcap"));
    let doubled: Vec<Rec> = recs
        .iter()
        .flat_map(|r| {
            [
                Rec {
                    sec: r.sec,
                    frac: r.frac,
                    orig: r.orig,
                    data: r.data.clone(),
                },
                Rec {
                    sec: r.sec,
                    frac: r.frac,
                    orig: r.orig,
                    data: r.data.clone(),
                },
            ]
        })
        .collect();
    let t = analyze_with(
        &tmp("dup.pcap", &write_pcap(lt, &doubled, false, false)),
        false,
        None,
    );
    let tracked = recs
        .iter()
        .filter(|r| r.data[12..14] == [0x08, 0x00])
        .count() as u64; // the IPv6 MLD reports are not tracked
    assert_eq!(
        t.stats.frames_duplicated, tracked,
        "every frame twice: every second one is a duplicate"
    );
    same_story(&lab_t("healthy-direct-tls12.pcap"), &t);
    assert!(!t.connections.is_empty());
    assert!(t.connections.iter().all(|c| c.retransmissions == 0));
}

#[test]
fn epc_duplicates_are_dropped_and_retransmissions_kept_in_one_capture() {
    // A real lossy path (20% dropped at random; fast retransmits microseconds after the
    // original, with a new IP ID) captured at two attachment points: every frame twice,
    // 2 µs apart, same bytes. The copies go, every retransmission stays.
    let (lt, recs) = read_pcap(&lab("lossy-loopback.pcap"));
    let doubled: Vec<Rec> = recs
        .iter()
        .flat_map(|r| {
            let copy = |frac| Rec {
                sec: r.sec,
                frac,
                orig: r.orig,
                data: r.data.clone(),
            };
            [copy(r.frac), copy(r.frac + 2)]
        })
        .collect();
    let once = lab_t("lossy-loopback.pcap");
    let twice = analyze_with(
        &tmp("lossy-twice.pcap", &write_pcap(lt, &doubled, false, false)),
        false,
        None,
    );
    assert_eq!(once.stats.frames_duplicated, 0);
    assert_eq!(twice.stats.frames_duplicated, recs.len() as u64);
    let (a, b) = (&once.connections[0], &twice.connections[0]);
    assert!(a.loss.retransmitted_to_client >= 3, "{:?}", a.loss);
    assert_eq!((a.retransmissions, a.loss), (b.retransmissions, b.loss));
    let warning = |t: &Timeline| {
        t.all_findings()
            .find(|f| f.code == FindingCode::Retransmissions)
            .map(|f| f.summary.clone())
    };
    assert!(warning(&once).is_some());
    assert_eq!(warning(&once), warning(&twice));
}

#[test]
fn backwards_timestamps_are_reported_not_fatal() {
    let (lt, mut recs) = read_pcap(&lab("proxy-407.pcap"));
    // Like the seed document's export: one frame stamped earlier than the one before it.
    let (a, b) = (recs[8].frac, recs[9].frac);
    recs[8].frac = b;
    recs[9].frac = a;
    let t = analyze_with(
        &tmp("backwards.pcap", &write_pcap(lt, &recs, false, false)),
        false,
        None,
    );
    assert_eq!(t.stats.time_went_backwards, 1);
    let f = t
        .findings
        .iter()
        .find(|f| f.code == FindingCode::CaptureTimeBackwards)
        .unwrap();
    assert_eq!(f.evidence[0].frame, Some(10));
    assert!(codes(&t).contains(&"proxy_auth_required"));
}

#[test]
fn snaplen_truncated_frames_become_gaps_not_errors() {
    let (lt, mut recs) = read_pcap(&lab("cert-wrong-name.pcap"));
    for r in &mut recs {
        r.data.truncate(96);
    }
    let t = analyze_with(
        &tmp("snap96.pcap", &write_pcap(lt, &recs, false, false)),
        true, // --all: with the SNI and the DNS answer cut off, nothing marks the flow as licensing
        None,
    );
    assert!(t.stats.frames_truncated > 0);
    assert!(codes(&t).contains(&"capture_truncated"));
    assert!(codes(&t).contains(&"capture_gap"));
    // The certificate is gone with the cut bytes: no certificate finding can be claimed.
    assert!(!codes(&t).contains(&"cert_hostname_mismatch"));
    assert!(!t.all_findings().any(|f| f.step == Step::Cert));
}

#[test]
fn truncated_last_record_keeps_what_came_before() {
    let bytes = std::fs::read(lab("syn-rejected.pcap")).unwrap();
    let cut = tmp("cut.pcap", &bytes[..bytes.len() - 7]);
    let mut frames = 0;
    let summary = licpath::capture::read_capture_file(&cut, |_| frames += 1).unwrap();
    assert!(summary.truncated);
    let (_, recs) = read_pcap(&lab("syn-rejected.pcap"));
    assert_eq!(frames, recs.len() as u64 - 1);
}

#[test]
fn every_prefix_of_a_capture_is_handled() {
    // A hostile or interrupted file: every cut point reads without panic.
    let bytes = std::fs::read(lab("mss536-proxy.pcap")).unwrap();
    for cut in (0..bytes.len()).step_by(13) {
        let p = tmp("prefix.pcap", &bytes[..cut]);
        let mut a = licpath::flow::Analyzer::new(Default::default());
        if licpath::capture::read_capture_file(&p, |f| {
            a.frame(f.number, f.time_ns, f.linktype, f.data, f.orig_len)
        })
        .is_ok()
        {
            let _ = a.finish(Source::Capture { files: vec![] });
        }
    }
}

#[test]
fn one_direction_capture_is_not_a_silent_server() {
    let (lt, recs) = read_pcap(&lab("healthy-direct-tls12.pcap"));
    // Keep only what the switch sent (IPv4 source 198.51.100.10): an egress-only capture.
    let egress: Vec<Rec> = recs
        .into_iter()
        .filter(|r| r.data[12..14] == [0x08, 0x00] && r.data[26..30] == [198, 51, 100, 10])
        .collect();
    let t = analyze_with(
        &tmp("egress.pcap", &write_pcap(lt, &egress, false, false)),
        false,
        None,
    );
    let c = t
        .connections
        .iter()
        .find(|c| c.server.port() == 443)
        .expect("the TLS connection");
    assert!(c.one_direction);
    assert_eq!(
        c.findings.iter().map(|f| f.code).collect::<Vec<_>>(),
        vec![FindingCode::CaptureOneDirection]
    );
    assert!(
        !codes(&t).contains(&"tcp_timeout") && !codes(&t).contains(&"tls_timeout"),
        "{:?}",
        codes(&t)
    );
    // The DNS answers were not captured either: the queries look unanswered, and say so.
    let dns = t
        .findings
        .iter()
        .find(|f| f.code == FindingCode::DnsTimeout)
        .expect("dns_timeout, downgraded");
    assert_eq!(
        (dns.severity, dns.confidence),
        (Severity::Warning, Confidence::Low)
    );
    assert!(!t.has_errors(), "{:?}", codes(&t));
}
