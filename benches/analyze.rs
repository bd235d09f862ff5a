//! Throughput and memory of `licpath analyze` on a large generated capture.
//!
//!   cargo bench --bench analyze -- [--size-mb 1024] [--file /tmp/licpath-bench.pcap] [--tshark] [--keep]
//!
//! The capture is built from the lab's real handshakes (captures/*.pcap: healthy, proxy 407,
//! interception, SYN dropped, reset on SNI), each replayed many times as distinct flows
//! (client address and port rewritten), interleaved with bulk TLS downloads from other
//! hosts that make up most of the bytes. Results go to stdout; BENCHMARKS.md records them.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Frames and pcap headers built in code: the library's own test helper, included as source.
#[path = "../src/capture/testing.rs"]
mod frames;

struct Frame {
    ts_us: u64,
    data: Vec<u8>,
}

fn read_pcap(p: &Path) -> Vec<Frame> {
    let b = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let le = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= b.len() {
        let caplen = le(at + 8) as usize;
        let data = b[at + 16..at + 16 + caplen].to_vec();
        // IPv4 only (the templates' MLD noise is dropped).
        if data.len() > 34 && data[12..14] == [8, 0] {
            out.push(Frame {
                ts_us: u64::from(le(at)) * 1_000_000 + u64::from(le(at + 4)),
                data,
            });
        }
        at += 16 + caplen;
    }
    out
}

/// Rewrites the switch side (198.51.100.10 and its ephemeral port) to a flow's own.
fn rewrite(frame: &[u8], client: [u8; 4], port: u16) -> Vec<u8> {
    let mut d = frame.to_vec();
    let ihl = usize::from(d[14] & 0x0f) * 4;
    let l4 = 14 + ihl;
    let sw = [198, 51, 100, 10];
    let proto = d[23];
    if d[26..30] == sw {
        d[26..30].copy_from_slice(&client);
        if proto == 6 || proto == 17 {
            d[l4..l4 + 2].copy_from_slice(&port.to_be_bytes());
        }
    } else if d[30..34] == sw {
        d[30..34].copy_from_slice(&client);
        if proto == 6 || proto == 17 {
            d[l4 + 2..l4 + 4].copy_from_slice(&port.to_be_bytes());
        }
    }
    d
}

/// A bulk HTTPS download from a non-licensing server: handshake-shaped start, then
/// `segments` full-size segments of TLS application data.
fn bulk_flow(client: [u8; 4], server: [u8; 4], port: u16, segments: usize) -> Vec<Vec<u8>> {
    use frames::{ACK, FIN, PSH, SYN, tcp_frame};
    let (client, server) = ((client, port), (server, 443));
    let mut v = Vec::with_capacity(segments + 8);
    v.push(tcp_frame(client, server, 1000, 0, SYN, &[]));
    v.push(tcp_frame(server, client, 5000, 1001, SYN | ACK, &[]));
    v.push(tcp_frame(client, server, 1001, 5001, ACK, &[]));
    // A TLS stream of 16 KiB records split across 1448-byte segments.
    let mut stream = Vec::new();
    let mut seq = 5001u32;
    for _ in 0..segments {
        while stream.len() < 1448 {
            stream.extend_from_slice(&[23, 3, 3, 0x40, 0x00]);
            stream.extend(std::iter::repeat_n(0xa5, 0x4000));
        }
        let seg: Vec<u8> = stream.drain(..1448).collect();
        v.push(tcp_frame(server, client, seq, 1001, PSH | ACK, &seg));
        seq = seq.wrapping_add(1448);
    }
    v.push(tcp_frame(server, client, seq, 1001, FIN | ACK, &[]));
    v.push(tcp_frame(
        client,
        server,
        1001,
        seq.wrapping_add(1),
        FIN | ACK,
        &[],
    ));
    v
}

