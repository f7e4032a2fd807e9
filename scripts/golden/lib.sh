# Shared helpers of the golden-capture scripts in scripts/golden/ (make-captures.sh, tls-, h2-,
# dns-, grpc-, redirect- and findings-captures.sh). Not run on its own: each script sources it,
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# right after `set -euo pipefail`. It defines HERE, ROOT, OUT and PY, and functions only; it starts
# nothing and changes no shell options.

# the sourcing script's name, the prefix of die's messages
GOLDEN_NAME=$(basename "${BASH_SOURCE[1]:-$0}")
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/tests/golden"
PY=(python3 -B)   # -B: no __pycache__ in scripts/golden

die() { echo "$GOLDEN_NAME: $*" >&2; exit 1; }
log() { printf '== %s\n' "$*" >&2; }

# want NAME: is NAME selected by ONLY (the script's argument; "all" selects everything)?
want() { [[ $ONLY == all || $ONLY == "$1" ]]; }

# ---------------------------------------------------------------- preconditions
need_tools() { # hint tool...   (hint: appended to the message, may be empty)
  local hint=$1 t missing=(); shift
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  ((${#missing[@]} == 0)) || die "missing tool(s): ${missing[*]}$hint"
}
need_root() { # [suffix of the message]
  [[ $(id -u) == 0 ]] || die "must run as root (tcpdump needs it)${1:-}"
}
need_free_port() { # ss-flags port [what, default "port"]   (ss-flags: ltn for TCP, lun for UDP)
  [[ -z $(ss -H"$1" "sport = :$2") ]] || die "${3:-port} $2 is already in use"
}

# ---------------------------------------------------------------- work directory, cleanup
# make_work SUFFIX: WORK=/tmp/httpscope-golden$SUFFIX.XXXXXX, removed on exit (kept if GOLDEN_KEEP_WORK
# is set) after stopping our nginx (if start_nginx ran) and our own background jobs.
make_work() {
  WORK="$(mktemp -d "/tmp/httpscope-golden$1.XXXXXX")"
  NGINX_STARTED=0
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}
cleanup() {
  set +e
  if ((${NGINX_STARTED:-0})) && [[ -f $WORK/nginx/nginx.pid ]]; then
    nginx_ctl -s stop 2>/dev/null
    for _ in $(seq 50); do [[ -f $WORK/nginx/nginx.pid ]] || break; sleep 0.1; done
  fi
  # only our own background jobs that are still running (never anything by name)
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  if [[ -n ${GOLDEN_KEEP_WORK:-} ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}

# ---------------------------------------------------------------- nginx (own prefix and config in $WORK/nginx)
nginx_ctl() { nginx -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" "$@"; }
start_nginx() {
  nginx_ctl -t -q || die "nginx config test failed"
  nginx_ctl
  NGINX_STARTED=1
}

# ---------------------------------------------------------------- listening ports
port_up() { # ss-flags port: waits up to 5 s for a listener; returns 1 if none
  for _ in $(seq 100); do [[ -n $(ss -H"$1" "sport = :$2") ]] && return 0; sleep 0.05; done
  return 1
}
wait_port() { # ss-flags port
  port_up "$1" "$2" || die "nothing is listening on port $2"
}
wait_listen() { wait_port ltn "$1"; } # TCP port

# ---------------------------------------------------------------- captures
# start_capture VAR FILE tcpdump-args... ; the PID goes into VAR. Waits until tcpdump is capturing.
start_capture() {
  local __var=$1 file=$2; shift 2
  local errf="$file.stderr"
  tcpdump -U --immediate-mode -B 32768 -w "$file" "$@" 2>"$errf" &
  local pid=$!
  for _ in $(seq 100); do
    grep -q 'listening on' "$errf" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || die "tcpdump failed: $(cat "$errf")"
    sleep 0.05
  done
  grep -q 'listening on' "$errf" || die "tcpdump did not start: $(cat "$errf")"
  sleep 0.3   # let the capture settle before any traffic
  printf -v "$__var" '%s' "$pid"
}
# stop_capture PID FILE; with CAPTURE_NONEMPTY=1 an empty capture is an error too (needs capinfos)
stop_capture() {
  sleep 0.3   # let the last ACKs/FINs be captured
  kill -INT "$1"
  wait "$1" || true
  grep -E 'captured|dropped' "$2.stderr" | sed 's/^/   tcpdump: /' >&2
  grep -q '^0 packets dropped by kernel' "$2.stderr" || die "tcpdump dropped packets for $2"
  if ((${CAPTURE_NONEMPTY:-0})); then
    local n; n=$(capinfos -c -M "$2" 2>/dev/null | awk '/Number of packets/{print $NF}')
    [[ ${n:-0} -gt 0 ]] || die "empty capture $2"
  fi
}
capfile() { echo "$WORK/cap/$1.pcap"; }

# ---------------------------------------------------------------- checks
expect_lines() { # file, expected content (lines joined by spaces)
  local got; got=$(tr '\n' ' ' <"$1")
  [[ "$got" == "$2" ]] || die "$1: got '$got' want '$2'"
}
