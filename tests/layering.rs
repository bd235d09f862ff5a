//! The core (`model`, `wire`, `flow`, `diagnose`, and `capture`, the pure reading of
//! capture files) imports nothing from the edges and front-ends (`probe`, `ios`, `report`,
//! `tui`, `cli`, `pipeline`, `watch`): a value both sides need moves down into the model. Read
//! from the source text: every path `crate::X` / `licpath::X`, also inside
//! `use crate::{..}` groups, outside comments.
//!
//! Narrower rules inside those floors (issue 25): the rules do not reach into the flow
//! tracker (diagnose ↛ flow), the switch-text parsers do not reach into the rules
//! (ios ↛ diagnose), and the printers read neither the screen nor the parsers
//! (report ↛ tui, ios).
//!
//! No import circles between the modules of one folder (issue 25): two files that need
//! each other are one concern split wrongly, or share an item that belongs elsewhere.
//! Here the arrows follow `crate::`, `super::` and `self::` paths (groups expanded), a
//! module's subfolder counting as the module (`cli/fleet/check.rs` is `cli/fleet`).

mod common;

use std::collections::{BTreeMap, BTreeSet};

const CORE: &[&str] = &["model", "wire", "flow", "diagnose", "capture"];
const EDGES: &[&str] = &["probe", "ios", "report", "tui", "cli", "pipeline", "watch"];

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
/// `#[cfg(test)]` on; files of test modules are left out by the caller) and comments, as the 1-based line: the last type argument is
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
    let found: Vec<String> = outside_test_modules(&common::src_files(""))
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
/// The module path of a file under src/: `cli/fleet/check.rs` is `cli::fleet::check`,
/// `cli/mod.rs` is `cli`, `lib.rs` is the crate root; `main.rs` is another crate (None).
fn module_of(rel: &str) -> Option<Vec<String>> {
    let stem = rel.strip_suffix(".rs")?;
    if stem == "main" {
        return None;
    }
    let mut path: Vec<String> = stem.split('/').map(str::to_string).collect();
    if matches!(path.last().map(String::as_str), Some("mod" | "lib")) {
        path.pop();
    }
    Some(path)
}

/// The modules compiled for tests only, declared `#[cfg(test)] mod NAME;` (a sibling
/// `tests.rs`, a `testing.rs` of helpers): their files are left out like inline tests.
fn test_modules(files: &[(String, String)]) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    for (rel, source) in files {
        let Some(parent) = module_of(rel) else {
            continue;
        };
        for (at, attr) in source.match_indices("#[cfg(test)]") {
            let rest = source[at + attr.len()..].trim_start();
            let rest = rest.strip_prefix("pub(crate) ").unwrap_or(rest);
            let rest = rest.strip_prefix("pub ").unwrap_or(rest);
            let Some(decl) = rest.strip_prefix("mod ") else {
                continue;
            };
            let name: String = decl
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if decl[name.len()..].trim_start().starts_with(';') {
                let mut module = parent.clone();
                module.push(name);
                out.insert(module);
            }
        }
    }
    out
}

/// `files` without those of [`test_modules`].
fn outside_test_modules(files: &[(String, String)]) -> Vec<(String, String)> {
    let tests = test_modules(files);
    files
        .iter()
        .filter(|(rel, _)| module_of(rel).is_none_or(|m| !tests.iter().any(|t| m.starts_with(t))))
        .cloned()
        .collect()
}

/// Every path of `code` that starts at `crate::`, `super::` or `self::`, `use` groups
/// expanded (`super::{a::B, c::{self, D}}` is three paths), with the 1-based line of its
/// first segment.
fn crate_paths(code: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        for (at, _) in code.match_indices(start) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':' || c == '$') {
                continue;
            }
            let line = code[..at].matches('\n').count() + 1;
            let mut paths = Vec::new();
            use_tree(&code[at..], Vec::new(), &mut paths);
            out.extend(paths.into_iter().map(|p| (line, p)));
        }
    }
    out.sort();
    out
}

/// The paths of the use tree (or expression path) at the start of `text`, each after
/// `prefix`.
fn use_tree(text: &str, mut prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut rest = text.trim_start();
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        use_tree(&item, prefix.clone(), out);
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            if !item.trim().is_empty() {
                use_tree(&item, prefix, out);
            }
            return;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            break;
        }
        rest = rest[name.len()..].trim_start();
        prefix.push(name);
        match rest.strip_prefix("::") {
            Some(r) => rest = r.trim_start(),
            None => break,
        }
    }
    if !prefix.is_empty() {
        out.push(prefix);
    }
}

/// `path` as written in the file of module `file`, from the crate root.
fn absolute(file: &[String], path: &[String]) -> Vec<String> {
    let mut segments = path.iter().peekable();
    let mut abs: Vec<String> = match segments.peek().map(|s| s.as_str()) {
        Some("crate") => {
            segments.next();
            Vec::new()
        }
        _ => file.to_vec(),
    };
    for s in segments {
        match s.as_str() {
            "super" => {
                abs.pop();
            }
            "self" => {}
            _ => abs.push(s.clone()),
        }
    }
    abs
}

