#!/usr/bin/env bash
# Benchmark of the live capture (issues 5 and 8): the cost of `httpscope record -p <nginx pids>`
# on a busy server, next to tcpdump capturing the same port, in one run. wrk drives nginx on
# loopback; every configuration gets the same wrk threads, connections and duration:
#
#   baseline    wrk against nginx, nothing else running
#   httpscope   plus `httpscope record -p <nginx master,workers> --port P -q --jsonl FILE`
#   tcpdump     plus `tcpdump -i lo -s 0 -B 16384 -w FILE tcp port P` (a 16 MiB buffer, like
#               httpscope's default ring buffer)
#
# for two plain HTTP responses: `return 200 "ok\n"` (tiny) and a 4 KB static file, and the
# probed case (issue 8): the tiny response over HTTPS (nginx `listen ... ssl`, a self-signed EC
# P-256 certificate made with openssl, keep-alive; `wrk https://...`), where record's TLS
# library probes (`--tls-probes`, on by default with -p) read the plaintext from nginx's
# libssl SSL_read/SSL_write; the table says how many transactions came from the probes
# (`"source":"OpenSSL probe"`) and the record's report lines about the probed libraries are
# printed. tcpdump only sees ciphertext there (no keys). The configurations
# alternate in rotating order for $BENCH_ROUNDS rounds and the medians are compared. Then a
# fixed-rate case: about 10,000 requests/s (wrk with a Lua delay() per request: 25
# connections x 2 ms, plus the round trip), without and with httpscope, checking that nothing is lost.
#
# Targets (issue 5):
#   - at most 5 % throughput loss with httpscope record attached (median vs baseline median),
#     for the plain cases and the probed HTTPS case alike;
#   - the HTTPS case (issue 8): nginx's libssl is reported probed ("TLS probes on
#     .../libssl... used by nginx[...]"), every request wrk completed has a complete
#     transaction from the OpenSSL probe, nothing is lost or marked capture_loss, and at most
#     BENCH_CONNS transactions per run are incomplete (requests in flight when wrk stops: wrk
#     does not count them, and nginx's answer may come after wrk closed the connection);
#   - no loss at 10,000 requests/s: no packet lost to a full ring buffer, cut for fairness,
#     no lost ownership/close record, no transaction marked capture_loss or incomplete, and
#     at least as many complete transactions recorded as wrk completed requests.
# The script prints PASS or MISS for each; a miss does not fail it (it exits 0 after
# printing). It fails only when a tool is missing or the setup fails.
#
#   sudo scripts/bench-record.sh
#   BENCH_SECS=5 BENCH_ROUNDS=1 sudo scripts/bench-record.sh          # a quick look
#   HTTPSCOPE=/path/to/httpscope BENCH_CONNS=100 sudo scripts/bench-record.sh
#
# Options (environment): BENCH_SECS (10, seconds per wrk run), BENCH_ROUNDS (3),
# BENCH_THREADS (1) and BENCH_CONNS (50) for wrk, BENCH_RATE_CONNS (25) and
# BENCH_RATE_DELAY_MS (2) for the fixed-rate case, BENCH_PORT and BENCH_TLS_PORT (HTTP and
# HTTPS; default: free ports from 20000 up), BENCH_KEEP=1 keeps the work directory, HTTPSCOPE (default
# target/release/httpscope, built with `cargo build --release -p httpscope` when missing).
#
# Needs root (eBPF, tcpdump), nginx (with its ssl module, as Debian's), wrk (built with
# OpenSSL), tcpdump, iproute2 (ss) and openssl (apt-get install nginx wrk tcpdump iproute2
# openssl). Traffic stays on 127.0.0.1; every load run is bounded by BENCH_SECS. It stops only the processes it started (nginx, httpscope,
# tcpdump), on exit and on Ctrl-C. Designed for a small (2-core) machine: wrk, nginx's
# workers and the capture tool share the cores, so what a capture tool costs in CPU shows
# up as lost requests/s; other load on the machine makes the figures noisy (the load
# average is printed at the start, and the CPU other processes used during each run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECS=${BENCH_SECS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
THREADS=${BENCH_THREADS:-1}
CONNS=${BENCH_CONNS:-50}
RATE_CONNS=${BENCH_RATE_CONNS:-25}
RATE_DELAY_MS=${BENCH_RATE_DELAY_MS:-2}
HTTPSCOPE=${HTTPSCOPE:-target/release/httpscope}
TARGET_LOSS_PCT=5
TARGET_RATE=10000

