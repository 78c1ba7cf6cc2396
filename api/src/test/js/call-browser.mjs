// Two real browsers (headless Chromium, driven by playwright-core) make an expert call through Parley:
// signalling over Parley's WebSocket, media relay-only through Parley's TURN, a fake microphone
// playing a speech WAV. The server ends the call at its limit; this script measures how the media
// stops.
//
//   node call-browser.mjs --ws ws://127.0.0.1:8080/api/v1/signal --turn-port 3478 --wav speech.wav
//       --profiles DIR [--chromium /usr/bin/chromium] [--timeout-ms 90000] [--flow-ms 2000]
//       [--turn-scheme turn|turns] [--trust-cert CERT.pem]
//
// --turn-scheme: the scheme of the TURN URL the selected local candidate must come from (turns:
// when the ice-servers given hold only Parley's TURN over TLS URL). --trust-cert: a self-signed
// certificate Chromium trusts as a root: Chromium checks a turns: server's certificate with the
// browser's own verifier (chain to a trusted root, name matching the URL's host), and on Linux it
// trusts what the user's NSS database (HOME/.pki/nssdb) marks as a CA, so the script makes such a
// database with certutil (Debian package libnss3-tools) in a home of the browsers' own.
//
// Protocol with the caller (BrowserCallTest), so that the call's clock starts only once both
// browsers are up (launching Chromium takes seconds on a busy machine):
//   1. the script launches both browsers and opens their pages, then prints {"phase":"ready"};
//   2. the caller starts the call and writes one JSON line to stdin:
//      {"call_id", "user": {"token", "ice"}, "expert": {"token", "ice"}}
//      where ice is the body of GET /api/v1/calls/{id}/ice-servers for that party;
//   3. each page opens an RTCPeerConnection with that body and iceTransportPolicy 'relay',
//      authenticates on the signalling socket with an auth message, joins the call; the user makes
//      the offer once the expert is present; candidates trickle both ways;
//   4. once both are connected: the selected candidate pair and inbound audio over --flow-ms;
//   5. then nothing but waiting for the server's call-ended (the pages never close their peer
//      connections: whatever stops the media must be the server), and inbound-rtp sampled every
//      100 ms for 2.5 s after it.
//
// stdout: the ready line, then one JSON result line ({"ok": true|false, ...}). Exit 0 when every
// check here passed, 1 otherwise (the result names the failures), 2 on bad arguments.
// playwright-core must be resolvable, e.g. NODE_PATH=.tools/node/node_modules as `./parley test`
// exports it. No browser is ever downloaded: the Debian chromium package is used.
import { createRequire } from "node:module";
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromiumFlags } from "./chromium.mjs";

const require = createRequire(import.meta.url);
const started = Date.now();
const contexts = [];

function log(msg) {
  process.stderr.write(`[call-browser +${Date.now() - started}ms] ${msg}\n`);
}

async function finish(result, code) {
  process.stdout.write(JSON.stringify(result) + "\n");
  await Promise.race([
    Promise.allSettled(contexts.map((c) => c.close())),
    new Promise((r) => setTimeout(r, 5000)),
  ]);
  process.exit(code);
}

function usage(error) {
  process.stdout.write(JSON.stringify({ ok: false, error: `bad arguments: ${error}` }) + "\n");
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      ws: { type: "string" },
      "turn-port": { type: "string" },
      wav: { type: "string" },
      profiles: { type: "string" },
      chromium: { type: "string", default: "/usr/bin/chromium" },
      "timeout-ms": { type: "string", default: "90000" },
      "flow-ms": { type: "string", default: "2000" },
      "turn-scheme": { type: "string", default: "turn" },
      "trust-cert": { type: "string" },
    },
  }).values;
} catch (e) {
  usage(e.message);
}
const turnPort = Number.parseInt(args["turn-port"] ?? "", 10);
const timeoutMs = Number.parseInt(args["timeout-ms"], 10);
const flowMs = Number.parseInt(args["flow-ms"], 10);
if (!args.ws?.startsWith("ws")) usage("--ws ws://HOST:PORT/api/v1/signal is required");
if (!(turnPort > 0)) usage("--turn-port is required");
if (!args.wav || !args.profiles) usage("--wav and --profiles are required");
if (!(timeoutMs > 0) || !(flowMs > 0)) usage("--timeout-ms and --flow-ms must be positive");
const turnScheme = args["turn-scheme"];
if (turnScheme !== "turn" && turnScheme !== "turns") usage("--turn-scheme is turn or turns");

let chromium;
try {
  ({ chromium } = require("playwright-core"));
} catch (e) {
  await finish({ ok: false, error: `cannot load playwright-core (NODE_PATH=${process.env.NODE_PATH ?? ""}): `
      + `${e.message}; run ./parley test to install it` }, 1);
}

