//! The kernel filter of `watch --interface` on Linux as classic BPF (the program an
//! AF_PACKET socket runs on every packet before it is queued): the same traffic as
//! [`super::filter::capture_filter`] says in pcap-filter syntax, and only on the watched
//! interface. Pure: built from the context and the interface's index; the tests run it in
//! a small interpreter over the lab captures and compare with libpcap's own compilation
//! of the pcap-filter expression (tcpdump).
//!
//! Shape: the interface (the ancillary load `SKF_AD_IFINDEX`: the socket is not bound, it
//! sees every interface), then per framing (untagged, one 802.1Q/802.1ad tag) IPv4 and
//! IPv6: the switches' addresses when given, ICMP, the context's hosts, TCP/UDP on the
//! ports. Every conditional jump is short (0 or 1) and long distances are `ja` with a
//! 32-bit offset, so any context assembles.

use crate::model::context::AnalysisContext;
use std::net::IpAddr;

/// One classic BPF instruction, as `struct sock_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// Opcodes used (linux/filter.h, classic BPF).
pub mod op {
    pub const LD_W_ABS: u16 = 0x20;
    pub const LD_H_ABS: u16 = 0x28;
    pub const LD_B_ABS: u16 = 0x30;
    pub const LD_H_IND: u16 = 0x48;
    pub const LDX_B_MSH: u16 = 0xb1;
    pub const ALU_AND_K: u16 = 0x54;
    pub const JA: u16 = 0x05;
    pub const JEQ_K: u16 = 0x15;
    pub const JSET_K: u16 = 0x45;
    pub const RET_K: u16 = 0x06;
    /// `SKF_AD_OFF + SKF_AD_IFINDEX`: an absolute load there reads the index of the
    /// interface the packet was seen on.
    pub const AD_IFINDEX: u32 = 0xffff_f000 + 8;
}

/// What an accepted packet returns: the bytes to keep (whole frames).
pub const ACCEPT: u32 = 0x0004_0000;
/// The kernel refuses longer programs (BPF_MAXINSNS).
pub const MAX_INSNS: usize = 4096;

/// The interface's framing: what precedes the IP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Ethernet (and loopback): 14 bytes, or 18 with a VLAN tag still in the frame.
    Ethernet,
    /// No link header (a TUN device, ARPHRD_NONE): the IP version nibble says which.
    RawIp,
}

/// The ports and addresses the program accepts, from the context (as
/// [`super::filter::capture_filter`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub ports: Vec<u16>,
    pub hosts: Vec<IpAddr>,
    pub switches: Vec<IpAddr>,
}

impl Selection {
    pub fn of(ctx: &AnalysisContext) -> Selection {
        let mut ports: Vec<u16> = super::filter::PORTS.to_vec();
        ports.extend(ctx.proxies.iter().map(|p| p.port));
        ports.sort_unstable();
        ports.dedup();
        let mut hosts: Vec<IpAddr> = ctx
            .proxies
            .iter()
            .flat_map(|p| p.addresses.iter().copied())
            .chain(ctx.dns_servers.iter().copied())
            .chain(ctx.licensing_addresses.iter().copied())
            .collect();
        hosts.sort();
        hosts.dedup();
        let mut switches = ctx.switch_addresses.clone();
        switches.sort();
        switches.dedup();
        Selection {
            ports,
            hosts,
            switches,
        }
    }
}

