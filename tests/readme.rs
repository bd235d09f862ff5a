//! The README's claims that can drift, checked (issue 26): every capture, document and
//! finding code it names exists; it states no count of captures that a new lab scenario
//! would make false; the quick start's commands are real subcommands and flags.

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// Words of `text` that look like `prefix...` paths, up to a character that ends a path.
fn paths<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.match_indices(prefix)
        .map(|(i, _)| {
            let rest = &text[i..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || "._-/".contains(c)))
                .unwrap_or(rest.len());
            rest[..end].trim_end_matches(['.', '/'])
        })
        .filter(|p| p.len() > prefix.len())
        .collect()
}

#[test]
fn every_capture_and_document_it_names_exists() {
    let text = readme();
    let mut checked = 0;
    for p in paths(&text, "captures/")
        .into_iter()
        .chain(paths(&text, "docs/"))
    {
        // Directories and globs are named as such.
        if p.ends_with('*') || p == "captures" {
            continue;
        }
        assert!(
            root().join(p).exists(),
            "README names {p}, which does not exist"
        );
        checked += 1;
    }
    assert!(
        checked >= 10,
        "only {checked} paths found: the scan is broken"
    );
}

#[test]
fn every_finding_code_it_names_exists() {
    let text = readme();
    let findings = std::fs::read_to_string(root().join("docs/findings.md")).unwrap();
    let known: Vec<&str> = findings
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    assert!(known.len() > 40, "{known:?}");
    // The step table of the live probe lists codes in its last column.
    let table: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("| ") && l.matches('|').count() == 4)
        .collect();
    let mut named = 0;
    for row in table {
        let last = row.rsplit('|').nth(1).unwrap_or_default();
        for code in last.split('`').skip(1).step_by(2) {
            if code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                assert!(
                    known.contains(&code),
                    "README names code {code}, not in docs/findings.md"
                );
                named += 1;
            }
        }
    }
    assert!(named >= 20, "only {named} codes found in the step table");
}

#[test]
fn no_count_that_drifts() {
    let text = readme();
    for (i, l) in text.lines().enumerate() {
        let l = l.to_lowercase();
        let bad = l
            .split_whitespace()
            .collect::<Vec<_>>()
            .windows(3)
            .any(|w| {
                w[0].parse::<u32>().is_ok()
                    && (w[1] == "reference" || w[1] == "lab")
                    && w[2].starts_with("capture")
            });
        assert!(
            !bad,
            "README line {}: a count of captures that drifts: {l}",
            i + 1
        );
        assert!(
            !l.contains("largest reference capture"),
            "line {}: {l}",
            i + 1
        );
    }
}

#[test]
fn quick_start_commands_are_real() {
    let text = readme();
    let quick = text
        .split("## Quick start")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Quick start section");
    let mut n = 0;
    for line in quick.lines().filter(|l| l.starts_with("licpath ")) {
        let cmd = line.split('#').next().unwrap().trim();
        let words: Vec<&str> = cmd.split_whitespace().collect();
        // Each subcommand with each flag it shows is accepted by the parser (--help after
        // them: nothing runs).
        let flags: Vec<&str> = words[1..]
            .iter()
            .copied()
            .filter(|w| w.starts_with("--"))
            .collect();
        let o = Command::new(env!("CARGO_BIN_EXE_licpath"))
            .arg(words[1])
            .arg("--help")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{cmd}");
        let help = String::from_utf8_lossy(&o.stdout);
        for f in flags {
            assert!(
                help.contains(f),
                "`{cmd}`: {f} is not a flag of {}",
                words[1]
            );
        }
        n += 1;
    }
    assert!(n >= 5, "quick start has {n} licpath commands");
}
