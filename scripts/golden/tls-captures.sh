#!/usr/bin/env bash
# Regenerate the TLS golden captures, their key logs and expected files under tests/golden/:
#   tls13-nginx, tls12-nginx, tls-resumed, tls13-nokeys, tls12-partial-keys, tls12-cbc (.pcapng,
#   .keys, .tls-expected.json). Run by `make-captures.sh tls` (alone) and by `make-captures.sh` (all).
#
#   tls-captures.sh          # every TLS capture
#   tls-captures.sh cbc      # only tls12-cbc (= make-captures.sh tls-cbc); the others are left alone
#
# Needs root (tcpdump), nginx, openssl, curl, python3 >= 3.8, tshark, editcap. Loopback only,
# ports 18090-18099. A throwaway CA and server certificates (EC P-256 and RSA-2048, for
# golden.test / 127.0.0.1) are made with openssl in a temp dir at each run and thrown away.
# The connections are described by RUNS in tls_golden.py; this script drives the clients,
# checks what they report, and the expected files come from tls_golden.py.
set -euo pipefail
ONLY=${1:-all}
case $ONLY in all|cbc) ;; *) echo "usage: $0 [cbc]   (no argument: every TLS capture)" >&2; exit 2;; esac
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # HERE ROOT OUT PY die log want need_* make_work wait_listen start/stop_capture ...

need_tools "" tcpdump tshark editcap capinfos curl python3 ss nginx openssl
need_root
P13=18090 P12=18091 PSS=18092 PNK=18093 PPK=18094 PR13=18095 PCBC=18096
for p in $P13 $P12 $PSS $PNK $PPK $PR13 $PCBC; do need_free_port ltn $p; done

make_work -tls

# ---------------------------------------------------------------- certificates
log "throwaway CA and certificates"
C=$WORK/certs; mkdir -p "$C"
openssl ecparam -name prime256v1 -genkey -noout -out "$C/ca.key"
openssl req -x509 -new -key "$C/ca.key" -sha256 -days 30 -subj "/CN=httpscope golden test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out "$C/ca.crt"
printf 'subjectAltName=DNS:golden.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$C/ext.cnf"
openssl ecparam -name prime256v1 -genkey -noout -out "$C/ec.key"
openssl genrsa -out "$C/rsa.key" 2048 2>/dev/null
for k in ec rsa; do
  openssl req -new -key "$C/$k.key" -subj "/CN=golden.test/O=httpscope golden ($k)" -out "$C/$k.csr"
  openssl x509 -req -in "$C/$k.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial -days 30 -sha256 \
    -extfile "$C/ext.cnf" -out "$C/$k.crt" 2>/dev/null
  openssl verify -CAfile "$C/ca.crt" "$C/$k.crt" >/dev/null || die "certificate $k does not verify"
done
export GOLDEN_CA=$C/ca.crt

# ---------------------------------------------------------------- nginx
"${PY[@]}" "$HERE/tls_golden.py" site "$WORK/www"
mkdir -p "$WORK/nginx/tmp" "$WORK/cap"
tls13() { printf 'ssl_protocols TLSv1.3; ssl_certificate %s/ec.crt; ssl_certificate_key %s/ec.key;' "$C" "$C"; }
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
    types { text/html html; application/octet-stream bin; }
    default_type application/octet-stream;
    server_tokens off;
    sendfile off;
    output_buffers 2 8k;
    keepalive_timeout 65;
    gzip off;
    root $WORK/www;
    error_page 404 /errors/404.html;
    # no http2 anywhere: ALPN selects http/1.1
    server { listen 127.0.0.1:$P13 ssl; server_name golden.test; $(tls13) }
    server { listen 127.0.0.1:$PNK ssl; server_name golden.test; $(tls13) }
    server { listen 127.0.0.1:$PR13 ssl; server_name golden.test; $(tls13) ssl_session_tickets on; }
    server {
        listen 127.0.0.1:$P12 ssl; listen 127.0.0.1:$PPK ssl; server_name golden.test;
        ssl_protocols TLSv1.2;
        ssl_certificate $C/ec.crt; ssl_certificate_key $C/ec.key;
        ssl_certificate $C/rsa.crt; ssl_certificate_key $C/rsa.key;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:AES128-GCM-SHA256;
        ssl_session_tickets off;
    }
    server {
        # tls12-cbc: only a CBC suite that httpscope does not decrypt (OpenSSL 3.0 allows it at
        # the default security level 1 in TLS 1.2); encrypt_then_mac is whatever OpenSSL negotiates
        listen 127.0.0.1:$PCBC ssl; server_name golden.test;
        ssl_protocols TLSv1.2;
        ssl_certificate $C/ec.crt; ssl_certificate_key $C/ec.key;
        ssl_ciphers ECDHE-ECDSA-AES128-SHA;
        ssl_session_tickets off;
    }
}
CONF
start_nginx
for p in $P13 $P12 $PNK $PPK $PR13 $PCBC; do wait_listen $p; done

