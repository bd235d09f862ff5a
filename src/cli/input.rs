//! The files named on the command line: the switch's text, PEM files, and the diagnosis
//! settings and probe plan made from them. Reading touches the OS; parsing is done by
//! `ios` and `diagnose`.

use super::args::TrustArgs;
use super::error::CliError;
use crate::diagnose::DiagnoseConfig;
use crate::ios::IosTextError;
use crate::model::Finding;
use crate::model::switch::ProbePlan;
use crate::model::trust::TrustProfile;
use std::io::Read;
use std::path::Path;

/// The plan derived from `--from-config`: the file's name, the plan, the configuration's
/// findings.
pub(crate) struct ConfigPlan {
    pub file: String,
    /// The text's `hostname`: names the switch in check's lines and metrics.
    pub hostname: Option<String>,
    /// Its interfaces' addresses (`ip address`): the sources of its traffic.
    pub addresses: Vec<std::net::IpAddr>,
    pub plan: ProbePlan,
    pub findings: Vec<Finding>,
}

/// Read the switch's configuration text and derive what the switch would do.
pub(crate) fn plan_from_config(path: &Path, maps: &[String]) -> Result<ConfigPlan, CliError> {
    plan_from_text(&path.display().to_string(), &read_text_file(path)?, maps)
}

/// The plan of the switch's text `text` read from the file `name`.
pub(crate) fn plan_from_text(
    name: &str,
    text: &[u8],
    maps: &[String],
) -> Result<ConfigPlan, CliError> {
    let name = name.to_string();
    let cfg = crate::ios::config::parse_config(text);
    if cfg.lines_used == 0 {
        return Err(IosTextError::NoConfiguration { file: name }.into());
    }
    let map = crate::ios::plan::InterfaceMap::parse(maps)?;
    let plan =
        crate::ios::plan::derive(&cfg, &map).map_err(|source| IosTextError::BadPlanValue {
            file: name.clone(),
            source,
        })?;
    let findings = crate::diagnose::config::check_config(&cfg, &plan, &name);
    Ok(ConfigPlan {
        hostname: crate::ios::config::hostname_of(text),
        addresses: cfg.interface_addresses.clone(),
        file: name,
        plan,
        findings,
    })
}

/// Text from the switch (`--logs`, `--from-config`): a few MB at most when pasted.
const MAX_TEXT: u64 = 64 << 20;
/// `--trust-store`, `--ca-file`: a switch's whole trustpool is a few hundred KB.
const MAX_PEM: u64 = 16 << 20;

/// A regular file of at most `max` bytes. Anything else (a device such as /dev/zero, a
/// FIFO, a directory) is refused before it is opened: reading it could block or never end.
fn read_bounded(path: &Path, max: u64, what: &str) -> Result<Vec<u8>, CliError> {
    let meta = std::fs::metadata(path).map_err(|e| CliError::read(path, e))?;
    if !meta.is_file() {
        return Err(CliError::BadInput(format!(
            "{}: {}, not a regular file ({what} is read from a file)",
            path.display(),
            kind_of(&meta.file_type())
        )));
    }
    // Refused by its size before a byte is read (a 2 GiB sparse file costs nothing to
    // make); the read below is still bounded, for a file that grows meanwhile.
    if meta.len() > max {
        return Err(too_large(path, max, what));
    }
    let f = std::fs::File::open(path).map_err(|e| CliError::read(path, e))?;
    let mut buf = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| CliError::read(path, e))?;
    if buf.len() as u64 > max {
        return Err(too_large(path, max, what));
    }
    Ok(buf)
}

fn too_large(path: &Path, max: u64, what: &str) -> CliError {
    CliError::BadInput(format!(
        "{}: larger than {} MiB: not {what}",
        path.display(),
        max >> 20
    ))
}

#[cfg(unix)]
fn kind_of(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// Windows: a directory, or something else (a device such as `NUL`, a pipe).
#[cfg(not(unix))]
fn kind_of(t: &std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "a directory"
    } else {
        "a device or pipe"
    }
}

/// Text pasted from a terminal: at most 64 MiB, any encoding, held as the bytes read. The
/// readers make each line text as they read it ([`crate::ios::text_lines`]: bytes that are
/// not UTF-8 as `\xNN`, URL passwords masked), so only what is kept is ever escaped.
pub(crate) fn read_text_file(path: &Path) -> Result<Vec<u8>, CliError> {
    let buf = read_bounded(path, MAX_TEXT, "text pasted from a switch")?;
    if buf.iter().take(4096).filter(|&&b| b == 0).count() > 8 {
        return Err(CliError::BadInput(format!(
            "{}: binary data, not text from the switch (a capture goes to 'licpath analyze FILE')",
            path.display()
        )));
    }
    Ok(buf)
}

