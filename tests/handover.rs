//! The hand-over outputs, checked with the real clients: the annotated pcapng read by
//! tshark, the HTML report rendered by headless Chromium, and the script-injection case
//! (an SNI holding `<script>`). Tests skip with a printed reason when a client is absent.

mod common;
use common::*;
use licpath::model::{Source, StaticHost, StaticOrigin, Timeline};
use licpath::report::annotate::{OutputCap, annotate_file, annotations, finding_line};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn lab(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn tmp_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("licpath-handover-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIP: {tool} is not installed (tests/run.sh installs it)");
    }
    ok
}

fn tshark(file: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tshark -r {} {args:?}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Frame number → comment field, as tshark shows it (several comments joined by `\u{1f}`).
fn tshark_comments(file: &Path) -> BTreeMap<u64, Vec<String>> {
    tshark(
        file,
        &[
            "-Y",
            "frame.comment",
            "-T",
            "fields",
            "-E",
            "aggregator=\u{1f}",
            "-e",
            "frame.number",
            "-e",
            "frame.comment",
        ],
    )
    .lines()
    .map(|l| {
        let (n, c) = l.split_once('\t').unwrap();
        (
            n.parse().unwrap(),
            c.split('\u{1f}').map(str::to_string).collect(),
        )
    })
    .collect()
}

/// Per frame: number, time (ns precision), lengths, protocols (and interface for pcapng),
/// then the hex dump of every frame.
fn tshark_frames(file: &Path, with_interface: bool) -> (String, String) {
    let mut fields = vec![
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "frame.time_epoch",
        "-e",
        "frame.len",
        "-e",
        "frame.cap_len",
        "-e",
        "frame.protocols",
    ];
    if with_interface {
        fields.extend(["-e", "frame.interface_id", "-e", "frame.interface_name"]);
    }
    (tshark(file, &fields), tshark(file, &["-x"]))
}

/// Annotates `input` (analysed as `analyze` does) and checks it with tshark: exactly the
/// evidence frames carry comments, each finding's line on each of its frames; the same
/// frames, times, lengths, protocols and bytes as the input; the verdict and every finding
/// in the file's comment.
fn check_annotated(input: &Path, out_dir: &Path, with_interface: bool) {
    let t = analyze_with(input, false, None);
    let notes = annotations(&input.display().to_string(), &t);
    let out = out_dir.join(format!(
        "{}.annotated.pcapng",
        input.file_name().unwrap().to_string_lossy()
    ));
    let s = annotate_file(input, &out, &notes, OutputCap::Auto).unwrap();
    assert!(s.missing_frames.is_empty(), "{s:?}");
    assert_eq!(s.frames, t.stats.frames);

    let mut expected: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for f in t.all_findings() {
        for e in &f.evidence {
            if let Some(n) = e.frame {
                expected.entry(n).or_default().push(finding_line(f));
            }
        }
    }
    assert!(
        !expected.is_empty(),
        "{}: no evidence frames",
        input.display()
    );
    let seen = tshark_comments(&out);
    // licpath's mark, "licpath VERSION #MARK: ", starts each of its comments.
    let mark = &notes.section[..notes.section.find(": ").unwrap() + 2];
    assert!(
        mark.starts_with(&format!("licpath {} #", env!("CARGO_PKG_VERSION"))),
        "{mark}"
    );
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "commented frames of {}",
        out.display()
    );
    for (n, lines) in &expected {
        for line in lines {
            assert!(
                seen[n].iter().any(|c| c
                    .strip_prefix(mark)
                    .is_some_and(|c| c.starts_with(line.as_str()))),
                "frame {n}: {line:?} not in {:?}",
                seen[n]
            );
        }
    }
    assert_eq!(
        tshark_frames(input, with_interface),
        tshark_frames(&out, with_interface),
        "{} and {} differ",
        input.display(),
        out.display()
    );
    // The section header's comment, as capinfos shows it: the verdict, then every finding.
    if have("capinfos") {
        let out = Command::new("capinfos").arg(&out).output().unwrap();
        let info = String::from_utf8_lossy(&out.stdout);
        let comment = info
            .lines()
            .find_map(|l| l.strip_prefix("Capture comment:"))
            .unwrap_or_else(|| panic!("no capture comment:\n{info}"));
        assert!(
            comment
                .trim_start()
                .starts_with(&format!("{mark}{}: verdict FAILED", input.display())),
            "{comment}"
        );
        for f in t.all_findings() {
            assert!(comment.contains(&finding_line(f)), "{comment}");
        }
    }
}

