// Expert calls: listings, booking, appointments, and the call itself (WebRTC through Parley's
// signalling WebSocket and ICE servers; the server ends the call at its limit).
import { accessToken, request } from "./api.js";
import { $, busy, el, fail, probe, say, when } from "./ui.js";

let role = "user"; // which appointments are listed
let call = null; // the call in progress: {id, pc, ws, stream, timer, endsAt, offset, ...}

probe.call = { state: "idle", warnings: [], endedReason: null, connected: false };

// ---- listings and booking ---------------------------------------------------------------------

let searches = 0; // the page's own listing and the user's search may cross: the last one started wins

async function searchExperts(event) {
  const q = new FormData(event.target).get("specialization").trim();
  const mine = ++searches;
  const page = await request("GET", `/api/v1/experts?limit=20${q ? "&specialization=" + encodeURIComponent(q) : ""}`);
  if (mine !== searches) return;
  const list = $("#experts");
  list.replaceChildren();
  if (!page.items.length) list.append(el("li", {}, "No experts found."));
  for (const x of page.items) list.append(expertItem(x));
}

function expertItem(x) {
  const li = el("li", { "data-expert": x.id },
    el("div", {}, el("strong", {}, x.display_name), ` · ${x.specialization}`, x.city ? ` · ${x.city}` : ""));
  const open = el("button", { type: "button", class: "small", "aria-expanded": "false" }, "Book");
  open.addEventListener("click", () => {
    if (li.querySelector("form")) return;
    open.setAttribute("aria-expanded", "true");
    li.append(bookingForm(x));
  });
  li.append(el("div", { class: "actions" }, open));
  return li;
}

function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function bookingForm(expert) {
  const soon = new Date(Date.now() + 2 * 60_000);
  const form = el("form", { class: "booking", "aria-label": `Book ${expert.display_name}` },
    el("label", {}, "Type ", el("select", { name: "type" }, el("option", { value: "voice" }, "Voice"), el("option", { value: "video" }, "Video"))),
    el("label", {}, "When ", el("input", { name: "when", type: "datetime-local", required: true, value: localInputValue(soon) })),
    el("label", {}, "Minutes ", el("input", { name: "minutes", type: "number", min: 1, max: 120, value: 15, required: true })),
    el("button", { type: "submit" }, "Confirm booking"));
  form.addEventListener("submit", busy(form.querySelector("button"), async () => {
    const f = new FormData(form);
    const a = await request("POST", "/api/v1/appointments", {
      json: {
        expert_id: expert.id,
        type: f.get("type"),
        scheduled_at: new Date(f.get("when")).toISOString(),
        duration_minutes: Number(f.get("minutes")),
      },
    });
    form.remove();
    say(`Booked for ${when(a.scheduled_at)}${a.requires_payment ? " (beyond your free calls this month: payment required)" : ""}. The expert will confirm.`);
    role = "user";
    await loadAppointments();
  }));
  return form;
}

async function saveListing(event) {
  const f = new FormData(event.target);
  await request("PUT", "/api/v1/experts/me", {
    json: {
      display_name: f.get("display_name"),
      specialization: f.get("specialization"),
      city: f.get("city") || null,
      bio: f.get("bio") || "",
    },
  });
  say("Your expert listing is saved. Users can now book you.");
}

// ---- appointments -----------------------------------------------------------------------------

async function loadAppointments() {
  // Live ones only, asked for by status: past appointments (completed, lapsed, ...) pile up and
  // would push the upcoming ones off the first page of an unfiltered list.
  const pages = await Promise.all(["requested", "accepted"].map((status) =>
    request("GET", `/api/v1/appointments?role=${role}&status=${status}&limit=100`)));
  const list = $("#appointments");
  list.replaceChildren();
  $("#appts-user").setAttribute("aria-pressed", String(role === "user"));
  $("#appts-expert").setAttribute("aria-pressed", String(role === "expert"));
  const live = pages.flatMap((p) => p.items).sort((x, y) => Date.parse(x.scheduled_at) - Date.parse(y.scheduled_at));
  if (!live.length) list.append(el("li", {}, role === "user" ? "No upcoming appointments." : "Nobody has booked you yet."));
  for (const a of live) list.append(appointmentItem(a));
}