// --- the page ------------------------------------------------------------------------------------

// Everything the browser side does. State lives in window.S for the driver to read.
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Parley call</title></head><body>
<audio id="remote" autoplay></audio>
<script>
const S = window.S = { events: [], errors: [], offered: false, post: [] };
const event = (e, extra) => S.events.push({ t: Date.now(), e, ...(extra || {}) });

window.stats = async () => {
  const pc = S.pc;
  const report = await pc.getStats();
  const byId = new Map();
  report.forEach((s) => byId.set(s.id, s));
  let transport = null, inbound = null, outbound = null;
  for (const s of byId.values()) {
    if (s.type === "transport") transport = s;
    if (s.type === "inbound-rtp" && s.kind === "audio") inbound = s;
    if (s.type === "outbound-rtp" && s.kind === "audio") outbound = s;
  }
  const pair = transport && transport.selectedCandidatePairId ? byId.get(transport.selectedCandidatePairId) : null;
  const cand = (id) => {
    const c = id ? byId.get(id) : null;
    return c ? { type: c.candidateType, address: c.address, port: c.port, protocol: c.protocol,
                 relayProtocol: c.relayProtocol, url: c.url } : null;
  };
  return {
    t: Date.now(),
    connectionState: pc.connectionState,
    iceConnectionState: pc.iceConnectionState,
    selected: pair ? { state: pair.state, nominated: pair.nominated, bytesReceived: pair.bytesReceived,
                       local: cand(pair.localCandidateId), remote: cand(pair.remoteCandidateId) } : null,
    packetsReceived: inbound ? inbound.packetsReceived : null,
    bytesReceived: inbound ? inbound.bytesReceived : null,
    totalAudioEnergy: inbound ? inbound.totalAudioEnergy : null,
    packetsSent: outbound ? outbound.packetsSent : null,
  };
};

// After call-ended: inbound packets every 100 ms for 2.5 s, timed from the message's arrival.
async function sampleAfterEnd() {
  const t0 = S.endedAt;
  for (let i = 0; i <= 25; i++) {
    const due = t0 + i * 100;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    try {
      const s = await window.stats();
      S.post.push({ dt: s.t - t0, packetsReceived: s.packetsReceived, connectionState: s.connectionState });
    } catch (e) {
      S.errors.push("stats after end: " + e);
    }
  }
  S.postDone = true;
}

window.startCall = async (cfg) => {
  S.role = cfg.role;
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  event("microphone", { tracks: stream.getAudioTracks().map((t) => t.label) });
  // The ice-servers body as Parley returns it, with relay forced: every packet crosses the TURN server.
  const pc = S.pc = new RTCPeerConnection({ ...cfg.ice, iceTransportPolicy: "relay" });
  stream.getTracks().forEach((t) => pc.addTrack(t, stream));
  pc.ontrack = (e) => {
    event("track", { kind: e.track.kind });
    document.getElementById("remote").srcObject = e.streams[0] || new MediaStream([e.track]);
  };
  pc.onconnectionstatechange = () => {
    event("pc:" + pc.connectionState);
    if (pc.connectionState === "connected" && !S.connectedAt) S.connectedAt = Date.now();
  };
  const ws = S.ws = new WebSocket(cfg.ws);
  const send = (m) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
    else S.errors.push("not sent, socket " + ws.readyState + ": " + m.type);
  };
  pc.onicecandidate = (e) => send({ type: "candidate", candidate: e.candidate ? e.candidate.toJSON() : null });
  const offer = async () => {
    if (S.offered) return;
    S.offered = true;
    await pc.setLocalDescription(await pc.createOffer());
    send({ type: "offer", sdp: pc.localDescription.sdp });
    event("offer-sent");
  };
  const handle = async (m) => {
    switch (m.type) {
      case "ready": send({ type: "join", call_id: cfg.callId, id: "join-1" }); break;
      case "joined": if (cfg.role === "user" && m.peer_present) await offer(); break;
      case "peer-joined": if (cfg.role === "user") await offer(); break;
      case "offer":
        await pc.setRemoteDescription({ type: "offer", sdp: m.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        send({ type: "answer", sdp: pc.localDescription.sdp });
        break;
      case "answer": await pc.setRemoteDescription({ type: "answer", sdp: m.sdp }); break;
      case "candidate": if (m.candidate) await pc.addIceCandidate(m.candidate); break; // null: end of candidates
      case "error": S.errors.push("server error " + m.code + ": " + m.message); break;
      default: break;
    }
  };
  // Messages are handled strictly in order (an offer's setRemoteDescription before its candidates),
  // except call-ended, which is timed the moment it arrives.
  let chain = Promise.resolve();
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    event("ws:" + m.type, m.type === "offer" || m.type === "answer" || m.type === "candidate" ? {} : { m });
    if (m.type === "call-ended") {
      S.endedAt = Date.now();
      S.ended = m;
      sampleAfterEnd();
      return;
    }
    chain = chain.then(() => handle(m)).catch((e) => S.errors.push(m.type + ": " + e));
  };
  ws.onopen = () => { event("ws-open"); ws.send(JSON.stringify({ type: "auth", token: cfg.token })); };
  ws.onclose = (ev) => { S.wsClose = { t: Date.now(), code: ev.code, reason: ev.reason }; event("ws-close", S.wsClose); };
  ws.onerror = () => event("ws-error");
};
</script></body></html>`;

const server = createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(PAGE);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
server.unref();
const pageUrl = `http://127.0.0.1:${server.address().port}/call.html`; // a secure context: getUserMedia works

