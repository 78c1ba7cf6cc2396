#!/usr/bin/env bash
# HTTP stack benchmark: ./parley bench http
#
# Starts a fresh server on loopback (empty PARLEY_HOME, so embedded PostgreSQL and Redis), then
# measures two routes side by side, alternating over ROUNDS rounds so both see the same machine:
#   users/me  GET /api/v1/users/me with a bearer token: the full authenticated REST path
#   live      GET /health/live: the bare route (no auth, no validation, no rate limit), the peer
# and sequential logins (Argon2id dominates). Rate limiting stays ON as in production; only its
# limits are raised so it never trips. Medians and the ratio go to docs/BENCHMARKS.md.
#
# Expects JAVA and PARLEY_ROOT from the launcher (which also installs wrk and builds the jar).
set -euo pipefail

ROOT="${PARLEY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
JAR="$ROOT/api/target/parley.jar"
RESULTS="$ROOT/docs/BENCHMARKS.md"
COMMAND="./parley bench http"

ROUNDS=5                 # DESIGN.md: medians of >= 5 runs
WRK_THREADS=2
WRK_CONNECTIONS=32
WRK_DURATION=10s
WARMUP_DURATION=3s       # JIT warm-up per route, not counted
LOGINS_PER_ROUND=20
READY_TIMEOUT_S=90
STOP_TIMEOUT_S=20        # > PARLEY_SHUTDOWN_TIMEOUT (10 s): let it stop PostgreSQL and Redis itself
RATIO_GOAL=0.6
HIGH_LIMIT=100000000     # requests/min: the limiter runs but never trips

EMAIL="bench@example.com"
PASSWORD="bench-Password-1234"

die() {
  echo "bench/http: $*" >&2
  exit 1
}

[[ -n ${JAVA:-} && -x $JAVA ]] || die "JAVA is not set to a java binary: run this as ./parley bench http"
[[ -f $JAR ]] || die "$JAR is missing: run this as ./parley bench http (it builds first)"
for tool in wrk curl awk; do
  command -v "$tool" >/dev/null || die "'$tool' not found: ./parley bench http installs it (Debian package $tool)"
done

WORK="$(mktemp -d)"
SERVER_PID=""
SERVER_LOG="$WORK/server.log"

# Stops the server we started, by its pid. SIGTERM first: a SIGKILLed JVM leaves its embedded
# PostgreSQL and Redis running, so those are stopped by their pidfiles (inside our own home) then.
stop_server() {
  local i pid pidfile
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT_S * 10; i++)); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "bench/http: server did not stop in ${STOP_TIMEOUT_S}s, killing it" >&2
      kill -KILL "$SERVER_PID" 2>/dev/null || true
      while IFS= read -r pidfile; do
        read -r pid <"$pidfile" || continue
        if [[ $pid =~ ^[0-9]+$ ]]; then
          kill -INT "$pid" 2>/dev/null || true   # SIGINT: PostgreSQL's fast shutdown
        fi
      done < <(find "$WORK" \( -name postmaster.pid -o -name '*redis*.pid' \) 2>/dev/null)
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Fails the benchmark, showing the end of the server's log (the usual place for the reason).
fail() {
  echo "bench/http: $*" >&2
  if [[ -s $SERVER_LOG ]]; then
    echo "--- last lines of the server log ---" >&2
    tail -n 40 "$SERVER_LOG" >&2
  fi
  exit 1
}

# A TCP port nothing listens on, from a range away from the usual ones (loopback only).
free_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % 30000))
    [[ $p == "${1:-}" ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  die "no free TCP port found on 127.0.0.1"
}

# POSTs JSON body $2 to path $1; sets HTTP_CODE and HTTP_BODY.
post_json() {
  local out
  out="$(curl -s --max-time 10 -H 'Content-Type: application/json' -d "$2" -w '\n%{http_code}' "$BASE$1")" ||
    out=$'\n000'
  HTTP_CODE="${out##*$'\n'}"
  HTTP_BODY="${out%$'\n'*}"
}

# The string value of field $1 in JSON $2 (enough for flat token responses; no jq needed).
json_string() {
  sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' <<<"$2" | head -n 1
}

# Median of the numbers given as arguments.
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Runs wrk against URL $1 (extra wrk arguments after it); sets RPS and P99_MS.
run_wrk() {
  local url="$1" label="$2" out non2xx
  shift 2
  out="$(wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --timeout 5s --latency "$@" "$url" 2>&1)" ||
    fail "wrk failed on $label: $out"
  # A throttled or rejected benchmark measures the error path: refuse to record it.
  non2xx="$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")"
  [[ -z $non2xx || $non2xx == 0 ]] ||
    fail "$non2xx non-2xx responses on $label (token expired, or a rate limit tripped?)"$'\n'"$out"
  RPS="$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")"
  # wrk prints latencies with units: us, ms, s, m.
  P99_MS="$(awk '$1 == "99%" {
      v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
      f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : -1
      if (f > 0) printf "%.2f", v * f }' <<<"$out")"
  [[ -n $RPS && -n $P99_MS ]] || fail "could not parse wrk output for $label:"$'\n'"$out"
  grep -q 'Socket errors' <<<"$out" && echo "  ($label: $(grep 'Socket errors' <<<"$out" | sed 's/^ *//'))"
  return 0
}

