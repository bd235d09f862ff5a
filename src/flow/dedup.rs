//! The duplicate filter: one frame captured twice (two capture points) is counted once.

use super::*;

impl Analyzer {
    /// The same frame seen twice (two capture points): same addresses, IPv4 ID, the
    /// transport header fields in `key`, same TCP timestamp, same payload start, within
    /// [`DUPLICATE_WINDOW_NS`]. A retransmission is a new packet (new IP ID or TSval) and
    /// stays, however soon it follows (fast retransmit on a short path: microseconds).
    pub(super) fn is_duplicate(
        &mut self,
        p: &Packet<'_>,
        key: (u16, u16, u32, u32, u32),
        (ip_id, tsval): (Option<u16>, Option<u32>),
        payload: &[u8],
        time_ns: i64,
    ) -> bool {
        use std::hash::BuildHasher;
        let head = payload.get(..32).unwrap_or(payload);
        let key = self
            .dup_hasher
            .hash_one((p.src, p.dst, ip_id, key, tsval, payload.len(), head));
        let dup = self
            .dup_seen
            .get(&key)
            .is_some_and(|&t| (time_ns - t).abs() <= DUPLICATE_WINDOW_NS);
        if self.dup_ring.len() == DUP_RING
            && let Some((old, t)) = self.dup_ring.pop_front()
            && self.dup_seen.get(&old) == Some(&t)
        {
            self.dup_seen.remove(&old);
        }
        self.dup_ring.push_back((key, time_ns));
        self.dup_seen.insert(key, time_ns);
        dup
    }
}
