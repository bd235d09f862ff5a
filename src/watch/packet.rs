//! `watch --interface` on Linux: an AF_PACKET socket (socket2) with the classic BPF
//! program of [`super::bpf`] attached, frames handed to the engine over the same channel as
//! the files'. Kernel timestamps come as ancillary data (`SO_TIMESTAMPNS`, read with nix's
//! safe `recvmsg`). The socket's drops: asked of the kernel every second over sock_diag
//! (netlink, what `ss -0 -m` shows as `d`), and also carried by the next packet queued
//! after a loss (`SO_RXQ_OVFL`); the interface's own drops from
//! `/sys/class/net/IF/statistics/rx_dropped`. No `unsafe` here: socket2 and nix hold it.
//! docs/watch.md says why not libpcap.

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

/// sock_diag (linux/netlink.h, sock_diag.h, packet_diag.h).
const AF_NETLINK: i32 = 16;
const NETLINK_SOCK_DIAG: i32 = 4;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST_DUMP: u16 = 0x1 | 0x300;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const AF_PACKET: u8 = 17;
const PACKET_SHOW_MEMINFO: u32 = 0x10;
const PACKET_DIAG_MEMINFO: u16 = 6;
const SK_MEMINFO_DROPS: usize = 8;

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

/// Why `device` cannot be captured on: the one line the CLI prints (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("capturing on {device}: not an interface name")]
    NotAnInterface { device: String },
    #[error("capturing on {device}: no such interface (ip link shows the names)")]
    NoSuchInterface { device: String },
    #[error(
        "capturing on {device}: link type {arphrd} is neither Ethernet nor raw IP; capture with tcpdump instead and pipe it: tcpdump -i {device} -U -w - | licpath watch --file -"
    )]
    LinkType { device: String, arphrd: String },
    #[error("capturing on {device}: {source}{}", needs_root(source))]
    Socket {
        device: String,
        source: std::io::Error,
    },
    /// A step of setting the socket up (`step` ends with ": ", or is empty).
    #[error("capturing on {device}: {step}{source}")]
    Setup {
        device: String,
        step: &'static str,
        source: std::io::Error,
    },
    /// A socket option nix set (its error as nix words it).
    #[error("capturing on {device}: {step}{source}")]
    SocketOption {
        device: String,
        step: &'static str,
        source: nix::Error,
    },
}

fn needs_root(e: &std::io::Error) -> &'static str {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        " (capturing needs root or CAP_NET_RAW)"
    } else {
        ""
    }
}

