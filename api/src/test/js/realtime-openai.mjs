// The `openai` npm package's own Realtime WebSocket client (nobody here wrote it) talks to Parley's
// /v1/realtime: it streams a speech WAV in real time as input_audio_buffer.append events and records
// every server event with its arrival time. Optionally it speaks again (barge-in) a given time into
// the assistant's first audio answer, and reports the played position with
// conversation.item.truncate as a real client would.
//
//   node realtime-openai.mjs --base https://127.0.0.1:PORT/v1 --token JWT --wav speech.wav
//       [--barge-in-wav speech2.wav --barge-in-after-ms 1000] [--timeout-ms 60000]
//   node realtime-openai.mjs --base ... --token JWT --text-on-open "a question"
//       sends session.update, conversation.item.create and response.create the moment the socket
//       opens, as the SDKs do, instead of streaming a WAV
//
// The WAV must be PCM16 mono at 24 kHz (the session's default rate). TLS: the openai client always
// connects with wss, so the server runs with a self-signed certificate that NODE_EXTRA_CA_CERTS
// names. stdout: one JSON line {"ok", "events": [{"type", "t"}...], "responses": [...], ...}.
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { pcmOfWav } from "./wav.mjs";

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: {
    base: { type: "string" },
    token: { type: "string" },
    wav: { type: "string" },
    "text-on-open": { type: "string" },
    "barge-in-wav": { type: "string" },
    "barge-in-after-ms": { type: "string", default: "1000" },
    "timeout-ms": { type: "string", default: "60000" },
  },
});
if (!args.base || !args.token || !(args.wav || args["text-on-open"])) {
  process.stderr.write("usage: realtime-openai.mjs --base URL --token JWT (--wav FILE | --text-on-open TEXT)\n");
  process.exit(2);
}

const started = Date.now();
const now = () => Date.now() - started;
const log = (m) => process.stderr.write(`[realtime +${now()}ms] ${m}\n`);


const OpenAI = require("openai").default ?? require("openai");
const { OpenAIRealtimeWS } = require("openai/realtime/ws");

const client = new OpenAI({ apiKey: args.token, baseURL: args.base });
const rt = new OpenAIRealtimeWS({ model: "parley" }, client);
const events = [];
const responses = [];
let audioBytes = 0;
let firstAudioAt = null;
let bargeInSent = false;
let result = { ok: false };

function finish(ok, extra = {}) {
  result = { ok, ms: now(), events, responses, audio_bytes: audioBytes, ...extra };
  process.stdout.write(JSON.stringify(result) + "\n");
  try { rt.close(); } catch { /* closing anyway */ }
  setTimeout(() => process.exit(ok ? 0 : 1), 200);
}

const timer = setTimeout(() => finish(false, { error: "timeout" }), Number(args["timeout-ms"]));

async function stream(pcm) {
  const chunk = 24000 * 2 / 10; // 100 ms
  for (let i = 0; i < pcm.length; i += chunk) {
    rt.send({ type: "input_audio_buffer.append", audio: pcm.subarray(i, i + chunk).toString("base64") });
    await new Promise((r) => setTimeout(r, 100));
  }
  // Trailing silence: end of speech needs the VAD's minimum silence.
  const silence = Buffer.alloc(chunk);
  for (let i = 0; i < 15; i++) {
    rt.send({ type: "input_audio_buffer.append", audio: silence.toString("base64") });
    await new Promise((r) => setTimeout(r, 100));
  }
}

rt.on("error", (err) => {
  events.push({ type: "error", t: now(), error: err?.error ?? String(err?.message ?? err) });
  log(`error: ${JSON.stringify(err?.error ?? err?.message)}`);
});

rt.on("event", (e) => {
  const entry = { type: e.type, t: now() };
  if (e.type === "response.output_audio.delta") {
    const bytes = Buffer.from(e.delta, "base64").length;
    audioBytes += bytes;
    if (firstAudioAt === null) {
      firstAudioAt = now();
      // Playback starts with the first audio; the user speaks again this long into it.
      if (args["barge-in-wav"] && !bargeInSent) {
        setTimeout(() => {
          bargeInSent = true;
          log("barge-in: speaking again");
          stream(pcmOfWav(args["barge-in-wav"]));
        }, Number(args["barge-in-after-ms"]));
      }
    }
    return; // too many to record one by one
  }
  if (e.type === "input_audio_buffer.speech_started" && bargeInSent && responses.length === 0) {
    entry.barge_in = true;
  }
  if (e.type === "response.done") {
    responses.push({ t: now(), status: e.response.status, reason: e.response.status_details?.reason ?? null,
      item_id: e.response.output?.[0]?.id, timings: e.response.parley_timings ?? null });
    if (e.response.status === "cancelled") {
      // A real player stops at once; tell the server how far it got (from the first audio byte).
      const played = firstAudioAt === null ? 0 : now() - firstAudioAt;
      rt.send({ type: "conversation.item.truncate", item_id: e.response.output[0].id, content_index: 0,
        audio_end_ms: played });
      entry.played_ms = played;
    }
  }
  if (e.type === "conversation.item.input_audio_transcription.completed") entry.transcript = e.transcript;
  if (e.type === "response.output_audio_transcript.done") entry.transcript = e.transcript;
  events.push(entry);
  const wanted = args["barge-in-wav"] ? 2 : 1;
  if (responses.length >= wanted) {
    clearTimeout(timer);
    setTimeout(() => finish(true), 500);
  }
});

rt.socket.on("open", () => {
  log("open");
  if (args["text-on-open"]) {
    rt.send({ type: "session.update", session: { type: "realtime", instructions: "Answer briefly." } });
    rt.send({ type: "conversation.item.create", item: { type: "message", role: "user",
      content: [{ type: "input_text", text: args["text-on-open"] }] } });
    rt.send({ type: "response.create" });
    return;
  }
  stream(pcmOfWav(args.wav)).catch((e) => finish(false, { error: String(e) }));
});
rt.socket.on("close", (code) => log(`closed ${code}`));
