#!/usr/bin/env bash
# Photo analysis benchmark: ./parley bench vision
#
# First the engines: DJL against ONNX Runtime on NanoDet-m's weights (VisionBench, one JVM per engine
# and thread count). Then runs io.parley.api.bench.VisionLoad (api test sources; a plain main, not a test) in one JVM: a
# Parley node with the real NanoDet-m detector (DJL, PyTorch engine, CPU here) and the Redis cache
# off, then ROUNDS rounds alternating
#   http   CLIENTS concurrent clients posting darknet's dog.jpg to /api/v1/vision/analyze
#   bare   the same node's detector called directly with the photo already decoded (the ceiling)
#   batch  two more detectors in the same JVM (one worker, a thread per core), batching on (5 ms, up
#          to 8) and off, 2 x CLIENTS callers
# SECONDS each. Images/s, p50/p99 and the ratios go to docs/BENCHMARKS.md (medians of the rounds).
# Last the detectors side by side: NanoDet-m and the CenterNet on the hand-labelled photos
# (DetectorAccuracy: per food class recall and precision at the API's default score threshold, ms
# per photo) and each one's DJL pass against ONNX Runtime's at one thread.
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

test_classpath api "$CLASSPATH_FILE" vision



MACHINE="$(machine)"

# --- engines: DJL against ONNX Runtime on the same weights ----------------------------------------
# Per round and thread count: one paired run (DJL and ONNX Runtime taking turns, see VisionBench)
# and one JVM for DJL op by op. ROUNDS rounds; medians.
ENGINE_RUNS=50
DJL_CP="$ROOT/inference/target/test-classes:$ROOT/inference/target/classes:$ROOT/core/target/classes:$(cat "$CLASSPATH_FILE")"
ORT_JAR="$(tr ':' '\n' <"$CLASSPATH_FILE" | grep '/onnxruntime-[0-9.]*\.jar$' | head -n 1)"
[[ -n $ORT_JAR ]] || die "the onnxruntime jar is not on the classpath"
ORT_CP="$ROOT/inference/target/test-classes:$ROOT/inference/target/classes:$ROOT/core/target/classes:$ORT_JAR"
# libgomp's spin as the node's vision worker process has it (EngineWorkers.VISION_GOMP_SPINCOUNT),
# unless the environment sets OpenMP's waiting itself.
if [[ -z ${GOMP_SPINCOUNT:-} && -z ${OMP_WAIT_POLICY:-} ]]; then
  export GOMP_SPINCOUNT=10000
fi
engine_json() { # model engine threads [ort classpath] -> the bench's JSON line (one JVM, two for pair)
  (cd "$ROOT" && "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$DJL_CP" io.parley.inference.bench.VisionBench \
    "$1" "$2" "$3" "$ENGINE_RUNS" "$WORK/engines" "${@:4}") 2>"$WORK/engine.err" | grep '^{' | tail -n 1 | grep . ||
    { cat "$WORK/engine.err" >&2; die "VisionBench $1 $2 $3 failed"; }
}
field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }
declare -A MS
echo "bench/vision: engines, $ROUNDS rounds (DJL compiled and ONNX Runtime side by side, DJL op by op; 1 and 2 threads)"
for ((r = 1; r <= ROUNDS; r++)); do
  for t in 1 2; do
    pair="$(engine_json nanodet pair "$t" "$ORT_CP")"
    MS[djl-$t]+="$(field djl_ms <<<"$pair") "
    MS[ort-$t]+="$(field ort_ms <<<"$pair") "
    MS[djl-eager-$t]+="$(engine_json nanodet djl-eager "$t" | field ms) "
  done
  echo "round $r/$ROUNDS: ms djl-1 [${MS[djl-1]}] eager-1 [${MS[djl-eager-1]}] ort-1 [${MS[ort-1]}]" \
    "djl-2 [${MS[djl-2]}] eager-2 [${MS[djl-eager-2]}] ort-2 [${MS[ort-2]}]"
done
median_of() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
DJL1="$(median_of "${MS[djl-1]}")"; ORT1="$(median_of "${MS[ort-1]}")"
DJL2="$(median_of "${MS[djl-2]}")"; ORT2="$(median_of "${MS[ort-2]}")"
EAGER1="$(median_of "${MS[djl-eager-1]}")"; EAGER2="$(median_of "${MS[djl-eager-2]}")"
R1="$(awk -v o="$ORT1" -v d="$DJL1" 'BEGIN { printf "%.3f", o / d }')"
R2="$(awk -v o="$ORT2" -v d="$DJL2" 'BEGIN { printf "%.3f", o / d }')"
echo "engines: DJL $DJL1 / $DJL2 ms (op by op $EAGER1 / $EAGER2), ONNX Runtime $ORT1 / $ORT2 ms at 1 / 2 threads;" \
  "DJL throughput / ORT: $R1 / $R2"
