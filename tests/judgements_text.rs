//! The switch-text half of issue 22's method: every independent judgement of a switch's
//! text (`tests/judgements/*.json` whose `command` is `logs` or `plan`, format in
//! tests/judgements/README.md) is asserted against what licpath says on that text: the
//! verdict (by exit code), the primary finding of a failure, the codes that must be there
//! and those that must not. A `revised` judgement is asserted in its revised form; an `open`
//! one must still disagree (so the entry gets updated when licpath changes). Inputs that
//! are absent (../shared) are skipped with a line on stderr.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The codes of every finding in licpath's JSON (a finding: an object with `code` and
/// `severity`).
fn codes_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let (Some(Value::String(c)), Some(_)) = (m.get("code"), m.get("severity")) {
                out.push(c.clone());
            }
            m.values().for_each(|x| codes_in(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| codes_in(x, out)),
        _ => {}
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// What licpath says on one judged text: (verdict by exit code, primary, codes).
fn licpath_on(
    command: &str,
    input: &Path,
    args: &[String],
) -> (String, Option<String>, Vec<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_licpath"));
    match command {
        "logs" => cmd.args(["analyze", "--json", "--logs"]),
        _ => cmd.args(["check", "--plan-only", "--json", "--from-config"]),
    };
    let o = cmd.arg(input).args(args).output().expect("licpath runs");
    let verdict = match o.status.code() {
        Some(0) => "ok",
        Some(1) => "failed",
        Some(2) => "unusable",
        Some(3) => "inconclusive",
        _ => "crashed",
    };
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    let primary = v["reports"]
        .as_array()
        .and_then(|r| r.iter().find_map(|r| r["primary"]["code"].as_str()))
        .map(str::to_string);
    let mut codes = Vec::new();
    codes_in(&v, &mut codes);
    (verdict.to_string(), primary, codes)
}

/// Why licpath's answer disagrees with the (revised) judgement `j`; empty when it agrees.
fn disagreements(j: &Value, got: &(String, Option<String>, Vec<String>)) -> Vec<String> {
    let mut want = j.clone();
    if let Some(r) = j["revised"].as_object() {
        for (k, v) in r.iter().filter(|(k, _)| *k != "why") {
            want[k] = v.clone();
        }
    }
    let (verdict, primary, codes) = got;
    let mut out = Vec::new();
    if want["verdict"].as_str() != Some(verdict.as_str()) {
        out.push(format!("verdict {verdict}, judged {}", want["verdict"]));
    }
    if want["verdict"] == "failed"
        && let Some(p) = want["primary"].as_str()
        && primary.as_deref() != Some(p)
    {
        out.push(format!("primary {primary:?}, judged {p}"));
    }
    let missing: Vec<String> = strings(&want["codes"])
        .into_iter()
        .filter(|c| !codes.contains(c))
        .collect();
    if !missing.is_empty() {
        out.push(format!("missing {missing:?}"));
    }
    let unwanted: Vec<String> = strings(&want["absent"])
        .into_iter()
        .filter(|c| codes.contains(c))
        .collect();
    if !unwanted.is_empty() {
        out.push(format!("unwanted {unwanted:?}"));
    }
    out
}

#[test]
fn every_switch_text_judgement_holds() {
    let dir = root().join("tests/judgements");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/judgements")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut agreed, mut open, mut failures, mut skipped) = (0, 0, Vec::new(), 0);
    for f in &files {
        let j: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let command = j["command"].as_str().unwrap_or("");
        if command != "logs" && command != "plan" {
            continue;
        }
        let input = root().join(j["input"].as_str().unwrap_or(""));
        if !input.is_file() {
            skipped += 1;
            continue;
        }
        let got = licpath_on(command, &input, &strings(&j["args"]));
        let why = disagreements(&j, &got);
        let name = f.file_name().unwrap_or_default().to_string_lossy();
        match (why.is_empty(), j["open"].is_string()) {
            (true, false) => agreed += 1,
            (false, true) => {
                open += 1;
                eprintln!("open: {name}: {}", why.join("; "));
            }
            (true, true) => failures.push(format!(
                "{name}: agrees now; clear its `open` (was: {})",
                j["open"]
            )),
            (false, false) => failures.push(format!("{name}: {}", why.join("; "))),
        }
    }
    if skipped > 0 {
        eprintln!("skipped: {skipped} judged text(s) absent (../shared)");
    }
    eprintln!(
        "switch-text judgements: {agreed} agree, {open} open, {} disagree",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_revised_judgement_is_asserted_in_its_revised_form() {
    let j: Value = serde_json::json!({
        "verdict": "failed", "primary": "config_no_name_server",
        "codes": ["a"], "absent": ["b"],
        "revised": {"verdict": "ok", "primary": null, "codes": ["c"], "absent": [], "why": "x"}
    });
    let got = (
        "ok".to_string(),
        None,
        vec!["c".to_string(), "b".to_string()],
    );
    assert!(disagreements(&j, &got).is_empty());
    let got = ("failed".to_string(), None, vec!["a".to_string()]);
    assert_eq!(
        disagreements(&j, &got),
        ["verdict failed, judged \"ok\"", "missing [\"c\"]"]
    );
}
