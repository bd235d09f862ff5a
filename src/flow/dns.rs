//! DNS query/response matching: by (client, server, transaction id, name); a second query
//! for the same name and type before an answer is a retry of the first. An answer whose
//! query comes later in the file but earlier in time (files merged one after the other,
//! or reordered) is kept for it. Bounded by [`MAX_PENDING`] unanswered queries and
//! [`MAX_EARLY_ANSWERS`]. Pure.

use crate::model::{DnsExchange, DnsResponse, DnsTransport, DnsType};
use crate::wire::dns::{DnsMessage, rcode_name};
use std::collections::HashMap;
use std::net::SocketAddr;

const MAX_PENDING: usize = 16_384;
const MAX_KEPT: usize = 10_000;
const MAX_UNREACHABLE: usize = 4_096;
/// Answers seen before any query for them, kept for a query later in the file.
const MAX_EARLY_ANSWERS: usize = 1_024;
/// A query unanswered for this long (capture time) is final: resolvers give up sooner.
pub(crate) const QUERY_TIMEOUT_NS: i64 = 30_000_000_000;

#[derive(Default)]
pub struct DnsTracker {
    /// (client ip, server ip, name, qtype) → exchange; retries share the entry.
    pending: HashMap<(std::net::IpAddr, std::net::IpAddr, String, u16), DnsExchange>,
    done: Vec<DnsExchange>,
    hidden: u64,
    keep_flags: HashMap<(std::net::IpAddr, std::net::IpAddr, String, u16), bool>,
    /// ICMP unreachables about queries: (client, server) → (time, reason).
    unreachable: HashMap<(SocketAddr, SocketAddr), (i64, String)>,
    /// Answers with no query seen yet (see the module's documentation).
    early_answers: HashMap<(std::net::IpAddr, std::net::IpAddr, String, u16), DnsResponse>,
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
            if let Some(mut ex) = self.pending.remove(&key) {
                let keep = self.keep_flags.remove(&key).unwrap_or(keep);
                ex.response = Some(DnsResponse {
                    frame,
                    time_ns: t,
                    rcode: rcode_name(m.rcode),
                    answers: m.answers.clone(),
                    truncated: m.truncated,
                });
                self.store(ex, keep);
            }
            // An answer with no query seen: the query fell before the capture started,
            // or comes later in a file that is not in time order.
            if self.early_answers.len() < MAX_EARLY_ANSWERS {
                self.early_answers
                    .entry(key)
                    .or_insert_with(|| DnsResponse {
                        frame,
                        time_ns: t,
                        rcode: rcode_name(m.rcode),
                        answers: m.answers.clone(),
                        truncated: m.truncated,
                    });
            }
            return;
        }
        let key = (src.ip(), dst.ip(), m.qname.clone(), m.qtype);
        if let Some(ex) = self.pending.get_mut(&key) {
            ex.retries += 1;
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
        self.keep_flags.insert(key.clone(), keep);
        self.pending.insert(key, exchange);
    }

    /// An ICMP unreachable quoting a query from `client` to `server`: remembered (the
    /// first per socket pair, bounded) for the unanswered exchanges of that pair.
    pub fn unreachable(&mut self, client: SocketAddr, server: SocketAddr, t: i64, reason: &str) {
        if self.unreachable.len() < MAX_UNREACHABLE {
            self.unreachable
                .entry((client, server))
                .or_insert_with(|| (t, reason.to_string()));
        }
    }

    fn store(&mut self, mut ex: DnsExchange, keep: bool) {
        if ex.response.is_none()
            && let Some((t, why)) = self.unreachable.get(&(ex.client, ex.server))
            && *t >= ex.query_ns
        {
            ex.unreachable = Some(why.clone());
        }
        if keep && self.done.len() < MAX_KEPT {
            self.done.push(ex);
        } else {
            self.hidden += 1;
        }
    }

    /// Queries unanswered for `timeout_ns` (by default [`QUERY_TIMEOUT_NS`]) become final.
    pub fn expire(&mut self, now: i64, timeout_ns: i64) {
        let old: Vec<_> = self
            .pending
            .iter()
            .filter(|(_, e)| now - e.query_ns > timeout_ns)
            .map(|(k, _)| k.clone())
            .collect();
        for k in old {
            if let Some(ex) = self.pending.remove(&k) {
                let keep = self.keep_flags.remove(&k).unwrap_or(false);
                self.store(ex, keep);
            }
        }
    }

    /// The exchanges finished so far, taken out (streaming mode).
    pub fn take_done(&mut self) -> Vec<DnsExchange> {
        std::mem::take(&mut self.done)
    }

    pub fn finish(mut self) -> (Vec<DnsExchange>, u64) {
        let rest: Vec<_> = self.pending.drain().collect();
        for (k, ex) in rest {
            let keep = self.keep_flags.remove(&k).unwrap_or(false);
            self.store(ex, keep);
        }
        self.done.sort_by_key(|e| (e.query_ns, e.query_frame));
        (self.done, self.hidden)
    }
}
