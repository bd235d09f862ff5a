//! The terminal UI (`licpath tui`): live troubleshooting and browsing a capture. It reads
//! the same [`crate::model::Timeline`] the reports read and runs the same probe and
//! analyser; screens are pure functions of their state (tested with ratatui's
//! TestBackend), and the terminal loops in `run` only move events and results around.

pub mod capture;
pub mod common;
pub mod live;
pub mod run;
