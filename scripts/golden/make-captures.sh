#!/usr/bin/env bash
# Regenerate the golden captures and their expected transaction lists under tests/golden/.
#
#   sudo scripts/golden/make-captures.sh             # every capture
#   sudo scripts/golden/make-captures.sh encodings   # only encodings.pcapng (+ its expected file)
#   sudo scripts/golden/make-captures.sh tls         # only the TLS captures (tls-captures.sh, ports 18090-18099)
#   sudo scripts/golden/make-captures.sh tls-cbc     # only tls12-cbc (tls-captures.sh cbc, port 18096)
#   sudo scripts/golden/make-captures.sh h2          # only the HTTP/2 captures (h2-captures.sh, ports 18100-18102)
#   sudo scripts/golden/make-captures.sh h2-tls|h2c-prior|h2c-upgrade   # one of them
#   sudo scripts/golden/make-captures.sh dns         # only dns-lookups (dns-captures.sh, ports 18110-18112)
#   sudo scripts/golden/make-captures.sh findings    # the findings captures (findings-captures.sh, ports 18130-18143)
#   sudo scripts/golden/make-captures.sh problems|findings-clean|conditional-ignored|etag-not-updated|
#        duplicate-request|retry-storm|retry-backoff|failed-request-dns   # one findings capture
#   sudo scripts/golden/make-captures.sh grpc        # only grpc-h2c (grpc-captures.sh, port 18120; needs grpcio, see there)
#   sudo scripts/golden/make-captures.sh redirects   # only redirects (redirect-captures.sh, ports 18121-18122)
#
# Needs root (tcpdump). All traffic is on loopback (127.0.0.1 / ::1), on ports 18080-18089.
# Starts its own nginx (own prefix and config in a temp dir, never the system service), a
# python upstream, python -m http.server, the handcrafted server and the encodings server; stops all
# of them on exit. The brotli/zstd/gzip bodies of encodings.pcapng come from the real CLI tools.
# Idempotent: every output file is rewritten. The expected files come from what these scripts
# send and serve (scripts/golden/golden.py, handcrafted.py), then tshark-check.sh cross-checks.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # HERE ROOT OUT PY die log need_* make_work wait_listen start/stop_capture
ONLY=${1:-all}
# findings captures: own script, only on request (not part of the full run)
FINDINGS="problems findings-clean conditional-ignored etag-not-updated duplicate-request retry-storm retry-backoff failed-request-dns"
[[ $ONLY == findings ]] && exec "$(dirname "${BASH_SOURCE[0]}")/findings-captures.sh"
[[ " $FINDINGS " == *" $ONLY "* ]] && exec "$(dirname "${BASH_SOURCE[0]}")/findings-captures.sh" "$ONLY"
case $ONLY in all|encodings|tls|tls-cbc|h2|h2-tls|h2c-prior|h2c-upgrade|dns|grpc|redirects) ;;
  *) die "usage: $0 [encodings|tls|tls-cbc|h2|h2-tls|h2c-prior|h2c-upgrade|dns|grpc|redirects]   (no argument: every HTTP/1 and TLS capture)";; esac
# HTTP/2 and DNS captures: own scripts, only on request (not part of the full run)
[[ $ONLY == h2 ]] && exec "$(dirname "${BASH_SOURCE[0]}")/h2-captures.sh"
[[ $ONLY == h2-tls ]] && exec "$(dirname "${BASH_SOURCE[0]}")/h2-captures.sh" tls
[[ $ONLY == h2c-prior ]] && exec "$(dirname "${BASH_SOURCE[0]}")/h2-captures.sh" prior
[[ $ONLY == h2c-upgrade ]] && exec "$(dirname "${BASH_SOURCE[0]}")/h2-captures.sh" upgrade
[[ $ONLY == dns ]] && exec "$(dirname "${BASH_SOURCE[0]}")/dns-captures.sh"
[[ $ONLY == grpc ]] && exec "$(dirname "${BASH_SOURCE[0]}")/grpc-captures.sh"
[[ $ONLY == redirects ]] && exec "$(dirname "${BASH_SOURCE[0]}")/redirect-captures.sh"
# TLS captures (tls13-nginx, tls12-nginx, tls-resumed, tls13-nokeys, tls12-partial-keys, tls12-cbc): own script
[[ $ONLY == tls ]] && exec "$(dirname "${BASH_SOURCE[0]}")/tls-captures.sh"
[[ $ONLY == tls-cbc ]] && exec "$(dirname "${BASH_SOURCE[0]}")/tls-captures.sh" cbc
tools=(tcpdump tshark editcap mergecap capinfos curl python3 ss brotli zstd gzip)
[[ $ONLY == all ]] && tools+=(nginx)
missing=()
for t in "${tools[@]}"; do
  command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
