//! Header block decoding: field representations (RFC 7541 §6), integers (§5.1), string
//! literals (§5.2) and dynamic table size updates (§6.3).

use super::huffman;
use super::table::{DynamicTable, STATIC};
use super::{HpackError, MAX_STRING};

/// Decodes the header blocks of one direction of an HTTP/2 connection, keeping the dynamic
/// table in step with the peer's encoder.
#[derive(Debug)]
pub struct Decoder {
    table: DynamicTable,
    /// SETTINGS_HEADER_TABLE_SIZE: the most a size update may ask for.
    max_table_size: usize,
    /// Scratch for Huffman-decoded names and values, and for names copied out of the
    /// dynamic table before an insertion may evict them (§4.4).
    name_buf: Vec<u8>,
    value_buf: Vec<u8>,
}

impl Decoder {
    /// `max_table_size`: SETTINGS_HEADER_TABLE_SIZE the decoder's peer allows (initially
    /// 4096). It is also the dynamic table's initial maximum size (§4.2).
    pub fn new(max_table_size: usize) -> Decoder {
        Decoder {
            table: DynamicTable::new(max_table_size),
            max_table_size,
            name_buf: Vec::new(),
            value_buf: Vec::new(),
        }
    }

    /// A new SETTINGS_HEADER_TABLE_SIZE was acknowledged: the upper bound for table size
    /// updates. The table itself keeps its size until the encoder sends an update (it must,
    /// if the new bound is below the current maximum, §4.2); the decoder does not insist.
    pub fn set_max_table_size(&mut self, size: usize) {
        self.max_table_size = size;
    }

    /// Decodes one complete header block (HEADERS/PUSH_PROMISE + CONTINUATION fragments
    /// already joined). Calls `out(name, value)` for each field in order (names lowercase
    /// as sent; values as bytes). Errors leave the decoder unusable for this connection
    /// (the dynamic table is out of sync) — the caller then marks the connection's headers
    /// as out of sync. Fields before the error have already been passed to `out`.
    pub fn decode(
        &mut self,
        block: &[u8],
        out: &mut impl FnMut(&[u8], &[u8]),
    ) -> Result<(), HpackError> {
        let mut pos = 0;
        let mut at_start = true;
        while let Some(&first) = block.get(pos) {
            if first & 0x80 != 0 {
                // §6.1 Indexed Header Field.
                let index = integer(block, &mut pos, 7)?;
                let (name, value) = lookup(&self.table, index)?;
                out(name, value);
            } else if first & 0x40 != 0 {
                // §6.2.1 Literal Header Field with Incremental Indexing.
                let index = integer(block, &mut pos, 6)?;
                let name: &[u8] = if index == 0 {
                    string(block, &mut pos, &mut self.name_buf)?
                } else if index <= STATIC.len() as u64 {
                    STATIC[index as usize - 1].0
                } else {
                    // Copied: the insertion below may evict the entry it refers to.
                    let (name, _) = lookup(&self.table, index)?;
                    self.name_buf.clear();
                    self.name_buf.extend_from_slice(name);
                    &self.name_buf
                };
                let value = string(block, &mut pos, &mut self.value_buf)?;
                out(name, value);
                self.table.insert(name, value);
            } else if first & 0x20 != 0 {
                // §6.3 Dynamic Table Size Update: only before the first field (§4.2).
                let size = integer(block, &mut pos, 5)?;
                if !at_start || size > self.max_table_size as u64 {
                    return Err(HpackError::TableSizeUpdate(size));
                }
                self.table.set_capacity(size as usize);
                continue;
            } else {
                // §6.2.2 without indexing (0000), §6.2.3 never indexed (0001).
                let index = integer(block, &mut pos, 4)?;
                let name: &[u8] = if index == 0 {
                    string(block, &mut pos, &mut self.name_buf)?
                } else {
                    lookup(&self.table, index)?.0
                };
                let value = string(block, &mut pos, &mut self.value_buf)?;
                out(name, value);
            }
            at_start = false;
        }
        Ok(())
    }

    /// Current dynamic table size in octets (RFC 7541 §4.1), for tests and reports.
    pub fn table_size(&self) -> usize {
        self.table.size()
    }
}

