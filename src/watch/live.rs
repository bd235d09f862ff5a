//! `watch --interface` (cargo feature `live-capture`): libpcap on the interface, with the
//! kernel filter of [`super::filter`], frames handed to the engine over the same channel
//! as the files'. The capture's statistics (kernel and interface drops) are read every
//! second and sent when they change. docs/watch.md says why libpcap and not AF_PACKET.

use super::follow::SourceEvent;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

/// Whole frames.
const SNAPLEN: i32 = 65_535;
/// The kernel's buffer for packets waiting to be read: a burst at line rate fits.
const BUFFER_BYTES: i32 = 32 << 20;
/// The pause after an empty (non-blocking) read.
const IDLE_PAUSE: Duration = Duration::from_millis(5);
const STATS_EVERY: Duration = Duration::from_secs(1);

/// Opens `device` with `filter`: an error is the one line the CLI prints (exit 2).
pub fn open(device: &str, filter: &str) -> Result<pcap::Capture<pcap::Active>, String> {
    let mut cap = pcap::Capture::from_device(device)
        .and_then(|c| {
            c.immediate_mode(true)
                .snaplen(SNAPLEN)
                .buffer_size(BUFFER_BYTES)
                .promisc(true)
                .open()
        })
        // libpcap's read timeout does not end a blocking read on Linux when nothing
        // arrives: read without blocking and pause between empty reads.
        .and_then(|c| c.setnonblock())
        .map_err(|e| {
            let mut m = format!("capturing on {device}: {e}");
            if m.contains("ermission") || m.contains("not permitted") {
                m.push_str(" (capturing needs root or CAP_NET_RAW)");
            }
            m
        })?;
    cap.filter(filter, true)
        .map_err(|e| format!("capturing on {device}: filter {filter:?}: {e}"))?;
    Ok(cap)
}

/// Reads `cap` until `stop`, sending frames and drop counts to `tx`.
pub fn run(
    mut cap: pcap::Capture<pcap::Active>,
    device: &str,
    tx: SyncSender<SourceEvent>,
    stop: Arc<AtomicBool>,
) {
    let linktype = cap.get_datalink().0 as u32;
    let _ = tx.send(SourceEvent::FileStarted(device.to_string()));
    let mut number = 0u64;
    let mut last_stats = Instant::now();
    let mut drops = (0u64, 0u64);
    while !stop.load(Ordering::Relaxed) {
        match cap.next_packet() {
            Ok(p) => {
                number += 1;
                let ts = p.header.ts;
                let time_ns = ts.tv_sec * 1_000_000_000 + ts.tv_usec * 1_000;
                let _ = tx.send(SourceEvent::Frame {
                    number,
                    time_ns,
                    linktype,
                    data: p.data.to_vec(),
                    orig_len: p.header.len,
                });
            }
            Err(pcap::Error::TimeoutExpired) => std::thread::sleep(IDLE_PAUSE),
            Err(e) => {
                let _ = tx.send(SourceEvent::Fatal(format!("reading from {device}: {e}")));
                return;
            }
        }
        if last_stats.elapsed() >= STATS_EVERY {
            last_stats = Instant::now();
            if let Ok(s) = cap.stats() {
                let now = (u64::from(s.dropped), u64::from(s.if_dropped));
                if now != drops {
                    drops = now;
                    let _ = tx.send(SourceEvent::Drops {
                        kernel: now.0,
                        interface: now.1,
                    });
                }
            }
        }
    }
    let _ = tx.send(SourceEvent::Finished);
}
