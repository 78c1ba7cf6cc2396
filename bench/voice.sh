#!/usr/bin/env bash
# Voice engines benchmark: ./parley bench voice [PART...]   (parts: vad engines tts pipeline tools decode)
#
# Parts (all by default; each writes its own section of docs/BENCHMARKS.md):
#   engines  Whisper (tiny random-weight ggml file) real-time factor, llama.cpp (tiny GGUF) tokens/s,
#         FreeTTS real-time factor, each at 1 and 2 threads (WhisperBench, LlmBench, TtsBench; each
#         takes the median of 7 runs itself).
#   tts   eSpeak NG and FreeTTS real-time factors side by side on the same English paragraph, and
#         eSpeak NG on it in the products' other languages (VoicesBench; median of ROUNDS rounds).
#         Needs Debian libespeak-ng1.
#   vad   Silero VAD v5 on ONNX Runtime (inference/src/test/java/io/parley/inference/bench/VadBench.java):
#         us per 32 ms frame one stream per call vs 64 streams batched per call, side by side in
#         the same run, and always-on streams one core keeps in real time, mostly silent (energy
#         gate on) and in continuous speech. Medians of ROUNDS rounds.
#   pipeline  One VoiceSession with every real engine fed espeak-ng speech in real time
#         (PipelineBench, run by the api's PipelineHopBench): end of speech to transcript and first
#         audio, and the pipeline's own overhead (first audio minus the engines' compute), with the
#         engines in the bench's JVM and in the node's engine worker processes side by side; the
#         hop between them, one frame's round trip through a worker and Silero VAD's cost per
#         frame beside it. Medians of ROUNDS rounds.
#   decode  Decode cost per minute of audio for each input format of /v1/audio/transcriptions
#         (DecodeBench): CPU ms of the server's decoder (FFmpeg through JavaCPP, from memory, to
#         16 kHz mono) per audio minute beside the ffmpeg CLI decoding the same file, and the ratio.
#         Medians of ROUNDS rounds. Needs ffmpeg, opus-tools, vorbis-tools, lame, flac, espeak-ng.
#
# Expects JAVA and PARLEY_ROOT from the launcher (which also fetches the models). Needs the
# LibriVox clips of Debian pocketsphinx-testdata (./parley test installs it). The classpath comes
# from Maven (`dependency:build-classpath`, test scope) with core taken from this tree (-am); set
# PARLEY_MVN_OFFLINE=1 to run Maven offline.
set -euo pipefail

ROOT="${PARLEY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
RESULTS="$ROOT/docs/BENCHMARKS.md"
COMMAND="./parley bench voice${*:+ $*}"

ROUNDS=5                 # DESIGN.md: medians of >= 5 runs
VAD_SECONDS=10           # seconds of audio per stream and round in the streams-per-core parts
VAD_SILENT_GOAL=500      # always-on mostly-silent streams per core (issue 5)
VAD_SPEECH_GOAL=270      # streams of continuous speech per core (issue 5)
LIBRIVOX=/usr/share/pocketsphinx/test/data/librivox

die() {
  echo "bench/voice: $*" >&2
  exit 1
}

[[ -n ${JAVA:-} && -x $JAVA ]] || die "JAVA is not set to a java binary: run this as ./parley bench voice"
command -v mvn >/dev/null || die "'mvn' not found: ./parley bench voice installs it (Debian package maven)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# --- shared -------------------------------------------------------------------------------------

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

CLASSPATH_FILE="$WORK/classpath.txt"

# Compiles inference (and core) with their tests and writes the test classpath once.
build_classpath() {
  [[ -s $CLASSPATH_FILE ]] && return 0
  test_classpath inference "$CLASSPATH_FILE" voice
}

run_main() {
  local main="$1"
  shift
  build_classpath
  "$JAVA" --enable-native-access=ALL-UNNAMED -Xms256m -Xmx1g \
    -cp "$ROOT/inference/target/test-classes:$ROOT/inference/target/classes:$(cat "$CLASSPATH_FILE")" \
    "$main" "$@"
}

API_CLASSPATH_FILE="$WORK/api-classpath.txt"

