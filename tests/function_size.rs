//! No function in src/ is 150 lines or longer (issue 13: "the largest function in src/ is
//! under 150 lines"): a long function mixes concerns and is where the next change goes
//! wrong. Measured on the source text: each `fn` item from the line of its `fn` keyword to
//! the line of its closing brace, braces inside comments, string, raw-string and character
//! literals left out. A nested `fn` counts on its own and inside its parent.

mod common;

/// Lines from which a function counts as too long.
const LIMIT: usize = 150;

/// Functions still too long, as (file under src/, name). Each entry must still be too
/// long, so the list can only shrink: remove an entry once its split is on main.
const KNOWN: &[(&str, &str)] = &[];

/// One `fn` item with a body.
#[derive(Debug, PartialEq, Eq)]
struct Function {
    name: String,
    /// 1-based line of the `fn` keyword.
    line: usize,
    /// Lines from the `fn` keyword to the closing brace, both included.
    lines: usize,
}

/// What the scanner is inside of.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Code,
    LineComment,
    /// Nesting depth (Rust block comments nest).
    BlockComment(usize),
    /// A `"..."` literal (also `b"..."`, `c"..."`): backslash escapes.
    Str,
    /// A raw string closed by `"` and this many `#`.
    RawStr(usize),
}

/// A `fn` seen whose body has not opened yet.
struct Pending {
    name: String,
    line: usize,
    /// `(`/`[`/`<`-free nesting of parentheses and brackets in the signature, so that
    /// `[u8; 4]` does not end a body-less declaration.
    parens: usize,
}

