// Parley's web client, driven the way a person uses it: headless Chromium (Debian's, through
// playwright-core) with a fake microphone playing a speech WAV, against a running Parley.
//
//   node web-client.mjs --base http://127.0.0.1:PORT --wav speech.wav --photo dog.jpg --meal fruits.jpg
//       --shots DIR --profiles DIR [--chromium /usr/bin/chromium] [--timeout-ms 240000] [--flow all|no-model]
//
// --flow no-model: against a node without a speech model, only sign-up and one try at talking:
// the page must say, in words, which setting is missing.
//
// Flows, each through the page's own controls:
//   1. sign up (user) on a phone-sized screen;
//   2. the assistant: a voice turn with audio coming back, then a barge-in (the WAV loops, so the
//      user speaks again while the answer plays): playback stops and a conversation.item.truncate
//      is sent and acknowledged;
//   3. photos: dog.jpg analysed with boxes drawn; a meal photo analysed, logged, listed, deleted;
//   4. calls: a second person signs up and offers their expertise; the user books them, the expert
//      accepts, both join relay-only; the call connects and the server ends it at its limit:
//      both pages show the ended screen with reason time_limit.
// Screenshots of each page go to --shots. stdout: one JSON line {"ok", ...}; exit 0 when every
// check passed, 1 otherwise (the result names the failures), 2 on bad arguments.
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromiumFlags } from "./chromium.mjs";

const require = createRequire(import.meta.url);
const started = Date.now();
const result = { ok: false, phase: "starting", failures: [] };
const browsers = [];

function log(msg) {
  process.stderr.write(`[web-client +${Date.now() - started}ms] ${msg}\n`);
}

async function finish(code) {
  result.ok = code === 0 && result.failures.length === 0;
  result.ms = Date.now() - started;
  process.stdout.write(JSON.stringify(result) + "\n");
  await Promise.race([Promise.allSettled(browsers.map((b) => b.close())), new Promise((r) => setTimeout(r, 5000))]);
  process.exit(result.ok ? 0 : 1);
}

let args;
try {
  args = parseArgs({
    options: {
      base: { type: "string" },
      wav: { type: "string" },
      photo: { type: "string" },
      meal: { type: "string" },
      shots: { type: "string" },
      profiles: { type: "string" },
      chromium: { type: "string", default: "/usr/bin/chromium" },
      "timeout-ms": { type: "string", default: "240000" },
      flow: { type: "string", default: "all" },
    },
  }).values;
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, error: `bad arguments: ${e.message}` }) + "\n");
  process.exit(2);
}
for (const k of args.flow === "no-model" ? ["base", "wav", "profiles", "shots"] : ["base", "wav", "photo", "meal", "shots", "profiles"]) {
  if (!args[k]) {
    process.stdout.write(JSON.stringify({ ok: false, error: `--${k} is required` }) + "\n");
    process.exit(2);
  }
}
mkdirSync(args.shots, { recursive: true });

setTimeout(() => {
  result.failures.push(`timeout after ${args["timeout-ms"]} ms while ${result.phase}`);
  finish(1);
}, Number.parseInt(args["timeout-ms"], 10)).unref();

const flags = chromiumFlags(args.wav);

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

async function open(name, viewport) {
  const { chromium } = require("playwright-core");
  const dir = join(args.profiles, name);
  mkdirSync(dir, { recursive: true });
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: args.chromium, headless: true, args: flags, timeout: 60_000, viewport,
    permissions: ["microphone", "camera"],
  });
  browsers.push(context);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") log(`${name} console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => {
    log(`${name} page error: ${e.message}`);
    result.failures.push(`${name}: page error ${e.message}`);
  });
  await page.goto(args.base + "/");
  return page;
}

async function probe(page, path) {
  return page.evaluate((p) => p.split(".").reduce((o, k) => (o == null ? o : o[k]), window.parleyProbe), path);
}

