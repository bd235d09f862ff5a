//! `watch --interface` on Linux: an AF_PACKET socket (socket2) with the classic BPF
//! program of [`super::bpf`] attached, frames handed to the engine over the same channel as
//! the files'. Kernel timestamps and the socket's drop counter come as ancillary data
//! (`SO_TIMESTAMPNS`, `SO_RXQ_OVFL`, read with nix's safe `recvmsg`); the interface's own
//! drops from `/sys/class/net/IF/statistics/rx_dropped`. No `unsafe` here: socket2 and nix
//! hold it. docs/watch.md says why not libpcap.

use super::bpf::{self, Framing, Selection};
use super::follow::SourceEvent;
use crate::model::context::AnalysisContext;
use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg, setsockopt, sockopt};
use socket2::{Domain, Protocol, SockFilter, Socket, Type};
use std::io::{IoSliceMut, Read};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

/// ETH_P_ALL: every protocol (the BPF program selects).
const ETH_P_ALL: u16 = 0x0003;
/// The socket's receive queue: a burst at line rate fits while the engine catches up.
const RECV_BUFFER: usize = 32 << 20;
/// The largest frame read (a GRO/TSO aggregate on a host's own NIC can reach 64 KiB).
const MAX_FRAME: usize = bpf::ACCEPT as usize;
/// How long a read waits before the stop flag is looked at again.
const READ_TIMEOUT: Duration = Duration::from_millis(100);
const STATS_EVERY: Duration = Duration::from_secs(1);
/// IFF_PROMISC in /sys/class/net/IF/flags.
const IFF_PROMISC: u32 = 0x100;
/// pcap linktypes of what the socket reads.
const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_RAW: u32 = 101;

/// An open capture, filter attached.
pub struct Live {
    sock: Socket,
    device: String,
    linktype: u32,
    /// rx_dropped of the interface when the capture started.
    rx_dropped_at_start: u64,
}

fn sysfs(device: &str, file: &str) -> Option<String> {
    std::fs::read_to_string(format!("/sys/class/net/{device}/{file}"))
        .ok()
        .map(|s| s.trim().to_string())
}

