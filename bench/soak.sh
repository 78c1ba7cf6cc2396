#!/usr/bin/env bash
# Soak benchmark: ./parley bench soak [--minutes M]   (default 30 minutes)
#
# Starts one fresh Parley node on loopback (empty PARLEY_HOME: embedded PostgreSQL and Redis, its
# child processes), as './parley run' starts one plus -XX:NativeMemoryTracking=summary, with the
# tiny random-weight Whisper and chat models the realtime tests use (real engines, fast nonsense
# answers) and the repository's photo detector. Then io.parley.api.bench.SoakLoad (api test
# sources, a plain main) measures the node's capacity for photos and REST requests, and drives M
# minutes of mixed load at a fixed fraction of it: photo uploads (darknet's dog.jpg analysed,
# OpenCV's fruits.jpg logged as a meal, read back and deleted), REST reads and writes (profile,
# meals, appointments, experts, foods), realtime voice sessions on /v1/realtime speaking a sentence
# in real time with barge-ins, and expert calls whose media coturn's turnutils_uclient relays through
# the node's TURN with the call's REST credentials. Every minute it records the node's heap after
# GC, native memory (NMT), RSS of the node and each descendant process, open files, threads,
# event-loop lag p99 and errors, writes soak.csv, and at the end draws soak.png and judges: no error,
# and every resource's least-squares slope over the last 20 minutes (the last two thirds of a
# shorter run) under 1% of its level per 10 minutes. The CSV and plot go to docs/bench/, a row to
# docs/BENCHMARKS.md.
#
# Bounded and self-stopping: loopback only; the generator stops after M minutes, and the whole run
# is killed after M + 15 minutes. SOAK_FRACTION (default 0.3) is the share of the measured capacity
# offered (photos and REST get half of it each); SOAK_NODE_OPTS adds JVM options to the node.
# Expects JAVA and PARLEY_ROOT from the launcher (which also builds the jar). Needs turnutils_uclient
# (Debian coturn), espeak-ng and sox (the spoken sentence), darknet and opencv-doc (the photos).
set -euo pipefail

ROOT="${PARLEY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
JAR="$ROOT/api/target/parley.jar"
RESULTS="$ROOT/docs/BENCHMARKS.md"
FIGURES="$ROOT/docs/bench"
MINUTES=30
FRACTION="${SOAK_FRACTION:-0.3}"
READY_TIMEOUT_S=120
STOP_TIMEOUT_S=20        # > PARLEY_SHUTDOWN_TIMEOUT (10 s): let it stop PostgreSQL and Redis itself

die() {
  echo "bench/soak: $*" >&2
  exit 1
}

while (($#)); do
  case "$1" in
    --minutes) MINUTES="${2:-}"; shift 2 || die "--minutes needs a value" ;;
    *) die "unknown argument '$1' (usage: ./parley bench soak [--minutes M])" ;;
  esac
done
[[ $MINUTES =~ ^[1-9][0-9]*$ && $MINUTES -le 1440 ]] || die "--minutes must be 1-1440 (got '$MINUTES')"
[[ $FRACTION =~ ^(0?\.[0-9]+|1(\.0*)?)$ ]] || die "SOAK_FRACTION must be in (0, 1] (got '$FRACTION')"
COMMAND="${SOAK_FRACTION:+SOAK_FRACTION=$SOAK_FRACTION }./parley bench soak${MINUTES:+ --minutes $MINUTES}"
[[ $MINUTES == 30 ]] && COMMAND="${SOAK_FRACTION:+SOAK_FRACTION=$SOAK_FRACTION }./parley bench soak"

[[ -n ${JAVA:-} && -x $JAVA ]] || die "JAVA is not set to a java binary: run this as ./parley bench soak"
[[ -f $JAR ]] || die "$JAR is missing: run this as ./parley bench soak (it builds first)"
JCMD="$(dirname "$JAVA")/jcmd"
[[ -x $JCMD ]] || die "$JCMD not found: the heap and native memory are read with jcmd, which comes with a JDK"
for tool in turnutils_uclient espeak-ng sox curl timeout; do
  command -v "$tool" >/dev/null || die "'$tool' not found (Debian packages coturn, espeak-ng, sox, curl)"
