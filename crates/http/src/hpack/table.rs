//! The static table (RFC 7541 Appendix A) and the dynamic table (§4).

use std::collections::VecDeque;

/// Appendix A: index `i` (1-based) is `STATIC[i - 1]`.
pub(crate) static STATIC: [(&[u8], &[u8]); 61] = [
    (b":authority", b""),
    (b":method", b"GET"),
    (b":method", b"POST"),
    (b":path", b"/"),
    (b":path", b"/index.html"),
    (b":scheme", b"http"),
    (b":scheme", b"https"),
    (b":status", b"200"),
    (b":status", b"204"),
    (b":status", b"206"),
    (b":status", b"304"),
    (b":status", b"400"),
    (b":status", b"404"),
    (b":status", b"500"),
    (b"accept-charset", b""),
    (b"accept-encoding", b"gzip, deflate"),
    (b"accept-language", b""),
    (b"accept-ranges", b""),
    (b"accept", b""),
    (b"access-control-allow-origin", b""),
    (b"age", b""),
    (b"allow", b""),
    (b"authorization", b""),
    (b"cache-control", b""),
    (b"content-disposition", b""),
    (b"content-encoding", b""),
    (b"content-language", b""),
    (b"content-length", b""),
    (b"content-location", b""),
    (b"content-range", b""),
    (b"content-type", b""),
    (b"cookie", b""),
    (b"date", b""),
    (b"etag", b""),
    (b"expect", b""),
    (b"expires", b""),
    (b"from", b""),
    (b"host", b""),
    (b"if-match", b""),
    (b"if-modified-since", b""),
    (b"if-none-match", b""),
    (b"if-range", b""),
    (b"if-unmodified-since", b""),
    (b"last-modified", b""),
    (b"link", b""),
    (b"location", b""),
    (b"max-forwards", b""),
    (b"proxy-authenticate", b""),
    (b"proxy-authorization", b""),
    (b"range", b""),
    (b"referer", b""),
    (b"refresh", b""),
    (b"retry-after", b""),
    (b"server", b""),
    (b"set-cookie", b""),
    (b"strict-transport-security", b""),
    (b"transfer-encoding", b""),
    (b"user-agent", b""),
    (b"vary", b""),
    (b"via", b""),
    (b"www-authenticate", b""),
];

/// Size overhead of one entry (§4.1).
pub(crate) const ENTRY_OVERHEAD: usize = 32;

/// Where one entry's bytes sit in the arena (`start` indexes `arena`, evicted prefix
/// included): name then value, back to back.
#[derive(Clone, Copy, Debug)]
struct Slot {
    start: usize,
    name_len: usize,
    value_len: usize,
}

/// The dynamic table: a FIFO of entries, newest first for indexing (§2.3.3).
///
/// Entries are evicted oldest first, so the live bytes are always a suffix of one arena
/// vector: inserting appends, evicting moves `dead` forward, and the evicted prefix is
/// dropped once it outweighs the live part. The arena thus holds at most about twice the
/// table capacity, and a connection in steady state allocates nothing per field.
#[derive(Debug)]
pub(crate) struct DynamicTable {
    arena: Vec<u8>,
    /// Bytes at the start of `arena` that belong to evicted entries.
    dead: usize,
    /// Oldest at the front, newest at the back.
    slots: VecDeque<Slot>,
    /// Sum of entry sizes (§4.1).
    size: usize,
    /// Maximum size, as last set by a dynamic table size update (§4.2).
    capacity: usize,
}

impl DynamicTable {
    pub(crate) fn new(capacity: usize) -> DynamicTable {
        DynamicTable {
            arena: Vec::new(),
            dead: 0,
            slots: VecDeque::new(),
            size: 0,
            capacity,
        }
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Entry `index`, 1 = newest.
    pub(crate) fn get(&self, index: usize) -> Option<(&[u8], &[u8])> {
        let i = self.slots.len().checked_sub(index)?;
        let slot = self.slots.get(i)?;
        let start = slot.start;
        let mid = start + slot.name_len;
        Some((
            &self.arena[start..mid],
            &self.arena[mid..mid + slot.value_len],
        ))
    }

    /// Sets the maximum size, evicting as needed (§4.3).
    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        self.evict_to(capacity);
    }

