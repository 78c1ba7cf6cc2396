// One Realtime session through the `openai` npm package's own WebSocket client that walks every
// client event and records every server event whole, for the field-exactness check
// (RealtimeConformanceTest types them as the package's RealtimeServerEvent and runs tsc):
//   1. a typed turn (conversation.item.create, response.create; a second response.create while it
//      runs gets conversation_already_has_active_response), then conversation.item.retrieve;
//   2. response.cancel with nothing to cancel: response_cancel_not_active;
//   3. a tool call: the client's function, its output, the next response;
//   4. a spoken turn (server VAD) whose answer the user speaks over: barge-in, then
//      conversation.item.truncate and conversation.item.retrieve of the cut answer;
//   5. manual commit (turn_detection null): append, input_audio_buffer.commit; append, clear;
//   6. output_audio_buffer.clear during an answer; conversation.item.delete, then retrieving the
//      deleted item fails;
//   7. system and assistant items seeding the conversation, then a text answer (output_modalities
//      ["text"] on the response) with its own instructions and metadata;
//   8. the session's audio in and out as G.711 mu-law (audio/pcmu);
//   9. a second session, a transcription one (?intent=transcription): its session.created and
//      session.updated.
//
//   node realtime-conformance.mjs --base https://127.0.0.1:PORT/v1 --token JWT --wav speech.wav
//       --barge-in-wav speech2.wav --events-out events.json
//
// WAVs: PCM16 mono 24 kHz. stdout: one JSON line {"ok", "steps": [...], "errors": [codes]}.
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { pcmOfWav } from "./wav.mjs";

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: {
    base: { type: "string" },
    token: { type: "string" },
    wav: { type: "string" },
    "barge-in-wav": { type: "string" },
    "events-out": { type: "string" },
    "timeout-ms": { type: "string", default: "150000" },
  },
});
if (!args.base || !args.token || !args.wav || !args["barge-in-wav"] || !args["events-out"]) {
  process.stderr.write("usage: realtime-conformance.mjs --base URL --token JWT --wav F --barge-in-wav F --events-out F\n");
  process.exit(2);
}

const started = Date.now();
const log = (m) => process.stderr.write(`[conformance +${Date.now() - started}ms] ${m}\n`);


const OpenAI = require("openai").default ?? require("openai");
const { OpenAIRealtimeWS } = require("openai/realtime/ws");
const rt = new OpenAIRealtimeWS({ model: "parley" }, new OpenAI({ apiKey: args.token, baseURL: args.base }));

const events = [];      // every server event, whole (audio deltas: the first few only)
const steps = [];
const errors = [];
let audioDeltas = 0;
let waiters = [];

function finish(ok, extra = {}) {
  writeFileSync(args["events-out"], JSON.stringify(events));
  process.stdout.write(JSON.stringify({ ok, steps, errors, ...extra }) + "\n");
  try { rt.close(); } catch { /* closing anyway */ }
  setTimeout(() => process.exit(ok ? 0 : 1), 200);
}
const timer = setTimeout(() => finish(false, { error: "timeout" }), Number(args["timeout-ms"]));

function record(e) {
  if (e.type === "response.output_audio.delta" && ++audioDeltas > 3) return;
  events.push(e);
}

// Recorded from the socket as it arrives (whole, as sent); the client's own handlers run too.
let responding = false;
rt.socket.on("message", (data) => {
  const e = JSON.parse(data.toString());
  if (e.type === "response.created") responding = true;
  if (e.type === "response.done") responding = false;
  if (e.type === "error") errors.push(e.error.code);
  record(e);
  deliver(e);
});
// Error events are expected here (the walk provokes them); a client-side failure ends the run.
rt.on("error", (err) => {
  if (!err?.error) finish(false, { error: String(err?.message ?? err) });
});

function deliver(e) {
  for (const w of [...waiters]) {
    if (w.match(e)) {
      waiters = waiters.filter((x) => x !== w);
      w.resolve(e);
    }
  }
}

/** The next server event that matches (from now on). */
function next(match, what) {
  return new Promise((resolve, reject) => {
    const w = { match, resolve };
    waiters.push(w);
    setTimeout(() => reject(new Error(`no ${what} within 40 s`)), 40000).unref();
  });
}
const ofType = (type, more = () => true) => (e) => e.type === type && more(e);