# Times LOGINS_PER_ROUND sequential logins; sets MS_PER_LOGIN.
login_round() {
  local i code start end
  start="$(date +%s%N)"
  for ((i = 1; i <= LOGINS_PER_ROUND; i++)); do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
      -d "$LOGIN_BODY" "$BASE/api/v1/auth/login")" || code="000"
    [[ $code == 200 ]] || fail "login $i returned HTTP $code"
  done
  end="$(date +%s%N)"
  MS_PER_LOGIN="$(awk -v ns="$((end - start))" -v n="$LOGINS_PER_ROUND" 'BEGIN { printf "%.2f", ns / 1e6 / n }')"
}

# --- start the server ---------------------------------------------------------------------------

HTTP_PORT="$(free_port)"
TURN_PORT="$(free_port "$HTTP_PORT")"   # never collide with a ./parley run on the default 3478
BASE="http://127.0.0.1:$HTTP_PORT"
mkdir -p "$WORK/home"

echo "bench/http: starting the server on $BASE (log: $SERVER_LOG)"
cd "$ROOT"
env PARLEY_HOME="$WORK/home" \
  PARLEY_HTTP_HOST=127.0.0.1 \
  PARLEY_HTTP_PORT="$HTTP_PORT" \
  PARLEY_TURN_PORT="$TURN_PORT" \
  PARLEY_RATE_LIMIT_ENABLED=true \
  PARLEY_RATE_LIMIT_API_PER_MINUTE="$HIGH_LIMIT" \
  PARLEY_RATE_LIMIT_AUTH_PER_MINUTE="$HIGH_LIMIT" \
  PARLEY_LOG_FORMAT=text \
  "$JAVA" --enable-native-access=ALL-UNNAMED -jar "$JAR" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

started=$SECONDS
code="000"
while [[ $code != 200 ]]; do
  kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited during startup"
  ((SECONDS - started < READY_TIMEOUT_S)) ||
    fail "GET /health/ready did not return 200 within ${READY_TIMEOUT_S}s (last status: $code)"
  sleep 0.5
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/health/ready")" || code="000"
done
echo "bench/http: ready in $((SECONDS - started)) s"

post_json /api/v1/auth/signup "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"name\":\"Bench\"}"
[[ $HTTP_CODE == 200 || $HTTP_CODE == 201 ]] || fail "signup returned HTTP $HTTP_CODE: $HTTP_BODY"
TOKEN="$(json_string access_token "$HTTP_BODY")"
[[ -n $TOKEN ]] || fail "signup response has no access_token: $HTTP_BODY"
LOGIN_BODY="{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"
AUTH=(-H "Authorization: Bearer $TOKEN")

ME_URL="$BASE/api/v1/users/me"
LIVE_URL="$BASE/health/live"
for url in "$ME_URL" "$LIVE_URL"; do
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${AUTH[@]}" "$url")" || code="000"
  [[ $code == 200 ]] || fail "GET $url returned HTTP $code before the benchmark"
done

# --- measure ------------------------------------------------------------------------------------

echo "bench/http: warm-up ($WARMUP_DURATION per route)"
wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WARMUP_DURATION" "${AUTH[@]}" "$ME_URL" >/dev/null
wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WARMUP_DURATION" "$LIVE_URL" >/dev/null

me_rps=() me_p99=() live_rps=() live_p99=() ratios=() login_ms=()
measure_me() {
  run_wrk "$ME_URL" users/me "${AUTH[@]}"
  me_rps+=("$RPS") me_p99+=("$P99_MS")
}
measure_live() {
  run_wrk "$LIVE_URL" live
  live_rps+=("$RPS") live_p99+=("$P99_MS")
}