W=(-w '%{http_code} %{size_download} %{num_connects}\n' -o /dev/null)
# per-transfer options (reset by --next, so repeated in each segment)
copts() { # port
  CO=(--http1.1 --cacert "$C/ca.crt" --resolve "golden.test:$1:127.0.0.1" "${W[@]}")
}
CURL=(curl -sS --max-time 20)
# curl_run PORT KEYLOG VERSION CIPHER [extra-opts...] -- TARGETS...   (one curl process)
curl_run() {
  local port=$1 keylog=$2 ver=$3 cipher=$4; shift 4
  local extra=() args=() n=0
  while [[ $1 != -- ]]; do extra+=("$1"); shift; done; shift
  copts "$port"
  if [[ $ver == 1.3 ]]; then CO+=(--tlsv1.3 --tls13-ciphers "$cipher"); else CO+=(--tlsv1.2 --tls-max 1.2 --ciphers "$cipher"); fi
  for t in "$@"; do
    ((n++ == 0)) || args+=(--next)
    args+=("${CO[@]}" "${extra[@]}" "https://golden.test:$port$t")
  done
  if [[ -n $keylog ]]; then SSLKEYLOGFILE=$keylog "${CURL[@]}" "${args[@]}"; else env -u SSLKEYLOGFILE "${CURL[@]}" "${args[@]}"; fi
}
finish() { # name
  editcap -F pcapng "$(capfile "$1")" "$OUT/$1.pcapng"
  "${PY[@]}" "$HERE/tls_golden.py" expected "$1" "$OUT/$1.tls-expected.json"
}

# ---------------------------------------------------------------- tls13-nginx
if want all; then
log "tls13-nginx.pcapng"
K=$WORK/tls13-nginx.keys; : >"$K"
start_capture PID "$(capfile tls13-nginx)" -i lo "tcp port $P13"
{
  curl_run $P13 "$K" 1.3 TLS_AES_128_GCM_SHA256 -- /index.html /medium.bin /missing
  curl_run $P13 "$K" 1.3 TLS_AES_256_GCM_SHA384 -- /index.html
  curl_run $P13 "$K" 1.3 TLS_CHACHA20_POLY1305_SHA256 -- /index.html
} >"$WORK/c1.txt"
stop_capture "$PID" "$(capfile tls13-nginx)"
expect_lines "$WORK/c1.txt" "200 2048 1 200 102400 0 404 345 0 200 2048 1 200 2048 1 "
cp "$K" "$OUT/tls13-nginx.keys"; finish tls13-nginx
fi

