#!/usr/bin/env python3
"""gRPC golden capture (grpc-h2c.pcapng): the calls, server, client and expected file.

CALLS is the single description of what the client sends and the server answers; the expected file
(tests/golden/grpc-h2c.h2-expected.json) is derived from it with a hand-written protobuf encoder
(field 1, wire type 2: 0x0a, varint length, UTF-8 bytes) and the gRPC length prefix (1 flag byte +
4-byte big-endian length), never from a parser. The client checks that the generated stubs
serialize every message to exactly those bytes, and that every reply / status / message is what
CALLS says.

Subcommands:
  expected OUT [VERSIONS]       write OUT (standard library only; VERSIONS goes into the notes)
  server PORT GENDIR SECONDS    serve golden.Greeter on 127.0.0.1:PORT (needs grpcio; stubs in GENDIR)
  client PORT GENDIR            make the three calls on one channel; exit 1 on any surprise
"""
import json
import os
import sys

PORT = 18120
SERVICE = "golden.Greeter"
GRPC_STATUS = {"OK": 0, "NOT_FOUND": 5}

# (method, kind, request name, replies the server sends, status name, status message)
CALLS = [
    ("SayHello", "unary", "golden", ["Hello, golden!"], "OK", None),
    ("LookupGreeting", "unary", "Zoë", [], "NOT_FOUND", "no greeting for Zoë"),
    ("StreamGreetings", "server_streaming", "stream",
     ["Hello #1, stream", "Hello #2, stream", "Hello #3, stream"], "OK", None),
]


def pb_string1(s):
    """Protobuf encoding of a message whose field 1 is the string s (proto3; s non-empty)."""
    b = s.encode("utf-8")
    n, varint = len(b), b""
    while True:
        byte = n & 0x7F
        n >>= 7
        varint += bytes([byte | (0x80 if n else 0)])
        if not n:
            break
    return b"\x0a" + varint + b


def framed(s):
    """gRPC length-prefixed message (uncompressed)."""
    pb = pb_string1(s)
    return b"\x00" + len(pb).to_bytes(4, "big") + pb


def wire_message(msg):
    """grpc-message as on the wire (gRPC's percent-encoding of bytes outside 0x20-0x7e and '%')."""
    if msg is None:
        return None
    return "".join(chr(c) if 0x20 <= c <= 0x7E and c != 0x25 else f"%{c:02X}" for c in msg.encode("utf-8"))


def expected(out, versions=None):
    txs = []
    for pos, (method, kind, name, replies, status, msg) in enumerate(CALLS):
        t = {"method": "POST", "url": f"http://127.0.0.1:{PORT}/{SERVICE}/{method}", "status": 200,
             "request_body_bytes": len(framed(name)),
             "response_body_bytes": sum(len(framed(r)) for r in replies),
             "response_decoded_bytes": None, "complete": True, "incomplete_reasons": [], "tunnel": None,
             "connection": 1, "position": pos, "protocol": "HTTP/2", "stream": 1 + 2 * pos,
             "grpc": {"service": SERVICE, "method": method, "status": GRPC_STATUS[status], "message": msg,
                      "messages": [1, len(replies)]}}
        txs.append(t)
    wire = wire_message(CALLS[1][5])
    doc = {
        "capture": "grpc-h2c.pcapng", "keylog": None, "transactions": txs,
        "h2_connections": [{"connection": 1, "client": "grpcio", "how": "prior_knowledge", "streams": len(CALLS),
                            "stream_ids": [1 + 2 * i for i in range(len(CALLS))], "max_concurrent_at_least": 1}],
        "notes": (
            f"grpcio server (Python, insecure port 127.0.0.1:{PORT}, cleartext HTTP/2 with prior knowledge) and a "
            "grpcio client making three calls one after another on one channel = one TCP connection, streams 1, 3, 5 "
            "(scripts/golden/golden_greeter.proto, stubs generated at capture time). Every request is POST with "
            "content-type application/grpc and te: trailers; :status is 200 for all three, the gRPC outcome is in "
            "grpc-status / grpc-message. Body bytes are the HTTP/2 DATA payload: 5-byte length prefix + protobuf per "
            "message. (1) SayHello name='golden' -> 'Hello, golden!', grpc-status 0 in the trailers, no grpc-message. "
            "(2) LookupGreeting name='Zoë' -> NOT_FOUND (5) with no response message; grpc-message is percent-encoded "
            f"on the wire: '{wire}', grpc.message is the decoded text. (3) StreamGreetings (server streaming) "
            "name='stream' -> 3 messages, then grpc-status 0. grpc.messages = [length-prefixed messages client->server, "
            "server->client]. grpc.status / grpc.message come from the trailers (or the trailers-only response); "
            "grpc.message is null when no grpc-message header is sent or its value is empty (grpcio sends an empty "
            "grpc-message with grpc-status 0)." + (f" Made with {versions}." if versions else "")),
    }
    with open(out, "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")


