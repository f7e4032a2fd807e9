//! The HPACK Huffman code (RFC 7541 §5.2, Appendix B) and a table-driven decoder.
//!
//! The decoder keeps the next (up to 64) input bits left-aligned in a `u64` and looks the
//! top 12 of them up in [`FAST`], built at compile time: an entry holds the one or two
//! whole symbols those bits start with (every symbol of a typical header value has a code
//! of 5 to 8 bits, so most lookups yield two). Codes longer than 12 bits, which are rare,
//! are decoded with the canonical-code tables (`FIRST`, `COUNT`, `OFFSET`, `SORTED`). At
//! the end, the bits left over must be at most 7 ones (the most significant bits of EOS);
//! EOS itself is an error (§5.2).

use super::HpackError;

/// `(code, length in bits)` per symbol, code aligned to the least significant bit;
/// index 256 is EOS. Transcribed from RFC 7541 Appendix B; `tests::code_is_canonical`
/// checks the transcription.
pub(crate) const CODES: [(u32, u8); 257] = [
    (0x1ff8, 13),
    (0x7fffd8, 23),
    (0xfffffe2, 28),
    (0xfffffe3, 28),
    (0xfffffe4, 28),
    (0xfffffe5, 28),
    (0xfffffe6, 28),
    (0xfffffe7, 28),
    (0xfffffe8, 28),
    (0xffffea, 24),
    (0x3ffffffc, 30),
    (0xfffffe9, 28),
    (0xfffffea, 28),
    (0x3ffffffd, 30),
    (0xfffffeb, 28),
    (0xfffffec, 28),
    (0xfffffed, 28),
    (0xfffffee, 28),
    (0xfffffef, 28),
    (0xffffff0, 28),
    (0xffffff1, 28),
    (0xffffff2, 28),
    (0x3ffffffe, 30),
    (0xffffff3, 28),
    (0xffffff4, 28),
    (0xffffff5, 28),
    (0xffffff6, 28),
    (0xffffff7, 28),
    (0xffffff8, 28),
    (0xffffff9, 28),
    (0xffffffa, 28),
    (0xffffffb, 28),
    (0x14, 6),     // ' '
    (0x3f8, 10),   // '!'
    (0x3f9, 10),   // '"'
    (0xffa, 12),   // '#'
    (0x1ff9, 13),  // '$'
    (0x15, 6),     // '%'
    (0xf8, 8),     // '&'
    (0x7fa, 11),   // '\''
    (0x3fa, 10),   // '('
    (0x3fb, 10),   // ')'
    (0xf9, 8),     // '*'
    (0x7fb, 11),   // '+'
    (0xfa, 8),     // ','
    (0x16, 6),     // '-'
    (0x17, 6),     // '.'
    (0x18, 6),     // '/'
    (0x0, 5),      // '0'
    (0x1, 5),      // '1'
    (0x2, 5),      // '2'
    (0x19, 6),     // '3'
    (0x1a, 6),     // '4'
    (0x1b, 6),     // '5'
    (0x1c, 6),     // '6'
    (0x1d, 6),     // '7'
    (0x1e, 6),     // '8'
    (0x1f, 6),     // '9'
    (0x5c, 7),     // ':'
    (0xfb, 8),     // ';'
    (0x7ffc, 15),  // '<'
    (0x20, 6),     // '='
    (0xffb, 12),   // '>'
    (0x3fc, 10),   // '?'
    (0x1ffa, 13),  // '@'
    (0x21, 6),     // 'A'
    (0x5d, 7),     // 'B'
    (0x5e, 7),     // 'C'
    (0x5f, 7),     // 'D'
    (0x60, 7),     // 'E'
    (0x61, 7),     // 'F'
    (0x62, 7),     // 'G'
    (0x63, 7),     // 'H'
    (0x64, 7),     // 'I'
    (0x65, 7),     // 'J'
    (0x66, 7),     // 'K'
    (0x67, 7),     // 'L'
    (0x68, 7),     // 'M'
    (0x69, 7),     // 'N'
    (0x6a, 7),     // 'O'
    (0x6b, 7),     // 'P'
    (0x6c, 7),     // 'Q'
    (0x6d, 7),     // 'R'
    (0x6e, 7),     // 'S'
    (0x6f, 7),     // 'T'
    (0x70, 7),     // 'U'
    (0x71, 7),     // 'V'
    (0x72, 7),     // 'W'
    (0xfc, 8),     // 'X'
    (0x73, 7),     // 'Y'
    (0xfd, 8),     // 'Z'
    (0x1ffb, 13),  // '['
    (0x7fff0, 19), // '\\'
    (0x1ffc, 13),  // ']'
    (0x3ffc, 14),  // '^'
    (0x22, 6),     // '_'
    (0x7ffd, 15),  // '`'
    (0x3, 5),      // 'a'
    (0x23, 6),     // 'b'
    (0x4, 5),      // 'c'
    (0x24, 6),     // 'd'
    (0x5, 5),      // 'e'
    (0x25, 6),     // 'f'
    (0x26, 6),     // 'g'
    (0x27, 6),     // 'h'
    (0x6, 5),      // 'i'
    (0x74, 7),     // 'j'
    (0x75, 7),     // 'k'
    (0x28, 6),     // 'l'
    (0x29, 6),     // 'm'
    (0x2a, 6),     // 'n'
    (0x7, 5),      // 'o'
    (0x2b, 6),     // 'p'
    (0x76, 7),     // 'q'
    (0x2c, 6),     // 'r'
    (0x8, 5),      // 's'
    (0x9, 5),      // 't'
    (0x2d, 6),     // 'u'
    (0x77, 7),     // 'v'
    (0x78, 7),     // 'w'
    (0x79, 7),     // 'x'
    (0x7a, 7),     // 'y'
    (0x7b, 7),     // 'z'
    (0x7ffe, 15),  // '{'
    (0x7fc, 11),   // '|'
    (0x3ffd, 14),  // '}'
    (0x1ffd, 13),  // '~'
    (0xffffffc, 28),
    (0xfffe6, 20),
    (0x3fffd2, 22),
    (0xfffe7, 20),
    (0xfffe8, 20),
    (0x3fffd3, 22),
    (0x3fffd4, 22),
    (0x3fffd5, 22),
    (0x7fffd9, 23),
    (0x3fffd6, 22),
    (0x7fffda, 23),
    (0x7fffdb, 23),
    (0x7fffdc, 23),
    (0x7fffdd, 23),
    (0x7fffde, 23),
    (0xffffeb, 24),
    (0x7fffdf, 23),
    (0xffffec, 24),
    (0xffffed, 24),
    (0x3fffd7, 22),
    (0x7fffe0, 23),
    (0xffffee, 24),
    (0x7fffe1, 23),
    (0x7fffe2, 23),
    (0x7fffe3, 23),
    (0x7fffe4, 23),
    (0x1fffdc, 21),
    (0x3fffd8, 22),
    (0x7fffe5, 23),
    (0x3fffd9, 22),
    (0x7fffe6, 23),
    (0x7fffe7, 23),
    (0xffffef, 24),
    (0x3fffda, 22),
    (0x1fffdd, 21),
    (0xfffe9, 20),
    (0x3fffdb, 22),
    (0x3fffdc, 22),
    (0x7fffe8, 23),
    (0x7fffe9, 23),
    (0x1fffde, 21),
    (0x7fffea, 23),
    (0x3fffdd, 22),
    (0x3fffde, 22),
    (0xfffff0, 24),
    (0x1fffdf, 21),
    (0x3fffdf, 22),
    (0x7fffeb, 23),
    (0x7fffec, 23),
    (0x1fffe0, 21),
    (0x1fffe1, 21),
    (0x3fffe0, 22),
    (0x1fffe2, 21),
    (0x7fffed, 23),
    (0x3fffe1, 22),
    (0x7fffee, 23),
    (0x7fffef, 23),
    (0xfffea, 20),
    (0x3fffe2, 22),
    (0x3fffe3, 22),
    (0x3fffe4, 22),
    (0x7ffff0, 23),
    (0x3fffe5, 22),
    (0x3fffe6, 22),
    (0x7ffff1, 23),
    (0x3ffffe0, 26),
    (0x3ffffe1, 26),
    (0xfffeb, 20),
    (0x7fff1, 19),
    (0x3fffe7, 22),
    (0x7ffff2, 23),
    (0x3fffe8, 22),
    (0x1ffffec, 25),
    (0x3ffffe2, 26),
    (0x3ffffe3, 26),
    (0x3ffffe4, 26),
    (0x7ffffde, 27),
    (0x7ffffdf, 27),
    (0x3ffffe5, 26),
    (0xfffff1, 24),
    (0x1ffffed, 25),
    (0x7fff2, 19),
    (0x1fffe3, 21),
    (0x3ffffe6, 26),
    (0x7ffffe0, 27),
    (0x7ffffe1, 27),
    (0x3ffffe7, 26),
    (0x7ffffe2, 27),
    (0xfffff2, 24),
    (0x1fffe4, 21),
    (0x1fffe5, 21),
    (0x3ffffe8, 26),
    (0x3ffffe9, 26),
    (0xffffffd, 28),
    (0x7ffffe3, 27),
    (0x7ffffe4, 27),
    (0x7ffffe5, 27),
    (0xfffec, 20),
    (0xfffff3, 24),
    (0xfffed, 20),
    (0x1fffe6, 21),
    (0x3fffe9, 22),
    (0x1fffe7, 21),
    (0x1fffe8, 21),
    (0x7ffff3, 23),
    (0x3fffea, 22),
    (0x3fffeb, 22),
    (0x1ffffee, 25),
    (0x1ffffef, 25),
    (0xfffff4, 24),
    (0xfffff5, 24),
    (0x3ffffea, 26),
    (0x7ffff4, 23),
    (0x3ffffeb, 26),
    (0x7ffffe6, 27),
    (0x3ffffec, 26),
    (0x3ffffed, 26),
    (0x7ffffe7, 27),
    (0x7ffffe8, 27),
    (0x7ffffe9, 27),
    (0x7ffffea, 27),
    (0x7ffffeb, 27),
    (0xffffffe, 28),
    (0x7ffffec, 27),
    (0x7ffffed, 27),
    (0x7ffffee, 27),
    (0x7ffffef, 27),
    (0x7fffff0, 27),
    (0x3ffffee, 26),
    (0x3fffffff, 30), // EOS
];