die() { echo "error: $*" >&2; exit 1; }

for spec in nginx:nginx wrk:wrk tcpdump:tcpdump ss:iproute2 openssl:openssl; do
    command -v "${spec%%:*}" >/dev/null ||
        die "${spec%%:*} is required: apt-get install -y ${spec#*:} (see the header of $0)"
done
[[ $(id -u) -eq 0 ]] || die "run as root (httpscope record loads eBPF programs, tcpdump opens lo): sudo $0"
for n in "$SECS" "$ROUNDS" "$THREADS" "$CONNS" "$RATE_CONNS" "$RATE_DELAY_MS"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "BENCH_* options are positive integers, got '$n'"
done
[[ $CONNS -ge $THREADS && $RATE_CONNS -ge $THREADS ]] || die "wrk needs at least as many connections as threads"

if [[ ! -x $HTTPSCOPE ]]; then
    command -v cargo >/dev/null || die "$HTTPSCOPE is missing and cargo is not installed to build it"
    echo "== building httpscope (release): $HTTPSCOPE is missing"
    cargo build --release --quiet -p httpscope || die "cargo build --release -p httpscope failed"
    [[ -x $HTTPSCOPE ]] || die "$HTTPSCOPE still missing after the build (set HTTPSCOPE=)"
fi
HS=$(realpath "$HTTPSCOPE")

WORK=$(mktemp -d /tmp/httpscope-bench-record.XXXXXX)
chmod 755 "$WORK" # nginx's workers (nobody) read the static file
NGINX_PID=
BG_PIDS=() # httpscope and tcpdump processes we started and have not reaped yet

cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do
        kill -INT "$p" 2>/dev/null || true
    done
    sleep 0.5
    for p in "${BG_PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null || true
    done
    if [[ -n $NGINX_PID ]]; then
        kill -QUIT "$NGINX_PID" 2>/dev/null || true
        for _ in $(seq 20); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NGINX_PID" 2>/dev/null || true
    fi
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
        echo "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------
# nginx: 2 workers, keep-alive, a tiny response and a 4 KB file, on a free loopback port.

port_free() { [[ -z $(ss -Htan "( sport = :$1 or dport = :$1 )" 2>/dev/null) ]]; }
if [[ -n ${BENCH_PORT:-} ]]; then
    PORT=$BENCH_PORT
    port_free "$PORT" || die "port $PORT is in use"
else
    PORT=
    for p in $(seq 20000 20100); do
        if port_free "$p"; then PORT=$p; break; fi
    done
    [[ -n $PORT ]] || die "no free port in 20000-20100 (set BENCH_PORT)"
fi
if [[ -n ${BENCH_TLS_PORT:-} ]]; then
    TLS_PORT=$BENCH_TLS_PORT
    port_free "$TLS_PORT" || die "port $TLS_PORT is in use"
else
    TLS_PORT=
    for p in $(seq $((PORT + 1)) 20200); do
        if port_free "$p"; then TLS_PORT=$p; break; fi
    done
    [[ -n $TLS_PORT ]] || die "no free port in $((PORT + 1))-20200 (set BENCH_TLS_PORT)"
fi
[[ $TLS_PORT != "$PORT" ]] || die "BENCH_PORT and BENCH_TLS_PORT must differ"

mkdir -p "$WORK/www/static" "$WORK/nginx-tmp"
head -c 3072 /dev/urandom | base64 -w 76 | head -c 4096 >"$WORK/www/static/4k.txt"
# A self-signed EC (P-256) certificate for the HTTPS server; wrk does not verify it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=127.0.0.1 -keyout "$WORK/tls.key" -out "$WORK/tls.crt" >"$WORK/openssl.log" 2>&1 ||
    { cat "$WORK/openssl.log" >&2; die "openssl could not make the test certificate"; }
