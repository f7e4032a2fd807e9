#!/usr/bin/env python3
"""DNS golden capture (dns-lookups.pcapng): the lookup plan, a raw-socket DNS client, a silent UDP
port for the timeout case, lookup-then-GET, and the expected file. Standard library only.

LOOKUPS is the single description of what dns-captures.sh asks, of whom, and what dnsmasq (2.90,
configured by dns-captures.sh from ZONE) answers; the expected file is derived from it, never from
a parser. dns-captures.sh checks every client's printed result against LOOKUPS as well.

Subcommands:
  query NAME QTYPE PORT                 one UDP query to 127.0.0.1:PORT; prints "RCODE answer;answer"
  blackhole PORT SECONDS                bind UDP 127.0.0.1:PORT, read and drop everything (no ICMP
                                        port-unreachable, so the client really times out)
  lookup-get NAME DNSPORT HTTPPORT      resolve NAME (A, raw UDP query) then at once GET / from the
                                        answered address on HTTPPORT (Host: NAME:HTTPPORT), same process;
                                        prints "A-answer status body-bytes elapsed-ms"
  expected OUT                          write tests/golden/dns-lookups.dns-expected.json
"""
import http.client
import json
import os
import random
import socket
import struct
import sys
import time

DNS_PORT = 18110        # dnsmasq on 127.0.0.1 (UDP and TCP)
HTTP_PORT = 18111       # python -m http.server --bind 127.0.0.1
SILENT_PORT = 18112     # blackhole: a bound UDP socket that never answers
INDEX_SIZE = 2048       # index.html served by http.server for GET /

# what dnsmasq knows (dns-captures.sh turns this into its command line)
ZONE = {
    "host-record": ["golden.test,127.0.0.1", "v6.golden.test,::1"],
    "cname": ["alias.golden.test,golden.test"],
    "local": ["/golden.test/"],         # anything else under golden.test: NXDOMAIN, never forwarded
    # HTTPS (type 65) RR, RFC 9460 wire format: SvcPriority 1, TargetName ".", alpn="h2"
    "dns-rr": ["golden.test,65,00010000010003026832"],
}

QT = {"A": 1, "AAAA": 28, "CNAME": 5, "HTTPS": 65}
RC = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}
OUTCOME = {"NOERROR": "answered", "NXDOMAIN": "nxdomain", "SERVFAIL": "servfail", "REFUSED": "refused"}

# (client, transport, server port, name, qtype, rcode or None (no answer), answers, attempts)
# Every query goes to 127.0.0.1. dig is BIND 9.18's dig (`dig @127.0.0.1 -p PORT NAME TYPE`,
# default recursion-desired + EDNS with a cookie); python is this file's `query` (plain RFC 1035
# query, RD set, no EDNS).
LOOKUPS = [
    ("dig", "udp", DNS_PORT, "golden.test", "A", "NOERROR", ["A 127.0.0.1"], 1),
    ("dig", "udp", DNS_PORT, "v6.golden.test", "AAAA", "NOERROR", ["AAAA ::1"], 1),
    # golden.test has no IPv6 address: NOERROR with no answer (NODATA; dnsmasq logs NODATA-IPv6)
    ("dig", "udp", DNS_PORT, "golden.test", "AAAA", "NOERROR", [], 1),
    ("dig", "udp", DNS_PORT, "alias.golden.test", "A", "NOERROR", ["CNAME golden.test", "A 127.0.0.1"], 1),
    ("dig", "udp", DNS_PORT, "golden.test", "HTTPS", "NOERROR", ["HTTPS 1 . alpn=h2"], 1),
    ("dig", "udp", DNS_PORT, "nope.golden.test", "A", "NXDOMAIN", [], 1),
    # not under a local domain and no upstream server (--no-resolv, no --server): dnsmasq REFUSES
    ("dig", "udp", DNS_PORT, "unknown.example", "A", "REFUSED", [], 1),
    ("python", "udp", DNS_PORT, "golden.test", "A", "NOERROR", ["A 127.0.0.1"], 1),
    ("python", "udp", DNS_PORT, "v6.golden.test", "AAAA", "NOERROR", ["AAAA ::1"], 1),
    ("dig +tcp", "tcp", DNS_PORT, "golden.test", "A", "NOERROR", ["A 127.0.0.1"], 1),
    # nothing answers: dig +tries=2 +timeout=1 sends the same query twice, then gives up
    ("dig +tries=2 +timeout=1", "udp", SILENT_PORT, "golden.test", "A", None, [], 2),
    # lookup-get: this lookup, then (same process, right after the answer) GET / on its answer
    ("python lookup-get", "udp", DNS_PORT, "golden.test", "A", "NOERROR", ["A 127.0.0.1"], 1),
]
LOOKUP_GET = len(LOOKUPS) - 1


