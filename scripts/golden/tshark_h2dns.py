#!/usr/bin/env python3
"""tshark cross-check of the HTTP/2 (*.h2-expected.json) and DNS (*.dns-expected.json) golden files.

  tshark_h2dns.py EXPECTED.json [--show]       (tshark_compare.py hands these files over to here)

HTTP/2: port 18101 decoded as HTTP/2, 18100 as TLS (decrypted with the "keylog" file; HTTP/2 from
the ALPN), 18102 as HTTP (the h2c upgrade request is HTTP/1.1; tshark switches to HTTP/2 after the 101).
From the PDML, per TCP stream (connection = tcp.stream + 1) and per HTTP/2 stream: request
(:method, :scheme :// :authority :path — or the HTTP/1.1 upgrade request for stream 1), :status,
DATA payload bytes each way (frame length minus padding), content-encoding; the decoded size is
the size of the content-decoded body tshark shows after reassembling a multi-frame body (a
single-frame gzip body would be gunzipped here from tshark's http2.data.data bytes). Compared with every
expected transaction (method, url, status, body bytes, decoded bytes, stream, connection, position
= order of request start) and with h2_connections (request streams, their ids, and the largest
number of request streams open at once, which must be >= max_concurrent_at_least).

DNS: ports 18110 and 18112 decoded as DNS (UDP and TCP), HTTP on 18111. Queries are grouped into
lookups; a lookup's attempts = its queries, its
rcode / answers from the response (if any). Queries are grouped into lookups by (transport, server
port, query id, name, type): dig's retry after a timeout reuses the id but not the source port. Compared with "lookups" in order; transactions as in
tshark_compare.py (method, URL, status, body). Standard library only.
"""
import gzip
import json
import os
import subprocess
import sys
import urllib.parse
import xml.etree.ElementTree as ET

H2_TLS_PORT = 18100        # TLS: tshark picks HTTP/2 from the ALPN (h2) once decrypted
H2_PORTS = (18101, 18120)  # prior-knowledge h2c (18120: gRPC, grpc-h2c)
H2_UPGRADE_PORT = 18102
DNS_PORTS = (18110, 18112)
DNS_HTTP_PORT = 18111

KNOWN = {}   # capture -> {difference: explanation}; no tolerated differences so far


def run_pdml(cap, args, display):
    cmd = ["tshark", "-n", "-r", cap, "-Y", display, "-T", "pdml", "-o", "tcp.desegment_tcp_streams:TRUE"] + args
    r = subprocess.run(cmd, capture_output=True)
    if r.returncode:
        raise SystemExit(f"tshark failed: {r.stderr.decode(errors='replace')}")
    return ET.fromstring(r.stdout)


def fields(elem):
    for f in elem.iter("field"):
        yield f.get("name"), f


def pkt_basics(pkt):
    frame = stream = time = None
    udp = None
    for n, f in fields(pkt):
        if n == "frame.number":
            frame = int(f.get("show"))
        elif n == "frame.time_epoch":
            time = float(f.get("show"))
        elif n == "tcp.stream" and stream is None:
            stream = int(f.get("show"))
        elif n == "udp.stream" and udp is None:
            udp = int(f.get("show"))
    return frame, stream, time, udp


