// Parley's web client, driven the way a person uses it: headless Chromium (Debian's, through
// playwright-core) with a fake microphone playing a speech WAV, against a running Parley.
//
//   node web-client.mjs --base http://127.0.0.1:PORT --wav speech.wav --photo dog.jpg --meal fruits.jpg
//       --shots DIR --profiles DIR [--chromium /usr/bin/chromium] [--timeout-ms 240000] [--flow all|no-model|meals]
//       [--missing PARLEY_WHISPER_MODEL|PARLEY_LLAMA_MODEL]
//
// --flow no-model: against a node without a speech model (or, with --missing PARLEY_LLAMA_MODEL,
// without a chat model), only sign-up and one try at talking: the page must say, in words, which
// setting is missing. --flow meals: sign-up and the meal pages
// only (a quick run while working on them).
//
// Flows, each through the page's own controls:
//   1. sign up (user) on a phone-sized screen;
//   2. the assistant: a voice turn with audio coming back, then a barge-in (the WAV loops, so the
//      user speaks again while the answer plays): playback stops and a conversation.item.truncate
//      is sent and acknowledged;
//   3. meals: a food searched; a meal typed, previewed (with a part it cannot read), logged, then
//      corrected (three eggs, not two); dog.jpg analysed with boxes drawn; the meal photo's foods
//      checked before logging (one removed, one swapped through a search and given in grams, one
//      added), then the same photo logged as detected with the photo kept; all deleted;
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
      missing: { type: "string", default: "PARLEY_WHISPER_MODEL" },
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
  await step(`no model: ${args.missing}`, async () => {
    await user.getByRole("button", { name: "Start talking" }).click();
    await user.locator("#status", { hasText: args.missing }).waitFor({ timeout: 60_000 });
    result.noModelMessage = await user.locator("#status").textContent();
    await shot(user, "assistant-no-model");
  });
  await finish(0);
}

await step("labels", async () => {
  result.unlabelled = await unlabelled(user);
  if (result.unlabelled.length) throw new Error(`controls without a name: ${result.unlabelled.join(" | ")}`);
});

