#!/usr/bin/env bash
# Regenerate the HTTP/2 golden captures and their expected files under tests/golden/:
#   h2-nginx-tls (.pcapng, .keys), h2c-prior-knowledge, h2c-upgrade (.pcapng), each with
#   <name>.h2-expected.json. Run by `make-captures.sh h2` (not by the full run: the full run would
#   regenerate the other captures too).
#
#   h2-captures.sh                 # all three
#   h2-captures.sh tls|prior|upgrade   # only one of them; the others are left alone
#
# Needs root (tcpdump), nginx (1.22, http2 module), openssl, curl (with nghttp2), nghttpd and nghttp
# (nghttp2-server, nghttp2-client), /usr/bin/python3 with python3-h2, tshark, editcap. Loopback
# only, ports 18100-18102. The connections are described by RUNS in h2_golden.py; this script drives
# the clients and checks what they report; the expected files come from h2_golden.py.
set -euo pipefail
ONLY=${1:-all}
case $ONLY in all|tls|prior|upgrade) ;; *) echo "usage: $0 [tls|prior|upgrade]" >&2; exit 2;; esac
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # HERE ROOT OUT PY die log want need_* make_work wait_listen start/stop_capture ...
SYSPY=(/usr/bin/python3 -B)   # Debian's python3-h2 lives there

need_tools " (Debian: nghttp2-client nghttp2-server)" tcpdump tshark editcap curl python3 ss nginx openssl nghttpd nghttp gzip
"${SYSPY[@]}" -c 'import h2' 2>/dev/null || die "python3-h2 missing (apt-get install -y python3-h2)"
need_root
PT=18100 PC=18101 PU=18102
for p in $PT $PC $PU; do need_free_port ltn $p; done

make_work -h2
finish() { # name [k=v...]
  local n=$1; shift
  editcap -F pcapng "$(capfile "$n")" "$OUT/$n.pcapng"
  "${PY[@]}" "$HERE/h2_golden.py" expected "$n" "$OUT/$n.h2-expected.json" "$@"
}

"${PY[@]}" "$HERE/h2_golden.py" site "$WORK/www"
mkdir -p "$WORK/nginx/tmp" "$WORK/cap"
W='%{http_code} %{size_download} %{num_connects} %{http_version}\n'
CURL=(curl -sS --max-time 20)

# ---------------------------------------------------------------- h2-nginx-tls
if want tls; then
log "h2-nginx-tls.pcapng"
C=$WORK/certs; mkdir -p "$C"
openssl ecparam -name prime256v1 -genkey -noout -out "$C/ca.key"
openssl req -x509 -new -key "$C/ca.key" -sha256 -days 30 -subj "/CN=httpscope golden test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out "$C/ca.crt"
printf 'subjectAltName=DNS:golden.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$C/ext.cnf"
openssl ecparam -name prime256v1 -genkey -noout -out "$C/ec.key"
openssl req -new -key "$C/ec.key" -subj "/CN=golden.test/O=httpscope golden (h2)" -out "$C/ec.csr"
openssl x509 -req -in "$C/ec.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial -days 30 -sha256 \
  -extfile "$C/ext.cnf" -out "$C/ec.crt" 2>/dev/null
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
    types { text/html html; text/css css; application/octet-stream bin; }
    default_type application/octet-stream;
    server_tokens off;
    sendfile off;
    output_buffers 2 8k;
    keepalive_timeout 65;
    gzip off;
    root $WORK/www;
    error_page 404 /errors/404.html;
    server {
        listen 127.0.0.1:$PT ssl http2; server_name golden.test;
        ssl_protocols TLSv1.3; ssl_certificate $C/ec.crt; ssl_certificate_key $C/ec.key;
        location ~ \.css\$ { gzip on; gzip_types text/css; gzip_min_length 20; gzip_comp_level 1; }
        # without a rate limit nginx writes each 64 KiB response whole before reading the next
        # request (curl's 32 MiB window never blocks it): no interleaving. limit_rate (per
        # request = per stream) makes the four responses trickle out side by side.
        location /par/ { limit_rate 128k; }
    }
}
CONF
start_nginx
wait_listen $PT
B="https://golden.test:$PT"
CO=(--http2 --cacert "$C/ca.crt" --resolve "golden.test:$PT:127.0.0.1")
# the one measured number: nginx's gzip output for style.css over h2 (not captured)
"${CURL[@]}" "${CO[@]}" -H 'Accept-Encoding: gzip' -o "$WORK/style.css.gz" "$B/style.css"
cmp -s "$WORK/www/style.css" <(gzip -d -c "$WORK/style.css.gz") || die "nginx's gzip of style.css does not gunzip to the file"
CSS_GZ=$(stat -c %s "$WORK/style.css.gz")
K=$WORK/h2-nginx-tls.keys; : >"$K"
start_capture PID "$(capfile h2-nginx-tls)" -i lo "tcp port $PT"
SSLKEYLOGFILE=$K "${CURL[@]}" "${CO[@]}" --compressed -w "$W" \
  "$B/index.html" "$B/medium.bin" "$B/missing" "$B/style.css" -o /dev/null -o /dev/null -o /dev/null -o "$WORK/css.out" >"$WORK/c1.txt"
