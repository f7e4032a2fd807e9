#!/usr/bin/env python3
"""TLS golden captures: served files, the plan of every connection, expected files, urllib client.

The table RUNS is the single description of what tls-captures.sh makes each client do; the
expected files (tests/golden/<name>.tls-expected.json) are derived from it and from the sizes of
the files served, never from a parser. Standard library only.

Subcommands:
  site DIR                       write the document tree nginx / openssl s_server -WWW serve
  expected NAME OUT              write tests/golden/NAME.tls-expected.json
  pyclient URL KEYLOG CIPHER     urllib GET over TLS 1.2 with the given cipher, keys to KEYLOG
                                 (golden.test resolves to 127.0.0.1 inside this process only)
"""
import json
import os
import socket
import ssl
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden  # noqa: E402

HOST = "golden.test"            # SNI / Host; curl --resolve and pyclient map it to 127.0.0.1
PORT_TLS13 = 18090              # nginx, TLS 1.3 only (tls13-nginx)
PORT_TLS12 = 18091              # nginx, TLS 1.2 only, ECDSA + RSA certificates (tls12-nginx)
PORT_SSERVER = 18092            # openssl s_server -WWW, TLS 1.2, no tickets (tls-resumed)
PORT_NOKEYS = 18093             # nginx, TLS 1.3 only (tls13-nokeys)
PORT_PARTIAL = 18094            # nginx, TLS 1.2 only (tls12-partial-keys)
PORT_RESUME13 = 18095           # nginx, TLS 1.3 only, session tickets (tls-resumed)
PORT_CBC = 18096                # nginx, TLS 1.2 only, ssl_ciphers ECDHE-ECDSA-AES128-SHA (tls12-cbc)
TLS_PORTS = range(18090, 18100)

SIZES = {"index.html": 2048, "medium.bin": 102400, "404.html": 345}

# IANA names of the suites the clients are told to use (OpenSSL name -> IANA name).
IANA = {
    "TLS_AES_128_GCM_SHA256": "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384": "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256": "TLS_CHACHA20_POLY1305_SHA256",
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "AES128-GCM-SHA256": "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES128-SHA": "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
}
# Suites httpscope does not decrypt (it decrypts the AEAD ones only): with the right keys the
# connection's decryption is "unsupported" and it yields no transactions.
UNSUPPORTED = {"ECDHE-ECDSA-AES128-SHA"}

# One entry per TCP connection, in the order the script opens them.
# (client, port, version, openssl cipher name, targets, resumed, keys given)
#   client: curl (one invocation per connection unless 'resume'), python (urllib),
#           s_client (openssl s_client, HTTP/1.0 GET on stdin, no ALPN)
RUNS = {
    "tls13-nginx": [
        ("curl", PORT_TLS13, "TLS 1.3", "TLS_AES_128_GCM_SHA256", ["/index.html", "/medium.bin", "/missing"], False, True),
        ("curl", PORT_TLS13, "TLS 1.3", "TLS_AES_256_GCM_SHA384", ["/index.html"], False, True),
        ("curl", PORT_TLS13, "TLS 1.3", "TLS_CHACHA20_POLY1305_SHA256", ["/index.html"], False, True),
    ],
    "tls12-nginx": [
        ("curl", PORT_TLS12, "TLS 1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", ["/index.html", "/missing"], False, True),
        ("curl", PORT_TLS12, "TLS 1.2", "ECDHE-RSA-AES256-GCM-SHA384", ["/index.html"], False, True),
        ("curl", PORT_TLS12, "TLS 1.2", "ECDHE-ECDSA-CHACHA20-POLY1305", ["/index.html"], False, True),
        ("curl", PORT_TLS12, "TLS 1.2", "AES128-GCM-SHA256", ["/index.html"], False, True),
        ("python", PORT_TLS12, "TLS 1.2", "ECDHE-ECDSA-AES256-GCM-SHA384", ["/index.html"], False, True),
    ],
    "tls-resumed": [
        # one curl process, two URLs, 'Connection: close' on both: the second connection resumes
        # the first one's TLS 1.3 session (PSK from a NewSessionTicket)
        ("curl", PORT_RESUME13, "TLS 1.3", "TLS_AES_128_GCM_SHA256", ["/index.html"], False, True),
        ("curl", PORT_RESUME13, "TLS 1.3", "TLS_AES_128_GCM_SHA256", ["/missing"], True, True),
        # openssl s_client -sess_out, then -sess_in: TLS 1.2 session-id resumption (s_server -no_ticket)
        ("s_client", PORT_SSERVER, "TLS 1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", ["/index.html"], False, True),
        ("s_client", PORT_SSERVER, "TLS 1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", ["/index.html"], True, True),
    ],
    "tls13-nokeys": [
        ("curl", PORT_NOKEYS, "TLS 1.3", "TLS_AES_256_GCM_SHA384", ["/index.html", "/missing"], False, False),
    ],
    "tls12-partial-keys": [
        ("curl", PORT_PARTIAL, "TLS 1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", ["/index.html"], False, True),
        ("curl", PORT_PARTIAL, "TLS 1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", ["/index.html", "/missing"], False, False),
    ],
    "tls12-cbc": [
        ("curl", PORT_CBC, "TLS 1.2", "ECDHE-ECDSA-AES128-SHA", ["/index.html"], False, True),
    ],
}

