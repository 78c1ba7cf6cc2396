// What the `openai` npm test scripts share: the client from --base and --token, and steps whose
// result or error lands in one JSON object printed as the script's last line.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const OpenAI = require("openai").default ?? require("openai");

export function openai(args) {
  return new OpenAI({ apiKey: args.token, baseURL: args.base, maxRetries: 0 });
}

export function steps() {
  const out = {};
  return {
    out,
    async step(name, fn) {
      try {
        out[name] = await fn();
      } catch (e) {
        out[name] = { error: String(e?.message ?? e), status: e?.status ?? null, code: e?.code ?? null,
          type: e?.type ?? e?.error?.type ?? null, param: e?.param ?? e?.error?.param ?? null };
      }
    },
    print() {
      process.stdout.write(JSON.stringify(out) + "\n");
    },
  };
}
