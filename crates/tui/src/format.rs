//! Text for the view's cells: byte counts, durations, and the cleaning of capture text.
//!
//! Everything that comes from a capture (hosts, paths, header values, command lines) goes
//! through [`clean`] before it reaches the terminal, so no control character or escape
//! sequence from the traffic can reach the user's terminal.

/// `999 B`, `1.43 kB`, `261 kB`, `1.20 MB`: decimal units, three significant digits.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = 0;
    while v >= 999.5 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    format!("{} {}", sig3(v), UNITS.get(unit).unwrap_or(&"?"))
}

/// Three significant digits.
fn sig3(v: f64) -> String {
    if v >= 99.95 {
        format!("{v:.0}")
    } else if v >= 9.995 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// `0 ms`, `177 µs`, `18.4 ms`, `1.20 s`, `2m05s` for a duration in nanoseconds.
pub fn duration(ns: u64) -> String {
    if ns == 0 {
        "0 ms".to_owned()
    } else if ns < 999_500 {
        format!("{} µs", sig3(ns as f64 / 1e3))
    } else if ns < 999_500_000 {
        format!("{} ms", sig3(ns as f64 / 1e6))
    } else if ns < 99_950_000_000 {
        format!("{} s", sig3(ns as f64 / 1e9))
    } else {
        let secs = ns / 1_000_000_000;
        format!("{}m{:02}s", secs / 60, secs % 60)
    }
}

/// `s` with every control character (C0, DEL, C1: escape sequences included) replaced by
/// `?`, so that text from the capture cannot drive the terminal.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// `s` cut to at most `width` characters, the last one replaced by `…` when cut.
pub fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_use_three_significant_digits() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_430), "1.43 kB");
        assert_eq!(bytes(261_000), "261 kB");
        assert_eq!(bytes(1_200_000), "1.20 MB");
        assert_eq!(bytes(u64::MAX), "18.4 EB");
    }

    #[test]
    fn durations_pick_their_unit() {
        assert_eq!(duration(0), "0 ms");
        assert_eq!(duration(177_000), "177 µs");
        assert_eq!(duration(18_400_000), "18.4 ms");
        assert_eq!(duration(1_200_000_000), "1.20 s");
        assert_eq!(duration(125_000_000_000), "2m05s");
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(clean("a\x1b[2Jb\r\n\u{9b}c"), "a?[2Jb???c");
        assert_eq!(clean("héllo"), "héllo");
    }

    #[test]
    fn clip_marks_the_cut() {
        assert_eq!(clip("abcdef", 6), "abcdef");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abcdef", 0), "");
    }
}
