//! Site defaults: `$XDG_CONFIG_HOME/licpath/config.toml` (or `--config FILE`) holds the
//! values a site sets once — its name servers, its proxy, its trust store, the fleet
//! concurrency and the output format — so that `licpath check` need not repeat them.
//!
//! A value from the file is handed to clap as if it had been typed, after the flags the
//! user did type: the flag's own value parser checks it (one parse for both), and a flag
//! given on the command line wins. `licpath config show` prints what is in force and where
//! each value came from. Nothing here is printed raw: a proxy's password never is.

use super::args::{Cli, KEYS};
use super::error::CliError;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use serde::Deserialize;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The config file's largest size: it is a handful of lines.
const MAX_CONFIG_BYTES: u64 = 64 * 1024;

/// What the file may hold; an unknown key is refused, not ignored (a typo would otherwise
/// silently change nothing).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SiteConfig {
    dns_server: Option<OneOrMany>,
    proxy: Option<String>,
    trust_store: Option<PathBuf>,
    concurrency: Option<u16>,
    format: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn values(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// The config file in force: `--config FILE` (which must exist), else the per-user file
/// when it exists.
#[derive(Debug)]
pub struct Loaded {
    pub path: Option<PathBuf>,
    pub config: SiteConfig,
}

/// The per-user file: `$XDG_CONFIG_HOME/licpath/config.toml` (default
/// `~/.config/licpath/config.toml`; on Windows the roaming AppData folder).
pub fn user_config_dir() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    etcetera::choose_base_strategy()
        .ok()
        .map(|s| s.config_dir().join("licpath"))
}

fn explicit_config(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let s = a.to_string_lossy();
        if s == "--" {
            break;
        }
        if s == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = s.strip_prefix("--config=") {
            return Some(PathBuf::from(v));
        }
    }
    None
}

pub fn load(args: &[OsString]) -> Result<Loaded, CliError> {
    let (path, required) = match explicit_config(args) {
        Some(p) => (p, true),
        None => match user_config_dir() {
            Some(d) => (d.join("config.toml"), false),
            None => {
                return Ok(Loaded {
                    path: None,
                    config: SiteConfig::default(),
                });
            }
        },
    };
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Loaded {
                path: None,
                config: SiteConfig::default(),
            });
        }
        Err(source) => {
            return Err(CliError::Read {
                path: path.display().to_string(),
                source,
            });
        }
    };
    if !meta.is_file() || meta.len() > MAX_CONFIG_BYTES {
        return Err(CliError::Usage(format!(
            "{}: not a config file (a regular file of at most {} KiB is expected)",
            path.display(),
            MAX_CONFIG_BYTES / 1024
        )));
    }
    let text = std::fs::read_to_string(&path).map_err(|source| CliError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let config = parse(&text).map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    Ok(Loaded {
        path: Some(path),
        config,
    })
}

/// A config file's text that is not TOML or holds a key or value the file may not.
#[derive(Debug, thiserror::Error)]
// toml's own Display spans several lines with a caret; its message says what and where.
#[error("{}", .0.message())]
pub struct ConfigError(toml::de::Error);

/// The file's text into its values (pure).
pub fn parse(text: &str) -> Result<SiteConfig, ConfigError> {
    toml::from_str(text).map_err(ConfigError)
}

impl SiteConfig {
    /// The file's values as flags, for the keys the subcommand takes and the user did not
    /// type.
    fn as_flags(&self, sub: &clap::Command, typed: &ArgMatches) -> Vec<OsString> {
        let mut flags = Vec::new();
        let takes = |id: &str| sub.get_arguments().any(|a| a.get_id() == id);
        for (key, id, applies) in KEYS {
            if !applies.contains(&sub.get_name())
                || !takes(id)
                || typed.value_source(id) == Some(ValueSource::CommandLine)
            {
                continue;
            }
            // --json on the command line is --format json: the file's format yields to it.
            if *id == "format" && takes("json") && typed.get_flag("json") {
                continue;
            }
            for v in self.values(key) {
                flags.push(OsString::from(format!("--{key}")));
                flags.push(OsString::from(v));
            }
        }
        flags
    }

    fn values(&self, key: &str) -> Vec<String> {
        match key {
            "dns-server" => self
                .dns_server
                .as_ref()
                .map(OneOrMany::values)
                .unwrap_or_default(),
            "proxy" => self.proxy.iter().cloned().collect(),
            "trust-store" => self
                .trust_store
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            "concurrency" => self.concurrency.iter().map(u16::to_string).collect(),
            "format" => self.format.iter().cloned().collect(),
            _ => Vec::new(),
        }
    }
}

