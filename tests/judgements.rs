//! Issue 22's method: every real input has an independent judgement in tests/judgements/
//! (format: tests/judgements/README.md), written by a reader who never saw licpath's output.
//! This test runs licpath on each input and asserts the judgement (its `revised` fields when
//! a later comparison showed the judgement itself was wrong), never what licpath printed
//! before. Captures run through the library as `licpath analyze` runs them; switch text
//! through the CLI binary (`logs`: `analyze --logs`, `plan`: `check --plan-only
//! --from-config`, `text-capture`: `analyze` on a pasted capture). A judgement marked `open`
//! is a known disagreement, reported; it fails the test once it starts agreeing (update the
//! file). Inputs under ../shared are skipped with SKIP when that directory is absent.

mod common;
use common::*;
use licpath::model::*;
use serde_json::Value;
use std::path::Path;

/// licpath's steps in the order a switch goes through them (the earliest error is the
/// failing step). A judgement's `switch` or `config` step has no licpath counterpart and is
/// not compared.
const STEPS: &[&str] = &["capture", "dns", "tcp", "proxy", "tls", "cert", "http"];

/// What licpath said about one input, in the judgement's vocabulary.
#[derive(Debug, Default)]
struct Said {
    verdict: String,
    step: Option<String>,
    primary: Option<String>,
    codes: Vec<String>,
}

fn earliest_error_step<'a>(errors: impl Iterator<Item = &'a str>) -> Option<String> {
    errors
        .filter_map(|s| STEPS.iter().position(|x| *x == s))
        .min()
        .map(|i| STEPS[i].to_string())
}

/// A capture through the library, with the judgement's `args`.
fn said_of_capture(input: &Path, args: &[String]) -> Said {
    let t = match analyze_as_cli_args(input, args) {
        Ok(t) => t,
        Err(_) => {
            return Said {
                verdict: "unusable".into(),
                ..Said::default()
            };
        }
    };
    let verdict = match licpath::diagnose::verdict::overall_verdict(&t) {
        licpath::diagnose::verdict::OverallVerdict::Ok => "ok",
        licpath::diagnose::verdict::OverallVerdict::Failed => "failed",
        licpath::diagnose::verdict::OverallVerdict::NoLicensingTraffic => "no_licensing_traffic",
        licpath::diagnose::verdict::OverallVerdict::Inconclusive => "inconclusive",
    };
    Said {
        verdict: verdict.into(),
        step: earliest_error_step(
            t.all_findings()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| f.step.as_str()),
        ),
        primary: licpath::diagnose::verdict::primary_of(&t).map(|(f, _)| f.code.as_str().into()),
        codes: codes(&t).into_iter().map(str::to_string).collect(),
    }
}

