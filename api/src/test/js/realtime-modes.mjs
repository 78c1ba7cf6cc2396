// The `openai` npm package's Realtime WebSocket client (and, for the browser handshake, the `ws`
// package as browsers use it) against Parley's /v1/realtime, for what is beyond one spoken turn:
//
//   --mode transcription  --wav speech.wav   ?intent=transcription and session.type "transcription":
//       live captions, and response.create refused
//   --mode g711 --ulaw speech.ul [--out-format audio/pcma]
//       audio/pcmu in (8 kHz mu-law made by sox), audio/pcmu (or the format named) out
//   --mode fields                            session fields Parley cannot honour, each named in an error
//   --mode subprotocols                      the browsers' handshake: no Authorization header, the key
//       in the subprotocol openai-insecure-api-key.<key>, the Agents SDK's openai-agents-sdk.<version>
//       beside it, ?model= on the URL; the server must select "realtime"
//
//   node realtime-modes.mjs --base https://127.0.0.1:PORT/v1 --token JWT --mode MODE [...]
//
// TLS: the openai client always connects with wss; the test certificate is trusted through
// NODE_EXTRA_CA_CERTS. stdout: one JSON line {"ok", "events": [{"type", "t", ...}], ...}.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { pcmOfWav } from "./wav.mjs";

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: {
    base: { type: "string" },
    token: { type: "string" },
    mode: { type: "string" },
    wav: { type: "string" },
    ulaw: { type: "string" },
    "out-format": { type: "string", default: "audio/pcmu" },
    "timeout-ms": { type: "string", default: "90000" },
  },
});
if (!args.base || !args.token || !args.mode) {
  process.stderr.write("usage: realtime-modes.mjs --base URL --token JWT --mode MODE [--wav F | --ulaw F]\n");
  process.exit(2);
}

const started = Date.now();
const now = () => Date.now() - started;
const log = (m) => process.stderr.write(`[realtime-modes +${now()}ms] ${m}\n`);
const events = [];
let socket = null;
let finished = false;

function finish(ok, extra = {}) {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify({ ok, ms: now(), events, ...extra }) + "\n");
  try { socket?.close(); } catch { /* closing anyway */ }
  setTimeout(() => process.exit(ok ? 0 : 1), 200);
}
setTimeout(() => finish(false, { error: "timeout" }), Number(args["timeout-ms"]));


