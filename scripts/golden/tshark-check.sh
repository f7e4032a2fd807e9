#!/usr/bin/env bash
# Print tshark's view of every golden capture and check it against the expected files.
#
#   scripts/golden/tshark-check.sh [tests/golden/NAME.expected.json ...]
#
# With no argument: every *.expected.json and *.tls-expected.json (TLS captures: ports 18090-18099
# decoded as TLS, decrypted with the "keylog" file the expected file names; TLS handshake facts
# compared too). For each capture: a table of HTTP messages as tshark 4.x dissects them (ports 18080-18086
# and 18121-18122 (redirects) decoded as HTTP, TCP reassembly incl. out-of-order), then tshark_compare.py, which compares
# requests (method, URL, body bytes) and final responses (status, encoded and decoded body bytes)
# connection by connection with the expected file. Documented tshark quirks (KNOWN in
# tshark_compare.py, also listed in tests/golden/README.md) are tolerated; anything else fails.
# *.h2-expected.json (HTTP/2: 18100 TLS + key log, 18101 h2c, 18102 HTTP/1.1 upgraded to h2c,
# 18120 gRPC over h2c — plus a table of tshark's gRPC messages, -Y grpc) and
# *.dns-expected.json (DNS on 18110/18112 UDP+TCP, HTTP on 18111): a table of HTTP/2 HEADERS frames
# or DNS messages, then tshark_h2dns.py (via tshark_compare.py).
# Does not need root.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
command -v tshark >/dev/null 2>&1 || { echo "tshark-check.sh: missing tool: tshark" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "tshark-check.sh: missing tool: python3" >&2; exit 1; }

files=("$@")
((${#files[@]})) || files=("$ROOT"/tests/golden/*.expected.json "$ROOT"/tests/golden/*.tls-expected.json \
  "$ROOT"/tests/golden/*.h2-expected.json "$ROOT"/tests/golden/*.dns-expected.json)
DA=()
for p in 18080 18081 18082 18083 18084 18085 18086 18121 18122; do DA+=(-d "tcp.port==$p,http"); done

rc=0
for exp in "${files[@]}"; do
  cap="$(dirname "$exp")/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["capture"])' "$exp")"
  # *.tls-expected.json: ports 18090-18099 are TLS, decrypted with the key log the file names (if any)
  TA=()
  keylog=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("keylog") or "")' "$exp")
  if [[ $exp == *.tls-expected.json ]]; then
    for p in $(seq 18090 18099); do TA+=(-d "tcp.port==$p,tls"); done
    [[ -z $keylog ]] || TA+=(-o "tls.keylog_file:$(dirname "$exp")/$keylog")
  fi
  echo "=== $(basename "$cap")${keylog:+ (key log $keylog)}"
  if [[ $exp == *.h2-expected.json ]]; then
    HA=(-d tcp.port==18101,http2 -d tcp.port==18120,http2 -d tcp.port==18102,http -d tcp.port==18100,tls)
    [[ -z $keylog ]] || HA+=(-o "tls.keylog_file:$(dirname "$exp")/$keylog")
    echo "    frame stream h2-stream header-names header-values (HEADERS frames; HTTP/1.1 upgrade request)"
    tshark -n -r "$cap" "${HA[@]}" -Y 'http2.type==1 || http.request' -T fields -E separator=' ' \
      -E occurrence=a -E aggregator=, -e frame.number -e tcp.stream -e http2.streamid \
      -e http.request.method -e http.request.uri -e http2.header.name -e http2.header.value 2>/dev/null \
      | cut -c1-220 | sed 's/^/    /' || true
    if grep -q '"grpc"' "$exp"; then
      echo "    frame stream h2-stream grpc(request/response) message-lengths compressed (tshark's gRPC dissector, -Y grpc)"
      tshark -n -r "$cap" "${HA[@]}" -Y grpc -T fields -E separator=' ' -E occurrence=a -E aggregator=, \
        -e frame.number -e tcp.stream -e http2.streamid -e grpc -e grpc.message_length -e grpc.compressed_flag \
        2>/dev/null | sed 's/^/    /' || true
    fi
    python3 -B "$HERE/tshark_compare.py" "$exp" || rc=1
    continue
  fi
  if [[ $exp == *.dns-expected.json ]]; then
    DN=(-d udp.port==18110,dns -d tcp.port==18110,dns -d udp.port==18112,dns -d tcp.port==18112,dns -d tcp.port==18111,http)
    echo "    frame proto srcport dstport id response qname qtype rcode answers(a,aaaa,cname) | http method uri code"
    tshark -n -r "$cap" "${DN[@]}" -Y 'dns || http' -T fields -E separator=' ' -E occurrence=a -E aggregator=, \
      -e frame.number -e ip.proto -e udp.srcport -e tcp.srcport -e udp.dstport -e tcp.dstport -e dns.id \
      -e dns.flags.response -e dns.qry.name -e dns.qry.type -e dns.flags.rcode -e dns.a -e dns.aaaa -e dns.cname \
      -e http.request.method -e http.request.full_uri -e http.response.code 2>/dev/null | sed 's/^/    /' || true
    python3 -B "$HERE/tshark_compare.py" "$exp" || rc=1
    continue
  fi
  echo "    frame stream method full_uri code content_length request_in"
  tshark -n -r "$cap" "${DA[@]}" ${TA[@]+"${TA[@]}"} -o tcp.reassemble_out_of_order:TRUE -Y http -T fields \
    -E separator=' ' -E occurrence=a -E aggregator=, \
    -e frame.number -e tcp.stream -e http.request.method -e http.request.full_uri \
    -e http.response.code -e http.content_length -e http.request_in 2>/dev/null \
    | sed 's/^/    /' || true
  python3 -B "$HERE/tshark_compare.py" "$exp" || rc=1
done
exit $rc
