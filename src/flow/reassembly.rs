//! One direction of a TCP byte stream, reassembled from segments that may arrive out of
//! order, retransmitted or with holes (switch captures drop packets past 1000 pps).
//! Bounded: at most [`MAX_OUT_OF_ORDER_BYTES`] wait for a hole to fill; past that the hole
//! is declared a gap and delivery resumes after it. Each waiting segment is counted with
//! its bookkeeping ([`SEGMENT_OVERHEAD`]), so tiny segments cannot buffer more than the cap
//! says; the flow table adds a global budget over all flows on top (`flow::table::FlowLimits`).

use std::collections::BTreeMap;

pub const MAX_OUT_OF_ORDER_BYTES: usize = 256 * 1024;
/// What one waiting segment costs beyond its payload: the B-tree slot (key and `Vec`
/// header, about 40 bytes) and the allocation's own header and rounding.
pub const SEGMENT_OVERHEAD: usize = 64;
/// Offsets further back than this are old data (sequence space is 2^32, RFC 9293 §3.4).
const HALF_SEQ_SPACE: u32 = 1 << 31;

#[derive(Debug, PartialEq, Eq)]
pub enum Delivery<'a> {
    Data(&'a [u8]),
    /// Bytes the capture lacks; the stream continues after them.
    Gap(u64),
}

#[derive(Debug, Default)]
pub struct Reassembler {
    /// Sequence number of stream offset 0.
    base: Option<u32>,
    /// Next offset expected (everything before it was delivered or declared a gap).
    next: u64,
    ooo: BTreeMap<u64, Vec<u8>>,
    ooo_bytes: usize,
    pub retransmitted_segments: u64,
    pub gap_bytes: u64,
    /// Sequence number of this direction's FIN, which takes one sequence number of its own
    /// (RFC 9293 §3.4): an ACK of it is not an ACK of missing data.
    fin_seq: Option<u32>,
    /// The peer acknowledged exactly up to the hole at `next` while later bytes waited
    /// behind it ([`Reassembler::peer_acked`]).
    hole_reported: bool,
    /// The frames that show the hole at `next` (issue 26: evidence on the frames that
    /// prove it): set by the flow as segments and ACKs come, cleared when no byte waits.
    pub hole_frames: HoleFrames,
}

/// The frames that show a hole: the first segment that arrived past it (tshark's
/// "previous segment not captured"), and the receiver's duplicate ACK of its start
/// (tshark's "Dup ACK"), with its SACK block as stream offsets when it has one.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HoleFrames {
    pub after: Option<(u64, i64)>,
    pub dup_ack: Option<crate::model::DupAck>,
}

impl Reassembler {
    /// Sets offset 0 at `seq` (the SYN's sequence number + 1). Ignored once data flowed.
    pub fn set_base(&mut self, seq: u32) {
        if self.base.is_none() {
            self.base = Some(seq);
        }
    }

    pub fn delivered(&self) -> u64 {
        self.next
    }

    /// Memory held by segments waiting behind a hole, bookkeeping included.
    pub fn buffered_cost(&self) -> usize {
        self.ooo_bytes + self.ooo.len() * SEGMENT_OVERHEAD
    }

