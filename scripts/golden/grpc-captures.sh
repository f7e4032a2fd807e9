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
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/tests/golden"
GPY=("${GRPC_PYTHON:-python3}" -B)
die() { echo "grpc-captures.sh: $*" >&2; exit 1; }
log() { printf '== %s\n' "$*" >&2; }

missing=()
for t in tcpdump tshark editcap ss python3; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
((${#missing[@]} == 0)) || die "missing tool(s): ${missing[*]}"
"${GPY[@]}" -c 'import grpc, grpc_tools.protoc' 2>/dev/null \
  || die "${GPY[0]} lacks grpcio/grpcio-tools: python3 -m venv V && V/bin/pip install grpcio grpcio-tools; GRPC_PYTHON=V/bin/python $0"
[[ $(id -u) == 0 ]] || die "must run as root (tcpdump needs it)"
P=18120
[[ -z $(ss -Hltn "sport = :$P") ]] || die "port $P is already in use"

WORK="$(mktemp -d /tmp/httpscope-golden-grpc.XXXXXX)"
cleanup() {
  set +e
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  if [[ -n ${GOLDEN_KEEP_WORK:-} ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "grpc-h2c.pcapng"
mkdir -p "$WORK/gen"
"${GPY[@]}" -m grpc_tools.protoc -I"$HERE" --python_out="$WORK/gen" --grpc_python_out="$WORK/gen" \
  "$HERE/golden_greeter.proto" || die "protoc failed"
VERSIONS=$("${GPY[@]}" -c 'import grpc, google.protobuf as p; from importlib.metadata import version as v; t = v("grpcio-tools"); print(f"grpcio {grpc.__version__}, grpcio-tools {t}, protobuf {p.__version__}")')
log "$VERSIONS"
"${GPY[@]}" "$HERE/grpc_golden.py" server $P "$WORK/gen" 60 >"$WORK/server.log" 2>&1 &
SRV=$!
for _ in $(seq 100); do [[ -n $(ss -Hltn "sport = :$P") ]] && break; sleep 0.05; done
[[ -n $(ss -Hltn "sport = :$P") ]] || die "grpc server did not start: $(cat "$WORK/server.log")"

F=$WORK/grpc-h2c.pcap
tcpdump -U --immediate-mode -B 32768 -w "$F" -i lo "tcp port $P" 2>"$F.stderr" &
TD=$!
for _ in $(seq 100); do grep -q 'listening on' "$F.stderr" 2>/dev/null && break; sleep 0.05; done
grep -q 'listening on' "$F.stderr" || die "tcpdump did not start: $(cat "$F.stderr")"
sleep 0.3
timeout 30 "${GPY[@]}" "$HERE/grpc_golden.py" client $P "$WORK/gen" >"$WORK/client.log" 2>&1 \
  || die "grpc client failed: $(cat "$WORK/client.log")"
sleep 0.3
kill -INT "$TD"; wait "$TD" || true
grep -E 'captured|dropped' "$F.stderr" | sed 's/^/   tcpdump: /' >&2
grep -q '^0 packets dropped by kernel' "$F.stderr" || die "tcpdump dropped packets"
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
