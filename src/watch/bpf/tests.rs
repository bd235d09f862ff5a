//! The generated programs run in a small classic-BPF interpreter (the kernel's semantics
//! for the opcodes used: a load past the packet's end rejects it), over frames built here
//! and over every Ethernet and raw-IP capture of captures/, against libpcap's compilation
//! of the same selection in pcap-filter syntax (tcpdump -r ... -w ..., when installed).

use super::*;
use crate::model::context::KnownProxy;
use std::path::Path;

const IFINDEX: u32 = 7;

/// Runs `prog` on `pkt` seen on interface `ifindex`: what it returns (0: dropped).
fn run(prog: &[Insn], pkt: &[u8], ifindex: u32) -> u32 {
    let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
    let load = |at: u32, n: usize| -> Option<u32> {
        let at = at as usize;
        let bytes = pkt.get(at..at.checked_add(n)?)?;
        Some(bytes.iter().fold(0u32, |v, b| (v << 8) | u32::from(*b)))
    };
    loop {
        let i = prog[pc];
        pc += 1;
        match i.code {
            op::LD_W_ABS if i.k == op::AD_IFINDEX => a = ifindex,
            op::LD_W_ABS => match load(i.k, 4) {
                Some(v) => a = v,
                None => return 0,
            },
            op::LD_H_ABS => match load(i.k, 2) {
                Some(v) => a = v,
                None => return 0,
            },
            op::LD_B_ABS => match load(i.k, 1) {
                Some(v) => a = v,
                None => return 0,
            },
            op::LD_H_IND => match load(x.wrapping_add(i.k), 2) {
                Some(v) => a = v,
                None => return 0,
            },
            op::LDX_B_MSH => match load(i.k, 1) {
                Some(v) => x = 4 * (v & 0xf),
                None => return 0,
            },
            op::ALU_AND_K => a &= i.k,
            op::JA => pc += i.k as usize,
            op::JEQ_K => pc += usize::from(if a == i.k { i.jt } else { i.jf }),
            op::JSET_K => pc += usize::from(if a & i.k != 0 { i.jt } else { i.jf }),
            op::RET_K => return i.k,
            other => panic!("opcode {other:#x} at {}", pc - 1),
        }
    }
}

/// What the kernel's checker (sk_chk_filter) demands: every jump lands inside the program,
/// the last instruction returns, at most BPF_MAXINSNS.
fn assert_valid(prog: &[Insn]) {
    assert!(
        !prog.is_empty() && prog.len() <= MAX_INSNS,
        "{} insns",
        prog.len()
    );
    assert_eq!(prog.last().unwrap().code, op::RET_K);
    for (pc, i) in prog.iter().enumerate() {
        let targets: Vec<usize> = match i.code {
            op::JA => vec![pc + 1 + i.k as usize],
            op::JEQ_K | op::JSET_K => vec![pc + 1 + usize::from(i.jt), pc + 1 + usize::from(i.jf)],
            _ => vec![],
        };
        for t in targets {
            assert!(t < prog.len(), "insn {pc} jumps to {t} of {}", prog.len());
        }
    }
}

fn ctx() -> AnalysisContext {
    AnalysisContext {
        proxies: vec![KnownProxy::new("198.51.100.3", 3128, "--proxy")],
        dns_servers: vec![
            "198.51.100.53".parse().unwrap(),
            "2001:db8::53".parse().unwrap(),
        ],
        licensing_addresses: vec!["203.0.113.10".parse().unwrap()],
        ..AnalysisContext::default()
    }
}

fn with_switches(mut c: AnalysisContext, s: &[&str]) -> AnalysisContext {
    c.switch_addresses = s.iter().map(|a| a.parse().unwrap()).collect();
    c
}

// ---- frames

fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn tagged(tpid: u16, ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut inner = vec![0, 10];
    inner.extend_from_slice(&ethertype.to_be_bytes());
    inner.extend_from_slice(payload);
    eth(tpid, &inner)
}

fn ports(sport: u16, dport: u16) -> Vec<u8> {
    let mut p = sport.to_be_bytes().to_vec();
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&[0; 16]);
    p
}

/// IPv4 with `options` (a multiple of 4 bytes) and the fragment field `frag`.
fn ip4(proto: u8, src: &str, dst: &str, frag: u16, options: &[u8], payload: &[u8]) -> Vec<u8> {
    let ihl = 5 + options.len() / 4;
    let mut h = vec![0x40 | ihl as u8, 0];
    h.extend_from_slice(&((ihl * 4 + payload.len()) as u16).to_be_bytes());
    h.extend_from_slice(&[0, 1]);
    h.extend_from_slice(&frag.to_be_bytes());
    h.extend_from_slice(&[64, proto, 0, 0]);
    h.extend_from_slice(&src.parse::<std::net::Ipv4Addr>().unwrap().octets());
    h.extend_from_slice(&dst.parse::<std::net::Ipv4Addr>().unwrap().octets());
    h.extend_from_slice(options);
    h.extend_from_slice(payload);
    h
}

