#!/usr/bin/env bash
# Signalling benchmark: ./parley bench signal
#
# Starts, on loopback, a fresh Parley (empty PARLEY_HOME: embedded PostgreSQL and Redis) and a bare
# Vert.x WebSocket echo server (io.parley.api.bench.SignalEcho, the ceiling), each in its own JVM
# with the same heap flags, then runs the load generator io.parley.api.bench.SignalLoad (the api
# test classes: a plain main, not a unit test) against both:
#   relay  PAIRS calls, both parties joined on Parley, exchanging offer/answer/candidates
#          ping-pong (one message in flight per call), ROUNDS rounds alternating with
#   echo   the same frames from the same number of socket pairs, echoed back unchanged
# then latency at a paced load, and finally IDLE idle connections (Parley: authenticated and
# joined, every call with both parties present) held HOLD_S seconds: heap per connection from the
# heap in use after a forced GC (jcmd GC.run) before and after. Medians go to docs/BENCHMARKS.md.
# The generator connects from several loopback source addresses (127.0.0.2, .3, ...: one
# address's ephemeral ports do not reach 50,000), to 127.0.0.1 only, and stops by itself: every
# wait in it is bounded, and the whole run is killed after RUN_TIMEOUT_S.
#
# Expects JAVA and PARLEY_ROOT from the launcher (which also builds the jar and the test classes).
# Sizes can be lowered for development (SIGNAL_PAIRS, SIGNAL_IDLE, SIGNAL_ROUNDS, SIGNAL_SECONDS);
# the row records the sizes used. SIGNAL_HOLD sets the hold (s); SIGNAL_HISTOGRAM=FILE writes
# Parley's class histogram with the idle connections open (jcmd GC.class_histogram) to FILE;
# SIGNAL_DEFLATE=true makes the generator offer permessage-deflate, as browsers do.
# SIGNAL_PARLEY_OPTS and SIGNAL_ECHO_OPTS add JVM options to one server's JVM (e.g. a flight
# recording: -XX:StartFlightRecording=filename=/tmp/parley.jfr,settings=profile).
set -euo pipefail

ROOT="${PARLEY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
JAR="$ROOT/api/target/parley.jar"
LIB="$ROOT/api/target/lib"
BENCH_CLASSES="$ROOT/api/target/test-classes"
RESULTS="$ROOT/docs/BENCHMARKS.md"
COMMAND="./parley bench signal"

PAIRS="${SIGNAL_PAIRS:-1000}"          # calls in the relay rounds (2 sockets each)
IDLE="${SIGNAL_IDLE:-50000}"           # idle connections (IDLE/2 calls)
ROUNDS="${SIGNAL_ROUNDS:-5}"           # DESIGN.md: medians of >= 5 runs
SECONDS_PER_RUN="${SIGNAL_SECONDS:-5}" # saturated run per server per round
PACED_SECONDS=3                        # paced run per server per round
PACED_RATE=5                           # messages/s per call in the paced runs
WARMUP_S=10                            # per server, not counted
HOLD_S="${SIGNAL_HOLD:-10}"            # idle connections held before the heap is read (s)
HEAP=1g                                # -Xmx of both servers (the goal: 50,000 idle within 1 GB)
LOAD_HEAP=2g                           # -Xmx of the generator (it holds as many sockets)
RATIO_GOAL=0.7
IDLE_GOAL=50000
KB_GOAL=12                             # heap per idle connection, KB
READY_TIMEOUT_S=90
STOP_TIMEOUT_S=20                      # > PARLEY_SHUTDOWN_TIMEOUT (10 s): it stops PostgreSQL and Redis
# The generator, whatever happens: ~6 min of relay and latency runs, plus opening and closing the
# idle connections on both servers (~1 min per 10,000 here).
RUN_TIMEOUT_S=$((420 + IDLE / 80))

die() {
  echo "bench/signal: $*" >&2
  exit 1
}

[[ -n ${JAVA:-} && -x $JAVA ]] || die "JAVA is not set to a java binary: run this as ./parley bench signal"
[[ -f $JAR && -d $LIB ]] || die "$JAR is missing: run this as ./parley bench signal (it builds first)"
[[ -f $BENCH_CLASSES/io/parley/api/bench/SignalLoad.class ]] ||
  die "the bench classes are missing from $BENCH_CLASSES: build with 'mvn -B -q -DskipTests install' (not -Dmaven.test.skip)"