SSLKEYLOGFILE=$K "${CURL[@]}" "${CO[@]}" -Z --parallel-max 4 --no-progress-meter -w "$W" \
  "$B/par/1.bin" "$B/par/2.bin" "$B/par/3.bin" "$B/par/4.bin" -o /dev/null -o /dev/null -o /dev/null -o /dev/null >"$WORK/c2.txt"
stop_capture "$PID" "$(capfile h2-nginx-tls)"
expect_lines "$WORK/c1.txt" "200 2048 1 2 200 102400 0 2 404 345 0 2 200 $CSS_GZ 0 2 "
cmp -s "$WORK/css.out" "$WORK/www/style.css" || die "curl --compressed did not decode style.css to the file"
# -Z prints in completion order: only the multiset matters, and exactly one new connection
[[ $(sort "$WORK/c2.txt" | tr '\n' ' ') == "200 65536 0 2 200 65536 0 2 200 65536 0 2 200 65536 1 2 " ]] \
  || die "curl -Z: $(cat "$WORK/c2.txt")"
[[ $(grep -c '^CLIENT_TRAFFIC_SECRET_0 ' "$K") == 2 ]] || die "h2-nginx-tls: want 2 TLS 1.3 sessions in the key log"
cp "$K" "$OUT/h2-nginx-tls.keys"; finish h2-nginx-tls "css_gz=$CSS_GZ"
# the -Z streams really interleave: DATA frames of connection 2 in wire order, by stream id
tshark -n -r "$OUT/h2-nginx-tls.pcapng" -o "tls.keylog_file:$OUT/h2-nginx-tls.keys" -Y 'tcp.stream==1 && http2.type==0' \
  -T fields -E occurrence=a -E aggregator=, -e http2.streamid 2>/dev/null | tr ',' '\n' >"$WORK/data-order.txt"
"${PY[@]}" - "$WORK/data-order.txt" <<'PYEOF' || die "the -Z streams did not interleave"
import sys
order = [int(l) for l in open(sys.argv[1]) if l.strip()]
runs = [s for i, s in enumerate(order) if i == 0 or order[i - 1] != s]
seen, inter = set(), False
for s in runs:
    inter |= s in seen
    seen.add(s)
print(f"   -Z connection: {len(order)} DATA frames, stream runs: {' '.join(map(str, runs[:40]))}{' ...' if len(runs) > 40 else ''}", file=sys.stderr)
sys.exit(0 if inter and seen == {1, 3, 5, 7} else 1)
PYEOF
nginx_ctl -s stop; NGINX_STARTED=0
fi