fn rx_dropped(device: &str) -> u64 {
    sysfs(device, "statistics/rx_dropped")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Opens `device` for `ctx`'s traffic: an error is the one line the CLI prints (exit 2);
/// the warnings (not promiscuous, a filter reduced to fit) are printed and the watch goes on.
pub fn open(device: &str, ctx: &AnalysisContext) -> Result<(Live, Vec<String>), String> {
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("capturing on {device}: {what}{e}");
    if device.is_empty() || device.contains('/') || device.len() > 15 {
        return Err(fail("", &"not an interface name"));
    }
    let ifindex = nix::net::if_::if_nametoindex(device)
        .map_err(|_| fail("", &"no such interface (ip link shows the names)"))?;
    // ARPHRD_ETHER 1 and loopback 772 carry an Ethernet header; ARPHRD_NONE 65534 (TUN,
    // WireGuard) none.
    let arphrd = sysfs(device, "type");
    let (framing, linktype) = match arphrd.as_deref() {
        Some("1" | "772") => (Framing::Ethernet, LINKTYPE_ETHERNET),
        Some("65534") => (Framing::RawIp, LINKTYPE_RAW),
        other => {
            return Err(fail(
                "",
                &format!(
                    "link type {} is neither Ethernet nor raw IP; capture with tcpdump instead and pipe it: tcpdump -i {device} -U -w - | licpath watch --file -",
                    other.unwrap_or("unknown")
                ),
            ));
        }
    };
    let mut warnings = Vec::new();
    let (program, reduced) = bpf::program(&Selection::of(ctx), ifindex, framing);
    if reduced {
        warnings.push(format!(
            "{device}: the context names too many addresses for one kernel filter: it selects by port only"
        ));
    }
    let filter: Vec<SockFilter> = program
        .iter()
        .map(|i| SockFilter::new(i.code, i.jt, i.jf, i.k))
        .collect();
    let sock = Socket::new(
        Domain::PACKET,
        Type::RAW,
        Some(Protocol::from(i32::from(ETH_P_ALL.to_be()))),
    )
    .map_err(|e| {
        let mut m = fail("", &e);
        if e.kind() == std::io::ErrorKind::PermissionDenied {
            m.push_str(" (capturing needs root or CAP_NET_RAW)");
        }
        m
    })?;
    sock.attach_filter(&filter)
        .map_err(|e| fail("attaching the filter: ", &e))?;
    // Root may go past net.core.rmem_max; anyone else gets what rmem_max allows.
    if setsockopt(&sock, sockopt::RcvBufForce, &RECV_BUFFER).is_err() {
        let _ = sock.set_recv_buffer_size(RECV_BUFFER);
    }
    setsockopt(&sock, sockopt::ReceiveTimestampns, &true)
        .map_err(|e| fail("SO_TIMESTAMPNS: ", &e))?;
    setsockopt(&sock, sockopt::RxqOvfl, &1).map_err(|e| fail("SO_RXQ_OVFL: ", &e))?;
    // What was queued before the filter was attached came from any interface: dropped.
    sock.set_nonblocking(true).map_err(|e| fail("", &e))?;
    let mut scratch = vec![0u8; MAX_FRAME];
    while (&sock).read(&mut scratch).is_ok() {}
    sock.set_nonblocking(false)
        .and_then(|()| sock.set_read_timeout(Some(READ_TIMEOUT)))
        .map_err(|e| fail("", &e))?;
    let promisc = sysfs(device, "flags")
        .and_then(|f| u32::from_str_radix(f.trim_start_matches("0x"), 16).ok())
        .is_some_and(|f| f & IFF_PROMISC != 0);
    if !promisc && arphrd.as_deref() == Some("1") {
        warnings.push(format!(
            "{device} is not in promiscuous mode: on a SPAN/mirror port its NIC drops the frames not addressed to this host; run `ip link set {device} promisc on` (this host's own traffic is seen either way)"
        ));
    }
    Ok((
        Live {
            sock,
            device: device.to_string(),
            linktype,
            rx_dropped_at_start: rx_dropped(device),
        },
        warnings,
    ))
}

/// Reads until `stop`, sending frames and drop counts to `tx`.
pub fn run(live: Live, tx: SyncSender<SourceEvent>, stop: Arc<AtomicBool>) {
    let _ = tx.send(SourceEvent::FileStarted(live.device.clone()));
    let fd = live.sock.as_raw_fd();
    let mut buf = vec![0u8; MAX_FRAME];
    let mut cmsg = nix::cmsg_space!(nix::sys::time::TimeSpec, u32);
    let (mut number, mut kernel_drops) = (0u64, 0u64);
    let mut reported = (0u64, 0u64);
    let mut last_stats = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let got = {
            let mut iov = [IoSliceMut::new(&mut buf)];
            recvmsg::<()>(fd, &mut iov, Some(&mut cmsg), MsgFlags::MSG_TRUNC).map(|m| {
                let mut time_ns = None;
                for c in m.cmsgs().into_iter().flatten() {
                    match c {
                        ControlMessageOwned::ScmTimestampns(ts) => {
                            time_ns = Some(ts.tv_sec() * 1_000_000_000 + ts.tv_nsec());
                        }
                        ControlMessageOwned::RxqOvfl(n) => kernel_drops = u64::from(n),
                        _ => {}
                    }
                }
                (m.bytes, time_ns)
            })
        };
        match got {
            Ok((len, time_ns)) => {
                number += 1;
                let time_ns = time_ns.unwrap_or_else(wall_clock_ns);
                let data = buf[..len.min(buf.len())].to_vec();
                let frame = SourceEvent::Frame {
                    number,
                    time_ns,
                    linktype: live.linktype,
                    data,
                    orig_len: u32::try_from(len).unwrap_or(u32::MAX),
                };
                if tx.send(frame).is_err() {
                    return;
                }
            }
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => {}
            Err(e) => {
                let _ = tx.send(SourceEvent::Fatal(format!(
                    "reading from {}: {e}",
                    live.device
                )));
                return;
            }
        }
        if last_stats.elapsed() >= STATS_EVERY {
            last_stats = Instant::now();
            let interface = rx_dropped(&live.device).saturating_sub(live.rx_dropped_at_start);
            if (kernel_drops, interface) != reported {
                reported = (kernel_drops, interface);
                let _ = tx.send(SourceEvent::Drops {
                    kernel: kernel_drops,
                    interface,
                });
            }
        }
    }
    let _ = tx.send(SourceEvent::Finished);
}

fn wall_clock_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}