JCMD="$(dirname "$JAVA")/jcmd"
[[ -x $JCMD ]] || die "$JCMD not found: the heap is read with jcmd, which comes with a JDK"
for tool in curl awk timeout; do
  command -v "$tool" >/dev/null || die "'$tool' not found"
done
for n in "$PAIRS" "$IDLE" "$ROUNDS" "$SECONDS_PER_RUN"; do
  [[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || die "sizes must be positive integers (got '$n')"
done

# The server and the generator each hold the IDLE sockets at once, after the relay ones (4 per call
# in the generator) have closed, plus jars, epoll and the like: each needs that many open files.
# The soft limit is raised here; the hard one only root can.
NEED_FDS=$((IDLE > 4 * PAIRS ? IDLE + 2000 : 4 * PAIRS + 2000))
HARD_FDS="$(ulimit -Hn)"
if [[ $HARD_FDS != unlimited ]] && ((HARD_FDS < NEED_FDS)); then
  die "the open files hard limit is $HARD_FDS, and $IDLE idle connections need $NEED_FDS (the server and the
generator each hold them all). Raise the hard limit for this shell (as root: 'ulimit -Hn $NEED_FDS' before
./parley bench signal; systemd: LimitNOFILE=; docker run --ulimit nofile=$NEED_FDS:$NEED_FDS), or measure
fewer connections: SIGNAL_IDLE=$(((HARD_FDS - 2000) / 1000 * 1000)) fits this limit"
fi
(($(ulimit -n) >= NEED_FDS)) || ulimit -n "$NEED_FDS" ||
  die "could not raise the open files limit from $(ulimit -n) to $NEED_FDS (hard limit $HARD_FDS)"

# Source addresses: each takes a socket per ephemeral port (the kernel's range), kept well below it.
read -r PORT_LO PORT_HI </proc/sys/net/ipv4/ip_local_port_range
PER_SOURCE=$(((PORT_HI - PORT_LO + 1) * 3 / 4))
((PER_SOURCE > 1000)) || die "the ephemeral port range $PORT_LO-$PORT_HI is too small"
SOURCES=$(((IDLE + 4 * PAIRS + PER_SOURCE - 1) / PER_SOURCE))

WORK="$(mktemp -d)"
PARLEY_PID=""
ECHO_PID=""
PARLEY_LOG="$WORK/parley.log"
ECHO_LOG="$WORK/echo.log"
LOAD_OUT="$WORK/load.out"

# Stops Parley by its pid. SIGTERM first: a SIGKILLed JVM leaves its embedded PostgreSQL and Redis
# running, so those are stopped by their pidfiles (inside our own home) then.
stop_parley() {
  local i pid pidfile
  if [[ -n $PARLEY_PID ]] && kill -0 "$PARLEY_PID" 2>/dev/null; then
    kill -TERM "$PARLEY_PID" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT_S * 10; i++)); do
      kill -0 "$PARLEY_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$PARLEY_PID" 2>/dev/null; then
      echo "bench/signal: Parley did not stop in ${STOP_TIMEOUT_S}s, killing it" >&2
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

stop_echo() {
  if [[ -n $ECHO_PID ]] && kill -0 "$ECHO_PID" 2>/dev/null; then
    kill -TERM "$ECHO_PID" 2>/dev/null || true
    wait "$ECHO_PID" 2>/dev/null || true
  fi
  ECHO_PID=""
}

