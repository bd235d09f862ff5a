//! `--capture FILE.pcap` (cargo feature `live-capture`): the probe's own packets recorded
//! with libpcap while it runs, so that `licpath analyze FILE.pcap` can be run on them — the
//! same decoders and rules as for a capture exported from a switch.
//!
//! The capture opens before the first packet is sent (a permission or file error stops
//! the run before it starts), runs on its own thread reading without blocking, and is
//! stopped and flushed after the probe ends, with a grace period for the last ACKs/FINs.
//!
//! The file is licpath's own pcap writer over [`OutputFile`] (not libpcap's savefile,
//! which opens the name with `fopen` and so follows a planted link and truncates what it
//! points to): written under a random name beside it, renamed over the name when the
//! capture is complete, a link or a directory refused, an error leaving nothing behind.

use super::ProbeConfig;
use super::error::ProbeError;
use crate::outfile::OutputFile;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The pause after an empty (non-blocking) read.
const IDLE_PAUSE: Duration = Duration::from_millis(5);
/// After the probe ends: packets still in flight (FIN, last ACK, an RST) are kept for
/// twice the slowest handshake round trip, within these bounds.
const GRACE_MIN: Duration = Duration::from_millis(150);
const GRACE_MAX: Duration = Duration::from_secs(2);
/// Bytes kept per packet: whole frames, as a switch export with `buffer ... max-size`
/// large enough would.
const SNAPLEN: i32 = 65_535;
/// Packets still read after the stop when the interface is busy with other traffic.
const MAX_DRAIN: u32 = 10_000;

/// What was recorded.
#[derive(Debug, Clone)]
pub struct CaptureSummary {
    pub device: String,
    pub packets: u64,
    /// Dropped by the kernel (the ring buffer was full) or by the interface.
    pub dropped: u64,
}

/// A running capture; [`LiveCapture::finish`] stops it.
pub struct LiveCapture {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Result<CaptureSummary, ProbeError>>,
}

/// The capture filter for what this probe sends: DNS, the targets' and the proxy's ports,
/// HTTP (revocation), and ICMP (unreachables).
pub fn filter_for(cfg: &ProbeConfig, target_ports: &[u16]) -> String {
    let mut ports: Vec<u16> = target_ports.to_vec();
    ports.push(53);
    ports.extend(cfg.dns_servers.iter().map(|s| s.port()));
    if let Some(p) = &cfg.proxy {
        ports.push(p.port);
    }
    if cfg.revocation {
        ports.push(80);
    }
    ports.sort_unstable();
    ports.dedup();
    let ports: Vec<String> = ports.iter().map(|p| format!("port {p}")).collect();
    format!(
        "((tcp or udp) and ({})) or icmp or icmp6",
        ports.join(" or ")
    )
}