/// The program for `sel` on the interface `ifindex`. When the hosts make it longer than
/// the kernel takes, they are left out (the ports still select the licensing traffic; the
/// engine judges only what is licensing anyway) and the second value says so.
pub fn program(sel: &Selection, ifindex: u32, framing: Framing) -> (Vec<Insn>, bool) {
    let full = assemble(sel, ifindex, framing);
    if full.len() <= MAX_INSNS {
        return (full, false);
    }
    let fewer = Selection {
        hosts: Vec::new(),
        ..sel.clone()
    };
    let p = assemble(&fewer, ifindex, framing);
    if p.len() <= MAX_INSNS {
        return (p, true);
    }
    // So many switches that even the ports alone do not fit: every switch's traffic.
    let ports_only = Selection {
        ports: sel.ports.clone(),
        ..Selection::default()
    };
    (assemble(&ports_only, ifindex, framing), true)
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Label(usize);

enum Item {
    Insn(Insn),
    /// `ja` to a label (resolved at the end).
    Ja(Label),
    Here(Label),
}

/// Instructions with symbolic forward jumps.
struct Asm {
    items: Vec<Item>,
    labels: usize,
    accept: Label,
    reject: Label,
}

impl Asm {
    fn new() -> Asm {
        Asm {
            items: Vec::new(),
            labels: 2,
            accept: Label(0),
            reject: Label(1),
        }
    }
    fn label(&mut self) -> Label {
        self.labels += 1;
        Label(self.labels - 1)
    }
    fn here(&mut self, l: Label) {
        self.items.push(Item::Here(l));
    }
    fn insn(&mut self, code: u16, k: u32) {
        self.items.push(Item::Insn(Insn {
            code,
            jt: 0,
            jf: 0,
            k,
        }));
    }
    fn ret(&mut self, k: u32) {
        self.insn(op::RET_K, k);
    }
    fn ja(&mut self, to: Label) {
        self.items.push(Item::Ja(to));
    }
    /// Goes to `to` when the test `code` (`jeq`/`jset` with `k`) holds.
    fn jump_if(&mut self, code: u16, k: u32, to: Label) {
        self.items.push(Item::Insn(Insn {
            code,
            jt: 0,
            jf: 1,
            k,
        }));
        self.items.push(Item::Ja(to));
    }
    /// Goes to `to` when the test does not hold.
    fn jump_unless(&mut self, code: u16, k: u32, to: Label) {
        self.items.push(Item::Insn(Insn {
            code,
            jt: 1,
            jf: 0,
            k,
        }));
        self.items.push(Item::Ja(to));
    }
    fn finish(mut self) -> Vec<Insn> {
        let (accept, reject) = (self.accept, self.reject);
        self.here(accept);
        self.ret(ACCEPT);
        self.here(reject);
        self.ret(0);
        let mut at = vec![0usize; self.labels];
        let mut n = 0;
        for it in &self.items {
            match it {
                Item::Here(l) => at[l.0] = n,
                _ => n += 1,
            }
        }
        let mut out = Vec::with_capacity(n);
        for it in self.items {
            match it {
                Item::Insn(i) => out.push(i),
                Item::Ja(l) => {
                    let from = out.len() + 1;
                    out.push(Insn {
                        code: op::JA,
                        jt: 0,
                        jf: 0,
                        k: (at[l.0] - from) as u32,
                    });
                }
                Item::Here(_) => {}
            }
        }
        out
    }
}

fn assemble(sel: &Selection, ifindex: u32, framing: Framing) -> Vec<Insn> {
    let mut a = Asm::new();
    let reject = a.reject;
    a.insn(op::LD_W_ABS, op::AD_IFINDEX);
    a.jump_unless(op::JEQ_K, ifindex, reject);
    match framing {
        Framing::Ethernet => {
            let (v4, v6, tagged) = (a.label(), a.label(), a.label());
            let (v4t, v6t) = (a.label(), a.label());
            a.insn(op::LD_H_ABS, 12);
            for tpid in [0x8100, 0x88a8, 0x9100] {
                a.jump_if(op::JEQ_K, tpid, tagged);
            }
            a.jump_if(op::JEQ_K, 0x0800, v4);
            a.jump_if(op::JEQ_K, 0x86dd, v6);
            a.ret(0);
            a.here(tagged);
            a.insn(op::LD_H_ABS, 16);
            a.jump_if(op::JEQ_K, 0x0800, v4t);
            a.jump_if(op::JEQ_K, 0x86dd, v6t);
            a.ret(0);
            for (label, base, v6) in [
                (v4, 14, false),
                (v6, 14, true),
                (v4t, 18, false),
                (v6t, 18, true),
            ] {
                a.here(label);
                if v6 {
                    ipv6(&mut a, sel, base);
                } else {
                    ipv4(&mut a, sel, base);
                }
            }
        }
        Framing::RawIp => {
            let (v4, v6) = (a.label(), a.label());
            a.insn(op::LD_B_ABS, 0);
            a.insn(op::ALU_AND_K, 0xf0);
            a.jump_if(op::JEQ_K, 0x40, v4);
            a.jump_if(op::JEQ_K, 0x60, v6);
            a.ret(0);
            a.here(v4);
            ipv4(&mut a, sel, 0);
            a.here(v6);
            ipv6(&mut a, sel, 0);
        }
    }
    a.finish()
}

fn v4_word(ip: &IpAddr) -> Option<u32> {
    match ip {
        IpAddr::V4(v) => Some(u32::from(*v)),
        IpAddr::V6(_) => None,
    }
}

fn v6_words(ip: &IpAddr) -> Option<[u32; 4]> {
    match ip {
        IpAddr::V6(v) => {
            let o = v.octets();
            Some(std::array::from_fn(|i| {
                u32::from_be_bytes([o[4 * i], o[4 * i + 1], o[4 * i + 2], o[4 * i + 3]])
            }))
        }
        IpAddr::V4(_) => None,
    }
}

/// IPv4 at `b`: the switches (source or destination), ICMP, the hosts, then TCP/UDP on the
/// ports (first fragments only: a later fragment carries no ports).
fn ipv4(a: &mut Asm, sel: &Selection, b: u32) {
    let (accept, reject) = (a.accept, a.reject);
    let hosts = |a: &mut Asm, list: &[IpAddr], to: Label| {
        for w in list.iter().filter_map(v4_word) {
            for off in [12, 16] {
                a.insn(op::LD_W_ABS, b + off);
                a.jump_if(op::JEQ_K, w, to);
            }
        }
    };
    if !sel.switches.is_empty() {
        let from = a.label();
        hosts(a, &sel.switches, from);
        a.ret(0);
        a.here(from);
    }
    a.insn(op::LD_B_ABS, b + 9);
    a.jump_if(op::JEQ_K, 1, accept);
    hosts(a, &sel.hosts, accept);
    let ports = a.label();
    a.insn(op::LD_B_ABS, b + 9);
    a.jump_if(op::JEQ_K, 6, ports);
    a.jump_if(op::JEQ_K, 17, ports);
    a.ret(0);
    a.here(ports);
    a.insn(op::LD_H_ABS, b + 6);
    a.jump_if(op::JSET_K, 0x1fff, reject);
    a.insn(op::LDX_B_MSH, b);
    for off in [0, 2] {
        a.insn(op::LD_H_IND, b + off);
        for p in &sel.ports {
            a.jump_if(op::JEQ_K, u32::from(*p), accept);
        }
    }
    a.ret(0);
}

/// IPv6 at `b`: the same; the transport right after the fixed header (ICMPv6 also behind
/// a fragment header, as libpcap's `icmp6`).
fn ipv6(a: &mut Asm, sel: &Selection, b: u32) {
    let accept = a.accept;
    let hosts = |a: &mut Asm, list: &[IpAddr], to: Label| {
        for words in list.iter().filter_map(v6_words) {
            for off in [8, 24] {
                let next = a.label();
                for (i, w) in words.iter().enumerate() {
                    a.insn(op::LD_W_ABS, b + off + 4 * i as u32);
                    a.jump_unless(op::JEQ_K, *w, next);
                }
                a.ja(to);
                a.here(next);
            }
        }
    };
    if !sel.switches.is_empty() {
        let from = a.label();
        hosts(a, &sel.switches, from);
        a.ret(0);
        a.here(from);
    }
    let not_frag = a.label();
    a.insn(op::LD_B_ABS, b + 6);
    a.jump_if(op::JEQ_K, 58, accept);
    a.jump_unless(op::JEQ_K, 44, not_frag);
    a.insn(op::LD_B_ABS, b + 40);
    a.jump_if(op::JEQ_K, 58, accept);
    a.here(not_frag);
    hosts(a, &sel.hosts, accept);
    let ports = a.label();
    a.insn(op::LD_B_ABS, b + 6);
    a.jump_if(op::JEQ_K, 6, ports);
    a.jump_if(op::JEQ_K, 17, ports);
    a.ret(0);
    a.here(ports);
    for off in [40, 42] {
        a.insn(op::LD_H_ABS, b + off);
        for p in &sel.ports {
            a.jump_if(op::JEQ_K, u32::from(*p), accept);
        }
    }
    a.ret(0);
}

#[cfg(test)]
mod tests;