done

WORK="$(mktemp -d)"
PARLEY_PID=""
PARLEY_LOG="$WORK/parley.log"
LOAD_OUT="$WORK/load.out"

# Stops the node by its pid. SIGTERM first: a SIGKILLed JVM leaves its embedded PostgreSQL and
# Redis running, so those are stopped by their pidfiles (inside our own home) then.
stop_parley() {
  local i pid pidfile
  if [[ -n $PARLEY_PID ]] && kill -0 "$PARLEY_PID" 2>/dev/null; then
    kill -TERM "$PARLEY_PID" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT_S * 10; i++)); do
      kill -0 "$PARLEY_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$PARLEY_PID" 2>/dev/null; then
      echo "bench/soak: Parley did not stop in ${STOP_TIMEOUT_S}s, killing it" >&2
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
  stop_parley
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "bench/soak: $1" >&2
  if [[ -s ${2:-} ]]; then
    echo "--- last lines of $2 ---" >&2
    tail -n 40 "$2" >&2
  fi
  exit 1
}

CLASSPATH_FILE="$WORK/classpath.txt"
test_classpath api "$CLASSPATH_FILE" soak
LOAD_CP="$ROOT/api/target/test-classes:$ROOT/api/target/classes:$ROOT/inference/target/test-classes:$(cat "$CLASSPATH_FILE")"
load_java() {
  "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx1g -cp "$LOAD_CP" io.parley.api.bench.SoakLoad "$@"
}

echo "bench/soak: writing the fixtures (tiny Whisper and chat models, the spoken sentence)"
(cd "$ROOT" && load_java prepare "$WORK/fixtures") || die "writing the fixtures failed"

HTTP_PORT="$(free_port)"
TURN_PORT="$(free_port "$HTTP_PORT")"
MACHINE="$(machine)"
COMMIT="$(commit)"
mkdir -p "$WORK/home"
read -r -a NODE_OPTS <<<"${SOAK_NODE_OPTS:-}"
echo "bench/soak: starting Parley on 127.0.0.1:$HTTP_PORT, TURN on $TURN_PORT (log: $PARLEY_LOG)"
# Rate limits stay on, raised so that they never trip at this load; calls may start a week early
# (the generator books them ahead, one after another).
(cd "$ROOT" && exec env PARLEY_HOME="$WORK/home" \
  PARLEY_HTTP_HOST=127.0.0.1 \
  PARLEY_HTTP_PORT="$HTTP_PORT" \
  PARLEY_TURN_HOST=127.0.0.1 \
  PARLEY_TURN_PORT="$TURN_PORT" \
  PARLEY_TURN_TLS_PORT=0 \
  PARLEY_TURN_RELAY_HOST=127.0.0.1 \
  PARLEY_TURN_ALLOW_PEERS=127.0.0.0/8 \
  PARLEY_LOG_FORMAT=text \
  PARLEY_MODELS="$ROOT/models" \
  PARLEY_WHISPER_MODEL="$WORK/fixtures/tiny-whisper.bin" \
  PARLEY_LLAMA_MODEL="$WORK/fixtures/tiny-llama.gguf" \
  PARLEY_LLM_MAX_TOKENS=24 \
  PARLEY_VOICE_MAX_SESSIONS_PER_USER=50 \
  PARLEY_RATE_LIMIT_API_PER_MINUTE=100000000 \
  PARLEY_RATE_LIMIT_AUTH_PER_MINUTE=100000 \
  PARLEY_RATE_LIMIT_VOICE_PER_MINUTE=100000 \
  PARLEY_RATE_LIMIT_VISION_PER_MINUTE=100000000 \
  PARLEY_CALL_JOIN_EARLY=604800 \
  "$JAVA" --enable-native-access=ALL-UNNAMED -XX:NativeMemoryTracking=summary "${NODE_OPTS[@]}" -jar "$JAR" \
  >"$PARLEY_LOG" 2>&1) &
PARLEY_PID=$!

