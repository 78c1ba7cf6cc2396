// The OpenAI Agents SDK's realtime package (@openai/agents-realtime), unmodified, against Parley's
// /v1/realtime: a RealtimeAgent with a function tool, in a RealtimeSession whose WebSocket
// transport points at Parley, connected with the access token as the API key, as the SDK's docs
// show. Four turns, one after the other:
//   typed      session.sendMessage(question); the agent_end output is the assistant's text
//   tool       a question the model answers by calling the agent's get_weather tool; the SDK runs
//              it, sends its output, and the next response is the answer
//   spoken     --wav (24 kHz PCM16) through session.sendAudio in 100 ms chunks, then silence; the
//              server's turn detection ends the turn, the SDK's history holds the user's transcript
//   interrupt  a question whose answer is interrupted with session.interrupt() at its first audio
//   restart    a question whose answer is being spoken when the test kills the node's speech worker:
//              at the answer's first audio the script prints "kill the speech worker" and waits for
//              the server's error engine_restarted (listed under "restarted", not "errors") and the
//              response's end; then asks again (after the Retry-After the message names, while the
//              worker is still starting) until an answer with text ends
//
//   node agents-realtime.mjs --url wss://127.0.0.1:PORT/v1/realtime --token JWT --wav speech.wav
//       [--steps typed,tool,spoken,interrupt] [--server-vad] [--refusal-param PARAM]
//
// --refusal-param: a server error naming this param is expected (a session field the node refuses
// alone, as semantic_vad on a node without an end-of-turn model): it is listed under "refused", not
// "errors". stdout: one JSON line {"ok", "steps": {typed, tool, spoken, interrupt}, "events": [type...],
// "errors": [...], "refused": [...], "sent": [type...], "session": the last session.updated's}.
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { pcmOfWav } from "./wav.mjs";

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    token: { type: "string" },
    wav: { type: "string" },
    steps: { type: "string", default: "typed,tool,spoken,interrupt" },
    "server-vad": { type: "boolean", default: false },
    "refusal-param": { type: "string" },
    "timeout-ms": { type: "string", default: "90000" },
  },
});
if (!args.url || !args.token || !args.wav) {
  process.stderr.write("usage: agents-realtime.mjs --url WS_URL --token JWT --wav FILE\n");
  process.exit(2);
}

const started = Date.now();
const now = () => Date.now() - started;
const log = (m) => process.stderr.write(`[agents-realtime +${now()}ms] ${m}\n`);

const { RealtimeAgent, RealtimeSession, OpenAIRealtimeWebSocket, tool } = require("@openai/agents-realtime");
const { z } = require("zod");

const toolCalls = [];
const getWeather = tool({
  name: "get_weather",
  description: "The weather in a city.",
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => {
    toolCalls.push({ city });
    return `sunny in ${city}`;
  },
});
const agent = new RealtimeAgent({
  name: "Assistant",
  instructions: "You are a helpful assistant. Answer briefly.",
  tools: [getWeather],
});
const transport = new OpenAIRealtimeWebSocket({ url: args.url });
// The SDK's default session asks for semantic_vad; --server-vad asks for server VAD instead, as an
// app does for a node without an end-of-turn model.
const config = args["server-vad"] ? { audio: { input: { turnDetection: { type: "server_vad" } } } } : undefined;
const session = new RealtimeSession(agent, { transport, ...(config ? { config } : {}) });

const events = [];
const sent = [];
const errors = [];
const refused = [];
const restarted = [];
const steps = {};
let sessionInForce = null; // the last session.updated's session
let audioBytes = 0;

session.on("transport_event", (e) => {
  if (e.type === "response.output_audio.delta" || e.type === "audio") {
    return;
  }
  events.push(e.type);
  log(`got ${e.type}`);
  if (e.type === "session.updated") {
    sessionInForce = e.session;
  }
  if (e.type === "error") {
    const error = e.error ?? e;
    (error.code === "engine_restarted" && args.steps.includes("restart") ? restarted
      : args["refusal-param"] && error.param === args["refusal-param"] ? refused : errors).push(error);
    log(`server error: ${JSON.stringify(error)}`);
  }
});
session.on("audio", (e) => { audioBytes += e.data.byteLength; });
session.on("error", (e) => {
  const err = e?.error;
  if ((args["refusal-param"] && err?.error?.param === args["refusal-param"])
      || (err?.error?.code === "engine_restarted" && args.steps.includes("restart"))) {
    return; // listed from the transport event
  }
  errors.push({ sdk: String(err?.message ?? err?.error?.message ?? JSON.stringify(err ?? e)) });
  log(`session error: ${JSON.stringify(err?.error ?? err?.message ?? err)}`);
});
// What the SDK sends, by type, seen on its way into the socket (the SDK's node transport uses ws).
const WebSocket = require("ws");
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data, ...rest) {
  const type = JSON.parse(String(data)).type;
  if (type !== "input_audio_buffer.append") {
    sent.push(type);
    log(`sent ${type}`);
  }
  return send.call(this, data, ...rest);
};

function finish(ok, extra = {}) {
  process.stdout.write(JSON.stringify({ ok, ms: now(), steps, events, sent, errors, refused, restarted,
    session: sessionInForce, ...extra }) + "\n");
  try { session.close(); } catch { /* closing anyway */ }
  setTimeout(() => process.exit(ok ? 0 : 1), 200);
}
setTimeout(() => finish(false, { error: "timeout" }), Number(args["timeout-ms"]));