/// The import arrows between sibling modules: a file of module `a::b::x` (or below it)
/// naming `a::b::y` (or an item of it, or a module below it) is the arrow `a/b/x` →
/// `a/b/y`, with the file and line that show it. A module naming its parent or its own
/// children draws no arrow.
fn sibling_arrows(files: &[(String, String)]) -> BTreeMap<(String, String), String> {
    let files = &outside_test_modules(files);
    let modules: BTreeSet<Vec<String>> = files.iter().filter_map(|(f, _)| module_of(f)).collect();
    let mut arrows = BTreeMap::new();
    for (rel, source) in files {
        let Some(from) = module_of(rel) else { continue };
        for (line, path) in crate_paths(&code_outside_tests(source)) {
            let abs = absolute(&from, &path);
            let Some(to) = (0..=abs.len())
                .rev()
                .map(|n| abs[..n].to_vec())
                .find(|m| modules.contains(m))
            else {
                continue;
            };
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == to.len() {
                continue;
            }
            arrows
                .entry((from[..=common].join("/"), to[..=common].join("/")))
                .or_insert_with(|| format!("src/{rel}:{line}"));
        }
    }
    arrows
}

/// The circles among `arrows`: each set (of two or more) of modules that reach one
/// another, sorted.
fn circles(arrows: &BTreeMap<(String, String), String>) -> Vec<Vec<String>> {
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(m) = todo.pop() {
            for (a, b) in arrows.keys() {
                if *a == m && seen.insert(b.clone()) {
                    todo.push(b.clone());
                }
            }
        }
        seen
    };
    let nodes: BTreeSet<&String> = arrows.keys().map(|(a, _)| a).collect();
    let reached: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
    for (n, r) in &reached {
        if !r.contains(*n) {
            continue;
        }
        let circle: Vec<String> = r
            .iter()
            .filter(|m| reached.get(m).is_some_and(|back| back.contains(*n)))
            .cloned()
            .collect();
        found.insert(circle);
    }
    found.into_iter().collect()
}

#[test]
fn no_import_circle_between_the_files_of_one_folder() {
    let files = common::src_files("");
    let arrows = sibling_arrows(&files);
    assert!(arrows.len() > 50, "only {} arrows found", arrows.len());
    let found: Vec<String> = circles(&arrows)
        .iter()
        .map(|c| {
            let shown: Vec<String> = arrows
                .iter()
                .filter(|((a, b), _)| c.contains(a) && c.contains(b))
                .map(|((a, b), at)| format!("{a} → {b} ({at})"))
                .collect();
            format!("  {}: {}", c.join(", "), shown.join("; "))
        })
        .collect();
    assert!(
        found.is_empty(),
        "import circles between the modules of one folder (move what both need to where it belongs):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_circle_finder_sees_super_groups_and_subfolders() {
    let files: Vec<(String, String)> = [
        (
            "cli/mod.rs",
            "pub mod a;\npub mod b;\nuse crate::cli::a::X;\n",
        ),
        ("cli/a.rs", "use super::{b::{self, Y}, EXIT};\n"),
        ("cli/b.rs", "use super::c::Z; // crate::cli::a\n"),
        (
            "cli/c.rs",
            "fn f() { crate::cli::d::sub::g(); }\n#[cfg(test)]\nuse super::a::X;\n",
        ),
        ("cli/d.rs", "mod sub;\n"),
        (
            "cli/d/sub.rs",
            "use crate::cli::a::X;\nuse super::super::e::W;\n",
        ),
        (
            "cli/e.rs",
            "use crate::wire::tls;\n#[cfg(test)]\nmod tests;\n",
        ),
        ("cli/e/tests.rs", "use crate::cli::a::X;\n"),
        ("wire/tls.rs", "use crate::{cli::e::V, model::M};\n"),
        ("model/mod.rs", ""),
        ("lib.rs", "pub mod cli;\n"),
    ]
    .iter()
    .map(|(f, s)| (f.to_string(), s.to_string()))
    .collect();
    let arrows = sibling_arrows(&files);
    let shown: Vec<String> = arrows
        .iter()
        .map(|((a, b), at)| format!("{a}>{b} {at}"))
        .collect();
    assert_eq!(
        shown,
        [
            "cli>wire src/cli/e.rs:1",
            "cli/a>cli/b src/cli/a.rs:1",
            "cli/b>cli/c src/cli/b.rs:1",
            "cli/c>cli/d src/cli/c.rs:1",
            "cli/d>cli/a src/cli/d/sub.rs:1",
            "cli/d>cli/e src/cli/d/sub.rs:2",
            "wire>cli src/wire/tls.rs:1",
            "wire>model src/wire/tls.rs:1",
        ]
    );
    assert_eq!(
        circles(&arrows),
        [
            vec!["cli", "wire"],
            vec!["cli/a", "cli/b", "cli/c", "cli/d"],
        ]
    );
}
