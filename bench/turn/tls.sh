#!/usr/bin/env bash
# TURN over TLS benchmark: ./parley bench turn tls
#
# What TLS costs a TURN server per relayed message: the same turnutils_uclient load (coturn's own
# load generator, client-to-client through two allocations per pair, channels, 170-byte messages)
# over UDP and over TLS (uclient -t -S, TURN over TLS/TCP, RFC 8656 §3.1) against two servers
# started here on loopback with the same certificate:
#   coturn  the Debian turnserver: long-term user, TLS listener, no DTLS, one relay thread per core
#   parley  the full Parley server (api/target/parley.jar) with its TURN server and its TLS
#           listener (it also starts embedded PostgreSQL and Redis; they are not measured)
# After one warm-up run of each (server, transport), ROUNDS rounds run coturn UDP, coturn TLS,
# Parley UDP, Parley TLS. Per run: server CPU seconds (utime+stime from /proc/PID/stat, delta over
# the run) ÷ messages delivered (uclient's received count) = CPU µs per relayed message. Medians,
# TLS ÷ UDP for each server and Parley ÷ coturn for each transport go to docs/BENCHMARKS.md.
#
# Run through bench/turn.sh (./parley bench turn tls), which the launcher calls with JAVA and
# PARLEY_ROOT set after building the jar. coturn (Debian package coturn) provides turnserver and
# turnutils_uclient; openssl makes the certificate.
set -euo pipefail

ROOT="${PARLEY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
JAR="$ROOT/api/target/parley.jar"
RESULTS="$ROOT/docs/BENCHMARKS.md"
COMMAND="./parley bench turn tls"

ROUNDS="${TURN_BENCH_ROUNDS:-5}"                # DESIGN.md: medians of >= 5 runs
CLIENTS=10                                      # uclient -m: 5 client-to-client pairs
MESSAGES="${TURN_TLS_BENCH_MESSAGES:-5000}"     # uclient -n: per client
INTERVAL_MS="${TURN_TLS_BENCH_INTERVAL_MS:-2}"  # uclient -z: ms between a client's messages
LENGTH=170                                      # uclient -l: bytes per message (an audio RTP packet)
THREADS="$(nproc)"
TURN_USER=bench
TURN_PASSWORD=bench-password
TURN_REALM=bench.parley
UCLIENT_TIMEOUT_S=300
READY_TIMEOUT_S=90
STOP_TIMEOUT_S=20          # > PARLEY_SHUTDOWN_TIMEOUT (10 s): let it stop PostgreSQL and Redis itself
COTURN_RELAY_PORTS=63000-63999            # away from bench/turn.sh's, should both run at once
PARLEY_RELAY_PORTS=64000-64999

# -c: one allocation per client (no RTCP pair), as bench/turn.sh; -y: client to client.
UCLIENT_ARGS=(-c -y -m "$CLIENTS" -n "$MESSAGES" -l "$LENGTH" -z "$INTERVAL_MS" -u "$TURN_USER" -w "$TURN_PASSWORD")
UCLIENT_SHOWN="turnutils_uclient [-t -S] -c -y -m $CLIENTS -n $MESSAGES -l $LENGTH -z $INTERVAL_MS -u U -w P -p PORT 127.0.0.1"

die() {
  echo "bench/turn tls: $*" >&2
  exit 1
}

[[ -n ${JAVA:-} && -x $JAVA ]] || die "JAVA is not set to a java binary: run this as ./parley bench turn tls"
[[ -f $JAR ]] || die "$JAR is missing: run this as ./parley bench turn tls (it builds first)"
for tool in turnserver turnutils_uclient turnutils_stunclient openssl curl awk; do
  command -v "$tool" >/dev/null || die "'$tool' not found (turnserver, turnutils_*: Debian package coturn)"
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "TURN_BENCH_ROUNDS must be a positive integer"
[[ $MESSAGES =~ ^[1-9][0-9]*$ ]] || die "TURN_TLS_BENCH_MESSAGES must be a positive integer"
[[ $INTERVAL_MS =~ ^[0-9]+$ ]] || die "TURN_TLS_BENCH_INTERVAL_MS must be a whole number of milliseconds"

WORK="$(mktemp -d)"
COTURN_PID=""
PARLEY_PID=""
COTURN_LOG="$WORK/coturn.log"
PARLEY_LOG="$WORK/parley.log"