cleanup() {
  stop_echo
  stop_parley
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Fails the benchmark, showing the end of a log ($2, default Parley's).
fail() {
  local log="${2:-$PARLEY_LOG}"
  echo "bench/signal: $1" >&2
  if [[ -s $log ]]; then
    echo "--- last lines of $(basename "$log") ---" >&2
    tail -n 40 "$log" >&2
  fi
  exit 1
}

# A TCP port nothing listens on, from a range away from the usual ones (loopback only).
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

# Waits until GET $1 answers 200; $2: pid that must stay alive, $3: its log, $4: its name.
await_ready() {
  local url="$1" pid="$2" log="$3" name="$4" started=$SECONDS code="000"
  while [[ $code != 200 ]]; do
    kill -0 "$pid" 2>/dev/null || fail "$name exited during startup" "$log"
    ((SECONDS - started < READY_TIMEOUT_S)) ||
      fail "GET $url did not return 200 within ${READY_TIMEOUT_S}s (last status: $code)" "$log"
    sleep 0.5
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url")" || code="000"
  done
}

# --- start both servers -------------------------------------------------------------------------

HTTP_PORT="$(free_port)"
TURN_PORT="$(free_port "$HTTP_PORT")"   # never collide with a ./parley run on the default 3478
PG_PORT="$(free_port "$HTTP_PORT" "$TURN_PORT")"
ECHO_PORT="$(free_port "$HTTP_PORT" "$TURN_PORT" "$PG_PORT")"
JWT_SECRET="$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | head -c 48)"
SERVER_OPTS=(-Xmx"$HEAP" --enable-native-access=ALL-UNNAMED)
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench/signal: load average at start: $LOAD_AT_START ($(nproc) cores); open files limit $(ulimit -n)"
mkdir -p "$WORK/home"

# The rate limit runs but never trips at this load (100000/s per connection); the grace period
# outlasts the run, so closing the relay sockets before the idle phase ends no call meanwhile.
echo "bench/signal: starting Parley on 127.0.0.1:$HTTP_PORT (${SERVER_OPTS[*]}; log: $PARLEY_LOG)"
cd "$ROOT"
env PARLEY_HOME="$WORK/home" \
  PARLEY_HTTP_HOST=127.0.0.1 \
  PARLEY_HTTP_PORT="$HTTP_PORT" \
  PARLEY_TURN_PORT="$TURN_PORT" \
  PARLEY_PG_EMBEDDED_PORT="$PG_PORT" \
  PARLEY_JWT_SECRET="$JWT_SECRET" \
  PARLEY_SIGNAL_RATE=100000 \
  PARLEY_CALL_GRACE=3600 \
  PARLEY_LOG_FORMAT=text \
  "$JAVA" "${SERVER_OPTS[@]}" ${SIGNAL_PARLEY_OPTS:-} -jar "$JAR" >"$PARLEY_LOG" 2>&1 &
PARLEY_PID=$!

echo "bench/signal: starting the echo server on 127.0.0.1:$ECHO_PORT (log: $ECHO_LOG)"
"$JAVA" "${SERVER_OPTS[@]}" ${SIGNAL_ECHO_OPTS:-} -cp "$BENCH_CLASSES:$LIB/*" io.parley.api.bench.SignalEcho "$ECHO_PORT" >"$ECHO_LOG" 2>&1 &
ECHO_PID=$!

started=$SECONDS
await_ready "http://127.0.0.1:$ECHO_PORT/health/live" "$ECHO_PID" "$ECHO_LOG" "the echo server"
await_ready "http://127.0.0.1:$HTTP_PORT/health/ready" "$PARLEY_PID" "$PARLEY_LOG" "Parley"
echo "bench/signal: both servers ready in $((SECONDS - started)) s"

# --- measure ------------------------------------------------------------------------------------

echo "bench/signal: $PAIRS calls relayed, $ROUNDS rounds of ${SECONDS_PER_RUN}s per server (+ ${PACED_SECONDS}s paced at" \
  "$PACED_RATE msgs/s per call), then $IDLE idle connections held ${HOLD_S}s"
rc=0
timeout -k 10 "$RUN_TIMEOUT_S" "$JAVA" -Xmx"$LOAD_HEAP" --enable-native-access=ALL-UNNAMED \
  -cp "$BENCH_CLASSES:$LIB/*" io.parley.api.bench.SignalLoad \
  --parley-port "$HTTP_PORT" --parley-pid "$PARLEY_PID" \
  --echo-port "$ECHO_PORT" --echo-pid "$ECHO_PID" \
  --pg-port "$PG_PORT" --jwt-secret "$JWT_SECRET" --jcmd "$JCMD" --clk-tck "$(getconf CLK_TCK)" \
  --sources "$SOURCES" --pairs "$PAIRS" --idle "$IDLE" --rounds "$ROUNDS" --seconds "$SECONDS_PER_RUN" \
  --paced-seconds "$PACED_SECONDS" --paced-rate "$PACED_RATE" --warmup "$WARMUP_S" --hold "$HOLD_S" \
  ${SIGNAL_HISTOGRAM:+--histogram "$SIGNAL_HISTOGRAM"} ${SIGNAL_DEFLATE:+--deflate "$SIGNAL_DEFLATE"} \
  2>&1 | tee "$LOAD_OUT" || rc=$?
((rc == 0)) || fail "the load generator failed (status $rc; 3: idle connections lost)"
kill -0 "$PARLEY_PID" 2>/dev/null || fail "Parley exited during the benchmark"
grep -qi 'OutOfMemoryError' "$PARLEY_LOG" && fail "Parley ran out of heap"

# RESULT key value lines of the generator.
result() {
  local v
  v="$(awk -v k="$1" '$1 == "RESULT" && $2 == k { print $3 }' "$LOAD_OUT" | tail -n 1)"
  [[ -n $v ]] || fail "no '$1' in the generator's output" "$LOAD_OUT"
  echo "$v"
}
stop_echo
stop_parley

RELAY_RATE="$(result relay_rate)" ECHO_RATE="$(result echo_rate)" RATIO="$(result ratio)"
RELAY_P50="$(result relay_p50)" RELAY_P99="$(result relay_p99)"
ECHO_P50="$(result echo_p50)" ECHO_P99="$(result echo_p99)"
PACED_RATE_MEASURED="$(result paced_relay_rate)"
PACED_RELAY_P50="$(result paced_relay_p50)" PACED_RELAY_P99="$(result paced_relay_p99)"
PACED_ECHO_P50="$(result paced_echo_p50)" PACED_ECHO_P99="$(result paced_echo_p99)"
RELAY_CPU="$(result relay_cpu_us)" ECHO_CPU="$(result echo_cpu_us)"
HELD="$(result idle_held)" HEAP_BASE="$(result heap_base_mb)" HEAP_IDLE="$(result heap_idle_mb)"
KB_CONN="$(result heap_kb_per_conn)" ECHO_KB_CONN="$(result echo_heap_kb_per_conn)"

RATIO_MET="$(awk -v r="$RATIO" -v g="$RATIO_GOAL" 'BEGIN { print (r >= g) ? "yes" : "NO" }')"
# Held all of at least IDLE_GOAL, the heap in use with them within the 1 GB cap, at most KB_GOAL each.
IDLE_MET="$(awk -v h="$HELD" -v n="$IDLE" -v g="$IDLE_GOAL" -v m="$HEAP_IDLE" -v kb="$KB_CONN" -v kg="$KB_GOAL" \
  'BEGIN { ok = h == n && m < 1024 && kb <= kg; print (ok && n >= g) ? "yes" : (ok ? "n/a (fewer than " g ")" : "NO") }')"
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { printf f, v }'; }

# --- record -------------------------------------------------------------------------------------

DATE="$(date -u +%Y-%m-%dT%H:%MZ)"
CPU_MODEL="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
MACHINE="$(nproc) cores, ${CPU_MODEL:-unknown CPU}, load $LOAD_AT_START at start"
COMMIT="$(commit)"
ROW="| $DATE | $COMMIT | $MACHINE | \`$COMMAND\` | $PAIRS calls, $ROUNDS x ${SECONDS_PER_RUN}s; $IDLE idle | $HELD / $IDLE | $HEAP_BASE -> $HEAP_IDLE | $(fmt "$KB_CONN" %.2f) / $(fmt "$ECHO_KB_CONN" %.2f) | $(fmt "$RELAY_RATE" %.0f) / $(fmt "$ECHO_RATE" %.0f) | $(fmt "$RATIO" %.3f) | $(fmt "$RELAY_P50" %.2f) / $(fmt "$RELAY_P99" %.2f) | $(fmt "$ECHO_P50" %.2f) / $(fmt "$ECHO_P99" %.2f) | $(fmt "$PACED_RATE_MEASURED" %.0f): $(fmt "$PACED_RELAY_P50" %.2f) / $(fmt "$PACED_RELAY_P99" %.2f) | $(fmt "$PACED_ECHO_P50" %.2f) / $(fmt "$PACED_ECHO_P99" %.2f) | $(fmt "$RELAY_CPU" %.1f) / $(fmt "$ECHO_CPU" %.1f) | $RATIO_MET / $IDLE_MET |"

SECTION="## signal: signalling WebSocket against a bare Vert.x echo (\`$COMMAND\`)"


write_signal_section() {
  cat <<EOF

$SECTION

Two servers on 127.0.0.1, each its own JVM with \`-Xmx$HEAP\`: Parley (\`java -jar
api/target/parley.jar\`, a fresh \`PARLEY_HOME\`: embedded PostgreSQL and Redis, not counted), and
the peer \`io.parley.api.bench.SignalEcho\` (api test sources): a bare Vert.x WebSocket server with
Parley's HTTP server options and path, one server per core like Parley's, that writes every text
message back unchanged on the socket it came in on. The load generator
\`io.parley.api.bench.SignalLoad\` (api test sources, a plain main; Vert.x WebSocket client, one
event loop per core, \`-Xmx$LOAD_HEAP\`) shares the cores with both; it connects from as many
loopback source addresses (127.0.0.2, .3, ...) as the sockets need, three quarters of the
kernel's ephemeral port range each, and stops by itself (bounded waits, the whole run killed
after a timeout). The script raises the open files limit to the sockets plus 2,000 and stops,
saying what to do, when the hard limit is lower. It seeds the calls in PostgreSQL (one user,
expert, accepted appointment and open call each) and mints HS256 access tokens with the server's
\`PARLEY_JWT_SECRET\`. Parley runs with its rate limit on but raised to 100000 messages/s per
connection so it never trips, and \`PARLEY_CALL_GRACE=3600\` so closing the relay sockets before
the idle phase ends no call during the run; everything else at its default (keepalive pings every
20 s). No WebSocket compression: both servers decline it (browsers offer permessage-deflate), and
the generator offers it only with \`SIGNAL_DEFLATE=true\`.

- **load**: calls in the relay runs (two sockets each, both parties joined, bearer header), rounds x
  seconds per server; idle connections. Per call the generator plays a signalling cycle ping-pong,
  one message in flight per call: an offer (about 3 KB of browser-like SDP, user to expert), the
  answer, then 4 trickled candidates each way (about 220 B each), alternating, then the next offer
  (renegotiation). Parley parses, validates and re-encodes each (adding \`from\` and \`seq\`) and
  writes it to the other party's socket; the echo server gets the same frames from as many socket
  pairs, the sockets of a pair taking turns the same way, and sends each back unchanged. One
  ${WARMUP_S} s warm-up per server, then $ROUNDS rounds, the server that goes first alternating.
- **held**: idle connections open at the end of a ${HOLD_S} s hold (the generator's count; Parley's
  \`parley_signal_connections\` gauge must agree), of those opened. Parley's are authenticated and
  joined, in pairs, every call with both parties present (its room, clock timers and Redis
  subscription count in the heap); the echo server's are plain open sockets.
- **heap MB**: Parley's heap in use after a forced full GC (\`jcmd PID GC.run\`, then
  \`GC.heap_info\`) before opening the idle connections (after the relay runs) and with them open.
- **KB/conn**: the difference ÷ idle connections, Parley / echo.
- **msgs/s**: messages received by their addressee per second over the saturated runs, median of the
  rounds, Parley relay / echo; **ratio**: relay ÷ echo, median of the per-round ratios (the echo is
  the ceiling: one frame in, one out, no work). Goal: >= $RATIO_GOAL.
- **p50 / p99 ms**: time from the sender's write to the addressee's handler, medians of the
  rounds. Saturated: the calls' ping-pong at full speed, mostly queueing (in flight ÷ throughput).
  **paced**: the same cycle at $PACED_RATE messages/s per call (the offered total, then relay / echo
  p50 / p99), a light load.
- **server CPU us/msg**: server process CPU (utime + stime, all threads, \`/proc/PID/stat\`) per
  message over the saturated runs, median, Parley / echo.
- **goals**: relay ratio >= $RATIO_GOAL / $IDLE_GOAL idle connections held, the heap in use with them under
  1 GB and at most $KB_GOAL KB per connection.

| date (UTC) | commit | machine | command | load | held | heap MB before -> with idle | KB/conn Parley / echo | msgs/s relay / echo | ratio (goal >= $RATIO_GOAL) | p50 / p99 ms relay | p50 / p99 ms echo | paced msgs/s: relay p50 / p99 ms | paced echo p50 / p99 ms | server CPU us/msg relay / echo | goals: ratio / idle |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
EOF
}

add_row "$SECTION" write_signal_section "$ROW"

echo
echo "relay: $RELAY_RATE msgs/s (p50 $RELAY_P50 ms, p99 $RELAY_P99 ms), echo: $ECHO_RATE msgs/s (p50 $ECHO_P50 ms, p99 $ECHO_P99 ms)"
echo "ratio relay/echo: $RATIO (goal >= $RATIO_GOAL: $RATIO_MET); server CPU per message: relay $RELAY_CPU us, echo $ECHO_CPU us"
echo "paced ($PACED_RATE msgs/s per call): relay p50 $PACED_RELAY_P50 ms p99 $PACED_RELAY_P99 ms, echo p50 $PACED_ECHO_P50 ms p99 $PACED_ECHO_P99 ms"
echo "idle: $HELD of $IDLE held, heap $HEAP_BASE -> $HEAP_IDLE MB, $KB_CONN KB per connection (echo $ECHO_KB_CONN) (goal: $IDLE_MET)"
echo "row added to docs/BENCHMARKS.md"
