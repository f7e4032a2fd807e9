//! Timestamp units of capture files.
//!
//! Owns the conversion of "ticks since the epoch" in a unit of 10^-n or 2^-n seconds (pcapng
//! `if_tsresol`; classic pcap is 10^-6 or 10^-9) to [`model::Timestamp`] nanoseconds.
//! Invariants: a [`Resolution`] has at least one tick per second and fits in `u64`
//! (10^0..=10^19, 2^0..=2^63); conversion is exact (floor to the nanosecond, computed in
//! `u128`) and saturates instead of overflowing.

use model::Timestamp;

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Ticks per second of a timestamp unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Resolution {
    ticks_per_sec: u64,
}

impl Resolution {
    /// Microseconds: classic pcap and the pcapng default.
    pub(crate) const MICROS: Resolution = Resolution {
        ticks_per_sec: 1_000_000,
    };
    /// Nanoseconds.
    pub(crate) const NANOS: Resolution = Resolution {
        ticks_per_sec: NANOS_PER_SEC,
    };

    /// Decodes a pcapng `if_tsresol` byte: the high bit selects base 2, the rest is the
    /// negative exponent. `None` when the unit does not fit in 64 bits.
    pub(crate) fn from_tsresol(byte: u8) -> Option<Resolution> {
        let exponent = u32::from(byte & 0x7f);
        let ticks_per_sec = if byte & 0x80 != 0 {
            1u64.checked_shl(exponent)?
        } else {
            10u64.checked_pow(exponent)?
        };
        Some(Resolution { ticks_per_sec })
    }

    /// Nanoseconds since the epoch for `ticks` units since the epoch (floored, saturated).
    pub(crate) fn to_nanos(self, ticks: u64) -> i64 {
        let nanos = match self.ticks_per_sec {
            NANOS_PER_SEC => u128::from(ticks),
            1_000_000 => u128::from(ticks) * 1_000,
            tps => (u128::from(ticks) * u128::from(NANOS_PER_SEC))
                .checked_div(u128::from(tps))
                .unwrap_or(0),
        };
        i64::try_from(nanos).unwrap_or(i64::MAX)
    }

    /// The timestamp of `ticks` units since the epoch, shifted by `offset_secs` (pcapng
    /// `if_tsoffset`).
    pub(crate) fn timestamp(self, ticks: u64, offset_secs: i64) -> Timestamp {
        Timestamp(
            offset_secs
                .saturating_mul(1_000_000_000)
                .saturating_add(self.to_nanos(ticks)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_and_binary_units() {
        assert_eq!(Resolution::from_tsresol(6), Some(Resolution::MICROS));
        assert_eq!(Resolution::from_tsresol(9), Some(Resolution::NANOS));
        assert_eq!(
            Resolution::from_tsresol(19).map(|r| r.ticks_per_sec),
            Some(10u64.pow(19))
        );
        assert_eq!(Resolution::from_tsresol(20), None);
        assert_eq!(
            Resolution::from_tsresol(0x80 | 63).map(|r| r.ticks_per_sec),
            Some(1 << 63)
        );
        assert_eq!(Resolution::from_tsresol(0x80 | 64), None);
        assert_eq!(
            Resolution::from_tsresol(0).map(|r| r.ticks_per_sec),
            Some(1)
        );
    }

    #[test]
    fn exact_conversion() {
        let binary = Resolution::from_tsresol(0x80 | 10).expect("2^-10");
        // 1.5 s in 1/1024 s units, plus one tick (976562.5 ns, floored).
        assert_eq!(binary.to_nanos(1024 + 512 + 1), 1_500_976_562);
        assert_eq!(
            Resolution::MICROS.to_nanos(1_700_000_000_123_456),
            1_700_000_000_123_456_000
        );
        assert_eq!(Resolution::NANOS.to_nanos(u64::MAX), i64::MAX);
        let pico = Resolution::from_tsresol(12).expect("10^-12");
        assert_eq!(pico.to_nanos(u64::MAX), 18_446_744_073_709_551);
        assert_eq!(Resolution::MICROS.timestamp(2, -1), Timestamp(-999_998_000));
    }
}