# ------------------------------------------------------------------ HTTP/2
def h2_view(cap, keylog):
    args = ["-d", f"tcp.port=={H2_UPGRADE_PORT},http", "-d", f"tcp.port=={H2_TLS_PORT},tls"]
    for p in H2_PORTS:
        args += ["-d", f"tcp.port=={p},http2"]
    if keylog:
        args += ["-o", "tls.keylog_file:" + keylog]
    root = run_pdml(cap, args, "http2 || http")
    conns = {}      # tcp stream -> {h2 stream id -> info}
    events = {}     # tcp stream -> [(frame, 'open'|'close', sid)]
    for pkt in root.iter("packet"):
        frame, tcp, _, _ = pkt_basics(pkt)
        cs = conns.setdefault(tcp, {})
        ev = events.setdefault(tcp, [])
        last_data_sid = None   # a "grpc" proto follows the http2 DATA frame that carried it
        for proto in pkt.findall("proto"):
            if proto.get("name") == "grpc" and last_data_sid is not None:
                # tshark's gRPC dissector: one proto per DATA payload, "GRPC Message: /svc/m, Request|Response"
                way = 1 if (proto.get("showname") or "").rstrip().endswith("Response") else 0
                n = sum(1 for n, _ in fields(proto) if n == "grpc.message_length")
                s = cs.setdefault(last_data_sid, new_stream())
                s["grpc_msgs"][way] += n
                s["grpc_compressed"] |= any(n == "grpc.compressed_flag" and f.get("show") != "0"
                                            for n, f in fields(proto))
                continue
            if proto.get("name") == "http":
                req = {}
                for n, f in fields(proto):
                    if n == "http.request.method":
                        req["method"] = f.get("show")
                    elif n == "http.request.uri":
                        req["uri"] = f.get("show")
                    elif n == "http.host":
                        req["host"] = f.get("show")
                if "method" in req:   # the HTTP/1.1 request of an h2c upgrade: stream 1
                    s = cs.setdefault(1, new_stream())
                    s.update(method=req["method"], url=f"http://{req.get('host')}{req['uri']}", start=frame,
                             upgrade=True)
                    ev.append((frame, "open", 1))
                continue
            if proto.get("name") != "http2":
                continue
            for st in proto.iter("field"):
                if st.get("name") != "http2.stream":
                    continue
                fr = {"names": [], "values": [], "data": b""}
                for n, f in fields(st):
                    show = f.get("show")
                    if n == "http2.type":
                        fr["type"] = int(show)
                    elif n == "http2.streamid":
                        fr["sid"] = int(show)
                    elif n == "http2.length":
                        fr["length"] = int(show)
                    elif n == "http2.flags.end_stream":
                        fr["end"] = show == "1"
                    elif n == "http2.flags.padded":
                        fr["padded"] = show == "1"
                    elif n == "http2.pad_length":
                        fr["pad"] = int(show)
                    elif n == "http2.header.name":
                        fr["names"].append(show)
                    elif n == "http2.header.value":
                        fr["values"].append(show)
                    elif n == "http2.body.reassembled.data":
                        fr["reassembled"] = True
                    elif n == "http2.data.data":
                        if fr.get("reassembled"):
                            # after the reassembled body tshark shows it content-decoded
                            fr["decoded"] = int(f.get("size"))
                        else:
                            fr["data"] += bytes.fromhex(f.get("value") or "")
                if "type" not in fr or not fr.get("sid"):
                    continue
                sid = fr["sid"]
                last_data_sid = sid if fr["type"] == 0 else last_data_sid
                if fr["type"] == 1:   # HEADERS
                    h = dict(zip(fr["names"], fr["values"]))
                    s = cs.setdefault(sid, new_stream())
                    if "grpc-status" in h:   # trailers, or a trailers-only response
                        s["grpc_status"], s["grpc_message"] = h["grpc-status"], h.get("grpc-message")
                    if ":method" in h:
                        s.update(method=h[":method"], url=f"{h.get(':scheme')}://{h.get(':authority')}{h.get(':path')}",
                                 start=frame, path=h.get(":path"), content_type=h.get("content-type"))
                        ev.append((frame, "open", sid))
                        if fr.get("end"):
                            s["req_done"] = True
                    elif ":status" in h and int(h[":status"]) >= 200:
                        s["status"] = int(h[":status"])
                        s["encoding"] = h.get("content-encoding")
                        s["resp_headers"] = True
                        if fr.get("end"):
                            ev.append((frame, "close", sid))
                    elif s.get("status") is not None and fr.get("end"):   # trailers
                        ev.append((frame, "close", sid))
                elif fr["type"] == 0:   # DATA
                    s = cs.setdefault(sid, new_stream())
                    n = fr.get("length", 0)
                    if fr.get("padded"):
                        n -= fr.get("pad", 0) + 1
                    if s.get("resp_headers"):
                        s["resp"] += n
                        s["resp_data"] += fr["data"]
                        if "decoded" in fr:
                            s["decoded_tshark"] = fr["decoded"]
                        if fr.get("end"):
                            ev.append((frame, "close", sid))
                    else:
                        s["req"] += n
                elif fr["type"] == 2:   # PRIORITY: may create idle streams (nghttp), not requests
                    cs.setdefault(sid, new_stream())["priority_only"] = True
    return conns, events