/// Every `fn` item of `source` that has a body, in order of its closing brace.
fn functions(source: &str) -> Vec<Function> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut mode = Mode::Code;
    let mut line = 1;
    let mut depth = 0usize;
    let mut pending: Option<Pending> = None;
    // Open functions: (name, line of `fn`, brace depth inside its body).
    let mut open: Vec<(String, usize, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
        }
        match mode {
            Mode::LineComment => {
                if c == '\n' {
                    mode = Mode::Code;
                }
                i += 1;
                continue;
            }
            Mode::BlockComment(n) => {
                if c == '*' && next == Some('/') {
                    mode = if n == 1 {
                        Mode::Code
                    } else {
                        Mode::BlockComment(n - 1)
                    };
                    i += 2;
                } else if c == '/' && next == Some('*') {
                    mode = Mode::BlockComment(n + 1);
                    i += 2;
                } else {
                    i += 1;
                }
                continue;
            }
            Mode::Str => {
                if c == '\\' {
                    if next == Some('\n') {
                        line += 1;
                    }
                    i += 2;
                } else {
                    if c == '"' {
                        mode = Mode::Code;
                    }
                    i += 1;
                }
                continue;
            }
            Mode::RawStr(hashes) => {
                if c == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                    mode = Mode::Code;
                    i += 1 + hashes;
                } else {
                    i += 1;
                }
                continue;
            }
            Mode::Code => {}
        }
        match c {
            '/' if next == Some('/') => {
                mode = Mode::LineComment;
                i += 2;
            }
            '/' if next == Some('*') => {
                mode = Mode::BlockComment(1);
                i += 2;
            }
            '"' => {
                mode = Mode::Str;
                i += 1;
            }
            '\'' => i = after_quote(&chars, i),
            '{' => {
                depth += 1;
                if let Some(p) = pending.take() {
                    open.push((p.name, p.line, depth));
                }
                i += 1;
            }
            '}' => {
                if open.last().is_some_and(|(_, _, d)| *d == depth)
                    && let Some((name, start, _)) = open.pop()
                {
                    out.push(Function {
                        name,
                        line: start,
                        lines: line - start + 1,
                    });
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            '(' | '[' => {
                if let Some(p) = pending.as_mut() {
                    p.parens += 1;
                }
                i += 1;
            }
            ')' | ']' => {
                if let Some(p) = pending.as_mut() {
                    p.parens = p.parens.saturating_sub(1);
                }
                i += 1;
            }
            ';' => {
                // `fn f();` in a trait or an extern block: no body.
                if pending.as_ref().is_some_and(|p| p.parens == 0) {
                    pending = None;
                }
                i += 1;
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let prefix_of_literal = matches!(word.as_str(), "r" | "br" | "cr");
                if prefix_of_literal && matches!(chars.get(i), Some('"' | '#')) {
                    let hashes = chars[i..].iter().take_while(|&&h| h == '#').count();
                    if chars.get(i + hashes) == Some(&'"') {
                        mode = Mode::RawStr(hashes);
                        i += hashes + 1;
                    }
                } else if matches!(word.as_str(), "b" | "c") && chars.get(i) == Some(&'"') {
                    mode = Mode::Str;
                    i += 1;
                } else if word == "b" && chars.get(i) == Some(&'\'') {
                    i = after_quote(&chars, i);
                } else if word == "fn" {
                    // `fn name`; `fn(u8) -> u8` is a pointer type, not an item.
                    let mut j = i;
                    while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                        j += 1;
                    }
                    let name_start = j;
                    while chars
                        .get(j)
                        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
                    {
                        j += 1;
                    }
                    if j > name_start {
                        pending = Some(Pending {
                            name: chars[name_start..j].iter().collect(),
                            line,
                            parens: 0,
                        });
                    }
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// Past a `'` at `i`: a character literal (`'{'`, `'\''`, `'\u{7b}'`) is skipped whole;
/// a lifetime or label (`'a`, `'static`) only its quote.
fn after_quote(chars: &[char], i: usize) -> usize {
    match (chars.get(i + 1), chars.get(i + 2)) {
        (Some('\\'), _) => {
            let mut j = i + 3;
            while j < chars.len() && chars[j] != '\'' {
                j += 1;
            }
            j + 1
        }
        (Some(_), Some('\'')) => i + 3,
        _ => i + 1,
    }
}

/// Every function of src/ as (file relative to src/, function), longest first.
fn measured() -> Vec<(String, Function)> {
    let mut all: Vec<(String, Function)> = common::src_files("")
        .into_iter()
        .flat_map(|(rel, text)| functions(&text).into_iter().map(move |f| (rel.clone(), f)))
        .collect();
    all.sort_by(|a, b| b.1.lines.cmp(&a.1.lines).then(a.0.cmp(&b.0)));
    all
}

#[test]
fn no_function_in_src_is_150_lines_or_longer() {
    let all = measured();
    assert!(
        all.len() > 500,
        "the scanner found only {} functions in src/",
        all.len()
    );
    let long: Vec<&(String, Function)> = all.iter().filter(|(_, f)| f.lines >= LIMIT).collect();
    let report = |v: &[&(String, Function)]| {
        v.iter()
            .map(|(file, f)| format!("  src/{file}:{} {} {} lines", f.line, f.name, f.lines))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let new: Vec<&(String, Function)> = long
        .iter()
        .copied()
        .filter(|(file, f)| !KNOWN.contains(&(file.as_str(), f.name.as_str())))
        .collect();
    assert!(
        new.is_empty(),
        "functions of {LIMIT} lines or more (split them by concern):\n{}",
        report(&new)
    );
    let stale: Vec<&(&str, &str)> = KNOWN
        .iter()
        .filter(|(file, name)| !long.iter().any(|(lf, f)| lf == file && f.name == *name))
        .collect();
    assert!(
        stale.is_empty(),
        "KNOWN entries no longer {LIMIT} lines or more: remove them from the list: {stale:?}"
    );
    let (file, f) = &all[0];
    eprintln!(
        "longest function: src/{file}:{} {} ({} lines)",
        f.line, f.name, f.lines
    );
}

#[test]
fn the_scanner_measures_functions_and_skips_braces_in_literals_and_comments() {
    let source = r####"
fn three() {
    let x = 1;
}
/// A doc comment with a brace {
pub(crate) fn tricky<'a>(s: &'a str, n: [u8; 4]) -> &'a str {
    let open = "{ \" {";
    let raw = r#"}"# ;
    let raw2 = r##"a "# } "##;
    let c = '{';
    let q = '\'';
    let u = '\u{7d}';
    let b = b'}';
    let bs = b"}}";
    /* a block comment } /* nested } */ still comment } */
    // a line comment }
    'outer: loop { break 'outer; }
    fn inner(x: u8) -> u8 { x }
    let f: fn(u8) -> u8 = inner;
    s
}
trait T {
    fn declared(&self, a: [u8; 2]);
    fn defaulted(&self) {}
}
"####;
    let got: Vec<(String, usize, usize)> = functions(source)
        .into_iter()
        .map(|f| (f.name, f.line, f.lines))
        .collect();
    let want = [
        ("three", 2, 3),
        ("inner", 18, 1),
        ("tricky", 6, 16),
        ("defaulted", 24, 1),
    ];
    assert_eq!(got, want.map(|(n, l, s)| (n.to_string(), l, s)).to_vec());
}

#[test]
fn the_scanner_measures_a_real_function_of_known_length() {
    // This file's own `after_quote`: from its `fn` line to its closing brace.
    let me = include_str!("function_size.rs");
    let fs = functions(me);
    let f = fs
        .iter()
        .find(|f| f.name == "after_quote")
        .expect("after_quote measured");
    let lines: Vec<&str> = me.lines().collect();
    assert!(lines[f.line - 1].starts_with("fn after_quote("));
    assert_eq!(lines[f.line + f.lines - 2], "}");
    assert!(
        lines[f.line - 1..f.line + f.lines - 2]
            .iter()
            .all(|l| *l != "}"),
        "ends at its first closing brace in column 0"
    );
}
