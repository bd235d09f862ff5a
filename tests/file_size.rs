//! No file in src/ is over 1,000 lines (issue 25: "no file in src/ over 1,000 lines"): a
//! file that large holds several concerns (the flow table, its duplicate filter, the TCP
//! machine and the summaries were one 1,890-line file), and its tests belong in a sibling
//! `tests.rs`. Counted as `wc -l` counts: newline-terminated lines of the source text.

mod common;

/// Lines a file in src/ may have at most.
const LIMIT: usize = 1_000;

/// Files still too long, relative to src/. Each entry must still be too long, so the list
/// can only shrink: remove an entry once its split is on main.
const KNOWN: &[&str] = &[];

/// Lines as `wc -l` counts them.
fn lines(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count()
}

/// Every .rs file of src/ as (file relative to src/, lines), longest first.
fn measured() -> Vec<(String, usize)> {
    let mut all: Vec<(String, usize)> = common::src_files("")
        .into_iter()
        .map(|(rel, text)| (rel, lines(&text)))
        .collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    all
}

#[test]
fn no_file_in_src_is_over_1000_lines() {
    let all = measured();
    assert!(all.len() > 50, "only {} files found in src/", all.len());
    let long: Vec<&(String, usize)> = all.iter().filter(|(_, n)| *n > LIMIT).collect();
    let new: Vec<String> = long
        .iter()
        .filter(|(f, _)| !KNOWN.contains(&f.as_str()))
        .map(|(f, n)| format!("  src/{f}: {n} lines"))
        .collect();
    assert!(
        new.is_empty(),
        "files over {LIMIT} lines (split them by concern, or move their tests to a sibling tests.rs):\n{}",
        new.join("\n")
    );
    let stale: Vec<&&str> = KNOWN
        .iter()
        .filter(|f| !long.iter().any(|(lf, _)| lf == *f))
        .collect();
    assert!(
        stale.is_empty(),
        "KNOWN entries no longer over {LIMIT} lines: remove them from the list: {stale:?}"
    );
    eprintln!("largest file: src/{} ({} lines)", all[0].0, all[0].1);
}

#[test]
fn lines_are_counted_as_wc_counts_them() {
    assert_eq!(lines(""), 0);
    assert_eq!(lines("fn a() {}\n"), 1);
    assert_eq!(lines("a\nb\nno newline at the end"), 2);
    let me = include_str!("file_size.rs");
    assert_eq!(lines(me), me.lines().count());
}