def new_stream():
    return {"method": None, "url": None, "status": None, "req": 0, "resp": 0, "resp_data": b"", "encoding": None,
            "start": None, "grpc_msgs": [0, 0], "grpc_compressed": False}


def grpc_view(s):
    """The "grpc" block of a stream as tshark shows it: service/method from :path, grpc-status and
    grpc-message from the trailers (percent-decoded here; empty or absent -> None), and the number of
    length-prefixed messages tshark's gRPC dissector found each way. None for a non-gRPC stream."""
    if not (s.get("content_type") or "").startswith("application/grpc"):
        return None
    _, service, method = (s.get("path") or "//").split("/", 2)
    msg = s.get("grpc_message")
    return {"service": service, "method": method,
            "status": int(s["grpc_status"]) if s.get("grpc_status") is not None else None,
            "message": urllib.parse.unquote(msg, errors="strict") if msg else None,
            "messages": list(s["grpc_msgs"])}


def compare_h2(exp, exp_path, verbose):
    d = os.path.dirname(exp_path)
    cap = os.path.join(d, exp["capture"])
    keylog = os.path.join(d, exp["keylog"]) if exp.get("keylog") else None
    conns, events = h2_view(cap, keylog)
    got = []
    for tcp in sorted(conns):
        reqs = sorted((s["start"], sid) for sid, s in conns[tcp].items() if s["method"] is not None)
        for pos, (_, sid) in enumerate(reqs):
            s = conns[tcp][sid]
            decoded = None
            if s["encoding"]:
                # tshark's own decoding of a reassembled body; else gunzip the DATA bytes it shows
                decoded = s.get("decoded_tshark")
                if decoded is None:
                    decoded = len(gzip.decompress(s["resp_data"])) if s["encoding"] == "gzip" else "?"
            got.append({"method": s["method"], "url": s["url"], "status": s["status"], "request_body_bytes": s["req"],
                        "response_body_bytes": s["resp"], "response_decoded_bytes": decoded,
                        "connection": tcp + 1, "position": pos, "stream": sid, "grpc": grpc_view(s),
                        "grpc_compressed": s["grpc_compressed"]})
    keys = ("method", "url", "status", "request_body_bytes", "response_body_bytes", "response_decoded_bytes",
            "connection", "position", "stream")
    diffs = []
    want = [tuple(t.get(k) for k in keys) for t in exp["transactions"]]
    have = [tuple(t[k] for k in keys) for t in got]
    for i in range(max(len(want), len(have))):
        w = want[i] if i < len(want) else None
        g = have[i] if i < len(have) else None
        if verbose:
            print(f"  tx {i}: expected {w}\n        tshark   {g}")
        if w != g:
            diffs.append(f"transaction {i}: expected {w}, tshark {g}")
    # gRPC (grpc-h2c): the per-transaction "grpc" block, when the expected file has one
    if any("grpc" in t for t in exp["transactions"]):
        for i in range(max(len(exp["transactions"]), len(got))):
            w = exp["transactions"][i].get("grpc") if i < len(exp["transactions"]) else None
            g = got[i]["grpc"] if i < len(got) else None
            if verbose:
                print(f"  tx {i} grpc: expected {w}\n        tshark   {g}")
            if w != g:
                diffs.append(f"transaction {i} grpc: expected {w}, tshark {g}")
            if i < len(got) and got[i]["grpc_compressed"]:
                diffs.append(f"transaction {i} grpc: tshark shows a compressed message (none expected)")
    for t in exp["transactions"]:
        if t.get("protocol") != "HTTP/2" or t["stream"] % 2 != 1:
            diffs.append(f"transaction {t['url']}: protocol {t.get('protocol')} stream {t.get('stream')}")
    # connections: request streams, ids, concurrency
    summary = []
    for c in exp["h2_connections"]:
        tcp = c["connection"] - 1
        cs = conns.get(tcp, {})
        ids = sorted(sid for sid, s in cs.items() if s["method"] is not None)
        idle = sorted(sid for sid, s in cs.items() if s["method"] is None and s.get("priority_only"))
        open_, peak = set(), 0
        for _, kind, sid in sorted(events.get(tcp, []), key=lambda e: (e[0], e[1] == "open")):
            (open_.add if kind == "open" else open_.discard)(sid)
            peak = max(peak, len(open_))
        summary.append(f"conn {c['connection']}: streams {ids}, max open at once {peak}"
                       + (f", PRIORITY-only idle streams {idle}" if idle else ""))
        if ids != sorted(c["stream_ids"]) or len(ids) != c["streams"]:
            diffs.append(f"conn {c['connection']} streams: expected {c['stream_ids']}, tshark {ids}")
        if peak < c["max_concurrent_at_least"]:
            diffs.append(f"conn {c['connection']} concurrency: expected >= {c['max_concurrent_at_least']}, tshark {peak}")
    if len(conns) != len(exp["h2_connections"]):
        diffs.append(f"connections: expected {len(exp['h2_connections'])}, tshark {len(conns)}")
    print(f"{exp['capture']}: {len(exp['transactions'])} expected transactions; tshark: {len(got)} HTTP/2 request "
          f"streams on {len(conns)} connections; " + "; ".join(summary))
    return report(exp["capture"], diffs)


