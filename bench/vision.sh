#!/usr/bin/env bash
# Photo analysis benchmark: ./parley bench vision
#
# Runs io.parley.api.bench.VisionLoad (api test sources; a plain main, not a test) in one JVM: a
# Parley node with the real NanoDet-m detector (DJL, PyTorch engine, CPU here) and the Redis cache
# off, then ROUNDS rounds alternating
#   http   CLIENTS concurrent clients posting darknet's dog.jpg to /api/v1/vision/analyze
#   bare   the same node's detector called directly with the photo already decoded (the ceiling)
#   batch  two more detectors in the same JVM, batching on (5 ms, up to 8) and off, 2 x CLIENTS callers
# SECONDS each. Images/s, p50/p99 and the ratios go to docs/BENCHMARKS.md (medians of the rounds).
#
# On a GPU machine: run the same command with a CUDA build of libtorch (DJL's pytorch-native-cu*
# artifact instead of pytorch-native-cpu on the classpath) and PARLEY_VISION_DEVICE=gpu, or auto.
set -euo pipefail

ROOT="${PARLEY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
RESULTS="$ROOT/docs/BENCHMARKS.md"
COMMAND="./parley bench vision"
ROUNDS="${VISION_ROUNDS:-5}"     # DESIGN.md: medians of >= 5 runs
SECONDS_PER_RUN="${VISION_SECONDS:-8}"
CLIENTS="${VISION_CLIENTS:-4}"
RATIO_GOAL=0.85

die() {
  echo "bench/vision: $*" >&2
  exit 1
}

[[ -n ${JAVA:-} && -x $JAVA ]] || die "JAVA is not set to a java binary: run this as ./parley bench vision"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
CLASSPATH_FILE="$WORK/classpath.txt"

offline=()
[[ -n ${PARLEY_MVN_OFFLINE:-} ]] && offline=(-o)
echo "bench/vision: compiling the api module and its benchmarks (mvn test-compile)"
(cd "$ROOT" && JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$JAVA")")")" \
  mvn -B -q "${offline[@]}" test-compile dependency:build-classpath -pl api -am \
  -Dmdep.outputFile="$CLASSPATH_FILE" -Dmdep.includeScope=test) >"$WORK/mvn.log" 2>&1 ||
  { tail -n 40 "$WORK/mvn.log" >&2; die "mvn test-compile failed"; }
[[ -s $CLASSPATH_FILE ]] || die "mvn wrote no classpath"



MACHINE="$(machine)"
OUT="$WORK/load.out"
echo "bench/vision: $ROUNDS rounds of ${SECONDS_PER_RUN}s per mode, $CLIENTS clients"
(cd "$ROOT/api" && timeout -k 10 1500 "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx2g \
  -cp "$ROOT/api/target/test-classes:$ROOT/api/target/classes:$ROOT/inference/target/test-classes:$(cat "$CLASSPATH_FILE")" \
  io.parley.api.bench.VisionLoad "$ROUNDS" "$SECONDS_PER_RUN" "$CLIENTS") 2>&1 | tee "$OUT" || die "VisionLoad failed"

result() {
  local v
  v="$(awk -v k="$1" '$1 == "RESULT" && $2 == k { print $3 }' "$OUT" | tail -n 1)"
  [[ -n $v ]] || die "no '$1' in the load's output"
  echo "$v"
}

ratio="$(result ratio)"
goal=NO
awk -v r="$ratio" -v g="$RATIO_GOAL" 'BEGIN { exit !(r >= g) }' && goal=yes
SECTION='## vision: photo analysis over HTTP against the bare predictor (`./parley bench vision`)'
write_vision_section() {
  cat <<'EOS'

## vision: photo analysis over HTTP against the bare predictor (`./parley bench vision`)

`VisionLoad` (api/src/test/java/io/parley/api/bench) in one JVM: a Parley node with NanoDet-m on
DJL's PyTorch engine (CPU, one worker, intra-op threads = cores), the Redis result cache off so
every request runs the model. Per round, alternating: **http**: 4 clients posting darknet's
`dog.jpg` (768x576 JPEG) to `/api/v1/vision/analyze` (upload, sniff, header check, decode, detect,
JSON); **bare**: the same detector called directly by 4 callers with the photo already decoded.
Then **batching on** (5 ms window, up to 8) against **off** (batch 1), 8 callers each. Medians of
5 rounds of 8 s.

- **img/s, p50 / p99 ms**: completed analyses per second and their latency.
- **ratio**: http ÷ bare, median of the per-round ratios (goal >= 0.85).
- **batch on / off**: images per second with dynamic batching and without, and their ratio.

| date (UTC) | commit | machine | command | http img/s (p50 / p99 ms) | bare img/s (p50 / p99 ms) | ratio | batch on / off img/s | batch ratio | goal |
|---|---|---|---|---|---|---|---|---|---|
EOS
}
row="$(printf '| %s | %s | %s | `%s` | %s (%s / %s) | %s (%s / %s) | %s | %s / %s | %s | %s |' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$(commit)" "$MACHINE" "$COMMAND" \
  "$(result http_rate)" "$(result http_p50)" "$(result http_p99)" \
  "$(result bare_rate)" "$(result bare_p50)" "$(result bare_p99)" \
  "$ratio" "$(result batch_on_rate)" "$(result batch_off_rate)" "$(result batch_ratio)" "$goal")"
add_row "$SECTION" write_vision_section "$row"
echo "row added to docs/BENCHMARKS.md"