// --- the driver ----------------------------------------------------------------------------------

const failures = [];
const result = { ok: false, failures };
const timer = setTimeout(() => {
  failures.push(`timeout after ${timeoutMs} ms while ${result.phase}`);
  collectAndFinish();
}, timeoutMs);

const flags = chromiumFlags(args.wav);

// The browsers' environment: with --trust-cert, a home whose NSS database trusts that certificate.
function browserEnv() {
  if (!args["trust-cert"]) return process.env;
  const home = join(args.profiles, "home");
  const db = `sql:${join(home, ".pki", "nssdb")}`;
  mkdirSync(join(home, ".pki", "nssdb"), { recursive: true });
  try {
    execFileSync("certutil", ["-N", "-d", db, "--empty-password"], { stdio: "pipe" });
    execFileSync("certutil", ["-A", "-d", db, "-n", "parley-test", "-t", "C,,", "-i", args["trust-cert"]], { stdio: "pipe" });
  } catch (e) {
    throw new Error(`certutil (Debian package libnss3-tools) could not trust ${args["trust-cert"]}: `
        + `${e.message} ${e.stderr ?? ""}`);
  }
  return { ...process.env, HOME: home };
}

async function launch(role, env) {
  const dir = join(args.profiles, role);
  mkdirSync(dir, { recursive: true });
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: args.chromium, headless: true, args: flags, timeout: 60_000, env,
  });
  contexts.push(context);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => log(`${role} console ${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log(`${role} page error: ${e.message}`));
  await page.goto(pageUrl);
  return page;
}

const pages = {};

async function state(role) {
  return pages[role].evaluate(() => ({
    connectedAt: S.connectedAt ?? null, endedAt: S.endedAt ?? null, ended: S.ended ?? null,
    postDone: !!S.postDone, post: S.post, errors: S.errors, wsClose: S.wsClose ?? null, events: S.events,
  }));
}

async function waitFor(what, predicate, limitMs) {
  const until = Date.now() + limitMs;
  for (;;) {
    const states = { user: await state("user"), expert: await state("expert") };
    if (predicate(states)) return states;
    if (Date.now() > until) throw new Error(`${what}: not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let collecting = false;
async function collectAndFinish() {
  if (collecting) return;
  collecting = true;
  clearTimeout(timer);
  for (const role of ["user", "expert"]) {
    if (!pages[role]) continue;
    try {
      const s = await state(role);
      result[role] = { ...(result[role] ?? {}), errors: s.errors, wsClose: s.wsClose, events: s.events.map((e) => ({ ...e, t: e.t - started })) };
      if (s.errors.length) failures.push(`${role}: ${s.errors.slice(0, 5).join("; ")}`);
    } catch (e) {
      failures.push(`${role}: page state unavailable: ${e.message}`);
    }
  }
  result.ok = failures.length === 0;
  result.ms = Date.now() - started;
  await finish(result, result.ok ? 0 : 1);
}

function growthEnd(post) {
  // The last sample (ms after call-ended) at which packetsReceived was higher than the sample before.
  let last = 0;
  for (let i = 1; i < post.length; i++) {
    if ((post[i].packetsReceived ?? 0) > (post[i - 1].packetsReceived ?? 0)) last = post[i].dt;
  }
  return last;
}

function packetsAt(post, dt) {
  // The first sample taken at or after dt ms.
  const s = post.find((p) => p.dt >= dt);
  return s ? s.packetsReceived : null;
}

async function main() {
  result.phase = "launching the browsers";
  log(`page ${pageUrl}; launching ${args.chromium} twice`);
  const env = browserEnv();
  const [user, expert] = await Promise.all([launch("user", env), launch("expert", env)]);
  pages.user = user;
  pages.expert = expert;
  result.launchMs = Date.now() - started;
  result.browser = contexts[0].browser()?.version() ?? null;
  log(`browsers up in ${result.launchMs} ms`);

  result.phase = "waiting for the call (stdin)";
  process.stdout.write(JSON.stringify({ phase: "ready", launch_ms: result.launchMs }) + "\n");
  const rl = createInterface({ input: process.stdin });
  const line = await new Promise((resolve, reject) => {
    rl.once("line", resolve);
    rl.once("close", () => reject(new Error("stdin closed before the call was given")));
  });
  rl.close();
  const call = JSON.parse(line);
  const t0 = Date.now();

  result.phase = "joining and connecting";
  for (const role of ["user", "expert"]) {
    await pages[role].evaluate((cfg) => window.startCall(cfg), {
      role, ws: args.ws, token: call[role].token, ice: call[role].ice, callId: call.call_id,
    });
  }
  const connected = await waitFor("both connected", (s) => s.user.connectedAt && s.expert.connectedAt, 30_000);
  result.connectMs = {
    user: connected.user.connectedAt - t0,
    expert: connected.expert.connectedAt - t0,
  };
  log(`connected: ${JSON.stringify(result.connectMs)}`);

  result.phase = `checking the selected pair and ${flowMs} ms of audio`;
  // Connected is not yet receiving: wait (at most 10 s) for each page's inbound audio report, which a
  // loaded machine can bring after the connection (its first sample then had no packet count at all).
  const inbound = async (page) => {
    for (const until = Date.now() + 10_000; ;) {
      const s = await page.evaluate(() => window.stats());
      if (s.packetsReceived != null || Date.now() > until) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const before = { user: await inbound(user), expert: await inbound(expert) };
  await new Promise((r) => setTimeout(r, flowMs));
  const after = { user: await user.evaluate(() => window.stats()), expert: await expert.evaluate(() => window.stats()) };
  const early = { user: await state("user"), expert: await state("expert") };
  if (early.user.endedAt || early.expert.endedAt) {
    failures.push(`the call ended during the ${flowMs} ms audio check (connecting took ${JSON.stringify(result.connectMs)} ms): `
        + "the call limit leaves too little time on this machine");
  }
  for (const role of ["user", "expert"]) {
    const a = after[role];
    const sel = a.selected;
    result[role] = {
      connectMs: result.connectMs[role],
      selected: sel,
      flow: {
        ms: a.t - before[role].t,
        packetsBefore: before[role].packetsReceived,
        packetsAfter: a.packetsReceived,
        packetsSent: a.packetsSent,
        totalAudioEnergy: a.totalAudioEnergy,
      },
    };
    if (!sel) failures.push(`${role}: no selected candidate pair`);
    else {
      for (const side of ["local", "remote"]) {
        if (sel[side]?.type !== "relay") failures.push(`${role}: selected ${side} candidate is ${sel[side]?.type}, not relay`);
        if (sel[side]?.address !== "127.0.0.1") failures.push(`${role}: selected ${side} candidate at ${sel[side]?.address}, not Parley's relay 127.0.0.1`);
      }
      if (!sel.local?.url?.startsWith(`${turnScheme}:127.0.0.1:${turnPort}`)) {
        failures.push(`${role}: local relay candidate from ${sel.local?.url}, not Parley's ${turnScheme}:127.0.0.1:${turnPort}`);
      }
    }
    if (!((a.packetsReceived ?? 0) > (before[role].packetsReceived ?? 0))) {
      failures.push(`${role}: inbound audio did not grow over ${flowMs} ms (${before[role].packetsReceived} -> ${a.packetsReceived})`);
    }
  }

  result.phase = "waiting for call-ended";
  const ended = await waitFor("call-ended on both pages, 2.5 s sampled after it",
    (s) => s.user.postDone && s.expert.postDone, 60_000);
  for (const role of ["user", "expert"]) {
    const s = ended[role];
    const post = s.post;
    result[role].end = {
      message: s.ended,
      afterStartMs: s.endedAt - t0,
      packetsAtEnd: post[0]?.packetsReceived ?? null,
      packetsAt1000: packetsAt(post, 1000),
      packetsAt1500: packetsAt(post, 1500),
      packetsAt2500: packetsAt(post, 2500),
      lastGrowthMs: growthEnd(post),
      connectionStateAt2500: post[post.length - 1]?.connectionState ?? null,
      samples: post.map((p) => [p.dt, p.packetsReceived]),
    };
    const e = result[role].end;
    if (s.ended?.reason !== "time_limit") failures.push(`${role}: call-ended reason ${s.ended?.reason}, not time_limit`);
    if (e.lastGrowthMs > 1000) failures.push(`${role}: inbound audio still grew ${e.lastGrowthMs} ms after call-ended`);
  }
  result.phase = "done";
  await collectAndFinish();
}

main().catch((e) => {
  failures.push(`${result.phase}: ${e?.stack ?? e}`);
  collectAndFinish();
});