/// Switch text (or a pasted capture) through the CLI binary's JSON and exit code.
fn said_of_text(command: &str, input: &Path, args: &[String]) -> Said {
    let mut argv: Vec<String> = match command {
        "logs" => vec!["analyze".into(), "--json".into()],
        "plan" => vec!["check".into(), "--plan-only".into(), "--json".into()],
        _ => vec!["analyze".into(), "--json".into()],
    };
    argv.extend(args.iter().cloned());
    argv.extend(match command {
        "logs" => vec!["--logs".into(), input.display().to_string()],
        "plan" => vec!["--from-config".into(), input.display().to_string()],
        _ => vec![input.display().to_string()],
    });
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(&argv)
        .env("NO_COLOR", "1")
        .output()
        .expect("licpath runs");
    let code = out.status.code().unwrap_or(-1);
    if code == 2 {
        return Said {
            verdict: "unusable".into(),
            ..Said::default()
        };
    }
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: JSON: {e}", input.display()));
    let (verdict, findings, primary) = if command == "plan" {
        let verdict = match code {
            0 => "ok",
            1 => "failed",
            _ => "inconclusive",
        };
        (verdict.to_string(), doc["plan"]["findings"].clone(), None)
    } else {
        let r = &doc["reports"][0];
        let tl = &r["timeline"];
        let mut all: Vec<Value> = tl["findings"].as_array().cloned().unwrap_or_default();
        for c in tl["connections"].as_array().into_iter().flatten() {
            all.extend(c["findings"].as_array().cloned().unwrap_or_default());
        }
        (
            r["verdict"].as_str().unwrap_or_default().to_string(),
            Value::Array(all),
            r["primary"]["code"].as_str().map(str::to_string),
        )
    };
    let findings = findings.as_array().cloned().unwrap_or_default();
    let field = |f: &Value, k: &str| f[k].as_str().unwrap_or_default().to_string();
    // Without a report primary (the plan's JSON), the first of the most severe, as listed.
    let primary = primary.or_else(|| {
        ["error", "warning", "info"].iter().find_map(|sev| {
            findings
                .iter()
                .find(|f| f["severity"] == *sev)
                .map(|f| field(f, "code"))
        })
    });
    let steps: Vec<String> = findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| field(f, "step"))
        .collect();
    let mut codes: Vec<String> = findings.iter().map(|f| field(f, "code")).collect();
    codes.sort();
    codes.dedup();
    Said {
        verdict,
        step: earliest_error_step(steps.iter().map(String::as_str)),
        primary,
        codes,
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// How `said` disagrees with the judgement `j` (its `revised` fields in force).
fn disagreements(j: &Judgement, said: &Said) -> Vec<String> {
    let mut bad = Vec::new();
    let verdict = j.verdict.as_str();
    if said.verdict != verdict {
        bad.push(format!("verdict {} (judged {verdict})", said.verdict));
    }
    if let Some(step) = j.step.as_deref()
        && verdict == "failed"
        && STEPS.contains(&step)
        && said.step.as_deref() != Some(step)
    {
        bad.push(format!("step {:?} (judged {step})", said.step));
    }
    if let Some(primary) = j.primary.as_deref()
        && said.primary.as_deref() != Some(primary)
    {
        bad.push(format!("primary {:?} (judged {primary})", said.primary));
    }
    for c in &j.codes {
        if !said.codes.contains(c) {
            bad.push(format!("{c} missing"));
        }
    }
    for c in &j.absent {
        if said.codes.contains(c) {
            bad.push(format!("{c} present (judged absent)"));
        }
    }
    bad
}

#[test]
fn every_judgement_holds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared").is_dir();
    let mut files: Vec<_> = std::fs::read_dir(root.join("tests/judgements"))
        .expect("tests/judgements")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut agreed, mut open, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let j: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let input_rel = j["input"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: input"));
        if input_rel.starts_with("../shared") && !shared {
            println!("SKIP {name}: ../shared is absent");
            skipped += 1;
            continue;
        }
        let input = root.join(input_rel);
        let args = strings(&j["args"]);
        let command = j["command"].as_str().unwrap_or_default();
        let said = match command {
            "analyze" => said_of_capture(&input, &args),
            "logs" | "plan" | "text-capture" => said_of_text(command, &input, &args),
            other => panic!("{name}: unknown command {other}"),
        };
        let judged = judgement(input_rel)
            .unwrap_or_else(|| panic!("{name}: not found by its input's name {input_rel}"));
        let bad = disagreements(&judged, &said);
        if j["resolved"].is_string() && j["open"].is_string() {
            failures.push(format!("{name}: both `open` and `resolved`: clear `open`"));
        }
        match (j["open"].as_str(), bad.is_empty()) {
            (Some(_), true) => failures.push(format!(
                "{name}: marked open but now agrees: clear `open` (and say how it was resolved)"
            )),
            (Some(why), false) => {
                println!("OPEN {name}: {} ({why})", bad.join("; "));
                open += 1;
            }
            (None, true) => agreed += 1,
            (None, false) => failures.push(format!("{name}: {}", bad.join("; "))),
        }
    }
    println!(
        "judgements: {agreed} agree, {open} open, {} disagree, {skipped} skipped, of {}",
        failures.len(),
        files.len()
    );
    assert!(
        agreed > 0 || skipped == files.len(),
        "no judgement was checked"
    );
    assert!(
        failures.is_empty(),
        "judgements that licpath contradicts (fix licpath, or revise the judgement with evidence, or mark it open with why):\n{}",
        failures.join("\n")
    );
}

/// Issue 22's method covers every real input: each capture of captures/ (not the
/// configuration texts that go with them) and of ../shared/captures/public, each text of
/// ../shared/ios-real and ../shared/epc-real has its judgement. A capture added without one
/// fails here.
#[test]
fn every_input_has_a_judgement() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs = Vec::new();
    let mut add = |dir: &str, exts: &[&str]| {
        let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
            println!("SKIP {dir}: absent");
            return;
        };
        for e in rd {
            let name = e.expect("entry").file_name().to_string_lossy().to_string();
            if exts.iter().any(|x| name.ends_with(x)) {
                inputs.push(format!("{dir}/{name}"));
            }
        }
    };
    add("captures", &[".pcap", ".pcapng", ".pcap.gz", ".cap"]);
    add("../shared/captures/public", &[".pcap", ".pcapng", ".cap"]);
    add("../shared/ios-real", &[".txt"]);
    add("../shared/epc-real", &[".txt"]);
    inputs.sort();
    let missing: Vec<&String> = inputs.iter().filter(|i| judgement(i).is_none()).collect();
    assert!(inputs.len() >= 58, "only {} inputs found", inputs.len());
    assert!(
        missing.is_empty(),
        "inputs without an independent judgement in tests/judgements/: {missing:?}"
    );
}