ENGINE_GOAL=NO
awk -v a="$R1" -v b="$R2" 'BEGIN { exit !(a >= 0.8 && b >= 0.8) }' && ENGINE_GOAL=yes
ENGINES_SECTION='## vision/engines: DJL (PyTorch) against ONNX Runtime on the NanoDet-m weights (`./parley bench vision`)'
write_engines_section() {
  cat <<'EOS'

## vision/engines: DJL (PyTorch) against ONNX Runtime on the NanoDet-m weights (`./parley bench vision`)

`VisionBench` (inference/src/test/java/io/parley/inference/bench): one forward pass of NanoDet-m on a
letterboxed 416x416 photo (darknet's `dog.jpg`), input in and outputs copied out to Java arrays,
at 1 and 2 intra-op threads. **DJL**: what Parley serves with on a CPU, DJL 0.35.1's PyTorch engine
(libtorch 2.7.1) running the graph compiled to one TorchScript module (`CompiledGraph`: fused,
prepacked oneDNN convolutions) on a channels-last photo; **op by op**: Parley's `GraphExecutor`
calling DJL NDArray operations eagerly (the path a GPU takes). **ONNX Runtime 1.29**: the same
graph exported to ONNX by `OnnxExport` (test code), all graph optimizations on; its outputs must
agree with DJL's within 1e-3 or the run fails. DJL and ONNX Runtime run **side by side**: two
JVMs (each engine with the machine's threads to itself) taking turns of 5 passes,
the order swapped every turn, 30 warm-up and 50 timed passes each, so both see the same moments
of a shared machine (rows before 2026-12-03T16:50Z: separate JVMs a minute apart, 25 passes, ONNX
Runtime's outputs not copied out). 5 rounds; medians of the rounds. **ratio** = ONNX Runtime ms ÷
DJL ms (DJL's throughput relative to ONNX Runtime's; goal >= 0.8). Rows before the compiled module
have "–" for op by op: DJL was op by op.

| date (UTC) | commit | machine | command | DJL ms 1 / 2 threads | ONNX Runtime ms 1 / 2 threads | ratio 1 / 2 threads | goal | DJL op by op ms 1 / 2 threads |
|---|---|---|---|---|---|---|---|---|
EOS
}
add_row "$ENGINES_SECTION" write_engines_section "$(printf '| %s | %s | %s | `%s` | %s / %s | %s / %s | %s / %s | %s | %s / %s |' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$(commit)" "$MACHINE" "$COMMAND" "$DJL1" "$DJL2" "$ORT1" "$ORT2" "$R1" "$R2" "$ENGINE_GOAL" \
  "$EAGER1" "$EAGER2")"

# --- http: the API against the bare predictor, and batching --------------------------------------
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
DJL's PyTorch engine (CPU, the node's defaults: one single-threaded worker per core; rows before
2026-12 had one worker with a thread per core), the Redis result cache off so every request runs
the model. Per round, alternating: **http**: 4 clients posting darknet's
`dog.jpg` (768x576 JPEG) to `/api/v1/vision/analyze` (upload, sniff, header check, decode, detect,
JSON); **bare**: the same detector called directly by 4 callers with the photo already decoded.
Then **batching on** (5 ms window, up to 8) against **off** (batch 1), 8 callers each, on a
detector with one worker whose pass uses every core (with a single-threaded worker per core there
is nothing for a batch to share). Medians of 5 rounds of 8 s, after a warm-up of both modes in
turn until the JIT compiles for under 2% of the time (on this machine ~2 minutes: the compiler
threads share two cores with the detector, and before that C2 took 2-7 ms of CPU per photo in
the HTTP runs alone).

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

# --- detectors: NanoDet-m against the CenterNet on the hand-labelled photos -----------------------
echo "bench/vision: the detectors on the labelled photos ($ROUNDS timed rounds), then DJL against ONNX Runtime" \
  "for each at 1 thread ($ROUNDS rounds)"
(cd "$ROOT" && timeout -k 10 1800 "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$DJL_CP" \
  io.parley.inference.bench.DetectorAccuracy "$ROUNDS") 2>"$WORK/accuracy.err" | grep '^{' | tail -n 1 >"$WORK/accuracy.json" ||
  true
[[ -s $WORK/accuracy.json ]] || { cat "$WORK/accuracy.err" >&2; die "DetectorAccuracy failed"; }
grep -v '^\s*at ' "$WORK/accuracy.err" | grep -E '^(round|nanodet|centernet)' || true
for ((r = 1; r <= ROUNDS; r++)); do
  for m in nanodet centernet; do
    pair="$(engine_json "$m" pair 1 "$ORT_CP")"
    MS[det-djl-$m]+="$(field djl_ms <<<"$pair") "
    MS[det-ort-$m]+="$(field ort_ms <<<"$pair") "
  done
  echo "round $r/$ROUNDS: 1 thread, ms djl/ort nanodet [${MS[det-djl-nanodet]}/${MS[det-ort-nanodet]}]" \
    "centernet [${MS[det-djl-centernet]}/${MS[det-ort-centernet]}]"
done
DETECTORS_SECTION='## vision/detectors: NanoDet-m against the CenterNet on hand-labelled photos (`./parley bench vision`)'
write_detectors_section() {
  cat <<'EOS'

## vision/detectors: NanoDet-m against the CenterNet on hand-labelled photos (`./parley bench vision`)

`DetectorAccuracy` (inference/src/test/java/io/parley/inference/bench) runs both bundled detectors
over the photos of `inference/src/test/resources/vision/labelled-set.tsv`: the photos Debian's
`opencv-doc` and `darknet` install, labelled by hand with the COCO classes on them and their counts
(its header says how; only three of them show COCO food: `fruits.jpg`, `apple.jpg`, `orange.jpg`,
so the food figures rest on five objects, and the other photos are there to catch false food
labels). Each detector as a node's default worker runs it: one worker, one intra-op thread,
compiled, CPU, at the API's default score threshold (`PARLEY_VISION_SCORE_THRESHOLD`) and IoU. No
boxes are compared: per photo and label, hits = min(found, expected), misses the rest of the
expected, false positives the rest of the found unless the label is tolerated on that photo.
**recall** = hits ÷ expected, **precision** = hits ÷ (hits + false positives), for the ten COCO food
classes together and per class (hits/expected, fp = false positives), and for all 80 classes.
**ms per photo**: `detect` to its answer (letterbox, pass, decoding) on photos already decoded, the
two detectors taking turns photo by photo; median of 5 rounds' means. **DJL / ONNX Runtime**: one
pass on `dog.jpg` at one thread, DJL compiled against ONNX Runtime 1.29 on the same weights side by
side (`VisionBench ... pair`, as in vision/engines); median of 5 rounds; ratio = ONNX Runtime ms ÷
DJL ms.

| date (UTC) | commit | machine | command | detector | score threshold | food recall | food precision | per food class | all classes recall / precision | ms per photo | DJL / ONNX Runtime ms, 1 thread (ratio) |
|---|---|---|---|---|---|---|---|---|---|---|---|
EOS
}
for m in nanodet centernet; do
  djl="$(median_of "${MS[det-djl-$m]}")"
  ort="$(median_of "${MS[det-ort-$m]}")"
  row="$(python3 - "$WORK/accuracy.json" "$m" "$djl" "$ort" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(commit)" "$MACHINE" "$COMMAND" <<'PY'
import json, sys
path, model, djl, ort, date, commit, machine, command = sys.argv[1:]
a = json.load(open(path))
name = {"nanodet": "nanodet-m", "centernet": "centernet-mobilenetv3"}[model]
v = a["models"][name]
food = ["banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake"]
def pct(n, d):
    return "–" if d == 0 else "%.2f (%d/%d)" % (n / d, n, d)
f = v["food"]
al = v["all"]
classes = []
for c in food:
    t = v["labels"].get(c)
    if t and (t["hits"] + t["misses"] or t["false_positives"]):
        text = c + (" %d/%d" % (t["hits"], t["hits"] + t["misses"]) if t["hits"] + t["misses"] else "")
        classes.append(text + (" fp %d" % t["false_positives"] if t["false_positives"] else ""))
cells = [date, commit, machine, "`%s`" % command, name, "%g" % a["score_threshold"],
         pct(f["hits"], f["hits"] + f["misses"]), pct(f["hits"], f["hits"] + f["false_positives"]),
         ", ".join(classes) or "–",
         "%.2f / %.2f" % (al["hits"] / max(1, al["hits"] + al["misses"]), al["hits"] / max(1, al["hits"] + al["false_positives"])),
         "%g" % v["ms_per_photo"], "%s / %s (%.3f)" % (djl, ort, float(ort) / float(djl))]
print("| " + " | ".join(cells) + " |")
PY
)"
  add_row "$DETECTORS_SECTION" write_detectors_section "$row"
  echo "$row"
done
echo "rows added to docs/BENCHMARKS.md"