    /// Adds a segment; `deliver` is called with in-order data and gaps.
    pub fn segment(&mut self, seq: u32, payload: &[u8], mut deliver: impl FnMut(Delivery<'_>)) {
        if payload.is_empty() {
            return;
        }
        let base = *self.base.get_or_insert(seq);
        let rel = seq.wrapping_sub(base);
        if rel >= HALF_SEQ_SPACE {
            // Before the stream start we know of: a retransmission of old data.
            self.retransmitted_segments += 1;
            return;
        }
        // Streams past 4 GiB wrap; licensing flows are tiny, and wrapping only misplaces
        // offsets of bulk flows whose payload we skip anyway.
        let start = u64::from(rel) + (self.next & !0xffff_ffff);
        let end = start + payload.len() as u64;
        if end <= self.next {
            self.retransmitted_segments += 1;
            return;
        }
        if start <= self.next {
            if self.hole_reported && !self.ooo.is_empty() {
                // The receiver reported this hole (its duplicate ACKs) and the sender filled
                // it: the bytes were lost before the capture point and sent again.
                self.retransmitted_segments += 1;
            }
            self.hole_reported = false;
            let skip = usize::try_from(self.next - start).unwrap_or(usize::MAX);
            deliver(Delivery::Data(&payload[skip..]));
            self.next = end;
            self.drain(&mut deliver);
        } else {
            if self
                .ooo
                .get(&start)
                .is_some_and(|b| b.len() >= payload.len())
            {
                self.retransmitted_segments += 1;
                return;
            }
            self.ooo_bytes += payload.len();
            if let Some(old) = self.ooo.insert(start, payload.to_vec()) {
                self.ooo_bytes -= old.len();
            }
            while self.buffered_cost() > MAX_OUT_OF_ORDER_BYTES {
                self.skip_hole(&mut deliver);
            }
        }
    }

    fn drain(&mut self, deliver: &mut impl FnMut(Delivery<'_>)) {
        while let Some(entry) = self.ooo.first_entry() {
            let start = *entry.key();
            if start > self.next {
                return;
            }
            let data = entry.remove();
            if self.ooo.is_empty() {
                // The last waiting bytes go: no hole is left to show.
                self.hole_frames = HoleFrames::default();
            }
            self.ooo_bytes -= data.len();
            let end = start + data.len() as u64;
            if end > self.next {
                let skip = usize::try_from(self.next - start).unwrap_or(usize::MAX);
                deliver(Delivery::Data(&data[skip..]));
                self.next = end;
            }
        }
    }

    fn skip_hole(&mut self, deliver: &mut impl FnMut(Delivery<'_>)) {
        self.hole_reported = false;
        if let Some((&start, _)) = self.ooo.first_key_value() {
            let missing = start.saturating_sub(self.next);
            if missing > 0 {
                self.gap_bytes += missing;
                deliver(Delivery::Gap(missing));
                self.next = start;
                self.hole_frames = HoleFrames::default();
            }
            self.drain(deliver);
        }
    }

    /// At the end of the flow, or when the flow table's budget runs out: whatever still
    /// waits behind a hole is delivered after a gap.
    pub fn flush(&mut self, mut deliver: impl FnMut(Delivery<'_>)) {
        while !self.ooo.is_empty() {
            self.skip_hole(&mut deliver);
        }
    }

    /// Records a FIN whose sequence number is `seq` (after the segment's payload).
    pub fn fin(&mut self, seq: u32) {
        self.fin_seq.get_or_insert(seq);
    }

    /// The stream offset an ACK number stands for, when it lies ahead of the stream start.
    fn acked_offset(&self, ack: u32) -> Option<u64> {
        let base = self.base?;
        let ack = match self.fin_seq {
            Some(fin) if ack == fin.wrapping_add(1) => fin,
            _ => ack,
        };
        let rel = ack.wrapping_sub(base);
        (rel < HALF_SEQ_SPACE).then(|| u64::from(rel) + (self.next & !0xffff_ffff))
    }

    /// The peer's ACK number `ack`: when it acknowledges exactly up to a hole behind which
    /// later bytes wait, the receiver is reporting that hole (a duplicate ACK, RFC 5681
    /// §3.2; with SACK, RFC 2018, the same ACK number), so the segment that fills it is a
    /// retransmission of bytes lost before the capture point (issue 22 principle 1), not
    /// reordering and not a capture gap.
    /// True when this ACK reports the hole.
    pub fn peer_acked(&mut self, ack: u32) -> bool {
        let reports = !self.ooo.is_empty() && self.acked_offset(ack) == Some(self.next);
        self.hole_reported |= reports;
        reports
    }

    /// Whether bytes wait behind a hole.
    pub fn waiting(&self) -> bool {
        !self.ooo.is_empty()
    }

    /// A sequence number as tshark's relative one (the first data byte is 1), when it
    /// lies ahead of the stream start.
    pub fn relative(&self, seq: u32) -> Option<u64> {
        let rel = seq.wrapping_sub(self.base?);
        (rel < HALF_SEQ_SPACE).then(|| u64::from(rel) + (self.next & !0xffff_ffff) + 1)
    }

    /// Whether the peer acknowledged bytes of this stream not delivered yet (captured
    /// neither in order nor out of order so far).
    pub fn acked_beyond(&self, ack: u32) -> bool {
        self.acked_offset(ack).is_some_and(|a| a > self.next)
    }

    /// Data the peer acknowledged that never reached us (captured neither in order nor
    /// out of order): gaps the capture cannot fill, up to the ACK, with what waits behind
    /// them delivered. A hole before a segment that did arrive is acknowledged too.
    pub fn acknowledged(&mut self, ack: u32, mut deliver: impl FnMut(Delivery<'_>)) {
        let Some(acked) = self.acked_offset(ack) else {
            return;
        };
        while acked > self.next {
            let hole_end = match self.ooo.first_key_value() {
                Some((&s, _)) if s < acked => s,
                _ => acked,
            };
            if hole_end > self.next {
                let missing = hole_end - self.next;
                self.gap_bytes += missing;
                deliver(Delivery::Gap(missing));
                self.next = hole_end;
                self.hole_frames = HoleFrames::default();
            }
            self.drain(&mut deliver);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(r: &mut Reassembler, seq: u32, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        r.segment(seq, data, |d| {
            if let Delivery::Data(b) = d {
                out.extend_from_slice(b)
            }
        });
        out
    }

    /// Loss before the capture point: a hole, the receiver's duplicate ACK of its start,
    /// then the segment that fills it is a retransmission; the same fill without the
    /// report is reordering (not counted), and no gap is declared either way.
    #[test]
    fn a_reported_hole_filled_later_is_a_retransmission() {
        for (reported, want) in [(true, 1), (false, 0)] {
            let mut r = Reassembler::default();
            r.set_base(1000);
            assert_eq!(collect(&mut r, 1000, b"abcde"), b"abcde");
            assert_eq!(collect(&mut r, 1010, b"klmno"), b"");
            // An ACK of less, or of more, than the hole's start is no report of it.
            r.peer_acked(1003);
            r.peer_acked(1012);
            if reported {
                r.peer_acked(1005);
            }
            assert_eq!(collect(&mut r, 1005, b"fghij"), b"fghijklmno");
            assert_eq!((r.retransmitted_segments, r.gap_bytes), (want, 0));
        }
    }

    #[test]
    fn out_of_order_and_retransmission() {
        let mut r = Reassembler::default();
        r.set_base(1000);
        assert_eq!(collect(&mut r, 1005, b"fghij"), b"");
        assert_eq!(collect(&mut r, 1000, b"abcde"), b"abcdefghij");
        assert_eq!(collect(&mut r, 1000, b"abcde"), b"");
        assert_eq!(r.retransmitted_segments, 1);
        // Overlapping retransmission that extends the stream.
        assert_eq!(collect(&mut r, 1008, b"ijKL"), b"KL");
    }

    #[test]
    fn wraps_around_sequence_space() {
        let mut r = Reassembler::default();
        r.set_base(u32::MAX - 2);
        assert_eq!(collect(&mut r, u32::MAX - 2, b"abc"), b"abc");
        assert_eq!(collect(&mut r, 0, b"def"), b"def");
    }

    #[test]
    fn hole_becomes_gap_at_cap_and_at_flush() {
        let mut r = Reassembler::default();
        r.set_base(0);
        let chunk = vec![1u8; 64 * 1024];
        let mut gaps = Vec::new();
        for i in 0..5u32 {
            r.segment(100 + i * 65536, &chunk, |d| {
                if let Delivery::Gap(n) = d {
                    gaps.push(n)
                }
            });
        }
        assert_eq!(gaps, vec![100]);
        assert!(r.buffered_cost() <= MAX_OUT_OF_ORDER_BYTES);

        let mut r = Reassembler::default();
        r.set_base(0);
        collect(&mut r, 10, b"x");
        let mut seen = Vec::new();
        r.flush(|d| seen.push(format!("{d:?}")));
        assert_eq!(seen, vec!["Gap(10)", "Data([120])"]);
    }

    #[test]
    fn ack_beyond_captured_data_is_a_gap() {
        let mut r = Reassembler::default();
        r.set_base(0);
        collect(&mut r, 0, b"abc");
        let mut seen = Vec::new();
        r.acknowledged(10, |d| seen.push(format!("{d:?}")));
        assert_eq!(seen, vec!["Gap(7)"]);
        assert_eq!(r.delivered(), 10);
        // The ACK of a FIN covers the FIN's own sequence number, not data.
        r.fin(10);
        seen.clear();
        r.acknowledged(11, |d| seen.push(format!("{d:?}")));
        assert!(seen.is_empty());
    }

    #[test]
    fn an_acknowledged_hole_before_a_later_segment_is_a_gap() {
        let mut r = Reassembler::default();
        r.set_base(0);
        collect(&mut r, 0, b"abc");
        collect(&mut r, 10, b"klm");
        assert!(r.acked_beyond(12));
        let mut seen = Vec::new();
        r.acknowledged(12, |d| seen.push(format!("{d:?}")));
        assert_eq!(seen, vec!["Gap(7)", "Data([107, 108, 109])"]);
        assert_eq!(r.delivered(), 13);
        assert!(!r.acked_beyond(13));
    }

    #[test]
    fn tiny_segments_count_their_bookkeeping() {
        let mut r = Reassembler::default();
        r.set_base(0);
        let mut gaps = 0;
        // One byte in every other sequence number: nothing coalesces.
        for i in 0..20_000u32 {
            r.segment(1 + 2 * i, b"x", |d| {
                if let Delivery::Gap(_) = d {
                    gaps += 1
                }
            });
        }
        assert!(r.buffered_cost() <= MAX_OUT_OF_ORDER_BYTES);
        // 20,000 one-byte segments would be 20 KB of payload, far under the cap counted
        // alone; with their bookkeeping they pass it, and holes are declared gaps.
        assert!(r.ooo.len() < (MAX_OUT_OF_ORDER_BYTES / SEGMENT_OVERHEAD));
        assert!(gaps > 0);
    }
}
