#!/usr/bin/env bash
# Benchmark of TLS decryption: httpscope analyze --keylog vs tshark -o tls.keylog_file on the
# same large capture of real HTTPS keep-alive traffic (curl against nginx, TLS 1.2 and 1.3,
# AES-GCM and ChaCha20-Poly1305, captured by tcpdump, secrets written by curl through
# SSLKEYLOGFILE). Prints MB/s, requests/s and peak memory of both, side by side, in one run.
# Not a test: it prints figures. The plain-HTTP benchmark is scripts/bench.sh.
#
#   sudo scripts/bench-tls.sh                   # 450 MB capture and its key log
#   BENCH_TLS_MB=1000 sudo scripts/bench-tls.sh # a bigger one
#
# Needs root (tcpdump, network namespaces), nginx, curl (built with OpenSSL, which honours
# SSLKEYLOGFILE), openssl, tcpdump, tshark, ethtool, iproute2, GNU time
# (apt-get install nginx curl openssl tcpdump tshark ethtool time). Traffic runs on the
# loopback of a private network namespace whose MTU is $BENCH_MTU (default 1500, offloads
# off, as in bench.sh). Capture and key log are kept in $BENCH_DIR (default ./bench-data,
# ignored by git) and reused when the capture is already big enough.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BENCH_DIR=${BENCH_DIR:-$PWD/bench-data}
BENCH_MB=${BENCH_TLS_MB:-450}
PORT=${BENCH_TLS_PORT:-18991}
MTU=${BENCH_MTU:-1500}
CLIENTS=${BENCH_TLS_CLIENTS:-3}     # curl processes in parallel per round
URLS=${BENCH_TLS_URLS:-300}         # requests per curl process (one keep-alive connection)
NETNS=httpscope-bench-tls-$$
IN_NS=(ip netns exec "$NETNS")