    /// Adds an entry, evicting older ones first; an entry larger than the capacity empties
    /// the table and is not added (§4.4).
    pub(crate) fn insert(&mut self, name: &[u8], value: &[u8]) {
        let size = name.len() + value.len() + ENTRY_OVERHEAD;
        if size > self.capacity {
            self.evict_to(0);
            return;
        }
        self.evict_to(self.capacity - size);
        if self.dead > 0 && self.dead >= self.arena.len() - self.dead {
            self.compact();
        }
        let start = self.arena.len();
        self.arena.extend_from_slice(name);
        self.arena.extend_from_slice(value);
        self.slots.push_back(Slot {
            start,
            name_len: name.len(),
            value_len: value.len(),
        });
        self.size += size;
    }

    fn compact(&mut self) {
        let dead = self.dead;
        self.arena.drain(..dead);
        for slot in &mut self.slots {
            slot.start -= dead;
        }
        self.dead = 0;
    }

    fn evict_to(&mut self, target: usize) {
        while self.size > target {
            let Some(slot) = self.slots.pop_front() else {
                break;
            };
            self.size -= slot.name_len + slot.value_len + ENTRY_OVERHEAD;
            self.dead += slot.name_len + slot.value_len;
        }
        if self.slots.is_empty() {
            self.arena.clear();
            self.dead = 0;
            self.size = 0;
        }
    }

    /// Entries newest first, for tests.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        (1..=self.len())
            .filter_map(|i| self.get(i))
            .map(|(n, v)| (n.to_vec(), v.to_vec()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(t: &DynamicTable) -> Vec<String> {
        t.entries()
            .into_iter()
            .map(|(n, v)| {
                format!(
                    "{}={}",
                    String::from_utf8(n).unwrap(),
                    String::from_utf8(v).unwrap()
                )
            })
            .collect()
    }

    #[test]
    fn static_table_ends() {
        assert_eq!(STATIC[0], (&b":authority"[..], &b""[..]));
        assert_eq!(STATIC[15], (&b"accept-encoding"[..], &b"gzip, deflate"[..]));
        assert_eq!(STATIC[60].0, b"www-authenticate");
    }

    #[test]
    fn evicts_oldest_first_and_compacts() {
        // Room for three entries of 32 + 2 bytes.
        let mut t = DynamicTable::new(3 * 34);
        for i in 0..1000u32 {
            let k = [b'a' + (i % 26) as u8];
            let v = [b'0' + (i % 10) as u8];
            t.insert(&k, &v);
            assert!(t.size() <= 3 * 34);
            // Live bytes (at most 6) plus an evicted prefix no bigger than them, plus one entry.
            assert!(t.arena.len() <= 2 * 6 + 2, "arena {}", t.arena.len());
        }
        assert_eq!(t.len(), 3);
        // i = 999, 998, 997
        assert_eq!(names(&t), ["l=9", "k=8", "j=7"]);
        assert_eq!(t.size(), 102);
        assert!(t.get(4).is_none());
        assert!(t.get(0).is_none());
    }

    #[test]
    fn oversized_entry_empties_table() {
        let mut t = DynamicTable::new(100);
        t.insert(b"a", b"b");
        t.insert(&[b'x'; 60], &[b'y'; 10]);
        assert_eq!(t.len(), 0);
        assert_eq!(t.size(), 0);
        // Exactly the capacity fits.
        t.insert(&[b'x'; 60], &[b'y'; 8]);
        assert_eq!(t.len(), 1);
        assert_eq!(t.size(), 100);
    }

    #[test]
    fn shrinking_capacity_evicts() {
        let mut t = DynamicTable::new(4096);
        t.insert(b"one", b"1");
        t.insert(b"two", b"2");
        t.insert(b"three", b"3");
        t.set_capacity(80);
        assert_eq!(names(&t), ["three=3", "two=2"]);
        t.set_capacity(0);
        assert_eq!(t.len(), 0);
        t.insert(b"a", b"b");
        assert_eq!(t.len(), 0);
    }
}
