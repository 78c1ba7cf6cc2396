// The `openai` npm package's chat client calling a tool through Parley's /v1/chat/completions: the
// model (a scripted stand-in behind Parley) calls get_weather in a stream, the client sends the
// result back as a `role: tool` message and gets the answer; then the same call without streaming,
// and a tool message that answers no call (a 400).
//
//   node openai-tools.mjs --base https://127.0.0.1:PORT/v1 --token JWT
//
// stdout: one JSON line with what each step returned.
import { parseArgs } from "node:util";
import { openai, steps } from "./openai-steps.mjs";

const { values: args } = parseArgs({ options: { base: { type: "string" }, token: { type: "string" } } });
const client = openai(args);
const { step, print } = steps();

const tools = [{
  type: "function",
  function: {
    name: "get_weather", description: "The weather in a city now",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
}];
const question = { role: "user", content: "What is the weather in Paris?" };

// The stream's tool_calls deltas put together as the OpenAI docs show.
let calls = [];
await step("stream", async () => {
  const stream = await client.chat.completions.create({ model: "parley", stream: true, tools, messages: [question] });
  const firstDeltas = [];
  let finish = null, content = "";
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    content += choice?.delta?.content ?? "";
    for (const d of choice?.delta?.tool_calls ?? []) {
      if (!calls[d.index]) {
        firstDeltas.push(d);
        calls[d.index] = { id: d.id, type: d.type, name: d.function.name, arguments: "" };
      }
      calls[d.index].arguments += d.function?.arguments ?? "";
    }
    finish = choice?.finish_reason ?? finish;
  }
  return { firstDeltas, calls, finish, content };
});

await step("answer", async () => {
  const messages = [question,
    { role: "assistant", content: null, tool_calls: calls.map(c => ({ id: c.id, type: "function",
      function: { name: c.name, arguments: c.arguments } })) },
    ...calls.map(c => ({ role: "tool", tool_call_id: c.id, content: JSON.stringify({ sky: "sunny", celsius: 22 }) }))];
  const stream = await client.chat.completions.create({ model: "parley", stream: true, tools, messages });
  let content = "", finish = null;
  for await (const chunk of stream) {
    content += chunk.choices[0]?.delta?.content ?? "";
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return { content, finish };
});

await step("whole", async () => {
  const r = await client.chat.completions.create({ model: "parley", tools,
    tool_choice: { type: "function", function: { name: "get_weather" } }, messages: [question] });
  const m = r.choices[0].message;
  return { content: m.content, tool_calls: m.tool_calls, finish: r.choices[0].finish_reason };
});

await step("orphanToolMessage", async () => {
  await client.chat.completions.create({ model: "parley", tools,
    messages: [question, { role: "tool", tool_call_id: "call_nowhere", content: "{}" }] });
  return { unexpected: "accepted" };
});

await step("badTool", async () => {
  await client.chat.completions.create({ model: "parley", messages: [question],
    tools: [{ type: "function", function: { name: "get weather!" } }] });
  return { unexpected: "accepted" };
});

print();