for tool in nginx curl openssl tcpdump tshark ethtool ip /usr/bin/time cargo; do
    command -v "$tool" >/dev/null || { echo "error: $tool is required (see the header of $0)" >&2; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { echo "error: run as root (tcpdump needs it)" >&2; exit 1; }

mkdir -p "$BENCH_DIR"
CAPTURE="$BENCH_DIR/tls-mtu${MTU}-${BENCH_MB}mb.pcap"
KEYS="$BENCH_DIR/tls-mtu${MTU}-${BENCH_MB}mb.keys"
WORK="$BENCH_DIR/tls"

# The client variants, in turn: TLS 1.3 with each AEAD, TLS 1.2 (ECDHE-ECDSA) with each.
VARIANTS=(
    "--tls13-ciphers TLS_AES_128_GCM_SHA256"
    "--tls13-ciphers TLS_CHACHA20_POLY1305_SHA256"
    "--tls-max 1.2 --ciphers ECDHE-ECDSA-AES256-GCM-SHA384"
    "--tls-max 1.2 --ciphers ECDHE-ECDSA-CHACHA20-POLY1305"
    "--tls13-ciphers TLS_AES_256_GCM_SHA384"
    "--tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256"
)

capture() {
    if [[ -f $CAPTURE && -s $KEYS && $(stat -c %s "$CAPTURE") -ge $((BENCH_MB * 1000000)) ]]; then
        echo "reusing $CAPTURE and $KEYS ($(wc -l <"$KEYS") key log lines)"
        return
    fi
    rm -f "$CAPTURE" "$KEYS"
    local root="$WORK/www" conf="$WORK/nginx.conf"
    mkdir -p "$root" "$WORK/nginx-tmp"
    head -c 1024 /dev/urandom | base64 -w 100 >"$root/small.html"
    head -c 16384 /dev/urandom >"$root/medium.bin"
    head -c 131072 /dev/urandom >"$root/large.bin"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
        -subj /CN=bench.httpscope.test -addext subjectAltName=DNS:bench.httpscope.test \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
    cat >"$conf" <<EOF
worker_processes 1;
daemon on;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx-tmp;
    proxy_temp_path $WORK/nginx-tmp;
    fastcgi_temp_path $WORK/nginx-tmp;
    uwsgi_temp_path $WORK/nginx-tmp;
    scgi_temp_path $WORK/nginx-tmp;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$PORT ssl;
        ssl_certificate $WORK/cert.pem;
        ssl_certificate_key $WORK/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;
        ssl_session_cache shared:bench:1m;
        root $root;
    }
}
EOF
    # One config file per client: $URLS requests in the bench.sh mix (1 KB, 16 KB, 128 KB),
    # all on one kept-alive connection.
    local paths=(/small.html /medium.bin /large.bin /small.html /medium.bin)
    : >"$WORK/urls.conf"
    for ((i = 0; i < URLS; i++)); do
        printf 'url = "https://bench.httpscope.test:%s%s"\noutput = "/dev/null"\n' \
            "$PORT" "${paths[i % 5]}" >>"$WORK/urls.conf"
    done
    ip netns add "$NETNS"
    trap 'kill "$(cat "$WORK/nginx.pid" 2>/dev/null)" 2>/dev/null; ip netns del "$NETNS" 2>/dev/null || true' EXIT
    "${IN_NS[@]}" ip link set lo mtu "$MTU" up
    [[ $MTU -gt 1500 ]] || "${IN_NS[@]}" ethtool -K lo tso off gso off gro off >/dev/null
    "${IN_NS[@]}" nginx -c "$conf"
    "${IN_NS[@]}" tcpdump -i lo -s 0 -B 262144 -U -w "$CAPTURE" "tcp port $PORT" 2>"$WORK/tcpdump.log" &
    local dump=$!
    for _ in $(seq 50); do grep -q listening "$WORK/tcpdump.log" && break; sleep 0.1; done
    # Bounded: at most 200 rounds of $CLIENTS curl processes, stopping as soon as the capture
    # is big enough. Each process gets the next TLS variant.
    local round v=0 requests=0 failed=0
    for round in $(seq 200); do
        local pids=()
        for _ in $(seq "$CLIENTS"); do
            # shellcheck disable=SC2086 # the variant is a list of options
            SSLKEYLOGFILE=$KEYS "${IN_NS[@]}" curl --http1.1 -k -s --fail \
                --resolve "bench.httpscope.test:$PORT:127.0.0.1" ${VARIANTS[v % ${#VARIANTS[@]}]} \
                -K "$WORK/urls.conf" &
            pids+=($!)
            v=$((v + 1))
        done
        for p in "${pids[@]}"; do
            if wait "$p"; then requests=$((requests + URLS)); else failed=$((failed + 1)); fi
        done
        [[ $(stat -c %s "$CAPTURE") -ge $((BENCH_MB * 1000000)) ]] && break
    done
    # tcpdump hands packets over in blocks with a 1 s timeout and does not drain on SIGINT:
    # wait for the last block, or the last responses are missing from the capture.
    sleep 2
    kill -INT "$dump"; wait "$dump" || true
    kill "$(cat "$WORK/nginx.pid")"; ip netns del "$NETNS"; trap - EXIT
    echo "captured $CAPTURE in $round rounds: $requests requests by curl ($failed curl runs failed);" \
        "$(grep -E 'captured|dropped' "$WORK/tcpdump.log" | tr '\n' ' ')"
    echo "$requests" >"$CAPTURE.requests"
}

measure() { # measure COMMAND... ; sets SECS and RSS_MB
    local log="$WORK/time.log"
    /usr/bin/time -f '%e %M' -o "$log" "$@"
    read -r SECS RSS_KB <"$log"
    RSS_MB=$((RSS_KB / 1024))
}

echo "== building httpscope (release)"
cargo build --release --quiet -p httpscope
HS=$PWD/target/release/httpscope

echo "== TLS capture"
mkdir -p "$WORK"
capture
[[ -f $WORK/tcpdump.log ]] && echo "tcpdump: $(grep -E 'dropped by kernel' "$WORK/tcpdump.log" || echo '?')"

row() { printf '%-40s %8s %9s %9s %11s %9s\n' "$@"; }
report() { # report LABEL FILE TRANSACTIONS
    local size_mb
    size_mb=$(awk -v b="$(stat -c %s "$2")" 'BEGIN{printf "%.0f", b/1e6}')
    row "$1" "$size_mb" "$SECS" "$(awk -v s="$size_mb" -v t="$SECS" 'BEGIN{printf "%.1f", s/(t>0?t:0.001)}')" \
        "$(awk -v n="$3" -v t="$SECS" 'BEGIN{printf "%.0f", n/(t>0?t:0.001)}')" "$RSS_MB"
}

cat "$CAPTURE" "$KEYS" >/dev/null # page cache, for both tools alike
echo
row "tool (same file and key log, page cache)" "MB" "seconds" "MB/s" "requests/s" "peak MB"
measure "$HS" analyze "$CAPTURE" --keylog "$KEYS" --quiet --no-progress --jsonl "$WORK/httpscope.jsonl"
HS_N=$(grep -c '"type":"transaction"' "$WORK/httpscope.jsonl" || true)
report "httpscope analyze --keylog --jsonl" "$CAPTURE" "$HS_N"
measure sh -c "tshark -r '$CAPTURE' -o 'tls.keylog_file:$KEYS' -d 'tcp.port==$PORT,tls' -Y http.request \
    -T fields -e http.request.method -e http.request.uri > '$WORK/tshark.tsv' 2>/dev/null"
TS_N=$(wc -l <"$WORK/tshark.tsv")
report "tshark -o tls.keylog_file -Y http.request" "$CAPTURE" "$TS_N"
echo
echo "requests found: httpscope $HS_N, tshark $TS_N, sent by curl $(cat "$CAPTURE.requests" 2>/dev/null || echo '?')" \
    "(on $(basename "$CAPTURE"), $(wc -l <"$KEYS") key log lines)"
# httpscope's own account: TLS decryption and incomplete transactions (from its report record).
tail -n 1 "$WORK/httpscope.jsonl" | grep -oE '"tls":\{"connections"[^}]*\}|"incomplete_reasons":\[[^]]*\]*\]' |
    sed 's/^/httpscope /' || true
[[ $HS_N -eq $TS_N ]] || echo "note: the request counts differ"
