#!/usr/bin/env bash
# TURN relay benchmark: ./parley bench turn
#
# Drives the same turnutils_uclient load (coturn's own load generator, UDP, client-to-client through
# two allocations per pair, channels, 170-byte messages at its maximum rate) against two servers
# started here on loopback with equivalent settings:
#   coturn  the Debian turnserver: long-term user, no TLS/DTLS, one relay thread per core
#   parley  Parley (api/target/parley.jar) with its TURN server on as many event loops as cores:
#           by default an edge TURN node (PARLEY_ROLES=turn) with the JVM options './parley run'
#           gives one (no PostgreSQL, no Redis, no engines); with TURN_BENCH_NODE=full the whole
#           server with default options (it also starts embedded PostgreSQL and Redis; they are not
#           measured)
# Both stay up for the whole benchmark; after WARMUP warm-up runs each, the uclient runs alternate
# coturn, parley, coturn, parley, ... over ROUNDS rounds. Per run: wall time for the fixed message
# count, messages lost (uclient's own count), server CPU seconds (utime+stime of the server process
# from /proc/PID/stat, delta over the run). At the end: each server's peak RSS (VmHWM). Medians and
# the Parley/coturn ratios go to docs/BENCHMARKS.md.
#
# Expects JAVA, PARLEY_ROOT and PARLEY_TURN_NODE_JAVA_OPTS from the launcher (which also builds the jar). coturn (Debian
# package coturn) provides turnserver, turnutils_uclient and turnutils_stunclient.
set -euo pipefail

# ./parley bench turn tls: what TLS costs per relayed message, a benchmark of its own.
if [[ ${1:-} == tls ]]; then
  shift
  exec bash "$(dirname "${BASH_SOURCE[0]}")/turn/tls.sh" "$@"
fi

ROOT="${PARLEY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
JAR="$ROOT/api/target/parley.jar"
RESULTS="$ROOT/docs/BENCHMARKS.md"
# The command as run: the node kind and extra JVM options when not the defaults.
COMMAND="${TURN_BENCH_NODE:+TURN_BENCH_NODE=$TURN_BENCH_NODE }${PARLEY_JAVA_OPTS:+PARLEY_JAVA_OPTS='$PARLEY_JAVA_OPTS' }./parley bench turn"

ROUNDS="${TURN_BENCH_ROUNDS:-5}"           # DESIGN.md: medians of >= 5 runs
# Warm-up runs per server before the rounds: an edge node compiles with C2 alone on one compiler
# thread (its JVM options keep its memory small), which is still compiling the data path during the
# first run and part of the second (CPU per run here: ~3 s with the start, 0.9, then 0.5-0.6).
WARMUP="${TURN_BENCH_WARMUP:-3}"
CLIENTS=10                                 # uclient -m: 5 client-to-client pairs
MESSAGES="${TURN_BENCH_MESSAGES:-20000}"   # uclient -n: per client
LENGTH=170                                 # uclient -l: bytes per message (an audio RTP packet)
THREADS="$(nproc)"                         # coturn relay threads = Parley's TURN event loops
TURN_USER=bench
TURN_PASSWORD=bench-password
TURN_REALM=bench.parley
UCLIENT_TIMEOUT_S=180
READY_TIMEOUT_S=90
STOP_TIMEOUT_S=20          # > PARLEY_SHUTDOWN_TIMEOUT (10 s): let it stop PostgreSQL and Redis itself
THROUGHPUT_GOAL=1          # Parley msgs/s / coturn msgs/s >= this, with zero loss
CPU_GOAL=0.7               # Parley CPU s / coturn CPU s <= this (issue 21; rows before 2026-12-05T12:00Z judged 1.5)
RSS_GOAL_MB=128            # a TURN-only node's peak RSS under this load <= this
NODE="${TURN_BENCH_NODE:-turn}"   # turn: an edge TURN node (PARLEY_ROLES=turn); full: the whole server
SATURATED_GOAL=1.2         # Parley's saturated msgs/s / coturn's >= this (judged on the flood below)
# The saturated load: TurnFlood (media test sources), PAIRS client pairs sending ChannelData in
# GSO batches as fast as the server relays it, FLOOD_WARMUP_S then FLOOD_SECONDS counted, per round.
FLOOD_PAIRS="${TURN_BENCH_FLOOD_PAIRS:-6}"
FLOOD_WARMUP_S=2
FLOOD_SECONDS="${TURN_BENCH_FLOOD_SECONDS:-5}"
COTURN_RELAY_PORTS=61000-61999
PARLEY_RELAY_PORTS=62000-62999