# Runs main class $1 of the api test sources (with core's and inference's test classes) from the root.
run_api_main() {
  local main="$1"
  shift
  [[ -s $API_CLASSPATH_FILE ]] || test_classpath api "$API_CLASSPATH_FILE" voice
  (cd "$ROOT" && "$JAVA" --enable-native-access=ALL-UNNAMED -Xss8m \
    -cp "$ROOT/api/target/test-classes:$ROOT/api/target/classes:$ROOT/core/target/test-classes:$ROOT/inference/target/test-classes:$(cat "$API_CLASSPATH_FILE")" \
    "$main" "$@")
}

# Value of key $1 in a "RESULT k=v k=v" line $2.
result_value() {
  tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"
}



# --- vad ----------------------------------------------------------------------------------------

VAD_SECTION="## voice/vad: Silero VAD (\`./parley bench voice vad\`)"

write_vad_section() {
  cat <<EOF

$VAD_SECTION

\`VadBench\` (inference/src/test/java/io/parley/inference/bench) on one thread: one \`SileroVad\`
session with one intra-op thread, so the benchmark thread's CPU time is the cost on one core (wall
time is printed per round too; on a shared machine it also counts other people's work). Audio: the
LibriVox clips of Debian \`pocketsphinx-testdata\`. After a warm-up, $ROUNDS rounds; medians.

- **single µs/frame**: one stream, one 32 ms frame (512 samples + 64 of context) per model call,
  energy gate off.
- **batch64 µs/frame**: frames of 64 streams stacked into one call (batch dimension of \`input\`
  and \`state\`), gate off. **speed-up**: single ÷ batch64, median of the per-round ratios.
- **mostly silent streams/core**: 64 always-on streams, each speaking 10% of every ~10 s cycle
  (phases staggered) and otherwise sending faint noise at -70 dBFS, under the energy gate's
  -60 dBFS floor; gate on, 64 streams per call, each stream's \`VadSegmenter\` included. Streams
  per core = seconds of audio processed ÷ CPU seconds, over ${VAD_SECONDS} s of audio per stream.
  Goal: >= $VAD_SILENT_GOAL.
- **speech streams/core**: the same with continuous speech (the gate never fires). Goal: >= $VAD_SPEECH_GOAL.

| date (UTC) | commit | machine | command | single µs/frame | batch64 µs/frame | speed-up | mostly silent streams/core (goal >= $VAD_SILENT_GOAL) | speech streams/core (goal >= $VAD_SPEECH_GOAL) |
|---|---|---|---|---|---|---|---|---|
EOF
}

bench_vad() {
  [[ -d $LIBRIVOX ]] ||
    die "$LIBRIVOX is missing: install Debian package pocketsphinx-testdata (./parley test installs it)"
  echo "bench/voice: vad ($ROUNDS rounds, ${VAD_SECONDS} s of audio per stream)"
  local out result started
  started="$(machine)"
  out="$(run_main io.parley.inference.bench.VadBench "$ROUNDS" "$VAD_SECONDS" 2>&1 | tee /dev/stderr)" ||
    die "VadBench failed"
  result="$(grep '^RESULT ' <<<"$out" | tail -n 1)"
  [[ -n $result ]] || die "VadBench printed no RESULT line"
  local single batch silent speech speedup silent_met speech_met
  single="$(result_value single_us "$result")"
  batch="$(result_value batch64_us "$result")"
  silent="$(result_value silent_streams "$result")"
  speech="$(result_value speech_streams "$result")"
  speedup="$(result_value speedup "$result")"
  silent_met="$(awk -v v="$silent" -v g="$VAD_SILENT_GOAL" 'BEGIN { print (v >= g) ? "yes" : "NO" }')"
  speech_met="$(awk -v v="$speech" -v g="$VAD_SPEECH_GOAL" 'BEGIN { print (v >= g) ? "yes" : "NO" }')"
  add_row "$VAD_SECTION" write_vad_section \
    "| $(date -u +%Y-%m-%dT%H:%MZ) | $(commit) | $started | \`$COMMAND\` | $single | $batch | ${speedup}x | $silent ($silent_met) | $speech ($speech_met) |"
  echo "vad: single $single us/frame | batch64 $batch us/frame (${speedup}x) | mostly silent $silent streams/core ($silent_met) | speech $speech streams/core ($speech_met)"
}

# --- main ---------------------------------------------------------------------------------------

ENGINES_SECTION='## voice/engines: Whisper, llama.cpp and FreeTTS on tiny models (`./parley bench voice engines`)'

# The last JSON line a bench main printed (libraries may print lines of their own first).
last_json() {
  grep '^{' | tail -n 1
}

# Value at the dotted path $2 of the JSON object $1.
json_value() {
  python3 -c 'import json,sys
d = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    d = d[k]
print(d)' "$1" "$2"
}

bench_engines() {
  local whisper llm tts
  echo "bench/voice: engines (Whisper, llama.cpp, FreeTTS)"
  whisper="$(run_main io.parley.inference.bench.WhisperBench 7 | last_json)" || die "WhisperBench failed"
  llm="$(run_main io.parley.inference.bench.LlmBench 7 256 | last_json)" || die "LlmBench failed"
  tts="$(run_main io.parley.inference.bench.TtsBench | last_json)" || die "TtsBench failed"
  printf '%s\n%s\n%s\n' "$whisper" "$llm" "$tts"
  grep -qxF "$ENGINES_SECTION" "$RESULTS" || cat >>"$RESULTS" <<EOF

$ENGINES_SECTION

The engines' own speed with the tiny random-weight files the tests write (real engines, nonsense
words: a random Whisper never emits end-of-text, so it decodes to its 224-token cap, a worst case).
Whisper: real-time factor on 3 s of espeak-ng speech (compute / audio; lower is faster). llama.cpp:
tokens/s streaming 256 tokens. FreeTTS: real-time factor of a 230-character paragraph, warm. Each
is the median of 7 runs; 2 threads share the machine's 2 cores with everything else.

| date (UTC) | commit | machine | command | whisper RTF 1 / 2 threads | llama tokens/s 1 / 2 threads | FreeTTS RTF 1 thread / 2 threads per stream |
|---|---|---|---|---|---|---|
EOF
  printf '| %s | %s | %s | `%s` | %s / %s | %s / %s | %s / %s |\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(commit)" \
    "$(machine)" "$COMMAND" "$(json_value "$whisper" rtf_1_thread)" "$(json_value "$whisper" rtf_2_threads)" \
    "$(json_value "$llm" tokens_per_s_median.1_threads)" "$(json_value "$llm" tokens_per_s_median.2_threads)" \
    "$(json_value "$tts" rtf_1thread)" "$(json_value "$tts" rtf_2threads_per_stream)" >>"$RESULTS"
  echo "row added to docs/BENCHMARKS.md"
}

# --- tts ----------------------------------------------------------------------------------------

TTS_SECTION='## voice/tts: eSpeak NG and FreeTTS real-time factors (`./parley bench voice tts`)'
TTS_LANGUAGES=(ar cmn de es fr hi ja ko)

write_tts_section() {
  cat <<EOF

$TTS_SECTION

\`VoicesBench\` (inference/src/test/java/io/parley/inference/bench): the in-process engines' real-time
factor (synthesis time / audio duration; lower is faster) on the 230-character paragraph of
\`TtsBench\`, warm, one synthesis at a time on one worker thread, FreeTTS (kevin16) and eSpeak NG
(en-us) alternating in each round, then eSpeak NG on the same paragraph translated. Median of
$ROUNDS rounds after 3 warm-up rounds. **FreeTTS / eSpeak NG**: the ratio of the two English medians
(how many times faster eSpeak NG is; under 1: slower). eSpeak NG's time includes the hop to its one thread.

| date (UTC) | commit | machine | command | FreeTTS en RTF | eSpeak NG en RTF | FreeTTS / eSpeak NG | eSpeak NG RTF: ${TTS_LANGUAGES[*]} |
|---|---|---|---|---|---|---|---|
EOF
}

bench_tts() {
  local out cells=() l
  echo "bench/voice: tts (eSpeak NG and FreeTTS side by side)"
  out="$(run_main io.parley.inference.bench.VoicesBench "$ROUNDS" | last_json)" || die "VoicesBench failed"
  [[ -n $out ]] || die "VoicesBench printed no JSON line"
  echo "$out"
  for l in "${TTS_LANGUAGES[@]}"; do
    cells+=("$(json_value "$out" "rtf.espeak_$l")")
  done
  add_row "$TTS_SECTION" write_tts_section "$(printf '| %s | %s | %s | `%s` | %s | %s | %sx | %s |' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$(commit)" "$(machine)" "$COMMAND" "$(json_value "$out" rtf.freetts_en)" \
    "$(json_value "$out" rtf.espeak_en)" "$(json_value "$out" freetts_over_espeak)" "${cells[*]}")"
  echo "row added to docs/BENCHMARKS.md"
}

# --- pipeline -----------------------------------------------------------------------------------

PIPELINE_SECTION='## voice/pipeline: turn latency and pipeline overhead (`./parley bench voice pipeline`)'

write_pipeline_section() {
  cat <<'EOF'

## voice/pipeline: turn latency and pipeline overhead (`./parley bench voice pipeline`)

`PipelineHopBench` (api/src/test/java/io/parley/api/bench) runs `PipelineBench`'s measurement
(inference/src/test/java/io/parley/inference/bench) twice, side by side in one run, on the same
settings: **inline**, the engines in the bench's JVM as `PARLEY_ENGINE_ISOLATION=inline` opens them,
and **process**, the proxies of the real engine worker processes (`EngineWorkers`: a speech worker
with Whisper and FreeTTS, a chat worker with llama.cpp, over their Unix sockets). Either way: one
`VoiceSession` wired as `/v1/realtime` wires it (Silero VAD in the node's JVM through the
`VadScheduler`, whisper.cpp and llama.cpp on the tiny random-weight files the tests write, 2 threads
each, FreeTTS, sentence chunker, resamplers), no socket to a client and no database. A feeder
streams espeak-ng speech then 1.2 s of silence in real time (20 ms chunks); server VAD ends each
turn; the answer (24 tokens) is spoken and paced out; then the next turn. One warm-up turn each,
then 5 rounds of 3 turns per column, the columns alternating (and which goes first alternating);
medians per round, then the median of the rounds. All times from the end of speech (the VAD's
speech_stopped, which comes after its 600 ms minimum silence).

- **transcript / first audio ms**: end of speech to the final transcript and to the first audio
  sent to the client (p99 over all turns in brackets).
- **engines ms**: their own compute on the way to the first audio: Whisper's final pass, the LLM
  until its first whole sentence, FreeTTS until its first audio (Whisper: only what ran after the end
  of speech; a final taken over from a running interim started earlier).
- **overhead p50 / p99 ms**: first audio minus those three: queueing, hand-offs between worker
  threads and the event loop. Goal: process p50 < 20 ms. What of the process hop lands here: Whisper
  reports its compute from inside the worker, so the transcription's round trip counts as overhead;
  the LLM's share is timed on the session's event loop and FreeTTS's on the node's worker thread,
  so their round trips count as theirs.
- **hop ms**: process minus inline, of the first-audio medians and of the overhead medians.
- **OpenMP**: whisper.cpp and llama.cpp run their threads with libgomp, which by default spin-waits
  300,000 rounds at each barrier, and 100 when it counts more OpenMP threads than cores: the inline
  column's JVM (Whisper's 2 threads and llama.cpp's 2 on 2 cores) is at 100 by itself, a worker
  process holding one engine is not. The bench runs both columns with `GOMP_SPINCOUNT=100` (the
  workers inherit the node's environment), so that the process column differs by the hop. Without
  it, on this shared 2-core machine at load 10-15, the process column's transcript took ~17 s
  against ~0.7-0.9 s inline (2 rounds of a run stopped for it, 2026-12-05): a thread spinning at one
  of whisper.cpp's barriers burns the time slice its descheduled partner needs, as with the photo
  detector's libtorch (vision/engines above). The rows of 05:38 and 05:52 ran at 1,000, where
  Whisper's final still took ~1.5x as long in the worker (554 against 391 ms, 730 against 481).
  Nothing sets the speech and chat workers' wait policy in the node yet.
- **worker round trip µs**: one `ECHO` frame to the speech worker and back (header and payload
  returned as sent, nothing computed), one after the other from one thread, the path a call takes
  (writer thread, socket, the worker's reader, socket, the node's reader waking the caller): 2 KB,
  one 32 ms VAD frame of floats, 1,000 per round; 192 KB, 3 s of speech as a transcription sends it,
  100 per round. p50 (median of the rounds), p99 of all in brackets. **CPU µs**: the CPU time both
  processes spent per 2 KB round trip (the node's and the worker's, over 20,000 of them).
- **VAD µs/frame**: Silero VAD's own compute for one 32 ms frame of one stream in the node (gate
  off, the bench's speech, 2,000 frames per round): CPU time / wall time of the scoring thread.
  Set beside the 2 KB round trip, it is why VAD stays in the node (docs/VOICE.md).

| date (UTC) | commit | machine | command | transcript ms inline / process | first audio ms inline / process (p99) | engines ms inline: whisper / llm / tts | engines ms process: whisper / llm / tts | overhead p50 / p99 ms inline | overhead p50 / p99 ms process | hop ms: first audio / overhead | worker round trip µs: 2 KB / 192 KB (p99) | 2 KB round trip CPU µs | VAD µs/frame cpu / wall | goal |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
EOF
}

# The row's cells from PipelineHopBench's JSON line $1 (date, commit, machine and command aside).
pipeline_cells() {
  python3 -c 'import json, sys
d = json.loads(sys.argv[1])
i, p = d["inline"], d["process"]
def engines(m):
    return "%s / %s / %s" % (m["stt_compute_ms"], m["llm_first_sentence_ms"], m["tts_first_audio_ms"])
print(" | ".join([
    "%s / %s" % (i["transcript_ms"], p["transcript_ms"]),
    "%s (%s) / %s (%s)" % (i["first_audio_ms"], i["first_audio_p99_ms"], p["first_audio_ms"], p["first_audio_p99_ms"]),
    engines(i), engines(p),
    "%s / %s" % (i["overhead_p50_ms"], i["overhead_p99_ms"]),
    "%s / %s" % (p["overhead_p50_ms"], p["overhead_p99_ms"]),
    "%s / %s" % (d["hop_first_audio_ms"], d["hop_overhead_ms"]),
    "%s (%s) / %s (%s)" % (d["echo_2kb_p50_us"], d["echo_2kb_p99_us"], d["echo_192kb_p50_us"], d["echo_192kb_p99_us"]),
    str(d["echo_2kb_cpu_us"]),
    "%s / %s" % (d["vad_frame_cpu_us"], d["vad_frame_wall_us"])]))' "$1"
}

bench_pipeline() {
  local out goal
  echo "bench/voice: pipeline (one session, real engines, real-time speech; engines inline and in worker processes)"
  # OpenMP (libgomp, in whisper.cpp and llama.cpp) spin-waits 300,000 rounds at each barrier, or 100
  # when it counts more OpenMP threads than cores: the inline JVM (Whisper and llama.cpp together) is
  # at 100 by itself, a worker process with one engine is not, and on a loaded 2-core machine its
  # spinning threads take the time slices their partners wait for (section text). Both columns at
  # 100 (the workers inherit the node's environment).
  out="$(GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-100}" run_api_main io.parley.api.bench.PipelineHopBench "$ROUNDS" 3 |
    last_json)" || die "PipelineHopBench failed"
  [[ -n $out ]] || die "PipelineHopBench printed no JSON line"
  echo "$out"
  goal=NO
  python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["process"]["overhead_p50_ms"] < 20 else 1)' "$out" && goal=yes
  add_row "$PIPELINE_SECTION" write_pipeline_section "$(printf '| %s | %s | %s | `%s` | %s | %s |' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$(commit)" "$(machine)" "$COMMAND" "$(pipeline_cells "$out")" "$goal")"
  echo "row added to docs/BENCHMARKS.md"
}

# --- tools --------------------------------------------------------------------------------------

TOOLS_SECTION='## voice/tools: server tools on the embedded stores (`./parley bench voice tools`)'
TOOLS_CALLS=300

write_tools_section() {
  cat <<'EOT'

## voice/tools: server tools on the embedded stores (`./parley bench voice tools`)

`io.parley.api.bench.ToolBench` (api test sources): a node on embedded PostgreSQL and Redis (engines
off: the tools need the stores only), one user with a profile, meals, memories and an expert to
book. Each server tool is called as a session calls it (on a Vert.x context, confirmed writes; a
logged meal is deleted, a booking cancelled and a remembered note, in new words each time, forgotten
by its id by the next call), 300 times per round after a
warm-up: the time from the model's tool call to the result text that goes back to the model. p50 /
p99 ms per round, medians of the rounds. **context tokens**: what that user's personal context adds
to each answer's prompt (characters / 4). Goal: every tool's p50 < 20 ms.

| date (UTC) | commit | machine | command | get_profile | get_meals | find_experts | list_appointments | recall | log_meal | delete_meal | book_appointment | cancel_appointment | remember | forget | context tokens | goal |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
EOT
}

bench_tools() {
  local out goal cells="" t
  echo "bench/voice: tools (server tools on the embedded stores)"
  out="$(run_api_main io.parley.api.bench.ToolBench "$TOOLS_CALLS" "$ROUNDS" | last_json)" || die "ToolBench failed"
  [[ -n $out ]] || die "ToolBench printed no JSON line"
  echo "$out"
  for t in get_profile get_meals find_experts list_appointments recall log_meal delete_meal book_appointment cancel_appointment remember forget; do
    cells+="$(python3 -c 'import json,sys; v=json.loads(sys.argv[1])["tools"][sys.argv[2]]; print("%.2f / %.2f" % (v[0], v[1]))' "$out" "$t") | "
  done
  goal=NO
  python3 -c 'import json,sys; sys.exit(0 if all(v[0] < 20 for v in json.loads(sys.argv[1])["tools"].values()) else 1)' "$out" && goal=yes
  add_row "$TOOLS_SECTION" write_tools_section "$(printf '| %s | %s | %s | `%s` | %s%s | %s |' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$(commit)" "$(machine)" "$COMMAND" "$cells" \
    "$(json_value "$out" context_tokens)" "$goal")"
  echo "row added to docs/BENCHMARKS.md"
}

# --- decode -------------------------------------------------------------------------------------

DECODE_SECTION='## voice/decode: audio decoding per minute of audio (`./parley bench voice decode`)'
DECODE_FORMATS=(wav f32.wav mp3 m4a ogg webm oga flac mpeg)

write_decode_section() {
  cat <<'EOT'

## voice/decode: audio decoding per minute of audio (`./parley bench voice decode`)

`io.parley.inference.bench.DecodeBench` (inference test sources): one minute of espeak-ng speech
encoded by Debian's tools as the tests encode it (wav: espeak-ng's PCM16 22.05 kHz; f32.wav: 32-bit
float stereo 44.1 kHz; mp3: LAME 48 kbit/s; m4a: AAC 48 kbit/s; ogg: Opus 24 kbit/s by opusenc;
webm: Opus 32 kbit/s; oga: Vorbis q2; flac; mpeg: MP2 in a program stream). Each cell: CPU ms the
server's `AudioDecoder` spends per minute of audio (FFmpeg 7.1 through JavaCPP, from memory, to
16 kHz mono float, one thread) / the same for the `ffmpeg` CLI (Debian's 5.1, `-threads 1`, the same
16 kHz mono float to /dev/null, its `-benchmark` user + system time, start-up and probing included)
= ratio (below 1: the server is cheaper). Medians of the rounds.

| date (UTC) | commit | machine | command | wav | f32.wav | mp3 | m4a | ogg (opus) | webm (opus) | oga (vorbis) | flac | mpeg (mp2) |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
EOT
}

bench_decode() {
  local out cells="" f
  echo "bench/voice: decode (audio decoding per minute, beside the ffmpeg CLI)"
  for f in ffmpeg opusenc oggenc lame flac espeak-ng; do
    command -v "$f" >/dev/null || die "'$f' not found: install the Debian packages ffmpeg opus-tools vorbis-tools lame flac espeak-ng"
  done
  out="$(run_main io.parley.inference.bench.DecodeBench "$ROUNDS" | last_json)" || die "DecodeBench failed"
  [[ -n $out ]] || die "DecodeBench printed no JSON line"
  echo "$out"
  for f in "${DECODE_FORMATS[@]}"; do
    cells+="$(python3 -c 'import json,sys; v=json.loads(sys.argv[1])["formats"][sys.argv[2]]; print("%.1f / %.1f = %.2f" % (v["parley_ms_per_min"], v["ffmpeg_ms_per_min"], v["ratio"]))' "$out" "$f") | "
  done
  add_row "$DECODE_SECTION" write_decode_section "$(printf '| %s | %s | %s | `%s` | %s' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$(commit)" "$(machine)" "$COMMAND" "${cells% }")"
  echo "row added to docs/BENCHMARKS.md"
}

PARTS=("$@")
((${#PARTS[@]})) || PARTS=(vad engines tts pipeline tools decode)
for part in "${PARTS[@]}"; do
  case "$part" in
    vad) bench_vad ;;
    engines) bench_engines ;;
    tts) bench_tts ;;
    pipeline) bench_pipeline ;;
    tools) bench_tools ;;
    decode) bench_decode ;;
    *) die "no part named '$part' (parts: vad, engines, tts, pipeline, tools, decode)" ;;
  esac
done
echo "rows added to docs/BENCHMARKS.md"