/// The diagnosis settings: a trust store judges every chain; otherwise the built-in IOS
/// XE profile (FN72323 applied for the given release) judges licensing ones. `--ca-file`
/// adds a what-if profile (that profile plus the file's CAs). `ios_version` is the flag's
/// or the configuration's release.
pub(crate) fn diagnose_config(
    args: &TrustArgs,
    ios_version: Option<crate::model::trust::IosVersion>,
) -> Result<DiagnoseConfig, CliError> {
    let pem_profile = |path: &Path| -> Result<TrustProfile, CliError> {
        let pem = read_bounded(path, MAX_PEM, "a PEM trustpool or CA file")?;
        Ok(TrustProfile::from_pem(&path.display().to_string(), &pem)?)
    };
    // `--trust-store` also takes the text of `show crypto pki trustpool`.
    let store_profile = |path: &Path| -> Result<TrustProfile, CliError> {
        let name = path.display().to_string();
        let bytes = read_bounded(
            path,
            MAX_PEM,
            "a trustpool (PEM or show crypto pki trustpool)",
        )?;
        let text = crate::ios::decode_text(&name, &bytes)?;
        Ok(crate::ios::trustpool::parse_trust_store_text(&name, &text)?)
    };
    let trust = match &args.trust_store {
        Some(path) => store_profile(path)?,
        None => TrustProfile::ios_xe(ios_version),
    };
    let ca_file = match &args.ca_file {
        Some(path) => Some((
            path.display().to_string(),
            trust.with_roots_of(&pem_profile(path)?),
        )),
        None => None,
    };
    Ok(DiagnoseConfig {
        now_unix: super::now_unix(),
        trust,
        judge_all_chains: args.trust_store.is_some(),
        ca_file,
        revocation_checked_by: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("licpath-cli-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn text_files() {
        let p = tmp("ok.txt", b"license smart transport smart\n\xff");
        let raw = read_text_file(&p).unwrap();
        assert_eq!(raw, b"license smart transport smart\n\xff", "held as read");
        let lines: Vec<_> = crate::ios::text_lines(&raw).collect();
        assert_eq!(
            lines,
            ["license smart transport smart", "\\xff"],
            "a byte that is not UTF-8 is shown as \\xff, not replaced"
        );
        let bin = tmp("bin.txt", &[0u8; 64]);
        let e = read_text_file(&bin).unwrap_err();
        assert!(e.to_string().contains("binary data"), "{e}");
        let missing = read_text_file(Path::new("/nonexistent/licpath")).unwrap_err();
        assert!(matches!(missing, CliError::Read { .. }), "{missing:?}");
    }

    #[test]
    fn only_bounded_regular_files_are_read() {
        let e = read_bounded(Path::new("/dev/zero"), MAX_PEM, "a PEM file").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/dev/zero: a character device, not a regular file (a PEM file is read from a file)"
        );
        let dir = std::env::temp_dir();
        let e = read_text_file(&dir).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        let big = tmp("big.txt", &vec![b'a'; 2048]);
        let e = read_bounded(&big, 1024, "small").unwrap_err();
        assert!(e.to_string().contains(": larger than "), "{e}");
        assert!(e.to_string().ends_with("MiB: not small"), "{e}");
        assert_eq!(read_bounded(&big, 2048, "small").unwrap().len(), 2048);
    }

    #[test]
    fn config_plan() {
        let p = tmp(
            "run.txt",
            b"license smart transport smart\nlicense smart url smart https://smartreceiver.cisco.com/licservice/license\n",
        );
        let cp = plan_from_config(&p, &[]).unwrap();
        assert_eq!(cp.plan.transport, crate::model::switch::Transport::Smart);
        assert_eq!(cp.file, p.display().to_string());
        let none = tmp("none.txt", b"hostname sw1\n");
        assert!(matches!(
            plan_from_config(&none, &[]),
            Err(CliError::Ios(IosTextError::NoConfiguration { .. }))
        ));
        assert!(matches!(
            plan_from_config(&p, &["nonsense".into()]),
            Err(CliError::Ios(IosTextError::BadMap { .. }))
        ));
    }

    #[test]
    fn trust_settings() {
        let none = TrustArgs {
            trust_store: None,
            ios_version: None,
            ca_file: None,
        };
        let d = diagnose_config(&none, None).unwrap();
        assert!(!d.judge_all_chains);
        assert!(d.ca_file.is_none());
        let not_pem = tmp("not.pem", b"hello");
        let bad = TrustArgs {
            trust_store: Some(not_pem),
            ..none
        };
        assert_eq!(
            diagnose_config(&bad, None).unwrap_err().blame(),
            crate::model::Blame::Input
        );
    }
}