for ((r = 1; r <= ROUNDS; r++)); do
  # Alternate which route goes first, so neither always runs on a warmer or quieter machine.
  if ((r % 2)); then
    measure_me
    measure_live
  else
    measure_live
    measure_me
  fi
  login_round
  login_ms+=("$MS_PER_LOGIN")
  ratio="$(awk -v a="${me_rps[-1]}" -v b="${live_rps[-1]}" 'BEGIN { printf "%.3f", a / b }')"
  ratios+=("$ratio")
  printf 'round %d/%d: users/me %s req/s (p99 %s ms) | live %s req/s (p99 %s ms) | ratio %s | %s ms/login\n' \
    "$r" "$ROUNDS" "${me_rps[-1]}" "${me_p99[-1]}" "${live_rps[-1]}" "${live_p99[-1]}" "$ratio" "$MS_PER_LOGIN"
done

stop_server

ME_RPS="$(median "${me_rps[@]}")"
ME_P99="$(median "${me_p99[@]}")"
LIVE_RPS="$(median "${live_rps[@]}")"
LIVE_P99="$(median "${live_p99[@]}")"
RATIO="$(median "${ratios[@]}")"
MS_LOGIN="$(median "${login_ms[@]}")"
LOGINS_S="$(awk -v ms="$MS_LOGIN" 'BEGIN { printf "%.1f", 1000 / ms }')"
GOAL_MET="$(awk -v r="$RATIO" -v g="$RATIO_GOAL" 'BEGIN { print (r >= g) ? "yes" : "NO" }')"

# --- record -------------------------------------------------------------------------------------

DATE="$(date -u +%Y-%m-%dT%H:%MZ)"
CPU="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
MACHINE="$(nproc) cores, ${CPU:-unknown CPU}"
COMMIT="$(commit)"
ROW="| $DATE | $COMMIT | $MACHINE | \`$COMMAND\` | $ME_RPS | $ME_P99 | $LIVE_RPS | $LIVE_P99 | $RATIO ($GOAL_MET) | $LOGINS_S | $MS_LOGIN |"

SECTION="## http: REST stack (\`$COMMAND\`)"


write_http_section() {
  cat <<EOF

$SECTION

A fresh server (empty \`PARLEY_HOME\`: embedded PostgreSQL and Redis) on 127.0.0.1, rate limiting
ON as in production with the api and auth limits raised to $HIGH_LIMIT/min so they never trip.
\`wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION --latency\` on the same machine as the
server (they share the cores), after a $WARMUP_DURATION warm-up per route; $ROUNDS rounds, the
order of the two routes alternating from round to round. A run with any non-2xx response fails
instead of writing a row.

- **users/me**: \`GET /api/v1/users/me\` with a bearer token: the full authenticated REST path
  (JWT check, rate limiter in Redis, OpenAPI validation, the route itself). The body comes from
  the node's user cache (\`PARLEY_USER_CACHE_TTL\`, invalidated on every write on every node), so
  PostgreSQL is read once per user per TTL; rows before the cache (0.31) read it on every request.
- **live**: \`GET /health/live\`: the bare route (no auth, no validation, no rate limit), the peer.
- **req/s**, **p99 ms**: medians over the rounds; p99 from wrk's latency distribution.
- **ratio**: users/me req/s ÷ live req/s, median of the per-round ratios. Goal: >= $RATIO_GOAL.
- **logins/s**, **ms/login**: $LOGINS_PER_ROUND sequential \`POST /api/v1/auth/login\` with curl
  (one process per call, included), median over the rounds; Argon2id hashing dominates.

| date (UTC) | commit | machine | command | users/me req/s | users/me p99 ms | live req/s | live p99 ms | ratio (goal >= $RATIO_GOAL) | logins/s | ms/login |
|---|---|---|---|---|---|---|---|---|---|---|
EOF
}

add_row "$SECTION" write_http_section "$ROW"

echo
echo "users/me: $ME_RPS req/s, p99 $ME_P99 ms | live: $LIVE_RPS req/s, p99 $LIVE_P99 ms"
echo "ratio users/me / live: $RATIO (goal >= $RATIO_GOAL: $GOAL_MET) | logins: $LOGINS_S/s, $MS_LOGIN ms each"
echo "row added to docs/BENCHMARKS.md"