# The uclient arguments both servers get (the port is added per server). -c: no RTCP allocations
# (one allocation each, so both servers relay the same load; the default RTP/RTCP pairs are tested in CoturnClientsTest); -y: client to client;
# -z 0: no pacing, at most 50 messages per session and millisecond (uclient's cap).
UCLIENT_ARGS=(-c -y -m "$CLIENTS" -n "$MESSAGES" -l "$LENGTH" -z 0 -u "$TURN_USER" -w "$TURN_PASSWORD")
UCLIENT_SHOWN="turnutils_uclient -c -y -m $CLIENTS -n $MESSAGES -l $LENGTH -z 0 -u U -w P -p PORT 127.0.0.1"

die() {
  echo "bench/turn: $*" >&2
  exit 1
}

[[ -n ${JAVA:-} && -x $JAVA ]] || die "JAVA is not set to a java binary: run this as ./parley bench turn"
[[ -f $JAR ]] || die "$JAR is missing: run this as ./parley bench turn (it builds first)"
for tool in turnserver turnutils_uclient turnutils_stunclient; do
  command -v "$tool" >/dev/null || die "'$tool' not found: install the Debian package coturn"
done
for tool in curl awk; do
  command -v "$tool" >/dev/null || die "'$tool' not found"
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "TURN_BENCH_ROUNDS must be a positive integer"
[[ $MESSAGES =~ ^[1-9][0-9]*$ ]] || die "TURN_BENCH_MESSAGES must be a positive integer"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "TURN_BENCH_WARMUP must be a non-negative integer"
[[ $NODE == turn || $NODE == full ]] || die "TURN_BENCH_NODE must be turn or full (got '$NODE')"
if [[ $NODE == turn ]]; then
  [[ -n ${PARLEY_TURN_NODE_JAVA_OPTS:-} ]] || die "PARLEY_TURN_NODE_JAVA_OPTS is not set: run this as ./parley bench turn"
  # As './parley run' starts one: the edge options, then PARLEY_JAVA_OPTS (which may override them).
  read -r -a NODE_JAVA_OPTS <<<"$PARLEY_TURN_NODE_JAVA_OPTS ${PARLEY_JAVA_OPTS:-}"
  NODE_ROLES=turn
  NODE_SHOWN="TURN-only node (PARLEY_ROLES=turn, $PARLEY_TURN_NODE_JAVA_OPTS${PARLEY_JAVA_OPTS:+ $PARLEY_JAVA_OPTS})"
else
  NODE_JAVA_OPTS=()
  NODE_ROLES=turn,api,signal,voice,vision
  NODE_SHOWN="full node (default roles and JVM options)"
fi

WORK="$(mktemp -d)"
COTURN_PID=""
PARLEY_PID=""
COTURN_LOG="$WORK/coturn.log"
PARLEY_LOG="$WORK/parley.log"
CLK_TCK="$(getconf CLK_TCK)"

stop_coturn() {
  local i
  if [[ -n $COTURN_PID ]] && kill -0 "$COTURN_PID" 2>/dev/null; then
    kill -TERM "$COTURN_PID" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$COTURN_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$COTURN_PID" 2>/dev/null || true
    wait "$COTURN_PID" 2>/dev/null || true
  fi
  COTURN_PID=""
}

# SIGTERM first: a SIGKILLed JVM leaves its embedded PostgreSQL and Redis running, so those are
# stopped by their pidfiles (inside our own PARLEY_HOME) then.
stop_parley() {
  local i pid pidfile
  if [[ -n $PARLEY_PID ]] && kill -0 "$PARLEY_PID" 2>/dev/null; then
    kill -TERM "$PARLEY_PID" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT_S * 10; i++)); do
      kill -0 "$PARLEY_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$PARLEY_PID" 2>/dev/null; then
      echo "bench/turn: Parley did not stop in ${STOP_TIMEOUT_S}s, killing it" >&2
      kill -KILL "$PARLEY_PID" 2>/dev/null || true
      while IFS= read -r pidfile; do
        read -r pid <"$pidfile" || continue
        if [[ $pid =~ ^[0-9]+$ ]]; then
          kill -INT "$pid" 2>/dev/null || true   # SIGINT: PostgreSQL's fast shutdown
        fi
      done < <(find "$WORK" \( -name postmaster.pid -o -name '*redis*.pid' \) 2>/dev/null)
    fi
    wait "$PARLEY_PID" 2>/dev/null || true
  fi
  PARLEY_PID=""
}