/// The command line with the config file's values added: parsed once as typed (to learn
/// what the user gave), then again with the file's values after the typed ones. A value
/// of the file that its flag refuses is a usage error naming the file.
pub fn parse_command_line(args: Vec<OsString>) -> Result<(Cli, Loaded), clap::Error> {
    let typed = Cli::command().try_get_matches_from(&args)?;
    let loaded = match load(&args) {
        Ok(l) => l,
        Err(e) => {
            return Err(Cli::command().error(clap::error::ErrorKind::InvalidValue, e.to_string()));
        }
    };
    let Some((name, sub_typed)) = typed.subcommand() else {
        return Ok((Cli::from_arg_matches(&typed)?, loaded));
    };
    let root = Cli::command();
    let Some(sub) = root.find_subcommand(name) else {
        return Ok((Cli::from_arg_matches(&typed)?, loaded));
    };
    // `config show` reports the file's values itself, as the file's.
    if name == "config" {
        return Ok((Cli::from_arg_matches(&typed)?, loaded));
    }
    let extra = loaded.config.as_flags(sub, sub_typed);
    if extra.is_empty() {
        return Ok((Cli::from_arg_matches(&typed)?, loaded));
    }
    // The file's flags go right after the subcommand's name, before any `--`.
    let at = args
        .iter()
        .position(|a| a.to_str() == Some(name))
        .map_or(args.len(), |i| i + 1);
    let mut all = args[..at].to_vec();
    all.extend(extra);
    all.extend_from_slice(&args[at..]);
    let file = loaded
        .path
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let with_file = Cli::command().try_get_matches_from(&all).map_err(|e| {
        Cli::command().error(
            clap::error::ErrorKind::InvalidValue,
            format!("{file}: {}", first_line(&super::clap_error_text(&e))),
        )
    })?;
    Ok((Cli::from_arg_matches(&with_file)?, loaded))
}

fn first_line(s: &str) -> &str {
    s.lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
}

/// `licpath config show`: each overridable value, what is in force, and where it came
/// from (the command line of this `config show`, the config file, or the built-in
/// default).
pub fn show(args: &super::args::ConfigShowArgs, loaded: &Loaded) -> Result<u8, CliError> {
    check_file_values(loaded)?;
    let mut out = Vec::new();
    write_show(&mut out, args, loaded).map_err(CliError::Output)?;
    super::error::written(std::io::stdout().lock().write_all(&out))?;
    Ok(0)
}

/// The file's values checked by the flags' own parsers, as `check` would take them.
fn check_file_values(loaded: &Loaded) -> Result<(), CliError> {
    let root = Cli::command();
    let Some(check) = root.find_subcommand("check") else {
        return Ok(());
    };
    let bare = Cli::command()
        .try_get_matches_from(["licpath", "check"])
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let Some((_, typed)) = bare.subcommand() else {
        return Ok(());
    };
    let mut argv: Vec<OsString> = vec!["licpath".into(), "check".into()];
    argv.extend(loaded.config.as_flags(check, typed));
    let file = loaded.path.as_deref().map(display_file).unwrap_or_default();
    Cli::command()
        .try_get_matches_from(argv)
        .map(|_| ())
        .map_err(|e| {
            CliError::Usage(format!(
                "{file}: {}",
                first_line(&super::clap_error_text(&e))
            ))
        })
}

fn write_show(
    out: &mut dyn Write,
    args: &super::args::ConfigShowArgs,
    loaded: &Loaded,
) -> std::io::Result<()> {
    let file = loaded.path.as_deref();
    match file {
        Some(p) => writeln!(out, "config file: {}", display_file(p))?,
        None => writeln!(
            out,
            "config file: none ({} does not exist)",
            user_config_dir()
                .map(|d| d.join("config.toml").display().to_string())
                .unwrap_or_else(|| "no home directory".into())
        )?,
    }
    let typed: [(&str, Vec<String>); 5] = [
        (
            "dns-server",
            args.dns_servers.iter().map(|a| a.to_string()).collect(),
        ),
        (
            "proxy",
            args.proxy.iter().map(|p| masked_proxy(p)).collect(),
        ),
        (
            "trust-store",
            args.trust_store
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        ),
        (
            "concurrency",
            args.concurrency.iter().map(u16::to_string).collect(),
        ),
        (
            "format",
            args.format
                .iter()
                .map(|f| format!("{f:?}").to_lowercase())
                .collect(),
        ),
    ];
    for (key, given) in typed {
        let (values, source) = if !given.is_empty() {
            (given, "command line".to_string())
        } else {
            let from_file = loaded.config.values(key);
            match (from_file.is_empty(), file) {
                (false, Some(p)) => (
                    if key == "proxy" {
                        from_file.iter().map(|p| masked_proxy(p)).collect()
                    } else {
                        from_file
                    },
                    display_file(p),
                ),
                _ => (vec![default_of(key).to_string()], "default".to_string()),
            }
        };
        let shown: Vec<String> = values
            .iter()
            .map(|v| crate::escape::esc(v).to_string())
            .collect();
        writeln!(out, "{key:<12} = {:<40} ({source})", shown.join(", "))?;
    }
    Ok(())
}