def encode_name(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"


def read_name(msg, off):
    labels, jumped, end = [], False, None
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumped = True
            continue
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode())
        off += n
    return ".".join(labels), (end if jumped else off)


def query(name, qtype, port, timeout=3.0):
    qid = random.randrange(65536)
    msg = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + struct.pack("!HH", QT[qtype], 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(msg, ("127.0.0.1", port))
        resp, _ = s.recvfrom(4096)
    rid, flags, qd, an, _, _ = struct.unpack("!HHHHHH", resp[:12])
    assert rid == qid and flags & 0x8000, "not the answer to our query"
    off = 12
    for _ in range(qd):
        _, off = read_name(resp, off)
        off += 4
    answers = []
    for _ in range(an):
        _, off = read_name(resp, off)
        typ, _, _, rdlen = struct.unpack("!HHIH", resp[off:off + 10])
        off += 10
        rd = resp[off:off + rdlen]
        if typ == 1:
            answers.append("A " + socket.inet_ntop(socket.AF_INET, rd))
        elif typ == 28:
            answers.append("AAAA " + socket.inet_ntop(socket.AF_INET6, rd))
        elif typ == 5:
            answers.append("CNAME " + read_name(resp, off)[0])
        else:
            answers.append(f"TYPE{typ} {rd.hex()}")
        off += rdlen
    return RC.get(flags & 0xF, str(flags & 0xF)), answers


def blackhole(port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(port)))
    s.settimeout(0.2)
    end = time.time() + float(seconds)
    n = 0
    while time.time() < end:
        try:
            s.recvfrom(4096)
            n += 1
        except socket.timeout:
            pass
    print(f"blackhole: dropped {n} datagrams", file=sys.stderr)


def lookup_get(name, dns_port, http_port):
    t0 = time.monotonic()
    rcode, answers = query(name, "A", int(dns_port))
    addr = next(a.split(" ", 1)[1] for a in answers if a.startswith("A "))
    c = http.client.HTTPConnection(addr, int(http_port), timeout=10)
    c.putrequest("GET", "/", skip_host=True)
    c.putheader("Host", f"{name}:{http_port}")
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    print(f"A {addr} {r.status} {len(body)} {int((time.monotonic() - t0) * 1000)}")


