//! DNS query/response matching: by (client, server, transaction id, name); a second query
//! for the same name and type before an answer is a retry of the first. An answer that
//! matches no query (its query comes later in the file but earlier in time: files merged
//! one after the other, or reordered) is kept for it. Bounded by [`MAX_PENDING`]
//! unanswered queries and [`MAX_EARLY_ANSWERS`]. Unanswered queries are also queued by
//! query time, so timing them out looks only at the oldest: the cost of a query does not
//! grow with the table (linear in the queries, like the flow table's retirement queues).
//! Streaming (`watch`), answers waiting for their query and ICMP unreachables are let go
//! the same way once older than the query timeout, so that a watch of days keeps room for
//! the new ones; a file's analysis keeps them to its end (a file merged direction after
//! direction has its answers minutes, in capture time, before their queries). Pure.

use crate::model::{DnsExchange, DnsRcode, DnsResponse, DnsTransport, DnsType};
use crate::wire::dns::DnsMessage;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};

const MAX_PENDING: usize = 16_384;
const MAX_KEPT: usize = 10_000;
const MAX_UNREACHABLE: usize = 4_096;
/// Answers seen before any query for them, kept for a query later in the file.
const MAX_EARLY_ANSWERS: usize = 1_024;
/// A query unanswered for this long (capture time) is final: resolvers give up sooner.
pub(crate) const QUERY_TIMEOUT_NS: i64 = 30_000_000_000;

/// (client ip, server ip, name, qtype): a query and its retries.
type Key = (IpAddr, IpAddr, String, u16);

/// An unanswered query: its exchange, whether it is kept when final, and its place in
/// [`DnsTracker::by_time`].
struct Pending {
    exchange: DnsExchange,
    keep: bool,
    seq: u64,
}

/// Entries by key, each with its capture time, also ordered by (time, arrival) so that
/// the oldest are let go looking only at them. The first per key is kept.
struct ByTime<K, V> {
    entries: HashMap<K, (i64, u64, V)>,
    order: BTreeMap<(i64, u64), K>,
    arrived: u64,
}

impl<K, V> Default for ByTime<K, V> {
    fn default() -> Self {
        ByTime {
            entries: HashMap::new(),
            order: BTreeMap::new(),
            arrived: 0,
        }
    }
}

impl<K: Hash + Eq + Clone, V> ByTime<K, V> {
    /// Keeps `value` (made only then) unless `key` has one, or `max` are held.
    fn keep_first(&mut self, key: K, t: i64, value: impl FnOnce() -> V, max: usize) {
        if self.entries.len() >= max || self.entries.contains_key(&key) {
            return;
        }
        self.arrived += 1;
        self.order.insert((t, self.arrived), key.clone());
        self.entries.insert(key, (t, self.arrived, value()));
    }

    fn get(&self, key: &K) -> Option<(i64, &V)> {
        self.entries.get(key).map(|(t, _, v)| (*t, v))
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        let (t, arrived, v) = self.entries.remove(key)?;
        self.order.remove(&(t, arrived));
        Some(v)
    }