# ---------------------------------------------------------------- tls12-nginx
if want all; then
log "tls12-nginx.pcapng"
K=$WORK/tls12-nginx.keys; : >"$K"
start_capture PID "$(capfile tls12-nginx)" -i lo "tcp port $P12"
{
  curl_run $P12 "$K" 1.2 ECDHE-ECDSA-AES128-GCM-SHA256 -- /index.html /missing
  curl_run $P12 "$K" 1.2 ECDHE-RSA-AES256-GCM-SHA384 -- /index.html
  curl_run $P12 "$K" 1.2 ECDHE-ECDSA-CHACHA20-POLY1305 -- /index.html
  curl_run $P12 "$K" 1.2 AES128-GCM-SHA256 -- /index.html
  "${PY[@]}" "$HERE/tls_golden.py" pyclient "https://golden.test:$P12/index.html" "$K" ECDHE-ECDSA-AES256-GCM-SHA384
} >"$WORK/c2.txt"
stop_capture "$PID" "$(capfile tls12-nginx)"
expect_lines "$WORK/c2.txt" "200 2048 1 404 345 0 200 2048 1 200 2048 1 200 2048 1 200 2048 "
[[ $(grep -c '^CLIENT_RANDOM ' "$K") == 5 ]] || die "tls12-nginx: want 5 CLIENT_RANDOM lines"
cp "$K" "$OUT/tls12-nginx.keys"; finish tls12-nginx
fi

# ---------------------------------------------------------------- tls-resumed
if want all; then
log "tls-resumed.pcapng"
K=$WORK/tls-resumed.keys; : >"$K"
(cd "$WORK/www" && exec openssl s_server -accept "127.0.0.1:$PSS" -cert "$C/ec.crt" -key "$C/ec.key" \
   -tls1_2 -no_ticket -WWW -http_server_binmode -naccept 2 >"$WORK/s_server.log" 2>&1) &
SSRV=$!
wait_listen $PSS
sclient() { # sess-option file
  printf 'GET /index.html HTTP/1.0\r\nHost: golden.test:%s\r\n\r\n' $PSS \
    | timeout 20 openssl s_client -connect "127.0.0.1:$PSS" -servername golden.test -CAfile "$C/ca.crt" \
        -verify_return_error -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 -keylogfile "$K" -ign_eof "$1" "$2" 2>/dev/null
}
start_capture PID "$(capfile tls-resumed)" -i lo "tcp port $PR13 or tcp port $PSS"
curl_run $PR13 "$K" 1.3 TLS_AES_128_GCM_SHA256 -H 'Connection: close' -v -- /index.html /missing \
  >"$WORK/c3.txt" 2>"$WORK/c3.err"
sclient -sess_out "$WORK/sess.pem" >"$WORK/s1.out"
sclient -sess_in "$WORK/sess.pem" >"$WORK/s2.out"
stop_capture "$PID" "$(capfile tls-resumed)"
wait "$SSRV" || die "s_server failed: $(cat "$WORK/s_server.log")"
expect_lines "$WORK/c3.txt" "200 2048 1 404 345 1 "
grep -q 'SSL re-using session ID' "$WORK/c3.err" || die "curl did not offer its session again: $(grep -i 'session' "$WORK/c3.err")"
grep -q '^New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256' "$WORK/s1.out" || die "s_client 1: not a new TLS 1.2 session"
grep -q '^Reused, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256' "$WORK/s2.out" || die "s_client 2: session not reused"
"${PY[@]}" - "$WORK/www/index.html" "$WORK/s1.out" "$WORK/s2.out" <<'PYEOF'
import sys
want = b"HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n" + open(sys.argv[1], "rb").read()
for f in sys.argv[2:]:
    assert want in open(f, "rb").read(), f"{f}: s_server -WWW response not as expected"
PYEOF
cp "$K" "$OUT/tls-resumed.keys"; finish tls-resumed
fi

