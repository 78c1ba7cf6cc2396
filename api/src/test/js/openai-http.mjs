// The `openai` npm package's HTTP client against Parley's OpenAI-compatible endpoints: a streamed
// and a whole chat completion, transcriptions of a WAV, an M4A (AAC) and an Ogg Opus file (the
// latter two as phones record them, in verbose_json and srt), and speech synthesis (WAV and MP3).
//
//   node openai-http.mjs --base https://127.0.0.1:PORT/v1 --token JWT --wav speech.wav \
//       --m4a speech.m4a --ogg speech.ogg
//
// stdout: one JSON line with what each call returned (sizes, text, chunk counts, errors).
import { createRequire } from "node:module";
import { createReadStream } from "node:fs";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: { base: { type: "string" }, token: { type: "string" }, wav: { type: "string" }, m4a: { type: "string" },
    ogg: { type: "string" } },
});
const OpenAI = require("openai").default ?? require("openai");
const client = new OpenAI({ apiKey: args.token, baseURL: args.base, maxRetries: 0 });
const out = {};

async function step(name, fn) {
  try {
    out[name] = await fn();
  } catch (e) {
    out[name] = { error: String(e?.message ?? e), status: e?.status ?? null, code: e?.code ?? e?.error?.code ?? null };
  }
}

await step("stream", async () => {
  const stream = await client.chat.completions.create({
    model: "parley", stream: true, max_tokens: 24,
    messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello!" }],
  });
  let chunks = 0, text = "", finish = null;
  for await (const c of stream) {
    chunks++;
    text += c.choices[0]?.delta?.content ?? "";
    finish = c.choices[0]?.finish_reason ?? finish;
  }
  return { chunks, chars: text.length, finish };
});

await step("whole", async () => {
  const r = await client.chat.completions.create({
    model: "parley", max_tokens: 16, messages: [{ role: "user", content: "Hi" }],
  });
  return { object: r.object, role: r.choices[0].message.role, chars: r.choices[0].message.content.length,
    finish: r.choices[0].finish_reason };
});

await step("invalid", async () => {
  await client.chat.completions.create({ model: "parley", messages: [] });
  return { unexpected: "accepted" };
});

await step("transcription", async () => {
  const r = await client.audio.transcriptions.create({ file: createReadStream(args.wav), model: "whisper-1" });
  return { chars: r.text.length };
});

await step("m4a", async () => {
  const r = await client.audio.transcriptions.create({ file: createReadStream(args.m4a), model: "whisper-1",
    response_format: "verbose_json" });
  return { task: r.task, duration: r.duration, chars: r.text.length, segments: r.segments.length,
    lastEnd: r.segments.at(-1)?.end ?? null };
});

await step("ogg", async () => {
  const r = await client.audio.transcriptions.create({ file: createReadStream(args.ogg), model: "whisper-1",
    response_format: "srt" });
  return { srt: String(r) };
});

await step("mp3", async () => {
  const r = await client.audio.speech.create({ model: "tts-1", voice: "alloy", input: "Drink a glass of water.",
    response_format: "mp3" });
  const bytes = Buffer.from(await r.arrayBuffer());
  return { bytes: bytes.length, type: r.headers.get("content-type") };
});

await step("speech", async () => {
  const r = await client.audio.speech.create({ model: "tts-1", voice: "alloy", input: "Drink a glass of water.",
    response_format: "wav" });
  const bytes = Buffer.from(await r.arrayBuffer());
  return { bytes: bytes.length, riff: bytes.toString("ascii", 0, 4) };
});

process.stdout.write(JSON.stringify(out) + "\n");
