//! Events onto a connection, bounded ([`MAX_EVENTS_PER_CONNECTION`]).

use super::*;

pub(crate) fn push_event(
    conn: &mut Connection,
    time_ns: i64,
    frame: Option<u64>,
    dir: Direction,
    kind: EventKind,
) {
    conn.end_ns = conn.end_ns.max(time_ns);
    if conn.events.len() >= MAX_EVENTS_PER_CONNECTION {
        conn.events_dropped += 1;
        return;
    }
    // Grown by half, not doubled: most flows hold a handful of events, and a flood of
    // them should not pay for slots never used.
    if conn.events.len() == conn.events.capacity() {
        conn.events.reserve_exact((conn.events.len() / 2).max(2));
    }
    conn.events.push(Event {
        time_ns,
        frame,
        dir,
        kind,
    });
}

/// As [`push_event`], in time order: an event learnt late (a hole known lost only when
/// the flow ends) goes where its frame is on the ladder.
pub(crate) fn insert_event(
    conn: &mut Connection,
    time_ns: i64,
    frame: Option<u64>,
    dir: Direction,
    kind: EventKind,
) {
    let before = conn.events.len();
    push_event(conn, time_ns, frame, dir, kind);
    // Kept (not dropped by the cap): moved from the end to its place among the others.
    let at = conn.events[..before].partition_point(|e| e.time_ns <= time_ns);
    if conn.events.len() > before
        && at < before
        && let Some(e) = conn.events.pop()
    {
        conn.events.insert(at, e);
    }
}

pub(crate) type DnsOut = Vec<(Option<u64>, i64, Direction, Vec<u8>)>;