# ---------------------------------------------------------------- tls13-nokeys
if want all; then
log "tls13-nokeys.pcapng"
K=$WORK/tls13-nokeys.private-keys; : >"$K"   # kept out of tests/golden: only to self-check below
start_capture PID "$(capfile tls13-nokeys)" -i lo "tcp port $PNK"
curl_run $PNK "$K" 1.3 TLS_AES_256_GCM_SHA384 -- /index.html /missing >"$WORK/c4.txt"
stop_capture "$PID" "$(capfile tls13-nokeys)"
expect_lines "$WORK/c4.txt" "200 2048 1 404 345 0 "
finish tls13-nokeys
# the content is there (tshark reads it with the withheld keys) but not without them
n=$(tshark -n -r "$OUT/tls13-nokeys.pcapng" -o "tls.keylog_file:$K" -d "tcp.port==$PNK,tls" -Y http 2>/dev/null | wc -l)
[[ $n == 4 ]] || die "tls13-nokeys: with the withheld keys tshark should see 4 HTTP messages, saw $n"
fi

# ---------------------------------------------------------------- tls12-partial-keys
if want all; then
log "tls12-partial-keys.pcapng"
start_capture PID "$(capfile tls12-partial-keys)" -i lo "tcp port $PPK"
{
  curl_run $PPK "$WORK/pk1.keys" 1.2 ECDHE-ECDSA-AES128-GCM-SHA256 -- /index.html
  curl_run $PPK "$WORK/pk2.keys" 1.2 ECDHE-ECDSA-AES128-GCM-SHA256 -- /index.html /missing
} >"$WORK/c5.txt"
stop_capture "$PID" "$(capfile tls12-partial-keys)"
expect_lines "$WORK/c5.txt" "200 2048 1 200 2048 1 404 345 0 "
[[ $(grep -c '^CLIENT_RANDOM ' "$WORK/pk1.keys") == 1 && $(grep -c '^CLIENT_RANDOM ' "$WORK/pk2.keys") == 1 ]] \
  || die "tls12-partial-keys: want one CLIENT_RANDOM line per curl"
cp "$WORK/pk1.keys" "$OUT/tls12-partial-keys.keys"; finish tls12-partial-keys
fi

# ---------------------------------------------------------------- tls12-cbc
# TLS 1.2 with a CBC suite (ECDHE-ECDSA-AES128-SHA = TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA): the key
# log is right (tshark decrypts it, checked here), but httpscope only decrypts AEAD suites, so it
# must report the connection's facts and "unsupported", with no transactions.
if want cbc; then
log "tls12-cbc.pcapng"
K=$WORK/tls12-cbc.keys; : >"$K"
start_capture PID "$(capfile tls12-cbc)" -i lo "tcp port $PCBC"
curl_run $PCBC "$K" 1.2 ECDHE-ECDSA-AES128-SHA -v -- /index.html >"$WORK/c6.txt" 2>"$WORK/c6.err"
stop_capture "$PID" "$(capfile tls12-cbc)"
expect_lines "$WORK/c6.txt" "200 2048 1 "
grep -q 'SSL connection using TLSv1.2 / ECDHE-ECDSA-AES128-SHA' "$WORK/c6.err" \
  || die "tls12-cbc: curl did not negotiate ECDHE-ECDSA-AES128-SHA: $(grep 'SSL connection' "$WORK/c6.err")"
[[ $(grep -c '^CLIENT_RANDOM ' "$K") == 1 ]] || die "tls12-cbc: want 1 CLIENT_RANDOM line"
cp "$K" "$OUT/tls12-cbc.keys"; finish tls12-cbc
# the key log is complete: tshark decrypts the CBC records (request + response)
n=$(tshark -n -r "$OUT/tls12-cbc.pcapng" -o "tls.keylog_file:$OUT/tls12-cbc.keys" -d "tcp.port==$PCBC,tls" -Y http 2>/dev/null | wc -l)
[[ $n == 2 ]] || die "tls12-cbc: with the key log tshark should see 2 HTTP messages, saw $n"
fi

log "tshark cross-check"
if want all; then checked=("$OUT"/tls*.tls-expected.json); else checked=("$OUT/tls12-cbc.tls-expected.json"); fi
"$HERE/tshark-check.sh" "${checked[@]}" >&2 || die "tshark disagrees with the TLS expected files"
if want all; then du -ch "$OUT"/tls*.pcapng "$OUT"/tls*.keys | tail -1 >&2; fi
log "done"