const EOS: u16 = 256;

/// Bits looked up at once.
const FAST_BITS: u32 = 12;

// A FAST entry: first symbol, second symbol, symbol count (0: the first code is longer than
// FAST_BITS), length of the first code, total length of the codes.
const SYM2_SHIFT: u32 = 8;
const COUNT_SHIFT: u32 = 16;
const LEN1_SHIFT: u32 = 20;
const TOTAL_SHIFT: u32 = 24;

const fn build_fast() -> [u32; 1 << FAST_BITS] {
    let mut fast = [0u32; 1 << FAST_BITS];
    let mut s1 = 0;
    while s1 < 256 {
        let (code1, len1) = CODES[s1];
        let len1 = len1 as u32;
        if len1 <= FAST_BITS {
            let rest = FAST_BITS - len1;
            let base = (code1 << rest) as usize;
            let single = s1 as u32 | 1 << COUNT_SHIFT | len1 << LEN1_SHIFT | len1 << TOTAL_SHIFT;
            let mut i = 0;
            while i < 1 << rest {
                fast[base + i] = single;
                i += 1;
            }
            let mut s2 = 0;
            while s2 < 256 {
                let (code2, len2) = CODES[s2];
                let len2 = len2 as u32;
                if len2 <= rest {
                    let base2 = base + (code2 << (rest - len2)) as usize;
                    let pair = s1 as u32
                        | (s2 as u32) << SYM2_SHIFT
                        | 2 << COUNT_SHIFT
                        | len1 << LEN1_SHIFT
                        | (len1 + len2) << TOTAL_SHIFT;
                    let mut j = 0;
                    while j < 1 << (rest - len2) {
                        fast[base2 + j] = pair;
                        j += 1;
                    }
                }
                s2 += 1;
            }
        }
        s1 += 1;
    }
    fast
}