# Stops process $1 with SIGTERM, SIGKILL after $2 seconds.
stop_process() {
  local pid="$1" limit="$2" i
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < limit * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "bench/turn tls: process $pid did not stop in ${limit}s, killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  trap '' PIPE
  stop_process "$COTURN_PID" 5
  stop_process "$PARLEY_PID" "$STOP_TIMEOUT_S"
  [[ -n ${TURN_BENCH_KEEP:-} ]] && echo "bench/turn tls: kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'exit 141' PIPE

fail() {
  local log="${2:-}"
  echo "bench/turn tls: $1" >&2
  if [[ -n $log && -s $log ]]; then
    echo "--- last lines of $(basename "$log") ---" >&2
    tail -n 40 "$log" >&2
  fi
  exit 1
}

# Waits until a STUN Binding on UDP port $1 is answered; $2: pid that must stay alive, $3: log.
await_stun() {
  local port="$1" pid="$2" log="$3" started=$SECONDS
  until timeout 3 turnutils_stunclient -p "$port" 127.0.0.1 >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || fail "the server exited during startup" "$log"
    ((SECONDS - started < READY_TIMEOUT_S)) || fail "no STUN answer on 127.0.0.1:$port within ${READY_TIMEOUT_S}s" "$log"
    sleep 0.3
  done
}

# "protocol cipher" a TLS client gets from 127.0.0.1:$1.
tls_session() {
  openssl s_client -connect "127.0.0.1:$1" </dev/null 2>/dev/null |
    awk '/^New, / { p = $2; c = $NF; sub(/,$/, "", p) } END { print p, c }'
}

# --- start both servers -------------------------------------------------------------------------

CERT="$WORK/turn.pem"
KEY="$WORK/turn.key"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout "$KEY" -out "$CERT" >/dev/null 2>&1 ||
  die "openssl could not make the certificate"

COTURN_PORT="$(free_port)"
COTURN_TLS_PORT="$(free_port "$COTURN_PORT")"
PARLEY_TURN_PORT="$(free_port "$COTURN_PORT" "$COTURN_TLS_PORT")"
PARLEY_TLS_PORT="$(free_port "$COTURN_PORT" "$COTURN_TLS_PORT" "$PARLEY_TURN_PORT")"
PARLEY_HTTP_PORT="$(free_port "$COTURN_PORT" "$COTURN_TLS_PORT" "$PARLEY_TURN_PORT" "$PARLEY_TLS_PORT")"
mkdir -p "$WORK/home"
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench/turn tls: load average at start: $LOAD_AT_START ($(nproc) cores)"

echo "bench/turn tls: starting coturn on 127.0.0.1:$COTURN_PORT, TLS on $COTURN_TLS_PORT (log: $COTURN_LOG)"
# -v: coturn logs each allocation's counters when it ends (its relayed messages, read below).
turnserver -n --no-cli --no-dtls -v --cert="$CERT" --pkey="$KEY" \
  --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port="$COTURN_PORT" --tls-listening-port="$COTURN_TLS_PORT" \
  --min-port="${COTURN_RELAY_PORTS%-*}" --max-port="${COTURN_RELAY_PORTS#*-}" \
  --lt-cred-mech --user="$TURN_USER:$TURN_PASSWORD" --realm="$TURN_REALM" \
  --allow-loopback-peers --relay-threads="$THREADS" \
  --userdb="$WORK/coturn.sqlite" --pidfile="$WORK/coturn.pid" \
  --log-file="$COTURN_LOG" --simple-log --no-stdout-log >/dev/null 2>&1 &
COTURN_PID=$!

# As bench/turn.sh: loopback peers allowed, no bandwidth cap, a per-user quota that never trips.
echo "bench/turn tls: starting Parley, TURN on 127.0.0.1:$PARLEY_TURN_PORT, TLS on $PARLEY_TLS_PORT (log: $PARLEY_LOG)"
cd "$ROOT"
env PARLEY_HOME="$WORK/home" \
  PARLEY_HTTP_HOST=127.0.0.1 \
  PARLEY_HTTP_PORT="$PARLEY_HTTP_PORT" \
  PARLEY_TURN_HOST=127.0.0.1 \
  PARLEY_TURN_PORT="$PARLEY_TURN_PORT" \
  PARLEY_TURN_TLS_PORT="$PARLEY_TLS_PORT" \
  PARLEY_TURN_TLS_CERT="$CERT" \
  PARLEY_TURN_TLS_KEY="$KEY" \
  PARLEY_TURN_RELAY_HOST=127.0.0.1 \
  PARLEY_TURN_RELAY_PORTS="$PARLEY_RELAY_PORTS" \
  PARLEY_TURN_ALLOW_PEERS=127.0.0.0/8 \
  PARLEY_TURN_USERS="$TURN_USER:$TURN_PASSWORD" \
  PARLEY_TURN_REALM="$TURN_REALM" \
  PARLEY_TURN_MAX_ALLOCATIONS_PER_USER=10000 \
  PARLEY_TURN_MAX_BPS=0 \
  PARLEY_LOG_FORMAT=text \
  "$JAVA" --enable-native-access=ALL-UNNAMED -jar "$JAR" >"$PARLEY_LOG" 2>&1 &
PARLEY_PID=$!

await_stun "$COTURN_PORT" "$COTURN_PID" "$COTURN_LOG"
started=$SECONDS
code="000"
while [[ $code != 200 ]]; do
  kill -0 "$PARLEY_PID" 2>/dev/null || fail "Parley exited during startup" "$PARLEY_LOG"
  ((SECONDS - started < READY_TIMEOUT_S)) ||
    fail "GET /health/ready did not return 200 within ${READY_TIMEOUT_S}s (last status: $code)" "$PARLEY_LOG"
  sleep 0.5
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PARLEY_HTTP_PORT/health/ready")" ||
    code="000"
done
await_stun "$PARLEY_TURN_PORT" "$PARLEY_PID" "$PARLEY_LOG"
C_TLS_SESSION="$(tls_session "$COTURN_TLS_PORT")"
P_TLS_SESSION="$(tls_session "$PARLEY_TLS_PORT")"
[[ $C_TLS_SESSION == TLS* ]] || fail "no TLS handshake with coturn on $COTURN_TLS_PORT" "$COTURN_LOG"
[[ $P_TLS_SESSION == TLS* ]] || fail "no TLS handshake with Parley on $PARLEY_TLS_PORT" "$PARLEY_LOG"
echo "bench/turn tls: both servers up; TLS sessions: coturn $C_TLS_SESSION, Parley $P_TLS_SESSION"

# --- measure ------------------------------------------------------------------------------------

# Messages Parley's relays have forwarded to their clients so far (its metric).
parley_relayed() {
  curl -s --max-time 5 "http://127.0.0.1:$PARLEY_HTTP_PORT/metrics" |
    awk '/^parley_turn_packets_total\{/ && /direction="peer_to_client"/ { n += $NF } END { printf "%.0f", n }'
}

# Messages coturn's relays forwarded to their clients, from log line $1 on: the sum of the "peer
# usage" counters it logs (-v) for each allocation every few seconds and at its end, rp being what
# the relay received from the peer and sent on to its client (a delta since the last report).
coturn_relayed_since() {
  tail -n +"$(($1 + 1))" "$COTURN_LOG" | grep "peer usage: realm=<$TURN_REALM>, username=<$TURN_USER>" |
    sed -n 's/.* rp=\([0-9]*\),.*/\1/p' | awk '{ n += $1 } END { printf "%.0f", n }'
}

# coturn's relayed messages of the run that began at log line $1, once its last reports are in:
# when they reach $2 (the messages sent), or after 5 s without a new one (at most 60 s).
coturn_relayed() {
  local from="$1" expected="$2" n last=-1 still=0 i
  for ((i = 0; i < 600 && still < 50; i++)); do
    n="$(coturn_relayed_since "$from")"
    ((n >= expected)) && break
    if ((n == last)); then still=$((still + 1)); else still=0 last=$n; fi
    sleep 0.1
  done
  echo "$n"
}

# One uclient run against server $1 (coturn|parley) over $2 (udp|tls); sets RELAYED (messages the
# server forwarded to clients, by its own count), RECEIVED and LOST (uclient's counts), CPU_S and
# US (server CPU µs per relayed message).
run_uclient() {
  local name="$1" transport="$2" port pid log out c0 c1 rc=0 sent secure=() mark
  if [[ $name == coturn ]]; then
    pid="$COTURN_PID" log="$COTURN_LOG" port="$COTURN_PORT"
    [[ $transport == tls ]] && port="$COTURN_TLS_PORT"
  else
    pid="$PARLEY_PID" log="$PARLEY_LOG" port="$PARLEY_TURN_PORT"
    [[ $transport == tls ]] && port="$PARLEY_TLS_PORT"
  fi
  [[ $transport == tls ]] && secure=(-t -S)
  kill -0 "$pid" 2>/dev/null || fail "$name is no longer running" "$log"
  out="$WORK/uclient-$name-$transport.out"
  if [[ $name == coturn ]]; then mark="$(wc -l <"$COTURN_LOG")"; else mark="$(parley_relayed)"; fi
  c0="$(cpu_seconds "$pid")"
  timeout "$UCLIENT_TIMEOUT_S" turnutils_uclient "${secure[@]}" "${UCLIENT_ARGS[@]}" -p "$port" 127.0.0.1 >"$out" 2>&1 || rc=$?
  c1="$(cpu_seconds "$pid")"
  ((rc == 0)) || fail "turnutils_uclient against $name over $transport exited $rc:"$'\n'"$(tail -n 20 "$out")" "$log"
  sent="$(sed -n 's/.*start_mclient: tot_send_msgs=\([0-9]*\), tot_recv_msgs=.*/\1/p' "$out" | tail -n 1)"
  RECEIVED="$(sed -n 's/.*start_mclient: tot_send_msgs=[0-9]*, tot_recv_msgs=\([0-9]*\).*/\1/p' "$out" | tail -n 1)"
  LOST="$(sed -n 's/.*Total lost packets \([0-9]*\) .*/\1/p' "$out" | tail -n 1)"
  [[ -n $sent && -n $RECEIVED && -n $LOST ]] || fail "cannot parse uclient output for $name $transport:"$'\n'"$(tail -n 20 "$out")"
  ((sent == CLIENTS * MESSAGES)) || fail "uclient sent $sent messages to $name over $transport, expected $((CLIENTS * MESSAGES))"
  if [[ $name == coturn ]]; then RELAYED="$(coturn_relayed "$mark" "$sent")"; else RELAYED=$(($(parley_relayed) - mark)); fi
  ((RELAYED > 0)) || fail "$name relayed nothing over $transport:"$'\n'"$(tail -n 20 "$out")" "$log"
  CPU_S="$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')"
  US="$(awk -v c="$CPU_S" -v n="$RELAYED" 'BEGIN { printf "%.1f", c * 1e6 / n }')"
}

RUNS=("coturn udp" "coturn tls" "parley udp" "parley tls")
echo "bench/turn tls: load per run: $UCLIENT_SHOWN ($((CLIENTS * MESSAGES)) messages)"
echo "bench/turn tls: warm-up, one run each (not counted)"
for run in "${RUNS[@]}"; do
  # shellcheck disable=SC2086 # "server transport"
  run_uclient $run
  printf '  %-10s: relayed %d, uclient received %d, lost %d, server CPU %5.2f s, %6.1f µs/msg\n' "$run" "$RELAYED" "$RECEIVED" "$LOST" "$CPU_S" "$US"
done

declare -A us lost relayed
for run in "${RUNS[@]}"; do
  us[$run]="" lost[$run]=0 relayed[$run]=0
done
for ((r = 1; r <= ROUNDS; r++)); do
  for run in "${RUNS[@]}"; do
    # shellcheck disable=SC2086
    run_uclient $run
    us[$run]+="$US " lost[$run]=$((lost[$run] + LOST)) relayed[$run]=$((relayed[$run] + RELAYED))
    printf 'round %d/%d %-10s: relayed %d, uclient received %d, lost %d, server CPU %5.2f s, %6.1f µs/msg\n' \
      "$r" "$ROUNDS" "$run" "$RELAYED" "$RECEIVED" "$LOST" "$CPU_S" "$US"
  done
done
stop_process "$COTURN_PID" 5
COTURN_PID=""
stop_process "$PARLEY_PID" "$STOP_TIMEOUT_S"
PARLEY_PID=""

# shellcheck disable=SC2086 # the lists are space-separated on purpose
{
  C_UDP="$(median ${us[coturn udp]})" C_TLS="$(median ${us[coturn tls]})"
  P_UDP="$(median ${us[parley udp]})" P_TLS="$(median ${us[parley tls]})"
}
C_TLS_UDP="$(ratio "$C_TLS" "$C_UDP")" P_TLS_UDP="$(ratio "$P_TLS" "$P_UDP")"
UDP_RATIO="$(ratio "$P_UDP" "$C_UDP")" TLS_RATIO="$(ratio "$P_TLS" "$C_TLS")"
TOTAL=$((ROUNDS * CLIENTS * MESSAGES))
pct() { awk -v l="$1" -v t="$TOTAL" 'BEGIN { printf "%.1f", 100 * l / t }'; }
RELAYED_PCT="$(for run in "${RUNS[@]}"; do pct "${relayed[$run]}"; echo; done | paste -sd/ | sed 's|/| / |g')"
LOSS="$(for run in "${RUNS[@]}"; do pct "${lost[$run]}"; echo; done | paste -sd/ | sed 's|/| / |g')"

# --- record -------------------------------------------------------------------------------------

ROW="| $(date -u +%Y-%m-%dT%H:%MZ) | $(commit) | $(nproc) cores, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), load $LOAD_AT_START at start | \`$COMMAND\` | -m $CLIENTS -n $MESSAGES -z $INTERVAL_MS | $C_TLS_SESSION / $P_TLS_SESSION | $C_UDP / $C_TLS | $C_TLS_UDP | $P_UDP / $P_TLS | $P_TLS_UDP | $UDP_RATIO / $TLS_RATIO | $RELAYED_PCT | $LOSS |"
SECTION="## turn tls: TURN over TLS against coturn (\`$COMMAND\`)"

write_tls_section() {
  cat <<EOF

$SECTION

What TLS costs per relayed message, in coturn and in Parley. The same coturn load generator runs
over UDP and over TURN over TLS (\`turns:\`, TLS over TCP, RFC 8656 §3.1: \`turnutils_uclient -t -S\`)
against coturn (Debian \`turnserver\`, TLS listener on, DTLS off, $THREADS relay threads) and Parley
(the whole server, \`java -jar api/target/parley.jar\`, its TURN TLS listener on, $THREADS event
loops), both started by the benchmark on 127.0.0.1 with the same self-signed RSA 2048 certificate
and otherwise the settings of the \`turn\` section above. Per run,

    $UCLIENT_SHOWN

runs $CLIENTS clients in client-to-client pairs, each sending \`-n\` messages of $LENGTH bytes over a
channel to its partner's relayed address, one every \`-z\` ms: each message goes in over one
client's connection, between the two relays, and out over the other's (over TLS: decrypted once,
encrypted once). The load is paced (a fixed offered rate below both servers' ceilings, so both
do the same work) rather than unpaced as in the \`turn\` section, which measures the ceiling. One
warm-up run of each, then $ROUNDS rounds of coturn UDP, coturn TLS, Parley UDP, Parley TLS. The
load generator shares the cores with the server.

- **TLS**: protocol and cipher suite that \`openssl s_client\` negotiates with each server, coturn / Parley.
- **µs/msg**: server CPU (utime + stime of the server process, all threads, from \`/proc/PID/stat\`,
  over one run) ÷ messages the server relayed to clients by its own count (coturn: the \`rp\` of
  the "peer usage" counters it logs with \`-v\` every few seconds and at each allocation's end;
  Parley: its \`parley_turn_packets_total{direction="peer_to_client"}\`), median of the rounds, in
  microseconds, UDP / TLS (Parley's first TLS rounds after the warm-up run are slower, the JIT
  still compiling its TLS path; the median is not); **TLS ÷ UDP**: the ratio of those medians, what TLS costs that server.
- **Parley ÷ coturn**: of the medians, over UDP / over TLS.
- **relayed %**, **uclient lost %**: over all rounds, of the messages uclient sent: relayed by the
  server's count, and lost by uclient's, coturn UDP / coturn TLS / Parley UDP / Parley TLS. uclient
  loses about 30 % of coturn's TLS messages although coturn's counters show every one relayed:
  uclient logs "Wrong integrity in a message received from server" and misreads part of coturn's
  TLS stream (it reads Parley's, one message per TLS record, without loss). The CPU per message
  counts what the server relayed, so that loss does not skew it.

| date (UTC) | commit | machine | command | uclient | TLS coturn / Parley | coturn µs/msg UDP / TLS | coturn TLS ÷ UDP | Parley µs/msg UDP / TLS | Parley TLS ÷ UDP | Parley ÷ coturn UDP / TLS | relayed % | uclient lost % |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
EOF
}

add_row "$SECTION" write_tls_section "$ROW"

echo
echo "coturn: $C_UDP µs/msg over UDP, $C_TLS over TLS: TLS ÷ UDP $C_TLS_UDP"
echo "parley: $P_UDP µs/msg over UDP, $P_TLS over TLS: TLS ÷ UDP $P_TLS_UDP"
echo "Parley ÷ coturn: UDP $UDP_RATIO, TLS $TLS_RATIO"
echo "coturn UDP / TLS / Parley UDP / TLS: relayed % $RELAYED_PCT; uclient lost % $LOSS"
echo "row added to docs/BENCHMARKS.md"
