//! Frames in time order before the TCP analysis (issue 22, principle 1: the wire says it).
//! A capture file is not guaranteed to be time-ordered: an Embedded Packet Capture export,
//! two captures merged direction after direction, a file written in reverse. Read in file
//! order, a segment would then arrive after its own later bytes and after the FIN, and
//! look like a retransmission. Frames wait here in a bounded window, ordered by timestamp
//! (file order among equal ones); the earliest leaves when the window is full, and all
//! leave at the end. Beyond the window's reach, file order stays. Streaming (`watch`) also
//! lets a frame go once the capture's clock is [`STREAM_HORIZON_NS`] past it, so that a
//! live capture's results wait no longer than that. Pure data structure.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// Frames held at most (a reversed or merged file of this many frames is ordered whole).
pub const WINDOW_FRAMES: usize = 4096;
/// Bytes held at most.
pub const WINDOW_BYTES: usize = 8 << 20;

/// How far behind the newest frame (or the clock of a quiet link) a frame waits when
/// streaming.
pub const STREAM_HORIZON_NS: i64 = 1_000_000_000;

/// One frame waiting for its turn.
#[derive(Debug)]
pub struct Held {
    pub frame: u64,
    pub time_ns: i64,
    pub linktype: u32,
    pub data: Vec<u8>,
    /// Arrival order in the file: breaks ties between equal timestamps.
    seq: u64,
}

impl PartialEq for Held {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Held {}
impl PartialOrd for Held {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Held {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.time_ns, self.seq).cmp(&(o.time_ns, o.seq))
    }
}

#[derive(Debug, Default)]
pub struct Reorder {
    heap: BinaryHeap<Reverse<Held>>,
    bytes: usize,
    seq: u64,
    /// Buffers of frames already released, for the next ones.
    pool: Vec<Vec<u8>>,
    /// Streaming: a frame goes once `newest` is this far past it.
    horizon_ns: Option<i64>,
    newest: Option<i64>,
}

impl Reorder {
    /// The window of a streaming analysis: frames also go after [`STREAM_HORIZON_NS`].
    pub fn streaming() -> Reorder {
        Reorder {
            horizon_ns: Some(STREAM_HORIZON_NS),
            ..Reorder::default()
        }
    }

    /// The time before which every frame has been let go, when streaming (the newest
    /// clock less the horizon); `None` otherwise.
    pub fn settled_ns(&self) -> Option<i64> {
        Some(self.newest?.saturating_sub(self.horizon_ns?))
    }

    /// The capture's clock reached `now_ns` (a frame, or a quiet link).
    pub fn clock(&mut self, now_ns: i64) {
        self.newest = Some(self.newest.map_or(now_ns, |n| n.max(now_ns)));
    }

    /// Holds a copy of one frame.
    pub fn push(&mut self, frame: u64, time_ns: i64, linktype: u32, data: &[u8]) {
        self.clock(time_ns);
        let mut buf = self.pool.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(data);
        self.bytes += buf.capacity();
        self.seq += 1;
        self.heap.push(Reverse(Held {
            frame,
            time_ns,
            linktype,
            data: buf,
            seq: self.seq,
        }));
    }

    /// The earliest frame, when the window is over its bounds ([`Release::All`]: whenever
    /// one is held, at the end of the capture).
    pub fn pop(&mut self, release: Release) -> Option<Held> {
        let all = release == Release::All;
        let due = || match (self.horizon_ns, self.newest, self.heap.peek()) {
            (Some(h), Some(n), Some(Reverse(first))) => n.saturating_sub(first.time_ns) >= h,
            _ => false,
        };
        if !all && self.heap.len() <= WINDOW_FRAMES && self.bytes <= WINDOW_BYTES && !due() {
            return None;
        }
        let Reverse(h) = self.heap.pop()?;
        self.bytes -= h.data.capacity();
        Some(h)
    }

    /// The time of the earliest frame still held.
    pub fn oldest_held_ns(&self) -> Option<i64> {
        self.heap.peek().map(|Reverse(h)| h.time_ns)
    }

    /// Frames held.
    pub fn held_frames(&self) -> usize {
        self.heap.len()
    }

    /// A released frame's buffer, for reuse.
    pub fn recycle(&mut self, buf: Vec<u8>) {
        if self.pool.len() < 64 && buf.capacity() <= 64 * 1024 {
            self.pool.push(buf);
        }
    }
}

/// Which held frames [`Reorder::pop`] lets go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Only those the window's bounds push out.
    Due,
    /// Every one (the end of the capture).
    All,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(r: &mut Reorder, release: Release) -> Vec<u64> {
        std::iter::from_fn(|| r.pop(release))
            .map(|h| h.frame)
            .collect()
    }

    #[test]
    fn frames_leave_in_time_order_file_order_among_equals() {
        let mut r = Reorder::default();
        for (frame, t) in [(1, 30), (2, 10), (3, 20), (4, 10)] {
            r.push(frame, t, 1, &[0; 60]);
        }
        assert!(
            drain(&mut r, Release::Due).is_empty(),
            "the window is not full"
        );
        assert_eq!(drain(&mut r, Release::All), [2, 4, 3, 1]);
        assert_eq!(r.bytes, 0);
    }

    #[test]
    fn a_full_window_releases_its_earliest() {
        let mut r = Reorder::default();
        let n = WINDOW_FRAMES as u64 + 2;
        // Reversed: the latest frame first.
        for f in 1..=n {
            r.push(f, (n - f) as i64, 1, &[1]);
        }
        assert_eq!(drain(&mut r, Release::Due), [n, n - 1]);
        assert_eq!(r.heap.len(), WINDOW_FRAMES);
        let big = vec![0u8; WINDOW_BYTES / 2 + 1];
        let mut r = Reorder::default();
        r.push(1, 5, 1, &big);
        r.push(2, 4, 1, &big);
        assert_eq!(drain(&mut r, Release::Due), [2], "over the byte bound");
    }

    #[test]
    fn streaming_lets_frames_go_past_the_horizon() {
        let mut r = Reorder::streaming();
        r.push(1, 0, 1, &[1]);
        r.push(2, STREAM_HORIZON_NS / 2, 1, &[1]);
        assert!(drain(&mut r, Release::Due).is_empty());
        r.push(3, STREAM_HORIZON_NS, 1, &[1]);
        assert_eq!(drain(&mut r, Release::Due), [1]);
        // A quiet link: the clock alone lets the rest go.
        r.clock(3 * STREAM_HORIZON_NS);
        assert_eq!(drain(&mut r, Release::Due), [2, 3]);
    }
}