cat >"$WORK/nginx.conf" <<EOF
worker_processes 2;
daemon on;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx-tmp;
    proxy_temp_path $WORK/nginx-tmp;
    fastcgi_temp_path $WORK/nginx-tmp;
    uwsgi_temp_path $WORK/nginx-tmp;
    scgi_temp_path $WORK/nginx-tmp;
    keepalive_requests 10000000;
    keepalive_timeout 120s;
    server {
        listen 127.0.0.1:$PORT;
        root $WORK/www;
        location / { return 200 "ok\n"; }
        location /static/ { }
    }
    server {
        listen 127.0.0.1:$TLS_PORT ssl;
        ssl_certificate $WORK/tls.crt;
        ssl_certificate_key $WORK/tls.key;
        root $WORK/www;
        location / { return 200 "ok\n"; }
        location /static/ { }
    }
}
EOF
nginx -c "$WORK/nginx.conf" || die "nginx did not start (see $WORK/nginx-error.log)"
for _ in $(seq 50); do [[ -s $WORK/nginx.pid ]] && break; sleep 0.1; done
NGINX_PID=$(cat "$WORK/nginx.pid" 2>/dev/null) || die "nginx wrote no pid file"

http_get() { # http_get PATH: prints the status line of a GET on a fresh connection
    local line
    exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$1" >&3
    IFS= read -r -t 2 line <&3 || line=
    exec 3<&- 3>&-
    printf '%s\n' "${line%$'\r'}"
}
up=0
for _ in $(seq 50); do
    if [[ $(http_get / 2>/dev/null) == "HTTP/1.1 200 OK" ]]; then up=1; break; fi
    sleep 0.1
done
[[ $up == 1 ]] || die "nginx does not answer on 127.0.0.1:$PORT"
[[ $(http_get /static/4k.txt) == "HTTP/1.1 200 OK" ]] || die "nginx does not serve the 4 KB file"
https_get() { # https_get PATH: the status line of a GET over TLS (openssl s_client)
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$1" |
        timeout 5 openssl s_client -quiet -connect "127.0.0.1:$TLS_PORT" 2>/dev/null | head -n 1 | tr -d '\r'
}
[[ $(https_get /) == "HTTP/1.1 200 OK" ]] || die "nginx does not answer HTTPS on 127.0.0.1:$TLS_PORT (see $WORK/nginx-error.log)"
WORKERS=$(pgrep -d, -P "$NGINX_PID" || true)
[[ $WORKERS =~ ^[0-9]+,[0-9]+$ ]] || die "expected 2 nginx workers, found '$WORKERS'"
NGINX_PIDS="$NGINX_PID,$WORKERS"

# wrk's per-request delay for the fixed-rate case.
cat >"$WORK/rate.lua" <<EOF
function delay()
  return $RATE_DELAY_MS
end
EOF

