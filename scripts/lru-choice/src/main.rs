//! The flow table's LRU operations: the hand-written slab (src/flow/lru.rs itself) beside
//! the `lru` crate (two LruCaches, unbounded, evicted by hand as the table does).
#[allow(dead_code)]
#[path = "../../../src/flow/lru.rs"]
mod hand;
use std::collections::HashMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;
type S = foldhash::fast::RandomState;
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key { c: SocketAddr, s: SocketAddr }
struct Flow { key: Key, state: [u64; 32] }
const PRIORITY: usize = 1; const OTHER: usize = 0;
fn key(n: u64) -> Key {
    let c = SocketAddr::new(IpAddr::V4(Ipv4Addr::from((n >> 16) as u32 | 0x0a00_0000)), (n & 0xffff) as u16);
    Key { c, s: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 443) }
}
fn rng(x: &mut u64) -> u64 { *x ^= *x << 13; *x ^= *x >> 7; *x ^= *x << 17; *x }
struct HandTable { flows: HashMap<Key, u32, S>, table: hand::Lru<Box<Flow>> }
impl HandTable {
    fn new() -> Self { HandTable { flows: HashMap::default(), table: hand::Lru::default() } }
    fn packet(&mut self, k: Key, cap: usize) {
        if let Some(&i) = self.flows.get(&k) {
            self.table.touch(i);
            if let Some(f) = self.table.get_mut(i) { f.state[0] += 1; }
            return;
        }
        if self.flows.len() >= cap {
            let victim = self.table.iter_from_front(OTHER).next().or_else(|| self.table.iter_from_front(PRIORITY).next());
            if let Some(i) = victim { let f = self.table.remove(i).unwrap(); self.flows.remove(&f.key); black_box(f); }
        }
        let i = self.table.insert(Box::new(Flow { key: k, state: [0; 32] }), OTHER);
        self.flows.insert(k, i);
    }
    fn promote(&mut self, k: Key) { if let Some(&i) = self.flows.get(&k) { self.table.move_to(i, PRIORITY); } }
}
struct CrateTable { lists: [lru::LruCache<Key, Box<Flow>, S>; 2] }
impl CrateTable {
    fn new() -> Self { CrateTable { lists: [lru::LruCache::unbounded_with_hasher(S::default()), lru::LruCache::unbounded_with_hasher(S::default())] } }
    fn packet(&mut self, k: Key, cap: usize) {
        for l in [PRIORITY, OTHER] {
            if let Some(f) = self.lists[l].get_mut(&k) { f.state[0] += 1; return; }
        }
        if self.lists[0].len() + self.lists[1].len() >= cap {
            let v = self.lists[OTHER].pop_lru().or_else(|| self.lists[PRIORITY].pop_lru());
            black_box(v);
        }
        self.lists[OTHER].push(k, Box::new(Flow { key: k, state: [0; 32] }));
    }
    fn promote(&mut self, k: Key) { if let Some(f) = self.lists[OTHER].pop(&k) { self.lists[PRIORITY].push(k, f); } }
}
fn run(name: &str, mut f: impl FnMut()) { let t = Instant::now(); f(); let e = t.elapsed(); println!("{name:<40} {:>8.1} ms", e.as_secs_f64() * 1e3); }
fn main() {
    let cap = 100_000;
    for round in 0..3 {
        println!("round {round}");
        // 1. SYN flood: 2,000,000 distinct flows through a 100,000-flow table.
        let n = 2_000_000u64;
        run("flood 2M new flows, hand-written", || { let mut t = HandTable::new(); for i in 0..n { t.packet(key(i), cap); } black_box(t.flows.len()); });
        run("flood 2M new flows, lru crate", || { let mut t = CrateTable::new(); for i in 0..n { t.packet(key(i), cap); } black_box(t.lists[0].len()); });
        // 2. Established: 20,000 flows, 20M packets at random, 1 in 100 promoted.
        let m = 20_000u64; let p = 20_000_000u64;
        run("20M packets over 20k flows, hand-written", || { let mut t = HandTable::new(); let mut x = 88172645463325252u64; for i in 0..m { t.packet(key(i), cap); if i % 100 == 0 { t.promote(key(i)); } } for _ in 0..p { let k = key(rng(&mut x) % m); t.packet(k, cap); } black_box(t.flows.len()); });
        run("20M packets over 20k flows, lru crate", || { let mut t = CrateTable::new(); let mut x = 88172645463325252u64; for i in 0..m { t.packet(key(i), cap); if i % 100 == 0 { t.promote(key(i)); } } for _ in 0..p { let k = key(rng(&mut x) % m); t.packet(k, cap); } black_box(t.lists[0].len()); });
    }
}