    /// Lets go of the entries older than `oldest_kept`.
    fn forget_before(&mut self, oldest_kept: i64) {
        while let Some(oldest) = self.order.first_entry() {
            if oldest.key().0 >= oldest_kept {
                break;
            }
            self.entries.remove(&oldest.remove());
        }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// What a DNS message is to the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// The switch asking for a licensing name (kept).
    Licensing,
    /// Kept for the report (`--all`, a name server's failure, a revocation host).
    Kept,
    /// Counted, not shown.
    Hidden,
}

#[derive(Default)]
pub struct DnsTracker {
    /// Unanswered queries; retries share the entry.
    pending: HashMap<Key, Pending>,
    /// The same queries ordered by (query time, arrival): the oldest first, whatever
    /// the order of the times in the file.
    by_time: BTreeMap<(i64, u64), Key>,
    /// Queries queued so far (the arrival number in [`DnsTracker::by_time`]).
    queued: u64,
    /// Queued queries [`DnsTracker::expire`] has looked at, in total: at most one more
    /// than it timed out per call (tests hold it to that).
    looked_at: u64,
    done: Vec<DnsExchange>,
    hidden: u64,
    /// ICMP unreachables about queries: (client, server) → reason, at its time.
    unreachable: ByTime<(SocketAddr, SocketAddr), String>,
    /// Answers that matched no query (see the module's documentation).
    early_answers: ByTime<Key, DnsResponse>,
    /// Streaming: [`DnsTracker::expire`] also lets go of the answers and unreachables
    /// older than the timeout.
    streaming: bool,
}

impl DnsTracker {
    #[allow(clippy::too_many_arguments)]
    pub fn message(
        &mut self,
        frame: Option<u64>,
        t: i64,
        src: SocketAddr,
        dst: SocketAddr,
        m: &DnsMessage,
        transport: DnsTransport,
        interest: Interest,
    ) {
        let licensing = interest == Interest::Licensing;
        let keep = interest != Interest::Hidden;
        if m.is_response {
            let key = (dst.ip(), src.ip(), m.qname.clone(), m.qtype);
            let response = || DnsResponse {
                frame,
                time_ns: t,
                rcode: DnsRcode(m.rcode),
                answers: m.answers.clone(),
                truncated: m.truncated,
            };
            if let Some(Pending {
                exchange: mut ex,
                keep,
                seq,
            }) = self.pending.remove(&key)
            {
                self.by_time.remove(&(ex.query_ns, seq));
                ex.response = Some(response());
                self.store(ex, keep);
            } else {
                // An answer with no query seen: the query fell before the capture
                // started, or comes later in a file that is not in time order.
                self.early_answers
                    .keep_first(key, t, response, MAX_EARLY_ANSWERS);
            }
            return;
        }
        let key = (src.ip(), dst.ip(), m.qname.clone(), m.qtype);
        if let Some(p) = self.pending.get_mut(&key) {
            p.exchange.retries += 1;
            return;
        }
        if self.pending.len() >= MAX_PENDING {
            self.expire(t, QUERY_TIMEOUT_NS);
            if self.pending.len() >= MAX_PENDING {
                self.hidden += 1;
                return;
            }
        }
        let early = self.early_answers.remove(&key).filter(|r| r.time_ns >= t);
        let exchange = DnsExchange {
            client: src,
            server: dst,
            id: m.id,
            name: m.qname.clone(),
            qtype: DnsType(m.qtype),
            transport,
            query_frame: frame,
            query_ns: t,
            retries: 0,
            response: None,
            unreachable: None,
            unusable_answer: None,
            licensing,
        };
        if let Some(response) = early {
            // Answered after it in time, before it in the file.
            let answered = DnsExchange {
                response: Some(response),
                ..exchange
            };
            self.store(answered, keep);
            return;
        }
        let seq = self.queued;
        self.queued += 1;
        self.by_time.insert((t, seq), key.clone());
        self.pending.insert(
            key,
            Pending {
                exchange,
                keep,
                seq,
            },
        );
    }

    /// An ICMP unreachable quoting a query from `client` to `server`: remembered (the
    /// first per socket pair, bounded) for the unanswered exchanges of that pair.
    pub fn unreachable(&mut self, client: SocketAddr, server: SocketAddr, t: i64, reason: &str) {
        self.unreachable
            .keep_first((client, server), t, || reason.to_string(), MAX_UNREACHABLE);
    }

    /// Streaming mode: see [`DnsTracker::expire`].
    pub fn set_streaming(&mut self) {
        self.streaming = true;
    }

    fn store(&mut self, mut ex: DnsExchange, keep: bool) {
        if ex.response.is_none()
            && let Some((t, why)) = self.unreachable.get(&(ex.client, ex.server))
            && t >= ex.query_ns
        {
            ex.unreachable = Some(why.clone());
        }
        if keep && self.done.len() < MAX_KEPT {
            self.done.push(ex);
        } else {
            self.hidden += 1;
        }
    }

    /// Queries unanswered for `timeout_ns` (by default [`QUERY_TIMEOUT_NS`]) become final,
    /// the oldest first. Looks only at the front of the time queue: the queries it times
    /// out and the first one it does not. Streaming, the answers waiting for their query
    /// and the unreachables as old go too: no query still unanswered is older than they
    /// are (an answer or an unreachable is for a query before it).
    pub fn expire(&mut self, now: i64, timeout_ns: i64) {
        while let Some(oldest) = self.by_time.first_entry() {
            self.looked_at += 1;
            if now - oldest.key().0 <= timeout_ns {
                break;
            }
            let key = oldest.remove();
            if let Some(p) = self.pending.remove(&key) {
                self.store(p.exchange, p.keep);
            }
        }
        if self.streaming {
            let oldest_kept = now.saturating_sub(timeout_ns);
            self.early_answers.forget_before(oldest_kept);
            self.unreachable.forget_before(oldest_kept);
        }
    }

    /// Unanswered queries, answers waiting for their query, unreachables remembered.
    pub fn held(&self) -> (usize, usize, usize) {
        (
            self.pending.len(),
            self.early_answers.len(),
            self.unreachable.len(),
        )
    }

    /// The exchanges finished so far, taken out (streaming mode).
    pub fn take_done(&mut self) -> Vec<DnsExchange> {
        std::mem::take(&mut self.done)
    }