if (args.flow !== "meals") await step("assistant", async () => {
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

await step("foods", async () => {
  await user.getByRole("link", { name: "Meals" }).click();
  await user.locator("#view-meals").waitFor({ state: "visible" });
  const search = user.locator("#food-search");
  await search.getByLabel("Food").fill("banana");
  await search.getByRole("button", { name: "Search" }).click();
  const banana = user.locator("#food-results li", { hasText: "Bananas, raw" }).first();
  await banana.waitFor({ timeout: 10_000 });
  result.foodFound = (await banana.locator("strong").textContent()).trim();
  result.foodShown = await banana.textContent();
  await shot(user, "foods");
});

await step("meal from text", async () => {
  const form = user.locator("#meal-text-form");
  const text = form.getByLabel("What did you eat?");
  // A part it cannot read comes back with the reason, before anything is logged.
  await text.fill("two eggs and a slice of whole wheat toast, a bowl of xyzzy");
  await form.getByRole("button", { name: "Preview" }).click();
  const unresolved = user.locator("#meal-preview .unresolved li").first();
  await unresolved.waitFor({ timeout: 10_000 });
  result.unresolvedShown = await unresolved.textContent();
  await text.fill("two eggs and a slice of whole wheat toast");
  result.staleLogHidden = await form.getByRole("button", { name: "Log this meal" }).isHidden();
  await form.getByRole("button", { name: "Preview" }).click();
  await waitProbe(user, "second preview", "meals.previews", (v) => v >= 2, 10_000);
  result.previewItems = await user.locator("#meal-preview .meal-items li").count();
  result.previewUnresolved = await user.locator("#meal-preview .unresolved").count();
  result.previewShown = await user.locator("#meal-preview").textContent();
  result.mealsBeforeLog = await probe(user, "meals.count");
  await shot(user, "meal-preview");
  await form.getByRole("button", { name: "Log this meal" }).click();
  result.mealsLogged = await waitProbe(user, "meal logged", "meals.count", (v) => v === 1, 30_000);
  result.textMealKcal = (await probe(user, "meals.kcal"))[0];
  result.textMealShown = await user.locator("#meal-log li.meal .meal-kcal").first().textContent();
  result.dayHeadings = await user.locator("#meal-log .day h4").count();
});

await step("correct a meal", async () => {
  const meal = user.locator("#meal-log li.meal").first();
  await meal.getByRole("button", { name: /^Edit the meal/ }).click();
  const eggs = meal.locator(".items-edit > li", { hasText: "Egg" }).first();
  await eggs.getByLabel(/^Amount of Egg/).fill("3");
  result.editorTotal = await meal.locator(".editor .total").textContent();
  // The food picker (close matches and a search) opens and closes by keyboard too.
  await eggs.getByRole("button", { name: /^Change food/ }).click();
  await eggs.locator(".picker").waitFor();
  result.alternativesShown = await eggs.locator(".picker .alternatives button").count();
  result.unlabelledMeals = await unlabelled(user);
  if (result.unlabelledMeals.length) throw new Error(`controls without a name: ${result.unlabelledMeals.join(" | ")}`);
  await shot(user, "meal-edit");
  await user.keyboard.press("Escape");
  result.pickerClosed = (await eggs.locator(".picker").count()) === 0;
  await meal.getByRole("button", { name: "Save changes" }).click();
  await waitProbe(user, "meal corrected", "meals.corrected", (v) => v >= 1, 30_000);
  result.correctedKcal = (await probe(user, "meals.kcal"))[0];
  result.correctedShown = await user.locator("#meal-log li.meal .meal-kcal").first().textContent();
  result.correctedEggs = await user.locator("#meal-log li.meal .meal-items li", { hasText: "Egg" }).first().textContent();
  await shot(user, "meal-log");
});

await step("photos", async () => {
  await user.getByLabel("Take or choose a photo").setInputFiles(args.photo);
  await user.getByRole("button", { name: "Analyse" }).click();
  result.boxes = await waitProbe(user, "boxes drawn", "photo.boxes", (v) => v > 0, 60_000);
  result.labels = await probe(user, "photo.labels");
  result.boxElements = await user.locator("#boxes .box").count();
  if (!result.labels.includes("dog")) throw new Error(`no dog among ${result.labels}`);
  await shot(user, "photos");

  // The meal photo: the foods found are shown for checking; nothing is logged yet.
  await user.getByLabel("Take or choose a photo").setInputFiles(args.meal);
  await user.getByRole("button", { name: "Analyse" }).click();
  result.photoItems = await waitProbe(user, "foods found", "photo.items", (v) => v > 0, 60_000);
  const rows = user.locator("#photo-items .items-edit > li");
  result.photoRows = await rows.count();
  result.mealsAfterAnalysis = await probe(user, "meals.count");
  // Not there: the cake (else whatever came last). Wrong: the first food, an apple in fact, 150 g.
  // Missing: a banana.
  const cake = rows.filter({ hasText: "Cake" });
  await ((await cake.count()) ? cake.first() : rows.last()).getByRole("button", { name: /^Remove/ }).click();
  const first = rows.first();
  await first.getByRole("button", { name: /^Change food/ }).click();
  await first.locator(".picker").getByLabel("Search foods").fill("apple");
  await first.locator(".picker").getByRole("button", { name: "Search" }).click();
  await first.getByRole("button", { name: "Choose Apples, raw, with skin" }).click();
  await rows.first().locator(".item-head", { hasText: "Apples, raw, with skin" }).waitFor();
  await rows.first().getByLabel(/^Unit for/).selectOption("g");
  await rows.first().getByLabel(/^Amount of/).fill("150");
  await user.getByRole("button", { name: "Add a food" }).click();
  const add = user.locator("#photo-items .editor > div .picker");
  await add.getByLabel("Search foods").fill("banana");
  await add.getByRole("button", { name: "Search" }).click();
  await add.getByRole("button", { name: "Choose Bananas, raw" }).click();
  result.confirmedRows = await rows.count();
  await shot(user, "meal-photo-confirm");
  await user.getByRole("button", { name: "Log these foods" }).click();
  await waitProbe(user, "photo meal logged", "photo.logged", (v) => v >= 1, 30_000);
  result.photoMeal = await probe(user, "photo.meal");
  result.mealsAfterPhoto = await waitProbe(user, "listed", "meals.count", (v) => v === 2, 30_000);

  // The same photo again, logged as detected with the photo kept.
  await user.getByLabel("Take or choose a photo").setInputFiles(args.meal);
  await user.getByRole("button", { name: "Analyse" }).click();
  await waitProbe(user, "foods found again", "photo.items", (v) => v > 0, 60_000);
  await user.getByLabel(/Keep the photo/).check();
  await user.getByRole("button", { name: "Log these foods" }).click();
  await waitProbe(user, "photo meal kept", "photo.logged", (v) => v >= 2, 30_000);
  result.keptPhotoMeal = await probe(user, "photo.meal");
  result.mealsAfterKept = await waitProbe(user, "listed", "meals.count", (v) => v === 3, 30_000);

  for (let left = 2; left >= 0; left--) {
    await user.locator("#meal-log li.meal button", { hasText: "Delete" }).first().click();
    await waitProbe(user, "meal deleted", "meals.count", (v) => v === left, 30_000);
  }
  result.mealsAfterDelete = await probe(user, "meals.count");
});

if (args.flow === "meals") await finish(0);

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
  // The search's own answer, not the listing the page loaded on arrival (it would replace the list).
  await user.waitForFunction(() => !document.querySelector("#expert-search button").disabled);
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