fn display_file(p: &Path) -> String {
    crate::escape::esc(&p.display().to_string()).to_string()
}

/// What each key is when neither the command line nor the file sets it.
fn default_of(key: &str) -> &'static str {
    match key {
        "dns-server" => {
            "this host's resolver (/etc/resolv.conf), or the switch's with --from-config"
        }
        "proxy" => "none (direct), or the switch's with --from-config",
        "trust-store" => "the built-in IOS XE trust profile",
        "concurrency" => "16",
        "format" => "text",
        _ => "",
    }
}

/// A proxy value as it may be shown: its password masked ([`mask_userinfo`]); a value that
/// does not parse as a proxy is not shown at all.
///
/// [`mask_userinfo`]: crate::model::url::mask_userinfo
/// A proxy value as typed, its parser having accepted it (`check_file_values` for the
/// file's), with the password masked.
fn masked_proxy(s: &str) -> String {
    crate::model::url::mask_userinfo(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn unknown_keys_and_wrong_types_are_refused() {
        assert!(
            parse("dns-servers = \"10.0.0.53\"\n")
                .unwrap_err()
                .to_string()
                .contains("unknown field")
        );
        assert!(parse("concurrency = \"many\"\n").is_err());
        let c = parse("dns-server = [\"10.0.0.53\", \"10.0.0.54\"]\nproxy = \"p:80\"\n").unwrap();
        assert_eq!(c.values("dns-server"), ["10.0.0.53", "10.0.0.54"]);
        assert_eq!(c.values("proxy"), ["p:80"]);
        assert!(c.values("format").is_empty());
    }

    #[test]
    fn explicit_config_is_found_before_a_double_dash_only() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            explicit_config(&args(&["licpath", "check", "--config", "a.toml"])),
            Some(PathBuf::from("a.toml"))
        );
        assert_eq!(
            explicit_config(&args(&["licpath", "--config=b.toml", "check"])),
            Some(PathBuf::from("b.toml"))
        );
        assert_eq!(
            explicit_config(&args(&["licpath", "check", "--", "--config"])),
            None
        );
    }

    /// One definition: each key of the file is the long name of the flag it stands for,
    /// in every subcommand it applies to, and `config show` takes exactly those flags.
    #[test]
    fn keys_are_the_flags_of_config_show_and_the_subcommands() {
        let root = Cli::command();
        for (key, id, applies) in KEYS {
            assert!(applies.contains(&"check"), "{key}");
            for name in *applies {
                let sub = root.find_subcommand(name).expect(name);
                // A subcommand that does not take the flag is skipped by `as_flags`.
                if let Some(arg) = sub.get_arguments().find(|a| a.get_id() == *id) {
                    assert_eq!(arg.get_long(), Some(*key), "{name} {id}");
                }
            }
        }
        let show = root
            .find_subcommand("config")
            .and_then(|c| c.find_subcommand("show"))
            .expect("config show");
        let mut taken: Vec<&str> = show
            .get_arguments()
            .filter_map(|a| a.get_long())
            .filter(|l| !["config", "help"].contains(l))
            .collect();
        let mut keys: Vec<&str> = KEYS.iter().map(|(k, _, _)| *k).collect();
        taken.sort_unstable();
        keys.sort_unstable();
        assert_eq!(taken, keys);
        // Untyped, each is None: no default hides the file's value.
        let cli = Cli::try_parse_from(["licpath", "config", "show"]).unwrap();
        let super::super::args::Command::Config {
            action: super::super::args::ConfigAction::Show(a),
        } = cli.command
        else {
            panic!("not config show")
        };
        assert!(a.concurrency.is_none() && a.format.is_none() && a.proxy.is_none());
    }

    #[test]
    fn a_proxy_password_is_never_shown() {
        let shown = masked_proxy("http://alice:S3cret@proxy.example:3128");
        assert!(!shown.contains("S3cret"), "{shown}");
        assert!(shown.contains("proxy.example:3128"), "{shown}");
        assert!(!masked_proxy("alice:S3cret#x@proxy").contains("S3cret"));
        assert_eq!(
            masked_proxy("http://alice:S3cret@proxy.example:3128"),
            "http://alice:***@proxy.example:3128"
        );
    }
}
