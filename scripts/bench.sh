#!/usr/bin/env bash
# Benchmark: httpscope analyze vs tshark on the same large capture of real keep-alive HTTP/1.1
# traffic (wrk against nginx on loopback, captured by tcpdump). Prints MB/s, transactions/s
# and peak memory of both, side by side, in one run. Not a test: it prints figures. The same
# over HTTPS with a key log (TLS decryption) is scripts/bench-tls.sh.
#
#   sudo scripts/bench.sh                 # 450 MB capture (+ a 1.8 GB one for the memory check)
#   BENCH_MB=450 BENCH_BIG_MB=0 sudo scripts/bench.sh   # skip the 1.8 GB memory check
#
# Needs root (tcpdump, network namespaces), nginx, wrk, tcpdump, tshark, ethtool, iproute2,
# GNU time (apt-get install nginx wrk tcpdump tshark ethtool time). Traffic runs on the
# loopback of a private network namespace whose MTU is $BENCH_MTU (default 1500, like
# Ethernet, with segmentation offloads off so the capture holds real MTU-sized packets;
# BENCH_MTU=65536 gives the machine loopback's huge packets). The capture is kept in
# $BENCH_DIR (default ./bench-data, ignored by git) and reused when it is already big enough.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BENCH_DIR=${BENCH_DIR:-$PWD/bench-data}
BENCH_MB=${BENCH_MB:-450}
BENCH_BIG_MB=${BENCH_BIG_MB:-1800}
PORT=${BENCH_PORT:-18990}
MTU=${BENCH_MTU:-1500}
NETNS=httpscope-bench-$$
IN_NS=(ip netns exec "$NETNS")

for tool in nginx wrk tcpdump tshark ethtool ip /usr/bin/time cargo; do
    command -v "$tool" >/dev/null || { echo "error: $tool is required (see the header of $0)" >&2; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { echo "error: run as root (tcpdump needs it)" >&2; exit 1; }

mkdir -p "$BENCH_DIR"
CAPTURE="$BENCH_DIR/keepalive-mtu${MTU}-${BENCH_MB}mb.pcap"
BIG="$BENCH_DIR/keepalive-mtu${MTU}-${BENCH_BIG_MB}mb.pcap"

capture() { # capture FILE MEGABYTES
    local file=$1 mb=$2
    if [[ -f $file && $(stat -c %s "$file") -ge $((mb * 1000000)) ]]; then
        echo "reusing $file"
        return
    fi
    local root="$BENCH_DIR/www" conf="$BENCH_DIR/nginx.conf"
    mkdir -p "$root" "$BENCH_DIR/nginx-tmp"
    head -c 1024 /dev/urandom | base64 -w 100 >"$root/small.html"
    head -c 16384 /dev/urandom >"$root/medium.bin"
    head -c 131072 /dev/urandom >"$root/large.bin"
    cat >"$conf" <<EOF
worker_processes 1;
daemon on;
pid $BENCH_DIR/nginx.pid;
error_log $BENCH_DIR/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $BENCH_DIR/nginx-tmp;
    proxy_temp_path $BENCH_DIR/nginx-tmp;
    fastcgi_temp_path $BENCH_DIR/nginx-tmp;
    uwsgi_temp_path $BENCH_DIR/nginx-tmp;
    scgi_temp_path $BENCH_DIR/nginx-tmp;
    keepalive_requests 100000;
    server { listen 127.0.0.1:$PORT; root $root; }
}
EOF
    cat >"$BENCH_DIR/paths.lua" <<'EOF'
local paths = {"/small.html", "/medium.bin", "/large.bin", "/small.html", "/medium.bin"}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
EOF
    ip netns add "$NETNS"
    trap 'kill "$(cat "$BENCH_DIR/nginx.pid" 2>/dev/null)" 2>/dev/null; ip netns del "$NETNS" 2>/dev/null || true' EXIT
    "${IN_NS[@]}" ip link set lo mtu "$MTU" up
    [[ $MTU -gt 1500 ]] || "${IN_NS[@]}" ethtool -K lo tso off gso off gro off >/dev/null
    "${IN_NS[@]}" nginx -c "$conf"
    "${IN_NS[@]}" tcpdump -i lo -s 0 -B 262144 -U -w "$file" "tcp port $PORT" 2>"$BENCH_DIR/tcpdump.log" &
    local dump=$!
    for _ in $(seq 50); do grep -q listening "$BENCH_DIR/tcpdump.log" && break; sleep 0.1; done
    # Bounded: at most 120 rounds of 1 s, stopping as soon as the file is big enough. Two
    # connections keep the rate at what tcpdump can write without dropping packets.
    for _ in $(seq 120); do
        "${IN_NS[@]}" wrk -t1 -c2 -d1s -s "$BENCH_DIR/paths.lua" "http://127.0.0.1:$PORT/" >/dev/null
        [[ $(stat -c %s "$file") -ge $((mb * 1000000)) ]] && break
    done
    # tcpdump hands packets over in blocks with a 1 s timeout and does not drain on SIGINT:
    # wait for the last block, or the last responses are missing from the capture.
    sleep 2
    kill -INT "$dump"; wait "$dump" || true
    kill "$(cat "$BENCH_DIR/nginx.pid")"; ip netns del "$NETNS"; trap - EXIT
    echo "captured $file: $(grep -E 'captured|dropped' "$BENCH_DIR/tcpdump.log" | tr '\n' ' ')"
}