# ---------------------------------------------------------------- h2c-prior-knowledge
if want prior; then
log "h2c-prior-knowledge.pcapng"
nghttpd --no-tls -d "$WORK/www" -v $PC >"$WORK/nghttpd.log" 2>&1 &
NGD=$!
wait_listen $PC
B="http://127.0.0.1:$PC"
# nghttpd's built-in 404 page is what h2_golden.py says it is (not captured)
"${CURL[@]}" --http2-prior-knowledge -o "$WORK/404.out" "$B/missing" || true
cmp -s "$WORK/404.out" <("${PY[@]}" "$HERE/h2_golden.py" nghttpd-404 $PC) || die "nghttpd's 404 page differs from h2_golden.nghttpd_404"
start_capture PID "$(capfile h2c-prior-knowledge)" -i lo "tcp port $PC"
"${CURL[@]}" --http2-prior-knowledge -w "$W" -o /dev/null "$B/index.html" >"$WORK/c3.txt"
nghttp -n -v "$B/index.html" "$B/data.bin" "$B/missing" >"$WORK/nghttp.log"
stop_capture "$PID" "$(capfile h2c-prior-knowledge)"
kill "$NGD"; wait "$NGD" 2>/dev/null || true
expect_lines "$WORK/c3.txt" "200 2048 1 2 "
# nghttp's own log: its three HEADERS went out on streams 13, 15, 17 (after PRIORITY anchors 3..11)
got=$(grep -o 'send HEADERS frame <[^>]*stream_id=[0-9]*>' "$WORK/nghttp.log" | grep -o '[0-9]*>$' | tr -d '>' | tr '\n' ' ')
[[ $got == "13 15 17 " ]] || die "nghttp request streams: '$got'"
got=$(grep -o 'send PRIORITY frame <[^>]*stream_id=[0-9]*>' "$WORK/nghttp.log" | grep -o '[0-9]*>$' | tr -d '>' | tr '\n' ' ')
[[ $got == "3 5 7 9 11 " ]] || die "nghttp PRIORITY streams: '$got'"
got=$(grep -o 'recv (stream_id=[0-9]*) :status: [0-9]*' "$WORK/nghttp.log" | sed 's/recv (stream_id=\([0-9]*\)) :status: /\1:/' | tr '\n' ' ')
[[ $got == "13:200 15:200 17:404 " ]] || die "nghttp statuses: '$got'"
finish h2c-prior-knowledge
fi

# ---------------------------------------------------------------- h2c-upgrade
if want upgrade; then
log "h2c-upgrade.pcapng"
"${SYSPY[@]}" "$HERE/h2c_upgrade_server.py" $PU "$WORK/www" 30 >"$WORK/upgrade.log" 2>&1 &
UPS=$!
wait_listen $PU
B="http://127.0.0.1:$PU"
start_capture PID "$(capfile h2c-upgrade)" -i lo "tcp port $PU"
"${CURL[@]}" --http2 -v -w "$W" "$B/index.html" "$B/data.bin" "$B/missing" -o /dev/null -o /dev/null -o /dev/null \
  >"$WORK/c4.txt" 2>"$WORK/c4.err"
stop_capture "$PID" "$(capfile h2c-upgrade)"
kill "$UPS"; wait "$UPS" 2>/dev/null || true
expect_lines "$WORK/c4.txt" "200 2048 1 2 200 20000 0 2 404 10 0 2 "
grep -q '^< HTTP/1.1 101 Switching Protocols' "$WORK/c4.err" || die "no 101 Switching Protocols in curl -v"
grep -q '^> Upgrade: h2c' "$WORK/c4.err" || die "curl did not ask for Upgrade: h2c"
expect_lines "$WORK/upgrade.log" "200 /index.html stream 1 2048 200 /data.bin stream 3 20000 404 /missing stream 5 10 "
finish h2c-upgrade
fi

log "tshark cross-check"
checked=()
want tls && checked+=("$OUT/h2-nginx-tls.h2-expected.json")
want prior && checked+=("$OUT/h2c-prior-knowledge.h2-expected.json")
want upgrade && checked+=("$OUT/h2c-upgrade.h2-expected.json")
"$HERE/tshark-check.sh" "${checked[@]}" >&2 || die "tshark disagrees with the HTTP/2 expected files"
du -ch "$OUT"/h2*.pcapng "$OUT"/h2*.keys 2>/dev/null | tail -1 >&2
log "done"