async function waitProbe(page, what, path, test, limitMs) {
  const until = Date.now() + limitMs;
  let last;
  while (Date.now() < until) {
    last = await probe(page, path);
    if (test(last)) return last;
    await page.waitForTimeout(200);
  }
  const status = await page.locator("#status").textContent().catch(() => "");
  // What the page saw, for a failure that cannot be rerun at will: the assistant's counters and
  // the server events by type.
  const seen = await page.evaluate(() => {
    const p = window.parleyProbe || {};
    return JSON.stringify({ speechStarted: p.speechStarted, responses: p.responses, audioChunks: p.audioChunks,
      voiceErrors: p.voiceErrors, events: p.events });
  }).catch(() => "");
  throw new Error(`${what}: ${path} is ${JSON.stringify(last)} after ${limitMs} ms (page says: ${status}; saw ${seen})`);
}

async function shot(page, name) {
  await page.screenshot({ path: join(args.shots, `${name}.png`), fullPage: true });
}

async function signUp(page, name, email) {
  await page.getByRole("heading", { name: "Create an account" }).waitFor();
  const form = page.locator("#signup-form");
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password").fill("correct horse battery staple");
  await form.getByRole("button", { name: "Sign up" }).click();
  await page.locator("#view-assistant").waitFor({ state: "visible" });
}

async function step(phase, f) {
  result.phase = phase;
  log(phase);
  try {
    await f();
  } catch (e) {
    result.failures.push(`${phase}: ${e.message}`);
    log(`FAILED ${phase}: ${e.stack}`);
  }
}

const stamp = Date.now().toString(36);
let user;
let expert;

await step("sign up", async () => {
  user = await open("user", PHONE);
  await shot(user, "login");
  await signUp(user, "Ann User", `ann-${stamp}@example.com`);
  await user.locator("#who", { hasText: "Ann User" }).waitFor({ timeout: 10_000 });
  result.signedUp = true;
});

/** Controls without an accessible name (a label, aria-label or text): there must be none. */
async function unlabelled(page) {
  return page.locator("input, select, textarea, button").evaluateAll((nodes) => nodes
    .filter((n) => n.type !== "hidden")
    .filter((n) => !((n.labels && n.labels.length) || n.getAttribute("aria-label") || (n.textContent || "").trim()))
    .map((n) => n.outerHTML.slice(0, 80)));
}

if (args.flow === "no-model") {
  await step("no speech model", async () => {
    await user.getByRole("button", { name: "Start talking" }).click();
    await user.locator("#status", { hasText: "PARLEY_WHISPER_MODEL" }).waitFor({ timeout: 60_000 });
    result.noModelMessage = await user.locator("#status").textContent();
    await shot(user, "assistant-no-model");
  });
  await finish(0);
}

await step("labels", async () => {
  result.unlabelled = await unlabelled(user);
  if (result.unlabelled.length) throw new Error(`controls without a name: ${result.unlabelled.join(" | ")}`);
});

await step("assistant", async () => {
  await user.getByLabel("Personality").selectOption("friend");
  await user.getByRole("button", { name: "Start talking" }).click();
  result.speechStarted = await waitProbe(user, "speech detected", "speechStarted", (v) => v >= 1, 30_000);
  result.audioChunks = await waitProbe(user, "answer audio", "audioChunks", (v) => v >= 3, 60_000);
  // Chunks arrive a few KB at a time: wait for over half a second of 24 kHz PCM16 (this turn or the next).
  result.audioBytes = await waitProbe(user, "answer audio bytes", "audioBytes", (v) => v > 24_000, 60_000);
  // The fake microphone loops the WAV: the user speaks again while the answer plays.
  result.bargeIns = await waitProbe(user, "barge-in", "bargeIns", (v) => v >= 1, 60_000);
  result.truncated = await waitProbe(user, "truncate acknowledged", "truncated", (v) => v >= 1, 15_000);
  result.cutAnswers = await user.locator("#transcript li.assistant.cut").count();
  result.latencyShown = await user.locator("#transcript .latency").count();
  await shot(user, "assistant");
  await user.getByRole("button", { name: "Stop" }).click();
});