measure() { # measure COMMAND... ; sets SECS and RSS_MB
    local log="$BENCH_DIR/time.log"
    /usr/bin/time -f '%e %M' -o "$log" "$@"
    read -r SECS RSS_KB <"$log"
    RSS_MB=$((RSS_KB / 1024))
}

echo "== building httpscope (release)"
cargo build --release --quiet -p httpscope
HS=$PWD/target/release/httpscope

echo "== captures"
capture "$CAPTURE" "$BENCH_MB"
[[ $BENCH_BIG_MB -gt 0 ]] && capture "$BIG" "$BENCH_BIG_MB"

row() { printf '%-34s %10s %10s %12s %12s %10s\n' "$@"; }
report() { # report LABEL FILE TRANSACTIONS
    local size_mb
    size_mb=$(awk -v b="$(stat -c %s "$2")" 'BEGIN{printf "%.0f", b/1e6}')
    row "$1" "$size_mb" "$SECS" "$(awk -v s="$size_mb" -v t="$SECS" 'BEGIN{printf "%.1f", s/(t>0?t:0.001)}')" \
        "$(awk -v n="$3" -v t="$SECS" 'BEGIN{printf "%.0f", n/(t>0?t:0.001)}')" "$RSS_MB"
}

cat "$CAPTURE" >/dev/null # page cache, for both tools alike
echo
row "tool (same file, page cache)" "MB" "seconds" "MB/s" "requests/s" "peak MB"
measure "$HS" analyze "$CAPTURE" --quiet --no-progress --jsonl "$BENCH_DIR/httpscope.jsonl"
HS_N=$(grep -c '"type":"transaction"' "$BENCH_DIR/httpscope.jsonl")
report "httpscope analyze --jsonl" "$CAPTURE" "$HS_N"
measure sh -c "tshark -r '$CAPTURE' -Y http.request -T fields -e http.request.method -e http.request.uri > '$BENCH_DIR/tshark.tsv' 2>/dev/null"
TS_N=$(wc -l <"$BENCH_DIR/tshark.tsv")
report "tshark -Y http.request" "$CAPTURE" "$TS_N"
if [[ $BENCH_BIG_MB -gt 0 ]]; then
    cat "$BIG" >/dev/null
    measure "$HS" analyze "$BIG" --quiet --no-progress --jsonl /dev/null
    report "httpscope on ${BENCH_BIG_MB} MB (memory)" "$BIG" "0"
fi
echo
echo "requests found: httpscope $HS_N, tshark $TS_N (on $(basename "$CAPTURE"))"
