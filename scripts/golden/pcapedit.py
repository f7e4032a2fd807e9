#!/usr/bin/env python3
"""Classic pcap reader/writer and the deterministic edits behind the derived golden captures.
Standard library only. Handles both byte orders and both µs/ns magics; decodes Ethernet, Linux
SLL/SLL2, NULL/LOOP and raw IP far enough to find TCP segments.

  pcapedit.py list FILE                    one line per record (index, time, flow, flags, seq, payload)
  pcapedit.py bigendian IN OUT             same records, big-endian file
  pcapedit.py truncate IN OUT              cut the file in the middle of its last record
  pcapedit.py gzip IN OUT                  deterministic gzip (mtime 0, no name)
  pcapedit.py loss IN OUT PORT BODYLEN     drop the 3rd body packet of the response whose
                                           Content-Length is BODYLEN, and the packet carrying the
                                           headers of the 'Expect: 100-continue' request
  pcapedit.py reorder IN OUT PORT BODYLEN  swap body packets 2<->3 and 5<->6 of that response
                                           (data only; timestamps keep file order) and re-insert a
                                           copy of body packet 4 after body packet 7 (retransmission)
  pcapedit.py midstream IN OUT PORT BODYLEN drop every record before the middle body packet

Packets are chosen by content (payload search and TCP sequence numbers), never by fixed record
numbers, so the edits survive re-capture. Edit commands log what they did on stderr.
"""
import gzip
import ipaddress
import struct
import sys

MAGIC_US = 0xA1B2C3D4
MAGIC_NS = 0xA1B23C4D


class Pcap:
    def __init__(self, endian, nano, vmaj, vmin, zone, sigfigs, snaplen, network, records):
        self.endian, self.nano = endian, nano
        self.vmaj, self.vmin, self.zone, self.sigfigs = vmaj, vmin, zone, sigfigs
        self.snaplen, self.network = snaplen, network
        self.records = records  # list of [sec, frac, orig_len, data]


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    for endian in "<>":
        magic = struct.unpack(endian + "I", raw[:4])[0]
        if magic in (MAGIC_US, MAGIC_NS):
            break
    else:
        raise SystemExit(f"{path}: not a classic pcap")
    vmaj, vmin, zone, sigfigs, snaplen, network = struct.unpack(endian + "HHiIII", raw[4:24])
    recs, off = [], 24
    while off + 16 <= len(raw):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", raw[off:off + 16])
        data = raw[off + 16: off + 16 + incl]
        if len(data) < incl:
            raise SystemExit(f"{path}: truncated record at offset {off}")
        recs.append([sec, frac, orig, data])
        off += 16 + incl
    if off != len(raw):
        raise SystemExit(f"{path}: {len(raw) - off} trailing bytes")
    return Pcap(endian, magic == MAGIC_NS, vmaj, vmin, zone, sigfigs, snaplen, network, recs)


def encode(p, endian=None):
    e = endian or p.endian
    out = [struct.pack(e + "IHHiIII", MAGIC_NS if p.nano else MAGIC_US, p.vmaj, p.vmin, p.zone, p.sigfigs,
                       p.snaplen, p.network)]
    for sec, frac, orig, data in p.records:
        out.append(struct.pack(e + "IIII", sec, frac, len(data), orig))
        out.append(data)
    return b"".join(out)


def write(path, p, endian=None):
    with open(path, "wb") as f:
        f.write(encode(p, endian))


def log(msg):
    print("   pcapedit " + msg, file=sys.stderr)


class Seg:
    __slots__ = ("src", "dst", "sport", "dport", "seq", "flags", "payload")


def decode(network, data):
    """Return a Seg for a TCP packet, else None."""
    lt = network & 0x0FFFFFFF
    if lt == 1:  # Ethernet
        et, off = struct.unpack(">H", data[12:14])[0], 14
        while et in (0x8100, 0x88A8):
            et, off = struct.unpack(">H", data[off + 2: off + 4])[0], off + 4
    elif lt == 113:  # Linux SLL
        et, off = struct.unpack(">H", data[14:16])[0], 16
    elif lt == 276:  # Linux SLL2
        et, off = struct.unpack(">H", data[0:2])[0], 20
    elif lt in (0, 108):  # NULL / LOOP
        fam = struct.unpack("<I" if lt == 0 else ">I", data[:4])[0]
        if fam in (2, 0x02000000):
            et = 0x0800
        else:
            et = 0x86DD
        off = 4
    elif lt in (101, 12, 14):
        et, off = (0x0800 if data[0] >> 4 == 4 else 0x86DD), 0
    else:
        return None
    if et == 0x0800:
        ihl = (data[off] & 0x0F) * 4
        total = struct.unpack(">H", data[off + 2: off + 4])[0]
        if data[off + 9] != 6:
            return None
        src, dst = ipaddress.ip_address(data[off + 12: off + 16]), ipaddress.ip_address(data[off + 16: off + 20])
        tcp, end = off + ihl, off + total
    elif et == 0x86DD:
        plen = struct.unpack(">H", data[off + 4: off + 6])[0]
        if data[off + 6] != 6:
            return None
        src, dst = ipaddress.ip_address(data[off + 8: off + 24]), ipaddress.ip_address(data[off + 24: off + 40])
        tcp, end = off + 40, off + 40 + plen
    else:
        return None
    s = Seg()
    s.src, s.dst = src, dst
    s.sport, s.dport, s.seq = struct.unpack(">HHI", data[tcp: tcp + 8])
    doff = (data[tcp + 12] >> 4) * 4
    s.flags = data[tcp + 13]
    s.payload = data[tcp + doff: end]
    return s


FLAGS = "FSRPAUEC"