await step("photos", async () => {
  await user.getByRole("link", { name: "Meal photos" }).click();
  await user.locator("#view-photos").waitFor({ state: "visible" });
  await user.getByLabel("Take or choose a photo").setInputFiles(args.photo);
  await user.getByRole("button", { name: "Analyse" }).click();
  result.boxes = await waitProbe(user, "boxes drawn", "photo.boxes", (v) => v > 0, 60_000);
  result.labels = await probe(user, "photo.labels");
  result.boxElements = await user.locator("#boxes .box").count();
  if (!result.labels.includes("dog")) throw new Error(`no dog among ${result.labels}`);
  await shot(user, "photos");

  await user.getByLabel("Take or choose a photo").setInputFiles(args.meal);
  await user.getByRole("button", { name: "Analyse" }).click();
  await user.locator("#nutrition").waitFor({ state: "visible", timeout: 60_000 });
  result.nutritionRows = await user.locator("#nutrition tbody tr").count();
  await user.getByRole("button", { name: "Log this meal" }).click();
  result.mealsLogged = await waitProbe(user, "meal logged", "photo.meals", (v) => v >= 1, 30_000);
  result.dayHeadings = await user.locator("#meal-log .day h4").count();
  await shot(user, "meal-log");
  await user.locator("#meal-log li button", { hasText: "Delete" }).first().click();
  result.mealsAfterDelete = await waitProbe(user, "meal deleted", "photo.meals", (v) => v === 0, 30_000);
});

await step("calls", async () => {
  expert = await open("expert", DESKTOP);
  await signUp(expert, "Eve Expert", `eve-${stamp}@example.com`);
  await expert.getByRole("link", { name: "Expert calls" }).click();
  const listing = expert.locator("#expert-form");
  await listing.getByLabel("Display name").fill("Eve Expert");
  await listing.getByLabel("Specialization").fill(`nutrition-${stamp}`);
  await listing.getByRole("button", { name: "Save my expert listing" }).click();
  await expert.locator("#status", { hasText: "listing is saved" }).waitFor();

  await user.setViewportSize(DESKTOP);
  await user.getByRole("link", { name: "Expert calls" }).click();
  const search = user.locator("#expert-search");
  await search.getByLabel("Specialization").fill(`nutrition-${stamp}`);
  await search.getByRole("button", { name: "Search" }).click();
  const eve = user.locator("#experts li", { hasText: "Eve Expert" });
  await eve.getByRole("button", { name: "Book" }).click();
  await eve.getByLabel("Minutes").fill("1");
  await eve.getByRole("button", { name: "Confirm booking" }).click();
  await user.locator("#appointments li[data-status=requested]").waitFor();

  await expert.getByRole("button", { name: "As expert" }).click();
  await expert.locator("#appointments li[data-status=requested]").getByRole("button", { name: "Accept" }).click();
  await expert.locator("#appointments li[data-status=accepted]").waitFor();
  await user.getByRole("button", { name: "As user" }).click();
  await user.locator("#appointments li[data-status=accepted]").waitFor();
  await shot(expert, "appointments");

  for (const p of [user, expert]) await p.getByLabel(/Relay only/).check();
  await user.locator("#appointments li[data-status=accepted]").getByRole("button", { name: "Join" }).click();
  await expert.locator("#appointments li[data-status=accepted]").getByRole("button", { name: "Join" }).click();
  await waitProbe(user, "user connected", "call.connected", (v) => v === true, 60_000);
  await waitProbe(expert, "expert connected", "call.connected", (v) => v === true, 30_000);
  result.relayOnly = await probe(user, "call.relayOnly");
  result.countdown = await user.locator("#call-countdown").textContent();
  await shot(user, "call");
  // The server ends the call at its limit (a minute after it started); both pages show why.
  result.userEnded = await waitProbe(user, "ended by the server", "call.endedReason", (v) => v != null, 120_000);
  result.expertEnded = await waitProbe(expert, "ended by the server", "call.endedReason", (v) => v != null, 15_000);
  result.warnings = await probe(user, "call.warnings");
  await user.locator("#call-summary").waitFor({ state: "visible" });
  result.summary = await probe(user, "call.summary");
  await shot(user, "call-ended");
});

await step("token refresh", async () => {
  // The node's access tokens live 30 s: by now the page has refreshed them several times, and
  // every flow above ran on refreshed tokens.
  result.refreshes = (await probe(user, "refreshes")) || 0;
  if (result.refreshes < 1) throw new Error("the page never refreshed its access token");
});

await step("sign out", async () => {
  await user.getByRole("button", { name: "Log out" }).click();
  await user.locator("#view-login").waitFor({ state: "visible" });
});

await finish(0);
