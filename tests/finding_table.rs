//! docs/findings.md is the finding vocabulary: one row per code, naming the file and the
//! function of the rule that emits it. This test keeps it true: every `FindingCode` has
//! exactly one row, every row's code exists, and every named function exists in the named
//! file and names the code in its body.

use licpath::model::FindingCode;
use std::collections::BTreeMap;
use std::path::Path;

mod common;

struct Row {
    line: usize,
    /// `(file, function)` pairs; empty for a reserved code that nothing emits.
    rules: Vec<(String, String)>,
}

fn rows(doc: &str) -> BTreeMap<String, Vec<Row>> {
    let mut out: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for (i, line) in doc.lines().enumerate() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `code` | severity | step | meaning | rule |
        let [_, code, _, _, _, rule, _] = cells.as_slice() else {
            continue;
        };
        let Some(code) = code.strip_prefix('`').and_then(|c| c.strip_suffix('`')) else {
            continue;
        };
        let rules = rule
            .split(", ")
            .filter(|r| *r != "—")
            .map(|r| {
                let r = r.trim_matches('`');
                let (file, function) = r.split_once("::").unwrap_or_else(|| {
                    panic!("findings.md:{}: '{r}' is not file::function", i + 1)
                });
                (file.to_string(), function.to_string())
            })
            .collect();
        out.entry(code.to_string())
            .or_default()
            .push(Row { line: i + 1, rules });
    }
    out
}

/// The body of `fn name` in `source` (rustfmt layout: from the signature to the closing
/// brace at the signature's indentation), or `None` when there is no such function.
fn function_body(source: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = source.lines().collect();
    let start = lines.iter().position(|l| {
        let t = l.trim_start();
        let t = t
            .strip_prefix("pub(crate) ")
            .or_else(|| t.strip_prefix("pub(super) "))
            .or_else(|| t.strip_prefix("pub "))
            .unwrap_or(t);
        let t = t.strip_prefix("async ").unwrap_or(t);
        t.strip_prefix("fn ")
            .and_then(|rest| rest.strip_prefix(name))
            .is_some_and(|rest| rest.starts_with('(') || rest.starts_with('<'))
    })?;
    let indent = lines[start].len() - lines[start].trim_start().len();
    let close = format!("{}}}", " ".repeat(indent));
    let end = (start..lines.len()).find(|&i| lines[i] == close)?;
    Some(lines[start..=end].join("\n"))
}

fn variant_name(code: FindingCode) -> String {
    format!("{code:?}")
}

#[test]
fn every_finding_code_has_one_true_row() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/findings.md")).expect("docs/findings.md");
    let rows = rows(&doc);
    assert!(
        rows.len() >= FindingCode::ALL.len(),
        "only {} rows",
        rows.len()
    );

    let known: BTreeMap<&str, FindingCode> =
        FindingCode::ALL.iter().map(|c| (c.as_str(), *c)).collect();
    for (code, r) in &rows {
        assert!(
            known.contains_key(code.as_str()),
            "findings.md:{}: no finding code `{code}`",
            r[0].line
        );
        assert_eq!(r.len(), 1, "`{code}` has {} rows in findings.md", r.len());
    }
    for code in FindingCode::ALL {
        assert!(
            rows.contains_key(code.as_str()),
            "`{}` has no row in docs/findings.md",
            code.as_str()
        );
    }

    for (code, r) in &rows {
        let row = &r[0];
        let variant = format!("FindingCode::{}", variant_name(known[code.as_str()]));
        if row.rules.is_empty() {
            // Reserved: nothing may emit it without the table saying where.
            for (rel, text) in common::src_files("") {
                assert!(
                    rel == "model/mod.rs" || !text.contains(&variant),
                    "src/{rel} emits reserved `{code}`: give it a rule in findings.md"
                );
            }
            continue;
        }
        for (file, function) in &row.rules {
            assert!(
                file.starts_with("src/diagnose/"),
                "findings.md:{}: {file}: findings are built only in src/diagnose/ (record a fact where it is seen, judge it there)",
                row.line
            );
            let source = std::fs::read_to_string(root.join(file))
                .unwrap_or_else(|e| panic!("findings.md:{}: {file}: {e}", row.line));
            let body = function_body(&source, function)
                .unwrap_or_else(|| panic!("findings.md:{}: no fn {function} in {file}", row.line));
            assert!(
                body.contains(&variant),
                "findings.md:{}: {file}::{function} does not name {variant}",
                row.line
            );
        }
    }
}

#[test]
fn the_body_finder_finds_what_it_should_and_nothing_else() {
    let src = "fn a() {\n    x();\n}\n\npub fn ab<T>(t: T) {\n    FindingCode::TcpReset;\n}\n    pub(crate) fn inner() -> u8 {\n        1\n    }\n";
    assert_eq!(
        function_body(src, "a").as_deref(),
        Some("fn a() {\n    x();\n}")
    );
    assert!(
        function_body(src, "ab")
            .is_some_and(|b| b.contains("TcpReset") && b.starts_with("pub fn ab<T>"))
    );
    assert!(function_body(src, "inner").is_some_and(|b| b.ends_with("        1\n    }")));
    assert_eq!(function_body(src, "b"), None);
    let doc = "| `tcp_reset` | error | tcp | x | `src/diagnose/tcp.rs::reset`, `src/x.rs::y` |\n| `proxy_unreachable` | — | proxy | x | — |\n| code | a | b | c | d |";
    let r = rows(doc);
    assert_eq!(r.len(), 2);
    assert_eq!(r["tcp_reset"][0].rules.len(), 2);
    assert!(r["proxy_unreachable"][0].rules.is_empty());
}

/// Findings are built only in src/diagnose/ (issue 25, R2): no other file of src/ calls
/// `Finding::new` outside its tests (the part from its first `#[cfg(test)]` on).
#[test]
fn findings_are_built_only_in_diagnose() {
    let outside: Vec<String> = common::src_files("")
        .into_iter()
        .filter(|(rel, _)| {
            !rel.starts_with("diagnose/") && !rel.ends_with("tests.rs") && rel != "model/testing.rs"
        })
        .filter(|(_, text)| {
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            code.contains("Finding::new(")
        })
        .map(|(rel, _)| rel)
        .collect();
    assert!(
        outside.is_empty(),
        "findings built outside src/diagnose/: {outside:?}"
    );
}
