#!/usr/bin/env bash
# Regenerate the findings golden captures and their <name>.findings-expected.json under tests/golden/:
#   problems.pcap (+ problems.keys), findings-clean.pcapng (+ .keys), conditional-ignored.pcap,
#   etag-not-updated.pcap, duplicate-request.pcap, retry-storm.pcap, retry-backoff.pcap,
#   failed-request-dns.pcapng, failed-request-tls.pcapng (+ failed-request-tls.tls-expected.json)
#
#   findings-captures.sh            # all of them
#   findings-captures.sh NAME       # one of them (= make-captures.sh NAME)
#
# Needs root (tcpdump), nginx 1.22, dnsmasq, openssl, curl, python3 >= 3.8, editcap, capinfos.
# Loopback only, ports 18130-18143 and 18150 (see findings_golden.py). Origins are named with Host headers
# (curl --resolve NAME:PORT:127.0.0.1); a throwaway CA and an EC certificate for *.golden.test
# (valid 3650 days, so cert-expiring stays quiet for years) are made at each run and thrown away.
# The expected files come from findings_golden.py (what is configured), never from a parser.
set -euo pipefail
ALL="problems findings-clean conditional-ignored etag-not-updated duplicate-request retry-storm retry-backoff failed-request-dns failed-request-tls"
ONLY=${1:-all}
[[ $ONLY == all || " $ALL " == *" $ONLY "* ]] || { echo "usage: $0 [$(tr ' ' '|' <<<"$ALL")]" >&2; exit 2; }
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # HERE ROOT OUT PY die log want need_* make_work wait_port start/stop_capture ...
G=("${PY[@]}" "$HERE/findings_golden.py")

need_tools "" tcpdump editcap capinfos curl python3 ss nginx openssl dnsmasq
need_root
for p in $(seq 18130 18143) 18150; do need_free_port ltn "$p" "TCP port"; done
need_free_port lun 18140 "UDP port"

make_work -findings   # cleanup stops nginx and our own background jobs (servers, dnsmasq)
expected() { "${G[@]}" expected "$1" "$OUT/$1.findings-expected.json"; }
mkdir -p "$WORK/cap" "$WORK/nginx/tmp"
W=(-w '%{http_code} %{size_download} %{num_connects}\n' -o /dev/null)
CURL=(curl -sS --http1.1 --max-time 20)
# per-transfer options for plain-HTTP origin NAME:PORT (reset by --next, so repeated per URL)
res() { echo "--resolve" "$1.golden.test:$2:127.0.0.1"; }

needs_nginx=0; needs_dns=0
for n in problems findings-clean; do want $n && needs_nginx=1; done
for n in problems failed-request-dns findings-clean; do want $n && needs_dns=1; done

# ---------------------------------------------------------------- certificates + nginx
if ((needs_nginx)); then
  log "throwaway CA and certificate for *.golden.test"
  C=$WORK/certs; mkdir -p "$C"
  openssl ecparam -name prime256v1 -genkey -noout -out "$C/ca.key"
  openssl req -x509 -new -key "$C/ca.key" -sha256 -days 3650 -subj "/CN=httpscope golden findings CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out "$C/ca.crt"
  printf 'subjectAltName=DNS:*.golden.test,DNS:www.golden.test,DNS:clean.golden.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$C/ext.cnf"
  openssl ecparam -name prime256v1 -genkey -noout -out "$C/ec.key"
  openssl req -new -key "$C/ec.key" -subj "/CN=www.golden.test/O=httpscope golden findings" -out "$C/ec.csr"
  openssl x509 -req -in "$C/ec.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial -days 3650 -sha256 \
    -extfile "$C/ext.cnf" -out "$C/ec.crt" 2>/dev/null
  openssl verify -CAfile "$C/ca.crt" "$C/ec.crt" >/dev/null || die "certificate does not verify"
  "${G[@]}" site "$WORK/www"
  TLS="ssl_protocols TLSv1.3; ssl_certificate $C/ec.crt; ssl_certificate_key $C/ec.key; ssl_session_tickets off;"
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
    types { text/html html; text/css css; application/javascript js; application/json json; }
    default_type application/octet-stream;
    server_tokens off;
    sendfile off;
    output_buffers 2 8k;
    keepalive_timeout 65;
    gzip off;
    gzip_min_length 20;
    gzip_comp_level 1;
    # problems: plain-HTTP www -> https www (same host name, the TLS port)
    server {
        listen 127.0.0.1:18130; server_name www.golden.test;
        location / { add_header Cache-Control "max-age=3600" always; return 301 https://www.golden.test:18131\$request_uri; }
    }
    # problems: HTTPS without Strict-Transport-Security
    server { listen 127.0.0.1:18131 ssl; server_name www.golden.test; $TLS root $WORK/www/www; expires 1h; }
    # problems: keep-alive origin, long-lived static scripts, gzip with Vary
    server {
        listen 127.0.0.1:18134; server_name cdn.golden.test; root $WORK/www/cdn; expires 365d;
        gzip on; gzip_vary on; gzip_types application/javascript;
    }
    # problems: a static script with a 60 s lifetime
    server {
        listen 127.0.0.1:18135; server_name static.golden.test; root $WORK/www/static;
        add_header Cache-Control "max-age=60";
        gzip on; gzip_vary on; gzip_types application/javascript;
    }
    # findings-clean: HSTS (1 year) on every response, long-lived static, revalidated API
    server {
        listen 127.0.0.1:18137 ssl; server_name clean.golden.test; $TLS root $WORK/www/clean;
        add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
        gzip on; gzip_vary on; gzip_types application/javascript text/css;
        location /static/ { expires 365d; }
        location /api/ { expires 0; }
    }
}
CONF
  start_nginx
  for p in 18130 18131 18134 18135 18137; do wait_port ltn $p; done