def flagstr(f):
    return "".join(c for i, c in enumerate(FLAGS) if f & (1 << i))


def cmd_list(path):
    p = read(path)
    div = 1e9 if p.nano else 1e6
    for i, (sec, frac, orig, data) in enumerate(p.records):
        s = decode(p.network, data)
        if not s:
            print(i, "non-tcp")
            continue
        print(f"{i:5d} {sec + frac / div:.9f} {s.src}:{s.sport} > {s.dst}:{s.dport} [{flagstr(s.flags)}] "
              f"seq={s.seq} len={len(s.payload)} {s.payload[:40]!r}")


def response_body_packets(p, port, bodylen):
    """Indexes (file order) of the server->client packets carrying the response with
    'Content-Length: BODYLEN', header packet first, and the absolute seq where the body ends."""
    segs = [decode(p.network, r[3]) for r in p.records]
    marker = b"Content-Length: %d\r\n" % bodylen
    start = next(i for i, s in enumerate(segs)
                 if s and s.sport == port and s.payload.startswith(b"HTTP/1.") and marker in s.payload)
    h = segs[start]
    end_seq = (h.seq + h.payload.index(b"\r\n\r\n") + 4 + bodylen) & 0xFFFFFFFF
    key = (h.src, h.sport, h.dst, h.dport)
    out, seen = [start], {h.seq}
    for i in range(start + 1, len(segs)):
        s = segs[i]
        if not s or (s.src, s.sport, s.dst, s.dport) != key or not s.payload or s.seq in seen:
            continue
        if ((end_seq - s.seq) & 0xFFFFFFFF) > 0x7FFFFFFF or s.seq == end_seq:
            break  # at or beyond the end of this body
        seen.add(s.seq)
        out.append(i)
    return out, segs, end_seq


def cmd_loss(src, dst, port, bodylen):
    p = read(src)
    pk, segs, _ = response_body_packets(p, port, bodylen)
    body = pk[1:]
    gap = body[2]
    req = next(i for i, s in enumerate(segs) if s and s.dport == port and s.payload.startswith(b"POST ")
               and b"\r\nExpect: 100-continue\r\n" in s.payload)
    assert segs[req].payload.endswith(b"\r\n\r\n"), "Expect request headers not alone in their packet"
    log(f"loss: dropped record {gap} (3rd body packet, {len(segs[gap].payload)} B) and record {req} "
        f"(Expect POST headers, {len(segs[req].payload)} B)")
    p.records = [r for i, r in enumerate(p.records) if i not in (gap, req)]
    write(dst, p)


def _ts(p, r):
    return r[0] * (10**9 if p.nano else 10**6) + r[1]


def _from_ts(p, t):
    d = 10**9 if p.nano else 10**6
    return t // d, t % d


def cmd_reorder(src, dst, port, bodylen):
    p = read(src)
    pk, segs, _ = response_body_packets(p, port, bodylen)
    body = pk[1:]
    assert len(body) >= 8, f"need >= 8 body packets, have {len(body)}"
    recs = [list(r) for r in p.records]
    swaps = []
    for a, b in ((1, 2), (4, 5)):
        i, j = body[a], body[b]
        # exchange the packets' contents; each slot keeps its timestamp so time stays monotonic
        recs[i][2:], recs[j][2:] = p.records[j][2:], p.records[i][2:]
        swaps.append(f"body packets {a + 1}<->{b + 1} (records {i}<->{j})")
    d, after = body[3], body[6]
    t0 = _ts(p, p.records[after])
    t1 = _ts(p, p.records[after + 1]) if after + 1 < len(p.records) else t0
    sec, frac = _from_ts(p, (t0 + t1) // 2)
    dup = [sec, frac, p.records[d][2], p.records[d][3]]
    recs.insert(after + 1, dup)
    p.records = recs
    write(dst, p)
    log("reorder: swapped " + "; ".join(swaps) + f"; copy of record {d} inserted after record {after}")


def cmd_midstream(src, dst, port, bodylen):
    p = read(src)
    pk, segs, end_seq = response_body_packets(p, port, bodylen)
    body = pk[1:]
    cut = body[len(body) // 2]
    tail = (end_seq - segs[cut].seq) & 0xFFFFFFFF
    p.records = p.records[cut:]
    write(dst, p)
    log(f"midstream: kept from record {cut} (body packet {len(body) // 2 + 1} of {len(body)}, "
        f"{tail} body bytes left)")


def cmd_truncate(src, dst):
    with open(src, "rb") as f:
        raw = f.read()
    p = read(src)
    last_len = len(p.records[-1][3])
    start = len(raw) - last_len - 16
    cut = start + 16 + last_len // 2
    with open(dst, "wb") as f:
        f.write(raw[:cut])
    log(f"truncate: cut at byte {cut} of {len(raw)}: last record (#{len(p.records) - 1}) keeps its 16-byte "
        f"header and {last_len // 2} of {last_len} data bytes")


def cmd_gzip(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    with open(dst, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as g:
            g.write(data)


def main(a):
    if a[:1] == ["list"]:
        return cmd_list(a[1])
    if a[:1] == ["bigendian"]:
        p = read(a[1])
        return write(a[2], p, ">")
    if a[:1] == ["truncate"]:
        return cmd_truncate(a[1], a[2])
    if a[:1] == ["gzip"]:
        return cmd_gzip(a[1], a[2])
    if a[:1] and a[0] in ("loss", "reorder", "midstream") and len(a) == 5:
        return {"loss": cmd_loss, "reorder": cmd_reorder, "midstream": cmd_midstream}[a[0]](
            a[1], a[2], int(a[3]), int(a[4]))
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
