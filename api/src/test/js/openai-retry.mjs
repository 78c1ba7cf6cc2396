// The `openai` npm package's own retries against a node whose speech worker dies mid-request: a
// transcription that gets 503 engine_restarted with Retry-After is sent again by the client, as it
// does for any 5xx, after the time the server asked for, and succeeds once the worker is back.
//
//   node openai-retry.mjs --base http://127.0.0.1:PORT/v1 --token JWT --wav long.wav
//
// stdout: "sending N" as request N leaves; then one JSON line: each attempt's status, code and
// Retry-After, the milliseconds between attempts, and the final text's length (or the error).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: { base: { type: "string" }, token: { type: "string" }, wav: { type: "string" } },
});
const OpenAI = require("openai").default ?? require("openai");
const { toFile } = require("openai");
const attempts = [];

// The client's own fetch, watched: each request it makes (the retries are its own, not ours).
async function watchedFetch(url, init) {
  const path = new URL(String(url), args.base).pathname;
  if (!path.endsWith("/audio/transcriptions")) {
    return fetch(url, init); // the client's other requests, if any, are not the one watched
  }
  const n = attempts.length + 1;
  const attempt = { sentAt: Date.now(), request: `${init?.method ?? "GET"} ${path}` };
  attempts.push(attempt);
  console.log(`sending ${n}`);
  const res = await fetch(url, init);
  attempt.status = res.status;
  attempt.retryAfter = res.headers.get("retry-after");
  if (res.status >= 400) {
    const body = await res.clone().text();
    try {
      attempt.code = JSON.parse(body)?.error?.code ?? null;
    } catch {
      attempt.code = null;
    }
  }
  return res;
}

const client = new OpenAI({ apiKey: args.token, baseURL: args.base, maxRetries: 6, timeout: 300_000,
  fetch: watchedFetch });
const out = {};
try {
  // A file in memory: the client retries a request whose body it can send again (a stream it cannot,
  // and says so: "streaming body cannot be retried").
  const file = await toFile(readFileSync(args.wav), "long.wav", { type: "audio/wav" });
  const r = await client.audio.transcriptions.create({ file, model: "whisper-1" });
  out.chars = r.text.length;
} catch (e) {
  out.error = { message: String(e?.message ?? e), status: e?.status ?? null, code: e?.code ?? e?.error?.code ?? null };
}
out.attempts = attempts.map((a, i) => ({ request: a.request, status: a.status ?? null, code: a.code ?? null, retryAfter: a.retryAfter ?? null,
  waitedMs: i === 0 ? 0 : a.sentAt - attempts[i - 1].sentAt }));
console.log(JSON.stringify(out));