fn ip6(next: u8, src: &str, dst: &str, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.extend_from_slice(&[next, 64]);
    h.extend_from_slice(&src.parse::<std::net::Ipv6Addr>().unwrap().octets());
    h.extend_from_slice(&dst.parse::<std::net::Ipv6Addr>().unwrap().octets());
    h.extend_from_slice(payload);
    h
}

/// Frames with what the filter must accept (`true`) or drop, for the context [`ctx`] and
/// no switch given.
fn frames() -> Vec<(&'static str, Vec<u8>, bool)> {
    let (sw, srv) = ("198.51.100.10", "203.0.113.99");
    let v4 = |proto, src, dst, payload: &[u8]| eth(0x0800, &ip4(proto, src, dst, 0, &[], payload));
    let v6 = |next, src, dst, payload: &[u8]| eth(0x86dd, &ip6(next, src, dst, payload));
    let mut frag6 = vec![58, 0, 0, 0, 0, 0, 0, 1];
    frag6.extend_from_slice(&[128, 0, 0, 0]);
    vec![
        ("tcp to 443", v4(6, sw, srv, &ports(40000, 443)), true),
        ("tcp from 443", v4(6, srv, sw, &ports(443, 40000)), true),
        ("udp to 53", v4(17, sw, srv, &ports(40000, 53)), true),
        (
            "tcp to the proxy port",
            v4(6, sw, srv, &ports(40000, 3128)),
            true,
        ),
        ("tcp to 8182", v4(6, sw, srv, &ports(40000, 8182)), true),
        ("tcp to 22", v4(6, sw, srv, &ports(40000, 22)), false),
        ("udp to 123", v4(17, sw, srv, &ports(123, 123)), false),
        ("sctp to 443", v4(132, sw, srv, &ports(40000, 443)), false),
        ("icmp", v4(1, srv, sw, &[3, 3, 0, 0, 0, 0, 0, 0]), true),
        (
            "the name server, port 5353",
            v4(17, sw, "198.51.100.53", &ports(5353, 5353)),
            true,
        ),
        (
            "from the proxy, port 9",
            v4(6, "198.51.100.3", sw, &ports(9, 9)),
            true,
        ),
        (
            "a licensing address",
            v4(6, sw, "203.0.113.10", &ports(40000, 8443)),
            true,
        ),
        (
            "options, then 443",
            eth(
                0x0800,
                &ip4(6, sw, srv, 0, &[1, 1, 1, 0, 1, 1, 1, 0], &ports(40000, 443)),
            ),
            true,
        ),
        (
            "options, then 22",
            eth(
                0x0800,
                &ip4(6, sw, srv, 0, &[1, 1, 1, 0, 0, 0, 0, 0], &ports(40000, 22)),
            ),
            false,
        ),
        (
            "a later fragment whose bytes look like 53",
            eth(0x0800, &ip4(17, sw, srv, 0x00b9, &[], &ports(53, 53))),
            false,
        ),
        (
            "a first fragment to 53 (more fragments)",
            eth(0x0800, &ip4(17, sw, srv, 0x2000, &[], &ports(40000, 53))),
            true,
        ),
        (
            "ipv6 tcp to 443",
            v6(6, "2001:db8::10", "2001:db8::99", &ports(40000, 443)),
            true,
        ),
        (
            "ipv6 udp to 22",
            v6(17, "2001:db8::10", "2001:db8::99", &ports(40000, 22)),
            false,
        ),
        (
            "ipv6 to the name server",
            v6(17, "2001:db8::10", "2001:db8::53", &ports(40000, 22)),
            true,
        ),
        (
            "ipv6 near the name server",
            v6(17, "2001:db8::10", "2001:db8::54", &ports(40000, 22)),
            false,
        ),
        (
            "icmpv6",
            v6(
                58,
                "2001:db8::99",
                "2001:db8::10",
                &[1, 4, 0, 0, 0, 0, 0, 0],
            ),
            true,
        ),
        (
            "icmpv6 behind a fragment header",
            v6(44, "2001:db8::99", "2001:db8::10", &frag6),
            true,
        ),
        (
            "802.1Q, tcp to 443",
            tagged(0x8100, 0x0800, &ip4(6, sw, srv, 0, &[], &ports(40000, 443))),
            true,
        ),
        (
            "802.1Q, tcp to 22",
            tagged(0x8100, 0x0800, &ip4(6, sw, srv, 0, &[], &ports(40000, 22))),
            false,
        ),
        (
            "802.1ad, ipv6 to 443",
            tagged(
                0x88a8,
                0x86dd,
                &ip6(6, "2001:db8::10", "2001:db8::99", &ports(40000, 443)),
            ),
            true,
        ),
        ("arp", eth(0x0806, &[0, 1, 8, 0, 6, 4, 0, 1]), false),
        ("a runt", eth(0x0800, &[0x45, 0]), false),
        ("truncated before the ports", v4(6, sw, srv, &[1]), false),
    ]
}

