//! The core (`model`, `wire`, `flow`, `diagnose`, and `capture`, the pure reading of
//! capture files) imports nothing from the edges and front-ends (`probe`, `ios`, `report`,
//! `tui`, `cli`, `pipeline`): a value both sides need moves down into the model. Read
//! from the source text: every path `crate::X` / `licpath::X`, also inside
//! `use crate::{..}` groups, outside comments.
//!
//! Narrower rules inside those floors (issue 25): the rules do not reach into the flow
//! tracker (diagnose ↛ flow), the switch-text parsers do not reach into the rules
//! (ios ↛ diagnose), and the printers read neither the screen nor the parsers
//! (report ↛ tui, ios).

mod common;

const CORE: &[&str] = &["model", "wire", "flow", "diagnose", "capture"];
const EDGES: &[&str] = &["probe", "ios", "report", "tui", "cli", "pipeline"];

/// Imports of an edge by the core that another change is removing: (file, module). Each
/// entry must still be true, so the list can only shrink.
const KNOWN: &[(&str, &str)] = &[];

/// (module, modules it must not import).
const NARROW: &[(&str, &[&str])] = &[
    ("diagnose", &["flow"]),
    ("ios", &["diagnose"]),
    ("report", &["tui", "ios"]),
];

/// Imports against [`NARROW`] that another change is removing: (file, module). Each entry
/// must still be true, so the list can only shrink.
const NARROW_KNOWN: &[(&str, &str)] = &[];

/// The top-level modules of the crate that `source` names through `crate::` or
/// `licpath::`, with the 1-based line, comments left out.
fn named_modules(source: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut group: Option<(usize, String)> = None;
    for (i, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if let Some((start, text)) = group.as_mut() {
            text.push_str(code);
            if text.matches('{').count() <= text.matches('}').count() {
                let (start, text) = (*start, std::mem::take(text));
                group = None;
                out.extend(group_items(&text).into_iter().map(|m| (start, m)));
            }
            continue;
        }
        for prefix in ["crate::", "licpath::"] {
            for (at, _) in code.match_indices(prefix) {
                let before = code[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let rest = &code[at + prefix.len()..];
                if rest.starts_with('{') {
                    let text = rest.to_string();
                    if text.matches('{').count() <= text.matches('}').count() {
                        out.extend(group_items(&text).into_iter().map(|m| (i + 1, m)));
                    } else {
                        group = Some((i + 1, text));
                    }
                } else {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.push((i + 1, name));
                }
            }
        }
    }
    out
}

/// The first segment of each item of a `{a::b, c, d::{e, f}}` group.
fn group_items(text: &str) -> Vec<String> {
    let inner = text.trim_start_matches('{');
    let mut depth = 0;
    let mut items = vec![String::new()];
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => items.push(String::new()),
            _ => {}
        }
        if let Some(last) = items.last_mut()
            && depth == 0
            && c != ','
        {
            last.push(c);
        }
    }
    items
        .iter()
        .map(|i| {
            i.trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|m| !m.is_empty())
        .collect()
}

/// Every import by a file under one of `from` (src/ folders) of one of `forbidden`, as
/// (file relative to the crate, module, line).
fn imports(from: &[&str], forbidden: &[&str]) -> Vec<(String, String, usize)> {
    let files: Vec<(String, String)> = from.iter().flat_map(|m| common::src_files(m)).collect();
    assert!(!files.is_empty(), "no files found under {from:?}");
    let mut found = Vec::new();
    for (rel, source) in &files {
        for (line, m) in named_modules(source) {
            if forbidden.contains(&m.as_str()) {
                found.push((format!("src/{rel}"), m, line));
            }
        }
    }
    found
}

/// `found` holds nothing outside `known`, and every entry of `known` is still in `found`.
fn only_known(found: &[(String, String, usize)], known: &[(&str, &str)], what: &str) {
    let unexpected: Vec<_> = found
        .iter()
        .filter(|(f, m, _)| !known.contains(&(f.as_str(), m.as_str())))
        .collect();
    assert!(unexpected.is_empty(), "{what}: {unexpected:?}");
    for (f, m) in known {
        assert!(
            found.iter().any(|(ff, mm, _)| ff == f && mm == m),
            "{f} no longer imports crate::{m}: remove it from the known list"
        );
    }
}

#[test]
fn the_core_imports_no_edge_or_front_end() {
    let found = imports(CORE, EDGES);
    only_known(
        &found,
        KNOWN,
        "the core imports an edge or front-end (move the shared value into src/model)",
    );
}

