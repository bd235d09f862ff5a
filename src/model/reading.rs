//! What reading a capture met that says something about the capture itself rather than
//! the network: frames out of time order, frames cut by the snap length, the flow table's
//! budget forcing evictions, a file cut short. The readers (`flow`, `pipeline`) record
//! these facts; `diagnose/capture.rs` alone turns them into findings. They stay out of
//! the JSON: the counts of [`super::CaptureStats`] are their public face.

use super::Evidence;

/// The facts of one capture's reading, each the first or the worst instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadingFacts {
    /// The first frame whose time goes backwards: (frame, time).
    pub backwards_first: Option<(u64, i64)>,
    /// The first frame captured shorter than it was on the wire: (frame, time).
    pub truncated_first: Option<(u64, i64)>,
    /// What the flow table's budget forced, when it forced anything.
    pub overload: Option<OverloadFacts>,
    /// The file ends inside a record, or its reading stopped on a corrupt block.
    pub cut_short: Option<CutShort>,
    /// What the input's times are measured against (a capture's are dated; a text
    /// capture's may state no date, or no time at all).
    pub time_base: TimeBase,
}

/// What a capture's times are measured against. A pcap's are dated by its clock; a text
/// capture (issue 23) may give only times of day, times since its first packet, or none,
/// and then its times sit on 1970-01-01: no report may print that as a date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeBase {
    /// Dated times (a pcap's clock, or a text anchored by a date).
    #[default]
    Dated,
    /// UTC times of day that nothing in the input dates.
    UndatedTimeOfDay,
    /// Times since the input's first packet.
    RelativeToFirst,
    /// The input states no times (a bare hex dump).
    NoTimes,
}

/// What the flow table's budget forced (`flow::FlowLimits`), with the budget itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverloadFacts {
    pub flows_evicted: u64,
    pub licensing_evicted: u64,
    /// First eviction (frame, time).
    pub first: Option<(u64, i64)>,
    /// Licensing connections evicted, a few at most: where each started and what it was.
    pub licensing: Vec<Evidence>,
    /// Waits for missing data cut short (the holes became gaps).
    pub holes_forced: u64,
    pub max_live_flows: usize,
    pub max_flow_bytes: usize,
    pub max_buffered_bytes: usize,
}

/// A capture file cut short: the last complete frame, and why reading stopped when a
/// block was corrupt (`None`: the file ends inside a record).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CutShort {
    pub last_frame: u64,
    pub corrupt: Option<String>,
}
