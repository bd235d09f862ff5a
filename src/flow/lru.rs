//! A slab of values threaded on two least-recently-used lists (doubly linked by index):
//! insert, touch (move to the back), move to the other list, remove and look at the front
//! are all O(1). The flow table keeps its live flows here, so retirement and eviction never
//! scan the table. Pure data structure; no knowledge of flows.
//!
//! Hand-written rather than the `lru` crate, measured (issue 25, BENCHMARKS.md "The flow
//! table's LRU"): the crate keeps one list per cache, keyed by hash, so the table's two
//! lists become two caches, a packet of a flow on the second list hashes twice, and a
//! move between the lists is a hash removal and insertion instead of a relink. On the table's own access pattern
//! (scripts/lru-choice) the crate was 7-20 % slower per packet of a live flow, the
//! common case, and 12-18 % faster only for a flood of new flows.

const NIL: u32 = u32::MAX;

struct Slot<V> {
    value: Option<V>,
    prev: u32,
    next: u32,
    list: usize,
}

pub struct Lru<V> {
    slots: Vec<Slot<V>>,
    free: Vec<u32>,
    head: [u32; 2],
    tail: [u32; 2],
}

impl<V> Default for Lru<V> {
    fn default() -> Self {
        Lru {
            slots: Vec::new(),
            free: Vec::new(),
            head: [NIL; 2],
            tail: [NIL; 2],
        }
    }
}

impl<V> Lru<V> {
    /// Adds `value` at the back (most recently used end) of `list` (0 or 1).
    pub fn insert(&mut self, value: V, list: usize) -> u32 {
        let slot = Slot {
            value: Some(value),
            prev: NIL,
            next: NIL,
            list,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = slot;
                i
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        self.link_back(i, list);
        i
    }

    pub fn get(&self, i: u32) -> Option<&V> {
        self.slots.get(i as usize)?.value.as_ref()
    }

    pub fn get_mut(&mut self, i: u32) -> Option<&mut V> {
        self.slots.get_mut(i as usize)?.value.as_mut()
    }

    /// Marks `i` as just used: to the back of its list.
    pub fn touch(&mut self, i: u32) {
        if let Some(list) = self.list_of(i)
            && self.tail[list] != i
        {
            self.unlink(i);
            self.link_back(i, list);
        }
    }

    /// Moves `i` to the back of `list`.
    pub fn move_to(&mut self, i: u32, list: usize) {
        if self.list_of(i).is_some() {
            self.unlink(i);
            self.link_back(i, list);
        }
    }

    pub fn remove(&mut self, i: u32) -> Option<V> {
        let value = self.slots.get_mut(i as usize)?.value.take()?;
        self.unlink(i);
        self.free.push(i);
        Some(value)
    }

    /// The least recently used entries of `list`, oldest first.
    pub fn iter_from_front(&self, list: usize) -> impl Iterator<Item = u32> + '_ {
        let mut at = self.head[list];
        std::iter::from_fn(move || {
            let i = at;
            at = self.slots.get(i as usize)?.next;
            Some(i)
        })
    }

    /// Takes every value out, in slot order.
    pub fn drain(&mut self) -> Vec<V> {
        let out = self.slots.drain(..).filter_map(|s| s.value).collect();
        *self = Lru::default();
        out
    }

    fn list_of(&self, i: u32) -> Option<usize> {
        let s = self.slots.get(i as usize)?;
        s.value.as_ref().map(|_| s.list)
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next, list) = {
            let s = &self.slots[i as usize];
            (s.prev, s.next, s.list)
        };
        match prev {
            NIL => self.head[list] = next,
            p => self.slots[p as usize].next = next,
        }
        match next {
            NIL => self.tail[list] = prev,
            n => self.slots[n as usize].prev = prev,
        }
    }

    fn link_back(&mut self, i: u32, list: usize) {
        let tail = self.tail[list];
        {
            let s = &mut self.slots[i as usize];
            s.prev = tail;
            s.next = NIL;
            s.list = list;
        }
        match tail {
            NIL => self.head[list] = i,
            t => self.slots[t as usize].next = i,
        }
        self.tail[list] = i;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(l: &Lru<&'static str>, list: usize) -> Vec<&'static str> {
        l.iter_from_front(list)
            .map(|i| *l.get(i).unwrap())
            .collect()
    }

    #[test]
    fn touch_move_and_remove_keep_both_lists_linked() {
        let mut l = Lru::default();
        let a = l.insert("a", 0);
        let b = l.insert("b", 0);
        let c = l.insert("c", 0);
        assert_eq!(order(&l, 0), ["a", "b", "c"]);
        l.touch(a);
        assert_eq!(order(&l, 0), ["b", "c", "a"]);
        l.move_to(c, 1);
        assert_eq!((order(&l, 0), order(&l, 1)), (vec!["b", "a"], vec!["c"]));
        assert_eq!(l.remove(b), Some("b"));
        assert_eq!(l.remove(b), None);
        assert_eq!(order(&l, 0), ["a"]);
        // A freed slot is reused, and a stale index finds nothing there but the new value.
        let d = l.insert("b", 1);
        assert_eq!(d, b);
        assert_eq!(order(&l, 1), ["c", "b"]);
        l.touch(c);
        assert_eq!(order(&l, 1), ["b", "c"]);
        assert_eq!(l.drain(), ["a", "b", "c"]);
        assert_eq!(order(&l, 0), Vec::<&str>::new());
    }
}
