//! The terminal UI (`licpath tui`): live troubleshooting and browsing a capture. It reads
//! the same [`crate::model::Timeline`] the reports read and runs the same probe and
//! analyser. Each screen is a [`msg::Model`] in the Elm shape: one [`msg::Msg`] enum
//! (keys, mouse, ticks, loader, prober and watch results), a pure `update` and a `view`
//! that only draws (tested with ratatui's TestBackend); the one loop in `run` feeds
//! messages from the input thread and the workers and redraws when an update says the
//! screen changed.

pub mod capture;
pub mod common;
pub mod live;
pub mod msg;
pub mod rows;
pub mod run;
pub mod watch;
