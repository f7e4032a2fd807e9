#!/usr/bin/env bash
# Print tshark's view of every golden capture and check it against the expected files.
#
#   scripts/golden/tshark-check.sh [tests/golden/NAME.expected.json ...]
#
# With no argument: every *.expected.json and *.tls-expected.json (TLS captures: ports 18090-18099
# decoded as TLS, decrypted with the "keylog" file the expected file names; TLS handshake facts
# compared too). For each capture: a table of HTTP messages as tshark 4.x dissects them (ports 18080-18086
# decoded as HTTP, TCP reassembly incl. out-of-order), then tshark_compare.py, which compares
# requests (method, URL, body bytes) and final responses (status, encoded and decoded body bytes)
# connection by connection with the expected file. Documented tshark quirks (KNOWN in
# tshark_compare.py, also listed in tests/golden/README.md) are tolerated; anything else fails.
# Does not need root.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
command -v tshark >/dev/null 2>&1 || { echo "tshark-check.sh: missing tool: tshark" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "tshark-check.sh: missing tool: python3" >&2; exit 1; }

files=("$@")
((${#files[@]})) || files=("$ROOT"/tests/golden/*.expected.json "$ROOT"/tests/golden/*.tls-expected.json)
DA=()
for p in 18080 18081 18082 18083 18084 18085 18086; do DA+=(-d "tcp.port==$p,http"); done

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
  echo "    frame stream method full_uri code content_length request_in"
  tshark -n -r "$cap" "${DA[@]}" ${TA[@]+"${TA[@]}"} -o tcp.reassemble_out_of_order:TRUE -Y http -T fields \
    -E separator=' ' -E occurrence=a -E aggregator=, \
    -e frame.number -e tcp.stream -e http.request.method -e http.request.full_uri \
    -e http.response.code -e http.content_length -e http.request_in 2>/dev/null \
    | sed 's/^/    /' || true
  python3 -B "$HERE/tshark_compare.py" "$exp" || rc=1
done
exit $rc