static FAST: [u32; 1 << FAST_BITS] = build_fast();

/// The canonical code by length: codes of length `l` are `FIRST[l] .. FIRST[l] + COUNT[l]`,
/// for the symbols `SORTED[OFFSET[l]..]` (symbols ordered by code length, then value).
struct Canonical {
    first: [u32; 31],
    count: [u32; 31],
    offset: [u16; 31],
    sorted: [u16; 257],
}

const fn build_canonical() -> Canonical {
    let mut c = Canonical {
        first: [0; 31],
        count: [0; 31],
        offset: [0; 31],
        sorted: [0; 257],
    };
    let mut s = 0;
    while s < CODES.len() {
        c.count[CODES[s].1 as usize] += 1;
        s += 1;
    }
    let mut code = 0u32;
    let mut n = 0usize;
    let mut len = 1;
    while len <= 30 {
        c.first[len] = code;
        c.offset[len] = n as u16;
        let mut s = 0;
        while s < CODES.len() {
            if CODES[s].1 as usize == len {
                assert!(CODES[s].0 == code, "Huffman code is not canonical");
                c.sorted[n] = s as u16;
                n += 1;
                code += 1;
            }
            s += 1;
        }
        code <<= 1;
        len += 1;
    }
    assert!(n == CODES.len());
    c
}

