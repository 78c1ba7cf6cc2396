// Function tools over /v1/realtime with the `openai` npm package's own Realtime WebSocket client.
// The client asks a typed question (conversation.item.create + response.create) and records every
// server event. With --tool NAME it offers that function tool in session.update; when the model
// calls it, the client reads the streamed call (response.output_item.added, the arguments' deltas,
// .done), answers with a function_call_output item holding --output, and asks for the next
// response, as an OpenAI Realtime app does. It ends after --responses response.done events. With
// --response-tool NAME the first response.create carries its own tools (that function only) and a
// tool_choice forcing it; the responses after it carry none (the session's apply).
//
//   node realtime-tools.mjs --base https://127.0.0.1:PORT/v1 --token JWT --question "..."
//       [--tool get_weather --output '{"sky":"sunny"}'] [--response-tool lookup_order] [--text]
//       [--no-server-tools] [--responses 1]
//
// stdout: one JSON line {"ok", "events": [{type,...}], "calls": [{item_id, call_id, name,
// arguments, deltas}], "responses": [response...], "audio_bytes", "transcripts": [...]}.
import { createRequire } from "node:module";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: {
    base: { type: "string" },
    token: { type: "string" },
    question: { type: "string" },
    tool: { type: "string" },
    "response-tool": { type: "string" },
    output: { type: "string", default: "{}" },
    text: { type: "boolean", default: false },
    "no-server-tools": { type: "boolean", default: false },
    responses: { type: "string", default: "1" },
    "timeout-ms": { type: "string", default: "60000" },
  },
});
if (!args.base || !args.token || !args.question) {
  process.stderr.write("usage: realtime-tools.mjs --base URL --token JWT --question TEXT [--tool NAME]\n");
  process.exit(2);
}

const started = Date.now();
const now = () => Date.now() - started;
const log = (m) => process.stderr.write(`[realtime-tools +${now()}ms] ${m}\n`);

const OpenAI = require("openai").default ?? require("openai");
const { OpenAIRealtimeWS } = require("openai/realtime/ws");

const client = new OpenAI({ apiKey: args.token, baseURL: args.base });
const rt = new OpenAIRealtimeWS({ model: "parley" }, client);
const events = [];
const calls = new Map();
const responses = [];
const transcripts = [];
let audioBytes = 0;

function finish(ok, extra = {}) {
  const result = { ok, ms: now(), events, calls: [...calls.values()], responses, transcripts,
    audio_bytes: audioBytes, ...extra };
  process.stdout.write(JSON.stringify(result) + "\n");
  try { rt.close(); } catch { /* closing anyway */ }
  setTimeout(() => process.exit(ok ? 0 : 1), 200);
}

const timer = setTimeout(() => finish(false, { error: "timeout" }), Number(args["timeout-ms"]));

rt.on("error", (err) => {
  events.push({ type: "error", error: err?.error ?? String(err?.message ?? err) });
  log(`error: ${JSON.stringify(err?.error ?? err?.message)}`);
});

rt.on("event", (e) => {
  if (e.type === "response.output_audio.delta") {
    audioBytes += Buffer.from(e.delta, "base64").length;
    return;
  }
  events.push({ type: e.type, item_id: e.item_id, output_index: e.output_index, item_type: e.item?.type });
  switch (e.type) {
    case "response.output_item.added":
      if (e.item.type === "function_call") {
        calls.set(e.item.id, { item_id: e.item.id, call_id: e.item.call_id, name: e.item.name,
          added_arguments: e.item.arguments, deltas: "", output_index: e.output_index });
      }
      break;
    case "response.function_call_arguments.delta":
      calls.get(e.item_id).deltas += e.delta;
      break;
    case "response.function_call_arguments.done":
      Object.assign(calls.get(e.item_id), { arguments: e.arguments, done_call_id: e.call_id, done_name: e.name });
      break;
    case "response.output_audio_transcript.done":
    case "response.output_text.done":
      transcripts.push(e.transcript ?? e.text);
      break;
    case "response.done": {
      responses.push(e.response);
      const called = (e.response.output ?? []).filter((o) => o.type === "function_call");
      for (const c of called) {
        rt.send({ type: "conversation.item.create", item: { type: "function_call_output", call_id: c.call_id,
          output: args.output } });
      }
      if (called.length > 0) rt.send({ type: "response.create" });
      if (responses.length >= Number(args.responses)) {
        clearTimeout(timer);
        setTimeout(() => finish(true), 300);
      }
      break;
    }
    default:
  }
});

function functionTool(name) {
  return { type: "function", name, description: "A function of the client",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } };
}

rt.socket.on("open", () => {
  const session = { type: "realtime", instructions: "Answer briefly.",
    output_modalities: [args.text ? "text" : "audio"], parley: { tools: !args["no-server-tools"] } };
  if (args.tool) {
    session.tools = [functionTool(args.tool)];
    session.tool_choice = "auto";
  }
  rt.send({ type: "session.update", session });
  rt.send({ type: "conversation.item.create", item: { type: "message", role: "user",
    content: [{ type: "input_text", text: args.question }] } });
  if (args["response-tool"]) {
    rt.send({ type: "response.create", response: { tools: [functionTool(args["response-tool"])],
      tool_choice: { type: "function", name: args["response-tool"] } } });
  } else {
    rt.send({ type: "response.create" });
  }
});
rt.socket.on("close", (code) => log(`closed ${code}`));
