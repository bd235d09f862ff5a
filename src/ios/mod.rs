//! What the switch already says: its configuration (`show running-config`, `show license
//! status`) and its logs (`show logging`, `show license eventlog`, `show license tech
//! support`). Pure, tolerant parsers; the rules that judge what they read live in
//! `diagnose::config` and `diagnose::logs`.

pub mod command;
pub mod config;
pub mod error;
pub mod logs;
pub mod plan;
pub mod time;
pub mod trustpool;

pub use error::{IosTextError, decode_text};
pub use trustpool::parse_trust_store_text;

use crate::model::SwitchLog;
use crate::model::switch::{ProbePlan, SwitchConfig};

/// Everything read from the switch's text, once: its configuration and status, the plan
/// derived from them, and its messages on its own clock.
#[derive(Debug, Clone)]
pub struct SwitchText {
    pub config: SwitchConfig,
    pub plan: ProbePlan,
    pub log: SwitchLog,
}

/// Read several pasted files (name, text), each holding any number of commands' output in
/// any order. `year_hint` dates messages printed without a year.
pub fn read_switch_text(
    inputs: &[(String, String)],
    year_hint: Option<i64>,
    map: &plan::InterfaceMap,
) -> SwitchText {
    let config = config::parse_config_files(inputs);
    let plan = plan::derive(&config, map);
    let log = logs::read_logs(inputs, year_hint);
    SwitchText { config, plan, log }
}