/// Opens `device` for `ctx`'s traffic; the warnings (not promiscuous, a filter reduced to
/// fit) are printed and the watch goes on.
pub fn open(device: &str, ctx: &AnalysisContext) -> Result<(Live, Vec<String>), OpenError> {
    let dev = || device.to_string();
    let setup = |step| {
        move |source| OpenError::Setup {
            device: dev(),
            step,
            source,
        }
    };
    let option = |step| {
        move |source| OpenError::SocketOption {
            device: dev(),
            step,
            source,
        }
    };
    if device.is_empty() || device.contains('/') || device.len() > 15 {
        return Err(OpenError::NotAnInterface { device: dev() });
    }
    let ifindex = nix::net::if_::if_nametoindex(device)
        .map_err(|_| OpenError::NoSuchInterface { device: dev() })?;
    // ARPHRD_ETHER 1 and loopback 772 carry an Ethernet header; ARPHRD_NONE 65534 (TUN,
    // WireGuard) none.
    let arphrd = sysfs(device, "type");
    let (framing, linktype) = match arphrd.as_deref() {
        Some("1" | "772") => (Framing::Ethernet, LINKTYPE_ETHERNET),
        Some("65534") => (Framing::RawIp, LINKTYPE_RAW),
        other => {
            return Err(OpenError::LinkType {
                device: dev(),
                arphrd: other.unwrap_or("unknown").to_string(),
            });
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
    .map_err(|source| OpenError::Socket {
        device: dev(),
        source,
    })?;
    sock.attach_filter(&filter)
        .map_err(setup("attaching the filter: "))?;
    // Root may go past net.core.rmem_max; anyone else gets what rmem_max allows.
    if setsockopt(&sock, sockopt::RcvBufForce, &RECV_BUFFER).is_err() {
        let _ = sock.set_recv_buffer_size(RECV_BUFFER);
    }
    setsockopt(&sock, sockopt::ReceiveTimestampns, &true).map_err(option("SO_TIMESTAMPNS: "))?;
    setsockopt(&sock, sockopt::RxqOvfl, &1).map_err(option("SO_RXQ_OVFL: "))?;
    // What was queued before the filter was attached came from any interface: dropped.
    sock.set_nonblocking(true).map_err(setup(""))?;
    let mut scratch = vec![0u8; MAX_FRAME];
    while (&sock).read(&mut scratch).is_ok() {}
    sock.set_nonblocking(false)
        .and_then(|()| sock.set_read_timeout(Some(READ_TIMEOUT)))
        .map_err(setup(""))?;
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
    let inode = std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .ok()
        .and_then(|l| {
            let l = l.to_string_lossy().into_owned();
            l.strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse::<u32>()
                .ok()
        });
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
                let data = super::follow::FrameBytes::new(&buf[..len.min(buf.len())]);
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
            if let Some(d) = inode.and_then(diag_drops) {
                kernel_drops = kernel_drops.max(d);
            }
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

/// The drops of the packet socket `inode` (this process's), asked of the kernel over
/// sock_diag: a dump of the namespace's packet sockets with their memory counters. None
/// when the kernel has no sock_diag for packet sockets or does not answer within a second.
fn diag_drops(inode: u32) -> Option<u64> {
    let nl = Socket::new(
        Domain::from(AF_NETLINK),
        Type::DGRAM,
        Some(Protocol::from(NETLINK_SOCK_DIAG)),
    )
    .ok()?;
    nl.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    nl.send(&diag_request()).ok()?;
    let mut buf = vec![0u8; 64 * 1024];
    // A dump comes in several datagrams; bounded by the namespace's packet sockets.
    for _ in 0..1024 {
        let n = (&nl).read(&mut buf).ok()?;
        match parse_diag(&buf[..n], inode) {
            Diag::Found(d) => return Some(d),
            Diag::End => return None,
            Diag::More => {}
        }
    }
    None
}

/// `nlmsghdr` + `packet_diag_req` asking every packet socket's memory counters.
fn diag_request() -> Vec<u8> {
    let mut r = Vec::with_capacity(36);
    r.extend_from_slice(&36u32.to_ne_bytes());
    r.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    r.extend_from_slice(&NLM_F_REQUEST_DUMP.to_ne_bytes());
    r.extend_from_slice(&[0; 8]); // sequence, port id
    r.extend_from_slice(&[AF_PACKET, 0, 0, 0]); // family, protocol, pad
    r.extend_from_slice(&[0; 4]); // inode
    r.extend_from_slice(&PACKET_SHOW_MEMINFO.to_ne_bytes());
    r.extend_from_slice(&[0; 8]); // cookie
    r
}

#[derive(Debug, PartialEq, Eq)]
enum Diag {
    Found(u64),
    /// The dump ended (or failed) without the socket.
    End,
    More,
}

fn ne_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn ne_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// One datagram of the dump: the messages, each a `packet_diag_msg` (16 bytes: family,
/// type, num, inode, cookie) and attributes; `PACKET_DIAG_MEMINFO` holds the u32 counters.
fn parse_diag(b: &[u8], inode: u32) -> Diag {
    let mut at = 0;
    while let (Some(len), Some(kind)) = (ne_u32(b, at), ne_u16(b, at + 4)) {
        let len = len as usize;
        if len < 16 || at + len > b.len() {
            return Diag::End;
        }
        match kind {
            NLMSG_DONE | NLMSG_ERROR => return Diag::End,
            SOCK_DIAG_BY_FAMILY if ne_u32(b, at + 20) == Some(inode) => {
                let msg = &b[at..at + len];
                let mut a = 16 + 16;
                while let (Some(alen), Some(akind)) = (ne_u16(msg, a), ne_u16(msg, a + 2)) {
                    let alen = usize::from(alen);
                    if alen < 4 || a + alen > msg.len() {
                        break;
                    }
                    if akind == PACKET_DIAG_MEMINFO {
                        return ne_u32(msg, a + 4 + 4 * SK_MEMINFO_DROPS)
                            .filter(|_| alen >= 4 + 4 * (SK_MEMINFO_DROPS + 1))
                            .map_or(Diag::End, |d| Diag::Found(u64::from(d)));
                    }
                    a += alen.next_multiple_of(4);
                }
                return Diag::End;
            }
            _ => {}
        }
        at += len.next_multiple_of(4);
    }
    Diag::More
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interface_that_cannot_be_opened_is_one_line_naming_it() {
        let ctx = AnalysisContext::default();
        let said = |device: &str| open(device, &ctx).err().map(|e| e.to_string());
        assert_eq!(
            said("a/b").as_deref(),
            Some("capturing on a/b: not an interface name")
        );
        assert_eq!(
            said("nosuch0").as_deref(),
            Some("capturing on nosuch0: no such interface (ip link shows the names)")
        );
        let e = OpenError::Socket {
            device: "eth0".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert_eq!(
            e.to_string(),
            "capturing on eth0: permission denied (capturing needs root or CAP_NET_RAW)"
        );
    }

    /// A sock_diag reply as the kernel lays it out: another socket's message, then ours
    /// with a UID attribute before its counters.
    fn reply(ours: u32, drops: u32) -> Vec<u8> {
        let msg = |inode: u32, attrs: &[(u16, Vec<u8>)]| {
            let mut body = vec![AF_PACKET, 3, 0, 0];
            body.extend_from_slice(&inode.to_ne_bytes());
            body.extend_from_slice(&[0; 8]);
            for (kind, data) in attrs {
                body.extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
                body.extend_from_slice(&kind.to_ne_bytes());
                body.extend_from_slice(data);
                body.resize(body.len().next_multiple_of(4), 0);
            }
            let mut m = ((16 + body.len()) as u32).to_ne_bytes().to_vec();
            m.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
            m.extend_from_slice(&[0; 10]);
            m.extend_from_slice(&body);
            m
        };
        let meminfo = |d: u32| {
            let mut v = vec![0u8; 4 * 9];
            v[4 * SK_MEMINFO_DROPS..].copy_from_slice(&d.to_ne_bytes());
            v
        };
        let mut b = msg(ours + 1, &[(PACKET_DIAG_MEMINFO, meminfo(7))]);
        b.extend(msg(
            ours,
            &[(5, vec![0; 4]), (PACKET_DIAG_MEMINFO, meminfo(drops))],
        ));
        b
    }

    #[test]
    fn the_drops_of_this_socket_are_read_from_the_dump() {
        assert_eq!(parse_diag(&reply(42, 95_220), 42), Diag::Found(95_220));
        // Not in this datagram: the next one is read.
        assert_eq!(parse_diag(&reply(42, 1), 99), Diag::More);
        let mut done = 16u32.to_ne_bytes().to_vec();
        done.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        done.extend_from_slice(&[0; 10]);
        assert_eq!(parse_diag(&done, 42), Diag::End);
        // Cut anywhere: never a panic, never a wrong count.
        let r = reply(42, 95_220);
        for n in 0..r.len() {
            assert_ne!(parse_diag(&r[..n], 42), Diag::Found(0), "{n}");
        }
        assert_eq!(diag_request().len(), 36);
    }

    /// The kernel itself: a packet socket of this process is found in the dump (0 drops).
    #[test]
    fn the_kernel_answers_for_a_packet_socket_of_this_process() {
        let Ok(sock) = Socket::new(Domain::PACKET, Type::RAW, Some(Protocol::from(0))) else {
            eprintln!("no CAP_NET_RAW: the sock_diag check against the kernel is skipped");
            return;
        };
        let link = std::fs::read_link(format!("/proc/self/fd/{}", sock.as_raw_fd())).unwrap();
        let inode: u32 = link.to_string_lossy()["socket:[".len()..]
            .trim_end_matches(']')
            .parse()
            .unwrap();
        assert_eq!(diag_drops(inode), Some(0));
    }
}