/** G.711 mu-law to linear (the ITU reference decoder, written out here apart from Parley's). */
function ulawToLinear(u) {
  u = ~u & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** G.711 A-law to linear (the ITU reference decoder). */
function alawToLinear(a) {
  a ^= 0x55;
  const seg = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  t = seg === 0 ? t + 8 : (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

/** Sends `bytes` in `chunk`-byte appends, one per `ms`, as a real-time source does. */
async function stream(rt, bytes, chunk, ms) {
  for (let i = 0; i < bytes.length; i += chunk) {
    rt.send({ type: "input_audio_buffer.append", audio: bytes.subarray(i, i + chunk).toString("base64") });
    await new Promise((r) => setTimeout(r, ms));
  }
}

function record(e) {
  const entry = { type: e.type, t: now() };
  if (e.type === "error") entry.error = e.error;
  if (e.type === "session.created" || e.type === "session.updated") entry.session = e.session;
  if (e.type === "conversation.item.input_audio_transcription.completed") entry.transcript = e.transcript;
  if (e.type === "response.done") entry.status = e.response.status;
  if (e.type !== "response.output_audio.delta") events.push(entry);
  return entry;
}

const OpenAI = require("openai").default ?? require("openai");
const { OpenAIRealtimeWS } = require("openai/realtime/ws");
const client = new OpenAI({ apiKey: args.token, baseURL: args.base });

function open(props, onOpen, onEvent) {
  const rt = new OpenAIRealtimeWS(props, client);
  socket = rt;
  rt.on("error", (err) => log(`error: ${JSON.stringify(err?.error ?? err?.message)}`));
  rt.on("event", (e) => {
    record(e);
    onEvent(e);
  });
  rt.socket.on("open", () => onOpen(rt));
  rt.socket.on("close", (code) => log(`closed ${code}`));
  return rt;
}

const modes = {
  transcription() {
    let refused = false;
    open({ intent: "transcription" }, async (rt) => {
      rt.send({ type: "session.update", session: { type: "transcription", audio: { input: {
        format: { type: "audio/pcm", rate: 24000 },
        transcription: { model: "gpt-4o-transcribe", language: "en", prompt: "Bananas, calories." },
        turn_detection: { type: "server_vad", silence_duration_ms: 500 } } } } });
      await stream(rt, pcmOfWav(args.wav), 4800, 100);
      await stream(rt, Buffer.alloc(4800 * 15), 4800, 100);
    }, (e) => {
      if (e.type === "conversation.item.input_audio_transcription.completed" && !refused) {
        refused = true;
        socket.send({ type: "response.create", event_id: "answer_me" });
      }
      if (e.type === "error" && e.error?.event_id === "answer_me") {
        // Anything that would still come (a response it should not make) within a second counts.
        setTimeout(() => finish(true), 1000);
      }
    });
  },

  g711() {
    let audio = [];
    let responses = 0;
    open({ model: "gpt-realtime" }, () => {
      socket.send({ type: "session.update", session: { type: "realtime", instructions: "Answer briefly.",
        audio: { input: { format: { type: "audio/pcmu" } }, output: { format: { type: args["out-format"] } } } } });
    }, async (e) => {
      if (e.type === "session.updated" && audio.length === 0 && responses === 0) {
        // 20 ms packets of 160 bytes, as RTP carries G.711; then 1.5 s of mu-law silence (0xFF).
        await stream(socket, readFileSync(args.ulaw), 160, 20);
        await stream(socket, Buffer.alloc(160 * 75, 0xff), 160, 20);
      }
      if (e.type === "response.output_audio.delta") audio.push(Buffer.from(e.delta, "base64"));
      if (e.type === "response.done") {
        responses++;
        const bytes = Buffer.concat(audio);
        let sum = 0;
        const decode = args["out-format"] === "audio/pcma" ? alawToLinear : ulawToLinear;
        for (const b of bytes) { const s = decode(b); sum += s * s; }
        finish(true, { audio_bytes: bytes.length, audio_rms: bytes.length ? Math.sqrt(sum / bytes.length) : 0 });
      }
    });
  },

  fields() {
    // A value Parley cannot honour (semantic_vad on a node without an end-of-turn model, truncation
    // "disabled") is refused alone and the rest of its update applies; a bad value (an unknown
    // format, an unknown field, 0 tokens) refuses its whole update.
    const bad = [
      { instructions: "Speak like a sailor.",
        audio: { input: { turn_detection: { type: "semantic_vad", eagerness: "high" } } } },
      { audio: { output: { format: { type: "audio/opus" } } } },
      { truncation: "disabled", output_modalities: ["text"] },
      { temperature: 0.8 },
      { max_output_tokens: 0 },
    ];
    let errors = 0;
    open({ model: "gpt-realtime" }, () => {
      bad.forEach((session, i) => socket.send({ type: "session.update", event_id: `bad_${i}`, session }));
      socket.send({ type: "session.update", event_id: "good", session: { type: "realtime", max_output_tokens: "inf",
        truncation: "auto", audio: { input: { noise_reduction: { type: "near_field" } } } } });
    }, (e) => {
      if (e.type === "error") errors++;
      if (e.type === "session.updated" && errors === bad.length) finish(true, { errors });
    });
  },

  subprotocols() {
    const WebSocket = require("ws");
    const url = args.base.replace(/^https:/, "wss:") + "/realtime?model=gpt-realtime";
    const ws = new WebSocket(url, ["realtime", `openai-insecure-api-key.${args.token}`, "openai-agents-sdk.0.20.0"]);
    socket = ws;
    ws.on("message", (data) => {
      const e = JSON.parse(data.toString());
      record(e);
      if (e.type === "session.created") finish(true, { protocol: ws.protocol });
    });
    ws.on("unexpected-response", (req, res) => finish(false, { error: `handshake answered ${res.statusCode}` }));
    ws.on("error", (err) => finish(false, { error: String(err?.message ?? err) }));
  },
};

if (!modes[args.mode]) {
  process.stderr.write(`unknown mode ${args.mode}\n`);
  process.exit(2);
}
modes[args.mode]();