static CANONICAL: Canonical = build_canonical();

/// Decodes a code longer than [`FAST_BITS`] from the top of `acc`: `(symbol, length)`.
#[cold]
fn decode_long(acc: u64) -> (u16, u32) {
    let c = &CANONICAL;
    let mut len = FAST_BITS + 1;
    while len <= 30 {
        let code = (acc >> (64 - len)) as u32;
        let i = code.wrapping_sub(c.first[len as usize]);
        if i < c.count[len as usize] {
            return (c.sorted[c.offset[len as usize] as usize + i as usize], len);
        }
        len += 1;
    }
    // Unreachable: the code is complete, every 30-bit string starts with a code.
    (EOS, 30)
}

/// Appends the Huffman decoding of `src` to `dst`. Fails on EOS in the data and on padding
/// that is longer than 7 bits or not all ones (§5.2).
pub(crate) fn decode(src: &[u8], dst: &mut Vec<u8>) -> Result<(), HpackError> {
    // Every symbol takes at least 5 bits; two spare bytes let a lookup always store two.
    let start = dst.len();
    dst.resize(start + src.len() * 8 / 5 + 2, 0);
    let out = &mut dst[start..];
    let mut n = 0;
    // Unread bits, left-aligned; below the `bits` valid ones are either zeros or the
    // following input bits (which a later refill ORs in again, unchanged).
    let mut acc = 0u64;
    let mut bits = 0u32;
    let mut pos = 0;
    let result = loop {
        if let Some(word) = src.get(pos..pos + 8) {
            let word = u64::from_be_bytes(word.try_into().unwrap_or([0; 8]));
            acc |= word >> bits;
            let take = (63 - bits) >> 3;
            pos += take as usize;
            bits += take * 8;
        } else {
            while bits <= 56 && pos < src.len() {
                acc |= u64::from(src[pos]) << (56 - bits);
                bits += 8;
                pos += 1;
            }
        }
        if bits == 0 {
            break Ok(());
        }
        let entry = FAST[(acc >> (64 - FAST_BITS)) as usize];
        let count = (entry >> COUNT_SHIFT) & 0xf;
        if count != 0 {
            let total = entry >> TOTAL_SHIFT;
            if total <= bits {
                out[n] = entry as u8;
                out[n + 1] = (entry >> SYM2_SHIFT) as u8;
                n += count as usize;
                acc <<= total;
                bits -= total;
                continue;
            }
            let len1 = (entry >> LEN1_SHIFT) & 0xf;
            if len1 <= bits {
                out[n] = entry as u8;
                n += 1;
                acc <<= len1;
                bits -= len1;
                continue;
            }
            break Ok(());
        }
        let (sym, len) = decode_long(acc);
        if len > bits {
            break Ok(());
        }
        if sym == EOS {
            break Err(HpackError::Huffman);
        }
        out[n] = sym as u8;
        n += 1;
        acc <<= len;
        bits -= len;
    };
    dst.truncate(start + n);
    result?;
    // Left over: a prefix of EOS (all ones) of at most 7 bits.
    if bits > 7 || (bits > 0 && acc >> (64 - bits) != (1 << bits) - 1) {
        return Err(HpackError::Huffman);
    }
    Ok(())
}

