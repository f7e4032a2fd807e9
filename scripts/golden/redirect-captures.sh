#!/usr/bin/env bash
# Regenerate tests/golden/redirects.pcap and redirects.expected.json: two redirect chains over plain
# HTTP/1.1, each driven by one `curl -L`. Run by `make-captures.sh redirects` (not part of the full run).
# Needs root (tcpdump), tshark, curl, python3, ss. Loopback only, ports 18121 and 18122. The routes
# and chains are ROUTES / CHAINS in redirect_golden.py, which also writes the expected file.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/tests/golden"
PY=(python3 -B)
die() { echo "redirect-captures.sh: $*" >&2; exit 1; }
log() { printf '== %s\n' "$*" >&2; }

missing=()
for t in tcpdump tshark curl ss python3; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
((${#missing[@]} == 0)) || die "missing tool(s): ${missing[*]}"
[[ $(id -u) == 0 ]] || die "must run as root (tcpdump needs it)"
PA=18121 PB=18122
for p in $PA $PB; do [[ -z $(ss -Hltn "sport = :$p") ]] || die "port $p is already in use"; done

WORK="$(mktemp -d /tmp/httpscope-golden-redir.XXXXXX)"
cleanup() {
  set +e
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  if [[ -n ${GOLDEN_KEEP_WORK:-} ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "redirects.pcap"
"${PY[@]}" "$HERE/redirect_golden.py" serve 60 >"$WORK/server.log" 2>&1 &
for p in $PA $PB; do
  for _ in $(seq 100); do [[ -n $(ss -Hltn "sport = :$p") ]] && break; sleep 0.05; done
  [[ -n $(ss -Hltn "sport = :$p") ]] || die "nothing is listening on port $p: $(cat "$WORK/server.log")"
done
"${PY[@]}" "$HERE/redirect_golden.py" post-body "$WORK/post.bin"
read -r URL0 _ < <("${PY[@]}" "$HERE/redirect_golden.py" chain 0)
read -r URL1 N1 < <("${PY[@]}" "$HERE/redirect_golden.py" chain 1)
[[ $(stat -c %s "$WORK/post.bin") == "$N1" ]] || die "post body size"

F=$WORK/redirects.pcap
tcpdump -U --immediate-mode -B 32768 -w "$F" -i lo "tcp port $PA or tcp port $PB" 2>"$F.stderr" &
TD=$!
for _ in $(seq 100); do grep -q 'listening on' "$F.stderr" 2>/dev/null && break; sleep 0.05; done
grep -q 'listening on' "$F.stderr" || die "tcpdump did not start: $(cat "$F.stderr")"
sleep 0.3
W='%{http_code} %{num_redirects} %{num_connects} %{url_effective}\n'
CURL=(curl -sS --http1.1 --max-time 20 -L -o /dev/null -w "$W")
"${CURL[@]}" "$URL0" >"$WORK/curl.txt"
"${CURL[@]}" -H 'Expect:' -H 'Content-Type: application/octet-stream' --data-binary "@$WORK/post.bin" "$URL1" >>"$WORK/curl.txt"
sleep 0.3
kill -INT "$TD"; wait "$TD" || true
grep -E 'captured|dropped' "$F.stderr" | sed 's/^/   tcpdump: /' >&2
grep -q '^0 packets dropped by kernel' "$F.stderr" || die "tcpdump dropped packets"
sed 's/^/   curl: /' "$WORK/curl.txt" >&2
sed 's/^/   server: /' "$WORK/server.log" >&2
# final status, redirects followed, connections opened (chain 1: one keep-alive connection; chain 2: two)
[[ $(tr '\n' ' ' <"$WORK/curl.txt") == \
   "200 2 1 http://127.0.0.1:$PA/c 200 1 2 http://127.0.0.1:$PB/d " ]] || die "curl -L results differ"
[[ $(awk '{print $1, $2, $3, $4, $5}' "$WORK/server.log" | tr '\n' ' ') == \
   "$PA GET /a 0 301 $PA GET /b 0 302 $PA GET /c 0 200 $PA POST /post $N1 307 $PB POST /d $N1 200 " ]] \
  || die "server saw other requests: $(cat "$WORK/server.log")"
cp "$F" "$OUT/redirects.pcap"
"${PY[@]}" "$HERE/redirect_golden.py" expected "$OUT/redirects.expected.json"

log "tshark cross-check"
"$HERE/tshark-check.sh" "$OUT/redirects.expected.json" >&2 || die "tshark disagrees with redirects.expected.json"
du -h "$OUT/redirects.pcap" >&2
log "done"