function appointmentItem(a) {
  const actions = el("div", { class: "actions" });
  const act = (label, f, cls) => {
    const b = el("button", { type: "button", class: `small ${cls || ""}`, "data-action": label.toLowerCase() }, label);
    b.addEventListener("click", busy(b, f));
    actions.append(b);
  };
  if (role === "expert" && a.status === "requested") {
    act("Accept", () => answer(a, "accept"));
    act("Decline", () => answer(a, "decline"), "danger");
  }
  if (a.status === "accepted") act("Join", () => join(a));
  act("Cancel", () => answer(a, "cancel"), "danger");
  return el("li", { "data-appointment": a.id, "data-status": a.status },
    el("div", {}, el("strong", {}, when(a.scheduled_at)), ` · ${a.type} · ${a.duration_minutes} min · `,
      el("span", { class: "appt-status" }, a.status)),
    actions);
}

async function answer(a, verb) {
  await request("POST", `/api/v1/appointments/${a.id}/${verb}`);
  say(`Appointment ${verb === "accept" ? "accepted" : verb === "decline" ? "declined" : "cancelled"}.`);
  await loadAppointments();
}

// ---- the call ---------------------------------------------------------------------------------

function callState(text) {
  probe.call.state = text;
  $("#call-state").textContent = text;
}

function signal(message) {
  if (call && call.ws && call.ws.readyState === WebSocket.OPEN) call.ws.send(JSON.stringify(message));
}

function tick() {
  if (!call || !call.endsAt) return;
  const left = Math.max(0, Math.round((call.endsAt - (Date.now() + call.offset)) / 1000));
  $("#call-countdown").textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
}

async function makeOffer() {
  const offer = await call.pc.createOffer();
  await call.pc.setLocalDescription(offer);
  signal({ type: "offer", sdp: offer.sdp });
}

async function onSignal(m) {
  switch (m.type) {
    case "joined":
      call.role = m.role;
      call.endsAt = Date.parse(m.ends_at);
      call.offset = Date.parse(m.server_time) - Date.now();
      tick();
      callState(m.peer_present ? "Connecting to the other person…" : "Waiting for the other person to join…");
      if (m.peer_present && m.role === "user") await makeOffer();
      break;
    case "peer-joined":
      callState("The other person joined. Connecting…");
      if (call.role === "user") await makeOffer(); // the user offers, the expert answers
      break;
    case "peer-left":
      callState(`The other person dropped out; waiting ${m.grace_seconds} s for them to come back.`);
      break;
    case "offer":
      await call.pc.setRemoteDescription({ type: "offer", sdp: m.sdp });
      {
        const a = await call.pc.createAnswer();
        await call.pc.setLocalDescription(a);
        signal({ type: "answer", sdp: a.sdp });
      }
      break;
    case "answer":
      await call.pc.setRemoteDescription({ type: "answer", sdp: m.sdp });
      break;
    case "candidate":
      if (m.candidate) await call.pc.addIceCandidate(m.candidate).catch(() => {});
      break;
    case "renegotiate":
      await makeOffer();
      break;
    case "peer-media":
      callState(`The other person ${m.audio ? "unmuted" : "muted"} their microphone${m.video === false ? ", camera off" : ""}.`);
      break;
    case "call-warning": {
      probe.call.warnings.push(m.remaining_seconds);
      const w = $("#call-warning");
      w.hidden = false;
      w.textContent = `${m.remaining_seconds >= 60 ? Math.round(m.remaining_seconds / 60) + " minutes" : m.remaining_seconds + " seconds"} left in this call.`;
      break;
    }
    case "call-ended":
      await ended(m.reason);
      break;
    case "error":
      say(`Call: ${m.message}`, "error");
      break;
    default:
      break;
  }
}