started=$SECONDS
code=000
while [[ $code != 200 ]]; do
  kill -0 "$PARLEY_PID" 2>/dev/null || fail "Parley exited during startup" "$PARLEY_LOG"
  ((SECONDS - started < READY_TIMEOUT_S)) ||
    fail "GET /health/ready did not return 200 within ${READY_TIMEOUT_S}s (last status: $code)" "$PARLEY_LOG"
  sleep 0.5
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$HTTP_PORT/health/ready")" || code=000
done
# The subshell exec'd java: $! is the node's own pid (its descendants are PostgreSQL and Redis).
echo "bench/soak: Parley ready in $((SECONDS - started)) s (pid $PARLEY_PID); $MINUTES minutes of load at" \
  "$FRACTION of its capacity"

rc=0
(cd "$ROOT" && timeout -k 10 $(((MINUTES + 15) * 60)) "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx1g \
  -cp "$LOAD_CP" io.parley.api.bench.SoakLoad \
  --port "$HTTP_PORT" --turn-port "$TURN_PORT" --pid "$PARLEY_PID" --home "$WORK/home" --jcmd "$JCMD" --minutes "$MINUTES" \
  --fraction "$FRACTION" --fixtures "$WORK/fixtures" --out "$WORK/out" --log "$PARLEY_LOG") 2>&1 |
  tee "$LOAD_OUT" || rc=$?
((rc == 0)) || fail "the load generator failed (status $rc)" "$PARLEY_LOG"
kill -0 "$PARLEY_PID" 2>/dev/null || fail "Parley exited during the soak" "$PARLEY_LOG"
stop_parley

mkdir -p "$FIGURES"
cp "$WORK/out/soak.csv" "$FIGURES/soak.csv"
cp "$WORK/out/soak.png" "$FIGURES/soak.png"

# RESULT lines of the generator.
result() {
  local v
  v="$(awk -v k="$1" '$1 == "RESULT" && $2 == k { $1 = ""; $2 = ""; sub(/^ +/, ""); print }' "$LOAD_OUT" | tail -n 1)"
  [[ -n $v ]] || fail "no '$1' in the generator's output" "$LOAD_OUT"
  echo "$v"
}
total() { awk -v k="$1" '$1 == "RESULT" && $2 == "total" && $3 == k { print $4 }' "$LOAD_OUT" | tail -n 1; }
# "level (slope %/10 min)" of a judged column.
trend() {
  awk -v k="$1" '$1 == "RESULT" && $2 == "trend" && $3 == k { printf "%.0f (%+.2f%%)", $4, $5 }' "$LOAD_OUT" | tail -n 1
}
read -r PHOTO_CAP REST_CAP <<<"$(result capacity)"
read -r PHOTO_RATE REST_RATE <<<"$(result rates)"
read -r FROM TO <<<"$(result window)"
GOAL="$(result goal)"
ERRORS="$(result client_errors) / $(result node_5xx) / $(result node_log_errors)"
LAG="$(result lag_p99_max_ms)"
# Every process's RSS: "name level (slope)".
PROCS="$(awk '$1 == "RESULT" && $2 == "trend" && $3 ~ /^rss_mb_/ {
    n = substr($3, 8); gsub(/_/, " ", n); printf "%s%s %.0f (%+.2f%%)", sep, n, $4, $5; sep = "; " }' "$LOAD_OUT")"