((${#missing[@]} == 0)) || die "missing tool(s): ${missing[*]} (Debian: apt-get install -y ${missing[*]})"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 8))' || die "python3 >= 3.8 required"
need_root ": sudo $0"

P_KEEP=18080 P_PY=18081 P_HAND=18082 P_V6=18083 P_MA=18084 P_MB=18085 P_ENC=18086 P_UP=18089
ports=($P_KEEP $P_PY $P_HAND $P_V6 $P_MA $P_MB $P_ENC $P_UP)
[[ $ONLY == encodings ]] && ports=($P_ENC)
for p in "${ports[@]}"; do need_free_port ltn "$p"; done

make_work ""
CAPTURE_NONEMPTY=1   # stop_capture: an empty capture is an error

mkdir -p "$OUT" "$WORK/nginx/tmp" "$WORK/cap"
CURL=(curl -sS --http1.1 --max-time 20)
check_curl() { # file-with-lines "code size connects", expected codes...
  local f=$1; shift
  local got; got=$(awk '{print $1}' "$f" | tr '\n' ' ')
  [[ "$got" == "$* " ]] || die "curl status codes: got '$got' want '$* ' ($(cat "$f"))"
}

# ---------------------------------------------------------------- 7. encodings.pcapng
# (runs first so that `make-captures.sh encodings` needs no nginx; numbered as in the README)
encodings_capture() {
  log "7. encodings.pcapng"
  local dir=$WORK/enc F=$WORK/cap/encodings.pcap
  "${PY[@]}" "$HERE/golden.py" enc-site "$dir"
  local plain
  for plain in "$dir"/*.txt; do
    brotli -c "$plain" >"$plain.br"
    zstd -q -c "$plain" >"$plain.zst"
    gzip -n -c "$plain" >"$plain.gz"
    brotli -c "$plain.gz" >"$plain.gz.br"   # Content-Encoding: gzip, br (order of application)
    # the real tools must decode their own output back to the original
    cmp -s "$plain" <(brotli -d -c "$plain.br") || die "brotli round trip failed for $plain"
    cmp -s "$plain" <(zstd -q -d -c "$plain.zst") || die "zstd round trip failed for $plain"
    cmp -s "$plain" <(brotli -d -c "$plain.gz.br" | gzip -d -c) || die "gzip+brotli round trip failed for $plain"
  done
  "${PY[@]}" "$HERE/encodings_server.py" $P_ENC "$dir" 60 >"$WORK/enc.log" 2>&1 &
  local srv=$!
  wait_listen $P_ENC
  local cap_pid args=() facts=() target file suffix accept n=0
  while IFS=$'\t' read -r target file suffix accept; do
    ((n++ == 0)) || args+=(--next)
    args+=(-w '%{http_code} %{size_download} %{num_connects}\n' -o /dev/null
           -H "Accept-Encoding: $accept" "http://127.0.0.1:$P_ENC$target")
    facts+=("$file$suffix=$(stat -c %s "$dir/$file$suffix")")
  done < <("${PY[@]}" "$HERE/golden.py" enc-routes)
  start_capture cap_pid "$F" -i lo "tcp port $P_ENC"
  "${CURL[@]}" "${args[@]}" >"$WORK/curl7.txt"
  stop_capture "$cap_pid" "$F"
  # not captured: curl's own decoders (libcurl with brotli/zstd, chained codings) must get the originals back
  while IFS=$'\t' read -r target file suffix accept; do
    "${CURL[@]}" --compressed -H "Accept-Encoding: $accept" "http://127.0.0.1:$P_ENC$target" \
      | cmp -s "$dir/$file" - || die "curl --compressed $target does not decode to $file"
  done < <("${PY[@]}" "$HERE/golden.py" enc-routes)
  kill "$srv"; wait "$srv" 2>/dev/null || true
  sed 's/^/   curl: /' "$WORK/curl7.txt" >&2
  check_curl "$WORK/curl7.txt" $(printf '200 %.0s' $(seq $n))
  [[ $(awk '{print $3}' "$WORK/curl7.txt" | tr '\n' ' ') == "1 $(printf '0 %.0s' $(seq $((n - 1))))" ]] \
    || die "curl did not reuse the connection for encodings"
  # curl wrote the raw (still encoded) bodies: their sizes must be the compressed files' sizes
  local want; want=$(for f in "${facts[@]}"; do printf '%s ' "${f#*=}"; done)
  [[ $(awk '{print $2}' "$WORK/curl7.txt" | tr '\n' ' ') == "$want" ]] || die "encoded sizes differ: want $want"
  editcap -F pcapng "$F" "$OUT/encodings.pcapng"
  local versions
  versions="$(brotli --version | head -1), zstd $(zstd --version | grep -o 'v[0-9.]*' | head -1), $(gzip --version | head -1)"
  "${PY[@]}" "$HERE/golden.py" expected encodings "$OUT/encodings.expected.json" "${facts[@]}" \
    "tools=Debian $versions"
}
encodings_capture
if [[ $ONLY == encodings ]]; then
  log "tshark cross-check"
  "$HERE/tshark-check.sh" "$OUT/encodings.expected.json" >&2 || die "tshark disagrees with encodings.expected.json"
  du -ch "$OUT/encodings.pcapng" | tail -1 >&2
  log "done: $OUT/encodings.pcapng"
  exit 0
fi

"${PY[@]}" "$HERE/golden.py" site "$WORK/site"

# ---------------------------------------------------------------- servers
cat >"$WORK/nginx/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log info;
events { worker_connections 64; }
http {
    access_log $WORK/nginx/access.log;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    types { text/html html; text/css css; application/json json; application/octet-stream bin; }
    default_type application/octet-stream;
    server_tokens off;
    # no sendfile, 8 KiB output buffers: with TCP_NODELAY each write tends to be its own segment,
    # so big responses span many packets despite lo's 64 KiB MTU
    sendfile off;
    output_buffers 2 8k;
    keepalive_timeout 65;
    etag on;
    gzip on;
    gzip_types text/css;
    gzip_min_length 20;
    gzip_comp_level 1;
    server {
        listen 127.0.0.1:$P_KEEP;
        listen [::1]:$P_V6;
        listen 127.0.0.1:$P_MA;
        listen 127.0.0.1:$P_MB;
        root $WORK/site/www;
        error_page 404 /errors/404.html;
        location /upload { proxy_pass http://127.0.0.1:$P_UP; }
    }
}
CONF
log "starting upstream and nginx"
"${PY[@]}" "$HERE/upload_server.py" $P_UP 600 &
wait_listen $P_UP
start_nginx
wait_listen $P_KEEP; wait_listen $P_V6; wait_listen $P_MA; wait_listen $P_MB

B="http://127.0.0.1:$P_KEEP"
# What nginx's gzip makes of style.css (measured before capturing; its decoding is checked).
curl -sS --fail -H 'Accept-Encoding: gzip' -o "$WORK/style.css.gz" "$B/style.css"
python3 - "$WORK/style.css.gz" "$WORK/site/www/style.css" <<'PYEOF'
import gzip, sys
assert gzip.decompress(open(sys.argv[1], "rb").read()) == open(sys.argv[2], "rb").read()
PYEOF
CSS_GZ=$(stat -c %s "$WORK/style.css.gz")
ETAG=$("${PY[@]}" "$HERE/golden.py" etag index.html)
got_etag=$(curl -sS -I "$B/index.html" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
[[ $got_etag == "$ETAG" ]] || die "nginx ETag $got_etag != expected $ETAG"

# ---------------------------------------------------------------- 1. nginx-keepalive.pcap
log "1. nginx-keepalive.pcap"
F=$WORK/cap/nginx-keepalive.pcap
start_capture PID "$F" -i lo "tcp port $P_KEEP"
W=(-w '%{http_code} %{size_download} %{num_connects}\n' -o /dev/null)
"${CURL[@]}" "${W[@]}" "$B/index.html" \
  --next "${W[@]}" "$B/big.bin" \
  --next "${W[@]}" --compressed "$B/style.css" \
  --next "${W[@]}" -H 'Expect:' -H 'Content-Type: application/x-www-form-urlencoded' \
         --data-binary "@$WORK/site/post/post-small.bin" "$B/upload" \
  --next "${W[@]}" -H 'Expect: 100-continue' -H 'Content-Type: text/plain' \
         --data-binary "@$WORK/site/post/post-expect.bin" "$B/upload" \
  --next "${W[@]}" "$B/missing" >"$WORK/curl1.txt"
"${CURL[@]}" -I "${W[@]}" "$B/index.html" >>"$WORK/curl1.txt"
"${CURL[@]}" "${W[@]}" -H "If-None-Match: $ETAG" "$B/index.html" >>"$WORK/curl1.txt"
stop_capture "$PID" "$F"
sed 's/^/   curl: /' "$WORK/curl1.txt" >&2
check_curl "$WORK/curl1.txt" 200 200 200 200 200 404 200 304
# one connection for the six --next requests: num_connects 1 then 0s
[[ $(awk 'NR<=6{print $3}' "$WORK/curl1.txt" | tr '\n' ' ') == "1 0 0 0 0 0 " ]] || die "curl did not reuse the connection"
[[ $(awk 'NR==3{print $2}' "$WORK/curl1.txt") == "$CSS_GZ" ]] || die "gzip size differs from the pre-fetch"
python3 - "$F" <<'PYEOF'
import sys
d = open(sys.argv[1], "rb").read()
assert d.count(b"HTTP/1.1 100 Continue\r\n\r\n") == 1, "no 100 Continue on the wire"
PYEOF
cp "$F" "$OUT/nginx-keepalive.pcap"

# ---------------------------------------------------------------- 2. python-httpserver.pcap
log "2. python-httpserver.pcap"
"${PY[@]}" -m http.server $P_PY --bind 127.0.0.1 --directory "$WORK/site/py" 2>"$WORK/pyhttp.log" &
PYHTTP=$!
wait_listen $P_PY
F=$WORK/cap/python-httpserver.pcap
start_capture PID "$F" -i lo --time-stamp-precision=nano "tcp port $P_PY"
"${PY[@]}" "$HERE/pyclient.py" "http://127.0.0.1:$P_PY/index.html" "http://127.0.0.1:$P_PY/data.json" \
  "http://127.0.0.1:$P_PY/missing" >"$WORK/py.txt"
"${CURL[@]}" -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$P_PY/hello.txt" >>"$WORK/py.txt"
stop_capture "$PID" "$F"
kill "$PYHTTP"; wait "$PYHTTP" 2>/dev/null || true
sed 's/^/   /' "$WORK/py.txt" >&2
[[ $(awk '{print (NF == 3 ? $2 : $1)}' "$WORK/py.txt" | tr '\n' ' ') == "200 200 404 200 " ]] || die "python http.server run failed"
cp "$F" "$OUT/python-httpserver.pcap"

# ---------------------------------------------------------------- 3. handcrafted-server.pcapng
log "3. handcrafted-server.pcapng"
F=$WORK/cap/handcrafted.pcap
start_capture PID "$F" -i lo "tcp port $P_HAND"
"${PY[@]}" "$HERE/handcrafted.py" server $P_HAND 60 >"$WORK/hand.log" 2>&1 &
HAND=$!
wait_listen $P_HAND
timeout 60 "${PY[@]}" "$HERE/handcrafted.py" client $P_HAND || die "handcrafted client failed"
wait "$HAND" || die "handcrafted server failed: $(cat "$WORK/hand.log")"
stop_capture "$PID" "$F"
editcap -F pcapng "$F" "$OUT/handcrafted-server.pcapng"

# ---------------------------------------------------------------- 4. ipv6-sll2.pcapng
log "4. ipv6-sll2.pcapng"
F=$WORK/cap/ipv6.pcap
start_capture PID "$F" -i any -y LINUX_SLL2 "tcp port $P_V6"
B6="http://[::1]:$P_V6"
"${CURL[@]}" -g "${W[@]}" "$B6/index.html" --next -g "${W[@]}" "$B6/style.css" \
  --next -g "${W[@]}" "$B6/missing" >"$WORK/curl4.txt"
stop_capture "$PID" "$F"
check_curl "$WORK/curl4.txt" 200 200 404
[[ $(capinfos -T -E "$F" | awk -F'\t' 'NR==2{print $2}') == linux-sll2 ]] || die "ipv6 capture is not SLL2"
editcap -F pcapng "$F" "$OUT/ipv6-sll2.pcapng"

# ---------------------------------------------------------------- 5. multi-interface(-ns).pcapng
for variant in us ns; do
  name=multi-interface; prec=()
  [[ $variant == ns ]] && { name=multi-interface-ns; prec=(--time-stamp-precision=nano); }
  log "5. $name.pcapng"
  FA=$WORK/cap/$name-a.pcap FB=$WORK/cap/$name-b.pcap
  start_capture PA "$FA" -i lo "${prec[@]}" "tcp port $P_MA"
  start_capture PB "$FB" -i any -y LINUX_SLL2 "${prec[@]}" "tcp port $P_MB"
  "${CURL[@]}" "${W[@]}" "http://127.0.0.1:$P_MA/index.html" \
    --next "${W[@]}" "http://127.0.0.1:$P_MA/missing" >"$WORK/curl5.txt"
  sleep 0.1
  "${CURL[@]}" "${W[@]}" "http://127.0.0.1:$P_MB/style.css" >>"$WORK/curl5.txt"
  stop_capture "$PA" "$FA"
  stop_capture "$PB" "$FB"
  check_curl "$WORK/curl5.txt" 200 404 200
  mergecap -F pcapng -w "$OUT/$name.pcapng" "$FA" "$FB"
  info=$(capinfos "$OUT/$name.pcapng")
  grep -q 'Number of interfaces in file: 2' <<<"$info" || die "$name: expected 2 interfaces"
  if [[ $variant == ns ]]; then
    [[ $(grep -c 'Time resolution = 0x09' <<<"$info") == 2 ]] || die "$name: IDBs lack if_tsresol=9"
  fi
done

# ---------------------------------------------------------------- 6. edited copies
log "6. edited copies of nginx-keepalive.pcap"
ORIG=$OUT/nginx-keepalive.pcap
BIG=$(stat -c %s "$WORK/site/www/big.bin")
ED=("${PY[@]}" "$HERE/pcapedit.py")
"${ED[@]}" loss "$ORIG" "$OUT/loss.pcap" $P_KEEP "$BIG"
"${ED[@]}" reorder "$ORIG" "$OUT/reorder.pcap" $P_KEEP "$BIG"
"${ED[@]}" midstream "$ORIG" "$OUT/midstream.pcap" $P_KEEP "$BIG"
"${ED[@]}" bigendian "$ORIG" "$OUT/bigendian.pcap"
"${ED[@]}" truncate "$ORIG" "$OUT/truncated.pcap"
"${ED[@]}" gzip "$ORIG" "$OUT/nginx-keepalive.pcap.gz"

# ---------------------------------------------------------------- expected results
log "expected files"
EXP=("${PY[@]}" "$HERE/golden.py" expected)
F1=(css_gz="$CSS_GZ")
"${EXP[@]}" nginx-keepalive "$OUT/nginx-keepalive.expected.json" "${F1[@]}"
"${EXP[@]}" python-httpserver "$OUT/python-httpserver.expected.json"
"${EXP[@]}" handcrafted-server "$OUT/handcrafted-server.expected.json"
"${EXP[@]}" ipv6-sll2 "$OUT/ipv6-sll2.expected.json"
"${EXP[@]}" multi-interface "$OUT/multi-interface.expected.json"
"${EXP[@]}" multi-interface-ns "$OUT/multi-interface-ns.expected.json"
"${EXP[@]}" loss "$OUT/loss.expected.json" "${F1[@]}"
"${EXP[@]}" reorder "$OUT/reorder.expected.json" "${F1[@]}"
"${EXP[@]}" midstream "$OUT/midstream.expected.json" "${F1[@]}"
"${EXP[@]}" bigendian "$OUT/bigendian.expected.json" "${F1[@]}"
"${EXP[@]}" truncated "$OUT/truncated.expected.json" "${F1[@]}"
"${EXP[@]}" nginx-keepalive.pcap.gz "$OUT/nginx-keepalive.pcap.gz.expected.json" "${F1[@]}"

log "tshark cross-check"
"$HERE/tshark-check.sh" "$OUT"/*.expected.json >&2 || die "tshark disagrees with the expected files (see above)"
log "TLS captures"
"$HERE/tls-captures.sh" || die "tls-captures.sh failed"
du -ch "$OUT"/* | tail -1 >&2
log "done: $OUT"