cleanup() {
  trap '' PIPE   # a closed stdout (| head) must not cut the cleanup short
  stop_coturn
  stop_parley
  [[ -n ${TURN_BENCH_KEEP:-} ]] && echo "bench/turn: kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'exit 141' PIPE

# The saturated load generator's classpath (media's test classes and their dependencies).
FLOOD_CP="$WORK/flood-classpath.txt"
test_classpath media "$FLOOD_CP" turn

# Fails the benchmark, showing the end of a log (the usual place for the reason).
fail() {
  local log="${2:-}"
  echo "bench/turn: $1" >&2
  if [[ -n $log && -s $log ]]; then
    echo "--- last lines of $(basename "$log") ---" >&2
    tail -n 40 "$log" >&2
  fi
  exit 1
}

# A port nothing listens on over TCP, from a range away from the usual ones (loopback only).
free_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % 30000))
    [[ " $* " == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  die "no free TCP port found on 127.0.0.1"
}

# utime+stime of process $1 in seconds (all its threads); the name field may hold spaces.
cpu_seconds() {
  local stat
  stat="$(<"/proc/$1/stat")" || return 1
  stat="${stat##*) }"   # fields from 3 (state) on
  awk -v tck="$CLK_TCK" '{ printf "%.2f", ($12 + $13) / tck }' <<<"$stat"
}

# Peak resident set (VmHWM) of process $1, in MB.
peak_rss_mb() {
  awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# One line per UDP socket of the run against the server on port $1 with relay ports $2-$3:
# "inode class drops", class "listener" or "relay" (the server's) or "uclient" (sockets connected
# to the server's port). The kernel counts, per socket, datagrams dropped for a full receive buffer.
udp_drops() {
  awk -v sport="$1" -v lo="$2" -v hi="$3" '
    function hex(s,   i, n) {
      n = 0
      s = toupper(s)
      for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789ABCDEF", substr(s, i, 1)) - 1
      return n
    }
    FNR > 1 {
      l = $2; sub(/.*:/, "", l); l = hex(l)
      r = $3; sub(/.*:/, "", r); r = hex(r)
      cls = (l == sport) ? "listener" : (l >= lo && l <= hi) ? "relay" : (r == sport) ? "uclient" : ""
      if (cls != "") print $10, cls, $NF
    }' /proc/net/udp /proc/net/udp6
}

# Median of the numbers given as arguments.
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
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

# --- start both servers -------------------------------------------------------------------------

COTURN_PORT="$(free_port)"
PARLEY_TURN_PORT="$(free_port "$COTURN_PORT")"
PARLEY_HTTP_PORT="$(free_port "$COTURN_PORT" "$PARLEY_TURN_PORT")"
mkdir -p "$WORK/home"
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench/turn: load average at start: $LOAD_AT_START ($(nproc) cores)"

echo "bench/turn: starting coturn on 127.0.0.1:$COTURN_PORT (log: $COTURN_LOG)"
turnserver -n --no-cli --no-tls --no-dtls \
  --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port="$COTURN_PORT" \
  --min-port="${COTURN_RELAY_PORTS%-*}" --max-port="${COTURN_RELAY_PORTS#*-}" \
  --lt-cred-mech --user="$TURN_USER:$TURN_PASSWORD" --realm="$TURN_REALM" \
  --allow-loopback-peers --relay-threads="$THREADS" \
  --userdb="$WORK/coturn.sqlite" --pidfile="$WORK/coturn.pid" \
  --log-file="$COTURN_LOG" --simple-log --no-stdout-log >/dev/null 2>&1 &
COTURN_PID=$!

# Equivalent settings: loopback peers allowed, no bandwidth cap (coturn's max-bps defaults to 0,
# unlimited; Parley's is 5 MB/s per allocation and direction, which this load exceeds), and a
# per-user quota that never trips (every uclient run makes CLIENTS allocations).
echo "bench/turn: starting Parley as a $NODE_SHOWN, TURN on 127.0.0.1:$PARLEY_TURN_PORT (log: $PARLEY_LOG)"
cd "$ROOT"
PARLEY_T0="$(date +%s%N)"
env PARLEY_HOME="$WORK/home" \
  PARLEY_ROLES="$NODE_ROLES" \
  PARLEY_HTTP_HOST=127.0.0.1 \
  PARLEY_HTTP_PORT="$PARLEY_HTTP_PORT" \
  PARLEY_TURN_HOST=127.0.0.1 \
  PARLEY_TURN_PORT="$PARLEY_TURN_PORT" \
  PARLEY_TURN_RELAY_HOST=127.0.0.1 \
  PARLEY_TURN_RELAY_PORTS="$PARLEY_RELAY_PORTS" \
  PARLEY_TURN_ALLOW_PEERS=127.0.0.0/8 \
  PARLEY_TURN_USERS="$TURN_USER:$TURN_PASSWORD" \
  PARLEY_TURN_REALM="$TURN_REALM" \
  PARLEY_TURN_MAX_ALLOCATIONS_PER_USER=10000 \
  PARLEY_TURN_MAX_BPS=0 \
  PARLEY_LOG_FORMAT=text \
  "$JAVA" --enable-native-access=ALL-UNNAMED "${NODE_JAVA_OPTS[@]}" -jar "$JAR" >"$PARLEY_LOG" 2>&1 &
PARLEY_PID=$!

await_stun "$COTURN_PORT" "$COTURN_PID" "$COTURN_LOG"
started=$SECONDS
code="000"
while [[ $code != 200 ]]; do
  if ! kill -0 "$PARLEY_PID" 2>/dev/null; then
    wait "$PARLEY_PID" && rc=0 || rc=$?
    PARLEY_PID=""
    fail "Parley exited during startup (status $rc)" "$PARLEY_LOG"
  fi
  ((SECONDS - started < READY_TIMEOUT_S)) ||
    fail "GET /health/ready did not return 200 within ${READY_TIMEOUT_S}s (last status: $code)" "$PARLEY_LOG"
  sleep 0.1
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PARLEY_HTTP_PORT/health/ready")" ||
    code="000"
done
await_stun "$PARLEY_TURN_PORT" "$PARLEY_PID" "$PARLEY_LOG"
# Startup: from the java command to a STUN answer (coturn started first and was ready before).
STARTUP_S="$(awk -v ns="$(($(date +%s%N) - PARLEY_T0))" 'BEGIN { printf "%.1f", ns / 1e9 }')"
IDLE_RSS="$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$PARLEY_PID/status")"
echo "bench/turn: both servers answer STUN; Parley ready in $STARTUP_S s, RSS $IDLE_RSS MB before any load"

# --- measure ------------------------------------------------------------------------------------

# The saturated rate of a uclient run (its output in $1): the most messages received in one of the
# seconds it reports (uclient prints its running totals once a second), when every session sends
# unpaced at once; the run's average (msgs/s) also holds the staggered start and the tail.
busiest_second() {
  sed -n 's/.*start_mclient: msz=[0-9]*, tot_send_msgs=[0-9]*, tot_recv_msgs=\([0-9]*\),.*/\1/p' "$1" |
    awk 'NR > 1 && $1 - prev > top { top = $1 - prev } { prev = $1 } END { print top + 0 }'
}

# One uclient run against server $1 (coturn|parley); sets WALL_S, RECEIVED, LOST, CPU_S, PEAK (the
# busiest second's msgs/s), and the
# datagrams the kernel dropped at the server's listener and relay sockets and at uclient's:
# LISTENER_DROPS, RELAY_DROPS, SERVER_DROPS (their sum), CLIENT_DROPS.
run_uclient() {
  local name="$1" port pid log relays out t0 t1 c0 c1 rc=0 sent poller
  if [[ $name == coturn ]]; then
    port="$COTURN_PORT" pid="$COTURN_PID" log="$COTURN_LOG" relays="$COTURN_RELAY_PORTS"
  else
    port="$PARLEY_TURN_PORT" pid="$PARLEY_PID" log="$PARLEY_LOG" relays="$PARLEY_RELAY_PORTS"
  fi
  kill -0 "$pid" 2>/dev/null || fail "$name is no longer running" "$log"
  out="$WORK/uclient-$name.out"
  # Socket drop counters end with their sockets: sample them while uclient runs (5 per second),
  # after a baseline for the server's long-lived listeners.
  udp_drops "$port" "${relays%-*}" "${relays#*-}" >"$WORK/drops0"
  while :; do
    udp_drops "$port" "${relays%-*}" "${relays#*-}"
    sleep 0.2
  done >"$WORK/drops" &
  poller=$!
  c0="$(cpu_seconds "$pid")"
  t0="$(date +%s%N)"
  timeout "$UCLIENT_TIMEOUT_S" turnutils_uclient "${UCLIENT_ARGS[@]}" -p "$port" 127.0.0.1 >"$out" 2>&1 || rc=$?
  t1="$(date +%s%N)"
  c1="$(cpu_seconds "$pid")"
  kill "$poller" 2>/dev/null || true
  wait "$poller" 2>/dev/null || true
  read -r LISTENER_DROPS RELAY_DROPS CLIENT_DROPS < <(awk '
    FNR == NR { base[$1] = $3; next }
    { if (!($1 in top) || $3 > top[$1]) top[$1] = $3; cls[$1] = $2 }
    END {
      for (i in top) { d = top[i] - ((i in base) ? base[i] : 0); if (d > 0) sum[cls[i]] += d }
      printf "%d %d %d\n", sum["listener"], sum["relay"], sum["uclient"]
    }' "$WORK/drops0" "$WORK/drops")
  SERVER_DROPS=$((LISTENER_DROPS + RELAY_DROPS))
  ((rc == 0)) || fail "turnutils_uclient against $name exited $rc:"$'\n'"$(tail -n 20 "$out")" "$log"
  # The summary lines: "start_mclient: tot_send_msgs=N, tot_recv_msgs=M" and "Total lost packets L (...".
  sent="$(sed -n 's/.*start_mclient: tot_send_msgs=\([0-9]*\), tot_recv_msgs=.*/\1/p' "$out" | tail -n 1)"
  RECEIVED="$(sed -n 's/.*start_mclient: tot_send_msgs=[0-9]*, tot_recv_msgs=\([0-9]*\).*/\1/p' "$out" | tail -n 1)"
  LOST="$(sed -n 's/.*Total lost packets \([0-9]*\) .*/\1/p' "$out" | tail -n 1)"
  [[ -n $sent && -n $RECEIVED && -n $LOST ]] || fail "cannot parse uclient output for $name:"$'\n'"$(tail -n 20 "$out")"
  ((sent == CLIENTS * MESSAGES)) || fail "uclient sent $sent messages to $name, expected $((CLIENTS * MESSAGES))"
  WALL_S="$(awk -v ns="$((t1 - t0))" 'BEGIN { printf "%.3f", ns / 1e9 }')"
  CPU_S="$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')"
  PEAK="$(busiest_second "$out")"
}

# One TurnFlood run against server $1 (coturn|parley); sets FLOOD_RATE (msgs/s relayed, counted
# seconds), FLOOD_PEAK (its busiest second), FLOOD_LOST and FLOOD_CPU (server CPU s per million msgs).
run_flood() {
  local name="$1" port pid log out c0 c1
  if [[ $name == coturn ]]; then
    port="$COTURN_PORT" pid="$COTURN_PID" log="$COTURN_LOG"
  else
    port="$PARLEY_TURN_PORT" pid="$PARLEY_PID" log="$PARLEY_LOG"
  fi
  kill -0 "$pid" 2>/dev/null || fail "$name is no longer running" "$log"
  out="$WORK/flood-$name.out"
  c0="$(cpu_seconds "$pid")"
  "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx128m -cp "$ROOT/media/target/test-classes:$ROOT/media/target/classes:$ROOT/core/target/classes:$(cat "$FLOOD_CP")" \
    io.parley.media.turn.bench.TurnFlood 127.0.0.1 "$port" "$TURN_USER" "$TURN_PASSWORD" "$FLOOD_PAIRS" \
    "$FLOOD_WARMUP_S" "$FLOOD_SECONDS" >"$out" 2>&1 || fail "TurnFlood against $name failed:"$'\n'"$(tail -n 20 "$out")" "$log"
  c1="$(cpu_seconds "$pid")"
  read -r FLOOD_TOTAL FLOOD_RATE FLOOD_PEAK FLOOD_LOST < <(sed -n \
    's/^flood: received \([0-9]*\) msgs in [0-9]* s (\([0-9]*\) msgs\/s), busiest second \([0-9]*\), lost \([0-9]*\)$/\1 \2 \3 \4/p' "$out")
  [[ -n ${FLOOD_RATE:-} ]] || fail "cannot parse TurnFlood output for $name:"$'\n'"$(tail -n 20 "$out")"
  # CPU over the whole flood (its warm-up too), per million messages relayed in it.
  FLOOD_CPU="$(awk -v a="$c0" -v b="$c1" -v n="$(sed -n 's/^flood: sent [0-9]*, received \([0-9]*\),.*/\1/p' "$out")" \
    'BEGIN { printf "%.2f", (n > 0 ? (b - a) / n * 1e6 : 0) }')"
}

echo "bench/turn: load per run: $UCLIENT_SHOWN ($((CLIENTS * MESSAGES)) messages)"
echo "bench/turn: warm-up, $WARMUP runs per server (not counted)"
for ((w = 1; w <= WARMUP; w++)); do
  for name in coturn parley; do
    run_uclient "$name"
    echo "  $name: ${WALL_S}s, lost $LOST (dropped at listener $LISTENER_DROPS, relays $RELAY_DROPS, uclient $CLIENT_DROPS), server CPU $CPU_S s"
  done
done

declare -A wall rate cpu lost sdrops peak
for name in coturn parley; do
  wall[$name]="" rate[$name]="" cpu[$name]="" lost[$name]=0 sdrops[$name]=0 peak[$name]=""
done
for ((r = 1; r <= ROUNDS; r++)); do
  for name in coturn parley; do
    run_uclient "$name"
    RATE="$(awk -v n="$RECEIVED" -v s="$WALL_S" 'BEGIN { printf "%.0f", n / s }')"
    wall[$name]+="$WALL_S " rate[$name]+="$RATE " cpu[$name]+="$CPU_S " peak[$name]+="$PEAK "
    lost[$name]=$((lost[$name] + LOST)) sdrops[$name]=$((sdrops[$name] + SERVER_DROPS))
    printf 'round %d/%d %-6s: %7.3f s, %7d msgs/s (busiest second %d), lost %d (dropped at listener %d, relays %d, uclient %d), server CPU %5.2f s\n' \
      "$r" "$ROUNDS" "$name" "$WALL_S" "$RATE" "$PEAK" "$LOST" "$LISTENER_DROPS" "$RELAY_DROPS" "$CLIENT_DROPS" "$CPU_S"
  done
done

echo "bench/turn: saturated load: TurnFlood, $FLOOD_PAIRS client pairs on $(nproc) threads, batches of 32 in GSO sends, ${FLOOD_WARMUP_S} s warm-up + ${FLOOD_SECONDS} s counted, $ROUNDS rounds"
declare -A frate fcpu fpeak flost
for name in coturn parley; do
  frate[$name]="" fcpu[$name]="" fpeak[$name]="" flost[$name]=0
done
for ((r = 1; r <= ROUNDS; r++)); do
  for name in coturn parley; do
    run_flood "$name"
    frate[$name]+="$FLOOD_RATE " fcpu[$name]+="$FLOOD_CPU " fpeak[$name]+="$FLOOD_PEAK "
    flost[$name]=$((flost[$name] + FLOOD_LOST))
    printf 'flood %d/%d %-6s: %7d msgs/s (busiest second %d), lost %d, server CPU %5.2f s per million msgs\n' \
      "$r" "$ROUNDS" "$name" "$FLOOD_RATE" "$FLOOD_PEAK" "$FLOOD_LOST" "$FLOOD_CPU"
  done
done

COTURN_RSS="$(peak_rss_mb "$COTURN_PID")"
PARLEY_RSS="$(peak_rss_mb "$PARLEY_PID")"
# shellcheck disable=SC2086 # the lists are space-separated on purpose
{
  C_WALL="$(median ${wall[coturn]})" P_WALL="$(median ${wall[parley]})"
  C_RATE="$(median ${rate[coturn]})" P_RATE="$(median ${rate[parley]})"
  C_CPU="$(median ${cpu[coturn]})" P_CPU="$(median ${cpu[parley]})"
  C_PEAK="$(median ${peak[coturn]})" P_PEAK="$(median ${peak[parley]})"
  C_FLOOD="$(median ${frate[coturn]})" P_FLOOD="$(median ${frate[parley]})"
  C_FCPU="$(median ${fcpu[coturn]})" P_FCPU="$(median ${fcpu[parley]})"
}
C_LOST="${lost[coturn]}" P_LOST="${lost[parley]}"
C_SDROPS="${sdrops[coturn]}" P_SDROPS="${sdrops[parley]}"
stop_coturn
stop_parley

RATE_RATIO="$(ratio "$P_RATE" "$C_RATE")"
CPU_RATIO="$(ratio "$P_CPU" "$C_CPU")"
RSS_RATIO="$(ratio "$PARLEY_RSS" "$COTURN_RSS")"
THROUGHPUT_MET="$(awk -v r="$RATE_RATIO" -v g="$THROUGHPUT_GOAL" -v l="$P_LOST" \
  'BEGIN { print (r >= g && l == 0) ? "yes" : "NO" }')"
CPU_MET="$(awk -v r="$CPU_RATIO" -v g="$CPU_GOAL" 'BEGIN { print (r <= g) ? "yes" : "NO" }')"
# The RSS goal is the TURN-only node's; a full node's RSS is shown for comparison only.
if [[ $NODE == turn ]]; then
  RSS_MET="$(awk -v r="$PARLEY_RSS" -v g="$RSS_GOAL_MB" 'BEGIN { print (r <= g) ? "yes" : "NO" }')"
else
  RSS_MET="n/a (full node)"
fi
PEAK_RATIO="$(ratio "$P_PEAK" "$C_PEAK")"
FLOOD_RATIO="$(ratio "$P_FLOOD" "$C_FLOOD")"
FLOOD_CPU_RATIO="$(ratio "$P_FCPU" "$C_FCPU")"
SATURATED_MET="$(awk -v r="$FLOOD_RATIO" -v g="$SATURATED_GOAL" 'BEGIN { print (r >= g) ? "yes" : "NO" }')"

# --- record -------------------------------------------------------------------------------------

DATE="$(date -u +%Y-%m-%dT%H:%MZ)"
CPU_MODEL="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
MACHINE="$(nproc) cores, ${CPU_MODEL:-unknown CPU}, load $LOAD_AT_START at start"
COMMIT="$(commit)"
ROW="| $DATE | $COMMIT | $MACHINE | \`$COMMAND\` | -m $CLIENTS -n $MESSAGES | $C_WALL / $P_WALL | $C_RATE / $P_RATE | $RATE_RATIO | $C_LOST / $P_LOST | $C_SDROPS / $P_SDROPS | $C_CPU / $P_CPU | $CPU_RATIO | $NODE | $STARTUP_S | $IDLE_RSS | $COTURN_RSS / $PARLEY_RSS | $RSS_RATIO | $THROUGHPUT_MET / $CPU_MET / $RSS_MET | $C_PEAK / $P_PEAK | $PEAK_RATIO (uclient-bound) | $C_FLOOD / $P_FLOOD | $FLOOD_RATIO ($SATURATED_MET) | $C_FCPU / $P_FCPU ($FLOOD_CPU_RATIO) | ${flost[coturn]} / ${flost[parley]} |"

SECTION="## turn: TURN relay against coturn (\`./parley bench turn\`)"


write_turn_section() {
  cat <<EOF

$SECTION

coturn's own load generator against coturn (Debian \`turnserver\`) and against Parley, both started
by the benchmark on 127.0.0.1 with equivalent settings: UDP, no TLS/DTLS, one long-term user,
loopback peers allowed, no bandwidth cap, relay ports on loopback, $THREADS relay threads (coturn
\`--relay-threads\`) = $THREADS TURN event loops (Parley: one per core). Parley runs as an edge
TURN node (\`PARLEY_ROLES=turn\`, with the JVM options \`./parley run\` gives one: no PostgreSQL,
no Redis, no engines, a health listener on its HTTP port); with \`TURN_BENCH_NODE=full\` as the
whole server with default JVM options (\`java -jar api/target/parley.jar\`, a fresh
\`PARLEY_HOME\`; its embedded PostgreSQL and Redis run in their own processes and are not
counted). Per run,

    $UCLIENT_SHOWN

runs $CLIENTS clients in client-to-client pairs, each sending \`-n\` messages of $LENGTH bytes over a
channel to its partner's relayed address, unpaced (\`-z 0\`: uclient's cap is 50 messages per
session per millisecond); every message crosses the server twice (into one allocation, out of the
other). \`-c\`: one allocation per client, no RTCP pairs (both servers take reservations; the pairs are tested in CoturnClientsTest).
$WARMUP warm-up runs per server (Parley's JIT compiler is still at work in the first two), then $ROUNDS rounds alternating coturn,
Parley. The load generator shares the cores with the server.

- **uclient**: its \`-m\` and \`-n\` (messages per client; $((CLIENTS)) x \`-n\` per run).
- **wall s**: median time of one uclient run for the fixed message count, coturn / Parley. uclient
  starts each session after a random 1-6 s (seeded from the clock), the same for both servers: it
  is part of every run, so absolute rates are low and the throughput ratio is pulled towards 1.
  A run that lost any message waits for it until uclient's stop timer (10 s) runs out, so loss
  roughly doubles a run's wall time.
- **msgs/s**: messages received ÷ wall time, median, coturn / Parley; **ratio**: Parley ÷ coturn,
  of the medians.
- **lost**: messages lost (uclient's "Total lost packets") summed over the $ROUNDS rounds: sent but
  never received, wherever they were dropped (a full socket buffer of the server or of uclient).
- **of which at server sockets**: datagrams the kernel dropped at the server's own sockets
  (listeners and relays: receive buffer full, the server fell behind), summed over the rounds;
  the rest of the loss is at uclient's sockets (uclient fell behind, e.g. under a burst from a
  server catching up). Sampled from the drop counters in \`/proc/net/udp\` and \`udp6\` while
  uclient runs; the per-round split (listener, relays, uclient) is in the benchmark's output.
- **CPU s**: server CPU seconds (utime + stime of the server process, all threads, from
  \`/proc/PID/stat\`) over one run, median, coturn / Parley (the JVM only); **ratio**: Parley ÷
  coturn, of the medians.
- **node**: what Parley ran as: \`turn\` (an edge TURN node) or \`full\` (\`TURN_BENCH_NODE=full\`).
- **startup s**: from the \`java\` command to Parley's first STUN answer (and \`/health/ready\`).
- **idle RSS MB**: Parley's resident set once ready, before any TURN traffic.
- **peak RSS MB**: VmHWM of each server process at the end (the whole Parley JVM); **ratio**
  Parley ÷ coturn.
- **goals**: throughput ratio >= $THROUGHPUT_GOAL with zero Parley loss / CPU ratio <= $CPU_GOAL /
  a TURN-only node's peak RSS <= $RSS_GOAL_MB MB (n/a for a full node).
- **saturated msgs/s**: the busiest second of a uclient run (uclient prints its received total
  once a second; the largest increase), median over the rounds, coturn / Parley; **ratio** Parley
  ÷ coturn. uclient spends several times a server's CPU per message on one thread, so on a small
  machine it sets this pace, not the server ("uclient-bound"; rows before 2026-12-05T12:00Z judged
  the saturation goal on it).
- **flood msgs/s**: the saturated load of \`TurnFlood\` (media test sources): $FLOOD_PAIRS client pairs
  relayed to each other through channels as uclient's, each client sending 170-byte ChannelData in
  batches of 32 (one UDP GSO send; the servers receive separate datagrams) and the next batch once
  its partner has a batch's worth (4 batches in flight; what a 20 ms silence leaves in flight is
  lost), on one thread per core, a pair per thread in turn; $FLOOD_WARMUP_S s of warm-up, then
  $FLOOD_SECONDS s counted; messages relayed per second, median over the rounds, coturn / Parley;
  **ratio** Parley ÷ coturn (goal >= $SATURATED_GOAL). **CPU s per million**: server CPU over each
  flood ÷ messages relayed in it, median (ratio Parley ÷ coturn). **flood lost**: summed.

| date (UTC) | commit | machine | command | uclient | wall s coturn / Parley | msgs/s coturn / Parley | throughput ratio | lost coturn / Parley | of which at server sockets | CPU s coturn / Parley | CPU ratio | node | startup s | idle RSS MB | peak RSS MB coturn / Parley | RSS ratio | goals: throughput / CPU / RSS | saturated msgs/s coturn / Parley | saturated ratio (goal met) | flood msgs/s coturn / Parley | flood ratio (goal met) | flood CPU s per million msgs coturn / Parley (ratio) | flood lost coturn / Parley |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
EOF
}

add_row "$SECTION" write_turn_section "$ROW"

echo
echo "coturn: $C_RATE msgs/s (wall $C_WALL s), lost $C_LOST ($C_SDROPS at server sockets), CPU $C_CPU s/run, peak RSS $COTURN_RSS MB"
echo "parley: $P_RATE msgs/s (wall $P_WALL s), lost $P_LOST ($P_SDROPS at server sockets), CPU $P_CPU s/run, peak RSS $PARLEY_RSS MB"
echo "Parley/coturn: throughput $RATE_RATIO (goal >= $THROUGHPUT_GOAL, zero loss: $THROUGHPUT_MET)," \
  "CPU $CPU_RATIO (goal <= $CPU_GOAL: $CPU_MET), RSS $RSS_RATIO," \
  "uclient's busiest second $PEAK_RATIO ($C_PEAK / $P_PEAK msgs/s)," \
  "flood $FLOOD_RATIO ($C_FLOOD / $P_FLOOD msgs/s, goal >= $SATURATED_GOAL: $SATURATED_MET)," \
  "CPU per message in the flood $FLOOD_CPU_RATIO ($C_FCPU / $P_FCPU s per million)"
echo "row added to docs/BENCHMARKS.md"