SECTION='## soak: mixed load on one node (`./parley bench soak`)'
write_soak_section() {
  cat <<'EOF'

## soak: mixed load on one node (`./parley bench soak`)

`bench/soak.sh` starts one fresh node on loopback (`java -XX:NativeMemoryTracking=summary -jar
api/target/parley.jar`, otherwise as `./parley run` starts it; embedded PostgreSQL and Redis are its
child processes) with the tiny random-weight Whisper and chat models of the realtime tests (the real
engines, answering nonsense quickly; 24 tokens at most) and the repository's NanoDet-m detector. The
generator `io.parley.api.bench.SoakLoad` (api test sources, its own JVM on the same cores) first
measures the node's **capacity** for photos (2 clients back to back posting darknet's `dog.jpg`) and
REST requests (8 clients, the soak's REST mix), 15 s each, then offers for the run's length, open
loop: photos and REST each at half of `SOAK_FRACTION` (0.3) of their capacity; 4 realtime sessions
(`/v1/realtime`, one user) speaking a sentence (espeak-ng) in real time, answered, 4 s apart, every
other turn talking over the answer's first audio (barge-in), 8 turns per session then a new one;
and 2 expert calls at a time, each booked, accepted and started over REST, whose media
`turnutils_uclient` relays through the node's TURN with the call's REST credentials (2 allocations,
50 packets/s of 170 bytes each way for 60 s), then ended. Photo uploads alternate `dog.jpg` analysed
and OpenCV's `fruits.jpg` logged as a meal, its image read back, deleted; REST reads and writes are
the profile, meals, appointments (at most one booking a second, booked then cancelled), experts and
food search. Every account's tokens are rotated every 5 minutes (`POST /api/v1/auth/refresh`), as
a client does before its 15-minute access token expires.

Every minute: the node's **heap** in use after a forced full GC (`jcmd GC.run`, `GC.heap_info`;
the lowest of three readings 20 s apart, so that the buffers of the requests in flight at one
instant do not pass for heap kept), native memory the JVM **committed** (NMT total), **RSS** of the
node and of each of its descendant processes (from /proc, by command line; processes of one name
summed; each engine worker named by its group), the node's open file descriptors and threads,
**event-loop lag** p99 over the minute (`parley_event_loop_lag_seconds`), the **PSS** of all the
processes and of PostgreSQL's (`/proc/PID/smaps_rollup`: PostgreSQL's shared buffers are in the RSS
of every backend that touched them, in the PSS once), and **errors**: failed client operations (a
status other than the expected, an `error` event, an answer missing after 90 s, a relayed packet
lost), 5xx answers the node counted, ERROR lines in its log. **Goal**: no error, and the
least-squares slope over the last 20 minutes (the last two thirds of a shorter run) under 1% of its
level per 10 minutes for each judged resource: heap, NMT, fds, threads, the RSS of each JVM (node,
engine workers) and of Redis, PostgreSQL's summed **USS** (the memory each of its processes holds
alone: catalog and plan caches, sorts; where a PostgreSQL leak would show) and all processes'
summed PSS. PostgreSQL's shared buffers are a cache of fixed size (`shared_buffers`) whose pages
become resident as they are first touched: its processes' RSS and PSS grow with them until the
cache is full, bounded by construction, so they are shown, not judged, as is the sum of every
process's RSS (which counts a shared page once per process). Cells give the level (mean over that
window) and the slope in % of it per 10 minutes. The plot of the latest run is
[docs/bench/soak.png](bench/soak.png), its samples [docs/bench/soak.csv](bench/soak.csv). The
machine is shared: other people's builds and tests ran during these runs.

| date (UTC) | commit | machine | command | minutes (window) | load: photos/s, REST/s (capacity) | work done | heap MB | RSS MB all processes (shown) | PSS MB all processes; PostgreSQL's PSS (shown) and USS | RSS MB per process | NMT committed MB | fds | threads | lag p99 max ms | errors client / 5xx / log | goal |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
EOF
}
WORK_DONE="$(total photos) photos, $(total rest) REST, $(total realtime_turns) voice turns ($(total bargeins) barge-ins, $(total realtime_sessions) sessions), $(total calls) calls ($(total turn_packets) packets relayed); $(total refreshes) token refreshes; shed $(total photos_shed) / $(total rest_shed)"
add_row "$SECTION" write_soak_section "$(printf '| %s | %s | %s | `%s` | %s (%s-%s) | %s, %s (%s, %s) | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$COMMIT" "$MACHINE" "$COMMAND" "$MINUTES" "$FROM" "$TO" \
  "$PHOTO_RATE" "$REST_RATE" "$PHOTO_CAP" "$REST_CAP" "$WORK_DONE" "$(trend heap_mb)" "$(trend rss_total_mb)" \
  "$(trend pss_total_mb); PostgreSQL PSS $(trend pss_postgres_mb), USS $(trend uss_postgres_mb)" \
  "$PROCS" "$(trend nmt_committed_mb)" "$(trend fds)" "$(trend threads)" "$LAG" "$ERRORS" "$GOAL")"
echo "bench/soak: goal $GOAL; row added to docs/BENCHMARKS.md, plot and samples in docs/bench/"