CAPTURE = {n: n + ".pcapng" for n in RUNS}
KEYLOG = {n: (None if n == "tls13-nokeys" else n + ".keys") for n in RUNS}

NOTES = {
    "tls13-nginx": (
        "nginx 1.22 (generated config, ssl_protocols TLSv1.3, no http2) on 127.0.0.1:{p13} with a throwaway "
        "EC P-256 certificate for golden.test made by openssl at capture time. Three curl invocations "
        "(--http1.1, --resolve golden.test:{p13}:127.0.0.1, SSLKEYLOGFILE=tls13-nginx.keys, curl appends): "
        "(1) --tls13-ciphers TLS_AES_128_GCM_SHA256, one keep-alive connection: /index.html 2048 B, /medium.bin "
        "102400 B, /missing -> 404 with nginx's custom 345 B page; (2) TLS_AES_256_GCM_SHA384 /index.html; "
        "(3) TLS_CHACHA20_POLY1305_SHA256 /index.html. ALPN: curl offers http/1.1, nginx selects it."),
    "tls12-nginx": (
        "nginx 1.22 (ssl_protocols TLSv1.2, an EC P-256 and an RSA-2048 certificate for golden.test, both "
        "signed by a throwaway EC CA) on 127.0.0.1:{p12}. Keys in tls12-nginx.keys (CLIENT_RANDOM lines, as "
        "written by curl and by Python's ssl keylog_filename, appended in connection order). Connections: "
        "(1) curl --ciphers ECDHE-ECDSA-AES128-GCM-SHA256: /index.html + /missing (404, 345 B) keep-alive; "
        "(2) ECDHE-RSA-AES256-GCM-SHA384 (RSA certificate); (3) ECDHE-ECDSA-CHACHA20-POLY1305; (4) "
        "AES128-GCM-SHA256 = TLS_RSA_WITH_AES_128_GCM_SHA256, RSA key exchange (no ECDHE); (5) Python urllib "
        "(ssl context with keylog_filename, set_ciphers ECDHE-ECDSA-AES256-GCM-SHA384, maximum TLS 1.2, ALPN "
        "http/1.1, sends Connection: close). All /index.html 2048 B unless said."),
    "tls-resumed": (
        "Two resumptions. (a) nginx 1.22, TLS 1.3 only, on 127.0.0.1:{pr}: one curl invocation fetching "
        "/index.html then --next /missing (404, 345 B), both with 'Connection: close', so curl opens a second "
        "connection and offers the session ticket it got on the first: connection 2's ServerHello carries "
        "the pre_shared_key extension (PSK resumption, no Certificate). (b) openssl s_server -WWW "
        "-no_ticket -naccept 2 (TLS 1.2, EC certificate) on 127.0.0.1:{ps}: 'openssl s_client -tls1_2 "
        "-cipher ECDHE-ECDSA-AES128-GCM-SHA256 -sess_out' then the same with '-sess_in' (s_client prints "
        "'New,' then 'Reused,'); each sends 'GET /index.html HTTP/1.0' + Host on stdin and s_server -WWW "
        "answers 'HTTP/1.0 200 ok' + Content-type and the file (2048 B), close-delimited. Connection 4 "
        "resumes by session id (ServerHello echoes the ClientHello's session id, no Certificate). No ALPN "
        "from s_client. Keys: curl's SSLKEYLOGFILE lines then s_client -keylogfile lines, one file."),
    "tls13-nokeys": (
        "nginx 1.22, TLS 1.3 only, on 127.0.0.1:{pn}; one curl (--tls13-ciphers TLS_AES_256_GCM_SHA384) "
        "fetching /index.html and /missing on one connection. No key log is given: nothing after the "
        "ServerHello can be read, so there are no transactions; only the TLS facts visible in clear (version "
        "and suite from the ServerHello, SNI and offered ALPN from the ClientHello; the selected ALPN is in "
        "the encrypted EncryptedExtensions, hence null)."),
    "tls12-partial-keys": (
        "nginx 1.22, TLS 1.2 only, on 127.0.0.1:{pp}; two curl invocations (ECDHE-ECDSA-AES128-GCM-SHA256): "
        "(1) /index.html, (2) /index.html + /missing. Each wrote its own SSLKEYLOGFILE; "
        "tls12-partial-keys.keys is only the first one's (one CLIENT_RANDOM line), so connection 2 cannot be "
        "decrypted: no transactions for it, only its TLS facts (all visible in clear in TLS 1.2)."),
    "tls12-cbc": (
        "nginx 1.22, TLS 1.2 only, ssl_ciphers ECDHE-ECDSA-AES128-SHA (EC certificate) on 127.0.0.1:{pc}; one "
        "curl --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-SHA (OpenSSL 3.0 allows this SHA-1 CBC suite at the "
        "default security level; curl -v reports 'TLSv1.2 / ECDHE-ECDSA-AES128-SHA') fetching /index.html "
        "(200, 2048 B), SSLKEYLOGFILE=tls12-cbc.keys (one CLIENT_RANDOM line). The suite is "
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, which httpscope does not decrypt: the connection's TLS facts "
        "(all in clear in TLS 1.2) with decryption 'unsupported', and no transactions although the keys are "
        "given. Known difference: tshark 4.0 does decrypt it with the key log (tshark -r tls12-cbc.pcapng -o "
        "tls.keylog_file:tls12-cbc.keys -d tcp.port=={pc},tls -Y http shows the GET and the 200 with 2048 B); "
        "tls-captures.sh checks that, and tshark_compare.py tolerates it (KNOWN)."),
}