    pub fn finish(mut self) -> (Vec<DnsExchange>, u64) {
        for key in std::mem::take(&mut self.by_time).into_values() {
            if let Some(p) = self.pending.remove(&key) {
                self.store(p.exchange, p.keep);
            }
        }
        self.done.sort_by_key(|e| (e.query_ns, e.query_frame));
        (self.done, self.hidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn message(name: &str, is_response: bool) -> DnsMessage {
        DnsMessage {
            id: 7,
            is_response,
            rcode: 0,
            qname: name.into(),
            qtype: 1,
            answers: Vec::new(),
            truncated: false,
        }
    }

    fn ends() -> (SocketAddr, SocketAddr) {
        (
            "10.1.1.1:50000".parse().unwrap(),
            "10.1.1.53:53".parse().unwrap(),
        )
    }

    fn ask(d: &mut DnsTracker, t: i64, name: &str, keep: bool) {
        let (client, ns) = ends();
        let m = message(name, false);
        let interest = if keep {
            Interest::Kept
        } else {
            Interest::Hidden
        };
        d.message(None, t, client, ns, &m, DnsTransport::Udp, interest);
    }

    fn answer(d: &mut DnsTracker, t: i64, name: &str) {
        let (client, ns) = ends();
        let m = message(name, true);
        d.message(None, t, ns, client, &m, DnsTransport::Udp, Interest::Kept);
    }

    fn names(done: &[DnsExchange]) -> Vec<&str> {
        done.iter().map(|e| e.name.as_str()).collect()
    }

    /// Issue 28 item 12: with the table full, each new query used to look at every
    /// pending one (16,384) to find none timed out; now at the oldest only. Queries 1 µs
    /// apart, so none times out until the last, 40 s later, which times them all out.
    #[test]
    fn a_full_table_costs_each_query_one_look_at_the_oldest() {
        let mut d = DnsTracker::default();
        let over = 4_096;
        let n = MAX_PENDING + over;
        for i in 0..n {
            ask(&mut d, i as i64 * 1_000, &format!("q{i}.example"), true);
        }
        assert_eq!(d.pending.len(), MAX_PENDING);
        assert_eq!(d.hidden, over as u64);
        assert_eq!(d.looked_at, over as u64, "one look per query refused");
        ask(&mut d, 40 * S, "last.example", true);
        // Each call looked at one query it left, plus every query it timed out.
        assert_eq!(d.looked_at, (over + MAX_PENDING) as u64);
        assert_eq!(d.pending.len(), 1);
        let (done, hidden) = d.finish();
        // The first 10,000 to time out are kept (the oldest), the rest counted.
        assert_eq!(done.len(), MAX_KEPT);
        assert_eq!(done[0].name, "q0.example");
        assert_eq!(
            done[MAX_KEPT - 1].name,
            format!("q{}.example", MAX_KEPT - 1)
        );
        assert!(done.iter().all(|e| e.response.is_none()));
        assert_eq!(hidden, (over + MAX_PENDING - MAX_KEPT + 1) as u64);
    }

    /// Which queries time out, and when, is what it was: strictly older than the timeout,
    /// whatever the order of their times in the file; answered ones are not; retries share
    /// the entry; a query not kept is counted.
    #[test]
    fn queries_time_out_as_before_in_time_order() {
        let mut d = DnsTracker::default();
        ask(&mut d, 0, "a.example", true);
        ask(&mut d, 5 * S, "b.example", true);
        // Earlier in time than b, later in the file.
        ask(&mut d, S, "c.example", true);
        ask(&mut d, 2 * S, "a.example", true);
        ask(&mut d, 3 * S, "hidden.example", false);
        answer(&mut d, 6 * S, "b.example");
        ask(&mut d, 20 * S, "d.example", true);
        let done = d.take_done();
        assert_eq!(names(&done), ["b.example"]);
        assert!(done[0].response.is_some());

        d.expire(31 * S + S / 2, QUERY_TIMEOUT_NS);
        let done = d.take_done();
        assert_eq!(names(&done), ["a.example", "c.example"]);
        assert_eq!(done[0].retries, 1);
        assert!(done.iter().all(|e| e.response.is_none()));
        assert_eq!(d.hidden, 0);
        d.expire(33 * S + 1, QUERY_TIMEOUT_NS);
        assert_eq!(d.hidden, 1, "hidden.example timed out, not kept");

        // Exactly the timeout is not past it.
        d.expire(50 * S, QUERY_TIMEOUT_NS);
        assert!(d.take_done().is_empty());
        d.expire(50 * S + 1, QUERY_TIMEOUT_NS);
        assert_eq!(names(&d.take_done()), ["d.example"]);

        // An answer after its query timed out finds nothing pending: a new query may
        // take the name again, and finish() ends what is left.
        answer(&mut d, 51 * S, "a.example");
        ask(&mut d, 60 * S, "a.example", true);
        ask(&mut d, 59 * S, "e.example", true);
        assert!(d.by_time.len() == 2 && d.pending.len() == 2);
        let (done, hidden) = d.finish();
        assert_eq!(names(&done), ["e.example", "a.example"]);
        assert_eq!(hidden, 1);
    }
}