async function join(a) {
  if (call) throw new Error("You are already in a call.");
  const c = await request("POST", `/api/v1/appointments/${a.id}/call`);
  const ice = await request("GET", `/api/v1/calls/${c.id}/ice-servers`);
  const relayOnly = $("#relay-only").checked;
  const video = a.type === "video";
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video });
  } catch (e) {
    throw new Error(`The ${video ? "camera or microphone" : "microphone"} is not available: ${e.message}`);
  }
  const pc = new RTCPeerConnection({ ...ice, iceTransportPolicy: relayOnly ? "relay" : ice.iceTransportPolicy });
  call = { id: c.id, pc, stream, video, muted: false, offset: 0, endsAt: Date.parse(c.ends_at), ended: false };
  probe.call = { state: "joining", warnings: [], endedReason: null, connected: false, relayOnly };
  stream.getTracks().forEach((t) => pc.addTrack(t, stream));
  pc.onicecandidate = (e) => signal({ type: "candidate", candidate: e.candidate ? e.candidate.toJSON() : null });
  pc.ontrack = (e) => {
    const target = e.track.kind === "video" ? $("#remote-video") : $("#remote-audio");
    target.srcObject = e.streams[0] || new MediaStream([e.track]);
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === "connected") {
      probe.call.connected = true;
      callState(relayOnly ? "Connected (through Parley's relay)." : "Connected.");
    } else if (pc.connectionState === "failed") {
      callState("The connection failed. Try again, or hang up.");
    }
  };
  if (video) $("#local-video").srcObject = stream;
  $("#videos").hidden = !video;
  $("#call-controls").hidden = false;
  $("#mute").textContent = "Mute";
  $("#mute").setAttribute("aria-pressed", "false");
  $("#call-panel").hidden = false;
  $("#call-summary").hidden = true;
  $("#call-warning").hidden = true;
  $("#call-title").textContent = `${video ? "Video" : "Voice"} call`;
  callState("Joining…");
  call.timer = setInterval(tick, 500);
  tick();

  const token = await accessToken();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/api/v1/signal`);
  call.ws = ws;
  ws.onopen = () => {
    ws.send(JSON.stringify({ type: "auth", token })); // browsers cannot set headers: auth is the first message
    ws.send(JSON.stringify({ type: "join", call_id: c.id }));
  };
  ws.onmessage = (m) => onSignal(JSON.parse(m.data)).catch(fail);
  ws.onclose = () => {
    if (call && !call.ended) ended("disconnected").catch(fail);
  };
  $("#call-panel").scrollIntoView();
}

async function ended(reason) {
  if (!call || call.ended) return;
  const c = call;
  c.ended = true;
  clearInterval(c.timer);
  c.stream.getTracks().forEach((t) => t.stop());
  c.pc.close();
  if (c.ws && c.ws.readyState <= WebSocket.OPEN) c.ws.close(1000);
  probe.call.endedReason = reason;
  $("#call-controls").hidden = true;
  $("#videos").hidden = true;
  $("#call-warning").hidden = true;
  callState(reason === "time_limit" ? "The call reached its time limit." : reason === "hangup" ? "The call was ended." : `The call ended (${reason}).`);
  $("#call-countdown").textContent = "0:00";
  let summary = null;
  try {
    summary = await request("GET", `/api/v1/calls/${c.id}`);
  } catch (e) {
    fail(e);
  }
  const dl = $("#call-summary-list");
  dl.replaceChildren();
  const row = (k, v) => dl.append(el("dt", {}, k), el("dd", {}, v));
  if (summary) {
    row("Started", summary.started_at ? new Date(summary.started_at).toLocaleString() : "–");
    row("Ended", summary.ended_at ? new Date(summary.ended_at).toLocaleString() : "–");
    row("Duration", summary.duration_seconds != null ? `${summary.duration_seconds} s` : "–");
    row("Reason", summary.end_reason || reason);
    probe.call.summary = summary;
  } else {
    row("Reason", reason);
  }
  $("#call-summary").hidden = false;
  call = null;
}

function toggleMute() {
  if (!call) return;
  call.muted = !call.muted;
  call.stream.getAudioTracks().forEach((t) => {
    t.enabled = !call.muted;
  });
  $("#mute").setAttribute("aria-pressed", String(call.muted));
  $("#mute").textContent = call.muted ? "Unmute" : "Mute";
  signal({ type: "media", audio: !call.muted, video: call.video });
}

async function hangUp() {
  if (!call) return;
  const c = call;
  if (c.ws && c.ws.readyState === WebSocket.OPEN) {
    signal({ type: "hangup" }); // the server ends the call for both and answers call-ended
  } else {
    await request("POST", `/api/v1/calls/${c.id}/end`);
    await ended("hangup");
  }
}

export function initCalls() {
  $("#expert-search").addEventListener("submit", busy($("#expert-search button"), searchExperts));
  $("#expert-form").addEventListener("submit", busy($("#expert-form button"), saveListing));
  $("#appts-user").addEventListener("click", busy($("#appts-user"), async () => {
    role = "user";
    await loadAppointments();
  }));
  $("#appts-expert").addEventListener("click", busy($("#appts-expert"), async () => {
    role = "expert";
    await loadAppointments();
  }));
  $("#mute").addEventListener("click", toggleMute);
  $("#hangup").addEventListener("click", busy($("#hangup"), hangUp));
  $("#call-close").addEventListener("click", busy($("#call-close"), async () => {
    $("#call-panel").hidden = true;
    await loadAppointments();
  }));
}

/** Shows the calls page: the listings and my appointments, fresh. */
export async function showCalls() {
  await Promise.all([
    searchExperts({ target: $("#expert-search") }),
    loadAppointments(),
  ]);
}

/** Signing out hangs up. */
export function leaveCalls() {
  if (call) hangUp().catch(() => {});
}
