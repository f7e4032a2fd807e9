#!/usr/bin/env bash
# Regenerate tests/golden/redirects.pcap and redirects.expected.json: two redirect chains over plain
# HTTP/1.1, each driven by one `curl -L`. Run by `make-captures.sh redirects` (not part of the full run).
# Needs root (tcpdump), tshark, curl, python3, ss. Loopback only, ports 18121 and 18122. The routes
# and chains are ROUTES / CHAINS in redirect_golden.py, which also writes the expected file.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # HERE ROOT OUT PY die log need_* make_work port_up start/stop_capture

need_tools "" tcpdump tshark curl ss python3
need_root
PA=18121 PB=18122
for p in $PA $PB; do need_free_port ltn $p; done

make_work -redir

log "redirects.pcap"
"${PY[@]}" "$HERE/redirect_golden.py" serve 60 >"$WORK/server.log" 2>&1 &
for p in $PA $PB; do
  port_up ltn $p || die "nothing is listening on port $p: $(cat "$WORK/server.log")"
done
"${PY[@]}" "$HERE/redirect_golden.py" post-body "$WORK/post.bin"
read -r URL0 _ < <("${PY[@]}" "$HERE/redirect_golden.py" chain 0)
read -r URL1 N1 < <("${PY[@]}" "$HERE/redirect_golden.py" chain 1)
[[ $(stat -c %s "$WORK/post.bin") == "$N1" ]] || die "post body size"

F=$WORK/redirects.pcap
start_capture TD "$F" -i lo "tcp port $PA or tcp port $PB"
W='%{http_code} %{num_redirects} %{num_connects} %{url_effective}\n'
CURL=(curl -sS --http1.1 --max-time 20 -L -o /dev/null -w "$W")
"${CURL[@]}" "$URL0" >"$WORK/curl.txt"
"${CURL[@]}" -H 'Expect:' -H 'Content-Type: application/octet-stream' --data-binary "@$WORK/post.bin" "$URL1" >>"$WORK/curl.txt"
stop_capture "$TD" "$F"
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