async function stream(pcm, seconds = 0.1) {
  const chunk = Math.round(24000 * 2 * seconds);
  for (let i = 0; i < pcm.length; i += chunk) {
    rt.send({ type: "input_audio_buffer.append", audio: pcm.subarray(i, i + chunk).toString("base64") });
    await new Promise((r) => setTimeout(r, seconds * 1000));
  }
}
const silence = (seconds) => Buffer.alloc(Math.round(24000 * 2 * seconds));

function ask(text) {
  rt.send({ type: "conversation.item.create", item: { type: "message", role: "user",
    content: [{ type: "input_text", text }] } });
  rt.send({ type: "response.create" });
}

async function run() {
  const updated = next(ofType("session.updated"), "session.updated");
  rt.send({ type: "session.update", session: { type: "realtime", instructions: "Answer briefly.",
    output_modalities: ["audio"],
    tools: [{ type: "function", name: "get_weather", description: "The weather in a city",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }],
    tool_choice: "auto" } });
  await updated;

  // 1. A typed turn; a second response.create while it runs is refused.
  const userItem = next(ofType("conversation.item.added", (e) => e.item.role === "user"), "the user's item");
  let done = next(ofType("response.done"), "response.done");
  const busy = next(ofType("error", (e) => e.error.code === "conversation_already_has_active_response"),
    "conversation_already_has_active_response");
  ask("How many calories are in a banana?");
  rt.send({ type: "response.create", event_id: "evt_second_create" });
  if ((await busy).error.event_id !== "evt_second_create") throw new Error("the error does not name the event");
  await done;
  const typedId = (await userItem).item.id;
  const retrieved = next(ofType("conversation.item.retrieved"), "conversation.item.retrieved");
  rt.send({ type: "conversation.item.retrieve", item_id: typedId });
  await retrieved;
  steps.push("typed");

  // 2. Nothing to cancel.
  const notActive = next(ofType("error", (e) => e.error.code === "response_cancel_not_active"),
    "response_cancel_not_active");
  rt.send({ type: "response.cancel", event_id: "evt_cancel" });
  if ((await notActive).error.event_id !== "evt_cancel") throw new Error("the error does not name the event");
  steps.push("cancel-not-active");

  // 3. A tool call, answered by the client.
  done = next(ofType("response.done"), "the tool call's response.done");
  ask("What is the weather in Paris?");
  const call = (await done).response.output.find((o) => o.type === "function_call");
  if (!call) throw new Error("the model called no function");
  done = next(ofType("response.done"), "the answer after the tool");
  rt.send({ type: "conversation.item.create", item: { type: "function_call_output", call_id: call.call_id,
    output: JSON.stringify({ sky: "sunny" }) } });
  rt.send({ type: "response.create" });
  await done;
  steps.push("tool");

  // 4. A spoken turn, and the user speaks over its answer.
  const cancelled = next(ofType("response.done", (e) => e.response.status === "cancelled"), "the cut answer");
  const firstAudio = next(ofType("response.output_audio.delta"), "the answer's audio");
  await stream(Buffer.concat([pcmOfWav(args.wav), silence(1.5)]));
  await firstAudio;
  const playingFrom = Date.now();
  const answered = next(ofType("response.done", (e) => e.response.status !== "cancelled"), "the answer to the barge-in");
  await stream(Buffer.concat([pcmOfWav(args["barge-in-wav"]), silence(1.5)]));
  const cut = (await cancelled).response.output.find((o) => o.type === "message");
  const truncated = next(ofType("conversation.item.truncated"), "conversation.item.truncated");
  rt.send({ type: "conversation.item.truncate", item_id: cut.id, content_index: 0,
    audio_end_ms: Math.min(Date.now() - playingFrom, 1000) });
  await truncated;
  const cutRetrieved = next(ofType("conversation.item.retrieved"), "the cut answer retrieved");
  rt.send({ type: "conversation.item.retrieve", item_id: cut.id });
  await cutRetrieved;
  await answered;
  steps.push("spoken-barge-in");

  // 5. Manual commit, and clearing the input.
  const manual = next(ofType("session.updated"), "session.updated (manual)");
  rt.send({ type: "session.update", session: { type: "realtime", audio: { input: { turn_detection: null } } } });
  await manual;
  const committed = next(ofType("input_audio_buffer.committed"), "input_audio_buffer.committed");
  const transcribed = next(ofType("conversation.item.input_audio_transcription.completed"), "the transcript");
  await stream(pcmOfWav(args.wav), 0.5);
  rt.send({ type: "input_audio_buffer.commit" });
  await committed;
  await transcribed;
  const cleared = next(ofType("input_audio_buffer.cleared"), "input_audio_buffer.cleared");
  rt.send({ type: "input_audio_buffer.append", audio: silence(0.2).toString("base64") });
  rt.send({ type: "input_audio_buffer.clear" });
  await cleared;
  if (responding) await next(ofType("response.done"), "the answer to the committed turn");
  steps.push("manual-commit");

  // 6. Cutting the answer's audio; deleting an item.
  const audio = next(ofType("response.output_audio.delta"), "audio to clear");
  const audioCleared = next(ofType("output_audio_buffer.cleared"), "output_audio_buffer.cleared");
  done = next(ofType("response.done"), "the cleared answer's response.done");
  ask("Tell me a long story about bananas.");
  await audio;
  rt.send({ type: "output_audio_buffer.clear" });
  await audioCleared;
  await done;
  const deleted = next(ofType("conversation.item.deleted"), "conversation.item.deleted");
  rt.send({ type: "conversation.item.delete", item_id: typedId });
  await deleted;
  const gone = next(ofType("error", (e) => e.error.code === "item_not_found"), "item_not_found");
  rt.send({ type: "conversation.item.retrieve", item_id: typedId });
  await gone;
  steps.push("clear-and-delete");

  // 7. Context seeded by system and assistant items; a text answer with its own settings.
  const system = next(ofType("conversation.item.done", (e) => e.item.role === "system"), "the system item");
  rt.send({ type: "conversation.item.create", item: { type: "message", role: "system",
    content: [{ type: "input_text", text: "The user is called Sam." }] } });
  const systemId = (await system).item.id;
  const assistant = next(ofType("conversation.item.done", (e) => e.item.role === "assistant"), "the assistant item");
  rt.send({ type: "conversation.item.create", previous_item_id: systemId, item: { type: "message",
    role: "assistant", content: [{ type: "output_text", text: "Hello Sam." }] } });
  await assistant;
  const textDone = next(ofType("response.done"), "the text answer's response.done");
  const textDelta = next(ofType("response.output_text.delta"), "response.output_text.delta");
  rt.send({ type: "conversation.item.create", item: { type: "message", role: "user",
    content: [{ type: "input_text", text: "How many calories are in an apple?" }] } });
  rt.send({ type: "response.create", response: { output_modalities: ["text"], instructions: "Use one sentence.",
    max_output_tokens: 64, metadata: { purpose: "conformance" } } });
  await textDelta;
  if ((await textDone).response.metadata?.purpose !== "conformance") throw new Error("no metadata in response.done");
  steps.push("items-and-text");

  // 8. G.711 mu-law both ways.
  const pcmu = next(ofType("session.updated"), "session.updated (pcmu)");
  rt.send({ type: "session.update", session: { type: "realtime", audio: { input: { format: { type: "audio/pcmu" } },
    output: { format: { type: "audio/pcmu" } } } } });
  await pcmu;
  steps.push("pcmu");

  // 9. A transcription session's session objects.
  const captions = new OpenAIRealtimeWS({ intent: "transcription" }, new OpenAI({ apiKey: args.token,
    baseURL: args.base }));
  captions.on("error", (err) => log(`transcription session: ${JSON.stringify(err?.error ?? err?.message)}`));
  const captionsUpdated = new Promise((resolve, reject) => {
    captions.socket.on("message", (data) => {
      const e = JSON.parse(data.toString());
      record(e);
      if (e.type === "session.created") {
        captions.send({ type: "session.update", session: { type: "transcription", audio: { input: {
          transcription: { model: "gpt-4o-transcribe", language: "en" } } } } });
      }
      if (e.type === "session.updated") resolve(e);
      if (e.type === "error") reject(new Error(`transcription session: ${JSON.stringify(e.error)}`));
    });
  });
  await captionsUpdated;
  captions.close();
  steps.push("transcription-session");
}

rt.socket.on("open", () => {
  log("open");
  run().then(() => {
    clearTimeout(timer);
    setTimeout(() => finish(true), 300);
  }, (e) => finish(false, { error: String(e?.stack ?? e) }));
});