def load_stubs(gendir):
    sys.path.insert(0, gendir)
    import golden_greeter_pb2 as pb2  # noqa: E402
    import golden_greeter_pb2_grpc as pb2_grpc  # noqa: E402
    return pb2, pb2_grpc


def server(port, gendir, seconds):
    from concurrent import futures
    import grpc
    pb2, pb2_grpc = load_stubs(gendir)
    plan = {m: (replies, status, msg) for m, _, _, replies, status, msg in CALLS}

    class Greeter(pb2_grpc.GreeterServicer):
        def SayHello(self, request, context):
            replies, _, _ = plan["SayHello"]
            assert request.name == CALLS[0][2], request.name
            return pb2.HelloReply(message=replies[0])

        def LookupGreeting(self, request, context):
            _, status, msg = plan["LookupGreeting"]
            assert request.name == CALLS[1][2], request.name
            context.abort(getattr(grpc.StatusCode, status), msg)

        def StreamGreetings(self, request, context):
            replies, _, _ = plan["StreamGreetings"]
            assert request.name == CALLS[2][2], request.name
            for r in replies:
                yield pb2.HelloReply(message=r)

    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=2), options=[("grpc.so_reuseport", 0)])
    pb2_grpc.add_GreeterServicer_to_server(Greeter(), srv)
    bound = srv.add_insecure_port(f"127.0.0.1:{port}")
    assert bound == port, bound
    srv.start()
    print(f"grpc server on 127.0.0.1:{port}, grpcio {grpc.__version__}", flush=True)
    srv.wait_for_termination(timeout=seconds)


def client(port, gendir):
    import grpc
    pb2, pb2_grpc = load_stubs(gendir)
    # the stubs must produce the bytes the expected file is computed from
    for _, _, name, replies, _, _ in CALLS:
        assert pb2.HelloRequest(name=name).SerializeToString() == pb_string1(name), name
        for r in replies:
            assert pb2.HelloReply(message=r).SerializeToString() == pb_string1(r), r
    opts = [("grpc.enable_http_proxy", 0), ("grpc.enable_retries", 0)]
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=opts) as ch:
        stub = pb2_grpc.GreeterStub(ch)
        for method, kind, name, replies, status, msg in CALLS:
            call = getattr(stub, method)
            got, code, details = [], "OK", None
            try:
                if kind == "unary":
                    got = [call(pb2.HelloRequest(name=name), timeout=10).message]
                else:
                    got = [r.message for r in call(pb2.HelloRequest(name=name), timeout=10)]
            except grpc.RpcError as e:
                code, details = e.code().name, e.details()
            print(f"{method} {code} {len(got)} {details!r}", flush=True)
            if (got, code, details) != (replies, status, msg):
                raise SystemExit(f"{method}: got {(got, code, details)}, want {(replies, status, msg)}")
    print(f"grpcio {grpc.__version__}", flush=True)


def main(argv):
    if len(argv) in (2, 3) and argv[0] == "expected":
        return expected(*argv[1:])
    if len(argv) == 4 and argv[0] == "server":
        return server(int(argv[1]), argv[2], float(argv[3]))
    if len(argv) == 3 and argv[0] == "client":
        return client(int(argv[1]), argv[2])
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