/// Issue 28 item 8: the input's own comments (editcap) come through escaped, and one that
/// reads like licpath's is marked as the input's; every comment that starts with "licpath"
/// carries this run's mark; tshark and capinfos read the file.
#[test]
fn the_inputs_comments_are_escaped_and_cannot_pass_for_licpaths() {
    if !have("tshark") || !have("editcap") {
        return;
    }
    let dir = tmp_dir("forged");
    let input = dir.join("forged.pcapng");
    let o = Command::new("editcap")
        .args(["-a", "1:licpath: ERROR forged — the switch is fine"])
        .args(["-a", "14:\x1b]0;pwned\x07 \x1b[2J hello"])
        .arg(lab("ssl-interception-tls12.pcap"))
        .arg(&input)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.join("out.pcapng");
    let o = licpath(&[
        "analyze".as_ref(),
        "--annotate".as_ref(),
        out.as_os_str(),
        input.as_os_str(),
    ]);
    assert!(!o.stderr.is_empty());
    let bytes = std::fs::read(&out).unwrap();
    assert!(
        !bytes.windows(9).any(|w| w == b"\x1b]0;pwned"),
        "the input's escape sequence reached the output"
    );
    let c = tshark_comments(&out);
    assert_eq!(c[&1], ["input: licpath: ERROR forged — the switch is fine"]);
    assert!(
        c[&14]
            .iter()
            .any(|c| c == r"\x1b]0;pwned\x07 \x1b[2J hello"),
        "{c:?}"
    );
    let ours: Vec<&String> = c
        .values()
        .flatten()
        .filter(|c| c.starts_with("licpath"))
        .collect();
    assert!(!ours.is_empty());
    let mark = &ours[0][..ours[0].find(": ").unwrap() + 2];
    let hex = mark
        .strip_prefix(&format!("licpath {} #", env!("CARGO_PKG_VERSION")))
        .and_then(|m| m.strip_suffix(": "))
        .unwrap_or_else(|| panic!("{mark}"));
    assert!(
        hex.len() == 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{hex}"
    );
    assert!(ours.iter().all(|c| c.starts_with(mark)), "{ours:?}");
    if have("capinfos") {
        let info = Command::new("capinfos").arg(&out).output().unwrap();
        assert!(info.status.success());
        assert!(String::from_utf8_lossy(&info.stdout).contains(mark));
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A copy of a little-endian nanosecond pcap with `ns` added to every timestamp.
fn add_nanoseconds(path: &Path, ns: u32) -> Vec<u8> {
    let mut b = std::fs::read(path).unwrap();
    assert_eq!(&b[..4], &[0x4d, 0x3c, 0xb2, 0xa1], "LE ns pcap");
    let le = |b: &[u8], i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
    let mut at = 24;
    while at + 16 <= b.len() {
        let frac = le(&b, at + 4) + ns;
        b[at + 4..at + 8].copy_from_slice(&frac.to_le_bytes());
        at += 16 + le(&b, at + 8) as usize;
    }
    b
}

#[test]
fn annotated_pcap_shows_findings_on_evidence_frames_in_tshark() {
    if !have("tshark") {
        return;
    }
    let dir = tmp_dir("pcap");
    for name in ["ssl-interception-tls12.pcap", "proxy-407.pcap"] {
        check_annotated(&lab(name), &dir, false);
    }
    // The issue's example: the interceptor's CA in the comment of the Certificate frame.
    let out = dir.join("ssl-interception-tls12.pcap.annotated.pcapng");
    let c = tshark_comments(&out);
    assert!(
        c[&14].iter().any(|c| c.starts_with("licpath ") && c.contains(
            ": ERROR ssl_interception — SSL interception by Squid (ssl-bump): the certificate for smartreceiver.cisco.com was issued by 'CN=Lab Squid Interception CA, O=Lab Security Appliance, C=US'"
        )),
        "{c:?}"
    );
    // Nanosecond timestamps stay nanosecond (if_tsresol 9): the lab's ns capture has
    // whole-µs values, so 7 ns are added to each record here.
    let ns_in = dir.join("odd-nanoseconds.pcap");
    std::fs::write(
        &ns_in,
        add_nanoseconds(&lab("syn-rejected-nanosecond.pcap"), 7),
    )
    .unwrap();
    check_annotated(&ns_in, &dir, false);
    let times = tshark(&ns_in, &["-T", "fields", "-e", "frame.time_epoch"]);
    assert!(times.lines().all(|l| l.ends_with("007")), "{times}");
    std::fs::remove_dir_all(dir).ok();
}

/// Issue 26: mtu_blackhole's evidence sits on the frames that prove it, as tshark's expert
/// info points at them (the segment past the hole, the receiver's duplicate ACK with its
/// SACK block), in the report and in the annotated pcapng; the summary names the frame.
#[test]
fn mtu_blackhole_evidence_is_on_the_frames_tshark_points_at() {
    if !have("tshark") {
        return;
    }
    let input = lab("mtu-blackhole.pcap");
    let frames = |filter: &str| -> Vec<u64> {
        tshark(
            &input,
            &["-Y", filter, "-T", "fields", "-e", "frame.number"],
        )
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
    };
    let past_hole = frames("tcp.analysis.lost_segment");
    let dup_ack = frames("tcp.analysis.duplicate_ack");
    assert_eq!(
        (past_hole.len(), dup_ack.len()),
        (1, 1),
        "the lab capture changed"
    );
    let sack = tshark(
        &input,
        &[
            "-Y",
            "tcp.analysis.duplicate_ack",
            "-T",
            "fields",
            "-e",
            "tcp.options.sack_le",
            "-e",
            "tcp.options.sack_re",
        ],
    );
    let sack: Vec<&str> = sack.split_whitespace().collect();
    let t = analyze_with(&input, false, None);
    let f = t
        .all_findings()
        .find(|f| f.code.as_str() == "mtu_blackhole")
        .expect("mtu_blackhole");
    assert!(
        f.summary.contains(&format!(
            "bytes before frame #{} never arrived",
            past_hole[0]
        )),
        "{}",
        f.summary
    );
    let cited: Vec<u64> = f.evidence.iter().filter_map(|e| e.frame).collect();
    for n in past_hole.iter().chain(&dup_ack) {
        assert!(cited.contains(n), "frame {n} not cited: {cited:?}");
    }
    let ack = f
        .evidence
        .iter()
        .find(|e| e.frame == Some(dup_ack[0]))
        .unwrap();
    assert!(
        ack.what.contains(&format!("SACK {}-{}", sack[0], sack[1])),
        "{}",
        ack.what
    );
    let dir = tmp_dir("mtu");
    check_annotated(&input, &dir, false);
    let comments = tshark_comments(&dir.join("mtu-blackhole.pcap.annotated.pcapng"));
    for n in past_hole.iter().chain(&dup_ack) {
        assert!(
            comments
                .get(n)
                .is_some_and(|c| c.iter().any(|c| c.contains("ERROR mtu_blackhole"))),
            "frame {n}: {comments:?}"
        );
    }
}

#[test]
fn annotated_gzip_and_multi_interface_pcapng_keep_every_frame() {
    if !have("tshark") || !have("mergecap") {
        return;
    }
    let dir = tmp_dir("ng");
    // gzip input, compressed here.
    let gz = dir.join("proxy-403.pcap.gz");
    {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        e.write_all(&std::fs::read(lab("proxy-403.pcap")).unwrap())
            .unwrap();
        e.finish().unwrap();
    }
    check_annotated(&gz, &dir, false);
    // pcapng with two interfaces of different resolution (µs and ns) and link-layer
    // header types kept apart (-I none).
    let merged = dir.join("two-interfaces.pcapng");
    let st = Command::new("mergecap")
        .args(["-F", "pcapng", "-I", "none", "-w"])
        .arg(&merged)
        .arg(lab("ssl-interception-tls12.pcap"))
        .arg(lab("syn-rejected-nanosecond.pcap"))
        .status()
        .unwrap();
    assert!(st.success());
    let ifaces = tshark(&merged, &["-T", "fields", "-e", "frame.interface_id"]);
    assert!(
        ifaces.lines().any(|l| l == "1"),
        "mergecap made one interface"
    );
    check_annotated(&merged, &dir, true);
    // And the reference pcapng capture itself (no error finding: no comment, same frames).
    let ng = lab("healthy-proxy-pcapng.pcapng");
    let out = dir.join("healthy.pcapng");
    let t = analyze_with(&ng, false, None);
    let s = annotate_file(&ng, &out, &annotations("x", &t), OutputCap::Auto).unwrap();
    assert_eq!(s.frames, 21);
    assert_eq!(tshark_frames(&ng, true), tshark_frames(&out, true));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn annotate_refuses_to_overwrite_its_input() {
    let dir = tmp_dir("same");
    let p = dir.join("in.pcap");
    std::fs::copy(lab("proxy-407.pcap"), &p).unwrap();
    let t = analyze_with(&p, false, None);
    let e = annotate_file(&p, &p, &annotations("x", &t), OutputCap::Auto).unwrap_err();
    assert!(
        e.to_string().contains("must not overwrite its input"),
        "{e}"
    );
    assert_eq!(
        std::fs::read(&p).unwrap(),
        std::fs::read(lab("proxy-407.pcap")).unwrap()
    );
    std::fs::remove_dir_all(dir).ok();
}

// ---------------------------------------------------------------- HTML and Markdown

fn reports_of(path: &Path, all: bool) -> (String, Timeline) {
    (path.display().to_string(), analyze_with(path, all, None))
}

type Writer = fn(
    &mut dyn std::io::Write,
    &str,
    &[licpath::report::json::CaptureReport],
) -> std::io::Result<()>;

fn render(inputs: &[(String, Timeline)], write: Writer) -> String {
    let reports: Vec<_> = inputs
        .iter()
        .map(|(n, t)| licpath::report::json::report(n, "pcap", t))
        .collect();
    let mut out = Vec::new();
    write(&mut out, "analyze", &reports).unwrap();
    String::from_utf8(out).unwrap()
}

fn html_of(inputs: &[(String, Timeline)]) -> String {
    render(inputs, licpath::report::html::write_html)
}

fn markdown_of(inputs: &[(String, Timeline)]) -> String {
    render(inputs, licpath::report::markdown::write_markdown)
}

/// Issue 26: the chain table of cert-expired.pcap (tshark: the leaf's notAfter is
/// 2021-01-01, the capture is of 2026-11-22; the intermediate is valid then). The expired
/// row carries a word and a row style, not a colour alone; both name columns read CN
/// first (the lab stores the intermediate's name CN first and the root's, as its issuer,
/// country first); name cells break at spaces only.
#[test]
fn the_chain_table_marks_the_expired_row_and_writes_names_one_way() {
    let input = [reports_of(&lab("cert-expired.pcap"), false)];
    let html = html_of(&input);
    let rows: Vec<&str> = html
        .lines()
        .filter(|l| l.starts_with("<tr") && l.contains("<td class=\"name\">"))
        .collect();
    assert_eq!(rows.len(), 2, "{html}");
    assert!(
        rows[0].starts_with("<tr class=\"bad\">")
            && rows[0].contains("<td><b>EXPIRED when seen</b> 2020-01-01 .. 2021-01-01</td>"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].starts_with("<tr><td>1</td>") && !rows[1].contains("EXPIRED"),
        "{}",
        rows[1]
    );
    assert!(rows[1].contains(
        "<td class=\"name\">CN=HydrantID Server CA O1, O=IdenTrust, C=US</td><td class=\"name\">CN=IdenTrust Commercial Root CA 1, O=IdenTrust, C=US</td>"
    ), "{}", rows[1]);
    let names = rows
        .iter()
        .flat_map(|r| r.split("<td class=\"name\">").skip(1))
        .collect::<Vec<_>>();
    assert_eq!(names.len(), 4);
    assert!(names.iter().all(|n| n.starts_with("CN=")), "{names:?}");
    assert!(html.contains("names written CN first, C last (RFC 4514 order)"));
    let rule = html
        .lines()
        .find(|l| l.starts_with("td.name {"))
        .expect("a td.name rule");
    assert!(
        rule.contains("word-break: normal")
            && !rule.contains("break-all")
            && !rule.contains("anywhere"),
        "{rule}"
    );
    let md = markdown_of(&input);
    let md_rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| 0 |") || l.starts_with("| 1 |"))
        .collect();
    assert_eq!(md_rows.len(), 2, "{md}");
    assert!(
        md_rows[0].contains("| **EXPIRED when seen** 2020-01-01 .. 2021-01-01 |"),
        "{}",
        md_rows[0]
    );
    assert!(
        !md_rows[1].contains("EXPIRED")
            && md_rows[1].contains("| CN=HydrantID Server CA O1, O=IdenTrust, C=US | CN=IdenTrust Commercial Root CA 1, O=IdenTrust, C=US |"),
        "{}",
        md_rows[1]
    );
    assert!(md.contains("(leaf first; names written CN first, C last (RFC 4514 order)"));
}

/// The browser window the reports are rendered in (pixels).
const PAGE_WINDOW: (u32, u32) = (1200, 1600);

/// The SNI of the hostile capture: markup that must stay text.
const HOSTILE_SNI: &str = "<script>alert(1)</script>";

/// A TCP segment between the switch and the server, in Ethernet/IPv4.
fn segment(to_server: bool, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let (client, server) = (([198, 51, 100, 10], 51000), ([203, 0, 113, 99], 443));
    let (src, dst) = if to_server {
        (client, server)
    } else {
        (server, client)
    };
    frames::tcp_frame(src, dst, seq, ack, flags, payload)
}

/// A capture whose ClientHello carries [`HOSTILE_SNI`], answered by a reset.
fn hostile_capture(dir: &Path) -> PathBuf {
    capture_with_sni(dir, HOSTILE_SNI)
}

/// A capture whose ClientHello carries `sni`, answered by a reset.
fn capture_with_sni(dir: &Path, sni: &str) -> PathBuf {
    let hello = frames::client_hello(sni);
    use frames::{ACK, PSH, RST, SYN};
    let segments = [
        segment(true, 1000, 0, SYN, &[]),
        segment(false, 5000, 1001, SYN | ACK, &[]),
        segment(true, 1001, 5001, ACK, &[]),
        segment(true, 1001, 5001, PSH | ACK, &hello),
        segment(false, 5001, 1001 + hello.len() as u32, RST | ACK, &[]),
    ];
    let p = dir.join("hostile-sni.pcap");
    std::fs::write(&p, frames::pcap(1_790_000_000, 1000, &segments)).unwrap();
    p
}

/// The text of a serialised DOM: tags removed, the five entities decoded.
fn dom_text(dom: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in dom.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Issue 28 item 7: an SNI that GFM would autolink (`www.`) or that holds backticks
/// stays in code spans in the Markdown: rendered by GitHub's own cmark-gfm (the Python
/// binding `cmarkgfm`; skipped when absent), the page has no link at all.
#[test]
fn a_link_like_sni_is_no_link_in_markdown() {
    let dir = tmp_dir("autolink");
    let sni = "www.evil.example`x";
    let p = capture_with_sni(&dir, sni);
    let t = analyze_with(&p, true, None);
    assert_eq!(t.connections[0].server_name.as_deref(), Some(sni));
    let md = markdown_of(&[(p.display().to_string(), t)]);
    assert!(md.contains("``www.evil.example`x``"), "{md}");
    let render = Command::new("python3")
        .args([
            "-c",
            "import sys, cmarkgfm; print(cmarkgfm.github_flavored_markdown_to_html(sys.stdin.read()))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(md.as_bytes())?;
            c.wait_with_output()
        });
    match render {
        Ok(o) if o.status.success() => {
            let html = String::from_utf8(o.stdout).unwrap();
            assert!(!html.contains("<a "), "{html}");
            assert!(html.contains("<code>www.evil.example`x</code>"), "{html}");
        }
        _ => eprintln!("SKIP: python3 with cmarkgfm not found"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hostile_sni_stays_text_in_html_and_markdown() {
    let dir = tmp_dir("hostile");
    let p = hostile_capture(&dir);
    let t = analyze_with(&p, true, None);
    assert_eq!(t.connections.len(), 1, "{:?}", t.connections);
    assert_eq!(t.connections[0].server_name.as_deref(), Some(HOSTILE_SNI));
    let inputs = [(p.display().to_string(), t)];
    let html = html_of(&inputs);
    assert!(!html.contains("<script"), "markup from the SNI in the page");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let md = markdown_of(&inputs);
    assert!(md.contains(r"\<script>alert(1)\</script>"), "{md}");
    // Outside code blocks, no raw '<' from the network.
    let mut in_code = false;
    for l in md.lines() {
        if l.starts_with("```") {
            in_code = !in_code;
        } else if !in_code {
            let raw = l.match_indices('<').any(|(i, _)| !l[..i].ends_with('\\'));
            assert!(!raw, "unescaped '<' outside code: {l}");
        }
    }

    let page = dir.join("hostile.html");
    std::fs::write(&page, &html).unwrap();
    if let Some(dom) = chromium(&page, "--dump-dom", &dir.join("profile"), PAGE_WINDOW) {
        assert!(!dom.contains("<script"), "the SNI became an element");
        assert!(
            dom_text(&dom).contains(&format!("SNI {HOSTILE_SNI}")),
            "{dom}"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

/// Issue 28 item 9: a 16 KB SNI is shown cut, with a marker and its length, in the text
/// report, the HTML page and the Markdown, and whole in the JSON.
#[test]
fn a_long_sni_is_shown_cut_with_its_length_and_kept_whole_in_json() {
    let dir = tmp_dir("long-sni");
    let sni = format!("{}.smartreceiver.cisco.com", "a".repeat(16_360));
    let p = capture_with_sni(&dir, &sni);
    let t = analyze_with(&p, true, None);
    assert_eq!(t.connections.len(), 1, "{:?}", t.connections);
    let marker = format!("…[cut: {} bytes]", sni.len());
    let shown = format!("{}{marker}", &sni[..128]);
    let mut text = Vec::new();
    licpath::report::text::write_text(
        &mut text,
        "long-sni.pcap",
        "pcap",
        &t,
        licpath::report::text::Color::Never,
    )
    .unwrap();
    let text = String::from_utf8(text).unwrap();
    let inputs = [(p.display().to_string(), t)];
    let html = html_of(&inputs);
    let md = markdown_of(&inputs);
    let mut json = Vec::new();
    let report = licpath::report::json::report("long-sni.pcap", "pcap", &inputs[0].1);
    licpath::report::json::write_json(
        &mut json,
        "analyze",
        licpath::model::EndReason::Completed,
        vec![report],
        None,
    )
    .unwrap();
    let json = String::from_utf8(json).unwrap();
    for (what, doc) in [("text", &text), ("html", &html), ("markdown", &md)] {
        assert!(doc.contains(&shown), "{what}: no cut SNI with its length");
        assert!(!doc.contains(&sni[..1000]), "{what}: the SNI shown whole");
    }
    assert!(text.contains(&format!("ClientHello SNI {shown}")), "{text}");
    // JSON: the whole string, in each of the model's fields that hold it, never cut.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let c = &v["reports"][0]["timeline"]["connections"][0];
    assert_eq!(c["server_name"].as_str(), Some(sni.as_str()));
    assert_eq!(c["tls"]["sni"].as_str(), Some(sni.as_str()));
    assert!(!json.contains("[cut:"), "JSON holds a cut string");
    std::fs::remove_dir_all(dir).ok();
}

/// The page fetches nothing: no script, no external style sheet, font or image.
fn assert_self_contained(html: &str) {
    for needle in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        "@import",
        "src=",
        "@font-face",
    ] {
        assert!(!html.contains(needle), "{needle} in the page");
    }
    for (i, _) in html.match_indices("url(") {
        assert!(
            html[i..].starts_with("url(#"),
            "external url(): {}",
            &html[i..i + 40]
        );
    }
    for (i, _) in html.match_indices("href=\"") {
        assert!(
            html[i + 6..].starts_with('#'),
            "external link: {}",
            &html[i..i + 40]
        );
    }
    assert!(
        html.contains("default-src 'none'"),
        "no Content-Security-Policy"
    );
    assert!(html.contains("@media print"));
}

/// Width and height from a PNG's IHDR chunk.
#[test]
fn html_report_renders_in_chromium_with_verdict_code_and_issuer() {
    let dir = tmp_dir("chromium");
    // The screenshot the README shows is made here (docs/img/ holds the committed copy).
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/handover");
    std::fs::create_dir_all(&shots).unwrap();
    let cases: [(&str, &[&str]); 2] = [
        (
            "ssl-interception-tls12.pcap",
            &[
                // The cause leads (the TUI's and text report's primary finding), then the
                // symptom.
                "Verdict: FAILED (2 errors, 0 warnings) ssl_interception SSL interception by Squid (ssl-bump): the certificate for smartreceiver.cisco.com was issued by 'CN=Lab Squid Interception CA, O=Lab Security Appliance, C=US', not by Cisco's public CA chain tls_alert the client aborted",
                "ERROR ssl_interception (cert)",
                "#1 198.51.100.10:59462 -> 198.51.100.3:3131 smartreceiver.cisco.com FAILED at cert ssl_interception",
                "was issued by 'CN=Lab Squid Interception CA, O=Lab Security Appliance, C=US'",
                "CN=Lab Squid Interception CA, O=Lab Security Appliance, C=US",
                "crypto pki trustpoint PROXY-CA",
                "Certificate chain as presented",
                "Frames 17",
                "+14.252 ms #14 Certificate (3 certs)",
            ],
        ),
        (
            "proxy-407.pcap",
            &[
                "Verdict: FAILED (1 error, 0 warnings)",
                "ERROR proxy_auth_required (proxy)",
                "HTTP/1.1 407 Proxy Authentication Required",
                "exempt the switch's source address",
                "Frames 18",
            ],
        ),
    ];
    for (name, expected) in cases {
        let (_, t) = reports_of(&lab(name), false);
        let file = format!("captures/{name}");
        let events: usize = t.connections.iter().map(|c| c.events.len()).sum();
        let html = html_of(&[(file, t)]);
        assert_self_contained(&html);
        let page = dir.join(format!("{name}.html"));
        std::fs::write(&page, &html).unwrap();
        let Some(dom) = chromium(&page, "--dump-dom", &dir.join("profile"), PAGE_WINDOW) else {
            return;
        };
        let text = dom_text(&dom);
        for e in expected {
            assert!(
                text.contains(e),
                "{name}: {e:?} not in the page's text:\n{text}"
            );
        }
        // One arrow per event in the rendered SVG.
        assert_eq!(dom.matches("<line class=\"arrow").count(), events, "{name}");
        let png = shots.join(format!("{name}.png"));
        chromium(
            &page,
            &format!("--screenshot={}", png.display()),
            &dir.join("profile"),
            PAGE_WINDOW,
        );
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(png_size(&bytes), PAGE_WINDOW);
        // A blank page compresses to a few kB; the report's text and ladder do not.
        assert!(bytes.len() > 50_000, "{name}: {} bytes", bytes.len());
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn markdown_says_what_the_text_report_says() {
    let (file, t) = reports_of(&lab("ssl-interception-tls12.pcap"), false);
    let mut text = Vec::new();
    licpath::report::text::write_text(
        &mut text,
        &file,
        "pcap",
        &t,
        licpath::report::text::Color::Never,
    )
    .unwrap();
    let text = String::from_utf8(text).unwrap();
    let md = markdown_of(&[(file, t)]);
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let md_lines: Vec<String> = md.lines().map(squash).collect();
    // Every ladder row of the text report is a row of the Markdown ladder.
    let rows: Vec<String> = text
        .lines()
        .filter(|l| l.contains(" ms #") && (l.contains(" -> ") || l.contains(" <- ")))
        .map(squash)
        .collect();
    assert_eq!(rows.len(), 11, "{text}");
    for r in &rows {
        assert!(md_lines.contains(r), "ladder row {r:?} not in:\n{md}");
    }
    for needle in [
        "**Verdict: FAILED (2 errors, 0 warnings)**",
        "#### ERROR `ssl_interception` (cert) \\[confidence: high\\]",
        // No backslash where no renderer sees markup (issue 26): '#14' mid-line.
        "- seen: #14 +14.252 ms Certificate chain of 3 cert(s), leaf `smartreceiver.cisco.com`",
        "```text",
        "crypto pki trustpoint PROXY-CA",
        "| 0 | `CN=smartreceiver.cisco.com`, O=Cisco Systems Inc., C=US | CN=Lab Squid Interception CA, O=Lab Security Appliance, C=US |",
    ] {
        assert!(md.contains(needle), "{needle:?} not in:\n{md}");
    }
}

// ---------------------------------------------------------------- through the binary

fn licpath(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn analyze_writes_annotated_html_and_markdown_besides_the_text_report() {
    let dir = tmp_dir("cli");
    let input = lab("ssl-interception-tls12.pcap");
    let (ann, html, md) = (
        dir.join("out.pcapng"),
        dir.join("report.html"),
        dir.join("report.md"),
    );
    let plain = licpath(&["analyze".as_ref(), input.as_os_str()]);
    let out = licpath(&[
        "analyze".as_ref(),
        "--annotate".as_ref(),
        ann.as_os_str(),
        "--html".as_ref(),
        html.as_os_str(),
        "--markdown".as_ref(),
        md.as_os_str(),
        input.as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // The report on stdout is unchanged by the extra outputs.
    assert_eq!(out.stdout, plain.stdout);
    assert!(
        stderr.contains("annotated capture written to")
            && stderr.contains("(17 frames, 2 with a finding as comment)"),
        "{stderr}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Verdict: FAILED (2 errors, 0 warnings)"));
    assert!(page.contains("<code>ssl_interception</code>"));
    assert_self_contained(&page);
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.contains("#### ERROR `ssl_interception` (cert)"),
        "{text}"
    );
    if have("tshark") {
        let c = tshark_comments(&ann);
        assert_eq!(c.keys().copied().collect::<Vec<_>>(), vec![14, 16]);
        assert!(
            c[&16][0].starts_with("licpath ")
                && c[&16][0].contains(": ERROR tls_alert — the client aborted the handshake with fatal alert unknown_ca (48)"),
            "{c:?}"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn annotate_flag_misuse_is_a_usage_error() {
    let dir = tmp_dir("cli-misuse");
    let a = lab("proxy-407.pcap");
    let b = lab("proxy-403.pcap");
    let out = dir.join("x.pcapng");
    let r = licpath(&[
        "analyze".as_ref(),
        "--annotate".as_ref(),
        out.as_os_str(),
        a.as_os_str(),
        b.as_os_str(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("exactly one capture file"));
    assert!(!out.exists());
    let copy = dir.join("in.pcap");
    std::fs::copy(&a, &copy).unwrap();
    let r = licpath(&[
        "analyze".as_ref(),
        "--annotate".as_ref(),
        copy.as_os_str(),
        copy.as_os_str(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("must not overwrite its input"));
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&a).unwrap());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn probe_writes_html_of_the_live_timeline() {
    let dir = tmp_dir("probe");
    // A loopback port with nothing listening: the probe's SYN is answered by a RST.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("https://127.0.0.1:{port}/");
    let html = dir.join("probe.html");
    let md = dir.join("probe.md");
    let r = licpath(&[
        "probe".as_ref(),
        "--html".as_ref(),
        html.as_os_str(),
        "--markdown".as_ref(),
        md.as_os_str(),
        url.as_ref(),
    ]);
    assert_eq!(
        r.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert_self_contained(&page);
    // Issue 22 principle 6: the page says which host measured, and that it is not the
    // switch (no --from-config).
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let host = host.trim();
    assert!(
        page.contains(&format!("<title>licpath probe from {host}: FAILED")),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<h1>licpath probe from {host}: the licensing path as measured from this host (not from the switch)</h1>"
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<tr><th>Measured</th><td class=\"wrap\">from {host} (127.0.0.1 on lo), resolver "
        )),
        "{page}"
    );
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        md.starts_with(&format!(
            "# licpath probe from {host}: FAILED — the licensing path as measured from this host (not from the switch)\n"
        )),
        "{md}"
    );
    assert!(page.contains("<code>tcp_refused</code>"));
    assert!(page.contains(&format!(
        "<tr><th>Targets</th><td class=\"wrap\">{url}</td></tr>"
    )));
    assert_eq!(
        page.matches("<line class=\"arrow").count(),
        2,
        "SYN and RST"
    );
    std::fs::remove_dir_all(dir).ok();
}

/// Issue 15 item 11: a name from `ip host` / `--resolve` is a static row in the hand-over
/// documents' DNS table, not a DNS answer; markup in a configuration's name stays text.
#[test]
fn static_entries_are_rows_of_their_own_in_the_dns_table() {
    let mut t = Timeline::empty(Source::Probe {
        targets: vec!["https://smartreceiver.cisco.com/".into()],
    });
    t.static_hosts = vec![
        StaticHost {
            name: "smartreceiver.cisco.com".into(),
            addresses: vec!["192.0.2.1".parse().unwrap()],
            origin: StaticOrigin::IpHost,
        },
        StaticHost {
            name: "<b>x</b>".into(),
            addresses: vec!["192.0.2.2".parse().unwrap()],
            origin: StaticOrigin::ResolveFlag,
        },
    ];
    let inputs = [("probe".to_string(), t)];
    let md = markdown_of(&inputs);
    assert!(
        md.contains("static: ip host `smartreceiver.cisco.com` 192.0.2.1 — no DNS query"),
        "{md}"
    );
    let html = html_of(&inputs);
    assert!(
        html.contains("static: ip host smartreceiver.cisco.com 192.0.2.1 — no DNS query"),
        "{html}"
    );
    assert!(!html.contains("<b>x</b>"), "{html}");
    assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"), "{html}");
}

/// A healthy report is titled by its verdict, not "why the switch cannot reach Cisco
/// licensing" (issue 26).
#[test]
fn a_healthy_report_is_titled_by_its_verdict() {
    let p = lab("healthy-direct-tls13.pcap");
    let t = analyze_with(&p, false, None);
    let inputs = [(p.display().to_string(), t)];
    let md = markdown_of(&inputs);
    assert!(
        md.starts_with("# licpath analyze: OK — the switch's licensing path works\n"),
        "{md}"
    );
    let html = html_of(&inputs);
    assert!(
        html.contains("the switch&#39;s licensing path works")
            || html.contains("the switch's licensing path works"),
        "{html}"
    );
    assert!(!html.contains("cannot reach"), "{html}");
}

/// A healthy page says what proved success, not a bare "No finding" (issue 26): the
/// handshake, the root and the trust store, and data both ways, as the text's `proof:`.
#[test]
fn a_healthy_report_says_what_proves_success() {
    let p = lab("healthy-proxy.pcap");
    let t = analyze_with(&p, false, None);
    let inputs = [(p.display().to_string(), t)];
    for doc in [markdown_of(&inputs), html_of(&inputs)] {
        let line = dom_text(
            doc.lines()
                .find(|l| l.contains("No finding"))
                .unwrap_or_else(|| panic!("no 'No finding' line: {doc}")),
        )
        .replace('`', ""); // Markdown puts host names in code spans

        for part in [
            "What proves the path works",
            "TLS 1.2 handshake with smartreceiver.cisco.com completed",
            "IdenTrust Commercial Root CA 1",
            "data both ways",
        ] {
            assert!(line.contains(part), "{part:?} not in {line:?}");
        }
    }
    // A failed page keeps its findings and claims no proof.
    let p = lab("proxy-407.pcap");
    let inputs = [(p.display().to_string(), analyze_with(&p, false, None))];
    let md = markdown_of(&inputs);
    assert!(!md.contains("What proves"), "{md}");
}

/// The text report of one input, without colour.
fn text_of(name: &str, t: &Timeline) -> String {
    let mut text = Vec::new();
    licpath::report::text::write_text(
        &mut text,
        name,
        "pcap",
        t,
        licpath::report::text::Color::Never,
    )
    .unwrap();
    String::from_utf8(text).unwrap()
}

/// Issue 26: one time and frame convention, said in every output. Times count from the
/// capture's first frame, as tshark's frame.time_relative, for connections and DNS alike
/// (ssl-interception-tls12.pcap: DNS first, so the SYN is not at +0); a DNS row gives its
/// query frame and its answer frame, so the answer frames DNS evidence cites
/// (dns-nxdomain.pcap) are in the DNS table of the text, HTML and Markdown reports.
#[test]
fn one_time_and_frame_convention_labelled_in_every_report() {
    if !have("tshark") {
        return;
    }
    let relative = |file: &Path, frame: u64| -> String {
        let s = tshark(
            file,
            &[
                "-Y",
                &format!("frame.number == {frame}"),
                "-T",
                "fields",
                "-e",
                "frame.time_relative",
            ],
        );
        format!("{:+.3} ms", s.trim().parse::<f64>().unwrap() * 1e3)
    };
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let label = "+ms from the capture's first frame (Wireshark's Time column)";
    // Connections: the SYN's ladder time is tshark's.
    let input = lab("ssl-interception-tls12.pcap");
    let syn: u64 = tshark(
        &input,
        &[
            "-Y",
            "tcp.flags.syn == 1 && tcp.flags.ack == 0",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ],
    )
    .lines()
    .next()
    .unwrap()
    .trim()
    .parse()
    .unwrap();
    let at = relative(&input, syn);
    assert_ne!(at, "+0.000 ms", "the capture should start with DNS");
    let (name, t) = reports_of(&input, false);
    let text = text_of(&name, &t);
    assert!(
        squash(&text).contains(&format!("{at} #{syn} -> SYN")),
        "{at} #{syn}:\n{text}"
    );
    assert!(text.contains(label), "{text}");
    let html = html_of(&[(name.clone(), t.clone())]);
    assert!(html.contains(&format!(">{at}</text>")), "{at}");
    let html_label = label.replace('\'', "&#39;");
    assert!(html.contains(&html_label));
    let md = markdown_of(&[(name, t)]);
    assert!(squash(&md).contains(&format!("{at} #{syn} -> SYN")), "{md}");
    assert!(md.contains(label));
    // DNS: the evidence's answer frames are in the table, with tshark's times.
    let input = lab("dns-nxdomain.pcap");
    let (name, t) = reports_of(&input, false);
    let f = t
        .all_findings()
        .find(|f| f.code.as_str() == "dns_nxdomain")
        .unwrap();
    let answers: Vec<u64> = f.evidence.iter().filter_map(|e| e.frame).collect();
    assert!(!answers.is_empty());
    let text = text_of(&name, &t);
    let html = html_of(&[(name.clone(), t.clone())]);
    let md = markdown_of(&[(name, t)]);
    for n in answers {
        // The answer names its query (tshark's dns.response_to).
        let query = tshark(
            &input,
            &[
                "-Y",
                &format!("frame.number == {n}"),
                "-T",
                "fields",
                "-e",
                "dns.response_to",
            ],
        );
        let q: u64 = query.trim().parse().unwrap();
        let seen = format!("#{n} {}", relative(&input, n));
        assert!(text.contains(&format!("seen: {seen}")), "{seen}:\n{text}");
        let when = relative(&input, q);
        assert!(
            text.lines()
                .any(|l| squash(l).starts_with(&format!("{when} #{q} "))
                    && l.contains(&format!("-> #{n} NXDOMAIN"))),
            "query #{q} -> answer #{n}:\n{text}"
        );
        assert!(
            html.contains(&format!("<td>{when}</td><td>#{q} -&gt; #{n}</td>")),
            "{html}"
        );
        assert!(md.contains(&format!("| {when} | #{q} -> #{n} |")), "{md}");
    }
    assert!(text.contains(label) && html.contains(&html_label) && md.contains(label));
}