def expected():
    lookups = []
    for client, transport, port, name, qtype, rcode, answers, attempts in LOOKUPS:
        lookups.append({"client": client, "transport": transport, "server": f"127.0.0.1:{port}", "server_port": port,
                        "name": name, "qtype": qtype, "rcode": rcode, "answers": answers, "attempts": attempts,
                        "outcome": OUTCOME[rcode] if rcode else "timed_out"})
    # A failed A/AAAA/HTTPS lookup is a transaction of its own (status 0, URL dns:NAME, reason
    # dns_failed, no connection) unless the same client address got an answer for the name right
    # after it: every client here is 127.0.0.1, and the timed-out golden.test lookup is followed
    # within seconds (less than the 5 s DNS timeout) by lookup-get's answered one, so it is not.
    failed = []
    for i, (_, _, _, name, qtype, rcode, _, _) in enumerate(LOOKUPS):
        answered_later = any(n == name and rc == "NOERROR" and ans
                             for (_, _, _, n, _, rc, ans, _) in LOOKUPS[i + 1:])
        if qtype in ("A", "AAAA", "HTTPS") and rcode != "NOERROR" and not answered_later:
            failed.append({"method": None, "url": None, "status": 0, "request_body_bytes": 0,
                           "response_body_bytes": 0, "response_decoded_bytes": None, "complete": False,
                           "incomplete_reasons": ["dns_failed"], "tunnel": None, "connection": None,
                           "position": 0, "protocol": "", "dns_name": name, "dns_lookup": i})
    t = {"method": "GET", "url": f"http://golden.test:{HTTP_PORT}/", "status": 200, "request_body_bytes": 0,
         "response_body_bytes": INDEX_SIZE, "response_decoded_bytes": None, "complete": True,
         "incomplete_reasons": [], "tunnel": None, "connection": 1, "position": 0,
         "dns_name": "golden.test", "dns_lookup": LOOKUP_GET}
    notes = (
        f"dnsmasq 2.90 on 127.0.0.1:{DNS_PORT} (UDP+TCP; --no-resolv --no-hosts, no upstream server; "
        "--host-record=golden.test,127.0.0.1 --host-record=v6.golden.test,::1 --cname=alias.golden.test,golden.test "
        "--local=/golden.test/ --dns-rr=golden.test,65,00010000010003026832 i.e. an HTTPS RR '1 . alpn=h2'). "
        "Clients: BIND 9.18 dig and a stdlib Python raw-socket client (dns_golden.py query). Lookups in capture "
        "order (`lookups`, 0-based = dns_lookup): rcode is the response's RCODE (null: no response at all), answers "
        "the answer section in order ('A 127.0.0.1', 'AAAA ::1', 'CNAME golden.test', 'HTTPS 1 . alpn=h2'), "
        "attempts the queries sent for the lookup (same client port and query id), outcome answered / nxdomain / "
        "refused / timed_out. An 'answered' lookup with no answers is NODATA (golden.test AAAA). dnsmasq has no "
        "SERVFAIL case here: for names it cannot resolve and has no server for it answers REFUSED (unknown.example); "
        "a domain forwarded to a silent server gets no answer at all within dig's timeout. The timeout case is dig "
        f"+tries=2 +timeout=1 to 127.0.0.1:{SILENT_PORT}, a UDP socket that reads and drops (so no ICMP "
        "port-unreachable): two identical queries, no response. Last: one Python process resolves golden.test "
        f"(raw UDP A query to dnsmasq) and immediately connects to the answer 127.0.0.1:{HTTP_PORT} (python -m "
        f"http.server) and GETs / with Host golden.test:{HTTP_PORT} (index.html, {INDEX_SIZE} B, HTTP/1.0 response "
        "closed by the server): the transaction's dns link is that lookup (dns_lookup, dns_name); the DNS phase "
        "length is whatever the lookup took (not known in advance). connection 1 = the first (only) HTTP "
        "connection: the earlier dig +tcp DNS connection to port 18110 is a TCP connection too, but carries no HTTP "
        "and is not numbered here. Before it, in order of start, the failed lookups that no answer for the name "
        "followed (nope.golden.test NXDOMAIN, unknown.example REFUSED) are transactions without request or "
        "connection (connection null), reason dns_failed, their lookup as dns; the timed-out golden.test lookup "
        "is not one, lookup-get's answer for golden.test follows it within the DNS timeout.")
    return {"capture": "dns-lookups.pcapng", "lookups": lookups, "transactions": failed + [t], "notes": notes}


def main(argv):
    if len(argv) == 4 and argv[0] == "query":
        rcode, answers = query(argv[1], argv[2], int(argv[3]))
        print(rcode, ";".join(answers))
        return
    if len(argv) == 3 and argv[0] == "blackhole":
        return blackhole(argv[1], argv[2])
    if len(argv) == 4 and argv[0] == "lookup-get":
        return lookup_get(*argv[1:])
    if len(argv) == 2 and argv[0] == "expected":
        with open(argv[1], "w") as f:
            json.dump(expected(), f, indent=2)
            f.write("\n")
        return
    if len(argv) == 1 and argv[0] == "zone-args":
        print(" ".join(f"--{k}={v}" for k, vs in ZONE.items() for v in vs))
        return
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