fn generate(path: &Path, size: u64) -> (u64, u64) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let templates: Vec<Vec<Frame>> = [
        "healthy-direct-tls12",
        "proxy-407",
        "ssl-interception-tls12",
        "syn-dropped",
        "tls-reset-on-sni",
        "healthy-direct-tls13",
    ]
    .iter()
    .map(|n| read_pcap(&dir.join(format!("{n}.pcap"))))
    .collect();
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    w.write_all(&frames::pcap_header(262_144)).unwrap();
    // Start at the lab captures' own time, so their certificates are valid as they were.
    let (mut written, mut frames, mut ts, mut flow) = (24u64, 0u64, templates[0][0].ts_us, 0u32);
    let put = |w: &mut BufWriter<std::fs::File>, ts_us: u64, d: &[u8]| {
        w.write_all(&frames::pcap_record_header(ts_us, d.len()))
            .unwrap();
        w.write_all(d).unwrap();
        16 + d.len() as u64
    };
    while written < size {
        // One round: 8 licensing handshakes (from templates) interleaved with 4 bulk flows.
        let mut lanes: Vec<Vec<Vec<u8>>> = Vec::new();
        for k in 0..8u32 {
            flow += 1;
            let client = [10, (flow >> 16) as u8, (flow >> 8) as u8, flow as u8];
            let t = &templates[(flow as usize) % templates.len()];
            lanes.push(
                t.iter()
                    .map(|f| {
                        rewrite(
                            &f.data,
                            client,
                            20000 + (k as u16) * 1000 + (flow % 997) as u16,
                        )
                    })
                    .collect(),
            );
        }
        for k in 0..4u32 {
            flow += 1;
            let client = [10, 200 + (k as u8), (flow >> 8) as u8, flow as u8];
            lanes.push(bulk_flow(
                client,
                [192, 0, 2, 200 + k as u8],
                30000 + (flow % 30000) as u16,
                180,
            ));
        }
        let mut i = 0;
        loop {
            let mut any = false;
            for lane in &lanes {
                if let Some(f) = lane.get(i) {
                    ts += 7;
                    written += put(&mut w, ts, f);
                    frames += 1;
                    any = true;
                }
            }
            if !any {
                break;
            }
            i += 1;
        }
    }
    w.flush().unwrap();
    (written, frames)
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let size_mb: u64 = opt("--size-mb")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1024);
    let path = PathBuf::from(opt("--file").unwrap_or_else(|| "/tmp/licpath-bench.pcap".into()));
    let t = Instant::now();
    let (bytes, frames) = generate(&path, size_mb << 20);
    println!(
        "generated {} ({:.0} MiB, {frames} frames) in {:.1} s",
        path.display(),
        bytes as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );
    let hwm_before = vm_hwm_kib();

    let t = Instant::now();
    let cfg = licpath::diagnose::DiagnoseConfig {
        now_unix: 1_790_000_000,
        trust: licpath::model::trust::TrustProfile::ios_xe(None),
        judge_all_chains: false,
        ca_file: None,
        revocation_checked_by: None,
    };
    let (timeline, summary) =
        licpath::pipeline::analyze_file(&path, &Default::default(), &cfg).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let errors = timeline
        .all_findings()
        .filter(|f| f.severity == licpath::model::Severity::Error)
        .count();
    println!(
        "licpath: {:.2} s, {:.0} MB/s, {:.2} Mpackets/s, {} licensing connections shown ({} errors), {} more diagnosed and counted ({} failed), {} hidden in all; peak RSS {} MiB (before analysis {} MiB)",
        secs,
        summary.bytes_read as f64 / 1e6 / secs,
        summary.frames as f64 / 1e6 / secs,
        timeline.connections.len(),
        errors,
        timeline.overflow.connections,
        timeline.overflow.failed,
        timeline.hidden_connections,
        vm_hwm_kib() / 1024,
        hwm_before / 1024
    );
    if args.iter().any(|a| a == "--tshark") {
        let t = Instant::now();
        let out = std::process::Command::new("tshark")
            .args([
                "-r",
                path.to_str().unwrap(),
                "-Y",
                "tls.handshake or dns or http.request.method == \"CONNECT\"",
            ])
            .stdout(std::process::Stdio::null())
            .status();
        let secs = t.elapsed().as_secs_f64();
        match out {
            Ok(s) => println!(
                "tshark: {:.2} s, {:.0} MB/s (exit {s})",
                secs,
                bytes as f64 / 1e6 / secs
            ),
            Err(e) => println!("tshark: not run ({e})"),
        }
    }
    if !args.iter().any(|a| a == "--keep") {
        let _ = std::fs::remove_file(&path);
    }
}
