//! What the switch already says: its configuration (`show running-config`, `show license
//! status`) and its logs (`show logging`, `show license eventlog`, `show license tech
//! support`). Pure, tolerant parsers; the rules that judge what they read live in
//! `diagnose::config` and `diagnose::logs`.

pub mod config;
pub mod error;
pub mod logs;
pub mod plan;
pub mod time;

pub use error::{IosTextError, decode_text};
