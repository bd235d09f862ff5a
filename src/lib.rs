//! licpath: why can't a Cisco switch reach Cisco licensing? Proof from the packets.
//!
//! Layers (data flows one way; `tests/layering.rs` checks it). The core: `capture`
//! (reading capture files) → `flow` (TCP tracking, reassembly; calls the pure decoders in
//! `wire`) → `model` (the one Timeline) → `diagnose` (every finding). The edges: `probe`
//! (the live probe), `ios` (the switch's text), `pipeline` (file → timeline → findings, and
//! `watch` over a growing capture). The front-ends: `report` (text, JSON, HTML, Markdown,
//! annotated pcapng, monitoring formats), `tui`, and `cli` (flags, subcommands). Beside
//! them: `escape` (untrusted text made safe for a terminal) and `outfile` (the one way an
//! output file is opened).
#![forbid(unsafe_code)]

pub mod capture;
pub mod cli;
pub mod diagnose;
pub mod escape;
pub mod flow;
pub mod ios;
pub mod model;
pub mod outfile;
pub mod pipeline;
pub mod probe;
pub mod report;
pub mod tui;
pub mod watch;
pub mod wire;
