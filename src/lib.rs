//! licpath: why can't a Cisco switch reach Cisco licensing? Proof from the packets.
//!
//! Layers (data flows one way): `capture` (files) → `flow` (TCP tracking, reassembly) →
//! `wire` (pure decoders) → `model` (Timeline) → `diagnose` (findings) → `report`.
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