/** Resolves with the next agent_end's output text. */
function nextAgentEnd() {
  return new Promise((resolve) => session.once("agent_end", (_ctx, _agent, text) => resolve(text)));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the next response.done's response. */
function nextResponseDone() {
  return new Promise((resolve) => {
    const onEvent = (e) => {
      if (e.type === "response.done") {
        session.off("transport_event", onEvent);
        resolve(e.response);
      }
    };
    session.on("transport_event", onEvent);
  });
}

function assistantTexts() {
  return session.history.filter((i) => i.type === "message" && i.role === "assistant")
    .map((i) => i.content.map((c) => c.transcript ?? c.text ?? "").join(""));
}

async function typed() {
  const end = nextAgentEnd();
  session.sendMessage("How many calories are in a banana?");
  steps.typed = { output: await end };
}

async function toolTurn() {
  const toolEnd = new Promise((resolve) => session.once("agent_tool_end", (_c, _a, t, result) =>
    resolve({ name: t.name, result })));
  // The first response is the call (its agent_end has no text); the one after the output answers.
  let answer;
  const answered = new Promise((resolve) => {
    const onEnd = (_c, _a, text) => {
      if (text) {
        session.off("agent_end", onEnd);
        resolve(text);
      }
    };
    session.on("agent_end", onEnd);
  });
  session.sendMessage("What is the weather in Paris?");
  const called = await toolEnd;
  answer = await answered;
  steps.tool = { ...called, calls: toolCalls, output: answer };
}

async function spoken() {
  const pcm = pcmOfWav(args.wav);
  // The turn detection may end turns at the speech's pauses: the step is over when the response to
  // the last committed turn is done and a second and a half of silence has followed the speech.
  let awaiting = false;
  let answerId = null;
  let settled = false;
  const outputs = [];
  const onEvent = (e) => {
    if (e.type === "input_audio_buffer.committed") {
      awaiting = true;
      settled = false;
    } else if (e.type === "response.created" && awaiting) {
      awaiting = false;
      answerId = e.response.id;
    } else if (e.type === "response.done" && e.response.id === answerId) {
      settled = true;
    }
  };
  const onEnd = (_c, _a, text) => outputs.push(text);
  session.on("transport_event", onEvent);
  session.on("agent_end", onEnd);
  const chunk = 24000 * 2 / 10; // 100 ms
  for (let i = 0; i < pcm.length; i += chunk) {
    session.sendAudio(new Uint8Array(pcm.subarray(i, i + chunk)).buffer);
    await sleep(100);
  }
  const silence = new ArrayBuffer(chunk);
  for (let i = 0; i < 100 && !(settled && i >= 15); i++) {
    session.sendAudio(silence);
    await sleep(100);
  }
  session.off("transport_event", onEvent);
  session.off("agent_end", onEnd);
  const user = session.history.filter((i) => i.type === "message" && i.role === "user").at(-1);
  steps.spoken = { settled, output: outputs.at(-1) ?? null,
    user_transcript: user?.content?.map((c) => c.transcript ?? c.text ?? "").join("") ?? null };
}

async function interrupt() {
  const interrupted = new Promise((resolve) => session.once("audio_interrupted", () => resolve(true)));
  const done = nextResponseDone();
  const firstAudio = new Promise((resolve) => session.once("audio", () => resolve()));
  session.sendMessage("Tell me a long story about bananas.");
  await firstAudio;
  session.interrupt();
  await interrupted;
  const response = await done;
  // The SDK's truncate is answered before the history settles: wait for conversation.item.truncated.
  for (let i = 0; i < 50 && !events.includes("conversation.item.truncated") && !errors.length; i++) {
    await sleep(100);
  }
  steps.interrupt = { status: response.status, reason: response.status_details?.reason ?? null,
    truncated: events.includes("conversation.item.truncated"), last_assistant: assistantTexts().at(-1) ?? null };
}

async function restart() {
  const firstAudio = new Promise((resolve) => session.once("audio", () => resolve()));
  const cut = nextResponseDone();
  session.sendMessage("Tell me a long story about bananas.");
  await firstAudio;
  process.stdout.write("kill the speech worker\n");
  for (let i = 0; i < 600 && restarted.length === 0; i++) {
    await sleep(100);
  }
  const cutResponse = await cut;
  const error = restarted[0] ?? null;
  // Ask again until answered: while the worker is starting, an answer ends with engine_restarted too.
  let output = null;
  let tries = 0;
  while (output === null && tries < 20) {
    tries++;
    const before = restarted.length;
    const end = nextAgentEnd();
    const done = nextResponseDone();
    session.sendMessage("How many calories are in a banana?");
    const response = await done;
    const text = await Promise.race([end, sleep(2000).then(() => null)]);
    if (restarted.length === before && response.status === "completed" && text) {
      output = text;
    } else {
      const wait = Number(/retry in (\d+) s/.exec(restarted.at(-1)?.message ?? "")?.[1] ?? 1);
      await sleep(wait * 1000);
    }
  }
  steps.restart = { code: error?.code ?? null, message: error?.message ?? null, cut_status: cutResponse.status,
    tries, output };
}

try {
  await session.connect({ apiKey: args.token });
  log("connected");
  const wanted = args.steps.split(",");
  for (const [name, run] of [["typed", typed], ["tool", toolTurn], ["spoken", spoken], ["interrupt", interrupt],
    ["restart", restart]]) {
    if (wanted.includes(name)) {
      await run();
      log(`${name}: ${JSON.stringify(steps[name])}`);
    }
  }
  finish(errors.length === 0, { audio_bytes: audioBytes });
} catch (e) {
  log(e?.stack ?? String(e));
  finish(false, { error: String(e?.message ?? e) });
}
