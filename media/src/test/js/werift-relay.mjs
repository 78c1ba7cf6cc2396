// Two werift peers connect relay-only through one TURN server and exchange data-channel messages.
//
//   node werift-relay.mjs --url turn:127.0.0.1:3478?transport=udp [--messages 50] [--timeout-ms 30000]
//   env: TURN_USERNAME, TURN_CREDENTIAL (kept out of the process list)
//
// Both RTCPeerConnections use iceTransportPolicy 'relay', so the only candidates are relayed
// addresses on the TURN server and every packet of ICE, DTLS and SCTP goes through it. Signalling
// is in-process: offer, answer and trickled candidates are handed over directly. Each side sends
// --messages messages; the run succeeds when both sides received all of them, in order.
//
// stdout: one JSON summary line. Exit 0 on success; 1 (with {"ok":false,"error":...}) on failure
// or timeout; 2 on bad arguments. werift must be resolvable, e.g. NODE_PATH=.tools/node/node_modules
// as `./parley test` exports it.
import { createRequire } from "node:module";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);

function fail(error, extra = {}, code = 1) {
  process.stdout.write(JSON.stringify({ ok: false, error, ...extra }) + "\n");
  process.exit(code);
}

let args;
try {
  args = parseArgs({
    options: {
      url: { type: "string" },
      messages: { type: "string", default: "50" },
      "timeout-ms": { type: "string", default: "30000" },
    },
  }).values;
} catch (e) {
  fail(`bad arguments: ${e.message}`, {}, 2);
}
const url = args.url;
const messages = Number.parseInt(args.messages, 10);
const timeoutMs = Number.parseInt(args["timeout-ms"], 10);
const username = process.env.TURN_USERNAME;
const credential = process.env.TURN_CREDENTIAL;
if (!url || !url.startsWith("turn:")) fail("--url turn:HOST:PORT?transport=udp is required", {}, 2);
if (!(messages > 0) || !(timeoutMs > 0)) fail("--messages and --timeout-ms must be positive integers", {}, 2);
if (!username || !credential) fail("TURN_USERNAME and TURN_CREDENTIAL must be set", {}, 2);

// NODE_PATH is honoured by require(), not by ESM import: resolve werift through require.
let werift;
try {
  werift = require("werift");
} catch (e) {
  fail(`cannot load werift (NODE_PATH=${process.env.NODE_PATH ?? ""}): ${e.message}; run ./parley test to install it`);
}
const { RTCPeerConnection } = werift;

const started = Date.now();
const phase = { now: "start" };
const timer = setTimeout(() => {
  fail(`timeout after ${timeoutMs} ms while ${phase.now}`, { stats: summary() });
}, timeoutMs);

const config = {
  iceServers: [{ urls: url, username, credential }],
  iceTransportPolicy: "relay",
};
const a = new RTCPeerConnection(config);
const b = new RTCPeerConnection(config);
const candidates = { a: [], b: [] };
const received = { a: [], b: [] }; // what each side received
const errors = [];

// Trickle: every candidate goes straight to the other peer. Before setRemoteDescription it is queued.
function trickle(from, to, name) {
  const queue = [];
  let ready = false;
  from.onIceCandidate.subscribe((c) => {
    if (!c) return;
    candidates[name].push(c.candidate ?? String(c));
    if (ready) to.addIceCandidate(c).catch((e) => errors.push(`${name} addIceCandidate: ${e.message}`));
    else queue.push(c);
  });
  return async () => {
    ready = true;
    for (const c of queue.splice(0)) await to.addIceCandidate(c);
  };
}
const flushAtoB = trickle(a, b, "a");
const flushBtoA = trickle(b, a, "b");

function channelOpen(dc) {
  return new Promise((resolve) => {
    if (dc.readyState === "open") resolve(dc);
    else dc.stateChanged.subscribe((s) => s === "open" && resolve(dc));
  });
}

// Resolves when `count` messages arrived on dc; checks order and content.
function collect(dc, name, prefix) {
  return new Promise((resolve) => {
    dc.onMessage.subscribe((data) => {
      const text = typeof data === "string" ? data : data.toString("utf8");
      const expected = `${prefix}:${received[name].length}`;
      if (text !== expected) errors.push(`${name} got "${text}" where "${expected}" was due`);
      received[name].push(text);
      if (received[name].length === messages) resolve();
    });
  });
}

function candidateType(c) {
  const m = / typ (\w+)/.exec(c ?? "");
  return m ? m[1] : "unknown";
}

function selectedPair(pc) {
  try {
    const p = pc.iceTransports[0]?.getSelectedCandidatePair();
    return p ? { local: candidateType(p.local.candidate ?? p.local.toSdp?.()), remote: candidateType(p.remote.candidate ?? p.remote.toSdp?.()) } : null;
  } catch {
    return null;
  }
}

// The transport werift reached the TURN server over ("udp", or "tcp" after its UDP fallback).
function turnTransport(pc) {
  try {
    const protocols = pc.iceTransports[0]?.connection?.protocols ?? [];
    const turn = protocols.find((p) => p.turn);
    return turn?.turn?.transport?.type ?? null;
  } catch {
    return null;
  }
}

function summary() {
  return {
    messages,
    aReceived: received.a.length,
    bReceived: received.b.length,
    candidates: { a: candidates.a.map(candidateType), b: candidates.b.map(candidateType) },
    selected: { a: selectedPair(a), b: selectedPair(b) },
    turnTransport: { a: turnTransport(a), b: turnTransport(b) },
    ms: Date.now() - started,
  };
}

async function main() {
  phase.now = "negotiating";
  const dcA = a.createDataChannel("parley", { ordered: true });
  const bChannel = new Promise((resolve) => b.onDataChannel.subscribe(resolve));

  const offer = await a.createOffer();
  await a.setLocalDescription(offer);
  await b.setRemoteDescription(a.localDescription);
  await flushAtoB();
  const answer = await b.createAnswer();
  await b.setLocalDescription(answer);
  await a.setRemoteDescription(b.localDescription);
  await flushBtoA();

  phase.now = "connecting (ICE, DTLS, SCTP through the relay)";
  const dcB = await bChannel;
  await Promise.all([channelOpen(dcA), channelOpen(dcB)]);

  phase.now = "exchanging messages";
  const bGotAll = collect(dcB, "b", "a2b");
  const aGotAll = collect(dcA, "a", "b2a");
  for (let i = 0; i < messages; i++) {
    dcA.send(`a2b:${i}`);
    dcB.send(`b2a:${i}`);
  }
  await Promise.all([aGotAll, bGotAll]);

  const s = summary();
  const allRelay = [...s.candidates.a, ...s.candidates.b].every((t) => t === "relay");
  if (errors.length) fail(errors.slice(0, 5).join("; "), { stats: s });
  if (!allRelay || s.candidates.a.length === 0 || s.candidates.b.length === 0) {
    fail("a non-relay candidate was gathered (or none at all)", { stats: s });
  }
  clearTimeout(timer);
  await Promise.allSettled([a.close(), b.close()]);
  process.stdout.write(JSON.stringify({ ok: true, ...s }) + "\n");
  process.exit(0);
}

main().catch((e) => fail(`${phase.now}: ${e?.stack ?? e}`, { stats: summary() }));
