#!/usr/bin/env bash
# Regenerate tests/golden/grpc-h2c.pcapng and grpc-h2c.h2-expected.json: a real gRPC exchange over
# cleartext HTTP/2 (prior knowledge) between a Python grpcio server and client on 127.0.0.1:18120.
# Run by `make-captures.sh grpc` (not part of the full run).
#
# Needs root (tcpdump), tshark, editcap, ss and a Python with grpcio + grpcio-tools (not Debian
# packages; e.g. `python3 -m venv /tmp/grpc-venv && /tmp/grpc-venv/bin/pip install grpcio grpcio-tools`,
# then GRPC_PYTHON=/tmp/grpc-venv/bin/python). The stubs are generated from golden_greeter.proto
# with grpc_tools.protoc into a temp dir at capture time. The calls are CALLS in grpc_golden.py;
# the expected file is written by grpc_golden.py from CALLS (standard library only).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # HERE ROOT OUT die log need_* make_work port_up start/stop_capture
GPY=("${GRPC_PYTHON:-python3}" -B)

need_tools "" tcpdump tshark editcap ss python3
"${GPY[@]}" -c 'import grpc, grpc_tools.protoc' 2>/dev/null \
  || die "${GPY[0]} lacks grpcio/grpcio-tools: python3 -m venv V && V/bin/pip install grpcio grpcio-tools; GRPC_PYTHON=V/bin/python $0"
need_root
P=18120
need_free_port ltn $P

make_work -grpc

log "grpc-h2c.pcapng"
mkdir -p "$WORK/gen"
"${GPY[@]}" -m grpc_tools.protoc -I"$HERE" --python_out="$WORK/gen" --grpc_python_out="$WORK/gen" \
  "$HERE/golden_greeter.proto" || die "protoc failed"
VERSIONS=$("${GPY[@]}" -c 'import grpc, google.protobuf as p; from importlib.metadata import version as v; t = v("grpcio-tools"); print(f"grpcio {grpc.__version__}, grpcio-tools {t}, protobuf {p.__version__}")')
log "$VERSIONS"
"${GPY[@]}" "$HERE/grpc_golden.py" server $P "$WORK/gen" 60 >"$WORK/server.log" 2>&1 &
SRV=$!
port_up ltn $P || die "grpc server did not start: $(cat "$WORK/server.log")"

F=$WORK/grpc-h2c.pcap
start_capture TD "$F" -i lo "tcp port $P"
timeout 30 "${GPY[@]}" "$HERE/grpc_golden.py" client $P "$WORK/gen" >"$WORK/client.log" 2>&1 \
  || die "grpc client failed: $(cat "$WORK/client.log")"
stop_capture "$TD" "$F"
kill "$SRV"; wait "$SRV" 2>/dev/null || true
sed 's/^/   client: /' "$WORK/client.log" >&2
# what the client saw is what CALLS says (grpc_golden.py client already exits 1 otherwise)
[[ $(head -3 "$WORK/client.log" | awk '{print $1, $2, $3}' | tr '\n' ' ') == \
   "SayHello OK 1 LookupGreeting NOT_FOUND 0 StreamGreetings OK 3 " ]] || die "unexpected client results"
# one TCP connection; the NOT_FOUND message went out percent-encoded
[[ $(tshark -n -r "$F" -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l) == 1 ]] || die "more than one connection"
tshark -n -r "$F" -d tcp.port==$P,http2 -Y 'http2.header.name == "grpc-message"' -T fields -E occurrence=a \
  -E aggregator='|' -e http2.header.value 2>/dev/null | grep -q 'no greeting for Zo%C3%AB' \
  || die "grpc-message is not 'no greeting for Zo%C3%AB' on the wire"
editcap -F pcapng "$F" "$OUT/grpc-h2c.pcapng"
"${GPY[@]}" "$HERE/grpc_golden.py" expected "$OUT/grpc-h2c.h2-expected.json" "$VERSIONS"

log "tshark cross-check"
"$HERE/tshark-check.sh" "$OUT/grpc-h2c.h2-expected.json" >&2 || die "tshark disagrees with grpc-h2c.h2-expected.json"
du -h "$OUT/grpc-h2c.pcapng" >&2
log "done"
