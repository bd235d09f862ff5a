//! Lining the switch's log up with a capture: the clock offset that makes the most
//! failure/recovery messages meet licensing connections' ends, and the nearest end to a
//! message. Pure arithmetic on times; [`super::correlate`] writes the result into the log.

use crate::model::*;

/// A failure message and a connection's end this close (ns), once the clocks are aligned,
/// are the same event.
const MATCH_TOLERANCE_NS: i64 = 10_000_000_000;
/// Bounds on the offset search (log entries × connections).
const MAX_FAILS_FOR_OFFSET: usize = 64;
const MAX_CONNS_FOR_OFFSET: usize = 512;

pub(super) fn timed(log: &SwitchLog, want: impl Fn(&LogKind) -> bool) -> Vec<(usize, i64)> {
    log.entries
        .iter()
        .enumerate()
        .filter(|(_, e)| want(&e.kind) && !matches!(e.kind, LogKind::TechSupport { .. }))
        .filter_map(|(i, e)| e.switch_time_ns.map(|t| (i, t)))
        .collect()
}

/// The connection whose end is nearest `t`, within the tolerance.
pub(super) fn nearest(ends: &[(i64, u64)], t: i64) -> Option<u64> {
    let i = ends.partition_point(|&(e, _)| e < t);
    [i.checked_sub(1), Some(i)]
        .into_iter()
        .flatten()
        .filter_map(|j| ends.get(j))
        .filter(|(e, _)| (e - t).abs() <= MATCH_TOLERANCE_NS)
        .min_by_key(|(e, _)| (e - t).abs())
        .map(|&(_, id)| id)
}

/// The offset that lines up the most messages with connections; ties go to the smallest
/// offset. Candidates come from each (failure message, failed connection) pair.
pub(super) fn estimate_offset(
    fails: &[(usize, i64)],
    restores: &[(usize, i64)],
    failed_ends: &[(i64, u64)],
    ok_ends: &[(i64, u64)],
) -> Option<(i64, usize)> {
    let mut best: Option<(i64, usize)> = None;
    let cand_msgs = fails
        .iter()
        .take(MAX_FAILS_FOR_OFFSET)
        .map(|f| (f.1, failed_ends))
        .chain(
            restores
                .iter()
                .take(MAX_FAILS_FOR_OFFSET)
                .map(|r| (r.1, ok_ends)),
        );
    for (ts, ends) in cand_msgs {
        for &(end, _) in ends.iter().take(MAX_CONNS_FOR_OFFSET) {
            let o = ts - end;
            let score = fails
                .iter()
                .filter(|(_, t)| nearest(failed_ends, t - o).is_some())
                .count()
                + restores
                    .iter()
                    .filter(|(_, t)| nearest(ok_ends, t - o).is_some())
                    .count();
            let better = match best {
                None => true,
                Some((bo, bs)) => score > bs || (score == bs && o.abs() < bo.abs()),
            };
            if better {
                best = Some((o, score));
            }
        }
    }
    best.filter(|&(_, s)| s > 0)
}

pub(super) fn describe_offset(o: i64) -> String {
    let s = o as f64 / 1e9;
    if s.abs() < 0.5 {
        "the same as".into()
    } else if s > 0.0 {
        format!("{s:.1} s ahead of")
    } else {
        format!("{:.1} s behind", -s)
    }
}