#[test]
fn frames_built_here_are_selected_as_the_context_says() {
    let sel = Selection::of(&ctx());
    let (prog, reduced) = program(&sel, IFINDEX, Framing::Ethernet);
    assert!(!reduced);
    assert_valid(&prog);
    let mut wrong = Vec::new();
    for (what, f, want) in frames() {
        let got = run(&prog, &f, IFINDEX);
        if (got == ACCEPT) != want {
            wrong.push(format!("{what}: returned {got}, expected accepted={want}"));
        }
        // Another interface's packets never pass.
        assert_eq!(
            run(&prog, &f, IFINDEX + 1),
            0,
            "{what} on another interface"
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_switches_addresses_narrow_the_selection() {
    let c = with_switches(ctx(), &["198.51.100.10", "2001:db8::10"]);
    let (prog, _) = program(&Selection::of(&c), IFINDEX, Framing::Ethernet);
    assert_valid(&prog);
    let to443 = |src: &str| {
        eth(
            0x0800,
            &ip4(6, src, "203.0.113.99", 0, &[], &ports(40000, 443)),
        )
    };
    assert_eq!(run(&prog, &to443("198.51.100.10"), IFINDEX), ACCEPT);
    assert_eq!(run(&prog, &to443("198.51.100.11"), IFINDEX), 0);
    let back = eth(
        0x0800,
        &ip4(
            6,
            "203.0.113.99",
            "198.51.100.10",
            0,
            &[],
            &ports(443, 40000),
        ),
    );
    assert_eq!(run(&prog, &back, IFINDEX), ACCEPT);
    let v6 = |src: &str| eth(0x86dd, &ip6(6, src, "2001:db8::99", &ports(40000, 443)));
    assert_eq!(run(&prog, &v6("2001:db8::10"), IFINDEX), ACCEPT);
    assert_eq!(run(&prog, &v6("2001:db8::11"), IFINDEX), 0);
    // A switch of the other family only: nothing of this one passes.
    let only6 = with_switches(ctx(), &["2001:db8::10"]);
    let (prog, _) = program(&Selection::of(&only6), IFINDEX, Framing::Ethernet);
    assert_eq!(run(&prog, &to443("198.51.100.10"), IFINDEX), 0);
}

#[test]
fn raw_ip_interfaces_are_read_by_the_version_nibble() {
    let (prog, _) = program(&Selection::of(&ctx()), IFINDEX, Framing::RawIp);
    assert_valid(&prog);
    let v4 = ip4(6, "192.0.2.50", "203.0.113.40", 0, &[], &ports(40000, 443));
    let v6 = ip6(17, "2001:db8::10", "2001:db8::99", &ports(40000, 53));
    let no = ip4(6, "192.0.2.50", "203.0.113.40", 0, &[], &ports(40000, 22));
    assert_eq!(run(&prog, &v4, IFINDEX), ACCEPT);
    assert_eq!(run(&prog, &v6, IFINDEX), ACCEPT);
    assert_eq!(run(&prog, &no, IFINDEX), 0);
    assert_eq!(run(&prog, &v4, IFINDEX + 1), 0);
}

#[test]
fn a_context_too_large_for_the_kernel_keeps_the_ports() {
    let mut c = ctx();
    c.licensing_addresses = (0..2000u32)
        .map(|i| {
            IpAddr::from(std::net::Ipv6Addr::from(
                0x2001_0db8_u128 << 96 | u128::from(i),
            ))
        })
        .collect();
    let (prog, reduced) = program(&Selection::of(&c), IFINDEX, Framing::Ethernet);
    assert!(reduced);
    assert_valid(&prog);
    let f = eth(
        0x0800,
        &ip4(
            6,
            "198.51.100.10",
            "203.0.113.99",
            0,
            &[],
            &ports(40000, 443),
        ),
    );
    assert_eq!(run(&prog, &f, IFINDEX), ACCEPT);
    let many_switches = with_switches(
        AnalysisContext::default(),
        &(1..=250)
            .map(|i| format!("2001:db8::{i:x}"))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let (prog, reduced) = program(&Selection::of(&many_switches), IFINDEX, Framing::Ethernet);
    assert!(reduced);
    assert_valid(&prog);
    assert_eq!(run(&prog, &f, IFINDEX), ACCEPT);
}

// ---- against libpcap

/// The selection in pcap-filter syntax, written here for libpcap (`ip host`, not `host`,
/// which would take ARP too): `(from) and (one)`, again behind a VLAN tag on Ethernet.
fn pcap_expression(sel: &Selection, framing: Framing) -> String {
    let host = |a: &IpAddr| match a {
        IpAddr::V4(_) => format!("ip host {a}"),
        IpAddr::V6(_) => format!("ip6 host {a}"),
    };
    let ports: Vec<String> = sel.ports.iter().map(|p| format!("port {p}")).collect();
    let mut one = vec![format!("((tcp or udp) and ({}))", ports.join(" or "))];
    one.extend(sel.hosts.iter().map(host));
    one.push("icmp or icmp6".into());
    let one = one.join(" or ");
    let from = if sel.switches.is_empty() {
        String::new()
    } else {
        let s: Vec<String> = sel.switches.iter().map(host).collect();
        format!("({}) and ", s.join(" or "))
    };
    match framing {
        Framing::Ethernet => format!("({from}({one})) or (vlan and {from}({one}))"),
        Framing::RawIp => format!("{from}({one})"),
    }
}

type Frames = Vec<(i64, Vec<u8>)>;

fn read(path: &Path) -> (u32, Frames) {
    let mut linktype = 0;
    let mut out = Vec::new();
    crate::capture::read_capture_file(path, |f| {
        linktype = f.linktype;
        out.push((f.time_ns, f.data.to_vec()));
    })
    .unwrap();
    (linktype, out)
}

/// What tcpdump keeps of `path` with `expr`; None when tcpdump is not installed.
fn tcpdump_keeps(path: &Path, expr: &str, dir: &Path) -> Option<Frames> {
    let out = dir.join("kept.pcap");
    let r = std::process::Command::new("tcpdump")
        .args(["-n", "-r"])
        .arg(path)
        .arg("-w")
        .arg(&out)
        .arg(expr)
        .stderr(std::process::Stdio::piped())
        .output()
        .ok()?;
    assert!(
        r.status.success(),
        "tcpdump {expr}: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    Some(read(&out).1)
}

#[test]
fn the_lab_captures_select_what_libpcap_selects() {
    let dir = tempfile::tempdir().unwrap();
    // The frames built here, as a capture too.
    let built = dir.path().join("built.pcap");
    let fs: Vec<Vec<u8>> = frames().into_iter().map(|(_, f, _)| f).collect();
    std::fs::write(
        &built,
        crate::capture::testing::pcap(1_796_000_000, 1000, &fs),
    )
    .unwrap();
    let mut files = vec![built];
    let caps = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut lab: Vec<_> = std::fs::read_dir(&caps)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    lab.sort();
    files.extend(lab);
    let contexts = [
        AnalysisContext::default(),
        ctx(),
        with_switches(ctx(), &["198.51.100.10", "2001:db8::10"]),
        with_switches(AnalysisContext::default(), &["192.0.2.50"]),
    ];
    let (mut compared, mut kept, mut dropped) = (0usize, 0usize, 0usize);
    let mut differ = Vec::new();
    for path in &files {
        let (linktype, all) = read(path);
        let framing = match linktype {
            1 => Framing::Ethernet,
            101 => Framing::RawIp,
            _ => continue,
        };
        for c in &contexts {
            let sel = Selection::of(c);
            let (prog, _) = program(&sel, IFINDEX, framing);
            let mine: Frames = all
                .iter()
                .filter(|(_, d)| run(&prog, d, IFINDEX) == ACCEPT)
                .cloned()
                .collect();
            let expr = pcap_expression(&sel, framing);
            let Some(theirs) = tcpdump_keeps(path, &expr, dir.path()) else {
                eprintln!("tcpdump not installed: the comparison with libpcap is skipped");
                return;
            };
            compared += 1;
            kept += mine.len();
            dropped += all.len() - mine.len();
            if mine != theirs {
                differ.push(format!(
                    "{} with {expr}: we keep {} frames, libpcap {}",
                    path.display(),
                    mine.len(),
                    theirs.len()
                ));
            }
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    // Both outcomes were exercised, over every capture.
    assert!(
        compared > 200 && kept > 1000 && dropped > 100,
        "{compared} {kept} {dropped}"
    );
}