/// Field `index` of the static table followed by the dynamic table (§2.3.3).
fn lookup(table: &DynamicTable, index: u64) -> Result<(&[u8], &[u8]), HpackError> {
    let found = match index {
        0 => None,
        i if i <= STATIC.len() as u64 => Some(STATIC[i as usize - 1]),
        i => usize::try_from(i - STATIC.len() as u64)
            .ok()
            .and_then(|d| table.get(d)),
    };
    found.ok_or(HpackError::InvalidIndex(index))
}

/// An integer with an N-bit prefix (§5.1), starting at `block[*pos]`, which must exist.
fn integer(block: &[u8], pos: &mut usize, prefix_bits: u32) -> Result<u64, HpackError> {
    let mask = (1u8 << prefix_bits) - 1;
    let first = *block.get(*pos).ok_or(HpackError::Truncated)?;
    *pos += 1;
    let mut value = u64::from(first & mask);
    if value < u64::from(mask) {
        return Ok(value);
    }
    let mut shift = 0u32;
    loop {
        let byte = *block.get(*pos).ok_or(HpackError::Truncated)?;
        *pos += 1;
        let add = u64::from(byte & 0x7f);
        if shift >= 64 || (add << shift) >> shift != add {
            return Err(HpackError::IntegerOverflow);
        }
        value = value
            .checked_add(add << shift)
            .ok_or(HpackError::IntegerOverflow)?;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
    }
}