# ---------------------------------------------------------------------------------------
# One wrk run, optionally with a capture tool attached.

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { # utime+stime of a process, in clock ticks (0 when gone)
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
nginx_ticks() {
    local p t=0
    for p in ${NGINX_PIDS//,/ }; do t=$((t + $(cpu_ticks "$p"))); done
    echo "$t"
}
reap() { # reap PID SECONDS: waits for a process we started, at most SECONDS, then kills it
    local p=$1 i
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    local rest=()
    for i in "${BG_PIDS[@]}"; do [[ $i == "$p" ]] || rest+=("$i"); done
    BG_PIDS=("${rest[@]+"${rest[@]}"}")
}
wait_links() { # wait_links PID: until httpscope holds its BPF links (at most 10 s)
    local i n last=-1 stable=0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$1" 2>/dev/null || return 1
        n=$(find "/proc/$1/fd" -lname 'anon_inode:bpf_link' 2>/dev/null | wc -l)
        if [[ $n -gt 0 && $n == "$last" ]]; then
            stable=$((stable + 1))
            [[ $stable -ge 3 ]] && return 0
        else
            stable=0
        fi
        last=$n
        sleep 0.1
    done
    return 1
}

# run_one NAME MODE URL [wrk options...]; MODE is baseline, httpscope or tcpdump, which
# capture the URL's port. Leaves $WORK/NAME.wrk (wrk output), NAME.err (tool stderr),
# NAME.jsonl or NAME.pcap, NAME.cpu.
run_one() {
    local name=$1 mode=$2 url=$3
    shift 3
    local out=$WORK/$name tool= port
    port=${url#*//*:} port=${port%%/*}
    case $mode in
    httpscope)
        "$HS" record -p "$NGINX_PIDS" --port "$port" -q --jsonl "$out.jsonl" 2>"$out.err" &
        tool=$!
        BG_PIDS+=("$tool")
        wait_links "$tool" || { cat "$out.err" >&2; die "httpscope record did not start"; }
        sleep 0.3
        ;;
    tcpdump)
        tcpdump -i lo -n -s 0 -B 16384 -w "$out.pcap" "tcp port $port" 2>"$out.err" &
        tool=$!
        BG_PIDS+=("$tool")
        local i
        for ((i = 0; i < 100; i++)); do
            grep -qs 'listening on' "$out.err" && break
            kill -0 "$tool" 2>/dev/null || break
            sleep 0.1
        done
        grep -q 'listening on' "$out.err" || { cat "$out.err" >&2; die "tcpdump did not start"; }
        sleep 0.3
        ;;
    esac
    local t0=0 t1=0 s0 s1 b0 b1 n0 n1
    [[ -n $tool ]] && t0=$(cpu_ticks "$tool")
    n0=$(nginx_ticks) b0=$(busy_ticks)
    s0=$(date +%s.%N)
    local TIMEFORMAT='%U %S'
    { time timeout $((SECS + 30)) wrk -t"$THREADS" "$@" -d"${SECS}s" --latency "$url" >"$out.wrk" 2>&1 ||
        { cat "$out.wrk" >&2; die "wrk failed"; }; } 2>"$out.wrktime"
    s1=$(date +%s.%N)
    [[ -n $tool ]] && t1=$(cpu_ticks "$tool")
    n1=$(nginx_ticks) b1=$(busy_ticks)
    # CPU used by everything else on the machine during the run (other builds, ...): all busy
    # time minus wrk's, nginx's and the tool's. It makes the figures noisy when not near 0.
    awk -v busy="$((b1 - b0))" -v ng="$((n1 - n0))" -v tool="$((t1 - t0))" -v hz="$CLK_TCK" \
        -v a="$s0" -v b="$s1" -v wrk="$(awk '{ print $1 + $2 }' "$out.wrktime")" \
        'BEGIN { o = 100 * ((busy - ng - tool) / hz - wrk) / (b - a); if (o < 0) o = 0; printf "%.0f\n", o }' >"$out.other"
    if [[ -n $tool ]]; then
        awk -v t="$((t1 - t0))" -v hz="$CLK_TCK" -v a="$s0" -v b="$s1" \
            'BEGIN { printf "%.0f\n", 100 * t / hz / (b - a) }' >"$out.cpu"
        # Let the tool catch up with what is still in its buffers, then stop it.
        sleep 2
        kill -INT "$tool" 2>/dev/null || true
        reap "$tool" 60
    fi
}

wrk_rps() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1"; }
wrk_requests() { awk '/ requests in / { print $1 }' "$1"; }
wrk_latency() { awk '/^    Latency / { print $2; exit }' "$1"; }
wrk_errors() { grep -E 'Socket errors|Non-2xx' "$1" | tr -s ' ' | tr '\n' ' ' || true; }
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%+.1f", 100 * (a - b) / b; else print "?" }'; }

# What httpscope reported about run NAME: sets HS_TX (transactions in its JSONL; with lost
# packets, one request can come out as several incomplete pieces), HS_OK (those complete: no
# incomplete reason), HS_PROBE and HS_PROBE_OK (transactions, and complete ones, read through
# the OpenSSL probe), HS_RING, HS_FAIR, HS_LOST (ownership/close records), HS_PLOST (TLS
# library records lost), HS_CAPLOSS (transactions marked capture_loss), HS_INCOMPLETE and
# HS_LINE (its "recorded ..." line).
hs_facts() {
    local out=$WORK/$1 report
    HS_TX=$(grep -c '"type":"transaction"' "$out.jsonl" 2>/dev/null || true)
    HS_OK=$(grep '"type":"transaction"' "$out.jsonl" 2>/dev/null | grep -c '"incomplete":\[\],"process"' || true)
    report=$(grep '"type":"report"' "$out.jsonl" 2>/dev/null | tail -n 1 || true)
    HS_RING=$(grep -oE '^httpscope: warning: [0-9]+ packet\(s\) \([0-9]+ bytes\) were lost because the ring buffer was full' "$out.err" | grep -oE '[0-9]+' | head -n 1 || true)
    HS_FAIR=$(grep -oE '^httpscope: warning: [0-9]+ packet\(s\) of busy connections were cut' "$out.err" | grep -oE '[0-9]+' | head -n 1 || true)
    HS_LOST=$(grep -oE '^httpscope: warning: [0-9]+ socket ownership and [0-9]+ socket close' "$out.err" | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }' || true)
    HS_CAPLOSS=$(grep -oE '\["capture_loss",[0-9]+\]' <<<"$report" | head -n 1 | grep -oE '[0-9]+' || true)
    HS_INCOMPLETE=$(grep -oE '"http":\{[^}]*\}' <<<"$report" | grep -oE '"incomplete":[0-9]+' | grep -oE '[0-9]+' || true)
    HS_LINE=$(grep -E '^httpscope: recorded ' "$out.err" | sed 's/^httpscope: //' || true)
    HS_PROBE=$(grep '"type":"transaction"' "$out.jsonl" 2>/dev/null | grep -c '"source":"OpenSSL probe"' || true)
    HS_PROBE_OK=$(grep '"type":"transaction"' "$out.jsonl" 2>/dev/null | grep '"source":"OpenSSL probe"' | grep -c '"incomplete":\[\],"process"' || true)
    HS_PLOST=$(grep -oE '^httpscope: warning: [0-9]+ TLS library record\(s\) \([0-9]+ bytes of plaintext\) were lost' "$out.err" | grep -oE '[0-9]+' | head -n 1 || true)
    : "${HS_RING:=0}" "${HS_FAIR:=0}" "${HS_LOST:=0}" "${HS_CAPLOSS:=0}" "${HS_INCOMPLETE:=?}" "${HS_PLOST:=0}"
    [[ -n $report ]] || HS_INCOMPLETE="? (no report record: did httpscope finish?)"
}
hs_tls_report() { # record's report on the TLS libraries and Go binaries of run NAME, indented
    grep -E '^httpscope: (TLS probes|Go crypto/tls|no OpenSSL)' "$WORK/$1.err" | sed 's/^httpscope: /      /' || true
}
hs_warnings() { # every warning httpscope printed for run NAME, indented
    grep -E '^httpscope: (warning|error)' "$WORK/$1.err" | sed 's/^httpscope: /      /' || true
}
td_dropped() { grep -oE '[0-9]+ packets? dropped by kernel' "$WORK/$1.err" | grep -oE '^[0-9]+' || echo '?'; }
td_captured() { grep -oE '^[0-9]+ packets? captured' "$WORK/$1.err" | grep -oE '^[0-9]+' || echo '?'; }
td_requests() { # requests in tcpdump's file, by httpscope analyze
    "$HS" analyze "$WORK/$1.pcap" --quiet --no-progress --jsonl - 2>/dev/null | grep -c '"type":"transaction"' || true
}

# ---------------------------------------------------------------------------------------

echo "== httpscope record overhead: wrk -t$THREADS -c$CONNS -d${SECS}s against nginx (2 workers, keep-alive) on 127.0.0.1:$PORT (HTTP) and :$TLS_PORT (HTTPS)"
echo "   $ROUNDS round(s) per case, configurations in rotating order; medians compared"
echo "   machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs; $HS"
echo "   httpscope $("$HS" --version 2>/dev/null | awk '{ print $NF }'), $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(tcpdump --version 2>&1 | head -n 1), $(openssl version | cut -d" " -f1-2)"

MODES=(baseline httpscope tcpdump)
declare -A RPS
CASE_RESULT=()
# name:scheme:path; the tls case is the probed one (issue 8): HTTPS, plaintext from nginx's libssl.
for case in tiny:http:/ 4k:http:/static/4k.txt tls:https:/; do
    cname=${case%%:*} path=${case#*:*:} scheme=${case#*:} scheme=${scheme%%:*}
    if [[ $scheme == https ]]; then
        url=https://127.0.0.1:$TLS_PORT$path what="GET $path over TLS"
        echo
        echo "-- case $cname: GET $path over TLS (https://127.0.0.1:$TLS_PORT, self-signed EC P-256, keep-alive; record's TLS library probes on)"
    else
        url=http://127.0.0.1:$PORT$path what="GET $path"
        echo
        echo "-- case $cname: GET $path"
    fi
    for ((r = 0; r < ROUNDS; r++)); do
        for ((k = 0; k < 3; k++)); do
            mode=${MODES[(r + k) % 3]}
            run_one "$cname-$mode-$r" "$mode" "$url" -c"$CONNS"
            RPS[$cname-$mode-$r]=$(wrk_rps "$WORK/$cname-$mode-$r.wrk")
            printf '   round %d %-9s %9s requests/s; other processes %3s %% of a core%s\n' "$((r + 1))" "$mode" \
                "${RPS[$cname-$mode-$r]}" "$(cat "$WORK/$cname-$mode-$r.other")" \
                "$([[ -f $WORK/$cname-$mode-$r.cpu ]] && echo "; $mode CPU $(cat "$WORK/$cname-$mode-$r.cpu") % of a core")"
        done
    done
    declare -A MED=()
    for mode in "${MODES[@]}"; do
        vals=
        for ((r = 0; r < ROUNDS; r++)); do vals+=" ${RPS[$cname-$mode-$r]}"; done
        MED[$mode]=$(median <<<"$vals")
    done
    # The round whose httpscope / tcpdump figure is the median one, for the details.
    pick() { local m=$1 r; for ((r = 0; r < ROUNDS; r++)); do [[ ${RPS[$cname-$m-$r]} == "${MED[$m]}" ]] && { echo "$r"; return; }; done; echo 0; }
    hr=$(pick httpscope) tr=$(pick tcpdump) br=$(pick baseline)
    hs_facts "$cname-httpscope-$hr"
    if [[ $scheme == https ]]; then
        seen="$HS_TX transactions ($HS_OK complete, $HS_PROBE from the OpenSSL probe)"
        lost="ring full $HS_RING, cut $HS_FAIR, records $HS_LOST, TLS library records $HS_PLOST"
        infile="readable in the file (ciphertext, no keys)"
    else
        seen="$HS_TX transactions ($HS_OK complete)"
        lost="ring full $HS_RING, cut $HS_FAIR, records $HS_LOST"
        infile="in the file"
    fi
    echo
    printf '   %-44s %11s %9s %10s %8s  %s\n' "$what (median of $ROUNDS)" "requests/s" "vs base" "latency" "CPU %" "what the tool saw"
    printf '   %-44s %11s %9s %10s %8s  %s\n' "wrk alone" "${MED[baseline]}" "" \
        "$(wrk_latency "$WORK/$cname-baseline-$br.wrk")" "" "$(wrk_requests "$WORK/$cname-baseline-$br.wrk") requests by wrk $(wrk_errors "$WORK/$cname-baseline-$br.wrk")"
    printf '   %-44s %11s %8s%% %10s %8s  %s\n' "+ httpscope record -p (nginx) -q --jsonl" "${MED[httpscope]}" \
        "$(pct "${MED[httpscope]}" "${MED[baseline]}")" "$(wrk_latency "$WORK/$cname-httpscope-$hr.wrk")" "$(cat "$WORK/$cname-httpscope-$hr.cpu")" \
        "$seen of $(wrk_requests "$WORK/$cname-httpscope-$hr.wrk") requests by wrk; lost: $lost; capture_loss on $HS_CAPLOSS, incomplete $HS_INCOMPLETE"
    printf '   %-44s %11s %8s%% %10s %8s  %s\n' "+ tcpdump -i lo -B 16384 -w FILE" "${MED[tcpdump]}" \
        "$(pct "${MED[tcpdump]}" "${MED[baseline]}")" "$(wrk_latency "$WORK/$cname-tcpdump-$tr.wrk")" "$(cat "$WORK/$cname-tcpdump-$tr.cpu")" \
        "$(td_captured "$cname-tcpdump-$tr") packets, $(td_dropped "$cname-tcpdump-$tr") dropped by kernel; $(td_requests "$cname-tcpdump-$tr") requests $infile, of $(wrk_requests "$WORK/$cname-tcpdump-$tr.wrk") by wrk"
    echo "   httpscope (round $((hr + 1))): $HS_LINE"
    [[ $scheme == https ]] && hs_tls_report "$cname-httpscope-$hr"
    hs_warnings "$cname-httpscope-$hr"
    # The probed case's check, over every round: nginx's libssl reported probed, and every
    # request wrk completed has a complete transaction from the probe, nothing lost or marked.
    tls_missing=0 tls_lost=0 tls_incomplete=0 tls_over=0 tls_unprobed=0 tls_wrk=0 tls_probe=0
    for ((r = 0; r < ROUNDS; r++)); do
        hs_facts "$cname-httpscope-$r"
        if [[ $r != "$hr" ]]; then
            if [[ $scheme == https ]]; then
                seen="$HS_TX transactions ($HS_OK complete, $HS_PROBE from the OpenSSL probe)"
                lost="ring full $HS_RING, cut $HS_FAIR, records $HS_LOST, TLS library records $HS_PLOST"
            else
                seen="$HS_TX transactions ($HS_OK complete)"
                lost="ring full $HS_RING, cut $HS_FAIR, records $HS_LOST"
            fi
            echo "   httpscope (round $((r + 1))): $seen of $(wrk_requests "$WORK/$cname-httpscope-$r.wrk"); lost: $lost; capture_loss on $HS_CAPLOSS, incomplete $HS_INCOMPLETE"
            hs_warnings "$cname-httpscope-$r"
        fi
        if [[ $scheme == https ]]; then
            req=$(wrk_requests "$WORK/$cname-httpscope-$r.wrk")
            tls_wrk=$((tls_wrk + ${req:-0})) tls_probe=$((tls_probe + HS_PROBE_OK))
            tls_missing=$((tls_missing + (${req:-0} > HS_PROBE_OK ? ${req:-0} - HS_PROBE_OK : 0)))
            tls_lost=$((tls_lost + HS_RING + HS_FAIR + HS_LOST + HS_PLOST + HS_CAPLOSS))
            if [[ $HS_INCOMPLETE =~ ^[0-9]+$ ]]; then
                tls_incomplete=$((tls_incomplete + HS_INCOMPLETE))
                [[ $HS_INCOMPLETE -le $CONNS ]] || tls_over=$((tls_over + 1))
            else
                tls_over=$((tls_over + 1)) # no report record
            fi
            hs_tls_report "$cname-httpscope-$r" | grep -qE 'TLS probes on [^ ]*libssl[^ ]* \(OpenSSL: .*used by .*nginx\[' ||
                tls_unprobed=$((tls_unprobed + 1))
        fi
    done
    for ((r = 0; r < ROUNDS; r++)); do rm -f "$WORK/$cname-tcpdump-$r.pcap" "$WORK/$cname-httpscope-$r.jsonl"; done
    loss=$(awk -v a="${MED[httpscope]}" -v b="${MED[baseline]}" 'BEGIN { l = 100; if (b > 0) l = 100 * (b - a) / b; printf "%.1f", l }')
    verdict=$(awk -v l="$loss" -v t="$TARGET_LOSS_PCT" 'BEGIN { if (l + 0 <= t + 0) print "PASS"; else print "MISS" }')
    CASE_RESULT+=("$verdict  throughput loss with httpscope record, $what: $loss % (target <= $TARGET_LOSS_PCT %)")
    if [[ $scheme == https ]]; then
        verdict=PASS
        [[ $tls_missing -eq 0 && $tls_lost -eq 0 && $tls_over -eq 0 && $tls_unprobed -eq 0 ]] || verdict=MISS
        CASE_RESULT+=("$verdict  TLS probes on nginx's libssl, $ROUNDS round(s): $tls_probe complete transactions from the OpenSSL probe for $tls_wrk requests by wrk, $tls_missing without one; $tls_lost packets/records lost or marked; incomplete $tls_incomplete, more than $CONNS in $tls_over round(s); libssl not reported probed for nginx in $tls_unprobed round(s) (target: 0 except incomplete <= $CONNS per round)")
    fi
done

# ---------------------------------------------------------------------------------------
# Fixed rate: about 10,000 requests/s, without and with httpscope.

echo
echo "-- fixed rate: wrk -t$THREADS -c$RATE_CONNS -d${SECS}s with delay() = $RATE_DELAY_MS ms per request (about $TARGET_RATE requests/s), GET /"
run_one rate-baseline baseline "http://127.0.0.1:$PORT/" -c"$RATE_CONNS" -s "$WORK/rate.lua"
run_one rate-httpscope httpscope "http://127.0.0.1:$PORT/" -c"$RATE_CONNS" -s "$WORK/rate.lua"
hs_facts rate-httpscope
RATE_BASE=$(wrk_rps "$WORK/rate-baseline.wrk")
RATE_HS=$(wrk_rps "$WORK/rate-httpscope.wrk")
RATE_REQ=$(wrk_requests "$WORK/rate-httpscope.wrk")
printf '   %-44s %11s %10s %8s  %s\n' "" "requests/s" "latency" "CPU %" "what httpscope saw"
printf '   %-44s %11s %10s %8s  %s\n' "wrk alone" "$RATE_BASE" "$(wrk_latency "$WORK/rate-baseline.wrk")" "" "$(wrk_errors "$WORK/rate-baseline.wrk")"
printf '   %-44s %11s %10s %8s  %s\n' "+ httpscope record -p (nginx) -q --jsonl" "$RATE_HS" "$(wrk_latency "$WORK/rate-httpscope.wrk")" \
    "$(cat "$WORK/rate-httpscope.cpu")" "$HS_TX transactions ($HS_OK complete) of $RATE_REQ requests by wrk; lost: ring full $HS_RING, cut $HS_FAIR, records $HS_LOST; capture_loss on $HS_CAPLOSS, incomplete $HS_INCOMPLETE"
echo "   httpscope: $HS_LINE"
hs_warnings rate-httpscope
echo "   other processes used $(cat "$WORK/rate-baseline.other") % and $(cat "$WORK/rate-httpscope.other") % of a core during these two runs"
lost_any=$((HS_RING + HS_FAIR + HS_LOST + HS_CAPLOSS))
missing=$(( ${RATE_REQ:-0} > ${HS_OK:-0} ? ${RATE_REQ:-0} - ${HS_OK:-0} : 0 ))
if [[ $lost_any -eq 0 && $missing -eq 0 && ${HS_INCOMPLETE} == 0 ]]; then
    verdict=PASS
else
    verdict=MISS
fi
near=$(awk -v r="$RATE_HS" -v t="$TARGET_RATE" 'BEGIN { if (r + 0 < 0.9 * t) print " (the achieved rate is below the target rate: raise BENCH_RATE_CONNS)" }')
CASE_RESULT+=("$verdict  no loss at $RATE_HS requests/s: $lost_any packets/records lost or marked, $missing of wrk's $RATE_REQ requests without a complete transaction, incomplete $HS_INCOMPLETE (target: 0 at $TARGET_RATE requests/s)$near")

echo
echo "== targets (issues 5 and 8)"
for line in "${CASE_RESULT[@]}"; do echo "   $line"; done
exit 0
