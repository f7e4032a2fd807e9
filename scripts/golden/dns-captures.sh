#!/usr/bin/env bash
# Regenerate tests/golden/dns-lookups.pcapng and dns-lookups.dns-expected.json: real DNS lookups
# against dnsmasq on loopback (dig, dig +tcp, a raw-socket Python client), a timeout, and a lookup
# followed at once by an HTTP request to the answered address. Run by `make-captures.sh dns`.
#
# Needs root (tcpdump), dnsmasq (2.90), dig (bind9-dnsutils), python3, tshark, editcap. Loopback
# only, ports 18110 (dnsmasq, UDP+TCP), 18111 (python -m http.server), 18112 (silent UDP port).
# The plan and the expected file are LOOKUPS in dns_golden.py; this script checks every client's
# result against it before writing the expected file.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # HERE ROOT OUT PY die log need_* make_work wait_port start/stop_capture

need_tools " (Debian: dnsmasq bind9-dnsutils)" tcpdump tshark editcap dnsmasq dig python3 ss
need_root
PD=18110 PH=18111 PS=18112
for p in $PD $PH; do need_free_port ltn $p "TCP port"; done
for p in $PD $PS; do need_free_port lun $p "UDP port"; done

make_work -dns

# dnsmasq in the foreground (it is our job; killed on exit), configured from dns_golden.ZONE
read -r -a ZONE_ARGS <<<"$("${PY[@]}" "$HERE/dns_golden.py" zone-args)"
dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=$PD --listen-address=127.0.0.1 --bind-interfaces \
  --pid-file="$WORK/dnsmasq.pid" --log-queries --log-facility="$WORK/dnsmasq.log" "${ZONE_ARGS[@]}" &
wait_port lun $PD
wait_port ltn $PD
"${PY[@]}" "$HERE/dns_golden.py" blackhole $PS 60 &
wait_port lun $PS
mkdir -p "$WORK/www"
"${PY[@]}" -c 'import sys; sys.path.insert(0, sys.argv[1]); import golden; open(sys.argv[2], "wb").write(golden.index_html(2048))' \
  "$HERE" "$WORK/www/index.html"
(cd "$WORK/www" && exec python3 -B -m http.server $PH --bind 127.0.0.1 >"$WORK/http.log" 2>&1) &
wait_port ltn $PH

F=$WORK/dns-lookups.pcap
log "dns-lookups.pcapng"
start_capture TD "$F" -i lo "port $PD or port $PH or port $PS"
DIG=(dig @127.0.0.1 -p $PD +tries=1 +timeout=3)
i=0
run_dig() { "$@" >"$WORK/q$i.out" 2>&1 || true; i=$((i + 1)); }
run_dig "${DIG[@]}" golden.test A
run_dig "${DIG[@]}" v6.golden.test AAAA
run_dig "${DIG[@]}" golden.test AAAA
run_dig "${DIG[@]}" alias.golden.test A
run_dig "${DIG[@]}" golden.test HTTPS
run_dig "${DIG[@]}" nope.golden.test A
run_dig "${DIG[@]}" unknown.example A
"${PY[@]}" "$HERE/dns_golden.py" query golden.test A $PD >"$WORK/q$i.py"; i=$((i + 1))
"${PY[@]}" "$HERE/dns_golden.py" query v6.golden.test AAAA $PD >"$WORK/q$i.py"; i=$((i + 1))
run_dig "${DIG[@]}" +tcp golden.test A
run_dig dig @127.0.0.1 -p $PS +tries=2 +timeout=1 golden.test A
sleep 0.2
"${PY[@]}" "$HERE/dns_golden.py" lookup-get golden.test $PD $PH >"$WORK/q$i.py"; i=$((i + 1))
stop_capture "$TD" "$F"

# every client's result must be what dns_golden.LOOKUPS says (dig output normalised to 'TYPE data')
"${PY[@]}" - "$HERE" "$WORK" <<'PYEOF' || die "a client's result differs from dns_golden.LOOKUPS"
import os, re, sys
sys.path.insert(0, sys.argv[1]); import dns_golden as g
w = sys.argv[2]
ok = True
for i, (client, transport, port, name, qtype, rcode, answers, attempts) in enumerate(g.LOOKUPS):
    if client.startswith("dig"):
        out = open(f"{w}/q{i}.out").read()
        m = re.search(r"status: (\w+)", out)
        got_rc = m.group(1) if m else None
        got = []
        sec = out.split(";; ANSWER SECTION:\n", 1)
        if len(sec) == 2:
            for line in sec[1].split("\n\n", 1)[0].splitlines():
                f = line.split(None, 4)
                got.append(f"{f[3]} {f[4].rstrip('.').replace(chr(34), '')}")
        if rcode is None:
            ok &= "no servers could be reached" in out or "timed out" in out
    elif client == "python":
        line = open(f"{w}/q{i}.py").read().split(" ", 1)
        got_rc, got = line[0], [a for a in line[1].strip().split(";") if a]
    else:   # lookup-get: "A addr status bytes ms"
        f = open(f"{w}/q{i}.py").read().split()
        got_rc, got = "NOERROR", [f"A {f[1]}"]
        ok &= f[2] == "200" and int(f[3]) == g.INDEX_SIZE
        print(f"   lookup-get: GET / -> {f[2]} {f[3]} B, {f[4]} ms after the query was sent", file=sys.stderr)
    if (got_rc, got) != (rcode, answers) and not (rcode is None):
        print(f"lookup {i} {client} {name} {qtype}: got {got_rc} {got}, want {rcode} {answers}", file=sys.stderr)
        ok = False
sys.exit(0 if ok else 1)
PYEOF
n=$(grep -c 'query\[' "$WORK/dnsmasq.log")
[[ $n == 11 ]] || die "dnsmasq logged $n queries, want 11 (every lookup except the silent-port one)"
editcap -F pcapng "$F" "$OUT/dns-lookups.pcapng"
"${PY[@]}" "$HERE/dns_golden.py" expected "$OUT/dns-lookups.dns-expected.json"
log "tshark cross-check"
"$HERE/tshark-check.sh" "$OUT/dns-lookups.dns-expected.json" >&2 || die "tshark disagrees with dns-lookups.dns-expected.json"
log "done"
