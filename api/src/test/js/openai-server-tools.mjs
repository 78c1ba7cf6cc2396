// The `openai` npm package's chat client asking questions that Parley answers with its own server
// tools through /v1/chat/completions (the model is a scripted stand-in behind Parley): the client
// sees only the answers; then its own tool next to Parley's, and Parley's tools turned off.
//
//   node openai-server-tools.mjs --base https://127.0.0.1:PORT/v1 --token JWT --meal ID
//
// stdout: one JSON line with what each step returned.
import { parseArgs } from "node:util";
import { openai, steps } from "./openai-steps.mjs";

const { values: args } = parseArgs({ options: {
  base: { type: "string" }, token: { type: "string" }, meal: { type: "string" } } });
const client = openai(args);
const { step, print } = steps();

const ask = content => [{ role: "user", content }];

// A stream: its text, any tool_calls deltas, the finish reason, and Parley's part of the last chunk.
async function streamed(body) {
  const stream = await client.chat.completions.create({ model: "parley", stream: true, ...body });
  let content = "", finish = null, parley = null;
  const calls = [];
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    content += choice?.delta?.content ?? "";
    for (const d of choice?.delta?.tool_calls ?? []) {
      if (!calls[d.index]) {
        calls[d.index] = { id: d.id, name: d.function.name, arguments: "" };
      }
      calls[d.index].arguments += d.function?.arguments ?? "";
    }
    finish = choice?.finish_reason ?? finish;
    parley = chunk.parley ?? parley;
  }
  return { content, calls, finish, parley };
}

async function whole(body) {
  const r = await client.chat.completions.create({ model: "parley", ...body });
  const m = r.choices[0].message;
  return { content: m.content, calls: m.tool_calls ?? [], finish: r.choices[0].finish_reason, parley: r.parley ?? null };
}

await step("served", () => streamed({ messages: ask("What have I eaten today?") }));
await step("refused", () => whole({ messages: ask("Log two eggs for me.") }));
await step("othersMeal", () => whole({ messages: ask(`Delete the meal ${args.meal}.`) }));
await step("mixed", () => streamed({ messages: ask("What is the weather in Paris?"), tools: [{
  type: "function", function: { name: "get_weather", description: "The weather in a city now",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }] }));
await step("off", () => whole({ messages: ask("Hello there."), parley: { tools: false } }));
await step("badSwitch", () => whole({ messages: ask("Hello there."), parley: { tools: "yes" } }));

print();