/// A string literal (§5.2): the raw bytes in the block, or its Huffman decoding in `buf`.
fn string<'b, 'r>(
    block: &'b [u8],
    pos: &mut usize,
    buf: &'r mut Vec<u8>,
) -> Result<&'r [u8], HpackError>
where
    'b: 'r,
{
    let huffman = block.get(*pos).is_some_and(|b| b & 0x80 != 0);
    let len = integer(block, pos, 7)?;
    if len > MAX_STRING as u64 {
        return Err(HpackError::TooLong);
    }
    let len = len as usize;
    let raw = block.get(*pos..*pos + len).ok_or(HpackError::Truncated)?;
    *pos += len;
    if huffman {
        buf.clear();
        huffman::decode(raw, buf)?;
        Ok(buf)
    } else {
        Ok(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    fn decode(d: &mut Decoder, block: &[u8]) -> Result<Vec<(String, String)>, HpackError> {
        let mut fields = Vec::new();
        d.decode(block, &mut |n, v| {
            fields.push((
                String::from_utf8(n.to_vec()).unwrap(),
                String::from_utf8(v.to_vec()).unwrap(),
            ))
        })
        .map(|()| fields)
    }

    fn table(d: &Decoder) -> Vec<(String, String)> {
        d.table
            .entries()
            .into_iter()
            .map(|(n, v)| (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap()))
            .collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|&(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    /// One example of Appendix C: the block, the header list, the dynamic table after it
    /// (newest first) and its size.
    struct Example {
        hex: &'static str,
        fields: &'static [(&'static str, &'static str)],
        table: &'static [(&'static str, &'static str)],
        size: usize,
    }

    fn run(max: usize, examples: &[Example]) {
        let mut d = Decoder::new(max);
        for (i, e) in examples.iter().enumerate() {
            let got = decode(&mut d, &hex(e.hex)).unwrap_or_else(|err| panic!("#{i}: {err}"));
            assert_eq!(got, pairs(e.fields), "fields of #{i}");
            assert_eq!(table(&d), pairs(e.table), "table after #{i}");
            assert_eq!(d.table_size(), e.size, "table size after #{i}");
        }
    }

    #[test]
    fn c2_1_literal_with_indexing() {
        run(
            4096,
            &[Example {
                hex: "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
                fields: &[("custom-key", "custom-header")],
                table: &[("custom-key", "custom-header")],
                size: 55,
            }],
        );
    }

    #[test]
    fn c2_2_literal_without_indexing() {
        run(
            4096,
            &[Example {
                hex: "040c 2f73 616d 706c 652f 7061 7468",
                fields: &[(":path", "/sample/path")],
                table: &[],
                size: 0,
            }],
        );
    }

    #[test]
    fn c2_3_literal_never_indexed() {
        run(
            4096,
            &[Example {
                hex: "1008 7061 7373 776f 7264 0673 6563 7265 74",
                fields: &[("password", "secret")],
                table: &[],
                size: 0,
            }],
        );
    }

    #[test]
    fn c2_4_indexed() {
        run(
            4096,
            &[Example {
                hex: "82",
                fields: &[(":method", "GET")],
                table: &[],
                size: 0,
            }],
        );
    }

    const REQ1: &[(&str, &str)] = &[
        (":method", "GET"),
        (":scheme", "http"),
        (":path", "/"),
        (":authority", "www.example.com"),
    ];
    const REQ2: &[(&str, &str)] = &[
        (":method", "GET"),
        (":scheme", "http"),
        (":path", "/"),
        (":authority", "www.example.com"),
        ("cache-control", "no-cache"),
    ];
    const REQ3: &[(&str, &str)] = &[
        (":method", "GET"),
        (":scheme", "https"),
        (":path", "/index.html"),
        (":authority", "www.example.com"),
        ("custom-key", "custom-value"),
    ];
    const REQ_T1: &[(&str, &str)] = &[(":authority", "www.example.com")];
    const REQ_T2: &[(&str, &str)] = &[
        ("cache-control", "no-cache"),
        (":authority", "www.example.com"),
    ];
    const REQ_T3: &[(&str, &str)] = &[
        ("custom-key", "custom-value"),
        ("cache-control", "no-cache"),
        (":authority", "www.example.com"),
    ];

    pub(super) const C3: &[&str] = &[
        "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "8286 84be 5808 6e6f 2d63 6163 6865",
        "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    ];
    pub(super) const C4: &[&str] = &[
        "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
        "8286 84be 5886 a8eb 1064 9cbf",
        "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    ];

    fn requests(blocks: &[&'static str]) -> [Example; 3] {
        [
            Example {
                hex: blocks[0],
                fields: REQ1,
                table: REQ_T1,
                size: 57,
            },
            Example {
                hex: blocks[1],
                fields: REQ2,
                table: REQ_T2,
                size: 110,
            },
            Example {
                hex: blocks[2],
                fields: REQ3,
                table: REQ_T3,
                size: 164,
            },
        ]
    }

    #[test]
    fn c3_requests_without_huffman() {
        run(4096, &requests(C3));
    }

    #[test]
    fn c4_requests_with_huffman() {
        run(4096, &requests(C4));
    }

    const RESP1: &[(&str, &str)] = &[
        (":status", "302"),
        ("cache-control", "private"),
        ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
        ("location", "https://www.example.com"),
    ];
    const RESP2: &[(&str, &str)] = &[
        (":status", "307"),
        ("cache-control", "private"),
        ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
        ("location", "https://www.example.com"),
    ];
    const RESP3: &[(&str, &str)] = &[
        (":status", "200"),
        ("cache-control", "private"),
        ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
        ("location", "https://www.example.com"),
        ("content-encoding", "gzip"),
        (
            "set-cookie",
            "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
        ),
    ];
    const RESP_T1: &[(&str, &str)] = &[
        ("location", "https://www.example.com"),
        ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
        ("cache-control", "private"),
        (":status", "302"),
    ];
    const RESP_T2: &[(&str, &str)] = &[
        (":status", "307"),
        ("location", "https://www.example.com"),
        ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
        ("cache-control", "private"),
    ];
    const RESP_T3: &[(&str, &str)] = &[
        (
            "set-cookie",
            "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
        ),
        ("content-encoding", "gzip"),
        ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
    ];

    pub(super) const C5: &[&str] = &[
        "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
         2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
         6c65 2e63 6f6d",
        "4803 3330 37c1 c0bf",
        "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
         54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
         5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
         3d31",
    ];
    pub(super) const C6: &[&str] = &[
        "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
         2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
        "4883 640e ffc1 c0bf",
        "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
         77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
         9587 3160 65c0 03ed 4ee5 b106 3d50 07",
    ];

    fn responses(blocks: &[&'static str]) -> [Example; 3] {
        [
            Example {
                hex: blocks[0],
                fields: RESP1,
                table: RESP_T1,
                size: 222,
            },
            Example {
                hex: blocks[1],
                fields: RESP2,
                table: RESP_T2,
                size: 222,
            },
            Example {
                hex: blocks[2],
                fields: RESP3,
                table: RESP_T3,
                size: 215,
            },
        ]
    }

    #[test]
    fn c5_responses_without_huffman() {
        run(256, &responses(C5));
    }

    #[test]
    fn c6_responses_with_huffman() {
        run(256, &responses(C6));
    }

    fn err(max: usize, block: &[u8]) -> HpackError {
        decode(&mut Decoder::new(max), block).unwrap_err()
    }

    #[test]
    fn integers() {
        // C.1.2: 1337 with a 5-bit prefix; C.1.3: 42 on 8 bits (prefix 7 here: 42 < 127).
        let mut pos = 0;
        assert_eq!(integer(&[0x1f, 0x9a, 0x0a], &mut pos, 5), Ok(1337));
        assert_eq!(pos, 3);
        pos = 0;
        assert_eq!(integer(&[0x2a], &mut pos, 7), Ok(42));
        // The largest value that fits; one more overflows.
        let mut max = vec![0x7f];
        let mut rest = u64::MAX - 127;
        while rest >= 128 {
            max.push(0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        max.push(rest as u8);
        pos = 0;
        assert_eq!(integer(&max, &mut pos, 7), Ok(u64::MAX));
        *max.last_mut().unwrap() += 1;
        pos = 0;
        assert_eq!(integer(&max, &mut pos, 7), Err(HpackError::IntegerOverflow));
        // Endless zero continuations.
        pos = 0;
        let long = [&[0x7f][..], &[0x80; 12], &[0x00]].concat();
        assert_eq!(
            integer(&long, &mut pos, 7),
            Err(HpackError::IntegerOverflow)
        );
    }

    #[test]
    fn malformed() {
        use HpackError::*;
        // Truncated integer: index prefix full, continuation missing.
        assert_eq!(err(4096, &[0xff]), Truncated);
        assert_eq!(err(4096, &[0xff, 0x80]), Truncated);
        // Truncated string: length 10, 3 bytes present; name missing after 0x40.
        assert_eq!(err(4096, &[0x40, 0x0a, b'a', b'b', b'c']), Truncated);
        assert_eq!(err(4096, &[0x40]), Truncated);
        assert_eq!(err(4096, &[0x41]), Truncated);
        // Index 0 and beyond the tables, in every representation.
        assert_eq!(err(4096, &[0x80]), InvalidIndex(0));
        assert_eq!(err(4096, &[0xbe]), InvalidIndex(62));
        assert_eq!(err(4096, &[0x7f, 0x00, 0x01, b'x']), InvalidIndex(63));
        assert_eq!(err(4096, &[0x0f, 0x2f, 0x01, b'x']), InvalidIndex(62));
        assert_eq!(err(4096, &[0x1f, 0x2f, 0x01, b'x']), InvalidIndex(62));
        assert_eq!(
            err(4096, &[0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]),
            InvalidIndex(127 + 0x7f + (0x7f << 7) + (0x7f << 14) + (0x7f << 21) + (0x0f << 28))
        );
        // Bad Huffman padding (a zero bit) and EOS, in a value.
        assert_eq!(err(4096, &[0x04, 0x81, 0x1e]), Huffman);
        assert_eq!(err(4096, &[0x04, 0x84, 0xff, 0xff, 0xff, 0xff]), Huffman);
        // Padding of 8 ones.
        assert_eq!(err(4096, &[0x04, 0x82, 0x1f, 0xff]), Huffman);
        // Size update above the maximum, and after a field.
        assert_eq!(err(4096, &[0x3f, 0xe2, 0x1f]), TableSizeUpdate(4097));
        assert_eq!(err(256, &[0x3f, 0xe2, 0x01]), TableSizeUpdate(257));
        assert_eq!(err(4096, &[0x82, 0x20]), TableSizeUpdate(0));
        // String longer than the limit (declared 65537), even before its bytes.
        assert_eq!(err(4096, &[0x00, 0x7f, 0x82, 0xff, 0x03]), TooLong);
        // Exactly the limit is allowed (then truncated here).
        assert_eq!(err(4096, &[0x00, 0x7f, 0x81, 0xff, 0x03]), Truncated);
        // Integer overflow in a string length.
        let mut block = vec![0x00, 0x7f];
        block.extend([0xff; 10]);
        block.push(0x01);
        assert_eq!(err(4096, &block), IntegerOverflow);
        // Errors print the field that failed.
        assert_eq!(
            InvalidIndex(70).to_string(),
            "HPACK field index 70 is beyond the static and dynamic tables"
        );
    }

    #[test]
    fn table_size_updates() {
        let mut d = Decoder::new(4096);
        decode(&mut d, &hex(C3[0])).unwrap();
        decode(&mut d, &hex(C3[1])).unwrap();
        assert_eq!(d.table_size(), 110);
        // Two updates at the start (to 0 then 4096): the table empties, then refills.
        let block = [&[0x20, 0x3f, 0xe1, 0x1f][..], &hex(C3[0])].concat();
        assert_eq!(decode(&mut d, &block).unwrap(), pairs(REQ1));
        assert_eq!(d.table_size(), 57);
        // An update to 60 keeps the 57-byte entry; to 56 evicts it.
        decode(&mut d, &[0x3f, 0x1d]).unwrap();
        assert_eq!(d.table_size(), 57);
        decode(&mut d, &[0x3f, 0x19]).unwrap();
        assert_eq!(d.table_size(), 0);
        // A lower SETTINGS bound rejects bigger updates; a higher one allows them.
        d.set_max_table_size(100);
        assert_eq!(
            decode(&mut d, &[0x3f, 0xe1, 0x1f]),
            Err(HpackError::TableSizeUpdate(4096))
        );
        let mut d = Decoder::new(4096);
        d.set_max_table_size(8192);
        decode(&mut d, &[0x3f, 0xe1, 0x3f]).unwrap();
        // An empty block is fine.
        assert_eq!(decode(&mut d, &[]).unwrap(), pairs(&[]));
    }

    #[test]
    fn indexed_name_evicted_by_its_own_insertion() {
        // Table of 60: ("a", 26 bytes) = 59. Then a literal with incremental indexing that
        // names entry 62 (that entry) with a 2-byte value: adding it evicts the entry whose
        // name it uses (§4.4).
        let mut d = Decoder::new(60);
        let mut block = vec![0x40, 0x01, b'a', 26];
        block.extend([b'v'; 26]);
        decode(&mut d, &block).unwrap();
        assert_eq!(d.table_size(), 59);
        assert_eq!(
            decode(&mut d, &[0x7e, 0x02, b'x', b'y']).unwrap(),
            pairs(&[("a", "xy")])
        );
        assert_eq!(table(&d), pairs(&[("a", "xy")]));
        assert_eq!(d.table_size(), 35);
    }

    #[test]
    fn oversized_entry_is_emitted_not_stored() {
        let mut d = Decoder::new(64);
        decode(&mut d, &hex(C3[0])).unwrap();
        let mut block = vec![0x40, 0x01, b'k', 40];
        block.extend([b'v'; 40]);
        let got = decode(&mut d, &block).unwrap();
        assert_eq!(got[0].1.len(), 40);
        assert_eq!(d.table_size(), 0);
    }

    #[test]
    fn fuzz_decode_runs_examples() {
        for (max, blocks) in [(4096, C3), (4096, C4), (256, C5), (256, C6)] {
            let sep = (0..=255u8)
                .find(|s| blocks.iter().all(|b| !hex(b).contains(s)))
                .unwrap();
            let mut input = vec![sep, (max / 32) as u8];
            for (i, b) in blocks.iter().enumerate() {
                if i > 0 {
                    input.push(sep);
                }
                input.extend(hex(b));
            }
            super::super::fuzz_decode(&input);
        }
        super::super::fuzz_decode(&[]);
        super::super::fuzz_decode(&[0, 0, 0, 0x3f]);
    }
}
