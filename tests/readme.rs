//! The README's claims that can drift, checked (issue 26): every capture, document and
//! finding code it names exists; it states no count of captures that a new lab scenario
//! would make false; the quick start's commands are real subcommands and flags, and so are
//! the flags the section on what licpath fetches and writes names; every `$ licpath ...`
//! example prints the lines the README shows (issue 22: the examples hold).

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

/// The text under `heading`, up to the next `## ` heading.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    text.split(heading)
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap_or_else(|| panic!("a {heading:?} section"))
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
    let quick = section(&text, "## Quick start");
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

/// Issue 28: the section on what licpath fetches and writes names only flags that exist
/// (it named `watch --textfile DIR`, a flag that is `--textfile-dir`).
#[test]
fn what_licpath_fetches_and_writes_names_real_flags() {
    let text = readme();
    let section = section(&text, "## What licpath fetches and writes");
    let helps: Vec<String> = ["analyze", "check", "probe", "watch", "tui", "man", "config"]
        .iter()
        .map(|sub| {
            let o = Command::new(env!("CARGO_BIN_EXE_licpath"))
                .args([sub, "--help"])
                .output()
                .unwrap();
            assert_eq!(o.status.code(), Some(0), "{sub} --help");
            String::from_utf8_lossy(&o.stdout).into_owned()
        })
        .collect();
    // A flag is `--` and a word, ended by a character that cannot continue it.
    let ends = |s: &str| !s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-');
    let mut n = 0;
    for (i, _) in section.match_indices("--") {
        let rest = &section[i..];
        let len = 2 + rest[2..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len() - 2);
        let flag = &rest[..len];
        if len < 4 {
            continue;
        }
        let known = helps.iter().any(|h| {
            h.match_indices(flag)
                .any(|(j, _)| ends(&h[j + flag.len()..]))
        });
        assert!(known, "README names {flag}, which no subcommand takes");
        n += 1;
    }
    assert!(n >= 8, "only {n} flags found in the section");
}

/// Each `$ licpath ARGS` example in a code block (indented or not) runs from the
/// repository's root and its output starts with the lines shown, to the block's end: an
/// example that no longer holds (a verdict, a count, a code that changed) fails here.
#[test]
fn every_shell_example_prints_what_it_shows() {
    let text = readme();
    let lines: Vec<&str> = text.lines().collect();
    let mut n = 0;
    for (i, l) in lines.iter().enumerate() {
        let Some(cmd) = l.trim_start().strip_prefix("$ licpath ") else {
            continue;
        };
        let indent = l.len() - l.trim_start().len();
        let shown: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|x| x.trim() != "```")
            .map(|x| x.get(indent..).unwrap_or(""))
            .collect();
        let out = Command::new(env!("CARGO_BIN_EXE_licpath"))
            .args(cmd.split_whitespace())
            .current_dir(root())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&out.stdout);
        let printed: Vec<&str> = printed.lines().collect();
        for (k, want) in shown.iter().enumerate() {
            assert_eq!(
                printed.get(k).copied(),
                Some(*want),
                "README line {}: `licpath {cmd}` output line {} differs",
                i + 2 + k,
                k + 1
            );
        }
        n += 1;
    }
    assert!(n >= 2, "only {n} shell examples found");
}
