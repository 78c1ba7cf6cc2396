// The voice assistant: microphone -> /v1/realtime (OpenAI Realtime protocol) -> transcript, the
// answer's text and its audio as they arrive; talking over the answer stops it (barge-in) and tells
// the server how much was heard.
import { accessToken } from "./api.js";
import { Player } from "./player.js";
import { $, el, fail, probe, say } from "./ui.js";
import { explain } from "./voice-errors.js";

probe.audioChunks = 0;
probe.audioBytes = 0;
probe.bargeIns = 0;
probe.truncated = 0;
probe.responses = 0;
probe.speechStarted = 0;
probe.voiceErrors = [];
probe.events = {}; // server event type -> how many arrived (for tests' failure reports)

let session = null; // {ws, ctx, stream, player}
const answers = new Map(); // item id -> <li>
let interim = "";

function base64(buffer) {
  const bytes = new Uint8Array(buffer);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function unbase64(text) {
  const s = atob(text);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes.buffer;
}

function state(text) {
  $("#voice-state").textContent = text;
}

function send(event) {
  if (session && session.ws.readyState === WebSocket.OPEN) session.ws.send(JSON.stringify(event));
}

function answer(itemId) {
  let li = answers.get(itemId);
  if (!li) {
    li = el("li", { class: "assistant", "data-item": itemId }, el("span", { class: "text" }));
    answers.set(itemId, li);
    $("#transcript").append(li);
  }
  return li;
}

function latency(t) {
  if (!t) return "";
  const parts = [];
  if (t.end_of_speech_to_first_audio_ms != null) parts.push(`first audio ${Math.round(t.end_of_speech_to_first_audio_ms)} ms`);
  if (t.end_of_speech_to_transcript_ms != null) parts.push(`transcript ${Math.round(t.end_of_speech_to_transcript_ms)} ms`);
  if (t.end_of_speech_to_first_token_ms != null) parts.push(`first word ${Math.round(t.end_of_speech_to_first_token_ms)} ms`);
  return parts.length ? `After you stopped: ${parts.join(", ")}` : "";
}

function onEvent(e) {
  probe.events[e.type] = (probe.events[e.type] || 0) + 1;
  switch (e.type) {
    case "session.created":
      state("Listening. Say something.");
      send({ type: "session.update", session: { parley: { personality: $("#personality").value } } });
      break;
    case "input_audio_buffer.speech_started": {
      probe.speechStarted++;
      const heard = session.player.stop();
      if (heard) {
        // Barge-in: playback stopped the moment the user spoke; report what was actually heard.
        probe.bargeIns++;
        send({ type: "conversation.item.truncate", item_id: heard.itemId, content_index: 0, audio_end_ms: heard.playedMs });
        const li = answers.get(heard.itemId);
        if (li) li.classList.add("cut");
      }
      state("Hearing you…");
      break;
    }
    case "input_audio_buffer.speech_stopped":
      state("Thinking…");
      break;
    case "conversation.item.input_audio_transcription.delta":
      interim += e.delta || "";
      $("#interim").textContent = interim;
      break;
    case "conversation.item.input_audio_transcription.completed":
      interim = "";
      $("#interim").textContent = "";
      $("#transcript").append(el("li", { class: "user" }, e.transcript || "(nothing recognised)"));
      break;
    case "conversation.item.input_audio_transcription.failed":
      interim = "";
      $("#interim").textContent = "";
      probe.voiceErrors.push(e.error && e.error.message);
      say(`Speech could not be transcribed: ${e.error ? e.error.message : "unknown reason"}`, "error");
      break;
    case "response.output_audio_transcript.delta":
    case "response.output_text.delta":
      answer(e.item_id).querySelector(".text").append(e.delta);
      break;
    case "response.output_audio.delta": {
      const pcm = unbase64(e.delta);
      probe.audioChunks++;
      probe.audioBytes += pcm.byteLength;
      session.player.play(e.item_id, pcm);
      state("Speaking… (talk to interrupt)");
      break;
    }
    case "conversation.item.truncated":
      probe.truncated++;
      break;
    case "response.done": {
      probe.responses++;
      const r = e.response || {};
      const item = r.output && r.output[0];
      if (item) {
        const li = answer(item.id);
        if (r.status === "cancelled") li.classList.add("cut");
        const text = latency(r.parley_timings);
        if (text) li.append(el("span", { class: "latency" }, text));
      }
      if (!session.player.playing) state("Listening.");
      break;
    }
    case "error":
      probe.voiceErrors.push(e.error && e.error.message);
      say(explain(e.error), "error");
      break;
    default:
      break;
  }
}

async function start() {
  const token = await accessToken();
  if (!token) throw new Error("Sign in first.");
  if (!navigator.mediaDevices || !window.AudioWorkletNode) {
    throw new Error("This browser cannot capture audio here (a secure page, https or localhost, is needed).");
  }
  const ctx = new AudioContext({ sampleRate: 24000 });
  await ctx.audioWorklet.addModule("/assets/mic-worklet.js");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
  } catch (e) {
    await ctx.close();
    throw new Error(`The microphone is not available: ${e.message}`);
  }
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  // Browsers cannot set headers on a WebSocket: the token rides on a subprotocol, as OpenAI's do.
  const ws = new WebSocket(`${scheme}//${location.host}/v1/realtime`, ["realtime", `openai-insecure-api-key.${token}`]);
  session = { ws, ctx, stream, player: new Player(ctx) };
  const capture = new AudioWorkletNode(ctx, "mic-capture");
  const mute = ctx.createGain();
  mute.gain.value = 0;
  ctx.createMediaStreamSource(stream).connect(capture).connect(mute).connect(ctx.destination);
  capture.port.onmessage = (m) => send({ type: "input_audio_buffer.append", audio: base64(m.data) });
  ws.onmessage = (m) => {
    try {
      onEvent(JSON.parse(m.data));
    } catch (e) {
      fail(e);
    }
  };
  let opened = false;
  ws.onopen = () => {
    opened = true;
    state("Connected…");
  };
  ws.onclose = (c) => {
    if (!opened) {
      say("The assistant could not be reached: the server refused the connection (signed out, or too many open sessions).", "error");
    } else if (c.code !== 1000 && c.code !== 1005) {
      say(`The assistant closed the conversation (${c.code}${c.reason ? ": " + c.reason : ""}).`, "error");
    }
    stop();
  };
  $("#talk").textContent = "Stop";
  $("#talk").setAttribute("aria-pressed", "true");
  state("Connecting…");
}

function stop() {
  const s = session;
  session = null;
  if (s) {
    s.player.stop();
    s.stream.getTracks().forEach((t) => t.stop());
    s.ctx.close().catch(() => {});
    if (s.ws.readyState <= WebSocket.OPEN) s.ws.close(1000);
  }
  $("#talk").textContent = "Start talking";
  $("#talk").setAttribute("aria-pressed", "false");
  state("Not connected.");
}

export function initAssistant() {
  $("#talk").addEventListener("click", async () => {
    if (session) {
      stop();
      return;
    }
    $("#talk").disabled = true;
    try {
      await start();
    } catch (e) {
      stop();
      fail(e);
    } finally {
      $("#talk").disabled = false;
    }
  });
  $("#personality").addEventListener("change", () => {
    send({ type: "session.update", session: { parley: { personality: $("#personality").value } } });
  });
}

/** Leaving the page or signing out ends the conversation. */
export function leaveAssistant() {
  if (session) stop();
}
