#!/usr/bin/env bash
# Food search benchmark: ./parley bench foods
#
# Runs io.parley.api.bench.FoodSearchBench (api test sources; a plain main, not a test) in one JVM:
# the USDA table (7,907 foods) loaded and indexed, then ROUNDS rounds of a fixed list of 60 queries
# (words, plurals, synonyms, prefixes being typed, misses), 50 times each, timed one by one through
#   search  the ranked search of GET /api/v1/foods (its index, ranking and top-k)
#   scan    its peer: a linear scan of every description for the query's words, shortest first
#   text    ten meal texts through the reader of POST /api/v1/meals {text}
# p50 and p99 per round; medians of the rounds and the ratio (scan p50 / search p50) go to
# docs/BENCHMARKS.md. Goal: search p99 < 5 ms.
set -euo pipefail

ROOT="${PARLEY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
RESULTS="$ROOT/docs/BENCHMARKS.md"
COMMAND="./parley bench foods"
ROUNDS="${FOODS_ROUNDS:-5}"     # DESIGN.md: medians of >= 5 runs
P99_GOAL_US=5000

die() {
  echo "bench/foods: $*" >&2
  exit 1
}

[[ -n ${JAVA:-} && -x $JAVA ]] || die "JAVA is not set to a java binary: run this as ./parley bench foods"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
CLASSPATH_FILE="$WORK/classpath.txt"
test_classpath api "$CLASSPATH_FILE" foods
MACHINE="$(machine)"

CP="$ROOT/api/target/test-classes:$ROOT/api/target/classes:$ROOT/core/target/classes:$(cat "$CLASSPATH_FILE")"
LINE="$("$JAVA" -cp "$CP" io.parley.api.bench.FoodSearchBench "$ROUNDS" | tail -n 1)"
echo "bench/foods: $LINE"
field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/" <<<"$LINE"; }
SP50="$(field search_p50_us)"; SP99="$(field search_p99_us)"
LP50="$(field scan_p50_us)"; LP99="$(field scan_p99_us)"
TP50="$(field text_p50_us)"; TP99="$(field text_p99_us)"
RATIO="$(awk -v a="$LP50" -v b="$SP50" 'BEGIN { printf "%.0f", a / b }')"
GOAL="$(awk -v p="$SP99" -v g="$P99_GOAL_US" 'BEGIN { print (p < g ? "yes" : "NO") }')"

section_header() {
  cat <<'EOT'

## Food search (`./parley bench foods`)

The ranked search behind `GET /api/v1/foods` over the whole USDA SR24 table, against a linear scan of
every description (the peer: what the table would cost without an index), and the meal-text reader
behind `POST /api/v1/meals {text}`. Latencies per query in microseconds, one JVM, after warm-up;
p50/p99 of 3,000 timed queries per round, medians of the rounds. Goal: search p99 < 5 ms.

| date (UTC) | commit | machine | command | search p50 / p99 µs | scan p50 / p99 µs | scan / search (p50) | text p50 / p99 µs | p99 < 5 ms |
|---|---|---|---|---|---|---|---|---|
EOT
}
add_row "## Food search (\`./parley bench foods\`)" section_header \
  "| $(date -u +%Y-%m-%d) | $(commit) | $MACHINE | \`$COMMAND\` | $SP50 / $SP99 | $LP50 / $LP99 | ${RATIO}x | $TP50 / $TP99 | $GOAL |"
echo "bench/foods: search p50 $SP50 us, p99 $SP99 us (goal < $P99_GOAL_US); scan p50 $LP50 us (${RATIO}x); text p50 $TP50 us"