/// Opens `device` ("any" for every interface) and `path`, and starts recording.
pub fn start(path: &Path, device: &str, filter: &str) -> Result<LiveCapture, ProbeError> {
    let fail = |what: &str, e: pcap::Error| ProbeError::Capture(format!("{what}: {e}"));
    let mut cap = pcap::Capture::from_device(device)
        .and_then(|c| c.immediate_mode(true).snaplen(SNAPLEN).open())
        // libpcap's read timeout does not end a blocking read on Linux when nothing
        // arrives (it polls again): read without blocking and pause between empty reads.
        .and_then(|c| c.setnonblock())
        .map_err(|e| {
            let mut m = format!("opening {device}: {e}");
            if m.contains("ermission") || m.contains("not permitted") {
                m.push_str(" (capturing needs root or CAP_NET_RAW)");
            }
            ProbeError::Capture(m)
        })?;
    cap.filter(filter, true)
        .map_err(|e| fail(&format!("filter {filter:?}"), e))?;
    let mut file = OutputFile::create(path, &[]).map_err(|e| ProbeError::Capture(e.to_string()))?;
    let write_err =
        |e: std::io::Error| ProbeError::Capture(format!("writing {}: {e}", path.display()));
    write_pcap_header(&mut file, cap.get_datalink().0).map_err(write_err)?;
    let shown = path.display().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    let device = device.to_string();
    let thread = std::thread::Builder::new()
        .name("licpath-capture".into())
        .spawn(move || {
            let (mut packets, mut after_stop) = (0u64, 0u32);
            loop {
                match cap.next_packet() {
                    Ok(p) => {
                        write_pcap_record(&mut file, p.header, p.data)
                            .map_err(|e| ProbeError::Capture(format!("writing {shown}: {e}")))?;
                        packets += 1;
                    }
                    Err(pcap::Error::TimeoutExpired) => {
                        // Nothing queued: stop only now, so what was queued when the
                        // probe ended is written first. (Packets carry the kernel's
                        // timestamps: the pause does not change their times.)
                        if stopping.load(Ordering::Relaxed) {
                            break;
                        }
                        std::thread::sleep(IDLE_PAUSE);
                    }
                    Err(e) => {
                        return Err(ProbeError::Capture(format!("reading from {device}: {e}")));
                    }
                }
                if stopping.load(Ordering::Relaxed) {
                    // A busy interface never times out: bound the drain.
                    after_stop += 1;
                    if after_stop > MAX_DRAIN {
                        break;
                    }
                }
            }
            file.commit()
                .map_err(|e| ProbeError::Capture(e.to_string()))?;
            let dropped = cap
                .stats()
                .map(|s| u64::from(s.dropped) + u64::from(s.if_dropped))
                .unwrap_or(0);
            Ok(CaptureSummary {
                device,
                packets,
                dropped,
            })
        })
        .map_err(|e| ProbeError::Capture(format!("starting the capture thread: {e}")))?;
    Ok(LiveCapture { stop, thread })
}

/// The pcap file header (libpcap's format, microsecond stamps, little-endian): magic,
/// version 2.4, no zone offset, the snap length and the link type of the device.
fn write_pcap_header(out: &mut impl Write, linktype: i32) -> std::io::Result<()> {
    let mut h = Vec::with_capacity(24);
    h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&(SNAPLEN as u32).to_le_bytes());
    h.extend_from_slice(&(linktype as u32).to_le_bytes());
    out.write_all(&h)
}

/// One packet record: the kernel's time stamp, the bytes kept, the length on the wire.
fn write_pcap_record(
    out: &mut impl Write,
    header: &pcap::PacketHeader,
    data: &[u8],
) -> std::io::Result<()> {
    let mut h = Vec::with_capacity(16);
    h.extend_from_slice(&(header.ts.tv_sec as u32).to_le_bytes());
    h.extend_from_slice(&(header.ts.tv_usec as u32).to_le_bytes());
    h.extend_from_slice(&(data.len() as u32).to_le_bytes());
    h.extend_from_slice(&header.len.to_le_bytes());
    out.write_all(&h)?;
    out.write_all(data)
}

impl LiveCapture {
    /// Waits for the packets still in flight (twice `rtt`, the slowest round trip the
    /// probe measured, bounded), stops, flushes the file and says what was recorded.
    pub fn finish(self, rtt: Duration) -> Result<CaptureSummary, ProbeError> {
        std::thread::sleep((rtt * 2).clamp(GRACE_MIN, GRACE_MAX));
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| ProbeError::Capture("the capture thread failed".into()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_names_every_port_the_probe_uses() {
        let cfg = ProbeConfig {
            dns_servers: vec!["198.51.100.53:5353".parse().unwrap()],
            proxy: Some(crate::model::url::parse_proxy("proxy.lab:3128").unwrap()),
            revocation: true,
            ..ProbeConfig::default()
        };
        assert_eq!(
            filter_for(&cfg, &[443, 8182]),
            "((tcp or udp) and (port 53 or port 80 or port 443 or port 3128 or port 5353 or port 8182)) or icmp or icmp6"
        );
        let bare = ProbeConfig::default();
        assert_eq!(
            filter_for(&bare, &[443]),
            "((tcp or udp) and (port 53 or port 443)) or icmp or icmp6"
        );
    }
}
