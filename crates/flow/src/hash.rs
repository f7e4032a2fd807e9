//! The flow table's hasher: an FxHash-style multiply-rotate hash.
//!
//! Owns nothing but the hashing of [`crate::table`] keys. It is not DoS-resistant (a crafted
//! capture could make many flows collide), which is acceptable for an offline/observing tool
//! and buys one cheap hash per segment instead of SipHash's dozens of rounds.
//!
//! Invariant: the hash of a value depends only on the words written, never on global state,
//! so runs are reproducible.

use std::hash::Hasher;

/// The multiplier of rustc-hash 2 (an odd constant with good bit dispersion).
const K: u64 = 0xf135_7aea_2e62_a9c5;

/// An FxHash-style hasher. Cheap, deterministic, not keyed.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_u128(&mut self, n: u128) {
        // Truncations are intended: the two halves of the value.
        self.add(n as u64);
        self.add((n >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the entropy in the high bits while hashbrown takes the bucket
        // from the low bits: fold the high half down and mix once more (one multiply per
        // lookup, not per word).
        let h = self.hash ^ (self.hash >> 32);
        let h = h.wrapping_mul(K);
        h ^ (h >> 29)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn hash_of(f: impl FnOnce(&mut FxHasher)) -> u64 {
        let mut h = FxHasher::default();
        f(&mut h);
        h.finish()
    }

    #[test]
    fn deterministic_and_sensitive_to_every_byte() {
        let a = hash_of(|h| h.write(&[1, 2, 3, 4, 5, 6, 7, 8, 9]));
        assert_eq!(a, hash_of(|h| h.write(&[1, 2, 3, 4, 5, 6, 7, 8, 9])));
        assert_ne!(a, hash_of(|h| h.write(&[1, 2, 3, 4, 5, 6, 7, 8, 8])));
        assert_ne!(a, hash_of(|h| h.write(&[0, 2, 3, 4, 5, 6, 7, 8, 9])));
        assert_ne!(
            hash_of(|h| h.write_u128(1)),
            hash_of(|h| h.write_u128(1 << 64))
        );
    }

    #[test]
    fn sequential_ports_spread_over_low_bits() {
        // 4096 consecutive ports must land in many distinct 12-bit buckets.
        let buckets: HashSet<u64> = (0..4096u64)
            .map(|p| hash_of(|h| h.write_u64(0x7f00_0001 << 16 | p)) & 0xfff)
            .collect();
        assert!(buckets.len() > 2400, "only {} buckets used", buckets.len());
    }
}