fi
if ((needs_dns)); then
  host_args=()
  for n in $("${PY[@]}" -c 'import sys; sys.path.insert(0, sys.argv[1]); import findings_golden as g; print(" ".join(g.NAMES))' "$HERE"); do
    host_args+=("--host-record=$n,127.0.0.1")
  done
  dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=18140 --listen-address=127.0.0.1 --bind-interfaces \
    --pid-file="$WORK/dnsmasq.pid" --log-queries --log-facility="$WORK/dnsmasq.log" \
    --local=/golden.test/ --local-ttl=300 "${host_args[@]}" &
  wait_port lun 18140
fi
dnsq() { "${G[@]}" dns "$1" 18140 >>"$WORK/dns.txt"; }
server() { # mode port
  "${G[@]}" serve "$1" "$2" >>"$WORK/servers.log" 2>&1 &
  wait_port ltn "$2"
}

# ---------------------------------------------------------------- problems.pcap
if want problems; then
  log "problems.pcap"
  server shop 18132; server legacy 18133; server plain 18136
  F=$WORK/cap/problems.pcap K=$WORK/problems.keys; : >"$K"; : >"$WORK/dns.txt"
  start_capture PID "$F" -i lo "portrange 18130-18140"
  # 1. www: http:// -> 301 -> https:// (TLS 1.3, no HSTS); one curl process, curl -L
  dnsq www.golden.test
  SSLKEYLOGFILE=$K "${CURL[@]}" "${W[@]}" --compressed -L --cacert "$C/ca.crt" $(res www 18130) $(res www 18131) \
    http://www.golden.test:18130/ >"$WORK/p1.txt"
  # 2. shop: one curl process, one keep-alive connection, 16 requests (+ curl -L on /go)
  dnsq shop.golden.test
  args=(); n=0
  for path in /nocache.json /etag.json /nocache.json /etag.json /account.json /nopolicy.json /report.html \
              /catalog.json /big.json /slow.json /go /missing.html /api/fail /trace.json; do
    ((n++ == 0)) || args+=(--next)
    args+=("${W[@]}" --compressed $(res shop 18132))
    [[ $path == /go ]] && args+=(-L)
    [[ $path == /trace.json ]] && args+=(-H "X-Trace: $(head -c 9216 /dev/zero | tr '\0' 't')")
    args+=("http://shop.golden.test:18132$path")
  done
  "${CURL[@]}" "${args[@]}" >"$WORK/p2.txt"
  dnsq shop.golden.test   # again, well within the 300 s TTL
  # 3. legacy: Connection: close
  dnsq legacy.golden.test
  "${CURL[@]}" "${W[@]}" --compressed $(res legacy 18133) http://legacy.golden.test:18133/legacy.txt >"$WORK/p3.txt"
  # 4. cdn: a second connection while the first (keep-alive) one is still open and idle
  dnsq cdn.golden.test
  "${G[@]}" reuse-client 18134 cdn.golden.test >"$WORK/p4.txt"
  # 5. static: script with max-age=60
  dnsq static.golden.test
  "${CURL[@]}" "${W[@]}" --compressed $(res static 18135) http://static.golden.test:18135/js/widget.js >"$WORK/p5.txt"
  # 6. plain: a client (own source address 127.0.0.2) that never sends Accept-Encoding
  dnsq plain.golden.test
  "${CURL[@]}" --interface 127.0.0.2 "${W[@]}" $(res plain 18136) http://plain.golden.test:18136/plain1.json \
    --next "${W[@]}" --interface 127.0.0.2 $(res plain 18136) http://plain.golden.test:18136/plain2.json >"$WORK/p6.txt"
  dnsq shop.golden.test   # third lookup of shop.golden.test
  stop_capture "$PID" "$F"
  expect_lines "$WORK/p1.txt" "200 1000 2 "
  # size_download: bytes on the wire (gzip bodies: encoded size)
  read -r big_gz report_gz < <("${PY[@]}" -c 'import sys; sys.path.insert(0, sys.argv[1]); import findings_golden as g
print(len(g.gz(g.json_records("big", g.BIG_DECODED))), len(g.gz(g.html_text("report", 4000))))' "$HERE")
  expect_lines "$WORK/p2.txt" "200 400 1 200 400 0 200 400 0 200 400 0 200 300 0 200 300 0 200 $report_gz 0 200 6000 0 200 $big_gz 0 200 300 0 200 300 0 404 50 0 500 15 0 200 300 0 "
  expect_lines "$WORK/p3.txt" "200 45 1 "
  grep -c '^200 .* keep-alive$' "$WORK/p4.txt" | grep -qx 2 || die "reuse-client: $(cat "$WORK/p4.txt")"
  expect_lines "$WORK/p6.txt" "200 500 1 200 500 0 "
  [[ $(awk '{print $1}' "$WORK/p5.txt") == 200 ]] || die "widget.js: $(cat "$WORK/p5.txt")"
  [[ $(grep -c '^NOERROR 300 127.0.0.1$' "$WORK/dns.txt") == 8 ]] || die "dns answers: $(cat "$WORK/dns.txt")"
  [[ $(grep -c '^SERVER_TRAFFIC_SECRET_0 ' "$K") == 1 ]] || die "no TLS 1.3 secrets in the key log"
  cp "$F" "$OUT/problems.pcap"; cp "$K" "$OUT/problems.keys"; expected problems
fi

# ---------------------------------------------------------------- findings-clean.pcapng
if want findings-clean; then
  log "findings-clean.pcapng"
  F=$WORK/cap/findings-clean.pcap K=$WORK/findings-clean.keys; : >"$K"; : >"$WORK/dns.txt"
  ETAG=$("${G[@]}" etag 800)
  CO=("${W[@]}" --compressed --cacert "$C/ca.crt" $(res clean 18137))
  start_capture PID "$F" -i lo "port 18137 or port 18140"
  dnsq clean.golden.test
  SSLKEYLOGFILE=$K "${CURL[@]}" "${CO[@]}" https://clean.golden.test:18137/static/app.js \
    --next "${CO[@]}" https://clean.golden.test:18137/static/style.css \
    --next "${CO[@]}" https://clean.golden.test:18137/api/data.json \
    --next "${CO[@]}" -H "If-None-Match: $ETAG" https://clean.golden.test:18137/api/data.json >"$WORK/c.txt"
  stop_capture "$PID" "$F"
  awk '{print $1, $3}' "$WORK/c.txt" >"$WORK/c2.txt"
  expect_lines "$WORK/c2.txt" "200 1 200 0 200 0 304 0 "
  [[ $(cat "$WORK/dns.txt") == "NOERROR 300 127.0.0.1" ]] || die "dns: $(cat "$WORK/dns.txt")"
  editcap -F pcapng "$F" "$OUT/findings-clean.pcapng"; cp "$K" "$OUT/findings-clean.keys"; expected findings-clean
fi

# ---------------------------------------------------------------- small single-rule captures
two_gets() { # name mode port host path [inm]
  local name=$1 mode=$2 port=$3 host=$4 path=$5 inm=${6:-}
  local co=("${W[@]}" --compressed $(res "$host" "$port"))
  local u="http://$host.golden.test:$port$path"
  if [[ -n $inm ]]; then "${CURL[@]}" "${co[@]}" "$u" --next "${co[@]}" -H "If-None-Match: $inm" "$u"
  else "${CURL[@]}" "${co[@]}" "$u" --next "${co[@]}" "$u"; fi
}
if want conditional-ignored; then
  log "conditional-ignored.pcap"
  server cond 18138
  F=$WORK/cap/conditional-ignored.pcap
  start_capture PID "$F" -i lo "tcp port 18138"
  {
    two_gets x cond 18138 cond /feed.json '"feed-7"'
    two_gets x cond 18138 cond /ok.json '"ok-7"'
  } >"$WORK/ci.txt"
  stop_capture "$PID" "$F"
  expect_lines "$WORK/ci.txt" "200 600 1 200 600 0 200 600 1 304 0 0 "
  cp "$F" "$OUT/conditional-ignored.pcap"; expected conditional-ignored
fi
if want etag-not-updated; then
  log "etag-not-updated.pcap"
  server etagbug 18139
  F=$WORK/cap/etag-not-updated.pcap
  start_capture PID "$F" -i lo "tcp port 18139"
  two_gets x etagbug 18139 etag /status.json '"status-1"' >"$WORK/en.txt"
  stop_capture "$PID" "$F"
  expect_lines "$WORK/en.txt" "200 500 1 200 700 0 "
  cp "$F" "$OUT/etag-not-updated.pcap"; expected etag-not-updated
fi
if want duplicate-request; then
  log "duplicate-request.pcap"
  server dup 18143
  F=$WORK/cap/duplicate-request.pcap
  start_capture PID "$F" -i lo "tcp port 18143"
  co=("${W[@]}" --compressed $(res dup 18143))
  "${CURL[@]}" "${co[@]}" http://dup.golden.test:18143/config.json \
    --next "${co[@]}" http://dup.golden.test:18143/config.json >"$WORK/dr.txt"
  stop_capture "$PID" "$F"
  expect_lines "$WORK/dr.txt" "200 500 1 200 500 0 "
  cp "$F" "$OUT/duplicate-request.pcap"; expected duplicate-request
fi
retry() { # name port delays...
  local name=$1 port=$2; shift 2
  log "$name.pcap"
  F=$WORK/cap/$name.pcap
  start_capture PID "$F" -i lo "tcp port $port"
  "${G[@]}" connect-loop "$port" "$@" >"$WORK/$name.txt"
  stop_capture "$PID" "$F"
  expect_lines "$WORK/$name.txt" "attempt 1: refused attempt 2: refused attempt 3: refused attempt 4: refused "
  cp "$F" "$OUT/$name.pcap"; expected "$name"
}
want retry-storm && retry retry-storm 18141 0.75 0.75 0.75
want retry-backoff && retry retry-backoff 18142 0.5 1.0 2.0
if want failed-request-dns; then
  log "failed-request-dns.pcapng"
  F=$WORK/cap/failed-request-dns.pcap
  start_capture PID "$F" -i lo "port 18140 or portrange 18130-18139"
  "${G[@]}" resolve-or-fail api.nope.golden.test 18140 18132 >"$WORK/fr.txt"
  stop_capture "$PID" "$F"
  expect_lines "$WORK/fr.txt" "NXDOMAIN - -: no connection "
  editcap -F pcapng "$F" "$OUT/failed-request-dns.pcapng"; expected failed-request-dns
fi
if want failed-request-tls; then
  # A TLS 1.3-only openssl s_server and an openssl s_client limited to TLS 1.2: the server
  # answers the ClientHello with a fatal protocol_version alert, and no request is ever sent.
  log "failed-request-tls.pcapng"
  P=$("${G[@]}" port tls-fail)
  T=$WORK/tls-fail; mkdir -p "$T"
  openssl ecparam -name prime256v1 -genkey -noout -out "$T/key.pem"
  openssl req -x509 -new -key "$T/key.pem" -sha256 -days 3650 -subj "/CN=tls-fail.golden.test" -out "$T/cert.pem"
  openssl s_server -quiet -tls1_3 -naccept 1 -accept "127.0.0.1:$P" -cert "$T/cert.pem" -key "$T/key.pem" \
    >"$T/server.log" 2>&1 &
  wait_listen "$P"
  F=$WORK/cap/failed-request-tls.pcap
  start_capture PID "$F" -i lo "tcp port $P"
  if openssl s_client -tls1_2 -connect "127.0.0.1:$P" -servername tls-fail.golden.test </dev/null >"$T/client.log" 2>&1; then
    die "the TLS 1.2 client got through to the TLS 1.3-only server"
  fi
  stop_capture "$PID" "$F"
  grep -q 'alert protocol version' "$T/client.log" || die "no protocol_version alert: $(cat "$T/client.log")"
  editcap -F pcapng "$F" "$OUT/failed-request-tls.pcapng"; expected failed-request-tls
  "${G[@]}" tls-expected failed-request-tls "$OUT/failed-request-tls.tls-expected.json"
fi
log "done"