#[test]
fn the_narrower_rules_hold() {
    let mut found = Vec::new();
    for (from, forbidden) in NARROW {
        found.extend(imports(&[from], forbidden));
    }
    only_known(
        &found,
        NARROW_KNOWN,
        "diagnose imports flow, ios imports diagnose, or report imports tui or ios (move the shared value into src/model)",
    );
}

#[test]
fn the_reader_sees_through_groups_and_comments() {
    let src = "use crate::model::*;\n// use crate::probe::x;\nuse crate::{\n    ios::config,\n    model::{a, b},\n};\nlet x = crate::report::f(); // crate::tui\nuse crate::{tui, wire::{x}};\nlet y = licpath::cli::run;\nlet z = notcrate::probe::x;\n";
    let names: Vec<(usize, String)> = named_modules(src);
    let names: Vec<(usize, &str)> = names.iter().map(|(l, m)| (*l, m.as_str())).collect();
    assert_eq!(
        names,
        [
            (1, "model"),
            (3, "ios"),
            (3, "model"),
            (7, "report"),
            (8, "tui"),
            (8, "wire"),
            (9, "cli")
        ]
    );
}

/// The source of a file as the circle check reads it: the part before its first
/// `#[cfg(test)]` (its tests may import anything), comments left out.
fn code_outside_tests(source: &str) -> String {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `Result<_, String>` outside tests at most (issue 25: "at most 3 `Result<_, String>`
/// outside tests, and none in diagnose or tui"). A string error cannot say whose fault it
/// is, nor be matched on: each layer has its `thiserror` enum. Here, not in a file of its
/// own, so that every landing runs it with the layering rules.
const STRING_ERRORS_AT_MOST: usize = 3;

/// Folders (under src/) with no `Result<_, String>` at all.
const NO_STRING_ERRORS: &[&str] = &["diagnose/", "tui/"];

/// Each `Result<…, String>` of `source` outside its tests (the part from its first
/// `#[cfg(test)]` on) and comments, as the 1-based line: the last type argument is
/// `String` (`Result<(A, Vec<String>), String>` counts, `io::Result<Option<String>>` and
/// `Result<A, (String, String)>` do not).
fn string_errors(source: &str) -> Vec<usize> {
    let code = code_outside_tests(source);
    let mut out = Vec::new();
    for (at, _) in code.match_indices("Result<") {
        let mut depth = 0;
        let mut last = String::new();
        for c in code[at + "Result<".len()..].chars() {
            match c {
                '<' | '(' | '[' => depth += 1,
                '>' if depth == 0 => break,
                '>' | ')' | ']' => depth -= 1,
                ',' if depth == 0 => {
                    last.clear();
                    continue;
                }
                _ => {}
            }
            last.push(c);
        }
        if last.trim() == "String" {
            out.push(code[..at].matches('\n').count() + 1);
        }
    }
    out
}

#[test]
fn string_errors_are_few_and_none_in_diagnose_or_tui() {
    let found: Vec<String> = common::src_files("")
        .iter()
        .flat_map(|(rel, source)| {
            string_errors(source)
                .into_iter()
                .map(move |line| format!("src/{rel}:{line}"))
        })
        .collect();
    let banned: Vec<&String> = found
        .iter()
        .filter(|f| {
            NO_STRING_ERRORS
                .iter()
                .any(|d| f.starts_with(&format!("src/{d}")))
        })
        .collect();
    assert!(
        banned.is_empty(),
        "Result<_, String> in {NO_STRING_ERRORS:?} (give the layer's error enum a variant): {banned:?}"
    );
    assert!(
        found.len() <= STRING_ERRORS_AT_MOST,
        "{} Result<_, String> outside tests, at most {STRING_ERRORS_AT_MOST} (give the layer's error enum a variant): {found:?}",
        found.len()
    );
    eprintln!("Result<_, String> outside tests: {} {found:?}", found.len());
}

#[test]
fn string_errors_are_read_from_the_last_type_argument() {
    let src = "fn a() -> Result<(Live, Vec<String>), String> {}\nfn b() -> std::io::Result<Option<String>> {}\nfn c() -> Result<u8, (String, String)> {}\n// fn d() -> Result<u8, String>\nfn e(f: impl Fn() -> Result<Vec<u8>,\n    String>) {}\n#[cfg(test)]\nfn g() -> Result<u8, String> {}\n";
    assert_eq!(string_errors(src), [1, 5]);
}