# ------------------------------------------------------------------ DNS
def compare_dns(exp, exp_path, verbose):
    cap = os.path.join(os.path.dirname(exp_path), exp["capture"])
    args = []
    for p in DNS_PORTS:
        args += ["-d", f"udp.port=={p},dns", "-d", f"tcp.port=={p},dns"]
    args += ["-d", f"tcp.port=={DNS_HTTP_PORT},http", "-o", "frame.generate_epoch_time:TRUE"] \
        if False else ["-d", f"tcp.port=={DNS_HTTP_PORT},http"]
    root = run_pdml(cap, args, "dns || http")
    lookups = {}    # key -> dict
    order = []
    http = []
    for pkt in root.iter("packet"):
        frame, tcp, _, _ = pkt_basics(pkt)
        transport = "tcp" if any(p.get("name") == "tcp" for p in pkt.findall("proto")) else "udp"
        sport = dport = None
        for n, f in fields(pkt):
            if n in ("udp.srcport", "tcp.srcport") and sport is None:
                sport = int(f.get("show"))
            elif n in ("udp.dstport", "tcp.dstport") and dport is None:
                dport = int(f.get("show"))
        for proto in pkt.findall("proto"):
            if proto.get("name") == "http":
                m = {}
                for n, f in fields(proto):
                    if n == "http.request.method":
                        m["method"] = f.get("show")
                    elif n == "http.request.full_uri":
                        m["url"] = f.get("show")
                    elif n == "http.response.code":
                        m["status"] = int(f.get("show"))
                    elif n == "http.file_data":
                        m["body"] = int(f.get("size"))
                m["frame"] = frame
                http.append(m)
                continue
            if proto.get("name") != "dns":
                continue
            q = {"answers": []}
            for n, f in fields(proto):
                show = f.get("show")
                if n == "dns.id":
                    q["id"] = int(show, 16) if show.startswith("0x") else int(show)
                elif n == "dns.flags.response":
                    q["response"] = show in ("1", "True")
                elif n == "dns.flags.rcode":
                    q["rcode"] = int(show)
                elif n == "dns.qry.name" and "name" not in q:
                    q["name"] = show
                elif n == "dns.qry.type" and "qtype" not in q:
                    q["qtype"] = int(show)
            # answers: each dns.resp.* group sits under an "Answers" subtree field
            for ans in proto.iter("field"):
                if not (ans.get("show") or "").startswith("Answers"):
                    continue
                for rr in ans.findall("field"):
                    rtype = data = None
                    svc = []
                    for n, f in fields(rr):
                        show = f.get("show")
                        if n == "dns.resp.type" and rtype is None:
                            rtype = int(show)
                        elif n == "dns.a":
                            data = f"A {show}"
                        elif n == "dns.aaaa":
                            data = f"AAAA {show}"
                        elif n == "dns.cname":
                            data = f"CNAME {show}"
                        elif n == "dns.svcb.svcpriority":
                            svc.insert(0, show)
                        elif n == "dns.svcb.targetname":
                            svc.append("." if show in ("<Root>", "") else show)
                        elif n == "dns.svcb.svcparam.alpn":
                            svc.append(f"alpn={show}")
                    if rtype == 65:
                        data = "HTTPS " + " ".join(svc)
                    if data:
                        q["answers"].append(data)
            server = dport if not q.get("response") else sport
            client = sport if not q.get("response") else dport
            # a retry (same id, name, type, server; dig sends it from a new source port) joins the
            # lookup while that lookup has no response; a response goes to the query it answers
            key = (transport, server, q.get("id"), q.get("name"), q.get("qtype"))
            if key in lookups and lookups[key]["rcode"] is not None and not q.get("response"):
                del lookups[key]   # the same question again after an answer: a new lookup
            if key not in lookups:
                lookups[key] = {"transport": transport, "server_port": server, "name": q.get("name"),
                                "qtype": QTYPES.get(q.get("qtype"), q.get("qtype")), "attempts": 0, "rcode": None,
                                "answers": [], "first_frame": frame}
                order.append(lookups[key])
            lk = lookups[key]
            if q.get("response"):
                lk["rcode"] = RCODES.get(q.get("rcode"), q.get("rcode"))
                lk["answers"] = q["answers"]
            else:
                lk["attempts"] += 1
    got = order
    diffs = []
    keys = ("transport", "server_port", "name", "qtype", "rcode", "answers", "attempts")
    want = [tuple(l[k] for k in keys) for l in exp["lookups"]]
    have = [tuple(l[k] for k in keys) for l in got]
    for i in range(max(len(want), len(have))):
        w = want[i] if i < len(want) else None
        g = have[i] if i < len(have) else None
        if verbose:
            print(f"  lookup {i}: expected {w}\n            tshark   {g}")
        if w != g:
            diffs.append(f"lookup {i}: expected {w}, tshark {g}")
    # the HTTP transaction(s): request/response messages in order; and they follow their lookup
    reqs = [m for m in http if "method" in m]
    resps = [m for m in http if "status" in m]
    for i, t in enumerate(exp["transactions"]):
        g = (reqs[i]["method"], reqs[i].get("url")) if i < len(reqs) else None
        if g != (t["method"], t["url"]):
            diffs.append(f"transaction {i} request: expected {(t['method'], t['url'])}, tshark {g}")
        g = (resps[i]["status"], resps[i].get("body", 0)) if i < len(resps) else None
        if g != (t["status"], t["response_body_bytes"]):
            diffs.append(f"transaction {i} response: expected {(t['status'], t['response_body_bytes'])}, tshark {g}")
        lk = got[t["dns_lookup"]] if t["dns_lookup"] < len(got) else None
        if lk is None or lk["name"] != t["dns_name"] or (i < len(reqs) and lk["first_frame"] > reqs[i]["frame"]):
            diffs.append(f"transaction {i}: lookup {t['dns_lookup']} ({t['dns_name']}) does not precede it")
    if len(reqs) != len(exp["transactions"]):
        diffs.append(f"HTTP requests: expected {len(exp['transactions'])}, tshark {len(reqs)}")
    print(f"{exp['capture']}: {len(exp['lookups'])} expected lookups, {len(exp['transactions'])} transactions; "
          f"tshark: {len(got)} lookups ({sum(l['attempts'] for l in got)} queries), {len(reqs)} HTTP requests")
    return report(exp["capture"], diffs)


QTYPES = {1: "A", 28: "AAAA", 5: "CNAME", 65: "HTTPS", 16: "TXT"}
RCODES = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}


def report(name, diffs):
    known = KNOWN.get(name, {})
    bad = 0
    for d in diffs:
        why = known.get(d)
        if why:
            print(f"  known tshark quirk: {d}\n      -> {why}")
        else:
            bad += 1
            print(f"  DISAGREEMENT: {d}")
    if not diffs:
        print("  agrees")
    return 1 if bad else 0


def main(argv):
    path = argv[0]
    exp = json.load(open(path))
    show = "--show" in argv
    if path.endswith(".h2-expected.json"):
        return compare_h2(exp, path, show)
    if path.endswith(".dns-expected.json"):
        return compare_dns(exp, path, show)
    raise SystemExit(f"not an .h2- or .dns-expected.json file: {path}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