/// Huffman-encodes `src` (padding with ones). Only tests need an encoder.
#[cfg(test)]
pub(crate) fn encode(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len());
    let mut acc = 0u64;
    let mut bits = 0u32;
    for &b in src {
        let (code, len) = CODES[b as usize];
        acc = (acc << len) | u64::from(code);
        bits += u32::from(len);
        while bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    if bits > 0 {
        out.push(((acc << (8 - bits)) | (0xff >> bits)) as u8);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(src: &[u8]) -> Result<Vec<u8>, HpackError> {
        let mut out = Vec::new();
        decode(src, &mut out).map(|()| out)
    }

    /// The transcription of Appendix B is a canonical Huffman code (§B: "canonical Huffman
    /// code"): ordered by (length, symbol), each code is the previous one plus one, shifted
    /// left by the growth in length, starting from zero; and it is complete (Kraft sum 1).
    #[test]
    fn code_is_canonical() {
        let mut order: Vec<usize> = (0..CODES.len()).collect();
        order.sort_by_key(|&s| (CODES[s].1, s));
        let mut expected = 0u64;
        let mut prev_len = CODES[order[0]].1;
        for (i, &s) in order.iter().enumerate() {
            let (code, len) = CODES[s];
            if i > 0 {
                expected = (expected + 1) << (len - prev_len);
            }
            assert_eq!(u64::from(code), expected, "symbol {s}");
            prev_len = len;
        }
        let kraft: u64 = CODES.iter().map(|&(_, len)| 1u64 << (30 - len)).sum();
        assert_eq!(kraft, 1 << 30);
    }

    #[test]
    fn round_trips_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(dec(&encode(&all)).unwrap(), all);
        for b in 0..=255u8 {
            for n in 1..=9 {
                let s = vec![b; n];
                assert_eq!(dec(&encode(&s)).unwrap(), s, "byte {b} x{n}");
            }
        }
    }

    #[test]
    fn rfc_strings() {
        let cases: [(&[u8], &[u8]); 5] = [
            (
                &[
                    0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff,
                ],
                b"www.example.com",
            ),
            (&[0xa8, 0xeb, 0x10, 0x64, 0x9c, 0xbf], b"no-cache"),
            (
                &[0x25, 0xa8, 0x49, 0xe9, 0x5b, 0xa9, 0x7d, 0x7f],
                b"custom-key",
            ),
            (&[0x64, 0x02], b"302"),
            (&[0xae, 0xc3, 0x77, 0x1a, 0x4b], b"private"),
        ];
        for (enc, plain) in cases {
            assert_eq!(dec(enc).unwrap(), plain);
            assert_eq!(encode(plain), enc);
        }
        assert_eq!(dec(b"").unwrap(), b"");
    }

    #[test]
    fn padding_and_eos() {
        // 'a' (00011) + 3 ones of padding: fine.
        assert_eq!(dec(&[0x1f]).unwrap(), b"a");
        // 'a' + padding with a zero bit.
        assert_eq!(dec(&[0x1e]), Err(HpackError::Huffman));
        // 8 bits of ones alone: padding longer than 7 bits.
        assert_eq!(dec(&[0xff]), Err(HpackError::Huffman));
        // 'a' then 11 ones: padding longer than 7 bits.
        assert_eq!(dec(&[0x1f, 0xff]), Err(HpackError::Huffman));
        // EOS itself (30 ones) padded with two ones.
        assert_eq!(dec(&[0xff, 0xff, 0xff, 0xff]), Err(HpackError::Huffman));
        // EOS after a symbol, then padding.
        assert_eq!(
            dec(&[0x1f, 0xff, 0xff, 0xff, 0xff]),
            Err(HpackError::Huffman)
        );
        // Symbol 0 (11111111|11000) then three zero bits of padding.
        assert_eq!(dec(&[0xff, 0xc0]), Err(HpackError::Huffman));
        // '=' (100000) then two zero bits of padding.
        assert_eq!(dec(&[0x80]), Err(HpackError::Huffman));
        // '0' (00000) followed by three zero bits: padding not ones.
        assert_eq!(dec(&[0x00]), Err(HpackError::Huffman));
    }

    /// A bit-at-a-time decoder straight from §5.2, to check the table-driven one against.
    fn reference(src: &[u8]) -> Result<Vec<u8>, HpackError> {
        let codes: std::collections::HashMap<(u32, u8), usize> = CODES
            .iter()
            .enumerate()
            .map(|(s, &(c, l))| ((c, l), s))
            .collect();
        let mut out = Vec::new();
        let (mut code, mut len) = (0u32, 0u8);
        for i in 0..src.len() * 8 {
            code = code << 1 | u32::from(src[i / 8] >> (7 - i % 8) & 1);
            len += 1;
            if let Some(&s) = codes.get(&(code, len)) {
                if s == 256 {
                    return Err(HpackError::Huffman);
                }
                out.push(s as u8);
                (code, len) = (0, 0);
            }
        }
        if len > 7 || code != (1 << len) - 1 {
            return Err(HpackError::Huffman);
        }
        Ok(out)
    }

    #[test]
    fn matches_reference_on_random_input() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let text = b"GET /index.html?q=1 HTTP accept-encoding gzip, br; Mozilla/5.0 \x00\xff\x7f";
        for round in 0..20_000 {
            let len = (next() % 40) as usize;
            let input: Vec<u8> = if round % 2 == 0 {
                // Random bytes: mostly invalid, many long codes.
                (0..len).map(|_| next() as u8).collect()
            } else {
                // Valid encodings, sometimes with the last byte changed or cut.
                let plain: Vec<u8> = (0..len)
                    .map(|_| text[(next() % text.len() as u64) as usize])
                    .collect();
                let mut enc = encode(&plain);
                match next() % 4 {
                    0 if !enc.is_empty() => {
                        let last = enc.len() - 1;
                        enc[last] ^= 1 << (next() % 8);
                    }
                    1 => {
                        enc.pop();
                    }
                    2 => enc.push(0xff),
                    _ => {}
                }
                enc
            };
            let mut got = b"prefix".to_vec();
            let result = decode(&input, &mut got).map(|()| got[6..].to_vec());
            assert_eq!(result, reference(&input), "input {input:02x?}");
        }
    }
}