def write_site(root):
    files = {
        "index.html": golden.index_html(SIZES["index.html"]),
        "medium.bin": golden._stream("tls-medium", SIZES["medium.bin"]),
        "errors/404.html": golden.not_found_html(SIZES["404.html"]),
    }
    for name, data in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (golden.MTIME, golden.MTIME))
        assert os.path.getsize(path) == SIZES[os.path.basename(name)], path


def body_size(target):
    return SIZES["404.html"] if target == "/missing" else SIZES[target.lstrip("/")]


def status(target):
    return 404 if target == "/missing" else 200


def expected(name):
    txs, conns = [], []
    for c, (client, port, version, cipher, targets, resumed, keys) in enumerate(RUNS[name], 1):
        # what is visible: TLS 1.3 selected ALPN sits in EncryptedExtensions (needs the keys)
        offered = [] if client == "s_client" else ["http/1.1"]
        alpn = offered[0] if offered else None
        if version == "TLS 1.3" and not keys:
            alpn = None
        info = {"version": version, "cipher_suite": IANA[cipher], "sni": HOST, "alpn": alpn, "resumed": resumed}
        decryption = "unsupported" if cipher in UNSUPPORTED else "decrypted" if keys else "no_keys"
        conns.append(dict({"connection": c}, **info, alpn_offered=offered, decryption=decryption))
        if decryption != "decrypted":
            continue
        for pos, target in enumerate(targets):
            t = golden.tx("GET", f"https://{HOST}:{port}{target}", status(target), resp=body_size(target),
                          connection=c, position=pos)
            t["tls"] = dict(info)
            txs.append(t)
    ports = dict(p13=PORT_TLS13, p12=PORT_TLS12, pr=PORT_RESUME13, ps=PORT_SSERVER, pn=PORT_NOKEYS,
                 pp=PORT_PARTIAL, pc=PORT_CBC)
    return {"capture": CAPTURE[name], "keylog": KEYLOG[name], "transactions": txs, "tls_connections": conns,
            "notes": NOTES[name].format(**ports)}


def pyclient(url, keylog, cipher):
    real = socket.getaddrinfo

    def getaddrinfo(host, *a, **k):
        return real("127.0.0.1" if host == HOST else host, *a, **k)
    socket.getaddrinfo = getaddrinfo
    ctx = ssl.create_default_context(cafile=os.environ["GOLDEN_CA"])
    ctx.keylog_filename = keylog
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(cipher)
    ctx.set_alpn_protocols(["http/1.1"])
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
            print(r.status, len(r.read()))
    except urllib.error.HTTPError as e:
        print(e.code, len(e.read()))


def main(argv):
    if len(argv) == 2 and argv[0] == "site":
        return write_site(argv[1])
    if len(argv) == 3 and argv[0] == "expected":
        with open(argv[2], "w") as f:
            json.dump(expected(argv[1]), f, indent=2)
            f.write("\n")
        return
    if len(argv) == 4 and argv[0] == "pyclient":
        return pyclient(*argv[1:])
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
